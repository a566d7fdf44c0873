//! The roles a person can hold in cocare, each scoped to an organisation and optionally a team.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ServiceUser,
    Carer,
    Clinician,
    TeamLead,
    Researcher,
    EngagementLead,
    /// Records funding changes and follows their outcome indicators.
    Commissioner,
    Admin,
}

/// A role name that cocare does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {given:?}; expected one of service_user, carer, clinician, team_lead, researcher, engagement_lead, commissioner, admin"
)]
pub struct UnknownRole {
    pub given: String,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::ServiceUser,
        Role::Carer,
        Role::Clinician,
        Role::TeamLead,
        Role::Researcher,
        Role::EngagementLead,
        Role::Commissioner,
        Role::Admin,
    ];

    /// The stable name used on the command line, in the database and in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ServiceUser => "service_user",
            Role::Carer => "carer",
            Role::Clinician => "clinician",
            Role::TeamLead => "team_lead",
            Role::Researcher => "researcher",
            Role::EngagementLead => "engagement_lead",
            Role::Commissioner => "commissioner",
            Role::Admin => "admin",
        }
    }

    /// The name people read on the page.
    pub fn label(self) -> &'static str {
        match self {
            Role::ServiceUser => "Service user",
            Role::Carer => "Carer",
            Role::Clinician => "Clinician / care coordinator",
            Role::TeamLead => "Team lead",
            Role::Researcher => "Researcher",
            Role::EngagementLead => "Engagement lead",
            Role::Commissioner => "Commissioner",
            Role::Admin => "Administrator",
        }
    }

    /// Whether a grant of this role must name a team (care is given by teams).
    pub fn needs_team(self) -> bool {
        matches!(self, Role::Clinician | Role::TeamLead)
    }

    pub fn parse(raw: &str) -> Result<Role, UnknownRole> {
        let wanted = raw.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == wanted)
            .ok_or_else(|| UnknownRole {
                given: wanted.to_owned(),
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_from_its_own_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
    }

    #[test]
    fn unknown_roles_are_refused_with_the_list_of_known_ones() {
        let err = Role::parse("superuser").unwrap_err();
        assert!(err.to_string().contains("team_lead"));
    }
}
