//! The `meeting_request.*` events: the request as `GET /api/v1/meeting-requests/{id}`
//! answers, audit trail included, published in the transaction that changed it.

use chrono::{DateTime, Utc};

use crate::db::DbConnection;
use crate::events::{EventType, PublishError, Publisher};
use crate::workflow::repo;
use crate::workflow::requests::{MeetingRequestDetail, MeetingRequestView};

pub fn publish(
    conn: &mut DbConnection,
    publisher: &Publisher,
    event_type: EventType,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<(), PublishError> {
    let Some(request) = repo::find(conn, request_id)? else {
        return Ok(());
    };
    let detail = MeetingRequestDetail {
        request: MeetingRequestView::from(&request),
        audit: crate::audit::trail(conn, "meeting_request", request_id)?,
    };
    publisher.publish(conn, event_type, request_id, &detail, now)?;
    Ok(())
}
