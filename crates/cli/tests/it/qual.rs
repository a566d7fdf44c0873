//! `cocare qual agreement` as other tools call it.

use super::{cocare, text};

#[test]
fn qual_agreement_prints_the_coefficient_and_what_it_used() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../qual/tests/fixtures/agreement");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{fixtures}/expected.json")).unwrap()).unwrap();
    let five = format!("{fixtures}/five_coders.csv");
    let out = cocare(
        &[
            "qual",
            "agreement",
            "--input",
            &five,
            "--metric",
            "krippendorff",
            "--level",
            "interval",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = expected["five_coders"]["interval"].as_f64().unwrap();
    assert!((json["coefficient"].as_f64().unwrap() - want).abs() < 1e-9);
    assert!(json["units"].as_u64().unwrap() > 0 && json["pairable_values"].as_u64().unwrap() > 0);
    let two = format!("{fixtures}/two_coders.csv");
    let out = cocare(&["qual", "agreement", "--input", &two, "--metric", "cohen"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).starts_with(&format!(
            "Cohen's kappa: {:.4} (76 units, 152 pairable values, 2 coders)",
            expected["two_coders"]["cohen"].as_f64().unwrap()
        )),
        "{}",
        text(&out)
    );
    let out = cocare(&["qual", "agreement", "--input", &five, "--metric", "cohen"], None);
    assert!(!out.status.success() && text(&out).contains("exactly two coders; this data has 5"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "unit,coder,value\n1,a,x\n1,a,y\n").unwrap();
    let out = cocare(
        &[
            "qual",
            "agreement",
            "--input",
            bad.to_str().unwrap(),
            "--metric",
            "percent",
        ],
        None,
    );
    assert!(!out.status.success() && text(&out).contains("line 3, field coder: a already coded unit 1 (line 2)"));
}

#[test]
fn qual_codebook_writes_a_frame_that_checks_and_a_broken_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("npt.qdc");
    let out = cocare(
        &[
            "qual",
            "codebook",
            "--frame",
            "npt-classic",
            "--out",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(20 codes)"));
    let out = cocare(&["qual", "check-codebook", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("  Coherence (heading)") && t.contains("    Communal specification"),
        "{t}"
    );
    let broken = std::fs::read_to_string(&file).unwrap().replacen("</Codes>", "", 1);
    std::fs::write(&file, broken).unwrap();
    let out = cocare(&["qual", "check-codebook", file.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("XML at byte"), "{}", text(&out));
}
