//! cocare-engage's one integration-test binary: the interrupted time-series analysis against
//! statsmodels (`tests/fixtures/its/generate.py`, run by hand, output committed), cases worked
//! by hand, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod its;

use std::path::PathBuf;

pub fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// |a − b| ≤ tol·max(|b|, 1): absolute for small values, relative for large ones.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}
