//! The syntax tree. Names keep their source spelling; comparisons of names are
//! case-insensitive everywhere (IEC identifiers are).

pub mod visit;

use crate::token::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl Ident {
    /// IEC names are case-insensitive.
    pub fn is(&self, other: &str) -> bool {
        self.name.eq_ignore_ascii_case(other)
    }
}

/// Everything parsed from one source text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceFile {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Pou(Box<Pou>),
    Types(Vec<TypeDecl>),
    /// A top-level `VAR_GLOBAL` list (a GVL).
    Globals(VarBlock),
    /// Parsed shallowly: only its name and span are kept.
    Configuration {
        name: Ident,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PouKind {
    Program,
    FunctionBlock,
    Function,
    Method,
    Interface,
    /// A property, or one of its GET/SET accessors.
    Property,
    Action,
}

impl PouKind {
    pub fn keyword(self) -> &'static str {
        match self {
            PouKind::Program => "PROGRAM",
            PouKind::FunctionBlock => "FUNCTION_BLOCK",
            PouKind::Function => "FUNCTION",
            PouKind::Method => "METHOD",
            PouKind::Interface => "INTERFACE",
            PouKind::Property => "PROPERTY",
            PouKind::Action => "ACTION",
        }
    }
}

/// A program organisation unit, or a member of one (method, property, action).
#[derive(Debug, Clone, PartialEq)]
pub struct Pou {
    pub kind: PouKind,
    pub name: Ident,
    /// Access and inheritance words as written (`PUBLIC`, `ABSTRACT`, `FINAL` …).
    pub modifiers: Vec<Ident>,
    pub return_type: Option<TypeRef>,
    pub extends: Vec<Ident>,
    pub implements: Vec<Ident>,
    pub var_blocks: Vec<VarBlock>,
    /// The statement list; `None` for a declaration without a body (interface members).
    pub body: Option<Vec<Stmt>>,
    pub members: Vec<Pou>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    Var,
    Input,
    Output,
    InOut,
    Temp,
    External,
    Global,
    Stat,
    Inst,
    Config,
    Access,
}

impl VarKind {
    pub fn keyword(self) -> &'static str {
        match self {
            VarKind::Var => "VAR",
            VarKind::Input => "VAR_INPUT",
            VarKind::Output => "VAR_OUTPUT",
            VarKind::InOut => "VAR_IN_OUT",
            VarKind::Temp => "VAR_TEMP",
            VarKind::External => "VAR_EXTERNAL",
            VarKind::Global => "VAR_GLOBAL",
            VarKind::Stat => "VAR_STAT",
            VarKind::Inst => "VAR_INST",
            VarKind::Config => "VAR_CONFIG",
            VarKind::Access => "VAR_ACCESS",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VarBlock {
    pub kind: VarKind,
    pub constant: bool,
    pub retain: bool,
    pub persistent: bool,
    pub vars: Vec<VarDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VarDecl {
    pub names: Vec<Ident>,
    /// `AT %IX0.0` (the address text, with the `%`).
    pub location: Option<(String, Span)>,
    pub ty: TypeRef,
    pub init: Option<Initializer>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeRef {
    Named(Ident),
    /// `STRING`, `STRING[80]`, `STRING(80)`, `WSTRING…`.
    String {
        wide: bool,
        len: Option<Box<Expr>>,
        span: Span,
    },
    Array {
        /// `None` for `ARRAY[*]` (variable-length, VAR_IN_OUT only).
        dims: Vec<Option<(Expr, Expr)>>,
        elem: Box<TypeRef>,
        span: Span,
    },
    Pointer(Box<TypeRef>, Span),
    Reference(Box<TypeRef>, Span),
    /// `INT (0..100)`.
    Subrange {
        base: Ident,
        lo: Box<Expr>,
        hi: Box<Expr>,
        span: Span,
    },
    /// An enum declared in place: `(Idle, Run, Fault)`, optionally over a base type.
    InlineEnum(EnumDef),
    /// A struct declared in place (CODESYS allows this in VAR blocks).
    InlineStruct(StructDef),
}

impl TypeRef {
    pub fn span(&self) -> Span {
        match self {
            TypeRef::Named(i) => i.span,
            TypeRef::String { span, .. }
            | TypeRef::Array { span, .. }
            | TypeRef::Pointer(_, span)
            | TypeRef::Reference(_, span)
            | TypeRef::Subrange { span, .. } => *span,
            TypeRef::InlineEnum(e) => e.span,
            TypeRef::InlineStruct(s) => s.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Initializer {
    Expr(Expr),
    /// `[1, 2, 3(0)]`: each element may repeat.
    Array(Vec<ArrayInit>, Span),
    /// `(a := 1, b := TRUE)`.
    Struct(Vec<(Ident, Initializer)>, Span),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArrayInit {
    pub repeat: Option<Expr>,
    pub value: Option<Initializer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeDecl {
    pub name: Ident,
    pub def: TypeDef,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    Struct(StructDef),
    Union(StructDef),
    Enum(EnumDef),
    /// Alias, subrange, array, string, pointer … with an optional default.
    Alias(TypeRef, Option<Initializer>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    pub extends: Vec<Ident>,
    pub fields: Vec<VarDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub values: Vec<(Ident, Option<Expr>)>,
    /// `(…) INT` or `INT (…)`: the storage type of a typed enum.
    pub base: Option<Ident>,
    pub default: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Assign {
        target: Expr,
        value: Expr,
    },
    /// `x S= cond;` / `x R= cond;` (set / reset, CODESYS).
    SetReset {
        set: bool,
        target: Expr,
        value: Expr,
    },
    /// `r REF= x;`
    RefAssign {
        target: Expr,
        value: Expr,
    },
    /// A call as a statement: an FB instance, function, method or action.
    Call(Expr),
    If {
        branches: Vec<(Expr, Vec<Stmt>)>,
        else_body: Option<Vec<Stmt>>,
    },
    Case {
        selector: Expr,
        arms: Vec<CaseArm>,
        else_body: Option<Vec<Stmt>>,
    },
    For {
        var: Ident,
        from: Expr,
        to: Expr,
        by: Option<Expr>,
        body: Vec<Stmt>,
    },
    While {
        cond: Expr,
        body: Vec<Stmt>,
    },
    Repeat {
        body: Vec<Stmt>,
        until: Expr,
    },
    Exit,
    Continue,
    Return,
    /// A lone `;`.
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseArm {
    pub labels: Vec<CaseLabel>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CaseLabel {
    Value(Expr),
    Range(Expr, Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Integer value without sign; `typed` is the `INT#` prefix if written.
    Integer {
        value: u128,
        typed: Option<Ident>,
    },
    Real {
        value: f64,
        typed: Option<Ident>,
    },
    Bool {
        value: bool,
        typed: Option<Ident>,
    },
    String {
        value: String,
        wide: bool,
    },
    /// Nanoseconds; `long` for LTIME.
    Duration {
        ns: i64,
        long: bool,
    },
    Date {
        y: i64,
        m: u32,
        d: u32,
    },
    TimeOfDay {
        ns: i64,
    },
    DateAndTime {
        date: (i64, u32, u32),
        ns: i64,
    },
    /// `E_State#Idle`.
    EnumValue {
        ty: Ident,
        value: Ident,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    OrElse,
    Xor,
    And,
    AndThen,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::OrElse => "OR_ELSE",
            BinaryOp::Xor => "XOR",
            BinaryOp::And => "AND",
            BinaryOp::AndThen => "AND_THEN",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "MOD",
            BinaryOp::Pow => "**",
        }
    }

    /// `=`, `<>`, `<`, `<=`, `>`, `>=`: a BOOL from two operands.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }

    /// Binding strength, higher binds tighter (IEC 61131-3 table of operators).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or | BinaryOp::OrElse => 1,
            BinaryOp::Xor => 2,
            BinaryOp::And | BinaryOp::AndThen => 3,
            BinaryOp::Eq | BinaryOp::Ne => 4,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 7,
            BinaryOp::Pow => 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// `name :=` or `name =>`; `None` for a positional argument.
    pub name: Option<Ident>,
    /// `=>`: an output connected to a variable.
    pub output: bool,
    /// `NOT name => x`.
    pub negated: bool,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Name(Ident),
    /// `THIS^` / `SUPER^` are `Deref(This)` / `Deref(Super)`.
    This,
    Super,
    /// `%IX0.0` used directly in code.
    Address(String),
    Member(Box<Expr>, Ident),
    /// `x.3`: bit 3 of an integer or bit string.
    Bit(Box<Expr>, u32),
    Index(Box<Expr>, Vec<Expr>),
    Deref(Box<Expr>),
    Call(Box<Expr>, Vec<Arg>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
    /// Where the parser could not read an expression (already reported).
    Error,
}

/// A tree's `Debug` text with every `Span { … }` removed: the tree without
/// positions, for comparing two parses of the same program.
pub fn without_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').map_or(rest.len(), |j| i + j + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
