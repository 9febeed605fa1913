//! CRM sync with HubSpot or Salesforce: leads, meetings, outcomes and survey answers pushed
//! from the event stream (queued in each change's transaction, pushed by the worker), and the
//! owners of people and company domains pulled back for routers that prefer the owner.

pub mod error;
pub mod hubspot;
pub mod metrics;
pub mod model;
pub mod owners;
pub mod pages;
pub mod provider;
pub mod push;
pub mod repo;
pub mod routes;
pub mod salesforce;
pub mod service;
pub mod status;
pub mod subscriber;

use std::time::Duration;

use tokio::sync::{Mutex, Notify};

use crate::config::{CrmProviderName, CrmSettings};
use hubspot::Hubspot;
use metrics::CrmMetrics;
use model::{CallError, DealFacts, MeetingFacts, NoteFacts, PersonFacts, PersonRef};
use provider::{CrmProvider, OwnerEntry};
use salesforce::Salesforce;

/// What CRM sync needs on one instance: the settings, the CRM's client (none while
/// `crm.provider` is empty), this instance's name on its claims, and the metrics.
pub struct Crm {
    pub settings: CrmSettings,
    /// `hubspot` or `salesforce`; empty while off.
    pub name: &'static str,
    provider: Option<Connected>,
    worker_id: String,
    /// Held while owners are pulled, so a scheduled pull and one asked for do not overlap.
    pulling: Mutex<()>,
    /// Wakes the worker when records were queued outside a publishing change.
    wakeup: Notify,
    pub metrics: CrmMetrics,
}

impl std::fmt::Debug for Crm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm")
            .field("provider", &self.name)
            .finish_non_exhaustive()
    }
}

impl Crm {
    pub fn new(settings: &CrmSettings, metrics: CrmMetrics) -> Self {
        Self {
            settings: settings.clone(),
            name: settings.provider.as_str(),
            provider: Connected::from_settings(settings),
            worker_id: crate::values::new_id(),
            pulling: Mutex::new(()),
            wakeup: Notify::new(),
            metrics,
        }
    }

    pub fn enabled(&self) -> bool {
        self.provider.is_some()
    }

    /// Lets the worker know that records are due now.
    pub fn changes_queued(&self) {
        if self.enabled() {
            self.wakeup.notify_one();
        }
    }

    /// Resolves when records were queued since the last call.
    pub async fn queued(&self) {
        self.wakeup.notified().await;
    }
}

/// The CRM set up in `crm.provider`.
pub enum Connected {
    Hubspot(Hubspot),
    Salesforce(Salesforce),
}

impl Connected {
    /// `None` while `crm.provider` is empty.
    pub fn from_settings(settings: &CrmSettings) -> Option<Self> {
        if settings.provider == CrmProviderName::Off {
            return None;
        }
        let client = reqwest::Client::builder()
            // A CRM answers where it was asked; following a redirect would send the token on.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("convene/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with the built-in TLS roots always builds");
        match settings.provider {
            CrmProviderName::Off => None,
            CrmProviderName::Hubspot => {
                Some(Self::Hubspot(Hubspot::new(client, &settings.hubspot)))
            }
            CrmProviderName::Salesforce => Some(Self::Salesforce(Salesforce::new(
                client,
                &settings.salesforce,
            ))),
        }
    }
}

impl CrmProvider for Connected {
    async fn push_person(
        &self,
        person: &PersonFacts,
        known: Option<&PersonRef>,
    ) -> Result<PersonRef, CallError> {
        match self {
            Self::Hubspot(crm) => crm.push_person(person, known).await,
            Self::Salesforce(crm) => crm.push_person(person, known).await,
        }
    }

    async fn push_meeting(
        &self,
        meeting: &MeetingFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        match self {
            Self::Hubspot(crm) => crm.push_meeting(meeting, person, known).await,
            Self::Salesforce(crm) => crm.push_meeting(meeting, person, known).await,
        }
    }

    async fn push_deal(
        &self,
        deal: &DealFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        match self {
            Self::Hubspot(crm) => crm.push_deal(deal, person, known).await,
            Self::Salesforce(crm) => crm.push_deal(deal, person, known).await,
        }
    }

    async fn push_note(
        &self,
        note: &NoteFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        match self {
            Self::Hubspot(crm) => crm.push_note(note, person, known).await,
            Self::Salesforce(crm) => crm.push_note(note, person, known).await,
        }
    }

    async fn pull_owners(&self) -> Result<Vec<OwnerEntry>, CallError> {
        match self {
            Self::Hubspot(crm) => crm.pull_owners().await,
            Self::Salesforce(crm) => crm.pull_owners().await,
        }
    }
}
