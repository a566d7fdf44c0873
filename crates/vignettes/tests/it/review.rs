//! A vignette's review: comments anchored by their words, word-level differences between
//! versions, and the group's approval rule.

use cocare_vignettes::vignette::{AnchorError, ApprovalRule, Body, Change, anchor, diff, validate};

#[test]
fn a_comment_is_anchored_by_its_words_in_characters() {
    let story = "Café at night. She said: nobody listens. Nobody listens at all.";
    assert_eq!(
        anchor(story, "at night"),
        Ok((5, 13)),
        "positions count characters, not bytes"
    );
    assert_eq!(anchor(story, "  "), Err(AnchorError::Empty));
    assert!(matches!(anchor(story, "a house"), Err(AnchorError::NotFound(_))));
    assert!(matches!(anchor(story, "listens"), Err(AnchorError::Ambiguous(_, 2))));
    assert!(
        anchor(story, "nobody listens").is_ok(),
        "matching is case-sensitive, so this is unique"
    );
}

#[test]
fn the_difference_between_versions_is_word_by_word() {
    let spans = diff("She felt nobody listened.", "She felt unheard.");
    let text = |c: Change| -> String {
        spans
            .iter()
            .filter(|s| s.change == c)
            .map(|s| s.text.as_str())
            .collect()
    };
    assert_eq!(text(Change::Removed).trim(), "nobody listened.");
    assert_eq!(text(Change::Added).trim(), "unheard.");
    assert!(text(Change::Same).starts_with("She felt"));
}

#[test]
fn the_rule_is_met_only_when_every_category_is() {
    let rule = ApprovalRule::default_rule();
    assert_eq!(
        rule.describe(),
        "at least 1 from carers, 1 from clinicians, 1 from service users"
    );
    let status = rule.status(["service_user", "clinician", "clinician"]);
    assert!(!status.met);
    assert_eq!(status.approvals, 3);
    let carers = status.categories.iter().find(|c| c.category == "carer").unwrap();
    assert_eq!((carers.approvals, carers.needed, carers.met), (0, 1, false));
    assert!(rule.status(["service_user", "carer", "clinician"]).met);
    // Approvals from categories the rule does not ask for are shown but change nothing.
    let status = rule.status(["housing", "service_user", "carer", "clinician"]);
    assert!(
        status.met
            && status
                .categories
                .iter()
                .any(|c| c.category == "housing" && c.needed == 0)
    );

    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect()
    };
    let rule = ApprovalRule::from_pairs(&pairs(&[("service_user", "2"), ("carer", ""), ("housing", "1")])).unwrap();
    assert!(!rule.status(["service_user", "housing"]).met);
    assert!(rule.status(["service_user", "service_user", "housing"]).met);
    let problems = ApprovalRule::from_pairs(&pairs(&[("service_user", "two"), ("martian", "1")])).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().any(|(_, m)| m.contains("not \u{201c}two\u{201d}")));
    let problems = ApprovalRule::from_pairs(&pairs(&[("carer", "0")])).unwrap_err();
    assert!(problems[0].1.contains("at least one approval"));
}

#[test]
fn a_body_names_its_problems() {
    let problems = validate(&Body::default());
    let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, vec!["title", "story", "facts"]);
    let body = Body {
        title: "Jo".into(),
        story: "A story.".into(),
        facts: r#"{"sex": "femal"}"#.into(),
        themes: Vec::new(),
    };
    let problems = validate(&body);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].1.contains("femal"), "{problems:?}");
}
