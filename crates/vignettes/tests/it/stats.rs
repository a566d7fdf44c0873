//! The statistics against statsmodels (tests/fixtures/stats_expected.json, from
//! tests/fixtures/generate_stats.py) and against results worked by hand.

use cocare_vignettes::stats::{
    INTERCEPT, LogisticFit, StatsError, difference_in_proportions, logistic, logistic_levels, two_sided_p, z_975,
};
use serde::Deserialize;

const FIXTURE: &str = include_str!("../fixtures/stats_expected.json");

#[derive(Deserialize)]
struct Fixture {
    proportions: Vec<ProportionCase>,
    logistic: Vec<LogisticCase>,
    separated: Vec<SeparatedCase>,
}

#[derive(Deserialize)]
struct ProportionCase {
    yes_a: u64,
    n_a: u64,
    yes_b: u64,
    n_b: u64,
    difference: f64,
    low: f64,
    high: f64,
    statistic: Option<f64>,
    statistic_repr: String,
    pvalue: Option<f64>,
}

#[derive(Deserialize)]
struct LogisticCase {
    name: String,
    #[serde(default)]
    factors: Vec<(String, Vec<String>)>,
    /// [levels, answer] for factorial data, [covariates, answer] for the continuous one.
    rows: Vec<(serde_json::Value, bool)>,
    #[serde(default)]
    names: Vec<String>,
    expected: Expected,
}

#[derive(Deserialize)]
struct Expected {
    names: Vec<String>,
    params: Vec<f64>,
    bse: Vec<f64>,
    pvalues: Vec<f64>,
    conf_int: Vec<[f64; 2]>,
    llf: f64,
    llnull: f64,
    nobs: usize,
    converged: bool,
}

#[derive(Deserialize)]
struct SeparatedCase {
    name: String,
    factors: Vec<(String, Vec<String>)>,
    rows: Vec<(Vec<String>, bool)>,
    statsmodels: SeparatedOutcome,
}

#[derive(Deserialize)]
struct SeparatedOutcome {
    raised: Option<String>,
    #[serde(default)]
    converged: Option<bool>,
    warnings: Vec<String>,
}

fn fixture() -> Fixture {
    serde_json::from_str(FIXTURE).expect("stats_expected.json parses")
}

/// |a − b| ≤ tol·max(1, |b|): absolute near zero, relative when large.
#[track_caller]
fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, want {want} (tolerance {tol})"
    );
}

/// Relative, for p-values that may be tiny.
#[track_caller]
fn close_rel(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs(),
        "{what}: got {got}, want {want} (relative tolerance {tol})"
    );
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn factor(attribute: &str, levels: &[&str]) -> (String, Vec<String>) {
    (attribute.to_owned(), strings(levels))
}

fn row(levels: &[&str], answer: bool) -> (Vec<String>, bool) {
    (strings(levels), answer)
}

/// `count` copies of a row.
fn rows(levels: &[&str], answer: bool, count: usize) -> Vec<(Vec<String>, bool)> {
    std::iter::repeat_n(row(levels, answer), count).collect()
}

// ---- difference in proportions ----

#[test]
fn the_95_multiplier_is_the_normal_quantile() {
    close("z", z_975(), 1.959963984540054, 1e-15);
    // statrs' erfc is good to about 1e-10 relative here.
    close_rel("p at 1.96", two_sided_p(1.959963984540054), 0.05, 1e-9);
    close("p at 0", two_sided_p(0.0), 1.0, 1e-15);
}

#[test]
fn difference_in_proportions_matches_statsmodels() {
    for c in fixture().proportions {
        let what = format!("{}/{} vs {}/{}", c.yes_a, c.n_a, c.yes_b, c.n_b);
        let d = difference_in_proportions(c.yes_a, c.n_a, c.yes_b, c.n_b).unwrap();
        close(&format!("{what} difference"), d.difference, c.difference, 1e-12);
        close(&format!("{what} low"), d.low, c.low, 1e-9);
        close(&format!("{what} high"), d.high, c.high, 1e-9);
        match (d.z, c.statistic) {
            (Some(z), Some(want)) => close(&format!("{what} z"), z, want, 1e-9),
            (None, None) => assert!(c.statistic_repr == "inf" || c.statistic_repr == "nan", "{what}"),
            (got, want) => panic!("{what}: z {got:?}, statsmodels {want:?}"),
        }
        match (d.p_value, c.pvalue) {
            (Some(p), Some(0.0)) => assert_eq!(p, 0.0, "{what}"),
            (Some(p), Some(want)) => close_rel(&format!("{what} p"), p, want, 1e-6),
            (None, None) => {}
            (got, want) => panic!("{what}: p {got:?}, statsmodels {want:?}"),
        }
    }
}

#[test]
fn difference_in_proportions_by_hand() {
    let d = difference_in_proportions(6, 10, 3, 10).unwrap();
    assert_eq!(d.yes, [6, 3]);
    assert_eq!(d.n, [10, 10]);
    assert_eq!(d.p, [0.6, 0.3]);
    close("difference", d.difference, 0.3, 1e-15);
    let se = (0.6f64 * 0.4 / 10.0 + 0.3 * 0.7 / 10.0).sqrt(); // √0.045 = 0.212132…
    close("se", d.se, se, 1e-15);
    close("low", d.low, 0.3 - 1.959963984540054 * se, 1e-12);
    close("high", d.high, 0.3 + 1.959963984540054 * se, 1e-12);
    close("low (rounded)", d.low, -0.115771, 1e-6);
    close("high (rounded)", d.high, 0.715771, 1e-6);
    let z = 0.3 / se; // √2
    close("z", d.z.unwrap(), std::f64::consts::SQRT_2, 1e-12);
    close_rel("p", d.p_value.unwrap(), 0.157299207050285, 1e-9);

    // The order matters: b − a is the negative, with the same SE and p.
    let r = difference_in_proportions(3, 10, 6, 10).unwrap();
    close("reversed", r.difference, -0.3, 1e-15);
    close("reversed z", r.z.unwrap(), -z, 1e-12);
    close("reversed p", r.p_value.unwrap(), d.p_value.unwrap(), 1e-15);
}

#[test]
fn difference_in_proportions_with_no_spread() {
    // Everyone in a said yes and everyone in b no: SE 0; statsmodels' z is ∞ and p 0.
    let d = difference_in_proportions(10, 10, 0, 10).unwrap();
    assert_eq!((d.difference, d.se, d.low, d.high), (1.0, 0.0, 1.0, 1.0));
    assert_eq!((d.z, d.p_value), (None, Some(0.0)));
    // Both groups all yes: no difference and no test (statsmodels: NaN).
    let d = difference_in_proportions(5, 5, 7, 7).unwrap();
    assert_eq!((d.difference, d.se, d.z, d.p_value), (0.0, 0.0, None, None));
    // Serialises (no NaN or infinity inside).
    let json = serde_json::to_value(&d).unwrap();
    assert!(json["p_value"].is_null());
}

#[test]
fn difference_in_proportions_errors_say_what_is_wrong() {
    let e = difference_in_proportions(0, 0, 3, 10).unwrap_err();
    assert_eq!(
        e,
        StatsError::EmptyGroup {
            group: "the level (group a)"
        }
    );
    let m = e.to_string();
    assert!(
        m.contains("no respondents") && m.contains("n = 0") && m.contains("the level"),
        "{m}"
    );

    let m = difference_in_proportions(1, 4, 0, 0).unwrap_err().to_string();
    assert!(m.contains("the reference level") && m.contains("no respondents"), "{m}");

    let m = difference_in_proportions(11, 10, 3, 10).unwrap_err().to_string();
    assert!(m.contains("more yes answers (11) than respondents (10)"), "{m}");
    let m = difference_in_proportions(1, 10, 4, 3).unwrap_err().to_string();
    assert!(
        m.contains("reference level") && m.contains("(4)") && m.contains("(3)"),
        "{m}"
    );
}

// ---- logistic regression against statsmodels ----

fn check_against(name: &str, fit: &LogisticFit, e: &Expected) {
    assert!(e.converged, "{name}: statsmodels did not converge");
    assert!(fit.converged);
    assert_eq!(fit.n, e.nobs, "{name} n");
    let names: Vec<&str> = fit.coefficients.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        e.names.iter().map(String::as_str).collect::<Vec<_>>(),
        "{name} names"
    );
    for (i, c) in fit.coefficients.iter().enumerate() {
        let what = format!("{name} {}", c.name);
        close(&format!("{what} estimate"), c.estimate, e.params[i], 1e-6);
        close(&format!("{what} se"), c.se, e.bse[i], 1e-6);
        close_rel(&format!("{what} p"), c.p_value, e.pvalues[i], 1e-6);
        close(&format!("{what} low"), c.low, e.conf_int[i][0], 1e-6);
        close(&format!("{what} high"), c.high, e.conf_int[i][1], 1e-6);
        close(&format!("{what} z"), c.z, e.params[i] / e.bse[i], 1e-6);
        close(&format!("{what} OR"), c.odds_ratio, e.params[i].exp(), 1e-6);
        close(
            &format!("{what} OR low"),
            c.odds_ratio_low,
            e.conf_int[i][0].exp(),
            1e-6,
        );
        close(
            &format!("{what} OR high"),
            c.odds_ratio_high,
            e.conf_int[i][1].exp(),
            1e-6,
        );
    }
    close(&format!("{name} llf"), fit.log_likelihood, e.llf, 1e-6);
    close(&format!("{name} llnull"), fit.null_log_likelihood, e.llnull, 1e-6);
    assert!(
        fit.iterations >= 1 && fit.iterations < 20,
        "{name}: {} iterations",
        fit.iterations
    );
}

#[test]
fn logistic_matches_statsmodels() {
    let cases = fixture().logistic;
    assert!(cases.len() >= 5);
    for c in cases {
        if c.factors.is_empty() {
            // Plain numeric covariates.
            let y: Vec<bool> = c.rows.iter().map(|(_, a)| *a).collect();
            let x: Vec<Vec<f64>> = c
                .rows
                .iter()
                .map(|(v, _)| serde_json::from_value(v.clone()).unwrap())
                .collect();
            let fit = logistic(&y, &x, &c.names).unwrap();
            check_against(&c.name, &fit, &c.expected);
            continue;
        }
        let rows: Vec<(Vec<String>, bool)> = c
            .rows
            .iter()
            .map(|(v, a)| (serde_json::from_value(v.clone()).unwrap(), *a))
            .collect();
        let fit = logistic_levels(&rows, &c.factors).unwrap();
        check_against(&c.name, &fit, &c.expected);

        // The same through `logistic` on a dummy coding built here.
        let mut names = Vec::new();
        for (attribute, levels) in &c.factors {
            for level in &levels[1..] {
                names.push(format!("{attribute}: {level} (vs {})", levels[0]));
            }
        }
        let x: Vec<Vec<f64>> = rows
            .iter()
            .map(|(levels, _)| {
                let mut v = Vec::new();
                for ((_, all), seen) in c.factors.iter().zip(levels) {
                    v.extend(all[1..].iter().map(|l| if l == seen { 1.0 } else { 0.0 }));
                }
                v
            })
            .collect();
        let y: Vec<bool> = rows.iter().map(|(_, a)| *a).collect();
        let plain = logistic(&y, &x, &names).unwrap();
        assert_eq!(plain, fit, "{}: logistic and logistic_levels differ", c.name);
    }
}

#[test]
fn statsmodels_could_not_fit_the_separated_datasets_and_neither_can_we() {
    let cases = fixture().separated;
    assert_eq!(cases.len(), 2);
    for c in &cases {
        let sm = &c.statsmodels;
        // statsmodels did not raise but failed to converge (and warned).
        assert!(sm.raised.is_none() && sm.converged == Some(false), "{}", c.name);
        assert!(
            sm.warnings.iter().any(|w| w.starts_with("ConvergenceWarning")),
            "{}",
            c.name
        );
    }
    let complete = &cases[0];
    assert_eq!(complete.name, "complete");
    assert!(
        complete
            .statsmodels
            .warnings
            .iter()
            .any(|w| w.starts_with("PerfectSeparationWarning"))
    );
    let e = logistic_levels(&complete.rows, &complete.factors).unwrap_err();
    assert_eq!(
        e,
        StatsError::Separated {
            name: "housing: sleeping rough".to_owned()
        }
    );
    assert_eq!(
        e.to_string(),
        "the answers are completely separated by housing: sleeping rough: every respondent shown it answered the \
         same, so its odds ratio cannot be estimated"
    );

    let quasi = &cases[1];
    assert_eq!(quasi.name, "quasi_complete");
    let e = logistic_levels(&quasi.rows, &quasi.factors).unwrap_err();
    assert_eq!(
        e,
        StatsError::Separated {
            name: "substance use: opiates".to_owned()
        }
    );
}

// ---- logistic regression by hand (exact 2×2 identities) ----

/// A 2×2 table: shown the level, a yes and b no; at the reference level, c yes and d no.
fn two_by_two(a: usize, b: usize, c: usize, d: usize) -> Vec<(Vec<String>, bool)> {
    let mut out = rows(&["sleeping rough"], true, a);
    out.extend(rows(&["sleeping rough"], false, b));
    out.extend(rows(&["stable tenancy"], true, c));
    out.extend(rows(&["stable tenancy"], false, d));
    out
}

#[test]
fn one_binary_covariate_gives_the_cross_product_ratio() {
    let housing = vec![factor("housing", &["stable tenancy", "sleeping rough"])];
    for (a, b, c, d) in [(5, 1, 3, 5), (30, 20, 12, 38), (7, 9, 11, 4), (1, 1, 1, 1)] {
        let fit = logistic_levels(&two_by_two(a, b, c, d), &housing).unwrap();
        let (a, b, c, d) = (a as f64, b as f64, c as f64, d as f64);
        let what = format!("{a} {b} {c} {d}");
        assert_eq!(fit.coefficients.len(), 2);
        let intercept = &fit.coefficients[0];
        assert_eq!(intercept.name, INTERCEPT);
        close(&format!("{what} intercept"), intercept.estimate, (c / d).ln(), 1e-10);
        close(
            &format!("{what} intercept se"),
            intercept.se,
            (1.0 / c + 1.0 / d).sqrt(),
            1e-10,
        );

        let rough = fit.coefficient("housing: sleeping rough (vs stable tenancy)").unwrap();
        close(&format!("{what} OR"), rough.odds_ratio, (a * d) / (b * c), 1e-10);
        let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
        close(&format!("{what} se"), rough.se, se, 1e-10);
        let log_or = ((a * d) / (b * c)).ln();
        close(
            &format!("{what} OR low"),
            rough.odds_ratio_low,
            (log_or - z_975() * se).exp(),
            1e-10,
        );
        close(
            &format!("{what} OR high"),
            rough.odds_ratio_high,
            (log_or + z_975() * se).exp(),
            1e-10,
        );
        close(&format!("{what} z"), rough.z, log_or / se, 1e-10);
        close(&format!("{what} p"), rough.p_value, two_sided_p(log_or / se), 1e-10);

        // The saturated model's log-likelihood: each group at its own proportion.
        let ll = |yes: f64, no: f64| {
            let p = yes / (yes + no);
            yes * p.ln() + no * (1.0 - p).ln()
        };
        close(&format!("{what} llf"), fit.log_likelihood, ll(a, b) + ll(c, d), 1e-10);
        close(
            &format!("{what} llnull"),
            fit.null_log_likelihood,
            ll(a + c, b + d),
            1e-10,
        );
    }
}

#[test]
fn the_fit_serialises() {
    let housing = vec![factor("housing", &["stable tenancy", "sleeping rough"])];
    let fit = logistic_levels(&two_by_two(5, 1, 3, 5), &housing).unwrap();
    let json = serde_json::to_value(&fit).unwrap();
    assert_eq!(json["coefficients"][0]["name"], INTERCEPT);
    assert_eq!(json["n"], 14);
    assert_eq!(json["converged"], true);
}

// ---- errors ----

#[test]
fn separation_found_during_the_fit_names_the_covariate() {
    let names = strings(&["dose"]);
    // Complete: yes exactly when dose > 5.
    let x: Vec<Vec<f64>> = (1..=10).map(|d| vec![f64::from(d)]).collect();
    let y: Vec<bool> = (1..=10).map(|d| d > 5).collect();
    let e = logistic(&y, &x, &names).unwrap_err();
    assert_eq!(
        e,
        StatsError::Separated {
            name: "dose".to_owned()
        }
    );
    assert!(e.to_string().contains("completely separated by dose"));

    // Quasi-complete: at dose 5 both answers, otherwise split by dose.
    let mut x: Vec<Vec<f64>> = (1..=10).map(|d| vec![f64::from(d)]).collect();
    let mut y: Vec<bool> = (1..=10).map(|d| d > 5).collect();
    x.push(vec![5.0]);
    y.push(true);
    let e = logistic(&y, &x, &strings(&["dose"])).unwrap_err();
    assert_eq!(
        e,
        StatsError::Separated {
            name: "dose".to_owned()
        }
    );

    // Separation by one covariate among others.
    let names = strings(&["age", "dose"]);
    let x: Vec<Vec<f64>> = (1..=12).map(|d| vec![f64::from((d * 7) % 5), f64::from(d)]).collect();
    let y: Vec<bool> = (1..=12).map(|d| d > 6).collect();
    let e = logistic(&y, &x, &names).unwrap_err();
    assert_eq!(
        e,
        StatsError::Separated {
            name: "dose".to_owned()
        }
    );
}

#[test]
fn separation_by_a_binary_covariate_is_found_before_the_fit() {
    let names = strings(&["seen in custody", "age"]);
    // Everyone seen in custody answered yes; the others vary.
    let x = vec![
        vec![1.0, 30.0],
        vec![1.0, 41.0],
        vec![0.0, 22.0],
        vec![0.0, 35.0],
        vec![0.0, 50.0],
        vec![0.0, 28.0],
    ];
    let y = vec![true, true, false, true, false, true];
    let e = logistic(&y, &x, &names).unwrap_err();
    assert_eq!(
        e,
        StatsError::Separated {
            name: "seen in custody".to_owned()
        }
    );
}

#[test]
fn separation_at_the_reference_level_names_it() {
    let drugs = vec![factor("substance use", &["none", "alcohol", "opiates"])];
    let mut data = rows(&["none"], true, 4);
    data.extend([
        row(&["alcohol"], true),
        row(&["alcohol"], false),
        row(&["alcohol"], false),
    ]);
    data.extend([
        row(&["opiates"], true),
        row(&["opiates"], false),
        row(&["opiates"], true),
    ]);
    let e = logistic_levels(&data, &drugs).unwrap_err();
    assert_eq!(
        e,
        StatsError::Separated {
            name: "substance use: none".to_owned()
        }
    );
}

#[test]
fn design_errors_say_what_is_wrong() {
    let names = strings(&["age", "dose"]);
    let y = vec![true, false, true, false, true];

    // Fewer rows than coefficients.
    let e = logistic(&y[..2], &[vec![1.0, 2.0], vec![2.0, 1.0]], &names).unwrap_err();
    assert_eq!(e, StatsError::TooFewRows { rows: 2, parameters: 3 });
    assert!(e.to_string().contains("too few to estimate 3 coefficients"), "{e}");

    // A constant covariate.
    let x: Vec<Vec<f64>> = (0..5).map(|i| vec![f64::from(i), 4.0]).collect();
    let e = logistic(&y, &x, &names).unwrap_err();
    assert_eq!(
        e,
        StatsError::ConstantCovariate {
            name: "dose".to_owned()
        }
    );
    assert!(
        e.to_string()
            .contains("the covariate dose has the same value for every respondent"),
        "{e}"
    );

    // dose = 2·age + 1: not of full rank.
    let x: Vec<Vec<f64>> = (0..5).map(|i| vec![f64::from(i), 2.0 * f64::from(i) + 1.0]).collect();
    let e = logistic(&y, &x, &names).unwrap_err();
    assert_eq!(
        e,
        StatsError::Collinear {
            name: "dose".to_owned()
        }
    );
    assert!(
        e.to_string().contains("dose is an exact combination") && e.to_string().contains("full rank"),
        "{e}"
    );

    // Two factors that always move together (confounded) are collinear too.
    let factors = vec![factor("housing", &["stable", "rough"]), factor("age", &["25", "55"])];
    let mut data = Vec::new();
    for answer in [true, false, true] {
        data.push(row(&["stable", "25"], answer));
        data.push(row(&["rough", "55"], !answer));
    }
    let e = logistic_levels(&data, &factors).unwrap_err();
    assert_eq!(
        e,
        StatsError::Collinear {
            name: "age: 55 (vs 25)".to_owned()
        }
    );

    // Everyone answered the same.
    let x: Vec<Vec<f64>> = (0..5).map(|i| vec![f64::from(i), f64::from(i * i)]).collect();
    let e = logistic(&[true; 5], &x, &names).unwrap_err();
    assert!(e.to_string().contains("every respondent answered yes"), "{e}");

    // Shapes and values.
    let e = logistic(&y, &x[..4], &names).unwrap_err();
    assert_eq!(e, StatsError::RowCountMismatch { answers: 5, rows: 4 });
    let mut bad = x.clone();
    bad[2] = vec![1.0];
    let e = logistic(&y, &bad, &names).unwrap_err();
    assert!(
        e.to_string()
            .contains("row 3 has 1 covariate values but 2 covariates are named"),
        "{e}"
    );
    bad[2] = vec![1.0, f64::NAN];
    let e = logistic(&y, &bad, &names).unwrap_err();
    assert!(
        e.to_string()
            .contains("the covariate dose is not a finite number in row 3"),
        "{e}"
    );
}

#[test]
fn factor_errors_say_what_is_wrong() {
    let data = vec![row(&["rough"], true), row(&["stable"], false), row(&["rough"], false)];

    let e = logistic_levels(&data, &[factor("housing", &["rough"])]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the attribute housing has one level; a factorial attribute needs at least two"
    );
    let e = logistic_levels(&data, &[factor("housing", &[])]).unwrap_err();
    assert!(e.to_string().contains("has no levels"), "{e}");

    let e = logistic_levels(&data, &[factor("housing", &["stable", "rough", "stable"])]).unwrap_err();
    assert!(e.to_string().contains("lists the level stable twice"), "{e}");

    let e = logistic_levels(&data, &[factor("housing", &["stable", "hostel"])]).unwrap_err();
    assert_eq!(
        e,
        StatsError::UnknownLevel {
            row: 1,
            attribute: "housing".to_owned(),
            level: "rough".to_owned()
        }
    );
    assert!(
        e.to_string()
            .contains("row 1: rough is not a level of the attribute housing"),
        "{e}"
    );

    let factors = vec![factor("housing", &["stable", "rough"]), factor("age", &["25", "55"])];
    let e = logistic_levels(&data, &factors).unwrap_err();
    assert!(
        e.to_string()
            .contains("row 1 gives 1 levels but there are 2 attributes"),
        "{e}"
    );

    let e = logistic_levels(&data, &[factor("housing", &["stable", "rough", "hostel"])]).unwrap_err();
    assert!(e.to_string().contains("no respondent was shown housing: hostel"), "{e}");
}
