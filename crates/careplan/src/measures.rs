//! Patient-reported measures: definition, scoring and bands.
//!
//! Shipped: PHQ-9 and GAD-7 (both free to reproduce and use, Pfizer: "No permission required to
//! reproduce, translate, display or distribute"), and cocare's own involvement-in-planning
//! questionnaire, written for this project and not copied from any licensed instrument.

use serde::Serialize;

/// One question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Item {
    pub id: &'static str,
    pub text: &'static str,
}

/// A score range and its name, inclusive at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Band {
    pub from: u32,
    pub to: u32,
    pub label: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scoring {
    /// Every item must be answered; the score is the sum.
    Sum,
    /// At least `min_answered` items; the score is the answered sum as a percentage of the most
    /// those items could score, rounded to the nearest whole number.
    PercentOfMaximum { min_answered: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Questionnaire {
    pub id: &'static str,
    pub title: &'static str,
    /// The stem read before the items.
    pub stem: &'static str,
    pub items: &'static [Item],
    /// Answer values and their words, lowest first.
    pub options: &'static [(u32, &'static str)],
    pub scoring: Scoring,
    pub bands: &'static [Band],
    /// An item whose any non-zero answer needs a person to follow it up at once.
    pub safety_item: Option<&'static str>,
    pub source: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub total: u32,
    pub max: u32,
    pub band: &'static str,
    /// Set when the safety item was answered above zero.
    pub needs_safety_follow_up: bool,
}

/// Every problem with a set of answers, each naming the item's field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} answer(s) need correcting", problems.len())]
pub struct ScoreError {
    pub problems: Vec<(String, String)>,
}

const FREQUENCY: [(u32, &str); 4] = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
];

pub const PHQ9: Questionnaire = Questionnaire {
    id: "phq9",
    title: "PHQ-9 (Patient Health Questionnaire)",
    stem: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items: &[
        Item {
            id: "phq9_1",
            text: "Little interest or pleasure in doing things",
        },
        Item {
            id: "phq9_2",
            text: "Feeling down, depressed, or hopeless",
        },
        Item {
            id: "phq9_3",
            text: "Trouble falling or staying asleep, or sleeping too much",
        },
        Item {
            id: "phq9_4",
            text: "Feeling tired or having little energy",
        },
        Item {
            id: "phq9_5",
            text: "Poor appetite or overeating",
        },
        Item {
            id: "phq9_6",
            text: "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
        },
        Item {
            id: "phq9_7",
            text: "Trouble concentrating on things, such as reading the newspaper or watching television",
        },
        Item {
            id: "phq9_8",
            text: "Moving or speaking so slowly that other people could have noticed; or the opposite, being so \
                   fidgety or restless that you have been moving around a lot more than usual",
        },
        Item {
            id: "phq9_9",
            text: "Thoughts that you would be better off dead, or of hurting yourself in some way",
        },
    ],
    options: &FREQUENCY,
    scoring: Scoring::Sum,
    bands: &[
        Band {
            from: 0,
            to: 4,
            label: "minimal",
        },
        Band {
            from: 5,
            to: 9,
            label: "mild",
        },
        Band {
            from: 10,
            to: 14,
            label: "moderate",
        },
        Band {
            from: 15,
            to: 19,
            label: "moderately severe",
        },
        Band {
            from: 20,
            to: 27,
            label: "severe",
        },
    ],
    safety_item: Some("phq9_9"),
    source: "Kroenke, Spitzer & Williams 2001; free to use without permission",
};

pub const GAD7: Questionnaire = Questionnaire {
    id: "gad7",
    title: "GAD-7 (Generalised Anxiety Disorder)",
    stem: "Over the last 2 weeks, how often have you been bothered by the following problems?",
    items: &[
        Item {
            id: "gad7_1",
            text: "Feeling nervous, anxious or on edge",
        },
        Item {
            id: "gad7_2",
            text: "Not being able to stop or control worrying",
        },
        Item {
            id: "gad7_3",
            text: "Worrying too much about different things",
        },
        Item {
            id: "gad7_4",
            text: "Trouble relaxing",
        },
        Item {
            id: "gad7_5",
            text: "Being so restless that it is hard to sit still",
        },
        Item {
            id: "gad7_6",
            text: "Becoming easily annoyed or irritable",
        },
        Item {
            id: "gad7_7",
            text: "Feeling afraid as if something awful might happen",
        },
    ],
    options: &FREQUENCY,
    scoring: Scoring::Sum,
    bands: &[
        Band {
            from: 0,
            to: 4,
            label: "minimal",
        },
        Band {
            from: 5,
            to: 9,
            label: "mild",
        },
        Band {
            from: 10,
            to: 14,
            label: "moderate",
        },
        Band {
            from: 15,
            to: 21,
            label: "severe",
        },
    ],
    safety_item: None,
    source: "Spitzer, Kroenke, Williams & Löwe 2006; free to use without permission",
};

pub const INVOLVEMENT: Questionnaire = Questionnaire {
    id: "cocare_involvement",
    title: "Being involved in my care plan (cocare)",
    stem: "Thinking about your care plan as it was last written or reviewed:",
    items: &[
        Item {
            id: "inv_1",
            text: "I felt listened to while my plan was being written",
        },
        Item {
            id: "inv_2",
            text: "My views are in my plan, in my own words",
        },
        Item {
            id: "inv_3",
            text: "I was given my own copy of my plan",
        },
        Item {
            id: "inv_4",
            text: "I agree with the goals in my plan",
        },
        Item {
            id: "inv_5",
            text: "The people who matter to me were involved as much as I wanted",
        },
    ],
    options: &[
        (0, "Not at all"),
        (1, "A little"),
        (2, "Partly"),
        (3, "Mostly"),
        (4, "Completely"),
    ],
    scoring: Scoring::PercentOfMaximum { min_answered: 3 },
    bands: &[
        Band {
            from: 0,
            to: 49,
            label: "little involvement",
        },
        Band {
            from: 50,
            to: 74,
            label: "partial involvement",
        },
        Band {
            from: 75,
            to: 100,
            label: "full involvement",
        },
    ],
    safety_item: None,
    source: "written for cocare (CC0); not a validated instrument",
};

pub const ALL: [Questionnaire; 3] = [PHQ9, GAD7, INVOLVEMENT];

impl Questionnaire {
    pub fn by_id(id: &str) -> Option<Questionnaire> {
        ALL.into_iter().find(|q| q.id == id)
    }

    fn top_option(&self) -> u32 {
        self.options.iter().map(|(v, _)| *v).max().unwrap_or(0)
    }

    /// Scores a set of answers (`item id` → option value as text; empty means unanswered).
    pub fn score(&self, answers: &[(String, String)]) -> Result<Score, ScoreError> {
        let mut problems = Vec::new();
        let mut answered = Vec::new();
        for item in self.items {
            let raw = answers
                .iter()
                .find(|(k, _)| k == item.id)
                .map(|(_, v)| v.trim())
                .unwrap_or("");
            if raw.is_empty() {
                if self.scoring == Scoring::Sum {
                    problems.push((item.id.to_owned(), "answer this question".to_owned()));
                }
                continue;
            }
            match raw
                .parse::<u32>()
                .ok()
                .filter(|v| self.options.iter().any(|(o, _)| o == v))
            {
                Some(value) => answered.push((item.id, value)),
                None => problems.push((item.id.to_owned(), "choose one of the answers given".to_owned())),
            }
        }
        if let Scoring::PercentOfMaximum { min_answered } = self.scoring
            && answered.len() < min_answered
            && problems.is_empty()
        {
            let field = self.items.first().map_or("", |i| i.id).to_owned();
            problems.push((field, format!("answer at least {min_answered} of the questions")));
        }
        if !problems.is_empty() {
            return Err(ScoreError { problems });
        }
        let sum: u32 = answered.iter().map(|(_, v)| v).sum();
        let (total, max) = match self.scoring {
            Scoring::Sum => (sum, self.top_option() * self.items.len() as u32),
            Scoring::PercentOfMaximum { .. } => {
                let most = self.top_option() * answered.len() as u32;
                // Round half up, in integers.
                ((sum * 200 + most) / (most * 2).max(1), 100)
            }
        };
        let band = self
            .bands
            .iter()
            .find(|b| (b.from..=b.to).contains(&total))
            .map_or("", |b| b.label);
        let needs_safety_follow_up = self
            .safety_item
            .is_some_and(|id| answered.iter().any(|(item, value)| *item == id && *value > 0));
        Ok(Score {
            total,
            max,
            band,
            needs_safety_follow_up,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(q: &Questionnaire, values: &[u32]) -> Vec<(String, String)> {
        q.items
            .iter()
            .zip(values)
            .map(|(item, v)| (item.id.to_owned(), v.to_string()))
            .collect()
    }

    #[test]
    fn phq9_totals_and_bands_match_the_published_cut_points() {
        // Hand-computed cases at each band edge (Kroenke et al. 2001: 5, 10, 15, 20).
        let cases = [
            ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
            ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
            ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
            ([2, 2, 2, 2, 1, 0, 0, 0, 0], 9, "mild"),
            ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
            ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately severe"),
            ([3, 3, 3, 3, 2, 2, 2, 2, 0], 20, "severe"),
            ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
        ];
        for (values, total, band) in cases {
            let score = PHQ9.score(&answers(&PHQ9, &values)).unwrap();
            assert_eq!((score.total, score.band, score.max), (total, band, 27), "{values:?}");
        }
    }

    #[test]
    fn any_answer_above_zero_on_phq9_item_9_asks_for_safety_follow_up() {
        let quiet = PHQ9.score(&answers(&PHQ9, &[3, 3, 3, 3, 3, 3, 3, 3, 0])).unwrap();
        assert!(!quiet.needs_safety_follow_up);
        let flagged = PHQ9.score(&answers(&PHQ9, &[0, 0, 0, 0, 0, 0, 0, 0, 1])).unwrap();
        assert!(flagged.needs_safety_follow_up);
        assert_eq!(flagged.band, "minimal", "the flag stands whatever the total");
    }

    #[test]
    fn gad7_bands_match_the_published_cut_points() {
        let cases = [
            ([1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
            ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
            ([2, 2, 2, 2, 2, 0, 0], 10, "moderate"),
            ([3, 3, 3, 3, 3, 0, 0], 15, "severe"),
            ([3; 7], 21, "severe"),
        ];
        for (values, total, band) in cases {
            let score = GAD7.score(&answers(&GAD7, &values)).unwrap();
            assert_eq!((score.total, score.band), (total, band), "{values:?}");
        }
    }

    #[test]
    fn missing_and_invalid_answers_are_each_named() {
        let mut given = answers(&PHQ9, &[1, 1, 1, 1, 1, 1, 1, 1]);
        given[2].1 = "4".into();
        let err = PHQ9.score(&given).unwrap_err();
        let fields: Vec<&str> = err.problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, vec!["phq9_3", "phq9_9"]);
    }

    #[test]
    fn involvement_is_a_percentage_of_what_the_answered_items_could_score() {
        // 4 + 3 + 2 of a possible 12 = 75% (hand computed); two items left unanswered.
        let given = vec![
            ("inv_1".to_owned(), "4".to_owned()),
            ("inv_2".to_owned(), "3".to_owned()),
            ("inv_3".to_owned(), "2".to_owned()),
            ("inv_4".to_owned(), String::new()),
        ];
        let score = INVOLVEMENT.score(&given).unwrap();
        assert_eq!((score.total, score.max, score.band), (75, 100, "full involvement"));
        // 1 + 1 + 1 + 2 + 2 of 20 = 35%.
        let low = INVOLVEMENT.score(&answers(&INVOLVEMENT, &[1, 1, 1, 2, 2])).unwrap();
        assert_eq!((low.total, low.band), (35, "little involvement"));
        // 2 + 2 + 3 of 12 = 58.33% → 58.
        let partial = INVOLVEMENT.score(&answers(&INVOLVEMENT, &[2, 2, 3])).unwrap();
        assert_eq!((partial.total, partial.band), (58, "partial involvement"));
        assert!(
            INVOLVEMENT.score(&answers(&INVOLVEMENT, &[4, 4])).is_err(),
            "too few answers"
        );
    }

    #[test]
    fn every_band_table_covers_its_whole_range_without_gaps() {
        for q in ALL {
            let max = match q.scoring {
                Scoring::Sum => q.top_option() * q.items.len() as u32,
                Scoring::PercentOfMaximum { .. } => 100,
            };
            for total in 0..=max {
                assert_eq!(
                    q.bands.iter().filter(|b| (b.from..=b.to).contains(&total)).count(),
                    1,
                    "{} {total}",
                    q.id
                );
            }
        }
    }
}
