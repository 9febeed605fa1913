//! What every request handler can reach.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::auth::link_keys::LinkKey;
use crate::auth::sso::Sso;
use crate::auth::throttle::{LoginThrottle, PublicThrottle};
use crate::booking::slots_cache::SlotsCache;
use crate::calendars::readings::ReadPolicy;
use crate::calendars::refresh_locks::RefreshLocks;
use crate::calendars::Calendars;
use crate::clock::Clock;
use crate::config::Settings;
use crate::crm::metrics::CrmMetrics;
use crate::crm::Crm;
use crate::db::Database;
use crate::events::Publisher;
use crate::jobs::heartbeat::WorkerHeartbeat;
use crate::leads::scoring::ScoringRules;
use crate::notifications::ics::Person;
use crate::notifications::messages::Composer;
use crate::notifications::metrics::OutboxMetrics;
use crate::webhooks::metrics::WebhookMetrics;
use crate::webhooks::Webhooks;

pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub login_throttle: LoginThrottle,
    pub public_throttle: PublicThrottle,
    pub scoring_rules: Arc<ScoringRules>,
    pub link_key: LinkKey,
    /// Sender and ORGANIZER of every email, parsed from `email.from`.
    pub organizer: Person,
    /// Wakes the worker when a change has just written emails, instead of at the next poll.
    pub outbox_wakeup: Arc<Notify>,
    pub outbox_metrics: OutboxMetrics,
    pub worker_heartbeat: Arc<WorkerHeartbeat>,
    /// Public slots answers, served again until something they depend on changes.
    pub slots_cache: Arc<SlotsCache>,
    /// Connected calendars: providers, token cipher, HTTP client.
    pub calendars: Arc<Calendars>,
    pub calendar_refresh_locks: RefreshLocks,
    /// Webhook delivery: secret sealing, the shared HTTP client, metrics, wake-ups.
    pub webhooks: Arc<Webhooks>,
    /// CRM sync: the CRM's client, metrics, wake-ups.
    pub crm: Arc<Crm>,
    /// Writes events and hands them to emails, calendar writes, webhooks and CRM sync.
    pub publisher: Publisher,
    /// Sign-in with the company's identity provider, when configured.
    pub sso: Option<Arc<Sso>>,
}

/// What `/metrics` and `/healthz` read about the background work.
pub struct Monitoring {
    pub outbox_metrics: OutboxMetrics,
    pub worker_heartbeat: Arc<WorkerHeartbeat>,
    pub webhook_metrics: WebhookMetrics,
    pub crm_metrics: CrmMetrics,
}

impl AppState {
    pub fn new(
        db: Database,
        settings: Arc<Settings>,
        clock: Arc<dyn Clock>,
        scoring_rules: Arc<ScoringRules>,
        link_key: LinkKey,
        organizer: Person,
        monitoring: Monitoring,
    ) -> Self {
        let Monitoring {
            outbox_metrics,
            worker_heartbeat,
            webhook_metrics,
            crm_metrics,
        } = monitoring;
        let login_throttle = LoginThrottle::new(
            settings.security.login_attempts_per_minute_per_ip,
            settings.security.login_attempts_per_minute_per_account,
        );
        let public_throttle =
            PublicThrottle::new(settings.public.requests_per_minute, settings.public.burst);
        let slots_cache = Arc::new(SlotsCache::new(settings.public.slots_cache_ms));
        let calendars = Arc::new(Calendars::new(&settings));
        let webhooks = Arc::new(Webhooks::new(&settings.webhooks, webhook_metrics));
        let crm = Arc::new(Crm::new(&settings.crm, crm_metrics));
        let publisher = event_publisher(&settings, &organizer, &link_key);
        Self {
            db,
            settings,
            clock,
            login_throttle,
            public_throttle,
            scoring_rules,
            link_key,
            organizer,
            outbox_wakeup: Arc::new(Notify::new()),
            outbox_metrics,
            worker_heartbeat,
            slots_cache,
            calendars,
            calendar_refresh_locks: RefreshLocks::default(),
            webhooks,
            crm,
            publisher,
            sso: None,
        }
    }

    /// Signs people in through the identity provider `sso`, when there is one.
    pub fn with_sso(self, sso: Option<Sso>) -> Self {
        Self {
            sso: sso.map(Arc::new),
            ..self
        }
    }

    /// How availability treats the hosts' connected calendars.
    pub fn read_policy(&self) -> ReadPolicy {
        ReadPolicy::from_settings(&self.calendars)
    }

    /// What composing emails needs, owned, to move into a database task.
    pub fn composer(&self) -> Composer {
        compose_with(&self.settings, &self.organizer, &self.link_key)
    }

    /// Lets the worker know that a change just committed: its emails, webhook deliveries and
    /// CRM pushes go out now rather than at the next poll.
    pub fn changes_committed(&self) {
        self.outbox_wakeup.notify_one();
        self.webhooks.deliveries_queued();
        self.crm.changes_queued();
    }

    pub fn session_idle(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.settings.security.session_idle_minutes)
    }
}

/// The event stream's subscribers, in the order each event reaches them: the one list of
/// everything that follows a change.
pub fn event_publisher(settings: &Settings, organizer: &Person, link_key: &LinkKey) -> Publisher {
    let composer = compose_with(settings, organizer, link_key);
    let mut subscribers: Vec<Arc<dyn crate::events::Subscriber>> = vec![
        Arc::new(crate::notifications::service::EmailNotices { composer }),
        Arc::new(crate::calendars::writes::CalendarWrites),
        Arc::new(crate::webhooks::subscriber::WebhookDeliveries),
    ];
    if settings.crm.enabled() {
        subscribers.push(Arc::new(crate::crm::subscriber::CrmSync {
            provider: settings.crm.provider.as_str(),
        }));
    }
    Publisher::new(subscribers)
}

fn compose_with(settings: &Settings, organizer: &Person, link_key: &LinkKey) -> Composer {
    Composer {
        public_base: settings.server.public_base().to_owned(),
        organizer: organizer.clone(),
        brand: settings.email.brand.clone(),
        link_key: link_key.clone(),
        reminder_offsets_minutes: settings.email.reminder_offsets_minutes.clone(),
        decision_link_hours: settings.workflow.decision_link_hours,
        approval_digest: settings.workflow.approval_digest_minutes > 0,
    }
}
