//! Meeting types: the templates meetings are booked from, and their validation.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::field_errors::FieldErrors;
use crate::values::{optional_text, required_text};

pub use crate::scheduling::availability::HostMode;

impl HostMode {
    pub fn as_str(self) -> &'static str {
        match self {
            HostMode::Collective => "collective",
            HostMode::RoundRobin => "round_robin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "collective" => Ok(HostMode::Collective),
            "round_robin" => Ok(HostMode::RoundRobin),
            other => Err(format!(
                "`{other}` is not a host mode (collective, round_robin)"
            )),
        }
    }
}

/// Bookings are kept on a five-minute grid, so every duration and step is a multiple of five.
pub const MINUTE_GRID: i32 = 5;
pub const MAX_HOSTS: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct MeetingType {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub duration_minutes: i32,
    pub host_ids: Vec<String>,
    pub host_mode: HostMode,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub min_notice_minutes: i32,
    pub max_days_ahead: i32,
    pub slot_step_minutes: i32,
    pub max_per_day_per_host: Option<i32>,
    pub requires_approval: bool,
    pub auto_approve_min_score: Option<i32>,
    pub min_lead_score: Option<i32>,
    pub location: Option<String>,
    pub survey: bool,
    pub active: bool,
    /// The days of assignments the weighted round robin balances.
    pub round_robin_window_days: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The settings of a meeting type, without identity; what create and update validate.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingTypeSettings {
    pub slug: String,
    pub name: String,
    pub duration_minutes: i32,
    pub host_ids: Vec<String>,
    pub host_mode: HostMode,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub min_notice_minutes: i32,
    pub max_days_ahead: i32,
    pub slot_step_minutes: i32,
    pub max_per_day_per_host: Option<i32>,
    pub requires_approval: bool,
    pub auto_approve_min_score: Option<i32>,
    pub min_lead_score: Option<i32>,
    pub location: Option<String>,
    pub survey: bool,
    pub active: bool,
    /// The days of assignments the weighted round robin balances.
    pub round_robin_window_days: i32,
}

impl MeetingType {
    pub fn settings(&self) -> MeetingTypeSettings {
        MeetingTypeSettings {
            slug: self.slug.clone(),
            name: self.name.clone(),
            duration_minutes: self.duration_minutes,
            host_ids: self.host_ids.clone(),
            host_mode: self.host_mode,
            buffer_before_minutes: self.buffer_before_minutes,
            buffer_after_minutes: self.buffer_after_minutes,
            min_notice_minutes: self.min_notice_minutes,
            max_days_ahead: self.max_days_ahead,
            slot_step_minutes: self.slot_step_minutes,
            max_per_day_per_host: self.max_per_day_per_host,
            requires_approval: self.requires_approval,
            auto_approve_min_score: self.auto_approve_min_score,
            min_lead_score: self.min_lead_score,
            location: self.location.clone(),
            survey: self.survey,
            active: self.active,
            round_robin_window_days: self.round_robin_window_days,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingTypeView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub duration_minutes: i32,
    pub host_ids: Vec<String>,
    #[schema(value_type = String, example = "collective")]
    pub host_mode: HostMode,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub min_notice_minutes: i32,
    pub max_days_ahead: i32,
    pub slot_step_minutes: i32,
    pub max_per_day_per_host: Option<i32>,
    pub requires_approval: bool,
    pub auto_approve_min_score: Option<i32>,
    pub min_lead_score: Option<i32>,
    pub location: Option<String>,
    pub survey: bool,
    pub active: bool,
    /// The days of assignments the weighted round robin balances.
    pub round_robin_window_days: i32,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub updated_at: NaiveDateTime,
}

impl From<&MeetingType> for MeetingTypeView {
    fn from(t: &MeetingType) -> Self {
        Self {
            id: t.id.clone(),
            slug: t.slug.clone(),
            name: t.name.clone(),
            duration_minutes: t.duration_minutes,
            host_ids: t.host_ids.clone(),
            host_mode: t.host_mode,
            buffer_before_minutes: t.buffer_before_minutes,
            buffer_after_minutes: t.buffer_after_minutes,
            min_notice_minutes: t.min_notice_minutes,
            max_days_ahead: t.max_days_ahead,
            slot_step_minutes: t.slot_step_minutes,
            max_per_day_per_host: t.max_per_day_per_host,
            requires_approval: t.requires_approval,
            auto_approve_min_score: t.auto_approve_min_score,
            min_lead_score: t.min_lead_score,
            location: t.location.clone(),
            survey: t.survey,
            active: t.active,
            round_robin_window_days: t.round_robin_window_days,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// `POST /api/v1/meeting-types`; `PATCH` takes the same fields, all optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MeetingTypeInput {
    /// Lower-case letters, digits and single dashes. Required on create.
    #[schema(
        pattern = r"^\s*[a-z0-9](-?[a-z0-9])+\s*$",
        min_length = 3,
        example = "exec-briefing"
    )]
    pub slug: Option<String>,
    /// Required on create.
    #[schema(value_type = Option<crate::http::schemas::Name>)]
    pub name: Option<String>,
    /// Required on create.
    #[schema(minimum = 5, maximum = 480, multiple_of = 5)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub duration_minutes: Option<i32>,
    /// Users, each once. Required on create.
    #[schema(value_type = Option<Vec<crate::http::schemas::Id>>, min_items = 1, max_items = 50)]
    pub host_ids: Option<Vec<String>>,
    /// Required on create.
    #[schema(value_type = Option<crate::http::schemas::HostModeName>)]
    pub host_mode: Option<String>,
    #[schema(minimum = 0, maximum = 240, multiple_of = 5)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub buffer_before_minutes: Option<i32>,
    #[schema(minimum = 0, maximum = 240, multiple_of = 5)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub buffer_after_minutes: Option<i32>,
    #[schema(minimum = 0, maximum = 43200)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub min_notice_minutes: Option<i32>,
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub max_days_ahead: Option<i32>,
    #[schema(minimum = 5, maximum = 240, multiple_of = 5)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub slot_step_minutes: Option<i32>,
    #[schema(minimum = 1, maximum = 48)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub max_per_day_per_host: Option<i32>,
    /// Required on create.
    pub requires_approval: Option<bool>,
    #[schema(minimum = 0, maximum = 100)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub auto_approve_min_score: Option<i32>,
    #[schema(minimum = 0, maximum = 100)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub min_lead_score: Option<i32>,
    #[schema(value_type = Option<crate::http::schemas::MediumText>)]
    pub location: Option<String>,
    pub survey: Option<bool>,
    pub active: Option<bool>,
    /// The days of past assignments the weighted round robin balances (default 30).
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "crate::http::numbers::optional_whole")]
    pub round_robin_window_days: Option<i32>,
}

const DEFAULT_MIN_NOTICE_MINUTES: i32 = 240;
const DEFAULT_MAX_DAYS_AHEAD: i32 = 60;
const DEFAULT_SLOT_STEP_MINUTES: i32 = 15;
const DEFAULT_ROUND_ROBIN_WINDOW_DAYS: i32 = 30;

impl MeetingTypeInput {
    /// Validates a new meeting type: every required field present, every value in range.
    pub fn parse_new(&self) -> Result<MeetingTypeSettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, missing) in [
            ("slug", self.slug.is_none()),
            ("name", self.name.is_none()),
            ("duration_minutes", self.duration_minutes.is_none()),
            ("host_ids", self.host_ids.is_none()),
            ("host_mode", self.host_mode.is_none()),
            ("requires_approval", self.requires_approval.is_none()),
        ] {
            if missing {
                errors.add(field, "is required");
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let base = MeetingTypeSettings {
            slug: String::new(),
            name: String::new(),
            duration_minutes: 0,
            host_ids: Vec::new(),
            host_mode: HostMode::Collective,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            min_notice_minutes: DEFAULT_MIN_NOTICE_MINUTES,
            max_days_ahead: DEFAULT_MAX_DAYS_AHEAD,
            slot_step_minutes: DEFAULT_SLOT_STEP_MINUTES,
            max_per_day_per_host: None,
            requires_approval: true,
            auto_approve_min_score: None,
            min_lead_score: None,
            location: None,
            survey: false,
            active: true,
            round_robin_window_days: DEFAULT_ROUND_ROBIN_WINDOW_DAYS,
        };
        self.apply_to(base)
    }

    /// Applies the sent fields to `current` and validates the result as a whole.
    pub fn apply_to(
        &self,
        current: MeetingTypeSettings,
    ) -> Result<MeetingTypeSettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = current;
        if let Some(slug) = &self.slug {
            match parse_slug(slug) {
                Ok(slug) => next.slug = slug,
                Err(m) => errors.add("slug", m),
            }
        }
        if let Some(name) = &self.name {
            match required_text(name, 200) {
                Ok(name) => next.name = name,
                Err(m) => errors.add("name", m),
            }
        }
        if let Some(mode) = &self.host_mode {
            match HostMode::parse(mode) {
                Ok(mode) => next.host_mode = mode,
                Err(m) => errors.add("host_mode", m),
            }
        }
        if let Some(host_ids) = &self.host_ids {
            next.host_ids = host_ids.iter().map(|id| id.trim().to_owned()).collect();
        }
        if let Some(location) = &self.location {
            match optional_text(Some(location), 500) {
                Ok(location) => next.location = location,
                Err(m) => errors.add("location", m),
            }
        }
        let assign = |target: &mut i32, sent: Option<i32>| {
            if let Some(value) = sent {
                *target = value;
            }
        };
        assign(&mut next.duration_minutes, self.duration_minutes);
        assign(&mut next.buffer_before_minutes, self.buffer_before_minutes);
        assign(&mut next.buffer_after_minutes, self.buffer_after_minutes);
        assign(&mut next.min_notice_minutes, self.min_notice_minutes);
        assign(&mut next.max_days_ahead, self.max_days_ahead);
        assign(&mut next.slot_step_minutes, self.slot_step_minutes);
        assign(
            &mut next.round_robin_window_days,
            self.round_robin_window_days,
        );
        if self.max_per_day_per_host.is_some() {
            next.max_per_day_per_host = self.max_per_day_per_host;
        }
        if self.auto_approve_min_score.is_some() {
            next.auto_approve_min_score = self.auto_approve_min_score;
        }
        if self.min_lead_score.is_some() {
            next.min_lead_score = self.min_lead_score;
        }
        if let Some(value) = self.requires_approval {
            next.requires_approval = value;
        }
        if let Some(value) = self.survey {
            next.survey = value;
        }
        if let Some(value) = self.active {
            next.active = value;
        }
        next.check(&mut errors);
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(errors)
        }
    }
}

impl MeetingTypeSettings {
    fn check(&self, errors: &mut FieldErrors) {
        let mut range = |field: &str, value: i32, low: i32, high: i32| {
            if !(low..=high).contains(&value) {
                errors.add(field, format!("must be between {low} and {high}"));
            }
        };
        range("duration_minutes", self.duration_minutes, 5, 480);
        range("buffer_before_minutes", self.buffer_before_minutes, 0, 240);
        range("buffer_after_minutes", self.buffer_after_minutes, 0, 240);
        range(
            "min_notice_minutes",
            self.min_notice_minutes,
            0,
            60 * 24 * 30,
        );
        range("max_days_ahead", self.max_days_ahead, 1, 365);
        range("slot_step_minutes", self.slot_step_minutes, 5, 240);
        range(
            "round_robin_window_days",
            self.round_robin_window_days,
            1,
            365,
        );
        if let Some(limit) = self.max_per_day_per_host {
            range("max_per_day_per_host", limit, 1, 48);
        }
        if let Some(score) = self.auto_approve_min_score {
            range("auto_approve_min_score", score, 0, 100);
        }
        if let Some(score) = self.min_lead_score {
            range("min_lead_score", score, 0, 100);
        }
        for (field, minutes) in [
            ("duration_minutes", self.duration_minutes),
            ("buffer_before_minutes", self.buffer_before_minutes),
            ("buffer_after_minutes", self.buffer_after_minutes),
            ("slot_step_minutes", self.slot_step_minutes),
        ] {
            if minutes % MINUTE_GRID != 0 {
                errors.add(
                    field,
                    format!("must be a multiple of {MINUTE_GRID} minutes"),
                );
            }
        }
        if self.host_ids.is_empty() {
            errors.add("host_ids", "needs at least one host");
        } else if self.host_ids.len() > MAX_HOSTS {
            errors.add("host_ids", format!("may list at most {MAX_HOSTS} hosts"));
        }
        let mut unique = self.host_ids.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != self.host_ids.len() {
            errors.add("host_ids", "lists a host twice");
        }
    }
}

/// Lower-case letters, digits and single dashes, 3 to 64 characters.
pub fn parse_slug(raw: &str) -> Result<String, String> {
    let slug = raw.trim();
    let shape_ok = (3..=64).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if shape_ok {
        Ok(slug.to_owned())
    } else {
        Err("must be 3–64 lower-case letters, digits and single dashes, like exec-briefing".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> MeetingTypeInput {
        MeetingTypeInput {
            slug: Some("exec-briefing".into()),
            name: Some("Executive briefing".into()),
            duration_minutes: Some(30),
            host_ids: Some(vec!["h1".into(), "h2".into()]),
            host_mode: Some("collective".into()),
            requires_approval: Some(true),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_fill_what_was_not_sent() {
        let settings = valid().parse_new().unwrap();
        assert_eq!(settings.min_notice_minutes, 240);
        assert_eq!(settings.slot_step_minutes, 15);
        assert_eq!(settings.buffer_before_minutes, 0);
        assert!(settings.active);
    }

    #[test]
    fn missing_required_fields_are_named() {
        let errors = MeetingTypeInput::default().parse_new().unwrap_err();
        let fields: Vec<&str> = errors.fields().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "duration_minutes",
                "host_ids",
                "host_mode",
                "name",
                "requires_approval",
                "slug"
            ]
        );
    }

    #[test]
    fn ranges_grid_and_hosts_are_checked() {
        let input = MeetingTypeInput {
            duration_minutes: Some(481),
            buffer_before_minutes: Some(-5),
            slot_step_minutes: Some(7),
            host_ids: Some(vec!["h1".into(), "h1".into()]),
            min_lead_score: Some(101),
            slug: Some("Bad Slug".into()),
            ..valid()
        };
        let errors = input.parse_new().unwrap_err();
        let fields: Vec<&str> = errors.fields().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "buffer_before_minutes",
                "duration_minutes",
                "host_ids",
                "min_lead_score",
                "slot_step_minutes",
                "slug"
            ]
        );
    }

    #[test]
    fn update_validates_the_whole_result() {
        let current = valid().parse_new().unwrap();
        let emptied = MeetingTypeInput {
            host_ids: Some(vec![]),
            ..Default::default()
        };
        assert!(emptied.apply_to(current.clone()).is_err());
        let renamed = MeetingTypeInput {
            name: Some("Deep dive".into()),
            ..Default::default()
        }
        .apply_to(current)
        .unwrap();
        assert_eq!(renamed.name, "Deep dive");
        assert_eq!(renamed.slug, "exec-briefing");
    }

    #[test]
    fn slugs() {
        assert!(parse_slug("intro-30").is_ok());
        for bad in [
            "ab",
            "-intro",
            "intro-",
            "in--tro",
            "Intro",
            "intro call",
            "intró",
        ] {
            assert!(parse_slug(bad).is_err(), "{bad}");
        }
    }
}
