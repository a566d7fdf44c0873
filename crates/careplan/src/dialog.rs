//! DIALOG-style ratings: 8 life domains and 3 treatment aspects, each rated 1–7 (1 = totally
//! dissatisfied, 7 = totally satisfied), each with "would you like more help?".

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogItem {
    MentalHealth,
    PhysicalHealth,
    JobSituation,
    Accommodation,
    LeisureActivities,
    PartnerFamily,
    Friendships,
    PersonalSafety,
    Medication,
    PracticalHelp,
    MeetingsWithProfessionals,
}

impl DialogItem {
    pub const ALL: [DialogItem; 11] = [
        DialogItem::MentalHealth,
        DialogItem::PhysicalHealth,
        DialogItem::JobSituation,
        DialogItem::Accommodation,
        DialogItem::LeisureActivities,
        DialogItem::PartnerFamily,
        DialogItem::Friendships,
        DialogItem::PersonalSafety,
        DialogItem::Medication,
        DialogItem::PracticalHelp,
        DialogItem::MeetingsWithProfessionals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DialogItem::MentalHealth => "mental_health",
            DialogItem::PhysicalHealth => "physical_health",
            DialogItem::JobSituation => "job_situation",
            DialogItem::Accommodation => "accommodation",
            DialogItem::LeisureActivities => "leisure_activities",
            DialogItem::PartnerFamily => "partner_family",
            DialogItem::Friendships => "friendships",
            DialogItem::PersonalSafety => "personal_safety",
            DialogItem::Medication => "medication",
            DialogItem::PracticalHelp => "practical_help",
            DialogItem::MeetingsWithProfessionals => "meetings_with_professionals",
        }
    }

    /// The question as the service user reads it.
    pub fn label(self) -> &'static str {
        match self {
            DialogItem::MentalHealth => "How satisfied are you with your mental health?",
            DialogItem::PhysicalHealth => "How satisfied are you with your physical health?",
            DialogItem::JobSituation => "How satisfied are you with your job situation?",
            DialogItem::Accommodation => "How satisfied are you with your accommodation?",
            DialogItem::LeisureActivities => "How satisfied are you with your leisure activities?",
            DialogItem::PartnerFamily => "How satisfied are you with your relationship with your partner or family?",
            DialogItem::Friendships => "How satisfied are you with your friendships?",
            DialogItem::PersonalSafety => "How satisfied are you with your personal safety?",
            DialogItem::Medication => "How satisfied are you with your medication?",
            DialogItem::PracticalHelp => "How satisfied are you with the practical help you receive?",
            DialogItem::MeetingsWithProfessionals => {
                "How satisfied are you with your meetings with mental health professionals?"
            }
        }
    }

    /// A short name for charts and tables.
    pub fn short_label(self) -> &'static str {
        match self {
            DialogItem::MentalHealth => "Mental health",
            DialogItem::PhysicalHealth => "Physical health",
            DialogItem::JobSituation => "Job situation",
            DialogItem::Accommodation => "Accommodation",
            DialogItem::LeisureActivities => "Leisure activities",
            DialogItem::PartnerFamily => "Partner or family",
            DialogItem::Friendships => "Friendships",
            DialogItem::PersonalSafety => "Personal safety",
            DialogItem::Medication => "Medication",
            DialogItem::PracticalHelp => "Practical help",
            DialogItem::MeetingsWithProfessionals => "Meetings with professionals",
        }
    }

    /// Life domains come first; the last three are aspects of treatment.
    pub fn is_treatment_aspect(self) -> bool {
        matches!(
            self,
            DialogItem::Medication | DialogItem::PracticalHelp | DialogItem::MeetingsWithProfessionals
        )
    }

    pub fn parse(raw: &str) -> Option<DialogItem> {
        DialogItem::ALL.into_iter().find(|item| item.as_str() == raw.trim())
    }
}

/// A satisfaction rating from 1 to 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Rating(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("choose a rating from 1 (totally dissatisfied) to 7 (totally satisfied)")]
    OutOfRange,
    #[error("a rating is a whole number from 1 to 7")]
    NotANumber,
}

impl Rating {
    pub fn parse(raw: &str) -> Result<Rating, RatingError> {
        let value: i64 = raw.trim().parse().map_err(|_| RatingError::NotANumber)?;
        Rating::new(value)
    }

    pub fn new(value: i64) -> Result<Rating, RatingError> {
        match u8::try_from(value) {
            Ok(v @ 1..=7) => Ok(Rating(v)),
            _ => Err(RatingError::OutOfRange),
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }
}

/// One item as rated at one review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DialogRating {
    pub item: DialogItem,
    pub rating: Rating,
    pub wants_more_help: bool,
}

/// A whole DIALOG assessment. Items may be left unrated (the person chose not to answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DialogAssessment {
    pub ratings: Vec<DialogRating>,
}

impl DialogAssessment {
    /// Parses a form: `rating_<item>` = 1..7 or empty, `help_<item>` present for "yes".
    /// Returns every problem at once, each naming its field.
    pub fn parse(fields: &[(String, String)]) -> Result<DialogAssessment, Vec<(String, String)>> {
        let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let mut ratings = Vec::new();
        let mut problems = Vec::new();
        for item in DialogItem::ALL {
            let field = format!("rating_{}", item.as_str());
            let wants_more_help = get(&format!("help_{}", item.as_str())).is_some_and(|v| v == "yes" || v == "on");
            match get(&field).map(str::trim).filter(|v| !v.is_empty()) {
                None => {}
                Some(raw) => match Rating::parse(raw) {
                    Ok(rating) => ratings.push(DialogRating {
                        item,
                        rating,
                        wants_more_help,
                    }),
                    Err(err) => problems.push((field, err.to_string())),
                },
            }
        }
        if ratings.is_empty() && problems.is_empty() {
            problems.push((
                "rating_mental_health".to_owned(),
                "rate at least one area of your life".to_owned(),
            ));
        }
        if problems.is_empty() {
            Ok(DialogAssessment { ratings })
        } else {
            Err(problems)
        }
    }

    pub fn rating(&self, item: DialogItem) -> Option<DialogRating> {
        self.ratings.iter().copied().find(|r| r.item == item)
    }

    /// Mean satisfaction over the rated life domains (not the treatment aspects).
    pub fn mean_life_satisfaction(&self) -> Option<f64> {
        let domains: Vec<f64> = self
            .ratings
            .iter()
            .filter(|r| !r.item.is_treatment_aspect())
            .map(|r| f64::from(r.rating.value()))
            .collect();
        (!domains.is_empty()).then(|| domains.iter().sum::<f64>() / domains.len() as f64)
    }

    /// The items where more help is wanted, in DIALOG order: the agenda for the next meeting.
    pub fn wants_help(&self) -> Vec<DialogItem> {
        DialogItem::ALL
            .into_iter()
            .filter(|item| self.rating(*item).is_some_and(|r| r.wants_more_help))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn ratings_are_whole_numbers_from_one_to_seven() {
        assert_eq!(Rating::parse("1").map(Rating::value), Ok(1));
        assert_eq!(Rating::parse(" 7 ").map(Rating::value), Ok(7));
        for out in ["0", "8", "-1", "300"] {
            assert_eq!(Rating::parse(out), Err(RatingError::OutOfRange), "{out}");
        }
        for nonsense in ["", "seven", "3.5"] {
            assert_eq!(Rating::parse(nonsense), Err(RatingError::NotANumber), "{nonsense}");
        }
    }

    #[test]
    fn an_assessment_reports_every_bad_rating_by_field_and_skips_unanswered_items() {
        let err = DialogAssessment::parse(&form(&[
            ("rating_mental_health", "9"),
            ("rating_accommodation", "x"),
            ("rating_friendships", "5"),
        ]))
        .unwrap_err();
        let fields: Vec<&str> = err.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, vec!["rating_mental_health", "rating_accommodation"]);

        let ok = DialogAssessment::parse(&form(&[
            ("rating_mental_health", "2"),
            ("help_mental_health", "yes"),
            ("rating_accommodation", "5"),
            ("rating_medication", "7"),
            ("rating_job_situation", ""),
        ]))
        .unwrap();
        assert_eq!(ok.ratings.len(), 3);
        assert_eq!(ok.wants_help(), vec![DialogItem::MentalHealth]);
        // Hand computed: life domains rated 2 and 5 → 3.5; medication is a treatment aspect.
        assert_eq!(ok.mean_life_satisfaction(), Some(3.5));
    }

    #[test]
    fn an_empty_assessment_is_refused() {
        assert!(DialogAssessment::parse(&[]).is_err());
    }

    #[test]
    fn there_are_eight_life_domains_and_three_treatment_aspects() {
        assert_eq!(DialogItem::ALL.iter().filter(|i| !i.is_treatment_aspect()).count(), 8);
        assert_eq!(DialogItem::ALL.iter().filter(|i| i.is_treatment_aspect()).count(), 3);
        for item in DialogItem::ALL {
            assert_eq!(DialogItem::parse(item.as_str()), Some(item));
        }
    }
}
