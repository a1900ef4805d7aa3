//! From checked syntax trees to the interpreter's [`Program`]: every name
//! resolved to a cell offset, every type to a layout, every operation to the
//! kind it works on, every implicit conversion made explicit.

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

    fn type_ref(&mut self, t: &ast::TypeRef) -> Res<SType> {
        use ast::TypeRef as T;
        Ok(match t {
            T::Named(n) => self.named_type(n)?,
            T::String { wide, len, span } => {
                let max = match len {
                    Some(e) => match self.const_eval(e).map(|v| v.int()) {
                        Some(n) if (1..=MAX_STRING as i64).contains(&n) => n as usize,
                        _ => {
                            return err(
                                *span,
                                "the string length must be a constant from 1 to 65535",
                            )
                        }
                    },
                    None => DEFAULT_STRING,
                };
                SType::Scalar(Num::Str { wide: *wide }, max)
            }
            T::Array { dims, elem, span } => {
                let elem = self.type_ref(elem)?;
                let mut bounds = Vec::new();
                for d in dims {
                    let Some((lo, hi)) = d else {
                        return err(*span, "ARRAY[*] is not supported by the simulator");
                    };
                    match (self.const_eval(lo), self.const_eval(hi)) {
                        (Some(l), Some(h)) if l.int() <= h.int() => bounds.push((l.int(), h.int())),
                        (Some(l), Some(h)) => {
                            return err(
                                *span,
                                format!("array bounds {}..{} are empty", l.int(), h.int()),
                            )
                        }
                        _ => {
                            return err(
                                *span,
                                "array bounds must be constants the simulator can evaluate",
                            )
                        }
                    }
                }
                let elem_size = self.size_of(&elem, *span)?;
                let a = ArrayType {
                    elem,
                    elem_size,
                    dims: bounds,
                };
                if a.count().saturating_mul(elem_size as u64) > super::exec::MAX_CELLS as u64 {
                    return err(*span, "this array is too large to simulate");
                }
                SType::Array(Rc::new(a))
            }
            T::Pointer(inner, _) | T::Reference(inner, _) => {
                let target = self.pointee(inner)?;
                if matches!(t, T::Pointer(..)) {
                    SType::Pointer(Rc::new(target))
                } else {
                    SType::Reference(Rc::new(target))
                }
            }
            T::Subrange { base, .. } => self.named_type(base)?,
            T::InlineEnum(e) => {
                let name = format!("enum at {}", e.span.start);
                self.enum_type(&name, e)?
            }
            T::InlineStruct(s) => {
                let name = format!("struct at {}", s.span.start);
                self.struct_type(&name, s)?
            }
        })
    }

    /// A pointer's target may be a structure still being laid out (a linked list).
    fn pointee(&mut self, t: &ast::TypeRef) -> Res<SType> {
        if let ast::TypeRef::Named(n) = t {
            let u = up(&n.name);
            if self.busy_types.contains(&u) {
                if let Some(i) = self.prog.structs.iter().position(|s| up(&s.name) == u) {
                    return Ok(SType::Struct(i));
                }
            }
        }
        self.type_ref(t)
    }

    fn named_type(&mut self, n: &Ident) -> Res<SType> {
        if let Some(num) = elementary(&n.name) {
            let max = if num.is_str() { DEFAULT_STRING } else { 0 };
            return Ok(SType::Scalar(num, max));
        }
        let u = up(&n.name);
        if let Some(t) = self.resolved.get(&u) {
            return Ok(t.clone());
        }
        match self.model().type_name(&u) {
            TypeName::StdFb => {
                return StdFb::from_name(&u).map(SType::StdFb).ok_or((
                    n.span,
                    format!("the simulator does not implement {}", n.name),
                ))
            }
            TypeName::Pou(k) => {
                return match self.prog.by_name.get(&u) {
                    Some(&i) if matches!(k, PouKind::FunctionBlock | PouKind::Program) => {
                        Ok(SType::Fb(i))
                    }
                    _ => err(
                        n.span,
                        format!("{} is a {}, not a type", n.name, k.keyword()),
                    ),
                }
            }
            _ => {}
        }
        let Some(&(decl, fi)) = self.types.get(&u) else {
            return err(n.span, format!("unknown type `{}`", n.name));
        };
        if !self.busy_types.insert(u.clone()) {
            return err(n.span, format!("type {} contains itself", n.name));
        }
        let saved = std::mem::replace(&mut self.file, fi);
        let t = match &decl.def {
            ast::TypeDef::Struct(s) => self.struct_type(&decl.name.name, s),
            ast::TypeDef::Union(_) => err(decl.span, "UNION is not supported by the simulator"),
            ast::TypeDef::Enum(e) => self.enum_type(&decl.name.name, e),
            ast::TypeDef::Alias(t, _) => self.type_ref(t),
        };
        self.file = saved;
        self.busy_types.remove(&u);
        let t = t?;
        self.resolved.insert(u, t.clone());
        Ok(t)
    }

    fn enum_type(&mut self, name: &str, e: &ast::EnumDef) -> Res<SType> {
        let id = self.prog.enums.len();
        let mut values = Vec::new();
        let mut next = 0i64;
        for (v, init) in &e.values {
            if let Some(x) = init {
                next = self.const_eval(x).map(|v| v.int()).ok_or((
                    x.span,
                    "an enumeration value must be a constant".to_string(),
                ))?;
            }
            values.push((v.name.clone(), next));
            self.enum_values.entry(up(&v.name)).or_insert((id, next));
            next += 1;
        }
        self.prog.enums.push(EnumType {
            name: name.to_string(),
            values,
        });
        Ok(SType::Enum(id))
    }

    fn struct_type(&mut self, name: &str, s: &ast::StructDef) -> Res<SType> {
        let id = self.prog.structs.len();
        self.prog.structs.push(StructType {
            name: name.to_string(),
            fields: Vec::new(),
            size: 0,
            template: Vec::new(),
        });
        let mut fields = Vec::new();
        let mut template = Vec::new();
        if let Some(base) = s.extends.first() {
            match self.named_type(base)? {
                SType::Struct(b) => {
                    fields.extend(self.prog.structs[b].fields.clone());
                    template.extend(self.prog.structs[b].template.clone());
                }
                _ => return err(base.span, format!("{} is not a structure", base.name)),
            }
        }
        for f in &s.fields {
            let ty = self.type_ref(&f.ty)?;
            for n in &f.names {
                let offset = template.len() as u32;
                self.default_cells(&ty, &mut template);
                if let Some(init) = &f.init {
                    self.const_init(&ty, init, &mut template, offset as usize)?;
                }
                fields.push(Field {
                    name: n.name.clone(),
                    offset,
                    ty: ty.clone(),
                });
            }
        }
        let st = &mut self.prog.structs[id];
        st.size = template.len() as u32;
        st.fields = fields;
        st.template = template;
        Ok(SType::Struct(id))
    }

    fn size_of(&mut self, t: &SType, span: Span) -> Res<u32> {
        let mut blocks = Vec::new();
        Self::blocks_in(t, &mut blocks);
        for i in blocks {
            self.layout_pou(i);
        }
        let n = self.prog.size_of(t);
        if n as usize > super::exec::MAX_CELLS {
            return err(span, "this variable is too large to simulate");
        }
        Ok(n)
    }

    fn default_cells(&self, t: &SType, out: &mut Vec<Value>) {
        self.prog.default_cells(t, out);
    }

    /// Writes a constant initialiser into template cells; `Err` when it is not constant.
    fn const_init(
        &mut self,
        t: &SType,
        init: &Initializer,
        cells: &mut [Value],
        at: usize,
    ) -> Res<()> {
        match (t, init) {
            (_, Initializer::Expr(e)) => {
                let Some(n) = t.scalar() else {
                    return err(e.span, "only a scalar takes an expression as initial value");
                };
                let v = self
                    .const_eval(e)
                    .ok_or((e.span, "not a constant".to_string()))?;
                let from = self.const_num(e, &v);
                cells[at] = t.store().apply(stdfn::convert(from, n, v));
                Ok(())
            }
            (SType::Array(a), Initializer::Array(items, span)) => {
                for (k, v) in self.array_items(items, a.count(), *span)? {
                    let off = at + (k * a.elem_size as u64) as usize;
                    self.const_init(&a.elem, v, cells, off)?;
                }
                Ok(())
            }
            (_, Initializer::Struct(fields, span)) => {
                for (name, v) in fields {
                    let (off, ft) = self.field(t, &name.name).ok_or((
                        name.span,
                        format!("`{}` is not a member of this type", name.name),
                    ))?;
                    self.const_init(&ft, v, cells, at + off as usize)?;
                }
                let _ = span;
                Ok(())
            }
            (_, Initializer::Array(_, span)) => err(
                *span,
                "an array initialiser for something that is not an array",
            ),
        }
    }

    /// The elements an array initialiser sets, repetitions expanded:
    /// (element index, its initialiser); `[3(0), 1]` sets 0, 1, 2 and 3.
    fn array_items<'i>(
        &mut self,
        items: &'i [ast::ArrayInit],
        count: u64,
        span: Span,
    ) -> Res<Vec<(u64, &'i Initializer)>> {
        let mut out = Vec::new();
        let mut k = 0u64;
        for item in items {
            let reps = match &item.repeat {
                Some(r) => self
                    .const_eval(r)
                    .map(|v| v.int().max(0) as u64)
                    .ok_or((r.span, "a repetition count must be a constant".to_string()))?,
                None => 1,
            };
            if k.saturating_add(reps) > count {
                return err(
                    span,
                    format!("more initial values than the array's {count} elements"),
                );
            }
            if let Some(v) = &item.value {
                out.extend((k..k + reps).map(|i| (i, v)));
            }
            k += reps;
        }
        Ok(out)
    }

    /// The offset and type of a member of a structure or block.
    fn field(&mut self, t: &SType, name: &str) -> Option<(u32, SType)> {
        match t {
            SType::Struct(i) => self.prog.structs[*i]
                .fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .map(|f| (f.offset, f.ty.clone())),
            SType::Fb(i) => {
                self.layout_pou(*i);
                self.prog.pous[*i]
                    .var(name)
                    .map(|v| (v.offset, v.ty.clone()))
            }
            SType::StdFb(f) => f
                .params()
                .iter()
                .position(|p| p.0.eq_ignore_ascii_case(name))
                .map(|k| {
                    let ty = elementary(f.params()[k].1).unwrap_or(Num::Bool);
                    (k as u32, SType::num(ty))
                }),
            _ => None,
        }
    }

    fn layout_all(&mut self) {
        for i in 0..self.prog.pous.len() {
            self.layout_pou(i);
        }
        // Statics: globals, then one instance of each PROGRAM. Cell 0 is NULL.
        let mut template = Vec::new();
        for (b, fi) in self.global_decls.clone() {
            self.file = fi;
            for d in &b.vars {
                match self.type_ref(&d.ty) {
                    Ok(ty) => {
                        for n in &d.names {
                            let at = template.len();
                            self.default_cells(&ty, &mut template);
                            if let Some(init) = &d.init {
                                if self.const_init(&ty, init, &mut template, at).is_err() {
                                    self.error((
                                        d.span,
                                        "a global's initial value must be a constant".into(),
                                    ));
                                }
                            }
                            self.globals
                                .insert(up(&n.name), (1 + at as u32, ty.clone(), VarKind::Global));
                            self.prog.globals.push(VarInfo {
                                name: n.name.clone(),
                                kind: VarKind::Global,
                                offset: 1 + at as u32,
                                ty: ty.clone(),
                                span: n.span,
                            });
                        }
                    }
                    Err(e) => self.error(e),
                }
            }
        }
        for i in 0..self.prog.pous.len() {
            if self.prog.pous[i].kind == PouKind::Program {
                let base = 1 + template.len() as u32;
                self.prog.program_base.insert(i, base);
                template.extend_from_slice(&self.prog.pous[i].template.clone());
                self.prog
                    .static_init
                    .push(Stmt::Init(Place::Abs(base), FbKind::User(i)));
            }
        }
        self.prog.static_size = template.len() as u32;
        self.prog.static_template = template;
    }

    /// Lays out a POU's variables; nested blocks are laid out first. A POU
    /// that cannot be laid out is reported and marked broken.
    fn layout_pou(&mut self, i: usize) {
        match self.layout[i] {
            LayoutState::Done => return,
            LayoutState::Busy => {
                // Reported where the cycle closes, in the POU laid out first.
                self.broken.insert(i);
                return;
            }
            LayoutState::Todo => {}
        }
        self.layout[i] = LayoutState::Busy;
        let (p, fi, owner) = self.asts[i];
        let saved = std::mem::replace(&mut self.file, fi);
        let saved_current = self.current.replace(i);
        let saved_consts = self.enter_constants(p, owner);
        if let Err(e) = self.layout_vars(i, p) {
            self.broken.insert(i);
            self.error(e);
        }
        self.local_consts = saved_consts;
        self.current = saved_current;
        self.file = saved;
        self.layout[i] = LayoutState::Done;
    }

    /// Makes the constants a POU sees (its own, and its block's for a method)
    /// available to constant expressions; returns the previous set.
    fn enter_constants(
        &mut self,
        p: &'a ast::Pou,
        owner: Option<usize>,
    ) -> HashMap<String, (Value, SType)> {
        let saved = std::mem::take(&mut self.local_consts);
        let owner_ast = owner.map(|o| self.asts[o].0);
        for pou in owner_ast.into_iter().chain(std::iter::once(p)) {
            for b in pou.var_blocks.iter().filter(|b| b.constant) {
                for d in &b.vars {
                    let Some(Initializer::Expr(e)) = &d.init else {
                        continue;
                    };
                    let (Ok(ty), Some(v)) = (self.type_ref(&d.ty), self.const_eval(e)) else {
                        continue;
                    };
                    let Some(n) = ty.scalar() else { continue };
                    let from = self.const_num(e, &v);
                    let v = ty.store().apply(stdfn::convert(from, n, v));
                    for name in &d.names {
                        self.local_consts
                            .insert(up(&name.name), (v.clone(), ty.clone()));
                    }
                }
            }
        }
        saved
    }

    fn layout_vars(&mut self, i: usize, p: &'a ast::Pou) -> Res<()> {
        let mut vars = Vec::new();
        let mut template = Vec::new();
        let mut temps = Vec::new();
        // A block extending another starts with the other's cells, so the
        // parent's code runs unchanged on a child instance.
        if let Some(base) = p.extends.first() {
            match self.named_type(base)? {
                SType::Fb(b) => {
                    self.layout_pou(b);
                    self.prog.deps[i].insert(b);
                    if matches!(self.layout[b], LayoutState::Busy) {
                        return err(base.span, format!("{} extends itself", p.name.name));
                    }
                    vars.extend(self.prog.pous[b].vars.clone());
                    template.extend(self.prog.pous[b].template.clone());
                    temps.extend(self.prog.pous[b].temps.clone());
                }
                _ => return err(base.span, format!("{} is not a function block", base.name)),
            }
        }
        if let Some(rt) = &p.return_type {
            let ty = self.type_ref(rt)?;
            if ty.scalar().is_none() {
                return err(
                    rt.span(),
                    "functions returning a structure or array are not supported by the simulator",
                );
            }
            self.default_cells(&ty, &mut template);
            self.prog.pous[i].result = Some(ty.clone());
            vars.push(VarInfo {
                name: p.name.name.clone(),
                kind: VarKind::Var,
                offset: 0,
                ty,
                span: p.name.span,
            });
        }
        for b in &p.var_blocks {
            for d in &b.vars {
                let ty = self.type_ref(&d.ty)?;
                if matches!(b.kind, VarKind::External) {
                    continue;
                }
                let mut blocks = Vec::new();
                Self::blocks_in(&ty, &mut blocks);
                for &j in &blocks {
                    if j == i || matches!(self.layout[j], LayoutState::Busy) {
                        return err(
                            d.span,
                            format!("{} contains an instance of itself", p.name.name),
                        );
                    }
                    self.prog.deps[i].insert(j);
                }
                for n in &d.names {
                    let offset = template.len() as u32;
                    if b.kind == VarKind::InOut {
                        template.push(Value::I(0));
                    } else {
                        let size = self.size_of(&ty, d.span)?;
                        self.default_cells(&ty, &mut template);
                        if b.kind == VarKind::Temp && p.kind != PouKind::Function {
                            temps.push((offset, size));
                        }
                        // Constant initial values go into the template now, before
                        // any block or program that contains this one copies it.
                        if let Some(init) = &d.init {
                            let mut cells = template.clone();
                            if self
                                .const_init(&ty, init, &mut cells, offset as usize)
                                .is_ok()
                            {
                                template = cells;
                            } else {
                                self.runtime_init.insert((i, up(&n.name)));
                            }
                        }
                    }
                    if template.len() > super::exec::MAX_CELLS {
                        return err(d.span, "these variables are too large to simulate");
                    }
                    vars.push(VarInfo {
                        name: n.name.clone(),
                        kind: b.kind,
                        offset,
                        ty: ty.clone(),
                        span: n.span,
                    });
                }
            }
        }
        let pou = &mut self.prog.pous[i];
        pou.size = template.len() as u32;
        pou.template = template;
        pou.vars = vars;
        pou.temps = temps;
        Ok(())
    }

    // ---- bodies -----------------------------------------------------------

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

    /// Variables of functions and methods live in the call frame; of blocks and programs, in the instance.
    fn own_place(&self, s: Scope, offset: u32) -> Place {
        match self.prog.pous[s.pou].kind {
            PouKind::Function | PouKind::Method => Place::Frame(offset),
            _ => Place::This(offset),
        }
    }

    /// Initialisation of user blocks nested at `place` (instances, arrays of them).
    fn nested_inits(&self, place: &Place, t: &SType, out: &mut Vec<Stmt>) {
        match t {
            SType::Fb(i) => out.push(Stmt::Init(place.clone(), FbKind::User(*i))),
            SType::Array(a) if matches!(a.elem, SType::Fb(_)) => {
                for k in 0..a.count().min(65_536) as u32 {
                    self.nested_inits(&offset(place, k * a.elem_size), &a.elem, out);
                }
            }
            _ => {}
        }
    }

    fn init_code(
        &mut self,
        s: Scope,
        place: Place,
        t: &SType,
        init: &Initializer,
        out: &mut Vec<Stmt>,
    ) -> Res<()> {
        match init {
            Initializer::Expr(e) => {
                let st = self.assign(s, place, t.clone(), e, e.span)?;
                out.push(st);
            }
            Initializer::Array(items, span) => {
                let SType::Array(a) = t else {
                    return err(
                        *span,
                        "an array initialiser for something that is not an array",
                    );
                };
                for (k, v) in self.array_items(items, a.count(), *span)? {
                    let p = offset(&place, (k * a.elem_size as u64) as u32);
                    self.init_code(s, p, &a.elem, v, out)?;
                }
            }
            Initializer::Struct(fields, _) => {
                for (name, v) in fields {
                    let (off, ft) = self.field(t, &name.name).ok_or((
                        name.span,
                        format!("`{}` is not a member of this type", name.name),
                    ))?;
                    self.init_code(s, offset(&place, off), &ft, v, out)?;
                }
            }
        }
        Ok(())
    }

    fn stmts(&mut self, s: Scope, stmts: &[ast::Stmt]) -> Vec<Stmt> {
        let mut out = Vec::with_capacity(stmts.len());
        for st in stmts {
            match self.stmt(s, st) {
                Ok(Some(x)) => out.push(x),
                Ok(None) => {}
                Err(e) => self.error(e),
            }
        }
        out
    }

    fn stmt(&mut self, s: Scope, st: &ast::Stmt) -> Res<Option<Stmt>> {
        use ast::StmtKind as K;
        let span = st.span;
        Ok(Some(match &st.kind {
            K::Assign { target, value } => {
                if let ExprKind::Bit(base, bit) = &target.kind {
                    let (p, t) = self.place(s, base)?;
                    let n = t
                        .scalar()
                        .filter(|n| n.is_int() || matches!(n, Num::Bits(_)))
                        .ok_or((
                            base.span,
                            "bit access needs an integer or bit string".to_string(),
                        ))?;
                    check_bit(n, *bit, target.span)?;
                    let v = self.value(s, value, &SType::num(Num::Bool))?;
                    return Ok(Some(Stmt::StoreBit(p, *bit as u8, n, v, span)));
                }
                let (p, t) = self.place(s, target)?;
                self.assign(s, p, t, value, span)?
            }
            K::SetReset { set, target, value } => {
                let (p, t) = self.place(s, target)?;
                let c = self.value(s, value, &SType::num(Num::Bool))?;
                Stmt::If(
                    vec![(
                        c,
                        vec![Stmt::Store(
                            p,
                            Expr::Const(Value::I(*set as i64)),
                            t.store(),
                            span,
                        )],
                    )],
                    Vec::new(),
                )
            }
            K::RefAssign { target, value } => {
                let (cell, _) = self.raw_place(s, target)?;
                let (p, _) = self.place(s, value)?;
                Stmt::Store(cell, Expr::Adr(p), Store::Plain, span)
            }
            K::Call(e) => return self.call_stmt(s, e, span).map(Some),
            K::If {
                branches,
                else_body,
            } => {
                let mut bs = Vec::new();
                for (c, body) in branches {
                    let c = self.value(s, c, &SType::num(Num::Bool))?;
                    bs.push((c, self.stmts(s, body)));
                }
                let e = else_body
                    .as_ref()
                    .map(|b| self.stmts(s, b))
                    .unwrap_or_default();
                Stmt::If(bs, e)
            }
            K::Case {
                selector,
                arms,
                else_body,
            } => {
                let sel = self.expr(s, selector)?;
                if sel.ty.scalar().is_none_or(|n| n.is_real() || n.is_str()) {
                    return err(
                        selector.span,
                        "CASE needs an integer or enumeration selector",
                    );
                }
                let mut out = Vec::new();
                for arm in arms {
                    let mut labels = Vec::new();
                    for l in &arm.labels {
                        let (lo, hi) = match l {
                            ast::CaseLabel::Value(v) => {
                                let x = self.label(s, v)?;
                                (x, x)
                            }
                            ast::CaseLabel::Range(a, b) => (self.label(s, a)?, self.label(s, b)?),
                        };
                        labels.push((lo, hi));
                    }
                    out.push((labels, self.stmts(s, &arm.body)));
                }
                let e = else_body
                    .as_ref()
                    .map(|b| self.stmts(s, b))
                    .unwrap_or_default();
                Stmt::Case(sel.e, out, e, span)
            }
            K::For {
                var,
                from,
                to,
                by,
                body,
            } => {
                let (p, t) = self.name_place(s, var)?;
                let num = t
                    .scalar()
                    .filter(|n| n.is_int() || matches!(n, Num::Bits(_)))
                    .ok_or((var.span, "a FOR variable must be an integer".to_string()))?;
                let from = self.value(s, from, &t)?;
                let to = self.value(s, to, &t)?;
                let by = match by {
                    Some(b) => self.value(
                        s,
                        b,
                        &SType::num(Num::Int {
                            bits: 64,
                            signed: true,
                        }),
                    )?,
                    None => Expr::Const(Value::I(1)),
                };
                let body = self.stmts(s, body);
                Stmt::For(Box::new(ForLoop {
                    var: p,
                    num,
                    store: t.store(),
                    from,
                    to,
                    by,
                    body,
                    span,
                }))
            }
            K::While { cond, body } => {
                let c = self.value(s, cond, &SType::num(Num::Bool))?;
                Stmt::While(c, self.stmts(s, body), span)
            }
            K::Repeat { body, until } => {
                let b = self.stmts(s, body);
                let c = self.value(s, until, &SType::num(Num::Bool))?;
                Stmt::Repeat(b, c, span)
            }
            K::Exit => Stmt::Exit,
            K::Continue => Stmt::Continue,
            K::Return => Stmt::Return(span),
            K::Empty => return Ok(None),
        }))
    }

    fn label(&mut self, s: Scope, e: &ast::Expr) -> Res<i64> {
        if let Some(v) = self.const_eval(e) {
            return Ok(v.int());
        }
        match self.expr(s, e)? {
            Typed {
                e: Expr::Const(v), ..
            } => Ok(v.int()),
            _ => err(e.span, "a CASE label must be a constant"),
        }
    }

    fn assign(&mut self, s: Scope, p: Place, t: SType, value: &ast::Expr, span: Span) -> Res<Stmt> {
        if t.scalar().is_some() {
            return self.store_stmt_at(s, p, t, value, span);
        }
        // Structures, arrays, instances: copied cell by cell.
        let (src, st) = self.place(s, value)?;
        if st != t {
            return err(value.span, "the value's type is not the target's");
        }
        let n = self.size_of(&t, span)?;
        Ok(Stmt::Copy(p, src, n, span))
    }

    fn store_stmt_at(
        &mut self,
        s: Scope,
        p: Place,
        t: SType,
        value: &ast::Expr,
        span: Span,
    ) -> Res<Stmt> {
        let v = self.value(s, value, &t)?;
        Ok(Stmt::Store(p, v, t.store(), span))
    }

    /// An expression converted to the type of where it goes.
    fn value(&mut self, s: Scope, e: &ast::Expr, to: &SType) -> Res<Expr> {
        let t = self.expr(s, e)?;
        let Some(target) = to.scalar() else {
            return err(e.span, "a structured value is expected here");
        };
        // A pointer is a cell index here, not a byte address: it may only be
        // kept as what it points to.
        let pointee = |t: &SType| match t {
            SType::Pointer(p) => Some(p.clone()),
            _ => None,
        };
        match (pointee(&t.ty), pointee(to)) {
            (Some(a), Some(b)) if a != b => return err(
                e.span,
                "the simulator does not convert a pointer to one type into a pointer to another",
            ),
            (Some(_), None) | (None, Some(_))
                if !t.lit || !matches!(t.e, Expr::Const(ref v) if v.int() == 0) =>
            {
                return err(
                    e.span,
                    "the simulator does not convert between pointers and integers",
                )
            }
            _ => {}
        }
        self.coerce(t, target, e.span)
    }

    fn coerce(&self, t: Typed, to: Num, span: Span) -> Res<Expr> {
        let Some(from) = t.ty.scalar() else {
            return err(span, "a structure, array or instance is not a value here");
        };
        if from.is_str() != to.is_str() {
            return err(
                span,
                "strings and numbers do not convert implicitly; use a *_TO_* function",
            );
        }
        Ok(conv(from, to, t.e, span))
    }

    // ---- places -----------------------------------------------------------

    fn name_place(&mut self, s: Scope, n: &Ident) -> Res<(Place, SType)> {
        let e = ast::Expr {
            kind: ExprKind::Name(n.clone()),
            span: n.span,
        };
        self.place(s, &e)
    }

    /// A variable's own cell, without following a reference (for `REF=`).
    fn raw_place(&mut self, s: Scope, e: &ast::Expr) -> Res<(Place, SType)> {
        if let ExprKind::Name(n) = &e.kind {
            if let Some((p, t, _)) = self.lookup_var(s, &n.name) {
                return Ok((p, t));
            }
        }
        err(e.span, "REF= needs a REFERENCE variable on its left")
    }

    /// A variable by name: (its cell, its declared type, its kind).
    fn lookup_var(&self, s: Scope, name: &str) -> Option<(Place, SType, VarKind)> {
        let pou = &self.prog.pous[s.pou];
        if let Some(v) = pou.var(name) {
            return Some((self.own_place(s, v.offset), v.ty.clone(), v.kind));
        }
        if let Some(o) = s.owner {
            if let Some(v) = self.prog.pous[o].var(name) {
                return Some((Place::This(v.offset), v.ty.clone(), v.kind));
            }
        }
        self.globals
            .get(&up(name))
            .map(|(a, t, k)| (Place::Abs(*a), t.clone(), *k))
    }

    /// The place an address points to, knowing how many cells it must have.
    fn deref(&self, addr: Expr, span: Span, target: &SType) -> Place {
        Place::Deref(Box::new(addr), span, self.prog.size_of(target).max(1))
    }

    fn place(&mut self, s: Scope, e: &ast::Expr) -> Res<(Place, SType)> {
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some((p, t, k)) = self.lookup_var(s, &n.name) {
                    // VAR_IN_OUT and references hold an address.
                    return Ok(match (k, &t) {
                        (VarKind::InOut, _) => (self.deref(Expr::Load(p), e.span, &t), t),
                        (_, SType::Reference(target)) => (
                            self.deref(Expr::Load(p), e.span, target),
                            (**target).clone(),
                        ),
                        _ => (p, t),
                    });
                }
                if let Some(&i) = self.prog.by_name.get(&up(&n.name)) {
                    if let Some(&base) = self.prog.program_base.get(&i) {
                        self.depends(i);
                        return Ok((Place::Abs(base), SType::Fb(i)));
                    }
                }
                err(
                    n.span,
                    format!("`{}` is not a variable the simulator knows", n.name),
                )
            }
            ExprKind::Member(base, m) => {
                let (p, t) = self.place(s, base)?;
                let (off, ft) = self.field(&t, &m.name).ok_or((
                    m.span,
                    format!("`{}` is not a member of this value", m.name),
                ))?;
                let p = offset(&p, off);
                // An in-out of an instance is followed to what it refers to.
                if let SType::Fb(i) = &t {
                    if self.prog.pous[*i]
                        .var(&m.name)
                        .is_some_and(|v| v.kind == VarKind::InOut)
                    {
                        return Ok((self.deref(Expr::Load(p), e.span, &ft), ft));
                    }
                }
                if let SType::Reference(target) = &ft {
                    return Ok((
                        self.deref(Expr::Load(p), e.span, target),
                        (**target).clone(),
                    ));
                }
                Ok((p, ft))
            }
            ExprKind::Index(base, idx) => {
                let (p, t) = self.place(s, base)?;
                let SType::Array(a) = &t else {
                    return err(base.span, "only an array can be indexed");
                };
                if idx.len() != a.dims.len() {
                    return err(
                        e.span,
                        format!(
                            "this array has {} dimension(s), not {}",
                            a.dims.len(),
                            idx.len()
                        ),
                    );
                }
                let mut strides = vec![0u32; a.dims.len()];
                let mut stride = a.elem_size;
                for k in (0..a.dims.len()).rev() {
                    strides[k] = stride;
                    let (lo, hi) = a.dims[k];
                    stride = stride.saturating_mul((hi - lo + 1) as u32);
                }
                let mut index = Vec::new();
                for i in idx {
                    index.push(self.value(
                        s,
                        i,
                        &SType::num(Num::Int {
                            bits: 64,
                            signed: true,
                        }),
                    )?);
                }
                Ok((
                    Place::Index(Box::new(IndexPlace {
                        base: p,
                        index,
                        dims: a.dims.clone(),
                        strides,
                        span: e.span,
                    })),
                    a.elem.clone(),
                ))
            }
            ExprKind::Deref(inner) => {
                if matches!(inner.kind, ExprKind::This) {
                    let fb = s.owner.unwrap_or(s.pou);
                    return Ok((Place::This(0), SType::Fb(fb)));
                }
                let t = self.expr(s, inner)?;
                match t.ty {
                    SType::Pointer(target) | SType::Reference(target) => {
                        Ok((self.deref(t.e, e.span, &target), (*target).clone()))
                    }
                    _ => err(inner.span, "only a pointer can be dereferenced with ^"),
                }
            }
            ExprKind::Paren(inner) => self.place(s, inner),
            _ => err(e.span, "this is not a variable"),
        }
    }

    // ---- expressions ------------------------------------------------------

    fn expr(&mut self, s: Scope, e: &ast::Expr) -> Res<Typed> {
        let t = self.expr_typed(s, e)?;
        if self.record && !t.lit {
            if let Some(n) = t.ty.scalar() {
                self.recorded.push((self.file, e.span, Ty::from(n)));
            }
        }
        Ok(t)
    }

    fn expr_typed(&mut self, s: Scope, e: &ast::Expr) -> Res<Typed> {
        let typed = |e: Expr, ty: SType| Typed { e, ty, lit: false };
        match &e.kind {
            ExprKind::Literal(l) => self.literal(l, e.span),
            ExprKind::Name(n) => {
                if self.lookup_var(s, &n.name).is_some() {
                    let (p, t) = self.place(s, e)?;
                    return Ok(typed(Expr::Load(p), t));
                }
                let u = up(&n.name);
                if let Some((v, t)) = self.constants.get(&u) {
                    return Ok(typed(Expr::Const(v.clone()), t.clone()));
                }
                if let Some(&(id, v)) = self.enum_values.get(&u) {
                    return Ok(typed(Expr::Const(Value::I(v)), SType::Enum(id)));
                }
                err(
                    n.span,
                    format!("`{}` is not a variable the simulator knows", n.name),
                )
            }
            ExprKind::Member(base, m) => {
                // `E_State.Idle`: a qualified enumeration value.
                if let ExprKind::Name(n) = &base.kind {
                    if self.lookup_var(s, &n.name).is_none()
                        && !self.prog.by_name.contains_key(&up(&n.name))
                    {
                        if let Ok(SType::Enum(id)) = self.named_type(n) {
                            let v = self.prog.enums[id]
                                .values
                                .iter()
                                .find(|(name, _)| name.eq_ignore_ascii_case(&m.name))
                                .map(|v| v.1)
                                .ok_or((m.span, format!("{} has no value `{}`", n.name, m.name)))?;
                            return Ok(typed(Expr::Const(Value::I(v)), SType::Enum(id)));
                        }
                    }
                }
                let (p, t) = self.place(s, e)?;
                Ok(typed(Expr::Load(p), t))
            }
            ExprKind::Index(..) | ExprKind::Deref(_) => {
                let (p, t) = self.place(s, e)?;
                Ok(typed(Expr::Load(p), t))
            }
            ExprKind::Bit(base, bit) => {
                let (p, t) = self.place(s, base)?;
                match t.scalar() {
                    Some(n) if n.is_int() || matches!(n, Num::Bits(_)) => {
                        check_bit(n, *bit, e.span)?
                    }
                    _ => return err(base.span, "bit access needs an integer or bit string"),
                }
                Ok(typed(Expr::LoadBit(p, *bit as u8), SType::num(Num::Bool)))
            }
            ExprKind::Paren(inner) => self.expr(s, inner),
            ExprKind::Unary(op, x) => {
                let t = self.expr(s, x)?;
                let n =
                    t.ty.scalar()
                        .ok_or((x.span, "an operator needs a scalar value".to_string()))?;
                match op {
                    UnaryOp::Plus => Ok(t),
                    UnaryOp::Neg => negate(t, n, x.span),
                    UnaryOp::Not => {
                        if n.is_str() || n.is_real() {
                            return err(x.span, "NOT needs a BOOL or bit string");
                        }
                        Ok(Typed {
                            e: Expr::Not(Box::new(t.e), n),
                            ..t
                        })
                    }
                }
            }
            ExprKind::Binary(op, a, b) => self.binary(s, *op, a, b, e.span),
            ExprKind::Call(f, args) => self.call_expr(s, f, args, e.span),
            ExprKind::This | ExprKind::Super => err(e.span, "THIS and SUPER are used with ^"),
            ExprKind::Address(a) => err(
                e.span,
                format!("direct address {a} has no value in simulation; declare a variable AT it"),
            ),
            ExprKind::Error => err(e.span, "unparsed expression"),
        }
    }

    fn literal(&mut self, l: &Literal, span: Span) -> Res<Typed> {
        let mk = |v: Value, n: Num, lit: bool| Typed {
            e: Expr::Const(v),
            ty: SType::Scalar(n, if n.is_str() { MAX_STRING } else { 0 }),
            lit,
        };
        Ok(match l {
            Literal::Integer { value, typed } => {
                let v = *value as i64;
                match typed {
                    Some(t) => {
                        let n = elementary(&t.name)
                            .ok_or((t.span, format!("{} is not an elementary type", t.name)))?;
                        mk(
                            stdfn::convert(
                                Num::Int {
                                    bits: 64,
                                    signed: true,
                                },
                                n,
                                Value::I(v),
                            ),
                            n,
                            false,
                        )
                    }
                    None => {
                        let bits = if i32::try_from(v).is_ok() { 32 } else { 64 };
                        mk(Value::I(v), Num::Int { bits, signed: true }, true)
                    }
                }
            }
            Literal::Real { value, typed } => match typed {
                Some(t) => {
                    let n = elementary(&t.name)
                        .filter(|n| n.is_real())
                        .ok_or((t.span, format!("{}# does not take a real", t.name)))?;
                    mk(stdfn::convert(Num::LReal, n, Value::R(*value)), n, false)
                }
                None => mk(Value::R(*value), Num::LReal, true),
            },
            Literal::Bool { value, .. } => mk(Value::I(*value as i64), Num::Bool, false),
            Literal::String { value, wide } => {
                mk(Value::S(value.clone()), Num::Str { wide: *wide }, true)
            }
            Literal::Duration { ns, long } => {
                if *long {
                    mk(Value::I(*ns), Num::LTime, false)
                } else {
                    mk(Value::I(ns / 1_000_000), Num::Time, false)
                }
            }
            Literal::Date { y, m, d } => {
                mk(Value::I(stdfn::date_secs(*y, *m, *d)), Num::Date, false)
            }
            Literal::TimeOfDay { ns } => mk(Value::I(ns / 1_000_000), Num::Tod, false),
            Literal::DateAndTime { date, ns } => mk(
                Value::I(stdfn::date_secs(date.0, date.1, date.2) + ns / 1_000_000_000),
                Num::Dt,
                false,
            ),
            Literal::EnumValue { ty, value } => {
                let SType::Enum(id) = self.named_type(ty)? else {
                    return err(ty.span, format!("{} is not an enumeration", ty.name));
                };
                let v = self.prog.enums[id]
                    .values
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&value.name))
                    .map(|v| v.1)
                    .ok_or((
                        value.span,
                        format!("{} has no value `{}`", ty.name, value.name),
                    ))?;
                let _ = span;
                Typed {
                    e: Expr::Const(Value::I(v)),
                    ty: SType::Enum(id),
                    lit: false,
                }
            }
        })
    }

    fn binary(
        &mut self,
        s: Scope,
        op: BinaryOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
    ) -> Res<Typed> {
        let x = self.expr(s, a)?;
        let y = self.expr(s, b)?;
        self.combine(op, x, y, (a.span, b.span), span)
    }

    fn combine(
        &mut self,
        op: BinaryOp,
        x: Typed,
        y: Typed,
        (aspan, bspan): (Span, Span),
        span: Span,
    ) -> Res<Typed> {
        let (Some(xn), Some(yn)) = (x.ty.scalar(), y.ty.scalar()) else {
            return err(span, format!("`{}` needs scalar operands", op.symbol()));
        };
        let bool_t = SType::num(Num::Bool);
        let result = |e: Expr, ty: SType, lit: bool| Ok(Typed { e, ty, lit });
        if matches!(op, BinaryOp::AndThen | BinaryOp::OrElse) {
            let (l, r) = (
                self.coerce(x, Num::Bool, aspan)?,
                self.coerce(y, Num::Bool, bspan)?,
            );
            let e = if op == BinaryOp::AndThen {
                Expr::AndThen(Box::new(l), Box::new(r))
            } else {
                Expr::OrElse(Box::new(l), Box::new(r))
            };
            return result(e, bool_t, false);
        }
        let o = op;
        let compare = o.is_comparison();
        // CODESYS moves a pointer by bytes; the simulator's memory is cells, not bytes.
        if !compare && (xn == Num::Ptr || yn == Num::Ptr) {
            return err(
                span,
                "the simulator does not run pointer arithmetic (its memory is not bytes)",
            );
        }
        // Durations and dates: TIME ± TIME, TIME * n, TIME / n, DT - DT, TOD + TIME …
        if let Some(t) = self.time_arith(o, &x, &y, xn, yn, span)? {
            return Ok(t);
        }
        if o == Op::Pow {
            let t = crate::sema::types::power(&checker_type(&x, xn), &checker_type(&y, yn))
                .ok_or((span, "`**` needs numbers".to_string()))?;
            let (n, lit) = match t {
                Ty::RealLiteral => (Num::LReal, true),
                t => (elementary_of(&t).unwrap_or(Num::LReal), false),
            };
            let (l, r) = (self.coerce(x, n, aspan)?, self.coerce(y, n, bspan)?);
            return result(
                Expr::Bin(o, n, Box::new(l), Box::new(r), span),
                SType::num(n),
                lit,
            );
        }
        let n = common(&x, &y, xn, yn).ok_or((
            span,
            format!(
                "`{}` cannot combine {} and {}",
                op.symbol(),
                num_name(xn),
                num_name(yn)
            ),
        ))?;
        if matches!(o, Op::And | Op::Or | Op::Xor)
            && (n.is_real()
                || n.is_str()
                || !matches!(n, Num::Bool | Num::Bits(_) | Num::Int { .. }))
        {
            return err(
                span,
                format!("`{}` needs BOOL or bit-string operands", op.symbol()),
            );
        }
        if matches!(o, Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod)
            && !(n.is_int() || n.is_real() || matches!(n, Num::Bits(_)))
        {
            return err(
                span,
                format!("`{}` needs numbers, not {}", op.symbol(), num_name(n)),
            );
        }
        let lit = x.lit && y.lit;
        let ty = if compare {
            bool_t
        } else if x.lit && !y.lit && y.ty.scalar() == Some(n) {
            y.ty.clone()
        } else if n == xn {
            x.ty.clone()
        } else {
            SType::Scalar(n, if n.is_str() { MAX_STRING } else { 0 })
        };
        let (l, r) = (self.coerce(x, n, aspan)?, self.coerce(y, n, bspan)?);
        result(
            Expr::Bin(o, n, Box::new(l), Box::new(r), span),
            ty,
            lit && !compare,
        )
    }

    /// Arithmetic and comparison of durations and dates (TIME ± TIME, TIME * n,
    /// DT - DT, TOD + TIME …); `None` when neither operand is one. Whether it
    /// is allowed and its type come from the checker's rule
    /// (`types::time_arith`); this only lowers it.
    fn time_arith(
        &self,
        o: Op,
        x: &Typed,
        y: &Typed,
        xn: Num,
        yn: Num,
        span: Span,
    ) -> Res<Option<Typed>> {
        let rule = crate::sema::types::time_arith(o, &checker_type(x, xn), &checker_type(y, yn));
        let rn = match rule {
            None => return Ok(None),
            Some(Err(why)) => return err(span, why),
            Some(Ok(t)) => {
                elementary_of(&t).ok_or((span, format!("`{}` has no result", o.symbol())))?
            }
        };
        let timeish = |n: Num| matches!(n, Num::Time | Num::LTime | Num::Date | Num::Tod | Num::Dt);
        let i64n = Num::Int {
            bits: 64,
            signed: true,
        };
        let bin = |o: Op, n: Num, a: Expr, b: Expr| Expr::Bin(o, n, Box::new(a), Box::new(b), span);
        let k = |v: i64| Expr::Const(Value::I(v));
        let (xe, ye) = (x.e.clone(), y.e.clone());
        let compare = o.is_comparison();
        let e = match (xn, yn) {
            // Dates and DT count seconds; the difference is a TIME in ms.
            (Num::Date, Num::Date) | (Num::Dt, Num::Dt) if !compare => {
                bin(Op::Mul, i64n, bin(Op::Sub, i64n, xe, ye), k(1000))
            }
            (Num::Tod, Num::Tod) if !compare => bin(Op::Sub, i64n, xe, ye),
            (a, b) if a == b => bin(o, a, xe, ye),
            (Num::Time, Num::LTime) | (Num::LTime, Num::Time) => bin(
                o,
                Num::LTime,
                conv(xn, Num::LTime, xe, span),
                conv(yn, Num::LTime, ye, span),
            ),
            (Num::Tod, Num::Time) => bin(o, i64n, xe, ye),
            (Num::Dt | Num::Date, Num::Time) => bin(o, i64n, xe, bin(Op::Div, i64n, ye, k(1000))),
            // A duration scaled by a number, in LREAL for a real factor.
            _ if matches!(o, Op::Mul | Op::Div) => {
                let t = if timeish(xn) { xn } else { yn };
                if xn.is_real() || yn.is_real() {
                    let l = conv(xn, Num::LReal, xe, span);
                    let r = conv(yn, Num::LReal, ye, span);
                    conv(Num::LReal, t, bin(o, Num::LReal, l, r), span)
                } else {
                    bin(o, t, conv(xn, t, xe, span), conv(yn, t, ye, span))
                }
            }
            // `t > 0`, `t + 5`: an untyped integer literal counts in the other's unit.
            _ => {
                let t = if timeish(xn) { xn } else { yn };
                bin(o, t, xe, ye)
            }
        };
        Ok(Some(Typed {
            e,
            ty: SType::num(rn),
            lit: false,
        }))
    }

    // ---- calls ------------------------------------------------------------

    fn call_stmt(&mut self, s: Scope, e: &ast::Expr, span: Span) -> Res<Stmt> {
        let ExprKind::Call(f, args) = &e.kind else {
            return Ok(Stmt::Eval(self.expr(s, e)?.e, span));
        };
        // `SUPER^()`: the parent block's body on this instance.
        if let ExprKind::Deref(inner) = &f.kind {
            if matches!(inner.kind, ExprKind::Super) {
                let parent = self.parent_of(s.owner.unwrap_or(s.pou)).ok_or((
                    f.span,
                    "SUPER^ needs a block that EXTENDS another".to_string(),
                ))?;
                return self.fb_call(s, Place::This(0), &SType::Fb(parent), args, span);
            }
        }
        let callee_is_instance = match &f.kind {
            ExprKind::Name(n) => {
                self.lookup_var(s, &n.name).is_some() || self.program_named(&n.name).is_some()
            }
            ExprKind::Member(..) | ExprKind::Index(..) | ExprKind::Deref(_) => true,
            _ => false,
        };
        if callee_is_instance {
            if let Ok((p, t)) = self.place(s, f) {
                if matches!(t, SType::Fb(_) | SType::StdFb(_)) {
                    return self.fb_call(s, p, &t, args, span);
                }
            }
        }
        Ok(Stmt::Eval(self.call_expr(s, f, args, span)?.e, span))
    }

    fn program_named(&self, name: &str) -> Option<usize> {
        let &i = self.prog.by_name.get(&up(name))?;
        self.prog.program_base.contains_key(&i).then_some(i)
    }

    fn parent_of(&mut self, fb: usize) -> Option<usize> {
        let base = self.asts[fb].0.extends.first()?;
        match self.named_type(base) {
            Ok(SType::Fb(b)) => Some(b),
            _ => None,
        }
    }

    /// A method or action of a block, or of the blocks it extends.
    fn method_of(&mut self, fb: usize, name: &str) -> Option<usize> {
        let mut current = Some(fb);
        let mut guard = 0;
        while let Some(i) = current {
            if let Some(&m) = self.prog.pous[i].methods.get(&up(name)) {
                return Some(m);
            }
            guard += 1;
            if guard > 32 {
                return None;
            }
            current = self.parent_of(i);
        }
        None
    }

    /// The parameters of a block or function: (name, offset, type, kind) in declaration order.
    fn params(&self, t: &SType) -> Vec<(String, u32, SType, VarKind)> {
        match t {
            SType::Fb(i) => self.pou_params(*i),
            SType::StdFb(f) => f
                .params()
                .iter()
                .enumerate()
                .map(|(k, (n, ty, input))| {
                    (
                        n.to_string(),
                        k as u32,
                        SType::num(elementary(ty).unwrap_or(Num::Bool)),
                        if *input {
                            VarKind::Input
                        } else {
                            VarKind::Output
                        },
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn pou_params(&self, i: usize) -> Vec<(String, u32, SType, VarKind)> {
        self.prog.pous[i]
            .vars
            .iter()
            .filter(|v| matches!(v.kind, VarKind::Input | VarKind::Output | VarKind::InOut))
            .map(|v| (v.name.clone(), v.offset, v.ty.clone(), v.kind))
            .collect()
    }

    /// Arguments bound to parameters: named ones by name, positional ones to the
    /// inputs and in-outs in order.
    fn bind_args(
        &mut self,
        s: Scope,
        params: &[(String, u32, SType, VarKind)],
        args: &[ast::Arg],
        what: &str,
    ) -> Res<(Vec<Arg>, Vec<OutputBinding>)> {
        let positional: Vec<&(String, u32, SType, VarKind)> =
            params.iter().filter(|p| p.3 != VarKind::Output).collect();
        let (mut bound, mut outputs) = (Vec::new(), Vec::new());
        for (k, a) in args.iter().enumerate() {
            let param = match &a.name {
                Some(n) => params
                    .iter()
                    .find(|p| p.0.eq_ignore_ascii_case(&n.name))
                    .ok_or((n.span, format!("{what} has no parameter `{}`", n.name)))?,
                None => *positional.get(k).ok_or((
                    a.value.span,
                    format!("{what} takes {} positional argument(s)", positional.len()),
                ))?,
            };
            let (_, off, ty, kind) = param;
            if a.output {
                let negate = match ty.scalar() {
                    _ if !a.negated => None,
                    Some(n) if n == Num::Bool || n.is_int() || matches!(n, Num::Bits(_)) => Some(n),
                    _ => return err(a.value.span, "`NOT q =>` needs a BOOL or bit-string output"),
                };
                let (p, t) = self.place(s, &a.value)?;
                let (from, to) = (ty.scalar(), t.scalar());
                let conv = match (from, to) {
                    (Some(f), Some(t)) if f != t => Some((f, t)),
                    _ => None,
                };
                outputs.push(OutputBinding {
                    offset: *off,
                    target: p,
                    store: t.store(),
                    conv,
                    negate,
                });
            } else if *kind == VarKind::InOut {
                let (p, _) = self.place(s, &a.value)?;
                bound.push(Arg::Ref(*off, p));
            } else if ty.scalar().is_some() {
                let v = self.value(s, &a.value, ty)?;
                bound.push(Arg::Value(*off, v, ty.store()));
            } else {
                let (p, _) = self.place(s, &a.value)?;
                let n = self.size_of(ty, a.value.span)?;
                bound.push(Arg::Copy(*off, p, n));
            }
        }
        Ok((bound, outputs))
    }

    fn fb_call(
        &mut self,
        s: Scope,
        inst: Place,
        t: &SType,
        args: &[ast::Arg],
        span: Span,
    ) -> Res<Stmt> {
        let params = self.params(t);
        let (args, outputs) = self.bind_args(s, &params, args, "this block")?;
        let fb = match t {
            SType::Fb(i) => FbKind::User(*i),
            SType::StdFb(f) => FbKind::Std(*f),
            _ => return err(span, "only a function block instance can be called"),
        };
        Ok(Stmt::CallFb(Box::new(FbCall {
            inst,
            fb,
            args,
            outputs,
            span,
        })))
    }

    fn user_call(
        &mut self,
        s: Scope,
        i: usize,
        this: Option<Place>,
        args: &[ast::Arg],
        span: Span,
    ) -> Res<Typed> {
        self.depends(i);
        let params = self.pou_params(i);
        let what = format!(
            "{} {}",
            self.prog.pous[i].kind.keyword(),
            self.prog.pous[i].name
        );
        let (args, outputs) = self.bind_args(s, &params, args, &what)?;
        let ty = self.prog.pous[i]
            .result
            .clone()
            .unwrap_or(SType::num(Num::Bool));
        Ok(Typed {
            e: Expr::Call(Box::new(Call {
                pou: i,
                this,
                args,
                outputs,
                span,
            })),
            ty,
            lit: false,
        })
    }

    fn call_expr(&mut self, s: Scope, f: &ast::Expr, args: &[ast::Arg], span: Span) -> Res<Typed> {
        match &f.kind {
            ExprKind::Name(n) => {
                let u = up(&n.name);
                let fb = s.owner.unwrap_or(s.pou);
                match self.model().callee(&u, &self.prog.pous[fb].name) {
                    Callee::Function => match self.prog.by_name.get(&u) {
                        Some(&i) => self.user_call(s, i, None, args, span),
                        None => err(n.span, format!("unknown function `{}`", n.name)),
                    },
                    // A method or action of the running block, called by its bare name.
                    Callee::Method => match self.method_of(fb, &n.name) {
                        Some(m) => self.user_call(s, m, Some(Place::This(0)), args, span),
                        None => err(n.span, format!("unknown method `{}`", n.name)),
                    },
                    _ => self.std_call(s, &u, args, span),
                }
            }
            ExprKind::Member(base, m) => {
                let this_base = if let ExprKind::Deref(inner) = &base.kind {
                    match inner.kind {
                        ExprKind::Super => Some(self.parent_of(s.owner.unwrap_or(s.pou))),
                        _ => None,
                    }
                } else {
                    None
                };
                let (p, fb) = match this_base {
                    Some(Some(parent)) => (Place::This(0), parent),
                    Some(None) => {
                        return err(base.span, "SUPER^ needs a block that EXTENDS another")
                    }
                    None => match self.place(s, base)? {
                        (p, SType::Fb(i)) => (p, i),
                        _ => {
                            return err(
                                m.span,
                                format!("`{}` is not a method of this value", m.name),
                            )
                        }
                    },
                };
                let mi = self.method_of(fb, &m.name).ok_or((
                    m.span,
                    format!("{} has no method `{}`", self.prog.pous[fb].name, m.name),
                ))?;
                self.user_call(s, mi, Some(p), args, span)
            }
            _ => err(f.span, "this cannot be called"),
        }
    }

    fn std_call(&mut self, s: Scope, u: &str, args: &[ast::Arg], span: Span) -> Res<Typed> {
        if args.iter().any(|a| a.output) {
            return err(span, format!("{u} has no outputs to connect with =>"));
        }
        // Named arguments go where the standard puts them.
        let mut slots: Vec<&ast::Expr> = Vec::with_capacity(args.len());
        let mut named: Vec<(usize, &ast::Expr)> = Vec::new();
        for a in args {
            match &a.name {
                Some(n) => {
                    let pos = stdlib::named_position(u, &n.name)
                        .ok_or((n.span, format!("{u} has no parameter `{}`", n.name)))?;
                    named.push((pos, &a.value));
                }
                None => slots.push(&a.value),
            }
        }
        named.sort_by_key(|(p, _)| *p);
        slots.extend(named.into_iter().map(|(_, e)| e));
        let typed = |e: Expr, ty: SType| Typed { e, ty, lit: false };
        let int = |bits| Num::Int { bits, signed: true };
        let need = |k: usize| -> Res<()> {
            if slots.len() < k {
                err(
                    span,
                    format!("{u} needs {k} argument(s), not {}", slots.len()),
                )
            } else {
                Ok(())
            }
        };
        match u {
            "ADR" | "__ADR" | "REF" => {
                need(1)?;
                let (p, t) = self.place(s, slots[0])?;
                return Ok(typed(Expr::Adr(p), SType::Pointer(Rc::new(t))));
            }
            "SIZEOF" => {
                need(1)?;
                let t = match self.place(s, slots[0]) {
                    Ok((_, t)) => t,
                    Err(_) => self.expr(s, slots[0])?.ty,
                };
                let bytes = self.bytes_of(&t);
                return Ok(typed(
                    Expr::Const(Value::I(bytes as i64)),
                    SType::num(Num::Int {
                        bits: 32,
                        signed: false,
                    }),
                ));
            }
            "TIME" | "LTIME" if slots.is_empty() => {
                let long = u == "LTIME";
                return Ok(typed(
                    Expr::Clock(long),
                    SType::num(if long { Num::LTime } else { Num::Time }),
                ));
            }
            _ => {}
        }
        let mut vals = Vec::with_capacity(slots.len());
        for a in &slots {
            vals.push((self.expr(s, a)?, a.span));
        }
        let num_of = |t: &Typed, sp: Span| {
            t.ty.scalar()
                .ok_or((sp, format!("{u} takes scalar arguments")))
        };
        if let Some(op) = stdlib::operator(u) {
            need(2)?;
            let compare = op.is_comparison();
            if compare {
                // GT(a, b, c) is a > b AND b > c.
                let mut acc: Option<Typed> = None;
                for w in vals.windows(2) {
                    let c =
                        self.combine(op, w[0].0.clone(), w[1].0.clone(), (w[0].1, w[1].1), span)?;
                    acc = Some(match acc {
                        None => c,
                        Some(prev) => self.combine(BinaryOp::And, prev, c, (span, span), span)?,
                    });
                }
                return Ok(acc.expect("two or more arguments"));
            }
            let mut it = vals.into_iter();
            let (mut acc, mut sp) = it.next().expect("two or more arguments");
            for (v, vs) in it {
                acc = self.combine(op, acc, v, (sp, vs), span)?;
                sp = span;
            }
            return Ok(acc);
        }
        match u {
            "NEG" => {
                need(1)?;
                let (t, sp) = vals.swap_remove(0);
                let n = num_of(&t, sp)?;
                return negate(t, n, sp);
            }
            "MOVE" => {
                need(1)?;
                return Ok(vals.swap_remove(0).0);
            }
            "NOT" => {
                need(1)?;
                let (t, sp) = vals.swap_remove(0);
                let n = num_of(&t, sp)?;
                return Ok(Typed {
                    e: Expr::Not(Box::new(t.e), n),
                    ..t
                });
            }
            _ => {}
        }
        if let Some(f) = StdFn::from_name(u) {
            use StdFn::*;
            let (min, max): (usize, usize) = match f {
                Abs | Sqrt | Ln | Log | Exp | Sin | Cos | Tan | Asin | Acos | Atan | Len => (1, 1),
                Atan2 | Expt | Shl | Shr | Rol | Ror | Left | Right | Find => (2, 2),
                Sel | Limit | Mid | Insert | Delete => (3, 3),
                Replace => (4, 4),
                Max | Min | Concat => (2, usize::MAX),
                Mux => (2, usize::MAX),
                Trunc | FromBcd | ToBcd => (1, 1),
            };
            if vals.len() < min || vals.len() > max {
                return err(
                    span,
                    format!(
                        "{u} takes {} argument(s), not {}",
                        if min == max {
                            min.to_string()
                        } else {
                            format!("at least {min}")
                        },
                        vals.len()
                    ),
                );
            }
            // ABS(5), SHL(1, 3), MAX(1, 2): of literal arguments, still a literal.
            let lit = match f {
                Abs | Shl | Shr | Rol | Ror => vals[0].0.lit,
                Max | Min | Limit => vals.iter().all(|(t, _)| t.lit),
                Sel | Mux => vals.iter().skip(1).all(|(t, _)| t.lit),
                _ => false,
            };
            let (e, ty) = match f {
                Abs => {
                    let (t, sp) = vals.swap_remove(0);
                    let n = num_of(&t, sp)?;
                    (Expr::Std(f, n, vec![t.e], span), t.ty)
                }
                Sqrt | Ln | Log | Exp | Sin | Cos | Tan | Asin | Acos | Atan | Atan2 | Expt => {
                    let args: Vec<Ty> = vals
                        .iter()
                        .filter_map(|(t, _)| Some(checker_type(t, t.ty.scalar()?)))
                        .collect();
                    let n = match crate::sema::types::real_function(&args) {
                        Ty::LReal => Num::LReal,
                        _ => Num::Real,
                    };
                    let mut es = Vec::new();
                    for (t, sp) in vals {
                        es.push(self.coerce(t, n, sp)?);
                    }
                    (Expr::Std(f, n, es, span), SType::num(n))
                }
                Shl | Shr | Rol | Ror => {
                    let (t, sp) = vals.remove(0);
                    let n = num_of(&t, sp)?;
                    let (k, ksp) = vals.remove(0);
                    let k = self.coerce(k, int(64), ksp)?;
                    (Expr::Std(f, n, vec![t.e, k], span), t.ty)
                }
                Sel | Max | Min | Limit | Mux => {
                    let skip = usize::from(matches!(f, Sel | Mux));
                    let mut n: Option<Num> = None;
                    let mut lead: Option<Typed> = None;
                    for (t, sp) in &vals[skip..] {
                        let tn = num_of(t, *sp)?;
                        n = Some(match (n, &lead) {
                            (None, _) => tn,
                            (Some(prev), Some(l)) => common(l, t, prev, tn)
                                .ok_or((*sp, format!("{u} mixes incompatible types")))?,
                            (Some(prev), None) => prev,
                        });
                        if lead.as_ref().is_none_or(|l| l.lit) {
                            lead = Some(t.clone());
                        }
                    }
                    let n = n.expect("at least one value argument");
                    let ty = lead.filter(|l| !l.lit && l.ty.scalar() == Some(n)).map_or(
                        SType::Scalar(n, if n.is_str() { MAX_STRING } else { 0 }),
                        |l| l.ty,
                    );
                    let mut es = Vec::new();
                    for (k, (t, sp)) in vals.into_iter().enumerate() {
                        es.push(match (k, f) {
                            (0, Sel) => self.coerce(t, Num::Bool, sp)?,
                            (0, Mux) => self.coerce(t, int(64), sp)?,
                            _ => self.coerce(t, n, sp)?,
                        });
                    }
                    (Expr::Std(f, n, es, span), ty)
                }
                Len | Find => {
                    let mut es = Vec::new();
                    for (t, sp) in vals {
                        let n = num_of(&t, sp)?;
                        es.push(self.coerce(t, n, sp)?);
                    }
                    (Expr::Std(f, int(16), es, span), SType::num(int(16)))
                }
                Left | Right | Mid | Insert | Delete | Replace => {
                    let strings = match f {
                        Insert | Replace => 2,
                        _ => 1,
                    };
                    let ty = SType::Scalar(num_of(&vals[0].0, vals[0].1)?, MAX_STRING);
                    let mut es = Vec::new();
                    for (k, (t, sp)) in vals.into_iter().enumerate() {
                        let n = num_of(&t, sp)?;
                        es.push(if k < strings {
                            self.coerce(t, n, sp)?
                        } else {
                            self.coerce(t, int(64), sp)?
                        });
                    }
                    (Expr::Std(f, int(64), es, span), ty)
                }
                Concat => {
                    let wide = matches!(vals[0].0.ty.scalar(), Some(Num::Str { wide: true }));
                    let mut es = Vec::new();
                    for (t, sp) in vals {
                        es.push(self.coerce(t, Num::Str { wide }, sp)?);
                    }
                    (
                        Expr::Std(f, Num::Str { wide }, es, span),
                        SType::Scalar(Num::Str { wide }, MAX_STRING),
                    )
                }
                Trunc | FromBcd | ToBcd => unreachable!("named conversions are handled below"),
            };
            return Ok(Typed { e, ty, lit });
        }
        if let Some((kind, to)) = conversion(u) {
            need(1)?;
            if vals.len() != 1 {
                return err(span, format!("{u} takes one argument"));
            }
            let (t, sp) = vals.swap_remove(0);
            let from = num_of(&t, sp)?;
            let ty = SType::Scalar(to, if to.is_str() { MAX_STRING } else { 0 });
            let e = match kind {
                ConvKind::Plain => conv(from, to, t.e, span),
                ConvKind::Trunc => Expr::Std(
                    StdFn::Trunc,
                    to,
                    vec![conv(from, Num::LReal, t.e, span)],
                    span,
                ),
                ConvKind::FromBcd => Expr::Std(StdFn::FromBcd, to, vec![t.e], span),
                ConvKind::ToBcd => Expr::Std(StdFn::ToBcd, to, vec![t.e], span),
            };
            return Ok(typed(e, ty));
        }
        err(span, format!("`{u}` is not a function the simulator knows"))
    }

    /// Bytes of a type on a 64-bit target, for SIZEOF.
    fn bytes_of(&self, t: &SType) -> u64 {
        match t {
            SType::Scalar(n, max) => match n {
                Num::Bool => 1,
                Num::Int { bits, .. } | Num::Bits(bits) => (*bits as u64).div_ceil(8),
                Num::Real | Num::Time | Num::Date | Num::Tod | Num::Dt => 4,
                Num::Str { wide } => (*max as u64 + 1) * if *wide { 2 } else { 1 },
                _ => 8,
            },
            SType::Enum(_) => 2,
            SType::Pointer(_) | SType::Reference(_) => 8,
            SType::Array(a) => a.count() * self.bytes_of(&a.elem),
            SType::Struct(i) => self.prog.structs[*i]
                .fields
                .iter()
                .map(|f| self.bytes_of(&f.ty))
                .sum(),
            SType::Fb(i) => self.prog.pous[*i]
                .vars
                .iter()
                .map(|v| self.bytes_of(&v.ty))
                .sum(),
            SType::StdFb(f) => f.size() as u64 * 4,
        }
    }

    // ---- constants --------------------------------------------------------

    fn const_eval(&mut self, e: &ast::Expr) -> Option<Value> {
        self.const_typed(e).map(|(v, _)| v)
    }

    fn const_num(&mut self, e: &ast::Expr, v: &Value) -> Num {
        self.const_typed(e).map_or(
            match v {
                Value::R(_) => Num::LReal,
                Value::S(_) => Num::Str { wide: false },
                Value::I(_) => Num::Int {
                    bits: 64,
                    signed: true,
                },
            },
            |(_, n)| n,
        )
    }

    /// A value the compiler can compute: literals, named constants,
    /// enumeration values and arithmetic on them.
    fn const_typed(&mut self, e: &ast::Expr) -> Option<(Value, Num)> {
        let i64n = Num::Int {
            bits: 64,
            signed: true,
        };
        match &e.kind {
            ExprKind::Literal(l) => {
                let t = self.literal(l, e.span).ok()?;
                let Expr::Const(v) = t.e else { return None };
                let n = t.ty.scalar()?;
                Some((v, if t.lit && n.is_int() { i64n } else { n }))
            }
            ExprKind::Paren(x) => self.const_typed(x),
            ExprKind::Name(n) => {
                let u = up(&n.name);
                if let Some((v, t)) = self.local_consts.get(&u).or_else(|| self.constants.get(&u)) {
                    return Some((v.clone(), t.scalar()?));
                }
                self.enum_values
                    .get(&u)
                    .map(|&(_, v)| (Value::I(v), Num::Enum))
            }
            ExprKind::Member(base, m) => {
                let ExprKind::Name(n) = &base.kind else {
                    return None;
                };
                let SType::Enum(id) = self.named_type(n).ok()? else {
                    return None;
                };
                let v = self.prog.enums[id]
                    .values
                    .iter()
                    .find(|(x, _)| x.eq_ignore_ascii_case(&m.name))?
                    .1;
                Some((Value::I(v), Num::Enum))
            }
            ExprKind::Unary(UnaryOp::Neg, x) => {
                let (v, n) = self.const_typed(x)?;
                Some((
                    match v {
                        Value::R(r) => Value::R(-r),
                        Value::I(i) => Value::I(i.checked_neg()?),
                        Value::S(_) => return None,
                    },
                    n,
                ))
            }
            ExprKind::Unary(UnaryOp::Plus, x) => self.const_typed(x),
            ExprKind::Binary(op, a, b) => {
                let (x, xn) = self.const_typed(a)?;
                let (y, yn) = self.const_typed(b)?;
                match (x, y) {
                    (Value::I(x), Value::I(y)) => {
                        let v = match op {
                            BinaryOp::Add => x.checked_add(y)?,
                            BinaryOp::Sub => x.checked_sub(y)?,
                            BinaryOp::Mul => x.checked_mul(y)?,
                            BinaryOp::Div => x.checked_div(y)?,
                            BinaryOp::Mod => x.checked_rem(y)?,
                            _ => return None,
                        };
                        Some((Value::I(v), if xn == yn { xn } else { i64n }))
                    }
                    (x, y) if !matches!(x, Value::S(_)) && !matches!(y, Value::S(_)) => {
                        let (x, y) = (x.real(), y.real());
                        let v = match op {
                            BinaryOp::Add => x + y,
                            BinaryOp::Sub => x - y,
                            BinaryOp::Mul => x * y,
                            BinaryOp::Div => x / y,
                            _ => return None,
                        };
                        v.is_finite().then_some((Value::R(v), Num::LReal))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

#[derive(Clone, Copy)]
enum ConvKind {
    Plain,
    Trunc,
    FromBcd,
    ToBcd,
}

/// `INT_TO_REAL`, `TO_DINT`, `TRUNC`, `TRUNC_INT`, `BCD_TO_INT`, `INT_TO_BCD`…
fn conversion(u: &str) -> Option<(ConvKind, Num)> {
    if u == "TRUNC" {
        return Some((
            ConvKind::Trunc,
            Num::Int {
                bits: 32,
                signed: true,
            },
        ));
    }
    if let Some(t) = u.strip_prefix("TRUNC_") {
        return Some((ConvKind::Trunc, elementary(t)?));
    }
    let (from, to) = match u.strip_prefix("TO_") {
        Some(to) => ("", to),
        None => u.split_once("_TO_")?,
    };
    if from == "BCD" {
        return Some((ConvKind::FromBcd, elementary(to)?));
    }
    if to == "BCD" {
        return Some((ConvKind::ToBcd, Num::Bits(32)));
    }
    if !from.is_empty() && elementary(from).is_none() {
        return None;
    }
    Some((ConvKind::Plain, elementary(to)?))
}

/// `-x`: a number or a duration, folded when it is a constant.
fn negate(t: Typed, n: Num, span: Span) -> Res<Typed> {
    if n.is_str() || n == Num::Bool {
        return err(span, "only a number or duration can be negated");
    }
    if let Expr::Const(v) = &t.e {
        let v = match v {
            Value::R(r) => Value::R(-r),
            other => Value::I(other.int().wrapping_neg()),
        };
        return Ok(Typed {
            e: Expr::Const(v),
            ..t
        });
    }
    Ok(Typed {
        e: Expr::Neg(Box::new(t.e), n),
        ..t
    })
}

/// How the checker names the type of a compiled operand: an untyped literal
/// is the checker's integer or real literal.
fn checker_type(t: &Typed, n: Num) -> Ty {
    match (t.lit, n) {
        (true, n) if n.is_real() => Ty::RealLiteral,
        (true, Num::Int { .. } | Num::Bits(_)) => Ty::IntLiteral,
        _ => Ty::from(n),
    }
}

/// The scalar kind of one of the checker's elementary types.
fn elementary_of(t: &Ty) -> Option<Num> {
    Some(match t {
        Ty::Bool => Num::Bool,
        Ty::Int { bits, signed } => Num::Int {
            bits: *bits,
            signed: *signed,
        },
        Ty::Bits(b) => Num::Bits(*b),
        Ty::Real => Num::Real,
        Ty::LReal => Num::LReal,
        Ty::Time => Num::Time,
        Ty::LTime => Num::LTime,
        Ty::Date => Num::Date,
        Ty::TimeOfDay => Num::Tod,
        Ty::DateAndTime => Num::Dt,
        Ty::String { wide } => Num::Str { wide: *wide },
        _ => return None,
    })
}

/// The elementary type a name denotes, as a scalar kind.
pub fn elementary(name: &str) -> Option<Num> {
    elementary_of(&Ty::elementary(name)?)
}

fn offset(p: &Place, off: u32) -> Place {
    if off == 0 {
        return p.clone();
    }
    match p {
        Place::Abs(a) => Place::Abs(a + off),
        Place::This(a) => Place::This(a + off),
        Place::Frame(a) => Place::Frame(a + off),
        Place::Offset(b, a) => Place::Offset(b.clone(), a + off),
        other => Place::Offset(Box::new(other.clone()), off),
    }
}

fn check_bit(n: Num, bit: u32, span: Span) -> Res<()> {
    if bit >= n.bits() as u32 {
        return err(
            span,
            format!("bit {bit} does not exist in a {}-bit value", n.bits()),
        );
    }
    Ok(())
}

/// Whether every value of `from` is already a valid value of `to` in the
/// cell representation (stored values are normalised), so nothing need run.
fn identity(from: Num, to: Num) -> bool {
    from == to
        || matches!(
            (from, to),
            (Num::Enum, Num::Int { .. }) | (Num::Int { .. }, Num::Enum)
        )
        || matches!((range(from), range(to)), (Some((a, b)), Some((c, d))) if c <= a && b <= d)
}

/// The values an integer-like kind holds.
fn range(n: Num) -> Option<(i128, i128)> {
    match n {
        Num::Bool => Some((0, 1)),
        Num::Int { bits, signed: true } => {
            Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1))
        }
        Num::Int {
            bits,
            signed: false,
        }
        | Num::Bits(bits) => Some((0, (1i128 << bits) - 1)),
        _ => None,
    }
}

/// A conversion, folded when the value is a constant and left out when it
/// changes nothing.
fn conv(from: Num, to: Num, e: Expr, span: Span) -> Expr {
    if identity(from, to) {
        return e;
    }
    match e {
        Expr::Const(v) => Expr::Const(stdfn::convert(from, to, v)),
        e => Expr::Conv(from, to, Box::new(e), span),
    }
}

/// The kind two operands are combined in: the checker's rule
/// (`types::common`), with enumerations and pointers as integers.
fn common(x: &Typed, y: &Typed, xn: Num, yn: Num) -> Option<Num> {
    match (xn, yn) {
        (Num::Enum | Num::Ptr, n) | (n, Num::Enum | Num::Ptr) => return Some(n),
        (Num::Str { wide: a }, Num::Str { wide: b }) => return (a == b).then_some(xn),
        _ => {}
    }
    match crate::sema::types::common(&checker_type(x, xn), &checker_type(y, yn))? {
        // Two literals: they keep the wider of their own kinds.
        Ty::IntLiteral => Some(if int_bits(xn) >= int_bits(yn) { xn } else { yn }),
        Ty::RealLiteral => Some(Num::LReal),
        t => elementary_of(&t),
    }
}

fn int_bits(n: Num) -> u8 {
    match n {
        Num::Int { bits, .. } | Num::Bits(bits) => bits,
        _ => 0,
    }
}

fn num_name(n: Num) -> String {
    match n {
        Num::Enum => "an enumeration".into(),
        Num::Ptr => "a pointer".into(),
        Num::Str { wide } => if wide { "WSTRING" } else { "STRING" }.into(),
        Num::Tod => "TIME_OF_DAY".into(),
        Num::Dt => "DATE_AND_TIME".into(),
        n => Ty::from(n).to_string(),
    }
}

impl From<Num> for Ty {
    fn from(n: Num) -> Self {
        match n {
            Num::Bool => Ty::Bool,
            Num::Int { bits, signed } => Ty::Int { bits, signed },
            Num::Bits(b) => Ty::Bits(b),
            Num::Real => Ty::Real,
            Num::LReal => Ty::LReal,
            Num::Time => Ty::Time,
            Num::LTime => Ty::LTime,
            Num::Date => Ty::Date,
            Num::Tod => Ty::TimeOfDay,
            Num::Dt => Ty::DateAndTime,
            Num::Str { wide } => Ty::String { wide },
            Num::Enum | Num::Ptr => Ty::Unknown,
        }
    }
}
