//! Local fake Google (OAuth 2.0, Calendar v3) and Microsoft (identity platform v2.0, Graph)
//! servers speaking the wire formats of `shared/provider-contracts.md`, so Convene reaches them
//! only through its configured provider URLs.
//!
//! One server on `127.0.0.1` serves both providers:
//!
//! | what | path |
//! |---|---|
//! | Google authorize | `GET /google/o/oauth2/v2/auth` |
//! | Google token | `POST /google/token` |
//! | Google revoke | `POST /google/revoke?token=…` |
//! | Google Calendar v3 | `/google/calendar/v3/…` (`freeBusy`, `calendars/{id}`, `calendars/{id}/events[/{eventId}]`) |
//! | Microsoft authorize | `GET /ms/{tenant}/oauth2/v2.0/authorize` |
//! | Microsoft token | `POST /ms/{tenant}/oauth2/v2.0/token` |
//! | Microsoft Graph | `/graph/v1.0/…` (`me`, `me/calendar/getSchedule`, `me/events[/{id}]`) |
//!
//! The fakes are strict where a real provider is strict (exact redirect URIs, single-use codes,
//! PKCE, scopes per method, rotated Microsoft refresh tokens) because a lenient fake would let
//! client bugs through to production. Time zones are the one simplification: without a zone
//! database the fakes understand UTC and explicit offsets only, and answer 400 to any other zone
//! instead of guessing.
//!
//! Include it as `#[path = "../support/fake_providers.rs"] pub mod fake_providers;` at the root
//! of the test crate: in a private module every item that binary leaves unused is dead code.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA,
    RETRY_AFTER, WWW_AUTHENTICATE,
};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use url::Url;
use uuid::Uuid;

const CODE_LIFETIME_SECS: i64 = 600;
const DEFAULT_EXPIRES_IN: i64 = 3599;
const GOOGLE_SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";
const GRAPH_SCOPE_PREFIX: &str = "https://graph.microsoft.com/";
const OIDC_SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

// Scope lists follow the "Authorization" section of each method's reference page; a token
// without one of them gets the provider's 403, as in production.
const GOOGLE_FREEBUSY_SCOPES: &[&str] = &[
    "calendar",
    "calendar.readonly",
    "calendar.freebusy",
    "calendar.events.freebusy",
];
const GOOGLE_CALENDAR_READ_SCOPES: &[&str] = &[
    "calendar",
    "calendar.readonly",
    "calendar.calendars",
    "calendar.calendars.readonly",
    "calendar.app.created",
];
const GOOGLE_EVENT_WRITE_SCOPES: &[&str] =
    &["calendar", "calendar.events", "calendar.events.owned"];
const GRAPH_SCHEDULE_SCOPES: &[&str] = &[
    "Calendars.ReadBasic",
    "Calendars.Read",
    "Calendars.ReadWrite",
    "Calendars.Read.Shared",
    "Calendars.ReadWrite.Shared",
];
const GRAPH_EVENT_WRITE_SCOPES: &[&str] = &["Calendars.ReadWrite", "Calendars.ReadWrite.Shared"];

const SCHEDULE_STATUSES: [&str; 6] = [
    "free",
    "tentative",
    "busy",
    "oof",
    "workingElsewhere",
    "unknown",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Google,
    Microsoft,
}

/// Endpoints by role, so one script drives both providers alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Authorize,
    Token,
    /// Google only.
    Revoke,
    /// Google `POST /freeBusy`, Graph `POST /me/calendar/getSchedule`.
    FreeBusy,
    /// Google `GET /calendars/{id}`, Graph `GET /me`.
    Account,
    CreateEvent,
    /// Google `PATCH` and `PUT`, Graph `PATCH`.
    UpdateEvent,
    DeleteEvent,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// 401 in the provider's format (`invalid_client` on OAuth endpoints).
    Unauthorized,
    /// 429 with `Retry-After`.
    TooManyRequests { retry_after_secs: f64 },
    /// 500.
    ServerError,
    /// 503, with `Retry-After` when given.
    ServiceUnavailable { retry_after_secs: Option<f64> },
    /// Waits, then answers normally.
    Slow(Duration),
    /// 400 `invalid_grant`; token endpoint only.
    InvalidGrant,
}

/// One request as the fakes saw it. Holds no token, code or secret, so it is safe to print.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub provider: Option<Provider>,
    pub endpoint: Option<Endpoint>,
    pub method: String,
    /// Without the query string, which may carry a token (revoke).
    pub path: String,
    /// `Bearer`, `Basic`, …: the scheme only.
    pub auth_scheme: Option<String>,
    pub content_type: Option<String>,
    pub prefer: Option<String>,
    pub grant_type: Option<String>,
    /// The account the request acted for, once authenticated.
    pub account: Option<String>,
    pub status: u16,
    pub fault: Option<Fault>,
}

/// The running fakes. Dropping it stops the server.
pub struct FakeProviders {
    base_url: String,
    shared: Arc<Mutex<State>>,
    server: ServerHandle,
}

impl FakeProviders {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub async fn start() -> FakeProviders {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake providers");
        let port = listener.local_addr().expect("local address").port();
        let base_url = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Mutex::new(State::new(base_url.clone())));
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(dispatch))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeProviders {
            base_url,
            shared,
            server: handle,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn google_auth_url(&self) -> String {
        format!("{}/google/o/oauth2/v2/auth", self.base_url)
    }

    pub fn google_token_url(&self) -> String {
        format!("{}/google/token", self.base_url)
    }

    pub fn google_revoke_url(&self) -> String {
        format!("{}/google/revoke", self.base_url)
    }

    pub fn google_api_base(&self) -> String {
        format!("{}/google/calendar/v3", self.base_url)
    }

    /// Keeps the literal `{tenant}` placeholder, as Convene's config does.
    pub fn microsoft_auth_url(&self) -> String {
        format!("{}/ms/{{tenant}}/oauth2/v2.0/authorize", self.base_url)
    }

    /// Keeps the literal `{tenant}` placeholder, as Convene's config does.
    pub fn microsoft_token_url(&self) -> String {
        format!("{}/ms/{{tenant}}/oauth2/v2.0/token", self.base_url)
    }

    pub fn microsoft_api_base(&self) -> String {
        format!("{}/graph/v1.0", self.base_url)
    }

    /// Registers (or replaces) an OAuth client; redirect URIs must then match exactly.
    pub fn register_client(
        &self,
        provider: Provider,
        client_id: &str,
        client_secret: &str,
        redirect_uris: &[&str],
    ) {
        self.state().clients.insert(
            (provider, client_id.to_string()),
            Client {
                secret: client_secret.to_string(),
                redirect_uris: redirect_uris.iter().map(|u| u.to_string()).collect(),
            },
        );
    }

    pub fn add_google_account(&self, email: &str) {
        self.state().add_account(Provider::Google, email);
    }

    pub fn add_microsoft_account(&self, email: &str) {
        self.state().add_account(Provider::Microsoft, email);
    }

    /// Makes Graph `/me` answer `"mail": null`, as for accounts without a mailbox address, so
    /// only `userPrincipalName` names the account.
    pub fn hide_microsoft_mail(&self, email: &str) {
        self.state().account_mut(email).mail_hidden = true;
    }

    /// Replaces the account's busy intervals (Graph status `busy`).
    pub fn set_busy(&self, email: &str, busy: Vec<(DateTime<Utc>, DateTime<Utc>)>) {
        let items = busy
            .into_iter()
            .map(|(start, end)| BusyItem {
                start,
                end,
                status: "busy".to_string(),
            })
            .collect();
        self.state().account_mut(email).busy = items;
    }

    /// Replaces the account's schedule with items of any Graph status (`free`, `tentative`,
    /// `busy`, `oof`, `workingElsewhere`, `unknown`). Google freeBusy reports every item that is
    /// not `free` as busy.
    pub fn set_schedule_items(
        &self,
        email: &str,
        items: Vec<(DateTime<Utc>, DateTime<Utc>, &str)>,
    ) {
        let items = items
            .into_iter()
            .map(|(start, end, status)| {
                assert!(
                    SCHEDULE_STATUSES.contains(&status),
                    "unknown schedule status {status:?}"
                );
                BusyItem {
                    start,
                    end,
                    status: status.to_string(),
                }
            })
            .collect();
        self.state().account_mut(email).busy = items;
    }

    /// Makes Google freeBusy answer `errors: [{"domain": "global", "reason": reason}]` for this
    /// calendar (an email; `primary` resolves to the caller's email before the lookup).
    pub fn set_freebusy_error(&self, calendar: &str, reason: &str) {
        self.state()
            .freebusy_errors
            .insert(calendar.to_ascii_lowercase(), reason.to_string());
    }

    /// Makes Graph getSchedule answer `error: {message, responseCode}` for this schedule.
    pub fn set_schedule_error(&self, email: &str, response_code: &str, message: &str) {
        self.state().schedule_errors.insert(
            email.to_ascii_lowercase(),
            (response_code.to_string(), message.to_string()),
        );
    }

    pub fn clear_calendar_errors(&self, calendar: &str) {
        let key = calendar.to_ascii_lowercase();
        let mut state = self.state();
        state.freebusy_errors.remove(&key);
        state.schedule_errors.remove(&key);
    }

    /// Whether events written through the APIs show up as busy time, as they do on the real
    /// calendars (on by default).
    pub fn set_events_count_as_busy(&self, on: bool) {
        self.state().events_count_as_busy = on;
    }

    /// Every event written to the account, deleted ones included, in creation order:
    /// `{provider, calendar_id, id, deleted, start_utc, end_utc, attendees: [email],
    /// resource, history: [{action, at, send_updates, query, body}]}` where `resource` is what the
    /// provider would answer now and `action` is `insert`/`patch`/`update`/`delete` (Google) or
    /// `create`/`patch`/`delete` (Graph).
    pub fn events(&self, email: &str) -> Vec<Value> {
        self.state()
            .account_mut(email)
            .events
            .iter()
            .map(StoredEvent::describe)
            .collect()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    pub fn count(&self, provider: Provider, endpoint: Endpoint) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|r| r.provider == Some(provider) && r.endpoint == Some(endpoint))
            .count()
    }

    /// Successful `refresh_token` grants.
    pub fn refresh_count(&self, provider: Provider) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|r| {
                r.provider == Some(provider)
                    && r.endpoint == Some(Endpoint::Token)
                    && r.grant_type.as_deref() == Some("refresh_token")
                    && r.status == 200
            })
            .count()
    }

    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    /// Queues a fault for the next call of that endpoint; several queue up in order.
    pub fn fail_next(&self, provider: Provider, endpoint: Endpoint, fault: Fault) {
        check_fault(provider, endpoint, &fault);
        self.state()
            .faults
            .entry((provider, endpoint))
            .or_default()
            .queue
            .push_back(fault);
    }

    /// Answers every call of that endpoint with the fault (after any queued ones) until
    /// `clear_faults`.
    pub fn fail_always(&self, provider: Provider, endpoint: Endpoint, fault: Fault) {
        check_fault(provider, endpoint, &fault);
        self.state()
            .faults
            .entry((provider, endpoint))
            .or_default()
            .always = Some(fault);
    }

    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// The next authorization of that provider redirects with `error=access_denied`.
    pub fn deny_next_consent(&self, provider: Provider) {
        self.state().deny_consent.insert(provider);
    }

    /// The next authorization of the account's provider signs this account in, whatever
    /// `login_hint` says (a user picking another account).
    pub fn set_next_login(&self, email: &str) {
        let mut state = self.state();
        let provider = state.account_mut(email).provider;
        state
            .next_login
            .insert(provider, email.to_ascii_lowercase());
    }

    /// The next authorization of that provider grants only the requested scopes that are also
    /// in this list (a user unticking scopes on the consent screen).
    pub fn set_next_granted_scopes(&self, provider: Provider, scopes: &[&str]) {
        let scopes = scopes
            .iter()
            .map(|s| normalise_scope(provider, s))
            .collect();
        self.state().next_granted.insert(provider, scopes);
    }

    /// `expires_in` of access tokens issued from now on; they really stop working then.
    pub fn set_expires_in(&self, secs: i64) {
        self.state().expires_in = secs;
    }

    /// The account's current access tokens answer 401 from now on.
    pub fn expire_access_tokens(&self, email: &str) {
        let mut state = self.state();
        let email = email.to_ascii_lowercase();
        let State {
            access_tokens,
            grants,
            ..
        } = &mut *state;
        for token in access_tokens.values_mut() {
            if grants[token.grant].email == email {
                token.revoked = true;
            }
        }
    }

    /// The account's refresh tokens answer `invalid_grant` from now on, as after a password
    /// change or the user removing access; the next consent issues a new refresh token.
    pub fn revoke_refresh_tokens(&self, email: &str) {
        let mut state = self.state();
        let email = email.to_ascii_lowercase();
        let State {
            refresh_tokens,
            grants,
            consented,
            ..
        } = &mut *state;
        for token in refresh_tokens.values_mut() {
            if grants[token.grant].email == email && token.dead.is_none() {
                token.dead = Some(Death::Revoked);
            }
        }
        consented.retain(|(_, account)| *account != email);
    }

    /// Moves the fakes' clock forward: codes and access tokens expire without waiting.
    pub fn advance_clock(&self, by: Duration) {
        self.state().clock_offset += TimeDelta::from_std(by).expect("duration in range");
    }

    /// Every access and refresh token ever issued for the account, so a test can assert that
    /// none of them leaks into logs or responses.
    pub fn issued_tokens(&self, email: &str) -> Vec<String> {
        let state = self.state();
        let email = email.to_ascii_lowercase();
        let mine = |grant: usize| state.grants[grant].email == email;
        let mut tokens: Vec<String> = state
            .access_tokens
            .iter()
            .filter(|(_, t)| mine(t.grant))
            .map(|(k, _)| k.clone())
            .chain(
                state
                    .refresh_tokens
                    .iter()
                    .filter(|(_, t)| mine(t.grant))
                    .map(|(k, _)| k.clone()),
            )
            .collect();
        tokens.sort();
        tokens
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }
}

impl Drop for FakeProviders {
    fn drop(&mut self) {
        // The stop command is sent when `stop` is called; awaiting it only waits for workers.
        drop(self.server.stop(false));
    }
}

fn check_fault(provider: Provider, endpoint: Endpoint, fault: &Fault) {
    assert!(
        !(provider == Provider::Microsoft && endpoint == Endpoint::Revoke),
        "Microsoft has no revoke endpoint"
    );
    assert!(
        *fault != Fault::InvalidGrant || endpoint == Endpoint::Token,
        "InvalidGrant is an answer of the token endpoint only"
    );
}

fn lock(shared: &Mutex<State>) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Client {
    secret: String,
    redirect_uris: Vec<String>,
}

struct Account {
    provider: Provider,
    email: String,
    object_id: String,
    mail_hidden: bool,
    busy: Vec<BusyItem>,
    events: Vec<StoredEvent>,
}

impl Account {
    fn display_name(&self) -> &str {
        self.email.split('@').next().unwrap_or(&self.email)
    }
}

#[derive(Clone)]
struct BusyItem {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    status: String,
}

struct StoredEvent {
    provider: Provider,
    calendar_id: String,
    id: String,
    transaction_id: Option<String>,
    resource: Value,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    deleted: bool,
    history: Vec<Value>,
}

impl StoredEvent {
    /// The Graph status the event holds its time with, if it blocks time at all.
    fn blocking_status(&self) -> Option<String> {
        if self.deleted {
            return None;
        }
        let field = |name: &str| self.resource.get(name).and_then(Value::as_str);
        match self.provider {
            Provider::Google => (field("status") != Some("cancelled")
                && field("transparency") != Some("transparent"))
            .then(|| "busy".to_string()),
            Provider::Microsoft => {
                let cancelled = self.resource.get("isCancelled") == Some(&Value::Bool(true));
                let show_as = field("showAs").unwrap_or("busy");
                (!cancelled && show_as != "free").then(|| show_as.to_string())
            }
        }
    }

    fn describe(&self) -> Value {
        let attendees: Vec<Value> = self
            .resource
            .get("attendees")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|a| {
                        a.get("email")
                            .or_else(|| a.pointer("/emailAddress/address"))
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "provider": match self.provider {
                Provider::Google => "google",
                Provider::Microsoft => "microsoft",
            },
            "calendar_id": self.calendar_id,
            "id": self.id,
            "deleted": self.deleted,
            "start_utc": rfc3339(self.start),
            "end_utc": rfc3339(self.end),
            "attendees": attendees,
            "resource": self.resource,
            "history": self.history,
        })
    }
}

#[derive(Clone)]
struct AuthCode {
    provider: Provider,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scopes: Vec<String>,
    email: String,
    issued_at: DateTime<Utc>,
    force_consent: bool,
    used: bool,
}

struct Grant {
    provider: Provider,
    client_id: String,
    email: String,
    scopes: Vec<String>,
    revoked: bool,
}

struct AccessToken {
    grant: usize,
    expires_at: DateTime<Utc>,
    revoked: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Death {
    Rotated,
    Revoked,
}

#[derive(Clone)]
struct RefreshToken {
    grant: usize,
    dead: Option<Death>,
}

#[derive(Default)]
struct FaultPlan {
    queue: VecDeque<Fault>,
    always: Option<Fault>,
}

struct State {
    base_url: String,
    clock_offset: TimeDelta,
    expires_in: i64,
    etag_counter: u64,
    events_count_as_busy: bool,
    clients: HashMap<(Provider, String), Client>,
    accounts: HashMap<String, Account>,
    freebusy_errors: HashMap<String, String>,
    schedule_errors: HashMap<String, (String, String)>,
    next_login: HashMap<Provider, String>,
    deny_consent: HashSet<Provider>,
    next_granted: HashMap<Provider, Vec<String>>,
    codes: HashMap<String, AuthCode>,
    grants: Vec<Grant>,
    access_tokens: HashMap<String, AccessToken>,
    refresh_tokens: HashMap<String, RefreshToken>,
    /// (client_id, email) pairs holding a Google refresh token: Google issues a new one only on
    /// first consent or with `prompt=consent`.
    consented: HashSet<(String, String)>,
    faults: HashMap<(Provider, Endpoint), FaultPlan>,
    requests: Vec<RecordedRequest>,
}

/// Boxed: an `HttpResponse` is too large to ride on the error side of every `Result`.
type Refusal = Box<HttpResponse>;
type Reply = Result<HttpResponse, Refusal>;

/// What the request log learns from inside a handler.
#[derive(Default)]
struct Note {
    grant_type: Option<String>,
    account: Option<String>,
}

struct Incoming<'a> {
    query: Vec<(String, String)>,
    authorization: Option<&'a str>,
    prefer: Option<&'a str>,
    body: &'a [u8],
}

enum Route {
    Authorize(Provider),
    Token(Provider),
    GoogleRevoke,
    GoogleFreeBusy,
    GoogleCalendar(String),
    GoogleInsert(String),
    GoogleModify {
        calendar: String,
        event: String,
        replace: bool,
    },
    GoogleDelete {
        calendar: String,
        event: String,
    },
    GraphMe,
    GraphSchedule,
    GraphCreate,
    GraphPatch(String),
    GraphDelete(String),
    Unknown,
}

impl Route {
    fn parse(method: &Method, raw_path: &str) -> Route {
        let segments: Vec<String> = raw_path
            .trim_start_matches('/')
            .split('/')
            .map(percent_decode)
            .collect();
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let method = method.as_str();
        match (method, s.as_slice()) {
            ("GET", ["google", "o", "oauth2", "v2", "auth"]) => Route::Authorize(Provider::Google),
            ("POST", ["google", "token"]) => Route::Token(Provider::Google),
            ("POST", ["google", "revoke"]) => Route::GoogleRevoke,
            ("POST", ["google", "calendar", "v3", "freeBusy"]) => Route::GoogleFreeBusy,
            ("GET", ["google", "calendar", "v3", "calendars", id]) => {
                Route::GoogleCalendar(id.to_string())
            }
            ("POST", ["google", "calendar", "v3", "calendars", id, "events"]) => {
                Route::GoogleInsert(id.to_string())
            }
            (
                "PATCH" | "PUT",
                ["google", "calendar", "v3", "calendars", calendar, "events", event],
            ) => Route::GoogleModify {
                calendar: calendar.to_string(),
                event: event.to_string(),
                replace: method == "PUT",
            },
            ("DELETE", ["google", "calendar", "v3", "calendars", calendar, "events", event]) => {
                Route::GoogleDelete {
                    calendar: calendar.to_string(),
                    event: event.to_string(),
                }
            }
            ("GET", ["ms", _, "oauth2", "v2.0", "authorize"]) => {
                Route::Authorize(Provider::Microsoft)
            }
            ("POST", ["ms", _, "oauth2", "v2.0", "token"]) => Route::Token(Provider::Microsoft),
            (_, ["graph", "v1.0", rest @ ..]) => Route::graph(method, rest),
            _ => Route::Unknown,
        }
    }

    /// Graph resource paths are case-insensitive (its own docs write `getschedule`).
    fn graph(method: &str, rest: &[&str]) -> Route {
        let lower: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        match (method, l.as_slice()) {
            ("GET", ["me"]) => Route::GraphMe,
            ("POST", ["me", "calendar", "getschedule"]) => Route::GraphSchedule,
            ("POST", ["me", "events"]) => Route::GraphCreate,
            ("PATCH", ["me", "events", _]) => Route::GraphPatch(rest[2].to_string()),
            ("DELETE", ["me", "events", _]) => Route::GraphDelete(rest[2].to_string()),
            _ => Route::Unknown,
        }
    }

    fn key(&self) -> Option<(Provider, Endpoint)> {
        use Provider::{Google, Microsoft};
        Some(match self {
            Route::Authorize(p) => (*p, Endpoint::Authorize),
            Route::Token(p) => (*p, Endpoint::Token),
            Route::GoogleRevoke => (Google, Endpoint::Revoke),
            Route::GoogleFreeBusy => (Google, Endpoint::FreeBusy),
            Route::GoogleCalendar(_) => (Google, Endpoint::Account),
            Route::GoogleInsert(_) => (Google, Endpoint::CreateEvent),
            Route::GoogleModify { .. } => (Google, Endpoint::UpdateEvent),
            Route::GoogleDelete { .. } => (Google, Endpoint::DeleteEvent),
            Route::GraphMe => (Microsoft, Endpoint::Account),
            Route::GraphSchedule => (Microsoft, Endpoint::FreeBusy),
            Route::GraphCreate => (Microsoft, Endpoint::CreateEvent),
            Route::GraphPatch(_) => (Microsoft, Endpoint::UpdateEvent),
            Route::GraphDelete(_) => (Microsoft, Endpoint::DeleteEvent),
            Route::Unknown => return None,
        })
    }
}

async fn dispatch(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Mutex<State>>,
) -> HttpResponse {
    let route = Route::parse(req.method(), req.path());
    let key = route.key();
    let fault = key.and_then(|(provider, endpoint)| lock(&shared).take_fault(provider, endpoint));
    let headers = req.headers();
    let incoming = Incoming {
        query: parse_pairs(req.query_string().as_bytes()),
        authorization: header(headers, AUTHORIZATION.as_str()),
        prefer: header(headers, "prefer"),
        body: &body,
    };
    let mut note = Note::default();
    let forced = match (&fault, key) {
        (Some(Fault::Slow(delay)), _) => {
            tokio::time::sleep(*delay).await;
            None
        }
        (Some(fault), Some((provider, endpoint))) => fault_answer(provider, endpoint, fault),
        _ => None,
    };
    let response = match forced {
        Some(response) => response,
        None => lock(&shared).handle(&route, &incoming, &mut note),
    };
    let record = RecordedRequest {
        provider: key.map(|k| k.0),
        endpoint: key.map(|k| k.1),
        method: req.method().to_string(),
        path: req.path().to_string(),
        auth_scheme: incoming
            .authorization
            .and_then(|h| h.split_whitespace().next())
            .map(str::to_string),
        content_type: header(headers, CONTENT_TYPE.as_str()).map(str::to_string),
        prefer: incoming.prefer.map(str::to_string),
        grant_type: note.grant_type,
        account: note.account,
        status: response.status().as_u16(),
        fault,
    };
    lock(&shared).requests.push(record);
    response
}

/// The answer a fault forces, or `None` when it only delays the real one.
fn fault_answer(provider: Provider, endpoint: Endpoint, fault: &Fault) -> Option<HttpResponse> {
    let oauth = matches!(
        endpoint,
        Endpoint::Authorize | Endpoint::Token | Endpoint::Revoke
    );
    Some(match fault {
        Fault::Unauthorized if oauth => oauth_error(
            provider,
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        ),
        Fault::Unauthorized => unauthorized(provider),
        Fault::TooManyRequests { retry_after_secs } => {
            let response = if oauth {
                oauth_error(
                    provider,
                    429,
                    "temporarily_unavailable",
                    50196,
                    "Too many requests, try again later.",
                )
            } else {
                match provider {
                    Provider::Google => google_error(
                        429,
                        "usageLimits",
                        "rateLimitExceeded",
                        "Rate Limit Exceeded",
                    ),
                    Provider::Microsoft => graph_error(
                        429,
                        "TooManyRequests",
                        "Application is over its MailboxConcurrency limit.",
                    ),
                }
            };
            with_retry_after(response, Some(*retry_after_secs))
        }
        Fault::ServerError => match (oauth, provider) {
            (true, _) => oauth_error(
                provider,
                500,
                "server_error",
                90033,
                "A transient error has occurred.",
            ),
            (false, Provider::Google) => {
                google_error(500, "global", "backendError", "Backend Error")
            }
            (false, Provider::Microsoft) => {
                graph_error(500, "generalException", "An unexpected error occurred.")
            }
        },
        Fault::ServiceUnavailable { retry_after_secs } => {
            let response = match (oauth, provider) {
                (true, _) => oauth_error(
                    provider,
                    503,
                    "temporarily_unavailable",
                    90033,
                    "The service is temporarily unavailable.",
                ),
                (false, Provider::Google) => {
                    google_error(503, "global", "backendError", "Backend Error")
                }
                (false, Provider::Microsoft) => graph_error(
                    503,
                    "serviceNotAvailable",
                    "The service is temporarily unavailable.",
                ),
            };
            with_retry_after(response, *retry_after_secs)
        }
        Fault::InvalidGrant => oauth_error(
            provider,
            400,
            "invalid_grant",
            50173,
            "Token has been expired or revoked.",
        ),
        Fault::Slow(_) => return None,
    })
}

impl State {
    fn new(base_url: String) -> State {
        State {
            base_url,
            clock_offset: TimeDelta::zero(),
            expires_in: DEFAULT_EXPIRES_IN,
            etag_counter: 0,
            events_count_as_busy: true,
            clients: HashMap::new(),
            accounts: HashMap::new(),
            freebusy_errors: HashMap::new(),
            schedule_errors: HashMap::new(),
            next_login: HashMap::new(),
            deny_consent: HashSet::new(),
            next_granted: HashMap::new(),
            codes: HashMap::new(),
            grants: Vec::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            consented: HashSet::new(),
            faults: HashMap::new(),
            requests: Vec::new(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    fn next_etag(&mut self) -> String {
        self.etag_counter += 1;
        format!("\"{}\"", 3_400_000_000_000_000u64 + self.etag_counter)
    }

    fn add_account(&mut self, provider: Provider, email: &str) {
        let key = email.to_ascii_lowercase();
        if let Some(existing) = self.accounts.get(&key) {
            assert_eq!(
                existing.provider, provider,
                "{email} is already an account of the other provider"
            );
            return;
        }
        self.accounts.insert(
            key.clone(),
            Account {
                provider,
                email: key,
                object_id: Uuid::new_v4().to_string(),
                mail_hidden: false,
                busy: Vec::new(),
                events: Vec::new(),
            },
        );
    }

    fn account_mut(&mut self, email: &str) -> &mut Account {
        self.accounts
            .get_mut(&email.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("no fake account {email}: add it first"))
    }

    fn take_fault(&mut self, provider: Provider, endpoint: Endpoint) -> Option<Fault> {
        let plan = self.faults.get_mut(&(provider, endpoint))?;
        plan.queue.pop_front().or_else(|| plan.always.clone())
    }

    fn handle(&mut self, route: &Route, inc: &Incoming, note: &mut Note) -> HttpResponse {
        let reply = match route {
            Route::Authorize(provider) => self.authorize(*provider, inc),
            Route::Token(provider) => self.token(*provider, inc, note),
            Route::GoogleRevoke => self.google_revoke(inc, note),
            Route::GoogleFreeBusy => self.google_freebusy(inc, note),
            Route::GoogleCalendar(calendar) => self.google_calendar(calendar, inc, note),
            Route::GoogleInsert(calendar) => self.google_insert(calendar, inc, note),
            Route::GoogleModify {
                calendar,
                event,
                replace,
            } => self.google_modify(calendar, event, *replace, inc, note),
            Route::GoogleDelete { calendar, event } => {
                self.google_delete(calendar, event, inc, note)
            }
            Route::GraphMe => self.graph_me(inc, note),
            Route::GraphSchedule => self.graph_schedule(inc, note),
            Route::GraphCreate => self.graph_create(inc, note),
            Route::GraphPatch(id) => self.graph_patch(id, inc, note),
            Route::GraphDelete(id) => self.graph_delete(id, inc, note),
            Route::Unknown => Err(page(404, "no such endpoint on the fake providers").into()),
        };
        match reply {
            Ok(response) => response,
            Err(refusal) => *refusal,
        }
    }

    // ---- OAuth ----

    fn authorize(&mut self, provider: Provider, inc: &Incoming) -> Reply {
        let q = &inc.query;
        let client_id = param(q, "client_id").ok_or_else(|| page(400, "client_id is missing"))?;
        let redirect_uri =
            param(q, "redirect_uri").ok_or_else(|| page(400, "redirect_uri is missing"))?;
        let registered = self
            .clients
            .get(&(provider, client_id.to_string()))
            .ok_or_else(|| page(401, "invalid_client: the OAuth client was not found"))?;
        if !registered.redirect_uris.iter().any(|u| u == redirect_uri) {
            return Err(page(
                400,
                "redirect_uri_mismatch: the redirect URI is not registered for this client",
            )
            .into());
        }
        require(
            param(q, "response_type") == Some("code"),
            "unsupported_response_type: response_type must be code",
        )?;
        let state = param(q, "state")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| page(400, "state is missing"))?;
        let challenge = param(q, "code_challenge")
            .filter(|c| is_pkce_value(c))
            .ok_or_else(|| page(400, "code_challenge is missing or malformed"))?;
        require(
            param(q, "code_challenge_method") == Some("S256"),
            "code_challenge_method must be S256",
        )?;
        let requested: Vec<&str> = param(q, "scope")
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        require(!requested.is_empty(), "invalid_scope: scope is missing")?;
        match provider {
            Provider::Google => require(
                param(q, "access_type") == Some("offline"),
                "access_type=offline is required for a refresh token",
            )?,
            Provider::Microsoft => {
                require(
                    requested
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case("offline_access")),
                    "offline_access is required in scope for a refresh token",
                )?;
                require(
                    matches!(param(q, "response_mode"), None | Some("query")),
                    "response_mode must be query",
                )?;
            }
        }
        let mut target =
            Url::parse(redirect_uri).map_err(|_| page(400, "redirect_uri is not absolute"))?;
        if self.deny_consent.remove(&provider) {
            {
                let mut pairs = target.query_pairs_mut();
                pairs.append_pair("error", "access_denied");
                if provider == Provider::Microsoft {
                    pairs.append_pair(
                        "error_description",
                        "AADSTS65004: User declined to consent to access the app.",
                    );
                }
                pairs.append_pair("state", state);
            }
            return Ok(found(&target));
        }
        let email = self
            .choose_account(provider, param(q, "login_hint"))
            .ok_or_else(|| page(400, "no account to sign in: add one or call set_next_login"))?;
        let scopes = self.granted_scopes(provider, &requested);
        let code = match provider {
            Provider::Google => format!("4/0fake-{}", Uuid::new_v4().simple()),
            Provider::Microsoft => format!("M.C5fake-{}", Uuid::new_v4().simple()),
        };
        let force_consent =
            param(q, "prompt").is_some_and(|p| p.split_whitespace().any(|word| word == "consent"));
        self.codes.insert(
            code.clone(),
            AuthCode {
                provider,
                client_id: client_id.to_string(),
                redirect_uri: redirect_uri.to_string(),
                challenge: challenge.to_string(),
                scopes: scopes.clone(),
                email,
                issued_at: self.now(),
                force_consent,
                used: false,
            },
        );
        {
            let mut pairs = target.query_pairs_mut();
            match provider {
                // Google puts state first and adds scope and authuser: clients must not depend
                // on the order or on knowing every parameter.
                Provider::Google => {
                    pairs.append_pair("state", state);
                    pairs.append_pair("code", &code);
                    pairs.append_pair("scope", &scopes.join(" "));
                    pairs.append_pair("authuser", "0");
                }
                Provider::Microsoft => {
                    pairs.append_pair("code", &code);
                    pairs.append_pair("state", state);
                    pairs.append_pair("session_state", &Uuid::new_v4().to_string());
                }
            }
        }
        Ok(found(&target))
    }

    fn choose_account(&mut self, provider: Provider, hint: Option<&str>) -> Option<String> {
        if let Some(email) = self.next_login.remove(&provider) {
            return Some(email);
        }
        if let Some(hint) = hint.map(str::to_ascii_lowercase) {
            if self
                .accounts
                .get(&hint)
                .is_some_and(|a| a.provider == provider)
            {
                return Some(hint);
            }
        }
        let mut mine = self.accounts.values().filter(|a| a.provider == provider);
        match (mine.next(), mine.next()) {
            (Some(only), None) => Some(only.email.clone()),
            _ => None,
        }
    }

    fn granted_scopes(&mut self, provider: Provider, requested: &[&str]) -> Vec<String> {
        let mut scopes: Vec<String> = Vec::new();
        for scope in requested {
            let scope = normalise_scope(provider, scope);
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if let Some(allowed) = self.next_granted.remove(&provider) {
            scopes.retain(|s| allowed.contains(s));
        }
        scopes
    }

    fn token(&mut self, provider: Provider, inc: &Incoming, note: &mut Note) -> Reply {
        let form = parse_pairs(inc.body);
        let grant_type = param(&form, "grant_type").map(str::to_string);
        note.grant_type = grant_type.clone();
        let (client_id, secret) = match inc.authorization.and_then(basic_credentials) {
            Some(credentials) => credentials,
            None => (
                param(&form, "client_id").unwrap_or_default().to_string(),
                param(&form, "client_secret")
                    .unwrap_or_default()
                    .to_string(),
            ),
        };
        let client = self
            .clients
            .get(&(provider, client_id.clone()))
            .ok_or_else(|| {
                oauth_error(
                    provider,
                    401,
                    "invalid_client",
                    700016,
                    "The OAuth client was not found.",
                )
            })?;
        if client.secret != secret {
            return Err(oauth_error(
                provider,
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided.",
            )
            .into());
        }
        match grant_type.as_deref() {
            Some("authorization_code") => self.redeem_code(provider, &client_id, &form, note),
            Some("refresh_token") => self.refresh(provider, &client_id, &form, note),
            Some(_) => Err(oauth_error(
                provider,
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type.",
            )
            .into()),
            None => Err(oauth_error(
                provider,
                400,
                "invalid_request",
                900144,
                "The request body must contain the 'grant_type' parameter.",
            )
            .into()),
        }
    }

    fn redeem_code(
        &mut self,
        provider: Provider,
        client_id: &str,
        form: &[(String, String)],
        note: &mut Note,
    ) -> Reply {
        let invalid_grant = |code: u32, description: &str| {
            oauth_error(provider, 400, "invalid_grant", code, description)
        };
        let code = param(form, "code").ok_or_else(|| {
            oauth_error(
                provider,
                400,
                "invalid_request",
                900144,
                "Missing required parameter: code",
            )
        })?;
        let issued = self
            .codes
            .get(code)
            .filter(|c| c.provider == provider)
            .cloned()
            .ok_or_else(|| invalid_grant(70000, "Malformed auth code."))?;
        if issued.client_id != client_id {
            return Err(invalid_grant(70000, "The code was issued to another client.").into());
        }
        if issued.used {
            return Err(
                invalid_grant(54005, "The authorization code was already redeemed.").into(),
            );
        }
        if self.now() - issued.issued_at > TimeDelta::seconds(CODE_LIFETIME_SECS) {
            return Err(invalid_grant(70008, "The authorization code has expired.").into());
        }
        if param(form, "redirect_uri") != Some(issued.redirect_uri.as_str()) {
            return Err(match provider {
                Provider::Google => {
                    oauth_error(provider, 400, "redirect_uri_mismatch", 0, "Bad Request")
                }
                Provider::Microsoft => invalid_grant(
                    50011,
                    "The redirect URI does not match the one the code was issued for.",
                ),
            }
            .into());
        }
        let verifier = param(form, "code_verifier")
            .ok_or_else(|| invalid_grant(501481, "Missing code verifier."))?;
        if !is_pkce_value(verifier) || pkce_challenge(verifier) != issued.challenge {
            return Err(invalid_grant(
                501481,
                "The code_verifier does not match the code_challenge supplied in the authorization request.",
            ).into());
        }
        if let Some(stored) = self.codes.get_mut(code) {
            stored.used = true;
        }
        let with_refresh = match provider {
            Provider::Google => {
                issued.force_consent
                    || !self
                        .consented
                        .contains(&(client_id.to_string(), issued.email.clone()))
            }
            Provider::Microsoft => issued.scopes.iter().any(|s| s == "offline_access"),
        };
        note.account = Some(issued.email.clone());
        self.grants.push(Grant {
            provider,
            client_id: client_id.to_string(),
            email: issued.email,
            scopes: issued.scopes,
            revoked: false,
        });
        Ok(self.issue(self.grants.len() - 1, with_refresh))
    }

    fn refresh(
        &mut self,
        provider: Provider,
        client_id: &str,
        form: &[(String, String)],
        note: &mut Note,
    ) -> Reply {
        let token = param(form, "refresh_token").ok_or_else(|| {
            oauth_error(
                provider,
                400,
                "invalid_request",
                900144,
                "Missing required parameter: refresh_token",
            )
        })?;
        let expired = || {
            oauth_error(
                provider,
                400,
                "invalid_grant",
                50173,
                "Token has been expired or revoked.",
            )
        };
        let stored = self
            .refresh_tokens
            .get(token)
            .cloned()
            .ok_or_else(expired)?;
        let grant = &self.grants[stored.grant];
        if grant.provider != provider || grant.client_id != client_id {
            return Err(oauth_error(
                provider,
                400,
                "invalid_grant",
                70000,
                "The refresh token was issued to another client.",
            )
            .into());
        }
        if stored.dead.is_some() || grant.revoked {
            return Err(expired().into());
        }
        note.account = Some(grant.email.clone());
        let rotate = provider == Provider::Microsoft;
        if rotate {
            if let Some(old) = self.refresh_tokens.get_mut(token) {
                old.dead = Some(Death::Rotated);
            }
        }
        Ok(self.issue(stored.grant, rotate))
    }

    fn issue(&mut self, grant_index: usize, with_refresh: bool) -> HttpResponse {
        let expires_at = self.now() + TimeDelta::seconds(self.expires_in);
        let grant = &self.grants[grant_index];
        let provider = grant.provider;
        let (access, refresh) = match provider {
            Provider::Google => (
                format!(
                    "ya29.fake-{}{}",
                    Uuid::new_v4().simple(),
                    Uuid::new_v4().simple()
                ),
                format!("1//0gfake-{}", Uuid::new_v4().simple()),
            ),
            Provider::Microsoft => (
                format!(
                    "EwBfake-{}{}",
                    Uuid::new_v4().simple(),
                    Uuid::new_v4().simple()
                ),
                format!("AwABfake-{}", Uuid::new_v4().simple()),
            ),
        };
        let mut body = Map::new();
        body.insert("token_type".into(), json!("Bearer"));
        body.insert("access_token".into(), json!(access));
        body.insert("expires_in".into(), json!(self.expires_in));
        match provider {
            Provider::Google => {
                body.insert("scope".into(), json!(grant.scopes.join(" ")));
            }
            Provider::Microsoft => {
                let resource_scopes: Vec<&str> = grant
                    .scopes
                    .iter()
                    .map(String::as_str)
                    .filter(|s| !OIDC_SCOPES.contains(s))
                    .collect();
                body.insert("scope".into(), json!(resource_scopes.join(" ")));
                body.insert("ext_expires_in".into(), json!(self.expires_in));
            }
        }
        if with_refresh {
            body.insert("refresh_token".into(), json!(refresh));
            if provider == Provider::Google {
                self.consented
                    .insert((grant.client_id.clone(), grant.email.clone()));
            }
            self.refresh_tokens.insert(
                refresh,
                RefreshToken {
                    grant: grant_index,
                    dead: None,
                },
            );
        }
        self.access_tokens.insert(
            access,
            AccessToken {
                grant: grant_index,
                expires_at,
                revoked: false,
            },
        );
        HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header((PRAGMA, "no-cache"))
            .json(Value::Object(body))
    }

    fn google_revoke(&mut self, inc: &Incoming, note: &mut Note) -> Reply {
        let form = parse_pairs(inc.body);
        let token = param(&inc.query, "token").or_else(|| param(&form, "token"));
        let now = self.now();
        let grant = token.and_then(|t| {
            let from_access = self
                .access_tokens
                .get(t)
                .filter(|a| !a.revoked && now < a.expires_at)
                .map(|a| a.grant);
            let from_refresh = || {
                self.refresh_tokens
                    .get(t)
                    .filter(|r| r.dead.is_none())
                    .map(|r| r.grant)
            };
            from_access.or_else(from_refresh)
        });
        let grant = grant
            .filter(|g| !self.grants[*g].revoked && self.grants[*g].provider == Provider::Google)
            .ok_or_else(|| {
                HttpResponse::BadRequest().json(json!({
                    "error": "invalid_token",
                    "error_description": "Token expired or revoked",
                }))
            })?;
        let grant = &mut self.grants[grant];
        grant.revoked = true;
        note.account = Some(grant.email.clone());
        self.consented
            .remove(&(grant.client_id.clone(), grant.email.clone()));
        Ok(HttpResponse::Ok().finish())
    }

    /// The account behind a valid bearer token of this provider, holding one of `scopes`.
    fn bearer(
        &self,
        provider: Provider,
        inc: &Incoming,
        scopes: Option<&[&str]>,
    ) -> Result<String, Refusal> {
        let now = self.now();
        let grant = inc
            .authorization
            .and_then(|h| {
                let (scheme, token) = h.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .and_then(|token| self.access_tokens.get(token))
            .filter(|t| !t.revoked && now < t.expires_at)
            .map(|t| &self.grants[t.grant])
            .filter(|g| !g.revoked && g.provider == provider)
            .ok_or_else(|| unauthorized(provider))?;
        if let Some(allowed) = scopes {
            if !holds_scope(provider, &grant.scopes, allowed) {
                return Err(match provider {
                    Provider::Google => google_error(
                        403,
                        "global",
                        "insufficientPermissions",
                        "Request had insufficient authentication scopes.",
                    ),
                    Provider::Microsoft => graph_error(
                        403,
                        "ErrorAccessDenied",
                        "Access is denied. Check credentials and try again.",
                    ),
                }
                .into());
            }
        }
        Ok(grant.email.clone())
    }

    /// Busy time of an account: its scripted items, then the events written to it.
    fn busy_items(&self, email: &str) -> Vec<BusyItem> {
        let Some(account) = self.accounts.get(email) else {
            return Vec::new();
        };
        let mut items = account.busy.clone();
        if self.events_count_as_busy {
            items.extend(account.events.iter().filter_map(|event| {
                event.blocking_status().map(|status| BusyItem {
                    start: event.start,
                    end: event.end,
                    status,
                })
            }));
        }
        items.sort_by_key(|item| (item.start, item.end));
        items
    }

    // ---- Google Calendar v3 ----

    fn google_freebusy(&mut self, inc: &Incoming, note: &mut Note) -> Reply {
        let me = self.bearer(Provider::Google, inc, Some(GOOGLE_FREEBUSY_SCOPES))?;
        note.account = Some(me.clone());
        let body = google_json_body(inc)?;
        let bound = |name: &str| -> Result<DateTime<Utc>, Refusal> {
            let raw = body.get(name).and_then(Value::as_str).ok_or_else(|| {
                google_error(
                    400,
                    "global",
                    "required",
                    &format!("Missing {name} parameter."),
                )
            })?;
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    google_error(400, "global", "invalid", &format!("Invalid {name} value.")).into()
                })
        };
        let (time_min, time_max) = (bound("timeMin")?, bound("timeMax")?);
        if time_max <= time_min {
            return Err(google_error(
                400,
                "calendar",
                "timeRangeEmpty",
                "The specified time range is empty.",
            )
            .into());
        }
        let mut calendars = Map::new();
        for item in body
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = item.get("id").and_then(Value::as_str).ok_or_else(|| {
                google_error(400, "global", "required", "Missing items.id parameter.")
            })?;
            let resolved = if id == "primary" {
                me.clone()
            } else {
                id.to_ascii_lowercase()
            };
            let is_google_account = self
                .accounts
                .get(&resolved)
                .is_some_and(|a| a.provider == Provider::Google);
            let entry = match self.freebusy_errors.get(&resolved) {
                Some(reason) => {
                    json!({"busy": [], "errors": [{"domain": "global", "reason": reason}]})
                }
                None if is_google_account => {
                    let busy: Vec<Value> = merged_busy(
                        &self.busy_items(&resolved),
                        time_min,
                        time_max,
                    )
                    .into_iter()
                    .map(|(start, end)| json!({"start": rfc3339(start), "end": rfc3339(end)}))
                    .collect();
                    json!({ "busy": busy })
                }
                None => json!({"busy": [], "errors": [{"domain": "global", "reason": "notFound"}]}),
            };
            calendars.insert(id.to_string(), entry);
        }
        Ok(HttpResponse::Ok().json(json!({
            "kind": "calendar#freeBusy",
            "timeMin": time_min.to_rfc3339_opts(SecondsFormat::Millis, true),
            "timeMax": time_max.to_rfc3339_opts(SecondsFormat::Millis, true),
            "groups": {},
            "calendars": calendars,
        })))
    }

    fn google_calendar(&mut self, calendar: &str, inc: &Incoming, note: &mut Note) -> Reply {
        let me = self.bearer(Provider::Google, inc, Some(GOOGLE_CALENDAR_READ_SCOPES))?;
        note.account = Some(me.clone());
        google_own_calendar(calendar, &me)?;
        Ok(HttpResponse::Ok().json(json!({
            "kind": "calendar#calendar",
            "etag": "\"fake-calendar-etag\"",
            "id": me,
            "summary": me,
            "timeZone": "UTC",
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        })))
    }

    fn google_insert(&mut self, calendar: &str, inc: &Incoming, note: &mut Note) -> Reply {
        let me = self.bearer(Provider::Google, inc, Some(GOOGLE_EVENT_WRITE_SCOPES))?;
        note.account = Some(me.clone());
        google_own_calendar(calendar, &me)?;
        let body = google_json_body(inc)?;
        let (start, end) = google_times(&body)?;
        let account = self.accounts.get(&me).expect("authenticated account");
        let id = match body.get("id") {
            None => Uuid::new_v4().simple().to_string(),
            Some(Value::String(id)) if is_google_event_id(id) => {
                if account.events.iter().any(|e| e.id == *id) {
                    return Err(google_error(
                        409,
                        "global",
                        "duplicate",
                        "The requested identifier already exists.",
                    )
                    .into());
                }
                id.clone()
            }
            Some(_) => {
                return Err(
                    google_error(400, "global", "invalid", "Invalid resource id value.").into(),
                );
            }
        };
        let now = self.now();
        let etag = self.next_etag();
        let mut resource = body.clone();
        let fields = resource.as_object_mut().expect("object body");
        fields.insert("kind".into(), json!("calendar#event"));
        fields.insert("etag".into(), json!(etag));
        fields.insert("id".into(), json!(id));
        fields.entry("status").or_insert(json!("confirmed"));
        fields.insert(
            "htmlLink".into(),
            json!(format!(
                "{}/google/calendar/event?eid={}",
                self.base_url,
                URL_SAFE_NO_PAD.encode(format!("{id} {me}"))
            )),
        );
        fields.insert("created".into(), json!(rfc3339_millis(now)));
        fields.insert("updated".into(), json!(rfc3339_millis(now)));
        fields.insert("creator".into(), json!({"email": me, "self": true}));
        fields.insert("organizer".into(), json!({"email": me, "self": true}));
        fields.insert("iCalUID".into(), json!(format!("{id}@google.com")));
        fields.entry("sequence").or_insert(json!(0));
        fields
            .entry("reminders")
            .or_insert(json!({"useDefault": true}));
        fields.insert("eventType".into(), json!("default"));
        fill_google_attendees(fields);
        let history = vec![history_entry("insert", now, inc, &body)];
        self.accounts
            .get_mut(&me)
            .expect("authenticated account")
            .events
            .push(StoredEvent {
                provider: Provider::Google,
                calendar_id: calendar.to_string(),
                id,
                transaction_id: None,
                resource: resource.clone(),
                start,
                end,
                deleted: false,
                history,
            });
        Ok(HttpResponse::Ok().json(resource))
    }

    fn google_modify(
        &mut self,
        calendar: &str,
        event_id: &str,
        replace: bool,
        inc: &Incoming,
        note: &mut Note,
    ) -> Reply {
        let me = self.bearer(Provider::Google, inc, Some(GOOGLE_EVENT_WRITE_SCOPES))?;
        note.account = Some(me.clone());
        google_own_calendar(calendar, &me)?;
        let body = google_json_body(inc)?;
        let now = self.now();
        let etag = self.next_etag();
        let event = google_event_mut(self.accounts.get_mut(&me), event_id)?;
        let mut resource = if replace {
            body.clone()
        } else {
            let mut merged = event.resource.clone();
            merge_patch(&mut merged, &body);
            merged
        };
        let (start, end) = google_times(&resource)?;
        let current = event
            .resource
            .get("sequence")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let sequence = match body.get("sequence").and_then(Value::as_i64) {
            Some(requested) if requested < current => {
                return Err(google_error(
                    400,
                    "global",
                    "invalid",
                    "Invalid sequence value. The specified sequence number is below the current sequence number of the resource to be updated.",
                ).into());
            }
            Some(requested) => requested,
            None if (start, end) != (event.start, event.end) => current + 1,
            None => current,
        };
        let fields = resource.as_object_mut().expect("object body");
        for name in [
            "kind",
            "id",
            "htmlLink",
            "created",
            "creator",
            "organizer",
            "iCalUID",
        ] {
            if let Some(kept) = event.resource.get(name) {
                fields.insert(name.into(), kept.clone());
            }
        }
        fields.entry("status").or_insert(json!("confirmed"));
        fields.insert("etag".into(), json!(etag));
        fields.insert("updated".into(), json!(rfc3339_millis(now)));
        fields.insert("sequence".into(), json!(sequence));
        fill_google_attendees(fields);
        event.resource = resource.clone();
        event.start = start;
        event.end = end;
        let action = if replace { "update" } else { "patch" };
        event.history.push(history_entry(action, now, inc, &body));
        Ok(HttpResponse::Ok().json(resource))
    }

    fn google_delete(
        &mut self,
        calendar: &str,
        event_id: &str,
        inc: &Incoming,
        note: &mut Note,
    ) -> Reply {
        let me = self.bearer(Provider::Google, inc, Some(GOOGLE_EVENT_WRITE_SCOPES))?;
        note.account = Some(me.clone());
        google_own_calendar(calendar, &me)?;
        let now = self.now();
        let etag = self.next_etag();
        let event = google_event_mut(self.accounts.get_mut(&me), event_id)?;
        event.deleted = true;
        if let Some(fields) = event.resource.as_object_mut() {
            fields.insert("status".into(), json!("cancelled"));
            fields.insert("etag".into(), json!(etag));
            fields.insert("updated".into(), json!(rfc3339_millis(now)));
        }
        event
            .history
            .push(history_entry("delete", now, inc, &Value::Null));
        Ok(HttpResponse::NoContent().finish())
    }

    // ---- Microsoft Graph ----

    fn graph_me(&mut self, inc: &Incoming, note: &mut Note) -> Reply {
        // `/me` formally needs User.Read, which app registrations hold statically; the scope
        // request need not name it, so it is not checked.
        let me = self.bearer(Provider::Microsoft, inc, None)?;
        note.account = Some(me.clone());
        let account = self.accounts.get(&me).expect("authenticated account");
        let mail = if account.mail_hidden {
            Value::Null
        } else {
            json!(account.email)
        };
        Ok(HttpResponse::Ok().json(json!({
            "@odata.context": format!("{}/graph/v1.0/$metadata#users/$entity", self.base_url),
            "id": account.object_id,
            "displayName": account.display_name(),
            "givenName": account.display_name(),
            "surname": null,
            "mail": mail,
            "userPrincipalName": account.email,
            "businessPhones": [],
            "jobTitle": null,
            "mobilePhone": null,
            "officeLocation": null,
            "preferredLanguage": "en-US",
        })))
    }

    fn graph_schedule(&mut self, inc: &Incoming, note: &mut Note) -> Reply {
        let me = self.bearer(Provider::Microsoft, inc, Some(GRAPH_SCHEDULE_SCOPES))?;
        note.account = Some(me);
        let prefer_applied = graph_prefer_utc(inc)?;
        let body = graph_json_body(inc)?;
        let fields = body.as_object().expect("object body");
        let schedules: Vec<&str> = field_ci(fields, "schedules")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if schedules.is_empty() {
            return Err(
                graph_error(400, "ErrorInvalidParameter", "Schedules must not be empty.").into(),
            );
        }
        let start = graph_time(field_ci(fields, "startTime"), "startTime")?;
        let end = graph_time(field_ci(fields, "endTime"), "endTime")?;
        if end <= start {
            return Err(graph_error(
                400,
                "ErrorInvalidParameter",
                "The end time must be after the start time.",
            )
            .into());
        }
        let interval = match field_ci(fields, "availabilityViewInterval") {
            None => Some(30),
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            Some(_) => None,
        }
        .filter(|minutes| (5..=1440).contains(minutes))
        .ok_or_else(|| {
            graph_error(
                400,
                "ErrorInvalidParameter",
                "availabilityViewInterval must be between 5 and 1440 minutes.",
            )
        })?;
        let value: Vec<Value> = schedules
            .iter()
            .map(|id| {
                let key = id.to_ascii_lowercase();
                if let Some((code, message)) = self.schedule_errors.get(&key) {
                    return json!({
                        "scheduleId": id,
                        "availabilityView": "",
                        "error": {"message": message, "responseCode": code},
                    });
                }
                if !self
                    .accounts
                    .get(&key)
                    .is_some_and(|a| a.provider == Provider::Microsoft)
                {
                    return json!({
                        "scheduleId": id,
                        "availabilityView": "",
                        "error": {
                            "message": "Unable to resolve the mailbox.",
                            "responseCode": "ErrorMailRecipientNotFound",
                        },
                    });
                }
                let items: Vec<BusyItem> = self
                    .busy_items(&key)
                    .into_iter()
                    .filter(|item| item.start < end && item.end > start)
                    .collect();
                let schedule_items: Vec<Value> = items
                    .iter()
                    .map(|item| {
                        json!({
                            "isPrivate": false,
                            "status": item.status,
                            "subject": "Busy",
                            "location": "",
                            "start": graph_time_json(item.start),
                            "end": graph_time_json(item.end),
                        })
                    })
                    .collect();
                json!({
                    "scheduleId": id,
                    "availabilityView": availability_view(&items, start, end, interval),
                    "scheduleItems": schedule_items,
                    "workingHours": {
                        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                        "startTime": "08:00:00.0000000",
                        "endTime": "17:00:00.0000000",
                        "timeZone": {"name": "UTC"},
                    },
                })
            })
            .collect();
        let mut response = HttpResponse::Ok();
        if prefer_applied {
            response.insert_header(("Preference-Applied", "outlook.timezone=\"UTC\""));
        }
        Ok(response.json(json!({
            "@odata.context": format!(
                "{}/graph/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)",
                self.base_url
            ),
            "value": value,
        })))
    }

    fn graph_create(&mut self, inc: &Incoming, note: &mut Note) -> Reply {
        let me = self.bearer(Provider::Microsoft, inc, Some(GRAPH_EVENT_WRITE_SCOPES))?;
        note.account = Some(me.clone());
        let prefer_applied = graph_prefer_utc(inc)?;
        let body = graph_json_body(inc)?;
        let fields = body.as_object().expect("object body");
        let transaction_id = field_ci(fields, "transactionId")
            .and_then(Value::as_str)
            .map(str::to_string);
        let account = self.accounts.get(&me).expect("authenticated account");
        if let Some(transaction) = &transaction_id {
            let earlier = account
                .events
                .iter()
                .find(|e| !e.deleted && e.transaction_id.as_deref() == Some(transaction));
            if let Some(earlier) = earlier {
                return Ok(graph_event_response(201, &earlier.resource, prefer_applied));
            }
        }
        let start = graph_time(field_ci(fields, "start"), "start")?;
        let end = graph_time(field_ci(fields, "end"), "end")?;
        if end < start {
            return Err(graph_error(
                400,
                "ErrorInvalidRequest",
                "The end time must not be before the start time.",
            )
            .into());
        }
        let now = self.now();
        let id = format!(
            "AAMkAGI2fake{}AAA=",
            URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes())
        );
        let mut resource = body.clone();
        let out = resource.as_object_mut().expect("object body");
        out.insert(
            "@odata.context".into(),
            json!(format!(
                "{}/graph/v1.0/$metadata#users('{}')/events/$entity",
                self.base_url, account.object_id
            )),
        );
        out.insert("id".into(), json!(id));
        out.insert("createdDateTime".into(), json!(graph_stamp(now)));
        out.insert(
            "iCalUId".into(),
            json!(format!(
                "040000008200E00074C5B7101A82E00800000000{}",
                Uuid::new_v4().simple().to_string().to_ascii_uppercase()
            )),
        );
        let web_link: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        out.insert(
            "webLink".into(),
            json!(format!(
                "{}/owa/?itemid={web_link}&exvsurl=1&path=/calendar/item",
                self.base_url
            )),
        );
        out.insert(
            "organizer".into(),
            json!({"emailAddress": {"name": account.display_name(), "address": account.email}}),
        );
        out.insert("isOrganizer".into(), json!(true));
        out.insert(
            "responseStatus".into(),
            json!({"response": "organizer", "time": "0001-01-01T00:00:00Z"}),
        );
        out.insert("isCancelled".into(), json!(false));
        out.insert("type".into(), json!("singleInstance"));
        out.entry("showAs").or_insert(json!("busy"));
        out.entry("subject").or_insert(json!(""));
        out.entry("isAllDay").or_insert(json!(false));
        out.entry("body")
            .or_insert(json!({"contentType": "html", "content": ""}));
        out.entry("attendees").or_insert(json!([]));
        refresh_graph_event(out, now, start, end);
        let history = vec![history_entry("create", now, inc, &body)];
        self.accounts
            .get_mut(&me)
            .expect("authenticated account")
            .events
            .push(StoredEvent {
                provider: Provider::Microsoft,
                calendar_id: "calendar".to_string(),
                id,
                transaction_id,
                resource: resource.clone(),
                start,
                end,
                deleted: false,
                history,
            });
        Ok(graph_event_response(201, &resource, prefer_applied))
    }

    fn graph_patch(&mut self, event_id: &str, inc: &Incoming, note: &mut Note) -> Reply {
        let me = self.bearer(Provider::Microsoft, inc, Some(GRAPH_EVENT_WRITE_SCOPES))?;
        note.account = Some(me.clone());
        let prefer_applied = graph_prefer_utc(inc)?;
        let body = graph_json_body(inc)?;
        let now = self.now();
        let event = graph_event_mut(self.accounts.get_mut(&me), event_id)?;
        let mut resource = event.resource.clone();
        merge_patch(&mut resource, &body);
        let out = resource.as_object_mut().expect("object resource");
        let start = graph_time(field_ci(out, "start"), "start")?;
        let end = graph_time(field_ci(out, "end"), "end")?;
        if end < start {
            return Err(graph_error(
                400,
                "ErrorInvalidRequest",
                "The end time must not be before the start time.",
            )
            .into());
        }
        for name in [
            "id",
            "iCalUId",
            "webLink",
            "organizer",
            "createdDateTime",
            "@odata.context",
        ] {
            if let Some(kept) = event.resource.get(name) {
                out.insert(name.into(), kept.clone());
            }
        }
        refresh_graph_event(out, now, start, end);
        event.resource = resource.clone();
        event.start = start;
        event.end = end;
        event.history.push(history_entry("patch", now, inc, &body));
        Ok(graph_event_response(200, &resource, prefer_applied))
    }

    fn graph_delete(&mut self, event_id: &str, inc: &Incoming, note: &mut Note) -> Reply {
        let me = self.bearer(Provider::Microsoft, inc, Some(GRAPH_EVENT_WRITE_SCOPES))?;
        note.account = Some(me.clone());
        let now = self.now();
        let event = graph_event_mut(self.accounts.get_mut(&me), event_id)?;
        event.deleted = true;
        event
            .history
            .push(history_entry("delete", now, inc, &Value::Null));
        Ok(HttpResponse::NoContent().finish())
    }
}

// ---- shared answers ----

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).expect("valid status code")
}

/// A plain-text error page: authorize errors are shown to the user, not redirected, so a test
/// following the redirect sees the reason.
fn page(code: u16, message: &str) -> HttpResponse {
    HttpResponse::build(status(code))
        .content_type("text/plain; charset=utf-8")
        .body(message.to_string())
}

fn require(condition: bool, message: &str) -> Result<(), Refusal> {
    if condition {
        Ok(())
    } else {
        Err(page(400, message).into())
    }
}

fn found(target: &Url) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((LOCATION, target.as_str()))
        .finish()
}

fn oauth_error(
    provider: Provider,
    code: u16,
    error: &str,
    aadsts: u32,
    description: &str,
) -> HttpResponse {
    let body = match provider {
        Provider::Google => json!({"error": error, "error_description": description}),
        Provider::Microsoft => {
            let trace_id = Uuid::new_v4().to_string();
            let correlation_id = Uuid::new_v4().to_string();
            let timestamp = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
            json!({
                "error": error,
                "error_description": format!(
                    "AADSTS{aadsts}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
                ),
                "error_codes": [aadsts],
                "timestamp": timestamp,
                "trace_id": trace_id,
                "correlation_id": correlation_id,
            })
        }
    };
    HttpResponse::build(status(code))
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(body)
}

fn google_error(code: u16, domain: &str, reason: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status(code)).json(json!({
        "error": {
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "code": code,
            "message": message,
        }
    }))
}

fn graph_error(code: u16, error_code: &str, message: &str) -> HttpResponse {
    let now = Utc::now();
    HttpResponse::build(status(code)).json(json!({
        "error": {
            "code": error_code,
            "message": message,
            "innerError": {
                "date": now.to_rfc3339_opts(SecondsFormat::Secs, true),
                "request-id": Uuid::new_v4().to_string(),
                "client-request-id": Uuid::new_v4().to_string(),
            },
        }
    }))
}

fn unauthorized(provider: Provider) -> HttpResponse {
    let mut response = match provider {
        Provider::Google => google_error(401, "global", "authError", "Invalid Credentials"),
        Provider::Microsoft => graph_error(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ),
    };
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

fn with_retry_after(mut response: HttpResponse, secs: Option<f64>) -> HttpResponse {
    if let Some(secs) = secs {
        response.headers_mut().insert(
            RETRY_AFTER,
            HeaderValue::from_str(&secs.to_string()).expect("numeric header value"),
        );
    }
    response
}

fn history_entry(action: &str, at: DateTime<Utc>, inc: &Incoming, body: &Value) -> Value {
    let query: Map<String, Value> = inc
        .query
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!({
        "action": action,
        "at": rfc3339(at),
        "send_updates": param(&inc.query, "sendUpdates"),
        "query": query,
        "body": body,
    })
}

/// RFC 7396 merge: objects merge, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let fields = target.as_object_mut().expect("object target");
    for (name, change) in changes {
        if change.is_null() {
            fields.remove(name);
        } else {
            merge_patch(fields.entry(name.clone()).or_insert(Value::Null), change);
        }
    }
}

// ---- Google details ----

fn google_json_body(inc: &Incoming) -> Result<Value, Refusal> {
    serde_json::from_slice::<Value>(inc.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| google_error(400, "global", "parseError", "Parse Error").into())
}

fn google_own_calendar(calendar: &str, me: &str) -> Result<(), Refusal> {
    if calendar == "primary" || calendar.eq_ignore_ascii_case(me) {
        Ok(())
    } else {
        Err(google_error(404, "global", "notFound", "Not Found").into())
    }
}

fn google_event_mut<'a>(
    account: Option<&'a mut Account>,
    id: &str,
) -> Result<&'a mut StoredEvent, Refusal> {
    let event = account
        .and_then(|a| a.events.iter_mut().find(|e| e.id == id))
        .ok_or_else(|| google_error(404, "global", "notFound", "Not Found"))?;
    if event.deleted {
        return Err(google_error(410, "global", "deleted", "Resource has been deleted").into());
    }
    Ok(event)
}

fn google_times(event: &Value) -> Result<(DateTime<Utc>, DateTime<Utc>), Refusal> {
    let time = |name: &str| -> Result<DateTime<Utc>, Refusal> {
        let value = event.get(name).ok_or_else(|| {
            google_error(400, "global", "required", &format!("Missing {name} time."))
        })?;
        google_time(value).ok_or_else(|| {
            google_error(400, "global", "invalid", &format!("Invalid {name} time.")).into()
        })
    };
    let (start, end) = (time("start")?, time("end")?);
    if end < start {
        return Err(google_error(
            400,
            "calendar",
            "timeRangeEmpty",
            "The specified time range is empty.",
        )
        .into());
    }
    Ok((start, end))
}

/// `dateTime` with an offset, or without one in UTC (the fake calendars' zone), or an all-day
/// `date`.
fn google_time(value: &Value) -> Option<DateTime<Utc>> {
    if let Some(raw) = value.get("dateTime").and_then(Value::as_str) {
        if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
            return Some(time.with_timezone(&Utc));
        }
        let zone = value
            .get("timeZone")
            .and_then(Value::as_str)
            .unwrap_or("UTC");
        return is_utc_zone(zone)
            .then(|| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").ok())
            .flatten()
            .map(|naive| naive.and_utc());
    }
    let date = value.get("date").and_then(Value::as_str)?;
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

fn is_google_event_id(id: &str) -> bool {
    (5..=1024).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
}

fn fill_google_attendees(event: &mut Map<String, Value>) {
    if let Some(Value::Array(attendees)) = event.get_mut("attendees") {
        for attendee in attendees.iter_mut().filter_map(Value::as_object_mut) {
            attendee
                .entry("responseStatus")
                .or_insert(json!("needsAction"));
        }
    }
}

/// Busy intervals clipped to the window, overlapping and touching ones merged, as freeBusy
/// reports them.
fn merged_busy(
    items: &[BusyItem],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for item in items.iter().filter(|item| item.status != "free") {
        let (start, end) = (item.start.max(from), item.end.min(to));
        if start >= end {
            continue;
        }
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

// ---- Graph details ----

fn graph_json_body(inc: &Incoming) -> Result<Value, Refusal> {
    serde_json::from_slice::<Value>(inc.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            graph_error(
                400,
                "RequestBodyRead",
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
            )
            .into()
        })
}

/// Graph property names are case-insensitive.
fn field_ci<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// Whether `Prefer: outlook.timezone="UTC"` was sent; any other zone is refused.
fn graph_prefer_utc(inc: &Incoming) -> Result<bool, Refusal> {
    let Some(prefer) = inc.prefer else {
        return Ok(false);
    };
    for preference in prefer.split(',') {
        let Some((name, value)) = preference.trim().split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("outlook.timezone") {
            let zone = value.trim().trim_matches('"');
            return if is_utc_zone(zone) {
                Ok(true)
            } else {
                Err(unsupported_zone(zone).into())
            };
        }
    }
    Ok(false)
}

fn unsupported_zone(zone: &str) -> HttpResponse {
    graph_error(
        400,
        "TimeZoneNotSupportedException",
        &format!(
            "A valid TimeZone value must be specified. The following TimeZone value is not supported: '{zone}'."
        ),
    )
}

/// A Graph `dateTimeTimeZone` in UTC: `dateTime` without offset, with up to seven decimals.
fn graph_time(value: Option<&Value>, name: &str) -> Result<DateTime<Utc>, Refusal> {
    let invalid = || {
        graph_error(
            400,
            "ErrorInvalidRequest",
            &format!("{name} must be a dateTimeTimeZone with dateTime and timeZone."),
        )
    };
    let fields = value.and_then(Value::as_object).ok_or_else(invalid)?;
    let zone = field_ci(fields, "timeZone")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    if !is_utc_zone(zone) {
        return Err(unsupported_zone(zone).into());
    }
    let raw = field_ci(fields, "dateTime")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)))
        .map_err(|_| invalid().into())
}

fn graph_time_json(time: DateTime<Utc>) -> Value {
    json!({"dateTime": graph_local(time), "timeZone": "UTC"})
}

/// `2025-03-10T12:00:00.0000000`: Graph's seven decimals, no offset.
fn graph_local(time: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}",
        time.format("%Y-%m-%dT%H:%M:%S"),
        time.timestamp_subsec_nanos() / 100
    )
}

fn graph_stamp(time: DateTime<Utc>) -> String {
    format!("{}Z", graph_local(time))
}

fn graph_event_mut<'a>(
    account: Option<&'a mut Account>,
    id: &str,
) -> Result<&'a mut StoredEvent, Refusal> {
    account
        .and_then(|a| a.events.iter_mut().find(|e| e.id == id && !e.deleted))
        .ok_or_else(|| {
            graph_error(
                404,
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            )
            .into()
        })
}

/// Server-maintained fields after every write.
fn refresh_graph_event(
    event: &mut Map<String, Value>,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) {
    let change_key = URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes());
    event.insert("@odata.etag".into(), json!(format!("W/\"{change_key}\"")));
    event.insert("changeKey".into(), json!(change_key));
    event.insert("lastModifiedDateTime".into(), json!(graph_stamp(now)));
    event.insert("start".into(), graph_time_json(start));
    event.insert("end".into(), graph_time_json(end));
    event.insert("originalStartTimeZone".into(), json!("UTC"));
    event.insert("originalEndTimeZone".into(), json!("UTC"));
    if let Some(Value::Array(attendees)) = event.get_mut("attendees") {
        for attendee in attendees.iter_mut().filter_map(Value::as_object_mut) {
            attendee.entry("type").or_insert(json!("required"));
            attendee
                .entry("status")
                .or_insert(json!({"response": "none", "time": "0001-01-01T00:00:00Z"}));
        }
    }
}

fn graph_event_response(code: u16, resource: &Value, prefer_applied: bool) -> HttpResponse {
    let mut response = HttpResponse::build(status(code));
    if prefer_applied {
        response.insert_header(("Preference-Applied", "outlook.timezone=\"UTC\""));
    }
    response.json(resource)
}

/// One digit per interval: 0 free, 1 tentative, 2 busy, 3 out of office, 4 working elsewhere;
/// the most blocking item in an interval wins.
fn availability_view(
    items: &[BusyItem],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    interval_minutes: i64,
) -> String {
    let rank = |status: &str| match status {
        "oof" => (4, '3'),
        "busy" | "unknown" => (3, '2'),
        "tentative" => (2, '1'),
        "workingElsewhere" => (1, '4'),
        _ => (0, '0'),
    };
    let step = TimeDelta::minutes(interval_minutes);
    let mut view = String::new();
    let mut slot = start;
    while slot < end {
        let slot_end = slot + step;
        let digit = items
            .iter()
            .filter(|item| item.start < slot_end && item.end > slot)
            .map(|item| rank(&item.status))
            .max()
            .map_or('0', |(_, digit)| digit);
        view.push(digit);
        slot = slot_end;
    }
    view
}

// ---- small parsers ----

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn parse_pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// RFC 6749 §2.3.1: id and secret are form-encoded before going into the Basic header.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unform = |s: &str| percent_decode(&s.replace('+', " "));
    Some((unform(id), unform(secret)))
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]` (a S256 challenge is 43 of them).
fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn normalise_scope(provider: Provider, scope: &str) -> String {
    match provider {
        // Google reports the OpenID shorthands under their full names.
        Provider::Google => match scope {
            "email" => format!("{GOOGLE_SCOPE_PREFIX}userinfo.email"),
            "profile" => format!("{GOOGLE_SCOPE_PREFIX}userinfo.profile"),
            other => other.to_string(),
        },
        // Graph scopes may be written short (`Calendars.ReadWrite`); Graph is the default
        // resource.
        Provider::Microsoft => {
            let lower = scope.to_ascii_lowercase();
            if OIDC_SCOPES.contains(&lower.as_str()) {
                lower
            } else if lower.starts_with(GRAPH_SCOPE_PREFIX) {
                format!("{GRAPH_SCOPE_PREFIX}{}", &scope[GRAPH_SCOPE_PREFIX.len()..])
            } else {
                format!("{GRAPH_SCOPE_PREFIX}{scope}")
            }
        }
    }
}

fn holds_scope(provider: Provider, granted: &[String], allowed: &[&str]) -> bool {
    let prefix = match provider {
        Provider::Google => GOOGLE_SCOPE_PREFIX,
        Provider::Microsoft => GRAPH_SCOPE_PREFIX,
    };
    granted.iter().any(|held| {
        allowed.iter().any(|scope| match provider {
            Provider::Google => *held == format!("{prefix}{scope}"),
            Provider::Microsoft => held.eq_ignore_ascii_case(&format!("{prefix}{scope}")),
        })
    })
}

fn is_utc_zone(zone: &str) -> bool {
    ["UTC", "Etc/UTC", "Z"]
        .iter()
        .any(|utc| zone.eq_ignore_ascii_case(utc))
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn rfc3339_millis(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}
