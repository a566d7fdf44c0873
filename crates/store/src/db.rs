//! Choosing the backend, connecting, migrating, and the write transaction.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL that cocare has checked. Its `Display` never shows a password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    url: String,
    sqlite_path: Option<PathBuf>,
}

impl DatabaseUrl {
    /// The default: a SQLite file in the working data directory.
    pub fn default_sqlite() -> DatabaseUrl {
        DatabaseUrl::sqlite_file(Path::new("data/cocare.sqlite3"))
    }

    pub fn sqlite_file(path: &Path) -> DatabaseUrl {
        DatabaseUrl {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}", path.display()),
            sqlite_path: Some(path.to_path_buf()),
        }
    }

    /// Accepts `sqlite://PATH`, `sqlite:PATH`, `postgres://…`, `postgresql://…`, or the path of
    /// an existing SQLite file. Anything else is refused, so a typo never creates an empty
    /// database somewhere unexpected.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, StoreError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(StoreError::BadUrl("the database URL is empty".into()));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                backend: Backend::Postgres,
                url: raw.to_owned(),
                sqlite_path: None,
            });
        }
        if let Some(rest) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::BadUrl(
                    "a SQLite database URL needs a file path, e.g. sqlite://data/cocare.sqlite3".into(),
                ));
            }
            return Ok(DatabaseUrl::sqlite_file(Path::new(path)));
        }
        if Path::new(raw).is_file() {
            return Ok(DatabaseUrl::sqlite_file(Path::new(raw)));
        }
        let scheme = raw
            .split("://")
            .next()
            .filter(|_| raw.contains("://"))
            .unwrap_or("(none)");
        Err(StoreError::BadUrl(format!(
            "unrecognised database URL scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"
        )))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        self.sqlite_path.as_deref()
    }

    /// The URL with any password replaced, for messages and logs.
    pub fn redacted(&self) -> String {
        match self.url.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((credentials, host)) => {
                    let user = credentials.split(':').next().unwrap_or_default();
                    let hidden = if credentials.contains(':') { ":***" } else { "" };
                    format!("{scheme}://{user}{hidden}@{host}")
                }
                None => self.url.clone(),
            },
            None => self.url.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The store: a pool, the backend it speaks to, and (on SQLite) the single-writer gate.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    writer: Arc<Mutex<()>>,
    url: DatabaseUrl,
}

impl Store {
    /// Connects (creating a SQLite file with owner-only permissions if needed). Does not migrate.
    pub async fn connect(url: &DatabaseUrl) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let connect_url = match url.sqlite_path() {
            Some(path) => {
                create_sqlite_file(path)?;
                format!("sqlite://{}?mode=rwc", path.display())
            }
            None => url.url.clone(),
        };
        let backend = url.backend;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 5000",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&connect_url)
            .await
            .map_err(|err| match StoreError::from(err) {
                StoreError::Sql(other) => StoreError::Unreachable(format!("{}: {other}", url.redacted())),
                StoreError::Unreachable(why) => StoreError::Unreachable(format!("{}: {why}", url.redacted())),
                other => other,
            })?;
        Ok(Store {
            pool,
            backend,
            writer: Arc::new(Mutex::new(())),
            url: url.clone(),
        })
    }

    /// Connects and applies every pending migration.
    pub async fn open(url: &DatabaseUrl) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool itself, for maintenance and tests that must reach beneath the store (for
    /// example to tamper with the audit log on purpose). Application code never calls this.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Applies pending migrations; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let before = self.applied_migrations().await.unwrap_or(0);
        migrator.run(&self.pool).await?;
        let after = self.applied_migrations().await?;
        Ok(after.saturating_sub(before))
    }

    /// The highest migration version known to this binary.
    pub fn latest_migration(&self) -> i64 {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }

    async fn applied_migrations(&self) -> Result<usize, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Whether the database answers (for `/health`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// Begins the one kind of transaction that may write or read personal data.
    ///
    /// On SQLite, writers queue on an in-process gate and the transaction takes the write lock
    /// at once (`BEGIN IMMEDIATE`), so two writers never deadlock upgrading their locks.
    pub async fn begin_write(&self) -> Result<WriteTxn, StoreError> {
        let (guard, tx) = match self.backend {
            Backend::Sqlite => {
                let guard = Arc::clone(&self.writer).lock_owned().await;
                (Some(guard), self.pool.begin_with("BEGIN IMMEDIATE").await?)
            }
            Backend::Postgres => (None, self.pool.begin().await?),
        };
        Ok(WriteTxn {
            tx,
            _writer: guard,
            backend: self.backend,
        })
    }

    /// A read-only view of one moment: every query in it sees the same committed state.
    /// PostgreSQL needs REPEATABLE READ for that; a SQLite read transaction in WAL mode has it.
    pub(crate) async fn begin_snapshot(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        })
    }

    pub(crate) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A transaction. Commit consumes it; dropping it rolls back every write and audit row in it.
pub struct WriteTxn {
    pub(crate) tx: Transaction<'static, Any>,
    _writer: Option<OwnedMutexGuard<()>>,
    pub(crate) backend: Backend,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

fn create_sqlite_file(path: &Path) -> Result<(), StoreError> {
    let failed = |why: std::io::Error| {
        StoreError::Unreachable(format!("cannot create the SQLite file {}: {why}", path.display()))
    };
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    if !path.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path).map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_schemes_are_refused_with_the_forms_that_work() {
        let err = DatabaseUrl::parse("mysql://root@localhost/db").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"mysql\""), "{text}");
        assert!(text.contains("sqlite://"), "{text}");
        assert!(DatabaseUrl::parse("no/such/file.db").is_err());
    }

    #[test]
    fn passwords_never_appear_in_messages() {
        let url = DatabaseUrl::parse("postgres://cocare:s3cret@db.example/cocare").unwrap();
        assert_eq!(url.to_string(), "postgres://cocare:***@db.example/cocare");
        assert_eq!(format!("{url:?}"), "postgres://cocare:***@db.example/cocare");
    }

    #[test]
    fn sqlite_urls_name_a_file() {
        let url = DatabaseUrl::parse("sqlite://data/x.sqlite3").unwrap();
        assert_eq!(url.backend(), Backend::Sqlite);
        assert_eq!(url.sqlite_path(), Some(Path::new("data/x.sqlite3")));
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
    }
}
