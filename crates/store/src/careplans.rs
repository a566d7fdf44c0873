//! Care plans in the store. A version is a `care_plans` row; its words, goals, actions,
//! agreements and copies are append-only rows, so nothing written is ever overwritten.
//! Every method reads or writes personal data, so each takes a permit for its action and
//! appends its audit row.

use cocare_careplan::dialog::DialogRating;
use cocare_careplan::plan::{Goal, GoalAction};
use cocare_careplan::{
    Agreement, Attribution, CarePlan, Contribution, DialogItem, Party, PlanStatus, Rating, SectionKind, Stance, Voice,
};
use cocare_core::{PersonId, Role, format_timestamp, parse_timestamp};
use cocare_policy::{Action, Permit};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rows::require;
use crate::{StoreError, WriteTxn};

/// A stored version of a plan, with what the store knows beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPlan {
    pub id: String,
    pub person: PersonId,
    pub plan: CarePlan,
    pub review_due: Option<String>,
    pub copies: Vec<CopyGiven>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyGiven {
    pub format: String,
    pub recorded_by: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionSummary {
    pub version: u32,
    pub status: PlanStatus,
    pub created_at: String,
    pub finalised_at: Option<String>,
}

/// One DIALOG assessment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DialogRecord {
    pub taken_at: String,
    pub ratings: Vec<DialogRating>,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn attribution(row: &AnyRow) -> Result<Attribution, StoreError> {
    let role: String = row.try_get("role")?;
    let at: String = row.try_get("at")?;
    Ok(Attribution {
        author: row.try_get("author")?,
        role: Role::parse(&role).map_err(|_| corrupt("plan row role"))?,
        at: parse_timestamp(&at).ok_or_else(|| corrupt("plan row time"))?,
    })
}

/// `section:voice:count,…` and `section:party:agree|disagree:revision,…`.
fn pack(facts: &cocare_careplan::involvement::PlanFacts) -> (String, String) {
    let contributions = facts
        .contributions
        .iter()
        .map(|(s, v, n)| format!("{}:{}:{n}", s.as_str(), v.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    let stances = facts
        .latest_stances
        .iter()
        .map(|(s, p, agreed, r)| {
            format!(
                "{}:{}:{}:{r}",
                s.as_str(),
                p.as_str(),
                if *agreed { "agree" } else { "disagree" }
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    (contributions, stances)
}

fn unpack(
    contributions: &str,
    stances: &str,
    goals: i64,
) -> Result<cocare_careplan::involvement::PlanFacts, StoreError> {
    let mut facts = cocare_careplan::involvement::PlanFacts {
        goals: usize::try_from(goals).unwrap_or(0),
        ..Default::default()
    };
    for fact in contributions.split(',').filter(|f| !f.is_empty()) {
        let mut parts = fact.split(':');
        let (Some(section), Some(voice), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(corrupt("plan_facts.contributions"));
        };
        facts.contributions.push((
            SectionKind::parse(section).ok_or_else(|| corrupt("plan_facts.contributions"))?,
            Voice::parse(voice).ok_or_else(|| corrupt("plan_facts.contributions"))?,
            n.parse().map_err(|_| corrupt("plan_facts.contributions"))?,
        ));
    }
    for fact in stances.split(',').filter(|f| !f.is_empty()) {
        let mut parts = fact.split(':');
        let (Some(section), Some(party), Some(stance), Some(revision)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(corrupt("plan_facts.stances"));
        };
        facts.latest_stances.push((
            SectionKind::parse(section).ok_or_else(|| corrupt("plan_facts.stances"))?,
            Party::parse(party).ok_or_else(|| corrupt("plan_facts.stances"))?,
            stance == "agree",
            revision.parse().map_err(|_| corrupt("plan_facts.stances"))?,
        ));
    }
    Ok(facts)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl WriteTxn {
    async fn plan_id(&mut self, person: PersonId, version: Option<u32>) -> Result<Option<(String, u32)>, StoreError> {
        let row = match version {
            Some(version) => {
                sqlx::query("SELECT id, version FROM care_plans WHERE person_id = $1 AND version = $2")
                    .bind(person.to_string())
                    .bind(i64::from(version))
                    .fetch_optional(self.conn())
                    .await?
            }
            None => {
                sqlx::query("SELECT id, version FROM care_plans WHERE person_id = $1 ORDER BY version DESC LIMIT 1")
                    .bind(person.to_string())
                    .fetch_optional(self.conn())
                    .await?
            }
        };
        row.map(|row| {
            let version: i64 = row.try_get("version")?;
            Ok((
                row.try_get("id")?,
                u32::try_from(version).map_err(|_| corrupt("care_plans.version"))?,
            ))
        })
        .transpose()
    }

    /// The latest version of a person's plan (or the given version), audited as a read.
    pub async fn care_plan(
        &mut self,
        permit: &Permit,
        person: PersonId,
        version: Option<u32>,
    ) -> Result<Option<StoredPlan>, StoreError> {
        require(
            permit,
            &[
                Action::ReadCarePlan,
                Action::WriteCarePlan,
                Action::AgreeCarePlan,
                Action::FinaliseCarePlan,
                Action::RecordCopyGiven,
            ],
            "read a care plan",
        )?;
        let Some((id, _)) = self.plan_id(person, version).await? else {
            return Ok(None);
        };
        let head = sqlx::query(
            "SELECT version, status, review_due, finalised_by, finalised_role, finalised_at FROM care_plans WHERE id = $1",
        )
        .bind(&id)
        .fetch_one(self.conn())
        .await?;
        let status: String = head.try_get("status")?;
        let version: i64 = head.try_get("version")?;
        let finalised = match (
            head.try_get::<Option<String>, _>("finalised_by")?,
            head.try_get::<Option<String>, _>("finalised_role")?,
            head.try_get::<Option<String>, _>("finalised_at")?,
        ) {
            (Some(author), Some(role), Some(at)) => Some(Attribution {
                author,
                role: Role::parse(&role).map_err(|_| corrupt("care_plans.finalised_role"))?,
                at: parse_timestamp(&at).ok_or_else(|| corrupt("care_plans.finalised_at"))?,
            }),
            _ => None,
        };
        let mut plan = CarePlan {
            version: u32::try_from(version).map_err(|_| corrupt("care_plans.version"))?,
            status: PlanStatus::parse(&status).ok_or_else(|| corrupt("care_plans.status"))?,
            contributions: Vec::new(),
            goals: Vec::new(),
            agreements: Vec::new(),
            finalised,
        };
        for row in sqlx::query(
            "SELECT section, voice, body, author, role, at FROM plan_contributions WHERE plan_id = $1 ORDER BY seq",
        )
        .bind(&id)
        .fetch_all(self.conn())
        .await?
        {
            let section: String = row.try_get("section")?;
            let voice: String = row.try_get("voice")?;
            plan.contributions.push(Contribution {
                section: SectionKind::parse(&section).ok_or_else(|| corrupt("plan_contributions.section"))?,
                voice: Voice::parse(&voice).ok_or_else(|| corrupt("plan_contributions.voice"))?,
                text: row.try_get("body")?,
                by: attribution(&row)?,
            });
        }
        for row in sqlx::query("SELECT body, author, role, at FROM plan_goals WHERE plan_id = $1 ORDER BY seq")
            .bind(&id)
            .fetch_all(self.conn())
            .await?
        {
            plan.goals.push(Goal {
                text: row.try_get("body")?,
                actions: Vec::new(),
                by: attribution(&row)?,
            });
        }
        for row in sqlx::query(
            "SELECT goal_seq, what, who, by_when FROM plan_goal_actions WHERE plan_id = $1 ORDER BY goal_seq, seq",
        )
        .bind(&id)
        .fetch_all(self.conn())
        .await?
        {
            let goal: i64 = row.try_get("goal_seq")?;
            let goal = usize::try_from(goal)
                .ok()
                .and_then(|g| plan.goals.get_mut(g))
                .ok_or_else(|| corrupt("plan_goal_actions.goal_seq"))?;
            goal.actions.push(GoalAction {
                what: row.try_get("what")?,
                who: row.try_get("who")?,
                by_when: row.try_get("by_when")?,
            });
        }
        for row in sqlx::query(
            "SELECT section, party, stance, reason, revision, author, role, at FROM plan_agreements WHERE plan_id = $1 ORDER BY seq",
        )
        .bind(&id)
        .fetch_all(self.conn())
        .await?
        {
            let section: String = row.try_get("section")?;
            let party: String = row.try_get("party")?;
            let stance: String = row.try_get("stance")?;
            let revision: i64 = row.try_get("revision")?;
            plan.agreements.push(Agreement {
                section: SectionKind::parse(&section).ok_or_else(|| corrupt("plan_agreements.section"))?,
                party: Party::parse(&party).ok_or_else(|| corrupt("plan_agreements.party"))?,
                stance: match stance.as_str() {
                    "agree" => Stance::Agree,
                    "disagree" => Stance::Disagree { reason: row.try_get("reason")? },
                    _ => return Err(corrupt("plan_agreements.stance")),
                },
                revision: usize::try_from(revision).map_err(|_| corrupt("plan_agreements.revision"))?,
                by: attribution(&row)?,
            });
        }
        let copies = sqlx::query("SELECT format, recorded_by, at FROM plan_copies WHERE plan_id = $1 ORDER BY seq")
            .bind(&id)
            .fetch_all(self.conn())
            .await?
            .iter()
            .map(|row| {
                Ok(CopyGiven {
                    format: row.try_get("format")?,
                    recorded_by: row.try_get("recorded_by")?,
                    at: row.try_get("at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.audit_permit(permit, &format!("person:{person}/careplan:{}", plan.version))
            .await?;
        Ok(Some(StoredPlan {
            id,
            person,
            plan,
            review_due: head.try_get("review_due")?,
            copies,
        }))
    }

    /// The versions of a person's plan, newest first (no content).
    pub async fn care_plan_versions(
        &mut self,
        permit: &Permit,
        person: PersonId,
    ) -> Result<Vec<VersionSummary>, StoreError> {
        require(permit, &[Action::ReadCarePlan], "list care plan versions")?;
        let rows = sqlx::query("SELECT version, status, created_at, finalised_at FROM care_plans WHERE person_id = $1 ORDER BY version DESC")
            .bind(person.to_string())
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|row| {
                let version: i64 = row.try_get("version")?;
                let status: String = row.try_get("status")?;
                Ok(VersionSummary {
                    version: u32::try_from(version).map_err(|_| corrupt("care_plans.version"))?,
                    status: PlanStatus::parse(&status).ok_or_else(|| corrupt("care_plans.status"))?,
                    created_at: row.try_get("created_at")?,
                    finalised_at: row.try_get("finalised_at")?,
                })
            })
            .collect()
    }

    /// Stores a new version (a first plan, or the next version when a review starts).
    pub async fn insert_care_plan(
        &mut self,
        permit: &Permit,
        person: PersonId,
        plan: &CarePlan,
        review_due: Option<&str>,
    ) -> Result<String, StoreError> {
        require(
            permit,
            &[Action::WriteCarePlan, Action::FinaliseCarePlan],
            "start a care plan",
        )?;
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query("INSERT INTO care_plans (id, person_id, version, status, review_due, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(person.to_string())
            .bind(i64::from(plan.version))
            .bind(plan.status.as_str())
            .bind(review_due)
            .bind(format_timestamp(chrono::Utc::now()))
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("a plan version with this number"))?;
        self.append_plan_rows(
            &id,
            &CarePlan {
                contributions: vec![],
                goals: vec![],
                agreements: vec![],
                ..plan.clone()
            },
            plan,
        )
        .await?;
        self.audit_permit(permit, &format!("person:{person}/careplan:{}", plan.version))
            .await?;
        Ok(id)
    }

    /// Saves what changed between `before` (as loaded) and `after`: new rows are appended,
    /// status and sign-off updated. Nothing already stored is rewritten.
    pub async fn save_care_plan(
        &mut self,
        permit: &Permit,
        stored: &StoredPlan,
        after: &CarePlan,
    ) -> Result<(), StoreError> {
        require(
            permit,
            &[Action::WriteCarePlan, Action::AgreeCarePlan, Action::FinaliseCarePlan],
            "change a care plan",
        )?;
        self.append_plan_rows(&stored.id, &stored.plan, after).await?;
        if after.status != stored.plan.status || after.finalised != stored.plan.finalised {
            sqlx::query("UPDATE care_plans SET status = $1, finalised_by = $2, finalised_role = $3, finalised_at = $4 WHERE id = $5")
                .bind(after.status.as_str())
                .bind(after.finalised.as_ref().map(|f| f.author.clone()))
                .bind(after.finalised.as_ref().map(|f| f.role.as_str()))
                .bind(after.finalised.as_ref().map(|f| format_timestamp(f.at)))
                .bind(&stored.id)
                .execute(self.conn())
                .await?;
        }
        self.audit_permit(permit, &format!("person:{}/careplan:{}", stored.person, after.version))
            .await?;
        Ok(())
    }

    /// Keeps the plan's involvement facts current, on the caller's transaction.
    async fn put_plan_facts(&mut self, id: &str, plan: &CarePlan) -> Result<(), StoreError> {
        let facts = cocare_careplan::involvement::PlanFacts::of(plan);
        let (contributions, stances) = pack(&facts);
        sqlx::query(
            "INSERT INTO plan_facts (plan_id, contributions, stances, goals) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (plan_id) DO UPDATE SET contributions = $2, stances = $3, goals = $4",
        )
        .bind(id)
        .bind(contributions)
        .bind(stances)
        .bind(count(facts.goals))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn append_plan_rows(&mut self, id: &str, before: &CarePlan, after: &CarePlan) -> Result<(), StoreError> {
        self.put_plan_facts(id, after).await?;
        for (seq, c) in after.contributions.iter().enumerate().skip(before.contributions.len()) {
            sqlx::query(
                "INSERT INTO plan_contributions (plan_id, seq, section, voice, body, author, role, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(count(seq))
            .bind(c.section.as_str())
            .bind(c.voice.as_str())
            .bind(&c.text)
            .bind(&c.by.author)
            .bind(c.by.role.as_str())
            .bind(format_timestamp(c.by.at))
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("a newer change to this plan"))?;
        }
        for (seq, goal) in after.goals.iter().enumerate() {
            if seq >= before.goals.len() {
                sqlx::query(
                    "INSERT INTO plan_goals (plan_id, seq, body, author, role, at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(count(seq))
                .bind(&goal.text)
                .bind(&goal.by.author)
                .bind(goal.by.role.as_str())
                .bind(format_timestamp(goal.by.at))
                .execute(self.conn())
                .await
                .map_err(StoreError::unique("a newer change to this plan"))?;
            }
            let known = before.goals.get(seq).map_or(0, |g| g.actions.len());
            for (action_seq, action) in goal.actions.iter().enumerate().skip(known) {
                sqlx::query(
                    "INSERT INTO plan_goal_actions (plan_id, goal_seq, seq, what, who, by_when) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(count(seq))
                .bind(count(action_seq))
                .bind(&action.what)
                .bind(&action.who)
                .bind(&action.by_when)
                .execute(self.conn())
                .await
                .map_err(StoreError::unique("a newer change to this plan"))?;
            }
        }
        for (seq, a) in after.agreements.iter().enumerate().skip(before.agreements.len()) {
            let (stance, reason) = match &a.stance {
                Stance::Agree => ("agree", String::new()),
                Stance::Disagree { reason } => ("disagree", reason.clone()),
            };
            sqlx::query(
                "INSERT INTO plan_agreements (plan_id, seq, section, party, stance, reason, revision, author, role, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(count(seq))
            .bind(a.section.as_str())
            .bind(a.party.as_str())
            .bind(stance)
            .bind(reason)
            .bind(count(a.revision))
            .bind(&a.by.author)
            .bind(a.by.role.as_str())
            .bind(format_timestamp(a.by.at))
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("a newer change to this plan"))?;
        }
        Ok(())
    }

    /// Marks an older version superseded (when a review starts from it).
    pub async fn supersede_care_plan(&mut self, permit: &Permit, stored: &StoredPlan) -> Result<(), StoreError> {
        require(permit, &[Action::FinaliseCarePlan], "start a review")?;
        sqlx::query("UPDATE care_plans SET status = $1 WHERE id = $2")
            .bind(PlanStatus::Superseded.as_str())
            .bind(&stored.id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn record_copy_given(
        &mut self,
        permit: &Permit,
        stored: &StoredPlan,
        format: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        require(permit, &[Action::RecordCopyGiven], "record a copy given")?;
        sqlx::query("INSERT INTO plan_copies (plan_id, seq, format, recorded_by, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&stored.id)
            .bind(count(stored.copies.len()))
            .bind(format)
            .bind(by)
            .bind(format_timestamp(chrono::Utc::now()))
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("a newer copy record"))?;
        self.audit_permit(
            permit,
            &format!("person:{}/careplan:{}/copy", stored.person, stored.plan.version),
        )
        .await?;
        Ok(())
    }

    pub async fn insert_dialog(
        &mut self,
        permit: &Permit,
        person: PersonId,
        taken_at: &str,
        ratings: &[DialogRating],
        by: &str,
    ) -> Result<(), StoreError> {
        require(permit, &[Action::WriteCarePlan], "record life-domain ratings")?;
        for r in ratings {
            sqlx::query(
                "INSERT INTO dialog_ratings (person_id, taken_at, item, rating, wants_more_help, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(person.to_string())
            .bind(taken_at)
            .bind(r.item.as_str())
            .bind(i64::from(r.rating.value()))
            .bind(i64::from(r.wants_more_help))
            .bind(by)
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("ratings taken at this moment"))?;
        }
        self.audit_permit(permit, &format!("person:{person}/dialog")).await?;
        Ok(())
    }

    /// Every DIALOG assessment of a person, oldest first.
    pub async fn dialog_history(&mut self, permit: &Permit, person: PersonId) -> Result<Vec<DialogRecord>, StoreError> {
        require(
            permit,
            &[Action::ReadCarePlan, Action::WriteCarePlan],
            "read life-domain ratings",
        )?;
        let rows = sqlx::query(
            "SELECT taken_at, item, rating, wants_more_help FROM dialog_ratings WHERE person_id = $1 ORDER BY taken_at, item",
        )
        .bind(person.to_string())
        .fetch_all(self.conn())
        .await?;
        let mut out: Vec<DialogRecord> = Vec::new();
        for row in &rows {
            let taken_at: String = row.try_get("taken_at")?;
            let item: String = row.try_get("item")?;
            let rating: i64 = row.try_get("rating")?;
            let help: i64 = row.try_get("wants_more_help")?;
            let rating = DialogRating {
                item: DialogItem::parse(&item).ok_or_else(|| corrupt("dialog_ratings.item"))?,
                rating: Rating::new(rating).map_err(|_| corrupt("dialog_ratings.rating"))?,
                wants_more_help: help != 0,
            };
            match out.last_mut() {
                Some(last) if last.taken_at == taken_at => last.ratings.push(rating),
                _ => out.push(DialogRecord {
                    taken_at,
                    ratings: vec![rating],
                }),
            }
        }
        self.audit_permit(permit, &format!("person:{person}/dialog")).await?;
        Ok(out)
    }
}

/// The current plan of one service user of a team, for the involvement dashboard: the facts
/// involvement is measured from, not the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamPlanRow {
    pub person: PersonId,
    pub name: String,
    /// `(version, status)` of the current plan; `None` when the person has no plan yet.
    pub plan: Option<(u32, PlanStatus)>,
    pub facts: cocare_careplan::involvement::PlanFacts,
    pub review_due: Option<String>,
    pub copies_given: usize,
    pub has_carer: bool,
}

impl WriteTxn {
    /// Every service user of a team with the facts of their current plan, in five queries
    /// whatever the team's size. Audited once, as a read of the team's plans.
    pub async fn team_plans(
        &mut self,
        permit: &Permit,
        team: cocare_core::TeamId,
    ) -> Result<Vec<TeamPlanRow>, StoreError> {
        use std::collections::HashMap;
        require(permit, &[Action::ViewTeamDashboard], "see a team's plans")?;
        let team_id = team.to_string();
        let mut rows: Vec<TeamPlanRow> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for row in sqlx::query(
            "SELECT p.id, p.given_name || ' ' || p.family_name AS name, \
             (SELECT COUNT(*) FROM carer_links l WHERE l.service_user_id = p.id) AS carers \
             FROM people p WHERE p.team_id = $1 AND p.kind = 'service_user' ORDER BY p.family_name, p.given_name, p.id",
        )
        .bind(&team_id)
        .fetch_all(self.conn())
        .await?
        {
            let id: String = row.try_get("id")?;
            let carers: i64 = row.try_get("carers")?;
            index.insert(id.clone(), rows.len());
            rows.push(TeamPlanRow {
                person: PersonId::parse(&id).map_err(|_| corrupt("people.id"))?,
                name: row.try_get("name")?,
                plan: None,
                facts: Default::default(),
                review_due: None,
                copies_given: 0,
                has_carer: carers > 0,
            });
        }
        // Every version but the newest is superseded when a review starts, so the current
        // plans are those not superseded; their facts are kept in one row each.
        for row in sqlx::query(
            "SELECT c.person_id, c.version, c.status, c.review_due, f.contributions, f.stances, f.goals, \
             (SELECT COUNT(*) FROM plan_copies k WHERE k.plan_id = c.id) AS copies \
             FROM people p JOIN care_plans c ON c.person_id = p.id JOIN plan_facts f ON f.plan_id = c.id \
             WHERE p.team_id = $1 AND c.status <> 'superseded'",
        )
        .bind(&team_id)
        .fetch_all(self.conn())
        .await?
        {
            let person: String = row.try_get("person_id")?;
            let Some(entry) = index.get(&person).and_then(|at| rows.get_mut(*at)) else {
                continue;
            };
            let status: String = row.try_get("status")?;
            let version: i64 = row.try_get("version")?;
            let copies: i64 = row.try_get("copies")?;
            let contributions: String = row.try_get("contributions")?;
            let stances: String = row.try_get("stances")?;
            entry.plan = Some((
                u32::try_from(version).map_err(|_| corrupt("care_plans.version"))?,
                PlanStatus::parse(&status).ok_or_else(|| corrupt("care_plans.status"))?,
            ));
            entry.facts = unpack(&contributions, &stances, row.try_get("goals")?)?;
            entry.review_due = row.try_get("review_due")?;
            entry.copies_given = usize::try_from(copies).unwrap_or(0);
        }
        self.audit_permit(permit, &format!("team:{team}/careplans")).await?;
        Ok(rows)
    }
}

impl crate::Store {
    /// Every service user's id (no personal data).
    pub async fn service_users(&self) -> Result<Vec<PersonId>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<String> = sqlx::query_scalar("SELECT id FROM people WHERE kind = 'service_user' ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|id| PersonId::parse(id).map_err(|_| corrupt("people.id")))
            .collect()
    }
}

/// One completed questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureRecord {
    pub id: String,
    pub questionnaire: String,
    /// The answers as stored: a JSON array of `[item id, value]` pairs.
    pub answers: String,
    pub total: i64,
    pub band: String,
    pub safety_follow_up: bool,
    pub taken_at: String,
    pub recorded_by: String,
}

impl WriteTxn {
    /// Stores a completed questionnaire with its answers (JSON) and score. Audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_measure(
        &mut self,
        permit: &Permit,
        person: PersonId,
        questionnaire: &str,
        answers_json: &str,
        total: i64,
        band: &str,
        safety_follow_up: bool,
        by: &str,
    ) -> Result<(), StoreError> {
        require(permit, &[Action::WriteCarePlan], "record a questionnaire")?;
        sqlx::query(
            "INSERT INTO measure_responses (id, person_id, questionnaire, answers, total, band, safety_follow_up, taken_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(person.to_string())
        .bind(questionnaire)
        .bind(answers_json)
        .bind(total)
        .bind(band)
        .bind(i64::from(safety_follow_up))
        .bind(format_timestamp(chrono::Utc::now()))
        .bind(by)
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("person:{person}/measure:{questionnaire}"))
            .await?;
        Ok(())
    }

    /// Every completed questionnaire of a person, newest first. Audited.
    pub async fn measure_history(
        &mut self,
        permit: &Permit,
        person: PersonId,
    ) -> Result<Vec<MeasureRecord>, StoreError> {
        require(
            permit,
            &[Action::ReadCarePlan, Action::WriteCarePlan],
            "read questionnaires",
        )?;
        let rows = sqlx::query(
            "SELECT id, questionnaire, answers, total, band, safety_follow_up, taken_at, recorded_by FROM measure_responses \
             WHERE person_id = $1 ORDER BY taken_at DESC",
        )
        .bind(person.to_string())
        .fetch_all(self.conn())
        .await?;
        self.audit_permit(permit, &format!("person:{person}/measures")).await?;
        rows.iter()
            .map(|row| {
                let safety: i64 = row.try_get("safety_follow_up")?;
                Ok(MeasureRecord {
                    id: row.try_get("id")?,
                    questionnaire: row.try_get("questionnaire")?,
                    answers: row.try_get("answers")?,
                    total: row.try_get("total")?,
                    band: row.try_get("band")?,
                    safety_follow_up: safety != 0,
                    taken_at: row.try_get("taken_at")?,
                    recorded_by: row.try_get("recorded_by")?,
                })
            })
            .collect()
    }
}
