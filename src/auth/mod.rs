//! Who is calling and what they may do: API keys, admin sessions, passwords, roles.

pub mod api_keys;
pub mod link_keys;
pub mod passwords;
pub mod roles;
pub mod routes;
pub mod sessions;
pub mod sso;
pub mod throttle;
pub mod tokens;

use crate::audit::Actor;
use roles::{Permission, Role};

/// A caller whose role does not allow what they asked for.
#[derive(Debug, thiserror::Error)]
#[error("the {} role may not do this", .0.as_str())]
pub struct Denied(pub Role);

/// An authenticated caller: an API key or a signed-in user.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    pub role: Role,
    /// The signed-in user, when the caller is a person rather than an integration key.
    pub user_id: Option<String>,
}

impl Principal {
    pub fn require(&self, permission: Permission) -> Result<(), Denied> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(Denied(self.role))
        }
    }

    pub fn is_user(&self, user_id: &str) -> bool {
        self.user_id.as_deref() == Some(user_id)
    }

    /// Users may always act on their own record; on anyone else's only with `permission`.
    pub fn require_self_or(&self, user_id: &str, permission: Permission) -> Result<(), Denied> {
        if self.is_user(user_id) {
            Ok(())
        } else {
            self.require(permission)
        }
    }
}
