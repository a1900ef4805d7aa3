//! The checker: names resolved in every scope, a type for every expression,
//! assignments and arguments checked against IEC 61131-3's conversion rules,
//! calls checked against the signatures of the file's POUs and the standard
//! library, and the mistakes a PLC programmer's compiler warns about.
//!
//! It is conservative: what it cannot know (a type from a library it was not
//! given, pointers and references it cannot follow) is `Unknown` and never
//! produces a diagnostic, so correct code gets no false errors.

pub(crate) mod stdlib;
pub mod types;

use std::collections::{HashMap, HashSet};

use crate::ast::visit::{root_name, walk_arg, walk_stmt, Visit};
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::token::Span;
use types::{Compat, Ty};

/// Checks files that form one project (each may use what the others declare),
/// returning each file's diagnostics. Run it only on trees without syntax errors.
pub fn check(files: &[&SourceFile]) -> Vec<Vec<Diagnostic>> {
    analyse(files, false).0
}

/// The type the checker gives each expression of each file (by span), in the
/// order it judged them: what the simulator must compute in, and what a
/// decoding grammar built from the program must respect.
pub fn expression_types(files: &[&SourceFile]) -> Vec<ExprTypes> {
    analyse(files, true).1
}

/// Each expression's span and type, in the order they were judged.
pub type ExprTypes = Vec<(Span, Ty)>;

fn analyse(files: &[&SourceFile], record: bool) -> (Vec<Vec<Diagnostic>>, Vec<ExprTypes>) {
    let mut env = Env::default();
    env.collect(files);
    let mut out: Vec<Vec<Diagnostic>> = vec![Vec::new(); files.len()];
    let mut types: Vec<ExprTypes> = vec![Vec::new(); files.len()];
    for (i, d) in std::mem::take(&mut env.decl_diags) {
        out[i].push(d);
    }
    for (i, file) in files.iter().enumerate() {
        for item in &file.items {
            if let Item::Pou(p) = item {
                let recorder = record.then_some(&mut types[i]);
                check_pou(&env, p, None, &mut out[i], recorder);
            }
        }
        out[i].sort_by_key(|d| (d.span.start, d.span.end));
    }
    (out, types)
}

fn upper(s: &str) -> String {
    s.to_ascii_uppercase()
}

#[derive(Debug, Clone)]
struct Var {
    ty: Ty,
    kind: VarKind,
    constant: bool,
    span: Span,
    name: String,
}

#[derive(Debug, Clone, Default)]
struct PouSig {
    kind: Option<PouKind>,
    /// Inputs, outputs and in-outs in declaration order (for positional calls).
    params: Vec<(String, Ty, VarKind)>,
    result: Option<Ty>,
    /// Everything declared, for method bodies that see their FB's variables.
    vars: Vec<Var>,
    methods: HashMap<String, PouSig>,
    properties: HashMap<String, Ty>,
    extends: Option<String>,
}

#[derive(Debug, Clone)]
enum TypeInfo {
    Struct(HashMap<String, Ty>, Option<String>),
    Enum(Vec<String>),
    Alias(Ty),
}

#[derive(Default)]
struct Env {
    pous: HashMap<String, PouSig>,
    types: HashMap<String, TypeInfo>,
    globals: HashMap<String, Var>,
    /// Bare enumeration values (usable unqualified in CODESYS).
    enum_values: HashMap<String, String>,
    /// Diagnostics from declarations, with the index of their file.
    decl_diags: Vec<(usize, Diagnostic)>,
    current_file: usize,
}

impl Env {
    fn collect(&mut self, files: &[&SourceFile]) {
        // Names first, so declarations may refer to types declared later or elsewhere.
        for item in files.iter().flat_map(|f| &f.items) {
            match item {
                Item::Types(decls) => {
                    for d in decls {
                        let placeholder = match &d.def {
                            TypeDef::Enum(e) => TypeInfo::Enum(
                                e.values.iter().map(|(n, _)| upper(&n.name)).collect(),
                            ),
                            _ => TypeInfo::Alias(Ty::Unknown),
                        };
                        self.types.insert(upper(&d.name.name), placeholder);
                    }
                }
                Item::Pou(p) => {
                    self.pous.insert(upper(&p.name.name), PouSig::default());
                }
                _ => {}
            }
        }
        for (i, item) in files
            .iter()
            .enumerate()
            .flat_map(|(i, f)| f.items.iter().map(move |it| (i, it)))
        {
            self.current_file = i;
            match item {
                Item::Types(decls) => {
                    for d in decls {
                        let info = match &d.def {
                            TypeDef::Struct(s) | TypeDef::Union(s) => {
                                let mut fields = HashMap::new();
                                for f in &s.fields {
                                    let ty = self.resolve(&f.ty);
                                    for n in &f.names {
                                        fields.insert(upper(&n.name), ty.clone());
                                    }
                                }
                                TypeInfo::Struct(fields, s.extends.first().map(|e| upper(&e.name)))
                            }
                            TypeDef::Enum(e) => {
                                for (v, _) in &e.values {
                                    self.enum_values
                                        .entry(upper(&v.name))
                                        .or_insert_with(|| upper(&d.name.name));
                                }
                                TypeInfo::Enum(
                                    e.values.iter().map(|(n, _)| upper(&n.name)).collect(),
                                )
                            }
                            TypeDef::Alias(t, _) => TypeInfo::Alias(self.resolve(t)),
                        };
                        self.types.insert(upper(&d.name.name), info);
                    }
                }
                Item::Globals(b) => {
                    for v in self.vars_of(b) {
                        self.globals.insert(upper(&v.name), v);
                    }
                }
                Item::Pou(p) => {
                    let sig = self.signature(p);
                    self.pous.insert(upper(&p.name.name), sig);
                }
                Item::Configuration { .. } => {}
            }
        }
    }

    fn vars_of(&mut self, b: &VarBlock) -> Vec<Var> {
        let mut out = Vec::new();
        for d in &b.vars {
            let ty = self.resolve(&d.ty);
            for n in &d.names {
                out.push(Var {
                    ty: ty.clone(),
                    kind: b.kind,
                    constant: b.constant,
                    span: n.span,
                    name: n.name.clone(),
                });
            }
        }
        out
    }

    fn signature(&mut self, p: &Pou) -> PouSig {
        let mut sig = PouSig {
            kind: Some(p.kind),
            result: p.return_type.as_ref().map(|t| self.resolve(t)),
            extends: p.extends.first().map(|e| upper(&e.name)),
            ..PouSig::default()
        };
        for b in &p.var_blocks {
            for v in self.vars_of(b) {
                if matches!(v.kind, VarKind::Input | VarKind::Output | VarKind::InOut) {
                    sig.params.push((upper(&v.name), v.ty.clone(), v.kind));
                }
                sig.vars.push(v);
            }
        }
        for m in &p.members {
            match m.kind {
                PouKind::Property => {
                    let ty = m
                        .return_type
                        .as_ref()
                        .map_or(Ty::Unknown, |t| self.resolve(t));
                    sig.properties.insert(upper(&m.name.name), ty);
                }
                _ => {
                    let msig = self.signature(m);
                    sig.methods.insert(upper(&m.name.name), msig);
                }
            }
        }
        sig
    }

    /// The checker's type for a declared type; unknown names are reported once.
    fn resolve(&mut self, t: &TypeRef) -> Ty {
        match t {
            TypeRef::Named(n) => {
                if let Some(e) = Ty::elementary(&n.name) {
                    return e;
                }
                let u = upper(&n.name);
                match self.types.get(&u) {
                    Some(TypeInfo::Alias(t)) if !t.is_unknown() => t.clone(),
                    Some(_) => Ty::User(u),
                    None if self.pous.contains_key(&u) || self.std_fb(&u).is_some() => Ty::User(u),
                    // Qualified names point into libraries this file does not hold.
                    None if u.contains('.') => Ty::Unknown,
                    None => {
                        self.decl_diags.push((
                            self.current_file,
                            Diagnostic::error(Code::UnknownType, n.span, format!("unknown type `{}`", n.name)).with_help(
                                "declare it in a TYPE … END_TYPE block or as a FUNCTION_BLOCK, or use an elementary type such as INT, REAL or BOOL; if a library declares it, check together with the library's sources",
                            ),
                        ));
                        Ty::Unknown
                    }
                }
            }
            TypeRef::String { wide, .. } => Ty::String { wide: *wide },
            TypeRef::Array { dims, elem, .. } => Ty::Array {
                elem: Box::new(self.resolve(elem)),
                dims: dims.len(),
            },
            TypeRef::Pointer(t, _) => Ty::Pointer(Box::new(self.resolve(t))),
            TypeRef::Reference(t, _) => Ty::Reference(Box::new(self.resolve(t))),
            TypeRef::Subrange { base, .. } => Ty::elementary(&base.name).unwrap_or(Ty::Unknown),
            TypeRef::InlineEnum(e) => match &e.base {
                Some(b) => Ty::elementary(&b.name).unwrap_or(Ty::Unknown),
                None => Ty::Unknown,
            },
            TypeRef::InlineStruct(_) => Ty::Unknown,
        }
    }

    /// Members visible through an instance of `ty`: fields, FB inputs and outputs,
    /// methods and properties (following EXTENDS).
    fn member(&self, ty: &Ty, name: &str) -> Option<Member> {
        let Ty::User(t) = ty else { return None };
        let n = upper(name);
        if let Some(fb) = self.std_fb(t) {
            if let Some((_, ty)) = fb.inputs.iter().find(|(p, _)| *p == n) {
                return Some(Member::Param(Ty::elementary(ty)?, VarKind::Input));
            }
            if let Some((_, ty)) = fb.outputs.iter().find(|(p, _)| *p == n) {
                return Some(Member::Param(Ty::elementary(ty)?, VarKind::Output));
            }
            return None;
        }
        let mut current = Some(t.clone());
        let mut guard = 0;
        while let Some(t) = current.take() {
            guard += 1;
            if guard > 32 {
                break;
            }
            if let Some(sig) = self.pous.get(&t) {
                if let Some((_, ty, kind)) = sig.params.iter().find(|(p, _, _)| *p == n) {
                    return Some(Member::Param(ty.clone(), *kind));
                }
                if let Some(m) = sig.methods.get(&n) {
                    return Some(Member::Method(m.result.clone().unwrap_or(Ty::Void)));
                }
                if let Some(ty) = sig.properties.get(&n) {
                    return Some(Member::Field(ty.clone()));
                }
                // Internal variables: readable in CODESYS, so not an error to name.
                if let Some(v) = sig.vars.iter().find(|v| upper(&v.name) == n) {
                    return Some(Member::Field(v.ty.clone()));
                }
                current = sig.extends.clone();
            } else if let Some(TypeInfo::Struct(fields, extends)) = self.types.get(&t) {
                if let Some(ty) = fields.get(&n) {
                    return Some(Member::Field(ty.clone()));
                }
                current = extends.clone();
            }
        }
        None
    }

    /// The standard function block of that (upper-case) name, unless the
    /// project declares its own POU of that name, which then takes its place
    /// (as in CODESYS, where the project's POU shadows the library's).
    fn std_fb(&self, name: &str) -> Option<stdlib::StdFb> {
        if self.pous.contains_key(name) {
            None
        } else {
            stdlib::function_block(name)
        }
    }

    /// Whether the type name is something this checker can see into.
    fn knows(&self, ty: &Ty) -> bool {
        match ty {
            Ty::User(t) => {
                self.std_fb(t).is_some()
                    || self.pous.get(t).is_some_and(|p| {
                        p.kind != Some(PouKind::Interface)
                            && p.extends
                                .as_ref()
                                .is_none_or(|e| self.knows(&Ty::User(e.clone())))
                    })
                    || matches!(self.types.get(t), Some(TypeInfo::Struct(_, ext)) if ext.as_ref().is_none_or(|e| self.knows(&Ty::User(e.clone()))))
            }
            _ => false,
        }
    }
}

enum Member {
    Param(Ty, VarKind),
    Field(Ty),
    Method(Ty),
}

/// Checks one POU (or a method, whose `owner` is its function block).
fn check_pou(
    env: &Env,
    p: &Pou,
    owner: Option<&Pou>,
    diags: &mut Vec<Diagnostic>,
    types: Option<&mut Vec<(Span, Ty)>>,
) {
    let mut scope = Scope {
        types,
        env,
        locals: HashMap::new(),
        for_vars: Vec::new(),
        pou_name: upper(&p.name.name),
        owner_name: owner.map(|o| upper(&o.name.name)),
        result_assigned: false,
        diags,
    };
    if let Some(o) = owner {
        if let Some(sig) = env.pous.get(&upper(&o.name.name)) {
            for v in &sig.vars {
                scope.locals.insert(upper(&v.name), v.clone());
            }
        }
    }
    let sig = match owner {
        Some(o) => env
            .pous
            .get(&upper(&o.name.name))
            .and_then(|s| s.methods.get(&upper(&p.name.name)))
            .cloned(),
        None => env.pous.get(&upper(&p.name.name)).cloned(),
    };
    let own_vars: Vec<Var> = sig.as_ref().map(|s| s.vars.clone()).unwrap_or_default();
    let initialized: HashSet<String> = p
        .var_blocks
        .iter()
        .flat_map(|b| &b.vars)
        .filter(|d| d.init.is_some())
        .flat_map(|d| d.names.iter().map(|n| upper(&n.name)))
        .chain(
            p.var_blocks
                .iter()
                .filter(|b| b.constant)
                .flat_map(|b| &b.vars)
                .flat_map(|d| d.names.iter().map(|n| upper(&n.name))),
        )
        .collect();
    for v in &own_vars {
        scope.locals.insert(upper(&v.name), v.clone());
    }
    // One name, one variable: a second declaration (in any VAR section of the
    // block) would leave it unclear which one the body means.
    let mut seen = HashSet::new();
    for n in p
        .var_blocks
        .iter()
        .flat_map(|b| &b.vars)
        .flat_map(|d| &d.names)
    {
        if !seen.insert(upper(&n.name)) {
            scope.diags.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    n.span,
                    format!("`{}` is already declared in this block", n.name),
                )
                .with_help("rename or remove one of the two declarations"),
            );
        }
    }
    if let Some(body) = &p.body {
        scope.stmts(body);
    }
    for m in &p.members {
        match m.kind {
            PouKind::Method | PouKind::Action => {
                check_pou(env, m, Some(p), scope.diags, scope.types.as_deref_mut())
            }
            // GET and SET accessors see the block's variables, like methods.
            PouKind::Property => {
                for acc in &m.members {
                    check_pou(env, acc, Some(p), scope.diags, scope.types.as_deref_mut());
                }
            }
            _ => {}
        }
    }
    let returns = sig.as_ref().and_then(|s| s.result.clone()).is_some();
    if returns
        && matches!(p.kind, PouKind::Function | PouKind::Method)
        && p.body.as_ref().is_some_and(|b| !b.is_empty())
        && !scope.result_assigned
    {
        scope.diags.push(
            Diagnostic::warning(
                Code::ResultNeverAssigned,
                p.name.span,
                format!(
                    "{} {} never assigns its result",
                    p.kind.keyword(),
                    p.name.name
                ),
            )
            .with_help(format!("assign it with `{} := value;`", p.name.name)),
        );
    }
    if p.body.is_some() && p.kind != PouKind::Interface {
        let named = names_in_pou(p);
        let written = writes_in_pou(p);
        for v in &own_vars {
            if !matches!(v.kind, VarKind::Var | VarKind::Temp) {
                continue;
            }
            let u = upper(&v.name);
            if !named.contains(&u) {
                scope.diags.push(
                    Diagnostic::warning(
                        Code::Unused,
                        v.span,
                        format!("variable `{}` is never used", v.name),
                    )
                    .with_help("remove it, or use it"),
                );
            } else if !written.contains(&u)
                && !initialized.contains(&u)
                && !matches!(v.ty, Ty::User(_) | Ty::Unknown | Ty::Array { .. })
            {
                scope.diags.push(
                    Diagnostic::warning(
                        Code::NeverAssigned,
                        v.span,
                        format!("variable `{}` is read but never assigned, so it always holds its default", v.name),
                    )
                    .with_help("assign it, give it an initial value with :=, or declare it CONSTANT"),
                );
            }
        }
    }
}

struct Scope<'e, 'd> {
    env: &'e Env,
    locals: HashMap<String, Var>,
    /// Loop variables of the FOR loops around the current statement.
    for_vars: Vec<String>,
    pou_name: String,
    owner_name: Option<String>,
    result_assigned: bool,
    diags: &'d mut Vec<Diagnostic>,
    /// Where each expression's type is recorded, when asked for.
    types: Option<&'d mut Vec<(Span, Ty)>>,
}

impl Scope<'_, '_> {
    fn err(&mut self, code: Code, span: Span, msg: String, help: Option<String>) {
        let mut d = Diagnostic::error(code, span, msg);
        d.help = help;
        self.diags.push(d);
    }

    fn lookup(&mut self, name: &str) -> Option<Var> {
        let u = upper(name);
        if let Some(v) = self.locals.get(&u) {
            return Some(v.clone());
        }
        self.env.globals.get(&u).cloned()
    }

    fn suggest(&self, name: &str) -> Option<String> {
        let u = upper(name);
        let candidates = self.locals.keys().chain(self.env.globals.keys());
        let mut best: Option<(usize, &String)> = None;
        for c in candidates {
            let d = edit_distance(&u, c);
            if d <= 2 && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        }
        best.and_then(|(_, c)| {
            self.locals
                .get(c)
                .or_else(|| self.env.globals.get(c))
                .map(|v| v.name.clone())
        })
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn condition(&mut self, e: &Expr, what: &str) {
        let t = self.expr(e);
        if !t.is_bool() {
            self.err(
                Code::NotBool,
                e.span,
                format!("the condition of {what} must be BOOL, but this is {t}"),
                Some("compare it, e.g. `x <> 0`, or use a BOOL variable".into()),
            );
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Assign { target, value } | StmtKind::RefAssign { target, value } => {
                let tt = self.target(target);
                let vt = self.expr(value);
                if matches!(s.kind, StmtKind::Assign { .. }) {
                    self.assignable(&vt, &tt, value.span, "assign");
                }
            }
            StmtKind::SetReset { target, value, .. } => {
                let tt = self.target(target);
                let vt = self.expr(value);
                if !tt.is_bool() {
                    self.err(
                        Code::TypeMismatch,
                        target.span,
                        format!("S= and R= set a BOOL, but this is {tt}"),
                        None,
                    );
                }
                if !vt.is_bool() {
                    self.err(
                        Code::TypeMismatch,
                        value.span,
                        format!("the condition of S= or R= must be BOOL, not {vt}"),
                        None,
                    );
                }
            }
            StmtKind::Call(e) => {
                self.expr_stmt_call(e);
            }
            StmtKind::If {
                branches,
                else_body,
            } => {
                for (c, b) in branches {
                    self.condition(c, "IF");
                    self.stmts(b);
                }
                if let Some(b) = else_body {
                    self.stmts(b);
                }
            }
            StmtKind::Case {
                selector,
                arms,
                else_body,
            } => {
                let st = self.expr(selector);
                if !(st.is_integer() || matches!(st, Ty::Bits(_) | Ty::User(_))) {
                    self.err(
                        Code::TypeMismatch,
                        selector.span,
                        format!("CASE selects on an integer or enumeration, not {st}"),
                        None,
                    );
                }
                for arm in arms {
                    for l in &arm.labels {
                        match l {
                            CaseLabel::Value(v) => {
                                self.case_label(v, &st);
                            }
                            CaseLabel::Range(a, b) => {
                                self.case_label(a, &st);
                                self.case_label(b, &st);
                            }
                        }
                    }
                    self.stmts(&arm.body);
                }
                if let Some(b) = else_body {
                    self.stmts(b);
                } else if let Ty::User(en) = &st {
                    if let Some(TypeInfo::Enum(values)) = self.env.types.get(en) {
                        let covered: Vec<String> = arms
                            .iter()
                            .flat_map(|a| &a.labels)
                            .filter_map(|l| match l {
                                CaseLabel::Value(e) => enum_value_name(e),
                                CaseLabel::Range(..) => None,
                            })
                            .collect();
                        let missing: Vec<&String> =
                            values.iter().filter(|v| !covered.contains(v)).collect();
                        if !missing.is_empty()
                            && !arms
                                .iter()
                                .any(|a| a.labels.iter().any(|l| matches!(l, CaseLabel::Range(..))))
                        {
                            let list = missing
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ");
                            self.diags.push(
                                Diagnostic::warning(
                                    Code::CaseNotExhaustive,
                                    selector.span,
                                    format!("CASE over {en} does not handle {list}"),
                                )
                                .with_help("add the missing values or an ELSE branch"),
                            );
                        }
                    }
                }
            }
            StmtKind::For {
                var,
                from,
                to,
                by,
                body,
            } => {
                match self.lookup(&var.name) {
                    Some(v) if !v.ty.is_integer() => self.err(
                        Code::TypeMismatch,
                        var.span,
                        format!(
                            "the FOR variable `{}` must be an integer, but it is {}",
                            var.name, v.ty
                        ),
                        None,
                    ),
                    Some(_) => {}
                    None => self.unknown_name(var),
                }
                for e in [Some(from), Some(to), by.as_ref()].into_iter().flatten() {
                    let t = self.expr(e);
                    if !t.is_integer() {
                        self.err(
                            Code::TypeMismatch,
                            e.span,
                            format!("FOR bounds and steps are integers, but this is {t}"),
                            None,
                        );
                    }
                }
                self.for_vars.push(upper(&var.name));
                self.stmts(body);
                self.for_vars.pop();
            }
            StmtKind::While { cond, body } => {
                self.condition(cond, "WHILE");
                self.stmts(body);
            }
            StmtKind::Repeat { body, until } => {
                self.stmts(body);
                self.condition(until, "UNTIL");
            }
            StmtKind::Exit | StmtKind::Continue | StmtKind::Return | StmtKind::Empty => {}
        }
    }

    fn case_label(&mut self, e: &Expr, selector: &Ty) {
        // `Idle:` for a CASE over an enum names the enum's value.
        if let (ExprKind::Name(n), Ty::User(en)) = (&e.kind, selector) {
            if let Some(TypeInfo::Enum(values)) = self.env.types.get(en) {
                if values.contains(&upper(&n.name)) {
                    return;
                }
            }
        }
        let t = self.expr(e);
        // Enumerations are integers underneath; integer labels are accepted.
        if matches!(selector, Ty::User(_)) && t.is_integer() {
            return;
        }
        if t.compat(selector) == Compat::No && selector.compat(&t) == Compat::No {
            self.err(
                Code::TypeMismatch,
                e.span,
                format!("this CASE label is {t}, but the selector is {selector}"),
                None,
            );
        }
    }

    fn assignable(&mut self, value: &Ty, target: &Ty, span: Span, verb: &str) {
        match value.compat(target) {
            Compat::Yes => {}
            Compat::Lossy => {
                let help = match (value, target) {
                    (Ty::IntLiteral, Ty::Time | Ty::LTime) => {
                        "write a duration literal such as T#500ms".to_owned()
                    }
                    _ => format!("convert explicitly, e.g. {value}_TO_{target}(…)"),
                };
                self.diags.push(
                    Diagnostic::warning(
                        Code::LossyConversion,
                        span,
                        format!(
                            "implicit conversion from {value} to {target} may lose information"
                        ),
                    )
                    .with_help(help),
                )
            }
            Compat::No => {
                let help = match (value, target) {
                    (Ty::Real | Ty::LReal | Ty::RealLiteral, Ty::Int { .. }) => Some(format!(
                        "use {}_TO_{target}(…) (it rounds) or TRUNC(…)",
                        if *value == Ty::LReal { "LREAL" } else { "REAL" }
                    )),
                    (Ty::Bool, _) => Some(format!("use SEL(cond, 0, 1) or BOOL_TO_{target}(…)")),
                    (_, Ty::Bool) => Some("compare instead, e.g. `x <> 0`".into()),
                    _ => None,
                };
                self.err(
                    Code::TypeMismatch,
                    span,
                    format!("cannot {verb} {value} to {target}"),
                    help,
                );
            }
        }
    }

    fn unknown_name(&mut self, n: &Ident) {
        let help = self
            .suggest(&n.name)
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| Some("declare it in a VAR block".into()));
        self.err(
            Code::UnknownName,
            n.span,
            format!("unknown variable `{}`", n.name),
            help,
        );
    }

    /// The type of an assignment target, after checking it may be written.
    fn target(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Name(n) => {
                let u = upper(&n.name);
                if u == self.pou_name && !self.locals.contains_key(&u) {
                    self.result_assigned = true;
                    return self
                        .env
                        .pous
                        .get(&u)
                        .and_then(|p| p.result.clone())
                        .or_else(|| {
                            let o = self.owner_name.as_ref()?;
                            self.env.pous.get(o)?.methods.get(&u)?.result.clone()
                        })
                        .or_else(|| self.property_type(&u))
                        .unwrap_or(Ty::Unknown);
                }
                if self.for_vars.contains(&u) {
                    self.err(Code::ForVarAssigned, e.span, format!("`{}` is the FOR loop's variable and must not be assigned inside the loop", n.name), Some("use another variable, or a WHILE loop".into()));
                }
                match self.lookup(&n.name) {
                    Some(v) => {
                        if v.constant {
                            self.err(
                                Code::WriteConstant,
                                e.span,
                                format!("`{}` is a CONSTANT and cannot be assigned", n.name),
                                Some(
                                    "declare it in a VAR block without CONSTANT to change it"
                                        .into(),
                                ),
                            );
                        } else if v.kind == VarKind::Input && self.owner_name.is_none() {
                            self.diags.push(
                                Diagnostic::warning(
                                    Code::WriteInput,
                                    e.span,
                                    format!(
                                        "`{}` is a VAR_INPUT; writing it hides the caller's value",
                                        n.name
                                    ),
                                )
                                .with_help("copy it to a local variable and change that"),
                            );
                        }
                        v.ty
                    }
                    None => {
                        if self.property_type(&u).is_some() {
                            return Ty::Unknown;
                        }
                        self.unknown_name(n);
                        Ty::Unknown
                    }
                }
            }
            ExprKind::Member(base, m) => {
                let bt = self.expr(base);
                if let Some(Member::Param(_, VarKind::Output)) = self.env.member(&bt, &m.name) {
                    if !matches!(base.kind, ExprKind::This | ExprKind::Super)
                        && !matches!(&base.kind, ExprKind::Deref(b) if matches!(b.kind, ExprKind::This))
                    {
                        self.err(
                            Code::WriteOutput,
                            e.span,
                            format!(
                                "`{}` is an output of {bt}; only the block itself writes it",
                                m.name
                            ),
                            Some("connect it in the call instead: `inst(… , Q => target)`".into()),
                        );
                    }
                }
                self.expr(e)
            }
            _ => self.expr(e),
        }
    }

    fn property_type(&self, u: &str) -> Option<Ty> {
        let owner = self.owner_name.as_ref()?;
        self.env.pous.get(owner)?.properties.get(u).cloned()
    }

    /// A call used as a statement: FB instances are called here.
    fn expr_stmt_call(&mut self, e: &Expr) {
        let ExprKind::Call(f, args) = &e.kind else {
            self.expr(e);
            return;
        };
        if let ExprKind::Name(n) = &f.kind {
            if let Some(v) = self.lookup(&n.name) {
                if matches!(v.ty, Ty::User(_)) {
                    self.fb_call(&v.ty, &n.name, args);
                    return;
                }
            }
        }
        if let ExprKind::Member(base, m) = &f.kind {
            let bt = self.expr(base);
            if let Some(Member::Field(t @ Ty::User(_)) | Member::Param(t @ Ty::User(_), _)) =
                self.env.member(&bt, &m.name)
            {
                self.fb_call(&t, &m.name, args);
                return;
            }
        }
        self.expr(e);
    }

    fn fb_call(&mut self, ty: &Ty, inst: &str, args: &[Arg]) {
        let known = self.env.knows(ty);
        for a in args {
            let vt = if a.output || matches!(a.value.kind, ExprKind::Error) {
                if matches!(a.value.kind, ExprKind::Error) {
                    Ty::Unknown
                } else {
                    self.target(&a.value)
                }
            } else {
                self.expr(&a.value)
            };
            let Some(name) = &a.name else { continue };
            match self.env.member(ty, &name.name) {
                Some(Member::Param(pt, kind)) => {
                    if a.output && kind != VarKind::Output {
                        self.err(
                            Code::BadArgument,
                            name.span,
                            format!(
                                "`{}` is not an output of {ty}; inputs are passed with :=",
                                name.name
                            ),
                            None,
                        );
                    } else if !a.output && kind == VarKind::Output {
                        self.err(
                            Code::BadArgument,
                            name.span,
                            format!(
                                "`{}` is an output of {ty}; read it with `{} => variable`",
                                name.name, name.name
                            ),
                            None,
                        );
                    } else if a.output {
                        self.assignable(&pt, &vt, a.value.span, "pass output");
                    } else {
                        self.assignable(&vt, &pt, a.value.span, "pass");
                    }
                }
                _ if known => {
                    self.err(
                        Code::BadArgument,
                        name.span,
                        format!("{ty} (instance `{inst}`) has no parameter `{}`", name.name),
                        Some(self.param_list(ty)),
                    );
                }
                _ => {}
            }
        }
    }

    fn param_list(&self, ty: &Ty) -> String {
        let Ty::User(t) = ty else {
            return String::new();
        };
        let names: Vec<String> = if let Some(fb) = self.env.std_fb(t) {
            fb.inputs
                .iter()
                .chain(fb.outputs)
                .map(|(n, ty)| format!("{n} : {ty}"))
                .collect()
        } else if let Some(sig) = self.env.pous.get(t) {
            sig.params
                .iter()
                .map(|(n, ty, _)| format!("{n} : {ty}"))
                .collect()
        } else {
            Vec::new()
        };
        format!("its parameters are {}", names.join(", "))
    }

    fn expr(&mut self, e: &Expr) -> Ty {
        let t = self.expr_type(e);
        if let Some(types) = self.types.as_deref_mut() {
            types.push((e.span, t.clone()));
        }
        t
    }

    fn expr_type(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Literal(l) => self.literal(l),
            ExprKind::Name(n) => {
                let u = upper(&n.name);
                if let Some(v) = self.lookup(&n.name) {
                    return v.ty;
                }
                if u == self.pou_name {
                    return self
                        .env
                        .pous
                        .get(&u)
                        .and_then(|p| p.result.clone())
                        .unwrap_or(Ty::Unknown);
                }
                if let Some(en) = self.env.enum_values.get(&u) {
                    return Ty::User(en.clone());
                }
                if let Some(t) = self.property_type(&u) {
                    return t;
                }
                if self
                    .owner_name
                    .as_ref()
                    .and_then(|o| self.env.pous.get(o))
                    .is_some_and(|s| s.methods.contains_key(&u))
                {
                    return Ty::Unknown;
                }
                self.unknown_name(n);
                Ty::Unknown
            }
            ExprKind::This => self.owner_name.clone().map(Ty::User).unwrap_or(Ty::Unknown),
            ExprKind::Super => Ty::Unknown,
            ExprKind::Address(a) => match a.as_bytes().get(2).map(|b| b.to_ascii_uppercase()) {
                Some(b'X') => Ty::Bool,
                Some(b'B') => Ty::Bits(8),
                Some(b'W') => Ty::Bits(16),
                Some(b'D') => Ty::Bits(32),
                Some(b'L') => Ty::Bits(64),
                _ => Ty::Bool,
            },
            ExprKind::Member(base, m) => {
                // `E_State.Idle`: a qualified enumeration value.
                if let ExprKind::Name(n) = &base.kind {
                    let u = upper(&n.name);
                    if !self.locals.contains_key(&u) && !self.env.globals.contains_key(&u) {
                        if let Some(TypeInfo::Enum(values)) = self.env.types.get(&u) {
                            if values.contains(&upper(&m.name)) {
                                return Ty::User(u);
                            }
                            self.err(
                                Code::UnknownName,
                                m.span,
                                format!("{} has no value `{}`", n.name, m.name),
                                Some(format!("its values are {}", values.join(", "))),
                            );
                            return Ty::Unknown;
                        }
                    }
                }
                let bt = self.expr(base);
                let bt = match bt {
                    Ty::Reference(t) => *t,
                    t => t,
                };
                match self.env.member(&bt, &m.name) {
                    Some(Member::Param(t, _) | Member::Field(t) | Member::Method(t)) => t,
                    None if self.env.knows(&bt) => {
                        self.err(
                            Code::UnknownName,
                            m.span,
                            format!("{bt} has no member `{}`", m.name),
                            Some(self.param_list(&bt)),
                        );
                        Ty::Unknown
                    }
                    None => Ty::Unknown,
                }
            }
            ExprKind::Bit(base, bit) => {
                let bt = self.expr(base);
                let width = match bt {
                    Ty::Int { bits, .. } | Ty::Bits(bits) => Some(bits),
                    _ => None,
                };
                match width {
                    Some(w) if *bit >= u32::from(w) => self.err(
                        Code::TypeMismatch,
                        e.span,
                        format!("bit {bit} is out of range for {bt} (bits 0 to {})", w - 1),
                        None,
                    ),
                    None if !bt.is_unknown() => self.err(
                        Code::TypeMismatch,
                        e.span,
                        format!("bit access needs an integer or bit string, but this is {bt}"),
                        None,
                    ),
                    _ => {}
                }
                Ty::Bool
            }
            ExprKind::Index(base, idx) => {
                let bt = self.expr(base);
                for i in idx {
                    let t = self.expr(i);
                    if !(t.is_integer() || matches!(t, Ty::Bits(_) | Ty::User(_))) {
                        self.err(
                            Code::TypeMismatch,
                            i.span,
                            format!("an array index is an integer, not {t}"),
                            None,
                        );
                    }
                }
                match bt {
                    Ty::Array { elem, .. } => *elem,
                    _ => Ty::Unknown,
                }
            }
            ExprKind::Deref(base) => match self.expr(base) {
                Ty::Pointer(t) | Ty::Reference(t) => *t,
                _ => Ty::Unknown,
            },
            ExprKind::Call(f, args) => self.call(f, args, e.span),
            ExprKind::Unary(op, x) => {
                let t = self.expr(x);
                match op {
                    UnaryOp::Not => {
                        if !(t.is_bits()) {
                            self.err(
                                Code::TypeMismatch,
                                x.span,
                                format!("NOT needs BOOL or a bit string, but this is {t}"),
                                None,
                            );
                        }
                        t
                    }
                    _ => {
                        if !(t.is_numeric() || matches!(t, Ty::Time | Ty::LTime)) {
                            self.err(
                                Code::TypeMismatch,
                                x.span,
                                format!("a sign needs a number, but this is {t}"),
                                None,
                            );
                        }
                        t
                    }
                }
            }
            ExprKind::Binary(op, l, r) => {
                let lt = self.expr(l);
                let rt = self.expr(r);
                self.binary(*op, lt, rt, e.span)
            }
            ExprKind::Paren(x) => self.expr(x),
            ExprKind::Error => Ty::Unknown,
        }
    }

    fn literal(&mut self, l: &Literal) -> Ty {
        match l {
            Literal::Integer { typed: Some(t), .. } | Literal::Real { typed: Some(t), .. } => {
                Ty::elementary(&t.name).unwrap_or(Ty::Unknown)
            }
            Literal::Integer { .. } => Ty::IntLiteral,
            Literal::Real { .. } => Ty::RealLiteral,
            Literal::Bool { .. } => Ty::Bool,
            Literal::String { wide, .. } => Ty::String { wide: *wide },
            Literal::Duration { long, .. } => {
                if *long {
                    Ty::LTime
                } else {
                    Ty::Time
                }
            }
            Literal::Date { .. } => Ty::Date,
            Literal::TimeOfDay { .. } => Ty::TimeOfDay,
            Literal::DateAndTime { .. } => Ty::DateAndTime,
            Literal::EnumValue { ty, value } => {
                let u = upper(&ty.name);
                match self.env.types.get(&u) {
                    Some(TypeInfo::Enum(values)) => {
                        if !values.contains(&upper(&value.name)) {
                            self.err(
                                Code::UnknownName,
                                value.span,
                                format!("{} has no value `{}`", ty.name, value.name),
                                Some(format!("its values are {}", values.join(", "))),
                            );
                        }
                        Ty::User(u)
                    }
                    _ => {
                        self.err(
                            Code::UnknownType,
                            ty.span,
                            format!("`{}` is not an enumeration type", ty.name),
                            None,
                        );
                        Ty::Unknown
                    }
                }
            }
        }
    }

    /// The common type of two operands: `types::common` for elementary ones
    /// (the simulator's rule too); user types, pointers and arrays combine
    /// when one converts to the other.
    fn common(a: &Ty, b: &Ty) -> Option<Ty> {
        // A reference combines as what it refers to.
        if let Ty::Reference(x) = a {
            return Self::common(x, b);
        }
        if let Ty::Reference(y) = b {
            return Self::common(a, y);
        }
        let other = |t: &Ty| {
            matches!(
                t,
                Ty::User(_) | Ty::Pointer(_) | Ty::Array { .. } | Ty::String { .. }
            )
        };
        if !other(a) && !other(b) {
            return types::common(a, b);
        }
        if a.is_unknown() || b.is_unknown() {
            return Some(Ty::Unknown);
        }
        if a.compat(b) == Compat::Yes {
            return Some(b.clone());
        }
        if b.compat(a) == Compat::Yes {
            return Some(a.clone());
        }
        None
    }

    fn binary(&mut self, op: BinaryOp, lt: Ty, rt: Ty, span: Span) -> Ty {
        use BinaryOp::*;
        // A reference is read as what it refers to.
        let deref = |t: Ty| match t {
            Ty::Reference(x) => *x,
            t => t,
        };
        let (lt, rt) = (deref(lt), deref(rt));
        if !matches!(op, And | AndThen | Or | OrElse | Xor) {
            match types::time_arith(op, &lt, &rt) {
                Some(Ok(t)) => return t,
                Some(Err(why)) => {
                    self.err(Code::TypeMismatch, span, why, None);
                    return Ty::Unknown;
                }
                None => {}
            }
        }
        match op {
            Eq | Ne | Lt | Le | Gt | Ge => {
                if Self::common(&lt, &rt).is_none()
                    && !(matches!(lt, Ty::User(_)) || matches!(rt, Ty::User(_)))
                {
                    self.err(
                        Code::TypeMismatch,
                        span,
                        format!("cannot compare {lt} with {rt}"),
                        None,
                    );
                }
                Ty::Bool
            }
            And | AndThen | Or | OrElse | Xor => {
                if !lt.is_bits() || !rt.is_bits() {
                    let bad = if lt.is_bits() { &rt } else { &lt };
                    self.err(
                        Code::TypeMismatch,
                        span,
                        format!(
                            "{} needs BOOL or bit strings, but one side is {bad}",
                            op.symbol()
                        ),
                        Some("compare numbers first, e.g. `(a > 0) AND b`".into()),
                    );
                    return Ty::Unknown;
                }
                self.combined(op, &lt, &rt, span)
            }
            Add | Sub | Mul | Div | Mod | Pow => {
                if !lt.is_numeric() || !rt.is_numeric() {
                    let bad = if lt.is_numeric() { &rt } else { &lt };
                    // Bit strings in arithmetic are common in real code (WORD + 1).
                    if !matches!(bad, Ty::Bits(_)) {
                        self.err(
                            Code::TypeMismatch,
                            span,
                            format!("`{}` needs numbers, but one side is {bad}", op.symbol()),
                            None,
                        );
                        return Ty::Unknown;
                    }
                }
                if op == Pow {
                    return types::power(&lt, &rt).unwrap_or_else(|| {
                        self.err(
                            Code::TypeMismatch,
                            span,
                            format!("`**` needs numbers, not {lt} and {rt}"),
                            Some("convert a bit string first, e.g. WORD_TO_INT".into()),
                        );
                        Ty::Unknown
                    });
                }
                if op == Mod
                    && (matches!(lt, Ty::Real | Ty::LReal | Ty::RealLiteral)
                        || matches!(rt, Ty::Real | Ty::LReal | Ty::RealLiteral))
                {
                    self.err(
                        Code::TypeMismatch,
                        span,
                        "MOD needs integers".into(),
                        Some("use FMOD-like arithmetic: a - TRUNC(a / b) * b".into()),
                    );
                }
                self.combined(op, &lt, &rt, span)
            }
        }
    }

    /// The operands' common type, or an error saying they do not combine.
    fn combined(&mut self, op: BinaryOp, lt: &Ty, rt: &Ty, span: Span) -> Ty {
        Self::common(lt, rt).unwrap_or_else(|| {
            self.err(
                Code::TypeMismatch,
                span,
                format!("`{}` cannot combine {lt} and {rt}", op.symbol()),
                Some("convert one side first, e.g. with INT_TO_REAL or TO_DINT".into()),
            );
            Ty::Unknown
        })
    }

    fn call(&mut self, f: &Expr, args: &[Arg], span: Span) -> Ty {
        let arg_types: Vec<Ty> = args
            .iter()
            .map(|a| {
                if a.output {
                    Ty::Unknown
                } else {
                    self.expr(&a.value)
                }
            })
            .collect();
        match &f.kind {
            ExprKind::Name(n) => {
                let u = upper(&n.name);
                if let Some(sig) = self.env.pous.get(&u) {
                    return match sig.kind {
                        Some(PouKind::Function) => {
                            self.check_args(&n.name, &sig.params.clone(), args, &arg_types);
                            sig.result.clone().unwrap_or(Ty::Void)
                        }
                        _ => Ty::Unknown,
                    };
                }
                // A method or action of the running block, called by its bare name
                // (CODESYS and TwinCAT resolve it without THIS^).
                let block = self
                    .owner_name
                    .clone()
                    .unwrap_or_else(|| self.pou_name.clone());
                if let Some(Member::Method(result)) = self.env.member(&Ty::User(block), &n.name) {
                    return result;
                }
                if let Some(v) = self.lookup(&n.name) {
                    // An FB instance called inside an expression, or a method pointer.
                    return match v.ty {
                        Ty::User(_) => Ty::Unknown,
                        _ => Ty::Unknown,
                    };
                }
                if let Some(std) = stdlib::function(&u) {
                    for name in args.iter().filter_map(|a| a.name.as_ref()) {
                        if stdlib::named_position(&u, &name.name).is_none() {
                            self.err(
                                Code::BadArgument,
                                name.span,
                                format!("{} has no parameter `{}`", n.name, name.name),
                                Some(format!(
                                    "its parameters are {}",
                                    stdlib::describe_params(&u)
                                )),
                            );
                        }
                    }
                    // The arithmetic functions take numbers (ABS and NEG durations too).
                    let takes = match u.as_str() {
                        "ABS" | "NEG" => Some(("a number or a duration", true)),
                        "SQRT" | "LN" | "LOG" | "EXP" | "SIN" | "COS" | "TAN" | "ASIN" | "ACOS"
                        | "ATAN" | "ATAN2" | "EXPT" => Some(("a number", false)),
                        _ => None,
                    };
                    if let Some((what, durations)) = takes {
                        let mut refused = false;
                        for (a, t) in args.iter().zip(&arg_types) {
                            let ok =
                                t.is_numeric() || (durations && matches!(t, Ty::Time | Ty::LTime));
                            if !ok {
                                self.err(
                                    Code::BadArgument,
                                    a.value.span,
                                    format!("{} takes {what}, but this is {t}", n.name),
                                    None,
                                );
                                refused = true;
                            }
                        }
                        // Reported once: the call's value is not judged again.
                        if refused {
                            return Ty::Unknown;
                        }
                    }
                    let n_args = args.len();
                    if n_args < std.min_args || std.max_args.is_some_and(|m| n_args > m) {
                        let want = match std.max_args {
                            Some(m) if m == std.min_args => format!("{m}"),
                            Some(m) => format!("{} to {m}", std.min_args),
                            None => format!("at least {}", std.min_args),
                        };
                        self.err(
                            Code::BadArgument,
                            span,
                            format!("{} takes {want} argument(s), not {n_args}", n.name),
                            None,
                        );
                    }
                    if let Some(op) = stdlib::operator(&u) {
                        // Typed as its operator: GT(a, b, c) is a > b AND b > c,
                        // ADD(a, b, c) is a + b + c.
                        let compare = op.is_comparison();
                        let mut acc: Option<Ty> = None;
                        for (i, t) in arg_types.iter().enumerate() {
                            acc = Some(match acc {
                                None => t.clone(),
                                Some(a) if compare => {
                                    self.binary(op, arg_types[i - 1].clone(), t.clone(), span);
                                    a
                                }
                                Some(a) => self.binary(op, a, t.clone(), span),
                            });
                        }
                        return if compare {
                            Ty::Bool
                        } else {
                            acc.unwrap_or(Ty::Unknown)
                        };
                    }
                    return match std.result {
                        stdlib::StdFn::Returns(t) => t,
                        // ABS(5) is still a literal, taking the type of what it meets.
                        stdlib::StdFn::ArgType(i) => {
                            arg_types.get(i).cloned().unwrap_or(Ty::Unknown)
                        }
                        // The simulator's rule too.
                        stdlib::StdFn::RealOfArg(i) => match arg_types.get(i) {
                            Some(Ty::Unknown) | None => Ty::Unknown,
                            _ => types::real_function(&arg_types),
                        },
                        stdlib::StdFn::CommonFrom(i) => {
                            let mut acc: Option<Ty> = None;
                            for t in arg_types.iter().skip(i) {
                                acc = Some(match acc {
                                    None => t.clone(),
                                    Some(a) => match Self::common(&a, t) {
                                        Some(c) => c,
                                        None => {
                                            self.err(
                                                Code::TypeMismatch,
                                                span,
                                                format!("{} mixes {a} and {t}", n.name),
                                                Some("give every argument one type".into()),
                                            );
                                            Ty::Unknown
                                        }
                                    },
                                });
                            }
                            acc.unwrap_or(Ty::Unknown)
                        }
                        stdlib::StdFn::PointerToArg => {
                            Ty::Pointer(Box::new(arg_types.first().cloned().unwrap_or(Ty::Unknown)))
                        }
                    };
                }
                if u.starts_with("__") || u.contains('.') {
                    return Ty::Unknown;
                }
                self.err(
                    Code::UnknownFunction,
                    n.span,
                    format!("unknown function `{}`", n.name),
                    Some("declare it as a FUNCTION or check the name against the IEC standard functions; if a library declares it, check together with the library's sources".into()),
                );
                Ty::Unknown
            }
            ExprKind::Member(base, m) => {
                let bt = self.expr(base);
                match self.env.member(&bt, &m.name) {
                    Some(Member::Method(t)) => t,
                    _ => Ty::Unknown,
                }
            }
            _ => {
                self.expr(f);
                Ty::Unknown
            }
        }
    }

    fn check_args(
        &mut self,
        fname: &str,
        params: &[(String, Ty, VarKind)],
        args: &[Arg],
        types: &[Ty],
    ) {
        let inputs: Vec<&(String, Ty, VarKind)> =
            params.iter().filter(|p| p.2 != VarKind::Output).collect();
        let positional = args.iter().all(|a| a.name.is_none());
        if positional && args.len() > inputs.len() {
            self.err(
                Code::BadArgument,
                args[inputs.len()].value.span,
                format!(
                    "{fname} takes {} input(s), but {} were given",
                    inputs.len(),
                    args.len()
                ),
                None,
            );
        }
        for (i, (a, t)) in args.iter().zip(types).enumerate() {
            let param = match &a.name {
                Some(n) => match params.iter().find(|p| p.0 == upper(&n.name)) {
                    Some(p) => p,
                    None => {
                        let names: Vec<&str> = params.iter().map(|p| p.0.as_str()).collect();
                        self.err(
                            Code::BadArgument,
                            n.span,
                            format!("{fname} has no parameter `{}`", n.name),
                            Some(format!("its parameters are {}", names.join(", "))),
                        );
                        continue;
                    }
                },
                None => match inputs.get(i) {
                    Some(p) => p,
                    None => continue,
                },
            };
            if !a.output {
                self.assignable(t, &param.1, a.value.span, "pass");
            }
        }
    }
}

/// Every name a POU and its members mention (upper-case), for the
/// unused-variable warning: in code, initial values and declared bounds.
fn names_in_pou(p: &Pou) -> HashSet<String> {
    struct Names(HashSet<String>);
    impl<'a> Visit<'a> for Names {
        fn visit_name_ref(&mut self, n: &'a Ident) {
            self.0.insert(upper(&n.name));
        }
    }
    let mut v = Names(HashSet::new());
    v.visit_pou(p);
    v.0
}

/// Names a POU and its members may write: assignment targets (the variable at
/// the root of `a.b[i]`), outputs connected with `=>`, FOR variables, and — to
/// stay conservative — anything passed to a call (it may be a VAR_IN_OUT).
fn writes_in_pou(p: &Pou) -> HashSet<String> {
    struct Writes(HashSet<String>);
    impl<'a> Visit<'a> for Writes {
        fn visit_stmt(&mut self, s: &'a Stmt) {
            match &s.kind {
                StmtKind::Assign { target, .. }
                | StmtKind::RefAssign { target, .. }
                | StmtKind::SetReset { target, .. } => {
                    self.0.extend(root_name(target).map(|n| upper(&n.name)));
                }
                StmtKind::For { var, .. } => {
                    self.0.insert(upper(&var.name));
                }
                _ => {}
            }
            walk_stmt(self, s)
        }
        fn visit_arg(&mut self, a: &'a Arg) {
            self.0.extend(root_name(&a.value).map(|n| upper(&n.name)));
            walk_arg(self, a)
        }
    }
    let mut v = Writes(HashSet::new());
    v.visit_pou(p);
    v.0
}

/// `Idle` or `E_State.Idle` or `E_State#Idle` → `IDLE`.
fn enum_value_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(upper(&n.name)),
        ExprKind::Member(_, m) => Some(upper(&m.name)),
        ExprKind::Literal(Literal::EnumValue { value, .. }) => Some(upper(&value.name)),
        _ => None,
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
