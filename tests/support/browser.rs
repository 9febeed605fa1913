//! A real headless Chromium driven through chromedriver, one browser per test.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find_binary(candidates: &[&str]) -> String {
    candidates
        .iter()
        .find(|path| std::path::Path::new(path).exists())
        .map(|path| (*path).to_owned())
        .unwrap_or_else(|| panic!("none of {candidates:?} is installed; .ci/run installs chromium and chromium-driver"))
}

impl Browser {
    pub async fn start(width: u32, height: u32) -> Self {
        let chromedriver =
            find_binary(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let chromium = find_binary(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        });
        // Headless windows do not shrink below 500 px; phones are emulated instead.
        let mut capabilities = capabilities.as_object().unwrap().clone();
        if width < 500 {
            capabilities["goog:chromeOptions"]["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}});
        }
        let capabilities = capabilities.into_iter().collect();
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("browser session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Signs in to the admin UI at `base_url` and waits for the logged-in navigation.
    pub async fn sign_in(&self, base_url: &str, email: &str, password: &str) {
        let page = &self.client;
        page.goto(&format!("{base_url}/admin/login")).await.unwrap();
        page.find(Locator::Id("email"))
            .await
            .unwrap()
            .send_keys(email)
            .await
            .unwrap();
        page.find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys(password)
            .await
            .unwrap();
        page.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        page.wait()
            .for_element(Locator::Css("ul.nav"))
            .await
            .unwrap();
    }

    /// Waits until the page's main heading reads `text`: after a click the old page's heading
    /// is still in the document for a moment, so waiting for any heading can find the stale one.
    pub async fn wait_for_heading(&self, text: &str) {
        self.client
            .wait()
            .for_element(Locator::XPath(&format!(
                "//main//h1[normalize-space()='{text}']"
            )))
            .await
            .unwrap_or_else(|error| panic!("no heading {text:?}: {error}"));
    }

    /// Runs axe-core on the current page and returns each violation as
    /// `rule (impact): first failing element`; empty when the page passes.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/support/axe/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe).unwrap_or_else(|_| {
            panic!(
                "{} is missing; .ci/run installs it (npm ci --prefix tests/support/axe)",
                axe.display()
            )
        });
        self.client.execute(&source, vec![]).await.unwrap();
        let report = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, {resultTypes: ["violations"]})
                    .then(results => done(results.violations.map(v =>
                        `${v.id} (${v.impact}): ${v.nodes[0].target.join(" ")} — ${v.help}`)))
                    .catch(error => done([`axe failed: ${error}`]));"#,
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(report).unwrap()
    }

    /// Fails the test with every axe-core violation on the current page.
    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.accessibility_violations().await;
        assert!(
            violations.is_empty(),
            "{page} has accessibility violations:\n{}",
            violations.join("\n")
        );
    }

    /// Whether the current page fits the window without scrolling sideways.
    pub async fn fits_width(&self) -> bool {
        let overflow = self
            .client
            .execute(
                // A phone's layout viewport is the root's client width: an emulated phone
                // widens innerWidth to fit content that overflows, hiding the overflow.
                "const root = document.documentElement;
                 return root.scrollWidth > Math.min(window.innerWidth, root.clientWidth)",
                vec![],
            )
            .await
            .unwrap();
        overflow == serde_json::Value::Bool(false)
    }

    /// The innermost elements outside scrolling boxes that reach past the right edge of the
    /// layout viewport, as
    /// `tag.class` with their right edge in px: what makes a page scroll sideways.
    pub async fn overflowing_elements(&self) -> Vec<String> {
        let found = self
            .client
            .execute(
                "const width = document.documentElement.clientWidth;
                 const clipped = el => {
                   for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
                     if (getComputedStyle(up).overflowX !== 'visible') return true;
                   }
                   return false;
                 };
                 return [...document.querySelectorAll('body *')]
                   .filter(el => el.getBoundingClientRect().right > width + 0.5 && !clipped(el))
                   .filter(el => ![...el.children].some(child =>
                       child.getBoundingClientRect().right > width + 0.5))
                   .slice(0, 8)
                   .map(el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} `
                       + `(right edge ${Math.round(el.getBoundingClientRect().right)} px)`)",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(found).unwrap()
    }

    /// Saves a PNG under target/screenshots/ (kept by CI as an artifact).
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
