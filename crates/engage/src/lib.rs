//! Stakeholder engagement and funding change (PRODUCT.md, module 7). Pure: no I/O.
//!
//! [`its`]: interrupted time-series analysis of an outcome indicator around a funding change.

pub mod its;
