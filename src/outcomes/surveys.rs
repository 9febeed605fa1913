//! Post-meeting surveys: single-use invitation tokens (stored only as hashes) and answers.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::tokens::{secret_token, sha256_hex};
use crate::db::schema::{
    meeting_requests, meeting_types, meetings, survey_invitations, survey_responses,
};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::events::{EventType, Publisher};
use crate::field_errors::FieldErrors;
use crate::outcomes::error::SurveyError;
use crate::values::{new_id, optional_multiline_text, Email};

/// How long a survey link can be answered.
pub const SURVEY_VALID_FOR: Duration = Duration::days(30);
pub const MAX_COMMENTS_CHARS: usize = 4000;
/// Tokens this service hands out are 43 characters; anything much longer is not one.
const MAX_TOKEN_LEN: usize = 64;

/// How ready the prospect says they are to buy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuyerIntent {
    None,
    Low,
    Medium,
    High,
}

impl BuyerIntent {
    pub const ALL: [BuyerIntent; 4] = [Self::None, Self::Low, Self::Medium, Self::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|intent| intent.as_str() == raw.trim())
            .ok_or_else(|| "must be none, low, medium or high".into())
    }
}

/// A survey answer as sent by an integration (JSON).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SurveyAnswerInput {
    /// 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "crate::http::numbers::whole")]
    pub rating: i64,
    #[schema(value_type = crate::outcomes::surveys::BuyerIntentName)]
    pub buyer_intent: String,
    #[schema(value_type = Option<crate::http::schemas::LongNote>)]
    pub comments: Option<String>,
}

/// An answer ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyAnswer {
    pub rating: i32,
    pub buyer_intent: BuyerIntent,
    pub comments: Option<String>,
}

impl SurveyAnswer {
    /// Parses the fields as given, whether from JSON or a form's text.
    pub fn parse(
        rating: Option<i64>,
        buyer_intent: &str,
        comments: Option<&str>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let rating = match rating {
            Some(rating @ 1..=5) => i32::try_from(rating).ok(),
            _ => {
                errors.add("rating", "must be a whole number from 1 to 5");
                None
            }
        };
        let buyer_intent = BuyerIntent::parse(buyer_intent)
            .map_err(|m| errors.add("buyer_intent", m))
            .ok();
        let comments = optional_multiline_text(comments, MAX_COMMENTS_CHARS)
            .map_err(|m| errors.add("comments", m))
            .ok()
            .flatten();
        match (rating, buyer_intent) {
            (Some(rating), Some(buyer_intent)) if errors.is_empty() => Ok(Self {
                rating,
                buyer_intent,
                comments,
            }),
            _ => Err(errors),
        }
    }
}

/// Creates a survey invitation for `recipient` about a meeting and returns its token, the only
/// time it exists in clear: only its SHA-256 hash is stored.
pub fn create_survey_invitation(
    conn: &mut DbConnection,
    meeting_id: &str,
    recipient: &Email,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = secret_token();
    diesel::insert_into(survey_invitations::table)
        .values((
            survey_invitations::id.eq(new_id()),
            survey_invitations::meeting_id.eq(meeting_id),
            survey_invitations::recipient.eq(recipient.as_str()),
            survey_invitations::token_hash.eq(sha256_hex(&token)),
            survey_invitations::expires_at.eq((now + SURVEY_VALID_FOR).naive_utc()),
            survey_invitations::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// An invitation that may still be answered, with what the form shows about its meeting.
#[derive(Debug, Clone)]
pub struct OpenSurvey {
    pub invitation_id: String,
    pub meeting_id: String,
    pub meeting_name: String,
    pub meeting_start: NaiveDateTime,
}

/// The invitation behind `token`, unless it is unknown, already answered or expired.
pub fn open(
    conn: &mut DbConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<OpenSurvey, SurveyError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(SurveyError::UnknownLink);
    }
    let found: Option<(String, String, NaiveDateTime, String, NaiveDateTime)> =
        survey_invitations::table
            .inner_join(
                meetings::table
                    .inner_join(meeting_requests::table.inner_join(meeting_types::table)),
            )
            .filter(survey_invitations::token_hash.eq(sha256_hex(token)))
            .select((
                survey_invitations::id,
                survey_invitations::meeting_id,
                survey_invitations::expires_at,
                meeting_types::name,
                meetings::start_utc,
            ))
            .first(conn)
            .optional()?;
    let (invitation_id, meeting_id, expires_at, meeting_name, meeting_start) =
        found.ok_or(SurveyError::UnknownLink)?;
    let answered = survey_responses::table
        .find(&invitation_id)
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if answered {
        return Err(SurveyError::Answered);
    }
    if expires_at <= now.naive_utc() {
        return Err(SurveyError::Expired);
    }
    Ok(OpenSurvey {
        invitation_id,
        meeting_id,
        meeting_name,
        meeting_start,
    })
}

/// Stores the answer once and publishes `survey.answered`, in one transaction; a second answer
/// (even a concurrent one) is refused as already answered.
pub fn answer(
    conn: &mut DbConnection,
    publisher: &Publisher,
    token: &str,
    answer: &SurveyAnswer,
    now: DateTime<Utc>,
) -> Result<OpenSurvey, SurveyError> {
    write_transaction(conn, |conn| {
        let survey = open(conn, token, now)?;
        let inserted = diesel::insert_into(survey_responses::table)
            .values((
                survey_responses::invitation_id.eq(&survey.invitation_id),
                survey_responses::meeting_id.eq(&survey.meeting_id),
                survey_responses::rating.eq(answer.rating),
                survey_responses::buyer_intent.eq(answer.buyer_intent.as_str()),
                survey_responses::comments.eq(answer.comments.as_deref()),
                survey_responses::answered_at.eq(now.naive_utc()),
            ))
            .execute(conn)
            .map_err(StoreError::from);
        match inserted {
            Ok(_) => {}
            Err(e) if e.is_unique_violation() => return Err(SurveyError::Answered),
            Err(e) => return Err(e.into()),
        }
        let lead_id = crate::meetings::find(conn, &survey.meeting_id)?
            .map(|managed| managed.lead.id)
            .unwrap_or_default();
        let data = SurveyAnswered {
            id: &survey.invitation_id,
            meeting_id: &survey.meeting_id,
            lead_id: &lead_id,
            rating: answer.rating,
            buyer_intent: answer.buyer_intent.as_str(),
            comments: answer.comments.as_deref(),
            answered_at: now,
        };
        publisher.publish(
            conn,
            EventType::SurveyAnswered,
            &survey.invitation_id,
            &data,
            now,
        )?;
        Ok(survey)
    })
}

/// The `data` of `survey.answered`.
#[derive(Serialize)]
struct SurveyAnswered<'a> {
    id: &'a str,
    meeting_id: &'a str,
    lead_id: &'a str,
    rating: i32,
    buyer_intent: &'static str,
    comments: Option<&'a str>,
    answered_at: DateTime<Utc>,
}

crate::http::schemas::value_schema!(
    /// How ready the prospect says they are to buy.
    BuyerIntentName => crate::http::schemas::one_of(crate::outcomes::surveys::BuyerIntent::ALL.map(|s| s.as_str()))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_from_their_fields() {
        let answer = SurveyAnswer::parse(Some(4), "high", Some("  Great demo ")).unwrap();
        assert_eq!(answer.rating, 4);
        assert_eq!(answer.buyer_intent, BuyerIntent::High);
        assert_eq!(answer.comments.as_deref(), Some("Great demo"));
        assert_eq!(
            SurveyAnswer::parse(Some(1), "none", Some(" "))
                .unwrap()
                .comments,
            None
        );
    }

    #[test]
    fn ratings_outside_one_to_five_and_unknown_intents_are_refused() {
        for rating in [None, Some(0), Some(6), Some(-1)] {
            let errors = SurveyAnswer::parse(rating, "low", None).unwrap_err();
            assert_eq!(errors.fields().next().map(|(f, _)| f), Some("rating"));
        }
        let errors = SurveyAnswer::parse(Some(3), "maybe", None).unwrap_err();
        assert_eq!(errors.fields().next().map(|(f, _)| f), Some("buyer_intent"));
    }
}
