//! Booking links: shareable, unguessable URLs where a prospect picks a time for a meeting type.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::tokens::random_token;
use crate::booking::error::BookingError;
use crate::db::schema::booking_links;
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::field_errors::FieldErrors;
use crate::notifications::messages::{Addressee, Composer};
use crate::notifications::outbox;
use crate::values::new_id;

/// 18 random bytes: 144 bits, URL-safe in 24 characters.
const SLUG_BYTES: usize = 18;
const _: () = assert!(
    SLUG_BYTES * 8 >= 128,
    "booking link slugs carry at least 128 bits"
);

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = booking_links)]
pub struct BookingLink {
    pub id: String,
    pub slug: String,
    pub meeting_type_id: String,
    pub lead_id: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub active: bool,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// Why a link can no longer be booked through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unbookable {
    Deactivated,
    Expired,
    UsedUp,
}

impl Unbookable {
    pub fn explain(self) -> &'static str {
        match self {
            Unbookable::Deactivated => "this booking link has been turned off",
            Unbookable::Expired => "this booking link has expired",
            Unbookable::UsedUp => "this booking link has been used as often as it allows",
        }
    }
}

impl BookingLink {
    pub fn bookable(&self, now: DateTime<Utc>) -> Result<(), Unbookable> {
        if !self.active {
            Err(Unbookable::Deactivated)
        } else if self.expires_at.is_some_and(|at| at <= now.naive_utc()) {
            Err(Unbookable::Expired)
        } else if self.max_uses.is_some_and(|max| self.uses >= max) {
            Err(Unbookable::UsedUp)
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookingLinkView {
    pub id: String,
    pub slug: String,
    /// `{public_url}/book/{slug}`: the address to share.
    pub url: String,
    pub meeting_type_id: String,
    pub lead_id: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_optional_utc")]
    pub expires_at: Option<NaiveDateTime>,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub created_at: NaiveDateTime,
}

impl BookingLinkView {
    pub fn new(link: &BookingLink, public_base: &str) -> Self {
        Self {
            id: link.id.clone(),
            slug: link.slug.clone(),
            url: format!("{public_base}/book/{}", link.slug),
            meeting_type_id: link.meeting_type_id.clone(),
            lead_id: link.lead_id.clone(),
            expires_at: link.expires_at,
            max_uses: link.max_uses,
            uses: link.uses,
            active: link.active,
            created_at: link.created_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateBookingLink {
    /// An active meeting type.
    #[schema(value_type = crate::http::schemas::Id)]
    pub meeting_type_id: String,
    /// Ties the link to one lead: bookings through it update that lead.
    #[schema(value_type = Option<crate::http::schemas::Id>)]
    pub lead_id: Option<String>,
    /// In the future; the link stops working then.
    #[schema(value_type = Option<crate::http::schemas::Instant>)]
    pub expires_at: Option<String>,
    #[schema(minimum = 1, maximum = 100000)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub max_uses: Option<i32>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct UpdateBookingLink {
    pub active: bool,
}

pub struct NewLink<'a> {
    pub meeting_type_id: &'a str,
    pub lead_id: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i32>,
}

pub fn insert(
    conn: &mut DbConnection,
    new: &NewLink<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<BookingLink, StoreError> {
    let id = new_id();
    diesel::insert_into(booking_links::table)
        .values((
            booking_links::id.eq(&id),
            booking_links::slug.eq(random_token(SLUG_BYTES)),
            booking_links::meeting_type_id.eq(new.meeting_type_id),
            booking_links::lead_id.eq(new.lead_id),
            booking_links::expires_at.eq(new.expires_at.map(|at| at.naive_utc())),
            booking_links::max_uses.eq(new.max_uses),
            booking_links::uses.eq(0),
            booking_links::active.eq(true),
            booking_links::created_by.eq(actor.label()),
            booking_links::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: "booking_link.created",
            entity_type: "booking_link",
            entity_id: &id,
            from_status: None,
            to_status: None,
            note: None,
        },
        now,
    )?;
    find(conn, &id)?
        .ok_or_else(|| StoreError::Corrupt(format!("booking link {id} vanished after insert")))
}

/// Creates a link to an active meeting type, tied to a lead that exists when one is named.
pub fn create(
    conn: &mut DbConnection,
    new: &NewLink<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<BookingLink, BookingError> {
    write_transaction(conn, |conn| {
        crate::scheduling::repo::find(conn, new.meeting_type_id)?
            .filter(|meeting_type| meeting_type.active)
            .ok_or_else(|| {
                BookingError::Invalid(FieldErrors::single(
                    "meeting_type_id",
                    "is not an active meeting type",
                ))
            })?;
        if let Some(lead_id) = new.lead_id {
            crate::leads::repo::find(conn, lead_id)?.ok_or_else(|| {
                BookingError::Invalid(FieldErrors::single("lead_id", "is not a known lead"))
            })?;
        }
        Ok(insert(conn, new, actor, now)?)
    })
}

/// The address of `link`, with the lead's name and email filled in when it is theirs.
pub fn url_for(
    link: &BookingLink,
    public_base: &str,
    lead: Option<&crate::leads::model::Lead>,
) -> String {
    let url = format!("{public_base}/book/{}", link.slug);
    match lead {
        Some(lead) => format!(
            "{url}?{}",
            serde_urlencoded::to_string([("name", &lead.name), ("email", &lead.email)])
                .unwrap_or_default()
        ),
        None => url,
    }
}

/// Emails the lead a link is tied to its address, in one transaction with the audit row; the
/// link must still be bookable.
pub fn email_to_lead(
    conn: &mut DbConnection,
    id: &str,
    composer: &Composer,
    sender_name: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<BookingLink, BookingError> {
    write_transaction(conn, |conn| {
        let link = find(conn, id)?.ok_or(BookingError::UnknownLink)?;
        link.bookable(now)
            .map_err(|refusal| BookingError::LinkClosed(refusal.explain()))?;
        let lead_id = link.lead_id.as_deref().ok_or_else(|| {
            BookingError::Invalid(FieldErrors::single(
                "lead_id",
                "this link is for anyone, not for one lead: there is nobody to email it to",
            ))
        })?;
        let lead = crate::leads::repo::find(conn, lead_id)?.ok_or_else(|| {
            BookingError::Invalid(FieldErrors::single("lead_id", "is not a known lead"))
        })?;
        let meeting_type =
            crate::scheduling::repo::find(conn, &link.meeting_type_id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("booking link {id} names no meeting type"))
            })?;
        let sending_id = new_id();
        let language = crate::workflow::repo::last_prospect_language(conn, &lead.id)?;
        let to = Addressee {
            lead: &lead,
            language,
        };
        let email = composer
            .booking_link(
                to,
                &meeting_type,
                sender_name,
                url_for(&link, &composer.public_base, Some(&lead)),
                &sending_id,
                now,
            )
            .map_err(|e| StoreError::Corrupt(format!("booking link email: {e}")))?;
        outbox::enqueue(conn, &email, now)?;
        audit::record(
            conn,
            AuditEntry {
                actor,
                action: "booking_link.emailed",
                entity_type: "booking_link",
                entity_id: id,
                from_status: None,
                to_status: None,
                note: Some(&lead.email),
            },
            now,
        )?;
        Ok(link)
    })
}

/// The links tied to lead `lead_id`, newest first.
pub fn list_for_lead(
    conn: &mut DbConnection,
    lead_id: &str,
) -> Result<Vec<BookingLink>, StoreError> {
    Ok(booking_links::table
        .filter(booking_links::lead_id.eq(lead_id))
        .select(BookingLink::as_select())
        .order((booking_links::created_at.desc(), booking_links::id.desc()))
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<BookingLink>, StoreError> {
    Ok(booking_links::table
        .find(id)
        .select(BookingLink::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_slug(
    conn: &mut DbConnection,
    slug: &str,
) -> Result<Option<BookingLink>, StoreError> {
    // The slug is unique. `first` would add a bound `LIMIT ?`, for which SQLite prepares the
    // statement again on every run.
    Ok(booking_links::table
        .filter(booking_links::slug.eq(slug))
        .select(BookingLink::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn list(
    conn: &mut DbConnection,
    meeting_type_id: Option<&str>,
) -> Result<Vec<BookingLink>, StoreError> {
    let mut query = booking_links::table
        .select(BookingLink::as_select())
        .into_boxed();
    if let Some(type_id) = meeting_type_id {
        query = query.filter(booking_links::meeting_type_id.eq(type_id.to_owned()));
    }
    Ok(query
        .order((booking_links::created_at.desc(), booking_links::id.desc()))
        .load(conn)?)
}

pub fn set_active(
    conn: &mut DbConnection,
    id: &str,
    active: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<BookingLink>, StoreError> {
    let changed = diesel::update(booking_links::table.find(id))
        .set(booking_links::active.eq(active))
        .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: if active {
                "booking_link.activated"
            } else {
                "booking_link.deactivated"
            },
            entity_type: "booking_link",
            entity_id: id,
            from_status: None,
            to_status: None,
            note: None,
        },
        now,
    )?;
    find(conn, id)
}

/// Counts one booking against the link, only while it still has uses left; `false` when it
/// had none (a concurrent booking took the last one).
pub fn take_use(conn: &mut DbConnection, link: &BookingLink) -> Result<bool, StoreError> {
    let mut update =
        diesel::update(booking_links::table.filter(booking_links::id.eq(&link.id))).into_boxed();
    if let Some(max) = link.max_uses {
        update = update.filter(booking_links::uses.lt(max));
    }
    Ok(update
        .set(booking_links::uses.eq(booking_links::uses + 1))
        .execute(conn)?
        == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn link() -> BookingLink {
        BookingLink {
            id: "l".into(),
            slug: random_token(SLUG_BYTES),
            meeting_type_id: "t".into(),
            lead_id: None,
            expires_at: None,
            max_uses: None,
            uses: 0,
            active: true,
            created_by: "system".into(),
            created_at: Utc::now().naive_utc(),
        }
    }

    #[test]
    fn slugs_carry_at_least_128_bits() {
        assert_eq!(link().slug.len(), 24);
    }

    #[test]
    fn links_stop_when_off_expired_or_used_up() {
        let now = Utc::now();
        assert_eq!(link().bookable(now), Ok(()));
        assert_eq!(
            BookingLink {
                active: false,
                ..link()
            }
            .bookable(now),
            Err(Unbookable::Deactivated)
        );
        let expired = BookingLink {
            expires_at: Some((now - Duration::seconds(1)).naive_utc()),
            ..link()
        };
        assert_eq!(expired.bookable(now), Err(Unbookable::Expired));
        assert_eq!(
            BookingLink {
                max_uses: Some(2),
                uses: 2,
                ..link()
            }
            .bookable(now),
            Err(Unbookable::UsedUp)
        );
        assert_eq!(
            BookingLink {
                max_uses: Some(2),
                uses: 1,
                ..link()
            }
            .bookable(now),
            Ok(())
        );
    }
}
