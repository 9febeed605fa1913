#!/usr/bin/env bash
# Routing decisions over HTTP: POST /route/{slug} 300 times, one after another, each a new lead
# scored, a rule over nested conditions, and 20 round-robin hosts' free time over the next 14
# days read; release build, SQLite (PostgreSQL when CONVENE_TEST_DATABASE_URL names a server).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test api routing_decisions_over_twenty_hosts -- --ignored --nocapture
