//! The IEC 61131-3 standard function blocks, run natively on their cells.
//!
//! Each instance is its inputs, then its outputs (in the order of
//! `sema::stdlib`, so member offsets agree with the checker), then its state.
//! Timers read the virtual clock; definitions follow the standard's timing
//! diagrams: a TON whose IN rises in the cycle at time t gives Q in the first
//! cycle at or after t + PT.

use super::value::Value;
use crate::sema::stdlib;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdFb {
    Ton,
    Tof,
    Tp,
    LTon,
    LTof,
    LTp,
    RTrig,
    FTrig,
    Ctu,
    Ctd,
    Ctud,
    Sr,
    Rs,
}

impl StdFb {
    pub fn from_name(upper: &str) -> Option<StdFb> {
        stdlib::function_block(upper).map(|b| b.sim)
    }

    /// Its entry in the standard library's table, which lists the blocks in
    /// this enum's order (a test holds them so): an index, as a call reads
    /// the block's size on every cycle.
    fn def(self) -> &'static stdlib::FunctionBlock {
        &stdlib::FUNCTION_BLOCKS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Parameters in cell order: (name, elementary type name, is input).
    pub fn params(self) -> Vec<(&'static str, &'static str, bool)> {
        let def = self.def();
        def.inputs
            .iter()
            .map(|&(n, t)| (n, t, true))
            .chain(def.outputs.iter().map(|&(n, t)| (n, t, false)))
            .collect()
    }

    fn state_cells(self) -> u32 {
        match self {
            StdFb::Ton | StdFb::Tof | StdFb::Tp | StdFb::LTon | StdFb::LTof | StdFb::LTp => 3,
            StdFb::RTrig | StdFb::FTrig | StdFb::Ctu | StdFb::Ctd => 1,
            StdFb::Ctud => 2,
            StdFb::Sr | StdFb::Rs => 0,
        }
    }

    pub fn size(self) -> u32 {
        let def = self.def();
        (def.inputs.len() + def.outputs.len()) as u32 + self.state_cells()
    }

    pub fn template(self) -> Vec<Value> {
        vec![Value::I(0); self.size() as usize]
    }

    /// One call of the block on its cells, at virtual time `now_ns`.
    pub fn run(self, c: &mut [Value], now_ns: i64) {
        let b = |c: &[Value], i: usize| c[i].int() != 0;
        let set = |c: &mut [Value], i: usize, v: i64| c[i] = Value::I(v);
        match self {
            StdFb::Ton | StdFb::Tof | StdFb::Tp | StdFb::LTon | StdFb::LTof | StdFb::LTp => {
                // IN 0, PT 1, Q 2, ET 3; state: previous IN 4, start 5, active 6.
                let long = matches!(self, StdFb::LTon | StdFb::LTof | StdFb::LTp);
                let now = if long { now_ns } else { now_ns / 1_000_000 };
                let (input, pt, prev) = (b(c, 0), c[1].int().max(0), b(c, 4));
                let elapsed = |c: &[Value]| (now - c[5].int()).clamp(0, pt);
                match self {
                    StdFb::Ton | StdFb::LTon => {
                        if !input {
                            set(c, 2, 0);
                            set(c, 3, 0);
                        } else {
                            if !prev {
                                set(c, 5, now);
                            }
                            let et = elapsed(c);
                            set(c, 3, et);
                            set(c, 2, (et >= pt) as i64);
                        }
                    }
                    StdFb::Tof | StdFb::LTof => {
                        if input {
                            set(c, 2, 1);
                            set(c, 3, 0);
                            set(c, 6, 0);
                        } else {
                            if prev {
                                set(c, 5, now);
                                set(c, 6, 1);
                            }
                            if b(c, 6) {
                                let et = elapsed(c);
                                set(c, 3, et);
                                let done = et >= pt;
                                set(c, 2, !done as i64);
                                if done {
                                    set(c, 6, 0);
                                }
                            }
                        }
                    }
                    _ => {
                        if input && !prev && !b(c, 6) {
                            set(c, 5, now);
                            set(c, 6, 1);
                        }
                        if b(c, 6) {
                            let et = elapsed(c);
                            set(c, 3, et);
                            if et >= pt {
                                set(c, 6, 0);
                            }
                        } else if !input {
                            set(c, 3, 0);
                        }
                        let q = c[6].int();
                        set(c, 2, q);
                    }
                }
                set(c, 4, input as i64);
            }
            StdFb::RTrig => {
                // CLK 0, Q 1; state: previous CLK 2.
                let clk = b(c, 0);
                let q = clk && !b(c, 2);
                set(c, 1, q as i64);
                set(c, 2, clk as i64);
            }
            StdFb::FTrig => {
                let clk = b(c, 0);
                let q = !clk && b(c, 2);
                set(c, 1, q as i64);
                set(c, 2, clk as i64);
            }
            StdFb::Ctu => {
                // CU 0, R 1, PV 2, Q 3, CV 4; state: previous CU 5.
                let rise = b(c, 0) && !b(c, 5);
                let cv = c[4].int();
                if b(c, 1) {
                    set(c, 4, 0);
                } else if rise && cv < i16::MAX as i64 {
                    set(c, 4, cv + 1);
                }
                let q = c[4].int() >= c[2].int();
                set(c, 3, q as i64);
                let cu = c[0].int();
                set(c, 5, cu);
            }
            StdFb::Ctd => {
                // CD 0, LD 1, PV 2, Q 3, CV 4; state: previous CD 5.
                let rise = b(c, 0) && !b(c, 5);
                let cv = c[4].int();
                if b(c, 1) {
                    let pv = c[2].int();
                    set(c, 4, pv);
                } else if rise && cv > i16::MIN as i64 {
                    set(c, 4, cv - 1);
                }
                let q = c[4].int() <= 0;
                set(c, 3, q as i64);
                let cd = c[0].int();
                set(c, 5, cd);
            }
            StdFb::Ctud => {
                // CU 0, CD 1, R 2, LD 3, PV 4, QU 5, QD 6, CV 7; state: previous CU 8, CD 9.
                let up = b(c, 0) && !b(c, 8);
                let down = b(c, 1) && !b(c, 9);
                let cv = c[7].int();
                if b(c, 2) {
                    set(c, 7, 0);
                } else if b(c, 3) {
                    let pv = c[4].int();
                    set(c, 7, pv);
                } else if !(up && down) {
                    if up && cv < i16::MAX as i64 {
                        set(c, 7, cv + 1);
                    } else if down && cv > i16::MIN as i64 {
                        set(c, 7, cv - 1);
                    }
                }
                let (cv, pv) = (c[7].int(), c[4].int());
                set(c, 5, (cv >= pv) as i64);
                set(c, 6, (cv <= 0) as i64);
                let (cu, cd) = (c[0].int(), c[1].int());
                set(c, 8, cu);
                set(c, 9, cd);
            }
            StdFb::Sr => {
                // SET1 0, RESET 1, Q1 2: set dominant.
                let q = b(c, 0) || (!b(c, 1) && b(c, 2));
                set(c, 2, q as i64);
            }
            StdFb::Rs => {
                // SET 0, RESET1 1, Q1 2: reset dominant.
                let q = !b(c, 1) && (b(c, 0) || b(c, 2));
                set(c, 2, q as i64);
            }
        }
    }
}
