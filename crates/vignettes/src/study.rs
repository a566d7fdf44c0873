//! A clinician decision study: approved vignettes, the questions asked of each, factorial
//! variants, what each respondent is shown, their answers, the analysis and the exports.
//!
//! What a respondent sees is a function of the study's seed and their invitation number only
//! ([`Definition::assignment`]), so the analysis can always be reproduced.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cocare_qual::agreement::{self, Agreement, Level as MeasureLevel, Reliability};
use serde::{Deserialize, Serialize};

use crate::randomise;
use crate::stats::{self, LogisticFit, ProportionDifference};

/// What kind of answer an item takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer {
    YesNo,
    Choice { options: Vec<String> },
    Scale { min: i64, max: i64 },
    Text,
}

impl Answer {
    pub fn key(&self) -> &'static str {
        match self {
            Answer::YesNo => "yes_no",
            Answer::Choice { .. } => "choice",
            Answer::Scale { .. } => "scale",
            Answer::Text => "text",
        }
    }

    /// The answers allowed, in order (empty for free text).
    pub fn values(&self) -> Vec<String> {
        match self {
            Answer::YesNo => vec!["yes".into(), "no".into()],
            Answer::Choice { options } => options.clone(),
            Answer::Scale { min, max } => (*min..=*max).map(|v| v.to_string()).collect(),
            Answer::Text => Vec::new(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Answer::YesNo => "yes or no".into(),
            Answer::Choice { options } => format!("one of: {}", options.join("; ")),
            Answer::Scale { min, max } => format!("a whole number from {min} to {max}"),
            Answer::Text => "free text".into(),
        }
    }
}

/// A question asked of every vignette.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// A short name for exports (`refer`, `risk`…): letters, digits and `_`.
    pub id: String,
    pub prompt: String,
    pub answer: Answer,
}

impl Item {
    /// Checks one answer; returns it as stored (`yes`/`no`, the option, the number, the text).
    pub fn check(&self, given: &str) -> Result<String, String> {
        let given = given.trim();
        if given.is_empty() {
            return Err(format!("Answer \u{201c}{}\u{201d}", self.prompt));
        }
        match &self.answer {
            Answer::YesNo => match given.to_ascii_lowercase().as_str() {
                "yes" | "y" | "true" => Ok("yes".into()),
                "no" | "n" | "false" => Ok("no".into()),
                _ => Err(format!("\u{201c}{}\u{201d}: answer yes or no", self.prompt)),
            },
            Answer::Choice { options } => options
                .iter()
                .find(|o| o.as_str() == given)
                .cloned()
                .ok_or_else(|| format!("\u{201c}{}\u{201d}: choose one of the options", self.prompt)),
            Answer::Scale { min, max } => match given.parse::<i64>() {
                Ok(v) if (*min..=*max).contains(&v) => Ok(v.to_string()),
                _ => Err(format!(
                    "\u{201c}{}\u{201d}: give a whole number from {min} to {max}",
                    self.prompt
                )),
            },
            Answer::Text => {
                if given.chars().count() > 10_000 {
                    Err(format!(
                        "\u{201c}{}\u{201d}: keep it under 10,000 characters",
                        self.prompt
                    ))
                } else {
                    Ok(given.to_string())
                }
            }
        }
    }
}

/// One level of a factorial attribute: its label and the words the story uses for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorLevel {
    pub label: String,
    pub text: String,
}

/// An attribute varied at random: the first level is the approved story's own words
/// (`phrase`), the others replace them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    pub levels: Vec<FactorLevel>,
}

/// A vignette as the study uses it: one approved version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyVignette {
    pub vignette: String,
    pub version: i64,
    pub title: String,
    pub story: String,
    #[serde(default)]
    pub factors: Vec<Factor>,
}

impl StudyVignette {
    /// The story with the given levels (one per factor) in place of the approved words.
    pub fn presented(&self, levels: &[usize]) -> String {
        let mut story = self.story.clone();
        for (factor, level) in self.factors.iter().zip(levels) {
            let (Some(first), Some(chosen)) = (factor.levels.first(), factor.levels.get(*level)) else {
                continue;
            };
            if *level > 0 {
                story = story.replacen(&first.text, &chosen.text, 1);
            }
        }
        story
    }

    /// "housing: sleeping rough" for each factor, for exports and the analysis.
    pub fn variant(&self, levels: &[usize]) -> String {
        self.factors
            .iter()
            .zip(levels)
            .filter_map(|(f, l)| f.levels.get(*l).map(|lv| format!("{}: {}", f.name, lv.label)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A study's definition, fixed when it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    pub title: String,
    pub seed: u64,
    pub items: Vec<Item>,
    pub vignettes: Vec<StudyVignette>,
}

/// A problem with a definition, by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// What one respondent is shown: the vignettes in order, with a level per factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// Indexes into [`Definition::vignettes`], in the order shown.
    pub order: Vec<usize>,
    /// Per vignette (in definition order), the level of each of its factors.
    pub levels: Vec<Vec<usize>>,
}

impl Definition {
    /// Every problem, each naming its field; a study can open only with none.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.title.trim().is_empty() {
            out.push(problem("title", "Give the study a title"));
        }
        if self.vignettes.is_empty() {
            out.push(problem(
                "vignettes",
                "A study needs at least one approved vignette; none is chosen (or none is approved yet)",
            ));
        }
        if self.items.is_empty() {
            out.push(problem("items", "Add at least one question to ask of each vignette"));
        }
        let mut ids = BTreeSet::new();
        for item in &self.items {
            let field = format!("item-{}", item.id);
            if item.id.is_empty() || !item.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.push(problem(
                    &field,
                    format!(
                        "The question \u{201c}{}\u{201d} needs a short name of letters, digits and _ (not \u{201c}{}\u{201d})",
                        item.prompt, item.id
                    ),
                ));
            }
            if !ids.insert(item.id.as_str()) {
                out.push(problem(
                    &field,
                    format!("Two questions are called \u{201c}{}\u{201d}", item.id),
                ));
            }
            if item.prompt.trim().is_empty() {
                out.push(problem(&field, format!("The question {} has no wording", item.id)));
            }
            match &item.answer {
                Answer::Choice { options } => {
                    let distinct: BTreeSet<&String> = options.iter().collect();
                    if options.len() < 2 || distinct.len() != options.len() {
                        out.push(problem(
                            &field,
                            format!("\u{201c}{}\u{201d} needs at least two different options", item.prompt),
                        ));
                    }
                }
                Answer::Scale { min, max } if min >= max || max - min > 100 => out.push(problem(
                    &field,
                    format!(
                        "\u{201c}{}\u{201d}: the scale must run from a lower to a higher number (at most 100 steps)",
                        item.prompt
                    ),
                )),
                _ => {}
            }
        }
        for (v, vignette) in self.vignettes.iter().enumerate() {
            for factor in &vignette.factors {
                let field = format!("factor-{v}-{}", factor.name);
                if factor.name.trim().is_empty() {
                    out.push(problem(&field, "Name the attribute that varies (for example housing)"));
                }
                if factor.levels.len() < 2 {
                    out.push(problem(
                        &field,
                        format!(
                            "The attribute \u{201c}{}\u{201d} of \u{201c}{}\u{201d} has one level; a factorial attribute needs at least two, or it varies nothing",
                            factor.name, vignette.title
                        ),
                    ));
                }
                let labels: BTreeSet<&str> = factor.levels.iter().map(|l| l.label.as_str()).collect();
                if labels.len() != factor.levels.len() || factor.levels.iter().any(|l| l.label.trim().is_empty()) {
                    out.push(problem(
                        &field,
                        format!("Each level of \u{201c}{}\u{201d} needs its own label", factor.name),
                    ));
                }
                if let Some(first) = factor.levels.first() {
                    let count = vignette.story.matches(first.text.as_str()).count();
                    if first.text.trim().is_empty() || count != 1 {
                        out.push(problem(
                            &field,
                            format!(
                                "The words \u{201c}{}\u{201d} for \u{201c}{}\u{201d} must appear exactly once in the story of \u{201c}{}\u{201d} (they appear {count} times)",
                                first.text, factor.name, vignette.title
                            ),
                        ));
                    }
                }
            }
        }
        out
    }

    /// What respondent `number` (their invitation's number, from 0) is shown.
    pub fn assignment(&self, number: u64) -> Assignment {
        let order = randomise::order(self.seed, number, self.vignettes.len());
        let levels = self
            .vignettes
            .iter()
            .enumerate()
            .map(|(v, vignette)| {
                vignette
                    .factors
                    .iter()
                    .enumerate()
                    .map(|(f, factor)| randomise::level(self.seed, v as u64, f as u64, number, factor.levels.len()))
                    .collect()
            })
            .collect();
        Assignment { order, levels }
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn vignette(&self, id: &str) -> Option<(usize, &StudyVignette)> {
        self.vignettes.iter().enumerate().find(|(_, v)| v.vignette == id)
    }
}

/// One stored answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    /// The invitation's number (from 0).
    pub respondent: u64,
    pub vignette: String,
    pub item: String,
    pub answer: String,
}

/// A count of one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub value: String,
    pub count: u64,
}

/// The answers to one item about one vignette.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    pub vignette: String,
    pub item: String,
    pub counts: Vec<Count>,
    pub answered: u64,
}

/// Agreement between clinicians on one item, the vignettes being the units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemAgreement {
    pub item: String,
    pub fleiss: Result<Agreement, String>,
    pub krippendorff: Result<Agreement, String>,
}

/// The effect of one level of a factorial attribute on a yes/no item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    pub vignette: String,
    pub factor: String,
    pub item: String,
    pub level: String,
    pub reference: String,
    pub result: Result<ProportionDifference, String>,
}

/// A logistic regression of a yes/no item on a vignette's factors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regression {
    pub vignette: String,
    pub item: String,
    pub fit: Result<LogisticFit, String>,
}

/// A free-text reason with what the respondent was shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub respondent: u64,
    pub vignette: String,
    pub item: String,
    pub variant: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub respondents: u64,
    pub distributions: Vec<Distribution>,
    pub agreement: Vec<ItemAgreement>,
    pub effects: Vec<Effect>,
    pub regressions: Vec<Regression>,
    pub reasons: Vec<Reason>,
}

/// Everything the analysis page shows. `regression` asks for the logistic regressions too.
pub fn analyse(def: &Definition, responses: &[Response], regression: bool) -> Analysis {
    // answers[vignette × items + item][respondent] = answer
    let n_items = def.items.len();
    let vindex: HashMap<&str, usize> = def
        .vignettes
        .iter()
        .enumerate()
        .map(|(i, v)| (v.vignette.as_str(), i))
        .collect();
    let iindex: HashMap<&str, usize> = def.items.iter().enumerate().map(|(i, x)| (x.id.as_str(), i)).collect();
    let mut answers: Vec<BTreeMap<u64, &str>> = vec![BTreeMap::new(); def.vignettes.len() * n_items];
    let mut respondents = BTreeSet::new();
    for r in responses {
        let (Some(v), Some(i)) = (vindex.get(r.vignette.as_str()), iindex.get(r.item.as_str())) else {
            continue;
        };
        respondents.insert(r.respondent);
        if let Some(slot) = answers.get_mut(v * n_items + i) {
            slot.insert(r.respondent, r.answer.as_str());
        }
    }
    let empty = BTreeMap::new();
    let at = |v: usize, item: &Item| v * n_items + iindex.get(item.id.as_str()).copied().unwrap_or(n_items);
    let assignments: BTreeMap<u64, Assignment> = respondents.iter().map(|r| (*r, def.assignment(*r))).collect();
    let levels_of = |respondent: u64, v: usize| -> Vec<usize> {
        assignments
            .get(&respondent)
            .and_then(|a| a.levels.get(v).cloned())
            .unwrap_or_default()
    };

    let mut distributions = Vec::new();
    let mut reasons = Vec::new();
    for (v, vignette) in def.vignettes.iter().enumerate() {
        for item in &def.items {
            let given = answers.get(at(v, item)).unwrap_or(&empty);
            if item.answer == Answer::Text {
                for (respondent, text) in given {
                    reasons.push(Reason {
                        respondent: *respondent,
                        vignette: vignette.vignette.clone(),
                        item: item.id.clone(),
                        variant: vignette.variant(&levels_of(*respondent, v)),
                        text: (*text).to_string(),
                    });
                }
                continue;
            }
            let counts = item
                .answer
                .values()
                .into_iter()
                .map(|value| Count {
                    count: given.values().filter(|a| **a == value).count() as u64,
                    value,
                })
                .collect();
            distributions.push(Distribution {
                vignette: vignette.vignette.clone(),
                item: item.id.clone(),
                counts,
                answered: given.len() as u64,
            });
        }
    }

    let names: BTreeMap<u64, String> = respondents
        .iter()
        .map(|r| (*r, format!("respondent {}", r + 1)))
        .collect();
    let mut agreement = Vec::new();
    for item in def.items.iter().filter(|i| i.answer != Answer::Text) {
        let mut data = Reliability::default();
        let mut coders = BTreeSet::new();
        for (v, vignette) in def.vignettes.iter().enumerate() {
            let given = answers.get(at(v, item)).unwrap_or(&empty);
            coders.extend(given.keys().copied());
            data.units.push((
                vignette.title.clone(),
                given
                    .iter()
                    .map(|(r, a)| (names.get(r).cloned().unwrap_or_default(), (*a).to_string()))
                    .collect(),
            ));
        }
        data.coders = coders.iter().map(|r| format!("respondent {}", r + 1)).collect();
        // Fleiss' kappa: the respondents who answered the item for every vignette.
        let complete: BTreeSet<String> = data
            .coders
            .iter()
            .filter(|c| data.units.iter().all(|(_, values)| values.contains_key(*c)))
            .cloned()
            .collect();
        let mut balanced = data.clone();
        for (_, values) in &mut balanced.units {
            values.retain(|c, _| complete.contains(c));
        }
        balanced.coders.retain(|c| complete.contains(c));
        let level = match item.answer {
            Answer::Scale { .. } => MeasureLevel::Ordinal,
            _ => MeasureLevel::Nominal,
        };
        agreement.push(ItemAgreement {
            item: item.id.clone(),
            fleiss: agreement::fleiss(&balanced).map_err(|e| e.to_string()),
            krippendorff: agreement::krippendorff(&data, level).map_err(|e| e.to_string()),
        });
    }

    let mut effects = Vec::new();
    let mut regressions = Vec::new();
    for (v, vignette) in def.vignettes.iter().enumerate() {
        if vignette.factors.is_empty() {
            continue;
        }
        for item in def.items.iter().filter(|i| i.answer == Answer::YesNo) {
            let given = answers.get(at(v, item)).unwrap_or(&empty);
            let rows: Vec<(Vec<usize>, bool)> = given.iter().map(|(r, a)| (levels_of(*r, v), *a == "yes")).collect();
            for (f, factor) in vignette.factors.iter().enumerate() {
                let tally = |level: usize| {
                    let shown: Vec<&(Vec<usize>, bool)> =
                        rows.iter().filter(|(l, _)| l.get(f).copied() == Some(level)).collect();
                    (shown.iter().filter(|(_, yes)| *yes).count() as u64, shown.len() as u64)
                };
                let (ref_yes, ref_n) = tally(0);
                let reference = factor.levels.first().map(|l| l.label.clone()).unwrap_or_default();
                for (l, level) in factor.levels.iter().enumerate().skip(1) {
                    let (yes, n) = tally(l);
                    effects.push(Effect {
                        vignette: vignette.vignette.clone(),
                        factor: factor.name.clone(),
                        item: item.id.clone(),
                        level: level.label.clone(),
                        reference: reference.clone(),
                        result: stats::difference_in_proportions(yes, n, ref_yes, ref_n).map_err(|e| e.to_string()),
                    });
                }
            }
            if regression {
                let factors: Vec<(String, Vec<String>)> = vignette
                    .factors
                    .iter()
                    .map(|f| (f.name.clone(), f.levels.iter().map(|l| l.label.clone()).collect()))
                    .collect();
                let labelled: Vec<(Vec<String>, bool)> = rows
                    .iter()
                    .map(|(levels, yes)| {
                        (
                            vignette
                                .factors
                                .iter()
                                .zip(levels)
                                .map(|(f, l)| f.levels.get(*l).map(|x| x.label.clone()).unwrap_or_default())
                                .collect(),
                            *yes,
                        )
                    })
                    .collect();
                regressions.push(Regression {
                    vignette: vignette.vignette.clone(),
                    item: item.id.clone(),
                    fit: stats::logistic_levels(&labelled, &factors).map_err(|e| e.to_string()),
                });
            }
        }
    }

    Analysis {
        respondents: respondents.len() as u64,
        distributions,
        agreement,
        effects,
        regressions,
        reasons,
    }
}

/// A respondent's row for the exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respondent {
    pub number: u64,
    pub label: String,
    /// `invited`, `started` or `submitted`.
    pub status: String,
}

fn csv_text(rows: Vec<Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The columns of `responses.csv`, with their meaning (the dictionary's first rows).
pub const COLUMNS: [(&str, &str, &str); 11] = [
    ("study", "The study's id", "text"),
    (
        "respondent",
        "The respondent's invitation number (1, 2, …); no name is kept",
        "integer",
    ),
    (
        "status",
        "Whether the respondent submitted (submitted) or left answers unfinished (started)",
        "text",
    ),
    ("vignette", "The vignette's id", "text"),
    ("vignette_title", "The vignette's title", "text"),
    ("vignette_version", "The approved version shown", "integer"),
    (
        "position",
        "Where the vignette came in this respondent's randomised order (1 = first)",
        "integer",
    ),
    (
        "variant",
        "The factorial levels shown (attribute: level; …), empty when the vignette has no variants",
        "text",
    ),
    ("item", "The question's short name (see the item rows below)", "text"),
    ("item_type", "yes_no, choice, scale or text", "text"),
    (
        "answer",
        "The answer as given; empty when the respondent did not answer this item",
        "text",
    ),
];

/// `responses.csv`: one row per respondent × vignette × item (unanswered items have an empty
/// answer, so the file is rectangular).
pub fn responses_csv(study: &str, def: &Definition, respondents: &[Respondent], responses: &[Response]) -> String {
    let given: BTreeMap<(u64, &str, &str), &str> = responses
        .iter()
        .map(|r| ((r.respondent, r.vignette.as_str(), r.item.as_str()), r.answer.as_str()))
        .collect();
    let mut rows = vec![COLUMNS.iter().map(|(c, _, _)| (*c).to_string()).collect()];
    for respondent in respondents {
        let assignment = def.assignment(respondent.number);
        for (position, v) in assignment.order.iter().enumerate() {
            let Some(vignette) = def.vignettes.get(*v) else {
                continue;
            };
            let levels = assignment.levels.get(*v).cloned().unwrap_or_default();
            for item in &def.items {
                let answer = given
                    .get(&(respondent.number, vignette.vignette.as_str(), item.id.as_str()))
                    .copied()
                    .unwrap_or("");
                rows.push(vec![
                    study.to_string(),
                    (respondent.number + 1).to_string(),
                    respondent.status.clone(),
                    vignette.vignette.clone(),
                    vignette.title.clone(),
                    vignette.version.to_string(),
                    (position + 1).to_string(),
                    vignette.variant(&levels),
                    item.id.clone(),
                    item.answer.key().to_string(),
                    answer.to_string(),
                ]);
            }
        }
    }
    csv_text(rows)
}

/// `dictionary.csv`: each column of `responses.csv`, then each item and factor with its
/// allowed values.
pub fn dictionary_csv(def: &Definition) -> String {
    let mut rows: Vec<Vec<String>> = vec![vec![
        "variable".into(),
        "kind".into(),
        "meaning".into(),
        "type".into(),
        "values".into(),
    ]];
    for (column, meaning, kind) in COLUMNS {
        rows.push(vec![
            column.into(),
            "column".into(),
            meaning.into(),
            kind.into(),
            String::new(),
        ]);
    }
    for item in &def.items {
        rows.push(vec![
            item.id.clone(),
            "item".into(),
            item.prompt.clone(),
            item.answer.key().into(),
            item.answer.values().join("; "),
        ]);
    }
    for vignette in &def.vignettes {
        for factor in &vignette.factors {
            rows.push(vec![
                factor.name.clone(),
                "factor".into(),
                format!(
                    "Attribute varied at random in \u{201c}{}\u{201d} (first level: the approved wording)",
                    vignette.title
                ),
                "text".into(),
                factor
                    .levels
                    .iter()
                    .map(|l| l.label.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]);
        }
    }
    csv_text(rows)
}
