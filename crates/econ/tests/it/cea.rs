use cocare_econ::cea::{Simulations, analyse};
use serde_json::Value;

use crate::{close, fixture};

fn check(csv: &str, json: &str) {
    let expected: Value = serde_json::from_str(&fixture(json)).unwrap();
    let reference = expected["reference"].as_str().unwrap();
    let wtp: Vec<f64> = expected["wtp"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let sims = Simulations::parse_psa(&fixture(csv))
        .unwrap()
        .with_reference_first(reference)
        .unwrap();
    let got = analyse(&sims, 0, &wtp).unwrap();
    assert_eq!(got.reference, reference);
    let options = expected["options"].as_array().unwrap();
    assert_eq!(got.comparisons.len(), options.len());
    for want in options {
        let name = want["option"].as_str().unwrap();
        let c = got.comparisons.iter().find(|c| c.option == name).unwrap();
        for (field, value) in [
            ("mean_cost", c.mean_cost),
            ("mean_effect", c.mean_effect),
            ("mean_incremental_cost", c.mean_incremental_cost),
            ("mean_incremental_effect", c.mean_incremental_effect),
            ("icer", c.icer.value.unwrap()),
        ] {
            assert!(
                close(value, want[field].as_f64().unwrap(), 1e-9),
                "{name} {field}: {value} vs {}",
                want[field]
            );
        }
        for (i, k) in wtp.iter().enumerate() {
            assert!(
                close(c.inb[i], want["inb"][i].as_f64().unwrap(), 1e-9),
                "{name} inb at {k}"
            );
            assert_eq!(c.ceac[i], want["ceac"][i].as_f64().unwrap(), "{name} ceac at {k}");
        }
    }
    for (name, probs) in &got.prob_best {
        for (i, p) in probs.iter().enumerate() {
            assert_eq!(
                *p,
                expected["prob_best"][name][i].as_f64().unwrap(),
                "prob_best {name} {i}"
            );
        }
    }
    for (i, e) in got.evpi.iter().enumerate() {
        assert!(
            close(*e, expected["evpi"][i].as_f64().unwrap(), 1e-9),
            "evpi {i}: {e} vs {}",
            expected["evpi"][i]
        );
    }
}

#[test]
fn psa_matches_numpy() {
    check("cea/psa.csv", "cea/expected.json");
}

#[test]
fn tiny_psa_matches_the_worked_example() {
    check("cea/tiny.csv", "cea/tiny.json");
}
