//! `cocare qual`: the qualitative workbench from the command line. So far: intercoder agreement.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use cocare_qual::agreement::{Agreement, Level, Reliability, cohen, krippendorff, percent};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Metric {
    Percent,
    Cohen,
    Krippendorff,
}

#[derive(Subcommand)]
pub enum Qual {
    /// Intercoder agreement from a CSV with the header unit,coder,value (an empty value is
    /// missing data): percentage agreement, Cohen's kappa (two coders) or Krippendorff's alpha.
    Agreement {
        #[arg(long)]
        input: PathBuf,
        #[arg(long, value_enum)]
        metric: Metric,
        /// Krippendorff's level of measurement: nominal, ordinal, interval or ratio.
        #[arg(long, default_value = "nominal", value_parser = |s: &str| Level::parse(s).ok_or_else(|| format!("'{s}' is not one of nominal, ordinal, interval, ratio")))]
        level: Level,
        /// Print JSON instead of a sentence.
        #[arg(long)]
        json: bool,
    },
}

fn name(a: &Agreement) -> String {
    match a.metric {
        "percent" => "Percentage agreement".into(),
        "cohen" => "Cohen's kappa".into(),
        _ => format!("Krippendorff's alpha ({})", a.level.map_or("nominal", Level::key)),
    }
}

impl Qual {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Qual::Agreement {
                input,
                metric,
                level,
                json,
            } => {
                let text =
                    std::fs::read_to_string(&input).with_context(|| format!("cannot read {}", input.display()))?;
                let data = match Reliability::parse_csv(&text) {
                    Ok(d) => d,
                    Err(problems) => {
                        eprintln!(
                            "{} has {} problem(s); nothing was computed:",
                            input.display(),
                            problems.len()
                        );
                        for p in problems.iter().take(20) {
                            eprintln!("  {}: {p}", input.display());
                        }
                        return Ok(ExitCode::FAILURE);
                    }
                };
                let result = match metric {
                    Metric::Percent => Ok(percent(&data)),
                    Metric::Cohen => cohen(&data),
                    Metric::Krippendorff => krippendorff(&data, level),
                };
                let a = match result {
                    Ok(a) => a,
                    Err(e) => {
                        eprintln!("{}: {e}", input.display());
                        return Ok(ExitCode::FAILURE);
                    }
                };
                if json {
                    println!("{}", serde_json::to_string_pretty(&a)?);
                } else {
                    match a.coefficient {
                        Some(c) => println!(
                            "{}: {c:.4} ({} units, {} pairable values, {} coders)",
                            name(&a),
                            a.units,
                            a.pairable_values,
                            a.coders
                        ),
                        None => println!(
                            "{}: not defined: {} ({} units, {} pairable values, {} coders)",
                            name(&a),
                            a.note,
                            a.units,
                            a.pairable_values,
                            a.coders
                        ),
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
