//! Economics through the web: unit-cost tables (copy, errors that keep the text, versions,
//! inflation), evaluations (a form that keeps what was typed, results with charts, a clear
//! refusal when a unit cost is missing), downloads and the audit trail.

use axum::http::StatusCode;
use cocare_app::econ_domain::costs::UnitCostTable;
use cocare_testkit::{TestApp, backends};

#[tokio::test]
async fn a_health_economist_prices_pathways_and_sees_them_compared() {
    for backend in backends().await {
        let app = TestApp::spawn_with_records(backend, 1500).await;
        let mut riley = app.signed_in("riley").await;

        // The default table cannot price mental health bed days: the evaluation says so.
        let form = riley.get("/econ/evaluations/new").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("value=\"Crisis home treatment first\""));
        let mut fields: Vec<(&str, String)> = vec![
            ("name", "Crisis first or admission first".into()),
            ("cohort", String::new()),
            ("unit_costs", "uk-default".into()),
            ("perspective", "nhs_pss".into()),
            ("horizon_years", "2".into()),
            ("discount_rate", "3.5".into()),
            ("effect_discount_rate", "3.5".into()),
            ("replicates", "500".into()),
            ("seed", "7".into()),
            ("wtp", "20000, 30000".into()),
            ("sensitivity", "25".into()),
            ("path1_name", "Inpatient admission first".into()),
            ("path1_start_kind", "admission".into()),
            ("path1_before_kind", "contact".into()),
            ("path1_before_codes", "crisis".into()),
            ("path2_name", "Crisis home treatment first".into()),
            ("path2_start_kind", "contact".into()),
            ("path2_start_codes", "crisis".into()),
            ("path2_before_kind", "admission".into()),
            ("shift_from", "inpatient_acute_bed_day".into()),
            ("shift_to", "crisis_home_treatment_contact".into()),
            ("shift_share", "20".into()),
        ];
        let as_refs = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = riley.post_form("/econ/evaluations", &refs).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let first = saved.location().unwrap().to_string();
        let refused = riley.get(&first).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("This evaluation cannot be made yet"));
        assert!(
            refused
                .body
                .contains("No unit cost for inpatient_acute_bed_day (used by "),
            "{}",
            refused.body
        );

        // A copy of the default with the missing mental health figures, and a broken one first.
        let csv = UnitCostTable::demo_with_proxies().to_csv();
        let broken = csv.replacen("651.29", "-651.29", 1);
        let reply = riley
            .post_form("/econ/unit-costs/uk-default", &[("name", "Ours"), ("csv", &broken)])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("field cost: -651.29 is negative"), "{}", reply.body);
        assert!(
            reply.body.contains("href=\"#table\""),
            "the error summary links to the field"
        );
        assert!(reply.body.contains("-651.29,GBP"), "what was typed is kept");
        let reply = riley
            .post_form("/econ/unit-costs/uk-default", &[("name", "Ours"), ("csv", &csv)])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let table_page = reply.location().unwrap().to_string();
        let table_id = table_page.rsplit('/').next().unwrap().to_string();
        let page = riley.get(&table_page).await;
        assert!(page.body.contains("DEMO PROXY") && page.body.contains("£651.29"));
        // Inflating makes version 2 and says where each figure came from.
        let reply = riley
            .post_form(&format!("{table_page}/inflate"), &[("year", "2025")])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let page = riley.get(&table_page).await;
        assert!(page.body.contains("Version 2") && page.body.contains("inflated from 2024"));
        let reply = riley
            .post_form(&format!("{table_page}/inflate"), &[("year", "1850")])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

        // The same evaluation with our table, saved as version 2.
        for f in fields.iter_mut() {
            if f.0 == "unit_costs" {
                f.1 = table_id.clone();
            }
        }
        // A bad form first: its answers come back as typed, errors linked to their fields.
        let mut bad = as_refs(&fields);
        for f in bad.iter_mut() {
            if f.0 == "wtp" {
                f.1 = String::new();
            }
            if f.0 == "horizon_years" {
                f.1 = "two".into();
            }
        }
        let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = riley.post_form(&first, &refs).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("href=\"#wtp\"") && reply.body.contains("href=\"#horizon_years\""));
        assert!(reply.body.contains("value=\"two\""));
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = riley.post_form(&first, &refs).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let page = riley.get(&first).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for expected in [
            "Mean cost per person, by pathway",
            "Inpatient admission first",
            "Crisis home treatment first",
            "Differences between pathways",
            "Cost-effectiveness",
            "Which unit costs matter most",
            "Budget impact",
            "move 20% of inpatient_acute_bed_day to crisis_home_treatment_contact",
            "Version 2",
        ] {
            assert!(page.body.contains(expected), "missing {expected:?}");
        }
        assert!(
            page.body.matches("<svg role=\"img\"").count() >= 4,
            "cost, plane, CEAC and tornado charts"
        );
        for nonsense in ["NaN", ">inf", " inf ", "£inf", "−£inf"] {
            assert!(!page.body.contains(nonsense), "{nonsense} on the page");
        }

        // Downloads: the JSON results and a self-contained report.
        let json = riley.get(&format!("{first}/report.json")).await;
        assert_eq!(json.status, StatusCode::OK);
        let report = json.json();
        assert_eq!(report["pathways"].as_array().unwrap().len(), 2);
        let mean = report["pathways"][0]["cost"]["mean"].as_f64().unwrap();
        assert!(mean > 0.0);
        let html = riley.get(&format!("{first}/report.html")).await;
        assert!(html.body.contains("<style>") && !html.body.contains("href=\"/static"));

        // Each run is audited, naming the evaluation, never a person.
        let audit = app.app.store().recent_audit(100).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "records.analyse" && e.subject.starts_with("evaluation:"))
        );
        assert!(
            audit
                .iter()
                .any(|e| e.action == "econ.unit_costs.manage" && e.subject.starts_with("unit-costs:"))
        );

        // The administrator keeps unit costs but sees no evaluation.
        let mut admin = app.signed_in("admin").await;
        let econ = admin.get("/econ").await;
        assert_eq!(econ.status, StatusCode::OK);
        assert!(econ.body.contains("Unit-cost tables") && !econ.body.contains("Pathway evaluations"));
        assert_eq!(admin.get(&first).await.status, StatusCode::FORBIDDEN);
    }
}
