//! The mistakes a PLC programmer's compiler warns about that are questions
//! about a whole POU rather than one statement: names declared twice,
//! variables never used or never assigned, outputs never written (queries
//! over [`Uses`]), and a function that never assigns its result.

use std::collections::HashSet;

use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::sema::types::Ty;
use crate::sema::upper;
use crate::sema::uses::Uses;
use crate::sema::Symbol;

/// One name, one variable: a second declaration (in any VAR section of the
/// block) would leave it unclear which one the body means.
pub(super) fn duplicate_names(p: &Pou, diags: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    for n in p
        .var_blocks
        .iter()
        .flat_map(|b| &b.vars)
        .flat_map(|d| &d.names)
    {
        if !seen.insert(upper(&n.name)) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    n.span,
                    format!("`{}` is already declared in this block", n.name),
                )
                .with_help("rename or remove one of the two declarations"),
            );
        }
    }
}

/// For a function or method that returns a value and whose body (not empty)
/// never assigned it.
pub(super) fn result_never_assigned(p: &Pou, diags: &mut Vec<Diagnostic>) {
    if matches!(p.kind, PouKind::Function | PouKind::Method)
        && p.body.as_ref().is_some_and(|b| !b.is_empty())
    {
        diags.push(
            Diagnostic::warning(
                Code::ResultNeverAssigned,
                p.name.span,
                format!(
                    "{} {} never assigns its result",
                    p.kind.keyword(),
                    p.name.name
                ),
            )
            .with_help(format!("assign it with `{} := value;`", p.name.name)),
        );
    }
}

/// Outputs of a block with a body (not empty) that nothing in it writes: the
/// caller would always read the initial value. Written means assigned, set
/// or reset, connected with `=>`, or passed to a call that may write it.
pub(super) fn outputs_never_assigned(p: &Pou, own_vars: &[Symbol], diags: &mut Vec<Diagnostic>) {
    if p.body.as_ref().is_none_or(|b| b.is_empty()) {
        return;
    }
    let uses = Uses::of(p);
    for v in own_vars {
        if v.kind == VarKind::Output && !uses.may_be_written(&v.name) {
            diags.push(
                Diagnostic::warning(
                    Code::OutputNeverAssigned,
                    v.span,
                    format!(
                        "output `{}` is never assigned, so the caller always reads its initial value",
                        v.name
                    ),
                )
                .with_help(format!("assign it in the body: `{} := …;`", v.name)),
            );
        }
    }
}

/// Local variables (VAR, VAR_TEMP) the POU never names, or reads without
/// anything assigning them (no initial value, not CONSTANT).
pub(super) fn unused_variables(p: &Pou, own_vars: &[Symbol], diags: &mut Vec<Diagnostic>) {
    if p.body.is_none() || p.kind == PouKind::Interface {
        return;
    }
    let initialized: HashSet<String> = p
        .var_blocks
        .iter()
        .flat_map(|b| &b.vars)
        .filter(|d| d.init.is_some())
        .flat_map(|d| d.names.iter().map(|n| upper(&n.name)))
        .chain(
            p.var_blocks
                .iter()
                .filter(|b| b.constant)
                .flat_map(|b| &b.vars)
                .flat_map(|d| d.names.iter().map(|n| upper(&n.name))),
        )
        .collect();
    let uses = Uses::of(p);
    for v in own_vars {
        if !matches!(v.kind, VarKind::Var | VarKind::Temp) {
            continue;
        }
        let u = upper(&v.name);
        if !uses.is_used(&u) {
            diags.push(
                Diagnostic::warning(
                    Code::Unused,
                    v.span,
                    format!("variable `{}` is never used", v.name),
                )
                .with_help("remove it, or use it"),
            );
        } else if !uses.may_be_written(&u)
            && !initialized.contains(&u)
            && !matches!(v.ty, Ty::User(_) | Ty::Unknown | Ty::Array { .. })
        {
            diags.push(
                Diagnostic::warning(
                    Code::NeverAssigned,
                    v.span,
                    format!(
                        "variable `{}` is read but never assigned, so it always holds its default",
                        v.name
                    ),
                )
                .with_help("assign it, give it an initial value with :=, or declare it CONSTANT"),
            );
        }
    }
}
