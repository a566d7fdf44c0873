//! Segmented regression against statsmodels, by hand, and bad input.

use chrono::{Months, NaiveDate};
use cocare_engage::its::{Coefficient, InputProblem, ItsError, Period, Series, analyse_csv, fit, parse_date};
use proptest::prelude::*;

use super::{close, fixture};

fn d(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}

fn expected() -> serde_json::Value {
    serde_json::from_str(&fixture("its/expected.json")).unwrap()
}

fn messages(text: &str) -> Vec<String> {
    match Series::parse_csv(text) {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(p) => p.iter().map(InputProblem::to_string).collect(),
    }
}

fn has(text: &str, want: &str) {
    let m = messages(text);
    assert!(m.iter().any(|p| p == want), "wanted {want:?}, got {m:?}");
}

fn csv(rows: &[(&str, &str)]) -> String {
    let mut s = String::from("date,value\n");
    for (date, value) in rows {
        s.push_str(&format!("{date},{value}\n"));
    }
    s
}

/// `n` monthly dates from `start` with values `f(i)`.
fn monthly(start: &str, n: u32, f: impl Fn(u32) -> f64) -> String {
    let mut s = String::from("date,value\n");
    for i in 0..n {
        let date = d(start).checked_add_months(Months::new(i)).unwrap();
        s.push_str(&format!("{date},{}\n", f(i)));
    }
    s
}

fn check_coefficient(name: &str, got: &Coefficient, want: &serde_json::Value) {
    let f = |k: &str| want[k].as_f64().unwrap();
    for (k, g) in [
        ("estimate", got.estimate),
        ("se", got.se),
        ("ci_low", got.ci_low),
        ("ci_high", got.ci_high),
        ("t", got.t.unwrap()),
    ] {
        assert!(close(g, f(k), 1e-9), "{name}.{k}: {g} vs statsmodels {}", f(k));
    }
    // p-values can be tiny: relative to themselves.
    let p = got.p.unwrap();
    assert!(
        (p - f("p")).abs() <= 1e-9 * f("p").max(1e-300) || (p - f("p")).abs() < 1e-15,
        "{name}.p: {p} vs {}",
        f("p")
    );
}

#[test]
fn segmented_regression_matches_statsmodels() {
    let expected = expected();
    let cases = expected.as_object().unwrap();
    assert_eq!(cases.len(), 4);
    for (name, want) in cases {
        let text = fixture(&format!("its/{}", want["file"].as_str().unwrap()));
        let series = Series::parse_csv(&text).unwrap_or_else(|p| panic!("{name}: {p:?}"));
        assert_eq!(series.period.key(), want["period"].as_str().unwrap(), "{name}");
        let its = fit(&series, d(want["change"].as_str().unwrap())).unwrap();
        assert_eq!(its.n as u64, want["n"].as_u64().unwrap(), "{name}");
        assert_eq!(its.n_before as u64, want["n_before"].as_u64().unwrap(), "{name}");
        assert_eq!(its.n_after as u64, want["n_after"].as_u64().unwrap(), "{name}");
        assert_eq!(its.df as u64, want["df"].as_u64().unwrap(), "{name}");
        assert_eq!(
            its.first_after.to_string(),
            want["first_after"].as_str().unwrap(),
            "{name}"
        );
        for (key, c) in [
            ("baseline_level", &its.baseline_level),
            ("baseline_slope", &its.baseline_slope),
            ("level_change", &its.level_change),
            ("slope_change", &its.slope_change),
        ] {
            check_coefficient(&format!("{name}.{key}"), c, &want["coefficients"][key]);
        }
        let f = |k: &str| want[k].as_f64().unwrap();
        assert!(close(its.residual_se, f("residual_se"), 1e-9), "{name}");
        assert!(close(its.r_squared.unwrap(), f("r_squared"), 1e-9), "{name}");
        assert!(close(its.durbin_watson.unwrap(), f("durbin_watson"), 1e-9), "{name}");
        let fitted = want["fitted"].as_array().unwrap();
        let counterfactual = want["counterfactual"].as_array().unwrap();
        assert_eq!(its.fitted.len(), fitted.len());
        for ((got, fv), cf) in its.fitted.iter().zip(fitted).zip(counterfactual) {
            assert!(close(got.fitted, fv.as_f64().unwrap(), 1e-9), "{name} {}", got.date);
            match (got.counterfactual, cf.as_f64()) {
                (None, None) => {}
                (Some(g), Some(w)) => assert!(close(g, w, 1e-9), "{name} {}", got.date),
                other => panic!("{name} {}: counterfactual {other:?}", got.date),
            }
        }
        // Only the short quarterly series is under Bernal et al.'s 8 periods a side.
        if name == "quarterly_short" {
            assert_eq!(
                its.warnings,
                [
                    "only 6 periods before the change and 5 after: Bernal et al. (2017) suggest at least 8 on each side; with fewer, the estimates are fragile"
                ]
            );
        } else {
            assert!(its.warnings.is_empty(), "{name}: {:?}", its.warnings);
        }
    }
}

#[test]
fn the_fixture_calendars_are_recognised() {
    let e = expected();
    let series =
        |name: &str| Series::parse_csv(&fixture(&format!("its/{}", e[name]["file"].as_str().unwrap()))).unwrap();
    assert_eq!(series("monthly").describe(), "monthly (day 1 of each month)");
    assert_eq!(series("weekly").describe(), "weekly (Mondays)");
    assert_eq!(series("quarterly_short").describe(), "quarterly (from 2019-01-01)");
    let month_ends = series("month_end_between");
    assert!(month_ends.month_end);
    assert_eq!(month_ends.describe(), "monthly (month ends)");
    // The change, 2022-06-15, falls between 2022-05-31 and 2022-06-30: June is the first after.
    let its = fit(&month_ends, d("2022-06-15")).unwrap();
    assert_eq!(its.first_after, d("2022-06-30"));
    assert_eq!(its.change, d("2022-06-15"));
}

#[test]
fn a_perfectly_linear_series_recovers_its_coefficients_exactly() {
    // 10 months before, 14 after: y = 50 + 2·time − 7·after + 0.5·time_after.
    let text = monthly("2022-01-01", 24, |i| {
        let i = f64::from(i);
        let (after, ta) = if i >= 10.0 { (1.0, i - 10.0) } else { (0.0, 0.0) };
        50.0 + 2.0 * i - 7.0 * after + 0.5 * ta
    });
    let its = analyse_csv(&text, d("2022-11-01")).unwrap();
    assert_eq!((its.n, its.n_before, its.n_after, its.df), (24, 10, 14, 20));
    assert_eq!(its.first_after, d("2022-11-01"));
    for ((name, c), want) in its.coefficients().iter().zip([50.0, 2.0, -7.0, 0.5]) {
        assert!((c.estimate - want).abs() < 1e-12, "{name}: {c:?}");
        assert_eq!(c.se, 0.0, "{name}");
        assert_eq!((c.ci_low, c.ci_high), (c.estimate, c.estimate), "{name}");
        assert_eq!((c.t, c.p), (None, None), "{name}");
    }
    assert_eq!(its.residual_se, 0.0);
    assert_eq!(its.r_squared, Some(1.0));
    assert_eq!(its.durbin_watson, None);
    let last = its.fitted.last().unwrap();
    assert!((last.fitted - (50.0 + 46.0 - 7.0 + 6.5)).abs() < 1e-12);
    assert!((last.counterfactual.unwrap() - (50.0 + 46.0)).abs() < 1e-12);
    assert_eq!(its.fitted[9].counterfactual, None);
    assert!(
        its.warnings.is_empty(),
        "10 and 14 periods are at least 8 a side: {:?}",
        its.warnings
    );
}

#[test]
fn three_points_a_side_worked_by_hand() {
    // With 3 points a side the model is two separate lines.
    // Before (t = 0, 1, 2): y = 1, 3, 2 → slope 0.5, intercept 1.5; residuals −0.5, 1, −0.5.
    // After (s = 0, 1, 2 at t = 3, 4, 5): y = 10, 10, 13 → slope 1.5, level 9.5; residuals
    // 0.5, −1, 0.5. So b0 = 1.5, b1 = 0.5, b3 = 1.5 − 0.5 = 1, b2 = 9.5 − (1.5 + 3·0.5) = 6.5.
    // RSS = 3, df = 2, σ² = 1.5, Sxx = 2 on each side:
    // var b1 = σ²/Sxx = 0.75; var b0 = σ²(1/3 + 1²/2) = 1.25; var b3 = 0.75 + 0.75 = 1.5;
    // var b2 = var(level after) + var(b0 + 3·b1) = 1.25 + σ²(1/3 + 2²/2) = 1.25 + 3.5 = 4.75.
    let text = csv(&[
        ("2024-01-01", "1"),
        ("2024-04-01", "3"),
        ("2024-07-01", "2"),
        ("2024-10-01", "10"),
        ("2025-01-01", "10"),
        ("2025-04-01", "13"),
    ]);
    let series = Series::parse_csv(&text).unwrap();
    assert_eq!(series.period, Period::Quarter);
    let its = fit(&series, d("2024-08-15")).unwrap();
    assert_eq!((its.n_before, its.n_after, its.df), (3, 3, 2));
    assert_eq!(its.first_after, d("2024-10-01"));
    let q = 4.302652729749462; // scipy.stats.t.ppf(0.975, 2)
    for ((name, c), (b, var)) in its
        .coefficients()
        .iter()
        .zip([(1.5, 1.25), (0.5, 0.75), (6.5, 4.75), (1.0, 1.5)])
    {
        let se = f64::sqrt(var);
        assert!((c.estimate - b).abs() < 1e-12, "{name}: {c:?}");
        assert!((c.se - se).abs() < 1e-12, "{name}: {c:?}");
        assert!(
            (c.ci_low - (b - q * se)).abs() < 1e-11 && (c.ci_high - (b + q * se)).abs() < 1e-11,
            "{name}"
        );
        assert!((c.t.unwrap() - b / se).abs() < 1e-11, "{name}");
    }
    assert!((its.residual_se - 1.5f64.sqrt()).abs() < 1e-12);
    // TSS: mean 39/6 = 6.5; deviations −5.5, −3.5, −4.5, 3.5, 3.5, 6.5 → 30.25 + 12.25 + 20.25 +
    // 12.25 + 12.25 + 42.25 = 129.5.
    assert!((its.r_squared.unwrap() - (1.0 - 3.0 / 129.5)).abs() < 1e-12);
    // Durbin–Watson: residuals −0.5, 1, −0.5, 0.5, −1, 0.5; differences 1.5, −1.5, 1, −1.5, 1.5
    // → 2.25·4 + 1 = 10; over RSS 3.
    assert!((its.durbin_watson.unwrap() - 10.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        its.warnings,
        [
            "only 3 periods before the change and 3 after: Bernal et al. (2017) suggest at least 8 on each side; with fewer, the estimates are fragile"
        ]
    );
    // Counterfactual after the change: 1.5 + 0.5·t.
    let cf: Vec<Option<f64>> = its.fitted.iter().map(|f| f.counterfactual).collect();
    assert_eq!(cf, [None, None, None, Some(3.0), Some(3.5), Some(4.0)]);
}

#[test]
fn the_json_has_the_agreed_fields() {
    let text = monthly("2021-01-01", 20, |i| f64::from(i % 5) + f64::from(i));
    let its = analyse_csv(&text, d("2021-09-01")).unwrap();
    let json = serde_json::to_value(&its).unwrap();
    for k in [
        "n",
        "n_before",
        "n_after",
        "period",
        "change",
        "first_after",
        "baseline_level",
        "baseline_slope",
        "level_change",
        "slope_change",
        "residual_se",
        "r_squared",
        "df",
        "warnings",
        "fitted",
    ] {
        assert!(json.get(k).is_some(), "{k} missing: {json}");
    }
    assert_eq!(json["period"], "month");
    assert_eq!(json["change"], "2021-09-01");
    assert_eq!(json["first_after"], "2021-09-01");
    for k in ["estimate", "se", "ci_low", "ci_high", "t", "p"] {
        assert!(json["level_change"][k].is_f64(), "{k}: {json}");
    }
    assert_eq!(json["fitted"][0]["date"], "2021-01-01");
    assert!(json["fitted"][0]["counterfactual"].is_null());
    assert!(json["fitted"][8]["counterfactual"].is_f64());
    assert_eq!(json["warnings"].as_array().unwrap().len(), 0);
}

#[test]
fn the_change_must_leave_three_periods_on_each_side() {
    let text = monthly("2023-01-01", 12, f64::from);
    let series = Series::parse_csv(&text).unwrap();
    assert_eq!(
        fit(&series, d("2022-06-01")).unwrap_err(),
        ItsError::NothingBefore {
            change: d("2022-06-01"),
            first: d("2023-01-01")
        }
    );
    assert_eq!(
        fit(&series, d("2023-01-01")).unwrap_err().to_string(),
        "the change date 2023-01-01 is on or before the series' first date 2023-01-01: there is no period before the change to compare with"
    );
    assert_eq!(
        fit(&series, d("2024-03-01")).unwrap_err().to_string(),
        "the change date 2024-03-01 is after the series' last date 2023-12-01: there is no period after the change yet (is the date in the future?)"
    );
    // On the last date: one period after.
    assert_eq!(
        fit(&series, d("2023-12-01")).unwrap_err().to_string(),
        "11 period(s) before the change and 1 after (the first after is 2023-12-01); at least 3 are needed on each side to fit a level and a slope (and 8 are recommended)"
    );
    // Between the 2nd and 3rd periods: 2 before.
    assert_eq!(
        fit(&series, d("2023-02-20")).unwrap_err(),
        ItsError::TooFewPoints {
            before: 2,
            after: 10,
            first_after: d("2023-03-01")
        }
    );
    // Exactly 3 a side computes, with the warning.
    let its = fit(&series, d("2023-04-01")).unwrap();
    assert_eq!((its.n_before, its.n_after), (3, 9));
    assert_eq!(
        its.warnings,
        [
            "only 3 periods before the change: Bernal et al. (2017) suggest at least 8 on each side (12 for monthly data, to span a year's seasonality); with fewer, the estimates are fragile"
        ]
    );
    let its = fit(&series, d("2023-10-01")).unwrap();
    assert_eq!((its.n_before, its.n_after), (9, 3));
    assert!(
        its.warnings[0].starts_with("only 3 periods after the change: "),
        "{:?}",
        its.warnings
    );
    // A file with an unusable change date is reported as a problem of the whole file.
    let p = analyse_csv(&text, d("2030-01-01")).unwrap_err();
    assert!(
        p[0].to_string()
            .starts_with("line 1: the change date 2030-01-01 is after"),
        "{p:?}"
    );
}

#[test]
fn headers_must_be_date_and_value() {
    has(
        "date,val\n2023-01-01,1\n",
        "line 1, field value: required column missing (the header is date,value)",
    );
    has(
        "date,val\n2023-01-01,1\n",
        "line 1, field val: unknown column (the header is date,value)",
    );
    has(
        "date,value,note\n2023-01-01,1,x\n",
        "line 1, field note: unknown column (the header is date,value)",
    );
    has(
        "value\n1\n",
        "line 1, field date: required column missing (the header is date,value)",
    );
    has("date,value,date\n", "line 1, field date: the column appears twice");
    has(
        "",
        "line 1: the file is empty; it needs the header date,value and one line per period",
    );
    has(
        "date,value\n",
        "line 1: 0 data line(s); a series needs equally spaced dates, at least 3 before the change and 3 after",
    );
    has(
        "date,value\n2023-01-01,4\n",
        "line 2: 1 data line(s); a series needs equally spaced dates, at least 3 before the change and 3 after",
    );
    // Column order, case, spaces and a byte-order mark are fine.
    let s = Series::parse_csv("\u{feff}Value , DATE\n1,2023-01-01\n2, 2023-01-02\n3,2023-01-03\n").unwrap();
    assert_eq!(s.period, Period::Day);
    assert_eq!(s.points[2].value, 3.0);
    assert_eq!(s.points[2].line, 4);
}

#[test]
fn bad_dates_and_values_are_named_by_line_and_field() {
    let text = csv(&[
        ("2023-01-01", "1"),
        ("2023-13-01", "2"),
        ("2023-03-01", "abc"),
        ("2023-04-01", "NaN"),
        ("2023-05-01", "inf"),
        ("2023-06-01", ""),
        ("", "7"),
        ("1/7/2023", "8"),
        ("2023-02-29", "9"),
    ]);
    let m = messages(&text);
    assert_eq!(
        m,
        [
            "line 3, field date: '2023-13-01' is not a calendar date written YYYY-MM-DD",
            "line 4, field value: 'abc' is not a number",
            "line 5, field value: 'NaN' is not a finite number",
            "line 6, field value: 'inf' is not a finite number",
            "line 7, field value: empty; every period needs a value (cocare does not fill in missing ones)",
            "line 8, field date: empty",
            "line 9, field date: '1/7/2023' is not a calendar date written YYYY-MM-DD",
            "line 10, field date: '2023-02-29' is not a calendar date written YYYY-MM-DD",
        ]
    );
    has(
        "date,value\n2023-01-01,1\n2023-02-01,2,3\n2023-03-01\n",
        "line 3: 3 fields where the header date,value has 2",
    );
    has(
        "date,value\n2023-01-01,1\n2023-02-01,2,3\n2023-03-01\n",
        "line 4: 1 fields where the header date,value has 2",
    );
}

#[test]
fn repeated_and_unordered_dates_are_refused_with_the_line() {
    let text = csv(&[
        ("2023-01-01", "1"),
        ("2023-02-01", "2"),
        ("2023-02-01", "3"),
        ("2023-04-01", "4"),
    ]);
    assert_eq!(
        messages(&text),
        ["line 4, field date: 2023-02-01 is already on line 3; each period must appear once"]
    );
    let text = csv(&[
        ("2023-01-01", "1"),
        ("2023-03-01", "2"),
        ("2023-02-01", "3"),
        ("2023-04-01", "4"),
    ]);
    assert_eq!(
        messages(&text),
        [
            "line 4: 2023-02-01 comes after 2023-03-01 (line 3); the dates must be in increasing order (cocare does not sort them)"
        ]
    );
}

#[test]
fn gaps_are_named_with_the_missing_dates() {
    // 12 months, 2022-06-01 … 2023-05-01 on lines 2–13, then July on line 14.
    let mut text = monthly("2022-06-01", 12, f64::from);
    text.push_str("2023-07-01,12\n2023-08-01,13\n");
    assert_eq!(
        messages(&text),
        ["line 14: 2023-07-01 follows 2023-05-01; the series is monthly, so 2023-06-01 is missing"]
    );
    // Every gap is named, several missing periods at once too, a gap at the start as well.
    let text = csv(&[
        ("2023-01-01", "1"),
        ("2023-03-01", "1"),
        ("2023-04-01", "1"),
        ("2023-08-01", "1"),
        ("2023-09-01", "1"),
    ]);
    assert_eq!(
        messages(&text),
        [
            "line 3: 2023-03-01 follows 2023-01-01; the series is monthly, so 2023-02-01 is missing",
            "line 5: 2023-08-01 follows 2023-04-01; the series is monthly, so 2023-05-01 to 2023-07-01 (3 months) are missing",
        ]
    );
    let weekly = csv(&[
        ("2024-01-01", "1"),
        ("2024-01-08", "1"),
        ("2024-01-22", "1"),
        ("2024-01-29", "1"),
    ]);
    has(
        &weekly,
        "line 4: 2024-01-22 follows 2024-01-08; the series is weekly, so 2024-01-15 is missing",
    );
    let daily = csv(&[
        ("2024-02-27", "1"),
        ("2024-02-28", "1"),
        ("2024-03-01", "1"),
        ("2024-03-02", "1"),
    ]);
    has(
        &daily,
        "line 4: 2024-03-01 follows 2024-02-28; the series is daily, so 2024-02-29 is missing",
    );
    let quarterly = csv(&[
        ("2020-01-01", "1"),
        ("2020-04-01", "1"),
        ("2020-10-01", "1"),
        ("2021-01-01", "1"),
    ]);
    has(
        &quarterly,
        "line 4: 2020-10-01 follows 2020-04-01; the series is quarterly, so 2020-07-01 is missing",
    );
    let yearly = csv(&[
        ("2018-04-01", "1"),
        ("2019-04-01", "1"),
        ("2020-04-01", "1"),
        ("2022-04-01", "1"),
    ]);
    has(
        &yearly,
        "line 5: 2022-04-01 follows 2020-04-01; the series is yearly, so 2021-04-01 is missing",
    );
    let month_ends = csv(&[
        ("2023-01-31", "1"),
        ("2023-02-28", "1"),
        ("2023-03-31", "1"),
        ("2023-05-31", "1"),
    ]);
    has(
        &month_ends,
        "line 5: 2023-05-31 follows 2023-03-31; the series is monthly, so 2023-04-30 is missing",
    );
}

#[test]
fn dates_off_the_series_calendar_are_refused() {
    let text = csv(&[
        ("2023-01-01", "1"),
        ("2023-02-01", "1"),
        ("2023-03-01", "1"),
        ("2023-04-15", "1"),
        ("2023-05-01", "1"),
    ]);
    assert_eq!(
        messages(&text),
        [
            "line 5: 2023-04-15 follows 2023-03-01; the series is monthly (day 1 of each month), so the next date should be 2023-04-01; cocare needs equally spaced periods"
        ]
    );
    let fortnightly = csv(&[("2023-01-01", "1"), ("2023-01-15", "1"), ("2023-01-29", "1")]);
    assert_eq!(
        messages(&fortnightly),
        [
            "line 3: 2023-01-15 follows 2023-01-01, 14 days later; cocare needs equally spaced periods of a day, a week, a calendar month, a quarter or a year"
        ]
    );
    // A month-end series that slips to a fixed day.
    let text = csv(&[
        ("2023-01-31", "1"),
        ("2023-02-28", "1"),
        ("2023-03-31", "1"),
        ("2023-04-28", "1"),
    ]);
    has(
        &text,
        "line 5: 2023-04-28 follows 2023-03-31; the series is monthly (month ends), so the next date should be 2023-04-30; cocare needs equally spaced periods",
    );
    // Day-of-month series clamp at short months: 30 January, 28 February, 30 March.
    let text = csv(&[
        ("2023-01-30", "1"),
        ("2023-02-28", "2"),
        ("2023-03-30", "3"),
        ("2023-04-30", "5"),
    ]);
    let s = Series::parse_csv(&text).unwrap();
    assert!(!s.month_end);
    assert_eq!(s.describe(), "monthly (day 30 of each month)");
    // 30 June and 30 September are month ends, but 30 December is not: day 30 it is.
    let text = csv(&[
        ("2021-06-30", "1"),
        ("2021-09-30", "2"),
        ("2021-12-30", "3"),
        ("2022-03-30", "5"),
    ]);
    let s = Series::parse_csv(&text).unwrap();
    assert_eq!((s.period, s.month_end), (Period::Quarter, false));
    let text = csv(&[
        ("2021-06-30", "1"),
        ("2021-09-30", "2"),
        ("2021-12-31", "3"),
        ("2022-03-31", "5"),
    ]);
    let s = Series::parse_csv(&text).unwrap();
    assert_eq!((s.period, s.month_end), (Period::Quarter, true));
}

#[test]
fn series_can_be_built_from_values_in_hand() {
    let values: Vec<(NaiveDate, f64)> = (0..12u32)
        .map(|i| {
            (
                d("2020-01-01").checked_add_months(Months::new(3 * i)).unwrap(),
                f64::from(i * i),
            )
        })
        .collect();
    let s = Series::from_values(values.clone()).unwrap();
    assert_eq!((s.period, s.len()), (Period::Quarter, 12));
    let from_csv = Series::parse_csv(&csv(&values
        .iter()
        .map(|(d, v)| (d.to_string(), v.to_string()))
        .collect::<Vec<_>>()
        .iter()
        .map(|(d, v)| (d.as_str(), v.as_str()))
        .collect::<Vec<_>>()))
    .unwrap();
    assert_eq!(
        fit(&s, d("2021-07-01")).unwrap().level_change,
        fit(&from_csv, d("2021-07-01")).unwrap().level_change
    );
    let mut bad = values.clone();
    bad[4].1 = f64::NAN;
    bad.swap(7, 8);
    let p: Vec<String> = Series::from_values(bad)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(p, ["line 5, field value: 'NaN' is not a finite number"]);
    let mut unordered = values;
    unordered.swap(7, 8);
    let p: Vec<String> = Series::from_values(unordered)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        p,
        [
            "line 9: 2021-10-01 comes after 2022-01-01 (line 8); the dates must be in increasing order (cocare does not sort them)"
        ]
    );
    // A series put together by hand, unchecked, is refused by fit rather than misread.
    let mut s =
        Series::from_values((0..8u32).map(|i| (d("2020-01-01") + chrono::Days::new(u64::from(i)), 1.0))).unwrap();
    s.points.swap(2, 3);
    assert_eq!(fit(&s, d("2020-01-05")).unwrap_err(), ItsError::Unchecked);
    s.points.swap(2, 3);
    s.points[1].value = f64::INFINITY;
    assert_eq!(fit(&s, d("2020-01-05")).unwrap_err(), ItsError::Unchecked);
}

#[test]
fn csv_line_numbers_count_blank_and_quoted_lines() {
    let text = "date,value\n2023-01-01,1\n\n\"2023-02-01\",\"2\"\n2023-03-01,\"x\ny\"\n2023-04-01,z\n";
    let m = messages(text);
    assert_eq!(
        m,
        [
            "line 5, field value: 'x\ny' is not a number",
            "line 7, field value: 'z' is not a number"
        ]
    );
}

#[test]
fn huge_and_tiny_values_fit_without_overflow() {
    for scale in [1e300, 1e-300, 1e-310] {
        let text = monthly("2020-01-01", 20, |i| {
            scale * (f64::from(i % 3) + f64::from(i) * 0.5 + if i >= 10 { 4.0 } else { 0.0 })
        });
        let its = analyse_csv(&text, d("2020-11-01")).unwrap();
        let small = analyse_csv(
            &monthly("2020-01-01", 20, |i| {
                f64::from(i % 3) + f64::from(i) * 0.5 + if i >= 10 { 4.0 } else { 0.0 }
            }),
            d("2020-11-01"),
        )
        .unwrap();
        for ((_, a), (_, b)) in its.coefficients().iter().zip(small.coefficients()) {
            assert!(
                ((a.estimate / scale) - b.estimate).abs() < 1e-9 * b.estimate.abs().max(1.0),
                "{scale}: {a:?} {b:?}"
            );
            assert!(
                (a.t.unwrap() - b.t.unwrap()).abs() < 1e-9 * b.t.unwrap().abs().max(1.0),
                "{scale}"
            );
        }
    }
    // At the edge of the floating-point range the fit either works or says why; it never panics.
    let text = monthly("2020-01-01", 12, |i| if i % 2 == 0 { f64::MAX } else { -f64::MAX });
    match analyse_csv(&text, d("2020-07-01")) {
        Ok(its) => assert!(its.residual_se.is_finite()),
        Err(p) => assert_eq!(
            p[0].to_string(),
            "line 1: the values are too large or too small to fit without overflow"
        ),
    }
    // A constant series: zero everywhere, R² undefined.
    let its = analyse_csv(&monthly("2020-01-01", 12, |_| 3.0), d("2020-07-01")).unwrap();
    assert_eq!(its.r_squared, None);
    assert!(its.level_change.estimate.abs() < 1e-12);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}", day in 0u32..4000) {
        let change = d("2015-01-01") + chrono::Days::new(u64::from(day));
        if let Ok(series) = Series::parse_csv(&text) {
            let _ = fit(&series, change);
        }
        let _ = analyse_csv(&text, change);
    }

    #[test]
    fn csv_like_text_never_panics(
        rows in proptest::collection::vec(
            (
                prop_oneof![
                    (2019i32..2024, 1u32..13, 1u32..32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
                    Just(String::new()),
                    "[0-9/ -]{0,12}",
                    Just("9999-12-31".to_string()),
                    Just("0000-01-01".to_string()),
                ],
                prop_oneof![
                    (-1e6f64..1e6).prop_map(|v| v.to_string()),
                    Just("NaN".to_string()),
                    Just("1e308".to_string()),
                    Just("-1e-320".to_string()),
                    "[0-9a-z.,\"-]{0,6}",
                ],
            ),
            0..30,
        ),
        header in prop_oneof![Just("date,value"), Just("value,date"), Just("date"), Just("date,value,x")],
        day in 0u32..3000,
    ) {
        let mut text = format!("{header}\n");
        for (date, value) in &rows {
            text.push_str(&format!("{date},{value}\n"));
        }
        let change = d("2018-06-01") + chrono::Days::new(u64::from(day));
        let _ = analyse_csv(&text, change);
    }

    #[test]
    fn well_formed_series_fit_consistently(
        kind in 0usize..6,
        start in 0u32..800,
        n in 6usize..60,
        at in 0.0f64..1.0,
        values in proptest::collection::vec(-1000.0f64..1000.0, 60),
    ) {
        let first = d("2020-01-31") + chrono::Days::new(u64::from(start));
        let date = |i: u32| match kind {
            0 => first + chrono::Days::new(u64::from(i)),
            1 => first + chrono::Days::new(7 * u64::from(i)),
            2 => first.checked_add_months(Months::new(i)).unwrap(),
            3 => first.checked_add_months(Months::new(3 * i)).unwrap(),
            4 => first.checked_add_months(Months::new(12 * i)).unwrap(),
            _ => {
                let m = first.checked_add_months(Months::new(i + 1)).unwrap();
                NaiveDate::from_ymd_opt(chrono::Datelike::year(&m), chrono::Datelike::month(&m), 1).unwrap().pred_opt().unwrap()
            }
        };
        let mut text = String::from("date,value\n");
        for (i, v) in values.iter().take(n).enumerate() {
            text.push_str(&format!("{},{v}\n", date(i as u32)));
        }
        let series = Series::parse_csv(&text).unwrap();
        prop_assert_eq!(series.len(), n);
        let k = ((n as f64) * at) as u32;
        let change = date(k);
        match fit(&series, change) {
            Ok(its) => {
                prop_assert_eq!(its.n_before, k as usize);
                prop_assert_eq!(its.n_before + its.n_after, n);
                prop_assert!(its.n_before >= 3 && its.n_after >= 3);
                for (_, c) in its.coefficients() {
                    prop_assert!(c.ci_low <= c.estimate && c.estimate <= c.ci_high);
                    prop_assert!(c.p.is_none_or(|p| (0.0..=1.0).contains(&p)));
                }
                prop_assert!(its.r_squared.is_none_or(|r| r <= 1.0 + 1e-12));
            }
            Err(e) => prop_assert!(matches!(e, ItsError::NothingBefore { .. } | ItsError::TooFewPoints { .. }), "{e}"),
        }
    }
}
