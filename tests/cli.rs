//! The `convene` binary itself: API key creation, user creation, serve and SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn convene(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_convene"));
    command
        .arg("--database-url")
        .arg(database_url)
        .env("RUST_LOG", "info");
    command
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("cli.db").display())
}

fn start_server(database_url: &str) -> (std::process::Child, u16) {
    let mut child = convene(database_url)
        .arg("serve")
        .env("CONVENE__SERVER__BIND", "127.0.0.1:0")
        .env("CONVENE__LOG__FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines.next().expect("server printed its port").unwrap();
        if line.contains("convene is listening") {
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            break value["port"].as_u64().unwrap() as u16;
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

#[test]
fn api_key_create_prints_a_working_key_alone_on_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let output = convene(&url)
        .args(["api-key", "create", "--name", "crm", "--role", "admin"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let key = lines[0];
    assert!(key.starts_with("cvk_") && key.len() > 40);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(key), "the key must not reach the logs");

    let (mut server, port) = start_server(&url);
    let ok = status_of(&format!("http://127.0.0.1:{port}/api/v1/users"), Some(key));
    let wrong = status_of(
        &format!("http://127.0.0.1:{port}/api/v1/users"),
        Some("cvk_wrong"),
    );
    server.kill().ok();
    assert_eq!(ok, 200);
    assert_eq!(wrong, 401);
}

#[test]
fn user_create_with_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let mut child = convene(&url)
        .args([
            "user",
            "create",
            "--email",
            "Boss@Example.com",
            "--name",
            "The Boss",
            "--role",
            "admin",
            "--timezone",
            "Europe/Berlin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("boss@example.com"));

    let duplicate = convene(&url)
        .args([
            "user",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "Again",
            "--role",
            "host",
        ])
        .output()
        .unwrap();
    assert!(!duplicate.status.success());

    let invalid = convene(&url)
        .args([
            "user",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "king",
            "--timezone",
            "Moon/Base",
        ])
        .output()
        .unwrap();
    assert!(!invalid.status.success());
    let message = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        message.contains("--role") && message.contains("--timezone"),
        "{message}"
    );
}

#[test]
fn invalid_configuration_names_the_key() {
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .arg("migrate")
        .env("CONVENE__SERVER__BIND", "not an address")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("server.bind"), "{message}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = start_server(&sqlite_url(&dir));
    assert_eq!(
        status_of(&format!("http://127.0.0.1:{port}/healthz"), None),
        200
    );
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = server.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
}

/// A blocking GET that returns the status code, so these tests need no async runtime.
fn status_of(url: &str, api_key: Option<&str>) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new().get(url);
        if let Some(key) = api_key {
            request = request.bearer_auth(key);
        }
        request.send().await.unwrap().status().as_u16()
    })
}

fn count(database_url: &str, table: &str) -> i64 {
    use diesel::{Connection, QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn =
        diesel::SqliteConnection::establish(database_url.trim_start_matches("sqlite://")).unwrap();
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
}

#[test]
fn demo_loads_a_realistic_data_set_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let first = convene(&url).arg("demo").output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).starts_with("loaded 2000 leads"));
    let tables = [
        "users",
        "leads",
        "meetings",
        "meeting_outcomes",
        "opportunities",
        "opportunity_stage_changes",
        "survey_responses",
        "audit_log",
    ];
    let counts: Vec<i64> = tables.iter().map(|table| count(&url, table)).collect();
    assert_eq!(counts[1], 2000);
    assert!(
        (500..=700).contains(&counts[2]),
        "about 600 meetings: {counts:?}"
    );
    assert!(
        counts[3] > 400 && counts[4] > 100 && counts[5] > counts[4] && counts[6] > 100,
        "{counts:?}"
    );

    let second = convene(&url).arg("demo").output().unwrap();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("already loaded; nothing changed"));
    let again: Vec<i64> = tables.iter().map(|table| count(&url, table)).collect();
    assert_eq!(again, counts, "a second run changes nothing");
}
