//! The store story: every store operation, on SQLite and on PostgreSQL, in one test binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod audit;
mod backup;
mod careplans;
mod story;
