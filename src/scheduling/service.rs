//! Creating and changing meeting types: checks that need the database (hosts, unique slug).

use crate::audit::Actor;
use crate::auth::roles::Role;
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::field_errors::FieldErrors;
use crate::scheduling::error::MeetingTypeError;
use crate::scheduling::meeting_types::{MeetingType, MeetingTypeSettings};
use crate::scheduling::repo;
use crate::state::AppState;
use crate::users;

/// Roles that can host meetings: executives, experts and reps are `host` users; managers and
/// admins may take meetings too. Marketers do not.
pub fn can_host(role: Role) -> bool {
    matches!(role, Role::Host | Role::MeetingManager | Role::Admin)
}

/// Every listed host exists, is active and can host.
pub fn check_hosts(
    conn: &mut DbConnection,
    host_ids: &[String],
) -> Result<Result<(), FieldErrors>, StoreError> {
    let mut errors = FieldErrors::new();
    for id in host_ids {
        let user = if crate::values::is_id(id) {
            users::repo::find(conn, id)?
        } else {
            None
        };
        match user {
            None => errors.add("host_ids", format!("{id} is not a user")),
            Some(user) if !user.active => {
                errors.add("host_ids", format!("{} is deactivated", user.email))
            }
            Some(user) if !can_host(user.role) => errors.add(
                "host_ids",
                format!("{} is a {} and cannot host meetings", user.email, user.role),
            ),
            Some(_) => {}
        }
    }
    Ok(if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    })
}

fn slug_taken(error: StoreError, slug: &str) -> MeetingTypeError {
    if error.is_unique_violation() {
        MeetingTypeError::SlugTaken(slug.to_owned())
    } else {
        MeetingTypeError::Store(error)
    }
}

pub async fn create(
    state: &AppState,
    settings: MeetingTypeSettings,
    actor: Actor,
) -> Result<MeetingType, MeetingTypeError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                check_hosts(conn, &settings.host_ids)??;
                repo::insert(conn, &settings, &actor, now)
                    .map_err(|e| slug_taken(e, &settings.slug))
            }))
        })
        .await?
}

pub async fn update(
    state: &AppState,
    existing: MeetingType,
    settings: MeetingTypeSettings,
    actor: Actor,
) -> Result<MeetingType, MeetingTypeError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                check_hosts(conn, &settings.host_ids)??;
                repo::update(conn, &existing, &settings, &actor, now)
                    .map_err(|e| slug_taken(e, &settings.slug))
            }))
        })
        .await?
}

pub async fn load(state: &AppState, id: String) -> Result<MeetingType, MeetingTypeError> {
    if !crate::values::is_id(&id) {
        return Err(MeetingTypeError::NotFound);
    }
    state
        .db
        .run(move |conn| repo::find(conn, &id))
        .await?
        .ok_or(MeetingTypeError::NotFound)
}
