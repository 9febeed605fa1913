//! Meeting requests (MQM requests) as stored and as the API shows them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::audit::AuditRecord;
use crate::i18n::Language;
use crate::leads::attribution::TouchAt;
use crate::workflow::state::RequestStatus;

#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRequest {
    pub id: String,
    pub lead_id: String,
    pub meeting_type_id: String,
    pub status: RequestStatus,
    pub notes: Option<String>,
    pub created_by: String,
    pub host_ids: Vec<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub attribution: Option<TouchAt>,
    /// What the prospect reads: the language they booked in, English otherwise.
    pub prospect_language: Language,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingRequestView {
    pub id: String,
    pub lead_id: String,
    pub meeting_type_id: String,
    #[schema(value_type = String, example = "pending_approval")]
    pub status: RequestStatus,
    pub notes: Option<String>,
    pub host_ids: Vec<String>,
    pub created_by: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub updated_at: NaiveDateTime,
    /// The touch (UTMs, referrer, landing page) that booked it; `null` when unknown.
    pub attribution: Option<TouchAt>,
}

impl From<&MeetingRequest> for MeetingRequestView {
    fn from(request: &MeetingRequest) -> Self {
        Self {
            id: request.id.clone(),
            lead_id: request.lead_id.clone(),
            meeting_type_id: request.meeting_type_id.clone(),
            status: request.status,
            notes: request.notes.clone(),
            host_ids: request.host_ids.clone(),
            created_by: request.created_by.clone(),
            created_at: request.created_at,
            updated_at: request.updated_at,
            attribution: request.attribution.clone(),
        }
    }
}

/// A request with its audit trail, oldest entry first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingRequestDetail {
    #[serde(flatten)]
    pub request: MeetingRequestView,
    pub audit: Vec<AuditRecord>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateMeetingRequest {
    #[schema(value_type = crate::http::schemas::Id)]
    pub lead_id: String,
    #[schema(value_type = crate::http::schemas::Id)]
    pub meeting_type_id: String,
    /// Hosts to ask for; the meeting type's hosts when absent.
    #[schema(value_type = Option<Vec<crate::http::schemas::Id>>, min_items = 1)]
    pub host_ids: Option<Vec<String>>,
    #[schema(value_type = Option<crate::http::schemas::Note>)]
    pub notes: Option<String>,
    /// A start time to schedule, or hold while approval is pending.
    #[schema(value_type = Option<crate::http::schemas::Instant>)]
    pub start: Option<String>,
    /// With a past `start`: record a meeting that already happened (admins and meeting
    /// managers); no invites, no availability check.
    pub log_past: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ApproveRequest {
    /// Hosts to assign instead of the requested ones.
    #[schema(value_type = Option<Vec<crate::http::schemas::Id>>, min_items = 1)]
    pub host_ids: Option<Vec<String>>,
    #[schema(value_type = Option<crate::http::schemas::Note>)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RejectRequest {
    /// Required.
    #[schema(value_type = Option<crate::http::schemas::Note>)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestFilter {
    /// Only requests in this status.
    #[param(value_type = Option<crate::workflow::requests::RequestStatusName>)]
    pub status: Option<String>,
}

crate::http::schemas::value_schema!(
    /// Where a meeting request is in the workflow.
    RequestStatusName => crate::http::schemas::one_of(crate::workflow::state::RequestStatus::ALL.map(|s| s.as_str()))
);
