//! The verified snippet library (`assets/st-library/`): building blocks PLC
//! programmers write again and again, each `NAME.st` with its test vectors
//! `NAME.json` and its description `NAME.toml`, compiled into the binary.
//! Retrieval ranks them by the words a spec shares with their descriptions.

use serde::Deserialize;

/// One building block of the library.
#[derive(Debug, Clone)]
pub struct Snippet {
    pub name: &'static str,
    pub code: &'static str,
    pub vectors: &'static str,
    pub meta: Meta,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub title_en: String,
    pub title_zh: String,
    pub description_en: String,
    pub description_zh: String,
    pub tags: Vec<String>,
}

macro_rules! snippets {
    ($($name:literal),* $(,)?) => {
        &[$((
            $name,
            include_str!(concat!("../../../assets/st-library/", $name, ".st")),
            include_str!(concat!("../../../assets/st-library/", $name, ".json")),
            include_str!(concat!("../../../assets/st-library/", $name, ".toml")),
        )),*]
    };
}

/// Every snippet's files, by name. A test checks this list against the folder.
pub const FILES: &[(&str, &str, &str, &str)] = snippets![
    "alarm_latch",
    "analog_alarms",
    "batch_dosing",
    "blinker",
    "conveyor_tracking",
    "debounce",
    "door_interlock",
    "edge_counter",
    "fill_sequence",
    "first_out_alarm",
    "heartbeat",
    "hour_meter",
    "level_hysteresis",
    "min_max_hold",
    "motor_start_stop",
    "moving_average",
    "pi_controller",
    "pump_alternation",
    "pwm",
    "ramp",
    "reversing_starter",
    "ring_buffer",
    "scale_4_20ma",
    "sort_array",
    "star_delta",
    "thermostat",
    "totalizer",
    "traffic_light",
    "two_hand_control",
    "valve_feedback",
];

/// The library, parsed. Panics only if a compiled-in file is malformed,
/// which the library's own test rules out.
pub fn all() -> Vec<Snippet> {
    FILES
        .iter()
        .map(|&(name, code, vectors, meta)| Snippet {
            name,
            code,
            vectors,
            meta: toml::from_str(meta)
                .unwrap_or_else(|e| panic!("assets/st-library/{name}.toml: {e}")),
        })
        .collect()
}

/// Lower-case words of three letters or more, and CJK characters in pairs.
fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    for w in lower.split(|c: char| !c.is_alphanumeric()) {
        let cjk: Vec<char> = w.chars().filter(|c| is_cjk(*c)).collect();
        if cjk.is_empty() {
            if w.chars().count() >= 3 {
                out.push(w.trim_end_matches('s').to_string());
            }
        } else {
            out.extend(cjk.windows(2).map(|p| p.iter().collect::<String>()));
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF)
}

/// The snippets most related to a spec, best first; only those sharing a term.
pub fn retrieve(spec: &str, limit: usize) -> Vec<(Snippet, usize)> {
    let wanted: std::collections::HashSet<String> = terms(spec).into_iter().collect();
    let mut scored: Vec<(Snippet, usize)> = all()
        .into_iter()
        .map(|s| {
            let text = format!(
                "{} {} {} {} {}",
                s.meta.title_en,
                s.meta.title_zh,
                s.meta.description_en,
                s.meta.description_zh,
                s.meta.tags.join(" ")
            );
            let have: std::collections::HashSet<String> = terms(&text).into_iter().collect();
            let score = wanted.intersection(&have).count();
            (s, score)
        })
        .filter(|(_, score)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.name.cmp(b.0.name)));
    scored.truncate(limit);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retrieval_finds_related_blocks_in_english_and_chinese() {
        let top = retrieve("Start and stop a conveyor motor with a feedback timeout", 3);
        assert_eq!(
            top[0].0.name,
            "motor_start_stop",
            "{:?}",
            top.iter().map(|t| t.0.name).collect::<Vec<_>>()
        );
        let zh = retrieve("储罐液位控制，带回差", 3);
        assert_eq!(zh[0].0.name, "level_hysteresis");
        assert!(retrieve("zzzz qqqq", 3).is_empty());
    }
}
