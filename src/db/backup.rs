//! `convene backup`: a consistent copy of the embedded SQLite database, taken while the server
//! keeps serving. PostgreSQL has its own tools for this (docs/operations.md).

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

use crate::config::DatabaseBackend;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "convene backup copies the embedded SQLite database; back up PostgreSQL with \
         pg_dump -Fc or continuous archiving (see docs/operations.md)"
    )]
    Postgres,
    #[error("{0}")]
    Url(String),
    #[error("there is no database at {0}")]
    NoDatabase(PathBuf),
    #[error("{0} already exists; a backup never overwrites a file")]
    TargetExists(PathBuf),
    #[error("the backup path {0} is not valid UTF-8")]
    NotUtf8(PathBuf),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("copying the database failed: {0}")]
    Copy(String),
}

/// Writes a consistent copy of the SQLite database at `database_url` into `target`, which must
/// not exist yet; its folder is created when needed. Returns the backup's size in bytes.
///
/// `VACUUM INTO` reads one snapshot of the database, including what is still in the
/// write-ahead log, and writers carry on meanwhile (WAL readers do not block them). SQLite does
/// not flush the new file to disk, so this does before reporting success.
pub fn sqlite_backup(database_url: &str, target: &Path) -> Result<u64, BackupError> {
    let source = match DatabaseBackend::from_url(database_url)
        .map_err(|e| BackupError::Url(e.to_string()))?
    {
        DatabaseBackend::Sqlite { path } => path,
        DatabaseBackend::Postgres { .. } => return Err(BackupError::Postgres),
    };
    // Opening a missing file would create an empty database and back that up.
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source));
    }
    let target = claim_target(target)?;
    if let Err(error) = copy_into(&source, &target) {
        // This run created the file, so removing its partial copy cannot lose anyone's data.
        let _ = std::fs::remove_file(&target);
        return Err(error);
    }
    let file = File::open(&target).map_err(io("opening", &target))?;
    file.sync_all().map_err(io("flushing", &target))?;
    let size = file.metadata().map_err(io("reading", &target))?.len();
    if let Some(folder) = target.parent() {
        // The new directory entry must reach the disk too, or a crash could lose the file.
        File::open(folder)
            .and_then(|dir| dir.sync_all())
            .map_err(io("flushing", folder))?;
    }
    Ok(size)
}

/// Creates the target's folder and the target as an empty file, which `VACUUM INTO` accepts:
/// creating it exclusively refuses an existing file even when another process races us. The
/// path is made absolute so SQLite can never read it as a `file:` URI.
fn claim_target(target: &Path) -> Result<PathBuf, BackupError> {
    let target = std::path::absolute(target).map_err(io("resolving", target))?;
    if let Some(folder) = target.parent() {
        std::fs::create_dir_all(folder).map_err(io("creating", folder))?;
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
    {
        Ok(_) => Ok(target),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            Err(BackupError::TargetExists(target))
        }
        Err(error) => Err(io("creating", &target)(error)),
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_owned();
    move |source| BackupError::Io {
        action,
        path,
        source,
    }
}

fn copy_into(source: &Path, target: &Path) -> Result<(), BackupError> {
    let target_text = target
        .to_str()
        .ok_or_else(|| BackupError::NotUtf8(target.to_owned()))?;
    let copy = |e: diesel::result::Error| BackupError::Copy(e.to_string());
    let mut conn = SqliteConnection::establish(&format!("sqlite://{}", source.display()))
        .map_err(|e| BackupError::Copy(e.to_string()))?;
    // The server may hold the write lock for a moment when the snapshot starts.
    conn.batch_execute("PRAGMA busy_timeout = 5000")
        .map_err(copy)?;
    diesel::sql_query(format!("VACUUM INTO {}", sql_string(target_text)))
        .execute(&mut conn)
        .map_err(copy)?;
    Ok(())
}

/// `text` as an SQL string literal: quoted, with each quote doubled.
fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_in_a_path_are_doubled_inside_the_literal() {
        assert_eq!(sql_string("/tmp/backup.db"), "'/tmp/backup.db'");
        assert_eq!(
            sql_string("/tmp/it's'; DROP TABLE leads; --.db"),
            "'/tmp/it''s''; DROP TABLE leads; --.db'"
        );
    }
}
