//! A pathway evaluation as people read it: tables, and SVG charts drawn beside them (mean cost
//! with intervals, cost-effectiveness plane, acceptability curve, tornado), for the page and for
//! the self-contained HTML report.

use askama::Template;
use cocare_app::econ_domain::boot::Interval;
use cocare_app::econ_domain::evaluate::{Estimate, Report};
use cocare_app::records_domain::sdc::Published;

/// Pounds, rounded, with thousands separators and a true minus sign.
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let sign = if v < -0.5 { "−" } else { "" };
    let whole = v.abs().round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}£{out}")
}

/// A message as a sentence: its first letter a capital.
pub fn sentence(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

fn people(p: Published) -> String {
    p.map_or("hidden (fewer than the threshold)".into(), |n| n.to_string())
}

/// An interval in pounds, or why there is none.
pub fn interval_money(i: &Interval) -> String {
    match i {
        Interval::Range { low, high } => format!("{} to {}", money(*low), money(*high)),
        Interval::Unavailable { why } => format!("none: {why}"),
    }
}

/// An interval of plain numbers, or why there is none.
pub fn interval_plain(i: &Interval, digits: usize) -> String {
    match i {
        Interval::Range { low, high } => format!("{low:.digits$} to {high:.digits$}"),
        Interval::Unavailable { why } => format!("none: {why}"),
    }
}

/// Maps a value range onto pixels.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl Scale {
    fn new(lo: f64, hi: f64, from: f64, to: f64) -> Scale {
        let (lo, hi) = if (hi - lo).abs() < 1e-12 {
            (lo - 1.0, hi + 1.0)
        } else {
            (lo, hi)
        };
        Scale { lo, hi, from, to }
    }

    fn at(&self, v: f64) -> i64 {
        (self.from + (v - self.lo) / (self.hi - self.lo) * (self.to - self.from)).round() as i64
    }
}

pub struct CostBar {
    pub name: String,
    pub y: i64,
    pub x0: i64,
    pub width: i64,
    pub whisker: Option<(i64, i64)>,
    pub label: String,
}

pub struct PathwayLine {
    pub name: String,
    pub description: String,
    pub people: String,
    pub mean: String,
    pub percentile: String,
    pub bca: String,
    pub undiscounted: String,
    pub categories: Vec<String>,
    pub sectors: Vec<(String, String)>,
    pub effect_people: String,
    pub qalys: String,
    pub hidden: bool,
    pub resources: Vec<(String, String, String)>,
    pub by_year: Vec<(String, String, String)>,
}

pub struct DifferenceLine {
    pub label: String,
    pub cost: String,
    pub percentile: String,
    pub bca: String,
    pub qalys: String,
}

pub struct PlanePoint {
    pub x: i64,
    pub y: i64,
    pub class: &'static str,
}

pub struct Curve {
    pub name: String,
    pub points: String,
    pub class: &'static str,
}

pub struct TornadoLine {
    pub resource: String,
    pub y: i64,
    pub x: i64,
    pub width: i64,
    pub low: String,
    pub high: String,
}

pub struct ScenarioView {
    pub description: String,
    pub total: String,
    pub interval: String,
    pub sectors: Vec<(String, String, String, String)>,
}

pub struct CeView {
    pub people: u64,
    pub icers: Vec<(String, String)>,
    pub rows: Vec<Vec<String>>,
    pub headers: Vec<String>,
    pub points: Vec<PlanePoint>,
    pub axis_x: i64,
    pub axis_y: i64,
    pub wtp_line: Option<(i64, i64, i64, i64)>,
    pub wtp_label: String,
    pub plane_names: Vec<(String, &'static str)>,
    pub x_ticks: Vec<(i64, String)>,
    pub y_ticks: Vec<(i64, String)>,
    pub curves: Vec<Curve>,
    pub curve_rows: Vec<Vec<String>>,
    pub evpi: Vec<(String, String)>,
}

/// Everything the templates show.
pub struct EconView {
    pub name: String,
    pub cohort: String,
    pub cohort_people: String,
    pub no_pathway: String,
    pub perspective: String,
    pub horizon: String,
    pub discount: String,
    pub prices: String,
    pub replicates: usize,
    pub seed: u64,
    pub warnings: Vec<String>,
    pub category_headers: Vec<String>,
    pub pathways: Vec<PathwayLine>,
    pub bars: Vec<CostBar>,
    pub bar_height: i64,
    pub bar_zero: i64,
    pub differences: Vec<DifferenceLine>,
    pub ce: Option<CeView>,
    pub tornado: Vec<TornadoLine>,
    pub tornado_outcome: String,
    pub tornado_base: String,
    pub tornado_base_x: i64,
    pub tornado_height: i64,
    pub tornado_change: String,
    pub scenarios: Vec<ScenarioView>,
    pub spec_json: String,
}

const CLASSES: [&str; 4] = ["series-a", "series-b", "series-c", "series-d"];

fn estimate_bar(e: &Estimate) -> Option<(f64, f64)> {
    e.bca.range().or_else(|| e.percentile.range())
}

fn ticks(lo: f64, hi: f64, scale: Scale, format: &dyn Fn(f64) -> String) -> Vec<(i64, String)> {
    let span = (hi - lo).abs().max(1e-9);
    let raw = span / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(magnitude * 10.0);
    let mut out = Vec::new();
    let mut v = (lo / step).ceil() * step;
    while v <= hi + 1e-9 && out.len() < 12 {
        // A tick at zero reads 0, not −0.00.
        let shown = if v.abs() < step * 1e-9 { 0.0 } else { v };
        out.push((scale.at(v), format(shown)));
        v += step;
    }
    out
}

impl EconView {
    pub fn new(r: &Report) -> EconView {
        let category_headers: Vec<String> = r
            .pathways
            .iter()
            .find(|p| !p.by_category.is_empty())
            .map(|p| p.by_category.iter().map(|c| c.label.clone()).collect())
            .unwrap_or_default();
        let pathways: Vec<PathwayLine> = r
            .pathways
            .iter()
            .map(|p| PathwayLine {
                name: p.name.clone(),
                description: p.description.clone(),
                people: people(p.people),
                mean: p.cost.as_ref().map_or("–".into(), |c| money(c.mean)),
                percentile: p.cost.as_ref().map_or("–".into(), |c| interval_money(&c.percentile)),
                bca: p.cost.as_ref().map_or("–".into(), |c| interval_money(&c.bca)),
                undiscounted: p.cost_undiscounted.map_or("–".into(), money),
                categories: p.by_category.iter().map(|c| money(c.mean)).collect(),
                sectors: p.by_sector.iter().map(|s| (s.label.clone(), money(s.mean))).collect(),
                effect_people: people(p.effect_people),
                qalys: p.qalys.as_ref().map_or("–".into(), |q| {
                    format!("{:.3} ({})", q.mean, interval_plain(&q.percentile, 3))
                }),
                hidden: p.hidden,
                by_year: p
                    .by_year
                    .iter()
                    .map(|(y, plain, disc)| (format!("Year {y}"), money(*plain), money(*disc)))
                    .collect(),
                resources: p
                    .resources
                    .iter()
                    .map(|u| {
                        (
                            u.resource.replace('_', " "),
                            format!("{:.2}", u.mean_quantity),
                            money(u.mean_cost),
                        )
                    })
                    .collect(),
            })
            .collect();
        // Mean cost bars with BCa whiskers.
        let shown: Vec<(&str, &Estimate)> = r
            .pathways
            .iter()
            .filter_map(|p| p.cost.as_ref().map(|c| (p.name.as_str(), c)))
            .collect();
        let max = shown
            .iter()
            .map(|(_, e)| estimate_bar(e).map_or(e.mean, |(_, hi)| hi.max(e.mean)))
            .fold(0.0f64, f64::max);
        let min = shown
            .iter()
            .map(|(_, e)| estimate_bar(e).map_or(e.mean, |(lo, _)| lo.min(e.mean)))
            .fold(0.0f64, f64::min);
        let scale = Scale::new(min, max.max(1.0), 230.0, 600.0);
        let bars = shown
            .iter()
            .enumerate()
            .map(|(i, (name, e))| {
                let zero = scale.at(0.0);
                let end = scale.at(e.mean);
                CostBar {
                    name: (*name).to_string(),
                    y: i as i64 * 44 + 10,
                    x0: zero.min(end),
                    width: (end - zero).abs().max(1),
                    whisker: estimate_bar(e).map(|(lo, hi)| (scale.at(lo), scale.at(hi))),
                    label: money(e.mean),
                }
            })
            .collect::<Vec<_>>();
        let bar_height = bars.len() as i64 * 44 + 20;
        let differences = r
            .differences
            .iter()
            .map(|d| DifferenceLine {
                label: format!("{} − {}", d.pathway, d.reference),
                cost: money(d.cost.mean),
                percentile: interval_money(&d.cost.percentile),
                bca: interval_money(&d.cost.bca),
                qalys: d.qalys.as_ref().map_or("–".into(), |q| {
                    format!("{:+.4} ({})", q.mean, interval_plain(&q.percentile, 4))
                }),
            })
            .collect();
        let ce = r.cost_effectiveness.as_ref().map(|ce| {
            let all: Vec<(f64, f64)> = ce.plane.iter().flat_map(|(_, pts)| pts.iter().copied()).collect();
            let (mut xlo, mut xhi, mut ylo, mut yhi) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            for (c, e) in &all {
                xlo = xlo.min(*e);
                xhi = xhi.max(*e);
                ylo = ylo.min(*c);
                yhi = yhi.max(*c);
            }
            let pad = |lo: f64, hi: f64| {
                let span = (hi - lo).max(1e-9);
                (lo - span * 0.05, hi + span * 0.05)
            };
            let (xlo, xhi) = pad(xlo, xhi);
            let (ylo, yhi) = pad(ylo, yhi);
            let sx = Scale::new(xlo, xhi, 100.0, 620.0);
            let sy = Scale::new(ylo, yhi, 370.0, 20.0);
            let points = ce
                .plane
                .iter()
                .enumerate()
                .flat_map(|(i, (_, pts))| {
                    let class = CLASSES.get(i % CLASSES.len()).copied().unwrap_or("series-a");
                    pts.iter().map(move |(c, e)| PlanePoint {
                        x: sx.at(*e),
                        y: sy.at(*c),
                        class,
                    })
                })
                .collect();
            // The first threshold as a line through the origin: Δc = k·Δe.
            let k = r.spec.wtp.first().copied().unwrap_or(20_000.0);
            let (x1, x2) = (xlo, xhi);
            let (mut y1, mut y2) = (k * x1, k * x2);
            let (mut ex1, mut ex2) = (x1, x2);
            if k > 0.0 {
                if y1 < ylo {
                    ex1 = ylo / k;
                    y1 = ylo;
                }
                if y2 > yhi {
                    ex2 = yhi / k;
                    y2 = yhi;
                }
            }
            let wtp_line = (k > 0.0).then(|| (sx.at(ex1), sy.at(y1), sx.at(ex2), sy.at(y2)));
            let headers: Vec<String> = std::iter::once("Comparison".to_string())
                .chain(["Incremental cost".to_string(), "Incremental QALYs".to_string()])
                .chain(r.spec.wtp.iter().flat_map(|k| {
                    [
                        format!("INB at {} per QALY", money(*k)),
                        format!("Probability cost-effective at {}", money(*k)),
                    ]
                }))
                .collect();
            let rows = ce
                .cea
                .comparisons
                .iter()
                .map(|c| {
                    let mut row = vec![
                        format!("{} against {}", c.option, ce.cea.reference),
                        money(c.mean_incremental_cost),
                        format!("{:+.4}", c.mean_incremental_effect),
                    ];
                    for (inb, p) in c.inb.iter().zip(&c.ceac) {
                        row.push(money(*inb));
                        row.push(format!("{p:.2}"));
                    }
                    row
                })
                .collect();
            let cx = Scale::new(0.0, ce.curve_wtp.last().copied().unwrap_or(100_000.0), 70.0, 620.0);
            let cy = Scale::new(0.0, 1.0, 250.0, 20.0);
            let curves = ce
                .curve
                .iter()
                .enumerate()
                .map(|(i, (name, probs))| Curve {
                    name: name.clone(),
                    points: ce
                        .curve_wtp
                        .iter()
                        .zip(probs)
                        .map(|(k, p)| format!("{},{}", cx.at(*k), cy.at(*p)))
                        .collect::<Vec<_>>()
                        .join(" "),
                    class: CLASSES.get(i % CLASSES.len()).copied().unwrap_or("series-a"),
                })
                .collect();
            let curve_rows = ce
                .curve_wtp
                .iter()
                .enumerate()
                .step_by(5)
                .map(|(i, k)| {
                    std::iter::once(money(*k))
                        .chain(
                            ce.curve
                                .iter()
                                .map(|(_, p)| format!("{:.2}", p.get(i).copied().unwrap_or(f64::NAN))),
                        )
                        .collect()
                })
                .collect();
            CeView {
                people: ce.people,
                icers: ce
                    .icers
                    .iter()
                    .map(|(n, i)| {
                        (
                            n.clone(),
                            i.value
                                .map_or(i.note.clone(), |v| format!("{} per QALY: {}", money(v), i.note)),
                        )
                    })
                    .collect(),
                rows,
                headers,
                points,
                axis_x: sy.at(0.0),
                axis_y: sx.at(0.0),
                wtp_line,
                wtp_label: format!("{} per QALY", money(k)),
                plane_names: ce
                    .plane
                    .iter()
                    .enumerate()
                    .map(|(i, (n, _))| (n.clone(), CLASSES.get(i % CLASSES.len()).copied().unwrap_or("series-a")))
                    .collect(),
                x_ticks: ticks(xlo, xhi, sx, &|v| format!("{v:.2}")),
                y_ticks: ticks(ylo, yhi, sy, &money),
                curves,
                curve_rows,
                evpi: r
                    .spec
                    .wtp
                    .iter()
                    .zip(&ce.cea.evpi)
                    .map(|(k, e)| (money(*k), money(*e)))
                    .collect(),
            }
        });
        let (tornado, tornado_outcome, tornado_base, tornado_base_x, tornado_change) = match &r.tornado {
            Some(t) => {
                let lo = t.bars.iter().map(|b| b.low).fold(t.base, f64::min);
                let hi = t.bars.iter().map(|b| b.high).fold(t.base, f64::max);
                let s = Scale::new(lo, hi, 250.0, 600.0);
                let lines = t
                    .bars
                    .iter()
                    .enumerate()
                    .map(|(i, b)| TornadoLine {
                        resource: b.resource.replace('_', " "),
                        y: i as i64 * 30 + 30,
                        x: s.at(b.low),
                        width: (s.at(b.high) - s.at(b.low)).max(1),
                        low: money(b.low),
                        high: money(b.high),
                    })
                    .collect();
                (
                    lines,
                    t.outcome.clone(),
                    money(t.base),
                    s.at(t.base),
                    format!("{:.0}%", t.change * 100.0),
                )
            }
            None => (Vec::new(), String::new(), String::new(), 0, String::new()),
        };
        let tornado_height = tornado.len() as i64 * 30 + 40;
        let scenarios = r
            .scenarios
            .iter()
            .map(|s| ScenarioView {
                description: s.description.clone(),
                total: s
                    .total_change
                    .as_ref()
                    .map_or("hidden (too few people)".into(), |e| money(e.mean)),
                interval: s
                    .total_change
                    .as_ref()
                    .map_or("–".into(), |e| interval_money(&e.percentile)),
                sectors: s
                    .by_sector
                    .iter()
                    .map(|c| {
                        (
                            c.sector.label().to_string(),
                            money(c.before),
                            money(c.after),
                            money(c.after - c.before),
                        )
                    })
                    .collect(),
            })
            .collect();
        EconView {
            name: r.spec.name.clone(),
            cohort: r.cohort.clone(),
            cohort_people: people(r.cohort_people),
            no_pathway: people(r.no_pathway),
            perspective: r.perspective.clone(),
            horizon: format!("{} years", r.spec.horizon_years),
            discount: format!(
                "{:.1}% a year for costs, {:.1}% for QALYs",
                r.spec.discount_rate * 100.0,
                r.spec.effect_discount_rate * 100.0
            ),
            prices: format!(
                "{} at {} prices",
                r.currency,
                r.price_years
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            replicates: r.spec.replicates,
            seed: r.spec.seed,
            warnings: r.warnings.iter().map(|w| sentence(w)).collect(),
            category_headers,
            pathways,
            bar_zero: scale.at(0.0),
            bars,
            bar_height,
            differences,
            ce,
            tornado,
            tornado_outcome,
            tornado_base,
            tornado_base_x,
            tornado_height,
            tornado_change,
            scenarios,
            spec_json: serde_json::to_string_pretty(&r.spec).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "econ_report.html")]
struct ReportPage<'a> {
    r: &'a EconView,
    generated: String,
    css: &'static str,
}

/// The self-contained HTML report of an evaluation.
pub fn html(report: &Report) -> anyhow::Result<String> {
    let view = EconView::new(report);
    let page = ReportPage {
        r: &view,
        generated: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        css: include_str!("../static/cocare.css"),
    };
    Ok(page.render()?)
}
