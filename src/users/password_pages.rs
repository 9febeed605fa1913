//! The password pages of the admin UI: "forgot password", the set-password page behind an
//! invitation or reset link, and changing one's own password.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::extractors::{client_ip, AdminSession, CsrfForm, CsrfProtected, CsrfToken};
use crate::http::pages::{render, Chrome};
use crate::state::AppState;
use crate::users::password_links::PasswordLinkPurpose;
use crate::users::service;
use crate::values::Email;

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(forgot_page)
        .service(forgot)
        .service(reset_page)
        .service(reset)
        .service(change_page)
        .service(change);
}

#[derive(Template)]
#[template(path = "admin/password_forgot.html")]
struct ForgotPage {
    csrf_token: String,
    email: String,
    sent: bool,
    errors: FieldErrors,
    asset_version: &'static str,
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
}

impl CsrfProtected for ForgotForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn with_status(mut response: HttpResponse, status: StatusCode) -> HttpResponse {
    *response.status_mut() = status;
    response
}

#[get("/password/forgot")]
async fn forgot_page(csrf: CsrfToken) -> Result<HttpResponse, PageError> {
    render(&ForgotPage {
        csrf_token: csrf.0,
        email: String::new(),
        sent: false,
        errors: FieldErrors::new(),
        asset_version: crate::http::assets::version(),
    })
}

/// Answers the same whether or not the address has an account.
#[post("/password/forgot")]
async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    csrf: CsrfToken,
    form: CsrfForm<ForgotForm>,
) -> Result<HttpResponse, PageError> {
    if let Err(wait) = state.public_throttle.check(&client_ip(&req)) {
        return Err(PageError(AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        }));
    }
    let form = form.0;
    let page = |sent: bool, errors: FieldErrors| ForgotPage {
        csrf_token: csrf.0.clone(),
        email: form.email.clone(),
        sent,
        errors,
        asset_version: crate::http::assets::version(),
    };
    match Email::parse(&form.email) {
        Ok(email) => {
            service::request_password_reset(&state, email.as_str().to_owned()).await?;
            render(&page(true, FieldErrors::new()))
        }
        Err(message) => Ok(with_status(
            render(&page(false, FieldErrors::single("email", message)))?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

#[derive(Template)]
#[template(path = "admin/password_reset.html")]
struct ResetPage {
    csrf_token: String,
    token: String,
    heading: &'static str,
    email: String,
    done: bool,
    errors: FieldErrors,
    asset_version: &'static str,
}

#[derive(Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

impl CsrfProtected for NewPasswordForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl NewPasswordForm {
    /// The new password, when both copies agree.
    fn new_password(&self) -> Result<SecretString, FieldErrors> {
        if self.password != self.password_again {
            return Err(FieldErrors::single(
                "password_again",
                "does not match the new password",
            ));
        }
        Ok(SecretString::from(self.password.clone()))
    }
}

fn heading(purpose: PasswordLinkPurpose) -> &'static str {
    match purpose {
        PasswordLinkPurpose::Invitation => "Choose your password",
        PasswordLinkPurpose::Reset => "Choose a new password",
    }
}

#[get("/password/reset/{token}")]
async fn reset_page(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let link = service::open_password_link(&state, token.clone()).await?;
    render(&ResetPage {
        csrf_token: csrf.0,
        token,
        heading: heading(link.purpose),
        email: link.user.email,
        done: false,
        errors: FieldErrors::new(),
        asset_version: crate::http::assets::version(),
    })
}

#[post("/password/reset/{token}")]
async fn reset(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    token: web::Path<String>,
    form: CsrfForm<NewPasswordForm>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let link = service::open_password_link(&state, token.clone()).await?;
    let outcome = match form.0.new_password() {
        Ok(password) => service::set_password_with_link(&state, token.clone(), password)
            .await
            .map_err(AppError::from),
        Err(errors) => Err(AppError::Validation(errors)),
    };
    let page = |done: bool, errors: FieldErrors| ResetPage {
        csrf_token: csrf.0.clone(),
        token: token.clone(),
        heading: heading(link.purpose),
        email: link.user.email.clone(),
        done,
        errors,
        asset_version: crate::http::assets::version(),
    };
    match outcome {
        Ok(_) => render(&page(true, FieldErrors::new())),
        Err(AppError::Validation(errors)) => Ok(with_status(
            render(&page(false, errors))?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(other) => Err(PageError(other)),
    }
}

#[derive(Template)]
#[template(path = "admin/password_change.html")]
struct ChangePage {
    chrome: Chrome,
    changed: bool,
    errors: FieldErrors,
}

#[get("/password")]
async fn change_page(session: AdminSession, csrf: CsrfToken) -> Result<HttpResponse, PageError> {
    render(&ChangePage {
        chrome: Chrome::new(&session, &csrf, "/admin/password"),
        changed: false,
        errors: FieldErrors::new(),
    })
}

#[post("/password")]
async fn change(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    form: CsrfForm<NewPasswordForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.0;
    let outcome = match form.new_password() {
        Ok(new) => {
            let current = SecretString::from(form.current_password.clone());
            service::change_password(&state, &session.user, current, new)
                .await
                .map_err(AppError::from)
        }
        Err(errors) => Err(AppError::Validation(errors)),
    };
    let page = |changed: bool, errors: FieldErrors| ChangePage {
        chrome: Chrome::new(&session, &csrf, "/admin/password"),
        changed,
        errors,
    };
    match outcome {
        Ok(()) => render(&page(true, FieldErrors::new())),
        Err(AppError::Validation(errors)) => Ok(with_status(
            render(&page(false, errors))?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(other) => Err(PageError(other)),
    }
}
