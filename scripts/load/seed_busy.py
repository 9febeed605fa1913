"""Prints SQL that gives each host N held meetings (busy time) over the next D days.

Usage: seed_busy.py DIALECT MEETING_TYPE_ID LEAD_ID N DAYS HOST_ID...
DIALECT is sqlite or postgres; the SQL goes to stdout for sqlite3 or psql.
"""
import datetime
import random
import sys
import uuid

dialect, type_id, lead_id, count, days = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
hosts = sys.argv[6:]
rng = random.Random(42)
now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
stamp = now.strftime("%Y-%m-%d %H:%M:%S")
print("BEGIN;")
for host in hosts:
    for _ in range(count):
        minutes = rng.randrange(0, days * 24 * 12) * 5
        start = now + datetime.timedelta(minutes=minutes)
        end = start + datetime.timedelta(minutes=rng.choice([15, 30, 45, 60]))
        request_id, meeting_id = uuid.uuid4(), uuid.uuid4()
        print(
            "INSERT INTO meeting_requests (id, lead_id, meeting_type_id, status, notes, created_by, created_at, updated_at, "
            "lead_campaign, lead_source) "
            f"SELECT '{request_id}', l.id, '{type_id}', 'pending_approval', NULL, 'system', '{stamp}', '{stamp}', "
            f"l.campaign, l.source FROM leads l WHERE l.id = '{lead_id}';"
        )
        print(
            "INSERT INTO meetings (id, meeting_request_id, status, start_utc, end_utc, prospect_timezone, ics_uid, sequence, "
            "location, manage_token_hash, booking_link_id, created_at, updated_at, requested_at, meeting_type_id, "
            "lead_campaign, lead_source) "
            f"SELECT '{meeting_id}', r.id, 'held', '{start:%Y-%m-%d %H:%M:%S}', '{end:%Y-%m-%d %H:%M:%S}', 'UTC', "
            f"'{meeting_id}@load', 0, NULL, NULL, NULL, '{stamp}', '{stamp}', r.created_at, r.meeting_type_id, "
            f"r.lead_campaign, r.lead_source FROM meeting_requests r WHERE r.id = '{request_id}';"
        )
        print(f"INSERT INTO meeting_hosts (meeting_id, user_id) VALUES ('{meeting_id}', '{host}');")
print("COMMIT;")
