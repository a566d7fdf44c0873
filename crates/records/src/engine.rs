//! What the rest of cocare needs from the analytic engine, as a trait, so that the use cases
//! and the web layer build without DataFusion. `cocare-analytics` implements it; the `cocare`
//! binary wires the two together.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::cohort::CohortDefinition;
use crate::layout::Rejection;
use crate::pseudonym::PseudonymKey;
use crate::report::Characterisation;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// Rows were rejected; nothing was imported. `rejections` holds the first ones.
    #[error("{total} row(s) rejected; nothing was imported")]
    Rejected { rejections: Vec<Rejection>, total: u64 },
    #[error("no records have been imported yet")]
    NoData,
    #[error("{0}")]
    Invalid(String),
    #[error("the analytic engine failed: {0}")]
    Failed(String),
}

/// How far an import has got.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportProgress {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub rows: u64,
    pub seconds: f64,
}

/// The dataset version in use.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetStatus {
    pub version: String,
    pub imported_at: String,
    pub people: u64,
    pub events: u64,
    pub outcomes: u64,
    pub files: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportDone {
    pub status: DatasetStatus,
    pub rows: u64,
    pub seconds: f64,
}

pub type ProgressFn = Arc<dyn Fn(&ImportProgress) + Send + Sync>;

pub trait RecordsEngine: Send + Sync {
    /// Imports a folder in the layout into `dataset`, all or nothing.
    fn import(
        &self,
        dataset: String,
        dir: PathBuf,
        key: PseudonymKey,
        today: NaiveDate,
        progress: ProgressFn,
    ) -> BoxFuture<'_, Result<ImportDone, EngineError>>;

    /// Runs a cohort definition over the dataset's current version.
    fn characterise(
        &self,
        dataset: String,
        def: CohortDefinition,
    ) -> BoxFuture<'_, Result<Characterisation, EngineError>>;

    /// The version in use, if any.
    fn status(&self, dataset: &str) -> Result<Option<DatasetStatus>, EngineError>;
}
