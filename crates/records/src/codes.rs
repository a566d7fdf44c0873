//! The code lists of the import layout.
//!
//! Every coded field in `docs/records-layout.md` is one of these enums. Each has a stable
//! snake_case code (what the files and the analytic store hold) and a plain-language label
//! (what pages and reports show). Unknown codes are rejected at import, naming the field.

use serde::{Deserialize, Serialize};

/// Declares a code list: variants with their file code and label, plus `parse`, `code`,
/// `label`, and `ALL`.
macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// What this list is called in error messages.
            pub const WHAT: &'static str = $what;

            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// Reads a file code, ignoring case and surrounding spaces.
            pub fn parse(given: &str) -> Result<Self, UnknownCode> {
                let trimmed = given.trim();
                $(if trimmed.eq_ignore_ascii_case($code) {
                    return Ok($name::$variant);
                })+
                Err(UnknownCode::new($what, given, Self::ALL.iter().map(|c| c.code())))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

/// A code that is not in its list; the message names the list and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}; expected one of {expected}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub given: String,
    pub expected: String,
}

impl UnknownCode {
    fn new<'a>(what: &'static str, given: &str, expected: impl Iterator<Item = &'a str>) -> Self {
        let given: String = given.chars().take(60).collect();
        UnknownCode {
            what,
            given,
            expected: expected.collect::<Vec<_>>().join(", "),
        }
    }
}

code_list! {
    /// Sex as recorded (NHS Data Dictionary "person stated sex", simplified).
    Sex, "sex" {
        Female => "female", "Female";
        Male => "male", "Male";
        Intersex => "intersex", "Intersex";
        NotStated => "not_stated", "Not stated";
    }
}

code_list! {
    /// Gender identity, as the person describes it.
    Gender, "gender" {
        Woman => "woman", "Woman";
        Man => "man", "Man";
        NonBinary => "non_binary", "Non-binary";
        Other => "other", "Another gender";
        NotStated => "not_stated", "Not stated";
    }
}

code_list! {
    /// NHS Data Dictionary ethnic category (the 2001 census categories, as NHS records hold them).
    Ethnicity, "ethnicity" {
        A => "A", "White: British";
        B => "B", "White: Irish";
        C => "C", "White: any other White background";
        D => "D", "Mixed: White and Black Caribbean";
        E => "E", "Mixed: White and Black African";
        F => "F", "Mixed: White and Asian";
        G => "G", "Mixed: any other mixed background";
        H => "H", "Asian or Asian British: Indian";
        J => "J", "Asian or Asian British: Pakistani";
        K => "K", "Asian or Asian British: Bangladeshi";
        L => "L", "Asian or Asian British: any other Asian background";
        M => "M", "Black or Black British: Caribbean";
        N => "N", "Black or Black British: African";
        P => "P", "Black or Black British: any other Black background";
        R => "R", "Other ethnic groups: Chinese";
        S => "S", "Other ethnic groups: any other ethnic group";
        Z => "Z", "Not stated";
        NotKnown => "99", "Not known";
    }
}

code_list! {
    /// The ONS high-level ethnic groups that Table 1 reports.
    EthnicGroup, "ethnic group" {
        White => "white", "White";
        Mixed => "mixed", "Mixed or multiple ethnic groups";
        Asian => "asian", "Asian or Asian British";
        Black => "black", "Black, Black British, Caribbean or African";
        Other => "other", "Other ethnic group";
    }
}

impl Ethnicity {
    /// The ONS high-level group; `None` for "not stated" and "not known", which Table 1
    /// counts as missing. Chinese (R) is grouped with Asian, as the 2021 census does.
    pub fn group(self) -> Option<EthnicGroup> {
        use Ethnicity::*;
        match self {
            A | B | C => Some(EthnicGroup::White),
            D | E | F | G => Some(EthnicGroup::Mixed),
            H | J | K | L | R => Some(EthnicGroup::Asian),
            M | N | P => Some(EthnicGroup::Black),
            S => Some(EthnicGroup::Other),
            Z | NotKnown => None,
        }
    }
}

code_list! {
    /// Mental health service or team type of a care contact or referral.
    Service, "service" {
        Cmht => "cmht", "Community mental health team";
        Crisis => "crisis", "Crisis resolution and home treatment";
        Eip => "eip", "Early intervention in psychosis";
        AssertiveOutreach => "assertive_outreach", "Assertive outreach";
        Liaison => "liaison", "Psychiatric liaison";
        Psychology => "psychology", "Psychological therapies";
        CommunityRehab => "community_rehab", "Community rehabilitation";
        CommunityForensic => "community_forensic", "Community forensic";
        SubstanceMisuse => "substance_misuse", "Drug and alcohol service";
        Perinatal => "perinatal", "Perinatal mental health";
        OlderAdults => "older_adults", "Older adults' mental health";
    }
}

code_list! {
    /// The kind of ward a stay was on.
    Ward, "ward type" {
        Acute => "acute", "Acute inpatient";
        Picu => "picu", "Psychiatric intensive care";
        Forensic => "forensic", "Forensic (secure) inpatient";
        Rehabilitation => "rehabilitation", "Inpatient rehabilitation";
    }
}

code_list! {
    /// The Mental Health Act 1983 power a detention was under.
    Section, "Mental Health Act section" {
        S2 => "s2", "Section 2 (assessment)";
        S3 => "s3", "Section 3 (treatment)";
        S4 => "s4", "Section 4 (emergency)";
        S5_2 => "s5_2", "Section 5(2) (doctor's holding power)";
        S5_4 => "s5_4", "Section 5(4) (nurse's holding power)";
        S35 => "s35", "Section 35 (remand for report)";
        S36 => "s36", "Section 36 (remand for treatment)";
        S37 => "s37", "Section 37 (hospital order)";
        S37_41 => "s37_41", "Section 37/41 (restricted hospital order)";
        S47 => "s47", "Section 47 (transfer from prison)";
        S135 => "s135", "Section 135 (warrant)";
        S136 => "s136", "Section 136 (place of safety)";
        Cto => "cto", "Community treatment order";
    }
}

code_list! {
    /// Agencies outside specialist mental health services.
    Agency, "agency" {
        Ae => "ae", "A&E attendance";
        Ambulance => "ambulance", "Ambulance call-out";
        Police => "police", "Police contact";
        Custody => "custody", "Police custody";
        HousingSupport => "housing_support", "Housing support";
        SocialCare => "social_care", "Social care";
        Gp => "gp", "GP appointment";
        Prison => "prison", "Prison";
        Voluntary => "voluntary", "Voluntary sector";
    }
}

code_list! {
    /// Where a referral came from.
    ReferralSource, "referral source" {
        Gp => "gp", "GP";
        SelfReferral => "self", "Self-referral";
        Carer => "carer", "Carer or family";
        Ae => "ae", "A&E";
        Police => "police", "Police";
        CriminalJustice => "criminal_justice", "Courts, probation or prison";
        SocialCare => "social_care", "Social care";
        Housing => "housing", "Housing";
        MentalHealth => "mental_health", "Another mental health service";
        Other => "other", "Other";
    }
}

code_list! {
    /// The ICD-10 groups cohorts and Table 1 speak of (chapter V blocks, and "other").
    DiagnosisGroup, "diagnosis group" {
        Organic => "organic", "Organic disorders (F00–F09)";
        Substance => "substance", "Substance use (F10–F19)";
        Psychosis => "psychosis", "Schizophrenia and other psychoses (F20–F29)";
        Mood => "mood", "Mood disorders (F30–F39)";
        Anxiety => "anxiety", "Anxiety and stress-related (F40–F48)";
        Behavioural => "behavioural", "Eating, sleep and other behavioural (F50–F59)";
        Personality => "personality", "Personality disorders (F60–F69)";
        Learning => "learning", "Learning disability (F70–F79)";
        Developmental => "developmental", "Developmental disorders (F80–F89)";
        Childhood => "childhood", "Onset in childhood (F90–F98)";
        Other => "other", "Other conditions (outside F00–F98)";
    }
}

impl DiagnosisGroup {
    /// The group of a valid ICD-10 code (see [`parse_icd10`]).
    pub fn of(icd10: &str) -> DiagnosisGroup {
        let bytes = icd10.as_bytes();
        let (Some(b'F'), Some(tens), Some(units)) = (bytes.first(), bytes.get(1), bytes.get(2)) else {
            return DiagnosisGroup::Other;
        };
        match (tens.wrapping_sub(b'0'), units.wrapping_sub(b'0')) {
            (0, _) => DiagnosisGroup::Organic,
            (1, _) => DiagnosisGroup::Substance,
            (2, _) => DiagnosisGroup::Psychosis,
            (3, _) => DiagnosisGroup::Mood,
            (4, u) if u <= 8 => DiagnosisGroup::Anxiety,
            (5, _) => DiagnosisGroup::Behavioural,
            (6, _) => DiagnosisGroup::Personality,
            (7, _) => DiagnosisGroup::Learning,
            (8, _) => DiagnosisGroup::Developmental,
            (9, u) if u <= 8 => DiagnosisGroup::Childhood,
            _ => DiagnosisGroup::Other,
        }
    }
}

/// Checks and normalises an ICD-10 code: a letter, two digits, and optionally a dot and one
/// or two more characters (`F20`, `F20.0`, `f200` → `F20.0`, `F10.24`).
pub fn parse_icd10(given: &str) -> Result<String, String> {
    let trimmed = given.trim();
    // A dot, if there is one, comes after the letter and two digits, once.
    let dot_misplaced = trimmed.find('.').is_some_and(|at| at != 3) || trimmed.matches('.').count() > 1;
    let compact: String = given
        .trim()
        .chars()
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_ascii_uppercase();
    let chars: Vec<char> = compact.chars().collect();
    let ok = (3..=5).contains(&chars.len())
        && chars.first().is_some_and(|c| c.is_ascii_uppercase())
        && chars.get(1..3).is_some_and(|d| d.iter().all(char::is_ascii_digit))
        && chars
            .get(3..)
            .is_some_and(|rest| rest.iter().all(char::is_ascii_alphanumeric));
    if !ok || dot_misplaced {
        return Err(format!(
            "{:?} is not an ICD-10 code (a letter, two digits, then optionally a dot and up to two more characters, e.g. F20.0)",
            given.chars().take(40).collect::<String>()
        ));
    }
    let (head, tail) = compact.split_at(3);
    Ok(if tail.is_empty() {
        head.to_string()
    } else {
        format!("{head}.{tail}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_ignoring_case_and_reject_unknown_ones_by_name() {
        assert_eq!(Agency::parse(" Police "), Ok(Agency::Police));
        assert_eq!(Ethnicity::parse("99"), Ok(Ethnicity::NotKnown));
        let err = Ward::parse("ICU").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("unknown ward type \"ICU\""), "{err}");
        assert!(err.contains("acute, picu, forensic, rehabilitation"), "{err}");
    }

    #[test]
    fn icd10_codes_are_normalised_and_grouped() {
        assert_eq!(parse_icd10("f200").as_deref(), Ok("F20.0"));
        assert_eq!(parse_icd10("F10.24").as_deref(), Ok("F10.24"));
        assert_eq!(parse_icd10("F32").as_deref(), Ok("F32"));
        assert!(parse_icd10("F2").is_err());
        assert!(parse_icd10("320").is_err());
        assert!(parse_icd10("F20.0.1x").is_err());
        assert!(parse_icd10("F2.00").is_err());
        assert!(parse_icd10("F20.0.1").is_err());
        assert_eq!(DiagnosisGroup::of("F20.0"), DiagnosisGroup::Psychosis);
        assert_eq!(DiagnosisGroup::of("F10.2"), DiagnosisGroup::Substance);
        assert_eq!(DiagnosisGroup::of("F48"), DiagnosisGroup::Anxiety);
        assert_eq!(DiagnosisGroup::of("F49"), DiagnosisGroup::Other);
        assert_eq!(DiagnosisGroup::of("F99"), DiagnosisGroup::Other);
        assert_eq!(DiagnosisGroup::of("I10"), DiagnosisGroup::Other);
        assert_eq!(DiagnosisGroup::of("F60.3"), DiagnosisGroup::Personality);
    }

    #[test]
    fn ethnic_categories_fall_into_ons_groups_and_not_stated_is_missing() {
        assert_eq!(Ethnicity::N.group(), Some(EthnicGroup::Black));
        assert_eq!(Ethnicity::R.group(), Some(EthnicGroup::Asian));
        assert_eq!(Ethnicity::Z.group(), None);
        assert!(Ethnicity::ALL.iter().filter(|e| e.group().is_none()).count() == 2);
    }
}
