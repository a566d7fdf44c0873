//! `cocare econ …` as other tools call it: the fixed command lines, their output and exit codes.

use std::path::Path;

use super::{cocare, sqlite_url, text};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../econ/tests/fixtures/cea");

#[test]
fn cea_prints_each_option_against_the_reference_as_json_and_text() {
    let psa = format!("{FIXTURES}/psa.csv");
    let out = cocare(
        &[
            "econ",
            "cea",
            "--psa",
            &psa,
            "--reference",
            "usual_care",
            "--wtp",
            "20000,30000",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/expected.json")).unwrap()).unwrap();
    assert_eq!(json["reference"], "usual_care");
    assert_eq!(json["wtp"], serde_json::json!([20000.0, 30000.0]));
    let crisis = json["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["option"] == "crisis_first")
        .unwrap();
    let want = &expected["options"][0];
    assert_eq!(want["option"], "crisis_first");
    let close = |a: &serde_json::Value, b: &serde_json::Value| {
        (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-6 * b.as_f64().unwrap().abs().max(1.0)
    };
    assert!(close(&crisis["icer"], &want["icer"]));
    // The fixture's thresholds are 0, 20000, 30000, 50000.
    assert!(close(&crisis["inb"][0], &want["inb"][1]) && close(&crisis["inb"][1], &want["inb"][2]));
    assert_eq!(crisis["ceac"][1], want["ceac"][2]);
    assert!(close(&json["evpi"][0], &expected["evpi"][1]));

    let out = cocare(
        &[
            "econ",
            "cea",
            "--psa",
            &format!("{FIXTURES}/tiny.csv"),
            "--reference",
            "A",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("ICER £10,000 per unit of effect"), "{t}");
    assert!(t.contains("at £20,000 per unit: INB £10,000, CEAC 0.500"), "{t}");
}

#[test]
fn cea_refuses_bad_input_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "sim,option,cost,effect\n1,a,ten,1\n1,b,2,2\n2,a,1,1\n").unwrap();
    let out = cocare(&["econ", "cea", "--psa", bad.to_str().unwrap()], None);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("line 2, field cost: 'ten' is not a number"), "{t}");
    assert!(t.contains("line 4, field option: simulation 2 has no row for b"), "{t}");
    let psa = format!("{FIXTURES}/tiny.csv");
    let out = cocare(&["econ", "cea", "--psa", &psa, "--wtp", ""], None);
    assert!(
        !out.status.success() && text(&out).contains("thresholds is empty"),
        "{}",
        text(&out)
    );
    let out = cocare(&["econ", "cea", "--psa", &psa, "--reference", "Z"], None);
    assert!(
        !out.status.success() && text(&out).contains("are B, A"),
        "{}",
        text(&out)
    );
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn cost_writes_one_row_per_person_and_category_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let extract = dir.path().join("extract");
    let key = dir.path().join("key");
    assert!(
        cocare(
            &["demo", "--people", "300", "--records-out", extract.to_str().unwrap()],
            None
        )
        .status
        .success()
    );
    assert!(
        cocare(&["records", "keygen", "--out", key.to_str().unwrap()], None)
            .status
            .success()
    );
    let out = cocare(
        &[
            "records",
            "import",
            extract.to_str().unwrap(),
            "--database-url",
            &url,
            "--key-file",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let records = std::fs::read_dir(dir.path().join("records"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let out_csv = dir.path().join("costs.csv");

    // The default table lacks the mental health figures: nothing is written, and each is named.
    let out = cocare(
        &[
            "econ",
            "cost",
            "--records",
            records.to_str().unwrap(),
            "--perspective",
            "nhs_pss",
            "--out",
            out_csv.to_str().unwrap(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no unit cost for inpatient_acute_bed_day (used by "),
        "{}",
        text(&out)
    );
    assert!(!out_csv.exists());

    // A table with them (the default plus the demo's proxies).
    let table = dir.path().join("table.csv");
    let demo = cocare_app::econ_domain::costs::UnitCostTable::demo_with_proxies();
    std::fs::write(&table, demo.to_csv()).unwrap();
    let out = cocare(
        &[
            "econ",
            "cost",
            "--records",
            records.to_str().unwrap(),
            "--unit-costs",
            table.to_str().unwrap(),
            "--perspective",
            "nhs_pss",
            "--out",
            out_csv.to_str().unwrap(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let rows = read_csv(&out_csv);
    assert_eq!(rows[0], ["person", "category", "cost", "discounted_cost"]);
    assert_eq!(rows.len(), 1 + 300 * 3, "one row per person and category");
    let mut total = 0.0;
    for row in &rows[1..] {
        assert!(
            row[0].starts_with('P') && row[0].len() == 33,
            "a pseudonym, not a source id: {}",
            row[0]
        );
        let (cost, discounted): (f64, f64) = (row[2].parse().unwrap(), row[3].parse().unwrap());
        assert!(discounted <= cost + 1e-6 && discounted >= 0.0);
        if row[1] == "indirect" {
            assert_eq!(cost, 0.0, "no indirect costs from the NHS and PSS perspective");
        }
        total += cost;
    }
    assert!(total > 0.0);
    // Reading the records is audited.
    let out = cocare(&["audit", "verify", "--database-url", &url], None);
    assert!(out.status.success(), "{}", text(&out));

    // A bad table is refused with its line and field.
    std::fs::write(&table, demo.to_csv().replacen("GBP,2025", "GBP,twenty", 1)).unwrap();
    let out = cocare(
        &[
            "econ",
            "cost",
            "--records",
            records.to_str().unwrap(),
            "--unit-costs",
            table.to_str().unwrap(),
            "--perspective",
            "societal",
            "--out",
            out_csv.to_str().unwrap(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("field price_year: 'twenty' is not a four-digit year"),
        "{}",
        text(&out)
    );
}

#[test]
fn unit_costs_prints_the_default_and_inflates_it() {
    let out = cocare(&["econ", "unit-costs"], None);
    assert!(out.status.success());
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(t.starts_with("resource,unit,category,sector,cost,currency,price_year,source,edition,table,note"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.csv");
    let out = cocare(
        &[
            "econ",
            "unit-costs",
            "--inflate-to",
            "2025",
            "--out",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let moved = std::fs::read_to_string(&file).unwrap();
    assert!(moved.lines().skip(1).all(|l| l.contains(",GBP,2025,")), "{moved}");
    let out = cocare(&["econ", "unit-costs", "--inflate-to", "1900"], None);
    assert!(!out.status.success() && text(&out).contains("no value for 1900"));
}
