#!/usr/bin/env bash
# Webhook delivery throughput: 10,000 queued deliveries sent by one instance's worker to a local
# receiver and recorded as delivered, release build, on SQLite and (when CONVENE_TEST_DATABASE_URL
# names a server) on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test api ten_thousand_webhook_deliveries -- --ignored --nocapture
