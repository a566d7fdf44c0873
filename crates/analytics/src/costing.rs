//! Costing: resource use read straight from Parquet into columns, priced and discounted per
//! person in one parallel pass (the hot path of `cocare econ cost` and of pathway evaluations).
//!
//! Two inputs:
//! - a records dataset version (`events` and `outcomes` tables), whose events are turned into
//!   resources by `cocare_econ::resources`;
//! - a plain resource-use file: Parquet with `pid` (integer), `day` (days since 1970-01-01, or a
//!   date), `resource` (text) and `quantity` (number).
//!
//! Cohorts and ad-hoc questions stay in DataFusion SQL; this pass is a purpose-built kernel
//! because a generic plan (hash aggregate for first days, join back, grouped sum) costs several
//! times the Parquet decoding it rests on.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cocare_econ::costs::{Category, Perspective, UnitCostTable};
use cocare_econ::discount::{self, year_index};
use cocare_econ::evaluate::{EvaluationError, EvaluationSpec, NO_PATHWAY, Usage, price_resources};
use cocare_econ::resources::{self, Quantity};
use cocare_records::units;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int16Type, Int32Type, UInt16Type, UInt32Type};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use rayon::prelude::*;

use crate::Error;

/// One block of resource-use events, as columns.
#[derive(Debug, Default, Clone)]
pub struct Chunk {
    pub pid: Vec<u32>,
    pub day: Vec<i32>,
    pub resource: Vec<u16>,
    pub quantity: Vec<f64>,
    /// When every pid in the chunk lies in one block of [`BLOCK`] people, that block.
    pub block: Option<u32>,
}

/// People per block when events are partitioned by person: a block's accumulators (first days
/// and six sums per person) stay in the core's cache.
pub const BLOCK_BITS: u32 = 14;
pub const BLOCK: usize = 1 << BLOCK_BITS;

impl Chunk {
    fn push(&mut self, pid: u32, day: i32, resource: u16, quantity: f64) {
        self.pid.push(pid);
        self.day.push(day);
        self.resource.push(resource);
        self.quantity.push(quantity);
    }
}

/// Splits a chunk into one chunk per block of people.
fn partition(chunk: Chunk) -> Vec<Chunk> {
    // Counted first, so each block's vectors are allocated once at their size.
    let mut counts: Vec<usize> = Vec::new();
    for p in &chunk.pid {
        let b = (p >> BLOCK_BITS) as usize;
        if counts.len() <= b {
            counts.resize(b + 1, 0);
        }
        if let Some(c) = counts.get_mut(b) {
            *c += 1;
        }
    }
    let mut blocks: Vec<Chunk> = counts
        .iter()
        .map(|&n| Chunk {
            pid: Vec::with_capacity(n),
            day: Vec::with_capacity(n),
            resource: Vec::with_capacity(n),
            quantity: Vec::with_capacity(n),
            block: None,
        })
        .collect();
    for i in 0..chunk.pid.len() {
        let (Some(&p), Some(&d), Some(&r), Some(&q)) = (
            chunk.pid.get(i),
            chunk.day.get(i),
            chunk.resource.get(i),
            chunk.quantity.get(i),
        ) else {
            continue;
        };
        let b = (p >> BLOCK_BITS) as usize;
        if blocks.len() <= b {
            blocks.resize_with(b + 1, Chunk::default);
        }
        if let Some(c) = blocks.get_mut(b) {
            c.push(p, d, r, q);
        }
    }
    blocks
        .into_iter()
        .enumerate()
        .filter(|(_, c)| !c.pid.is_empty())
        .map(|(b, mut c)| {
            c.block = Some(b as u32);
            c
        })
        .collect()
}

/// Resource-use events: who, when, what and how much.
#[derive(Debug, Default, Clone)]
pub struct ResourceUse {
    pub resources: Vec<String>,
    /// Person ids run from 0 to `people − 1`.
    pub people: usize,
    pub chunks: Vec<Chunk>,
}

impl ResourceUse {
    pub fn events(&self) -> usize {
        self.chunks.iter().map(|c| c.pid.len()).sum()
    }

    /// Events per resource.
    pub fn counts(&self) -> Vec<u64> {
        let r = self.resources.len();
        self.chunks
            .par_iter()
            .map(|c| {
                let mut counts = vec![0u64; r];
                for &x in &c.resource {
                    if let Some(n) = counts.get_mut(usize::from(x)) {
                        *n += 1;
                    }
                }
                counts
            })
            .reduce(
                || vec![0u64; r],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            )
    }
}

/// Every row group of a set of Parquet files, with the metadata to read it.
fn row_groups(files: &[PathBuf]) -> Result<Vec<(PathBuf, ArrowReaderMetadata, usize)>, Error> {
    let mut out = Vec::new();
    for path in files {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| Error::Invalid(format!("{} is not a readable Parquet file ({e})", path.display())))?;
        for rg in 0..meta.metadata().num_row_groups() {
            out.push((path.clone(), meta.clone(), rg));
        }
    }
    Ok(out)
}

/// Reads the named columns of one row group.
fn read_group(path: &Path, meta: &ArrowReaderMetadata, rg: usize, columns: &[&str]) -> Result<Vec<RecordBatch>, Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let schema = meta.metadata().file_metadata().schema_descr();
    for c in columns {
        if !schema.columns().iter().any(|col| col.name() == *c) {
            return Err(Error::Invalid(format!("{} has no column '{c}'", path.display())));
        }
    }
    let mask = ProjectionMask::columns(schema, columns.iter().copied());
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
        .with_row_groups(vec![rg])
        .with_projection(mask)
        .with_batch_size(1 << 16)
        .build()
        .map_err(Error::parquet)?;
    reader
        .map(|b| b.map_err(|e| Error::Invalid(format!("{}: {e}", path.display()))))
        .collect()
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Arc<dyn Array>, Error> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Error::Invalid(format!("no column '{name}'")))
}

fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads a plain resource-use Parquet file (or a folder of them).
pub fn read_resource_use(path: &Path) -> Result<ResourceUse, Error> {
    let files = parquet_files(path)?;
    if files.is_empty() {
        return Err(Error::Invalid(format!("{} holds no Parquet files", path.display())));
    }
    let groups = row_groups(&files)?;
    let names: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let chunks: Vec<Chunk> = groups
        .par_iter()
        .map(|(path, meta, rg)| {
            let batches = read_group(path, meta, *rg, &["pid", "day", "resource", "quantity"])?;
            let mut chunk = Chunk::default();
            for batch in batches {
                let bad = |what: &str| Error::Invalid(format!("{}: {what}", path.display()));
                let pid =
                    cast(column(&batch, "pid")?, &DataType::UInt32).map_err(|_| bad("pid is not a whole number"))?;
                let day = match column(&batch, "day")?.data_type() {
                    DataType::Date32 => cast(column(&batch, "day")?, &DataType::Int32),
                    _ => cast(column(&batch, "day")?, &DataType::Int32),
                }
                .map_err(|_| bad("day is not a day number or a date"))?;
                let quantity = cast(column(&batch, "quantity")?, &DataType::Float64)
                    .map_err(|_| bad("quantity is not a number"))?;
                let dict_type = DataType::Dictionary(Box::new(DataType::UInt16), Box::new(DataType::Utf8));
                let resource =
                    cast(column(&batch, "resource")?, &dict_type).map_err(|_| bad("resource is not text"))?;
                let (Some(pid), Some(day), Some(quantity), Some(resource)) = (
                    pid.as_primitive_opt::<UInt32Type>(),
                    day.as_primitive_opt::<Int32Type>(),
                    quantity.as_primitive_opt::<Float64Type>(),
                    resource.as_dictionary_opt::<UInt16Type>(),
                ) else {
                    return Err(bad("unexpected column types"));
                };
                if pid.null_count() > 0 || day.null_count() > 0 || resource.null_count() > 0 {
                    return Err(bad("pid, day and resource may not be empty (or pid is negative)"));
                }
                // This block's dictionary → the global resource list.
                let values = resource.values().as_string::<i32>();
                let mut map = Vec::with_capacity(values.len());
                {
                    let mut names = names.lock().map_err(|_| bad("lock poisoned"))?;
                    for v in values.iter() {
                        let v = v.unwrap_or_default();
                        let at = match names.iter().position(|n| n == v) {
                            Some(at) => at,
                            None => {
                                names.push(v.to_string());
                                names.len() - 1
                            }
                        };
                        map.push(u16::try_from(at).map_err(|_| bad("more than 65,535 resources"))?);
                    }
                }
                chunk.pid.extend_from_slice(pid.values());
                chunk.day.extend_from_slice(day.values());
                chunk.resource.extend(
                    resource
                        .keys()
                        .values()
                        .iter()
                        .map(|k| map.get(usize::from(*k)).copied().unwrap_or(0)),
                );
                chunk
                    .quantity
                    .extend(quantity.iter().map(|q| q.filter(|q| q.is_finite()).unwrap_or(1.0)));
            }
            Ok(partition(chunk))
        })
        .collect::<Result<Vec<Vec<Chunk>>, Error>>()?
        .into_iter()
        .flatten()
        .collect();
    let people = chunks
        .par_iter()
        .map(|c| c.pid.iter().copied().max().map_or(0, |m| m as usize + 1))
        .max()
        .unwrap_or(0);
    let resources = names.into_inner().unwrap_or_default();
    Ok(ResourceUse {
        resources,
        people,
        chunks,
    })
}

/// A records dataset version's events, as the costing needs them.
#[derive(Debug, Default, Clone)]
pub struct RecordEvents {
    pub people: usize,
    /// The extract's last day: open stays end there.
    pub last_day: i32,
    pub chunks: Vec<RawChunk>,
    /// Outcomes the economics reads: `(pid, day, which, value)`, `which` an index into
    /// [`OUTCOME_MEASURES`].
    pub outcomes: Vec<(u32, i32, u8, f64)>,
}

#[derive(Debug, Default, Clone)]
pub struct RawChunk {
    pub pid: Vec<u32>,
    pub unit: Vec<i16>,
    pub start: Vec<i32>,
    pub end: Vec<Option<i32>>,
    pub quantity: Vec<Option<f64>>,
}

/// The outcome measures the economics reads: utilities first, then resource-use measures.
pub fn outcome_measures() -> Vec<&'static str> {
    std::iter::once(resources::UTILITY_MEASURE)
        .chain(resources::OUTCOME_RESOURCES.iter().map(|(m, _)| *m))
        .collect()
}

/// Reads the events and the economic outcomes of a dataset version.
pub fn read_records(version: &Path, people: usize, last_day: i32) -> Result<RecordEvents, Error> {
    let files = parquet_files(&version.join("events"))?;
    let groups = row_groups(&files)?;
    let chunks = groups
        .par_iter()
        .map(|(path, meta, rg)| {
            let mut c = RawChunk::default();
            for batch in read_group(path, meta, *rg, &["pid", "unit", "start", "end", "quantity"])? {
                let bad = || Error::Invalid(format!("{}: unexpected column types", path.display()));
                let pid = column(&batch, "pid")?.as_primitive_opt::<Int32Type>().ok_or_else(bad)?;
                let unit = column(&batch, "unit")?
                    .as_primitive_opt::<Int16Type>()
                    .ok_or_else(bad)?;
                let start = column(&batch, "start")?
                    .as_primitive_opt::<Int32Type>()
                    .ok_or_else(bad)?;
                let end = column(&batch, "end")?.as_primitive_opt::<Int32Type>().ok_or_else(bad)?;
                let quantity = column(&batch, "quantity")?
                    .as_primitive_opt::<Float64Type>()
                    .ok_or_else(bad)?;
                c.pid.extend(pid.values().iter().map(|p| *p as u32));
                c.unit.extend_from_slice(unit.values());
                c.start.extend_from_slice(start.values());
                c.end.extend(end.iter());
                c.quantity.extend(quantity.iter());
            }
            Ok(c)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let measures = outcome_measures();
    let mut outcomes = Vec::new();
    let outcome_files = parquet_files(&version.join("outcomes")).unwrap_or_default();
    for (path, meta, rg) in row_groups(&outcome_files)? {
        for batch in read_group(&path, &meta, rg, &["pid", "day", "measure", "value"])? {
            let bad = || Error::Invalid(format!("{}: unexpected column types", path.display()));
            let pid = column(&batch, "pid")?.as_primitive_opt::<Int32Type>().ok_or_else(bad)?;
            let day = column(&batch, "day")?.as_primitive_opt::<Int32Type>().ok_or_else(bad)?;
            let measure = cast(column(&batch, "measure")?, &DataType::Utf8).map_err(Error::arrow)?;
            let measure = measure.as_string_opt::<i32>().ok_or_else(bad)?;
            let value = column(&batch, "value")?
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(bad)?;
            for i in 0..batch.num_rows() {
                if let Some(which) = measures.iter().position(|m| *m == measure.value(i)) {
                    outcomes.push((pid.value(i) as u32, day.value(i), which as u8, value.value(i)));
                }
            }
        }
    }
    Ok(RecordEvents {
        people,
        last_day,
        chunks,
        outcomes,
    })
}

/// The resource list for records: the contract's keys, in its order.
pub fn record_resources() -> Vec<String> {
    resources::CONTRACT.iter().map(|(r, _)| (*r).to_string()).collect()
}

/// Per unit index: the resource column it uses and how much.
fn unit_table(resources: &[String]) -> Vec<Option<(u16, Quantity)>> {
    (0..units::all().len())
        .map(|u| {
            let m = resources::for_unit(u)?;
            let at = resources.iter().position(|r| r == m.resource)?;
            Some((at as u16, m.quantity))
        })
        .collect()
}

impl RecordEvents {
    /// The events as resource use (outcome measures of resource use included).
    pub fn resource_use(&self) -> ResourceUse {
        let resources = record_resources();
        let table = unit_table(&resources);
        let last_day = self.last_day;
        let mut chunks: Vec<Chunk> = self
            .chunks
            .par_iter()
            .map(|raw| {
                let mut c = Chunk::default();
                for i in 0..raw.pid.len() {
                    let unit = raw.unit.get(i).copied().unwrap_or(-1);
                    let Some(Some((r, q))) = usize::try_from(unit).ok().and_then(|u| table.get(u)) else {
                        continue;
                    };
                    let start = raw.start.get(i).copied().unwrap_or(0);
                    c.pid.push(raw.pid.get(i).copied().unwrap_or(0));
                    c.day.push(start);
                    c.resource.push(*r);
                    c.quantity.push(q.of(
                        start,
                        raw.end.get(i).copied().flatten(),
                        raw.quantity.get(i).copied().flatten(),
                        last_day,
                    ));
                }
                c
            })
            .collect();
        let mut extra = Chunk::default();
        let measures = outcome_measures();
        for (pid, day, which, value) in &self.outcomes {
            let Some(measure) = measures.get(usize::from(*which)) else {
                continue;
            };
            let Some((_, resource)) = resources::OUTCOME_RESOURCES.iter().find(|(m, _)| m == measure) else {
                continue;
            };
            if let Some(at) = resources.iter().position(|r| r == resource) {
                extra.pid.push(*pid);
                extra.day.push(*day);
                extra.resource.push(at as u16);
                extra.quantity.push(value.max(0.0));
            }
        }
        chunks.push(extra);
        ResourceUse {
            resources,
            people: self.people,
            chunks,
        }
    }
}

/// Per person and category, costs over all their events: undiscounted and discounted.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryCosts {
    pub people: usize,
    /// `[person][category]` (categories in `Category::ALL` order).
    pub undiscounted: Vec<f64>,
    pub discounted: Vec<f64>,
}

/// Splits chunks into one run per thread, so that each thread keeps one accumulator.
fn runs<T>(chunks: &[T]) -> Vec<&[T]> {
    let threads = rayon::current_num_threads().max(1);
    let size = chunks.len().div_ceil(threads).max(1);
    chunks.chunks(size).collect()
}

/// Each person's first day of use.
pub fn first_days(ru: &ResourceUse) -> Vec<i32> {
    runs(&ru.chunks)
        .into_par_iter()
        .map(|run| {
            let mut first = vec![i32::MAX; ru.people];
            for c in run {
                for (p, d) in c.pid.iter().zip(&c.day) {
                    if let Some(f) = first.get_mut(*p as usize)
                        && *d < *f
                    {
                        *f = *d;
                    }
                }
            }
            first
        })
        .reduce(
            || vec![i32::MAX; ru.people],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x = (*x).min(y));
                a
            },
        )
}

/// Prices every event, discounting by whole years since each person's first event.
pub fn cost_by_category(
    ru: &ResourceUse,
    table: &UnitCostTable,
    perspective: Perspective,
    rate: f64,
) -> Result<CategoryCosts, EvaluationError> {
    let prices = price_resources(&ru.resources, table, perspective, || ru.counts())?;
    // (cost, category slot) per resource; resources outside the perspective cost nothing.
    let price: Vec<(f64, usize)> = prices
        .iter()
        .map(|p| p.map_or((0.0, 0), |p| (p.cost, p.category.index())))
        .collect();
    let factors = discount::factors(rate, 128);
    let slots = Category::ALL.len();
    let width = slots * 2;
    let n = ru.people;
    if !ru.chunks.is_empty() && ru.chunks.iter().all(|c| c.block.is_some()) {
        return Ok(cost_by_block(ru, &price, &factors, rate));
    }
    let first = first_days(ru);
    let sums = runs(&ru.chunks)
        .into_par_iter()
        .map(|run| {
            let mut acc = vec![0.0f64; n * width];
            for c in run {
                for i in 0..c.pid.len() {
                    let (Some(&p), Some(&d), Some(&r), Some(&q)) =
                        (c.pid.get(i), c.day.get(i), c.resource.get(i), c.quantity.get(i))
                    else {
                        continue;
                    };
                    let (cost, slot) = price.get(usize::from(r)).copied().unwrap_or((0.0, 0));
                    let f0 = first.get(p as usize).copied().unwrap_or(d);
                    let t = year_index(d - f0) as usize;
                    let factor = match factors.get(t) {
                        Some(f) => *f,
                        None => (1.0 + rate).powi(-(t as i32)),
                    };
                    let amount = q * cost;
                    let base = p as usize * width + slot;
                    if let Some(x) = acc.get_mut(base) {
                        *x += amount;
                    }
                    if let Some(x) = acc.get_mut(base + slots) {
                        *x += amount * factor;
                    }
                }
            }
            acc
        })
        .reduce(
            || vec![0.0f64; n * width],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let mut undiscounted = Vec::with_capacity(n * slots);
    let mut discounted = Vec::with_capacity(n * slots);
    for person in sums.chunks(width) {
        undiscounted.extend_from_slice(person.get(..slots).unwrap_or(&[]));
        discounted.extend_from_slice(person.get(slots..).unwrap_or(&[]));
    }
    Ok(CategoryCosts {
        people: n,
        undiscounted,
        discounted,
    })
}

/// The partitioned kernel: blocks of people in parallel, each with its own first days and sums
/// small enough to stay in cache, written straight into the output.
fn cost_by_block(ru: &ResourceUse, price: &[(f64, usize)], factors: &[f64], rate: f64) -> CategoryCosts {
    let slots = Category::ALL.len();
    let n = ru.people;
    let blocks = n.div_ceil(BLOCK);
    let mut by_block: Vec<Vec<&Chunk>> = vec![Vec::new(); blocks];
    for c in &ru.chunks {
        if let Some(list) = c.block.and_then(|b| by_block.get_mut(b as usize)) {
            list.push(c);
        }
    }
    let mut undiscounted = vec![0.0f64; n * slots];
    let mut discounted = vec![0.0f64; n * slots];
    undiscounted
        .par_chunks_mut(BLOCK * slots)
        .zip(discounted.par_chunks_mut(BLOCK * slots))
        .zip(by_block.par_iter())
        .enumerate()
        .for_each(|(b, ((plain, disc), chunks))| {
            let base = (b * BLOCK) as u32;
            let mut first = vec![i32::MAX; BLOCK];
            for c in chunks {
                for (p, d) in c.pid.iter().zip(&c.day) {
                    if let Some(f) = first.get_mut(p.wrapping_sub(base) as usize)
                        && *d < *f
                    {
                        *f = *d;
                    }
                }
            }
            for c in chunks {
                for i in 0..c.pid.len() {
                    let (Some(&p), Some(&d), Some(&r), Some(&q)) =
                        (c.pid.get(i), c.day.get(i), c.resource.get(i), c.quantity.get(i))
                    else {
                        continue;
                    };
                    let local = p.wrapping_sub(base) as usize;
                    let (cost, slot) = price.get(usize::from(r)).copied().unwrap_or((0.0, 0));
                    let f0 = first.get(local).copied().unwrap_or(d);
                    let t = year_index(d - f0) as usize;
                    let factor = match factors.get(t) {
                        Some(f) => *f,
                        None => (1.0 + rate).powi(-(t as i32)),
                    };
                    let amount = q * cost;
                    let at = local * slots + slot;
                    if let Some(x) = plain.get_mut(at) {
                        *x += amount;
                    }
                    if let Some(x) = disc.get_mut(at) {
                        *x += amount * factor;
                    }
                }
            }
        });
    CategoryCosts {
        people: n,
        undiscounted,
        discounted,
    }
}

/// Measures what an evaluation needs: the cohort's people (`in_cohort`, by pid), each on one
/// pathway or none, their resource use over the horizon from their index day, and QALYs.
pub fn measure_usage(records: &RecordEvents, in_cohort: &[bool], spec: &EvaluationSpec, cohort: &str) -> Usage {
    let n = records.people;
    let paths = spec.pathways.len();
    // Per unit: (pathway, 0 = starts it, 1 = rules it out).
    let mut unit_roles: Vec<Vec<(usize, usize)>> = vec![Vec::new(); units::all().len()];
    for (p, def) in spec.pathways.iter().enumerate() {
        for u in def.starts_with.units() {
            if let Some(v) = unit_roles.get_mut(u) {
                v.push((p, 0));
            }
        }
        for s in &def.not_after {
            for u in s.units() {
                if let Some(v) = unit_roles.get_mut(u) {
                    v.push((p, 1));
                }
            }
        }
    }
    // First day per person × pathway × role, and each person's first event of any kind.
    let width = paths * 2 + 1;
    let firsts = runs(&records.chunks)
        .into_par_iter()
        .map(|run| {
            let mut f = vec![i32::MAX; n * width];
            for c in run {
                for i in 0..c.pid.len() {
                    let (Some(&p), Some(&u), Some(&d)) = (c.pid.get(i), c.unit.get(i), c.start.get(i)) else {
                        continue;
                    };
                    let p = p as usize;
                    if !in_cohort.get(p).copied().unwrap_or(false) {
                        continue;
                    }
                    let base = p * width;
                    if let Some(x) = f.get_mut(base + width - 1) {
                        *x = (*x).min(d);
                    }
                    for (path, role) in usize::try_from(u)
                        .ok()
                        .and_then(|u| unit_roles.get(u))
                        .into_iter()
                        .flatten()
                    {
                        if let Some(x) = f.get_mut(base + path * 2 + role) {
                            *x = (*x).min(d);
                        }
                    }
                }
            }
            f
        })
        .reduce(
            || vec![i32::MAX; n * width],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x = (*x).min(y));
                a
            },
        );
    // Assign pathways and index days; rows are the cohort's people in pid order.
    let mut row_of = vec![u32::MAX; n];
    let mut pathway = Vec::new();
    let mut index_day = Vec::new();
    let mut overlaps: Vec<(u16, u16, u64)> = Vec::new();
    for p in 0..n {
        if !in_cohort.get(p).copied().unwrap_or(false) {
            continue;
        }
        let f = firsts.get(p * width..(p + 1) * width).unwrap_or(&[]);
        let on: Vec<usize> = (0..paths)
            .filter(|&k| {
                let start = f.get(k * 2).copied().unwrap_or(i32::MAX);
                let stop = f.get(k * 2 + 1).copied().unwrap_or(i32::MAX);
                start != i32::MAX && start < stop
            })
            .collect();
        for (i, a) in on.iter().enumerate() {
            for b in on.iter().skip(i + 1) {
                let key = (*a as u16, *b as u16);
                match overlaps.iter_mut().find(|o| (o.0, o.1) == key) {
                    Some(o) => o.2 += 1,
                    None => overlaps.push((key.0, key.1, 1)),
                }
            }
        }
        if let Some(slot) = row_of.get_mut(p) {
            *slot = pathway.len() as u32;
        }
        match on.first() {
            Some(&k) => {
                pathway.push(k as u16);
                index_day.push(f.get(k * 2).copied().unwrap_or(0));
            }
            None => {
                pathway.push(NO_PATHWAY);
                let first = f.get(width - 1).copied().unwrap_or(i32::MAX);
                index_day.push(if first == i32::MAX { records.last_day } else { first });
            }
        }
    }
    let rows = pathway.len();
    let ru = records.resource_use();
    let r = ru.resources.len();
    let horizon = discount::horizon_days(spec.horizon_years);
    let factors = discount::factors(spec.discount_rate, 64);
    let acc_width = r * 2;
    // Per pathway (and one more for people on none) × year of the horizon × resource.
    let years = (spec.horizon_years.ceil() as usize).clamp(1, 50);
    let yearly_len = (paths + 1) * years * r;
    let (sums, events, yearly) = runs(&ru.chunks)
        .into_par_iter()
        .map(|run| {
            let mut acc = vec![0.0f64; rows * acc_width];
            let mut events = vec![0u64; r];
            let mut yearly = vec![0.0f64; yearly_len];
            for c in run {
                for i in 0..c.pid.len() {
                    let (Some(&p), Some(&d), Some(&res), Some(&q)) =
                        (c.pid.get(i), c.day.get(i), c.resource.get(i), c.quantity.get(i))
                    else {
                        continue;
                    };
                    let row = row_of.get(p as usize).copied().unwrap_or(u32::MAX);
                    if row == u32::MAX {
                        continue;
                    }
                    let offset = d - index_day.get(row as usize).copied().unwrap_or(d);
                    if offset < 0 || offset >= horizon {
                        continue;
                    }
                    let year = year_index(offset) as usize;
                    let factor = factors.get(year).copied().unwrap_or(0.0);
                    let path = usize::from(pathway.get(row as usize).copied().unwrap_or(NO_PATHWAY)).min(paths);
                    if let Some(y) = yearly.get_mut((path * years + year.min(years - 1)) * r + usize::from(res)) {
                        *y += q;
                    }
                    let base = row as usize * acc_width + usize::from(res) * 2;
                    if let Some(x) = acc.get_mut(base) {
                        *x += q;
                    }
                    if let Some(x) = acc.get_mut(base + 1) {
                        *x += q * factor;
                    }
                    if let Some(e) = events.get_mut(usize::from(res)) {
                        *e += 1;
                    }
                }
            }
            (acc, events, yearly)
        })
        .reduce(
            || (vec![0.0f64; rows * acc_width], vec![0u64; r], vec![0.0f64; yearly_len]),
            |(mut a, mut ea, mut ya), (b, eb, yb)| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                ea.iter_mut().zip(eb).for_each(|(x, y)| *x += y);
                ya.iter_mut().zip(yb).for_each(|(x, y)| *x += y);
                (a, ea, ya)
            },
        );
    let mut undiscounted = Vec::with_capacity(rows * r);
    let mut discounted = Vec::with_capacity(rows * r);
    for pair in sums.chunks(2) {
        undiscounted.push(pair.first().copied().unwrap_or(0.0));
        discounted.push(pair.get(1).copied().unwrap_or(0.0));
    }
    // QALYs from utilities, by person.
    let mut utilities: Vec<Vec<(f64, f64)>> = vec![Vec::new(); rows];
    for (pid, day, which, value) in &records.outcomes {
        if *which != 0 {
            continue;
        }
        let row = row_of.get(*pid as usize).copied().unwrap_or(u32::MAX);
        if let (Some(points), Some(index)) = (utilities.get_mut(row as usize), index_day.get(row as usize)) {
            points.push((f64::from(day - index), *value));
        }
    }
    let horizon_f = spec.horizon_years * discount::YEAR_DAYS;
    let qalys = utilities
        .into_par_iter()
        .map(|mut points| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            discount::qalys(&points, horizon_f, spec.effect_discount_rate)
        })
        .collect();
    Usage {
        resources: ru.resources,
        pathway,
        discounted,
        undiscounted,
        qalys,
        events,
        overlaps,
        cohort: cohort.to_string(),
        years,
        yearly,
    }
}

/// Each pid's pseudonym, from a dataset version's people table.
pub fn read_pseudonyms(version: &Path, people: usize) -> Result<Vec<String>, Error> {
    let mut out = vec![String::new(); people];
    let files = parquet_files(&version.join("people"))?;
    for (path, meta, rg) in row_groups(&files)? {
        for batch in read_group(&path, &meta, rg, &["pid", "pseudonym"])? {
            let bad = || Error::Invalid(format!("{}: unexpected column types", path.display()));
            let pid = column(&batch, "pid")?.as_primitive_opt::<Int32Type>().ok_or_else(bad)?;
            let name = cast(column(&batch, "pseudonym")?, &DataType::Utf8).map_err(Error::arrow)?;
            let name = name.as_string_opt::<i32>().ok_or_else(bad)?;
            for i in 0..batch.num_rows() {
                if let Some(slot) = usize::try_from(pid.value(i)).ok().and_then(|p| out.get_mut(p)) {
                    *slot = name.value(i).to_string();
                }
            }
        }
    }
    Ok(out)
}
