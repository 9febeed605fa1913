//! A local webhook endpoint for tests: it records every request it receives (headers and raw
//! body) and answers each with the next scripted status, or with its default once the script
//! is spent.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

/// One request as the endpoint received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<u16>>,
    default_status: Mutex<u16>,
}

pub struct Receiver {
    /// The endpoint's URL, `http://127.0.0.1:{port}/hook`.
    pub url: String,
    shared: Arc<Shared>,
}

async fn record(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Arc<Shared>>,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_lowercase(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    shared.requests.lock().unwrap().push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let scripted = shared.script.lock().unwrap().pop_front();
    let status = scripted.unwrap_or_else(|| *shared.default_status.lock().unwrap());
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body("ok")
}

impl Receiver {
    pub fn start() -> Self {
        let shared = Arc::new(Shared::default());
        *shared.default_status.lock().unwrap() = 200;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
        }
    }

    /// The next requests are answered with `statuses`, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.shared.script.lock().unwrap().extend(statuses);
    }

    /// Requests past the script are answered with `status`.
    pub fn answer_always(&self, status: u16) {
        *self.shared.default_status.lock().unwrap() = status;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.requests.lock().unwrap().clone()
    }
}
