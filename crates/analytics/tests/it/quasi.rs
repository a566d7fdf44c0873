//! The quasi-identifier profile of an imported version, its cache, and finding the version.

use std::path::Path;

use cocare_analytics::quasi::facts::{Facts, Profile, check};
use cocare_analytics::quasi::{CACHE_FILE, profile, read_cache, version_dir};

use crate::common::{engine, import};

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/records-example")
}

/// One person's row of the profile, found by year of birth (unique in these extracts).
#[allow(clippy::type_complexity)] // a tuple read once, field by field
fn row(
    p: &Profile,
    born: i32,
) -> (
    String,
    Option<String>,
    String,
    Option<String>,
    Option<u8>,
    [u32; 7],
    Vec<String>,
) {
    let c = p.columns();
    let i = c.birth_year.iter().position(|y| *y == born).unwrap();
    let counts = &c.counts;
    let mut dx: Vec<String> = c.diagnoses.of(i).map(str::to_string).collect();
    dx.sort();
    (
        c.sex.get(i).unwrap().to_string(),
        c.gender.get(i).map(str::to_string),
        c.ethnicity.get(i).unwrap().to_string(),
        c.ethnic_group.get(i).map(str::to_string),
        c.deprivation[i],
        [
            counts.referrals[i],
            counts.contacts[i],
            counts.spells[i],
            counts.ward_stays[i],
            counts.detentions[i],
            counts.agency_contacts[i],
            counts.diagnoses[i],
        ],
        dx,
    )
}

fn s(v: &str) -> String {
    v.to_string()
}

#[tokio::test]
async fn the_profile_of_the_example_records_matches_hand_counts_and_is_cached() {
    let (root, engine) = engine();
    import(&engine, &example()).unwrap();
    let (version, manifest) = version_dir(root.path()).unwrap();
    assert_eq!(manifest.people, 4);
    assert!(!version.join(CACHE_FILE).exists());

    let p = profile(&version).await.unwrap();
    assert_eq!(p.people(), 4);
    // referrals, contacts, spells, ward stays, detentions, agency contacts, diagnoses
    assert_eq!(
        row(&p, 1984),
        (
            s("female"),
            Some(s("woman")),
            s("N"),
            Some(s("black")),
            Some(2),
            [1, 4, 3, 5, 2, 3, 2],
            vec![s("F10.2"), s("F20.0")]
        )
    );
    assert_eq!(
        row(&p, 1991),
        (
            s("male"),
            Some(s("man")),
            s("A"),
            Some(s("white")),
            Some(1),
            [1, 1, 1, 1, 1, 3, 2],
            vec![s("F12.2"), s("F60.3")]
        )
    );
    assert_eq!(
        row(&p, 1975),
        (
            s("not_stated"),
            None,
            s("Z"),
            None,
            None,
            [1, 1, 0, 0, 0, 1, 1],
            vec![s("F32.1")]
        )
    );
    assert_eq!(
        row(&p, 1962),
        (
            s("female"),
            Some(s("non_binary")),
            s("H"),
            Some(s("asian")),
            Some(7),
            [0, 1, 0, 0, 0, 0, 1],
            vec![s("F41.1")]
        )
    );
    let facts = Facts::from_json(r#"{"sex": "female", "spells": {"min": 1}, "diagnosis": "F20"}"#).unwrap();
    assert_eq!(check(&p, &facts, 1, 2025).unwrap().matched, Some(1));

    // Cached: a second call reads the cache, not the events (moved away here).
    assert!(version.join(CACHE_FILE).is_file());
    assert_eq!(read_cache(&version).unwrap().as_ref(), Some(&p));
    let aside = root.path().join("events-aside");
    std::fs::rename(version.join("events"), &aside).unwrap();
    assert_eq!(
        profile(&version).await.unwrap(),
        p,
        "the cache answers without the events"
    );
    std::fs::rename(&aside, version.join("events")).unwrap();

    // A corrupt cache is rebuilt (and rewritten).
    std::fs::write(version.join(CACHE_FILE), b"PAR1 not really parquet").unwrap();
    assert!(read_cache(&version).is_err());
    assert_eq!(profile(&version).await.unwrap(), p);
    assert_eq!(read_cache(&version).unwrap().as_ref(), Some(&p));
    let leftovers: Vec<_> = std::fs::read_dir(&version)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left: {leftovers:?}");
}

#[tokio::test]
async fn repeated_codes_count_once_in_the_set_and_people_without_events_have_zeros() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("people.csv"),
        "source_id,year_of_birth,sex,ethnicity\nA,1970,male,A\nB,1980,female,N\nC,1990,intersex,99\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("diagnoses.csv"),
        "source_id,date,icd10\nA,2020-01-01,F20.0\nA,2021-01-01,f200\nA,2021-02-01,F32\nB,2022-01-01,F20.0\n",
    )
    .unwrap();
    let (root, store) = engine();
    import(&store, dir.path()).unwrap();
    let (version, _) = version_dir(&root.path().join("org")).unwrap();
    let p = profile(&version).await.unwrap();
    assert_eq!(row(&p, 1970).5, [0, 0, 0, 0, 0, 0, 3]);
    assert_eq!(row(&p, 1970).6, [s("F20.0"), s("F32")]);
    assert_eq!(row(&p, 1980).6, [s("F20.0")]);
    assert_eq!(
        row(&p, 1990),
        (s("intersex"), None, s("99"), None, None, [0; 7], vec![])
    );
    assert_eq!(
        p.columns().diagnoses.values.len(),
        2,
        "one dictionary entry per distinct code"
    );

    // Only people, no event files at all.
    let only = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("people.csv"), only.path().join("people.csv")).unwrap();
    let (root, people_only) = engine();
    import(&people_only, only.path()).unwrap();
    let (version, _) = version_dir(root.path()).unwrap();
    let p = profile(&version).await.unwrap();
    assert_eq!(p.people(), 3);
    assert_eq!(row(&p, 1980).5, [0; 7]);
}

#[test]
fn the_version_is_found_from_a_root_a_dataset_or_a_version_folder() {
    let (root, engine) = engine();
    import(&engine, &example()).unwrap();
    let (version, manifest) = version_dir(root.path()).unwrap();
    assert_eq!(
        version_dir(&root.path().join("org")).unwrap(),
        (version.clone(), manifest.clone())
    );
    assert_eq!(version_dir(&version).unwrap(), (version.clone(), manifest));
    assert!(version.starts_with(root.path().join("org").join("versions")));

    cocare_analytics::import::import_dir(
        &example(),
        &engine.dataset("another").unwrap(),
        &crate::common::key(),
        &crate::common::options(),
        &|_| {},
    )
    .unwrap();
    let err = version_dir(root.path()).unwrap_err().to_string();
    assert!(err.contains("holds 2 datasets (another, org)"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = version_dir(empty.path()).unwrap_err().to_string();
    assert!(err.contains("is not an analytic store"), "{err}");
}
