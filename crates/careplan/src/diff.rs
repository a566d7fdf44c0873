//! A readable difference between two versions of a plan, line by line.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::CarePlan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub change: Change,
    pub text: String,
}

/// What changed from `before` to `after`, in reading order.
pub fn between(before: &CarePlan, after: &CarePlan) -> Vec<DiffLine> {
    let old = before.as_text();
    let new = after.as_text();
    TextDiff::from_lines(&old, &new)
        .iter_all_changes()
        .map(|change| DiffLine {
            change: match change.tag() {
                ChangeTag::Equal => Change::Same,
                ChangeTag::Insert => Change::Added,
                ChangeTag::Delete => Change::Removed,
            },
            text: change.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use cocare_core::{Role, parse_timestamp};

    use super::*;
    use crate::{Attribution, SectionKind};

    #[test]
    fn the_difference_names_what_was_added_and_removed() {
        let by = |role| Attribution {
            author: "x".into(),
            role,
            at: parse_timestamp("2026-11-24T10:00:00Z").unwrap(),
        };
        let mut first = CarePlan::new();
        first
            .contribute(SectionKind::WhatHelps, "Walking the dog", by(Role::ServiceUser), 0)
            .unwrap();
        let mut second = first.start_review();
        second
            .contribute(
                SectionKind::WhatHelps,
                "Walking the dog\nCalling my sister",
                by(Role::ServiceUser),
                1,
            )
            .unwrap();
        let lines = between(&first, &second);
        assert!(lines.contains(&DiffLine {
            change: Change::Added,
            text: "In my words: Calling my sister".into()
        }));
        assert!(lines.contains(&DiffLine {
            change: Change::Same,
            text: "In my words: Walking the dog".into()
        }));
        assert!(!lines.iter().any(|l| l.change == Change::Removed));
    }
}
