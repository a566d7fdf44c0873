//! Economic evaluation (PRODUCT.md, module 4): unit-cost tables copied from the default UK
//! table, edited, inflated and versioned; pathway evaluations saved and run over the records.
//! Unit costs are not personal data; running an evaluation reads the records and is audited
//! like a cohort run, and only disclosure-controlled results come back.

use cocare_core::{Actor, OrganisationId};
use cocare_econ::costs::{InflationIndex, TableProblem, UnitCostTable};
use cocare_econ::evaluate::{EvaluationError, EvaluationSpec, Report};
use cocare_policy::Action;
use cocare_records::cohort::CohortDefinition;
use cocare_store::{DocumentSummary, DocumentVersion, EVALUATIONS, UNIT_COST_TABLES};
use serde::{Deserialize, Serialize};

use crate::records::engine_error;
use crate::{App, AppError, FieldError};

/// The id under which the shipped default table is offered.
pub const DEFAULT_TABLE: &str = "uk-default";

/// A unit-cost table as shown: the shipped default, or one of the organisation's at a version.
#[derive(Debug, Clone)]
pub struct UnitCostView {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub table: UnitCostTable,
    pub csv: String,
    pub versions: Vec<DocumentVersion>,
    pub builtin: bool,
    /// Resources of the standard list that this table does not cost.
    pub missing: Vec<String>,
}

fn missing_from(table: &UnitCostTable) -> Vec<String> {
    cocare_econ::resources::CONTRACT
        .iter()
        .filter(|(r, _)| table.get(r).is_none())
        .map(|(r, _)| (*r).to_string())
        .collect()
}

/// A saved evaluation: what to compare, within which cohort, priced with which table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedEvaluation {
    pub spec: EvaluationSpec,
    /// A saved cohort's id (its latest version is used); none means everyone in the records.
    #[serde(default)]
    pub cohort: Option<String>,
    /// One of the organisation's unit-cost tables (latest version); none means the default.
    #[serde(default)]
    pub unit_costs: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EvaluationView {
    pub id: String,
    pub version: i64,
    pub saved: SavedEvaluation,
    pub versions: Vec<DocumentVersion>,
}

/// An evaluation run: what was asked, and the report or why there is none.
#[derive(Debug, Clone)]
pub struct EvaluationRun {
    pub view: EvaluationView,
    pub cohort_name: String,
    pub table_name: String,
    pub outcome: Result<Report, EvaluationError>,
}

fn table_problems(problems: &[TableProblem]) -> AppError {
    AppError::Validation(
        problems
            .iter()
            .take(50)
            .map(|p| FieldError::new("table", p.to_string()))
            .collect(),
    )
}

impl App {
    /// The organisation's unit-cost tables (the default is always there besides).
    pub async fn unit_cost_tables(&self, actor: &Actor) -> Result<Vec<DocumentSummary>, AppError> {
        let (organisation, permit) = self.records_scope(actor, Action::ManageUnitCosts).await?;
        let mut tx = self.store.begin_write().await?;
        let tables = tx.documents(&UNIT_COST_TABLES, &permit, organisation).await?;
        tx.commit().await?;
        Ok(tables)
    }

    /// A table at a version (default: latest); `DEFAULT_TABLE` is the shipped one.
    pub async fn unit_cost_table(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        id: &str,
        version: Option<i64>,
    ) -> Result<UnitCostView, AppError> {
        if id == DEFAULT_TABLE {
            return Ok(UnitCostView {
                id: DEFAULT_TABLE.into(),
                name: "UK default (shipped with cocare)".into(),
                version: 1,
                missing: missing_from(&UnitCostTable::default_uk()),
                table: UnitCostTable::default_uk(),
                csv: UnitCostTable::default_uk_csv().to_string(),
                versions: Vec::new(),
                builtin: true,
            });
        }
        let (organisation, permit) = self
            .records_scope_in(actor, Action::ManageUnitCosts, organisation)
            .await?;
        let mut tx = self.store.begin_write().await?;
        let versions = tx
            .document_versions(&UNIT_COST_TABLES, &permit, organisation, id)
            .await?;
        tx.commit().await?;
        let chosen = match version {
            Some(v) => versions.iter().find(|r| r.version == v),
            None => versions.last(),
        }
        .ok_or(AppError::NotFound)?;
        let table = UnitCostTable::parse_csv(&chosen.body)
            .map_err(|_| AppError::Unexpected(anyhow::anyhow!("a stored unit-cost table does not read")))?;
        Ok(UnitCostView {
            id: chosen.id.clone(),
            name: chosen.name.clone(),
            version: chosen.version,
            csv: table.to_csv(),
            missing: missing_from(&table),
            table,
            versions: versions.clone(),
            builtin: false,
        })
    }

    /// Saves a table (checked row by row) as a new table or the next version of `id`.
    pub async fn save_unit_cost_table(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        id: Option<&str>,
        name: &str,
        csv: &str,
    ) -> Result<(String, i64), AppError> {
        let mut errors = Vec::new();
        if name.trim().is_empty() {
            errors.push(FieldError::new("name", "Give the table a name"));
        }
        let table = match UnitCostTable::parse_csv(csv) {
            Ok(t) => Some(t),
            Err(problems) => {
                if let AppError::Validation(mut e) = table_problems(&problems) {
                    errors.append(&mut e);
                }
                None
            }
        };
        let Some(table) = table.filter(|_| errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let (organisation, permit) = self
            .records_scope_in(actor, Action::ManageUnitCosts, organisation)
            .await?;
        let mut tx = self.store.begin_write().await?;
        let saved = tx
            .save_document(
                &UNIT_COST_TABLES,
                &permit,
                organisation,
                id,
                name.trim(),
                &table.to_csv(),
            )
            .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Moves every figure of a table to another price year (NHS Cost Inflation Index) as the
    /// table's next version (a copy, for the shipped table).
    pub async fn inflate_unit_cost_table(&self, actor: &Actor, id: &str, year: i32) -> Result<(String, i64), AppError> {
        let view = self.unit_cost_table(actor, None, id, None).await?;
        let moved = view
            .table
            .inflate(&InflationIndex::uk(), year)
            .map_err(|e| AppError::Validation(vec![FieldError::new("year", e)]))?;
        let (target, name) = if view.builtin {
            (None, format!("UK default at {year} prices"))
        } else {
            (Some(view.id.as_str()), view.name.clone())
        };
        self.save_unit_cost_table(actor, None, target, &name, &moved.to_csv())
            .await
    }

    pub async fn evaluations(&self, actor: &Actor) -> Result<Vec<DocumentSummary>, AppError> {
        let (organisation, permit) = self.records_scope(actor, Action::AnalyseRecords).await?;
        let mut tx = self.store.begin_write().await?;
        let list = tx.documents(&EVALUATIONS, &permit, organisation).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// Saves an evaluation (checked) as new or as the next version of `id`.
    pub async fn save_evaluation(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        id: Option<&str>,
        saved: &SavedEvaluation,
    ) -> Result<(String, i64), AppError> {
        if let Err(problems) = saved.spec.validate() {
            return Err(AppError::Validation(
                problems
                    .iter()
                    .map(|p| FieldError::new(p.field.clone(), p.reason.clone()))
                    .collect(),
            ));
        }
        let (organisation, permit) = self
            .records_scope_in(actor, Action::AnalyseRecords, organisation)
            .await?;
        let body = serde_json::to_string_pretty(saved).map_err(|e| AppError::Unexpected(e.into()))?;
        let mut tx = self.store.begin_write().await?;
        let result = tx
            .save_document(&EVALUATIONS, &permit, organisation, id, saved.spec.name.trim(), &body)
            .await?;
        tx.commit().await?;
        Ok(result)
    }

    pub async fn evaluation(&self, actor: &Actor, id: &str, version: Option<i64>) -> Result<EvaluationView, AppError> {
        let (organisation, permit) = self.records_scope(actor, Action::AnalyseRecords).await?;
        let mut tx = self.store.begin_write().await?;
        let versions = tx.document_versions(&EVALUATIONS, &permit, organisation, id).await?;
        tx.commit().await?;
        let chosen = match version {
            Some(v) => versions.iter().find(|r| r.version == v),
            None => versions.last(),
        }
        .ok_or(AppError::NotFound)?;
        let saved: SavedEvaluation = serde_json::from_str(&chosen.body)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("a stored evaluation does not read: {e}")))?;
        Ok(EvaluationView {
            id: chosen.id.clone(),
            version: chosen.version,
            saved,
            versions,
        })
    }

    /// Runs a saved evaluation over the records (audited; disclosure-controlled).
    pub async fn run_evaluation(
        &self,
        actor: &Actor,
        id: &str,
        version: Option<i64>,
    ) -> Result<EvaluationRun, AppError> {
        let view = self.evaluation(actor, id, version).await?;
        let (cohort_name, cohort) = match &view.saved.cohort {
            Some(c) => {
                let cohort = self.cohort(actor, c, None).await?;
                (
                    format!("{} (version {})", cohort.name, cohort.version),
                    Some(cohort.definition),
                )
            }
            None => ("Everyone in the records".to_string(), None),
        };
        let table = self
            .unit_cost_table(
                actor,
                None,
                view.saved.unit_costs.as_deref().unwrap_or(DEFAULT_TABLE),
                None,
            )
            .await?;
        let table_name = format!("{} (version {})", table.name, table.version);
        let subject = format!("evaluation:{}@{}", view.id, view.version);
        let outcome = self
            .evaluate_definition(actor, None, cohort, &view.saved.spec, table.table, &subject)
            .await?;
        Ok(EvaluationRun {
            view,
            cohort_name,
            table_name,
            outcome,
        })
    }

    /// Audits a costing of the records done outside the engine's evaluation (the command
    /// line's `econ cost`), under the permit to analyse them.
    pub async fn audit_costing(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        subject: &str,
    ) -> Result<(), AppError> {
        let (_, permit) = self
            .records_scope_in(actor, Action::AnalyseRecords, organisation)
            .await?;
        let mut tx = self.store.begin_write().await?;
        tx.audit_analysis(&permit, subject).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs an evaluation that is not saved (the command line).
    pub async fn evaluate_definition(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        cohort: Option<CohortDefinition>,
        spec: &EvaluationSpec,
        table: UnitCostTable,
        subject: &str,
    ) -> Result<Result<Report, EvaluationError>, AppError> {
        let (organisation, permit) = self
            .records_scope_in(actor, Action::AnalyseRecords, organisation)
            .await?;
        let engine = self
            .records
            .econ
            .as_ref()
            .ok_or_else(|| AppError::Unavailable("this server was started without the analytic engine".into()))?;
        let outcome = engine
            .evaluate(
                organisation.to_string(),
                cohort,
                spec.clone(),
                table,
                self.records.disclosure,
            )
            .await
            .map_err(engine_error)?;
        let mut tx = self.store.begin_write().await?;
        tx.audit_analysis(&permit, subject).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}
