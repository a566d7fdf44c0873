//! The demo's engagement: a study stakeholder group, a year of activities with ratings,
//! proposals and payments, and two funding changes with contrasting engagement and outcomes
//! (a day service replaced by a crisis café after three co-design sessions, with A&E
//! attendances falling; an outreach budget cut with no engagement, with admissions rising).
//! Every name and figure is invented.

use cocare_core::{Actor, OrganisationId};
use cocare_policy::{Action, Resource, decide};
use cocare_store::{
    ActionRow, ActivityRow, AttendanceRow, FundingChangeRow, IndicatorRow, PaymentRow, ProposalRow, RatingRow,
    StakeholderRow,
};

use crate::{App, AppError};

const PEOPLE: [(&str, &str, &str); 12] = [
    ("Aled Morgan (synthetic)", "service_user", "Large print; afternoons"),
    (
        "Bronwen Ibrahim (synthetic)",
        "service_user",
        "Quiet room; breaks every 45 minutes",
    ),
    ("Callum Ghosh (synthetic)", "service_user", ""),
    ("Dolores Baker (synthetic)", "carer", "Needs to bring her son"),
    ("Efua Hughes (synthetic)", "carer", ""),
    ("Dr Femi Lewis (synthetic)", "clinician", ""),
    ("Gareth Chowdhury (synthetic)", "clinician", ""),
    ("Prof Hui Evans (synthetic)", "academic", ""),
    ("Northbrook Housing Association (synthetic)", "housing", ""),
    ("Ioana Davies (synthetic)", "health_economist", ""),
    ("Jonah Fletcher (synthetic)", "statistician", ""),
    ("Kwame Jones (synthetic)", "commissioner", ""),
];

fn id(name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("cocare:demo:engage:{name}").as_bytes(),
    )
    .to_string()
}

/// A monthly series from April 2023 for 36 months: a level and trend, a change at `change`
/// (month index) in level and slope, and small deterministic noise.
fn series(start: f64, slope: f64, change: usize, jump: f64, slope_change: f64, seed: u64) -> String {
    let mut out = String::from("date,value\n");
    let mut state = seed;
    for m in 0..36usize {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let noise = ((state >> 33) as f64 / f64::from(1u32 << 31) - 0.5) * start * 0.08;
        let after = m >= change;
        let t = m as f64;
        let v = start
            + slope * t
            + if after {
                jump + slope_change * (m - change) as f64
            } else {
                0.0
            }
            + noise;
        let (y, mo) = (2023 + (m + 3) / 12, (m + 3) % 12 + 1);
        out.push_str(&format!("{y}-{mo:02}-01,{:.1}\n", v.max(0.0)));
    }
    out
}

/// date, kind, title, purpose, the funding change it is about, who was invited, who came.
type DemoActivity<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a FundingChangeRow>,
    &'a [usize],
    &'a [usize],
);

impl App {
    /// Adds the demo's engagement (once) to the demo organisation.
    pub async fn seed_engage_demo(&self, organisation: OrganisationId) -> Result<bool, AppError> {
        let system = Actor::system("demo");
        let permit = decide(
            &system,
            Action::UseEngagementWorkspace,
            &Resource::Organisation(organisation),
        )?;
        let mut tx = self.store.begin_write().await?;
        if !tx.stakeholders(&permit, organisation).await?.is_empty() {
            return Ok(false);
        }
        let mut people = Vec::new();
        for (name, category, access) in PEOPLE {
            let row = StakeholderRow {
                id: id(name),
                name: name.into(),
                kind: if category == "housing" {
                    "organisation"
                } else {
                    "person"
                }
                .into(),
                category: category.into(),
                groups: "Study stakeholder group".into(),
                contact_preference: if category == "service_user" {
                    "Phone, then a letter"
                } else {
                    "Email"
                }
                .into(),
                accessibility_needs: access.into(),
                merged_into: None,
            };
            tx.save_stakeholder(&permit, organisation, &row).await?;
            people.push(row);
        }
        // A duplicate, as registers get them: offered for merging on the register page.
        tx.save_stakeholder(
            &permit,
            organisation,
            &StakeholderRow {
                id: id("duplicate"),
                name: "aled morgan (synthetic)".into(),
                kind: "person".into(),
                category: "service_user".into(),
                groups: String::new(),
                contact_preference: String::new(),
                accessibility_needs: String::new(),
                merged_into: None,
            },
        )
        .await?;
        let cafe = FundingChangeRow {
            id: id("funding:cafe"),
            programme: "Day service replaced by a crisis café (synthetic)".into(),
            kind: "reallocation".into(),
            amount_before_pence: 42_000_000,
            amount_after_pence: 31_000_000,
            effective_on: "2024-10-01".into(),
            context: "A day service with falling attendance; the money moved to an evening crisis café run with peer workers.".into(),
            mechanisms: "Three co-design sessions with service users and carers before the change; the opening hours changed because of what carers said.".into(),
            outcomes: "A&E attendances for mental health crises fell after the café opened.".into(),
        };
        let outreach = FundingChangeRow {
            id: id("funding:outreach"),
            programme: "Community outreach team budget (synthetic)".into(),
            kind: "cut".into(),
            amount_before_pence: 65_000_000,
            amount_after_pence: 48_000_000,
            effective_on: "2025-01-01".into(),
            context: "A cut to meet a savings target, announced in a letter.".into(),
            mechanisms: "No engagement before the change; service users heard of it from staff.".into(),
            outcomes: "Admissions rose after the cut.".into(),
        };
        for f in [&cafe, &outreach] {
            tx.save_funding_change(&permit, organisation, f).await?;
        }
        // Months from April 2023: the café from October 2024 (18), the cut from January 2025 (21).
        for (fc, name, kind, unit, better, csv) in [
            (
                &cafe,
                "A&E attendances for a mental health crisis",
                "system",
                "a month",
                false,
                series(62.0, 0.3, 18, -9.0, -0.6, 7),
            ),
            (
                &cafe,
                "Mean DIALOG rating of the service (service users)",
                "service_user",
                "1 to 7",
                true,
                series(4.1, 0.0, 18, 0.6, 0.02, 11),
            ),
            (
                &outreach,
                "Admissions to hospital",
                "system",
                "a month",
                false,
                series(21.0, 0.05, 21, 5.0, 0.4, 13),
            ),
        ] {
            tx.save_indicator(
                &permit,
                organisation,
                &IndicatorRow {
                    id: id(&format!("indicator:{name}")),
                    funding_change: fc.id.clone(),
                    name: name.into(),
                    kind: kind.into(),
                    unit: unit.into(),
                    higher_is_better: better,
                    series: csv,
                },
            )
            .await?;
        }
        // A year of activities: co-design before the café, then the stakeholder group.
        let activities: [DemoActivity<'_>; 8] = [
            (
                "2024-07-10",
                "co_design",
                "Co-design 1: what would help in the evenings",
                "Design what replaces the day service with the people who use it",
                Some(&cafe),
                &[0, 1, 2, 3, 4, 5, 6],
                &[0, 1, 3, 4, 5],
            ),
            (
                "2024-08-14",
                "co_design",
                "Co-design 2: the café's hours and staffing",
                "Agree the hours and who staffs the café",
                Some(&cafe),
                &[0, 1, 2, 3, 4, 5],
                &[0, 1, 2, 3, 5],
            ),
            (
                "2024-09-11",
                "workshop",
                "Co-design 3: the first month",
                "Plan the opening and how we will know it works",
                Some(&cafe),
                &[0, 1, 3, 4, 5, 9],
                &[0, 1, 3, 5, 9],
            ),
            (
                "2025-01-22",
                "meeting",
                "Stakeholder group: the outreach cut",
                "Hear what the outreach cut means for people",
                Some(&outreach),
                &[0, 1, 2, 3, 6, 11],
                &[3, 6, 11],
            ),
            (
                "2025-03-19",
                "meeting",
                "Stakeholder group: evidence from the records",
                "Read the cohort characterisation together",
                None,
                &[0, 1, 2, 3, 5, 7, 9, 10],
                &[0, 3, 5, 7, 9, 10],
            ),
            (
                "2025-06-18",
                "consultation",
                "Consultation: crisis pathway",
                "Agree what a good crisis pathway looks like",
                None,
                &[0, 1, 2, 3, 4, 5, 6, 8],
                &[0, 1, 3, 5, 6, 8],
            ),
            (
                "2025-09-17",
                "workshop",
                "Workshop: vignettes from the evidence",
                "Write cases from what the records and interviews showed",
                None,
                &[0, 1, 3, 5, 7, 10],
                &[0, 1, 3, 5, 7, 10],
            ),
            (
                "2025-11-12",
                "meeting",
                "Stakeholder group: a year on",
                "Look back at what changed",
                None,
                &[0, 1, 2, 3, 4, 5, 8, 11],
                &[0, 1, 3, 5, 8, 11],
            ),
        ];
        let ratings: [[i64; 3]; 8] = [
            [5, 4, 4],
            [5, 5, 4],
            [4, 4, 5],
            [2, 2, 2],
            [4, 3, 4],
            [4, 4, 4],
            [5, 4, 5],
            [4, 4, 4],
        ];
        for (k, (date, kind, title, purpose, fc, invited, came)) in activities.iter().enumerate() {
            let a = ActivityRow {
                id: id(&format!("activity:{k}")),
                kind: (*kind).into(),
                title: (*title).into(),
                purpose: (*purpose).into(),
                held_on: (*date).into(),
                minutes: String::new(),
                decisions: if k == 1 {
                    "The café will open 5pm to 11pm, Thursday to Sunday, with two peer workers a shift.".into()
                } else {
                    String::new()
                },
                funding_change: fc.map(|f| f.id.clone()),
            };
            let attendance: Vec<AttendanceRow> = invited
                .iter()
                .filter_map(|i| people.get(*i))
                .map(|s| AttendanceRow {
                    stakeholder: s.id.clone(),
                    invited: true,
                    attended: came.iter().any(|c| people.get(*c).is_some_and(|p| p.id == s.id)),
                })
                .collect();
            tx.save_activity(&permit, organisation, &a, &attendance).await?;
            let base = ratings.get(k).copied().unwrap_or([3, 3, 3]);
            for (j, c) in came.iter().enumerate() {
                let Some(s) = people.get(*c) else { continue };
                // Service users rate their own participation a little lower than clinicians do.
                let dip = i64::from(s.category == "service_user" && j % 2 == 0);
                tx.save_rating(
                    &permit,
                    &RatingRow {
                        activity: a.id.clone(),
                        stakeholder: s.id.clone(),
                        shared_purpose: base[0],
                        participation: (base[1] - dip).max(1),
                        dialogue: base[2],
                        comment: if k == 3 && j == 0 {
                            "We were told, not asked.".into()
                        } else {
                            String::new()
                        },
                    },
                )
                .await?;
            }
            for (j, c) in came.iter().enumerate() {
                let Some(s) = people.get(*c) else { continue };
                if matches!(s.category.as_str(), "service_user" | "carer") {
                    tx.save_payment(
                        &permit,
                        organisation,
                        &PaymentRow {
                            id: id(&format!("payment:{k}:{j}")),
                            stakeholder: s.id.clone(),
                            activity: Some(a.id.clone()),
                            paid_on: (*date).into(),
                            units: "hours".into(),
                            quantity_hundredths: 250,
                            rate_pence: 2_500,
                            expenses_pence: 640,
                            note: "Involvement payment and travel".into(),
                        },
                    )
                    .await?;
                }
            }
        }
        let proposals: [(usize, usize, &str, &str, &str); 6] = [
            (
                0,
                3,
                "Open in the evenings: that is when things go wrong at home.",
                "done",
                "The café opens 5pm to 11pm, Thursday to Sunday.",
            ),
            (
                1,
                0,
                "Have peer workers, people who have been there.",
                "done",
                "Two peer workers on every shift.",
            ),
            (2, 1, "Somewhere quiet to sit, away from the counter.", "accepted", ""),
            (3, 3, "Tell families before a service changes, not after.", "open", ""),
            (
                4,
                0,
                "Show us the numbers in plain words.",
                "done",
                "The records summary is now written for the group before each meeting.",
            ),
            (
                5,
                4,
                "A named person to ring in a crisis.",
                "declined",
                "Not funded this year; the crisis line now takes named call-backs instead.",
            ),
        ];
        for (k, (activity, by, text, status, response)) in proposals.iter().enumerate() {
            let p = ProposalRow {
                id: id(&format!("proposal:{k}")),
                activity: id(&format!("activity:{activity}")),
                raised_by: people.get(*by).map(|s| s.id.clone()),
                text: (*text).into(),
                status: (*status).into(),
                response: (*response).into(),
                ..ProposalRow::default()
            };
            tx.save_proposal(&permit, organisation, &p).await?;
        }
        tx.save_action(
            &permit,
            organisation,
            &ActionRow {
                id: id("action:quiet"),
                activity: id("activity:2"),
                proposal: Some(id("proposal:2")),
                text: "Screen off a quiet corner in the café".into(),
                owner: "Café manager".into(),
                due_on: "2025-12-01".into(),
                done_on: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
