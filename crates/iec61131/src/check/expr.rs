//! Expressions: the type of every expression (recorded when asked for),
//! literals, operators by the shared rules of `sema::types`, and calls of
//! functions, methods and the standard library.

use super::{upper, Member, Scope, TypeInfo};
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::sema::types::{self, Compat, Ty};
use crate::sema::{stdlib, Callee};
use crate::token::Span;

impl Scope<'_, '_> {
    pub(super) fn expr(&mut self, e: &Expr) -> Ty {
        let t = self.expr_type(e);
        if let Some(types) = self.types.as_deref_mut() {
            types.push((e.span, t.clone()));
        }
        t
    }

    pub(super) fn expr_type(&mut self, e: &Expr) -> Ty {
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

    pub(super) fn literal(&mut self, l: &Literal) -> Ty {
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
    pub(super) fn common(a: &Ty, b: &Ty) -> Option<Ty> {
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

    pub(super) fn binary(&mut self, op: BinaryOp, lt: Ty, rt: Ty, span: Span) -> Ty {
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
                if let Some(t) = types::pointer_arith(op, &lt, &rt) {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::PointerDialect,
                            span,
                            format!("CODESYS moves a {t} by bytes with `{}`; IEC 61131-3 has no pointer arithmetic", op.symbol()),
                        )
                        .with_help("index an array instead, e.g. `buffer[i]`"),
                    );
                    return t;
                }
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
    pub(super) fn combined(&mut self, op: BinaryOp, lt: &Ty, rt: &Ty, span: Span) -> Ty {
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

    pub(super) fn call(&mut self, f: &Expr, args: &[Arg], span: Span) -> Ty {
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
                // A method or action of the running block is called by its bare
                // name (CODESYS and TwinCAT resolve it without THIS^).
                let block = self
                    .owner_name
                    .clone()
                    .unwrap_or_else(|| self.pou_name.clone());
                // The model's order (the simulator binds by it too); only a
                // variable of that name comes between a method and the
                // standard library here: an FB instance called inside an
                // expression, or a method pointer, is not judged.
                match self.env.callee(&n.name, &block) {
                    Callee::Function => {
                        let sig = &self.env.pous[&u];
                        self.check_args(&n.name, &sig.params.clone(), args, &arg_types);
                        return sig.result.clone().unwrap_or(Ty::Void);
                    }
                    Callee::NotAFunction(_) => return Ty::Unknown,
                    Callee::Method => {
                        return match self.env.member(&Ty::User(block), &n.name) {
                            Some(Member::Method(result)) => result,
                            _ => Ty::Unknown,
                        };
                    }
                    Callee::Unknown if self.env.pous.contains_key(&u) => return Ty::Unknown,
                    Callee::Standard | Callee::Unknown => {}
                }
                if self.lookup(&n.name).is_some() {
                    return Ty::Unknown;
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
                    let takes = match std.takes {
                        stdlib::Takes::NumbersOrDurations => Some(("a number or a duration", true)),
                        stdlib::Takes::Numbers => Some(("a number", false)),
                        stdlib::Takes::Any => None,
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
                    // Typed in the standard's order: positional arguments, then
                    // named ones where their names put them (as the simulator runs them).
                    let arg_types: Vec<Ty> = stdlib::standard_order(&u, args)
                        .into_iter()
                        .map(|k| arg_types[k].clone())
                        .collect();
                    if let Some(wrong) = stdlib::wrong_arity(std.min_args, std.max_args, args.len())
                    {
                        self.err(Code::BadArgument, span, format!("{} {wrong}", n.name), None);
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

    pub(super) fn check_args(
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
