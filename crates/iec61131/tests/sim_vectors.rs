//! The simulator on realistic function blocks with hand-written test vectors
//! (`tests/fixtures/sim/NAME.st` + `NAME.json`).

use std::path::PathBuf;

use millwright_iec61131::diagnostics::LineIndex;
use millwright_iec61131::sim::{self, vectors, Report, Vectors};
use serde_json::Value as Json;

fn fixtures() -> Vec<(String, String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sim");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "st") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let st = std::fs::read_to_string(&path).unwrap();
            let json = std::fs::read_to_string(path.with_extension("json"))
                .unwrap_or_else(|_| panic!("{name}.st has no {name}.json beside it"));
            out.push((name, st, json));
        }
    }
    out.sort();
    out
}

fn run(st: &str, v: &Vectors) -> Report {
    let prog = sim::load(&[st]).unwrap_or_else(|_| panic!("{} does not load", v.pou));
    assert!(prog.errors.is_empty(), "{:?}", prog.errors);
    let index = LineIndex::new(st);
    vectors::run(&prog, v, &|s| index.line_col(s.start as usize)).unwrap()
}

#[test]
fn every_realistic_block_passes_its_vectors() {
    let all = fixtures();
    let names: Vec<&str> = all.iter().map(|f| f.0.as_str()).collect();
    for needed in ["motor", "debounce", "pumps", "pid", "fill", "ring", "sort"] {
        assert!(names.contains(&needed), "fixture {needed} is missing");
    }
    for (name, st, json) in &all {
        let v = Vectors::from_json(json).unwrap();
        let r = run(st, &v);
        assert!(r.all_passed(), "{name}: {r:#?}");
        assert!(r.steps_total >= 3, "{name} has too few steps to mean much");
    }
}

/// A wrong expectation must be caught: the last step's first boolean or
/// number is changed, and the case has to fail on exactly that variable.
#[test]
fn a_changed_expectation_is_reported() {
    for (name, st, json) in fixtures() {
        let mut v = Vectors::from_json(&json).unwrap();
        let case = v.cases.len() - 1;
        let step = v.cases[case].steps.len() - 1;
        let expect = &mut v.cases[case].steps[step].expect;
        let (var, value) = expect
            .iter_mut()
            .find(|(_, x)| x.is_boolean() || x.is_number())
            .unwrap_or_else(|| panic!("{name}: the last step expects no boolean or number"));
        *value = match value {
            Json::Bool(b) => Json::Bool(!*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => serde_json::json!(i + 1),
                None => serde_json::json!(n.as_f64().unwrap() + 1.0),
            },
            _ => unreachable!(),
        };
        let var = var.clone();
        let r = run(&st, &v);
        let failed = &r.cases[case];
        assert!(!failed.passed, "{name}: the changed {var} went unnoticed");
        assert_eq!(failed.failures[0].variable, var, "{name}");
        assert_eq!(failed.failures[0].step, step + 1, "{name}");
    }
}
