//! Sources as text: positions counted the way REFI-QDA counts them, and transcripts read from
//! WebVTT, SRT or "Speaker: text" into speaker turns with their times.
//!
//! REFI-QDA 1.5 §10.2: a selection in a text is defined by its first and last character, as
//! Unicode code points numbered from 0. Positions here are code points (`char`s), never UTF-8
//! bytes or UTF-16 units, so accents, emoji and right-to-left scripts count one per character.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The number of code points in a text.
pub fn len_chars(text: &str) -> usize {
    text.chars().count()
}

/// The byte index of code point `pos` (`pos == len` gives the end), if the text has it.
pub fn byte_index(text: &str, pos: usize) -> Option<usize> {
    if pos == 0 {
        return Some(0);
    }
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .nth(pos)
}

/// The text between code points `start` (inclusive) and `end` (exclusive), if both lie inside
/// it and `start <= end`.
pub fn slice_chars(text: &str, start: usize, end: usize) -> Option<&str> {
    if start > end {
        return None;
    }
    let a = byte_index(text, start)?;
    let b = byte_index(text, end)?;
    text.get(a..b)
}

/// One speaker turn (or cue) of a transcript, as a span of the source text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Option<String>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    /// Code-point span of the turn's words in [`Transcript::text`].
    pub start: usize,
    pub end: usize,
}

/// A transcript: the plain text cocare stores (one turn per line, "Speaker: words"), and its
/// turns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transcript {
    pub format: &'static str,
    pub text: String,
    pub turns: Vec<Turn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TranscriptProblem {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for TranscriptProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// `hh:mm:ss.mmm`, `mm:ss.mmm` (WebVTT) or `hh:mm:ss,mmm` (SRT) in milliseconds.
pub fn parse_timestamp(s: &str) -> Option<u64> {
    let s = s.trim();
    let (clock, millis) = s.rsplit_once(['.', ','])?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let num = |p: &str, max: u64| -> Option<u64> {
        (!p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u64>().ok())
            .flatten()
            .filter(|v| *v < max)
    };
    let (h, m, sec) = match parts.as_slice() {
        [h, m, s] => (
            h.parse::<u64>()
                .ok()
                .filter(|_| h.bytes().all(|b| b.is_ascii_digit()) && !h.is_empty())?,
            num(m, 60)?,
            num(s, 60)?,
        ),
        [m, s] => (0, num(m, 60)?, num(s, 60)?),
        _ => return None,
    };
    Some(((h * 60 + m) * 60 + sec) * 1000 + millis.parse::<u64>().ok()?)
}

/// A speaker at the start of a line: `Name: words`, the name short and without sentence
/// punctuation (so "Note: see above" in a document is not mistaken only if the caller expects
/// speaker turns).
fn speaker_prefix(line: &str) -> Option<(&str, &str)> {
    let (name, rest) = line.split_once(':')?;
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= 40
        && !name.contains(['.', '?', '!', ',', '"'])
        && name.chars().next().is_some_and(char::is_alphabetic);
    ok.then_some((name, rest.trim()))
}

struct Builder {
    text: String,
    turns: Vec<Turn>,
}

impl Builder {
    fn push(&mut self, speaker: Option<&str>, words: &str, start_ms: Option<u64>, end_ms: Option<u64>) {
        let words = words.trim();
        if words.is_empty() {
            return;
        }
        if let Some(s) = speaker {
            self.text.push_str(s);
            self.text.push_str(": ");
        }
        let start = len_chars(&self.text);
        self.text.push_str(words);
        let end = len_chars(&self.text);
        self.text.push('\n');
        self.turns.push(Turn {
            speaker: speaker.map(str::to_string),
            start_ms,
            end_ms,
            start,
            end,
        });
    }
}

/// Reads a transcript: WebVTT (`WEBVTT` first), SRT (numbered cues with `-->` times), or lines of
/// `Speaker: words` (a line without a speaker continues the previous turn). Broken or
/// backwards timestamps are named by line; nothing is kept from a transcript with problems.
pub fn parse_transcript(raw: &str) -> Result<Transcript, Vec<TranscriptProblem>> {
    let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    let lines: Vec<&str> = raw.lines().collect();
    let first = lines.iter().find(|l| !l.trim().is_empty()).copied().unwrap_or("");
    let timed = first.trim_start().starts_with("WEBVTT") || lines.iter().any(|l| l.contains("-->"));
    let mut b = Builder {
        text: String::new(),
        turns: Vec::new(),
    };
    let mut problems = Vec::new();
    if timed {
        let format = if first.trim_start().starts_with("WEBVTT") {
            "webvtt"
        } else {
            "srt"
        };
        let mut i = 0;
        let mut last_start = 0u64;
        while i < lines.len() {
            let line = lines.get(i).copied().unwrap_or("");
            if let Some((a, rest)) = line.split_once("-->") {
                let b_part = rest.split_whitespace().next().unwrap_or("");
                match (parse_timestamp(a), parse_timestamp(b_part)) {
                    (Some(start), Some(end)) if end >= start && start >= last_start => {
                        last_start = start;
                        let mut words = Vec::new();
                        i += 1;
                        while let Some(l) = lines.get(i) {
                            if l.trim().is_empty() {
                                break;
                            }
                            words.push(l.trim());
                            i += 1;
                        }
                        let joined = words.join(" ");
                        // WebVTT voice tags `<v Name>words</v>`, or `Name: words`.
                        let (speaker, text) = if let Some(rest) = joined.strip_prefix("<v ") {
                            match rest.split_once('>') {
                                Some((name, t)) => (Some(name.trim().to_string()), t.replace("</v>", "")),
                                None => (None, joined.clone()),
                            }
                        } else if let Some((name, t)) = speaker_prefix(&joined) {
                            (Some(name.to_string()), t.to_string())
                        } else {
                            (None, joined.clone())
                        };
                        b.push(speaker.as_deref(), &text, Some(start), Some(end));
                        continue;
                    }
                    (Some(start), Some(end)) if end < start => problems.push(TranscriptProblem {
                        line: i + 1,
                        reason: "the cue ends before it starts".into(),
                    }),
                    (Some(_), Some(_)) => problems.push(TranscriptProblem {
                        line: i + 1,
                        reason: "the cue starts before the one above it".into(),
                    }),
                    _ => problems.push(TranscriptProblem {
                        line: i + 1,
                        reason: format!(
                            "'{}' is not a pair of timestamps like 00:01:02.500 --> 00:01:04.000",
                            line.trim()
                        ),
                    }),
                }
            }
            i += 1;
        }
        if problems.is_empty() && b.turns.is_empty() {
            problems.push(TranscriptProblem {
                line: 1,
                reason: "no cues with words".into(),
            });
        }
        return if problems.is_empty() {
            Ok(Transcript {
                format,
                text: b.text,
                turns: b.turns,
            })
        } else {
            Err(problems)
        };
    }
    // "Speaker: words" lines; a line without a speaker continues the turn above.
    let mut current: Option<(Option<String>, String)> = None;
    for line in &lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match speaker_prefix(line) {
            Some((name, words)) => {
                if let Some((s, w)) = current.take() {
                    b.push(s.as_deref(), &w, None, None);
                }
                current = Some((Some(name.to_string()), words.to_string()));
            }
            None => match current.as_mut() {
                Some((_, w)) => {
                    w.push(' ');
                    w.push_str(line);
                }
                None => current = Some((None, line.to_string())),
            },
        }
    }
    if let Some((s, w)) = current.take() {
        b.push(s.as_deref(), &w, None, None);
    }
    if b.turns.is_empty() {
        return Err(vec![TranscriptProblem {
            line: 1,
            reason: "the transcript has no words".into(),
        }]);
    }
    let format = if b.turns.iter().any(|t| t.speaker.is_some()) {
        "speaker_turns"
    } else {
        "plain"
    };
    Ok(Transcript {
        format,
        text: b.text,
        turns: b.turns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_code_points() {
        let t = "Café 😊 שלום ok";
        assert_eq!(len_chars(t), 14);
        assert_eq!(slice_chars(t, 5, 6), Some("😊"));
        assert_eq!(slice_chars(t, 7, 11), Some("שלום"));
        assert_eq!(slice_chars(t, 3, 4), Some("é"));
        assert_eq!(slice_chars(t, 12, 14), Some("ok"));
        assert_eq!(slice_chars(t, 12, 15), None, "past the end");
        assert_eq!(slice_chars(t, 4, 3), None, "backwards");
        assert_eq!(byte_index(t, 14), Some(t.len()));
    }

    #[test]
    fn webvtt_with_voices_keeps_speakers_and_times() {
        let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:04.500\n<v Sam>I felt nobody listened.</v>\n\n00:00:05.000 --> 00:00:07.000\n<v Nurse Ade>What would help?\n\n01:02.250 --> 01:03.000\nClinician: Let's write it in your words — 😊\n";
        let t = parse_transcript(vtt).unwrap();
        assert_eq!(t.format, "webvtt");
        assert_eq!(t.turns.len(), 3);
        assert_eq!(t.turns[0].speaker.as_deref(), Some("Sam"));
        assert_eq!((t.turns[0].start_ms, t.turns[0].end_ms), (Some(1000), Some(4500)));
        assert_eq!(t.turns[2].start_ms, Some(62_250));
        assert_eq!(t.turns[2].speaker.as_deref(), Some("Clinician"));
        for turn in &t.turns {
            let words = slice_chars(&t.text, turn.start, turn.end).unwrap();
            assert!(!words.contains('<') && !words.is_empty(), "{words}");
        }
        assert_eq!(
            slice_chars(&t.text, t.turns[2].start, t.turns[2].end),
            Some("Let's write it in your words — 😊")
        );
    }

    #[test]
    fn srt_and_speaker_lines() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nCarer: She sleeps badly.\n\n2\n00:00:02,500 --> 00:00:03,000\nIt started in May.\n";
        let t = parse_transcript(srt).unwrap();
        assert_eq!(t.format, "srt");
        assert_eq!(t.turns.len(), 2);
        assert_eq!(t.turns[1].speaker, None);
        let plain = "Interviewer: How was the admission?\nParticipant: Frightening.\nI didn't know anyone.\n\nInterviewer: And after?\n";
        let t = parse_transcript(plain).unwrap();
        assert_eq!(t.format, "speaker_turns");
        assert_eq!(t.turns.len(), 3);
        assert_eq!(
            slice_chars(&t.text, t.turns[1].start, t.turns[1].end),
            Some("Frightening. I didn't know anyone.")
        );
    }

    proptest::proptest! {
        /// Any text at all: no panic, and every turn is a valid span of the stored text.
        #[test]
        fn any_input_reads_or_is_refused_without_panic(raw in "(WEBVTT\n)?([0-9:.,>\\- ]{0,30}\n|[A-Za-zé😊ש]{0,8}: [^\n]{0,20}\n|[^\n]{0,20}\n){0,12}") {
            if let Ok(t) = parse_transcript(&raw) {
                for turn in &t.turns {
                    proptest::prop_assert!(slice_chars(&t.text, turn.start, turn.end).is_some());
                }
            }
        }
    }

    #[test]
    fn broken_timestamps_are_named_by_line() {
        let bad = "WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nBackwards\n\n00:00:61.000 --> 00:01:02.000\nSixty-one seconds\n\n00:00:01.000 --> 00:00:02.000\nEarlier than the first\n\n00:00:0x.000 --> 00:00:09.000\nLetters\n";
        let p = parse_transcript(bad).unwrap_err();
        let s: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(
            s.iter().any(|p| p.starts_with("line 3: the cue ends before it starts")),
            "{s:?}"
        );
        assert!(
            s.iter()
                .any(|p| p.starts_with("line 6:") && p.contains("not a pair of timestamps")),
            "{s:?}"
        );
        assert!(s.iter().any(|p| p.starts_with("line 12:")), "{s:?}");
        assert!(parse_transcript("   \n\n").is_err());
        assert_eq!(parse_timestamp("1:02:03.004"), Some(3_723_004));
        assert_eq!(parse_timestamp("02:03,004"), Some(123_004));
        assert_eq!(parse_timestamp("02:03.04"), None);
    }
}
