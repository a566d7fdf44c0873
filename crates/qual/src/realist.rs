//! Realist synthesis: context–mechanism–outcome (CMO) configurations under programme theories,
//! each linked to the excerpts that support or refute it, versioned as theories are refined,
//! and exported as the CMO table a realist review reports.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether an excerpt bears a configuration out or tells against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stance {
    Supports,
    Refutes,
}

impl Stance {
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Supports => "supports",
            Stance::Refutes => "refutes",
        }
    }

    pub fn parse(s: &str) -> Option<Stance> {
        match s.trim() {
            "supports" => Some(Stance::Supports),
            "refutes" => Some(Stance::Refutes),
            _ => None,
        }
    }
}

/// An excerpt of a source (an interview, or a document such as a paper), by code points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub source: String,
    pub start: usize,
    pub end: usize,
    pub stance: Stance,
    #[serde(default)]
    pub note: String,
}

/// One CMO configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cmo {
    /// The programme theory this configuration belongs to ("Engagement before a funding
    /// change").
    pub theory: String,
    /// A short label ("C1: trusted relationship").
    pub name: String,
    pub context: String,
    pub mechanism: String,
    pub outcome: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CmoProblem {
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for CmoProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl Cmo {
    /// A configuration needs a theory, a name, and its context, mechanism and outcome; evidence
    /// must point inside its source (`lengths`: source id → length in code points).
    pub fn validate(&self, lengths: &BTreeMap<String, usize>) -> Result<(), Vec<CmoProblem>> {
        let mut problems = Vec::new();
        let mut need = |field: &'static str, value: &str, what: &str| {
            if value.trim().is_empty() {
                problems.push(CmoProblem {
                    field,
                    reason: format!("write the {what}"),
                });
            }
        };
        need("theory", &self.theory, "programme theory it belongs to");
        need("name", &self.name, "configuration's name");
        need("context", &self.context, "context (in which circumstances)");
        need(
            "mechanism",
            &self.mechanism,
            "mechanism (what people respond to, and how)",
        );
        need("outcome", &self.outcome, "outcome (what happens)");
        for (i, e) in self.evidence.iter().enumerate() {
            match lengths.get(&e.source) {
                None => problems.push(CmoProblem {
                    field: "evidence",
                    reason: format!("excerpt {} is from a source that is not in this project", i + 1),
                }),
                Some(len) if e.start >= e.end || e.end > *len => problems.push(CmoProblem {
                    field: "evidence",
                    reason: format!(
                        "excerpt {} ({}–{}) is empty or outside its source (length {len})",
                        i + 1,
                        e.start,
                        e.end
                    ),
                }),
                Some(_) => {}
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    pub fn count(&self, stance: Stance) -> usize {
        self.evidence.iter().filter(|e| e.stance == stance).count()
    }
}

/// A configuration at a version, with what the table needs to name its evidence.
#[derive(Debug, Clone)]
pub struct TableRow<'a> {
    pub id: &'a str,
    pub version: i64,
    pub cmo: &'a Cmo,
}

/// The CMO table as CSV: one row per configuration (latest versions), grouped by theory, with
/// the excerpts quoted (`excerpt(source, start, end)` gives the source's name and the words).
/// Finds an excerpt's source name and words: `(source, start, end)` → `(name, words)`.
pub type ExcerptLookup<'a> = &'a dyn Fn(&str, usize, usize) -> Option<(String, String)>;

pub fn table_csv(rows: &[TableRow<'_>], excerpt: ExcerptLookup<'_>) -> String {
    let mut sorted: Vec<&TableRow<'_>> = rows.iter().collect();
    sorted.sort_by(|a, b| (&a.cmo.theory, &a.cmo.name).cmp(&(&b.cmo.theory, &b.cmo.name)));
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut records: Vec<Vec<String>> = vec![
        [
            "programme_theory",
            "configuration",
            "version",
            "context",
            "mechanism",
            "outcome",
            "supporting",
            "refuting",
            "evidence",
            "notes",
            "id",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect(),
    ];
    for r in sorted {
        let evidence = r
            .cmo
            .evidence
            .iter()
            .map(|e| match excerpt(&e.source, e.start, e.end) {
                Some((name, words)) => {
                    let note = if e.note.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", e.note)
                    };
                    format!(
                        "[{}] {} {}–{}: \u{201c}{}\u{201d}{note}",
                        e.stance.as_str(),
                        name,
                        e.start,
                        e.end,
                        words
                    )
                }
                None => format!(
                    "[{}] (a source no longer in the project) {}–{}",
                    e.stance.as_str(),
                    e.start,
                    e.end
                ),
            })
            .collect::<Vec<_>>()
            .join("\n");
        records.push(vec![
            r.cmo.theory.clone(),
            r.cmo.name.clone(),
            r.version.to_string(),
            r.cmo.context.clone(),
            r.cmo.mechanism.clone(),
            r.cmo.outcome.clone(),
            r.cmo.count(Stance::Supports).to_string(),
            r.cmo.count(Stance::Refutes).to_string(),
            evidence,
            r.cmo.notes.clone(),
            r.id.to_string(),
        ]);
    }
    for rec in records {
        // Writing to memory cannot fail; a failure would only lose the row, never panic.
        let _ = w.write_record(&rec);
    }
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

/// Reads configurations from a CMO table (the columns [`table_csv`] writes; `programme_theory`,
/// `configuration`, `context`, `mechanism` and `outcome` are needed, `notes` is optional, the
/// rest is ignored, excerpts included: they point into another project's sources). Every problem
/// is named by line and column; nothing is returned if there is one.
pub fn parse_table_csv(text: &str) -> Result<Vec<Cmo>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("line 1: {e}")]),
    };
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let need = ["programme_theory", "configuration", "context", "mechanism", "outcome"];
    let missing: Vec<String> = need
        .iter()
        .filter(|n| col(n).is_none())
        .map(|n| format!("line 1: the column {n} is missing"))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let at = |rec: &csv::StringRecord, name: &str| -> String {
        col(name).and_then(|i| rec.get(i)).unwrap_or("").trim().to_string()
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let cmo = Cmo {
            theory: at(&rec, "programme_theory"),
            name: at(&rec, "configuration"),
            context: at(&rec, "context"),
            mechanism: at(&rec, "mechanism"),
            outcome: at(&rec, "outcome"),
            notes: at(&rec, "notes"),
            evidence: Vec::new(),
        };
        match cmo.validate(&BTreeMap::new()) {
            Ok(()) => out.push(cmo),
            Err(ps) => problems.extend(
                ps.iter()
                    .map(|p| format!("line {line}, column {}: {}", p.field, p.reason)),
            ),
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push("the table has no configurations".into());
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// What changed between two versions of a configuration, field by field, in plain words.
pub fn changes(old: &Cmo, new: &Cmo) -> Vec<String> {
    let mut out = Vec::new();
    for (field, a, b) in [
        ("theory", &old.theory, &new.theory),
        ("name", &old.name, &new.name),
        ("context", &old.context, &new.context),
        ("mechanism", &old.mechanism, &new.mechanism),
        ("outcome", &old.outcome, &new.outcome),
        ("notes", &old.notes, &new.notes),
    ] {
        if a != b {
            out.push(format!("{field} changed"));
        }
    }
    let added = new.evidence.iter().filter(|e| !old.evidence.contains(e)).count();
    let removed = old.evidence.iter().filter(|e| !new.evidence.contains(e)).count();
    if added > 0 {
        out.push(format!("{added} excerpt{} linked", if added == 1 { "" } else { "s" }));
    }
    if removed > 0 {
        out.push(format!(
            "{removed} excerpt{} unlinked",
            if removed == 1 { "" } else { "s" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmo() -> Cmo {
        Cmo {
            theory: "Engagement before change".into(),
            name: "C1".into(),
            context: "A cut announced without consultation".into(),
            mechanism: "Service users feel unheard, \"done to\"".into(),
            outcome: "Disengagement, crisis presentations".into(),
            notes: String::new(),
            evidence: vec![Evidence {
                source: "s1".into(),
                start: 0,
                end: 5,
                stance: Stance::Supports,
                note: String::new(),
            }],
        }
    }

    #[test]
    fn a_configuration_needs_its_parts_and_evidence_inside_its_source() {
        let lengths = BTreeMap::from([("s1".to_string(), 10usize)]);
        assert!(cmo().validate(&lengths).is_ok());
        let mut bad = cmo();
        bad.mechanism = " ".into();
        bad.evidence.push(Evidence {
            source: "s1".into(),
            start: 8,
            end: 12,
            stance: Stance::Refutes,
            note: String::new(),
        });
        bad.evidence.push(Evidence {
            source: "gone".into(),
            start: 0,
            end: 1,
            stance: Stance::Refutes,
            note: String::new(),
        });
        let problems = bad.validate(&lengths).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].starts_with("mechanism:"));
        assert!(text[1].contains("excerpt 2 (8–12)"), "{text:?}");
        assert!(text[2].contains("not in this project"));
    }

    #[test]
    fn the_table_quotes_excerpts_and_escapes_csv() {
        let c = cmo();
        let csv = table_csv(
            &[TableRow {
                id: "x",
                version: 2,
                cmo: &c,
            }],
            &|s, a, b| {
                assert_eq!((s, a, b), ("s1", 0, 5));
                Some(("Interview 1".into(), "I was".into()))
            },
        );
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[2], "2");
        assert_eq!(&row[4], "Service users feel unheard, \"done to\"");
        assert_eq!(&row[6], "1");
        assert_eq!(&row[8], "[supports] Interview 1 0–5: \u{201c}I was\u{201d}");
    }

    #[test]
    fn a_table_reads_back_and_its_problems_are_named_by_line() {
        let c = cmo();
        let csv = table_csv(
            &[TableRow {
                id: "x",
                version: 2,
                cmo: &c,
            }],
            &|_, _, _| None,
        );
        let back = parse_table_csv(&csv).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].mechanism, c.mechanism);
        assert!(back[0].evidence.is_empty(), "excerpts stay with their own project");
        let bad = "programme_theory,configuration,context,mechanism,outcome\nT,N,C,,O\n";
        assert_eq!(
            parse_table_csv(bad).unwrap_err(),
            ["line 2, column mechanism: write the mechanism (what people respond to, and how)"]
        );
        assert_eq!(
            parse_table_csv("a,b\n").unwrap_err()[0],
            "line 1: the column programme_theory is missing"
        );
    }

    #[test]
    fn changes_name_the_fields_and_excerpts() {
        let a = cmo();
        let mut b = cmo();
        b.outcome = "Re-engagement".into();
        b.evidence.clear();
        assert_eq!(changes(&a, &b), ["outcome changed", "1 excerpt unlinked"]);
        assert!(changes(&a, &a).is_empty());
    }
}
