//! Whole projects exchanged with other qualitative analysis tools (NVivo, ATLAS.ti, MAXQDA,
//! QualCoder, ...) as a REFI-QDA project (`.qdpx`, `urn:QDA-XML:project:1.0`).
//!
//! What cocare carries: users, the codebook (with notes on codes), variables, cases with their
//! variable values and sources, plain-text sources with their selections, codings and notes,
//! notes, and the project's description and notes. Anything else another tool writes (sets,
//! graphs, links, picture, PDF, audio and video sources, codings of whole sources, ...) is skipped
//! on import and named in the import report ([`Project::from_qdpx_with_report`]).
//!
//! Positions: REFI-QDA 1.5 §10.2 numbers the characters of a text source as Unicode code points
//! from 0. A [`Selection`] runs from `start` (inclusive) to `end` (exclusive), as everywhere in
//! this crate ([`crate::text`], [`crate::coding`]): its text is
//! `text::slice_chars(&source.text, start, end)`. Every code point counts, so a Windows line
//! break (`\r\n`) is two, an emoji is one.
//!
//! The `.qdpx` file (REFI-QDA 1.5 §5.2, §9.1) is a zip holding `project.qde` and each text
//! source's plain text as `Sources/{GUID}.txt` (UTF-8, no byte-order mark), which the source
//! names as `plainTextPath="internal://{GUID}.txt"`. cocare's own metadata for a source (opaque
//! to other tools) goes next to it as `Sources/{GUID}.cocare.json`.
//!
//! Round trips are exact (export, import, export gives the same bytes) for a project whose GUIDs
//! are written the way cocare writes them (lowercase, no braces) and whose codes are listed
//! depth-first (parents before children, siblings in order, as [`Codebook::from_qdc`] gives
//! them). Import writes every GUID that way. The project file has no place for a codebook's own
//! origin: on import it is the project's origin.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Cursor, Read, Write};

use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

use crate::codebook::{Code, Codebook, valid_guid};
use crate::text::len_chars;

pub const NAMESPACE: &str = "urn:QDA-XML:project:1.0";

/// The project document inside a `.qdpx`.
pub const PROJECT_FILE: &str = "project.qde";

/// The folder of a `.qdpx` that holds the sources' files.
pub const SOURCES_FOLDER: &str = "Sources";

const SIDECAR_SUFFIX: &str = ".cocare.json";

/// The most a `.qdpx` may unpack to (`project.qde` and the text files it may refer to), so a
/// zip bomb is refused instead of filling memory.
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// The deepest element nesting read (codes nested this deep are not a real codebook).
const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub name: String,
    /// The software that wrote it, e.g. "cocare 0.1.0".
    pub origin: String,
    /// "" when none.
    pub description: String,
    /// xs:dateTime, e.g. "2026-11-24T10:00:00Z".
    pub created: Option<String>,
    /// A user's GUID.
    pub creating_user: Option<String>,
    pub users: Vec<User>,
    pub codebook: Codebook,
    /// (code GUID, note GUID): notes on codes.
    pub code_notes: Vec<(String, String)>,
    pub variables: Vec<Variable>,
    pub cases: Vec<Case>,
    pub sources: Vec<TextSource>,
    pub notes: Vec<Note>,
    /// Notes on the project as a whole (note GUIDs).
    pub project_notes: Vec<String>,
}

impl Default for Project {
    fn default() -> Project {
        Project {
            name: String::new(),
            origin: String::new(),
            description: String::new(),
            created: None,
            creating_user: None,
            users: Vec::new(),
            codebook: Codebook {
                origin: String::new(),
                codes: Vec::new(),
            },
            code_notes: Vec::new(),
            variables: Vec::new(),
            cases: Vec::new(),
            sources: Vec::new(),
            notes: Vec::new(),
            project_notes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub guid: String,
    pub name: String,
}

/// REFI-QDA's `typeOfVariable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VariableType {
    Text,
    Boolean,
    Integer,
    Float,
    Date,
    DateTime,
}

impl VariableType {
    /// The `typeOfVariable` value.
    pub fn as_str(self) -> &'static str {
        match self {
            VariableType::Text => "Text",
            VariableType::Boolean => "Boolean",
            VariableType::Integer => "Integer",
            VariableType::Float => "Float",
            VariableType::Date => "Date",
            VariableType::DateTime => "DateTime",
        }
    }

    pub fn parse(s: &str) -> Option<VariableType> {
        Some(match s.trim() {
            "Text" => VariableType::Text,
            "Boolean" => VariableType::Boolean,
            "Integer" => VariableType::Integer,
            "Float" => VariableType::Float,
            "Date" => VariableType::Date,
            "DateTime" => VariableType::DateTime,
            _ => return None,
        })
    }

    /// The element a value of this type is written in.
    fn value_element(self) -> &'static str {
        match self {
            VariableType::Text => "TextValue",
            VariableType::Boolean => "BooleanValue",
            VariableType::Integer => "IntegerValue",
            VariableType::Float => "FloatValue",
            VariableType::Date => "DateValue",
            VariableType::DateTime => "DateTimeValue",
        }
    }

    /// Whether `value` is written as the standard's XML Schema type for it requires (no
    /// surrounding spaces). A `Float` is an `xs:decimal`: no exponent.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            VariableType::Text => true,
            VariableType::Boolean => matches!(value, "true" | "false" | "1" | "0"),
            VariableType::Integer => valid_integer(value),
            VariableType::Float => valid_decimal(value),
            VariableType::Date => valid_date(value),
            VariableType::DateTime => valid_date_time(value),
        }
    }

    fn example(self) -> &'static str {
        match self {
            VariableType::Text => "text",
            VariableType::Boolean => "true or false",
            VariableType::Integer => "a whole number like 42",
            VariableType::Float => "a decimal number like 3.25 (no exponent)",
            VariableType::Date => "a date like 2026-11-24",
            VariableType::DateTime => "a date and time like 2026-11-24T10:00:00Z",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    pub guid: String,
    pub name: String,
    pub kind: VariableType,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub guid: String,
    pub name: String,
    pub description: String,
    /// (variable GUID, value as text); the value is written in the element the variable's type
    /// calls for.
    pub values: Vec<(String, String)>,
    /// GUIDs of the case's sources.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSource {
    pub guid: String,
    pub name: String,
    pub description: String,
    /// The plain text; positions count its code points.
    pub text: String,
    pub creating_user: Option<String>,
    pub created: Option<String>,
    pub selections: Vec<Selection>,
    /// Note GUIDs.
    pub notes: Vec<String>,
    /// cocare's own metadata for the source (JSON text), opaque to other tools.
    pub sidecar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub guid: String,
    /// Code points: `start` inclusive, `end` exclusive.
    pub start: usize,
    pub end: usize,
    pub creating_user: Option<String>,
    pub created: Option<String>,
    pub codings: Vec<SelectionCoding>,
    /// Note GUIDs.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionCoding {
    pub guid: String,
    /// The code's GUID.
    pub code: String,
    pub creating_user: Option<String>,
    pub created: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub guid: String,
    pub name: String,
    pub text: String,
    pub creating_user: Option<String>,
    pub created: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QdpxProblem {
    /// Where: `source "Interview 3" selection 12`, `case "P01" variable "age"`,
    /// `project.qde line 4, column 7`, ...
    pub place: String,
    pub reason: String,
}

impl fmt::Display for QdpxProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.reason)
    }
}

fn problem(place: impl Into<String>, reason: impl Into<String>) -> QdpxProblem {
    QdpxProblem {
        place: place.into(),
        reason: reason.into(),
    }
}

/// A GUID the way cocare writes it: lowercase, without braces. Anything that is not a GUID is
/// only trimmed (and will be refused by [`Project::validate`]).
pub fn normalise_guid(s: &str) -> String {
    let t = s.trim();
    if valid_guid(t) {
        t.trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase()
    } else {
        t.to_string()
    }
}

/// The file name of a text source inside the `.qdpx`.
fn text_file(guid: &str) -> String {
    format!("{SOURCES_FOLDER}/{guid}.txt")
}

fn sidecar_file(guid: &str) -> String {
    format!("{SOURCES_FOLDER}/{guid}{SIDECAR_SUFFIX}")
}

/// "kind \"name\"", or "kind GUID" for something without a name.
fn named(kind: &str, name: &str, guid: &str) -> String {
    if name.trim().is_empty() {
        format!("{kind} {guid}")
    } else {
        format!("{kind} \"{name}\"")
    }
}

// ---------------------------------------------------------------------------------------------
// Lexical forms of the XML Schema types the standard uses.

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// xs:integer.
fn valid_integer(s: &str) -> bool {
    digits(s.strip_prefix(['+', '-']).unwrap_or(s))
}

/// xs:decimal.
fn valid_decimal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    match s.split_once('.') {
        Some((a, b)) => (digits(a) || a.is_empty()) && (digits(b) || b.is_empty()) && !(a.is_empty() && b.is_empty()),
        None => digits(s),
    }
}

fn number(s: &str, len: usize, max: u32) -> Option<u32> {
    (s.len() == len && digits(s))
        .then(|| s.parse::<u32>().ok())
        .flatten()
        .filter(|v| *v <= max)
}

/// A timezone suffix (`Z`, `+hh:mm`, `-hh:mm`) split off, checked.
fn split_timezone(s: &str) -> Option<&str> {
    if let Some(rest) = s.strip_suffix('Z') {
        return Some(rest);
    }
    let cut = s.len().checked_sub(6)?;
    match (s.get(..cut), s.get(cut..)) {
        (Some(rest), Some(tz)) if tz.starts_with(['+', '-']) && tz.get(3..4) == Some(":") => {
            let h = number(tz.get(1..3)?, 2, 14)?;
            let m = number(tz.get(4..)?, 2, 59)?;
            (h < 14 || m == 0).then_some(rest)
        }
        _ => Some(s),
    }
}

/// `YYYY-MM-DD` (a year of four or more digits, optionally negative), a real day.
fn valid_date_part(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let mut parts = s.rsplitn(3, '-');
    let (Some(d), Some(m), Some(y)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    if y.len() < 4 || !digits(y) || (y.len() > 4 && y.starts_with('0')) {
        return false;
    }
    let Ok(year) = y.parse::<u64>() else {
        return false;
    };
    let (Some(month), Some(day)) = (number(m, 2, 12), number(d, 2, 31)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    year != 0 && month >= 1 && day >= 1 && day <= days
}

/// xs:date.
fn valid_date(s: &str) -> bool {
    split_timezone(s).is_some_and(valid_date_part)
}

/// xs:dateTime.
fn valid_date_time(s: &str) -> bool {
    let Some(s) = split_timezone(s) else {
        return false;
    };
    let Some((date, time)) = s.split_once('T') else {
        return false;
    };
    let (clock, fraction) = match time.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (time, None),
    };
    let mut hms = clock.split(':');
    let ok = matches!(
        (hms.next(), hms.next(), hms.next(), hms.next()),
        (Some(h), Some(m), Some(sec), None)
            if number(h, 2, 23).is_some() && number(m, 2, 59).is_some() && number(sec, 2, 59).is_some()
    );
    ok && fraction.is_none_or(digits) && valid_date_part(date)
}

/// A character XML 1.0 can carry (in text or, escaped, in an attribute).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

// ---------------------------------------------------------------------------------------------
// Checking.

#[derive(Default)]
struct Checker {
    problems: Vec<QdpxProblem>,
    /// Normalised GUID → (first place, raw GUID, whether a code's).
    guids: BTreeMap<String, (String, String, bool)>,
}

impl Checker {
    fn push(&mut self, place: &str, reason: impl Into<String>) {
        self.problems.push(problem(place, reason));
    }

    /// Registers a GUID of something in the project. Codes' GUIDs are checked by the codebook
    /// already (valid, and not repeated among codes).
    fn guid(&mut self, place: &str, guid: &str, is_code: bool) {
        if !valid_guid(guid) {
            if !is_code {
                if guid.trim().is_empty() {
                    self.push(place, "it has no GUID");
                } else {
                    self.push(place, format!("'{guid}' is not a GUID"));
                }
            }
            return;
        }
        let key = normalise_guid(guid);
        match self.guids.get(&key) {
            Some((first, raw, first_is_code)) => {
                let codebook_says_so = is_code && *first_is_code && raw.to_lowercase() == guid.to_lowercase();
                if !codebook_says_so {
                    let reason = format!("its GUID {guid} is also the GUID of {first}");
                    self.push(place, reason);
                }
            }
            None => {
                self.guids.insert(key, (place.to_string(), guid.to_string(), is_code));
            }
        }
    }

    fn reference(&mut self, place: &str, what: &str, target: &str, known: &BTreeSet<String>, missing: &str) {
        if !valid_guid(target) {
            self.push(place, format!("its {what} '{target}' is not a GUID"));
        } else if !known.contains(&normalise_guid(target)) {
            self.push(place, format!("its {what} {target} {missing}"));
        }
    }

    fn user(&mut self, place: &str, user: Option<&String>, users: &BTreeSet<String>) {
        if let Some(u) = user {
            self.reference(place, "creating user", u, users, "is not among the project's users");
        }
    }

    fn notes(&mut self, place: &str, refs: &[String], notes: &BTreeSet<String>) {
        for n in refs {
            self.reference(place, "note", n, notes, "is not among the project's notes");
        }
    }

    fn date_time(&mut self, place: &str, value: Option<&String>) {
        if let Some(v) = value
            && !valid_date_time(v)
        {
            self.push(
                place,
                format!("its creation time '{v}' is not a date and time like 2026-11-24T10:00:00Z (xs:dateTime)"),
            );
        }
    }

    fn chars(&mut self, place: &str, what: &str, s: &str) {
        if let Some(c) = s.chars().find(|c| !xml_char(*c)) {
            self.push(
                place,
                format!(
                    "{what} holds U+{:04X}, a control character XML cannot carry",
                    u32::from(c)
                ),
            );
        }
    }
}

fn guid_set<'a>(guids: impl Iterator<Item = &'a String>) -> BTreeSet<String> {
    guids.map(|g| normalise_guid(g)).collect()
}

impl Project {
    /// Every problem: GUIDs valid and used once in the whole project, every reference (codes,
    /// users, notes, variables, sources) resolving, selections inside their text
    /// (`start <= end <= ` its length in code points), the codebook valid
    /// ([`Codebook::validate`]), variable values written as their type requires, creation times
    /// as xs:dateTime, and no character XML cannot carry in what goes into `project.qde`.
    pub fn validate(&self) -> Result<(), Vec<QdpxProblem>> {
        self.check(&BTreeSet::new())
    }

    /// As [`Project::validate`], not checking selections against the texts of the sources named
    /// in `unread` (their text could not be read, which is reported already).
    fn check(&self, unread: &BTreeSet<String>) -> Result<(), Vec<QdpxProblem>> {
        let mut c = Checker::default();
        let users = guid_set(self.users.iter().map(|u| &u.guid));
        let codes = guid_set(self.codebook.codes.iter().map(|c| &c.guid));
        let notes = guid_set(self.notes.iter().map(|n| &n.guid));
        let sources = guid_set(self.sources.iter().map(|s| &s.guid));
        let variables: BTreeMap<String, &Variable> =
            self.variables.iter().map(|v| (normalise_guid(&v.guid), v)).collect();

        let here = "project";
        c.chars(here, "its name", &self.name);
        c.chars(here, "its origin", &self.origin);
        c.chars(here, "its description", &self.description);
        c.user(here, self.creating_user.as_ref(), &users);
        c.date_time(here, self.created.as_ref());
        c.notes(here, &self.project_notes, &notes);

        for u in &self.users {
            let place = named("user", &u.name, &u.guid);
            c.guid(&place, &u.guid, false);
            c.chars(&place, "its name", &u.name);
        }

        if let Err(problems) = self.codebook.validate() {
            for p in problems {
                c.push(&format!("code \"{}\"", p.place), p.reason);
            }
        }
        let mut code_places = BTreeMap::new();
        for code in &self.codebook.codes {
            let place = named("code", &code.name, &code.guid);
            c.guid(&place, &code.guid, true);
            c.chars(&place, "its name", &code.name);
            c.chars(&place, "its description", &code.description);
            code_places.insert(normalise_guid(&code.guid), place);
        }
        for (code, note) in &self.code_notes {
            match code_places.get(&normalise_guid(code)) {
                Some(place) => c.reference(place, "note", note, &notes, "is not among the project's notes"),
                None => c.push(
                    &format!("code {code}"),
                    format!("note {note} is attached to it, but it is not in the codebook"),
                ),
            }
        }

        for v in &self.variables {
            let place = named("variable", &v.name, &v.guid);
            c.guid(&place, &v.guid, false);
            if v.name.trim().is_empty() {
                c.push(&place, "a variable needs a name");
            }
            c.chars(&place, "its name", &v.name);
            c.chars(&place, "its description", &v.description);
        }

        for case in &self.cases {
            let place = named("case", &case.name, &case.guid);
            c.guid(&place, &case.guid, false);
            c.chars(&place, "its name", &case.name);
            c.chars(&place, "its description", &case.description);
            let mut given = BTreeSet::new();
            for (variable, value) in &case.values {
                let Some(v) = variables.get(&normalise_guid(variable)) else {
                    c.push(
                        &format!("{place} variable {variable}"),
                        "this variable is not among the project's variables",
                    );
                    continue;
                };
                let vplace = format!("{place} variable \"{}\"", v.name);
                if !given.insert(normalise_guid(variable)) {
                    c.push(&vplace, "the case gives this variable more than one value");
                }
                if !v.kind.accepts(value) {
                    c.push(
                        &vplace,
                        format!(
                            "'{value}' is not {}, as its type {} requires",
                            v.kind.example(),
                            v.kind.as_str()
                        ),
                    );
                }
                c.chars(&vplace, "its value", value);
            }
            for s in &case.sources {
                c.reference(&place, "source", s, &sources, "is not among the project's text sources");
            }
        }

        for s in &self.sources {
            let place = named("source", &s.name, &s.guid);
            c.guid(&place, &s.guid, false);
            c.chars(&place, "its name", &s.name);
            c.chars(&place, "its description", &s.description);
            c.user(&place, s.creating_user.as_ref(), &users);
            c.date_time(&place, s.created.as_ref());
            c.notes(&place, &s.notes, &notes);
            let text_known = !unread.contains(&normalise_guid(&s.guid));
            let len = len_chars(&s.text);
            for (i, sel) in s.selections.iter().enumerate() {
                let splace = format!("{place} selection {}", i + 1);
                c.guid(&splace, &sel.guid, false);
                c.user(&splace, sel.creating_user.as_ref(), &users);
                c.date_time(&splace, sel.created.as_ref());
                c.notes(&splace, &sel.notes, &notes);
                if sel.start > sel.end {
                    c.push(
                        &splace,
                        format!("it starts at {} but ends before that, at {}", sel.start, sel.end),
                    );
                } else if text_known && sel.end > len {
                    c.push(
                        &splace,
                        format!(
                            "it runs from {} to {} but the text has only {len} characters (code points)",
                            sel.start, sel.end
                        ),
                    );
                }
                for (j, coding) in sel.codings.iter().enumerate() {
                    let cplace = format!("{splace} coding {}", j + 1);
                    c.guid(&cplace, &coding.guid, false);
                    c.reference(&cplace, "code", &coding.code, &codes, "is not in the codebook");
                    c.user(&cplace, coding.creating_user.as_ref(), &users);
                    c.date_time(&cplace, coding.created.as_ref());
                }
            }
        }

        for n in &self.notes {
            let place = named("note", &n.name, &n.guid);
            c.guid(&place, &n.guid, false);
            c.chars(&place, "its name", &n.name);
            c.chars(&place, "its text", &n.text);
            c.user(&place, n.creating_user.as_ref(), &users);
            c.date_time(&place, n.created.as_ref());
        }

        if c.problems.is_empty() { Ok(()) } else { Err(c.problems) }
    }

    // -----------------------------------------------------------------------------------------
    // Export.

    /// `project.qde`, valid against the standard's Project.xsd (the project is checked first).
    pub fn to_xml(&self) -> Result<String, Vec<QdpxProblem>> {
        self.validate()?;
        Ok(self.write_xml())
    }

    /// The `.qdpx` zip: `project.qde`, `Sources/{GUID}.txt` for each text source and
    /// `Sources/{GUID}.cocare.json` for each sidecar. The same project always gives the same
    /// bytes (every entry is dated 1980-01-01, the zip format's epoch).
    pub fn to_qdpx(&self) -> Result<Vec<u8>, Vec<QdpxProblem>> {
        let xml = self.to_xml()?;
        let zip_problem = |e: zip::result::ZipError| vec![problem(".qdpx", e.to_string())];
        let io_problem = |e: std::io::Error| vec![problem(".qdpx", e.to_string())];
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(PROJECT_FILE, options).map_err(zip_problem)?;
        zip.write_all(xml.as_bytes()).map_err(io_problem)?;
        for s in &self.sources {
            zip.start_file(text_file(&s.guid), options).map_err(zip_problem)?;
            zip.write_all(s.text.as_bytes()).map_err(io_problem)?;
            if let Some(sidecar) = &s.sidecar {
                zip.start_file(sidecar_file(&s.guid), options).map_err(zip_problem)?;
                zip.write_all(sidecar.as_bytes()).map_err(io_problem)?;
            }
        }
        Ok(zip.finish().map_err(zip_problem)?.into_inner())
    }

    fn write_xml(&self) -> String {
        let mut x = Xml::default();
        x.out
            .push_str("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n");
        x.start(
            "Project",
            &[
                ("xmlns", Some(NAMESPACE)),
                ("name", Some(&self.name)),
                ("origin", filled(&self.origin)),
                ("creatingUserGUID", self.creating_user.as_deref()),
                ("creationDateTime", self.created.as_deref()),
            ],
        );
        if !self.users.is_empty() {
            x.start("Users", &[]);
            for u in &self.users {
                x.empty("User", &[("guid", Some(&u.guid)), ("name", filled(&u.name))]);
            }
            x.end("Users");
        }
        if !self.codebook.codes.is_empty() {
            x.start("CodeBook", &[]);
            x.start("Codes", &[]);
            self.write_codes(&mut x);
            x.end("Codes");
            x.end("CodeBook");
        }
        if !self.variables.is_empty() {
            x.start("Variables", &[]);
            for v in &self.variables {
                let attrs = [
                    ("guid", Some(v.guid.as_str())),
                    ("name", Some(&v.name)),
                    ("typeOfVariable", Some(v.kind.as_str())),
                ];
                if x.open("Variable", &attrs, !v.description.is_empty()) {
                    x.text("Description", &v.description);
                    x.end("Variable");
                }
            }
            x.end("Variables");
        }
        let kinds: BTreeMap<String, VariableType> = self
            .variables
            .iter()
            .map(|v| (normalise_guid(&v.guid), v.kind))
            .collect();
        if !self.cases.is_empty() {
            x.start("Cases", &[]);
            for case in &self.cases {
                let attrs = [("guid", Some(case.guid.as_str())), ("name", filled(&case.name))];
                let content = !case.description.is_empty() || !case.values.is_empty() || !case.sources.is_empty();
                if x.open("Case", &attrs, content) {
                    if !case.description.is_empty() {
                        x.text("Description", &case.description);
                    }
                    for (variable, value) in &case.values {
                        let kind = kinds
                            .get(&normalise_guid(variable))
                            .copied()
                            .unwrap_or(VariableType::Text);
                        x.start("VariableValue", &[]);
                        x.empty("VariableRef", &[("targetGUID", Some(variable))]);
                        x.text(kind.value_element(), value);
                        x.end("VariableValue");
                    }
                    for s in &case.sources {
                        x.empty("SourceRef", &[("targetGUID", Some(s))]);
                    }
                    x.end("Case");
                }
            }
            x.end("Cases");
        }
        if !self.sources.is_empty() {
            x.start("Sources", &[]);
            for s in &self.sources {
                let path = format!("internal://{}.txt", s.guid);
                let attrs = [
                    ("guid", Some(s.guid.as_str())),
                    ("name", filled(&s.name)),
                    ("plainTextPath", Some(&path)),
                    ("creatingUser", s.creating_user.as_deref()),
                    ("creationDateTime", s.created.as_deref()),
                ];
                let content = !s.description.is_empty() || !s.selections.is_empty() || !s.notes.is_empty();
                if x.open("TextSource", &attrs, content) {
                    if !s.description.is_empty() {
                        x.text("Description", &s.description);
                    }
                    for sel in &s.selections {
                        write_selection(&mut x, sel);
                    }
                    note_refs(&mut x, &s.notes);
                    x.end("TextSource");
                }
            }
            x.end("Sources");
        }
        if !self.notes.is_empty() {
            x.start("Notes", &[]);
            for n in &self.notes {
                x.start(
                    "Note",
                    &[
                        ("guid", Some(&n.guid)),
                        ("name", filled(&n.name)),
                        ("creatingUser", n.creating_user.as_deref()),
                        ("creationDateTime", n.created.as_deref()),
                    ],
                );
                x.text("PlainTextContent", &n.text);
                x.end("Note");
            }
            x.end("Notes");
        }
        if !self.description.is_empty() {
            x.text("Description", &self.description);
        }
        note_refs(&mut x, &self.project_notes);
        x.end("Project");
        x.out
    }

    /// The code tree, depth-first, without recursion (a validated codebook has no cycles).
    fn write_codes(&self, x: &mut Xml) {
        let mut children: BTreeMap<Option<String>, Vec<&Code>> = BTreeMap::new();
        for code in &self.codebook.codes {
            children
                .entry(code.parent.as_deref().map(normalise_guid))
                .or_default()
                .push(code);
        }
        let mut notes: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for (code, note) in &self.code_notes {
            notes.entry(normalise_guid(code)).or_default().push(note);
        }
        let roots: &[&Code] = children.get(&None).map(Vec::as_slice).unwrap_or_default();
        let mut stack = vec![roots.iter()];
        while let Some(top) = stack.last_mut() {
            let Some(code) = top.next() else {
                stack.pop();
                if !stack.is_empty() {
                    x.end("Code");
                }
                continue;
            };
            let key = normalise_guid(&code.guid);
            let kids: &[&Code] = children.get(&Some(key.clone())).map(Vec::as_slice).unwrap_or_default();
            let its_notes: &[&String] = notes.get(&key).map(Vec::as_slice).unwrap_or_default();
            let attrs = [
                ("guid", Some(code.guid.as_str())),
                ("name", Some(&code.name)),
                ("isCodable", Some(if code.codable { "true" } else { "false" })),
                ("color", code.color.as_deref()),
            ];
            let content = !code.description.is_empty() || !its_notes.is_empty() || !kids.is_empty();
            if x.open("Code", &attrs, content) {
                if !code.description.is_empty() {
                    x.text("Description", &code.description);
                }
                for n in its_notes {
                    x.empty("NoteRef", &[("targetGUID", Some(n))]);
                }
                if kids.is_empty() {
                    x.end("Code");
                } else {
                    stack.push(kids.iter());
                }
            }
        }
    }
}

fn write_selection(x: &mut Xml, sel: &Selection) {
    let (start, end) = (sel.start.to_string(), sel.end.to_string());
    let attrs = [
        ("guid", Some(sel.guid.as_str())),
        ("startPosition", Some(&start)),
        ("endPosition", Some(&end)),
        ("creatingUser", sel.creating_user.as_deref()),
        ("creationDateTime", sel.created.as_deref()),
    ];
    if x.open(
        "PlainTextSelection",
        &attrs,
        !sel.codings.is_empty() || !sel.notes.is_empty(),
    ) {
        for coding in &sel.codings {
            x.start(
                "Coding",
                &[
                    ("guid", Some(&coding.guid)),
                    ("creatingUser", coding.creating_user.as_deref()),
                    ("creationDateTime", coding.created.as_deref()),
                ],
            );
            x.empty("CodeRef", &[("targetGUID", Some(&coding.code))]);
            x.end("Coding");
        }
        note_refs(x, &sel.notes);
        x.end("PlainTextSelection");
    }
}

fn note_refs(x: &mut Xml, notes: &[String]) {
    for n in notes {
        x.empty("NoteRef", &[("targetGUID", Some(n))]);
    }
}

fn filled(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// XML text, indented two spaces a level; text content is written exactly (no indentation
/// inside it).
#[derive(Default)]
struct Xml {
    out: String,
    depth: usize,
}

type Attrs<'a> = [(&'a str, Option<&'a str>)];

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn tag(&mut self, name: &str, attrs: &Attrs<'_>, close: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            if let Some(value) = value {
                self.out.push(' ');
                self.out.push_str(key);
                self.out.push_str("=\"");
                escape_into(&mut self.out, value, true);
                self.out.push('"');
            }
        }
        self.out.push_str(close);
        self.out.push('\n');
    }

    fn start(&mut self, name: &str, attrs: &Attrs<'_>) {
        self.tag(name, attrs, ">");
        self.depth += 1;
    }

    fn empty(&mut self, name: &str, attrs: &Attrs<'_>) {
        self.tag(name, attrs, "/>");
    }

    /// A start tag when the element will have content (true: the caller ends it), else an empty
    /// element.
    fn open(&mut self, name: &str, attrs: &Attrs<'_>, content: bool) -> bool {
        if content {
            self.start(name, attrs);
        } else {
            self.empty(name, attrs);
        }
        content
    }

    fn end(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn text(&mut self, name: &str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text, false);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }
}

/// Escapes markup, and the characters an XML reader would otherwise change: `\r` everywhere
/// (line ends are normalised to `\n`), and in attributes also `\n` and `\t` (attribute values are
/// normalised to spaces).
fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading XML into a small tree.

struct El {
    name: String,
    attrs: Vec<(String, String)>,
    kids: Vec<Kid>,
    /// Byte offset of the start tag in the document.
    at: usize,
}

enum Kid {
    El(El),
    Text(String),
}

impl El {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn elements(&self) -> impl Iterator<Item = &El> {
        self.kids.iter().filter_map(|k| match k {
            Kid::El(e) => Some(e),
            Kid::Text(_) => None,
        })
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    fn child(&self, name: &str) -> Option<&El> {
        self.elements().find(|e| e.name == name)
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for k in &self.kids {
            if let Kid::Text(t) = k {
                s.push_str(t);
            }
        }
        s
    }

    fn child_text(&self, name: &str) -> String {
        self.child(name).map(El::text).unwrap_or_default()
    }
}

/// "project.qde line L, column C" for a byte offset.
fn position(xml: &str, at: usize) -> String {
    let before = xml.as_bytes().get(..at).unwrap_or(xml.as_bytes());
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .filter(|b| (**b & 0xC0) != 0x80)
        .count()
        + 1;
    format!("{PROJECT_FILE} line {line}, column {column}")
}

fn line(xml: &str, at: usize) -> String {
    let before = xml.as_bytes().get(..at).unwrap_or(xml.as_bytes());
    format!(
        "{PROJECT_FILE} line {}",
        before.iter().filter(|b| **b == b'\n').count() + 1
    )
}

fn to_offset(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}

/// An attribute value as an XML reader sees it: white space normalised to spaces, then
/// references resolved.
fn attribute_value(raw: &[u8]) -> Result<String, String> {
    let raw = std::str::from_utf8(raw).map_err(|e| e.to_string())?;
    let spaced = raw.replace("\r\n", " ").replace(['\r', '\n', '\t'], " ");
    quick_xml::escape::unescape(&spaced)
        .map(|v| v.into_owned())
        .map_err(|e| e.to_string())
}

fn element(e: &quick_xml::events::BytesStart<'_>, at: usize, xml: &str) -> Result<El, QdpxProblem> {
    let bad = |reason: String| problem(position(xml, at), reason);
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| bad(err.to_string()))?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = attribute_value(&a.value).map_err(|err| bad(format!("attribute {key}: {err}")))?;
        attrs.push((key, value));
    }
    Ok(El {
        name,
        attrs,
        kids: Vec::new(),
        at,
    })
}

fn push_text(stack: &mut [El], text: &str, at: usize, xml: &str) -> Result<(), QdpxProblem> {
    match stack.last_mut() {
        Some(top) => {
            if let Some(Kid::Text(t)) = top.kids.last_mut() {
                t.push_str(text);
            } else {
                top.kids.push(Kid::Text(text.to_string()));
            }
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(problem(position(xml, at), "text outside the root element")),
    }
}

fn parse(xml: &str) -> Result<El, QdpxProblem> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_comments = true;
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    loop {
        let at = to_offset(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                return Err(problem(
                    position(xml, to_offset(reader.error_position())),
                    e.to_string(),
                ));
            }
        };
        let finished = match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(problem(
                        position(xml, at),
                        format!("elements nested more than {MAX_DEPTH} deep"),
                    ));
                }
                stack.push(element(&e, at, xml)?);
                None
            }
            Event::Empty(e) => Some(element(&e, at, xml)?),
            Event::End(_) => stack.pop(),
            Event::Text(t) => {
                let text = t
                    .xml10_content()
                    .map_err(|e| problem(position(xml, at), e.to_string()))?;
                push_text(&mut stack, &text, at, xml)?;
                None
            }
            Event::CData(t) => {
                let text = t
                    .xml10_content()
                    .map_err(|e| problem(position(xml, at), e.to_string()))?;
                push_text(&mut stack, &text, at, xml)?;
                None
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.decode().map_err(|e| problem(position(xml, at), e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| problem(position(xml, at), format!("unknown entity &{name};")))?
                            .to_string()
                    }
                    Err(e) => return Err(problem(position(xml, at), e.to_string())),
                };
                push_text(&mut stack, &resolved, at, xml)?;
                None
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => None,
        };
        if let Some(el) = finished {
            match stack.last_mut() {
                Some(parent) => parent.kids.push(Kid::El(el)),
                None if root.is_none() => root = Some(el),
                None => return Err(problem(position(xml, el.at), "a second root element")),
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(problem(
            position(xml, xml.len()),
            format!("the document ends inside <{}>", open.name),
        ));
    }
    root.ok_or_else(|| problem(PROJECT_FILE, "there is no XML element in it"))
}

// ---------------------------------------------------------------------------------------------
// Import.

/// The files of a `.qdpx` besides `project.qde`: their text, and the names of those not read as
/// text.
struct Files<'a> {
    texts: &'a BTreeMap<String, String>,
    other: BTreeSet<String>,
}

enum Lookup<'a> {
    Found(&'a str),
    Missing,
    NotText(String),
    Ambiguous(Vec<String>),
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn in_sources_folder(path: &str) -> bool {
    path.get(..SOURCES_FOLDER.len() + 1)
        .is_some_and(|p| p.eq_ignore_ascii_case(&format!("{SOURCES_FOLDER}/")))
}

impl<'a> Files<'a> {
    /// A file named by a source: `internal://NAME` (in `Sources/`), or a relative or absolute
    /// path or URL, found in the zip by its file name.
    fn find(&self, path: &str) -> Lookup<'a> {
        let mut rel = path.trim();
        for scheme in ["internal://", "relative://", "absolute://", "file://"] {
            if rel.get(..scheme.len()).is_some_and(|p| p.eq_ignore_ascii_case(scheme)) {
                rel = rel.get(scheme.len()..).unwrap_or_default();
                break;
            }
        }
        let rel = rel.replace('\\', "/");
        let rel = rel.trim_start_matches('/');
        for exact in [
            format!("{SOURCES_FOLDER}/{rel}"),
            format!("sources/{rel}"),
            rel.to_string(),
        ] {
            if let Some((_, text)) = self.texts.get_key_value(&exact) {
                return Lookup::Found(text.as_str());
            }
        }
        let name = file_name(rel);
        if name.is_empty() {
            return Lookup::Missing;
        }
        let matches: Vec<(&String, &String)> = self
            .texts
            .iter()
            .filter(|(k, _)| file_name(k).eq_ignore_ascii_case(name))
            .collect();
        let in_sources: Vec<&(&String, &String)> = matches.iter().filter(|(k, _)| in_sources_folder(k)).collect();
        match (matches.as_slice(), in_sources.as_slice()) {
            ([(_, text)], _) | (_, [(_, text)]) => Lookup::Found(text.as_str()),
            ([], _) => match self.other.iter().find(|k| file_name(k).eq_ignore_ascii_case(name)) {
                Some(k) => Lookup::NotText(k.clone()),
                None => Lookup::Missing,
            },
            _ => Lookup::Ambiguous(matches.iter().map(|(k, _)| (*k).clone()).collect()),
        }
    }
}

struct Skipped {
    singular: &'static str,
    plural: &'static str,
    count: usize,
}

struct Import<'a> {
    xml: &'a str,
    files: &'a Files<'a>,
    problems: Vec<QdpxProblem>,
    skipped: Vec<Skipped>,
    /// Sources whose text could not be read.
    unread: BTreeSet<String>,
    /// GUIDs of sources of kinds cocare does not import.
    other_sources: BTreeSet<String>,
}

const VALUE_ELEMENTS: [&str; 6] = [
    "TextValue",
    "BooleanValue",
    "IntegerValue",
    "FloatValue",
    "DateValue",
    "DateTimeValue",
];

fn strip_bom(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s)
}

impl<'a> Import<'a> {
    fn skip(&mut self, singular: &'static str, plural: &'static str, count: usize) {
        if count == 0 {
            return;
        }
        match self.skipped.iter_mut().find(|s| s.singular == singular) {
            Some(s) => s.count += count,
            None => self.skipped.push(Skipped {
                singular,
                plural,
                count,
            }),
        }
    }

    fn report(&self) -> Vec<String> {
        self.skipped
            .iter()
            .map(|s| format!("{} {}", s.count, if s.count == 1 { s.singular } else { s.plural }))
            .collect()
    }

    fn problem(&mut self, place: &str, el: &El, reason: impl fmt::Display) {
        let at = line(self.xml, el.at);
        self.problems.push(problem(place, format!("{reason} ({at})")));
    }

    fn guid(el: &El, key: &str) -> String {
        el.attr(key).map(normalise_guid).unwrap_or_default()
    }

    /// An optional attribute; an empty one (as some tools write for "none") is absent.
    fn opt(el: &El, key: &str) -> Option<String> {
        el.attr(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    fn opt_guid(el: &El, key: &str) -> Option<String> {
        Self::opt(el, key).map(|g| normalise_guid(&g))
    }

    fn refs(el: &El, name: &str) -> Vec<String> {
        el.children(name).map(|r| Self::guid(r, "targetGUID")).collect()
    }

    fn project(&mut self, root: &El) -> Project {
        let origin = root.attr("origin").unwrap_or_default().to_string();
        let mut p = Project {
            name: root.attr("name").unwrap_or_default().to_string(),
            origin: origin.clone(),
            description: root.child_text("Description"),
            created: Self::opt(root, "creationDateTime"),
            creating_user: Self::opt_guid(root, "creatingUserGUID"),
            codebook: Codebook {
                origin,
                codes: Vec::new(),
            },
            project_notes: Self::refs(root, "NoteRef"),
            ..Project::default()
        };
        for el in root.elements() {
            match el.name.as_str() {
                "Users" => {
                    p.users = el
                        .children("User")
                        .map(|u| User {
                            guid: Self::guid(u, "guid"),
                            name: u.attr("name").unwrap_or_default().to_string(),
                        })
                        .collect();
                }
                "CodeBook" => {
                    for codes in el.children("Codes") {
                        for code in codes.children("Code") {
                            self.code(code, None, &mut p);
                        }
                    }
                }
                "Variables" => {
                    for v in el.children("Variable") {
                        let name = v.attr("name").unwrap_or_default().to_string();
                        let guid = Self::guid(v, "guid");
                        let kind = match v.attr("typeOfVariable").map(VariableType::parse) {
                            Some(Some(kind)) => kind,
                            Some(None) | None => {
                                let given = v.attr("typeOfVariable").unwrap_or_default().to_string();
                                self.problem(
                                    &named("variable", &name, &guid),
                                    v,
                                    format!(
                                        "typeOfVariable '{given}' is not one of Text, Boolean, Integer, Float, Date, DateTime"
                                    ),
                                );
                                VariableType::Text
                            }
                        };
                        p.variables.push(Variable {
                            guid,
                            name,
                            kind,
                            description: v.child_text("Description"),
                        });
                    }
                }
                "Cases" => {
                    for c in el.children("Case") {
                        let case = self.case(c);
                        p.cases.push(case);
                    }
                }
                "Sources" => {
                    for s in el.elements() {
                        let (singular, plural) = match s.name.as_str() {
                            "TextSource" => {
                                let source = self.text_source(s);
                                p.sources.push(source);
                                continue;
                            }
                            "PDFSource" => ("PDF source", "PDF sources"),
                            "PictureSource" => ("picture source", "picture sources"),
                            "AudioSource" => ("audio source", "audio sources"),
                            "VideoSource" => ("video source", "video sources"),
                            _ => ("source of an unknown kind", "sources of unknown kinds"),
                        };
                        self.skip(singular, plural, 1);
                        self.other_sources.insert(Self::guid(s, "guid"));
                    }
                }
                "Notes" => {
                    for n in el.children("Note") {
                        let note = self.note(n);
                        p.notes.push(note);
                    }
                }
                "Links" => self.skip("link between items", "links between items", el.children("Link").count()),
                "Sets" => self.skip("set", "sets", el.children("Set").count()),
                "Graphs" => self.skip("graph", "graphs", el.children("Graph").count()),
                "Description" | "NoteRef" => {}
                _ => self.skip("unknown project element", "unknown project elements", 1),
            }
        }
        // A case's link to a source cocare did not import goes with it.
        let mut dropped = 0;
        for case in &mut p.cases {
            let before = case.sources.len();
            case.sources.retain(|s| !self.other_sources.contains(s));
            dropped += before - case.sources.len();
        }
        self.skip(
            "link from a case to a source not imported",
            "links from cases to sources not imported",
            dropped,
        );
        p
    }

    fn code(&mut self, el: &El, parent: Option<&str>, p: &mut Project) {
        let guid = Self::guid(el, "guid");
        let name = el.attr("name").unwrap_or_default().to_string();
        let codable = match el.attr("isCodable").map(str::trim) {
            None | Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => {
                let reason = format!("isCodable is '{other}', not true or false");
                self.problem(&named("code", &name, &guid), el, reason);
                true
            }
        };
        p.codebook.codes.push(Code {
            guid: guid.clone(),
            name,
            description: el.child_text("Description"),
            parent: parent.map(str::to_string),
            codable,
            color: Self::opt(el, "color"),
        });
        for note in Self::refs(el, "NoteRef") {
            p.code_notes.push((guid.clone(), note));
        }
        for child in el.children("Code") {
            self.code(child, Some(&guid), p);
        }
    }

    fn case(&mut self, el: &El) -> Case {
        let guid = Self::guid(el, "guid");
        let name = el.attr("name").unwrap_or_default().to_string();
        let mut values = Vec::new();
        let mut empty = 0;
        for vv in el.children("VariableValue") {
            let variable = vv.child("VariableRef").map(|r| Self::guid(r, "targetGUID"));
            let value = vv.elements().find(|e| VALUE_ELEMENTS.contains(&e.name.as_str()));
            match (variable, value) {
                (Some(variable), Some(value)) => {
                    let text = value.text();
                    if value.name == "TextValue" {
                        values.push((variable, text));
                    } else if text.trim().is_empty() {
                        // Tools write `<FloatValue/>` for "no value", which the schema does not allow.
                        empty += 1;
                    } else {
                        values.push((variable, text.trim().to_string()));
                    }
                }
                (None, _) => self.problem(
                    &named("case", &name, &guid),
                    vv,
                    "a variable value without a VariableRef",
                ),
                (Some(_), None) => empty += 1,
            }
        }
        self.skip("empty variable value", "empty variable values", empty);
        self.skip(
            "code linked to a case",
            "codes linked to cases",
            el.children("CodeRef").count(),
        );
        self.skip(
            "selection linked to a case",
            "selections linked to cases",
            el.children("SelectionRef").count(),
        );
        Case {
            description: el.child_text("Description"),
            sources: Self::refs(el, "SourceRef"),
            values,
            guid,
            name,
        }
    }

    /// The plain text of a text source or note: inline, or from the file it names.
    fn plain_text(&mut self, el: &El, place: &str, required: bool) -> Option<String> {
        if let Some(content) = el.child("PlainTextContent") {
            return Some(content.text());
        }
        let Some(path) = el.attr("plainTextPath") else {
            if required {
                self.problem(place, el, "it has neither PlainTextContent nor a plainTextPath");
                return None;
            }
            return Some(String::new());
        };
        match self.files.find(path) {
            Lookup::Found(text) => Some(strip_bom(text).to_string()),
            Lookup::Missing => {
                self.problem(place, el, format!("its text file {path} is not in the .qdpx"));
                None
            }
            Lookup::NotText(name) => {
                self.problem(
                    place,
                    el,
                    format!("its text file {name} is not UTF-8 plain text (.txt)"),
                );
                None
            }
            Lookup::Ambiguous(names) => {
                let reason = format!("its text file {path} could be any of {}", names.join(", "));
                self.problem(place, el, reason);
                None
            }
        }
    }

    fn position(&mut self, el: &El, key: &str, place: &str) -> usize {
        let raw = el.attr(key).unwrap_or_default().trim();
        match raw.strip_prefix('+').unwrap_or(raw).parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                let reason = if raw.is_empty() {
                    format!("it has no {key}")
                } else {
                    format!("its {key} '{raw}' is not a whole number from 0")
                };
                self.problem(place, el, reason);
                0
            }
        }
    }

    fn text_source(&mut self, el: &El) -> TextSource {
        let guid = Self::guid(el, "guid");
        let name = el.attr("name").unwrap_or_default().to_string();
        let place = named("source", &name, &guid);
        let text = self.plain_text(el, &place, true).unwrap_or_else(|| {
            self.unread.insert(guid.clone());
            String::new()
        });
        if el.attr("richTextPath").is_some() {
            self.skip(
                "rich-text file of a source (its plain text was imported)",
                "rich-text files of sources (their plain text was imported)",
                1,
            );
        }
        let mut selections = Vec::new();
        for (i, s) in el.children("PlainTextSelection").enumerate() {
            let splace = format!("{place} selection {}", i + 1);
            let mut codings = Vec::new();
            for c in s.children("Coding") {
                let code = match c.child("CodeRef") {
                    Some(r) => Self::guid(r, "targetGUID"),
                    None => {
                        let reason = format!("coding {} has no CodeRef", codings.len() + 1);
                        self.problem(&splace, c, reason);
                        String::new()
                    }
                };
                self.skip("note on a coding", "notes on codings", c.children("NoteRef").count());
                codings.push(SelectionCoding {
                    guid: Self::guid(c, "guid"),
                    code,
                    creating_user: Self::opt_guid(c, "creatingUser"),
                    created: Self::opt(c, "creationDateTime"),
                });
            }
            if s.child("Description").is_some_and(|d| !d.text().is_empty()) {
                self.skip("description of a selection", "descriptions of selections", 1);
            }
            selections.push(Selection {
                guid: Self::guid(s, "guid"),
                start: self.position(s, "startPosition", &splace),
                end: self.position(s, "endPosition", &splace),
                creating_user: Self::opt_guid(s, "creatingUser"),
                created: Self::opt(s, "creationDateTime"),
                codings,
                notes: Self::refs(s, "NoteRef"),
            });
        }
        self.skip(
            "coding of a whole source",
            "codings of whole sources",
            el.children("Coding").count(),
        );
        self.skip(
            "variable value of a source",
            "variable values of sources",
            el.children("VariableValue").count(),
        );
        let sidecar = el.attr("guid").and_then(|raw| {
            let raw = raw.trim();
            [raw.to_string(), guid.clone()].iter().find_map(|g| {
                match self.files.find(&format!("internal://{g}{SIDECAR_SUFFIX}")) {
                    Lookup::Found(json) => Some(json.to_string()),
                    _ => None,
                }
            })
        });
        TextSource {
            description: el.child_text("Description"),
            text,
            creating_user: Self::opt_guid(el, "creatingUser"),
            created: Self::opt(el, "creationDateTime"),
            selections,
            notes: Self::refs(el, "NoteRef"),
            sidecar,
            guid,
            name,
        }
    }

    fn note(&mut self, el: &El) -> Note {
        let guid = Self::guid(el, "guid");
        let name = el.attr("name").unwrap_or_default().to_string();
        let place = named("note", &name, &guid);
        let text = self.plain_text(el, &place, false).unwrap_or_default();
        if el.child("Description").is_some_and(|d| !d.text().is_empty()) {
            self.skip("description of a note", "descriptions of notes", 1);
        }
        self.skip(
            "selection in a note",
            "selections in notes",
            el.children("PlainTextSelection").count(),
        );
        self.skip("coding of a note", "codings of notes", el.children("Coding").count());
        Note {
            text,
            creating_user: Self::opt_guid(el, "creatingUser"),
            created: Self::opt(el, "creationDateTime"),
            guid,
            name,
        }
    }
}

impl Project {
    /// Reads `project.qde` text, with the other files of its `.qdpx` (name inside the zip →
    /// text) for sources whose text is in a file.
    pub fn from_xml(xml: &str, texts: &BTreeMap<String, String>) -> Result<Project, Vec<QdpxProblem>> {
        Project::from_xml_with_report(xml, texts).map(|(p, _)| p)
    }

    /// As [`Project::from_xml`], with what was not imported (see
    /// [`Project::from_qdpx_with_report`]).
    pub fn from_xml_with_report(
        xml: &str,
        texts: &BTreeMap<String, String>,
    ) -> Result<(Project, Vec<String>), Vec<QdpxProblem>> {
        let files = Files {
            texts,
            other: BTreeSet::new(),
        };
        import(xml, &files, Vec::new())
    }

    /// Reads a `.qdpx`. Text comes from `plainTextPath` files (`internal://` in `Sources/`, or
    /// a relative or absolute path to a file in the zip, found by its file name) or inline
    /// `PlainTextContent`; a UTF-8 byte-order mark at the start of a text file is dropped.
    /// Every problem found is returned, never part of a project.
    pub fn from_qdpx(bytes: &[u8]) -> Result<Project, Vec<QdpxProblem>> {
        Project::from_qdpx_with_report(bytes).map(|(p, _)| p)
    }

    /// As [`Project::from_qdpx`], with a list of what was not imported because cocare does not
    /// model it, e.g. "2 PDF sources", "1 set", "3 codings of whole sources".
    pub fn from_qdpx_with_report(bytes: &[u8]) -> Result<(Project, Vec<String>), Vec<QdpxProblem>> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| vec![problem(".qdpx", format!("this is not a readable zip archive ({e})"))])?;
        let mut problems = Vec::new();
        let mut texts = BTreeMap::new();
        let mut other = BTreeSet::new();
        let mut project: Option<(String, Vec<u8>)> = None;
        let mut budget = MAX_UNPACKED_BYTES;
        for i in 0..archive.len() {
            let mut file = match archive.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(problem(format!(".qdpx entry {}", i + 1), e.to_string()));
                    continue;
                }
            };
            if file.is_dir() {
                continue;
            }
            let name = match file.name() {
                Ok(n) => n.into_owned(),
                Err(e) => {
                    problems.push(problem(format!(".qdpx entry {}", i + 1), e.to_string()));
                    continue;
                }
            };
            let lower = name.to_ascii_lowercase();
            let is_project = file_name(&lower) == PROJECT_FILE;
            if !(is_project || lower.ends_with(".txt") || lower.ends_with(".json")) {
                other.insert(name);
                continue;
            }
            let mut data = Vec::new();
            if let Err(e) = (&mut file).take(budget.saturating_add(1)).read_to_end(&mut data) {
                problems.push(problem(&name, format!("it cannot be unpacked ({e})")));
                continue;
            }
            let size = u64::try_from(data.len()).unwrap_or(u64::MAX);
            if size > budget {
                problems.push(problem(
                    ".qdpx",
                    format!("it unpacks to more than {} MiB", MAX_UNPACKED_BYTES / (1024 * 1024)),
                ));
                return Err(problems);
            }
            budget -= size;
            if is_project {
                // The one at the top of the zip, else the first found.
                let top = !name.contains(['/', '\\']);
                if project.as_ref().is_none_or(|(n, _)| top && n.contains(['/', '\\'])) {
                    project = Some((name, data));
                }
                continue;
            }
            match String::from_utf8(data) {
                Ok(text) => {
                    texts.insert(name, text);
                }
                Err(_) => {
                    other.insert(name);
                }
            }
        }
        let Some((name, data)) = project else {
            problems.push(problem(
                ".qdpx",
                format!("there is no {PROJECT_FILE} in it: this is not a REFI-QDA project"),
            ));
            return Err(problems);
        };
        let xml = match String::from_utf8(data) {
            Ok(xml) => xml,
            Err(e) => {
                problems.push(problem(&name, format!("it is not UTF-8 text ({e})")));
                return Err(problems);
            }
        };
        let files = Files { texts: &texts, other };
        import(&xml, &files, problems)
    }
}

fn import(
    xml: &str,
    files: &Files<'_>,
    mut problems: Vec<QdpxProblem>,
) -> Result<(Project, Vec<String>), Vec<QdpxProblem>> {
    let xml = strip_bom(xml);
    let root = match parse(xml) {
        Ok(root) => root,
        Err(p) => {
            problems.push(p);
            return Err(problems);
        }
    };
    if root.name != "Project" {
        problems.push(problem(
            PROJECT_FILE,
            format!(
                "its root element is <{}>, not <Project>: this is not a REFI-QDA project",
                root.name
            ),
        ));
        return Err(problems);
    }
    let mut import = Import {
        xml,
        files,
        problems,
        skipped: Vec::new(),
        unread: BTreeSet::new(),
        other_sources: BTreeSet::new(),
    };
    let project = import.project(&root);
    let mut problems = std::mem::take(&mut import.problems);
    if let Err(found) = project.check(&import.unread) {
        problems.extend(found);
    }
    if problems.is_empty() {
        Ok((project, import.report()))
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_types_read_as_the_standard_writes_them() {
        for ok in ["0", "-12", "+7", "0042"] {
            assert!(valid_integer(ok), "{ok}");
        }
        for bad in ["", "1.0", "abc", " 1", "1e3", "+"] {
            assert!(!valid_integer(bad), "{bad}");
        }
        for ok in ["1", "1.5", "-.5", "5.", "+0.000"] {
            assert!(valid_decimal(ok), "{ok}");
        }
        for bad in [".", "1e5", "NaN", "1,5", ""] {
            assert!(!valid_decimal(bad), "{bad}");
        }
        for ok in [
            "2026-11-24T10:00:00Z",
            "2024-02-29T23:59:59.125+14:00",
            "2026-01-01T00:00:00",
            "-0044-03-15T12:00:00-05:30",
        ] {
            assert!(valid_date_time(ok), "{ok}");
        }
        for bad in [
            "2026-11-24",
            "2023-02-29T10:00:00Z",
            "2026-11-24 10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T10:00:00+15:00",
            "2026-11-24T10:00Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(!valid_date_time(bad), "{bad}");
        }
        assert!(valid_date("2026-11-24") && valid_date("2026-11-24Z") && !valid_date("2026-11-31"));
    }

    #[test]
    fn guids_are_normalised_and_escaping_survives_readers() {
        assert_eq!(
            normalise_guid(" {0A1B2C3D-0000-4000-8000-00000000ABCD} "),
            "0a1b2c3d-0000-4000-8000-00000000abcd"
        );
        assert_eq!(normalise_guid("nope"), "nope");
        let mut out = String::new();
        escape_into(&mut out, "a\r\n\t\"<&>", true);
        assert_eq!(out, "a&#13;&#10;&#9;&quot;&lt;&amp;&gt;");
        assert_eq!(attribute_value(out.as_bytes()).unwrap(), "a\r\n\t\"<&>");
        assert_eq!(attribute_value(b"a\r\nb\tc").unwrap(), "a b c");
    }

    #[test]
    fn files_are_found_by_internal_path_or_file_name() {
        let texts: BTreeMap<String, String> = [
            ("Sources/a.txt", "A"),
            ("sources/b.txt", "B"),
            ("docs/c.txt", "C"),
            ("x/d.txt", "D1"),
            ("y/d.txt", "D2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let files = Files {
            texts: &texts,
            other: ["Sources/e.pdf".to_string()].into(),
        };
        assert!(matches!(files.find("internal://a.txt"), Lookup::Found("A")));
        assert!(matches!(files.find("internal://b.txt"), Lookup::Found("B")));
        assert!(matches!(
            files.find("absolute://C:\\Users\\x\\c.txt"),
            Lookup::Found("C")
        ));
        assert!(matches!(files.find("relative:///C.TXT"), Lookup::Found("C")));
        assert!(matches!(files.find("internal://d.txt"), Lookup::Ambiguous(_)));
        assert!(matches!(files.find("internal://e.pdf"), Lookup::NotText(_)));
        assert!(matches!(files.find("internal://f.txt"), Lookup::Missing));
        assert!(matches!(files.find("internal://"), Lookup::Missing));
    }

    #[test]
    fn xml_errors_name_line_and_column() {
        let err = parse("<Project>\n  <Users>\n</Project>").err().unwrap();
        assert!(err.place.starts_with("project.qde line 3"), "{err}");
        let err = parse("<a>&bogus;</a>").err().unwrap();
        assert!(err.reason.contains("bogus"), "{err}");
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).err().unwrap().reason.contains("nested"));
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("<a>").is_err());
        assert!(parse("").is_err());
    }
}
