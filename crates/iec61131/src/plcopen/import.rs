//! PLCopen TC6 XML (`pous`, `dataTypes`, global variables) → ST source text,
//! which the parser then reads like any other file.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A parsed element: local name, attributes, children, text.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// All text below this node (for the xhtml body of an ST block).
    fn deep_text(&self) -> String {
        let mut s = self.text.clone();
        for c in &self.children {
            s.push_str(&c.deep_text());
        }
        s
    }
}

/// Why a file could not be read as Structured Text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// Not well-formed XML (or nested too deep to follow).
    #[error("{0}")]
    Xml(String),
    /// Well-formed XML that is not a document this reads, or holds what it
    /// cannot write as Structured Text.
    #[error("{0}")]
    Content(String),
}

/// An element with its attributes, its children still to come.
fn node(e: &BytesStart) -> Result<Node, String> {
    let mut n = Node {
        name: local(e.name().as_ref()),
        ..Node::default()
    };
    for a in e.attributes().flatten() {
        let v = a
            .unescape_value()
            .map_err(|e| format!("bad attribute value: {e}"))?;
        n.attrs.push((local(a.key.as_ref()), v.into_owned()));
    }
    Ok(n)
}

fn local(name: &[u8]) -> String {
    let n = String::from_utf8_lossy(name);
    n.rsplit(':').next().unwrap_or_default().to_owned()
}

fn parse_xml(xml: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    // Deeply nested XML is refused rather than followed.
    const MAX_DEPTH: usize = 256;
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| format!("not well-formed XML near byte {pos}: {e}"))?;
        match ev {
            Event::Start(e) | Event::Empty(e) if stack.len() > MAX_DEPTH => {
                let _ = e;
                return Err(format!("XML nested deeper than {MAX_DEPTH} elements"));
            }
            Event::Start(e) => stack.push(node(&e)?),
            Event::Empty(e) => stack.last_mut().expect("root").children.push(node(&e)?),
            Event::End(_) => {
                let n = stack.pop().expect("balanced by the reader");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(n),
                    None => return Err("unbalanced XML".into()),
                }
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| format!("bad text: {e}"))?;
                stack.last_mut().expect("root").text.push_str(&s);
            }
            Event::CData(c) => {
                let s = String::from_utf8_lossy(&c.into_inner()).into_owned();
                stack.last_mut().expect("root").text.push_str(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("the XML ends inside an element".into());
    }
    stack.pop().ok_or_else(|| "empty XML".into())
}

/// Reads a PLCopen TC6 XML document and writes its types, POUs and global
/// variables as Structured Text.
pub fn import(xml: &str) -> Result<String, ImportError> {
    let doc = parse_xml(xml).map_err(ImportError::Xml)?;
    import_doc(&doc).map_err(ImportError::Content)
}

fn import_doc(doc: &Node) -> Result<String, String> {
    let project = doc
        .child("project")
        .ok_or("not a PLCopen document: no <project> element")?;
    let types = project
        .child("types")
        .ok_or("the PLCopen document has no <types>")?;
    let mut st = String::new();
    if let Some(dts) = types.child("dataTypes") {
        let list: Vec<&Node> = dts.all("dataType").collect();
        if !list.is_empty() {
            st.push_str("TYPE\n");
            for d in list {
                let name = d.attr("name").ok_or("a dataType without a name")?;
                let base = d
                    .child("baseType")
                    .ok_or_else(|| format!("dataType {name} has no baseType"))?;
                st.push_str(&format!(
                    "    {}\n",
                    declaration(name, None, base, d.child("initialValue"))?
                ));
            }
            st.push_str("END_TYPE\n\n");
        }
    }
    if let Some(pous) = types.child("pous") {
        for p in pous.all("pou") {
            pou_text(p, &mut st)?;
        }
    }
    if let Some(confs) = project
        .child("instances")
        .and_then(|i| i.child("configurations"))
    {
        for c in confs.all("configuration") {
            for g in c.all("globalVars") {
                var_list_text("VAR_GLOBAL", g, &mut st)?;
                st.push('\n');
            }
        }
    }
    Ok(st)
}

fn pou_text(p: &Node, st: &mut String) -> Result<(), String> {
    let name = p.attr("name").ok_or("a pou without a name")?;
    let (kw, end) = match p.attr("pouType") {
        Some("function") => ("FUNCTION", "END_FUNCTION"),
        Some("functionBlock") => ("FUNCTION_BLOCK", "END_FUNCTION_BLOCK"),
        Some("program") => ("PROGRAM", "END_PROGRAM"),
        other => {
            return Err(format!(
                "pou {name} has pouType {other:?}; expected function, functionBlock or program"
            ))
        }
    };
    st.push_str(&format!("{kw} {name}"));
    let iface = p.child("interface");
    if let Some(rt) = iface.and_then(|i| i.child("returnType")) {
        st.push_str(&format!(" : {}", type_text(rt)?));
    }
    st.push('\n');
    if let Some(iface) = iface {
        for list in &iface.children {
            let block = match list.name.as_str() {
                "inputVars" => "VAR_INPUT",
                "outputVars" => "VAR_OUTPUT",
                "inOutVars" => "VAR_IN_OUT",
                "localVars" => "VAR",
                "tempVars" => "VAR_TEMP",
                "externalVars" => "VAR_EXTERNAL",
                "globalVars" => "VAR_GLOBAL",
                _ => continue,
            };
            var_list_text(block, list, st)?;
        }
    }
    let body = p
        .child("body")
        .ok_or_else(|| format!("pou {name} has no body"))?;
    let code = body.child("ST").ok_or_else(|| {
        format!("pou {name} has no ST body (IL, FBD, LD and SFC bodies cannot be imported)")
    })?;
    st.push_str(code.deep_text().trim());
    st.push_str(&format!("\n{end}\n\n"));
    Ok(())
}

fn var_list_text(block: &str, list: &Node, st: &mut String) -> Result<(), String> {
    st.push_str(block);
    for (attr, word) in [
        ("constant", " CONSTANT"),
        ("retain", " RETAIN"),
        ("persistent", " PERSISTENT"),
    ] {
        if list.attr(attr) == Some("true") {
            st.push_str(word);
        }
    }
    st.push('\n');
    for v in list.all("variable") {
        let name = v.attr("name").ok_or("a variable without a name")?;
        let ty = v
            .child("type")
            .ok_or_else(|| format!("variable {name} has no type"))?;
        let decl = declaration(name, v.attr("address"), ty, v.child("initialValue"))?;
        st.push_str(&format!("    {decl}\n"));
    }
    st.push_str("END_VAR\n");
    Ok(())
}

/// `name [AT address] : type [:= value];` for a variable, struct member or data type.
fn declaration(
    name: &str,
    address: Option<&str>,
    ty: &Node,
    init: Option<&Node>,
) -> Result<String, String> {
    let mut s = name.to_owned();
    if let Some(addr) = address {
        s.push_str(&format!(" AT {addr}"));
    }
    s.push_str(&format!(" : {}", type_text(ty)?));
    if let Some(v) = init {
        s.push_str(&format!(" := {}", value_text(v)?));
    }
    s.push(';');
    Ok(s)
}

/// The ST spelling of a `<type>`/`<baseType>` element's single child.
fn type_text(holder: &Node) -> Result<String, String> {
    let t = holder.children.first().ok_or("an empty type element")?;
    Ok(match t.name.as_str() {
        "string" | "wstring" => {
            let kw = t.name.to_ascii_uppercase();
            match t.attr("length") {
                Some(l) => format!("{kw}({l})"),
                None => kw,
            }
        }
        "derived" => t
            .attr("name")
            .ok_or("a derived type without a name")?
            .to_owned(),
        "array" => {
            let dims: Vec<String> = t
                .all("dimension")
                .map(|d| {
                    format!(
                        "{}..{}",
                        d.attr("lower").unwrap_or("0"),
                        d.attr("upper").unwrap_or("0")
                    )
                })
                .collect();
            let base = t.child("baseType").ok_or("an array without a baseType")?;
            format!("ARRAY[{}] OF {}", dims.join(", "), type_text(base)?)
        }
        "pointer" => format!(
            "POINTER TO {}",
            type_text(t.child("baseType").ok_or("a pointer without a baseType")?)?
        ),
        "subrangeSigned" | "subrangeUnsigned" => {
            let r = t.child("range").ok_or("a subrange without a range")?;
            let base = type_text(t.child("baseType").ok_or("a subrange without a baseType")?)?;
            format!(
                "{base} ({}..{})",
                r.attr("lower").unwrap_or("0"),
                r.attr("upper").unwrap_or("0")
            )
        }
        "enum" => {
            let values: Vec<String> = t
                .child("values")
                .map(|vs| {
                    vs.all("value")
                        .map(|v| match (v.attr("name"), v.attr("value")) {
                            (Some(n), Some(x)) => format!("{n} := {x}"),
                            (Some(n), None) => n.to_owned(),
                            _ => String::new(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let base = match t.child("baseType") {
                Some(b) => format!(" {}", type_text(b)?),
                None => String::new(),
            };
            format!("({}){base}", values.join(", "))
        }
        "struct" => {
            let mut s = String::from("STRUCT\n");
            for v in t.all("variable") {
                let name = v.attr("name").ok_or("a struct member without a name")?;
                let ty = v
                    .child("type")
                    .ok_or_else(|| format!("struct member {name} has no type"))?;
                let decl = declaration(name, None, ty, v.child("initialValue"))?;
                s.push_str(&format!("        {decl}\n"));
            }
            s.push_str("    END_STRUCT");
            s
        }
        "DT" => "DATE_AND_TIME".into(),
        "TOD" => "TIME_OF_DAY".into(),
        elementary => elementary.to_owned(),
    })
}

/// The ST spelling of an `<initialValue>`/`<value>` element's single child.
fn value_text(holder: &Node) -> Result<String, String> {
    let v = holder.children.first().ok_or("an empty value element")?;
    Ok(match v.name.as_str() {
        "simpleValue" => v.attr("value").unwrap_or_default().to_owned(),
        "arrayValue" => {
            let items: Result<Vec<String>, String> =
                v.all("value")
                    .map(|item| {
                        let inner =
                            if item.children.first().is_some_and(|c| {
                                c.name == "simpleValue" && c.attr("value").is_none()
                            }) {
                                String::new()
                            } else {
                                value_text(item)?
                            };
                        Ok(match item.attr("repetitionValue") {
                            Some(r) if r != "1" || inner.is_empty() => format!("{r}({inner})"),
                            _ => inner,
                        })
                    })
                    .collect();
            format!("[{}]", items?.join(", "))
        }
        "structValue" => {
            let fields: Result<Vec<String>, String> = v
                .all("value")
                .map(|f| {
                    Ok(format!(
                        "{} := {}",
                        f.attr("member").unwrap_or_default(),
                        value_text(f)?
                    ))
                })
                .collect();
            format!("({})", fields?.join(", "))
        }
        other => return Err(format!("unsupported value element <{other}>")),
    })
}

/// Reads a TwinCAT 3 `.TcPOU` file (declaration and implementation in CDATA,
/// with methods, properties and actions beside them) as Structured Text.
pub fn import_tcpou(xml: &str) -> Result<String, ImportError> {
    let doc = parse_xml(xml).map_err(ImportError::Xml)?;
    tcpou_doc(&doc).map_err(ImportError::Content)
}

fn tcpou_doc(doc: &Node) -> Result<String, String> {
    let root = doc
        .child("TcPlcObject")
        .ok_or("not a TwinCAT file: no <TcPlcObject> element")?;
    let pou = root
        .child("POU")
        .ok_or("the TwinCAT file holds no <POU> (only POUs are read)")?;
    let decl = pou
        .child("Declaration")
        .map(Node::deep_text)
        .unwrap_or_default();
    let first_word = decl
        .split(|c: char| c.is_whitespace())
        .find(|w| !w.is_empty() && !w.starts_with('{'))
        .unwrap_or_default()
        .to_ascii_uppercase();
    let end = match first_word.as_str() {
        "FUNCTION_BLOCK" => "END_FUNCTION_BLOCK",
        "FUNCTION" => "END_FUNCTION",
        "PROGRAM" => "END_PROGRAM",
        "INTERFACE" => "END_INTERFACE",
        other => return Err(format!("the POU's declaration starts with {other:?}, not PROGRAM, FUNCTION_BLOCK, FUNCTION or INTERFACE")),
    };
    let implementation = |n: &Node| {
        n.child("Implementation")
            .and_then(|i| i.child("ST"))
            .map(Node::deep_text)
            .unwrap_or_default()
    };
    let mut st = format!("{}\n{}\n", decl.trim(), implementation(pou).trim());
    for m in pou.all("Method") {
        let d = m
            .child("Declaration")
            .map(Node::deep_text)
            .unwrap_or_default();
        st.push_str(&format!(
            "{}\n{}\nEND_METHOD\n",
            d.trim(),
            implementation(m).trim()
        ));
    }
    for p in pou.all("Property") {
        let d = p
            .child("Declaration")
            .map(Node::deep_text)
            .unwrap_or_default();
        st.push_str(&format!("{}\n", d.trim()));
        for (tag, word) in [("Get", "GET"), ("Set", "SET")] {
            if let Some(acc) = p.child(tag) {
                let ad = acc
                    .child("Declaration")
                    .map(Node::deep_text)
                    .unwrap_or_default();
                st.push_str(&format!(
                    "{word}\n{}\n{}\nEND_{word}\n",
                    ad.trim(),
                    implementation(acc).trim()
                ));
            }
        }
        st.push_str("END_PROPERTY\n");
    }
    for a in pou.all("Action") {
        let name = a.attr("Name").ok_or("an action without a name")?;
        st.push_str(&format!(
            "ACTION {name}:\n{}\nEND_ACTION\n",
            implementation(a).trim()
        ));
    }
    st.push_str(end);
    st.push('\n');
    Ok(st)
}
