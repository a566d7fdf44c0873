//! Interrupted time series: how an outcome indicator changed around a funding change.
//!
//! Input is a `date,value` series of equally spaced periods (days, weeks, calendar months,
//! quarters or years) and the date of the change. The analysis is the standard segmented
//! regression (Wagner et al., *J Clin Pharm Ther* 2002; Bernal, Cummins and Gasparrini, *Int J
//! Epidemiol* 2017), fitted by ordinary least squares:
//!
//! ```text
//! y_t = b0 + b1·time + b2·after + b3·time_after + e
//! ```
//!
//! - `time` = 0, 1, 2, … (the period's index in the series);
//! - `after` = 1 from the first period whose date is on or after the change date, else 0;
//! - `time_after` = 0 before the change, then 0, 1, 2, … from that first post-change period.
//!
//! So `b0` is the baseline level (at time 0), `b1` the baseline slope per period, `b2` the
//! level change at the first post-change period and `b3` the change in slope. Standard errors
//! are the classical ones (σ² = RSS/(n − 4)); 95% confidence intervals use Student's t on
//! n − 4 degrees of freedom. The least-squares problem is solved by a QR decomposition of the
//! design (Givens rotations, row by row), never by inverting X'X.
//!
//! Bad input is refused with the line and field: see [`Series::parse_csv`] and [`fit`].

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

/// The fewest periods on either side of the change that cocare fits at all.
pub const MIN_PER_SIDE: usize = 3;
/// Fewer periods than this on either side of the change give a warning (Bernal et al. 2017).
pub const RECOMMENDED_PER_SIDE: usize = 8;
/// What Bernal et al. suggest for monthly data, to span a year's seasonality.
pub const RECOMMENDED_MONTHLY: usize = 12;

/// A problem with the input, where it is. `line` is the 1-based line of the file (the header
/// is line 1); `field` is the column (`date`, `value`), empty when the whole line is meant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputProblem {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}, field {}: {}", self.line, self.field, self.reason)
        }
    }
}

fn problem(line: u64, field: &str, reason: String) -> InputProblem {
    InputProblem {
        line,
        field: field.to_string(),
        reason,
    }
}

/// The spacing of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    const ALL: [Period; 5] = [Period::Day, Period::Week, Period::Month, Period::Quarter, Period::Year];

    /// "day", "week", "month", "quarter", "year" (as in the JSON).
    pub fn key(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    /// "daily", "weekly", "monthly", "quarterly", "yearly".
    pub fn adjective(self) -> &'static str {
        match self {
            Period::Day => "daily",
            Period::Week => "weekly",
            Period::Month => "monthly",
            Period::Quarter => "quarterly",
            Period::Year => "yearly",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Period::Day => "days",
            Period::Week => "weeks",
            Period::Month => "months",
            Period::Quarter => "quarters",
            Period::Year => "years",
        }
    }

    /// Calendar months per period (months, quarters, years), or days per period.
    fn step(self) -> Step {
        match self {
            Period::Day => Step::Days(1),
            Period::Week => Step::Days(7),
            Period::Month => Step::Months(1),
            Period::Quarter => Step::Months(3),
            Period::Year => Step::Months(12),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[derive(Clone, Copy)]
enum Step {
    Days(u32),
    Months(u32),
}

/// One observation: its date, value and the line of the file it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub line: u64,
    pub date: NaiveDate,
    pub value: f64,
}

/// An equally spaced series, checked: dates strictly increasing, one period apart, with no
/// gaps; values finite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub points: Vec<Point>,
    pub period: Period,
    /// Month-based periods on month ends (31 January, 28 February, 31 March, …) rather than on a
    /// fixed day of the month.
    pub month_end: bool,
}

/// Reads a date written exactly as `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    let number = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok());
    let (y, m, d) = (number(0..4)?, number(5..7)?, number(8..10)?);
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

fn is_month_end(d: NaiveDate) -> bool {
    d.succ_opt().is_none_or(|next| next.month() != d.month())
}

/// The last day of the month `months` calendar months after `d`'s month.
fn month_end_after(d: NaiveDate, months: u32) -> Option<NaiveDate> {
    let first = d.with_day(1)?.checked_add_months(Months::new(months.checked_add(1)?))?;
    first.pred_opt()
}

fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (i64::from(b.year()) * 12 + i64::from(b.month0())) - (i64::from(a.year()) * 12 + i64::from(a.month0()))
}

/// Is `b` exactly one `period` after `a`? (For months: the same day of the month, clamped to
/// the month's end, or both month ends.)
fn one_step(a: NaiveDate, b: NaiveDate, period: Period) -> bool {
    match period.step() {
        Step::Days(k) => a.checked_add_days(Days::new(u64::from(k))) == Some(b),
        Step::Months(k) => {
            a.checked_add_months(Months::new(k)) == Some(b)
                || (is_month_end(a) && is_month_end(b) && month_end_after(a, k) == Some(b))
        }
    }
}

/// The calendar of a series: its first date, its period and whether it runs on month ends.
#[derive(Clone, Copy)]
struct Calendar {
    first: NaiveDate,
    period: Period,
    month_end: bool,
}

impl Calendar {
    /// The `i`-th date of the series (the first is the 0th).
    fn nth(self, i: u64) -> Option<NaiveDate> {
        match self.period.step() {
            Step::Days(k) => self.first.checked_add_days(Days::new(i.checked_mul(u64::from(k))?)),
            Step::Months(k) => {
                let months = u32::try_from(i.checked_mul(u64::from(k))?).ok()?;
                if self.month_end {
                    month_end_after(self.first, months)
                } else {
                    self.first.checked_add_months(Months::new(months))
                }
            }
        }
    }

    /// The index of `date` in the series, if it is one of the series' dates.
    fn index_of(self, date: NaiveDate) -> Option<u64> {
        let i = match self.period.step() {
            Step::Days(k) => {
                let days = (date - self.first).num_days();
                let k = i64::from(k);
                if days % k != 0 {
                    return None;
                }
                days / k
            }
            Step::Months(k) => {
                let months = months_between(self.first, date);
                let k = i64::from(k);
                if months % k != 0 {
                    return None;
                }
                months / k
            }
        };
        let i = u64::try_from(i).ok()?;
        (self.nth(i) == Some(date)).then_some(i)
    }
}

impl Series {
    /// Reads `date,value` CSV (columns in either order, names case-insensitive; dates as
    /// `YYYY-MM-DD`, values as numbers). Every problem is named by line and field: unknown or
    /// missing columns, unreadable dates or values, non-finite values, repeated dates, dates out
    /// of order (the series is not sorted for you), and periods that are not equally spaced
    /// (each gap is named with the dates that are missing).
    pub fn parse_csv(text: &str) -> Result<Series, Vec<InputProblem>> {
        Series::from_points(read_points(text)?)
    }

    /// A series from dated values already in hand (say, an indicator from the database), with
    /// the same checks as [`Series::parse_csv`]; problems give the 1-based position of the
    /// value as their `line`.
    pub fn from_values(values: impl IntoIterator<Item = (NaiveDate, f64)>) -> Result<Series, Vec<InputProblem>> {
        let mut problems = Vec::new();
        let mut points = Vec::new();
        for (i, (date, value)) in values.into_iter().enumerate() {
            let line = i as u64 + 1;
            if value.is_finite() {
                points.push(Point { line, date, value });
            } else {
                problems.push(problem(line, "value", format!("'{value}' is not a finite number")));
            }
        }
        if problems.is_empty() {
            Series::from_points(points)
        } else {
            Err(problems)
        }
    }

    /// Checks order, detects the period and checks the spacing.
    fn from_points(points: Vec<Point>) -> Result<Series, Vec<InputProblem>> {
        check_order(&points)?;
        let (period, month_end) = detect_period(&points)?;
        // A series that starts on a month end may run on month ends or on that day of the month
        // (30 June, 30 September, 30 December): take the calendar that fits the dates further.
        let mut problems = match check_spacing(&points, period, month_end) {
            Ok(()) => {
                return Ok(Series {
                    points,
                    period,
                    month_end,
                });
            }
            Err(p) => p,
        };
        let other_fits =
            !matches!(period, Period::Day | Period::Week) && points.first().is_some_and(|p| is_month_end(p.date));
        if other_fits {
            match check_spacing(&points, period, !month_end) {
                Ok(()) => {
                    return Ok(Series {
                        points,
                        period,
                        month_end: !month_end,
                    });
                }
                Err(other) => {
                    let first_line = |p: &[InputProblem]| p.first().map_or(0, |p| p.line);
                    if first_line(&other) > first_line(&problems) {
                        problems = other;
                    }
                }
            }
        }
        Err(problems)
    }

    /// The number of periods.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// How the periods fall, in words: "monthly (day 1 of each month)", "weekly (Mondays)" ….
    pub fn describe(&self) -> String {
        match self.points.first() {
            Some(first) => describe(first.date, self.period, self.month_end),
            None => self.period.adjective().to_string(),
        }
    }
}

/// The rows of a `date,value` file, each checked on its own.
fn read_points(text: &str) -> Result<Vec<Point>, Vec<InputProblem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![problem(1, "", format!("the header could not be read: {e}"))]),
    };
    if header.iter().all(String::is_empty) {
        return Err(vec![problem(
            1,
            "",
            "the file is empty; it needs the header date,value and one line per period".into(),
        )]);
    }
    let mut problems = Vec::new();
    let mut at = [0usize; 2];
    for (slot, name) in at.iter_mut().zip(["date", "value"]) {
        match header.iter().position(|h| h == name) {
            Some(i) => *slot = i,
            None => problems.push(problem(
                1,
                name,
                "required column missing (the header is date,value)".into(),
            )),
        }
    }
    for (i, h) in header.iter().enumerate() {
        if !["date", "value"].contains(&h.as_str()) {
            let shown = if h.is_empty() { "(empty)" } else { h.as_str() };
            problems.push(problem(1, shown, "unknown column (the header is date,value)".into()));
        } else if header.iter().position(|o| o == h) != Some(i) {
            problems.push(problem(1, h, "the column appears twice".into()));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let [id, iv] = at;
    let mut points: Vec<Point> = Vec::new();
    let mut last_line = 1;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(last_line + 1, csv::Position::line);
                last_line = line;
                problems.push(problem(line, "", format!("not a valid CSV line: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(last_line + 1, csv::Position::line);
        last_line = line;
        if record.len() != header.len() {
            problems.push(problem(
                line,
                "",
                format!(
                    "{} fields where the header date,value has {}",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        let (date, value) = (field(id), field(iv));
        let date = if date.is_empty() {
            problems.push(problem(line, "date", "empty".into()));
            None
        } else if let Some(d) = parse_date(date) {
            Some(d)
        } else {
            problems.push(problem(
                line,
                "date",
                format!("'{date}' is not a calendar date written YYYY-MM-DD"),
            ));
            None
        };
        let value = if value.is_empty() {
            problems.push(problem(
                line,
                "value",
                "empty; every period needs a value (cocare does not fill in missing ones)".into(),
            ));
            None
        } else {
            match value.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                Ok(_) => {
                    problems.push(problem(line, "value", format!("'{value}' is not a finite number")));
                    None
                }
                Err(_) => {
                    problems.push(problem(line, "value", format!("'{value}' is not a number")));
                    None
                }
            }
        };
        if let (Some(date), Some(value)) = (date, value) {
            points.push(Point { line, date, value });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(points)
}

fn describe(first: NaiveDate, period: Period, month_end: bool) -> String {
    let on = match period {
        Period::Day => return "daily".into(),
        Period::Week => format!("{}s", first.format("%A")),
        _ if month_end => "month ends".into(),
        Period::Month => format!("day {} of each month", first.day()),
        Period::Quarter | Period::Year => format!("from {first}"),
    };
    format!("{} ({on})", period.adjective())
}

fn check_order(points: &[Point]) -> Result<(), Vec<InputProblem>> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut latest: Option<&Point> = None;
    for p in points {
        if let Some(first) = seen.get(&p.date) {
            problems.push(problem(
                p.line,
                "date",
                format!("{} is already on line {first}; each period must appear once", p.date),
            ));
            continue;
        }
        seen.insert(p.date, p.line);
        match latest {
            Some(l) if p.date < l.date => problems.push(problem(
                p.line,
                "",
                format!(
                    "{} comes after {} (line {}); the dates must be in increasing order (cocare does not sort them)",
                    p.date, l.date, l.line
                ),
            )),
            _ => latest = Some(p),
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// The most common one-period step between consecutive dates, and whether month-based periods
/// run on month ends.
fn detect_period(points: &[Point]) -> Result<(Period, bool), Vec<InputProblem>> {
    let (Some(first), Some(second)) = (points.first(), points.get(1)) else {
        let line = points.first().map_or(1, |p| p.line);
        return Err(vec![problem(
            line,
            "",
            format!(
                "{} data line(s); a series needs equally spaced dates, at least {MIN_PER_SIDE} before the change and {MIN_PER_SIDE} after",
                points.len()
            ),
        )]);
    };
    let mut counts = [0usize; 5];
    for pair in points.windows(2) {
        if let [a, b] = pair
            && let Some(k) = Period::ALL.iter().position(|&p| one_step(a.date, b.date, p))
            && let Some(c) = counts.get_mut(k)
        {
            *c += 1;
        }
    }
    // The most common step; ties go to the shortest period.
    let best = counts
        .iter()
        .zip(Period::ALL)
        .filter(|(c, _)| **c > 0)
        .max_by(|(a, pa), (b, pb)| a.cmp(b).then((*pb as u8).cmp(&(*pa as u8))))
        .map(|(_, p)| p);
    let Some(period) = best else {
        return Err(vec![problem(
            second.line,
            "",
            format!(
                "{} follows {}, {} days later; cocare needs equally spaced periods of a day, a week, a calendar month, a quarter or a year",
                second.date,
                first.date,
                (second.date - first.date).num_days()
            ),
        )]);
    };
    let month_end =
        !matches!(period, Period::Day | Period::Week) && is_month_end(first.date) && is_month_end(second.date);
    Ok((period, month_end))
}

/// Every date one period after the one before: each gap is named with its missing dates.
fn check_spacing(points: &[Point], period: Period, month_end: bool) -> Result<(), Vec<InputProblem>> {
    let Some(first) = points.first() else { return Ok(()) };
    let calendar = Calendar {
        first: first.date,
        period,
        month_end,
    };
    let kind = describe(first.date, period, month_end);
    let mut problems = Vec::new();
    let mut at = 0u64;
    for pair in points.windows(2) {
        let [prev, p] = pair else { continue };
        let next = at.checked_add(1).and_then(|i| calendar.nth(i));
        match calendar.index_of(p.date) {
            Some(i) if i == at + 1 => at = i,
            Some(i) if i > at + 1 => {
                let missing = i - at - 1;
                let last_missing = calendar.nth(i - 1);
                let what = match (next, last_missing) {
                    (Some(a), _) if missing == 1 => format!("{a} is missing"),
                    (Some(a), Some(b)) => format!("{a} to {b} ({missing} {}) are missing", period.plural()),
                    _ => format!("{missing} {} are missing", period.plural()),
                };
                problems.push(problem(
                    p.line,
                    "",
                    format!(
                        "{} follows {}; the series is {}, so {what}",
                        p.date,
                        prev.date,
                        period.adjective()
                    ),
                ));
                at = i;
            }
            _ => {
                let should = next.map_or_else(|| "a later date".to_string(), |d| d.to_string());
                problems.push(problem(
                    p.line,
                    "",
                    format!(
                        "{} follows {}; the series is {kind}, so the next date should be {should}; cocare needs equally spaced periods",
                        p.date, prev.date
                    ),
                ));
                break;
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Why a series and change date could not be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ItsError {
    #[error(
        "the change date {change} is on or before the series' first date {first}: there is no period before the change to compare with"
    )]
    NothingBefore { change: NaiveDate, first: NaiveDate },
    #[error(
        "the change date {change} is after the series' last date {last}: there is no period after the change yet (is the date in the future?)"
    )]
    NothingAfter { change: NaiveDate, last: NaiveDate },
    #[error(
        "{before} period(s) before the change and {after} after (the first after is {first_after}); at least {MIN_PER_SIDE} are needed on each side to fit a level and a slope (and {RECOMMENDED_PER_SIDE} are recommended)"
    )]
    TooFewPoints {
        before: usize,
        after: usize,
        first_after: NaiveDate,
    },
    #[error("the design is collinear (the level and slope cannot be told apart), so the model cannot be fitted")]
    Collinear,
    #[error(
        "the series was not checked: its dates must increase and its values be finite (build it with Series::parse_csv or Series::from_values)"
    )]
    Unchecked,
    #[error("the values are too large or too small to fit without overflow")]
    NotFinite,
}

/// One coefficient of the segmented regression.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coefficient {
    pub estimate: f64,
    /// Classical standard error.
    pub se: f64,
    /// 95% confidence interval (Student's t on `df` degrees of freedom).
    pub ci_low: f64,
    pub ci_high: f64,
    /// estimate / se; `None` when the fit is exact (se 0).
    pub t: Option<f64>,
    /// Two-sided p-value for estimate = 0; `None` when the fit is exact.
    pub p: Option<f64>,
}

/// A period's fitted value and, after the change, the counterfactual: the baseline level and
/// slope carried on (b0 + b1·time).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fitted {
    pub date: NaiveDate,
    pub value: f64,
    pub fitted: f64,
    pub counterfactual: Option<f64>,
}

/// The result of an interrupted time-series analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Its {
    pub n: usize,
    pub n_before: usize,
    pub n_after: usize,
    pub period: Period,
    /// The change date as given.
    pub change: NaiveDate,
    /// The first period counted as after the change (the first on or after `change`).
    pub first_after: NaiveDate,
    /// b0: the level at time 0 (the first period).
    pub baseline_level: Coefficient,
    /// b1: the change per period before the change.
    pub baseline_slope: Coefficient,
    /// b2: the jump at the first post-change period.
    pub level_change: Coefficient,
    /// b3: how much the change per period differs after the change.
    pub slope_change: Coefficient,
    /// sqrt(RSS / df).
    pub residual_se: f64,
    /// 1 − RSS/TSS; `None` when the series is constant (TSS 0).
    pub r_squared: Option<f64>,
    /// Residual degrees of freedom, n − 4.
    pub df: usize,
    /// Durbin–Watson statistic of the residuals (about 2 without first-order autocorrelation;
    /// the classical standard errors assume none); `None` when the fit is exact.
    pub durbin_watson: Option<f64>,
    /// Cautions that do not stop the analysis (too few periods on a side, …).
    pub warnings: Vec<String>,
    /// Every period: its value, fitted value and (after the change) the counterfactual.
    pub fitted: Vec<Fitted>,
}

impl Its {
    /// The four coefficients with their names: baseline level, baseline slope, level change,
    /// slope change.
    pub fn coefficients(&self) -> [(&'static str, Coefficient); 4] {
        [
            ("baseline level", self.baseline_level),
            ("baseline slope", self.baseline_slope),
            ("level change", self.level_change),
            ("slope change", self.slope_change),
        ]
    }
}

/// Fits the segmented regression of `series` around `change`. Periods on or after `change` are
/// after it. Refuses a change with fewer than [`MIN_PER_SIDE`] periods on either side (and so a
/// change before the series or after its end); warns below [`RECOMMENDED_PER_SIDE`].
pub fn fit(series: &Series, change: NaiveDate) -> Result<Its, ItsError> {
    let points = &series.points;
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Err(ItsError::TooFewPoints {
            before: 0,
            after: 0,
            first_after: change,
        });
    };
    let checked =
        points.iter().all(|p| p.value.is_finite()) && points.windows(2).all(|w| matches!(w, [a, b] if a.date < b.date));
    if !checked {
        return Err(ItsError::Unchecked);
    }
    let n_before = points.iter().take_while(|p| p.date < change).count();
    let n = points.len();
    let n_after = n - n_before;
    let Some(first_post) = points.get(n_before) else {
        return Err(ItsError::NothingAfter {
            change,
            last: last.date,
        });
    };
    if n_before == 0 {
        return Err(ItsError::NothingBefore {
            change,
            first: first.date,
        });
    }
    if n_before < MIN_PER_SIDE || n_after < MIN_PER_SIDE {
        return Err(ItsError::TooFewPoints {
            before: n_before,
            after: n_after,
            first_after: first_post.date,
        });
    }
    let df = n - 4;

    // Values scaled by a power of two (exact) so that squares neither overflow nor underflow.
    let top = points.iter().map(|p| p.value.abs()).fold(0.0, f64::max);
    let scale = if top > 0.0 {
        2f64.powi((top.log2().floor() as i32).clamp(-1000, 1000))
    } else {
        1.0
    };
    let design = |i: usize| -> [f64; 4] {
        let t = i as f64;
        if i < n_before {
            [1.0, t, 0.0, 0.0]
        } else {
            [1.0, t, 1.0, (i - n_before) as f64]
        }
    };
    let y: Vec<f64> = points.iter().map(|p| p.value / scale).collect();
    let fitted_ols = ols(&y, design)?;
    let Ols {
        beta,
        unscaled,
        fitted: fitted_scaled,
        rss,
        tss,
        durbin_watson,
    } = fitted_ols;
    let sigma2 = rss / df as f64;
    let r_squared = (tss > 0.0).then(|| 1.0 - rss / tss);

    let t_dist = StudentsT::new(0.0, 1.0, df as f64).map_err(|_| ItsError::NotFinite)?;
    let q = t_quantile_975(&t_dist);
    let coefficient = |k: usize| -> Coefficient {
        let b = beta.get(k).copied().unwrap_or(f64::NAN);
        let u = unscaled.get(k).copied().unwrap_or(f64::NAN);
        let se = (sigma2 * u).sqrt();
        let (t, p) = if se > 0.0 {
            let t = b / se;
            (Some(t), Some((2.0 * t_dist.sf(t.abs())).min(1.0)))
        } else {
            (None, None)
        };
        Coefficient {
            estimate: b * scale,
            se: se * scale,
            ci_low: (b - q * se) * scale,
            ci_high: (b + q * se) * scale,
            t,
            p,
        }
    };
    let [b0, b1, _, _] = beta;
    let fitted = points
        .iter()
        .zip(&fitted_scaled)
        .enumerate()
        .map(|(i, (p, f))| Fitted {
            date: p.date,
            value: p.value,
            fitted: f * scale,
            counterfactual: (i >= n_before).then_some((b0 + b1 * i as f64) * scale),
        })
        .collect();
    let warnings = few_periods_warning(n_before, n_after, series.period)
        .into_iter()
        .collect();

    let its = Its {
        n,
        n_before,
        n_after,
        period: series.period,
        change,
        first_after: first_post.date,
        baseline_level: coefficient(0),
        baseline_slope: coefficient(1),
        level_change: coefficient(2),
        slope_change: coefficient(3),
        residual_se: sigma2.sqrt() * scale,
        r_squared,
        df,
        durbin_watson,
        warnings,
        fitted,
    };
    let finite = its.coefficients().iter().all(|(_, c)| {
        [c.estimate, c.se, c.ci_low, c.ci_high].iter().all(|v| v.is_finite())
            && c.t.is_none_or(f64::is_finite)
            && c.p.is_none_or(f64::is_finite)
    }) && its.residual_se.is_finite()
        && its
            .fitted
            .iter()
            .all(|f| f.fitted.is_finite() && f.counterfactual.is_none_or(f64::is_finite));
    if finite { Ok(its) } else { Err(ItsError::NotFinite) }
}

/// Reads the series and fits it: [`Series::parse_csv`] then [`fit`], with a fit problem reported
/// as a problem of the whole file (line 1).
pub fn analyse_csv(text: &str, change: NaiveDate) -> Result<Its, Vec<InputProblem>> {
    let series = Series::parse_csv(text)?;
    fit(&series, change).map_err(|e| vec![problem(1, "", e.to_string())])
}

/// The warning below [`RECOMMENDED_PER_SIDE`] periods on a side, if it applies.
fn few_periods_warning(n_before: usize, n_after: usize, period: Period) -> Option<String> {
    let plural = |k: usize| if k == 1 { "period" } else { "periods" };
    let sides = match (n_before < RECOMMENDED_PER_SIDE, n_after < RECOMMENDED_PER_SIDE) {
        (false, false) => return None,
        (true, true) => format!(
            "only {n_before} {} before the change and {n_after} after",
            plural(n_before)
        ),
        (true, false) => format!("only {n_before} {} before the change", plural(n_before)),
        (false, true) => format!("only {n_after} {} after the change", plural(n_after)),
    };
    let monthly = if period == Period::Month {
        format!(" ({RECOMMENDED_MONTHLY} for monthly data, to span a year's seasonality)")
    } else {
        String::new()
    };
    Some(format!(
        "{sides}: Bernal et al. (2017) suggest at least {RECOMMENDED_PER_SIDE} on each side{monthly}; with fewer, the estimates are fragile"
    ))
}

/// An ordinary least-squares fit with four columns.
struct Ols {
    beta: [f64; 4],
    /// The diagonal of (X'X)⁻¹.
    unscaled: [f64; 4],
    fitted: Vec<f64>,
    /// Residual sum of squares, 0 when the residuals are at the level of rounding error.
    rss: f64,
    /// Total sum of squares about the mean.
    tss: f64,
    durbin_watson: Option<f64>,
}

/// Least squares of `y` on the rows `design(0)`, `design(1)`, … by a QR decomposition (Givens
/// rotations, one row at a time): R·β = Qᵀy by back-substitution and (X'X)⁻¹ = R⁻¹R⁻ᵀ, so X'X
/// is never formed, let alone inverted.
fn ols(y: &[f64], design: impl Fn(usize) -> [f64; 4]) -> Result<Ols, ItsError> {
    let n = y.len();
    let mut r = [[0.0f64; 4]; 4];
    let mut z = [0.0f64; 4];
    let mut norms = [0.0f64; 4];
    for (i, &v) in y.iter().enumerate() {
        let x = design(i);
        for (s, c) in norms.iter_mut().zip(x) {
            *s += c * c;
        }
        givens_add_row(&mut r, &mut z, x, v);
    }
    // A diagonal of R that is nothing next to its column's length: the columns are dependent.
    for (k, (row, norm)) in r.iter().zip(norms).enumerate() {
        let d = row.get(k).copied().unwrap_or(0.0);
        if d.is_nan() || d.abs() <= 1e-10 * norm.sqrt() {
            return Err(ItsError::Collinear);
        }
    }
    let beta = solve_upper(&r, z).ok_or(ItsError::Collinear)?;
    // Diagonal of R⁻¹R⁻ᵀ: the squared row norms of R⁻¹, built from its columns R⁻¹eₖ.
    let mut unscaled = [0.0f64; 4];
    for k in 0..4 {
        let mut e = [0.0f64; 4];
        if let Some(v) = e.get_mut(k) {
            *v = 1.0;
        }
        let col = solve_upper(&r, e).ok_or(ItsError::Collinear)?;
        for (u, c) in unscaled.iter_mut().zip(col) {
            *u += c * c;
        }
    }
    let fitted: Vec<f64> = (0..n).map(|i| dot(design(i), beta)).collect();
    let resid: Vec<f64> = y.iter().zip(&fitted).map(|(v, f)| v - f).collect();
    let mut rss: f64 = resid.iter().map(|e| e * e).sum();
    let mean = y.iter().sum::<f64>() / n as f64;
    let tss: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    // Residuals at the level of rounding error are an exact fit.
    let tiny = 32.0 * f64::EPSILON * y.iter().map(|v| v.abs()).fold(1.0, f64::max);
    if (rss / n as f64).sqrt() <= tiny {
        rss = 0.0;
    }
    let durbin_watson = (rss > 0.0).then(|| {
        let num: f64 = resid
            .windows(2)
            .map(|w| match w {
                [a, b] => (b - a) * (b - a),
                _ => 0.0,
            })
            .sum();
        num / rss
    });
    Ok(Ols {
        beta,
        unscaled,
        fitted,
        rss,
        tss,
        durbin_watson,
    })
}

fn dot(a: [f64; 4], b: [f64; 4]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Adds the row (x, y) to the triangular factor R and Qᵀy (z) by Givens rotations.
fn givens_add_row(r: &mut [[f64; 4]; 4], z: &mut [f64; 4], mut x: [f64; 4], mut y: f64) {
    for (i, (ri, zi)) in r.iter_mut().zip(z.iter_mut()).enumerate() {
        let (Some(&a), Some(&b)) = (ri.get(i), x.get(i)) else {
            continue;
        };
        if b == 0.0 {
            continue;
        }
        let h = a.hypot(b);
        let (c, s) = (a / h, b / h);
        for (rij, xj) in ri.iter_mut().zip(x.iter_mut()).skip(i) {
            let (u, v) = (*rij, *xj);
            *rij = c * u + s * v;
            *xj = c * v - s * u;
        }
        let (u, v) = (*zi, y);
        *zi = c * u + s * v;
        y = c * v - s * u;
    }
}

/// Solves R·β = z for upper-triangular R by back-substitution.
fn solve_upper(r: &[[f64; 4]; 4], z: [f64; 4]) -> Option<[f64; 4]> {
    let mut beta = [0.0f64; 4];
    for i in (0..4).rev() {
        let row = r.get(i)?;
        let known: f64 = row.iter().zip(beta.iter()).skip(i + 1).map(|(a, b)| a * b).sum();
        let d = *row.get(i)?;
        if d == 0.0 {
            return None;
        }
        *beta.get_mut(i)? = (z.get(i)? - known) / d;
    }
    Some(beta)
}

/// The 97.5% quantile of Student's t, polished by Newton steps on the upper tail.
fn t_quantile_975(t: &StudentsT) -> f64 {
    let mut q = t.inverse_cdf(0.975);
    for _ in 0..3 {
        let density = t.pdf(q);
        if density.is_nan() || density <= 0.0 || !q.is_finite() {
            break;
        }
        q += (t.sf(q) - 0.025) / density;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn dates_are_read_strictly() {
        assert_eq!(parse_date("2023-02-28"), NaiveDate::from_ymd_opt(2023, 2, 28));
        for bad in [
            "2023-2-28",
            "2023-02-30",
            "23-02-28",
            "2023/02/28",
            "+2023-02-28",
            " 2023-02-28",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn month_steps_clamp_and_follow_month_ends() {
        assert!(one_step(d("2023-01-31"), d("2023-02-28"), Period::Month));
        assert!(one_step(d("2023-02-28"), d("2023-03-31"), Period::Month));
        assert!(one_step(d("2023-02-28"), d("2023-03-28"), Period::Month));
        assert!(!one_step(d("2023-01-15"), d("2023-02-14"), Period::Month));
        assert!(one_step(d("2023-11-30"), d("2024-02-29"), Period::Quarter));
        assert!(one_step(d("2020-02-29"), d("2021-02-28"), Period::Year));
        let c = Calendar {
            first: d("2023-01-31"),
            period: Period::Month,
            month_end: true,
        };
        assert_eq!(c.nth(1), Some(d("2023-02-28")));
        assert_eq!(c.nth(13), Some(d("2024-02-29")));
        assert_eq!(c.index_of(d("2023-04-30")), Some(3));
        assert_eq!(c.index_of(d("2023-04-29")), None);
        let c = Calendar { month_end: false, ..c };
        assert_eq!(c.nth(2), Some(d("2023-03-31")));
        assert_eq!(c.nth(3), Some(d("2023-04-30")));
    }

    #[test]
    fn the_t_quantile_is_exact_to_rounding() {
        // scipy.stats.t.ppf(0.975, df)
        for (df, want) in [
            (1.0, 12.706204736174694),
            (4.0, 2.7764451051977934),
            (44.0, 2.0153675744437636),
        ] {
            let q = t_quantile_975(&StudentsT::new(0.0, 1.0, df).unwrap());
            assert!((q - want).abs() < 1e-12 * want, "df {df}: {q} vs {want}");
        }
    }

    #[test]
    fn givens_qr_solves_a_small_least_squares_problem() {
        // y = 1 + 2t exactly, plus a level of 3 after t = 2.
        let mut r = [[0.0; 4]; 4];
        let mut z = [0.0; 4];
        for t in 0..6 {
            let after = if t >= 3 { 1.0 } else { 0.0 };
            let ta = if t >= 3 { (t - 3) as f64 } else { 0.0 };
            let y = 1.0 + 2.0 * t as f64 + 3.0 * after - 0.5 * ta;
            givens_add_row(&mut r, &mut z, [1.0, t as f64, after, ta], y);
        }
        let b = solve_upper(&r, z).unwrap();
        for (got, want) in b.iter().zip([1.0, 2.0, 3.0, -0.5]) {
            assert!((got - want).abs() < 1e-12, "{b:?}");
        }
    }
}
