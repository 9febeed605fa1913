//! A lead as `GET /api/v1/leads/{id}` shows it, and as its events carry it: the lead, the
//! reasons for its score, and its meeting requests.

use serde::Serialize;

use crate::db::{DbConnection, StoreError};
use crate::http::MAX_PAGE_SIZE;
use crate::leads::model::{Lead, LeadView};
use crate::leads::scoring::ScoreContribution;
use crate::workflow::repo::{self as requests_repo, Visibility};
use crate::workflow::requests::MeetingRequestView;

/// A lead with the reasons for its score.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LeadDetail {
    #[serde(flatten)]
    pub lead: LeadView,
    #[schema(value_type = Vec<Object>)]
    pub score_explanation: Vec<ScoreContribution>,
    pub meeting_requests: Vec<MeetingRequestView>,
}

impl LeadDetail {
    pub fn read(conn: &mut DbConnection, lead: &Lead) -> Result<Self, StoreError> {
        let requests = requests_repo::list(
            conn,
            None,
            Some(&lead.id),
            Visibility::All,
            None,
            MAX_PAGE_SIZE,
        )?;
        let mut view = LeadView::from(lead);
        view.crm = crate::crm::status::of_record(conn, "person", &lead.id)?;
        Ok(Self {
            score_explanation: lead.score_explanation.clone(),
            lead: view,
            meeting_requests: requests.iter().map(MeetingRequestView::from).collect(),
        })
    }
}
