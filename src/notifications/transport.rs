//! Turning an outbox row into an iMIP email and handing it over: to an SMTP server (lettre,
//! pooled) or, the embedded default, to a folder of `.eml` files.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::auth::tokens::sha256_hex;
use crate::config::{EmailSettings, EmailTransportKind, SmtpTls};
use crate::notifications::outbox::EmailRecord;

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
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
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
            EmailTransportKind::Smtp => {
                let smtp = &settings.smtp;
                let setup = |e: lettre::transport::smtp::Error| TransportSetupError(e.to_string());
                let builder = match smtp.tls {
                    SmtpTls::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                            .map_err(setup)?
                    }
                    SmtpTls::Tls => {
                        AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(setup)?
                    }
                };
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(Duration::from_secs(smtp.timeout_secs)))
                    .pool_config(PoolConfig::new().max_size(smtp.pool_size));
                if !smtp.username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        smtp.username.clone(),
                        smtp.password.expose_secret().to_owned(),
                    ));
                }
                Ok(Self::Smtp(builder.build()))
            }
        }
    }

    /// How many emails are worth sending at once.
    pub fn parallelism(&self, settings: &EmailSettings) -> usize {
        match self {
            Self::File { .. } => 4,
            Self::Smtp(_) => usize::try_from(settings.smtp.pool_size).unwrap_or(1),
        }
    }

    /// Hands `message` over. A file is named after the email's id and written whole before it
    /// appears, so sending the same email again replaces the file instead of adding one.
    pub async fn send(&self, email_id: &str, message: &Message) -> Result<(), SendError> {
        match self {
            Self::File { dir } => {
                let partial = dir.join(format!(".{email_id}.eml.partial"));
                let done = dir.join(format!("{email_id}.eml"));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(|e| {
                        SendError::Temporary(format!("cannot write the email file: {e}"))
                    })?;
                tokio::fs::rename(&partial, &done)
                    .await
                    .map_err(|e| SendError::Temporary(format!("cannot write the email file: {e}")))
            }
            Self::Smtp(smtp) => match smtp.send(message.clone()).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                Err(e) => Err(SendError::Temporary(e.to_string())),
            },
        }
    }
}

/// A Message-ID that is the same every time the same outbox row is sent, so mail systems that
/// see a repeat (after a crash between sending and recording it) can recognise it.
pub fn message_id(email: &EmailRecord, domain: &str) -> String {
    format!("<{}@{domain}>", &sha256_hex(&email.dedupe_key)[..32])
}

/// The email as RFC 5322 bytes. Invitations are iMIP (RFC 6047): the text and HTML bodies and
/// the `text/calendar` part as alternatives, plus the same calendar as an `invite.ics`
/// attachment for clients that only offer attachments.
pub fn build_message(
    email: &EmailRecord,
    from: &Mailbox,
    message_id_domain: &str,
) -> Result<Message, SendError> {
    let refused = |e: String| SendError::Permanent(format!("the email cannot be built: {e}"));
    let name = (!email.recipient_name.trim().is_empty()).then(|| email.recipient_name.clone());
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
        .subject(email.subject.clone())
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
