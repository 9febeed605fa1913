//! Small value types parsed once at the edge, so the rest of the code can trust them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An email address, trimmed and lower-cased, of a shape mail servers accept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let candidate = raw.trim().to_lowercase();
        if candidate.is_empty() {
            return Err("is required".into());
        }
        if candidate.len() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        let Some((local, domain)) = candidate.rsplit_once('@') else {
            return Err("is not an email address (no @)".into());
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(candidate))
        } else {
            Err("is not a valid email address".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA time-zone name such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::UTC);

    pub fn parse(raw: &str) -> Result<Self, String> {
        chrono_tz::Tz::from_str(raw.trim())
            .map(Self)
            .map_err(|_| format!("`{raw}` is not an IANA time zone (like Europe/Berlin)"))
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A one-line text (a name, a company, a title, a location): trimmed, not empty, at most
/// `max_chars` characters, and free of line breaks, control characters and bidirectional
/// overrides. Such texts end up in email headers, calendar properties, CSV cells and log
/// lines, where a line break starts a new header or record and an override reverses what the
/// reader sees.
pub fn required_text(raw: &str, max_chars: usize) -> Result<String, String> {
    let text = raw.trim();
    check_text(text, max_chars, TextShape::SingleLine)?;
    Ok(text.to_owned())
}

/// Like [`required_text`] for an optional field; `None` when absent or blank.
pub fn optional_text(raw: Option<&str>, max_chars: usize) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => required_text(text, max_chars).map(Some),
    }
}

/// A text of several lines (notes, reasons, comments): line breaks and tabs are welcome, with
/// every `\r\n`, lone `\r`, NEL and Unicode line or paragraph separator stored as `\n`; other
/// control characters and bidirectional overrides are refused. `None` when absent or blank.
pub fn optional_multiline_text(
    raw: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.replace("\r\n", "\n").replace(is_line_break, "\n");
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    check_text(text, max_chars, TextShape::MultiLine)?;
    Ok(Some(text.to_owned()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TextShape {
    SingleLine,
    MultiLine,
}

fn check_text(text: &str, max_chars: usize, shape: TextShape) -> Result<(), String> {
    if text.is_empty() {
        return Err("is required".into());
    }
    if text.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    for c in text.chars() {
        if shape == TextShape::MultiLine && matches!(c, '\n' | '\t') {
            continue;
        }
        if is_line_break(c) {
            return Err("must be on one line (no line breaks)".into());
        }
        if c.is_control() {
            return Err("must not contain control characters".into());
        }
        if is_bidi_control(c) {
            return Err(
                "must not contain bidirectional override characters (U+202A–U+202E, U+2066–U+2069)"
                    .into(),
            );
        }
    }
    Ok(())
}

/// The characters that end a line: LF, CR, NEL and Unicode's line and paragraph separators.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}')
}

/// The embedding, override and isolate controls, which reorder how the text around them is
/// shown. The implicit marks (U+200E, U+200F, U+061C) only nudge neutral characters and are
/// typed by people writing right-to-left scripts, so they stay allowed.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` made safe for one line of a header, a calendar parameter or a log: line breaks and
/// tabs become spaces, other control characters and bidirectional controls are removed, and
/// the ends are trimmed. For text stored before it was validated, or that comes from elsewhere.
pub fn one_line(text: &str) -> String {
    let flat: String = text
        .replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            c if is_line_break(c) || c == '\t' => Some(' '),
            c if c.is_control() || is_bidi_control(c) => None,
            c => Some(c),
        })
        .collect();
    flat.trim().to_owned()
}

/// The longest web address kept (a referrer, a landing page).
pub const MAX_URL_CHARS: usize = 2000;

/// An absolute `http(s)` address on one line, without white space; `None` when blank.
pub fn page_url(raw: &str) -> Result<Option<String>, String> {
    let Some(url) = optional_text(Some(raw), MAX_URL_CHARS)? else {
        return Ok(None);
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must be an http:// or https:// address")?;
    if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c == '\u{FEFF}') {
        return Err("must be an address without spaces".into());
    }
    Ok(Some(url))
}

/// Writes a stored UTC instant as RFC 3339 with a `Z`.
pub fn serialize_utc<S: serde::Serializer>(
    at: &chrono::NaiveDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(
        &at.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// Like [`serialize_utc`] for an optional instant.
pub fn serialize_optional_utc<S: serde::Serializer>(
    at: &Option<chrono::NaiveDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize_utc(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// A fresh opaque identifier, made in Rust so inserts look the same on both backends. Version 7
/// ids sort by creation (monotonic within this process), which keeps audit trails written in
/// the same instant in the order they were written.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether `raw` has the shape of an id this service hands out.
pub fn is_id(raw: &str) -> bool {
    uuid::Uuid::parse_str(raw).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Ana.Diaz@Example.COM ").unwrap().as_str(),
            "ana.diaz@example.com"
        );
    }

    #[test]
    fn bad_emails_are_refused() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.com",
            "a..b@example.com",
            "a@-x.com",
            "a b@x.com",
            "a@x..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn non_ascii_emails_are_accepted() {
        assert!(Email::parse("józef@bücher.de").is_ok());
    }

    #[test]
    fn time_zones_must_be_iana_names() {
        assert_eq!(
            TimeZone::parse("Asia/Kolkata").unwrap().name(),
            "Asia/Kolkata"
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn ids_sort_in_creation_order() {
        let ids: Vec<String> = (0..1000).map(|_| new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(ids.iter().all(|id| is_id(id)));
    }

    #[test]
    fn text_length_counts_characters_not_bytes() {
        assert!(required_text("ééé", 3).is_ok());
        assert!(required_text("éééé", 3).is_err());
        assert!(required_text("a\u{0007}b", 10).is_err());
        assert_eq!(optional_text(Some("   "), 5).unwrap(), None);
    }

    #[test]
    fn one_line_texts_refuse_breaks_controls_and_overrides() {
        for bad in [
            "Eve\nX",
            "Eve\rX",
            "Eve\r\nBcc: x@y.z",
            "Eve\u{0}X",
            "Eve\tX",
            "Eve\u{2028}X",
            "Eve\u{85}X",
            "Eve\u{1b}[31mX",
            "Eve\u{202E}gnp.exe",
            "Eve\u{2066}X",
        ] {
            assert!(
                required_text(bad, 200).is_err(),
                "{bad:?} should be refused"
            );
            assert!(
                optional_text(Some(bad), 200).is_err(),
                "{bad:?} should be refused"
            );
        }
        for good in [
            "Zoë O'Brien-Łukasiewicz",
            "李小龍",
            "محمد\u{200F} علي",
            "👩🏽‍💻 Dev",
            "Ana (Acme, Inc.)",
        ] {
            assert_eq!(required_text(good, 200).unwrap(), good);
        }
        assert_eq!(
            required_text(&"x".repeat(10_000), 200).unwrap_err(),
            "must be at most 200 characters"
        );
    }

    #[test]
    fn multi_line_texts_keep_lines_as_newlines_only() {
        assert_eq!(
            optional_multiline_text(Some(" one\r\ntwo\rthree\u{2028}four\n\tfive "), 100)
                .unwrap()
                .unwrap(),
            "one\ntwo\nthree\nfour\n\tfive"
        );
        assert!(optional_multiline_text(Some("a\u{0}b"), 100).is_err());
        assert!(optional_multiline_text(Some("a\u{202E}b"), 100).is_err());
        assert_eq!(optional_multiline_text(Some(" \r\n "), 100).unwrap(), None);
        assert_eq!(optional_multiline_text(None, 100).unwrap(), None);
    }

    #[test]
    fn one_line_flattens_anything() {
        assert_eq!(one_line("Eve\r\nBcc: x@y.z"), "Eve Bcc: x@y.z");
        assert_eq!(one_line("a\u{0}b\u{202E}c\td "), "abc d");
        assert_eq!(one_line("\n\n"), "");
    }

    #[test]
    fn addresses_are_http_up_to_two_thousand_characters() {
        let long = format!("https://a.example/{}", "p".repeat(2000));
        assert!(page_url(&long).is_err());
        assert!(page_url("ftp://a.example/").is_err());
        assert!(page_url("https://").is_err());
        assert_eq!(page_url("  ").unwrap(), None);
        assert_eq!(
            page_url("http://a.example/p?utm_source=x")
                .unwrap()
                .as_deref(),
            Some("http://a.example/p?utm_source=x")
        );
    }

    proptest::proptest! {
        #[test]
        fn what_validation_accepts_one_line_keeps(text in "\\PC{0,40}") {
            if let Ok(accepted) = required_text(&text, 100) {
                proptest::prop_assert_eq!(one_line(&accepted), accepted);
            }
        }

        #[test]
        fn one_line_never_leaves_a_break_or_control(text in proptest::prelude::any::<String>()) {
            let flat = one_line(&text);
            proptest::prop_assert!(!flat.chars().any(|c| c.is_control() || is_bidi_control(c)));
            let separators = ['\u{2028}', '\u{2029}'];
            proptest::prop_assert!(!flat.contains(separators), "a line separator is left");
        }
    }
}
