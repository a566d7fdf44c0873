//! People (service users and their carers) and the consent decisions service users make.

use cocare_core::{Actor, ConsentId, ConsentRecipient, PersonId, Role, SharedPart, TeamId};
use cocare_policy::{Action, Permit, PersonScope, Resource, decide};
use cocare_store::{CarerLinkRow, ConsentRow, NewConsent, PersonRow, WriteTxn};
use serde::Serialize;

use crate::error::Checks;
use crate::{App, AppError};

/// One line of a caseload or list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonSummary {
    pub id: PersonId,
    pub name: String,
    pub team: Option<String>,
    /// Absent for carers, who see only what is shared with them.
    pub date_of_birth: Option<String>,
}

/// A consent decision, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentView {
    pub id: ConsentId,
    pub recipient: String,
    pub purpose: String,
    pub parts: Vec<&'static str>,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub withdrawn_at: Option<String>,
    pub in_force: bool,
}

/// A person's record as the actor may see it.
#[derive(Debug, Clone, Serialize)]
pub struct PersonDetail {
    pub person: PersonRow,
    /// The role under which the actor sees this record.
    pub viewed_as: Role,
    /// Carers linked to the person (only for those who may read consent settings).
    pub carers: Vec<CarerLinkRow>,
    /// Every consent decision, withdrawn ones included (`None` when the actor may not see them).
    pub consents: Option<Vec<ConsentView>>,
    /// For a carer: what this person has chosen to share with them.
    pub shared_with_me: Vec<&'static str>,
    pub can_record_consent: bool,
    /// False for carers: they see the person's name and what is shared with them, not the
    /// clinical record's demographic fields (which are then blank).
    pub demographics_shared: bool,
}

/// The consent form as typed (all strings), checked by `record_consent`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentForm {
    /// `carer:<person id>` or `research`.
    pub recipient: String,
    pub parts: Vec<String>,
    pub note: String,
}

fn consent_view(row: &ConsentRow) -> ConsentView {
    let parts = SharedPart::parse_scope(&row.scope).unwrap_or_default();
    ConsentView {
        id: row.id,
        recipient: match (row.recipient.as_str(), &row.recipient_name) {
            ("carer", Some(name)) => format!("{name} (carer)"),
            ("research", _) => "Research and evaluation (pseudonymised)".to_owned(),
            (other, _) => other.to_owned(),
        },
        purpose: match row.purpose.as_str() {
            "care_planning" => "Planning my care together".to_owned(),
            "research" => "Research and service evaluation".to_owned(),
            other => other.to_owned(),
        },
        parts: parts.iter().map(|p| p.label()).collect(),
        note: row.note.clone(),
        recorded_by: row.recorded_by.clone(),
        recorded_at: row.recorded_at.clone(),
        withdrawn_at: row.withdrawn_at.clone(),
        in_force: row.withdrawn_at.is_none(),
    }
}

impl App {
    /// Asks the policy about one person. A refusal ends the transaction (nothing in it is kept),
    /// is audited in a transaction of its own, and is answered as not found.
    pub(crate) async fn decide_person(
        &self,
        mut tx: WriteTxn,
        actor: &Actor,
        action: Action,
        person: PersonId,
    ) -> Result<(WriteTxn, Permit, PersonScope), AppError> {
        let Some(scope) = tx.person_scope(person).await? else {
            return Err(AppError::NotFound);
        };
        match decide(actor, action, &Resource::Person(&scope)) {
            Ok(permit) => Ok((tx, permit, scope)),
            Err(denied) => {
                drop(tx);
                self.audit_denial(actor, action.audit_name(), &format!("person:{person}"))
                    .await?;
                Err(denied.into())
            }
        }
    }

    /// The people this actor works with or is: a clinician's team caseload, a service user's
    /// own record, the people who share with a carer.
    pub async fn list_people(&self, actor: &Actor) -> Result<Vec<PersonSummary>, AppError> {
        let permit = decide(actor, Action::ListPeople, &Resource::Own)?;
        let teams: Vec<TeamId> = actor
            .grants
            .iter()
            .filter(|g| matches!(g.role, Role::Clinician | Role::TeamLead))
            .filter_map(|g| g.team)
            .collect();
        let mut tx = self.store.begin_write().await?;
        let mut ids = Vec::new();
        if let Some(me) = actor.person {
            if actor.has_role(Role::ServiceUser) {
                ids.push(me);
            }
            if actor.has_role(Role::Carer) {
                ids.extend(tx.people_sharing_with(me).await?);
            }
        }
        let subject = if teams.is_empty() {
            "people:own".to_owned()
        } else {
            format!(
                "people:teams:{}",
                teams.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",")
            )
        };
        let rows = tx.list_people(&permit, &teams, &ids, &subject).await?;
        // Every row is checked through the policy again: the query proposes, the policy decides.
        let mut visible = Vec::with_capacity(rows.len());
        for row in rows {
            let role = match tx.person_scope(row.id).await? {
                Some(scope) => decide(actor, Action::ReadPerson, &Resource::Person(&scope))
                    .ok()
                    .and_then(|p| p.role()),
                None => None,
            };
            // A carer sees the name of the person who shares with them, not their clinical record.
            let record_shown = role.is_some_and(|r| r != Role::Carer);
            if role.is_some() {
                visible.push(PersonSummary {
                    id: row.id,
                    name: format!("{} {}", row.given_name, row.family_name),
                    team: row.team_name.filter(|_| record_shown),
                    date_of_birth: record_shown.then_some(row.date_of_birth),
                });
            }
        }
        tx.commit().await?;
        Ok(visible)
    }

    pub async fn person(&self, actor: &Actor, person: PersonId) -> Result<PersonDetail, AppError> {
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, scope) = self.decide_person(tx, actor, Action::ReadPerson, person).await?;
        let Some(row) = tx.read_person(&permit, person).await? else {
            return Err(AppError::NotFound);
        };
        let consent_permit = decide(actor, Action::ReadConsents, &Resource::Person(&scope)).ok();
        let (carers, consents) = match &consent_permit {
            Some(consent_permit) => {
                let carers = tx.carers_of(consent_permit, person).await?;
                let consents = tx.consents_of(consent_permit, person).await?;
                (carers, Some(consents.iter().map(consent_view).collect()))
            }
            None => (Vec::new(), None),
        };
        let mut shared_with_me = Vec::new();
        if permit.role() == Some(Role::Carer)
            && let Some(me) = actor.person
        {
            for scope in tx.shared_with_carer(&permit, person, me).await? {
                for part in SharedPart::parse_scope(&scope).unwrap_or_default() {
                    if !shared_with_me.contains(&part.label()) {
                        shared_with_me.push(part.label());
                    }
                }
            }
        }
        let can_record_consent = decide(actor, Action::RecordConsent, &Resource::Person(&scope)).is_ok();
        tx.commit().await?;
        let demographics_shared = permit.role() != Some(Role::Carer);
        let mut row = row;
        if !demographics_shared {
            for field in [
                &mut row.date_of_birth,
                &mut row.gender,
                &mut row.ethnicity,
                &mut row.preferred_language,
            ] {
                field.clear();
            }
            row.team_id = None;
            row.team_name = None;
        }
        Ok(PersonDetail {
            demographics_shared,
            viewed_as: permit.role().unwrap_or(Role::Admin),
            person: row,
            carers,
            consents,
            shared_with_me,
            can_record_consent,
        })
    }

    /// Records a consent decision. Validation errors name the field; nothing is written then.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        person: PersonId,
        form: &ConsentForm,
    ) -> Result<ConsentId, AppError> {
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, _) = self.decide_person(tx, actor, Action::RecordConsent, person).await?;
        let carers = tx.carers_of(&permit, person).await?;
        let mut checks = Checks::default();
        let recipient = form.recipient.trim();
        let (kind, recipient_person) = if recipient == "research" {
            (Some(ConsentRecipient::Research), None)
        } else if let Some(raw) = recipient.strip_prefix("carer:") {
            match PersonId::parse(raw) {
                Ok(carer) if carers.iter().any(|c| c.carer_id == carer) => (Some(ConsentRecipient::Carer), Some(carer)),
                _ => {
                    checks.fail("recipient", "Choose one of this person's carers, or research");
                    (None, None)
                }
            }
        } else {
            checks.fail("recipient", "Choose who this consent is for");
            (None, None)
        };
        let allowed: &[SharedPart] = match kind {
            Some(ConsentRecipient::Research) => &SharedPart::FOR_RESEARCH,
            _ => &SharedPart::FOR_CARERS,
        };
        let mut parts = Vec::new();
        for raw in &form.parts {
            match SharedPart::parse(raw).filter(|p| allowed.contains(p)) {
                Some(part) if !parts.contains(&part) => parts.push(part),
                Some(_) => {}
                None => checks.fail("parts", "Choose only from the parts listed for this recipient"),
            }
        }
        if parts.is_empty() && kind.is_some() {
            checks.fail("parts", "Choose at least one part to share");
        }
        if form.note.chars().count() > 2000 {
            checks.fail("note", "Keep the note to 2,000 characters or fewer");
        }
        checks.finish()?;
        let Some(kind) = kind else {
            return Err(AppError::Validation(vec![]));
        };
        let id = ConsentId::new();
        tx.insert_consent(
            &permit,
            &NewConsent {
                id,
                person_id: person,
                recipient: kind.as_str().to_owned(),
                recipient_person_id: recipient_person,
                purpose: match kind {
                    ConsentRecipient::Carer => "care_planning".into(),
                    ConsentRecipient::Research => "research".into(),
                },
                scope: SharedPart::scope_text(&parts),
                note: form.note.trim().to_owned(),
                recorded_by: recorder(actor, &permit),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Withdraws a consent; it stops having effect at once.
    pub async fn withdraw_consent(&self, actor: &Actor, person: PersonId, consent: ConsentId) -> Result<(), AppError> {
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, _) = self.decide_person(tx, actor, Action::RecordConsent, person).await?;
        let by = recorder(actor, &permit);
        if !tx.withdraw_consent(&permit, person, consent, &by).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// The carers a consent form can name.
    pub async fn consent_choices(&self, actor: &Actor, person: PersonId) -> Result<Vec<CarerLinkRow>, AppError> {
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, _) = self.decide_person(tx, actor, Action::RecordConsent, person).await?;
        let carers = tx.carers_of(&permit, person).await?;
        tx.commit().await?;
        Ok(carers)
    }
}

/// How a consent decision's author is shown: their name and the role they acted in.
fn recorder(actor: &Actor, permit: &Permit) -> String {
    match permit.role() {
        Some(role) => format!("{} ({})", actor.display_name, role.label().to_lowercase()),
        None => actor.display_name.clone(),
    }
}
