//! Statements: assignments, IF, CASE, loops, EXIT/CONTINUE/RETURN.

use super::*;

impl<'a> Compiler<'a> {
    pub(super) fn stmts(&mut self, s: Scope, stmts: &[ast::Stmt]) -> Vec<Stmt> {
        let mut out = Vec::with_capacity(stmts.len());
        for st in stmts {
            match self.stmt(s, st) {
                Ok(Some(x)) => out.push(x),
                Ok(None) => {}
                Err(e) => self.error(e),
            }
        }
        out
    }

    pub(super) fn stmt(&mut self, s: Scope, st: &ast::Stmt) -> Res<Option<Stmt>> {
        use ast::StmtKind as K;
        let span = st.span;
        Ok(Some(match &st.kind {
            K::Assign { target, value } => {
                if let ExprKind::Bit(base, bit) = &target.kind {
                    let (p, t) = self.place(s, base)?;
                    let n = t
                        .scalar()
                        .filter(|n| n.is_int() || matches!(n, Num::Bits(_)))
                        .ok_or((
                            base.span,
                            "bit access needs an integer or bit string".to_string(),
                        ))?;
                    check_bit(n, *bit, target.span)?;
                    let v = self.value(s, value, &SType::num(Num::Bool))?;
                    return Ok(Some(Stmt::StoreBit(p, *bit as u8, n, v, span)));
                }
                let (p, t) = self.place(s, target)?;
                self.assign(s, p, t, value, span)?
            }
            K::SetReset { set, target, value } => {
                let (p, t) = self.place(s, target)?;
                let c = self.value(s, value, &SType::num(Num::Bool))?;
                Stmt::If(
                    vec![(
                        c,
                        vec![Stmt::Store(
                            p,
                            Expr::Const(Value::I(*set as i64)),
                            t.store(),
                            span,
                        )],
                    )],
                    Vec::new(),
                )
            }
            K::RefAssign { target, value } => {
                let (cell, _) = self.raw_place(s, target)?;
                let (p, _) = self.place(s, value)?;
                Stmt::Store(cell, Expr::Adr(p), Store::Plain, span)
            }
            K::Call(e) => return self.call_stmt(s, e, span).map(Some),
            K::If {
                branches,
                else_body,
            } => {
                let mut bs = Vec::new();
                for (c, body) in branches {
                    let c = self.value(s, c, &SType::num(Num::Bool))?;
                    bs.push((c, self.stmts(s, body)));
                }
                let e = else_body
                    .as_ref()
                    .map(|b| self.stmts(s, b))
                    .unwrap_or_default();
                Stmt::If(bs, e)
            }
            K::Case {
                selector,
                arms,
                else_body,
            } => {
                let sel = self.expr(s, selector)?;
                if sel.ty.scalar().is_none_or(|n| n.is_real() || n.is_str()) {
                    return err(
                        selector.span,
                        "CASE needs an integer or enumeration selector",
                    );
                }
                let mut out = Vec::new();
                for arm in arms {
                    let mut labels = Vec::new();
                    for l in &arm.labels {
                        let (lo, hi) = match l {
                            ast::CaseLabel::Value(v) => {
                                let x = self.label(s, v)?;
                                (x, x)
                            }
                            ast::CaseLabel::Range(a, b) => (self.label(s, a)?, self.label(s, b)?),
                        };
                        labels.push((lo, hi));
                    }
                    out.push((labels, self.stmts(s, &arm.body)));
                }
                let e = else_body
                    .as_ref()
                    .map(|b| self.stmts(s, b))
                    .unwrap_or_default();
                Stmt::Case(sel.e, out, e, span)
            }
            K::For {
                var,
                from,
                to,
                by,
                body,
            } => {
                let (p, t) = self.name_place(s, var)?;
                let num = t
                    .scalar()
                    .filter(|n| n.is_int() || matches!(n, Num::Bits(_)))
                    .ok_or((var.span, "a FOR variable must be an integer".to_string()))?;
                let from = self.value(s, from, &t)?;
                let to = self.value(s, to, &t)?;
                let by = match by {
                    Some(b) => self.value(
                        s,
                        b,
                        &SType::num(Num::Int {
                            bits: 64,
                            signed: true,
                        }),
                    )?,
                    None => Expr::Const(Value::I(1)),
                };
                let body = self.stmts(s, body);
                Stmt::For(Box::new(ForLoop {
                    var: p,
                    num,
                    store: t.store(),
                    from,
                    to,
                    by,
                    body,
                    span,
                }))
            }
            K::While { cond, body } => {
                let c = self.value(s, cond, &SType::num(Num::Bool))?;
                Stmt::While(c, self.stmts(s, body), span)
            }
            K::Repeat { body, until } => {
                let b = self.stmts(s, body);
                let c = self.value(s, until, &SType::num(Num::Bool))?;
                Stmt::Repeat(b, c, span)
            }
            K::Exit => Stmt::Exit,
            K::Continue => Stmt::Continue,
            K::Return => Stmt::Return(span),
            K::Empty => return Ok(None),
        }))
    }

    pub(super) fn label(&mut self, s: Scope, e: &ast::Expr) -> Res<i64> {
        if let Some(v) = self.const_eval(e) {
            return Ok(v.int());
        }
        match self.expr(s, e)? {
            Typed {
                e: Expr::Const(v), ..
            } => Ok(v.int()),
            _ => err(e.span, "a CASE label must be a constant"),
        }
    }

    pub(super) fn assign(
        &mut self,
        s: Scope,
        p: Place,
        t: SType,
        value: &ast::Expr,
        span: Span,
    ) -> Res<Stmt> {
        if t.scalar().is_some() {
            return self.store_stmt_at(s, p, t, value, span);
        }
        // Structures, arrays, instances: copied cell by cell.
        let (src, st) = self.place(s, value)?;
        if st != t {
            return err(value.span, "the value's type is not the target's");
        }
        let n = self.size_of(&t, span)?;
        Ok(Stmt::Copy(p, src, n, span))
    }

    pub(super) fn store_stmt_at(
        &mut self,
        s: Scope,
        p: Place,
        t: SType,
        value: &ast::Expr,
        span: Span,
    ) -> Res<Stmt> {
        let v = self.value(s, value, &t)?;
        Ok(Stmt::Store(p, v, t.store(), span))
    }
}
