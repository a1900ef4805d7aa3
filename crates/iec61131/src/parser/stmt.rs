//! Statements.

use super::Parser;
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::token::{Kw, Span, TokenKind};

impl Parser<'_> {
    /// Statements until `stop` accepts the current token (or the file ends).
    pub(super) fn statements(&mut self, stop: impl Fn(&Self) -> bool) -> Vec<Stmt> {
        let mut out = Vec::new();
        while !self.at(TokenKind::Eof) && !stop(self) {
            let before = self.pos;
            if let Some(s) = self.statement() {
                out.append(&mut self.queued);
                out.push(s);
            }
            if self.pos == before {
                // A token no statement can start with: report, skip, go on.
                self.expected("a statement");
                self.bump();
            }
        }
        out
    }

    /// Where a statement ends: `;`, or a keyword that opens or closes a block.
    fn at_sync_point(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::Semi
                | TokenKind::Eof
                | TokenKind::Keyword(
                    Kw::If
                        | Kw::Elsif
                        | Kw::Else
                        | Kw::EndIf
                        | Kw::Case
                        | Kw::EndCase
                        | Kw::For
                        | Kw::EndFor
                        | Kw::While
                        | Kw::EndWhile
                        | Kw::Repeat
                        | Kw::Until
                        | Kw::EndRepeat
                        | Kw::Return
                        | Kw::Exit
                        | Kw::Continue
                        | Kw::EndProgram
                        | Kw::EndFunctionBlock
                        | Kw::EndFunction
                        | Kw::EndMethod
                        | Kw::EndProperty
                        | Kw::Var
                        | Kw::VarInput
                        | Kw::VarOutput
                        | Kw::VarInOut
                        | Kw::VarTemp
                )
        ) || self.at_pou_start()
    }

    fn recover_statement(&mut self) {
        self.skip_until(|p| p.at_sync_point());
        self.eat(TokenKind::Semi);
    }

    fn end_statement(&mut self) {
        if !self.eat(TokenKind::Semi) {
            self.expected("`;`");
            self.recover_statement();
        }
    }

    fn statement(&mut self) -> Option<Stmt> {
        if !self.enter() {
            return None;
        }
        let s = self.statement_inner();
        self.leave();
        s
    }

    fn statement_inner(&mut self) -> Option<Stmt> {
        let start = self.tok().span;
        let kind = match self.peek() {
            TokenKind::Semi => {
                self.bump();
                StmtKind::Empty
            }
            TokenKind::Keyword(Kw::If) => self.if_stmt(),
            TokenKind::Keyword(Kw::Case) => self.case_stmt(),
            TokenKind::Keyword(Kw::For) => self.for_stmt()?,
            TokenKind::Keyword(Kw::While) => {
                self.bump();
                let cond = self.expr();
                self.expect_kw(Kw::Do);
                let body = self.statements(|p| p.at_kw(Kw::EndWhile) || p.at_block_end());
                self.close(Kw::EndWhile, start);
                StmtKind::While { cond, body }
            }
            TokenKind::Keyword(Kw::Repeat) => {
                self.bump();
                let body = self.statements(|p| p.at_kw(Kw::Until) || p.at_block_end());
                self.expect_kw(Kw::Until);
                let until = self.expr();
                self.close(Kw::EndRepeat, start);
                StmtKind::Repeat { body, until }
            }
            TokenKind::Keyword(kw @ (Kw::Exit | Kw::Continue | Kw::Return)) => {
                self.bump();
                self.end_statement();
                match kw {
                    Kw::Exit => StmtKind::Exit,
                    Kw::Continue => StmtKind::Continue,
                    _ => StmtKind::Return,
                }
            }
            TokenKind::Ident
            | TokenKind::Keyword(Kw::This | Kw::Super)
            | TokenKind::DirectAddress
            | TokenKind::LParen => self.expr_statement()?,
            _ => return None,
        };
        Some(Stmt {
            kind,
            span: self.span_from(start),
        })
    }

    /// A keyword that ends some enclosing block: the statement list stops there.
    fn at_block_end(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::Keyword(
                Kw::EndIf
                    | Kw::EndCase
                    | Kw::EndFor
                    | Kw::EndWhile
                    | Kw::EndRepeat
                    | Kw::Until
                    | Kw::Elsif
                    | Kw::Else
                    | Kw::EndProgram
                    | Kw::EndFunctionBlock
                    | Kw::EndFunction
                    | Kw::EndMethod
                    | Kw::EndProperty
            )
        ) || self.at_pou_start()
            || self.at_word("END_ACTION")
            || self.at_word("END_GET")
            || self.at_word("END_SET")
    }

    /// Consumes `END_X` (and an optional `;`), or reports which block it closes.
    fn close(&mut self, end: Kw, opened: Span) {
        if self.eat_kw(end) {
            self.eat(TokenKind::Semi);
            return;
        }
        let opener = &self.text[opened.range()];
        let found = self.found();
        self.diags.push(
            Diagnostic::error(
                Code::MissingEnd,
                self.tok().span,
                format!(
                    "expected `{}` to close the {} opened here, found {found}",
                    end.as_str(),
                    opener.to_ascii_uppercase()
                ),
            )
            .with_help(format!(
                "add {} after the last statement of the {} block",
                end.as_str(),
                opener.to_ascii_uppercase()
            )),
        );
    }

    fn if_stmt(&mut self) -> StmtKind {
        let start = self.bump().span;
        let mut branches = Vec::new();
        let mut else_body = None;
        let cond = self.expr();
        self.expect_kw(Kw::Then);
        let body = self.statements(|p| p.at_block_end());
        branches.push((cond, body));
        loop {
            if self.eat_kw(Kw::Elsif) {
                let cond = self.expr();
                self.expect_kw(Kw::Then);
                let body = self.statements(|p| p.at_block_end());
                branches.push((cond, body));
            } else if self.eat_kw(Kw::Else) {
                else_body = Some(self.statements(|p| p.at_block_end()));
                break;
            } else {
                break;
            }
        }
        self.close(Kw::EndIf, start);
        StmtKind::If {
            branches,
            else_body,
        }
    }

    fn case_stmt(&mut self) -> StmtKind {
        let start = self.bump().span;
        let selector = self.expr();
        self.expect_kw(Kw::Of);
        let mut arms = Vec::new();
        let mut else_body = None;
        loop {
            if self.at_kw(Kw::Else) {
                self.bump();
                else_body = Some(self.statements(|p| p.at_block_end()));
                break;
            }
            if self.at_block_end() || self.at(TokenKind::Eof) {
                break;
            }
            let arm_start = self.tok().span;
            let before = self.pos;
            let mut labels = Vec::new();
            loop {
                let lo = self.expr();
                if self.eat(TokenKind::DotDot) {
                    let hi = self.expr();
                    labels.push(CaseLabel::Range(lo, hi));
                } else {
                    labels.push(CaseLabel::Value(lo));
                }
                if !self.eat(TokenKind::Comma) {
                    break;
                }
            }
            if !self.expect(TokenKind::Colon, "`:` after the CASE label") {
                self.recover_statement();
                if self.pos == before {
                    self.bump();
                }
                continue;
            }
            let body = self.statements(|p| p.at_block_end() || p.looks_like_case_label());
            arms.push(CaseArm {
                labels,
                body,
                span: self.span_from(arm_start),
            });
        }
        self.close(Kw::EndCase, start);
        StmtKind::Case {
            selector,
            arms,
            else_body,
        }
    }

    /// Whether the tokens ahead read as `label, label..label :` (not `:=`).
    fn looks_like_case_label(&self) -> bool {
        let mut i = 0;
        loop {
            match self.peek_at(i) {
                TokenKind::Colon => return i > 0,
                TokenKind::Integer
                | TokenKind::Real
                | TokenKind::Ident
                | TokenKind::TypedPrefix
                | TokenKind::Minus
                | TokenKind::Plus
                | TokenKind::DotDot
                | TokenKind::Comma
                | TokenKind::Dot
                | TokenKind::String
                | TokenKind::Keyword(Kw::True | Kw::False) => i += 1,
                _ => return false,
            }
            if i > 64 {
                return false;
            }
        }
    }

    fn for_stmt(&mut self) -> Option<StmtKind> {
        let start = self.bump().span;
        let Some(var) = self.ident("the loop variable after FOR") else {
            self.recover_statement();
            return None;
        };
        self.expect(TokenKind::Assign, "`:=` after the loop variable");
        let from = self.expr();
        self.expect_kw(Kw::To);
        let to = self.expr();
        let by = if self.eat_kw(Kw::By) {
            Some(self.expr())
        } else {
            None
        };
        self.expect_kw(Kw::Do);
        let body = self.statements(|p| p.at_kw(Kw::EndFor) || p.at_block_end());
        self.close(Kw::EndFor, start);
        Some(StmtKind::For {
            var,
            from,
            to,
            by,
            body,
        })
    }

    /// An assignment (`:=`, `S=`, `R=`, `REF=`) or a call used as a statement.
    fn expr_statement(&mut self) -> Option<StmtKind> {
        let target = self.postfix_expr();
        if matches!(target.kind, ExprKind::Error) {
            self.recover_statement();
            return Some(StmtKind::Empty);
        }
        if self.eat(TokenKind::Assign) {
            let mut targets = vec![target];
            let mut value = self.expr();
            // `a := b := FALSE;` (CODESYS): `b := FALSE; a := b;`.
            while self.at(TokenKind::Assign) && is_place(&value) {
                let at = self.bump().span;
                if targets.len() == 1 {
                    self.diags.push(
                        Diagnostic::note(
                            Code::Dialect,
                            at,
                            "a chained assignment is CODESYS's; IEC 61131-3 assigns one target per statement",
                        )
                        .with_help("it is read as one assignment per target, the rightmost first"),
                    );
                }
                targets.push(value);
                value = self.expr();
            }
            self.end_statement();
            let mut target = targets.pop().expect("one target at least");
            while let Some(outer) = targets.pop() {
                let span = target.span.to(value.span);
                self.queued.push(Stmt {
                    kind: StmtKind::Assign {
                        target: target.clone(),
                        value,
                    },
                    span,
                });
                value = target;
                target = outer;
            }
            return Some(StmtKind::Assign { target, value });
        }
        if self.eat(TokenKind::RefAssign) {
            let value = self.expr();
            self.end_statement();
            return Some(StmtKind::RefAssign { target, value });
        }
        if (self.at_word("S") || self.at_word("R"))
            && self.peek_at(1) == TokenKind::Eq
            && self.tok().span.end == self.tokens[self.pos + 1].span.start
        {
            let set = self.at_word("S");
            self.bump();
            self.bump();
            let value = self.expr();
            self.end_statement();
            return Some(StmtKind::SetReset { set, target, value });
        }
        if matches!(target.kind, ExprKind::Call(..)) {
            self.end_statement();
            return Some(StmtKind::Call(target));
        }
        if self.at(TokenKind::Eq) {
            let d = Diagnostic::error(
                Code::Expected,
                self.tok().span,
                "expected `:=` to assign, found `=`",
            )
            .with_help("assignment is written `:=`; `=` compares two values");
            self.diags.push(d);
        } else if self.at(TokenKind::Semi) {
            // `fb;` calls an instance without arguments? No: IEC requires `fb();`.
            let text = &self.text[target.span.range()];
            self.diags.push(
                Diagnostic::error(
                    Code::Expected,
                    target.span,
                    format!("`{text}` alone is not a statement"),
                )
                .with_help(format!(
                    "to call it write `{text}();`, to assign write `{text} := value;`"
                )),
            );
        } else {
            self.expected("`:=` or a call");
        }
        self.recover_statement();
        Some(StmtKind::Empty)
    }
}

/// Whether an expression names a place a value can be stored in.
fn is_place(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Name(_) | ExprKind::Deref(_) => true,
        ExprKind::Member(b, _) | ExprKind::Index(b, _) | ExprKind::Bit(b, _) => is_place(b),
        _ => false,
    }
}
