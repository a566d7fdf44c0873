//! Administration: organisations, teams, accounts and roles. Administrators never see clinical
//! content through these functions: accounts carry names and roles only.

use cocare_core::{AccountId, Actor, Grant, OrganisationId, PersonId, Role, TeamId};
use cocare_policy::{Action, Permit, Resource, decide};
use cocare_store::{AccountSummary, NewAccount, OrganisationRow, PersonKind, TeamRow};
use secrecy::SecretString;
use serde::Serialize;

use crate::error::Checks;
use crate::secret::{hash_password, password_problem};
use crate::{App, AppError};

/// What an administrator manages, organisation by organisation.
#[derive(Debug, Clone, Serialize)]
pub struct AdminOverview {
    pub organisations: Vec<OrganisationAdmin>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganisationAdmin {
    pub organisation: OrganisationRow,
    pub teams: Vec<TeamRow>,
    pub accounts: Vec<AccountSummary>,
}

/// The new-account form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountForm {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: String,
    /// An organisation id, or (from the CLI) its exact name; empty for the only organisation.
    pub organisation: String,
    /// A team id, or (from the CLI) its exact name; empty for none.
    pub team: String,
    /// The person record of a service user or carer who will sign in; empty for staff.
    pub person: String,
}

/// The add-a-role form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleForm {
    pub role: String,
    /// An organisation id or name; empty for the only organisation.
    pub organisation: String,
    /// A team id or name; empty for none.
    pub team: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganisationForm {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamForm {
    pub organisation: String,
    pub name: String,
}

fn check_name(checks: &mut Checks, field: &'static str, value: &str, what: &str) {
    let length = value.trim().chars().count();
    if length == 0 {
        checks.fail(field, format!("Enter {what}"));
    } else if length > 120 {
        checks.fail(field, format!("Keep {what} to 120 characters or fewer"));
    }
}

impl App {
    /// An organisation by name or id; with an empty name, the only one there is.
    pub async fn organisation_named(&self, raw: &str) -> Result<Option<OrganisationRow>, AppError> {
        let raw = raw.trim();
        let organisations = self.store.organisations().await?;
        if raw.is_empty() {
            return Ok(match organisations.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            });
        }
        Ok(organisations
            .into_iter()
            .find(|o| o.name == raw || OrganisationId::parse(raw).is_ok_and(|id| id == o.id)))
    }

    /// Checks a role, organisation and team as typed, together: the team must belong to the
    /// organisation, and team roles need one.
    async fn role_choice(
        &self,
        checks: &mut Checks,
        role: &str,
        organisation: &str,
        team: &str,
    ) -> Result<(Option<Role>, Option<OrganisationRow>, Option<TeamRow>), AppError> {
        let role = Role::parse(role).ok();
        if role.is_none() {
            checks.fail("role", "Choose a role");
        }
        let organisation = self.organisation_named(organisation).await?;
        let Some(found) = &organisation else {
            checks.fail("organisation", "Choose an organisation");
            return Ok((role, None, None));
        };
        let raw = team.trim();
        let mut team = None;
        if !raw.is_empty() {
            team = self
                .store
                .teams(found.id)
                .await?
                .into_iter()
                .find(|t| t.name == raw || TeamId::parse(raw).is_ok_and(|id| id == t.id));
            if team.is_none() {
                checks.fail("team", "Choose a team of this organisation");
            }
        } else if role.is_some_and(Role::needs_team) {
            checks.fail("team", "Clinicians and team leads belong to a team: choose one");
        }
        Ok((role, organisation, team))
    }

    fn admin_permit(actor: &Actor, action: Action, organisation: OrganisationId) -> Result<Permit, AppError> {
        Ok(decide(actor, action, &Resource::Organisation(organisation))?)
    }

    pub async fn admin_overview(&self, actor: &Actor) -> Result<AdminOverview, AppError> {
        let mut organisations = Vec::new();
        let mut permits = Vec::new();
        for organisation in self.store.organisations().await? {
            let Ok(permit) = decide(actor, Action::ManageAccounts, &Resource::Organisation(organisation.id)) else {
                continue;
            };
            let teams = self.store.teams(organisation.id).await?;
            let accounts = self.store.accounts_in(organisation.id).await?;
            permits.push((permit, format!("organisation:{}/accounts", organisation.id)));
            organisations.push(OrganisationAdmin {
                organisation,
                teams,
                accounts,
            });
        }
        // Staff names are personal data too: the read is audited.
        if !permits.is_empty() {
            let mut tx = self.store.begin_write().await?;
            for (permit, subject) in &permits {
                tx.audit_permit(permit, subject).await?;
            }
            tx.commit().await?;
        }
        if organisations.is_empty() && !actor.has_role(Role::Admin) {
            return Err(AppError::Forbidden);
        }
        Ok(AdminOverview { organisations })
    }

    /// Creates an organisation; the administrator who creates it administers it.
    pub async fn create_organisation(
        &self,
        actor: &Actor,
        form: &OrganisationForm,
    ) -> Result<OrganisationId, AppError> {
        let permit = decide(actor, Action::ManageOrganisations, &Resource::Own)?;
        let mut checks = Checks::default();
        check_name(&mut checks, "name", &form.name, "the organisation's name");
        checks.finish()?;
        let id = OrganisationId::new();
        let mut tx = self.store.begin_write().await?;
        tx.insert_organisation(id, form.name.trim())
            .await
            .map_err(|err| match AppError::from(err) {
                AppError::Conflict(_) => AppError::Validation(vec![crate::FieldError::new(
                    "name",
                    "An organisation with this name already exists",
                )]),
                other => other,
            })?;
        if let Some(account) = actor.account_id() {
            tx.insert_grant(
                account,
                &Grant {
                    role: Role::Admin,
                    organisation: id,
                    team: None,
                },
            )
            .await?;
        }
        tx.audit_permit(&permit, &format!("organisation:{id}")).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn create_team(&self, actor: &Actor, form: &TeamForm) -> Result<TeamId, AppError> {
        let mut checks = Checks::default();
        let organisation = self.organisation_named(&form.organisation).await?;
        if organisation.is_none() {
            checks.fail("organisation", "Choose an organisation you administer");
        }
        check_name(&mut checks, "name", &form.name, "the team's name");
        checks.finish()?;
        let organisation = organisation.ok_or(AppError::NotFound)?;
        let permit = Self::admin_permit(actor, Action::ManageOrganisations, organisation.id)?;
        let id = TeamId::new();
        let mut tx = self.store.begin_write().await?;
        tx.insert_team(id, organisation.id, form.name.trim())
            .await
            .map_err(|err| match AppError::from(err) {
                AppError::Conflict(_) => AppError::Validation(vec![crate::FieldError::new(
                    "name",
                    "This organisation already has a team with this name",
                )]),
                other => other,
            })?;
        tx.audit_permit(&permit, &format!("team:{id}")).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates an account with one role. Every problem with the form is reported at once.
    pub async fn create_account(&self, actor: &Actor, form: &AccountForm) -> Result<AccountId, AppError> {
        let mut checks = Checks::default();
        let username = form.username.trim();
        if username.is_empty() {
            checks.fail("username", "Enter a username");
        } else if username.chars().count() > 64
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
        {
            checks.fail(
                "username",
                "Use up to 64 letters, digits, dots, dashes, underscores or @",
            );
        } else if self.store.account_by_username(username).await?.is_some() {
            checks.fail("username", "This username is taken");
        }
        check_name(&mut checks, "display_name", &form.display_name, "the name to show");
        if let Some(problem) = password_problem(&form.password) {
            checks.fail("password", problem);
        }
        let (role, organisation, team) = self
            .role_choice(&mut checks, &form.role, &form.organisation, &form.team)
            .await?;
        // The permission comes before anything about people is checked, so that nothing about
        // another organisation's records can be learnt from the messages.
        let permit = match &organisation {
            Some(organisation) => Some(Self::admin_permit(actor, Action::ManageAccounts, organisation.id)?),
            None => None,
        };
        let person = match (form.person.trim(), &organisation) {
            ("", _) => None,
            (raw, Some(organisation)) => {
                let person = PersonId::parse(raw).ok();
                match person {
                    Some(person) => match self.person_problem(person, organisation.id, role).await? {
                        Some(problem) => {
                            checks.fail("person", problem);
                            None
                        }
                        None => Some(person),
                    },
                    None => {
                        checks.fail("person", "No person record in this organisation has this id");
                        None
                    }
                }
            }
            (_, None) => None,
        };
        if person.is_none()
            && form.person.trim().is_empty()
            && role.is_some_and(|r| matches!(r, Role::ServiceUser | Role::Carer))
        {
            checks.fail(
                "person",
                "Service users and carers sign in to their own record: give its id",
            );
        }
        checks.finish()?;
        let (Some(role), Some(organisation), Some(permit)) = (role, organisation, permit) else {
            return Err(AppError::Validation(vec![]));
        };
        let password_hash = hash_password(SecretString::from(form.password.clone())).await?;
        let id = AccountId::new();
        let mut tx = self.store.begin_write().await?;
        if let Some(person) = person
            && tx.account_of_person(person).await?.is_some()
        {
            return Err(AppError::Validation(vec![crate::FieldError::new(
                "person",
                "This person already has an account",
            )]));
        }
        tx.insert_account(&NewAccount {
            id,
            username: username.to_owned(),
            display_name: form.display_name.trim().to_owned(),
            password_hash,
            person_id: person,
        })
        .await
        .map_err(|err| match AppError::from(err) {
            AppError::Conflict(_) => {
                AppError::Validation(vec![crate::FieldError::new("username", "This username is taken")])
            }
            other => other,
        })?;
        tx.insert_grant(
            id,
            &Grant {
                role,
                organisation: organisation.id,
                team: team.map(|t| t.id),
            },
        )
        .await?;
        tx.audit_permit(&permit, &format!("account:{id}")).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The organisation in which the actor may manage this account, if any.
    async fn managed_account(&self, actor: &Actor, account: AccountId) -> Result<Permit, AppError> {
        if self.store.account(account).await?.is_none() {
            return Err(AppError::NotFound);
        }
        if actor.account_id().is_none() {
            // Internal work (the CLI) runs as a named system actor.
            return Ok(decide(actor, Action::ManageAccounts, &Resource::Own)?);
        }
        // An account is managed only by someone who administers every organisation in which it
        // holds a role: an administrator of one organisation cannot take over another's staff.
        let mut permit = None;
        for grant in self.store.grants(account).await? {
            match Self::admin_permit(actor, Action::ManageAccounts, grant.organisation) {
                Ok(granted) => {
                    permit.get_or_insert(granted);
                }
                Err(_) => return Err(AppError::NotFound),
            }
        }
        permit.ok_or(AppError::NotFound)
    }

    /// Why a person record cannot be linked to an account with this role, if it cannot.
    async fn person_problem(
        &self,
        person: PersonId,
        organisation: OrganisationId,
        role: Option<Role>,
    ) -> Result<Option<&'static str>, AppError> {
        let Some((home, kind)) = self.store.person_kind(person).await? else {
            return Ok(Some("No person record in this organisation has this id"));
        };
        if home != organisation {
            return Ok(Some("No person record in this organisation has this id"));
        }
        Ok(match (role, kind) {
            (Some(Role::ServiceUser), PersonKind::ServiceUser) | (Some(Role::Carer), PersonKind::Carer) => None,
            (Some(Role::ServiceUser), _) => Some("This record is a carer's, not a service user's"),
            (Some(Role::Carer), _) => Some("This record is a service user's, not a carer's"),
            (Some(_), _) => {
                Some("Only service users and carers sign in to a person record: leave this empty for staff")
            }
            (None, _) => None,
        })
    }

    /// Gives an existing account another role. The account is signed out, so its next sign-in
    /// carries the new role.
    pub async fn grant_role(&self, actor: &Actor, account: AccountId, form: &RoleForm) -> Result<(), AppError> {
        self.managed_account(actor, account).await?;
        if actor.account_id() == Some(account) {
            return Err(AppError::Conflict(
                "You cannot change your own roles. Ask another administrator".into(),
            ));
        }
        let mut checks = Checks::default();
        let (role, organisation, team) = self
            .role_choice(&mut checks, &form.role, &form.organisation, &form.team)
            .await?;
        let (Some(role), Some(organisation)) = (role, organisation) else {
            checks.finish()?;
            return Err(AppError::Validation(vec![]));
        };
        let grant = Grant {
            role,
            organisation: organisation.id,
            team: team.map(|t| t.id),
        };
        let existing = self.store.grants(account).await?;
        if existing.contains(&grant) {
            checks.fail("role", "This account already has this role");
        }
        let target = self.store.account(account).await?.ok_or(AppError::NotFound)?;
        match (role, target.person_id) {
            (Role::ServiceUser | Role::Carer, None) => checks.fail(
                "role",
                "Service users and carers sign in to their own record: create a new account for them",
            ),
            (_, Some(person)) => {
                if let Some(problem) = self.person_problem(person, organisation.id, Some(role)).await? {
                    checks.fail("role", problem);
                }
            }
            (_, None) => {}
        }
        checks.finish()?;
        let permit = Self::admin_permit(actor, Action::ManageAccounts, organisation.id)?;
        let mut tx = self.store.begin_write().await?;
        tx.insert_grant(account, &grant).await?;
        tx.delete_sessions_of(account).await?;
        tx.audit_permit(&permit, &format!("account:{account}/grant:{}", role.as_str()))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes one role from an account. The last role cannot be removed (disable the account
    /// instead), nor an administrator's own administrator role.
    pub async fn revoke_role(&self, actor: &Actor, account: AccountId, grant: &str) -> Result<(), AppError> {
        let permit = self.managed_account(actor, account).await?;
        let (summaries, _) = self.accounts_unaudited(actor).await?;
        let Some(summary) = summaries.iter().find(|a| a.id == account) else {
            return Err(AppError::NotFound);
        };
        let Some(target) = summary.grants.iter().find(|g| g.id == grant) else {
            return Err(AppError::NotFound);
        };
        if decide(
            actor,
            Action::ManageAccounts,
            &Resource::Organisation(target.organisation_id),
        )
        .is_err()
        {
            return Err(AppError::NotFound);
        }
        if summary.grants.len() == 1 {
            return Err(AppError::Conflict(
                "This is the account's only role. Disable the account instead of removing it".into(),
            ));
        }
        if actor.account_id() == Some(account) && target.role == Role::Admin {
            return Err(AppError::Conflict(
                "You cannot remove your own administrator role".into(),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        if !tx.delete_grant(account, grant).await? {
            return Err(AppError::NotFound);
        }
        tx.audit_permit(&permit, &format!("account:{account}/revoke:{}", target.role.as_str()))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables (or re-enables) an account; disabling signs it out everywhere.
    pub async fn set_account_disabled(
        &self,
        actor: &Actor,
        account: AccountId,
        disabled: bool,
    ) -> Result<(), AppError> {
        if actor.account_id() == Some(account) && disabled {
            return Err(AppError::Conflict("You cannot disable your own account".into()));
        }
        let permit = self.managed_account(actor, account).await?;
        let mut tx = self.store.begin_write().await?;
        if !tx.set_account_disabled(account, disabled).await? {
            return Err(AppError::NotFound);
        }
        tx.audit_permit(
            &permit,
            &format!("account:{account}/{}", if disabled { "disable" } else { "enable" }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn reset_password(
        &self,
        actor: &Actor,
        account: AccountId,
        password: SecretString,
    ) -> Result<(), AppError> {
        use secrecy::ExposeSecret;
        if let Some(problem) = password_problem(password.expose_secret()) {
            return Err(AppError::Validation(vec![crate::FieldError::new("password", problem)]));
        }
        let permit = self.managed_account(actor, account).await?;
        let hash = hash_password(password).await?;
        let mut tx = self.store.begin_write().await?;
        if !tx.set_password_hash(account, &hash).await? {
            return Err(AppError::NotFound);
        }
        tx.audit_permit(&permit, &format!("account:{account}/password")).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every account in every organisation the actor administers, with the permits that allowed it.
    async fn accounts_unaudited(
        &self,
        actor: &Actor,
    ) -> Result<(Vec<AccountSummary>, Vec<(Permit, String)>), AppError> {
        let mut out: Vec<AccountSummary> = Vec::new();
        let mut permits = Vec::new();
        for organisation in self.store.organisations().await? {
            let Ok(permit) = decide(actor, Action::ManageAccounts, &Resource::Organisation(organisation.id)) else {
                continue;
            };
            permits.push((permit, format!("organisation:{}/accounts", organisation.id)));
            for account in self.store.accounts_in(organisation.id).await? {
                match out.iter_mut().find(|a| a.id == account.id) {
                    Some(known) => known.grants.extend(account.grants),
                    None => out.push(account),
                }
            }
        }
        out.sort_by(|a, b| a.username.cmp(&b.username));
        Ok((out, permits))
    }

    /// Every account in every organisation the actor administers. Staff names are personal
    /// data: the read is audited.
    pub async fn accounts(&self, actor: &Actor) -> Result<Vec<AccountSummary>, AppError> {
        let (accounts, permits) = self.accounts_unaudited(actor).await?;
        if !permits.is_empty() {
            let mut tx = self.store.begin_write().await?;
            for (permit, subject) in &permits {
                tx.audit_permit(permit, subject).await?;
            }
            tx.commit().await?;
        }
        Ok(accounts)
    }

    pub async fn account_by_username(&self, username: &str) -> Result<Option<AccountId>, AppError> {
        Ok(self.store.account_by_username(username.trim()).await?.map(|a| a.id))
    }

    /// Recent audit entries (ids and action names only). The log spans every organisation on
    /// this server, so only an administrator of every organisation may read it.
    pub async fn recent_audit(&self, actor: &Actor, limit: i64) -> Result<Vec<cocare_store::AuditEntry>, AppError> {
        let mut permit = None;
        for organisation in self.store.organisations().await? {
            match decide(actor, Action::ReadAuditLog, &Resource::Organisation(organisation.id)) {
                Ok(granted) => {
                    permit.get_or_insert(granted);
                }
                Err(_) => return Err(AppError::Forbidden),
            }
        }
        let permit = permit.ok_or(AppError::Forbidden)?;
        let entries = self.store.recent_audit(limit).await?;
        let mut tx = self.store.begin_write().await?;
        tx.audit_permit(&permit, "audit_log").await?;
        tx.commit().await?;
        Ok(entries)
    }
}
