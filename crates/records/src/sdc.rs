//! Statistical disclosure control: what every aggregate passes through before it leaves.
//!
//! Counts of people from 1 to `threshold − 1` are suppressed (primary suppression). Then, for
//! every published sum a suppressed cell takes part in (a column of levels adding up to the
//! group's n, pathways adding up to the cohort), a single suppressed cell could be recovered by
//! subtraction, so the smallest other cell of that sum is suppressed too (secondary
//! suppression), until no sum has exactly one hidden cell. In rounding mode every count is
//! rounded to the nearest multiple of the threshold instead, and percentages are computed from
//! the rounded counts. Zero is shown: it says nothing about any one person.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Suppress,
    Round,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    pub threshold: u64,
    pub mode: Mode,
}

impl Default for Disclosure {
    fn default() -> Self {
        Disclosure {
            threshold: 5,
            mode: Mode::Suppress,
        }
    }
}

/// A count as published: `None` is hidden ("[c]").
pub type Published = Option<u64>;

impl Disclosure {
    /// Whether a count may be shown on its own.
    pub fn safe(&self, count: u64) -> bool {
        count == 0 || count >= self.threshold
    }

    /// Rounds to the nearest multiple of the threshold (halves up).
    pub fn round(&self, count: u64) -> u64 {
        let base = self.threshold.max(1);
        (count + base / 2) / base * base
    }

    /// A count with no sums around it.
    pub fn single(&self, count: u64) -> Published {
        match self.mode {
            Mode::Round => Some(self.round(count)),
            Mode::Suppress => self.safe(count).then_some(count),
        }
    }

    /// Protects a set of cells bound by published sums. Each entry of `sums` lists the cells
    /// (by index) whose total is published or derivable, including the total cell itself when it
    /// is one of `cells`. Returns the published cells in the same order.
    pub fn protect(&self, cells: &[u64], sums: &[Vec<usize>]) -> Vec<Published> {
        if self.mode == Mode::Round {
            return cells.iter().map(|c| Some(self.round(*c))).collect();
        }
        let mut hidden: Vec<bool> = cells.iter().map(|c| !self.safe(*c)).collect();
        loop {
            let mut changed = false;
            for sum in sums {
                let hidden_here = sum.iter().filter(|i| hidden.get(**i).copied().unwrap_or(false)).count();
                if hidden_here != 1 {
                    continue;
                }
                // Hide the smallest other cell, preferring one that is not zero.
                let candidate = sum
                    .iter()
                    .copied()
                    .filter(|i| !hidden.get(*i).copied().unwrap_or(true))
                    .min_by_key(|i| {
                        let value = cells.get(*i).copied().unwrap_or(0);
                        (value == 0, value)
                    });
                if let Some(slot) = candidate.and_then(|i| hidden.get_mut(i)) {
                    *slot = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        cells.iter().zip(hidden).map(|(c, h)| (!h).then_some(*c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden_and_cannot_be_recovered_from_the_total() {
        let d = Disclosure::default();
        // Levels 40, 3, 12, 0 adding to a published 55 (index 4).
        let cells = [40, 3, 12, 0, 55];
        let out = d.protect(&cells, &[vec![0, 1, 2, 3, 4]]);
        assert_eq!(out, vec![Some(40), None, None, Some(0), Some(55)]);
    }

    #[test]
    fn secondary_suppression_follows_both_directions_of_a_table() {
        let d = Disclosure::default();
        // 2 × 2 with row sums published: a = 3 (hidden) forces b hidden in row 0, and then
        // column sums force c and d.
        //   a=3  b=10 | 13
        //   c=20 d=30 | 50
        //   23   40
        let cells = [3, 10, 20, 30, 13, 50, 23, 40];
        let sums = vec![vec![0, 1, 4], vec![2, 3, 5], vec![0, 2, 6], vec![1, 3, 7]];
        let out = d.protect(&cells, &sums);
        for sum in &sums {
            let hidden = sum.iter().filter(|i| out[**i].is_none()).count();
            assert!(hidden != 1, "sum {sum:?} has one hidden cell: {out:?}");
        }
        assert_eq!(out[0], None);
        assert_eq!(out[1], None);
    }

    #[test]
    fn rounding_mode_rounds_every_count_to_the_base() {
        let d = Disclosure {
            threshold: 5,
            mode: Mode::Round,
        };
        assert_eq!(
            d.protect(&[2, 3, 7, 12, 13], &[]),
            vec![Some(0), Some(5), Some(5), Some(10), Some(15)]
        );
        assert_eq!(d.single(0), Some(0));
        assert_eq!(Disclosure::default().single(4), None);
        assert_eq!(Disclosure::default().single(5), Some(5));
    }

    proptest::proptest! {
        /// Whatever the counts: every shown count is safe, and no published sum has exactly one
        /// hidden cell (which subtraction would recover).
        #[test]
        fn no_hidden_count_can_be_recovered_from_a_sum(
            cells in proptest::collection::vec(0u64..40, 2..12),
            threshold in 2u64..8,
            split in 2usize..6,
        ) {
            let d = Disclosure { threshold, mode: Mode::Suppress };
            // Two overlapping sums: all cells, and the first `split` of them.
            let n = cells.len();
            let sums = vec![(0..n).collect::<Vec<_>>(), (0..split.min(n)).collect()];
            let out = d.protect(&cells, &sums);
            for (c, o) in cells.iter().zip(&out) {
                if let Some(shown) = o {
                    proptest::prop_assert!(d.safe(*shown));
                    proptest::prop_assert_eq!(shown, c);
                }
            }
            for sum in &sums {
                let hidden = sum.iter().filter(|i| out[**i].is_none()).count();
                proptest::prop_assert!(hidden != 1, "{:?} {:?} {:?}", cells, sum, out);
            }
        }
    }
}
