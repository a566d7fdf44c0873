//! Involvement quality: what the EQUIP programme found missing, counted per plan and per team.

use serde::Serialize;

use crate::{CarePlan, Party, SectionKind, Stance, Voice};

/// What involvement is measured from: counts and the latest stances, not the words. A store
/// can load these for thousands of plans at once; [`PlanFacts::of`] derives them from a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFacts {
    /// How many contributions each voice made to each section.
    pub contributions: Vec<(SectionKind, Voice, usize)>,
    pub goals: usize,
    /// The latest stance of each party on each section: agreed or not, and at which revision.
    pub latest_stances: Vec<(SectionKind, Party, bool, usize)>,
}

impl PlanFacts {
    pub fn of(plan: &CarePlan) -> PlanFacts {
        let mut contributions: Vec<(SectionKind, Voice, usize)> = Vec::new();
        for c in &plan.contributions {
            match contributions
                .iter_mut()
                .find(|(s, v, _)| *s == c.section && *v == c.voice)
            {
                Some(entry) => entry.2 += 1,
                None => contributions.push((c.section, c.voice, 1)),
            }
        }
        let mut latest_stances: Vec<(SectionKind, Party, bool, usize)> = Vec::new();
        for a in &plan.agreements {
            let agreed = matches!(a.stance, Stance::Agree);
            match latest_stances
                .iter_mut()
                .find(|(s, p, _, _)| *s == a.section && *p == a.party)
            {
                Some(entry) => *entry = (a.section, a.party, agreed, a.revision),
                None => latest_stances.push((a.section, a.party, agreed, a.revision)),
            }
        }
        PlanFacts {
            contributions,
            goals: plan.goals.len(),
            latest_stances,
        }
    }

    fn revision(&self, section: SectionKind) -> usize {
        self.contributions
            .iter()
            .filter(|(s, _, _)| *s == section)
            .map(|(_, _, n)| n)
            .sum::<usize>()
            + if section == SectionKind::Goals { self.goals } else { 0 }
    }

    fn has_content(&self, section: SectionKind) -> bool {
        self.revision(section) > 0
    }

    /// The party's stance on the section as it stands now: `Some(true)` agreed.
    fn agreed(&self, section: SectionKind, party: Party) -> Option<bool> {
        let revision = self.revision(section);
        self.latest_stances
            .iter()
            .find(|(s, p, _, r)| *s == section && *p == party && *r == revision)
            .map(|(_, _, agreed, _)| *agreed)
    }
}

/// Facts about a plan that live outside it (recorded events and the person's situation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanContext {
    pub has_carer: bool,
    pub copy_given: bool,
    pub reviewed_on_time: bool,
}

/// One plan's involvement indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Indicators {
    pub own_words: bool,
    pub agreed_by_service_user: bool,
    pub copy_given: bool,
    /// `None` when the service user has no carer (the indicator does not apply).
    pub carer_involved: Option<bool>,
    pub reviewed_on_time: bool,
    pub crisis_plan: bool,
}

pub fn indicators(plan: &CarePlan, context: PlanContext) -> Indicators {
    indicators_from(&PlanFacts::of(plan), context)
}

/// The same measures from facts alone (what the team dashboard loads in bulk).
pub fn indicators_from(facts: &PlanFacts, context: PlanContext) -> Indicators {
    let own_words = facts
        .contributions
        .iter()
        .any(|(_, v, n)| *v == Voice::ServiceUser && *n > 0);
    let sections: Vec<SectionKind> = SectionKind::ALL
        .into_iter()
        .filter(|s| facts.has_content(*s) && !s.is_carer_section())
        .collect();
    let agreed_by_service_user = !sections.is_empty()
        && sections
            .iter()
            .all(|s| facts.agreed(*s, Party::ServiceUser) == Some(true));
    let carer_involved = context.has_carer.then(|| {
        facts.contributions.iter().any(|(_, v, n)| *v == Voice::Carer && *n > 0)
            || facts.latest_stances.iter().any(|(_, p, _, _)| *p == Party::Carer)
    });
    Indicators {
        own_words,
        agreed_by_service_user,
        copy_given: context.copy_given,
        carer_involved,
        reviewed_on_time: context.reviewed_on_time,
        crisis_plan: SectionKind::ALL
            .iter()
            .any(|s| s.is_crisis_plan() && facts.has_content(*s)),
    }
}

/// A team's percentages: each indicator over the plans it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TeamSummary {
    pub plans: usize,
    pub own_words: f64,
    pub agreed_by_service_user: f64,
    pub copy_given: f64,
    /// Over plans where the service user has a carer; `None` when none has.
    pub carer_involved: Option<f64>,
    pub reviewed_on_time: f64,
    pub crisis_plan: f64,
}

fn percent(yes: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { 100.0 * yes as f64 / of as f64 }
}

pub fn team_summary(plans: &[Indicators]) -> TeamSummary {
    let count = |f: fn(&Indicators) -> bool| plans.iter().filter(|p| f(p)).count();
    let with_carer: Vec<bool> = plans.iter().filter_map(|p| p.carer_involved).collect();
    TeamSummary {
        plans: plans.len(),
        own_words: percent(count(|p| p.own_words), plans.len()),
        agreed_by_service_user: percent(count(|p| p.agreed_by_service_user), plans.len()),
        copy_given: percent(count(|p| p.copy_given), plans.len()),
        carer_involved: (!with_carer.is_empty())
            .then(|| percent(with_carer.iter().filter(|b| **b).count(), with_carer.len())),
        reviewed_on_time: percent(count(|p| p.reviewed_on_time), plans.len()),
        crisis_plan: percent(count(|p| p.crisis_plan), plans.len()),
    }
}

#[cfg(test)]
mod tests {
    use cocare_core::{Role, parse_timestamp};

    use super::*;
    use crate::Attribution;

    fn by(role: Role) -> Attribution {
        Attribution {
            author: "x".into(),
            role,
            at: parse_timestamp("2026-11-24T10:00:00Z").unwrap(),
        }
    }

    #[test]
    fn indicators_follow_what_was_recorded() {
        let mut plan = CarePlan::new();
        let clinical_only = indicators(
            &plan,
            PlanContext {
                has_carer: true,
                ..Default::default()
            },
        );
        assert_eq!(
            (
                clinical_only.own_words,
                clinical_only.crisis_plan,
                clinical_only.carer_involved
            ),
            (false, false, Some(false))
        );
        plan.contribute(SectionKind::AboutMe, "Me", by(Role::ServiceUser), 0)
            .unwrap();
        plan.contribute(SectionKind::WhoToContact, "My sister", by(Role::ServiceUser), 0)
            .unwrap();
        plan.contribute(SectionKind::CarerView, "Worried about nights", by(Role::Carer), 0)
            .unwrap();
        plan.agree(SectionKind::AboutMe, Stance::Agree, by(Role::ServiceUser))
            .unwrap();
        let partly = indicators(
            &plan,
            PlanContext {
                has_carer: true,
                copy_given: true,
                reviewed_on_time: true,
            },
        );
        assert!(partly.own_words && partly.crisis_plan && partly.copy_given);
        assert_eq!(partly.carer_involved, Some(true));
        assert!(!partly.agreed_by_service_user, "who to contact is not yet agreed");
        plan.agree(SectionKind::WhoToContact, Stance::Agree, by(Role::ServiceUser))
            .unwrap();
        assert!(indicators(&plan, PlanContext::default()).agreed_by_service_user);
        assert_eq!(
            indicators(&plan, PlanContext::default()).carer_involved,
            None,
            "no carer: does not apply"
        );
    }

    #[test]
    fn team_percentages_count_carer_involvement_only_where_there_is_a_carer() {
        let plan = |own_words, carer_involved| Indicators {
            own_words,
            agreed_by_service_user: false,
            copy_given: true,
            carer_involved,
            reviewed_on_time: own_words,
            crisis_plan: false,
        };
        let summary = team_summary(&[
            plan(true, Some(true)),
            plan(true, None),
            plan(false, Some(false)),
            plan(true, None),
        ]);
        // Hand computed: own words 3 of 4 = 75%; carer involved 1 of the 2 plans with a carer = 50%.
        assert_eq!(summary.plans, 4);
        assert_eq!(summary.own_words, 75.0);
        assert_eq!(summary.carer_involved, Some(50.0));
        assert_eq!(summary.copy_given, 100.0);
        assert_eq!(team_summary(&[]).own_words, 0.0);
    }
}
