//! The home page: for each role the actor holds, what they can do here, and nothing else.

use cocare_core::{Actor, Role};
use cocare_policy::{Action, Resource, decide};
use serde::Serialize;

use crate::{App, AppError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeCard {
    pub role: Role,
    pub title: String,
    pub body: String,
    pub links: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeView {
    pub display_name: String,
    pub roles: Vec<Role>,
    pub cards: Vec<HomeCard>,
}

impl App {
    pub async fn home(&self, actor: &Actor) -> Result<HomeView, AppError> {
        decide(actor, Action::ViewHome, &Resource::Own)?;
        let mut cards = Vec::new();
        for role in actor.roles() {
            let card = match role {
                Role::ServiceUser => HomeCard {
                    role,
                    title: "Your care plan and record".into(),
                    body: "Write your care plan in your own words, agree it section by section, and choose what \
                           your carer may see and whether your records may be used for research."
                        .into(),
                    links: actor
                        .person
                        .map(|me| {
                            vec![
                                (format!("/people/{me}/plan"), "My care plan".into()),
                                (format!("/people/{me}"), "Your record and consent choices".into()),
                            ]
                        })
                        .unwrap_or_default(),
                },
                Role::Carer => HomeCard {
                    role,
                    title: "People who share with you".into(),
                    body: "You see only what the person you care for has chosen to share with you.".into(),
                    links: vec![("/people".into(), "People who share with you".into())],
                },
                Role::Clinician => HomeCard {
                    role,
                    title: "Your caseload".into(),
                    body: "The service users of your team, their carers and the consent choices they have made.".into(),
                    links: vec![("/people".into(), "Your caseload".into())],
                },
                Role::TeamLead => HomeCard {
                    role,
                    title: "Your team".into(),
                    body: "Everyone on your team's caseload, and how involved they are in their care plans.".into(),
                    links: vec![
                        ("/team".into(), "Involvement in care planning".into()),
                        ("/people".into(), "Team caseload".into()),
                    ],
                },
                Role::Researcher => HomeCard {
                    role,
                    title: "Research and evaluation".into(),
                    body: "You work on pseudonymised records and on counts that pass disclosure control. Names and \
                           other direct identifiers are never shown to researchers."
                        .into(),
                    links: vec![
                        ("/records".into(), "Records and cohorts".into()),
                        ("/records/cohorts/new".into(), "Define a cohort".into()),
                        ("/vignettes".into(), "Vignettes and decision studies".into()),
                    ],
                },
                Role::EngagementLead => HomeCard {
                    role,
                    title: "Stakeholder engagement".into(),
                    body: "You work with the stakeholder group, engagement activities and funding changes. \
                           Identifiable clinical records are not shown to engagement leads."
                        .into(),
                    links: vec![("/engage".into(), "Engagement".into())],
                },
                Role::Commissioner => HomeCard {
                    role,
                    title: "Funding changes and their outcomes".into(),
                    body: "You record funding changes and follow their outcome indicators, beside the engagement \
                           around each change. The stakeholder register and clinical records are not shown to \
                           commissioners."
                        .into(),
                    links: vec![("/engage/funding".into(), "Funding changes".into())],
                },
                Role::Admin => HomeCard {
                    role,
                    title: "Administration".into(),
                    body: "Organisations, teams, accounts and roles, and the audit log. Clinical content is not \
                           shown to administrators."
                        .into(),
                    links: vec![
                        ("/admin".into(), "Organisations, teams and accounts".into()),
                        ("/admin/audit".into(), "Audit log".into()),
                        ("/records".into(), "Import records".into()),
                    ],
                },
            };
            cards.push(card);
        }
        // Members of the vignette review panel (any role but researcher) reach it from here.
        if let (Some(me), Some(grant)) = (actor.account_id(), actor.grants.first())
            && !actor.roles().contains(&Role::Researcher)
            && cocare_policy::actor_may(actor, Action::ReviewVignettes)
        {
            let mut tx = self.store.begin_write().await?;
            let panel = tx.vignette_panel_scope(grant.organisation).await?;
            tx.commit().await?;
            if panel.members.contains(&me) {
                cards.push(HomeCard {
                    role: grant.role,
                    title: "Vignettes to review".into(),
                    body: "You are on the panel that reviews vignettes: composite cases, never a real person. \
                           Comment on any passage and approve them when they ring true."
                        .into(),
                    links: vec![("/vignettes".into(), "Vignettes to review".into())],
                });
            }
        }
        Ok(HomeView {
            display_name: actor.display_name.clone(),
            roles: actor.roles(),
            cards,
        })
    }
}
