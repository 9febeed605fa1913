//! Builds the application: database, migrations, HTTP server and background worker, bound to a
//! listener (port 0 in tests) and run side by side until SIGTERM.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpResponse, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use anyhow::Context;
use tokio::sync::watch;
use tracing_actix_web::TracingLogger;

use crate::auth::link_keys::LinkKey;
use crate::auth::sso::Sso;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Database;
use crate::error::{json_error, path_error, query_error};
use crate::http::middleware::{
    admin_error_pages, csrf_cookie, deny_framing, no_store_private, public_rate_limit,
    refuse_nul_in_address, request_id_header, security_headers, RouteOnlySpan,
};
use crate::http::{assets, fallback, health, openapi};
use crate::jobs::heartbeat::WorkerHeartbeat;
use crate::jobs::{Runner, Worker};
use crate::notifications::delivery::Deliverer;
use crate::notifications::ics::Person;
use crate::notifications::metrics::OutboxMetrics;
use crate::notifications::transport::Transport;
use crate::state::{AppState, Monitoring};
use crate::webhooks::metrics::WebhookMetrics;

pub struct Application {
    port: u16,
    server: Server,
    runner: Arc<Runner>,
    /// None when `worker.enabled` is off.
    worker: Option<Worker>,
    shutdown: watch::Sender<bool>,
}

impl Application {
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let scoring_rules = Arc::new(settings.leads.load_scoring_rules()?);
        crate::crm::model::check_stage_map(&settings.crm.stage_map).map_err(anyhow::Error::msg)?;
        let db = Database::connect(&settings.database)?;
        let migrator = db.clone();
        let applied = tokio::task::spawn_blocking(move || migrator.migrate()).await??;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        let now = clock.now();
        let link_key = db
            .run(move |conn| LinkKey::load_or_create(conn, now))
            .await?;
        let from = settings.email.from_mailbox()?;
        let organizer = Person {
            name: from.name.clone().unwrap_or_default(),
            email: from.email.to_string(),
        };
        let registry = prometheus::Registry::new();
        let outbox_metrics = OutboxMetrics::register(&registry)?;
        let webhook_metrics = WebhookMetrics::register(&registry)?;
        let crm_metrics = crate::crm::metrics::CrmMetrics::register(&registry)?;
        let worker_heartbeat = Arc::new(WorkerHeartbeat::register(&registry, &settings.worker)?);
        let address = settings.server.bind_address()?;
        let listener = TcpListener::bind(address).with_context(|| {
            format!(
                "cannot listen on {address}; set server.bind (environment: CONVENE__SERVER__BIND) \
                 to a free address, such as 127.0.0.1:8081"
            )
        })?;
        let port = listener.local_addr()?.port();
        let sso = Sso::from_settings(&settings.sso, settings.server.public_base())
            .map_err(|reason| anyhow::anyhow!("sso settings: {reason}"))?;
        let settings = Arc::new(settings);
        let state = web::Data::new(
            AppState::new(
                db,
                settings.clone(),
                clock,
                scoring_rules,
                link_key,
                organizer,
                Monitoring {
                    outbox_metrics,
                    worker_heartbeat,
                    webhook_metrics,
                    crm_metrics,
                },
            )
            .with_sso(sso),
        );
        let server = http_server(listener, settings.as_ref(), state.clone(), registry)?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let deliverer = Deliverer::new(
            Transport::from_settings(&settings.email)?,
            &settings.email,
            crate::booking::service::uid_domain_of(&settings),
        )?;
        let runner = Arc::new(Runner::new(state.into_inner(), deliverer));
        let worker = if settings.worker.enabled {
            Some(Worker::spawn(runner.clone(), shutdown_rx))
        } else {
            tracing::info!("the background worker is off on this instance (worker.enabled)");
            None
        };
        tracing::info!(port, public_url = %settings.server.public_url, "convene is listening");
        Ok(Self {
            port,
            server,
            runner,
            worker,
            shutdown,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What runs this instance's background tasks, for running what is due on demand (as the
    /// test suite does), whether or not the worker runs.
    pub fn runner(&self) -> Arc<Runner> {
        self.runner.clone()
    }

    /// Serves until the server stops (SIGTERM/SIGINT finish in-flight requests first), then
    /// lets the worker finish its current task.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let served = self.server.await;
        let _ = self.shutdown.send(true);
        if let Some(worker) = self.worker {
            worker.finished().await;
        }
        Ok(served?)
    }
}

fn http_server(
    listener: TcpListener,
    settings: &Settings,
    state: web::Data<AppState>,
    registry: prometheus::Registry,
) -> anyhow::Result<Server> {
    let prometheus = PrometheusMetricsBuilder::new("convene")
        .registry(registry)
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics setup failed: {e}"))?;
    let max_body = settings.server.max_body_bytes;
    let https = settings.server.secure_cookies();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(max_body)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(web::PayloadConfig::new(max_body))
            .wrap(from_fn(admin_error_pages))
            .wrap(from_fn(refuse_nul_in_address))
            .wrap(from_fn(fallback::explain_unrouted))
            .wrap(from_fn(public_rate_limit))
            .wrap(from_fn(csrf_cookie))
            .wrap(from_fn(request_id_header))
            .wrap(from_fn(no_store_private))
            .wrap(from_fn(deny_framing))
            .wrap(security_headers(https))
            .wrap(Compress::default())
            .wrap(prometheus.clone())
            .wrap(TracingLogger::<RouteOnlySpan>::new())
            .service(health::healthz)
            .service(openapi::openapi_json)
            .service(assets::serve_asset)
            .service(assets::favicon)
            .service(assets::embed_script)
            .configure(crate::users::routes::configure)
            .configure(crate::leads::routes::configure)
            .configure(crate::scheduling::routes::configure)
            .configure(crate::workflow::routes::configure)
            .configure(crate::booking::routes::configure)
            .configure(crate::booking::routes::configure_public)
            .configure(crate::booking::routes::configure_manage)
            .configure(crate::booking::meetings_api::configure)
            .configure(crate::notifications::routes::configure)
            .configure(crate::workflow::pages::configure_public)
            .configure(crate::outcomes::routes::configure)
            .configure(crate::outcomes::routes::configure_public)
            .configure(crate::reports::routes::configure)
            .configure(crate::calendars::routes::configure)
            .configure(crate::events::routes::configure)
            .configure(crate::webhooks::routes::configure)
            .configure(crate::auth::sso::routes::configure)
            .configure(crate::routing::routes::configure)
            .configure(crate::routing::routes::configure_public)
            .configure(crate::crm::routes::configure)
            .service(
                web::scope("/admin")
                    .configure(crate::auth::routes::configure_admin)
                    .configure(crate::users::routes::configure_admin)
                    .configure(crate::leads::routes::configure_admin)
                    .configure(crate::scheduling::routes::configure_admin)
                    .configure(crate::notifications::routes::configure_admin)
                    .configure(crate::workflow::pages::configure_admin)
                    .configure(crate::booking::meetings_page::configure_admin)
                    .configure(crate::outcomes::routes::configure_admin)
                    .configure(crate::reports::routes::configure_admin)
                    .configure(crate::calendars::routes::configure_admin)
                    .configure(crate::webhooks::pages::configure_admin)
                    .configure(crate::routing::pages::configure_admin)
                    .configure(crate::crm::pages::configure_admin)
                    .service(fallback::unrouted()),
            )
            .route(
                "/",
                web::get().to(|| async {
                    HttpResponse::SeeOther()
                        .insert_header(("Location", "/admin"))
                        .finish()
                }),
            )
            .service(fallback::unrouted())
    })
    .shutdown_timeout(settings.server.shutdown_timeout_secs);
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.listen(listener)?.run())
}
