//! Places: what an expression names in memory (variables, members,
//! array elements, dereferences, bit access) as a cell address.

use super::*;

impl<'a> Compiler<'a> {
    pub(super) fn name_place(&mut self, s: Scope, n: &Ident) -> Res<(Place, SType)> {
        let e = ast::Expr {
            kind: ExprKind::Name(n.clone()),
            span: n.span,
        };
        self.place(s, &e)
    }

    /// A variable's own cell, without following a reference (for `REF=`).
    pub(super) fn raw_place(&mut self, s: Scope, e: &ast::Expr) -> Res<(Place, SType)> {
        if let ExprKind::Name(n) = &e.kind {
            if let Some((p, t, _)) = self.lookup_var(s, &n.name) {
                return Ok((p, t));
            }
        }
        err(e.span, "REF= needs a REFERENCE variable on its left")
    }

    /// A variable by name: (its cell, its declared type, its kind).
    pub(super) fn lookup_var(&self, s: Scope, name: &str) -> Option<(Place, SType, VarKind)> {
        let pou = &self.prog.pous[s.pou];
        if let Some(v) = pou.var(name) {
            return Some((self.own_place(s, v.offset), v.ty.clone(), v.kind));
        }
        if let Some(o) = s.owner {
            if let Some(v) = self.prog.pous[o].var(name) {
                return Some((Place::This(v.offset), v.ty.clone(), v.kind));
            }
        }
        self.globals
            .get(&up(name))
            .map(|(a, t, k)| (Place::Abs(*a), t.clone(), *k))
    }

    /// The place an address points to, knowing how many cells it must have.
    pub(super) fn deref(&self, addr: Expr, span: Span, target: &SType) -> Place {
        Place::Deref(Box::new(addr), span, self.prog.size_of(target).max(1))
    }

    pub(super) fn place(&mut self, s: Scope, e: &ast::Expr) -> Res<(Place, SType)> {
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some((p, t, k)) = self.lookup_var(s, &n.name) {
                    // VAR_IN_OUT and references hold an address. An in-out
                    // declared REFERENCE TO holds its target's: a call binds it to
                    // the place its argument refers to.
                    return Ok(match (k, &t) {
                        (VarKind::InOut, SType::Reference(target)) => (
                            self.deref(Expr::Load(p), e.span, target),
                            (**target).clone(),
                        ),
                        (VarKind::InOut, _) => (self.deref(Expr::Load(p), e.span, &t), t),
                        (_, SType::Reference(target)) => (
                            self.deref(Expr::Load(p), e.span, target),
                            (**target).clone(),
                        ),
                        _ => (p, t),
                    });
                }
                if let Some(&i) = self.prog.by_name.get(&up(&n.name)) {
                    if let Some(&base) = self.prog.program_base.get(&i) {
                        self.depends(i);
                        return Ok((Place::Abs(base), SType::Fb(i)));
                    }
                }
                err(
                    n.span,
                    format!("`{}` is not a variable the simulator knows", n.name),
                )
            }
            ExprKind::Member(base, m) => {
                let (p, t) = self.place(s, base)?;
                let (off, ft) = self.field(&t, &m.name).ok_or((
                    m.span,
                    format!("`{}` is not a member of this value", m.name),
                ))?;
                let p = offset(&p, off);
                // An in-out of an instance is followed to what it refers to.
                if let SType::Fb(i) = &t {
                    if self.prog.pous[*i]
                        .var(&m.name)
                        .is_some_and(|v| v.kind == VarKind::InOut)
                    {
                        let ft = match ft {
                            SType::Reference(target) => (*target).clone(),
                            ft => ft,
                        };
                        return Ok((self.deref(Expr::Load(p), e.span, &ft), ft));
                    }
                }
                if let SType::Reference(target) = &ft {
                    return Ok((
                        self.deref(Expr::Load(p), e.span, target),
                        (**target).clone(),
                    ));
                }
                Ok((p, ft))
            }
            ExprKind::Index(base, idx) => {
                let (p, t) = self.place(s, base)?;
                let SType::Array(a) = &t else {
                    return err(base.span, "only an array can be indexed");
                };
                if idx.len() != a.dims.len() {
                    return err(
                        e.span,
                        format!(
                            "this array has {} dimension(s), not {}",
                            a.dims.len(),
                            idx.len()
                        ),
                    );
                }
                let mut strides = vec![0u32; a.dims.len()];
                let mut stride = a.elem_size;
                for k in (0..a.dims.len()).rev() {
                    strides[k] = stride;
                    let (lo, hi) = a.dims[k];
                    stride = stride.saturating_mul((hi - lo + 1) as u32);
                }
                let mut index = Vec::new();
                for i in idx {
                    index.push(self.value(
                        s,
                        i,
                        &SType::num(Num::Int {
                            bits: 64,
                            signed: true,
                        }),
                    )?);
                }
                Ok((
                    Place::Index(Box::new(IndexPlace {
                        base: p,
                        index,
                        dims: a.dims.clone(),
                        strides,
                        span: e.span,
                    })),
                    a.elem.clone(),
                ))
            }
            ExprKind::Deref(inner) => {
                if matches!(inner.kind, ExprKind::This) {
                    let fb = s.owner.unwrap_or(s.pou);
                    return Ok((Place::This(0), SType::Fb(fb)));
                }
                let t = self.expr(s, inner)?;
                match t.ty {
                    SType::Pointer(target) | SType::Reference(target) => {
                        Ok((self.deref(t.e, e.span, &target), (*target).clone()))
                    }
                    _ => err(inner.span, "only a pointer can be dereferenced with ^"),
                }
            }
            ExprKind::Paren(inner) => self.place(s, inner),
            _ => err(e.span, "this is not a variable"),
        }
    }

    // ---- expressions ------------------------------------------------------
}

pub(super) fn offset(p: &Place, off: u32) -> Place {
    if off == 0 {
        return p.clone();
    }
    match p {
        Place::Abs(a) => Place::Abs(a + off),
        Place::This(a) => Place::This(a + off),
        Place::Frame(a) => Place::Frame(a + off),
        Place::Offset(b, a) => Place::Offset(b.clone(), a + off),
        other => Place::Offset(Box::new(other.clone()), off),
    }
}
