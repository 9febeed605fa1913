//! The `convene` binary itself: API key creation, user creation, serve and SIGTERM, email
//! delivery surviving a killed process, and backups of a database under write load.

#[path = "support/smtp.rs"]
#[allow(dead_code)]
mod smtp;

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
    start_server_with(database_url, &[])
}

/// Starts `convene serve` with `env` on top; emails go to files beside the SQLite database.
fn start_server_with(database_url: &str, env: &[(&str, String)]) -> (std::process::Child, u16) {
    let outbox = database_url
        .strip_prefix("sqlite://")
        .and_then(|path| std::path::Path::new(path).parent())
        .map(|dir| dir.join("outbox"))
        .unwrap_or_else(std::env::temp_dir);
    let mut command = convene(database_url);
    command
        .arg("serve")
        .env("CONVENE__SERVER__BIND", "127.0.0.1:0")
        .env("CONVENE__LOG__FORMAT", "json")
        .env("CONVENE__EMAIL__FILE_DIR", outbox)
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
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
fn an_address_in_use_names_the_address_and_the_setting() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = convene(&sqlite_url(&dir))
        .arg("serve")
        .env("CONVENE__SERVER__BIND", &address)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains(&format!("cannot listen on {address}"))
            && message.contains("CONVENE__SERVER__BIND")
            && message.contains("in use"),
        "{message}"
    );
}

#[test]
fn an_unreachable_database_names_the_setting_and_the_drivers_reason_but_not_the_password() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = convene(&format!(
        "postgres://convene:hunter2-secret@127.0.0.1:{closed}/convene"
    ))
    .arg("migrate")
    .env("CONVENE__DATABASE__CONNECT_TIMEOUT_SECS", "1")
    .output()
    .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("CONVENE__DATABASE__URL")
            && message.contains(&format!("port {closed} failed"))
            && !message.contains("hunter2-secret"),
        "{message}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = start_server(&sqlite_url(&dir));
    assert_eq!(
        status_of(&format!("http://127.0.0.1:{port}/healthz"), None),
        200
    );
    // Sent directly rather than through kill(1), which a minimal system may not have.
    let pid = libc::pid_t::try_from(server.id()).unwrap();
    // SAFETY: kill(2) takes plain integers; the pid is our own child, not yet reaped.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0, "SIGTERM sent");
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

/// The SQLite database at `url`, opened beside the server as an operator's tool would.
fn database(url: &str) -> convene::db::Database {
    let settings = convene::config::DatabaseSettings {
        url: url.to_owned(),
        pool_size: 1,
        connect_timeout_secs: 5,
    };
    convene::db::Database::connect(&settings).unwrap()
}

/// `count` emails waiting in the outbox of the SQLite database at `url`.
fn queue_emails(url: &str, count: usize) {
    use convene::notifications::outbox::{enqueue, EmailKind, NewEmail};
    let db = database(url);
    db.migrate().unwrap();
    let mut conn = db.connection().unwrap();
    let now = chrono::Utc::now();
    diesel::Connection::transaction(&mut *conn, |conn| {
        for n in 0..count {
            let email = NewEmail {
                kind: EmailKind::Reminder,
                dedupe_key: format!("queued:{n}"),
                meeting_id: None,
                meeting_request_id: None,
                recipient_email: format!("person{n}@example.test"),
                recipient_name: format!("Person {n}"),
                subject: format!("Message {n}"),
                body_text: "Hello".into(),
                body_html: "<p>Hello</p>".into(),
                calendar: None,
                send_after: now - chrono::Duration::seconds(1),
                not_after: None,
            };
            assert!(enqueue(conn, &email, now)
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?);
        }
        diesel::QueryResult::Ok(())
    })
    .unwrap();
}

fn emails_by_status(url: &str, status: &str) -> i64 {
    use convene::db::schema::emails;
    use diesel::prelude::*;
    let db = database(url);
    let mut conn = db.connection().unwrap();
    emails::table
        .filter(emails::status.eq(status))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

/// (email id, Message-ID) of every message the sink received.
fn received_ids(dir: &std::path::Path) -> Vec<(String, String)> {
    smtp::received(dir)
        .iter()
        .map(|raw| {
            let message = mail_parser::MessageParser::default().parse(raw).unwrap();
            (
                message
                    .header_raw("X-Convene-Email-Id")
                    .unwrap()
                    .trim()
                    .to_owned(),
                message.message_id().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn killing_the_server_mid_send_loses_nothing_and_repeats_only_the_email_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    queue_emails(&url, 12);
    let mail = tempfile::tempdir().unwrap();
    let port = smtp::free_port();
    // The sink keeps each message but holds its "250 OK", so the server is killed after the
    // message arrived and before it could mark it sent: the at-least-once window.
    let slow_sink = smtp::SmtpSink::start(port, mail.path(), &["--delay-data", "30"]);
    let env = [
        ("CONVENE__EMAIL__TRANSPORT", "smtp".to_owned()),
        ("CONVENE__EMAIL__SMTP__PORT", port.to_string()),
        ("CONVENE__EMAIL__SMTP__POOL_SIZE", "1".to_owned()),
        ("CONVENE__EMAIL__BATCH_SIZE", "4".to_owned()),
        ("CONVENE__EMAIL__LEASE_SECS", "5".to_owned()),
        ("CONVENE__WORKER__POLL_MS", "100".to_owned()),
    ];
    let (mut server, _) = start_server_with(&url, &env);
    let started = Instant::now();
    while smtp::received(mail.path()).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "nothing was sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    slow_sink.stop();
    assert_eq!(emails_by_status(&url, "sent"), 0, "killed before any mark");
    assert_eq!(emails_by_status(&url, "pending"), 12, "nothing lost");

    let sink = smtp::SmtpSink::start(port, mail.path(), &[]);
    let (mut server, _) = start_server_with(&url, &env);
    let started = Instant::now();
    while emails_by_status(&url, "sent") < 12 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the restarted server did not deliver everything"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server.kill().unwrap();
    sink.stop();

    let received = received_ids(mail.path());
    let mut copies: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (id, message_id) in &received {
        copies
            .entry(id.clone())
            .or_default()
            .push(message_id.clone());
    }
    assert_eq!(copies.len(), 12, "every email arrived");
    let repeated: Vec<_> = copies.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert_eq!(
        repeated.len(),
        1,
        "only the email in flight when the server died arrives twice: {received:?}"
    );
    let (_, message_ids) = repeated[0];
    assert_eq!(message_ids.len(), 2);
    assert_eq!(
        message_ids[0], message_ids[1],
        "the repeat carries the same Message-ID"
    );
}

/// Starts a server on `url` with `env` and waits until `count` emails are sent; the time taken.
fn drain(url: &str, env: &[(&str, String)], count: i64) -> Duration {
    let started = Instant::now();
    let (mut server, _) = start_server_with(url, env);
    while emails_by_status(url, "sent") < count {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the outbox did not drain"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let elapsed = started.elapsed();
    server.kill().unwrap();
    elapsed
}

/// The throughput benchmark of docs/benchmarks.md (`scripts/bench-outbox.sh` runs it in a
/// release build): 10,000 queued emails through the SMTP sink and through the file transport.
#[test]
#[ignore = "a benchmark: run by scripts/bench-outbox.sh"]
fn ten_thousand_queued_emails_drain_within_a_minute() {
    const COUNT: usize = 10_000;
    let smtp_db = tempfile::tempdir().unwrap();
    let url = sqlite_url(&smtp_db);
    queue_emails(&url, COUNT);
    let mail = tempfile::tempdir().unwrap();
    let port = smtp::free_port();
    let sink = smtp::SmtpSink::start(port, mail.path(), &[]);
    let smtp_env = [
        ("CONVENE__EMAIL__TRANSPORT", "smtp".to_owned()),
        ("CONVENE__EMAIL__SMTP__PORT", port.to_string()),
    ];
    let smtp_time = drain(&url, &smtp_env, COUNT as i64);
    sink.stop();
    assert_eq!(smtp::received(mail.path()).len(), COUNT);

    let file_db = tempfile::tempdir().unwrap();
    let url = sqlite_url(&file_db);
    queue_emails(&url, COUNT);
    let file_time = drain(&url, &[], COUNT as i64);
    let files = std::fs::read_dir(file_db.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(files, COUNT);

    println!("smtp: {COUNT} emails in {:.1} s", smtp_time.as_secs_f64());
    println!("file: {COUNT} emails in {:.1} s", file_time.as_secs_f64());
    assert!(smtp_time < Duration::from_secs(60), "{smtp_time:?}");
    assert!(file_time < Duration::from_secs(60), "{file_time:?}");
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
    let stdout = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(stdout.starts_with("loaded 2000 leads"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|line| line.split("with the password ").nth(1))
        .expect("the demo prints the personas' password")
        .trim()
        .to_owned();
    for persona in [
        "morgan.lee@demo.convene.example",
        "riley.park@demo.convene.example",
        "amira.haddad@demo.convene.example",
    ] {
        assert!(stdout.contains(persona), "{stdout}");
        assert!(
            convene::auth::passwords::verify_password(
                Some(&password_hash_of(&url, persona)),
                &secrecy::SecretString::from(password.clone()),
            ),
            "{persona} signs in with the printed password"
        );
    }
    let day_and_a_bit_ago = (chrono::Utc::now() - chrono::Duration::hours(30))
        .naive_utc()
        .to_string();
    let waiting = count(&url, "meeting_requests WHERE status = 'pending_approval'");
    let stale = count(
        &url,
        &format!(
            "meeting_requests WHERE status = 'pending_approval' AND created_at < '{day_and_a_bit_ago}'"
        ),
    );
    assert!(
        (5..=40).contains(&waiting) && stale == 0,
        "the queue holds requests of the last hours: {waiting} waiting, {stale} older than 30 h"
    );
    assert_eq!(
        count(
            &url,
            "meetings m JOIN meeting_requests r ON r.id = m.meeting_request_id \
             JOIN leads l ON l.id = r.lead_id WHERE l.timezone <> m.prospect_timezone"
        ),
        0,
        "every meeting is shown in its prospect's own zone"
    );
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

    let (mut server, _) = start_server(&url);
    std::thread::sleep(Duration::from_secs(3));
    server.kill().unwrap();
    server.wait().unwrap();
    let first_start = count(&url, "emails");
    assert!(
        first_start <= 10,
        "the first start sends a few follow-ups, not a storm: {first_start} emails"
    );
    let emails = count(&url, "emails");

    let second = convene(&url).arg("demo").output().unwrap();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("already loaded; nothing changed"));
    let again: Vec<i64> = tables.iter().map(|table| count(&url, table)).collect();
    assert_eq!(again, counts, "a second run changes nothing");
    assert_eq!(count(&url, "emails"), emails);
}

fn password_hash_of(database_url: &str, email: &str) -> String {
    use diesel::{Connection, QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Hash {
        #[diesel(sql_type = diesel::sql_types::Text)]
        password_hash: String,
    }
    let mut conn =
        diesel::SqliteConnection::establish(database_url.trim_start_matches("sqlite://")).unwrap();
    diesel::sql_query("SELECT password_hash FROM users WHERE email = ?")
        .bind::<diesel::sql_types::Text, _>(email)
        .get_result::<Hash>(&mut conn)
        .unwrap()
        .password_hash
}

#[test]
fn calendars_reseal_moves_every_token_to_the_new_key() {
    use convene::calendars::crypto::{Binding, TokenCipher};
    use diesel::{Connection, RunQueryDsl};
    use secrecy::{ExposeSecret, SecretString};

    const OLD_KEY: &str = "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleSE=";
    const NEW_KEY: &str = "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE=";
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    assert!(convene(&url).arg("migrate").status().unwrap().success());
    let mut settings =
        convene::config::Settings::load(std::path::Path::new("config"), Some(&url)).unwrap();
    settings.calendars.token_key = SecretString::from(OLD_KEY.to_owned());
    let old = TokenCipher::from_keys(
        &settings.calendars.token_key,
        &settings.calendars.previous_token_keys,
    )
    .unwrap();
    let field = |name| Binding {
        owner: "c1",
        field: name,
    };
    let access = old.seal("ya29.access", &field("access_token"));
    let refresh = old.seal("1//refresh", &field("refresh_token"));
    let path = dir.path().join("cli.db");
    let mut db = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    diesel::sql_query(
        "INSERT INTO users (id, email, name, role, timezone, working_hours, active, created_at, updated_at) \
         VALUES ('u1', 'h@example.com', 'Host', 'host', 'UTC', '{}', 1, '2026-12-01 00:00:00', '2026-12-01 00:00:00')",
    )
    .execute(&mut db)
    .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO calendar_connections (id, user_id, provider, status, access_token, refresh_token, created_at, updated_at) \
         VALUES ('c1', 'u1', 'google', 'active', '{access}', '{refresh}', '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
    ))
    .execute(&mut db)
    .unwrap();

    let output = convene(&url)
        .args(["calendars", "reseal"])
        .env("CONVENE__CALENDARS__TOKEN_KEY", NEW_KEY)
        .env("CONVENE__CALENDARS__PREVIOUS_TOKEN_KEYS", OLD_KEY)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("resealed 1 of 1"), "{stderr}");
    assert!(!stderr.contains("1//refresh") && !stderr.contains(NEW_KEY));

    #[derive(diesel::QueryableByName)]
    struct Sealed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        access_token: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        refresh_token: String,
    }
    let stored: Sealed =
        diesel::sql_query("SELECT access_token, refresh_token FROM calendar_connections")
            .get_result(&mut db)
            .unwrap();
    settings.calendars.token_key = SecretString::from(NEW_KEY.to_owned());
    let new_only = TokenCipher::from_keys(
        &settings.calendars.token_key,
        &settings.calendars.previous_token_keys,
    )
    .unwrap();
    assert_eq!(
        new_only
            .open(&stored.access_token, &field("access_token"))
            .unwrap()
            .expose_secret(),
        "ya29.access"
    );
    assert_eq!(
        new_only
            .open(&stored.refresh_token, &field("refresh_token"))
            .unwrap()
            .expose_secret(),
        "1//refresh"
    );
    let again = convene(&url)
        .args(["calendars", "reseal"])
        .env("CONVENE__CALENDARS__TOKEN_KEY", NEW_KEY)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("resealed 0 of 1"));
}

/// `(status, last_error, attempts)` of every email in the SQLite database at `url`.
fn email_outcomes(url: &str) -> Vec<(String, Option<String>, i32)> {
    use convene::db::schema::emails;
    use diesel::prelude::*;
    let db = database(url);
    let mut conn = db.connection().unwrap();
    emails::table
        .select((emails::status, emails::last_error, emails::attempts))
        .load(&mut *conn)
        .unwrap()
}

#[test]
fn an_email_whose_sending_never_ends_is_failed_after_its_last_attempt_not_claimed_forever() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    queue_emails(&url, 1);
    let mail = tempfile::tempdir().unwrap();
    let port = smtp::free_port();
    // The sink never confirms the message in time: every process handling it is killed while
    // it holds the row, as a process that crashes on a row would be.
    let hanging_sink = smtp::SmtpSink::start(port, mail.path(), &["--delay-data", "60"]);
    let env = [
        ("CONVENE__EMAIL__TRANSPORT", "smtp".to_owned()),
        ("CONVENE__EMAIL__SMTP__PORT", port.to_string()),
        ("CONVENE__EMAIL__SMTP__TIMEOUT_SECS", "60".to_owned()),
        ("CONVENE__EMAIL__MAX_ATTEMPTS", "2".to_owned()),
        ("CONVENE__EMAIL__LEASE_SECS", "5".to_owned()),
        ("CONVENE__WORKER__POLL_MS", "100".to_owned()),
    ];
    for attempt in 1..=2 {
        let (mut server, _) = start_server_with(&url, &env);
        let started = Instant::now();
        while smtp::received(mail.path()).len() < attempt {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "attempt {attempt} never reached the SMTP server"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server.kill().unwrap();
        server.wait().unwrap();
        assert_eq!(emails_by_status(&url, "pending"), 1);
        // Let the dead process's lease run out.
        std::thread::sleep(Duration::from_millis(5100));
    }
    hanging_sink.stop();

    let sink = smtp::SmtpSink::start(port, mail.path(), &[]);
    let (mut server, _) = start_server_with(&url, &env);
    let started = Instant::now();
    while emails_by_status(&url, "failed") < 1 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the row was not given up on: {:?}",
            email_outcomes(&url)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    server.kill().unwrap();
    sink.stop();
    let outcomes = email_outcomes(&url);
    assert_eq!(outcomes.len(), 1);
    let (status, last_error, attempts) = &outcomes[0];
    assert_eq!(status, "failed");
    assert_eq!(*attempts, 2, "no third claim");
    assert!(
        last_error
            .as_deref()
            .unwrap_or("")
            .contains("gave up after 2 attempts"),
        "{last_error:?}"
    );
    assert_eq!(
        smtp::received(mail.path()).len(),
        2,
        "never sent a third time"
    );
}

/// A new admin API key for the database at `database_url`, made by `convene api-key create`.
fn admin_api_key(database_url: &str) -> String {
    let output = convene(database_url)
        .args(["api-key", "create", "--name", "load", "--role", "admin"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A lead created over the API: its id, when the request left and when the 201 came back.
struct AnsweredLead {
    id: String,
    sent: Instant,
    answered: Instant,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_holds_every_answered_lead_and_restores() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let key = admin_api_key(&url);
    let (mut server, port) = start_server(&url);
    let stop = Arc::new(AtomicBool::new(false));
    let answered: Arc<Mutex<Vec<AnsweredLead>>> = Arc::default();
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (stop, answered, key) = (stop.clone(), answered.clone(), key.clone());
            let client = reqwest::Client::new();
            let leads = format!("http://127.0.0.1:{port}/api/v1/leads");
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let response = client
                        .post(&leads)
                        .bearer_auth(&key)
                        .json(&serde_json::json!({
                            "email": format!("lead-{writer}-{n}@example.com"),
                            "name": format!("Lead {writer}-{n}"),
                        }))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 201);
                    let lead: serde_json::Value = response.json().await.unwrap();
                    answered.lock().unwrap().push(AnsweredLead {
                        id: lead["id"].as_str().unwrap().to_owned(),
                        sent,
                        answered: Instant::now(),
                    });
                    n += 1;
                }
            })
        })
        .collect();
    let answered_count = || answered.lock().unwrap().len();
    // The server's writes stay in the write-ahead log until it holds 1,000 pages (SQLite's
    // automatic checkpoint; a lead takes about 15), so these leads are only in the log: a copy of
    // the main file alone would have none of them.
    wait_for(|| answered_count() >= 30).await;

    let backup = dir.path().join("backups").join("it's a copy.db");
    let backup_started = Instant::now();
    let output = tokio::process::Command::from(convene(&url))
        .arg("backup")
        .arg(&backup)
        .output()
        .await
        .unwrap();
    let backup_finished = Instant::now();
    let at_finish = answered_count();
    wait_for(|| answered_count() >= at_finish + 50).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let answered = std::mem::take(&mut *answered.lock().unwrap());
    let during = answered
        .iter()
        .filter(|lead| lead.answered > backup_started && lead.answered < backup_finished)
        .count();
    assert!(
        during > 0,
        "the server kept creating leads during the backup"
    );
    assert_eq!(integrity_check(&backup), "ok");
    let in_backup = lead_ids(&backup);
    let before: Vec<&AnsweredLead> = answered
        .iter()
        .filter(|lead| lead.answered < backup_started)
        .collect();
    let missing = before
        .iter()
        .filter(|lead| !in_backup.contains(&lead.id))
        .count();
    assert_eq!(
        missing,
        0,
        "leads answered before the backup but missing from it, of {}",
        before.len()
    );
    assert!(
        answered
            .iter()
            .filter(|lead| lead.sent > backup_finished)
            .all(|lead| !in_backup.contains(&lead.id)),
        "the backup is one snapshot taken while the command ran"
    );

    // Restore as docs/operations.md says: the copy becomes the database of a new server.
    let restored = dir.path().join("restored").join("convene.db");
    std::fs::create_dir_all(restored.parent().unwrap()).unwrap();
    std::fs::copy(&backup, &restored).unwrap();
    let restored_url = format!("sqlite://{}", restored.display());
    let (mut server, port) = start_server(&restored_url);
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for lead in &before {
        let response = client
            .get(format!("http://127.0.0.1:{port}/api/v1/leads/{}", lead.id))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(statuses, vec![200; before.len()]);
}

async fn wait_for(mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(60), "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn integrity_check(path: &std::path::Path) -> String {
    use diesel::{Connection, QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    diesel::sql_query("PRAGMA integrity_check")
        .load::<Check>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| row.integrity_check)
        .collect::<Vec<_>>()
        .join("\n")
}

fn lead_ids(path: &std::path::Path) -> std::collections::HashSet<String> {
    use convene::db::schema::leads;
    use diesel::prelude::*;
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    leads::table
        .select(leads::id)
        .load::<String>(&mut conn)
        .unwrap()
        .into_iter()
        .collect()
}

#[test]
fn backup_refuses_an_existing_file_and_a_postgres_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    assert!(convene(&url).arg("migrate").status().unwrap().success());
    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, "keep me").unwrap();
    let refused = convene(&url).arg("backup").arg(&taken).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "keep me");

    let postgres = convene("postgres://convene@127.0.0.1:1/convene")
        .arg("backup")
        .arg(dir.path().join("pg.db"))
        .output()
        .unwrap();
    assert!(!postgres.status.success());
    assert!(String::from_utf8_lossy(&postgres.stderr).contains("pg_dump"));
    assert!(!dir.path().join("pg.db").exists());
}
