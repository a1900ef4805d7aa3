//! Statements: assignments and their targets, IF/CASE/FOR/WHILE/REPEAT, and
//! function block calls with their parameters.

use super::{enum_value_name, upper, Member, Scope, TypeInfo};
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::sema::types::{self, Compat, Ty};
use crate::token::Span;

impl Scope<'_, '_> {
    pub(super) fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    pub(super) fn condition(&mut self, e: &Expr, what: &str) {
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

    pub(super) fn stmt(&mut self, s: &Stmt) {
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

    pub(super) fn case_label(&mut self, e: &Expr, selector: &Ty) {
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

    pub(super) fn assignable(&mut self, value: &Ty, target: &Ty, span: Span, verb: &str) {
        if let Some(why) = types::pointer_dialect(value, target) {
            self.diags.push(
                Diagnostic::warning(Code::PointerDialect, span, why).with_help(
                    "declare the pointer with the type it points to, or use REF_TO and REF() as IEC 61131-3 does",
                ),
            );
            return;
        }
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

    pub(super) fn unknown_name(&mut self, n: &Ident) {
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
    pub(super) fn target(&mut self, e: &Expr) -> Ty {
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

    pub(super) fn property_type(&self, u: &str) -> Option<Ty> {
        let owner = self.owner_name.as_ref()?;
        self.env.pous.get(owner)?.properties.get(u).cloned()
    }

    /// A call used as a statement: FB instances are called here.
    pub(super) fn expr_stmt_call(&mut self, e: &Expr) {
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

    pub(super) fn fb_call(&mut self, ty: &Ty, inst: &str, args: &[Arg]) {
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

    pub(super) fn param_list(&self, ty: &Ty) -> String {
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
}
