//! Who is acting: a signed-in account with its role grants, or a named internal actor.

use serde::Serialize;

use crate::{AccountId, OrganisationId, PersonId, Role, TeamId};

/// A role held within an organisation and, for team roles, a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub role: Role,
    pub organisation: OrganisationId,
    pub team: Option<TeamId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ActorKind {
    /// A person signed in with an account.
    Account(AccountId),
    /// Internal work (migrations, demo seeding, CLI maintenance) under an explicit name,
    /// which the audit log records as `system:<name>`.
    System(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub username: String,
    pub display_name: String,
    /// The person record of a service user or carer who signs in themselves.
    pub person: Option<PersonId>,
    pub grants: Vec<Grant>,
}

impl Actor {
    pub fn system(name: &'static str) -> Actor {
        Actor {
            kind: ActorKind::System(name),
            username: format!("system:{name}"),
            display_name: format!("cocare ({name})"),
            person: None,
            grants: Vec::new(),
        }
    }

    pub fn account_id(&self) -> Option<AccountId> {
        match self.kind {
            ActorKind::Account(id) => Some(id),
            ActorKind::System(_) => None,
        }
    }

    /// The stable text the audit log stores for this actor: an account id, never a name.
    pub fn audit_name(&self) -> String {
        match &self.kind {
            ActorKind::Account(id) => format!("account:{id}"),
            ActorKind::System(name) => format!("system:{name}"),
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|grant| grant.role == role)
    }

    /// Distinct roles, in the fixed order of `Role::ALL`.
    pub fn roles(&self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|role| self.has_role(*role)).collect()
    }
}
