//! A cohort's characterisation, before and after disclosure control.
//!
//! The analytic crate fills a [`Characterisation`]; nothing leaves the system but its
//! [`Published`](PublishedReport) form, which every page, CSV, XLSX and HTML report is made from.

use chrono::NaiveDate;
use serde::Serialize;

use crate::layout::EventKind;
use crate::pathways::{Pathway, PublishedPathways, publish as publish_pathways};
use crate::sdc::{Disclosure, Mode, Published};
use crate::stats::{Row, Table1};

/// The rows-of-numbers result of running a cohort definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Characterisation {
    pub cohort_name: String,
    pub index_date: NaiveDate,
    /// Length of the look-back window that rates are computed over, in months.
    pub window_months: u32,
    pub population: u64,
    pub attrition: Vec<AttritionStep>,
    pub table1: Table1,
    pub rates: Vec<Rate>,
    pub pathways: Vec<Pathway>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttritionStep {
    pub label: String,
    /// People left after this and every earlier criterion.
    pub remaining: u64,
    /// People who meet this criterion, whatever the others say.
    pub alone: u64,
}

/// Use of one service or agency in the window: cohort, then the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub kind: EventKind,
    pub code: String,
    pub people: [u64; 2],
    pub events: [u64; 2],
}

impl Rate {
    pub fn label(&self) -> String {
        use crate::codes::{Agency, Section, Service, Ward};
        let label = match self.kind {
            EventKind::Contact => Service::parse(&self.code).map(|s| s.label().to_string()).ok(),
            EventKind::WardStay => Ward::parse(&self.code)
                .map(|w| format!("Ward stays: {}", w.label().to_lowercase()))
                .ok(),
            EventKind::Detention => Section::parse(&self.code)
                .map(|s| format!("Detention: {}", s.label()))
                .ok(),
            EventKind::Agency => Agency::parse(&self.code).map(|a| a.label().to_string()).ok(),
            EventKind::Admission if self.code == "bed_days" => Some("Bed days".to_string()),
            EventKind::Admission => Some("Hospital admissions".to_string()),
            _ => None,
        };
        label.unwrap_or_else(|| self.code.clone())
    }
}

/// What may leave the system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedReport {
    pub cohort_name: String,
    pub index_date: NaiveDate,
    pub window_months: u32,
    pub disclosure: Disclosure,
    pub population: Published,
    /// True when attrition counts were rounded to the threshold's base.
    pub attrition_rounded: bool,
    pub attrition: Vec<PublishedStep>,
    pub groups: [String; 2],
    pub n: [Published; 2],
    pub table1: Vec<PublishedRow>,
    pub person_years: [Option<f64>; 2],
    pub rates: Vec<PublishedRate>,
    pub pathways: PublishedPathways,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedStep {
    pub label: String,
    pub remaining: Published,
    pub excluded: Published,
    pub alone: Published,
}

/// One Table 1 line: a variable's statistic or level, with its two cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedRow {
    pub variable: String,
    /// "mean (SD)", "median [IQR]", "missing", or a level's label.
    pub line: String,
    pub cells: [Cell; 2],
    /// On the variable's first line only.
    pub smd: Option<f64>,
    pub first: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Cell {
    /// n and % of the group's N (missing included in the denominator).
    Count {
        n: Published,
        percent: Option<f64>,
    },
    MeanSd {
        mean: Option<f64>,
        sd: Option<f64>,
    },
    MedianIqr {
        median: Option<f64>,
        q1: Option<f64>,
        q3: Option<f64>,
    },
    /// Hidden because too few people have a value.
    Hidden,
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Count {
                n: Some(n),
                percent: Some(p),
            } => format!("{n} ({p:.1}%)"),
            Cell::Count {
                n: Some(n),
                percent: None,
            } => n.to_string(),
            Cell::Count { n: None, .. } | Cell::Hidden => "[c]".into(),
            Cell::MeanSd {
                mean: Some(m),
                sd: Some(s),
            } => format!("{m:.1} ({s:.1})"),
            Cell::MeanSd {
                mean: Some(m),
                sd: None,
            } => format!("{m:.1} (–)"),
            Cell::MedianIqr {
                median: Some(m),
                q1: Some(a),
                q3: Some(b),
            } => format!("{m:.1} [{a:.1}, {b:.1}]"),
            _ => "–".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedRate {
    pub kind: EventKind,
    pub code: String,
    pub label: String,
    pub people: [Published; 2],
    pub events: [Published; 2],
    /// Events per person-year.
    pub per_person_year: [Option<f64>; 2],
}

/// The note every output carries about disclosure control.
pub fn disclosure_note(d: &Disclosure) -> String {
    match d.mode {
        Mode::Suppress => format!(
            "[c]: fewer than {} people, or hidden so that such a count cannot be worked out from the totals.",
            d.threshold
        ),
        Mode::Round => format!("Counts are rounded to the nearest {}.", d.threshold),
    }
}

impl Characterisation {
    /// Applies disclosure control to everything.
    #[allow(clippy::indexing_slicing)] // `g`/`group` is 0 or 1 and indexes `[_; 2]` arrays
    pub fn publish(&self, d: &Disclosure) -> PublishedReport {
        let n = self.table1.n;
        // The population is published (attrition, the records page), so the two groups and it
        // form a sum: hiding one group hides the other too.
        let groups = d.protect(&[n[0], n[1], self.population], &[vec![0, 1, 2]]);
        let group_n = [groups.first().copied().flatten(), groups.get(1).copied().flatten()];
        // Attrition: a chain of differences, so small steps are rounded rather than hidden.
        let mut counts = vec![self.population];
        for step in &self.attrition {
            counts.push(step.remaining);
            counts.push(step.alone);
        }
        let mut previous = self.population;
        let mut any_small = false;
        for step in &self.attrition {
            any_small |= !d.safe(step.remaining)
                || !d.safe(previous - step.remaining)
                || !d.safe(step.alone)
                || !d.safe(self.population.saturating_sub(step.alone));
            previous = step.remaining;
        }
        let round_attrition = d.mode == Mode::Round || any_small;
        let rounder = Disclosure {
            threshold: d.threshold,
            mode: Mode::Round,
        };
        let show = |c: u64| if round_attrition { rounder.single(c) } else { Some(c) };
        let mut previous = self.population;
        let attrition = self
            .attrition
            .iter()
            .map(|s| {
                let step = PublishedStep {
                    label: s.label.clone(),
                    remaining: show(s.remaining),
                    excluded: show(previous - s.remaining),
                    alone: show(s.alone),
                };
                previous = s.remaining;
                step
            })
            .collect();

        let years = f64::from(self.window_months) / 12.0;
        // In rounding mode rates are computed from the rounded counts, so they reveal nothing
        // that the rounded counts do not.
        let shown_n = |g: usize| if d.mode == Mode::Round { d.round(n[g]) } else { n[g] };
        let person_years = [shown_n(0) as f64 * years, shown_n(1) as f64 * years];
        let rates = self
            .rates
            .iter()
            .map(|r| {
                // People using a service, and the rest of the group who did not: both must be
                // safe, or the small one is found by subtraction from the group's n.
                let people = [0, 1].map(|g| {
                    let users = r.people[g].min(n[g]);
                    d.protect(&[users, n[g] - users], &[vec![0, 1]])
                        .first()
                        .copied()
                        .flatten()
                });
                let mut events = [None, None];
                let mut per = [None, None];
                for g in 0..2 {
                    // Contacts (not people) may be shown when the users are not too few themselves,
                    // even if their count is hidden only because the non-users are few: a total
                    // of contacts says nothing about how many people did not use a service.
                    let users = r.people[g].min(n[g]);
                    let events_safe = d.mode == Mode::Round || (d.safe(users) && d.safe(r.events[g]));
                    if events_safe && group_n[g].is_some() {
                        let shown = if d.mode == Mode::Round {
                            d.round(r.events[g])
                        } else {
                            r.events[g]
                        };
                        events[g] = Some(shown);
                        per[g] = (person_years[g] > 0.0).then(|| shown as f64 / person_years[g]);
                    }
                }
                PublishedRate {
                    kind: r.kind,
                    code: r.code.clone(),
                    label: r.label(),
                    people,
                    events,
                    per_person_year: per,
                }
            })
            .collect();

        let pathways = if group_n[0].is_some() {
            publish_pathways(&self.pathways, 12, n[0], d)
        } else {
            publish_pathways(&[], 12, 0, d)
        };

        PublishedReport {
            cohort_name: self.cohort_name.clone(),
            index_date: self.index_date,
            window_months: self.window_months,
            disclosure: *d,
            population: show(self.population),
            attrition_rounded: round_attrition,
            attrition,
            groups: self.table1.groups.clone(),
            n: group_n,
            table1: publish_table1(&self.table1, d, group_n),
            person_years: [group_n[0].map(|_| person_years[0]), group_n[1].map(|_| person_years[1])],
            rates,
            pathways,
        }
    }
}

#[allow(clippy::indexing_slicing)] // `g`/`group` is 0 or 1 and indexes `[_; 2]` arrays
fn publish_table1(t: &Table1, d: &Disclosure, group_n: [Published; 2]) -> Vec<PublishedRow> {
    let mut out = Vec::new();
    for row in &t.rows {
        match row {
            Row::Continuous { name, groups, smd } => {
                let visible = |g: usize| group_n[g].is_some() && d.safe(groups[g].n) && groups[g].n > 0;
                let cells_for = |make: &dyn Fn(usize) -> Cell| [make(0), make(1)];
                let mean = cells_for(&|g| {
                    if visible(g) {
                        Cell::MeanSd {
                            mean: groups[g].mean,
                            sd: groups[g].sd,
                        }
                    } else {
                        Cell::Hidden
                    }
                });
                let median = cells_for(&|g| {
                    if visible(g) {
                        Cell::MedianIqr {
                            median: groups[g].median,
                            q1: groups[g].q1,
                            q3: groups[g].q3,
                        }
                    } else {
                        Cell::Hidden
                    }
                });
                let missing: [Cell; 2] = [0, 1].map(|g| {
                    let (n, m) = (groups[g].n, groups[g].missing);
                    let published = d.protect(&[n, m], &[vec![0, 1]]);
                    let shown = if group_n[g].is_some() {
                        published.get(1).copied().flatten()
                    } else {
                        None
                    };
                    let of = n + groups[g].missing;
                    let of = if d.mode == Mode::Round { d.round(of) } else { of };
                    Cell::Count {
                        n: shown,
                        percent: shown.map(|m| percent(m, of)),
                    }
                });
                let smd_shown = if visible(0) && visible(1) { *smd } else { None };
                out.push(PublishedRow {
                    variable: name.clone(),
                    line: "mean (SD)".into(),
                    cells: mean,
                    smd: smd_shown,
                    first: true,
                });
                out.push(PublishedRow {
                    variable: name.clone(),
                    line: "median [IQR]".into(),
                    cells: median,
                    smd: None,
                    first: false,
                });
                out.push(PublishedRow {
                    variable: name.clone(),
                    line: "missing".into(),
                    cells: missing,
                    smd: None,
                    first: false,
                });
            }
            Row::Categorical {
                name,
                levels,
                missing,
                smd,
                binary,
            } => {
                let mut published: [Vec<Published>; 2] = [Vec::new(), Vec::new()];
                for g in 0..2 {
                    let mut cells: Vec<u64> = levels.iter().map(|l| l.counts[g]).collect();
                    cells.push(missing[g]);
                    let all: Vec<usize> = (0..cells.len()).collect();
                    published[g] = if group_n[g].is_some() {
                        d.protect(&cells, &[all])
                    } else {
                        vec![None; cells.len()]
                    };
                }
                let any_hidden = published.iter().flatten().any(Option::is_none);
                let totals = [0, 1].map(|g| levels.iter().map(|l| l.counts[g]).sum::<u64>() + missing[g]);
                let count_cell = |g: usize, at: usize| {
                    let n = published[g].get(at).copied().flatten();
                    let denominator = match d.mode {
                        Mode::Round => published[g].iter().flatten().sum::<u64>(),
                        Mode::Suppress => totals[g],
                    };
                    Cell::Count {
                        n,
                        percent: n.map(|n| percent(n, denominator)),
                    }
                };
                let smd = if !any_hidden && d.mode == Mode::Suppress {
                    *smd
                } else {
                    None
                };
                if *binary {
                    // Only "yes" is shown; "no" and missing stay in the sums above.
                    out.push(PublishedRow {
                        variable: name.clone(),
                        line: "n (%)".into(),
                        cells: [count_cell(0, 1), count_cell(1, 1)],
                        smd,
                        first: true,
                    });
                    continue;
                }
                for (i, level) in levels.iter().enumerate() {
                    out.push(PublishedRow {
                        variable: name.clone(),
                        line: level.label.clone(),
                        cells: [count_cell(0, i), count_cell(1, i)],
                        smd: if i == 0 { smd } else { None },
                        first: i == 0,
                    });
                }
                if missing.iter().any(|m| *m > 0) {
                    out.push(PublishedRow {
                        variable: name.clone(),
                        line: "missing".into(),
                        cells: [count_cell(0, levels.len()), count_cell(1, levels.len())],
                        smd: None,
                        first: false,
                    });
                }
            }
        }
    }
    out
}

fn percent(n: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { 100.0 * n as f64 / of as f64 }
}

impl PublishedReport {
    /// Table 1 as CSV: variable, line, the two groups, SMD. Hidden cells read "[c]".
    #[allow(clippy::indexing_slicing)] // `g`/`group` is 0 or 1 and indexes `[_; 2]` arrays
    pub fn table1_csv(&self) -> String {
        let mut out = String::new();
        let n = |g: usize| self.n[g].map(|n| n.to_string()).unwrap_or_else(|| "[c]".into());
        out.push_str(&csv_line(&[
            "variable".into(),
            "statistic".into(),
            format!("{} (n={})", self.groups[0], n(0)),
            format!("{} (n={})", self.groups[1], n(1)),
            "smd".into(),
        ]));
        for row in &self.table1 {
            out.push_str(&csv_line(&[
                row.variable.clone(),
                row.line.clone(),
                row.cells[0].text(),
                row.cells[1].text(),
                row.smd.map(|s| format!("{s:.3}")).unwrap_or_default(),
            ]));
        }
        out
    }
}

/// One CSV line, quoting fields that need it.
pub fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            // A leading =, +, - or @ would be read as a formula by a spreadsheet.
            let f = if f.starts_with(['=', '+', '@']) {
                format!("'{f}")
            } else {
                f.clone()
            };
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Values, Variable, table1};

    fn report(cohort: usize, rest: usize) -> Characterisation {
        let flags: Vec<bool> = (0..cohort + rest).map(|i| i < cohort).collect();
        let sex: Vec<Option<u16>> = (0..cohort + rest)
            .map(|i| Some(if i % 4 == 0 { 1 } else { 0 }))
            .collect();
        let age: Vec<Option<f64>> = (0..cohort + rest).map(|i| Some(20.0 + i as f64)).collect();
        let t = table1(
            ["Cohort".into(), "Everyone else".into()],
            &flags,
            &[
                Variable {
                    name: "Age".into(),
                    values: Values::Continuous(age),
                },
                Variable {
                    name: "Sex".into(),
                    values: Values::Categorical {
                        levels: vec!["Female".into(), "Male".into()],
                        values: sex,
                    },
                },
            ],
        );
        Characterisation {
            cohort_name: "Test".into(),
            index_date: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            window_months: 24,
            population: (cohort + rest) as u64,
            attrition: vec![AttritionStep {
                label: "x".into(),
                remaining: cohort as u64,
                alone: cohort as u64,
            }],
            table1: t,
            rates: vec![Rate {
                kind: EventKind::Agency,
                code: "police".into(),
                people: [3, 40],
                events: [9, 50],
            }],
            pathways: vec![],
        }
    }

    #[test]
    fn a_small_level_and_its_partner_are_hidden_and_the_smd_with_them() {
        let published = report(10, 90).publish(&Disclosure::default());
        // Cohort of 10: sex levels are 7 female, 3 male → both hidden (3 is small, 7 would give it away).
        let sex: Vec<&PublishedRow> = published.table1.iter().filter(|r| r.variable == "Sex").collect();
        assert_eq!(sex[0].cells[0].text(), "[c]");
        assert_eq!(sex[1].cells[0].text(), "[c]");
        assert_eq!(sex[0].cells[1].text(), "68 (75.6%)"); // i in 10..100 with i % 4 != 0
        assert_eq!(sex[0].smd, None);
        // Police: 3 people in the cohort → hidden with its events and rate; the rest shown per person-year.
        let police = &published.rates[0];
        assert_eq!(police.people, [None, Some(40)]);
        assert_eq!(police.events[0], None);
        assert!((police.per_person_year[1].unwrap() - 50.0 / 180.0).abs() < 1e-12);
        let csv = published.table1_csv();
        assert!(
            csv.starts_with("variable,statistic,Cohort (n=10),Everyone else (n=90),smd\n"),
            "{csv}"
        );
        assert!(csv.contains("Age,mean (SD),24.5 (3.0),"), "{csv}");
    }

    #[test]
    fn a_cohort_smaller_than_the_threshold_shows_nothing_about_itself() {
        let published = report(4, 96).publish(&Disclosure::default());
        assert_eq!(published.n[0], None);
        assert!(
            published
                .table1
                .iter()
                .all(|r| r.cells[0].text() == "[c]" || r.cells[0].text() == "–")
        );
        assert!(published.attrition_rounded);
        assert_eq!(published.attrition[0].remaining, Some(5));
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(
            csv_line(&["a,b".into(), "=1+1".into(), "say \"hi\"".into()]),
            "\"a,b\",'=1+1,\"say \"\"hi\"\"\"\n"
        );
    }

    #[test]
    fn small_complements_of_published_totals_are_hidden_too() {
        // A cohort of 3 in a population of 100: "everyone else" (97) would give it away.
        let published = report(3, 97).publish(&Disclosure::default());
        assert_eq!(published.n, [None, None]);
        // A service used by all but 3 of a group of 90: 87 users would reveal the 3 who did not.
        let mut c = report(10, 90);
        c.rates.push(Rate {
            kind: EventKind::Agency,
            code: "gp".into(),
            people: [10, 87],
            events: [40, 300],
        });
        let published = c.publish(&Disclosure::default());
        let gp = published.rates.iter().find(|r| r.code == "gp").unwrap();
        assert_eq!(gp.people, [Some(10), None]);
        // The contacts and their rate still show: 300 contacts reveal nothing about the 3.
        assert_eq!(gp.events[1], Some(300));
        // A service used by 3 people shows neither its users nor its contacts.
        assert_eq!(published.rates[0].people[0], None);
        assert_eq!(published.rates[0].events[0], None);
    }

    #[test]
    fn rounded_rates_and_percentages_come_from_rounded_counts() {
        let d = Disclosure {
            threshold: 5,
            mode: Mode::Round,
        };
        let published = report(12, 88).publish(&d);
        let police = &published.rates[0];
        // Contacts 50 over the rounded n (90) × 2 years, not over the exact 88.
        assert!((police.per_person_year[1].unwrap() - 50.0 / 180.0).abs() < 1e-12);
        assert_eq!(published.n, [Some(10), Some(90)]);
    }
}
