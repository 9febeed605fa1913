//! Settings: built-in defaults, then `config/default.toml`, `config/<env>.toml`, then
//! `CONVENE__SECTION__KEY` environment variables, validated once at start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

const BUILT_IN_DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration value for `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub security: SecuritySettings,
    pub log: LogSettings,
    pub worker: WorkerSettings,
    pub events: EventSettings,
    pub leads: LeadSettings,
    pub public: PublicSettings,
    pub booking: BookingSettings,
    pub email: EmailSettings,
    pub workflow: WorkflowSettings,
    pub routers: RouterSettings,
    pub google: ProviderSettings,
    pub microsoft: ProviderSettings,
    pub calendars: CalendarSettings,
    pub webhooks: WebhookSettings,
    pub sso: SsoSettings,
    pub crm: CrmSettings,
}

/// Which CRM Convene keeps in step, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CrmProviderName {
    #[serde(rename = "")]
    Off,
    #[serde(rename = "hubspot")]
    Hubspot,
    #[serde(rename = "salesforce")]
    Salesforce,
}

impl CrmProviderName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "",
            Self::Hubspot => "hubspot",
            Self::Salesforce => "salesforce",
        }
    }
}

/// CRM sync: what is pushed where, how often it is retried, and the owners pulled back.
#[derive(Debug, Clone, Deserialize)]
pub struct CrmSettings {
    pub provider: CrmProviderName,
    /// Attempts per change before it is parked.
    pub max_attempts: u32,
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    /// How long an instance owns the changes it claimed.
    pub lease_secs: u64,
    /// How long one call to the CRM may take.
    pub timeout_secs: u64,
    pub owner_refresh_minutes: u32,
    /// Convene opportunity stage → the CRM's stage; missing stages keep the provider default.
    pub stage_map: std::collections::BTreeMap<String, String>,
    pub hubspot: HubspotSettings,
    pub salesforce: SalesforceSettings,
}

impl CrmSettings {
    pub fn enabled(&self) -> bool {
        self.provider != CrmProviderName::Off
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct HubspotSettings {
    /// A private app's access token.
    pub token: secrecy::SecretString,
    pub api_base: String,
    /// The deal pipeline deals are created in.
    pub pipeline: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SalesforceSettings {
    pub client_id: String,
    pub client_secret: secrecy::SecretString,
    pub token_url: String,
    /// Used when the token answer names no instance.
    pub instance_url: String,
    pub api_version: String,
}

/// Sign-in with the company's OpenID Connect provider; off while `issuer` is empty.
#[derive(Debug, Clone, Deserialize)]
pub struct SsoSettings {
    /// The provider's issuer URL, exactly as its discovery document names it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: secrecy::SecretString,
    /// The provider's name on the sign-in button ("Sign in with {display_name}").
    pub display_name: String,
    /// Email domains whose people may sign in; an account elsewhere is refused.
    pub allowed_domains: Vec<String>,
    /// The role of a person whose role claim maps to none.
    pub default_role: crate::auth::roles::Role,
    /// The ID token claim (a string or a list of strings) the role is read from.
    pub role_claim: String,
    /// Claim value → role; values are compared without regard to case.
    pub role_map: std::collections::BTreeMap<String, crate::auth::roles::Role>,
    /// The boolean claim that says the provider has verified the email address:
    /// `email_verified` as OpenID Connect defines it, or a provider's own (Entra ID: `xms_edov`).
    pub email_verified_claim: String,
    /// Password sign-in off: only the provider's button remains.
    pub only: bool,
    /// Scopes asked for; `openid` is always sent.
    pub scopes: Vec<String>,
    /// How far the provider's clock may be off from ours when `exp` and `iat` are checked.
    pub clock_skew_secs: u64,
}

impl SsoSettings {
    pub fn configured(&self) -> bool {
        !self.issuer.trim().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    /// Lets subscriptions use `http` and destinations on loopback, private or link-local
    /// addresses: for tests and local set-ups, never on a server that reaches an internal
    /// network.
    pub allow_private_destinations: bool,
    /// AES-256-GCM key sealing signing secrets at rest (32 bytes, base64). Empty: a key
    /// Convene creates and keeps in the database.
    pub secret_key: secrecy::SecretString,
    /// Earlier keys, which still open secrets sealed before a key rotation.
    pub previous_secret_keys: Vec<secrecy::SecretString>,
    /// Deliveries in flight at once on one instance.
    pub max_in_flight: u32,
    /// How long an instance owns the deliveries it claimed; past it another may take them.
    pub lease_secs: u64,
}

/// One calendar provider's OAuth client and endpoints.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderSettings {
    pub client_id: String,
    pub client_secret: secrecy::SecretString,
    /// Microsoft only: substituted for `{tenant}` in the two OAuth URLs.
    #[serde(default)]
    pub tenant: String,
    pub auth_url: String,
    pub token_url: String,
    /// Google only: where tokens are revoked on disconnect.
    #[serde(default)]
    pub revoke_url: String,
    pub api_base: String,
}

impl ProviderSettings {
    /// Connecting is offered once the OAuth client is set up.
    pub fn configured(&self) -> bool {
        use secrecy::ExposeSecret;
        !self.client_id.trim().is_empty() && !self.client_secret.expose_secret().is_empty()
    }

    pub fn auth_url(&self) -> String {
        self.auth_url.replace("{tenant}", &self.tenant)
    }

    pub fn token_url(&self) -> String {
        self.token_url.replace("{tenant}", &self.tenant)
    }

    pub fn api_base(&self) -> &str {
        self.api_base.trim_end_matches('/')
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnreadableCalendar {
    /// The host counts as busy: never offered on a guess.
    Busy,
    /// The host is offered on Convene's own data and the answer says it is partial.
    ConveneOnly,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CalendarSettings {
    pub token_key: secrecy::SecretString,
    pub previous_token_keys: Vec<secrecy::SecretString>,
    pub freebusy_ttl_secs: u64,
    pub freebusy_timeout_ms: u64,
    pub freebusy_days: u32,
    pub on_unreadable: UnreadableCalendar,
    pub tentative_is_busy: bool,
    pub microsoft_event_attendees: bool,
    pub sync_max_attempts: u32,
    pub sync_retry_base_secs: u64,
    pub sync_retry_max_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RouterSettings {
    /// A routed lead that has not booked this long after its decision gets one email with its
    /// booking link.
    pub follow_up_after_minutes: u32,
    /// How long a routed lead's booking link works.
    pub link_valid_days: u32,
    /// Whether meetings given to an account's owner count toward the owner's round-robin share.
    pub ledger_counts_owner_routed: bool,
    /// Whether meetings the prospect did not turn up to count toward the host's share.
    pub ledger_counts_no_shows: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowSettings {
    /// A pending request older than this is overdue: its badge turns red and the escalation
    /// email goes out.
    pub approval_sla_hours: u32,
    /// Who hears of overdue requests; the admins when empty.
    pub escalation_email: String,
    /// A held slot waiting longer than this for approval is released and its request expires.
    pub hold_expiry_hours: u32,
    /// An approved request that was never scheduled expires after this many days.
    pub approved_expiry_days: u32,
    /// How long the approve and reject links in approval emails work.
    pub decision_link_hours: u32,
    /// 0 emails the managers about each pending request as it arrives; otherwise they get one
    /// digest of the queue at most this often, when something new waits.
    pub approval_digest_minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransportKind {
    /// `.eml` files in `email.file_dir`: works offline, and each file opens in a mail client.
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: String,
    pub password: secrecy::SecretString,
    pub timeout_secs: u64,
    /// SMTP connections kept open and used at once.
    pub pool_size: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BrandSettings {
    pub company_name: String,
    pub logo_url: String,
    pub primary_color: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    pub transport: EmailTransportKind,
    /// The sender, `Name <address>`; also the ORGANIZER of every invite.
    pub from: String,
    pub file_dir: PathBuf,
    pub smtp: SmtpSettings,
    /// Reminders go this many minutes before a meeting starts.
    pub reminder_offsets_minutes: Vec<u32>,
    /// Sending attempts before an email is marked failed.
    pub max_attempts: u32,
    /// The first retry waits this long; each later one twice as long (with jitter), capped.
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    /// How long a worker owns the emails it claimed; past it another worker may take them.
    pub lease_secs: u64,
    /// Emails claimed per round.
    pub batch_size: u32,
    pub brand: BrandSettings,
}

impl EmailSettings {
    pub fn from_mailbox(&self) -> Result<lettre::message::Mailbox, ConfigError> {
        self.from
            .parse()
            .map_err(|e| invalid("email.from", &format!("`{}`: {e}", self.from)))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PublicSettings {
    /// Requests per minute per client IP on booking and manage pages; 0 turns the limit off.
    pub requests_per_minute: u32,
    pub burst: u32,
    /// How long a slots answer may be served from memory while nothing it depends on changed,
    /// in milliseconds; it bounds how late minimum notice and the booking horizon catch up with
    /// the clock. 0 turns the cache off.
    pub slots_cache_ms: u64,
    /// Origins (`https://www.example.com`) whose pages may frame the embeddable booking pages.
    pub embed_origins: Vec<String>,
}

/// Abuse limits of public booking, on top of the per-IP request limit.
#[derive(Debug, Clone, Deserialize)]
pub struct BookingSettings {
    /// Live bookings (upcoming, scheduled or awaiting approval) one email address may hold
    /// across all booking links; 0 turns the limit off.
    pub max_live_bookings_per_email: u32,
    /// Live bookings one email address may hold through one booking link; 0 turns it off.
    pub max_live_bookings_per_email_per_link: u32,
}

impl BookingSettings {
    pub fn live_booking_limits(&self) -> crate::booking::rules::LiveBookingLimits {
        crate::booking::rules::LiveBookingLimits {
            per_email: self.max_live_bookings_per_email,
            per_email_per_link: self.max_live_bookings_per_email_per_link,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub public_url: String,
    pub max_body_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub workers: usize,
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecuritySettings {
    pub session_idle_minutes: i64,
    pub login_attempts_per_minute_per_ip: u32,
    pub login_attempts_per_minute_per_account: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LeadSettings {
    pub scoring_rules: PathBuf,
    pub import_batch_size: usize,
    pub import_max_bytes: usize,
}

impl LeadSettings {
    /// The scoring rules: the configured file when it exists, else the shipped defaults.
    pub fn load_scoring_rules(&self) -> Result<crate::leads::scoring::ScoringRules, ConfigError> {
        match std::fs::read_to_string(&self.scoring_rules) {
            Ok(text) => crate::leads::scoring::ScoringRules::from_toml(&text).map_err(|e| {
                ConfigError::Invalid {
                    key: "leads.scoring_rules",
                    reason: format!("{}: {e}", self.scoring_rules.display()),
                }
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
            Err(e) => Err(invalid(
                "leads.scoring_rules",
                &format!("{}: {e}", self.scoring_rules.display()),
            )),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkerSettings {
    /// Whether this instance runs the background worker; off, it only serves HTTP.
    pub enabled: bool,
    pub poll_ms: u64,
    /// `/healthz` answers 503 when the worker has completed no round for this long.
    pub stalled_after_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventSettings {
    /// Events older than this many days are forgotten.
    pub retention_days: u32,
}

impl Settings {
    /// Loads the layered settings from `config_dir`; `database_url` (the CLI flag) wins over all.
    pub fn load(config_dir: &Path, database_url: Option<&str>) -> Result<Self, ConfigError> {
        let environment = std::env::var("CONVENE_ENV").unwrap_or_else(|_| "development".into());
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(
                BUILT_IN_DEFAULTS,
                config::FileFormat::Toml,
            ))
            .add_source(config::File::from(config_dir.join("default.toml")).required(false))
            .add_source(
                config::File::from(config_dir.join(format!("{environment}.toml"))).required(false),
            )
            .add_source(
                config::Environment::with_prefix("CONVENE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    // Only these keys are lists; a comma anywhere else stays part of the value.
                    .list_separator(",")
                    .with_list_parse_key("email.reminder_offsets_minutes")
                    .with_list_parse_key("calendars.previous_token_keys")
                    .with_list_parse_key("webhooks.previous_secret_keys")
                    .with_list_parse_key("sso.allowed_domains")
                    .with_list_parse_key("sso.scopes")
                    .with_list_parse_key("public.embed_origins"),
            );
        if let Some(url) = database_url {
            builder = builder.set_override("database.url", url)?;
        }
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.server.bind_address()?;
        self.server.public_url()?;
        DatabaseBackend::from_url(&self.database.url)?;
        if self.database.pool_size == 0 {
            return Err(invalid("database.pool_size", "must be at least 1"));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(invalid("server.max_body_bytes", "must be at least 1024"));
        }
        if self.security.session_idle_minutes <= 0 {
            return Err(invalid("security.session_idle_minutes", "must be positive"));
        }
        if self.security.login_attempts_per_minute_per_ip == 0
            || self.security.login_attempts_per_minute_per_account == 0
        {
            return Err(invalid(
                "security.login_attempts_per_minute_per_ip",
                "login limits must be at least 1",
            ));
        }
        if self.leads.import_batch_size == 0 {
            return Err(invalid("leads.import_batch_size", "must be at least 1"));
        }
        self.email.from_mailbox()?;
        let workflow = &self.workflow;
        for (key, value) in [
            ("workflow.approval_sla_hours", workflow.approval_sla_hours),
            ("workflow.hold_expiry_hours", workflow.hold_expiry_hours),
            (
                "workflow.approved_expiry_days",
                workflow.approved_expiry_days,
            ),
            ("workflow.decision_link_hours", workflow.decision_link_hours),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if self.email.max_attempts == 0 {
            return Err(invalid("email.max_attempts", "must be at least 1"));
        }
        if self.email.batch_size == 0 {
            return Err(invalid("email.batch_size", "must be at least 1"));
        }
        if self.email.smtp.pool_size == 0 {
            return Err(invalid("email.smtp.pool_size", "must be at least 1"));
        }
        if self.email.lease_secs < 5 {
            return Err(invalid("email.lease_secs", "must be at least 5"));
        }
        if self.email.reminder_offsets_minutes.contains(&0) {
            return Err(invalid(
                "email.reminder_offsets_minutes",
                "offsets must be at least one minute",
            ));
        }
        self.validate_calendars()?;
        self.validate_webhooks()?;
        self.validate_sso()?;
        for origin in &self.public.embed_origins {
            parse_origin(origin).map_err(|reason| {
                invalid("public.embed_origins", &format!("`{origin}`: {reason}"))
            })?;
        }
        self.validate_crm()?;
        if self.worker.poll_ms == 0 {
            return Err(invalid("worker.poll_ms", "must be at least 1"));
        }
        if self.events.retention_days < 30 {
            return Err(invalid(
                "events.retention_days",
                "must be at least 30: integrations catching up after an outage read a month back",
            ));
        }
        if self.worker.stalled_after_secs.saturating_mul(1000) <= self.worker.poll_ms {
            return Err(invalid(
                "worker.stalled_after_secs",
                "must be longer than one poll interval (worker.poll_ms)",
            ));
        }
        Ok(())
    }
}

impl Settings {
    fn validate_calendars(&self) -> Result<(), ConfigError> {
        for (key, provider) in [
            ("google.auth_url", &self.google),
            ("microsoft.auth_url", &self.microsoft),
        ] {
            if !provider.configured() {
                continue;
            }
            for url in [provider.auth_url(), provider.token_url()] {
                Url::parse(&url).map_err(|e| invalid(key, &format!("`{url}`: {e}")))?;
            }
            Url::parse(provider.api_base())
                .map_err(|e| invalid(key, &format!("`{}`: {e}", provider.api_base)))?;
        }
        if self.google.configured() || self.microsoft.configured() {
            crate::calendars::crypto::TokenCipher::from_keys(
                &self.calendars.token_key,
                &self.calendars.previous_token_keys,
            )
            .map_err(|reason| invalid("calendars.token_key", &reason))?;
        }
        let calendars = &self.calendars;
        if calendars.freebusy_days == 0 || calendars.freebusy_days > 62 {
            return Err(invalid(
                "calendars.freebusy_days",
                "must be between 1 and 62 (the providers' longest free/busy span)",
            ));
        }
        if calendars.freebusy_timeout_ms == 0 || calendars.sync_max_attempts == 0 {
            return Err(invalid(
                "calendars.freebusy_timeout_ms",
                "timeouts and attempts must be at least 1",
            ));
        }
        Ok(())
    }
}

impl Settings {
    fn validate_webhooks(&self) -> Result<(), ConfigError> {
        let webhooks = &self.webhooks;
        if !secrecy::ExposeSecret::expose_secret(&webhooks.secret_key)
            .trim()
            .is_empty()
        {
            crate::calendars::crypto::TokenCipher::from_keys(
                &webhooks.secret_key,
                &webhooks.previous_secret_keys,
            )
            .map_err(|reason| invalid("webhooks.secret_key", &reason))?;
        }
        if webhooks.max_in_flight == 0 {
            return Err(invalid("webhooks.max_in_flight", "must be at least 1"));
        }
        // A lease shorter than one attempt (10 s) could let a second instance repeat it.
        if webhooks.lease_secs < 30 {
            return Err(invalid("webhooks.lease_secs", "must be at least 30"));
        }
        Ok(())
    }
}

impl Settings {
    fn validate_sso(&self) -> Result<(), ConfigError> {
        let sso = &self.sso;
        if !sso.configured() {
            if sso.only {
                return Err(invalid(
                    "sso.only",
                    "password sign-in can only be turned off once sso.issuer is set",
                ));
            }
            return Ok(());
        }
        let issuer = Url::parse(sso.issuer.trim())
            .map_err(|e| invalid("sso.issuer", &format!("`{}`: {e}", sso.issuer)))?;
        if !matches!(issuer.scheme(), "http" | "https") {
            return Err(invalid("sso.issuer", "must be an http or https URL"));
        }
        if sso.client_id.trim().is_empty() {
            return Err(invalid(
                "sso.client_id",
                "is required once sso.issuer is set",
            ));
        }
        if secrecy::ExposeSecret::expose_secret(&sso.client_secret).is_empty() {
            return Err(invalid(
                "sso.client_secret",
                "is required once sso.issuer is set",
            ));
        }
        crate::values::required_text(&sso.display_name, 60)
            .map_err(|reason| invalid("sso.display_name", &reason))?;
        // Shared issuers (Google's serves every Google account) would otherwise let anyone in.
        if sso.allowed_domains.iter().all(|d| d.trim().is_empty()) {
            return Err(invalid(
                "sso.allowed_domains",
                "name at least one email domain whose people may sign in",
            ));
        }
        if sso.clock_skew_secs > 300 {
            return Err(invalid("sso.clock_skew_secs", "must be at most 300"));
        }
        Ok(())
    }
}

impl ServerSettings {
    pub fn bind_address(&self) -> Result<SocketAddr, ConfigError> {
        self.bind
            .parse()
            .map_err(|e| invalid("server.bind", &format!("`{}`: {e}", self.bind)))
    }

    pub fn public_url(&self) -> Result<Url, ConfigError> {
        let url = Url::parse(&self.public_url)
            .map_err(|e| invalid("server.public_url", &format!("`{}`: {e}", self.public_url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("server.public_url", "must be an http or https URL"));
        }
        Ok(url)
    }

    /// Cookies are marked `Secure` exactly when people reach Convene over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The public URL without a trailing slash, ready to have paths appended.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }
}

/// Which database a URL names; the scheme decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseBackend {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl DatabaseBackend {
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(invalid("database.url", "sqlite:// needs a file path"));
            }
            Ok(Self::Sqlite {
                path: PathBuf::from(path),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres {
                url: url.to_owned(),
            })
        } else {
            Err(invalid(
                "database.url",
                "must start with sqlite:// or postgres:// (postgresql://)",
            ))
        }
    }
}

/// The origin `raw` names (`https://www.example.com`, a port when not the scheme's own),
/// refusing anything with a path, query, credentials or a scheme other than http(s).
pub fn parse_origin(raw: &str) -> Result<String, String> {
    let url = Url::parse(raw.trim()).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must start with https:// or http://".into());
    }
    if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err("must name a host and nothing else".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err("must be an origin: scheme, host and port, without a path".into());
    }
    Ok(url.origin().ascii_serialization())
}

impl Settings {
    fn validate_crm(&self) -> Result<(), ConfigError> {
        use secrecy::ExposeSecret;
        let crm = &self.crm;
        if crm.max_attempts == 0 {
            return Err(invalid("crm.max_attempts", "must be at least 1"));
        }
        if crm.retry_base_secs == 0 || crm.retry_max_secs < crm.retry_base_secs {
            return Err(invalid(
                "crm.retry_base_secs",
                "must be at least 1 and at most crm.retry_max_secs",
            ));
        }
        // A lease shorter than a few calls could let a second instance push the same change.
        if crm.lease_secs < 3 * crm.timeout_secs.max(1) {
            return Err(invalid(
                "crm.lease_secs",
                "must be at least three times crm.timeout_secs",
            ));
        }
        let url = |key: &'static str, value: &str| {
            Url::parse(value)
                .map(|_| ())
                .map_err(|e| invalid(key, &format!("not a URL: {e}")))
        };
        match crm.provider {
            CrmProviderName::Off => {}
            CrmProviderName::Hubspot => {
                if crm.hubspot.token.expose_secret().trim().is_empty() {
                    return Err(invalid("crm.hubspot.token", "is needed for HubSpot"));
                }
                url("crm.hubspot.api_base", &crm.hubspot.api_base)?;
            }
            CrmProviderName::Salesforce => {
                let salesforce = &crm.salesforce;
                if salesforce.client_id.trim().is_empty()
                    || salesforce.client_secret.expose_secret().trim().is_empty()
                {
                    return Err(invalid(
                        "crm.salesforce.client_id",
                        "client_id and client_secret are needed for Salesforce",
                    ));
                }
                url("crm.salesforce.token_url", &salesforce.token_url)?;
                if !salesforce.instance_url.is_empty() {
                    url("crm.salesforce.instance_url", &salesforce.instance_url)?;
                }
                if !salesforce.api_version.starts_with('v') {
                    return Err(invalid("crm.salesforce.api_version", "looks like v60.0"));
                }
            }
        }
        Ok(())
    }
}

fn invalid(key: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_load_without_any_config_dir() {
        let settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
        assert_eq!(settings.server.bind, "127.0.0.1:8080");
        assert_eq!(settings.database.url, "sqlite://data/convene.db");
        assert!(!settings.server.secure_cookies());
    }

    #[test]
    fn cli_database_url_wins() {
        let settings = Settings::load(Path::new("/nonexistent"), Some("postgres://x@y/z")).unwrap();
        assert_eq!(
            DatabaseBackend::from_url(&settings.database.url).unwrap(),
            DatabaseBackend::Postgres {
                url: "postgres://x@y/z".into()
            }
        );
    }

    #[test]
    fn unknown_database_scheme_names_the_key() {
        let error = Settings::load(Path::new("/nonexistent"), Some("mysql://x")).unwrap_err();
        assert!(error.to_string().contains("database.url"), "{error}");
    }

    #[test]
    fn origins_are_normalised_and_paths_refused() {
        assert_eq!(
            parse_origin("https://WWW.Example.com").unwrap(),
            "https://www.example.com"
        );
        assert_eq!(
            parse_origin("http://localhost:8080/").unwrap(),
            "http://localhost:8080"
        );
        assert_eq!(
            parse_origin("https://example.com:443").unwrap(),
            "https://example.com"
        );
        for bad in [
            "example.com",
            "https://example.com/page",
            "https://example.com?x=1",
            "ftp://example.com",
            "https://user@example.com",
            "*",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn embed_origins_must_be_origins() {
        let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
        settings.public.embed_origins = vec!["https://www.customer.example".into()];
        assert!(settings.validate().is_ok());
        settings.public.embed_origins = vec!["https://www.customer.example/contact".into()];
        let error = settings.validate().unwrap_err().to_string();
        assert!(
            error.contains("public.embed_origins") && error.contains("without a path"),
            "{error}"
        );
    }

    fn with_sso() -> Settings {
        let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
        settings.sso.issuer = "https://sso.example.com/realms/acme".into();
        settings.sso.client_id = "convene".into();
        settings.sso.client_secret = "s3cret-value".into();
        settings.sso.allowed_domains = vec!["example.com".into()];
        settings
    }

    #[test]
    fn sso_needs_its_client_and_an_allowed_domain_and_keeps_its_secret() {
        assert!(with_sso().validate().is_ok());
        assert!(!format!("{:?}", with_sso()).contains("s3cret-value"));
        let mut open_to_all = with_sso();
        open_to_all.sso.allowed_domains = vec![" ".into()];
        let error = open_to_all.validate().unwrap_err().to_string();
        assert!(error.contains("sso.allowed_domains"), "{error}");
        let mut no_secret = with_sso();
        no_secret.sso.client_secret = "".into();
        let error = no_secret.validate().unwrap_err().to_string();
        assert!(error.contains("sso.client_secret"), "{error}");
        let mut hostile_name = with_sso();
        hostile_name.sso.display_name = "Acme\u{202E}DI".into();
        let error = hostile_name.validate().unwrap_err().to_string();
        assert!(error.contains("sso.display_name"), "{error}");
    }

    #[test]
    fn sso_lists_and_role_map_come_from_the_environment() {
        // Only this test sets SSO variables; other tests reading settings ignore the sso keys.
        std::env::set_var("CONVENE__SSO__ALLOWED_DOMAINS", "example.com,example.org");
        std::env::set_var("CONVENE__SSO__ROLE_MAP__CONVENE-ADMINS", "admin");
        let settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
        assert_eq!(settings.sso.allowed_domains, ["example.com", "example.org"]);
        assert_eq!(
            settings.sso.role_map.get("convene-admins"),
            Some(&crate::auth::roles::Role::Admin)
        );
    }

    #[test]
    fn password_sign_in_stays_on_without_a_provider() {
        let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
        assert!(!settings.sso.configured());
        settings.sso.only = true;
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("sso.only"), "{error}");
    }

    #[test]
    fn sqlite_url_keeps_relative_path() {
        assert_eq!(
            DatabaseBackend::from_url("sqlite://data/convene.db").unwrap(),
            DatabaseBackend::Sqlite {
                path: PathBuf::from("data/convene.db")
            }
        );
    }
}
