//! Records, cohorts and characterisation (PRODUCT.md, module 3): import an extract, save and
//! version cohort definitions, run them. Everything a researcher sees has passed disclosure
//! control; every import and every run is audited under the permit that allowed it.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use cocare_core::{Actor, ActorKind, OrganisationId, format_timestamp};
use cocare_policy::{Action, Permit, Resource, actor_may, decide};
use cocare_records::cohort::CohortDefinition;
use cocare_records::engine::{DatasetStatus, EngineError, ImportDone, ProgressFn, RecordsEngine};
use cocare_records::layout::Rejection;
use cocare_records::pseudonym::PseudonymKey;
use cocare_records::report::PublishedReport;
use cocare_records::sdc::Disclosure;
use cocare_store::{CohortSummary, CohortVersionRow, ImportRow};

use crate::{App, AppError};

/// What the records module needs beyond the database: the analytic engine, the
/// pseudonymisation key (held by the administrator; absent, imports are refused) and the
/// disclosure-control rule.
#[derive(Clone, Default)]
pub struct RecordsSettings {
    pub engine: Option<Arc<dyn RecordsEngine>>,
    /// The same engine's economics (pathway evaluations).
    pub econ: Option<Arc<dyn cocare_econ::engine::EconEngine>>,
    pub key: Option<PseudonymKey>,
    pub disclosure: Disclosure,
    /// The same engine's per-person profiles for the vignettes' k check.
    pub vignettes: Option<Arc<dyn cocare_vignettes::engine::VignetteEngine>>,
}

/// The records page: the dataset in use, past imports, saved cohorts.
#[derive(Debug, Clone)]
pub struct RecordsOverview {
    pub organisation: OrganisationId,
    pub status: Option<DatasetStatus>,
    pub imports: Vec<ImportRow>,
    pub cohorts: Vec<CohortSummary>,
    pub can_import: bool,
    pub can_analyse: bool,
    pub engine_ready: bool,
    pub key_ready: bool,
    pub disclosure: Disclosure,
}

/// A saved cohort at one version, with the list of its versions.
#[derive(Debug, Clone)]
pub struct CohortView {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub definition: CohortDefinition,
    pub json: String,
    pub versions: Vec<CohortVersionRow>,
}

/// Why an import failed, for the person who ran it.
#[derive(Debug, Clone)]
pub struct ImportRejected {
    pub rejections: Vec<Rejection>,
    pub total: u64,
}

impl App {
    pub fn with_records(mut self, settings: RecordsSettings) -> App {
        self.records = Arc::new(settings);
        self
    }

    pub fn disclosure(&self) -> Disclosure {
        self.records.disclosure
    }

    fn engine(&self) -> Result<&Arc<dyn RecordsEngine>, AppError> {
        self.records
            .engine
            .as_ref()
            .ok_or_else(|| AppError::Unavailable("this server was started without the analytic engine".into()))
    }

    /// The organisation whose records the actor works on, and the permit to do `action` there.
    pub(crate) async fn records_scope(
        &self,
        actor: &Actor,
        action: Action,
    ) -> Result<(OrganisationId, Permit), AppError> {
        self.records_scope_in(actor, action, None).await
    }

    /// As `records_scope`; a system actor (the command line) may name the organisation.
    pub(crate) async fn records_scope_in(
        &self,
        actor: &Actor,
        action: Action,
        chosen: Option<OrganisationId>,
    ) -> Result<(OrganisationId, Permit), AppError> {
        let organisation = match (&actor.kind, chosen) {
            (ActorKind::System(_), Some(organisation)) => organisation,
            (ActorKind::System(_), None) => self.default_organisation().await?,
            _ => actor
                .grants
                .iter()
                .find(|g| cocare_policy::role_may(g.role, action))
                .map(|g| g.organisation)
                .ok_or(AppError::Forbidden)?,
        };
        let permit = decide(actor, action, &Resource::Organisation(organisation))?;
        Ok((organisation, permit))
    }

    /// For command-line work: the only organisation, or one created if there is none.
    async fn default_organisation(&self) -> Result<OrganisationId, AppError> {
        let organisations = self.store.organisations().await?;
        match organisations.as_slice() {
            [only] => Ok(only.id),
            [] => {
                let id = OrganisationId::new();
                let mut tx = self.store.begin_write().await?;
                tx.insert_organisation(id, "Default organisation").await?;
                tx.commit().await?;
                Ok(id)
            }
            _ => Err(AppError::Conflict(
                "there are several organisations; name one with --org".into(),
            )),
        }
    }

    /// The dataset version in use for an organisation (no personal data: counts only).
    pub fn records_status(&self, organisation: OrganisationId) -> Result<Option<DatasetStatus>, AppError> {
        match &self.records.engine {
            Some(engine) => engine.status(&organisation.to_string()).map_err(engine_error),
            None => Ok(None),
        }
    }

    pub async fn records_overview(&self, actor: &Actor) -> Result<RecordsOverview, AppError> {
        let can_import = actor_may(actor, Action::ImportRecords);
        let can_analyse = actor_may(actor, Action::AnalyseRecords);
        let action = if can_analyse {
            Action::AnalyseRecords
        } else {
            Action::ImportRecords
        };
        let (organisation, permit) = self.records_scope(actor, action).await?;
        let status = self.records_status(organisation)?;
        let mut tx = self.store.begin_write().await?;
        let imports = tx.record_imports(&permit, organisation, 10).await?;
        let cohorts = if can_analyse {
            tx.cohorts(&permit, organisation).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        Ok(RecordsOverview {
            organisation,
            status,
            imports,
            cohorts,
            can_import,
            can_analyse,
            engine_ready: self.records.engine.is_some(),
            key_ready: self.records.key.is_some(),
            disclosure: self.records.disclosure,
        })
    }

    /// Imports a folder in the records layout, all or nothing, and records how it went.
    /// `organisation` is for system actors (the command line); people import into their own.
    pub async fn import_records(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        dir: PathBuf,
        progress: ProgressFn,
    ) -> Result<Result<ImportDone, ImportRejected>, AppError> {
        let (organisation, permit) = self
            .records_scope_in(actor, Action::ImportRecords, organisation)
            .await?;
        let engine = self.engine()?;
        let key = self.records.key.clone().ok_or_else(|| {
            AppError::Unavailable(
                "no pseudonymisation key is configured; the administrator gives one with --key-file (see `cocare records keygen`)"
                    .into(),
            )
        })?;
        let started_at = format_timestamp(Utc::now());
        let today = Utc::now().date_naive();
        let result = engine.import(organisation.to_string(), dir, key, today, progress).await;
        let finished_at = format_timestamp(Utc::now());
        let mut row = ImportRow {
            id: uuid::Uuid::new_v4().to_string(),
            started_at,
            finished_at,
            actor: permit.actor().to_string(),
            outcome: String::new(),
            version: None,
            people: 0,
            events: 0,
            rows_read: 0,
            rejected: 0,
            summary: String::new(),
        };
        let outcome = match result {
            Ok(done) => {
                row.outcome = "published".into();
                row.version = Some(done.status.version.clone());
                row.people = done.status.people as i64;
                row.events = done.status.events as i64;
                row.rows_read = done.rows as i64;
                row.summary = done
                    .status
                    .files
                    .iter()
                    .map(|(file, n)| format!("{file}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Ok(done)
            }
            Err(EngineError::Rejected { rejections, total }) => {
                row.outcome = "rejected".into();
                row.rejected = total as i64;
                // Rejection messages quote field values; keep only where and what in the log.
                row.summary = rejections
                    .first()
                    .map(|r| {
                        format!(
                            "{} line {}{}",
                            r.file,
                            r.line,
                            r.field.as_ref().map(|f| format!(", field {f}")).unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                Err(ImportRejected { rejections, total })
            }
            Err(other) => {
                // Failed attempts are recorded and audited too (without the cause's text,
                // which may quote a path or a value).
                row.outcome = "failed".into();
                row.summary = "the import could not run; nothing was imported".into();
                let mut tx = self.store.begin_write().await?;
                tx.record_import(&permit, organisation, &row).await?;
                tx.commit().await?;
                return Err(engine_error(other));
            }
        };
        let mut tx = self.store.begin_write().await?;
        tx.record_import(&permit, organisation, &row).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Saves a definition as a new cohort, or as the next version of `cohort`.
    pub async fn save_cohort(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        cohort: Option<&str>,
        definition: &CohortDefinition,
    ) -> Result<(String, i64), AppError> {
        definition
            .validate()
            .map_err(|e| AppError::Validation(vec![crate::FieldError::new("definition", e.to_string())]))?;
        let (organisation, permit) = self
            .records_scope_in(actor, Action::AnalyseRecords, organisation)
            .await?;
        let mut tx = self.store.begin_write().await?;
        let saved = tx
            .save_cohort(
                &permit,
                organisation,
                cohort,
                definition.name.trim(),
                &definition.to_json(),
            )
            .await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn cohort(&self, actor: &Actor, id: &str, version: Option<i64>) -> Result<CohortView, AppError> {
        let (organisation, permit) = self.records_scope(actor, Action::AnalyseRecords).await?;
        let mut tx = self.store.begin_write().await?;
        let versions = tx.cohort_versions(&permit, organisation, id).await?;
        tx.commit().await?;
        let chosen = match version {
            Some(v) => versions.iter().find(|r| r.version == v),
            None => versions.last(),
        }
        .ok_or(AppError::NotFound)?;
        let definition = CohortDefinition::from_json(&chosen.body)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored cohort definition: {e}")))?;
        Ok(CohortView {
            id: chosen.id.clone(),
            name: chosen.name.clone(),
            version: chosen.version,
            json: definition.to_json(),
            definition,
            versions,
        })
    }

    /// Runs a saved cohort; only its disclosure-controlled form comes back.
    pub async fn characterise_cohort(
        &self,
        actor: &Actor,
        id: &str,
        version: Option<i64>,
    ) -> Result<(CohortView, PublishedReport), AppError> {
        let view = self.cohort(actor, id, version).await?;
        let subject = format!("cohort:{}@{}", view.id, view.version);
        let report = self.run_definition(actor, None, &view.definition, &subject).await?;
        Ok((view, report))
    }

    /// Runs a definition that is not saved (the command line's `--cohort FILE`).
    pub async fn characterise_definition(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        definition: &CohortDefinition,
    ) -> Result<PublishedReport, AppError> {
        let subject = format!(
            "cohort-file:{}",
            definition
                .name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(40)
                .collect::<String>()
        );
        self.run_definition(actor, organisation, definition, &subject).await
    }

    async fn run_definition(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        definition: &CohortDefinition,
        subject: &str,
    ) -> Result<PublishedReport, AppError> {
        let (organisation, permit) = self
            .records_scope_in(actor, Action::AnalyseRecords, organisation)
            .await?;
        let engine = self.engine()?;
        let characterisation = engine
            .characterise(organisation.to_string(), definition.clone())
            .await
            .map_err(engine_error)?;
        let mut tx = self.store.begin_write().await?;
        tx.audit_analysis(&permit, subject).await?;
        tx.commit().await?;
        Ok(characterisation.publish(&self.records.disclosure))
    }
}

pub(crate) fn engine_error(e: EngineError) -> AppError {
    match e {
        EngineError::NoData => AppError::Conflict("no records have been imported yet".into()),
        EngineError::Invalid(why) => AppError::Validation(vec![crate::FieldError::new("definition", why)]),
        other => AppError::Unexpected(anyhow::anyhow!("{other}")),
    }
}
