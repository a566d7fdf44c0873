//! Stakeholder engagement and funding change: the register, activities with attendance,
//! proposals and actions, ratings, payments, funding changes and their indicators.
//!
//! Every method takes a permit for `UseEngagementWorkspace` on the organisation; reads and
//! writes of the register (names, accessibility needs) append an audit row naming ids only.

use chrono::Utc;
use cocare_core::{OrganisationId, format_timestamp};
use cocare_policy::{Action, Permit};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rows::require;
use crate::{StoreError, WriteTxn};

const ENGAGE: &[Action] = &[Action::UseEngagementWorkspace];
/// Funding changes, their indicators, and the activities around them (titles, dates and
/// attendance by id, never the register) are for commissioners too.
const FUNDING: &[Action] = &[Action::UseEngagementWorkspace, Action::RecordFundingChange];

fn now() -> String {
    format_timestamp(Utc::now())
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StakeholderRow {
    pub id: String,
    pub name: String,
    /// `person` or `organisation`.
    pub kind: String,
    pub category: String,
    /// Groups, one per line (for example "Study stakeholder group").
    pub groups: String,
    pub contact_preference: String,
    pub accessibility_needs: String,
    /// Set when this entry was merged into another (a duplicate).
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivityRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub purpose: String,
    /// YYYY-MM-DD.
    pub held_on: String,
    pub minutes: String,
    /// Decisions taken at the activity.
    pub decisions: String,
    pub funding_change: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    pub stakeholder: String,
    pub invited: bool,
    pub attended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProposalRow {
    pub id: String,
    pub activity: String,
    pub raised_by: Option<String>,
    pub text: String,
    /// `open`, `accepted`, `done` or `declined`.
    pub status: String,
    /// What was done, or why not ("we did").
    pub response: String,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionRow {
    pub id: String,
    pub activity: String,
    pub proposal: Option<String>,
    pub text: String,
    pub owner: String,
    pub due_on: String,
    pub done_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRow {
    pub activity: String,
    pub stakeholder: String,
    pub shared_purpose: i64,
    pub participation: i64,
    pub dialogue: i64,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaymentRow {
    pub id: String,
    pub stakeholder: String,
    pub activity: Option<String>,
    pub paid_on: String,
    /// `hours` or `sessions`.
    pub units: String,
    /// Hours or sessions × 100 (so 1.5 hours is 150).
    pub quantity_hundredths: i64,
    pub rate_pence: i64,
    pub expenses_pence: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FundingChangeRow {
    pub id: String,
    pub programme: String,
    /// `cut`, `increase`, `reallocation` or `new_payment_model`.
    pub kind: String,
    pub amount_before_pence: i64,
    pub amount_after_pence: i64,
    pub effective_on: String,
    pub context: String,
    pub mechanisms: String,
    pub outcomes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndicatorRow {
    pub id: String,
    pub funding_change: String,
    pub name: String,
    /// `system` or `service_user`.
    pub kind: String,
    pub unit: String,
    pub higher_is_better: bool,
    /// The series as `date,value` CSV.
    pub series: String,
}

fn stakeholder_row(r: &AnyRow) -> Result<StakeholderRow, StoreError> {
    Ok(StakeholderRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        category: r.try_get("category")?,
        groups: r.try_get("groups")?,
        contact_preference: r.try_get("contact_preference")?,
        accessibility_needs: r.try_get("accessibility_needs")?,
        merged_into: r.try_get("merged_into")?,
    })
}

fn activity_row(r: &AnyRow) -> Result<ActivityRow, StoreError> {
    Ok(ActivityRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        purpose: r.try_get("purpose")?,
        held_on: r.try_get("held_on")?,
        minutes: r.try_get("minutes")?,
        decisions: r.try_get("decisions")?,
        funding_change: r.try_get("funding_change_id")?,
    })
}

fn funding_row(r: &AnyRow) -> Result<FundingChangeRow, StoreError> {
    Ok(FundingChangeRow {
        id: r.try_get("id")?,
        programme: r.try_get("programme")?,
        kind: r.try_get("kind")?,
        amount_before_pence: r.try_get("amount_before_pence")?,
        amount_after_pence: r.try_get("amount_after_pence")?,
        effective_on: r.try_get("effective_on")?,
        context: r.try_get("context")?,
        mechanisms: r.try_get("mechanisms")?,
        outcomes: r.try_get("outcomes")?,
    })
}

impl WriteTxn {
    /// Refuses an activity that is not the organisation's (as if it did not exist).
    async fn require_activity(&mut self, organisation: OrganisationId, activity: &str) -> Result<(), StoreError> {
        let owned: Option<String> =
            sqlx::query_scalar("SELECT id FROM engagement_activities WHERE id = $1 AND organisation_id = $2")
                .bind(activity)
                .bind(organisation.to_string())
                .fetch_optional(self.conn())
                .await?;
        owned.map(|_| ()).ok_or(StoreError::NotFound("activity"))
    }

    /// Adds a stakeholder, or replaces one's details (`id` already in the register).
    pub async fn save_stakeholder(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        s: &StakeholderRow,
    ) -> Result<(), StoreError> {
        require(permit, ENGAGE, "keep the stakeholder register")?;
        let done = sqlx::query(
            "UPDATE stakeholders SET name = $1, kind = $2, category = $3, groups = $4, contact_preference = $5, \
             accessibility_needs = $6 WHERE id = $7 AND organisation_id = $8",
        )
        .bind(&s.name)
        .bind(&s.kind)
        .bind(&s.category)
        .bind(&s.groups)
        .bind(&s.contact_preference)
        .bind(&s.accessibility_needs)
        .bind(&s.id)
        .bind(organisation.to_string())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO stakeholders (id, organisation_id, name, kind, category, groups, contact_preference, \
                 accessibility_needs, merged_into, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10)",
            )
            .bind(&s.id)
            .bind(organisation.to_string())
            .bind(&s.name)
            .bind(&s.kind)
            .bind(&s.category)
            .bind(&s.groups)
            .bind(&s.contact_preference)
            .bind(&s.accessibility_needs)
            .bind(now())
            .bind(permit.actor())
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("a stakeholder with this id"))?;
        }
        self.audit_permit(permit, &format!("stakeholder:{}:saved", s.id))
            .await?;
        Ok(())
    }

    /// The register, merged entries included (they point at the entry they joined).
    pub async fn stakeholders(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<StakeholderRow>, StoreError> {
        require(permit, ENGAGE, "read the stakeholder register")?;
        let rows = sqlx::query(
            "SELECT id, name, kind, category, groups, contact_preference, accessibility_needs, merged_into \
             FROM stakeholders WHERE organisation_id = $1 ORDER BY name, id",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        let out = rows.iter().map(stakeholder_row).collect::<Result<Vec<_>, _>>()?;
        self.audit_permit(permit, &format!("stakeholders:{organisation}:read"))
            .await?;
        Ok(out)
    }

    /// Merges a duplicate into the entry it repeats: its attendance, ratings, proposals and
    /// payments move across (where the kept entry has none of its own for the same activity),
    /// and the duplicate stays, marked, so nothing is lost.
    pub async fn merge_stakeholder(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        duplicate: &str,
        keep: &str,
    ) -> Result<(), StoreError> {
        require(permit, ENGAGE, "merge stakeholders")?;
        for (table, column) in [
            ("engagement_attendance", "stakeholder_id"),
            ("engagement_ratings", "stakeholder_id"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET {column} = $1 WHERE {column} = $2 AND activity_id NOT IN \
                 (SELECT activity_id FROM {table} WHERE {column} = $1)"
            )))
            .bind(keep)
            .bind(duplicate)
            .execute(self.conn())
            .await?;
        }
        sqlx::query("UPDATE engagement_proposals SET raised_by = $1 WHERE raised_by = $2")
            .bind(keep)
            .bind(duplicate)
            .execute(self.conn())
            .await?;
        sqlx::query("UPDATE engagement_payments SET stakeholder_id = $1 WHERE stakeholder_id = $2")
            .bind(keep)
            .bind(duplicate)
            .execute(self.conn())
            .await?;
        let done = sqlx::query("UPDATE stakeholders SET merged_into = $1 WHERE id = $2 AND organisation_id = $3")
            .bind(keep)
            .bind(duplicate)
            .bind(organisation.to_string())
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("stakeholder"));
        }
        self.audit_permit(permit, &format!("stakeholder:{duplicate}:merged-into:{keep}"))
            .await?;
        Ok(())
    }

    pub async fn save_activity(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        a: &ActivityRow,
        attendance: &[AttendanceRow],
    ) -> Result<(), StoreError> {
        require(permit, ENGAGE, "record an activity")?;
        let done = sqlx::query(
            "UPDATE engagement_activities SET kind = $1, title = $2, purpose = $3, held_on = $4, minutes = $5, \
             funding_change_id = $6, decisions = $9 WHERE id = $7 AND organisation_id = $8",
        )
        .bind(&a.kind)
        .bind(&a.title)
        .bind(&a.purpose)
        .bind(&a.held_on)
        .bind(&a.minutes)
        .bind(a.funding_change.as_deref())
        .bind(&a.id)
        .bind(organisation.to_string())
        .bind(&a.decisions)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO engagement_activities (id, organisation_id, kind, title, purpose, held_on, minutes, \
                 funding_change_id, created_at, created_by, decisions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&a.id)
            .bind(organisation.to_string())
            .bind(&a.kind)
            .bind(&a.title)
            .bind(&a.purpose)
            .bind(&a.held_on)
            .bind(&a.minutes)
            .bind(a.funding_change.as_deref())
            .bind(now())
            .bind(permit.actor())
            .bind(&a.decisions)
            .execute(self.conn())
            .await?;
        }
        sqlx::query("DELETE FROM engagement_attendance WHERE activity_id = $1")
            .bind(&a.id)
            .execute(self.conn())
            .await?;
        for at in attendance {
            sqlx::query(
                "INSERT INTO engagement_attendance (activity_id, stakeholder_id, invited, attended) VALUES ($1, $2, $3, $4)",
            )
            .bind(&a.id)
            .bind(&at.stakeholder)
            .bind(i64::from(at.invited))
            .bind(i64::from(at.attended))
            .execute(self.conn())
            .await?;
        }
        self.audit_permit(permit, &format!("activity:{}:saved", a.id)).await?;
        Ok(())
    }

    pub async fn activities(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<ActivityRow>, StoreError> {
        require(permit, FUNDING, "list activities")?;
        let rows = sqlx::query(
            "SELECT id, kind, title, purpose, held_on, minutes, decisions, funding_change_id FROM engagement_activities \
             WHERE organisation_id = $1 ORDER BY held_on, title",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(activity_row).collect()
    }

    /// Attendance of every activity of the organisation: (activity, row).
    pub async fn attendance(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<(String, AttendanceRow)>, StoreError> {
        require(permit, FUNDING, "read attendance")?;
        let rows = sqlx::query(
            "SELECT t.activity_id, t.stakeholder_id, t.invited, t.attended FROM engagement_attendance t \
             JOIN engagement_activities a ON a.id = t.activity_id WHERE a.organisation_id = $1",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let invited: i64 = r.try_get("invited")?;
                let attended: i64 = r.try_get("attended")?;
                Ok((
                    r.try_get("activity_id")?,
                    AttendanceRow {
                        stakeholder: r.try_get("stakeholder_id")?,
                        invited: invited != 0,
                        attended: attended != 0,
                    },
                ))
            })
            .collect()
    }

    pub async fn save_proposal(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        p: &ProposalRow,
    ) -> Result<(), StoreError> {
        require(permit, ENGAGE, "record a proposal")?;
        self.require_activity(organisation, &p.activity).await?;
        let done = sqlx::query(
            "UPDATE engagement_proposals SET text = $1, status = $2, response = $3, raised_by = $4, updated_at = $5, \
             updated_by = $6 WHERE id = $7 AND activity_id = $8",
        )
        .bind(&p.text)
        .bind(&p.status)
        .bind(&p.response)
        .bind(p.raised_by.as_deref())
        .bind(now())
        .bind(permit.actor())
        .bind(&p.id)
        .bind(&p.activity)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO engagement_proposals (id, activity_id, raised_by, text, status, response, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&p.id)
            .bind(&p.activity)
            .bind(p.raised_by.as_deref())
            .bind(&p.text)
            .bind(&p.status)
            .bind(&p.response)
            .bind(now())
            .bind(permit.actor())
            .execute(self.conn())
            .await?;
        }
        self.audit_permit(permit, &format!("proposal:{}:{}", p.id, p.status))
            .await?;
        Ok(())
    }

    pub async fn proposals(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<ProposalRow>, StoreError> {
        require(permit, ENGAGE, "list proposals")?;
        let rows = sqlx::query(
            "SELECT p.id, p.activity_id, p.raised_by, p.text, p.status, p.response, p.updated_at, p.updated_by \
             FROM engagement_proposals p JOIN engagement_activities a ON a.id = p.activity_id \
             WHERE a.organisation_id = $1 ORDER BY a.held_on, p.id",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ProposalRow {
                    id: r.try_get("id")?,
                    activity: r.try_get("activity_id")?,
                    raised_by: r.try_get("raised_by")?,
                    text: r.try_get("text")?,
                    status: r.try_get("status")?,
                    response: r.try_get("response")?,
                    updated_at: r.try_get("updated_at")?,
                    updated_by: r.try_get("updated_by")?,
                })
            })
            .collect()
    }

    pub async fn save_action(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        a: &ActionRow,
    ) -> Result<(), StoreError> {
        require(permit, ENGAGE, "record an action")?;
        self.require_activity(organisation, &a.activity).await?;
        let done = sqlx::query(
            "UPDATE engagement_actions SET text = $1, owner = $2, due_on = $3, done_on = $4, proposal_id = $5 \
             WHERE id = $6 AND activity_id = $7",
        )
        .bind(&a.text)
        .bind(&a.owner)
        .bind(&a.due_on)
        .bind(a.done_on.as_deref())
        .bind(a.proposal.as_deref())
        .bind(&a.id)
        .bind(&a.activity)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO engagement_actions (id, activity_id, proposal_id, text, owner, due_on, done_on, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&a.id)
            .bind(&a.activity)
            .bind(a.proposal.as_deref())
            .bind(&a.text)
            .bind(&a.owner)
            .bind(&a.due_on)
            .bind(a.done_on.as_deref())
            .bind(now())
            .execute(self.conn())
            .await?;
        }
        self.audit_permit(permit, &format!("action:{}:saved", a.id)).await?;
        Ok(())
    }

    pub async fn actions(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<ActionRow>, StoreError> {
        require(permit, ENGAGE, "list actions")?;
        let rows = sqlx::query(
            "SELECT x.id, x.activity_id, x.proposal_id, x.text, x.owner, x.due_on, x.done_on FROM engagement_actions x \
             JOIN engagement_activities a ON a.id = x.activity_id WHERE a.organisation_id = $1 ORDER BY x.due_on, x.id",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ActionRow {
                    id: r.try_get("id")?,
                    activity: r.try_get("activity_id")?,
                    proposal: r.try_get("proposal_id")?,
                    text: r.try_get("text")?,
                    owner: r.try_get("owner")?,
                    due_on: r.try_get("due_on")?,
                    done_on: r.try_get("done_on")?,
                })
            })
            .collect()
    }

    /// Records (or replaces) one participant's rating of an activity.
    pub async fn save_rating(&mut self, permit: &Permit, r: &RatingRow) -> Result<(), StoreError> {
        require(permit, ENGAGE, "record a rating")?;
        sqlx::query("DELETE FROM engagement_ratings WHERE activity_id = $1 AND stakeholder_id = $2")
            .bind(&r.activity)
            .bind(&r.stakeholder)
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO engagement_ratings (activity_id, stakeholder_id, shared_purpose, participation, dialogue, comment, rated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&r.activity)
        .bind(&r.stakeholder)
        .bind(r.shared_purpose)
        .bind(r.participation)
        .bind(r.dialogue)
        .bind(&r.comment)
        .bind(now())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("activity:{}:rated", r.activity))
            .await?;
        Ok(())
    }

    pub async fn ratings(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<RatingRow>, StoreError> {
        require(permit, ENGAGE, "read ratings")?;
        let rows = sqlx::query(
            "SELECT r.activity_id, r.stakeholder_id, r.shared_purpose, r.participation, r.dialogue, r.comment \
             FROM engagement_ratings r JOIN engagement_activities a ON a.id = r.activity_id WHERE a.organisation_id = $1",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RatingRow {
                    activity: r.try_get("activity_id")?,
                    stakeholder: r.try_get("stakeholder_id")?,
                    shared_purpose: r.try_get("shared_purpose")?,
                    participation: r.try_get("participation")?,
                    dialogue: r.try_get("dialogue")?,
                    comment: r.try_get("comment")?,
                })
            })
            .collect()
    }

    pub async fn save_payment(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        p: &PaymentRow,
    ) -> Result<(), StoreError> {
        require(permit, ENGAGE, "record a payment")?;
        sqlx::query(
            "INSERT INTO engagement_payments (id, organisation_id, stakeholder_id, activity_id, paid_on, units, \
             quantity_hundredths, rate_pence, expenses_pence, note, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&p.id)
        .bind(organisation.to_string())
        .bind(&p.stakeholder)
        .bind(p.activity.as_deref())
        .bind(&p.paid_on)
        .bind(&p.units)
        .bind(p.quantity_hundredths)
        .bind(p.rate_pence)
        .bind(p.expenses_pence)
        .bind(&p.note)
        .bind(now())
        .bind(permit.actor())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("payment:{}:recorded", p.id)).await?;
        Ok(())
    }

    pub async fn payments(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        require(permit, ENGAGE, "read payments")?;
        let rows = sqlx::query(
            "SELECT id, stakeholder_id, activity_id, paid_on, units, quantity_hundredths, rate_pence, expenses_pence, note \
             FROM engagement_payments WHERE organisation_id = $1 ORDER BY paid_on, id",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        let out = rows
            .iter()
            .map(|r| {
                Ok(PaymentRow {
                    id: r.try_get("id")?,
                    stakeholder: r.try_get("stakeholder_id")?,
                    activity: r.try_get("activity_id")?,
                    paid_on: r.try_get("paid_on")?,
                    units: r.try_get("units")?,
                    quantity_hundredths: r.try_get("quantity_hundredths")?,
                    rate_pence: r.try_get("rate_pence")?,
                    expenses_pence: r.try_get("expenses_pence")?,
                    note: r.try_get("note")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.audit_permit(permit, &format!("payments:{organisation}:read"))
            .await?;
        Ok(out)
    }

    pub async fn save_funding_change(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        f: &FundingChangeRow,
    ) -> Result<(), StoreError> {
        require(permit, FUNDING, "record a funding change")?;
        let done = sqlx::query(
            "UPDATE funding_changes SET programme = $1, kind = $2, amount_before_pence = $3, amount_after_pence = $4, \
             effective_on = $5, context = $6, mechanisms = $7, outcomes = $8 WHERE id = $9 AND organisation_id = $10",
        )
        .bind(&f.programme)
        .bind(&f.kind)
        .bind(f.amount_before_pence)
        .bind(f.amount_after_pence)
        .bind(&f.effective_on)
        .bind(&f.context)
        .bind(&f.mechanisms)
        .bind(&f.outcomes)
        .bind(&f.id)
        .bind(organisation.to_string())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO funding_changes (id, organisation_id, programme, kind, amount_before_pence, amount_after_pence, \
                 effective_on, context, mechanisms, outcomes, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&f.id)
            .bind(organisation.to_string())
            .bind(&f.programme)
            .bind(&f.kind)
            .bind(f.amount_before_pence)
            .bind(f.amount_after_pence)
            .bind(&f.effective_on)
            .bind(&f.context)
            .bind(&f.mechanisms)
            .bind(&f.outcomes)
            .bind(now())
            .bind(permit.actor())
            .execute(self.conn())
            .await?;
        }
        self.audit_permit(permit, &format!("funding-change:{}:saved", f.id))
            .await?;
        Ok(())
    }

    pub async fn funding_changes(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<FundingChangeRow>, StoreError> {
        require(permit, FUNDING, "list funding changes")?;
        let rows = sqlx::query(
            "SELECT id, programme, kind, amount_before_pence, amount_after_pence, effective_on, context, mechanisms, outcomes \
             FROM funding_changes WHERE organisation_id = $1 ORDER BY effective_on, programme",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(funding_row).collect()
    }

    pub async fn save_indicator(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        i: &IndicatorRow,
    ) -> Result<(), StoreError> {
        require(permit, FUNDING, "record an indicator")?;
        let owned: Option<String> =
            sqlx::query_scalar("SELECT id FROM funding_changes WHERE id = $1 AND organisation_id = $2")
                .bind(&i.funding_change)
                .bind(organisation.to_string())
                .fetch_optional(self.conn())
                .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound("funding change"));
        }
        let done = sqlx::query(
            "UPDATE outcome_indicators SET name = $1, kind = $2, unit = $3, higher_is_better = $4, series = $5 \
             WHERE id = $6 AND funding_change_id = $7",
        )
        .bind(&i.name)
        .bind(&i.kind)
        .bind(&i.unit)
        .bind(i64::from(i.higher_is_better))
        .bind(&i.series)
        .bind(&i.id)
        .bind(&i.funding_change)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO outcome_indicators (id, funding_change_id, name, kind, unit, higher_is_better, series, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&i.id)
            .bind(&i.funding_change)
            .bind(&i.name)
            .bind(&i.kind)
            .bind(&i.unit)
            .bind(i64::from(i.higher_is_better))
            .bind(&i.series)
            .bind(now())
            .execute(self.conn())
            .await?;
        }
        self.audit_permit(permit, &format!("indicator:{}:saved", i.id)).await?;
        Ok(())
    }

    pub async fn indicators(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<IndicatorRow>, StoreError> {
        require(permit, FUNDING, "list indicators")?;
        let rows = sqlx::query(
            "SELECT i.id, i.funding_change_id, i.name, i.kind, i.unit, i.higher_is_better, i.series \
             FROM outcome_indicators i JOIN funding_changes f ON f.id = i.funding_change_id \
             WHERE f.organisation_id = $1 ORDER BY i.name, i.id",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let better: i64 = r.try_get("higher_is_better")?;
                Ok(IndicatorRow {
                    id: r.try_get("id")?,
                    funding_change: r.try_get("funding_change_id")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    unit: r.try_get("unit")?,
                    higher_is_better: better != 0,
                    series: r.try_get("series")?,
                })
            })
            .collect()
    }

    /// Keeps a rating link (only the token's hash).
    pub async fn save_rating_link(
        &mut self,
        permit: &Permit,
        activity: &str,
        stakeholder: &str,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        require(permit, ENGAGE, "make a rating link")?;
        sqlx::query(
            "INSERT INTO engagement_rating_links (token_hash, activity_id, stakeholder_id, created_at, used_at) \
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(token_hash)
        .bind(activity)
        .bind(stakeholder)
        .bind(now())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("activity:{activity}:rating-link-made"))
            .await?;
        Ok(())
    }

    /// What a rating link is for: (activity, stakeholder, used at).
    pub async fn rating_link(
        &mut self,
        permit: &Permit,
        token_hash: &str,
    ) -> Result<Option<(String, String, Option<String>)>, StoreError> {
        require(permit, ENGAGE, "follow a rating link")?;
        let row = sqlx::query(
            "SELECT activity_id, stakeholder_id, used_at FROM engagement_rating_links WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok((
                r.try_get("activity_id")?,
                r.try_get("stakeholder_id")?,
                r.try_get("used_at")?,
            ))
        })
        .transpose()
    }

    /// Marks a link used; false if it already was (two submissions at once: one wins).
    pub async fn use_rating_link(&mut self, permit: &Permit, token_hash: &str) -> Result<bool, StoreError> {
        require(permit, ENGAGE, "use a rating link")?;
        let done =
            sqlx::query("UPDATE engagement_rating_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
                .bind(now())
                .bind(token_hash)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One activity (for a rating link's page: its title and date).
    pub async fn activity_by_id(&mut self, permit: &Permit, id: &str) -> Result<Option<ActivityRow>, StoreError> {
        require(permit, ENGAGE, "read an activity")?;
        let row = sqlx::query(
            "SELECT id, kind, title, purpose, held_on, minutes, decisions, funding_change_id FROM engagement_activities WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(activity_row).transpose()
    }
}
