//! Structured logs with `tracing`, to stderr so stdout stays free for CLI output.
//!
//! Every log line is one line whatever text it carries: the writer escapes line breaks, other
//! control characters and bidirectional controls that a logged value (a name, an error from a
//! server, a panic message) may contain, so nobody can forge a log line or hide one.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};
use crate::values::is_bidi_control;

pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(OneLinePerEvent);
    let installed = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // A second init (tests build several apps in one process) keeps the first subscriber.
    if installed.is_ok() {
        log_panics();
    }
}

/// Panics go to the log as one escaped event (with their location) instead of the default
/// hook's raw text on stderr.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = panic_message(info.payload());
        let location = info
            .location()
            .map(|at| format!("{}:{}", at.file(), at.line()))
            .unwrap_or_default();
        tracing::error!(panic = message, %location, "panicked");
    }));
}

/// Writes each formatted event to stderr with its inner control characters escaped.
struct OneLinePerEvent;

impl<'a> MakeWriter<'a> for OneLinePerEvent {
    type Writer = EscapingWriter<io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        EscapingWriter(io::stderr())
    }
}

pub struct EscapingWriter<W: Write>(W);

impl<W: Write> Write for EscapingWriter<W> {
    /// The formatter hands over one whole event per call, ending in its newline.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let body = text.strip_suffix('\n').unwrap_or(&text);
        let mut line = escape_log_text(body);
        line.push('\n');
        self.0.write_all(line.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// `text` with every control character and bidirectional control written as an escape: `\n`,
/// `\r`, `\t`, or `\u{…}` (inside a JSON string the latter reads as the same character).
pub fn escape_log_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// The text a panic carried, when it carried one.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_stays_one_line() {
        let mut written = Vec::new();
        EscapingWriter(&mut written)
            .write_all(b"name=Eve\nINFO forged line\r\x1b[31m\xe2\x80\xaeevil\n")
            .unwrap();
        let written = String::from_utf8(written).unwrap();
        assert_eq!(written.lines().count(), 1);
        assert_eq!(
            written,
            "name=Eve\\nINFO forged line\\r\\u001b[31m\\u202eevil\n"
        );
    }

    #[test]
    fn escapes_read_back_as_the_same_json() {
        let event = serde_json::json!({"name": "Eve\u{202E}\u{0}x"}).to_string();
        let escaped = escape_log_text(&event);
        let parsed: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(parsed["name"], "Eve\u{202E}\u{0}x");
    }

    proptest::proptest! {
        #[test]
        fn no_text_breaks_a_line(text in proptest::prelude::any::<String>()) {
            let escaped = escape_log_text(&text);
            proptest::prop_assert!(!escaped.chars().any(|c| c.is_control()));
        }
    }
}
