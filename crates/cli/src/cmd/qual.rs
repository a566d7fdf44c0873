//! `cocare qual`: the qualitative workbench from the command line: intercoder agreement,
//! codebook frames, and whole projects in and out as REFI-QDA QDPX.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use cocare_app::{AppError, ProjectRole};
use cocare_core::Actor;
use cocare_qual::agreement::{Agreement, Level, Reliability, cohen, fleiss, krippendorff, percent};
use cocare_qual::codebook::Codebook;

use super::DbArgs;

fn app_problem(what: &str, e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(fields) => anyhow::anyhow!(
            "{what}:\n{}",
            fields
                .iter()
                .map(|f| format!("  {}", f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        AppError::NotFound => anyhow::anyhow!("{what}: there is no such project"),
        other => anyhow::anyhow!("{what}: {other}"),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Metric {
    Percent,
    Cohen,
    Krippendorff,
    /// Fleiss' kappa: any number of raters, the same number for every unit.
    Fleiss,
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
    /// Write a project as a REFI-QDA project file (.qdpx): sources, codes, codings, coders,
    /// memos, participants (cases) and attributes (variables). The export is audited.
    ExportQdpx {
        /// The project's id (see `cocare qual projects`).
        #[arg(long)]
        project: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Import a REFI-QDA project file (.qdpx) as a new project. All or nothing: any problem is
    /// named (file, line, element) and nothing is imported.
    ImportQdpx {
        file: PathBuf,
        /// The researcher (username) who will own it; default: the organisation's only
        /// researcher, if there is one.
        #[arg(long)]
        owner: Option<String>,
        /// The organisation (name or id); default: the only one.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the organisation's qualitative projects (ids and names only).
    Projects {
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Add a researcher to a project (owner, coder or viewer).
    AddMember {
        #[arg(long)]
        project: String,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "owner", value_parser = |s: &str| ProjectRole::parse(s).ok_or_else(|| format!("'{s}' is not one of owner, coder, viewer")))]
        role: ProjectRole,
        #[command(flatten)]
        db: DbArgs,
    },
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
    /// missing data): percentage agreement, Cohen's kappa (two coders), Krippendorff's alpha, or Fleiss'
    /// kappa (the same number of raters for every unit).
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
        "fleiss" => "Fleiss' kappa".into(),
        _ => format!("Krippendorff's alpha ({})", a.level.map_or("nominal", Level::key)),
    }
}

impl Qual {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let system = Actor::system("cli");
        match self {
            Qual::ExportQdpx { project, out, db } => {
                let app = db.app().await?;
                let bar = super::spinner("exporting the project");
                let exported = app.qual_export(&system, &project).await;
                let exported = exported.map_err(|e| app_problem("cannot export the project", e))?;
                let bytes = exported.to_qdpx().map_err(|p| {
                    anyhow::anyhow!(
                        "cannot export the project: {}",
                        p.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                    )
                })?;
                std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
                bar.finish_and_clear();
                let codings: usize = exported
                    .sources
                    .iter()
                    .flat_map(|s| &s.selections)
                    .map(|s| s.codings.len())
                    .sum();
                println!(
                    "wrote {} ({} sources, {} codes, {} codings, {} memos, {} participants, {} KiB)",
                    out.display(),
                    exported.sources.len(),
                    exported.codebook.codes.len(),
                    codings,
                    exported.notes.len(),
                    exported.cases.len(),
                    bytes.len().div_ceil(1024)
                );
                Ok(ExitCode::SUCCESS)
            }
            Qual::ImportQdpx { file, owner, org, db } => {
                let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
                let app = db.app().await?;
                let organisation = super::records::organisation(&app, org.as_deref()).await?;
                let bar = super::spinner("importing the project");
                let result = app
                    .qual_import_qdpx(&system, organisation, owner.as_deref(), &bytes)
                    .await;
                bar.finish_and_clear();
                match result {
                    Ok(done) => {
                        println!(
                            "imported {} as project {} ({} sources, {} codings, {} memos)",
                            file.display(),
                            done.project,
                            done.sources,
                            done.codings,
                            done.memos
                        );
                        for s in &done.skipped {
                            println!("  not imported: {s}");
                        }
                        if done.owner.is_none() {
                            println!(
                                "  it has no member yet: add one with `cocare qual add-member --project {} --username NAME`",
                                done.project
                            );
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(AppError::Validation(problems)) => {
                        eprintln!("{}: nothing was imported:", file.display());
                        for p in problems {
                            eprintln!("  {}: {}", file.display(), p.message);
                        }
                        Ok(ExitCode::FAILURE)
                    }
                    Err(e) => Err(app_problem("cannot import the project", e)),
                }
            }
            Qual::Projects { org, db } => {
                let app = db.app().await?;
                let organisation = super::records::organisation(&app, org.as_deref()).await?;
                let all = app
                    .qual_projects_all(&system, organisation)
                    .await
                    .map_err(|e| app_problem("cannot list projects", e))?;
                if all.is_empty() {
                    println!("no qualitative projects");
                }
                for (id, name) in all {
                    println!("{id}  {name}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Qual::AddMember {
                project,
                username,
                role,
                db,
            } => {
                let app = db.app().await?;
                app.set_qual_member(&system, &project, &username, Some(role))
                    .await
                    .map_err(|e| app_problem("cannot add the member", e))?;
                println!("{username} is now {} of project {project}", role.as_str());
                Ok(ExitCode::SUCCESS)
            }
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
                    Metric::Fleiss => fleiss(&data),
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
                } else if let Some(raters) = a.raters {
                    match a.coefficient {
                        Some(c) => println!("{}: {c:.4} ({} units, {raters} raters each)", name(&a), a.units),
                        None => println!(
                            "{}: not defined: {} ({} units, {raters} raters each)",
                            name(&a),
                            a.note,
                            a.units
                        ),
                    }
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
