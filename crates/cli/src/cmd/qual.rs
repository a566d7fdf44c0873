//! `cocare qual`: the qualitative workbench from the command line. So far: intercoder agreement.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use cocare_qual::agreement::{Agreement, Level, Reliability, cohen, krippendorff, percent};
use cocare_qual::codebook::Codebook;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Metric {
    Percent,
    Cohen,
    Krippendorff,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Frame {
    /// Normalisation Process Theory, classic: 4 constructs, 16 sub-constructs.
    NptClassic,
    /// Normalisation Process Theory coding manual (2022): 12 constructs as context, mechanism, outcome.
    Npt2022,
    /// Realist context, mechanism, outcome.
    Realist,
    /// An empty framework.
    Blank,
}

#[derive(Subcommand)]
pub enum Qual {
    /// Write a ready-made codebook frame as a REFI-QDA codebook (.qdc), for cocare or other
    /// qualitative software.
    Codebook {
        #[arg(long, value_enum)]
        frame: Frame,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a REFI-QDA codebook (.qdc): well-formed, GUIDs, parents, no cycles; prints its codes.
    CheckCodebook { file: PathBuf },
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
            Qual::Codebook { frame, out } => {
                let book = match frame {
                    Frame::NptClassic => Codebook::npt_classic(),
                    Frame::Npt2022 => Codebook::npt_2022(),
                    Frame::Realist => Codebook::realist(),
                    Frame::Blank => Codebook::blank(),
                };
                let xml = book.to_qdc().map_err(|p| {
                    anyhow::anyhow!("{}", p.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
                })?;
                std::fs::write(&out, xml).with_context(|| format!("cannot write {}", out.display()))?;
                println!("wrote {} ({} codes)", out.display(), book.codes.len());
                Ok(ExitCode::SUCCESS)
            }
            Qual::CheckCodebook { file } => {
                let xml = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
                match Codebook::from_qdc(&xml) {
                    Ok(book) => {
                        println!("{}: {} codes, well formed", file.display(), book.codes.len());
                        print_tree(&book, None, 1);
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(problems) => {
                        eprintln!("{} is not a usable codebook:", file.display());
                        for p in problems.iter().take(20) {
                            eprintln!("  {p}");
                        }
                        Ok(ExitCode::FAILURE)
                    }
                }
            }
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

/// The codes as an indented list.
fn print_tree(book: &Codebook, parent: Option<&str>, depth: usize) {
    for c in book.codes.iter().filter(|c| c.parent.as_deref() == parent) {
        println!(
            "{}{}{}",
            "  ".repeat(depth),
            c.name,
            if c.codable { "" } else { " (heading)" }
        );
        print_tree(book, Some(&c.guid), depth + 1);
    }
}
