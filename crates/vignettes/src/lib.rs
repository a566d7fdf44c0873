//! Vignettes and clinician decision studies (PRODUCT.md, module 6).
//!
//! - [`facts`]: a vignette's quasi-identifying facts and the *k* check over a per-person
//!   profile of the records (how many people share every fact, and which facts make it rarer).
//! - [`stats`]: difference in proportions with a 95% interval, and logistic regression with odds
//!   ratios (checked against statsmodels).
//! - [`randomise`]: the order of vignettes and the factorial levels each respondent sees,
//!   deterministic from the study's seed.
//!
//! Pure: no I/O. The store keeps vignettes and studies; the analytic store answers the *k* check.

pub mod engine;
pub mod facts;
pub mod randomise;
pub mod stats;
pub mod study;
pub mod vignette;
