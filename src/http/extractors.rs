//! Request extractors: the API caller and the API's bodies and queries, the signed-in admin
//! user, the CSRF token, the client IP, the language of a prospect's page.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::JsonBody;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;

use crate::audit::Actor;
use crate::auth::roles::Permission;
use crate::auth::sessions::{self, SESSION_COOKIE};
use crate::auth::tokens::constant_time_eq;
use crate::auth::{api_keys, Principal};
use crate::error::{AppError, PageError};
use crate::http::local_time::Viewer;
use crate::i18n::{Language, Texts};
use crate::state::AppState;
use crate::users::model::User;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state is missing".into()))
}

/// The caller of a `/api/v1` endpoint, authenticated by `Authorization: Bearer <api key>`.
pub struct ApiCaller(pub Principal);

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|key| key.trim().to_owned());
        let state = state(req);
        Box::pin(async move {
            let state = state?;
            let Some(key) = presented else {
                return Err(AppError::Unauthorized(
                    "send an API key as `Authorization: Bearer <key>`".into(),
                ));
            };
            let now = state.clock.now();
            let identity = state
                .db
                .run(move |conn| api_keys::authenticate(conn, &key, now))
                .await?;
            let identity = identity
                .ok_or_else(|| AppError::Unauthorized("the API key is not valid".into()))?;
            Ok(ApiCaller(Principal {
                actor: Actor::ApiKey(identity.id),
                role: identity.role,
                user_id: None,
            }))
        })
    }
}

/// The JSON body of a `/api/v1` request. What is wrong with it (400 unparsable, 413 too large,
/// 415 not JSON, 422 invalid) is told only when the handler takes it, after it has checked
/// the caller's permission: a caller that may not act learns 403 whatever it sent.
pub struct ApiJson<T>(Result<Option<T>, AppError>);

impl<T> ApiJson<T> {
    /// The body, which the request must carry.
    pub fn take(self) -> Result<T, AppError> {
        self.0?.ok_or_else(|| {
            AppError::UnsupportedMediaType("send the body as application/json".into())
        })
    }

    /// The body, or `None` when the request carries none.
    pub fn take_optional(self) -> Result<Option<T>, AppError> {
        self.0
    }
}

fn carries_body(req: &HttpRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::CONTENT_TYPE)
        || headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|length| length.trim() != "0")
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if !carries_body(req) {
            return Box::pin(ready(Ok(ApiJson(Ok(None)))));
        }
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(64 * 1024, |state| state.settings.server.max_body_bytes);
        let body = JsonBody::<T>::new(req, payload, None, true).limit(limit);
        Box::pin(async move { Ok(ApiJson(body.await.map(Some).map_err(AppError::from))) })
    }
}

/// The query string of a `/api/v1` request, read into `T`; like [`ApiJson`], a query that does
/// not fit (422) is told only after the handler has checked the caller's permission.
pub struct ApiQuery<T>(Result<T, AppError>);

impl<T> ApiQuery<T> {
    pub fn take(self) -> Result<T, AppError> {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let query = web::Query::<T>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .map_err(AppError::from);
        ready(Ok(ApiQuery(query)))
    }
}

/// A signed-in user of the admin UI. Without a session the browser is sent to the login page.
pub struct AdminSession {
    pub user: User,
    pub principal: Principal,
    /// The signed-in person, for showing times in their zone.
    pub viewer: Viewer,
    /// Requests waiting for a decision, for those who decide them (the navigation shows it).
    pub pending_approvals: Option<i64>,
}

/// Sends the browser to the login page, remembering where it wanted to go.
#[derive(Debug, thiserror::Error)]
#[error("sign-in required")]
pub struct LoginRequired {
    next: String,
}

impl ResponseError for LoginRequired {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        let target = format!(
            "/admin/login?{}",
            serde_urlencoded::to_string([("next", &self.next)]).unwrap_or_default()
        );
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, target))
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminSessionError {
    #[error(transparent)]
    LoginRequired(#[from] LoginRequired),
    #[error(transparent)]
    Page(#[from] PageError),
}

impl ResponseError for AdminSessionError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            Self::LoginRequired(e) => e.status_code(),
            Self::Page(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::LoginRequired(e) => e.error_response(),
            Self::Page(e) => e.error_response(),
        }
    }
}

impl FromRequest for AdminSession {
    type Error = AdminSessionError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let next = req
            .uri()
            .path_and_query()
            .map_or("/admin".to_owned(), |pq| pq.to_string());
        let state = state(req);
        Box::pin(async move {
            let state = state.map_err(PageError)?;
            let Some(token) = token else {
                return Err(LoginRequired { next }.into());
            };
            let now = state.clock.now();
            let idle = state.session_idle();
            let (user, pending_approvals) = state
                .db
                .run(move |conn| {
                    let user = sessions::resume(conn, &token, now, idle)?;
                    let decides = user
                        .as_ref()
                        .is_some_and(|user| user.role.allows(Permission::DecideMeetingRequests));
                    let pending = if decides {
                        Some(crate::workflow::queue::pending_count(conn)?)
                    } else {
                        None
                    };
                    Ok((user, pending))
                })
                .await
                .map_err(PageError::from)?;
            let Some(user) = user else {
                return Err(LoginRequired { next }.into());
            };
            let principal = Principal {
                actor: Actor::User(user.id.clone()),
                role: user.role,
                user_id: Some(user.id.clone()),
            };
            principal
                .require(Permission::UseAdminUi)
                .map_err(PageError::from)?;
            let viewer = Viewer::new(user.timezone, now);
            Ok(AdminSession {
                user,
                principal,
                viewer,
                pending_approvals,
            })
        })
    }
}

pub const CSRF_COOKIE: &str = "convene_csrf";
pub const CSRF_FIELD: &str = "csrf_token";

/// The CSRF token of this browser for the page being rendered: the one in its cookie, or a new
/// one that the CSRF middleware then sets as the cookie.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// A token minted for a browser without a CSRF cookie, for the middleware to set.
#[derive(Debug, Clone)]
pub struct MintedCsrfToken(pub String);

impl FromRequest for CsrfToken {
    type Error = PageError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let existing = req
            .cookie(CSRF_COOKIE)
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| value.len() >= 43);
        let token = existing.unwrap_or_else(|| {
            let minted = crate::auth::tokens::secret_token();
            req.extensions_mut().insert(MintedCsrfToken(minted.clone()));
            minted
        });
        ready(Ok(CsrfToken(token)))
    }
}

/// A form that carries the CSRF token in a `csrf_token` field.
pub trait CsrfProtected {
    fn csrf_token(&self) -> &str;
}

/// A form accepted only when its `csrf_token` matches this browser's CSRF cookie
/// (double-submit: a cross-site page can post a form but cannot read the cookie), or, for an
/// embedded page that has no cookie, when the browser says the post comes from Convene's own
/// origin (`crate::http::embed`).
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + CsrfProtected + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned());
        let is_form = req.content_type() == "application/x-www-form-urlencoded";
        let state = req.app_data::<web::Data<AppState>>();
        let limit = state.map_or(64 * 1024, |state| state.settings.server.max_body_bytes);
        // Inside a cross-site frame the browser sends no SameSite cookie at all.
        let embedded_from_own_page = cookie.is_none()
            && state.is_some_and(|state| {
                crate::http::embed::is_embedded_post_from_own_origin(
                    req,
                    state.settings.server.public_base(),
                )
            });
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_form {
                return Err(PageError(AppError::UnsupportedMediaType(
                    "send the form as application/x-www-form-urlencoded".into(),
                )));
            }
            let body = body
                .await
                .map_err(|_| PageError(AppError::PayloadTooLarge { limit }))?;
            // serde_html_form reads repeated keys (several checked boxes) into a Vec.
            let form: T = serde_html_form::from_bytes(&body).map_err(|e| {
                PageError(AppError::BadRequest(format!(
                    "the form could not be read: {e}"
                )))
            })?;
            let valid = embedded_from_own_page
                || cookie.is_some_and(|cookie| constant_time_eq(&cookie, form.csrf_token()));
            if valid {
                Ok(CsrfForm(form))
            } else {
                Err(PageError(AppError::Forbidden(
                    "the form's security token is missing or stale; reload the page and try again"
                        .into(),
                )))
            }
        })
    }
}

/// A body sent as JSON (integrations) or as a page's form (people, CSRF-checked). JSON needs
/// no CSRF token: browsers cannot send it cross-site without a CORS preflight, which we never
/// grant.
pub enum JsonOrForm<J, F> {
    Json(J),
    Form(F),
}

impl<J, F> FromRequest for JsonOrForm<J, F>
where
    J: DeserializeOwned + 'static,
    F: DeserializeOwned + CsrfProtected + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if req.content_type() == "application/x-www-form-urlencoded" {
            let form = CsrfForm::<F>::from_request(req, payload);
            Box::pin(async move { Ok(JsonOrForm::Form(form.await?.0)) })
        } else {
            let json = web::Json::<J>::from_request(req, payload);
            Box::pin(async move { Ok(JsonOrForm::Json(json.await?.into_inner())) })
        }
    }
}

/// The language a prospect's page speaks: `?lang=`, else the browser's `Accept-Language`,
/// else English. Never fails: anything unreadable just means English.
#[derive(Debug, Clone, Copy)]
pub struct PageLanguage(pub Language);

impl PageLanguage {
    pub fn texts(self) -> Texts {
        Texts::new(self.0)
    }
}

impl FromRequest for PageLanguage {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let requested = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(name, _)| name == "lang")
            .map(|(_, value)| value.into_owned());
        let accepted = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok());
        ready(Ok(PageLanguage(Language::choose(
            requested.as_deref(),
            accepted,
        ))))
    }
}

/// The client's IP address: the TCP peer, or the balancer's `X-Forwarded-For` when configured
/// to trust it.
pub struct ClientIp(pub String);

impl FromRequest for ClientIp {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(ClientIp(client_ip(req))))
    }
}

pub fn client_ip(req: &HttpRequest) -> String {
    let trust_forwarded = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.settings.server.trust_forwarded_for);
    let forwarded = trust_forwarded
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|list| list.split(',').next())
        .map(|ip| ip.trim().to_owned())
        .filter(|ip| !ip.is_empty());
    forwarded
        .or_else(|| req.peer_addr().map(|addr| addr.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}
