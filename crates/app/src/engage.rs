//! Stakeholder engagement and funding change (PRODUCT.md, module 7): the register, activities,
//! proposals followed to what happened, ratings on the three facets, payments, funding changes
//! with outcome indicators and their interrupted time series, and the GRIPP2 draft. Everything
//! goes through the one policy (`UseEngagementWorkspace` on the organisation) and the audit log.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use cocare_core::{Actor, OrganisationId};
use cocare_engage::engagement::{
    self as domain, ACTIVITY_KINDS, BoardItem, CATEGORIES, FUNDING_KINDS, FacetMeans, Gripp2, Gripp2Facts,
    PROPOSAL_STATUSES, Rating, Voice,
};
use cocare_engage::its::{self, Its, Series};
use cocare_policy::{Action, Permit};
use cocare_store::{
    ActionRow, ActivityRow, AttendanceRow, FundingChangeRow, IndicatorRow, PaymentRow, ProposalRow, RatingRow,
    StakeholderRow, WriteTxn,
};

use crate::error::Checks;
use crate::{App, AppError};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Everything the engagement lead works with, loaded at once (a service's engagement is small).
#[derive(Debug, Clone, Default)]
pub struct EngagementView {
    pub stakeholders: Vec<StakeholderRow>,
    pub activities: Vec<ActivityRow>,
    /// (activity, attendance)
    pub attendance: Vec<(String, AttendanceRow)>,
    pub proposals: Vec<ProposalRow>,
    pub actions: Vec<ActionRow>,
    pub ratings: Vec<RatingRow>,
    pub payments: Vec<PaymentRow>,
    pub funding: Vec<FundingChangeRow>,
    pub indicators: Vec<IndicatorRow>,
    /// (first entry, later entry that looks the same)
    pub duplicates: Vec<(String, String)>,
    pub board: Vec<BoardItem>,
    pub voices: Vec<Voice>,
    pub by_category: Vec<FacetMeans>,
    pub by_month: Vec<FacetMeans>,
}

impl EngagementView {
    pub fn stakeholder_name(&self, id: &str) -> String {
        self.stakeholders
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| "(not in the register)".to_string(), |s| s.name.clone())
    }

    pub fn activity(&self, id: &str) -> Option<&ActivityRow> {
        self.activities.iter().find(|a| a.id == id)
    }

    pub fn activity_title(&self, id: &str) -> String {
        self.activity(id)
            .map_or_else(String::new, |a| format!("{} ({})", a.title, a.held_on))
    }

    /// Engagement over time: (month, activities, invitations, attendances), in date order.
    pub fn by_month_attendance(&self) -> Vec<(String, usize, usize, usize)> {
        let mut months: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
        for a in &self.activities {
            let month: String = a.held_on.chars().take(7).collect();
            let entry = months.entry(month).or_default();
            entry.0 += 1;
            for (_, row) in self.attendance.iter().filter(|(act, _)| *act == a.id) {
                entry.1 += usize::from(row.invited);
                entry.2 += usize::from(row.attended);
            }
        }
        months.into_iter().map(|(m, (a, i, c))| (m, a, i, c)).collect()
    }

    /// Active (not merged) stakeholders.
    pub fn current(&self) -> Vec<&StakeholderRow> {
        self.stakeholders.iter().filter(|s| s.merged_into.is_none()).collect()
    }

    pub fn category_label(key: &str) -> &'static str {
        domain::label(&CATEGORIES, key)
    }

    /// What one payment comes to, in pence.
    pub fn payment(p: &PaymentRow) -> i64 {
        domain::payment_total(p.quantity_hundredths, p.rate_pence, p.expenses_pence)
    }

    fn paid_by(&self, key: impl Fn(&PaymentRow) -> String) -> Vec<(String, i64)> {
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        for p in &self.payments {
            *totals.entry(key(p)).or_default() += Self::payment(p);
        }
        totals.into_iter().collect()
    }

    /// Payment totals per stakeholder: (stakeholder, total pence), largest first.
    pub fn paid_by_person(&self) -> Vec<(String, i64)> {
        let mut out = self.paid_by(|p| p.stakeholder.clone());
        out.sort_by_key(|b| std::cmp::Reverse(b.1));
        out
    }

    /// Payment totals per activity (the piece of work paid for): (activity or "", total pence).
    pub fn paid_by_activity(&self) -> Vec<(String, i64)> {
        self.paid_by(|p| p.activity.clone().unwrap_or_default())
    }

    pub fn paid_total(&self) -> i64 {
        self.payments.iter().map(Self::payment).sum()
    }

    /// Activities within `days` of a funding change's date, before or after.
    pub fn activities_around(&self, change: &FundingChangeRow, days: i64) -> Vec<&ActivityRow> {
        let Some(at) = domain::parse_date(&change.effective_on) else {
            return Vec::new();
        };
        self.activities
            .iter()
            .filter(|a| {
                a.funding_change.as_deref() == Some(change.id.as_str())
                    || domain::parse_date(&a.held_on).is_some_and(|d| (d - at).num_days().abs() <= days)
            })
            .collect()
    }
}

/// An indicator with its analysis (or why there is none).
#[derive(Debug, Clone)]
pub struct IndicatorAnalysis {
    pub indicator: IndicatorRow,
    pub its: Result<Its, String>,
}

impl App {
    async fn engage_scope(&self, actor: &Actor) -> Result<(OrganisationId, Permit), AppError> {
        self.records_scope(actor, Action::UseEngagementWorkspace).await
    }

    async fn engage_txn(&self, actor: &Actor) -> Result<(OrganisationId, Permit, WriteTxn), AppError> {
        let (organisation, permit) = self.engage_scope(actor).await?;
        let tx = self.store.begin_write().await?;
        Ok((organisation, permit, tx))
    }

    /// The whole engagement picture of the actor's organisation.
    pub async fn engagement(&self, actor: &Actor) -> Result<EngagementView, AppError> {
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let stakeholders = tx.stakeholders(&permit, organisation).await?;
        let activities = tx.activities(&permit, organisation).await?;
        let attendance = tx.attendance(&permit, organisation).await?;
        let proposals = tx.proposals(&permit, organisation).await?;
        let actions = tx.actions(&permit, organisation).await?;
        let ratings = tx.ratings(&permit, organisation).await?;
        let payments = tx.payments(&permit, organisation).await?;
        let funding = tx.funding_changes(&permit, organisation).await?;
        let indicators = tx.indicators(&permit, organisation).await?;
        tx.commit().await?;
        Ok(summarise(EngagementView {
            stakeholders,
            activities,
            attendance,
            proposals,
            actions,
            ratings,
            payments,
            funding,
            indicators,
            ..EngagementView::default()
        }))
    }

    /// Funding changes with their indicators and the activities around them, for whoever may
    /// record funding changes: the whole picture for an engagement lead, and for a commissioner
    /// the same without the register, proposals, ratings or payments.
    pub async fn funding_view(&self, actor: &Actor) -> Result<EngagementView, AppError> {
        if cocare_policy::actor_may(actor, Action::UseEngagementWorkspace) {
            return self.engagement(actor).await;
        }
        let (organisation, permit) = self.records_scope(actor, Action::RecordFundingChange).await?;
        let mut tx = self.store.begin_write().await?;
        let activities = tx.activities(&permit, organisation).await?;
        let attendance = tx.attendance(&permit, organisation).await?;
        let funding = tx.funding_changes(&permit, organisation).await?;
        let indicators = tx.indicators(&permit, organisation).await?;
        tx.audit_permit(&permit, &format!("funding:{organisation}:read"))
            .await?;
        tx.commit().await?;
        Ok(summarise(EngagementView {
            activities,
            attendance,
            funding,
            indicators,
            ..EngagementView::default()
        }))
    }

    /// Adds a stakeholder or changes one (`s.id` empty for a new one). Returns the id.
    pub async fn save_stakeholder(&self, actor: &Actor, s: &StakeholderRow) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if s.name.trim().is_empty() {
            checks.fail("name", "Give a name (a person's or an organisation's).");
        }
        if !CATEGORIES.iter().any(|(k, _)| *k == s.category) {
            checks.fail("category", "Choose a category.");
        }
        if !["person", "organisation"].contains(&s.kind.as_str()) {
            checks.fail("kind", "Say whether this is a person or an organisation.");
        }
        checks.finish()?;
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let row = StakeholderRow {
            id: if s.id.is_empty() { new_id() } else { s.id.clone() },
            name: s.name.trim().to_string(),
            ..s.clone()
        };
        tx.save_stakeholder(&permit, organisation, &row).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// Merges a duplicate entry into the one to keep; nothing recorded against it is lost.
    pub async fn merge_stakeholders(&self, actor: &Actor, duplicate: &str, keep: &str) -> Result<(), AppError> {
        if duplicate == keep {
            return Err(AppError::Conflict("an entry cannot be merged into itself".into()));
        }
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let all = tx.stakeholders(&permit, organisation).await?;
        if !all.iter().any(|s| s.id == keep && s.merged_into.is_none()) {
            return Err(AppError::NotFound);
        }
        tx.merge_stakeholder(&permit, organisation, duplicate, keep).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an activity and who was invited and came.
    pub async fn save_activity(
        &self,
        actor: &Actor,
        a: &ActivityRow,
        attendance: &[AttendanceRow],
    ) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if a.title.trim().is_empty() {
            checks.fail("title", "Give the activity a title.");
        }
        if !ACTIVITY_KINDS.iter().any(|(k, _)| *k == a.kind) {
            checks.fail("kind", "Choose the kind of activity.");
        }
        if domain::parse_date(&a.held_on).is_none() {
            checks.fail("held_on", "Write the date as YYYY-MM-DD, for example 2026-03-14.");
        }
        if a.purpose.trim().is_empty() {
            checks.fail(
                "purpose",
                "Say what the activity is for: the shared purpose people meet around.",
            );
        }
        checks.finish()?;
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let row = ActivityRow {
            id: if a.id.is_empty() { new_id() } else { a.id.clone() },
            ..a.clone()
        };
        tx.save_activity(&permit, organisation, &row, attendance).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// Records a proposal raised at an activity, or what happened to one.
    pub async fn save_proposal(&self, actor: &Actor, p: &ProposalRow) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if p.text.trim().is_empty() {
            checks.fail("proposal", "Write what was proposed, in the words used.");
        }
        if !PROPOSAL_STATUSES.iter().any(|(k, _)| *k == p.status) {
            checks.fail("status", "Choose where the proposal stands.");
        }
        if matches!(p.status.as_str(), "done" | "declined") && p.response.trim().is_empty() {
            checks.fail(
                "response",
                "Say what was done, or why not: this is what the people who raised it will read.",
            );
        }
        checks.finish()?;
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let row = ProposalRow {
            id: if p.id.is_empty() { new_id() } else { p.id.clone() },
            ..p.clone()
        };
        tx.save_proposal(&permit, organisation, &row).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// Records an action with its owner and due date (an action without an owner is refused).
    pub async fn save_action(&self, actor: &Actor, a: &ActionRow) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if a.text.trim().is_empty() {
            checks.fail("action", "Write what will be done.");
        }
        if a.owner.trim().is_empty() {
            checks.fail(
                "owner",
                "Name who will do it: an action without an owner tends not to happen.",
            );
        }
        if domain::parse_date(&a.due_on).is_none() {
            checks.fail("due_on", "Write the due date as YYYY-MM-DD.");
        }
        if a.done_on.as_deref().is_some_and(|d| domain::parse_date(d).is_none()) {
            checks.fail("done_on", "Write the date it was done as YYYY-MM-DD.");
        }
        checks.finish()?;
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let row = ActionRow {
            id: if a.id.is_empty() { new_id() } else { a.id.clone() },
            ..a.clone()
        };
        tx.save_action(&permit, organisation, &row).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// Records a participant's rating of an activity on the three facets (1–5).
    pub async fn save_rating(&self, actor: &Actor, r: &RatingRow) -> Result<(), AppError> {
        let mut checks = Checks::default();
        for (field, v) in [
            ("shared_purpose", r.shared_purpose),
            ("participation", r.participation),
            ("dialogue", r.dialogue),
        ] {
            if !(1..=5).contains(&v) {
                checks.fail(field, "Choose 1 (not at all) to 5 (very much).");
            }
        }
        if r.stakeholder.is_empty() {
            checks.fail("stakeholder", "Choose who is rating.");
        }
        checks.finish()?;
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let activities = tx.activities(&permit, organisation).await?;
        if !activities.iter().any(|a| a.id == r.activity) {
            return Err(AppError::NotFound);
        }
        tx.save_rating(&permit, r).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a fresh single-use rating link for each person who came to an activity and has not
    /// rated it: (stakeholder, token). The tokens are shown once; only their hashes are kept.
    pub async fn rating_links(&self, actor: &Actor, activity: &str) -> Result<Vec<(String, String)>, AppError> {
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let activities = tx.activities(&permit, organisation).await?;
        if !activities.iter().any(|a| a.id == activity) {
            return Err(AppError::NotFound);
        }
        let rated: Vec<String> = tx
            .ratings(&permit, organisation)
            .await?
            .into_iter()
            .filter(|r| r.activity == activity)
            .map(|r| r.stakeholder)
            .collect();
        let came: Vec<String> = tx
            .attendance(&permit, organisation)
            .await?
            .into_iter()
            .filter(|(a, r)| a == activity && r.attended && !rated.contains(&r.stakeholder))
            .map(|(_, r)| r.stakeholder)
            .collect();
        let mut out = Vec::new();
        for stakeholder in came {
            let token = crate::secret::random_token()?;
            tx.save_rating_link(&permit, activity, &stakeholder, &crate::secret::token_hash(&token))
                .await?;
            out.push((stakeholder, token));
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The activity a rating link is for (its title and date), if the link can still be used.
    pub async fn rating_link(&self, token: &str) -> Result<ActivityRow, AppError> {
        let system = Actor::system("rating-link");
        let permit = cocare_policy::decide(&system, Action::UseEngagementWorkspace, &cocare_policy::Resource::Own)?;
        let mut tx = self.store.begin_write().await?;
        let (activity, _, used) = tx
            .rating_link(&permit, &crate::secret::token_hash(token))
            .await?
            .ok_or(AppError::NotFound)?;
        if used.is_some() {
            return Err(AppError::Conflict(
                "this link has already been used to rate the activity; thank you. Ask the engagement lead for a new one if you want to change your answer".into(),
            ));
        }
        let row = tx.activity_by_id(&permit, &activity).await?.ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(row)
    }

    /// A participant's own rating through their link; the link is then used up.
    pub async fn rate_by_link(&self, token: &str, facets: [i64; 3], comment: &str) -> Result<(), AppError> {
        let system = Actor::system("rating-link");
        let permit = cocare_policy::decide(&system, Action::UseEngagementWorkspace, &cocare_policy::Resource::Own)?;
        let hash = crate::secret::token_hash(token);
        let mut tx = self.store.begin_write().await?;
        let (activity, stakeholder, used) = tx.rating_link(&permit, &hash).await?.ok_or(AppError::NotFound)?;
        if used.is_some() {
            return Err(AppError::Conflict(
                "this link has already been used to rate the activity; thank you".into(),
            ));
        }
        let mut checks = Checks::default();
        for (field, v) in ["shared_purpose", "participation", "dialogue"].into_iter().zip(facets) {
            if !(1..=5).contains(&v) {
                checks.fail(field, "Choose 1 (not at all) to 5 (very much).");
            }
        }
        checks.finish()?;
        if !tx.use_rating_link(&permit, &hash).await? {
            return Err(AppError::Conflict(
                "this link has already been used to rate the activity; thank you".into(),
            ));
        }
        tx.save_rating(
            &permit,
            &RatingRow {
                activity,
                stakeholder,
                shared_purpose: facets[0],
                participation: facets[1],
                dialogue: facets[2],
                comment: comment.trim().to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a payment or reimbursement for involvement.
    pub async fn save_payment(&self, actor: &Actor, p: &PaymentRow) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if p.stakeholder.is_empty() {
            checks.fail("stakeholder", "Choose who is paid.");
        }
        if domain::parse_date(&p.paid_on).is_none() {
            checks.fail("paid_on", "Write the date as YYYY-MM-DD.");
        }
        if !["hours", "sessions"].contains(&p.units.as_str()) {
            checks.fail("units", "Choose hours or sessions.");
        }
        if p.quantity_hundredths <= 0 && p.expenses_pence <= 0 {
            checks.fail("quantity", "Give the hours or sessions, or the expenses, paid for.");
        }
        checks.finish()?;
        let (organisation, permit, mut tx) = self.engage_txn(actor).await?;
        let row = PaymentRow {
            id: new_id(),
            ..p.clone()
        };
        tx.save_payment(&permit, organisation, &row).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// Records a funding change (one dated in the future is refused: record it when it
    /// takes effect, and the engagement before it meanwhile).
    pub async fn save_funding_change(&self, actor: &Actor, f: &FundingChangeRow) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if f.programme.trim().is_empty() {
            checks.fail("programme", "Name the programme or service whose funding changed.");
        }
        if !FUNDING_KINDS.iter().any(|(k, _)| *k == f.kind) {
            checks.fail("kind", "Choose the kind of change.");
        }
        match domain::parse_date(&f.effective_on) {
            None => checks.fail("effective_on", "Write the date it took effect as YYYY-MM-DD."),
            Some(d) if d > today() => checks.fail(
                "effective_on",
                format!(
                    "{d} is in the future: record a funding change once it has taken effect (plan the engagement before it as activities meanwhile)."
                ),
            ),
            Some(_) => {}
        }
        checks.finish()?;
        let (organisation, permit) = self.records_scope(actor, Action::RecordFundingChange).await?;
        let mut tx = self.store.begin_write().await?;
        let row = FundingChangeRow {
            id: if f.id.is_empty() { new_id() } else { f.id.clone() },
            ..f.clone()
        };
        tx.save_funding_change(&permit, organisation, &row).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// Records an outcome indicator's series (`date,value` CSV, equally spaced: a gap is named).
    pub async fn save_indicator(&self, actor: &Actor, i: &IndicatorRow) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if i.name.trim().is_empty() {
            checks.fail(
                "indicator_name",
                "Name the indicator (for example \u{201c}A&E attendances a month\u{201d}).",
            );
        }
        if !["system", "service_user"].contains(&i.kind.as_str()) {
            checks.fail(
                "indicator_kind",
                "Say whether it is a system or a service-user outcome.",
            );
        }
        if let Err(problems) = Series::parse_csv(&i.series) {
            for p in problems.iter().take(10) {
                checks.fail("series", format!("The series, {p}."));
            }
        }
        checks.finish()?;
        let (organisation, permit) = self.records_scope(actor, Action::RecordFundingChange).await?;
        let mut tx = self.store.begin_write().await?;
        let row = IndicatorRow {
            id: if i.id.is_empty() { new_id() } else { i.id.clone() },
            ..i.clone()
        };
        tx.save_indicator(&permit, organisation, &row).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// A funding change with each indicator's interrupted time series around it.
    pub async fn funding_change(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(EngagementView, FundingChangeRow, Vec<IndicatorAnalysis>), AppError> {
        let view = self.funding_view(actor).await?;
        let change = view
            .funding
            .iter()
            .find(|f| f.id == id)
            .cloned()
            .ok_or(AppError::NotFound)?;
        let at = domain::parse_date(&change.effective_on)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("a stored funding change has no date")))?;
        let analyses = view
            .indicators
            .iter()
            .filter(|i| i.funding_change == change.id)
            .map(|i| IndicatorAnalysis {
                indicator: i.clone(),
                its: match Series::parse_csv(&i.series) {
                    Err(p) => Err(p.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
                    Ok(series) => its::fit(&series, at).map_err(|e| e.to_string()),
                },
            })
            .collect();
        Ok((view, change, analyses))
    }

    /// The GRIPP2 short form drafted from what was recorded.
    pub async fn gripp2_draft(&self, actor: &Actor) -> Result<Gripp2, AppError> {
        let view = self.engagement(actor).await?;
        let (organisation, _) = self.engage_scope(actor).await?;
        let name = self
            .store
            .organisations()
            .await?
            .into_iter()
            .find(|o| o.id == organisation)
            .map_or_else(|| "the service".to_string(), |o| o.name);
        let dates: Vec<NaiveDate> = view
            .activities
            .iter()
            .filter_map(|a| domain::parse_date(&a.held_on))
            .collect();
        let mut categories: Vec<String> = Vec::new();
        for (key, label) in CATEGORIES {
            if view.current().iter().any(|s| s.category == key) {
                categories.push(label.to_string());
            }
        }
        let mut kinds: Vec<String> = Vec::new();
        for (key, label) in ACTIVITY_KINDS {
            let n = view.activities.iter().filter(|a| a.kind == key).count();
            if n > 0 {
                kinds.push(format!("{n} {}", label.to_lowercase()));
            }
        }
        let count = |status: &str| view.proposals.iter().filter(|p| p.status == status).count();
        let facts = Gripp2Facts {
            organisation: name,
            stakeholders: view.current().len(),
            categories,
            activities: view.activities.len(),
            kinds,
            first: dates.iter().min().copied(),
            last: dates.iter().max().copied(),
            attendances: view.attendance.iter().filter(|(_, a)| a.attended).count(),
            proposals: view.proposals.len(),
            done: count("done"),
            declined: count("declined"),
            open: count("open") + count("accepted"),
            ratings: view.ratings.len(),
            facet_means: (!view.ratings.is_empty()).then(|| {
                let n = view.ratings.len() as f64;
                [
                    view.ratings.iter().map(|r| r.shared_purpose as f64).sum::<f64>() / n,
                    view.ratings.iter().map(|r| r.participation as f64).sum::<f64>() / n,
                    view.ratings.iter().map(|r| r.dialogue as f64).sum::<f64>() / n,
                ]
            }),
            paid_pence: view.paid_total(),
            under_heard: view
                .voices
                .iter()
                .filter_map(|v| {
                    v.under_heard
                        .as_ref()
                        .map(|why| format!("{} ({why})", v.label.to_lowercase()))
                })
                .collect(),
            funding_changes: view.funding.len(),
        };
        Ok(domain::gripp2(&facts))
    }
}

fn summarise(mut v: EngagementView) -> EngagementView {
    let category_of: BTreeMap<String, String> = v
        .stakeholders
        .iter()
        .map(|s| (s.id.clone(), s.category.clone()))
        .collect();
    let ratings: Vec<Rating> = v
        .ratings
        .iter()
        .map(|r| Rating {
            activity: r.activity.clone(),
            stakeholder: r.stakeholder.clone(),
            facets: [r.shared_purpose, r.participation, r.dialogue],
        })
        .collect();
    let month_of: BTreeMap<String, String> = v
        .activities
        .iter()
        .map(|a| (a.id.clone(), a.held_on.chars().take(7).collect()))
        .collect();
    let attendance: Vec<(String, bool, bool)> = v
        .attendance
        .iter()
        .map(|(_, a)| (a.stakeholder.clone(), a.invited, a.attended))
        .collect();
    let raised: Vec<String> = v.proposals.iter().filter_map(|p| p.raised_by.clone()).collect();
    let held: BTreeMap<&str, NaiveDate> = v
        .activities
        .iter()
        .filter_map(|a| domain::parse_date(&a.held_on).map(|d| (a.id.as_str(), d)))
        .collect();
    let proposals: Vec<(String, String, String, NaiveDate)> = v
        .proposals
        .iter()
        .map(|p| {
            let raised = held.get(p.activity.as_str()).copied().unwrap_or_else(today);
            (p.id.clone(), p.status.clone(), p.response.clone(), raised)
        })
        .collect();
    let actions: Vec<(Option<String>, String, Option<NaiveDate>, NaiveDate)> = v
        .actions
        .iter()
        .map(|a| {
            (
                a.proposal.clone(),
                a.owner.clone(),
                a.done_on.as_deref().and_then(domain::parse_date),
                domain::parse_date(&a.due_on).unwrap_or_else(today),
            )
        })
        .collect();
    let names: Vec<(String, String)> = v
        .stakeholders
        .iter()
        .filter(|s| s.merged_into.is_none())
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect();
    v.duplicates = domain::likely_duplicates(&names);
    v.board = domain::board(&proposals, &actions, today(), 28);
    v.voices = domain::voices(&attendance, &raised, &ratings, &category_of);
    v.by_category = domain::facets_by_category(&ratings, &category_of);
    v.by_month = domain::facets_by_month(&ratings, &month_of);
    v
}
