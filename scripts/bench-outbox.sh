#!/usr/bin/env bash
# Outbox throughput: 10,000 queued emails drained by `convene serve` through the SMTP sink
# (a real SMTP server process) and through the file transport, release build, SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q aiosmtpd
cargo test --release --test cli ten_thousand_queued_emails_drain_within_a_minute \
  -- --ignored --nocapture
