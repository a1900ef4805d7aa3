//! Token selection: the sampler chain, and grammar constraints applied the way
//! llama.cpp's own common sampler does it — check the sampled token against the
//! grammar first, and constrain the whole vocabulary only when it is rejected.
//! Constraining all 262k candidates every step halves generation speed.

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;

use crate::protocol::{GrammarCheck, Sampling};

pub struct TokenSampler {
    chain: LlamaSampler,
    grammar: Option<LlamaSampler>,
    /// How many of the most likely tokens the chain needs to see (`None`:
    /// all of them), see [`shortlist_len`].
    shortlist: Option<usize>,
    settles: Settles,
    pub resamples: u32,
}

/// What the chain picks from, for deciding when a grammar judged over the
/// most likely tokens alone has settled the pick (see [`allowed_candidates`]).
#[derive(Clone, Copy, Debug)]
struct Settles {
    /// How many tokens the chain chooses among: 1 greedy, k under top-k;
    /// `None` when every token counts (no top-k) or no bound holds (see
    /// [`penalties_unbounded`]), and the whole vocabulary is judged.
    picks_among: Option<usize>,
    /// The repetition penalty: it divides a positive logit by this and
    /// multiplies a negative one, nothing lower.
    penalty: f32,
}

impl Settles {
    fn of(s: &Sampling) -> Self {
        let picks_among = if penalties_unbounded(s) {
            None
        } else if s.temperature <= 0.0 {
            Some(1)
        } else if s.top_k > 0 {
            Some(s.top_k as usize)
        } else {
            None
        };
        let penalty = if s.repeat_last_n > 0 {
            s.repeat_penalty.max(1.0)
        } else {
            1.0
        };
        Settles {
            picks_among,
            penalty,
        }
    }

    /// The lowest logit the chain's penalty can leave of `l`.
    fn lowest(self, l: f32) -> f32 {
        if l > 0.0 {
            l / self.penalty
        } else {
            l * self.penalty
        }
    }
}

/// The widths the grammar is tried on when it refused the sampled token,
/// before the whole vocabulary: a grammar costs per token it judges (0.1 s
/// for Gemma's 262,144), and a symbol grammar refuses the model's choice often.
const GRAMMAR_SHORTLISTS: [usize; 2] = [1024, 16384];

/// The candidates, as `constrain` (the grammar) leaves them, that the chain
/// picks from when the grammar refused its first choice. Over the `w` most
/// likely tokens first: every token outside them has a raw logit at most the
/// least of theirs, `floor`, and a penalty only lowers logits, so when at
/// least as many allowed tokens as the chain picks among stay above `floor`
/// whatever the penalty does to them, those are the tokens the chain would
/// pick among from the whole vocabulary, and the pick is the same.
fn allowed_candidates(
    logits: &[f32],
    settles: Settles,
    mut constrain: impl FnMut(&mut LlamaTokenDataArray),
) -> LlamaTokenDataArray {
    if let Some(need) = settles.picks_among {
        for width in GRAMMAR_SHORTLISTS {
            if width >= logits.len() {
                break;
            }
            let mut w = most_likely(logits, width);
            let floor = w
                .data
                .last()
                .map_or(f32::NEG_INFINITY, LlamaTokenData::logit);
            constrain(&mut w);
            let sure = w
                .data
                .iter()
                .filter(|d| d.logit().is_finite() && settles.lowest(d.logit()) > floor)
                .count();
            if sure >= need {
                return w;
            }
        }
    }
    let mut all = candidates(logits);
    constrain(&mut all);
    all
}

/// DRY lowers any number of tokens by any amount, and a repetition penalty
/// below 1 raises the logits it touches: then no shortlist is sure to hold
/// the chain's pick.
fn penalties_unbounded(s: &Sampling) -> bool {
    s.dry_multiplier > 0.0 || (s.repeat_penalty < 1.0 && s.repeat_last_n > 0)
}

/// The chain's stages only lower logits (the repetition penalty) before
/// keeping the top k (or the top one, greedy), so the tokens it can pick are
/// among the `k + repeat_last_n` most likely ones: giving it only those
/// spares building, penalising and sorting the whole vocabulary (262,144
/// tokens on Gemma) at every step, for every sequence of a batch. DRY can
/// lower any number of tokens, and without top-k every token counts: then
/// the chain sees them all.
fn shortlist_len(s: &Sampling) -> Option<usize> {
    if penalties_unbounded(s) {
        return None;
    }
    let penalised = if s.repeat_penalty != 1.0 {
        s.repeat_last_n as usize
    } else {
        0
    };
    if s.temperature <= 0.0 {
        Some(1 + penalised)
    } else if s.top_k > 0 {
        Some(s.top_k as usize + penalised)
    } else {
        None
    }
}

/// Generated tokens DRY looks back over: more than a generated block needs.
const DRY_WINDOW: i32 = 4096;

pub enum Pick {
    Token(LlamaToken),
    /// The grammar allows no further token: it is complete.
    GrammarExhausted,
}

impl TokenSampler {
    pub fn new(model: &LlamaModel, s: &Sampling, grammar: Option<&str>) -> Result<Self, String> {
        s.validate()?;
        let dry = (s.dry_multiplier > 0.0).then(|| {
            // Over the last DRY_WINDOW generated tokens (this llama.cpp reads
            // -1 as 0, which turns DRY off), with no sequence breakers: a
            // loop in code spans lines.
            LlamaSampler::dry(
                model,
                s.dry_multiplier,
                1.75,
                s.dry_allowed_length as i32,
                DRY_WINDOW,
                Vec::<&[u8]>::new(),
            )
        });
        let chain = chain(s, model.n_vocab(), dry);
        let grammar = match grammar {
            None => None,
            Some(g) => {
                super::llama_log::clear();
                Some(LlamaSampler::grammar(model, g, "root").map_err(|e| {
                    let why = super::llama_log::take();
                    let why = if why.is_empty() { e.to_string() } else { why };
                    format!("the grammar is not valid GBNF: {why}")
                })?)
            }
        };
        Ok(TokenSampler {
            chain,
            grammar,
            shortlist: shortlist_len(s),
            settles: Settles::of(s),
            resamples: 0,
        })
    }

    /// Picks the next token from `logits` and advances every stage's state by it
    /// exactly once (accepting twice would advance a grammar twice and abort).
    pub fn pick(&mut self, logits: &[f32]) -> Pick {
        let mut cur = match self.shortlist {
            Some(m) if m < logits.len() => most_likely(logits, m),
            _ => candidates(logits),
        };
        self.chain.apply(&mut cur);
        let mut token = selected(&cur);

        if let Some(grammar) = self.grammar.as_mut() {
            let mut single =
                LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 1.0, 0.0)], false);
            grammar.apply(&mut single);
            if single.data[0].logit() == f32::NEG_INFINITY {
                self.resamples += 1;
                let mut all = allowed_candidates(logits, self.settles, |a| grammar.apply(a));
                if !all.data.iter().any(|d| d.logit().is_finite()) {
                    return Pick::GrammarExhausted;
                }
                self.chain.apply(&mut all);
                token = selected(&all);
            }
        }
        Pick::Token(token)
    }

    /// Whether the grammar (if any) may end here: it allows `eos` now.
    pub fn grammar_may_end(&mut self, eos: LlamaToken) -> bool {
        self.grammar.as_mut().is_some_and(|g| allows(g, eos))
    }

    /// Records that `token` was emitted (not called for end-of-generation tokens).
    pub fn accept(&mut self, token: LlamaToken) -> Result<(), String> {
        if let Some(g) = self.grammar.as_mut() {
            g.try_accept(token)
                .map_err(|e| format!("the grammar could not accept the sampled token: {e}"))?;
        }
        self.chain.accept(token);
        Ok(())
    }
}

/// The sampler chain `s` describes, DRY (which needs the model) given built.
fn chain(s: &Sampling, n_vocab: i32, dry: Option<LlamaSampler>) -> LlamaSampler {
    let mut stages: Vec<LlamaSampler> = dry.into_iter().collect();
    if s.repeat_penalty != 1.0 && s.repeat_last_n > 0 {
        stages.push(LlamaSampler::penalties(
            n_vocab,
            s.repeat_last_n as i32,
            s.repeat_penalty,
            0.0,
            0.0,
        ));
    }
    if s.temperature <= 0.0 {
        stages.push(LlamaSampler::greedy());
    } else {
        if s.top_k > 0 {
            stages.push(LlamaSampler::top_k(s.top_k as i32));
        }
        if s.top_p < 1.0 {
            stages.push(LlamaSampler::top_p(s.top_p, 1));
        }
        if s.min_p > 0.0 {
            stages.push(LlamaSampler::min_p(s.min_p, 1));
        }
        stages.push(LlamaSampler::temp(s.temperature));
        stages.push(LlamaSampler::dist(s.seed));
    }
    LlamaSampler::chain_simple(stages)
}

/// Feeds `text` token by token through `grammar`, stopping at the first token it
/// refuses. Every token is checked before it is accepted, so llama.cpp never
/// sees a token its grammar cannot take.
pub fn check_text(model: &LlamaModel, grammar: &str, text: &str) -> Result<GrammarCheck, String> {
    super::llama_log::clear();
    let mut g = LlamaSampler::grammar(model, grammar, "root").map_err(|e| {
        let why = super::llama_log::take();
        format!(
            "the grammar is not valid GBNF: {}",
            if why.is_empty() { e.to_string() } else { why }
        )
    })?;
    let vocab = model.vocab();
    let tokens = vocab.tokenize(text.as_bytes(), false, false);
    let mut offset = 0;
    for (i, &t) in tokens.iter().enumerate() {
        let piece = vocab.token_to_piece(t, false, None);
        if !allows(&mut g, t) {
            return Ok(GrammarCheck {
                accepted: false,
                complete: false,
                rejected_at: Some(offset),
                rejected_token: Some(String::from_utf8_lossy(&piece).into_owned()),
                tokens: i as u32,
            });
        }
        g.try_accept(t)
            .map_err(|e| format!("the grammar failed on an allowed token: {e}"))?;
        offset += piece.len();
    }
    let complete = allows(&mut g, vocab.eos());
    Ok(GrammarCheck {
        accepted: true,
        complete,
        rejected_at: None,
        rejected_token: None,
        tokens: tokens.len() as u32,
    })
}

/// Whether `grammar` accepts `token` next (checked without accepting it).
fn allows(grammar: &mut LlamaSampler, token: LlamaToken) -> bool {
    let mut one = LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 1.0, 0.0)], false);
    grammar.apply(&mut one);
    one.data[0].logit().is_finite()
}

fn candidates(logits: &[f32]) -> LlamaTokenDataArray {
    LlamaTokenDataArray::from_iter(
        logits
            .iter()
            .enumerate()
            .map(|(i, &l)| LlamaTokenData::new(LlamaToken(i as i32), l, 0.0)),
        false,
    )
}

/// The `m` most likely tokens, most likely first (ties by token id).
fn most_likely(logits: &[f32], m: usize) -> LlamaTokenDataArray {
    use std::cmp::{Ordering, Reverse};
    use std::collections::BinaryHeap;
    #[derive(PartialEq)]
    struct Entry(f32, i32);
    impl Eq for Entry {}
    impl PartialOrd for Entry {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Entry {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
        }
    }
    let mut heap: BinaryHeap<Reverse<Entry>> = BinaryHeap::with_capacity(m + 1);
    for (i, &l) in logits.iter().enumerate() {
        if heap.len() < m {
            heap.push(Reverse(Entry(l, i as i32)));
        } else if heap.peek().is_some_and(|Reverse(min)| l > min.0) {
            heap.pop();
            heap.push(Reverse(Entry(l, i as i32)));
        }
    }
    let top = heap.into_sorted_vec(); // ascending Reverse = most likely first
    LlamaTokenDataArray::from_iter(
        top.into_iter()
            .map(|Reverse(Entry(l, id))| LlamaTokenData::new(LlamaToken(id), l, 0.0)),
        false,
    )
}

fn selected(arr: &LlamaTokenDataArray) -> LlamaToken {
    // Every chain ends in greedy or dist, which always select.
    arr.selected_token()
        .unwrap_or_else(|| arr.data.first().map_or(LlamaToken(0), LlamaTokenData::id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_shortlist_is_the_most_likely_tokens_in_order() {
        let logits = [0.5, 3.0, -1.0, 3.0, 2.0, f32::NEG_INFINITY, 9.0];
        let top = most_likely(&logits, 4);
        let ids: Vec<i32> = top.data.iter().map(|d| d.id().0).collect();
        assert_eq!(ids, vec![6, 1, 3, 4], "ties keep the lower id first");
        assert_eq!(most_likely(&logits, 10).data.len(), logits.len());
    }

    #[test]
    fn only_stages_that_lower_logits_before_top_k_get_a_shortlist() {
        let greedy = Sampling::greedy();
        assert_eq!(shortlist_len(&greedy), Some(1));
        let penalised = Sampling {
            repeat_penalty: 1.1,
            repeat_last_n: 64,
            ..Sampling::default()
        };
        assert_eq!(shortlist_len(&penalised), Some(40 + 64));
        let no_top_k = Sampling {
            top_k: 0,
            ..Sampling::default()
        };
        assert_eq!(shortlist_len(&no_top_k), None);
        let dry = Sampling {
            dry_multiplier: 0.8,
            ..Sampling::greedy()
        };
        assert_eq!(shortlist_len(&dry), None);
    }

    /// The shortlists give the pick the whole vocabulary gives, through
    /// llama.cpp's own chain, for greedy and top-k sampling under the
    /// repetition penalty, with grammars from permissive to nearly closed.
    #[test]
    fn a_pick_settled_on_a_shortlist_is_the_pick_over_the_whole_vocabulary() {
        let n = 40_000;
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut shortlisted, mut whole) = (0, 0);
        for case in 0..48 {
            // Continuous logits (no ties), a few far above the rest as a model's are.
            let logits: Vec<f32> = (0..n)
                .map(|i| {
                    let u = (next() >> 11) as f32 / (1u64 << 53) as f32;
                    if i % 997 == 0 {
                        8.0 + 4.0 * u
                    } else {
                        10.0 * u - 6.0
                    }
                })
                .collect();
            let stride = [2, 7, 50, 3_001, 19_997, 39_999][case / 2 % 6];
            let ranked: Vec<LlamaToken> = most_likely(&logits, 1_100)
                .data
                .iter()
                .map(LlamaTokenData::id)
                .collect();
            // Half the cases also allow the tokens ranked 1,000 to 1,100 and
            // penalise those inside the first shortlist: their penalised
            // logits fall below allowed tokens just outside it, which a pick
            // settled on the shortlist without the penalty's bound would miss.
            let near_floor = case % 2 == 0;
            let band: HashSet<LlamaToken> = if near_floor {
                ranked[1_000..].iter().copied().collect()
            } else {
                HashSet::new()
            };
            let constrain = |a: &mut LlamaTokenDataArray| {
                for d in a.data.iter_mut() {
                    if d.id().0 as usize % stride != stride / 2 && !band.contains(&d.id()) {
                        d.set_logit(f32::NEG_INFINITY);
                    }
                }
            };
            // The history the penalty sees.
            let history: Vec<LlamaToken> = if near_floor {
                ranked[1_000..1_024].to_vec()
            } else {
                ranked[..200].iter().step_by(3).copied().collect()
            };
            let greedy = Sampling {
                repeat_penalty: 1.1,
                repeat_last_n: 64,
                ..Sampling::greedy()
            };
            let sampled = Sampling {
                repeat_penalty: 1.1,
                repeat_last_n: 64,
                temperature: 0.7,
                seed: case as u32,
                ..Sampling::default()
            };
            for s in [greedy, sampled] {
                let fresh = || {
                    let mut c = chain(&s, n as i32, None);
                    for &t in &history {
                        c.accept(t);
                    }
                    c
                };
                let mut all = candidates(&logits);
                constrain(&mut all);
                fresh().apply(&mut all);
                let mut short = allowed_candidates(&logits, Settles::of(&s), constrain);
                if short.data.len() < n {
                    shortlisted += 1;
                } else {
                    whole += 1;
                }
                fresh().apply(&mut short);
                assert_eq!(
                    selected(&all),
                    selected(&short),
                    "case {case}, every {stride}th token allowed, {s:?}"
                );
            }
        }
        assert!(
            shortlisted > 0 && whole > 0,
            "{shortlisted} shortlisted, {whole} whole"
        );
    }
}
