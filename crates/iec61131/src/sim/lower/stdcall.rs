//! Calls of standard functions (`sema::stdlib`): arguments placed by name,
//! operators' function forms, conversions, and the rest through `stdfn`.

use super::*;
use crate::sema::stdlib::{ConvKind, Runs};

impl<'a> Compiler<'a> {
    pub(super) fn std_call(
        &mut self,
        s: Scope,
        u: &str,
        args: &[ast::Arg],
        span: Span,
    ) -> Res<Typed> {
        if args.iter().any(|a| a.output) {
            return err(span, format!("{u} has no outputs to connect with =>"));
        }
        for n in args.iter().filter_map(|a| a.name.as_ref()) {
            if stdlib::named_position(u, &n.name).is_none() {
                return err(n.span, format!("{u} has no parameter `{}`", n.name));
            }
        }
        // Named arguments go where the standard puts them.
        let slots: Vec<&ast::Expr> = stdlib::standard_order(u, args)
            .into_iter()
            .map(|k| &args[k].value)
            .collect();
        let typed = |e: Expr, ty: SType| Typed { e, ty, lit: false };
        let int = |bits| Num::Int { bits, signed: true };
        let Some(def) = stdlib::standard_function(u) else {
            return match stdlib::conversion(u) {
                Some(c) => self.convert(s, u, c, &slots, span),
                None => err(span, format!("`{u}` is not a function the simulator knows")),
            };
        };
        if let Some(wrong) = stdlib::wrong_arity(def.min_args, def.max_args, slots.len()) {
            return err(span, format!("{u} {wrong}"));
        }
        match def.sim {
            Runs::Address => {
                let (p, t) = self.place(s, slots[0])?;
                return Ok(typed(Expr::Adr(p), SType::Pointer(Rc::new(t))));
            }
            Runs::SizeOf => {
                let t = match self.place(s, slots[0]) {
                    Ok((_, t)) => t,
                    Err(_) => self.expr(s, slots[0])?.ty,
                };
                let bytes = self.bytes_of(&t);
                return Ok(typed(
                    Expr::Const(Value::I(bytes as i64)),
                    SType::num(Num::Int {
                        bits: 32,
                        signed: false,
                    }),
                ));
            }
            Runs::Clock => {
                let long = u == "LTIME";
                return Ok(typed(
                    Expr::Clock(long),
                    SType::num(if long { Num::LTime } else { Num::Time }),
                ));
            }
            Runs::Convert => {
                let c = stdlib::conversion(u).expect("the table's conversions read as one");
                return self.convert(s, u, c, &slots, span);
            }
            Runs::NotSimulated => {
                return err(span, format!("{u} is not supported by the simulator"));
            }
            Runs::Operator(_) | Runs::Negate | Runs::Move | Runs::Native(_) => {}
        }
        let mut vals = Vec::with_capacity(slots.len());
        for a in &slots {
            vals.push((self.expr(s, a)?, a.span));
        }
        let num_of = |t: &Typed, sp: Span| {
            t.ty.scalar()
                .ok_or((sp, format!("{u} takes scalar arguments")))
        };
        let f = match def.sim {
            Runs::Operator(op) if op.is_comparison() => {
                // GT(a, b, c) is a > b AND b > c.
                let mut acc: Option<Typed> = None;
                for w in vals.windows(2) {
                    let c =
                        self.combine(op, w[0].0.clone(), w[1].0.clone(), (w[0].1, w[1].1), span)?;
                    acc = Some(match acc {
                        None => c,
                        Some(prev) => self.combine(BinaryOp::And, prev, c, (span, span), span)?,
                    });
                }
                return Ok(acc.expect("two or more arguments"));
            }
            Runs::Operator(op) => {
                let mut it = vals.into_iter();
                let (mut acc, mut sp) = it.next().expect("two or more arguments");
                for (v, vs) in it {
                    acc = self.combine(op, acc, v, (sp, vs), span)?;
                    sp = span;
                }
                return Ok(acc);
            }
            Runs::Negate => {
                let (t, sp) = vals.swap_remove(0);
                let n = num_of(&t, sp)?;
                return negate(t, n, sp);
            }
            Runs::Move => return Ok(vals.swap_remove(0).0),
            Runs::Native(f) => f,
            _ => unreachable!("handled before the arguments are compiled"),
        };
        {
            use StdFn::*;
            // ABS(5), SHL(1, 3), MAX(1, 2): of literal arguments, still a literal.
            let lit = match f {
                Abs | Shl | Shr | Rol | Ror => vals[0].0.lit,
                Max | Min | Limit => vals.iter().all(|(t, _)| t.lit),
                Sel | Mux => vals.iter().skip(1).all(|(t, _)| t.lit),
                _ => false,
            };
            let (e, ty) = match f {
                Abs => {
                    let (t, sp) = vals.swap_remove(0);
                    let n = num_of(&t, sp)?;
                    (Expr::Std(f, n, vec![t.e], span), t.ty)
                }
                Sqrt | Ln | Log | Exp | Sin | Cos | Tan | Asin | Acos | Atan | Atan2 | Expt => {
                    let args: Vec<Ty> = vals
                        .iter()
                        .filter_map(|(t, _)| Some(checker_type(t, t.ty.scalar()?)))
                        .collect();
                    let n = match crate::sema::types::real_function(&args) {
                        Ty::LReal => Num::LReal,
                        _ => Num::Real,
                    };
                    let mut es = Vec::new();
                    for (t, sp) in vals {
                        es.push(self.coerce(t, n, sp)?);
                    }
                    (Expr::Std(f, n, es, span), SType::num(n))
                }
                Shl | Shr | Rol | Ror => {
                    let (t, sp) = vals.remove(0);
                    let n = num_of(&t, sp)?;
                    let (k, ksp) = vals.remove(0);
                    let k = self.coerce(k, int(64), ksp)?;
                    (Expr::Std(f, n, vec![t.e, k], span), t.ty)
                }
                Sel | Max | Min | Limit | Mux => {
                    let skip = usize::from(matches!(f, Sel | Mux));
                    let mut n: Option<Num> = None;
                    let mut lead: Option<Typed> = None;
                    for (t, sp) in &vals[skip..] {
                        let tn = num_of(t, *sp)?;
                        n = Some(match (n, &lead) {
                            (None, _) => tn,
                            (Some(prev), Some(l)) => common(l, t, prev, tn)
                                .ok_or((*sp, format!("{u} mixes incompatible types")))?,
                            (Some(prev), None) => prev,
                        });
                        if lead.as_ref().is_none_or(|l| l.lit) {
                            lead = Some(t.clone());
                        }
                    }
                    let n = n.expect("at least one value argument");
                    let ty = lead.filter(|l| !l.lit && l.ty.scalar() == Some(n)).map_or(
                        SType::Scalar(n, if n.is_str() { MAX_STRING } else { 0 }),
                        |l| l.ty,
                    );
                    let mut es = Vec::new();
                    for (k, (t, sp)) in vals.into_iter().enumerate() {
                        es.push(match (k, f) {
                            (0, Sel) => self.coerce(t, Num::Bool, sp)?,
                            (0, Mux) => self.coerce(t, int(64), sp)?,
                            _ => self.coerce(t, n, sp)?,
                        });
                    }
                    (Expr::Std(f, n, es, span), ty)
                }
                Len | Find => {
                    let mut es = Vec::new();
                    for (t, sp) in vals {
                        let n = num_of(&t, sp)?;
                        es.push(self.coerce(t, n, sp)?);
                    }
                    (Expr::Std(f, int(16), es, span), SType::num(int(16)))
                }
                Left | Right | Mid | Insert | Delete | Replace => {
                    let strings = match f {
                        Insert | Replace => 2,
                        _ => 1,
                    };
                    let ty = SType::Scalar(num_of(&vals[0].0, vals[0].1)?, MAX_STRING);
                    let mut es = Vec::new();
                    for (k, (t, sp)) in vals.into_iter().enumerate() {
                        let n = num_of(&t, sp)?;
                        es.push(if k < strings {
                            self.coerce(t, n, sp)?
                        } else {
                            self.coerce(t, int(64), sp)?
                        });
                    }
                    (Expr::Std(f, int(64), es, span), ty)
                }
                Concat => {
                    let wide = matches!(vals[0].0.ty.scalar(), Some(Num::Str { wide: true }));
                    let mut es = Vec::new();
                    for (t, sp) in vals {
                        es.push(self.coerce(t, Num::Str { wide }, sp)?);
                    }
                    (
                        Expr::Std(f, Num::Str { wide }, es, span),
                        SType::Scalar(Num::Str { wide }, MAX_STRING),
                    )
                }
                Trunc | FromBcd | ToBcd => unreachable!("conversions are lowered by `convert`"),
            };
            Ok(Typed { e, ty, lit })
        }
    }

    /// A conversion function's call: `INT_TO_REAL(x)`, `TRUNC(r)`, `BCD_TO_INT(w)`…
    fn convert(
        &mut self,
        s: Scope,
        u: &str,
        c: stdlib::Conversion,
        slots: &[&ast::Expr],
        span: Span,
    ) -> Res<Typed> {
        let [arg] = slots else {
            return err(span, format!("{u} takes one argument"));
        };
        let to = elementary_of(&c.to).expect("conversions go to elementary types");
        let t = self.expr(s, arg)?;
        let from =
            t.ty.scalar()
                .ok_or((arg.span, format!("{u} takes a scalar argument")))?;
        let ty = SType::Scalar(to, if to.is_str() { MAX_STRING } else { 0 });
        let e = match c.kind {
            ConvKind::Plain => conv(from, to, t.e, span),
            ConvKind::Trunc => Expr::Std(
                StdFn::Trunc,
                to,
                vec![conv(from, Num::LReal, t.e, span)],
                span,
            ),
            ConvKind::FromBcd => Expr::Std(StdFn::FromBcd, to, vec![t.e], span),
            ConvKind::ToBcd => Expr::Std(StdFn::ToBcd, to, vec![t.e], span),
        };
        Ok(Typed { e, ty, lit: false })
    }
}
