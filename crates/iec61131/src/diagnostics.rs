//! Diagnostics with stable codes. Messages say what is wrong, where, and what
//! would be right: they are read by people and fed back to a model to repair code.

use serde::Serialize;

use crate::token::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Accepted as a compiler accepts it; where the code leaves IEC 61131-3
    /// (a CODESYS 2.3 spelling, an export's non-ST sections).
    Note,
}

macro_rules! codes {
    ($($name:ident = $code:literal, $summary:literal;)*) => {
        /// Every diagnostic's stable code. Never renumber: users and models key on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($name,)* }

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => $code,)* }
            }
            /// One line on what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$name => $summary,)* }
            }
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];
            /// A code of the lexer or parser (ST00xx), not of the checker.
            pub fn is_syntax(self) -> bool {
                self.as_str() < "ST0100"
            }
        }
    };
}

codes! {
    UnexpectedChar = "ST0001", "a character that cannot start any token";
    UnterminatedComment = "ST0002", "a comment that is never closed";
    UnterminatedString = "ST0003", "a string literal that is never closed";
    BadNumber = "ST0004", "a malformed numeric literal";
    BadEscape = "ST0005", "an invalid `$` escape in a string";
    BadTimeLiteral = "ST0006", "a malformed TIME, DATE, TIME_OF_DAY or DATE_AND_TIME literal";
    BadAddress = "ST0007", "a malformed direct address";
    Expected = "ST0010", "the parser expected something else here";
    MissingEnd = "ST0011", "a block without its END_ keyword";
    TooDeep = "ST0012", "nesting deeper than the parser allows";
    MismatchedName = "ST0013", "an END marker or name that does not match";
    EmptyFile = "ST0014", "a file with no program organisation unit";
    UnknownName = "ST0100", "a name that is not declared in any visible scope";
    UnknownType = "ST0101", "a type that is neither elementary nor declared";
    TypeMismatch = "ST0102", "a value of a type that cannot be used here";
    NotBool = "ST0103", "a condition that is not BOOL";
    UnknownFunction = "ST0104", "a call to a function that is not declared";
    BadArgument = "ST0105", "a call argument that does not fit the signature";
    WriteConstant = "ST0107", "an assignment to a CONSTANT";
    WriteInput = "ST0108", "an assignment to a block's own VAR_INPUT";
    ForVarAssigned = "ST0109", "an assignment to a FOR loop variable inside its loop";
    ResultNeverAssigned = "ST0110", "a FUNCTION or METHOD that never assigns its result";
    CaseNotExhaustive = "ST0111", "a CASE over an enumeration without ELSE that misses values";
    Unused = "ST0112", "a variable that is never used";
    WriteOutput = "ST0113", "an assignment to another block's output";
    LossyConversion = "ST0115", "an implicit conversion that may lose information";
    NeverAssigned = "ST0116", "a variable that is read but never assigned";
    DuplicateName = "ST0117", "a variable declared twice in the same block";
    Dialect = "ST0015", "a construct CODESYS accepts that IEC 61131-3 writes otherwise";
    PointerDialect = "ST0118", "pointer arithmetic or a pointer conversion CODESYS allows and IEC 61131-3 does not";
    OutputNeverAssigned = "ST0119", "a block output that nothing in the block ever writes";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    /// What would be right, when there is something specific to say.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            span,
            message: message.into(),
            help: None,
        }
    }
    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Self::error(code, span, message)
        }
    }
    pub fn note(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Self::error(code, span, message)
        }
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Line starts of a text, for turning byte offsets into lines and columns
/// without rescanning the text for every diagnostic.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        LineIndex { text, starts }
    }

    /// Line and column of a byte offset, both from 1; the column counts characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}
