//! The analytic store on disk: one folder per dataset (organisation), holding versions of a
//! Parquet dataset and a `CURRENT` file naming the one in use.
//!
//! ```text
//! <root>/<dataset>/CURRENT                      the version in use, replaced atomically
//! <root>/<dataset>/versions/<version>/manifest.json
//!                                   /people/people.parquet
//!                                   /events/<file>-<block>-<chunk>.parquet
//!                                   /outcomes/<file>-<block>-<chunk>.parquet
//! <root>/<dataset>/.import-<random>/           an import in progress; removed on failure
//! ```
//!
//! Columns (dates are day numbers, days since 1970-01-01):
//! - people: pid INT32, pseudonym UTF8, birth_year INT32, sex UTF8, gender UTF8?, ethnicity UTF8,
//!   ethnic_group UTF8?, deprivation INT32?
//! - events: pid INT32, kind UTF8, code UTF8, detail UTF8?, start INT32, end INT32?, quantity
//!   FLOAT64?, unit INT16
//! - outcomes: pid INT32, day INT32, measure UTF8, value FLOAT64

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

use crate::Error;

pub fn people_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("pid", DataType::Int32, false),
        Field::new("pseudonym", DataType::Utf8, false),
        Field::new("birth_year", DataType::Int32, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("gender", DataType::Utf8, true),
        Field::new("ethnicity", DataType::Utf8, false),
        Field::new("ethnic_group", DataType::Utf8, true),
        Field::new("deprivation", DataType::Int32, true),
    ]))
}

pub fn events_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("pid", DataType::Int32, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("code", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, true),
        Field::new("start", DataType::Int32, false),
        Field::new("end", DataType::Int32, true),
        Field::new("quantity", DataType::Float64, true),
        Field::new("unit", DataType::Int16, false),
    ]))
}

pub fn outcomes_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("pid", DataType::Int32, false),
        Field::new("day", DataType::Int32, false),
        Field::new("measure", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
    ]))
}

/// What an import wrote, kept beside the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: String,
    pub imported_at: String,
    pub people: u64,
    pub events: u64,
    pub outcomes: u64,
    /// Rows read per input file.
    pub files: Vec<(String, u64)>,
    /// The last day any event starts on.
    pub last_day: Option<i32>,
}

/// A dataset's folder.
#[derive(Debug, Clone)]
pub struct Dataset {
    dir: PathBuf,
}

impl Dataset {
    /// `name` is an organisation id (letters, digits, `-` and `_` only).
    pub fn new(root: &Path, name: &str) -> Result<Dataset, Error> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(Error::Invalid(format!("{name:?} is not a dataset name")));
        }
        Ok(Dataset { dir: root.join(name) })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The version in use, if any import has finished.
    pub fn current(&self) -> Result<Option<(PathBuf, Manifest)>, Error> {
        let pointer = self.dir.join("CURRENT");
        let version = match std::fs::read_to_string(&pointer) {
            Ok(v) => v.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&pointer, e)),
        };
        let dir = self.dir.join("versions").join(&version);
        let manifest_path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| Error::Invalid(format!("{}: {e}", manifest_path.display())))?;
        Ok(Some((dir, manifest)))
    }

    /// Makes `staged` (a finished import folder) the version in use, then removes versions
    /// older than the one it replaces.
    pub fn publish(&self, staged: &Path, version: &str) -> Result<PathBuf, Error> {
        // One publisher at a time (another process may be importing too): an exclusive lock on
        // the dataset's lock file, released when it is dropped.
        let lock_path = self.dir.join(".publish.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        let versions = self.dir.join("versions");
        std::fs::create_dir_all(&versions).map_err(|e| Error::io(&versions, e))?;
        let target = versions.join(version);
        std::fs::rename(staged, &target).map_err(|e| Error::io(&target, e))?;
        let previous = self.current().ok().flatten().map(|(dir, _)| dir);
        let tmp = self.dir.join(".CURRENT.tmp");
        std::fs::write(&tmp, version).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, self.dir.join("CURRENT")).map_err(|e| Error::io(&tmp, e))?;
        if let Ok(entries) = std::fs::read_dir(&versions) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path != target && Some(&path) != previous.as_ref() {
                    let _ = std::fs::remove_dir_all(&path);
                }
            }
        }
        Ok(target)
    }

    /// A fresh folder for an import in progress.
    pub fn stage(&self) -> Result<PathBuf, Error> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| Error::Invalid(format!("no randomness: {e}")))?;
        let dir = self.dir.join(format!(".import-{}", hex::encode(bytes)));
        for sub in ["people", "events", "outcomes"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
        }
        Ok(dir)
    }
}
