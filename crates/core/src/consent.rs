//! Consent as data: what a service user shares, with whom, for what purpose.

use serde::Serialize;

/// Who a consent is given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentRecipient {
    /// One named carer (the consent names the carer's person record).
    Carer,
    /// Researchers and evaluators, on pseudonymised data only.
    Research,
}

impl ConsentRecipient {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentRecipient::Carer => "carer",
            ConsentRecipient::Research => "research",
        }
    }
}

/// The parts of a person's care that a consent can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedPart {
    AboutMe,
    Goals,
    CrisisPlan,
    LifeDomainRatings,
    CarerSection,
    Appointments,
    PseudonymisedRecords,
    InterviewQuotes,
}

impl SharedPart {
    pub const FOR_CARERS: [SharedPart; 6] = [
        SharedPart::AboutMe,
        SharedPart::Goals,
        SharedPart::CrisisPlan,
        SharedPart::LifeDomainRatings,
        SharedPart::CarerSection,
        SharedPart::Appointments,
    ];
    pub const FOR_RESEARCH: [SharedPart; 2] = [SharedPart::PseudonymisedRecords, SharedPart::InterviewQuotes];

    pub fn as_str(self) -> &'static str {
        match self {
            SharedPart::AboutMe => "about_me",
            SharedPart::Goals => "goals",
            SharedPart::CrisisPlan => "crisis_plan",
            SharedPart::LifeDomainRatings => "life_domain_ratings",
            SharedPart::CarerSection => "carer_section",
            SharedPart::Appointments => "appointments",
            SharedPart::PseudonymisedRecords => "pseudonymised_records",
            SharedPart::InterviewQuotes => "interview_quotes",
        }
    }

    /// Plain words for the consent form.
    pub fn label(self) -> &'static str {
        match self {
            SharedPart::AboutMe => "About me, in my own words",
            SharedPart::Goals => "My goals and the actions for them",
            SharedPart::CrisisPlan => "My crisis and contingency plan",
            SharedPart::LifeDomainRatings => "How I rate my life and my care",
            SharedPart::CarerSection => "The carer's section of my plan",
            SharedPart::Appointments => "My appointments and reviews",
            SharedPart::PseudonymisedRecords => "My records, with my name and details removed",
            SharedPart::InterviewQuotes => "Quotes from my interviews, without my name",
        }
    }

    pub fn parse(raw: &str) -> Option<SharedPart> {
        SharedPart::FOR_CARERS
            .into_iter()
            .chain(SharedPart::FOR_RESEARCH)
            .find(|part| part.as_str() == raw.trim())
    }

    /// Parses a stored scope (space-separated names), skipping nothing silently: unknown names
    /// are returned as errors.
    pub fn parse_scope(raw: &str) -> Result<Vec<SharedPart>, String> {
        raw.split_whitespace()
            .map(|name| SharedPart::parse(name).ok_or_else(|| name.to_owned()))
            .collect()
    }

    pub fn scope_text(parts: &[SharedPart]) -> String {
        parts.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_refuse_unknown_parts() {
        let parts = vec![SharedPart::Goals, SharedPart::CrisisPlan];
        assert_eq!(SharedPart::parse_scope(&SharedPart::scope_text(&parts)), Ok(parts));
        assert_eq!(
            SharedPart::parse_scope("goals everything"),
            Err("everything".to_owned())
        );
    }
}
