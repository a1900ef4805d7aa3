//! Fixtures the tests build: PDFs (Latin and Chinese text, malformed ones),
//! DOCX, and the knowledge base with the real extraction worker.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, ObjectId, Stream};
use millwright_knowledge::isolate::{Limits, WorkerCommand, WORKER_ARG};
use millwright_knowledge::{KnowledgeBase, Options};

pub fn worker() -> WorkerCommand {
    WorkerCommand {
        program: PathBuf::from(env!("CARGO_BIN_EXE_millwright-extract")),
        args: vec![millwright_knowledge::isolate::WORKER_ARG.into()],
    }
}

/// The real worker, started through `env` with `var` (`NAME=value`) set.
pub fn worker_with_env(var: &str) -> WorkerCommand {
    let w = worker();
    WorkerCommand {
        program: PathBuf::from("/usr/bin/env"),
        args: vec![var.into(), w.program.into(), WORKER_ARG.into()],
    }
}

/// A knowledge base in `dir` with short per-file limits, so a hang costs seconds.
pub fn kb(dir: &Path) -> KnowledgeBase {
    kb_with(dir, worker())
}

/// The same with another worker command.
pub fn kb_with(dir: &Path, worker: WorkerCommand) -> KnowledgeBase {
    let options = Options {
        limits: Limits {
            time_base: Duration::from_secs(8),
            time_per_mib: Duration::from_secs(1),
            memory_mib: 1024,
        },
        ..Options::default()
    };
    KnowledgeBase::open(dir, worker, options).expect("open")
}

/// What goes on one page.
pub enum PageText {
    /// Lines in Helvetica (WinAnsi).
    Latin(Vec<String>),
    /// Lines in a CID font with a ToUnicode map (how Chinese PDFs carry text).
    Chinese(Vec<String>),
}

pub struct PdfBuilder {
    doc: Document,
    pages_id: ObjectId,
    kids: Vec<Object>,
    helv: ObjectId,
    cjk: Option<(ObjectId, Vec<char>)>,
}

impl Default for PdfBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PdfBuilder {
    pub fn new() -> Self {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let helv = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        PdfBuilder {
            doc,
            pages_id,
            kids: Vec::new(),
            helv,
            cjk: None,
        }
    }

    fn text_ops(&mut self, text: &PageText) -> Vec<Operation> {
        let mut ops = vec![Operation::new("BT", vec![])];
        let mut y = 760;
        match text {
            PageText::Latin(lines) => {
                ops.push(Operation::new("Tf", vec!["F1".into(), 11.into()]));
                for l in lines {
                    ops.push(Operation::new(
                        "Tm",
                        vec![1.into(), 0.into(), 0.into(), 1.into(), 50.into(), y.into()],
                    ));
                    ops.push(Operation::new(
                        "Tj",
                        vec![Object::string_literal(l.as_str())],
                    ));
                    y -= 16;
                }
            }
            PageText::Chinese(lines) => {
                ops.push(Operation::new("Tf", vec!["F2".into(), 11.into()]));
                for l in lines {
                    let mut bytes = Vec::new();
                    for c in l.chars() {
                        let cid = self.cid(c);
                        bytes.extend_from_slice(&cid.to_be_bytes());
                    }
                    ops.push(Operation::new(
                        "Tm",
                        vec![1.into(), 0.into(), 0.into(), 1.into(), 50.into(), y.into()],
                    ));
                    ops.push(Operation::new(
                        "Tj",
                        vec![Object::String(bytes, lopdf::StringFormat::Hexadecimal)],
                    ));
                    y -= 16;
                }
            }
        }
        ops.push(Operation::new("ET", vec![]));
        ops
    }

    fn cid(&mut self, c: char) -> u16 {
        let chars = &mut self.cjk.get_or_insert_with(|| ((0, 0), Vec::new())).1;
        match chars.iter().position(|&x| x == c) {
            Some(i) => i as u16 + 1,
            None => {
                chars.push(c);
                chars.len() as u16
            }
        }
    }

    fn resources(&mut self, extra_xobjects: Option<lopdf::Dictionary>) -> lopdf::Dictionary {
        let mut fonts = dictionary! { "F1" => self.helv };
        if self.cjk.is_some() {
            fonts.set("F2", Object::Reference((u32::MAX, 0)));
        }
        let mut r = dictionary! { "Font" => fonts };
        if let Some(x) = extra_xobjects {
            r.set("XObject", x);
        }
        r
    }

    /// A normal page.
    pub fn page(mut self, text: PageText) -> Self {
        let ops = self.text_ops(&text);
        let res = self.resources(None);
        self.add_page(ops, res, true);
        self
    }

    fn add_page(&mut self, ops: Vec<Operation>, resources: lopdf::Dictionary, media_box: bool) {
        let content = Content { operations: ops };
        let content_id = self.doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("encode"),
        ));
        let mut page = dictionary! {
            "Type" => "Page", "Parent" => self.pages_id, "Contents" => content_id,
            "Resources" => resources,
        };
        if media_box {
            page.set("MediaBox", vec![0.into(), 0.into(), 595.into(), 842.into()]);
        }
        let id = self.doc.add_object(page);
        self.kids.push(id.into());
    }

    /// A page without a MediaBox, which pdf-extract unwraps (and panics on).
    pub fn page_without_media_box(mut self, text: PageText) -> Self {
        let ops = self.text_ops(&text);
        let res = self.resources(None);
        self.add_page(ops, res, false);
        self
    }

    /// A page whose text is visible, plus a form XObject drawing another twice,
    /// `depth` deep: 2^depth draws, which pdf-extract follows (a hang).
    pub fn page_with_exponential_forms(mut self, text: PageText, depth: u32) -> Self {
        let mut inner = self.doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()] },
            b"0 0 m 1 1 l S".to_vec(),
        ));
        for _ in 0..depth {
            inner = self.doc.add_object(Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Form",
                    "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
                    "Resources" => dictionary! { "XObject" => dictionary! { "X" => inner } },
                },
                b"/X Do /X Do".to_vec(),
            ));
        }
        let mut ops = self.text_ops(&text);
        ops.push(Operation::new("Do", vec!["X".into()]));
        let res = self.resources(Some(dictionary! { "X" => inner }));
        self.add_page(ops, res, true);
        self
    }

    /// A page drawing a form XObject that draws itself: endless recursion.
    pub fn page_with_self_drawing_form(mut self, text: PageText) -> Self {
        let id = self.doc.new_object_id();
        self.doc.objects.insert(
            id,
            Object::Stream(Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Form",
                    "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
                    "Resources" => dictionary! { "XObject" => dictionary! { "X" => id } },
                },
                b"/X Do".to_vec(),
            )),
        );
        let mut ops = self.text_ops(&text);
        ops.push(Operation::new("Do", vec!["X".into()]));
        let res = self.resources(Some(dictionary! { "X" => id }));
        self.add_page(ops, res, true);
        self
    }

    /// A page that is only an image (a scan).
    pub fn image_page(mut self) -> Self {
        let img = self.doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => 2, "Height" => 2,
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
            },
            vec![0, 255, 255, 0],
        ));
        let ops = vec![
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![
                    500.into(),
                    0.into(),
                    0.into(),
                    700.into(),
                    40.into(),
                    40.into(),
                ],
            ),
            Operation::new("Do", vec!["Im0".into()]),
            Operation::new("Q", vec![]),
        ];
        let res = dictionary! { "XObject" => dictionary! { "Im0" => img } };
        self.add_page(ops, res, true);
        self
    }

    pub fn save(mut self, path: &Path) {
        if let Some((_, chars)) = self.cjk.take() {
            let font = self.cjk_font(&chars);
            // Point every page's F2 at the real font.
            for obj in self.doc.objects.values_mut() {
                if let Ok(d) = obj.as_dict_mut() {
                    if let Ok(Object::Dictionary(res)) = d.get_mut(b"Resources") {
                        if let Ok(Object::Dictionary(fonts)) = res.get_mut(b"Font") {
                            if fonts.has(b"F2") {
                                fonts.set("F2", font);
                            }
                        }
                    }
                }
            }
        }
        let count = self.kids.len() as i64;
        self.doc.objects.insert(
            self.pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => self.kids.clone(), "Count" => count },
            ),
        );
        let catalog = self
            .doc
            .add_object(dictionary! { "Type" => "Catalog", "Pages" => self.pages_id });
        self.doc.trailer.set("Root", catalog);
        self.doc.save(path).expect("save pdf");
    }

    fn cjk_font(&mut self, chars: &[char]) -> ObjectId {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        for block in chars.chunks(100).enumerate() {
            let (b, cs) = block;
            cmap.push_str(&format!("{} beginbfchar\n", cs.len()));
            for (i, c) in cs.iter().enumerate() {
                let cid = b * 100 + i + 1;
                let mut units = [0u16; 2];
                let u: String = c
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                cmap.push_str(&format!("<{cid:04X}> <{u}>\n"));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        let to_unicode = self
            .doc
            .add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
        let descriptor = self.doc.add_object(dictionary! {
            "Type" => "FontDescriptor", "FontName" => "SimSun", "Flags" => 4,
            "FontBBox" => vec![0.into(), (-120).into(), 1000.into(), 880.into()],
            "ItalicAngle" => 0, "Ascent" => 880, "Descent" => -120, "CapHeight" => 700, "StemV" => 80,
        });
        let cid_font = self.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "SimSun",
            "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"), "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
            "FontDescriptor" => descriptor, "DW" => 1000,
        });
        self.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "SimSun",
            "Encoding" => "Identity-H", "DescendantFonts" => vec![cid_font.into()],
            "ToUnicode" => to_unicode,
        })
    }
}

pub fn latin(lines: &[&str]) -> PageText {
    PageText::Latin(lines.iter().map(|s| s.to_string()).collect())
}

pub fn chinese(lines: &[&str]) -> PageText {
    PageText::Chinese(lines.iter().map(|s| s.to_string()).collect())
}

/// A DOCX with a heading style whose id is localised (as German Word writes it)
/// and a table.
pub fn docx(path: &Path, body: &str) {
    use std::io::Write;
    let f = std::fs::File::create(path).expect("create docx");
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("[Content_Types].xml", opts).unwrap();
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#).unwrap();
    z.start_file("word/styles.xml", opts).unwrap();
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style></w:styles>"#).unwrap();
    z.start_file("word/document.xml", opts).unwrap();
    z.write_all(format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#).as_bytes()).unwrap();
    z.finish().unwrap();
}

pub fn docx_heading(level: u8, text: &str) -> String {
    format!(
        r#"<w:p><w:pPr><w:pStyle w:val="berschrift{level}"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
    )
}

pub fn docx_para(text: &str) -> String {
    format!(r#"<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
}

pub fn docx_table(rows: &[&[&str]]) -> String {
    let mut s = String::from("<w:tbl>");
    for r in rows {
        s.push_str("<w:tr>");
        for c in *r {
            s.push_str(&format!(
                "<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>"
            ));
        }
        s.push_str("</w:tr>");
    }
    s.push_str("</w:tbl>");
    s
}
