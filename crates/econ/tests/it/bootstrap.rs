//! Percentile and BCa intervals on the resamples numpy drew, against SciPy's BCa.
use cocare_econ::boot::{self, Group, Interval};
use serde_json::Value;

use crate::{close, fixture};

fn indices(path: &str) -> Vec<Vec<usize>> {
    fixture(path)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|x| x.trim().parse().unwrap()).collect())
        .collect()
}

fn range(i: &Interval) -> (f64, f64) {
    i.range().unwrap_or_else(|| panic!("{i:?}"))
}

#[test]
fn intervals_match_scipy_on_the_same_resamples() {
    let data = fixture("bootstrap/data.csv");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for line in data.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let cost: f64 = f[1].parse().unwrap();
        if f[0] == "a" { a.push(cost) } else { b.push(cost) }
    }
    let ga = Group::from_columns(&[&a]);
    let gb = Group::from_columns(&[&b]);
    let (ia, ib) = (indices("bootstrap/indices_a.csv"), indices("bootstrap/indices_b.csv"));
    let mean_of = |x: &[f64], idx: &[usize]| idx.iter().map(|&i| x[i]).sum::<f64>() / idx.len() as f64;
    let ra: Vec<f64> = ia.iter().map(|idx| mean_of(&a, idx)).collect();
    let rb: Vec<f64> = ib.iter().map(|idx| mean_of(&b, idx)).collect();
    let rd: Vec<f64> = rb.iter().zip(&ra).map(|(x, y)| x - y).collect();
    let expected: Value = serde_json::from_str(&fixture("bootstrap/expected.json")).unwrap();
    let cases: [(&str, f64, Vec<f64>, Vec<Vec<f64>>); 3] = [
        ("mean_cost_a", ga.mean(0), ra, vec![ga.jackknife_means(0)]),
        ("mean_cost_b", gb.mean(0), rb, vec![gb.jackknife_means(0)]),
        (
            "diff_mean_cost",
            gb.mean(0) - ga.mean(0),
            rd,
            boot::jackknife_difference(&gb, &ga, 0),
        ),
    ];
    for (name, observed, reps, jack) in cases {
        let want = &expected["statistics"][name];
        let f = |k: &str, i: usize| want[k][i].as_f64().unwrap();
        assert!(
            close(observed, want["observed"].as_f64().unwrap(), 1e-12),
            "{name} observed"
        );
        for i in 0..5 {
            assert!(close(reps[i], f("first_replicates", i), 1e-12), "{name} replicate {i}");
        }
        let parts = boot::bca_parts(&reps, observed, &jack).unwrap();
        assert!(
            close(parts.z0, want["z0"].as_f64().unwrap(), 1e-9),
            "{name} z0 {}",
            parts.z0
        );
        assert!(
            close(parts.acceleration, want["acceleration"].as_f64().unwrap(), 1e-9),
            "{name} acceleration {}",
            parts.acceleration
        );
        for (level, p_key, b_key) in [(0.95, "percentile", "bca"), (0.90, "percentile_90", "bca_90")] {
            let (lo, hi) = range(&boot::percentile(&reps, level));
            assert!(
                close(lo, f(p_key, 0), 1e-9) && close(hi, f(p_key, 1), 1e-9),
                "{name} {p_key}: {lo} {hi}"
            );
            let (lo, hi) = range(&boot::bca(&reps, observed, &jack, level));
            assert!(
                close(lo, f(b_key, 0), 1e-9) && close(hi, f(b_key, 1), 1e-9),
                "{name} {b_key}: {lo} {hi}"
            );
        }
    }
}
