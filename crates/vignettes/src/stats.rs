//! The statistics of a decision study: the difference between two proportions with a 95% interval,
//! and logistic regression with odds ratios. Checked against statsmodels (see
//! `tests/fixtures/generate_stats.py`).
//!
//! Methods, plainly:
//!
//! - **Difference in proportions** ([`difference_in_proportions`]): p_a − p_b, where a is the level
//!   of interest and b the reference level. Its standard error is the unpooled Wald one,
//!   √(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b); the 95% interval is the difference ± z·SE with
//!   z = Φ⁻¹(0.975) ≈ 1.959964 (not clipped to [−1, 1]); the test of "no difference" is the Wald z
//!   test z = difference / SE (the same unpooled SE) with a two-sided normal p-value. This is
//!   statsmodels' `confint_proportions_2indep` and `test_proportions_2indep` with
//!   `method="wald", compare="diff"`.
//! - **Logistic regression** ([`logistic`], [`logistic_levels`]): maximum likelihood with an
//!   intercept, fitted by Newton–Raphson (equivalently iteratively reweighted least squares) from
//!   all coefficients zero, halving a step if it would lower the likelihood, stopping when no
//!   coefficient moves by 1e-8 or more (at most 50 steps). Standard errors come from the inverse of
//!   the information matrix XᵀWX at the estimate; z = estimate / SE, two-sided normal p-values, 95%
//!   Wald intervals estimate ± z·SE, odds ratio exp(estimate) with interval exp(low)..exp(high).
//!   This is statsmodels' `Logit(y, add_constant(X)).fit()`.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

/// The name given to the intercept in a [`LogisticFit`].
pub const INTERCEPT: &str = "(intercept)";

/// Most Newton–Raphson steps taken before giving up.
pub const MAX_ITERATIONS: usize = 50;

/// A step smaller than this in every coefficient ends the iteration (statsmodels' default).
const TOLERANCE: f64 = 1e-8;

/// A fitted probability this close to 0 or 1 is taken as a sign of separation.
const SEPARATION_PROBABILITY: f64 = 1e-10;

/// What is wrong with the data given to a statistic.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    #[error("{group} has no respondents (n = 0), so its proportion cannot be worked out")]
    EmptyGroup { group: &'static str },
    #[error("{group} has more yes answers ({yes}) than respondents ({n})")]
    MoreYesThanRespondents { group: &'static str, yes: u64, n: u64 },
    #[error("there are {answers} answers but {rows} rows of covariates; each respondent needs one of each")]
    RowCountMismatch { answers: usize, rows: usize },
    #[error("row {row} has {found} covariate values but {expected} covariates are named")]
    RowWidthMismatch { row: usize, found: usize, expected: usize },
    #[error("the covariate {name} is not a finite number in row {row}")]
    NotFinite { name: String, row: usize },
    #[error(
        "{rows} respondents are too few to estimate {parameters} coefficients (the intercept and one per covariate): \
         at least {parameters} are needed"
    )]
    TooFewRows { rows: usize, parameters: usize },
    #[error("every respondent answered {answer}, so there is nothing to compare and no odds ratio can be estimated")]
    SameAnswer { answer: &'static str },
    #[error(
        "the covariate {name} has the same value for every respondent, so its effect cannot be told apart from the \
         intercept"
    )]
    ConstantCovariate { name: String },
    #[error(
        "the covariate {name} is an exact combination of the intercept and the covariates before it, so its effect \
         cannot be told apart from theirs (the design is not of full rank)"
    )]
    Collinear { name: String },
    #[error(
        "the answers are completely separated by {name}: every respondent shown it answered the same, so its odds \
         ratio cannot be estimated"
    )]
    Separated { name: String },
    #[error("the logistic regression did not converge after {iterations} iterations")]
    NotConverged { iterations: usize },
    #[error("the attribute {attribute} has {}; a factorial attribute needs at least two", count_levels(*.levels))]
    TooFewLevels { attribute: String, levels: usize },
    #[error("the attribute {attribute} lists the level {level} twice")]
    DuplicateLevel { attribute: String, level: String },
    #[error("row {row} gives {found} levels but there are {expected} attributes; it needs one level of each")]
    LevelCountMismatch { row: usize, found: usize, expected: usize },
    #[error("row {row}: {level} is not a level of the attribute {attribute}")]
    UnknownLevel {
        row: usize,
        attribute: String,
        level: String,
    },
    #[error("no respondent was shown {attribute}: {level}, so its odds ratio cannot be estimated")]
    LevelNotShown { attribute: String, level: String },
}

fn count_levels(levels: usize) -> String {
    match levels {
        0 => "no levels".to_owned(),
        1 => "one level".to_owned(),
        n => format!("{n} levels"),
    }
}

/// Φ⁻¹(0.975), the multiplier of a two-sided 95% normal interval (≈ 1.959963984540054).
pub fn z_975() -> f64 {
    Normal::standard().inverse_cdf(0.975)
}

/// The two-sided normal p-value of a z statistic: 2·Φ(−|z|).
pub fn two_sided_p(z: f64) -> f64 {
    2.0 * Normal::standard().cdf(-z.abs())
}

/// p_a − p_b with its unpooled Wald standard error, 95% interval and z test.
/// Index 0 of the arrays is group a (the level), index 1 group b (the reference level).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProportionDifference {
    pub yes: [u64; 2],
    pub n: [u64; 2],
    pub p: [f64; 2],
    /// p_a − p_b.
    pub difference: f64,
    /// √(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b).
    pub se: f64,
    /// difference − z₀.₉₇₅·SE.
    pub low: f64,
    /// difference + z₀.₉₇₅·SE.
    pub high: f64,
    /// difference / SE; `None` when SE is 0 (every answer in each group the same).
    pub z: Option<f64>,
    /// 2·Φ(−|z|). When SE is 0 this follows statsmodels: `None` (its NaN) if the proportions are
    /// equal, and `Some(0.0)` (its z = ∞) if they differ.
    pub p_value: Option<f64>,
}

/// The difference in the proportion answering yes between group a (the level, `yes_a` of `n_a`)
/// and group b (the reference level, `yes_b` of `n_b`): p_a − p_b, its unpooled Wald standard
/// error √(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b), the 95% interval difference ± 1.959964·SE (not
/// clipped), and the two-sided Wald z test of no difference using the same SE. Matches
/// statsmodels' `confint_proportions_2indep` / `test_proportions_2indep` with
/// `method="wald", compare="diff"`.
pub fn difference_in_proportions(
    yes_a: u64,
    n_a: u64,
    yes_b: u64,
    n_b: u64,
) -> Result<ProportionDifference, StatsError> {
    let pa = proportion("the level (group a)", yes_a, n_a)?;
    let pb = proportion("the reference level (group b)", yes_b, n_b)?;
    let difference = pa - pb;
    let se = (pa * (1.0 - pa) / n_a as f64 + pb * (1.0 - pb) / n_b as f64).sqrt();
    let half = z_975() * se;
    let (z, p_value) = if se > 0.0 {
        let z = difference / se;
        (Some(z), Some(two_sided_p(z)))
    } else if difference == 0.0 {
        (None, None)
    } else {
        (None, Some(0.0))
    };
    Ok(ProportionDifference {
        yes: [yes_a, yes_b],
        n: [n_a, n_b],
        p: [pa, pb],
        difference,
        se,
        low: difference - half,
        high: difference + half,
        z,
        p_value,
    })
}

fn proportion(group: &'static str, yes: u64, n: u64) -> Result<f64, StatsError> {
    if n == 0 {
        return Err(StatsError::EmptyGroup { group });
    }
    if yes > n {
        return Err(StatsError::MoreYesThanRespondents { group, yes, n });
    }
    Ok(yes as f64 / n as f64)
}

/// One coefficient of a logistic regression, on the log-odds scale and as an odds ratio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    pub name: String,
    /// The log odds ratio (for the intercept, the log odds at the reference levels / zero covariates).
    pub estimate: f64,
    pub se: f64,
    /// estimate / SE.
    pub z: f64,
    /// 2·Φ(−|z|).
    pub p_value: f64,
    /// estimate − 1.959964·SE.
    pub low: f64,
    /// estimate + 1.959964·SE.
    pub high: f64,
    /// exp(estimate).
    pub odds_ratio: f64,
    /// exp(low).
    pub odds_ratio_low: f64,
    /// exp(high).
    pub odds_ratio_high: f64,
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogisticFit {
    /// The intercept first (named [`INTERCEPT`]), then one per covariate in the order given.
    pub coefficients: Vec<Coefficient>,
    /// Respondents (rows).
    pub n: usize,
    /// Σ y·log p + (1−y)·log(1−p) at the estimate.
    pub log_likelihood: f64,
    /// The log-likelihood of the intercept-only model: n·(ȳ·log ȳ + (1−ȳ)·log(1−ȳ)).
    pub null_log_likelihood: f64,
    /// Newton–Raphson steps taken.
    pub iterations: usize,
    /// Always true in a returned fit (not converging is an error); kept for reports.
    pub converged: bool,
}

impl LogisticFit {
    /// The coefficient with this name.
    pub fn coefficient(&self, name: &str) -> Option<&Coefficient> {
        self.coefficients.iter().find(|c| c.name == name)
    }
}

/// Logistic regression of `y` (true = yes) on the covariates `x` (one row per respondent, one
/// value per name in `names`, without the intercept, which is added). Errors, in this order:
/// rows and names that do not line up, values that are not finite, fewer respondents than
/// coefficients, every answer the same, a constant covariate or one that is an exact combination of
/// the ones before it, separation (a 0/1 covariate whose respondents with 1 all answered the same,
/// or, during the fit, a fitted probability within 1e-10 of 0 or 1), and not converging within
/// [`MAX_ITERATIONS`] steps. Rows in errors count from 1.
pub fn logistic(y: &[bool], x: &[Vec<f64>], names: &[String]) -> Result<LogisticFit, StatsError> {
    let design = prepare(y, x, names)?;
    // A 0/1 covariate whose "1" respondents all answered alike: its coefficient runs to ±∞.
    for (j, name) in names.iter().enumerate() {
        let column = || x.iter().map(move |row| row.get(j).copied().unwrap_or(f64::NAN));
        if column().all(|v| v == 0.0 || v == 1.0) {
            let shown = y.iter().zip(column()).filter(|(_, v)| *v == 1.0).map(|(a, _)| *a);
            if all_same(shown) {
                return Err(StatsError::Separated { name: name.clone() });
            }
        }
    }
    irls(y, &design)
}

/// Logistic regression for a factorial design. Each row gives one level per factor (in the order of
/// `factors`) and the answer. Each factor `(attribute, levels)` is dummy-coded with its first
/// listed level as the reference: one covariate per other level, named
/// `"attribute: level (vs reference)"`. Besides the errors of [`logistic`]: a factor with fewer
/// than two levels or a level listed twice, a row with the wrong number of levels or a level that
/// is not listed, a level no respondent was shown, and separation by a level (every respondent
/// shown it answered the same; the name in the error is `"attribute: level"`).
pub fn logistic_levels(
    rows: &[(Vec<String>, bool)],
    factors: &[(String, Vec<String>)],
) -> Result<LogisticFit, StatsError> {
    for (attribute, levels) in factors {
        if levels.len() < 2 {
            return Err(StatsError::TooFewLevels {
                attribute: attribute.clone(),
                levels: levels.len(),
            });
        }
        for (i, level) in levels.iter().enumerate() {
            if levels.iter().take(i).any(|l| l == level) {
                return Err(StatsError::DuplicateLevel {
                    attribute: attribute.clone(),
                    level: level.clone(),
                });
            }
        }
    }
    // Each row's level index per factor.
    let mut indices: Vec<Vec<usize>> = Vec::with_capacity(rows.len());
    for (r, (row_levels, _)) in rows.iter().enumerate() {
        if row_levels.len() != factors.len() {
            return Err(StatsError::LevelCountMismatch {
                row: r + 1,
                found: row_levels.len(),
                expected: factors.len(),
            });
        }
        let mut idx = Vec::with_capacity(factors.len());
        for (level, (attribute, levels)) in row_levels.iter().zip(factors) {
            let Some(k) = levels.iter().position(|l| l == level) else {
                return Err(StatsError::UnknownLevel {
                    row: r + 1,
                    attribute: attribute.clone(),
                    level: level.clone(),
                });
            };
            idx.push(k);
        }
        indices.push(idx);
    }
    let y: Vec<bool> = rows.iter().map(|(_, a)| *a).collect();
    let level_of = |f: usize| indices.iter().map(move |idx| idx.get(f).copied());

    let mut names = Vec::new();
    for (f, (attribute, levels)) in factors.iter().enumerate() {
        let reference = levels.first().map(String::as_str).unwrap_or_default();
        for (k, level) in levels.iter().enumerate() {
            if !level_of(f).any(|l| l == Some(k)) {
                return Err(StatsError::LevelNotShown {
                    attribute: attribute.clone(),
                    level: level.clone(),
                });
            }
            if k > 0 {
                names.push(format!("{attribute}: {level} (vs {reference})"));
            }
        }
    }
    let x: Vec<Vec<f64>> = indices
        .iter()
        .map(|idx| {
            idx.iter()
                .zip(factors)
                .flat_map(|(&k, (_, levels))| (1..levels.len()).map(move |l| if l == k { 1.0 } else { 0.0 }))
                .collect()
        })
        .collect();
    let design = prepare(&y, &x, &names)?;

    // Separation by a level: the other levels first, then the reference levels.
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for (f, (_, levels)) in factors.iter().enumerate() {
        candidates.extend((1..levels.len()).map(|k| (f, k)));
    }
    candidates.extend((0..factors.len()).map(|f| (f, 0)));
    for (f, k) in candidates {
        let shown = y
            .iter()
            .zip(level_of(f))
            .filter(|(_, l)| *l == Some(k))
            .map(|(a, _)| *a);
        if all_same(shown) {
            let (attribute, levels) = factors
                .get(f)
                .map(|(a, l)| (a.as_str(), l.as_slice()))
                .unwrap_or_default();
            let level = levels.get(k).map(String::as_str).unwrap_or_default();
            return Err(StatsError::Separated {
                name: format!("{attribute}: {level}"),
            });
        }
    }
    irls(&y, &design)
}

/// True when every answer is the same (and there is at least one).
fn all_same(mut answers: impl Iterator<Item = bool>) -> bool {
    match answers.next() {
        None => false,
        Some(first) => answers.all(|a| a == first),
    }
}

/// The design matrix with the intercept column, and the coefficient names.
struct Design {
    rows: Vec<Vec<f64>>,
    names: Vec<String>,
}

impl Design {
    fn k(&self) -> usize {
        self.names.len()
    }

    fn column(&self, j: usize) -> impl Iterator<Item = f64> + '_ {
        self.rows.iter().map(move |r| r.get(j).copied().unwrap_or(f64::NAN))
    }
}

/// The checks common to both entry points, and the design with its intercept.
fn prepare(y: &[bool], x: &[Vec<f64>], names: &[String]) -> Result<Design, StatsError> {
    if y.len() != x.len() {
        return Err(StatsError::RowCountMismatch {
            answers: y.len(),
            rows: x.len(),
        });
    }
    for (r, row) in x.iter().enumerate() {
        if row.len() != names.len() {
            return Err(StatsError::RowWidthMismatch {
                row: r + 1,
                found: row.len(),
                expected: names.len(),
            });
        }
        if let Some((_, name)) = row.iter().zip(names).find(|(v, _)| !v.is_finite()) {
            return Err(StatsError::NotFinite {
                name: name.clone(),
                row: r + 1,
            });
        }
    }
    let parameters = names.len() + 1;
    if y.len() < parameters {
        return Err(StatsError::TooFewRows {
            rows: y.len(),
            parameters,
        });
    }
    if all_same(y.iter().copied()) {
        let answer = if y.first().copied().unwrap_or_default() {
            "yes"
        } else {
            "no"
        };
        return Err(StatsError::SameAnswer { answer });
    }
    let design = Design {
        rows: x
            .iter()
            .map(|row| std::iter::once(1.0).chain(row.iter().copied()).collect())
            .collect(),
        names: std::iter::once(INTERCEPT.to_owned())
            .chain(names.iter().cloned())
            .collect(),
    };
    check_rank(&design)?;
    Ok(design)
}

/// Modified Gram–Schmidt on the columns (intercept first): a column left with (almost) nothing once
/// the earlier columns are projected out is constant (if it is the first such after the intercept
/// alone, or simply has one value) or collinear.
fn check_rank(design: &Design) -> Result<(), StatsError> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for (j, name) in design.names.iter().enumerate() {
        let original: Vec<f64> = design.column(j).collect();
        let norm = dot(&original, &original).sqrt();
        let mut v = original.clone();
        for _ in 0..2 {
            // Twice, for numerical safety.
            for q in &basis {
                let c = dot(q, &v);
                v.iter_mut().zip(q).for_each(|(vi, qi)| *vi -= c * qi);
            }
        }
        let left = dot(&v, &v).sqrt();
        if norm == 0.0 || left <= 1e-9 * norm {
            let first = original.first().copied().unwrap_or_default();
            if j > 0 && original.iter().all(|&value| value == first) {
                return Err(StatsError::ConstantCovariate { name: name.clone() });
            }
            return Err(StatsError::Collinear { name: name.clone() });
        }
        v.iter_mut().for_each(|vi| *vi /= left);
        basis.push(v);
    }
    Ok(())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// log(1 + eᵗ) without overflow.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// The log-likelihood at linear predictors `eta`: log p = −softplus(−η), log(1−p) = −softplus(η).
fn log_likelihood(y: &[bool], eta: &[f64]) -> f64 {
    y.iter()
        .zip(eta)
        .map(|(&yes, &e)| if yes { -softplus(-e) } else { -softplus(e) })
        .sum()
}

fn linear_predictors(design: &Design, beta: &[f64]) -> Vec<f64> {
    design.rows.iter().map(|r| dot(r, beta)).collect()
}

/// p = 1/(1+e^(−η)) and the weight p(1−p) computed without cancellation.
fn probability_and_weight(eta: f64) -> (f64, f64) {
    let e = (-eta.abs()).exp();
    let small = e / (1.0 + e);
    let p = if eta >= 0.0 { 1.0 - small } else { small };
    (p, e / ((1.0 + e) * (1.0 + e)))
}

/// min(p, 1−p) < 1e-10 for some respondent.
fn extreme(eta: &[f64]) -> bool {
    eta.iter()
        .any(|&e| probability_and_weight(-e.abs()).0 < SEPARATION_PROBABILITY)
}

/// The gradient Xᵀ(y−p) and information XᵀWX at `eta`.
fn score_and_information(design: &Design, y: &[bool], eta: &[f64]) -> (Vec<f64>, Square) {
    let k = design.k();
    let mut score = vec![0.0; k];
    let mut info = Square::zeros(k);
    for ((row, &yes), &e) in design.rows.iter().zip(y).zip(eta) {
        let (p, w) = probability_and_weight(e);
        let residual = if yes { 1.0 - p } else { -p };
        for (i, &xi) in row.iter().enumerate() {
            if let Some(s) = score.get_mut(i) {
                *s += xi * residual;
            }
            for (j, &xj) in row.iter().enumerate().take(i + 1) {
                info.add(i, j, w * xi * xj);
            }
        }
    }
    info.symmetrise();
    (score, info)
}

/// The coefficient to blame for a separation found during the fit: the covariate with the largest
/// absolute estimate (the intercept only when there is no covariate).
fn separated_by(design: &Design, beta: &[f64]) -> StatsError {
    let name = design
        .names
        .iter()
        .zip(beta)
        .skip(1)
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| INTERCEPT.to_owned());
    StatsError::Separated { name }
}

fn irls(y: &[bool], design: &Design) -> Result<LogisticFit, StatsError> {
    let k = design.k();
    let mut beta = vec![0.0; k];
    let mut eta = linear_predictors(design, &beta);
    let mut ll = log_likelihood(y, &eta);
    let mut iterations = 0;
    let mut converged = false;
    while iterations < MAX_ITERATIONS {
        let (score, info) = score_and_information(design, y, &eta);
        let Some(chol) = info.cholesky() else {
            return Err(if extreme(&eta) {
                separated_by(design, &beta)
            } else {
                StatsError::NotConverged { iterations }
            });
        };
        let step = chol.solve(&score);
        iterations += 1;
        // Halve the step while it lowers the likelihood (beyond rounding).
        let mut scale = 1.0;
        let (mut next, mut next_eta, mut next_ll);
        loop {
            next = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect::<Vec<f64>>();
            next_eta = linear_predictors(design, &next);
            next_ll = log_likelihood(y, &next_eta);
            if next_ll >= ll - 1e-10 * (1.0 + ll.abs()) || scale < 1e-6 {
                break;
            }
            scale /= 2.0;
        }
        let moved = beta.iter().zip(&next).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        beta = next;
        eta = next_eta;
        ll = next_ll;
        if moved < TOLERANCE {
            converged = true;
            break;
        }
    }
    if extreme(&eta) {
        return Err(separated_by(design, &beta));
    }
    if !converged {
        return Err(StatsError::NotConverged { iterations });
    }
    let (_, info) = score_and_information(design, y, &eta);
    let covariance = info
        .cholesky()
        .map(|c| c.inverse())
        .ok_or_else(|| separated_by(design, &beta))?;
    let z95 = z_975();
    let mut coefficients = Vec::with_capacity(k);
    for (j, (name, &estimate)) in design.names.iter().zip(&beta).enumerate() {
        let se = covariance.get(j, j).sqrt();
        if !se.is_finite() {
            return Err(separated_by(design, &beta));
        }
        let z = estimate / se;
        let (low, high) = (estimate - z95 * se, estimate + z95 * se);
        coefficients.push(Coefficient {
            name: name.clone(),
            estimate,
            se,
            z,
            p_value: two_sided_p(z),
            low,
            high,
            odds_ratio: estimate.exp(),
            odds_ratio_low: low.exp(),
            odds_ratio_high: high.exp(),
        });
    }
    let n = y.len();
    let ybar = y.iter().filter(|&&a| a).count() as f64 / n as f64;
    let null_log_likelihood = n as f64 * (ybar * ybar.ln() + (1.0 - ybar) * (1.0 - ybar).ln());
    Ok(LogisticFit {
        coefficients,
        n,
        log_likelihood: ll,
        null_log_likelihood,
        iterations,
        converged,
    })
}

/// A dense k×k matrix, row-major.
struct Square {
    k: usize,
    a: Vec<f64>,
}

impl Square {
    fn zeros(k: usize) -> Square {
        Square { k, a: vec![0.0; k * k] }
    }

    /// The element (i, j); NaN out of range (never, by construction), so it shows if it happens.
    fn get(&self, i: usize, j: usize) -> f64 {
        self.a.get(i * self.k + j).copied().unwrap_or(f64::NAN)
    }

    fn set(&mut self, i: usize, j: usize, v: f64) {
        if let Some(x) = self.a.get_mut(i * self.k + j) {
            *x = v;
        }
    }

    fn add(&mut self, i: usize, j: usize, v: f64) {
        if let Some(x) = self.a.get_mut(i * self.k + j) {
            *x += v;
        }
    }

    /// Copies the lower triangle to the upper.
    fn symmetrise(&mut self) {
        for i in 0..self.k {
            for j in 0..i {
                let v = self.get(i, j);
                self.set(j, i, v);
            }
        }
    }

    /// The lower-triangular L with LLᵀ = self, or None if self is not (numerically) positive
    /// definite.
    fn cholesky(&self) -> Option<Square> {
        let k = self.k;
        let mut l = Square::zeros(k);
        for j in 0..k {
            let d = self.get(j, j) - (0..j).map(|m| l.get(j, m).powi(2)).sum::<f64>();
            if !(d.is_finite() && d > 1e-14 * self.get(j, j).abs()) {
                return None;
            }
            let djj = d.sqrt();
            l.set(j, j, djj);
            for i in j + 1..k {
                let v = (self.get(i, j) - (0..j).map(|m| l.get(i, m) * l.get(j, m)).sum::<f64>()) / djj;
                l.set(i, j, v);
            }
        }
        Some(l)
    }

    /// Solves LLᵀx = b, self being L.
    fn solve(&self, b: &[f64]) -> Vec<f64> {
        let k = self.k;
        let mut z = vec![0.0; k];
        for i in 0..k {
            let s = b.get(i).copied().unwrap_or(f64::NAN)
                - (0..i)
                    .map(|m| self.get(i, m) * z.get(m).copied().unwrap_or(f64::NAN))
                    .sum::<f64>();
            if let Some(zi) = z.get_mut(i) {
                *zi = s / self.get(i, i);
            }
        }
        let mut x = vec![0.0; k];
        for i in (0..k).rev() {
            let s = z.get(i).copied().unwrap_or(f64::NAN)
                - (i + 1..k)
                    .map(|m| self.get(m, i) * x.get(m).copied().unwrap_or(f64::NAN))
                    .sum::<f64>();
            if let Some(xi) = x.get_mut(i) {
                *xi = s / self.get(i, i);
            }
        }
        x
    }

    /// (LLᵀ)⁻¹, self being L.
    fn inverse(&self) -> Square {
        let k = self.k;
        let mut inv = Square::zeros(k);
        for j in 0..k {
            let e: Vec<f64> = (0..k).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
            for (i, v) in self.solve(&e).into_iter().enumerate() {
                inv.set(i, j, v);
            }
        }
        inv
    }
}
