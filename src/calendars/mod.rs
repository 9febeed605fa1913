//! Hosts' Google and Microsoft 365 calendars: connecting them with OAuth (PKCE), keeping their
//! tokens sealed and fresh, reading their busy times into availability (failing closed when a
//! calendar cannot be read), and writing each meeting into them from the worker.

pub mod crypto;
pub mod error;
pub mod model;
pub mod oauth;
pub mod providers;
pub mod readings;
pub mod refresh_locks;
pub mod repo;
pub mod routes;
pub mod service;
pub mod sync;
pub mod writes;

use std::fmt;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};

use crate::config::{CalendarSettings, ProviderSettings, Settings};
use crypto::TokenCipher;
use error::SetupError;
use oauth::OAuthClient;
use providers::{GoogleCalendar, MicrosoftCalendar, ProviderApi};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Google,
    Microsoft,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Google, Provider::Microsoft];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Microsoft => "microsoft",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Google => "Google Calendar",
            Provider::Microsoft => "Microsoft 365",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not a calendar provider (google or microsoft)"))
    }
}

/// How long a provider call may take before it counts as failed.
const REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(20);
const CONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(5);

/// The configured providers, the token cipher and one HTTP client shared by every call.
pub struct Calendars {
    pub settings: CalendarSettings,
    google: ProviderSettings,
    microsoft: ProviderSettings,
    cipher: Option<TokenCipher>,
    http: reqwest::Client,
    public_base: String,
}

impl fmt::Debug for Calendars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendars")
            .field("google", &self.google.configured())
            .field("microsoft", &self.microsoft.configured())
            .finish_non_exhaustive()
    }
}

impl Calendars {
    /// Settings are validated on load, so a configured provider always has a usable key here.
    pub fn new(settings: &Settings) -> Self {
        let cipher = (settings.google.configured() || settings.microsoft.configured())
            .then(|| {
                TokenCipher::from_keys(
                    &settings.calendars.token_key,
                    &settings.calendars.previous_token_keys,
                )
                .ok()
            })
            .flatten();
        let http = reqwest::Client::builder()
            // Following redirects from a token endpoint would open the door to SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("convene/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with the built-in TLS roots always builds");
        Self {
            settings: settings.calendars.clone(),
            google: settings.google.clone(),
            microsoft: settings.microsoft.clone(),
            cipher,
            http,
            public_base: settings.server.public_base().to_owned(),
        }
    }

    /// Whether any provider can be connected; when none can, no calendar is ever read.
    pub fn enabled(&self) -> bool {
        self.cipher.is_some()
    }

    pub fn configured(&self, provider: Provider) -> bool {
        self.provider_settings(provider).configured() && self.cipher.is_some()
    }

    fn provider_settings(&self, provider: Provider) -> &ProviderSettings {
        match provider {
            Provider::Google => &self.google,
            Provider::Microsoft => &self.microsoft,
        }
    }

    pub fn redirect_uri(&self, provider: Provider) -> String {
        format!("{}/oauth/{provider}/callback", self.public_base)
    }

    pub fn cipher(&self) -> Result<&TokenCipher, SetupError> {
        self.cipher.as_ref().ok_or(SetupError::NotConfigured)
    }

    pub fn oauth(&self, provider: Provider) -> Result<OAuthClient, SetupError> {
        if !self.configured(provider) {
            return Err(SetupError::NotConfigured);
        }
        OAuthClient::new(
            provider,
            self.provider_settings(provider),
            &self.redirect_uri(provider),
            self.http.clone(),
        )
        .map_err(|reason| SetupError::OAuthClient { provider, reason })
    }

    pub fn api(&self, provider: Provider) -> ProviderApi {
        let api_base = self.provider_settings(provider).api_base().to_owned();
        match provider {
            Provider::Google => ProviderApi::Google(GoogleCalendar {
                http: self.http.clone(),
                api_base,
            }),
            Provider::Microsoft => ProviderApi::Microsoft(MicrosoftCalendar {
                http: self.http.clone(),
                api_base,
                tentative_is_busy: self.settings.tentative_is_busy,
                event_attendees: self.settings.microsoft_event_attendees,
            }),
        }
    }

    /// Google's revoke endpoint; Microsoft has none for a single grant.
    pub fn revoke_url(&self, provider: Provider) -> Option<&str> {
        match provider {
            Provider::Google => Some(self.google.revoke_url.as_str()).filter(|url| !url.is_empty()),
            Provider::Microsoft => None,
        }
    }

    /// The origins of the configured providers' authorize endpoints.
    pub fn authorize_origins(&self) -> Vec<String> {
        Provider::ALL
            .into_iter()
            .filter(|provider| self.configured(*provider))
            .filter_map(|provider| {
                url::Url::parse(&self.provider_settings(provider).auth_url())
                    .ok()
                    .map(|url| url.origin().ascii_serialization())
            })
            .collect()
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}
