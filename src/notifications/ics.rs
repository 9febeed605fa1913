//! iCalendar documents (RFC 5545) for iTIP invites and cancellations (RFC 5546), rendered
//! without I/O: the same meeting data always yields the same bytes.

use crate::values::is_bidi_control;
use chrono::{DateTime, Utc};
use icalendar::{Attendee, Calendar, Component, Event, EventLike, EventStatus, PartStat, Role};

/// PRODID of every calendar Convene sends.
pub const PRODID: &str = "-//Convene//Convene//EN";

/// RFC 5545 section 3.1: a content line is at most 75 octets, excluding the line break.
const MAX_LINE_OCTETS: usize = 75;

/// The iTIP method: it must match the `method` parameter of the MIME part that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcsMethod {
    /// A new meeting, or a full update of one (reschedule) with a higher SEQUENCE.
    Request,
    /// The whole meeting is cancelled.
    Cancel,
}

impl IcsMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            IcsMethod::Request => "REQUEST",
            IcsMethod::Cancel => "CANCEL",
        }
    }
}

/// STATUS of a meeting that is still on; a cancellation always says CANCELLED.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcsStatus {
    Confirmed,
    Tentative,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttendeeRole {
    /// The person running the meeting (usually the host).
    Chair,
    Required,
    Optional,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Display name; may be empty, in which case no CN is written.
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcsAttendee {
    pub name: String,
    pub email: String,
    pub role: AttendeeRole,
}

/// One meeting as the calendar document describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcsEvent {
    /// Stable for the meeting's whole life: clients match updates and cancellations on it.
    pub uid: String,
    /// Raised by one on every change (reschedule, cancel); clients ignore a lower one.
    pub sequence: u32,
    pub method: IcsMethod,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// When this version of the document was created (DTSTAMP).
    pub stamp: DateTime<Utc>,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    /// Should be the address the email is sent from, or clients hide Accept/Decline.
    pub organizer: Person,
    pub attendees: Vec<IcsAttendee>,
    /// Used for REQUEST only.
    pub status: IcsStatus,
    pub url: Option<String>,
}

/// Renders a complete VCALENDAR with one VEVENT, CRLF line ends and folded lines.
///
/// No VALARM is written: Convene sends its own reminder emails, and an alarm inside an
/// invite would add a second, client-specific reminder on top of them.
pub fn render(event: &IcsEvent) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("PRODID", PRODID))
        .append_property(("VERSION", "2.0"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", event.method.as_str()));
    calendar.push(build_event(event));
    refold(&calendar.to_string())
}

fn build_event(event: &IcsEvent) -> Event {
    let mut vevent = Event::new();
    // UID and DTSTAMP are always set here: the crate would otherwise invent a random UID
    // and stamp the current time, which would break both updates and reproducibility.
    vevent
        .uid(&single_line(&event.uid))
        .timestamp(event.stamp)
        .sequence(event.sequence)
        .starts(event.start)
        .ends(event.end)
        .summary(&text_value(&event.summary))
        .description(&text_value(&event.description))
        .status(match (event.method, event.status) {
            (IcsMethod::Cancel, _) => EventStatus::Cancelled,
            (IcsMethod::Request, IcsStatus::Confirmed) => EventStatus::Confirmed,
            (IcsMethod::Request, IcsStatus::Tentative) => EventStatus::Tentative,
        });
    if let Some(location) = &event.location {
        vevent.location(&text_value(location));
    }
    if let Some(url) = &event.url {
        vevent.url(&single_line(url));
    }

    let mut organizer = icalendar::Property::new("ORGANIZER", mailto(&event.organizer.email));
    let organizer_name = common_name(&event.organizer.name);
    if !organizer_name.is_empty() {
        organizer.add_parameter("CN", &organizer_name);
    }
    vevent.append_property(organizer);

    for attendee in &event.attendees {
        vevent.attendee(ics_attendee(attendee));
    }
    vevent.done()
}

fn ics_attendee(attendee: &IcsAttendee) -> Attendee {
    let role = match attendee.role {
        AttendeeRole::Chair => Role::Chair,
        AttendeeRole::Required => Role::ReqParticipant,
        AttendeeRole::Optional => Role::OptParticipant,
    };
    let built = Attendee::new(mailto(&attendee.email))
        .role(role)
        .partstat(PartStat::NeedsAction)
        .rsvp(true);
    let name = common_name(&attendee.name);
    if name.is_empty() {
        built
    } else {
        built.cn(name)
    }
}

fn mailto(email: &str) -> String {
    format!("mailto:{}", single_line(email.trim()))
}

/// TEXT values may hold line breaks (escaped as `\n` by the crate), but a raw CR would pass
/// through unescaped and end the content line early. Bidirectional controls are dropped so a
/// calendar shows what was written, not a reordered version of it.
fn text_value(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| (!c.is_control() || matches!(c, '\n' | '\t')) && !is_bidi_control(c))
        .collect()
}

/// For values that RFC 5545 does not escape (URIs, addresses): a control character there
/// would corrupt the document.
fn single_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A CN parameter value cannot escape anything: a DQUOTE would end the quoted string and a
/// control character the line, so quotes become apostrophes and line breaks spaces.
fn common_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|&c| !is_bidi_control(c))
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The crate folds with its own rules (which have changed between releases); the output is
/// unfolded and folded again so the guarantees here do not depend on the crate's version.
fn refold(document: &str) -> String {
    let unfolded = document.replace("\r\n ", "").replace("\r\n\t", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 24);
    for line in unfolded.split("\r\n").filter(|line| !line.is_empty()) {
        fold_line(line, &mut out);
    }
    out
}

/// Appends `line` folded at 75 octets, never inside a UTF-8 character.
fn fold_line(line: &str, out: &mut String) {
    let mut rest = line;
    // The continuation marker (one space) counts toward a physical line's 75 octets.
    let mut budget = MAX_LINE_OCTETS;
    while rest.len() > budget {
        let cut = fold_point(rest, budget);
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        budget = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

/// The last character boundary within `budget` octets, preferring one with no space or tab
/// on either side: lenient unfolders (and some mail gateways) trim whitespace at line ends
/// and starts, which would silently change the text.
fn fold_point(rest: &str, budget: usize) -> usize {
    let mut hard = 0;
    let mut soft = None;
    let mut previous: Option<char> = None;
    for (index, c) in rest.char_indices() {
        if index > budget {
            break;
        }
        if index > 0 {
            hard = index;
            if !is_wsp(c) && !previous.is_some_and(is_wsp) {
                soft = Some(index);
            }
        }
        previous = Some(c);
    }
    // A soft point far back would waste most of the line; long runs of spaces are rare.
    soft.filter(|&index| index > budget / 2).unwrap_or(hard)
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use ical::parser::ical::component::{IcalCalendar, IcalEvent};
    use ical::property::Property;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 10, hour, minute, 0)
            .single()
            .expect("valid test time")
    }

    fn meeting() -> IcsEvent {
        IcsEvent {
            uid: "mtg-7f3c2a@convene.example".into(),
            sequence: 0,
            method: IcsMethod::Request,
            start: at(14, 0),
            end: at(14, 30),
            stamp: at(9, 15),
            summary: "Intro: Acme × Convene".into(),
            description: "Agenda: pricing, rollout.\nManage: https://convene.example/m/abc".into(),
            location: Some("Room 4; HQ, Berlin".into()),
            organizer: Person {
                name: "Convene Meetings".into(),
                email: "meetings@convene.example".into(),
            },
            attendees: vec![
                IcsAttendee {
                    name: "Erin Exec".into(),
                    email: "erin@convene.example".into(),
                    role: AttendeeRole::Chair,
                },
                IcsAttendee {
                    name: "Pat Prospect".into(),
                    email: "pat@acme.example".into(),
                    role: AttendeeRole::Required,
                },
                IcsAttendee {
                    name: String::new(),
                    email: "cc@acme.example".into(),
                    role: AttendeeRole::Optional,
                },
            ],
            status: IcsStatus::Confirmed,
            url: Some("https://convene.example/m/abc".into()),
        }
    }

    fn parse(document: &str) -> IcalCalendar {
        let mut parser = ical::IcalParser::new(document.as_bytes());
        let calendar = parser
            .next()
            .expect("one calendar")
            .expect("parses as iCalendar");
        assert!(parser.next().is_none(), "exactly one calendar");
        calendar
    }

    fn only_event(calendar: &IcalCalendar) -> &IcalEvent {
        assert_eq!(calendar.events.len(), 1);
        &calendar.events[0]
    }

    fn props<'a>(properties: &'a [Property], name: &str) -> Vec<&'a Property> {
        properties.iter().filter(|p| p.name == name).collect()
    }

    fn value<'a>(properties: &'a [Property], name: &str) -> &'a str {
        let found = props(properties, name);
        assert_eq!(found.len(), 1, "exactly one {name}");
        found[0].value.as_deref().unwrap_or("")
    }

    fn param<'a>(property: &'a Property, key: &str) -> Option<&'a str> {
        let params = property.params.as_ref()?;
        let (_, values) = params.iter().find(|(k, _)| k == key)?;
        assert_eq!(values.len(), 1, "{key} has one value");
        Some(values[0].as_str())
    }

    /// RFC 5545 unfolding: remove every CRLF followed by exactly one space or tab.
    fn unfold_strictly(document: &str) -> String {
        document.replace("\r\n ", "").replace("\r\n\t", "")
    }

    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(escaped @ ('\\' | ';' | ',')) => out.push(escaped),
                other => panic!("invalid escape \\{other:?}"),
            }
        }
        out
    }

    fn assert_well_formed(document: &str) {
        assert!(document.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(document.ends_with("END:VCALENDAR\r\n"));
        let body = document.trim_end_matches("\r\n");
        for line in body.split("\r\n") {
            assert!(
                !line.contains('\r') && !line.contains('\n'),
                "bare CR/LF: {line:?}"
            );
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
            assert!(!line.is_empty(), "empty content line");
        }
    }

    #[test]
    fn request_parses_back_with_every_itip_property() {
        let event = meeting();
        let document = render(&event);
        assert_well_formed(&document);

        let calendar = parse(&document);
        assert_eq!(value(&calendar.properties, "PRODID"), PRODID);
        assert_eq!(value(&calendar.properties, "VERSION"), "2.0");
        assert_eq!(value(&calendar.properties, "METHOD"), "REQUEST");

        let vevent = only_event(&calendar);
        let p = &vevent.properties;
        assert_eq!(value(p, "UID"), "mtg-7f3c2a@convene.example");
        assert_eq!(value(p, "SEQUENCE"), "0");
        assert_eq!(value(p, "DTSTAMP"), "20250310T091500Z");
        assert_eq!(value(p, "DTSTART"), "20250310T140000Z");
        assert_eq!(value(p, "DTEND"), "20250310T143000Z");
        assert!(
            props(p, "DTSTART")[0].params.is_none(),
            "UTC times take no TZID"
        );
        assert_eq!(value(p, "STATUS"), "CONFIRMED");
        assert_eq!(unescape(value(p, "SUMMARY")), event.summary);
        assert_eq!(unescape(value(p, "DESCRIPTION")), event.description);
        assert_eq!(value(p, "LOCATION"), r"Room 4\; HQ\, Berlin");
        assert_eq!(value(p, "URL"), "https://convene.example/m/abc");
        assert!(vevent.alarms.is_empty());

        let organizer = props(p, "ORGANIZER")[0];
        assert_eq!(
            organizer.value.as_deref(),
            Some("mailto:meetings@convene.example")
        );
        assert_eq!(param(organizer, "CN"), Some("Convene Meetings"));

        let attendees = props(p, "ATTENDEE");
        let expected = [
            ("mailto:erin@convene.example", "CHAIR", Some("Erin Exec")),
            (
                "mailto:pat@acme.example",
                "REQ-PARTICIPANT",
                Some("Pat Prospect"),
            ),
            ("mailto:cc@acme.example", "OPT-PARTICIPANT", None),
        ];
        assert_eq!(attendees.len(), expected.len());
        for (attendee, (address, role, cn)) in attendees.iter().zip(expected) {
            assert_eq!(attendee.value.as_deref(), Some(address));
            assert_eq!(param(attendee, "ROLE"), Some(role));
            assert_eq!(param(attendee, "PARTSTAT"), Some("NEEDS-ACTION"));
            assert_eq!(param(attendee, "RSVP"), Some("TRUE"));
            assert_eq!(param(attendee, "CN"), cn);
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(render(&meeting()), render(&meeting()));
    }

    #[test]
    fn hostile_names_stay_inside_their_parameter() {
        let hostile = "O'Brien, \"Bobby\"; VP: Sales\r\nBEGIN:VALARM 🚀\u{7}";
        let mut event = meeting();
        event.organizer.name = hostile.into();
        event.attendees[1].name = hostile.into();
        event.summary = hostile.into();
        let document = render(&event);
        assert_well_formed(&document);

        let unfolded = unfold_strictly(&document);
        assert!(
            !unfolded.contains("\r\nBEGIN:VALARM"),
            "a name must not start a new content line"
        );

        let calendar = parse(&document);
        let vevent = only_event(&calendar);
        let cleaned = "O'Brien, 'Bobby'; VP: Sales BEGIN:VALARM 🚀";
        let organizer = props(&vevent.properties, "ORGANIZER")[0];
        assert_eq!(param(organizer, "CN"), Some(cleaned));
        assert_eq!(
            organizer.value.as_deref(),
            Some("mailto:meetings@convene.example")
        );
        let prospect = props(&vevent.properties, "ATTENDEE")[1];
        assert_eq!(param(prospect, "CN"), Some(cleaned));
        assert_eq!(param(prospect, "ROLE"), Some("REQ-PARTICIPANT"));
        assert_eq!(prospect.value.as_deref(), Some("mailto:pat@acme.example"));
        assert!(unfolded.contains(&format!("CN=\"{cleaned}\"")));

        assert_eq!(
            unescape(value(&vevent.properties, "SUMMARY")),
            "O'Brien, \"Bobby\"; VP: Sales\nBEGIN:VALARM 🚀"
        );
        assert!(vevent.alarms.is_empty());
    }

    #[test]
    fn simple_names_are_not_quoted() {
        let document = unfold_strictly(&render(&meeting()));
        assert!(document.contains("CN=Erin Exec;"));
        assert!(document.contains("ORGANIZER;CN=Convene Meetings:mailto:"));
    }

    #[test]
    fn long_emoji_description_folds_within_75_octets_and_unfolds_exactly() {
        let pieces = [
            "Hello 👋🏽, ",
            "naïve café; ",
            "🧑‍💻 demo\n",
            "日本語のテキスト ",
            "🎉🎉🎉",
            "a\\b ",
        ];
        let description: String = pieces
            .iter()
            .cycle()
            .flat_map(|piece| piece.chars())
            .take(300)
            .collect::<String>()
            .trim_end()
            .to_string();
        assert!(description.chars().count() >= 295);

        let mut event = meeting();
        event.description = description.clone();
        let document = render(&event);
        assert_well_formed(&document);
        assert!(
            document.lines().filter(|l| l.starts_with(' ')).count() > 5,
            "the description must actually fold"
        );

        let raw_line = unfold_strictly(&document)
            .split("\r\n")
            .find_map(|line| line.strip_prefix("DESCRIPTION:").map(str::to_owned))
            .expect("a DESCRIPTION line");
        assert_eq!(unescape(&raw_line), description);

        let calendar = parse(&document);
        let parsed = value(&only_event(&calendar).properties, "DESCRIPTION");
        assert_eq!(unescape(parsed), description);
    }

    #[test]
    fn cancel_keeps_uid_and_callers_sequence_and_says_cancelled() {
        let mut event = meeting();
        event.method = IcsMethod::Cancel;
        event.sequence = 3;
        event.status = IcsStatus::Tentative;
        let document = render(&event);
        assert_well_formed(&document);
        assert!(!document.contains("VALARM"));

        let calendar = parse(&document);
        assert_eq!(value(&calendar.properties, "METHOD"), "CANCEL");
        let vevent = only_event(&calendar);
        assert_eq!(
            value(&vevent.properties, "UID"),
            "mtg-7f3c2a@convene.example"
        );
        assert_eq!(value(&vevent.properties, "SEQUENCE"), "3");
        assert_eq!(value(&vevent.properties, "STATUS"), "CANCELLED");
        assert!(vevent.alarms.is_empty());
    }

    #[test]
    fn reschedule_is_a_request_with_the_same_uid() {
        let mut event = meeting();
        event.sequence = 1;
        event.start = at(15, 0);
        event.end = at(15, 45);
        event.status = IcsStatus::Tentative;
        let calendar = parse(&render(&event));
        assert_eq!(value(&calendar.properties, "METHOD"), "REQUEST");
        let p = &only_event(&calendar).properties;
        assert_eq!(value(p, "UID"), "mtg-7f3c2a@convene.example");
        assert_eq!(value(p, "SEQUENCE"), "1");
        assert_eq!(value(p, "DTSTART"), "20250310T150000Z");
        assert_eq!(value(p, "DTEND"), "20250310T154500Z");
        assert_eq!(value(p, "STATUS"), "TENTATIVE");
    }

    #[test]
    fn carriage_returns_in_text_become_escaped_newlines() {
        let mut event = meeting();
        event.description = "one\r\ntwo\rthree\nfour".into();
        let document = render(&event);
        assert_well_formed(&document);
        assert!(unfold_strictly(&document).contains(r"DESCRIPTION:one\ntwo\nthree\nfour"));
    }

    #[test]
    fn optional_properties_are_left_out_when_absent() {
        let mut event = meeting();
        event.location = None;
        event.url = None;
        let document = render(&event);
        assert!(!document.contains("\r\nLOCATION"));
        assert!(!document.contains("\r\nURL"));
    }

    #[test]
    fn folding_never_splits_a_character_at_any_offset() {
        for prefix in 0..80 {
            for filler in ["🎉", "é", "日", "x y"] {
                let line = format!("{}{}", "p".repeat(prefix), filler.repeat(60));
                let mut out = String::new();
                fold_line(&line, &mut out);
                assert!(out.ends_with("\r\n"));
                for physical in out.trim_end_matches("\r\n").split("\r\n") {
                    assert!(physical.len() <= 75, "{physical:?}");
                }
                assert_eq!(unfold_strictly(&out).trim_end_matches("\r\n"), line);
            }
        }
    }

    #[test]
    fn folding_avoids_whitespace_at_the_fold_but_still_folds_runs_of_spaces() {
        let words = "lorem ipsum dolor sit amet ".repeat(10);
        let mut out = String::new();
        fold_line(&words, &mut out);
        let physical: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(physical.len() > 1);
        for (before, after) in physical.iter().zip(&physical[1..]) {
            assert!(!before.ends_with(' '), "{before:?}");
            assert!(!after[1..].starts_with(' '), "{after:?}");
        }

        let spaces = format!("X:{}", " ".repeat(200));
        let mut out = String::new();
        fold_line(&spaces, &mut out);
        assert_eq!(unfold_strictly(&out).trim_end_matches("\r\n"), spaces);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Any text in every text property and name: the document stays well formed (folded
        /// CRLF lines of at most 75 octets), parses back as one event with every attendee, and
        /// the summary reads back as written, less the characters a calendar cannot show.
        #[test]
        fn any_text_leaves_the_calendar_well_formed(
            text in "(\\PC|[\n\r\t\x00\x1b\";,\\\\\u{202E}\u{2028} ]){0,120}",
        ) {
            let mut event = meeting();
            event.summary = text.clone();
            event.description = text.repeat(3);
            event.location = Some(text.clone());
            event.organizer.name = text.clone();
            for attendee in &mut event.attendees {
                attendee.name = text.clone();
            }
            let document = render(&event);
            assert_well_formed(&document);
            let calendar = parse(&document);
            let parsed = only_event(&calendar);
            proptest::prop_assert_eq!(props(&parsed.properties, "ATTENDEE").len(), 3);
            // Read from the document itself: the parser used above mistakes a value that
            // starts with `:` for part of the property's name.
            let unfolded = unfold_strictly(&document);
            let summary = unfolded
                .split("\r\n")
                .find_map(|line| line.strip_prefix("SUMMARY:"))
                .unwrap_or_default();
            proptest::prop_assert_eq!(unescape(summary), text_value(&text));
        }
    }
}
