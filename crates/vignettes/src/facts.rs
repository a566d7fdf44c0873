//! A vignette's quasi-identifying facts, and the *k* check: a vignette must match at least *k*
//! people in the records, so that it cannot be traced back to a real person.
//!
//! The facts are a JSON object mapping fields of the records layout (`docs/records-layout.md`)
//! to a value or a range:
//!
//! ```json
//! {"sex": "female", "age": {"min": 30, "max": 39}, "ethnic_group": ["black", "mixed"],
//!  "spells": [2, 4], "detentions": {"min": 1}, "diagnosis": "F20", "as_of": "2025-12-31"}
//! ```
//!
//! - `sex`, `gender`, `ethnicity` (NHS ethnic category), `ethnic_group`: a code or a list of
//!   codes (any of them). A field that was not recorded for a person matches nothing.
//! - `year_of_birth`, `age`, `deprivation_decile`: a whole number or a range. The records keep
//!   the year of birth only, so `age` is the age reached in the year of `as_of`: that year minus
//!   the year of birth.
//! - `referrals`, `contacts`, `spells` (or `admissions`), `ward_stays`, `detentions`,
//!   `agency_contacts`, `diagnoses`: how many rows of that file the person has over the whole
//!   record, a whole number (exactly) or a range.
//! - `diagnosis`: an ICD-10 code or prefix, or a list (any of them): the person has a diagnosis
//!   whose code starts with it (`"F20"` matches `F20.0`).
//! - `as_of` (not a fact): the date ages are reached by, `YYYY-MM-DD`; by default the day of the
//!   last event in the records.
//!
//! A range is `{"min": 2, "max": 4}` (either bound may be left out) or `[2, 4]` (`null` for an
//! open end); bounds are inclusive.
//!
//! [`check`] runs the facts over a [`Profile`] (one row per person, columnar) in one pass: how
//! many people meet every fact and, for each fact, how many meet every *other* fact. Counts
//! from 1 to k − 1 never leave it: they are published as "fewer than k".

use std::fmt;

use chrono::{Datelike, NaiveDate};
use cocare_records::codes::{EthnicGroup, Ethnicity, Gender, Sex};
use cocare_records::layout::{EventKind, from_day_number};
use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// The fields a facts file may name, in the order they are listed in messages.
pub const FIELDS: &[&str] = &[
    "sex",
    "gender",
    "ethnicity",
    "ethnic_group",
    "year_of_birth",
    "age",
    "deprivation_decile",
    "referrals",
    "contacts",
    "spells",
    "admissions",
    "ward_stays",
    "detentions",
    "agency_contacts",
    "diagnoses",
    "diagnosis",
    "as_of",
];

/// One problem with a facts file, naming its field when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactError {
    pub field: Option<String>,
    pub message: String,
}

impl FactError {
    fn at(field: &str, message: impl Into<String>) -> FactError {
        FactError {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    fn whole(message: impl Into<String>) -> FactError {
        FactError {
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for FactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field:?}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FactError {}

/// Why a check could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("k must be at least 1")]
    ZeroK,
}

/// Why columns do not make a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the profile's columns do not fit together: {0}")]
pub struct ProfileError(pub String);

/// An inclusive range of whole numbers; `None` is an open end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl Range {
    pub fn exactly(value: i64) -> Range {
        Range {
            min: Some(value),
            max: Some(value),
        }
    }

    pub fn contains(&self, value: i64) -> bool {
        self.min.is_none_or(|m| value >= m) && self.max.is_none_or(|m| value <= m)
    }

    /// "2", "2 to 4", "2 or more", "4 or fewer", with `more`/`less` words for open ends.
    fn words(&self, sep: &str, more: &str, less: &str) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}{sep}{b}"),
            (Some(a), None) => format!("{a} {more}"),
            (None, Some(b)) => format!("{b} {less}"),
            (None, None) => "any".to_string(),
        }
    }
}

/// The files whose rows are counted per person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountKind {
    Referrals,
    Contacts,
    Spells,
    WardStays,
    Detentions,
    AgencyContacts,
    Diagnoses,
}

impl CountKind {
    pub const ALL: [CountKind; 7] = [
        CountKind::Referrals,
        CountKind::Contacts,
        CountKind::Spells,
        CountKind::WardStays,
        CountKind::Detentions,
        CountKind::AgencyContacts,
        CountKind::Diagnoses,
    ];

    /// The field of a facts file (and the file's stem in the records layout).
    pub fn field(self) -> &'static str {
        match self {
            CountKind::Referrals => "referrals",
            CountKind::Contacts => "contacts",
            CountKind::Spells => "spells",
            CountKind::WardStays => "ward_stays",
            CountKind::Detentions => "detentions",
            CountKind::AgencyContacts => "agency_contacts",
            CountKind::Diagnoses => "diagnoses",
        }
    }

    /// The events (in the analytic store) that one row of the file becomes.
    pub fn event_kind(self) -> EventKind {
        match self {
            CountKind::Referrals => EventKind::Referral,
            CountKind::Contacts => EventKind::Contact,
            CountKind::Spells => EventKind::Admission,
            CountKind::WardStays => EventKind::WardStay,
            CountKind::Detentions => EventKind::Detention,
            CountKind::AgencyContacts => EventKind::Agency,
            CountKind::Diagnoses => EventKind::Diagnosis,
        }
    }

    pub fn of_event(kind: EventKind) -> Option<CountKind> {
        CountKind::ALL.into_iter().find(|c| c.event_kind() == kind)
    }

    fn of_field(field: &str) -> Option<CountKind> {
        if field == "admissions" {
            return Some(CountKind::Spells);
        }
        CountKind::ALL.into_iter().find(|c| c.field() == field)
    }

    /// Singular and plural nouns for descriptions.
    fn nouns(self) -> (&'static str, &'static str) {
        match self {
            CountKind::Referrals => ("referral", "referrals"),
            CountKind::Contacts => ("care contact", "care contacts"),
            CountKind::Spells => ("hospital admission", "hospital admissions"),
            CountKind::WardStays => ("ward stay", "ward stays"),
            CountKind::Detentions => (
                "detention under the Mental Health Act",
                "detentions under the Mental Health Act",
            ),
            CountKind::AgencyContacts => ("contact with another agency", "contacts with other agencies"),
            CountKind::Diagnoses => ("diagnosis recorded", "diagnoses recorded"),
        }
    }
}

/// What a fact asks of a person.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Sex(Vec<Sex>),
    Gender(Vec<Gender>),
    Ethnicity(Vec<Ethnicity>),
    EthnicGroup(Vec<EthnicGroup>),
    YearOfBirth(Range),
    /// The as-of year minus the year of birth.
    Age(Range),
    DeprivationDecile(Range),
    Count(CountKind, Range),
    /// ICD-10 prefixes, normalised (`F20`, `F20.0`, `F2`).
    Diagnosis(Vec<String>),
}

/// One fact: the field as written in the file and what it asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub field: String,
    pub test: Test,
}

impl Fact {
    /// In plain language ("2 to 4 hospital admissions", "born 1980–1989", "female").
    pub fn description(&self, as_of_year: i32) -> String {
        match &self.test {
            Test::Sex(list) => or_list(list.iter().map(|s| match s {
                Sex::NotStated => "sex not stated".to_string(),
                other => other.label().to_lowercase(),
            })),
            Test::Gender(list) => format!(
                "gender: {}",
                or_list(list.iter().map(|g| match g {
                    Gender::NotStated => "not stated".to_string(),
                    Gender::NonBinary => "non-binary".to_string(),
                    other => other.label().to_lowercase(),
                }))
            ),
            Test::Ethnicity(list) => {
                let items: Vec<String> = list.iter().map(|e| format!("{} ({})", e.code(), e.label())).collect();
                match items.as_slice() {
                    [one] => format!("ethnic category {one}"),
                    _ => format!("ethnic category any of {}", items.join("; ")),
                }
            }
            Test::EthnicGroup(list) => {
                let items: Vec<&str> = list.iter().map(|g| g.label()).collect();
                match items.as_slice() {
                    [one] => format!("ethnic group: {one}"),
                    _ => format!("ethnic group any of: {}", items.join("; ")),
                }
            }
            Test::YearOfBirth(r) => format!("born {}", r.words("–", "or later", "or earlier")),
            Test::Age(r) => format!("aged {} in {as_of_year}", r.words(" to ", "or over", "or under")),
            Test::DeprivationDecile(r) => format!("deprivation decile {}", r.words(" to ", "or higher", "or lower")),
            Test::Count(kind, r) => {
                let (one, many) = kind.nouns();
                match (r.min, r.max) {
                    (Some(0), Some(0)) => format!("no {many}"),
                    (Some(1), Some(1)) => format!("1 {one}"),
                    (Some(a), Some(b)) if a == b => format!("{a} {many}"),
                    (Some(a), Some(b)) => format!("{a} to {b} {many}"),
                    (Some(1), None) => format!("at least 1 {one}"),
                    (Some(a), None) => format!("at least {a} {many}"),
                    (None, Some(1)) => format!("at most 1 {one}"),
                    (None, Some(b)) => format!("at most {b} {many}"),
                    (None, None) => format!("any number of {many}"),
                }
            }
            Test::Diagnosis(prefixes) => format!(
                "a diagnosis coded {}",
                or_list(prefixes.iter().map(|p| format!("{p}…")))
            ),
        }
    }
}

fn or_list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A vignette's facts, in the order the file gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    facts: Vec<Fact>,
    as_of: Option<NaiveDate>,
}

/// A JSON object's entries in document order (duplicates kept, so they can be reported).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Entries, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl Facts {
    /// Reads a facts file; every problem is reported, each naming its field.
    pub fn from_json(text: &str) -> Result<Facts, Vec<FactError>> {
        let value: Value = serde_json::from_str(text).map_err(|e| vec![FactError::whole(format!("not JSON: {e}"))])?;
        if !value.is_object() {
            return Err(vec![FactError::whole(format!(
                "the facts must be a JSON object of field: value, not {}",
                kind_of(&value)
            ))]);
        }
        let Entries(entries) =
            serde_json::from_str(text).map_err(|e| vec![FactError::whole(format!("not JSON: {e}"))])?;
        let mut errors = Vec::new();
        let mut facts = Vec::new();
        let mut as_of = None;
        let mut seen: Vec<(&str, &str)> = Vec::new(); // (canonical, as written)
        for (field, value) in &entries {
            let canonical = if field == "admissions" {
                "spells"
            } else {
                field.as_str()
            };
            if !FIELDS.contains(&field.as_str()) {
                errors.push(FactError::at(
                    field,
                    format!(
                        "not a field a vignette can be checked on; known fields: {}",
                        FIELDS.join(", ")
                    ),
                ));
                continue;
            }
            if let Some((_, first)) = seen.iter().find(|(c, _)| *c == canonical) {
                let also = if *first == field.as_str() {
                    String::new()
                } else {
                    format!(" (also as {first:?})")
                };
                errors.push(FactError::at(field, format!("given twice{also}")));
                continue;
            }
            seen.push((canonical, field));
            if field == "as_of" {
                match value
                    .as_str()
                    .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
                {
                    Some(date) => as_of = Some(date),
                    None => errors.push(FactError::at(
                        field,
                        format!("{} is not a date written YYYY-MM-DD", short(value)),
                    )),
                }
                continue;
            }
            match parse_fact(field, value) {
                Ok(test) => facts.push(Fact {
                    field: field.clone(),
                    test,
                }),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if facts.is_empty() && errors.is_empty() {
            errors.push(FactError::whole(
                "no facts to check: give at least one field, e.g. {\"sex\": \"female\", \"age\": [30, 39]}",
            ));
        }
        if errors.is_empty() {
            Ok(Facts { facts, as_of })
        } else {
            Err(errors)
        }
    }

    pub fn facts(&self) -> &[Fact] {
        &self.facts
    }

    /// The date given as `as_of`, if any.
    pub fn as_of(&self) -> Option<NaiveDate> {
        self.as_of
    }

    /// The year ages are reached in: `as_of`'s, or else that of `last_day` (the records' last
    /// event, a day number).
    pub fn as_of_year(&self, last_day: i32) -> i32 {
        self.as_of.unwrap_or_else(|| from_day_number(last_day)).year()
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value as quoted in messages, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

fn parse_fact(field: &str, value: &Value) -> Result<Test, Vec<FactError>> {
    let one = |m: String| vec![FactError::at(field, m)];
    match field {
        "sex" => codes(field, value, "a sex", Sex::ALL, Sex::code, Sex::parse).map(Test::Sex),
        "gender" => codes(field, value, "a gender", Gender::ALL, Gender::code, Gender::parse).map(Test::Gender),
        "ethnicity" => codes(
            field,
            value,
            "an NHS ethnic category",
            Ethnicity::ALL,
            Ethnicity::code,
            Ethnicity::parse,
        )
        .map(Test::Ethnicity),
        "ethnic_group" => codes(
            field,
            value,
            "an ethnic group",
            EthnicGroup::ALL,
            EthnicGroup::code,
            EthnicGroup::parse,
        )
        .map(Test::EthnicGroup),
        "year_of_birth" => {
            let r = range(field, value)?;
            for v in [r.min, r.max].into_iter().flatten() {
                if !(1000..=9999).contains(&v) {
                    return Err(one(format!("{v} is not a year (four digits)")));
                }
            }
            Ok(Test::YearOfBirth(r))
        }
        "age" => {
            let r = range(field, value)?;
            for v in [r.min, r.max].into_iter().flatten() {
                if !(0..=200).contains(&v) {
                    return Err(one(format!("{v} is not an age in years (0 to 200)")));
                }
            }
            Ok(Test::Age(r))
        }
        "deprivation_decile" => {
            let r = range(field, value)?;
            for v in [r.min, r.max].into_iter().flatten() {
                if !(1..=10).contains(&v) {
                    return Err(one(format!("{v} is not a decile; expected 1 to 10")));
                }
            }
            Ok(Test::DeprivationDecile(r))
        }
        "diagnosis" => {
            let items = strings(field, value)?;
            let mut prefixes = Vec::new();
            let mut errors = Vec::new();
            for item in items {
                match icd10_prefix(item) {
                    Some(p) => {
                        if !prefixes.contains(&p) {
                            prefixes.push(p);
                        }
                    }
                    None => errors.push(FactError::at(
                        field,
                        format!(
                            "{item:?} is not an ICD-10 code or prefix (a letter, up to two digits, then optionally a dot and up to two more characters, e.g. F20 or F20.0)"
                        ),
                    )),
                }
            }
            if errors.is_empty() {
                Ok(Test::Diagnosis(prefixes))
            } else {
                Err(errors)
            }
        }
        other => match CountKind::of_field(other) {
            Some(kind) => {
                let r = range(field, value)?;
                for v in [r.min, r.max].into_iter().flatten() {
                    if v < 0 {
                        return Err(one(format!("a count cannot be negative ({v})")));
                    }
                }
                Ok(Test::Count(kind, r))
            }
            None => Err(one(format!(
                "not a field a vignette can be checked on; known fields: {}",
                FIELDS.join(", ")
            ))),
        },
    }
}

/// A string or a non-empty list of strings.
fn strings<'v>(field: &str, value: &'v Value) -> Result<Vec<&'v str>, Vec<FactError>> {
    let expected = || {
        vec![FactError::at(
            field,
            format!("expected a string or a list of strings, not {}", short(value)),
        )]
    };
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(vec![FactError::at(
                    field,
                    "an empty list matches no one; give at least one value",
                )]);
            }
            items
                .iter()
                .map(|v| v.as_str().ok_or(()))
                .collect::<Result<_, _>>()
                .map_err(|()| expected())
        }
        _ => Err(expected()),
    }
}

/// Codes of one list, each checked; unknown ones are named with what is accepted.
fn codes<T: Copy + PartialEq, E>(
    field: &str,
    value: &Value,
    what: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, Vec<FactError>> {
    let items = strings(field, value)?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        match parse(item) {
            Ok(c) => {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            Err(_) => {
                let names: Vec<&str> = all.iter().map(|c| code(*c)).collect();
                let expected = match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                    _ => names.join(""),
                };
                errors.push(FactError::at(
                    field,
                    format!("{item:?} is not {what}; expected {expected}"),
                ));
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// A whole number (exactly), `{"min": a, "max": b}` or `[a, b]`.
fn range(field: &str, value: &Value) -> Result<Range, Vec<FactError>> {
    let err = |m: String| vec![FactError::at(field, m)];
    let expected = || {
        err(format!(
            "expected a whole number or a range ({{\"min\": …, \"max\": …}} or [min, max]), not {}",
            short(value)
        ))
    };
    let bound = |v: &Value| -> Result<Option<i64>, Vec<FactError>> {
        match v {
            Value::Null => Ok(None),
            Value::Number(n) => whole(n)
                .map(Some)
                .ok_or_else(|| err(format!("{n} is not a whole number"))),
            _ => Err(expected()),
        }
    };
    let r = match value {
        Value::Number(n) => Range::exactly(whole(n).ok_or_else(|| err(format!("{n} is not a whole number")))?),
        Value::Array(items) => match items.as_slice() {
            [min, max] => Range {
                min: bound(min)?,
                max: bound(max)?,
            },
            _ => {
                return Err(err(format!(
                    "a range written as a list has two items, [min, max], not {}",
                    items.len()
                )));
            }
        },
        Value::Object(map) => {
            let mut r = Range { min: None, max: None };
            for (k, v) in map {
                match k.as_str() {
                    "min" => r.min = bound(v)?,
                    "max" => r.max = bound(v)?,
                    other => return Err(err(format!("unknown key {other:?} in a range; expected min and max"))),
                }
            }
            r
        }
        _ => return Err(expected()),
    };
    if r.min.is_none() && r.max.is_none() {
        return Err(err("a range needs min, max or both".to_string()));
    }
    if let (Some(a), Some(b)) = (r.min, r.max)
        && a > b
    {
        return Err(err(format!("min {a} is greater than max {b}")));
    }
    Ok(r)
}

fn whole(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
}

/// Upper case without dots (`f20.0` → `F200`).
fn compact(code: &str) -> String {
    code.trim()
        .chars()
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Checks and normalises an ICD-10 prefix: a letter, up to two digits, then (after two digits)
/// up to two more characters. `f200` → `F20.0`, `F2` stays `F2`.
pub fn icd10_prefix(given: &str) -> Option<String> {
    let trimmed = given.trim();
    if trimmed.matches('.').count() > 1 || trimmed.find('.').is_some_and(|at| at != 3) {
        return None;
    }
    let c = compact(trimmed);
    let bytes = c.as_bytes();
    let ok = (1..=5).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_uppercase)
        && bytes.iter().skip(1).take(2).all(u8::is_ascii_digit)
        && bytes.iter().skip(3).all(u8::is_ascii_alphanumeric);
    if !ok {
        return None;
    }
    Some(if c.len() > 3 {
        format!("{}.{}", c.get(..3)?, c.get(3..)?)
    } else {
        c
    })
}

/// A column of codes: `values[code]` is the value; [`Coded::NOT_RECORDED`] is no value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coded {
    pub codes: Vec<u8>,
    pub values: Vec<String>,
}

impl Coded {
    pub const NOT_RECORDED: u8 = u8::MAX;

    /// Builds the dictionary from values in person order (at most 255 distinct).
    pub fn from_values<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Result<Coded, ProfileError> {
        let mut out = Coded::default();
        for v in values {
            let code = match v {
                None => Coded::NOT_RECORDED,
                Some(v) => out.code_of(v)?,
            };
            out.codes.push(code);
        }
        Ok(out)
    }

    /// The code of a value, added to the dictionary if new.
    pub fn code_of(&mut self, value: &str) -> Result<u8, ProfileError> {
        if let Some(i) = self.values.iter().position(|v| v == value) {
            return u8::try_from(i).map_err(|_| ProfileError("too many distinct values".into()));
        }
        let code = u8::try_from(self.values.len())
            .ok()
            .filter(|c| *c != Coded::NOT_RECORDED)
            .ok_or_else(|| ProfileError(format!("more than {} distinct values", Coded::NOT_RECORDED)))?;
        self.values.push(value.to_string());
        Ok(code)
    }

    /// The value of person `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        let code = *self.codes.get(i)?;
        self.values.get(usize::from(code)).map(String::as_str)
    }

    /// Which codes (0..=255) have a value `wanted` accepts.
    fn allowed(&self, wanted: impl Fn(&str) -> bool) -> [bool; 256] {
        let mut out = [false; 256];
        for (slot, value) in out.iter_mut().zip(&self.values) {
            *slot = wanted(value);
        }
        out
    }
}

/// Each person's set of codes, as offsets into one list (CSR): person `i` has
/// `codes[offsets[i]..offsets[i + 1]]`, each an index into `values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSets {
    pub offsets: Vec<u32>,
    pub codes: Vec<u32>,
    pub values: Vec<String>,
}

impl Default for CodeSets {
    fn default() -> Self {
        CodeSets {
            offsets: vec![0],
            codes: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl CodeSets {
    /// Builds from each person's codes, in person order (repeats within a person are dropped).
    pub fn from_lists<'a, I, L>(lists: I) -> Result<CodeSets, ProfileError>
    where
        I: IntoIterator<Item = L>,
        L: IntoIterator<Item = &'a str>,
    {
        let mut out = CodeSets::default();
        let mut index = std::collections::HashMap::<String, u32>::new();
        for list in lists {
            let from = out.codes.len();
            for value in list {
                let code = match index.get(value) {
                    Some(c) => *c,
                    None => {
                        let c = u32::try_from(out.values.len()).map_err(|_| ProfileError("too many codes".into()))?;
                        index.insert(value.to_string(), c);
                        out.values.push(value.to_string());
                        c
                    }
                };
                if !out.codes.get(from..).is_some_and(|s| s.contains(&code)) {
                    out.codes.push(code);
                }
            }
            out.offsets
                .push(u32::try_from(out.codes.len()).map_err(|_| ProfileError("too many codes".into()))?);
        }
        Ok(out)
    }

    pub fn people(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Person `i`'s codes (as values).
    pub fn of(&self, i: usize) -> impl Iterator<Item = &str> {
        let from = self.offsets.get(i).copied().unwrap_or(0) as usize;
        let to = self.offsets.get(i + 1).copied().unwrap_or(0) as usize;
        self.codes
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| self.values.get(*c as usize).map(String::as_str))
    }
}

/// How many rows of each counted file a person has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub referrals: Vec<u32>,
    pub contacts: Vec<u32>,
    pub spells: Vec<u32>,
    pub ward_stays: Vec<u32>,
    pub detentions: Vec<u32>,
    pub agency_contacts: Vec<u32>,
    pub diagnoses: Vec<u32>,
}

impl Counts {
    /// All zero for `people` people.
    pub fn zeros(people: usize) -> Counts {
        Counts {
            referrals: vec![0; people],
            contacts: vec![0; people],
            spells: vec![0; people],
            ward_stays: vec![0; people],
            detentions: vec![0; people],
            agency_contacts: vec![0; people],
            diagnoses: vec![0; people],
        }
    }

    pub fn column(&self, kind: CountKind) -> &[u32] {
        match kind {
            CountKind::Referrals => &self.referrals,
            CountKind::Contacts => &self.contacts,
            CountKind::Spells => &self.spells,
            CountKind::WardStays => &self.ward_stays,
            CountKind::Detentions => &self.detentions,
            CountKind::AgencyContacts => &self.agency_contacts,
            CountKind::Diagnoses => &self.diagnoses,
        }
    }

    pub fn column_mut(&mut self, kind: CountKind) -> &mut Vec<u32> {
        match kind {
            CountKind::Referrals => &mut self.referrals,
            CountKind::Contacts => &mut self.contacts,
            CountKind::Spells => &mut self.spells,
            CountKind::WardStays => &mut self.ward_stays,
            CountKind::Detentions => &mut self.detentions,
            CountKind::AgencyContacts => &mut self.agency_contacts,
            CountKind::Diagnoses => &mut self.diagnoses,
        }
    }
}

/// The columns of a [`Profile`], one entry per person (person `i` in every column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileColumns {
    pub birth_year: Vec<i32>,
    pub sex: Coded,
    pub gender: Coded,
    pub ethnicity: Coded,
    pub ethnic_group: Coded,
    /// 1 to 10; `None` when not recorded.
    pub deprivation: Vec<Option<u8>>,
    pub counts: Counts,
    /// Distinct ICD-10 codes each person has been diagnosed with.
    pub diagnoses: CodeSets,
}

/// What the *k* check runs over: one row per person of the quasi-identifying fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    columns: ProfileColumns,
}

impl Profile {
    /// Checks that every column has one entry per person and every code has a value.
    pub fn new(columns: ProfileColumns) -> Result<Profile, ProfileError> {
        let n = columns.birth_year.len();
        let mut lengths = vec![
            ("sex", columns.sex.codes.len()),
            ("gender", columns.gender.codes.len()),
            ("ethnicity", columns.ethnicity.codes.len()),
            ("ethnic_group", columns.ethnic_group.codes.len()),
            ("deprivation", columns.deprivation.len()),
            ("diagnoses (sets)", columns.diagnoses.people()),
        ];
        for kind in CountKind::ALL {
            lengths.push((kind.field(), columns.counts.column(kind).len()));
        }
        for (name, len) in lengths {
            if len != n {
                return Err(ProfileError(format!("{name} has {len} entries but birth_year has {n}")));
            }
        }
        for (name, coded) in [
            ("sex", &columns.sex),
            ("gender", &columns.gender),
            ("ethnicity", &columns.ethnicity),
            ("ethnic_group", &columns.ethnic_group),
        ] {
            if coded.values.len() > usize::from(Coded::NOT_RECORDED) {
                return Err(ProfileError(format!("{name} has too many distinct values")));
            }
            if let Some(bad) = coded
                .codes
                .iter()
                .find(|c| **c != Coded::NOT_RECORDED && usize::from(**c) >= coded.values.len())
            {
                return Err(ProfileError(format!("{name} has code {bad} with no value")));
            }
        }
        let sets = &columns.diagnoses;
        if sets.offsets.first() != Some(&0)
            || sets.offsets.windows(2).any(|w| w.first() > w.get(1))
            || sets.offsets.last().map(|l| *l as usize) != Some(sets.codes.len())
        {
            return Err(ProfileError(
                "diagnosis offsets do not rise from 0 to the number of codes".into(),
            ));
        }
        if sets.codes.iter().any(|c| *c as usize >= sets.values.len()) {
            return Err(ProfileError("a diagnosis code has no value".into()));
        }
        if let Some(d) = columns.deprivation.iter().flatten().find(|d| !(1..=10).contains(*d)) {
            return Err(ProfileError(format!("deprivation decile {d} is not 1 to 10")));
        }
        Ok(Profile { columns })
    }

    pub fn people(&self) -> usize {
        self.columns.birth_year.len()
    }

    pub fn columns(&self) -> &ProfileColumns {
        &self.columns
    }

    pub fn into_columns(self) -> ProfileColumns {
        self.columns
    }
}

/// What a check found, ready to publish: counts from 1 to k − 1 are `None` ("fewer than k").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct KCheck {
    /// At least k people meet every fact.
    pub passes: bool,
    pub k: u64,
    pub matched: Option<u64>,
    pub matched_text: String,
    pub facts: Vec<FactResult>,
    /// Fields whose removal widens the match, the most widening first.
    pub rarest: Vec<String>,
}

/// One fact's line: how many people meet every *other* fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FactResult {
    pub field: String,
    pub description: String,
    pub without: Option<u64>,
}

/// A count as it may be published: 0 and counts of at least k as they are, others hidden.
pub fn publish(count: u64, k: u64) -> Option<u64> {
    (count == 0 || count >= k).then_some(count)
}

/// "12 people", "1 person", "fewer than 5 people".
pub fn people_text(count: Option<u64>, k: u64) -> String {
    match count {
        Some(1) => "1 person".to_string(),
        Some(n) => format!("{n} people"),
        None => format!("fewer than {k} people"),
    }
}

impl KCheck {
    /// The check as a few lines of plain text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verdict = if self.passes { "PASSES" } else { "FAILS" };
        out.push_str(&format!(
            "{verdict}: {} in the records meet every fact (k = {}).\n",
            self.matched_text, self.k
        ));
        let width = self.facts.iter().map(|f| f.field.chars().count()).max().unwrap_or(0);
        let described = self
            .facts
            .iter()
            .map(|f| f.description.chars().count())
            .max()
            .unwrap_or(0);
        out.push_str("\nWithout each fact:\n");
        for f in &self.facts {
            out.push_str(&format!(
                "  {:<width$}  {:<described$}  {}\n",
                f.field,
                f.description,
                people_text(f.without, self.k)
            ));
        }
        if self.rarest.is_empty() {
            out.push_str("\nNo single fact narrows the match.\n");
        } else {
            out.push_str(&format!(
                "\nRarest facts (removing them widens the match most): {}\n",
                self.rarest.join(", ")
            ));
        }
        if !self.passes {
            out.push_str(&format!(
                "\nThe vignette could point to a real person: change or drop facts (the rarest first) until at least {} people match.\n",
                self.k
            ));
        }
        out
    }
}

/// A fact made ready for the pass over the profile.
enum Compiled<'p> {
    Coded(&'p [u8], Box<[bool; 256]>),
    /// Inclusive bounds on the year of birth (age is turned into these).
    Year(i32, i32),
    Deprivation(u8, u8),
    Count(&'p [u32], u32, u32),
    Diagnosis(&'p CodeSets, Vec<bool>),
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

fn compile<'p>(fact: &Fact, p: &'p ProfileColumns, as_of_year: i32) -> Compiled<'p> {
    let any_in = |list_has: &dyn Fn(&str) -> bool, coded: &'p Coded| {
        Compiled::Coded(&coded.codes, Box::new(coded.allowed(list_has)))
    };
    match &fact.test {
        Test::Sex(list) => any_in(&|v| Sex::parse(v).is_ok_and(|s| list.contains(&s)), &p.sex),
        Test::Gender(list) => any_in(&|v| Gender::parse(v).is_ok_and(|s| list.contains(&s)), &p.gender),
        Test::Ethnicity(list) => any_in(&|v| Ethnicity::parse(v).is_ok_and(|s| list.contains(&s)), &p.ethnicity),
        Test::EthnicGroup(list) => any_in(
            &|v| EthnicGroup::parse(v).is_ok_and(|s| list.contains(&s)),
            &p.ethnic_group,
        ),
        Test::YearOfBirth(r) => Compiled::Year(r.min.map_or(i32::MIN, clamp_i32), r.max.map_or(i32::MAX, clamp_i32)),
        Test::Age(r) => {
            let year = i64::from(as_of_year);
            Compiled::Year(
                r.max.map_or(i32::MIN, |a| clamp_i32(year - a)),
                r.min.map_or(i32::MAX, |a| clamp_i32(year - a)),
            )
        }
        Test::DeprivationDecile(r) => Compiled::Deprivation(
            r.min.map_or(0, |v| u8::try_from(v.clamp(0, 255)).unwrap_or(0)),
            r.max
                .map_or(u8::MAX, |v| u8::try_from(v.clamp(0, 255)).unwrap_or(u8::MAX)),
        ),
        Test::Count(kind, r) => Compiled::Count(
            p.counts.column(*kind),
            r.min.map_or(0, |v| u32::try_from(v.max(0)).unwrap_or(u32::MAX)),
            r.max.map_or(u32::MAX, |v| u32::try_from(v.max(0)).unwrap_or(u32::MAX)),
        ),
        Test::Diagnosis(prefixes) => {
            let prefixes: Vec<String> = prefixes.iter().map(|p| compact(p)).collect();
            let allowed = p
                .diagnoses
                .values
                .iter()
                .map(|v| {
                    let v = compact(v);
                    prefixes.iter().any(|p| v.starts_with(p.as_str()))
                })
                .collect();
            Compiled::Diagnosis(&p.diagnoses, allowed)
        }
    }
}

/// People per block of the pass: the per-block tallies stay in the L1 cache.
const BLOCK: usize = 2048;

/// Raw counts: everyone meeting every fact, and for each fact, people failing only it.
fn tally(profile: &Profile, facts: &Facts, as_of_year: i32) -> (u64, Vec<u64>) {
    let p = &profile.columns;
    let compiled: Vec<Compiled<'_>> = facts.facts.iter().map(|f| compile(f, p, as_of_year)).collect();
    let mut only = vec![0u64; compiled.len()];
    let mut matched = 0u64;
    let mut fails = [0u8; BLOCK];
    let mut which = [0u8; BLOCK];
    let n = profile.people();
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let len = end - start;
        let (fails, which) = (
            fails.get_mut(..len).unwrap_or_default(),
            which.get_mut(..len).unwrap_or_default(),
        );
        fails.fill(0);
        for (j, fact) in compiled.iter().enumerate() {
            let j = u8::try_from(j).unwrap_or(u8::MAX);
            let mark = |ok: bool, f: &mut u8, w: &mut u8| {
                *f += u8::from(!ok);
                if !ok {
                    *w = j;
                }
            };
            let slots = fails.iter_mut().zip(which.iter_mut());
            match fact {
                Compiled::Coded(codes, allowed) => {
                    for ((f, w), c) in slots.zip(codes.get(start..end).unwrap_or_default()) {
                        mark(allowed.get(usize::from(*c)).copied().unwrap_or(false), f, w);
                    }
                }
                Compiled::Year(lo, hi) => {
                    for ((f, w), y) in slots.zip(p.birth_year.get(start..end).unwrap_or_default()) {
                        mark(*y >= *lo && *y <= *hi, f, w);
                    }
                }
                Compiled::Deprivation(lo, hi) => {
                    for ((f, w), d) in slots.zip(p.deprivation.get(start..end).unwrap_or_default()) {
                        mark(d.is_some_and(|d| d >= *lo && d <= *hi), f, w);
                    }
                }
                Compiled::Count(column, lo, hi) => {
                    for ((f, w), c) in slots.zip(column.get(start..end).unwrap_or_default()) {
                        mark(*c >= *lo && *c <= *hi, f, w);
                    }
                }
                Compiled::Diagnosis(sets, allowed) => {
                    let bounds = sets.offsets.get(start..=end).unwrap_or_default();
                    for ((f, w), b) in slots.zip(bounds.windows(2)) {
                        let (from, to) = match b {
                            [from, to] => (*from as usize, *to as usize),
                            _ => (0, 0),
                        };
                        let ok = sets
                            .codes
                            .get(from..to)
                            .unwrap_or_default()
                            .iter()
                            .any(|c| allowed.get(*c as usize).copied().unwrap_or(false));
                        mark(ok, f, w);
                    }
                }
            }
        }
        for (f, w) in fails.iter().zip(which.iter()) {
            match f {
                0 => matched += 1,
                1 => {
                    if let Some(slot) = only.get_mut(usize::from(*w)) {
                        *slot += 1;
                    }
                }
                _ => {}
            }
        }
        start = end;
    }
    (matched, only)
}

/// The *k* check: how many people meet every fact, and how many each fact on its own excludes.
/// `as_of_year` is the year ages are reached in (see [`Facts::as_of_year`]).
pub fn check(profile: &Profile, facts: &Facts, k: u64, as_of_year: i32) -> Result<KCheck, CheckError> {
    if k == 0 {
        return Err(CheckError::ZeroK);
    }
    let (matched, only) = tally(profile, facts, as_of_year);
    let mut widening: Vec<(usize, u64)> = only.iter().copied().enumerate().filter(|(_, w)| *w > 0).collect();
    widening.sort_by_key(|w| std::cmp::Reverse(w.1));
    let results: Vec<FactResult> = facts
        .facts
        .iter()
        .zip(&only)
        .map(|(fact, only)| FactResult {
            field: fact.field.clone(),
            description: fact.description(as_of_year),
            without: publish(matched + only, k),
        })
        .collect();
    let published = publish(matched, k);
    Ok(KCheck {
        passes: matched >= k,
        k,
        matched: published,
        matched_text: people_text(published, k),
        rarest: widening
            .iter()
            .filter_map(|(i, _)| facts.facts.get(*i).map(|f| f.field.clone()))
            .collect(),
        facts: results,
    })
}
