//! Table 1: the cohort beside the rest of the population.
//!
//! Continuous variables: n, missing, mean (sample SD), median [Q1, Q3] with quantiles by linear
//! interpolation (Hyndman & Fan type 7, the default of R and numpy). Categorical variables:
//! n (%) of the non-missing, and missing. Standardised mean differences: for continuous
//! variables (m₁ − m₂) / √((s₁² + s₂²)/2); for categorical ones the multi-level form of Yang &
//! Dalton (2012), √((p₁ − p₂)ᵀ S⁻¹ (p₁ − p₂)) over all levels but the first, which for two
//! levels is the usual binary SMD. The same formulas as R's `tableone`.

use rayon::prelude::*;
use serde::Serialize;

/// One variable's values for every person (in the same order as the group flags).
#[derive(Debug, Clone)]
pub enum Values {
    Continuous(Vec<Option<f64>>),
    /// Level index per person, `None` for missing.
    Categorical {
        levels: Vec<String>,
        values: Vec<Option<u16>>,
    },
    /// Yes/no: reported as the "yes" line only.
    Binary(Vec<Option<bool>>),
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub values: Values,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContinuousSummary {
    pub n: u64,
    pub missing: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub median: Option<f64>,
    pub q1: Option<f64>,
    pub q3: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Level {
    pub label: String,
    /// Cohort, then the rest.
    pub counts: [u64; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Row {
    Continuous {
        name: String,
        groups: [ContinuousSummary; 2],
        smd: Option<f64>,
    },
    Categorical {
        name: String,
        levels: Vec<Level>,
        missing: [u64; 2],
        smd: Option<f64>,
        binary: bool,
    },
}

impl Row {
    pub fn name(&self) -> &str {
        match self {
            Row::Continuous { name, .. } | Row::Categorical { name, .. } => name,
        }
    }
}

/// Table 1 before disclosure control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1 {
    /// Group names: the cohort, then the rest.
    pub groups: [String; 2],
    pub n: [u64; 2],
    pub rows: Vec<Row>,
}

/// Builds Table 1. `in_cohort[i]` says which group person `i` is in.
#[allow(clippy::indexing_slicing)] // `g`/`group` is 0 or 1 and indexes `[_; 2]` arrays
pub fn table1(groups: [String; 2], in_cohort: &[bool], variables: &[Variable]) -> Table1 {
    let n_cohort = in_cohort.iter().filter(|b| **b).count() as u64;
    let n = [n_cohort, in_cohort.len() as u64 - n_cohort];
    // Variables are summarised in parallel: each is independent, and each is millions of values.
    let rows = variables
        .par_iter()
        .map(|v| match &v.values {
            Values::Continuous(values) => {
                let [a, b] = split(in_cohort, values);
                let groups = [
                    summarise(&a, values_missing(in_cohort, values, true)),
                    summarise(&b, values_missing(in_cohort, values, false)),
                ];
                let smd = smd_continuous(&groups[0], &groups[1]);
                Row::Continuous {
                    name: v.name.clone(),
                    groups,
                    smd,
                }
            }
            Values::Categorical { .. } | Values::Binary(_) => {
                let (levels, values, binary) = match &v.values {
                    Values::Categorical { levels, values } => (levels.clone(), values.clone(), false),
                    Values::Binary(values) => (
                        vec!["No".to_string(), "Yes".to_string()],
                        values.iter().map(|b| b.map(u16::from)).collect(),
                        true,
                    ),
                    Values::Continuous(_) => (Vec::new(), Vec::new(), false),
                };
                let mut counts = vec![[0u64; 2]; levels.len()];
                let mut missing = [0u64; 2];
                for (flag, value) in in_cohort.iter().zip(&values) {
                    let g = usize::from(!*flag);
                    match value.and_then(|l| counts.get_mut(usize::from(l))) {
                        Some(c) => c[g] += 1,
                        None => missing[g] += 1,
                    }
                }
                let smd = smd_categorical(&counts);
                let levels = levels
                    .iter()
                    .zip(counts)
                    .map(|(label, counts)| Level {
                        label: label.clone(),
                        counts,
                    })
                    .collect();
                Row::Categorical {
                    name: v.name.clone(),
                    levels,
                    missing,
                    smd,
                    binary,
                }
            }
        })
        .collect();
    Table1 { groups, n, rows }
}

fn split(in_cohort: &[bool], values: &[Option<f64>]) -> [Vec<f64>; 2] {
    let mut out = [Vec::new(), Vec::new()];
    for (flag, value) in in_cohort.iter().zip(values) {
        if let Some(v) = value {
            let target = if *flag { &mut out[0] } else { &mut out[1] };
            target.push(*v);
        }
    }
    out
}

fn values_missing(in_cohort: &[bool], values: &[Option<f64>], cohort: bool) -> u64 {
    in_cohort
        .iter()
        .zip(values)
        .filter(|(f, v)| **f == cohort && v.is_none())
        .count() as u64
}

/// Summary of the non-missing values of one group.
pub fn summarise(values: &[f64], missing: u64) -> ContinuousSummary {
    let n = values.len();
    if n == 0 {
        return ContinuousSummary {
            n: 0,
            missing,
            mean: None,
            sd: None,
            median: None,
            q1: None,
            q3: None,
        };
    }
    let mean = kahan_sum(values.iter().copied()) / n as f64;
    let sd = (n > 1).then(|| {
        let ss = kahan_sum(values.iter().map(|v| (v - mean) * (v - mean)));
        (ss / (n as f64 - 1.0)).sqrt()
    });
    // Quartiles by selection rather than a full sort: Table 1 summarises millions of values.
    let mut work = values.to_vec();
    let [q1, median, q3] = quartiles(&mut work);
    ContinuousSummary {
        n: n as u64,
        missing,
        mean: Some(mean),
        sd,
        median,
        q1,
        q3,
    }
}

/// Q1, median and Q3 (type 7) of unsorted values, reordering them.
fn quartiles(values: &mut [f64]) -> [Option<f64>; 3] {
    let n = values.len();
    if n == 0 {
        return [None; 3];
    }
    [0.25, 0.5, 0.75].map(|p| {
        let h = (n as f64 - 1.0) * p;
        let lo = h.floor() as usize;
        let (_, low, rest) = values.select_nth_unstable_by(lo, f64::total_cmp);
        let a = *low;
        // The next order statistic is the smallest value above position `lo`.
        let b = if lo + 1 < n {
            rest.iter().copied().fold(f64::INFINITY, f64::min)
        } else {
            a
        };
        Some(a + (h - lo as f64) * (b - a))
    })
}

fn kahan_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for v in values {
        let y = v - c;
        let t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    sum
}

/// Quantile of sorted values by linear interpolation between order statistics (type 7).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n as f64 - 1.0) * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (h - lo as f64) * (b - a))
}

/// SMD of two continuous summaries; `None` when it is undefined (a group empty, or both SDs
/// zero with equal means is 0, with different means undefined).
pub fn smd_continuous(a: &ContinuousSummary, b: &ContinuousSummary) -> Option<f64> {
    let (m1, m2) = (a.mean?, b.mean?);
    let (s1, s2) = (a.sd.unwrap_or(0.0), b.sd.unwrap_or(0.0));
    let pooled = ((s1 * s1 + s2 * s2) / 2.0).sqrt();
    if pooled == 0.0 {
        return (m1 == m2).then_some(0.0);
    }
    Some((m1 - m2) / pooled)
}

/// Multi-level SMD (Yang & Dalton 2012) from level counts per group (non-missing only).
/// Always non-negative; `None` if a group has no non-missing values or the covariance is
/// singular in a way that leaves it undefined.
pub fn smd_categorical(counts: &[[u64; 2]]) -> Option<f64> {
    let totals = [
        counts.iter().map(|c| c[0]).sum::<u64>(),
        counts.iter().map(|c| c[1]).sum::<u64>(),
    ];
    if totals[0] == 0 || totals[1] == 0 || counts.len() < 2 {
        return None;
    }
    let p: Vec<[f64; 2]> = counts
        .iter()
        .map(|c| [c[0] as f64 / totals[0] as f64, c[1] as f64 / totals[1] as f64])
        .collect();
    // Drop the first level; the remaining k-1 proportions carry all the information.
    let rest = p.get(1..)?;
    let k = rest.len();
    let diff: Vec<f64> = rest.iter().map(|q| q[0] - q[1]).collect();
    if diff.iter().all(|d| *d == 0.0) {
        return Some(0.0);
    }
    let mut s = vec![vec![0.0; k]; k];
    for (i, row) in s.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            let (pi, pj) = (rest.get(i)?, rest.get(j)?);
            *cell = if i == j {
                (pi[0] * (1.0 - pi[0]) + pi[1] * (1.0 - pi[1])) / 2.0
            } else {
                -(pi[0] * pj[0] + pi[1] * pj[1]) / 2.0
            };
        }
    }
    // Levels present in neither group make S singular; drop them (their difference is 0).
    let keep: Vec<usize> = (0..k)
        .filter(|i| s.get(*i).and_then(|r| r.get(*i)).is_some_and(|v| *v > 0.0))
        .collect();
    let s: Vec<Vec<f64>> = keep
        .iter()
        .map(|i| {
            keep.iter()
                .map(|j| s.get(*i).and_then(|r| r.get(*j)).copied().unwrap_or(0.0))
                .collect()
        })
        .collect();
    let d: Vec<f64> = keep.iter().map(|i| diff.get(*i).copied().unwrap_or(0.0)).collect();
    let x = solve(s, d.clone())?;
    let q: f64 = d.iter().zip(&x).map(|(a, b)| a * b).sum();
    (q >= 0.0).then(|| q.sqrt())
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` if singular.
#[allow(clippy::indexing_slicing, clippy::needless_range_loop)] // indices are bounded by n, the checked size of `a` and `b`
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    if a.len() != n || a.iter().any(|r| r.len() != n) {
        return None;
    }
    for col in 0..n {
        let pivot = (col..n).max_by(|i, j| a[*i][col].abs().total_cmp(&a[*j][col].abs()))?;
        if a[pivot][col].abs() < 1e-15 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_as_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&v, 0.25), Some(1.75));
        assert_eq!(quantile_sorted(&v, 0.75), Some(3.25));
        assert_eq!(quantile_sorted(&[7.0], 0.25), Some(7.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn by_hand_summary_and_smds() {
        // Cohort 2, 4, 4, 4, 5, 5, 7, 9: mean 5, SD √(32/7).
        let s = summarise(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 1);
        assert_eq!(s.mean, Some(5.0));
        assert!((s.sd.unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!((s.q1, s.median, s.q3), (Some(4.0), Some(4.5), Some(5.5)));
        // Binary: 30% vs 10%: (0.3-0.1)/√((0.21+0.09)/2) = 0.2/√0.15.
        let smd = smd_categorical(&[[7, 9], [3, 1]]).unwrap();
        assert!((smd - 0.2 / 0.15f64.sqrt()).abs() < 1e-12, "{smd}");
        // Identical distributions: 0. An empty group: undefined.
        assert_eq!(smd_categorical(&[[2, 4], [3, 6], [5, 10]]), Some(0.0));
        assert_eq!(smd_categorical(&[[0, 4], [0, 6]]), None);
        let zero = summarise(&[3.0, 3.0], 0);
        assert_eq!(smd_continuous(&zero, &zero), Some(0.0));
        assert_eq!(smd_continuous(&zero, &summarise(&[4.0, 4.0], 0)), None);
    }

    proptest::proptest! {
        /// Selection gives exactly the quartiles a full sort gives.
        #[test]
        fn quartiles_by_selection_match_the_sorted_definition(values in proptest::collection::vec(-50i32..50, 1..60)) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let mut work = values.clone();
            let got = quartiles(&mut work);
            let want = [0.25, 0.5, 0.75].map(|p| quantile_sorted(&sorted, p));
            proptest::prop_assert_eq!(got, want);
        }
    }
}
