//! IO lists (CSV or Excel) to global variable declarations, deterministically:
//! columns recognised by their usual names (English and Chinese), every row
//! checked, bad rows reported with their numbers and never guessed.

use std::collections::HashMap;
use std::path::Path;

use millwright_iec61131::sema::types::Ty;

/// One signal of an IO list.
#[derive(Debug, Clone, PartialEq)]
pub struct IoEntry {
    /// The row in the file (from 1, the header included), for messages.
    pub row: usize,
    pub tag: String,
    /// `%IX0.0`, upper case.
    pub address: String,
    /// The IEC type as written (`BOOL`, `INT` …), upper case.
    pub ty: String,
    pub description: String,
}

impl IoEntry {
    /// Inputs are read by the program, outputs written, memory both.
    pub fn direction(&self) -> Direction {
        match self.address.as_bytes().get(1) {
            Some(b'I') => Direction::Input,
            Some(b'Q') => Direction::Output,
            _ => Direction::Memory,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Input,
    Output,
    Memory,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IoList {
    pub entries: Vec<IoEntry>,
    /// Which header named each recognised column: ("tag", "Signal name") …
    pub columns: Vec<(&'static str, String)>,
    /// Headers that were not used.
    pub ignored: Vec<String>,
}

/// A row that could not be read, or the file as a whole (`row` 0).
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "row {}: {}", self.row, self.message)
        }
    }
}

/// Header spellings of each column, compared without case, spaces, `_` or `-`.
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "tag",
        &[
            "tag",
            "tagname",
            "name",
            "symbol",
            "variable",
            "varname",
            "signal",
            "signalname",
            "位号",
            "变量",
            "变量名",
            "名称",
            "信号",
            "信号名",
            "符号",
        ],
    ),
    (
        "address",
        &[
            "address",
            "addr",
            "ioaddress",
            "plcaddress",
            "io",
            "location",
            "地址",
            "io地址",
            "plc地址",
            "通道",
        ],
    ),
    (
        "type",
        &[
            "type",
            "datatype",
            "iectype",
            "plctype",
            "dtype",
            "类型",
            "数据类型",
        ],
    ),
    (
        "description",
        &[
            "description",
            "desc",
            "comment",
            "remark",
            "remarks",
            "text",
            "function",
            "描述",
            "说明",
            "注释",
            "备注",
            "功能",
        ],
    ),
];

fn normalise(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads an IO list from a `.csv` (comma, semicolon or tab separated) or an
/// Excel workbook (`.xlsx`, `.xls`, `.ods`: the first sheet).
pub fn read(path: &Path) -> Result<IoList, Vec<RowError>> {
    let file_err = |m: String| vec![RowError { row: 0, message: m }];
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let rows = match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => read_workbook(path).map_err(file_err)?,
        "csv" | "txt" | "tsv" => {
            let bytes = std::fs::read(path)
                .map_err(|e| file_err(format!("cannot read {}: {e}", path.display())))?;
            let (text, _) = millwright_iec61131::source::decode(&bytes);
            read_csv(&text).map_err(file_err)?
        }
        _ => {
            return Err(file_err(format!(
                "{}: an IO list must be .csv or .xlsx (or .xls, .ods)",
                path.display()
            )))
        }
    };
    parse_rows(&rows)
}

/// An IO list given as CSV text (the evaluation's tasks carry theirs inline).
pub fn from_csv_text(text: &str) -> Result<IoList, Vec<RowError>> {
    let rows = read_csv(text).map_err(|m| vec![RowError { row: 0, message: m }])?;
    parse_rows(&rows)
}

fn read_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let first = text.lines().next().unwrap_or_default();
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| first.matches(*d as char).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.map(|rec| rec.iter().map(|c| c.trim().to_string()).collect())
                .map_err(|e| format!("not readable as CSV: {e}"))
        })
        .collect()
}

fn read_workbook(path: &Path) -> Result<Vec<Vec<String>>, String> {
    use calamine::{open_workbook_auto, Data, Reader};
    let mut wb = open_workbook_auto(path)
        .map_err(|e| format!("cannot open {} as a workbook: {e}", path.display()))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| format!("{} has no sheet", path.display()))?
        .map_err(|e| format!("cannot read the first sheet of {}: {e}", path.display()))?;
    Ok(range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string().trim().to_string(),
                })
                .collect()
        })
        .collect())
}

/// Rows of cells (the first non-empty one the header) to a checked IO list.
pub fn parse_rows(rows: &[Vec<String>]) -> Result<IoList, Vec<RowError>> {
    let Some(header_at) = rows.iter().position(|r| r.iter().any(|c| !c.is_empty())) else {
        return Err(vec![RowError {
            row: 0,
            message: "the IO list is empty".into(),
        }]);
    };
    let header = &rows[header_at];
    let mut col: HashMap<&'static str, usize> = HashMap::new();
    let mut columns = Vec::new();
    let mut ignored = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let n = normalise(h);
        match COLUMNS
            .iter()
            .find(|(key, names)| !col.contains_key(key) && names.contains(&n.as_str()))
        {
            Some((key, _)) => {
                col.insert(key, i);
                columns.push((*key, h.clone()));
            }
            None if !h.is_empty() => ignored.push(h.clone()),
            None => {}
        }
    }
    let missing: Vec<&str> = ["tag", "address", "type"]
        .into_iter()
        .filter(|k| !col.contains_key(k))
        .collect();
    if !missing.is_empty() {
        return Err(vec![RowError {
            row: header_at + 1,
            message: format!(
                "no {} column in the header ({}); name them e.g. Tag, Address, Type, Description",
                missing.join(", "),
                header.join(", ")
            ),
        }]);
    }
    fn cell<'r>(col: &HashMap<&str, usize>, r: &'r [String], k: &str) -> &'r str {
        col.get(k).and_then(|&i| r.get(i)).map_or("", |s| s.trim())
    }
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut by_address: HashMap<String, usize> = HashMap::new();
    let mut by_tag: HashMap<String, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate().skip(header_at + 1) {
        let row = i + 1;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let (tag, address, ty) = (
            cell(&col, r, "tag"),
            cell(&col, r, "address"),
            cell(&col, r, "type"),
        );
        let mut bad = |m: String| errors.push(RowError { row, message: m });
        if !is_identifier(tag) {
            bad(format!(
                "tag {tag:?} is not a valid IEC identifier (letters, digits and _; not starting with a digit)"
            ));
            continue;
        }
        let ty_up = ty.to_ascii_uppercase();
        let Some(t) = Ty::elementary(&ty_up) else {
            bad(format!("{tag}: unknown type {ty:?}; use an elementary IEC type such as BOOL, INT, WORD or REAL"));
            continue;
        };
        let addr = address.to_ascii_uppercase().replace(' ', "");
        if let Err(m) = check_address(&addr, &t) {
            bad(format!("{tag}: address {address:?}: {m}"));
            continue;
        }
        if let Some(first) = by_address.insert(addr.clone(), row) {
            bad(format!(
                "{tag}: address {addr} is already used in row {first}"
            ));
            continue;
        }
        if let Some(first) = by_tag.insert(tag.to_ascii_uppercase(), row) {
            bad(format!("tag {tag} is already declared in row {first}"));
            continue;
        }
        entries.push(IoEntry {
            row,
            tag: tag.to_string(),
            address: addr,
            ty: ty_up,
            description: cell(&col, r, "description").to_string(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if entries.is_empty() {
        return Err(vec![RowError {
            row: 0,
            message: "the IO list has a header but no signals".into(),
        }]);
    }
    Ok(IoList {
        entries,
        columns,
        ignored,
    })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.contains("__")
}

/// `%IX0.0`, `%QW4`, `%MD10`, `%I0.1` (bit); the size letter must fit the type.
fn check_address(a: &str, t: &Ty) -> Result<(), String> {
    let rest = a
        .strip_prefix('%')
        .ok_or("a direct address starts with % (e.g. %IX0.0)")?;
    let mut chars = rest.chars();
    if !matches!(chars.next(), Some('I' | 'Q' | 'M')) {
        return Err("the area must be I (input), Q (output) or M (memory)".into());
    }
    let after_area = &rest[1..];
    let (size, numbers) = match after_area.chars().next() {
        Some(c @ ('X' | 'B' | 'W' | 'D' | 'L')) => (c, &after_area[1..]),
        _ => ('X', after_area),
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 9)
    {
        return Err("the address numbers are malformed".into());
    }
    let bits = match size {
        'X' => {
            if parts.len() < 2 {
                return Err("a bit address needs byte.bit, e.g. %IX0.3".into());
            }
            if parts
                .last()
                .and_then(|b| b.parse::<u32>().ok())
                .is_none_or(|b| b > 7)
            {
                return Err("the bit number must be 0 to 7".into());
            }
            1
        }
        'B' => 8,
        'W' => 16,
        'D' => 32,
        _ => 64,
    };
    if size != 'X' && parts.len() != 1 {
        return Err(format!("a {size} address has one number, e.g. %I{size}4"));
    }
    let type_bits = match t {
        Ty::Bool => 1,
        Ty::Int { bits, .. } | Ty::Bits(bits) => *bits as u32,
        Ty::Real => 32,
        Ty::LReal => 64,
        Ty::Time | Ty::Date | Ty::TimeOfDay | Ty::DateAndTime => 32,
        Ty::LTime => 64,
        _ => return Err(format!("{t} cannot be located at an IO address")),
    };
    if type_bits != bits {
        return Err(format!(
            "a {t} takes {type_bits} bit(s), the address {}",
            match bits {
                1 => "one bit".to_string(),
                b => format!("{b} bits"),
            }
        ));
    }
    Ok(())
}

/// The IO list as a `VAR_GLOBAL` list with located variables and the
/// descriptions as comments.
pub fn to_gvl(list: &IoList, name: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(n) = name {
        out.push_str(&format!(
            "(* Global variable list {n}, generated from an IO list *)\n"
        ));
    }
    out.push_str("VAR_GLOBAL\n");
    let width = list.entries.iter().map(|e| e.tag.len()).max().unwrap_or(0);
    for e in &list.entries {
        let decl = format!("    {:<width$} AT {} : {};", e.tag, e.address, e.ty);
        if e.description.is_empty() {
            out.push_str(&decl);
        } else {
            // `*)` would end the comment early.
            let text = e.description.replace("*)", "* )").replace("(*", "( *");
            out.push_str(&format!("{decl} (* {text} *)"));
        }
        out.push('\n');
    }
    out.push_str("END_VAR\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        read_csv(text).unwrap()
    }

    #[test]
    fn columns_are_recognised_in_their_usual_spellings() {
        let l = parse_rows(&rows(
            "Signal Name;PLC Address;Data_Type;Comment;Cabinet\nxStart;%IX0.0;BOOL;Start button;A1\nwSpeed;%QW4;WORD;Speed setpoint;A1\n",
        ))
        .unwrap();
        assert_eq!(
            l.columns.iter().map(|c| c.0).collect::<Vec<_>>(),
            ["tag", "address", "type", "description"]
        );
        assert_eq!(l.ignored, ["Cabinet"]);
        assert_eq!(l.entries[1].direction(), Direction::Output);
        let zh = parse_rows(&rows(
            "位号,地址,数据类型,描述\nM1_Run,%QX0.1,BOOL,电机运行\n",
        ))
        .unwrap();
        assert_eq!(zh.entries[0].description, "电机运行");
    }

    #[test]
    fn bad_rows_are_reported_with_their_numbers() {
        let errs = parse_rows(&rows(
            "Tag,Address,Type\nxOk,%IX0.0,BOOL\n1bad,%IX0.1,BOOL\nxType,%IX0.2,BOOLEAN\nxAddr,IX0.3,BOOL\nxBit,%IX0.9,BOOL\nwSize,%IX1.0,WORD\nxDup,%IX0.0,BOOL\nxOk,%IX0.4,BOOL\n",
        ))
        .unwrap_err();
        let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.row, e.message.as_str())).collect();
        assert_eq!(got.len(), 7, "{got:#?}");
        assert_eq!(got[0].0, 3);
        assert!(got[1].1.contains("unknown type \"BOOLEAN\""), "{got:?}");
        assert!(got[2].1.contains("starts with %"), "{got:?}");
        assert!(got[3].1.contains("0 to 7"), "{got:?}");
        assert!(got[4].1.contains("WORD takes 16"), "{got:?}");
        assert!(got[5].1.contains("already used in row 2"), "{got:?}");
        assert!(got[6].1.contains("already declared in row 2"), "{got:?}");
        let e = parse_rows(&rows("Name,Comment\nx,y\n")).unwrap_err();
        assert!(e[0].message.contains("no address, type column"), "{e:?}");
    }

    #[test]
    fn the_gvl_checks_clean() {
        let l = parse_rows(&rows(
            "Tag,Address,Type,Description\nxStart,%IX0.0,BOOL,Start (*NO*)\nrLevel,%ID8,REAL,\niCount,%MW2,INT,Counter\n",
        ))
        .unwrap();
        let gvl = to_gvl(&l, Some("GVL_IO"));
        assert!(
            gvl.contains("xStart AT %IX0.0 : BOOL; (* Start ( *NO* ) *)"),
            "{gvl}"
        );
        let parsed = millwright_iec61131::check_text(&gvl);
        assert!(
            parsed.diagnostics.is_empty(),
            "{:?}\n{gvl}",
            parsed.diagnostics
        );
    }

    #[test]
    fn excel_workbooks_are_read_like_csv() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("io.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheet = wb.add_worksheet();
        let rows = [
            ["Tag", "Address", "Type", "Description"],
            ["xStart", "%IX0.0", "BOOL", "Start"],
            ["iSpeed", "%IW2", "INT", "Speed"],
            ["bad tag", "%QX0.0", "BOOL", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
        wb.save(&path).unwrap();
        let errs = read(&path).unwrap_err();
        assert_eq!((errs.len(), errs[0].row), (1, 4), "{errs:?}");
        sheet_without_the_bad_row(&path);
        let l = read(&path).unwrap();
        assert_eq!(l.entries.len(), 2);
        assert_eq!(
            (l.entries[1].address.as_str(), l.entries[1].ty.as_str()),
            ("%IW2", "INT")
        );
        let e = read(&dir.path().join("io.pdf")).unwrap_err();
        assert!(e[0].message.contains(".csv or .xlsx"), "{e:?}");
    }

    fn sheet_without_the_bad_row(path: &Path) {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheet = wb.add_worksheet();
        sheet.write_string(0, 0, "Name").unwrap();
        sheet.write_string(0, 1, "IO Address").unwrap();
        sheet.write_string(0, 2, "Data type").unwrap();
        sheet.write_string(1, 0, "xStart").unwrap();
        sheet.write_string(1, 1, "%IX0.0").unwrap();
        sheet.write_string(1, 2, "BOOL").unwrap();
        sheet.write_string(2, 0, "iSpeed").unwrap();
        sheet.write_string(2, 1, "%IW2").unwrap();
        sheet.write_string(2, 2, "int").unwrap();
        wb.save(path).unwrap();
    }
}
