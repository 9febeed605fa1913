//! The OpenID Connect relying party, through the `openidconnect` crate: discovery, the
//! authorization URL with PKCE, `state` and `nonce`, the code exchange, and the ID token checks
//! (signature against the provider's keys, `iss`, `aud`, `exp`, `iat`, `nonce`).

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IdToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::error::{OidcError, TokenRejection};
use super::policy::ProviderIdentity;
use crate::config::SsoSettings;

/// Discovery documents change rarely; reading one a day picks up moved endpoints.
const DISCOVERY_TTL: StdDuration = StdDuration::from_secs(24 * 60 * 60);
/// An ID token issued longer ago than this (beyond the allowed skew) is refused: the code it
/// came with lives minutes, so an old token is a replayed one.
const MAX_TOKEN_AGE: Duration = Duration::minutes(10);
const STANDARD_EMAIL_VERIFIED: &str = "email_verified";
const ISSUE_TIME: &str = "issue time";
const HTTP_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// The claims beyond the standard ones, where the role claim is found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OtherClaims(serde_json::Map<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type ConveneIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// A started sign-in: where to send the browser, and what to keep until it comes back.
pub struct Authorization {
    pub url: String,
    pub state: SecretString,
    pub nonce: SecretString,
    pub code_verifier: SecretString,
}

struct Discovered {
    metadata: CoreProviderMetadata,
    read_at: Instant,
}

pub struct OidcClient {
    issuer: String,
    client_id: ClientId,
    client_secret: SecretString,
    redirect_url: RedirectUrl,
    scopes: Vec<String>,
    role_claim: String,
    email_verified_claim: String,
    clock_skew: Duration,
    http: reqwest::Client,
    discovered: Mutex<Option<Arc<Discovered>>>,
}

impl OidcClient {
    pub fn new(settings: &SsoSettings, redirect_uri: String) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            // Following redirects would let a provider's answer point requests elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            issuer: settings.issuer.trim().to_owned(),
            client_id: ClientId::new(settings.client_id.trim().to_owned()),
            client_secret: settings.client_secret.clone(),
            redirect_url: RedirectUrl::new(redirect_uri).map_err(|e| e.to_string())?,
            scopes: settings.scopes.clone(),
            role_claim: settings.role_claim.clone(),
            email_verified_claim: settings.email_verified_claim.trim().to_owned(),
            clock_skew: Duration::seconds(i64::try_from(settings.clock_skew_secs).unwrap_or(300)),
            http,
            discovered: Mutex::new(None),
        })
    }

    /// The provider's metadata and keys, read from its discovery document when not yet known
    /// (or known for a day).
    async fn provider(&self) -> Result<Arc<Discovered>, OidcError> {
        let mut cached = self.discovered.lock().await;
        if let Some(found) = cached
            .as_ref()
            .filter(|d| d.read_at.elapsed() < DISCOVERY_TTL)
        {
            return Ok(found.clone());
        }
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|e| OidcError::ProviderUnavailable(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::ProviderUnavailable(format!("discovery failed: {e}")))?;
        let fresh = Arc::new(Discovered {
            metadata,
            read_at: Instant::now(),
        });
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Reads the provider's key set again, after a token named a key not in the one held:
    /// providers rotate keys by publishing the new one before signing with it.
    async fn refresh_keys(&self, stale: &Discovered) -> Result<Arc<Discovered>, OidcError> {
        let keys = CoreJsonWebKeySet::fetch_async(stale.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| OidcError::ProviderUnavailable(format!("key set unreadable: {e}")))?;
        let fresh = Arc::new(Discovered {
            metadata: stale.metadata.clone().set_jwks(keys),
            read_at: stale.read_at,
        });
        *self.discovered.lock().await = Some(fresh.clone());
        Ok(fresh)
    }

    fn client(
        &self,
        discovered: &Discovered,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            discovered.metadata.clone(),
            self.client_id.clone(),
            Some(ClientSecret::new(
                self.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect_url.clone())
    }

    pub async fn authorize(&self) -> Result<Authorization, OidcError> {
        let discovered = self.provider().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(&discovered);
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.scopes.iter().filter(|s| s.as_str() != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Authorization {
            url: url.to_string(),
            state: SecretString::from(state.secret().clone()),
            nonce: SecretString::from(nonce.secret().clone()),
            code_verifier: SecretString::from(verifier.secret().clone()),
        })
    }

    /// Exchanges `code` for tokens and returns what the ID token vouches for, once it has
    /// passed every check at `now`.
    pub async fn redeem(
        &self,
        code: &str,
        code_verifier: &SecretString,
        nonce: &SecretString,
        now: DateTime<Utc>,
    ) -> Result<ProviderIdentity, OidcError> {
        let discovered = self.provider().await?;
        let response = self
            .client(&discovered)
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::ProviderUnavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(
                code_verifier.expose_secret().to_owned(),
            ))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(refusal) => {
                    OidcError::CodeRefused(refusal.error().to_string())
                }
                other => OidcError::ProviderUnavailable(other.to_string()),
            })?;
        // Read again into Convene's claims type, so that the role claim survives.
        let raw = response.id_token().ok_or(OidcError::NoIdToken)?.to_string();
        let token: ConveneIdToken = raw
            .parse()
            .map_err(|_| OidcError::TokenRejected(TokenRejection::Malformed))?;
        let expected_nonce = Nonce::new(nonce.expose_secret().to_owned());
        let claims = match self.verify(&token, &discovered, &expected_nonce, now) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let refreshed = self.refresh_keys(&discovered).await?;
                self.verify(&token, &refreshed, &expected_nonce, now)
            }
            checked => checked,
        }
        .map_err(|error| OidcError::TokenRejected(rejection(&error)))?;
        Ok(ProviderIdentity {
            subject: claims.subject().to_string(),
            email: claims.email().map(|email| email.to_string()),
            email_verified: if self.email_verified_claim == STANDARD_EMAIL_VERIFIED {
                claims.email_verified().unwrap_or(false)
            } else {
                claims
                    .additional_claims()
                    .0
                    .get(&self.email_verified_claim)
                    .is_some_and(|value| value == true || value == "true")
            },
            name: claims
                .name()
                .and_then(|name| name.get(None))
                .map(|name| name.to_string()),
            role_claim: claims.additional_claims().0.get(&self.role_claim).cloned(),
        })
    }

    fn verify<'t>(
        &self,
        token: &'t ConveneIdToken,
        discovered: &Discovered,
        nonce: &Nonce,
        now: DateTime<Utc>,
    ) -> Result<
        &'t openidconnect::IdTokenClaims<OtherClaims, CoreGenderClaim>,
        ClaimsVerificationError,
    > {
        let skew = self.clock_skew;
        // Only the provider's published asymmetric keys are trusted: no `none`, and no HS256
        // tokens keyed with the client secret.
        let verifier = CoreIdTokenVerifier::new_public_client(
            self.client_id.clone(),
            discovered.metadata.issuer().clone(),
            discovered.metadata.jwks().clone(),
        )
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        ])
        // `exp` is compared with this time: the token stays good `skew` past its expiry.
        .set_time_fn(move || now - skew)
        .set_issue_time_verifier_fn(move |issued| {
            if issued > now + skew {
                Err(format!("{ISSUE_TIME} is in the future"))
            } else if issued < now - skew - MAX_TOKEN_AGE {
                Err(format!("{ISSUE_TIME} is too long ago"))
            } else {
                Ok(())
            }
        });
        token.claims(&verifier, nonce)
    }
}

/// Why the crate refused a token, in Convene's words.
fn rejection(error: &ClaimsVerificationError) -> TokenRejection {
    match error {
        ClaimsVerificationError::SignatureVerification(_) => TokenRejection::Signature,
        ClaimsVerificationError::InvalidAudience(_) => TokenRejection::Audience,
        ClaimsVerificationError::InvalidIssuer(_) => TokenRejection::Issuer,
        // The crate reports a refused issue time as `Expired` with our words.
        ClaimsVerificationError::Expired(reason) if reason.starts_with(ISSUE_TIME) => {
            TokenRejection::IssueTime
        }
        ClaimsVerificationError::Expired(_) => TokenRejection::Expired,
        ClaimsVerificationError::InvalidNonce(_) => TokenRejection::Nonce,
        _ => TokenRejection::Other,
    }
}
