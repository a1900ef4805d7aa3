//! Expressions: precedence climbing over IEC 61131-3's operator table.

use super::Parser;
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::literals;
use crate::token::{Kw, Span, Token, TokenKind};

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Expr {
        if !self.enter() {
            return self.error_expr(self.tok().span);
        }
        let e = self.binary(1);
        self.leave();
        e
    }

    fn error_expr(&self, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Error,
            span,
        }
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        Some(match self.peek() {
            TokenKind::Keyword(Kw::Or) => BinaryOp::Or,
            TokenKind::Keyword(Kw::OrElse) => BinaryOp::OrElse,
            TokenKind::Keyword(Kw::Xor) => BinaryOp::Xor,
            TokenKind::Keyword(Kw::And) | TokenKind::Amp => BinaryOp::And,
            TokenKind::Keyword(Kw::AndThen) => BinaryOp::AndThen,
            TokenKind::Eq => BinaryOp::Eq,
            TokenKind::Ne => BinaryOp::Ne,
            TokenKind::Lt => BinaryOp::Lt,
            TokenKind::Le => BinaryOp::Le,
            TokenKind::Gt => BinaryOp::Gt,
            TokenKind::Ge => BinaryOp::Ge,
            TokenKind::Plus => BinaryOp::Add,
            TokenKind::Minus => BinaryOp::Sub,
            TokenKind::Star => BinaryOp::Mul,
            TokenKind::Slash => BinaryOp::Div,
            TokenKind::Keyword(Kw::Mod) => BinaryOp::Mod,
            TokenKind::Power => BinaryOp::Pow,
            _ => return None,
        })
    }

    /// Left-associative binary operators binding at least `min`.
    fn binary(&mut self, min: u8) -> Expr {
        let mut lhs = self.unary();
        // Each operator of a chain nests the tree one level deeper on the left,
        // and everything that walks the tree recurses that deep: count it.
        let mut levels = 0;
        while let Some(op) = self.binary_op() {
            let prec = op.precedence();
            if prec < min {
                break;
            }
            self.bump();
            levels += 1;
            if !self.enter() {
                break;
            }
            let rhs = self.binary(prec + 1);
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        self.depth -= levels;
        lhs
    }

    /// Negation and NOT bind tighter than every binary operator, `**` included.
    fn unary(&mut self) -> Expr {
        let start = self.tok().span;
        let op = match self.peek() {
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Plus => UnaryOp::Plus,
            TokenKind::Keyword(Kw::Not) => UnaryOp::Not,
            _ => return self.postfix_expr(),
        };
        self.bump();
        if !self.enter() {
            return self.error_expr(start);
        }
        let operand = self.unary();
        self.leave();
        Expr {
            span: start.to(operand.span),
            kind: ExprKind::Unary(op, Box::new(operand)),
        }
    }

    /// A primary followed by `.member`, `.3`, `[i]`, `^` and `(args)`.
    pub(super) fn postfix_expr(&mut self) -> Expr {
        let mut e = self.primary();
        loop {
            match self.peek() {
                TokenKind::Dot => {
                    self.bump();
                    match self.peek() {
                        TokenKind::Ident => {
                            let t = self.bump();
                            let id = Ident {
                                name: self.text_of(t).to_owned(),
                                span: t.span,
                            };
                            e = Expr {
                                span: e.span.to(t.span),
                                kind: ExprKind::Member(Box::new(e), id),
                            };
                        }
                        TokenKind::Integer if matches!(e.kind, ExprKind::Literal(_)) => {
                            // `5 .0` is not a bit access; a literal has no bits to address.
                            self.expected("a variable before a bit access");
                            return e;
                        }
                        TokenKind::Integer => {
                            let t = self.bump();
                            let bit = literals::parse_integer(self.text_of(t))
                                .and_then(|b| u32::try_from(b).ok())
                                .unwrap_or(u32::MAX);
                            e = Expr {
                                span: e.span.to(t.span),
                                kind: ExprKind::Bit(Box::new(e), bit),
                            };
                        }
                        _ => {
                            self.expected("a member name or bit number after `.`");
                            return e;
                        }
                    }
                }
                TokenKind::LBracket => {
                    self.bump();
                    let mut idx = vec![self.expr()];
                    while self.eat(TokenKind::Comma) {
                        idx.push(self.expr());
                    }
                    self.expect(TokenKind::RBracket, "`]` after the index");
                    e = Expr {
                        span: self.span_from(e.span),
                        kind: ExprKind::Index(Box::new(e), idx),
                    };
                }
                TokenKind::Caret => {
                    let t = self.bump();
                    e = Expr {
                        span: e.span.to(t.span),
                        kind: ExprKind::Deref(Box::new(e)),
                    };
                }
                TokenKind::LParen => {
                    self.bump();
                    let args = self.call_args();
                    e = Expr {
                        span: self.span_from(e.span),
                        kind: ExprKind::Call(Box::new(e), args),
                    };
                }
                _ => return e,
            }
        }
    }

    /// After `(`: arguments up to and including `)`.
    fn call_args(&mut self) -> Vec<Arg> {
        let mut args = Vec::new();
        if self.eat(TokenKind::RParen) {
            return args;
        }
        loop {
            let negated = self.at_kw(Kw::Not)
                && self.peek_at(1) == TokenKind::Ident
                && self.peek_at(2) == TokenKind::Arrow;
            if negated {
                self.bump();
            }
            let named = self.at(TokenKind::Ident)
                && matches!(self.peek_at(1), TokenKind::Assign | TokenKind::Arrow);
            if named {
                let t = self.bump();
                let name = Ident {
                    name: self.text_of(t).to_owned(),
                    span: t.span,
                };
                let output = self.bump().kind == TokenKind::Arrow;
                // `Q =>` with nothing after it leaves an output unconnected.
                let value = if output && matches!(self.peek(), TokenKind::Comma | TokenKind::RParen)
                {
                    self.error_expr(t.span)
                } else {
                    self.expr()
                };
                args.push(Arg {
                    name: Some(name),
                    output,
                    negated,
                    value,
                });
            } else {
                args.push(Arg {
                    name: None,
                    output: false,
                    negated: false,
                    value: self.expr(),
                });
            }
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        if !self.eat(TokenKind::RParen) {
            self.expected("`,` or `)` in the argument list");
            // Skip to the closing parenthesis on this statement, if any.
            self.skip_until(|p| {
                p.at(TokenKind::RParen)
                    || p.at(TokenKind::Semi)
                    || p.at_kw(Kw::Then)
                    || p.at_kw(Kw::Do)
            });
            self.eat(TokenKind::RParen);
        }
        args
    }

    fn literal_expr(&self, t: Token, lit: Literal) -> Expr {
        Expr {
            kind: ExprKind::Literal(lit),
            span: t.span,
        }
    }

    pub(super) fn expr_primary_literal(&mut self) -> Expr {
        self.primary()
    }

    fn primary(&mut self) -> Expr {
        let t = self.tok();
        let text = self.text_of(t);
        match t.kind {
            TokenKind::Integer => {
                self.bump();
                let value = literals::parse_integer(text);
                self.number_or_error(
                    t,
                    value.map(|value| Literal::Integer { value, typed: None }),
                )
            }
            TokenKind::Real => {
                self.bump();
                let value = literals::parse_real(text);
                self.number_or_error(t, value.map(|value| Literal::Real { value, typed: None }))
            }
            TokenKind::Keyword(Kw::True | Kw::False) => {
                self.bump();
                self.literal_expr(
                    t,
                    Literal::Bool {
                        value: t.kind == TokenKind::Keyword(Kw::True),
                        typed: None,
                    },
                )
            }
            TokenKind::String | TokenKind::WString => {
                self.bump();
                // The lexer reported any bad escape; keep the raw text then.
                let value = literals::unescape_string(text)
                    .unwrap_or_else(|| text.trim_matches(['\'', '"']).to_owned());
                self.literal_expr(
                    t,
                    Literal::String {
                        value,
                        wide: t.kind == TokenKind::WString,
                    },
                )
            }
            TokenKind::Duration
            | TokenKind::Date
            | TokenKind::TimeOfDay
            | TokenKind::DateAndTime => {
                self.bump();
                let (prefix, body) = text.split_once('#').unwrap_or(("", text));
                let lit = match t.kind {
                    TokenKind::Duration => {
                        literals::parse_duration(body).map(|ns| Literal::Duration {
                            ns,
                            long: prefix.to_ascii_uppercase().starts_with('L'),
                        })
                    }
                    TokenKind::Date => {
                        literals::parse_date(body).map(|(y, m, d)| Literal::Date { y, m, d })
                    }
                    TokenKind::TimeOfDay => {
                        literals::parse_time_of_day(body).map(|ns| Literal::TimeOfDay { ns })
                    }
                    _ => literals::parse_date_and_time(body)
                        .map(|(date, ns)| Literal::DateAndTime { date, ns }),
                };
                // The lexer only makes these tokens from valid literals.
                match lit {
                    Some(l) => self.literal_expr(t, l),
                    None => self.error_expr(t.span),
                }
            }
            TokenKind::TypedPrefix => self.typed_literal(),
            // The contextual end words close a statement list, so they are no
            // names: `i := END_GET := x` would format into a statement that
            // starts with END_GET and no longer parses.
            TokenKind::Ident
                if ["END_ACTION", "END_GET", "END_SET"]
                    .iter()
                    .any(|w| text.eq_ignore_ascii_case(w)) =>
            {
                self.expected("an expression");
                self.error_expr(t.span)
            }
            TokenKind::Ident => {
                self.bump();
                Expr {
                    kind: ExprKind::Name(Ident {
                        name: text.to_owned(),
                        span: t.span,
                    }),
                    span: t.span,
                }
            }
            TokenKind::Keyword(Kw::This) => {
                self.bump();
                Expr {
                    kind: ExprKind::This,
                    span: t.span,
                }
            }
            TokenKind::Keyword(Kw::Super) => {
                self.bump();
                Expr {
                    kind: ExprKind::Super,
                    span: t.span,
                }
            }
            TokenKind::DirectAddress => {
                self.bump();
                Expr {
                    kind: ExprKind::Address(text.to_owned()),
                    span: t.span,
                }
            }
            TokenKind::LParen => {
                self.bump();
                let inner = self.expr();
                self.expect(TokenKind::RParen, "`)`");
                Expr {
                    span: self.span_from(t.span),
                    kind: ExprKind::Paren(Box::new(inner)),
                }
            }
            TokenKind::Error => {
                // Already reported by the lexer.
                self.bump();
                self.error_expr(t.span)
            }
            _ => {
                self.expected("an expression");
                self.error_expr(t.span)
            }
        }
    }

    fn number_or_error(&mut self, t: Token, lit: Option<Literal>) -> Expr {
        match lit {
            Some(l) => self.literal_expr(t, l),
            None => {
                self.diags.push(Diagnostic::error(
                    Code::BadNumber,
                    t.span,
                    format!("`{}` is out of range for any numeric type", self.text_of(t)),
                ));
                self.error_expr(t.span)
            }
        }
    }

    /// `INT#5`, `INT#-5`, `INT#16#FF`, `REAL#1.5`, `BOOL#1`, `BOOL#TRUE`, `E_State#Idle`.
    fn typed_literal(&mut self) -> Expr {
        let t = self.bump();
        let prefix_text = self.text_of(t);
        let ty = Ident {
            name: prefix_text.trim_end_matches('#').to_owned(),
            span: Span::new(t.span.start as usize, t.span.end as usize - 1),
        };
        // A typed literal is one word: nothing may stand between its parts.
        let adjacent = |p: &Self, end: u32| p.tok().span.start == end;
        let mut end = t.span.end;
        let negative = adjacent(self, end) && self.at(TokenKind::Minus);
        if negative {
            end = self.bump().span.end;
        }
        if !adjacent(self, end) {
            let d = Diagnostic::error(
                Code::BadNumber,
                t.span,
                format!(
                    "`{prefix_text}` must be followed directly by its value, as in {}#5",
                    ty_name(prefix_text)
                ),
            )
            .with_help("remove the space or comment after `#`");
            self.diags.push(d);
            return self.error_expr(t.span);
        }
        let v = self.tok();
        let vtext = self.text_of(v);
        let upper = ty.name.to_ascii_uppercase();
        let lit = match v.kind {
            TokenKind::Integer if upper == "BOOL" => match literals::parse_integer(vtext) {
                Some(0) => Some(Literal::Bool {
                    value: false,
                    typed: Some(ty.clone()),
                }),
                Some(1) => Some(Literal::Bool {
                    value: true,
                    typed: Some(ty.clone()),
                }),
                _ => None,
            },
            TokenKind::Integer => literals::parse_integer(vtext).map(|value| Literal::Integer {
                value,
                typed: Some(ty.clone()),
            }),
            TokenKind::Real => literals::parse_real(vtext).map(|value| Literal::Real {
                value,
                typed: Some(ty.clone()),
            }),
            TokenKind::Keyword(Kw::True | Kw::False) => Some(Literal::Bool {
                value: v.kind == TokenKind::Keyword(Kw::True),
                typed: Some(ty.clone()),
            }),
            TokenKind::Ident if !negative => Some(Literal::EnumValue {
                ty: ty.clone(),
                value: Ident {
                    name: vtext.to_owned(),
                    span: v.span,
                },
            }),
            _ => None,
        };
        let Some(lit) = lit else {
            let d = Diagnostic::error(
                Code::BadNumber,
                t.span.to(v.span),
                format!(
                    "`{prefix_text}` must be followed by a value of type {}, found {}",
                    ty.name,
                    self.found()
                ),
            )
            .with_help(format!(
                "write e.g. {}#5, or an enumeration value as {}#Name",
                ty.name, ty.name
            ));
            self.diags.push(d);
            return self.error_expr(t.span);
        };
        self.bump();
        let span = t.span.to(v.span);
        let e = Expr {
            kind: ExprKind::Literal(lit),
            span,
        };
        if negative {
            Expr {
                kind: ExprKind::Unary(UnaryOp::Neg, Box::new(e)),
                span,
            }
        } else {
            e
        }
    }
}

fn ty_name(prefix: &str) -> &str {
    prefix.trim_end_matches('#')
}
