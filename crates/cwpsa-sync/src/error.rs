//! What can go wrong in a sync, each saying what to do about it.

/// A sync error. Messages never contain the private key or a database password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// Invalid options (`--to`, `--entities`, ...).
    #[error("{0}")]
    Options(String),
    /// The ConnectWise API failed (after the client's retries).
    #[error("{entity}: {source}")]
    Api {
        entity: String,
        #[source]
        source: cwpsa::Error,
    },
    /// A record the server sent could not be read.
    #[error("{0}")]
    Record(String),
    /// The destination failed.
    #[error("{0}")]
    Destination(String),
    /// Another sync holds the destination's lock.
    #[error("{0}")]
    Locked(String),
    /// A deletion scan would remove too much: refused.
    #[error(
        "{entity}: the deletion scan would remove {would_delete} of {rows} rows ({percent:.1}%), more than the allowed {max_percent:.1}%; refusing, since a partial read must never look like a mass delete. If the records really were deleted, run again with --max-delete-fraction {suggested}"
    )]
    MassDelete {
        entity: String,
        would_delete: u64,
        rows: u64,
        percent: f64,
        max_percent: f64,
        suggested: String,
    },
    /// Watch mode could not serve or register callbacks.
    #[error("{0}")]
    Watch(String),
}

impl SyncError {
    pub(crate) fn api(entity: &str, source: cwpsa::Error) -> SyncError {
        SyncError::Api {
            entity: entity.to_owned(),
            source,
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> SyncError {
        SyncError::Destination(format!("SQLite: {e}"))
    }
}

impl From<tokio_postgres::Error> for SyncError {
    fn from(e: tokio_postgres::Error) -> SyncError {
        // `Display` of a db error is terse ("db error"); the source has the server's message.
        let detail = match (e.as_db_error(), std::error::Error::source(&e)) {
            (Some(db), _) => format!("{}: {}", db.severity(), db.message()),
            (None, Some(source)) => format!("{e}: {source}"),
            (None, None) => e.to_string(),
        };
        SyncError::Destination(format!("PostgreSQL: {detail}"))
    }
}
