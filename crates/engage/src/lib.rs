//! Stakeholder engagement and funding change (PRODUCT.md, module 7). Pure: no I/O.
//!
//! [`engagement`]: the register, activities, the "you said, we did" board, facets, voices,
//! payments and the GRIPP2 draft. [`its`]: interrupted time-series analysis of an outcome indicator around a funding change.

pub mod engagement;
pub mod its;
