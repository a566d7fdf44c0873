//! Agreement against an independent implementation: the `krippendorff` package and numpy, run
//! as a fixture generator (`tests/fixtures/agreement/generate.py`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

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
