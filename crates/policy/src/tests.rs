use cocare_core::{AccountId, Actor, ActorKind, Grant, OrganisationId, PersonId, Role, TeamId};

use super::*;

struct World {
    org: OrganisationId,
    other_org: OrganisationId,
    team: TeamId,
    other_team: TeamId,
    me: PersonId,
    carer: PersonId,
}

fn world() -> World {
    World {
        org: OrganisationId::from_u128(1),
        other_org: OrganisationId::from_u128(2),
        team: TeamId::from_u128(10),
        other_team: TeamId::from_u128(11),
        me: PersonId::from_u128(100),
        carer: PersonId::from_u128(101),
    }
}

fn actor(role: Role, org: OrganisationId, team: Option<TeamId>, person: Option<PersonId>) -> Actor {
    Actor {
        kind: ActorKind::Account(AccountId::from_u128(7)),
        username: "someone".into(),
        display_name: "Someone".into(),
        person,
        grants: vec![Grant {
            role,
            organisation: org,
            team,
        }],
    }
}

fn scope(w: &World, consenting: Vec<PersonId>) -> PersonScope {
    PersonScope {
        person: w.me,
        organisation: w.org,
        team: Some(w.team),
        consenting_to_carers: consenting,
    }
}

#[test]
fn a_service_user_reads_their_own_record_and_nobody_elses() {
    let w = world();
    let me = actor(Role::ServiceUser, w.org, None, Some(w.me));
    let mine = scope(&w, vec![]);
    let permit = decide(&me, Action::ReadPerson, &Resource::Person(&mine)).unwrap();
    assert_eq!(permit.role(), Some(Role::ServiceUser));
    let someone_else = PersonScope {
        person: PersonId::from_u128(999),
        ..mine
    };
    assert_eq!(
        decide(&me, Action::ReadPerson, &Resource::Person(&someone_else)),
        Err(Denied::NotFound)
    );
}

#[test]
fn a_carer_sees_a_person_only_while_consent_is_in_force() {
    let w = world();
    let carer = actor(Role::Carer, w.org, None, Some(w.carer));
    let with_consent = scope(&w, vec![w.carer]);
    let without = scope(&w, vec![]);
    assert!(decide(&carer, Action::ReadPerson, &Resource::Person(&with_consent)).is_ok());
    assert_eq!(
        decide(&carer, Action::ReadPerson, &Resource::Person(&without)),
        Err(Denied::NotFound)
    );
}

#[test]
fn a_carer_never_reads_or_changes_consent_settings() {
    let w = world();
    let carer = actor(Role::Carer, w.org, None, Some(w.carer));
    let with_consent = scope(&w, vec![w.carer]);
    for action in [Action::ReadConsents, Action::RecordConsent] {
        assert!(
            decide(&carer, action, &Resource::Person(&with_consent)).is_err(),
            "{action:?}"
        );
    }
}

#[test]
fn clinicians_see_people_in_their_own_team_only() {
    let w = world();
    let clinician = actor(Role::Clinician, w.org, Some(w.team), None);
    let elsewhere = actor(Role::Clinician, w.org, Some(w.other_team), None);
    let person = scope(&w, vec![]);
    assert!(decide(&clinician, Action::ReadPerson, &Resource::Person(&person)).is_ok());
    assert_eq!(
        decide(&elsewhere, Action::ReadPerson, &Resource::Person(&person)),
        Err(Denied::NotFound)
    );
}

#[test]
fn administrators_manage_accounts_but_never_read_clinical_records() {
    let w = world();
    let admin = actor(Role::Admin, w.org, None, None);
    assert!(decide(&admin, Action::ManageAccounts, &Resource::Organisation(w.org)).is_ok());
    assert_eq!(
        decide(&admin, Action::ManageAccounts, &Resource::Organisation(w.other_org)),
        Err(Denied::Forbidden)
    );
    let person = scope(&w, vec![]);
    assert!(decide(&admin, Action::ReadPerson, &Resource::Person(&person)).is_err());
}

#[test]
fn researchers_and_engagement_leads_never_read_identifiable_records() {
    let w = world();
    let person = scope(&w, vec![]);
    for role in [Role::Researcher, Role::EngagementLead] {
        let someone = actor(role, w.org, Some(w.team), None);
        assert!(decide(&someone, Action::ReadPerson, &Resource::Person(&person)).is_err());
        assert!(!actor_may(&someone, Action::ListPeople));
    }
}

#[test]
fn an_actor_with_no_grants_is_refused_everything_but_nothing_panics() {
    let w = world();
    let nobody = Actor {
        grants: vec![],
        ..actor(Role::Admin, w.org, None, None)
    };
    for action in Action::ALL {
        assert!(decide(&nobody, action, &Resource::Own).is_err());
        assert!(!actor_may(&nobody, action));
    }
}

#[test]
fn audit_names_are_distinct_and_dotted() {
    let mut names: Vec<_> = Action::ALL.iter().map(|a| a.audit_name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Action::ALL.len());
    assert!(names.iter().all(|n| n.contains('.')));
}

#[test]
fn a_carer_works_on_a_plan_only_under_consent_and_never_finalises_it() {
    let w = world();
    let carer = actor(Role::Carer, w.org, None, Some(w.carer));
    let with_consent = scope(&w, vec![w.carer]);
    let without = scope(&w, vec![]);
    for action in [Action::ReadCarePlan, Action::WriteCarePlan, Action::AgreeCarePlan] {
        assert!(
            decide(&carer, action, &Resource::Person(&with_consent)).is_ok(),
            "{action:?}"
        );
        assert_eq!(
            decide(&carer, action, &Resource::Person(&without)),
            Err(Denied::NotFound),
            "{action:?}"
        );
    }
    for action in [Action::FinaliseCarePlan, Action::RecordCopyGiven] {
        assert!(
            decide(&carer, action, &Resource::Person(&with_consent)).is_err(),
            "{action:?}"
        );
    }
}

#[test]
fn only_a_care_coordinator_of_the_team_finalises_and_a_team_lead_only_reads() {
    let w = world();
    let person = scope(&w, vec![]);
    let coordinator = actor(Role::Clinician, w.org, Some(w.team), None);
    let lead = actor(Role::TeamLead, w.org, Some(w.team), None);
    let me = actor(Role::ServiceUser, w.org, None, Some(w.me));
    assert!(decide(&coordinator, Action::FinaliseCarePlan, &Resource::Person(&person)).is_ok());
    assert!(decide(&lead, Action::ReadCarePlan, &Resource::Person(&person)).is_ok());
    assert!(decide(&lead, Action::WriteCarePlan, &Resource::Person(&person)).is_err());
    assert!(decide(&me, Action::FinaliseCarePlan, &Resource::Person(&person)).is_err());
    assert!(decide(&me, Action::WriteCarePlan, &Resource::Person(&person)).is_ok());
}

#[test]
fn a_team_lead_sees_their_own_teams_dashboard_only() {
    let w = world();
    let lead = actor(Role::TeamLead, w.org, Some(w.team), None);
    let clinician = actor(Role::Clinician, w.org, Some(w.team), None);
    assert!(decide(&lead, Action::ViewTeamDashboard, &Resource::Team(w.org, w.team)).is_ok());
    assert_eq!(
        decide(&lead, Action::ViewTeamDashboard, &Resource::Team(w.org, w.other_team)),
        Err(Denied::Forbidden)
    );
    assert!(decide(&clinician, Action::ViewTeamDashboard, &Resource::Team(w.org, w.team)).is_err());
}

#[test]
fn only_members_of_a_qualitative_project_see_its_words_and_only_owners_and_coders_code() {
    let w = world();
    let me = actor(Role::Researcher, w.org, None, None);
    let my_id = AccountId::from_u128(7);
    let other = AccountId::from_u128(8);
    let scope_with = |role| ProjectScope {
        organisation: w.org,
        members: vec![(other, ProjectRole::Owner), (my_id, role)],
    };
    let not_member = ProjectScope {
        organisation: w.org,
        members: vec![(other, ProjectRole::Owner)],
    };
    // A researcher who is not a member is not told the project exists.
    for action in [
        Action::ReadQualProject,
        Action::CodeQualProject,
        Action::ManageQualProject,
    ] {
        assert_eq!(
            decide(&me, action, &Resource::Project(&not_member)),
            Err(Denied::NotFound)
        );
    }
    let viewer = scope_with(ProjectRole::Viewer);
    assert!(decide(&me, Action::ReadQualProject, &Resource::Project(&viewer)).is_ok());
    assert!(decide(&me, Action::CodeQualProject, &Resource::Project(&viewer)).is_err());
    let coder = scope_with(ProjectRole::Coder);
    assert!(decide(&me, Action::CodeQualProject, &Resource::Project(&coder)).is_ok());
    assert!(decide(&me, Action::ManageQualProject, &Resource::Project(&coder)).is_err());
    let owner = scope_with(ProjectRole::Owner);
    assert!(decide(&me, Action::ManageQualProject, &Resource::Project(&owner)).is_ok());
    // Membership does not cross organisations, and no other role reads a project, members or not.
    let elsewhere = ProjectScope {
        organisation: w.other_org,
        ..owner.clone()
    };
    assert!(decide(&me, Action::ReadQualProject, &Resource::Project(&elsewhere)).is_err());
    for role in [Role::Admin, Role::Clinician, Role::EngagementLead, Role::TeamLead] {
        let someone = actor(role, w.org, Some(w.team), None);
        assert!(decide(&someone, Action::ReadQualProject, &Resource::Project(&owner)).is_err());
    }
    // Any researcher of the organisation may start a project.
    assert!(decide(&me, Action::ManageQualProject, &Resource::Organisation(w.org)).is_ok());
}

#[test]
fn commissioners_record_funding_changes_but_never_read_the_register() {
    let w = world();
    let kim = actor(Role::Commissioner, w.org, None, None);
    assert!(decide(&kim, Action::RecordFundingChange, &Resource::Organisation(w.org)).is_ok());
    assert!(decide(&kim, Action::RecordFundingChange, &Resource::Organisation(w.other_org)).is_err());
    assert!(decide(&kim, Action::UseEngagementWorkspace, &Resource::Organisation(w.org)).is_err());
    let person = scope(&w, vec![]);
    assert!(decide(&kim, Action::ReadPerson, &Resource::Person(&person)).is_err());
    let lead = actor(Role::EngagementLead, w.org, None, None);
    assert!(decide(&lead, Action::RecordFundingChange, &Resource::Organisation(w.org)).is_ok());
}

#[test]
fn the_review_panel_sees_vignettes_and_only_researchers_manage_them() {
    let w = world();
    let me = AccountId::from_u128(7);
    let member = PanelScope {
        organisation: w.org,
        members: vec![me],
    };
    let not_member = PanelScope {
        organisation: w.org,
        members: vec![AccountId::from_u128(8)],
    };
    for role in [Role::ServiceUser, Role::Carer, Role::Clinician, Role::Commissioner] {
        let someone = actor(role, w.org, Some(w.team), Some(w.me));
        assert!(
            decide(&someone, Action::ReviewVignettes, &Resource::Panel(&member)).is_ok(),
            "{role:?}"
        );
        assert_eq!(
            decide(&someone, Action::ReviewVignettes, &Resource::Panel(&not_member)),
            Err(Denied::NotFound),
            "{role:?}"
        );
        assert!(decide(&someone, Action::ManageVignettes, &Resource::Organisation(w.org)).is_err());
    }
    let researcher = actor(Role::Researcher, w.org, None, None);
    assert!(decide(&researcher, Action::ManageVignettes, &Resource::Organisation(w.org)).is_ok());
    assert!(decide(&researcher, Action::ReviewVignettes, &Resource::Panel(&not_member)).is_ok());
    assert!(
        decide(
            &researcher,
            Action::ManageVignettes,
            &Resource::Organisation(w.other_org)
        )
        .is_err()
    );
    let elsewhere = PanelScope {
        organisation: w.other_org,
        members: vec![me],
    };
    assert!(decide(&researcher, Action::ReviewVignettes, &Resource::Panel(&elsewhere)).is_err());
    let admin = actor(Role::Admin, w.org, None, None);
    assert!(decide(&admin, Action::ReviewVignettes, &Resource::Panel(&member)).is_err());
}
