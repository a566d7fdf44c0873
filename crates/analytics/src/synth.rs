//! Writes the synthetic extract of `cocare_records::synth` to a folder in the import layout.

use std::io::Write;
use std::path::Path;

use cocare_records::layout::FileKind;
use cocare_records::synth::Synth;
use rayon::prelude::*;

use crate::Error;

/// Writes `people` synthetic people to `dir` (created if missing), generating in parallel
/// chunks and writing in order; `progress` receives people written so far.
pub fn write_extract(dir: &Path, synth: &Synth, people: u64, progress: &(dyn Fn(u64) + Sync)) -> Result<u64, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut files = Vec::new();
    for kind in FileKind::ALL {
        let path = dir.join(format!("{}.csv", kind.stem()));
        let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
        writeln!(writer, "{}", Synth::header(kind)).map_err(|e| Error::io(&path, e))?;
        files.push((path, writer));
    }
    const CHUNK: u64 = 2_000;
    let mut rows = 0u64;
    let mut start = 0u64;
    while start < people {
        // A batch of chunks generated in parallel, then written in order.
        let end = (start + CHUNK * 32).min(people);
        let chunks: Vec<[String; 9]> = (start..end)
            .step_by(CHUNK as usize)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|from| {
                let mut out: [String; 9] = Default::default();
                for i in from..(from + CHUNK).min(end) {
                    synth.write_person(i, &mut out);
                }
                out
            })
            .collect();
        for chunk in &chunks {
            for ((path, writer), text) in files.iter_mut().zip(chunk.iter()) {
                rows += text.bytes().filter(|b| *b == b'\n').count() as u64;
                writer.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))?;
            }
        }
        progress(end);
        start = end;
    }
    for (path, mut writer) in files {
        writer.flush().map_err(|e| Error::io(&path, e))?;
    }
    Ok(rows)
}

/// The resources of the synthetic resource-use file, with a weight (how common) and whether a
/// quantity varies (hours, days, weeks) or is one per event.
const SYNTH_RESOURCES: [(&str, u32, bool); 23] = [
    ("inpatient_acute_bed_day", 60, true),
    ("inpatient_picu_bed_day", 8, true),
    ("inpatient_forensic_bed_day", 4, true),
    ("inpatient_rehab_bed_day", 6, true),
    ("crisis_home_treatment_contact", 50, false),
    ("cmht_contact", 120, false),
    ("care_coordinator_hour", 60, true),
    ("psychiatrist_outpatient_contact", 30, false),
    ("psychological_therapy_session", 60, false),
    ("ae_attendance", 25, false),
    ("ambulance_call_out", 10, false),
    ("general_hospital_bed_day", 8, true),
    ("gp_consultation", 120, false),
    ("social_worker_hour", 30, true),
    ("home_care_hour", 20, true),
    ("supported_housing_week", 15, true),
    ("residential_care_week", 3, true),
    ("police_contact", 12, false),
    ("police_custody_episode", 4, false),
    ("prison_day", 3, true),
    ("voluntary_sector_session", 40, false),
    ("lost_work_day", 25, true),
    ("carer_hour", 30, true),
];

/// Writes a synthetic resource-use Parquet file (`pid`, `day`, `resource`, `quantity`) of about
/// `people × per_person` events over three years, in date order; every tenth person uses
/// services heavily (about 69% of the events). Deterministic for a seed. Returns the rows.
pub fn write_resource_use(path: &Path, people: u32, per_person: u32, seed: u64) -> Result<u64, Error> {
    use std::sync::Arc;

    use datafusion::arrow::array::{DictionaryArray, Float64Array, Int32Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    const DAYS: u32 = 3 * 365;
    const FIRST_DAY: i32 = 19_000;
    const BLOCK_DAYS: u32 = 8;
    let people = people.max(10);
    let total = u64::from(people) * u64::from(per_person);
    let per_day = total / u64::from(DAYS);
    let weights: u32 = SYNTH_RESOURCES.iter().map(|r| r.1).sum();
    let schema = Arc::new(Schema::new(vec![
        Field::new("pid", DataType::Int32, false),
        Field::new("day", DataType::Int32, false),
        Field::new(
            "resource",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            false,
        ),
        Field::new("quantity", DataType::Float64, false),
    ]));
    let values = Arc::new(StringArray::from(
        SYNTH_RESOURCES.iter().map(|r| r.0).collect::<Vec<_>>(),
    ));
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(Error::parquet)?;
    let blocks: Vec<u32> = (0..DAYS.div_ceil(BLOCK_DAYS)).collect();
    let mut rows = 0u64;
    for group in blocks.chunks(16) {
        let batches: Vec<Result<RecordBatch, Error>> = group
            .par_iter()
            .map(|&block| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (u64::from(block) << 20));
                let (mut pid, mut day, mut res, mut qty) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for d in block * BLOCK_DAYS..((block + 1) * BLOCK_DAYS).min(DAYS) {
                    for _ in 0..per_day {
                        let p = if rng.random_bool(0.69) {
                            rng.random_range(0..people / 10) * 10
                        } else {
                            let p = rng.random_range(0..people);
                            if p % 10 == 0 { (p + 1).min(people - 1) } else { p }
                        };
                        let mut at = rng.random_range(0..weights);
                        let mut r = 0usize;
                        for (i, (_, w, _)) in SYNTH_RESOURCES.iter().enumerate() {
                            if at < *w {
                                r = i;
                                break;
                            }
                            at -= w;
                        }
                        let varies = SYNTH_RESOURCES.get(r).is_some_and(|x| x.2);
                        pid.push(p as i32);
                        day.push(FIRST_DAY + d as i32);
                        res.push(r as i32);
                        qty.push(if varies {
                            f64::from(rng.random_range(1..=8u32))
                        } else {
                            1.0
                        });
                    }
                }
                let keys = Int32Array::from(res);
                let dict = DictionaryArray::<Int32Type>::try_new(keys, values.clone()).map_err(Error::arrow)?;
                RecordBatch::try_new(
                    schema.clone(),
                    vec![
                        Arc::new(Int32Array::from(pid)),
                        Arc::new(Int32Array::from(day)),
                        Arc::new(dict),
                        Arc::new(Float64Array::from(qty)),
                    ],
                )
                .map_err(Error::arrow)
            })
            .collect();
        for batch in batches {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            writer.write(&batch).map_err(Error::parquet)?;
        }
    }
    writer.close().map_err(Error::parquet)?;
    Ok(rows)
}

/// Illustrative unit costs for the synthetic resource-use file, for benchmarks only (never a
/// table people use): `(resource, category, cost)`.
pub fn bench_prices() -> Vec<(&'static str, &'static str, f64)> {
    use cocare_econ::costs::Sector;
    use cocare_econ::resources::CONTRACT;
    CONTRACT
        .iter()
        .enumerate()
        .map(|(i, (r, sector))| {
            let category = match sector {
                Sector::Society => "indirect",
                Sector::SocialCare | Sector::Housing | Sector::CriminalJustice | Sector::Voluntary => {
                    "direct_non_medical"
                }
                _ => "direct_medical",
            };
            (*r, category, 20.0 + 37.0 * i as f64)
        })
        .collect()
}

/// The benchmark's prices as a unit-cost table (for benchmarks and tests only).
pub fn bench_unit_costs() -> cocare_econ::costs::UnitCostTable {
    use cocare_econ::costs::{Category, Sector, UnitCost, UnitCostTable};
    use cocare_econ::resources::contract_sector;
    UnitCostTable {
        entries: bench_prices()
            .into_iter()
            .map(|(resource, category, cost)| UnitCost {
                resource: resource.to_string(),
                unit: "unit".into(),
                category: Category::parse(category).unwrap_or(Category::DirectMedical),
                sector: contract_sector(resource).unwrap_or(Sector::Society),
                cost,
                currency: "GBP".into(),
                price_year: 2024,
                source: "benchmark only".into(),
                edition: String::new(),
                table: "none".into(),
                note: String::new(),
            })
            .collect(),
    }
}
