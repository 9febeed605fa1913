//! Admin UI sign-in, sign-out and the home page.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::passwords::verify_password;
use crate::auth::roles::{Permission, Role};
use crate::auth::sessions::{self, SESSION_COOKIE};
use crate::auth::sso::error::SsoError;
use crate::error::{AppError, PageError};
use crate::http::extractors::{client_ip, AdminSession, CsrfForm, CsrfProtected, CsrfToken};
use crate::http::pages::{render, see_other, Chrome};
use crate::state::AppState;
use crate::users::repo;

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(login_page)
        .service(login)
        .service(logout)
        .service(home);
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    csrf_token: String,
    email: String,
    next: String,
    error: Option<String>,
    /// The identity provider's button text, when one is configured.
    sso_button: Option<String>,
    /// Where the button starts the sign-in, carrying `next`.
    sso_start: String,
    password_sign_in: bool,
    asset_version: &'static str,
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

impl CsrfProtected for LoginForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfProtected for LogoutForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Only local admin paths are followed after sign-in, so the login page cannot be used to
/// bounce people to another site.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/admin") && !path.starts_with("//") && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

/// The session cookie for a freshly started session.
pub(crate) fn session_cookie(state: &AppState, token: &SecretString) -> Cookie<'static> {
    Cookie::build(
        SESSION_COOKIE,
        secrecy::ExposeSecret::expose_secret(token).to_owned(),
    )
    .path("/")
    .http_only(true)
    .secure(state.settings.server.secure_cookies())
    .same_site(SameSite::Lax)
    .finish()
}

fn login_page_response(
    state: &AppState,
    csrf: &CsrfToken,
    email: String,
    next: String,
    error: Option<String>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PageError> {
    let sso = state.sso.as_deref();
    let page = LoginPage {
        csrf_token: csrf.0.clone(),
        email,
        sso_start: format!(
            "/auth/oidc/start?{}",
            serde_urlencoded::to_string([("next", &next)]).unwrap_or_default()
        ),
        next,
        error,
        sso_button: sso.map(|sso| format!("Sign in with {}", sso.display_name)),
        password_sign_in: !sso.is_some_and(|sso| sso.only),
        asset_version: crate::http::assets::version(),
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[get("/login")]
async fn login_page(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(query.next.as_deref());
    login_page_response(
        &state,
        &csrf,
        String::new(),
        next,
        None,
        actix_web::http::StatusCode::OK,
    )
}

#[post("/login")]
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    csrf: CsrfToken,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.0;
    let next = safe_next(Some(&form.next));
    if state.sso.as_deref().is_some_and(|sso| sso.only) {
        tracing::warn!("password sign-in refused: only the identity provider signs people in");
        return login_page_response(
            &state,
            &csrf,
            String::new(),
            next,
            Some(SsoError::PasswordSignInOff.to_string()),
            actix_web::http::StatusCode::FORBIDDEN,
        );
    }
    if let Err(wait) = state.login_throttle.check(&client_ip(&req), &form.email) {
        tracing::warn!("sign-in throttled");
        let retry_after_secs = wait.as_secs().max(1);
        let mut response = login_page_response(
            &state,
            &csrf,
            form.email,
            next,
            Some(format!(
                "Too many sign-in attempts. Try again in {retry_after_secs} seconds."
            )),
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        )?;
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(retry_after_secs),
        );
        return Ok(response);
    }
    let email = form.email.clone();
    let user = state
        .db
        .run(move |conn| repo::find_by_email(conn, &email))
        .await?;
    let password = SecretString::from(form.password);
    let stored_hash = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone());
    let verified =
        tokio::task::spawn_blocking(move || verify_password(stored_hash.as_deref(), &password))
            .await
            .map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    let Some(user) = user.filter(|_| verified) else {
        return login_page_response(
            &state,
            &csrf,
            form.email,
            next,
            Some("That email and password do not match an active account.".into()),
            actix_web::http::StatusCode::UNAUTHORIZED,
        );
    };
    let now = state.clock.now();
    let idle = state.session_idle();
    let user_id = user.id.clone();
    let token = state
        .db
        .run(move |conn| sessions::start(conn, &user_id, now, idle))
        .await?;
    tracing::info!(user_id = %user.id, "signed in");
    let mut response = see_other(&next);
    response
        .add_cookie(&session_cookie(&state, &token))
        .map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    Ok(response)
}

#[post("/logout")]
async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    _form: CsrfForm<LogoutForm>,
) -> Result<HttpResponse, PageError> {
    if let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        state
            .db
            .run(move |conn| sessions::end(conn, &token))
            .await?;
    }
    let mut expired = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    expired.make_removal();
    let mut response = see_other("/admin/login");
    response
        .add_cookie(&expired)
        .map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    Ok(response)
}

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    chrome: Chrome,
    team: Vec<(String, i64)>,
    can_manage_users: bool,
    /// The revenue dashboard, for roles that read reports.
    revenue: Option<Vec<crate::reports::routes::Headline>>,
}

#[get("")]
async fn home(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    // The approval queue is what meeting managers come for.
    if session.user.role == Role::MeetingManager {
        return Ok(crate::http::pages::see_other("/admin/approvals"));
    }
    let counts = state.db.run(repo::count_by_role).await?;
    let team = Role::ALL
        .iter()
        .map(|role| {
            let count = counts
                .iter()
                .find(|(r, _)| r == role.as_str())
                .map_or(0, |(_, n)| *n);
            let label = if count == 1 {
                role.label().to_owned()
            } else {
                format!("{}s", role.label())
            };
            (label, count)
        })
        .collect();
    let revenue = if session.principal.role.allows(Permission::ViewReports) {
        Some(crate::reports::routes::dashboard(&state).await?)
    } else {
        None
    };
    render(&HomePage {
        chrome: Chrome::new(&session, &csrf, "/admin"),
        team,
        can_manage_users: session.principal.role.allows(Permission::ManageUsers),
        revenue,
    })
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_admin_paths_are_followed() {
        assert_eq!(safe_next(Some("/admin/users")), "/admin/users");
        assert_eq!(safe_next(Some("https://evil.example/admin")), "/admin");
        assert_eq!(safe_next(Some("//evil.example")), "/admin");
        assert_eq!(safe_next(Some("/admin\\@evil")), "/admin");
        assert_eq!(safe_next(None), "/admin");
    }
}
