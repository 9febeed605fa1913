//! Starts the OpenID providers of `oidc/oidc_provider.mjs` (Node; `npm ci` in
//! tests/support/oidc installs them, as .ci/run does) and an app that signs people in through
//! one, and walks a sign-in through the provider's own login and consent pages over HTTP.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use convene::auth::roles::Role;
use convene::config::Settings;
use serde_json::Value;
use url::Url;

use crate::helpers::{spawn_app_with, TestApp};

pub const CLIENT_ID: &str = "convene";
pub const CLIENT_SECRET: &str = "convene-test-client-secret";
pub const DISPLAY_NAME: &str = "Acme ID";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// panva's oidc-provider, a certified OpenID provider, with its login and consent pages.
    Certified,
    /// An issuer whose ID tokens the test shapes with [`OidcProvider::set_scenario`].
    Signer,
}

pub struct OidcProvider {
    pub issuer: String,
    child: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

impl OidcProvider {
    pub fn start(kind: ProviderKind, redirect_uri: &str) -> Self {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/oidc");
        assert!(
            Path::new(dir).join("node_modules/oidc-provider").exists(),
            "the test OpenID provider is not installed: run `npm ci` in {dir} (.ci/run does)"
        );
        let port = free_port();
        let mut child = Command::new("node")
            .arg(Path::new(dir).join("oidc_provider.mjs"))
            .args([
                "--mode",
                if kind == ProviderKind::Signer {
                    "signer"
                } else {
                    "provider"
                },
            ])
            .args(["--port", &port.to_string()])
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .args(["--redirect-uri", redirect_uri])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the test OpenID provider");
        let mut stdout = BufReader::new(child.stdout.take().expect("provider stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("provider output");
        assert_eq!(
            line.trim(),
            "ready",
            "the test OpenID provider did not start"
        );
        // The provider prints notices as it works; a closed pipe would make it exit.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Self {
            issuer: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    /// What the signer's next ID tokens look like: `claims` overrides (plus `exp_in` and
    /// `iat_in`, seconds from now), the signing `key` (`rsa`, `ec`, `rsa2`, `rogue` or `none`)
    /// and the keys it `publish`es.
    pub async fn set_scenario(&self, scenario: Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/scenario", self.issuer))
            .json(&scenario)
            .send()
            .await
            .expect("scenario");
        assert!(response.status().is_success());
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An app on a port chosen up front (the provider must know its redirect URI), signing people
/// of acme.test in through a provider of `kind`: `Convene-Admins` become admins, `marketing`
/// marketers, everyone else a host.
pub async fn spawn_app_with_provider(
    kind: ProviderKind,
    customize: impl FnOnce(&mut Settings),
) -> (TestApp, OidcProvider) {
    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let provider = OidcProvider::start(kind, &format!("{public_url}/auth/oidc/callback"));
    let issuer = provider.issuer.clone();
    let app = spawn_app_with(move |settings| {
        settings.server.bind = format!("127.0.0.1:{port}");
        settings.server.public_url = public_url;
        let sso = &mut settings.sso;
        sso.issuer = issuer;
        sso.client_id = CLIENT_ID.into();
        sso.client_secret = CLIENT_SECRET.into();
        sso.display_name = DISPLAY_NAME.into();
        sso.allowed_domains = vec!["acme.test".into()];
        sso.default_role = Role::Host;
        sso.role_claim = "groups".into();
        sso.role_map = [
            ("convene-admins".to_owned(), Role::Admin),
            ("Marketing".to_owned(), Role::Marketer),
        ]
        .into_iter()
        .collect();
        sso.scopes = ["openid", "email", "profile", "groups"]
            .map(String::from)
            .to_vec();
        customize(settings);
    })
    .await;
    (app, provider)
}

/// Starts a sign-in at the app with `client` (which keeps cookies), lets `tamper` change the
/// provider URL the app sends the browser to, signs in at the provider as `login` (through its
/// login and consent forms, when it shows any), and returns the callback URL the provider sends
/// the browser back to, without opening it.
pub async fn walk_to_callback(
    app: &TestApp,
    client: &reqwest::Client,
    login: &str,
    tamper: impl Fn(Url) -> Url,
) -> Url {
    let start = client
        .get(app.url("/auth/oidc/start?next=/admin/users"))
        .send()
        .await
        .expect("start");
    assert_eq!(start.status(), 303, "the sign-in starts with a redirect");
    let mut next = tamper(location(&start, &app.address));
    for _ in 0..20 {
        if next.as_str().starts_with(&app.address) {
            return next;
        }
        let response = client.get(next.clone()).send().await.expect("provider");
        let response = if response.status().is_redirection() {
            response
        } else {
            let page = response.text().await.expect("provider page");
            let (action, mut fields) = first_form(&page);
            if page.contains("name=\"login\"") {
                fields.push(("login".into(), login.into()));
                fields.push(("password".into(), "any password".into()));
            }
            client
                .post(next.join(&action).expect("form action"))
                .form(&fields)
                .send()
                .await
                .expect("provider form")
        };
        assert!(
            response.status().is_redirection(),
            "the provider answered {}",
            response.status()
        );
        next = location(&response, next.as_str());
    }
    panic!("the sign-in never came back to the app");
}

/// A whole sign-in with `client`: the app's answer to the callback.
pub async fn sign_in_with(
    app: &TestApp,
    client: &reqwest::Client,
    login: &str,
    tamper: impl Fn(Url) -> Url,
) -> reqwest::Response {
    let callback = walk_to_callback(app, client, login, tamper).await;
    client.get(callback).send().await.expect("callback")
}

/// A sign-in with the app's own client, untouched.
pub async fn sign_in(app: &TestApp, login: &str) -> reqwest::Response {
    sign_in_with(app, &app.client, login, |url| url).await
}

/// A client like a browser of its own: cookies kept, redirects shown.
pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

fn location(response: &reqwest::Response, base: &str) -> Url {
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .expect("a Location header");
    Url::parse(base)
        .and_then(|base| base.join(location))
        .expect("a URL")
}

/// The action and hidden fields of the first form on a page.
fn first_form(page: &str) -> (String, Vec<(String, String)>) {
    let start = page.find("<form").expect("the provider shows a form");
    let form = &page[start
        ..page[start..]
            .find("</form>")
            .map_or(page.len(), |end| start + end)];
    let action = attribute(form, "action").expect("form action");
    let fields = form
        .split("<input")
        .skip(1)
        .filter(|input| attribute(input, "type").as_deref() == Some("hidden"))
        .filter_map(|input| Some((attribute(input, "name")?, attribute(input, "value")?)))
        .collect();
    (action.replace("&amp;", "&"), fields)
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    let marker = format!("{name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_owned())
}
