//! The interpreter: runs compiled POUs over a flat memory of cells, with a
//! virtual clock, a loop watchdog, and faults instead of crashes.

use smallvec::SmallVec;

use super::ir::*;
use super::stdfn::{self, compare, StdFn};
use super::value::{wrap, Num, Value};
use crate::token::Span;

/// Cells a simulation may use (about 400 MB), so a huge array is refused, not fatal.
pub const MAX_CELLS: usize = 16 << 20;
/// Calls deep (IEC forbids recursion; this catches it).
const MAX_DEPTH: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    IndexOutOfBounds,
    DivisionByZero,
    NullPointer,
    Watchdog,
    CallDepth,
    OutOfMemory,
}

impl FaultKind {
    pub fn label(self) -> &'static str {
        match self {
            FaultKind::IndexOutOfBounds => "array index out of bounds",
            FaultKind::DivisionByZero => "division by zero",
            FaultKind::NullPointer => "null or invalid pointer dereference",
            FaultKind::Watchdog => "watchdog: loop iteration budget exceeded",
            FaultKind::CallDepth => "call depth exceeded (recursion?)",
            FaultKind::OutOfMemory => "simulated memory exhausted",
        }
    }
}

/// A runtime fault: what, where in the source, and in which cycle (from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub message: String,
    pub span: Span,
    pub cycle: u64,
}

enum Flow {
    Next,
    Exit,
    Continue,
    Return,
}

// Boxed: the error path is rare, and a small `Result` keeps `eval` fast.
type R<T> = Result<T, Box<Fault>>;

/// The memory and clock of one simulation.
pub struct Machine<'p> {
    pub prog: &'p Program,
    pub mem: Vec<Value>,
    this: usize,
    frame: usize,
    /// Cells below this survive a fault (statics and instances); frames live above.
    heap_end: usize,
    pub now_ns: i64,
    /// Cycles completed.
    pub cycles: u64,
    /// The last statement started: where a failure is reported.
    pub last_span: Span,
    iterations: u64,
    /// Loop iterations allowed in one cycle.
    pub loop_budget: u64,
    depth: u32,
}

impl<'p> Machine<'p> {
    /// Memory with globals and every program instance initialised.
    pub fn new(prog: &'p Program) -> R<Machine<'p>> {
        let mut m = Machine {
            prog,
            mem: Vec::with_capacity(1 + prog.static_template.len()),
            this: 0,
            frame: 0,
            heap_end: 0,
            now_ns: 0,
            cycles: 0,
            last_span: Span::default(),
            iterations: 0,
            loop_budget: 10_000_000,
            depth: 0,
        };
        // Cell 0 is NULL: no variable lives there.
        m.mem.push(Value::I(0));
        m.mem.extend_from_slice(&prog.static_template);
        m.heap_end = m.mem.len();
        m.exec(&prog.static_init)?;
        Ok(m)
    }

    /// A fresh instance of a function block (or the cells of a function's
    /// frame, kept for a test harness); for a PROGRAM, its one instance.
    pub fn instantiate(&mut self, pou: usize) -> R<usize> {
        if let Some(&base) = self.prog.program_base.get(&pou) {
            return Ok(base as usize);
        }
        let p = &self.prog.pous[pou];
        let base = self.alloc(&p.template)?;
        self.heap_end = self.mem.len();
        self.exec_at(base, base, &p.init)?;
        Ok(base)
    }

    /// Cells for a harness (VAR_IN_OUT backing store), from a template.
    pub fn alloc_cells(&mut self, template: &[Value]) -> R<usize> {
        let base = self.alloc(template)?;
        self.heap_end = self.mem.len();
        Ok(base)
    }

    fn alloc(&mut self, template: &[Value]) -> R<usize> {
        if self.mem.len() + template.len() > MAX_CELLS {
            return Err(self.fault(
                FaultKind::OutOfMemory,
                self.last_span,
                format!("the simulation needs more than {MAX_CELLS} cells; reduce array sizes"),
            ));
        }
        let base = self.mem.len();
        self.mem.extend_from_slice(template);
        Ok(base)
    }

    /// One scan cycle of an instance at the current virtual time; the clock
    /// then advances by `cycle_ns`.
    pub fn cycle(&mut self, pou: usize, base: usize, cycle_ns: i64) -> R<()> {
        self.iterations = 0;
        self.depth = 0;
        let r = if self.prog.pous[pou].kind == crate::ast::PouKind::Function {
            self.run_function_in_place(pou, base)
        } else {
            self.run_fb(pou, base)
        };
        self.cycles += 1;
        self.now_ns = self.now_ns.saturating_add(cycle_ns);
        if r.is_err() {
            // Drop frames of calls the fault interrupted.
            self.mem.truncate(self.heap_end);
        }
        r
    }

    fn fault(&self, kind: FaultKind, span: Span, message: String) -> Box<Fault> {
        Box::new(Fault {
            kind,
            message,
            span,
            cycle: self.cycles + 1,
        })
    }

    /// The cell a place denotes. Hot: variables are most places.
    #[inline]
    pub fn addr(&mut self, p: &Place) -> R<usize> {
        match p {
            Place::This(o) => Ok(self.this + *o as usize),
            Place::Frame(o) => Ok(self.frame + *o as usize),
            Place::Abs(a) => Ok(*a as usize),
            _ => self.addr_computed(p),
        }
    }

    #[inline(never)]
    fn addr_computed(&mut self, p: &Place) -> R<usize> {
        Ok(match p {
            Place::Abs(a) => *a as usize,
            Place::This(o) => self.this + *o as usize,
            Place::Frame(o) => self.frame + *o as usize,
            Place::Offset(b, o) => self.addr(b)? + *o as usize,
            Place::Index(ip) => {
                let mut a = self.addr(&ip.base)?;
                for (k, e) in ip.index.iter().enumerate() {
                    let i = self.eval(e)?.int();
                    let (lo, hi) = ip.dims[k];
                    if i < lo || i > hi {
                        return Err(self.fault(
                            FaultKind::IndexOutOfBounds,
                            ip.span,
                            format!("index {i} is outside the array's bounds {lo}..{hi}"),
                        ));
                    }
                    a += (i - lo) as usize * ip.strides[k] as usize;
                }
                a
            }
            Place::Deref(e, span, size) => {
                let v = self.eval(e)?.int();
                if v <= 0 || (v as usize).saturating_add(*size as usize) > self.mem.len() {
                    let what = if v == 0 {
                        "NULL".to_string()
                    } else {
                        format!("invalid address {v}")
                    };
                    return Err(self.fault(
                        FaultKind::NullPointer,
                        *span,
                        format!("dereference of {what}"),
                    ));
                }
                v as usize
            }
        })
    }

    fn tick(&mut self, span: Span) -> R<()> {
        self.iterations += 1;
        if self.iterations > self.loop_budget {
            return Err(self.fault(
                FaultKind::Watchdog,
                span,
                format!(
                    "more than {} loop iterations in one cycle",
                    self.loop_budget
                ),
            ));
        }
        Ok(())
    }

    /// Runs statements with the instance and frame bases set, restoring the
    /// caller's bases afterwards (also after a fault).
    fn exec_at(&mut self, this: usize, frame: usize, stmts: &[Stmt]) -> R<Flow> {
        let saved = (self.this, self.frame);
        (self.this, self.frame) = (this, frame);
        let r = self.exec(stmts);
        (self.this, self.frame) = saved;
        r
    }

    fn exec(&mut self, stmts: &[Stmt]) -> R<Flow> {
        for s in stmts {
            match self.stmt(s)? {
                Flow::Next => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Next)
    }

    fn stmt(&mut self, s: &Stmt) -> R<Flow> {
        match s {
            Stmt::Store(p, e, st, span) => {
                self.last_span = *span;
                let v = self.eval(e)?;
                let a = self.addr(p)?;
                self.mem[a] = st.apply(v);
            }
            Stmt::StoreBit(p, bit, n, e, span) => {
                self.last_span = *span;
                let on = self.eval(e)?.truthy();
                let a = self.addr(p)?;
                let old = self.mem[a].int();
                let v = if on {
                    old | (1i64 << bit)
                } else {
                    old & !(1i64 << bit)
                };
                self.mem[a] = Value::I(wrap(v, n.bits(), !n.unsigned()));
            }
            Stmt::Copy(dst, src, n, span) => {
                self.last_span = *span;
                let (s, d) = (self.addr(src)?, self.addr(dst)?);
                self.copy(d, s, *n as usize);
            }
            Stmt::If(branches, else_body) => {
                for (c, body) in branches {
                    if self.eval(c)?.truthy() {
                        return self.exec(body);
                    }
                }
                return self.exec(else_body);
            }
            Stmt::Case(sel, arms, else_body, span) => {
                self.last_span = *span;
                let v = self.eval(sel)?.int();
                for (labels, body) in arms {
                    if labels.iter().any(|&(lo, hi)| lo <= v && v <= hi) {
                        return self.exec(body);
                    }
                }
                return self.exec(else_body);
            }
            Stmt::For(f) => return self.for_loop(f),
            Stmt::While(c, body, span) => loop {
                self.last_span = *span;
                if !self.eval(c)?.truthy() {
                    break;
                }
                self.tick(*span)?;
                match self.exec(body)? {
                    Flow::Exit => break,
                    Flow::Return => return Ok(Flow::Return),
                    _ => {}
                }
            },
            Stmt::Repeat(body, until, span) => loop {
                self.tick(*span)?;
                match self.exec(body)? {
                    Flow::Exit => break,
                    Flow::Return => return Ok(Flow::Return),
                    _ => {}
                }
                self.last_span = *span;
                if self.eval(until)?.truthy() {
                    break;
                }
            },
            Stmt::Exit => return Ok(Flow::Exit),
            Stmt::Continue => return Ok(Flow::Continue),
            Stmt::Return(span) => {
                self.last_span = *span;
                return Ok(Flow::Return);
            }
            Stmt::CallFb(c) => {
                self.last_span = c.span;
                self.call_fb(c)?;
            }
            Stmt::Eval(e, span) => {
                self.last_span = *span;
                self.eval(e)?;
            }
            Stmt::Init(p, kind) => {
                let a = self.addr(p)?;
                if let FbKind::User(i) = kind {
                    self.exec_at(a, a, &self.prog.pous[*i].init)?;
                }
            }
        }
        Ok(Flow::Next)
    }

    fn copy(&mut self, dst: usize, src: usize, n: usize) {
        if dst == src || n == 0 {
            return;
        }
        let cells: Vec<Value> = self.mem[src..src + n].to_vec();
        self.mem[dst..dst + n].clone_from_slice(&cells);
    }

    fn for_loop(&mut self, f: &ForLoop) -> R<Flow> {
        self.last_span = f.span;
        let from = self.eval(&f.from)?;
        let to = self.eval(&f.to)?.int();
        let by = self.eval(&f.by)?.int();
        let a = self.addr(&f.var)?;
        self.mem[a] = f.store.apply(from);
        loop {
            let v = self.mem[a].int();
            let done = match (by >= 0, f.num.unsigned() && f.num.bits() == 64) {
                (true, true) => (v as u64) > (to as u64),
                (false, true) => (v as u64) < (to as u64),
                (true, false) => v > to,
                (false, false) => v < to,
            };
            if done {
                break;
            }
            self.tick(f.span)?;
            match self.exec(&f.body)? {
                Flow::Exit => break,
                Flow::Return => return Ok(Flow::Return),
                _ => {}
            }
            let next = self.mem[a].int().wrapping_add(by);
            let stored = f.store.apply(Value::I(next));
            // Wrapped past the type's end: a PLC loops forever; we stop, as its watchdog would.
            if (by > 0 && stored.int() < v) || (by < 0 && stored.int() > v) {
                return Err(self.fault(
                    FaultKind::Watchdog,
                    f.span,
                    format!("the FOR variable wrapped around at {v}: the loop never ends"),
                ));
            }
            self.mem[a] = stored;
        }
        Ok(Flow::Next)
    }

    fn bind(&mut self, base: usize, args: &[Arg]) -> R<()> {
        for arg in args {
            match arg {
                Arg::Value(off, e, st) => {
                    let v = self.eval(e)?;
                    self.mem[base + *off as usize] = st.apply(v);
                }
                Arg::Ref(off, p) => {
                    let a = self.addr(p)?;
                    self.mem[base + *off as usize] = Value::I(a as i64);
                }
                Arg::Copy(off, p, n) => {
                    let a = self.addr(p)?;
                    self.copy(base + *off as usize, a, *n as usize);
                }
            }
        }
        Ok(())
    }

    fn outputs(&mut self, base: usize, outs: &[OutputBinding]) -> R<()> {
        for o in outs {
            let mut v = self.mem[base + o.offset as usize].clone();
            if let Some(n) = o.negate {
                v = not(n, &v);
            }
            if let Some((from, to)) = o.conv {
                v = stdfn::convert(from, to, v);
            }
            let a = self.addr(&o.target)?;
            self.mem[a] = o.store.apply(v);
        }
        Ok(())
    }

    fn enter(&mut self, span: Span) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fault(
                FaultKind::CallDepth,
                span,
                format!("calls nested more than {MAX_DEPTH} deep"),
            ));
        }
        Ok(())
    }

    fn call_fb(&mut self, c: &FbCall) -> R<()> {
        let base = self.addr(&c.inst)?;
        self.bind(base, &c.args)?;
        match c.fb {
            FbKind::Std(f) => {
                let n = f.size() as usize;
                f.run(&mut self.mem[base..base + n], self.now_ns);
            }
            FbKind::User(i) => {
                self.enter(c.span)?;
                self.run_fb(i, base)?;
                self.depth -= 1;
            }
        }
        self.outputs(base, &c.outputs)
    }

    /// The body of a function block or program on the instance at `base`.
    fn run_fb(&mut self, i: usize, base: usize) -> R<()> {
        let p = &self.prog.pous[i];
        for &(start, len) in &p.temps {
            let (s, l) = (start as usize, len as usize);
            self.mem[base + s..base + s + l].clone_from_slice(&p.template[s..s + l]);
        }
        self.exec_at(base, base, &p.temp_init)?;
        self.exec_at(base, base, &p.body).map(|_| ())
    }

    /// A function run on cells a harness keeps: everything but the inputs and
    /// in-outs is reset first, as for a call.
    fn run_function_in_place(&mut self, i: usize, base: usize) -> R<()> {
        let p = &self.prog.pous[i];
        for v in &p.vars {
            if !matches!(
                v.kind,
                crate::ast::VarKind::Input | crate::ast::VarKind::InOut
            ) {
                let (s, l) = (v.offset as usize, self.prog.size_of(&v.ty) as usize);
                self.mem[base + s..base + s + l].clone_from_slice(&p.template[s..s + l]);
            }
        }
        self.exec_at(base, base, &p.body).map(|_| ())
    }

    fn call_fn(&mut self, c: &Call) -> R<Value> {
        let p = &self.prog.pous[c.pou];
        let this = match &c.this {
            Some(t) => self.addr(t)?,
            None => self.this,
        };
        self.enter(c.span)?;
        let frame = self.alloc(&p.template)?;
        self.exec_at(this, frame, &p.init)?;
        // Arguments are evaluated where the call is written.
        self.bind(frame, &c.args)?;
        self.exec_at(this, frame, &p.body)?;
        self.outputs(frame, &c.outputs)?;
        // A call with no result and no variables has an empty frame.
        let result = self.mem.get(frame).cloned().unwrap_or(Value::I(0));
        self.mem.truncate(frame);
        self.depth -= 1;
        Ok(result)
    }

    /// Kept small (constants, loads, operators) so the recursion is cheap;
    /// the rest is in `eval_other`.
    pub fn eval(&mut self, e: &Expr) -> R<Value> {
        match e {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Load(p) => {
                let a = self.addr(p)?;
                Ok(self.mem[a].clone())
            }
            Expr::Bin(op, n, a, b, span) => {
                let x = self.eval(a)?;
                let y = self.eval(b)?;
                self.binary(*op, *n, x, y, *span)
            }
            _ => self.eval_other(e),
        }
    }

    #[inline(never)]
    fn eval_other(&mut self, e: &Expr) -> R<Value> {
        Ok(match e {
            Expr::Const(v) => v.clone(),
            Expr::Load(p) => {
                let a = self.addr(p)?;
                self.mem[a].clone()
            }
            Expr::LoadBit(p, bit) => {
                let a = self.addr(p)?;
                Value::I((self.mem[a].int() >> bit) & 1)
            }
            Expr::Not(x, n) => not(*n, &self.eval(x)?),
            Expr::Neg(x, n) => {
                let v = self.eval(x)?;
                match n {
                    Num::Real | Num::LReal => Value::R(-v.real()),
                    _ => Value::I(wrap(v.int().wrapping_neg(), n.bits(), !n.unsigned())),
                }
            }
            Expr::Bin(op, n, a, b, span) => {
                let x = self.eval(a)?;
                let y = self.eval(b)?;
                self.binary(*op, *n, x, y, *span)?
            }
            Expr::AndThen(a, b) => {
                Value::I((self.eval(a)?.truthy() && self.eval(b)?.truthy()) as i64)
            }
            Expr::OrElse(a, b) => {
                Value::I((self.eval(a)?.truthy() || self.eval(b)?.truthy()) as i64)
            }
            Expr::Conv(from, to, x, _) => {
                let v = self.eval(x)?;
                stdfn::convert(*from, *to, v)
            }
            Expr::Std(f, n, args, span) => {
                let mut vals: SmallVec<[Value; 4]> = SmallVec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                if *f == StdFn::Mux {
                    let k = vals[0].int();
                    if k < 0 || k as usize + 1 >= vals.len() {
                        return Err(self.fault(
                            FaultKind::IndexOutOfBounds,
                            *span,
                            format!(
                                "MUX selector {k} is outside 0..{}",
                                vals.len().saturating_sub(2)
                            ),
                        ));
                    }
                }
                stdfn::call(*f, *n, &vals)
            }
            Expr::Call(c) => self.call_fn(c)?,
            Expr::Adr(p) => Value::I(self.addr(p)? as i64),
            Expr::Clock(long) => Value::I(if *long {
                self.now_ns
            } else {
                self.now_ns / 1_000_000
            }),
        })
    }

    #[inline]
    fn binary(&mut self, op: Op, n: Num, x: Value, y: Value, span: Span) -> R<Value> {
        use std::cmp::Ordering::*;
        let cmp = |o: std::cmp::Ordering| -> Value {
            Value::I(match op {
                Op::Eq => o == Equal,
                Op::Ne => o != Equal,
                Op::Lt => o == Less,
                Op::Le => o != Greater,
                Op::Gt => o == Greater,
                _ => o != Less,
            } as i64)
        };
        if matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) {
            if n.is_real() && (x.real().is_nan() || y.real().is_nan()) {
                return Ok(Value::I((op == Op::Ne) as i64));
            }
            return Ok(cmp(compare(n, &x, &y)));
        }
        if n.is_real() {
            let (a, b) = (x.real(), y.real());
            let r = match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
                Op::Mod => a % b,
                Op::Pow => a.powf(b),
                _ => 0.0,
            };
            return Ok(Value::R(if n == Num::Real { r as f32 as f64 } else { r }));
        }
        if let Num::Str { .. } = n {
            return Ok(Value::S(format!("{}{}", x.str(), y.str())));
        }
        let (a, b) = (x.int(), y.int());
        let wide_unsigned = n.unsigned() && n.bits() == 64;
        let r = match op {
            Op::Add => a.wrapping_add(b),
            Op::Sub => a.wrapping_sub(b),
            Op::Mul => a.wrapping_mul(b),
            Op::Div | Op::Mod => {
                if b == 0 {
                    return Err(self.fault(
                        FaultKind::DivisionByZero,
                        span,
                        format!("{a} {} 0", if op == Op::Div { "/" } else { "MOD" }),
                    ));
                }
                match (op, wide_unsigned) {
                    (Op::Div, true) => ((a as u64) / (b as u64)) as i64,
                    (Op::Div, false) => a.wrapping_div(b),
                    (_, true) => ((a as u64) % (b as u64)) as i64,
                    // Truncated division: the remainder has the dividend's sign, as IEC says.
                    _ => a.wrapping_rem(b),
                }
            }
            Op::Pow => (a as f64).powf(b as f64) as i64,
            Op::And => a & b,
            Op::Or => a | b,
            _ => a ^ b,
        };
        Ok(Value::I(match n {
            Num::Bool => r & 1,
            Num::Int { bits, signed } => wrap(r, bits, signed),
            Num::Bits(bits) => wrap(r, bits, false),
            _ => r,
        }))
    }
}

/// NOT in a kind: a BOOL inverted, bit strings and integers bitwise at their width.
fn not(n: Num, v: &Value) -> Value {
    let i = v.int();
    Value::I(match n {
        Num::Bool => (i == 0) as i64,
        _ => wrap(!i, n.bits(), !n.unsigned()),
    })
}
