use serde_json::{json, Value as Json};

use super::*;

fn load_one(src: &str) -> Program {
    match load(&[src]) {
        Ok(p) => {
            assert!(p.errors.is_empty(), "does not compile: {:#?}", p.errors);
            p
        }
        Err(LoadError(files)) => {
            let msgs: Vec<String> = files[0]
                .diagnostics
                .iter()
                .map(|d| format!("{:?} {}", d.code, d.message))
                .collect();
            panic!("does not check: {msgs:#?}")
        }
    }
}

/// Runs `pou` one cycle per entry of `inputs` (10 ms each) and returns the
/// values of `watch` after each cycle.
fn trace(src: &str, pou: &str, inputs: &[Json], watch: &[&str]) -> Vec<Vec<Json>> {
    let p = load_one(src);
    let mut s = Session::new(&p, pou).unwrap();
    let mut out = Vec::new();
    for step in inputs {
        if let Json::Object(m) = step {
            for (k, v) in m {
                s.set(k, v).unwrap();
            }
        }
        s.cycle(10.0).unwrap();
        out.push(watch.iter().map(|w| s.get(w).unwrap()).collect());
    }
    out
}

/// A FUNCTION's result for inputs.
fn call(src: &str, f: &str, inputs: Json) -> Json {
    let p = load_one(src);
    let mut s = Session::new(&p, f).unwrap();
    for (k, v) in inputs.as_object().unwrap() {
        s.set(k, v).unwrap();
    }
    s.cycle(10.0).unwrap();
    s.get(f).unwrap()
}

fn bools(rows: &[Vec<Json>], col: usize) -> String {
    rows.iter()
        .map(|r| if r[col] == json!(true) { '1' } else { '0' })
        .collect()
}

const TIMER: &str = "
PROGRAM P
VAR_INPUT i : BOOL; END_VAR
VAR_OUTPUT q : BOOL; et : TIME; END_VAR
VAR t : KIND; END_VAR
t(IN := i, PT := T#30ms, Q => q, ET => et);
END_PROGRAM";

fn timer(kind: &str, pattern: &str) -> Vec<Vec<Json>> {
    let inputs: Vec<Json> = pattern.chars().map(|c| json!({"i": c == '1'})).collect();
    trace(&TIMER.replace("KIND", kind), "P", &inputs, &["q", "et"])
}

fn ets(rows: &[Vec<Json>]) -> Vec<String> {
    rows.iter()
        .map(|r| r[1].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ton_delays_the_rising_edge_by_pt_at_cycle_boundaries() {
    // 10 ms cycles, PT 30 ms: IN rises in cycle 2 (t = 10 ms), Q in cycle 5 (t = 40 ms).
    let rows = timer("TON", "0111111001");
    assert_eq!(bools(&rows, 0), "0000111000");
    assert_eq!(
        ets(&rows)[..6],
        ["T#0ms", "T#0ms", "T#10ms", "T#20ms", "T#30ms", "T#30ms"]
    );
    // A pulse shorter than PT never reaches Q, and ET resets with IN.
    let rows = timer("TON", "0110000");
    assert_eq!(bools(&rows, 0), "0000000");
    assert_eq!(ets(&rows)[3], "T#0ms");
}

#[test]
fn tof_holds_q_for_pt_after_the_falling_edge() {
    let rows = timer("TOF", "0110000011");
    assert_eq!(bools(&rows, 0), "0111110011");
    assert_eq!(ets(&rows)[3..7], ["T#0ms", "T#10ms", "T#20ms", "T#30ms"]);
    // ET stays at PT until IN returns.
    assert_eq!(ets(&rows)[7], "T#30ms");
    assert_eq!(ets(&rows)[8], "T#0ms");
    // Never switched on: Q stays FALSE.
    assert_eq!(bools(&timer("TOF", "0000"), 0), "0000");
    // IN back within PT: Q never drops.
    assert_eq!(bools(&timer("TOF", "1101100"), 0), "1111111");
}

#[test]
fn tp_gives_a_fixed_pulse_and_ignores_edges_during_it() {
    let rows = timer("TP", "0101000100");
    // Rising edge at cycle 2: Q for exactly three cycles (30 ms); the edge in
    // cycle 4 falls inside the pulse and is ignored; the one in cycle 8 starts another.
    assert_eq!(bools(&rows, 0), "0111000111");
    // IN held after the pulse: ET stays at PT, back to 0 when IN falls.
    let rows = timer("TP", "111110");
    assert_eq!(bools(&rows, 0), "111000");
    assert_eq!(ets(&rows)[3..], ["T#30ms", "T#30ms", "T#0ms"]);
}

#[test]
fn edge_triggers_set_reset_and_counters_follow_their_definitions() {
    let src = "
PROGRAM P
VAR_INPUT a : BOOL; b : BOOL; ld : BOOL; END_VAR
VAR_OUTPUT r : BOOL; f : BOOL; sr_q : BOOL; rs_q : BOOL; cu : INT; cd : INT; cud : INT; qu : BOOL; qd : BOOL; END_VAR
VAR rt : R_TRIG; ft : F_TRIG; s1 : SR; r1 : RS; c1 : CTU; c2 : CTD; c3 : CTUD; END_VAR
rt(CLK := a, Q => r);
ft(CLK := a, Q => f);
s1(SET1 := a, RESET := b, Q1 => sr_q);
r1(SET := a, RESET1 := b, Q1 => rs_q);
c1(CU := a, R := b, PV := 3, CV => cu);
c2(CD := a, LD := ld, PV := 2, CV => cd);
c3(CU := a, CD := b, R := FALSE, LD := ld, PV := 2, CV => cud, QU => qu, QD => qd);
END_PROGRAM";
    let steps = [
        json!({"a": false, "b": false, "ld": true}),
        json!({"a": true, "ld": false}),
        json!({"a": true}),
        json!({"a": false}),
        json!({"a": true, "b": true}),
        json!({"a": false, "b": true}),
        json!({"a": false, "b": false}),
    ];
    let rows = trace(
        src,
        "P",
        &steps,
        &["r", "f", "sr_q", "rs_q", "cu", "cd", "cud", "qu", "qd"],
    );
    assert_eq!(bools(&rows, 0), "0100100", "R_TRIG");
    assert_eq!(
        bools(&rows, 1),
        "0001010",
        "F_TRIG: no edge on the first cycle"
    );
    // SR: set dominant; RS: reset dominant (cycle 5 has both).
    assert_eq!(bools(&rows, 2), "0111100");
    assert_eq!(bools(&rows, 3), "0111000");
    let col = |c: usize| -> Vec<i64> { rows.iter().map(|r| r[c].as_i64().unwrap()).collect() };
    // CTU counts rising edges of CU; R wins in cycle 5 and 6.
    assert_eq!(col(4), [0, 1, 1, 1, 0, 0, 0]);
    // CTD loads PV, then counts down on edges.
    assert_eq!(col(5), [2, 1, 1, 1, 0, 0, 0]);
    // CTUD: load 2, +1, ... cycle 5 has CU and CD edges together: no change.
    assert_eq!(col(6), [2, 3, 3, 3, 3, 3, 3]);
    assert_eq!(bools(&rows, 7), "1111111");
    assert_eq!(bools(&rows, 8), "0000000");
}

#[test]
fn integers_wrap_at_their_width_and_divide_towards_zero() {
    let src = "
FUNCTION F : BOOL
VAR_INPUT x : INT; END_VAR
VAR_OUTPUT s : SINT; u : USINT; i : INT; ud : UDINT; d : DINT; m : DINT; w : WORD; b : BYTE; lw : LWORD; ul : ULINT; END_VAR
s := INT_TO_SINT(x);
u := INT_TO_USINT(x);
i := x + 32767;
ud := INT_TO_UDINT(x) - 1;
d := -7 / 2;
m := -7 MOD 2;
w := NOT WORD#16#00FF;
b := SHL(BYTE#2#1000_0001, 1) OR ROR(BYTE#16#01, 1);
lw := LWORD#16#FFFF_FFFF_FFFF_FFFF;
ul := ULINT#18446744073709551615 / 2;
F := TRUE;
END_FUNCTION";
    let p = load_one(src);
    let mut s = Session::new(&p, "F").unwrap();
    s.set("x", &json!(200)).unwrap();
    s.cycle(10.0).unwrap();
    let g = |n: &str| s.get(n).unwrap();
    assert_eq!(g("s"), json!(-56)); // 200 wraps in SINT
    assert_eq!(g("u"), json!(200));
    assert_eq!(g("i"), json!(-32569)); // 200 + 32767 wraps in INT
    assert_eq!(g("ud"), json!(199));
    assert_eq!(g("d"), json!(-3)); // truncates towards zero
    assert_eq!(g("m"), json!(-1)); // sign of the dividend
    assert_eq!(g("w"), json!(0xFF00));
    assert_eq!(g("b"), json!(0x82));
    assert_eq!(g("lw"), json!(u64::MAX));
    assert_eq!(g("ul"), json!(u64::MAX / 2));
}

#[test]
fn reals_follow_ieee_and_conversions_round() {
    let src = "
FUNCTION F : REAL
VAR_INPUT x : REAL; END_VAR
VAR_OUTPUT r : INT; t : INT; l : LREAL; q : REAL; big : DINT; END_VAR
r := REAL_TO_INT(x);
t := TRUNC_INT(x);
l := REAL_TO_LREAL(x) * 2.0;
q := 1.0 / 3.0;
big := REAL_TO_DINT(x * 1000.0);
F := x / 0.0;
END_FUNCTION";
    let p = load_one(src);
    let mut s = Session::new(&p, "F").unwrap();
    s.set("x", &json!(-2.5)).unwrap();
    s.cycle(10.0).unwrap();
    assert_eq!(s.get("r").unwrap(), json!(-3));
    assert_eq!(s.get("t").unwrap(), json!(-2));
    assert_eq!(s.get("l").unwrap(), json!(-5.0));
    // Single precision: 1/3 is 0.33333334.
    assert_eq!(s.get("q").unwrap(), json!(0.33333334));
    assert_eq!(s.get("big").unwrap(), json!(-2500));
    // REAL division by zero is IEEE infinity, not a fault.
    assert_eq!(s.get("F").unwrap(), Json::Null);
}

#[test]
fn time_arithmetic_and_strings_with_their_lengths() {
    let src = "
FUNCTION F : TIME
VAR_INPUT t : TIME; END_VAR
VAR_OUTPUT s : STRING(5); c : STRING; n : INT; ms : DINT; tod2 : TOD; d : TIME; END_VAR
F := t * 2 + T#500ms;
s := CONCAT('abc', 'defgh');
c := CONCAT(LEFT('Motor 1', 5), INT_TO_STRING(-12));
n := LEN(c);
ms := TIME_TO_DINT(t / 4);
tod2 := TOD#23:59:00 + T#30s;
d := DT#2024-03-01-00:00:00 - DT#2024-02-28-00:00:00;
END_FUNCTION";
    let p = load_one(src);
    let mut s = Session::new(&p, "F").unwrap();
    s.set("t", &json!("T#1s250ms")).unwrap();
    s.cycle(10.0).unwrap();
    assert_eq!(s.get("F").unwrap(), json!("T#3s"));
    assert_eq!(s.get("s").unwrap(), json!("abcde")); // cut to STRING(5)
    assert_eq!(s.get("c").unwrap(), json!("Motor-12"));
    assert_eq!(s.get("n").unwrap(), json!(8));
    assert_eq!(s.get("ms").unwrap(), json!(312));
    assert_eq!(s.get("tod2").unwrap(), json!("TOD#23:59:30"));
    assert_eq!(s.get("d").unwrap(), json!("T#2d")); // 2024 is a leap year
}

#[test]
fn state_persists_temps_reset_and_in_outs_pass_by_reference() {
    let src = "
FUNCTION_BLOCK Acc
VAR_INPUT x : INT; END_VAR
VAR_IN_OUT total : DINT; END_VAR
VAR_OUTPUT calls : INT; temp_seen : INT; END_VAR
VAR_TEMP t : INT := 5; END_VAR
calls := calls + 1;
t := t + x;
temp_seen := t;
total := total + x;
END_FUNCTION_BLOCK
PROGRAM P
VAR a : Acc; b : Acc; sum : DINT := 100; END_VAR
VAR_OUTPUT ca : INT; cb : INT; s : DINT; tb : INT; END_VAR
a(x := 1, total := sum);
b(x := 10, total := sum);
b(x := 10, total := sum);
ca := a.calls; cb := b.calls; s := sum; tb := b.temp_seen;
END_PROGRAM";
    let rows = trace(src, "P", &[json!({}), json!({})], &["ca", "cb", "s", "tb"]);
    assert_eq!(rows[0], [json!(1), json!(2), json!(121), json!(15)]);
    // Instances keep their counts; VAR_TEMP starts again from its initial value.
    assert_eq!(rows[1], [json!(2), json!(4), json!(142), json!(15)]);
}

#[test]
fn initialisers_arrays_structs_enums_and_methods() {
    let src = "
TYPE E_Mode : (Off, Manual := 5, Auto); END_TYPE
TYPE ST_Cfg : STRUCT gain : REAL := 1.5; limits : ARRAY[0..1] OF INT := [-10, 10]; END_STRUCT END_TYPE
FUNCTION_BLOCK Counter
VAR_OUTPUT n : INT; END_VAR
METHOD Add : INT
VAR_INPUT k : INT; END_VAR
n := n + k;
Add := n;
END_METHOD
END_FUNCTION_BLOCK
PROGRAM P
VAR
  a : ARRAY[1..2, 1..3] OF INT := [2(1), 4(7)];
  cfg : ST_Cfg := (gain := 2.5);
  mode : E_Mode := E_Mode.Manual;
  c : Counter;
  t : TON := (PT := T#1s);
END_VAR
VAR_OUTPUT x : INT; g : REAL; m : INT; after : INT; pt : TIME; next : E_Mode; END_VAR
x := a[1, 2] + a[2, 3] + cfg.limits[1];
g := cfg.gain;
m := c.Add(3) + c.Add(4);
after := c.n;
pt := t.PT;
CASE mode OF
  Off: next := Manual;
  Manual: next := Auto;
ELSE
  next := Off;
END_CASE
END_PROGRAM";
    let rows = trace(
        src,
        "P",
        &[json!({})],
        &["x", "g", "m", "after", "pt", "next", "a", "cfg"],
    );
    assert_eq!(rows[0][0], json!(1 + 7 + 10));
    assert_eq!(rows[0][1], json!(2.5));
    assert_eq!(rows[0][2], json!(3 + 7));
    assert_eq!(rows[0][3], json!(7));
    assert_eq!(rows[0][4], json!("T#1s"));
    assert_eq!(rows[0][5], json!("Auto"));
    assert_eq!(rows[0][6], json!([[1, 1, 7], [7, 7, 7]]));
    assert_eq!(rows[0][7], json!({"gain": 2.5, "limits": [-10, 10]}));
}

#[test]
fn calls_with_an_empty_frame_run() {
    // A method and a function without result or variables: their frame has no cells.
    let src = "
FUNCTION_BLOCK FB
VAR_OUTPUT n : INT; END_VAR
Bump();
THIS^.Bump();
METHOD Bump
n := n + 1;
END_METHOD
END_FUNCTION_BLOCK
FUNCTION Nothing
END_FUNCTION
PROGRAM P
VAR fb : FB; END_VAR
VAR_OUTPUT n : INT; END_VAR
fb();
Nothing();
n := fb.n;
END_PROGRAM";
    let rows = trace(src, "P", &[json!({}), json!({})], &["n"]);
    assert_eq!(rows[1][0], json!(4));
}

#[test]
fn functions_loops_and_standard_functions() {
    let src = "
FUNCTION Fact : DINT
VAR_INPUT n : INT; END_VAR
VAR i : INT; END_VAR
Fact := 1;
FOR i := 2 TO n DO Fact := Fact * i; END_FOR
END_FUNCTION
FUNCTION F : DINT
VAR_INPUT n : INT; END_VAR
VAR_OUTPUT mx : INT; lim : REAL; sel : INT; mux : INT; found : INT; w : INT; r : INT; END_VAR
VAR k : INT; END_VAR
F := Fact(n) + Fact(n := 3);
mx := MAX(3, n, -1);
lim := LIMIT(0.0, INT_TO_REAL(n) * 1.5, 5.0);
sel := SEL(n > 3, 10, 20);
mux := MUX(1, 5, 6, 7);
found := FIND('conveyor belt', 'belt');
k := 0;
WHILE k < 100 DO k := k + 7; IF k > 50 THEN EXIT; END_IF END_WHILE
w := k;
REPEAT r := r + 1; UNTIL r >= 4 END_REPEAT
END_FUNCTION";
    let p = load_one(src);
    let mut s = Session::new(&p, "F").unwrap();
    s.set("n", &json!(5)).unwrap();
    s.cycle(10.0).unwrap();
    let g = |n: &str| s.get(n).unwrap();
    assert_eq!(g("F"), json!(120 + 6));
    assert_eq!(g("mx"), json!(5));
    assert_eq!(g("lim"), json!(5.0));
    assert_eq!(g("sel"), json!(20)); // G TRUE selects IN1
    assert_eq!(g("mux"), json!(6));
    assert_eq!(g("found"), json!(10));
    assert_eq!(g("w"), json!(56));
    assert_eq!(g("r"), json!(4));
    assert_eq!(call(src, "Fact", json!({"n": 7})), json!(5040));
}

fn fault_of(src: &str, pou: &str, inputs: Json, cycles: u32) -> Fault {
    let p = load_one(src);
    let mut s = Session::new(&p, pou).unwrap();
    for (k, v) in inputs.as_object().unwrap() {
        s.set(k, v).unwrap();
    }
    for _ in 0..cycles {
        if let Err(f) = s.cycle(10.0) {
            return f;
        }
    }
    panic!("no fault in {cycles} cycles")
}

fn line_of(src: &str, f: &Fault) -> usize {
    src[..f.span.start as usize].matches('\n').count() + 1
}

#[test]
fn every_runtime_fault_is_reported_with_line_and_cycle() {
    let src = "
FUNCTION_BLOCK FB
VAR_INPUT i : INT; d : INT; kind : INT; END_VAR
VAR a : ARRAY[0..9] OF INT; p : POINTER TO INT; n : INT; k : INT; END_VAR
n := n + 1;
IF n >= 3 THEN
  CASE kind OF
    0: a[i] := 1;
    1: k := 100 / d;
    2: k := p^;
    3: WHILE TRUE DO k := k + 1; END_WHILE
    4: k := d MOD 0;
  END_CASE
END_IF
END_FUNCTION_BLOCK";
    let cases = [
        (0, FaultKind::IndexOutOfBounds, 8, "index 10"),
        (1, FaultKind::DivisionByZero, 9, "/ 0"),
        (2, FaultKind::NullPointer, 10, "NULL"),
        (3, FaultKind::Watchdog, 11, "loop iterations"),
        (4, FaultKind::DivisionByZero, 12, "MOD 0"),
    ];
    for (kind, want, line, text) in cases {
        let f = fault_of(src, "FB", json!({"i": 10, "d": 0, "kind": kind}), 5);
        assert_eq!(f.kind, want, "kind {kind}");
        assert_eq!(line_of(src, &f), line, "kind {kind}: {f:?}");
        assert_eq!(f.cycle, 3, "the fault is in the third cycle");
        assert!(f.message.contains(text), "{}", f.message);
    }
}

#[test]
fn recursion_and_runaway_for_loops_are_stopped() {
    let src = "
FUNCTION R : INT
VAR_INPUT n : INT; END_VAR
R := R(n + 1);
END_FUNCTION
FUNCTION_BLOCK L
VAR i : SINT; s : INT; END_VAR
FOR i := 0 TO 127 DO s := s + 1; END_FOR
END_FUNCTION_BLOCK";
    assert_eq!(fault_of(src, "R", json!({}), 1).kind, FaultKind::CallDepth);
    let f = fault_of(src, "L", json!({}), 1);
    assert_eq!(f.kind, FaultKind::Watchdog);
    assert!(f.message.contains("wrapped"), "{}", f.message);
}

#[test]
fn vectors_report_mismatches_and_reject_bad_input() {
    let src = "
FUNCTION_BLOCK FB_Motor
VAR_INPUT start : BOOL; stop : BOOL; END_VAR
VAR_OUTPUT running : BOOL; END_VAR
IF stop THEN running := FALSE; ELSIF start THEN running := TRUE; END_IF
END_FUNCTION_BLOCK";
    let p = load_one(src);
    let locate = |s: crate::token::Span| (src[..s.start as usize].matches('\n').count() + 1, 1);
    let good = Vectors::from_json(
        r#"{"pou": "FB_Motor", "cases": [{"name": "latch", "steps": [
            {"in": {"start": true, "stop": false}, "expect": {"running": true}},
            {"in": {"start": false}, "cycles": 5, "expect": {"running": true}},
            {"in": {"stop": true}, "advance_ms": 100, "expect": {"running": false}}]}]}"#,
    )
    .unwrap();
    let r = vectors::run(&p, &good, &locate).unwrap();
    assert!(r.all_passed(), "{r:#?}");
    assert_eq!(r.cases[0].cycles, 1 + 5 + 10);

    let wrong = Vectors::from_json(
        r#"{"pou": "fb_motor", "cases": [{"name": "stop ignored?", "steps": [
            {"in": {"start": true}, "expect": {"running": true}},
            {"in": {"stop": true}, "expect": {"running": true}}]}]}"#,
    )
    .unwrap();
    let r = vectors::run(&p, &wrong, &locate).unwrap();
    assert!(!r.all_passed());
    let f = &r.cases[0].failures[0];
    assert_eq!((f.step, f.cycle, f.variable.as_str()), (2, 2, "running"));
    assert_eq!(
        (f.expected.clone(), f.actual.clone()),
        (json!(true), json!(false))
    );
    assert_eq!(f.line, 5);
    assert!(r.cases[0].diagram.is_none(), "run records no diagram");

    // Recorded: the failing case's diagram, its failing step marked; a
    // passing case has none.
    let r = vectors::run_recorded(&p, &wrong, &locate).unwrap();
    let d = r.cases[0]
        .diagram
        .as_ref()
        .expect("a failing case's diagram");
    let names: Vec<&str> = d.signals.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["start", "running", "stop"]);
    assert_eq!(d.cycles, 2);
    assert_eq!(d.signals[1].changes, [(0, 1.0), (1, 0.0)]);
    assert_eq!(
        d.marks,
        [diagram::Mark {
            cycle: 1,
            label: "step 2: running".into()
        }]
    );
    let r = vectors::run_recorded(&p, &good, &locate).unwrap();
    assert!(r.cases[0].diagram.is_none());

    // A step with its own cycle time is drawn at the times it ran, and the
    // failure reported at the time the diagram shows.
    let paced = Vectors::from_json(
        r#"{"pou": "FB_Motor", "cycle_ms": 10, "cases": [{"name": "slow", "steps": [
            {"in": {"start": true}, "cycles": 3},
            {"in": {"stop": true}, "cycle_ms": 100, "cycles": 2, "expect": {"running": true}}]}]}"#,
    )
    .unwrap();
    let r = vectors::run_recorded(&p, &paced, &locate).unwrap();
    let d = r.cases[0].diagram.as_ref().unwrap();
    let f = &r.cases[0].failures[0];
    assert_eq!(d.time_ms(f.cycle - 1), f.time_ms);
    assert_eq!(
        (d.time_ms(3), d.time_ms(4), d.end_ms()),
        (30.0, 130.0, 230.0)
    );

    let bad = Vectors::from_json(
        r#"{"pou": "FB_Motor", "cases": [{"name": "bad", "steps": [
            {"in": {"strat": true, "stop": 3}, "expect": {"running": "yes", "nope": 1}},
            {"in": {"running": true}, "cycles": 0}]}]}"#,
    )
    .unwrap();
    let errs = vectors::run(&p, &bad, &locate).unwrap_err();
    let all = errs.join("\n");
    for needle in [
        "`strat`",
        "stop",
        "\"yes\"",
        "`nope`",
        "VAR_OUTPUT",
        "`cycles`",
    ] {
        assert!(all.contains(needle), "{needle} not in:\n{all}");
    }
    assert!(
        Vectors::from_json(r#"{"pou": "X", "cases": [], "extra": 1}"#)
            .unwrap_err()
            .0
            .contains("extra")
    );
    let e = Vectors::from_json(r#"{"pou": "Nope", "cases": []}"#).unwrap();
    assert!(e.validate(&p)[0].contains("FB_Motor"));
}

#[test]
fn a_negated_output_connection_inverts_the_output() {
    let src = "FUNCTION_BLOCK FB_Inv
VAR_INPUT go : BOOL; END_VAR
VAR_OUTPUT idle : BOOL; mask : WORD; END_VAR
VAR t : TON; END_VAR
t(IN := go, PT := T#20ms, NOT Q => idle);
mask := 16#00FF;
END_FUNCTION_BLOCK
FUNCTION_BLOCK FB_Use
VAR_INPUT go : BOOL; END_VAR
VAR_OUTPUT idle : BOOL; hi : WORD; END_VAR
VAR inv : FB_Inv; END_VAR
inv(go := go, idle => idle, NOT mask => hi);
END_FUNCTION_BLOCK";
    let rows = trace(
        src,
        "FB_Use",
        &[
            json!({"go": true}),
            json!({}),
            json!({}),
            json!({"go": false}),
        ],
        &["idle", "hi"],
    );
    let idle: Vec<&Json> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        idle,
        [&json!(true), &json!(true), &json!(false), &json!(true)]
    );
    assert_eq!(rows[0][1], json!(65280));
}

#[test]
fn a_step_forces_outputs_and_internal_state_but_not_unknown_names() {
    // A counter whose case starts from a given internal state, as a
    // benchmark's traces often do.
    let src = "
FUNCTION_BLOCK FB_Count
VAR_INPUT pulse : BOOL; END_VAR
VAR_OUTPUT count : INT; status : WORD; END_VAR
VAR last : BOOL; END_VAR
IF pulse AND NOT last THEN count := count + 1; END_IF
last := pulse;
IF count > 10 THEN status := 16#8001; END_IF
END_FUNCTION_BLOCK";
    let p = load_one(src);
    let locate = |_: crate::token::Span| (1, 1);
    let v = Vectors::from_json(
        r#"{"pou": "FB_Count", "cases": [{"name": "from ten", "steps": [
            {"force": {"count": 10, "last": true}, "in": {"pulse": true}, "expect": {"count": 10, "status": 0}},
            {"in": {"pulse": false}},
            {"in": {"pulse": true}, "expect": {"count": 11, "status": 32769}}]}]}"#,
    )
    .unwrap();
    let r = vectors::run(&p, &v, &locate).unwrap();
    assert!(r.all_passed(), "{r:#?}");
    let bad = Vectors::from_json(
        r#"{"pou": "FB_Count", "cases": [{"name": "typo", "steps": [
            {"force": {"cuont": 3, "status": "x"}}]}]}"#,
    )
    .unwrap();
    let errs = vectors::run(&p, &bad, &locate).unwrap_err().join("\n");
    assert!(
        errs.contains("force: ") && errs.contains("`cuont`"),
        "{errs}"
    );
    assert!(errs.contains("force `status`"), "{errs}");
}

/// Library sources are compiled with the code; their own errors do not stop
/// the load, but the code's do, and only the code's are returned.
#[test]
fn code_runs_with_the_library_sources_it_uses() {
    let lib = "FUNCTION_BLOCK LIB_Scale\nVAR_INPUT x : INT; END_VAR\nVAR_OUTPUT y : INT; END_VAR\ny := x * 10;\nEND_FUNCTION_BLOCK\n";
    let lib_with_error = "FUNCTION LIB_Bad : INT\nLIB_Bad := undeclared;\nEND_FUNCTION\n";
    let lib_broken = "FUNCTION_BLOCK Half\nVAR x : ;\n";
    let code = "FUNCTION_BLOCK Use\nVAR_INPUT v : INT; END_VAR\nVAR_OUTPUT w : INT; END_VAR\nVAR s : LIB_Scale; END_VAR\ns(x := v);\nw := s.y;\nEND_FUNCTION_BLOCK\n";
    let prog = load_project(&[code], &[lib, lib_with_error, lib_broken])
        .unwrap_or_else(|LoadError(f)| panic!("{:#?}", f[0].diagnostics));
    let mut s = Session::new(&prog, "Use").unwrap();
    s.set("v", &json!(4)).unwrap();
    s.cycle(10.0).unwrap();
    assert_eq!(s.get("w").unwrap(), json!(40));
    // Without the library the code does not check; with it, the code's own error is reported alone.
    assert!(load(&[code]).is_err());
    let bad_code = code.replace("w := s.y;", "w := s.z;");
    let Err(LoadError(files)) = load_project(&[&bad_code], &[lib, lib_with_error]) else {
        panic!("an error in the code stops the load")
    };
    assert_eq!(files.len(), 1, "only the code's diagnostics are returned");
    assert!(files[0]
        .diagnostics
        .iter()
        .any(|d| d.message.contains("no member `z`")));
}

/// Named arguments go where the one standard-library table puts them, in
/// the checker and the simulator alike. Before the table SUB's IN1 and IN2
/// were refused, and the checker typed `MID(P := 2, L := 3, IN := s)` by its
/// first written argument (an INT) where the simulator took IN.
#[test]
fn named_arguments_of_standard_functions_run_where_the_table_puts_them() {
    let src = "
FUNCTION F : INT
VAR_INPUT n : INT; END_VAR
VAR_OUTPUT part : STRING; lim : INT; shifted : WORD; END_VAR
F := SUB(IN2 := 3, IN1 := n);
part := MID(P := 2, L := 3, IN := 'conveyor');
lim := LIMIT(MX := 10, IN := n * 4, MN := 0);
shifted := SHL(N := 4, IN := WORD#16#0F);
END_FUNCTION";
    let p = load_one(src);
    let mut s = Session::new(&p, "F").unwrap();
    s.set("n", &json!(5)).unwrap();
    s.cycle(10.0).unwrap();
    assert_eq!(s.get("F").unwrap(), json!(2));
    assert_eq!(s.get("part").unwrap(), json!("onv"));
    assert_eq!(s.get("lim").unwrap(), json!(10));
    assert_eq!(s.get("shifted").unwrap(), json!(0xF0));
}
