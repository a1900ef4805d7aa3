//! The canonical formatter: prints the syntax tree in one style (upper-case
//! keywords, four-space indentation, one statement per line, spaces around
//! operators) and puts every comment and pragma back where it stood — a
//! comment that ended a line still ends it; one on its own line stays on its
//! own line, before the same declaration or statement. Literals keep their
//! source spelling. Blank lines between items survive (at most one).
//!
//! Text with syntax errors is not formatted: the tree would not be the code.

use crate::ast::*;
use crate::diagnostics::Diagnostic;
use crate::token::{Span, Trivia};

const INDENT: &str = "    ";

/// Formats `text`, or returns its syntax errors.
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = crate::parse(text);
    if parsed.has_errors() {
        return Err(parsed.diagnostics);
    }
    let mut p = Printer {
        src: text,
        trivia: parsed.trivia,
        next_trivia: 0,
        out: String::with_capacity(text.len() + text.len() / 8),
        indent: 0,
        last_end: 0,
    };
    for (i, item) in parsed.file.items.iter().enumerate() {
        if i > 0 {
            p.out.push('\n');
        }
        p.item(item);
    }
    p.comments_before(u32::MAX);
    while p.out.ends_with("\n\n") {
        p.out.pop();
    }
    if !p.out.ends_with('\n') {
        p.out.push('\n');
    }
    Ok(p.out)
}

struct Printer<'a> {
    src: &'a str,
    trivia: Vec<Trivia>,
    next_trivia: usize,
    out: String,
    indent: usize,
    /// Source offset where the last printed node ended.
    last_end: u32,
}

impl Printer<'_> {
    fn text(&self, span: Span) -> &str {
        &self.src[span.range()]
    }

    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    /// Starts a new line at the current indentation.
    fn line(&mut self) {
        if !self.at_line_start() {
            self.out.push('\n');
        }
        for _ in 0..self.indent {
            self.out.push_str(INDENT);
        }
    }

    fn w(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Prints the comments that start before `pos`, then, if the source had a
    /// blank line before `pos`, keeps one.
    fn comments_before(&mut self, pos: u32) {
        while let Some(t) = self.trivia.get(self.next_trivia).copied() {
            if t.span.start >= pos {
                break;
            }
            self.emit_comment(t);
        }
        if pos != u32::MAX && self.last_end > 0 && (self.last_end as usize) < self.src.len() {
            let gap = &self.src
                [(self.last_end as usize).min(pos as usize)..(pos as usize).min(self.src.len())];
            if has_blank_line(gap) {
                self.blank_line();
            }
        }
    }

    /// Prints the next comment: at the end of the current line when nothing but
    /// spaces separated it from what was printed last, else on a line of its own.
    fn emit_comment(&mut self, t: Trivia) {
        self.next_trivia += 1;
        let gap =
            &self.src[(self.last_end as usize).min(t.span.start as usize)..t.span.start as usize];
        let same_line = !gap.contains('\n') && self.last_end > 0;
        let comment = self.text(t.span).trim_end().to_owned();
        if same_line && !self.at_line_start() {
            self.out.push(' ');
            self.out.push_str(&comment);
        } else {
            if has_blank_line(gap) && !self.out.is_empty() {
                self.blank_line();
            }
            self.line();
            // A multi-line comment keeps its own inner layout.
            self.out.push_str(&comment);
        }
        if t.kind == crate::token::TriviaKind::LineComment || comment.contains('\n') {
            self.out.push('\n');
        }
        self.last_end = self.last_end.max(t.span.end);
    }

    fn blank_line(&mut self) {
        if !self.at_line_start() {
            self.out.push('\n');
        }
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Before a node: its leading comments, then a fresh line.
    fn start(&mut self, span: Span) {
        self.comments_before(span.start);
        self.line();
    }

    /// After a node: its end, and the comments inside it or after it on the
    /// same line, which end the printed line (so they stay where formatting
    /// the output again would put them).
    fn done(&mut self, span: Span) {
        self.last_end = self.last_end.max(span.end);
        while let Some(t) = self.trivia.get(self.next_trivia).copied() {
            let inside = t.span.start < self.last_end;
            let trailing = !inside
                && self.src[self.last_end as usize..t.span.start as usize]
                    .chars()
                    .all(|c| c == ' ' || c == '\t');
            if !(inside || trailing) {
                break;
            }
            self.emit_comment(t);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Pou(p) => self.pou(p),
            Item::Types(types) => {
                let start = types.first().map_or(Span::default(), |t| t.span);
                self.start(Span::new(start.start as usize, start.start as usize));
                self.w("TYPE");
                // The keyword stands for the source up to the first declaration.
                self.done(Span::new(start.start as usize, start.start as usize));
                self.indent += 1;
                for t in types {
                    self.type_decl(t);
                }
                self.indent -= 1;
                if let Some(last) = types.last() {
                    self.comments_before(last.span.end + 1);
                }
                self.line();
                self.w("END_TYPE");
            }
            Item::Globals(block) => self.var_block(block),
            Item::Configuration { span, .. } => {
                self.start(*span);
                let raw = self.text(*span).to_owned();
                self.w(&raw);
                // Its comments are inside the verbatim text.
                while self
                    .trivia
                    .get(self.next_trivia)
                    .is_some_and(|t| t.span.start < span.end)
                {
                    self.next_trivia += 1;
                }
                self.done(*span);
            }
        }
    }

    fn pou(&mut self, p: &Pou) {
        self.start(p.span);
        self.w(p.kind.keyword());
        for m in &p.modifiers {
            self.w(" ");
            self.w(&m.name.to_ascii_uppercase());
        }
        self.w(" ");
        self.w(&p.name.name);
        if let Some(t) = &p.return_type {
            self.w(" : ");
            self.type_ref(t);
        }
        if !p.extends.is_empty() {
            self.w(" EXTENDS ");
            self.names(&p.extends);
        }
        if !p.implements.is_empty() {
            self.w(" IMPLEMENTS ");
            self.names(&p.implements);
        }
        let header_end = [
            Some(p.name.span),
            p.return_type.as_ref().map(TypeRef::span),
            p.extends.last().map(|i| i.span),
            p.implements.last().map(|i| i.span),
        ]
        .into_iter()
        .flatten()
        .max_by_key(|s| s.end)
        .unwrap_or(p.name.span);
        self.done(header_end);
        for b in &p.var_blocks {
            self.var_block(b);
        }
        if let Some(body) = &p.body {
            if !body.is_empty() && !p.var_blocks.is_empty() {
                self.blank_line();
            }
            self.stmts(body);
        }
        for m in &p.members {
            self.blank_line();
            if p.kind == PouKind::Property {
                self.accessor(m);
            } else {
                self.pou(m);
            }
        }
        self.comments_before(p.span.end);
        self.line();
        let end = match p.kind {
            PouKind::Action => "END_ACTION".to_owned(),
            k => format!("END_{}", k.keyword()),
        };
        self.w(&end);
        self.done(p.span);
    }

    fn accessor(&mut self, a: &Pou) {
        self.start(a.span);
        self.w(&a.name.name);
        self.done(a.name.span);
        for b in &a.var_blocks {
            self.var_block(b);
        }
        if let Some(body) = &a.body {
            self.stmts(body);
        }
        self.comments_before(a.span.end);
        self.line();
        self.w(&format!("END_{}", a.name.name));
        self.done(a.span);
    }

    fn names(&mut self, names: &[Ident]) {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                self.w(", ");
            }
            self.w(&n.name);
        }
    }

    fn var_block(&mut self, b: &VarBlock) {
        self.start(b.span);
        self.w(b.kind.keyword());
        if b.constant {
            self.w(" CONSTANT");
        }
        if b.retain {
            self.w(" RETAIN");
        }
        if b.persistent {
            self.w(" PERSISTENT");
        }
        let header_end = self.var_header_end(b);
        self.done(Span::new(b.span.start as usize, header_end));
        self.indent += 1;
        for v in &b.vars {
            self.var_decl(v);
        }
        self.indent -= 1;
        self.comments_before(b.span.end);
        self.line();
        self.w("END_VAR");
        self.done(b.span);
    }

    /// Where `VAR_xxx CONSTANT RETAIN …` ends in the source.
    fn var_header_end(&self, b: &VarBlock) -> usize {
        let mut end = b.span.start as usize + b.kind.keyword().len();
        loop {
            let rest = &self.src[end..b.span.end as usize];
            let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
            let word_len = trimmed
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(trimmed.len());
            let word = trimmed[..word_len].to_ascii_uppercase();
            if matches!(
                word.as_str(),
                "CONSTANT" | "RETAIN" | "NON_RETAIN" | "PERSISTENT"
            ) {
                end += rest.len() - trimmed.len() + word_len;
            } else {
                return end;
            }
        }
    }

    fn var_decl(&mut self, v: &VarDecl) {
        self.start(v.span);
        self.names(&v.names);
        if let Some((addr, _)) = &v.location {
            self.w(" AT ");
            self.w(&addr.to_ascii_uppercase());
        }
        self.w(" : ");
        self.type_ref(&v.ty);
        if let Some(init) = &v.init {
            self.w(" := ");
            self.init(init);
        }
        self.w(";");
        self.done(v.span);
    }

    fn type_decl(&mut self, t: &TypeDecl) {
        self.start(t.span);
        self.w(&t.name.name);
        match &t.def {
            TypeDef::Struct(s) | TypeDef::Union(s) => {
                let union = matches!(t.def, TypeDef::Union(_));
                // CODESYS puts a struct's EXTENDS before the colon; so do we.
                if !s.extends.is_empty() {
                    self.w(" EXTENDS ");
                    self.names(&s.extends);
                }
                self.w(if union { " : UNION" } else { " : STRUCT" });
                self.struct_fields(s, if union { "END_UNION" } else { "END_STRUCT" });
            }
            TypeDef::Enum(e) => {
                self.w(" : ");
                self.enum_def(e);
                if let Some(d) = &e.default {
                    self.w(" := ");
                    self.w(&d.name);
                }
            }
            TypeDef::Alias(ty, init) => {
                self.w(" : ");
                self.type_ref(ty);
                if let Some(i) = init {
                    self.w(" := ");
                    self.init(i);
                }
            }
        }
        self.w(";");
        self.done(t.span);
    }

    fn struct_fields(&mut self, s: &StructDef, end: &str) {
        self.done(Span::new(s.span.start as usize, s.span.start as usize));
        self.indent += 1;
        for f in &s.fields {
            self.var_decl(f);
        }
        self.indent -= 1;
        self.comments_before(s.span.end);
        self.line();
        self.w(end);
        self.done(s.span);
    }

    fn enum_def(&mut self, e: &EnumDef) {
        let base_first = e
            .base
            .as_ref()
            .is_some_and(|b| b.span.start < e.span.start + 1 && b.span.start == e.span.start);
        if base_first {
            if let Some(b) = &e.base {
                self.w(&b.name);
                self.w(" ");
            }
        }
        self.w("(");
        for (i, (name, value)) in e.values.iter().enumerate() {
            if i > 0 {
                self.w(", ");
            }
            self.w(&name.name);
            if let Some(v) = value {
                self.w(" := ");
                self.expr(v);
            }
        }
        self.w(")");
        if !base_first {
            if let Some(b) = &e.base {
                self.w(" ");
                self.w(&b.name);
            }
        }
    }

    fn type_ref(&mut self, t: &TypeRef) {
        match t {
            TypeRef::Named(n) => {
                let upper = n.name.to_ascii_uppercase();
                // Elementary type names in canonical case; user types as written.
                if crate::format::ELEMENTARY.contains(&upper.as_str()) {
                    self.w(&upper);
                } else {
                    self.w(&n.name);
                }
            }
            TypeRef::String { wide, len, .. } => {
                self.w(if *wide { "WSTRING" } else { "STRING" });
                if let Some(l) = len {
                    self.w("(");
                    self.expr(l);
                    self.w(")");
                }
            }
            TypeRef::Array { dims, elem, .. } => {
                self.w("ARRAY[");
                for (i, d) in dims.iter().enumerate() {
                    if i > 0 {
                        self.w(", ");
                    }
                    match d {
                        Some((lo, hi)) => {
                            self.expr(lo);
                            self.w("..");
                            self.expr(hi);
                        }
                        None => self.w("*"),
                    }
                }
                self.w("] OF ");
                self.type_ref(elem);
            }
            TypeRef::Pointer(t, _) => {
                self.w("POINTER TO ");
                self.type_ref(t);
            }
            TypeRef::Reference(t, span) => {
                let raw = self.text(*span).trim_start().to_ascii_uppercase();
                self.w(if raw.starts_with("REF_TO") {
                    "REF_TO "
                } else {
                    "REFERENCE TO "
                });
                self.type_ref(t);
            }
            TypeRef::Subrange { base, lo, hi, .. } => {
                self.type_ref(&TypeRef::Named(base.clone()));
                self.w(" (");
                self.expr(lo);
                self.w("..");
                self.expr(hi);
                self.w(")");
            }
            TypeRef::InlineEnum(e) => self.enum_def(e),
            TypeRef::InlineStruct(s) => {
                self.w("STRUCT");
                self.struct_fields(s, "END_STRUCT");
            }
        }
    }

    fn init(&mut self, i: &Initializer) {
        match i {
            Initializer::Expr(e) => self.expr(e),
            Initializer::Array(items, _) => {
                self.w("[");
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        self.w(", ");
                    }
                    if let Some(r) = &item.repeat {
                        self.expr(r);
                        self.w("(");
                        if let Some(v) = &item.value {
                            self.init(v);
                        }
                        self.w(")");
                    } else if let Some(v) = &item.value {
                        self.init(v);
                    }
                }
                self.w("]");
            }
            Initializer::Struct(fields, _) => {
                self.w("(");
                for (n, (name, v)) in fields.iter().enumerate() {
                    if n > 0 {
                        self.w(", ");
                    }
                    self.w(&name.name);
                    self.w(" := ");
                    self.init(v);
                }
                self.w(")");
            }
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn block(&mut self, stmts: &[Stmt]) {
        self.indent += 1;
        self.stmts(stmts);
        self.indent -= 1;
    }

    fn stmt(&mut self, s: &Stmt) {
        self.start(s.span);
        match &s.kind {
            StmtKind::Assign { target, value } => self.assign(target, ":=", value),
            StmtKind::RefAssign { target, value } => self.assign(target, "REF=", value),
            StmtKind::SetReset { set, target, value } => {
                self.assign(target, if *set { "S=" } else { "R=" }, value)
            }
            StmtKind::Call(e) => {
                self.expr(e);
                self.w(";");
            }
            StmtKind::If {
                branches,
                else_body,
            } => {
                for (i, (cond, body)) in branches.iter().enumerate() {
                    if i > 0 {
                        self.comments_before(cond.span.start);
                        self.line();
                        self.w("ELSIF ");
                    } else {
                        self.w("IF ");
                    }
                    self.expr(cond);
                    self.w(" THEN");
                    self.done(cond.span);
                    self.block(body);
                }
                if let Some(body) = else_body {
                    self.else_branch(body);
                }
                self.end(s.span, "END_IF");
            }
            StmtKind::Case {
                selector,
                arms,
                else_body,
            } => {
                self.w("CASE ");
                self.expr(selector);
                self.w(" OF");
                self.done(selector.span);
                self.indent += 1;
                for arm in arms {
                    self.start(arm.span);
                    for (i, l) in arm.labels.iter().enumerate() {
                        if i > 0 {
                            self.w(", ");
                        }
                        match l {
                            CaseLabel::Value(v) => self.expr(v),
                            CaseLabel::Range(lo, hi) => {
                                self.expr(lo);
                                self.w("..");
                                self.expr(hi);
                            }
                        }
                    }
                    self.w(":");
                    if let Some(CaseLabel::Value(e) | CaseLabel::Range(_, e)) = arm.labels.last() {
                        self.done(e.span);
                    }
                    self.block(&arm.body);
                }
                self.indent -= 1;
                if let Some(body) = else_body {
                    self.else_branch(body);
                }
                self.end(s.span, "END_CASE");
            }
            StmtKind::For {
                var,
                from,
                to,
                by,
                body,
            } => {
                self.w("FOR ");
                self.w(&var.name);
                self.w(" := ");
                self.expr(from);
                self.w(" TO ");
                self.expr(to);
                if let Some(b) = by {
                    self.w(" BY ");
                    self.expr(b);
                }
                self.w(" DO");
                self.done(by.as_ref().unwrap_or(to).span);
                self.block(body);
                self.end(s.span, "END_FOR");
            }
            StmtKind::While { cond, body } => {
                self.w("WHILE ");
                self.expr(cond);
                self.w(" DO");
                self.done(cond.span);
                self.block(body);
                self.end(s.span, "END_WHILE");
            }
            StmtKind::Repeat { body, until } => {
                self.w("REPEAT");
                self.done(Span::new(s.span.start as usize, s.span.start as usize + 6));
                self.block(body);
                self.comments_before(until.span.start);
                self.line();
                self.w("UNTIL ");
                self.expr(until);
                self.end(s.span, "END_REPEAT");
            }
            StmtKind::Exit => self.w("EXIT;"),
            StmtKind::Continue => self.w("CONTINUE;"),
            StmtKind::Return => self.w("RETURN;"),
            StmtKind::Empty => self.w(";"),
        }
        self.done(s.span);
    }

    /// `ELSE` and its statements. The AST keeps no position for the keyword, so
    /// comments before the first statement are placed before `ELSE`: moved a
    /// little at most, never lost, and stable when formatted again.
    fn else_branch(&mut self, body: &[Stmt]) {
        if let Some(first) = body.first() {
            self.comments_before(first.span.start);
        }
        self.line();
        self.w("ELSE");
        self.block(body);
    }

    fn end(&mut self, span: Span, word: &str) {
        self.comments_before(span.end);
        self.line();
        self.w(word);
        self.w(";");
    }

    fn assign(&mut self, target: &Expr, op: &str, value: &Expr) {
        self.expr(target);
        self.w(" ");
        self.w(op);
        self.w(" ");
        self.expr(value);
        self.w(";");
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Literal(lit) => {
                let raw = self.text(e.span).to_owned();
                match lit {
                    Literal::Bool { typed: None, value } => {
                        self.w(if *value { "TRUE" } else { "FALSE" })
                    }
                    _ => self.w(&raw),
                }
            }
            ExprKind::Name(n) => self.w(&n.name),
            ExprKind::This => self.w("THIS"),
            ExprKind::Super => self.w("SUPER"),
            ExprKind::Address(a) => self.w(&a.to_ascii_uppercase()),
            ExprKind::Member(base, m) => {
                self.expr(base);
                self.w(".");
                self.w(&m.name);
            }
            ExprKind::Bit(base, bit) => {
                self.expr(base);
                self.w(&format!(".{bit}"));
            }
            ExprKind::Index(base, idx) => {
                self.expr(base);
                self.w("[");
                for (i, x) in idx.iter().enumerate() {
                    if i > 0 {
                        self.w(", ");
                    }
                    self.expr(x);
                }
                self.w("]");
            }
            ExprKind::Deref(base) => {
                self.expr(base);
                self.w("^");
            }
            ExprKind::Call(f, args) => {
                self.expr(f);
                self.w("(");
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.w(", ");
                    }
                    if a.negated {
                        self.w("NOT ");
                    }
                    if let Some(n) = &a.name {
                        self.w(&n.name);
                        self.w(if a.output { " => " } else { " := " });
                        if matches!(a.value.kind, ExprKind::Error) {
                            // An unconnected output: `Q =>`.
                            self.out.pop();
                            continue;
                        }
                    }
                    self.expr(&a.value);
                }
                self.w(")");
            }
            // `INT#-5` is a negated literal sharing the whole span: print it as written.
            ExprKind::Unary(UnaryOp::Neg, x) if x.span == e.span => {
                let raw = self.text(e.span).to_owned();
                self.w(&raw);
            }
            ExprKind::Unary(op, x) => {
                self.w(match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Plus => "+",
                    UnaryOp::Not => "NOT ",
                });
                self.expr(x);
            }
            ExprKind::Binary(op, l, r) => {
                self.expr(l);
                self.w(" ");
                self.w(op.symbol());
                self.w(" ");
                self.expr(r);
            }
            ExprKind::Paren(x) => {
                self.w("(");
                self.expr(x);
                self.w(")");
            }
            ExprKind::Error => {}
        }
    }
}

/// Whether `gap` holds an empty line (keywords the printer writes itself, like
/// ELSE, may stand in a gap; their lines do not count as blank).
fn has_blank_line(gap: &str) -> bool {
    let parts: Vec<&str> = gap.split('\n').collect();
    parts.len() > 2
        && parts[1..parts.len() - 1]
            .iter()
            .any(|l| l.trim().is_empty())
}

/// Elementary type names, printed upper-case.
const ELEMENTARY: &[&str] = &[
    "BOOL",
    "SINT",
    "INT",
    "DINT",
    "LINT",
    "USINT",
    "UINT",
    "UDINT",
    "ULINT",
    "BYTE",
    "WORD",
    "DWORD",
    "LWORD",
    "REAL",
    "LREAL",
    "TIME",
    "LTIME",
    "DATE",
    "LDATE",
    "TIME_OF_DAY",
    "TOD",
    "LTOD",
    "DATE_AND_TIME",
    "DT",
    "LDT",
    "CHAR",
    "WCHAR",
];

#[cfg(test)]
mod tests;
