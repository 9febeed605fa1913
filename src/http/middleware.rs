//! Cross-cutting HTTP behaviour: security headers, request ids, request logs that never carry
//! tokens, and the CSRF cookie.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CACHE_CONTROL};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{web, Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

use crate::error::AppError;
use crate::http::csp::CONTENT_SECURITY_POLICY;
use crate::http::extractors::{client_ip, MintedCsrfToken, CSRF_COOKIE};
use crate::state::AppState;

/// `X-Frame-Options: DENY` for every page but one whose policy lets some site frame it: older
/// browsers read only this header, newer ones obey `frame-ancestors`.
pub async fn deny_framing(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(req).await?;
    let framable = response
        .headers()
        .get(actix_web::http::header::CONTENT_SECURITY_POLICY)
        .and_then(|policy| policy.to_str().ok())
        .is_some_and(|policy| !policy.contains("frame-ancestors 'none'"));
    if !framable {
        response.headers_mut().insert(
            actix_web::http::header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        );
    }
    Ok(response)
}

/// An error page under `/admin` leads back into the admin UI; everywhere else it does not, so
/// prospects are never sent to a sign-in page that is not theirs.
pub async fn admin_error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    let admin = req.path() == "/admin" || req.path().starts_with("/admin/");
    let response = next.call(req).await?;
    let page = response
        .response()
        .error()
        .and_then(|error| error.as_error::<crate::error::PageError>())
        .filter(|_| admin)
        .map(crate::error::PageError::admin_page);
    Ok(match page {
        Some(page) => response.into_response(page),
        None => response.map_into_boxed_body(),
    })
}

/// Headers every response carries.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"));
    if https {
        headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

/// The request's root span names the matched route pattern, never the concrete path: paths of
/// booking, manage and survey pages carry secret tokens.
pub struct RouteOnlySpan;

struct RequestStarted(Instant);

impl RootSpanBuilder for RouteOnlySpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        request
            .extensions_mut()
            .insert(RequestStarted(Instant::now()));
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!("request", method = %request.method(), route = %route, request_id = %request_id)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let latency_ms = response
                    .request()
                    .extensions()
                    .get::<RequestStarted>()
                    .map_or(0, |started| started.0.elapsed().as_millis());
                let status = response.status().as_u16();
                if status >= 500 {
                    tracing::error!(status, latency_ms, "request finished");
                } else {
                    tracing::info!(status, latency_ms, "request finished");
                }
            }
            Err(error) => tracing::error!(error = %error, "request failed"),
        }
    }
}

/// Refuses a NUL character (`%00`) in the path or query at once: no route, id, filter or
/// cursor can contain one, and PostgreSQL could not even compare with it.
pub async fn refuse_nul_in_address(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let address = req.uri().path_and_query().map_or("", |pq| pq.as_str());
    if address.contains("%00") {
        return Err(AppError::BadRequest(
            "the address contains a NUL character (%00), which no path or parameter accepts".into(),
        )
        .into());
    }
    next.call(req).await
}

/// Echoes the request id so a person reporting a problem can quote it.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let mut response = next.call(req).await?;
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

/// Sets the CSRF cookie when a handler minted a token for a browser that had none.
pub async fn csrf_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.settings.server.secure_cookies());
    let mut response = next.call(req).await?;
    let minted = response
        .request()
        .extensions()
        .get::<MintedCsrfToken>()
        .map(|m| m.0.clone());
    if let Some(token) = minted {
        let cookie = Cookie::build(CSRF_COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .finish();
        response.response_mut().add_cookie(&cookie)?;
    }
    Ok(response)
}

/// Where answers carry a secret token or private data: the manage, survey, outcome and
/// approval-decision links from emails, booking (its answers carry the manage link), OAuth
/// callbacks, sign-in through the identity provider, the admin UI and the API.
const PRIVATE_PREFIXES: [&str; 9] = [
    "/m/",
    "/survey/",
    "/outcome/",
    "/decide/",
    "/book/",
    "/oauth/",
    "/auth/oidc/",
    "/admin/",
    "/api/v1/",
];

/// Whether answers to requests for `path` must not be kept by browsers or proxies.
fn is_private(path: &str) -> bool {
    path == "/admin"
        || PRIVATE_PREFIXES
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

/// Marks every answer under the private paths `Cache-Control: no-store`, whatever the handler
/// set, so that no cache (a shared computer's browser, a proxy) keeps a token or a person's
/// data. Static assets, health and metrics keep their own caching.
pub async fn no_store_private(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let private = is_private(req.path());
    let mut response = next.call(req).await?;
    if private {
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// The public pages (booking, manage and survey links, router submissions), which anyone on the
/// internet can reach.
const PUBLIC_PREFIXES: [&str; 4] = ["/book/", "/m/", "/survey/", "/route/"];

/// Whether `path` is a public page, limited per client IP (and documented with its 429).
pub fn is_rate_limited(path: &str) -> bool {
    PUBLIC_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// A booking form posted over the client's limit: the booking page refuses it itself, so the
/// prospect gets the page back with everything they typed rather than a bare error.
#[derive(Debug, Clone, Copy)]
pub struct Throttled {
    pub retry_after_secs: u64,
}

fn is_booking_form_post(req: &ServiceRequest) -> bool {
    let slug = req.path().strip_prefix("/book/").unwrap_or_default();
    req.method() == actix_web::http::Method::POST
        && !slug.is_empty()
        && !slug.contains('/')
        && req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}

/// Limits each client IP on the public pages, which anyone on the internet can reach.
pub async fn public_rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, Error> {
    if is_rate_limited(req.path()) {
        let limited = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.public_throttle.check(&client_ip(req.request())));
        if let Some(Err(wait)) = limited {
            let throttled = Throttled {
                retry_after_secs: wait.as_secs().max(1),
            };
            if is_booking_form_post(&req) {
                req.extensions_mut().insert(throttled);
                return Ok(next.call(req).await?.map_into_left_body());
            }
            let error = AppError::RateLimited {
                retry_after_secs: throttled.retry_after_secs,
            };
            let response = actix_web::ResponseError::error_response(&error);
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::is_private;

    #[test]
    fn token_and_private_paths_are_private() {
        for path in [
            "/m/abc",
            "/m/abc/invite.ics",
            "/survey/abc",
            "/outcome/abc",
            "/decide/abc",
            "/book/slug",
            "/book/slug/slots",
            "/oauth/google/callback",
            "/admin",
            "/admin/login",
            "/api/v1/meetings",
        ] {
            assert!(is_private(path), "{path}");
        }
    }

    #[test]
    fn public_resources_keep_their_caching() {
        for path in [
            "/static/app.css",
            "/healthz",
            "/metrics",
            "/api/openapi.json",
            "/",
            "/administrator",
            "/mx",
        ] {
            assert!(!is_private(path), "{path}");
        }
    }
}
