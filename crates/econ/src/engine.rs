//! What the use cases need from the analytic engine for economics, as a trait, so that the app
//! and the web layer build without DataFusion (`cocare-analytics` implements it).

use cocare_records::cohort::CohortDefinition;
use cocare_records::engine::{BoxFuture, EngineError};
use cocare_records::sdc::Disclosure;

use crate::costs::UnitCostTable;
use crate::evaluate::{EvaluationError, EvaluationSpec, Report};

pub trait EconEngine: Send + Sync {
    /// Evaluates pathways over a dataset's current version, within a cohort (or everyone). The
    /// outer error is the engine's; the inner one says why the evaluation cannot be made.
    fn evaluate(
        &self,
        dataset: String,
        cohort: Option<CohortDefinition>,
        spec: EvaluationSpec,
        table: UnitCostTable,
        disclosure: Disclosure,
    ) -> BoxFuture<'_, Result<Result<Report, EvaluationError>, EngineError>>;
}
