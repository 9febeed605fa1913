//! `/api/v1/webhooks`: subscriptions, secret rotation, test events and the deliveries log.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::error::AppError;
use crate::http::extractors::{ApiCaller, ApiJson, ApiQuery};
use crate::http::{Page, PageQuery};
use crate::state::AppState;
use crate::webhooks::model::{
    CreateSubscriptionRequest, CreatedSubscription, DeliveryView, RotatedSecret, SubscriptionView,
    UpdateSubscriptionRequest,
};
use crate::webhooks::{service, WebhookError};

/// The one place a webhook refusal becomes an HTTP problem, for the API and the admin pages.
impl From<WebhookError> for AppError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::Invalid(errors) => AppError::Validation(errors),
            WebhookError::NotFound | WebhookError::DeliveryNotFound => {
                AppError::NotFound(error.to_string())
            }
            WebhookError::Disabled => AppError::ConflictOf {
                kind: "webhook-disabled",
                title: "The webhook subscription is disabled",
                detail: error.to_string(),
            },
            WebhookError::InFlight => AppError::Conflict(error.to_string()),
            WebhookError::Secret(_) => AppError::Internal(error.to_string()),
            WebhookError::Store(store) => AppError::Store(store),
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_webhook)
        .service(list_webhooks)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(rotate_secret)
        .service(test_webhook)
        .service(list_deliveries)
        .service(redeliver);
}

#[utoipa::path(
    tag = "webhooks",
    request_body = CreateSubscriptionRequest,
    responses(
        (status = 201, description = "Subscribed; the secret is shown only now", body = CreatedSubscription),
        (status = 403, body = crate::error::Problem),
        (status = 422, description = "Invalid fields, an unknown event type, or a destination that is not https or resolves to a non-public address", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateSubscriptionRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    let created = service::create(&state, &body.take()?).await?;
    Ok(HttpResponse::Created().json(created))
}

#[utoipa::path(
    tag = "webhooks",
    params(PageQuery),
    responses(
        (status = 200, description = "Newest first; never secrets", body = crate::http::Page<SubscriptionView>),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: ApiCaller,
    page: ApiQuery<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    let page = page.take()?;
    let limit = page.limit()?;
    let found = service::list(&state, page.cursor.clone(), limit + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(
        found,
        limit,
        |subscription| subscription.id.clone(),
        |subscription| SubscriptionView::from(subscription),
    )))
}

#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook subscription id")),
    responses((status = 200, body = SubscriptionView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    let subscription = service::find(&state, &id).await?;
    Ok(HttpResponse::Ok().json(SubscriptionView::from(&subscription)))
}

#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook subscription id")),
    request_body = UpdateSubscriptionRequest,
    responses(
        (status = 200, body = SubscriptionView),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[patch("/api/v1/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<UpdateSubscriptionRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    let subscription = service::update(&state, &id, &body.take()?).await?;
    Ok(HttpResponse::Ok().json(SubscriptionView::from(&subscription)))
}

#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook subscription id")),
    responses((status = 204, description = "Deleted with its deliveries log"), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[delete("/api/v1/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    service::delete(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook subscription id")),
    responses(
        (status = 200, description = "The new secret; for 24 hours deliveries carry a signature with the previous one too", body = RotatedSecret),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    let rotated = service::rotate_secret(&state, &id).await?;
    Ok(HttpResponse::Ok().json(rotated))
}

#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook subscription id")),
    responses(
        (status = 202, description = "A `webhook.test` event is queued for this subscription alone", body = DeliveryView),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "The subscription is disabled", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/webhooks/{id}/test")]
pub async fn test_webhook(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    let delivery = service::send_test(&state, &id).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&delivery)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries in this state.
    #[param(value_type = Option<crate::webhooks::model::DeliveryStatusName>)]
    pub status: Option<String>,
}

#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook subscription id"), DeliveryQuery, PageQuery),
    responses(
        (status = 200, description = "Newest first", body = crate::http::Page<DeliveryView>),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    query: ApiQuery<DeliveryQuery>,
    page: ApiQuery<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    let (query, page) = (query.take()?, page.take()?);
    let status = service::parse_status(query.status.as_deref())?;
    let limit = page.limit()?;
    let found = service::deliveries(&state, &id, status, page.cursor.clone(), limit + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(
        found,
        limit,
        |delivery| delivery.id.clone(),
        |delivery| DeliveryView::from(delivery),
    )))
}

#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "Webhook subscription id"),
        ("delivery_id" = String, Path, description = "Delivery id"),
    ),
    responses(
        (status = 202, description = "Queued again, due now, with the same `webhook-id` and a fresh set of attempts", body = DeliveryView),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "The subscription is disabled, or the delivery is being sent right now", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageWebhooks)?;
    let (id, delivery_id) = path.into_inner();
    let delivery = service::redeliver(&state, &id, &delivery_id).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&delivery)))
}
