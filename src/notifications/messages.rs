//! What each workflow event tells whom: the emails (and their iTIP documents) for one meeting
//! or request, composed without I/O from the records the transaction already holds. Every
//! recipient gets their own email, with times in their own zone; the prospect's is in the
//! language they booked in, staff's in English.

use askama::Template;
use chrono::{DateTime, Duration, Utc};

use crate::auth::link_keys::{LinkKey, LinkPurpose};
use crate::config::BrandSettings;
use crate::i18n::{Language, Texts};
use crate::leads::model::Lead;
use crate::meetings::Managed;
use crate::notifications::ics::{IcsMethod, Person};
use crate::notifications::outbox::{EmailKind, NewEmail};
use crate::users::model::User;
use crate::values::TimeZone;
use crate::workflow::queue::QueueItem;

/// Everything composing needs besides the records.
#[derive(Debug, Clone)]
pub struct Composer {
    pub public_base: String,
    /// The sender and ORGANIZER of every invite, so the recipient (never the organizer) is
    /// offered Accept and Decline.
    pub organizer: Person,
    pub brand: BrandSettings,
    pub link_key: LinkKey,
    pub reminder_offsets_minutes: Vec<u32>,
    /// How long an approval email's approve/reject link works.
    pub decision_link_hours: u32,
    /// Managers get digests of the queue instead of an email per request.
    pub approval_digest: bool,
}

/// A change to a meeting that people must hear about.
#[derive(Debug, Clone)]
pub enum MeetingNotice {
    /// Now on: invitations and reminders.
    Scheduled,
    /// Moved: new invitations (same UID, higher SEQUENCE) and reminders at the new time.
    Rescheduled { previous_start: DateTime<Utc> },
    /// Called off; hosts hear of it only if they had been invited.
    Cancelled {
        was_scheduled: bool,
        reason: Option<String>,
    },
    /// Booked on a link and waiting for a meeting manager: the prospect is told it arrived.
    AwaitingApproval,
    /// Declined by a meeting manager; only the prospect hears of it.
    Rejected { reason: String },
}

struct Recipient {
    name: String,
    email: String,
    zone: TimeZone,
    is_prospect: bool,
    texts: Texts,
}

impl Recipient {
    /// A meeting's time as this recipient reads it: the prospect in their language, staff in
    /// the language-neutral form.
    fn when(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
        if self.is_prospect {
            self.texts.format_meeting_time(self.zone, start, end)
        } else {
            when_in(self.zone, start, end)
        }
    }
}

/// The data every email template reads.
pub struct MailView {
    /// The recipient's language.
    pub t: Texts,
    pub brand_name: String,
    pub logo_url: String,
    pub color: String,
    pub recipient_name: String,
    pub meeting_name: String,
    pub when: String,
    pub previous_when: String,
    pub duration_minutes: i32,
    pub location: String,
    pub with_names: String,
    pub manage_url: String,
    pub context: Vec<String>,
    pub reason: String,
    pub action_url: String,
    /// The request in the admin UI, for managers.
    pub queue_url: String,
    /// A second notice about the same thing (the outcome request reminder).
    pub reminder: bool,
    pub reminder_lead: String,
}

/// Declares each kind's three templates (`templates/email/<kind>/`) and `render`, which picks
/// them by kind.
macro_rules! mail_templates {
    ($($kind:ident => $module:ident: $subject:literal, $text:literal, $html:literal;)*) => {
        $(
            mod $module {
                use askama::Template;

                #[derive(Template)]
                #[template(path = $subject)]
                pub struct Subject<'a> {
                    pub m: &'a super::MailView,
                }

                #[derive(Template)]
                #[template(path = $text)]
                pub struct Text<'a> {
                    pub m: &'a super::MailView,
                }

                #[derive(Template)]
                #[template(path = $html)]
                pub struct Html<'a> {
                    pub m: &'a super::MailView,
                }
            }
        )*

        /// Subject, plain text and HTML of `kind` for `m`.
        fn render(kind: EmailKind, m: &MailView) -> Result<(String, String, String), askama::Error> {
            let (subject, text, html) = match kind {
                $(EmailKind::$kind => (
                    $module::Subject { m }.render()?,
                    $module::Text { m }.render()?,
                    $module::Html { m }.render()?,
                ),)*
            };
            Ok((subject_line(&subject), text, html))
        }
    };
}

mail_templates! {
    Invite => invite: "email/invite/subject.txt", "email/invite/body.txt", "email/invite/body.html";
    Update => update: "email/update/subject.txt", "email/update/body.txt", "email/update/body.html";
    Cancel => cancel: "email/cancel/subject.txt", "email/cancel/body.txt", "email/cancel/body.html";
    Reminder => reminder: "email/reminder/subject.txt", "email/reminder/body.txt", "email/reminder/body.html";
    Confirmation => confirmation: "email/confirmation/subject.txt", "email/confirmation/body.txt", "email/confirmation/body.html";
    ApprovalRequest => approval_request: "email/approval_request/subject.txt", "email/approval_request/body.txt", "email/approval_request/body.html";
    ApprovalDigest => approval_digest: "email/approval_digest/subject.txt", "email/approval_digest/body.txt", "email/approval_digest/body.html";
    Rejection => rejection: "email/rejection/subject.txt", "email/rejection/body.txt", "email/rejection/body.html";
    Escalation => escalation: "email/escalation/subject.txt", "email/escalation/body.txt", "email/escalation/body.html";
    OutcomeRequest => outcome_request: "email/outcome_request/subject.txt", "email/outcome_request/body.txt", "email/outcome_request/body.html";
    Survey => survey: "email/survey/subject.txt", "email/survey/body.txt", "email/survey/body.html";
    CalendarUnreadable => calendar_unreadable: "email/calendar_unreadable/subject.txt", "email/calendar_unreadable/body.txt", "email/calendar_unreadable/body.html";
    CalendarReconnect => calendar_reconnect: "email/calendar_reconnect/subject.txt", "email/calendar_reconnect/body.txt", "email/calendar_reconnect/body.html";
    WebhookDisabled => webhook_disabled: "email/webhook_disabled/subject.txt", "email/webhook_disabled/body.txt", "email/webhook_disabled/body.html";
    RoutingFollowUp => routing_follow_up: "email/routing_follow_up/subject.txt", "email/routing_follow_up/body.txt", "email/routing_follow_up/body.html";
    UserInvitation => user_invitation: "email/user_invitation/subject.txt", "email/user_invitation/body.txt", "email/user_invitation/body.html";
    PasswordReset => password_reset: "email/password_reset/subject.txt", "email/password_reset/body.txt", "email/password_reset/body.html";
    BookingLink => booking_link: "email/booking_link/subject.txt", "email/booking_link/body.txt", "email/booking_link/body.html";
}

/// A lead an email goes to before any meeting, and the language they read.
#[derive(Clone, Copy)]
pub struct Addressee<'a> {
    pub lead: &'a Lead,
    pub language: Language,
}

/// Something wrong with `host`'s calendar connection: `reason` says what, `incident` keeps
/// notices about one incident from repeating.
#[derive(Clone, Copy)]
pub struct CalendarNotice<'a> {
    pub kind: EmailKind,
    pub host: &'a User,
    pub calendar: &'a str,
    pub reason: &'a str,
    pub incident: &'a str,
}

/// A subject is one header line: line breaks from names or templates would end it early, and
/// the templates' own line breaks and indentation become single spaces.
fn subject_line(subject: &str) -> String {
    crate::values::one_line(subject)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Tue 2026-12-08, 14:00–14:30 Europe/Berlin (UTC+01:00)`: dates and a 24-hour clock read
/// the same in every language, and the zone's name and offset remove any doubt.
pub fn when_in(zone: TimeZone, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let local_start = start.with_timezone(&zone.tz());
    let local_end = end.with_timezone(&zone.tz());
    let end_text = if local_end.date_naive() == local_start.date_naive() {
        local_end.format("%H:%M").to_string()
    } else {
        local_end.format("%a %Y-%m-%d %H:%M").to_string()
    };
    format!(
        "{}–{end_text} {} (UTC{})",
        local_start.format("%a %Y-%m-%d, %H:%M"),
        zone.name(),
        local_start.format("%:z")
    )
}

fn reminder_lead(t: Texts, minutes: u32) -> String {
    if minutes % 60 == 0 {
        t.get_with("email-hours", &[("hours", &(minutes / 60).to_string())])
    } else {
        t.get_with("email-minutes-lead", &[("minutes", &minutes.to_string())])
    }
}

impl Composer {
    pub fn manage_url(&self, meeting_id: &str) -> String {
        format!(
            "{}/m/{}",
            self.public_base,
            self.link_key.token(LinkPurpose::ManageMeeting, meeting_id)
        )
    }

    fn blank_view(&self, recipient_name: &str) -> MailView {
        MailView {
            t: Texts::english(),
            brand_name: self.brand.company_name.clone(),
            logo_url: self.brand.logo_url.clone(),
            color: self.brand.primary_color.clone(),
            recipient_name: recipient_name.to_owned(),
            meeting_name: String::new(),
            when: String::new(),
            previous_when: String::new(),
            duration_minutes: 0,
            location: String::new(),
            with_names: String::new(),
            manage_url: String::new(),
            context: Vec::new(),
            reason: String::new(),
            action_url: String::new(),
            queue_url: String::new(),
            reminder: false,
            reminder_lead: String::new(),
        }
    }

    fn recipients(managed: &Managed) -> Vec<Recipient> {
        let mut recipients = vec![Recipient {
            name: managed.lead.name.clone(),
            email: managed.lead.email.clone(),
            zone: managed.zone(),
            is_prospect: true,
            texts: Texts::new(managed.request.prospect_language),
        }];
        recipients.extend(managed.hosts.iter().map(Self::staff));
        recipients
    }

    fn staff(user: &User) -> Recipient {
        Recipient {
            name: user.name.clone(),
            email: user.email.clone(),
            zone: user.timezone,
            is_prospect: false,
            texts: Texts::english(),
        }
    }

    /// What hosts should know before meeting the prospect.
    pub fn lead_context(lead: &Lead, notes: Option<&str>) -> Vec<String> {
        let mut lines = vec![format!("Prospect: {} <{}>", lead.name, lead.email)];
        if let Some(title) = &lead.title {
            lines.push(format!("Title: {title}"));
        }
        if let Some(company) = &lead.company {
            lines.push(format!("Company: {company}"));
        }
        lines.push(format!(
            "Score: {} ({}, stage {})",
            lead.score,
            lead.temperature.as_str(),
            lead.stage.as_str()
        ));
        let yes_no = |confirmed: bool| if confirmed { "yes" } else { "no" };
        lines.push(format!(
            "BANT: budget {}, authority {}, need {}, timing {}",
            yes_no(lead.bant.budget),
            yes_no(lead.bant.authority),
            yes_no(lead.bant.need),
            lead.bant.timing.as_str().replace('_', " ")
        ));
        if let Some(campaign) = &lead.campaign {
            lines.push(format!("Campaign: {campaign}"));
        }
        if let Some(notes) = notes {
            lines.push(format!("Notes: {notes}"));
        }
        lines
    }

    fn meeting_view(&self, managed: &Managed, recipient: &Recipient) -> MailView {
        let mut view = self.blank_view(&recipient.name);
        view.t = recipient.texts;
        view.meeting_name = managed.meeting_type.name.clone();
        view.when = recipient.when(managed.start(), managed.end());
        view.duration_minutes = managed.meeting_type.duration_minutes;
        view.location = managed.meeting.location.clone().unwrap_or_default();
        view.with_names = Self::recipients(managed)
            .iter()
            .filter(|other| other.email != recipient.email)
            .map(|other| other.name.clone())
            .collect::<Vec<_>>()
            .join(", ");
        if recipient.is_prospect {
            view.manage_url = self.manage_url(&managed.meeting.id);
            if recipient.texts.language() != crate::i18n::Language::english() {
                // The manage page then speaks the language the emails do.
                view.manage_url = format!("{}?lang={}", view.manage_url, recipient.texts.lang());
            }
        } else {
            view.context = Self::lead_context(&managed.lead, managed.request.notes.as_deref());
        }
        view
    }

    /// The iTIP document for one recipient: the prospect's carries their manage link, the
    /// hosts' the sales context instead.
    fn calendar(
        &self,
        managed: &Managed,
        recipient: &Recipient,
        view: &MailView,
        now: DateTime<Utc>,
    ) -> (IcsMethod, String) {
        let (description, url) = if recipient.is_prospect {
            (
                view.t.get_with(
                    "ics-prospect-description",
                    &[
                        ("meeting", &managed.meeting_type.name),
                        ("with", &view.with_names),
                        ("url", &view.manage_url),
                    ],
                ),
                Some(view.manage_url.clone()),
            )
        } else {
            (view.context.join("\n"), None)
        };
        let document = managed.ics(self.organizer.clone(), description, url, now);
        let method = if managed.meeting.status == "cancelled" {
            IcsMethod::Cancel
        } else {
            IcsMethod::Request
        };
        (method, document)
    }

    fn email(
        &self,
        kind: EmailKind,
        dedupe_key: String,
        managed: &Managed,
        recipient: &Recipient,
        view: &MailView,
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let (subject, body_text, body_html) = render(kind, view)?;
        Ok(NewEmail {
            kind,
            dedupe_key,
            meeting_id: Some(managed.meeting.id.clone()),
            meeting_request_id: Some(managed.request.id.clone()),
            recipient_email: recipient.email.clone(),
            recipient_name: recipient.name.clone(),
            subject,
            body_text,
            body_html,
            calendar: None,
            send_after: now,
            not_after: None,
        })
    }

    /// The prospect's calendar file, as the manage page offers it for download.
    pub fn prospect_calendar(&self, managed: &Managed, now: DateTime<Utc>) -> String {
        let prospect = Self::recipients(managed).swap_remove(0);
        let view = self.meeting_view(managed, &prospect);
        self.calendar(managed, &prospect, &view, now).1
    }

    /// The emails `notice` sends about `managed` (as it is after the change).
    pub fn meeting_notices(
        &self,
        managed: &Managed,
        notice: &MeetingNotice,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewEmail>, askama::Error> {
        let meeting_id = &managed.meeting.id;
        let sequence = managed.meeting.sequence;
        let mut out = Vec::new();
        for recipient in Self::recipients(managed) {
            let mut view = self.meeting_view(managed, &recipient);
            let key =
                |kind: EmailKind| format!("{kind}:{meeting_id}:{sequence}:{}", recipient.email);
            match notice {
                MeetingNotice::Scheduled | MeetingNotice::Rescheduled { .. } => {
                    let kind = match notice {
                        MeetingNotice::Rescheduled { previous_start } => {
                            let previous_end = *previous_start
                                + Duration::minutes(i64::from(
                                    managed.meeting_type.duration_minutes,
                                ));
                            view.previous_when = recipient.when(*previous_start, previous_end);
                            EmailKind::Update
                        }
                        _ => EmailKind::Invite,
                    };
                    let mut email = self.email(kind, key(kind), managed, &recipient, &view, now)?;
                    email.calendar = Some(self.calendar(managed, &recipient, &view, now));
                    out.push(email);
                    out.extend(self.reminders(managed, &recipient, now)?);
                }
                MeetingNotice::Cancelled {
                    was_scheduled,
                    reason,
                } => {
                    if !recipient.is_prospect && !was_scheduled {
                        continue;
                    }
                    view.reason = reason.clone().unwrap_or_default();
                    let kind = EmailKind::Cancel;
                    let mut email = self.email(kind, key(kind), managed, &recipient, &view, now)?;
                    email.calendar = Some(self.calendar(managed, &recipient, &view, now));
                    out.push(email);
                }
                MeetingNotice::AwaitingApproval if recipient.is_prospect => {
                    let kind = EmailKind::Confirmation;
                    out.push(self.email(kind, key(kind), managed, &recipient, &view, now)?);
                }
                MeetingNotice::Rejected { reason } if recipient.is_prospect => {
                    view.reason = reason.clone();
                    let kind = EmailKind::Rejection;
                    out.push(self.email(kind, key(kind), managed, &recipient, &view, now)?);
                }
                MeetingNotice::AwaitingApproval | MeetingNotice::Rejected { .. } => {}
            }
        }
        Ok(out)
    }

    /// One reminder per configured offset whose time is still ahead; each is dropped by the
    /// worker if the meeting has begun by the time it comes due.
    fn reminders(
        &self,
        managed: &Managed,
        recipient: &Recipient,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewEmail>, askama::Error> {
        let start = managed.start();
        let mut out = Vec::new();
        for &offset in &self.reminder_offsets_minutes {
            let due = start - Duration::minutes(i64::from(offset));
            if due <= now {
                continue;
            }
            let mut view = self.meeting_view(managed, recipient);
            view.reminder_lead = reminder_lead(recipient.texts, offset);
            let key = format!(
                "reminder:{}:{}:{offset}:{}",
                managed.meeting.id, managed.meeting.sequence, recipient.email
            );
            let mut email = self.email(EmailKind::Reminder, key, managed, recipient, &view, now)?;
            email.send_after = due;
            email.not_after = Some(start);
            out.push(email);
        }
        Ok(out)
    }

    /// One manager's digest of the queue: a line per pending request (oldest first), times in
    /// the manager's zone, and a link to the queue.
    pub fn approval_digest(
        &self,
        manager: &User,
        pending: &[QueueItem],
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let mut view = self.blank_view(&manager.name);
        view.context = pending
            .iter()
            .map(|item| {
                let company = item
                    .lead
                    .company
                    .as_deref()
                    .map(|company| format!(" ({company})"))
                    .unwrap_or_default();
                let when = item.held.as_ref().map_or_else(
                    || "no time picked yet".to_owned(),
                    |held| {
                        when_in(
                            manager.timezone,
                            held.start_utc.and_utc(),
                            held.end_utc.and_utc(),
                        )
                    },
                );
                format!(
                    "{}{company}, score {}: {}, {when}",
                    item.lead.name, item.lead.score, item.meeting_type.name
                )
            })
            .collect();
        view.action_url = format!("{}/admin/approvals", self.public_base);
        let (subject, body_text, body_html) = render(EmailKind::ApprovalDigest, &view)?;
        Ok(NewEmail {
            kind: EmailKind::ApprovalDigest,
            dedupe_key: format!("approval_digest:{}:{}", manager.email, now.timestamp()),
            meeting_id: None,
            meeting_request_id: None,
            recipient_email: manager.email.clone(),
            recipient_name: manager.name.clone(),
            subject,
            body_text,
            body_html,
            calendar: None,
            send_after: now,
            not_after: None,
        })
    }

    /// `notice` to one recipient (name, address); the link leads to the host's page where
    /// the calendar is connected again.
    pub fn calendar_notice(
        &self,
        notice: &CalendarNotice<'_>,
        recipient: (&str, &str),
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let CalendarNotice {
            kind,
            host,
            calendar,
            reason,
            incident,
        } = *notice;
        let (name, email) = recipient;
        let mut view = self.blank_view(name);
        view.with_names = host.name.clone();
        view.meeting_name = calendar.to_owned();
        view.reason = reason.to_owned();
        view.action_url = format!("{}/admin/users/{}", self.public_base, host.id);
        let (subject, body_text, body_html) = render(kind, &view)?;
        Ok(NewEmail {
            kind,
            dedupe_key: format!("{kind}:{incident}:{email}"),
            meeting_id: None,
            meeting_request_id: None,
            recipient_email: email.to_owned(),
            recipient_name: name.to_owned(),
            subject,
            body_text,
            body_html,
            calendar: None,
            send_after: now,
            not_after: None,
        })
    }

    /// Tells an admin that Convene disabled a webhook subscription after days of failed
    /// deliveries; one email per admin and incident (`failing_since`).
    pub fn webhook_disabled(
        &self,
        admin: &User,
        subscription: &crate::webhooks::model::Subscription,
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let mut view = self.blank_view(&admin.name);
        view.meeting_name = subscription.url.clone();
        view.reason = subscription.disabled_reason.clone().unwrap_or_default();
        view.context = subscription
            .description
            .iter()
            .map(|description| format!("Description: {description}"))
            .collect();
        view.action_url = format!("{}/admin/webhooks/{}", self.public_base, subscription.id);
        let incident = subscription
            .failing_since
            .map_or(0, |since| since.and_utc().timestamp());
        let (subject, body_text, body_html) = render(EmailKind::WebhookDisabled, &view)?;
        Ok(NewEmail {
            kind: EmailKind::WebhookDisabled,
            dedupe_key: format!(
                "webhook_disabled:{}:{incident}:{}",
                subscription.id, admin.email
            ),
            meeting_id: None,
            meeting_request_id: None,
            recipient_email: admin.email.clone(),
            recipient_name: admin.name.clone(),
            subject,
            body_text,
            body_html,
            calendar: None,
            send_after: now,
            not_after: None,
        })
    }

    /// Reminds a routed lead who has not booked of its booking link; once per routing.
    pub fn routing_follow_up(
        &self,
        routing_id: &str,
        to: Addressee<'_>,
        meeting_type: &crate::scheduling::meeting_types::MeetingType,
        booking_url: String,
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let lead = to.lead;
        let mut view = self.blank_view(&lead.name);
        view.t = Texts::new(to.language);
        view.meeting_name = meeting_type.name.clone();
        view.duration_minutes = meeting_type.duration_minutes;
        view.action_url = booking_url;
        let (subject, body_text, body_html) = render(EmailKind::RoutingFollowUp, &view)?;
        Ok(NewEmail {
            kind: EmailKind::RoutingFollowUp,
            dedupe_key: format!("routing_follow_up:{routing_id}"),
            meeting_id: None,
            meeting_request_id: None,
            recipient_email: lead.email.clone(),
            recipient_name: lead.name.clone(),
            subject,
            body_text,
            body_html,
            calendar: None,
            send_after: now,
            not_after: None,
        })
    }

    /// A link for `user` to set their password: an invitation or a reset. `link_id` is the
    /// link's own id, so every link sent makes its own email.
    pub fn password_link(
        &self,
        kind: EmailKind,
        user: &User,
        link_id: &str,
        url: String,
        valid_hours: i64,
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let mut view = self.blank_view(&user.name);
        view.action_url = url;
        view.duration_minutes = i32::try_from(valid_hours).unwrap_or(i32::MAX);
        view.with_names = user.email.clone();
        let (subject, body_text, body_html) = render(kind, &view)?;
        Ok(NewEmail {
            kind,
            dedupe_key: format!("{kind}:{link_id}"),
            meeting_id: None,
            meeting_request_id: None,
            recipient_email: user.email.clone(),
            recipient_name: user.name.clone(),
            subject,
            body_text,
            body_html,
            calendar: None,
            send_after: now,
            not_after: None,
        })
    }

    /// Sends the lead `to` the booking link `url` for `meeting_type`, on behalf of
    /// `sender_name`; `sending_id` tells one sending from another.
    pub fn booking_link(
        &self,
        to: Addressee<'_>,
        meeting_type: &crate::scheduling::meeting_types::MeetingType,
        sender_name: &str,
        url: String,
        sending_id: &str,
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let lead = to.lead;
        let mut view = self.blank_view(&lead.name);
        view.t = Texts::new(to.language);
        view.meeting_name = meeting_type.name.clone();
        view.duration_minutes = meeting_type.duration_minutes;
        view.with_names = sender_name.to_owned();
        view.action_url = url;
        let (subject, body_text, body_html) = render(EmailKind::BookingLink, &view)?;
        Ok(NewEmail {
            kind: EmailKind::BookingLink,
            dedupe_key: format!("booking_link:{sending_id}"),
            meeting_id: None,
            meeting_request_id: None,
            recipient_email: lead.email.clone(),
            recipient_name: lead.name.clone(),
            subject,
            body_text,
            body_html,
            calendar: None,
            send_after: now,
            not_after: None,
        })
    }

    /// Tells `recipients` (name, address, zone) that request `item` has waited past the SLA.
    pub fn escalations(
        &self,
        item: &QueueItem,
        recipients: &[(String, String, TimeZone)],
        waited: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewEmail>, askama::Error> {
        let mut out = Vec::new();
        for (name, email, zone) in recipients {
            let mut view = self.blank_view(name);
            view.meeting_name = item.meeting_type.name.clone();
            view.duration_minutes = item.meeting_type.duration_minutes;
            view.when = match &item.held {
                Some(held) => when_in(*zone, held.start_utc.and_utc(), held.end_utc.and_utc()),
                None => "no time picked yet".into(),
            };
            view.with_names = std::iter::once(item.lead.name.clone())
                .chain(item.hosts.iter().map(|host| host.name.clone()))
                .collect::<Vec<_>>()
                .join(", ");
            view.context = Self::lead_context(&item.lead, item.request.notes.as_deref());
            view.reason = waited.to_owned();
            view.action_url = format!("{}/admin/requests/{}", self.public_base, item.request.id);
            let (subject, body_text, body_html) = render(EmailKind::Escalation, &view)?;
            out.push(NewEmail {
                kind: EmailKind::Escalation,
                dedupe_key: format!("escalation:{}:{email}", item.request.id),
                meeting_id: item.held.as_ref().map(|held| held.id.clone()),
                meeting_request_id: Some(item.request.id.clone()),
                recipient_email: email.clone(),
                recipient_name: name.clone(),
                subject,
                body_text,
                body_html,
                calendar: None,
                send_after: now,
                not_after: None,
            });
        }
        Ok(out)
    }

    /// Asks `host` what happened at a meeting that has ended, with their one-click link to
    /// the outcome form; `reminder` for the second ask, when nothing was recorded in 48 h.
    pub fn outcome_request(
        &self,
        managed: &Managed,
        host: &User,
        outcome_url: String,
        reminder: bool,
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let recipient = Self::staff(host);
        let mut view = self.meeting_view(managed, &recipient);
        view.action_url = outcome_url;
        view.reminder = reminder;
        let step = if reminder {
            "outcome_reminder"
        } else {
            "outcome_request"
        };
        let key = format!("{step}:{}:{}", managed.meeting.id, host.email);
        self.email(
            EmailKind::OutcomeRequest,
            key,
            managed,
            &recipient,
            &view,
            now,
        )
    }

    /// Invites the prospect to say how a held meeting went.
    pub fn survey(
        &self,
        managed: &Managed,
        survey_url: String,
        now: DateTime<Utc>,
    ) -> Result<NewEmail, askama::Error> {
        let prospect = Self::recipients(managed).swap_remove(0);
        let mut view = self.meeting_view(managed, &prospect);
        view.manage_url = String::new();
        view.action_url = survey_url;
        let key = format!("survey:{}:{}", managed.meeting.id, prospect.email);
        self.email(EmailKind::Survey, key, managed, &prospect, &view, now)
    }

    /// Asks each meeting manager to decide on a request that waits for approval.
    pub fn approval_requests(
        &self,
        managed: &Managed,
        managers: &[User],
        now: DateTime<Utc>,
    ) -> Result<Vec<NewEmail>, askama::Error> {
        let mut out = Vec::new();
        for manager in managers {
            let recipient = Self::staff(manager);
            let mut view = self.meeting_view(managed, &recipient);
            view.with_names = Self::recipients(managed)
                .iter()
                .map(|person| person.name.clone())
                .collect::<Vec<_>>()
                .join(", ");
            let expires = now + Duration::hours(i64::from(self.decision_link_hours));
            let subject = format!("{}:{}", managed.request.id, manager.id);
            view.action_url = format!(
                "{}/decide/{}",
                self.public_base,
                self.link_key
                    .signed(LinkPurpose::DecideRequest, &subject, expires)
            );
            view.queue_url = format!("{}/admin/requests/{}", self.public_base, managed.request.id);
            let key = format!(
                "approval_request:{}:{}",
                managed.request.id, recipient.email
            );
            out.push(self.email(
                EmailKind::ApprovalRequest,
                key,
                managed,
                &recipient,
                &view,
                now,
            )?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::outbox::EmailRecord;
    use chrono::TimeZone as _;

    #[test]
    fn times_read_in_the_recipients_zone_with_offset() {
        let start = Utc.with_ymd_and_hms(2026, 12, 8, 13, 0, 0).unwrap();
        let end = start + Duration::minutes(30);
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        assert_eq!(
            when_in(berlin, start, end),
            "Tue 2026-12-08, 14:00–14:30 Europe/Berlin (UTC+01:00)"
        );
        let kolkata = TimeZone::parse("Asia/Kolkata").unwrap();
        assert_eq!(
            when_in(kolkata, start, end),
            "Tue 2026-12-08, 18:30–19:00 Asia/Kolkata (UTC+05:30)"
        );
    }

    #[test]
    fn a_meeting_past_midnight_names_both_days() {
        let start = Utc.with_ymd_and_hms(2026, 12, 8, 22, 45, 0).unwrap();
        let end = start + Duration::minutes(30);
        let utc = TimeZone::parse("UTC").unwrap();
        assert_eq!(
            when_in(utc, start, end),
            "Tue 2026-12-08, 22:45–23:15 UTC (UTC+00:00)"
        );
        let auckland = TimeZone::parse("Pacific/Auckland").unwrap();
        assert_eq!(
            when_in(auckland, start, end),
            "Wed 2026-12-09, 11:45–12:15 Pacific/Auckland (UTC+13:00)"
        );
        let late = Utc.with_ymd_and_hms(2026, 12, 8, 23, 45, 0).unwrap();
        assert_eq!(
            when_in(utc, late, late + Duration::minutes(30)),
            "Tue 2026-12-08, 23:45–Wed 2026-12-09 00:15 UTC (UTC+00:00)"
        );
    }

    #[test]
    fn reminder_leads_are_short() {
        let english = Texts::english();
        assert_eq!(reminder_lead(english, 1440), "24 h");
        assert_eq!(reminder_lead(english, 60), "1 h");
        assert_eq!(reminder_lead(english, 15), "15 min");
    }

    #[test]
    fn subjects_are_one_line() {
        assert_eq!(
            subject_line("  Invite:\r\n Ada\tLovelace \u{202E}\u{0}\n"),
            "Invite: Ada Lovelace"
        );
    }

    fn view(text: &str) -> MailView {
        MailView {
            t: Texts::english(),
            brand_name: text.into(),
            logo_url: String::new(),
            color: "#1f6feb".into(),
            recipient_name: text.into(),
            meeting_name: text.into(),
            when: "Tue 2026-12-08, 14:00–14:30 Europe/Berlin (UTC+01:00)".into(),
            previous_when: String::new(),
            duration_minutes: 30,
            location: text.into(),
            with_names: text.into(),
            manage_url: "https://convene.test/m/token".into(),
            context: vec![text.into()],
            reason: text.into(),
            action_url: "https://convene.test/a".into(),
            queue_url: "https://convene.test/q".into(),
            reminder: false,
            reminder_lead: "24 h".into(),
        }
    }

    fn record(
        kind: EmailKind,
        name: &str,
        subject: String,
        text: String,
        html: String,
    ) -> EmailRecord {
        let now = chrono::Utc::now().naive_utc();
        EmailRecord {
            id: "e1".into(),
            kind: kind.as_str().into(),
            dedupe_key: "k".into(),
            meeting_id: None,
            meeting_request_id: None,
            recipient_email: "ana@example.com".into(),
            recipient_name: name.into(),
            subject,
            body_text: text,
            body_html: html,
            ics_method: None,
            ics: None,
            status: "pending".into(),
            send_after: now,
            not_after: None,
            attempts: 0,
            last_error: None,
            locked_by: None,
            locked_until: None,
            created_at: now,
            sent_at: None,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any text in every place a template reads, for every kind of email in every
        /// language: the message builds, every header stays one line within the mail line
        /// limit, and a mail parser reads back the recipient and subject flattened, never a
        /// header more.
        #[test]
        fn every_kind_of_email_carries_any_text_safely(
            text in "(\\PC|[\n\r\t\x00\x1b\u{202E}\u{2028} ]){0,40}",
            long in proptest::option::of(1usize..3000),
        ) {
            let text = match long { Some(n) => text.repeat(n.min(3000 / text.len().max(1)).max(1)), None => text };
            let from: lettre::message::Mailbox = "Convene <meetings@convene.test>".parse().unwrap();
            for (kind, language) in EmailKind::ALL.into_iter().flat_map(|kind| crate::i18n::Language::all().into_iter().map(move |language| (kind, language))) {
                let mut view = view(&text);
                view.t = Texts::new(language);
                let (subject, body_text, body_html) = render(kind, &view).unwrap();
                let email = record(kind, &text, subject, body_text, body_html);
                let message = crate::notifications::transport::build_message(&email, &from, "convene.test").unwrap();
                let raw = message.formatted();
                let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                for line in raw[..head_end].split(|&b| b == b'\n') {
                    proptest::prop_assert!(line.len() <= 998, "a header line of {} octets", line.len());
                }
                let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
                proptest::prop_assert!(parsed.bcc().is_none());
                proptest::prop_assert_eq!(parsed.to().and_then(|to| to.first()).and_then(|to| to.address()), Some("ana@example.com"));
                let parsed_subject = parsed.subject().unwrap_or_default();
                proptest::prop_assert!(!parsed_subject.contains(['\r', '\n']));
            }
        }
    }
}
