//! A pathway evaluation: what each care pathway costs per person, with bootstrap intervals, the
//! differences between pathways, cost-effectiveness where utilities exist, a one-way
//! sensitivity analysis on unit costs and budget-impact scenarios.
//!
//! The analytic engine supplies [`Usage`] (per person: pathway, resource quantities discounted
//! and not, QALYs); everything here is arithmetic on it.

use std::collections::BTreeSet;

use cocare_records::layout::EventKind;
use cocare_records::sdc::{Disclosure, Published};
use cocare_records::units;
use serde::{Deserialize, Serialize};

use crate::boot::{self, Group, Interval};
use crate::cea::{self, Cea, Icer, Simulations};
use crate::costs::{Category, Perspective, Sector, UnitCostTable};

pub const FORMAT: &str = "cocare.econ/1";

/// Which events start or rule out a pathway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    pub kind: EventKind,
    /// Service, ward, section or agency codes; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
}

impl Selector {
    /// The units (see `cocare_records::units`) this selector matches.
    pub fn units(&self) -> Vec<usize> {
        units::matching(self.kind, &self.codes)
    }

    /// The selector in the plural, for "before any …".
    pub fn describe_plural(&self) -> String {
        let what = match self.kind {
            EventKind::Contact => "contacts",
            EventKind::Referral => "referrals",
            EventKind::Admission => "admissions",
            EventKind::WardStay => "ward stays",
            EventKind::Detention => "detentions",
            EventKind::Agency => "agency contacts",
            EventKind::Diagnosis => "diagnoses",
            EventKind::Outcome => "outcomes",
        };
        if self.codes.is_empty() {
            what.to_string()
        } else {
            format!("{what} ({})", self.codes.join(" or "))
        }
    }

    pub fn describe(&self) -> String {
        let what = match self.kind {
            EventKind::Contact => "a contact",
            EventKind::Referral => "a referral",
            EventKind::Admission => "an admission",
            EventKind::WardStay => "a ward stay",
            EventKind::Detention => "a detention",
            EventKind::Agency => "an agency contact",
            EventKind::Diagnosis => "a diagnosis",
            EventKind::Outcome => "an outcome",
        };
        if self.codes.is_empty() {
            what.to_string()
        } else {
            format!("{what} ({})", self.codes.join(" or "))
        }
    }
}

/// A care pathway: people whose first `starts_with` event comes before any `not_after` event.
/// Their costs run from that first event (the index day) over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathwayDefinition {
    pub name: String,
    pub starts_with: Selector,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_after: Vec<Selector>,
}

impl PathwayDefinition {
    pub fn describe(&self) -> String {
        let mut s = format!("starts with {}", self.starts_with.describe());
        if !self.not_after.is_empty() {
            let others: Vec<String> = self.not_after.iter().map(Selector::describe_plural).collect();
            s.push_str(&format!(", before any {}", others.join(" or ")));
        }
        s
    }
}

/// A budget-impact question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Scenario {
    /// Move `share` (0–1) of the use of one resource to another, `ratio` units of `to` for each
    /// unit of `from` (e.g. bed days to crisis home-treatment contacts).
    Shift {
        from: String,
        to: String,
        share: f64,
        #[serde(default = "one")]
        ratio: f64,
    },
    /// Change the spending on a resource or a whole sector by `change` (−0.15 is a 15% cut).
    Scale { target: String, change: f64 },
}

fn one() -> f64 {
    1.0
}

impl Scenario {
    pub fn describe(&self) -> String {
        match self {
            Scenario::Shift { from, to, share, ratio } => {
                let r = if (*ratio - 1.0).abs() < 1e-12 {
                    String::new()
                } else {
                    format!(" ({ratio} {to} per {from})")
                };
                format!("move {:.0}% of {from} to {to}{r}", share * 100.0)
            }
            Scenario::Scale { target, change } => {
                let verb = if *change < 0.0 { "cut" } else { "increase" };
                format!("{verb} {target} by {:.0}%", change.abs() * 100.0)
            }
        }
    }
}

/// What to evaluate (the JSON `cocare.econ/1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSpec {
    #[serde(default = "format")]
    pub format: String,
    pub name: String,
    pub pathways: Vec<PathwayDefinition>,
    #[serde(default = "nhs_pss")]
    pub perspective: Perspective,
    #[serde(default = "two")]
    pub horizon_years: f64,
    #[serde(default = "rate")]
    pub discount_rate: f64,
    #[serde(default = "rate")]
    pub effect_discount_rate: f64,
    #[serde(default = "replicates")]
    pub replicates: usize,
    #[serde(default = "seed")]
    pub seed: u64,
    #[serde(default = "level")]
    pub level: f64,
    #[serde(default = "wtp")]
    pub wtp: Vec<f64>,
    /// One-way sensitivity: each unit cost moved down and up by this share.
    #[serde(default = "sensitivity")]
    pub sensitivity: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<Scenario>,
}

fn format() -> String {
    FORMAT.into()
}
fn nhs_pss() -> Perspective {
    Perspective::NhsPss
}
fn two() -> f64 {
    2.0
}
fn rate() -> f64 {
    0.035
}
fn replicates() -> usize {
    5000
}
fn seed() -> u64 {
    1
}
fn level() -> f64 {
    0.95
}
fn wtp() -> Vec<f64> {
    vec![20_000.0, 30_000.0]
}
fn sensitivity() -> f64 {
    0.25
}

/// A problem with a specification, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {reason}")]
pub struct SpecProblem {
    pub field: String,
    pub reason: String,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> SpecProblem {
    SpecProblem {
        field: field.into(),
        reason: reason.into(),
    }
}

impl EvaluationSpec {
    /// The example in the issue: crisis home treatment first against inpatient admission first.
    pub fn crisis_vs_inpatient() -> EvaluationSpec {
        let crisis = Selector {
            kind: EventKind::Contact,
            codes: vec!["crisis".into()],
        };
        let admission = Selector {
            kind: EventKind::Admission,
            codes: Vec::new(),
        };
        EvaluationSpec {
            format: FORMAT.into(),
            name: "Crisis home treatment first or inpatient admission first".into(),
            pathways: vec![
                PathwayDefinition {
                    name: "Inpatient admission first".into(),
                    starts_with: admission.clone(),
                    not_after: vec![crisis.clone()],
                },
                PathwayDefinition {
                    name: "Crisis home treatment first".into(),
                    starts_with: crisis,
                    not_after: vec![admission],
                },
            ],
            perspective: Perspective::NhsPss,
            horizon_years: 2.0,
            discount_rate: 0.035,
            effect_discount_rate: 0.035,
            replicates: 5000,
            seed: 1,
            level: 0.95,
            wtp: wtp(),
            sensitivity: 0.25,
            scenarios: vec![Scenario::Shift {
                from: "inpatient_acute_bed_day".into(),
                to: "crisis_home_treatment_contact".into(),
                share: 0.2,
                ratio: 1.0,
            }],
        }
    }

    pub fn parse(text: &str) -> Result<EvaluationSpec, Vec<SpecProblem>> {
        let spec: EvaluationSpec =
            serde_json::from_str(text).map_err(|e| vec![bad(format!("line {}", e.line()), e.to_string())])?;
        spec.validate()?;
        Ok(spec)
    }

    /// Every problem at once.
    pub fn validate(&self) -> Result<(), Vec<SpecProblem>> {
        let mut p = Vec::new();
        if self.format != FORMAT {
            p.push(bad("format", format!("'{}' is not {FORMAT}", self.format)));
        }
        if self.name.trim().is_empty() {
            p.push(bad("name", "give the evaluation a name"));
        }
        if self.pathways.is_empty() {
            p.push(bad("pathways", "define at least one pathway"));
        }
        let mut names = BTreeSet::new();
        for (i, path) in self.pathways.iter().enumerate() {
            let field = format!("pathways[{i}]");
            if path.name.trim().is_empty() {
                p.push(bad(format!("{field}.name"), "give the pathway a name"));
            } else if !names.insert(path.name.trim().to_lowercase()) {
                p.push(bad(format!("{field}.name"), format!("'{}' is used twice", path.name)));
            }
            for (j, s) in std::iter::once(&path.starts_with).chain(&path.not_after).enumerate() {
                let at = if j == 0 {
                    format!("{field}.starts_with")
                } else {
                    format!("{field}.not_after[{}]", j - 1)
                };
                if s.kind == EventKind::Outcome {
                    p.push(bad(&at, "a pathway is made of services used, not outcome measures"));
                } else if s.units().is_empty()
                    || s.codes
                        .iter()
                        .any(|c| units::matching(s.kind, std::slice::from_ref(c)).is_empty())
                {
                    p.push(bad(
                        &at,
                        format!("no {} has the code(s) {}", s.kind.code(), s.codes.join(", ")),
                    ));
                }
            }
        }
        if !(self.horizon_years > 0.0 && self.horizon_years <= 50.0) {
            p.push(bad("horizon_years", "between 0 and 50 years"));
        }
        for (field, r) in [
            ("discount_rate", self.discount_rate),
            ("effect_discount_rate", self.effect_discount_rate),
        ] {
            if !(0.0..=0.2).contains(&r) {
                p.push(bad(field, format!("{r} is outside 0 to 0.2 (3.5% a year is 0.035)")));
            }
        }
        if !(100..=100_000).contains(&self.replicates) {
            p.push(bad("replicates", "between 100 and 100,000"));
        }
        if !(self.level > 0.5 && self.level < 1.0) {
            p.push(bad("level", "a confidence level such as 0.95"));
        }
        if let Err(e) = cea::check_thresholds(&self.wtp) {
            p.push(bad("wtp", e));
        }
        if !(self.sensitivity > 0.0 && self.sensitivity < 1.0) {
            p.push(bad("sensitivity", "a share between 0 and 1, such as 0.25"));
        }
        for (i, s) in self.scenarios.iter().enumerate() {
            match s {
                Scenario::Shift { share, ratio, from, to } => {
                    if !(0.0..=1.0).contains(share) {
                        p.push(bad(format!("scenarios[{i}].share"), "a share between 0 and 1"));
                    }
                    if !(ratio.is_finite() && *ratio >= 0.0) {
                        p.push(bad(format!("scenarios[{i}].ratio"), "0 or more"));
                    }
                    if from == to {
                        p.push(bad(
                            format!("scenarios[{i}].to"),
                            "moving a resource to itself changes nothing",
                        ));
                    }
                }
                Scenario::Scale { change, .. } => {
                    if !(change.is_finite() && *change >= -1.0) {
                        p.push(bad(format!("scenarios[{i}].change"), "−1 (stop it) or more"));
                    }
                }
            }
        }
        if p.is_empty() { Ok(()) } else { Err(p) }
    }
}

/// Marks a person on no pathway in [`Usage::pathway`].
pub const NO_PATHWAY: u16 = u16::MAX;

/// What the engine measured for the evaluation's people: everyone in the cohort, each on one
/// pathway or none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Usage {
    /// The resources measured (columns of `discounted`/`undiscounted`).
    pub resources: Vec<String>,
    /// Per person: the pathway index, or [`NO_PATHWAY`].
    pub pathway: Vec<u16>,
    /// `[person][resource]` quantities used over the horizon, discounted.
    pub discounted: Vec<f64>,
    pub undiscounted: Vec<f64>,
    /// Per person: QALYs (undiscounted, discounted) over the horizon, when utilities were measured.
    pub qalys: Vec<Option<(f64, f64)>>,
    /// Per resource: the events that used it, over everyone.
    pub events: Vec<u64>,
    /// People who matched more than one pathway: (pathway a, pathway b, people).
    pub overlaps: Vec<(u16, u16, u64)>,
    /// The cohort's name and the people in it.
    pub cohort: String,
    /// Whole years of the horizon, and the undiscounted quantities used in each, summed over the
    /// people of each pathway: `[pathway (the last for people on none)][year][resource]`.
    pub years: usize,
    pub yearly: Vec<f64>,
}

impl Usage {
    pub fn people(&self) -> usize {
        self.pathway.len()
    }
}

/// An evaluation that cannot run, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
pub enum EvaluationError {
    #[error("{0}")]
    Spec(String),
    #[error("no unit cost for {}", .0.iter().map(|(r, n)| format!("{r} (used by {n} events)")).collect::<Vec<_>>().join(", "))]
    MissingCosts(Vec<(String, u64)>),
    #[error("pathways overlap: {0}")]
    Overlap(String),
    #[error("{0}")]
    Empty(String),
}

/// A mean with its intervals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub percentile: Interval,
    pub bca: Interval,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    pub key: String,
    pub label: String,
    /// Mean per person, discounted.
    pub mean: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceUse {
    pub resource: String,
    pub sector: Sector,
    pub mean_quantity: f64,
    pub mean_cost: f64,
}

/// One pathway's results; `None` fields are hidden by disclosure control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathwayResult {
    pub name: String,
    pub description: String,
    pub people: Published,
    pub hidden: bool,
    pub cost: Option<Estimate>,
    pub cost_undiscounted: Option<f64>,
    pub by_category: Vec<Share>,
    pub by_sector: Vec<Share>,
    pub resources: Vec<ResourceUse>,
    /// Mean cost per person in each year since the index day: (year from 1, undiscounted,
    /// discounted).
    pub by_year: Vec<(u32, f64, f64)>,
    /// People with utility measurements, and their discounted QALYs.
    pub effect_people: Published,
    pub qalys: Option<Estimate>,
}

/// A pathway against the reference pathway (the first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub pathway: String,
    pub reference: String,
    pub cost: Estimate,
    pub qalys: Option<Estimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEffectiveness {
    /// People in the comparison (those with utility measurements).
    pub people: u64,
    pub cea: Cea,
    /// ICERs from the observed means (the CEA's own are from replicate means).
    pub icers: Vec<(String, Icer)>,
    /// Replicates of (Δcost, ΔQALY) per comparison, at most 1,000 for the plane.
    pub plane: Vec<(String, Vec<(f64, f64)>)>,
    /// CEAC over thresholds from 0 to 100,000 (for the curve).
    pub curve_wtp: Vec<f64>,
    pub curve: Vec<(String, Vec<f64>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TornadoBar {
    pub resource: String,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tornado {
    /// What is varied around: "mean cost per person" or "difference in mean cost …".
    pub outcome: String,
    pub base: f64,
    pub change: f64,
    pub bars: Vec<TornadoBar>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectorChange {
    pub sector: Sector,
    pub before: f64,
    pub after: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioResult {
    pub description: String,
    pub people: u64,
    pub by_sector: Vec<SectorChange>,
    /// Change in total cost over the horizon (discounted), with its interval; `None` when the
    /// cohort is too small to publish.
    pub total_change: Option<Estimate>,
}

/// The whole evaluation, as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub spec: EvaluationSpec,
    pub cohort: String,
    pub cohort_people: Published,
    pub no_pathway: Published,
    pub currency: String,
    pub price_years: Vec<i32>,
    pub perspective: String,
    pub pathways: Vec<PathwayResult>,
    pub differences: Vec<Difference>,
    pub cost_effectiveness: Option<CostEffectiveness>,
    pub tornado: Option<Tornado>,
    pub scenarios: Vec<ScenarioResult>,
    pub warnings: Vec<String>,
}

/// One resource's unit cost as a perspective sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// The unit cost, or 0 where the perspective leaves the resource's sector out.
    pub cost: f64,
    pub sector: Sector,
    pub category: Category,
}

/// Prices resource columns from a table for a perspective. A resource with no unit cost is
/// needed when it was used and its sector (from the standard list; unknown resources always)
/// counts from the perspective: then nothing is priced, and the error names each such resource
/// with its events. `events` (events per resource) is asked for only when some resource has no
/// cost.
pub fn price_resources(
    resources: &[String],
    table: &UnitCostTable,
    perspective: Perspective,
    events: impl FnOnce() -> Vec<u64>,
) -> Result<Vec<Option<Price>>, EvaluationError> {
    let prices: Vec<Option<Price>> = resources
        .iter()
        .map(|name| {
            table.get(name).map(|e| Price {
                cost: if perspective.includes(e.sector) { e.cost } else { 0.0 },
                sector: e.sector,
                category: e.category,
            })
        })
        .collect();
    if prices.iter().all(Option::is_some) {
        return Ok(prices);
    }
    let events = events();
    let missing: Vec<(String, u64)> = resources
        .iter()
        .zip(&prices)
        .enumerate()
        .filter(|(_, (_, p))| p.is_none())
        .filter_map(|(r, (name, _))| {
            let used = events.get(r).copied().unwrap_or(0);
            let needed = crate::resources::contract_sector(name).is_none_or(|s| perspective.includes(s));
            (used > 0 && needed).then(|| (name.clone(), used))
        })
        .collect();
    if missing.is_empty() {
        Ok(prices)
    } else {
        Err(EvaluationError::MissingCosts(missing))
    }
}

/// Unit costs per resource column (0 where the perspective leaves the sector out), and sectors.
struct Priced {
    cost: Vec<f64>,
    sector: Vec<Option<Sector>>,
    category: Vec<Option<Category>>,
}

fn price(usage: &Usage, table: &UnitCostTable, perspective: Perspective) -> Result<Priced, EvaluationError> {
    let prices = price_resources(&usage.resources, table, perspective, || usage.events.clone())?;
    Ok(Priced {
        cost: prices.iter().map(|p| p.map_or(0.0, |p| p.cost)).collect(),
        sector: prices.iter().map(|p| p.map(|p| p.sector)).collect(),
        category: prices.iter().map(|p| p.map(|p| p.category)).collect(),
    })
}

fn row(values: &[f64], person: usize, width: usize) -> &[f64] {
    values.get(person * width..(person + 1) * width).unwrap_or(&[])
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn estimate(group: &Group, column: usize, replicates: &[f64], level: f64) -> Estimate {
    let mean = group.mean(column);
    Estimate {
        mean,
        percentile: boot::percentile(replicates, level),
        bca: boot::bca(replicates, mean, &[group.jackknife_means(column)], level),
    }
}

fn difference(g: &Group, reference: &Group, column: usize, replicates: &[f64], level: f64) -> Estimate {
    let mean = g.mean(column) - reference.mean(column);
    Estimate {
        mean,
        percentile: boot::percentile(replicates, level),
        bca: boot::bca(
            replicates,
            mean,
            &boot::jackknife_difference(g, reference, column),
            level,
        ),
    }
}

/// Runs the evaluation on measured usage.
pub fn evaluate(
    spec: &EvaluationSpec,
    usage: &Usage,
    table: &UnitCostTable,
    disclosure: &Disclosure,
) -> Result<Report, EvaluationError> {
    spec.validate()
        .map_err(|p| EvaluationError::Spec(p.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))?;
    if !usage.overlaps.is_empty() {
        let text: Vec<String> = usage
            .overlaps
            .iter()
            .map(|(a, b, n)| {
                let name = |i: &u16| spec.pathways.get(usize::from(*i)).map_or("?", |p| p.name.as_str());
                format!("{n} people are on both '{}' and '{}'", name(a), name(b))
            })
            .collect();
        return Err(EvaluationError::Overlap(format!(
            "{}; give one of them a not_after rule so that each person is on one pathway",
            text.join("; ")
        )));
    }
    let priced = price(usage, table, spec.perspective)?;
    let width = usage.resources.len();
    let n = usage.people();
    let mut warnings = Vec::new();
    let members: Vec<Vec<usize>> = (0..spec.pathways.len())
        .map(|p| (0..n).filter(|&i| usage.pathway.get(i) == Some(&(p as u16))).collect())
        .collect();
    for (p, m) in spec.pathways.iter().zip(&members) {
        if m.is_empty() {
            return Err(EvaluationError::Empty(format!(
                "the pathway '{}' ({}) selects nobody in the cohort",
                p.name,
                p.describe()
            )));
        }
    }
    let cost_of = |i: usize| dot(row(&usage.discounted, i, width), &priced.cost);
    let effect_of = |i: usize| usage.qalys.get(i).copied().flatten().map(|q| q.1);
    // Groups for the bootstrap: cost only over everyone; cost and QALYs over complete cases.
    let cost_groups: Vec<Group> = members
        .iter()
        .map(|m| {
            let costs: Vec<f64> = m.iter().map(|&i| cost_of(i)).collect();
            Group::from_columns(&[&costs])
        })
        .collect();
    let cc_groups: Vec<Group> = members
        .iter()
        .map(|m| {
            let (c, e): (Vec<f64>, Vec<f64>) = m.iter().filter_map(|&i| effect_of(i).map(|e| (cost_of(i), e))).unzip();
            Group::from_columns(&[&c, &e])
        })
        .collect();
    let shown: Vec<bool> = members.iter().map(|m| disclosure.safe(m.len() as u64)).collect();
    for (p, s) in spec.pathways.iter().zip(&shown) {
        if !*s {
            warnings.push(format!(
                "'{}' has fewer than {} people: its results are hidden",
                p.name, disclosure.threshold
            ));
        }
    }
    let reps = boot::resample(&cost_groups, spec.replicates, spec.seed);

    let mut pathways = Vec::new();
    for (p, def) in spec.pathways.iter().enumerate() {
        let m = members.get(p).map(Vec::as_slice).unwrap_or(&[]);
        let people = disclosure.single(m.len() as u64);
        let effect_n = m.iter().filter(|&&i| effect_of(i).is_some()).count() as u64;
        if !shown.get(p).copied().unwrap_or(false) {
            pathways.push(PathwayResult {
                name: def.name.clone(),
                description: def.describe(),
                people,
                hidden: true,
                cost: None,
                cost_undiscounted: None,
                by_category: Vec::new(),
                by_sector: Vec::new(),
                resources: Vec::new(),
                by_year: Vec::new(),
                effect_people: None,
                qalys: None,
            });
            continue;
        }
        let by_year = (0..usage.years)
            .map(|y| {
                let at = (p * usage.years + y) * width;
                let plain: f64 = (0..width)
                    .map(|r| {
                        usage.yearly.get(at + r).copied().unwrap_or(0.0) * priced.cost.get(r).copied().unwrap_or(0.0)
                    })
                    .sum::<f64>()
                    / m.len() as f64;
                let discounted = plain * (1.0 + spec.discount_rate).powi(-(y as i32));
                (y as u32 + 1, plain, discounted)
            })
            .collect();
        let k = m.len() as f64;
        let mean_q: Vec<f64> = (0..width)
            .map(|r| {
                m.iter()
                    .map(|&i| row(&usage.discounted, i, width).get(r).copied().unwrap_or(0.0))
                    .sum::<f64>()
                    / k
            })
            .collect();
        let mean_plain: Vec<f64> = (0..width)
            .map(|r| {
                m.iter()
                    .map(|&i| row(&usage.undiscounted, i, width).get(r).copied().unwrap_or(0.0))
                    .sum::<f64>()
                    / k
            })
            .collect();
        let by_category = Category::ALL
            .iter()
            .map(|c| Share {
                key: c.key().into(),
                label: c.label().into(),
                mean: (0..width)
                    .filter(|&r| priced.category.get(r).copied().flatten() == Some(*c))
                    .map(|r| mean_q.get(r).copied().unwrap_or(0.0) * priced.cost.get(r).copied().unwrap_or(0.0))
                    .sum(),
            })
            .collect();
        let by_sector = Sector::ALL
            .iter()
            .filter(|s| spec.perspective.includes(**s))
            .map(|s| Share {
                key: s.key().into(),
                label: s.label().into(),
                mean: (0..width)
                    .filter(|&r| priced.sector.get(r).copied().flatten() == Some(*s))
                    .map(|r| mean_q.get(r).copied().unwrap_or(0.0) * priced.cost.get(r).copied().unwrap_or(0.0))
                    .sum(),
            })
            .collect();
        let resources = usage
            .resources
            .iter()
            .enumerate()
            .filter_map(|(r, name)| {
                let q = mean_q.get(r).copied().unwrap_or(0.0);
                let sector = priced.sector.get(r).copied().flatten()?;
                (q > 0.0).then(|| ResourceUse {
                    resource: name.clone(),
                    sector,
                    mean_quantity: q,
                    mean_cost: q * priced.cost.get(r).copied().unwrap_or(0.0),
                })
            })
            .collect();
        let group = cost_groups.get(p).cloned().unwrap_or(Group {
            columns: 1,
            rows: Vec::new(),
        });
        let cc = cc_groups.get(p);
        let qalys = match cc {
            Some(g) if disclosure.safe(g.len() as u64) && g.len() >= 2 => {
                let cc_reps = boot::resample(std::slice::from_ref(g), spec.replicates, spec.seed);
                Some(estimate(g, 1, &cc_reps.series(0, 1), spec.level))
            }
            _ => None,
        };
        pathways.push(PathwayResult {
            name: def.name.clone(),
            description: def.describe(),
            people,
            hidden: false,
            cost: Some(estimate(&group, 0, &reps.series(p, 0), spec.level)),
            cost_undiscounted: Some(dot(&mean_plain, &priced.cost)),
            by_category,
            by_sector,
            resources,
            by_year,
            effect_people: disclosure.single(effect_n),
            qalys,
        });
    }

    // Differences against the first pathway, among the shown ones.
    let mut differences = Vec::new();
    let cc_ok: Vec<bool> = cc_groups
        .iter()
        .zip(&shown)
        .map(|(g, s)| *s && g.len() >= 2 && disclosure.safe(g.len() as u64))
        .collect();
    let all_cc = cc_ok.iter().all(|x| *x) && spec.pathways.len() >= 2;
    let cc_reps = all_cc.then(|| boot::resample(&cc_groups, spec.replicates, spec.seed));
    if shown.first().copied().unwrap_or(false) {
        let (Some(ref_group), Some(ref_def)) = (cost_groups.first(), spec.pathways.first()) else {
            return Err(EvaluationError::Empty("no pathways".into()));
        };
        for p in 1..spec.pathways.len() {
            if !shown.get(p).copied().unwrap_or(false) {
                continue;
            }
            let (Some(g), Some(def)) = (cost_groups.get(p), spec.pathways.get(p)) else {
                continue;
            };
            let qalys = match (&cc_reps, cc_groups.get(p), cc_groups.first()) {
                (Some(r), Some(a), Some(b)) => Some(difference(a, b, 1, &r.difference(p, 0, 1), spec.level)),
                _ => None,
            };
            differences.push(Difference {
                pathway: def.name.clone(),
                reference: ref_def.name.clone(),
                cost: difference(g, ref_group, 0, &reps.difference(p, 0, 0), spec.level),
                qalys,
            });
        }
    }

    let cost_effectiveness = match &cc_reps {
        Some(r) => {
            let sims = Simulations {
                options: spec.pathways.iter().map(|p| p.name.clone()).collect(),
                cost: (0..spec.pathways.len()).map(|p| r.series(p, 0)).collect(),
                effect: (0..spec.pathways.len()).map(|p| r.series(p, 1)).collect(),
            };
            let cea = cea::analyse(&sims, 0, &spec.wtp).map_err(EvaluationError::Spec)?;
            let curve_wtp: Vec<f64> = (0..=50).map(|i| f64::from(i) * 2_000.0).collect();
            let curve_cea = cea::analyse(&sims, 0, &curve_wtp).map_err(EvaluationError::Spec)?;
            let reference = cc_groups.first();
            let icers = (1..spec.pathways.len())
                .filter_map(|p| {
                    let g = cc_groups.get(p)?;
                    let base = reference?;
                    Some((
                        spec.pathways.get(p)?.name.clone(),
                        cea::icer(g.mean(0) - base.mean(0), g.mean(1) - base.mean(1)),
                    ))
                })
                .collect();
            let step = (spec.replicates / 1000).max(1);
            let plane = (1..spec.pathways.len())
                .filter_map(|p| {
                    let dc = r.difference(p, 0, 0);
                    let de = r.difference(p, 0, 1);
                    let points = dc.iter().zip(&de).step_by(step).map(|(c, e)| (*c, *e)).collect();
                    Some((spec.pathways.get(p)?.name.clone(), points))
                })
                .collect();
            let people = cc_groups.iter().map(|g| g.len() as u64).sum();
            let with_effect_total: usize = members.iter().map(Vec::len).sum();
            if (people as usize) < with_effect_total {
                warnings.push(format!(
                    "cost-effectiveness uses the {people} of {with_effect_total} people with utility measurements"
                ));
            }
            Some(CostEffectiveness {
                people,
                cea,
                icers,
                plane,
                curve_wtp,
                curve: curve_cea
                    .comparisons
                    .iter()
                    .map(|c| (c.option.clone(), c.ceac.clone()))
                    .collect(),
            })
        }
        None => {
            if spec.pathways.len() >= 2 {
                warnings.push(
                    "no cost-effectiveness: each pathway needs enough people with utility measurements (eq5d_utility)"
                        .into(),
                );
            }
            None
        }
    };

    let years = table.price_years();
    if years.len() > 1 {
        warnings.push(format!(
            "the unit costs are at several price years ({}): move the table to one year (inflate it) before comparing with other studies",
            years.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    let tornado = tornado(spec, usage, &priced, &members, &shown);
    let scenarios = spec
        .scenarios
        .iter()
        .map(|s| scenario(s, spec, usage, table, &priced, disclosure))
        .collect::<Result<Vec<_>, _>>()?;
    let cohort_n = n as u64;
    let no_pathway = usage.pathway.iter().filter(|p| **p == NO_PATHWAY).count() as u64;
    Ok(Report {
        spec: spec.clone(),
        cohort: usage.cohort.clone(),
        cohort_people: disclosure.single(cohort_n),
        no_pathway: disclosure.single(no_pathway),
        currency: table.currency().to_string(),
        price_years: table.price_years(),
        perspective: spec.perspective.label().to_string(),
        pathways,
        differences,
        cost_effectiveness,
        tornado,
        scenarios,
        warnings,
    })
}

fn tornado(
    spec: &EvaluationSpec,
    usage: &Usage,
    priced: &Priced,
    members: &[Vec<usize>],
    shown: &[bool],
) -> Option<Tornado> {
    let width = usage.resources.len();
    let mean_q = |m: &[usize], r: usize| {
        m.iter()
            .map(|&i| row(&usage.discounted, i, width).get(r).copied().unwrap_or(0.0))
            .sum::<f64>()
            / m.len().max(1) as f64
    };
    let two = spec.pathways.len() >= 2 && shown.first() == Some(&true) && shown.get(1) == Some(&true);
    if !shown.first().copied().unwrap_or(false) {
        return None;
    }
    let first = members.first()?;
    let contribution = |r: usize| -> f64 {
        let c = priced.cost.get(r).copied().unwrap_or(0.0);
        if two {
            (mean_q(members.get(1).map(Vec::as_slice).unwrap_or(&[]), r) - mean_q(first, r)) * c
        } else {
            mean_q(first, r) * c
        }
    };
    let contributions: Vec<f64> = (0..width).map(contribution).collect();
    let base: f64 = contributions.iter().sum();
    let mut bars: Vec<TornadoBar> = usage
        .resources
        .iter()
        .zip(&contributions)
        .filter(|(_, c)| c.abs() > 0.0)
        .map(|(name, c)| {
            let a = base - spec.sensitivity * c;
            let b = base + spec.sensitivity * c;
            TornadoBar {
                resource: name.clone(),
                low: a.min(b),
                high: a.max(b),
            }
        })
        .collect();
    bars.sort_by(|a, b| (b.high - b.low).total_cmp(&(a.high - a.low)));
    bars.truncate(10);
    let outcome = if two {
        format!(
            "difference in mean cost per person, {} − {}",
            spec.pathways.get(1).map_or("", |p| p.name.as_str()),
            spec.pathways.first().map_or("", |p| p.name.as_str())
        )
    } else {
        format!(
            "mean cost per person, {}",
            spec.pathways.first().map_or("", |p| p.name.as_str())
        )
    };
    Some(Tornado {
        outcome,
        base,
        change: spec.sensitivity,
        bars,
    })
}

fn scenario(
    s: &Scenario,
    spec: &EvaluationSpec,
    usage: &Usage,
    table: &UnitCostTable,
    priced: &Priced,
    disclosure: &Disclosure,
) -> Result<ScenarioResult, EvaluationError> {
    let width = usage.resources.len();
    let column = |name: &str| usage.resources.iter().position(|r| r == name);
    let unit_cost = |name: &str| -> Result<(f64, Sector), EvaluationError> {
        let e = table
            .get(name)
            .ok_or_else(|| EvaluationError::Spec(format!("scenario '{}': no unit cost for {name}", s.describe())))?;
        Ok((
            if spec.perspective.includes(e.sector) {
                e.cost
            } else {
                0.0
            },
            e.sector,
        ))
    };
    // Per person, per sector: the change.
    let n = usage.people();
    let sectors = Sector::ALL;
    let mut before = vec![0.0; sectors.len()];
    let mut change = vec![0.0; sectors.len()];
    let mut per_person = vec![0.0; n];
    for i in 0..n {
        let q = row(&usage.discounted, i, width);
        for (r, qr) in q.iter().enumerate() {
            if let (Some(Some(sec)), Some(c)) = (priced.sector.get(r), priced.cost.get(r))
                && let Some(b) = before.get_mut(sec.index())
            {
                *b += qr * c;
            }
        }
    }
    match s {
        Scenario::Shift { from, to, share, ratio } => {
            let f = column(from).ok_or_else(|| {
                EvaluationError::Spec(format!(
                    "scenario '{}': {from} is not a resource the records use",
                    s.describe()
                ))
            })?;
            let (cf, sf) = unit_cost(from)?;
            let (ct, st) = unit_cost(to)?;
            for (i, slot) in per_person.iter_mut().enumerate() {
                let moved = row(&usage.discounted, i, width).get(f).copied().unwrap_or(0.0) * share;
                let (minus, plus) = (moved * cf, moved * ratio * ct);
                if let Some(x) = change.get_mut(sf.index()) {
                    *x -= minus;
                }
                if let Some(x) = change.get_mut(st.index()) {
                    *x += plus;
                }
                *slot = plus - minus;
            }
        }
        Scenario::Scale { target, change: by } => {
            let targets: Vec<usize> = match Sector::parse(target) {
                Some(sector) => (0..width)
                    .filter(|&r| priced.sector.get(r).copied().flatten() == Some(sector))
                    .collect(),
                None => vec![column(target).ok_or_else(|| {
                    EvaluationError::Spec(format!(
                        "scenario '{}': {target} is neither a sector nor a resource the records use",
                        s.describe()
                    ))
                })?],
            };
            for (i, slot) in per_person.iter_mut().enumerate() {
                let q = row(&usage.discounted, i, width);
                for &r in &targets {
                    let delta = q.get(r).copied().unwrap_or(0.0) * priced.cost.get(r).copied().unwrap_or(0.0) * by;
                    if let Some(Some(sec)) = priced.sector.get(r)
                        && let Some(x) = change.get_mut(sec.index())
                    {
                        *x += delta;
                    }
                    *slot += delta;
                }
            }
        }
    }
    let group = Group::from_columns(&[&per_person]);
    let reps = boot::resample(std::slice::from_ref(&group), spec.replicates, spec.seed);
    let scale = n as f64;
    let totals: Vec<f64> = reps.series(0, 0).iter().map(|m| m * scale).collect();
    let mean_total = group.mean(0) * scale;
    let jack: Vec<f64> = group.jackknife_means(0).iter().map(|m| m * scale).collect();
    let total_change = disclosure.safe(n as u64).then(|| Estimate {
        mean: mean_total,
        percentile: boot::percentile(&totals, spec.level),
        bca: boot::bca(&totals, mean_total, &[jack], spec.level),
    });
    Ok(ScenarioResult {
        description: s.describe(),
        people: n as u64,
        by_sector: sectors
            .iter()
            .filter(|sec| spec.perspective.includes(**sec))
            .map(|sec| {
                let b = before.get(sec.index()).copied().unwrap_or(0.0);
                SectorChange {
                    sector: *sec,
                    before: b,
                    after: b + change.get(sec.index()).copied().unwrap_or(0.0),
                }
            })
            .collect(),
        total_change,
    })
}
