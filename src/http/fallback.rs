//! What requests no route takes answer: 404 for a path nothing serves, 405 with `Allow` for a
//! method a path is not served with; a problem document, or a page for a browser.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, HttpResponse, Resource, ResponseError};

use crate::error::{AppError, PageError};

fn respond(req: &HttpRequest, error: AppError) -> HttpResponse {
    let wants_html = !req.path().starts_with("/api/")
        && req
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        PageError(error).error_response()
    } else {
        error.error_response()
    }
}

fn not_found(req: &HttpRequest) -> HttpResponse {
    respond(
        req,
        AppError::NotFound(format!("there is nothing at {}", req.path())),
    )
}

/// Registered after every route (of the app and of each scope), this resource takes what no
/// route took. It has no routes of its own, so actix answers with its bare 405, listing in
/// `Allow` the methods of the routes whose path matched; no `Allow` means no path matched.
pub fn unrouted() -> Resource {
    web::resource(["", "/{rest:.*}"])
}

/// Middleware turning actix's bare 405 answers (of [`unrouted`], and of a resource asked with
/// a method none of its routes takes) into the real answer: 405 with `Allow`, or 404.
pub async fn explain_unrouted(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let response = next.call(req).await?;
    let bare_refusal = response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(CONTENT_TYPE);
    if !bare_refusal {
        return Ok(response.map_into_left_body());
    }
    let allow = response.headers().get(ALLOW).cloned();
    let (req, _) = response.into_parts();
    let answer = match allow {
        Some(allow) => {
            let methods = allow.to_str().unwrap_or_default().to_owned();
            let mut answer = respond(
                &req,
                AppError::MethodNotAllowed(format!(
                    "{} does not take {}; it takes {methods}",
                    req.path(),
                    req.method()
                )),
            );
            answer.headers_mut().insert(ALLOW, allow);
            answer
        }
        None => not_found(&req),
    };
    Ok(ServiceResponse::new(req, answer).map_into_right_body())
}
