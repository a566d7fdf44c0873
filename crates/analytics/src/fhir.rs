//! FHIR R4 Bundles in: Patient, Encounter, EpisodeOfCare, Condition and Observation become rows
//! of the layout, and go through the same validation as CSV lines. The "line" of a rejection is
//! the entry's position in the bundle (from 1); the field names the FHIR element.
//!
//! Mapping:
//! - Patient: `id` → source_id; `birthDate` → year of birth; `gender` → sex; the UK Core
//!   ethnic category extension → ethnicity (99, not known, when absent). Names, identifiers,
//!   addresses and telecoms are dropped.
//! - Encounter with `class.code` IMP, ACUTE or NONAC → a hospital spell (`id`, `period`);
//!   EMER → an A&E attendance; any other class → a care contact with `serviceType` as the
//!   service and `status` finished/arrived/in-progress as attended, cancelled as not.
//! - EpisodeOfCare → a referral to the service in `type`, on `period.start`.
//! - Condition with an ICD-10 coding (`http://hl7.org/fhir/sid/icd-10`) → a diagnosis on
//!   `recordedDate` or `onsetDateTime`.
//! - Observation → an outcome: `code.coding[0].code` as the measure, `valueQuantity.value`,
//!   `effectiveDateTime`.

use std::path::PathBuf;

use cocare_records::layout::{Context, EventIn, FileKind, Header, PersonIn, Rejection};
use serde_json::Value;

use crate::Error;

#[derive(Default)]
pub struct FhirRows {
    pub people: Vec<(String, u64, PersonIn)>,
    pub events: Vec<(String, u64, EventIn)>,
    pub files: Vec<(String, u64)>,
}

const KNOWN: &str = "Patient, Encounter, EpisodeOfCare, Condition, Observation";

pub fn read_bundles(paths: &[PathBuf], ctx: &Context, reject: &dyn Fn(Rejection)) -> Result<FhirRows, Error> {
    let mut out = FhirRows::default();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let fail = |reason: String| Rejection {
            file: name.clone(),
            line: 0,
            field: None,
            reason,
        };
        let bundle: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                reject(fail(format!("is not JSON: {e}")));
                continue;
            }
        };
        if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
            reject(fail("is not a FHIR Bundle (resourceType must be \"Bundle\")".into()));
            continue;
        }
        let entries = bundle
            .get("entry")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut rows = 0u64;
        for (i, entry) in entries.iter().enumerate() {
            let line = i as u64 + 1;
            let Some(resource) = entry.get("resource") else {
                reject(Rejection {
                    file: name.clone(),
                    line,
                    field: Some(format!("entry[{i}]")),
                    reason: "has no resource".into(),
                });
                continue;
            };
            let kind = resource.get("resourceType").and_then(Value::as_str).unwrap_or("");
            let mapped = match kind {
                "Patient" => patient(resource),
                "Encounter" => encounter(resource),
                "EpisodeOfCare" => episode(resource),
                "Condition" => condition(resource),
                "Observation" => observation(resource),
                other => {
                    reject(Rejection {
                        file: name.clone(),
                        line,
                        field: Some(format!("entry[{i}].resource.resourceType")),
                        reason: format!("{other:?} is not a resource type cocare imports ({KNOWN})"),
                    });
                    continue;
                }
            };
            let (file_kind, columns) = match mapped {
                Ok(m) => m,
                Err((path, reason)) => {
                    reject(Rejection {
                        file: name.clone(),
                        line,
                        field: Some(format!("entry[{i}].resource.{path}")),
                        reason,
                    });
                    continue;
                }
            };
            let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
            let values: Vec<String> = columns.iter().map(|(_, v)| v.clone()).collect();
            let header = match Header::new(file_kind, &name, &names) {
                Ok(h) => h,
                Err(r) => {
                    reject(r);
                    continue;
                }
            };
            let l = header.line(line, &values, ctx);
            let rename = |mut r: Rejection| {
                let element = r.field.as_deref().map(|f| fhir_element(kind, f)).unwrap_or_default();
                r.field = Some(format!("entry[{i}].resource.{element}"));
                r
            };
            rows += 1;
            if file_kind == FileKind::People {
                match l.person() {
                    Ok(p) => out.people.push((name.clone(), line, p)),
                    Err(r) => reject(rename(r)),
                }
            } else {
                match l.event() {
                    Ok(e) => out.events.push((name.clone(), line, e)),
                    Err(r) => reject(rename(r)),
                }
            }
        }
        out.files.push((name, rows));
    }
    Ok(out)
}

type Mapped = Result<(FileKind, Vec<(&'static str, String)>), (String, String)>;

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut at = v;
    for p in path {
        at = match p.parse::<usize>() {
            Ok(i) => at.get(i)?,
            Err(_) => at.get(*p)?,
        };
    }
    match at {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn date_part(s: Option<String>) -> String {
    s.map(|s| s.chars().take(10).collect()).unwrap_or_default()
}

fn subject(r: &Value) -> Result<String, (String, String)> {
    let reference = text(r, &["subject", "reference"]).unwrap_or_default();
    reference.strip_prefix("Patient/").map(str::to_string).ok_or_else(|| {
        (
            "subject.reference".into(),
            format!("{reference:?} does not refer to a Patient (Patient/<id>)"),
        )
    })
}

fn patient(r: &Value) -> Mapped {
    let id = text(r, &["id"]).ok_or(("id".to_string(), "a Patient needs an id".to_string()))?;
    let birth = text(r, &["birthDate"]).unwrap_or_default();
    let year = birth.chars().take(4).collect::<String>();
    let sex = match text(r, &["gender"]).as_deref() {
        Some("male") => "male",
        Some("female") => "female",
        _ => "not_stated",
    };
    let ethnicity = r
        .get("extension")
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter()
                .find(|e| text(e, &["url"]).is_some_and(|u| u.ends_with("EthnicCategory")))
        })
        .and_then(|e| text(e, &["valueCodeableConcept", "coding", "0", "code"]))
        .unwrap_or_else(|| "99".into());
    Ok((
        FileKind::People,
        vec![
            ("source_id", id),
            ("year_of_birth", year),
            ("sex", sex.into()),
            ("ethnicity", ethnicity),
        ],
    ))
}

fn encounter(r: &Value) -> Mapped {
    let who = subject(r)?;
    let status = text(r, &["status"]).unwrap_or_default();
    if matches!(status.as_str(), "entered-in-error" | "planned" | "unknown" | "") {
        return Err((
            "status".into(),
            format!(
                "an Encounter with status {status:?} did not happen as recorded; give finished, arrived, in-progress, onleave or cancelled"
            ),
        ));
    }
    let class = text(r, &["class", "code"]).unwrap_or_default();
    let start = date_part(text(r, &["period", "start"]));
    match class.as_str() {
        "IMP" | "ACUTE" | "NONAC" => {
            let id = text(r, &["id"]).ok_or(("id".to_string(), "an inpatient Encounter needs an id".to_string()))?;
            Ok((
                FileKind::Spells,
                vec![
                    ("source_id", who),
                    ("spell_id", id),
                    ("admitted", start),
                    ("discharged", date_part(text(r, &["period", "end"]))),
                ],
            ))
        }
        "EMER" => Ok((
            FileKind::AgencyContacts,
            vec![("source_id", who), ("date", start), ("agency", "ae".into())],
        )),
        _ => {
            let attended = match text(r, &["status"]).as_deref() {
                Some("cancelled") => "no",
                _ => "yes",
            };
            Ok((
                FileKind::Contacts,
                vec![
                    ("source_id", who),
                    ("date", start),
                    (
                        "service",
                        text(r, &["serviceType", "coding", "0", "code"]).unwrap_or_default(),
                    ),
                    ("attended", attended.into()),
                ],
            ))
        }
    }
}

fn episode(r: &Value) -> Mapped {
    let who = text(r, &["patient", "reference"])
        .and_then(|s| s.strip_prefix("Patient/").map(str::to_string))
        .ok_or((
            "patient.reference".to_string(),
            "does not refer to a Patient (Patient/<id>)".to_string(),
        ))?;
    Ok((
        FileKind::Referrals,
        vec![
            ("source_id", who),
            ("date", date_part(text(r, &["period", "start"]))),
            (
                "service",
                text(r, &["type", "0", "coding", "0", "code"]).unwrap_or_default(),
            ),
            ("source", "other".into()),
        ],
    ))
}

fn condition(r: &Value) -> Mapped {
    let who = subject(r)?;
    let code = r
        .get("code")
        .and_then(|c| c.get("coding"))
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter()
                .find(|c| text(c, &["system"]).is_some_and(|s| s.contains("icd-10")))
        })
        .and_then(|c| text(c, &["code"]))
        .ok_or((
            "code.coding".to_string(),
            "has no ICD-10 coding (system http://hl7.org/fhir/sid/icd-10)".to_string(),
        ))?;
    let date = date_part(text(r, &["recordedDate"]).or_else(|| text(r, &["onsetDateTime"])));
    Ok((
        FileKind::Diagnoses,
        vec![("source_id", who), ("date", date), ("icd10", code)],
    ))
}

fn observation(r: &Value) -> Mapped {
    let who = subject(r)?;
    Ok((
        FileKind::Outcomes,
        vec![
            ("source_id", who),
            ("date", date_part(text(r, &["effectiveDateTime"]))),
            ("measure", text(r, &["code", "coding", "0", "code"]).unwrap_or_default()),
            ("value", text(r, &["valueQuantity", "value"]).unwrap_or_default()),
        ],
    ))
}

/// The FHIR element a layout column came from, for error messages.
fn fhir_element(resource: &str, column: &str) -> String {
    let element = match (resource, column) {
        (_, "source_id") => {
            if resource == "Patient" {
                "id"
            } else {
                "subject.reference"
            }
        }
        ("Patient", "year_of_birth") => "birthDate",
        ("Patient", "sex") => "gender",
        ("Patient", "ethnicity") => "extension(EthnicCategory)",
        ("Encounter", "admitted" | "date") => "period.start",
        ("Encounter", "discharged") => "period.end",
        ("Encounter", "service") => "serviceType",
        ("EpisodeOfCare", "date") => "period.start",
        ("EpisodeOfCare", "service") => "type",
        ("Condition", "icd10") => "code",
        ("Condition", "date") => "recordedDate",
        ("Observation", "date") => "effectiveDateTime",
        ("Observation", "measure") => "code",
        ("Observation", "value") => "valueQuantity.value",
        (_, other) => other,
    };
    element.to_string()
}
