//! Import: a folder in the layout of `docs/records-layout.md` (CSV, Parquet, FHIR R4 bundles)
//! → a validated, pseudonymised Parquet version of the dataset. All or nothing: every rejected
//! row is reported, and a version is published only when none was rejected.
//!
//! CSV files are read in blocks; each block is split at line ends and its pieces are parsed,
//! validated, pseudonymised and written to their own Parquet file in parallel.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use cocare_records::codes::{Ethnicity, Gender, Sex};
use cocare_records::layout::{Context, EventIn, EventKind, FileKind, Header, PersonIn, Rejection, Row, day_number};
use cocare_records::pseudonym::PseudonymKey;
use cocare_records::units;
use datafusion::arrow::array::{
    Array, ArrayBuilder, ArrayRef, Float64Builder, Int16Builder, Int32Builder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use std::sync::Mutex;

use crate::Error;
use crate::dataset::{Dataset, Manifest, events_schema, outcomes_schema, people_schema};

/// How much of the input has been read.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub file: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub rows: u64,
    pub seconds: f64,
}

pub struct ImportOptions {
    /// Dates after this are rejected as in the future.
    pub today: NaiveDate,
    /// Rejections reported in detail (all are counted).
    pub report_limit: usize,
}

/// What a finished import wrote.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub manifest: Manifest,
    pub rows: u64,
    pub seconds: f64,
}

const BLOCK: usize = 32 << 20;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Parquet,
}

#[derive(Debug, Clone)]
struct Input {
    kind: FileKind,
    path: PathBuf,
    name: String,
    format: Format,
}

/// Collects rejections from parallel workers.
struct Rejections {
    kept: Mutex<Vec<Rejection>>,
    total: AtomicU64,
    limit: usize,
}

impl Rejections {
    fn add(&self, r: Rejection) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut kept) = self.kept.lock()
            && kept.len() < self.limit
        {
            kept.push(r);
        }
    }

    fn count(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

struct PersonInfo {
    pid: i32,
    birth_year: i32,
}

struct SpellInfo {
    pid: i32,
    admitted: i32,
    discharged: Option<i32>,
}

/// What event workers look up, read-only while they run.
struct Lookup {
    people: foldhash::HashMap<String, PersonInfo>,
    spells: foldhash::HashMap<String, SpellInfo>,
}

/// Imports `dir` into `dataset`. On rejection nothing is published and the staged files are
/// removed.
pub fn import_dir(
    dir: &Path,
    dataset: &Dataset,
    key: &PseudonymKey,
    options: &ImportOptions,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<ImportSummary, Error> {
    let started = Instant::now();
    let (inputs, bundles) = discover(dir)?;
    let staged = dataset.stage()?;
    let result = run(&inputs, &bundles, &staged, key, options, progress, started);
    match result {
        Ok(mut manifest) => {
            manifest.version = version_name();
            manifest.imported_at = cocare_now();
            let manifest_path = staged.join("manifest.json");
            let text = serde_json::to_string_pretty(&manifest).map_err(|e| Error::Invalid(e.to_string()))?;
            if let Err(e) = std::fs::write(&manifest_path, text) {
                let _ = std::fs::remove_dir_all(&staged);
                return Err(Error::io(&manifest_path, e));
            }
            dataset.publish(&staged, &manifest.version)?;
            let rows = manifest.files.iter().map(|(_, n)| n).sum();
            Ok(ImportSummary {
                manifest,
                rows,
                seconds: started.elapsed().as_secs_f64(),
            })
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staged);
            Err(e)
        }
    }
}

fn version_name() -> String {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S"), hex::encode(bytes))
}

fn cocare_now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Lists the folder: layout files by name, FHIR bundles as `*.json`.
fn discover(dir: &Path) -> Result<(Vec<Input>, Vec<PathBuf>), Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut inputs = Vec::new();
    let mut bundles = Vec::new();
    let mut unknown = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.to_ascii_lowercase().starts_with("readme") || path.is_dir() {
            continue;
        }
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name.as_str(), ""));
        let format = match ext.to_ascii_lowercase().as_str() {
            "csv" => Format::Csv,
            "parquet" => Format::Parquet,
            "json" => {
                bundles.push(path);
                continue;
            }
            _ => {
                unknown.push(name.clone());
                continue;
            }
        };
        match FileKind::from_stem(stem) {
            Some(kind) => inputs.push(Input {
                kind,
                path,
                name,
                format,
            }),
            None => unknown.push(name.clone()),
        }
    }
    if let Some(name) = unknown.first() {
        let expected: Vec<&str> = FileKind::ALL.iter().map(|k| k.stem()).collect();
        return Err(Error::Rejected {
            rejections: vec![Rejection {
                file: name.clone(),
                line: 0,
                field: None,
                reason: format!(
                    "not a file of the layout; expected {} as .csv or .parquet, or FHIR bundles as .json",
                    expected.join(", ")
                ),
            }],
            total: unknown.len() as u64,
        });
    }
    if inputs.is_empty() && bundles.is_empty() {
        return Err(Error::Invalid(format!(
            "{} holds no records files (see docs/records-layout.md)",
            dir.display()
        )));
    }
    inputs.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)));
    bundles.sort();
    Ok((inputs, bundles))
}

#[allow(clippy::too_many_arguments)]
fn run(
    inputs: &[Input],
    bundles: &[PathBuf],
    staged: &Path,
    key: &PseudonymKey,
    options: &ImportOptions,
    progress: &(dyn Fn(&Progress) + Sync),
    started: Instant,
) -> Result<Manifest, Error> {
    let ctx = Context { today: options.today };
    let rejections = Rejections {
        kept: Mutex::new(Vec::new()),
        total: AtomicU64::new(0),
        limit: options.report_limit,
    };
    let bytes_total: u64 = inputs
        .iter()
        .filter_map(|i| std::fs::metadata(&i.path).ok())
        .map(|m| m.len())
        .sum::<u64>()
        + bundles
            .iter()
            .filter_map(|b| std::fs::metadata(b).ok())
            .map(|m| m.len())
            .sum::<u64>();
    let meter = Meter {
        done: AtomicU64::new(0),
        rows: AtomicU64::new(0),
        total: bytes_total,
        progress,
        started,
    };
    let fhir = crate::fhir::read_bundles(bundles, &ctx, &rejections_sink(&rejections))?;
    let mut files: Vec<(String, u64)> = Vec::new();

    // People first: every other file refers to them.
    let mut people: Vec<(String, u64, PersonIn)> = Vec::new();
    for input in inputs.iter().filter(|i| i.kind == FileKind::People) {
        let rows = read_rows(input, &ctx, &rejections, &meter, |line, l| {
            l.person().map(|p| (line, p))
        })?;
        files.push((input.name.clone(), rows.len() as u64));
        people.extend(rows.into_iter().map(|(line, p)| (input.name.clone(), line, p)));
    }
    people.extend(fhir.people);
    if people.is_empty() && rejections.count() == 0 {
        return Err(Error::Invalid(
            "there are no people: give people.csv or people.parquet, or FHIR Patient resources".into(),
        ));
    }
    let mut lookup = Lookup {
        people: foldhash::HashMap::with_capacity_and_hasher(people.len(), Default::default()),
        spells: foldhash::HashMap::default(),
    };
    let mut first_line: HashMap<String, (String, u64)> = HashMap::new();
    let mut kept_people = Vec::with_capacity(people.len());
    for (file, line, person) in people {
        if let Some((f0, l0)) = first_line.get(&person.source_id) {
            rejections.add(Rejection {
                file,
                line,
                field: Some("source_id".into()),
                reason: format!("this person is already on {f0} line {l0}"),
            });
            continue;
        }
        first_line.insert(person.source_id.clone(), (file, line));
        let pid = kept_people.len() as i32;
        lookup.people.insert(
            person.source_id.clone(),
            PersonInfo {
                pid,
                birth_year: person.year_of_birth,
            },
        );
        kept_people.push(person);
    }
    drop(first_line);
    write_people(&kept_people, key, &staged.join("people").join("people.parquet"))?;

    // Spells next: ward stays are checked against them.
    let mut spells: Vec<(String, u64, EventIn)> = Vec::new();
    for input in inputs.iter().filter(|i| i.kind == FileKind::Spells) {
        let rows = read_rows(input, &ctx, &rejections, &meter, |line, l| l.event().map(|e| (line, e)))?;
        files.push((input.name.clone(), rows.len() as u64));
        spells.extend(rows.into_iter().map(|(line, e)| (input.name.clone(), line, e)));
    }
    spells.extend(
        fhir.events
            .iter()
            .filter(|(_, _, e)| e.kind == EventKind::Admission)
            .cloned(),
    );
    let mut spell_rows: Vec<(i32, EventIn)> = Vec::with_capacity(spells.len());
    // Per person: (admitted, discharged, spell id, line, file), to find overlapping spells.
    type SpellAt = (i32, Option<i32>, String, u64, String);
    let mut by_person: HashMap<i32, Vec<SpellAt>> = HashMap::new();
    for (file, line, event) in spells {
        let Some(pid) = checked_event(&lookup, &event, &file, line, &rejections) else {
            continue;
        };
        let spell_id = event.detail.clone().unwrap_or_default();
        if lookup.spells.contains_key(&spell_id) {
            rejections.add(Rejection {
                file,
                line,
                field: Some("spell_id".into()),
                reason: format!("spell {spell_id:?} appears twice"),
            });
            continue;
        }
        let (admitted, discharged) = (day_number(event.start), event.end.map(day_number));
        lookup.spells.insert(
            spell_id.clone(),
            SpellInfo {
                pid,
                admitted,
                discharged,
            },
        );
        by_person
            .entry(pid)
            .or_default()
            .push((admitted, discharged, spell_id, line, file));
        spell_rows.push((pid, event));
    }
    for spells in by_person.values_mut() {
        spells.sort();
        for pair in spells.windows(2) {
            if let [(a0, d0, id0, _, _), (a1, _, id1, line, file)] = pair
                && d0.is_none_or(|d| d > *a1)
            {
                let _ = a0;
                rejections.add(Rejection {
                    file: file.clone(),
                    line: *line,
                    field: Some("admitted".into()),
                    reason: format!("spell {id1:?} starts before spell {id0:?} of the same person ended"),
                });
            }
        }
    }
    drop(by_person);
    let lookup = Arc::new(lookup);
    let mut counts = Counts::default();
    if !spell_rows.is_empty() {
        let mut cols = EventCols::default();
        for (pid, event) in &spell_rows {
            cols.push(*pid, event);
        }
        counts.events += cols.len() as u64;
        write_batch(
            &staged.join("events").join("spells.parquet"),
            events_schema(),
            cols.finish()?,
        )?;
    }

    // Every other file, in parallel pieces.
    for input in inputs
        .iter()
        .filter(|i| !matches!(i.kind, FileKind::People | FileKind::Spells))
    {
        let rows = write_events(input, &ctx, &lookup, &rejections, &meter, staged, &mut counts)?;

        files.push((input.name.clone(), rows));
    }
    let fhir_events: Vec<&(String, u64, EventIn)> = fhir
        .events
        .iter()
        .filter(|(_, _, e)| e.kind != EventKind::Admission)
        .collect();
    if !fhir_events.is_empty() {
        let mut sink = Sink::default();
        for (file, line, event) in fhir_events {
            if let Some(pid) = checked_event(&lookup, event, file, *line, &rejections) {
                sink.push(pid, event);
            }
        }
        counts.events += sink.events.len() as u64;
        counts.outcomes += sink.outcomes.len() as u64;
        sink.write(staged, "fhir.parquet")?;
    }
    for (file, n) in fhir.files {
        files.push((file, n));
    }

    if rejections.count() > 0 {
        let total = rejections.count();
        let mut kept = rejections.kept.into_inner().unwrap_or_default();
        kept.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
        return Err(Error::Rejected {
            rejections: kept,
            total,
        });
    }
    let last_day = counts.last_day.load(Ordering::Relaxed);
    Ok(Manifest {
        version: String::new(),
        imported_at: String::new(),
        people: kept_people.len() as u64,
        events: counts.events,
        outcomes: counts.outcomes,
        files,
        last_day: (last_day > i32::MIN as i64).then_some(last_day as i32),
    })
}

fn rejections_sink(r: &Rejections) -> impl Fn(Rejection) + '_ {
    move |x| r.add(x)
}

struct Meter<'a> {
    done: AtomicU64,
    rows: AtomicU64,
    total: u64,
    progress: &'a (dyn Fn(&Progress) + Sync),
    started: Instant,
}

impl Meter<'_> {
    fn advance(&self, file: &str, bytes: u64, rows: u64) {
        let done = self.done.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let rows = self.rows.fetch_add(rows, Ordering::Relaxed) + rows;
        (self.progress)(&Progress {
            file: file.to_string(),
            bytes_done: done,
            bytes_total: self.total,
            rows,
            seconds: self.started.elapsed().as_secs_f64(),
        });
    }
}

struct Counts {
    events: u64,
    outcomes: u64,
    last_day: std::sync::atomic::AtomicI64,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            events: 0,
            outcomes: 0,
            last_day: std::sync::atomic::AtomicI64::new(i64::from(i32::MIN)),
        }
    }
}

fn person_of(lookup: &Lookup, event: &EventIn, file: &str, line: u64, rejections: &Rejections) -> Option<i32> {
    match lookup.people.get(&event.source_id) {
        Some(p) => Some(p.pid),
        None => {
            rejections.add(Rejection {
                file: file.to_string(),
                line,
                field: Some("source_id".into()),
                reason: format!(
                    "no person with source_id {:?} in the people file",
                    clip(&event.source_id)
                ),
            });
            None
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Checks an event against its person (and spell, for ward stays); the pid if it passes.
fn checked_event(lookup: &Lookup, event: &EventIn, file: &str, line: u64, rejections: &Rejections) -> Option<i32> {
    let Some(person) = lookup.people.get(&event.source_id) else {
        person_of(lookup, event, file, line, rejections);
        return None;
    };
    let field = match event.kind.file() {
        FileKind::Spells => "admitted",
        FileKind::WardStays | FileKind::Detentions => "start",
        _ => "date",
    };
    if event.start.year() < person.birth_year {
        rejections.add(Rejection {
            file: file.to_string(),
            line,
            field: Some(field.into()),
            reason: format!(
                "{} is before the person's year of birth, {}",
                event.start, person.birth_year
            ),
        });
        return None;
    }
    if event.kind == EventKind::WardStay {
        let spell_id = event.detail.as_deref().unwrap_or_default();
        let reject = |field: &str, reason: String| {
            rejections.add(Rejection {
                file: file.to_string(),
                line,
                field: Some(field.into()),
                reason,
            });
        };
        match lookup.spells.get(spell_id) {
            None => {
                reject("spell_id", format!("no spell {:?} in spells", clip(spell_id)));
                return None;
            }
            Some(spell) if spell.pid != person.pid => {
                reject(
                    "spell_id",
                    format!("spell {:?} belongs to someone else", clip(spell_id)),
                );
                return None;
            }
            Some(spell) => {
                let (start, end) = (day_number(event.start), event.end.map(day_number));
                if start < spell.admitted || spell.discharged.is_some_and(|d| start > d) {
                    reject("start", format!("{} is outside its spell", event.start));
                    return None;
                }
                if let (Some(end), Some(d)) = (end, spell.discharged)
                    && end > d
                {
                    reject(
                        "end",
                        format!(
                            "{} is after its spell's discharge",
                            cocare_records::layout::from_day_number(end)
                        ),
                    );
                    return None;
                }
            }
        }
    }
    Some(person.pid)
}

/// Event columns being built.
#[derive(Default)]
struct EventCols {
    pid: Int32Builder,
    kind: StringBuilder,
    code: StringBuilder,
    detail: StringBuilder,
    start: Int32Builder,
    end: Int32Builder,
    quantity: Float64Builder,
    unit: Int16Builder,
    max_day: Option<i32>,
}

impl EventCols {
    fn push(&mut self, pid: i32, e: &EventIn) {
        let start = day_number(e.start);
        self.max_day = Some(self.max_day.map_or(start, |m| m.max(start)));
        self.pid.append_value(pid);
        self.kind.append_value(e.kind.code());
        self.code.append_value(&e.code);
        // Spell ids are the source system's own ids: they link ward stays to spells during the
        // checks and are not kept.
        let detail = match e.kind {
            EventKind::Admission | EventKind::WardStay => None,
            _ => e.detail.as_deref(),
        };
        self.detail.append_option(detail);
        self.start.append_value(start);
        self.end.append_option(e.end.map(day_number));
        self.quantity.append_option(e.quantity);
        self.unit
            .append_value(units::of(e.kind, &e.code, e.detail.as_deref(), e.attended).unwrap_or(-1));
    }

    fn len(&self) -> usize {
        self.pid.len()
    }

    fn finish(&mut self) -> Result<RecordBatch, Error> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.pid.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.code.finish()),
            Arc::new(self.detail.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.unit.finish()),
        ];
        RecordBatch::try_new(events_schema(), columns).map_err(Error::arrow)
    }
}

/// Events and outcomes being built from one piece of input.
#[derive(Default)]
struct Sink {
    events: EventCols,
    outcomes: OutcomeCols,
}

impl Sink {
    fn push(&mut self, pid: i32, e: &EventIn) {
        if e.kind == EventKind::Outcome {
            self.outcomes.push(pid, e);
        } else {
            self.events.push(pid, e);
        }
    }

    /// Writes both tables' Parquet files (named `name`) into the staged version.
    fn write(mut self, staged: &Path, name: &str) -> Result<(), Error> {
        write_batch(
            &staged.join("events").join(name),
            events_schema(),
            self.events.finish()?,
        )?;
        write_batch(
            &staged.join("outcomes").join(name),
            outcomes_schema(),
            self.outcomes.finish()?,
        )
    }
}

#[derive(Default)]
struct OutcomeCols {
    pid: Int32Builder,
    day: Int32Builder,
    measure: StringBuilder,
    value: Float64Builder,
}

impl OutcomeCols {
    fn push(&mut self, pid: i32, e: &EventIn) {
        self.pid.append_value(pid);
        self.day.append_value(day_number(e.start));
        self.measure.append_value(&e.code);
        self.value.append_value(e.quantity.unwrap_or_default());
    }

    fn len(&self) -> usize {
        self.pid.len()
    }

    fn finish(&mut self) -> Result<RecordBatch, Error> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.pid.finish()),
            Arc::new(self.day.finish()),
            Arc::new(self.measure.finish()),
            Arc::new(self.value.finish()),
        ];
        RecordBatch::try_new(outcomes_schema(), columns).map_err(Error::arrow)
    }
}

fn write_batch(path: &Path, schema: SchemaRef, batch: RecordBatch) -> Result<(), Error> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(Error::parquet)?;
    writer.write(&batch).map_err(Error::parquet)?;
    writer.close().map_err(Error::parquet)?;
    Ok(())
}

fn write_people(people: &[PersonIn], key: &PseudonymKey, path: &Path) -> Result<(), Error> {
    let pseudonyms: Vec<String> = people.par_iter().map(|p| key.pseudonym(&p.source_id)).collect();
    let mut pid = Int32Builder::with_capacity(people.len());
    let mut pseudonym = StringBuilder::new();
    let mut birth_year = Int32Builder::with_capacity(people.len());
    let mut sex = StringBuilder::new();
    let mut gender = StringBuilder::new();
    let mut ethnicity = StringBuilder::new();
    let mut group = StringBuilder::new();
    let mut deprivation = Int32Builder::with_capacity(people.len());
    for (i, (p, pseudo)) in people.iter().zip(&pseudonyms).enumerate() {
        pid.append_value(i as i32);
        pseudonym.append_value(pseudo);
        birth_year.append_value(p.year_of_birth);
        sex.append_value(p.sex.code());
        gender.append_option(p.gender.map(Gender::code));
        ethnicity.append_value(p.ethnicity.code());
        group.append_option(p.ethnicity.group().map(|g| g.code()));
        deprivation.append_option(p.deprivation_decile.map(i32::from));
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(pid.finish()),
        Arc::new(pseudonym.finish()),
        Arc::new(birth_year.finish()),
        Arc::new(sex.finish()),
        Arc::new(gender.finish()),
        Arc::new(ethnicity.finish()),
        Arc::new(group.finish()),
        Arc::new(deprivation.finish()),
    ];
    let _ = (Sex::Female, Ethnicity::A);
    write_batch(
        path,
        people_schema(),
        RecordBatch::try_new(people_schema(), columns).map_err(Error::arrow)?,
    )
}

/// A CSV record seen through the layout's `Row`.
struct Rec<'a>(&'a csv::StringRecord);

impl Row for Rec<'_> {
    fn field(&self, index: usize) -> Option<&str> {
        self.0.get(index)
    }
}

/// A Parquet row (all columns cast to text) seen through `Row`.
struct ParquetRow<'a> {
    columns: &'a [StringArray],
    row: usize,
}

impl Row for ParquetRow<'_> {
    fn field(&self, index: usize) -> Option<&str> {
        let column = self.columns.get(index)?;
        (!column.is_null(self.row)).then(|| column.value(self.row))
    }
}

type LineFn<'a, T> = dyn Fn(u64, &cocare_records::layout::Line<'_, dyn Row + '_>) -> Result<T, Rejection> + Sync + 'a;

/// Reads every valid row of a (small) file into memory, in line order.
fn read_rows<T: Send>(
    input: &Input,
    ctx: &Context,
    rejections: &Rejections,
    meter: &Meter<'_>,
    parse: impl Fn(u64, &cocare_records::layout::Line<'_, dyn Row + '_>) -> Result<T, Rejection> + Sync,
) -> Result<Vec<T>, Error> {
    let parse: &LineFn<'_, T> = &parse;
    let mut out = Vec::new();
    for_each_piece(input, ctx, rejections, meter, &mut |pieces| {
        let parsed: Vec<Vec<T>> = pieces
            .into_par_iter()
            .map(|piece| piece.rows(rejections, parse))
            .collect();
        out.extend(parsed.into_iter().flatten());
        Ok(())
    })?;
    Ok(out)
}

/// Reads, checks and writes one event file; returns rows read.
fn write_events(
    input: &Input,
    ctx: &Context,
    lookup: &Lookup,
    rejections: &Rejections,
    meter: &Meter<'_>,
    staged: &Path,
    counts: &mut Counts,
) -> Result<u64, Error> {
    let mut rows = 0u64;
    let mut block = 0usize;
    let events = AtomicU64::new(0);
    let outcomes = AtomicU64::new(0);
    let last_day = &counts.last_day;
    for_each_piece(input, ctx, rejections, meter, &mut |pieces| {
        let written: Vec<Result<u64, Error>> = pieces
            .into_par_iter()
            .enumerate()
            .map(|(i, piece)| {
                let parse =
                    |line: u64, l: &cocare_records::layout::Line<'_, dyn Row + '_>| l.event().map(|e| (line, e));
                let parsed = piece.rows(rejections, &parse);
                let n = parsed.len() as u64;
                let mut sink = Sink::default();
                for (line, event) in &parsed {
                    if let Some(pid) = checked_event(lookup, event, &input.name, *line, rejections) {
                        sink.push(pid, event);
                    }
                }
                if let Some(max) = sink.events.max_day {
                    last_day.fetch_max(i64::from(max), Ordering::Relaxed);
                }
                events.fetch_add(sink.events.len() as u64, Ordering::Relaxed);
                outcomes.fetch_add(sink.outcomes.len() as u64, Ordering::Relaxed);
                if rejections.count() == 0 {
                    let source = input.name.replace('.', "_");
                    sink.write(staged, &format!("{source}-{block:05}-{i:03}.parquet"))?;
                }
                Ok(n)
            })
            .collect();
        for w in written {
            rows += w?;
        }
        block += 1;
        Ok(())
    })?;
    counts.events += events.load(Ordering::Relaxed);
    counts.outcomes += outcomes.load(Ordering::Relaxed);
    Ok(rows)
}

/// A piece of a file that one worker reads.
enum Piece<'a> {
    Csv {
        header: &'a Header,
        bytes: &'a [u8],
        first_line: u64,
        ctx: &'a Context,
        fields: usize,
    },
    Parquet {
        header: &'a Header,
        columns: Vec<StringArray>,
        first_row: u64,
        ctx: &'a Context,
    },
}

impl Piece<'_> {
    fn rows<T>(&self, rejections: &Rejections, parse: &LineFn<'_, T>) -> Vec<T> {
        let mut out = Vec::new();
        match self {
            Piece::Csv {
                header,
                bytes,
                first_line,
                ctx,
                fields,
            } => {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(*bytes);
                let mut record = csv::StringRecord::new();
                let mut last_position = u64::MAX;
                loop {
                    match reader.read_record(&mut record) {
                        Ok(false) => break,
                        Ok(true) => {
                            let line = first_line + record.position().map_or(1, |p| p.line()) - 1;
                            if record.len() != *fields {
                                if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
                                    continue;
                                }
                                rejections.add(Rejection {
                                    file: header.file().to_string(),
                                    line,
                                    field: None,
                                    reason: format!("has {} fields; the header has {}", record.len(), fields),
                                });
                                continue;
                            }
                            let rec = Rec(&record);
                            let row: &(dyn Row + '_) = &rec;
                            match parse(line, &header.line(line, row, ctx)) {
                                Ok(v) => out.push(v),
                                Err(r) => rejections.add(r),
                            }
                        }
                        Err(e) => {
                            let position = e.position().map_or(0, |p| p.byte());
                            let line = first_line + e.position().map_or(1, |p| p.line()) - 1;
                            rejections.add(Rejection {
                                file: header.file().to_string(),
                                line,
                                field: None,
                                reason: match e.kind() {
                                    csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8 text".into(),
                                    _ => format!("cannot be read as CSV: {e}"),
                                },
                            });
                            if position == last_position {
                                break;
                            }
                            last_position = position;
                        }
                    }
                }
            }
            Piece::Parquet {
                header,
                columns,
                first_row,
                ctx,
            } => {
                let n = columns.first().map_or(0, |c| c.len());
                for row in 0..n {
                    let line = first_row + row as u64;
                    let pr = ParquetRow { columns, row };
                    let r: &(dyn Row + '_) = &pr;
                    match parse(line, &header.line(line, r, ctx)) {
                        Ok(v) => out.push(v),
                        Err(r) => rejections.add(r),
                    }
                }
            }
        }
        out
    }
}

/// Hands a file to `f` a block at a time, each block split into pieces for parallel workers.
fn for_each_piece(
    input: &Input,
    ctx: &Context,
    rejections: &Rejections,
    meter: &Meter<'_>,
    f: &mut dyn FnMut(Vec<Piece<'_>>) -> Result<(), Error>,
) -> Result<(), Error> {
    match input.format {
        Format::Csv => csv_pieces(input, ctx, rejections, meter, f),
        Format::Parquet => parquet_pieces(input, ctx, rejections, meter, f),
    }
}

fn csv_pieces(
    input: &Input,
    ctx: &Context,
    rejections: &Rejections,
    meter: &Meter<'_>,
    f: &mut dyn FnMut(Vec<Piece<'_>>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut file = File::open(&input.path).map_err(|e| Error::io(&input.path, e))?;
    let mut buffer: Vec<u8> = Vec::with_capacity(BLOCK + (1 << 16));
    let mut carry: Vec<u8> = Vec::new();
    let mut header: Option<(Header, usize)> = None;
    let mut next_line = 2u64;
    let threads = rayon::current_num_threads().max(1) * 2;
    loop {
        buffer.clear();
        buffer.append(&mut carry);
        let want = BLOCK.saturating_sub(buffer.len());
        let read = (&mut file)
            .take(want as u64)
            .read_to_end(&mut buffer)
            .map_err(|e| Error::io(&input.path, e))?;
        let at_end = read < want;
        if buffer.is_empty() {
            break;
        }
        let cut = if at_end {
            buffer.len()
        } else {
            match memchr::memrchr(b'\n', &buffer) {
                Some(i) => i + 1,
                None => {
                    return Err(reject_file(input, "has a line longer than 32 MiB".into()));
                }
            }
        };
        carry.extend_from_slice(buffer.get(cut..).unwrap_or_default());
        let mut block: &[u8] = buffer.get(..cut).unwrap_or_default();
        let block_len = block.len() as u64;
        if header.is_none() {
            let end = memchr::memchr(b'\n', block).map_or(block.len(), |i| i + 1);
            let (line, rest) = block.split_at(end);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(line);
            let mut names = csv::StringRecord::new();
            let ok = reader.read_record(&mut names).unwrap_or(false);
            if !ok {
                return Err(reject_file(
                    input,
                    "is empty: the first line must name the columns".into(),
                ));
            }
            let list: Vec<&str> = names.iter().collect();
            let h = Header::new(input.kind, &input.name, &list).map_err(|r| Error::Rejected {
                rejections: vec![r],
                total: 1,
            })?;
            header = Some((h, list.len()));
            block = rest;
        }
        let Some((h, fields)) = header.as_ref() else { break };
        // Split the block at line ends into pieces of about equal size.
        let mut pieces = Vec::with_capacity(threads);
        let target = block.len() / threads + 1;
        let mut rest = block;
        let mut rows_here = 0u64;
        while !rest.is_empty() {
            let mut end = target.min(rest.len());
            if end < rest.len() {
                end = rest
                    .get(end..)
                    .and_then(|r| r.iter().position(|b| *b == b'\n'))
                    .map_or(rest.len(), |i| end + i + 1);
            }
            let (piece, tail) = rest.split_at(end);
            let lines = memchr::memchr_iter(b'\n', piece).count() as u64;
            let quotes = memchr::memchr_iter(b'"', piece).count();
            if quotes % 2 == 1 {
                rejections.add(Rejection {
                    file: input.name.clone(),
                    line: next_line,
                    field: None,
                    reason: format!(
                        "a quoted field between lines {next_line} and {} is not closed, or runs over a line break (the layout has no multi-line fields)",
                        next_line + lines
                    ),
                });
            } else {
                pieces.push(Piece::Csv {
                    header: h,
                    bytes: piece,
                    first_line: next_line,
                    ctx,
                    fields: *fields,
                });
            }
            next_line += lines;
            rows_here += lines;
            rest = tail;
        }
        f(pieces)?;
        meter.advance(&input.name, block_len, rows_here);
        if at_end {
            break;
        }
    }
    if header.is_none() {
        return Err(reject_file(
            input,
            "is empty: the first line must name the columns".into(),
        ));
    }
    Ok(())
}

fn reject_file(input: &Input, reason: String) -> Error {
    Error::Rejected {
        rejections: vec![Rejection {
            file: input.name.clone(),
            line: 0,
            field: None,
            reason,
        }],
        total: 1,
    }
}

fn parquet_pieces(
    input: &Input,
    ctx: &Context,
    _rejections: &Rejections,
    meter: &Meter<'_>,
    f: &mut dyn FnMut(Vec<Piece<'_>>) -> Result<(), Error>,
) -> Result<(), Error> {
    let unreadable = |e: &dyn std::fmt::Display| reject_file(input, format!("is not a readable Parquet file ({e})"));
    let file = File::open(&input.path).map_err(|e| Error::io(&input.path, e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(&e))?;
    let names: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let list: Vec<&str> = names.iter().map(String::as_str).collect();
    let header = Header::new(input.kind, &input.name, &list).map_err(|mut r| {
        r.line = 0;
        Error::Rejected {
            rejections: vec![r],
            total: 1,
        }
    })?;
    let reader = builder.with_batch_size(1 << 16).build().map_err(|e| unreadable(&e))?;
    let mut first_row = 1u64;
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(&e))?;
        let mut columns = Vec::with_capacity(batch.num_columns());
        for column in batch.columns() {
            let text = cast(column, &DataType::Utf8).map_err(|e| unreadable(&e))?;
            let Some(strings) = text.as_any().downcast_ref::<StringArray>() else {
                return Err(unreadable(&"a column could not be read as text"));
            };
            columns.push(strings.clone());
        }
        batches.push((first_row, columns));
        first_row += batch.num_rows() as u64;
    }
    let pieces: Vec<Piece<'_>> = batches
        .into_iter()
        .map(|(first_row, columns)| Piece::Parquet {
            header: &header,
            columns,
            first_row,
            ctx,
        })
        .collect();
    let rows = first_row - 1;
    f(pieces)?;
    meter.advance(&input.name, size, rows);
    Ok(())
}
