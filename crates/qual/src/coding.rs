//! Codings: a coder's code on a span of a source (code-point positions), checked against the
//! source; code co-occurrence; and the reliability data agreement is computed from, over the
//! unit the researcher chooses (speaker turn, sentence or character).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::agreement::Reliability;
use crate::text::{len_chars, slice_chars};

/// One coded span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coding {
    pub code: String,
    pub coder: String,
    /// Code points, `start` inclusive, `end` exclusive.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodingProblem {
    pub index: usize,
    pub reason: String,
}

impl fmt::Display for CodingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "coding {}: {}", self.index + 1, self.reason)
    }
}

/// Checks codings against their source: inside it, not empty, and no coder coding the same
/// code twice over overlapping text (which would count it twice).
pub fn check(source: &str, codings: &[Coding]) -> Result<(), Vec<CodingProblem>> {
    let len = len_chars(source);
    let mut problems = Vec::new();
    for (i, c) in codings.iter().enumerate() {
        if c.start >= c.end {
            problems.push(CodingProblem {
                index: i,
                reason: format!("it selects nothing ({}–{})", c.start, c.end),
            });
        } else if c.end > len {
            problems.push(CodingProblem {
                index: i,
                reason: format!("it ends at {} but the source has {len} characters", c.end),
            });
        }
    }
    let mut by_key: BTreeMap<(&str, &str), Vec<(usize, &Coding)>> = BTreeMap::new();
    for (i, c) in codings.iter().enumerate() {
        by_key
            .entry((c.coder.as_str(), c.code.as_str()))
            .or_default()
            .push((i, c));
    }
    for ((coder, code), mut list) in by_key {
        list.sort_by_key(|(_, c)| (c.start, c.end));
        for pair in list.windows(2) {
            if let [(_, a), (j, b)] = pair
                && b.start < a.end
            {
                problems.push(CodingProblem {
                    index: *j,
                    reason: format!(
                        "{coder} already coded {code} over {}–{}, which this overlaps ({}–{}): extend that coding instead",
                        a.start, a.end, b.start, b.end
                    ),
                });
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// The text a coding selects.
pub fn selected<'a>(source: &'a str, c: &Coding) -> Option<&'a str> {
    slice_chars(source, c.start, c.end)
}

/// How often two codes are applied to overlapping text (by any coders), for each pair.
pub fn co_occurrence(codings: &[Coding]) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for (i, a) in codings.iter().enumerate() {
        for b in codings.iter().skip(i + 1) {
            if a.code != b.code && a.start < b.end && b.start < a.end {
                let key = if a.code < b.code {
                    (a.code.clone(), b.code.clone())
                } else {
                    (b.code.clone(), a.code.clone())
                };
                *out.entry(key).or_insert(0) += 1;
            }
        }
    }
    out
}

/// The unit agreement is measured over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// Given spans (speaker turns, from the transcript).
    Spans(Vec<(usize, usize)>),
    /// Sentences: split after `.`, `?`, `!` (and their full-width forms) followed by space, and at
    /// line ends.
    Sentences,
    /// Every character (code point) that is not white space.
    Characters,
}

fn sentences(source: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, ch) in chars.iter().enumerate() {
        let next = chars.get(i + 1);
        let end_here = *ch == '\n'
            || (matches!(ch, '.' | '?' | '!' | '。' | '？' | '！') && next.is_none_or(|n| n.is_whitespace()));
        if end_here {
            let end = if *ch == '\n' { i } else { i + 1 };
            if chars
                .get(start..end)
                .is_some_and(|s| s.iter().any(|c| !c.is_whitespace()))
            {
                out.push((start, end));
            }
            start = i + 1;
        }
    }
    if chars.get(start..).is_some_and(|s| s.iter().any(|c| !c.is_whitespace())) {
        out.push((start, chars.len()));
    }
    out
}

/// Reliability data for one code: for every unit and coder, `1` if the coder applied the code
/// anywhere in the unit and `0` if not; units are named by their span, `start-end`. Coders who coded nothing in a source still count as
/// having read it (`coders` names them), so their silence is a "0", not missing data.
pub fn reliability_for_code(
    source: &str,
    codings: &[Coding],
    code: &str,
    coders: &[String],
    unit: &Unit,
) -> Reliability {
    let spans: Vec<(usize, usize)> = match unit {
        Unit::Spans(s) => s.clone(),
        Unit::Sentences => sentences(source),
        Unit::Characters => source
            .chars()
            .enumerate()
            .filter(|(_, c)| !c.is_whitespace())
            .map(|(i, _)| (i, i + 1))
            .collect(),
    };
    let mut data = Reliability {
        units: Vec::with_capacity(spans.len()),
        coders: coders.to_vec(),
    };
    let applied: BTreeSet<&str> = coders.iter().map(String::as_str).collect();
    for (a, b) in &spans {
        let mut values = BTreeMap::new();
        for coder in &applied {
            let hit = codings
                .iter()
                .any(|c| c.coder == *coder && c.code == code && c.start < *b && *a < c.end);
            values.insert(
                (*coder).to_string(),
                if hit { "1".to_string() } else { "0".to_string() },
            );
        }
        data.units.push((format!("{a}-{b}"), values));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::{Level, cohen, krippendorff, percent};

    fn c(code: &str, coder: &str, start: usize, end: usize) -> Coding {
        Coding {
            code: code.into(),
            coder: coder.into(),
            start,
            end,
        }
    }

    const SOURCE: &str = "Nobody listened. Then the crisis team came! They stayed 😊 with me.\nIt helped.";

    #[test]
    fn codings_are_checked_against_the_source() {
        let len = len_chars(SOURCE);
        let ok = [c("mechanism", "ann", 17, 43), c("outcome", "ann", 68, len)];
        check(SOURCE, &ok).unwrap();
        assert_eq!(selected(SOURCE, &ok[0]), Some("Then the crisis team came!"));
        let bad = [
            c("context", "ann", 5, 5),
            c("context", "ann", 0, len + 1),
            c("mechanism", "ann", 17, 30),
            c("mechanism", "ann", 25, 43),
        ];
        let p = check(SOURCE, &bad).unwrap_err();
        let s: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(s.iter().any(|p| p.starts_with("coding 1: it selects nothing")), "{s:?}");
        assert!(s.iter().any(|p| p.starts_with("coding 2: it ends at")), "{s:?}");
        assert!(
            s.iter()
                .any(|p| p.starts_with("coding 4: ann already coded mechanism over 17–30")),
            "{s:?}"
        );
    }

    #[test]
    fn co_occurrence_counts_overlapping_pairs() {
        let codings = [
            c("a", "x", 0, 10),
            c("b", "y", 5, 15),
            c("c", "x", 20, 30),
            c("a", "y", 25, 26),
        ];
        let m = co_occurrence(&codings);
        assert_eq!(m.get(&("a".into(), "b".into())), Some(&1));
        assert_eq!(m.get(&("a".into(), "c".into())), Some(&1));
        assert_eq!(m.get(&("b".into(), "c".into())), None);
    }

    #[test]
    fn agreement_by_sentence_turn_or_character() {
        // Three sentences and a last line: ann codes sentences 2 and 3, ben only sentence 2.
        assert_eq!(sentences(SOURCE).len(), 4);
        let coders = vec!["ann".to_string(), "ben".to_string()];
        let codings = [
            c("helps", "ann", 17, 43),
            c("helps", "ann", 44, 67),
            c("helps", "ben", 20, 30),
        ];
        let data = reliability_for_code(SOURCE, &codings, "helps", &coders, &Unit::Sentences);
        // Units: [0,0], [1,1], [1,0], [0,0] → 3 of 4 agree.
        assert_eq!(percent(&data).coefficient, Some(0.75));
        // ann 1s: 2/4, ben 1s: 1/4 → p_e = 0.5·0.25 + 0.5·0.75 = 0.5; kappa = (0.75 − 0.5)/0.5.
        assert!((cohen(&data).unwrap().coefficient.unwrap() - 0.5).abs() < 1e-12);
        let by_char = reliability_for_code(SOURCE, &codings, "helps", &coders, &Unit::Characters);
        let non_space = SOURCE.chars().filter(|c| !c.is_whitespace()).count();
        assert_eq!(by_char.units.len(), non_space);
        assert!(krippendorff(&by_char, Level::Nominal).unwrap().coefficient.is_some());
        let turns = reliability_for_code(
            SOURCE,
            &codings,
            "helps",
            &coders,
            &Unit::Spans(vec![(0, 67), (68, 78)]),
        );
        assert_eq!(percent(&turns).coefficient, Some(1.0));
    }
}
