//! `cocare engage`: engagement and funding change from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use cocare_engage::its::{Coefficient, Its, Series, fit, parse_date};

#[derive(Subcommand)]
pub enum Engage {
    /// Interrupted time-series analysis of an indicator around a funding change: segmented
    /// regression by ordinary least squares (baseline level and slope, level change and slope
    /// change, each with its standard error and 95% confidence interval).
    ///
    /// The series is a CSV with the header date,value: one line per period, equally spaced
    /// (days, weeks, calendar months, quarters or years), dates YYYY-MM-DD in increasing order,
    /// no gaps. Any problem is named (file, line, field) and nothing is computed.
    Its {
        /// The `date,value` CSV file.
        #[arg(long)]
        series: PathBuf,
        /// The date of the change (YYYY-MM-DD): periods on or after it count as after.
        #[arg(long)]
        change: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

impl Engage {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Engage::Its { series, change, json } => {
                let Some(change_date) = parse_date(change.trim()) else {
                    eprintln!("--change '{change}': not a calendar date written YYYY-MM-DD");
                    return Ok(ExitCode::FAILURE);
                };
                let text =
                    std::fs::read_to_string(&series).with_context(|| format!("cannot read {}", series.display()))?;
                let data = match Series::parse_csv(&text) {
                    Ok(d) => d,
                    Err(problems) => {
                        eprintln!(
                            "{} has {} problem(s); nothing was computed:",
                            series.display(),
                            problems.len()
                        );
                        for p in problems.iter().take(20) {
                            eprintln!("  {}: {p}", series.display());
                        }
                        if problems.len() > 20 {
                            eprintln!("  … and {} more", problems.len() - 20);
                        }
                        return Ok(ExitCode::FAILURE);
                    }
                };
                let its = match fit(&data, change_date) {
                    Ok(its) => its,
                    Err(e) => {
                        eprintln!("{}: {e}", series.display());
                        return Ok(ExitCode::FAILURE);
                    }
                };
                if json {
                    println!("{}", serde_json::to_string_pretty(&its)?);
                } else {
                    print!("{}", table(&series.display().to_string(), &data, &its));
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// The result as a table, with the warnings after it.
fn table(file: &str, series: &Series, its: &Its) -> String {
    let mut out = format!(
        "Interrupted time series of {file}: {}, {} periods\n\
         Change {} (first period after it: {}); {} periods before, {} after\n\n",
        series.describe(),
        its.n,
        its.change,
        its.first_after,
        its.n_before,
        its.n_after,
    );
    let rows: Vec<[String; 5]> = its
        .coefficients()
        .iter()
        .map(|(name, c)| {
            [
                (*name).to_string(),
                num(c.estimate),
                num(c.se),
                format!("{} to {}", num(c.ci_low), num(c.ci_high)),
                p_value(c),
            ]
        })
        .collect();
    let header = [
        "parameter".to_string(),
        "estimate".to_string(),
        "SE".to_string(),
        "95% CI".to_string(),
        "p".to_string(),
    ];
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "\nper {}; residual SE {}, R² {}, {} degrees of freedom, Durbin-Watson {}\n",
        its.period,
        num(its.residual_se),
        its.r_squared
            .map_or("undefined (a constant series)".to_string(), |r| format!("{r:.4}")),
        its.df,
        its.durbin_watson
            .map_or("undefined (an exact fit)".to_string(), |d| format!("{d:.3}")),
    ));
    for w in &its.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// Six significant digits, in plain notation unless very large or small.
fn num(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor();
    if (-4.0..10.0).contains(&magnitude) {
        let decimals = (5.0 - magnitude).max(0.0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.5e}")
    }
}

fn p_value(c: &Coefficient) -> String {
    match c.p {
        None => "-".into(),
        Some(p) if p < 0.0001 => "<0.0001".into(),
        Some(p) => format!("{p:.4}"),
    }
}
