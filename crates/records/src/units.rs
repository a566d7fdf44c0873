//! Units of service use: each event in the analytic store carries one (`unit`, a small
//! integer), fixed at import. Cohort rules, rates and pathways all count units.
//!
//! Contacts are split into attended and not attended (`contact` counts only attended ones,
//! `dna` the others); diagnoses are counted by group; outcomes have no unit.

use crate::codes::{Agency, DiagnosisGroup, Section, Service, Ward};
use crate::layout::EventKind;

/// One unit: what kind of event, and which code (a service, ward, section, agency or
/// diagnosis group; `admission` for admissions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub kind: UnitKind,
    pub code: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    Contact,
    NotAttended,
    Referral,
    Admission,
    WardStay,
    Detention,
    Agency,
    Diagnosis,
}

/// Every unit, in index order.
pub fn all() -> &'static [Unit] {
    static UNITS: std::sync::OnceLock<Vec<Unit>> = std::sync::OnceLock::new();
    UNITS.get_or_init(|| {
        let mut out = Vec::new();
        for s in Service::ALL {
            out.push(Unit {
                kind: UnitKind::Contact,
                code: s.code(),
            });
        }
        for s in Service::ALL {
            out.push(Unit {
                kind: UnitKind::NotAttended,
                code: s.code(),
            });
        }
        for s in Service::ALL {
            out.push(Unit {
                kind: UnitKind::Referral,
                code: s.code(),
            });
        }
        out.push(Unit {
            kind: UnitKind::Admission,
            code: "admission",
        });
        for w in Ward::ALL {
            out.push(Unit {
                kind: UnitKind::WardStay,
                code: w.code(),
            });
        }
        for s in Section::ALL {
            out.push(Unit {
                kind: UnitKind::Detention,
                code: s.code(),
            });
        }
        for a in Agency::ALL {
            out.push(Unit {
                kind: UnitKind::Agency,
                code: a.code(),
            });
        }
        for g in DiagnosisGroup::ALL {
            out.push(Unit {
                kind: UnitKind::Diagnosis,
                code: g.code(),
            });
        }
        out
    })
}

/// The unit of an imported event: `None` for outcomes.
pub fn of(kind: EventKind, code: &str, detail: Option<&str>, attended: Option<bool>) -> Option<i16> {
    let (unit_kind, code) = match kind {
        EventKind::Contact if attended == Some(false) => (UnitKind::NotAttended, code),
        EventKind::Contact => (UnitKind::Contact, code),
        EventKind::Referral => (UnitKind::Referral, code),
        EventKind::Admission => (UnitKind::Admission, "admission"),
        EventKind::WardStay => (UnitKind::WardStay, code),
        EventKind::Detention => (UnitKind::Detention, code),
        EventKind::Agency => (UnitKind::Agency, code),
        EventKind::Diagnosis => (UnitKind::Diagnosis, detail.unwrap_or("other")),
        EventKind::Outcome => return None,
    };
    all()
        .iter()
        .position(|u| u.kind == unit_kind && u.code == code)
        .and_then(|i| i16::try_from(i).ok())
}

/// Which units a cohort `count` rule of this kind and codes counts.
pub fn matching(kind: EventKind, codes: &[String]) -> Vec<usize> {
    let unit_kind = match kind {
        EventKind::Contact => UnitKind::Contact,
        EventKind::Referral => UnitKind::Referral,
        EventKind::Admission => UnitKind::Admission,
        EventKind::WardStay => UnitKind::WardStay,
        EventKind::Detention => UnitKind::Detention,
        EventKind::Agency => UnitKind::Agency,
        EventKind::Diagnosis => UnitKind::Diagnosis,
        EventKind::Outcome => return Vec::new(),
    };
    all()
        .iter()
        .enumerate()
        .filter(|(_, u)| u.kind == unit_kind && (codes.is_empty() || codes.iter().any(|c| c == u.code)))
        .map(|(i, _)| i)
        .collect()
}

/// The unit index of a kind and code, when there is one.
pub fn index(kind: UnitKind, code: &str) -> Option<usize> {
    all().iter().position(|u| u.kind == kind && u.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_but_outcomes_has_a_unit_and_units_are_unique() {
        assert_eq!(of(EventKind::Contact, "cmht", None, Some(true)), Some(0));
        let dna = of(EventKind::Contact, "cmht", None, Some(false)).unwrap();
        assert_eq!(all()[dna as usize].kind, UnitKind::NotAttended);
        assert_eq!(
            all()[of(EventKind::Diagnosis, "F20.0", Some("psychosis"), None).unwrap() as usize].code,
            "psychosis"
        );
        assert_eq!(of(EventKind::Outcome, "eq5d_utility", None, None), None);
        assert_eq!(matching(EventKind::Agency, &[]).len(), Agency::ALL.len());
        assert_eq!(matching(EventKind::Contact, &["crisis".into()]).len(), 1);
        let mut seen = std::collections::HashSet::new();
        assert!(all().iter().all(|u| seen.insert((u.kind, u.code))));
    }
}
