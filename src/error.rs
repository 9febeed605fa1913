//! The HTTP-facing error type and its one mapping to RFC 9457 problem documents (JSON API) or
//! an HTML error page (browser routes).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

use crate::auth::passwords::PasswordError;
use crate::auth::sso::error::{OidcError, SsoError};
use crate::auth::Denied;
use crate::booking::error::BookingError;
use crate::booking::rules::{LimitReached, LiveBookingLimit, MeetingStarted};
use crate::calendars::error::{ConnectError, SetupError};
use crate::db::StoreError;
use crate::field_errors::FieldErrors;
use crate::leads::error::LeadStoreError;
use crate::meetings::error::MeetingError;
use crate::outcomes::error::{OutcomeError, SurveyError};
use crate::scheduling::error::MeetingTypeError;
use crate::users::error::{
    ActivationError, CreateUserError, InviteError, PasswordLinkError, SetPasswordError,
};
use crate::users::repo::UserStoreError;
use crate::workflow::error::RequestError;
use crate::workflow::repo::TransitionError;
use crate::workflow::state::IllegalTransition;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the request has invalid fields")]
    Validation(FieldErrors),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// A conflict whose problem type, `/problems/{kind}`, lets clients tell it from others.
    #[error("{detail}")]
    ConflictOf {
        kind: &'static str,
        title: &'static str,
        detail: String,
    },
    #[error("{0}")]
    Gone(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many requests; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A sign-in through the identity provider that cannot complete (unknown or reused state,
    /// a token that fails its checks); the text says why and what to do.
    #[error("{0}")]
    SignInFailed(String),
    /// A sign-in the provider vouched for that Convene does not let in.
    #[error("{0}")]
    SignInRefused(String),
    /// A provider Convene depends on (a calendar's OAuth server) failed; the text says which.
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        Self::Validation(errors)
    }
}

impl From<MeetingStarted> for AppError {
    fn from(refusal: MeetingStarted) -> Self {
        Self::ConflictOf {
            kind: "meeting-started",
            title: "The meeting has already started",
            detail: refusal.to_string(),
        }
    }
}

impl From<MeetingError> for AppError {
    fn from(error: MeetingError) -> Self {
        use MeetingError as E;
        match error {
            E::UnknownManageLink => Self::NotFound(error.to_string()),
            E::SlotTaken
            | E::TimeNotFree
            | E::HostsNotFree
            | E::AlreadyThere
            | E::WrongStatus(_)
            | E::ChangedMeanwhile(_) => Self::Conflict(error.to_string()),
            E::Started(refusal) => refusal.into(),
            E::Illegal(illegal) => Self::Conflict(illegal.to_string()),
            E::Request(refusal) => refusal.into(),
            E::Publish(failure) => failure.into(),
            E::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<BookingError> for AppError {
    fn from(error: BookingError) -> Self {
        use BookingError as E;
        match error {
            E::UnknownLink => Self::NotFound(error.to_string()),
            E::LinkClosed(_) | E::LinkUsedUp => Self::Gone(error.to_string()),
            E::Invalid(fields) => Self::Validation(fields),
            E::SlotTaken => Self::Conflict(error.to_string()),
            E::Unqualified { .. } => Self::Forbidden(error.to_string()),
            E::Limit(refusal) => refusal.into(),
            E::Meeting(refusal) => refusal.into(),
            E::Illegal(illegal) => illegal.into(),
            E::Lead(failure) => failure.into(),
            E::Request(refusal) => refusal.into(),
            E::Publish(failure) => failure.into(),
            E::Encoding(_) => Self::Internal(error.to_string()),
            E::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<RequestError> for AppError {
    fn from(error: RequestError) -> Self {
        use RequestError as E;
        match error {
            E::NotFound | E::Missing(_) => Self::NotFound(error.to_string()),
            E::Invalid(fields) => Self::Validation(fields),
            E::MayNotLogPast | E::Unqualified { .. } => Self::Forbidden(error.to_string()),
            E::SlotTaken | E::HostsNotFreeAtHeldTime | E::AlreadyScheduled => {
                Self::Conflict(error.to_string())
            }
            E::Illegal(illegal) => illegal.into(),
            E::Transition(refusal) => refusal.into(),
            E::Meeting(refusal) => refusal.into(),
            E::Publish(failure) => failure.into(),
            E::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<Denied> for AppError {
    fn from(denied: Denied) -> Self {
        Self::Forbidden(denied.to_string())
    }
}

impl From<OutcomeError> for AppError {
    fn from(error: OutcomeError) -> Self {
        use OutcomeError as E;
        match error {
            E::UnknownMeeting => Self::NotFound(error.to_string()),
            E::Denied(denied) => denied.into(),
            E::NotTheirMeeting => Self::Forbidden(error.to_string()),
            E::NotStarted | E::AwaitingApproval | E::NothingToRecord(_) => {
                Self::Conflict(error.to_string())
            }
            E::Meeting(refusal) => refusal.into(),
            E::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<MeetingTypeError> for AppError {
    fn from(error: MeetingTypeError) -> Self {
        match error {
            MeetingTypeError::NotFound => Self::NotFound(error.to_string()),
            MeetingTypeError::SlugTaken(_) => Self::Conflict(error.to_string()),
            MeetingTypeError::Invalid(fields) => Self::Validation(fields),
            MeetingTypeError::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<LeadStoreError> for AppError {
    fn from(error: LeadStoreError) -> Self {
        match error {
            LeadStoreError::Conflict(message) => Self::Conflict(message),
            LeadStoreError::Store(failure) => Self::Store(failure),
            LeadStoreError::Publish(failure) => failure.into(),
        }
    }
}

impl From<UserStoreError> for AppError {
    fn from(error: UserStoreError) -> Self {
        match error {
            UserStoreError::DuplicateEmail(_) => Self::Conflict(error.to_string()),
            UserStoreError::NotFound => Self::NotFound("no user with that id".into()),
            UserStoreError::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<CreateUserError> for AppError {
    fn from(error: CreateUserError) -> Self {
        match error {
            CreateUserError::Password(PasswordError::Length) => {
                Self::validation("password", PasswordError::Length.to_string())
            }
            CreateUserError::Password(PasswordError::Hashing(_))
            | CreateUserError::HashingInterrupted => Self::Internal(error.to_string()),
            CreateUserError::Store(failure) => failure.into(),
        }
    }
}

impl From<PasswordLinkError> for AppError {
    fn from(error: PasswordLinkError) -> Self {
        match error {
            PasswordLinkError::Invalid => Self::NotFound(error.to_string()),
            PasswordLinkError::Expired => Self::Gone(error.to_string()),
            PasswordLinkError::Email(_) => Self::Internal(error.to_string()),
            PasswordLinkError::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<SetPasswordError> for AppError {
    fn from(error: SetPasswordError) -> Self {
        match error {
            SetPasswordError::WrongCurrentPassword => {
                Self::validation("current_password", "is not your current password")
            }
            SetPasswordError::Password(PasswordError::Length) => {
                Self::validation("password", PasswordError::Length.to_string())
            }
            SetPasswordError::Password(PasswordError::Hashing(_))
            | SetPasswordError::HashingInterrupted => Self::Internal(error.to_string()),
            SetPasswordError::Link(failure) => failure.into(),
            SetPasswordError::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<ActivationError> for AppError {
    fn from(error: ActivationError) -> Self {
        match error {
            ActivationError::OwnAccount => Self::Conflict(error.to_string()),
            ActivationError::Store(failure) => failure.into(),
        }
    }
}

impl From<InviteError> for AppError {
    fn from(error: InviteError) -> Self {
        match error {
            InviteError::UnknownUser => Self::NotFound(error.to_string()),
            InviteError::Deactivated => Self::Conflict(error.to_string()),
            InviteError::Link(failure) => failure.into(),
            InviteError::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<crate::events::PublishError> for AppError {
    fn from(error: crate::events::PublishError) -> Self {
        match error {
            crate::events::PublishError::Store(failure) => Self::Store(failure),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::routing::error::RoutingError> for AppError {
    fn from(error: crate::routing::error::RoutingError) -> Self {
        use crate::routing::error::RoutingError as E;
        match error {
            E::Invalid(located) => {
                let mut errors = FieldErrors::new();
                for (at, message) in located.iter() {
                    errors.add(at, message);
                }
                Self::Validation(errors)
            }
            E::NotFound(message) => Self::NotFound(message.into()),
            E::SlugTaken(_) | E::Conflict(_) => Self::Conflict(error.to_string()),
            E::Illegal(illegal) => illegal.into(),
            E::Publish(failure) => failure.into(),
            E::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<crate::crm::error::CrmError> for AppError {
    fn from(error: crate::crm::error::CrmError) -> Self {
        use crate::crm::error::CrmError as E;
        match error {
            E::Off => Self::ConflictOf {
                kind: "crm-off",
                title: "No CRM is set up",
                detail: error.to_string(),
            },
            E::NotFound => Self::NotFound(error.to_string()),
            E::NotRetryable => Self::Conflict(error.to_string()),
            E::Crm(_) => Self::Upstream(error.to_string()),
            E::Invalid(errors) => Self::Validation(errors),
            E::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<LimitReached> for AppError {
    fn from(refusal: LimitReached) -> Self {
        Self::ConflictOf {
            kind: match refusal.limit {
                LiveBookingLimit::PerEmail => "booking-limit-per-email",
                LiveBookingLimit::PerEmailPerLink => "booking-limit-per-link",
            },
            title: "Booking limit reached",
            detail: refusal.to_string(),
        }
    }
}

impl From<TransitionError> for AppError {
    fn from(error: TransitionError) -> Self {
        match error {
            TransitionError::Changed(now) => AppError::Conflict(format!(
                "someone else acted on this request first; it is now {now}"
            )),
            TransitionError::NotFound => {
                AppError::NotFound("no meeting request with that id".into())
            }
            TransitionError::Store(e) => AppError::Store(e),
        }
    }
}

impl From<IllegalTransition> for AppError {
    fn from(error: IllegalTransition) -> Self {
        AppError::Conflict(error.to_string())
    }
}

impl From<SetupError> for AppError {
    fn from(error: SetupError) -> Self {
        match error {
            SetupError::NotConfigured => Self::validation("provider", error.to_string()),
            SetupError::OAuthClient { .. } => Self::Internal(error.to_string()),
        }
    }
}

impl From<SurveyError> for AppError {
    fn from(error: SurveyError) -> Self {
        match error {
            SurveyError::UnknownLink => Self::NotFound(error.to_string()),
            SurveyError::Answered => Self::Conflict(error.to_string()),
            SurveyError::Expired => Self::Gone(error.to_string()),
            SurveyError::Publish(failure) => failure.into(),
            SurveyError::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<ConnectError> for AppError {
    fn from(error: ConnectError) -> Self {
        use ConnectError as E;
        match error {
            E::UnknownUser | E::UnknownConnection => Self::NotFound(error.to_string()),
            E::InactiveUser => Self::Conflict(error.to_string()),
            E::NoState | E::NoCode | E::UnknownSignIn | E::Refused(_) => {
                Self::BadRequest(error.to_string())
            }
            E::ProviderUnavailable(message) => Self::Upstream(message),
            E::Setup(failure) => failure.into(),
            E::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<SsoError> for AppError {
    fn from(error: SsoError) -> Self {
        use SsoError as E;
        match error {
            E::NotConfigured => Self::NotFound(error.to_string()),
            E::Oidc(OidcError::ProviderUnavailable(_)) => Self::Upstream(
                "the identity provider could not be reached or answered unexpectedly; try again shortly"
                    .into(),
            ),
            E::UnknownSignIn
            | E::OtherBrowser
            | E::NoCode
            | E::ProviderDeclined(_)
            | E::Concurrent
            | E::Oidc(_) => Self::SignInFailed(error.to_string()),
            E::Refused(_) | E::Deactivated | E::PasswordSignInOff => {
                Self::SignInRefused(error.to_string())
            }
            E::Store(failure) => Self::Store(failure),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub errors: Option<FieldErrors>,
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::single(field, message))
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "Bad request"),
            Self::Validation(_) => ("validation-error", "Invalid request"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::ConflictOf { kind, title, .. } => (kind, title),
            Self::Gone(_) => ("gone", "No longer available"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "Request body too large"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::RateLimited { .. } => ("rate-limited", "Too many requests"),
            Self::SignInFailed(_) => ("sign-in-failed", "Sign-in failed"),
            Self::SignInRefused(_) => ("sign-in-refused", "Sign-in refused"),
            Self::Upstream(_) => ("bad-gateway", "A provider did not answer as expected"),
            Self::Store(StoreError::Unavailable(_)) => {
                ("service-unavailable", "Service temporarily unavailable")
            }
            Self::Store(e) if e.is_unique_violation() => ("conflict", "Conflict"),
            Self::Store(e) if e.is_unstorable_text() => ("bad-request", "Bad request"),
            Self::Store(_) | Self::Internal(_) => ("internal-error", "Internal server error"),
        }
    }

    /// What the client may read; server-side failures never leak their cause.
    fn public_detail(&self) -> String {
        match self {
            Self::Store(StoreError::Unavailable(_)) => {
                "the database is unreachable right now; try again shortly".into()
            }
            Self::Store(e) if e.is_unique_violation() => {
                "a record with these values already exists".into()
            }
            Self::Store(e) if e.is_unstorable_text() => {
                "the request contains a NUL character, which no field accepts".into()
            }
            Self::Store(_) | Self::Internal(_) => {
                "something went wrong on our side; it has been logged".into()
            }
            other => other.to_string(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        Problem {
            problem_type: format!("/problems/{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: self.public_detail(),
            errors: match self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        }
    }

    fn log_if_server_side(&self) {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }

    fn decorate(&self, response: &mut HttpResponse) {
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RateLimited { retry_after_secs } => {
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, value);
                }
            }
            _ => {}
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::ConflictOf { .. } => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::SignInFailed(_) => StatusCode::BAD_REQUEST,
            Self::SignInRefused(_) => StatusCode::FORBIDDEN,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(e) if e.is_unique_violation() => StatusCode::CONFLICT,
            Self::Store(e) if e.is_unstorable_text() => StatusCode::BAD_REQUEST,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log_if_server_side();
        let mut response = HttpResponse::build(self.status_code())
            .content_type("application/problem+json")
            .json(self.problem());
        self.decorate(&mut response);
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    status: u16,
    detail: &'a str,
    /// Where to go on from here: the admin UI for people working in it, nothing for prospects,
    /// who must not be sent to a sign-in page that is not theirs.
    home: Option<&'a str>,
}

/// The same failures as [`AppError`], shown to a person in a browser as a page.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageError(#[from] pub AppError);

/// Every error a service raises reaches a page the way it reaches the API.
macro_rules! page_error_from {
    ($($error:ty),+ $(,)?) => {
        $(impl From<$error> for PageError {
            fn from(error: $error) -> Self {
                Self(error.into())
            }
        })+
    };
}

page_error_from!(
    StoreError,
    ConnectError,
    FieldErrors,
    BookingError,
    RequestError,
    OutcomeError,
    MeetingError,
    MeetingTypeError,
    LeadStoreError,
    UserStoreError,
    CreateUserError,
    PasswordLinkError,
    SetPasswordError,
    InviteError,
    ActivationError,
    Denied,
    crate::routing::error::RoutingError,
);

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log_if_server_side();
        self.page(None)
    }
}

impl PageError {
    /// The same error page for someone working in the admin UI, with the way back to it.
    pub fn admin_page(&self) -> HttpResponse {
        self.page(Some("/admin"))
    }

    fn page(&self, home: Option<&str>) -> HttpResponse {
        let problem = self.0.problem();
        let page = ErrorPage {
            title: &problem.title,
            status: problem.status,
            detail: &problem.detail,
            home,
        };
        let mut response = match page.render() {
            Ok(html) => HttpResponse::build(self.status_code())
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(_) => HttpResponse::build(self.status_code())
                .content_type("text/plain; charset=utf-8")
                .body(problem.detail),
        };
        self.0.decorate(&mut response);
        response
    }
}

impl From<actix_web::error::JsonPayloadError> for AppError {
    fn from(error: actix_web::error::JsonPayloadError) -> Self {
        use actix_web::error::JsonPayloadError as E;
        match error {
            E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
                AppError::PayloadTooLarge { limit }
            }
            E::ContentType => {
                AppError::UnsupportedMediaType("send the body as application/json".into())
            }
            E::Deserialize(e) if e.is_data() => {
                AppError::Validation(FieldErrors::single("body", e.to_string()))
            }
            E::Deserialize(e) => AppError::BadRequest(format!("the body is not valid JSON: {e}")),
            other => AppError::BadRequest(format!("the body could not be read: {other}")),
        }
    }
}

impl From<actix_web::error::QueryPayloadError> for AppError {
    fn from(error: actix_web::error::QueryPayloadError) -> Self {
        AppError::Validation(FieldErrors::single("query", error.to_string()))
    }
}

/// Turns the JSON extractor's failures into problem documents.
pub fn json_error(error: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    AppError::from(error).into()
}

pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _: &HttpRequest,
) -> actix_web::Error {
    AppError::from(error).into()
}

pub fn path_error(_: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    AppError::NotFound(format!("nothing found at {}", req.path())).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_field_errors() {
        let mut errors = FieldErrors::new();
        errors.add("email", "is not an email address");
        errors.add("email", "is too long");
        let problem = AppError::Validation(errors).problem();
        assert_eq!(problem.status, 422);
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["errors"]["email"][1], "is too long");
        assert_eq!(json["type"], "/problems/validation-error");
    }

    #[test]
    fn an_unconfigured_calendar_provider_is_a_field_error() {
        let problem = AppError::from(SetupError::NotConfigured).problem();
        assert_eq!(problem.status, 422);
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            json["errors"]["provider"][0],
            "this calendar provider is not configured on this server (set its client_id, \
             client_secret and calendars.token_key)"
        );
    }

    #[test]
    fn calendar_connection_failures_keep_their_words() {
        for (failure, status) in [
            (ConnectError::UnknownConnection, 404),
            (ConnectError::InactiveUser, 409),
            (ConnectError::UnknownSignIn, 400),
            (
                ConnectError::Refused("access was declined at the provider".into()),
                400,
            ),
            (
                ConnectError::ProviderUnavailable("the provider could not be reached".into()),
                502,
            ),
        ] {
            let words = failure.to_string();
            let problem = AppError::from(failure).problem();
            assert_eq!((problem.status, problem.detail), (status, words));
        }
    }

    #[test]
    fn survey_refusals_are_client_errors_with_their_own_words() {
        for (refusal, status) in [
            (SurveyError::UnknownLink, 404),
            (SurveyError::Answered, 409),
            (SurveyError::Expired, 410),
        ] {
            let words = refusal.to_string();
            let problem = AppError::from(refusal).problem();
            assert_eq!((problem.status, problem.detail), (status, words));
        }
    }

    #[test]
    fn sign_in_failures_are_client_errors_that_keep_their_words() {
        use crate::auth::sso::error::{Refusal, TokenRejection};
        for (failure, status) in [
            (SsoError::UnknownSignIn, 400),
            (SsoError::OtherBrowser, 400),
            (
                SsoError::Oidc(OidcError::TokenRejected(TokenRejection::Expired)),
                400,
            ),
            (SsoError::Refused(Refusal::UnverifiedEmail), 403),
            (SsoError::Deactivated, 403),
            (SsoError::NotConfigured, 404),
        ] {
            let words = failure.to_string();
            let problem = AppError::from(failure).problem();
            assert_eq!((problem.status, problem.detail), (status, words));
        }
        let unreachable = AppError::from(SsoError::Oidc(OidcError::ProviderUnavailable(
            "connection refused to 10.0.0.7".into(),
        )))
        .problem();
        assert_eq!(unreachable.status, 502);
        assert!(!unreachable.detail.contains("10.0.0.7"));
    }

    #[test]
    fn server_side_failures_hide_their_cause() {
        let problem = AppError::Internal("secret table name".into()).problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("secret"));
    }
}
