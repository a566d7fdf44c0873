//! Care pathways: the order in which people meet services.
//!
//! A person's pathway is the order in which they first met each service in the window: each
//! service is one step, at the day of its first use (ten CMHT contacts are one step), cut to
//! the first few steps. The commonest pathways are counted, with the median number of days between
//! the start of one step and the start of the next.

use std::collections::HashMap;

use serde::Serialize;

use crate::layout::EventKind;
use crate::sdc::{Disclosure, Published};
use crate::stats::quantile_sorted;

/// A step of a pathway: a broad kind of service, so that pathways group people who went the
/// same way rather than splitting them by every team name.
pub fn step_key(kind: EventKind, code: &str) -> Option<String> {
    let step = match kind {
        EventKind::Contact => match code {
            "crisis" => "crisis",
            "liaison" => "urgent",
            "substance_misuse" => "substance",
            _ => "community",
        },
        EventKind::Admission => "admission",
        EventKind::Detention => "detention",
        EventKind::Agency => match code {
            // GP appointments are everyone's background and would fill every pathway.
            "gp" => return None,
            "ae" | "ambulance" => "urgent",
            "police" | "custody" | "prison" => "justice",
            _ => "social",
        },
        _ => return None,
    };
    Some(step.to_string())
}

/// What a step is called on pages and in reports.
pub fn step_label(key: &str) -> String {
    match key {
        "community" => "Community mental health team",
        "crisis" => "Crisis team",
        "urgent" => "A&E, ambulance or liaison",
        "substance" => "Drug and alcohol service",
        "admission" => "Hospital admission",
        "detention" => "Mental Health Act detention",
        "justice" => "Police, custody or prison",
        "social" => "Housing, social care or voluntary sector",
        other => other,
    }
    .to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pathway {
    pub steps: Vec<String>,
    pub people: u64,
    /// Median days from the start of step i to the start of step i+1.
    pub median_days: Vec<Option<f64>>,
}

/// A person's sequence from their events sorted by day: the first use of each step, cut to
/// `max_steps`.
pub fn sequence(events: &[(i32, String)], max_steps: usize) -> Vec<(i32, String)> {
    let mut out: Vec<(i32, String)> = Vec::new();
    for (day, step) in events {
        if out.iter().any(|(_, seen)| seen == step) {
            continue;
        }
        if out.len() == max_steps {
            break;
        }
        out.push((*day, step.clone()));
    }
    out
}

/// Counts pathways over people; each item is one person's events sorted by day.
pub fn count<'a>(people: impl IntoIterator<Item = &'a [(i32, String)]>, max_steps: usize) -> Vec<Pathway> {
    let mut groups: HashMap<Vec<String>, (u64, Vec<Vec<f64>>)> = HashMap::new();
    for events in people {
        let seq = sequence(events, max_steps);
        if seq.is_empty() {
            continue;
        }
        let steps: Vec<String> = seq.iter().map(|(_, s)| s.clone()).collect();
        let entry = groups
            .entry(steps)
            .or_insert_with(|| (0, vec![Vec::new(); seq.len().saturating_sub(1)]));
        entry.0 += 1;
        for (gap, pair) in entry.1.iter_mut().zip(seq.windows(2)) {
            if let [(a, _), (b, _)] = pair {
                gap.push(f64::from(b - a));
            }
        }
    }
    let mut out: Vec<Pathway> = groups
        .into_iter()
        .map(|(steps, (people, mut gaps))| Pathway {
            steps,
            people,
            median_days: gaps
                .iter_mut()
                .map(|g| {
                    g.sort_unstable_by(f64::total_cmp);
                    quantile_sorted(g, 0.5)
                })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| b.people.cmp(&a.people).then_with(|| a.steps.cmp(&b.steps)));
    out
}

/// Pathways as published: each one that enough people took, then "other pathways" holding the
/// rest, with secondary suppression so that the hidden rest cannot be worked out from the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedPathways {
    pub shown: Vec<(Pathway, Published)>,
    /// People on pathways too rare to show (or beyond `top`), as one count.
    pub other: Published,
    pub total: Published,
}

/// `cohort` is the cohort's size: the people with no service use (cohort − total) are part of
/// the sums too, so a small number of them cannot be read off the total either.
pub fn publish(all: &[Pathway], top: usize, cohort: u64, d: &Disclosure) -> PublishedPathways {
    let total: u64 = all.iter().map(|p| p.people).sum();
    let mut shown: Vec<&Pathway> = Vec::new();
    let mut other = 0u64;
    for (i, p) in all.iter().enumerate() {
        if i < top && d.safe(p.people) {
            shown.push(p);
        } else {
            other += p.people;
        }
    }
    let mut cells: Vec<u64> = shown.iter().map(|p| p.people).collect();
    cells.push(other);
    cells.push(total);
    cells.push(cohort.saturating_sub(total));
    let k = cells.len();
    // Pathways and "other" add up to the total; the total and those without use, to the cohort.
    let published = d.protect(&cells, &[(0..k - 1).collect(), vec![k - 2, k - 1]]);
    let mut published = published.into_iter();
    let shown = shown
        .into_iter()
        .map(|p| {
            let mut p = p.clone();
            let count = published.next().flatten();
            if count.is_none() {
                p.median_days = vec![None; p.median_days.len()];
            }
            (p, count)
        })
        .collect();
    PublishedPathways {
        shown,
        other: published.next().flatten(),
        total: published.next().flatten(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(list: &[(i32, &str)]) -> Vec<(i32, String)> {
        list.iter().map(|(d, s)| (*d, s.to_string())).collect()
    }

    #[test]
    fn each_service_is_a_step_at_its_first_use_and_gaps_are_medians() {
        let a = ev(&[
            (0, "urgent"),
            (1, "urgent"),
            (3, "crisis"),
            (8, "urgent"),
            (10, "admission"),
            (40, "community"),
        ]);
        let b = ev(&[(5, "urgent"), (10, "crisis"), (12, "crisis"), (30, "admission")]);
        let c = ev(&[(0, "community")]);
        let counted = count([a.as_slice(), b.as_slice(), c.as_slice()], 3);
        assert_eq!(counted.len(), 2);
        assert_eq!(counted[0].steps, vec!["urgent", "crisis", "admission"]);
        assert_eq!(counted[0].people, 2);
        // Gaps: A&E→crisis 3 and 5 days (median 4); crisis→admission 7 and 20 (13.5).
        assert_eq!(counted[0].median_days, vec![Some(4.0), Some(13.5)]);
        assert_eq!(counted[1].people, 1);
        assert_eq!(step_key(EventKind::Agency, "ambulance").as_deref(), Some("urgent"));
        assert_eq!(step_key(EventKind::Agency, "gp"), None);
        assert_eq!(step_label("crisis"), "Crisis team");
    }

    #[test]
    fn rare_pathways_are_pooled_and_cannot_be_recovered() {
        let p = |n: u64, s: &str| Pathway {
            steps: vec![s.into()],
            people: n,
            median_days: vec![],
        };
        let all = vec![p(30, "a"), p(12, "b"), p(3, "c")];
        let out = publish(&all, 10, 45, &Disclosure::default());
        // "c" (3) goes to other; other = 3 is hidden, so the smallest shown (12) is hidden too.
        assert_eq!(out.shown.len(), 2);
        assert_eq!(out.shown[0].1, Some(30));
        assert_eq!(out.shown[1].1, None);
        assert_eq!(out.other, None);
        assert_eq!(out.total, Some(45));
    }
}
