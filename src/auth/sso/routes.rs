//! `/auth/oidc/start` sends the browser to the identity provider; `/auth/oidc/callback` is
//! where the provider sends it back, and where the session begins.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{get, web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::service::{self, Callback};
use crate::auth::routes::{safe_next, session_cookie};
use crate::error::{AppError, PageError};
use crate::http::extractors::client_ip;
use crate::http::pages::see_other;
use crate::state::AppState;

/// Binds a sign-in to the browser that started it; lives as long as the sign-in.
const SIGN_IN_COOKIE: &str = "convene_sso";
const SIGN_IN_COOKIE_PATH: &str = "/auth/oidc";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(start).service(callback);
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    next: Option<String>,
}

/// Each start stores a sign-in, so anonymous callers get the public pages' per-IP limit.
#[get("/auth/oidc/start")]
async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, PageError> {
    if let Err(wait) = state.public_throttle.check(&client_ip(&req)) {
        return Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        }
        .into());
    }
    let return_to = safe_next(query.next.as_deref());
    let started = service::start(&state, return_to)
        .await
        .map_err(AppError::from)?;
    let binding = Cookie::build(
        SIGN_IN_COOKIE,
        started.browser_token.expose_secret().to_owned(),
    )
    .path(SIGN_IN_COOKIE_PATH)
    .http_only(true)
    .secure(state.settings.server.secure_cookies())
    // Lax: the provider brings the browser back with a top-level navigation from its site.
    .same_site(SameSite::Lax)
    .max_age(actix_web::cookie::time::Duration::seconds(
        service::SIGN_IN_LIFETIME.num_seconds(),
    ))
    .finish();
    let mut response = see_other(&started.provider_url);
    response
        .add_cookie(&binding)
        .map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// Every refusal is a page with a 4xx status (a provider that cannot be reached is a 502),
/// logged with its reason and never with a code or token.
#[get("/auth/oidc/callback")]
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let outcome = service::complete(
        &state,
        Callback {
            state: query.state,
            code: query.code,
            error: query.error,
            browser_token: req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_owned()),
        },
    )
    .await;
    let mut spent = Cookie::build(SIGN_IN_COOKIE, "")
        .path(SIGN_IN_COOKIE_PATH)
        .finish();
    spent.make_removal();
    let mut response = match outcome {
        Ok(signed_in) => {
            tracing::info!(user_id = %signed_in.user.id, "signed in through the identity provider");
            let mut response = see_other(&signed_in.return_to);
            response
                .add_cookie(&session_cookie(&state, &signed_in.session_token))
                .map_err(|e| PageError(AppError::Internal(e.to_string())))?;
            response
        }
        Err(refusal) => {
            tracing::warn!(reason = %refusal, "sign-in through the identity provider refused");
            let error = PageError(AppError::from(refusal));
            actix_web::ResponseError::error_response(&error)
        }
    };
    response
        .add_cookie(&spent)
        .map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    Ok(response)
}
