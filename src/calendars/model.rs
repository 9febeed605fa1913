//! Calendar connections as stored and as shown. Tokens stay in the row, sealed; the views
//! that leave the server never carry them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::Provider;
use crate::db::schema::calendar_connections;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionStatus {
    /// Waiting for the user to finish at the provider.
    Pending,
    Active,
    /// The provider no longer accepts the grant: the user must connect again.
    Error,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "pending",
            ConnectionStatus::Active => "active",
            ConnectionStatus::Error => "error",
        }
    }

    pub fn parse(raw: &str) -> Self {
        match raw {
            "active" => ConnectionStatus::Active,
            "error" => ConnectionStatus::Error,
            _ => ConnectionStatus::Pending,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_connections)]
pub struct ConnectionRow {
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub status: String,
    pub account_email: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub access_expires_at: Option<NaiveDateTime>,
    pub scopes: String,
    pub last_synced_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub busy_from: Option<NaiveDateTime>,
    pub busy_to: Option<NaiveDateTime>,
    pub busy_read_at: Option<NaiveDateTime>,
    pub read_error: Option<String>,
    pub alerted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ConnectionRow {
    pub fn provider(&self) -> Provider {
        self.provider.parse().unwrap_or(Provider::Google)
    }

    pub fn status(&self) -> ConnectionStatus {
        ConnectionStatus::parse(&self.status)
    }

    /// Whether the calendar was ever connected: it has a grant to read with.
    pub fn has_grant(&self) -> bool {
        self.refresh_token.is_some()
    }

    pub fn view(&self) -> ConnectionView {
        ConnectionView {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            provider: self.provider(),
            status: self.status(),
            account_email: self.account_email.clone(),
            last_synced_at: self.last_synced_at,
            last_error: self.last_error.clone(),
            created_at: self.created_at,
        }
    }
}

/// A connection as the API and the admin UI show it: never a token.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub id: String,
    pub user_id: String,
    pub provider: Provider,
    pub status: ConnectionStatus,
    pub account_email: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_optional_utc")]
    pub last_synced_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub created_at: NaiveDateTime,
}

/// `POST /api/v1/calendar-connections`: the connection and where to send the user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StartedConnection {
    #[serde(flatten)]
    pub connection: ConnectionView,
    /// The provider's authorize URL with `state` and the PKCE challenge.
    pub authorization_url: String,
}
