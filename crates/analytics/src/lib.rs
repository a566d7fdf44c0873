//! The analytic store and its queries (PRODUCT.md, module 3).
//!
//! - [`import`]: a folder of CSV, Parquet or FHIR R4 files → a validated, pseudonymised Parquet
//!   version of a dataset, all or nothing;
//! - [`dataset`]: the dataset's folders and versions;
//! - [`quasi`]: the per-person quasi-identifier profile the vignette *k* check runs over, cached
//!   beside each version;
//! - [`query`]: a cohort definition compiled to one DataFusion aggregate, run locally or on a
//!   Ballista cluster, and turned into a characterisation by `cocare-records`.
//!
//! DataFusion (and Ballista, behind the `cluster` feature) live here and nowhere else.

pub mod costing;
pub mod dataset;
pub mod fhir;
pub mod import;
pub mod quasi;
pub mod query;
pub mod synth;

pub use datafusion;

use std::path::Path;

use cocare_records::layout::Rejection;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}")]
    Invalid(String),
    #[error("{total} row(s) rejected; nothing was imported. First: {}", rejections.first().map(ToString::to_string).unwrap_or_default())]
    Rejected { rejections: Vec<Rejection>, total: u64 },
    #[error("no records have been imported yet")]
    NoData,
    #[error("query failed: {0}")]
    Query(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn arrow(e: datafusion::arrow::error::ArrowError) -> Error {
        Error::Query(e.to_string())
    }

    pub(crate) fn parquet(e: datafusion::parquet::errors::ParquetError) -> Error {
        Error::Query(e.to_string())
    }

    pub(crate) fn datafusion(e: datafusion::error::DataFusionError) -> Error {
        Error::Query(e.to_string())
    }
}
