//! Bad input: clear errors naming the place, no panic, nothing half-imported.

use std::io::Write;

use crate::common::*;

fn spoil(dir: &std::path::Path, file: &str, f: impl FnOnce(String) -> String) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, f(text)).unwrap();
}

fn replace_line(text: String, line: usize, with: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[line - 1] = with.to_string();
    lines.join("\n") + "\n"
}

#[test]
fn every_bad_row_is_reported_with_file_line_and_field_and_nothing_is_imported() {
    let (_root, engine) = engine();
    // A good import first: a failed one must leave it in place.
    let good = import(&engine, &fixture("table1/records")).unwrap();

    let dir = copy_of("table1/records");
    spoil(dir.path(), "contacts.csv", |t| {
        replace_line(t, 3, "F001,2024-02-30,cmht,30,yes")
    });
    spoil(dir.path(), "contacts.csv", |t| {
        replace_line(t, 5, "F001,2024-02-03,dentist,30,yes")
    });
    spoil(dir.path(), "contacts.csv", |t| {
        replace_line(t, 7, "F001,2024-02-03,cmht,half an hour,yes")
    });
    spoil(dir.path(), "spells.csv", |t| {
        replace_line(t, 2, "F000,X-1,2024-05-10,2024-05-01")
    });
    spoil(dir.path(), "people.csv", |t| t + "F003,1980,male,man,A,2\n");
    spoil(dir.path(), "diagnoses.csv", |t| {
        replace_line(t, 4, "NOBODY,2024-01-01,F20.0")
    });
    spoil(dir.path(), "agency_contacts.csv", |t| {
        replace_line(t, 2, "F002,2024-01-01,police")
    });
    let errors = rejected(import(&engine, dir.path()));
    let expect = [
        "contacts.csv line 3, field date: \"2024-02-30\" is not a date in the form YYYY-MM-DD",
        "contacts.csv line 5, field service: unknown service \"dentist\"",
        "contacts.csv line 7, field duration_minutes: \"half an hour\" is not a whole number",
        "spells.csv line 2, field discharged: 2024-05-01 is before the start, 2024-05-10",
        "people.csv line 50, field source_id: this person is already on people.csv line 5",
        "diagnoses.csv line 4, field source_id: no person with source_id \"NOBODY\"",
        "agency_contacts.csv line 2: has 3 fields; the header has 4",
        // The spoilt spell's ward stay no longer has a spell to belong to.
        "ward_stays.csv line 2, field spell_id: no spell \"F000-S0\" in spells",
    ];
    for e in expect {
        assert!(
            errors.iter().any(|got| got.starts_with(e)),
            "missing {e:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    // Nothing changed: the earlier version is still the one in use, and no staging is left.
    let (_, manifest) = engine.current("org").unwrap().unwrap();
    assert_eq!(manifest.version, good.manifest.version);
    let leftovers: Vec<_> = std::fs::read_dir(engine.root().join("org"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".import"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn malformed_csv_and_headers_are_named() {
    let (_root, engine) = engine();
    let dir = copy_of("table1/records");
    spoil(dir.path(), "people.csv", |t| t.replacen("ethnicity", "ethnicty", 1));
    let errors = rejected(import(&engine, dir.path()));
    assert_eq!(
        errors,
        vec![
            "people.csv line 1, field ethnicty: unknown column \"ethnicty\"; this file's columns are source_id, year_of_birth, sex, gender, ethnicity, deprivation_decile, name, nhs_number, date_of_birth, postcode, address"
        ]
    );

    let dir = copy_of("table1/records");
    spoil(dir.path(), "contacts.csv", |t| {
        replace_line(t, 4, "F001,\"2024-02-03,cmht,30,yes")
    });
    let errors = rejected(import(&engine, dir.path()));
    assert!(
        errors[0].contains("quoted field") && errors[0].starts_with("contacts.csv line"),
        "{errors:?}"
    );

    let dir = copy_of("table1/records");
    std::fs::write(
        dir.path().join("contacts.csv"),
        b"source_id,date,service,attended\nF001,2024-01-01,cmht,\xff\xfe\n",
    )
    .unwrap();
    let errors = rejected(import(&engine, dir.path()));
    assert!(
        errors.iter().any(|e| e.starts_with("contacts.csv line 2")),
        "{errors:?}"
    );

    let dir = copy_of("table1/records");
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let errors = rejected(import(&engine, dir.path()));
    assert!(
        errors[0].starts_with("notes.txt: not a file of the layout"),
        "{errors:?}"
    );
    assert!(engine.current("org").unwrap().is_none(), "nothing was ever imported");
}

#[test]
fn a_truncated_parquet_file_is_rejected_by_name() {
    let (_root, engine) = engine();
    let dir = copy_of("table1/records");
    // A real Parquet file of diagnoses, cut short.
    let (_r, other) = crate::common::engine();
    import(&other, &fixture("table1/records")).unwrap();
    let (version, _) = other.current("org").unwrap().unwrap();
    let source = std::fs::read(version.join("people").join("people.parquet")).unwrap();
    std::fs::remove_file(dir.path().join("diagnoses.csv")).unwrap();
    let mut f = std::fs::File::create(dir.path().join("diagnoses.parquet")).unwrap();
    f.write_all(&source[..source.len() / 2]).unwrap();
    let errors = rejected(import(&engine, dir.path()));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("diagnoses.parquet: is not a readable Parquet file"),
        "{errors:?}"
    );
}

#[test]
fn a_fhir_bundle_with_an_unknown_resource_type_names_the_entry() {
    let (_root, engine) = engine();
    let dir = copy_of("fhir");
    spoil(dir.path(), "bundle.json", |t| {
        t.replacen(
            "\"resourceType\": \"Observation\"",
            "\"resourceType\": \"MedicationRequest\"",
            1,
        )
        .replacen("\"birthDate\": \"1990\"", "\"birthDate\": \"2990\"", 1)
    });
    let errors = rejected(import(&engine, dir.path()));
    assert!(errors.contains(&"bundle.json line 10, field entry[9].resource.resourceType: \"MedicationRequest\" is not a resource type cocare imports (Patient, Encounter, EpisodeOfCare, Condition, Observation)".to_string()), "{errors:#?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("bundle.json line 2, field entry[1].resource.birthDate")),
        "{errors:#?}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.json"), "{\"resourceType\": \"Patient\"}").unwrap();
    assert_eq!(
        rejected(import(&engine, dir.path())),
        vec!["b.json: is not a FHIR Bundle (resourceType must be \"Bundle\")"]
    );
}

#[test]
fn an_admission_before_birth_and_a_fhir_encounter_entered_in_error_are_rejected() {
    let (_root, engine) = engine();
    let dir = copy_of("table1/records");
    spoil(dir.path(), "spells.csv", |t| t + "F001,LATE-1,1940-01-01,1940-01-05\n");
    let errors = rejected(import(&engine, dir.path()));
    assert!(
        errors
            .iter()
            .any(|e| e
                .starts_with("spells.csv line 63, field admitted: 1940-01-01 is before the person's year of birth")),
        "{errors:#?}"
    );

    let dir = copy_of("fhir");
    spoil(dir.path(), "bundle.json", |t| {
        t.replacen(
            "\"id\": \"ENC-3\", \"status\": \"finished\"",
            "\"id\": \"ENC-3\", \"status\": \"entered-in-error\"",
            1,
        )
    });
    let errors = rejected(import(&engine, dir.path()));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("bundle.json line 5, field entry[4].resource.status"),
        "{errors:#?}"
    );
}

#[test]
fn two_files_of_one_kind_are_both_kept() {
    let (_root, engine) = engine();
    let dir = copy_of("table1/records");
    let contacts = std::fs::read_to_string(dir.path().join("contacts.csv")).unwrap();
    let lines: Vec<&str> = contacts.lines().collect();
    let (header, rows) = (lines[0], &lines[1..]);
    let half = rows.len() / 2;
    std::fs::write(
        dir.path().join("contacts.csv"),
        format!("{header}\n{}\n", rows[..half].join("\n")),
    )
    .unwrap();
    // The other half as contacts.parquet: the layout takes one name per kind and format.
    let whole = import(&engine, &fixture("table1/records")).unwrap();
    let (_r2, engine2) = crate::common::engine();
    let parquet_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        parquet_dir.path().join("c.csv"),
        format!("{header}\n{}\n", rows[half..].join("\n")),
    )
    .unwrap();
    crate::formats::csv_to_parquet(&parquet_dir.path().join("c.csv"), &dir.path().join("contacts.parquet"));
    let split = import(&engine2, dir.path()).unwrap();
    assert_eq!(
        split.manifest.events, whole.manifest.events,
        "no piece of either file was overwritten"
    );
}
