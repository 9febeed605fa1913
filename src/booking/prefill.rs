//! What the booking page carries from its address to its form: the prospect's phone and job
//! title, lead attributes (`a_<name>`), and where the visit came from (UTMs, referrer, landing
//! page). Values that would not pass as typed in are dropped, never reported: a page's address
//! may hold anything anyone linked to.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::booking::service::BookingRequest;
use crate::leads::attribution::{outside_referrer, Touch, TouchField};
use crate::leads::model::{parse_phone, MAX_ATTRIBUTES_BYTES, MAX_FIELD_CHARS};
use crate::values::{optional_text, page_url};

/// The longest attribute name, as `embed.js` passes them on.
const MAX_ATTRIBUTE_NAME_CHARS: usize = 64;

/// The booking form's extra fields: shown (phone, title) or hidden (the rest).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prefill {
    pub phone: String,
    pub title: String,
    /// `(name, value)` of each `a_<name>`, in the order they came.
    pub attributes: Vec<(String, String)>,
    pub touch: Touch,
}

/// The booking page's request, as far as the prefill reads it.
pub struct PageVisit<'a> {
    /// The raw query string.
    pub query: &'a str,
    pub path: &'a str,
    /// The request's `Referer` header.
    pub referer: Option<&'a str>,
    pub public_base: &'a str,
    /// The embeddable variant, which sits in a frame on another site's page.
    pub embedded: bool,
}

impl Prefill {
    /// The prefill of a booking page. On the normal page the referrer is the `Referer` of
    /// another site and the landing page is this page; inside a frame the `Referer` is only the
    /// site's page, so `embed.js` passes that page's own `referrer` and `landing_page` along,
    /// which are taken from the query only then.
    pub fn of_page(visit: &PageVisit<'_>) -> Self {
        let pairs = url::form_urlencoded::parse(visit.query.as_bytes()).filter(|(name, _)| {
            visit.embedded
                || !matches!(
                    TouchField::named(name),
                    Some(TouchField::Referrer | TouchField::LandingPage)
                )
        });
        let mut prefill = Self::from_pairs(pairs);
        prefill.phone = parse_phone(Some(&prefill.phone))
            .ok()
            .flatten()
            .unwrap_or_default();
        prefill.title = optional_text(Some(&prefill.title), MAX_FIELD_CHARS)
            .ok()
            .flatten()
            .unwrap_or_default();
        if !visit.embedded {
            prefill.touch.referrer = outside_referrer(visit.referer, visit.public_base);
            prefill.touch.landing_page = page_url(&landing_page(visit)).ok().flatten();
        }
        prefill
    }

    /// The fields as a form or query names them. Phone and title are kept as typed, for the
    /// booking to accept or refuse with the other visible fields; unknown fields are ignored.
    fn from_pairs<'a>(pairs: impl IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>) -> Self {
        let mut prefill = Self::default();
        for (name, value) in pairs {
            match name.as_ref() {
                "phone" => prefill.phone = value.into_owned(),
                "title" => prefill.title = value.into_owned(),
                other => {
                    if let Some(field) = TouchField::named(other) {
                        prefill.touch.set_if_valid(field, &value);
                    } else if let Some(attribute) = other.strip_prefix("a_") {
                        prefill.add_attribute(attribute, &value);
                    }
                }
            }
        }
        prefill
    }

    /// Adds one attribute when its name is like `embed.js` passes (letters, digits and `_`, up
    /// to 64) and its value is one line of text, as long as the lot stays within what a lead's
    /// attributes may hold; a repeated name keeps its last value.
    fn add_attribute(&mut self, name: &str, raw: &str) {
        let name_ok = (1..=MAX_ATTRIBUTE_NAME_CHARS).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            return;
        }
        let Ok(Some(value)) = optional_text(Some(raw), MAX_FIELD_CHARS) else {
            return;
        };
        let mut attributes = self.attributes.clone();
        attributes.retain(|(kept, _)| kept != name);
        attributes.push((name.to_owned(), value));
        if Value::Object(attributes_map(&attributes)).to_string().len() <= MAX_ATTRIBUTES_BYTES {
            self.attributes = attributes;
        }
    }

    /// The hidden inputs that carry the attributes and the touch to the booking's post.
    pub fn hidden_fields(&self) -> Vec<(String, &str)> {
        self.attributes
            .iter()
            .map(|(name, value)| (format!("a_{name}"), value.as_str()))
            .chain(
                self.touch
                    .fields()
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value)),
            )
            .collect()
    }
}

fn attributes_map(attributes: &[(String, String)]) -> Map<String, Value> {
    attributes
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect()
}

/// This page's address without `embed`, as the prospect saw it.
fn landing_page(visit: &PageVisit<'_>) -> String {
    let kept: Vec<(Cow<'_, str>, Cow<'_, str>)> =
        url::form_urlencoded::parse(visit.query.as_bytes())
            .filter(|(name, _)| name != "embed")
            .collect();
    let base = format!("{}{}", visit.public_base.trim_end_matches('/'), visit.path);
    if kept.is_empty() {
        return base;
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{base}?{query}")
}

/// The booking form's post carries the prefill in its fields of the same names.
impl<'de> Deserialize<'de> for Prefill {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = std::collections::BTreeMap::<String, String>::deserialize(deserializer)?;
        Ok(Self::from_pairs(fields.into_iter().map(|(name, value)| {
            (Cow::Owned(name), Cow::Owned(value))
        })))
    }
}

/// The part of a booking the prefill fills in.
impl From<&Prefill> for BookingRequest {
    fn from(prefill: &Prefill) -> Self {
        let text = |value: &str| (!value.trim().is_empty()).then(|| value.to_owned());
        Self {
            phone: text(&prefill.phone),
            title: text(&prefill.title),
            attributes: (!prefill.attributes.is_empty())
                .then(|| attributes_map(&prefill.attributes)),
            attribution: (!prefill.touch.is_empty()).then(|| prefill.touch.clone()),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://book.example.com";

    fn page(query: &str, referer: Option<&str>, embedded: bool) -> Prefill {
        Prefill::of_page(&PageVisit {
            query,
            path: "/book/demo",
            referer,
            public_base: BASE,
            embedded,
        })
    }

    #[test]
    fn a_page_keeps_utms_attributes_phone_and_title() {
        let prefill = page(
            "utm_source=google&utm_campaign=winter&a_industry=fintech&phone=%2B49%2030%20123&title=CTO&tz=UTC",
            Some("https://www.google.com/"),
            false,
        );
        assert_eq!(prefill.phone, "+49 30 123");
        assert_eq!(prefill.title, "CTO");
        assert_eq!(
            prefill.attributes,
            [("industry".to_owned(), "fintech".to_owned())]
        );
        assert_eq!(prefill.touch.utm_source.as_deref(), Some("google"));
        assert_eq!(prefill.touch.utm_campaign.as_deref(), Some("winter"));
        assert_eq!(
            prefill.touch.referrer.as_deref(),
            Some("https://www.google.com/")
        );
        assert_eq!(
            prefill.touch.landing_page.as_deref(),
            Some("https://book.example.com/book/demo?utm_source=google&utm_campaign=winter&a_industry=fintech&phone=%2B49+30+123&title=CTO&tz=UTC")
        );
    }

    #[test]
    fn the_normal_page_ignores_passed_referrers_and_its_own_pages() {
        let prefill = page(
            "referrer=https%3A%2F%2Fspoof.example%2F&landing_page=https%3A%2F%2Fspoof.example%2F",
            Some("https://book.example.com/book/other"),
            false,
        );
        assert_eq!(prefill.touch.referrer, None);
        assert!(prefill
            .touch
            .landing_page
            .is_some_and(|page| page.starts_with(BASE)));
    }

    #[test]
    fn an_embedded_page_takes_its_host_pages_addresses() {
        let prefill = page(
            "embed=1&referrer=https%3A%2F%2Fnews.example%2F&landing_page=https%3A%2F%2Fshop.example%2Fpricing%3Futm_source%3Dx",
            Some("https://shop.example/pricing"),
            true,
        );
        assert_eq!(
            prefill.touch.referrer.as_deref(),
            Some("https://news.example/")
        );
        assert_eq!(
            prefill.touch.landing_page.as_deref(),
            Some("https://shop.example/pricing?utm_source=x")
        );
    }

    #[test]
    fn hostile_values_are_dropped() {
        let long = "x".repeat(10_000);
        let query = format!(
            "utm_source=a%0Ab&utm_medium=%00&utm_term={long}&utm_content=%E2%80%AEevil&phone=call%20me&title=a%0Db&a_bad%20name=x&a_note=a%0Ab&a_={long}&a_emoji=%F0%9F%8E%84"
        );
        let prefill = page(&query, Some("javascript:alert(1)"), false);
        assert_eq!(prefill.phone, "");
        assert_eq!(prefill.title, "");
        assert_eq!(prefill.attributes, [("emoji".to_owned(), "🎄".to_owned())]);
        assert_eq!(
            Touch {
                landing_page: None,
                ..prefill.touch
            },
            Touch::default()
        );
    }

    #[test]
    fn attributes_stop_before_a_lead_could_not_hold_them() {
        let query: String = (0..100)
            .map(|i| format!("a_field{i}={}&", "é".repeat(200)))
            .collect();
        let prefill = page(&query, None, false);
        let request = BookingRequest::from(&prefill);
        let size = Value::Object(request.attributes.unwrap()).to_string().len();
        assert!(size <= MAX_ATTRIBUTES_BYTES, "{size}");
        assert!(prefill.attributes.len() > 10);
    }

    #[test]
    fn hidden_fields_read_back_as_the_same_prefill() {
        let prefill = page(
            "utm_source=google&a_industry=fintech",
            Some("https://www.google.com/"),
            false,
        );
        let posted = Prefill::from_pairs(
            prefill
                .hidden_fields()
                .into_iter()
                .map(|(name, value)| (Cow::Owned(name), Cow::Borrowed(value))),
        );
        assert_eq!(posted, prefill);
    }
}
