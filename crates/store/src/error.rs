use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database URL is not one cocare can use; the message says why.
    #[error("{0}")]
    BadUrl(String),
    /// The database cannot be reached (down, wrong host, refused).
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    /// A unique constraint refused the write; the value names what already exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("stored data is not as cocare wrote it: {0}")]
    Corrupt(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("backup file {path}: {reason}")]
    Backup { path: String, reason: String },
    /// A store method was called with a permit for another action: a programming error.
    #[error("a permit for {given} cannot be used to {wanted}")]
    WrongPermit { given: &'static str, wanted: &'static str },
    /// The thing asked for is not there (or not in the caller's organisation).
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("database error: {0}")]
    Sql(sqlx::Error),
}

impl StoreError {
    /// Maps a unique-constraint failure to a conflict naming `what`, anything else to `Sql`.
    pub(crate) fn unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
            _ => StoreError::from(err),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::Io(io) => StoreError::Unreachable(io.to_string()),
            sqlx::Error::PoolTimedOut => StoreError::Unreachable("timed out waiting for a connection".into()),
            sqlx::Error::PoolClosed => StoreError::Unreachable("the connection pool is closed".into()),
            sqlx::Error::Tls(tls) => StoreError::Unreachable(tls.to_string()),
            other => StoreError::Sql(other),
        }
    }
}
