//! Tokens of IEC 61131-3 Structured Text (3rd edition, with the CODESYS and
//! TwinCAT extensions real code uses).

use std::fmt;

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    Keyword(Kw),
    /// Decimal or based integer (`42`, `1_000`, `16#FF`, `2#1010`).
    Integer,
    Real,
    /// `'…'` (STRING) with `$` escapes.
    String,
    /// `"…"` (WSTRING).
    WString,
    /// `T#…`, `TIME#…`, `LTIME#…`.
    Duration,
    /// `D#…`, `DATE#…`.
    Date,
    /// `TOD#…`, `TIME_OF_DAY#…`.
    TimeOfDay,
    /// `DT#…`, `DATE_AND_TIME#…`.
    DateAndTime,
    /// `NAME#` before a typed literal or enum value (`INT#5`, `E_State#Idle`).
    TypedPrefix,
    /// `%IX0.0`, `%QW4`, `%MD10`, `%I*`.
    DirectAddress,
    Assign,    // :=
    Arrow,     // =>
    RefAssign, // REF=
    Colon,
    Semi,
    Comma,
    Dot,
    DotDot,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Caret,
    Plus,
    Minus,
    Star,
    Power, // **
    Slash,
    Eq,
    Ne, // <>
    Lt,
    Le,
    Gt,
    Ge,
    Amp, // &
    /// Something the lexer could not read (already reported).
    Error,
    Eof,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            TokenKind::Ident => "an identifier",
            TokenKind::Keyword(k) => return write!(f, "`{}`", k.as_str()),
            TokenKind::Integer => "an integer",
            TokenKind::Real => "a real number",
            TokenKind::String => "a string",
            TokenKind::WString => "a wide string",
            TokenKind::Duration => "a TIME literal",
            TokenKind::Date => "a DATE literal",
            TokenKind::TimeOfDay => "a TIME_OF_DAY literal",
            TokenKind::DateAndTime => "a DATE_AND_TIME literal",
            TokenKind::TypedPrefix => "a typed literal",
            TokenKind::DirectAddress => "a direct address",
            TokenKind::Assign => "`:=`",
            TokenKind::Arrow => "`=>`",
            TokenKind::RefAssign => "`REF=`",
            TokenKind::Colon => "`:`",
            TokenKind::Semi => "`;`",
            TokenKind::Comma => "`,`",
            TokenKind::Dot => "`.`",
            TokenKind::DotDot => "`..`",
            TokenKind::LParen => "`(`",
            TokenKind::RParen => "`)`",
            TokenKind::LBracket => "`[`",
            TokenKind::RBracket => "`]`",
            TokenKind::Caret => "`^`",
            TokenKind::Plus => "`+`",
            TokenKind::Minus => "`-`",
            TokenKind::Star => "`*`",
            TokenKind::Power => "`**`",
            TokenKind::Slash => "`/`",
            TokenKind::Eq => "`=`",
            TokenKind::Ne => "`<>`",
            TokenKind::Lt => "`<`",
            TokenKind::Le => "`<=`",
            TokenKind::Gt => "`>`",
            TokenKind::Ge => "`>=`",
            TokenKind::Amp => "`&`",
            TokenKind::Error => "an unreadable token",
            TokenKind::Eof => "the end of the file",
        };
        f.write_str(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Comments and pragmas, kept beside the tokens so the formatter can put them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriviaKind {
    /// `(* … *)` or `/* … */`.
    BlockComment,
    /// `// …` to the end of the line.
    LineComment,
    /// `{ … }`.
    Pragma,
    /// A section of a CODESYS 2.3 `.EXP` export that is not Structured Text
    /// (`_ALARMCONFIG … END_ALARMCONFIG`, `LIBRARY … END_LIBRARY` …), kept
    /// as it is.
    ExportSection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trivia {
    pub kind: TriviaKind,
    pub span: Span,
}

macro_rules! keywords {
    ($($name:ident = $text:literal,)*) => {
        /// Reserved words, matched without regard to case. Words that real code
        /// also uses as names (`SET` is an input of `RS`; `GET`, `PUBLIC`,
        /// `FINAL`, `ACTION` …) are recognised by the parser from context instead.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kw { $($name,)* }

        impl Kw {
            pub fn as_str(self) -> &'static str {
                match self { $(Kw::$name => $text,)* }
            }
            pub const ALL: &'static [Kw] = &[$(Kw::$name,)*];
            /// The keyword spelled by `word` (any case), if any.
            pub fn lookup(word: &str) -> Option<Kw> {
                // Keywords are ASCII and at most 20 characters; anything else is a name.
                if word.len() > 20 || !word.is_ascii() {
                    return None;
                }
                let mut buf = [0u8; 20];
                let upper = &mut buf[..word.len()];
                upper.copy_from_slice(word.as_bytes());
                upper.make_ascii_uppercase();
                match &*upper {
                    $(x if x == $text.as_bytes() => Some(Kw::$name),)*
                    // CODESYS 2.3 exports spell it without the underscore.
                    b"FUNCTIONBLOCK" => Some(Kw::FunctionBlock),
                    b"END_FUNCTIONBLOCK" => Some(Kw::EndFunctionBlock),
                    _ => None,
                }
            }
        }
    };
}

keywords! {
    Program = "PROGRAM", EndProgram = "END_PROGRAM",
    FunctionBlock = "FUNCTION_BLOCK", EndFunctionBlock = "END_FUNCTION_BLOCK",
    Function = "FUNCTION", EndFunction = "END_FUNCTION",
    Method = "METHOD", EndMethod = "END_METHOD",
    Property = "PROPERTY", EndProperty = "END_PROPERTY",
    Interface = "INTERFACE", EndInterface = "END_INTERFACE",
    Extends = "EXTENDS", Implements = "IMPLEMENTS",
    Type = "TYPE", EndType = "END_TYPE",
    Struct = "STRUCT", EndStruct = "END_STRUCT",
    Union = "UNION", EndUnion = "END_UNION",
    Var = "VAR", VarInput = "VAR_INPUT", VarOutput = "VAR_OUTPUT", VarInOut = "VAR_IN_OUT",
    VarTemp = "VAR_TEMP", VarExternal = "VAR_EXTERNAL", VarGlobal = "VAR_GLOBAL",
    VarStat = "VAR_STAT", VarInst = "VAR_INST", VarConfig = "VAR_CONFIG", VarAccess = "VAR_ACCESS",
    EndVar = "END_VAR",
    Constant = "CONSTANT", Retain = "RETAIN", NonRetain = "NON_RETAIN", Persistent = "PERSISTENT",
    At = "AT",
    Array = "ARRAY", Of = "OF", String = "STRING", WString = "WSTRING",
    Pointer = "POINTER", To = "TO", RefTo = "REF_TO", Reference = "REFERENCE",
    If = "IF", Then = "THEN", Elsif = "ELSIF", Else = "ELSE", EndIf = "END_IF",
    Case = "CASE", EndCase = "END_CASE",
    For = "FOR", By = "BY", Do = "DO", EndFor = "END_FOR",
    While = "WHILE", EndWhile = "END_WHILE",
    Repeat = "REPEAT", Until = "UNTIL", EndRepeat = "END_REPEAT",
    Exit = "EXIT", Continue = "CONTINUE", Return = "RETURN",
    And = "AND", AndThen = "AND_THEN", Or = "OR", OrElse = "OR_ELSE", Xor = "XOR", Not = "NOT", Mod = "MOD",
    True = "TRUE", False = "FALSE",
    This = "THIS", Super = "SUPER",
    Configuration = "CONFIGURATION", EndConfiguration = "END_CONFIGURATION",
}
