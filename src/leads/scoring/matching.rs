//! How the names in the rules meet what leads send: words of a title, names typed by hand, and
//! attribute values of any type.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, expecting = "expected text, a number, true or false")]
pub(super) enum AttributeValue {
    Flag(bool),
    Number(f64),
    Text(String),
}

impl AttributeValue {
    /// Lead attributes arrive from forms, CSV files and CRMs that disagree about types, so a
    /// number or a flag sent as text still matches, and text ignores case and outer spaces.
    pub(super) fn matches(&self, actual: &Value) -> bool {
        match (self, actual) {
            (AttributeValue::Flag(expected), Value::Bool(flag)) => expected == flag,
            (AttributeValue::Flag(expected), Value::String(text)) => {
                text.trim().eq_ignore_ascii_case(flag_text(*expected))
            }
            (AttributeValue::Number(expected), Value::Number(number)) => {
                number.as_f64() == Some(*expected)
            }
            (AttributeValue::Number(expected), Value::String(text)) => text
                .trim()
                .parse::<f64>()
                .is_ok_and(|number| number == *expected),
            (AttributeValue::Text(expected), Value::String(text)) => {
                text.trim().to_lowercase() == expected.trim().to_lowercase()
            }
            (AttributeValue::Text(expected), Value::Number(number)) => {
                expected.trim() == number.to_string()
            }
            (AttributeValue::Text(expected), Value::Bool(flag)) => {
                expected.trim().eq_ignore_ascii_case(flag_text(*flag))
            }
            _ => false,
        }
    }
}

fn flag_text(flag: bool) -> &'static str {
    if flag {
        "true"
    } else {
        "false"
    }
}

/// The setting's name as it would be written in `scoring.toml`, so people can find it there.
pub(super) fn toml_key(section: &str, name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        format!("{section}.{name}")
    } else {
        format!("{section}.{name:?}")
    }
}

/// Lowercase words, split at anything that is not a letter or digit: "C-level" is "c", "level".
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Sources and campaigns are typed by hand in many tools, so "Paid Search", "paid-search" and
/// "paid_search" are one name.
pub(super) fn normalized_name(name: &str) -> String {
    words(name).join("_")
}

pub(super) fn contains_phrase(title_words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && title_words
            .windows(phrase.len())
            .any(|window| window == phrase)
}
