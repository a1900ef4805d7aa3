//! The block's interface: what is declared before the model writes.

use serde_json::Value as Json;

use super::spec_interface::{self, Section, Var};
use super::GenSpec;
use crate::io_list::Direction;

/// The declarations written before the model starts, and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub name: String,
    /// TYPE blocks the spec declares, written before the block.
    pub types: String,
    /// The spec's own ST header, as written: then it is the interface exactly.
    pub st_header: Option<String>,
    /// Every declared variable, in order.
    pub vars: Vec<Var>,
    pub notes: Vec<String>,
}

/// Where a declaration came from, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Header,
    List,
    IoList,
    Vectors,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::Header => "the spec's ST header",
            Source::List => "the spec's variable list",
            Source::IoList => "the IO list",
            Source::Vectors => "the test vectors",
        }
    }
}

impl Interface {
    /// From, in order of precedence, the spec's ST header, its variable
    /// lists, the IO list (inputs %I, outputs %Q) and the test vectors (what
    /// they set is an input, what they expect an output; types from the
    /// values). Where two sources say different things of one variable (its
    /// type, or which way it goes), or a source names a variable the spec's
    /// ST header does not declare, that is an error naming both: never
    /// resolved silently.
    pub fn infer(spec: &GenSpec) -> Result<Interface, crate::Error> {
        Self::from_sources(spec).map_err(crate::Error::Input)
    }

    fn from_sources(spec: &GenSpec) -> Result<Interface, String> {
        let given = spec_interface::read(&spec.spec)?;
        let header_name = given.header.as_ref().map(|(n, _, _)| n.clone());
        let name = spec
            .name
            .clone()
            .or_else(|| header_name.clone())
            .or_else(|| spec.vectors.as_ref().map(|v| v.pou.clone()))
            .unwrap_or_else(|| "FB_Generated".to_string());
        let mut conflicts = Vec::new();
        if let Some(h) = &header_name {
            if !h.eq_ignore_ascii_case(&name) {
                conflicts.push(format!(
                    "the block is named `{name}`, but the spec's ST header declares `{h}`"
                ));
            }
            if let Some(v) = spec
                .vectors
                .as_ref()
                .filter(|v| !v.pou.eq_ignore_ascii_case(h))
            {
                conflicts.push(format!(
                    "the test vectors test `{}`, but the spec's ST header declares `{h}`",
                    v.pou
                ));
            }
        }
        let mut it = Interface {
            name,
            types: given.types.clone(),
            st_header: given.header.as_ref().map(|(_, text, _)| text.clone()),
            vars: Vec::new(),
            notes: Vec::new(),
        };
        let exact = it.st_header.is_some();
        let mut merge = Merge {
            vars: Vec::new(),
            conflicts,
            exact,
            undeclared: Vec::new(),
        };
        if let Some((_, _, vars)) = given.header {
            let n = vars.len();
            for v in vars {
                merge.add(v, Source::Header);
            }
            it.notes.push(format!(
                "{n} variable(s) from the spec's ST header, used as written"
            ));
        }
        if !given.list.is_empty() {
            let n = given.list.len();
            for v in given.list {
                merge.add(v, Source::List);
            }
            it.notes
                .push(format!("{n} variable(s) from the spec's variable lists"));
        }
        if let Some(io) = &spec.io {
            let (mut ins, mut outs) = (0, 0);
            for e in &io.entries {
                let section = match e.direction() {
                    Direction::Input => Section::Input,
                    Direction::Output => Section::Output,
                    Direction::Memory => continue,
                };
                if section == Section::Input {
                    ins += 1;
                } else {
                    outs += 1;
                }
                merge.add(
                    Var {
                        name: e.tag.clone(),
                        ty: e.ty.clone(),
                        section,
                        init: None,
                        comment: e.description.clone(),
                    },
                    Source::IoList,
                );
            }
            it.notes.push(format!(
                "{ins} input(s) and {outs} output(s) from the IO list"
            ));
        }
        if let Some(v) = &spec.vectors {
            let before = merge.vars.len();
            for case in &v.cases {
                for step in &case.steps {
                    let set = step.inputs.iter().map(|p| (p, Section::Input));
                    let expected = step.expect.iter().map(|p| (p, Section::Output));
                    for ((n, val), section) in set.chain(expected) {
                        if n.contains('.') || n.eq_ignore_ascii_case(&it.name) {
                            continue;
                        }
                        let Some(ty) = json_type(val) else { continue };
                        merge.add(
                            Var {
                                name: n.clone(),
                                ty,
                                section,
                                init: None,
                                comment: String::new(),
                            },
                            Source::Vectors,
                        );
                    }
                }
            }
            let added = &merge.vars[before..];
            let count = |s: Section| added.iter().filter(|(v, _)| v.section == s).count();
            it.notes.push(format!(
                "{} input(s) and {} output(s) from the test vectors",
                count(Section::Input),
                count(Section::Output)
            ));
        }
        if !merge.undeclared.is_empty() {
            it.notes.push(format!(
                "the test vectors also check {}, which the spec's ST header does not declare: the block must declare them itself",
                merge.undeclared.join(", ")
            ));
        }
        if !merge.conflicts.is_empty() {
            return Err(format!(
                "the block's interface is given in more than one place, and they disagree: {}. Make them agree, or leave one out",
                merge.conflicts.join("; ")
            ));
        }
        it.vars = merge.vars.into_iter().map(|(v, _)| v).collect();
        Ok(it)
    }

    /// The variables of one section, in order.
    pub fn section(&self, s: Section) -> impl Iterator<Item = &Var> {
        self.vars.iter().filter(move |v| v.section == s)
    }

    /// The spec's TYPE blocks, then `FUNCTION_BLOCK name` and its sections:
    /// the spec's own header as written when it gave one.
    pub fn header(&self) -> String {
        let mut h = self.types.clone();
        if let Some(text) = &self.st_header {
            h.push_str(text);
            h.push('\n');
            return h;
        }
        h.push_str(&format!("FUNCTION_BLOCK {}\n", self.name));
        for s in Section::ALL {
            let mut vars = self.section(s).peekable();
            if vars.peek().is_none() {
                continue;
            }
            h.push_str(s.keyword());
            h.push('\n');
            for v in vars {
                let init = v
                    .init
                    .as_ref()
                    .map(|i| format!(" := {i}"))
                    .unwrap_or_default();
                if v.comment.is_empty() {
                    h.push_str(&format!("    {} : {}{init};\n", v.name, v.ty));
                } else {
                    h.push_str(&format!(
                        "    {} : {}{init}; (* {} *)\n",
                        v.name,
                        v.ty,
                        v.comment.replace("*)", "* )").replace("(*", "( *")
                    ));
                }
            }
            h.push_str("END_VAR\n");
        }
        h
    }
}

/// Declarations gathered in order of precedence, with what disagrees.
struct Merge {
    vars: Vec<(Var, Source)>,
    conflicts: Vec<String>,
    /// An ST header was given: nothing may be added to it.
    exact: bool,
    /// What the vectors expect that the ST header does not declare.
    undeclared: Vec<String>,
}

impl Merge {
    fn add(&mut self, v: Var, source: Source) {
        let Some((have, from)) = self
            .vars
            .iter()
            .find(|(h, _)| h.name.eq_ignore_ascii_case(&v.name))
        else {
            if self.exact && source == Source::Vectors && v.section == Section::Output {
                // A local the tests look at: the block declares it itself.
                if !self
                    .undeclared
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(&v.name))
                {
                    self.undeclared.push(v.name);
                }
            } else if self.exact && source != Source::Header {
                self.conflicts.push(format!(
                    "`{}` is in {} but not in the spec's ST header",
                    v.name,
                    source.describe()
                ));
            } else {
                self.vars.push((v, source));
            }
            return;
        };
        let norm = |t: &str| {
            t.split_whitespace()
                .collect::<String>()
                .to_ascii_uppercase()
        };
        let way = |s: Section| match s {
            Section::Input => "an input",
            Section::Output => "an output",
            Section::InOut => "an in-out",
            Section::Local => "a local",
            Section::Constant => "a constant",
        };
        let problem = if source == Source::Vectors {
            // Vectors give no types, only values: what they set must be an
            // input (or in-out); what they expect may be anything.
            (v.section == Section::Input
                && !matches!(have.section, Section::Input | Section::InOut))
            .then(|| {
                format!(
                    "the test vectors set `{}`, which {} declares as {}",
                    v.name,
                    from.describe(),
                    way(have.section)
                )
            })
        } else if have.section != v.section {
            Some(format!(
                "`{}` is {} in {} but {} in {}",
                v.name,
                way(have.section),
                from.describe(),
                way(v.section),
                source.describe()
            ))
        } else if norm(&have.ty) != norm(&v.ty) {
            Some(format!(
                "`{}` is {} in {} but {} in {}",
                v.name,
                have.ty,
                from.describe(),
                v.ty,
                source.describe()
            ))
        } else {
            None
        };
        // Said twice by one source (a value in several steps) is no conflict.
        if *from != source || source != Source::Vectors {
            self.conflicts.extend(problem);
        }
    }
}

/// The IEC type a JSON test value suggests.
fn json_type(v: &Json) -> Option<String> {
    Some(
        match v {
            Json::Bool(_) => "BOOL",
            Json::Number(n) if n.is_i64() || n.is_u64() => match n.as_i64() {
                Some(i) if i16::try_from(i).is_ok() => "INT",
                Some(i) if i32::try_from(i).is_ok() => "DINT",
                _ => "LINT",
            },
            Json::Number(_) => "REAL",
            Json::String(s)
                if s.to_ascii_uppercase().starts_with("T#")
                    || s.to_ascii_uppercase().starts_with("TIME#") =>
            {
                "TIME"
            }
            Json::Array(items) => {
                let elem = json_type(items.first()?)?;
                return Some(format!("ARRAY[1..{}] OF {elem}", items.len()));
            }
            _ => return None,
        }
        .to_string(),
    )
}
