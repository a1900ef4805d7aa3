//! The checker: names resolved in every scope, a type for every expression,
//! assignments and arguments checked against IEC 61131-3's conversion rules,
//! calls checked against the signatures of the file's POUs and the standard
//! library, and the mistakes a PLC programmer's compiler warns about.
//!
//! It is conservative: what it cannot know (a type from a library it was not
//! given, pointers and references it cannot follow) is `Unknown` and never
//! produces a diagnostic, so correct code gets no false errors.
//!
//! It reads the project's [`Model`] for what names denote; `stmt` judges
//! statements and block calls, `expr` types expressions and calls, `lints`
//! holds the whole-POU warnings.

use std::collections::HashMap;

use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::token::Span;

mod expr;
mod lints;
mod stmt;

pub use crate::sema::types;
use crate::sema::{upper, Member, Model, Symbol, TypeInfo};
use types::Ty;

/// Checks files that form one project (each may use what the others declare),
/// returning each file's diagnostics. Run it only on trees without syntax errors.
pub fn check(files: &[&SourceFile]) -> Vec<Vec<Diagnostic>> {
    check_with(&Model::build(files), files)
}

/// [`check`], given the project's semantic model already built.
pub fn check_with(model: &Model, files: &[&SourceFile]) -> Vec<Vec<Diagnostic>> {
    analyse(model, files, false).0
}

/// The type the checker gives each expression of each file (by span), in the
/// order it judged them: what the simulator must compute in, and what a
/// decoding grammar built from the program must respect.
pub fn expression_types(files: &[&SourceFile]) -> Vec<ExprTypes> {
    analyse(&Model::build(files), files, true).1
}

/// Each expression's span and type, in the order they were judged.
pub type ExprTypes = Vec<(Span, Ty)>;

fn analyse(
    env: &Model,
    files: &[&SourceFile],
    record: bool,
) -> (Vec<Vec<Diagnostic>>, Vec<ExprTypes>) {
    let mut out: Vec<Vec<Diagnostic>> = vec![Vec::new(); files.len()];
    let mut types: Vec<ExprTypes> = vec![Vec::new(); files.len()];
    for (i, d) in env.diagnostics() {
        out[*i].push(d.clone());
    }
    for (i, file) in files.iter().enumerate() {
        for item in &file.items {
            if let Item::Pou(p) = item {
                let recorder = record.then_some(&mut types[i]);
                check_pou(env, p, None, &mut out[i], recorder);
            }
        }
        out[i].sort_by_key(|d| (d.span.start, d.span.end));
    }
    (out, types)
}

/// Checks one POU (or a method, whose `owner` is its function block).
fn check_pou(
    env: &Model,
    p: &Pou,
    owner: Option<&Pou>,
    diags: &mut Vec<Diagnostic>,
    types: Option<&mut Vec<(Span, Ty)>>,
) {
    let mut scope = Scope {
        types,
        env,
        locals: HashMap::new(),
        for_vars: Vec::new(),
        pou_name: upper(&p.name.name),
        owner_name: owner.map(|o| upper(&o.name.name)),
        result_assigned: false,
        diags,
    };
    if let Some(o) = owner {
        if let Some(sig) = env.pous.get(&upper(&o.name.name)) {
            for v in &sig.vars {
                scope.locals.insert(upper(&v.name), v.clone());
            }
        }
    }
    let sig = match owner {
        Some(o) => env
            .pous
            .get(&upper(&o.name.name))
            .and_then(|s| s.methods.get(&upper(&p.name.name)))
            .cloned(),
        None => env.pous.get(&upper(&p.name.name)).cloned(),
    };
    let own_vars: Vec<Symbol> = sig.as_ref().map(|s| s.vars.clone()).unwrap_or_default();
    for v in &own_vars {
        scope.locals.insert(upper(&v.name), v.clone());
    }
    lints::duplicate_names(p, scope.diags);
    if let Some(body) = &p.body {
        scope.stmts(body);
    }
    for m in &p.members {
        match m.kind {
            PouKind::Method | PouKind::Action => {
                check_pou(env, m, Some(p), scope.diags, scope.types.as_deref_mut())
            }
            // GET and SET accessors see the block's variables, like methods.
            PouKind::Property => {
                for acc in &m.members {
                    check_pou(env, acc, Some(p), scope.diags, scope.types.as_deref_mut());
                }
            }
            _ => {}
        }
    }
    let returns = sig.as_ref().and_then(|s| s.result.clone()).is_some();
    if returns && !scope.result_assigned {
        lints::result_never_assigned(p, scope.diags);
    }
    lints::unused_variables(p, &own_vars, scope.diags);
    lints::outputs_never_assigned(p, &own_vars, scope.diags);
}

struct Scope<'e, 'd> {
    env: &'e Model,
    locals: HashMap<String, Symbol>,
    /// Loop variables of the FOR loops around the current statement.
    for_vars: Vec<String>,
    pou_name: String,
    owner_name: Option<String>,
    result_assigned: bool,
    diags: &'d mut Vec<Diagnostic>,
    /// Where each expression's type is recorded, when asked for.
    types: Option<&'d mut Vec<(Span, Ty)>>,
}

impl Scope<'_, '_> {
    fn err(&mut self, code: Code, span: Span, msg: String, help: Option<String>) {
        let mut d = Diagnostic::error(code, span, msg);
        d.help = help;
        self.diags.push(d);
    }

    fn lookup(&mut self, name: &str) -> Option<Symbol> {
        let u = upper(name);
        if let Some(v) = self.locals.get(&u) {
            return Some(v.clone());
        }
        self.env.globals.get(&u).cloned()
    }

    fn suggest(&self, name: &str) -> Option<String> {
        let u = upper(name);
        let candidates = self.locals.keys().chain(self.env.globals.keys());
        let mut best: Option<(usize, &String)> = None;
        for c in candidates {
            let d = edit_distance(&u, c);
            if d <= 2 && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        }
        best.and_then(|(_, c)| {
            self.locals
                .get(c)
                .or_else(|| self.env.globals.get(c))
                .map(|v| v.name.clone())
        })
    }
}

/// `Idle` or `E_State.Idle` or `E_State#Idle` → `IDLE`.
fn enum_value_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(upper(&n.name)),
        ExprKind::Member(_, m) => Some(upper(&m.name)),
        ExprKind::Literal(Literal::EnumValue { value, .. }) => Some(upper(&value.name)),
        _ => None,
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
