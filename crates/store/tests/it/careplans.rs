use cocare_careplan::dialog::DialogRating;
use cocare_careplan::{Attribution, CarePlan, DialogItem, PlanStatus, Rating, SectionKind, Stance, Voice};
use cocare_core::{Actor, OrganisationId, PersonId, Role, TeamId, parse_timestamp};
use cocare_policy::{Action, Resource, decide};
use cocare_store::{NewPerson, PersonKind, Store};
use cocare_testkit::{TestDb, backends};

fn by(role: Role) -> Attribution {
    Attribution {
        author: format!("A {role}"),
        role,
        at: parse_timestamp("2026-11-24T10:00:00.123456Z").unwrap(),
    }
}

async fn person(store: &Store) -> PersonId {
    let system = Actor::system("test");
    let permit = decide(&system, Action::RecordPerson, &Resource::Own).unwrap();
    let (org, team, id) = (OrganisationId::new(), TeamId::new(), PersonId::new());
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_organisation(org, "Plan Trust").await.unwrap();
    tx.insert_team(team, org, "North").await.unwrap();
    tx.insert_person(
        &permit,
        &NewPerson {
            id,
            organisation_id: org,
            team_id: Some(team),
            kind: PersonKind::ServiceUser,
            given_name: "Ana".into(),
            family_name: "Roe".into(),
            date_of_birth: "1990-01-01".into(),
            gender: "Woman".into(),
            ethnicity: "White other".into(),
            preferred_language: "English".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn a_plan_round_trips_through_the_store_version_by_version() {
    let system = Actor::system("test");
    let permit = |action| decide(&system, action, &Resource::Own).unwrap();
    for backend in backends().await {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let ana = person(&store).await;

        let mut plan = CarePlan::new();
        plan.contribute(SectionKind::AboutMe, "I paint. Ñandú 🎨", by(Role::ServiceUser), 0)
            .unwrap();
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_care_plan(&permit(Action::WriteCarePlan), ana, &plan, Some("2027-05-01"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let stored = tx
            .care_plan(&permit(Action::ReadCarePlan), ana, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.plan, plan, "{backend:?}");
        assert_eq!(stored.review_due.as_deref(), Some("2027-05-01"));
        let mut after = stored.plan.clone();
        after
            .contribute(SectionKind::AboutMe, "Quiet, artistic.", by(Role::Clinician), 1)
            .unwrap();
        let goal = after.add_goal("Sell a painting", by(Role::ServiceUser)).unwrap();
        after
            .add_action(goal, "Find a local market", "Me and Sam", "2027-02-01")
            .unwrap();
        after
            .agree(
                SectionKind::AboutMe,
                Stance::Disagree {
                    reason: "Not quiet!".into(),
                },
                by(Role::ServiceUser),
            )
            .unwrap();
        after
            .agree(SectionKind::Goals, Stance::Agree, by(Role::ServiceUser))
            .unwrap();
        after.finalise(by(Role::Clinician)).unwrap();
        tx.save_care_plan(&permit(Action::FinaliseCarePlan), &stored, &after)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let reloaded = tx
            .care_plan(&permit(Action::ReadCarePlan), ana, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            reloaded.plan, after,
            "{backend:?}: everything written comes back as written"
        );
        assert_eq!(
            reloaded
                .plan
                .text(SectionKind::AboutMe, Voice::ServiceUser)
                .unwrap()
                .text,
            "I paint. Ñandú 🎨"
        );
        tx.record_copy_given(&permit(Action::RecordCopyGiven), &reloaded, "print", "A clinician")
            .await
            .unwrap();

        // A review: version 2 starts as a copy, version 1 is superseded.
        let mut old = reloaded.plan.clone();
        let next = old.start_review();
        tx.insert_care_plan(&permit(Action::FinaliseCarePlan), ana, &next, None)
            .await
            .unwrap();
        tx.supersede_care_plan(&permit(Action::FinaliseCarePlan), &reloaded)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let versions = tx.care_plan_versions(&permit(Action::ReadCarePlan), ana).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| (v.version, v.status)).collect::<Vec<_>>(),
            vec![(2, PlanStatus::UnderReview), (1, PlanStatus::Superseded)]
        );
        let first = tx
            .care_plan(&permit(Action::ReadCarePlan), ana, Some(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.copies.len(), 1);
        assert_eq!(first.copies[0].format, "print");
        let current = tx
            .care_plan(&permit(Action::ReadCarePlan), ana, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(current.plan.version, 2);
        assert_eq!(current.plan.goals[0].actions[0].who, "Me and Sam");

        // Saving from a stale copy (someone else saved first) is refused, not merged.
        let mut stale = current.plan.clone();
        stale
            .contribute(SectionKind::Strengths, "Patience", by(Role::ServiceUser), 0)
            .unwrap();
        let mut other = current.plan.clone();
        other
            .contribute(SectionKind::Strengths, "Humour", by(Role::Clinician), 0)
            .unwrap();
        tx.save_care_plan(&permit(Action::WriteCarePlan), &current, &other)
            .await
            .unwrap();
        let err = tx
            .save_care_plan(&permit(Action::WriteCarePlan), &current, &stale)
            .await
            .unwrap_err();
        assert!(
            matches!(err, cocare_store::StoreError::Conflict(_)),
            "{backend:?}: {err}"
        );
        drop(tx);

        // DIALOG ratings, grouped by when they were taken.
        let mut tx = store.begin_write().await.unwrap();
        let rating = |item, value, help| DialogRating {
            item,
            rating: Rating::new(value).unwrap(),
            wants_more_help: help,
        };
        tx.insert_dialog(
            &permit(Action::WriteCarePlan),
            ana,
            "2026-01-01T00:00:00.000000Z",
            &[rating(DialogItem::MentalHealth, 2, true)],
            "x",
        )
        .await
        .unwrap();
        tx.insert_dialog(
            &permit(Action::WriteCarePlan),
            ana,
            "2026-06-01T00:00:00.000000Z",
            &[
                rating(DialogItem::MentalHealth, 5, false),
                rating(DialogItem::Medication, 6, false),
            ],
            "x",
        )
        .await
        .unwrap();
        let history = tx.dialog_history(&permit(Action::ReadCarePlan), ana).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].ratings.len(), 2);
        assert!(history[0].ratings[0].wants_more_help);
    }
}

#[tokio::test]
async fn backups_cover_every_table_in_the_schema() {
    let db = TestDb::new(cocare_store::Backend::Sqlite).await;
    let store = db.store().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations' AND name NOT LIKE 'qual_source_fts%' ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut listed: Vec<String> = cocare_store::RESTORE_ORDER.iter().map(|t| (*t).to_owned()).collect();
    listed.sort();
    assert_eq!(
        tables, listed,
        "a table missing from RESTORE_ORDER would be lost by backup"
    );
}
