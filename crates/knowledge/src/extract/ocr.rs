//! Text from pages that have none: the page drawn by poppler's `pdftoppm` at
//! 300 dpi and read by Tesseract, each a child process under a time limit, so
//! a page that hangs or crashes either costs that page only.

use std::cmp::Reverse;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use super::child::{self, os, Failure};

/// The languages read, where their data is installed: the users' documents are
/// English, German and Chinese. Tesseract reads them together in one pass at
/// the cost of one (measured: 3.1 s a page for the three, 3.2 s for English and
/// German alone, single-threaded); a page where Chinese is seen is read a
/// second time in Chinese alone (see `recognise`).
const LANGUAGES: &[&str] = &["eng", "deu", CHINESE];
const CHINESE: &str = "chi_sim";
pub const DPI: u32 = 300;
/// For drawing one page, and for recognising one.
pub const PAGE_LIMIT: Duration = Duration::from_secs(120);
const MAX_IMAGE_BYTES: u64 = 256 << 20;

/// A recognised page: its text and Tesseract's mean word confidence (0–100).
#[derive(Debug, Clone, PartialEq)]
pub struct OcrText {
    pub text: String,
    pub confidence: f32,
}

/// The `-l` argument: the wanted languages that are installed, or why none.
pub fn languages() -> Result<&'static str, String> {
    static LANGS: OnceLock<Result<String, String>> = OnceLock::new();
    LANGS
        .get_or_init(|| {
            let out = child::run(
                "tesseract",
                &[os("--list-langs")],
                None,
                Duration::from_secs(20),
                1 << 16,
                &[],
            )
            .map_err(|e| describe("tesseract", e))?;
            let listed = String::from_utf8_lossy(&out.stdout).into_owned() + &out.stderr;
            let have: Vec<&str> = LANGUAGES
                .iter()
                .copied()
                .filter(|l| listed.lines().any(|x| x.trim() == *l))
                .collect();
            if have.is_empty() {
                return Err("Tesseract has no English, German or Chinese language data; install tesseract-ocr-eng, tesseract-ocr-deu, tesseract-ocr-chi-sim (`cargo xtask setup` does)".into());
            }
            Ok(have.join("+"))
        })
        .as_ref()
        .map(String::as_str)
        .map_err(Clone::clone)
}

/// Page `page` (1-based) of the PDF at `path`.
pub fn pdf_page(path: &Path, page: u32) -> Result<OcrText, String> {
    let n = page.to_string();
    let dpi = DPI.to_string();
    let args = [
        os("-r"),
        os(&dpi),
        os("-gray"),
        os("-png"),
        os("-f"),
        os(&n),
        os("-l"),
        os(&n),
        os("-singlefile"),
        path.as_os_str(),
    ];
    let png = child::run("pdftoppm", &args, None, PAGE_LIMIT, MAX_IMAGE_BYTES, &[])
        .map_err(|e| describe("pdftoppm", e))?;
    if !png.status.success() || !png.stdout.starts_with(b"\x89PNG") {
        return Err(format!(
            "pdftoppm could not draw it{}",
            child::tail(&png.stderr)
        ));
    }
    let mut pages = recognise(os("stdin"), Some(png.stdout))?;
    Ok(pages.pop().map(|(_, t)| t).unwrap_or(OcrText {
        text: String::new(),
        confidence: 0.0,
    }))
}

/// An image file (PNG, JPEG, TIFF — every page of a multi-page TIFF), by page.
pub fn image(path: &Path) -> Result<Vec<(u32, OcrText)>, String> {
    recognise(path.as_os_str(), None)
}

fn recognise(
    input: &std::ffi::OsStr,
    bytes: Option<Vec<u8>>,
) -> Result<Vec<(u32, OcrText)>, String> {
    let langs = languages()?;
    let both = langs != CHINESE && langs.split('+').any(|l| l == CHINESE);
    let second_input = if both { bytes.clone() } else { None };
    let mut found = words(&tesseract(input, bytes, langs)?);
    // Read with the Latin models alongside, Tesseract turns whole Chinese lines
    // into Latin garbage of low confidence (measured: CER 52 % on a Chinese
    // page, against 4 % by Chinese alone, which in turn misreads tag names and
    // units). So a page where Chinese was seen is read again in Chinese only,
    // and each word takes the reading Tesseract is surer of.
    let cjk = found
        .iter()
        .flat_map(|w| w.text.chars())
        .filter(|c| is_cjk(*c))
        .count();
    if both && cjk >= 2 {
        // The first reading stands if the second cannot be had.
        if let Ok(tsv) = tesseract(input, second_input, CHINESE) {
            found = merge(found, &words(&tsv));
        }
    }
    Ok(render(&found))
}

fn tesseract(
    input: &std::ffi::OsStr,
    bytes: Option<Vec<u8>>,
    langs: &str,
) -> Result<String, String> {
    let args = [
        input,
        os("stdout"),
        os("-l"),
        os(langs),
        os("--psm"),
        os("3"),
        os("tsv"),
    ];
    // One thread: on two cores OpenMP's threads made a page 1.7× slower.
    let out = child::run(
        "tesseract",
        &args,
        bytes,
        PAGE_LIMIT,
        64 << 20,
        &[("OMP_THREAD_LIMIT", "1")],
    )
    .map_err(|e| describe("tesseract", e))?;
    if !out.status.success() {
        return Err(format!(
            "tesseract exited with status {}{}",
            out.status.code().unwrap_or(-1),
            child::tail(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(program: &str, f: Failure) -> String {
    match f {
        Failure::Missing => format!(
            "{program} is not installed; install {} (`cargo xtask setup` does) or turn OCR off",
            if program == "tesseract" {
                "tesseract-ocr"
            } else {
                "poppler-utils"
            }
        ),
        Failure::TimedOut(d) => format!("{program} did not finish within {} s", d.as_secs()),
        Failure::Broken(e) => e,
    }
}

/// One recognised word of Tesseract's TSV.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    /// Page, block, paragraph, line.
    at: (u32, u32, u32, u32),
    /// Left, top, width, height in pixels.
    bbox: (u32, u32, u32, u32),
    /// 0–100, or negative where Tesseract gave none.
    conf: f64,
    text: String,
}

/// Tesseract's TSV (one row per word: level, page, block, paragraph, line,
/// word, box, confidence, text), its word rows.
fn words(tsv: &str) -> Vec<Word> {
    let mut out = Vec::new();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let num = |i: usize| f[i].parse::<u32>().unwrap_or(0);
        let text = f[11].trim();
        if text.is_empty() {
            continue;
        }
        out.push(Word {
            at: (num(1), num(2), num(3), num(4)),
            bbox: (num(6), num(7), num(8), num(9)),
            conf: f[10].parse().unwrap_or(-1.0),
            text: text.to_string(),
        });
    }
    out
}

/// Each word of `first` that `second` read with more confidence, replaced by
/// the words of `second` that fall in it (as one word, with their mean
/// confidence). `first` keeps the layout. A word of `second` falls in the
/// word of `first` it overlaps most, and in none if that is under half its
/// area: Tesseract's boxes overlap, and a word counted twice is read twice.
fn merge(mut first: Vec<Word>, second: &[Word]) -> Vec<Word> {
    let overlap = |a: &Word, b: &Word| -> u64 {
        let span = |a0: u32, al: u32, b0: u32, bl: u32| {
            u64::from((a0 + al).min(b0 + bl).saturating_sub(a0.max(b0)))
        };
        if a.at.0 != b.at.0 {
            return 0;
        }
        span(a.bbox.0, a.bbox.2, b.bbox.0, b.bbox.2) * span(a.bbox.1, a.bbox.3, b.bbox.1, b.bbox.3)
    };
    let mut groups: Vec<Vec<&Word>> = vec![Vec::new(); first.len()];
    for x in second {
        let area = u64::from(x.bbox.2) * u64::from(x.bbox.3);
        // Of equal overlaps, the smaller word: the one that is about `x`.
        let home = (0..first.len())
            .map(|i| {
                let size = u64::from(first[i].bbox.2) * u64::from(first[i].bbox.3);
                (overlap(&first[i], x), Reverse(size), i)
            })
            .max()
            .filter(|&(o, _, _)| o > 0 && 2 * o >= area);
        if let Some((_, _, i)) = home {
            groups[i].push(x);
        }
    }
    for (w, inside) in first.iter_mut().zip(groups) {
        if inside.is_empty() {
            continue;
        }
        let conf = inside.iter().map(|x| x.conf.max(0.0)).sum::<f64>() / inside.len() as f64;
        if conf > w.conf {
            let mut text = String::new();
            for x in &inside {
                join(&mut text, &x.text);
            }
            w.text = text;
            w.conf = conf;
        }
    }
    first
}

/// Words to text by page: lines as lines, paragraphs apart by a blank line, no
/// space between two Chinese words (a space would split what the Chinese
/// tokenizer segments); and the page's mean word confidence.
fn render(words: &[Word]) -> Vec<(u32, OcrText)> {
    let mut pages: Vec<(u32, OcrText, f64, u32)> = Vec::new();
    let mut last: Option<(u32, u32, u32, u32)> = None;
    for w in words {
        let page = w.at.0;
        if pages.last().is_none_or(|p| p.0 != page) {
            let empty = OcrText {
                text: String::new(),
                confidence: 0.0,
            };
            pages.push((page, empty, 0.0, 0));
            last = None;
        }
        let entry = pages.last_mut().expect("pushed");
        let text = &mut entry.1.text;
        match last {
            Some(prev) if prev == w.at => join(text, &w.text),
            Some(prev) => {
                text.push('\n');
                if (prev.1, prev.2) != (w.at.1, w.at.2) {
                    text.push('\n');
                }
                text.push_str(&w.text);
            }
            None => text.push_str(&w.text),
        }
        last = Some(w.at);
        if w.conf >= 0.0 {
            entry.2 += w.conf;
            entry.3 += 1;
        }
    }
    pages
        .into_iter()
        .map(|(page, mut t, sum, n)| {
            t.confidence = if n == 0 { 0.0 } else { (sum / n as f64) as f32 };
            (page, t)
        })
        .collect()
}

/// Appends a word to a line: after a space, except between Chinese words.
fn join(line: &mut String, word: &str) {
    let cjk_pair =
        line.chars().next_back().is_some_and(is_cjk) && word.chars().next().is_some_and(is_cjk);
    if !line.is_empty() && !cjk_pair {
        line.push(' ');
    }
    line.push_str(word);
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_rows_become_lines_paragraphs_and_a_mean_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            1\t1\t0\t0\t0\t0\t0\t0\t10\t10\t-1\t\n\
            5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tPump\n\
            5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\tP-101\n\
            5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t70\tstarts\n\
            5\t1\t1\t2\t1\t1\t0\t0\t1\t1\t60\t温度\n\
            5\t1\t1\t2\t1\t2\t0\t0\t1\t1\t100\t传感器\n\
            5\t2\t1\t1\t1\t1\t0\t0\t1\t1\t50\tTwo\n";
        let pages = render(&words(tsv));
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].0, 1);
        assert_eq!(pages[0].1.text, "Pump P-101\nstarts\n\n温度传感器");
        assert!((pages[0].1.confidence - 80.0).abs() < 1e-3);
        assert_eq!(pages[1].1.text, "Two");
    }

    fn word(line: u32, left: u32, width: u32, conf: f64, text: &str) -> Word {
        Word {
            at: (1, 1, 1, line),
            bbox: (left, 100 * line, width, 40),
            conf,
            text: text.into(),
        }
    }

    #[test]
    fn a_word_takes_the_surer_reading_of_the_words_inside_it() {
        // As Tesseract read a mixed line with and without the Latin models.
        let first = vec![
            word(1, 0, 140, 45.0, "Sate"),
            word(1, 170, 70, 80.0, "T-1"),
            word(1, 290, 90, 84.0, "液位"),
            // A box Tesseract drew over its neighbours.
            word(1, 290, 400, 95.0, "高于"),
        ];
        let second = vec![
            word(1, 0, 60, 93.0, "当"),
            word(1, 60, 40, 82.0, "储"),
            word(1, 100, 30, 0.0, "罐"),
            word(1, 180, 20, 89.0, "下"),
            word(1, 220, 20, 57.0, "1"),
            word(1, 290, 90, 90.0, "液位"),
            word(1, 500, 60, 60.0, "高于"),
            word(2, 0, 90, 99.0, "elsewhere"),
        ];
        let merged = render(&merge(first, &second));
        // "Sate" (45) gives way to 当储罐 (mean 58); "T-1" (80) stays against
        // "下 1" (73); 液位 is taken by the smaller box only, once; the
        // Chinese words join without a space.
        assert_eq!(merged[0].1.text, "当储罐 T-1 液位高于");
    }
}
