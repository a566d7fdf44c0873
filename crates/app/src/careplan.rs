//! Care planning use cases: the plan read and written by the service user, their carer (under
//! consent) and their care coordinator, section by section.

use chrono::Utc;
use cocare_careplan::dialog::DialogRating;
use cocare_careplan::{
    Attribution, CarePlan, DialogAssessment, Party, PlanError, SectionKind, Stance, Voice, plan::Contribution,
};
use cocare_core::{Actor, PersonId, Role, SharedPart, format_timestamp};
use cocare_policy::{Action, Permit, PersonScope, Resource, decide};
use cocare_store::{CopyGiven, DialogRecord, StoredPlan, VersionSummary, WriteTxn};
use serde::Serialize;

use crate::error::capitalise;
use crate::{App, AppError, FieldError};

/// One section as the reader may see it.
#[derive(Debug, Clone, Serialize)]
pub struct SectionView {
    pub kind: SectionKind,
    pub heading: &'static str,
    pub service_user: Option<Contribution>,
    pub carer: Option<Contribution>,
    pub clinical: Option<Contribution>,
    /// Send back with an edit, so a change made meanwhile is noticed.
    pub revision: usize,
    pub service_user_stance: Option<Stance>,
    pub carer_stance: Option<Stance>,
    pub coordinator_stance: Option<Stance>,
}

/// A person's plan as the actor may see it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub person: PersonId,
    pub person_name: String,
    pub viewed_as: Role,
    pub plan: Option<CarePlan>,
    pub sections: Vec<SectionView>,
    /// Sections hidden from this reader (a carer without consent for them).
    pub hidden_sections: usize,
    pub review_due: Option<String>,
    pub copies: Vec<CopyGiven>,
    pub versions: Vec<VersionSummary>,
    pub awaiting_service_user: Vec<&'static str>,
    pub can_write: bool,
    pub can_agree: bool,
    pub can_finalise: bool,
    pub can_record_copy: bool,
    pub dialog: Vec<DialogRecord>,
}

/// The sections a consent scope opens to a carer. The carer's own sections are always theirs.
fn shared_sections(parts: &[SharedPart]) -> Vec<SectionKind> {
    SectionKind::ALL
        .into_iter()
        .filter(|s| {
            s.is_carer_section()
                || parts.iter().any(|p| match p {
                    SharedPart::AboutMe => matches!(s, SectionKind::AboutMe | SectionKind::Strengths),
                    SharedPart::Goals => *s == SectionKind::Goals,
                    SharedPart::CrisisPlan => s.is_crisis_plan(),
                    SharedPart::CarerSection => s.is_carer_section(),
                    _ => false,
                })
        })
        .collect()
}

fn plan_error(err: PlanError) -> AppError {
    match err {
        PlanError::NotEditable(_) => AppError::Conflict(format!("{err}")),
        PlanError::WrongVoice(_) | PlanError::CarerSectionOnly | PlanError::NotAParty | PlanError::NotCoordinator => {
            AppError::Forbidden
        }
        PlanError::Empty => AppError::Validation(vec![FieldError::new("text", "Write something first")]),
        PlanError::DisagreementWithoutReason => AppError::Validation(vec![FieldError::new(
            "reason",
            "Say why you disagree, in your own words",
        )]),
        PlanError::Conflict { .. } => AppError::Validation(vec![FieldError::new(
            "text",
            "Someone else changed this section while you were writing. Their words are shown above; yours are kept below, so nothing is lost. Check both and save again",
        )]),
        PlanError::NotAgreed(sections) => AppError::Validation(vec![FieldError::new(
            "finalise",
            format!(
                "The service user has not yet agreed, or given a reason for disagreeing with: {}",
                sections.iter().map(|s| s.heading()).collect::<Vec<_>>().join(", ")
            ),
        )]),
        PlanError::NoSuchGoal(_) => AppError::NotFound,
    }
}

/// A review date as typed: empty for none, else `YYYY-MM-DD`.
fn review_date(raw: Option<&str>) -> Result<Option<&str>, AppError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(day) if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok() => Ok(Some(day)),
        Some(_) => Err(AppError::Validation(vec![FieldError::new(
            "review_due",
            "Give the review date as YYYY-MM-DD",
        )])),
    }
}

fn attribution(actor: &Actor, permit: &Permit) -> Attribution {
    Attribution {
        author: actor.display_name.clone(),
        role: permit.role().unwrap_or(Role::Clinician),
        at: Utc::now(),
    }
}

impl App {
    /// The sections this reader may see (all of them, or for a carer those the service user
    /// shares with them now), and whether they may see the life-domain ratings.
    async fn shared_with_reader(
        &self,
        tx: &mut WriteTxn,
        actor: &Actor,
        permit: &Permit,
        scope: &PersonScope,
    ) -> Result<(Vec<SectionKind>, bool), AppError> {
        if permit.role() != Some(Role::Carer) {
            return Ok((SectionKind::ALL.to_vec(), true));
        }
        let me = actor.person.ok_or(AppError::NotFound)?;
        let read = decide(actor, Action::ReadPerson, &Resource::Person(scope))?;
        let mut parts = Vec::new();
        for shared in tx.shared_with_carer(&read, scope.person, me).await? {
            parts.extend(SharedPart::parse_scope(&shared).unwrap_or_default());
        }
        Ok((shared_sections(&parts), parts.contains(&SharedPart::LifeDomainRatings)))
    }

    /// A person's current care plan, as far as the actor may see it.
    pub async fn care_plan(&self, actor: &Actor, person: PersonId, version: Option<u32>) -> Result<PlanView, AppError> {
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, scope) = self.decide_person(tx, actor, Action::ReadCarePlan, person).await?;
        let read_person = decide(actor, Action::ReadPerson, &Resource::Person(&scope))?;
        let person_row = tx.read_person(&read_person, person).await?.ok_or(AppError::NotFound)?;
        let (visible, ratings_shared) = self.shared_with_reader(&mut tx, actor, &permit, &scope).await?;
        let stored = tx.care_plan(&permit, person, version).await?;
        let versions = tx.care_plan_versions(&permit, person).await?;
        let dialog = if ratings_shared {
            tx.dialog_history(&permit, person).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        let may = |action| decide(actor, action, &Resource::Person(&scope)).is_ok();
        let latest = version.is_none() || versions.first().map(|v| v.version) == version;
        let editable = stored.as_ref().is_some_and(|s| {
            latest
                && matches!(
                    s.plan.status,
                    cocare_careplan::PlanStatus::Draft | cocare_careplan::PlanStatus::UnderReview
                )
        });
        let sections = match &stored {
            Some(stored) => visible
                .iter()
                .map(|kind| {
                    let plan = &stored.plan;
                    SectionView {
                        kind: *kind,
                        heading: kind.heading(),
                        service_user: plan.text(*kind, Voice::ServiceUser).cloned(),
                        carer: plan.text(*kind, Voice::Carer).cloned(),
                        clinical: plan.text(*kind, Voice::Clinical).cloned(),
                        revision: plan.revision(*kind),
                        service_user_stance: plan.stance(*kind, Party::ServiceUser).cloned(),
                        carer_stance: plan.stance(*kind, Party::Carer).cloned(),
                        coordinator_stance: plan.stance(*kind, Party::CareCoordinator).cloned(),
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let goals_visible = visible.contains(&SectionKind::Goals);
        Ok(PlanView {
            person,
            person_name: format!("{} {}", person_row.given_name, person_row.family_name),
            viewed_as: permit.role().unwrap_or(Role::Clinician),
            hidden_sections: SectionKind::ALL.len() - visible.len(),
            awaiting_service_user: stored
                .as_ref()
                .map(|s| {
                    s.plan
                        .awaiting_service_user()
                        .into_iter()
                        .filter(|k| visible.contains(k))
                        .map(|k| k.heading())
                        .collect()
                })
                .unwrap_or_default(),
            review_due: stored.as_ref().and_then(|s| s.review_due.clone()),
            copies: stored.as_ref().map(|s| s.copies.clone()).unwrap_or_default(),
            plan: stored.map(|s| {
                let mut plan = s.plan;
                if !goals_visible {
                    plan.goals.clear();
                }
                plan.contributions.retain(|c| visible.contains(&c.section));
                plan
            }),
            sections,
            versions,
            can_write: editable && may(Action::WriteCarePlan),
            can_agree: editable && may(Action::AgreeCarePlan),
            can_finalise: editable && may(Action::FinaliseCarePlan),
            can_record_copy: latest && may(Action::RecordCopyGiven),
            dialog,
        })
    }

    /// Loads the current version for a change, checking the policy and (for carers) consent.
    async fn plan_for_change(
        &self,
        actor: &Actor,
        action: Action,
        person: PersonId,
        section: Option<SectionKind>,
    ) -> Result<(WriteTxn, Permit, StoredPlan), AppError> {
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, scope) = self.decide_person(tx, actor, action, person).await?;
        if let Some(section) = section
            && !self
                .shared_with_reader(&mut tx, actor, &permit, &scope)
                .await?
                .0
                .contains(&section)
        {
            return Err(AppError::NotFound);
        }
        let stored = tx.care_plan(&permit, person, None).await?.ok_or(AppError::NotFound)?;
        Ok((tx, permit, stored))
    }

    async fn save(
        &self,
        mut tx: WriteTxn,
        permit: &Permit,
        stored: &StoredPlan,
        after: &CarePlan,
    ) -> Result<(), AppError> {
        tx.save_care_plan(permit, stored, after)
            .await
            .map_err(|err| match AppError::from(err) {
                AppError::Conflict(_) => plan_error(PlanError::Conflict { current: String::new() }),
                other => other,
            })?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts a person's first plan (a care coordinator, with them).
    pub async fn start_care_plan(
        &self,
        actor: &Actor,
        person: PersonId,
        review_due: Option<&str>,
    ) -> Result<(), AppError> {
        let review_due = review_date(review_due)?;
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, _) = self.decide_person(tx, actor, Action::FinaliseCarePlan, person).await?;
        if tx.care_plan(&permit, person, None).await?.is_some() {
            return Err(AppError::Conflict(
                "This person already has a plan. Start a review to change it".into(),
            ));
        }
        tx.insert_care_plan(&permit, person, &CarePlan::new(), review_due)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes in the actor's own voice. `based_on` is the section revision the writer saw.
    pub async fn contribute(
        &self,
        actor: &Actor,
        person: PersonId,
        section: SectionKind,
        text: &str,
        based_on: usize,
    ) -> Result<(), AppError> {
        let (tx, permit, stored) = self
            .plan_for_change(actor, Action::WriteCarePlan, person, Some(section))
            .await?;
        let mut after = stored.plan.clone();
        after
            .contribute(section, text, attribution(actor, &permit), based_on)
            .map_err(plan_error)?;
        self.save(tx, &permit, &stored, &after).await
    }

    pub async fn add_goal(&self, actor: &Actor, person: PersonId, text: &str) -> Result<(), AppError> {
        let (tx, permit, stored) = self
            .plan_for_change(actor, Action::WriteCarePlan, person, Some(SectionKind::Goals))
            .await?;
        // Goals are the service user's: carers add their view in their own sections.
        if permit.role() == Some(Role::Carer) {
            return Err(AppError::Forbidden);
        }
        let mut after = stored.plan.clone();
        after.add_goal(text, attribution(actor, &permit)).map_err(plan_error)?;
        self.save(tx, &permit, &stored, &after).await
    }

    pub async fn add_goal_action(
        &self,
        actor: &Actor,
        person: PersonId,
        goal: usize,
        what: &str,
        who: &str,
        by_when: &str,
    ) -> Result<(), AppError> {
        if !by_when.trim().is_empty() && chrono::NaiveDate::parse_from_str(by_when.trim(), "%Y-%m-%d").is_err() {
            return Err(AppError::Validation(vec![FieldError::new(
                "by_when",
                "Give the date as YYYY-MM-DD, or leave it empty",
            )]));
        }
        let (tx, permit, stored) = self
            .plan_for_change(actor, Action::WriteCarePlan, person, Some(SectionKind::Goals))
            .await?;
        // Goals are the service user's: carers add their view in their own sections.
        if permit.role() == Some(Role::Carer) {
            return Err(AppError::Forbidden);
        }
        let mut after = stored.plan.clone();
        after.add_action(goal, what, who, by_when).map_err(|err| match err {
            PlanError::Empty => AppError::Validation(vec![FieldError::new("what", "Say what will be done")]),
            other => plan_error(other),
        })?;
        self.save(tx, &permit, &stored, &after).await
    }

    /// Agrees or disagrees with a section, as the party the actor is.
    pub async fn agree_section(
        &self,
        actor: &Actor,
        person: PersonId,
        section: SectionKind,
        agree: bool,
        reason: &str,
    ) -> Result<(), AppError> {
        let (tx, permit, stored) = self
            .plan_for_change(actor, Action::AgreeCarePlan, person, Some(section))
            .await?;
        let stance = if agree {
            Stance::Agree
        } else {
            Stance::Disagree {
                reason: reason.trim().to_owned(),
            }
        };
        let mut after = stored.plan.clone();
        after
            .agree(section, stance, attribution(actor, &permit))
            .map_err(plan_error)?;
        self.save(tx, &permit, &stored, &after).await
    }

    pub async fn finalise_care_plan(&self, actor: &Actor, person: PersonId) -> Result<(), AppError> {
        let (tx, permit, stored) = self
            .plan_for_change(actor, Action::FinaliseCarePlan, person, None)
            .await?;
        let mut after = stored.plan.clone();
        after.finalise(attribution(actor, &permit)).map_err(plan_error)?;
        self.save(tx, &permit, &stored, &after).await
    }

    /// Starts a review: a new version to write and agree, the current one superseded.
    pub async fn start_review(
        &self,
        actor: &Actor,
        person: PersonId,
        review_due: Option<&str>,
    ) -> Result<(), AppError> {
        let review_due = review_date(review_due)?;
        let (mut tx, permit, stored) = self
            .plan_for_change(actor, Action::FinaliseCarePlan, person, None)
            .await?;
        if !matches!(
            stored.plan.status,
            cocare_careplan::PlanStatus::Agreed | cocare_careplan::PlanStatus::Active
        ) {
            return Err(AppError::Conflict(
                "Finalise the current version before starting a review".into(),
            ));
        }
        let mut old = stored.plan.clone();
        let next = old.start_review();
        tx.insert_care_plan(&permit, person, &next, review_due).await?;
        tx.supersede_care_plan(&permit, &stored).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that the service user was given their copy (print/PDF, portal).
    pub async fn record_copy_given(&self, actor: &Actor, person: PersonId, format: &str) -> Result<(), AppError> {
        let format = match format.trim() {
            f @ ("print" | "pdf" | "portal") => f,
            _ => {
                return Err(AppError::Validation(vec![FieldError::new(
                    "format",
                    "Choose print, PDF or portal",
                )]));
            }
        };
        let (mut tx, permit, stored) = self
            .plan_for_change(actor, Action::RecordCopyGiven, person, None)
            .await?;
        let by = format!("{} ({})", actor.display_name, permit.role_name().replace('_', " "));
        tx.record_copy_given(&permit, &stored, format, &by).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a DIALOG assessment from a form (`rating_<item>`, `help_<item>`).
    pub async fn record_dialog(
        &self,
        actor: &Actor,
        person: PersonId,
        fields: &[(String, String)],
    ) -> Result<(), AppError> {
        // The permission first: nothing is checked or said about the answers of someone who
        // may not give them.
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, _) = self.decide_person(tx, actor, Action::WriteCarePlan, person).await?;
        if permit.role() == Some(Role::Carer) {
            return Err(AppError::Forbidden);
        }
        let assessment = DialogAssessment::parse(fields).map_err(|problems| {
            AppError::Validation(
                problems
                    .into_iter()
                    .map(|(field, message)| FieldError::new(field, capitalise(&message)))
                    .collect(),
            )
        })?;
        let ratings: Vec<DialogRating> = assessment.ratings;
        tx.insert_dialog(
            &permit,
            person,
            &format_timestamp(Utc::now()),
            &ratings,
            &actor.display_name,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One person's line on the team dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct DashboardRow {
    pub person: PersonId,
    pub name: String,
    pub status: Option<&'static str>,
    pub version: Option<u32>,
    pub indicators: Option<cocare_careplan::involvement::Indicators>,
    pub review_due: Option<String>,
    pub overdue: bool,
}

/// A team's involvement quality.
#[derive(Debug, Clone, Serialize)]
pub struct TeamDashboard {
    pub team: String,
    pub summary: cocare_careplan::involvement::TeamSummary,
    pub rows: Vec<DashboardRow>,
    pub without_plan: usize,
    pub overdue: Vec<DashboardRow>,
}

impl App {
    /// For each team the actor leads: each plan's involvement indicators, the team's
    /// percentages, and the reviews that are overdue (as of `today`, `YYYY-MM-DD`).
    pub async fn team_dashboards(&self, actor: &Actor, today: &str) -> Result<Vec<TeamDashboard>, AppError> {
        use cocare_careplan::involvement::{PlanContext, indicators_from, team_summary};
        let mut out = Vec::new();
        for grant in actor.grants.iter().filter(|g| g.role == Role::TeamLead) {
            let Some(team) = grant.team else { continue };
            let permit = decide(
                actor,
                Action::ViewTeamDashboard,
                &Resource::Team(grant.organisation, team),
            )?;
            let name = self.store.team(team).await?.map(|t| t.name).unwrap_or_default();
            let mut tx = self.store.begin_write().await?;
            let plans = tx.team_plans(&permit, team).await?;
            tx.commit().await?;
            let rows: Vec<DashboardRow> = plans
                .into_iter()
                .map(|row| {
                    let overdue = row.plan.is_some() && row.review_due.as_deref().is_some_and(|due| due < today);
                    DashboardRow {
                        person: row.person,
                        name: row.name,
                        status: row.plan.map(|(_, status)| status.label()),
                        version: row.plan.map(|(version, _)| version),
                        indicators: row.plan.map(|_| {
                            indicators_from(
                                &row.facts,
                                PlanContext {
                                    has_carer: row.has_carer,
                                    copy_given: row.copies_given > 0,
                                    reviewed_on_time: !overdue,
                                },
                            )
                        }),
                        review_due: row.review_due,
                        overdue,
                    }
                })
                .collect();
            let measured: Vec<_> = rows.iter().filter_map(|r| r.indicators).collect();
            out.push(TeamDashboard {
                team: name,
                summary: team_summary(&measured),
                without_plan: rows.iter().filter(|r| r.indicators.is_none()).count(),
                overdue: rows.iter().filter(|r| r.overdue).cloned().collect(),
                rows,
            });
        }
        if out.is_empty() {
            return Err(AppError::Forbidden);
        }
        Ok(out)
    }
}

/// One version of a plan and what changed since the one before.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub view: PlanView,
    pub previous: Option<u32>,
    pub changes: Vec<cocare_careplan::diff::DiffLine>,
}

impl App {
    /// A version of a person's plan, read-only, with a readable difference from the version
    /// before it. Both are filtered by what the reader may see.
    pub async fn care_plan_version(
        &self,
        actor: &Actor,
        person: PersonId,
        version: u32,
        against: Option<u32>,
    ) -> Result<VersionView, AppError> {
        let view = self.care_plan(actor, person, Some(version)).await?;
        let plan = view.plan.clone().ok_or(AppError::NotFound)?;
        if plan.version != version {
            return Err(AppError::NotFound);
        }
        let previous = against.or(version.checked_sub(1)).filter(|v| *v >= 1 && *v != version);
        let changes = match previous {
            Some(before) => {
                let earlier = self.care_plan(actor, person, Some(before)).await?;
                let earlier = earlier.plan.unwrap_or_default();
                cocare_careplan::diff::between(&earlier, &plan)
            }
            None => cocare_careplan::diff::between(&CarePlan::new(), &plan),
        };
        Ok(VersionView {
            view,
            previous,
            changes,
        })
    }
}

impl App {
    /// A person's current plan as a FHIR R4 Bundle. It carries their consent decisions and
    /// carers, so it needs the right to read those: the service user themselves, their team's
    /// clinicians and team leads (and the system actor for the CLI).
    pub async fn care_plan_fhir(&self, actor: &Actor, person: PersonId) -> Result<serde_json::Value, AppError> {
        use cocare_careplan::fhir::{CarerFacts, ConsentFacts, PatientFacts, ResponseFacts, bundle};
        let tx = self.store.begin_write().await?;
        let (mut tx, consents_permit, scope) = self.decide_person(tx, actor, Action::ReadConsents, person).await?;
        let read_person = decide(actor, Action::ReadPerson, &Resource::Person(&scope))?;
        let read_plan = decide(actor, Action::ReadCarePlan, &Resource::Person(&scope))?;
        let row = tx.read_person(&read_person, person).await?.ok_or(AppError::NotFound)?;
        let stored = tx.care_plan(&read_plan, person, None).await?;
        let carers = tx.carers_of(&consents_permit, person).await?;
        let consents = tx.consents_of(&consents_permit, person).await?;
        let measures = tx.measure_history(&read_plan, person).await?;
        tx.commit().await?;
        let person_id = person.to_string();
        let responses: Vec<ResponseFacts<'_>> = measures
            .iter()
            .map(|m| ResponseFacts {
                id: &m.id,
                questionnaire: &m.questionnaire,
                answers: serde_json::from_str::<Vec<(String, String)>>(&m.answers)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(item, value)| value.parse().ok().map(|v| (item, v)))
                    .collect(),
                authored: &m.taken_at,
            })
            .collect();
        let carer_ids: Vec<String> = carers.iter().map(|c| c.carer_id.to_string()).collect();
        let consent_ids: Vec<(String, Option<String>)> = consents
            .iter()
            .map(|c| (c.id.to_string(), c.recipient_person_id.map(|p| p.to_string())))
            .collect();
        let parts: Vec<Vec<&'static str>> = consents
            .iter()
            .map(|c| {
                SharedPart::parse_scope(&c.scope)
                    .unwrap_or_default()
                    .iter()
                    .map(|p| p.label())
                    .collect()
            })
            .collect();
        Ok(bundle(
            &PatientFacts {
                id: &person_id,
                given_name: &row.given_name,
                family_name: &row.family_name,
                gender: &row.gender,
                birth_date: &row.date_of_birth,
            },
            stored.as_ref().map(|s| (s.id.as_str(), &s.plan)),
            &carers
                .iter()
                .zip(&carer_ids)
                .map(|(c, id)| CarerFacts {
                    id,
                    name: &c.carer_name,
                    relationship: &c.relationship,
                })
                .collect::<Vec<_>>(),
            &consents
                .iter()
                .zip(&consent_ids)
                .zip(parts)
                .map(|((c, (id, carer)), parts)| ConsentFacts {
                    id,
                    carer: carer.as_deref(),
                    parts,
                    recorded_at: &c.recorded_at,
                    in_force: c.withdrawn_at.is_none(),
                })
                .collect::<Vec<_>>(),
            &responses,
        ))
    }

    /// Every service user (for `cocare careplan export-fhir --all`).
    pub async fn service_users(&self) -> Result<Vec<PersonId>, AppError> {
        Ok(self.store.service_users().await?)
    }
}

/// A questionnaire just scored, to show the person at once.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureResult {
    pub title: &'static str,
    pub score: cocare_careplan::Score,
}

impl App {
    /// Scores and stores a completed questionnaire (the service user, or a clinician with them).
    pub async fn record_measure(
        &self,
        actor: &Actor,
        person: PersonId,
        questionnaire: &str,
        answers: &[(String, String)],
    ) -> Result<MeasureResult, AppError> {
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, _) = self.decide_person(tx, actor, Action::WriteCarePlan, person).await?;
        if permit.role() == Some(Role::Carer) {
            return Err(AppError::Forbidden);
        }
        let definition = cocare_careplan::Questionnaire::by_id(questionnaire).ok_or(AppError::NotFound)?;
        let score = definition.score(answers).map_err(|err| {
            AppError::Validation(
                err.problems
                    .into_iter()
                    .map(|(f, m)| FieldError::new(f, capitalise(&m)))
                    .collect(),
            )
        })?;
        let kept: Vec<(&str, &str)> = definition
            .items
            .iter()
            .filter_map(|item| {
                answers
                    .iter()
                    .find(|(k, _)| k == item.id)
                    .map(|(_, v)| (item.id, v.as_str()))
            })
            .collect();
        let answers_json = serde_json::to_string(&kept).map_err(|err| AppError::Unexpected(err.into()))?;
        tx.insert_measure(
            &permit,
            person,
            definition.id,
            &answers_json,
            i64::from(score.total),
            score.band,
            score.needs_safety_follow_up,
            &actor.display_name,
        )
        .await?;
        tx.commit().await?;
        Ok(MeasureResult {
            title: definition.title,
            score,
        })
    }

    /// A person's completed questionnaires, newest first.
    pub async fn measures(
        &self,
        actor: &Actor,
        person: PersonId,
    ) -> Result<Vec<cocare_store::MeasureRecord>, AppError> {
        let tx = self.store.begin_write().await?;
        let (mut tx, permit, _) = self.decide_person(tx, actor, Action::ReadCarePlan, person).await?;
        if permit.role() == Some(Role::Carer) {
            return Err(AppError::Forbidden);
        }
        let history = tx.measure_history(&permit, person).await?;
        tx.commit().await?;
        Ok(history)
    }
}
