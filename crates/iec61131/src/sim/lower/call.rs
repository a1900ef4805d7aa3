//! Calls of project POUs: function blocks, functions, methods and actions,
//! arguments bound to their parameters.

use super::*;

impl<'a> Compiler<'a> {
    pub(super) fn call_stmt(&mut self, s: Scope, e: &ast::Expr, span: Span) -> Res<Stmt> {
        let ExprKind::Call(f, args) = &e.kind else {
            return Ok(Stmt::Eval(self.expr(s, e)?.e, span));
        };
        // `SUPER^()`: the parent block's body on this instance.
        if let ExprKind::Deref(inner) = &f.kind {
            if matches!(inner.kind, ExprKind::Super) {
                let parent = self.parent_of(s.owner.unwrap_or(s.pou)).ok_or((
                    f.span,
                    "SUPER^ needs a block that EXTENDS another".to_string(),
                ))?;
                return self.fb_call(s, Place::This(0), &SType::Fb(parent), args, span);
            }
        }
        let callee_is_instance = match &f.kind {
            ExprKind::Name(n) => {
                self.lookup_var(s, &n.name).is_some() || self.program_named(&n.name).is_some()
            }
            ExprKind::Member(..) | ExprKind::Index(..) | ExprKind::Deref(_) => true,
            _ => false,
        };
        if callee_is_instance {
            if let Ok((p, t)) = self.place(s, f) {
                if matches!(t, SType::Fb(_) | SType::StdFb(_)) {
                    return self.fb_call(s, p, &t, args, span);
                }
            }
        }
        Ok(Stmt::Eval(self.call_expr(s, f, args, span)?.e, span))
    }

    pub(super) fn program_named(&self, name: &str) -> Option<usize> {
        let &i = self.prog.by_name.get(&up(name))?;
        self.prog.program_base.contains_key(&i).then_some(i)
    }

    pub(super) fn parent_of(&mut self, fb: usize) -> Option<usize> {
        let base = self.asts[fb].0.extends.first()?;
        match self.named_type(base) {
            Ok(SType::Fb(b)) => Some(b),
            _ => None,
        }
    }

    /// A method or action of a block, or of the blocks it extends.
    pub(super) fn method_of(&mut self, fb: usize, name: &str) -> Option<usize> {
        let mut current = Some(fb);
        let mut guard = 0;
        while let Some(i) = current {
            if let Some(&m) = self.prog.pous[i].methods.get(&up(name)) {
                return Some(m);
            }
            guard += 1;
            if guard > 32 {
                return None;
            }
            current = self.parent_of(i);
        }
        None
    }

    /// The parameters of a block or function: (name, offset, type, kind) in declaration order.
    pub(super) fn params(&self, t: &SType) -> Vec<(String, u32, SType, VarKind)> {
        match t {
            SType::Fb(i) => self.pou_params(*i),
            SType::StdFb(f) => f
                .params()
                .iter()
                .enumerate()
                .map(|(k, (n, ty, input))| {
                    (
                        n.to_string(),
                        k as u32,
                        SType::num(elementary(ty).unwrap_or(Num::Bool)),
                        if *input {
                            VarKind::Input
                        } else {
                            VarKind::Output
                        },
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn pou_params(&self, i: usize) -> Vec<(String, u32, SType, VarKind)> {
        self.prog.pous[i]
            .vars
            .iter()
            .filter(|v| matches!(v.kind, VarKind::Input | VarKind::Output | VarKind::InOut))
            .map(|v| (v.name.clone(), v.offset, v.ty.clone(), v.kind))
            .collect()
    }

    /// Arguments bound to parameters: named ones by name, positional ones to the
    /// inputs and in-outs in order.
    pub(super) fn bind_args(
        &mut self,
        s: Scope,
        params: &[(String, u32, SType, VarKind)],
        args: &[ast::Arg],
        what: &str,
    ) -> Res<(Vec<Arg>, Vec<OutputBinding>)> {
        let positional: Vec<&(String, u32, SType, VarKind)> =
            params.iter().filter(|p| p.3 != VarKind::Output).collect();
        let (mut bound, mut outputs) = (Vec::new(), Vec::new());
        for (k, a) in args.iter().enumerate() {
            let param = match &a.name {
                Some(n) => params
                    .iter()
                    .find(|p| p.0.eq_ignore_ascii_case(&n.name))
                    .ok_or((n.span, format!("{what} has no parameter `{}`", n.name)))?,
                None => *positional.get(k).ok_or((
                    a.value.span,
                    format!("{what} takes {} positional argument(s)", positional.len()),
                ))?,
            };
            let (_, off, ty, kind) = param;
            if a.output {
                let negate = match ty.scalar() {
                    _ if !a.negated => None,
                    Some(n) if n == Num::Bool || n.is_int() || matches!(n, Num::Bits(_)) => Some(n),
                    _ => return err(a.value.span, "`NOT q =>` needs a BOOL or bit-string output"),
                };
                let (p, t) = self.place(s, &a.value)?;
                let (from, to) = (ty.scalar(), t.scalar());
                let conv = match (from, to) {
                    (Some(f), Some(t)) if f != t => Some((f, t)),
                    _ => None,
                };
                outputs.push(OutputBinding {
                    offset: *off,
                    target: p,
                    store: t.store(),
                    conv,
                    negate,
                });
            } else if *kind == VarKind::InOut {
                let (p, _) = self.place(s, &a.value)?;
                bound.push(Arg::Ref(*off, p));
            } else if ty.scalar().is_some() {
                let v = self.value(s, &a.value, ty)?;
                bound.push(Arg::Value(*off, v, ty.store()));
            } else {
                let (p, _) = self.place(s, &a.value)?;
                let n = self.size_of(ty, a.value.span)?;
                bound.push(Arg::Copy(*off, p, n));
            }
        }
        Ok((bound, outputs))
    }

    pub(super) fn fb_call(
        &mut self,
        s: Scope,
        inst: Place,
        t: &SType,
        args: &[ast::Arg],
        span: Span,
    ) -> Res<Stmt> {
        let params = self.params(t);
        let (args, outputs) = self.bind_args(s, &params, args, "this block")?;
        let fb = match t {
            SType::Fb(i) => FbKind::User(*i),
            SType::StdFb(f) => FbKind::Std(*f),
            _ => return err(span, "only a function block instance can be called"),
        };
        Ok(Stmt::CallFb(Box::new(FbCall {
            inst,
            fb,
            args,
            outputs,
            span,
        })))
    }

    pub(super) fn user_call(
        &mut self,
        s: Scope,
        i: usize,
        this: Option<Place>,
        args: &[ast::Arg],
        span: Span,
    ) -> Res<Typed> {
        self.depends(i);
        let params = self.pou_params(i);
        let what = format!(
            "{} {}",
            self.prog.pous[i].kind.keyword(),
            self.prog.pous[i].name
        );
        let (args, outputs) = self.bind_args(s, &params, args, &what)?;
        let ty = self.prog.pous[i]
            .result
            .clone()
            .unwrap_or(SType::num(Num::Bool));
        Ok(Typed {
            e: Expr::Call(Box::new(Call {
                pou: i,
                this,
                args,
                outputs,
                span,
            })),
            ty,
            lit: false,
        })
    }

    pub(super) fn call_expr(
        &mut self,
        s: Scope,
        f: &ast::Expr,
        args: &[ast::Arg],
        span: Span,
    ) -> Res<Typed> {
        match &f.kind {
            ExprKind::Name(n) => {
                let u = up(&n.name);
                let fb = s.owner.unwrap_or(s.pou);
                match self.model().callee(&u, &self.prog.pous[fb].name) {
                    Callee::Function => match self.prog.by_name.get(&u) {
                        Some(&i) => self.user_call(s, i, None, args, span),
                        None => err(n.span, format!("unknown function `{}`", n.name)),
                    },
                    // A method or action of the running block, called by its bare name.
                    Callee::Method => match self.method_of(fb, &n.name) {
                        Some(m) => self.user_call(s, m, Some(Place::This(0)), args, span),
                        None => err(n.span, format!("unknown method `{}`", n.name)),
                    },
                    _ => self.std_call(s, &u, args, span),
                }
            }
            ExprKind::Member(base, m) => {
                let this_base = if let ExprKind::Deref(inner) = &base.kind {
                    match inner.kind {
                        ExprKind::Super => Some(self.parent_of(s.owner.unwrap_or(s.pou))),
                        _ => None,
                    }
                } else {
                    None
                };
                let (p, fb) = match this_base {
                    Some(Some(parent)) => (Place::This(0), parent),
                    Some(None) => {
                        return err(base.span, "SUPER^ needs a block that EXTENDS another")
                    }
                    None => match self.place(s, base)? {
                        (p, SType::Fb(i)) => (p, i),
                        _ => {
                            return err(
                                m.span,
                                format!("`{}` is not a method of this value", m.name),
                            )
                        }
                    },
                };
                let mi = self.method_of(fb, &m.name).ok_or((
                    m.span,
                    format!("{} has no method `{}`", self.prog.pous[fb].name, m.name),
                ))?;
                self.user_call(s, mi, Some(p), args, span)
            }
            _ => err(f.span, "this cannot be called"),
        }
    }
}
