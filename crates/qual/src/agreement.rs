//! Intercoder agreement: how far coders who coded the same units independently agree.
//!
//! Input is reliability data: for each unit (a sentence, a speaker turn, a character span…)
//! and each coder, the value the coder gave, or nothing (missing). Three measures:
//!
//! - **percentage agreement**: agreeing pairs of values within units over all pairs (for two
//!   coders, the share of units both coded alike); it ignores agreement by chance;
//! - **Cohen's kappa** (exactly two coders, units both coded): (p_o − p_e)/(1 − p_e), chance
//!   agreement p_e from each coder's own distribution of values;
//! - **Krippendorff's alpha** (any number of coders, missing values allowed), 1 − D_o/D_e from
//!   the coincidence matrix, at the nominal, ordinal, interval or ratio level (Krippendorff,
//!   *Computing Krippendorff's Alpha-Reliability*, 2011).
//!
//! Units with fewer than two values cannot be paired and are left out of every measure.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Reliability data: units × coders.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reliability {
    /// Units in the order first seen, each with its values by coder.
    pub units: Vec<(String, BTreeMap<String, String>)>,
    pub coders: Vec<String>,
}

/// A problem with the input, where it is.
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

impl Reliability {
    /// Reads `unit,coder,value` CSV (any column order; an empty value is missing data).
    pub fn parse_csv(text: &str) -> Result<Reliability, Vec<InputProblem>> {
        let problem = |line: u64, field: &str, reason: String| InputProblem {
            line,
            field: field.to_string(),
            reason,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
            Err(e) => return Err(vec![problem(1, "", format!("the header could not be read: {e}"))]),
        };
        let mut problems = Vec::new();
        let mut at = [0usize; 3];
        for (slot, name) in at.iter_mut().zip(["unit", "coder", "value"]) {
            match header.iter().position(|h| h == name) {
                Some(i) => *slot = i,
                None => problems.push(problem(
                    1,
                    name,
                    "required column missing (the header is unit,coder,value)".into(),
                )),
            }
        }
        for h in &header {
            if !["unit", "coder", "value"].contains(&h.as_str()) {
                problems.push(problem(1, h, "unknown column".into()));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let [iu, ic, iv] = at;
        let mut data = Reliability::default();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        let mut seen: BTreeMap<(String, String), u64> = BTreeMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let record = match record {
                Ok(r) if r.len() == header.len() => r,
                Ok(r) => {
                    problems.push(problem(
                        line,
                        "",
                        format!("{} fields where the header has {}", r.len(), header.len()),
                    ));
                    continue;
                }
                Err(e) => {
                    problems.push(problem(line, "", format!("not a valid CSV line: {e}")));
                    continue;
                }
            };
            let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
            let (unit, coder, value) = (field(iu), field(ic), field(iv));
            if unit.is_empty() {
                problems.push(problem(line, "unit", "empty".into()));
                continue;
            }
            if coder.is_empty() {
                problems.push(problem(line, "coder", "empty".into()));
                continue;
            }
            if let Some(first) = seen.insert((unit.to_string(), coder.to_string()), line) {
                problems.push(problem(
                    line,
                    "coder",
                    format!("{coder} already coded unit {unit} (line {first})"),
                ));
                continue;
            }
            if !data.coders.iter().any(|c| c == coder) {
                data.coders.push(coder.to_string());
            }
            let u = *index.entry(unit.to_string()).or_insert_with(|| {
                data.units.push((unit.to_string(), BTreeMap::new()));
                data.units.len() - 1
            });
            if !value.is_empty()
                && let Some((_, values)) = data.units.get_mut(u)
            {
                values.insert(coder.to_string(), value.to_string());
            }
        }
        if problems.is_empty() && data.units.is_empty() {
            problems.push(problem(1, "", "no rows".into()));
        }
        if problems.is_empty() { Ok(data) } else { Err(problems) }
    }
}

/// Krippendorff's levels of measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Nominal,
    Ordinal,
    Interval,
    Ratio,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nominal" => Some(Level::Nominal),
            "ordinal" => Some(Level::Ordinal),
            "interval" => Some(Level::Interval),
            "ratio" => Some(Level::Ratio),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Level::Nominal => "nominal",
            Level::Ordinal => "ordinal",
            Level::Interval => "interval",
            Level::Ratio => "ratio",
        }
    }
}

/// A coefficient and what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub metric: &'static str,
    pub level: Option<Level>,
    /// `None` when the coefficient is undefined; `note` says why.
    pub coefficient: Option<f64>,
    /// Units with at least two values (the pairable units).
    pub units: usize,
    /// Values in those units.
    pub pairable_values: usize,
    pub coders: usize,
    /// Raters per unit (Fleiss' kappa, where every unit has the same number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raters: Option<usize>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
    #[error("Cohen's kappa compares exactly two coders; this data has {0}: use Krippendorff's alpha")]
    NotTwoCoders(usize),
    #[error(
        "Fleiss' kappa needs the same number of raters for every unit: unit {unit} has {got}, the first unit has {want}; use Krippendorff's alpha when some ratings are missing"
    )]
    UnequalRaters { unit: String, got: usize, want: usize },
    #[error("Fleiss' kappa needs at least two raters per unit and at least one unit")]
    TooFewRaters,
    #[error("the {level} level needs numbers, and '{value}' (unit {unit}) is not one")]
    NotNumeric {
        level: &'static str,
        unit: String,
        value: String,
    },
}

/// The values of each unit that has at least two.
fn pairable(data: &Reliability) -> Vec<Vec<&str>> {
    data.units
        .iter()
        .map(|(_, values)| values.values().map(String::as_str).collect::<Vec<_>>())
        .filter(|v| v.len() >= 2)
        .collect()
}

fn result(
    metric: &'static str,
    level: Option<Level>,
    data: &Reliability,
    coefficient: Option<f64>,
    note: &str,
) -> Agreement {
    let units = pairable(data);
    Agreement {
        metric,
        level,
        coefficient,
        units: units.len(),
        pairable_values: units.iter().map(Vec::len).sum(),
        coders: data.coders.len(),
        raters: None,
        note: note.to_string(),
    }
}

/// Agreeing pairs over all pairs of values within units.
pub fn percent(data: &Reliability) -> Agreement {
    let (mut agree, mut pairs) = (0u64, 0u64);
    for values in pairable(data) {
        for (i, a) in values.iter().enumerate() {
            for b in values.iter().skip(i + 1) {
                pairs += 1;
                agree += u64::from(a == b);
            }
        }
    }
    if pairs == 0 {
        return result("percent", None, data, None, "no unit has two values to compare");
    }
    result("percent", None, data, Some(agree as f64 / pairs as f64), "")
}

/// Fleiss' kappa (Fleiss 1971): agreement among a fixed number of raters per unit, nominal
/// categories. Every unit must have the same number of ratings (missing data is refused, with a
/// pointer to Krippendorff's alpha).
pub fn fleiss(data: &Reliability) -> Result<Agreement, AgreementError> {
    let mut want: Option<usize> = None;
    for (unit, values) in &data.units {
        let got = values.len();
        match want {
            None => want = Some(got),
            Some(w) if w != got => {
                return Err(AgreementError::UnequalRaters {
                    unit: unit.clone(),
                    got,
                    want: w,
                });
            }
            Some(_) => {}
        }
    }
    let n = want.unwrap_or(0);
    if n < 2 || data.units.is_empty() {
        return Err(AgreementError::TooFewRaters);
    }
    let units = data.units.len() as f64;
    let nf = n as f64;
    let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
    let mut p_bar = 0.0;
    for (_, values) in &data.units {
        let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
        for v in values.values() {
            *counts.entry(v.as_str()).or_default() += 1.0;
        }
        let agree: f64 = counts.values().map(|c| c * c).sum::<f64>() - nf;
        p_bar += agree / (nf * (nf - 1.0));
        for (k, c) in counts {
            *totals.entry(k).or_default() += c;
        }
    }
    p_bar /= units;
    let p_e: f64 = totals.values().map(|t| (t / (units * nf)).powi(2)).sum();
    let mut out = result("fleiss", None, data, None, "");
    out.raters = Some(n);
    if (1.0 - p_e).abs() < 1e-15 {
        out.note = "every rating is the same category, so chance agreement is total and kappa is undefined".into();
    } else {
        out.coefficient = Some((p_bar - p_e) / (1.0 - p_e));
    }
    Ok(out)
}

/// Cohen's kappa for two coders, over the units both coded.
pub fn cohen(data: &Reliability) -> Result<Agreement, AgreementError> {
    let [first, second] = data.coders.as_slice() else {
        return Err(AgreementError::NotTwoCoders(data.coders.len()));
    };
    let mut pairs = Vec::new();
    for (_, values) in &data.units {
        if let (Some(a), Some(b)) = (values.get(first), values.get(second)) {
            pairs.push((a.as_str(), b.as_str()));
        }
    }
    let n = pairs.len() as f64;
    if pairs.is_empty() {
        return Ok(result("cohen", None, data, None, "no unit was coded by both coders"));
    }
    let observed = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let mut left: BTreeMap<&str, f64> = BTreeMap::new();
    let mut right: BTreeMap<&str, f64> = BTreeMap::new();
    for (a, b) in &pairs {
        *left.entry(a).or_default() += 1.0;
        *right.entry(b).or_default() += 1.0;
    }
    let expected: f64 = left
        .iter()
        .map(|(v, c)| c / n * right.get(v).copied().unwrap_or(0.0) / n)
        .sum();
    if (1.0 - expected).abs() < 1e-12 {
        return Ok(result(
            "cohen",
            None,
            data,
            None,
            "both coders used one and the same value throughout, so agreement by chance is certain and kappa is undefined",
        ));
    }
    Ok(result(
        "cohen",
        None,
        data,
        Some((observed - expected) / (1.0 - expected)),
        "",
    ))
}

/// Krippendorff's alpha at a level of measurement.
pub fn krippendorff(data: &Reliability, level: Level) -> Result<Agreement, AgreementError> {
    let units = pairable(data);
    // The distinct values, sorted (numerically for every level but nominal, where order does
    // not matter).
    let mut distinct: Vec<&str> = units.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let numeric: Vec<f64> = if level == Level::Nominal {
        Vec::new()
    } else {
        let mut out = Vec::with_capacity(distinct.len());
        for v in &distinct {
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => out.push(x),
                _ => {
                    let unit = data
                        .units
                        .iter()
                        .find(|(_, vals)| vals.values().any(|x| x == v))
                        .map(|(u, _)| u.clone())
                        .unwrap_or_default();
                    return Err(AgreementError::NotNumeric {
                        level: level.key(),
                        unit,
                        value: (*v).to_string(),
                    });
                }
            }
        }
        // Reorder the distinct values by number.
        let mut order: Vec<usize> = (0..distinct.len()).collect();
        order.sort_by(|a, b| {
            out.get(*a)
                .copied()
                .unwrap_or(0.0)
                .total_cmp(&out.get(*b).copied().unwrap_or(0.0))
        });
        distinct = order.iter().filter_map(|i| distinct.get(*i).copied()).collect();
        order.iter().filter_map(|i| out.get(*i).copied()).collect()
    };
    let k = distinct.len();
    let index: BTreeMap<&str, usize> = distinct.iter().enumerate().map(|(i, v)| (*v, i)).collect();
    // Coincidence matrix: within a unit of m values, each ordered pair of different values
    // adds 1/(m − 1); from the unit's counts per value that is n_c·n_d/(m − 1) off the
    // diagonal and n_c·(n_c − 1)/(m − 1) on it (linear in m, not quadratic).
    let mut o = vec![vec![0.0f64; k]; k];
    let mut counts = vec![0.0f64; k];
    for values in &units {
        let m = values.len() as f64;
        counts.iter_mut().for_each(|c| *c = 0.0);
        for v in values {
            if let Some(c) = index.get(v).and_then(|i| counts.get_mut(*i)) {
                *c += 1.0;
            }
        }
        for (c, row) in o.iter_mut().enumerate() {
            let n_c = counts.get(c).copied().unwrap_or(0.0);
            if n_c == 0.0 {
                continue;
            }
            for (d, cell) in row.iter_mut().enumerate() {
                let n_d = counts.get(d).copied().unwrap_or(0.0);
                let pairs = if c == d { n_c * (n_c - 1.0) } else { n_c * n_d };
                *cell += pairs / (m - 1.0);
            }
        }
    }
    let marginal: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = marginal.iter().sum();
    let delta = |c: usize, d: usize| -> f64 {
        if c == d {
            return 0.0;
        }
        let x = |i: usize| numeric.get(i).copied().unwrap_or(0.0);
        match level {
            Level::Nominal => 1.0,
            Level::Interval => (x(c) - x(d)).powi(2),
            Level::Ratio => {
                let s = x(c) + x(d);
                if s == 0.0 { 0.0 } else { ((x(c) - x(d)) / s).powi(2) }
            }
            Level::Ordinal => {
                let (lo, hi) = (c.min(d), c.max(d));
                let between: f64 = marginal.get(lo..=hi).map_or(0.0, |s| s.iter().sum());
                let ends = (marginal.get(c).copied().unwrap_or(0.0) + marginal.get(d).copied().unwrap_or(0.0)) / 2.0;
                (between - ends).powi(2)
            }
        }
    };
    let (mut observed, mut expected) = (0.0, 0.0);
    for c in 0..k {
        for d in 0..k {
            let dd = delta(c, d);
            observed += o.get(c).and_then(|r| r.get(d)).copied().unwrap_or(0.0) * dd;
            expected += marginal.get(c).copied().unwrap_or(0.0) * marginal.get(d).copied().unwrap_or(0.0) * dd;
        }
    }
    if n < 2.0 {
        return Ok(result(
            "krippendorff",
            Some(level),
            data,
            None,
            "no unit has two values to compare",
        ));
    }
    let d_o = observed / n;
    let d_e = expected / (n * (n - 1.0));
    if d_e == 0.0 {
        return Ok(result(
            "krippendorff",
            Some(level),
            data,
            None,
            "every value is the same, so there is no variation to agree on and alpha is undefined",
        ));
    }
    Ok(result("krippendorff", Some(level), data, Some(1.0 - d_o / d_e), ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Krippendorff (2011), the worked example: 4 coders, 12 units, values 1–5, missing data.
    fn example() -> Reliability {
        let rows = [
            ("A", ["1", "2", "3", "3", "2", "1", "4", "1", "2", "", "", ""]),
            ("B", ["1", "2", "3", "3", "2", "2", "4", "1", "2", "5", "", "3"]),
            ("C", ["", "3", "3", "3", "2", "3", "4", "2", "2", "5", "1", ""]),
            ("D", ["1", "2", "3", "3", "2", "4", "4", "1", "2", "5", "1", ""]),
        ];
        let mut csv = String::from("unit,coder,value\n");
        for (coder, values) in rows {
            for (u, v) in values.iter().enumerate() {
                csv.push_str(&format!("u{},{coder},{v}\n", u + 1));
            }
        }
        Reliability::parse_csv(&csv).unwrap()
    }

    #[test]
    fn krippendorffs_worked_example() {
        let data = example();
        // Published values: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
        for (level, want) in [
            (Level::Nominal, 0.743),
            (Level::Ordinal, 0.815),
            (Level::Interval, 0.849),
            (Level::Ratio, 0.797),
        ] {
            let a = krippendorff(&data, level).unwrap();
            assert!((a.coefficient.unwrap() - want).abs() < 5e-4, "{level:?}: {a:?}");
            assert_eq!((a.units, a.pairable_values), (11, 40));
        }
    }

    #[test]
    fn cohen_and_percent_by_hand() {
        // 10 units: both "yes" on 4, both "no" on 3, split on 3 (yes/no 2, no/yes 1).
        let mut csv = String::from("unit,coder,value\n");
        let pairs = [
            ("yes", "yes"),
            ("yes", "yes"),
            ("yes", "yes"),
            ("yes", "yes"),
            ("no", "no"),
            ("no", "no"),
            ("no", "no"),
            ("yes", "no"),
            ("yes", "no"),
            ("no", "yes"),
        ];
        for (i, (a, b)) in pairs.iter().enumerate() {
            csv.push_str(&format!("{i},ann,{a}\n{i},ben,{b}\n"));
        }
        let data = Reliability::parse_csv(&csv).unwrap();
        // p_o = 0.7; ann yes 0.6, ben yes 0.5: p_e = 0.6·0.5 + 0.4·0.5 = 0.5; kappa = 0.4.
        let k = cohen(&data).unwrap();
        assert!((k.coefficient.unwrap() - 0.4).abs() < 1e-12);
        assert_eq!((k.units, k.pairable_values), (10, 20));
        assert!((percent(&data).coefficient.unwrap() - 0.7).abs() < 1e-12);
        assert!(matches!(cohen(&example()), Err(AgreementError::NotTwoCoders(4))));
    }

    #[test]
    fn undefined_cases_say_why() {
        let data = Reliability::parse_csv("unit,coder,value\n1,a,x\n1,b,x\n2,a,x\n2,b,x\n").unwrap();
        let k = cohen(&data).unwrap();
        assert_eq!(k.coefficient, None);
        assert!(k.note.contains("undefined"));
        let a = krippendorff(&data, Level::Nominal).unwrap();
        assert_eq!(a.coefficient, None);
        assert_eq!(percent(&data).coefficient, Some(1.0));
        let lone = Reliability::parse_csv("unit,coder,value\n1,a,x\n2,b,y\n").unwrap();
        assert_eq!(percent(&lone).coefficient, None);
        assert_eq!(krippendorff(&lone, Level::Nominal).unwrap().coefficient, None);
        let words = Reliability::parse_csv("unit,coder,value\n1,a,x\n1,b,y\n").unwrap();
        assert!(matches!(
            krippendorff(&words, Level::Interval),
            Err(AgreementError::NotNumeric { .. })
        ));
    }

    #[test]
    fn bad_input_is_named_by_line_and_field() {
        let p = Reliability::parse_csv("unit,coder,value\n1,a,x\n1,a,y\n,b,x\n2,,x\n2,b\n").unwrap_err();
        let s: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(
            s.iter()
                .any(|p| p.starts_with("line 3, field coder: a already coded unit 1 (line 2)")),
            "{s:?}"
        );
        assert!(s.iter().any(|p| p.starts_with("line 4, field unit")), "{s:?}");
        assert!(s.iter().any(|p| p.starts_with("line 5, field coder")), "{s:?}");
        assert!(s.iter().any(|p| p.starts_with("line 6: 2 fields")), "{s:?}");
        let p = Reliability::parse_csv("unit,rater,value\n").unwrap_err();
        assert!(p.iter().any(|p| p.field == "coder") && p.iter().any(|p| p.field == "rater"));
    }
}
