//! `cocare vignette check`, run as a researcher would: exit codes, what it prints, JSON.

use std::path::Path;

use super::{cocare, sqlite_url, text};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/records-example");

fn facts_file(dir: &Path, name: &str, json: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, json).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_passing_vignette_exits_0_and_a_failing_one_exits_1_without_revealing_the_count() {
    let dir = tempfile::tempdir().unwrap();
    // The example records hold two women (1984 and 1962), one with a psychosis diagnosis.
    let women = facts_file(dir.path(), "women.json", r#"{"sex": "female"}"#);
    let out = cocare(
        &["vignette", "check", "--records", EXAMPLE, "--facts", &women, "--k", "2"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("PASSES: 2 people"), "{shown}");
    assert!(shown.contains("4 people, imported into a temporary store"), "{shown}");

    let rare = facts_file(
        dir.path(),
        "rare.json",
        r#"{"sex": "female", "diagnosis": "F20", "spells": {"min": 2}}"#,
    );
    let out = cocare(&["vignette", "check", "--records", EXAMPLE, "--facts", &rare], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("FAILS: fewer than 5 people"), "{shown}");
    assert!(shown.contains("a diagnosis coded F20…"), "{shown}");
    assert!(!shown.contains(" 1 person") && !shown.contains(" 2 people"), "{shown}");

    let out = cocare(
        &[
            "vignette",
            "check",
            "--records",
            EXAMPLE,
            "--facts",
            &rare,
            "--k",
            "2",
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passes"], false);
    assert_eq!(json["k"], 2);
    assert!(json["matched"].is_null());
    assert_eq!(json["matched_text"], "fewer than 2 people");
    let fields: Vec<&str> = json["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["sex", "diagnosis", "spells"]);
    // Without sex: only the woman born 1984 has F20 and 2+ admissions, still 1 (hidden); without
    // the diagnosis or the admissions: still just her. Nothing widens it past k.
    assert!(json["facts"].as_array().unwrap().iter().all(|f| f["without"].is_null()));
    assert!(json["rarest"].is_array());
}

#[test]
fn a_bad_facts_file_names_every_problem_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = facts_file(
        dir.path(),
        "bad.json",
        r#"{"sex": "femal", "colour": "blue", "age": {"min": 50, "max": 40}}"#,
    );
    let out = cocare(&["vignette", "check", "--records", EXAMPLE, "--facts", &bad], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("bad.json has 3 problem(s); nothing was checked"),
        "{shown}"
    );
    assert!(
        shown.contains(r#"bad.json: "sex": "femal" is not a sex; expected female, male, intersex or not_stated"#),
        "{shown}"
    );
    assert!(shown.contains(r#""colour": not a field"#), "{shown}");
    assert!(shown.contains(r#""age": min 50 is greater than max 40"#), "{shown}");

    let empty = facts_file(dir.path(), "empty.json", "{}");
    let out = cocare(&["vignette", "check", "--records", EXAMPLE, "--facts", &empty], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no facts to check"), "{}", text(&out));

    let women = facts_file(dir.path(), "women.json", r#"{"sex": "female"}"#);
    let nowhere = dir.path().join("nowhere");
    let out = cocare(
        &[
            "vignette",
            "check",
            "--records",
            nowhere.to_str().unwrap(),
            "--facts",
            &women,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("is not a folder"), "{}", text(&out));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = cocare(
        &[
            "vignette",
            "check",
            "--records",
            empty.to_str().unwrap(),
            "--facts",
            &women,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("is not an analytic store"), "{}", text(&out));
}

#[test]
fn the_check_runs_on_an_analytic_store_and_on_a_larger_extract() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let key = dir.path().join("key.hex");
    let out = cocare(&["records", "keygen", "--out", key.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let out = cocare(
        &[
            "records",
            "import",
            EXAMPLE,
            "--database-url",
            &url,
            "--key-file",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let store = dir.path().join("records");
    let women = facts_file(dir.path(), "women.json", r#"{"sex": "female", "age": {"min": 40}}"#);
    for _ in 0..2 {
        // The second run reads the profile cached beside the version.
        let out = cocare(
            &[
                "vignette",
                "check",
                "--records",
                store.to_str().unwrap(),
                "--facts",
                &women,
                "--k",
                "2",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("PASSES: 2 people"), "{}", text(&out));
    }

    // 300 synthetic people: everyone has a sex, so all 300 match and the count is shown.
    let extract = dir.path().join("extract");
    let out = cocare(
        &["demo", "--people", "300", "--records-out", extract.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let anyone = facts_file(
        dir.path(),
        "anyone.json",
        r#"{"sex": ["female", "male", "intersex", "not_stated"], "as_of": "2025-06-30"}"#,
    );
    let out = cocare(
        &[
            "vignette",
            "check",
            "--records",
            extract.to_str().unwrap(),
            "--facts",
            &anyone,
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["matched"], 300);
    assert_eq!(json["matched_text"], "300 people");
    assert_eq!(json["rarest"], serde_json::json!([]));
}

#[tokio::test]
async fn study_export_writes_one_row_per_respondent_vignette_and_item_and_a_dictionary() {
    let app = cocare_testkit::TestApp::spawn_with_records(cocare_store::Backend::Sqlite, 300).await;
    let organisation = app.app.store().organisations().await.unwrap()[0].id;
    let study = app.app.seed_vignette_demo(organisation).await.unwrap().unwrap();
    let url = format!("sqlite://{}", app.db.url.sqlite_path().unwrap().display());
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("export");
    let done = cocare(
        &[
            "study",
            "export",
            "--study",
            &study,
            "--out",
            dir.to_str().unwrap(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(done.status.success(), "{}", text(&done));
    let responses = std::fs::read_to_string(dir.join("responses.csv")).unwrap();
    // The demo: 12 clinicians started (10 sent, 2 stopped half-way), 2 vignettes, 5 questions.
    assert_eq!(responses.lines().count(), 1 + 12 * 2 * 5);
    let header = responses.lines().next().unwrap();
    assert_eq!(
        header,
        "study,respondent,status,vignette,vignette_title,vignette_version,position,variant,item,item_type,answer"
    );
    assert!(responses.contains(",started,"), "the half-answered are kept and marked");
    assert!(responses.contains("housing: sleeping rough"));
    let dictionary = std::fs::read_to_string(dir.join("dictionary.csv")).unwrap();
    assert!(dictionary.starts_with("variable,kind,meaning,type,values"));
    assert!(dictionary.contains("confidence,item,") && dictionary.contains("1; 2; 3; 4; 5; 6; 7"));
    let missing = cocare(
        &[
            "study",
            "export",
            "--study",
            "no-such-study",
            "--out",
            dir.to_str().unwrap(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no study with the id"), "{}", text(&missing));
}
