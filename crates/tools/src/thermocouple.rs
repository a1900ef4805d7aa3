//! Thermocouple reference functions (EMF against temperature, reference
//! junction at 0 °C) for types K, J and T, from the NIST ITS-90 thermocouple
//! database (NIST Monograph 175), the basis of IEC 60584-1:2013.
//!
//! The inverse (EMF → temperature) solves the reference function itself by
//! bisection rather than using NIST's inverse polynomials, which add up to
//! ±0.06 °C of their own error.

/// One thermocouple type: its range and reference function in mV, t in °C.
pub struct Type {
    pub name: &'static str,
    pub min_c: f64,
    pub max_c: f64,
    emf: fn(f64) -> f64,
}

fn poly(c: &[f64], t: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * t + ci)
}

const K_BELOW_0: [f64; 11] = [
    0.0,
    0.394_501_280_250e-1,
    0.236_223_735_980e-4,
    -0.328_589_067_840e-6,
    -0.499_048_287_770e-8,
    -0.675_090_591_730e-10,
    -0.574_103_274_280e-12,
    -0.310_888_728_940e-14,
    -0.104_516_093_650e-16,
    -0.198_892_668_780e-19,
    -0.163_226_974_860e-22,
];
const K_ABOVE_0: [f64; 10] = [
    -0.176_004_136_860e-1,
    0.389_212_049_750e-1,
    0.185_587_700_320e-4,
    -0.994_575_928_740e-7,
    0.318_409_457_190e-9,
    -0.560_728_448_890e-12,
    0.560_750_590_590e-15,
    -0.320_207_200_030e-18,
    0.971_511_471_520e-22,
    -0.121_047_212_750e-25,
];

fn type_k(t: f64) -> f64 {
    if t < 0.0 {
        poly(&K_BELOW_0, t)
    } else {
        // The exponential term models type K's nickel magnetic transition.
        let (a0, a1, a2) = (
            0.118_597_600_000,
            -0.118_343_200_000e-3,
            0.126_968_600_000e3,
        );
        poly(&K_ABOVE_0, t) + a0 * (a1 * (t - a2) * (t - a2)).exp()
    }
}

const J_TO_760: [f64; 9] = [
    0.0,
    0.503_811_878_150e-1,
    0.304_758_369_300e-4,
    -0.856_810_657_200e-7,
    0.132_281_952_950e-9,
    -0.170_529_583_370e-12,
    0.209_480_906_970e-15,
    -0.125_383_953_360e-18,
    0.156_317_256_970e-22,
];
const J_ABOVE_760: [f64; 6] = [
    0.296_456_256_810e3,
    -0.149_761_277_860e1,
    0.317_871_039_240e-2,
    -0.318_476_867_010e-5,
    0.157_208_190_040e-8,
    -0.306_913_690_560e-12,
];

fn type_j(t: f64) -> f64 {
    poly(if t <= 760.0 { &J_TO_760 } else { &J_ABOVE_760 }, t)
}

const T_BELOW_0: [f64; 15] = [
    0.0,
    0.387_481_063_640e-1,
    0.441_944_343_470e-4,
    0.118_443_231_050e-6,
    0.200_329_735_540e-7,
    0.901_380_195_590e-9,
    0.226_511_565_930e-10,
    0.360_711_542_050e-12,
    0.384_939_398_830e-14,
    0.282_135_219_250e-16,
    0.142_515_947_790e-18,
    0.487_686_622_860e-21,
    0.107_955_392_700e-23,
    0.139_450_270_620e-26,
    0.797_951_539_270e-30,
];
const T_ABOVE_0: [f64; 9] = [
    0.0,
    0.387_481_063_640e-1,
    0.332_922_278_800e-4,
    0.206_182_434_040e-6,
    -0.218_822_568_460e-8,
    0.109_968_809_280e-10,
    -0.308_157_587_720e-13,
    0.454_791_352_900e-16,
    -0.275_129_016_730e-19,
];

fn type_t(t: f64) -> f64 {
    poly(if t < 0.0 { &T_BELOW_0 } else { &T_ABOVE_0 }, t)
}

pub const TYPES: [Type; 3] = [
    Type {
        name: "k",
        min_c: -270.0,
        max_c: 1372.0,
        emf: type_k,
    },
    Type {
        name: "j",
        min_c: -210.0,
        max_c: 1200.0,
        emf: type_j,
    },
    Type {
        name: "t",
        min_c: -270.0,
        max_c: 400.0,
        emf: type_t,
    },
];

pub fn by_name(name: &str) -> Option<&'static Type> {
    TYPES.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

/// A temperature or an EMF outside a type's range (IEC 60584-1).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RangeError {
    #[error("the temperature {t_c:.2} °C is outside −{:.0} to {max_c:.0} °C, the range of a type {} thermocouple (IEC 60584-1)", -min_c, ty.to_ascii_uppercase())]
    Temperature {
        ty: &'static str,
        t_c: f64,
        min_c: f64,
        max_c: f64,
    },
    #[error("{mv:.3} mV is outside {lo_mv:.3} to {hi_mv:.3} mV, the range of a type {} thermocouple (−{:.0} to {max_c:.0} °C, IEC 60584-1)", ty.to_ascii_uppercase(), -min_c)]
    Emf {
        ty: &'static str,
        mv: f64,
        lo_mv: f64,
        hi_mv: f64,
        min_c: f64,
        max_c: f64,
    },
}

impl Type {
    /// EMF in mV at `t_c` °C with the reference junction at 0 °C.
    pub fn emf_mv(&self, t_c: f64) -> Result<f64, RangeError> {
        if !(self.min_c..=self.max_c).contains(&t_c) {
            return Err(RangeError::Temperature {
                ty: self.name,
                t_c,
                min_c: self.min_c,
                max_c: self.max_c,
            });
        }
        Ok((self.emf)(t_c))
    }

    /// The temperature in °C whose EMF (reference junction at 0 °C) is `mv`.
    pub fn temperature_c(&self, mv: f64) -> Result<f64, RangeError> {
        let (lo_mv, hi_mv) = ((self.emf)(self.min_c), (self.emf)(self.max_c));
        if !(lo_mv..=hi_mv).contains(&mv) {
            return Err(RangeError::Emf {
                ty: self.name,
                mv,
                lo_mv,
                hi_mv,
                min_c: self.min_c,
                max_c: self.max_c,
            });
        }
        // The reference functions rise monotonically over their ranges.
        let (mut lo, mut hi) = (self.min_c, self.max_c);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if (self.emf)(mid) < mv {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-10 {
                break;
            }
        }
        Ok(0.5 * (lo + hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inverse_returns_the_temperature() {
        for ty in &TYPES {
            let mut t = ty.min_c + 1.0;
            while t < ty.max_c {
                let back = ty.temperature_c(ty.emf_mv(t).unwrap()).unwrap();
                assert!((back - t).abs() < 1e-6, "type {}: {t} → {back}", ty.name);
                t += 37.0;
            }
        }
    }
}
