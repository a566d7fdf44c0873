//! Server-rendered SVG charts for DIALOG ratings, each drawn beside a table that carries the
//! same numbers for screen readers and for people who would rather read.

use cocare_app::DialogRecord;
use cocare_careplan::dialog::DialogItem;

pub const LABEL_WIDTH: u32 = 210;
pub const BAR_AREA: u32 = 350;
pub const ROW: u32 = 30;

/// One bar of the latest assessment.
pub struct Bar {
    pub label: &'static str,
    pub rating: u8,
    pub y: u32,
    pub width: u32,
    pub wants_help: bool,
}

/// A point of the mean life-satisfaction line.
pub struct Point {
    pub x: u32,
    pub y: u32,
    pub date: String,
    pub mean: String,
}

/// One row of the table: a date and the rating of each item, in DIALOG order.
pub struct TableRow {
    pub date: String,
    pub ratings: Vec<String>,
}

pub struct DialogChart {
    pub latest_date: String,
    pub bars: Vec<Bar>,
    pub bars_height: u32,
    pub points: Vec<Point>,
    pub polyline: String,
    pub rows: Vec<TableRow>,
    pub headers: Vec<&'static str>,
}

fn date(taken_at: &str) -> String {
    taken_at.get(..10).unwrap_or(taken_at).to_owned()
}

impl DialogChart {
    pub fn new(history: &[DialogRecord]) -> DialogChart {
        let latest = history.last();
        let bars: Vec<Bar> = latest
            .map(|record| {
                DialogItem::ALL
                    .iter()
                    .filter_map(|item| record.ratings.iter().find(|r| r.item == *item))
                    .enumerate()
                    .map(|(row, r)| Bar {
                        label: r.item.short_label(),
                        rating: r.rating.value(),
                        y: u32::try_from(row).unwrap_or(0) * ROW + 10,
                        width: BAR_AREA * u32::from(r.rating.value()) / 7,
                        wants_help: r.wants_more_help,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let bars_height = u32::try_from(bars.len()).unwrap_or(0) * ROW + 40;
        // Mean life satisfaction over time: x spread evenly, y from 7 (top) to 1 (bottom).
        let means: Vec<(String, f64)> = history
            .iter()
            .filter_map(|record| {
                let domains: Vec<f64> = record
                    .ratings
                    .iter()
                    .filter(|r| !r.item.is_treatment_aspect())
                    .map(|r| f64::from(r.rating.value()))
                    .collect();
                (!domains.is_empty()).then(|| {
                    (
                        date(&record.taken_at),
                        domains.iter().sum::<f64>() / domains.len() as f64,
                    )
                })
            })
            .collect();
        let step = if means.len() > 1 {
            480 / (means.len() as u32 - 1)
        } else {
            0
        };
        let points: Vec<Point> = means
            .iter()
            .enumerate()
            .map(|(i, (day, mean))| Point {
                x: 60 + u32::try_from(i).unwrap_or(0) * step,
                y: (20.0 + (7.0 - mean) / 6.0 * 180.0).round() as u32,
                date: day.clone(),
                mean: format!("{mean:.1}"),
            })
            .collect();
        let polyline = points
            .iter()
            .map(|p| format!("{},{}", p.x, p.y))
            .collect::<Vec<_>>()
            .join(" ");
        let rows = history
            .iter()
            .map(|record| TableRow {
                date: date(&record.taken_at),
                ratings: DialogItem::ALL
                    .iter()
                    .map(|item| {
                        record
                            .ratings
                            .iter()
                            .find(|r| r.item == *item)
                            .map_or("–".to_owned(), |r| {
                                format!(
                                    "{}{}",
                                    r.rating.value(),
                                    if r.wants_more_help { " (more help wanted)" } else { "" }
                                )
                            })
                    })
                    .collect(),
            })
            .collect();
        DialogChart {
            latest_date: latest.map(|r| date(&r.taken_at)).unwrap_or_default(),
            bars,
            bars_height,
            points,
            polyline,
            rows,
            headers: DialogItem::ALL.iter().map(|i| i.short_label()).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}
