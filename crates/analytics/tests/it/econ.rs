//! Costing and pathway measurement: the kernel against DataFusion SQL on the same file (an
//! independent implementation of the same definition), and a small extract worked by hand.

use std::collections::HashMap;
use std::path::Path;

use cocare_analytics::costing::{cost_by_category, measure_usage, read_records, read_resource_use};
use cocare_analytics::query::local_context;
use cocare_analytics::synth::{bench_prices, bench_unit_costs, write_resource_use};
use cocare_econ::costs::{Perspective, UnitCostTable};
use cocare_econ::evaluate::{EvaluationSpec, NO_PATHWAY, evaluate};
use cocare_records::sdc::Disclosure;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use datafusion::prelude::ParquetReadOptions;

use crate::common::{engine, import};

#[tokio::test]
async fn kernel_costs_equal_sql_costs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("use.parquet");
    // Enough people for several blocks of the partitioned kernel.
    let rows = write_resource_use(&file, 40_000, 5, 7).unwrap();
    assert!(rows > 150_000);
    let ru = read_resource_use(&file).unwrap();
    assert_eq!(ru.events() as u64, rows);
    assert!(ru.chunks.iter().all(|c| c.block.is_some()));
    let table = bench_unit_costs();
    let costs = cost_by_category(&ru, &table, Perspective::Societal, 0.035).unwrap();
    // The unpartitioned path (records) gives the same answer.
    let mut plain = ru.clone();
    plain.chunks.iter_mut().for_each(|c| c.block = None);
    let unblocked = cost_by_category(&plain, &table, Perspective::Societal, 0.035).unwrap();
    for (a, b) in costs.discounted.iter().zip(&unblocked.discounted) {
        assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0));
    }

    let ctx = local_context();
    ctx.register_parquet("ru", file.to_str().unwrap(), ParquetReadOptions::default())
        .await
        .unwrap();
    let values: Vec<String> = bench_prices()
        .iter()
        .map(|(r, c, cost)| format!("('{r}', '{c}', {cost})"))
        .collect();
    let sql = format!(
        "WITH prices(resource, category, cost) AS (VALUES {}), \
         firsts AS (SELECT pid, MIN(day) AS first FROM ru GROUP BY pid) \
         SELECT CAST(ru.pid AS BIGINT) AS pid, prices.category, SUM(quantity * cost) AS plain, \
           SUM(quantity * cost * POWER(1.035, -FLOOR((day - first) * 4 / 1461))) AS disc \
         FROM ru JOIN firsts ON ru.pid = firsts.pid JOIN prices ON CAST(ru.resource AS VARCHAR) = prices.resource \
         GROUP BY ru.pid, prices.category",
        values.join(", ")
    );
    let batches: Vec<RecordBatch> = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let mut sql_costs: HashMap<(i64, String), (f64, f64)> = HashMap::new();
    for b in &batches {
        let pid = b.column(0).as_primitive::<Int64Type>();
        let cat = datafusion::arrow::compute::cast(b.column(1), &datafusion::arrow::datatypes::DataType::Utf8).unwrap();
        let cat = cat.as_string::<i32>();
        let plain = b.column(2).as_primitive::<Float64Type>();
        let disc = b.column(3).as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            sql_costs.insert(
                (pid.value(i), cat.value(i).to_string()),
                (plain.value(i), disc.value(i)),
            );
        }
    }
    let cats = ["direct_medical", "direct_non_medical", "indirect"];
    let mut compared = 0;
    let mut discounted_somewhere = false;
    for p in 0..costs.people {
        for (k, cat) in cats.iter().enumerate() {
            let (plain, disc) = sql_costs
                .get(&(p as i64, cat.to_string()))
                .copied()
                .unwrap_or((0.0, 0.0));
            let (kp, kd) = (costs.undiscounted[p * 3 + k], costs.discounted[p * 3 + k]);
            assert!(
                (kp - plain).abs() <= 1e-9 * plain.abs().max(1.0),
                "pid {p} {cat}: {kp} vs {plain}"
            );
            assert!(
                (kd - disc).abs() <= 1e-9 * disc.abs().max(1.0),
                "pid {p} {cat} discounted: {kd} vs {disc}"
            );
            discounted_somewhere |= kd < kp - 1.0;
            compared += 1;
        }
    }
    assert_eq!(compared, 3 * costs.people);
    assert!(discounted_somewhere, "three years of events should discount something");

    // A table without bed-day costs stops costing, naming the resource and its events.
    let partial = UnitCostTable {
        entries: table
            .entries
            .iter()
            .filter(|e| e.resource != "inpatient_picu_bed_day")
            .cloned()
            .collect(),
    };
    let err = cost_by_category(&ru, &partial, Perspective::NhsPss, 0.035)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("no unit cost for inpatient_picu_bed_day (used by "),
        "{err}"
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Five people admitted first, five treated at home first, two with neither.
fn small_extract(dir: &Path) {
    let mut people = String::from("source_id,year_of_birth,sex,ethnicity\n");
    let mut spells = String::from("source_id,spell_id,admitted,discharged\n");
    let mut wards = String::from("source_id,spell_id,ward,start,end\n");
    let mut contacts = String::from("source_id,date,service,attended\n");
    let mut agency = String::from("source_id,date,agency,quantity\n");
    let mut outcomes = String::from("source_id,date,measure,value\n");
    for i in 0..12 {
        let id = format!("S{i:02}");
        people.push_str(&format!("{id},1980,female,A\n"));
        if i < 5 {
            // Admitted 2024-01-10 for 10 nights (acute), then one crisis contact.
            spells.push_str(&format!("{id},SP{i},2024-01-10,2024-01-20\n"));
            wards.push_str(&format!("{id},SP{i},acute,2024-01-10,2024-01-20\n"));
            contacts.push_str(&format!("{id},2024-02-01,crisis,yes\n"));
            outcomes.push_str(&format!("{id},2024-01-10,eq5d_utility,0.5\n"));
        } else if i < 10 {
            // Three crisis contacts (one missed) from 2024-03-01, police twice, then admitted
            // for 2 nights more than three years later (outside a two-year horizon).
            contacts.push_str(&format!(
                "{id},2024-03-01,crisis,yes\n{id},2024-03-02,crisis,yes\n{id},2024-03-03,crisis,no\n"
            ));
            agency.push_str(&format!("{id},2024-03-05,police,1\n{id},2025-03-05,police,1\n"));
            agency.push_str(&format!("{id},2024-04-01,housing_support,4\n"));
            spells.push_str(&format!("{id},SP{i},2026-06-01,2026-06-03\n"));
            wards.push_str(&format!("{id},SP{i},acute,2026-06-01,2026-06-03\n"));
            outcomes.push_str(&format!("{id},2024-03-01,eq5d_utility,0.8\n"));
            outcomes.push_str(&format!("{id},2024-06-01,lost_work_days,3\n"));
        } else {
            agency.push_str(&format!("{id},2024-05-01,gp,2\n"));
        }
    }
    for (name, text) in [
        ("people.csv", people),
        ("spells.csv", spells),
        ("ward_stays.csv", wards),
        ("contacts.csv", contacts),
        ("agency_contacts.csv", agency),
        ("outcomes.csv", outcomes),
    ] {
        write(dir, name, &text);
    }
}

#[tokio::test]
async fn pathways_measured_on_a_small_extract_by_hand() {
    let (_root, engine) = engine();
    let extract = tempfile::tempdir().unwrap();
    small_extract(extract.path());
    import(&engine, extract.path()).unwrap();
    let (version, manifest) = engine.current("org").unwrap().unwrap();
    let records = read_records(&version, manifest.people as usize, manifest.last_day.unwrap()).unwrap();
    let spec = EvaluationSpec::crisis_vs_inpatient();
    let usage = measure_usage(&records, &[true; 12], &spec, "everyone");
    // People are in pid (import) order.
    let on: Vec<u16> = usage.pathway.clone();
    assert_eq!(&on[..5], &[0; 5]);
    assert_eq!(&on[5..10], &[1; 5]);
    assert_eq!(&on[10..], &[NO_PATHWAY; 2]);
    let col = |name: &str| usage.resources.iter().position(|r| r == name).unwrap();
    let width = usage.resources.len();
    let q = |person: usize, name: &str| usage.undiscounted[person * width + col(name)];
    let qd = |person: usize, name: &str| usage.discounted[person * width + col(name)];
    assert_eq!(q(0, "inpatient_acute_bed_day"), 10.0);
    assert_eq!(q(0, "crisis_home_treatment_contact"), 1.0);
    // The missed contact is not costed; the later admission is outside the two-year horizon.
    assert_eq!(q(5, "crisis_home_treatment_contact"), 2.0);
    assert_eq!(q(5, "inpatient_acute_bed_day"), 0.0);
    assert_eq!(q(5, "supported_housing_week"), 4.0);
    assert_eq!(q(5, "lost_work_day"), 3.0);
    // By year, per pathway: the crisis-first pathway's second police contact is in year 2.
    let police = col("police_contact");
    assert_eq!(usage.years, 2);
    let at = |pathway: usize, year: usize| (pathway * usage.years + year) * width + police;
    assert_eq!(usage.yearly[at(1, 0)], 5.0);
    assert_eq!(usage.yearly[at(1, 1)], 5.0);
    assert_eq!(usage.yearly[at(0, 0)], 0.0);
    // The second police contact falls in year 2: discounted once.
    assert_eq!(q(5, "police_contact"), 2.0);
    assert!((qd(5, "police_contact") - (1.0 + 1.0 / 1.035)).abs() < 1e-12);
    // Utilities carried flat over two years: 2 × 0.8, the second year discounted.
    let (plain, disc) = usage.qalys[5].unwrap();
    assert!((plain - 1.6).abs() < 1e-9);
    assert!((disc - (0.8 + 0.8 / 1.035)).abs() < 1e-9);
    assert_eq!(usage.qalys[10], None);

    // Priced: inpatient first costs 10 bed days + 1 crisis contact each.
    let csv = "resource,unit,category,sector,cost,currency,price_year,source,table\n\
        inpatient_acute_bed_day,bed day,direct_medical,nhs_mental_health,500,GBP,2024,test,t\n\
        crisis_home_treatment_contact,contact,direct_medical,nhs_mental_health,200,GBP,2024,test,t\n\
        gp_consultation,consultation,direct_medical,primary_care,40,GBP,2024,test,t\n";
    let table = UnitCostTable::parse_csv(csv).unwrap();
    let report = evaluate(&spec, &usage, &table, &Disclosure::default()).unwrap();
    assert_eq!(report.pathways[0].people, Some(5));
    assert!((report.pathways[0].cost.as_ref().unwrap().mean - 5200.0).abs() < 1e-9);
    assert!((report.pathways[1].cost.as_ref().unwrap().mean - 400.0).abs() < 1e-9);
    assert!((report.differences[0].cost.mean + 4800.0).abs() < 1e-9);
    // Public sector: police and housing have no cost in this table, and are needed.
    let mut public = spec.clone();
    public.perspective = Perspective::PublicSector;
    let err = evaluate(&public, &usage, &table, &Disclosure::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("police_contact (used by 10 events)") && err.contains("supported_housing_week (used by 5 events)"),
        "{err}"
    );

    // The same through the engine, within a cohort of everyone.
    let via_engine = engine
        .evaluate("org", None, &spec, &table, &Disclosure::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(via_engine.pathways[0].cost, report.pathways[0].cost);
    assert_eq!(via_engine.cohort_people, Some(12));
}
