//! The quasi-identifier profile of a dataset version, which the vignette *k* check runs over
//! (`cocare_vignettes::facts`): per person the year of birth, sex, gender, ethnicity, ethnic
//! group and deprivation decile, how many rows of each event file they have, and the distinct
//! ICD-10 codes they have been diagnosed with.
//!
//! It is built with DataFusion (one aggregate of the events by person, pivoted by kind and
//! joined to the people; one of the distinct diagnosis codes), then kept beside the data as
//! `quasi-profile.parquet` in the version's folder. Versions never change, so the cache never
//! goes stale; it is written to a temporary file and renamed into place, and one that cannot be
//! read is rebuilt.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cocare_records::layout::EventKind;
use cocare_vignettes::facts::{CodeSets, Coded, CountKind, Counts, Profile, ProfileColumns};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListArray, RecordBatch, UInt8Array, UInt32Array};
use datafusion::arrow::buffer::{OffsetBuffer, ScalarBuffer};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema, SchemaRef, UInt8Type, UInt32Type};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::metadata::KeyValue;
use datafusion::parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

pub use cocare_vignettes::facts;

use crate::Error;
use crate::dataset::Manifest;
use crate::query::{collect, local_context, register};

/// The cache's file name inside a version folder.
pub const CACHE_FILE: &str = "quasi-profile.parquet";

/// The key of the cache's dictionaries in the Parquet file's metadata.
const META_KEY: &str = "cocare.quasi_profile";
const FORMAT: u32 = 1;

/// What the user passed as the records: a version folder (`people/` and `manifest.json`), a
/// dataset folder (`CURRENT`), or an analytic store's root holding exactly one dataset.
pub fn version_dir(dir: &Path) -> Result<(PathBuf, Manifest), Error> {
    if dir.join("manifest.json").is_file() && dir.join("people").is_dir() {
        let manifest = read_manifest(dir)?;
        return Ok((dir.to_path_buf(), manifest));
    }
    if dir.join("CURRENT").is_file() {
        return current(dir);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut datasets: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("CURRENT").is_file())
        .collect();
    datasets.sort();
    match datasets.as_slice() {
        [one] => current(one),
        [] => Err(Error::Invalid(format!(
            "{} is not an analytic store: no manifest.json and people/ (a version), CURRENT (a dataset) or dataset folders holding CURRENT",
            dir.display()
        ))),
        several => Err(Error::Invalid(format!(
            "{} holds {} datasets ({}); give the one to check, e.g. {}",
            dir.display(),
            several.len(),
            several
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(", "),
            several.first().map(|p| p.display().to_string()).unwrap_or_default()
        ))),
    }
}

fn read_manifest(version: &Path) -> Result<Manifest, Error> {
    let path = version.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
}

/// The version a dataset folder's `CURRENT` names.
fn current(dataset: &Path) -> Result<(PathBuf, Manifest), Error> {
    let pointer = dataset.join("CURRENT");
    let version = std::fs::read_to_string(&pointer).map_err(|e| Error::io(&pointer, e))?;
    let dir = dataset.join("versions").join(version.trim());
    let manifest = read_manifest(&dir)?;
    Ok((dir, manifest))
}

/// The profile of a version: from its cache, or built and cached.
pub async fn profile(version: &Path) -> Result<Profile, Error> {
    let manifest = read_manifest(version)?;
    let dir = version.to_path_buf();
    let cached = tokio::task::spawn_blocking(move || read_cache(&dir))
        .await
        .map_err(|e| Error::Query(e.to_string()))?;
    match cached {
        Ok(Some(p)) if p.people() as u64 == manifest.people => return Ok(p),
        Ok(Some(p)) => tracing::warn!(
            cached = p.people(),
            people = manifest.people,
            "the cached profile does not match the version; rebuilding it"
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "the cached profile cannot be read; rebuilding it"),
    }
    let profile = build(version).await?;
    let dir = version.to_path_buf();
    let (profile, written) = tokio::task::spawn_blocking(move || {
        let written = write_cache(&dir, &profile);
        (profile, written)
    })
    .await
    .map_err(|e| Error::Query(e.to_string()))?;
    if let Err(e) = written {
        // A read-only store still answers; it only answers more slowly next time.
        tracing::warn!(error = %e, "the profile could not be cached");
    }
    Ok(profile)
}

/// The pivoted aggregate: one count column per counted file, by person.
fn counts_sql() -> String {
    let columns: Vec<String> = CountKind::ALL
        .iter()
        .map(|k| {
            format!(
                "CAST(COUNT(*) FILTER (WHERE kind = '{}') AS BIGINT) AS {}",
                k.event_kind().code(),
                k.field()
            )
        })
        .collect();
    let kinds: Vec<String> = CountKind::ALL
        .iter()
        .map(|k| format!("'{}'", k.event_kind().code()))
        .collect();
    format!(
        "SELECT pid, {} FROM events WHERE kind IN ({}) GROUP BY pid",
        columns.join(", "),
        kinds.join(", ")
    )
}

const PEOPLE: &str = "SELECT pid, birth_year, sex, gender, ethnicity, ethnic_group, deprivation FROM people";

/// Builds the profile from the version's Parquet files (no cache involved).
pub async fn build(version: &Path) -> Result<Profile, Error> {
    let ctx = local_context();
    register(&ctx, version).await?;
    if !ctx.table_exist("people").map_err(Error::datafusion)? {
        return Err(Error::NoData);
    }
    let has_events = ctx.table_exist("events").map_err(Error::datafusion)?;
    let counted: Vec<String> = CountKind::ALL
        .iter()
        .map(|k| format!("COALESCE(c.{0}, 0) AS {0}", k.field()))
        .collect();
    let people_sql = if has_events {
        format!(
            "SELECT p.pid, p.birth_year, p.sex, p.gender, p.ethnicity, p.ethnic_group, p.deprivation, {} FROM people p LEFT JOIN ({}) c ON p.pid = c.pid",
            counted.join(", "),
            counts_sql()
        )
    } else {
        PEOPLE.to_string()
    };
    let people = collect(&ctx, &people_sql).await?;
    let diagnoses = if has_events {
        collect(
            &ctx,
            &format!(
                "SELECT DISTINCT pid, code FROM events WHERE kind = '{}'",
                EventKind::Diagnosis.code()
            ),
        )
        .await?
    } else {
        Vec::new()
    };
    tokio::task::spawn_blocking(move || assemble(&people, &diagnoses, has_events))
        .await
        .map_err(|e| Error::Query(e.to_string()))?
}

fn shape(what: &str) -> Error {
    Error::Query(format!("the profile query returned an unexpected shape ({what})"))
}

/// Places each row at its pid (pids are 0..n in import order; rows come back in any order).
fn assemble(people: &[RecordBatch], diagnoses: &[RecordBatch], has_counts: bool) -> Result<Profile, Error> {
    let n: usize = people.iter().map(RecordBatch::num_rows).sum();
    let mut birth_year = vec![0i32; n];
    let mut coded: [Vec<Option<String>>; 4] = Default::default();
    for c in &mut coded {
        *c = vec![None; n];
    }
    let mut deprivation = vec![None; n];
    let mut counts = Counts::zeros(n);
    for batch in people {
        let pid = batch
            .column(0)
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| shape("pid"))?;
        let birth = batch
            .column(1)
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| shape("birth_year"))?;
        let dep = batch
            .column(6)
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| shape("deprivation"))?;
        let mut texts = Vec::with_capacity(4);
        for i in 2..6 {
            texts.push(cast(batch.column(i), &DataType::Utf8).map_err(Error::arrow)?);
        }
        let texts: Vec<_> = texts
            .iter()
            .map(|a| a.as_string_opt::<i32>().ok_or_else(|| shape("text")))
            .collect::<Result<_, _>>()?;
        let mut count_columns = Vec::new();
        if has_counts {
            for (i, kind) in CountKind::ALL.iter().enumerate() {
                let column = batch
                    .columns()
                    .get(7 + i)
                    .and_then(|c| c.as_primitive_opt::<Int64Type>())
                    .ok_or_else(|| shape(kind.field()))?;
                count_columns.push((*kind, column));
            }
        }
        for row in 0..batch.num_rows() {
            let at = usize::try_from(pid.value(row))
                .ok()
                .filter(|p| *p < n)
                .ok_or_else(|| shape("pid range"))?;
            if let Some(slot) = birth_year.get_mut(at) {
                *slot = birth.value(row);
            }
            for (column, text) in coded.iter_mut().zip(&texts) {
                if let Some(slot) = column.get_mut(at) {
                    *slot = (!text.is_null(row)).then(|| text.value(row).to_string());
                }
            }
            if let Some(slot) = deprivation.get_mut(at) {
                *slot = (!dep.is_null(row)).then(|| u8::try_from(dep.value(row)).ok()).flatten();
            }
            for (kind, column) in &count_columns {
                if let Some(slot) = counts.column_mut(*kind).get_mut(at) {
                    *slot = u32::try_from(column.value(row)).unwrap_or(u32::MAX);
                }
            }
        }
    }
    let [sex, gender, ethnicity, group] = coded;
    let dict = |v: &[Option<String>]| {
        Coded::from_values(v.iter().map(Option::as_deref)).map_err(|e| Error::Query(e.to_string()))
    };
    let columns = ProfileColumns {
        birth_year,
        sex: dict(&sex)?,
        gender: dict(&gender)?,
        ethnicity: dict(&ethnicity)?,
        ethnic_group: dict(&group)?,
        deprivation,
        counts,
        diagnoses: code_sets(diagnoses, n)?,
    };
    Profile::new(columns).map_err(|e| Error::Query(e.to_string()))
}

/// Distinct (pid, code) rows → each person's codes, by a counting sort on pid.
fn code_sets(batches: &[RecordBatch], n: usize) -> Result<CodeSets, Error> {
    let mut values: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for batch in batches {
        let pid = batch
            .column(0)
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| shape("diagnosis pid"))?;
        let code = cast(batch.column(1), &DataType::Utf8).map_err(Error::arrow)?;
        let code = code.as_string_opt::<i32>().ok_or_else(|| shape("diagnosis code"))?;
        for row in 0..batch.num_rows() {
            let person = u32::try_from(pid.value(row))
                .ok()
                .filter(|p| (*p as usize) < n)
                .ok_or_else(|| shape("diagnosis pid range"))?;
            let value = code.value(row);
            let c = match index.get(value) {
                Some(c) => *c,
                None => {
                    let c = u32::try_from(values.len()).map_err(|_| shape("too many codes"))?;
                    index.insert(value.to_string(), c);
                    values.push(value.to_string());
                    c
                }
            };
            pairs.push((person, c));
        }
    }
    // The dictionary in code order, so a rebuild gives the same profile whatever order the
    // query's rows came in.
    let mut order: Vec<u32> = (0..u32::try_from(values.len()).unwrap_or(u32::MAX)).collect();
    order.sort_unstable_by(|a, b| values.get(*a as usize).cmp(&values.get(*b as usize)));
    let mut rank = vec![0u32; values.len()];
    for (r, old) in order.iter().enumerate() {
        if let Some(slot) = rank.get_mut(*old as usize) {
            *slot = u32::try_from(r).unwrap_or(u32::MAX);
        }
    }
    let values: Vec<String> = order
        .iter()
        .filter_map(|old| values.get(*old as usize).cloned())
        .collect();
    for (_, c) in &mut pairs {
        *c = rank.get(*c as usize).copied().unwrap_or(*c);
    }
    let mut offsets = vec![0u32; n + 1];
    for (p, _) in &pairs {
        if let Some(slot) = offsets.get_mut(*p as usize + 1) {
            *slot += 1;
        }
    }
    for i in 1..offsets.len() {
        let before = offsets.get(i - 1).copied().unwrap_or(0);
        if let Some(slot) = offsets.get_mut(i) {
            *slot += before;
        }
    }
    let mut fill: Vec<u32> = offsets.clone();
    let mut codes = vec![0u32; pairs.len()];
    for (p, c) in pairs {
        if let Some(at) = fill.get_mut(p as usize) {
            if let Some(slot) = codes.get_mut(*at as usize) {
                *slot = c;
            }
            *at += 1;
        }
    }
    // Codes in a stable order within each person (the query's row order is not).
    for w in offsets.windows(2) {
        if let [from, to] = w
            && let Some(slice) = codes.get_mut(*from as usize..*to as usize)
        {
            slice.sort_unstable();
        }
    }
    Ok(CodeSets { offsets, codes, values })
}

/// The dictionaries, kept in the Parquet file's metadata.
#[derive(Serialize, Deserialize)]
struct Dictionaries {
    format: u32,
    people: u64,
    sex: Vec<String>,
    gender: Vec<String>,
    ethnicity: Vec<String>,
    ethnic_group: Vec<String>,
    diagnoses: Vec<String>,
}

fn cache_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("birth_year", DataType::Int32, false),
        Field::new("sex", DataType::UInt8, false),
        Field::new("gender", DataType::UInt8, false),
        Field::new("ethnicity", DataType::UInt8, false),
        Field::new("ethnic_group", DataType::UInt8, false),
        Field::new("deprivation", DataType::UInt8, true),
    ];
    for kind in CountKind::ALL {
        fields.push(Field::new(kind.field(), DataType::UInt32, false));
    }
    fields.push(Field::new(
        "diagnosis_codes",
        DataType::List(Arc::new(Field::new("item", DataType::UInt32, false))),
        false,
    ));
    Arc::new(Schema::new(fields))
}

/// Writes the cache atomically: a temporary file in the same folder, then a rename.
pub fn write_cache(version: &Path, profile: &Profile) -> Result<(), Error> {
    let c = profile.columns();
    let n = profile.people();
    let dictionaries = Dictionaries {
        format: FORMAT,
        people: n as u64,
        sex: c.sex.values.clone(),
        gender: c.gender.values.clone(),
        ethnicity: c.ethnicity.values.clone(),
        ethnic_group: c.ethnic_group.values.clone(),
        diagnoses: c.diagnoses.values.clone(),
    };
    let meta = serde_json::to_string(&dictionaries).map_err(|e| Error::Invalid(e.to_string()))?;
    let offsets: Vec<i32> = c
        .diagnoses
        .offsets
        .iter()
        .map(|o| i32::try_from(*o).map_err(|_| Error::Invalid("too many diagnosis codes to cache".into())))
        .collect::<Result<_, _>>()?;
    let item = Arc::new(Field::new("item", DataType::UInt32, false));
    let list = ListArray::try_new(
        item,
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Arc::new(UInt32Array::from(c.diagnoses.codes.clone())),
        None,
    )
    .map_err(Error::arrow)?;
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(c.birth_year.clone())),
        Arc::new(UInt8Array::from(c.sex.codes.clone())),
        Arc::new(UInt8Array::from(c.gender.codes.clone())),
        Arc::new(UInt8Array::from(c.ethnicity.codes.clone())),
        Arc::new(UInt8Array::from(c.ethnic_group.codes.clone())),
        Arc::new(UInt8Array::from(c.deprivation.clone())),
    ];
    for kind in CountKind::ALL {
        columns.push(Arc::new(UInt32Array::from(c.counts.column(kind).to_vec())));
    }
    columns.push(Arc::new(list));
    let batch = RecordBatch::try_new(cache_schema(), columns).map_err(Error::arrow)?;

    let mut random = [0u8; 6];
    getrandom::fill(&mut random).map_err(|e| Error::Invalid(format!("no randomness: {e}")))?;
    let tmp = version.join(format!(".{CACHE_FILE}.{}.tmp", hex::encode(random)));
    let written = (|| {
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            // Several row groups, so loading can decode them in parallel.
            .set_max_row_group_row_count(Some(1 << 18))
            .set_key_value_metadata(Some(vec![KeyValue::new(META_KEY.to_string(), meta)]))
            .build();
        let mut writer = ArrowWriter::try_new(file, cache_schema(), Some(props)).map_err(Error::parquet)?;
        writer.write(&batch).map_err(Error::parquet)?;
        let file = writer.into_inner().map_err(Error::parquet)?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        let target = version.join(CACHE_FILE);
        std::fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Reads the cache: `None` when there is none, an error when it cannot be read.
pub fn read_cache(version: &Path) -> Result<Option<Profile>, Error> {
    let path = version.join(CACHE_FILE);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let bad = |why: &str| Error::Invalid(format!("{}: {why}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(Error::parquet)?;
    let meta = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == META_KEY))
        .and_then(|k| k.value.clone())
        .ok_or_else(|| bad("no dictionaries"))?;
    let dictionaries: Dictionaries = serde_json::from_str(&meta).map_err(|e| bad(&e.to_string()))?;
    if dictionaries.format != FORMAT {
        return Err(bad("an older format"));
    }
    if builder.schema().fields() != cache_schema().fields() {
        return Err(bad("unexpected columns"));
    }
    let groups = builder.metadata().num_row_groups();
    let schema = builder.schema().clone();
    drop(builder);
    // Row groups decoded in parallel, then put back in order.
    let parts: Vec<Result<Vec<RecordBatch>, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..groups)
            .map(|g| {
                let path = &path;
                s.spawn(move || -> Result<Vec<RecordBatch>, Error> {
                    let file = File::open(path).map_err(|e| Error::io(path, e))?;
                    ParquetRecordBatchReaderBuilder::try_new(file)
                        .map_err(Error::parquet)?
                        .with_row_groups(vec![g])
                        .with_batch_size(1 << 18)
                        .build()
                        .map_err(Error::parquet)?
                        .map(|b| b.map_err(Error::arrow))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Query("a reader thread failed".into())))
            })
            .collect()
    });
    let mut batches = Vec::new();
    for part in parts {
        batches.extend(part?);
    }
    let batch = concat_batches(&schema, &batches).map_err(Error::arrow)?;
    if batch.num_rows() as u64 != dictionaries.people {
        return Err(bad("the wrong number of people"));
    }
    let column = |name: &str| batch.column_by_name(name).ok_or_else(|| bad(name));
    let u8s = |name: &str| -> Result<Vec<u8>, Error> {
        Ok(column(name)?
            .as_primitive_opt::<UInt8Type>()
            .ok_or_else(|| bad(name))?
            .values()
            .to_vec())
    };
    let birth_year = column("birth_year")?
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| bad("birth_year"))?
        .values()
        .to_vec();
    let dep = column("deprivation")?
        .as_primitive_opt::<UInt8Type>()
        .ok_or_else(|| bad("deprivation"))?;
    let deprivation: Vec<Option<u8>> = if dep.null_count() == 0 {
        dep.values().iter().map(|d| Some(*d)).collect()
    } else {
        dep.iter().collect()
    };
    let mut counts = Counts::default();
    for kind in CountKind::ALL {
        *counts.column_mut(kind) = column(kind.field())?
            .as_primitive_opt::<UInt32Type>()
            .ok_or_else(|| bad(kind.field()))?
            .values()
            .to_vec();
    }
    let list = column("diagnosis_codes")?
        .as_list_opt::<i32>()
        .ok_or_else(|| bad("diagnosis_codes"))?;
    let first = list.offsets().first().copied().unwrap_or(0);
    let offsets: Vec<u32> = list
        .offsets()
        .iter()
        .map(|o| u32::try_from(*o - first).map_err(|_| bad("diagnosis offsets")))
        .collect::<Result<_, _>>()?;
    let values = list
        .values()
        .as_primitive_opt::<UInt32Type>()
        .ok_or_else(|| bad("diagnosis codes"))?;
    let from = usize::try_from(first).map_err(|_| bad("diagnosis offsets"))?;
    let to = from + offsets.last().copied().unwrap_or(0) as usize;
    let codes = values
        .values()
        .get(from..to)
        .ok_or_else(|| bad("diagnosis codes"))?
        .to_vec();
    let columns = ProfileColumns {
        birth_year,
        sex: Coded {
            codes: u8s("sex")?,
            values: dictionaries.sex,
        },
        gender: Coded {
            codes: u8s("gender")?,
            values: dictionaries.gender,
        },
        ethnicity: Coded {
            codes: u8s("ethnicity")?,
            values: dictionaries.ethnicity,
        },
        ethnic_group: Coded {
            codes: u8s("ethnic_group")?,
            values: dictionaries.ethnic_group,
        },
        deprivation,
        counts,
        diagnoses: CodeSets {
            offsets,
            codes,
            values: dictionaries.diagnoses,
        },
    };
    Profile::new(columns).map(Some).map_err(|e| bad(&e.to_string()))
}
