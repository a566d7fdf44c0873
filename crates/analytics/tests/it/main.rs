//! The analytics crate's integration tests (one binary).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[cfg(feature = "cluster")]
mod cluster;
mod common;
mod econ;
mod formats;
mod import_errors;
mod quasi;
mod table1;
