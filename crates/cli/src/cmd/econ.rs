//! `cocare econ`: cost-effectiveness from PSA output, per-person costs from records, unit-cost
//! tables, and pathway evaluations over the imported records.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Subcommand;
use cocare_analytics::costing::{CategoryCosts, ResourceUse, cost_by_category, read_records, read_resource_use};
use cocare_analytics::dataset::{Dataset, Manifest};
use cocare_app::econ_domain::cea::{self, Cea, Simulations};
use cocare_app::econ_domain::costs::{Category, InflationIndex, Perspective, UnitCostTable, format_cost};
use cocare_app::econ_domain::evaluate::{EvaluationSpec, Report};
use cocare_core::Actor;
use cocare_web::econ_report::{interval_money, interval_plain, money};
use indicatif::{ProgressBar, ProgressStyle};

use super::DbArgs;
use super::records::{RecordsArgs, read_definition};

fn perspective(s: &str) -> Result<Perspective, String> {
    Perspective::parse(s).ok_or_else(|| format!("'{s}' is not one of nhs_pss, public_sector, societal"))
}

#[derive(Subcommand)]
pub enum Econ {
    /// Cost-effectiveness of a model's probabilistic sensitivity analysis (CSV: sim,option,cost,effect).
    Cea {
        #[arg(long)]
        psa: PathBuf,
        /// The option the others are compared with (default: the first in the file).
        #[arg(long)]
        reference: Option<String>,
        /// Willingness-to-pay thresholds per unit of effect, comma-separated.
        #[arg(long, default_value = "20000,30000")]
        wtp: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Cost per person and category: from a records dataset folder (or one of its versions), or
    /// a resource-use Parquet file (pid, day, resource, quantity). One row per person and category.
    Cost {
        #[arg(long)]
        records: PathBuf,
        /// A unit-cost table (CSV; `cocare econ unit-costs` prints the default). Default: the UK default.
        #[arg(long = "unit-costs")]
        unit_costs: Option<PathBuf>,
        #[arg(long, value_parser = perspective, default_value = "nhs_pss")]
        perspective: Perspective,
        /// Discount rate a year, from each person's first event.
        #[arg(long = "discount-rate", default_value_t = 0.035)]
        discount_rate: f64,
        /// The CSV to write: person,category,cost,discounted_cost.
        #[arg(long)]
        out: PathBuf,
        /// The database the reading of records is audited in.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the default UK unit-cost table, or check a table, or inflate one to another price year.
    UnitCosts {
        /// A table to read instead of the default.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Move every figure to this price year with the NHS Cost Inflation Index.
        #[arg(long = "inflate-to")]
        inflate_to: Option<i32>,
        /// Write the table here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Evaluate care pathways (a cocare.econ/1 JSON file) over the imported records.
    Evaluate {
        /// The evaluation; `--example` prints one to start from.
        #[arg(long, required_unless_present = "example")]
        spec: Option<PathBuf>,
        /// A cohort definition file; default: everyone in the records.
        #[arg(long)]
        cohort: Option<PathBuf>,
        #[arg(long = "unit-costs")]
        unit_costs: Option<PathBuf>,
        /// The organisation whose records to use (name or id); default: the only one.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        records: RecordsArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the self-contained HTML report.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Print an example evaluation (crisis home treatment first or admission first) and stop.
        #[arg(long)]
        example: bool,
    },
}

pub fn read_table(path: Option<&Path>) -> anyhow::Result<UnitCostTable> {
    let Some(path) = path else {
        return Ok(UnitCostTable::default_uk());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    UnitCostTable::parse_csv(&text).map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .take(20)
            .map(|p| format!("  {}: {p}", path.display()))
            .collect();
        anyhow::anyhow!(
            "the unit-cost table has {} problem(s):\n{}",
            problems.len(),
            lines.join("\n")
        )
    })
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar.set_message(message.to_string());
    bar
}

impl Econ {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Econ::Cea {
                psa,
                reference,
                wtp,
                json,
            } => cea_command(&psa, reference.as_deref(), &wtp, json),
            Econ::Cost {
                records,
                unit_costs,
                perspective,
                discount_rate,
                out,
                db,
            } => cost_command(&records, unit_costs.as_deref(), perspective, discount_rate, &out, &db).await,
            Econ::UnitCosts { from, inflate_to, out } => {
                let mut table = read_table(from.as_deref())?;
                if let Some(year) = inflate_to {
                    table = table.inflate(&InflationIndex::uk(), year).map_err(anyhow::Error::msg)?;
                }
                match out {
                    Some(path) => {
                        std::fs::write(&path, table.to_csv())
                            .with_context(|| format!("cannot write {}", path.display()))?;
                        eprintln!("wrote {} ({} unit costs)", path.display(), table.entries.len());
                    }
                    None => print!("{}", table.to_csv()),
                }
                Ok(ExitCode::SUCCESS)
            }
            Econ::Evaluate {
                spec,
                cohort,
                unit_costs,
                org,
                db,
                records,
                json,
                html,
                example,
            } => {
                if example {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&EvaluationSpec::crisis_vs_inpatient())?
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                let Some(spec_path) = spec else {
                    bail!("give --spec FILE (or --example)")
                };
                let text = std::fs::read_to_string(&spec_path)
                    .with_context(|| format!("cannot read {}", spec_path.display()))?;
                let spec = EvaluationSpec::parse(&text).map_err(|problems| {
                    let lines: Vec<String> = problems
                        .iter()
                        .map(|p| format!("  {}: {p}", spec_path.display()))
                        .collect();
                    anyhow::anyhow!("the evaluation has problems:\n{}", lines.join("\n"))
                })?;
                let definition = cohort.as_deref().map(read_definition).transpose()?;
                let table = read_table(unit_costs.as_deref())?;
                let app = records.app(&db).await?;
                let organisation = match org.as_deref() {
                    Some(name) => Some(
                        app.organisation_named(name)
                            .await?
                            .map(|o| o.id)
                            .with_context(|| format!("no organisation is called {name}"))?,
                    ),
                    None => None,
                };
                let bar = spinner("evaluating");
                let outcome = app
                    .evaluate_definition(
                        &Actor::system("econ-cli"),
                        organisation,
                        definition,
                        &spec,
                        table,
                        &format!(
                            "evaluation-file:{}",
                            spec.name
                                .chars()
                                .filter(char::is_ascii_alphanumeric)
                                .take(40)
                                .collect::<String>()
                        ),
                    )
                    .await?;
                bar.finish_and_clear();
                let report = match outcome {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!("The evaluation cannot be made: {e}");
                        return Ok(ExitCode::FAILURE);
                    }
                };
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{}", report_text(&report));
                }
                if let Some(path) = html {
                    let page = cocare_web::econ_report::html(&report)?;
                    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

fn cea_command(psa: &Path, reference: Option<&str>, wtp: &str, json: bool) -> anyhow::Result<ExitCode> {
    let wtp = cea::parse_thresholds(wtp).map_err(|e| anyhow::anyhow!("--wtp: {e}"))?;
    let text = std::fs::read_to_string(psa).with_context(|| format!("cannot read {}", psa.display()))?;
    let sims = match Simulations::parse_psa(&text) {
        Ok(s) => s,
        Err(problems) => {
            eprintln!(
                "{} has {} problem(s); nothing was computed:",
                psa.display(),
                problems.len()
            );
            for p in problems.iter().take(20) {
                eprintln!("  {}: {p}", psa.display());
            }
            if problems.len() > 20 {
                eprintln!("  … and {} more.", problems.len() - 20);
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let reference = reference.map_or_else(|| sims.options.first().cloned().unwrap_or_default(), str::to_string);
    let options = sims.options.join(", ");
    let Some(sims) = sims.with_reference_first(&reference) else {
        bail!(
            "--reference {reference}: the options in {} are {options}",
            psa.display()
        );
    };
    let result = cea::analyse(&sims, 0, &wtp).map_err(anyhow::Error::msg)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&cea_json(&result))?);
    } else {
        print!("{}", cea_text(&result));
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON of `econ cea`: one object per option against the reference, and the set's EVPI.
pub fn cea_json(r: &Cea) -> serde_json::Value {
    let options: Vec<serde_json::Value> = r
        .comparisons
        .iter()
        .map(|c| {
            serde_json::json!({
                "option": c.option,
                "mean_cost": c.mean_cost,
                "mean_effect": c.mean_effect,
                "mean_incremental_cost": c.mean_incremental_cost,
                "mean_incremental_effect": c.mean_incremental_effect,
                "icer": c.icer.value,
                "icer_note": c.icer.note,
                "inb": c.inb,
                "ceac": c.ceac,
            })
        })
        .collect();
    let prob_best: serde_json::Map<String, serde_json::Value> = r
        .prob_best
        .iter()
        .map(|(o, p)| (o.clone(), serde_json::json!(p)))
        .collect();
    serde_json::json!({
        "reference": r.reference,
        "reference_mean_cost": r.reference_mean_cost,
        "reference_mean_effect": r.reference_mean_effect,
        "simulations": r.simulations,
        "wtp": r.wtp,
        "options": options,
        "prob_best": prob_best,
        "evpi": r.evpi,
    })
}

pub fn cea_text(r: &Cea) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Reference: {} ({} simulations): mean cost {}, mean effect {:.4}",
        r.reference,
        r.simulations,
        money(r.reference_mean_cost),
        r.reference_mean_effect
    );
    for c in &r.comparisons {
        let _ = writeln!(s, "\n{} against {}", c.option, r.reference);
        let _ = writeln!(
            s,
            "  mean cost {}, mean effect {:.4}",
            money(c.mean_cost),
            c.mean_effect
        );
        let _ = writeln!(
            s,
            "  incremental cost {}, incremental effect {:.4}",
            money(c.mean_incremental_cost),
            c.mean_incremental_effect
        );
        match c.icer.value {
            Some(v) => {
                let _ = writeln!(s, "  ICER {} per unit of effect ({})", money(v), c.icer.note);
            }
            None => {
                let _ = writeln!(s, "  ICER: {}", c.icer.note);
            }
        }
        for (i, k) in r.wtp.iter().enumerate() {
            let _ = writeln!(
                s,
                "  at {} per unit: INB {}, CEAC {:.3}",
                money(*k),
                money(c.inb.get(i).copied().unwrap_or(f64::NAN)),
                c.ceac.get(i).copied().unwrap_or(f64::NAN)
            );
        }
    }
    let _ = writeln!(
        s,
        "\nProbability each option is the most cost-effective, and EVPI per person:"
    );
    for (i, k) in r.wtp.iter().enumerate() {
        let probs: Vec<String> = r
            .prob_best
            .iter()
            .map(|(o, p)| format!("{o} {:.3}", p.get(i).copied().unwrap_or(f64::NAN)))
            .collect();
        let _ = writeln!(
            s,
            "  at {}: {}; EVPI {}",
            money(*k),
            probs.join(", "),
            money(r.evpi.get(i).copied().unwrap_or(f64::NAN))
        );
    }
    s
}

/// What `--records` points at.
enum Source {
    Version(PathBuf, Manifest),
    Plain(PathBuf),
}

fn source(path: &Path) -> anyhow::Result<Source> {
    if path.join("CURRENT").is_file() {
        let (Some(root), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
            bail!("{} is not a dataset folder", path.display());
        };
        let (dir, manifest) = Dataset::new(root, name)?
            .current()?
            .with_context(|| format!("{} has no version in use", path.display()))?;
        return Ok(Source::Version(dir, manifest));
    }
    if path.join("manifest.json").is_file() {
        let text = std::fs::read_to_string(path.join("manifest.json"))?;
        let manifest: Manifest =
            serde_json::from_str(&text).with_context(|| format!("{}/manifest.json", path.display()))?;
        return Ok(Source::Version(path.to_path_buf(), manifest));
    }
    if path.exists() {
        return Ok(Source::Plain(path.to_path_buf()));
    }
    bail!("{} does not exist", path.display())
}

async fn cost_command(
    records: &Path,
    unit_costs: Option<&Path>,
    perspective: Perspective,
    rate: f64,
    out: &Path,
    db: &DbArgs,
) -> anyhow::Result<ExitCode> {
    if !(0.0..=0.2).contains(&rate) {
        bail!("--discount-rate {rate} is outside 0 to 0.2 (3.5% a year is 0.035)");
    }
    let table = read_table(unit_costs)?;
    let started = Instant::now();
    let bar = spinner("reading resource use");
    let (ru, names): (ResourceUse, Option<Vec<String>>) = match source(records)? {
        Source::Version(dir, manifest) => {
            let app = db.app().await?;
            app.audit_costing(
                &Actor::system("econ-cli"),
                None,
                &format!("econ-cost:{}", manifest.version),
            )
            .await?;
            let people = usize::try_from(manifest.people).unwrap_or(0);
            let events = read_records(&dir, people, manifest.last_day.unwrap_or(0))?;
            let names = cocare_analytics::costing::read_pseudonyms(&dir, people)?;
            (events.resource_use(), Some(names))
        }
        Source::Plain(path) => (read_resource_use(&path)?, None),
    };
    bar.set_message(format!("costing {} events", ru.events()));
    let costs = match cost_by_category(&ru, &table, perspective, rate) {
        Ok(c) => c,
        Err(e) => {
            bar.finish_and_clear();
            eprintln!("Nothing was written: {e}.");
            eprintln!(
                "Add the missing figures to a copy of the table (`cocare econ unit-costs --out FILE`) and pass it with --unit-costs."
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    bar.set_message(format!("writing {}", out.display()));
    write_costs(out, &costs, names.as_deref())?;
    bar.finish_and_clear();
    let totals: Vec<String> = Category::ALL
        .iter()
        .map(|c| {
            let total: f64 = costs
                .discounted
                .iter()
                .skip(c.index())
                .step_by(Category::ALL.len())
                .sum();
            format!("{} {}", c.label().to_lowercase(), money(total))
        })
        .collect();
    println!(
        "Costed {} events for {} people ({} perspective, {:.1}% a year) in {:.2} s: {}.",
        ru.events(),
        costs.people,
        perspective.label(),
        rate * 100.0,
        started.elapsed().as_secs_f64(),
        totals.join(", ")
    );
    println!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn write_costs(out: &Path, costs: &CategoryCosts, names: Option<&[String]>) -> anyhow::Result<()> {
    // Written to a temporary file first, so a failure leaves no half-written output.
    let tmp = out.with_extension("csv.part");
    let file = std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "person,category,cost,discounted_cost")?;
    let slots = Category::ALL.len();
    for p in 0..costs.people {
        let person = match names {
            Some(n) => n.get(p).cloned().unwrap_or_default(),
            None => p.to_string(),
        };
        for c in Category::ALL {
            let i = p * slots + c.index();
            writeln!(
                w,
                "{person},{},{},{}",
                c.key(),
                format_cost(costs.undiscounted.get(i).copied().unwrap_or(0.0)),
                format_cost(costs.discounted.get(i).copied().unwrap_or(0.0))
            )?;
        }
    }
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

/// A pathway evaluation as text.
pub fn report_text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", r.spec.name);
    let people = |p: Option<u64>| p.map_or("fewer than the disclosure threshold".to_string(), |n| n.to_string());
    let _ = writeln!(
        s,
        "Cohort: {} ({} people; {} on no pathway). Perspective: {}. Horizon {} years, discounted {:.1}% a year. Prices: {} {:?}.",
        r.cohort,
        people(r.cohort_people),
        people(r.no_pathway),
        r.perspective,
        r.spec.horizon_years,
        r.spec.discount_rate * 100.0,
        r.currency,
        r.price_years
    );
    for w in &r.warnings {
        let _ = writeln!(s, "Note: {w}");
    }
    for p in &r.pathways {
        let _ = writeln!(s, "\n{} ({}): {} people", p.name, p.description, people(p.people));
        if let Some(c) = &p.cost {
            let _ = writeln!(
                s,
                "  mean cost per person {} (95% CI percentile {}, BCa {}); undiscounted {}",
                money(c.mean),
                interval_money(&c.percentile),
                interval_money(&c.bca),
                money(p.cost_undiscounted.unwrap_or(f64::NAN))
            );
            for share in &p.by_category {
                let _ = writeln!(s, "    {}: {}", share.label, money(share.mean));
            }
        }
        if let Some(q) = &p.qalys {
            let _ = writeln!(s, "  mean QALYs {:.3} ({})", q.mean, interval_plain(&q.percentile, 3));
        }
    }
    for d in &r.differences {
        let _ = writeln!(
            s,
            "\n{} − {}: cost {} (percentile {}, BCa {})",
            d.pathway,
            d.reference,
            money(d.cost.mean),
            interval_money(&d.cost.percentile),
            interval_money(&d.cost.bca)
        );
        if let Some(q) = &d.qalys {
            let _ = writeln!(s, "  QALYs {:+.4} ({})", q.mean, interval_plain(&q.percentile, 3));
        }
    }
    if let Some(ce) = &r.cost_effectiveness {
        let _ = writeln!(s, "\nCost-effectiveness ({} people with utilities):", ce.people);
        for (name, icer) in &ce.icers {
            let _ = writeln!(
                s,
                "  {name}: ICER {}",
                icer.value
                    .map_or(icer.note.clone(), |v| format!("{} per QALY ({})", money(v), icer.note))
            );
        }
        s.push_str(&indent(&cea_text(&ce.cea)));
    }
    for sc in &r.scenarios {
        let change = sc.total_change.as_ref().map_or("hidden (too few people)".into(), |e| {
            format!("{} ({})", money(e.mean), interval_money(&e.percentile))
        });
        let _ = writeln!(s, "\nBudget impact, {}: total change {}", sc.description, change);
    }
    s
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}
