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

/// An authenticated caller: an API key or a signed-in user.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    pub role: Role,
    /// The signed-in user, when the caller is a person rather than an integration key.
    pub user_id: Option<String>,
}

impl Principal {
    pub fn require(&self, permission: Permission) -> Result<(), crate::error::AppError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(crate::error::AppError::Forbidden(format!(
                "the {} role may not do this",
                self.role.as_str()
            )))
        }
    }

    pub fn is_user(&self, user_id: &str) -> bool {
        self.user_id.as_deref() == Some(user_id)
    }

    /// Users may always act on their own record; on anyone else's only with `permission`.
    pub fn require_self_or(
        &self,
        user_id: &str,
        permission: Permission,
    ) -> Result<(), crate::error::AppError> {
        if self.is_user(user_id) {
            Ok(())
        } else {
            self.require(permission)
        }
    }
}
