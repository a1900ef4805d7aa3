//! Types to layouts: type references, TYPE declarations, structures and
//! enumerations, each POU's variables as cells, constant initial values into
//! the cell templates and the rest as init code.

use super::*;

impl<'a> Compiler<'a> {
    pub(super) fn type_ref(&mut self, t: &ast::TypeRef) -> Res<SType> {
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
                if a.count().saturating_mul(elem_size as u64) > crate::sim::exec::MAX_CELLS as u64 {
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
    pub(super) fn pointee(&mut self, t: &ast::TypeRef) -> Res<SType> {
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

    pub(super) fn named_type(&mut self, n: &Ident) -> Res<SType> {
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

    pub(super) fn enum_type(&mut self, name: &str, e: &ast::EnumDef) -> Res<SType> {
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

    pub(super) fn struct_type(&mut self, name: &str, s: &ast::StructDef) -> Res<SType> {
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

    pub(super) fn size_of(&mut self, t: &SType, span: Span) -> Res<u32> {
        let mut blocks = Vec::new();
        Self::blocks_in(t, &mut blocks);
        for i in blocks {
            self.layout_pou(i);
        }
        let n = self.prog.size_of(t);
        if n as usize > crate::sim::exec::MAX_CELLS {
            return err(span, "this variable is too large to simulate");
        }
        Ok(n)
    }

    pub(super) fn default_cells(&self, t: &SType, out: &mut Vec<Value>) {
        self.prog.default_cells(t, out);
    }

    /// Writes a constant initialiser into template cells; `Err` when it is not constant.
    pub(super) fn const_init(
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
    pub(super) fn array_items<'i>(
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
    pub(super) fn field(&mut self, t: &SType, name: &str) -> Option<(u32, SType)> {
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

    pub(super) fn layout_all(&mut self) {
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
    pub(super) fn layout_pou(&mut self, i: usize) {
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
    pub(super) fn enter_constants(
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

    pub(super) fn layout_vars(&mut self, i: usize, p: &'a ast::Pou) -> Res<()> {
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
                    if template.len() > crate::sim::exec::MAX_CELLS {
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

    /// Variables of functions and methods live in the call frame; of blocks and programs, in the instance.
    pub(super) fn own_place(&self, s: Scope, offset: u32) -> Place {
        match self.prog.pous[s.pou].kind {
            PouKind::Function | PouKind::Method => Place::Frame(offset),
            _ => Place::This(offset),
        }
    }

    /// Initialisation of user blocks nested at `place` (instances, arrays of them).
    pub(super) fn nested_inits(&self, place: &Place, t: &SType, out: &mut Vec<Stmt>) {
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

    pub(super) fn init_code(
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

    /// Bytes of a type on a 64-bit target, for SIZEOF.
    pub(super) fn bytes_of(&self, t: &SType) -> u64 {
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
}

/// The elementary type a name denotes, as a scalar kind.
pub fn elementary(name: &str) -> Option<Num> {
    elementary_of(&Ty::elementary(name)?)
}
