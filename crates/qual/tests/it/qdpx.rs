//! REFI-QDA project exchange: export validated against the standard's Project.xsd with libxml2's
//! `xmllint` (an independent validator), exact round trips, a project as another tool writes it,
//! named problems for bad input, and no panic on arbitrary or damaged files.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::sync::LazyLock;

use cocare_qual::codebook::{Code, Codebook};
use cocare_qual::qdpx::{
    Case, Note, Project, QdpxProblem, Selection, SelectionCoding, TextSource, User, Variable, VariableType,
};
use cocare_qual::text::slice_chars;
use proptest::prelude::*;

fn guid(name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("https://cocare.test/qdpx/{name}").as_bytes(),
    )
    .to_string()
}

/// The code-point span of `needle` in `text`.
fn span(text: &str, needle: &str) -> (usize, usize) {
    let byte = text.find(needle).unwrap();
    let start = text[..byte].chars().count();
    (start, start + needle.chars().count())
}

fn code_guid(book: &Codebook, name: &str) -> String {
    book.codes.iter().find(|c| c.name == name).unwrap().guid.clone()
}

const ORIGIN: &str = "cocare 0.1.0";
const TEXT_1: &str = "  Interviewer: How did the referral pathway change?\r\nP01: We met every week; I felt trusted.\r\n\tIt's \"better\" & <calmer> now.  \r\n";
const TEXT_2: &str = "😀 مرحبا — café, שלום.\nP02: A referral took 3 weeks 😀 before; now it is days.\n";

fn coding(name: &str, code: &str, user: &str) -> SelectionCoding {
    SelectionCoding {
        guid: guid(name),
        code: code.to_string(),
        creating_user: Some(guid(user)),
        created: Some("2026-11-21T14:05:09.5+01:00".into()),
    }
}

fn selection(name: &str, text: &str, needle: &str, codings: Vec<SelectionCoding>) -> Selection {
    let (start, end) = span(text, needle);
    Selection {
        guid: guid(name),
        start,
        end,
        creating_user: codings.first().and_then(|c| c.creating_user.clone()),
        created: Some("2026-11-21T14:00:00Z".into()),
        codings,
        notes: Vec::new(),
    }
}

/// A realistic synthetic project: two coders, the classic NPT frame plus one code of the team's
/// own, two variables, two cases, an English interview with Windows line breaks, tabs, quotes
/// and markup characters, and a second interview with emoji, Arabic and Hebrew.
fn sample() -> Project {
    let mut codebook = Codebook::npt_classic();
    // The project file carries one origin; the codebook's is the project's.
    codebook.origin = ORIGIN.into();
    let reconfiguration = code_guid(&codebook, "Reconfiguration");
    codebook.codes.push(Code {
        guid: guid("code/pathway"),
        name: "Adapting the referral pathway".into(),
        description: "Changes to who refers & how <in practice>".into(),
        parent: Some(reconfiguration),
        codable: true,
        color: Some("#1d5fa8".into()),
    });
    let relational = code_guid(&codebook, "Relational integration");
    let appraisal = code_guid(&codebook, "Communal appraisal");
    let workability = code_guid(&codebook, "Interactional workability");
    let pathway = guid("code/pathway");
    let coherence = code_guid(&codebook, "Coherence");

    let mut sel_trusted = selection(
        "sel/trusted",
        TEXT_1,
        "We met every week; I felt trusted.",
        vec![
            coding("coding/1", &relational, "user/ana"),
            coding("coding/2", &relational, "user/yusuf"),
            coding("coding/3", &workability, "user/yusuf"),
        ],
    );
    sel_trusted.notes.push(guid("note/selection"));
    let s1 = TextSource {
        guid: guid("source/1"),
        name: "Interview P01".into(),
        description: "First interview, café on the ward".into(),
        text: TEXT_1.into(),
        creating_user: Some(guid("user/ana")),
        created: Some("2026-11-20T09:30:00Z".into()),
        selections: vec![
            sel_trusted,
            selection(
                "sel/better",
                TEXT_1,
                "\"better\" & <calmer>",
                vec![coding("coding/4", &appraisal, "user/ana")],
            ),
            // Whitespace only, across a Windows line break.
            selection("sel/break", TEXT_1, "\r\n\t", vec![]),
        ],
        notes: vec![guid("note/source")],
        sidecar: Some(r#"{"kind":"transcript","turns":[{"speaker":"P01","start":52}]}"#.into()),
    };
    let s2 = TextSource {
        guid: guid("source/2"),
        name: "Entrevista P02 — مقابلة".into(),
        description: String::new(),
        text: TEXT_2.into(),
        creating_user: None,
        created: None,
        selections: vec![
            selection(
                "sel/marhaba",
                TEXT_2,
                "مرحبا",
                vec![coding("coding/5", &pathway, "user/ana")],
            ),
            selection(
                "sel/shalom",
                TEXT_2,
                "שלום",
                vec![coding("coding/6", &relational, "user/yusuf")],
            ),
            selection(
                "sel/weeks",
                TEXT_2,
                "3 weeks 😀",
                vec![
                    coding("coding/7", &pathway, "user/ana"),
                    coding("coding/8", &pathway, "user/yusuf"),
                ],
            ),
        ],
        notes: Vec::new(),
        sidecar: None,
    };
    let note = |name: &str, title: &str, text: &str| Note {
        guid: guid(name),
        name: title.into(),
        text: text.into(),
        creating_user: Some(guid("user/yusuf")),
        created: Some("2026-11-22T08:00:00Z".into()),
    };
    Project {
        name: "Peer support pilot — ward 7".into(),
        origin: ORIGIN.into(),
        description: "Synthetic project for tests.\nNo real participants.".into(),
        created: Some("2026-11-24T10:00:00Z".into()),
        creating_user: Some(guid("user/ana")),
        users: vec![
            User {
                guid: guid("user/ana"),
                name: "Ana Ribeiro".into(),
            },
            User {
                guid: guid("user/yusuf"),
                name: "Yusuf Haddad".into(),
            },
        ],
        codebook,
        code_notes: vec![(coherence, guid("note/code"))],
        variables: vec![
            Variable {
                guid: guid("var/role"),
                name: "role".into(),
                kind: VariableType::Text,
                description: "Job title\nas the participant gave it".into(),
            },
            Variable {
                guid: guid("var/age"),
                name: "age".into(),
                kind: VariableType::Integer,
                description: String::new(),
            },
        ],
        cases: vec![
            Case {
                guid: guid("case/p01"),
                name: "P01".into(),
                description: "Recruited at the café\r\nsecond line".into(),
                values: vec![
                    (guid("var/role"), "Peer support worker".into()),
                    (guid("var/age"), "34".into()),
                ],
                sources: vec![guid("source/1")],
            },
            Case {
                guid: guid("case/p02"),
                name: "P02".into(),
                description: String::new(),
                values: vec![
                    (guid("var/role"), " Nurse,\tnight shift ".into()),
                    (guid("var/age"), "52".into()),
                ],
                sources: vec![guid("source/2")],
            },
        ],
        sources: vec![s1, s2],
        notes: vec![
            note("note/source", "Context", "Recorded in the clinic garden.\r\n  Noisy."),
            note("note/code", "Coherence: scope", "Use for sense-making talk only."),
            note("note/selection", "Check with P01", "  leading and trailing  "),
            note(
                "note/project",
                "Analysis plan",
                "Two coders; NPT classic.\nCompare with the 2022 manual.",
            ),
            note("note/empty", "", ""),
        ],
        project_notes: vec![guid("note/project")],
    }
}

static SAMPLE_QDPX: LazyLock<Vec<u8>> = LazyLock::new(|| sample().to_qdpx().unwrap());

fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.insert(f.name().unwrap().into_owned(), data);
    }
    out
}

fn rezip(entries: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The sample `.qdpx` with `project.qde` edited.
fn with_qde(edit: impl Fn(&str) -> String) -> Vec<u8> {
    let mut entries = unzip(&SAMPLE_QDPX);
    let qde = String::from_utf8(entries["project.qde"].clone()).unwrap();
    let edited = edit(&qde);
    assert_ne!(edited, qde, "the edit changed nothing");
    entries.insert("project.qde".into(), edited.into_bytes());
    rezip(&entries)
}

fn texts(p: &[QdpxProblem]) -> Vec<String> {
    p.iter().map(ToString::to_string).collect()
}

/// Validates `xml` against tests/schemas/`schema` with xmllint; `None` when xmllint is missing
/// (which fails under CI).
fn xmllint(schema: &str, label: &str, xml: &str) -> Option<Result<(), String>> {
    if std::process::Command::new("xmllint").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint (libxml2-utils) is needed to validate REFI-QDA output"
        );
        eprintln!("xmllint is not installed: schema validation skipped outside CI");
        return None;
    }
    let schema = format!("{}/tests/schemas/{schema}", env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("cocare-qdpx-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("project.qde");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &schema])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[test]
fn export_is_valid_against_the_refi_qda_project_schema() {
    let p = sample();
    p.validate().unwrap();
    let xml = p.to_xml().unwrap();
    assert!(xml.contains("<Project xmlns=\"urn:QDA-XML:project:1.0\""), "{xml}");
    assert!(xml.contains(&format!("plainTextPath=\"internal://{}.txt\"", guid("source/1"))));
    // Text in attributes keeps its line breaks and tabs as character references.
    assert!(xml.contains("name=\"Peer support pilot — ward 7\""));
    assert!(xml.contains("<Description>Recruited at the café&#13;\nsecond line</Description>"));
    assert!(xml.contains("<TextValue> Nurse,\tnight shift </TextValue>"));
    assert!(xml.contains("<IntegerValue>34</IntegerValue>"));
    if let Some(result) = xmllint("Project.xsd", "export", &xml) {
        result.unwrap_or_else(|e| panic!("{e}\n{xml}"));
    }
    // A project with nothing in it but its name is valid too.
    let empty = Project {
        name: "Empty".into(),
        ..Project::default()
    };
    if let Some(result) = xmllint("Project.xsd", "empty", &empty.to_xml().unwrap()) {
        result.unwrap();
    }
}

#[test]
fn round_trip_is_exact() {
    let p = sample();
    let bytes = p.to_qdpx().unwrap();
    assert_eq!(bytes, *SAMPLE_QDPX, "the same project gives the same bytes");
    let (back, report) = Project::from_qdpx_with_report(&bytes).unwrap();
    assert!(report.is_empty(), "{report:?}");
    assert_eq!(back, p);
    assert_eq!(back.to_xml().unwrap(), p.to_xml().unwrap());
    assert_eq!(back.to_qdpx().unwrap(), bytes);

    let entries = unzip(&bytes);
    let (s1, s2) = (guid("source/1"), guid("source/2"));
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "Sources/".to_string() + &s1 + ".cocare.json",
            format!("Sources/{s1}.txt"),
            format!("Sources/{s2}.txt"),
            "project.qde".to_string(),
        ]
    );
    assert_eq!(entries[&format!("Sources/{s1}.txt")], TEXT_1.as_bytes());
    assert_eq!(entries[&format!("Sources/{s2}.txt")], TEXT_2.as_bytes());

    // Positions are code points: the Arabic word starts after the emoji and a space.
    let source = &back.sources[1];
    let marhaba = &source.selections[0];
    assert_eq!((marhaba.start, marhaba.end), (2, 7));
    assert_eq!(slice_chars(&source.text, marhaba.start, marhaba.end), Some("مرحبا"));
    let expected = [
        (0, 0, "We met every week; I felt trusted."),
        (0, 1, "\"better\" & <calmer>"),
        (0, 2, "\r\n\t"),
        (1, 1, "שלום"),
        (1, 2, "3 weeks 😀"),
    ];
    for (s, k, want) in expected {
        let source = &back.sources[s];
        let sel = &source.selections[k];
        assert_eq!(slice_chars(&source.text, sel.start, sel.end), Some(want));
    }
    assert_eq!(back.sources[1].selections[2].codings.len(), 2);
}

#[test]
fn a_project_from_another_tool_imports_with_a_report() {
    let qde = std::fs::read_to_string(format!(
        "{}/tests/fixtures/qdpx/other_tool.qde",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // The fixture is what a conforming tool may write.
    if let Some(result) = xmllint("Project.xsd", "fixture", &qde) {
        result.unwrap();
    }
    let mut entries = BTreeMap::new();
    entries.insert("project.qde".to_string(), qde.into_bytes());
    // A byte-order mark and Windows line breaks, as Windows tools write text files.
    entries.insert(
        "Sources/Interview 2.txt".to_string(),
        "\u{feff}P02: Waiting lists were long.\r\nP02: Now they are shorter.\r\n".into(),
    );
    entries.insert(
        "sources/99999999-0000-4000-8000-000000000003.txt".to_string(),
        "Day 1: the ward was busy.\n".into(),
    );
    entries.insert(
        "Sources/66666666-0000-4000-8000-0000000000cc.pdf".to_string(),
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec(),
    );
    let (p, report) = Project::from_qdpx_with_report(&rezip(&entries)).unwrap();

    assert_eq!(
        report,
        [
            "1 empty variable value",
            "1 code linked to a case",
            "1 note on a coding",
            "1 description of a selection",
            "1 coding of a whole source",
            "1 variable value of a source",
            "1 rich-text file of a source (its plain text was imported)",
            "1 PDF source",
            "1 link between items",
            "1 set",
            "1 graph",
            "1 link from a case to a source not imported",
        ]
    );
    assert_eq!(p.name, "Ward 7 evaluation");
    assert_eq!(p.origin, "OtherQDA 12.3");
    assert_eq!(p.codebook.origin, "OtherQDA 12.3");
    assert_eq!(p.description, "Exported from OtherQDA.");
    assert_eq!(p.created.as_deref(), Some("2025-05-30T08:15:00.250+02:00"));
    // GUIDs in braces or upper case are read as cocare writes them.
    let ben = "a7b8c9d0-e1f2-4345-8678-9abcdef01234";
    assert_eq!(p.creating_user.as_deref(), Some(ben));
    assert_eq!(
        p.users,
        [
            User {
                guid: "6f1c2b8e-3d4a-4b5c-8d9e-0a1b2c3d4e5f".into(),
                name: "Ana".into()
            },
            User {
                guid: ben.into(),
                name: "Ben".into()
            },
        ]
    );
    let codes: Vec<(&str, Option<&str>, bool, Option<&str>)> = p
        .codebook
        .codes
        .iter()
        .map(|c| (c.name.as_str(), c.parent.as_deref(), c.codable, c.color.as_deref()))
        .collect();
    let barriers = "11111111-2222-4333-8444-555555555555";
    assert_eq!(
        codes,
        [
            ("Barriers", None, false, None),
            ("Waiting times", Some(barriers), true, Some("#C0392B")),
            ("Staff turnover", Some(barriers), true, None),
            ("Facilitators", None, true, None),
        ]
    );
    assert_eq!(p.codebook.codes[3].description, "What helps & why");
    let kinds: Vec<(&str, VariableType)> = p.variables.iter().map(|v| (v.name.as_str(), v.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("Gender", VariableType::Text),
            ("Age", VariableType::Integer),
            ("Tenure", VariableType::Float),
            ("Consent", VariableType::Boolean),
            ("Interviewed", VariableType::Date),
        ]
    );
    let case = &p.cases[0];
    assert_eq!(case.guid, "55555555-0000-4000-8000-000000000001");
    let values: Vec<&str> = case.values.iter().map(|(_, v)| v.as_str()).collect();
    // Text keeps its spaces; typed values are read as their schema type collapses them.
    assert_eq!(values, [" woman ", "34", "12.50", "true", "2025-03-02"]);
    // The link to the PDF source goes with it.
    assert_eq!(case.sources, ["66666666-0000-4000-8000-0000000000aa"]);

    let [one, two] = p.sources.as_slice() else {
        panic!("{:?}", p.sources)
    };
    assert_eq!(
        one.text,
        "Nurse: We started the café group in March & it helped.\nManager: Referrals doubled — 😀 good."
    );
    assert_eq!(one.guid, "66666666-0000-4000-8000-0000000000aa");
    assert_eq!(
        one.creating_user.as_deref(),
        Some("6f1c2b8e-3d4a-4b5c-8d9e-0a1b2c3d4e5f")
    );
    assert_eq!(one.notes, ["99999999-0000-4000-8000-000000000001"]);
    let selected: Vec<&str> = one
        .selections
        .iter()
        .map(|s| slice_chars(&one.text, s.start, s.end).unwrap())
        .collect();
    assert_eq!(selected, ["café group", "Referrals doubled — 😀"]);
    let first = &one.selections[0];
    assert_eq!(first.codings.len(), 2);
    assert_eq!(first.codings[1].guid, "88888888-0000-4000-8000-000000000002");
    assert_eq!(first.codings[1].creating_user.as_deref(), Some(ben));
    assert_eq!(
        one.selections[1].codings[0].code,
        "5d0e4c1a-9b8f-4e7d-a6c5-b4a3f2e1d0c9"
    );
    assert_eq!(
        two.text, "P02: Waiting lists were long.\r\nP02: Now they are shorter.\r\n",
        "read from the file the absolute path names, without its byte-order mark"
    );
    assert_eq!(
        slice_chars(&two.text, two.selections[0].start, two.selections[0].end),
        Some("Now they are shorter")
    );
    assert_eq!(
        two.selections[0].codings[0].code,
        "22222222-aaaa-4bbb-8ccc-dddddddddddd"
    );
    let notes: Vec<(&str, &str)> = p.notes.iter().map(|n| (n.name.as_str(), n.text.as_str())).collect();
    assert_eq!(
        notes,
        [
            ("Memo on café", "Ask about the café again."),
            ("", "Ben disagrees: <Facilitators>?"),
            ("Journal 1", "Day 1: the ward was busy.\n"),
        ]
    );
    assert_eq!(p.project_notes, ["99999999-0000-4000-8000-000000000003"]);

    // What was imported exports as a valid project, and reads back the same.
    let xml = p.to_xml().unwrap();
    if let Some(result) = xmllint("Project.xsd", "reexport", &xml) {
        result.unwrap();
    }
    assert_eq!(Project::from_qdpx(&p.to_qdpx().unwrap()).unwrap(), p);
}

#[test]
fn bad_input_is_refused_with_the_place_named() {
    // Not a zip.
    for bytes in [&b"hello"[..], b"", b"PK\x03\x04 not really a zip"] {
        let err = Project::from_qdpx(bytes).unwrap_err();
        assert_eq!(err[0].place, ".qdpx");
        assert!(err[0].reason.contains("not a readable zip"), "{err:?}");
    }

    // A zip without project.qde.
    let mut entries = unzip(&SAMPLE_QDPX);
    entries.remove("project.qde");
    let err = Project::from_qdpx(&rezip(&entries)).unwrap_err();
    assert!(texts(&err).iter().any(|e| e.contains("no project.qde")), "{err:?}");

    // Malformed XML: an element left open; the place is where the reader noticed.
    let bytes = with_qde(|q| q.replacen("</Users>", "", 1));
    let err = Project::from_qdpx(&bytes).unwrap_err();
    let qde = String::from_utf8(unzip(&bytes)["project.qde"].clone()).unwrap();
    let last_line = qde.lines().count();
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0]
            .place
            .starts_with(&format!("project.qde line {last_line}, column ")),
        "{err:?}"
    );
    assert!(err[0].reason.contains("Users"), "{err:?}");

    // A selection ending past the end of its text (the Arabic word, 2..7, of a 77-character text).
    let s2 = "source \"Entrevista P02 — مقابلة\" selection 1";
    let sel = guid("sel/marhaba");
    let bytes = with_qde(|q| {
        q.replace(
            &format!("guid=\"{sel}\" startPosition=\"2\" endPosition=\"7\""),
            &format!("guid=\"{sel}\" startPosition=\"2\" endPosition=\"700\""),
        )
    });
    let err = Project::from_qdpx(&bytes).unwrap_err();
    assert_eq!(
        texts(&err),
        [format!(
            "{s2}: it runs from 2 to 700 but the text has only 77 characters (code points)"
        )]
    );
    let mut p = sample();
    p.sources[1].selections[0].end = 78;
    let err = p.to_qdpx().unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].place, s2);
    p.sources[1].selections[0].start = 8;
    p.sources[1].selections[0].end = 7;
    assert!(p.validate().unwrap_err()[0].reason.contains("starts at 8"));

    // A coding of a code that does not exist.
    let ghost = guid("code/ghost");
    let bytes = with_qde(|q| {
        q.replace(
            &format!("targetGUID=\"{}\"", guid("code/pathway")),
            &format!("targetGUID=\"{ghost}\""),
        )
    });
    let err = Project::from_qdpx(&bytes).unwrap_err();
    let all = texts(&err);
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(
        all[0],
        format!("{s2} coding 1: its code {ghost} is not in the codebook")
    );

    // A source whose text file is missing: named once, without follow-on problems about its
    // selections.
    let mut entries = unzip(&SAMPLE_QDPX);
    let s1 = guid("source/1");
    entries.remove(&format!("Sources/{s1}.txt"));
    let err = Project::from_qdpx(&rezip(&entries)).unwrap_err();
    assert_eq!(err.len(), 1, "{err:?}");
    assert_eq!(err[0].place, "source \"Interview P01\"");
    assert!(
        err[0].reason.starts_with(&format!(
            "its text file internal://{s1}.txt is not in the .qdpx (project.qde line "
        )),
        "{err:?}"
    );

    // A text file that is not UTF-8 (Latin-1 here).
    let s2 = guid("source/2");
    let mut entries = unzip(&SAMPLE_QDPX);
    entries.insert(format!("Sources/{s2}.txt"), b"caf\xe9".to_vec());
    let err = Project::from_qdpx(&rezip(&entries)).unwrap_err();
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].to_string().starts_with(&format!(
            "source \"Entrevista P02 — مقابلة\": its text file Sources/{s2}.txt is not UTF-8 plain text"
        )),
        "{err:?}"
    );

    // The same GUID twice.
    let mut p = sample();
    p.variables[1].guid = p.users[0].guid.to_uppercase();
    let err = p.validate().unwrap_err();
    assert!(
        texts(&err).contains(&format!(
            "variable \"age\": its GUID {} is also the GUID of user \"Ana Ribeiro\"",
            p.variables[1].guid
        )),
        "{err:?}"
    );
    let user = guid("user/ana");
    let bytes = with_qde(|q| {
        q.replace(
            &format!("<Note guid=\"{}\"", guid("note/empty")),
            &format!("<Note guid=\"{user}\""),
        )
    });
    let err = Project::from_qdpx(&bytes).unwrap_err();
    assert_eq!(
        texts(&err),
        [format!(
            "note {user}: its GUID {user} is also the GUID of user \"Ana Ribeiro\""
        )]
    );

    // An Integer variable with a value that is not a whole number.
    let mut p = sample();
    p.cases[0].values[1].1 = "abc".into();
    let err = p.to_xml().unwrap_err();
    assert_eq!(
        texts(&err),
        ["case \"P01\" variable \"age\": 'abc' is not a whole number like 42, as its type Integer requires"]
    );
    let bytes = with_qde(|q| q.replace("<IntegerValue>34</IntegerValue>", "<IntegerValue>abc</IntegerValue>"));
    assert_eq!(texts(&Project::from_qdpx(&bytes).unwrap_err()), texts(&err));

    // Not a project at all, and several problems at once.
    let err = Project::from_xml("<CodeBook/>", &BTreeMap::new()).unwrap_err();
    assert!(err[0].reason.contains("not a REFI-QDA project"));
    let err = Project::from_xml(
        "<Project name=\"x\"><Sources><TextSource guid=\"nope\"><PlainTextSelection guid=\"x\" startPosition=\"-1\" endPosition=\"a\"/></TextSource></Sources></Project>",
        &BTreeMap::new(),
    )
    .unwrap_err();
    let all = texts(&err).join("\n");
    for want in [
        "source nope: it has neither PlainTextContent nor a plainTextPath",
        "source nope selection 1: its startPosition '-1' is not a whole number from 0",
        "source nope selection 1: its endPosition 'a' is not a whole number from 0",
        "source nope: 'nope' is not a GUID",
        "source nope selection 1: 'x' is not a GUID",
    ] {
        assert!(all.contains(want), "{want}\n{all}");
    }
}

#[test]
fn common_deviations_from_the_schema_are_tolerated() {
    let xml = r#"<Project xmlns="urn:QDA-XML:project:1.0" name="x">
      <Variables><Variable guid="44444444-0000-4000-8000-000000000003" name="Tenure" typeOfVariable="Float"/></Variables>
      <Cases><Case guid="55555555-0000-4000-8000-000000000001" name="P01">
        <VariableValue><VariableRef targetGUID="44444444-0000-4000-8000-000000000003"/><FloatValue/></VariableValue>
      </Case></Cases>
      <Notes><Note guid="99999999-0000-4000-8000-000000000001" creatingUser="" creationDateTime="">
        <PlainTextContent><![CDATA[a <b> & c]]>&#x1F600;</PlainTextContent>
      </Note></Notes>
    </Project>"#;
    let (p, report) = Project::from_xml_with_report(xml, &BTreeMap::new()).unwrap();
    assert_eq!(report, ["1 empty variable value"]);
    assert!(p.cases[0].values.is_empty());
    assert_eq!(
        (p.notes[0].creating_user.as_ref(), p.notes[0].created.as_ref()),
        (None, None)
    );
    assert_eq!(p.notes[0].text, "a <b> & c😀");
}

static SAMPLE_QDE: LazyLock<Vec<u8>> = LazyLock::new(|| unzip(&SAMPLE_QDPX)["project.qde"].clone());

/// Pieces of XML to splice into a valid document, to reach the reader's corners.
const SPLICES: &[&str] = &[
    "<",
    ">",
    "&",
    "\"",
    "</Code>",
    "<Code guid=\"x\" name=\"n\" isCodable=\"maybe\">",
    "&#0;",
    "&#x110000;",
    "&nope;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "<?pi x?>",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>",
    "\u{0}",
    "😀",
    "<PlainTextSelection guid=\"{00000000-0000-0000-0000-000000000000}\" startPosition=\"99999999999999999999999\" endPosition=\"1\"/>",
    "<NoteRef targetGUID=\"\"/>",
];

fn flip(mut bytes: Vec<u8>, flips: &[(prop::sample::Index, u8)]) -> Vec<u8> {
    for (at, value) in flips {
        if !bytes.is_empty() {
            let i = at.index(bytes.len());
            bytes[i] ^= value | 1;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any bytes at all: a project or problems, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), zip_header in any::<bool>()) {
        let mut bytes = bytes;
        if zip_header {
            bytes.splice(0..0, *b"PK\x03\x04");
        }
        let _ = Project::from_qdpx(&bytes);
        let _ = Project::from_xml(&String::from_utf8_lossy(&bytes), &BTreeMap::new());
    }

    /// A valid .qdpx cut short or with bytes flipped.
    #[test]
    fn damaged_qdpx_never_panics(
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        truncate in any::<bool>(),
    ) {
        let mut bytes = flip(SAMPLE_QDPX.clone(), &flips);
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        let _ = Project::from_qdpx(&bytes);
    }

    /// A damaged project.qde inside an intact zip, so the XML reader sees it.
    #[test]
    fn damaged_project_file_never_panics(
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        truncate in prop::bool::weighted(0.3),
        splices in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(SPLICES)), 0..4),
    ) {
        let mut qde = flip(SAMPLE_QDE.clone(), &flips);
        if truncate {
            qde.truncate(cut.index(qde.len() + 1));
        }
        for (at, piece) in &splices {
            let i = at.index(qde.len() + 1);
            qde.splice(i..i, piece.bytes());
        }
        let mut entries = unzip(&SAMPLE_QDPX);
        entries.insert("project.qde".into(), qde.clone());
        let _ = Project::from_qdpx(&rezip(&entries));
        let _ = Project::from_xml(&String::from_utf8_lossy(&qde), &BTreeMap::new());
    }

    /// Whatever imports exports again, and reads back the same.
    #[test]
    fn what_imports_round_trips(
        splices in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(SPLICES)), 0..3),
    ) {
        let mut qde = SAMPLE_QDE.clone();
        for (at, piece) in &splices {
            let i = at.index(qde.len() + 1);
            qde.splice(i..i, piece.bytes());
        }
        let mut entries = unzip(&SAMPLE_QDPX);
        entries.insert("project.qde".into(), qde);
        if let Ok(p) = Project::from_qdpx(&rezip(&entries)) {
            let again = Project::from_qdpx(&p.to_qdpx().unwrap()).unwrap();
            prop_assert_eq!(again, p);
        }
    }
}
