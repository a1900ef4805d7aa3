//! A visitor over the syntax tree, in the way of `syn::visit`: every node kind
//! has a method whose default body walks into its children (`walk_*`), so a
//! pass overrides only the nodes it cares about, and a new node kind is
//! added to one walker instead of to every pass.

use super::*;

pub trait Visit<'a> {
    fn visit_file(&mut self, f: &'a SourceFile) {
        walk_file(self, f)
    }
    fn visit_item(&mut self, i: &'a Item) {
        walk_item(self, i)
    }
    fn visit_pou(&mut self, p: &'a Pou) {
        walk_pou(self, p)
    }
    fn visit_var_block(&mut self, b: &'a VarBlock) {
        walk_var_block(self, b)
    }
    fn visit_var_decl(&mut self, d: &'a VarDecl) {
        walk_var_decl(self, d)
    }
    fn visit_type_decl(&mut self, d: &'a TypeDecl) {
        walk_type_decl(self, d)
    }
    fn visit_type_ref(&mut self, t: &'a TypeRef) {
        walk_type_ref(self, t)
    }
    fn visit_initializer(&mut self, i: &'a Initializer) {
        walk_initializer(self, i)
    }
    fn visit_stmt(&mut self, s: &'a Stmt) {
        walk_stmt(self, s)
    }
    fn visit_case_label(&mut self, l: &'a CaseLabel) {
        walk_case_label(self, l)
    }
    fn visit_expr(&mut self, e: &'a Expr) {
        walk_expr(self, e)
    }
    fn visit_arg(&mut self, a: &'a Arg) {
        walk_arg(self, a)
    }
    /// A name used in code: a variable, an FB instance, a function, an
    /// enumeration value, or the variable of a FOR loop.
    fn visit_name_ref(&mut self, _n: &'a Ident) {}
}

pub fn walk_file<'a, V: Visit<'a> + ?Sized>(v: &mut V, f: &'a SourceFile) {
    for i in &f.items {
        v.visit_item(i);
    }
}

pub fn walk_item<'a, V: Visit<'a> + ?Sized>(v: &mut V, i: &'a Item) {
    match i {
        Item::Pou(p) => v.visit_pou(p),
        Item::Types(decls) => decls.iter().for_each(|d| v.visit_type_decl(d)),
        Item::Globals(b) => v.visit_var_block(b),
        Item::Configuration { .. } => {}
    }
}

pub fn walk_pou<'a, V: Visit<'a> + ?Sized>(v: &mut V, p: &'a Pou) {
    if let Some(t) = &p.return_type {
        v.visit_type_ref(t);
    }
    for b in &p.var_blocks {
        v.visit_var_block(b);
    }
    for s in p.body.iter().flatten() {
        v.visit_stmt(s);
    }
    for m in &p.members {
        v.visit_pou(m);
    }
}

pub fn walk_var_block<'a, V: Visit<'a> + ?Sized>(v: &mut V, b: &'a VarBlock) {
    for d in &b.vars {
        v.visit_var_decl(d);
    }
}

pub fn walk_var_decl<'a, V: Visit<'a> + ?Sized>(v: &mut V, d: &'a VarDecl) {
    v.visit_type_ref(&d.ty);
    if let Some(i) = &d.init {
        v.visit_initializer(i);
    }
}

pub fn walk_type_decl<'a, V: Visit<'a> + ?Sized>(v: &mut V, d: &'a TypeDecl) {
    match &d.def {
        TypeDef::Struct(s) | TypeDef::Union(s) => s.fields.iter().for_each(|f| v.visit_var_decl(f)),
        TypeDef::Enum(e) => e
            .values
            .iter()
            .filter_map(|(_, x)| x.as_ref())
            .for_each(|x| v.visit_expr(x)),
        TypeDef::Alias(t, init) => {
            v.visit_type_ref(t);
            if let Some(i) = init {
                v.visit_initializer(i);
            }
        }
    }
}

pub fn walk_type_ref<'a, V: Visit<'a> + ?Sized>(v: &mut V, t: &'a TypeRef) {
    match t {
        TypeRef::Named(_) => {}
        TypeRef::String { len, .. } => {
            if let Some(l) = len {
                v.visit_expr(l);
            }
        }
        TypeRef::Array { dims, elem, .. } => {
            for (lo, hi) in dims.iter().flatten() {
                v.visit_expr(lo);
                v.visit_expr(hi);
            }
            v.visit_type_ref(elem);
        }
        TypeRef::Pointer(t, _) | TypeRef::Reference(t, _) => v.visit_type_ref(t),
        TypeRef::Subrange { lo, hi, .. } => {
            v.visit_expr(lo);
            v.visit_expr(hi);
        }
        TypeRef::InlineEnum(e) => e
            .values
            .iter()
            .filter_map(|(_, x)| x.as_ref())
            .for_each(|x| v.visit_expr(x)),
        TypeRef::InlineStruct(s) => s.fields.iter().for_each(|f| v.visit_var_decl(f)),
    }
}

pub fn walk_initializer<'a, V: Visit<'a> + ?Sized>(v: &mut V, i: &'a Initializer) {
    match i {
        Initializer::Expr(e) => v.visit_expr(e),
        Initializer::Array(items, _) => {
            for it in items {
                if let Some(r) = &it.repeat {
                    v.visit_expr(r);
                }
                if let Some(x) = &it.value {
                    v.visit_initializer(x);
                }
            }
        }
        Initializer::Struct(fields, _) => fields.iter().for_each(|(_, x)| v.visit_initializer(x)),
    }
}

pub fn walk_stmt<'a, V: Visit<'a> + ?Sized>(v: &mut V, s: &'a Stmt) {
    match &s.kind {
        StmtKind::Assign { target, value }
        | StmtKind::RefAssign { target, value }
        | StmtKind::SetReset { target, value, .. } => {
            v.visit_expr(target);
            v.visit_expr(value);
        }
        StmtKind::Call(e) => v.visit_expr(e),
        StmtKind::If {
            branches,
            else_body,
        } => {
            for (c, body) in branches {
                v.visit_expr(c);
                body.iter().for_each(|s| v.visit_stmt(s));
            }
            else_body.iter().flatten().for_each(|s| v.visit_stmt(s));
        }
        StmtKind::Case {
            selector,
            arms,
            else_body,
        } => {
            v.visit_expr(selector);
            for a in arms {
                a.labels.iter().for_each(|l| v.visit_case_label(l));
                a.body.iter().for_each(|s| v.visit_stmt(s));
            }
            else_body.iter().flatten().for_each(|s| v.visit_stmt(s));
        }
        StmtKind::For {
            var,
            from,
            to,
            by,
            body,
        } => {
            v.visit_name_ref(var);
            v.visit_expr(from);
            v.visit_expr(to);
            if let Some(b) = by {
                v.visit_expr(b);
            }
            body.iter().for_each(|s| v.visit_stmt(s));
        }
        StmtKind::While { cond, body } => {
            v.visit_expr(cond);
            body.iter().for_each(|s| v.visit_stmt(s));
        }
        StmtKind::Repeat { body, until } => {
            body.iter().for_each(|s| v.visit_stmt(s));
            v.visit_expr(until);
        }
        StmtKind::Exit | StmtKind::Continue | StmtKind::Return | StmtKind::Empty => {}
    }
}

pub fn walk_case_label<'a, V: Visit<'a> + ?Sized>(v: &mut V, l: &'a CaseLabel) {
    match l {
        CaseLabel::Value(e) => v.visit_expr(e),
        CaseLabel::Range(a, b) => {
            v.visit_expr(a);
            v.visit_expr(b);
        }
    }
}

pub fn walk_expr<'a, V: Visit<'a> + ?Sized>(v: &mut V, e: &'a Expr) {
    match &e.kind {
        ExprKind::Name(n) => v.visit_name_ref(n),
        ExprKind::Member(b, _)
        | ExprKind::Bit(b, _)
        | ExprKind::Deref(b)
        | ExprKind::Unary(_, b)
        | ExprKind::Paren(b) => v.visit_expr(b),
        ExprKind::Index(b, idx) => {
            v.visit_expr(b);
            idx.iter().for_each(|i| v.visit_expr(i));
        }
        ExprKind::Call(f, args) => {
            v.visit_expr(f);
            args.iter().for_each(|a| v.visit_arg(a));
        }
        ExprKind::Binary(_, l, r) => {
            v.visit_expr(l);
            v.visit_expr(r);
        }
        ExprKind::Literal(_)
        | ExprKind::This
        | ExprKind::Super
        | ExprKind::Address(_)
        | ExprKind::Error => {}
    }
}

pub fn walk_arg<'a, V: Visit<'a> + ?Sized>(v: &mut V, a: &'a Arg) {
    v.visit_expr(&a.value);
}

/// The variable at the root of a place: `a` in `a.b[i]^.c`.
pub fn root_name(e: &Expr) -> Option<&Ident> {
    match &e.kind {
        ExprKind::Name(n) => Some(n),
        ExprKind::Member(b, _)
        | ExprKind::Bit(b, _)
        | ExprKind::Index(b, _)
        | ExprKind::Deref(b)
        | ExprKind::Paren(b) => root_name(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name used in code, in order.
    struct Names(Vec<String>);
    impl<'a> Visit<'a> for Names {
        fn visit_name_ref(&mut self, n: &'a Ident) {
            self.0.push(n.name.clone());
        }
    }

    #[test]
    fn the_default_walk_reaches_every_name() {
        let src = "FUNCTION_BLOCK F
VAR CONSTANT N : INT := 3; END_VAR
VAR a : ARRAY[1..N] OF INT := [2(k)]; s : STRING[L]; t : TON; i : INT; END_VAR
FOR i := lo TO hi BY st DO a[i] := f(x := b, y => c); END_FOR
CASE sel OF one, two..three: t(IN := NOT d, PT := T#1s); END_CASE
IF p THEN q := r.m; ELSIF u THEN w := -v; ELSE z := (y); END_IF
WHILE cnd DO EXIT; END_WHILE
REPEAT rr := 1; UNTIL done END_REPEAT
END_FUNCTION_BLOCK";
        let parsed = crate::parse(src);
        assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
        let mut names = Names(Vec::new());
        names.visit_file(&parsed.file);
        assert_eq!(
            names.0.join(" "),
            "N k L i lo hi st a i f b c sel one two three t d p q r u w v z y cnd rr done"
        );
    }
}
