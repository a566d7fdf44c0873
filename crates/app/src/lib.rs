//! cocare's use cases. Each one follows the same steps: load the facts the policy needs,
//! `cocare_policy::decide`, do the domain step, save with its audit row on the same
//! transaction, commit. `cocare-web` and the `cocare` CLI are thin edges over these functions.
//!
//! Architecture invariant: nothing here knows HTTP or HTML; errors are [`AppError`], whose
//! messages never contain personal data.

mod admin;
mod auth;
mod careplan;
mod demo;
mod econ;
mod engage;
mod engage_demo;
mod error;
mod home;
mod people;
mod qual;
mod qual_demo;
mod records;
mod secret;
mod vignette_demo;
mod vignettes;

use std::time::Duration;

pub use admin::{AccountForm, AdminOverview, OrganisationForm, RoleForm, TeamForm};
pub use auth::{LoginOutcome, SessionContext, THROTTLE_FAILURES, THROTTLE_MINUTES};
pub use careplan::{DashboardRow, MeasureResult, PlanView, SectionView, TeamDashboard, VersionView};
pub use cocare_econ as econ_domain;
pub use cocare_engage as engage_domain;
pub use cocare_policy::ProjectRole;
pub use cocare_qual as qual_domain;
pub use cocare_records as records_domain;
pub use cocare_store::{
    ActionRow, ActivityRow, AttendanceRow, FundingChangeRow, IndicatorRow, PaymentRow, ProposalRow, RatingRow,
    StakeholderRow,
};
pub use cocare_store::{
    AuditEntry, AuditVerdict, CopyGiven, DatabaseUrl, DialogRecord, DocumentSummary, DocumentVersion, MeasureRecord,
    Store, StoreError, VersionSummary,
};
pub use cocare_store::{
    QualCmoVersion, QualCoderRow, QualCodingRow, QualMemberRow, QualMemoRow, QualParticipantRow, QualProjectRow,
    QualProjectSummary, QualSourceRow, QualVariableRow,
};
pub use cocare_vignettes as vignettes_domain;
pub use demo::{DEMO_ORGANISATION, DEMO_PASSWORD, DemoLogin, DemoSummary};
pub use econ::{DEFAULT_TABLE, EvaluationRun, EvaluationView, SavedEvaluation, UnitCostView};
pub use engage::{EngagementView, IndicatorAnalysis};
pub use error::{AppError, FieldError};
pub use home::{HomeCard, HomeView};
pub use people::{ConsentForm, ConsentView, PersonDetail, PersonSummary};
pub use qual::{
    AgreementReport, CmoView, CodeAgreement, Disagreement, ExcerptView, FRAMES, FrameworkMatrix, ProjectView,
    QdpxImported, ROLE_VALUES, SOURCE_KINDS, SearchResult, Segment, SourceForm, SourceView, VARIABLE_KINDS,
};
pub use records::{CohortView, ImportRejected, RecordsOverview, RecordsSettings};
pub use secret::random_token as new_token;
pub use vignettes::{
    CommentView, DEFAULT_ITEMS, DEFAULT_K, FactorForm, InterviewLink, NewInvitation, RespondView, StudyForm,
    StudySummary, StudyView, ThemeChoice, VignetteSummary, VignetteVersion, VignetteView, VignetteWorkspace,
    parse_items,
};

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// How long a sign-in lasts.
    pub session_ttl: Duration,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_ttl: Duration::from_secs(8 * 60 * 60),
        }
    }
}

/// The application: the store plus settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    config: AppConfig,
    records: std::sync::Arc<RecordsSettings>,
}

impl App {
    pub fn new(store: Store, config: AppConfig) -> App {
        App {
            store,
            config,
            records: Default::default(),
        }
    }

    pub fn session_ttl(&self) -> Duration {
        self.config.session_ttl
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether the store answers.
    pub async fn healthy(&self) -> Result<(), AppError> {
        self.store.ping().await.map_err(AppError::from)
    }

    pub async fn verify_audit(&self) -> Result<AuditVerdict, AppError> {
        Ok(self.store.verify_audit().await?)
    }
}
