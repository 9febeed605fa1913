//! Standard Webhooks signing: secrets are `whsec_` and base64 of random bytes; a signature is
//! `v1,` and base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with
//! the secret's decoded bytes. Pure: no clock, database or network.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// 256 bits, the HMAC-SHA256 block's worth of key the specification recommends at least 24 of.
const SECRET_BYTES: usize = 32;

/// A new signing secret, `whsec_` and base64 of 32 random bytes.
pub fn new_secret() -> SecretString {
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    SecretString::from(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}

/// The key bytes of a secret written as [`new_secret`] writes them.
fn key_of(secret: &SecretString) -> Option<Vec<u8>> {
    let encoded = secret.expose_secret().strip_prefix(PREFIX)?;
    STANDARD.decode(encoded).ok().filter(|key| !key.is_empty())
}

/// `v1,<signature>` of one message under each of `secrets`, space-separated as the
/// `webhook-signature` header carries them. A secret that is not one of ours signs nothing.
pub fn signature_header(
    secrets: &[&SecretString],
    message_id: &str,
    timestamp: i64,
    body: &str,
) -> String {
    secrets
        .iter()
        .filter_map(|secret| key_of(secret))
        .map(|key| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
            mac.update(message_id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body.as_bytes());
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_base64_of_32_random_bytes() {
        let secret = new_secret();
        let key = key_of(&secret).unwrap();
        assert_eq!(key.len(), 32);
        assert!(secret.expose_secret().starts_with("whsec_"));
        assert_ne!(
            new_secret().expose_secret(),
            secret.expose_secret(),
            "each secret is fresh"
        );
    }

    #[test]
    fn signatures_match_the_specification_example() {
        // The example of the Standard Webhooks specification (spec/standard-webhooks.md).
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned());
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature_header(&[&secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn several_secrets_give_space_separated_signatures() {
        let (new, old) = (new_secret(), new_secret());
        let header = signature_header(&[&new, &old], "evt_1", 1, "{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|part| part.starts_with("v1,")));
        assert_eq!(parts[0], signature_header(&[&new], "evt_1", 1, "{}"));
        let foreign = SecretString::from("not-ours".to_owned());
        assert_eq!(signature_header(&[&foreign], "evt_1", 1, "{}"), "");
    }
}
