//! From record events to resources used: which resource each kind of event consumes, and how
//! much of it. The contract is `docs/econ-costing.md`; this module is its executable form.

use cocare_records::units::{self, UnitKind};
use serde::Serialize;

use crate::costs::Sector;

/// How many units of a resource one event stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// One per event (a contact, an attendance, an incident).
    One,
    /// Nights from start to end, at least one; a stay still open ends on the extract's last day.
    Nights,
    /// The event's own quantity (weeks of housing support, nights in prison), 1 when empty.
    Recorded,
}

impl Quantity {
    pub fn of(self, start: i32, end: Option<i32>, recorded: Option<f64>, last_day: i32) -> f64 {
        match self {
            Quantity::One => 1.0,
            Quantity::Nights => {
                let end = end.unwrap_or(last_day.max(start));
                f64::from((end - start).max(1))
            }
            Quantity::Recorded => recorded.filter(|q| q.is_finite() && *q >= 0.0).unwrap_or(1.0),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Quantity::One => "1 per event",
            Quantity::Nights => "nights from start to end (at least 1; open stays end on the extract's last day)",
            Quantity::Recorded => "the recorded quantity (1 when empty)",
        }
    }
}

/// One line of the mapping: events of this unit use this resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub event: &'static str,
    pub code: &'static str,
    pub resource: &'static str,
    pub quantity: Quantity,
}

/// The resource an attended contact with a service uses.
fn service_resource(service: &str) -> &'static str {
    match service {
        "crisis" => "crisis_home_treatment_contact",
        "psychology" => "psychological_therapy_session",
        _ => "cmht_contact",
    }
}

fn ward_resource(ward: &str) -> Option<&'static str> {
    Some(match ward {
        "acute" => "inpatient_acute_bed_day",
        "picu" => "inpatient_picu_bed_day",
        "forensic" => "inpatient_forensic_bed_day",
        "rehabilitation" => "inpatient_rehab_bed_day",
        _ => return None,
    })
}

fn agency_resource(agency: &str) -> Option<(&'static str, Quantity)> {
    Some(match agency {
        "ae" => ("ae_attendance", Quantity::One),
        "ambulance" => ("ambulance_call_out", Quantity::One),
        "police" => ("police_contact", Quantity::One),
        "custody" => ("police_custody_episode", Quantity::One),
        "housing_support" => ("supported_housing_week", Quantity::Recorded),
        "social_care" => ("social_worker_hour", Quantity::Recorded),
        "gp" => ("gp_consultation", Quantity::Recorded),
        "prison" => ("prison_day", Quantity::Recorded),
        "voluntary" => ("voluntary_sector_session", Quantity::Recorded),
        _ => return None,
    })
}

/// The mapping for the unit at `index` (see `cocare_records::units`), if the unit is costed.
pub fn for_unit(index: usize) -> Option<Mapping> {
    let unit = units::all().get(index)?;
    let (event, resource, quantity) = match unit.kind {
        UnitKind::Contact => ("attended contact", service_resource(unit.code), Quantity::One),
        UnitKind::WardStay => ("ward stay", ward_resource(unit.code)?, Quantity::Nights),
        UnitKind::Agency => {
            let (r, q) = agency_resource(unit.code)?;
            ("agency contact", r, q)
        }
        UnitKind::NotAttended
        | UnitKind::Referral
        | UnitKind::Admission
        | UnitKind::Detention
        | UnitKind::Diagnosis => return None,
    };
    Some(Mapping {
        event,
        code: unit.code,
        resource,
        quantity,
    })
}

/// Every costed unit's mapping, in unit order: `(unit index, mapping)`.
pub fn all() -> Vec<(usize, Mapping)> {
    (0..units::all().len())
        .filter_map(|i| for_unit(i).map(|m| (i, m)))
        .collect()
}

/// Outcome measures that record resource use rather than health: `(measure, resource)`, the
/// value being the quantity (days off work since the last measurement; hours of care given by
/// family or friends).
pub const OUTCOME_RESOURCES: [(&str, &str); 2] = [("lost_work_days", "lost_work_day"), ("carer_hours", "carer_hour")];

/// The resources the default table is meant to cost, with the sector each belongs to
/// (`reference/unit-costs.md`). A resource missing from a table is needed only when its sector
/// counts from the chosen perspective.
pub const CONTRACT: &[(&str, Sector)] = &[
    ("inpatient_acute_bed_day", Sector::NhsMentalHealth),
    ("inpatient_picu_bed_day", Sector::NhsMentalHealth),
    ("inpatient_forensic_bed_day", Sector::NhsMentalHealth),
    ("inpatient_rehab_bed_day", Sector::NhsMentalHealth),
    ("crisis_home_treatment_contact", Sector::NhsMentalHealth),
    ("cmht_contact", Sector::NhsMentalHealth),
    ("care_coordinator_hour", Sector::NhsMentalHealth),
    ("psychiatrist_outpatient_contact", Sector::NhsMentalHealth),
    ("psychological_therapy_session", Sector::NhsMentalHealth),
    ("ae_attendance", Sector::NhsAcute),
    ("ambulance_call_out", Sector::NhsAcute),
    ("general_hospital_bed_day", Sector::NhsAcute),
    ("gp_consultation", Sector::PrimaryCare),
    ("social_worker_hour", Sector::SocialCare),
    ("home_care_hour", Sector::SocialCare),
    ("supported_housing_week", Sector::Housing),
    ("residential_care_week", Sector::SocialCare),
    ("police_contact", Sector::CriminalJustice),
    ("police_custody_episode", Sector::CriminalJustice),
    ("prison_day", Sector::CriminalJustice),
    ("voluntary_sector_session", Sector::Voluntary),
    ("lost_work_day", Sector::Society),
    ("carer_hour", Sector::Society),
];

/// The sector a resource of the contract belongs to.
pub fn contract_sector(resource: &str) -> Option<Sector> {
    CONTRACT.iter().find(|(r, _)| *r == resource).map(|(_, s)| *s)
}

/// The outcome measure QALYs are computed from.
pub const UTILITY_MEASURE: &str = "eq5d_utility";

#[cfg(test)]
mod tests {
    use super::*;
    use cocare_records::layout::EventKind;

    fn unit(kind: EventKind, code: &str, attended: Option<bool>) -> usize {
        units::of(kind, code, None, attended).unwrap() as usize
    }

    #[test]
    fn events_map_to_the_resources_the_default_table_costs() {
        let crisis = for_unit(unit(EventKind::Contact, "crisis", Some(true))).unwrap();
        assert_eq!(crisis.resource, "crisis_home_treatment_contact");
        assert_eq!(for_unit(unit(EventKind::Contact, "crisis", Some(false))), None);
        let picu = for_unit(unit(EventKind::WardStay, "picu", None)).unwrap();
        assert_eq!(
            (picu.resource, picu.quantity),
            ("inpatient_picu_bed_day", Quantity::Nights)
        );
        let housing = for_unit(unit(EventKind::Agency, "housing_support", None)).unwrap();
        assert_eq!(housing.quantity, Quantity::Recorded);
        assert_eq!(for_unit(unit(EventKind::Detention, "s136", None)), None);
        // The mapping names only resources of the contract in unit-costs.md.
        for (_, m) in all() {
            assert!(contract_sector(m.resource).is_some(), "{}", m.resource);
        }
        for (_, r) in OUTCOME_RESOURCES {
            assert_eq!(contract_sector(r), Some(Sector::Society));
        }
    }

    #[test]
    fn quantities() {
        assert_eq!(Quantity::Nights.of(10, Some(15), None, 100), 5.0);
        assert_eq!(Quantity::Nights.of(10, Some(10), None, 100), 1.0);
        assert_eq!(Quantity::Nights.of(10, None, None, 40), 30.0);
        assert_eq!(Quantity::Recorded.of(1, None, Some(3.0), 1), 3.0);
        assert_eq!(Quantity::Recorded.of(1, None, None, 1), 1.0);
        assert_eq!(Quantity::Recorded.of(1, None, Some(f64::NAN), 1), 1.0);
        assert_eq!(Quantity::One.of(1, None, Some(9.0), 1), 1.0);
    }
}
