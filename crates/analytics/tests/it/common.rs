use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cocare_analytics::Error;
use cocare_analytics::import::{ImportOptions, ImportSummary, import_dir};
use cocare_analytics::query::{Cluster, Engine};
use cocare_records::cohort::CohortDefinition;
use cocare_records::pseudonym::PseudonymKey;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn key() -> PseudonymKey {
    PseudonymKey::from_random([42; 32])
}

pub fn options() -> ImportOptions {
    ImportOptions {
        today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        report_limit: 100,
    }
}

pub fn import(engine: &Engine, dir: &Path) -> Result<ImportSummary, Error> {
    import_dir(dir, &engine.dataset("org").unwrap(), &key(), &options(), &|_| {})
}

pub fn engine() -> (tempfile::TempDir, Engine) {
    let root = tempfile::tempdir().unwrap();
    let engine = Engine::new(root.path(), Cluster::Local);
    (root, engine)
}

pub fn definition() -> CohortDefinition {
    CohortDefinition::from_json(&std::fs::read_to_string(fixture("table1/cohort.json")).unwrap()).unwrap()
}

/// Copies a fixture folder so a test can spoil one file.
pub fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

pub fn rejected(result: Result<ImportSummary, Error>) -> Vec<String> {
    match result {
        Err(Error::Rejected { rejections, .. }) => rejections.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("expected rejections, got {other}"),
        Ok(_) => panic!("expected rejections, but the import succeeded"),
    }
}
