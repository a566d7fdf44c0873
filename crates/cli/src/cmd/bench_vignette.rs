//! `cocare bench vignette`: the vignette *k* check at several sizes of synthetic records: the
//! profile built from the dataset (cold, no cache), loaded from its cache, and the check of a
//! six-fact vignette over it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use cocare_analytics::dataset::Dataset;
use cocare_analytics::import::{ImportOptions, import_dir};
use cocare_analytics::quasi::facts::{Facts, check};
use cocare_analytics::quasi::{self, version_dir};
use cocare_app::records_domain::pseudonym::PseudonymKey;
use cocare_app::records_domain::synth::Synth;

use super::bench_records::{peak_mib, reset_peak};

#[derive(clap::Args)]
pub struct VignetteArgs {
    /// People in the synthetic records (about 50 rows each), comma-separated.
    #[arg(long, default_value = "10000,100000,1000000", value_delimiter = ',')]
    people: Vec<u64>,
    /// Runs of the cached load and of the check; the median is reported.
    #[arg(long, default_value_t = 7)]
    repeats: usize,
    /// Keep the imported synthetic datasets here and reuse them on the next run (default:
    /// ~/.cache/cocare/bench/vignette).
    #[arg(long)]
    cache: Option<PathBuf>,
}

/// The vignette checked: six facts of different kinds.
const FACTS: &str = r#"{
  "sex": "female",
  "age": {"min": 25, "max": 54},
  "ethnic_group": ["white", "black", "mixed"],
  "spells": {"min": 1},
  "detentions": {"min": 1},
  "diagnosis": "F2"
}"#;

/// Load from the cache plus the check, at 1M people.
const TARGET_MS: f64 = 200.0;

fn cache_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map_or_else(std::env::temp_dir, PathBuf::from);
        home.join(".cache/cocare/bench/vignette")
    })
}

/// The synthetic dataset of `people` people, imported once and then reused.
async fn dataset(root: &Path, people: u64) -> anyhow::Result<PathBuf> {
    let store = root.join(format!("{people}"));
    if let Ok((version, manifest)) = version_dir(&store)
        && manifest.people == people
    {
        return Ok(version);
    }
    let _ = std::fs::remove_dir_all(&store);
    std::fs::create_dir_all(&store)?;
    let extract = root.join(format!(".extract-{people}"));
    let end = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default();
    eprintln!(
        "writing and importing {people} synthetic people into {} (once)…",
        store.display()
    );
    let started = Instant::now();
    let synth = Synth::new(2026, end);
    cocare_analytics::synth::write_extract(&extract, &synth, people, &|_| {})?;
    let dataset = Dataset::new(&store, "bench")?;
    let options = ImportOptions {
        today: chrono::Utc::now().date_naive(),
        report_limit: 10,
    };
    let key = PseudonymKey::from_random([7; 32]);
    let source = extract.clone();
    let imported = tokio::task::spawn_blocking(move || import_dir(&source, &dataset, &key, &options, &|_| {})).await?;
    let _ = std::fs::remove_dir_all(&extract);
    imported?;
    eprintln!("  done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(version_dir(&store)?.0)
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or_default()
}

pub async fn run(args: VignetteArgs) -> anyhow::Result<ExitCode> {
    let root = cache_dir(args.cache);
    std::fs::create_dir_all(&root)?;
    let facts = Facts::from_json(FACTS).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!("vignette k check: profile built from the dataset (cold), loaded from its cache, and a six-fact check");
    println!("target: load from cache + check < {TARGET_MS:.0} ms at 1M people (check alone < 50 ms)");
    println!("facts: {}\n", FACTS.split_whitespace().collect::<Vec<_>>().join(" "));
    println!(
        "{:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12} {:>10} {:>10}",
        "people", "build ms", "peak MiB", "cache MiB", "load ms", "check ms", "load+check", "matched", "target"
    );
    let repeats = args.repeats.max(1);
    for people in args.people {
        let version = dataset(&root, people).await?;
        let manifest = version_dir(&version)?.1;
        let as_of_year = facts.as_of_year(manifest.last_day.unwrap_or(0));

        reset_peak();
        let started = Instant::now();
        let built = quasi::build(&version).await?;
        let build_ms = started.elapsed().as_secs_f64() * 1000.0;
        let peak = peak_mib();
        quasi::write_cache(&version, &built)?;
        let cache_mib = std::fs::metadata(version.join(quasi::CACHE_FILE))?.len() as f64 / (1024.0 * 1024.0);
        drop(built);

        let mut loads = Vec::new();
        let mut loaded = None;
        for _ in 0..repeats {
            let started = Instant::now();
            let profile = quasi::read_cache(&version)?.ok_or_else(|| anyhow::anyhow!("the cache was not written"))?;
            loads.push(started.elapsed().as_secs_f64() * 1000.0);
            loaded = Some(profile);
        }
        let profile = loaded.ok_or_else(|| anyhow::anyhow!("nothing loaded"))?;
        let mut checks = Vec::new();
        let mut result = None;
        for _ in 0..repeats {
            let started = Instant::now();
            let r = check(&profile, &facts, 5, as_of_year).map_err(|e| anyhow::anyhow!("{e}"))?;
            checks.push(started.elapsed().as_secs_f64() * 1000.0);
            result = Some(r);
        }
        let (load_ms, check_ms) = (median(loads), median(checks));
        let target = if people >= 1_000_000 {
            format!("{:.2}", (load_ms + check_ms) / TARGET_MS)
        } else {
            "-".to_string()
        };
        println!(
            "{:>10} {:>10.0} {:>10.0} {:>10.1} {:>10.1} {:>10.2} {:>12.1} {:>10} {:>10}",
            people,
            build_ms,
            peak,
            cache_mib,
            load_ms,
            check_ms,
            load_ms + check_ms,
            result
                .and_then(|r| r.matched)
                .map_or_else(|| "< 5".to_string(), |m| m.to_string()),
            target
        );
    }
    println!("\n(build: DataFusion aggregate of the events joined to the people, once, with the peak resident memory;");
    println!(
        " load and check: medians of {repeats} runs; target: (load + check) / {TARGET_MS:.0} ms, below 1.00 is on target."
    );
    println!(" The datasets are kept in {} and reused.)", root.display());
    Ok(ExitCode::SUCCESS)
}
