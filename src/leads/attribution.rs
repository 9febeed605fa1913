//! Attribution: where a prospect came from (the five UTMs, the referring page and the page they
//! landed on), kept on the lead as its first and last touch and on a meeting request as the
//! touch that booked it.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::field_errors::FieldErrors;
use crate::values::{optional_text, page_url};

/// The longest UTM value kept, as for other one-line texts.
pub const MAX_UTM_CHARS: usize = 200;

/// One visit's origin. Every part is optional; a touch with none is no touch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Touch {
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_source: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_medium: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_campaign: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_term: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_content: Option<String>,
    /// The page of another site that sent the prospect.
    #[schema(value_type = Option<crate::http::schemas::PageUrl>)]
    pub referrer: Option<String>,
    /// The page the prospect arrived on.
    #[schema(value_type = Option<crate::http::schemas::PageUrl>)]
    pub landing_page: Option<String>,
}

/// The parts of a touch, each with the name pages, forms and the API use for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchField {
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    Referrer,
    LandingPage,
}

impl TouchField {
    pub const ALL: [TouchField; 7] = [
        Self::UtmSource,
        Self::UtmMedium,
        Self::UtmCampaign,
        Self::UtmTerm,
        Self::UtmContent,
        Self::Referrer,
        Self::LandingPage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::UtmSource => "utm_source",
            Self::UtmMedium => "utm_medium",
            Self::UtmCampaign => "utm_campaign",
            Self::UtmTerm => "utm_term",
            Self::UtmContent => "utm_content",
            Self::Referrer => "referrer",
            Self::LandingPage => "landing_page",
        }
    }

    /// The part a query or form field named `name` sets, if any.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name() == name)
    }
}

impl Touch {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn get(&self, field: TouchField) -> Option<&str> {
        match field {
            TouchField::UtmSource => &self.utm_source,
            TouchField::UtmMedium => &self.utm_medium,
            TouchField::UtmCampaign => &self.utm_campaign,
            TouchField::UtmTerm => &self.utm_term,
            TouchField::UtmContent => &self.utm_content,
            TouchField::Referrer => &self.referrer,
            TouchField::LandingPage => &self.landing_page,
        }
        .as_deref()
    }

    fn slot(&mut self, field: TouchField) -> &mut Option<String> {
        match field {
            TouchField::UtmSource => &mut self.utm_source,
            TouchField::UtmMedium => &mut self.utm_medium,
            TouchField::UtmCampaign => &mut self.utm_campaign,
            TouchField::UtmTerm => &mut self.utm_term,
            TouchField::UtmContent => &mut self.utm_content,
            TouchField::Referrer => &mut self.referrer,
            TouchField::LandingPage => &mut self.landing_page,
        }
    }

    /// The parts that are set as `(name, value)`, for forms that carry the touch along.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        TouchField::ALL
            .into_iter()
            .filter_map(|field| self.get(field).map(|value| (field.name(), value)))
            .collect()
    }

    /// Sets `field` from outside text when the text is acceptable; anything else is dropped,
    /// as a page's address or a hidden field may hold anything a visitor typed.
    pub fn set_if_valid(&mut self, field: TouchField, raw: &str) {
        if let Ok(Some(value)) = check(field, raw) {
            *self.slot(field) = Some(value);
        }
    }

    /// The touch an integration sent, checked part by part; a bad part is named
    /// `attribution.<part>`.
    pub fn parse(&self) -> Result<Touch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut parsed = Touch::default();
        for field in TouchField::ALL {
            let Some(raw) = self.get(field) else {
                continue;
            };
            match check(field, raw) {
                Ok(value) => *parsed.slot(field) = value,
                Err(message) => errors.add(format!("attribution.{}", field.name()), message),
            }
        }
        errors.into_result().map(|()| parsed)
    }
}

fn check(field: TouchField, raw: &str) -> Result<Option<String>, String> {
    match field {
        TouchField::Referrer | TouchField::LandingPage => page_url(raw),
        _ => optional_text(Some(raw), MAX_UTM_CHARS),
    }
}

/// The referrer a page keeps from its request's `Referer`: only another site's page, since a
/// visitor moving between Convene's own pages did not come from anywhere new.
pub fn outside_referrer(referer: Option<&str>, own_base: &str) -> Option<String> {
    let referrer = page_url(referer?).ok()??;
    let origin = |address: &str| {
        url::Url::parse(address)
            .ok()
            .map(|url| url.origin().ascii_serialization())
    };
    match (origin(&referrer), origin(own_base)) {
        (Some(theirs), Some(ours)) if theirs == ours => None,
        _ => Some(referrer),
    }
}

/// A touch with the moment it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TouchAt {
    #[serde(flatten)]
    pub touch: Touch,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
}

impl TouchAt {
    /// `touch` as recorded at `at`, to the second like the API's other times.
    pub fn new(touch: Touch, at: DateTime<Utc>) -> Self {
        Self {
            touch,
            at: at.trunc_subsecs(0),
        }
    }

    /// The touch as its column holds it: JSON text, or NULL for none. Serialising these plain
    /// texts and a time cannot fail.
    pub fn stored(touch: Option<&TouchAt>) -> Option<String> {
        touch.and_then(|touch| serde_json::to_string(touch).ok())
    }
}

/// A lead's attribution: the touch that first brought it and the latest one. Both are `null`
/// for a lead that never came through a page or form that carries one (say, created by the
/// API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attribution {
    pub first_touch: Option<TouchAt>,
    pub last_touch: Option<TouchAt>,
}

impl Attribution {
    /// Records a new touch: it is the last touch from now on, and the first one if there was
    /// none before. An empty touch changes nothing.
    pub fn record(&mut self, touch: &Touch, at: DateTime<Utc>) {
        if touch.is_empty() {
            return;
        }
        let touched = TouchAt::new(touch.clone(), at);
        if self.first_touch.is_none() {
            self.first_touch = Some(touched.clone());
        }
        self.last_touch = Some(touched);
    }
}

/// A lead's campaign and source, filled from the touch's `utm_campaign` and `utm_source` where
/// the lead has none, so the reports group such leads by where they came from.
pub fn fill_groups(campaign: &mut Option<String>, source: &mut Option<String>, touch: &Touch) {
    if campaign.is_none() {
        campaign.clone_from(&touch.utm_campaign);
    }
    if source.is_none() {
        source.clone_from(&touch.utm_source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 8, hour, 0, 0).unwrap()
    }

    fn touch_from(source: &str) -> Touch {
        Touch {
            utm_source: Some(source.into()),
            ..Touch::default()
        }
    }

    #[test]
    fn the_first_touch_stays_and_the_last_follows() {
        let mut attribution = Attribution::default();
        attribution.record(&touch_from("google"), at(9));
        attribution.record(&Touch::default(), at(10));
        attribution.record(&touch_from("linkedin"), at(11));
        let first = attribution.first_touch.unwrap();
        let last = attribution.last_touch.unwrap();
        assert_eq!(
            (first.touch.utm_source.as_deref(), first.at),
            (Some("google"), at(9))
        );
        assert_eq!(
            (last.touch.utm_source.as_deref(), last.at),
            (Some("linkedin"), at(11))
        );
    }

    #[test]
    fn hostile_values_are_dropped_from_pages() {
        let mut touch = Touch::default();
        for bad in [
            "evil\nX-Header: 1",
            "a\u{0}b",
            "a\u{202E}b",
            &"x".repeat(10_000),
        ] {
            touch.set_if_valid(TouchField::UtmSource, bad);
            touch.set_if_valid(TouchField::Referrer, bad);
        }
        touch.set_if_valid(TouchField::LandingPage, "javascript:alert(1)");
        touch.set_if_valid(TouchField::LandingPage, "https://a.example/x y");
        assert!(touch.is_empty(), "{touch:?}");
        touch.set_if_valid(TouchField::UtmCampaign, " 🎄 winter ");
        touch.set_if_valid(TouchField::Referrer, "https://news.example/?q=1");
        assert_eq!(touch.utm_campaign.as_deref(), Some("🎄 winter"));
        assert_eq!(touch.referrer.as_deref(), Some("https://news.example/?q=1"));
    }

    #[test]
    fn sent_touches_name_their_bad_parts() {
        let sent = Touch {
            utm_medium: Some("cpc\r\n".repeat(3)),
            landing_page: Some("not a page".into()),
            utm_source: Some("newsletter".into()),
            ..Touch::default()
        };
        let errors = sent.parse().unwrap_err();
        let fields: Vec<&str> = errors.fields().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            ["attribution.landing_page", "attribution.utm_medium"]
        );
        assert_eq!(touch_from(" x ").parse().unwrap(), touch_from("x"));
    }

    #[test]
    fn own_pages_are_not_referrers() {
        let base = "https://book.example.com";
        assert_eq!(
            outside_referrer(Some("https://book.example.com/book/demo"), base),
            None
        );
        assert_eq!(
            outside_referrer(Some("https://www.google.com/"), base).as_deref(),
            Some("https://www.google.com/")
        );
        assert_eq!(outside_referrer(Some("android-app://x"), base), None);
        assert_eq!(outside_referrer(None, base), None);
    }

    #[test]
    fn utms_fill_only_a_missing_campaign_or_source() {
        let touch = Touch {
            utm_campaign: Some("winter".into()),
            utm_source: Some("google".into()),
            ..Touch::default()
        };
        let (mut campaign, mut source) = (None, Some("partner".to_owned()));
        fill_groups(&mut campaign, &mut source, &touch);
        assert_eq!(campaign.as_deref(), Some("winter"));
        assert_eq!(source.as_deref(), Some("partner"));
    }

    #[test]
    fn fields_list_what_is_set_by_name() {
        let touch = Touch {
            utm_term: Some("booking".into()),
            landing_page: Some("https://a.example/".into()),
            ..Touch::default()
        };
        assert_eq!(
            touch.fields(),
            [
                ("utm_term", "booking"),
                ("landing_page", "https://a.example/")
            ]
        );
    }
}
