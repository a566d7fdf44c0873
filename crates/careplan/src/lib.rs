//! Co-produced care planning (PRODUCT.md module 2, seed study 001 / EQUIP).
//!
//! The plan is written *with* the service user: their own words are kept as written, beside
//! (never over) any clinical wording; every contribution is attributed; each section is agreed
//! or disagreed by each party; a version can be finalised only once the service user has agreed
//! every section or their disagreement is recorded with a reason.
//!
//! Architecture invariant: pure values and rules. No I/O, no clock (times are passed in), no
//! database, no HTTP.

pub mod dialog;
pub mod diff;
pub mod fhir;
pub mod involvement;
pub mod measures;
pub mod plan;

pub use dialog::{DialogAssessment, DialogItem, Rating, RatingError};
pub use measures::{Band, Questionnaire, Score, ScoreError};
pub use plan::{
    Agreement, Attribution, CarePlan, Contribution, Party, PlanError, PlanStatus, SectionKind, Stance, Voice,
};
