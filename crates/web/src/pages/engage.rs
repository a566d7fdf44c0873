//! Engagement and funding change: the stakeholder register, activities with attendance,
//! proposals, actions and ratings, the "you said, we did" board, payments, funding changes with
//! their indicators' interrupted time series, the GRIPP2 draft, and a workbook export.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cocare_app::engage_domain::engagement::{
    self as domain, ACTIVITY_KINDS, CATEGORIES, FACETS, FUNDING_KINDS, Gripp2, PROPOSAL_STATUSES,
};
use cocare_app::engage_domain::its::Its;
use cocare_app::{
    ActionRow, ActivityRow, AppError, AttendanceRow, EngagementView, FieldError, FundingChangeRow, IndicatorAnalysis,
    IndicatorRow, PaymentRow, ProposalRow, RatingRow, StakeholderRow,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::forms::FormFields;
use crate::gate::SignedIn;
use crate::pages::records::download;
use crate::pages::{escape_xml, see_other, validation};
use crate::views::{Errors, Layout, render};

type Pairs = &'static [(&'static str, &'static str)];

fn layout(signed_in: &SignedIn, title: impl Into<String>) -> Layout {
    Layout::new(title, Some(&signed_in.0), "/engage")
}

/// What every engagement page has: the view, errors, and the form as typed.
struct Common {
    view: EngagementView,
    errors: Errors,
    f: FormFields,
}

fn label(list: Pairs, key: &str) -> &'static str {
    domain::label(list, key)
}

/// Pence as pounds, for templates (amounts are stored in pence).
pub fn money(pence: impl std::borrow::Borrow<i64>) -> String {
    domain::pounds(*pence.borrow())
}

/// A stakeholder category's label, for templates.
pub fn category(key: &str) -> &'static str {
    domain::label(&CATEGORIES, key)
}

/// An activity kind's label, for templates.
pub fn kind(key: &str) -> &'static str {
    domain::label(&ACTIVITY_KINDS, key)
}

// ----- Charts -----

/// Facet means by month as three lines (1–5), with a table beside it in the template.
fn facets_chart(view: &EngagementView) -> String {
    let points = &view.by_month;
    if points.len() < 2 {
        return String::new();
    }
    let (w, h, left, top, bottom) = (640.0, 260.0, 40.0, 20.0, 40.0);
    let step = (w - left - 20.0) / (points.len() - 1) as f64;
    let y = |v: f64| top + (5.0 - v) / 4.0 * (h - top - bottom);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"facets-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"facets-title\">Mean ratings of the three facets by month, from 1 to 5; the table below has the figures</title>"
    );
    for v in 1..=5 {
        let yy = y(f64::from(v));
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ccc\"/><text x=\"{tx}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"end\">{v}</text>",
            x2 = w - 20.0,
            tx = left - 6.0,
            ty = yy + 4.0
        ));
    }
    let colours = ["#1d4f91", "#0b6b3a", "#a3262a"];
    let dashes = ["", " stroke-dasharray=\"6 3\"", " stroke-dasharray=\"2 3\""];
    for (k, (colour, dash)) in colours.iter().zip(dashes).enumerate() {
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{:.1},{:.1}",
                    left + step * i as f64,
                    y(p.means.get(k).copied().unwrap_or(0.0))
                )
            })
            .collect();
        svg.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"{dash} points=\"{}\"/>",
            path.join(" ")
        ));
    }
    for (i, p) in points.iter().enumerate() {
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            left + step * i as f64,
            h - 18.0,
            p.group
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Facet means by stakeholder category: three bars (1–5) per category, in the facets' colours.
fn category_chart(view: &EngagementView) -> String {
    let groups = &view.by_category;
    if groups.is_empty() {
        return String::new();
    }
    let (label_w, bar_w, group_h) = (160.0, 400.0, 44.0);
    let (w, h) = (label_w + bar_w + 40.0, 30.0 + group_h * groups.len() as f64);
    let x = |v: f64| label_w + (v.clamp(0.0, 5.0) / 5.0) * bar_w;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"category-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"category-title\">Mean ratings of the three facets by stakeholder category, from 0 to 5; the table below has the figures</title>"
    );
    for v in 0..=5 {
        let xx = x(f64::from(v));
        svg.push_str(&format!(
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"18\" y2=\"{y2:.1}\" stroke=\"#e0e0e0\"/><text x=\"{xx:.1}\" y=\"12\" font-size=\"11\" text-anchor=\"middle\">{v}</text>",
            y2 = h - 4.0
        ));
    }
    let colours = ["#1d4f91", "#0b6b3a", "#a3262a"];
    for (i, g) in groups.iter().enumerate() {
        let top = 22.0 + group_h * i as f64;
        svg.push_str(&format!(
            "<text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text>",
            escape_xml(&g.group),
            tx = label_w - 8.0,
            ty = top + 20.0
        ));
        for (k, colour) in colours.iter().enumerate() {
            let v = g.means.get(k).copied().unwrap_or(0.0);
            svg.push_str(&format!(
                "<rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"10\" fill=\"{colour}\"/>",
                y = top + 2.0 + 12.0 * k as f64,
                bw = x(v) - label_w
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Engagement over time: for each month, invitations (outline) and attendances (filled).
fn attendance_chart(view: &EngagementView) -> String {
    let months = view.by_month_attendance();
    if months.is_empty() {
        return String::new();
    }
    let (w, h, left, top, bottom) = (640.0, 240.0, 40.0, 16.0, 40.0);
    let max = months.iter().map(|(_, _, i, c)| (*i).max(*c)).max().unwrap_or(1).max(1) as f64;
    let slot = (w - left - 16.0) / months.len() as f64;
    let bar = (slot * 0.6).min(40.0);
    let y = |v: f64| top + (1.0 - v / max) * (h - top - bottom);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"attendance-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"attendance-title\">Invitations (outlined) and people who came (filled) by month; the table below has the figures</title>"
    );
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e0e0e0\"/><text x=\"{tx}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"end\">{v:.0}</text>",
            x2 = w - 16.0,
            yy = y(v),
            tx = left - 6.0,
            ty = y(v) + 4.0
        ));
    }
    for (i, (month, _, invited, came)) in months.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let base = h - bottom;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{yi:.1}\" width=\"{bar:.1}\" height=\"{hi:.1}\" fill=\"none\" stroke=\"#1d4f91\" stroke-width=\"2\"/><rect x=\"{x:.1}\" y=\"{yc:.1}\" width=\"{bar:.1}\" height=\"{hc:.1}\" fill=\"#1d4f91\"/><text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"middle\">{month}</text>",
            yi = y(*invited as f64),
            hi = base - y(*invited as f64),
            yc = y(*came as f64),
            hc = base - y(*came as f64),
            tx = x + bar / 2.0,
            ty = h - 22.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// An indicator's series: observed points, fitted segments, the counterfactual after the
/// change (dashed), and the change marked.
fn its_chart(its: &Its, id: &str, name: &str) -> String {
    let pts = &its.fitted;
    if pts.len() < 2 {
        return String::new();
    }
    let (w, h, left, top, bottom) = (640.0, 280.0, 56.0, 16.0, 40.0);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for p in pts {
        for v in [Some(p.value), Some(p.fitted), p.counterfactual].into_iter().flatten() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return String::new();
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let step = (w - left - 16.0) / (pts.len() - 1) as f64;
    let x = |i: usize| left + step * i as f64;
    let y = |v: f64| top + (hi - v) / (hi - lo) * (h - top - bottom);
    let title = escape_xml(name);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"its-{id}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"its-{id}\">{title}: observed values (dots), fitted segments (solid) and, after the change, the baseline carried on (dashed); the table below has the figures</title>"
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let yy = y(v);
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e0e0e0\"/><text x=\"{tx}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"end\">{v:.1}</text>",
            x2 = w - 16.0,
            tx = left - 6.0,
            ty = yy + 4.0
        ));
    }
    let first_after = pts.iter().position(|p| p.date >= its.first_after).unwrap_or(0);
    let cx = (x(first_after) + x(first_after.saturating_sub(1))) / 2.0;
    svg.push_str(&format!(
        "<line x1=\"{cx:.1}\" x2=\"{cx:.1}\" y1=\"{top}\" y2=\"{yb:.1}\" stroke=\"#505a5f\" stroke-width=\"2\"/><text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"11\">change {}</text>",
        its.change,
        yb = h - bottom,
        tx = cx + 4.0,
        ty = top + 10.0
    ));
    let line = |from: usize, to: usize, value: &dyn Fn(usize) -> Option<f64>| -> String {
        (from..to)
            .filter_map(|i| value(i).map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let fitted = |i: usize| pts.get(i).map(|p| p.fitted);
    let counter = |i: usize| pts.get(i).and_then(|p| p.counterfactual);
    svg.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#1d4f91\" stroke-width=\"2.5\" points=\"{}\"/><polyline fill=\"none\" stroke=\"#1d4f91\" stroke-width=\"2.5\" points=\"{}\"/><polyline fill=\"none\" stroke=\"#505a5f\" stroke-width=\"2\" stroke-dasharray=\"6 4\" points=\"{}\"/>",
        line(0, first_after, &fitted),
        line(first_after, pts.len(), &fitted),
        line(first_after, pts.len(), &counter)
    ));
    for (i, p) in pts.iter().enumerate() {
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#1b1b1b\"/>",
            x(i),
            y(p.value)
        ));
    }
    let (a, b) = (pts.first(), pts.last());
    if let (Some(a), Some(b)) = (a, b) {
        svg.push_str(&format!(
            "<text x=\"{left}\" y=\"{ty:.1}\" font-size=\"11\">{}</text><text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            a.date,
            b.date,
            ty = h - 18.0,
            tx = w - 16.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

// ----- Overview -----

#[derive(Template)]
#[template(path = "engage.html")]
struct OverviewPage {
    layout: Layout,
    view: EngagementView,
    chart: String,
    attendance: String,
    categories: String,
    facets: [&'static str; 3],
}

impl OverviewPage {
    fn attention(&self) -> usize {
        self.view.board.iter().filter(|b| b.attention.is_some()).count()
    }
}

pub async fn get_overview(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let page = OverviewPage {
        layout: layout(&signed_in, "Engagement"),
        chart: facets_chart(&view),
        attendance: attendance_chart(&view),
        categories: category_chart(&view),
        view,
        facets: FACETS,
    };
    Ok(render(StatusCode::OK, &page))
}

// ----- Stakeholders -----

#[derive(Template)]
#[template(path = "engage_stakeholders.html")]
struct StakeholdersPage {
    layout: Layout,
    c: Common,
    categories: Pairs,
}

#[derive(Deserialize)]
pub struct EditQuery {
    edit: Option<String>,
}

async fn stakeholders_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let page = StakeholdersPage {
        layout: layout(signed_in, "Stakeholder register"),
        c: Common { view, errors, f },
        categories: &CATEGORIES,
    };
    Ok(render(status, &page))
}

pub async fn get_stakeholders(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<EditQuery>,
) -> HtmlResult {
    let mut f = vec![("kind".to_string(), "person".to_string())];
    if let Some(edit) = q.edit {
        let view = state.app.engagement(signed_in.actor()).await.html()?;
        let s = view
            .stakeholders
            .iter()
            .find(|s| s.id == edit)
            .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
        f = vec![
            ("id".into(), s.id.clone()),
            ("name".into(), s.name.clone()),
            ("kind".into(), s.kind.clone()),
            ("category".into(), s.category.clone()),
            ("groups".into(), s.groups.clone()),
            ("contact_preference".into(), s.contact_preference.clone()),
            ("accessibility_needs".into(), s.accessibility_needs.clone()),
        ];
    }
    stakeholders_page(
        &state,
        &signed_in,
        Errors::default(),
        FormFields::from_pairs(f),
        StatusCode::OK,
    )
    .await
}

pub async fn post_stakeholder(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let row = StakeholderRow {
        id: f.get("id"),
        name: f.get("name"),
        kind: f.get("kind"),
        category: f.get("category"),
        groups: f.get("groups"),
        contact_preference: f.get("contact_preference"),
        accessibility_needs: f.get("accessibility_needs"),
        merged_into: None,
    };
    match state.app.save_stakeholder(signed_in.actor(), &row).await {
        Ok(_) => Ok(see_other("/engage/stakeholders".into())),
        Err(e) => {
            let errors = validation(e)?;
            stakeholders_page(&state, &signed_in, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn post_merge(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    state
        .app
        .merge_stakeholders(signed_in.actor(), &f.get("duplicate"), &f.get("keep"))
        .await
        .html()?;
    Ok(see_other("/engage/stakeholders".into()))
}

// ----- Activities -----

#[derive(Template)]
#[template(path = "engage_activities.html")]
struct ActivitiesPage {
    layout: Layout,
    c: Common,
    kinds: Pairs,
}

impl ActivitiesPage {
    fn invited(&self, id: &str) -> bool {
        self.c.f.all("invited").iter().any(|x| x == id)
    }
    fn attended(&self, id: &str) -> bool {
        self.c.f.all("attended").iter().any(|x| x == id)
    }
    fn counts(&self, activity: &str) -> (usize, usize) {
        let here = self.c.view.attendance.iter().filter(|(a, _)| a == activity);
        let (mut i, mut a) = (0, 0);
        for (_, row) in here {
            i += usize::from(row.invited);
            a += usize::from(row.attended);
        }
        (i, a)
    }
}

async fn activities_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let page = ActivitiesPage {
        layout: layout(signed_in, "Engagement activities"),
        c: Common { view, errors, f },
        kinds: &ACTIVITY_KINDS,
    };
    Ok(render(status, &page))
}

pub async fn get_activities(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(q): Query<EditQuery>,
) -> HtmlResult {
    let mut f = Vec::new();
    if let Some(edit) = q.edit {
        let view = state.app.engagement(signed_in.actor()).await.html()?;
        let a = view
            .activity(&edit)
            .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
        f = vec![
            ("id".into(), a.id.clone()),
            ("kind".into(), a.kind.clone()),
            ("title".into(), a.title.clone()),
            ("purpose".into(), a.purpose.clone()),
            ("held_on".into(), a.held_on.clone()),
            ("minutes".into(), a.minutes.clone()),
            ("decisions".into(), a.decisions.clone()),
            ("funding_change".into(), a.funding_change.clone().unwrap_or_default()),
        ];
        for (act, row) in &view.attendance {
            if *act == a.id {
                if row.invited {
                    f.push(("invited".into(), row.stakeholder.clone()));
                }
                if row.attended {
                    f.push(("attended".into(), row.stakeholder.clone()));
                }
            }
        }
    }
    activities_page(
        &state,
        &signed_in,
        Errors::default(),
        FormFields::from_pairs(f),
        StatusCode::OK,
    )
    .await
}

pub async fn post_activity(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let invited = f.all("invited");
    let attended = f.all("attended");
    let mut people: Vec<String> = invited.clone();
    for a in &attended {
        if !people.contains(a) {
            people.push(a.clone());
        }
    }
    let attendance: Vec<AttendanceRow> = people
        .iter()
        .map(|s| AttendanceRow {
            stakeholder: s.clone(),
            invited: invited.contains(s),
            attended: attended.contains(s),
        })
        .collect();
    let funding = f.get("funding_change");
    let row = ActivityRow {
        id: f.get("id"),
        kind: f.get("kind"),
        title: f.get("title"),
        purpose: f.get("purpose"),
        held_on: f.get("held_on").trim().to_string(),
        minutes: f.get("minutes"),
        decisions: f.get("decisions"),
        funding_change: Some(funding).filter(|s| !s.is_empty()),
    };
    match state.app.save_activity(signed_in.actor(), &row, &attendance).await {
        Ok(id) => Ok(see_other(format!("/engage/activities/{id}"))),
        Err(e) => {
            let errors = validation(e)?;
            activities_page(&state, &signed_in, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Template)]
#[template(path = "engage_activity.html")]
struct ActivityPage {
    layout: Layout,
    c: Common,
    activity: ActivityRow,
    /// Rating links just made: (name, path).
    links: Vec<(String, String)>,
    facets: [&'static str; 3],
}

impl ActivityPage {
    fn kind(&self) -> &'static str {
        label(&ACTIVITY_KINDS, &self.activity.kind)
    }
    fn status(&self, key: &str) -> &'static str {
        label(&PROPOSAL_STATUSES, key)
    }
    fn here(&self) -> Vec<&AttendanceRow> {
        self.c
            .view
            .attendance
            .iter()
            .filter(|(a, _)| *a == self.activity.id)
            .map(|(_, r)| r)
            .collect()
    }
}

async fn activity_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let activity = view
        .activity(id)
        .cloned()
        .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let page = ActivityPage {
        layout: layout(signed_in, activity.title.clone()),
        c: Common { view, errors, f },
        activity,
        links: Vec::new(),
        facets: FACETS,
    };
    Ok(render(status, &page))
}

pub async fn get_activity(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    activity_page(
        &state,
        &signed_in,
        &id,
        Errors::default(),
        FormFields::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn post_proposal(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let raised = f.get("raised_by");
    let row = ProposalRow {
        id: String::new(),
        activity: id.clone(),
        raised_by: Some(raised).filter(|r| !r.is_empty()),
        text: f.get("proposal"),
        status: "open".into(),
        response: String::new(),
        ..ProposalRow::default()
    };
    match state.app.save_proposal(signed_in.actor(), &row).await {
        Ok(_) => Ok(see_other(format!("/engage/activities/{id}#proposals"))),
        Err(e) => {
            let errors = validation(e)?;
            activity_page(&state, &signed_in, &id, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn post_action(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let proposal = f.get("proposal_id");
    let done = f.get("done_on");
    let row = ActionRow {
        id: f.get("action_id"),
        activity: id.clone(),
        proposal: Some(proposal).filter(|p| !p.is_empty()),
        text: f.get("action"),
        owner: f.get("owner"),
        due_on: f.get("due_on").trim().to_string(),
        done_on: Some(done.trim().to_string()).filter(|d| !d.is_empty()),
    };
    match state.app.save_action(signed_in.actor(), &row).await {
        Ok(_) => Ok(see_other(format!("/engage/activities/{id}#actions"))),
        Err(e) => {
            let errors = validation(e)?;
            activity_page(&state, &signed_in, &id, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn post_rating(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let score = |k: &str| f.get(k).trim().parse::<i64>().unwrap_or(0);
    let row = RatingRow {
        activity: id.clone(),
        stakeholder: f.get("stakeholder"),
        shared_purpose: score("shared_purpose"),
        participation: score("participation"),
        dialogue: score("dialogue"),
        comment: f.get("comment").trim().to_string(),
    };
    match state.app.save_rating(signed_in.actor(), &row).await {
        Ok(()) => Ok(see_other(format!("/engage/activities/{id}#ratings"))),
        Err(e) => {
            let errors = validation(e)?;
            activity_page(&state, &signed_in, &id, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Makes single-use rating links for the people who came and have not rated yet.
pub async fn post_links(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let made = state.app.rating_links(signed_in.actor(), &id).await.html()?;
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let activity = view
        .activity(&id)
        .cloned()
        .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let links = made
        .into_iter()
        .map(|(s, token)| (view.stakeholder_name(&s), format!("/rate/{token}")))
        .collect();
    let page = ActivityPage {
        layout: layout(&signed_in, activity.title.clone()),
        c: Common {
            view,
            errors: Errors::default(),
            f: FormFields::default(),
        },
        activity,
        links,
        facets: FACETS,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "engage_rate.html")]
struct RatePage {
    layout: Layout,
    /// The link's token: the form posts back to the path it came from.
    token: String,
    activity: Option<ActivityRow>,
    errors: Errors,
    f: FormFields,
    facets: [&'static str; 3],
    done: bool,
    problem: Option<String>,
}

fn rate_layout(session: &Option<cocare_app::SessionContext>, csrf: &str) -> Layout {
    match session {
        Some(ctx) => Layout::new("Rate an activity", Some(ctx), ""),
        None => Layout::new("Rate an activity", None, "").with_csrf(csrf.to_string()),
    }
}

/// A participant's own rating page, reached by their single-use link (no account needed).
pub async fn get_rate(
    State(state): State<AppState>,
    crate::gate::MaybeSignedIn(session): crate::gate::MaybeSignedIn,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let (csrf, fresh) = crate::pages::link_csrf(&headers);
    let (activity, problem, status) = match state.app.rating_link(&token).await {
        Ok(a) => (Some(a), None, StatusCode::OK),
        Err(AppError::Conflict(m)) => (None, Some(crate::econ_report::sentence(&m)), StatusCode::CONFLICT),
        Err(e) => return WebError::from_app(Audience::Html, e).into_response(),
    };
    let page = RatePage {
        layout: rate_layout(&session, &csrf),
        token,
        activity,
        errors: Errors::default(),
        f: FormFields::default(),
        facets: FACETS,
        done: false,
        problem,
    };
    crate::pages::with_link_csrf(&state, render(status, &page), session.is_none() && fresh, &csrf)
}

pub async fn post_rate(
    State(state): State<AppState>,
    crate::gate::MaybeSignedIn(session): crate::gate::MaybeSignedIn,
    Path(token): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let csrf = f.get("csrf_token");
    let score = |k: &str| f.get(k).trim().parse::<i64>().unwrap_or(0);
    let facets = [score("shared_purpose"), score("participation"), score("dialogue")];
    let outcome = state.app.rate_by_link(&token, facets, &f.get("comment")).await;
    let (errors, done, problem, status) = match outcome {
        Ok(()) => (Errors::default(), true, None, StatusCode::OK),
        Err(AppError::Validation(e)) => (Errors(e), false, None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Conflict(m)) => (
            Errors::default(),
            false,
            Some(crate::econ_report::sentence(&m)),
            StatusCode::CONFLICT,
        ),
        Err(e) => return Err(WebError::from_app(Audience::Html, e)),
    };
    let activity = if done || problem.is_some() {
        None
    } else {
        state.app.rating_link(&token).await.ok()
    };
    let page = RatePage {
        layout: rate_layout(&session, &csrf),
        token,
        activity,
        errors,
        f,
        facets: FACETS,
        done,
        problem,
    };
    Ok(render(status, &page))
}

// ----- The board -----

#[derive(Template)]
#[template(path = "engage_board.html")]
struct BoardPage {
    layout: Layout,
    c: Common,
    statuses: Pairs,
}

impl BoardPage {
    fn proposal(&self, id: &str) -> Option<&ProposalRow> {
        self.c.view.proposals.iter().find(|p| p.id == id)
    }
    fn status(&self, key: &str) -> &'static str {
        label(&PROPOSAL_STATUSES, key)
    }
    fn actions_for(&self, id: &str) -> Vec<&ActionRow> {
        self.c
            .view
            .actions
            .iter()
            .filter(|a| a.proposal.as_deref() == Some(id))
            .collect()
    }
}

async fn board_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let page = BoardPage {
        layout: layout(signed_in, "You said, we did"),
        c: Common { view, errors, f },
        statuses: &PROPOSAL_STATUSES,
    };
    Ok(render(status, &page))
}

pub async fn get_board(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    board_page(
        &state,
        &signed_in,
        Errors::default(),
        FormFields::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn post_proposal_update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let current = view
        .proposals
        .iter()
        .find(|p| p.id == id)
        .cloned()
        .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let row = ProposalRow {
        status: f.get("status"),
        response: f.get("response").trim().to_string(),
        ..current
    };
    match state.app.save_proposal(signed_in.actor(), &row).await {
        Ok(_) => Ok(see_other(format!("/engage/board#p-{id}"))),
        Err(AppError::Validation(errors)) => {
            // The field ids on the board carry the proposal's id, so the summary links to them.
            let errors = errors
                .into_iter()
                .map(|e| FieldError::new(format!("{}-{id}", e.field), e.message))
                .collect();
            let mut pairs = vec![
                ("editing".to_string(), id.clone()),
                ("status".to_string(), f.get("status")),
                ("response".to_string(), f.get("response")),
            ];
            pairs.dedup();
            board_page(
                &state,
                &signed_in,
                Errors(errors),
                FormFields::from_pairs(pairs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(WebError::from_app(Audience::Html, e)),
    }
}

// ----- Payments -----

#[derive(Template)]
#[template(path = "engage_payments.html")]
struct PaymentsPage {
    layout: Layout,
    c: Common,
}

impl PaymentsPage {
    fn total(&self, p: &PaymentRow) -> String {
        domain::pounds(EngagementView::payment(p))
    }
    fn quantity(&self, p: &PaymentRow) -> String {
        let q = p.quantity_hundredths as f64 / 100.0;
        format!("{q} {}", p.units)
    }
}

async fn payments_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let page = PaymentsPage {
        layout: layout(signed_in, "Payments for involvement"),
        c: Common { view, errors, f },
    };
    Ok(render(status, &page))
}

pub async fn get_payments(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let f = FormFields::from_pairs(vec![("units".into(), "hours".into())]);
    payments_page(&state, &signed_in, Errors::default(), f, StatusCode::OK).await
}

pub async fn post_payment(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let mut problems = Vec::new();
    let quantity = match f.get("quantity").trim() {
        "" => 0,
        q => match q.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..1e6).contains(&v) => (v * 100.0).round() as i64,
            _ => {
                problems.push(FieldError::new(
                    "quantity",
                    "Write the hours or sessions as a number, such as 2.5.",
                ));
                0
            }
        },
    };
    let mut money = |field: &str, what: &str| match f.get(field).trim() {
        "" => 0,
        raw => domain::parse_pounds(raw).unwrap_or_else(|| {
            problems.push(FieldError::new(
                field,
                format!("Write {what} in pounds, such as 25 or 12.40."),
            ));
            0
        }),
    };
    let rate = money("rate", "the rate");
    let expenses = money("expenses", "the expenses");
    let activity = f.get("activity");
    let row = PaymentRow {
        id: String::new(),
        stakeholder: f.get("stakeholder"),
        activity: Some(activity).filter(|a| !a.is_empty()),
        paid_on: f.get("paid_on").trim().to_string(),
        units: f.get("units"),
        quantity_hundredths: quantity,
        rate_pence: rate,
        expenses_pence: expenses,
        note: f.get("note").trim().to_string(),
    };
    let outcome = if problems.is_empty() {
        state.app.save_payment(signed_in.actor(), &row).await.map(|_| ())
    } else {
        Err(AppError::Validation(problems))
    };
    match outcome {
        Ok(()) => Ok(see_other("/engage/payments".into())),
        Err(e) => {
            let errors = validation(e)?;
            payments_page(&state, &signed_in, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ----- Funding changes -----

#[derive(Template)]
#[template(path = "engage_funding.html")]
struct FundingPage {
    layout: Layout,
    c: Common,
    kinds: Pairs,
}

impl FundingPage {
    fn kind(&self, key: &str) -> &'static str {
        label(&FUNDING_KINDS, key)
    }
}

async fn funding_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let view = state.app.funding_view(signed_in.actor()).await.html()?;
    let page = FundingPage {
        layout: layout(signed_in, "Funding changes"),
        c: Common { view, errors, f },
        kinds: &FUNDING_KINDS,
    };
    Ok(render(status, &page))
}

pub async fn get_funding(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    funding_page(
        &state,
        &signed_in,
        Errors::default(),
        FormFields::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn post_funding(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let mut problems = Vec::new();
    let mut money = |field: &str| match domain::parse_pounds(&f.get(field)) {
        Some(p) => p,
        None => {
            problems.push(FieldError::new(
                field,
                "Write the yearly amount in pounds, such as 250000.",
            ));
            0
        }
    };
    let before = money("amount_before");
    let after = money("amount_after");
    let row = FundingChangeRow {
        id: f.get("id"),
        programme: f.get("programme").trim().to_string(),
        kind: f.get("kind"),
        amount_before_pence: before,
        amount_after_pence: after,
        effective_on: f.get("effective_on").trim().to_string(),
        context: f.get("context").trim().to_string(),
        mechanisms: f.get("mechanisms").trim().to_string(),
        outcomes: f.get("outcomes").trim().to_string(),
    };
    let outcome = if problems.is_empty() {
        state.app.save_funding_change(signed_in.actor(), &row).await
    } else {
        Err(AppError::Validation(problems))
    };
    match outcome {
        Ok(id) => Ok(see_other(format!("/engage/funding/{id}"))),
        Err(e) => {
            let errors = validation(e)?;
            let editing = f.get("id");
            if editing.is_empty() {
                funding_page(&state, &signed_in, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
            } else {
                change_page(
                    &state,
                    &signed_in,
                    &editing,
                    errors,
                    f,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        }
    }
}

#[derive(Template)]
#[template(path = "engage_change.html")]
struct ChangePage {
    layout: Layout,
    c: Common,
    change: FundingChangeRow,
    analyses: Vec<(IndicatorAnalysis, String)>,
}

impl ChangePage {
    fn kind(&self) -> &'static str {
        label(&FUNDING_KINDS, &self.change.kind)
    }
    fn around(&self) -> Vec<&ActivityRow> {
        self.c.view.activities_around(&self.change, 183)
    }
    fn attended(&self, activity: &str) -> usize {
        self.c
            .view
            .attendance
            .iter()
            .filter(|(a, r)| a == activity && r.attended)
            .count()
    }
    fn num(&self, v: &f64) -> String {
        format!("{v:.2}")
    }
}

async fn change_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let (view, change, analyses) = state.app.funding_change(signed_in.actor(), id).await.html()?;
    let analyses = analyses
        .into_iter()
        .map(|a| {
            let chart = match &a.its {
                Ok(its) => its_chart(its, &a.indicator.id, &a.indicator.name),
                Err(_) => String::new(),
            };
            (a, chart)
        })
        .collect();
    let page = ChangePage {
        layout: layout(signed_in, change.programme.clone()),
        c: Common { view, errors, f },
        change,
        analyses,
    };
    Ok(render(status, &page))
}

pub async fn get_change(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let f = FormFields::from_pairs(vec![
        ("indicator_kind".into(), "system".into()),
        ("series".into(), "date,value\n".into()),
    ]);
    change_page(&state, &signed_in, &id, Errors::default(), f, StatusCode::OK).await
}

pub async fn post_indicator(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let row = IndicatorRow {
        id: String::new(),
        funding_change: id.clone(),
        name: f.get("indicator_name").trim().to_string(),
        kind: f.get("indicator_kind"),
        unit: f.get("unit").trim().to_string(),
        higher_is_better: f.get("higher_is_better") == "yes",
        series: f.get("series").replace("\r\n", "\n"),
    };
    match state.app.save_indicator(signed_in.actor(), &row).await {
        Ok(_) => Ok(see_other(format!("/engage/funding/{id}#indicators"))),
        Err(e) => {
            let errors = validation(e)?;
            change_page(&state, &signed_in, &id, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The funding change's realist notes as a CMO configuration, in the columns of the
/// qualitative workbench's CMO table, for a researcher to bring into a project.
pub async fn get_change_cmo(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let (_, change, _) = state.app.funding_change(signed_in.actor(), &id).await.html()?;
    let cmo = cocare_app::qual_domain::realist::Cmo {
        theory: format!("Funding change: {}", change.programme),
        name: format!("{} ({})", label(&FUNDING_KINDS, &change.kind), change.effective_on),
        context: change.context.clone(),
        mechanism: change.mechanisms.clone(),
        outcome: change.outcomes.clone(),
        notes: format!(
            "From the engagement record: {} a year before, {} after.",
            domain::pounds(change.amount_before_pence),
            domain::pounds(change.amount_after_pence)
        ),
        evidence: Vec::new(),
    };
    let csv = cocare_app::qual_domain::realist::table_csv(
        &[cocare_app::qual_domain::realist::TableRow {
            id: &change.id,
            version: 1,
            cmo: &cmo,
        }],
        &|_, _, _| None,
    );
    Ok(download(
        "text/csv; charset=utf-8",
        "funding-change-cmo.csv".into(),
        csv.into_bytes(),
    ))
}

// ----- GRIPP2 and the workbook -----

#[derive(Template)]
#[template(path = "engage_report.html")]
struct ReportPage {
    layout: Layout,
    draft: Gripp2,
}

pub async fn get_report(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let draft = state.app.gripp2_draft(signed_in.actor()).await.html()?;
    let page = ReportPage {
        layout: layout(&signed_in, "GRIPP2 involvement report"),
        draft,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The report as edited, as a Markdown file.
pub async fn post_report(State(_state): State<AppState>, _signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let mut md = String::from("# Patient and public involvement (GRIPP2 short form)\n");
    for (field, heading) in [
        ("aim", "Aim"),
        ("methods", "Methods"),
        ("results", "Results"),
        ("discussion", "Discussion and conclusions"),
        ("reflections", "Reflections and critical perspective"),
    ] {
        md.push_str(&format!("\n## {heading}\n\n{}\n", f.get(field).trim()));
    }
    Ok(download(
        "text/markdown; charset=utf-8",
        "gripp2-short-form.md".into(),
        md.into_bytes(),
    ))
}

pub async fn get_workbook(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let bytes = workbook(&view).map_err(|e| {
        tracing::error!(error = %e, "workbook failed");
        WebError::new(
            Audience::Html,
            StatusCode::INTERNAL_SERVER_ERROR,
            "The workbook could not be made.",
        )
    })?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "engagement.xlsx".into(),
        bytes,
    ))
}

/// One table of the engagement record: its file key, sheet name, header and rows.
struct Sheet {
    key: &'static str,
    name: &'static str,
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

fn sheets(view: &EngagementView) -> Vec<Sheet> {
    let mut out = Vec::new();
    let mut sheet = |name: &'static str, header: &[&'static str], rows: Vec<Vec<String>>| {
        let key = match name {
            "Stakeholders" => "stakeholders",
            "Activities" => "activities",
            "You said, we did" => "board",
            "Ratings" => "ratings",
            _ => "payments",
        };
        out.push(Sheet {
            key,
            name,
            header: header.to_vec(),
            rows,
        });
    };
    sheet(
        "Stakeholders",
        &[
            "id",
            "name",
            "kind",
            "category",
            "groups",
            "contact preference",
            "accessibility needs",
            "merged into",
        ],
        view.stakeholders
            .iter()
            .map(|s| {
                vec![
                    s.id.clone(),
                    s.name.clone(),
                    s.kind.clone(),
                    EngagementView::category_label(&s.category).to_string(),
                    s.groups.replace('\n', "; "),
                    s.contact_preference.clone(),
                    s.accessibility_needs.clone(),
                    s.merged_into.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    );
    sheet(
        "Activities",
        &["id", "date", "kind", "title", "purpose", "invited", "attended"],
        view.activities
            .iter()
            .map(|a| {
                let here: Vec<&AttendanceRow> = view
                    .attendance
                    .iter()
                    .filter(|(x, _)| *x == a.id)
                    .map(|(_, r)| r)
                    .collect();
                vec![
                    a.id.clone(),
                    a.held_on.clone(),
                    label(&ACTIVITY_KINDS, &a.kind).to_string(),
                    a.title.clone(),
                    a.purpose.clone(),
                    here.iter().filter(|r| r.invited).count().to_string(),
                    here.iter().filter(|r| r.attended).count().to_string(),
                ]
            })
            .collect(),
    );
    sheet(
        "You said, we did",
        &["activity", "raised by", "proposal", "status", "what happened"],
        view.proposals
            .iter()
            .map(|p| {
                vec![
                    view.activity_title(&p.activity),
                    p.raised_by
                        .as_deref()
                        .map(|s| view.stakeholder_name(s))
                        .unwrap_or_default(),
                    p.text.clone(),
                    label(&PROPOSAL_STATUSES, &p.status).to_string(),
                    p.response.clone(),
                ]
            })
            .collect(),
    );
    sheet(
        "Ratings",
        &[
            "activity",
            "stakeholder",
            "category",
            "shared purpose",
            "participation",
            "dialogue",
            "comment",
        ],
        view.ratings
            .iter()
            .map(|r| {
                let cat = view
                    .stakeholders
                    .iter()
                    .find(|s| s.id == r.stakeholder)
                    .map(|s| EngagementView::category_label(&s.category))
                    .unwrap_or_default();
                vec![
                    view.activity_title(&r.activity),
                    view.stakeholder_name(&r.stakeholder),
                    cat.to_string(),
                    r.shared_purpose.to_string(),
                    r.participation.to_string(),
                    r.dialogue.to_string(),
                    r.comment.clone(),
                ]
            })
            .collect(),
    );
    sheet(
        "Payments",
        &[
            "date",
            "stakeholder",
            "units",
            "quantity",
            "rate",
            "expenses",
            "total",
            "note",
        ],
        view.payments
            .iter()
            .map(|p| {
                vec![
                    p.paid_on.clone(),
                    view.stakeholder_name(&p.stakeholder),
                    p.units.clone(),
                    format!("{}", p.quantity_hundredths as f64 / 100.0),
                    domain::pounds(p.rate_pence),
                    domain::pounds(p.expenses_pence),
                    domain::pounds(EngagementView::payment(p)),
                    p.note.clone(),
                ]
            })
            .collect(),
    );
    out
}

fn workbook(view: &EngagementView) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for sheet in sheets(view) {
        let ws = book.add_worksheet();
        ws.set_name(sheet.name)?;
        for (c, h) in sheet.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    book.save_to_buffer()
}

/// One table as CSV: `/engage/export/{sheet}.csv`.
pub async fn get_csv(State(state): State<AppState>, signed_in: SignedIn, Path(name): Path<String>) -> HtmlResult {
    let key = name.strip_suffix(".csv").unwrap_or(&name).to_string();
    let view = state.app.engagement(signed_in.actor()).await.html()?;
    let sheet = sheets(&view)
        .into_iter()
        .find(|s| s.key == key)
        .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let written = w
        .write_record(&sheet.header)
        .and_then(|()| sheet.rows.iter().try_for_each(|r| w.write_record(r)));
    let bytes = written.ok().and_then(|()| w.into_inner().ok()).ok_or_else(|| {
        WebError::new(
            Audience::Html,
            StatusCode::INTERNAL_SERVER_ERROR,
            "The table could not be written.",
        )
    })?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("engagement-{key}.csv"),
        bytes,
    ))
}
