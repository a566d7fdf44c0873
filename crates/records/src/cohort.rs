//! Cohort definitions: what a researcher saves, shares as JSON, and versions.
//!
//! A cohort is everyone in the dataset who meets each of a list of criteria, in order; the
//! attrition table counts how many people remain after each. A criterion is a rule: a count of
//! events in a window before the index date, contact with several agencies, a diagnosis group,
//! an age band, or any/all of other rules. The analytic crate compiles each leaf rule to one
//! aggregate over the events, per person, and evaluates the tree here.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::{Agency, DiagnosisGroup, Section, Service, Ward};
use crate::layout::{EventKind, day_number};

/// The schema tag every saved definition carries.
pub const SCHEMA: &str = "cocare.cohort/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortDefinition {
    #[serde(default = "schema")]
    pub schema: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Windows look back from this day (inclusive).
    pub index_date: NaiveDate,
    /// Service use, Table 1's service variables and pathways describe this many months up to
    /// the index date.
    #[serde(default = "default_window")]
    pub window_months: u32,
    pub criteria: Vec<Criterion>,
}

fn schema() -> String {
    SCHEMA.to_string()
}

fn default_window() -> u32 {
    24
}

/// One step of the attrition table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// What the attrition table calls this step; a description is made from the rule if empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    pub rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    AnyOf(Vec<Rule>),
    AllOf(Vec<Rule>),
    /// At least `at_least` events of a kind (optionally only some codes) in the window.
    Count(CountRule),
    /// Contact with at least `at_least` different agencies in the window.
    DistinctAgencies(DistinctAgenciesRule),
    /// A diagnosis in any of the groups, recorded on or before the index date.
    Diagnosis(DiagnosisRule),
    /// Age at the index date (from year of birth), inclusive bounds.
    Age(AgeRule),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountRule {
    pub kind: EventKind,
    /// Service, ward, section or agency codes; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    pub at_least: u32,
    pub within_months: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistinctAgenciesRule {
    pub at_least: u32,
    pub within_months: u32,
    /// Which agencies count; empty means all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agencies: Vec<Agency>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisRule {
    pub groups: Vec<DiagnosisGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeRule {
    #[serde(default)]
    pub min: Option<u32>,
    #[serde(default)]
    pub max: Option<u32>,
}

/// A problem with a definition, naming where it is (`criteria[1].rule.any_of[0].at_least`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct DefinitionError {
    pub path: String,
    pub reason: String,
}

/// A leaf rule, numbered in the order [`CohortDefinition::leaves`] visits them. The engine
/// computes one boolean per person per leaf.
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    Count {
        kind: EventKind,
        codes: Vec<String>,
        at_least: u32,
        from_day: i32,
        to_day: i32,
    },
    DistinctAgencies {
        agencies: Vec<Agency>,
        at_least: u32,
        from_day: i32,
        to_day: i32,
    },
    Diagnosis {
        groups: Vec<DiagnosisGroup>,
        to_day: i32,
    },
    Age {
        min: Option<u32>,
        max: Option<u32>,
        index_year: i32,
    },
}

impl CohortDefinition {
    /// Reads a definition from JSON, with errors that name the place.
    pub fn from_json(text: &str) -> Result<CohortDefinition, DefinitionError> {
        let definition: CohortDefinition = serde_json::from_str(text).map_err(|e| DefinitionError {
            path: format!("line {}, column {}", e.line(), e.column()),
            reason: e.to_string(),
        })?;
        definition.validate()?;
        Ok(definition)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn validate(&self) -> Result<(), DefinitionError> {
        let err = |path: &str, reason: &str| {
            Err(DefinitionError {
                path: path.into(),
                reason: reason.into(),
            })
        };
        if self.schema != SCHEMA {
            return err("schema", &format!("expected {SCHEMA:?}"));
        }
        if self.name.trim().is_empty() {
            return err("name", "give the cohort a name");
        }
        if self.name.chars().count() > 120 {
            return err("name", "keep the name under 120 characters");
        }
        if self.index_date < NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default() {
            return err("index_date", "must be 1950 or later");
        }
        if !(1..=240).contains(&self.window_months) {
            return err("window_months", "must be 1 to 240 months");
        }
        if self.criteria.len() > 20 {
            return err("criteria", "at most 20 criteria");
        }
        for (i, criterion) in self.criteria.iter().enumerate() {
            validate_rule(&criterion.rule, &format!("criteria[{i}].rule"), 0)?;
        }
        Ok(())
    }

    /// Every leaf rule, depth first, with its window resolved against the index date.
    pub fn leaves(&self) -> Vec<Leaf> {
        let mut out = Vec::new();
        for criterion in &self.criteria {
            collect_leaves(&criterion.rule, self.index_date, &mut out);
        }
        out
    }

    /// Whether a person meets each criterion, given their leaf results in `leaves()` order.
    pub fn evaluate(&self, leaf_results: &[bool]) -> Vec<bool> {
        let mut at = 0;
        self.criteria
            .iter()
            .map(|c| evaluate_rule(&c.rule, leaf_results, &mut at))
            .collect()
    }

    /// A label for each criterion: its own, or one written from the rule.
    pub fn labels(&self) -> Vec<String> {
        self.criteria
            .iter()
            .map(|c| {
                if c.label.trim().is_empty() {
                    describe(&c.rule)
                } else {
                    c.label.clone()
                }
            })
            .collect()
    }
}

fn validate_rule(rule: &Rule, path: &str, depth: usize) -> Result<(), DefinitionError> {
    let err = |field: &str, reason: &str| {
        Err(DefinitionError {
            path: format!("{path}{field}"),
            reason: reason.into(),
        })
    };
    if depth > 4 {
        return err("", "rules nest at most 4 deep");
    }
    let window = |months: u32| (1..=240).contains(&months);
    match rule {
        Rule::AnyOf(rules) | Rule::AllOf(rules) => {
            let name = if matches!(rule, Rule::AnyOf(_)) {
                "any_of"
            } else {
                "all_of"
            };
            if rules.is_empty() {
                return err(&format!(".{name}"), "needs at least one rule");
            }
            for (i, r) in rules.iter().enumerate() {
                validate_rule(r, &format!("{path}.{name}[{i}]"), depth + 1)?;
            }
        }
        Rule::Count(c) => {
            if matches!(c.kind, EventKind::Diagnosis | EventKind::Outcome) {
                return err(
                    ".count.kind",
                    "count admissions, ward stays, contacts, referrals, detentions or agency contacts; use a diagnosis rule for diagnoses",
                );
            }
            if c.at_least == 0 {
                return err(".count.at_least", "must be at least 1");
            }
            if !window(c.within_months) {
                return err(".count.within_months", "must be 1 to 240 months");
            }
            for (i, code) in c.codes.iter().enumerate() {
                if !code_fits(c.kind, code) {
                    return err(
                        &format!(".count.codes[{i}]"),
                        &format!("{code:?} is not a {} code", c.kind.code()),
                    );
                }
            }
        }
        Rule::DistinctAgencies(d) => {
            if d.at_least == 0 || d.at_least as usize > Agency::ALL.len() {
                return err(
                    ".distinct_agencies.at_least",
                    &format!("must be 1 to {}", Agency::ALL.len()),
                );
            }
            if !window(d.within_months) {
                return err(".distinct_agencies.within_months", "must be 1 to 240 months");
            }
        }
        Rule::Diagnosis(d) => {
            if d.groups.is_empty() {
                return err(".diagnosis.groups", "name at least one diagnosis group");
            }
        }
        Rule::Age(a) => {
            if a.min.is_none() && a.max.is_none() {
                return err(".age", "give a minimum, a maximum or both");
            }
            if a.min.is_some_and(|v| v > 150) {
                return err(".age.min", "must be 0 to 150");
            }
            if a.max.is_some_and(|v| v > 150) {
                return err(".age.max", "must be 0 to 150");
            }
            if let (Some(min), Some(max)) = (a.min, a.max)
                && min > max
            {
                return err(".age.max", "is below the minimum");
            }
        }
    }
    Ok(())
}

/// Whether a code belongs to the code list of an event kind.
pub fn code_fits(kind: EventKind, code: &str) -> bool {
    match kind {
        EventKind::Contact | EventKind::Referral => Service::parse(code).is_ok(),
        EventKind::WardStay => Ward::parse(code).is_ok(),
        EventKind::Detention => Section::parse(code).is_ok(),
        EventKind::Agency => Agency::parse(code).is_ok(),
        EventKind::Diagnosis => crate::codes::parse_icd10(code).is_ok(),
        EventKind::Admission => code == "admission",
        EventKind::Outcome => !code.is_empty(),
    }
}

/// The first day of a window of `months` ending on (and including) `index`.
pub fn window_start(index: NaiveDate, months: u32) -> NaiveDate {
    index
        .checked_sub_months(Months::new(months))
        .map(|d| d.succ_opt().unwrap_or(d))
        .unwrap_or(index)
}

fn collect_leaves(rule: &Rule, index: NaiveDate, out: &mut Vec<Leaf>) {
    let to_day = day_number(index);
    match rule {
        Rule::AnyOf(rules) | Rule::AllOf(rules) => rules.iter().for_each(|r| collect_leaves(r, index, out)),
        Rule::Count(c) => out.push(Leaf::Count {
            kind: c.kind,
            codes: c.codes.iter().map(|s| normalise_code(c.kind, s)).collect(),
            at_least: c.at_least,
            from_day: day_number(window_start(index, c.within_months)),
            to_day,
        }),
        Rule::DistinctAgencies(d) => out.push(Leaf::DistinctAgencies {
            agencies: d.agencies.clone(),
            at_least: d.at_least,
            from_day: day_number(window_start(index, d.within_months)),
            to_day,
        }),
        Rule::Diagnosis(d) => out.push(Leaf::Diagnosis {
            groups: d.groups.clone(),
            to_day,
        }),
        Rule::Age(a) => out.push(Leaf::Age {
            min: a.min,
            max: a.max,
            index_year: index.year(),
        }),
    }
}

fn normalise_code(kind: EventKind, code: &str) -> String {
    match kind {
        EventKind::Diagnosis => crate::codes::parse_icd10(code).unwrap_or_else(|_| code.to_string()),
        _ => code.trim().to_ascii_lowercase(),
    }
}

fn evaluate_rule(rule: &Rule, leaves: &[bool], at: &mut usize) -> bool {
    match rule {
        // Every child is visited, so leaf numbering stays aligned.
        Rule::AnyOf(rules) => rules
            .iter()
            .map(|r| evaluate_rule(r, leaves, at))
            .fold(false, |a, b| a | b),
        Rule::AllOf(rules) => rules
            .iter()
            .map(|r| evaluate_rule(r, leaves, at))
            .fold(true, |a, b| a & b),
        _ => {
            let value = leaves.get(*at).copied().unwrap_or(false);
            *at += 1;
            value
        }
    }
}

/// A plain-language description of a rule.
pub fn describe(rule: &Rule) -> String {
    match rule {
        Rule::AnyOf(rules) => rules.iter().map(describe).collect::<Vec<_>>().join(", or "),
        Rule::AllOf(rules) => rules.iter().map(describe).collect::<Vec<_>>().join(", and "),
        Rule::Count(c) => {
            let what = match c.kind {
                EventKind::Admission => "admissions".to_string(),
                EventKind::Contact => "care contacts".to_string(),
                EventKind::Referral => "referrals".to_string(),
                EventKind::WardStay => "ward stays".to_string(),
                EventKind::Detention => "Mental Health Act detentions".to_string(),
                EventKind::Agency => "contacts with other agencies".to_string(),
                EventKind::Diagnosis => "diagnoses recorded".to_string(),
                EventKind::Outcome => "outcome measurements".to_string(),
            };
            let codes = if c.codes.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    c.codes
                        .iter()
                        .map(|code| code_label(c.kind, code))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            format!("{}+ {what}{codes} in {}", c.at_least, months(c.within_months))
        }
        Rule::DistinctAgencies(d) => {
            let which = if d.agencies.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    d.agencies.iter().map(|a| a.label()).collect::<Vec<_>>().join(", ")
                )
            };
            format!(
                "contacts with {}+ agencies{which} in {}",
                d.at_least,
                months(d.within_months)
            )
        }
        Rule::Diagnosis(d) => {
            let groups: Vec<String> = d.groups.iter().map(|g| lower_first(g.label())).collect();
            format!("a diagnosis of {}", groups.join(" or "))
        }
        Rule::Age(a) => match (a.min, a.max) {
            (Some(min), Some(max)) => format!("aged {min} to {max}"),
            (Some(min), None) => format!("aged {min} or over"),
            (None, Some(max)) => format!("aged {max} or under"),
            (None, None) => "any age".into(),
        },
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn months(n: u32) -> String {
    if n == 1 {
        "1 month".into()
    } else {
        format!("{n} months")
    }
}

fn code_label(kind: EventKind, code: &str) -> String {
    let label = match kind {
        EventKind::Contact | EventKind::Referral => Service::parse(code).ok().map(|s| s.label()),
        EventKind::WardStay => Ward::parse(code).ok().map(|w| w.label()),
        EventKind::Detention => Section::parse(code).ok().map(|s| s.label()),
        EventKind::Agency => Agency::parse(code).ok().map(|a| a.label()),
        _ => None,
    };
    label.map(lower_first).unwrap_or_else(|| code.to_string())
}

/// The definition the seed study describes: 3+ admissions in 24 months or contacts with 3+
/// agencies in 12 months, plus co-occurring substance use.
pub fn complex_needs_example(index_date: NaiveDate) -> CohortDefinition {
    CohortDefinition {
        schema: SCHEMA.into(),
        name: "Complex needs".into(),
        description: "3+ mental health admissions in 24 months, or contacts with 3+ agencies in 12 months, \
                      plus co-occurring substance use."
            .into(),
        index_date,
        window_months: 24,
        criteria: vec![
            Criterion {
                label: "Heavy service use".into(),
                rule: Rule::AnyOf(vec![
                    Rule::Count(CountRule {
                        kind: EventKind::Admission,
                        codes: vec![],
                        at_least: 3,
                        within_months: 24,
                    }),
                    Rule::DistinctAgencies(DistinctAgenciesRule {
                        at_least: 3,
                        within_months: 12,
                        agencies: vec![],
                    }),
                ]),
            },
            Criterion {
                label: "Co-occurring substance use".into(),
                rule: Rule::Diagnosis(DiagnosisRule {
                    groups: vec![DiagnosisGroup::Substance],
                }),
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
    }

    #[test]
    fn the_example_round_trips_through_json_and_describes_itself() {
        let def = complex_needs_example(index());
        let json = def.to_json();
        assert_eq!(CohortDefinition::from_json(&json).unwrap(), def);
        assert!(json.contains("\"any_of\""), "{json}");
        assert_eq!(
            describe(&def.criteria[0].rule),
            "3+ admissions in 24 months, or contacts with 3+ agencies in 12 months"
        );
        assert_eq!(
            describe(&def.criteria[1].rule),
            "a diagnosis of substance use (F10–F19)"
        );
    }

    #[test]
    fn leaves_resolve_windows_and_the_tree_evaluates_in_order() {
        let def = complex_needs_example(index());
        let leaves = def.leaves();
        assert_eq!(leaves.len(), 3);
        let Leaf::Count { from_day, to_day, .. } = &leaves[0] else {
            panic!()
        };
        assert_eq!(
            crate::layout::from_day_number(*from_day),
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
        );
        assert_eq!(crate::layout::from_day_number(*to_day), index());
        let Leaf::DistinctAgencies { from_day, .. } = &leaves[1] else {
            panic!()
        };
        assert_eq!(
            crate::layout::from_day_number(*from_day),
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
        );
        assert_eq!(def.evaluate(&[false, true, true]), vec![true, true]);
        assert_eq!(def.evaluate(&[false, false, true]), vec![false, true]);
        assert_eq!(def.evaluate(&[true, false, false]), vec![true, false]);
    }

    #[test]
    fn bad_definitions_name_the_place() {
        let mut def = complex_needs_example(index());
        if let Rule::AnyOf(rules) = &mut def.criteria[0].rule
            && let Rule::Count(c) = &mut rules[0]
        {
            c.at_least = 0;
        }
        let err = def.validate().unwrap_err();
        assert_eq!(err.path, "criteria[0].rule.any_of[0].count.at_least");

        let err = CohortDefinition::from_json(r#"{"name":"x","index_date":"2025-01-01","criteria":[{"rule":{"count":{"kind":"admission","at_least":2,"within_months":12,"codes":["icu"]}}}]}"#).unwrap_err();
        assert_eq!(err.path, "criteria[0].rule.count.codes[0]");
        let err = CohortDefinition::from_json(r#"{"name":"x","index_date":"2025-01-01","criteria":[],"colour":1}"#)
            .unwrap_err();
        assert!(err.reason.contains("unknown field `colour`"), "{err}");
        assert!(err.path.starts_with("line 1"));
    }
}
