//! A vignette: a composite case written as a story, its quasi-identifying facts, the themes from
//! interviews it draws on, and its review by the stakeholder group.
//!
//! - [`composite`] proposes a case from a cohort's characterisation: the typical (median, most
//!   common) values of the cohort, never any one person's.
//! - [`Body`] is what each version holds; [`diff`] shows what changed between two versions word
//!   by word.
//! - Comments are anchored to a passage by its words ([`anchor`]), so they follow the passage
//!   into later versions or are marked as no longer found.
//! - [`ApprovalRule`] is the group's rule (at least so many approvals from each category);
//!   approvals belong to a version, so an edit after approval starts the count again.

use std::collections::BTreeMap;

use cocare_records::codes::Sex;
use cocare_records::report::{Cell, PublishedReport, PublishedRow};
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

/// Stakeholder categories (the engagement register's).
pub use cocare_engage::engagement::CATEGORIES;

/// The plain-language label of a stakeholder category.
pub fn category_label(key: &str) -> &str {
    CATEGORIES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, label)| label)
}

/// A theme from coded interviews that the vignette draws on: a link to the workbench's code,
/// never a quotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    pub project: String,
    pub code: String,
    pub name: String,
    /// Segments coded with it when the theme was linked.
    pub segments: u64,
    /// The researcher's summary in their own words.
    pub summary: String,
}

/// One version of a vignette.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Body {
    pub title: String,
    /// The case as a story in plain language.
    pub story: String,
    /// The quasi-identifying facts, as the `vignette check` JSON (see [`crate::facts`]).
    pub facts: String,
    #[serde(default)]
    pub themes: Vec<Theme>,
}

/// Problems with a body, by field.
pub fn validate(body: &Body) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if body.title.trim().is_empty() {
        problems.push(("title", "Give the vignette a title".to_string()));
    } else if body.title.chars().count() > 200 {
        problems.push(("title", "Keep the title under 200 characters".to_string()));
    }
    if body.story.trim().is_empty() {
        problems.push(("story", "Write the case as a story".to_string()));
    } else if body.story.chars().count() > 20_000 {
        problems.push(("story", "Keep the story under 20,000 characters".to_string()));
    }
    if body.facts.trim().is_empty() {
        problems.push((
            "facts",
            "Give the vignette's facts (sex, age, service use…) so the records can be checked".to_string(),
        ));
    } else if let Err(errors) = crate::facts::Facts::from_json(&body.facts) {
        let text = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        problems.push(("facts", text));
    }
    problems
}

/// A composite case proposed from a cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Composite {
    pub cohort: String,
    pub people: u64,
    pub age_band: Option<(i64, i64)>,
    pub sex: Option<String>,
    /// (label, typical count in the window) for admissions, detentions, crisis and agency use.
    pub service_use: Vec<(String, u64)>,
    pub diagnoses: Vec<String>,
    pub window_months: u32,
    pub as_of: String,
}

fn cohort_cell(row: &PublishedRow) -> Option<&Cell> {
    row.cells.first()
}

/// The cohort's typical values as a composite case, read from the disclosure-controlled
/// characterisation: only medians and the most common levels, so the case is nobody in
/// particular; the *k* check then confirms it.
pub fn composite(report: &PublishedReport) -> Composite {
    let rows = &report.table1;
    let median = |prefix: &str| {
        rows.iter()
            .filter(|r| r.variable.starts_with(prefix))
            .find_map(|r| match cohort_cell(r) {
                Some(Cell::MedianIqr { median, .. }) => *median,
                _ => None,
            })
    };
    let age_band = median("Age").map(|m| {
        let low = ((m as i64) / 10) * 10;
        (low, low + 9)
    });
    let sex = rows
        .iter()
        .filter(|r| r.variable == "Sex" && r.line != "missing")
        .filter_map(|r| match cohort_cell(r) {
            Some(Cell::Count { n: Some(n), .. }) => Some((*n, r.line.clone())),
            _ => None,
        })
        .max_by_key(|(n, _)| *n)
        .map(|(_, label)| label);
    let mut service_use = Vec::new();
    for (prefix, label) in [
        ("Admissions", "hospital admissions"),
        ("Mental Health Act detentions", "detentions under the Mental Health Act"),
        ("Crisis team contacts", "crisis team contacts"),
        ("A&E attendances", "A&E attendances"),
        ("Police contacts", "police contacts"),
        ("Agencies in contact", "agencies in contact"),
    ] {
        if let Some(m) = median(prefix) {
            service_use.push((label.to_string(), m.round().max(0.0) as u64));
        }
    }
    let diagnoses = rows
        .iter()
        .filter(|r| r.variable.starts_with("Diagnosis: ") && r.line != "missing")
        .filter_map(|r| match cohort_cell(r) {
            Some(Cell::Count {
                percent: Some(percent), ..
            }) if *percent > 50.0 => Some(r.variable.trim_start_matches("Diagnosis: ").to_string()),
            _ => None,
        })
        .collect();
    Composite {
        cohort: report.cohort_name.clone(),
        people: report.n.first().copied().flatten().unwrap_or(0),
        age_band,
        sex,
        service_use,
        diagnoses,
        window_months: report.window_months,
        as_of: report.index_date.format("%Y-%m-%d").to_string(),
    }
}

impl Composite {
    fn sex_code(&self) -> Option<&'static str> {
        let label = self.sex.as_deref()?;
        Sex::ALL
            .iter()
            .find(|s| s.label().eq_ignore_ascii_case(label))
            .map(|s| s.code())
    }

    /// A first draft of the story, for the researcher to rewrite in plain language.
    pub fn story(&self) -> String {
        let who = match (self.sex.as_deref(), self.age_band) {
            (Some(sex), Some((a, b))) => format!("A {} in their {a}s (aged {a} to {b})", sex.to_lowercase()),
            (None, Some((a, b))) => format!("A person aged {a} to {b}"),
            (Some(sex), None) => format!("A {}", sex.to_lowercase()),
            (None, None) => "A person".to_string(),
        };
        let mut text = format!("{who} known to community mental health services.");
        if !self.diagnoses.is_empty() {
            text.push_str(&format!(" Their records mention {}.", self.diagnoses.join(" and ")));
        }
        let used: Vec<String> = self
            .service_use
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(label, n)| format!("{n} {label}"))
            .collect();
        if !used.is_empty() {
            text.push_str(&format!(
                " In the last {} months they have had {}.",
                self.window_months,
                used.join(", ")
            ));
        }
        text.push_str(
            "\n\nTheir housing and social situation: (describe, in plain words, with the stakeholder group).",
        );
        text
    }

    /// Facts for the *k* check: the age band, sex and the typical service use as "at least".
    pub fn facts(&self) -> String {
        let mut facts = serde_json::Map::new();
        facts.insert("as_of".into(), self.as_of.clone().into());
        if let Some((a, b)) = self.age_band {
            facts.insert("age".into(), serde_json::json!({"min": a, "max": b}));
        }
        if let Some(code) = self.sex_code() {
            facts.insert("sex".into(), code.into());
        }
        for (label, n) in &self.service_use {
            let field = match label.as_str() {
                "hospital admissions" => "spells",
                "detentions under the Mental Health Act" => "detentions",
                _ => continue,
            };
            if *n > 0 {
                facts.insert(field.into(), serde_json::json!({ "min": n }));
            }
        }
        serde_json::to_string_pretty(&serde_json::Value::Object(facts)).unwrap_or_default()
    }
}

/// A word-level change between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub change: Change,
    pub text: String,
}

/// What changed from `before` to `after`, word by word, in reading order (adjacent spans of the
/// same kind merged).
pub fn diff(before: &str, after: &str) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for change in TextDiff::from_words(before, after).iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => Change::Same,
            ChangeTag::Insert => Change::Added,
            ChangeTag::Delete => Change::Removed,
        };
        match spans.last_mut() {
            Some(last) if last.change == kind => last.text.push_str(change.value()),
            _ => spans.push(Span {
                change: kind,
                text: change.value().to_string(),
            }),
        }
    }
    spans
}

/// Where a comment's passage is in a story, in characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error("Choose the words the comment is about (copy them from the story)")]
    Empty,
    #[error("These words are not in the story: \u{201c}{0}\u{201d}")]
    NotFound(String),
    #[error(
        "These words appear {1} times in the story; choose a few more words so it is clear which: \u{201c}{0}\u{201d}"
    )]
    Ambiguous(String, usize),
}

/// Finds the passage a comment is about; it must occur exactly once.
pub fn anchor(story: &str, passage: &str) -> Result<(usize, usize), AnchorError> {
    let passage = passage.trim();
    if passage.is_empty() {
        return Err(AnchorError::Empty);
    }
    let found: Vec<usize> = story.match_indices(passage).map(|(i, _)| i).collect();
    match found.as_slice() {
        [] => Err(AnchorError::NotFound(passage.to_string())),
        [byte] => {
            let start = story.get(..*byte).map_or(0, |s| s.chars().count());
            Ok((start, start + passage.chars().count()))
        }
        many => Err(AnchorError::Ambiguous(passage.to_string(), many.len())),
    }
}

/// The group's approval rule: at least `need` approvals from each listed category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ApprovalRule {
    pub minimum: BTreeMap<String, u32>,
}

/// One category's approvals against the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryStatus {
    pub category: String,
    pub label: String,
    pub approvals: u32,
    pub needed: u32,
    pub met: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleStatus {
    pub met: bool,
    pub categories: Vec<CategoryStatus>,
    /// Approvals in total.
    pub approvals: u32,
}

impl ApprovalRule {
    /// The default rule: at least one service user, one carer and one clinician.
    pub fn default_rule() -> ApprovalRule {
        ApprovalRule {
            minimum: [("service_user", 1), ("carer", 1), ("clinician", 1)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    /// Reads `category=number` pairs (form fields); a category must be known and the rule
    /// must ask for at least one approval.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<ApprovalRule, Vec<(String, String)>> {
        let mut minimum = BTreeMap::new();
        let mut problems = Vec::new();
        for (category, value) in pairs {
            if !CATEGORIES.iter().any(|(k, _)| k == category) {
                problems.push((category.clone(), format!("{category:?} is not a stakeholder category")));
                continue;
            }
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match value.parse::<u32>() {
                Ok(0) => {}
                Ok(n) if n <= 50 => {
                    minimum.insert(category.clone(), n);
                }
                _ => problems.push((
                    category.clone(),
                    format!(
                        "{}: give a whole number of approvals from 0 to 50 (not \u{201c}{value}\u{201d})",
                        category_label(category)
                    ),
                )),
            }
        }
        if problems.is_empty() && minimum.is_empty() {
            problems.push((
                "service_user".to_string(),
                "The rule must ask for at least one approval".to_string(),
            ));
        }
        if problems.is_empty() {
            Ok(ApprovalRule { minimum })
        } else {
            Err(problems)
        }
    }

    /// The rule against the approvals given (each by category).
    pub fn status<'a>(&self, approvals: impl IntoIterator<Item = &'a str>) -> RuleStatus {
        let mut by_category: BTreeMap<&str, u32> = BTreeMap::new();
        let mut total = 0;
        for category in approvals {
            *by_category.entry(category).or_default() += 1;
            total += 1;
        }
        let categories: Vec<CategoryStatus> = CATEGORIES
            .iter()
            .filter_map(|(key, label)| {
                let needed = self.minimum.get(*key).copied().unwrap_or(0);
                let approvals = by_category.get(key).copied().unwrap_or(0);
                (needed > 0 || approvals > 0).then(|| CategoryStatus {
                    category: (*key).to_string(),
                    label: (*label).to_string(),
                    approvals,
                    needed,
                    met: approvals >= needed,
                })
            })
            .collect();
        RuleStatus {
            met: !self.minimum.is_empty() && categories.iter().all(|c| c.met),
            categories,
            approvals: total,
        }
    }

    /// "at least 1 service user, 1 carer and 1 clinician".
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .minimum
            .iter()
            .map(|(k, n)| format!("{n} from {}", category_label(k).to_lowercase()))
            .collect();
        format!("at least {}", parts.join(", "))
    }
}
