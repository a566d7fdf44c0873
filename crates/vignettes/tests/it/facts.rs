//! The *k* check over a hand-built profile whose counts are known by hand.

use chrono::NaiveDate;
use cocare_records::layout::day_number;
use cocare_vignettes::facts::{
    CheckError, CodeSets, Coded, Counts, Facts, Profile, ProfileColumns, Range, Test, check, icd10_prefix,
};

/// One person of the hand-built profile.
struct P {
    born: i32,
    sex: &'static str,
    gender: Option<&'static str>,
    ethnicity: &'static str,
    group: Option<&'static str>,
    deprivation: Option<u8>,
    /// referrals, contacts, spells, ward stays, detentions, agency contacts, diagnoses
    counts: [u32; 7],
    dx: &'static [&'static str],
}

#[rustfmt::skip]
const PEOPLE: [P; 12] = [
    P { born: 1984, sex: "female", gender: Some("woman"), ethnicity: "N", group: Some("black"), deprivation: Some(2), counts: [1, 10, 3, 4, 2, 3, 2], dx: &["F20.0", "F10.2"] },
    P { born: 1991, sex: "male", gender: Some("man"), ethnicity: "A", group: Some("white"), deprivation: Some(1), counts: [1, 5, 1, 1, 1, 1, 2], dx: &["F60.3", "F12.2"] },
    P { born: 1975, sex: "not_stated", gender: None, ethnicity: "Z", group: None, deprivation: None, counts: [1, 0, 0, 0, 0, 0, 0], dx: &[] },
    P { born: 1962, sex: "female", gender: Some("non_binary"), ethnicity: "H", group: Some("asian"), deprivation: Some(7), counts: [0, 2, 0, 0, 0, 0, 1], dx: &["F32.1"] },
    P { born: 1985, sex: "female", gender: Some("woman"), ethnicity: "N", group: Some("black"), deprivation: Some(3), counts: [2, 8, 2, 2, 1, 0, 1], dx: &["F20.0"] },
    P { born: 1986, sex: "female", gender: Some("woman"), ethnicity: "M", group: Some("black"), deprivation: Some(2), counts: [1, 4, 2, 2, 0, 0, 1], dx: &["F25.1"] },
    P { born: 1983, sex: "female", gender: Some("woman"), ethnicity: "A", group: Some("white"), deprivation: Some(2), counts: [1, 3, 3, 3, 1, 0, 1], dx: &["F20.1"] },
    P { born: 1988, sex: "female", gender: None, ethnicity: "N", group: Some("black"), deprivation: None, counts: [0, 1, 0, 0, 0, 0, 0], dx: &[] },
    P { born: 1984, sex: "male", gender: Some("man"), ethnicity: "N", group: Some("black"), deprivation: Some(2), counts: [1, 6, 2, 2, 1, 0, 1], dx: &["F20.0"] },
    P { born: 1984, sex: "female", gender: Some("woman"), ethnicity: "D", group: Some("mixed"), deprivation: Some(2), counts: [3, 12, 4, 5, 2, 0, 2], dx: &["F20.0", "F60.3"] },
    P { born: 1999, sex: "intersex", gender: Some("other"), ethnicity: "S", group: Some("other"), deprivation: Some(9), counts: [1, 2, 0, 0, 0, 0, 1], dx: &["F41.1"] },
    P { born: 1980, sex: "female", gender: Some("woman"), ethnicity: "N", group: Some("black"), deprivation: Some(1), counts: [1, 7, 2, 2, 0, 0, 1], dx: &["F31.0"] },
];

fn profile_of(people: &[P]) -> Profile {
    let column = |i: usize| people.iter().map(|p| p.counts[i]).collect::<Vec<_>>();
    Profile::new(ProfileColumns {
        birth_year: people.iter().map(|p| p.born).collect(),
        sex: Coded::from_values(people.iter().map(|p| Some(p.sex))).unwrap(),
        gender: Coded::from_values(people.iter().map(|p| p.gender)).unwrap(),
        ethnicity: Coded::from_values(people.iter().map(|p| Some(p.ethnicity))).unwrap(),
        ethnic_group: Coded::from_values(people.iter().map(|p| p.group)).unwrap(),
        deprivation: people.iter().map(|p| p.deprivation).collect(),
        counts: Counts {
            referrals: column(0),
            contacts: column(1),
            spells: column(2),
            ward_stays: column(3),
            detentions: column(4),
            agency_contacts: column(5),
            diagnoses: column(6),
        },
        diagnoses: CodeSets::from_lists(people.iter().map(|p| p.dx.iter().copied())).unwrap(),
    })
    .unwrap()
}

fn profile() -> Profile {
    profile_of(&PEOPLE)
}

fn facts(json: &str) -> Facts {
    Facts::from_json(json).unwrap_or_else(|e| panic!("{json}: {e:?}"))
}

/// How many people match, with nothing suppressed (k = 1).
fn matched(json: &str) -> u64 {
    check(&profile(), &facts(json), 1, 2025).unwrap().matched.unwrap()
}

fn errors(json: &str) -> Vec<String> {
    match Facts::from_json(json) {
        Ok(f) => panic!("{json} was accepted: {f:?}"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn matches_and_leave_one_out_counts_agree_with_hand_counts() {
    // Women born in the 1980s with 2 to 4 admissions and a psychosis diagnosis: people 0, 4, 5, 6
    // and 9. Person 8 is a man (fails only sex); person 11's diagnosis is F31 (fails only that).
    let f =
        facts(r#"{"sex": "female", "year_of_birth": [1980, 1989], "spells": {"min": 2, "max": 4}, "diagnosis": "F2"}"#);
    let c = check(&profile(), &f, 5, 2025).unwrap();
    assert!(c.passes);
    assert_eq!(c.matched, Some(5));
    assert_eq!(c.matched_text, "5 people");
    let without: Vec<(&str, Option<u64>)> = c.facts.iter().map(|f| (f.field.as_str(), f.without)).collect();
    assert_eq!(
        without,
        [
            ("sex", Some(6)),
            ("year_of_birth", Some(5)),
            ("spells", Some(5)),
            ("diagnosis", Some(6))
        ]
    );
    assert_eq!(c.rarest, ["sex", "diagnosis"], "ties keep the file's order");
    let descriptions: Vec<&str> = c.facts.iter().map(|f| f.description.as_str()).collect();
    assert_eq!(
        descriptions,
        [
            "female",
            "born 1980–1989",
            "2 to 4 hospital admissions",
            "a diagnosis coded F2…"
        ]
    );

    // Black women in deprivation deciles 1–2 detained at least once: only person 0. Each fact
    // alone excludes: sex person 8; group 6 and 9; deprivation 4; detentions 5 and 11.
    let f =
        facts(r#"{"sex": "female", "ethnic_group": "black", "deprivation_decile": [1, 2], "detentions": {"min": 1}}"#);
    let c = check(&profile(), &f, 1, 2025).unwrap();
    assert_eq!(c.matched, Some(1));
    assert_eq!(c.matched_text, "1 person");
    let without: Vec<Option<u64>> = c.facts.iter().map(|f| f.without).collect();
    assert_eq!(without, [Some(2), Some(3), Some(2), Some(3)]);
    assert_eq!(c.rarest, ["ethnic_group", "detentions", "sex", "deprivation_decile"]);
}

#[test]
fn counts_below_k_are_never_published() {
    // Women of ethnic category N with an admission: people 0, 4 and 11.
    let f = facts(r#"{"ethnicity": "N", "sex": "female", "spells": {"min": 1}}"#);
    let c = check(&profile(), &f, 5, 2025).unwrap();
    assert!(!c.passes);
    assert_eq!(c.matched, None);
    assert_eq!(c.matched_text, "fewer than 5 people");
    let without: Vec<Option<u64>> = c.facts.iter().map(|f| f.without).collect();
    // Without ethnicity: 0, 4, 5, 6, 9, 11 (6, shown); without sex or admissions: 4 (hidden).
    assert_eq!(without, [Some(6), None, None]);
    assert_eq!(c.rarest, ["ethnicity", "sex", "spells"]);
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["passes"], false);
    assert_eq!(json["k"], 5);
    assert!(json["matched"].is_null());
    assert_eq!(json["matched_text"], "fewer than 5 people");
    assert_eq!(json["facts"][0]["field"], "ethnicity");
    assert_eq!(
        json["facts"][0]["description"],
        "ethnic category N (Black or Black British: African)"
    );
    assert_eq!(json["facts"][0]["without"], 6);
    assert!(json["facts"][1]["without"].is_null());
    assert_eq!(json["rarest"][0], "ethnicity");
    let text = c.to_text();
    assert!(text.contains("FAILS: fewer than 5 people"), "{text}");
    assert!(!text.contains(" 3 people") && !text.contains(" 4 people"), "{text}");

    // No one at all is shown as 0; the counts around it stay hidden.
    let c = check(&profile(), &facts(r#"{"sex": "intersex", "ethnicity": "A"}"#), 5, 2025).unwrap();
    assert_eq!(
        (c.passes, c.matched, c.matched_text.as_str()),
        (false, Some(0), "0 people")
    );
    assert_eq!(c.facts.iter().map(|f| f.without).collect::<Vec<_>>(), [None, None]);
}

#[test]
fn age_is_the_as_of_year_minus_the_year_of_birth() {
    // Aged 40 to 45 in 2025: born 1980–1985, people 0, 4, 6, 8, 9, 11.
    assert_eq!(matched(r#"{"age": [40, 45]}"#), 6);
    // Aged 41 in 2025: born 1984.
    assert_eq!(matched(r#"{"age": 41}"#), 3);
    assert_eq!(matched(r#"{"age": {"min": 60}}"#), 1);
    let f = facts(r#"{"age": [35, 40], "as_of": "2030-06-01"}"#);
    let last_day = day_number(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    assert_eq!(f.as_of_year(last_day), 2030);
    assert_eq!(f.as_of(), NaiveDate::from_ymd_opt(2030, 6, 1));
    // In 2030, aged 35 to 40 is born 1990–1995: person 1.
    let c = check(&profile(), &f, 1, f.as_of_year(last_day)).unwrap();
    assert_eq!(c.matched, Some(1));
    assert_eq!(c.facts[0].description, "aged 35 to 40 in 2030");
    // Without as_of, the records' last day gives the year.
    let f = facts(r#"{"age": [40, 45]}"#);
    assert_eq!(f.as_of_year(last_day), 2025);
    let f = facts(r#"{"age": [40, 45], "as_of": "2030-01-01"}"#);
    // Born 1985–1990 in 2030: people 4, 5, 7.
    assert_eq!(check(&profile(), &f, 1, 2030).unwrap().matched, Some(3));
}

#[test]
fn diagnosis_prefixes_match_codes_that_start_with_them() {
    assert_eq!(matched(r#"{"diagnosis": "F20"}"#), 5);
    assert_eq!(matched(r#"{"diagnosis": "F20.0"}"#), 4);
    assert_eq!(matched(r#"{"diagnosis": "f200"}"#), 4, "normalised like the import");
    assert_eq!(matched(r#"{"diagnosis": "F2"}"#), 6);
    assert_eq!(matched(r#"{"diagnosis": ["F31", "F32"]}"#), 2);
    assert_eq!(matched(r#"{"diagnosis": "F6"}"#), 2);
    assert_eq!(matched(r#"{"diagnosis": "F99"}"#), 0);
    assert_eq!(icd10_prefix(" f10.24 ").as_deref(), Some("F10.24"));
    assert_eq!(icd10_prefix("F").as_deref(), Some("F"));
    assert_eq!(icd10_prefix("20F"), None);
    assert_eq!(icd10_prefix("F2.0"), None);
    let f = facts(r#"{"diagnosis": ["F20", "F25"]}"#);
    assert_eq!(f.facts()[0].test, Test::Diagnosis(vec!["F20".into(), "F25".into()]));
    assert_eq!(f.facts()[0].description(2025), "a diagnosis coded F20… or F25…");
}

#[test]
fn every_field_counts_as_worked_out_by_hand() {
    assert_eq!(matched(r#"{"gender": "woman"}"#), 6);
    assert_eq!(matched(r#"{"gender": ["non_binary", "other"]}"#), 2);
    assert_eq!(
        matched(r#"{"gender": "not_stated"}"#),
        0,
        "not recorded is not 'not stated'"
    );
    assert_eq!(matched(r#"{"sex": "not_stated"}"#), 1);
    assert_eq!(matched(r#"{"sex": ["male", "intersex"]}"#), 3);
    assert_eq!(matched(r#"{"ethnicity": ["n", "M"]}"#), 6);
    assert_eq!(matched(r#"{"ethnic_group": ["asian", "other"]}"#), 2);
    assert_eq!(matched(r#"{"deprivation_decile": {"max": 2}}"#), 7);
    assert_eq!(matched(r#"{"deprivation_decile": [7, null]}"#), 2);
    assert_eq!(matched(r#"{"year_of_birth": 1984}"#), 3);
    assert_eq!(matched(r#"{"referrals": 0}"#), 2);
    assert_eq!(matched(r#"{"contacts": 2}"#), 2);
    assert_eq!(matched(r#"{"ward_stays": [2, 3]}"#), 5);
    assert_eq!(matched(r#"{"agency_contacts": {"min": 1}}"#), 2);
    assert_eq!(matched(r#"{"diagnoses": {"min": 2}}"#), 3);
    assert_eq!(matched(r#"{"detentions": 2}"#), 2);
    let c = check(&profile(), &facts(r#"{"admissions": 0}"#), 1, 2025).unwrap();
    assert_eq!((c.matched, c.facts[0].field.as_str()), (Some(4), "admissions"));
    assert_eq!(c.facts[0].description, "no hospital admissions");
}

#[test]
fn facts_keep_the_order_written_and_describe_themselves() {
    let f = facts(
        r#"{"diagnosis": "F20", "spells": 1, "age": {"min": 30}, "sex": ["female", "intersex"],
            "ethnic_group": ["black", "mixed"], "deprivation_decile": {"max": 3}, "year_of_birth": {"min": 1980},
            "gender": "non_binary", "detentions": {"min": 2}, "contacts": {"max": 1}}"#,
    );
    let fields: Vec<&str> = f.facts().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "diagnosis",
            "spells",
            "age",
            "sex",
            "ethnic_group",
            "deprivation_decile",
            "year_of_birth",
            "gender",
            "detentions",
            "contacts"
        ]
    );
    let described: Vec<String> = f.facts().iter().map(|f| f.description(2025)).collect();
    assert_eq!(
        described,
        [
            "a diagnosis coded F20…",
            "1 hospital admission",
            "aged 30 or over in 2025",
            "female or intersex",
            "ethnic group any of: Black, Black British, Caribbean or African; Mixed or multiple ethnic groups",
            "deprivation decile 3 or lower",
            "born 1980 or later",
            "gender: non-binary",
            "at least 2 detentions under the Mental Health Act",
            "at most 1 care contact",
        ]
    );
    assert_eq!(
        f.facts()[1].test,
        Test::Count(cocare_vignettes::facts::CountKind::Spells, Range::exactly(1))
    );
}

#[test]
fn every_problem_is_named_with_its_field() {
    let all = errors(r#"{"sex": "femal", "colour": "blue", "age": {"min": 50, "max": 40}, "referrals": -1}"#);
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(
        all[0],
        r#""sex": "femal" is not a sex; expected female, male, intersex or not_stated"#
    );
    assert!(
        all[1].starts_with(
            r#""colour": not a field a vignette can be checked on; known fields: sex, gender, ethnicity,"#
        ),
        "{}",
        all[1]
    );
    assert!(all[1].contains("diagnosis, as_of"), "{}", all[1]);
    assert_eq!(all[2], r#""age": min 50 is greater than max 40"#);
    assert_eq!(all[3], r#""referrals": a count cannot be negative (-1)"#);

    let cases: &[(&str, &str)] = &[
        ("{}", "no facts to check"),
        (r#"{"as_of": "2025-01-01"}"#, "no facts to check"),
        ("[1, 2]", "the facts must be a JSON object of field: value, not a list"),
        ("{\"sex\": ", "not JSON"),
        (
            r#"{"ethnicity": "Q"}"#,
            r#""ethnicity": "Q" is not an NHS ethnic category; expected A, B, C"#,
        ),
        (
            r#"{"ethnic_group": "white british"}"#,
            r#""ethnic_group": "white british" is not an ethnic group; expected white, mixed, asian, black or other"#,
        ),
        (
            r#"{"gender": ["woman", "female"]}"#,
            r#""gender": "female" is not a gender; expected woman, man, non_binary, other or not_stated"#,
        ),
        (
            r#"{"sex": 3}"#,
            r#""sex": expected a string or a list of strings, not 3"#,
        ),
        (
            r#"{"sex": []}"#,
            r#""sex": an empty list matches no one; give at least one value"#,
        ),
        (
            r#"{"age": "40"}"#,
            r#""age": expected a whole number or a range ({"min": …, "max": …} or [min, max]), not "40""#,
        ),
        (r#"{"age": 2.5}"#, r#""age": 2.5 is not a whole number"#),
        (
            r#"{"age": [1, 2, 3]}"#,
            r#""age": a range written as a list has two items, [min, max], not 3"#,
        ),
        (
            r#"{"age": {"minimum": 3}}"#,
            r#""age": unknown key "minimum" in a range; expected min and max"#,
        ),
        (r#"{"age": {}}"#, r#""age": a range needs min, max or both"#),
        (r#"{"age": -1}"#, r#""age": -1 is not an age in years (0 to 200)"#),
        (
            r#"{"deprivation_decile": 11}"#,
            r#""deprivation_decile": 11 is not a decile; expected 1 to 10"#,
        ),
        (
            r#"{"year_of_birth": 84}"#,
            r#""year_of_birth": 84 is not a year (four digits)"#,
        ),
        (
            r#"{"spells": 1, "admissions": 2}"#,
            r#""admissions": given twice (also as "spells")"#,
        ),
        (r#"{"sex": "male", "sex": "female"}"#, r#""sex": given twice"#),
        (
            r#"{"sex": "male", "as_of": "2025-13-01"}"#,
            r#""as_of": "2025-13-01" is not a date written YYYY-MM-DD"#,
        ),
        (
            r#"{"diagnosis": "20F"}"#,
            r#""diagnosis": "20F" is not an ICD-10 code or prefix"#,
        ),
    ];
    for (json, want) in cases {
        let got = errors(json);
        assert!(got.iter().any(|e| e.starts_with(want)), "{json}: {got:?}");
    }
    let f = facts(r#"{"sex": "female"}"#);
    assert_eq!(check(&profile(), &f, 0, 2025), Err(CheckError::ZeroK));
}

#[test]
fn profiles_refuse_columns_that_do_not_fit() {
    let mut columns = profile().into_columns();
    columns.counts.spells.pop();
    let err = Profile::new(columns).unwrap_err().to_string();
    assert!(err.contains("spells has 11 entries but birth_year has 12"), "{err}");
    let mut columns = profile().into_columns();
    columns.sex.codes[0] = 17;
    assert!(
        Profile::new(columns)
            .unwrap_err()
            .to_string()
            .contains("sex has code 17")
    );
    let mut columns = profile().into_columns();
    columns.diagnoses.offsets[3] = 0;
    assert!(Profile::new(columns).is_err());
    assert!(Profile::new(ProfileColumns::default()).is_ok(), "no one is a profile");
}

/// Larger profiles, across the pass's block boundaries, against a person-by-person count.
#[test]
fn the_blocked_pass_agrees_with_a_person_by_person_count() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let people: Vec<P> = (0..5_000)
        .map(|_| {
            let template = &PEOPLE[next(12) as usize];
            let mut counts = template.counts;
            counts[2] = next(5) as u32;
            P {
                born: 1950 + next(50) as i32,
                counts,
                ..*template
            }
        })
        .collect();
    let profile = profile_of(&people);
    let json = r#"{"sex": "female", "age": [30, 50], "spells": {"min": 1, "max": 3}, "diagnosis": "F2", "ethnic_group": "black", "deprivation_decile": [1, 3]}"#;
    let f = facts(json);
    let ok = |p: &P| {
        [
            p.sex == "female",
            (1975..=1995).contains(&p.born),
            (1..=3).contains(&p.counts[2]),
            p.dx.iter().any(|d| d.starts_with("F2")),
            p.group == Some("black"),
            p.deprivation.is_some_and(|d| (1..=3).contains(&d)),
        ]
    };
    let matched = people.iter().filter(|p| ok(p).iter().all(|x| *x)).count() as u64;
    let c = check(&profile, &f, 1, 2025).unwrap();
    assert_eq!(c.matched, Some(matched));
    assert!(matched > 50, "the sample should match some people: {matched}");
    for (j, fact) in c.facts.iter().enumerate() {
        let without = people
            .iter()
            .filter(|p| ok(p).iter().enumerate().all(|(i, x)| i == j || *x))
            .count() as u64;
        assert_eq!(fact.without, Some(without), "{}", fact.field);
    }
}
