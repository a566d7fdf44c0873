//! `cocare bench econ`: costing of synthetic resource use (about 50 events per person) and the
//! bootstrap of a two-pathway comparison with CEAC, beside the same computations in Python
//! (pandas, DuckDB, numpy: `scripts/econ_peer.py`) on the same files, with the ratios.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use cocare_analytics::costing::{cost_by_category, read_resource_use};
use cocare_analytics::synth::{bench_prices, bench_unit_costs, write_resource_use};
use cocare_app::econ_domain::boot::{self, Group};
use cocare_app::econ_domain::cea::{self, Simulations};
use cocare_app::econ_domain::costs::Perspective;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use super::bench_records::{peak_mib, reset_peak};

/// performance-targets.md: costing of 50M events ≤ 1.7 s (4× DuckDB); bootstrap of 2 × 50k
/// people, 10,000 replicates with CEAC at 100 thresholds ≤ 0.28 s (20× numpy on one thread).
const COSTING_TARGET_S_PER_50M: f64 = 1.7;
const BOOTSTRAP_TARGET_S: f64 = 0.28;

/// The peer's copy of the benchmark prices: `resource,category,cost`.
fn peer_table() -> String {
    let mut peer = String::from("resource,category,cost\n");
    for (r, category, cost) in bench_prices() {
        peer.push_str(&format!("{r},{category},{cost}\n"));
    }
    peer
}

/// Runs the peer script; one JSON object per tool it ran.
fn peer(python: &str, script: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let output = std::process::Command::new(python).arg(script).args(args).output();
    match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        Ok(out) => {
            eprintln!(
                "  (peer not run: {})",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("it failed")
            );
            Vec::new()
        }
        Err(e) => {
            eprintln!("  (peer not run: {python}: {e})");
            Vec::new()
        }
    }
}

pub struct Options {
    pub sizes: Vec<u32>,
    pub repeats: usize,
    pub replicates: usize,
    pub bootstrap_people: usize,
    pub thresholds: usize,
    pub python: Option<String>,
    pub script: PathBuf,
    pub cache: Option<PathBuf>,
}

pub async fn run(o: Options) -> anyhow::Result<ExitCode> {
    let temp = tempfile::tempdir()?;
    let dir = o.cache.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let table = bench_unit_costs();
    let peer_table_path = dir.join("unit_costs.csv");
    std::fs::write(&peer_table_path, peer_table())?;
    let threads = rayon::current_num_threads();
    println!("econ: costing per person × category with 3.5%/year discounting from each person's first event");
    println!(
        "target on 2 cores: 50M events in ≤ {COSTING_TARGET_S_PER_50M} s (4× DuckDB), memory ≤ 1.5 GB; {threads} threads here\n"
    );
    println!(
        "{:>10} {:>12} {:>10} {:>10} {:>10} {:>10} {:>14} {:>14}",
        "people", "events", "read s", "cost s", "total s", "peak MiB", "pandas/ours", "duckdb/ours"
    );
    for people in &o.sizes {
        let file = dir.join(format!("resource-use-{people}.parquet"));
        if !file.exists() {
            let partial = file.with_extension("parquet.part");
            write_resource_use(&partial, *people, 50, 2026)?;
            std::fs::rename(&partial, &file)?;
        }
        let mut times = Vec::new();
        let mut peak = 0.0f64;
        let mut events = 0;
        for _ in 0..o.repeats.max(1) {
            reset_peak();
            let started = Instant::now();
            let ru = read_resource_use(&file)?;
            let read = started.elapsed().as_secs_f64();
            let costs =
                cost_by_category(&ru, &table, Perspective::Societal, 0.035).map_err(|e| anyhow::anyhow!("{e}"))?;
            let total = started.elapsed().as_secs_f64();
            events = ru.events();
            std::hint::black_box(costs.discounted.len());
            drop(ru);
            drop(costs);
            peak = peak.max(peak_mib());
            times.push((read, total));
        }
        times.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (read, total) = times.get(times.len() / 2).copied().unwrap_or_default();
        let ratio = |tool: &str, results: &[serde_json::Value]| {
            results
                .iter()
                .find(|r| r["tool"] == tool)
                .and_then(|r| r["seconds"].as_f64())
                .map_or("–".to_string(), |s| format!("{:.1}×", s / total))
        };
        let results = match &o.python {
            Some(python) => peer(
                python,
                &o.script,
                &[
                    "costing",
                    "--events",
                    &file.to_string_lossy(),
                    "--unit-costs",
                    &peer_table_path.to_string_lossy(),
                    "--rate",
                    "0.035",
                ],
            ),
            None => Vec::new(),
        };
        println!(
            "{:>10} {:>12} {:>10.2} {:>10.2} {:>10.2} {:>10.0} {:>14} {:>14}",
            people,
            events,
            read,
            total - read,
            total,
            peak,
            ratio("pandas", &results),
            ratio("duckdb", &results)
        );
        if events >= 40_000_000 {
            println!(
                "{:>10} speed as a share of the target: {:.2} (1.00 = on target)",
                "",
                COSTING_TARGET_S_PER_50M * events as f64 / 50e6 / total
            );
        }
    }

    // The bootstrap: two pathways, skewed costs with zeros, utilities.
    let n = o.bootstrap_people;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut csv = String::from("pathway,cost,effect\n");
    let mut groups = Vec::new();
    for (g, (name, scale)) in [("reference", 9_000.0f64), ("alternative", 10_000.0f64)]
        .iter()
        .enumerate()
    {
        let (mut c, mut e) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let zero = rng.random_bool(0.15);
            let u: f64 = rng.random::<f64>().max(1e-12);
            let cost = if zero { 0.0 } else { -scale * u.ln() };
            let effect = 0.6 + 0.1 * g as f64 + 0.2 * (rng.random::<f64>() - 0.5);
            csv.push_str(&format!("{name},{cost:.2},{effect:.4}\n"));
            c.push((cost * 100.0).round() / 100.0);
            e.push((effect * 10_000.0).round() / 10_000.0);
        }
        groups.push(Group::from_columns(&[&c, &e]));
    }
    let data = dir.join(format!("bootstrap-{n}.csv"));
    std::fs::write(&data, csv)?;
    let wtp: Vec<f64> = (0..o.thresholds)
        .map(|i| 100_000.0 * i as f64 / (o.thresholds.max(2) - 1) as f64)
        .collect();
    let mut times = Vec::new();
    let mut mean_dc = 0.0;
    for _ in 0..o.repeats.max(1) {
        let started = Instant::now();
        let reps = boot::resample(&groups, o.replicates, 1);
        let sims = Simulations {
            options: vec!["reference".into(), "alternative".into()],
            cost: vec![reps.series(0, 0), reps.series(1, 0)],
            effect: vec![reps.series(0, 1), reps.series(1, 1)],
        };
        let cea = cea::analyse(&sims, 0, &wtp).map_err(anyhow::Error::msg)?;
        let dc = reps.difference(1, 0, 0);
        let interval = boot::percentile(&dc, 0.95);
        times.push(started.elapsed().as_secs_f64());
        mean_dc = dc.iter().sum::<f64>() / dc.len().max(1) as f64;
        std::hint::black_box((cea.evpi.len(), interval));
    }
    times.sort_by(f64::total_cmp);
    let ours = times.get(times.len() / 2).copied().unwrap_or_default();
    println!(
        "\nbootstrap: 2 pathways × {n} people, {} replicates, CEAC at {} thresholds (target ≤ {BOOTSTRAP_TARGET_S} s, 20× numpy)",
        o.replicates, o.thresholds
    );
    let results = match &o.python {
        Some(python) => peer(
            python,
            &o.script,
            &[
                "bootstrap",
                "--data",
                &data.to_string_lossy(),
                "--replicates",
                &o.replicates.to_string(),
                "--thresholds",
                &o.thresholds.to_string(),
                "--seed",
                "1",
            ],
        ),
        None => Vec::new(),
    };
    let numpy = results
        .iter()
        .find(|r| r["tool"] == "numpy")
        .and_then(|r| r["seconds"].as_f64());
    println!(
        "  ours {ours:.3} s (mean Δcost {mean_dc:.1}); numpy {}; ratio {}; share of target {:.2}",
        numpy.map_or("not run".to_string(), |s| format!("{s:.3} s")),
        numpy.map_or("–".to_string(), |s| format!("{:.1}×", s / ours)),
        BOOTSTRAP_TARGET_S * (n as f64 / 50_000.0) * (o.replicates as f64 / 10_000.0) / ours.max(1e-9)
    );
    if o.python.is_none() {
        println!(
            "\n(peers not run: give --python PATH, a Python with numpy, pandas, pyarrow and optionally duckdb, to run {} beside it)",
            o.script.display()
        );
    }
    let _ = std::io::stdout().flush();
    Ok(ExitCode::SUCCESS)
}
