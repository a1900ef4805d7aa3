//! Constant expressions evaluated while compiling: initial values,
//! array bounds, CASE labels, string lengths.

use super::*;

impl<'a> Compiler<'a> {
    pub(super) fn const_eval(&mut self, e: &ast::Expr) -> Option<Value> {
        self.const_typed(e).map(|(v, _)| v)
    }

    pub(super) fn const_num(&mut self, e: &ast::Expr, v: &Value) -> Num {
        self.const_typed(e).map_or(
            match v {
                Value::R(_) => Num::LReal,
                Value::S(_) => Num::Str { wide: false },
                Value::I(_) => Num::Int {
                    bits: 64,
                    signed: true,
                },
            },
            |(_, n)| n,
        )
    }

    /// A value the compiler can compute: literals, named constants,
    /// enumeration values and arithmetic on them.
    pub(super) fn const_typed(&mut self, e: &ast::Expr) -> Option<(Value, Num)> {
        let i64n = Num::Int {
            bits: 64,
            signed: true,
        };
        match &e.kind {
            ExprKind::Literal(l) => {
                let t = self.literal(l, e.span).ok()?;
                let Expr::Const(v) = t.e else { return None };
                let n = t.ty.scalar()?;
                Some((v, if t.lit && n.is_int() { i64n } else { n }))
            }
            ExprKind::Paren(x) => self.const_typed(x),
            ExprKind::Name(n) => {
                let u = up(&n.name);
                if let Some((v, t)) = self.local_consts.get(&u).or_else(|| self.constants.get(&u)) {
                    return Some((v.clone(), t.scalar()?));
                }
                self.enum_values
                    .get(&u)
                    .map(|&(_, v)| (Value::I(v), Num::Enum))
            }
            ExprKind::Member(base, m) => {
                let ExprKind::Name(n) = &base.kind else {
                    return None;
                };
                let SType::Enum(id) = self.named_type(n).ok()? else {
                    return None;
                };
                let v = self.prog.enums[id]
                    .values
                    .iter()
                    .find(|(x, _)| x.eq_ignore_ascii_case(&m.name))?
                    .1;
                Some((Value::I(v), Num::Enum))
            }
            ExprKind::Unary(UnaryOp::Neg, x) => {
                let (v, n) = self.const_typed(x)?;
                Some((
                    match v {
                        Value::R(r) => Value::R(-r),
                        Value::I(i) => Value::I(i.checked_neg()?),
                        Value::S(_) => return None,
                    },
                    n,
                ))
            }
            ExprKind::Unary(UnaryOp::Plus, x) => self.const_typed(x),
            ExprKind::Binary(op, a, b) => {
                let (x, xn) = self.const_typed(a)?;
                let (y, yn) = self.const_typed(b)?;
                match (x, y) {
                    (Value::I(x), Value::I(y)) => {
                        let v = match op {
                            BinaryOp::Add => x.checked_add(y)?,
                            BinaryOp::Sub => x.checked_sub(y)?,
                            BinaryOp::Mul => x.checked_mul(y)?,
                            BinaryOp::Div => x.checked_div(y)?,
                            BinaryOp::Mod => x.checked_rem(y)?,
                            _ => return None,
                        };
                        Some((Value::I(v), if xn == yn { xn } else { i64n }))
                    }
                    (x, y) if !matches!(x, Value::S(_)) && !matches!(y, Value::S(_)) => {
                        let (x, y) = (x.real(), y.real());
                        let v = match op {
                            BinaryOp::Add => x + y,
                            BinaryOp::Sub => x - y,
                            BinaryOp::Mul => x * y,
                            BinaryOp::Div => x / y,
                            _ => return None,
                        };
                        v.is_finite().then_some((Value::R(v), Num::LReal))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}
