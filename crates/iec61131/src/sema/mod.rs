//! The semantic model of a Structured Text project: what every name denotes.
//!
//! One pass over the parsed files ([`Model::build`]) gives every declaration
//! (POUs with their parameters and variables, types, globals, enumeration
//! values) resolved to a [`Ty`]; the queries below decide what a type name or
//! a called name means. The checker ([`crate::check`]), the simulator's
//! lowering ([`crate::sim`]) and the decoding grammar all read this model, so
//! they cannot disagree about which block a name is (the project's own POU
//! shadows a standard block of its name) or what a block's parameters are.
//!
//! - [`types`]: the checker's types and the typing rules both sides use.
//! - [`stdlib`]: the standard library's interfaces and result-type rules.
//! - [`uses`]: every name a POU mentions and how (read, written, passed).

pub mod stdlib;
pub mod types;
pub mod uses;

use std::collections::HashMap;

use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::token::Span;
use types::Ty;

pub(crate) fn upper(s: &str) -> String {
    s.to_ascii_uppercase()
}

#[derive(Debug, Clone)]
pub struct Symbol {
    /// As declared (the checker compares upper-case).
    pub name: String,
    pub ty: Ty,
    /// The VAR section it is declared in.
    pub kind: VarKind,
    pub constant: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct Signature {
    pub(crate) kind: Option<PouKind>,
    /// Inputs, outputs and in-outs in declaration order (for positional calls).
    pub(crate) params: Vec<(String, Ty, VarKind)>,
    pub(crate) result: Option<Ty>,
    /// Everything declared, for method bodies that see their FB's variables.
    pub(crate) vars: Vec<Symbol>,
    pub(crate) methods: HashMap<String, Signature>,
    pub(crate) properties: HashMap<String, Ty>,
    pub(crate) extends: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum TypeInfo {
    Struct(HashMap<String, Ty>, Option<String>),
    Enum(Vec<String>),
    Alias(Ty),
}

#[derive(Default)]
pub struct Model {
    pub(crate) pous: HashMap<String, Signature>,
    pub(crate) types: HashMap<String, TypeInfo>,
    pub(crate) globals: HashMap<String, Symbol>,
    /// Bare enumeration values (usable unqualified in CODESYS).
    pub(crate) enum_values: HashMap<String, String>,
    /// Diagnostics from declarations, with the index of their file.
    pub(crate) decl_diags: Vec<(usize, Diagnostic)>,
    pub(crate) current_file: usize,
}

impl Model {
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
                    let placeholder = Signature {
                        kind: Some(p.kind),
                        ..Signature::default()
                    };
                    self.pous.insert(upper(&p.name.name), placeholder);
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
                    let sig = self.sign(p);
                    self.pous.insert(upper(&p.name.name), sig);
                }
                Item::Configuration { .. } => {}
            }
        }
    }

    fn vars_of(&mut self, b: &VarBlock) -> Vec<Symbol> {
        let mut out = Vec::new();
        for d in &b.vars {
            let ty = self.resolve(&d.ty);
            for n in &d.names {
                out.push(Symbol {
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

    fn sign(&mut self, p: &Pou) -> Signature {
        let mut sig = Signature {
            kind: Some(p.kind),
            result: p.return_type.as_ref().map(|t| self.resolve(t)),
            extends: p.extends.first().map(|e| upper(&e.name)),
            ..Signature::default()
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
                    let msig = self.sign(m);
                    sig.methods.insert(upper(&m.name.name), msig);
                }
            }
        }
        sig
    }

    /// The checker's type for a declared type; unknown names are reported once.
    pub(crate) fn resolve(&mut self, t: &TypeRef) -> Ty {
        match t {
            TypeRef::Named(n) => {
                let u = upper(&n.name);
                match self.type_name(&n.name) {
                    TypeName::Elementary(e) => e,
                    TypeName::Declared => match self.types.get(&u) {
                        Some(TypeInfo::Alias(t)) if !t.is_unknown() => t.clone(),
                        _ => Ty::User(u),
                    },
                    TypeName::Pou(_) | TypeName::StdFb => Ty::User(u),
                    // Qualified names point into libraries this file does not hold.
                    TypeName::Unknown if u.contains('.') => Ty::Unknown,
                    TypeName::Unknown => {
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
    pub(crate) fn member(&self, ty: &Ty, name: &str) -> Option<Member> {
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
    pub(crate) fn std_fb(&self, name: &str) -> Option<&'static stdlib::FunctionBlock> {
        if self.pous.contains_key(name) {
            None
        } else {
            stdlib::function_block(name)
        }
    }

    /// Whether the type name is something this checker can see into.
    pub(crate) fn knows(&self, ty: &Ty) -> bool {
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

pub(crate) enum Member {
    Param(Ty, VarKind),
    Field(Ty),
    Method(Ty),
}

/// What a type name denotes. The order of precedence is the checker's and the
/// simulator's: elementary types, then TYPE declarations, then the project's
/// POUs, then the standard function blocks.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeName {
    Elementary(Ty),
    /// Declared in a TYPE block (struct, union, enumeration or alias).
    Declared,
    /// A POU of the project, of this kind.
    Pou(PouKind),
    /// A standard function block (TON, CTU, R_TRIG …) no project POU shadows.
    StdFb,
    Unknown,
}

/// What a name written as a call (`name(…)`) denotes, before variables: a
/// caller looks at the variables in scope when this is `Standard` or `Unknown`
/// (an FB instance or a method pointer called in an expression).
#[derive(Debug, Clone, PartialEq)]
pub enum Callee {
    /// A FUNCTION of the project.
    Function,
    /// A POU of the project that is not a function (calling it is not a call).
    NotAFunction(PouKind),
    /// A method or action of the running block (or a block it extends).
    Method,
    /// A standard function (ADD, LIMIT, INT_TO_REAL …).
    Standard,
    Unknown,
}

impl Model {
    /// The model of files that form one project (each may use what the
    /// others declare). Declarations it could not resolve are in
    /// [`Model::diagnostics`].
    pub fn build(files: &[&SourceFile]) -> Model {
        let mut m = Model::default();
        m.collect(files);
        m
    }

    /// Diagnostics of the declarations (unknown types), with their file's index.
    pub fn diagnostics(&self) -> &[(usize, Diagnostic)] {
        &self.decl_diags
    }

    /// The signature of a POU of the project, by name (any case).
    pub fn pou(&self, name: &str) -> Option<&Signature> {
        self.pous.get(&upper(name))
    }

    /// The global variables (VAR_GLOBAL), in no particular order.
    pub fn globals(&self) -> impl Iterator<Item = &Symbol> {
        self.globals.values()
    }

    /// What the (any-case) type name `name` denotes.
    pub fn type_name(&self, name: &str) -> TypeName {
        if let Some(e) = Ty::elementary(name) {
            return TypeName::Elementary(e);
        }
        let u = upper(name);
        if self.types.contains_key(&u) {
            TypeName::Declared
        } else if let Some(p) = self.pous.get(&u) {
            p.kind.map_or(TypeName::Unknown, TypeName::Pou)
        } else if stdlib::function_block(&u).is_some() {
            TypeName::StdFb
        } else {
            TypeName::Unknown
        }
    }

    /// What `name(…)` calls inside `block` (the running POU, or the function
    /// block a method belongs to).
    pub fn callee(&self, name: &str, block: &str) -> Callee {
        let u = upper(name);
        if let Some(sig) = self.pous.get(&u) {
            return match sig.kind {
                Some(PouKind::Function) => Callee::Function,
                Some(k) => Callee::NotAFunction(k),
                None => Callee::Unknown,
            };
        }
        if let Some(Member::Method(_)) = self.member(&Ty::User(upper(block)), name) {
            return Callee::Method;
        }
        if stdlib::function(&u).is_some() {
            Callee::Standard
        } else {
            Callee::Unknown
        }
    }

    /// The variables code in `pou` may name: its own (for a method or action
    /// given as `FB.M`, the block's too) and the globals; each once, the
    /// innermost declaration winning.
    pub fn visible(&self, pou: &str) -> Vec<Symbol> {
        let mut out: Vec<Symbol> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let u = upper(pou);
        let mut scopes: Vec<&Signature> = Vec::new();
        if let Some((block, member)) = u.split_once('.') {
            if let Some(b) = self.pous.get(block) {
                scopes.extend(b.methods.get(member));
                scopes.push(b);
            }
        } else {
            scopes.extend(self.pous.get(&u));
        }
        let own = scopes.iter().flat_map(|s| &s.vars);
        let mut globals: Vec<&Symbol> = self.globals.values().collect();
        globals.sort_by(|a, b| a.name.cmp(&b.name));
        for v in own.chain(globals) {
            if seen.insert(upper(&v.name)) {
                out.push(v.clone());
            }
        }
        out
    }
}

impl Signature {
    /// FUNCTION, FUNCTION_BLOCK, PROGRAM, METHOD …
    pub fn kind(&self) -> Option<PouKind> {
        self.kind
    }

    /// Inputs, outputs and in-outs in declaration order: (upper-case name, type, section).
    pub fn params(&self) -> &[(String, Ty, VarKind)] {
        &self.params
    }

    /// A function's or method's result type.
    pub fn result(&self) -> Option<&Ty> {
        self.result.as_ref()
    }

    /// Every variable declared, in declaration order.
    pub fn vars(&self) -> &[Symbol] {
        &self.vars
    }
}

impl Symbol {
    /// Whether code in the POU may assign it (not a CONSTANT; an input is
    /// writable but a warning, so it counts as not writable here).
    pub fn writable(&self) -> bool {
        !self.constant && self.kind != VarKind::Input
    }
}

#[cfg(test)]
mod tests;
