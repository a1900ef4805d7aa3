//! ST source → PLCopen TC6 XML 2.01 (`http://www.plcopen.org/xml/tc6_0201`).

use crate::ast::*;
use crate::token::Span;

const NS: &str = "http://www.plcopen.org/xml/tc6_0201";
const XHTML: &str = "http://www.w3.org/1999/xhtml";

/// The exported document and what TC6 2.01 could not carry.
pub struct Exported {
    pub xml: String,
    /// Parts left out or simplified, one sentence each (methods, interfaces…).
    pub notes: Vec<String>,
}

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

struct Writer<'a> {
    src: &'a str,
    out: String,
    notes: Vec<String>,
}

/// Exports the POUs, types and global variables of a parsed, error-free file.
/// `created` is an xsd:dateTime such as `2026-11-29T08:00:00`.
pub fn export(src: &str, file: &SourceFile, project: &str, created: &str) -> Exported {
    let mut w = Writer {
        src,
        out: String::new(),
        notes: Vec::new(),
    };
    w.out
        .push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    w.out.push_str(&format!("<project xmlns=\"{NS}\">\n"));
    w.out.push_str(&format!(
        "  <fileHeader companyName=\"Millwright\" productName=\"Millwright\" productVersion=\"{}\" creationDateTime=\"{created}\"/>\n",
        env!("CARGO_PKG_VERSION")
    ));
    w.out.push_str(&format!(
        "  <contentHeader name=\"{}\" modificationDateTime=\"{created}\">\n    <coordinateInfo>\n      <fbd><scaling x=\"1\" y=\"1\"/></fbd>\n      <ld><scaling x=\"1\" y=\"1\"/></ld>\n      <sfc><scaling x=\"1\" y=\"1\"/></sfc>\n    </coordinateInfo>\n  </contentHeader>\n",
        esc(project)
    ));
    w.out.push_str("  <types>\n    <dataTypes>\n");
    for item in &file.items {
        if let Item::Types(decls) = item {
            for d in decls {
                w.data_type(d);
            }
        }
    }
    w.out.push_str("    </dataTypes>\n    <pous>\n");
    for item in &file.items {
        if let Item::Pou(p) = item {
            w.pou(p);
        }
    }
    w.out
        .push_str("    </pous>\n  </types>\n  <instances>\n    <configurations>\n");
    let globals: Vec<&VarBlock> = file
        .items
        .iter()
        .filter_map(|i| {
            if let Item::Globals(b) = i {
                Some(b)
            } else {
                None
            }
        })
        .collect();
    if !globals.is_empty() {
        w.out.push_str("      <configuration name=\"Globals\">\n");
        for b in globals {
            w.var_list("globalVars", b, 8);
        }
        w.out.push_str("      </configuration>\n");
    }
    w.out
        .push_str("    </configurations>\n  </instances>\n</project>\n");
    Exported {
        xml: w.out,
        notes: w.notes,
    }
}

impl Writer<'_> {
    fn text(&self, span: Span) -> &str {
        &self.src[span.range()]
    }

    fn pad(&mut self, n: usize) {
        for _ in 0..n {
            self.out.push(' ');
        }
    }

    fn data_type(&mut self, d: &TypeDecl) {
        self.out.push_str(&format!(
            "      <dataType name=\"{}\">\n        <baseType>",
            esc(&d.name.name)
        ));
        let init = match &d.def {
            TypeDef::Struct(s) | TypeDef::Union(s) => {
                if matches!(d.def, TypeDef::Union(_)) {
                    self.notes.push(format!(
                        "UNION {} is exported as a STRUCT (TC6 2.01 has no unions)",
                        d.name.name
                    ));
                }
                if !s.extends.is_empty() {
                    self.notes.push(format!("{} EXTENDS is not exported (TC6 2.01 has no struct inheritance); only its own fields are", d.name.name));
                }
                self.out.push_str("<struct>");
                for f in &s.fields {
                    self.variable(f, 0);
                }
                self.out.push_str("</struct>");
                None
            }
            TypeDef::Enum(e) => {
                self.enum_type(e);
                e.default.as_ref().map(|d| d.name.clone())
            }
            TypeDef::Alias(t, init) => {
                self.type_ref(t);
                if let Some(i) = init {
                    self.out.push_str("</baseType>\n        <initialValue>");
                    self.value(i);
                    self.out.push_str("</initialValue>\n      </dataType>\n");
                    return;
                }
                None
            }
        };
        self.out.push_str("</baseType>\n");
        if let Some(v) = init {
            self.out.push_str(&format!(
                "        <initialValue><simpleValue value=\"{}\"/></initialValue>\n",
                esc(&v)
            ));
        }
        self.out.push_str("      </dataType>\n");
    }

    fn enum_type(&mut self, e: &EnumDef) {
        self.out.push_str("<enum><values>");
        for (n, v) in &e.values {
            match v {
                Some(v) => {
                    let t = esc(self.text(v.span));
                    self.out
                        .push_str(&format!("<value name=\"{}\" value=\"{t}\"/>", esc(&n.name)));
                }
                None => self
                    .out
                    .push_str(&format!("<value name=\"{}\"/>", esc(&n.name))),
            }
        }
        self.out.push_str("</values>");
        if let Some(b) = &e.base {
            self.out.push_str("<baseType>");
            self.named(&b.name);
            self.out.push_str("</baseType>");
        }
        self.out.push_str("</enum>");
    }

    fn pou(&mut self, p: &Pou) {
        let pou_type = match p.kind {
            PouKind::Program => "program",
            PouKind::FunctionBlock => "functionBlock",
            PouKind::Function => "function",
            other => {
                self.notes.push(format!(
                    "{} {} is not exported (TC6 2.01 has no {})",
                    other.keyword(),
                    p.name.name,
                    other.keyword()
                ));
                return;
            }
        };
        for m in &p.members {
            self.notes.push(format!(
                "{} {}.{} is not exported (TC6 2.01 has no methods, properties or actions in ST)",
                m.kind.keyword(),
                p.name.name,
                m.name.name
            ));
        }
        if !p.extends.is_empty() || !p.implements.is_empty() {
            self.notes.push(format!(
                "EXTENDS/IMPLEMENTS of {} are not exported (TC6 2.01 has no object orientation)",
                p.name.name
            ));
        }
        self.out.push_str(&format!(
            "      <pou name=\"{}\" pouType=\"{pou_type}\">\n        <interface>\n",
            esc(&p.name.name)
        ));
        if let Some(rt) = &p.return_type {
            self.out.push_str("          <returnType>");
            self.type_ref(rt);
            self.out.push_str("</returnType>\n");
        }
        for b in &p.var_blocks {
            let tag = match b.kind {
                VarKind::Input => "inputVars",
                VarKind::Output => "outputVars",
                VarKind::InOut => "inOutVars",
                VarKind::Temp => "tempVars",
                VarKind::External => "externalVars",
                VarKind::Global => "globalVars",
                VarKind::Access => "accessVars",
                VarKind::Var | VarKind::Stat | VarKind::Inst | VarKind::Config => "localVars",
            };
            self.var_list(tag, b, 10);
        }
        self.out
            .push_str("        </interface>\n        <body>\n          <ST>");
        let body = match p.body.as_deref() {
            Some([first, .., last]) => self.text(first.span.to(last.span)).to_owned(),
            Some([only]) => self.text(only.span).to_owned(),
            _ => String::new(),
        };
        self.out
            .push_str(&format!("<p xmlns=\"{XHTML}\">{}</p>", cdata(&body)));
        self.out.push_str("</ST>\n        </body>\n      </pou>\n");
    }

    fn var_list(&mut self, tag: &str, b: &VarBlock, indent: usize) {
        self.pad(indent);
        self.out.push('<');
        self.out.push_str(tag);
        for (flag, attr) in [
            (b.constant, "constant"),
            (b.retain, "retain"),
            (b.persistent, "persistent"),
        ] {
            if flag {
                self.out.push_str(&format!(" {attr}=\"true\""));
            }
        }
        self.out.push_str(">\n");
        for v in &b.vars {
            self.variable(v, indent + 2);
        }
        self.pad(indent);
        self.out.push_str(&format!("</{tag}>\n"));
    }

    fn variable(&mut self, v: &VarDecl, indent: usize) {
        for n in &v.names {
            self.pad(indent);
            self.out
                .push_str(&format!("<variable name=\"{}\"", esc(&n.name)));
            if let Some((addr, _)) = &v.location {
                self.out.push_str(&format!(" address=\"{}\"", esc(addr)));
            }
            self.out.push_str("><type>");
            self.type_ref(&v.ty);
            self.out.push_str("</type>");
            if let Some(i) = &v.init {
                self.out.push_str("<initialValue>");
                self.value(i);
                self.out.push_str("</initialValue>");
            }
            self.out.push_str("</variable>");
            if indent > 0 {
                self.out.push('\n');
            }
        }
    }

    fn named(&mut self, name: &str) {
        let upper = name.to_ascii_uppercase();
        let elem = match upper.as_str() {
            "BOOL" | "BYTE" | "WORD" | "DWORD" | "LWORD" | "SINT" | "INT" | "DINT" | "LINT"
            | "USINT" | "UINT" | "UDINT" | "ULINT" | "REAL" | "LREAL" | "TIME" | "DATE" | "DT"
            | "TOD" => upper.clone(),
            "DATE_AND_TIME" => "DT".into(),
            "TIME_OF_DAY" => "TOD".into(),
            _ => {
                self.out
                    .push_str(&format!("<derived name=\"{}\"/>", esc(name)));
                return;
            }
        };
        self.out.push_str(&format!("<{elem}/>"));
    }

    fn type_ref(&mut self, t: &TypeRef) {
        match t {
            TypeRef::Named(n) => self.named(&n.name),
            TypeRef::String { wide, len, .. } => {
                let tag = if *wide { "wstring" } else { "string" };
                match len {
                    Some(l) => {
                        let l = esc(self.text(l.span));
                        self.out.push_str(&format!("<{tag} length=\"{l}\"/>"));
                    }
                    None => self.out.push_str(&format!("<{tag}/>")),
                }
            }
            TypeRef::Array { dims, elem, span } => {
                if dims.iter().any(Option::is_none) {
                    // ARRAY[*] has no TC6 form: keep the declaration as a derived name.
                    let raw = esc(self.text(*span));
                    self.out.push_str(&format!("<derived name=\"{raw}\"/>"));
                    return;
                }
                self.out.push_str("<array>");
                for (lo, hi) in dims.iter().flatten() {
                    let (l, h) = (esc(self.text(lo.span)), esc(self.text(hi.span)));
                    self.out
                        .push_str(&format!("<dimension lower=\"{l}\" upper=\"{h}\"/>"));
                }
                self.out.push_str("<baseType>");
                self.type_ref(elem);
                self.out.push_str("</baseType></array>");
            }
            TypeRef::Pointer(t, _) => {
                self.out.push_str("<pointer><baseType>");
                self.type_ref(t);
                self.out.push_str("</baseType></pointer>");
            }
            TypeRef::Reference(_, span) | TypeRef::InlineStruct(StructDef { span, .. }) => {
                let raw = esc(self.text(*span));
                self.out.push_str(&format!("<derived name=\"{raw}\"/>"));
            }
            TypeRef::Subrange { base, lo, hi, .. } => {
                let tag = if base.name.to_ascii_uppercase().starts_with('U') {
                    "subrangeUnsigned"
                } else {
                    "subrangeSigned"
                };
                let (l, h) = (esc(self.text(lo.span)), esc(self.text(hi.span)));
                self.out.push_str(&format!(
                    "<{tag}><range lower=\"{l}\" upper=\"{h}\"/><baseType>"
                ));
                self.named(&base.name);
                self.out.push_str(&format!("</baseType></{tag}>"));
            }
            TypeRef::InlineEnum(e) => self.enum_type(e),
        }
    }

    fn value(&mut self, i: &Initializer) {
        match i {
            Initializer::Expr(e) => {
                let t = esc(self.text(e.span));
                self.out.push_str(&format!("<simpleValue value=\"{t}\"/>"));
            }
            Initializer::Array(items, _) => {
                self.out.push_str("<arrayValue>");
                for it in items {
                    match &it.repeat {
                        Some(r) => {
                            let r = esc(self.text(r.span));
                            self.out
                                .push_str(&format!("<value repetitionValue=\"{r}\">"));
                        }
                        None => self.out.push_str("<value>"),
                    }
                    match &it.value {
                        Some(v) => self.value(v),
                        // `3()`: repeated default values.
                        None => self.out.push_str("<simpleValue/>"),
                    }
                    self.out.push_str("</value>");
                }
                self.out.push_str("</arrayValue>");
            }
            Initializer::Struct(fields, _) => {
                self.out.push_str("<structValue>");
                for (n, v) in fields {
                    self.out
                        .push_str(&format!("<value member=\"{}\">", esc(&n.name)));
                    self.value(v);
                    self.out.push_str("</value>");
                }
                self.out.push_str("</structValue>");
            }
        }
    }
}
