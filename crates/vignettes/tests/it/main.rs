//! Integration tests for cocare-vignettes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod facts;
mod randomise;
mod review;
mod stats;
mod study;
