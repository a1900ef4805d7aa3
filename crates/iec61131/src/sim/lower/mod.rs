//! From checked syntax trees to the interpreter's [`Program`]: every name
//! resolved to a cell offset, every type to a layout, every operation to the
//! kind it works on, every implicit conversion made explicit.
//!
//! This module collects the project's POUs and drives the passes; each job
//! has its file: [`layout`] (types, cells, initial values), [`stmt`],
//! [`expr`], [`place`] (what an expression names in memory), [`call`]
//! (project POUs), [`stdcall`] (the standard functions) and [`consts`]
//! (constant expressions). All of them read the one `sema::Model`.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::ir::{self, *};
use super::stdfb::StdFb;
use super::stdfn::{self, StdFn};
use super::value::{Num, Store, Value};
use crate::ast::{
    self, BinaryOp, ExprKind, Ident, Initializer, Literal, PouKind, UnaryOp, VarKind,
};
use crate::sema::stdlib;
use crate::sema::types::Ty;
use crate::sema::{Callee, Model, TypeName};
use crate::token::Span;

mod call;
mod consts;
mod expr;
mod layout;
mod place;
mod stdcall;
mod stmt;

use expr::{check_bit, checker_type, common, conv, elementary_of, negate};
pub use layout::elementary;
use place::offset;

/// Something the simulator cannot run, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// Index of the file in the slice given to [`compile`].
    pub file: usize,
    /// The POU it is in (index into [`Program::pous`]); `None` for globals.
    pub pou: Option<usize>,
    pub span: Span,
    pub message: String,
}

type Res<T> = Result<T, (Span, String)>;

fn err<T>(span: Span, msg: impl Into<String>) -> Res<T> {
    Err((span, msg.into()))
}

fn up(s: &str) -> String {
    s.to_ascii_uppercase()
}

const DEFAULT_STRING: usize = 80;
const MAX_STRING: usize = 65_535;

/// Compiles files that form one project. What the simulator cannot run is
/// recorded per POU in [`Program::errors`]: it blocks that POU and whatever
/// uses it ([`Program::blockers`]), not the rest.
pub fn compile(files: &[&ast::SourceFile]) -> Program {
    compile_with(&Model::build(files), files)
}

/// [`compile`], reading the project's semantic model already built (by the
/// checker) instead of building it again.
pub fn compile_with(model: &Model, files: &[&ast::SourceFile]) -> Program {
    run(model, files, false).0
}

/// The type each expression of each file is computed in (by span; not
/// untyped literals, which take the type of what they meet), and the program:
/// for checking that the simulator computes in the types the checker gives.
pub fn expression_types(files: &[&ast::SourceFile]) -> (Program, Vec<crate::check::ExprTypes>) {
    let (prog, recorded) = run(&Model::build(files), files, true);
    let mut out = vec![Vec::new(); files.len()];
    for (file, span, ty) in recorded {
        out[file].push((span, ty));
    }
    (prog, out)
}

fn run<'a>(
    model: &'a Model,
    files: &[&'a ast::SourceFile],
    record: bool,
) -> (Program, Vec<(usize, Span, Ty)>) {
    let mut c = Compiler {
        record,
        model: Some(model),
        ..Compiler::default()
    };
    c.collect(files);
    c.layout_all();
    c.compile_all();
    c.errors.sort_by_key(|e| (e.file, e.span.start));
    c.errors.dedup();
    c.prog.errors = c.errors;
    (c.prog, c.recorded)
}

/// A compiled expression with its type; `lit` for an untyped literal, which
/// takes the type of what it meets.
#[derive(Clone)]
struct Typed {
    e: Expr,
    ty: SType,
    lit: bool,
}

#[derive(Clone, Copy)]
enum LayoutState {
    Todo,
    Busy,
    Done,
}

#[derive(Default)]
struct Compiler<'a> {
    /// What names denote; always set (an `Option` only so the rest defaults).
    model: Option<&'a Model>,
    prog: Program,
    /// Aligned with `prog.pous`: the syntax, its file, and its owner block.
    asts: Vec<(&'a ast::Pou, usize, Option<usize>)>,
    layout: Vec<LayoutState>,
    types: HashMap<String, (&'a ast::TypeDecl, usize)>,
    resolved: HashMap<String, SType>,
    busy_types: HashSet<String>,
    enum_values: HashMap<String, (usize, i64)>,
    constants: HashMap<String, (Value, SType)>,
    globals: HashMap<String, (u32, SType, VarKind)>,
    global_decls: Vec<(&'a ast::VarBlock, usize)>,
    /// Variables (POU index, upper-case name) whose initial value is computed at run time.
    runtime_init: HashSet<(usize, String)>,
    /// The POU being laid out or compiled, for errors and dependencies.
    current: Option<usize>,
    /// The `VAR CONSTANT`s of the POU being laid out or compiled.
    local_consts: HashMap<String, (Value, SType)>,
    /// POUs whose variables could not be laid out (already reported).
    broken: HashSet<usize>,
    errors: Vec<CompileError>,
    file: usize,
    /// Whether to record each expression's type in `recorded`.
    record: bool,
    recorded: Vec<(usize, Span, Ty)>,
}

/// Where names are looked up while compiling one POU.
#[derive(Clone, Copy)]
struct Scope {
    pou: usize,
    /// Methods and actions: the function block whose variables they see.
    owner: Option<usize>,
}

impl<'a> Compiler<'a> {
    fn model(&self) -> &'a Model {
        self.model.expect("run() sets the model")
    }

    fn error(&mut self, (span, message): (Span, String)) {
        self.errors.push(CompileError {
            file: self.file,
            pou: self.current,
            span,
            message,
        });
    }

    /// Records that the POU being compiled needs POU `j` to run.
    fn depends(&mut self, j: usize) {
        if let Some(i) = self.current {
            if i != j {
                self.prog.deps[i].insert(j);
            }
        }
    }

    /// POU indices of the blocks a type holds (instances, arrays of them).
    fn blocks_in(t: &SType, out: &mut Vec<usize>) {
        match t {
            SType::Fb(i) => out.push(*i),
            SType::Array(a) => Self::blocks_in(&a.elem, out),
            _ => {}
        }
    }

    fn collect(&mut self, files: &[&'a ast::SourceFile]) {
        for (fi, f) in files.iter().enumerate() {
            for item in &f.items {
                match item {
                    ast::Item::Pou(p) => self.add_pou(p, fi, None),
                    ast::Item::Types(decls) => {
                        for d in decls {
                            self.types.insert(up(&d.name.name), (d, fi));
                        }
                    }
                    ast::Item::Globals(b) => self.global_decls.push((b, fi)),
                    ast::Item::Configuration { .. } => {}
                }
            }
        }
        // Enumerations first: their values may size arrays and label CASEs.
        let names: Vec<String> = self.types.keys().cloned().collect();
        for n in names {
            let (d, fi) = self.types[&n];
            if matches!(d.def, ast::TypeDef::Enum(_)) {
                self.file = fi;
                if let Err(e) = self.named_type(&d.name) {
                    self.error(e);
                }
            }
        }
        // Global constants, so array bounds may use them.
        for (b, fi) in self.global_decls.clone() {
            self.file = fi;
            if b.constant {
                for d in &b.vars {
                    if let Some(Initializer::Expr(e)) = &d.init {
                        if let (Ok(ty), Some(v)) = (self.type_ref(&d.ty), self.const_eval(e)) {
                            for n in &d.names {
                                self.constants.insert(up(&n.name), (v.clone(), ty.clone()));
                            }
                        }
                    }
                }
            }
        }
    }

    fn add_pou(&mut self, p: &'a ast::Pou, fi: usize, owner: Option<usize>) {
        if matches!(p.kind, PouKind::Interface | PouKind::Property) {
            return;
        }
        let idx = self.prog.pous.len();
        self.prog.pous.push(ir::Pou {
            name: p.name.name.clone(),
            kind: p.kind,
            size: 0,
            template: Vec::new(),
            init: Vec::new(),
            temps: Vec::new(),
            temp_init: Vec::new(),
            body: Vec::new(),
            vars: Vec::new(),
            result: None,
            methods: HashMap::new(),
            owner,
            span: p.span,
        });
        self.asts.push((p, fi, owner));
        self.layout.push(LayoutState::Todo);
        self.prog.deps.push(HashSet::new());
        if let Some(o) = owner {
            // A method works on its block's variables.
            self.prog.deps[idx].insert(o);
        }
        match owner {
            Some(o) => {
                self.prog.pous[o].methods.insert(up(&p.name.name), idx);
            }
            None => {
                self.prog.by_name.insert(up(&p.name.name), idx);
            }
        }
        for m in &p.members {
            if matches!(m.kind, PouKind::Method | PouKind::Action) {
                self.add_pou(m, fi, Some(idx));
            }
        }
    }

    // ---- types and layouts ------------------------------------------------

    fn compile_all(&mut self) {
        for i in 0..self.prog.pous.len() {
            let (p, fi, owner) = self.asts[i];
            // Its layout is incomplete: its body would only add follow-on errors.
            if self.prog.closure(i).iter().any(|j| self.broken.contains(j)) {
                continue;
            }
            self.file = fi;
            self.current = Some(i);
            let scope = Scope { pou: i, owner };
            let saved = self.enter_constants(p, owner);
            if let Err(e) = self.compile_pou(scope, p) {
                self.error(e);
            }
            self.local_consts = saved;
            self.current = None;
        }
    }

    fn compile_pou(&mut self, s: Scope, p: &'a ast::Pou) -> Res<()> {
        let mut init = Vec::new();
        let mut temp_init = Vec::new();
        if let Some(base) = p.extends.first() {
            if let Ok(SType::Fb(b)) = self.named_type(base) {
                init.push(Stmt::Init(Place::This(0), FbKind::User(b)));
            }
        }
        for b in &p.var_blocks {
            if matches!(b.kind, VarKind::External | VarKind::InOut) {
                continue;
            }
            for d in &b.vars {
                for n in &d.names {
                    let Some(v) = self.prog.pous[s.pou].var(&n.name).cloned() else {
                        continue;
                    };
                    let place = self.own_place(s, v.offset);
                    let mut code = Vec::new();
                    self.nested_inits(&place, &v.ty, &mut code);
                    if let Some(initv) = &d.init {
                        if self.runtime_init.contains(&(s.pou, up(&n.name))) {
                            self.init_code(s, place, &v.ty, initv, &mut code)?;
                        }
                    }
                    if b.kind == VarKind::Temp && p.kind != PouKind::Function {
                        temp_init.extend(code);
                    } else {
                        init.extend(code);
                    }
                }
            }
        }
        let body = match &p.body {
            Some(stmts) => self.stmts(s, stmts),
            None => Vec::new(),
        };
        let pou = &mut self.prog.pous[s.pou];
        pou.init = init;
        pou.temp_init = temp_init;
        pou.body = body;
        Ok(())
    }
}
