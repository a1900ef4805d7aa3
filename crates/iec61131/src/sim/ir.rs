//! The compiled form the interpreter runs: names resolved to cell offsets,
//! types resolved to the operations on them, conversions made explicit.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::stdfb::StdFb;
use super::stdfn::StdFn;
use super::value::{Num, Store, Value};
pub use crate::ast::BinaryOp as Op;
use crate::ast::{PouKind, VarKind};
use crate::token::Span;

/// A type with its layout: how many cells it takes, where its parts are.
#[derive(Debug, Clone, PartialEq)]
pub enum SType {
    Scalar(Num, usize),
    /// An enumeration (index into [`Program::enums`]).
    Enum(usize),
    Array(Rc<ArrayType>),
    /// A structure (index into [`Program::structs`]).
    Struct(usize),
    /// A user function block or program (index into [`Program::pous`]).
    Fb(usize),
    StdFb(StdFb),
    Pointer(Rc<SType>),
    Reference(Rc<SType>),
}

impl SType {
    pub fn num(n: Num) -> SType {
        SType::Scalar(n, 0)
    }
    /// The scalar kind, for types that fit one cell.
    pub fn scalar(&self) -> Option<Num> {
        match self {
            SType::Scalar(n, _) => Some(*n),
            SType::Enum(_) => Some(Num::Enum),
            SType::Pointer(_) | SType::Reference(_) => Some(Num::Ptr),
            _ => None,
        }
    }
    pub fn store(&self) -> Store {
        match self {
            SType::Scalar(n, max) => Store::of(*n, *max),
            _ => Store::Plain,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArrayType {
    pub elem: SType,
    pub elem_size: u32,
    /// Inclusive bounds of each dimension.
    pub dims: Vec<(i64, i64)>,
}

impl ArrayType {
    /// Elements in all dimensions together.
    pub fn count(&self) -> u64 {
        self.dims.iter().fold(1u64, |n, (lo, hi)| {
            n.saturating_mul(hi.saturating_sub(*lo).saturating_add(1).max(0) as u64)
        })
    }
}

#[derive(Debug, Clone)]
pub struct StructType {
    pub name: String,
    pub fields: Vec<Field>,
    pub size: u32,
    pub template: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub offset: u32,
    pub ty: SType,
}

#[derive(Debug, Clone)]
pub struct EnumType {
    pub name: String,
    pub values: Vec<(String, i64)>,
}

/// Where a value lives. Offsets are in cells.
#[derive(Debug, Clone)]
pub enum Place {
    /// Globals and program instances.
    Abs(u32),
    /// Relative to the running function block or program instance.
    This(u32),
    /// Relative to the running function or method call's frame.
    Frame(u32),
    Index(Box<IndexPlace>),
    Offset(Box<Place>, u32),
    /// Through a pointer, reference or VAR_IN_OUT: the address expression,
    /// and the cells the target has (checked before use).
    Deref(Box<Expr>, Span, u32),
}

#[derive(Debug, Clone)]
pub struct IndexPlace {
    pub base: Place,
    pub index: Vec<Expr>,
    pub dims: Vec<(i64, i64)>,
    pub strides: Vec<u32>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Expr {
    Const(Value),
    Load(Place),
    LoadBit(Place, u8),
    Not(Box<Expr>, Num),
    Neg(Box<Expr>, Num),
    /// Operands of kind `Num`; comparisons give BOOL. Never AND_THEN or
    /// OR_ELSE, which are `AndThen` and `OrElse`.
    Bin(Op, Num, Box<Expr>, Box<Expr>, Span),
    AndThen(Box<Expr>, Box<Expr>),
    OrElse(Box<Expr>, Box<Expr>),
    Conv(Num, Num, Box<Expr>, Span),
    Std(StdFn, Num, Vec<Expr>, Span),
    Call(Box<Call>),
    Adr(Place),
    /// The virtual clock: TIME() in ms, LTIME() in ns.
    Clock(bool),
}

#[derive(Debug, Clone)]
pub enum Arg {
    Value(u32, Expr, Store),
    /// A VAR_IN_OUT: the address of the place.
    Ref(u32, Place),
    /// A structure or array passed by value.
    Copy(u32, Place, u32),
}

/// `param => target` of a call: copied out after the call returns.
#[derive(Debug, Clone)]
pub struct OutputBinding {
    pub offset: u32,
    pub target: Place,
    pub store: Store,
    /// From the parameter's kind to the target's, where they differ.
    pub conv: Option<(Num, Num)>,
    /// `NOT q => x`: the output inverted (in the parameter's kind) first.
    pub negate: Option<Num>,
}

/// The labels (inclusive ranges) of one CASE arm, and its statements.
pub type CaseArm = (Vec<(i64, i64)>, Vec<Stmt>);

/// A call to a user function, or to a method of an instance (`this`).
#[derive(Debug, Clone)]
pub struct Call {
    pub pou: usize,
    pub this: Option<Place>,
    pub args: Vec<Arg>,
    pub outputs: Vec<OutputBinding>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FbCall {
    pub inst: Place,
    pub fb: FbKind,
    pub args: Vec<Arg>,
    pub outputs: Vec<OutputBinding>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FbKind {
    User(usize),
    Std(StdFb),
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Store(Place, Expr, Store, Span),
    /// Bit `u8` of an integer of `Num` kind.
    StoreBit(Place, u8, Num, Expr, Span),
    Copy(Place, Place, u32, Span),
    If(Vec<(Expr, Vec<Stmt>)>, Vec<Stmt>),
    Case(Expr, Vec<CaseArm>, Vec<Stmt>, Span),
    For(Box<ForLoop>),
    While(Expr, Vec<Stmt>, Span),
    Repeat(Vec<Stmt>, Expr, Span),
    Exit,
    Continue,
    Return(Span),
    CallFb(Box<FbCall>),
    Eval(Expr, Span),
    /// Runs the initialisation of the instance at a place.
    Init(Place, FbKind),
}

#[derive(Debug, Clone)]
pub struct ForLoop {
    pub var: Place,
    pub num: Num,
    pub store: Store,
    pub from: Expr,
    pub to: Expr,
    pub by: Expr,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct VarInfo {
    pub name: String,
    pub kind: VarKind,
    pub offset: u32,
    pub ty: SType,
    pub span: Span,
}

/// A compiled POU: function block, program, function or method.
#[derive(Debug, Clone)]
pub struct Pou {
    pub name: String,
    pub kind: PouKind,
    /// Cells of an instance (FB, program) or of a call frame (function, method).
    pub size: u32,
    pub template: Vec<Value>,
    pub init: Vec<Stmt>,
    /// VAR_TEMP of a function block: cell ranges and initialisers, reset each call.
    pub temps: Vec<(u32, u32)>,
    pub temp_init: Vec<Stmt>,
    pub body: Vec<Stmt>,
    pub vars: Vec<VarInfo>,
    /// A function's result type; the result is the frame's cell 0.
    pub result: Option<SType>,
    pub methods: HashMap<String, usize>,
    /// The function block a method belongs to.
    pub owner: Option<usize>,
    pub span: Span,
}

impl Pou {
    pub fn var(&self, name: &str) -> Option<&VarInfo> {
        self.vars.iter().find(|v| v.name.eq_ignore_ascii_case(name))
    }
}

/// A whole project, compiled.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub pous: Vec<Pou>,
    pub by_name: HashMap<String, usize>,
    pub structs: Vec<StructType>,
    pub enums: Vec<EnumType>,
    pub globals: Vec<VarInfo>,
    /// Cells of globals and program instances, from address 1 (0 is NULL).
    pub static_size: u32,
    pub static_template: Vec<Value>,
    pub static_init: Vec<Stmt>,
    /// Where each PROGRAM's single instance lives.
    pub program_base: HashMap<usize, u32>,
    /// The POUs each POU needs: the blocks it holds, extends or calls.
    pub deps: Vec<HashSet<usize>>,
    /// What the simulator cannot run, by POU.
    pub errors: Vec<super::CompileError>,
}

impl Program {
    /// The POU and everything it needs, transitively.
    pub fn closure(&self, pou: usize) -> HashSet<usize> {
        let mut seen = HashSet::from([pou]);
        let mut todo = vec![pou];
        while let Some(i) = todo.pop() {
            for &j in self.deps.get(i).into_iter().flatten() {
                if seen.insert(j) {
                    todo.push(j);
                }
            }
        }
        seen
    }

    /// The errors that keep a POU from running: its own, those of what it
    /// needs, and those of the globals.
    pub fn blockers(&self, pou: usize) -> Vec<&super::CompileError> {
        let needed = self.closure(pou);
        self.errors
            .iter()
            .filter(|e| e.pou.is_none_or(|p| needed.contains(&p)))
            .collect()
    }

    pub fn pou(&self, name: &str) -> Option<&Pou> {
        self.by_name
            .get(&name.to_ascii_uppercase())
            .map(|&i| &self.pous[i])
    }
    /// Appends the cells of a fresh value of `t`: zero, the first enumerator,
    /// a structure's or block's defaults.
    pub fn default_cells(&self, t: &SType, out: &mut Vec<Value>) {
        match t {
            SType::Scalar(n, _) => out.push(n.zero()),
            SType::Enum(i) => out.push(Value::I(self.enums[*i].values.first().map_or(0, |v| v.1))),
            SType::Pointer(_) | SType::Reference(_) => out.push(Value::I(0)),
            SType::Array(a) => {
                let mut one = Vec::new();
                self.default_cells(&a.elem, &mut one);
                for _ in 0..a.count() {
                    out.extend_from_slice(&one);
                }
            }
            SType::Struct(i) => out.extend_from_slice(&self.structs[*i].template),
            SType::Fb(i) => out.extend_from_slice(&self.pous[*i].template),
            SType::StdFb(f) => out.extend(f.template()),
        }
    }

    pub fn size_of(&self, ty: &SType) -> u32 {
        match ty {
            SType::Array(a) => (a.count() as u32).saturating_mul(a.elem_size),
            SType::Struct(i) => self.structs[*i].size,
            SType::Fb(i) => self.pous[*i].size,
            SType::StdFb(f) => f.size(),
            _ => 1,
        }
    }
}
