//! Agreement against an independent implementation: the `krippendorff` package and numpy, run
//! as a fixture generator (`tests/fixtures/agreement/generate.py`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod qdpx;

use cocare_qual::agreement::{Level, Reliability, cohen, krippendorff, percent};

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
