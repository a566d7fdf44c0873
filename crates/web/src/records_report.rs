//! A cohort's published characterisation as people see it: the view that the cohort page and
//! the self-contained HTML report share, the SVG charts' geometry, and the XLSX workbook.
//! Built only from a `PublishedReport`, so nothing here can show what disclosure control hid.

use askama::Template;
use cocare_records::cohort::{CohortDefinition, describe};
use cocare_records::pathways::step_label;
use cocare_records::report::{PublishedReport, disclosure_note};
use cocare_records::sdc::Published;

pub fn count(p: Published) -> String {
    p.map(|n| n.to_string()).unwrap_or_else(|| "[c]".into())
}

fn rate(r: Option<f64>) -> String {
    r.map(|v| {
        if v >= 10.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.2}")
        }
    })
    .unwrap_or_else(|| "[c]".into())
}

pub struct AttritionLine {
    pub label: String,
    pub remaining: String,
    pub excluded: String,
    pub alone: String,
}

pub struct Table1Line {
    pub variable: String,
    pub line: String,
    pub cohort: String,
    pub rest: String,
    pub smd: String,
    /// The variable's heading row comes before this line.
    pub heading: bool,
    /// The statistic sits on the heading row itself (one-line variables).
    pub inline: bool,
}

pub struct RateLine {
    pub label: String,
    pub people: [String; 2],
    pub events: [String; 2],
    pub per_year: [String; 2],
}

pub struct PathwayLine {
    pub steps: String,
    pub people: String,
    pub gaps: String,
}

/// A horizontal grouped bar: cohort and everyone else.
pub struct Bar {
    pub label: String,
    pub y: u32,
    pub widths: [u32; 2],
    pub values: [String; 2],
}

pub struct ResultsView {
    pub name: String,
    pub index_date: String,
    pub window_months: u32,
    pub population: String,
    pub groups: [String; 2],
    pub n: [String; 2],
    pub note: String,
    pub attrition_rounded: bool,
    pub attrition: Vec<AttritionLine>,
    pub table1: Vec<Table1Line>,
    pub rates: Vec<RateLine>,
    pub rate_bars: Vec<Bar>,
    pub rate_chart_height: u32,
    pub pathways: Vec<PathwayLine>,
    pub pathway_other: String,
    pub pathway_total: String,
    pub pathway_bars: Vec<Bar>,
    pub pathway_chart_height: u32,
    pub criteria: Vec<String>,
}

const CHART_WIDTH: f64 = 300.0;

impl ResultsView {
    pub fn new(r: &PublishedReport, definition: &CohortDefinition) -> ResultsView {
        let attrition = r
            .attrition
            .iter()
            .map(|s| AttritionLine {
                label: s.label.clone(),
                remaining: count(s.remaining),
                excluded: count(s.excluded),
                alone: count(s.alone),
            })
            .collect();
        let mut table1 = Vec::new();
        for row in &r.table1 {
            let inline = row.first && (row.line == "n (%)");
            table1.push(Table1Line {
                variable: row.variable.clone(),
                line: row.line.clone(),
                cohort: row.cells[0].text(),
                rest: row.cells[1].text(),
                smd: row.smd.map(|s| format!("{s:.2}")).unwrap_or_default(),
                heading: row.first && !inline,
                inline,
            });
        }
        let rates: Vec<RateLine> = r
            .rates
            .iter()
            .map(|x| RateLine {
                label: x.label.clone(),
                people: [count(x.people[0]), count(x.people[1])],
                events: [count(x.events[0]), count(x.events[1])],
                per_year: [rate(x.per_person_year[0]), rate(x.per_person_year[1])],
            })
            .collect();
        // The chart: the twelve services the cohort uses most, per person-year.
        let mut charted: Vec<_> = r.rates.iter().filter(|x| x.code != "bed_days").collect();
        charted.sort_by(|a, b| {
            b.per_person_year[0]
                .unwrap_or(-1.0)
                .total_cmp(&a.per_person_year[0].unwrap_or(-1.0))
        });
        charted.truncate(12);
        let max = charted
            .iter()
            .flat_map(|x| x.per_person_year.iter().flatten())
            .fold(0.0f64, |a, b| a.max(*b))
            .max(1e-9);
        let rate_bars: Vec<Bar> = charted
            .iter()
            .enumerate()
            .map(|(i, x)| Bar {
                label: x.label.clone(),
                y: i as u32 * 40 + 8,
                widths: x
                    .per_person_year
                    .map(|r| (r.unwrap_or(0.0) / max * CHART_WIDTH).round() as u32),
                values: [rate(x.per_person_year[0]), rate(x.per_person_year[1])],
            })
            .collect();
        let pathways: Vec<PathwayLine> = r
            .pathways
            .shown
            .iter()
            .map(|(p, people)| PathwayLine {
                steps: p.steps.iter().map(|s| step_label(s)).collect::<Vec<_>>().join(" → "),
                people: count(*people),
                gaps: p
                    .median_days
                    .iter()
                    .map(|d| d.map(|d| format!("{d:.0}")).unwrap_or_else(|| "–".into()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect();
        let most = r
            .pathways
            .shown
            .iter()
            .filter_map(|(_, n)| *n)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let pathway_bars: Vec<Bar> = r
            .pathways
            .shown
            .iter()
            .enumerate()
            .map(|(i, (_, n))| Bar {
                // Pathways are long to name; the chart numbers them and the table names them.
                label: format!("Pathway {}", i + 1),
                y: i as u32 * 40 + 8,
                widths: [(n.unwrap_or(0) as f64 / most * CHART_WIDTH).round() as u32, 0],
                values: [count(*n), String::new()],
            })
            .collect();
        ResultsView {
            name: r.cohort_name.clone(),
            index_date: r.index_date.to_string(),
            window_months: r.window_months,
            population: count(r.population),
            groups: r.groups.clone(),
            n: [count(r.n[0]), count(r.n[1])],
            note: disclosure_note(&r.disclosure),
            attrition_rounded: r.attrition_rounded,
            attrition,
            table1,
            rate_chart_height: rate_bars.len() as u32 * 40 + 16,
            rate_bars,
            rates,
            pathway_chart_height: pathway_bars.len() as u32 * 40 + 16,
            pathway_bars,
            pathways,
            pathway_other: count(r.pathways.other),
            pathway_total: count(r.pathways.total),
            criteria: definition
                .labels()
                .into_iter()
                .zip(&definition.criteria)
                .map(|(label, c)| {
                    let rule = describe(&c.rule);
                    if label == rule {
                        rule
                    } else {
                        format!("{label}: {rule}")
                    }
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "records_report.html")]
struct ReportPage<'a> {
    r: &'a ResultsView,
    json: String,
    generated: String,
    css: &'static str,
}

/// The self-contained HTML report: one file, its styles inline, no scripts, no links out.
pub fn html(report: &PublishedReport, definition: &CohortDefinition) -> anyhow::Result<String> {
    let view = ResultsView::new(report, definition);
    let page = ReportPage {
        r: &view,
        json: definition.to_json(),
        generated: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        css: include_str!("../static/cocare.css"),
    };
    Ok(page.render()?)
}

/// The same tables as an XLSX workbook, one sheet each.
pub fn xlsx(report: &PublishedReport) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let view_definition = CohortDefinition {
        schema: cocare_records::cohort::SCHEMA.into(),
        name: report.cohort_name.clone(),
        description: String::new(),
        index_date: report.index_date,
        window_months: report.window_months,
        criteria: Vec::new(),
    };
    let v = ResultsView::new(report, &view_definition);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    type Sheet<'a> = (&'a str, Vec<String>, Vec<Vec<String>>);
    let sheets: Vec<Sheet<'_>> = vec![
        (
            "Attrition",
            vec![
                "Criterion".into(),
                "People remaining".into(),
                "Excluded at this step".into(),
                "Meet it on its own".into(),
            ],
            std::iter::once(vec![
                "Everyone in the dataset".into(),
                v.population.clone(),
                String::new(),
                String::new(),
            ])
            .chain(v.attrition.iter().map(|a| {
                vec![
                    a.label.clone(),
                    a.remaining.clone(),
                    a.excluded.clone(),
                    a.alone.clone(),
                ]
            }))
            .collect(),
        ),
        (
            "Table 1",
            vec![
                "Variable".into(),
                "Statistic".into(),
                format!("{} (n={})", v.groups[0], v.n[0]),
                format!("{} (n={})", v.groups[1], v.n[1]),
                "SMD".into(),
            ],
            v.table1
                .iter()
                .map(|t| {
                    vec![
                        t.variable.clone(),
                        t.line.clone(),
                        t.cohort.clone(),
                        t.rest.clone(),
                        t.smd.clone(),
                    ]
                })
                .collect(),
        ),
        (
            "Service use",
            vec![
                "Service or agency".into(),
                format!("People, {}", v.groups[0]),
                format!("Events, {}", v.groups[0]),
                format!("Per person-year, {}", v.groups[0]),
                format!("People, {}", v.groups[1]),
                format!("Events, {}", v.groups[1]),
                format!("Per person-year, {}", v.groups[1]),
            ],
            v.rates
                .iter()
                .map(|x| {
                    vec![
                        x.label.clone(),
                        x.people[0].clone(),
                        x.events[0].clone(),
                        x.per_year[0].clone(),
                        x.people[1].clone(),
                        x.events[1].clone(),
                        x.per_year[1].clone(),
                    ]
                })
                .collect(),
        ),
        (
            "Pathways",
            vec![
                "Pathway (first use of each service)".into(),
                "People".into(),
                "Median days between steps".into(),
            ],
            v.pathways
                .iter()
                .map(|p| vec![p.steps.clone(), p.people.clone(), p.gaps.clone()])
                .chain(std::iter::once(vec![
                    "Other pathways".into(),
                    v.pathway_other.clone(),
                    String::new(),
                ]))
                .collect(),
        ),
    ];
    for (name, header, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                // Numbers as numbers, so a spreadsheet can sum them; "[c]" and labels as text.
                match cell.parse::<f64>() {
                    Ok(n) if c > 0 => sheet.write_number(r as u32 + 1, c as u16, n)?,
                    _ => sheet.write_string(r as u32 + 1, c as u16, cell)?,
                };
            }
        }
        sheet.autofit();
    }
    let about = book.add_worksheet();
    about.set_name("About")?;
    about.write_string_with_format(0, 0, format!("{}: cohort characterisation", v.name), &bold)?;
    about.write_string(
        1,
        0,
        format!(
            "Index date {}; service use over the {} months before it.",
            v.index_date, v.window_months
        ),
    )?;
    about.write_string(2, 0, &v.note)?;
    about.write_string(3, 0, "Synthetic or pseudonymised records only; produced by cocare.")?;
    Ok(book.save_to_buffer()?)
}
