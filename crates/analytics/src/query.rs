//! Cohort definitions compiled to DataFusion.
//!
//! A definition becomes one aggregate over the events: per person and unit, an event count for
//! every look-back window the definition uses, the first day of use and the bed days in the
//! description window. `cocare-records` evaluates the rule tree over those rows and describes
//! the groups. The same SQL runs on a local `SessionContext` or on a Ballista cluster.

use std::path::{Path, PathBuf};

use cocare_records::characterise::{People, QueryPlan, UnitRow, UnitRows, characterise, select};
use cocare_records::codes::{EthnicGroup, Gender, Sex};
use cocare_records::cohort::CohortDefinition;
use cocare_records::report::Characterisation;
use cocare_records::units::{self, UnitKind};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int32Type, Int64Type};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use cocare_econ::costs::UnitCostTable;
use cocare_econ::evaluate::{EvaluationError, EvaluationSpec, Report};
use cocare_records::sdc::Disclosure;

use crate::Error;
use crate::dataset::{Dataset, Manifest};

/// Where queries run.
#[derive(Debug, Clone, Default)]
pub enum Cluster {
    /// In this process, on all cores.
    #[default]
    Local,
    /// On a Ballista scheduler (`df://host:50050`); its executors must see the same dataset
    /// paths (shared storage).
    Ballista(String),
}

/// The analytic engine: a root folder of datasets and where to run queries.
#[derive(Debug, Clone)]
pub struct Engine {
    root: PathBuf,
    cluster: Cluster,
    /// Vignette profiles already loaded, by dataset version folder (versions never change).
    profiles: ProfileCache,
}

type ProfileCache = std::sync::Arc<
    std::sync::Mutex<std::collections::HashMap<PathBuf, std::sync::Arc<cocare_vignettes::facts::Profile>>>,
>;

impl Engine {
    pub fn new(root: impl Into<PathBuf>, cluster: Cluster) -> Engine {
        Engine {
            root: root.into(),
            cluster,
            profiles: Default::default(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn dataset(&self, name: &str) -> Result<Dataset, Error> {
        Dataset::new(&self.root, name)
    }

    /// The dataset version in use.
    pub fn current(&self, name: &str) -> Result<Option<(PathBuf, Manifest)>, Error> {
        self.dataset(name)?.current()
    }

    /// A session for this engine's cluster.
    pub async fn context(&self) -> Result<SessionContext, Error> {
        match &self.cluster {
            Cluster::Local => Ok(local_context()),
            #[cfg(feature = "cluster")]
            Cluster::Ballista(url) => {
                use ballista::prelude::SessionContextExt;
                SessionContext::remote(url).await.map_err(Error::datafusion)
            }
            #[cfg(not(feature = "cluster"))]
            Cluster::Ballista(_) => Err(Error::Invalid(
                "this build of cocare has no Ballista support (feature `cluster`)".into(),
            )),
        }
    }

    /// Evaluates care pathways over a dataset's current version, within a cohort (or everyone).
    pub async fn evaluate(
        &self,
        dataset: &str,
        cohort: Option<&CohortDefinition>,
        spec: &EvaluationSpec,
        table: &UnitCostTable,
        disclosure: &Disclosure,
    ) -> Result<Result<Report, EvaluationError>, Error> {
        let (dir, manifest) = self.current(dataset)?.ok_or(Error::NoData)?;
        let people = usize::try_from(manifest.people).unwrap_or(0);
        let in_cohort = match cohort {
            Some(def) => {
                let ctx = self.context().await?;
                cohort_members(&ctx, &dir, def).await?
            }
            None => vec![true; people],
        };
        let name = cohort.map_or_else(|| "Everyone in the records".to_string(), |d| d.name.clone());
        let (spec, table, disclosure) = (spec.clone(), table.clone(), *disclosure);
        let last_day = manifest.last_day.unwrap_or(0);
        tokio::task::spawn_blocking(move || {
            let records = crate::costing::read_records(&dir, people, last_day)?;
            let usage = crate::costing::measure_usage(&records, &in_cohort, &spec, &name);
            Ok(cocare_econ::evaluate::evaluate(&spec, &usage, &table, &disclosure))
        })
        .await
        .map_err(|e| Error::Query(e.to_string()))?
    }

    /// Runs a cohort definition over a dataset's current version.
    pub async fn characterise(&self, dataset: &str, def: &CohortDefinition) -> Result<Characterisation, Error> {
        let (dir, _) = self.current(dataset)?.ok_or(Error::NoData)?;
        let ctx = self.context().await?;
        characterise_in(&ctx, &dir, def).await
    }
}

pub fn local_context() -> SessionContext {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    SessionContext::new_with_config(
        SessionConfig::new()
            .with_target_partitions(threads)
            .with_batch_size(1 << 15)
            // The cohort aggregate has about one group per four rows: a partial aggregation per
            // partition reduces little, so rows go straight to the final one.
            .set_str(
                "datafusion.execution.skip_partial_aggregation_probe_ratio_threshold",
                "0.1",
            ),
    )
}

/// Registers a dataset version's tables (`people`, `events`, `outcomes`) on a session.
pub async fn register(ctx: &SessionContext, version: &Path) -> Result<(), Error> {
    for table in ["people", "events", "outcomes"] {
        let dir = version.join(table);
        let has_files = std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(false);
        if !has_files {
            continue;
        }
        let path = format!("{}/", dir.display());
        ctx.register_parquet(table, &path, ParquetReadOptions::default())
            .await
            .map_err(Error::datafusion)?;
    }
    Ok(())
}

/// The SQL a definition compiles to: two aggregates whose rows add up. Most events are older
/// than every look-back window and matter only to "ever diagnosed" and to bed days of long
/// spells, so the full per-window aggregate reads only the events inside the windows, and a
/// second, small one reads the older diagnoses and admissions.
pub fn unit_sql(plan: &QueryPlan) -> Vec<String> {
    let idx = plan.index_day;
    let from = plan.describe_from;
    let admission = units::index(UnitKind::Admission, "admission").unwrap_or(0);
    let diagnoses: Vec<String> = units::all()
        .iter()
        .enumerate()
        .filter(|(_, u)| u.kind == UnitKind::Diagnosis)
        .map(|(i, _)| i.to_string())
        .collect();
    let earliest = plan.windows.iter().flatten().copied().min().unwrap_or(from);
    let bed_days = format!(
        // Nights between admission and discharge (or the day after the index date, if still in
        // hospital) that fall in the description window.
        "CAST(COALESCE(SUM(GREATEST(0, LEAST(COALESCE(\"end\", {next}), {next}) - GREATEST(start, {from}))) FILTER (WHERE unit = {admission}), 0) AS BIGINT) AS bed_days",
        next = idx + 1
    );
    // One BIGINT key (pid × 256 + unit) groups much faster than two columns.
    let mut recent = vec![format!("{KEY} AS key")];
    let mut older = vec![format!("{KEY} AS key")];
    for (i, window) in plan.windows.iter().enumerate() {
        match window {
            Some(day) => {
                recent.push(format!(
                    "CAST(COUNT(*) FILTER (WHERE start >= {day}) AS BIGINT) AS c{i}"
                ));
                older.push(format!("CAST(0 AS BIGINT) AS c{i}"));
            }
            None => {
                recent.push(format!("CAST(COUNT(*) AS BIGINT) AS c{i}"));
                older.push(format!("CAST(COUNT(*) AS BIGINT) AS c{i}"));
            }
        }
    }
    recent.push(format!("MIN(start) FILTER (WHERE start >= {from}) AS first_day"));
    older.push("CAST(NULL AS INT) AS first_day".to_string());
    recent.push(bed_days.clone());
    older.push(bed_days);
    vec![
        format!(
            "SELECT {} FROM events WHERE start >= {earliest} AND start <= {idx} AND unit >= 0 GROUP BY {KEY}",
            recent.join(", ")
        ),
        format!(
            "SELECT {} FROM events WHERE start < {earliest} AND unit IN ({admission}, {}) GROUP BY {KEY}",
            older.join(", "),
            diagnoses.join(", ")
        ),
    ]
}

const KEY: &str = "CAST(pid AS BIGINT) * 256 + CAST(unit AS BIGINT)";

pub const PEOPLE_SQL: &str = "SELECT pid, birth_year, sex, gender, ethnic_group, deprivation FROM people";

/// Reads what a definition needs: people and the per-unit aggregate rows.
async fn cohort_inputs(
    ctx: &SessionContext,
    version: &Path,
    def: &CohortDefinition,
) -> Result<(QueryPlan, People, Batches), Error> {
    def.validate().map_err(|e| Error::Invalid(e.to_string()))?;
    if ctx.table_exist("events").map_err(Error::datafusion)? {
        ctx.deregister_table("events").map_err(Error::datafusion)?;
        ctx.deregister_table("people").map_err(Error::datafusion)?;
        let _ = ctx.deregister_table("outcomes");
    }
    register(ctx, version).await?;
    let plan = QueryPlan::new(def);
    let started = std::time::Instant::now();
    let people = load_people(ctx).await?;
    let loaded = started.elapsed();
    let rows = if ctx.table_exist("events").map_err(Error::datafusion)? {
        let mut rows = Vec::new();
        for sql in unit_sql(&plan) {
            rows.extend(collect(ctx, &sql).await?);
        }
        rows
    } else {
        Vec::new()
    };
    tracing::debug!(
        people_ms = loaded.as_millis() as u64,
        aggregate_ms = (started.elapsed() - loaded).as_millis() as u64,
        "cohort aggregate read"
    );
    let batches = Batches {
        batches: rows,
        windows: plan.windows.len(),
    };
    batches.check()?;
    Ok((plan, people, batches))
}

/// Runs a definition on a session whose tables may not be registered yet.
pub async fn characterise_in(
    ctx: &SessionContext,
    version: &Path,
    def: &CohortDefinition,
) -> Result<Characterisation, Error> {
    let (plan, people, batches) = cohort_inputs(ctx, version, def).await?;
    Ok(characterise(def, &plan, &people, &batches))
}

/// Who is in a cohort, by pid.
pub async fn cohort_members(ctx: &SessionContext, version: &Path, def: &CohortDefinition) -> Result<Vec<bool>, Error> {
    let (plan, people, batches) = cohort_inputs(ctx, version, def).await?;
    Ok(select(def, &plan, &people, &batches).in_cohort)
}

pub async fn collect(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, Error> {
    ctx.sql(sql)
        .await
        .map_err(Error::datafusion)?
        .collect()
        .await
        .map_err(Error::datafusion)
}

async fn load_people(ctx: &SessionContext) -> Result<People, Error> {
    let batches = collect(ctx, PEOPLE_SQL).await?;
    // Pids are 0..n in import order; rows may come back in any order, so each goes to its pid.
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut people = People {
        birth_year: vec![0; n],
        sex: vec![None; n],
        gender: vec![None; n],
        ethnic_group: vec![None; n],
        deprivation: vec![None; n],
    };
    for batch in &batches {
        let missing = || Error::Query("people has an unexpected shape".into());
        let pid = batch.column(0).as_primitive_opt::<Int32Type>().ok_or_else(missing)?;
        let birth = batch.column(1).as_primitive_opt::<Int32Type>().ok_or_else(missing)?;
        let text = |i: usize| cast(batch.column(i), &DataType::Utf8).map_err(Error::arrow);
        let (sex, gender, group) = (text(2)?, text(3)?, text(4)?);
        let sex = sex.as_string_opt::<i32>().ok_or_else(missing)?;
        let gender = gender.as_string_opt::<i32>().ok_or_else(missing)?;
        let group = group.as_string_opt::<i32>().ok_or_else(missing)?;
        let deprivation = batch.column(5).as_primitive_opt::<Int32Type>().ok_or_else(missing)?;
        for i in 0..batch.num_rows() {
            let at = usize::try_from(pid.value(i)).map_err(|_| missing())?;
            if at >= n {
                return Err(missing());
            }
            if let Some(slot) = people.birth_year.get_mut(at) {
                *slot = birth.value(i);
            }
            if let Some(slot) = people.sex.get_mut(at) {
                *slot = Sex::parse(sex.value(i)).ok().filter(|s| *s != Sex::NotStated);
            }
            if let Some(slot) = people.gender.get_mut(at) {
                *slot = (!gender.is_null(i))
                    .then(|| Gender::parse(gender.value(i)).ok())
                    .flatten()
                    .filter(|g| *g != Gender::NotStated);
            }
            if let Some(slot) = people.ethnic_group.get_mut(at) {
                *slot = (!group.is_null(i))
                    .then(|| EthnicGroup::parse(group.value(i)).ok())
                    .flatten();
            }
            if let Some(slot) = people.deprivation.get_mut(at) {
                *slot = (!deprivation.is_null(i)).then(|| deprivation.value(i) as u8);
            }
        }
    }
    Ok(people)
}

/// The aggregate's batches, read as `UnitRow`s.
struct Batches {
    batches: Vec<RecordBatch>,
    windows: usize,
}

impl Batches {
    fn check(&self) -> Result<(), Error> {
        for b in &self.batches {
            let ok = b.num_columns() == self.windows + 3
                && b.column(0).as_primitive_opt::<Int64Type>().is_some()
                && (0..self.windows).all(|w| b.column(1 + w).as_primitive_opt::<Int64Type>().is_some())
                && b.column(1 + self.windows).as_primitive_opt::<Int32Type>().is_some()
                && b.column(2 + self.windows).as_primitive_opt::<Int64Type>().is_some();
            if !ok {
                return Err(Error::Query(format!(
                    "the aggregate returned an unexpected shape: {:?}",
                    b.schema()
                )));
            }
        }
        Ok(())
    }
}

impl UnitRows for Batches {
    fn for_each(&self, f: &mut dyn FnMut(UnitRow<'_>)) {
        let w = self.windows;
        let mut counts = vec![0u32; w];
        for b in &self.batches {
            let (Some(key), Some(first), Some(bed)) = (
                b.column(0).as_primitive_opt::<Int64Type>(),
                b.column(1 + w).as_primitive_opt::<Int32Type>(),
                b.column(2 + w).as_primitive_opt::<Int64Type>(),
            ) else {
                continue;
            };
            let windows: Vec<_> = (0..w)
                .filter_map(|k| b.column(1 + k).as_primitive_opt::<Int64Type>())
                .collect();
            for i in 0..b.num_rows() {
                for (slot, column) in counts.iter_mut().zip(&windows) {
                    *slot = u32::try_from(column.value(i)).unwrap_or(u32::MAX);
                }
                let key = key.value(i);
                f(UnitRow {
                    pid: u32::try_from(key >> 8).unwrap_or(u32::MAX),
                    unit: (key & 0xff) as u16,
                    counts: &counts,
                    first_day: (!first.is_null(i)).then(|| first.value(i)),
                    bed_days: bed.value(i),
                });
            }
        }
    }
}

mod engine_impl {
    use std::path::PathBuf;

    use chrono::NaiveDate;
    use cocare_records::cohort::CohortDefinition;
    use cocare_records::engine::{
        BoxFuture, DatasetStatus, EngineError, ImportDone, ImportProgress, ProgressFn, RecordsEngine,
    };
    use cocare_records::pseudonym::PseudonymKey;
    use cocare_records::report::Characterisation;

    use super::Engine;
    use crate::Error;
    use crate::dataset::Manifest;
    use crate::import::{ImportOptions, import_dir};

    impl From<Error> for EngineError {
        fn from(e: Error) -> Self {
            match e {
                Error::Rejected { rejections, total } => EngineError::Rejected { rejections, total },
                Error::NoData => EngineError::NoData,
                Error::Invalid(why) => EngineError::Invalid(why),
                other => EngineError::Failed(other.to_string()),
            }
        }
    }

    fn status_of(m: Manifest) -> DatasetStatus {
        DatasetStatus {
            version: m.version,
            imported_at: m.imported_at,
            people: m.people,
            events: m.events,
            outcomes: m.outcomes,
            files: m.files,
        }
    }

    impl RecordsEngine for Engine {
        fn import(
            &self,
            dataset: String,
            dir: PathBuf,
            key: PseudonymKey,
            today: NaiveDate,
            progress: ProgressFn,
        ) -> BoxFuture<'_, Result<ImportDone, EngineError>> {
            let engine = self.clone();
            Box::pin(async move {
                let task = tokio::task::spawn_blocking(move || {
                    let dataset = engine.dataset(&dataset)?;
                    let options = ImportOptions {
                        today,
                        report_limit: 500,
                    };
                    import_dir(&dir, &dataset, &key, &options, &|p| {
                        progress(&ImportProgress {
                            bytes_done: p.bytes_done,
                            bytes_total: p.bytes_total,
                            rows: p.rows,
                            seconds: p.seconds,
                        })
                    })
                });
                let summary = task.await.map_err(|e| EngineError::Failed(e.to_string()))??;
                Ok(ImportDone {
                    rows: summary.rows,
                    seconds: summary.seconds,
                    status: status_of(summary.manifest),
                })
            })
        }

        fn characterise(
            &self,
            dataset: String,
            def: CohortDefinition,
        ) -> BoxFuture<'_, Result<Characterisation, EngineError>> {
            Box::pin(async move { Ok(Engine::characterise(self, &dataset, &def).await?) })
        }

        fn status(&self, dataset: &str) -> Result<Option<DatasetStatus>, EngineError> {
            Ok(self.current(dataset)?.map(|(_, m)| status_of(m)))
        }
    }

    impl cocare_vignettes::engine::VignetteEngine for Engine {
        fn profile(
            &self,
            dataset: String,
        ) -> BoxFuture<'_, Result<cocare_vignettes::engine::ProfileVersion, EngineError>> {
            Box::pin(async move {
                let (dir, manifest) = self.current(&dataset)?.ok_or(EngineError::NoData)?;
                let cached = self.profiles.lock().ok().and_then(|c| c.get(&dir).cloned());
                let profile = match cached {
                    Some(p) => p,
                    None => {
                        let p = std::sync::Arc::new(crate::quasi::profile(&dir).await?);
                        if let Ok(mut cache) = self.profiles.lock() {
                            // Only the versions in use stay loaded.
                            cache.retain(|k, _| k.exists());
                            cache.insert(dir.clone(), p.clone());
                        }
                        p
                    }
                };
                Ok(cocare_vignettes::engine::ProfileVersion {
                    profile,
                    version: manifest.version,
                    last_day: manifest.last_day.unwrap_or(0),
                })
            })
        }
    }

    impl cocare_econ::engine::EconEngine for Engine {
        fn evaluate(
            &self,
            dataset: String,
            cohort: Option<CohortDefinition>,
            spec: cocare_econ::evaluate::EvaluationSpec,
            table: cocare_econ::costs::UnitCostTable,
            disclosure: cocare_records::sdc::Disclosure,
        ) -> BoxFuture<
            '_,
            Result<Result<cocare_econ::evaluate::Report, cocare_econ::evaluate::EvaluationError>, EngineError>,
        > {
            Box::pin(
                async move { Ok(Engine::evaluate(self, &dataset, cohort.as_ref(), &spec, &table, &disclosure).await?) },
            )
        }
    }
}
