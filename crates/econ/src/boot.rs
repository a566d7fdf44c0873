//! The non-parametric bootstrap: resampled means of each group (pathway), and percentile and
//! BCa intervals from them.
//!
//! Each replicate has its own generator, seeded from the user's seed and the replicate number,
//! so a result depends on the seed alone, never on the number of threads. Within a replicate
//! each group is resampled with replacement at its own size (a stratified bootstrap), and all of
//! a person's columns (cost, effect, categories) move together.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// One group's people: `columns` values per person, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub columns: usize,
    pub rows: Vec<f64>,
}

impl Group {
    /// A group from columns of equal length.
    pub fn from_columns(columns: &[&[f64]]) -> Group {
        let n = columns.first().map_or(0, |c| c.len());
        let mut rows = Vec::with_capacity(n * columns.len());
        for i in 0..n {
            for c in columns {
                rows.push(c.get(i).copied().unwrap_or(f64::NAN));
            }
        }
        Group {
            columns: columns.len(),
            rows,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len().checked_div(self.columns).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn column(&self, c: usize) -> impl Iterator<Item = f64> + '_ {
        self.rows.iter().skip(c).step_by(self.columns.max(1)).copied()
    }

    pub fn mean(&self, c: usize) -> f64 {
        let n = self.len();
        if n == 0 {
            return f64::NAN;
        }
        self.column(c).sum::<f64>() / n as f64
    }

    /// Leave-one-out means of column `c`.
    pub fn jackknife_means(&self, c: usize) -> Vec<f64> {
        let n = self.len();
        if n < 2 {
            return Vec::new();
        }
        let sum: f64 = self.column(c).sum();
        self.column(c).map(|x| (sum - x) / (n - 1) as f64).collect()
    }
}

/// The means of every group's columns in every replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct Replicates {
    pub replicates: usize,
    pub groups: usize,
    pub columns: usize,
    /// `[replicate][group][column]`, flattened.
    pub means: Vec<f64>,
}

impl Replicates {
    pub fn mean(&self, replicate: usize, group: usize, column: usize) -> f64 {
        self.means
            .get((replicate * self.groups + group) * self.columns + column)
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// One group's column over the replicates.
    pub fn series(&self, group: usize, column: usize) -> Vec<f64> {
        (0..self.replicates).map(|r| self.mean(r, group, column)).collect()
    }

    /// `group − reference` for a column over the replicates.
    pub fn difference(&self, group: usize, reference: usize, column: usize) -> Vec<f64> {
        (0..self.replicates)
            .map(|r| self.mean(r, group, column) - self.mean(r, reference, column))
            .collect()
    }
}

/// The generator of replicate `r` under `seed`.
pub fn replicate_rng(seed: u64, r: u64) -> Xoshiro256PlusPlus {
    // seed_from_u64 runs SplitMix64 over its input, so neighbouring replicates get unrelated
    // streams; the multiplier spreads (seed, r) pairs before that.
    Xoshiro256PlusPlus::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ r)
}

/// Unbiased indices below `n` (at most 2^32), two from each 64-bit output: Lemire's
/// multiply-and-reject on 32-bit halves.
struct Indices<'a> {
    rng: &'a mut Xoshiro256PlusPlus,
    n: u64,
    threshold: u32,
}

impl Indices<'_> {
    fn new(rng: &mut Xoshiro256PlusPlus, n: usize) -> Indices<'_> {
        let n32 = u32::try_from(n).unwrap_or(u32::MAX);
        Indices {
            rng,
            n: u64::from(n32),
            threshold: n32.wrapping_neg() % n32.max(1),
        }
    }

    #[inline]
    fn one(&mut self, x: u32) -> usize {
        let mut m = u64::from(x) * self.n;
        while (m as u32) < self.threshold {
            m = u64::from(self.rng.next_u64() as u32) * self.n;
        }
        (m >> 32) as usize
    }

    #[inline]
    fn pair(&mut self) -> (usize, usize) {
        let r = self.rng.next_u64();
        (self.one(r as u32), self.one((r >> 32) as u32))
    }
}

/// Sums of a group's columns over one resample of it.
#[inline]
fn resample_sums(group: &Group, rng: &mut Xoshiro256PlusPlus, sums: &mut [f64]) {
    let n = group.len();
    let columns = group.columns;
    sums.iter_mut().for_each(|s| *s = 0.0);
    if n == 0 {
        return;
    }
    let rows = group.rows.as_slice();
    let mut draws = Indices::new(rng, n);
    match columns {
        1 => {
            // Two accumulators, so the additions do not wait on each other.
            let (mut a, mut b) = (0.0, 0.0);
            for _ in 0..n / 2 {
                let (i, j) = draws.pair();
                a += rows.get(i).copied().unwrap_or(0.0);
                b += rows.get(j).copied().unwrap_or(0.0);
            }
            if n % 2 == 1 {
                let (i, _) = draws.pair();
                a += rows.get(i).copied().unwrap_or(0.0);
            }
            if let Some(x) = sums.first_mut() {
                *x = a + b;
            }
        }
        2 => {
            let (mut c0, mut e0, mut c1, mut e1) = (0.0, 0.0, 0.0, 0.0);
            let at = |i: usize| match rows.get(2 * i..2 * i + 2) {
                Some([c, e]) => (*c, *e),
                _ => (0.0, 0.0),
            };
            for _ in 0..n / 2 {
                let (i, j) = draws.pair();
                let (ci, ei) = at(i);
                let (cj, ej) = at(j);
                c0 += ci;
                e0 += ei;
                c1 += cj;
                e1 += ej;
            }
            if n % 2 == 1 {
                let (i, _) = draws.pair();
                let (ci, ei) = at(i);
                c0 += ci;
                e0 += ei;
            }
            if let [c, e] = sums {
                *c = c0 + c1;
                *e = e0 + e1;
            }
        }
        _ => {
            // Wide groups are rare (the evaluation resamples one or two columns): one index per
            // draw keeps this simple.
            for _ in 0..n {
                let (i, _) = draws.pair();
                if let Some(row) = rows.get(i * columns..(i + 1) * columns) {
                    for (s, x) in sums.iter_mut().zip(row) {
                        *s += x;
                    }
                }
            }
        }
    }
}

/// Resamples every group `replicates` times and keeps the means, in parallel over replicates.
pub fn resample(groups: &[Group], replicates: usize, seed: u64) -> Replicates {
    let columns = groups.first().map_or(0, |g| g.columns);
    let width = groups.len() * columns;
    let mut means = vec![0.0; replicates * width];
    means
        .par_chunks_mut(width.max(1))
        .enumerate()
        .with_min_len(16)
        .for_each(|(r, out)| {
            let mut rng = replicate_rng(seed, r as u64);
            let mut sums = vec![0.0; columns];
            for (g, group) in groups.iter().enumerate() {
                resample_sums(group, &mut rng, &mut sums);
                let n = group.len().max(1) as f64;
                for (c, s) in sums.iter().enumerate() {
                    if let Some(slot) = out.get_mut(g * columns + c) {
                        *slot = s / n;
                    }
                }
            }
        });
    Replicates {
        replicates,
        groups: groups.len(),
        columns,
        means,
    }
}

/// The `p` quantile (0..=1) of sorted values, interpolating linearly between order statistics
/// (the default of numpy and R's type 7).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let pos = p * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let a = *sorted.get(lo)?;
    let b = *sorted.get(hi)?;
    Some(a + (b - a) * (pos - lo as f64))
}

/// An interval, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Interval {
    Range { low: f64, high: f64 },
    Unavailable { why: String },
}

impl Interval {
    pub fn range(&self) -> Option<(f64, f64)> {
        match self {
            Interval::Range { low, high } => Some((*low, *high)),
            Interval::Unavailable { .. } => None,
        }
    }
}

fn sorted_finite(values: &[f64]) -> Option<Vec<f64>> {
    if values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    Some(s)
}

/// The percentile interval at confidence `level` (e.g. 0.95).
pub fn percentile(replicates: &[f64], level: f64) -> Interval {
    let Some(sorted) = sorted_finite(replicates) else {
        return Interval::Unavailable {
            why: "some resamples have no value".into(),
        };
    };
    let alpha = (1.0 - level) / 2.0;
    match (quantile_sorted(&sorted, alpha), quantile_sorted(&sorted, 1.0 - alpha)) {
        (Some(low), Some(high)) => Interval::Range { low, high },
        _ => Interval::Unavailable {
            why: "no resamples".into(),
        },
    }
}

/// The BCa pieces: bias correction `z0` and acceleration `a`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BcaParts {
    pub z0: f64,
    pub acceleration: f64,
}

/// z0 and a as Efron & Tibshirani (1993, §14.3 and for several samples §14.15) define them, with
/// ties counted half (as SciPy does): `jackknife` holds, per sample, the statistic with each of
/// that sample's people left out in turn.
pub fn bca_parts(replicates: &[f64], observed: f64, jackknife: &[Vec<f64>]) -> Result<BcaParts, String> {
    let b = replicates.len();
    if b == 0 {
        return Err("no resamples".into());
    }
    let below = replicates.iter().filter(|&&x| x < observed).count();
    let at_or_below = replicates.iter().filter(|&&x| x <= observed).count();
    let share = (below + at_or_below) as f64 / (2 * b) as f64;
    if share <= 0.0 || share >= 1.0 {
        return Err("the observed value lies outside every resample, so the bias cannot be corrected".into());
    }
    let normal = standard_normal();
    let z0 = normal.inverse_cdf(share);
    let (mut num, mut den) = (0.0, 0.0);
    for sample in jackknife {
        let n = sample.len();
        if n < 2 {
            return Err(format!(
                "a group has {n} {}: the acceleration needs at least two",
                if n == 1 { "person" } else { "people" }
            ));
        }
        let mean = sample.iter().sum::<f64>() / n as f64;
        let nf = n as f64;
        for &t in sample {
            let u = (nf - 1.0) * (mean - t);
            num += u * u * u / (nf * nf * nf);
            den += u * u / (nf * nf);
        }
    }
    let acceleration = if den > 0.0 { num / (6.0 * den.powf(1.5)) } else { 0.0 };
    if !z0.is_finite() || !acceleration.is_finite() {
        return Err("the bias correction is not finite".into());
    }
    Ok(BcaParts { z0, acceleration })
}

fn standard_normal() -> Normal {
    // Mean 0, sd 1 is always a valid normal distribution.
    Normal::standard()
}

/// The adjusted tail probabilities of the BCa interval at confidence `level`.
pub fn bca_levels(parts: BcaParts, level: f64) -> (f64, f64) {
    let normal = standard_normal();
    let alpha = (1.0 - level) / 2.0;
    let adjust = |z: f64| {
        let s = parts.z0 + z;
        normal.cdf(parts.z0 + s / (1.0 - parts.acceleration * s))
    };
    (
        adjust(normal.inverse_cdf(alpha)),
        adjust(normal.inverse_cdf(1.0 - alpha)),
    )
}

/// The bias-corrected and accelerated interval at confidence `level`.
pub fn bca(replicates: &[f64], observed: f64, jackknife: &[Vec<f64>], level: f64) -> Interval {
    let Some(sorted) = sorted_finite(replicates) else {
        return Interval::Unavailable {
            why: "some resamples have no value".into(),
        };
    };
    if sorted.first() == sorted.last() {
        let v = sorted.first().copied().unwrap_or(observed);
        return Interval::Range { low: v, high: v };
    }
    let parts = match bca_parts(&sorted, observed, jackknife) {
        Ok(p) => p,
        Err(why) => return Interval::Unavailable { why },
    };
    let (lo, hi) = bca_levels(parts, level);
    match (quantile_sorted(&sorted, lo), quantile_sorted(&sorted, hi)) {
        (Some(low), Some(high)) => Interval::Range { low, high },
        _ => Interval::Unavailable {
            why: "the adjusted levels fall outside the resamples".into(),
        },
    }
}

/// Jackknife values of `mean(group) − mean(reference)` of a column: per sample, each person left
/// out in turn.
pub fn jackknife_difference(group: &Group, reference: &Group, column: usize) -> Vec<Vec<f64>> {
    let g = group.mean(column);
    let r = reference.mean(column);
    vec![
        group.jackknife_means(column).into_iter().map(|m| m - r).collect(),
        reference.jackknife_means(column).into_iter().map(|m| g - m).collect(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<Group> {
        vec![
            Group::from_columns(&[&[1.0, 2.0, 3.0, 10.0], &[0.5, 0.6, 0.7, 0.8]]),
            Group::from_columns(&[&[0.0, 0.0, 5.0], &[0.1, 0.2, 0.3]]),
        ]
    }

    #[test]
    fn same_seed_same_answer_whatever_the_threads() {
        let a = resample(&groups(), 500, 42);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let b = pool.install(|| resample(&groups(), 500, 42));
        assert_eq!(a, b);
        let c = resample(&groups(), 500, 43);
        assert_ne!(a, c);
    }

    #[test]
    fn resampled_means_are_means_of_resamples() {
        let r = resample(&groups(), 2000, 1);
        // Each replicate mean of group 1's cost is a mean of three of {0, 0, 5}: a multiple of 5/3.
        for x in r.series(1, 0) {
            let k = x * 3.0 / 5.0;
            assert!((k - k.round()).abs() < 1e-9 && (0.0..=3.0).contains(&k));
        }
        // Their average is close to the sample mean.
        let avg: f64 = r.series(0, 0).iter().sum::<f64>() / 2000.0;
        assert!((avg - 4.0).abs() < 0.2, "{avg}");
        // Columns move together: cost 10 always comes with effect 0.8.
        let single = resample(&[Group::from_columns(&[&[10.0, 20.0], &[1.0, 2.0]])], 100, 3);
        for rep in 0..100 {
            assert!((single.mean(rep, 0, 0) - 10.0 * single.mean(rep, 0, 1)).abs() < 1e-9);
        }
    }

    #[test]
    fn bounded_integers_cover_the_range_evenly() {
        let mut rng = replicate_rng(9, 0);
        let mut draws = Indices::new(&mut rng, 7);
        let mut counts = [0u32; 7];
        for _ in 0..35_000 {
            let (a, b) = draws.pair();
            counts[a] += 1;
            counts[b] += 1;
        }
        assert!(counts.iter().all(|&c| (9_500..10_500).contains(&c)), "{counts:?}");
        // Every index is below n, also for n = 1.
        let mut one = Indices::new(&mut rng, 1);
        assert!((0..100).all(|_| one.pair() == (0, 0)));
    }

    #[test]
    fn odd_and_wide_groups_resample_too() {
        let g = Group::from_columns(&[&[1.0, 2.0, 3.0], &[1.0, 1.0, 1.0], &[5.0, 5.0, 5.0]]);
        let r = resample(std::slice::from_ref(&g), 200, 4);
        for rep in 0..200 {
            assert_eq!(r.mean(rep, 0, 1), 1.0);
            assert_eq!(r.mean(rep, 0, 2), 5.0);
            assert!((1.0..=3.0).contains(&r.mean(rep, 0, 0)));
        }
    }

    #[test]
    fn quantiles_match_numpy_linear() {
        let s = [1.0, 2.0, 4.0, 8.0];
        // numpy.percentile([1,2,4,8], [25, 50, 90]) = [1.75, 3.0, 6.8]
        assert!((quantile_sorted(&s, 0.25).unwrap() - 1.75).abs() < 1e-12);
        assert!((quantile_sorted(&s, 0.5).unwrap() - 3.0).abs() < 1e-12);
        assert!((quantile_sorted(&s, 0.9).unwrap() - 6.8).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn edges_say_why_rather_than_print_nan() {
        // All costs zero: every resample gives zero, the interval is the point.
        let zeros = vec![0.0; 100];
        assert_eq!(
            bca(&zeros, 0.0, &[vec![0.0; 5]], 0.95),
            Interval::Range { low: 0.0, high: 0.0 }
        );
        assert_eq!(percentile(&zeros, 0.95), Interval::Range { low: 0.0, high: 0.0 });
        // One person: no acceleration.
        let reps = [1.0, 2.0, 3.0];
        match bca(&reps, 2.0, &[Vec::new()], 0.95) {
            Interval::Unavailable { why } => assert!(why.contains("0 people") || why.contains("at least two")),
            other => panic!("{other:?}"),
        }
        // The observed value below every resample.
        match bca(&reps, 0.0, &[vec![1.0, 2.0]], 0.95) {
            Interval::Unavailable { why } => assert!(why.contains("outside")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            percentile(&[1.0, f64::NAN], 0.95),
            Interval::Unavailable { .. }
        ));
    }
}
