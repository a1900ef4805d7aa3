//! Worked examples with their expected results, computed by hand from the
//! formula's source or read from published tables, to the stated tolerance.

use millwright_tools::quantity::QuantityError;
use millwright_tools::{call, find, CallError, Called};

fn call_tool(tool: &str, args: &[(&str, &str)]) -> Result<Called, CallError> {
    let t = find(tool).unwrap_or_else(|| panic!("no tool {tool}"));
    let given: Vec<(String, String)> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    call(t, &given)
}

/// The result, or the refusal as a person reads it.
fn run(tool: &str, args: &[(&str, &str)]) -> Result<Called, String> {
    call_tool(tool, args).map_err(|e| e.to_string())
}

#[test]
fn refusals_are_kinds_naming_the_argument() {
    let power = |p| call_tool("motor_torque", &[("power", p), ("speed", "1500 rpm")]);
    assert!(matches!(
        power("15 furlongs"),
        Err(CallError::BadQuantity {
            arg: "power",
            problem: QuantityError::UnknownUnit { .. }
        })
    ));
    assert!(matches!(
        power("fifteen"),
        Err(CallError::BadQuantity {
            arg: "power",
            problem: QuantityError::NotANumber(_)
        })
    ));
    assert!(matches!(
        call_tool(
            "three_phase_power",
            &[
                ("voltage", "400 V"),
                ("current", "10 A"),
                ("cos_phi", "1.2")
            ]
        ),
        Err(CallError::OutOfRange { arg: "cos_phi", .. })
    ));
    assert!(matches!(
        call_tool("motor_torque", &[("power", "15 kW"), ("torque", "1")]),
        Err(CallError::UnknownArgument { name, .. }) if name == "torque"
    ));
    assert!(matches!(
        call_tool("thermocouple", &[("type", "s"), ("temperature", "100")]),
        Err(CallError::NotAChoice { arg: "type", .. })
    ));
    assert!(matches!(
        call_tool("motor_torque", &[("power", "15 kW")]),
        Err(CallError::Missing { missing, .. }) if missing == ["speed"]
    ));
    // Valid arguments the formula refuses together.
    assert!(matches!(
        call_tool("thermocouple", &[("type", "t"), ("temperature", "500 °C")]),
        Err(CallError::Refused(m)) if m.contains("`temperature`")
    ));
}

/// Asserts every (output, expected, relative tolerance).
fn expect(tool: &str, args: &[(&str, &str)], want: &[(&str, f64, f64)]) {
    let r = run(tool, args).unwrap_or_else(|e| panic!("{tool} {args:?}: {e}"));
    for (name, value, tol) in want {
        let got = r
            .outputs
            .iter()
            .find(|o| o.name == *name)
            .unwrap_or_else(|| panic!("{tool}: no output {name}"))
            .value;
        let ok = if *value == 0.0 {
            got.abs() <= *tol
        } else {
            ((got - value) / value).abs() <= *tol
        };
        assert!(
            ok,
            "{tool} {args:?}: {name} = {got}, expected {value} (±{tol} relative)"
        );
    }
}

#[test]
fn unit_conversions() {
    // NIST SP 811, appendix B.
    expect(
        "convert",
        &[("value", "10 bar"), ("to", "psi")],
        &[("result", 145.037_738, 1e-6)],
    );
    expect(
        "convert",
        &[("value", "100 °C"), ("to", "°F")],
        &[("result", 212.0, 1e-9)],
    );
    expect(
        "convert",
        &[("value", "1 hp"), ("to", "kW")],
        &[("result", 0.745_699_9, 1e-6)],
    );
    expect(
        "convert",
        &[("value", "60 m3/h"), ("to", "L/min")],
        &[("result", 1000.0, 1e-9)],
    );
    expect(
        "convert",
        &[("value", "1 kWh"), ("to", "MJ")],
        &[("result", 3.6, 1e-9)],
    );
    expect(
        "convert",
        &[("value", "10 mH2O"), ("to", "bar")],
        &[("result", 0.980_665, 1e-6)],
    );
    expect(
        "convert",
        &[("value", "100 gpm"), ("to", "m3/h")],
        &[("result", 22.712_47, 1e-6)],
    );
    expect(
        "convert",
        &[("value", "100 N·m"), ("to", "lbf·ft")],
        &[("result", 73.756_21, 1e-6)],
    );
}

#[test]
fn electrical() {
    expect(
        "three_phase_power",
        &[
            ("voltage", "400 V"),
            ("current", "10 A"),
            ("cos_phi", "0.85"),
            ("efficiency", "0.9"),
        ],
        &[
            ("apparent_power", 6.928_203, 1e-6),
            ("active_power", 5.888_973, 1e-6),
            ("output_power", 5.300_075, 1e-6),
        ],
    );
    // A 15 kW, 400 V motor with cos φ 0.85 and η 0.91 draws about 28 A (motor catalogues).
    expect(
        "three_phase_current",
        &[
            ("power", "15 kW"),
            ("voltage", "400 V"),
            ("cos_phi", "0.85"),
            ("efficiency", "0.91"),
        ],
        &[("current", 27.990_48, 1e-6)],
    );
    expect(
        "motor_torque",
        &[("power", "15 kW"), ("speed", "1460 rpm")],
        &[("torque", 98.109_21, 1e-6)],
    );
    // IEC 60364-5-52 Annex G: 100 A over 100 m of 35 mm² copper, cos φ 0.8, 400 V three-phase.
    expect(
        "cable_voltage_drop",
        &[
            ("current", "100"),
            ("length", "100 m"),
            ("cross_section", "35 mm2"),
            ("voltage", "400 V"),
            ("cos_phi", "0.8"),
        ],
        &[
            ("voltage_drop", 5.622_857, 1e-6),
            ("voltage_drop_percent", 2.434_767, 1e-5),
        ],
    );
    // Single-phase aluminium, resistive load: 2 × 0.036 × 50 / 2.5 × 16 A.
    let r = run(
        "cable_voltage_drop",
        &[
            ("current", "16 A"),
            ("length", "50 m"),
            ("cross_section", "2.5 mm2"),
            ("voltage", "230 V"),
            ("cos_phi", "1"),
            ("material", "aluminium"),
            ("phases", "1"),
        ],
    )
    .unwrap();
    assert!((r.outputs[0].value - 23.04).abs() < 1e-9, "{r:?}");
    assert!(r.notes[0].contains("4 %"), "{r:?}");
    // IEC 60909 simplified: 1000 kVA, 400 V, uk 6 %, c = 1.05.
    expect(
        "short_circuit_current",
        &[
            ("rated_power", "1000 kVA"),
            ("voltage", "400 V"),
            ("uk", "6 %"),
        ],
        &[("short_circuit_current", 25.259_07, 1e-6)],
    );
    expect(
        "short_circuit_current",
        &[
            ("rated_power", "630 kVA"),
            ("voltage", "400 V"),
            ("uk", "4 %"),
            ("c", "1"),
        ],
        &[("short_circuit_current", 22.733_17, 1e-6)],
    );
    expect(
        "star_delta_currents",
        &[("delta_current", "60 A")],
        &[
            ("star_line_current", 20.0, 1e-12),
            ("delta_phase_current", 34.641_016, 1e-7),
            ("star_torque_ratio", 1.0 / 3.0, 1e-12),
        ],
    );
}

#[test]
fn instrumentation() {
    expect(
        "scale_4_20ma",
        &[("signal", "12 mA"), ("lo", "0"), ("hi", "10")],
        &[("value", 5.0, 1e-12)],
    );
    expect(
        "scale_4_20ma",
        &[("signal", "4 mA"), ("lo", "-50"), ("hi", "150")],
        &[("value", -50.0, 1e-12)],
    );
    expect(
        "scale_4_20ma",
        &[
            ("direction", "to_ma"),
            ("value", "75"),
            ("lo", "0"),
            ("hi", "100"),
        ],
        &[("signal", 16.0, 1e-12)],
    );
    // IEC 60751 table values for Pt100.
    expect(
        "pt100",
        &[("temperature", "0 °C")],
        &[("resistance", 100.0, 1e-12)],
    );
    expect(
        "pt100",
        &[("temperature", "100 °C")],
        &[("resistance", 138.5055, 1e-6)],
    );
    expect(
        "pt100",
        &[("temperature", "-100 °C")],
        &[("resistance", 60.2558, 1e-5)],
    );
    expect(
        "pt100",
        &[("temperature", "850 °C")],
        &[("resistance", 390.4811, 1e-6)],
    );
    expect(
        "pt100",
        &[("temperature", "50 °C"), ("r0", "1000")],
        &[("resistance", 1194.0, 1e-4)],
    );
    expect(
        "pt100",
        &[
            ("direction", "to_temperature"),
            ("resistance", "138.5055 Ω"),
        ],
        &[("temperature", 100.0, 1e-5)],
    );
    expect(
        "pt100",
        &[("direction", "to_temperature"), ("resistance", "80.31")],
        &[("temperature", -50.0, 1e-3)],
    );
}

/// NIST Monograph 175 / IEC 60584-1 table values (reference junction 0 °C),
/// given there to 1 µV.
#[test]
fn thermocouples() {
    for (ty, t, mv) in [
        ("k", "-200", -5.891),
        ("k", "100", 4.096),
        ("k", "500", 20.644),
        ("k", "1000", 41.276),
        ("k", "1372", 54.886),
        ("j", "-100", -4.633),
        ("j", "200", 10.779),
        ("j", "1000", 57.953),
        ("t", "-100", -3.379),
        ("t", "400", 20.872),
    ] {
        expect(
            "thermocouple",
            &[("type", ty), ("temperature", t)],
            &[("emf", mv, 0.0006 / mv.abs())],
        );
    }
    // 20.644 mV from a type K is 500 °C (to the table's resolution).
    expect(
        "thermocouple",
        &[("direction", "to_temperature"), ("emf", "20.644 mV")],
        &[("temperature", 500.0, 0.02 / 500.0)],
    );
    // Cold-junction compensation: terminals at 25 °C (E = 1.000 mV for type
    // K) read 20.644 − 1.000 = 19.644 mV with the hot junction at 500 °C.
    expect(
        "thermocouple",
        &[("temperature", "500 °C"), ("cold_junction", "25 °C")],
        &[("emf", 19.644, 0.0006 / 19.644)],
    );
    expect(
        "thermocouple",
        &[
            ("direction", "to_temperature"),
            ("emf", "19.644 mV"),
            ("cold_junction", "25"),
        ],
        &[("temperature", 500.0, 0.02 / 500.0)],
    );
    // A type J at 100 °F (37.78 °C): 1.942 mV.
    expect(
        "thermocouple",
        &[("type", "J"), ("temperature", "100 °F")],
        &[("emf", 1.942, 0.0006 / 1.942)],
    );
}

#[test]
fn control() {
    // Ziegler–Nichols open loop (reaction curve), K = 2, L = 3 s, T = 30 s.
    expect(
        "pid_tuning",
        &[
            ("method", "zn_open"),
            ("gain", "2"),
            ("dead_time", "3 s"),
            ("time_constant", "30 s"),
        ],
        &[("kp", 6.0, 1e-12), ("ti", 6.0, 1e-12), ("td", 1.5, 1e-12)],
    );
    expect(
        "pid_tuning",
        &[
            ("method", "zn_closed"),
            ("controller", "pi"),
            ("ultimate_gain", "4"),
            ("ultimate_period", "10 s"),
        ],
        &[("kp", 1.8, 1e-12), ("ti", 8.333_333, 1e-6)],
    );
    expect(
        "pid_tuning",
        &[
            ("method", "cohen_coon"),
            ("controller", "pi"),
            ("gain", "1"),
            ("dead_time", "2 s"),
            ("time_constant", "10 s"),
        ],
        &[("kp", 4.583_333, 1e-6), ("ti", 4.707_692, 1e-6)],
    );
    // Skogestad (2003), τc = θ: Kc = T / (2Kθ), τI = min(T, 8θ).
    expect(
        "pid_tuning",
        &[
            ("method", "simc"),
            ("controller", "pi"),
            ("gain", "2"),
            ("dead_time", "1 s"),
            ("time_constant", "8 s"),
        ],
        &[("kp", 2.0, 1e-12), ("ti", 8.0, 1e-12)],
    );
}

#[test]
fn step_response_identification_recovers_a_known_process() {
    // y(t) = 20 + 2·(1 − exp(−(t − 3)/10)) after a unit step at t = 0: K = 2, T = 10 s, L = 3 s.
    let samples: Vec<String> = (0..=160)
        .map(|k| {
            let t = k as f64 * 0.5;
            let y = if t < 3.0 {
                20.0
            } else {
                20.0 + 2.0 * (1.0 - (-(t - 3.0) / 10.0).exp())
            };
            format!("{t}:{y}")
        })
        .collect();
    let text = samples.join(", ");
    expect(
        "fopdt_identify",
        &[("samples", text.as_str())],
        &[
            ("gain", 2.0, 2e-3),
            ("time_constant", 10.0, 1e-2),
            ("dead_time", 3.0, 2e-2),
        ],
    );
    // Fed on to a tuning rule, as a user would.
    expect(
        "pid_tuning",
        &[
            ("method", "simc"),
            ("controller", "pi"),
            ("gain", "2"),
            ("dead_time", "3 s"),
            ("time_constant", "10 s"),
        ],
        &[("kp", 10.0 / 12.0, 1e-12), ("ti", 10.0, 1e-12)],
    );
    let short = "0:1, 1:1, 2:1.5, 3:1.8, 4:1.95, 5:2";
    let e = run("fopdt_identify", &[("samples", short), ("step", "0")]).unwrap_err();
    assert!(e.contains("`step`"), "{e}");
    let e = run("fopdt_identify", &[("samples", "0:1, 1:1, 2:1, 3:1, 4:1")]).unwrap_err();
    assert!(e.contains("does not change"), "{e}");
    let e = run("fopdt_identify", &[("samples", "0:1, x:2")]).unwrap_err();
    assert!(e.contains("not a time"), "{e}");
}

#[test]
fn mechanical_and_process() {
    expect(
        "cylinder_force",
        &[("pressure", "6 bar"), ("bore", "50 mm"), ("rod", "20 mm")],
        &[
            ("push_force", 1178.097, 1e-6),
            ("pull_force", 989.601_7, 1e-6),
        ],
    );
    expect(
        "pump_power",
        &[
            ("flow", "100 m3/h"),
            ("head", "50 m"),
            ("density", "1000"),
            ("efficiency", "0.75"),
        ],
        &[
            ("hydraulic_power", 13.620_347, 1e-6),
            ("shaft_power", 18.160_463, 1e-6),
        ],
    );
    expect(
        "pipe_pressure_drop",
        &[
            ("flow", "36 m3/h"),
            ("diameter", "100 mm"),
            ("length", "100 m"),
            ("density", "1000"),
        ],
        &[
            ("velocity", 1.273_240, 1e-6),
            ("reynolds", 127_323.95, 1e-6),
            ("friction_factor", 0.019_589_3, 1e-5),
            ("pressure_drop", 0.158_785, 1e-5),
        ],
    );
    // Laminar: f = 64 / Re.
    expect(
        "pipe_pressure_drop",
        &[
            ("flow", "0.036 m3/h"),
            ("diameter", "100 mm"),
            ("length", "100 m"),
            ("density", "1000"),
        ],
        &[
            ("reynolds", 127.323_95, 1e-6),
            ("friction_factor", 64.0 / 127.323_95, 1e-6),
        ],
    );
    expect(
        "tank_volume",
        &[
            ("shape", "vertical"),
            ("diameter", "2 m"),
            ("level", "1.5 m"),
        ],
        &[("volume", 4.712_389, 1e-6)],
    );
    expect(
        "tank_volume",
        &[
            ("shape", "horizontal"),
            ("diameter", "2 m"),
            ("level", "1 m"),
            ("length", "5 m"),
        ],
        &[("volume", 7.853_982, 1e-6), ("fill_percent", 50.0, 1e-9)],
    );
    expect(
        "tank_volume",
        &[
            ("shape", "horizontal"),
            ("diameter", "2 m"),
            ("level", "0.5 m"),
            ("length", "5 m"),
        ],
        &[("volume", 3.070_924, 1e-6)],
    );
    expect(
        "conveyor",
        &[
            ("drum_diameter", "500 mm"),
            ("drum_speed", "60 rpm"),
            ("load", "50"),
        ],
        &[
            ("belt_speed", std::f64::consts::FRAC_PI_2, 1e-9), // π · 0.5 m · 1 /s
            ("throughput_t_per_h", 282.743_3, 1e-6),
        ],
    );
}

#[test]
fn bad_input_names_the_argument_and_the_valid_range() {
    let e = run(
        "three_phase_power",
        &[
            ("voltage", "400 V"),
            ("current", "10 A"),
            ("cos_phi", "1.2"),
        ],
    )
    .unwrap_err();
    assert!(e.contains("`cos_phi`") && e.contains("from 0 to 1"), "{e}");
    let e = run(
        "cable_voltage_drop",
        &[
            ("current", "10"),
            ("length", "-5 m"),
            ("cross_section", "2.5"),
            ("voltage", "400"),
        ],
    )
    .unwrap_err();
    assert!(
        e.contains("`length`") && e.contains("greater than 0 m"),
        "{e}"
    );
    let e = run(
        "motor_torque",
        &[("power", "15 furlongs"), ("speed", "1500")],
    )
    .unwrap_err();
    assert!(
        e.contains("`power`") && e.contains("unknown unit") && e.contains("kW"),
        "{e}"
    );
    let e = run("thermocouple", &[("type", "t"), ("temperature", "500 °C")]).unwrap_err();
    assert!(
        e.contains("`temperature`") && e.contains("−270 to 400 °C") && e.contains("type T"),
        "{e}"
    );
    let e = run(
        "thermocouple",
        &[("direction", "to_temperature"), ("emf", "80 mV")],
    )
    .unwrap_err();
    assert!(e.contains("`emf`") && e.contains("54.886 mV"), "{e}");
    let e = run("thermocouple", &[("type", "s"), ("temperature", "100")]).unwrap_err();
    assert!(e.contains("`type`") && e.contains("k, j, t"), "{e}");
    let e = run("pt100", &[("temperature", "900 °C")]).unwrap_err();
    assert!(e.contains("−200 to 850 °C"), "{e}");
    let e = run(
        "pt100",
        &[("direction", "to_temperature"), ("resistance", "15 Ω")],
    )
    .unwrap_err();
    assert!(e.contains("outside the sensor's range"), "{e}");
    let e = run(
        "scale_4_20ma",
        &[("signal", "2.1 mA"), ("lo", "0"), ("hi", "10")],
    )
    .unwrap_err();
    assert!(e.contains("wire break"), "{e}");
    let e = run(
        "scale_4_20ma",
        &[("signal", "22 mA"), ("lo", "0"), ("hi", "10")],
    )
    .unwrap_err();
    assert!(e.contains("above 21 mA"), "{e}");
    let e = run("pump_power", &[("flow", "10 m3/h")]).unwrap_err();
    assert!(e.contains("needs head"), "{e}");
    let e = run(
        "pump_power",
        &[("flow", "10 m3/h"), ("head", "5 m"), ("colour", "red")],
    )
    .unwrap_err();
    assert!(e.contains("no argument `colour`"), "{e}");
    let e = run(
        "cable_voltage_drop",
        &[
            ("current", "10"),
            ("length", "5"),
            ("cross_section", "2.5"),
            ("voltage", "400"),
            ("material", "gold"),
        ],
    )
    .unwrap_err();
    assert!(e.contains("copper, aluminium"), "{e}");
    let e = run(
        "pid_tuning",
        &[
            ("method", "simc"),
            ("gain", "1"),
            ("dead_time", "1"),
            ("time_constant", "5"),
        ],
    )
    .unwrap_err();
    assert!(e.contains("controller pi"), "{e}");
    let e = run(
        "cylinder_force",
        &[("pressure", "6 bar"), ("bore", "20 mm"), ("rod", "25 mm")],
    )
    .unwrap_err();
    assert!(e.contains("`rod`"), "{e}");
    let e = run("convert", &[("value", "10 bar"), ("to", "kg")]).unwrap_err();
    assert!(e.contains("not a unit of pressure"), "{e}");
    let e = run(
        "tank_volume",
        &[
            ("shape", "horizontal"),
            ("diameter", "2"),
            ("level", "3"),
            ("length", "5"),
        ],
    )
    .unwrap_err();
    assert!(e.contains("above the diameter"), "{e}");
}

#[test]
fn every_tool_has_a_schema_formula_and_source() {
    for t in millwright_tools::all() {
        let s = millwright_tools::schema(t);
        assert_eq!(s["type"], "object", "{}", t.name);
        assert_eq!(
            s["properties"].as_object().unwrap().len(),
            t.args.len(),
            "{}",
            t.name
        );
        assert!(
            !t.formula.is_empty() && !t.source.is_empty() && !t.description.is_empty(),
            "{}",
            t.name
        );
    }
    assert!(millwright_tools::all().len() >= 15);
}
