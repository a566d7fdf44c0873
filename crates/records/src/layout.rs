//! The import layout (`docs/records-layout.md`): which files, which columns, what each may hold,
//! and the typed rows a valid line becomes. Pure: the analytic crate reads the bytes and hands
//! each line's fields here through [`Row`].

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::codes::{
    Agency, DiagnosisGroup, Ethnicity, Gender, ReferralSource, Section, Service, Sex, UnknownCode, Ward, parse_icd10,
};

/// One rejected line (or file), with where and why. `line` counts from 1, the header being line 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub file: String,
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} line {}, field {}: {}", self.file, self.line, field, self.reason),
            None if self.line == 0 => write!(f, "{}: {}", self.file, self.reason),
            None => write!(f, "{} line {}: {}", self.file, self.line, self.reason),
        }
    }
}

/// The files of the layout. Each is optional but `people`, which every other file refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum FileKind {
    People,
    Diagnoses,
    Referrals,
    Contacts,
    Spells,
    WardStays,
    Detentions,
    AgencyContacts,
    Outcomes,
}

/// A column of a layout file.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    /// Direct identifiers are accepted so that an extract can be imported as it comes, and then
    /// dropped: they never reach the analytic store.
    pub identifying: bool,
    pub meaning: &'static str,
}

const fn col(name: &'static str, required: bool, meaning: &'static str) -> Column {
    Column {
        name,
        required,
        identifying: false,
        meaning,
    }
}

const fn ident(name: &'static str, meaning: &'static str) -> Column {
    Column {
        name,
        required: false,
        identifying: true,
        meaning,
    }
}

const SOURCE_ID: Column = col(
    "source_id",
    true,
    "the person's id in the source system (pseudonymised on import)",
);

impl FileKind {
    pub const ALL: [FileKind; 9] = [
        FileKind::People,
        FileKind::Diagnoses,
        FileKind::Referrals,
        FileKind::Contacts,
        FileKind::Spells,
        FileKind::WardStays,
        FileKind::Detentions,
        FileKind::AgencyContacts,
        FileKind::Outcomes,
    ];

    /// The file's name without extension (`people` → `people.csv` or `people.parquet`).
    pub fn stem(self) -> &'static str {
        match self {
            FileKind::People => "people",
            FileKind::Diagnoses => "diagnoses",
            FileKind::Referrals => "referrals",
            FileKind::Contacts => "contacts",
            FileKind::Spells => "spells",
            FileKind::WardStays => "ward_stays",
            FileKind::Detentions => "detentions",
            FileKind::AgencyContacts => "agency_contacts",
            FileKind::Outcomes => "outcomes",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            FileKind::People => {
                const {
                    &[
                        SOURCE_ID,
                        col(
                            "year_of_birth",
                            false,
                            "four-digit year; required unless date_of_birth is given",
                        ),
                        col("sex", true, "female, male, intersex, not_stated"),
                        col("gender", false, "woman, man, non_binary, other, not_stated"),
                        col(
                            "ethnicity",
                            true,
                            "NHS ethnic category code A–S, Z (not stated) or 99 (not known)",
                        ),
                        col(
                            "deprivation_decile",
                            false,
                            "Index of Multiple Deprivation decile, 1 (most deprived) to 10",
                        ),
                        ident("name", "dropped on import"),
                        ident("nhs_number", "dropped on import"),
                        ident("date_of_birth", "dropped on import after its year is taken"),
                        ident("postcode", "dropped on import"),
                        ident("address", "dropped on import"),
                    ]
                }
            }
            FileKind::Diagnoses => {
                const {
                    &[
                        SOURCE_ID,
                        col("date", true, "date recorded, YYYY-MM-DD"),
                        col("icd10", true, "ICD-10 code, e.g. F20.0"),
                    ]
                }
            }
            FileKind::Referrals => {
                const {
                    &[
                        SOURCE_ID,
                        col("date", true, "date received, YYYY-MM-DD"),
                        col("service", true, "service referred to (see the service list)"),
                        col(
                            "source",
                            true,
                            "gp, self, carer, ae, police, criminal_justice, social_care, housing, mental_health, other",
                        ),
                    ]
                }
            }
            FileKind::Contacts => {
                const {
                    &[
                        SOURCE_ID,
                        col("date", true, "YYYY-MM-DD"),
                        col("service", true, "service or team type"),
                        col("duration_minutes", false, "whole minutes, 0–1440"),
                        col("attended", true, "yes or no (did not attend)"),
                    ]
                }
            }
            FileKind::Spells => {
                const {
                    &[
                        SOURCE_ID,
                        col(
                            "spell_id",
                            true,
                            "the spell's id in the source system, unique in the file",
                        ),
                        col("admitted", true, "admission date, YYYY-MM-DD"),
                        col("discharged", false, "discharge date; empty while still in hospital"),
                    ]
                }
            }
            FileKind::WardStays => {
                const {
                    &[
                        SOURCE_ID,
                        col("spell_id", true, "the spell this stay belongs to"),
                        col("ward", true, "acute, picu, forensic, rehabilitation"),
                        col("start", true, "YYYY-MM-DD"),
                        col("end", false, "YYYY-MM-DD; empty while still on the ward"),
                    ]
                }
            }
            FileKind::Detentions => {
                const {
                    &[
                        SOURCE_ID,
                        col("section", true, "Mental Health Act power, e.g. s2, s3, s136, cto"),
                        col("start", true, "YYYY-MM-DD"),
                        col("end", false, "YYYY-MM-DD; empty while it continues"),
                    ]
                }
            }
            FileKind::AgencyContacts => {
                const {
                    &[
                        SOURCE_ID,
                        col("date", true, "YYYY-MM-DD"),
                        col(
                            "agency",
                            true,
                            "ae, ambulance, police, custody, housing_support, social_care, gp, prison, voluntary",
                        ),
                        col(
                            "quantity",
                            false,
                            "units of contact, default 1 (nights for custody and prison, weeks for housing support)",
                        ),
                    ]
                }
            }
            FileKind::Outcomes => {
                const {
                    &[
                        SOURCE_ID,
                        col("date", true, "YYYY-MM-DD"),
                        col(
                            "measure",
                            true,
                            "measure code, e.g. eq5d_utility, honos_total, wemwbs, phq9",
                        ),
                        col("value", true, "the score; eq5d_utility between -0.6 and 1"),
                    ]
                }
            }
        }
    }

    /// Finds a file kind from a file name such as `ward_stays.csv`.
    pub fn from_stem(stem: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.stem() == stem)
    }
}

/// Access to one line's fields by column position.
pub trait Row {
    fn field(&self, index: usize) -> Option<&str>;
}

impl Row for [&str] {
    fn field(&self, index: usize) -> Option<&str> {
        self.get(index).copied()
    }
}

impl Row for Vec<String> {
    fn field(&self, index: usize) -> Option<&str> {
        self.get(index).map(String::as_str)
    }
}

/// Where each layout column sits in a file, read from its header line.
#[derive(Debug, Clone)]
pub struct Header {
    kind: FileKind,
    file: String,
    positions: Vec<Option<usize>>,
}

impl Header {
    /// Reads a header: every required column must be there, and no column may be unknown
    /// (a misspelt optional column would otherwise be dropped without a word).
    pub fn new(kind: FileKind, file: &str, names: &[&str]) -> Result<Header, Rejection> {
        let reject = |field: Option<&str>, reason: String| Rejection {
            file: file.to_string(),
            line: 1,
            field: field.map(str::to_string),
            reason,
        };
        let columns = kind.columns();
        let mut positions = vec![None; columns.len()];
        for (at, name) in names.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}');
            let Some(known) = columns.iter().position(|c| c.name.eq_ignore_ascii_case(name)) else {
                let expected: Vec<&str> = columns.iter().map(|c| c.name).collect();
                return Err(reject(
                    Some(name),
                    format!(
                        "unknown column {name:?}; this file's columns are {}",
                        expected.join(", ")
                    ),
                ));
            };
            if let Some(slot) = positions.get_mut(known) {
                if slot.is_some() {
                    return Err(reject(Some(name), "column appears twice".into()));
                }
                *slot = Some(at);
            }
        }
        for (column, position) in columns.iter().zip(&positions) {
            if column.required && position.is_none() {
                return Err(reject(
                    Some(column.name),
                    "required column is missing from the header".into(),
                ));
            }
        }
        Ok(Header {
            kind,
            file: file.to_string(),
            positions,
        })
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// A cursor over one line, which turns each field into a typed value or a rejection that
    /// names the file, line and column.
    pub fn line<'a, R: Row + ?Sized>(&'a self, line: u64, row: &'a R, ctx: &'a Context) -> Line<'a, R> {
        Line {
            header: self,
            line,
            row,
            ctx,
        }
    }
}

/// What validation checks dates against.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Dates after this day are rejected as in the future.
    pub today: NaiveDate,
}

impl Context {
    pub fn earliest() -> NaiveDate {
        NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
    }
}

/// One line being read.
pub struct Line<'a, R: Row + ?Sized> {
    header: &'a Header,
    line: u64,
    row: &'a R,
    ctx: &'a Context,
}

impl<R: Row + ?Sized> Line<'_, R> {
    fn reject(&self, field: &str, reason: impl Into<String>) -> Rejection {
        Rejection {
            file: self.header.file.clone(),
            line: self.line,
            field: Some(field.to_string()),
            reason: reason.into(),
        }
    }

    /// The trimmed text of a column, `None` when the column is absent or the field empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        let columns = self.header.kind.columns();
        let at = columns.iter().position(|c| c.name == name)?;
        let position = (*self.header.positions.get(at)?)?;
        let value = self.row.field(position)?.trim();
        (!value.is_empty()).then_some(value)
    }

    pub fn required(&self, name: &str) -> Result<&str, Rejection> {
        self.text(name)
            .ok_or_else(|| self.reject(name, "is empty but required"))
    }

    fn coded<T>(&self, name: &str, parse: impl Fn(&str) -> Result<T, UnknownCode>) -> Result<T, Rejection> {
        parse(self.required(name)?).map_err(|e| self.reject(name, e.to_string()))
    }

    fn optional_coded<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, UnknownCode>,
    ) -> Result<Option<T>, Rejection> {
        self.text(name)
            .map(|v| parse(v).map_err(|e| self.reject(name, e.to_string())))
            .transpose()
    }

    pub fn date(&self, name: &str) -> Result<NaiveDate, Rejection> {
        let value = self.required(name)?;
        self.parse_date(name, value)
    }

    pub fn optional_date(&self, name: &str) -> Result<Option<NaiveDate>, Rejection> {
        self.text(name).map(|v| self.parse_date(name, v)).transpose()
    }

    fn parse_date(&self, name: &str, value: &str) -> Result<NaiveDate, Rejection> {
        let date = fast_date(value)
            .or_else(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
            .ok_or_else(|| self.reject(name, format!("{:?} is not a date in the form YYYY-MM-DD", clip(value))))?;
        if date < Context::earliest() {
            return Err(self.reject(name, format!("{date} is before 1900")));
        }
        if date > self.ctx.today {
            return Err(self.reject(name, format!("{date} is in the future")));
        }
        Ok(date)
    }

    fn number(&self, name: &str, value: &str) -> Result<f64, Rejection> {
        value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.reject(name, format!("{:?} is not a number", clip(value))))
    }

    fn whole(&self, name: &str, value: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, Rejection> {
        let parsed = value
            .parse::<i64>()
            .map_err(|_| self.reject(name, format!("{:?} is not a whole number", clip(value))))?;
        if !range.contains(&parsed) {
            return Err(self.reject(name, format!("{parsed} is outside {}–{}", range.start(), range.end())));
        }
        Ok(parsed)
    }

    fn ordered(&self, start: NaiveDate, end: Option<NaiveDate>, end_field: &str) -> Result<(), Rejection> {
        match end {
            Some(end) if end < start => Err(self.reject(end_field, format!("{end} is before the start, {start}"))),
            _ => Ok(()),
        }
    }

    fn source_id(&self) -> Result<String, Rejection> {
        let id = self.required("source_id")?;
        if id.chars().count() > 64 {
            return Err(self.reject("source_id", "is longer than 64 characters"));
        }
        Ok(id.to_string())
    }

    /// A line of `people`.
    pub fn person(&self) -> Result<PersonIn, Rejection> {
        let source_id = self.source_id()?;
        let dob_year = self.optional_date("date_of_birth")?.map(|d| d.year());
        let year_of_birth = match (self.text("year_of_birth"), dob_year) {
            (Some(y), _) => {
                let this_year = i64::from(self.ctx.today.year());
                self.whole("year_of_birth", y, 1900..=this_year)? as i32
            }
            (None, Some(y)) => y,
            (None, None) => {
                return Err(self.reject(
                    "year_of_birth",
                    "is empty, and there is no date_of_birth to take it from",
                ));
            }
        };
        if let (Some(stated), Some(from_dob)) = (self.text("year_of_birth"), dob_year)
            && stated.parse::<i32>().ok() != Some(from_dob)
        {
            return Err(self.reject("year_of_birth", format!("{stated} does not match date_of_birth's year")));
        }
        Ok(PersonIn {
            source_id,
            year_of_birth,
            sex: self.coded("sex", Sex::parse)?,
            gender: self.optional_coded("gender", Gender::parse)?,
            ethnicity: self.coded("ethnicity", Ethnicity::parse)?,
            deprivation_decile: self
                .text("deprivation_decile")
                .map(|v| self.whole("deprivation_decile", v, 1..=10).map(|d| d as u8))
                .transpose()?,
        })
    }

    /// A line of any file but `people`.
    pub fn event(&self) -> Result<EventIn, Rejection> {
        let source_id = self.source_id()?;
        let mut event = EventIn {
            source_id,
            kind: EventKind::Contact,
            code: String::new(),
            detail: None,
            start: NaiveDate::default(),
            end: None,
            quantity: None,
            attended: None,
        };
        match self.header.kind {
            FileKind::People => return Err(self.reject("source_id", "people are not events")),
            FileKind::Diagnoses => {
                let code = parse_icd10(self.required("icd10")?).map_err(|e| self.reject("icd10", e))?;
                event.kind = EventKind::Diagnosis;
                event.detail = Some(DiagnosisGroup::of(&code).code().to_string());
                event.code = code;
                event.start = self.date("date")?;
            }
            FileKind::Referrals => {
                event.kind = EventKind::Referral;
                event.start = self.date("date")?;
                event.code = self.coded("service", Service::parse)?.code().to_string();
                event.detail = Some(self.coded("source", ReferralSource::parse)?.code().to_string());
            }
            FileKind::Contacts => {
                event.kind = EventKind::Contact;
                event.start = self.date("date")?;
                event.code = self.coded("service", Service::parse)?.code().to_string();
                event.quantity = self
                    .text("duration_minutes")
                    .map(|v| self.whole("duration_minutes", v, 0..=1440).map(|m| m as f64))
                    .transpose()?;
                event.attended = Some(self.yes_no("attended")?);
            }
            FileKind::Spells => {
                event.kind = EventKind::Admission;
                event.detail = Some(self.spell_id()?);
                event.code = "admission".into();
                event.start = self.date("admitted")?;
                event.end = self.optional_date("discharged")?;
                self.ordered(event.start, event.end, "discharged")?;
            }
            FileKind::WardStays => {
                event.kind = EventKind::WardStay;
                event.detail = Some(self.spell_id()?);
                event.code = self.coded("ward", Ward::parse)?.code().to_string();
                event.start = self.date("start")?;
                event.end = self.optional_date("end")?;
                self.ordered(event.start, event.end, "end")?;
            }
            FileKind::Detentions => {
                event.kind = EventKind::Detention;
                event.code = self.coded("section", Section::parse)?.code().to_string();
                event.start = self.date("start")?;
                event.end = self.optional_date("end")?;
                self.ordered(event.start, event.end, "end")?;
            }
            FileKind::AgencyContacts => {
                event.kind = EventKind::Agency;
                event.start = self.date("date")?;
                event.code = self.coded("agency", Agency::parse)?.code().to_string();
                let quantity = match self.text("quantity") {
                    Some(v) => self.number("quantity", v)?,
                    None => 1.0,
                };
                if !(0.0..=10_000.0).contains(&quantity) {
                    return Err(self.reject("quantity", format!("{quantity} is outside 0–10000")));
                }
                event.quantity = Some(quantity);
            }
            FileKind::Outcomes => {
                event.kind = EventKind::Outcome;
                event.start = self.date("date")?;
                let measure = self.required("measure")?.to_ascii_lowercase();
                if measure.len() > 40 || !measure.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(self.reject("measure", "use a short code of letters, digits and underscores"));
                }
                let value = self.number("value", self.required("value")?)?;
                if measure == "eq5d_utility" && !(-0.6..=1.0).contains(&value) {
                    return Err(self.reject("value", format!("an EQ-5D utility of {value} is outside -0.6 to 1")));
                }
                event.code = measure;
                event.quantity = Some(value);
            }
        }
        Ok(event)
    }

    fn spell_id(&self) -> Result<String, Rejection> {
        let id = self.required("spell_id")?;
        if id.chars().count() > 64 {
            return Err(self.reject("spell_id", "is longer than 64 characters"));
        }
        Ok(id.to_string())
    }

    fn yes_no(&self, name: &str) -> Result<bool, Rejection> {
        match self.required(name)?.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Ok(true),
            "no" | "n" | "false" | "0" => Ok(false),
            other => Err(self.reject(name, format!("{:?} is not yes or no", clip(other)))),
        }
    }
}

/// `YYYY-MM-DD` without a format parser: this runs for every date of every row.
fn fast_date(value: &str) -> Option<NaiveDate> {
    let b = value.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b.get(range)?.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?)
}

fn clip(value: &str) -> String {
    value.chars().take(40).collect()
}

/// A valid line of `people`, before pseudonymisation. Direct identifiers are not kept.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonIn {
    pub source_id: String,
    pub year_of_birth: i32,
    pub sex: Sex,
    pub gender: Option<Gender>,
    pub ethnicity: Ethnicity,
    pub deprivation_decile: Option<u8>,
}

/// What kind of event a row is; its `code` in the analytic store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Referral,
    Contact,
    Admission,
    WardStay,
    Detention,
    Agency,
    Diagnosis,
    Outcome,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::Referral,
        EventKind::Contact,
        EventKind::Admission,
        EventKind::WardStay,
        EventKind::Detention,
        EventKind::Agency,
        EventKind::Diagnosis,
        EventKind::Outcome,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventKind::Referral => "referral",
            EventKind::Contact => "contact",
            EventKind::Admission => "admission",
            EventKind::WardStay => "ward_stay",
            EventKind::Detention => "detention",
            EventKind::Agency => "agency",
            EventKind::Diagnosis => "diagnosis",
            EventKind::Outcome => "outcome",
        }
    }

    pub fn from_code(code: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn file(self) -> FileKind {
        match self {
            EventKind::Referral => FileKind::Referrals,
            EventKind::Contact => FileKind::Contacts,
            EventKind::Admission => FileKind::Spells,
            EventKind::WardStay => FileKind::WardStays,
            EventKind::Detention => FileKind::Detentions,
            EventKind::Agency => FileKind::AgencyContacts,
            EventKind::Diagnosis => FileKind::Diagnoses,
            EventKind::Outcome => FileKind::Outcomes,
        }
    }
}

/// A valid line of an event file, before pseudonymisation.
///
/// `code` is the service, ward, section, agency, ICD-10 code or measure; `detail` the referral
/// source, the spell id (admissions and ward stays) or the diagnosis group; `quantity` minutes
/// (contacts), units (agencies) or the value (outcomes).
#[derive(Debug, Clone, PartialEq)]
pub struct EventIn {
    pub source_id: String,
    pub kind: EventKind,
    pub code: String,
    pub detail: Option<String>,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub quantity: Option<f64>,
    pub attended: Option<bool>,
}

/// Days since 1970-01-01, the analytic store's date unit.
pub fn day_number(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// The date of a day number.
pub fn from_day_number(day: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    epoch + chrono::Duration::days(i64::from(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            today: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        }
    }

    #[test]
    fn a_header_with_an_unknown_or_missing_column_is_rejected_by_name() {
        let err = Header::new(FileKind::People, "people.csv", &["source_id", "sex", "ethnicty"]).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("ethnicty"));
        assert!(err.reason.contains("unknown column"));
        let err = Header::new(FileKind::People, "people.csv", &["source_id", "sex"]).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("ethnicity"));
        assert_eq!(
            err.to_string(),
            "people.csv line 1, field ethnicity: required column is missing from the header"
        );
    }

    #[test]
    fn a_person_line_drops_identifiers_and_takes_the_year_from_the_date_of_birth() {
        let h = Header::new(
            FileKind::People,
            "people.csv",
            &[
                "source_id",
                "name",
                "nhs_number",
                "date_of_birth",
                "postcode",
                "sex",
                "ethnicity",
                "deprivation_decile",
            ],
        )
        .unwrap();
        let row: &[&str] = &[
            "S1",
            "Ann Example",
            "999 000 0001",
            "1980-04-02",
            "ZZ99 9ZZ",
            "female",
            "n",
            "3",
        ];
        let c = ctx();
        let person = h.line(2, row, &c).person().unwrap();
        assert_eq!(
            person,
            PersonIn {
                source_id: "S1".into(),
                year_of_birth: 1980,
                sex: Sex::Female,
                gender: None,
                ethnicity: Ethnicity::N,
                deprivation_decile: Some(3),
            }
        );
    }

    #[test]
    fn bad_fields_are_rejected_with_file_line_and_field() {
        let h = Header::new(
            FileKind::Spells,
            "spells.csv",
            &["source_id", "spell_id", "admitted", "discharged"],
        )
        .unwrap();
        let c = ctx();
        let row: &[&str] = &["S1", "SP1", "2024-03-10", "2024-03-01"];
        let err = h.line(7, row, &c).event().unwrap_err();
        assert_eq!(
            err.to_string(),
            "spells.csv line 7, field discharged: 2024-03-01 is before the start, 2024-03-10"
        );
        let row: &[&str] = &["S1", "SP1", "10/03/2024", ""];
        let err = h.line(8, row, &c).event().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("admitted"));
        assert!(err.reason.contains("YYYY-MM-DD"));
        let row: &[&str] = &["S1", "SP1", "2027-01-01", ""];
        assert!(h.line(9, row, &c).event().unwrap_err().reason.contains("future"));

        let h = Header::new(
            FileKind::Contacts,
            "contacts.csv",
            &["source_id", "date", "service", "attended", "duration_minutes"],
        )
        .unwrap();
        let row: &[&str] = &["S1", "2024-01-01", "cmht", "maybe", "30"];
        assert_eq!(
            h.line(3, row, &c).event().unwrap_err().field.as_deref(),
            Some("attended")
        );
        let row: &[&str] = &["S1", "2024-01-01", "cmht", "yes", "thirty"];
        assert_eq!(
            h.line(3, row, &c).event().unwrap_err().field.as_deref(),
            Some("duration_minutes")
        );
        let row: &[&str] = &["S1", "2024-01-01", "dentist", "yes", "30"];
        let err = h.line(3, row, &c).event().unwrap_err();
        assert!(err.reason.starts_with("unknown service \"dentist\""), "{}", err.reason);
        // A short row: a missing required field is named.
        let row: &[&str] = &["S1", "2024-01-01"];
        assert_eq!(
            h.line(4, row, &c).event().unwrap_err().field.as_deref(),
            Some("service")
        );
    }

    #[test]
    fn day_numbers_round_trip() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(from_day_number(day_number(d)), d);
        assert_eq!(day_number(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
    }
}
