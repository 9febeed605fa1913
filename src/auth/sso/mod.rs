//! Sign-in with the company's identity provider over OpenID Connect: the protocol and its token
//! checks, who is let in with which role, the sign-ins in flight, and the use case tying them.

pub mod error;
pub mod oidc;
pub mod policy;
pub mod repo;
pub mod routes;
pub mod service;

use crate::config::SsoSettings;
use oidc::OidcClient;
use policy::SignInPolicy;

/// The identity provider as this server is configured for it.
pub struct Sso {
    pub display_name: String,
    pub only: bool,
    client: OidcClient,
    policy: SignInPolicy,
}

impl Sso {
    /// `None` while `sso.issuer` is empty.
    pub fn from_settings(
        settings: &SsoSettings,
        public_base: &str,
    ) -> Result<Option<Self>, String> {
        if !settings.configured() {
            return Ok(None);
        }
        Ok(Some(Self {
            display_name: settings.display_name.trim().to_owned(),
            only: settings.only,
            client: OidcClient::new(settings, format!("{public_base}/auth/oidc/callback"))?,
            policy: SignInPolicy::from_settings(settings),
        }))
    }
}
