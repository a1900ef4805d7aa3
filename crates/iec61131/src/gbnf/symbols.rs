//! Grammars built from a block's own symbols, in which what the checker
//! refuses cannot be written: the generation of a function block in two
//! phases, its new locals ([`locals_grammar`]) and then its body
//! ([`body_grammar`]), each read off the project's [`Model`].
//!
//! In the body, names are only the declared variables, with the members each
//! really has (`tmr.Q`, `cnt.CV`, struct fields; indexing only on arrays);
//! assignment targets only the places the block may write (never an input,
//! a constant, another block's output or, inside its loop, a FOR variable);
//! expressions are typed by category (BOOL conditions, numbers, bit strings,
//! durations, strings, each enumeration) by the same rules the checker
//! judges; FB calls name only that block's parameters with values of their
//! types; standard functions take their own signatures. What a grammar
//! cannot count (that every output is written somewhere) is a third phase:
//! a body that ended without it continues under [`outputs_grammar`].
//!
//! Expressions nest at most `MAX_NESTING` (four) parentheses deep: each
//! one multiplies the readings llama.cpp's grammar engine keeps.
//!
//! Layout: word tokens do not eat whitespace; `sp` (at least one whitespace
//! character) stands between two words and `ws` (any) elsewhere, so a name
//! can never run into a keyword (`aTHEN`).

use std::collections::{BTreeMap, BTreeSet};

use super::{keyword, GENERATED_COMMENT_RULE};
use crate::ast::{PouKind, VarKind};
use crate::sema::types::Ty;
use crate::sema::{stdlib, upper, Model, TypeInfo};
use crate::token::Kw;

/// How deep member and index paths are followed (`a.b[i].c`).
const MAX_PATH: usize = 3;

/// The grammar of one `VAR … END_VAR` section of new locals for `pou`: names
/// no declaration, keyword, type or standard name already uses, types from a
/// closed set (elementary types, the standard FBs, the project's function
/// blocks other than `pou`, arrays of elementary types), initial values of
/// the declared type. It ends at `END_VAR`.
pub fn locals_grammar(model: &Model, pou: &str) -> String {
    let mut taken: BTreeSet<String> = model.visible(pou).iter().map(|s| upper(&s.name)).collect();
    taken.extend(model.pous.keys().cloned());
    taken.extend(model.types.keys().cloned());
    taken.extend(model.enum_values.keys().cloned());
    taken.extend(stdlib::function_block_names().map(str::to_string));
    taken.extend(stdlib::function_names().map(str::to_string));
    taken.extend(Kw::ALL.iter().map(|k| k.as_str().to_string()));
    taken.extend(ELEMENTARY.iter().map(|s| s.to_string()));
    taken.insert(upper(pou));
    let mut rules = vec![
        format!(
            "root ::= ws {} sp (decl ws)* {}",
            keyword("VAR"),
            keyword("END_VAR")
        ),
        "decl ::= new-name ws \":\" ws local-type ws \";\"".to_string(),
    ];
    let kws = |names: &[&str]| {
        let alts: Vec<String> = names.iter().map(|n| keyword(n)).collect();
        format!("({})", alts.join(" | "))
    };
    let mut blocks: Vec<String> = stdlib::function_block_names()
        .filter(|n| !model.pous.contains_key(*n))
        .map(|n| n.to_string())
        .collect();
    blocks.extend(
        model
            .pous
            .iter()
            .filter(|(n, s)| s.kind == Some(PouKind::FunctionBlock) && **n != upper(pou))
            .map(|(n, _)| n.clone()),
    );
    blocks.sort();
    let block_refs: Vec<&str> = blocks.iter().map(String::as_str).collect();
    rules.push(format!(
        "local-type ::= {} (ws \":=\" ws \"-\"? int-lit)? | {} (ws \":=\" ws (\"-\"? real-lit | \"-\"? int-lit))? | {} (ws \":=\" ws ({} | {}))? | {} (ws \":=\" ws time-lit)? | {} (ws \":=\" ws int-lit)? | {} (ws \":=\" ws str-lit)? | {} ws \"[\" ws [01] ws \"..\" ws [1-9] [0-9]{{0,2}} ws \"]\" sp {} sp elem-type{}",
        kws(INTS),
        kws(&["REAL", "LREAL"]),
        keyword("BOOL"),
        keyword("TRUE"),
        keyword("FALSE"),
        keyword("TIME"),
        kws(&["BYTE", "WORD", "DWORD"]),
        keyword("STRING"),
        keyword("ARRAY"),
        keyword("OF"),
        if block_refs.is_empty() {
            String::new()
        } else {
            format!(" | {}", kws(&block_refs))
        }
    ));
    rules.push(format!("elem-type ::= {}", kws(ELEMENTARY)));
    exclusion_trie("new-name", &taken, &mut rules);
    rules.extend(common_rules());
    join(rules)
}

/// A section [`locals_grammar`] accepted, without the declarations that
/// repeat a name declared earlier in it (a grammar cannot count what it has
/// seen; the first declaration of a name stays). A text that does not parse
/// as one VAR section is returned as it is, for the checker to judge.
pub fn drop_repeated_locals(section: &str) -> String {
    const OPEN: &str = "FUNCTION_BLOCK X\n";
    let wrapped = format!("{OPEN}{section}\nEND_FUNCTION_BLOCK\n");
    let parsed = crate::parse(&wrapped);
    let Some(crate::ast::Item::Pou(p)) = parsed.file.items.first() else {
        return section.to_owned();
    };
    if parsed.has_errors() {
        return section.to_owned();
    }
    let mut seen = BTreeSet::new();
    let mut out = section.to_owned();
    let mut cut: Vec<(usize, usize)> = Vec::new();
    for d in p.var_blocks.iter().flat_map(|b| &b.vars) {
        if !d.names.iter().all(|n| seen.insert(upper(&n.name))) {
            cut.push((
                d.span.start as usize - OPEN.len(),
                d.span.end as usize - OPEN.len(),
            ));
        }
    }
    for (a, b) in cut.into_iter().rev() {
        out.replace_range(a..b, "");
    }
    out
}

/// The grammar of the body of `pou` given its declarations (header and
/// locals already written): one statement or more, then `end` (such as
/// `END_FUNCTION_BLOCK`), where the grammar ends.
pub fn body_grammar(model: &Model, pou: &str, end: &str) -> String {
    Builder::of(model, pou).grammar(format!("root ::= ws stmts ws {}", keyword(end)))
}

/// The grammar that goes on with a body of `pou` which reached its end while
/// `outputs` (declared names) were never written, as if the end had been
/// refused: an assignment to each of them, in the order given, with a value
/// of its type, then any further statements, then `end`. An output no
/// expression can fill at once (an array, a struct) gets no assignment;
/// `None` when that leaves none.
pub fn outputs_grammar(model: &Model, pou: &str, end: &str, outputs: &[&str]) -> Option<String> {
    let b = Builder::of(model, pou);
    let assigns: Vec<String> = outputs
        .iter()
        .filter_map(|o| {
            let p = b.places.iter().find(|p| {
                p.writable
                    && p.simple
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(o))
            })?;
            Some(format!(
                "{} ws \":=\" ws {}-expr ws \";\"",
                p.seq,
                p.cat.rule()
            ))
        })
        .collect();
    if assigns.is_empty() {
        return None;
    }
    Some(b.grammar(format!(
        "root ::= ws {} (ws stmt)* ws {}",
        assigns.join(" ws "),
        keyword(end)
    )))
}

const INTS: &[&str] = &["INT", "DINT", "SINT", "LINT", "UINT", "UDINT", "USINT"];
const ELEMENTARY: &[&str] = &[
    "BOOL", "INT", "DINT", "SINT", "LINT", "UINT", "UDINT", "USINT", "ULINT", "REAL", "LREAL",
    "BYTE", "WORD", "DWORD", "LWORD", "TIME", "STRING",
];

/// What an expression of a type may be combined with: the checker's rules
/// grouped so that any two of one group combine without an error.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Cat {
    Bool,
    Int,
    /// ULINT: no signed type holds it, so it combines only with itself.
    Ulint,
    Real,
    Bits,
    Time,
    Str,
    /// An enumeration type, by its index in `Builder::enums`.
    Enum(usize),
}

impl Cat {
    fn rule(&self) -> String {
        match self {
            Cat::Bool => "bool".into(),
            Cat::Int => "int".into(),
            Cat::Ulint => "ulint".into(),
            Cat::Real => "real".into(),
            Cat::Bits => "bits".into(),
            Cat::Time => "time".into(),
            Cat::Str => "str".into(),
            Cat::Enum(i) => format!("enum{i}"),
        }
    }
}

/// A place code may name: its grammar, category, and whether the block may
/// write it; `simple` is the variable's name when the place is that variable alone.
struct Place {
    cat: Cat,
    seq: String,
    writable: bool,
    simple: Option<String>,
}

/// A parameter of a block: its name, category and section.
type Param = (String, Cat, VarKind);

struct Builder<'m> {
    model: &'m Model,
    /// Enumeration types (upper-case) and their values (upper-case).
    enums: BTreeMap<String, (usize, Vec<String>)>,
    places: Vec<Place>,
    /// FB instances that can be called: the instance's name and its parameters
    /// (name, category, section).
    calls: Vec<(String, Vec<Param>)>,
    /// Project functions: name, result, input categories in order.
    functions: Vec<(String, Cat, Vec<Cat>)>,
    /// Integer variables a FOR loop may count with.
    loop_vars: Vec<String>,
}

impl<'m> Builder<'m> {
    /// The places, calls and functions the body of `pou` may name.
    fn of(model: &'m Model, pou: &str) -> Self {
        let mut b = Builder {
            model,
            enums: BTreeMap::new(),
            places: Vec::new(),
            calls: Vec::new(),
            functions: Vec::new(),
            loop_vars: Vec::new(),
        };
        b.collect(pou);
        b
    }

    /// The whole grammar: `root` and the rules of statements and expressions
    /// over what was collected.
    fn grammar(&self, root: String) -> String {
        let mut rules = vec![root];
        self.places_rules(&mut rules);
        let mut exprs = Vec::new();
        self.expr_rules(&mut exprs);
        rules.extend(nesting::bound_nesting(exprs));
        self.stmt_rules(&mut rules);
        rules.extend(common_rules());
        join(rules)
    }

    fn cat(&mut self, ty: &Ty) -> Option<Cat> {
        Some(match ty {
            Ty::Bool => Cat::Bool,
            Ty::Int {
                bits: 64,
                signed: false,
            } => Cat::Ulint,
            Ty::Int { .. } => Cat::Int,
            Ty::Real | Ty::LReal => Cat::Real,
            Ty::Bits(_) => Cat::Bits,
            Ty::Time => Cat::Time,
            Ty::String { wide: false } => Cat::Str,
            Ty::User(n) => match self.model.types.get(n) {
                Some(TypeInfo::Enum(values)) => {
                    let next = self.enums.len();
                    let id = self
                        .enums
                        .entry(n.clone())
                        .or_insert_with(|| (next, values.clone()))
                        .0;
                    Cat::Enum(id)
                }
                _ => return None,
            },
            _ => return None,
        })
    }

    fn collect(&mut self, pou: &str) {
        for s in self.model.visible(pou) {
            let writable = s.writable();
            self.path(name_seq(&s.name), &s.ty, writable, Some(&s.name), 0);
            if let Ty::User(t) = &s.ty {
                if s.kind != VarKind::Input {
                    if let Some(params) = self.params_of(t) {
                        self.calls.push((s.name.clone(), params));
                    }
                }
            }
            if writable
                && matches!(s.kind, VarKind::Var | VarKind::Temp)
                && matches!(self.cat(&s.ty), Some(Cat::Int))
            {
                self.loop_vars.push(s.name.clone());
            }
        }
        let mut pous: Vec<(&String, &crate::sema::Signature)> = self.model.pous.iter().collect();
        pous.sort_by(|a, b| a.0.cmp(b.0));
        for (name, sig) in pous {
            if sig.kind != Some(PouKind::Function) {
                continue;
            }
            let Some(result) = sig.result.as_ref().and_then(|t| self.cat(t)) else {
                continue;
            };
            let inputs: Option<Vec<Cat>> = sig
                .params
                .iter()
                .map(|(_, t, k)| (*k == VarKind::Input).then(|| self.cat(t)).flatten())
                .collect();
            if let Some(inputs) = inputs {
                self.functions.push((name.clone(), result, inputs));
            }
        }
    }

    /// The parameters of an FB type a call may pass, or `None` for what is not an FB.
    fn params_of(&mut self, t: &str) -> Option<Vec<Param>> {
        let raw: Vec<(String, Ty, VarKind)> = if let Some(fb) = self.model.std_fb(t) {
            let mut v = Vec::new();
            for (list, kind) in [(fb.inputs, VarKind::Input), (fb.outputs, VarKind::Output)] {
                for (n, t) in list {
                    v.push((n.to_string(), Ty::elementary(t)?, kind));
                }
            }
            v
        } else {
            let sig = self.model.pous.get(t)?;
            if sig.kind != Some(PouKind::FunctionBlock) {
                return None;
            }
            sig.params.clone()
        };
        Some(
            raw.into_iter()
                .filter_map(|(n, t, k)| Some((n, self.cat(&t)?, k)))
                .collect(),
        )
    }

    fn path(&mut self, seq: String, ty: &Ty, writable: bool, simple: Option<&str>, depth: usize) {
        if let Some(cat) = self.cat(ty) {
            self.places.push(Place {
                cat,
                seq,
                writable,
                simple: simple.map(str::to_owned),
            });
            return;
        }
        if depth >= MAX_PATH {
            return;
        }
        match ty {
            Ty::Array { elem, dims } => {
                let idx = vec!["ws int-expr ws"; *dims].join(" \",\" ");
                self.path(
                    format!("{seq} \"[\" {idx} \"]\""),
                    elem,
                    writable,
                    None,
                    depth + 1,
                );
            }
            Ty::User(t) => {
                // An instance's parameters are read, never written from outside.
                if let Some(params) = self.params_of(t) {
                    for (p, cat, _) in params {
                        self.places.push(Place {
                            cat,
                            seq: format!("{seq} \".\" {}", keyword(&p)),
                            writable: false,
                            simple: None,
                        });
                    }
                } else if let Some(TypeInfo::Struct(fields, _)) = self.model.types.get(t) {
                    let mut fields: Vec<(String, Ty)> =
                        fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    fields.sort_by(|a, b| a.0.cmp(&b.0));
                    for (f, fty) in fields {
                        let s = format!("{seq} \".\" {}", keyword(&f));
                        self.path(s, &fty, writable, None, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn cats(&self) -> BTreeSet<Cat> {
        let mut c: BTreeSet<Cat> = [Cat::Bool, Cat::Int, Cat::Real].into();
        c.extend(self.places.iter().map(|p| p.cat.clone()));
        c.extend(
            self.calls
                .iter()
                .flat_map(|(_, ps)| ps.iter().map(|p| p.1.clone())),
        );
        c.extend(self.enums.values().map(|(i, _)| Cat::Enum(*i)));
        c
    }

    /// `r-CAT` (every place of the category) and `w-CAT` (the writable ones),
    /// and `w-int-fN` without the N-th loop variable, for the body of its FOR.
    fn places_rules(&self, rules: &mut Vec<String>) {
        for cat in self.cats() {
            let read: Vec<&str> = self
                .places
                .iter()
                .filter(|p| p.cat == cat)
                .map(|p| p.seq.as_str())
                .collect();
            if !read.is_empty() {
                rules.push(format!("r-{} ::= {}", cat.rule(), read.join(" | ")));
            }
            if self.writable(&cat, None).is_empty() {
                continue;
            }
            rules.push(format!(
                "w-{} ::= {}",
                cat.rule(),
                self.writable(&cat, None).join(" | ")
            ));
        }
        for (i, v) in self.loop_vars.iter().enumerate() {
            let w = self.writable(&Cat::Int, Some(v));
            if !w.is_empty() {
                rules.push(format!("w-int-f{i} ::= {}", w.join(" | ")));
            }
        }
    }

    fn writable(&self, cat: &Cat, except: Option<&str>) -> Vec<&str> {
        self.places
            .iter()
            .filter(|p| p.writable && p.cat == *cat)
            .filter(|p| except.is_none_or(|e| p.simple.as_deref() != Some(e)))
            .map(|p| p.seq.as_str())
            .collect()
    }

    fn has_read(&self, cat: &Cat) -> bool {
        self.places.iter().any(|p| p.cat == *cat)
    }

    fn expr_rules(&self, rules: &mut Vec<String>) {
        let k = keyword;
        let read = |cat: &Cat| {
            if self.has_read(cat) {
                format!("r-{} | ", cat.rule())
            } else {
                String::new()
            }
        };
        let calls = |cat: &Cat| -> String {
            self.functions
                .iter()
                .filter(|(_, r, _)| r == cat)
                .map(|(f, _, ins)| {
                    let args: Vec<String> = ins
                        .iter()
                        .map(|c| format!("ws {}-expr ws", c.rule()))
                        .collect();
                    format!(" | {} ws \"(\" {} \")\"", k(f), args.join(" \",\" "))
                })
                .collect()
        };
        let f1 = |names: &[&str], arg: &str| {
            format!(
                "({}) ws \"(\" ws {arg} ws \")\"",
                names.iter().map(|n| k(n)).collect::<Vec<_>>().join(" | ")
            )
        };
        let fsel = |t: &str| {
            format!(
                "{} ws \"(\" ws {t} ws \",\" ws {t} ws \")\" | {} ws \"(\" ws {t} ws \",\" ws {t} ws \",\" ws {t} ws \")\" | {} ws \"(\" ws bool-expr ws \",\" ws {t} ws \",\" ws {t} ws \")\"",
                format_args!("({} | {})", k("MIN"), k("MAX")),
                k("LIMIT"),
                k("SEL")
            )
        };
        rules.push(format!(
            "bool-expr ::= bool-and (sp ({} | {} | {}) sp bool-and){{0,{BOOL_CHAIN}}}",
            k("OR"),
            k("XOR"),
            k("OR_ELSE")
        ));
        rules.push(format!(
            "bool-and ::= bool-un (sp ({} | {}) sp bool-un | ws \"&\" ws bool-un){{0,{BOOL_CHAIN}}}",
            k("AND"),
            k("AND_THEN")
        ));
        // NOT binds tighter than a comparison (`NOT a = b` is `(NOT a) = b`),
        // and AND, OR, XOR looser: the operands of a comparison are arithmetic,
        // or a bit string no wider than NOT.
        rules.push(format!("bool-un ::= {} sp bool-prim | bool-atom", k("NOT")));
        let mut compare = vec![
            "bool-prim ws eq-op ws bool-prim".to_string(),
            "real-expr ws cmp-op ws real-expr".to_string(),
            "str-expr ws eq-op ws str-expr".to_string(),
        ];
        for cat in self.cats() {
            match cat {
                Cat::Time | Cat::Ulint => {
                    compare.push(format!("{0}-expr ws cmp-op ws {0}-expr", cat.rule()))
                }
                Cat::Bits => compare.push("bits-un ws cmp-op ws bits-un".into()),
                Cat::Enum(_) => compare.push(format!("{0}-expr ws eq-op ws {0}-expr", cat.rule())),
                _ => {}
            }
        }
        rules.push(format!(
            "bool-prim ::= {}{} | {} | \"(\" ws bool-expr ws \")\"{}",
            read(&Cat::Bool),
            k("TRUE"),
            k("FALSE"),
            calls(&Cat::Bool)
        ));
        rules.push(format!("bool-atom ::= bool-prim | {}", compare.join(" | ")));
        rules.push("cmp-op ::= \"=\" | \"<>\" | \"<=\" | \">=\" | \"<\" | \">\"".into());
        rules.push("eq-op ::= \"=\" | \"<>\"".into());
        rules.push(format!(
            "int-expr ::= int-term (ws (\"+\" | \"-\") ws int-term){{0,{CHAIN}}}"
        ));
        rules.push(format!(
            "int-term ::= int-un (ws (\"*\" | \"/\") ws int-un | sp {} sp int-un){{0,{CHAIN}}}",
            k("MOD")
        ));
        rules.push("int-un ::= \"-\" ws int-atom | int-atom".into());
        // Conversions into a category from the others this block has.
        let has = |c: &Cat| self.cats().contains(c);
        let convert = |into: &Cat| -> String {
            let mut out = String::new();
            let from: &[(Cat, &str, &[&str])] = match into {
                Cat::Int => &[
                    (
                        Cat::Real,
                        "real-expr",
                        &[
                            "REAL_TO_INT",
                            "REAL_TO_DINT",
                            "LREAL_TO_INT",
                            "LREAL_TO_DINT",
                            "TRUNC",
                        ],
                    ),
                    (
                        Cat::Int,
                        "int-expr",
                        &[
                            "TO_INT",
                            "TO_DINT",
                            "INT_TO_DINT",
                            "DINT_TO_INT",
                            "UINT_TO_INT",
                            "INT_TO_UINT",
                        ],
                    ),
                    (
                        Cat::Bits,
                        "bits-expr",
                        &[
                            "WORD_TO_INT",
                            "WORD_TO_UINT",
                            "BYTE_TO_INT",
                            "DWORD_TO_DINT",
                            "DWORD_TO_UDINT",
                        ],
                    ),
                    (
                        Cat::Time,
                        "time-expr",
                        &[
                            "TIME_TO_DINT",
                            "TIME_TO_UDINT",
                            "TIME_TO_INT",
                            "TIME_TO_LINT",
                        ],
                    ),
                ],
                Cat::Real => &[
                    (
                        Cat::Real,
                        "real-expr",
                        &[
                            "TO_REAL",
                            "TO_LREAL",
                            "INT_TO_REAL",
                            "DINT_TO_REAL",
                            "UINT_TO_REAL",
                            "UDINT_TO_REAL",
                            "LREAL_TO_REAL",
                            "REAL_TO_LREAL",
                        ],
                    ),
                    (Cat::Time, "time-expr", &["TIME_TO_REAL", "TIME_TO_LREAL"]),
                ],
                Cat::Bits => &[(
                    Cat::Int,
                    "int-expr",
                    &[
                        "INT_TO_WORD",
                        "UINT_TO_WORD",
                        "DINT_TO_DWORD",
                        "UDINT_TO_DWORD",
                        "INT_TO_BYTE",
                        "TO_WORD",
                        "TO_DWORD",
                        "TO_BYTE",
                    ],
                )],
                Cat::Time => &[
                    (
                        Cat::Int,
                        "int-expr",
                        &["DINT_TO_TIME", "UDINT_TO_TIME", "INT_TO_TIME", "TO_TIME"],
                    ),
                    (Cat::Real, "real-expr", &["REAL_TO_TIME", "LREAL_TO_TIME"]),
                ],
                _ => &[],
            };
            for (cat, arg, names) in from {
                if has(cat) {
                    out.push_str(&format!(" | {}", f1(names, arg)));
                }
            }
            out
        };
        rules.push(format!(
            "int-atom ::= {}int-lit | \"(\" ws int-expr ws \")\" | {} | {}{}{}",
            read(&Cat::Int),
            f1(&["ABS"], "int-expr"),
            fsel("int-expr"),
            convert(&Cat::Int),
            calls(&Cat::Int)
        ));
        rules.push(format!(
            "real-expr ::= real-term (ws (\"+\" | \"-\") ws real-term){{0,{CHAIN}}}"
        ));
        rules.push(format!(
            "real-term ::= real-un (ws (\"*\" | \"/\") ws real-un){{0,{CHAIN}}}"
        ));
        rules.push("real-un ::= \"-\" ws real-atom | real-atom".into());
        rules.push(format!(
            "real-atom ::= {}{}real-lit | int-lit | \"(\" ws real-expr ws \")\" | {} | {}{}{}{}{}",
            read(&Cat::Real),
            read(&Cat::Int),
            f1(
                &["SQRT", "ABS", "LN", "EXP", "SIN", "COS", "TAN"],
                "real-expr"
            ),
            fsel("real-expr"),
            convert(&Cat::Real),
            convert(&Cat::Int),
            calls(&Cat::Real),
            calls(&Cat::Int)
        ));
        rules.push(format!(
            "str-expr ::= {}str-lit | {} ws \"(\" ws str-expr ws \",\" ws str-expr ws \")\"{}",
            read(&Cat::Str),
            k("CONCAT"),
            calls(&Cat::Str)
        ));
        for cat in self.cats() {
            let r = cat.rule();
            match &cat {
                Cat::Time => {
                    // `T#1s-x` lexes as one literal: a sign after a duration needs a space.
                    rules.push(format!(
                        "time-expr ::= time-term (sp (\"+\" | \"-\") sp time-term){{0,{CHAIN}}}"
                    ));
                    rules.push(format!(
                        "time-term ::= time-atom (ws (\"*\" | \"/\") ws int-un){{0,{CHAIN}}}"
                    ));
                    rules.push(format!(
                        "time-atom ::= {}time-lit | \"(\" ws time-expr ws \")\"{}{}",
                        read(&cat),
                        convert(&cat),
                        calls(&cat)
                    ));
                }
                Cat::Ulint => {
                    rules.push(
                        format!("ulint-expr ::= ulint-atom (ws (\"+\" | \"-\" | \"*\" | \"/\") ws ulint-atom){{0,{CHAIN}}}"),
                    );
                    rules.push(format!(
                        "ulint-atom ::= {}int-lit | \"(\" ws ulint-expr ws \")\"{}",
                        read(&cat),
                        calls(&cat)
                    ));
                }
                Cat::Bits => {
                    rules.push(format!(
                        "bits-expr ::= bits-and (sp ({} | {}) sp bits-and){{0,{CHAIN}}}",
                        k("OR"),
                        k("XOR")
                    ));
                    rules.push(format!(
                        "bits-and ::= bits-un (sp {} sp bits-un){{0,{CHAIN}}}",
                        k("AND")
                    ));
                    rules.push(format!("bits-un ::= {} sp bits-un | bits-atom", k("NOT")));
                    rules.push(format!(
                        "bits-atom ::= {}int-lit | \"(\" ws bits-expr ws \")\" | ({}) ws \"(\" ws bits-expr ws \",\" ws int-expr ws \")\"{}{}",
                        read(&cat),
                        ["SHL", "SHR", "ROL", "ROR"].map(k).join(" | "),
                        convert(&cat),
                        calls(&cat)
                    ));
                }
                Cat::Enum(i) => {
                    let (name, values) = self
                        .enums
                        .iter()
                        .find(|(_, (j, _))| j == i)
                        .map(|(n, (_, v))| (n, v))
                        .expect("every enum category is registered");
                    let shadowed = |v: &String| {
                        self.places
                            .iter()
                            .any(|p| p.simple.as_deref().is_some_and(|s| upper(s) == *v))
                    };
                    let vals: Vec<String> = values
                        .iter()
                        .flat_map(|v| {
                            let q = [
                                format!("{} \"#\" {}", k(name), k(v)),
                                format!("{} \".\" {}", k(name), k(v)),
                            ];
                            let bare = (!shadowed(v)).then(|| k(v));
                            q.into_iter().chain(bare)
                        })
                        .collect();
                    rules.push(format!("{r}-value ::= {}", vals.join(" | ")));
                    rules.push(format!(
                        "{r}-expr ::= {}{r}-value{}",
                        read(&cat),
                        calls(&cat)
                    ));
                }
                _ => {}
            }
        }
    }

    fn stmt_rules(&self, rules: &mut Vec<String>) {
        let k = keyword;
        let mut ctxs: Vec<(String, Option<usize>)> =
            vec![(String::new(), None), ("-l".into(), None)];
        for i in 0..self.loop_vars.len() {
            ctxs.push((format!("-f{i}"), Some(i)));
        }
        for (c, for_var) in &ctxs {
            let in_loop = !c.is_empty();
            let body_ctx = if c.is_empty() { "-l" } else { c.as_str() };
            let w = |cat: &Cat| -> Option<String> {
                match (cat, for_var) {
                    (Cat::Int, Some(i)) => (!self
                        .writable(&Cat::Int, Some(&self.loop_vars[*i]))
                        .is_empty())
                    .then(|| format!("w-int-f{i}")),
                    _ => {
                        (!self.writable(cat, None).is_empty()).then(|| format!("w-{}", cat.rule()))
                    }
                }
            };
            let mut alts = vec![format!("{} ws \";\"", k("RETURN"))];
            let mut assigns = Vec::new();
            for cat in self.cats() {
                if let Some(target) = w(&cat) {
                    assigns.push(format!(
                        "{target} ws \":=\" ws {}-expr ws \";\"",
                        cat.rule()
                    ));
                    if cat == Cat::Bool {
                        assigns.push(format!(
                            // `qS=` would read as a name: a space before S= and R=.
                            "{target} sp ({} | {}) ws bool-expr ws \";\"",
                            "[Ss] \"=\"", "[Rr] \"=\""
                        ));
                    }
                }
            }
            if !assigns.is_empty() {
                rules.push(format!("assign{c} ::= {}", assigns.join(" | ")));
                alts.push(format!("assign{c}"));
            }
            rules.push(format!(
                "if{c} ::= {} sp bool-expr sp {} sp stmts{c} (ws {} sp bool-expr sp {} sp stmts{c})* (ws {} sp stmts{c})? ws {} end-semi",
                k("IF"), k("THEN"), k("ELSIF"), k("THEN"), k("ELSE"), k("END_IF")
            ));
            alts.push(format!("if{c}"));
            let mut cases = vec![format!(
                "{} sp int-expr sp {} sp case-arm{c} (ws case-arm{c})*",
                k("CASE"),
                k("OF")
            )];
            rules.push(format!(
                "case-arm{c} ::= case-label (ws \",\" ws case-label)* ws \":\" ws stmts{c}"
            ));
            for cat in self.cats() {
                if let Cat::Enum(_) = cat {
                    let r = cat.rule();
                    if self.has_read(&cat) {
                        cases.push(format!(
                            "{} sp r-{r} sp {} sp {r}-arm{c} (ws {r}-arm{c})*",
                            k("CASE"),
                            k("OF")
                        ));
                        rules.push(format!(
                            "{r}-arm{c} ::= {r}-value (ws \",\" ws {r}-value)* ws \":\" ws stmts{c}"
                        ));
                    }
                }
            }
            rules.push(format!(
                "case{c} ::= ({}) (ws {} sp stmts{c})? ws {} end-semi",
                cases.join(" | "),
                k("ELSE"),
                k("END_CASE")
            ));
            alts.push(format!("case{c}"));
            rules.push(format!(
                "while{c} ::= {} sp bool-expr sp {} sp stmts{body_ctx} ws {} end-semi",
                k("WHILE"),
                k("DO"),
                k("END_WHILE")
            ));
            rules.push(format!(
                "repeat{c} ::= {} sp stmts{body_ctx} ws {} sp bool-expr sp {} end-semi",
                k("REPEAT"),
                k("UNTIL"),
                k("END_REPEAT")
            ));
            alts.push(format!("while{c}"));
            alts.push(format!("repeat{c}"));
            if in_loop {
                alts.push(format!("{} ws \";\"", k("EXIT")));
            }
            // FOR loops do not nest: the body of one must not assign its variable.
            if for_var.is_none() {
                for (i, v) in self.loop_vars.iter().enumerate() {
                    alts.push(format!(
                        "{} sp {} ws \":=\" ws int-expr sp {} sp int-expr (sp {} sp int-expr)? sp {} sp stmts-f{i} ws {} end-semi",
                        k("FOR"),
                        name_seq(v),
                        k("TO"),
                        k("BY"),
                        k("DO"),
                        k("END_FOR")
                    ));
                }
            }
            let mut calls = Vec::new();
            for (inst, params) in &self.calls {
                let args: Vec<String> = params
                    .iter()
                    .filter_map(|(p, cat, kind)| match kind {
                        VarKind::Input => {
                            Some(format!("{} ws \":=\" ws {}-expr", k(p), cat.rule()))
                        }
                        VarKind::Output => w(cat).map(|t| format!("{} ws \"=>\" ws {t}", k(p))),
                        VarKind::InOut => w(cat).map(|t| format!("{} ws \":=\" ws {t}", k(p))),
                        _ => None,
                    })
                    .collect();
                let args = if args.is_empty() {
                    String::new()
                } else {
                    let a = format!("({})", args.join(" | "));
                    format!("({a} (ws \",\" ws {a})*)? ws")
                };
                calls.push(format!(
                    "{} ws \"(\" ws {args} \")\" ws \";\"",
                    name_seq(inst)
                ));
            }
            if !calls.is_empty() {
                rules.push(format!("call{c} ::= {}", calls.join(" | ")));
                alts.push(format!("call{c}"));
            }
            rules.push(format!("stmt{c} ::= {}", alts.join(" | ")));
            rules.push(format!("stmts{c} ::= stmt{c} (ws stmt{c})*"));
        }
    }
}

/// A declared name, matched in any case as the checker reads it.
fn name_seq(name: &str) -> String {
    keyword(name)
}

/// The most operators of one kind in a row (`a + b + …`) in arithmetic and
/// bit strings, and in AND / OR chains: enough for real code, and a model
/// that adds the same term again and again must close the expression.
const CHAIN: usize = 7;
const BOOL_CHAIN: usize = 11;
/// The longest run of whitespace, and the most comments in one gap between
/// tokens: room for blank lines, indentation and aligned comments.
const BLANK: usize = 40;
const COMMENTS: usize = 3;

/// Literals, whitespace and the generation's short comments.
fn common_rules() -> Vec<String> {
    let mut r = vec![
        "int-lit ::= [0-9]{1,9} | \"16#\" [0-9A-Fa-f]{1,8} | \"2#\" [01]{1,16}".to_string(),
        "real-lit ::= [0-9]{1,9} \".\" [0-9]{1,9} ([eE] [+-]? [0-9]{1,2})?".to_string(),
        format!(
            "time-lit ::= ({} | {}) \"#\" [0-9]{{1,6}} (\".\" [0-9]{{1,3}})? ({} | {} | {} | {} | {} | {} | {})",
            keyword("T"),
            keyword("TIME"),
            keyword("MS"),
            keyword("S"),
            keyword("M"),
            keyword("H"),
            keyword("D"),
            keyword("US"),
            keyword("NS")
        ),
        "str-lit ::= \"'\" [^'$\\n\\r]{0,80} \"'\"".to_string(),
        "case-label ::= \"-\"? int-lit (ws \"..\" ws \"-\"? int-lit)?".to_string(),
        // The `;` after END_IF and the other closers is optional; without it a
        // space keeps the next word apart.
        "end-semi ::= ws \";\" | sp".to_string(),
        // A comment only after whitespace: `/` or `(` just before one would
        // read as part of it (`a ///c` is a comment from the operator on).
        // Bounded, so a model cannot write blank lines or comments forever.
        format!("ws ::= (blank (comment blank?){{0,{COMMENTS}}})?"),
        format!("sp ::= blank (comment blank?){{0,{COMMENTS}}}"),
        format!("blank ::= [ \\t\\r\\n]{{1,{BLANK}}}"),
    ];
    // The generation's short comments, but a line comment ends its line
    // (else the code after it on that line would be comment too) and no
    // pragma, which a compiler may read as an instruction.
    r.push(r#"comment ::= "(*" gc-char{0,160} "*)" | "//" [^\n]{0,160} "\n""#.into());
    r.extend(
        GENERATED_COMMENT_RULE
            .lines()
            .filter(|l| l.starts_with("gc-char ::= "))
            .map(str::to_owned),
    );
    r
}

/// A rule `name` matching identifiers that are none of `taken` (upper-case,
/// compared in any case): a trie of the taken words in which a path may leave
/// the trie at any character, and may end anywhere but at a taken word.
fn exclusion_trie(name: &str, taken: &BTreeSet<String>, rules: &mut Vec<String>) {
    #[derive(Default)]
    struct Node {
        children: BTreeMap<char, usize>,
        terminal: bool,
    }
    let mut nodes = vec![Node::default()];
    for w in taken
        .iter()
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        let mut at = 0;
        for c in w.chars() {
            at = match nodes[at].children.get(&c) {
                Some(&n) => n,
                None => {
                    nodes.push(Node::default());
                    let n = nodes.len() - 1;
                    nodes[at].children.insert(c, n);
                    n
                }
            };
        }
        nodes[at].terminal = true;
    }
    let start: Vec<char> = ('A'..='Z').chain(['_']).collect();
    let cont: Vec<char> = ('A'..='Z').chain('0'..='9').chain(['_']).collect();
    let rule = |i: usize| {
        if i == 0 {
            name.to_string()
        } else {
            format!("{name}-{i}")
        }
    };
    for (i, node) in nodes.iter().enumerate() {
        let chars = if i == 0 { &start } else { &cont };
        let mut alts: Vec<String> = node
            .children
            .iter()
            .map(|(c, n)| format!("{} {}", keyword(&c.to_string()), rule(*n)))
            .collect();
        let free: String = chars
            .iter()
            .filter(|c| !node.children.contains_key(c))
            .flat_map(|c| {
                if c.is_ascii_alphabetic() {
                    vec![*c, c.to_ascii_lowercase()]
                } else {
                    vec![*c]
                }
            })
            .collect();
        if !free.is_empty() {
            alts.push(format!("[{free}] [A-Za-z0-9_]{{0,30}}"));
        }
        let body = alts.join(" | ");
        // A prefix of taken words that is no word itself may end here.
        if i != 0 && !node.terminal {
            rules.push(format!("{} ::= ({body})?", rule(i)));
        } else {
            rules.push(format!("{} ::= {body}", rule(i)));
        }
    }
}

fn join(rules: Vec<String>) -> String {
    let mut out =
        String::from("# Generated by millwright-iec61131 from the block's declarations.\n");
    for r in rules {
        out.push_str(&r);
        out.push('\n');
    }
    out
}

mod nesting;
#[cfg(test)]
mod tests;
