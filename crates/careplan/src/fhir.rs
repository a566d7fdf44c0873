//! HL7 FHIR R4 export of a person's care plan as a Bundle: Patient, CarePlan, Goal, CareTeam,
//! RelatedPerson, Consent, Questionnaire and Provenance for every attributed contribution.
//! Pure: it takes plain values and returns JSON; the tests validate the output with an
//! independent FHIR parser (fhirclient, strict).

use serde_json::{Value, json};

use crate::measures::ALL as QUESTIONNAIRES;
use crate::{CarePlan, PlanStatus, Voice};

/// The person the plan belongs to, as FHIR needs them.
pub struct PatientFacts<'a> {
    pub id: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    /// As recorded ("Woman", "Man", "Non-binary", …).
    pub gender: &'a str,
    /// `YYYY-MM-DD`.
    pub birth_date: &'a str,
}

pub struct CarerFacts<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub relationship: &'a str,
}

/// A completed questionnaire: its answers as (item id, value) pairs.
pub struct ResponseFacts<'a> {
    pub id: &'a str,
    pub questionnaire: &'a str,
    pub answers: Vec<(String, u32)>,
    pub authored: &'a str,
}

pub struct ConsentFacts<'a> {
    pub id: &'a str,
    /// The carer's id, for consents to a carer; `None` for research.
    pub carer: Option<&'a str>,
    pub parts: Vec<&'a str>,
    pub recorded_at: &'a str,
    pub in_force: bool,
}

fn gender(recorded: &str) -> &'static str {
    match recorded {
        "Woman" | "Female" => "female",
        "Man" | "Male" => "male",
        "" => "unknown",
        _ => "other",
    }
}

fn plan_status(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Draft | PlanStatus::UnderReview => "draft",
        PlanStatus::Agreed | PlanStatus::Active => "active",
        PlanStatus::Superseded => "revoked",
    }
}

fn instant(at: cocare_core::Timestamp) -> String {
    cocare_core::format_timestamp(at)
}

/// Builds the Bundle. `plan_id` names the CarePlan resource; ids must be FHIR ids
/// (letters, digits, `-`, `.`, at most 64), which UUIDs are.
pub fn bundle(
    patient: &PatientFacts<'_>,
    plan: Option<(&str, &CarePlan)>,
    carers: &[CarerFacts<'_>],
    consents: &[ConsentFacts<'_>],
    responses: &[ResponseFacts<'_>],
) -> Value {
    let empty = CarePlan::new();
    let (plan_id, plan, has_plan) = match plan {
        Some((id, plan)) => (id, plan, true),
        None => (patient.id, &empty, false),
    };
    let patient_ref = format!("Patient/{}", patient.id);
    let mut entries: Vec<Value> = Vec::new();
    let mut push = |resource: Value| {
        let field = |name: &str| {
            resource
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (kind, id) = (field("resourceType"), field("id"));
        entries.push(json!({ "fullUrl": format!("https://cocare.invalid/fhir/{kind}/{id}"), "resource": resource }));
    };
    push(json!({
        "resourceType": "Patient",
        "id": patient.id,
        "name": [{ "given": [patient.given_name], "family": patient.family_name }],
        "gender": gender(patient.gender),
        "birthDate": patient.birth_date,
    }));
    for carer in carers {
        push(json!({
            "resourceType": "RelatedPerson",
            "id": carer.id,
            "patient": { "reference": patient_ref },
            "relationship": [{ "text": carer.relationship }],
            "name": [{ "text": carer.name }],
        }));
    }
    let goal_ids: Vec<String> = (1..=plan.goals.len()).map(|n| format!("{plan_id}-goal-{n}")).collect();
    for (goal, id) in plan.goals.iter().zip(&goal_ids) {
        push(json!({
            "resourceType": "Goal",
            "id": id,
            "lifecycleStatus": "active",
            "description": { "text": goal.text },
            "subject": { "reference": patient_ref },
            "expressedBy": { "reference": patient_ref },
            "startDate": goal.by.at.format("%Y-%m-%d").to_string(),
        }));
    }
    // The care team: everyone who wrote in the plan in a professional voice.
    let mut team: Vec<String> = plan
        .contributions
        .iter()
        .filter(|c| c.voice == Voice::Clinical)
        .map(|c| c.by.author.clone())
        .chain(plan.finalised.iter().map(|f| f.author.clone()))
        .collect();
    team.sort();
    team.dedup();
    let team_id = format!("{plan_id}-team");
    if has_plan {
        push(json!({
            "resourceType": "CareTeam",
            "id": team_id,
            "status": "active",
            "subject": { "reference": patient_ref },
            "participant": team.iter().map(|name| json!({
                "role": [{ "text": "Care coordinator" }],
                "member": { "display": name },
            })).chain(carers.iter().map(|carer| json!({
                "role": [{ "text": "Carer" }],
                "member": { "reference": format!("RelatedPerson/{}", carer.id), "display": carer.name },
            }))).collect::<Vec<_>>(),
        }));
        // Words in every voice, as notes attributed to their authors; goals' actions as activities.
        let notes: Vec<Value> = plan
            .contributions
            .iter()
            .map(|c| {
                let voice = match c.voice {
                    Voice::ServiceUser => "in their own words",
                    Voice::Carer => "carer",
                    Voice::Clinical => "clinical wording",
                };
                json!({
                    "authorString": c.by.author,
                    "time": instant(c.by.at),
                    "text": format!("{} ({voice}): {}", c.section.heading(), c.text),
                })
            })
            .collect();
        let activities: Vec<Value> = plan
        .goals
        .iter()
        .zip(&goal_ids)
        .flat_map(|(goal, goal_id)| {
            goal.actions.iter().map(move |action| {
                let mut detail = json!({
                    "status": "not-started",
                    "description": format!("{} (who: {})", action.what, if action.who.is_empty() { "not set" } else { &action.who }),
                    "goal": [{ "reference": format!("Goal/{goal_id}") }],
                });
                if let (false, Some(fields)) = (action.by_when.is_empty(), detail.as_object_mut()) {
                    fields.insert("scheduledString".into(), json!(format!("by {}", action.by_when)));
                }
                json!({ "detail": detail })
            })
        })
        .collect();
        let mut care_plan = json!({
            "resourceType": "CarePlan",
            "id": plan_id,
            "status": plan_status(plan.status),
            "intent": "plan",
            "title": format!("Care plan, version {}", plan.version),
            "subject": { "reference": patient_ref },
            "careTeam": [{ "reference": format!("CareTeam/{team_id}") }],
            "goal": goal_ids.iter().map(|id| json!({ "reference": format!("Goal/{id}") })).collect::<Vec<_>>(),
        });
        if let Some(fields) = care_plan.as_object_mut() {
            if !notes.is_empty() {
                fields.insert("note".into(), json!(notes));
            }
            if !activities.is_empty() {
                fields.insert("activity".into(), json!(activities));
            }
        }
        push(care_plan);
    }
    for consent in consents {
        let mut provision = serde_json::Map::new();
        provision.insert("type".into(), json!("permit"));
        if let Some(carer) = consent.carer {
            provision.insert("actor".into(), json!([{
                "role": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "CAREGIVER" }] },
                "reference": { "reference": format!("RelatedPerson/{carer}") },
            }]));
        }
        provision.insert(
            "code".into(),
            json!(consent.parts.iter().map(|p| json!({ "text": p })).collect::<Vec<_>>()),
        );
        push(json!({
            "resourceType": "Consent",
            "id": consent.id,
            "status": if consent.in_force { "active" } else { "inactive" },
            "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": if consent.carer.is_some() { "patient-privacy" } else { "research" } }] },
            "category": [{ "coding": [{ "system": "http://loinc.org", "code": "59284-0" }] }],
            "patient": { "reference": patient_ref },
            "dateTime": consent.recorded_at,
            "policyRule": { "text": "Shared by the service user's own choice, withdrawable at any time" },
            "provision": provision,
        }));
    }
    for questionnaire in QUESTIONNAIRES {
        push(json!({
            "resourceType": "Questionnaire",
            "id": questionnaire.id.replace('_', "-"),
            "status": "active",
            "title": questionnaire.title,
            "description": questionnaire.source,
            "item": questionnaire.items.iter().map(|item| json!({
                "linkId": item.id,
                "text": item.text,
                "type": "choice",
                "answerOption": questionnaire.options.iter().map(|(value, label)| json!({
                    "valueCoding": { "code": value.to_string(), "display": label },
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }));
    }
    for response in responses {
        let Some(definition) = crate::Questionnaire::by_id(response.questionnaire) else {
            continue;
        };
        push(json!({
            "resourceType": "QuestionnaireResponse",
            "id": response.id,
            "questionnaire": format!("https://cocare.invalid/fhir/Questionnaire/{}", definition.id.replace('_', "-")),
            "status": "completed",
            "subject": { "reference": patient_ref },
            "authored": response.authored,
            "item": response.answers.iter().filter_map(|(item, value)| {
                let question = definition.items.iter().find(|i| i.id == item)?;
                let label = definition.options.iter().find(|(v, _)| v == value).map(|(_, l)| *l)?;
                Some(json!({
                    "linkId": question.id,
                    "text": question.text,
                    "answer": [{ "valueCoding": { "code": value.to_string(), "display": label } }],
                }))
            }).collect::<Vec<_>>(),
        }));
    }
    // Provenance: who wrote each part of the plan, in which role, and when.
    for (n, c) in plan.contributions.iter().enumerate() {
        push(json!({
            "resourceType": "Provenance",
            "id": format!("{plan_id}-prov-{}", n + 1),
            "target": [{ "reference": format!("CarePlan/{plan_id}") }],
            "recorded": instant(c.by.at),
            "agent": [{
                "type": { "text": c.by.role.label() },
                "who": { "display": c.by.author },
            }],
        }));
    }
    json!({ "resourceType": "Bundle", "id": format!("{}-bundle", patient.id), "type": "collection", "entry": entries })
}
