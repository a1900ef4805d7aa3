//! Every name a POU mentions and how, in one walk: the table the unused and
//! never-assigned warnings are queries over, and what a tool asks for "where
//! is this variable written".

use std::collections::HashMap;

use super::upper;
use crate::ast::visit::{root_name, walk_arg, walk_stmt, Visit};
use crate::ast::*;
use crate::token::Span;

/// How a name is used at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read in code, an initial value or a declared bound.
    Read,
    /// At the root of an assignment target (`a.b[i] :=`, `S=`, `REF=`), a FOR
    /// variable, or an output connected with `=>`.
    Write,
    /// Passed to a call: it may be a VAR_IN_OUT, so it may be written.
    Pass,
}

/// The uses of the names in one POU and its members (methods, actions,
/// property accessors), by upper-case name, in source order.
#[derive(Debug, Default)]
pub struct Uses(HashMap<String, Vec<(Span, Access)>>);

impl Uses {
    pub fn of(p: &Pou) -> Uses {
        let mut u = Walker {
            uses: Uses::default(),
            pending: Vec::new(),
        };
        u.visit_pou(p);
        u.uses
    }

    /// Where `name` (any case) is used, and how.
    pub fn of_name(&self, name: &str) -> &[(Span, Access)] {
        self.0.get(&upper(name)).map_or(&[], Vec::as_slice)
    }

    pub fn is_used(&self, name: &str) -> bool {
        !self.of_name(name).is_empty()
    }

    /// Whether anything may write `name`: a write, or passing it to a call.
    pub fn may_be_written(&self, name: &str) -> bool {
        self.of_name(name)
            .iter()
            .any(|(_, a)| matches!(a, Access::Write | Access::Pass))
    }
}

struct Walker {
    uses: Uses,
    /// Root names of the targets and arguments being walked, with the access
    /// their root gets when the walk reaches it.
    pending: Vec<(Span, Access)>,
}

impl Walker {
    fn mark(&mut self, e: &Expr, access: Access) {
        if let Some(n) = root_name(e) {
            self.pending.push((n.span, access));
        }
    }
}

impl<'a> Visit<'a> for Walker {
    fn visit_stmt(&mut self, s: &'a Stmt) {
        match &s.kind {
            StmtKind::Assign { target, .. }
            | StmtKind::RefAssign { target, .. }
            | StmtKind::SetReset { target, .. } => self.mark(target, Access::Write),
            StmtKind::For { var, .. } => self.pending.push((var.span, Access::Write)),
            _ => {}
        }
        walk_stmt(self, s)
    }

    fn visit_arg(&mut self, a: &'a Arg) {
        let access = if a.output {
            Access::Write
        } else {
            Access::Pass
        };
        self.mark(&a.value, access);
        walk_arg(self, a)
    }

    fn visit_name_ref(&mut self, n: &'a Ident) {
        let access = self
            .pending
            .iter()
            .rposition(|(s, _)| *s == n.span)
            .map_or(Access::Read, |i| self.pending.swap_remove(i).1);
        self.uses
            .0
            .entry(upper(&n.name))
            .or_default()
            .push((n.span, access));
    }
}
