//! Full-text search, the part that is not the index: the words of a query, and where they occur
//! in a source, as code-point spans (so a hit can be coded like a selection).
//!
//! A word is a run of letters, digits and combining marks, compared lower-cased: the same
//! tokens as SQLite FTS5's `unicode61` tokenizer (diacritics kept) and PostgreSQL's `simple`
//! configuration, so the sources the index finds and the hits shown in them agree.

use serde::Serialize;

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '\u{0300}'..='\u{036f}' | '\u{0610}'..='\u{061a}' | '\u{064b}'..='\u{065f}')
}

/// The words of a text, lower-cased, each with its code-point span.
pub fn tokens(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, c) in text.chars().enumerate() {
        if is_word_char(c) {
            if current.is_empty() {
                start = i;
            }
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            out.push((std::mem::take(&mut current), start, i));
        }
    }
    if !current.is_empty() {
        let end = text.chars().count();
        out.push((current, start, end));
    }
    out
}

/// The distinct words of a query, in order, at most 12.
pub fn query_words(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (w, _, _) in tokens(query) {
        if !out.contains(&w) && out.len() < 12 {
            out.push(w);
        }
    }
    out
}

/// One occurrence of a query word in a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    /// Up to `context` characters before, the match, and after (whole text, not trimmed).
    pub before: String,
    pub matched: String,
    pub after: String,
}

/// Where any of `words` occurs in `text`, first `max` occurrences, with `context` characters of
/// text either side.
pub fn hits(text: &str, words: &[String], max: usize, context: usize) -> Vec<Hit> {
    if words.is_empty() || max == 0 {
        return Vec::new();
    }
    // One pass that stops at the `max`-th hit, reusing one buffer for the current word.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut end_all = 0;
    for (i, c) in text.chars().enumerate() {
        end_all = i + 1;
        if is_word_char(c) {
            if current.is_empty() {
                start = i;
            }
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            if words.contains(&current) {
                spans.push((start, i));
                if spans.len() == max {
                    break;
                }
            }
            current.clear();
        }
    }
    if spans.len() < max && !current.is_empty() && words.contains(&current) {
        spans.push((start, end_all));
    }
    if spans.is_empty() {
        return Vec::new();
    }
    let chars: Vec<char> = text.chars().collect();
    let piece = |a: usize, b: usize| -> String { chars.get(a..b).map(|s| s.iter().collect()).unwrap_or_default() };
    spans
        .into_iter()
        .map(|(s, e)| Hit {
            start: s,
            end: e,
            before: piece(s.saturating_sub(context), s),
            matched: piece(s, e),
            after: piece(e, (e + context).min(chars.len())),
        })
        .collect()
}

/// Whether a text holds every one of `words` (the index's rule, for checking it).
pub fn holds_all(text: &str, words: &[String]) -> bool {
    let found: std::collections::HashSet<String> = tokens(text).into_iter().map(|(w, _, _)| w).collect();
    words.iter().all(|w| found.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_runs_of_letters_and_digits_counted_in_code_points() {
        let t = tokens("Café 😀 déjà-vu, مرحبا 42!");
        let words: Vec<&str> = t.iter().map(|(w, _, _)| w.as_str()).collect();
        assert_eq!(words, ["café", "déjà", "vu", "مرحبا", "42"]);
        // "😀" is one code point: "déjà" starts at 7, not at 10 (bytes) or 8 (UTF-16).
        assert_eq!((t[1].1, t[1].2), (7, 11));
        assert_eq!((t[3].1, t[3].2), (16, 21));
    }

    #[test]
    fn hits_give_spans_and_context_that_slice_back_to_the_word() {
        let text = "I felt ignored. Nobody listened; I was IGNORED again.";
        let words = query_words("ignored");
        let h = hits(text, &words, 10, 6);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].matched, "ignored");
        assert_eq!(h[1].matched, "IGNORED");
        assert_eq!(h[1].before, "I was ");
        assert_eq!(crate::text::slice_chars(text, h[1].start, h[1].end), Some("IGNORED"));
        assert!(holds_all(text, &query_words("nobody IGNORED")));
        assert!(!holds_all(text, &query_words("nobody heard")));
        assert!(hits(text, &query_words("ignore"), 10, 5).is_empty(), "whole words only");
    }

    #[test]
    fn a_query_keeps_distinct_words_and_drops_punctuation() {
        assert_eq!(query_words("  \"crisis\" OR crisis team! "), ["crisis", "or", "team"]);
        assert!(query_words("?!").is_empty());
    }
}
