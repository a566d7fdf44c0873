//! `cocare engage its` as other tools call it.

use super::{cocare, text};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../engage/tests/fixtures/its");

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/expected.json")).unwrap()).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn engage_its_json_matches_statsmodels() {
    let expected = expected();
    for (name, want) in expected.as_object().unwrap() {
        let file = format!("{FIXTURES}/{}", want["file"].as_str().unwrap());
        let change = want["change"].as_str().unwrap();
        let out = cocare(
            &["engage", "its", "--series", &file, "--change", change, "--json"],
            None,
        );
        assert!(out.status.success(), "{name}: {}", text(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for k in ["n", "n_before", "n_after", "df", "period", "change", "first_after"] {
            assert_eq!(json[k], want[k], "{name}.{k}");
        }
        for key in ["baseline_level", "baseline_slope", "level_change", "slope_change"] {
            for k in ["estimate", "se", "ci_low", "ci_high", "t"] {
                let (got, w) = (
                    json[key][k].as_f64().unwrap(),
                    want["coefficients"][key][k].as_f64().unwrap(),
                );
                assert!(close(got, w), "{name}.{key}.{k}: {got} vs statsmodels {w}");
            }
            let (got, w) = (
                json[key]["p"].as_f64().unwrap(),
                want["coefficients"][key]["p"].as_f64().unwrap(),
            );
            assert!(
                (got - w).abs() <= 1e-9 * w || (got - w).abs() < 1e-15,
                "{name}.{key}.p: {got} vs {w}"
            );
        }
        for k in ["residual_se", "r_squared"] {
            assert!(
                close(json[k].as_f64().unwrap(), want[k].as_f64().unwrap()),
                "{name}.{k}"
            );
        }
        let fitted = json["fitted"].as_array().unwrap();
        assert_eq!(fitted.len(), want["fitted"].as_array().unwrap().len());
        for (i, f) in fitted.iter().enumerate() {
            assert!(
                close(f["fitted"].as_f64().unwrap(), want["fitted"][i].as_f64().unwrap()),
                "{name} {i}"
            );
            match want["counterfactual"][i].as_f64() {
                Some(w) => assert!(close(f["counterfactual"].as_f64().unwrap(), w), "{name} {i}"),
                None => assert!(f["counterfactual"].is_null(), "{name} {i}"),
            }
        }
        let warnings = json["warnings"].as_array().unwrap();
        assert_eq!(warnings.is_empty(), name != "quarterly_short", "{name}: {warnings:?}");
    }
}

#[test]
fn engage_its_prints_a_table_and_the_short_series_warning() {
    let file = format!("{FIXTURES}/quarterly_short.csv");
    let out = cocare(&["engage", "its", "--series", &file, "--change", "2020-07-01"], None);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    for line in [
        "baseline level",
        "baseline slope",
        "level change",
        "slope change",
        "95% CI",
    ] {
        assert!(shown.contains(line), "{line}: {shown}");
    }
    assert!(shown.contains("quarterly (from 2019-01-01), 11 periods"), "{shown}");
    assert!(
        shown.contains("Change 2020-07-01 (first period after it: 2020-07-01); 6 periods before, 5 after"),
        "{shown}"
    );
    assert!(
        shown.contains("warning: only 6 periods before the change and 5 after: Bernal et al. (2017) suggest at least 8 on each side"),
        "{shown}"
    );
    let level = expected()["quarterly_short"]["coefficients"]["level_change"]["estimate"]
        .as_f64()
        .unwrap();
    assert!(shown.contains(&format!("{level:.6}")[..7]), "{level}: {shown}");
}

#[test]
fn engage_its_refuses_bad_input_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let gap = dir.path().join("gap.csv");
    let mut csv = String::from("date,value\n");
    for m in 6..=12 {
        csv.push_str(&format!("2022-{m:02}-01,{m}\n"));
    }
    for m in 1..=5 {
        csv.push_str(&format!("2023-{m:02}-01,{m}\n"));
    }
    csv.push_str("2023-07-01,7\n2023-08-01,8\n2023-09-01,9\n");
    std::fs::write(&gap, &csv).unwrap();
    let path = gap.to_str().unwrap();
    let out = cocare(&["engage", "its", "--series", path, "--change", "2023-01-01"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "{path}: line 14: 2023-07-01 follows 2023-05-01; the series is monthly, so 2023-06-01 is missing"
        )),
        "{}",
        text(&out)
    );
    assert!(out.stdout.is_empty());

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "date,value\n2023-01-01,1\n2023-02-01,x\n").unwrap();
    let out = cocare(
        &[
            "engage",
            "its",
            "--series",
            bad.to_str().unwrap(),
            "--change",
            "2023-02-01",
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("line 3, field value: 'x' is not a number"),
        "{}",
        text(&out)
    );

    let file = format!("{FIXTURES}/monthly.csv");
    let out = cocare(&["engage", "its", "--series", &file, "--change", "2030-01-01"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("the change date 2030-01-01 is after the series' last date 2024-12-01"),
        "{}",
        text(&out)
    );
    let out = cocare(&["engage", "its", "--series", &file, "--change", "2023-13-01"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("--change '2023-13-01': not a calendar date written YYYY-MM-DD"),
        "{}",
        text(&out)
    );
}
