//! From per-person unit counts to a [`Characterisation`]: the cohort rule tree, attrition,
//! Table 1, rates and pathways.
//!
//! The analytic crate runs one aggregate over the events, per person and unit, with one count
//! per look-back window the definition uses ([`QueryPlan`]), and hands the rows here twice:
//! once to decide who is in the cohort, once to describe the two groups.

use std::collections::HashMap;

use crate::codes::{Agency, EthnicGroup, Gender, Sex};
use crate::cohort::{CohortDefinition, Leaf, window_start};
use crate::layout::day_number;
use crate::pathways::{self, Pathway};
use crate::report::{AttritionStep, Characterisation, Rate};
use crate::stats::{Values, Variable, table1};
use crate::units::{self, UnitKind};

/// What the aggregate must compute: one event count per window (counting events that start on
/// or after the window's first day and on or before the index day), the first day of use in
/// the description window, and bed days overlapping that window.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPlan {
    pub index_day: i32,
    /// First day of each window; `None` is "all time".
    pub windows: Vec<Option<i32>>,
    /// Which window rates, Table 1's service use and pathways are described over.
    pub describe_window: usize,
    pub describe_from: i32,
}

impl QueryPlan {
    pub fn new(def: &CohortDefinition) -> QueryPlan {
        let describe_from = day_number(window_start(def.index_date, def.window_months));
        // The description window first; "all time" always (Table 1's diagnoses are ever recorded).
        let mut windows: Vec<Option<i32>> = vec![Some(describe_from), None];
        for leaf in def.leaves() {
            let w = match leaf {
                Leaf::Count { from_day, .. } | Leaf::DistinctAgencies { from_day, .. } => Some(from_day),
                Leaf::Diagnosis { .. } => None,
                Leaf::Age { .. } => continue,
            };
            if !windows.contains(&w) {
                windows.push(w);
            }
        }
        QueryPlan {
            index_day: day_number(def.index_date),
            windows,
            describe_window: 0,
            describe_from,
        }
    }

    fn window_of(&self, from: Option<i32>) -> usize {
        self.windows.iter().position(|w| *w == from).unwrap_or(0)
    }
}

/// One row of the aggregate.
#[derive(Debug, Clone, Copy)]
pub struct UnitRow<'a> {
    pub pid: u32,
    pub unit: u16,
    /// Counts per window, in `QueryPlan::windows` order.
    pub counts: &'a [u32],
    pub first_day: Option<i32>,
    pub bed_days: i64,
}

/// The people table, by pid.
#[derive(Debug, Clone, Default)]
pub struct People {
    pub birth_year: Vec<i32>,
    pub sex: Vec<Option<Sex>>,
    pub gender: Vec<Option<Gender>>,
    pub ethnic_group: Vec<Option<EthnicGroup>>,
    pub deprivation: Vec<Option<u8>>,
}

impl People {
    pub fn len(&self) -> usize {
        self.birth_year.len()
    }

    pub fn is_empty(&self) -> bool {
        self.birth_year.is_empty()
    }
}

/// Something that can hand over the aggregate's rows (more than once).
pub trait UnitRows {
    fn for_each(&self, f: &mut dyn FnMut(UnitRow<'_>));
}

/// Table 1's service-use variables, per person, over the description window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Feature {
    Admissions,
    BedDays,
    Detentions,
    Crisis,
    Community,
    NotAttended,
    Ae,
    Police,
    Agencies,
    Prison,
}

const FEATURES: [(Feature, &str); 10] = [
    (Feature::Admissions, "Admissions"),
    // Second: pass 2 adds bed days by position.
    (Feature::BedDays, "Bed days"),
    (Feature::Detentions, "Mental Health Act detentions"),
    (Feature::Crisis, "Crisis team contacts"),
    (Feature::Community, "Other community contacts attended"),
    (Feature::NotAttended, "Appointments not attended"),
    (Feature::Ae, "A&E attendances"),
    (Feature::Police, "Police contacts (including custody)"),
    (Feature::Agencies, "Agencies in contact (of 9)"),
    (Feature::Prison, "Any time in prison"),
];

const DIAGNOSES: [(&str, &str); 5] = [
    ("psychosis", "Diagnosis: psychosis (F20–F29)"),
    ("mood", "Diagnosis: mood disorder (F30–F39)"),
    ("substance", "Diagnosis: substance use (F10–F19)"),
    ("personality", "Diagnosis: personality disorder (F60–F69)"),
    ("anxiety", "Diagnosis: anxiety or stress-related (F40–F48)"),
];

/// Who is in the cohort: each criterion per person, and the people it selects.
pub struct Selection {
    pub in_cohort: Vec<bool>,
    pub criteria_met: Vec<Vec<bool>>,
    pub eligible: Vec<bool>,
    pub population: usize,
}

/// Runs the rule tree over the unit rows.
pub fn select(def: &CohortDefinition, plan: &QueryPlan, people: &People, rows: &dyn UnitRows) -> Selection {
    let n = people.len();
    let leaves = def.leaves();
    let index_year = chrono::Datelike::year(&def.index_date);

    // Pass 1: each leaf per person.
    let mut leaf_values: Vec<Vec<u32>> = vec![vec![0; n]; leaves.len()];
    let unit_list = units::all();
    let leaf_units: Vec<(Vec<usize>, usize)> = leaves
        .iter()
        .map(|leaf| match leaf {
            Leaf::Count {
                kind, codes, from_day, ..
            } => (units::matching(*kind, codes), plan.window_of(Some(*from_day))),
            Leaf::DistinctAgencies { agencies, from_day, .. } => {
                let codes: Vec<String> = agencies.iter().map(|a| a.code().to_string()).collect();
                (
                    units::matching(crate::layout::EventKind::Agency, &codes),
                    plan.window_of(Some(*from_day)),
                )
            }
            Leaf::Diagnosis { groups, .. } => {
                let codes: Vec<String> = groups.iter().map(|g| g.code().to_string()).collect();
                (
                    units::matching(crate::layout::EventKind::Diagnosis, &codes),
                    plan.window_of(None),
                )
            }
            Leaf::Age { .. } => (Vec::new(), 0),
        })
        .collect();
    // Per unit: which leaves it feeds, in which window, and whether it counts once per person.
    let mut unit_leaves: Vec<Vec<(usize, usize, bool)>> = vec![Vec::new(); unit_list.len()];
    for (l, (matching, window)) in leaf_units.iter().enumerate() {
        let once = matches!(
            leaves.get(l),
            Some(Leaf::DistinctAgencies { .. }) | Some(Leaf::Diagnosis { .. })
        );
        for unit in matching {
            if let Some(list) = unit_leaves.get_mut(*unit) {
                list.push((l, *window, once));
            }
        }
    }
    rows.for_each(&mut |row| {
        for (l, window, once) in unit_leaves.get(usize::from(row.unit)).into_iter().flatten() {
            let count = row.counts.get(*window).copied().unwrap_or(0);
            if let Some(slot) = leaf_values.get_mut(*l).and_then(|v| v.get_mut(row.pid as usize)) {
                *slot += if *once { u32::from(count > 0) } else { count };
            }
        }
    });
    // People born after the index date are not part of the population on that day.
    let eligible: Vec<bool> = people.birth_year.iter().map(|y| *y <= index_year).collect();
    let population = eligible.iter().filter(|e| **e).count();
    let mut criteria_met: Vec<Vec<bool>> = vec![Vec::with_capacity(n); def.criteria.len()];
    let mut in_cohort = vec![false; n];
    let mut leaf_flags = vec![false; leaves.len()];
    for (pid, cohort_flag) in in_cohort.iter_mut().enumerate() {
        for (l, leaf) in leaves.iter().enumerate() {
            let value = leaf_values.get(l).and_then(|v| v.get(pid)).copied().unwrap_or(0);
            let flag = match leaf {
                Leaf::Count { at_least, .. } | Leaf::DistinctAgencies { at_least, .. } => value >= *at_least,
                Leaf::Diagnosis { .. } => value > 0,
                Leaf::Age { min, max, .. } => {
                    let age = people.birth_year.get(pid).map(|y| index_year - y).unwrap_or(-1);
                    age >= 0 && min.is_none_or(|m| age >= m as i32) && max.is_none_or(|m| age <= m as i32)
                }
            };
            if let Some(f) = leaf_flags.get_mut(l) {
                *f = flag;
            }
        }
        let mut met = def.evaluate(&leaf_flags);
        if !eligible.get(pid).copied().unwrap_or(false) {
            met.iter_mut().for_each(|m| *m = false);
        }
        for (c, m) in criteria_met.iter_mut().zip(&met) {
            c.push(*m);
        }
        *cohort_flag = eligible.get(pid).copied().unwrap_or(false) && met.iter().all(|m| *m);
    }
    Selection {
        in_cohort,
        criteria_met,
        eligible,
        population,
    }
}

/// Runs the rule tree and describes the cohort beside everyone else.
#[allow(clippy::indexing_slicing)] // `g`/`group` is 0 or 1 and indexes `[_; 2]` arrays
pub fn characterise(
    def: &CohortDefinition,
    plan: &QueryPlan,
    people: &People,
    rows: &dyn UnitRows,
) -> Characterisation {
    let n = people.len();
    let index_year = chrono::Datelike::year(&def.index_date);
    let Selection {
        in_cohort,
        criteria_met,
        eligible,
        population,
    } = select(def, plan, people, rows);
    let unit_list = units::all();
    let labels = def.labels();
    let mut remaining = vec![true; n];
    let attrition = criteria_met
        .iter()
        .zip(labels)
        .map(|(met, label)| {
            for (r, m) in remaining.iter_mut().zip(met) {
                *r &= *m;
            }
            AttritionStep {
                label,
                remaining: remaining.iter().filter(|r| **r).count() as u64,
                alone: met.iter().filter(|m| **m).count() as u64,
            }
        })
        .collect();

    // Pass 2: features, rates and first uses over the description window. Everything a row
    // needs about its unit is looked up once per unit here, not once per row.
    let feature_of = feature_map();
    let feature_slots: Vec<Vec<(usize, Feature, f64)>> = (0..unit_list.len())
        .map(|u| {
            feature_of
                .get(&u)
                .into_iter()
                .flatten()
                .filter(|(f, _)| *f != Feature::BedDays)
                .filter_map(|(f, w)| FEATURES.iter().position(|(x, _)| x == f).map(|i| (i, *f, *w)))
                .collect()
        })
        .collect();
    let diagnosis_of: Vec<Option<usize>> = unit_list
        .iter()
        .map(|u| {
            (u.kind == UnitKind::Diagnosis)
                .then(|| DIAGNOSES.iter().position(|(c, _)| *c == u.code))
                .flatten()
        })
        .collect();
    let mut step_names: Vec<String> = Vec::new();
    let step_index: Vec<Option<u8>> = unit_list
        .iter()
        .map(|u| {
            let step = step_of(u.kind, u.code)?;
            let at = match step_names.iter().position(|s| *s == step) {
                Some(at) => at,
                None => {
                    step_names.push(step);
                    step_names.len() - 1
                }
            };
            u8::try_from(at).ok()
        })
        .collect();
    let bed_feature = FEATURES.iter().position(|(f, _)| *f == Feature::BedDays).unwrap_or(0);
    let mut features: Vec<Vec<f64>> = vec![vec![0.0; n]; FEATURES.len()];
    let mut diagnoses: Vec<Vec<bool>> = vec![vec![false; n]; DIAGNOSES.len()];
    let mut unit_people = vec![[0u64; 2]; unit_list.len()];
    let mut unit_events = vec![[0u64; 2]; unit_list.len()];
    let mut bed_days = [0u64; 2];
    let mut bed_people = [0u64; 2];
    let mut first_uses: HashMap<u32, Vec<(i32, u8)>> = HashMap::new();
    let all_time = plan.window_of(None);
    let w = plan.describe_window;
    rows.for_each(&mut |row| {
        let pid = row.pid as usize;
        let u = usize::from(row.unit);
        let Some(unit) = unit_list.get(u) else {
            return;
        };
        if !eligible.get(pid).copied().unwrap_or(false) {
            return;
        }
        let member = in_cohort.get(pid).copied().unwrap_or(false);
        let group = usize::from(!member);
        if let Some(Some(d)) = diagnosis_of.get(u) {
            let any = row.counts.get(all_time).copied().unwrap_or(0) > 0;
            if let Some(slot) = diagnoses.get_mut(*d).and_then(|v| v.get_mut(pid)) {
                *slot |= any;
            }
            return;
        }
        if unit.kind == UnitKind::Diagnosis {
            return;
        }
        if unit.kind == UnitKind::Admission && row.bed_days > 0 {
            // A spell that began before the window still has nights inside it.
            bed_days[group] += row.bed_days as u64;
            if let Some(slot) = features.get_mut(bed_feature).and_then(|v| v.get_mut(pid)) {
                *slot += row.bed_days as f64;
            }
        }
        let count = row.counts.get(w).copied().unwrap_or(0);
        if count == 0 {
            return;
        }
        if let (Some(p), Some(e)) = (unit_people.get_mut(u), unit_events.get_mut(u)) {
            p[group] += 1;
            e[group] += u64::from(count);
        }
        for (at, feature, weight) in feature_slots.get(u).into_iter().flatten() {
            if let Some(slot) = features.get_mut(*at).and_then(|v| v.get_mut(pid)) {
                match feature {
                    Feature::Prison => *slot = 1.0,
                    Feature::Agencies => *slot += 1.0,
                    _ => *slot += f64::from(count) * weight,
                }
            }
        }
        if member
            && let Some(day) = row.first_day
            && let Some(Some(step)) = step_index.get(u)
        {
            let uses = first_uses.entry(row.pid).or_default();
            match uses.iter_mut().find(|(_, s)| s == step) {
                Some(existing) => existing.0 = existing.0.min(day),
                None => uses.push((day, *step)),
            }
        }
    });
    // People with bed days, counted per person (one person's nights may come in several rows).
    for (pid, nights) in features.get(bed_feature).into_iter().flatten().enumerate() {
        if *nights > 0.0 && eligible.get(pid).copied().unwrap_or(false) {
            bed_people[usize::from(!in_cohort.get(pid).copied().unwrap_or(false))] += 1;
        }
    }
    let first_uses: HashMap<u32, Vec<(i32, String)>> = first_uses
        .into_iter()
        .map(|(pid, uses)| {
            let named = uses
                .into_iter()
                .map(|(day, s)| (day, step_names.get(usize::from(s)).cloned().unwrap_or_default()))
                .collect();
            (pid, named)
        })
        .collect();

    // Table 1.
    let mut variables = vec![Variable {
        name: "Age at index date (years)".into(),
        values: Values::Continuous(
            people
                .birth_year
                .iter()
                .map(|y| Some(f64::from(index_year - y)))
                .collect(),
        ),
    }];
    // "Not stated" is counted as missing, not as a level.
    let sexes: Vec<Sex> = Sex::ALL.iter().copied().filter(|s| *s != Sex::NotStated).collect();
    variables.push(categorical("Sex", sexes.iter().map(|s| s.label()), &people.sex, |s| {
        sexes.iter().position(|x| x == s)
    }));
    let genders: Vec<Gender> = Gender::ALL
        .iter()
        .copied()
        .filter(|g| *g != Gender::NotStated)
        .collect();
    variables.push(categorical(
        "Gender",
        genders.iter().map(|s| s.label()),
        &people.gender,
        |g| genders.iter().position(|x| x == g),
    ));
    variables.push(categorical(
        "Ethnic group",
        EthnicGroup::ALL.iter().map(|s| s.label()),
        &people.ethnic_group,
        |s| EthnicGroup::ALL.iter().position(|x| x == s),
    ));
    variables.push(Variable {
        name: "Deprivation decile (1 = most deprived)".into(),
        values: Values::Continuous(people.deprivation.iter().map(|d| d.map(f64::from)).collect()),
    });
    for ((_, label), values) in DIAGNOSES.iter().zip(&diagnoses) {
        variables.push(Variable {
            name: (*label).into(),
            values: Values::Binary(values.iter().map(|v| Some(*v)).collect()),
        });
    }
    let months = def.window_months;
    for ((feature, label), values) in FEATURES.iter().zip(features) {
        let name = format!("{label}, last {months} months");
        let values = if *feature == Feature::Prison {
            Values::Binary(values.iter().map(|v| Some(*v > 0.0)).collect())
        } else {
            Values::Continuous(values.into_iter().map(Some).collect())
        };
        variables.push(Variable { name, values });
    }
    // Table 1 over the population on the index date only.
    let (flags, variables) = if population == n {
        (in_cohort.clone(), variables)
    } else {
        let variables = variables
            .into_iter()
            .map(|v| Variable {
                name: v.name,
                values: match v.values {
                    Values::Continuous(x) => Values::Continuous(only(&x, &eligible)),
                    Values::Binary(x) => Values::Binary(only(&x, &eligible)),
                    Values::Categorical { levels, values } => Values::Categorical {
                        levels,
                        values: only(&values, &eligible),
                    },
                },
            })
            .collect::<Vec<_>>();
        (only(&in_cohort, &eligible), variables)
    };
    let table1 = table1([def.name.clone(), "Everyone else".into()], &flags, &variables);

    // Rates: service and agency use per unit; diagnoses and referrals are not service use.
    let mut rates: Vec<Rate> = unit_list
        .iter()
        .zip(unit_people.iter().zip(&unit_events))
        .filter(|(u, (p, _))| {
            matches!(
                u.kind,
                UnitKind::Contact | UnitKind::Admission | UnitKind::WardStay | UnitKind::Detention | UnitKind::Agency
            ) && (p[0] > 0 || p[1] > 0)
        })
        .map(|(u, (p, e))| Rate {
            kind: rate_kind(u.kind),
            code: u.code.to_string(),
            people: *p,
            events: *e,
        })
        .collect();
    if bed_people.iter().any(|p| *p > 0) {
        rates.push(Rate {
            kind: crate::layout::EventKind::Admission,
            code: "bed_days".into(),
            people: bed_people,
            events: bed_days,
        });
    }

    // Pathways: the order of first use of each service by cohort members.
    let mut sequences: Vec<Vec<(i32, String)>> = first_uses
        .into_values()
        .map(|mut v| {
            v.sort();
            v
        })
        .collect();
    sequences.sort();
    let pathways: Vec<Pathway> = pathways::count(sequences.iter().map(Vec::as_slice), 3);

    Characterisation {
        cohort_name: def.name.clone(),
        index_date: def.index_date,
        window_months: def.window_months,
        population: population as u64,
        attrition,
        table1,
        rates,
        pathways,
    }
}

/// The items whose mask entry is true.
fn only<T: Copy>(values: &[T], mask: &[bool]) -> Vec<T> {
    values
        .iter()
        .zip(mask)
        .filter(|(_, keep)| **keep)
        .map(|(v, _)| *v)
        .collect()
}

fn rate_kind(kind: UnitKind) -> crate::layout::EventKind {
    use crate::layout::EventKind;
    match kind {
        UnitKind::Contact | UnitKind::NotAttended => EventKind::Contact,
        UnitKind::Referral => EventKind::Referral,
        UnitKind::Admission => EventKind::Admission,
        UnitKind::WardStay => EventKind::WardStay,
        UnitKind::Detention => EventKind::Detention,
        UnitKind::Agency => EventKind::Agency,
        UnitKind::Diagnosis => EventKind::Diagnosis,
    }
}

fn step_of(kind: UnitKind, code: &str) -> Option<String> {
    match kind {
        UnitKind::Contact => pathways::step_key(crate::layout::EventKind::Contact, code),
        UnitKind::Admission => pathways::step_key(crate::layout::EventKind::Admission, code),
        UnitKind::Detention => pathways::step_key(crate::layout::EventKind::Detention, code),
        UnitKind::Agency => pathways::step_key(crate::layout::EventKind::Agency, code),
        _ => None,
    }
}

/// Which Table 1 features each unit adds to.
fn feature_map() -> HashMap<usize, Vec<(Feature, f64)>> {
    let mut map: HashMap<usize, Vec<(Feature, f64)>> = HashMap::new();
    for (i, u) in units::all().iter().enumerate() {
        let entry = map.entry(i).or_default();
        match (u.kind, u.code) {
            (UnitKind::Admission, _) => {
                entry.push((Feature::Admissions, 1.0));
                entry.push((Feature::BedDays, 1.0));
            }
            (UnitKind::Detention, "cto") => {}
            (UnitKind::Detention, _) => entry.push((Feature::Detentions, 1.0)),
            (UnitKind::Contact, "crisis") => entry.push((Feature::Crisis, 1.0)),
            (UnitKind::Contact, _) => entry.push((Feature::Community, 1.0)),
            (UnitKind::NotAttended, _) => entry.push((Feature::NotAttended, 1.0)),
            (UnitKind::Agency, code) => {
                entry.push((Feature::Agencies, 1.0));
                if code == Agency::Ae.code() {
                    entry.push((Feature::Ae, 1.0));
                }
                if code == Agency::Police.code() || code == Agency::Custody.code() {
                    entry.push((Feature::Police, 1.0));
                }
                if code == Agency::Prison.code() {
                    entry.push((Feature::Prison, 1.0));
                }
            }
            _ => {}
        }
    }
    map
}

fn categorical<'a, T: Copy>(
    name: &str,
    labels: impl Iterator<Item = &'a str>,
    values: &[Option<T>],
    level: impl Fn(&T) -> Option<usize>,
) -> Variable {
    Variable {
        name: name.into(),
        values: Values::Categorical {
            levels: labels.map(str::to_string).collect(),
            values: values
                .iter()
                .map(|v| v.as_ref().and_then(&level).and_then(|l| u16::try_from(l).ok()))
                .collect(),
        },
    }
}
