//! The calculations. Each computes in SI; its formula and source are what the
//! user is shown beside the result.

use std::f64::consts::PI;

use crate::quantity::Kind::{self, *};
use crate::{Arg, Calc, Inputs, Tool};

const G: f64 = 9.80665;
const SQRT3: f64 = 1.732_050_807_568_877_2;

pub static TOOLS: &[Tool] = &[
    Tool {
        name: "convert",
        title: "Unit conversion",
        description: "Converts a value between units of the same quantity (pressure, flow, power, torque, temperature, energy, length …).",
        formula: "by the units' definitions (uom)",
        source: "SI brochure (BIPM); NIST SP 811",
        args: &[
            Arg::text("value", "the value and its unit, e.g. \"10 bar\""),
            Arg::text("to", "the unit to convert to, e.g. \"psi\""),
        ],
        run: convert,
    },
    Tool {
        name: "three_phase_power",
        title: "Three-phase power from voltage and current",
        description: "Active, apparent and output power of a three-phase load from line voltage, line current, power factor and efficiency.",
        formula: "S = √3·U·I;  P = √3·U·I·cosφ;  P_out = P·η",
        source: "IEC 60050-131; any electrical engineering handbook",
        args: &[
            Arg::number("voltage", Voltage, "V", "line-to-line voltage").positive(),
            Arg::number("current", Current, "A", "line current").positive(),
            Arg::number("cos_phi", Ratio, "", "power factor cos φ").positive().range(0.0, 1.0),
            Arg::number("efficiency", Ratio, "", "efficiency η (motor: shaft power out)").positive().range(0.0, 1.0).or("1"),
        ],
        run: three_phase_power,
    },
    Tool {
        name: "three_phase_current",
        title: "Three-phase current from power",
        description: "Line current a three-phase motor draws for a shaft power, voltage, power factor and efficiency.",
        formula: "I = P / (√3·U·cosφ·η)",
        source: "IEC 60034-1 (rated quantities); any electrical engineering handbook",
        args: &[
            Arg::number("power", Power, "kW", "shaft (output) power").positive(),
            Arg::number("voltage", Voltage, "V", "line-to-line voltage").positive(),
            Arg::number("cos_phi", Ratio, "", "power factor cos φ").positive().range(0.0, 1.0),
            Arg::number("efficiency", Ratio, "", "efficiency η").positive().range(0.0, 1.0).or("1"),
        ],
        run: three_phase_current,
    },
    Tool {
        name: "motor_torque",
        title: "Motor torque from power and speed",
        description: "Shaft torque of a motor delivering a power at a speed.",
        formula: "T = P / ω = 60·P / (2π·n)",
        source: "IEC 60034-1; mechanics",
        args: &[
            Arg::number("power", Power, "kW", "shaft power").positive(),
            Arg::number("speed", RotationalSpeed, "rpm", "shaft speed").positive(),
        ],
        run: motor_torque,
    },
    Tool {
        name: "cable_voltage_drop",
        title: "Cable voltage drop",
        description: "Voltage drop along a copper or aluminium cable, single- or three-phase, at service temperature.",
        formula: "u = b·(ρ·L/S·cosφ + λ·L·sinφ)·I;  Δu = 100·u/U0  (b = 1 three-phase, 2 single-phase; ρ = 0.0225 Ω·mm²/m Cu, 0.036 Al; λ = 0.08 mΩ/m)",
        source: "IEC 60364-5-52:2009, Annex G",
        args: &[
            Arg::number("current", Current, "A", "load current").positive(),
            Arg::number("length", Length, "m", "cable length (one way)").positive(),
            Arg::number("cross_section", Area, "mm2", "conductor cross-section").positive(),
            Arg::number("voltage", Voltage, "V", "nominal voltage: line-to-line for three-phase, line-to-neutral for single-phase").positive(),
            Arg::number("cos_phi", Ratio, "", "power factor cos φ").positive().range(0.0, 1.0).or("0.8"),
            Arg::choice("material", &["copper", "aluminium"], "conductor material").or("copper"),
            Arg::choice("phases", &["1", "3"], "single- or three-phase").or("3"),
        ],
        run: cable_voltage_drop,
    },
    Tool {
        name: "short_circuit_current",
        title: "Short-circuit current at a transformer's secondary",
        description: "Three-phase short-circuit current at the low-voltage terminals of a transformer fed from an infinite grid (an upper estimate).",
        formula: "Ik3 = c·Sn / (√3·Un·uk)",
        source: "IEC 60909-0:2016 (voltage factor c = 1.05 for low voltage, maximum)",
        args: &[
            Arg::number("rated_power", Power, "kVA", "transformer rated power Sn").positive(),
            Arg::number("voltage", Voltage, "V", "secondary line-to-line voltage Un").positive(),
            Arg::number("uk", Ratio, "%", "short-circuit voltage uk").positive().range(0.0, 100.0),
            Arg::number("c", Ratio, "", "voltage factor c").range(0.9, 1.1).or("1.05"),
        ],
        run: short_circuit,
    },
    Tool {
        name: "star_delta_currents",
        title: "Star-delta starting currents",
        description: "Line and phase currents of a motor rated in delta when started in star.",
        formula: "I_star = I_delta / 3;  I_phase,delta = I_delta / √3;  T_star = T_delta / 3",
        source: "IEC 60947-4-1; motor starting practice",
        args: &[Arg::number("delta_current", Current, "A", "line current in delta (e.g. the locked-rotor or rated current)").positive()],
        run: star_delta,
    },
    Tool {
        name: "scale_4_20ma",
        title: "4-20 mA scaling",
        description: "Converts a 4-20 mA signal to an engineering value or back, with NAMUR NE 43 fault limits.",
        formula: "value = lo + (I − 4 mA)/16 mA·(hi − lo);  I = 4 mA + 16 mA·(value − lo)/(hi − lo)",
        source: "IEC 60381-1 (4-20 mA); NAMUR NE 43 (fault below 3.6 mA, above 21 mA)",
        args: &[
            Arg::choice("direction", &["to_value", "to_ma"], "to_value: mA → value; to_ma: value → mA").or("to_value"),
            Arg::number("signal", Current, "mA", "the signal, for to_value").optional().at_least(0.0),
            Arg::number("value", Ratio, "", "the engineering value, for to_ma").optional(),
            Arg::number("lo", Ratio, "", "value at 4 mA"),
            Arg::number("hi", Ratio, "", "value at 20 mA"),
        ],
        run: scale_4_20,
    },
    Tool {
        name: "pt100",
        title: "Platinum RTD (Pt100) resistance and temperature",
        description: "Resistance of a Pt100/Pt1000 at a temperature, or the temperature for a resistance, by the Callendar–Van Dusen equation.",
        formula: "R(t) = R0·(1 + A·t + B·t² + C·(t − 100)·t³)  (C = 0 for t ≥ 0); A = 3.9083e-3, B = −5.775e-7, C = −4.183e-12",
        source: "IEC 60751:2022",
        args: &[
            Arg::choice("direction", &["to_resistance", "to_temperature"], "to_resistance: t → R; to_temperature: R → t").or("to_resistance"),
            Arg::number("temperature", Temperature, "°C", "temperature, for to_resistance (−200 to 850 °C)").optional(),
            Arg::number("resistance", Resistance, "Ω", "resistance, for to_temperature").optional().positive(),
            Arg::number("r0", Resistance, "Ω", "resistance at 0 °C (100 for Pt100, 1000 for Pt1000)").positive().or("100"),
        ],
        run: pt100,
    },
    Tool {
        name: "thermocouple",
        title: "Thermocouple EMF and temperature (types K, J, T)",
        description: "The EMF a type K, J or T thermocouple gives at a temperature, or the temperature for a measured EMF, with cold-junction compensation.",
        formula: "E_measured = E(t) − E(t_cj);  t = E⁻¹(E_measured + E(t_cj)), E(t) the ITS-90 reference function (reference junction 0 °C)",
        source: "IEC 60584-1:2013; NIST Monograph 175 (ITS-90 thermocouple reference functions)",
        args: &[
            Arg::choice("type", &["k", "j", "t"], "thermocouple type").or("k"),
            Arg::choice("direction", &["to_emf", "to_temperature"], "to_emf: t → EMF; to_temperature: EMF → t").or("to_emf"),
            Arg::number("temperature", Temperature, "°C", "hot-junction temperature, for to_emf").optional(),
            Arg::number("emf", Voltage, "mV", "measured EMF at the terminals, for to_temperature").optional(),
            Arg::number("cold_junction", Temperature, "°C", "temperature of the reference (cold) junction").or("0"),
        ],
        run: thermocouple,
    },
    Tool {
        name: "pid_tuning",
        title: "PID tuning rules",
        description: "Controller settings from step-response parameters (process gain K, dead time L, time constant T) or from the ultimate gain and period.",
        formula: "ZN open: Kp = 1.2·T/(K·L), Ti = 2L, Td = L/2 (PI: 0.9·T/(K·L), Ti = L/0.3); ZN closed: Kp = 0.6·Ku, Ti = Pu/2, Td = Pu/8 (PI: 0.45·Ku, Pu/1.2); Cohen–Coon; SIMC: Kp = T/(K·(τc + L)), Ti = min(T, 4(τc + L))",
        source: "Ziegler & Nichols (1942); Cohen & Coon (1953); Skogestad, J. Process Control 13 (2003)",
        args: &[
            Arg::choice("method", &["zn_open", "zn_closed", "cohen_coon", "simc"], "tuning rule"),
            Arg::choice("controller", &["pi", "pid"], "controller type").or("pid"),
            Arg::number("gain", Ratio, "", "process gain K (output change / input change)").optional(),
            Arg::number("dead_time", Time, "s", "dead time L").optional().positive(),
            Arg::number("time_constant", Time, "s", "time constant T").optional().positive(),
            Arg::number("ultimate_gain", Ratio, "", "ultimate gain Ku, for zn_closed").optional().positive(),
            Arg::number("ultimate_period", Time, "s", "ultimate period Pu, for zn_closed").optional().positive(),
            Arg::number("tau_c", Time, "s", "SIMC closed-loop time constant (default: the dead time)").optional().positive(),
        ],
        run: pid_tuning,
    },
    Tool {
        name: "fopdt_identify",
        title: "First-order-plus-dead-time model from a step response",
        description: "Process gain, time constant and dead time from the samples of an open-loop step response (then feed them to pid_tuning).",
        formula: "K = Δy/Δu;  T = 1.5·(t63 − t28);  L = t63 − T  (t28, t63: times at 28.3 % and 63.2 % of Δy after the step)",
        source: "Smith's two-point method; Seborg, Edgar, Mellichamp, Process Dynamics and Control, ch. 7",
        args: &[
            Arg::text("samples", "the response as time:value pairs in seconds, from the step on, e.g. \"0:20, 5:20.4, 10:22.1, …\""),
            Arg::number("step", Ratio, "", "the size of the input step Δu").or("1"),
        ],
        run: fopdt,
    },
    Tool {
        name: "cylinder_force",
        title: "Pneumatic cylinder force",
        description: "Extending and retracting force of a double-acting cylinder at a pressure.",
        formula: "F_push = η·p·π·D²/4;  F_pull = η·p·π·(D² − d²)/4",
        source: "ISO 15552 cylinders; Festo/SMC sizing practice",
        args: &[
            Arg::number("pressure", Pressure, "bar", "working pressure (gauge)").positive(),
            Arg::number("bore", Length, "mm", "piston diameter D").positive(),
            Arg::number("rod", Length, "mm", "rod diameter d").at_least(0.0).or("0"),
            Arg::number("efficiency", Ratio, "", "friction efficiency η").positive().range(0.0, 1.0).or("1"),
        ],
        run: cylinder_force,
    },
    Tool {
        name: "pump_power",
        title: "Pump hydraulic and shaft power",
        description: "Hydraulic power a pump adds to a liquid, and the shaft power at an efficiency.",
        formula: "P_hyd = ρ·g·Q·H;  P_shaft = P_hyd / η",
        source: "ISO 9906; EN 16480",
        args: &[
            Arg::number("flow", Flow, "m3/h", "flow rate Q").positive(),
            Arg::number("head", Length, "m", "total head H").positive(),
            Arg::number("density", Density, "kg/m3", "liquid density ρ").positive().or("998.2"),
            Arg::number("efficiency", Ratio, "", "pump efficiency η").positive().range(0.0, 1.0).or("1"),
        ],
        run: pump_power,
    },
    Tool {
        name: "pipe_pressure_drop",
        title: "Pipe flow velocity and Darcy–Weisbach pressure drop",
        description: "Velocity, Reynolds number, friction factor and pressure drop of a liquid in a straight round pipe.",
        formula: "v = Q/(π·D²/4);  Re = ρ·v·D/μ;  f = 64/Re (laminar) or Swamee–Jain 0.25/[log10(ε/(3.7D) + 5.74/Re^0.9)]²;  Δp = f·(L/D)·ρ·v²/2",
        source: "Darcy–Weisbach; Swamee & Jain, J. Hydraulics Div. ASCE 102 (1976)",
        args: &[
            Arg::number("flow", Flow, "m3/h", "flow rate Q").positive(),
            Arg::number("diameter", Length, "mm", "inner diameter D").positive(),
            Arg::number("length", Length, "m", "pipe length L").positive(),
            Arg::number("roughness", Length, "mm", "absolute roughness ε (steel 0.045 mm)").at_least(0.0).or("0.045"),
            Arg::number("density", Density, "kg/m3", "density ρ").positive().or("998.2"),
            Arg::number("viscosity", Ratio, "", "dynamic viscosity μ in Pa·s (water at 20 °C: 0.001)").positive().or("0.001"),
        ],
        run: pipe_drop,
    },
    Tool {
        name: "tank_volume",
        title: "Tank volume from level",
        description: "Liquid volume in a vertical or horizontal cylindrical tank at a level.",
        formula: "vertical: V = π·D²/4·h;  horizontal: V = L·(r²·acos((r − h)/r) − (r − h)·√(2rh − h²))",
        source: "geometry of the circular segment",
        args: &[
            Arg::choice("shape", &["vertical", "horizontal"], "tank orientation"),
            Arg::number("diameter", Length, "m", "inner diameter D").positive(),
            Arg::number("level", Length, "m", "liquid level h from the bottom").at_least(0.0),
            Arg::number("length", Length, "m", "cylinder length, for horizontal tanks").optional().positive(),
        ],
        run: tank_volume,
    },
    Tool {
        name: "conveyor",
        title: "Belt conveyor speed and throughput",
        description: "Belt speed from drum diameter and speed, and mass throughput from the load per metre of belt.",
        formula: "v = π·D·n;  throughput = m' · v  (m' in kg/m)",
        source: "ISO 5048 / DIN 22101 (belt conveyor design)",
        args: &[
            Arg::number("drum_diameter", Length, "mm", "drive drum diameter D").positive(),
            Arg::number("drum_speed", RotationalSpeed, "rpm", "drum speed n").positive(),
            Arg::number("load", Ratio, "", "load per metre of belt, kg/m").optional().at_least(0.0),
        ],
        run: conveyor,
    },
];

fn convert(i: &Inputs) -> Result<Calc, String> {
    let value = i.word("value");
    let to = i.word("to").trim();
    let unit_at = value
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | ' ')))
        .ok_or_else(|| format!("`value`: {value:?} has no unit; write e.g. \"10 bar\""))?;
    let unit = value[unit_at..].trim();
    let kind = crate::quantity::ALL
        .iter()
        .copied()
        .find(|k| *k != Ratio && k.units().contains(&unit))
        .ok_or_else(|| format!("`value`: unknown unit {unit:?}"))?;
    let si = kind
        .parse(value, unit)
        .map_err(|e| format!("`value`: {e}"))?;
    if kind.from_si(si, to).is_none() {
        return Err(format!(
            "`to`: {to:?} is not a unit of {}; use one of {}",
            kind.name(),
            kind.units().join(", ")
        ));
    }
    let unit: &'static str = kind
        .units()
        .iter()
        .copied()
        .find(|u| *u == to)
        .unwrap_or("");
    Ok(Calc::default().out("result", kind, unit, si))
}

fn three_phase_power(i: &Inputs) -> Result<Calc, String> {
    let s = SQRT3 * i.n("voltage") * i.n("current");
    let p = s * i.n("cos_phi");
    Ok(Calc::default()
        .out("apparent_power", Power, "kVA", s)
        .out("active_power", Power, "kW", p)
        .out("output_power", Power, "kW", p * i.n("efficiency")))
}

fn three_phase_current(i: &Inputs) -> Result<Calc, String> {
    let current = i.n("power") / (SQRT3 * i.n("voltage") * i.n("cos_phi") * i.n("efficiency"));
    Ok(Calc::default().out("current", Current, "A", current))
}

fn motor_torque(i: &Inputs) -> Result<Calc, String> {
    Ok(Calc::default().out("torque", Torque, "N·m", i.n("power") / i.n("speed")))
}

fn cable_voltage_drop(i: &Inputs) -> Result<Calc, String> {
    // ρ at service temperature (1.25 × the value at 20 °C), in Ω·m.
    let rho = if i.word("material") == "aluminium" {
        0.036e-6
    } else {
        0.0225e-6
    };
    let lambda = 0.08e-3; // Ω/m
    let (b, u0) = if i.word("phases") == "1" {
        (2.0, i.n("voltage"))
    } else {
        (1.0, i.n("voltage") / SQRT3)
    };
    let (cos, l) = (i.n("cos_phi"), i.n("length"));
    let sin = (1.0 - cos * cos).max(0.0).sqrt();
    let u = b * (rho * l / i.n("cross_section") * cos + lambda * l * sin) * i.n("current");
    let pct = 100.0 * u / u0;
    let mut c = Calc::default().out("voltage_drop", Voltage, "V", u).out(
        "voltage_drop_percent",
        Ratio,
        "",
        pct,
    );
    if pct > 4.0 {
        c = c.note("IEC 60364-5-52 recommends at most 4 % for installations supplied from the public low-voltage network");
    }
    Ok(c)
}

fn short_circuit(i: &Inputs) -> Result<Calc, String> {
    let ik = i.n("c") * i.n("rated_power") / (SQRT3 * i.n("voltage") * i.n("uk"));
    Ok(Calc::default()
        .out("short_circuit_current", Current, "kA", ik)
        .note("the grid upstream is taken as infinite, so the real current is lower"))
}

fn star_delta(i: &Inputs) -> Result<Calc, String> {
    let d = i.n("delta_current");
    Ok(Calc::default()
        .out("star_line_current", Current, "A", d / 3.0)
        .out("delta_phase_current", Current, "A", d / SQRT3)
        .out("star_torque_ratio", Ratio, "", 1.0 / 3.0))
}

fn scale_4_20(i: &Inputs) -> Result<Calc, String> {
    let (lo, hi) = (i.n("lo"), i.n("hi"));
    if lo == hi {
        return Err("`lo` and `hi` must differ".into());
    }
    if i.word("direction") == "to_ma" {
        if !i.has("value") {
            return Err("to_ma needs `value`".into());
        }
        let v = i.n("value");
        if (v - lo) * (v - hi) > 0.0 {
            return Err(format!("`value` {v} is outside the range {lo} to {hi}"));
        }
        let ma = 4.0 + 16.0 * (v - lo) / (hi - lo);
        return Ok(Calc::default().out("signal", Current, "mA", ma / 1000.0));
    }
    if !i.has("signal") {
        return Err("to_value needs `signal`".into());
    }
    let ma = i.n("signal") * 1000.0;
    if ma < 3.6 {
        return Err(format!("`signal` {ma} mA is below 3.6 mA: a wire break or a failed transmitter (NAMUR NE 43), not a value"));
    }
    if ma > 21.0 {
        return Err(format!("`signal` {ma} mA is above 21 mA: a short circuit or a failed transmitter (NAMUR NE 43), not a value"));
    }
    let mut c = Calc::default().out("value", Ratio, "", lo + (ma - 4.0) / 16.0 * (hi - lo));
    if !(3.8..=20.5).contains(&ma) {
        c = c.note(format!("{ma} mA is outside the measuring range 3.8-20.5 mA (NAMUR NE 43): the value is extrapolated"));
    }
    Ok(c)
}

const CVD_A: f64 = 3.9083e-3;
const CVD_B: f64 = -5.775e-7;
const CVD_C: f64 = -4.183e-12;

/// Callendar–Van Dusen, t in °C.
pub fn pt_resistance(r0: f64, t: f64) -> f64 {
    let c = if t < 0.0 { CVD_C } else { 0.0 };
    r0 * (1.0 + CVD_A * t + CVD_B * t * t + c * (t - 100.0) * t * t * t)
}

fn pt100(i: &Inputs) -> Result<Calc, String> {
    let r0 = i.n("r0");
    if i.word("direction") == "to_temperature" {
        if !i.has("resistance") {
            return Err("to_temperature needs `resistance`".into());
        }
        let r = i.n("resistance");
        let (rmin, rmax) = (pt_resistance(r0, -200.0), pt_resistance(r0, 850.0));
        if r < rmin || r > rmax {
            return Err(format!(
                "`resistance` {r} Ω is outside the sensor's range {rmin:.2} to {rmax:.2} Ω (−200 to 850 °C, IEC 60751)"
            ));
        }
        // R(t) is monotonic: solve by Newton's method from the quadratic solution.
        let mut t =
            (-CVD_A + (CVD_A * CVD_A - 4.0 * CVD_B * (1.0 - r / r0)).sqrt()) / (2.0 * CVD_B);
        for _ in 0..50 {
            let f = pt_resistance(r0, t) - r;
            let d = (pt_resistance(r0, t + 1e-6) - pt_resistance(r0, t - 1e-6)) / 2e-6;
            let step = f / d;
            t -= step;
            if step.abs() < 1e-12 {
                break;
            }
        }
        return Ok(Calc::default().out("temperature", Temperature, "°C", t + 273.15));
    }
    if !i.has("temperature") {
        return Err("to_resistance needs `temperature`".into());
    }
    // Kelvin round trips leave ~1e-13 of noise at the range's ends.
    let t = ((i.n("temperature") - 273.15) * 1e9).round() / 1e9;
    if !(-200.0..=850.0).contains(&t) {
        return Err(format!(
            "`temperature` {t:.2} °C is outside −200 to 850 °C, the range of IEC 60751"
        ));
    }
    Ok(Calc::default().out("resistance", Resistance, "Ω", pt_resistance(r0, t)))
}

fn thermocouple(i: &Inputs) -> Result<Calc, String> {
    let ty = crate::thermocouple::by_name(i.word("type")).ok_or("`type` must be k, j or t")?;
    // Kelvin round trips leave ~1e-13 of noise at the range's ends.
    let celsius = |name: &str| ((i.n(name) - 273.15) * 1e9).round() / 1e9;
    let cj = ty
        .emf_mv(celsius("cold_junction"))
        .map_err(|e| format!("`cold_junction`: {e}"))?;
    if i.word("direction") == "to_temperature" {
        if !i.has("emf") {
            return Err("to_temperature needs `emf`".into());
        }
        let t = ty
            .temperature_c(i.n("emf") * 1e3 + cj)
            .map_err(|e| format!("`emf` plus the cold junction's EMF: {e}"))?;
        return Ok(Calc::default().out("temperature", Temperature, "°C", t + 273.15));
    }
    if !i.has("temperature") {
        return Err("to_emf needs `temperature`".into());
    }
    let e = ty
        .emf_mv(celsius("temperature"))
        .map_err(|e| format!("`temperature`: {e}"))?;
    Ok(Calc::default().out("emf", Voltage, "mV", (e - cj) * 1e-3))
}

fn pid_tuning(i: &Inputs) -> Result<Calc, String> {
    let pid = i.word("controller") == "pid";
    let need = |names: &[&str]| -> Result<(), String> {
        let missing: Vec<&str> = names.iter().copied().filter(|n| !i.has(n)).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("{} needs {}", i.word("method"), missing.join(", ")))
        }
    };
    let (kp, ti, td) = match i.word("method") {
        "zn_closed" => {
            need(&["ultimate_gain", "ultimate_period"])?;
            let (ku, pu) = (i.n("ultimate_gain"), i.n("ultimate_period"));
            if pid {
                (0.6 * ku, pu / 2.0, pu / 8.0)
            } else {
                (0.45 * ku, pu / 1.2, 0.0)
            }
        }
        method => {
            need(&["gain", "dead_time", "time_constant"])?;
            let (k, l, t) = (i.n("gain"), i.n("dead_time"), i.n("time_constant"));
            if k == 0.0 {
                return Err("`gain` must not be zero".into());
            }
            match method {
                "zn_open" if pid => (1.2 * t / (k * l), 2.0 * l, 0.5 * l),
                "zn_open" => (0.9 * t / (k * l), l / 0.3, 0.0),
                "cohen_coon" if pid => (
                    (t / (k * l)) * (4.0 / 3.0 + l / (4.0 * t)),
                    l * (32.0 + 6.0 * l / t) / (13.0 + 8.0 * l / t),
                    4.0 * l / (11.0 + 2.0 * l / t),
                ),
                "cohen_coon" => (
                    (t / (k * l)) * (0.9 + l / (12.0 * t)),
                    l * (30.0 + 3.0 * l / t) / (9.0 + 20.0 * l / t),
                    0.0,
                ),
                _ => {
                    if pid {
                        return Err("SIMC gives a PI controller for a first-order process with dead time; use controller pi".into());
                    }
                    let tc = if i.has("tau_c") { i.n("tau_c") } else { l };
                    (t / (k * (tc + l)), t.min(4.0 * (tc + l)), 0.0)
                }
            }
        }
    };
    let mut c = Calc::default()
        .out("kp", Ratio, "", kp)
        .out("ti", Time, "s", ti);
    if pid {
        c = c.out("td", Time, "s", td);
    }
    Ok(c.note("parallel (ideal) form: u = Kp·(e + 1/Ti·∫e dt + Td·de/dt)"))
}

fn cylinder_force(i: &Inputs) -> Result<Calc, String> {
    let (p, d, rod, eta) = (i.n("pressure"), i.n("bore"), i.n("rod"), i.n("efficiency"));
    if rod >= d {
        return Err(format!(
            "`rod` must be smaller than `bore` ({} mm)",
            d * 1000.0
        ));
    }
    Ok(Calc::default()
        .out("push_force", Force, "N", eta * p * PI * d * d / 4.0)
        .out(
            "pull_force",
            Force,
            "N",
            eta * p * PI * (d * d - rod * rod) / 4.0,
        ))
}

fn pump_power(i: &Inputs) -> Result<Calc, String> {
    let hyd = i.n("density") * G * i.n("flow") * i.n("head");
    Ok(Calc::default()
        .out("hydraulic_power", Power, "kW", hyd)
        .out("shaft_power", Power, "kW", hyd / i.n("efficiency")))
}

fn pipe_drop(i: &Inputs) -> Result<Calc, String> {
    let (q, d, l, eps, rho, mu) = (
        i.n("flow"),
        i.n("diameter"),
        i.n("length"),
        i.n("roughness"),
        i.n("density"),
        i.n("viscosity"),
    );
    let v = q / (PI * d * d / 4.0);
    let re = rho * v * d / mu;
    let (f, regime) = if re < 2300.0 {
        (64.0 / re, "laminar")
    } else {
        let x = (eps / (3.7 * d) + 5.74 / re.powf(0.9)).log10();
        (0.25 / (x * x), "turbulent")
    };
    let dp = f * (l / d) * rho * v * v / 2.0;
    let mut c = Calc::default()
        .out("velocity", Velocity, "m/s", v)
        .out("reynolds", Ratio, "", re)
        .out("friction_factor", Ratio, "", f)
        .out("pressure_drop", Pressure, "bar", dp)
        .note(format!("{regime} flow"));
    if (2300.0..4000.0).contains(&re) {
        c = c.note("2300 < Re < 4000 is transitional: the friction factor is uncertain");
    }
    Ok(c)
}

fn tank_volume(i: &Inputs) -> Result<Calc, String> {
    let (d, h) = (i.n("diameter"), i.n("level"));
    let r = d / 2.0;
    if i.word("shape") == "horizontal" {
        if !i.has("length") {
            return Err("a horizontal tank needs `length`".into());
        }
        if h > d {
            return Err(format!("`level` {h} m is above the diameter {d} m"));
        }
        let seg = r * r * ((r - h) / r).clamp(-1.0, 1.0).acos()
            - (r - h) * (2.0 * r * h - h * h).max(0.0).sqrt();
        let total = PI * r * r * i.n("length");
        let v = seg * i.n("length");
        return Ok(Calc::default().out("volume", Kind::Volume, "m3", v).out(
            "fill_percent",
            Ratio,
            "",
            100.0 * v / total,
        ));
    }
    Ok(Calc::default().out("volume", Kind::Volume, "m3", PI * r * r * h))
}

fn conveyor(i: &Inputs) -> Result<Calc, String> {
    // ω·D/2 is the belt speed.
    let v = i.n("drum_speed") * i.n("drum_diameter") / 2.0;
    let mut c = Calc::default().out("belt_speed", Velocity, "m/s", v);
    if i.has("load") {
        c = c.out("throughput_t_per_h", Ratio, "", i.n("load") * v * 3.6);
    }
    Ok(c)
}

/// `"t:y, t:y, …"` → samples sorted by time.
fn samples(text: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut out = Vec::new();
    for pair in text
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (t, y) = pair
            .split_once(':')
            .ok_or_else(|| format!("`samples`: {pair:?} is not time:value"))?;
        let t: f64 = t
            .trim()
            .parse()
            .map_err(|_| format!("`samples`: {t:?} is not a time in seconds"))?;
        let y: f64 = y
            .trim()
            .parse()
            .map_err(|_| format!("`samples`: {y:?} is not a number"))?;
        if !(t.is_finite() && y.is_finite()) {
            return Err(format!("`samples`: {pair:?} is not finite"));
        }
        out.push((t, y));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    if out.len() < 5 {
        return Err(
            "`samples`: give at least 5 time:value pairs covering the whole response".into(),
        );
    }
    Ok(out)
}

/// The first time the response crosses `level`, interpolated between samples.
fn crossing(s: &[(f64, f64)], level: f64, rising: bool) -> Option<f64> {
    s.windows(2).find_map(|w| {
        let ((t0, y0), (t1, y1)) = (w[0], w[1]);
        let crossed = if rising {
            y0 < level && y1 >= level
        } else {
            y0 > level && y1 <= level
        };
        crossed.then(|| t0 + (level - y0) / (y1 - y0) * (t1 - t0))
    })
}

fn fopdt(i: &Inputs) -> Result<Calc, String> {
    let s = samples(i.word("samples"))?;
    let du = i.n("step");
    if du == 0.0 {
        return Err("`step` must not be zero".into());
    }
    let (t_start, y0) = s[0];
    let y_end = s[s.len() - 1].1;
    let dy = y_end - y0;
    if dy.abs() < 1e-12 {
        return Err("`samples`: the response does not change; was the step applied?".into());
    }
    let rising = dy > 0.0;
    let t28 = crossing(&s, y0 + 0.283 * dy, rising)
        .ok_or("`samples`: the response never reaches 28.3 %")?;
    let t63 = crossing(&s, y0 + 0.632 * dy, rising)
        .ok_or("`samples`: the response never reaches 63.2 %")?;
    let t = 1.5 * (t63 - t28);
    let l = (t63 - t_start - t).max(0.0);
    let mut c = Calc::default()
        .out("gain", Ratio, "", dy / du)
        .out("time_constant", Time, "s", t)
        .out("dead_time", Time, "s", l);
    // The last samples should have settled: compare the last quarter's spread.
    let tail = &s[s.len() * 3 / 4..];
    let spread = tail.iter().map(|p| p.1).fold(f64::MIN, f64::max)
        - tail.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    if spread > 0.05 * dy.abs() {
        c = c.note("the response has not settled in the last quarter of the samples: the gain is underestimated");
    }
    Ok(c)
}
