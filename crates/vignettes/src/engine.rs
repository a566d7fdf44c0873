//! What the vignette module needs from the analytic store, as a trait the analytics crate
//! implements (so this crate stays pure and the app never sees DataFusion).

use std::sync::Arc;

use cocare_records::engine::{BoxFuture, EngineError};

use crate::facts::Profile;

/// A dataset version's per-person profile of quasi-identifying facts.
#[derive(Debug, Clone)]
pub struct ProfileVersion {
    pub profile: Arc<Profile>,
    /// The dataset version it was built from.
    pub version: String,
    /// The day (number) of the last event in the records: ages are reached in its year unless
    /// the facts say `as_of`.
    pub last_day: i32,
}

pub trait VignetteEngine: Send + Sync {
    /// The profile of the dataset's current version (built once per version, then cached).
    fn profile(&self, dataset: String) -> BoxFuture<'_, Result<ProfileVersion, EngineError>>;
}
