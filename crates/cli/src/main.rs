//! `cocare`: the one command. Each subcommand lives in `cmd/` and is only wiring: parse the
//! arguments, call `cocare-app` (or the store, for maintenance), print the result.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

#[derive(Parser)]
#[command(name = "cocare", version, about = "cocare: co-produced community mental health care")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (HTML for people, JSON API for programs).
    Serve(cmd::serve::Serve),
    /// Seed a synthetic demo organisation (never real people).
    Demo(cmd::demo::Demo),
    /// Apply database migrations.
    Migrate(cmd::migrate::Migrate),
    /// Manage accounts.
    #[command(subcommand)]
    User(cmd::user::User),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(cmd::audit::Audit),
    /// Write a consistent copy of the whole database to a file.
    Backup(cmd::backup::Backup),
    /// Load a backup into an empty database.
    Restore(cmd::backup::Restore),
    /// Care plans: export as FHIR R4.
    #[command(subcommand)]
    Careplan(cmd::careplan::CarePlan),
    /// Records: import an extract, make a key, Table 1 and reports for a cohort.
    #[command(subcommand)]
    Records(cmd::records::Records),
    /// Economics: cost-effectiveness of PSA output, costs per person, unit-cost tables,
    /// pathway evaluations.
    #[command(subcommand)]
    Econ(cmd::econ::Econ),
    /// The qualitative workbench: intercoder agreement, codebooks, QDPX projects in and out.
    #[command(subcommand)]
    Qual(cmd::qual::Qual),
    /// Engagement and funding change: interrupted time-series of an indicator.
    #[command(subcommand)]
    Engage(cmd::engage::Engage),
    /// Vignettes: the k check of a vignette's quasi-identifying facts against the records.
    #[command(subcommand)]
    Vignette(cmd::vignette::Vignette),
    /// Decision studies: export responses and their data dictionary.
    #[command(subcommand)]
    Study(cmd::study::Study),
    /// Measure the hot paths and print the figures.
    #[command(subcommand)]
    Bench(cmd::bench::Bench),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Benchmarks print their own figures; per-request log lines would drown them.
    cmd::init_logging(if matches!(cli.command, Command::Bench(_)) {
        "warn"
    } else {
        "info,sqlx=warn"
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => args.run().await,
            Command::Demo(args) => args.run().await,
            Command::Migrate(args) => args.run().await,
            Command::User(args) => args.run().await,
            Command::Audit(args) => args.run().await,
            Command::Backup(args) => args.run().await,
            Command::Restore(args) => args.run().await,
            Command::Bench(args) => args.run().await,
            Command::Careplan(args) => args.run().await,
            Command::Records(args) => args.run().await,
            Command::Econ(args) => args.run().await,
            Command::Qual(args) => args.run().await,
            Command::Engage(args) => args.run().await,
            Command::Vignette(args) => args.run().await,
            Command::Study(args) => args.run().await,
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
