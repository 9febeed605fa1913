//! Starts `fake_providers.py`, a local server speaking Google's and Microsoft's OAuth and
//! calendar wire formats, and drives its control API.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use secrecy::SecretString;
use serde_json::{json, Value};

/// A fixed AES-256 key for tests (32 bytes, base64).
pub const TOKEN_KEY: &str = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE=";

pub struct FakeProviders {
    pub port: u16,
    child: Child,
    client: reqwest::Client,
}

impl FakeProviders {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/fake_providers.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--port")
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fake providers");
        let stdout = child.stdout.take().expect("fake stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("fake output");
        assert_eq!(line.trim(), "ready", "the fake providers did not start");
        Self {
            port,
            child,
            client: reqwest::Client::new(),
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The settings (as `CONVENE__…` variables) that point Convene at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let base = self.base();
        vec![
            ("CONVENE__GOOGLE__CLIENT_ID", "google-client".into()),
            ("CONVENE__GOOGLE__CLIENT_SECRET", "google-secret".into()),
            (
                "CONVENE__GOOGLE__AUTH_URL",
                format!("{base}/google/o/oauth2/v2/auth"),
            ),
            ("CONVENE__GOOGLE__TOKEN_URL", format!("{base}/google/token")),
            (
                "CONVENE__GOOGLE__REVOKE_URL",
                format!("{base}/google/revoke"),
            ),
            (
                "CONVENE__GOOGLE__API_BASE",
                format!("{base}/google/calendar/v3"),
            ),
            ("CONVENE__MICROSOFT__CLIENT_ID", "ms-client".into()),
            ("CONVENE__MICROSOFT__CLIENT_SECRET", "ms-secret".into()),
            ("CONVENE__MICROSOFT__TENANT", "contoso-tenant".into()),
            (
                "CONVENE__MICROSOFT__AUTH_URL",
                format!("{base}/microsoft/{{tenant}}/oauth2/v2.0/authorize"),
            ),
            (
                "CONVENE__MICROSOFT__TOKEN_URL",
                format!("{base}/microsoft/{{tenant}}/oauth2/v2.0/token"),
            ),
            (
                "CONVENE__MICROSOFT__API_BASE",
                format!("{base}/microsoft/graph/v1.0"),
            ),
            ("CONVENE__CALENDARS__TOKEN_KEY", TOKEN_KEY.into()),
        ]
    }

    /// Points `settings` at this server, with calendars read afresh on every slots answer
    /// and event writes retried within seconds, so tests see each change at once.
    pub fn configure(&self, settings: &mut convene::config::Settings) {
        let base = self.base();
        settings.google.client_id = "google-client".into();
        settings.google.client_secret = SecretString::from("google-secret".to_owned());
        settings.google.auth_url = format!("{base}/google/o/oauth2/v2/auth");
        settings.google.token_url = format!("{base}/google/token");
        settings.google.revoke_url = format!("{base}/google/revoke");
        settings.google.api_base = format!("{base}/google/calendar/v3");
        settings.microsoft.client_id = "ms-client".into();
        settings.microsoft.client_secret = SecretString::from("ms-secret".to_owned());
        settings.microsoft.tenant = "contoso-tenant".into();
        settings.microsoft.auth_url = format!("{base}/microsoft/{{tenant}}/oauth2/v2.0/authorize");
        settings.microsoft.token_url = format!("{base}/microsoft/{{tenant}}/oauth2/v2.0/token");
        settings.microsoft.api_base = format!("{base}/microsoft/graph/v1.0");
        settings.calendars.token_key = SecretString::from(TOKEN_KEY.to_owned());
        // Read the calendars on every slots answer, so each test sees its changes at once.
        settings.calendars.freebusy_ttl_secs = 0;
        settings.calendars.freebusy_timeout_ms = 2000;
        settings.calendars.sync_retry_base_secs = 1;
        settings.calendars.sync_retry_max_secs = 2;
        settings.public.slots_cache_ms = 0;
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/_control/{path}", self.base()))
            .json(&body)
            .send()
            .await
            .expect("control request");
        assert!(
            response.status().is_success(),
            "control {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    pub async fn read(&self, path_and_query: &str) -> Value {
        self.client
            .get(format!("{}/_control/{path_and_query}", self.base()))
            .send()
            .await
            .expect("control request")
            .json()
            .await
            .expect("control answer")
    }

    pub async fn next_account(&self, provider: &str, email: &str) {
        self.control(
            "next-account",
            json!({"provider": provider, "email": email}),
        )
        .await;
    }

    /// Replaces the account's busy times: `(start, end)` in RFC 3339.
    pub async fn set_busy(&self, provider: &str, email: &str, busy: &[(&str, &str)]) {
        let busy: Vec<Value> = busy
            .iter()
            .map(|(start, end)| json!({"start": start, "end": end}))
            .collect();
        self.control(
            "busy",
            json!({"provider": provider, "email": email, "busy": busy}),
        )
        .await;
    }

    /// Answers the next `count` requests under `path_prefix` with `status` (0: normally, after
    /// `delay_ms`; -1: by closing the connection).
    pub async fn fail(
        &self,
        path_prefix: &str,
        status: i64,
        count: i64,
        retry_after: Option<&str>,
        delay_ms: u64,
    ) {
        self.control(
            "fail",
            json!({
                "path_prefix": path_prefix,
                "status": status,
                "count": count,
                "retry_after": retry_after,
                "delay_ms": delay_ms,
            }),
        )
        .await;
    }

    pub async fn clear_failures(&self) {
        self.control("clear-failures", json!({})).await;
    }

    pub async fn events(&self, provider: &str, email: &str) -> Vec<Value> {
        let found = self
            .read(&format!("events?provider={provider}&email={email}"))
            .await;
        found["events"].as_array().cloned().unwrap_or_default()
    }

    pub async fn requests(&self, path_prefix: &str) -> Vec<Value> {
        let found = self
            .read(&format!("requests?path_prefix={path_prefix}"))
            .await;
        found["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Every token the fake issued to `provider`: access and refresh.
    pub async fn issued_tokens(&self, provider: &str) -> Vec<String> {
        let found = self.read(&format!("tokens?provider={provider}")).await;
        ["access_tokens", "refresh_tokens"]
            .iter()
            .flat_map(|kind| found[*kind].as_array().cloned().unwrap_or_default())
            .filter_map(|token| token["token"].as_str().map(str::to_owned))
            .collect()
    }

    pub async fn tokens(&self, provider: &str) -> Value {
        self.read(&format!("tokens?provider={provider}")).await
    }
}

impl Drop for FakeProviders {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
