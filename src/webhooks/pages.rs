//! The admin Webhooks pages: subscriptions with their recent deliveries, and the forms to
//! subscribe, send a test, rotate the secret, disable or enable, redeliver and delete. A new
//! secret is shown once, in the answer to the form that made it, never in an address.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::error::{AppError, PageError};
use crate::events::EventType;
use crate::field_errors::FieldErrors;
use crate::http::extractors::{AdminSession, CsrfForm, CsrfProtected, CsrfToken};
use crate::http::pages::{render, see_other, Chrome};
use crate::state::AppState;
use crate::webhooks::model::{
    CreateSubscriptionRequest, Delivery, DeliveryStatus, DeliveryView, Subscription,
    SubscriptionStatus, SubscriptionView, UpdateSubscriptionRequest,
};
use crate::webhooks::{service, WebhookError};

/// Deliveries shown under each subscription on the list page.
const RECENT_DELIVERIES: i64 = 5;
/// Subscriptions on the list page; more than this many is not how webhooks are used.
const LISTED_SUBSCRIPTIONS: i64 = 100;

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(webhooks_page)
        .service(create_from_page)
        .service(webhook_page)
        .service(test_from_page)
        .service(rotate_from_page)
        .service(status_from_page)
        .service(redeliver_from_page)
        .service(delete_from_page);
}

fn page_error(error: WebhookError) -> PageError {
    PageError(AppError::from(error))
}

/// One subscription as its card shows it.
struct HookCard {
    view: SubscriptionView,
    active: bool,
    failing_since: Option<NaiveDateTime>,
    /// Until when the previous secret still signs, after a rotation.
    previous_secret_until: Option<NaiveDateTime>,
    deliveries: Vec<DeliveryRow>,
}

/// A delivery in a card's table, with the one time that matters for its state.
struct DeliveryRow {
    view: DeliveryView,
    when: &'static str,
    at: NaiveDateTime,
}

impl DeliveryRow {
    fn new(delivery: &Delivery) -> Self {
        let (when, at) = match (delivery.delivered_at, delivery.next_attempt_at) {
            (Some(at), _) => ("delivered", at),
            (None, Some(at)) => ("next attempt", at),
            (None, None) => ("queued", delivery.created_at),
        };
        Self {
            view: DeliveryView::from(delivery),
            when,
            at,
        }
    }
}

impl HookCard {
    fn new(subscription: &Subscription, deliveries: &[Delivery], state: &AppState) -> Self {
        let now = state.clock.now();
        Self {
            view: SubscriptionView::from(subscription),
            active: subscription.is_active(),
            failing_since: subscription.failing_since,
            previous_secret_until: subscription
                .previous_secret_expires_at
                .filter(|_| service::in_rotation(subscription, now)),
            deliveries: deliveries.iter().map(DeliveryRow::new).collect(),
        }
    }
}

/// A secret to show once, with what it belongs to.
struct ShownSecret {
    subscription_id: String,
    secret: String,
    rotated: bool,
}

#[derive(Default)]
struct NewWebhookForm {
    url: String,
    events: Vec<String>,
    description: String,
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    hooks: Vec<HookCard>,
    shown: Option<ShownSecret>,
    notice: Option<String>,
    form: NewWebhookForm,
    errors: FieldErrors,
    /// Every event type, with whether the form has it checked.
    event_types: Vec<(&'static str, bool)>,
    all_events: bool,
}

async fn cards(state: &AppState) -> Result<Vec<HookCard>, PageError> {
    let subscriptions = service::list(state, None, LISTED_SUBSCRIPTIONS)
        .await
        .map_err(page_error)?;
    let mut hooks = Vec::with_capacity(subscriptions.len());
    for subscription in subscriptions {
        let recent = service::deliveries(state, &subscription.id, None, None, RECENT_DELIVERIES)
            .await
            .map_err(page_error)?;
        hooks.push(HookCard::new(&subscription, &recent, state));
    }
    Ok(hooks)
}

async fn list_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    outcome: ListOutcome,
) -> Result<HttpResponse, PageError> {
    let (shown, notice, form, errors) = match outcome {
        ListOutcome::Plain(notice) => (None, notice, NewWebhookForm::default(), FieldErrors::new()),
        ListOutcome::Secret(shown) => (
            Some(shown),
            None,
            NewWebhookForm::default(),
            FieldErrors::new(),
        ),
        ListOutcome::Invalid(form, errors) => (None, None, form, errors),
    };
    let all_events = form.events.iter().any(|name| name == "*");
    render(&WebhooksPage {
        chrome: Chrome::new(session, csrf, "/admin/webhooks"),
        hooks: cards(state).await?,
        shown,
        notice,
        event_types: EventType::ALL
            .iter()
            .map(|kind| {
                (
                    kind.as_str(),
                    form.events.iter().any(|name| name == kind.as_str()),
                )
            })
            .collect(),
        all_events,
        form,
        errors,
    })
}

enum ListOutcome {
    Plain(Option<String>),
    Secret(ShownSecret),
    Invalid(NewWebhookForm, FieldErrors),
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    notice: Option<String>,
}

/// What a redirect back to a page may say; anything else in the address is ignored.
fn notice_text(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "tested" => "A test event is queued; it shows in the deliveries below once sent.",
        "redelivered" => "The delivery is queued again; the worker sends it on its next round.",
        "disabled" => "Disabled: it receives nothing until it is enabled again.",
        "enabled" => "Enabled: waiting deliveries go out on the worker's next round.",
        "deleted" => "The webhook and its deliveries log are deleted.",
        _ => return None,
    };
    Some(text.to_owned())
}

#[get("/webhooks")]
async fn webhooks_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageWebhooks)?;
    let notice = notice_text(query.notice.as_deref());
    list_response(&state, &session, &csrf, ListOutcome::Plain(notice)).await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    description: String,
}

impl CsrfProtected for CreateForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/webhooks")]
async fn create_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    form: CsrfForm<CreateForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageWebhooks)?;
    let form = form.0;
    let request = CreateSubscriptionRequest {
        url: form.url.clone(),
        events: form.events.clone(),
        description: Some(form.description.clone()),
    };
    match service::create(&state, &request).await {
        Ok(created) => {
            let shown = ShownSecret {
                subscription_id: created.subscription.id.clone(),
                secret: created.secret,
                rotated: false,
            };
            list_response(&state, &session, &csrf, ListOutcome::Secret(shown)).await
        }
        Err(WebhookError::Invalid(errors)) => {
            let form = NewWebhookForm {
                url: form.url,
                events: form.events,
                description: form.description,
            };
            list_response(&state, &session, &csrf, ListOutcome::Invalid(form, errors)).await
        }
        Err(other) => Err(page_error(other)),
    }
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
struct WebhookPage {
    chrome: Chrome,
    hook: HookCard,
    shown: Option<ShownSecret>,
    notice: Option<String>,
    statuses: Vec<(&'static str, bool)>,
    next_page: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DeliveriesQuery {
    status: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

async fn detail_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    id: &str,
    query: DeliveriesQuery,
    shown: Option<ShownSecret>,
) -> Result<HttpResponse, PageError> {
    let subscription = service::find(state, id).await.map_err(page_error)?;
    let status = service::parse_status(query.status.as_deref()).map_err(page_error)?;
    let limit = crate::http::DEFAULT_PAGE_SIZE;
    let mut found = service::deliveries(state, id, status, query.cursor.clone(), limit + 1)
        .await
        .map_err(page_error)?;
    let more = found.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let status_name = status.map(DeliveryStatus::as_str).unwrap_or_default();
    let next_page = found.last().filter(|_| more).map(|last| {
        let params = [("status", status_name), ("cursor", last.id.as_str())];
        format!(
            "/admin/webhooks/{}?{}",
            subscription.id,
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    });
    render(&WebhookPage {
        chrome: Chrome::new(session, csrf, "/admin/webhooks"),
        hook: HookCard::new(&subscription, &found, state),
        shown,
        notice: notice_text(query.notice.as_deref()),
        statuses: DeliveryStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.as_str() == status_name))
            .collect(),
        next_page,
    })
}

#[get("/webhooks/{id}")]
async fn webhook_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageWebhooks)?;
    detail_response(&state, &session, &csrf, &id, query.into_inner(), None).await
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf_token: String,
    /// Where to go back to: the list (`list`) or the subscription's page.
    #[serde(default)]
    back: String,
    #[serde(default)]
    status: String,
}

impl CsrfProtected for ActionForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl ActionForm {
    fn back_to(&self, id: &str, notice: &str) -> HttpResponse {
        if self.back == "list" {
            see_other(&format!("/admin/webhooks?notice={notice}"))
        } else {
            see_other(&format!("/admin/webhooks/{id}?notice={notice}"))
        }
    }
}

#[post("/webhooks/{id}/test")]
async fn test_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageWebhooks)?;
    service::send_test(&state, &id).await.map_err(page_error)?;
    Ok(form.0.back_to(&id, "tested"))
}

#[post("/webhooks/{id}/rotate-secret")]
async fn rotate_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    _form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageWebhooks)?;
    let rotated = service::rotate_secret(&state, &id)
        .await
        .map_err(page_error)?;
    let shown = ShownSecret {
        subscription_id: id.to_string(),
        secret: rotated.secret,
        rotated: true,
    };
    let query = DeliveriesQuery {
        status: None,
        cursor: None,
        notice: None,
    };
    detail_response(&state, &session, &csrf, &id, query, Some(shown)).await
}

#[post("/webhooks/{id}/status")]
async fn status_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageWebhooks)?;
    let form = form.0;
    let status = form
        .status
        .parse::<SubscriptionStatus>()
        .map_err(|message| PageError(AppError::validation("status", message)))?;
    let request = UpdateSubscriptionRequest {
        status: Some(status.as_str().to_owned()),
        ..UpdateSubscriptionRequest::default()
    };
    service::update(&state, &id, &request)
        .await
        .map_err(page_error)?;
    Ok(form.back_to(
        &id,
        match status {
            SubscriptionStatus::Active => "enabled",
            SubscriptionStatus::Disabled => "disabled",
        },
    ))
}

#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
async fn redeliver_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<(String, String)>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageWebhooks)?;
    let (id, delivery_id) = path.into_inner();
    service::redeliver(&state, &id, &delivery_id)
        .await
        .map_err(page_error)?;
    Ok(form.0.back_to(&id, "redelivered"))
}

#[post("/webhooks/{id}/delete")]
async fn delete_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    _form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageWebhooks)?;
    service::delete(&state, &id).await.map_err(page_error)?;
    Ok(see_other("/admin/webhooks?notice=deleted"))
}
