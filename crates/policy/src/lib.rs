//! The one access policy of cocare: who may do what, and who may not.
//!
//! Every HTML route and API call is checked here twice, in the kanidm manner:
//! 1. at the route, [`role_may`] says whether any of the actor's roles could ever perform the
//!    route's action (otherwise 403 before any data is loaded);
//! 2. in the use case, [`decide`] looks at the facts of the one resource (its organisation,
//!    team, the consents that cover it) and returns a [`Permit`] or a [`Denied`].
//!
//! Deny is the default: an action is granted only by a rule below, and a role with no rule for
//! an action is refused. A [`Permit`] can be created only by this crate, and the store's methods
//! that touch personal data take one, so no caller can reach personal data around the policy.
//!
//! Architecture invariant: pure functions over values; no I/O, no clock, no database.

use cocare_core::{AccountId, Actor, ActorKind, Grant, OrganisationId, PersonId, Role, TeamId};

/// Everything a person or program can ask cocare to do, as verb-object pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See one's own home page.
    ViewHome,
    /// List the people (service users) one works with or is.
    ListPeople,
    /// Read a person's record (demographics, team, carers).
    ReadPerson,
    /// Register a person (a service user or a carer) with a team.
    RecordPerson,
    /// Read the consent decisions a service user has made.
    ReadConsents,
    /// Record or withdraw a consent decision.
    RecordConsent,
    /// Create, disable or reset accounts and grant roles.
    ManageAccounts,
    /// Create organisations and teams.
    ManageOrganisations,
    /// Read the audit log's metadata (who did what to which id, never content).
    ReadAuditLog,
    /// Read a person's care plan (a carer: only the sections shared with them).
    ReadCarePlan,
    /// Write in one's own voice in a care plan: start it, add words, goals and actions.
    WriteCarePlan,
    /// Agree or disagree with a section, as the party one is.
    AgreeCarePlan,
    /// Finalise a version, or start a review (a care coordinator).
    FinaliseCarePlan,
    /// Record that the service user was given a copy of their plan.
    RecordCopyGiven,
    /// See a team's involvement quality and overdue reviews (a team lead).
    ViewTeamDashboard,
    /// Work on pseudonymised data and aggregates (cohorts, costs, qualitative analysis).
    UseResearchWorkspace,
    /// Run the stakeholder group, engagement activities and funding changes.
    UseEngagementWorkspace,
    /// Import an organisation's patient-level records into the pseudonymised analytic store.
    ImportRecords,
    /// Define cohorts over the pseudonymised records and see their (disclosure-controlled)
    /// characterisation.
    AnalyseRecords,
    /// Copy, edit, inflate and version the organisation's unit-cost tables.
    ManageUnitCosts,
    /// Create a qualitative project (on the organisation), or add and remove its members (its
    /// owners only).
    ManageQualProject,
    /// Record funding changes and their outcome indicators, and read their interrupted time
    /// series (commissioners and engagement leads; no stakeholder register).
    RecordFundingChange,
    /// Read a qualitative project's sources, codings, memos and analyses (its members only).
    ReadQualProject,
    /// Import sources, code, write memos, codebooks and CMO configurations (owners and coders).
    CodeQualProject,
    /// Draft vignettes from cohorts, run their k check, choose the review panel and its rule,
    /// build decision studies, invite respondents and analyse (researchers).
    ManageVignettes,
    /// Read, comment on and approve vignettes (the review panel's members only; never records).
    ReviewVignettes,
}

impl Action {
    pub const ALL: [Action; 26] = [
        Action::ViewHome,
        Action::ListPeople,
        Action::ReadPerson,
        Action::RecordPerson,
        Action::ReadConsents,
        Action::RecordConsent,
        Action::ManageAccounts,
        Action::ManageOrganisations,
        Action::ReadAuditLog,
        Action::ReadCarePlan,
        Action::WriteCarePlan,
        Action::AgreeCarePlan,
        Action::FinaliseCarePlan,
        Action::RecordCopyGiven,
        Action::ViewTeamDashboard,
        Action::UseResearchWorkspace,
        Action::UseEngagementWorkspace,
        Action::ImportRecords,
        Action::AnalyseRecords,
        Action::ManageUnitCosts,
        Action::ManageQualProject,
        Action::RecordFundingChange,
        Action::ReadQualProject,
        Action::CodeQualProject,
        Action::ManageVignettes,
        Action::ReviewVignettes,
    ];

    /// The stable dotted name that the audit log stores.
    pub fn audit_name(self) -> &'static str {
        match self {
            Action::ViewHome => "home.view",
            Action::ListPeople => "person.list",
            Action::ReadPerson => "person.read",
            Action::RecordPerson => "person.record",
            Action::ReadConsents => "consent.read",
            Action::RecordConsent => "consent.record",
            Action::ManageAccounts => "account.manage",
            Action::ManageOrganisations => "organisation.manage",
            Action::ReadAuditLog => "audit.read",
            Action::ReadCarePlan => "careplan.read",
            Action::WriteCarePlan => "careplan.write",
            Action::AgreeCarePlan => "careplan.section.agree",
            Action::FinaliseCarePlan => "careplan.finalise",
            Action::RecordCopyGiven => "careplan.copy_given",
            Action::ViewTeamDashboard => "team.dashboard",
            Action::UseResearchWorkspace => "research.use",
            Action::UseEngagementWorkspace => "engagement.use",
            Action::ImportRecords => "records.import",
            Action::AnalyseRecords => "records.analyse",
            Action::ManageUnitCosts => "econ.unit_costs.manage",
            Action::ManageQualProject => "qual.project.manage",
            Action::RecordFundingChange => "funding.record",
            Action::ReadQualProject => "qual.project.read",
            Action::CodeQualProject => "qual.project.code",
            Action::ManageVignettes => "vignette.manage",
            Action::ReviewVignettes => "vignette.review",
        }
    }
}

/// The coarse table: could this role ever perform this action, on some resource?
///
/// This is the whole matrix of roles × actions; [`decide`] narrows it to one resource.
pub fn role_may(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        ViewHome => true,
        ListPeople | ReadPerson => matches!(role, ServiceUser | Carer | Clinician | TeamLead),
        RecordPerson => matches!(role, Clinician | TeamLead),
        ReadConsents => matches!(role, ServiceUser | Clinician | TeamLead),
        RecordConsent => matches!(role, ServiceUser | Clinician),
        ManageAccounts | ManageOrganisations | ReadAuditLog => role == Admin,
        ReadCarePlan => matches!(role, ServiceUser | Carer | Clinician | TeamLead),
        WriteCarePlan | AgreeCarePlan => matches!(role, ServiceUser | Carer | Clinician),
        FinaliseCarePlan => role == Clinician,
        RecordCopyGiven => matches!(role, ServiceUser | Clinician),
        ViewTeamDashboard => role == TeamLead,
        UseResearchWorkspace => role == Researcher,
        UseEngagementWorkspace => role == EngagementLead,
        // The administrator runs imports (and holds the pseudonymisation key) but sees no
        // analysis; researchers may import an extract they were given, and analyse.
        ImportRecords => matches!(role, Researcher | Admin),
        AnalyseRecords => role == Researcher,
        // Unit costs are not personal data: the administrator keeps the organisation's tables,
        // and health economists (researchers) copy and edit them.
        ManageUnitCosts => matches!(role, Researcher | Admin),
        // Interview words are among the most sensitive data cocare holds: researchers only, and
        // then only the members of each project (see `grant_covers`).
        ManageQualProject | ReadQualProject | CodeQualProject => role == Researcher,
        // Commissioners record funding changes and see their outcomes, not the register.
        RecordFundingChange => matches!(role, EngagementLead | Commissioner),
        ManageVignettes => role == Researcher,
        // The stakeholder group is people of every kind; membership of the panel (see
        // `grant_covers`) decides. Administrators run the system and review nothing.
        ReviewVignettes => role != Admin,
    }
}

/// Whether any of the actor's roles could perform the action (the route-level check).
pub fn actor_may(actor: &Actor, action: Action) -> bool {
    actor.grants.iter().any(|grant| role_may(grant.role, action))
}

/// The facts about one person that the policy needs, loaded by the caller before deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonScope {
    pub person: PersonId,
    pub organisation: OrganisationId,
    pub team: Option<TeamId>,
    /// Carers to whom this service user has given consent that is in force now.
    pub consenting_to_carers: Vec<PersonId>,
}

/// A member's part in a qualitative project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectRole {
    /// Manages members, and codes.
    Owner,
    /// Imports sources, codes, writes memos.
    Coder,
    /// Reads and retrieves only.
    Viewer,
}

impl ProjectRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectRole::Owner => "owner",
            ProjectRole::Coder => "coder",
            ProjectRole::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectRole> {
        match s {
            "owner" => Some(ProjectRole::Owner),
            "coder" => Some(ProjectRole::Coder),
            "viewer" => Some(ProjectRole::Viewer),
            _ => None,
        }
    }

    fn allows(self, action: Action) -> bool {
        match action {
            Action::ReadQualProject => true,
            Action::CodeQualProject => matches!(self, ProjectRole::Owner | ProjectRole::Coder),
            Action::ManageQualProject => self == ProjectRole::Owner,
            _ => false,
        }
    }
}

/// The facts about one qualitative project that the policy needs: its organisation and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectScope {
    pub organisation: OrganisationId,
    pub members: Vec<(AccountId, ProjectRole)>,
}

/// The facts about an organisation's vignette review panel that the policy needs: its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelScope {
    pub organisation: OrganisationId,
    pub members: Vec<AccountId>,
}

/// What an action is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource<'a> {
    /// A team (its caseload as a whole).
    Team(OrganisationId, TeamId),
    /// Nothing in particular (the home page, one's own list).
    Own,
    /// Something belonging to an organisation (its accounts, teams, audit log).
    Organisation(OrganisationId),
    /// A person's record or something hanging from it.
    Person(&'a PersonScope),
    /// A qualitative project and everything in it.
    Project(&'a ProjectScope),
    /// The organisation's vignettes as its review panel sees them.
    Panel(&'a PanelScope),
}

/// Proof that the policy allowed an action. Only this crate can make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    action: Action,
    role: Option<Role>,
    actor: String,
}

impl Permit {
    pub fn action(&self) -> Action {
        self.action
    }

    /// The role under which the action was allowed; `None` for internal system work.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// The audit name of the actor this permit was issued to.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The role's name as the audit log stores it.
    pub fn role_name(&self) -> &'static str {
        self.role.map_or("system", Role::as_str)
    }
}

/// Why the policy refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The actor may not do this; answering 403 reveals nothing they do not know.
    Forbidden,
    /// The actor may not know this resource exists; answer 404.
    NotFound,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Denied::Forbidden => "the access policy refused this action",
            Denied::NotFound => "not found",
        })
    }
}

impl std::error::Error for Denied {}

/// Decides one action on one resource. Deny by default; a permit names the role that allowed it.
pub fn decide(actor: &Actor, action: Action, resource: &Resource<'_>) -> Result<Permit, Denied> {
    if let ActorKind::System(name) = actor.kind {
        // Internal work runs under a named system actor and is audited under that name.
        return Ok(Permit {
            action,
            role: None,
            actor: format!("system:{name}"),
        });
    }
    let granting = actor
        .grants
        .iter()
        .filter(|grant| role_may(grant.role, action))
        .find(|grant| grant_covers(actor, grant, action, resource));
    match granting {
        Some(grant) => Ok(Permit {
            action,
            role: Some(grant.role),
            actor: actor.audit_name(),
        }),
        None => Err(match resource {
            // People outside your care are not yours to know about.
            Resource::Person(_) | Resource::Project(_) | Resource::Panel(_) => Denied::NotFound,
            Resource::Own | Resource::Organisation(_) | Resource::Team(..) => Denied::Forbidden,
        }),
    }
}

fn grant_covers(actor: &Actor, grant: &Grant, action: Action, resource: &Resource<'_>) -> bool {
    match resource {
        Resource::Own => true,
        Resource::Organisation(organisation) => grant.organisation == *organisation,
        Resource::Team(organisation, team) => grant.organisation == *organisation && grant.team == Some(*team),
        // A project's words are seen by its members only, whatever else the actor may do.
        Resource::Project(scope) => {
            grant.organisation == scope.organisation
                && actor.account_id().is_some_and(|me| {
                    scope
                        .members
                        .iter()
                        .any(|(member, role)| *member == me && role.allows(action))
                })
        }
        // Vignettes under review are seen by the panel's members; researchers manage them.
        Resource::Panel(scope) => {
            grant.organisation == scope.organisation
                && (grant.role == Role::Researcher || actor.account_id().is_some_and(|me| scope.members.contains(&me)))
        }
        Resource::Person(scope) => {
            if grant.organisation != scope.organisation {
                return false;
            }
            match grant.role {
                Role::ServiceUser => actor.person == Some(scope.person),
                // A carer sees only people who consented to share with them, and never their
                // consent settings or anything else the consent does not cover.
                Role::Carer => {
                    matches!(
                        action,
                        Action::ReadPerson
                            | Action::ListPeople
                            | Action::ReadCarePlan
                            | Action::WriteCarePlan
                            | Action::AgreeCarePlan
                    ) && actor.person.is_some_and(|me| scope.consenting_to_carers.contains(&me))
                }
                Role::Clinician | Role::TeamLead => grant.team.is_some() && grant.team == scope.team,
                Role::Researcher | Role::EngagementLead | Role::Commissioner | Role::Admin => false,
            }
        }
    }
}

#[cfg(test)]
mod tests;
