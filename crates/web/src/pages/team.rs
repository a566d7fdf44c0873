//! The team lead's view of involvement quality across the team's care plans.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use cocare_app::TeamDashboard;

use crate::AppState;
use crate::error::{HtmlErr, HtmlResult};
use crate::gate::SignedIn;
use crate::views::{Layout, render};

/// One bar of a team's summary chart.
pub struct Measure {
    pub label: &'static str,
    pub shown: String,
    pub width: u32,
    pub y: u32,
}

pub struct TeamBlock {
    pub dashboard: TeamDashboard,
    pub measures: Vec<Measure>,
    pub height: u32,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    layout: Layout,
    teams: Vec<TeamBlock>,
    today: String,
}

fn mark(value: bool) -> &'static str {
    if value { "Yes" } else { "No" }
}

impl TeamPage {
    fn yes_no(&self, value: &bool) -> &'static str {
        mark(*value)
    }
}

fn measures(d: &TeamDashboard) -> Vec<Measure> {
    let s = &d.summary;
    let mut list = vec![
        ("In their own words", Some(s.own_words)),
        ("Agreed by the service user", Some(s.agreed_by_service_user)),
        ("Copy given", Some(s.copy_given)),
        ("Carer involved (where there is one)", s.carer_involved),
        ("Reviewed on time", Some(s.reviewed_on_time)),
        ("Crisis plan present", Some(s.crisis_plan)),
    ];
    list.retain(|(_, v)| v.is_some());
    list.into_iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let percent = value.unwrap_or(0.0);
            Measure {
                label,
                shown: format!("{percent:.0}%"),
                width: (percent * 3.0).round() as u32,
                y: u32::try_from(i).unwrap_or(0) * 32 + 8,
            }
        })
        .collect()
}

pub async fn get_team(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let dashboards = state.app.team_dashboards(signed_in.actor(), &today).await.html()?;
    let teams = dashboards
        .into_iter()
        .map(|dashboard| {
            let measures = measures(&dashboard);
            let height = u32::try_from(measures.len()).unwrap_or(0) * 32 + 16;
            TeamBlock {
                dashboard,
                measures,
                height,
            }
        })
        .collect();
    let page = TeamPage {
        layout: Layout::new("Involvement in care planning", Some(&signed_in.0), "/team"),
        teams,
        today,
    };
    Ok(render(StatusCode::OK, &page))
}
