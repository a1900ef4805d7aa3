//! A timing diagram of a run, as PLC programmers read traces: each signal's
//! value cycle by cycle, kept as the points where it changes, and reduced to
//! what a pixel column can show (its least and greatest value there), so a
//! run of 100,000 cycles draws in as many points as the plot is wide.
//!
//! Front ends draw it (the CLI as SVG, the app in its window); this module
//! holds no drawing.

use serde::Serialize;

use super::ir::SType;
use super::session::Session;
use super::value::Num;

/// How a signal is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 0 or 1, drawn as steps.
    Bool,
    /// Integers, bit strings, reals, enumerations (by index), drawn as a line.
    Number,
    /// TIME and LTIME, in milliseconds.
    Time,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub name: String,
    pub kind: Kind,
    /// `(cycle, value)` where the value changes, the first cycle always;
    /// cycles count from 0 and rise.
    pub changes: Vec<(u64, f64)>,
}

/// Something to mark at a cycle: a failing test step, a runtime fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    pub cycle: u64,
    pub label: String,
}

/// From `cycle` on, each cycle took `cycle_ms`: cycle `c` ran at
/// `time_ms + (c - cycle) · cycle_ms` (until the next pace).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pace {
    pub cycle: u64,
    pub time_ms: f64,
    pub cycle_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagram {
    pub pou: String,
    /// The virtual clock, as the points where the cycle time changes (a test
    /// step with its own `cycle_ms`); the first cycle always.
    pub clock: Vec<Pace>,
    /// Cycles sampled (the last is `cycles - 1`).
    pub cycles: u64,
    pub signals: Vec<Signal>,
    pub marks: Vec<Mark>,
    /// Variables asked for that a diagram cannot show (strings, structures,
    /// arrays, instances).
    pub left_out: Vec<String>,
    /// Set when the run changed its signals more often than a diagram keeps
    /// ([`MAX_CHANGES`]): the diagram ends at `cycles`, before the run did.
    pub truncated: bool,
}

/// The most change points a diagram keeps over all its signals (16 bytes
/// each): a run of millions of cycles whose values change every cycle stops
/// being recorded there, not when memory runs out.
pub const MAX_CHANGES: usize = 4_000_000;

impl Diagram {
    /// The time in ms at which `cycle` ran (`cycles` for the end of the run).
    pub fn time_ms(&self, cycle: u64) -> f64 {
        let i = self.clock.partition_point(|p| p.cycle <= cycle);
        match i.checked_sub(1).map(|i| self.clock[i]) {
            Some(p) => p.time_ms + (cycle - p.cycle) as f64 * p.cycle_ms,
            None => 0.0,
        }
    }

    /// When the last cycle ended: the length of the time axis.
    pub fn end_ms(&self) -> f64 {
        self.time_ms(self.cycles)
    }
}

impl Signal {
    /// The value in effect at `cycle` (the last change at or before it).
    pub fn at(&self, cycle: u64) -> Option<f64> {
        let i = self.changes.partition_point(|(c, _)| *c <= cycle);
        i.checked_sub(1).map(|i| self.changes[i].1)
    }

    /// The least and greatest value in effect in each of `columns` equal
    /// spans of `0..cycles`; `None` for a span before the first sample.
    /// One pass over the changes, however many cycles there are.
    pub fn envelope(&self, cycles: u64, columns: usize) -> Vec<Option<(f64, f64)>> {
        let mut out = Vec::with_capacity(columns);
        if columns == 0 {
            return out;
        }
        let cycles = cycles.max(1);
        let mut next = 0; // the first change not yet applied
        let mut current: Option<f64> = None;
        for col in 0..columns as u64 {
            let start = col * cycles / columns as u64;
            // A span is at least the one cycle it starts at.
            let end = ((col + 1) * cycles / columns as u64).max(start + 1);
            // What holds at the span's start.
            while next < self.changes.len() && self.changes[next].0 <= start {
                current = Some(self.changes[next].1);
                next += 1;
            }
            let mut span = current.map(|v| (v, v));
            let mut k = next;
            while k < self.changes.len() && self.changes[k].0 < end {
                let v = self.changes[k].1;
                span = Some(match span {
                    Some((lo, hi)) => (lo.min(v), hi.max(v)),
                    None => (v, v),
                });
                k += 1;
            }
            out.push(span);
        }
        out
    }

    /// The least and greatest value over the whole run.
    pub fn range(&self) -> Option<(f64, f64)> {
        self.changes.iter().fold(None, |r, &(_, v)| {
            Some(match r {
                Some((lo, hi)) => (f64::min(lo, v), f64::max(hi, v)),
                None => (v, v),
            })
        })
    }
}

/// Samples a session's scalar variables once per cycle into a [`Diagram`].
pub struct Recorder {
    /// Each signal's cell address and scalar kind.
    probes: Vec<(usize, Num)>,
    diagram: Diagram,
    kept: usize,
    /// The clock when the last sampled cycle ended (the next one's start).
    ended_ms: f64,
}

impl Recorder {
    /// A recorder of the variables named in `names` (dotted paths work:
    /// `tmr.ET`). A name the POU lacks is an error naming it; one that is no
    /// scalar is listed in [`Diagram::left_out`]. Each cycle's time is read
    /// from the session's clock, so any cycle time is drawn where it ran.
    pub fn new(session: &Session, names: &[&str]) -> Result<Recorder, super::SessionError> {
        let mut probes = Vec::new();
        let mut signals = Vec::new();
        let mut left_out = Vec::new();
        for name in names {
            let (_, ty, addr) = session.resolve(name)?;
            match kind_of(&ty) {
                Some((kind, num)) => {
                    probes.push((addr, num));
                    signals.push(Signal {
                        name: name.to_string(),
                        kind,
                        changes: Vec::new(),
                    });
                }
                None => left_out.push(name.to_string()),
            }
        }
        Ok(Recorder {
            probes,
            diagram: Diagram {
                pou: session.prog().pous[session.pou].name.clone(),
                clock: Vec::new(),
                cycles: 0,
                signals,
                marks: Vec::new(),
                left_out,
                truncated: false,
            },
            kept: 0,
            ended_ms: session.machine.now_ns as f64 / 1e6,
        })
    }

    /// The signals' values now, as the next cycle (sampled after it ran).
    pub fn sample(&mut self, session: &Session) {
        if self.diagram.truncated {
            return;
        }
        if self.kept + self.probes.len() > MAX_CHANGES {
            self.diagram.truncated = true;
            return;
        }
        let cycle = self.diagram.cycles;
        let started = self.ended_ms;
        self.ended_ms = session.machine.now_ns as f64 / 1e6;
        let took = self.ended_ms - started;
        if self
            .diagram
            .clock
            .last()
            .is_none_or(|p| (p.cycle_ms - took).abs() > 1e-9)
        {
            self.diagram.clock.push(Pace {
                cycle,
                time_ms: started,
                cycle_ms: took,
            });
        }
        for ((addr, num), signal) in self.probes.iter().zip(&mut self.diagram.signals) {
            let cell = &session.machine.mem[*addr];
            let v = match num {
                Num::Real | Num::LReal => cell.real(),
                // Nanoseconds, shown in milliseconds like TIME.
                Num::LTime => cell.int() as f64 / 1e6,
                _ => cell.int() as f64,
            };
            if signal.changes.last().is_none_or(|(_, last)| *last != v) {
                signal.changes.push((cycle, v));
                self.kept += 1;
            }
        }
        self.diagram.cycles += 1;
    }

    /// Marks the cycle last sampled (or the first, before any).
    pub fn mark(&mut self, label: impl Into<String>) {
        self.diagram.marks.push(Mark {
            cycle: self.diagram.cycles.saturating_sub(1),
            label: label.into(),
        });
    }

    pub fn finish(self) -> Diagram {
        self.diagram
    }
}

/// How a scalar type is drawn; `None` for what a diagram cannot show.
fn kind_of(ty: &SType) -> Option<(Kind, Num)> {
    let num = ty.scalar()?;
    let kind = match num {
        Num::Bool => Kind::Bool,
        Num::Time | Num::LTime => Kind::Time,
        Num::Int { .. } | Num::Bits(_) | Num::Real | Num::LReal | Num::Enum => Kind::Number,
        Num::Date | Num::Tod | Num::Dt | Num::Str { .. } | Num::Ptr => return None,
    };
    Some((kind, num))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim;

    fn signal(changes: &[(u64, f64)]) -> Signal {
        Signal {
            name: "x".into(),
            kind: Kind::Number,
            changes: changes.to_vec(),
        }
    }

    #[test]
    fn each_cycle_is_drawn_at_the_time_it_ran() {
        let code =
            "FUNCTION_BLOCK FB_T\nVAR_OUTPUT n : INT; END_VAR\nn := n + 1;\nEND_FUNCTION_BLOCK\n";
        let prog = sim::load(&[code]).unwrap_or_else(|e| panic!("{:?}", e.0[0].diagnostics));
        let mut s = Session::new(&prog, "FB_T").unwrap();
        let mut r = Recorder::new(&s, &["n"]).unwrap();
        // 3 cycles of 10 ms, 2 of 100 ms, 1 of 10 ms again.
        for ms in [10.0, 10.0, 10.0, 100.0, 100.0, 10.0] {
            s.cycle(ms).unwrap();
            r.sample(&s);
        }
        let d = r.finish();
        assert_eq!(d.clock.len(), 3, "{:?}", d.clock);
        let times: Vec<f64> = (0..=6).map(|c| d.time_ms(c)).collect();
        assert_eq!(times, [0.0, 10.0, 20.0, 30.0, 130.0, 230.0, 240.0]);
    }

    /// The envelope against every cycle's value, column by column.
    #[test]
    fn the_envelope_is_each_columns_least_and_greatest_value() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for cycles in [1u64, 2, 7, 100, 999, 5000] {
            let mut values = Vec::new();
            let mut changes = Vec::new();
            let mut v = 0.0;
            for c in 0..cycles {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if seed.is_multiple_of(5) || c == 0 {
                    v = (seed % 1000) as f64 - 500.0;
                    if changes.last().is_none_or(|(_, l)| *l != v) {
                        changes.push((c, v));
                    }
                }
                values.push(v);
            }
            let s = signal(&changes);
            for columns in [1usize, 3, 64, 1000, 7000] {
                let env = s.envelope(cycles, columns);
                assert_eq!(env.len(), columns);
                for (col, got) in env.iter().enumerate() {
                    let start = col as u64 * cycles / columns as u64;
                    let end = ((col as u64 + 1) * cycles / columns as u64).max(start + 1);
                    let span = &values[start.min(cycles - 1) as usize..end.min(cycles) as usize];
                    let lo = span.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = span.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    assert_eq!(*got, Some((lo, hi)), "{cycles} cycles, column {col}");
                }
            }
            for (c, want) in values.iter().enumerate() {
                assert_eq!(s.at(c as u64), Some(*want));
            }
        }
        assert_eq!(signal(&[(5, 1.0)]).at(4), None);
        assert_eq!(
            signal(&[(5, 1.0)]).envelope(10, 2),
            [None, Some((1.0, 1.0))]
        );
    }

    #[test]
    fn a_run_records_changes_by_type_and_names_what_it_cannot_show() {
        let code = "FUNCTION_BLOCK FB_Blink
VAR_INPUT enable : BOOL; label : STRING; END_VAR
VAR_OUTPUT q : BOOL; n : INT; level : REAL; END_VAR
VAR t : TON; END_VAR
t(IN := enable AND NOT t.Q, PT := T#30ms);
IF t.Q THEN q := NOT q; n := n + 1; END_IF;
level := INT_TO_REAL(n) / 2.0;
END_FUNCTION_BLOCK
";
        let prog = sim::load(&[code]).unwrap_or_else(|e| panic!("{:?}", e.0[0].diagnostics));
        let mut s = Session::new(&prog, "FB_Blink").unwrap();
        s.set("enable", &serde_json::json!(true)).unwrap();
        let names = ["enable", "q", "n", "level", "t.ET", "label"];
        let mut r = Recorder::new(&s, &names).unwrap();
        for _ in 0..100 {
            s.cycle(10.0).unwrap();
            r.sample(&s);
        }
        r.mark("end");
        let d = r.finish();
        assert_eq!(d.cycles, 100);
        assert_eq!(
            d.clock,
            [Pace {
                cycle: 0,
                time_ms: 0.0,
                cycle_ms: 10.0
            }]
        );
        assert_eq!((d.time_ms(99), d.end_ms()), (990.0, 1000.0));
        assert_eq!(d.left_out, ["label"]);
        let kinds: Vec<Kind> = d.signals.iter().map(|s| s.kind).collect();
        use Kind::*;
        assert_eq!(kinds, [Bool, Bool, Number, Number, Time]);
        let q = &d.signals[1];
        // q toggles each time the timer's 30 ms run out: the changes alternate.
        assert!(q.changes.len() > 10, "{:?}", q.changes);
        assert!(q.changes.windows(2).all(|w| w[0].1 != w[1].1));
        let n = &d.signals[2];
        // n counts the toggles: one for each change of q after its first value.
        assert_eq!(q.changes[0], (0, 0.0));
        assert_eq!(n.range(), Some((0.0, (q.changes.len() - 1) as f64)));
        let level = &d.signals[3];
        assert_eq!(level.at(99), n.at(99).map(|v| v / 2.0));
        let et = &d.signals[4];
        assert!(et
            .range()
            .is_some_and(|(lo, hi)| lo == 0.0 && hi > 0.0 && hi <= 30.0));
        assert_eq!(
            d.marks,
            [Mark {
                cycle: 99,
                label: "end".into()
            }]
        );
        let missing = Recorder::new(&s, &["nothing"]).err().unwrap();
        assert!(
            matches!(&missing, super::super::SessionError::UnknownVariable { name, .. } if name == "nothing"),
            "{missing}"
        );
    }
}
