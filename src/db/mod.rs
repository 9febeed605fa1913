//! All multi-backend plumbing: the connection enum, the pool, embedded migrations per backend,
//! SQLite PRAGMAs, and `Database::run`, which moves blocking diesel work off the async threads.

pub mod backup;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{DatabaseBackend, DatabaseSettings};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// Advisory lock id held while migrating PostgreSQL ("CONVENE" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x0043_4F4E_5645_4E45;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConnection>>;
pub type PooledDb = PooledConnection<ConnectionManager<DbConnection>>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Unavailable(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database task was cancelled")]
    Cancelled,
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl StoreError {
    /// True when the database refused text it cannot hold: PostgreSQL stores no NUL
    /// character. Such text always came from the caller, so it is their error to fix.
    pub fn is_unstorable_text(&self) -> bool {
        matches!(
            self,
            Self::Query(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("invalid byte sequence")
        )
    }

    /// True when the failure is a unique-constraint violation (a duplicate insert).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            Self::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// Connection settings applied each time SQLite hands out a connection: WAL lets readers
/// proceed during a write, the busy timeout makes writers queue instead of failing at once. The
/// timeout comes first because switching a new file to WAL takes a lock that the pool's other
/// new connections must wait for. Memory-mapped reads (up to 1 GiB of the file) spare the
/// reports a system call per page read (docs/benchmarks.md).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(sqlite) = conn {
            sqlite
                .batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                     PRAGMA mmap_size = 1073741824;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// The shared handle to the database pool.
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    backend: Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Database {
    /// Opens the pool for the configured URL, creating the SQLite file's folder when needed.
    pub fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let (manager_url, backend) = match DatabaseBackend::from_url(&settings.url)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
        {
            DatabaseBackend::Sqlite { path } => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                (format!("sqlite://{}", path.display()), Backend::Sqlite)
            }
            DatabaseBackend::Postgres { url } => (url, Backend::Postgres),
        };
        let manager = ConnectionManager::<DbConnection>::new(manager_url.clone());
        let pool = Pool::builder()
            .max_size(settings.pool_size)
            .connection_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)
            .map_err(|pooled| why_unreachable(backend, &manager_url, pooled))?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration of this backend.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.pool.get()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConnection::Postgres(c) => {
                // Instances starting together take turns; the later ones find nothing pending.
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
                let applied = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.len());
                c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
                applied
            }
        };
        applied.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|_| StoreError::Cancelled)?
    }

    /// Synchronous access for the CLI, which has no request to keep responsive.
    pub fn connection(&self) -> Result<PooledDb, StoreError> {
        Ok(self.pool.get()?)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run(|conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }
}

/// The pool hides why its connections failed behind a generic message; one direct attempt
/// brings back the driver's own words (wrong password, no such host, TLS refused), said with
/// the setting to change. The URL itself is not repeated: it may hold a password.
fn why_unreachable(backend: Backend, url: &str, pooled: diesel::r2d2::PoolError) -> StoreError {
    let reason = match backend {
        Backend::Postgres => <PgConnection as diesel::Connection>::establish(url)
            .err()
            .map_or_else(|| pooled.to_string(), |e| e.to_string()),
        Backend::Sqlite => <SqliteConnection as diesel::Connection>::establish(url)
            .err()
            .map_or_else(|| pooled.to_string(), |e| e.to_string()),
    };
    StoreError::Unavailable(format!(
        "cannot connect to the database named by `database.url` (CONVENE__DATABASE__URL or \
         --database-url): {}",
        reason.trim()
    ))
}

/// Runs `work` in one transaction; SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so
/// a read-then-write transaction queues on the busy timeout instead of failing on upgrade.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    use diesel::Connection;
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    // Inside a transaction already (which holds the lock), this one nests as a savepoint.
    if AnsiTransactionManager::transaction_manager_status_mut(sqlite)
        .transaction_depth()
        .ok()
        .flatten()
        .is_some()
    {
        return conn.transaction(work);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let outcome = work(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        unreachable!("the connection's backend cannot change during a transaction")
    };
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(error) => {
            AnsiTransactionManager::rollback_transaction(sqlite)?;
            Err(error)
        }
    }
}

/// Runs a PostgreSQL claim: `sql` locks due rows with `FOR UPDATE SKIP LOCKED`, leases them to
/// `$1` (the worker) until `$2`, counts the attempt, and returns their ids; `$3` is now and `$4`
/// the most rows to take. The email outbox and webhook deliveries claim this way.
pub fn claim_ids(
    pg: &mut PgConnection,
    sql: &str,
    worker: &str,
    until: chrono::NaiveDateTime,
    now: chrono::NaiveDateTime,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct ClaimedId {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    use diesel::RunQueryDsl;
    Ok(diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(worker)
        .bind::<diesel::sql_types::Timestamp, _>(until)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load::<ClaimedId>(pg)?
        .into_iter()
        .map(|row| row.id)
        .collect())
}
