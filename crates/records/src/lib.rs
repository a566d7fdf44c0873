//! Patient-level records as cocare understands them (PRODUCT.md, module 3).
//!
//! - [`layout`]: the import layout, its validation, and the typed rows a line becomes;
//! - [`codes`]: the code lists (services, wards, agencies, sections, ethnicity, ICD-10 groups);
//! - [`pseudonym`]: the keyed hash that replaces source ids;
//! - [`cohort`]: cohort definitions (saved, versioned, shared as JSON) and their evaluation;
//! - [`stats`]: Table 1 statistics; [`pathways`]: care pathways;
//! - [`sdc`]: disclosure control, which every aggregate passes before it leaves;
//! - [`synth`]: a synthetic extract for demos and benchmarks.
//!
//! Pure: no I/O. The analytic crate (`cocare-analytics`) reads files and runs queries.

pub mod characterise;
pub mod codes;
pub mod cohort;
pub mod engine;
pub mod layout;
pub mod pathways;
pub mod pseudonym;
pub mod report;
pub mod sdc;
pub mod stats;
pub mod synth;
pub mod units;
