//! Expressions: literals, unary and binary operators in the scalar kind
//! they work in (by `sema::types`), and implicit conversions made explicit.

use super::*;

impl<'a> Compiler<'a> {
    /// An expression converted to the type of where it goes.
    pub(super) fn value(&mut self, s: Scope, e: &ast::Expr, to: &SType) -> Res<Expr> {
        let t = self.expr(s, e)?;
        let Some(target) = to.scalar() else {
            return err(e.span, "a structured value is expected here");
        };
        // A pointer is a cell index here, not a byte address: it may only be
        // kept as what it points to.
        let pointee = |t: &SType| match t {
            SType::Pointer(p) => Some(p.clone()),
            _ => None,
        };
        match (pointee(&t.ty), pointee(to)) {
            (Some(a), Some(b)) if a != b => return err(
                e.span,
                "the simulator does not convert a pointer to one type into a pointer to another",
            ),
            (Some(_), None) | (None, Some(_))
                if !t.lit || !matches!(t.e, Expr::Const(ref v) if v.int() == 0) =>
            {
                return err(
                    e.span,
                    "the simulator does not convert between pointers and integers",
                )
            }
            _ => {}
        }
        self.coerce(t, target, e.span)
    }

    pub(super) fn coerce(&self, t: Typed, to: Num, span: Span) -> Res<Expr> {
        let Some(from) = t.ty.scalar() else {
            return err(span, "a structure, array or instance is not a value here");
        };
        if from.is_str() != to.is_str() {
            return err(
                span,
                "strings and numbers do not convert implicitly; use a *_TO_* function",
            );
        }
        Ok(conv(from, to, t.e, span))
    }

    // ---- places -----------------------------------------------------------

    pub(super) fn expr(&mut self, s: Scope, e: &ast::Expr) -> Res<Typed> {
        let t = self.expr_typed(s, e)?;
        if self.record && !t.lit {
            if let Some(n) = t.ty.scalar() {
                self.recorded.push((self.file, e.span, Ty::from(n)));
            }
        }
        Ok(t)
    }

    pub(super) fn expr_typed(&mut self, s: Scope, e: &ast::Expr) -> Res<Typed> {
        let typed = |e: Expr, ty: SType| Typed { e, ty, lit: false };
        match &e.kind {
            ExprKind::Literal(l) => self.literal(l, e.span),
            ExprKind::Name(n) => {
                if self.lookup_var(s, &n.name).is_some() {
                    let (p, t) = self.place(s, e)?;
                    return Ok(typed(Expr::Load(p), t));
                }
                let u = up(&n.name);
                if let Some((v, t)) = self.constants.get(&u) {
                    return Ok(typed(Expr::Const(v.clone()), t.clone()));
                }
                if let Some(&(id, v)) = self.enum_values.get(&u) {
                    return Ok(typed(Expr::Const(Value::I(v)), SType::Enum(id)));
                }
                err(
                    n.span,
                    format!("`{}` is not a variable the simulator knows", n.name),
                )
            }
            ExprKind::Member(base, m) => {
                // `E_State.Idle`: a qualified enumeration value.
                if let ExprKind::Name(n) = &base.kind {
                    if self.lookup_var(s, &n.name).is_none()
                        && !self.prog.by_name.contains_key(&up(&n.name))
                    {
                        if let Ok(SType::Enum(id)) = self.named_type(n) {
                            let v = self.prog.enums[id]
                                .values
                                .iter()
                                .find(|(name, _)| name.eq_ignore_ascii_case(&m.name))
                                .map(|v| v.1)
                                .ok_or((m.span, format!("{} has no value `{}`", n.name, m.name)))?;
                            return Ok(typed(Expr::Const(Value::I(v)), SType::Enum(id)));
                        }
                    }
                }
                let (p, t) = self.place(s, e)?;
                Ok(typed(Expr::Load(p), t))
            }
            ExprKind::Index(..) | ExprKind::Deref(_) => {
                let (p, t) = self.place(s, e)?;
                Ok(typed(Expr::Load(p), t))
            }
            ExprKind::Bit(base, bit) => {
                let (p, t) = self.place(s, base)?;
                match t.scalar() {
                    Some(n) if n.is_int() || matches!(n, Num::Bits(_)) => {
                        check_bit(n, *bit, e.span)?
                    }
                    _ => return err(base.span, "bit access needs an integer or bit string"),
                }
                Ok(typed(Expr::LoadBit(p, *bit as u8), SType::num(Num::Bool)))
            }
            ExprKind::Paren(inner) => self.expr(s, inner),
            ExprKind::Unary(op, x) => {
                let t = self.expr(s, x)?;
                let n =
                    t.ty.scalar()
                        .ok_or((x.span, "an operator needs a scalar value".to_string()))?;
                match op {
                    UnaryOp::Plus => Ok(t),
                    UnaryOp::Neg => negate(t, n, x.span),
                    UnaryOp::Not => {
                        if n.is_str() || n.is_real() {
                            return err(x.span, "NOT needs a BOOL or bit string");
                        }
                        Ok(Typed {
                            e: Expr::Not(Box::new(t.e), n),
                            ..t
                        })
                    }
                }
            }
            ExprKind::Binary(op, a, b) => self.binary(s, *op, a, b, e.span),
            ExprKind::Call(f, args) => self.call_expr(s, f, args, e.span),
            ExprKind::This | ExprKind::Super => err(e.span, "THIS and SUPER are used with ^"),
            ExprKind::Address(a) => err(
                e.span,
                format!("direct address {a} has no value in simulation; declare a variable AT it"),
            ),
            ExprKind::Error => err(e.span, "unparsed expression"),
        }
    }

    pub(super) fn literal(&mut self, l: &Literal, span: Span) -> Res<Typed> {
        let mk = |v: Value, n: Num, lit: bool| Typed {
            e: Expr::Const(v),
            ty: SType::Scalar(n, if n.is_str() { MAX_STRING } else { 0 }),
            lit,
        };
        Ok(match l {
            Literal::Integer { value, typed } => {
                let v = *value as i64;
                match typed {
                    Some(t) => {
                        let n = elementary(&t.name)
                            .ok_or((t.span, format!("{} is not an elementary type", t.name)))?;
                        mk(
                            stdfn::convert(
                                Num::Int {
                                    bits: 64,
                                    signed: true,
                                },
                                n,
                                Value::I(v),
                            ),
                            n,
                            false,
                        )
                    }
                    None => {
                        let bits = if i32::try_from(v).is_ok() { 32 } else { 64 };
                        mk(Value::I(v), Num::Int { bits, signed: true }, true)
                    }
                }
            }
            Literal::Real { value, typed } => match typed {
                Some(t) => {
                    let n = elementary(&t.name)
                        .filter(|n| n.is_real())
                        .ok_or((t.span, format!("{}# does not take a real", t.name)))?;
                    mk(stdfn::convert(Num::LReal, n, Value::R(*value)), n, false)
                }
                None => mk(Value::R(*value), Num::LReal, true),
            },
            Literal::Bool { value, .. } => mk(Value::I(*value as i64), Num::Bool, false),
            Literal::String { value, wide } => {
                mk(Value::S(value.clone()), Num::Str { wide: *wide }, true)
            }
            Literal::Duration { ns, long } => {
                if *long {
                    mk(Value::I(*ns), Num::LTime, false)
                } else {
                    mk(Value::I(ns / 1_000_000), Num::Time, false)
                }
            }
            Literal::Date { y, m, d } => {
                mk(Value::I(stdfn::date_secs(*y, *m, *d)), Num::Date, false)
            }
            Literal::TimeOfDay { ns } => mk(Value::I(ns / 1_000_000), Num::Tod, false),
            Literal::DateAndTime { date, ns } => mk(
                Value::I(stdfn::date_secs(date.0, date.1, date.2) + ns / 1_000_000_000),
                Num::Dt,
                false,
            ),
            Literal::EnumValue { ty, value } => {
                let SType::Enum(id) = self.named_type(ty)? else {
                    return err(ty.span, format!("{} is not an enumeration", ty.name));
                };
                let v = self.prog.enums[id]
                    .values
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&value.name))
                    .map(|v| v.1)
                    .ok_or((
                        value.span,
                        format!("{} has no value `{}`", ty.name, value.name),
                    ))?;
                let _ = span;
                Typed {
                    e: Expr::Const(Value::I(v)),
                    ty: SType::Enum(id),
                    lit: false,
                }
            }
        })
    }

    pub(super) fn binary(
        &mut self,
        s: Scope,
        op: BinaryOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
    ) -> Res<Typed> {
        let x = self.expr(s, a)?;
        let y = self.expr(s, b)?;
        self.combine(op, x, y, (a.span, b.span), span)
    }

    pub(super) fn combine(
        &mut self,
        op: BinaryOp,
        x: Typed,
        y: Typed,
        (aspan, bspan): (Span, Span),
        span: Span,
    ) -> Res<Typed> {
        let (Some(xn), Some(yn)) = (x.ty.scalar(), y.ty.scalar()) else {
            return err(span, format!("`{}` needs scalar operands", op.symbol()));
        };
        let bool_t = SType::num(Num::Bool);
        let result = |e: Expr, ty: SType, lit: bool| Ok(Typed { e, ty, lit });
        if matches!(op, BinaryOp::AndThen | BinaryOp::OrElse) {
            let (l, r) = (
                self.coerce(x, Num::Bool, aspan)?,
                self.coerce(y, Num::Bool, bspan)?,
            );
            let e = if op == BinaryOp::AndThen {
                Expr::AndThen(Box::new(l), Box::new(r))
            } else {
                Expr::OrElse(Box::new(l), Box::new(r))
            };
            return result(e, bool_t, false);
        }
        let o = op;
        let compare = o.is_comparison();
        // CODESYS moves a pointer by bytes; the simulator's memory is cells, not bytes.
        if !compare && (xn == Num::Ptr || yn == Num::Ptr) {
            return err(
                span,
                "the simulator does not run pointer arithmetic (its memory is not bytes)",
            );
        }
        // Durations and dates: TIME ± TIME, TIME * n, TIME / n, DT - DT, TOD + TIME …
        if let Some(t) = self.time_arith(o, &x, &y, xn, yn, span)? {
            return Ok(t);
        }
        if o == Op::Pow {
            let t = crate::sema::types::power(&checker_type(&x, xn), &checker_type(&y, yn))
                .ok_or((span, "`**` needs numbers".to_string()))?;
            let (n, lit) = match t {
                Ty::RealLiteral => (Num::LReal, true),
                t => (elementary_of(&t).unwrap_or(Num::LReal), false),
            };
            let (l, r) = (self.coerce(x, n, aspan)?, self.coerce(y, n, bspan)?);
            return result(
                Expr::Bin(o, n, Box::new(l), Box::new(r), span),
                SType::num(n),
                lit,
            );
        }
        let n = common(&x, &y, xn, yn).ok_or((
            span,
            format!(
                "`{}` cannot combine {} and {}",
                op.symbol(),
                num_name(xn),
                num_name(yn)
            ),
        ))?;
        if matches!(o, Op::And | Op::Or | Op::Xor)
            && (n.is_real()
                || n.is_str()
                || !matches!(n, Num::Bool | Num::Bits(_) | Num::Int { .. }))
        {
            return err(
                span,
                format!("`{}` needs BOOL or bit-string operands", op.symbol()),
            );
        }
        if matches!(o, Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod)
            && !(n.is_int() || n.is_real() || matches!(n, Num::Bits(_)))
        {
            return err(
                span,
                format!("`{}` needs numbers, not {}", op.symbol(), num_name(n)),
            );
        }
        let lit = x.lit && y.lit;
        let ty = if compare {
            bool_t
        } else if x.lit && !y.lit && y.ty.scalar() == Some(n) {
            y.ty.clone()
        } else if n == xn {
            x.ty.clone()
        } else {
            SType::Scalar(n, if n.is_str() { MAX_STRING } else { 0 })
        };
        let (l, r) = (self.coerce(x, n, aspan)?, self.coerce(y, n, bspan)?);
        result(
            Expr::Bin(o, n, Box::new(l), Box::new(r), span),
            ty,
            lit && !compare,
        )
    }

    /// Arithmetic and comparison of durations and dates (TIME ± TIME, TIME * n,
    /// DT - DT, TOD + TIME …); `None` when neither operand is one. Whether it
    /// is allowed and its type come from the checker's rule
    /// (`types::time_arith`); this only lowers it.
    pub(super) fn time_arith(
        &self,
        o: Op,
        x: &Typed,
        y: &Typed,
        xn: Num,
        yn: Num,
        span: Span,
    ) -> Res<Option<Typed>> {
        let rule = crate::sema::types::time_arith(o, &checker_type(x, xn), &checker_type(y, yn));
        let rn = match rule {
            None => return Ok(None),
            Some(Err(why)) => return err(span, why),
            Some(Ok(t)) => {
                elementary_of(&t).ok_or((span, format!("`{}` has no result", o.symbol())))?
            }
        };
        let timeish = |n: Num| matches!(n, Num::Time | Num::LTime | Num::Date | Num::Tod | Num::Dt);
        let i64n = Num::Int {
            bits: 64,
            signed: true,
        };
        let bin = |o: Op, n: Num, a: Expr, b: Expr| Expr::Bin(o, n, Box::new(a), Box::new(b), span);
        let k = |v: i64| Expr::Const(Value::I(v));
        let (xe, ye) = (x.e.clone(), y.e.clone());
        let compare = o.is_comparison();
        let e = match (xn, yn) {
            // Dates and DT count seconds; the difference is a TIME in ms.
            (Num::Date, Num::Date) | (Num::Dt, Num::Dt) if !compare => {
                bin(Op::Mul, i64n, bin(Op::Sub, i64n, xe, ye), k(1000))
            }
            (Num::Tod, Num::Tod) if !compare => bin(Op::Sub, i64n, xe, ye),
            (a, b) if a == b => bin(o, a, xe, ye),
            (Num::Time, Num::LTime) | (Num::LTime, Num::Time) => bin(
                o,
                Num::LTime,
                conv(xn, Num::LTime, xe, span),
                conv(yn, Num::LTime, ye, span),
            ),
            (Num::Tod, Num::Time) => bin(o, i64n, xe, ye),
            (Num::Dt | Num::Date, Num::Time) => bin(o, i64n, xe, bin(Op::Div, i64n, ye, k(1000))),
            // A duration scaled by a number, in LREAL for a real factor.
            _ if matches!(o, Op::Mul | Op::Div) => {
                let t = if timeish(xn) { xn } else { yn };
                if xn.is_real() || yn.is_real() {
                    let l = conv(xn, Num::LReal, xe, span);
                    let r = conv(yn, Num::LReal, ye, span);
                    conv(Num::LReal, t, bin(o, Num::LReal, l, r), span)
                } else {
                    bin(o, t, conv(xn, t, xe, span), conv(yn, t, ye, span))
                }
            }
            // `t > 0`, `t + 5`: an untyped integer literal counts in the other's unit.
            _ => {
                let t = if timeish(xn) { xn } else { yn };
                bin(o, t, xe, ye)
            }
        };
        Ok(Some(Typed {
            e,
            ty: SType::num(rn),
            lit: false,
        }))
    }

    // ---- calls ------------------------------------------------------------
}

/// `-x`: a number or a duration, folded when it is a constant.
pub(super) fn negate(t: Typed, n: Num, span: Span) -> Res<Typed> {
    if n.is_str() || n == Num::Bool {
        return err(span, "only a number or duration can be negated");
    }
    if let Expr::Const(v) = &t.e {
        let v = match v {
            Value::R(r) => Value::R(-r),
            other => Value::I(other.int().wrapping_neg()),
        };
        return Ok(Typed {
            e: Expr::Const(v),
            ..t
        });
    }
    Ok(Typed {
        e: Expr::Neg(Box::new(t.e), n),
        ..t
    })
}

/// How the checker names the type of a compiled operand: an untyped literal
/// is the checker's integer or real literal.
pub(super) fn checker_type(t: &Typed, n: Num) -> Ty {
    match (t.lit, n) {
        (true, n) if n.is_real() => Ty::RealLiteral,
        (true, Num::Int { .. } | Num::Bits(_)) => Ty::IntLiteral,
        _ => Ty::from(n),
    }
}

/// The scalar kind of one of the checker's elementary types.
pub(super) fn elementary_of(t: &Ty) -> Option<Num> {
    Some(match t {
        Ty::Bool => Num::Bool,
        Ty::Int { bits, signed } => Num::Int {
            bits: *bits,
            signed: *signed,
        },
        Ty::Bits(b) => Num::Bits(*b),
        Ty::Real => Num::Real,
        Ty::LReal => Num::LReal,
        Ty::Time => Num::Time,
        Ty::LTime => Num::LTime,
        Ty::Date => Num::Date,
        Ty::TimeOfDay => Num::Tod,
        Ty::DateAndTime => Num::Dt,
        Ty::String { wide } => Num::Str { wide: *wide },
        _ => return None,
    })
}

pub(super) fn check_bit(n: Num, bit: u32, span: Span) -> Res<()> {
    if bit >= n.bits() as u32 {
        return err(
            span,
            format!("bit {bit} does not exist in a {}-bit value", n.bits()),
        );
    }
    Ok(())
}

/// Whether every value of `from` is already a valid value of `to` in the
/// cell representation (stored values are normalised), so nothing need run.
pub(super) fn identity(from: Num, to: Num) -> bool {
    from == to
        || matches!(
            (from, to),
            (Num::Enum, Num::Int { .. }) | (Num::Int { .. }, Num::Enum)
        )
        || matches!((range(from), range(to)), (Some((a, b)), Some((c, d))) if c <= a && b <= d)
}

/// The values an integer-like kind holds.
pub(super) fn range(n: Num) -> Option<(i128, i128)> {
    match n {
        Num::Bool => Some((0, 1)),
        Num::Int { bits, signed: true } => {
            Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1))
        }
        Num::Int {
            bits,
            signed: false,
        }
        | Num::Bits(bits) => Some((0, (1i128 << bits) - 1)),
        _ => None,
    }
}

/// A conversion, folded when the value is a constant and left out when it
/// changes nothing.
pub(super) fn conv(from: Num, to: Num, e: Expr, span: Span) -> Expr {
    if identity(from, to) {
        return e;
    }
    match e {
        Expr::Const(v) => Expr::Const(stdfn::convert(from, to, v)),
        e => Expr::Conv(from, to, Box::new(e), span),
    }
}

/// The kind two operands are combined in: the checker's rule
/// (`types::common`), with enumerations and pointers as integers.
pub(super) fn common(x: &Typed, y: &Typed, xn: Num, yn: Num) -> Option<Num> {
    match (xn, yn) {
        (Num::Enum | Num::Ptr, n) | (n, Num::Enum | Num::Ptr) => return Some(n),
        (Num::Str { wide: a }, Num::Str { wide: b }) => return (a == b).then_some(xn),
        _ => {}
    }
    match crate::sema::types::common(&checker_type(x, xn), &checker_type(y, yn))? {
        // Two literals: they keep the wider of their own kinds.
        Ty::IntLiteral => Some(if int_bits(xn) >= int_bits(yn) { xn } else { yn }),
        Ty::RealLiteral => Some(Num::LReal),
        t => elementary_of(&t),
    }
}

pub(super) fn int_bits(n: Num) -> u8 {
    match n {
        Num::Int { bits, .. } | Num::Bits(bits) => bits,
        _ => 0,
    }
}

pub(super) fn num_name(n: Num) -> String {
    match n {
        Num::Enum => "an enumeration".into(),
        Num::Ptr => "a pointer".into(),
        Num::Str { wide } => if wide { "WSTRING" } else { "STRING" }.into(),
        Num::Tod => "TIME_OF_DAY".into(),
        Num::Dt => "DATE_AND_TIME".into(),
        n => Ty::from(n).to_string(),
    }
}

impl From<Num> for Ty {
    fn from(n: Num) -> Self {
        match n {
            Num::Bool => Ty::Bool,
            Num::Int { bits, signed } => Ty::Int { bits, signed },
            Num::Bits(b) => Ty::Bits(b),
            Num::Real => Ty::Real,
            Num::LReal => Ty::LReal,
            Num::Time => Ty::Time,
            Num::LTime => Ty::LTime,
            Num::Date => Ty::Date,
            Num::Tod => Ty::TimeOfDay,
            Num::Dt => Ty::DateAndTime,
            Num::Str { wide } => Ty::String { wide },
            Num::Enum | Num::Ptr => Ty::Unknown,
        }
    }
}
