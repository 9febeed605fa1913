//! The key behind the links Convene puts in emails (a prospect's manage link, later approval,
//! outcome and survey links). Each link token is an HMAC of its purpose and record id, so the
//! worker can write the same link into any later email without storing the token anywhere;
//! only its hash is kept, as for every other token. The key is random, created by the first
//! instance that starts and kept in the database, so every instance derives the same links.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::tokens::secret_token;
use crate::db::schema::server_secrets;
use crate::db::{DbConnection, StoreError};

const KEY_NAME: &str = "link_key";

/// What a derived token opens; a token made for one purpose never opens another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    ManageMeeting,
    /// A meeting manager's approve/reject link for one request, from an approval email.
    DecideRequest,
    /// A host's link to record what happened at one meeting, from an outcome request email.
    RecordOutcome,
}

impl LinkPurpose {
    fn label(self) -> &'static str {
        match self {
            LinkPurpose::ManageMeeting => "manage-meeting",
            LinkPurpose::DecideRequest => "decide-request",
            LinkPurpose::RecordOutcome => "record-outcome",
        }
    }
}

/// Why a signed link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

impl LinkKey {
    pub fn from_secret(secret: &str) -> Self {
        Self(secret.as_bytes().to_vec())
    }

    /// The 256-bit URL-safe token for `purpose` and `id`.
    pub fn token(&self, purpose: LinkPurpose, id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(purpose.label().as_bytes());
        mac.update(b"\0");
        mac.update(id.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A link token that carries `subject` and an expiry, signed so that it cannot be forged
    /// or altered: `{expiry}.{subject}.{signature}`, all URL-safe.
    pub fn signed(&self, purpose: LinkPurpose, subject: &str, expires: DateTime<Utc>) -> String {
        let payload = format!(
            "{}.{}",
            expires.timestamp(),
            URL_SAFE_NO_PAD.encode(subject)
        );
        let signature = self.token(purpose, &payload);
        format!("{payload}.{signature}")
    }

    /// The subject of a token made by [`LinkKey::signed`] for `purpose`, if it is genuine and
    /// not expired at `now`.
    pub fn verify(
        &self,
        purpose: LinkPurpose,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<String, LinkError> {
        let mut parts = token.splitn(3, '.');
        let (Some(expiry), Some(subject), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Invalid);
        };
        let expected = self.token(purpose, &format!("{expiry}.{subject}"));
        if !crate::auth::tokens::constant_time_eq(&expected, signature) {
            return Err(LinkError::Invalid);
        }
        let expires = expiry.parse::<i64>().map_err(|_| LinkError::Invalid)?;
        if now.timestamp() >= expires {
            return Err(LinkError::Expired);
        }
        let subject = URL_SAFE_NO_PAD
            .decode(subject)
            .map_err(|_| LinkError::Invalid)?;
        String::from_utf8(subject).map_err(|_| LinkError::Invalid)
    }

    /// The deployment's key, created on first use. Instances starting together may race to
    /// create it; the loser of the insert reads the winner's.
    pub fn load_or_create(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Self, StoreError> {
        if let Some(found) = stored(conn)? {
            return Ok(Self::from_secret(&found));
        }
        let inserted = diesel::insert_into(server_secrets::table)
            .values((
                server_secrets::name.eq(KEY_NAME),
                server_secrets::value.eq(secret_token()),
                server_secrets::created_at.eq(now.naive_utc()),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            Err(e) => return Err(e.into()),
        }
        stored(conn)?
            .map(|secret| Self::from_secret(&secret))
            .ok_or_else(|| StoreError::Corrupt("the link key could not be stored".into()))
    }
}

fn stored(conn: &mut DbConnection) -> Result<Option<String>, StoreError> {
    Ok(server_secrets::table
        .find(KEY_NAME)
        .select(server_secrets::value)
        .first(conn)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_key_purpose_and_id() {
        let key = LinkKey::from_secret("one key");
        let token = key.token(LinkPurpose::ManageMeeting, "m1");
        assert_eq!(token, key.token(LinkPurpose::ManageMeeting, "m1"));
        assert_eq!(token.len(), 43, "256 bits, base64url without padding");
        assert_ne!(token, key.token(LinkPurpose::ManageMeeting, "m2"));
        assert_ne!(
            token,
            LinkKey::from_secret("another key").token(LinkPurpose::ManageMeeting, "m1")
        );
    }

    #[test]
    fn signed_links_carry_their_subject_until_they_expire() {
        use chrono::TimeZone;
        let key = LinkKey::from_secret("one key");
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let token = key.signed(
            LinkPurpose::DecideRequest,
            "request:manager",
            now + chrono::Duration::hours(1),
        );
        assert_eq!(
            key.verify(LinkPurpose::DecideRequest, &token, now),
            Ok("request:manager".to_owned())
        );
        assert_eq!(
            key.verify(
                LinkPurpose::DecideRequest,
                &token,
                now + chrono::Duration::hours(1)
            ),
            Err(LinkError::Expired)
        );
        assert_eq!(
            key.verify(LinkPurpose::ManageMeeting, &token, now),
            Err(LinkError::Invalid),
            "a link for one purpose opens nothing else"
        );
        assert_eq!(
            LinkKey::from_secret("other").verify(LinkPurpose::DecideRequest, &token, now),
            Err(LinkError::Invalid)
        );
        let later = (now + chrono::Duration::days(30)).timestamp();
        let (_, rest) = token.split_once('.').unwrap();
        let extended = format!("{later}.{rest}");
        assert_eq!(
            key.verify(LinkPurpose::DecideRequest, &extended, now),
            Err(LinkError::Invalid),
            "the expiry cannot be moved"
        );
        for forged in ["", "a.b", "1.2.3", "..", &token[..token.len() - 1]] {
            assert_eq!(
                key.verify(LinkPurpose::DecideRequest, forged, now),
                Err(LinkError::Invalid),
                "{forged}"
            );
        }
    }

    #[test]
    fn the_key_never_prints() {
        assert_eq!(
            format!("{:?}", LinkKey::from_secret("s3cret")),
            "LinkKey(…)"
        );
    }
}
