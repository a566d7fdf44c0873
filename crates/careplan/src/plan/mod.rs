//! The care plan: sections written in several voices, goals with actions, per-section
//! agreement, finalised versions.

use cocare_core::{Role, Timestamp};
use serde::Serialize;

/// The parts of a plan. The crisis and contingency plan is five sections, so each can be agreed
/// on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    AboutMe,
    Strengths,
    Goals,
    EarlyWarningSigns,
    WhatHelps,
    WhatDoesNotHelp,
    WhoToContact,
    PreferencesAndAdvanceStatements,
    CarerView,
    CarerNeeds,
}

impl SectionKind {
    pub const ALL: [SectionKind; 10] = [
        SectionKind::AboutMe,
        SectionKind::Strengths,
        SectionKind::Goals,
        SectionKind::EarlyWarningSigns,
        SectionKind::WhatHelps,
        SectionKind::WhatDoesNotHelp,
        SectionKind::WhoToContact,
        SectionKind::PreferencesAndAdvanceStatements,
        SectionKind::CarerView,
        SectionKind::CarerNeeds,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::AboutMe => "about_me",
            SectionKind::Strengths => "strengths",
            SectionKind::Goals => "goals",
            SectionKind::EarlyWarningSigns => "early_warning_signs",
            SectionKind::WhatHelps => "what_helps",
            SectionKind::WhatDoesNotHelp => "what_does_not_help",
            SectionKind::WhoToContact => "who_to_contact",
            SectionKind::PreferencesAndAdvanceStatements => "preferences",
            SectionKind::CarerView => "carer_view",
            SectionKind::CarerNeeds => "carer_needs",
        }
    }

    pub fn heading(self) -> &'static str {
        match self {
            SectionKind::AboutMe => "About me",
            SectionKind::Strengths => "My strengths",
            SectionKind::Goals => "My goals",
            SectionKind::EarlyWarningSigns => "Early warning signs",
            SectionKind::WhatHelps => "What helps",
            SectionKind::WhatDoesNotHelp => "What does not help",
            SectionKind::WhoToContact => "Who to contact",
            SectionKind::PreferencesAndAdvanceStatements => "My preferences and advance statements",
            SectionKind::CarerView => "My carer's view",
            SectionKind::CarerNeeds => "My carer's own needs",
        }
    }

    pub fn is_crisis_plan(self) -> bool {
        matches!(
            self,
            SectionKind::EarlyWarningSigns
                | SectionKind::WhatHelps
                | SectionKind::WhatDoesNotHelp
                | SectionKind::WhoToContact
                | SectionKind::PreferencesAndAdvanceStatements
        )
    }

    /// Sections that belong to the carer (shared with them only under consent).
    pub fn is_carer_section(self) -> bool {
        matches!(self, SectionKind::CarerView | SectionKind::CarerNeeds)
    }

    pub fn parse(raw: &str) -> Option<SectionKind> {
        SectionKind::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

/// Whose words these are. Voices sit beside each other; none overwrites another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Voice {
    ServiceUser,
    Carer,
    Clinical,
}

impl Voice {
    pub fn as_str(self) -> &'static str {
        match self {
            Voice::ServiceUser => "service_user",
            Voice::Carer => "carer",
            Voice::Clinical => "clinical",
        }
    }

    pub fn parse(raw: &str) -> Option<Voice> {
        [Voice::ServiceUser, Voice::Carer, Voice::Clinical]
            .into_iter()
            .find(|v| v.as_str() == raw)
    }

    /// The one voice each role writes in.
    pub fn of(role: Role) -> Option<Voice> {
        match role {
            Role::ServiceUser => Some(Voice::ServiceUser),
            Role::Carer => Some(Voice::Carer),
            Role::Clinician | Role::TeamLead => Some(Voice::Clinical),
            Role::Researcher | Role::EngagementLead | Role::Commissioner | Role::Admin => None,
        }
    }
}

/// Who agrees or disagrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    ServiceUser,
    Carer,
    CareCoordinator,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::ServiceUser => "service_user",
            Party::Carer => "carer",
            Party::CareCoordinator => "care_coordinator",
        }
    }

    pub fn parse(raw: &str) -> Option<Party> {
        [Party::ServiceUser, Party::Carer, Party::CareCoordinator]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }

    pub fn of(role: Role) -> Option<Party> {
        match role {
            Role::ServiceUser => Some(Party::ServiceUser),
            Role::Carer => Some(Party::Carer),
            Role::Clinician => Some(Party::CareCoordinator),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribution {
    /// The name shown for the author.
    pub author: String,
    pub role: Role,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contribution {
    pub section: SectionKind,
    pub voice: Voice,
    pub text: String,
    pub by: Attribution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Stance {
    Agree,
    Disagree { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub section: SectionKind,
    pub party: Party,
    pub stance: Stance,
    /// The section's revision when this was given; a later change to the section asks again.
    pub revision: usize,
    pub by: Attribution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoalAction {
    pub what: String,
    pub who: String,
    /// `YYYY-MM-DD`, or empty when no date was set.
    pub by_when: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Goal {
    /// In the service user's words.
    pub text: String,
    pub actions: Vec<GoalAction>,
    pub by: Attribution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    Agreed,
    Active,
    UnderReview,
    Superseded,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Agreed => "agreed",
            PlanStatus::Active => "active",
            PlanStatus::UnderReview => "under_review",
            PlanStatus::Superseded => "superseded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Draft => "Draft",
            PlanStatus::Agreed => "Agreed",
            PlanStatus::Active => "Active",
            PlanStatus::UnderReview => "Under review",
            PlanStatus::Superseded => "Superseded",
        }
    }

    pub fn parse(raw: &str) -> Option<PlanStatus> {
        [
            PlanStatus::Draft,
            PlanStatus::Agreed,
            PlanStatus::Active,
            PlanStatus::UnderReview,
            PlanStatus::Superseded,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("this version is {0:?} and can no longer be changed; start a review to change the plan")]
    NotEditable(PlanStatus),
    #[error("people in this role do not write in the {0:?} voice")]
    WrongVoice(Voice),
    #[error("only the carer writes the carer's sections")]
    CarerSectionOnly,
    #[error("write something first")]
    Empty,
    #[error("a reason is needed when you disagree")]
    DisagreementWithoutReason,
    #[error("people in this role do not agree sections of a plan")]
    NotAParty,
    #[error("someone else changed this section while you were writing; your words are kept below, nothing was lost")]
    Conflict { current: String },
    #[error("the service user has not yet agreed, or recorded a reason for disagreeing with, every section")]
    NotAgreed(Vec<SectionKind>),
    #[error("only a care coordinator finalises a plan")]
    NotCoordinator,
    #[error("there is no goal number {0}")]
    NoSuchGoal(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CarePlan {
    pub version: u32,
    pub status: PlanStatus,
    pub contributions: Vec<Contribution>,
    pub goals: Vec<Goal>,
    pub agreements: Vec<Agreement>,
    pub finalised: Option<Attribution>,
}

impl CarePlan {
    pub fn new() -> CarePlan {
        CarePlan {
            version: 1,
            status: PlanStatus::Draft,
            contributions: Vec::new(),
            goals: Vec::new(),
            agreements: Vec::new(),
            finalised: None,
        }
    }

    fn editable(&self) -> Result<(), PlanError> {
        match self.status {
            PlanStatus::Draft | PlanStatus::UnderReview => Ok(()),
            other => Err(PlanError::NotEditable(other)),
        }
    }

    /// How many times a section has changed: edits carry the revision they started from.
    pub fn revision(&self, section: SectionKind) -> usize {
        self.contributions.iter().filter(|c| c.section == section).count()
            + if section == SectionKind::Goals {
                self.goals.len()
            } else {
                0
            }
    }

    /// The latest words of one voice in one section.
    pub fn text(&self, section: SectionKind, voice: Voice) -> Option<&Contribution> {
        self.contributions
            .iter()
            .rev()
            .find(|c| c.section == section && c.voice == voice)
    }

    pub fn has_content(&self, section: SectionKind) -> bool {
        self.contributions.iter().any(|c| c.section == section)
            || (section == SectionKind::Goals && !self.goals.is_empty())
    }

    /// Writes in the author's own voice. The words of other voices are untouched.
    pub fn contribute(
        &mut self,
        section: SectionKind,
        text: &str,
        by: Attribution,
        based_on: usize,
    ) -> Result<(), PlanError> {
        self.editable()?;
        let voice = Voice::of(by.role).ok_or(PlanError::WrongVoice(Voice::Clinical))?;
        if section.is_carer_section() && voice != Voice::Carer {
            return Err(PlanError::CarerSectionOnly);
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(PlanError::Empty);
        }
        if based_on != self.revision(section) {
            let current = self.text(section, voice).map(|c| c.text.clone()).unwrap_or_default();
            return Err(PlanError::Conflict { current });
        }
        self.contributions.push(Contribution {
            section,
            voice,
            text: text.to_owned(),
            by,
        });
        Ok(())
    }

    /// Adds a goal in the service user's words (a clinician may type it with them).
    pub fn add_goal(&mut self, text: &str, by: Attribution) -> Result<usize, PlanError> {
        self.editable()?;
        let text = text.trim();
        if text.is_empty() {
            return Err(PlanError::Empty);
        }
        self.goals.push(Goal {
            text: text.to_owned(),
            actions: Vec::new(),
            by,
        });
        Ok(self.goals.len())
    }

    pub fn add_action(&mut self, goal: usize, what: &str, who: &str, by_when: &str) -> Result<(), PlanError> {
        self.editable()?;
        if what.trim().is_empty() {
            return Err(PlanError::Empty);
        }
        let goal_entry = goal
            .checked_sub(1)
            .and_then(|i| self.goals.get_mut(i))
            .ok_or(PlanError::NoSuchGoal(goal))?;
        goal_entry.actions.push(GoalAction {
            what: what.trim().to_owned(),
            who: who.trim().to_owned(),
            by_when: by_when.trim().to_owned(),
        });
        Ok(())
    }

    /// Records one party's stance on a section, at the section's current revision.
    pub fn agree(&mut self, section: SectionKind, stance: Stance, by: Attribution) -> Result<(), PlanError> {
        self.editable()?;
        let party = Party::of(by.role).ok_or(PlanError::NotAParty)?;
        if let Stance::Disagree { reason } = &stance
            && reason.trim().is_empty()
        {
            return Err(PlanError::DisagreementWithoutReason);
        }
        let revision = self.revision(section);
        self.agreements.push(Agreement {
            section,
            party,
            stance,
            revision,
            by,
        });
        Ok(())
    }

    /// A party's stance on a section as it stands now (a stance on an older revision lapses).
    pub fn stance(&self, section: SectionKind, party: Party) -> Option<&Stance> {
        let revision = self.revision(section);
        self.agreements
            .iter()
            .rev()
            .find(|a| a.section == section && a.party == party)
            .filter(|a| a.revision == revision)
            .map(|a| &a.stance)
    }

    /// Sections with content that the service user has neither agreed nor disagreed with.
    pub fn awaiting_service_user(&self) -> Vec<SectionKind> {
        SectionKind::ALL
            .into_iter()
            .filter(|s| self.has_content(*s) && !s.is_carer_section())
            .filter(|s| self.stance(*s, Party::ServiceUser).is_none())
            .collect()
    }

    /// Finalises this version: only a care coordinator, and only once the service user has a
    /// recorded stance on every section.
    pub fn finalise(&mut self, by: Attribution) -> Result<(), PlanError> {
        self.editable()?;
        if Party::of(by.role) != Some(Party::CareCoordinator) {
            return Err(PlanError::NotCoordinator);
        }
        let waiting = self.awaiting_service_user();
        if !waiting.is_empty() || !SectionKind::ALL.iter().any(|s| self.has_content(*s)) {
            return Err(PlanError::NotAgreed(waiting));
        }
        self.status = PlanStatus::Agreed;
        self.finalised = Some(by);
        Ok(())
    }

    /// Starts a review: the next version begins as a copy of this one; this one is superseded.
    pub fn start_review(&mut self) -> CarePlan {
        let mut next = self.clone();
        next.version = self.version + 1;
        next.status = PlanStatus::UnderReview;
        next.agreements.clear();
        next.finalised = None;
        self.status = PlanStatus::Superseded;
        next
    }

    /// The plan as plain text, section by section, in a fixed order: what versions are compared on.
    pub fn as_text(&self) -> String {
        let mut out = String::new();
        for section in SectionKind::ALL {
            if !self.has_content(section) {
                continue;
            }
            out.push_str(&format!("## {}\n", section.heading()));
            for voice in [Voice::ServiceUser, Voice::Carer, Voice::Clinical] {
                if let Some(c) = self.text(section, voice) {
                    let who = match voice {
                        Voice::ServiceUser => "In my words",
                        Voice::Carer => "Carer",
                        Voice::Clinical => "Clinical wording",
                    };
                    for line in c.text.lines() {
                        out.push_str(&format!("{who}: {line}\n"));
                    }
                }
            }
            if section == SectionKind::Goals {
                for (n, goal) in self.goals.iter().enumerate() {
                    out.push_str(&format!("Goal {}: {}\n", n + 1, goal.text));
                    for action in &goal.actions {
                        out.push_str(&format!(
                            "  - {} (who: {}, by: {})\n",
                            action.what, action.who, action.by_when
                        ));
                    }
                }
            }
        }
        out
    }
}

impl Default for CarePlan {
    fn default() -> Self {
        CarePlan::new()
    }
}

#[cfg(test)]
mod tests;
