//! The OAuth 2.0 authorization-code flow with PKCE (S256) for both providers, through the
//! `oauth2` crate: the authorize URL, the code exchange and the refresh grant.

use chrono::{DateTime, Duration, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use super::Provider;
use crate::config::ProviderSettings;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

const GOOGLE_SCOPES: [&str; 3] = [
    "openid",
    "email",
    "https://www.googleapis.com/auth/calendar",
];
const MICROSOFT_SCOPES: [&str; 4] = [
    "openid",
    "email",
    "offline_access",
    "https://graph.microsoft.com/Calendars.ReadWrite",
];

/// What a provider's token endpoint answered, when it could be read.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// The code or refresh token is no longer good (used, expired, revoked): only the user
    /// connecting again helps, so the call is not retried.
    #[error("the provider refused the grant ({0}); the calendar must be connected again")]
    Revoked(String),
    /// The provider refused for a reason a retry may not fix (bad client, bad request).
    #[error("the provider refused the request: {0}")]
    Refused(String),
    /// The provider could not be reached or answered with a server error.
    #[error("the provider could not be reached: {0}")]
    Unavailable(String),
}

/// Tokens from one grant. A refresh answer often carries no refresh token (Google): the one
/// held stays good. When it does carry one (Microsoft rotates them), it replaces the old.
pub struct Grant {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
}

/// A started authorization: the URL to send the browser to and the verifier to keep.
pub struct Authorization {
    pub url: String,
    pub code_verifier: SecretString,
}

pub struct OAuthClient {
    provider: Provider,
    client: Client,
    http: reqwest::Client,
}

impl OAuthClient {
    pub fn new(
        provider: Provider,
        settings: &ProviderSettings,
        redirect_uri: &str,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(AuthUrl::new(settings.auth_url()).map_err(|e| e.to_string())?)
            .set_token_uri(TokenUrl::new(settings.token_url()).map_err(|e| e.to_string())?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| e.to_string())?)
            // Both providers document the client credentials as form fields.
            .set_auth_type(AuthType::RequestBody);
        Ok(Self {
            provider,
            client,
            http,
        })
    }

    fn scopes(&self) -> impl Iterator<Item = Scope> {
        let scopes: &[&str] = match self.provider {
            Provider::Google => &GOOGLE_SCOPES,
            Provider::Microsoft => &MICROSOFT_SCOPES,
        };
        scopes.iter().map(|scope| Scope::new((*scope).to_owned()))
    }

    /// The authorize URL carrying `state` and a fresh PKCE S256 challenge.
    pub fn authorize(&self, state: &str, login_hint: Option<&str>) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_owned();
        let mut request = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(self.scopes())
            .set_pkce_challenge(challenge);
        request = match self.provider {
            // Offline access yields a refresh token; consent makes Google issue a new one
            // even to an account that connected before.
            Provider::Google => request
                .add_extra_param("access_type", "offline")
                .add_extra_param("prompt", "consent")
                .add_extra_param("include_granted_scopes", "true"),
            Provider::Microsoft => request.add_extra_param("response_mode", "query"),
        };
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        let (url, _) = request.url();
        Authorization {
            url: url.to_string(),
            code_verifier: SecretString::from(verifier.secret().to_owned()),
        }
    }

    /// Exchanges an authorization code, proving the PKCE verifier.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &SecretString,
        now: DateTime<Utc>,
    ) -> Result<Grant, GrantError> {
        let mut request = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_owned()));
        if self.provider == Provider::Microsoft {
            request = request.add_extra_param("scope", self.scope_list());
        }
        let response = request.request_async(&self.http).await;
        grant_from(response, now)
    }

    /// A new access token for `refresh_token`.
    pub async fn refresh(
        &self,
        refresh_token: &SecretString,
        now: DateTime<Utc>,
    ) -> Result<Grant, GrantError> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let mut request = self.client.exchange_refresh_token(&token);
        if self.provider == Provider::Microsoft {
            request = request.add_scopes(self.scopes());
        }
        let response = request.request_async(&self.http).await;
        grant_from(response, now)
    }

    fn scope_list(&self) -> String {
        self.scopes()
            .map(|scope| scope.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn grant_from<RE: std::error::Error + 'static>(
    response: Result<
        oauth2::basic::BasicTokenResponse,
        RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
    >,
    now: DateTime<Utc>,
) -> Result<Grant, GrantError> {
    match response {
        Ok(token) => Ok(Grant {
            access_token: SecretString::from(token.access_token().secret().to_owned()),
            refresh_token: token
                .refresh_token()
                .map(|refresh| SecretString::from(refresh.secret().to_owned())),
            expires_at: token
                .expires_in()
                .and_then(|lifetime| Duration::from_std(lifetime).ok())
                .map(|lifetime| now + lifetime),
            scopes: token
                .scopes()
                .map(|scopes| scopes.iter().map(|scope| scope.to_string()).collect())
                .unwrap_or_default(),
        }),
        Err(RequestTokenError::ServerResponse(refusal)) => {
            // The description is the provider's own text about the request; it never holds
            // the token itself.
            let described = match refusal.error_description() {
                Some(description) => format!("{}: {description}", refusal.error()),
                None => refusal.error().to_string(),
            };
            Err(match refusal.error() {
                BasicErrorResponseType::InvalidGrant => GrantError::Revoked(described),
                BasicErrorResponseType::Extension(code)
                    if matches!(code.as_str(), "temporarily_unavailable" | "server_error") =>
                {
                    GrantError::Unavailable(described)
                }
                BasicErrorResponseType::Extension(code)
                    if matches!(code.as_str(), "interaction_required" | "consent_required") =>
                {
                    GrantError::Revoked(described)
                }
                _ => GrantError::Refused(described),
            })
        }
        Err(RequestTokenError::Request(error)) => Err(GrantError::Unavailable(error.to_string())),
        Err(RequestTokenError::Parse(_, _)) => Err(GrantError::Unavailable(
            "the token endpoint's answer could not be read".into(),
        )),
        Err(RequestTokenError::Other(message)) => Err(GrantError::Unavailable(message)),
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    use super::*;

    fn client(provider: Provider) -> OAuthClient {
        let settings =
            crate::config::Settings::load(std::path::Path::new("/nonexistent"), None).unwrap();
        let mut provider_settings = match provider {
            Provider::Google => settings.google,
            Provider::Microsoft => settings.microsoft,
        };
        provider_settings.client_id = "client".into();
        OAuthClient::new(
            provider,
            &provider_settings,
            "https://convene.example/oauth/x/callback",
            reqwest::Client::new(),
        )
        .unwrap()
    }

    fn query(url: &str) -> std::collections::HashMap<String, String> {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[test]
    fn pkce_challenges_are_s256_of_the_verifier() {
        // RFC 7636 appendix B.
        let vector = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            PkceCodeChallenge::from_code_verifier_sha256(&vector).as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let authorization = client(Provider::Google).authorize("state-1", None);
        let query = query(&authorization.url);
        let verifier = authorization.code_verifier.expose_secret();
        assert_eq!(verifier.len(), 43);
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(
            query["code_challenge"],
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        );
    }

    #[test]
    fn google_asks_for_offline_access_and_consent() {
        let authorization = client(Provider::Google).authorize("state-1", Some("a@b.example"));
        assert!(authorization
            .url
            .starts_with("https://accounts.google.com/o/oauth2/v2/auth?"));
        let query = query(&authorization.url);
        assert_eq!(query["state"], "state-1");
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["access_type"], "offline");
        assert_eq!(query["prompt"], "consent");
        assert_eq!(query["login_hint"], "a@b.example");
        assert_eq!(
            query["redirect_uri"],
            "https://convene.example/oauth/x/callback"
        );
        assert!(query["scope"].contains("https://www.googleapis.com/auth/calendar"));
    }

    #[test]
    fn microsoft_asks_for_offline_access_in_the_configured_tenant() {
        let authorization = client(Provider::Microsoft).authorize("state-2", None);
        assert!(authorization
            .url
            .starts_with("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?"));
        let query = query(&authorization.url);
        assert!(query["scope"].contains("offline_access"));
        assert!(query["scope"].contains("https://graph.microsoft.com/Calendars.ReadWrite"));
        assert_eq!(query["response_mode"], "query");
        assert!(!query.contains_key("prompt"));
    }
}
