//! Starts `fake_crm.py`, a local server speaking HubSpot's and Salesforce's wire formats, and
//! drives its control API (`/__fake/…`).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use secrecy::SecretString;
use serde_json::{json, Value};

pub const HUBSPOT_TOKEN: &str = "pat-na1-hubspot-test-token";
pub const SALESFORCE_CLIENT_ID: &str = "sf-client";
pub const SALESFORCE_CLIENT_SECRET: &str = "sf-client-secret";

pub struct FakeCrm {
    pub port: u16,
    child: Child,
    client: reqwest::Client,
}

impl FakeCrm {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fake_crm.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--hubspot-token")
            .arg(HUBSPOT_TOKEN)
            .arg("--salesforce-client")
            .arg(format!("{SALESFORCE_CLIENT_ID}:{SALESFORCE_CLIENT_SECRET}"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fake CRM");
        let stdout = child.stdout.take().expect("fake stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("fake output");
        assert_eq!(line.trim(), "ready", "the fake CRM did not start");
        Self {
            port,
            child,
            client: reqwest::Client::new(),
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Points `settings` at this server as HubSpot, retrying within a second.
    pub fn hubspot(&self, settings: &mut convene::config::Settings) {
        settings.crm.provider = convene::config::CrmProviderName::Hubspot;
        settings.crm.hubspot.token = SecretString::from(HUBSPOT_TOKEN.to_owned());
        settings.crm.hubspot.api_base = format!("{}/hubspot", self.base());
        quick_retries(settings);
    }

    /// Points `settings` at this server as Salesforce, retrying within a second.
    pub fn salesforce(&self, settings: &mut convene::config::Settings) {
        settings.crm.provider = convene::config::CrmProviderName::Salesforce;
        settings.crm.salesforce.client_id = SALESFORCE_CLIENT_ID.into();
        settings.crm.salesforce.client_secret =
            SecretString::from(SALESFORCE_CLIENT_SECRET.to_owned());
        settings.crm.salesforce.token_url =
            format!("{}/salesforce-login/services/oauth2/token", self.base());
        quick_retries(settings);
    }

    pub async fn control(&self, name: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/__fake/{name}", self.base()))
            .json(&body)
            .send()
            .await
            .expect("control request");
        assert!(response.status().is_success(), "control {name}");
        response.json().await.unwrap_or(Value::Null)
    }

    /// The next `count` requests under `path_prefix` answer `status`; with `after_store` the
    /// fake carries each out first and only its answer is lost.
    pub async fn fail(&self, path_prefix: &str, status: u16, count: i64, after_store: bool) {
        self.control(
            "fail",
            json!({"path_prefix": path_prefix, "status": status, "count": count,
                   "after_store": after_store, "retry_after": 1}),
        )
        .await;
    }

    pub async fn clear_failures(&self) {
        self.control("clear-failures", json!({})).await;
    }

    pub async fn seed(&self, data: Value) -> Value {
        self.control("seed", data).await
    }

    pub async fn state(&self) -> Value {
        self.client
            .get(format!("{}/__fake/state", self.base()))
            .send()
            .await
            .expect("state request")
            .json()
            .await
            .expect("state json")
    }
}

/// Retries due at once, so a test only has to run the pending jobs again.
fn quick_retries(settings: &mut convene::config::Settings) {
    settings.crm.retry_base_secs = 1;
    settings.crm.retry_max_secs = 1;
}

impl Drop for FakeCrm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
