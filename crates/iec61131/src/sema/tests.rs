use super::uses::{Access, Uses};
use super::*;
use crate::parse;

fn model(src: &str) -> (Model, crate::Parsed) {
    let parsed = parse(src);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    (Model::build(&[&parsed.file]), parsed)
}

const PROJECT: &str = "\
TYPE E_Mode : (Idle, Run); END_TYPE
VAR_GLOBAL gTicks : DINT; END_VAR
FUNCTION_BLOCK TON
VAR_INPUT go : BOOL; END_VAR
VAR_OUTPUT done : BOOL; END_VAR
done := go;
END_FUNCTION_BLOCK
FUNCTION Twice : INT
VAR_INPUT x : INT; END_VAR
Twice := x * 2;
END_FUNCTION
FUNCTION_BLOCK Pump
VAR_INPUT start : BOOL; END_VAR
VAR_OUTPUT running : BOOL; END_VAR
VAR CONSTANT limit : INT := 3; END_VAR
VAR mode : E_Mode; gTicks : INT; END_VAR
running := start;
METHOD Reset : BOOL
VAR_INPUT hard : BOOL; END_VAR
Reset := hard;
END_METHOD
END_FUNCTION_BLOCK
";

#[test]
fn type_names_are_decided_in_one_order() {
    let (m, _) = model(PROJECT);
    assert_eq!(
        m.type_name("int"),
        TypeName::Elementary(Ty::Int {
            bits: 16,
            signed: true
        })
    );
    assert_eq!(m.type_name("E_MODE"), TypeName::Declared);
    assert_eq!(m.type_name("Pump"), TypeName::Pou(PouKind::FunctionBlock));
    // The project's TON shadows the standard one; TOF is still the standard's.
    assert_eq!(m.type_name("TON"), TypeName::Pou(PouKind::FunctionBlock));
    assert_eq!(m.type_name("TOF"), TypeName::StdFb);
    assert_eq!(m.type_name("Missing"), TypeName::Unknown);
}

#[test]
fn callees_are_functions_methods_or_the_standard_library() {
    let (m, _) = model(PROJECT);
    assert_eq!(m.callee("twice", "Pump"), Callee::Function);
    assert_eq!(m.callee("Reset", "Pump"), Callee::Method);
    assert_eq!(m.callee("Reset", "TON"), Callee::Unknown);
    assert_eq!(m.callee("LIMIT", "Pump"), Callee::Standard);
    assert_eq!(
        m.callee("Pump", "TON"),
        Callee::NotAFunction(PouKind::FunctionBlock)
    );
}

#[test]
fn visible_symbols_carry_types_sections_and_writability() {
    let (m, _) = model(PROJECT);
    let pump = m.visible("pump");
    let names: Vec<&str> = pump.iter().map(|s| s.name.as_str()).collect();
    // Declaration order; the local gTicks hides the global of that name.
    assert_eq!(names, ["start", "running", "limit", "mode", "gTicks"]);
    let by = |n: &str| pump.iter().find(|s| s.name == n).unwrap();
    assert!(
        !by("start").writable(),
        "an input is not the block's to write"
    );
    assert!(by("running").writable());
    assert!(!by("limit").writable(), "a CONSTANT");
    assert_eq!(by("mode").ty, Ty::User("E_MODE".into()));
    assert_eq!(
        by("gTicks").ty,
        Ty::Int {
            bits: 16,
            signed: true
        }
    );
    // A method sees its own parameters, then its block's variables.
    let reset: Vec<String> = m
        .visible("Pump.Reset")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(reset[0], "hard");
    assert!(reset.contains(&"running".to_string()));
    // Elsewhere the global is the one visible.
    let twice = m.visible("Twice");
    let g = twice.iter().find(|s| s.name == "gTicks").unwrap();
    assert_eq!(
        g.ty,
        Ty::Int {
            bits: 32,
            signed: true
        }
    );
    assert_eq!(m.pou("twice").unwrap().params()[0].0, "X");
    assert!(m.diagnostics().is_empty());
}

#[test]
fn unknown_types_are_reported_by_the_model_once_with_their_file() {
    let a = parse("FUNCTION_BLOCK A\nVAR x : Valve; END_VAR\nEND_FUNCTION_BLOCK\n");
    let b = parse("FUNCTION_BLOCK B\nVAR y : A; z : Lib.Valve; END_VAR\nEND_FUNCTION_BLOCK\n");
    let m = Model::build(&[&a.file, &b.file]);
    let d = m.diagnostics();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, 0);
    assert!(d[0].1.message.contains("Valve"));
}

#[test]
fn uses_tell_reads_writes_and_passes_apart() {
    let src = "\
FUNCTION_BLOCK F
VAR a : INT; b : INT; c : INT; d : ARRAY[0..3] OF INT; i : INT; t : TON; q : BOOL; n : INT := b; END_VAR
a := b + 1;
d[i] := a;
FOR i := 0 TO 3 DO c := c + d[i]; END_FOR
t(IN := q, Q => q);
SWAP(c);
END_FUNCTION_BLOCK
";
    let (_, parsed) = model(src);
    let crate::ast::Item::Pou(p) = &parsed.file.items[0] else {
        panic!()
    };
    let u = Uses::of(p);
    let kinds = |n: &str| u.of_name(n).iter().map(|(_, a)| *a).collect::<Vec<_>>();
    assert_eq!(kinds("a"), [Access::Write, Access::Read]);
    // `b` is read in code and in n's initial value.
    assert_eq!(kinds("B"), [Access::Read, Access::Read]);
    assert_eq!(kinds("d"), [Access::Write, Access::Read]);
    assert_eq!(
        kinds("i")[0],
        Access::Read,
        "the index is read, not written"
    );
    assert!(
        kinds("i").contains(&Access::Write),
        "the FOR variable is written"
    );
    assert_eq!(kinds("q"), [Access::Pass, Access::Write]);
    assert_eq!(kinds("c").last(), Some(&Access::Pass));
    assert!(u.may_be_written("c") && !u.may_be_written("b"));
    assert!(!u.is_used("nothing"));
}

/// The standard library is one table: every name it lists is known to the
/// checker's lookups and, for blocks, implemented by the simulator.
#[test]
fn the_standard_library_lists_what_checker_and_simulator_know() {
    // One entry per simulated block, in the simulator's order.
    use crate::sim::stdfb::StdFb;
    assert_eq!(stdlib::FUNCTION_BLOCKS.len(), StdFb::Rs as usize + 1);
    for b in stdlib::FUNCTION_BLOCKS {
        assert_eq!(StdFb::from_name(b.name), Some(b.sim));
        assert_eq!(b.sim.name(), b.name);
    }
    let mut natives = Vec::new();
    for f in stdlib::FUNCTIONS {
        let sig = stdlib::function(f.name).expect("listed functions have a signature");
        assert_eq!((sig.min_args, sig.max_args), (f.min_args, f.max_args));
        assert!(
            f.params.len() <= f.max_args.unwrap_or(usize::MAX),
            "{}: more names than arguments",
            f.name
        );
        if let stdlib::Runs::Native(n) = f.sim {
            assert!(!natives.contains(&n), "{} shares {n:?}", f.name);
            natives.push(n);
        }
    }
    assert_eq!(stdlib::describe_params("SUB"), "IN1, IN2");
    assert_eq!(stdlib::describe_params("MUX"), "K, IN0, IN1, …");
    assert_eq!(stdlib::describe_params("TIME"), "none");
    assert_eq!(stdlib::named_position("ADD", "IN3"), Some(3));
    assert_eq!(stdlib::named_position("SUB", "IN3"), None);
    assert!(stdlib::function("__ADR").is_some() && stdlib::function("BOGUS_TO_INT").is_none());
    assert_eq!(
        stdlib::conversion("INT_TO_BCD").map(|c| c.kind),
        Some(stdlib::ConvKind::ToBcd)
    );
    assert!(stdlib::function_block("TONX").is_none());
}
