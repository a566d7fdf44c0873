//! A pathway evaluation on usage small enough to check by hand.
use cocare_econ::costs::{Perspective, Sector, UnitCostTable};
use cocare_econ::evaluate::{EvaluationError, EvaluationSpec, NO_PATHWAY, Scenario, Usage, evaluate};
use cocare_records::sdc::Disclosure;

const TABLE: &str = "resource,unit,category,sector,cost,currency,price_year,source,edition,table\n\
    inpatient_acute_bed_day,bed day,direct_medical,nhs_mental_health,500,GBP,2024,Test,1,T1\n\
    crisis_home_treatment_contact,contact,direct_medical,nhs_mental_health,200,GBP,2024,Test,1,T1\n\
    police_contact,incident,direct_non_medical,criminal_justice,100,GBP,2024,Test,1,T1\n";

/// Six people on the inpatient pathway and six on crisis; two on neither.
fn usage() -> Usage {
    let resources = vec![
        "inpatient_acute_bed_day".to_string(),
        "crisis_home_treatment_contact".to_string(),
        "police_contact".to_string(),
    ];
    let mut pathway = Vec::new();
    let mut q = Vec::new();
    let mut qalys = Vec::new();
    for i in 0..6 {
        // 10 + i bed days, 1 police contact each.
        pathway.push(0);
        q.extend([10.0 + f64::from(i), 0.0, 1.0]);
        qalys.push(Some((1.0, 0.6 + 0.01 * f64::from(i))));
    }
    for i in 0..6 {
        // 2 bed days and 5 + i crisis contacts.
        pathway.push(1);
        q.extend([2.0, 5.0 + f64::from(i), 0.0]);
        qalys.push(Some((1.0, 0.7 + 0.01 * f64::from(i))));
    }
    for _ in 0..2 {
        pathway.push(NO_PATHWAY);
        q.extend([0.0, 1.0, 0.0]);
        qalys.push(None);
    }
    // Everything in year 1 of a two-year horizon, per pathway (and none).
    let width = resources.len();
    let mut yearly = vec![0.0; 3 * 2 * width];
    for (person, p) in pathway.iter().enumerate() {
        let path = usize::from(*p).min(2);
        for r in 0..width {
            yearly[(path * 2) * width + r] += q[person * width + r] * 1.1;
        }
    }
    Usage {
        years: 2,
        yearly,
        resources,
        pathway,
        undiscounted: q.iter().map(|x| x * 1.1).collect(),
        discounted: q,
        qalys,
        events: vec![50, 40, 6],
        overlaps: Vec::new(),
        cohort: "Test cohort".into(),
    }
}

fn spec() -> EvaluationSpec {
    let mut s = EvaluationSpec::crisis_vs_inpatient();
    s.replicates = 1000;
    s.scenarios = vec![
        Scenario::Shift {
            from: "inpatient_acute_bed_day".into(),
            to: "crisis_home_treatment_contact".into(),
            share: 0.2,
            ratio: 1.0,
        },
        Scenario::Scale {
            target: "nhs_mental_health".into(),
            change: -0.15,
        },
    ];
    s
}

#[test]
fn means_breakdowns_and_differences_by_hand() {
    let table = UnitCostTable::parse_csv(TABLE).unwrap();
    let r = evaluate(&spec(), &usage(), &table, &Disclosure::default()).unwrap();
    // Inpatient first: bed days 10..15 (mean 12.5) × 500; police is outside NHS & PSS.
    let inpatient = &r.pathways[0];
    assert_eq!(inpatient.people, Some(6));
    let cost = inpatient.cost.as_ref().unwrap();
    assert!((cost.mean - 6250.0).abs() < 1e-9, "{}", cost.mean);
    assert!((inpatient.cost_undiscounted.unwrap() - 6875.0).abs() < 1e-9);
    assert_eq!(inpatient.by_year.len(), 2);
    assert!((inpatient.by_year[0].1 - 6875.0).abs() < 1e-9 && inpatient.by_year[1].1 == 0.0);
    let (lo, hi) = cost.percentile.range().unwrap();
    assert!(lo < 6250.0 && hi > 6250.0 && lo >= 5000.0 && hi <= 7500.0, "{lo} {hi}");
    assert_eq!(inpatient.by_category[0].key, "direct_medical");
    assert!((inpatient.by_category[0].mean - 6250.0).abs() < 1e-9);
    assert!(inpatient.by_sector.iter().all(|s| s.key != "criminal_justice"));
    // Crisis first: 2 × 500 + mean(5..10) = 7.5 × 200 = 2500.
    let crisis = r.pathways[1].cost.as_ref().unwrap();
    assert!((crisis.mean - 2500.0).abs() < 1e-9);
    let d = &r.differences[0];
    assert!((d.cost.mean + 3750.0).abs() < 1e-9);
    let q = d.qalys.as_ref().unwrap();
    assert!((q.mean - 0.1).abs() < 1e-12);
    // Cheaper and more effective: dominant.
    let ce = r.cost_effectiveness.as_ref().unwrap();
    assert!(ce.icers[0].1.note.starts_with("dominant"));
    assert_eq!(ce.cea.comparisons[0].ceac, vec![1.0, 1.0]);
    // The tornado varies around the difference; bed days move it most.
    let t = r.tornado.as_ref().unwrap();
    assert!((t.base + 3750.0).abs() < 1e-9);
    assert_eq!(t.bars[0].resource, "inpatient_acute_bed_day");
    // Bed-day difference (2 − 12.5) × 500 = −5250, ±25%.
    assert!((t.bars[0].high - t.bars[0].low - 0.5 * 5250.0).abs() < 1e-9);
    assert_eq!(r.cohort_people, Some(14));
    // Shift 20% of bed days (12 × 12.5 + 6 × 2 = 87 bed days over the 14 people) to crisis
    // contacts: −0.2 × 87 × 500 + 0.2 × 87 × 200 = −5220.
    let shift = r.scenarios[0].total_change.as_ref().unwrap();
    assert!((shift.mean + 5220.0).abs() < 1e-6, "{}", shift.mean);
    let mh = r.scenarios[0]
        .by_sector
        .iter()
        .find(|s| s.sector == Sector::NhsMentalHealth)
        .unwrap();
    assert!((mh.after - mh.before + 5220.0).abs() < 1e-6);
    // A 15% cut to NHS mental health spending.
    let cut = r.scenarios[1].total_change.as_ref().unwrap();
    assert!((cut.mean + 0.15 * mh.before).abs() < 1e-6);
    assert!(!serde_json::to_string(&r).unwrap().contains("NaN"));
}

#[test]
fn public_sector_counts_police_and_societal_needs_every_cost() {
    let table = UnitCostTable::parse_csv(TABLE).unwrap();
    let mut s = spec();
    s.perspective = Perspective::PublicSector;
    let r = evaluate(&s, &usage(), &table, &Disclosure::default()).unwrap();
    assert!((r.pathways[0].cost.as_ref().unwrap().mean - 6350.0).abs() < 1e-9);
    // A resource with events and no cost stops the evaluation, named with its events.
    let mut u = usage();
    u.resources.push("voluntary_sector_session".into());
    u.events.push(17);
    for person in (0..u.pathway.len()).rev() {
        u.discounted.insert(person * 3 + 3, 1.0);
        u.undiscounted.insert(person * 3 + 3, 1.0);
    }
    s.perspective = Perspective::Societal;
    match evaluate(&s, &u, &table, &Disclosure::default()) {
        Err(e @ EvaluationError::MissingCosts(_)) => {
            assert_eq!(
                e.to_string(),
                "no unit cost for voluntary_sector_session (used by 17 events)"
            )
        }
        other => panic!("{other:?}"),
    }
    // From the NHS & PSS perspective the voluntary sector does not count, so it is not needed.
    s.perspective = Perspective::NhsPss;
    assert!(evaluate(&s, &u, &table, &Disclosure::default()).is_ok());
}

#[test]
fn overlaps_empty_and_small_pathways_are_named() {
    let table = UnitCostTable::parse_csv(TABLE).unwrap();
    let mut u = usage();
    u.overlaps = vec![(0, 1, 3)];
    let e = evaluate(&spec(), &u, &table, &Disclosure::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("3 people are on both 'Inpatient admission first' and 'Crisis home treatment first'")
    );
    let mut u = usage();
    for p in u.pathway.iter_mut() {
        if *p == 1 {
            *p = NO_PATHWAY;
        }
    }
    let e = evaluate(&spec(), &u, &table, &Disclosure::default()).unwrap_err();
    assert!(e.to_string().contains("'Crisis home treatment first'") && e.to_string().contains("selects nobody"));
    // A pathway of three people is hidden, and so is every comparison with it.
    let mut u = usage();
    for p in u.pathway.iter_mut().skip(6).take(3) {
        *p = NO_PATHWAY;
    }
    let r = evaluate(&spec(), &u, &table, &Disclosure::default()).unwrap();
    assert!(r.pathways[1].hidden && r.pathways[1].cost.is_none() && r.pathways[1].people.is_none());
    assert!(r.differences.is_empty() && r.cost_effectiveness.is_none());
    assert!(r.warnings.iter().any(|w| w.contains("fewer than 5")));
}

#[test]
fn same_seed_same_report() {
    let table = UnitCostTable::parse_csv(TABLE).unwrap();
    let a = evaluate(&spec(), &usage(), &table, &Disclosure::default()).unwrap();
    let b = evaluate(&spec(), &usage(), &table, &Disclosure::default()).unwrap();
    assert_eq!(a, b);
    let mut s = spec();
    s.seed = 2;
    let c = evaluate(&s, &usage(), &table, &Disclosure::default()).unwrap();
    assert_ne!(a.differences[0].cost.percentile, c.differences[0].cost.percentile);
}

#[test]
fn bad_specifications_name_their_fields() {
    let mut s = spec();
    s.wtp.clear();
    s.replicates = 5;
    s.pathways[1].name = s.pathways[0].name.clone();
    s.pathways[0].starts_with.codes = vec!["teleport".into()];
    let problems = s.validate().unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    for f in ["wtp", "replicates", "pathways[1].name", "pathways[0].starts_with"] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    let text = serde_json::to_string(&spec()).unwrap();
    assert_eq!(EvaluationSpec::parse(&text).unwrap(), spec());
    assert!(EvaluationSpec::parse("{\"name\": 1}").is_err());
}
