use cocare_core::{AccountId, Actor, ConsentId, Grant, OrganisationId, PersonId, Role, TeamId};
use cocare_policy::{Action, Resource, decide};
use cocare_store::{Backend, NewAccount, NewConsent, NewPerson, PersonKind, StoreError, Table};
use cocare_testkit::{TestDb, backends};

fn person(id: PersonId, org: OrganisationId, team: Option<TeamId>, kind: PersonKind, given: &str) -> NewPerson {
    NewPerson {
        id,
        organisation_id: org,
        team_id: team,
        kind,
        given_name: given.into(),
        family_name: "Émile-Ñúñez".into(),
        date_of_birth: "1980-04-01".into(),
        gender: "Woman".into(),
        ethnicity: "White other".into(),
        preferred_language: "Welsh".into(),
    }
}

#[tokio::test]
async fn every_store_operation_works_the_same_on_each_backend() {
    for backend in backends().await {
        story(backend).await;
    }
}

async fn story(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    assert_eq!(store.backend(), backend);
    assert_eq!(
        store.migrate().await.unwrap(),
        0,
        "{backend:?}: a second migrate applies nothing"
    );
    store.ping().await.unwrap();

    let system = Actor::system("test");
    let permit = decide(&system, Action::RecordPerson, &Resource::Own).unwrap();
    let org = OrganisationId::new();
    let team = TeamId::new();
    let su = PersonId::new();
    let carer = PersonId::new();
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_organisation(org, "Test Trust").await.unwrap();
    tx.insert_team(team, org, "North").await.unwrap();
    tx.insert_person(&permit, &person(su, org, Some(team), PersonKind::ServiceUser, "Zoë"))
        .await
        .unwrap();
    tx.insert_person(&permit, &person(carer, org, None, PersonKind::Carer, "Ana"))
        .await
        .unwrap();
    tx.insert_carer_link(&permit, carer, su, "Sister").await.unwrap();
    let account = AccountId::new();
    tx.insert_account(&NewAccount {
        id: account,
        username: "zoe".into(),
        display_name: "Zoë".into(),
        password_hash: "$argon2id$not-a-real-hash".into(),
        person_id: Some(su),
    })
    .await
    .unwrap();
    tx.insert_grant(
        account,
        &Grant {
            role: Role::ServiceUser,
            organisation: org,
            team: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // Duplicates are conflicts, named, and leave nothing behind.
    let mut tx = store.begin_write().await.unwrap();
    let err = tx
        .insert_organisation(OrganisationId::new(), "Test Trust")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{backend:?}: {err}");
    drop(tx);
    assert_eq!(store.count(Table::Organisations).await.unwrap(), 1);

    // Reads of non-personal data.
    assert_eq!(store.organisations().await.unwrap()[0].name, "Test Trust");
    assert_eq!(store.teams(org).await.unwrap()[0].id, team);
    let row = store.account_by_username("zoe").await.unwrap().unwrap();
    assert_eq!((row.id, row.person_id, row.disabled), (account, Some(su), false));
    assert_eq!(
        store.grants(account).await.unwrap(),
        vec![Grant {
            role: Role::ServiceUser,
            organisation: org,
            team: None
        }]
    );
    let accounts = store.accounts_in(org).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].grants[0].organisation, "Test Trust");

    // Consent drives the policy facts, and withdrawal takes effect at once.
    let scope = store.person_scope(su).await.unwrap().unwrap();
    assert_eq!((scope.organisation, scope.team), (org, Some(team)));
    assert!(scope.consenting_to_carers.is_empty());
    let consent_permit = decide(&system, Action::RecordConsent, &Resource::Own).unwrap();
    let consent = ConsentId::new();
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_consent(
        &consent_permit,
        &NewConsent {
            id: consent,
            person_id: su,
            recipient: "carer".into(),
            recipient_person_id: Some(carer),
            purpose: "care_planning".into(),
            scope: "goals crisis_plan".into(),
            note: "Ana can see my crisis plan 🙂".into(),
            recorded_by: "test".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.person_scope(su).await.unwrap().unwrap().consenting_to_carers,
        vec![carer]
    );
    let mut tx = store.begin_write().await.unwrap();
    assert_eq!(tx.people_sharing_with(carer).await.unwrap(), vec![su]);
    let wrong = tx.read_person(&permit, su).await.unwrap_err();
    assert!(
        matches!(wrong, StoreError::WrongPermit { .. }),
        "a permit to record is not a permit to read"
    );
    let read_permit = decide(&system, Action::ReadPerson, &Resource::Own).unwrap();
    let read = tx.read_person(&read_permit, su).await.unwrap().unwrap();
    assert_eq!(
        (read.given_name.as_str(), read.family_name.as_str()),
        ("Zoë", "Émile-Ñúñez")
    );
    assert_eq!(read.team_name.as_deref(), Some("North"));
    let consents = tx.consents_of(&consent_permit, su).await.unwrap();
    assert_eq!(consents[0].note, "Ana can see my crisis plan 🙂");
    assert_eq!(consents[0].recipient_name.as_deref(), Some("Ana Émile-Ñúñez"));
    assert!(tx.withdraw_consent(&consent_permit, su, consent, "test").await.unwrap());
    assert!(
        !tx.withdraw_consent(&consent_permit, su, consent, "test").await.unwrap(),
        "withdrawing twice does nothing"
    );
    tx.commit().await.unwrap();
    assert!(
        store
            .person_scope(su)
            .await
            .unwrap()
            .unwrap()
            .consenting_to_carers
            .is_empty()
    );

    // A transaction dropped without commit leaves neither its write nor its audit row.
    let audit_before = store.count(Table::AuditLog).await.unwrap();
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_person(
        &permit,
        &person(PersonId::new(), org, Some(team), PersonKind::ServiceUser, "Ghost"),
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(store.count(Table::People).await.unwrap(), 2);
    assert_eq!(store.count(Table::AuditLog).await.unwrap(), audit_before);

    // Sessions and login failures.
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_session("hash-1", account, "csrf-1", "2099-01-01T00:00:00.000000Z")
        .await
        .unwrap();
    tx.insert_session("hash-2", account, "csrf-2", "2000-01-01T00:00:00.000000Z")
        .await
        .unwrap();
    assert_eq!(
        tx.delete_expired_sessions("2026-01-01T00:00:00.000000Z").await.unwrap(),
        1
    );
    for expected in 1..=3 {
        let attempt = tx
            .count_login_attempt("user:zoe", "2026-01-01T00:00:00.000000Z", "2025-12-31T23:45:00.000000Z")
            .await
            .unwrap();
        assert_eq!(
            attempt.failures, expected,
            "{backend:?}: attempts are counted one by one"
        );
    }
    // Past the window, counting starts again.
    let fresh = tx
        .count_login_attempt("user:zoe", "2026-01-02T00:00:00.000000Z", "2026-01-01T23:45:00.000000Z")
        .await
        .unwrap();
    assert_eq!(fresh.failures, 1);
    tx.count_login_attempt("user:zoe", "2026-01-02T00:00:01.000000Z", "2026-01-01T23:45:01.000000Z")
        .await
        .unwrap();
    tx.count_login_attempt("user:zoe", "2026-01-02T00:00:02.000000Z", "2026-01-01T23:45:02.000000Z")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.session("hash-1").await.unwrap().unwrap().csrf_token, "csrf-1");
    assert!(store.session("hash-2").await.unwrap().is_none());
    assert_eq!(store.login_failure("user:zoe").await.unwrap().unwrap().failures, 3);

    // Disabling ends sessions; a new password hash ends them too.
    let mut tx = store.begin_write().await.unwrap();
    assert!(tx.set_account_disabled(account, true).await.unwrap());
    assert!(!tx.set_account_disabled(AccountId::new(), true).await.unwrap());
    tx.commit().await.unwrap();
    assert!(store.session("hash-1").await.unwrap().is_none());
    assert!(store.account(account).await.unwrap().unwrap().disabled);

    // Every write of personal data above left its audit row, and the chain holds.
    match store.verify_audit().await.unwrap() {
        cocare_store::AuditVerdict::Intact { entries, .. } => assert_eq!(entries, audit_before),
        broken => panic!("{backend:?}: {broken:?}"),
    }
    store.close().await;
}

#[tokio::test]
async fn a_stopped_database_is_reported_as_unreachable() {
    let url = cocare_store::DatabaseUrl::parse("postgres://nobody@127.0.0.1:1/nothing").unwrap();
    match cocare_store::Store::connect(&url).await {
        Err(StoreError::Unreachable(message)) => assert!(message.contains("127.0.0.1:1"), "{message}"),
        Err(other) => panic!("expected unreachable, got {other}"),
        Ok(_) => panic!("connected to nothing"),
    }
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut names: Vec<String> = std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
