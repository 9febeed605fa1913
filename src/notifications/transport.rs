//! Turning an outbox row into an iMIP email and handing it over: to an SMTP server (lettre's
//! SMTP client over pooled connections) or, the embedded default, to a folder of `.eml` files.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;
use secrecy::ExposeSecret;
use tokio::net::TcpStream;

use crate::auth::tokens::sha256_hex;
use crate::config::{EmailSettings, EmailTransportKind, SmtpSettings, SmtpTls};
use crate::notifications::outbox::EmailRecord;
use crate::values::one_line;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server is down, busy or said "try later" (4xx).
    #[error("{0}")]
    Temporary(String),
    /// Trying again cannot help: the address or message was refused for good (5xx).
    #[error("{0}")]
    Permanent(String),
}

#[derive(Debug, thiserror::Error)]
#[error("email transport cannot be set up: {0}")]
pub struct TransportSetupError(String);

pub enum Transport {
    File { dir: PathBuf },
    Smtp(SmtpPool),
}

impl Transport {
    pub fn from_settings(settings: &EmailSettings) -> Result<Self, TransportSetupError> {
        match settings.transport {
            EmailTransportKind::File => {
                std::fs::create_dir_all(&settings.file_dir).map_err(|e| {
                    TransportSetupError(format!("{}: {e}", settings.file_dir.display()))
                })?;
                Ok(Self::File {
                    dir: settings.file_dir.clone(),
                })
            }
            EmailTransportKind::Smtp => Ok(Self::Smtp(SmtpPool::new(&settings.smtp)?)),
        }
    }

    /// How many emails are worth sending at once.
    pub fn parallelism(&self) -> usize {
        match self {
            Self::File { .. } => 4,
            Self::Smtp(pool) => pool.size,
        }
    }

    /// Hands `message` over. A file is named after the email's id and written whole before it
    /// appears, so sending the same email again replaces the file instead of adding one.
    pub async fn send(&self, email_id: &str, message: &Message) -> Result<(), SendError> {
        match self {
            Self::File { dir } => {
                let partial = dir.join(format!(".{email_id}.eml.partial"));
                let done = dir.join(format!("{email_id}.eml"));
                let unwritable = |e: std::io::Error| {
                    SendError::Temporary(format!("cannot write the email file: {e}"))
                };
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(unwritable)?;
                tokio::fs::rename(&partial, &done).await.map_err(unwritable)
            }
            Self::Smtp(pool) => pool.send(message).await,
        }
    }
}

/// SMTP connections kept open between emails, at most `size` at once.
///
/// The connections are opened here rather than by lettre's own transport so that they can set
/// `TCP_NODELAY`: lettre writes a message's end-of-data marker as a separate small write, which
/// Nagle's algorithm holds back until the server acknowledges the body, and servers delay that
/// acknowledgement by up to 40 ms. Without it every email costs those 40 ms.
pub struct SmtpPool {
    host: String,
    port: u16,
    tls: SmtpTls,
    timeout: Duration,
    credentials: Option<Credentials>,
    hello: ClientId,
    size: usize,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
}

impl SmtpPool {
    fn new(smtp: &SmtpSettings) -> Result<Self, TransportSetupError> {
        if smtp.tls != SmtpTls::None {
            TlsParameters::new(smtp.host.clone())
                .map_err(|e| TransportSetupError(format!("TLS for {}: {e}", smtp.host)))?;
        }
        Ok(Self {
            host: smtp.host.clone(),
            port: smtp.port,
            tls: smtp.tls,
            timeout: Duration::from_secs(smtp.timeout_secs),
            credentials: (!smtp.username.is_empty()).then(|| {
                Credentials::new(
                    smtp.username.clone(),
                    smtp.password.expose_secret().to_owned(),
                )
            }),
            hello: ClientId::default(),
            size: usize::try_from(smtp.pool_size).unwrap_or(1).max(1),
            idle: Mutex::new(Vec::new()),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let failed = |e: lettre::transport::smtp::Error| classify(&e);
        let tls = || {
            TlsParameters::new(self.host.clone())
                .map_err(|e| SendError::Permanent(format!("TLS for {}: {e}", self.host)))
        };
        let mut connection = if self.tls == SmtpTls::Tls {
            AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                Some(tls()?),
                None,
            )
            .await
            .map_err(failed)?
        } else {
            let stream = tokio::time::timeout(
                self.timeout,
                TcpStream::connect((self.host.as_str(), self.port)),
            )
            .await
            .map_err(|_| SendError::Temporary(format!("connecting to {} timed out", self.host)))?
            .map_err(|e| SendError::Temporary(format!("cannot connect to {}: {e}", self.host)))?;
            stream
                .set_nodelay(true)
                .map_err(|e| SendError::Temporary(format!("socket option: {e}")))?;
            let mut connection =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                    .await
                    .map_err(failed)?;
            if self.tls == SmtpTls::Starttls {
                connection
                    .starttls(tls()?, &self.hello)
                    .await
                    .map_err(failed)?;
            }
            connection
        };
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(failed)?;
        }
        Ok(connection)
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        idle.pop()
    }

    fn put_back(&self, connection: AsyncSmtpConnection) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < self.size && !connection.has_broken() {
            idle.push(connection);
        }
    }

    async fn send_on(
        &self,
        connection: &mut AsyncSmtpConnection,
        message: &Message,
    ) -> Result<(), SendError> {
        let sent = tokio::time::timeout(
            self.timeout,
            connection.send(message.envelope(), &message.formatted()),
        )
        .await
        .map_err(|_| SendError::Temporary("the SMTP server did not answer in time".into()))?;
        sent.map(|_| ()).map_err(|e| classify(&e))
    }

    async fn send(&self, message: &Message) -> Result<(), SendError> {
        // A kept connection may have been closed by the server meanwhile; one fresh attempt
        // tells that apart from a real failure.
        if let Some(mut connection) = self.take_idle() {
            match self.send_on(&mut connection, message).await {
                Ok(()) => {
                    self.put_back(connection);
                    return Ok(());
                }
                Err(SendError::Permanent(reason)) => {
                    self.put_back(connection);
                    return Err(SendError::Permanent(reason));
                }
                Err(SendError::Temporary(_)) => connection.abort().await,
            }
        }
        let mut connection = self.connect().await?;
        let sent = self.send_on(&mut connection, message).await;
        if matches!(sent, Ok(()) | Err(SendError::Permanent(_))) {
            self.put_back(connection);
        } else {
            connection.abort().await;
        }
        sent
    }
}

fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    if error.is_permanent() {
        SendError::Permanent(error.to_string())
    } else {
        SendError::Temporary(error.to_string())
    }
}

/// A Message-ID that is the same every time the same outbox row is sent, so mail systems that
/// see a repeat (after a crash between sending and recording it) can recognise it.
pub fn message_id(email: &EmailRecord, domain: &str) -> String {
    format!("<{}@{domain}>", &sha256_hex(&email.dedupe_key)[..32])
}

/// Longer names and subjects are shortened in headers: an unbroken run of text longer than a
/// mail line (998 octets) cannot be folded, and mail servers refuse such a message.
const MAX_NAME_CHARS: usize = 200;
const MAX_SUBJECT_CHARS: usize = 200;

/// `text` on one line and at most `max_chars` characters, marked with an ellipsis when cut.
fn header_text(text: &str, max_chars: usize) -> String {
    let flat = one_line(text);
    if flat.chars().count() <= max_chars {
        return flat;
    }
    let mut cut: String = flat.chars().take(max_chars - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// The email as RFC 5322 bytes. Names and subjects are flattened to one line first, so text a
/// person typed can never start a header of its own nor trip the header encoder. Invitations are iMIP (RFC 6047): the text and HTML bodies and
/// the `text/calendar` part as alternatives, plus the same calendar as an `invite.ics`
/// attachment for clients that only offer attachments.
pub fn build_message(
    email: &EmailRecord,
    from: &Mailbox,
    message_id_domain: &str,
) -> Result<Message, SendError> {
    let refused = |e: String| SendError::Permanent(format!("the email cannot be built: {e}"));
    let name = header_text(&email.recipient_name, MAX_NAME_CHARS);
    let name = (!name.is_empty()).then_some(name);
    let to = Mailbox::new(
        name,
        email
            .recipient_email
            .parse()
            .map_err(|e| refused(format!("recipient `{}`: {e}", email.recipient_email)))?,
    );
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(header_text(&email.subject, MAX_SUBJECT_CHARS))
        .message_id(Some(message_id(email, message_id_domain)));
    let text = SinglePart::plain(email.body_text.clone());
    let html = SinglePart::html(email.body_html.clone());
    let message = match (&email.ics, email.calendar_method()) {
        (Some(ics), Some(method)) => {
            let calendar_type = format!("text/calendar; method={}; charset=UTF-8", method.as_str());
            let calendar = SinglePart::builder()
                .header(ContentType::parse(&calendar_type).map_err(|e| refused(e.to_string()))?)
                .body(ics.clone());
            let attachment = Attachment::new("invite.ics".into()).body(
                ics.clone(),
                ContentType::parse("application/ics; name=\"invite.ics\"")
                    .map_err(|e| refused(e.to_string()))?,
            );
            builder.multipart(
                MultiPart::mixed()
                    .multipart(
                        MultiPart::alternative()
                            .singlepart(text)
                            .singlepart(html)
                            .singlepart(calendar),
                    )
                    .singlepart(attachment),
            )
        }
        _ => builder.multipart(MultiPart::alternative().singlepart(text).singlepart(html)),
    };
    let mut message = message.map_err(|e| refused(e.to_string()))?;
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Convene-Email-Id"),
        email.id.clone(),
    ));
    Ok(message)
}
