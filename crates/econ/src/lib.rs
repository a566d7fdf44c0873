//! Economic evaluation: unit costs, resource use, discounting, bootstrap and cost-effectiveness.
//! Pure: no I/O. The analytic engine measures resource use ([`evaluate::Usage`]); this crate
//! prices and compares it.

pub mod boot;
pub mod cea;
pub mod costs;
pub mod discount;
pub mod engine;
pub mod evaluate;
pub mod resources;
