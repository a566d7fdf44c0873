//! Table 1 against values computed independently (numpy; see fixtures/table1/generate.py).

use cocare_analytics::datafusion;
use cocare_records::stats::Row;
use serde_json::Value;

use crate::common::*;

fn close(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, expected.as_f64()) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} vs {e}"),
        (None, None) => {}
        (a, _) => panic!("{what}: {a:?} vs {expected}"),
    }
}

#[tokio::test]
async fn table1_matches_an_independent_computation_to_1e_9() {
    let (_root, engine) = engine();
    let summary = import(&engine, &fixture("table1/records")).unwrap();
    assert_eq!(summary.manifest.people, 48);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("table1/expected.json")).unwrap()).unwrap();
    let c = engine.characterise("org", &definition()).await.unwrap();

    assert_eq!(c.population, 48);
    assert_eq!(
        c.table1.n.to_vec(),
        vec![expected["n"][0].as_u64().unwrap(), expected["n"][1].as_u64().unwrap()]
    );
    for (step, e) in c.attrition.iter().zip(expected["attrition"].as_array().unwrap()) {
        assert_eq!(step.remaining, e["remaining"].as_u64().unwrap(), "{}", step.label);
        assert_eq!(step.alone, e["alone"].as_u64().unwrap(), "{}", step.label);
    }
    let vars = expected["variables"].as_object().unwrap();
    assert_eq!(c.table1.rows.len(), vars.len(), "every variable is checked");
    for row in &c.table1.rows {
        let e = vars
            .get(row.name())
            .unwrap_or_else(|| panic!("no expectation for {}", row.name()));
        match row {
            Row::Continuous { name, groups, smd } => {
                for (g, eg) in groups.iter().zip(e["groups"].as_array().unwrap()) {
                    assert_eq!(g.n, eg["n"].as_u64().unwrap(), "{name} n");
                    assert_eq!(g.missing, eg["missing"].as_u64().unwrap(), "{name} missing");
                    close(g.mean, &eg["mean"], &format!("{name} mean"));
                    close(g.sd, &eg["sd"], &format!("{name} sd"));
                    close(g.median, &eg["median"], &format!("{name} median"));
                    close(g.q1, &eg["q1"], &format!("{name} q1"));
                    close(g.q3, &eg["q3"], &format!("{name} q3"));
                }
                close(*smd, &e["smd"], &format!("{name} smd"));
            }
            Row::Categorical {
                name,
                levels,
                missing,
                smd,
                ..
            } => {
                let counts: Vec<Vec<u64>> = serde_json::from_value(e["counts"].clone()).unwrap();
                let actual: Vec<Vec<u64>> = levels.iter().map(|l| l.counts.to_vec()).collect();
                assert_eq!(actual, counts, "{name} counts");
                assert_eq!(
                    missing.to_vec(),
                    serde_json::from_value::<Vec<u64>>(e["missing"].clone()).unwrap(),
                    "{name} missing"
                );
                close(*smd, &e["smd"], &format!("{name} smd"));
            }
        }
    }
}

#[tokio::test]
async fn pseudonyms_replace_source_ids_and_identifiers_never_reach_the_store() {
    let (root, engine) = engine();
    let dir = tempfile::tempdir().unwrap();
    // A synthetic extract with names, NHS numbers, dates of birth and postcodes.
    let synth = cocare_records::synth::Synth::new(3, chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    cocare_analytics::synth::write_extract(dir.path(), &synth, 300, &|_| {}).unwrap();
    let people = std::fs::read_to_string(dir.path().join("people.csv")).unwrap();
    let first: Vec<&str> = people.lines().nth(1).unwrap().split(',').collect();
    let (source_id, name, nhs, dob, postcode) = (first[0], first[1], first[2], first[3], first[4]);
    import(&engine, dir.path()).unwrap();

    // Everything in the store, as text.
    let (version, _) = engine.current("org").unwrap().unwrap();
    let ctx = cocare_analytics::query::local_context();
    cocare_analytics::query::register(&ctx, &version).await.unwrap();
    let mut text = String::new();
    for table in ["people", "events", "outcomes"] {
        let batches = cocare_analytics::query::collect(&ctx, &format!("SELECT * FROM {table}"))
            .await
            .unwrap();
        text.push_str(
            &datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .unwrap()
                .to_string(),
        );
    }
    assert!(text.len() > 100_000, "the store was read");
    let _ = root;
    for identifier in [source_id, name, nhs, dob, postcode] {
        assert!(!text.contains(identifier), "{identifier:?} reached the analytic store");
    }
    assert!(text.contains(&key().pseudonym(source_id)), "the pseudonym is stored");
}
