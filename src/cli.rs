//! The `convene` command line and its non-serve subcommands.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};

use crate::audit::Actor;
use crate::auth::api_keys;
use crate::auth::passwords::hash_password;
use crate::auth::roles::Role;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::{backup, Database};
use crate::demo::{self, DemoSummary};
use crate::leads::import::{self, ImportSettings, ImportSummary};
use crate::startup::Application;
use crate::users::model::CreateUserRequest;
use crate::users::repo;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Parser)]
#[command(
    name = "convene",
    version,
    about = "Meeting automation: qualified leads to booked, approved meetings"
)]
pub struct Cli {
    /// Folder holding default.toml and <env>.toml.
    #[arg(long, global = true, default_value = "config")]
    pub config: PathBuf,
    /// Database URL (sqlite://PATH or postgres://…); overrides the configuration.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server and the background worker.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Work with leads.
    #[command(subcommand)]
    Leads(LeadsCommand),
    /// Load a realistic demo data set: hosts, leads, six months of meetings with outcomes,
    /// opportunities and surveys, and people who can sign in (it prints their emails and the
    /// password it made, or the one given). Running it again changes nothing.
    Demo {
        /// Read the personas' password from standard input (first line) instead of making one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Work with hosts' calendar connections.
    #[command(subcommand)]
    Calendars(CalendarsCommand),
    /// Write a consistent copy of the SQLite database to FILE while the server keeps serving.
    /// FILE must not exist; its folder is created. For PostgreSQL use pg_dump
    /// (docs/operations.md).
    Backup {
        /// Where to write the copy.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarsCommand {
    /// Seal every stored calendar token again under `calendars.token_key`, after a key
    /// rotation; the keys in `previous_token_keys` can then be removed.
    Reseal,
}

#[derive(Debug, Subcommand)]
pub enum LeadsCommand {
    /// Import leads from a CSV file (header row of lead fields), with a progress bar.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; with --password-stdin they can sign in to the admin UI.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, meeting_manager, marketer or host.
        #[arg(long)]
        role: String,
        /// IANA time zone, e.g. Europe/Berlin.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        #[arg(long)]
        title: Option<String>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print it once, alone on its line.
    Create {
        #[arg(long)]
        name: String,
        /// admin, meeting_manager, marketer or host.
        #[arg(long)]
        role: String,
    },
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve => {
            Application::build(settings, clock)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate => {
            let db = Database::connect(&settings.database)?;
            let applied = tokio::task::spawn_blocking(move || db.migrate()).await??;
            eprintln!("migrations applied: {applied}");
            Ok(())
        }
        Command::User(UserCommand::Create {
            email,
            name,
            role,
            timezone,
            title,
            password_stdin,
        }) => {
            let request = CreateUserRequest {
                email,
                name,
                role,
                title,
                timezone: Some(timezone),
                working_hours: None,
            };
            let new_user = request.parse().map_err(|errors| {
                anyhow::anyhow!("{}", errors.lines(|field| format!("--{field}")).join("; "))
            })?;
            let password_hash = if password_stdin {
                Some(hash_password(&read_password()?)?)
            } else {
                None
            };
            let db = migrated(&settings).await?;
            let now = clock.now();
            let user = tokio::task::spawn_blocking(move || {
                let mut conn = db.connection()?;
                repo::insert(&mut conn, &new_user, password_hash, &Actor::System, now)
                    .map_err(anyhow::Error::from)
            })
            .await??;
            println!("{}", user.id);
            eprintln!("created {} ({}) as {}", user.email, user.name, user.role);
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Create { name, role }) => {
            let role: Role = role
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--role {e}"))?;
            let name = crate::values::required_text(&name, 200)
                .map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let db = migrated(&settings).await?;
            let now = clock.now();
            let issued = tokio::task::spawn_blocking(move || {
                let mut conn = db.connection()?;
                api_keys::create(&mut conn, &name, role, now).map_err(anyhow::Error::from)
            })
            .await??;
            println!("{}", issued.secret.expose_secret());
            eprintln!(
                "API key {} created with role {role}; it is shown only once",
                issued.id
            );
            Ok(())
        }
        Command::Leads(LeadsCommand::Import { file }) => {
            import_leads(&settings, &file, clock).await
        }
        Command::Demo { password_stdin } => load_demo(&settings, clock, password_stdin).await,
        Command::Calendars(CalendarsCommand::Reseal) => {
            let cipher = crate::calendars::crypto::TokenCipher::from_keys(
                &settings.calendars.token_key,
                &settings.calendars.previous_token_keys,
            )
            .map_err(|reason| anyhow::anyhow!("calendars.token_key {reason}"))?;
            let db = migrated(&settings).await?;
            let summary = tokio::task::spawn_blocking(move || {
                let mut conn = db.connection()?;
                crate::calendars::service::reseal_all(&mut conn, &cipher)
            })
            .await??;
            eprintln!(
                "resealed {} of {} calendar connections",
                summary.resealed, summary.connections
            );
            Ok(())
        }
        Command::Backup { file } => {
            let url = settings.database.url.clone();
            let target = file.clone();
            let bytes =
                tokio::task::spawn_blocking(move || backup::sqlite_backup(&url, &target)).await??;
            eprintln!(
                "backed up the database to {} ({bytes} bytes)",
                file.display()
            );
            Ok(())
        }
    }
}

async fn load_demo(
    settings: &Settings,
    clock: Arc<dyn Clock>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let rules = settings.leads.load_scoring_rules()?;
    let db = migrated(settings).await?;
    let now = clock.now();
    let password = if password_stdin {
        read_password()?
    } else {
        // 120 random bits, easy to copy: letters, digits, '-' and '_'.
        SecretString::from(crate::auth::tokens::secret_token()[..20].to_owned())
    };
    let password_hash = hash_password(&password)?;
    let summary = tokio::task::spawn_blocking(move || -> anyhow::Result<DemoSummary> {
        let bar = ProgressBar::new(demo::steps()).with_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:40}] {pos}/{len} leads and meetings ({eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let mut conn = db.connection()?;
        let summary = demo::load(&mut conn, &rules, now, Some(&password_hash), &|steps| {
            bar.inc(steps)
        })?;
        bar.finish_and_clear();
        Ok(summary)
    })
    .await??;
    if summary.already_loaded {
        println!("demo data is already loaded; nothing changed (passwords included)");
        return Ok(());
    }
    println!(
        "loaded {} leads and {} meetings with outcomes, opportunities and survey answers",
        summary.leads, summary.meetings
    );
    println!(
        "\nSign in at {}/admin as any of them, with the password {}",
        settings.server.public_base(),
        if password_stdin {
            "you gave".to_owned()
        } else {
            password.expose_secret().to_owned()
        }
    );
    for (name, email, role) in &summary.personas {
        println!("  {email:<40} {name} ({role})");
    }
    Ok(())
}

async fn import_leads(
    settings: &Settings,
    path: &std::path::Path,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let rules = settings.leads.load_scoring_rules()?;
    let batch_size = settings.leads.import_batch_size;
    let db = migrated(settings).await?;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let started = clock.now();
    let link_key = db
        .run(move |conn| crate::auth::link_keys::LinkKey::load_or_create(conn, started))
        .await?;
    let from = settings.email.from_mailbox()?;
    let organizer = crate::notifications::ics::Person {
        name: from.name.clone().unwrap_or_default(),
        email: from.email.to_string(),
    };
    let publisher = crate::state::event_publisher(settings, &organizer, &link_key);
    let summary = tokio::task::spawn_blocking(move || -> anyhow::Result<ImportSummary> {
        let bar = ProgressBar::new(size).with_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:40}] {bytes}/{total_bytes} {msg} ({eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let mut conn = db.connection()?;
        let now = move || clock.now();
        let settings = ImportSettings {
            rules: &rules,
            actor: &Actor::System,
            publisher: &publisher,
            batch_size,
            now: &now,
        };
        let summary = import::import(&mut conn, bar.wrap_read(file), &settings, |so_far| {
            bar.set_message(format!(
                "{} created, {} updated, {} rejected",
                so_far.created, so_far.updated, so_far.rejected_count
            ));
        })?;
        bar.finish_and_clear();
        Ok(summary)
    })
    .await??;
    for row in &summary.rejected {
        let reasons = row.errors.lines(str::to_owned).join("; ");
        eprintln!("line {}: {reasons}", row.line);
    }
    if summary.rejected_count > summary.rejected.len() {
        eprintln!(
            "… and {} more rejected rows",
            summary.rejected_count - summary.rejected.len()
        );
    }
    println!(
        "created {}, updated {}, rejected {}",
        summary.created, summary.updated, summary.rejected_count
    );
    Ok(())
}

async fn migrated(settings: &Settings) -> anyhow::Result<Database> {
    let db = Database::connect(&settings.database)?;
    let migrator = db.clone();
    tokio::task::spawn_blocking(move || migrator.migrate()).await??;
    Ok(db)
}

fn read_password() -> anyhow::Result<SecretString> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the password from stdin")?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    Ok(SecretString::from(password))
}
