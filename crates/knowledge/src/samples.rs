//! Documents as engineers have them, made on the spot for the tests and for
//! `millwright bench docs`: a Chinese PDF in a predefined CMap (no ToUnicode,
//! as Chinese standards are written), a scan of a text page (drawn by poppler
//! and saved as an image-only PDF), a password-protected copy.

use std::path::Path;
use std::process::Command;

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};

/// A page of lines, in Helvetica or, with `chinese`, in the standard
/// `STSong-Light` through the predefined `UniGB-UCS2-H` CMap.
pub struct Page<'a> {
    pub lines: &'a [&'a str],
    pub chinese: bool,
}

/// Writes an A4 PDF of `pages`.
pub fn text_pdf(path: &Path, pages: &[Page]) -> Result<(), String> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let helv = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let song_cid = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "CIDFontType0", "BaseFont" => "STSong-Light",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("GB1"), "Supplement" => 4,
        },
        // Chinese full width; ASCII (CIDs 1–95 in Adobe-GB1) half width, as
        // Chinese documents set tag names and numbers.
        "DW" => 1000,
        "W" => vec![1.into(), 95.into(), 500.into()],
    });
    let song = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "STSong-Light-UniGB-UCS2-H",
        "Encoding" => "UniGB-UCS2-H", "DescendantFonts" => vec![song_cid.into()],
    });
    let mut kids = Vec::new();
    for page in pages {
        let mut ops = vec![Operation::new("BT", vec![])];
        let font = if page.chinese { "F2" } else { "F1" };
        ops.push(Operation::new("Tf", vec![font.into(), 12.into()]));
        let mut y = 780;
        for line in page.lines {
            ops.push(Operation::new(
                "Tm",
                vec![1.into(), 0.into(), 0.into(), 1.into(), 56.into(), y.into()],
            ));
            let text = if page.chinese {
                let units: Vec<u8> = line.encode_utf16().flat_map(u16::to_be_bytes).collect();
                Object::String(units, lopdf::StringFormat::Hexadecimal)
            } else {
                Object::string_literal(*line)
            };
            ops.push(Operation::new("Tj", vec![text]));
            y -= 18;
        }
        ops.push(Operation::new("ET", vec![]));
        let fonts = dictionary! { "Font" => dictionary! { "F1" => helv, "F2" => song } };
        kids.push(add_page(&mut doc, pages_id, ops, (595.0, 842.0), fonts)?.into());
    }
    save(doc, pages_id, kids, path)
}

/// A page of `size` (points) drawing `ops` with `resources`.
fn add_page(
    doc: &mut Document,
    pages_id: lopdf::ObjectId,
    ops: Vec<Operation>,
    size: (f32, f32),
    resources: lopdf::Dictionary,
) -> Result<lopdf::ObjectId, String> {
    let content = Content { operations: ops }
        .encode()
        .map_err(|e| e.to_string())?;
    let content_id = doc.add_object(Stream::new(dictionary! {}, content));
    Ok(doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "MediaBox" => vec![0.into(), 0.into(), size.0.into(), size.1.into()],
        "Resources" => resources,
    }))
}

fn save(
    mut doc: Document,
    pages_id: lopdf::ObjectId,
    kids: Vec<Object>,
    path: &Path,
) -> Result<(), String> {
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let id = Object::string_literal("millwright-sample");
    doc.trailer.set("ID", vec![id.clone(), id]);
    doc.save(path)
        .map(|_| ())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A scan of `pdf`: every page drawn by poppler at `dpi`, saved as
/// JPEG images in an image-only PDF at `out` (as a scanner writes one).
pub fn scan(pdf: &Path, out: &Path, dpi: u32) -> Result<(), String> {
    let tmp = out.with_extension("scan-pages");
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let status = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-jpeg"])
        .arg(pdf)
        .arg(tmp.join("p"))
        .status()
        .map_err(|e| format!("pdftoppm: {e} (install poppler-utils)"))?;
    if !status.success() {
        return Err(format!("pdftoppm could not draw {}", pdf.display()));
    }
    let mut files: Vec<_> = std::fs::read_dir(&tmp)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for f in &files {
        let jpeg = std::fs::read(f).map_err(|e| e.to_string())?;
        let (w, h, comps) = jpeg_frame(&jpeg).ok_or("pdftoppm wrote no JPEG")?;
        // pdftoppm writes colour JPEGs even of grey pages.
        let space = if comps == 1 {
            "DeviceGray"
        } else {
            "DeviceRGB"
        };
        let img = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64,
                "Height" => h as i64, "ColorSpace" => space,
                "BitsPerComponent" => 8, "Filter" => "DCTDecode",
            },
            jpeg,
        ));
        // The page as large as the image at `dpi`, in points.
        let (pw, ph) = (w as f32 * 72.0 / dpi as f32, h as f32 * 72.0 / dpi as f32);
        let ops = vec![
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![pw.into(), 0.into(), 0.into(), ph.into(), 0.into(), 0.into()],
            ),
            Operation::new("Do", vec!["Im0".into()]),
            Operation::new("Q", vec![]),
        ];
        let images = dictionary! { "XObject" => dictionary! { "Im0" => img } };
        kids.push(add_page(&mut doc, pages_id, ops, (pw, ph), images)?.into());
    }
    let _ = std::fs::remove_dir_all(&tmp);
    save(doc, pages_id, kids, out)
}

/// Width, height and colour components from a JPEG's start-of-frame marker.
fn jpeg_frame(b: &[u8]) -> Option<(u16, u16, u8)> {
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        if matches!(marker, 0xC0..=0xC3) {
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]);
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]);
            return Some((w, h, b[i + 9]));
        }
        i += 2 + len;
    }
    None
}

/// A copy of `pdf` that opens only with `password` (RC4, 128 bits).
pub fn encrypt(pdf: &Path, out: &Path, password: &str) -> Result<(), String> {
    use lopdf::{EncryptionState, EncryptionVersion, Permissions};
    let mut doc = Document::load(pdf).map_err(|e| e.to_string())?;
    let version = EncryptionVersion::V2 {
        document: &doc,
        owner_password: password,
        user_password: password,
        key_length: 128,
        permissions: Permissions::all(),
    };
    let state = EncryptionState::try_from(version).map_err(|e| e.to_string())?;
    doc.encrypt(&state).map_err(|e| e.to_string())?;
    doc.save(out)
        .map(|_| ())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))
}
