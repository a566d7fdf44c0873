//! `cocare records …` and `cocare demo --records-out`, run as an operator would.

use std::path::Path;
use std::process::{Command, Output};

use super::{cocare, sqlite_url, text};

fn cocare_with_home(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cocare"))
        .args(args)
        .env("HOME", home)
        .env_remove("COCARE_PSEUDONYM_KEY_FILE")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// The pseudonyms in the analytic store beside a SQLite database (through Table 1's JSON, the
/// store is not opened here: the people file's bytes are compared instead).
fn people_pseudonyms(url: &str) -> Vec<u8> {
    let db = Path::new(url.trim_start_matches("sqlite://"));
    let records = db.parent().unwrap().join("records");
    let mut found = Vec::new();
    let mut stack = vec![records];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "people.parquet") {
                found.push(std::fs::read(&path).unwrap());
            }
        }
    }
    // Two versions are kept (the one in use and the one before); both must hold the same people.
    assert!(!found.is_empty());
    found.sort();
    found.dedup();
    assert_eq!(found.len(), 1, "every version holds the same pseudonyms");
    found.remove(0)
}

const COHORT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../analytics/tests/fixtures/table1/cohort.json"
);

#[test]
fn demo_writes_an_extract_that_imports_and_table1_prints_for_a_cohort_file() {
    let dir = tempfile::tempdir().unwrap();
    let extract = dir.path().join("extract");
    let key = dir.path().join("key.hex");
    let url = sqlite_url(dir.path());

    let out = cocare(
        &["demo", "--people", "400", "--records-out", extract.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    for file in [
        "people.csv",
        "contacts.csv",
        "spells.csv",
        "ward_stays.csv",
        "agency_contacts.csv",
        "outcomes.csv",
    ] {
        assert!(extract.join(file).exists(), "{file} written");
    }

    // Exactly the documented command line: with no key given, the administrator's default key
    // (under $HOME) is made on first use and used again after.
    let home = dir.path().join("home");
    let out = cocare_with_home(
        &["records", "import", extract.to_str().unwrap(), "--database-url", &url],
        &home,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(home.join(".config/cocare/pseudonym.key").exists());
    let first = people_pseudonyms(&url);
    let out = cocare_with_home(
        &["records", "import", extract.to_str().unwrap(), "--database-url", &url],
        &home,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(people_pseudonyms(&url), first, "the same key gives the same pseudonyms");

    let out = cocare(&["records", "keygen", "--out", key.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let out = cocare(&["records", "keygen", "--out", key.to_str().unwrap()], None);
    assert!(!out.status.success(), "an existing key is never overwritten");

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
    assert!(text(&out).contains("Imported 400 people"), "{}", text(&out));

    let out = cocare(
        &[
            "records",
            "table1",
            "--cohort",
            COHORT,
            "--database-url",
            &url,
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["cohort"], "Complex needs");
    assert_eq!(
        json["n"][0].as_u64().unwrap() + json["n"][1].as_u64().unwrap(),
        400,
        "{json}"
    );
    assert!(
        json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["variable"] == "Age at index date (years)")
    );

    let out = cocare(
        &["records", "table1", "--cohort", COHORT, "--database-url", &url, "--csv"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("variable,statistic,Complex needs (n="));

    let out = cocare(&["records", "table1", "--cohort", COHORT, "--database-url", &url], None);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Table 1: Complex needs"),
        "{}",
        text(&out)
    );

    let report = dir.path().join("report.html");
    let xlsx = dir.path().join("report.xlsx");
    let out = cocare(
        &[
            "records",
            "report",
            "--cohort",
            COHORT,
            "--database-url",
            &url,
            "--out",
            report.to_str().unwrap(),
            "--xlsx",
            xlsx.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("Table 1: the cohort beside everyone else")
    );
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    // A bad definition file is named, with the place in it.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"name": "x", "index_date": "2025-01-01", "criteria": [{"rule": {"count": {"kind": "admission", "at_least": 0, "within_months": 12}}}]}"#).unwrap();
    let out = cocare(
        &[
            "records",
            "table1",
            "--cohort",
            bad.to_str().unwrap(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("criteria[0].rule.count.at_least: must be at least 1"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_rejected_import_exits_non_zero_and_names_each_row() {
    let dir = tempfile::tempdir().unwrap();
    let extract = dir.path().join("extract");
    std::fs::create_dir_all(&extract).unwrap();
    std::fs::write(
        extract.join("people.csv"),
        "source_id,year_of_birth,sex,ethnicity\nA1,1980,female,A\nA1,1981,male,B\n",
    )
    .unwrap();
    std::fs::write(
        extract.join("detentions.csv"),
        "source_id,section,start,end\nA1,s2,2024-05-01,2024-04-01\n",
    )
    .unwrap();
    let key = dir.path().join("key.hex");
    assert!(
        cocare(&["records", "keygen", "--out", key.to_str().unwrap()], None)
            .status
            .success()
    );
    let url = sqlite_url(dir.path());
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
    assert!(!out.status.success());
    let all = text(&out);
    assert!(all.contains("Nothing was imported: 2 row(s) were rejected."), "{all}");
    assert!(
        all.contains("people.csv line 3, field source_id: this person is already on people.csv line 2"),
        "{all}"
    );
    assert!(
        all.contains("detentions.csv line 2, field end: 2024-04-01 is before the start, 2024-05-01"),
        "{all}"
    );
}
