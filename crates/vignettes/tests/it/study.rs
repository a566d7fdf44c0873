//! Decision studies: validation names every problem, answers are checked, what a respondent
//! sees follows the seed, and the analysis (distributions, Fleiss' kappa, Krippendorff's alpha,
//! the factorial effect) matches values worked by hand.

use cocare_vignettes::study::{
    Answer, Definition, Factor, FactorLevel, Item, Respondent, Response, StudyVignette, analyse, dictionary_csv,
    responses_csv,
};

fn items() -> Vec<Item> {
    vec![
        Item {
            id: "refer".into(),
            prompt: "Refer?".into(),
            answer: Answer::YesNo,
        },
        Item {
            id: "confidence".into(),
            prompt: "Confidence".into(),
            answer: Answer::Scale { min: 1, max: 3 },
        },
        Item {
            id: "why".into(),
            prompt: "Why?".into(),
            answer: Answer::Text,
        },
    ]
}

fn definition() -> Definition {
    Definition {
        title: "Study".into(),
        seed: 42,
        items: items(),
        vignettes: vec![
            StudyVignette {
                vignette: "a".into(),
                version: 2,
                title: "Case A".into(),
                story: "She lives alone in a council flat and calls the crisis team at night.".into(),
                factors: vec![Factor {
                    name: "housing".into(),
                    levels: vec![
                        FactorLevel {
                            label: "flat".into(),
                            text: "lives alone in a council flat".into(),
                        },
                        FactorLevel {
                            label: "rough".into(),
                            text: "has been sleeping rough".into(),
                        },
                    ],
                }],
            },
            StudyVignette {
                vignette: "b".into(),
                version: 1,
                title: "Case B".into(),
                story: "He lives with his mother.".into(),
                factors: Vec::new(),
            },
        ],
    }
}

fn response(respondent: u64, vignette: &str, item: &str, answer: &str) -> Response {
    Response {
        respondent,
        vignette: vignette.into(),
        item: item.into(),
        answer: answer.into(),
    }
}

#[test]
fn validation_names_every_problem() {
    assert!(definition().validate().is_empty(), "{:?}", definition().validate());
    let mut d = definition();
    d.vignettes[0].factors[0].levels.truncate(1);
    let problems = d.validate();
    assert!(
        problems.iter().any(|p| p.message.contains("has one level")),
        "{problems:?}"
    );
    let mut d = definition();
    d.vignettes[0].factors[0].levels[0].text = "a house by the sea".into();
    assert!(
        d.validate()
            .iter()
            .any(|p| p.message.contains("must appear exactly once"))
    );
    let mut d = definition();
    d.vignettes.clear();
    assert!(
        d.validate()
            .iter()
            .any(|p| p.message.contains("at least one approved vignette"))
    );
    let mut d = definition();
    d.items.push(d.items[0].clone());
    d.items.push(Item {
        id: "pick".into(),
        prompt: "Pick".into(),
        answer: Answer::Choice {
            options: vec!["only".into()],
        },
    });
    d.items.push(Item {
        id: "bad scale".into(),
        prompt: "Scale".into(),
        answer: Answer::Scale { min: 5, max: 5 },
    });
    let messages: Vec<String> = d.validate().into_iter().map(|p| p.message).collect();
    assert!(
        messages.iter().any(|m| m.contains("Two questions are called")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("at least two different options")));
    assert!(messages.iter().any(|m| m.contains("lower to a higher number")));
    assert!(messages.iter().any(|m| m.contains("short name")));
}

#[test]
fn answers_are_checked_by_their_type() {
    let [refer, confidence, why] = <[Item; 3]>::try_from(items()).unwrap();
    assert_eq!(refer.check(" Yes ").unwrap(), "yes");
    assert_eq!(refer.check("n").unwrap(), "no");
    assert!(refer.check("maybe").unwrap_err().contains("answer yes or no"));
    assert_eq!(confidence.check("3").unwrap(), "3");
    assert!(confidence.check("4").unwrap_err().contains("from 1 to 3"));
    assert!(confidence.check("two").is_err());
    assert!(why.check("   ").unwrap_err().contains("Why?"));
    assert_eq!(why.check(" Because. ").unwrap(), "Because.");
}

#[test]
fn what_a_respondent_sees_follows_the_seed() {
    let d = definition();
    for n in 0..20 {
        let a = d.assignment(n);
        assert_eq!(a, d.assignment(n), "the same seed and number give the same assignment");
        let mut order = a.order.clone();
        order.sort_unstable();
        assert_eq!(order, vec![0, 1]);
        assert_eq!(a.levels[1], Vec::<usize>::new(), "case B varies nothing");
    }
    // Permuted blocks: respondents 0 and 1 see different housing levels.
    assert_ne!(d.assignment(0).levels[0], d.assignment(1).levels[0]);
    let v = &d.vignettes[0];
    assert_eq!(v.presented(&[0]), v.story);
    assert_eq!(
        v.presented(&[1]),
        "She has been sleeping rough and calls the crisis team at night."
    );
    assert_eq!(v.variant(&[1]), "housing: rough");
}

#[test]
fn the_analysis_matches_values_worked_by_hand() {
    let d = definition();
    // Four respondents. Case A: "rough" always refers; "flat" refers for one of its two
    // respondents. Case B: everyone refers. Respondent 3 does not rate confidence for B.
    let rough_of = |n: u64| d.assignment(n).levels[0][0] == 1;
    let mut flats = 0;
    let mut responses = Vec::new();
    for n in 0..4 {
        let refer_a = if rough_of(n) {
            "yes"
        } else {
            flats += 1;
            if flats == 1 { "no" } else { "yes" }
        };
        responses.push(response(n, "a", "refer", refer_a));
        responses.push(response(n, "b", "refer", "yes"));
        responses.push(response(n, "a", "confidence", "2"));
        if n != 3 {
            responses.push(response(n, "b", "confidence", "3"));
        }
        responses.push(response(n, "a", "why", &format!("reason {n}")));
    }
    // An answer to a question not in the study is ignored, not counted.
    responses.push(response(0, "a", "nonsense", "yes"));
    assert_eq!(flats, 2, "two respondents saw each level");
    let a = analyse(&d, &responses, true);
    assert_eq!(a.respondents, 4);

    let refer_a = a
        .distributions
        .iter()
        .find(|x| x.vignette == "a" && x.item == "refer")
        .unwrap();
    let count = |v: &str| refer_a.counts.iter().find(|c| c.value == v).unwrap().count;
    assert_eq!((count("yes"), count("no"), refer_a.answered), (3, 1, 4));

    // Fleiss' kappa over units A (3 yes, 1 no) and B (4 yes), 4 raters each:
    // P̄ = (0.5 + 1)/2 = 0.75; p = (7/8, 1/8); Pe = 50/64; κ = (0.75 − 0.78125)/(1 − 0.78125) = −1/7.
    let refer = a.agreement.iter().find(|g| g.item == "refer").unwrap();
    let fleiss = refer.fleiss.as_ref().unwrap();
    assert!((fleiss.coefficient.unwrap() + 1.0 / 7.0).abs() < 1e-12, "{fleiss:?}");
    assert_eq!((fleiss.units, fleiss.raters), (2, Some(4)));
    // Krippendorff's alpha (nominal): coincidences o(yes,yes) = 6, o(yes,no) = o(no,yes) = 1,
    // n = 8, n(yes) = 7, n(no) = 1: α = 1 − 7 × 2 / (7 × 1 + 1 × 7) = 0.
    let alpha = refer.krippendorff.as_ref().unwrap();
    assert!(alpha.coefficient.unwrap().abs() < 1e-12, "{alpha:?}");
    // Confidence: respondent 3 skipped case B, so Fleiss' kappa rests on three raters.
    let confidence = a.agreement.iter().find(|g| g.item == "confidence").unwrap();
    assert_eq!(confidence.fleiss.as_ref().unwrap().raters, Some(3));
    assert!(
        a.agreement.iter().all(|g| g.item != "why"),
        "free text is not rated for agreement"
    );

    // The housing effect on referral: rough 2/2 against flat 1/2 = +0.5, SE √(0 + 0.25/2).
    let effect = a.effects.iter().find(|e| e.item == "refer").unwrap();
    assert_eq!((effect.level.as_str(), effect.reference.as_str()), ("rough", "flat"));
    let r = effect.result.as_ref().unwrap();
    assert_eq!((r.yes, r.n), ([2, 1], [2, 2]));
    let se = (0.125_f64).sqrt();
    assert!((r.difference - 0.5).abs() < 1e-12);
    assert!((r.se - se).abs() < 1e-12);
    assert!((r.low - (0.5 - 1.959_963_984_540_054 * se)).abs() < 1e-9);
    // Rough always refers, so the regression cannot estimate its odds ratio, and says why.
    let fit = &a.regressions.iter().find(|x| x.item == "refer").unwrap().fit;
    assert!(fit.as_ref().unwrap_err().contains("separated"), "{fit:?}");

    assert_eq!(a.reasons.len(), 4);
    let rough_reason = a.reasons.iter().find(|r| rough_of(r.respondent)).unwrap();
    assert_eq!(rough_reason.variant, "housing: rough");

    // Exports: every respondent × vignette × item, in each one's order, unanswered left empty.
    let respondents: Vec<Respondent> = (0..4)
        .map(|n| Respondent {
            number: n,
            label: format!("Clinician {}", n + 1),
            status: if n == 3 { "started" } else { "submitted" }.into(),
        })
        .collect();
    let csv = responses_csv("s1", &d, &respondents, &responses);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 1 + 4 * 2 * 3);
    assert!(
        rows.iter()
            .any(|r| r.starts_with("s1,4,started,b,Case B,1,") && r.ends_with(",confidence,scale,"))
    );
    assert!(!csv.contains("nonsense"));
    let dictionary = dictionary_csv(&d);
    assert!(dictionary.contains("confidence,item,Confidence,scale,1; 2; 3"));
    assert!(dictionary.contains("housing,factor,"));
}
