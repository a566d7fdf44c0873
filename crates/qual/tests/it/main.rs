//! Agreement against an independent implementation: the `krippendorff` package and numpy, run
//! as a fixture generator (`tests/fixtures/agreement/generate.py`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod qdpx;

use cocare_qual::agreement::{AgreementError, Level, Reliability, cohen, fleiss, krippendorff, percent};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/agreement/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn alpha_kappa_and_percent_match_the_independent_values() {
    let expected: serde_json::Value = serde_json::from_str(&fixture("expected.json")).unwrap();
    let five = Reliability::parse_csv(&fixture("five_coders.csv")).unwrap();
    for level in [Level::Nominal, Level::Ordinal, Level::Interval, Level::Ratio] {
        let got = krippendorff(&five, level).unwrap().coefficient.unwrap();
        let want = expected["five_coders"][level.key()].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{level:?}: {got} vs {want}");
    }
    let two = Reliability::parse_csv(&fixture("two_coders.csv")).unwrap();
    let want = &expected["two_coders"];
    let alpha = krippendorff(&two, Level::Nominal).unwrap();
    assert!((alpha.coefficient.unwrap() - want["nominal"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(alpha.units as u64, want["units"].as_u64().unwrap());
    assert_eq!(alpha.pairable_values as u64, want["pairable_values"].as_u64().unwrap());
    let kappa = cohen(&two).unwrap();
    assert!((kappa.coefficient.unwrap() - want["cohen"].as_f64().unwrap()).abs() < 1e-9);
    assert!((percent(&two).coefficient.unwrap() - want["percent"].as_f64().unwrap()).abs() < 1e-9);
}

/// Each frame exported as a REFI-QDA codebook validates against the standard's schema (with
/// libxml2's `xmllint`, an independent validator), and reads back unchanged.
#[test]
fn codebooks_export_valid_qdc() {
    use cocare_qual::codebook::Codebook;
    let schema = format!("{}/tests/schemas/Codebook.xsd", env!("CARGO_MANIFEST_DIR"));
    let available = std::process::Command::new("xmllint").arg("--version").output().is_ok();
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint (libxml2-utils) is needed to validate REFI-QDA output"
        );
        eprintln!("xmllint is not installed: schema validation skipped outside CI");
    }
    let dir = std::env::temp_dir().join(format!("cocare-qdc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for book in [
        Codebook::npt_classic(),
        Codebook::npt_2022(),
        Codebook::realist(),
        Codebook::blank(),
    ] {
        let xml = book.to_qdc().unwrap();
        if !book.codes.is_empty() {
            assert_eq!(Codebook::from_qdc(&xml).unwrap(), book);
        }
        if available {
            let file = dir.join("book.qdc");
            std::fs::write(&file, &xml).unwrap();
            let out = std::process::Command::new("xmllint")
                .args(["--noout", "--schema", &schema])
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                book.origin,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fleiss_kappa_matches_statsmodels_and_fleiss_own_example() {
    let expected: serde_json::Value = serde_json::from_str(&fixture("fleiss_expected.json")).unwrap();
    for name in ["fleiss_wikipedia", "fleiss_study"] {
        let data = Reliability::parse_csv(&fixture(&format!("{name}.csv"))).unwrap();
        let got = fleiss(&data).unwrap();
        let want = &expected[name];
        assert!(
            (got.coefficient.unwrap() - want["kappa"].as_f64().unwrap()).abs() < 1e-12,
            "{name}: {:?}",
            got.coefficient
        );
        assert_eq!(got.units as u64, want["units"].as_u64().unwrap());
        assert_eq!(got.raters.unwrap() as u64, want["raters"].as_u64().unwrap());
    }
    // Fleiss (1971) as usually quoted: 0.210.
    let wiki = fleiss(&Reliability::parse_csv(&fixture("fleiss_wikipedia.csv")).unwrap()).unwrap();
    assert_eq!(format!("{:.3}", wiki.coefficient.unwrap()), "0.210");
}

#[test]
fn fleiss_kappa_refuses_missing_ratings_and_says_when_it_is_undefined() {
    let uneven = Reliability::parse_csv("unit,coder,value\na,r1,x\na,r2,x\na,r3,y\nb,r1,x\nb,r2,y\nb,r3,\n").unwrap();
    match fleiss(&uneven) {
        Err(AgreementError::UnequalRaters { unit, got, want }) => assert_eq!((unit.as_str(), got, want), ("b", 2, 3)),
        other => panic!("{other:?}"),
    }
    let same = Reliability::parse_csv("unit,coder,value\na,r1,x\na,r2,x\nb,r1,x\nb,r2,x\n").unwrap();
    let k = fleiss(&same).unwrap();
    assert!(k.coefficient.is_none() && k.note.contains("undefined"));
    // By hand: two units, three raters; unit a all "x", unit b two "x" one "y".
    // P_a = 1, P_b = (4 + 1 - 3) / 6 = 1/3, P̄ = 2/3; p_x = 5/6, p_y = 1/6, P̄e = 26/36;
    // kappa = (2/3 - 26/36) / (1 - 26/36) = (24 - 26) / 10 = -0.2.
    let hand = Reliability::parse_csv("unit,coder,value\na,r1,x\na,r2,x\na,r3,x\nb,r1,x\nb,r2,x\nb,r3,y\n").unwrap();
    assert!((fleiss(&hand).unwrap().coefficient.unwrap() + 0.2).abs() < 1e-12);
}
