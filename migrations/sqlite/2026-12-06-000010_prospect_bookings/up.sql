-- Who a booking made through a link is for, as the live-booking limits count it: the lead's
-- email (kept in lower case) without a +tag after its local part, as ProspectKey in
-- src/booking/rules.rs writes it. Only bookings through links carry it, so only they count.
ALTER TABLE meetings ADD COLUMN prospect_key TEXT;
UPDATE meetings SET prospect_key = (
    SELECT CASE WHEN instr(l.email, '+') > 1
                THEN substr(l.email, 1, instr(l.email, '+') - 1) || substr(l.email, instr(l.email, '@'))
                ELSE l.email END
    FROM meeting_requests r JOIN leads l ON l.id = r.lead_id
    WHERE r.id = meetings.meeting_request_id)
WHERE booking_link_id IS NOT NULL;
CREATE INDEX meetings_prospect ON meetings (prospect_key, start_utc) WHERE prospect_key IS NOT NULL;
