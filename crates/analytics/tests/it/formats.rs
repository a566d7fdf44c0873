//! The same records through Parquet and FHIR give the same answers as through CSV.

use std::sync::Arc;

use cocare_analytics::datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use cocare_analytics::datafusion::arrow::datatypes::{DataType, Field, Schema};
use cocare_analytics::datafusion::parquet::arrow::ArrowWriter;

use crate::common::*;

/// Writes a CSV file's rows as a Parquet file with text columns.
pub fn csv_to_parquet(csv_path: &std::path::Path, parquet_path: &std::path::Path) {
    let mut reader = csv::Reader::from_path(csv_path).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let schema = Arc::new(Schema::new(
        headers
            .iter()
            .map(|h| Field::new(h, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = (0..headers.len())
        .map(|i| {
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|r| r.get(i).filter(|v| !v.is_empty()).map(str::to_string))
                    .collect::<Vec<_>>(),
            )) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(parquet_path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[tokio::test]
async fn parquet_input_gives_the_same_cohort_as_csv() {
    let (_r1, csv_engine) = engine();
    import(&csv_engine, &fixture("table1/records")).unwrap();
    let from_csv = csv_engine.characterise("org", &definition()).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture("table1/records")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        csv_to_parquet(&path, &dir.path().join(format!("{stem}.parquet")));
    }
    let (_r2, pq_engine) = engine();
    let summary = import(&pq_engine, dir.path()).unwrap();
    assert_eq!(summary.manifest.people, 48);
    let from_parquet = pq_engine.characterise("org", &definition()).await.unwrap();
    assert_eq!(from_parquet, from_csv);
}

#[tokio::test]
async fn a_fhir_bundle_is_imported_through_the_same_checks() {
    let (_r, engine) = engine();
    let summary = import(&engine, &fixture("fhir")).unwrap();
    assert_eq!(summary.manifest.people, 2);
    // 2 admissions, 1 contact, 1 A&E attendance, 1 referral, 2 diagnoses; 1 outcome.
    assert_eq!(summary.manifest.events, 7);
    assert_eq!(summary.manifest.outcomes, 1);
    let mut def = definition();
    def.criteria.truncate(1);
    def.criteria[0].rule = cocare_records::cohort::Rule::Count(cocare_records::cohort::CountRule {
        kind: cocare_records::layout::EventKind::Admission,
        codes: vec![],
        at_least: 2,
        within_months: 24,
    });
    let c = engine.characterise("org", &def).await.unwrap();
    assert_eq!(c.attrition[0].remaining, 1, "the patient with two inpatient encounters");
}

#[tokio::test]
async fn the_documented_example_imports_and_the_document_names_every_column() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let layout = std::fs::read_to_string(docs.join("records-layout.md")).unwrap();
    for kind in cocare_records::layout::FileKind::ALL {
        assert!(
            layout.contains(&format!("### {}", kind.stem())),
            "docs/records-layout.md has no section for {}",
            kind.stem()
        );
        for column in kind.columns() {
            assert!(
                layout.contains(&format!("`{}`", column.name)),
                "docs/records-layout.md does not name {}.{}",
                kind.stem(),
                column.name
            );
        }
    }
    let (_r, engine) = engine();
    let summary = import(&engine, &docs.join("records-example")).unwrap();
    assert_eq!(summary.manifest.people, 4);
    assert_eq!(summary.manifest.outcomes, 4);
    // By hand: EX-001 has 3 admissions in the 24 months and F10.2; EX-002 met custody, housing
    // support and prison in 2025 (3 agencies in 12 months) and has F12.2. EX-003 and EX-004
    // meet neither rule.
    let c = engine.characterise("org", &definition()).await.unwrap();
    assert_eq!(c.table1.n, [2, 2]);
    assert_eq!(c.attrition[0].alone, 2);
}

#[tokio::test]
async fn someone_born_after_the_index_date_is_not_in_the_population() {
    let (_r, engine) = engine();
    let dir = copy_of("table1/records");
    let people = dir.path().join("people.csv");
    let text = std::fs::read_to_string(&people).unwrap();
    std::fs::write(&people, text + "F999,2026,female,woman,A,3\n").unwrap();
    import(&engine, dir.path()).unwrap();
    let c = engine.characterise("org", &definition()).await.unwrap();
    assert_eq!(c.population, 48, "index date 2025-12-31; born 2026");
    assert_eq!(c.table1.n[0] + c.table1.n[1], 48);
}
