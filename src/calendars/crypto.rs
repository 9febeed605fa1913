//! Sealing OAuth tokens at rest with AES-256-GCM. A sealed value is
//! `v1.{key id}.{base64url(nonce ‖ ciphertext ‖ tag)}`: the key id (the first bytes of the
//! key's SHA-256) says which configured key opens it, so keys can be rotated while old values
//! still open; the associated data binds each value to its connection and field, so a value
//! copied into another row or column does not open.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const FORMAT: &str = "v1";
const NONCE_BYTES: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("a sealed token was sealed with a key that is not configured any more")]
    UnknownKey,
    #[error("a sealed token does not open: it was altered or belongs elsewhere")]
    Corrupt,
}

struct SealingKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The current key, which seals, and the previous ones, which still open.
pub struct TokenCipher {
    keys: Vec<SealingKey>,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCipher(…)")
    }
}

/// What a sealed value belongs to: the connection (or authorization) id and the field.
pub struct Binding<'a> {
    pub owner: &'a str,
    pub field: &'static str,
}

impl Binding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        format!("{}\u{0}{}", self.owner, self.field).into_bytes()
    }
}

impl TokenCipher {
    /// The cipher of `calendars.token_key` (`current`) and `calendars.previous_token_keys`.
    pub fn from_keys(current: &SecretString, previous: &[SecretString]) -> Result<Self, String> {
        let current = current.expose_secret();
        if current.trim().is_empty() {
            return Err(
                "is required once a calendar provider is configured: 32 random bytes in base64, e.g. from `openssl rand -base64 32`".into(),
            );
        }
        let mut keys = vec![parse_key(current)?];
        for previous in previous {
            keys.push(parse_key(previous.expose_secret())?);
        }
        Ok(Self { keys })
    }

    /// Seals `plain` for `binding` under the current key.
    pub fn seal(&self, plain: &str, binding: &Binding<'_>) -> String {
        let key = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = binding.associated_data();
        let sealed = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: &aad,
                },
            )
            .expect("AES-GCM encrypts any input of a token's size");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{FORMAT}.{}.{}", key.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a value sealed by [`seal`](Self::seal) for the same binding, with whichever
    /// configured key sealed it.
    pub fn open(&self, sealed: &str, binding: &Binding<'_>) -> Result<SecretString, CryptoError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(FORMAT), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CryptoError::Corrupt);
        };
        let key = self
            .keys
            .iter()
            .find(|key| key.id == key_id)
            .ok_or(CryptoError::UnknownKey)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError::Corrupt)?;
        if bytes.len() <= NONCE_BYTES {
            return Err(CryptoError::Corrupt);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let aad = binding.associated_data();
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Corrupt)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Corrupt)
    }

    /// Whether `sealed` was sealed with an older key and should be sealed again.
    pub fn is_stale(&self, sealed: &str) -> bool {
        sealed.split('.').nth(1) != Some(self.keys[0].id.as_str())
    }
}

fn parse_key(encoded: &str) -> Result<SealingKey, String> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim()))
        .map_err(|_| "is not valid base64".to_owned())?;
    if bytes.len() != 32 {
        return Err(format!(
            "must be 32 bytes (AES-256) in base64, not {} bytes",
            bytes.len()
        ));
    }
    let id = hex::encode(&Sha256::digest(&bytes)[..4]);
    Ok(SealingKey {
        id,
        cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(current: &str, previous: &[&str]) -> Result<TokenCipher, String> {
        let previous: Vec<SecretString> = previous
            .iter()
            .map(|key| SecretString::from((*key).to_owned()))
            .collect();
        TokenCipher::from_keys(&SecretString::from(current.to_owned()), &previous)
    }

    const KEY_A: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const KEY_B: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

    fn binding(owner: &str) -> Binding<'_> {
        Binding {
            owner,
            field: "refresh_token",
        }
    }

    #[test]
    fn sealed_tokens_open_only_for_their_binding() {
        let cipher = cipher(KEY_A, &[]).unwrap();
        let sealed = cipher.seal("1//refresh-secret", &binding("conn-1"));
        assert!(!sealed.contains("refresh-secret"));
        assert_eq!(
            cipher
                .open(&sealed, &binding("conn-1"))
                .unwrap()
                .expose_secret(),
            "1//refresh-secret"
        );
        assert_eq!(
            cipher.open(&sealed, &binding("conn-2")).unwrap_err(),
            CryptoError::Corrupt
        );
        let other_field = Binding {
            owner: "conn-1",
            field: "access_token",
        };
        assert_eq!(
            cipher.open(&sealed, &other_field).unwrap_err(),
            CryptoError::Corrupt
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let cipher = cipher(KEY_A, &[]).unwrap();
        assert_ne!(
            cipher.seal("same", &binding("c")),
            cipher.seal("same", &binding("c"))
        );
    }

    #[test]
    fn altered_values_do_not_open() {
        let cipher = cipher(KEY_A, &[]).unwrap();
        let sealed = cipher.seal("token", &binding("c"));
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(
            cipher.open(&altered, &binding("c")).unwrap_err(),
            CryptoError::Corrupt
        );
        assert_eq!(
            cipher.open("plain-token", &binding("c")).unwrap_err(),
            CryptoError::Corrupt
        );
    }

    #[test]
    fn rotated_keys_still_open_old_values_and_mark_them_stale() {
        let old = cipher(KEY_A, &[]).unwrap();
        let sealed = old.seal("token", &binding("c"));
        let rotated = cipher(KEY_B, &[KEY_A]).unwrap();
        assert_eq!(
            rotated
                .open(&sealed, &binding("c"))
                .unwrap()
                .expose_secret(),
            "token"
        );
        assert!(rotated.is_stale(&sealed));
        assert!(!rotated.is_stale(&rotated.seal("token", &binding("c"))));
        let forgotten = cipher(KEY_B, &[]).unwrap();
        assert_eq!(
            forgotten.open(&sealed, &binding("c")).unwrap_err(),
            CryptoError::UnknownKey
        );
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(cipher("", &[]).is_err());
        assert!(cipher("c2hvcnQ=", &[]).is_err());
        assert!(cipher("not base64!", &[]).is_err());
    }
}
