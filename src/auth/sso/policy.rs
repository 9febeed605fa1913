//! Who may sign in through the identity provider, and with which role: pure rules over what
//! the provider vouched for, once its ID token has passed every check.

use super::error::Refusal;
use crate::auth::roles::Role;
use crate::config::SsoSettings;
use crate::users::model::MAX_NAME_CHARS;
use crate::values::{one_line, Email};

/// The claims of a verified ID token that decide admission.
#[derive(Debug, Clone, Default)]
pub struct ProviderIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// The value of the configured role claim: a string or a list of strings.
    pub role_claim: Option<serde_json::Value>,
}

/// A person the provider vouched for and the policy lets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub email: Email,
    /// What to call them if they are new here: their name at the provider, one line.
    pub name: String,
    /// Their role if they are new here.
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct SignInPolicy {
    allowed_domains: Vec<String>,
    default_role: Role,
    /// Claim values lower-cased, so that matching ignores case.
    role_map: Vec<(String, Role)>,
}

impl SignInPolicy {
    pub fn from_settings(settings: &SsoSettings) -> Self {
        Self::new(
            settings.allowed_domains.iter().map(String::as_str),
            settings.default_role,
            settings
                .role_map
                .iter()
                .map(|(value, role)| (value.as_str(), *role)),
        )
    }

    pub fn new<'a>(
        allowed_domains: impl IntoIterator<Item = &'a str>,
        default_role: Role,
        role_map: impl IntoIterator<Item = (&'a str, Role)>,
    ) -> Self {
        Self {
            allowed_domains: allowed_domains
                .into_iter()
                .map(|domain| domain.trim().trim_start_matches('@').to_lowercase())
                .filter(|domain| !domain.is_empty())
                .collect(),
            default_role,
            role_map: role_map
                .into_iter()
                .map(|(value, role)| (value.trim().to_lowercase(), role))
                .collect(),
        }
    }

    pub fn admit(&self, identity: &ProviderIdentity) -> Result<Admitted, Refusal> {
        let email = identity
            .email
            .as_deref()
            .and_then(|raw| Email::parse(raw).ok())
            .ok_or(Refusal::NoEmail)?;
        if !identity.email_verified {
            return Err(Refusal::UnverifiedEmail);
        }
        if !self.domain_allowed(&email) {
            let domain = email.as_str().rsplit_once('@').map_or("", |(_, d)| d);
            return Err(Refusal::DomainNotAllowed(domain.to_owned()));
        }
        Ok(Admitted {
            name: display_name(identity.name.as_deref(), &email),
            role: self.role_for(identity.role_claim.as_ref()),
            email,
        })
    }

    /// Exact domains only: `example.com` does not admit `sales.example.com`, since a
    /// subdomain may be run by someone else.
    pub fn domain_allowed(&self, email: &Email) -> bool {
        email
            .as_str()
            .rsplit_once('@')
            .is_some_and(|(_, domain)| self.allowed_domains.iter().any(|d| d == domain))
    }

    /// The highest role any of the claim's values maps to, else the default role.
    pub fn role_for(&self, claim: Option<&serde_json::Value>) -> Role {
        let values: Vec<&str> = match claim {
            Some(serde_json::Value::String(value)) => vec![value.as_str()],
            Some(serde_json::Value::Array(items)) => {
                items.iter().filter_map(serde_json::Value::as_str).collect()
            }
            _ => Vec::new(),
        };
        values
            .iter()
            .map(|value| value.trim().to_lowercase())
            .filter_map(|value| {
                self.role_map
                    .iter()
                    .find(|(mapped, _)| *mapped == value)
                    .map(|(_, role)| *role)
            })
            .max_by_key(|role| privilege(*role))
            .unwrap_or(self.default_role)
    }
}

fn privilege(role: Role) -> u8 {
    match role {
        Role::Host => 0,
        Role::Marketer => 1,
        Role::MeetingManager => 2,
        Role::Admin => 3,
    }
}

/// The provider's name for the person, made safe for one line and cut to fit; their email's
/// local part when it has none.
fn display_name(name: Option<&str>, email: &Email) -> String {
    let cleaned: String = one_line(name.unwrap_or_default())
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    if cleaned.trim().is_empty() {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or(email.as_str())
            .to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> SignInPolicy {
        SignInPolicy::new(
            [" Acme.Test ", "@acme.example"],
            Role::Host,
            [
                ("Convene-Admins", Role::Admin),
                ("marketing", Role::Marketer),
                ("Meeting Managers", Role::MeetingManager),
            ],
        )
    }

    fn identity(email: &str) -> ProviderIdentity {
        ProviderIdentity {
            subject: "s1".into(),
            email: Some(email.into()),
            email_verified: true,
            name: Some("Ada Lovelace".into()),
            role_claim: None,
        }
    }

    #[test]
    fn role_values_match_without_regard_to_case() {
        let policy = policy();
        assert_eq!(policy.role_for(Some(&json!("convene-admins"))), Role::Admin);
        assert_eq!(policy.role_for(Some(&json!(["MARKETING"]))), Role::Marketer);
        assert_eq!(
            policy.role_for(Some(&json!(["meeting managers"]))),
            Role::MeetingManager
        );
    }

    #[test]
    fn the_highest_mapped_role_wins_and_unmapped_values_give_the_default() {
        let policy = policy();
        assert_eq!(
            policy.role_for(Some(&json!(["marketing", "Convene-Admins", "staff"]))),
            Role::Admin
        );
        assert_eq!(policy.role_for(Some(&json!(["staff"]))), Role::Host);
        assert_eq!(policy.role_for(Some(&json!(42))), Role::Host);
        assert_eq!(policy.role_for(None), Role::Host);
    }

    #[test]
    fn only_verified_addresses_of_allowed_domains_get_in() {
        let policy = policy();
        let admitted = policy.admit(&identity("Ada@ACME.test")).unwrap();
        assert_eq!(admitted.email.as_str(), "ada@acme.test");
        assert!(policy.admit(&identity("bo@acme.example")).is_ok());
        assert_eq!(
            policy.admit(&identity("eve@sales.acme.test")),
            Err(Refusal::DomainNotAllowed("sales.acme.test".into()))
        );
        assert_eq!(
            policy.admit(&identity("eve@acme.test.evil.example")),
            Err(Refusal::DomainNotAllowed("acme.test.evil.example".into()))
        );
        let unverified = ProviderIdentity {
            email_verified: false,
            ..identity("ada@acme.test")
        };
        assert_eq!(policy.admit(&unverified), Err(Refusal::UnverifiedEmail));
        let without_email = ProviderIdentity {
            email: None,
            ..identity("ada@acme.test")
        };
        assert_eq!(policy.admit(&without_email), Err(Refusal::NoEmail));
    }

    #[test]
    fn emails_are_matched_in_one_case() {
        let policy = policy();
        let one = policy.admit(&identity("Grace.Hopper@Acme.Test")).unwrap();
        let other = policy.admit(&identity("grace.hopper@acme.test")).unwrap();
        assert_eq!(one.email, other.email);
    }

    #[test]
    fn names_from_the_provider_are_one_safe_line() {
        let policy = policy();
        let hostile = ProviderIdentity {
            name: Some("Ada\u{202E}\nLovelace\u{0007}".into()),
            ..identity("ada@acme.test")
        };
        assert_eq!(policy.admit(&hostile).unwrap().name, "Ada Lovelace");
        let nameless = ProviderIdentity {
            name: Some(" \u{202E} ".into()),
            ..identity("ada@acme.test")
        };
        assert_eq!(policy.admit(&nameless).unwrap().name, "ada");
        let long = ProviderIdentity {
            name: Some("x".repeat(MAX_NAME_CHARS + 50)),
            ..identity("ada@acme.test")
        };
        assert_eq!(
            policy.admit(&long).unwrap().name.chars().count(),
            MAX_NAME_CHARS
        );
    }
}
