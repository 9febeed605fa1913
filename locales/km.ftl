# ភាសាខ្មែរ (Khmer). Same keys as en.ftl; see docs/languages.md.

## Dates and times

weekday-1 = ថ្ងៃច័ន្ទ
weekday-2 = ថ្ងៃអង្គារ
weekday-3 = ថ្ងៃពុធ
weekday-4 = ថ្ងៃព្រហស្បតិ៍
weekday-5 = ថ្ងៃសុក្រ
weekday-6 = ថ្ងៃសៅរ៍
weekday-7 = ថ្ងៃអាទិត្យ
weekday-short-1 = ច័ន្ទ
weekday-short-2 = អង្គារ
weekday-short-3 = ពុធ
weekday-short-4 = ព្រហ
weekday-short-5 = សុក្រ
weekday-short-6 = សៅរ៍
weekday-short-7 = អាទិត្យ
month-1 = មករា
month-2 = កុម្ភៈ
month-3 = មីនា
month-4 = មេសា
month-5 = ឧសភា
month-6 = មិថុនា
month-7 = កក្កដា
month-8 = សីហា
month-9 = កញ្ញា
month-10 = តុលា
month-11 = វិច្ឆិកា
month-12 = ធ្នូ
month-short-1 = មករា
month-short-2 = កុម្ភៈ
month-short-3 = មីនា
month-short-4 = មេសា
month-short-5 = ឧសភា
month-short-6 = មិថុនា
month-short-7 = កក្កដា
month-short-8 = សីហា
month-short-9 = កញ្ញា
month-short-10 = តុលា
month-short-11 = វិច្ឆិកា
month-short-12 = ធ្នូ
date-long = { $weekday } ទី{ $day } ខែ{ $month } ឆ្នាំ{ $year }
date-short = { $weekday } { $day } { $month }
month-year = ខែ{ $month } ឆ្នាំ{ $year }
clock = 12h
time-am = { $hour }:{ $minute } AM
time-pm = { $hour }:{ $minute } PM
time-24h = { $hour }:{ $minute }
day-and-time = { $day } { $time }
meeting-time = { $date } { $start }–{ $end } { $zone } (UTC{ $offset })

## Emails to the prospect

email-hello = ជម្រាបសួរ { $name },
email-sent-by = ផ្ញើដោយ { $brand }។
email-what = កិច្ចប្រជុំ
email-when = ពេលវេលា
email-with = ជាមួយ
email-where = ទីកន្លែង
email-minutes = { $minutes } នាទី
email-reschedule-or-cancel = ប្ដូរពេល ឬបោះបង់
email-invite-subject = { $meeting } — { $when }
email-invite-body = អ្នកត្រូវបានអញ្ជើញ។ ការអញ្ជើញប្រតិទិនត្រូវបានភ្ជាប់មកជាមួយ៖ សូមទទួលយកវា ដើម្បីបន្ថែមកិច្ចប្រជុំទៅក្នុងប្រតិទិនរបស់អ្នក។
email-update-subject = បានប្ដូរពេល៖ { $meeting } — { $when }
email-update-body = កិច្ចប្រជុំត្រូវបានប្ដូរទៅពេលវេលាថ្មី។ ការអញ្ជើញដែលបានធ្វើបច្ចុប្បន្នភាពត្រូវបានភ្ជាប់មកជាមួយ។
email-update-was = ពេលមុន
email-cancel-subject = បានបោះបង់៖ { $meeting } — { $when }
email-cancel-body = កិច្ចប្រជុំនេះត្រូវបានបោះបង់ហើយ។ ការធ្វើបច្ចុប្បន្នភាពដែលភ្ជាប់មកនឹងដកវាចេញពីប្រតិទិនរបស់អ្នក។
email-cancel-reason = មូលហេតុ៖ { $reason }
email-reminder-subject = ការរំលឹក៖ { $meeting } — { $when }
email-reminder-body = ការរំលឹក៖ កិច្ចប្រជុំនេះនឹងចាប់ផ្ដើមក្នុងរយៈពេល { $lead } ទៀត។
email-confirmation-subject = បានទទួលសំណើ៖ { $meeting } — { $when }
email-confirmation-body = សូមអរគុណ៖ យើងបានទទួលសំណើរបស់អ្នក ហើយពេលវេលានេះត្រូវបានរក្សាទុកសម្រាប់អ្នក។ អ្នកនឹងទទួលបានការអញ្ជើញប្រតិទិន ភ្លាមៗនៅពេលដែលវាត្រូវបានបញ្ជាក់។
email-rejection-subject = អំពីសំណើរបស់អ្នក៖ { $meeting }
email-rejection-body = សូមអរគុណចំពោះការចាប់អារម្មណ៍របស់អ្នក។ យើងសុំទោស ប៉ុន្តែយើងមិនអាចបញ្ជាក់កិច្ចប្រជុំនេះបានទេ ហើយពេលវេលាដែលអ្នកបានជ្រើសរើសត្រូវបានដោះលែងវិញហើយ។
email-rejection-requested = បានស្នើសុំ៖ { $meeting }, { $when }
email-survey-subject = តើកិច្ចប្រជុំរបស់អ្នកយ៉ាងដូចម្តេចដែរ? { $meeting }
email-survey-body = សូមអរគុណដែលបានជួបជាមួយ { $with }។ តើអ្នកអាចប្រាប់យើងបានទេថា កិច្ចប្រជុំនោះយ៉ាងដូចម្តេច? សំណួរខ្លីៗចំនួនបី ប្រើពេលតែមួយនាទី។
email-survey-answer = ឆ្លើយការស្ទង់មតិ
email-choose-time-subject = ជ្រើសរើសពេលវេលាសម្រាប់ { $meeting } របស់អ្នក
email-choose-time = ជ្រើសរើសពេលវេលា
email-routing-follow-up-body = សូមអរគុណដែលបានទាក់ទងមកយើង។ { $meeting } ({ $minutes } នាទី) របស់អ្នករួចរាល់សម្រាប់ការកក់ហើយ៖ សូមជ្រើសរើសពេលវេលាដែលសមស្របសម្រាប់អ្នក។
email-booking-link-body = { $sender } សូមអញ្ជើញអ្នកចូលរួម { $meeting } ({ $minutes } នាទី)។ សូមជ្រើសរើសពេលវេលាដែលសមស្របសម្រាប់អ្នក។
email-link-here = តំណ៖
email-hours = { $hours } ម៉ោង
email-minutes-lead = { $minutes } នាទី
ics-prospect-description = { $meeting } ជាមួយ { $with }។

    ប្ដូរពេល ឬបោះបង់៖ { $url }

## Survey page

survey-title = តើកិច្ចប្រជុំរបស់អ្នកយ៉ាងដូចម្តេចដែរ?
survey-intro = { $meeting } នៅ{ $date }។ សំណួរពីរ ប្រើពេលមិនដល់មួយនាទី។
survey-usefulness = តើកិច្ចប្រជុំមានប្រយោជន៍កម្រិតណា?
survey-rating-1 = 1 – ខ្សោយ
survey-rating-2 = 2 – មធ្យម
survey-rating-3 = 3 – ល្អ
survey-rating-4 = 4 – ល្អណាស់
survey-rating-5 = 5 – ល្អឥតខ្ចោះ
survey-plans = តើផែនការរបស់អ្នកស្ថិតនៅដំណាក់កាលណា?
survey-intent-none = មិនមានគម្រោងទិញទេ
survey-intent-low = ប្រហែលជា នៅថ្ងៃណាមួយ
survey-intent-medium = កំពុងពិចារណាក្នុងឆ្នាំនេះ
survey-intent-high = ត្រៀមខ្លួនរួចរាល់ដើម្បីបន្តទៅមុខ
survey-comments = មានអ្វីផ្សេងទៀតទេ? (មិនចាំបាច់)
survey-send = ផ្ញើចម្លើយរបស់ខ្ញុំ
survey-thanks-title = សូមអរគុណ
survey-thanks = ចម្លើយរបស់អ្នកជួយយើងធ្វើឱ្យកិច្ចប្រជុំនីមួយៗសក្តិសមនឹងពេលវេលារបស់អ្នក។
survey-not-found-title = រកមិនឃើញការស្ទង់មតិ
survey-not-found = តំណស្ទង់មតិនេះមិនត្រឹមត្រូវទេ។ សូមប្រើតំណពីអ៊ីមែលរបស់អ្នក។
survey-expired-title = ការស្ទង់មតិនេះបានផុតកំណត់ហើយ
survey-expired = ការស្ទង់មតិនេះត្រូវបានបិទហើយ។ ទោះយ៉ាងណាក៏សូមអរគុណ។
survey-answered-title = បានឆ្លើយរួចហើយ
survey-answered = ការស្ទង់មតិនេះត្រូវបានឆ្លើយរួចហើយ។ សូមអរគុណ!
survey-invalid-rating = ការវាយតម្លៃត្រូវតែជាចំនួនគត់ពី 1 ដល់ 5។
survey-invalid-buyer_intent = សូមជ្រើសរើសដំណាក់កាលនៃផែនការរបស់អ្នក។
survey-invalid-comments = មតិយោបល់របស់អ្នកវែងពេក ឬមានតួអក្សរដែលយើងមិនអាចរក្សាទុកបាន។

## Booking page

book-title = កក់៖ { $meeting }
book-duration = { $minutes } នាទី
book-your-time-zone = តំបន់ម៉ោងរបស់អ្នក
book-search-time-zones = ស្វែងរកតំបន់ម៉ោង
book-show-times = បង្ហាញម៉ោងទំនេរ
book-previous-month = ខែមុន
book-next-month = ខែបន្ទាប់
book-your-details = ព័ត៌មានរបស់អ្នក
book-name = ឈ្មោះ
book-work-email = អ៊ីមែលការងារ
book-company = ក្រុមហ៊ុន
book-phone = លេខទូរស័ព្ទ
book-job-title = មុខតំណែង
book-about-plans = អំពីផែនការរបស់អ្នក
book-budget = យើងមានថវិកា
book-authority = ខ្ញុំជាអ្នកសម្រេច ឬអនុម័តលើការសម្រេចចិត្ត
book-need = យើងមានបញ្ហាដែលត្រូវដោះស្រាយ
book-timing = តើអ្នកគ្រោងនឹងទិញនៅពេលណា?
book-timing-now = ភ្លាមៗ
book-timing-this-quarter = ក្នុងត្រីមាសនេះ
book-timing-this-year = ក្នុងឆ្នាំនេះ
book-timing-later = ពេលក្រោយ
book-timing-unknown = មិនទាន់ប្រាកដ
book-prepare = តើមានអ្វីដែលយើងគួររៀបចំទុកជាមុនទេ?
book-this-time = កក់ពេលនេះ
book-booked-title = អ្នកបានកក់រួចរាល់ហើយ
book-awaiting-title = កំពុងរង់ចាំការអនុម័ត
book-add-outlook = Outlook.com
book-add-office365 = Office 365
book-join-video = ចូលរួមការហៅជាវីដេអូ
book-error-link-used-up = តំណកក់នេះត្រូវបានប្រើអស់ចំនួនដងដែលអនុញ្ញាតហើយ។
book-error-qualified-only = កិច្ចប្រជុំនេះផ្ដល់ជូនតែអតិថិជនសក្តានុពលដែលមានលក្ខណៈសម្បត្តិគ្រប់គ្រាន់ប៉ុណ្ណោះ។
book-error-fields = សូមពិនិត្យប្រអប់ដែលបានសម្គាល់ខាងក្រោម។

## Manage page

manage-status = ស្ថានភាព
manage-when = ពេលវេលា
manage-with = ជាមួយ
manage-where = ទីកន្លែង
manage-status-scheduled = បានបញ្ជាក់
manage-status-cancelled = បានបោះបង់
manage-started = កិច្ចប្រជុំនេះបានចាប់ផ្ដើមហើយ ដូច្នេះមិនអាចប្ដូរពេល ឬបោះបង់នៅទីនេះបានទៀតទេ។ ប្រសិនបើចង់ផ្លាស់ប្ដូរអ្វីមួយ សូមទាក់ទងម្ចាស់កិច្ចប្រជុំរបស់អ្នក។
manage-pick-new-time = ជ្រើសរើសពេលវេលាថ្មី
manage-move = ប្ដូរពេលកិច្ចប្រជុំរបស់ខ្ញុំ
manage-reschedule = ប្ដូរពេល
manage-cancel = បោះបង់កិច្ចប្រជុំ
manage-cancelled-title = កិច្ចប្រជុំនេះត្រូវបានបោះបង់
manage-error-pick-time = សូមជ្រើសរើសពេលវេលាថ្មីជាមុនសិន។

## Booking page, month calendar and manage page as redesigned

book-with-inline = ជាមួយ { $hosts }
book-pick-first = សូមជ្រើសរើសថ្ងៃ និងម៉ោង បន្ទាប់មកបំពេញព័ត៌មានរបស់អ្នក។
book-times = ម៉ោងទំនេរ
book-no-times-this-month = គ្មានម៉ោងទំនេរនៅខែនេះទេ។
book-see-next-month = មើលខែបន្ទាប់
book-day-today = { $day } ថ្ងៃនេះ
book-day-no-times = { $day } គ្មានម៉ោងទំនេរ
book-day-today-no-times = { $day } ថ្ងៃនេះ គ្មានម៉ោងទំនេរ
manage-meeting = កិច្ចប្រជុំ
manage-add-to-calendar = បន្ថែមទៅប្រតិទិនរបស់អ្នក
manage-google = Google Calendar
manage-apple-ics = Apple / ផ្សេងទៀត (.ics)
manage-book-another = កក់ពេលផ្សេងទៀត
manage-cancel-question = បោះបង់កិច្ចប្រជុំនេះឬ?
manage-keep = រក្សាទុក
manage-keep-time = រក្សាពេលវេលាបច្ចុប្បន្ន
manage-pick-move = សូមជ្រើសរើសថ្ងៃ និងម៉ោងថ្មី ដើម្បីប្ដូរពេលកិច្ចប្រជុំរបស់អ្នក។
manage-cancel-reason-hosts = មូលហេតុនឹងជួយម្ចាស់កិច្ចប្រជុំរបស់អ្នក (មិនចាំបាច់)
manage-our-team = ក្រុមការងាររបស់យើង
manage-awaiting-next = { $host } នឹងបញ្ជាក់ពេលវេលាតាមអ៊ីមែល ជាធម្មតាក្នុងរយៈពេល { $hours } ម៉ោង។ ពេលវេលានេះត្រូវបានរក្សាទុកសម្រាប់អ្នករហូតដល់ពេលនោះ ហើយការអញ្ជើញប្រតិទិននឹងផ្ញើមកភ្លាមៗនៅពេលវាត្រូវបានបញ្ជាក់។
manage-booked-next = ការអញ្ជើញប្រតិទិនកំពុងផ្ញើទៅកាន់ { $email }។
manage-headline-moved = កិច្ចប្រជុំរបស់អ្នកត្រូវបានប្ដូរពេលហើយ
manage-headline-declined = សំណើនេះត្រូវបានបដិសេធ
manage-headline-expired = សំណើនេះបានផុតកំណត់ហើយ
manage-headline-completed = កិច្ចប្រជុំនេះបានប្រព្រឹត្តទៅរួចហើយ
manage-status-completed = បានបញ្ចប់
manage-status-closed = បានបិទ
manage-notice-moved-invite = កិច្ចប្រជុំរបស់អ្នកត្រូវបានប្ដូរពេលហើយ។ ការអញ្ជើញដែលបានធ្វើបច្ចុប្បន្នភាពកំពុងផ្ញើមកអ្នក។
manage-notice-cancelled-told = កិច្ចប្រជុំរបស់អ្នកត្រូវបានបោះបង់ហើយ។ ម្ចាស់កិច្ចប្រជុំរបស់អ្នកបានទទួលដំណឹងហើយ។
manage-calendar-details = គ្រប់គ្រងកិច្ចប្រជុំនេះ៖ { $url }
manage-headline-requested = យើងបានទទួលសំណើរបស់អ្នកហើយ
book-error-pick-time = សូមជ្រើសរើសពេលវេលាជាមុនសិន។
book-error-taken-kept = ពេលវេលានោះទើបតែមានគេកក់។ ព័ត៌មានរបស់អ្នកនៅរក្សាទុក៖ សូមជ្រើសរើសពេលផ្សេងខាងក្រោម។
book-error-rate-limited = មានការប៉ុនប៉ងកក់ច្រើនពេកពីបណ្ដាញរបស់អ្នកនាពេលនេះ។ សូមរង់ចាំ { $seconds } វិនាទី រួចកក់ម្ដងទៀត៖ ព័ត៌មានរបស់អ្នកនៅរក្សាទុក។
