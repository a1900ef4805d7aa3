//! POUs, variable blocks, types and initializers.

use super::{Parser, MODIFIERS};
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::token::{Kw, TokenKind};

impl Parser<'_> {
    /// `PROGRAM`, `FUNCTION_BLOCK`, `FUNCTION`, `INTERFACE`, `METHOD`, `PROPERTY` or `ACTION`.
    pub(super) fn pou(&mut self) -> Option<Pou> {
        let start = self.tok().span;
        let (kind, end_kw): (PouKind, Option<Kw>) = match self.peek() {
            TokenKind::Keyword(Kw::Program) => (PouKind::Program, Some(Kw::EndProgram)),
            TokenKind::Keyword(Kw::FunctionBlock) => {
                (PouKind::FunctionBlock, Some(Kw::EndFunctionBlock))
            }
            TokenKind::Keyword(Kw::Function) => (PouKind::Function, Some(Kw::EndFunction)),
            TokenKind::Keyword(Kw::Interface) => (PouKind::Interface, Some(Kw::EndInterface)),
            TokenKind::Keyword(Kw::Method) => (PouKind::Method, Some(Kw::EndMethod)),
            TokenKind::Keyword(Kw::Property) => (PouKind::Property, Some(Kw::EndProperty)),
            _ => (PouKind::Action, None),
        };
        let keyword = self.bump().span;
        if kind == PouKind::FunctionBlock && keyword.range().len() == "FUNCTIONBLOCK".len() {
            self.diags.push(
                Diagnostic::note(
                    Code::Dialect,
                    keyword,
                    "FUNCTIONBLOCK is CODESYS 2.3's spelling of FUNCTION_BLOCK",
                )
                .with_help(
                    "IEC 61131-3 writes FUNCTION_BLOCK … END_FUNCTION_BLOCK; `st fmt` writes it so",
                ),
            );
        }

        let mut modifiers = Vec::new();
        while self.at(TokenKind::Ident)
            && self.peek_at(1) == TokenKind::Ident
            && MODIFIERS.iter().any(|m| self.at_word(m))
        {
            modifiers.push(self.ident("a modifier")?);
        }
        let Some(name) = self.qualified_ident(&format!("the name of the {}", kind.keyword()))
        else {
            self.skip_until(|p| p.at_pou_start());
            return None;
        };

        let mut pou = Pou {
            kind,
            name,
            modifiers,
            return_type: None,
            extends: Vec::new(),
            implements: Vec::new(),
            var_blocks: Vec::new(),
            body: None,
            members: Vec::new(),
            span: start,
        };

        // Header clauses, in any order CODESYS and TwinCAT write them.
        loop {
            if self.eat_kw(Kw::Extends) {
                pou.extends = self.name_list("the base type after EXTENDS");
            } else if self.eat_kw(Kw::Implements) {
                pou.implements = self.name_list("an interface after IMPLEMENTS");
            } else if self.at(TokenKind::Colon) {
                self.bump();
                // `ACTION Name:` has a bare colon.
                if kind != PouKind::Action {
                    pou.return_type = self.type_ref();
                }
            } else {
                break;
            }
        }
        self.eat(TokenKind::Semi);

        self.var_blocks_into(&mut pou.var_blocks);

        match kind {
            PouKind::Interface => {
                self.members_into(&mut pou.members, kind);
            }
            PouKind::Property => {
                if self.at_word("GET") || self.at_word("SET") {
                    while self.at_word("GET") || self.at_word("SET") {
                        if let Some(acc) = self.accessor() {
                            pou.members.push(acc);
                        }
                    }
                } else {
                    pou.body = Some(self.body_until_end());
                }
            }
            _ => {
                pou.body = Some(self.body_until_end());
                if matches!(kind, PouKind::FunctionBlock | PouKind::Program) {
                    self.members_into(&mut pou.members, kind);
                }
            }
        }

        let closed = match end_kw {
            Some(kw) => self.eat_kw(kw),
            None => self.eat_end_word("END_ACTION"),
        };
        if !closed {
            let end = end_kw.map_or("END_ACTION", |k| k.as_str());
            self.diags.push(
                Diagnostic::error(
                    Code::MissingEnd,
                    pou.name.span,
                    format!("{} {} has no {end}", kind.keyword(), pou.name.name),
                )
                .with_help(format!(
                    "add {end} after its last statement; found {} instead",
                    self.found()
                )),
            );
            // Resynchronise at the next POU (a stray END_… of another kind is dropped).
            if !self.at_pou_start() {
                self.bump();
                self.skip_until(|p| p.at_pou_start());
            }
        }
        self.eat(TokenKind::Semi);
        pou.span = self.span_from(start);
        Some(pou)
    }

    fn eat_end_word(&mut self, word: &str) -> bool {
        if self.at_word(word) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// `GET … END_GET` / `SET … END_SET` inside a PROPERTY.
    fn accessor(&mut self) -> Option<Pou> {
        let t = self.bump();
        let word = self.text_of(t).to_ascii_uppercase();
        let mut acc = Pou {
            kind: PouKind::Property,
            name: Ident {
                name: word.clone(),
                span: t.span,
            },
            modifiers: Vec::new(),
            return_type: None,
            extends: Vec::new(),
            implements: Vec::new(),
            var_blocks: Vec::new(),
            body: None,
            members: Vec::new(),
            span: t.span,
        };
        self.var_blocks_into(&mut acc.var_blocks);
        acc.body = Some(self.body_until_end());
        let end = format!("END_{word}");
        if !self.eat_end_word(&end) {
            self.expected(&format!("`{end}`"));
        }
        self.eat(TokenKind::Semi);
        acc.span = self.span_from(t.span);
        Some(acc)
    }

    fn at_member_start(&self) -> bool {
        self.at_kw(Kw::Method)
            || self.at_kw(Kw::Property)
            || (self.at_word("ACTION") && self.peek_at(1) == TokenKind::Ident)
    }

    fn members_into(&mut self, members: &mut Vec<Pou>, owner: PouKind) {
        while self.at_member_start() {
            if let Some(mut m) = self.pou() {
                if owner == PouKind::Interface {
                    // Interface members are declarations only.
                    m.body = m.body.filter(|b| !b.is_empty());
                }
                members.push(m);
            }
        }
    }

    fn name_list(&mut self, what: &str) -> Vec<Ident> {
        let mut names = Vec::new();
        while let Some(n) = self.qualified_ident(what) {
            names.push(n);
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        names
    }

    /// Statements until an END_ keyword, a member or another POU starts.
    fn body_until_end(&mut self) -> Vec<crate::ast::Stmt> {
        self.statements(|p| {
            p.at_member_start()
                || p.at_pou_start()
                || matches!(
                    p.peek(),
                    TokenKind::Keyword(
                        Kw::EndProgram
                            | Kw::EndFunctionBlock
                            | Kw::EndFunction
                            | Kw::EndMethod
                            | Kw::EndProperty
                            | Kw::EndInterface
                    )
                )
                || p.at_word("END_ACTION")
                || p.at_word("END_GET")
                || p.at_word("END_SET")
        })
    }

    pub(super) fn at_var_block(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::Keyword(
                Kw::Var
                    | Kw::VarInput
                    | Kw::VarOutput
                    | Kw::VarInOut
                    | Kw::VarTemp
                    | Kw::VarExternal
                    | Kw::VarGlobal
                    | Kw::VarStat
                    | Kw::VarInst
                    | Kw::VarConfig
                    | Kw::VarAccess
            )
        )
    }

    fn var_blocks_into(&mut self, blocks: &mut Vec<VarBlock>) {
        while self.at_var_block() {
            if let Some(b) = self.var_block() {
                blocks.push(b);
            }
        }
    }

    pub(super) fn var_block(&mut self) -> Option<VarBlock> {
        let start = self.tok().span;
        let kind = match self.bump().kind {
            TokenKind::Keyword(Kw::Var) => VarKind::Var,
            TokenKind::Keyword(Kw::VarInput) => VarKind::Input,
            TokenKind::Keyword(Kw::VarOutput) => VarKind::Output,
            TokenKind::Keyword(Kw::VarInOut) => VarKind::InOut,
            TokenKind::Keyword(Kw::VarTemp) => VarKind::Temp,
            TokenKind::Keyword(Kw::VarExternal) => VarKind::External,
            TokenKind::Keyword(Kw::VarGlobal) => VarKind::Global,
            TokenKind::Keyword(Kw::VarStat) => VarKind::Stat,
            TokenKind::Keyword(Kw::VarInst) => VarKind::Inst,
            TokenKind::Keyword(Kw::VarConfig) => VarKind::Config,
            _ => VarKind::Access,
        };
        let mut block = VarBlock {
            kind,
            constant: false,
            retain: false,
            persistent: false,
            vars: Vec::new(),
            span: start,
        };
        loop {
            match self.peek() {
                TokenKind::Keyword(Kw::Constant) => block.constant = true,
                TokenKind::Keyword(Kw::Retain) => block.retain = true,
                TokenKind::Keyword(Kw::Persistent) => block.persistent = true,
                TokenKind::Keyword(Kw::NonRetain) => {}
                _ => break,
            }
            self.bump();
        }
        while !self.at_kw(Kw::EndVar) {
            if self.at(TokenKind::Eof)
                || self.at_var_block()
                || self.at_pou_start()
                || self.at_stmt_keyword()
            {
                self.diags.push(
                    Diagnostic::error(
                        Code::MissingEnd,
                        start,
                        format!("{} block has no END_VAR", kind.keyword()),
                    )
                    .with_help(format!(
                        "add END_VAR after its last declaration; found {} instead",
                        self.found()
                    )),
                );
                block.span = self.span_from(start);
                return Some(block);
            }
            if let Some(d) = self.var_decl() {
                block.vars.push(d);
            }
        }
        self.bump();
        self.eat(TokenKind::Semi);
        block.span = self.span_from(start);
        Some(block)
    }

    fn at_stmt_keyword(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::Keyword(
                Kw::If
                    | Kw::Case
                    | Kw::For
                    | Kw::While
                    | Kw::Repeat
                    | Kw::Return
                    | Kw::Exit
                    | Kw::Continue
            )
        )
    }

    /// `a, b AT %IX0.0 : TYPE := init;`, recovering to the `;` on error.
    fn var_decl(&mut self) -> Option<VarDecl> {
        let start = self.tok().span;
        let first = self.pos;
        let recover = |p: &mut Self| {
            p.skip_until(|p| {
                p.at(TokenKind::Semi) || p.at_kw(Kw::EndVar) || p.at_var_block() || p.at_pou_start()
            });
            p.eat(TokenKind::Semi);
            // Callers loop until their END: never return without moving on.
            if p.pos == first {
                p.bump();
            }
        };
        let mut names = Vec::new();
        loop {
            match self.ident("a variable name") {
                Some(n) => names.push(n),
                None => {
                    recover(self);
                    return None;
                }
            }
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        let mut location = None;
        if self.eat_kw(Kw::At) {
            if self.at(TokenKind::DirectAddress) {
                let t = self.bump();
                location = Some((self.text_of(t).to_owned(), t.span));
            } else {
                self.expected("a direct address such as %IX0.0 after AT");
            }
        }
        if !self.expect(TokenKind::Colon, "`:` and a type") {
            recover(self);
            return None;
        }
        let Some(ty) = self.type_ref() else {
            recover(self);
            return None;
        };
        let init = if self.eat(TokenKind::Assign) {
            if matches!(ty, TypeRef::Array { .. }) && !self.at(TokenKind::LBracket) {
                Some(self.bare_array_initializer())
            } else {
                self.initializer()
            }
        } else {
            None
        };
        if !self.eat(TokenKind::Semi) {
            self.expected("`;` after the declaration");
            recover(self);
        }
        Some(VarDecl {
            names,
            location,
            ty,
            init,
            span: self.span_from(start),
        })
    }

    pub(super) fn type_ref(&mut self) -> Option<TypeRef> {
        let start = self.tok().span;
        match self.peek() {
            TokenKind::Keyword(Kw::Array) => {
                self.bump();
                self.expect(TokenKind::LBracket, "`[` after ARRAY");
                let mut dims = Vec::new();
                loop {
                    if self.eat(TokenKind::Star) {
                        dims.push(None);
                    } else {
                        let lo = self.expr();
                        self.expect(TokenKind::DotDot, "`..` between the array bounds");
                        let hi = self.expr();
                        dims.push(Some((lo, hi)));
                    }
                    if !self.eat(TokenKind::Comma) {
                        break;
                    }
                }
                self.expect(TokenKind::RBracket, "`]` after the array bounds");
                self.expect_kw(Kw::Of);
                let elem = self.type_ref()?;
                Some(TypeRef::Array {
                    dims,
                    elem: Box::new(elem),
                    span: self.span_from(start),
                })
            }
            TokenKind::Keyword(Kw::Pointer) => {
                self.bump();
                self.expect_kw(Kw::To);
                let t = self.type_ref()?;
                Some(TypeRef::Pointer(Box::new(t), self.span_from(start)))
            }
            TokenKind::Keyword(Kw::Reference) => {
                self.bump();
                self.expect_kw(Kw::To);
                let t = self.type_ref()?;
                Some(TypeRef::Reference(Box::new(t), self.span_from(start)))
            }
            TokenKind::Keyword(Kw::RefTo) => {
                self.bump();
                let t = self.type_ref()?;
                Some(TypeRef::Reference(Box::new(t), self.span_from(start)))
            }
            TokenKind::Keyword(kw @ (Kw::String | Kw::WString)) => {
                self.bump();
                let len = if self.eat(TokenKind::LBracket) {
                    let e = self.expr();
                    self.expect(TokenKind::RBracket, "`]` after the string length");
                    Some(Box::new(e))
                } else if self.eat(TokenKind::LParen) {
                    let e = self.expr();
                    self.expect(TokenKind::RParen, "`)` after the string length");
                    Some(Box::new(e))
                } else {
                    None
                };
                Some(TypeRef::String {
                    wide: kw == Kw::WString,
                    len,
                    span: self.span_from(start),
                })
            }
            TokenKind::LParen => Some(TypeRef::InlineEnum(self.enum_def(None))),
            TokenKind::Keyword(Kw::Struct) => {
                Some(TypeRef::InlineStruct(self.struct_def(Kw::EndStruct)))
            }
            TokenKind::Ident => {
                let name = self.qualified_ident("a type name")?;
                if self.at(TokenKind::LParen) {
                    // `INT (0..100)` subrange, or `INT (a, b)` typed enum.
                    let is_subrange = {
                        let mut i = 1;
                        let mut depth = 0;
                        loop {
                            match self.peek_at(i) {
                                TokenKind::LParen => depth += 1,
                                TokenKind::RParen if depth == 0 => break false,
                                TokenKind::RParen => depth -= 1,
                                TokenKind::DotDot if depth == 0 => break true,
                                TokenKind::Eof | TokenKind::Semi => break false,
                                _ => {}
                            }
                            i += 1;
                        }
                    };
                    if is_subrange {
                        self.bump();
                        let lo = self.expr();
                        self.expect(TokenKind::DotDot, "`..` in the subrange");
                        let hi = self.expr();
                        self.expect(TokenKind::RParen, "`)` after the subrange");
                        return Some(TypeRef::Subrange {
                            base: name,
                            lo: Box::new(lo),
                            hi: Box::new(hi),
                            span: self.span_from(start),
                        });
                    }
                    return Some(TypeRef::InlineEnum(self.enum_def(Some(name))));
                }
                Some(TypeRef::Named(name))
            }
            _ => {
                self.expected("a type");
                None
            }
        }
    }

    /// `(A, B := 5, C)` optionally followed by a base type, at the current `(`.
    fn enum_def(&mut self, base_before: Option<Ident>) -> EnumDef {
        let start = base_before.as_ref().map_or(self.tok().span, |b| b.span);
        self.expect(TokenKind::LParen, "`(` to start the enumeration");
        let mut values = Vec::new();
        loop {
            let Some(name) = self.ident("an enumeration value") else {
                self.skip_until(|p| p.at(TokenKind::RParen) || p.at(TokenKind::Semi));
                break;
            };
            let value = if self.eat(TokenKind::Assign) {
                Some(self.expr())
            } else {
                None
            };
            values.push((name, value));
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        self.expect(TokenKind::RParen, "`)` to close the enumeration");
        let base = match base_before {
            Some(b) => Some(b),
            None if self.at(TokenKind::Ident) => self.ident("a base type"),
            None => None,
        };
        EnumDef {
            values,
            base,
            default: None,
            span: self.span_from(start),
        }
    }

    fn struct_def(&mut self, end: Kw) -> StructDef {
        let start = self.bump().span;
        let extends = if self.eat_kw(Kw::Extends) {
            self.name_list("a base structure")
        } else {
            Vec::new()
        };
        let mut fields = Vec::new();
        while !self.at_kw(end) {
            if self.at(TokenKind::Eof) || self.at_kw(Kw::EndType) || self.at_pou_start() {
                self.diags.push(Diagnostic::error(
                    Code::MissingEnd,
                    start,
                    format!("this structure has no {}", end.as_str()),
                ));
                return StructDef {
                    extends,
                    fields,
                    span: self.span_from(start),
                };
            }
            if let Some(d) = self.var_decl() {
                fields.push(d);
            }
        }
        self.bump();
        StructDef {
            extends,
            fields,
            span: self.span_from(start),
        }
    }

    /// `TYPE name : definition; … END_TYPE`.
    pub(super) fn type_block(&mut self) -> Vec<TypeDecl> {
        let start = self.bump().span;
        let mut decls = Vec::new();
        while !self.at_kw(Kw::EndType) {
            if self.at(TokenKind::Eof) || self.at_pou_start() {
                self.diags.push(
                    Diagnostic::error(Code::MissingEnd, start, "TYPE block has no END_TYPE")
                        .with_help("add END_TYPE after the last type declaration"),
                );
                return decls;
            }
            let dstart = self.tok().span;
            let Some(name) = self.ident("a type name") else {
                self.skip_until(|p| {
                    p.at(TokenKind::Semi) || p.at_kw(Kw::EndType) || p.at_pou_start()
                });
                self.eat(TokenKind::Semi);
                continue;
            };
            // CODESYS writes `TYPE ST_B EXTENDS ST_A : STRUCT …`.
            let mut extends = Vec::new();
            if self.eat_kw(Kw::Extends) {
                extends = self.name_list("a base structure");
            }
            if !self.expect(TokenKind::Colon, "`:` after the type name") {
                self.skip_until(|p| {
                    p.at(TokenKind::Semi) || p.at_kw(Kw::EndType) || p.at_pou_start()
                });
                self.eat(TokenKind::Semi);
                continue;
            }
            let def = match self.peek() {
                TokenKind::Keyword(Kw::Struct) => {
                    let mut s = self.struct_def(Kw::EndStruct);
                    s.extends.extend(extends);
                    TypeDef::Struct(s)
                }
                TokenKind::Keyword(Kw::Union) => TypeDef::Union(self.struct_def(Kw::EndUnion)),
                _ => match self.type_ref() {
                    Some(TypeRef::InlineEnum(mut e)) => {
                        if self.eat(TokenKind::Assign) {
                            e.default = self.ident("the default enumeration value");
                        }
                        TypeDef::Enum(e)
                    }
                    Some(t) => {
                        let init = if self.eat(TokenKind::Assign) {
                            self.initializer()
                        } else {
                            None
                        };
                        TypeDef::Alias(t, init)
                    }
                    None => {
                        self.skip_until(|p| {
                            p.at(TokenKind::Semi) || p.at_kw(Kw::EndType) || p.at_pou_start()
                        });
                        self.eat(TokenKind::Semi);
                        continue;
                    }
                },
            };
            self.eat(TokenKind::Semi);
            decls.push(TypeDecl {
                name,
                def,
                span: self.span_from(dstart),
            });
        }
        self.bump();
        self.eat(TokenKind::Semi);
        decls
    }

    /// An initial value: an expression, `[array, 3(0)]` or `(field := value, …)`.
    pub(super) fn initializer(&mut self) -> Option<Initializer> {
        let start = self.tok().span;
        if self.at(TokenKind::LBracket) {
            self.bump();
            let mut elems = Vec::new();
            if !self.at(TokenKind::RBracket) {
                loop {
                    elems.push(self.array_init_elem());
                    if !self.eat(TokenKind::Comma) {
                        break;
                    }
                }
            }
            self.expect(TokenKind::RBracket, "`]` to close the array initializer");
            return Some(Initializer::Array(elems, self.span_from(start)));
        }
        if self.at(TokenKind::LParen)
            && self.peek_at(1) == TokenKind::Ident
            && self.peek_at(2) == TokenKind::Assign
        {
            self.bump();
            let mut fields = Vec::new();
            while let Some(name) = self.ident("a field name") {
                self.expect(TokenKind::Assign, "`:=` after the field name");
                if let Some(v) = self.initializer() {
                    fields.push((name, v));
                }
                if !self.eat(TokenKind::Comma) {
                    break;
                }
            }
            self.expect(TokenKind::RParen, "`)` to close the structure initializer");
            return Some(Initializer::Struct(fields, self.span_from(start)));
        }
        Some(Initializer::Expr(self.expr()))
    }

    /// `ARRAY[1..4] OF BYTE := 1, 3, 7, 15;` (CODESYS 2.3): the elements
    /// without brackets, up to the `;`.
    fn bare_array_initializer(&mut self) -> Initializer {
        let start = self.tok().span;
        let mut elems = Vec::new();
        loop {
            elems.push(self.array_init_elem());
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        let span = self.span_from(start);
        if elems.len() > 1 || elems.iter().any(|e| e.repeat.is_some()) {
            self.diags.push(
                Diagnostic::note(
                    Code::Dialect,
                    span,
                    "array initial values without brackets are CODESYS 2.3's",
                )
                .with_help("IEC 61131-3 writes them in brackets: `:= [1, 3, 7, 15];`"),
            );
        }
        // One value alone is an expression (a constant array, a function call).
        if elems.len() == 1
            && elems[0].repeat.is_none()
            && matches!(elems[0].value, Some(Initializer::Expr(_)))
        {
            if let Some(v) = elems.pop().and_then(|e| e.value) {
                return v;
            }
        }
        Initializer::Array(elems, span)
    }

    fn array_init_elem(&mut self) -> ArrayInit {
        // `3(0)`: a repetition count, then the repeated value in parentheses.
        if self.at(TokenKind::Integer) && self.peek_at(1) == TokenKind::LParen {
            let count = self.expr_primary_literal();
            self.bump();
            let value = if self.at(TokenKind::RParen) {
                None
            } else {
                self.initializer()
            };
            self.expect(TokenKind::RParen, "`)` after the repeated value");
            return ArrayInit {
                repeat: Some(count),
                value,
            };
        }
        ArrayInit {
            repeat: None,
            value: self.initializer(),
        }
    }
}
