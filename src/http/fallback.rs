//! What unknown routes answer: a problem document, or a page for a browser.

use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::{AppError, PageError};

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let error = AppError::NotFound(format!("there is nothing at {}", req.path()));
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
