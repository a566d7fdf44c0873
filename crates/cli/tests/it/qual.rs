//! `cocare qual agreement` as other tools call it.

use super::{cocare, text};

#[test]
fn qual_agreement_prints_the_coefficient_and_what_it_used() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../qual/tests/fixtures/agreement");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{fixtures}/expected.json")).unwrap()).unwrap();
    let five = format!("{fixtures}/five_coders.csv");
    let out = cocare(
        &[
            "qual",
            "agreement",
            "--input",
            &five,
            "--metric",
            "krippendorff",
            "--level",
            "interval",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = expected["five_coders"]["interval"].as_f64().unwrap();
    assert!((json["coefficient"].as_f64().unwrap() - want).abs() < 1e-9);
    assert!(json["units"].as_u64().unwrap() > 0 && json["pairable_values"].as_u64().unwrap() > 0);
    let two = format!("{fixtures}/two_coders.csv");
    let out = cocare(&["qual", "agreement", "--input", &two, "--metric", "cohen"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).starts_with(&format!(
            "Cohen's kappa: {:.4} (76 units, 152 pairable values, 2 coders)",
            expected["two_coders"]["cohen"].as_f64().unwrap()
        )),
        "{}",
        text(&out)
    );
    let out = cocare(&["qual", "agreement", "--input", &five, "--metric", "cohen"], None);
    assert!(!out.status.success() && text(&out).contains("exactly two coders; this data has 5"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "unit,coder,value\n1,a,x\n1,a,y\n").unwrap();
    let out = cocare(
        &[
            "qual",
            "agreement",
            "--input",
            bad.to_str().unwrap(),
            "--metric",
            "percent",
        ],
        None,
    );
    assert!(!out.status.success() && text(&out).contains("line 3, field coder: a already coded unit 1 (line 2)"));
}

#[test]
fn qual_codebook_writes_a_frame_that_checks_and_a_broken_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("npt.qdc");
    let out = cocare(
        &[
            "qual",
            "codebook",
            "--frame",
            "npt-classic",
            "--out",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(20 codes)"));
    let out = cocare(&["qual", "check-codebook", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("  Coherence (heading)") && t.contains("    Communal specification"),
        "{t}"
    );
    let broken = std::fs::read_to_string(&file).unwrap().replacen("</Codes>", "", 1);
    std::fs::write(&file, broken).unwrap();
    let out = cocare(&["qual", "check-codebook", file.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("XML at byte"), "{}", text(&out));
}

/// A small project as another tool might send it: one source with emoji and Arabic, a case,
/// a coding and a memo.
fn small_project() -> cocare_qual::qdpx::Project {
    use cocare_qual::qdpx::*;
    let codebook = cocare_qual::codebook::Codebook::realist();
    let code = codebook.codes.iter().find(|c| c.codable).unwrap().guid.clone();
    let user = "0f0e0d0c-0b0a-4909-8807-060504030201".to_string();
    Project {
        name: "Exchanged".into(),
        origin: codebook.origin.clone(),
        description: String::new(),
        created: Some("2026-01-05T10:00:00Z".into()),
        creating_user: None,
        users: vec![User {
            guid: user.clone(),
            name: "Coder A".into(),
        }],
        codebook,
        code_notes: Vec::new(),
        variables: vec![Variable {
            guid: "1f0e0d0c-0b0a-4909-8807-060504030201".into(),
            name: "role".into(),
            kind: VariableType::Text,
            description: String::new(),
        }],
        cases: vec![Case {
            guid: "2f0e0d0c-0b0a-4909-8807-060504030201".into(),
            name: "P01".into(),
            description: String::new(),
            values: vec![("1f0e0d0c-0b0a-4909-8807-060504030201".into(), "carer".into())],
            sources: vec!["3f0e0d0c-0b0a-4909-8807-060504030201".into()],
        }],
        sources: vec![TextSource {
            guid: "3f0e0d0c-0b0a-4909-8807-060504030201".into(),
            name: "Interview".into(),
            description: String::new(),
            text: "Café 😀 مرحبا: nobody asked us.\n".into(),
            creating_user: None,
            created: Some("2026-01-05T10:00:00Z".into()),
            selections: vec![Selection {
                guid: "4f0e0d0c-0b0a-4909-8807-060504030201".into(),
                start: 15,
                end: 31,
                creating_user: Some(user.clone()),
                created: Some("2026-01-05T11:00:00Z".into()),
                codings: vec![SelectionCoding {
                    guid: "5f0e0d0c-0b0a-4909-8807-060504030201".into(),
                    code,
                    creating_user: Some(user.clone()),
                    created: Some("2026-01-05T11:00:00Z".into()),
                }],
                notes: vec!["6f0e0d0c-0b0a-4909-8807-060504030201".into()],
            }],
            notes: Vec::new(),
            sidecar: None,
        }],
        notes: vec![Note {
            guid: "6f0e0d0c-0b0a-4909-8807-060504030201".into(),
            name: "On this".into(),
            text: "Said twice.".into(),
            creating_user: Some(user),
            created: Some("2026-01-05T12:00:00Z".into()),
        }],
        project_notes: Vec::new(),
    }
}

#[test]
fn qdpx_import_and_export_on_the_command_line_lose_nothing_and_refuse_bad_files_whole() {
    let dir = tempfile::tempdir().unwrap();
    let url = super::sqlite_url(dir.path());
    assert!(cocare(&["demo", "--database-url", &url], None).status.success());
    let input = dir.path().join("in.qdpx");
    let sent = small_project();
    std::fs::write(&input, sent.to_qdpx().unwrap()).unwrap();

    let out = cocare(
        &["qual", "import-qdpx", input.to_str().unwrap(), "--database-url", &url],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("1 sources, 1 codings, 1 memos"), "{printed}");
    assert!(
        !printed.contains("no member"),
        "the demo's only researcher owns it: {printed}"
    );
    let id = printed
        .split("as project ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();

    let listed = cocare(&["qual", "projects", "--database-url", &url], None);
    assert!(text(&listed).contains(&format!("{id}  Exchanged")), "{}", text(&listed));

    let output = dir.path().join("out.qdpx");
    let out = cocare(
        &[
            "qual",
            "export-qdpx",
            "--project",
            &id,
            "--out",
            output.to_str().unwrap(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let back = cocare_qual::qdpx::Project::from_qdpx(&std::fs::read(&output).unwrap()).unwrap();
    assert_eq!(back.sources[0].text, sent.sources[0].text);
    assert_eq!(back.sources[0].selections[0].start, 15);
    assert_eq!(
        back.sources[0].selections[0].codings,
        sent.sources[0].selections[0].codings
    );
    assert_eq!(back.users, sent.users);
    assert_eq!(back.cases, sent.cases);
    assert_eq!(back.notes, sent.notes);
    assert_eq!(back.codebook.codes, sent.codebook.codes);

    // A selection past the end of its text: named, and nothing imported.
    let mut bad = small_project();
    bad.name = "Broken".into();
    bad.sources[0].selections[0].end = 400;
    let xml_ok = small_project().to_xml().unwrap();
    let xml_bad = xml_ok.replace("endPosition=\"31\"", "endPosition=\"400\"");
    assert_ne!(xml_ok, xml_bad);
    let zip_path = dir.path().join("bad.qdpx");
    {
        let file = std::fs::File::create(&zip_path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("project.qde", options).unwrap();
        std::io::Write::write_all(&mut zip, xml_bad.as_bytes()).unwrap();
        zip.start_file("Sources/3f0e0d0c-0b0a-4909-8807-060504030201.txt", options)
            .unwrap();
        std::io::Write::write_all(&mut zip, sent.sources[0].text.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let out = cocare(
        &[
            "qual",
            "import-qdpx",
            zip_path.to_str().unwrap(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert!(!out.status.success());
    let printed = text(&out);
    assert!(
        printed.contains("bad.qdpx") && printed.contains("nothing was imported"),
        "{printed}"
    );
    assert!(printed.contains("400"), "the position is named: {printed}");
    let listed = text(&cocare(&["qual", "projects", "--database-url", &url], None));
    assert!(!listed.contains("Broken"), "{listed}");
    assert!(listed.contains("Crisis café"), "the demo's project is there: {listed}");
}

#[test]
fn qual_agreement_fleiss_prints_kappa_with_units_and_raters() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../qual/tests/fixtures/agreement");
    let input = format!("{fixtures}/fleiss_study.csv");
    let out = cocare(
        &["qual", "agreement", "--input", &input, "--metric", "fleiss", "--json"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{fixtures}/fleiss_expected.json")).unwrap()).unwrap();
    assert!((json["coefficient"].as_f64().unwrap() - expected["fleiss_study"]["kappa"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(json["units"], 30);
    assert_eq!(json["raters"], 12);
    let out = cocare(&["qual", "agreement", "--input", &input, "--metric", "fleiss"], None);
    assert!(
        text(&out).contains("Fleiss' kappa: 0.5020 (30 units, 12 raters each)"),
        "{}",
        text(&out)
    );
    // Missing ratings: refused, pointing to Krippendorff's alpha.
    let five = format!("{fixtures}/five_coders.csv");
    let out = cocare(&["qual", "agreement", "--input", &five, "--metric", "fleiss"], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("same number of raters"), "{}", text(&out));
}
