# Tiếng Việt. Same keys as en.ftl; see docs/languages.md.

## Dates and times

weekday-1 = Thứ Hai
weekday-2 = Thứ Ba
weekday-3 = Thứ Tư
weekday-4 = Thứ Năm
weekday-5 = Thứ Sáu
weekday-6 = Thứ Bảy
weekday-7 = Chủ Nhật
weekday-short-1 = Th 2
weekday-short-2 = Th 3
weekday-short-3 = Th 4
weekday-short-4 = Th 5
weekday-short-5 = Th 6
weekday-short-6 = Th 7
weekday-short-7 = CN
month-1 = tháng 1
month-2 = tháng 2
month-3 = tháng 3
month-4 = tháng 4
month-5 = tháng 5
month-6 = tháng 6
month-7 = tháng 7
month-8 = tháng 8
month-9 = tháng 9
month-10 = tháng 10
month-11 = tháng 11
month-12 = tháng 12
month-short-1 = thg 1
month-short-2 = thg 2
month-short-3 = thg 3
month-short-4 = thg 4
month-short-5 = thg 5
month-short-6 = thg 6
month-short-7 = thg 7
month-short-8 = thg 8
month-short-9 = thg 9
month-short-10 = thg 10
month-short-11 = thg 11
month-short-12 = thg 12
date-long = { $weekday }, { $day } { $month }, { $year }
date-short = { $weekday }, { $day } { $month }
month-year = { $month } năm { $year }
clock = 24h
time-am = { $hour }:{ $minute } SA
time-pm = { $hour }:{ $minute } CH
time-24h = { $hour }:{ $minute }
day-and-time = { $day }, { $time }
meeting-time = { $date }, { $start }–{ $end } { $zone } (UTC{ $offset })

## Emails to the prospect

email-hello = Xin chào { $name },
email-sent-by = Gửi từ { $brand }.
email-what = Cuộc họp
email-when = Thời gian
email-with = Với
email-where = Địa điểm
email-minutes = { $minutes } phút
email-reschedule-or-cancel = Đổi lịch hoặc hủy
email-invite-subject = { $meeting } — { $when }
email-invite-body = Bạn được mời tham dự cuộc họp. Lời mời lịch được đính kèm: hãy chấp nhận để thêm cuộc họp vào lịch của bạn.
email-update-subject = Đã đổi giờ: { $meeting } — { $when }
email-update-body = Cuộc họp đã được dời sang thời gian mới. Lời mời đã cập nhật được đính kèm.
email-update-was = Trước đây
email-cancel-subject = Đã hủy: { $meeting } — { $when }
email-cancel-body = Cuộc họp này đã bị hủy; bản cập nhật đính kèm sẽ xóa cuộc họp khỏi lịch của bạn.
email-cancel-reason = Lý do: { $reason }
email-reminder-subject = Nhắc lịch: { $meeting } — { $when }
email-reminder-body = Nhắc lịch: cuộc họp này sẽ bắt đầu sau { $lead }.
email-confirmation-subject = Đã nhận yêu cầu: { $meeting } — { $when }
email-confirmation-body = Cảm ơn bạn: chúng tôi đã nhận được yêu cầu và đang giữ khung giờ này cho bạn. Bạn sẽ nhận được lời mời lịch ngay khi cuộc họp được xác nhận.
email-rejection-subject = Về yêu cầu của bạn: { $meeting }
email-rejection-body = Cảm ơn bạn đã quan tâm. Rất tiếc, chúng tôi không thể xác nhận cuộc họp này và khung giờ bạn chọn đã được giải phóng.
email-rejection-requested = Đã yêu cầu: { $meeting }, { $when }
email-survey-subject = Cuộc họp của bạn thế nào? { $meeting }
email-survey-body = Cảm ơn bạn đã gặp { $with }. Bạn có thể cho chúng tôi biết cuộc họp diễn ra thế nào không? Ba câu hỏi nhanh, chỉ mất một phút.
email-survey-answer = Trả lời khảo sát
email-choose-time-subject = Chọn thời gian cho { $meeting } của bạn
email-choose-time = Chọn thời gian
email-routing-follow-up-body = Cảm ơn bạn đã liên hệ. { $meeting } ({ $minutes } phút) của bạn đã sẵn sàng để đặt lịch: hãy chọn thời gian phù hợp với bạn.
email-booking-link-body = { $sender } mời bạn tham gia { $meeting } ({ $minutes } phút). Hãy chọn thời gian phù hợp với bạn.
email-link-here = Đường dẫn:
email-hours = { $hours } giờ
email-minutes-lead = { $minutes } phút
ics-prospect-description = { $meeting } với { $with }.

    Đổi lịch hoặc hủy: { $url }

## Survey page

survey-title = Cuộc họp của bạn thế nào?
survey-intro = { $meeting } vào { $date }. Hai câu hỏi, chưa đến một phút.
survey-usefulness = Cuộc họp hữu ích đến mức nào?
survey-rating-1 = 1 – kém
survey-rating-2 = 2 – tạm được
survey-rating-3 = 3 – tốt
survey-rating-4 = 4 – rất tốt
survey-rating-5 = 5 – xuất sắc
survey-plans = Kế hoạch của bạn đang ở giai đoạn nào?
survey-intent-none = Chưa có kế hoạch mua
survey-intent-low = Có thể, vào một lúc nào đó
survey-intent-medium = Đang cân nhắc trong năm nay
survey-intent-high = Sẵn sàng triển khai
survey-comments = Bạn còn điều gì muốn chia sẻ không? (không bắt buộc)
survey-send = Gửi câu trả lời
survey-thanks-title = Cảm ơn bạn
survey-thanks = Câu trả lời của bạn giúp chúng tôi làm cho mỗi cuộc họp đều xứng đáng với thời gian của bạn.
survey-not-found-title = Không tìm thấy khảo sát
survey-not-found = Đường dẫn khảo sát này không hợp lệ. Vui lòng dùng đường dẫn trong email của bạn.
survey-expired-title = Khảo sát này đã hết hạn
survey-expired = Khảo sát này đã đóng. Dù sao cũng cảm ơn bạn.
survey-answered-title = Đã trả lời
survey-answered = Khảo sát này đã được trả lời. Cảm ơn bạn!
survey-invalid-rating = Mức đánh giá phải là một số nguyên từ 1 đến 5.
survey-invalid-buyer_intent = Vui lòng chọn giai đoạn kế hoạch của bạn.
survey-invalid-comments = Nhận xét của bạn quá dài hoặc chứa ký tự mà chúng tôi không thể lưu.

## Booking page

book-title = Đặt lịch: { $meeting }
book-duration = { $minutes } phút
book-your-time-zone = Múi giờ của bạn
book-search-time-zones = Tìm múi giờ
book-show-times = Xem giờ trống
book-previous-month = Tháng trước
book-next-month = Tháng sau
book-your-details = Thông tin của bạn
book-name = Họ và tên
book-work-email = Email công việc
book-company = Công ty
book-phone = Điện thoại
book-job-title = Chức danh
book-about-plans = Về kế hoạch của bạn
book-budget = Chúng tôi đã có ngân sách
book-authority = Tôi là người quyết định hoặc phê duyệt
book-need = Chúng tôi có vấn đề cần giải quyết
book-timing = Khi nào bạn dự định mua?
book-timing-now = Ngay bây giờ
book-timing-this-quarter = Trong quý này
book-timing-this-year = Trong năm nay
book-timing-later = Sau này
book-timing-unknown = Chưa chắc chắn
book-prepare = Chúng tôi nên chuẩn bị gì không?
book-this-time = Đặt giờ này
book-booked-title = Bạn đã đặt lịch thành công
book-awaiting-title = Đang chờ phê duyệt
book-add-outlook = Outlook.com
book-add-office365 = Office 365
book-join-video = Tham gia cuộc gọi video
book-error-link-used-up = Đường dẫn đặt lịch này đã được dùng hết số lần cho phép.
book-error-qualified-only = Cuộc họp này chỉ dành cho khách hàng tiềm năng đủ điều kiện.
book-error-fields = Vui lòng kiểm tra các trường được đánh dấu bên dưới.

## Manage page

manage-status = Trạng thái
manage-when = Thời gian
manage-with = Với
manage-where = Địa điểm
manage-status-scheduled = Đã xác nhận
manage-status-cancelled = Đã hủy
manage-started = Cuộc họp này đã bắt đầu nên không thể dời hoặc hủy tại đây nữa. Nếu cần thay đổi, vui lòng liên hệ với người chủ trì.
manage-pick-new-time = Chọn thời gian mới
manage-move = Dời cuộc họp
manage-reschedule = Đổi lịch
manage-cancel = Hủy cuộc họp
manage-cancelled-title = Cuộc họp này đã bị hủy
manage-error-pick-time = Vui lòng chọn thời gian mới trước.

## Booking page, month calendar and manage page as redesigned

book-with-inline = với { $hosts }
book-pick-first = Hãy chọn ngày và giờ; sau đó điền thông tin của bạn.
book-times = Giờ trống
book-no-times-this-month = Tháng này không còn giờ trống.
book-see-next-month = Xem tháng sau
book-day-today = { $day }, hôm nay
book-day-no-times = { $day }, không có giờ trống
book-day-today-no-times = { $day }, hôm nay, không có giờ trống
manage-meeting = Cuộc họp
manage-add-to-calendar = Thêm vào lịch của bạn
manage-google = Google Calendar
manage-apple-ics = Apple / khác (.ics)
manage-book-another = Đặt thời gian khác
manage-cancel-question = Hủy cuộc họp này?
manage-keep = Giữ lại
manage-keep-time = Giữ thời gian hiện tại
manage-pick-move = Hãy chọn ngày và giờ mới cho cuộc họp của bạn.
manage-cancel-reason-hosts = Cho người chủ trì biết lý do (không bắt buộc)
manage-our-team = Đội ngũ của chúng tôi
manage-awaiting-next = { $host } sẽ xác nhận thời gian qua email, thường trong vòng { $hours } giờ. Khung giờ này được giữ cho bạn cho đến lúc đó, và lời mời lịch sẽ được gửi ngay khi cuộc họp được xác nhận.
manage-booked-next = Lời mời lịch đang được gửi đến { $email }.
manage-headline-moved = Cuộc họp của bạn đã được dời
manage-headline-declined = Yêu cầu này đã bị từ chối
manage-headline-expired = Yêu cầu này đã hết hạn
manage-headline-completed = Cuộc họp này đã diễn ra
manage-status-completed = Đã hoàn tất
manage-status-closed = Đã đóng
manage-notice-moved-invite = Cuộc họp của bạn đã được dời. Lời mời đã cập nhật đang được gửi đến bạn.
manage-notice-cancelled-told = Cuộc họp của bạn đã được hủy. Người chủ trì đã được thông báo.
manage-calendar-details = Quản lý cuộc họp này: { $url }
manage-headline-requested = Chúng tôi đã nhận yêu cầu của bạn
book-error-pick-time = Vui lòng chọn một khung giờ trước.
book-error-taken-kept = Khung giờ đó vừa có người đặt. Thông tin của bạn vẫn được giữ: hãy chọn giờ khác bên dưới.
book-error-rate-limited = Có quá nhiều lượt đặt lịch từ mạng của bạn trong lúc này. Hãy đợi { $seconds } giây rồi đặt lại: thông tin của bạn vẫn được giữ.
