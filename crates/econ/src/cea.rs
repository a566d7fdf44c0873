//! Cost-effectiveness from paired simulations: the output of a model's probabilistic
//! sensitivity analysis, or bootstrap replicates of pathway means.
//!
//! Conventions (those of established cost-effectiveness software): for option j against the
//! reference, per simulation s, Δc = c_js − c_ref,s and Δe likewise;
//! ICER = mean Δc / mean Δe; INB(k) = mean(k·Δe − Δc); CEAC(k) = share of simulations with
//! k·Δe − Δc > 0; with NB_js(k) = k·e_js − c_js, the probability each option is best is the share
//! of simulations where its NB is highest (ties to the earlier option), and
//! EVPI(k) = mean_s max_j NB_js − max_j mean_s NB_js.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::costs::TableProblem;

/// Simulations of each option's cost and effect, paired by simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulations {
    pub options: Vec<String>,
    /// `[option][simulation]`
    pub cost: Vec<Vec<f64>>,
    pub effect: Vec<Vec<f64>>,
}

impl Simulations {
    pub fn count(&self) -> usize {
        self.cost.first().map_or(0, Vec::len)
    }

    /// Reads PSA output: a CSV with the columns `sim,option,cost,effect` (in any order), one row
    /// per simulation per option. Every simulation must have every option once.
    pub fn parse_psa(text: &str) -> Result<Simulations, Vec<TableProblem>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let problem = |line: u64, field: &str, reason: String| TableProblem {
            line,
            field: field.to_string(),
            reason,
        };
        const COLUMNS: [&str; 4] = ["sim", "option", "cost", "effect"];
        let crate::costs::Header { len: fields, columns } = crate::costs::read_header(
            &mut reader,
            &COLUMNS,
            &COLUMNS,
            " (the header is sim,option,cost,effect)",
        )?;
        let mut problems = Vec::new();
        let at = COLUMNS.map(|c| columns.get(c).copied().unwrap_or(0));
        let [i_sim, i_option, i_cost, i_effect] = at;
        let mut options: Vec<String> = Vec::new();
        // sim → option index → (cost, effect, line)
        let mut sims: BTreeMap<String, BTreeMap<usize, (f64, f64, u64)>> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        // Simulations with a rejected row: their missing options are not reported again.
        let mut broken: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for (i, record) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let record = match record {
                Ok(r) if r.len() == fields => r,
                Ok(r) => {
                    problems.push(problem(
                        line,
                        "",
                        format!("{} fields where the header has {fields}", r.len()),
                    ));
                    continue;
                }
                Err(e) => {
                    problems.push(problem(line, "", format!("not a valid CSV line: {e}")));
                    continue;
                }
            };
            let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
            let sim = field(i_sim).to_string();
            let option = field(i_option).to_string();
            if sim.is_empty() {
                problems.push(problem(line, "sim", "empty".into()));
            }
            if option.is_empty() {
                problems.push(problem(line, "option", "empty".into()));
            }
            let number = |i: usize, name: &str, problems: &mut Vec<TableProblem>| match field(i).parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    problems.push(problem(line, name, format!("'{}' is not a number", field(i))));
                    None
                }
            };
            let cost = number(i_cost, "cost", &mut problems);
            let effect = number(i_effect, "effect", &mut problems);
            let (Some(cost), Some(effect)) = (cost, effect) else {
                broken.insert(sim);
                continue;
            };
            if sim.is_empty() || option.is_empty() {
                continue;
            }
            let o = match options.iter().position(|x| *x == option) {
                Some(o) => o,
                None => {
                    options.push(option.clone());
                    options.len() - 1
                }
            };
            let entry = sims.entry(sim.clone()).or_insert_with(|| {
                order.push(sim.clone());
                BTreeMap::new()
            });
            if let Some((_, _, first)) = entry.insert(o, (cost, effect, line)) {
                problems.push(problem(
                    line,
                    "option",
                    format!("simulation {sim} already has {option} (line {first})"),
                ));
            }
        }
        if options.is_empty() && problems.is_empty() {
            problems.push(problem(1, "", "no simulations".into()));
        }
        if options.len() == 1 {
            problems.push(problem(
                1,
                "option",
                format!("only one option ({}): nothing to compare", options.join("")),
            ));
        }
        let mut cost = vec![Vec::with_capacity(order.len()); options.len()];
        let mut effect = vec![Vec::with_capacity(order.len()); options.len()];
        for sim in &order {
            let Some(row) = sims.get(sim) else { continue };
            for (o, name) in options.iter().enumerate() {
                match row.get(&o) {
                    Some(&(c, e, _)) => {
                        if let (Some(cv), Some(ev)) = (cost.get_mut(o), effect.get_mut(o)) {
                            cv.push(c);
                            ev.push(e);
                        }
                    }
                    None if broken.contains(sim) => {}
                    None => {
                        let line = row.values().map(|v| v.2).min().unwrap_or(0);
                        problems.push(problem(
                            line,
                            "option",
                            format!("simulation {sim} has no row for {name}"),
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(Simulations { options, cost, effect })
        } else {
            problems.sort_by_key(|p| p.line);
            Err(problems)
        }
    }
}

impl Simulations {
    /// The same simulations with `reference` moved first (ties in "which option is best" go to
    /// the earlier option, so the reference wins a tie); `None` if there is no such option.
    pub fn with_reference_first(mut self, reference: &str) -> Option<Simulations> {
        let at = self.options.iter().position(|o| o == reference)?;
        let name = self.options.remove(at);
        self.options.insert(0, name);
        let c = self.cost.remove(at);
        self.cost.insert(0, c);
        let e = self.effect.remove(at);
        self.effect.insert(0, e);
        Some(self)
    }
}

/// The ICER, or why a ratio would mislead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Icer {
    pub value: Option<f64>,
    pub note: String,
}

/// The ratio of mean incremental cost to mean incremental effect, read as people read it.
pub fn icer(inc_cost: f64, inc_effect: f64) -> Icer {
    let scale = inc_cost.abs().max(1.0) * 1e-12;
    if inc_effect.abs() <= scale.min(1e-12) {
        return Icer {
            value: None,
            note: "no difference in effect: the ICER is not defined; compare costs alone".into(),
        };
    }
    let value = inc_cost / inc_effect;
    let note = match (inc_cost <= 0.0, inc_effect > 0.0) {
        (true, true) => "dominant: no more costly and more effective",
        (false, false) => "dominated: more costly and less effective",
        (false, true) => "more costly and more effective: compare the ICER with the threshold",
        (true, false) => "less costly and less effective: the ICER is the saving per unit of effect lost",
    };
    Icer {
        value: Some(value),
        note: note.into(),
    }
}

/// One option against the reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub option: String,
    pub mean_cost: f64,
    pub mean_effect: f64,
    pub mean_incremental_cost: f64,
    pub mean_incremental_effect: f64,
    pub icer: Icer,
    /// Per threshold.
    pub inb: Vec<f64>,
    pub ceac: Vec<f64>,
}

/// Everything about a set of options at a set of thresholds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cea {
    pub reference: String,
    pub reference_mean_cost: f64,
    pub reference_mean_effect: f64,
    pub simulations: usize,
    pub wtp: Vec<f64>,
    pub comparisons: Vec<Comparison>,
    /// Per option (in the input order), per threshold.
    pub prob_best: Vec<(String, Vec<f64>)>,
    pub evpi: Vec<f64>,
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Checks a threshold list: at least one, none negative or not finite.
pub fn check_thresholds(wtp: &[f64]) -> Result<(), String> {
    if wtp.is_empty() {
        return Err("the list of willingness-to-pay thresholds is empty: give at least one (e.g. 20000,30000)".into());
    }
    if let Some(bad) = wtp.iter().find(|k| !k.is_finite() || **k < 0.0) {
        return Err(format!(
            "{bad} is not a willingness-to-pay threshold: thresholds are 0 or more"
        ));
    }
    Ok(())
}

/// Parses `20000,30000`.
pub fn parse_thresholds(text: &str) -> Result<Vec<f64>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let v = part
            .replace(['£', '_'], "")
            .parse::<f64>()
            .map_err(|_| format!("'{part}' is not a number (thresholds are written like 20000,30000)"))?;
        out.push(v);
    }
    check_thresholds(&out)?;
    Ok(out)
}

/// The analysis of paired simulations against `reference` (an index into `sims.options`).
pub fn analyse(sims: &Simulations, reference: usize, wtp: &[f64]) -> Result<Cea, String> {
    check_thresholds(wtp)?;
    let n = sims.count();
    if n == 0 {
        return Err("no simulations".into());
    }
    if sims.options.len() < 2 {
        return Err("at least two options are needed to compare".into());
    }
    let (Some(ref_cost), Some(ref_effect), Some(ref_name)) = (
        sims.cost.get(reference),
        sims.effect.get(reference),
        sims.options.get(reference),
    ) else {
        return Err("the reference option is not among the options".into());
    };
    let mut comparisons = Vec::new();
    for (o, name) in sims.options.iter().enumerate() {
        if o == reference {
            continue;
        }
        let (Some(c), Some(e)) = (sims.cost.get(o), sims.effect.get(o)) else {
            continue;
        };
        let dc: Vec<f64> = c.iter().zip(ref_cost).map(|(a, b)| a - b).collect();
        let de: Vec<f64> = e.iter().zip(ref_effect).map(|(a, b)| a - b).collect();
        let (mdc, mde) = (mean(&dc), mean(&de));
        let inb = wtp.iter().map(|k| k * mde - mdc).collect();
        let ceac = wtp
            .iter()
            .map(|k| dc.iter().zip(&de).filter(|(c, e)| k * **e - **c > 0.0).count() as f64 / n as f64)
            .collect();
        comparisons.push(Comparison {
            option: name.clone(),
            mean_cost: mean(c),
            mean_effect: mean(e),
            mean_incremental_cost: mdc,
            mean_incremental_effect: mde,
            icer: icer(mdc, mde),
            inb,
            ceac,
        });
    }
    let mut prob_best = vec![vec![0.0; wtp.len()]; sims.options.len()];
    let mut evpi = Vec::with_capacity(wtp.len());
    for (t, k) in wtp.iter().enumerate() {
        let mut wins = vec![0usize; sims.options.len()];
        let mut sum_max = 0.0;
        let mut sums = vec![0.0; sims.options.len()];
        for s in 0..n {
            let mut best = (0usize, f64::NEG_INFINITY);
            for o in 0..sims.options.len() {
                let c = sims.cost.get(o).and_then(|v| v.get(s)).copied().unwrap_or(f64::NAN);
                let e = sims.effect.get(o).and_then(|v| v.get(s)).copied().unwrap_or(f64::NAN);
                let nb = k * e - c;
                if let Some(x) = sums.get_mut(o) {
                    *x += nb;
                }
                if nb > best.1 {
                    best = (o, nb);
                }
            }
            if let Some(w) = wins.get_mut(best.0) {
                *w += 1;
            }
            sum_max += best.1;
        }
        let best_mean = sums.iter().map(|s| s / n as f64).fold(f64::NEG_INFINITY, f64::max);
        // Rounding can leave a tiny negative where EVPI is zero.
        evpi.push((sum_max / n as f64 - best_mean).max(0.0));
        for (o, w) in wins.iter().enumerate() {
            if let Some(slot) = prob_best.get_mut(o).and_then(|v| v.get_mut(t)) {
                *slot = *w as f64 / n as f64;
            }
        }
    }
    Ok(Cea {
        reference: ref_name.clone(),
        reference_mean_cost: mean(ref_cost),
        reference_mean_effect: mean(ref_effect),
        simulations: n,
        wtp: wtp.to_vec(),
        comparisons,
        prob_best: sims.options.iter().cloned().zip(prob_best).collect(),
        evpi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psa_problems_name_line_and_field() {
        let text = "sim,option,cost,effect\n1,a,10,1\n1,b,x,1\n2,a,10,1\n2,a,11,1\n3,b,5,0.5\n";
        // Simulation 1's broken row is reported once, not again as a missing option.
        let p = Simulations::parse_psa(text).unwrap_err();
        let s: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert!(s.iter().any(|p| p.starts_with("line 3, field cost")), "{s:?}");
        assert!(
            s.iter().any(|p| p.contains("line 5") && p.contains("already has a")),
            "{s:?}"
        );
        assert!(s.iter().any(|p| p.contains("simulation 2 has no row for b")), "{s:?}");
        assert!(s.iter().any(|p| p.contains("simulation 3 has no row for a")), "{s:?}");
        assert!(!s.iter().any(|p| p.contains("simulation 1 has no row")), "{s:?}");
        let p = Simulations::parse_psa("sim,option,cost\n").unwrap_err();
        assert!(p.iter().any(|p| p.field == "effect"));
        let p = Simulations::parse_psa("sim,option,cost,effect\n1,a,1,1\n").unwrap_err();
        assert!(p.iter().any(|p| p.reason.contains("only one option")));
    }

    #[test]
    fn edges() {
        assert!(icer(100.0, 0.0).value.is_none());
        assert!(icer(100.0, 0.0).note.contains("no difference in effect"));
        assert!(icer(-5.0, 0.1).note.starts_with("dominant"));
        assert!(icer(5.0, -0.1).note.starts_with("dominated"));
        assert!(parse_thresholds("").unwrap_err().contains("empty"));
        assert!(parse_thresholds("20000,abc").unwrap_err().contains("abc"));
        assert!(parse_thresholds("-1").unwrap_err().contains("0 or more"));
        assert_eq!(parse_thresholds("£20000").unwrap(), vec![20000.0]);
        assert_eq!(parse_thresholds("20000, 30000").unwrap(), vec![20000.0, 30000.0]);
        // Identical options: no effect difference, EVPI zero, nothing printed as NaN.
        let sims = Simulations {
            options: vec!["a".into(), "b".into()],
            cost: vec![vec![1.0, 2.0], vec![1.0, 2.0]],
            effect: vec![vec![0.5, 0.5], vec![0.5, 0.5]],
        };
        let r = analyse(&sims, 0, &[20000.0]).unwrap();
        assert_eq!(r.comparisons[0].icer.value, None);
        assert_eq!(r.evpi, vec![0.0]);
        assert_eq!(r.comparisons[0].ceac, vec![0.0]);
        assert!(serde_json::to_string(&r).unwrap().find("NaN").is_none());
    }
}
