//! `cocare records`: import an extract, make a pseudonymisation key, print Table 1 or write the
//! report for a cohort definition file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cocare_analytics::query::{Cluster, Engine};
use cocare_app::records_domain::cohort::CohortDefinition;
use cocare_app::records_domain::engine::ImportProgress;
use cocare_app::records_domain::pseudonym::PseudonymKey;
use cocare_app::records_domain::report::{PublishedReport, disclosure_note};
use cocare_app::records_domain::sdc::{Disclosure, Mode};
use cocare_app::{App, DatabaseUrl, RecordsSettings};
use cocare_core::Actor;
use indicatif::{ProgressBar, ProgressStyle};

use super::DbArgs;

/// Where the analytic store is, the key, disclosure control and the cluster.
#[derive(Args, Debug, Clone)]
pub struct RecordsArgs {
    /// The analytic store's folder. Default: `records/` beside the SQLite file (or `data/records`).
    #[arg(long = "records-dir", env = "COCARE_RECORDS_DIR")]
    pub records_dir: Option<PathBuf>,
    /// The pseudonymisation key (made by `cocare records keygen`), held by the administrator.
    /// Default: `~/.config/cocare/pseudonym.key`, which `records import` makes if it is missing.
    #[arg(long = "key-file", env = "COCARE_PSEUDONYM_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Counts of people below this are suppressed in everything that leaves cocare.
    #[arg(long = "disclosure-threshold", env = "COCARE_DISCLOSURE_THRESHOLD", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(2..=100))]
    pub threshold: u64,
    /// Round every count to the nearest multiple of the threshold instead of suppressing.
    #[arg(long = "disclosure-rounding", env = "COCARE_DISCLOSURE_ROUNDING")]
    pub rounding: bool,
    /// Run queries on an Apache DataFusion Ballista cluster (`df://host:50050`) whose executors
    /// see the records folder at the same path.
    #[arg(long, env = "COCARE_BALLISTA")]
    pub ballista: Option<String>,
}

impl RecordsArgs {
    pub fn dir(&self, url: &DatabaseUrl) -> PathBuf {
        if let Some(dir) = &self.records_dir {
            return dir.clone();
        }
        match url.sqlite_path().and_then(Path::parent) {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("records"),
            _ => PathBuf::from("data/records"),
        }
    }

    pub fn disclosure(&self) -> Disclosure {
        Disclosure {
            threshold: self.threshold,
            mode: if self.rounding { Mode::Round } else { Mode::Suppress },
        }
    }

    /// The key: the file given, or the administrator's default key file if it exists.
    pub fn key(&self) -> anyhow::Result<Option<PseudonymKey>> {
        let path = match (&self.key_file, default_key_path()) {
            (Some(path), _) => path.clone(),
            (None, Some(path)) if path.exists() => path,
            _ => return Ok(None),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the pseudonymisation key file {}", path.display()))?;
        Ok(Some(
            PseudonymKey::from_hex(&text).with_context(|| format!("{}", path.display()))?,
        ))
    }

    pub fn engine(&self, url: &DatabaseUrl) -> Engine {
        let cluster = match &self.ballista {
            Some(address) => Cluster::Ballista(address.clone()),
            None => Cluster::Local,
        };
        Engine::new(self.dir(url), cluster)
    }

    pub fn settings(&self, url: &DatabaseUrl, key: Option<PseudonymKey>) -> RecordsSettings {
        let engine = Arc::new(self.engine(url));
        RecordsSettings {
            engine: Some(engine.clone()),
            econ: Some(engine.clone()),
            vignettes: Some(engine),
            key,
            disclosure: self.disclosure(),
        }
    }

    pub async fn app(&self, db: &DbArgs) -> anyhow::Result<App> {
        let url = db.url()?;
        Ok(db.app().await?.with_records(self.settings(&url, self.key()?)))
    }
}

#[derive(Subcommand)]
pub enum Records {
    /// Import a folder in the records layout (docs/records-layout.md), all or nothing.
    Import {
        /// The folder: people.csv (or .parquet) and the other layout files, or FHIR R4 bundles (.json).
        dir: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        records: RecordsArgs,
        /// The organisation the records belong to (name or id); default: the only one.
        #[arg(long)]
        org: Option<String>,
    },
    /// Write a new random pseudonymisation key to a file (readable by its owner only).
    Keygen {
        /// Where to write it; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print Table 1 for a cohort definition (JSON, as saved from the web or written by hand).
    Table1 {
        #[arg(long)]
        cohort: PathBuf,
        /// The organisation whose records to use (name or id); default: the only one.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        records: RecordsArgs,
        /// Print JSON instead of a table.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
    /// Write the self-contained HTML report (and optionally an XLSX workbook) for a cohort.
    Report {
        #[arg(long)]
        cohort: PathBuf,
        /// The organisation whose records to use (name or id); default: the only one.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        records: RecordsArgs,
        /// The HTML file to write.
        #[arg(long)]
        out: PathBuf,
        /// Also write the tables as an XLSX workbook.
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
}

pub fn read_definition(path: &Path) -> anyhow::Result<CohortDefinition> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    CohortDefinition::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// A progress bar for an import: bytes read, rows per second.
pub fn import_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

pub fn progress_to(bar: &ProgressBar) -> cocare_app::records_domain::engine::ProgressFn {
    let bar = bar.clone();
    Arc::new(move |p: &ImportProgress| {
        bar.set_length(p.bytes_total);
        bar.set_position(p.bytes_done);
        let rate = if p.seconds > 0.0 {
            p.rows as f64 / p.seconds
        } else {
            0.0
        };
        bar.set_message(format!("{} rows, {:.0} rows/s", p.rows, rate));
    })
}

impl Records {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Records::Keygen { out } => keygen(&out),
            Records::Import { dir, db, records, org } => {
                if records.key()?.is_none() {
                    // The administrator's first import: make their key where they keep it.
                    let Some(path) = default_key_path() else {
                        bail!(
                            "give the pseudonymisation key with --key-file (make one with `cocare records keygen --out FILE`)"
                        );
                    };
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)
                            .with_context(|| format!("cannot create {}", parent.display()))?;
                    }
                    keygen(&path)?;
                    eprintln!(
                        "Keep this key safe and apart from the data: refreshed extracts need it to keep the same pseudonyms."
                    );
                }
                let app = records.app(&db).await?;
                let actor = Actor::system("records-import");
                let bar = import_bar();
                let organisation = organisation(&app, org.as_deref()).await?;
                let outcome = app
                    .import_records(&actor, organisation, dir.clone(), progress_to(&bar))
                    .await?;
                bar.finish_and_clear();
                match outcome {
                    Ok(done) => {
                        println!(
                            "Imported {} people and {} events ({} rows) from {} in {:.1} s ({:.0} rows/s).",
                            done.status.people,
                            done.status.events,
                            done.rows,
                            dir.display(),
                            done.seconds,
                            done.rows as f64 / done.seconds.max(1e-9)
                        );
                        println!("Version {} is now in use.", done.status.version);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(rejected) => {
                        eprintln!("Nothing was imported: {} row(s) were rejected.", rejected.total);
                        for r in &rejected.rejections {
                            eprintln!("  {r}");
                        }
                        if rejected.total > rejected.rejections.len() as u64 {
                            eprintln!("  … and {} more.", rejected.total - rejected.rejections.len() as u64);
                        }
                        Ok(ExitCode::FAILURE)
                    }
                }
            }
            Records::Table1 {
                cohort,
                org,
                db,
                records,
                json,
                csv,
            } => {
                let (_, report) = characterise_file(&cohort, org.as_deref(), &db, &records).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&table1_json(&report))?);
                } else if csv {
                    print!("{}", report.table1_csv());
                } else {
                    print!("{}", table1_text(&report));
                }
                Ok(ExitCode::SUCCESS)
            }
            Records::Report {
                cohort,
                org,
                db,
                records,
                out,
                xlsx,
            } => {
                let (definition, report) = characterise_file(&cohort, org.as_deref(), &db, &records).await?;
                let html = cocare_web::records_report::html(&report, &definition)?;
                std::fs::write(&out, html).with_context(|| format!("cannot write {}", out.display()))?;
                println!("wrote {}", out.display());
                if let Some(path) = xlsx {
                    let bytes = cocare_web::records_report::xlsx(&report)?;
                    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
                    println!("wrote {}", path.display());
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// Reads a cohort definition file and runs it (as the audited system actor `records-cli`).
async fn characterise_file(
    cohort: &Path,
    org: Option<&str>,
    db: &DbArgs,
    records: &RecordsArgs,
) -> anyhow::Result<(CohortDefinition, PublishedReport)> {
    let definition = read_definition(cohort)?;
    let app = records.app(db).await?;
    let organisation = organisation(&app, org).await?;
    let report = app
        .characterise_definition(&Actor::system("records-cli"), organisation, &definition)
        .await?;
    Ok((definition, report))
}

pub(crate) async fn organisation(app: &App, name: Option<&str>) -> anyhow::Result<Option<cocare_core::OrganisationId>> {
    let Some(name) = name else { return Ok(None) };
    let found = app
        .organisation_named(name)
        .await?
        .with_context(|| format!("there is no organisation {name:?}"))?;
    Ok(Some(found.id))
}

/// `~/.config/cocare/pseudonym.key`: the administrator's own key, outside any data folder.
pub fn default_key_path() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".config/cocare/pseudonym.key"))
}

fn keygen(out: &Path) -> anyhow::Result<ExitCode> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let key = PseudonymKey::from_random(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(out)
        .with_context(|| format!("cannot create {} (an existing key is never overwritten)", out.display()))?;
    std::io::Write::write_all(&mut file, format!("{}\n", key.to_hex()).as_bytes())?;
    println!(
        "wrote a new pseudonymisation key to {}; keep it with the administrator, apart from the data",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Table 1 as JSON: groups, n, and every line with its cells as text and numbers.
pub fn table1_json(report: &PublishedReport) -> serde_json::Value {
    serde_json::json!({
        "cohort": report.cohort_name,
        "index_date": report.index_date,
        "groups": report.groups,
        "n": report.n,
        "disclosure": report.disclosure,
        "note": disclosure_note(&report.disclosure),
        "rows": report.table1.iter().map(|r| serde_json::json!({
            "variable": r.variable,
            "statistic": r.line,
            "cells": [r.cells[0].text(), r.cells[1].text()],
            "values": r.cells,
            "smd": r.smd,
        })).collect::<Vec<_>>(),
    })
}

/// Table 1 as aligned text for a terminal.
pub fn table1_text(report: &PublishedReport) -> String {
    let [n0, n1] = report
        .n
        .map(|n| n.map(|n| n.to_string()).unwrap_or_else(|| "[c]".into()));
    let header = [
        String::new(),
        format!("{} (n={n0})", report.groups[0]),
        format!("{} (n={n1})", report.groups[1]),
        "SMD".to_string(),
    ];
    let mut lines: Vec<[String; 4]> = vec![header];
    for row in &report.table1 {
        let label = if row.first && row.line != "n (%)" && row.line != "mean (SD)" {
            lines.push([
                row.variable.clone(),
                String::new(),
                String::new(),
                row.smd.map(|s| format!("{s:.3}")).unwrap_or_default(),
            ]);
            format!("  {}", row.line)
        } else if row.first {
            format!("{}, {}", row.variable, row.line)
        } else {
            format!("  {}", row.line)
        };
        let smd = if row.first && (row.line == "n (%)" || row.line == "mean (SD)") {
            row.smd.map(|s| format!("{s:.3}")).unwrap_or_default()
        } else {
            String::new()
        };
        lines.push([label, row.cells[0].text(), row.cells[1].text(), smd]);
    }
    let widths: [usize; 4] = std::array::from_fn(|c| {
        lines
            .iter()
            .map(|l| l.get(c).map_or(0, |t| t.chars().count()))
            .max()
            .unwrap_or(0)
    });
    let mut out = format!("Table 1: {} (index date {})\n\n", report.cohort_name, report.index_date);
    for l in &lines {
        out.push_str(&format!(
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}\n",
            l[0],
            l[1],
            l[2],
            l[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        ));
    }
    out.push_str(&format!("\n{}\n", disclosure_note(&report.disclosure)));
    out
}
