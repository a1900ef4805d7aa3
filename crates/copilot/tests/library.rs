//! The verified snippet library: every block checks clean and passes its
//! hand-written vectors in the simulator, a wrong expectation is caught, and
//! every block is described in English and Chinese.

use millwright_copilot::library::{self, Snippet};
use millwright_iec61131::diagnostics::LineIndex;
use millwright_iec61131::sim::{self, vectors, Report, Vectors};
use millwright_iec61131::Severity;
use serde_json::Value as Json;

fn run(s: &Snippet, v: &Vectors) -> Report {
    let prog = sim::load(&[s.code])
        .unwrap_or_else(|e| panic!("{}: does not check: {:?}", s.name, e.0[0].diagnostics));
    assert!(prog.errors.is_empty(), "{}: {:?}", s.name, prog.errors);
    let index = LineIndex::new(s.code);
    vectors::run(&prog, v, &|sp| index.line_col(sp.start as usize))
        .unwrap_or_else(|e| panic!("{}: bad vectors: {e:?}", s.name))
}

#[test]
fn the_library_lists_every_file_in_its_folder() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/st-library");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = library::FILES
        .iter()
        .flat_map(|f| ["json", "st", "toml"].map(|ext| format!("{}.{ext}", f.0)))
        .collect();
    listed.sort();
    assert_eq!(
        listed, on_disk,
        "library::FILES and assets/st-library disagree"
    );
    assert!(
        library::FILES.len() >= 30,
        "the issue asks for at least 30 blocks"
    );
}

#[test]
fn every_snippet_checks_clean_and_passes_its_vectors() {
    for s in library::all() {
        let parsed = millwright_iec61131::check_text(s.code);
        let errors: Vec<_> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", s.name);
        let v = Vectors::from_json(s.vectors).unwrap();
        let r = run(&s, &v);
        assert!(r.all_passed(), "{}: {r:#?}", s.name);
        assert!(
            r.steps_total >= 3,
            "{} has too few steps to mean much",
            s.name
        );
    }
}

#[test]
fn a_changed_expectation_is_reported() {
    for s in library::all() {
        let mut v = Vectors::from_json(s.vectors).unwrap();
        let case = v.cases.len() - 1;
        let step = v.cases[case].steps.len() - 1;
        let expect = &mut v.cases[case].steps[step].expect;
        let (var, value) = expect
            .iter_mut()
            .find(|(_, x)| x.is_boolean() || x.is_number())
            .unwrap_or_else(|| panic!("{}: the last step expects no boolean or number", s.name));
        *value = match value {
            Json::Bool(b) => Json::Bool(!*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => serde_json::json!(i + 1),
                None => serde_json::json!(n.as_f64().unwrap() + 1.0),
            },
            _ => unreachable!(),
        };
        let var = var.clone();
        let r = run(&s, &v);
        let failed = &r.cases[case];
        assert!(
            !failed.passed,
            "{}: the changed {var} went unnoticed",
            s.name
        );
        assert_eq!(failed.failures[0].variable, var, "{}", s.name);
        assert_eq!(failed.failures[0].step, step + 1, "{}", s.name);
    }
}

#[test]
fn every_snippet_is_described_in_english_and_chinese() {
    let cjk = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for s in library::all() {
        let m = &s.meta;
        assert!(
            m.title_en.len() > 5 && m.description_en.len() > 40,
            "{}",
            s.name
        );
        assert!(cjk(&m.title_zh) && cjk(&m.description_zh), "{}", s.name);
        assert!(m.tags.len() >= 3, "{}", s.name);
        assert!(
            s.code.contains("(*"),
            "{}: say what the block does in a comment",
            s.name
        );
    }
}
