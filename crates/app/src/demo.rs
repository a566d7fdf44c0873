//! A synthetic demo organisation, deterministic from a seed. Every person in it is invented:
//! names are drawn at random from lists of common given and family names, and dates of birth,
//! genders and ethnicities are drawn from spreads, so no record describes a real individual.

use cocare_careplan::dialog::DialogRating;
use cocare_careplan::{Attribution, CarePlan, DialogItem, Rating, SectionKind, Stance};
use cocare_core::{AccountId, Actor, ConsentId, Grant, OrganisationId, PersonId, Role, SharedPart, TeamId};
use cocare_policy::{Action, Resource, decide};
use cocare_store::{NewAccount, NewConsent, NewPerson, PersonKind, StoredPlan, Table};
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use secrecy::SecretString;
use serde::Serialize;

use crate::secret::hash_password;
use crate::{App, AppError};

/// The password of every demo account. Demo data is synthetic; never use it for real people.
pub const DEMO_PASSWORD: &str = "cocare-demo-2026";

pub const DEMO_ORGANISATION: &str = "Northbrook Community Mental Health Service (synthetic)";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub organisation: String,
    pub teams: usize,
    pub service_users: usize,
    pub carers: usize,
    pub logins: Vec<DemoLogin>,
    /// False when the demo organisation already existed and nothing was written.
    pub created: bool,
}

const GIVEN: [&str; 40] = [
    "Amira", "Ben", "Chloe", "Dev", "Efua", "Finn", "Grace", "Hamza", "Isla", "Jamal", "Kiran", "Leah", "Mateusz",
    "Nia", "Oscar", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zara", "Aled",
    "Bronwen", "Callum", "Dolores", "Eilidh", "Femi", "Gareth", "Hui", "Ioana", "Jonah", "Kwame", "Lowri", "Maya",
    "Nadia", "Owen",
];
const FAMILY: [&str; 32] = [
    "Adeyemi",
    "Baker",
    "Chowdhury",
    "Davies",
    "Evans",
    "Fletcher",
    "Ghosh",
    "Hughes",
    "Ibrahim",
    "Jones",
    "Kowalski",
    "Lewis",
    "Mensah",
    "Nowak",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Thomas",
    "Usman",
    "Vaughan",
    "Walker",
    "Xu",
    "Yilmaz",
    "Zielinski",
    "Begum",
    "Campbell",
    "Doherty",
    "Ellis",
    "Farah",
    "Griffiths",
];
const GENDERS: [&str; 5] = ["Woman", "Man", "Woman", "Man", "Non-binary"];
const ETHNICITIES: [&str; 9] = [
    "White British",
    "White Irish",
    "White other",
    "Black Caribbean",
    "Black African",
    "Indian",
    "Pakistani",
    "Mixed White and Black Caribbean",
    "Chinese",
];
const LANGUAGES: [&str; 6] = ["English", "English", "English", "Welsh", "Polish", "Urdu"];
const RELATIONSHIPS: [&str; 5] = ["Mother", "Partner", "Brother", "Daughter", "Friend"];
const TEAMS: [&str; 3] = [
    "North Community Team",
    "South Community Team",
    "Crisis and Home Treatment Team",
];

fn id_from(rng: &mut ChaCha8Rng) -> u128 {
    rng.random::<u128>()
}

fn draw<'a>(rng: &mut ChaCha8Rng, from: &'a [&'a str]) -> &'a str {
    from.choose(rng).copied().unwrap_or_default()
}

impl App {
    /// Seeds the demo organisation. Running it twice leaves the first one as it was.
    pub async fn seed_demo(&self, seed: u64, progress: &dyn Fn(&str)) -> Result<DemoSummary, AppError> {
        let system = Actor::system("demo");
        let logins = demo_logins();
        if self.store.organisation_by_name(DEMO_ORGANISATION).await?.is_some() {
            return Ok(DemoSummary {
                organisation: DEMO_ORGANISATION.into(),
                teams: TEAMS.len(),
                service_users: usize::try_from(self.store.count(Table::People).await?).unwrap_or(0),
                carers: 0,
                logins,
                created: false,
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        progress("hashing the demo password");
        let password_hash = hash_password(SecretString::from(DEMO_PASSWORD)).await?;
        let permit = decide(&system, Action::RecordPerson, &Resource::Own).map_err(AppError::from)?;
        let consent_permit = decide(&system, Action::RecordConsent, &Resource::Own).map_err(AppError::from)?;
        let admin_permit = decide(&system, Action::ManageAccounts, &Resource::Own).map_err(AppError::from)?;

        let mut tx = self.store.begin_write().await?;
        let organisation = OrganisationId::from_u128(id_from(&mut rng));
        tx.insert_organisation(organisation, DEMO_ORGANISATION).await?;
        let teams: Vec<TeamId> = TEAMS.iter().map(|_| TeamId::from_u128(id_from(&mut rng))).collect();
        for (team, name) in teams.iter().zip(TEAMS) {
            tx.insert_team(*team, organisation, name).await?;
        }
        tx.audit_permit(&admin_permit, &format!("organisation:{organisation}"))
            .await?;

        progress("creating synthetic service users and carers");
        let service_user_count = 36;
        let mut service_users = Vec::new();
        for index in 0..service_user_count {
            let team = teams.get(index % teams.len()).copied();
            let person = NewPerson {
                id: PersonId::from_u128(id_from(&mut rng)),
                organisation_id: organisation,
                team_id: team,
                kind: PersonKind::ServiceUser,
                given_name: if index == 0 {
                    "Sam".into()
                } else {
                    draw(&mut rng, &GIVEN).into()
                },
                family_name: draw(&mut rng, &FAMILY).into(),
                date_of_birth: format!(
                    "{}-{:02}-{:02}",
                    rng.random_range(1950..2006),
                    rng.random_range(1..13),
                    rng.random_range(1..29)
                ),
                gender: draw(&mut rng, &GENDERS).into(),
                ethnicity: draw(&mut rng, &ETHNICITIES).into(),
                preferred_language: draw(&mut rng, &LANGUAGES).into(),
            };
            tx.insert_person(&permit, &person).await?;
            service_users.push(person);
        }
        let mut carers = Vec::new();
        for (index, cared_for) in service_users.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
            let carer = NewPerson {
                id: PersonId::from_u128(id_from(&mut rng)),
                organisation_id: organisation,
                team_id: None,
                kind: PersonKind::Carer,
                given_name: if index == 0 {
                    "Casey".into()
                } else {
                    draw(&mut rng, &GIVEN).into()
                },
                family_name: if rng.random_bool(0.7) {
                    cared_for.family_name.clone()
                } else {
                    draw(&mut rng, &FAMILY).into()
                },
                date_of_birth: format!(
                    "{}-{:02}-{:02}",
                    rng.random_range(1940..2000),
                    rng.random_range(1..13),
                    rng.random_range(1..29)
                ),
                gender: draw(&mut rng, &GENDERS).into(),
                ethnicity: cared_for.ethnicity.clone(),
                preferred_language: cared_for.preferred_language.clone(),
            };
            tx.insert_person(&permit, &carer).await?;
            tx.insert_carer_link(&permit, carer.id, cared_for.id, draw(&mut rng, &RELATIONSHIPS))
                .await?;
            // Two in three service users with a carer have chosen to share something with them.
            if index % 9 != 6 {
                let parts: Vec<SharedPart> = SharedPart::FOR_CARERS
                    .iter()
                    .copied()
                    .filter(|_| rng.random_bool(0.6))
                    .collect();
                let parts = if parts.is_empty() {
                    vec![SharedPart::CrisisPlan]
                } else {
                    parts
                };
                tx.insert_consent(
                    &consent_permit,
                    &NewConsent {
                        id: ConsentId::from_u128(id_from(&mut rng)),
                        person_id: cared_for.id,
                        recipient: "carer".into(),
                        recipient_person_id: Some(carer.id),
                        purpose: "care_planning".into(),
                        scope: SharedPart::scope_text(&parts),
                        note: String::new(),
                        recorded_by: "Demo data".into(),
                    },
                )
                .await?;
            }
            carers.push((carer, cared_for.id));
        }

        progress("creating the demo accounts");
        let first_user = service_users
            .first()
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no demo people")))?;
        let (first_carer, _) = carers
            .first()
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no demo carers")))?;
        let north = teams.first().copied();
        let south = teams.get(1).copied();
        for login in &logins {
            let (team, person) = match login.username.as_str() {
                "sam" => (None, Some(first_user.id)),
                "casey" => (None, Some(first_carer.id)),
                "alex" | "jordan" => (north, None),
                "taylor" => (south, None),
                _ => (None, None),
            };
            let account = AccountId::from_u128(id_from(&mut rng));
            tx.insert_account(&NewAccount {
                id: account,
                username: login.username.clone(),
                display_name: login.display_name.clone(),
                password_hash: password_hash.clone(),
                person_id: person,
            })
            .await?;
            tx.insert_grant(
                account,
                &Grant {
                    role: login.role,
                    organisation,
                    team,
                },
            )
            .await?;
            tx.audit_permit(&admin_permit, &format!("account:{account}")).await?;
        }
        progress("writing care plans with the service users");
        let plans = PlanPermits::new(&system)?;
        let sam_carer = carers
            .first()
            .map(|(c, _)| format!("{} {}", c.given_name, c.family_name))
            .unwrap_or_default();
        sam_plans(&mut tx, &plans, first_user.id, &sam_carer).await?;
        for (index, person) in service_users.iter().enumerate().skip(1) {
            other_plan(&mut tx, &plans, person, index).await?;
        }
        tx.commit().await?;
        progress("done");
        Ok(DemoSummary {
            organisation: DEMO_ORGANISATION.into(),
            teams: teams.len(),
            service_users: service_users.len(),
            carers: carers.len(),
            logins,
            created: true,
        })
    }
}

fn demo_logins() -> Vec<DemoLogin> {
    [
        ("sam", Role::ServiceUser, "Sam"),
        ("casey", Role::Carer, "Casey"),
        ("alex", Role::Clinician, "Alex Morgan"),
        ("taylor", Role::Clinician, "Taylor Reid"),
        ("jordan", Role::TeamLead, "Jordan Blake"),
        ("riley", Role::Researcher, "Riley Chen"),
        ("morgan", Role::EngagementLead, "Morgan Ade"),
        ("kim", Role::Commissioner, "Kim Osei"),
        ("admin", Role::Admin, "Demo administrator"),
    ]
    .into_iter()
    .map(|(username, role, display_name)| DemoLogin {
        username: username.into(),
        role,
        display_name: display_name.into(),
    })
    .collect()
}

/// System permits for writing the demo plans.
struct PlanPermits {
    write: cocare_policy::Permit,
    finalise: cocare_policy::Permit,
    copy: cocare_policy::Permit,
}

impl PlanPermits {
    fn new(system: &Actor) -> Result<PlanPermits, AppError> {
        Ok(PlanPermits {
            write: decide(system, Action::WriteCarePlan, &Resource::Own)?,
            finalise: decide(system, Action::FinaliseCarePlan, &Resource::Own)?,
            copy: decide(system, Action::RecordCopyGiven, &Resource::Own)?,
        })
    }
}

fn at(day: &str) -> cocare_core::Timestamp {
    cocare_core::parse_timestamp(&format!("{day}T10:00:00Z")).unwrap_or_default()
}

fn by(author: &str, role: Role, day: &str) -> Attribution {
    Attribution {
        author: author.to_owned(),
        role,
        at: at(day),
    }
}

fn demo_err(err: cocare_careplan::PlanError) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("demo plan: {err}"))
}

/// Stores a whole version as written, with its sign-off, and optionally a copy given.
async fn store_version(
    tx: &mut cocare_store::WriteTxn,
    permits: &PlanPermits,
    person: PersonId,
    plan: &CarePlan,
    review_due: Option<&str>,
    copy: Option<&str>,
) -> Result<StoredPlan, AppError> {
    let id = tx.insert_care_plan(&permits.finalise, person, plan, review_due).await?;
    let stored = StoredPlan {
        id,
        person,
        plan: CarePlan {
            finalised: None,
            ..plan.clone()
        },
        review_due: review_due.map(str::to_owned),
        copies: Vec::new(),
    };
    if plan.finalised.is_some() {
        tx.save_care_plan(&permits.finalise, &stored, plan).await?;
    }
    if let Some(format) = copy {
        tx.record_copy_given(&permits.copy, &stored, format, "Alex Morgan (clinician)")
            .await?;
    }
    Ok(stored)
}

/// Sam's plan: a first version agreed and given, then a review under way with a disagreement
/// and the carer's view, and three rounds of life-domain ratings.
async fn sam_plans(
    tx: &mut cocare_store::WriteTxn,
    permits: &PlanPermits,
    sam: PersonId,
    carer: &str,
) -> Result<(), AppError> {
    use SectionKind::*;
    let me = |day| by("Sam", Role::ServiceUser, day);
    let alex = |day| by("Alex Morgan", Role::Clinician, day);
    let mut plan = CarePlan::new();
    let write = |plan: &mut CarePlan, section, text: &str, who: Attribution| {
        let revision = plan.revision(section);
        plan.contribute(section, text, who, revision).map_err(demo_err)
    };
    write(
        &mut plan,
        AboutMe,
        "I'm Sam. I like fixing bikes and cooking for my brother. Mornings are hard.",
        me("2025-06-01"),
    )?;
    write(
        &mut plan,
        AboutMe,
        "Recurrent depression; engages well when seen at home.",
        alex("2025-06-01"),
    )?;
    write(
        &mut plan,
        Strengths,
        "I'm patient and good with my hands.",
        me("2025-06-01"),
    )?;
    write(
        &mut plan,
        EarlyWarningSigns,
        "I stop answering the phone and stay in bed past noon.",
        me("2025-06-01"),
    )?;
    write(
        &mut plan,
        WhatHelps,
        "A walk with Casey. Someone checking in by text, not a call.",
        me("2025-06-01"),
    )?;
    write(
        &mut plan,
        WhoToContact,
        "Casey first. Then the North team duty line.",
        me("2025-06-01"),
    )?;
    let goal = plan
        .add_goal("Get back to the bike workshop two mornings a week", me("2025-06-01"))
        .map_err(demo_err)?;
    plan.add_action(goal, "Ask the workshop about a morning slot", "Sam", "2025-07-01")
        .map_err(demo_err)?;
    plan.add_action(goal, "Look at travel costs together", "Alex", "2025-06-20")
        .map_err(demo_err)?;
    for section in [AboutMe, Strengths, Goals, EarlyWarningSigns, WhatHelps, WhoToContact] {
        plan.agree(section, Stance::Agree, me("2025-06-08")).map_err(demo_err)?;
    }
    plan.finalise(alex("2025-06-08")).map_err(demo_err)?;
    let first = store_version(tx, permits, sam, &plan, Some("2025-12-08"), Some("print")).await?;
    let mut old = plan.clone();
    let mut review = old.start_review();
    write(
        &mut review,
        Strengths,
        "I'm patient and good with my hands. I kept going to the workshop.",
        me("2026-10-20"),
    )?;
    write(&mut review, WhatHelps, "Being told to calm down.", alex("2026-10-20"))?;
    write(
        &mut review,
        CarerView,
        "Sam does best with a routine. I worry about the winter.",
        by(carer, Role::Carer, "2026-10-21"),
    )?;
    write(
        &mut review,
        CarerNeeds,
        "One evening a week for myself.",
        by(carer, Role::Carer, "2026-10-21"),
    )?;
    review
        .agree(AboutMe, Stance::Agree, me("2026-10-22"))
        .map_err(demo_err)?;
    review
        .agree(
            WhatHelps,
            Stance::Disagree {
                reason: "Being told to calm down does NOT help. Please take it out.".into(),
            },
            me("2026-10-22"),
        )
        .map_err(demo_err)?;
    tx.supersede_care_plan(&permits.finalise, &first).await?;
    store_version(tx, permits, sam, &review, Some("2026-11-30"), None).await?;
    let rounds: [(&str, [i64; 11]); 3] = [
        ("2025-06-01", [2, 4, 2, 5, 2, 5, 3, 5, 4, 3, 5]),
        ("2025-12-08", [3, 4, 3, 5, 4, 5, 4, 5, 4, 4, 5]),
        ("2026-10-20", [4, 5, 4, 5, 5, 6, 4, 6, 5, 3, 6]),
    ];
    for (day, values) in rounds {
        let mut ratings = Vec::new();
        for (item, value) in DialogItem::ALL.iter().zip(values) {
            let rating =
                Rating::new(value).map_err(|err| AppError::Unexpected(anyhow::anyhow!("demo rating: {err}")))?;
            ratings.push(DialogRating {
                item: *item,
                rating,
                wants_more_help: value <= 3,
            });
        }
        tx.insert_dialog(&permits.write, sam, &format!("{day}T10:00:00.000000Z"), &ratings, "Sam")
            .await?;
    }
    Ok(())
}

/// Other service users: some with a draft in their own words, some agreed with a copy given,
/// some overdue for review, some with no plan yet.
async fn other_plan(
    tx: &mut cocare_store::WriteTxn,
    permits: &PlanPermits,
    person: &NewPerson,
    index: usize,
) -> Result<(), AppError> {
    let name = person.given_name.clone();
    let me = |day| by(&name, Role::ServiceUser, day);
    let coordinator = |day| by("Alex Morgan", Role::Clinician, day);
    let mut plan = CarePlan::new();
    match index % 4 {
        0 => return Ok(()),
        1 => {
            plan.contribute(
                SectionKind::AboutMe,
                "I want people to know I'm more than my diagnosis.",
                me("2026-09-01"),
                0,
            )
            .map_err(demo_err)?;
            store_version(tx, permits, person.id, &plan, Some("2026-12-15"), None).await?;
        }
        2 => {
            plan.contribute(SectionKind::AboutMe, "Music keeps me going.", me("2026-03-01"), 0)
                .map_err(demo_err)?;
            plan.contribute(
                SectionKind::WhoToContact,
                "My mum, then the crisis line.",
                me("2026-03-01"),
                0,
            )
            .map_err(demo_err)?;
            for section in [SectionKind::AboutMe, SectionKind::WhoToContact] {
                plan.agree(section, Stance::Agree, me("2026-03-05")).map_err(demo_err)?;
            }
            plan.finalise(coordinator("2026-03-05")).map_err(demo_err)?;
            store_version(tx, permits, person.id, &plan, Some("2026-09-05"), Some("pdf")).await?;
        }
        _ => {
            // Written about, not with, the person, and overdue for review: what the dashboard is for.
            plan.contribute(
                SectionKind::AboutMe,
                "Stable at the moment; prefers letters to calls.",
                coordinator("2025-11-01"),
                0,
            )
            .map_err(demo_err)?;
            store_version(tx, permits, person.id, &plan, Some("2026-05-01"), None).await?;
        }
    }
    Ok(())
}
