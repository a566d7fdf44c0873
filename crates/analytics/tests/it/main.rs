//! The analytics crate's integration tests (one binary).

mod common;
mod formats;
mod import_errors;
mod table1;
#[cfg(feature = "cluster")]
mod cluster;
