//! `cocare vignette`: the *k* check of a vignette's quasi-identifying facts against the records.
//!
//! Exit codes: 0 the vignette passes (at least k people match), 1 it does not, 2 the input is
//! wrong (a facts file with problems, records that cannot be read or imported, bad arguments).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cocare_analytics::Error as AnalyticsError;
use cocare_analytics::dataset::{Dataset, Manifest};
use cocare_analytics::import::{ImportOptions, import_dir};
use cocare_analytics::quasi::facts::{Facts, check};
use cocare_analytics::quasi::{self, version_dir};
use cocare_app::records_domain::layout::day_number;
use cocare_app::records_domain::pseudonym::PseudonymKey;

#[derive(Subcommand)]
pub enum Vignette {
    /// The k check: does a vignette's set of quasi-identifying facts (sex, age, ethnicity,
    /// deprivation, counts of admissions, detentions…, diagnoses) match at least k people in the
    /// records, so that it cannot be traced back to a real person? Prints how many people match
    /// (counts below k are shown as "fewer than k"), how many would match without each fact, and
    /// the rarest facts. Exit code 0 when it passes, 1 when it does not, 2 for bad input.
    /// The facts file is described in docs/vignettes.md.
    Check(CheckArgs),
}

#[derive(Args)]
pub struct CheckArgs {
    /// The records: an analytic store (its root holding one dataset, a dataset folder or a
    /// version folder, as `cocare records import` writes it), or a folder in the records layout
    /// (docs/records-layout.md), imported into a temporary store with a throwaway key.
    #[arg(long)]
    records: PathBuf,
    /// The vignette's facts: a JSON object of field: value or range (docs/vignettes.md).
    #[arg(long)]
    facts: PathBuf,
    /// The smallest number of people a vignette may match.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    k: u64,
    /// Print the check as JSON.
    #[arg(long)]
    json: bool,
}

/// Bad input: exit code 2, so that 1 always means a vignette that fails.
const BAD_INPUT: u8 = 2;

impl Vignette {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Vignette::Check(args) => match args.run().await {
                Ok(code) => Ok(code),
                Err(err) => {
                    eprintln!("error: {err:#}");
                    Ok(ExitCode::from(BAD_INPUT))
                }
            },
        }
    }
}

/// A folder in the records layout rather than an analytic store.
fn is_layout_folder(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().to_ascii_lowercase();
        name == "people.csv" || name == "people.parquet" || (name.ends_with(".json") && name != "manifest.json")
    })
}

impl CheckArgs {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let text = std::fs::read_to_string(&self.facts)
            .with_context(|| format!("cannot read the facts file {}", self.facts.display()))?;
        let facts = match Facts::from_json(&text) {
            Ok(f) => f,
            Err(problems) => {
                eprintln!(
                    "{} has {} problem(s); nothing was checked:",
                    self.facts.display(),
                    problems.len()
                );
                for p in &problems {
                    eprintln!("  {}: {p}", self.facts.display());
                }
                return Ok(ExitCode::from(BAD_INPUT));
            }
        };
        if !self.records.is_dir() {
            bail!("{} is not a folder", self.records.display());
        }
        let (profile, manifest, imported) = if is_layout_folder(&self.records) {
            let (profile, manifest) = import_and_build(&self.records).await?;
            (profile, manifest, true)
        } else {
            let (version, manifest) = version_dir(&self.records)?;
            (quasi::profile(&version).await?, manifest, false)
        };
        let last_day = manifest
            .last_day
            .unwrap_or_else(|| day_number(chrono::Utc::now().date_naive()));
        let as_of_year = facts.as_of_year(last_day);
        let result = check(&profile, &facts, self.k, as_of_year).map_err(|e| anyhow::anyhow!("{e}"))?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&result)?);
        } else {
            println!(
                "Vignette {} against {} ({} people{}; ages in {as_of_year}).\n",
                self.facts.display(),
                self.records.display(),
                manifest.people,
                if imported {
                    ", imported into a temporary store with a throwaway key"
                } else {
                    ""
                }
            );
            print!("{}", result.to_text());
        }
        Ok(if result.passes {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// Imports a records-layout folder into a temporary analytic store (a random key that is then
/// forgotten, so the pseudonyms mean nothing) and builds its profile.
async fn import_and_build(dir: &Path) -> anyhow::Result<(quasi::facts::Profile, Manifest)> {
    let store = tempfile::tempdir()?;
    let dataset = Dataset::new(store.path(), "vignette")?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let key = PseudonymKey::from_random(bytes);
    let options = ImportOptions {
        today: chrono::Utc::now().date_naive(),
        report_limit: 20,
    };
    let source = dir.to_path_buf();
    let summary = tokio::task::spawn_blocking(move || import_dir(&source, &dataset, &key, &options, &|_| {})).await?;
    match summary {
        Ok(_) => {}
        Err(AnalyticsError::Rejected { rejections, total }) => {
            let mut message = format!("{} cannot be imported: {total} row(s) rejected", dir.display());
            for r in rejections.iter().take(20) {
                message.push_str(&format!("\n  {r}"));
            }
            bail!(message);
        }
        Err(e) => return Err(e).with_context(|| format!("cannot import {}", dir.display())),
    }
    let (version, manifest) = version_dir(store.path())?;
    let profile = quasi::build(&version).await?;
    drop(store);
    Ok((profile, manifest))
}
