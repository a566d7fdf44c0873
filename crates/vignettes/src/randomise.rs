//! The order of a study's vignettes and the factorial level each respondent sees, deterministic
//! from the study's seed: the same seed and respondent always give the same answer, so an
//! assignment can be recomputed rather than stored, and checked later.
//!
//! - [`order`]: a random permutation of the vignettes per respondent.
//! - [`level`]: permuted-block randomisation of a factor's levels: respondents are taken in blocks of
//!   L (0..L, L..2L, …, L being the number of levels) and each block sees every level exactly once,
//!   in a random order per block. So any L consecutive respondents starting at a multiple of L are
//!   balanced, and no level is ever more than one respondent ahead of another.
//!
//! Each permutation is drawn from a ChaCha8 generator seeded (`seed_from_u64`) with the first 8
//! bytes (little-endian) of a SHA-256 hash of a label and the inputs (each `u64` little-endian), by
//! Fisher–Yates with an unbiased bounded draw written here, so the result depends only on the
//! ChaCha8 stream and this file.

use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// The order in which `respondent` sees the study's `n_vignettes` vignettes: a permutation of
/// `0..n_vignettes` (position → vignette index), from sha256(b"order", seed, respondent).
pub fn order(seed: u64, respondent: u64, n_vignettes: usize) -> Vec<usize> {
    permutation(&mut generator(b"order", &[seed, respondent]), n_vignettes)
}

/// The level (`0..levels`) of factor `factor` of vignette `vignette` that `respondent` sees.
/// Permuted blocks: respondent r is in block r / levels at position r % levels, and each block's
/// permutation comes from sha256(b"level", seed, vignette, factor, block), so every block of
/// `levels` consecutive respondents sees each level exactly once. 0 when `levels` is 0 or 1.
pub fn level(seed: u64, vignette: u64, factor: u64, respondent: u64, levels: usize) -> usize {
    if levels <= 1 {
        return 0;
    }
    let l = levels as u64;
    let block = respondent / l;
    let position = (respondent % l) as usize;
    let perm = permutation(&mut generator(b"level", &[seed, vignette, factor, block]), levels);
    perm.get(position).copied().unwrap_or(0)
}

/// ChaCha8 seeded from the first 8 bytes of sha256(label ‖ values, each little-endian).
fn generator(label: &[u8], values: &[u64]) -> ChaCha8Rng {
    let mut hash = Sha256::new();
    hash.update(label);
    for v in values {
        hash.update(v.to_le_bytes());
    }
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.iter_mut().zip(digest.iter()).for_each(|(a, b)| *a = *b);
    ChaCha8Rng::seed_from_u64(u64::from_le_bytes(first))
}

/// A uniformly random permutation of 0..n (Fisher–Yates, from the last position down).
fn permutation(rng: &mut ChaCha8Rng, n: usize) -> Vec<usize> {
    let mut items: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        items.swap(i, j);
    }
    items
}

/// A uniform draw from 0..n (n ≥ 1), rejecting the lowest 2⁶⁴ mod n values so that every residue
/// is equally likely.
fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let v = rng.next_u64();
        if v >= threshold {
            return v % n;
        }
    }
}
