//! Physical quantities a tool argument or result can be, the units each is
//! written in, and conversion to and from SI through `uom`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Pressure,
    Flow,
    Power,
    Torque,
    Temperature,
    Energy,
    Length,
    Area,
    Voltage,
    Current,
    RotationalSpeed,
    Velocity,
    Force,
    Volume,
    Density,
    Time,
    Resistance,
    /// A plain number (a ratio, a factor, a count).
    Ratio,
}

macro_rules! table {
    ($q:ident, $module:ident, $si:ident, [$(($abbr:literal, $unit:ident, $scale:expr)),* $(,)?]) => {{
        use uom::si::f64::$q;
        use uom::si::$module::*;
        let to_si = |v: f64, u: &str| -> Option<f64> {
            Some(match u {
                $($abbr => $q::new::<$unit>(v * $scale).get::<$si>(),)*
                _ => return None,
            })
        };
        let from_si = |v: f64, u: &str| -> Option<f64> {
            Some(match u {
                $($abbr => $q::new::<$si>(v).get::<$unit>() / $scale,)*
                _ => return None,
            })
        };
        let units: &'static [&'static str] = &[$($abbr),*];
        (units, to_si, from_si)
    }};
}

/// The units of a kind (the first is the SI unit tools compute in), and the
/// conversions of a value to SI and back.
#[allow(clippy::type_complexity)]
fn units(
    kind: Kind,
) -> (
    &'static [&'static str],
    fn(f64, &str) -> Option<f64>,
    fn(f64, &str) -> Option<f64>,
) {
    match kind {
        Kind::Pressure => table!(
            Pressure,
            pressure,
            pascal,
            [
                ("Pa", pascal, 1.0),
                ("kPa", kilopascal, 1.0),
                ("MPa", megapascal, 1.0),
                ("bar", bar, 1.0),
                ("mbar", millibar, 1.0),
                ("psi", pound_force_per_square_inch, 1.0),
                ("mH2O", millimeter_of_water, 1000.0),
                ("mmH2O", millimeter_of_water, 1.0),
                ("mmHg", millimeter_of_mercury, 1.0),
                ("atm", atmosphere, 1.0),
            ]
        ),
        Kind::Flow => table!(
            VolumeRate,
            volume_rate,
            cubic_meter_per_second,
            [
                ("m3/s", cubic_meter_per_second, 1.0),
                ("m3/h", cubic_meter_per_hour, 1.0),
                ("L/min", liter_per_minute, 1.0),
                ("L/s", liter_per_second, 1.0),
                ("gpm", gallon_per_minute, 1.0),
            ]
        ),
        Kind::Power => table!(
            Power,
            power,
            watt,
            [
                ("W", watt, 1.0),
                ("kW", kilowatt, 1.0),
                ("MW", megawatt, 1.0),
                // Apparent power: the same dimension, written in VA.
                ("VA", watt, 1.0),
                ("kVA", kilowatt, 1.0),
                ("MVA", megawatt, 1.0),
                ("hp", horsepower, 1.0),
                ("PS", horsepower_metric, 1.0),
            ]
        ),
        Kind::Torque => table!(
            Torque,
            torque,
            newton_meter,
            [
                ("N·m", newton_meter, 1.0),
                ("Nm", newton_meter, 1.0),
                ("kN·m", kilonewton_meter, 1.0),
                ("lbf·ft", pound_force_foot, 1.0),
            ]
        ),
        Kind::Temperature => table!(
            ThermodynamicTemperature,
            thermodynamic_temperature,
            kelvin,
            [
                ("K", kelvin, 1.0),
                ("°C", degree_celsius, 1.0),
                ("C", degree_celsius, 1.0),
                ("°F", degree_fahrenheit, 1.0),
                ("F", degree_fahrenheit, 1.0),
            ]
        ),
        Kind::Energy => table!(
            Energy,
            energy,
            joule,
            [
                ("J", joule, 1.0),
                ("kJ", kilojoule, 1.0),
                ("MJ", megajoule, 1.0),
                ("kWh", kilowatt_hour, 1.0),
                ("Wh", watt_hour, 1.0),
                ("BTU", btu_it, 1.0),
            ]
        ),
        Kind::Length => table!(
            Length,
            length,
            meter,
            [
                ("m", meter, 1.0),
                ("mm", millimeter, 1.0),
                ("cm", centimeter, 1.0),
                ("km", kilometer, 1.0),
                ("in", inch, 1.0),
                ("ft", foot, 1.0),
            ]
        ),
        Kind::Area => table!(
            Area,
            area,
            square_meter,
            [
                ("m2", square_meter, 1.0),
                ("mm2", square_millimeter, 1.0),
                ("cm2", square_centimeter, 1.0),
            ]
        ),
        Kind::Voltage => table!(
            ElectricPotential,
            electric_potential,
            volt,
            [
                ("V", volt, 1.0),
                ("kV", kilovolt, 1.0),
                ("mV", millivolt, 1.0),
            ]
        ),
        Kind::Current => table!(
            ElectricCurrent,
            electric_current,
            ampere,
            [
                ("A", ampere, 1.0),
                ("kA", kiloampere, 1.0),
                ("mA", milliampere, 1.0),
            ]
        ),
        Kind::RotationalSpeed => table!(
            AngularVelocity,
            angular_velocity,
            radian_per_second,
            [
                ("rad/s", radian_per_second, 1.0),
                ("rpm", revolution_per_minute, 1.0),
                ("1/min", revolution_per_minute, 1.0),
            ]
        ),
        Kind::Velocity => table!(
            Velocity,
            velocity,
            meter_per_second,
            [
                ("m/s", meter_per_second, 1.0),
                ("m/min", meter_per_second, 1.0 / 60.0),
                ("km/h", kilometer_per_hour, 1.0),
                ("ft/s", foot_per_second, 1.0),
            ]
        ),
        Kind::Force => table!(
            Force,
            force,
            newton,
            [
                ("N", newton, 1.0),
                ("kN", kilonewton, 1.0),
                ("lbf", pound_force, 1.0),
                ("kgf", kilogram_force, 1.0),
            ]
        ),
        Kind::Volume => table!(
            Volume,
            volume,
            cubic_meter,
            [
                ("m3", cubic_meter, 1.0),
                ("L", liter, 1.0),
                ("gal", gallon, 1.0),
            ]
        ),
        Kind::Density => table!(
            MassDensity,
            mass_density,
            kilogram_per_cubic_meter,
            [
                ("kg/m3", kilogram_per_cubic_meter, 1.0),
                ("g/cm3", gram_per_cubic_centimeter, 1.0),
            ]
        ),
        Kind::Time => table!(
            Time,
            time,
            second,
            [
                ("s", second, 1.0),
                ("ms", millisecond, 1.0),
                ("min", minute, 1.0),
                ("h", hour, 1.0),
            ]
        ),
        Kind::Resistance => table!(
            ElectricalResistance,
            electrical_resistance,
            ohm,
            [
                ("Ω", ohm, 1.0),
                ("ohm", ohm, 1.0),
                ("mΩ", milliohm, 1.0),
                ("kΩ", kiloohm, 1.0),
            ]
        ),
        Kind::Ratio => (
            &["", "%"],
            |v, u| match u {
                "" => Some(v),
                "%" => Some(v / 100.0),
                _ => None,
            },
            |v, u| match u {
                "" => Some(v),
                "%" => Some(v * 100.0),
                _ => None,
            },
        ),
    }
}

/// Why a text is not a quantity of a kind.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuantityError {
    #[error("{0:?} is not a number with a unit (e.g. \"400 V\")")]
    NotANumber(String),
    #[error("{0:?} is not a finite number")]
    NotFinite(String),
    #[error("unknown unit {unit:?} for a {}; use one of {}", kind.name(), known_units(*kind))]
    UnknownUnit { unit: String, kind: Kind },
}

fn known_units(kind: Kind) -> String {
    kind.units()
        .iter()
        .filter(|u| !u.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

impl Kind {
    /// The units this kind accepts; the first is SI.
    pub fn units(self) -> &'static [&'static str] {
        units(self).0
    }

    /// A value in a unit to SI; `None` for a unit this kind does not have.
    pub fn to_si(self, value: f64, unit: &str) -> Option<f64> {
        let (_, to, _) = units(self);
        to(value, unit.trim())
    }

    pub fn from_si(self, value: f64, unit: &str) -> Option<f64> {
        let (_, _, from) = units(self);
        from(value, unit.trim())
    }

    /// `"400 V"`, `"15kW"`, `"0.85"` → SI, with the unit defaulting to `default`.
    pub fn parse(self, text: &str, default: &str) -> Result<f64, QuantityError> {
        let t = text.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
            .filter(|&i| i > 0 && !t[..i].ends_with(['e', 'E']))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let value: f64 = num
            .trim()
            .parse()
            .map_err(|_| QuantityError::NotANumber(text.to_string()))?;
        if !value.is_finite() {
            return Err(QuantityError::NotFinite(text.to_string()));
        }
        let unit = if unit.trim().is_empty() {
            default
        } else {
            unit.trim()
        };
        self.to_si(value, unit)
            .ok_or_else(|| QuantityError::UnknownUnit {
                unit: unit.to_string(),
                kind: self,
            })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Pressure => "pressure",
            Kind::Flow => "flow",
            Kind::Power => "power",
            Kind::Torque => "torque",
            Kind::Temperature => "temperature",
            Kind::Energy => "energy",
            Kind::Length => "length",
            Kind::Area => "area",
            Kind::Voltage => "voltage",
            Kind::Current => "current",
            Kind::RotationalSpeed => "rotational speed",
            Kind::Velocity => "velocity",
            Kind::Force => "force",
            Kind::Volume => "volume",
            Kind::Density => "density",
            Kind::Time => "time",
            Kind::Resistance => "resistance",
            Kind::Ratio => "number",
        }
    }

    pub fn by_name(name: &str) -> Option<Kind> {
        ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// Whether some kind knows `word` as a unit (`kW`, `°C`, `m³/h`, `bar`).
pub fn is_unit(word: &str) -> bool {
    ALL.iter().any(|kind| kind.units().contains(&word))
}

/// Whether the text holds a number followed by a unit some kind knows
/// (`15 kW`, `1460rpm`, `12.5 mV，`, `75 °C`): the sign that a question wants
/// a calculation rather than a passage from the documents. A bare number
/// (a tag like `P-101`, a year) is not enough.
pub fn mentions_quantity(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let unit_char = |c: char| c.is_ascii_alphanumeric() || "°/·²³Ω%".contains(c);
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        let mut end = j;
        while end < chars.len() && unit_char(chars[end]) {
            end += 1;
        }
        // The longest known unit the word starts with ("kWh" before "kW"),
        // as long as no letter follows it ("m" is not "motor").
        for k in (j + 1..=end).rev() {
            let word: String = chars[j..k].iter().collect();
            let next_is_letter = chars
                .get(k)
                .is_some_and(|c| c.is_alphabetic() && c.is_ascii());
            if !next_is_letter && !word.is_empty() && is_unit(&word) {
                return true;
            }
        }
        i = end.max(i + 1);
    }
    false
}

pub const ALL: [Kind; 18] = [
    Kind::Pressure,
    Kind::Flow,
    Kind::Power,
    Kind::Torque,
    Kind::Temperature,
    Kind::Energy,
    Kind::Length,
    Kind::Area,
    Kind::Voltage,
    Kind::Current,
    Kind::RotationalSpeed,
    Kind::Velocity,
    Kind::Force,
    Kind::Volume,
    Kind::Density,
    Kind::Time,
    Kind::Resistance,
    Kind::Ratio,
];

#[cfg(test)]
mod tests {
    use super::mentions_quantity;

    #[test]
    fn numbers_with_units_are_quantities_and_tags_are_not() {
        for q in [
            "What torque does a 22 kW motor deliver at 1470 rpm?",
            "Convert 150 gpm to m3/h.",
            "J型热电偶测得 12.5 mV，冷端 20 °C，温度是多少？",
            "How long is a cable with 4mm2 cross-section?",
            "10 bar in psi",
        ] {
            assert!(mentions_quantity(q), "{q}");
        }
        for q in [
            "Which pump is P-101 and what does it do?",
            "What did the 2023 commissioning report say about the 3 conveyors?",
            "泵站调试报告中 2 号泵的故障是什么？",
            "Where is motor M1 mounted?",
        ] {
            assert!(!mentions_quantity(q), "{q}");
        }
    }
}
