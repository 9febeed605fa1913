# English: the fallback catalogue. Every other catalogue has exactly these keys.
# See docs/languages.md for how a language is chosen and how to add one.

## Dates and times (src/i18n/dates.rs)

weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
weekday-short-1 = Mon
weekday-short-2 = Tue
weekday-short-3 = Wed
weekday-short-4 = Thu
weekday-short-5 = Fri
weekday-short-6 = Sat
weekday-short-7 = Sun
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
month-short-1 = Jan
month-short-2 = Feb
month-short-3 = Mar
month-short-4 = Apr
month-short-5 = May
month-short-6 = Jun
month-short-7 = Jul
month-short-8 = Aug
month-short-9 = Sep
month-short-10 = Oct
month-short-11 = Nov
month-short-12 = Dec
# "Tuesday 8 December 2026"
date-long = { $weekday } { $day } { $month } { $year }
# "Tue 8 Dec"
date-short = { $weekday } { $day } { $month }
# "December 2026"
month-year = { $month } { $year }
# 12h: time-am / time-pm with $hour 1-12; 24h: time-24h with a two-digit $hour.
clock = 12h
time-am = { $hour }:{ $minute } am
time-pm = { $hour }:{ $minute } pm
time-24h = { $hour }:{ $minute }
day-and-time = { $day }, { $time }
meeting-time = { $date }, { $start }–{ $end } { $zone } (UTC{ $offset })

## Emails to the prospect (templates/email/)

email-hello = Hello { $name },
email-sent-by = Sent by { $brand }.
email-what = What
email-when = When
email-with = With
email-where = Where
email-minutes = { $minutes } min
email-reschedule-or-cancel = Reschedule or cancel
email-invite-subject = { $meeting } — { $when }
email-invite-body = You are invited. The calendar invitation is attached: accept it to add the meeting to your calendar.
email-update-subject = Moved: { $meeting } — { $when }
email-update-body = The meeting has moved to a new time. The updated invitation is attached.
email-update-was = Was
email-cancel-subject = Cancelled: { $meeting } — { $when }
email-cancel-body = This meeting is cancelled; the attached update removes it from your calendar.
email-cancel-reason = Reason: { $reason }
email-reminder-subject = Reminder: { $meeting } — { $when }
email-reminder-body = Reminder: this meeting starts in { $lead }.
email-confirmation-subject = Request received: { $meeting } — { $when }
email-confirmation-body = Thank you: your request arrived and the time is held for you. You will receive the calendar invitation as soon as it is confirmed.
email-rejection-subject = About your request: { $meeting }
email-rejection-body = Thank you for your interest. We are sorry, but we cannot confirm this meeting, and the time you picked has been released.
email-rejection-requested = Requested: { $meeting }, { $when }
email-survey-subject = How was your meeting? { $meeting }
email-survey-body = Thank you for meeting with { $with }. Would you tell us how it went? Three quick questions, one minute.
email-survey-answer = Answer the survey
email-choose-time-subject = Pick a time for your { $meeting }
email-choose-time = Choose a time
email-routing-follow-up-body = Thank you for getting in touch. Your { $meeting } ({ $minutes } minutes) is ready to book: pick the time that suits you.
email-booking-link-body = { $sender } invites you to a { $meeting } ({ $minutes } minutes). Pick the time that suits you.
email-link-here = Here is the link:
email-hours = { $hours } h
email-minutes-lead = { $minutes } min
# The calendar file's description for the prospect.
ics-prospect-description = { $meeting } with { $with }.

    Reschedule or cancel: { $url }

## Survey page (templates/public/survey*.html)

survey-title = How was your meeting?
survey-intro = { $meeting } on { $date }. Two questions, under a minute.
survey-usefulness = How useful was the meeting?
survey-rating-1 = 1 – poor
survey-rating-2 = 2 – fair
survey-rating-3 = 3 – good
survey-rating-4 = 4 – very good
survey-rating-5 = 5 – excellent
survey-plans = Where are you in your plans?
survey-intent-none = Not planning to buy
survey-intent-low = Maybe, some day
survey-intent-medium = Considering it this year
survey-intent-high = Ready to move forward
survey-comments = Anything else? (optional)
survey-send = Send my answers
survey-thanks-title = Thank you
survey-thanks = Your answers help us make every meeting worth your time.
survey-not-found-title = Survey not found
survey-not-found = This survey link is not valid. Please use the link from your email.
survey-expired-title = This survey has expired
survey-expired = This survey is closed now. Thank you all the same.
survey-answered-title = Already answered
survey-answered = This survey has already been answered. Thank you!
survey-invalid-rating = The rating must be a whole number from 1 to 5.
survey-invalid-buyer_intent = Please choose where you are in your plans.
survey-invalid-comments = Your comments are too long, or contain characters we cannot keep.

## Booking page (templates/public/book.html, week_picker.html)

book-title = Book: { $meeting }
book-duration = { $minutes } minutes
book-your-time-zone = Your time zone
book-search-time-zones = Search time zones
book-show-times = Show times
book-previous-month = Previous month
book-next-month = Next month
book-your-details = Your details
book-name = Name
book-work-email = Work email
book-company = Company
book-phone = Phone
book-job-title = Job title
book-about-plans = About your plans
book-budget = We have a budget
book-authority = I make or sign off the decision
book-need = We have a problem to solve
book-timing = When do you plan to buy?
book-timing-now = Right away
book-timing-this-quarter = This quarter
book-timing-this-year = This year
book-timing-later = Later
book-timing-unknown = Not sure yet
book-prepare = Anything we should prepare?
book-this-time = Book this time
book-booked-title = You're booked
book-awaiting-title = Awaiting approval
book-add-outlook = Outlook.com
book-add-office365 = Office 365
book-join-video = Join video call
book-error-link-used-up = This booking link has been used as often as it allows.
book-error-qualified-only = This meeting is offered to qualified prospects only.
book-error-fields = Please check the fields marked below.

## Manage page (templates/public/manage.html)

manage-status = Status
manage-when = When
manage-with = With
manage-where = Where
manage-status-scheduled = Confirmed
manage-status-cancelled = Cancelled
manage-started = This meeting has already started, so it can no longer be moved or cancelled here. To change anything, please get in touch with your host.
manage-pick-new-time = Pick a new time
manage-move = Move my meeting
manage-reschedule = Reschedule
manage-cancel = Cancel meeting
manage-cancelled-title = This meeting was cancelled
manage-error-pick-time = Please pick a new time first.

## Booking page, month calendar and manage page as redesigned (templates/public/book.html,
## calendar.html, times.html, zone_picker.html, manage.html)

book-with-inline = with { $hosts }
book-pick-first = Pick a day and a time; your details come next.
book-times = Times
book-no-times-this-month = No free times this month.
book-see-next-month = See next month
book-day-today = { $day }, today
book-day-no-times = { $day }, no free times
book-day-today-no-times = { $day }, today, no free times
manage-meeting = Meeting
manage-add-to-calendar = Add to your calendar
manage-google = Google Calendar
manage-apple-ics = Apple / other (.ics)
manage-book-another = Book another time
manage-cancel-question = Cancel this meeting?
manage-keep = Keep it
manage-keep-time = Keep the current time
manage-pick-move = Pick a day and a time to move your meeting to.
manage-cancel-reason-hosts = A reason helps your hosts (optional)
manage-our-team = Our team
manage-awaiting-next = { $host } will confirm the time by email, usually within { $hours } hours. The time is held for you until then, and the calendar invitation follows once it is confirmed.
manage-booked-next = A calendar invitation is on its way to { $email }.
manage-headline-moved = Your meeting has been moved
manage-headline-declined = This request was declined
manage-headline-expired = This request expired
manage-headline-completed = This meeting has taken place
manage-status-completed = Completed
manage-status-closed = Closed
manage-notice-moved-invite = Your meeting has been moved. An updated invitation is on its way.
manage-notice-cancelled-told = Your meeting has been cancelled. Your hosts have been told.
manage-calendar-details = Manage this meeting: { $url }
manage-headline-requested = Your request is in
book-error-pick-time = Please pick a time first.
book-error-taken-kept = That time was just taken. Your details are kept: pick another time below.
book-error-rate-limited = Too many booking attempts from your network just now. Wait { $seconds } s, then book again: your details are kept.
