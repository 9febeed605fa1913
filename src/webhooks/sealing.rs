//! Webhook signing secrets at rest: sealed with AES-256-GCM ([`TokenCipher`]) under
//! `webhooks.secret_key`, or, when none is configured, under a key Convene creates on first use
//! and keeps in `server_secrets`, shared by every instance. Either way a dump of the webhook
//! tables, a log line or a backup of some tables never shows a secret; only the configured key
//! also protects against someone who reads the whole database. The stored key keeps opening
//! what it sealed after a key is configured, so configuring one later loses nothing.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::calendars::crypto::{Binding, CryptoError, TokenCipher};
use crate::config::WebhookSettings;
use crate::db::schema::server_secrets;
use crate::db::{DbConnection, StoreError};

const STORED_KEY_NAME: &str = "webhook_secret_key";

/// The column a sealed secret lives in, bound into its seal.
#[derive(Debug, Clone, Copy)]
pub enum SecretField {
    Current,
    Previous,
}

impl SecretField {
    fn name(self) -> &'static str {
        match self {
            SecretField::Current => "secret",
            SecretField::Previous => "previous_secret",
        }
    }
}

/// Seals and opens the signing secrets of subscriptions.
#[derive(Debug)]
pub struct SecretSealer(TokenCipher);

impl SecretSealer {
    /// The sealer for `settings`, creating the stored key when no key is configured.
    pub fn load(
        conn: &mut DbConnection,
        settings: &WebhookSettings,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let configured = configured_keys(settings).map_err(StoreError::Corrupt)?;
        let stored = match configured {
            Some(_) => stored_key(conn)?,
            None => Some(stored_key_or_create(conn, now)?),
        };
        let mut keys: Vec<SecretString> = configured.unwrap_or_default();
        keys.extend(stored.map(SecretString::from));
        let (current, previous) = keys
            .split_first()
            .ok_or_else(|| StoreError::Corrupt("no key seals webhook secrets".into()))?;
        TokenCipher::from_keys(current, previous)
            .map(Self)
            .map_err(|reason| StoreError::Corrupt(format!("the webhook secret key {reason}")))
    }

    pub fn seal(&self, secret: &SecretString, subscription_id: &str, field: SecretField) -> String {
        self.0
            .seal(secret.expose_secret(), &binding(subscription_id, field))
    }

    pub fn open(
        &self,
        sealed: &str,
        subscription_id: &str,
        field: SecretField,
    ) -> Result<SecretString, CryptoError> {
        self.0.open(sealed, &binding(subscription_id, field))
    }
}

fn binding(subscription_id: &str, field: SecretField) -> Binding<'_> {
    Binding {
        owner: subscription_id,
        field: field.name(),
    }
}

/// The configured keys, current first, checked for shape; `None` when no key is configured.
pub fn configured_keys(settings: &WebhookSettings) -> Result<Option<Vec<SecretString>>, String> {
    if settings.secret_key.expose_secret().trim().is_empty() {
        return Ok(None);
    }
    let keys: Vec<SecretString> = std::iter::once(&settings.secret_key)
        .chain(&settings.previous_secret_keys)
        .map(|key| SecretString::from(key.expose_secret().trim().to_owned()))
        .collect();
    TokenCipher::from_keys(&keys[0], &keys[1..])?;
    Ok(Some(keys))
}

fn stored_key(conn: &mut DbConnection) -> Result<Option<String>, StoreError> {
    Ok(server_secrets::table
        .find(STORED_KEY_NAME)
        .select(server_secrets::value)
        .first(conn)
        .optional()?)
}

/// The stored key, created by the first instance that needs it; instances racing to create it
/// all end up with the winner's.
fn stored_key_or_create(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<String, StoreError> {
    if let Some(key) = stored_key(conn)? {
        return Ok(key);
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let inserted = diesel::insert_into(server_secrets::table)
        .values((
            server_secrets::name.eq(STORED_KEY_NAME),
            server_secrets::value.eq(STANDARD.encode(bytes)),
            server_secrets::created_at.eq(now.naive_utc()),
        ))
        .execute(conn);
    match inserted {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {}
        Err(error) => return Err(error.into()),
    }
    stored_key(conn)?
        .ok_or_else(|| StoreError::Corrupt("the webhook secret key could not be stored".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    fn settings(key: &str) -> WebhookSettings {
        let mut settings =
            crate::config::Settings::load(std::path::Path::new("/nonexistent"), None)
                .unwrap()
                .webhooks;
        settings.secret_key = SecretString::from(key.to_owned());
        settings
    }

    #[test]
    fn no_configured_key_is_allowed_and_bad_ones_are_refused() {
        assert!(configured_keys(&settings("")).unwrap().is_none());
        assert_eq!(configured_keys(&settings(KEY)).unwrap().unwrap().len(), 1);
        assert!(configured_keys(&settings("c2hvcnQ=")).is_err());
    }

    #[test]
    fn sealed_secrets_open_only_for_their_subscription_and_column() {
        let key = SecretString::from(KEY.to_owned());
        let sealer = SecretSealer(TokenCipher::from_keys(&key, &[]).unwrap());
        let secret = SecretString::from("whsec_abc".to_owned());
        let sealed = sealer.seal(&secret, "sub-1", SecretField::Current);
        assert!(!sealed.contains("whsec_abc"));
        let opened = sealer.open(&sealed, "sub-1", SecretField::Current).unwrap();
        assert_eq!(opened.expose_secret(), "whsec_abc");
        assert!(sealer.open(&sealed, "sub-2", SecretField::Current).is_err());
        assert!(sealer
            .open(&sealed, "sub-1", SecretField::Previous)
            .is_err());
    }
}
