//! The API's value types as the OpenAPI document describes them: what the parsers in
//! `crate::values` accept (one-line and multi-line text, email shapes, IANA zones,
//! ids, RFC 3339 times), said in JSON Schema. Request fields name these with
//! `#[schema(value_type = …)]`.

use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Object, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::KnownFormat;

/// One line: no control character (line breaks and tabs included), no line or paragraph
/// separator, no bidirectional embedding, override or isolate.
const ONE_LINE: &str = r"^[^\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]*$";
/// The same, with at least one character that is not white space.
const SOME_ONE_LINE: &str = r"^[^\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]*[^\s\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069][^\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]*$";
/// Several lines: line breaks (LF, CR, NEL, U+2028, U+2029) and tabs, but no other control
/// character and no bidirectional control.
const LINES: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\u202A-\u202E\u2066-\u2069]*$";

fn text(max_chars: usize, pattern: &str, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(max_chars))
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

/// Declares a schema-only type: `$name` stands in the OpenAPI document for the value
/// `$schema` describes. Domain modules use it for their enums' names.
macro_rules! value_schema {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                utoipa::openapi::RefOr::T(utoipa::openapi::Schema::from($schema))
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}
pub(crate) use value_schema;

value_schema!(
    /// A required name: up to 200 characters, not blank.
    Name => text(200, SOME_ONE_LINE, "Up to 200 characters on one line, not blank; no control or bidirectional control characters")
);
value_schema!(
    /// An optional line of text up to 200 characters; blank clears it.
    ShortText => text(200, ONE_LINE, "Up to 200 characters on one line, no control or bidirectional control characters; blank means none")
);
value_schema!(
    /// A caller's own id for a record: one line up to 128 characters.
    ExternalId => text(128, ONE_LINE, "Up to 128 characters on one line, no control or bidirectional control characters; blank means none")
);
value_schema!(
    /// An optional text up to 500 characters; blank clears it.
    MediumText => text(500, ONE_LINE, "Up to 500 characters on one line, no control or bidirectional control characters; blank means none")
);
value_schema!(
    /// An optional note up to 2000 characters.
    Note => text(2000, LINES, "Up to 2000 characters; line breaks and tabs, but no other control or bidirectional control characters; blank means none")
);
value_schema!(
    /// An optional long note up to 4000 characters.
    LongNote => text(4000, LINES, "Up to 4000 characters; line breaks and tabs, but no other control or bidirectional control characters; blank means none")
);
value_schema!(
    /// A web page's address, as a referrer or landing page (see `crate::values::page_url`).
    PageUrl => text(
        crate::values::MAX_URL_CHARS,
        r"^\s*(https?://[^\s\uFEFF\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]+)?\s*$",
        "An http:// or https:// address up to 2000 characters, without white space or control characters; blank means none",
    )
);
value_schema!(
    /// An email address.
    EmailAddress => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(crate::values::Email::MAX_LEN))
        .examples([serde_json::json!("ada@example.com")])
        .build()
);
value_schema!(
    /// An IANA time-zone name.
    IanaTimeZone => ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name())))
        .examples([serde_json::json!("Europe/Berlin")])
        .build()
);
value_schema!(
    /// An id Convene handed out.
    Id => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".into())))
        .build()
);
value_schema!(
    /// An instant, RFC 3339 with an offset.
    Instant => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .examples([serde_json::json!("2026-12-31T17:00:00+01:00")])
        .build()
);

/// One day's hours: `[start, end]` pairs on five-minute marks, `24:00` ending a day.
fn day_hours() -> ArrayBuilder {
    let clock = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^(([01][0-9]|2[0-3]):[0-5][05]|24:00)$"));
    let pair = ArrayBuilder::new()
        .items(clock)
        .min_items(Some(2))
        .max_items(Some(2));
    ArrayBuilder::new().items(pair)
}

value_schema!(
    /// Working hours in the user's zone by weekday, and by date (`YYYY-MM-DD`) for exceptions.
    WorkingHours => {
        let mut hours = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .description(Some(
                "Each day a list of [start, end] pairs (HH:MM on five-minute marks, in order, \
                 not overlapping); `dates` overrides single days",
            ))
            .examples([serde_json::json!({"mon": [["09:00", "12:00"], ["13:00", "17:00"]]})]);
        for (day, _) in crate::scheduling::working_hours::DAY_KEYS {
            hours = hours.property(day, day_hours());
        }
        let dates = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
            ))
            .additional_properties(Some(day_hours()))
            .max_properties(Some(1000));
        hours.property("dates", dates).build()
    }
);

pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

value_schema!(
    /// `collective` (every host) or `round_robin` (any one host).
    HostModeName => one_of(["collective", "round_robin"])
);
value_schema!(
    /// What happened at a meeting.
    OutcomeStatusName => one_of(["held", "no_show"])
);

/// A filter's choices; blank means no filter.
pub fn filter_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    one_of(std::iter::once("").chain(values))
}

value_schema!(
    /// A meeting status to filter by.
    MeetingStatusName => filter_of(["held", "scheduled", "cancelled", "completed", "no_show"])
);
value_schema!(
    /// A report's answer format.
    ReportFormat => filter_of(["json", "csv"])
);
fn blank() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([""]))
}

value_schema!(
    /// An id to filter by; blank means no filter.
    IdFilter => utoipa::openapi::schema::OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::Custom("uuid".into()))),
        )
        .item(blank())
        .build()
);
value_schema!(
    /// A day (`YYYY-MM-DD`, UTC) or an instant (RFC 3339); blank means the default.
    DayOrInstant => utoipa::openapi::schema::OneOfBuilder::new()
        .item(blank())
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .build()
);
value_schema!(
    /// A local day, `YYYY-MM-DD`.
    Day => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .build()
);
