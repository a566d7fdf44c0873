//! The seeded randomisation: determinism, permutations, block balance.

use cocare_vignettes::randomise::{level, order};
use proptest::prelude::*;

#[test]
fn same_inputs_give_the_same_order_and_level() {
    for respondent in 0..50 {
        assert_eq!(order(7, respondent, 6), order(7, respondent, 6));
        assert_eq!(level(7, 2, 1, respondent, 3), level(7, 2, 1, respondent, 3));
    }
}

#[test]
fn pinned_values_do_not_change() {
    // If these change, every study's assignments change: only on purpose.
    assert_eq!(order(1, 0, 6), vec![4, 0, 3, 5, 1, 2]);
    assert_eq!(order(42, 17, 5), vec![0, 2, 4, 1, 3]);
    let levels: Vec<usize> = (0..12).map(|r| level(42, 0, 0, r, 3)).collect();
    assert_eq!(levels, vec![2, 0, 1, 1, 2, 0, 1, 0, 2, 1, 2, 0]);
}

#[test]
fn edge_sizes() {
    assert_eq!(order(1, 2, 0), Vec::<usize>::new());
    assert_eq!(order(1, 2, 1), vec![0]);
    for r in 0..20 {
        assert_eq!(level(1, 2, 3, r, 0), 0);
        assert_eq!(level(1, 2, 3, r, 1), 0);
    }
}

#[test]
fn different_seeds_and_respondents_give_different_orders() {
    let first = order(0, 0, 6);
    assert!((1..20).any(|seed| order(seed, 0, 6) != first));
    assert!((1..20).any(|respondent| order(0, respondent, 6) != first));
    let distinct: std::collections::BTreeSet<Vec<usize>> = (0..100).map(|seed| order(seed, 3, 6)).collect();
    assert!(
        distinct.len() > 50,
        "only {} distinct orders of 6 from 100 seeds",
        distinct.len()
    );
    // The level assignment depends on the seed, the vignette and the factor.
    let levels = |seed, vignette, factor| (0..30).map(|r| level(seed, vignette, factor, r, 3)).collect::<Vec<_>>();
    assert_ne!(levels(1, 0, 0), levels(2, 0, 0));
    assert_ne!(levels(1, 0, 0), levels(1, 1, 0));
    assert_ne!(levels(1, 0, 0), levels(1, 0, 1));
}

#[test]
fn two_levels_three_respondents_see_both_levels() {
    for seed in 0..200 {
        let seen: Vec<usize> = (0..3).map(|r| level(seed, 0, 0, r, 2)).collect();
        assert!(seen.contains(&0) && seen.contains(&1), "seed {seed}: {seen:?}");
    }
}

#[test]
fn each_vignette_comes_first_about_equally_often() {
    let n = 4;
    let mut first = vec![0usize; n];
    for respondent in 0..1000 {
        first[order(2024, respondent, n)[0]] += 1;
    }
    let expected = 1000.0 / n as f64;
    for (vignette, &count) in first.iter().enumerate() {
        assert!(
            (count as f64 - expected).abs() <= 0.2 * expected,
            "vignette {vignette} first {count} times: {first:?}"
        );
    }
}

#[test]
fn levels_are_balanced_over_many_respondents() {
    let levels = 3;
    let mut counts = vec![0usize; levels];
    for r in 0..999 {
        counts[level(5, 1, 2, r, levels)] += 1;
    }
    assert_eq!(counts, vec![333, 333, 333]);
}

proptest! {
    #[test]
    fn order_is_a_permutation(seed in any::<u64>(), respondent in any::<u64>(), n in 0usize..30) {
        let mut o = order(seed, respondent, n);
        prop_assert_eq!(o.len(), n);
        o.sort_unstable();
        prop_assert_eq!(o, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn every_block_sees_each_level_once(
        seed in any::<u64>(),
        vignette in 0u64..1000,
        factor in 0u64..10,
        block in 0u64..1_000_000,
        levels in 2usize..9,
    ) {
        let l = levels as u64;
        let respondents = block * l..(block + 1) * l;
        let mut seen: Vec<usize> = respondents.map(|r| level(seed, vignette, factor, r, levels)).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..levels).collect::<Vec<_>>());
    }
}
