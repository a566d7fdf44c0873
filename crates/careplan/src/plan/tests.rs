use cocare_core::{Role, parse_timestamp};

use super::*;

fn by(role: Role) -> Attribution {
    Attribution {
        author: format!("{role}"),
        role,
        at: parse_timestamp("2026-11-24T10:00:00Z").unwrap(),
    }
}

fn written_plan() -> CarePlan {
    let mut plan = CarePlan::new();
    plan.contribute(
        SectionKind::AboutMe,
        "I love gardening and my dog.",
        by(Role::ServiceUser),
        0,
    )
    .unwrap();
    plan.contribute(
        SectionKind::AboutMe,
        "Engages well; low mood since spring.",
        by(Role::Clinician),
        1,
    )
    .unwrap();
    plan.contribute(
        SectionKind::EarlyWarningSigns,
        "I stop answering the phone.",
        by(Role::ServiceUser),
        0,
    )
    .unwrap();
    plan
}

#[test]
fn the_service_users_words_stay_beside_the_clinical_wording() {
    let plan = written_plan();
    assert_eq!(
        plan.text(SectionKind::AboutMe, Voice::ServiceUser).unwrap().text,
        "I love gardening and my dog."
    );
    assert_eq!(
        plan.text(SectionKind::AboutMe, Voice::Clinical).unwrap().text,
        "Engages well; low mood since spring."
    );
    assert_eq!(
        plan.text(SectionKind::AboutMe, Voice::Clinical).unwrap().by.role,
        Role::Clinician
    );
}

#[test]
fn a_second_editor_of_the_same_section_is_told_and_keeps_their_words() {
    let mut plan = written_plan();
    let revision = plan.revision(SectionKind::EarlyWarningSigns);
    plan.contribute(
        SectionKind::EarlyWarningSigns,
        "I stop sleeping.",
        by(Role::ServiceUser),
        revision,
    )
    .unwrap();
    // The clinician started from the old revision.
    let err = plan
        .contribute(
            SectionKind::EarlyWarningSigns,
            "Withdraws socially.",
            by(Role::Clinician),
            revision,
        )
        .unwrap_err();
    assert!(matches!(err, PlanError::Conflict { .. }));
    assert_eq!(
        plan.text(SectionKind::EarlyWarningSigns, Voice::ServiceUser)
            .unwrap()
            .text,
        "I stop sleeping."
    );
}

#[test]
fn only_the_carer_writes_the_carer_sections_and_nobody_writes_nothing() {
    let mut plan = CarePlan::new();
    assert_eq!(
        plan.contribute(SectionKind::CarerNeeds, "A break", by(Role::Clinician), 0),
        Err(PlanError::CarerSectionOnly)
    );
    assert_eq!(
        plan.contribute(SectionKind::AboutMe, "   ", by(Role::ServiceUser), 0),
        Err(PlanError::Empty)
    );
    assert!(
        plan.contribute(SectionKind::CarerNeeds, "A night off each week.", by(Role::Carer), 0)
            .is_ok()
    );
    assert!(plan.contribute(SectionKind::AboutMe, "x", by(Role::Admin), 1).is_err());
}

#[test]
fn a_plan_cannot_be_finalised_until_the_service_user_has_a_stance_on_every_section() {
    let mut plan = written_plan();
    match plan.finalise(by(Role::Clinician)) {
        Err(PlanError::NotAgreed(waiting)) => {
            assert_eq!(waiting, vec![SectionKind::AboutMe, SectionKind::EarlyWarningSigns])
        }
        other => panic!("{other:?}"),
    }
    plan.agree(SectionKind::AboutMe, Stance::Agree, by(Role::ServiceUser))
        .unwrap();
    assert_eq!(
        plan.agree(
            SectionKind::EarlyWarningSigns,
            Stance::Disagree { reason: " ".into() },
            by(Role::ServiceUser)
        ),
        Err(PlanError::DisagreementWithoutReason)
    );
    plan.agree(
        SectionKind::EarlyWarningSigns,
        Stance::Disagree {
            reason: "It leaves out that I go quiet first.".into(),
        },
        by(Role::ServiceUser),
    )
    .unwrap();
    assert_eq!(plan.finalise(by(Role::ServiceUser)), Err(PlanError::NotCoordinator));
    plan.finalise(by(Role::Clinician)).unwrap();
    assert_eq!(plan.status, PlanStatus::Agreed);
    assert!(matches!(
        plan.contribute(SectionKind::AboutMe, "more", by(Role::ServiceUser), 2),
        Err(PlanError::NotEditable(PlanStatus::Agreed))
    ));
}

#[test]
fn changing_a_section_after_agreement_asks_for_agreement_again() {
    let mut plan = written_plan();
    plan.agree(SectionKind::AboutMe, Stance::Agree, by(Role::ServiceUser))
        .unwrap();
    assert_eq!(
        plan.stance(SectionKind::AboutMe, Party::ServiceUser),
        Some(&Stance::Agree)
    );
    let revision = plan.revision(SectionKind::AboutMe);
    plan.contribute(
        SectionKind::AboutMe,
        "Also: dog walking.",
        by(Role::Clinician),
        revision,
    )
    .unwrap();
    assert_eq!(plan.stance(SectionKind::AboutMe, Party::ServiceUser), None);
}

#[test]
fn goals_need_words_and_actions_attach_to_existing_goals() {
    let mut plan = CarePlan::new();
    assert_eq!(plan.add_goal("", by(Role::ServiceUser)), Err(PlanError::Empty));
    let goal = plan
        .add_goal("Get back to the allotment", by(Role::ServiceUser))
        .unwrap();
    plan.add_action(goal, "Ask about a half plot", "Me", "2027-01-15")
        .unwrap();
    assert_eq!(plan.add_action(5, "x", "y", ""), Err(PlanError::NoSuchGoal(5)));
    assert!(
        plan.as_text()
            .contains("Goal 1: Get back to the allotment\n  - Ask about a half plot (who: Me, by: 2027-01-15)")
    );
}

#[test]
fn a_review_supersedes_the_old_version_and_starts_a_new_one() {
    let mut plan = written_plan();
    plan.agree(SectionKind::AboutMe, Stance::Agree, by(Role::ServiceUser))
        .unwrap();
    plan.agree(SectionKind::EarlyWarningSigns, Stance::Agree, by(Role::ServiceUser))
        .unwrap();
    plan.finalise(by(Role::Clinician)).unwrap();
    let next = plan.start_review();
    assert_eq!(
        (plan.status, next.status, next.version),
        (PlanStatus::Superseded, PlanStatus::UnderReview, 2)
    );
    assert!(next.agreements.is_empty(), "every section is agreed afresh");
    assert_eq!(
        next.text(SectionKind::AboutMe, Voice::ServiceUser),
        plan.text(SectionKind::AboutMe, Voice::ServiceUser)
    );
}
