//! Users: the people on our side (admins, meeting managers, marketers, hosts).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::roles::Role;
use crate::db::schema::users;
use crate::db::StoreError;
use crate::field_errors::FieldErrors;
use crate::scheduling::working_hours::WeeklyHours;
use crate::values::{optional_text, required_text, Email, TimeZone};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TITLE_CHARS: usize = 200;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub title: Option<String>,
    pub timezone: String,
    pub working_hours: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub title: Option<String>,
    pub timezone: TimeZone,
    pub working_hours: WeeklyHours,
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let corrupt = |what: String| StoreError::Corrupt(format!("user {}: {what}", row.id));
        let role = row.role.parse().map_err(corrupt)?;
        let timezone = TimeZone::parse(&row.timezone).map_err(corrupt)?;
        let hours_json: serde_json::Value =
            serde_json::from_str(&row.working_hours).map_err(|e| corrupt(e.to_string()))?;
        let working_hours = WeeklyHours::from_json(&hours_json)
            .map_err(|_| corrupt("working hours are malformed".into()))?;
        Ok(Self {
            id: row.id,
            email: row.email,
            name: row.name,
            role,
            title: row.title,
            timezone,
            working_hours,
            password_hash: row.password_hash,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A user as the API shows it: never the password hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub title: Option<String>,
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    #[schema(value_type = Object, example = json!({"mon": [["09:00", "17:00"]]}))]
    pub working_hours: serde_json::Value,
    pub active: bool,
    pub can_sign_in: bool,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub updated_at: NaiveDateTime,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            title: user.title.clone(),
            timezone: user.timezone.name().to_owned(),
            working_hours: user.working_hours.to_json(),
            active: user.active,
            can_sign_in: user.password_hash.is_some(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateUserRequest {
    #[schema(value_type = crate::http::schemas::EmailAddress)]
    pub email: String,
    #[schema(value_type = crate::http::schemas::Name)]
    pub name: String,
    #[schema(value_type = Role)]
    pub role: String,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub title: Option<String>,
    /// UTC when absent.
    #[schema(value_type = Option<crate::http::schemas::IanaTimeZone>)]
    pub timezone: Option<String>,
    /// Mon–Fri 09:00–17:00 when absent.
    #[schema(value_type = Option<crate::http::schemas::WorkingHours>)]
    pub working_hours: Option<serde_json::Value>,
}

/// Every field optional; an empty `title` clears it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateUserRequest {
    #[schema(value_type = Option<crate::http::schemas::EmailAddress>)]
    pub email: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub title: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::IanaTimeZone>)]
    pub timezone: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::WorkingHours>)]
    pub working_hours: Option<serde_json::Value>,
    pub active: Option<bool>,
}

/// A validated new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub title: Option<String>,
    pub timezone: TimeZone,
    pub working_hours: WeeklyHours,
}

/// A validated change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<Email>,
    pub name: Option<String>,
    pub role: Option<Role>,
    pub title: Option<Option<String>>,
    pub timezone: Option<TimeZone>,
    pub working_hours: Option<WeeklyHours>,
    pub active: Option<bool>,
}

impl UserChanges {
    /// Whether the change touches what only an admin may change.
    pub fn needs_admin(&self) -> bool {
        self.role.is_some() || self.active.is_some() || self.email.is_some()
    }
}

const DEFAULT_TIMEZONE: &str = "UTC";

impl CreateUserRequest {
    pub fn parse(&self) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(&self.email)
            .map_err(|m| errors.add("email", m))
            .ok();
        let name = required_text(&self.name, MAX_NAME_CHARS)
            .map_err(|m| errors.add("name", m))
            .ok();
        let role = self
            .role
            .parse::<Role>()
            .map_err(|m| errors.add("role", m))
            .ok();
        let title = optional_text(self.title.as_deref(), MAX_TITLE_CHARS)
            .map_err(|m| errors.add("title", m))
            .ok()
            .flatten();
        let timezone = TimeZone::parse(self.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE))
            .map_err(|m| errors.add("timezone", m))
            .ok();
        let working_hours = match &self.working_hours {
            None | Some(serde_json::Value::Null) => Some(WeeklyHours::standard()),
            Some(value) => parse_hours(value, &mut errors),
        };
        match (email, name, role, timezone, working_hours) {
            (Some(email), Some(name), Some(role), Some(timezone), Some(working_hours))
                if errors.is_empty() =>
            {
                Ok(NewUser {
                    email,
                    name,
                    role,
                    title,
                    timezone,
                    working_hours,
                })
            }
            _ => Err(errors),
        }
    }
}

impl UpdateUserRequest {
    pub fn parse(&self) -> Result<UserChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut changes = UserChanges {
            active: self.active,
            ..UserChanges::default()
        };
        if let Some(email) = &self.email {
            changes.email = Email::parse(email).map_err(|m| errors.add("email", m)).ok();
        }
        if let Some(name) = &self.name {
            changes.name = required_text(name, MAX_NAME_CHARS)
                .map_err(|m| errors.add("name", m))
                .ok();
        }
        if let Some(role) = &self.role {
            changes.role = role.parse().map_err(|m| errors.add("role", m)).ok();
        }
        if let Some(title) = &self.title {
            changes.title = optional_text(Some(title), MAX_TITLE_CHARS)
                .map_err(|m| errors.add("title", m))
                .ok();
        }
        if let Some(timezone) = &self.timezone {
            changes.timezone = TimeZone::parse(timezone)
                .map_err(|m| errors.add("timezone", m))
                .ok();
        }
        if let Some(value) = &self.working_hours {
            changes.working_hours = parse_hours(value, &mut errors);
        }
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }
}

fn parse_hours(value: &serde_json::Value, errors: &mut FieldErrors) -> Option<WeeklyHours> {
    WeeklyHours::from_json(value)
        .map_err(|problems| {
            for (day, message) in problems {
                let field = if day.is_empty() {
                    "working_hours".to_owned()
                } else {
                    format!("working_hours.{day}")
                };
                errors.add(field, message);
            }
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateUserRequest {
        CreateUserRequest {
            email: "Exec@Example.com".into(),
            name: "Dana Exec".into(),
            role: "host".into(),
            title: Some("VP Sales".into()),
            timezone: Some("Europe/Berlin".into()),
            working_hours: None,
        }
    }

    #[test]
    fn valid_request_parses_with_standard_hours() {
        let user = request().parse().unwrap();
        assert_eq!(user.email.as_str(), "exec@example.com");
        assert_eq!(user.working_hours, WeeklyHours::standard());
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = CreateUserRequest {
            email: "nope".into(),
            name: " ".into(),
            role: "boss".into(),
            title: None,
            timezone: Some("Moon/Base".into()),
            working_hours: Some(serde_json::json!({"mon": "all day"})),
        };
        let errors = bad.parse().unwrap_err();
        let fields: Vec<&str> = errors.fields().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            ["email", "name", "role", "timezone", "working_hours.mon"]
        );
    }
}
