//! The engagement domain: the vocabulary (stakeholder categories, kinds of activity and of
//! funding change, the three facets of engagement), checks on what is typed, and the summaries
//! the lead reads: the "you said, we did" board, facets by category and over time, who is
//! under-heard, payments, and the GRIPP2 short-form report.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

/// Stakeholder categories (key, label), from the seed studies' stakeholder group.
pub const CATEGORIES: [(&str, &str); 10] = [
    ("service_user", "Service users"),
    ("carer", "Carers"),
    ("clinician", "Clinicians"),
    ("academic", "Academics"),
    ("housing", "Housing"),
    ("health_economist", "Health economists"),
    ("statistician", "Statisticians"),
    ("commissioner", "Commissioners"),
    ("voluntary_sector", "Voluntary sector"),
    ("other", "Other"),
];

pub const ACTIVITY_KINDS: [(&str, &str); 5] = [
    ("meeting", "Meeting"),
    ("workshop", "Workshop"),
    ("consultation", "Consultation"),
    ("survey", "Survey"),
    ("co_design", "Co-design session"),
];

pub const FUNDING_KINDS: [(&str, &str); 4] = [
    ("cut", "Cut"),
    ("increase", "Increase"),
    ("reallocation", "Reallocation"),
    ("new_payment_model", "New payment model"),
];

/// The three facets of engagement the first seed study names, rated 1 (not at all) to 5.
pub const FACETS: [&str; 3] = [
    "Connecting around a shared purpose",
    "Individual participation",
    "Meaningful interaction and dialogue",
];

pub const PROPOSAL_STATUSES: [(&str, &str); 4] = [
    ("open", "Waiting for a response"),
    ("accepted", "Agreed, being done"),
    ("done", "Done"),
    ("declined", "Not done, with the reason"),
];

pub fn label<'a>(list: &'a [(&'a str, &'a str)], key: &str) -> &'a str {
    list.iter().find(|(k, _)| *k == key).map_or("(unknown)", |(_, l)| l)
}

/// A date typed as YYYY-MM-DD.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// An amount typed in pounds ("1,250.50", "£80") as pence.
pub fn parse_pounds(s: &str) -> Option<i64> {
    let t: String = s.trim().trim_start_matches('£').chars().filter(|c| *c != ',').collect();
    if t.is_empty() {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    (v.is_finite() && (0.0..1e12).contains(&v)).then(|| (v * 100.0).round() as i64)
}

/// Pence as "£1,250.50".
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "−" } else { "" };
    let p = pence.unsigned_abs();
    let whole = (p / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{:02}", p % 100)
}

/// Two register entries that look like the same person or organisation: the same name once
/// case, spaces, punctuation and titles are set aside.
pub fn likely_duplicates(names: &[(String, String)]) -> Vec<(String, String)> {
    fn key(name: &str) -> String {
        let lower = name.to_lowercase();
        lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !matches!(*w, "mr" | "mrs" | "ms" | "miss" | "dr" | "prof" | "the"))
            .collect::<Vec<_>>()
            .join(" ")
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (id, name) in names {
        let k = key(name);
        if k.is_empty() {
            continue;
        }
        match seen.get(&k) {
            Some(first) => out.push((first.clone(), id.clone())),
            None => {
                seen.insert(k, id.clone());
            }
        }
    }
    out
}

/// One rating of one activity by one participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub activity: String,
    pub stakeholder: String,
    /// Shared purpose, participation, dialogue: 1 to 5.
    pub facets: [i64; 3],
}

/// Mean facet ratings for a group, with how many ratings they rest on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetMeans {
    pub group: String,
    pub ratings: usize,
    pub means: [f64; 3],
}

fn means(group: String, rs: &[&Rating]) -> FacetMeans {
    let n = rs.len();
    let mut sums = [0.0_f64; 3];
    for r in rs {
        for (s, v) in sums.iter_mut().zip(r.facets) {
            *s += v as f64;
        }
    }
    FacetMeans {
        group,
        ratings: n,
        means: sums.map(|s| if n == 0 { 0.0 } else { s / n as f64 }),
    }
}

/// Facet means by stakeholder category (`category_of`: stakeholder → category key), in the
/// order of [`CATEGORIES`], for categories with ratings.
pub fn facets_by_category(ratings: &[Rating], category_of: &BTreeMap<String, String>) -> Vec<FacetMeans> {
    CATEGORIES
        .iter()
        .filter_map(|(key, label)| {
            let rs: Vec<&Rating> = ratings
                .iter()
                .filter(|r| category_of.get(&r.stakeholder).is_some_and(|c| c == key))
                .collect();
            (!rs.is_empty()).then(|| means((*label).to_string(), &rs))
        })
        .collect()
}

/// Facet means by month of the activity (`month_of`: activity → "YYYY-MM"), in date order.
pub fn facets_by_month(ratings: &[Rating], month_of: &BTreeMap<String, String>) -> Vec<FacetMeans> {
    let months: BTreeSet<&String> = ratings.iter().filter_map(|r| month_of.get(&r.activity)).collect();
    months
        .into_iter()
        .map(|m| {
            let rs: Vec<&Rating> = ratings
                .iter()
                .filter(|r| month_of.get(&r.activity) == Some(m))
                .collect();
            means(m.clone(), &rs)
        })
        .collect()
}

/// Who is heard, by category: invitations, attendance, proposals raised and mean participation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Voice {
    pub category: String,
    pub label: String,
    pub invited: usize,
    pub attended: usize,
    pub proposals: usize,
    pub participation: Option<f64>,
    /// Why this category looks under-heard, if it does.
    pub under_heard: Option<String>,
}

/// Attendance `(stakeholder, invited, attended)`, proposals' raisers, ratings; a category is
/// under-heard when fewer than half its invitations led to attendance, or when it came but
/// raised nothing, or rated its own participation below 3 of 5 on average.
pub fn voices(
    attendance: &[(String, bool, bool)],
    raised_by: &[String],
    ratings: &[Rating],
    category_of: &BTreeMap<String, String>,
) -> Vec<Voice> {
    let cat = |s: &String| category_of.get(s).cloned().unwrap_or_else(|| "other".into());
    CATEGORIES
        .iter()
        .filter_map(|(key, label)| {
            let invited = attendance.iter().filter(|(s, i, _)| *i && cat(s) == *key).count();
            let attended = attendance.iter().filter(|(s, _, a)| *a && cat(s) == *key).count();
            let proposals = raised_by.iter().filter(|s| cat(s) == *key).count();
            let own: Vec<f64> = ratings
                .iter()
                .filter(|r| cat(&r.stakeholder) == *key)
                .map(|r| r.facets[1] as f64)
                .collect();
            if invited == 0 && attended == 0 && proposals == 0 {
                return None;
            }
            let participation = (!own.is_empty()).then(|| own.iter().sum::<f64>() / own.len() as f64);
            let under_heard = if invited > 0 && attended * 2 < invited {
                Some(format!("came to {attended} of {invited} invitations"))
            } else if attended > 0 && proposals == 0 {
                Some("came but raised no proposal".to_string())
            } else if participation.is_some_and(|p| p < 3.0) {
                Some(format!(
                    "rated their own participation {:.1} of 5",
                    participation.unwrap_or_default()
                ))
            } else {
                None
            };
            Some(Voice {
                category: (*key).to_string(),
                label: (*label).to_string(),
                invited,
                attended,
                proposals,
                participation,
                under_heard,
            })
        })
        .collect()
}

/// A proposal on the board, with why it needs attention (if it does).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardItem {
    pub proposal: String,
    pub status: String,
    pub days_open: i64,
    pub overdue_actions: usize,
    pub attention: Option<String>,
}

/// Nothing drops silently: a proposal still open after `grace_days`, one agreed with no action
/// or with an overdue action, or one closed without a response, is flagged.
pub fn board(
    proposals: &[(String, String, String, NaiveDate)],
    actions: &[(Option<String>, String, Option<NaiveDate>, NaiveDate)],
    today: NaiveDate,
    grace_days: i64,
) -> Vec<BoardItem> {
    proposals
        .iter()
        .map(|(id, status, response, raised)| {
            let mine: Vec<_> = actions.iter().filter(|(p, ..)| p.as_deref() == Some(id)).collect();
            let overdue = mine
                .iter()
                .filter(|(_, _, done, due)| done.is_none() && *due < today)
                .count();
            let days_open = (today - *raised).num_days();
            let attention = match status.as_str() {
                "open" if days_open > grace_days => Some(format!("no response after {days_open} days")),
                "accepted" if mine.is_empty() => Some("agreed, but no action with an owner".to_string()),
                "accepted" if overdue > 0 => Some(format!("{overdue} action(s) overdue")),
                "done" | "declined" if response.trim().is_empty() => {
                    Some("closed without telling people what happened".to_string())
                }
                _ => None,
            };
            BoardItem {
                proposal: id.clone(),
                status: status.clone(),
                days_open,
                overdue_actions: overdue,
                attention,
            }
        })
        .collect()
}

/// What a payment comes to, in pence: quantity (hundredths) × rate + expenses.
pub fn payment_total(quantity_hundredths: i64, rate_pence: i64, expenses_pence: i64) -> i64 {
    (quantity_hundredths.saturating_mul(rate_pence) + 50) / 100 + expenses_pence
}

/// The GRIPP2 short form, drafted from what was recorded, for the lead to edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gripp2 {
    pub aim: String,
    pub methods: String,
    pub results: String,
    pub discussion: String,
    pub reflections: String,
}

/// The figures a GRIPP2 draft rests on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gripp2Facts {
    pub organisation: String,
    pub stakeholders: usize,
    pub categories: Vec<String>,
    pub activities: usize,
    pub kinds: Vec<String>,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    pub attendances: usize,
    pub proposals: usize,
    pub done: usize,
    pub declined: usize,
    pub open: usize,
    pub ratings: usize,
    pub facet_means: Option<[f64; 3]>,
    pub paid_pence: i64,
    pub under_heard: Vec<String>,
    pub funding_changes: usize,
}

pub fn gripp2(f: &Gripp2Facts) -> Gripp2 {
    let span = match (f.first, f.last) {
        (Some(a), Some(b)) => format!(" between {} and {}", a.format("%-d %B %Y"), b.format("%-d %B %Y")),
        _ => String::new(),
    };
    let facets = f.facet_means.map_or_else(
        || "No activity was rated.".to_string(),
        |m| {
            format!(
                "Participants rated {} activities (mean of 1–5): shared purpose {:.1}, individual participation {:.1}, meaningful interaction and dialogue {:.1}.",
                f.ratings, m[0], m[1], m[2]
            )
        },
    );
    Gripp2 {
        aim: format!(
            "To involve the people affected by changes to {}'s community mental health services ({}) in deciding and following through those changes.",
            f.organisation,
            f.categories.join(", ").to_lowercase()
        ),
        methods: format!(
            "{} stakeholders were registered. {} engagement activities ({}) were held{span}. Proposals raised were recorded and followed to what happened; participants rated each activity on the three facets of engagement. Lived-experience involvement was paid ({} in all).",
            f.stakeholders,
            f.activities,
            f.kinds.join(", ").to_lowercase(),
            pounds(f.paid_pence)
        ),
        results: format!(
            "There were {} attendances. {} proposals were raised: {} done, {} declined with the reason given, {} still open. {facets} {} funding change(s) were followed with outcome indicators.",
            f.attendances, f.proposals, f.done, f.declined, f.open, f.funding_changes
        ),
        discussion: if f.under_heard.is_empty() {
            "No stakeholder group stood out as under-heard by attendance, proposals or ratings.".into()
        } else {
            format!(
                "Some groups were under-heard: {}. Future activities should be arranged with them.",
                f.under_heard.join("; ")
            )
        },
        reflections: "Write here what the people involved and the team learned, in their words.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn money_is_read_and_written_in_pounds_and_pence() {
        assert_eq!(parse_pounds("£1,250.50"), Some(125_050));
        assert_eq!(parse_pounds("80"), Some(8_000));
        assert_eq!(parse_pounds("-3"), None);
        assert_eq!(parse_pounds("abc"), None);
        assert_eq!(pounds(125_050), "£1,250.50");
        assert_eq!(pounds(5), "£0.05");
        // 2.5 hours at £25 an hour plus £12.40 travel.
        assert_eq!(payment_total(250, 2_500, 1_240), 7_490);
    }

    #[test]
    fn duplicates_are_found_despite_case_titles_and_punctuation() {
        let names = vec![
            ("a".to_string(), "Dr Amira Khan".to_string()),
            ("b".to_string(), "amira  khan".to_string()),
            ("c".to_string(), "Amira Khanna".to_string()),
        ];
        assert_eq!(likely_duplicates(&names), [("a".to_string(), "b".to_string())]);
    }

    #[test]
    fn a_category_that_is_invited_but_does_not_come_is_under_heard() {
        let cats: BTreeMap<String, String> = [("s1", "service_user"), ("s2", "carer"), ("c1", "clinician")]
            .iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect();
        let attendance = vec![
            ("s1".to_string(), true, false),
            ("s1".to_string(), true, false),
            ("s1".to_string(), true, true),
            ("s2".to_string(), true, true),
            ("c1".to_string(), true, true),
        ];
        let raised = vec!["c1".to_string(), "s1".to_string()];
        let ratings = vec![Rating {
            activity: "a".into(),
            stakeholder: "c1".into(),
            facets: [4, 2, 3],
        }];
        let v = voices(&attendance, &raised, &ratings, &cats);
        let by: BTreeMap<&str, &Voice> = v.iter().map(|x| (x.category.as_str(), x)).collect();
        assert_eq!(
            by["service_user"].under_heard.as_deref(),
            Some("came to 1 of 3 invitations")
        );
        assert_eq!(by["carer"].under_heard.as_deref(), Some("came but raised no proposal"));
        assert_eq!(
            by["clinician"].under_heard.as_deref(),
            Some("rated their own participation 2.0 of 5")
        );
    }

    #[test]
    fn the_board_flags_what_would_otherwise_drop_silently() {
        let today = d("2026-06-30");
        let proposals = vec![
            ("old".to_string(), "open".to_string(), String::new(), d("2026-04-01")),
            ("new".to_string(), "open".to_string(), String::new(), d("2026-06-20")),
            (
                "agreed".to_string(),
                "accepted".to_string(),
                String::new(),
                d("2026-05-01"),
            ),
            (
                "late".to_string(),
                "accepted".to_string(),
                String::new(),
                d("2026-05-01"),
            ),
            (
                "quiet".to_string(),
                "done".to_string(),
                " ".to_string(),
                d("2026-05-01"),
            ),
            (
                "fine".to_string(),
                "done".to_string(),
                "We moved the hours".to_string(),
                d("2026-05-01"),
            ),
        ];
        let actions = vec![(Some("late".to_string()), "Lee".to_string(), None, d("2026-06-01"))];
        let b = board(&proposals, &actions, today, 28);
        let flags: Vec<Option<&str>> = b.iter().map(|i| i.attention.as_deref()).collect();
        assert_eq!(
            flags,
            [
                Some("no response after 90 days"),
                None,
                Some("agreed, but no action with an owner"),
                Some("1 action(s) overdue"),
                Some("closed without telling people what happened"),
                None
            ]
        );
    }

    #[test]
    fn facets_are_averaged_by_category_and_month() {
        let cats: BTreeMap<String, String> = [("s", "service_user"), ("c", "clinician")]
            .iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect();
        let months: BTreeMap<String, String> = [("a1", "2026-01"), ("a2", "2026-02")]
            .iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect();
        let r = |a: &str, s: &str, f: [i64; 3]| Rating {
            activity: a.into(),
            stakeholder: s.into(),
            facets: f,
        };
        let ratings = vec![
            r("a1", "s", [2, 3, 4]),
            r("a2", "s", [4, 5, 4]),
            r("a2", "c", [5, 5, 5]),
        ];
        let by_cat = facets_by_category(&ratings, &cats);
        assert_eq!(by_cat[0].group, "Service users");
        assert_eq!(by_cat[0].means, [3.0, 4.0, 4.0]);
        assert_eq!(by_cat[1].ratings, 1);
        let by_month = facets_by_month(&ratings, &months);
        assert_eq!(by_month[1].group, "2026-02");
        assert_eq!(by_month[1].means, [4.5, 5.0, 4.5]);
    }
}
