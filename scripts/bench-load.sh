#!/usr/bin/env bash
# Load test of the public booking endpoints on SQLite and PostgreSQL (release build, rate limit
# off): GET /book/{slug}/slots over WINDOW_DAYS days for 3 collective hosts with 500 busy
# intervals each over the next 30 days, and POST /book/{slug}, at 1, 32 and 256 connections.
# Needs wrk (installed if missing).
#
#   DURATION        length of each wrk run (10s)
#   SLOTS_CACHE_MS  public.slots_cache_ms of the server; 0 answers every slots request afresh
#                   (the server's default when unset)
#   WINDOW_DAYS     days of the slots window, from today (30)
#   BACKENDS        which of sqlite and postgres to run ("sqlite postgres")
#   ENDPOINTS       which of slots and booking to load ("slots booking")
#   CONNECTIONS     wrk connection counts ("1 32 256")
#   CONVENE_BIN     the server binary to load, e.g. an earlier build to compare with (built from
#                   this tree in release mode when unset)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
WINDOW_DAYS="${WINDOW_DAYS:-30}"
BACKENDS="${BACKENDS:-sqlite postgres}"
ENDPOINTS="${ENDPOINTS:-slots booking}"
CONNECTIONS="${CONNECTIONS:-1 32 256}"
if [ -n "${SLOTS_CACHE_MS:-}" ]; then export CONVENE__PUBLIC__SLOTS_CACHE_MS="$SLOTS_CACHE_MS"; fi
PORT="${PORT:-18080}"
PG_SERVER="${CONVENE_BENCH_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v sqlite3 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; }
if [ -z "${CONVENE_BIN:-}" ]; then
  cargo build --release --quiet
  CONVENE_BIN=./target/release/convene
fi
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
base="http://127.0.0.1:$PORT"

threads_for() { if [ "$1" -lt 2 ]; then echo 1; else echo 2; fi; }

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

run_backend() {
  local name=$1 url=$2
  echo "## $name"
  CONVENE__SERVER__BIND="127.0.0.1:$PORT" CONVENE__SERVER__PUBLIC_URL="$base" CONVENE__PUBLIC__REQUESTS_PER_MINUTE=0 \
    CONVENE__LOG__LEVEL=warn CONVENE__DATABASE__POOL_SIZE=16 "$CONVENE_BIN" --database-url "$url" serve 2>"$work/$name.log" &
  server_pid=$!
  for _ in $(seq 1 50); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
  key=$("$CONVENE_BIN" --database-url "$url" api-key create --name load --role admin 2>/dev/null)
  auth=(-H "Authorization: Bearer $key" -H "Content-Type: application/json")
  hours='{"mon":[["08:00","20:00"]],"tue":[["08:00","20:00"]],"wed":[["08:00","20:00"]],"thu":[["08:00","20:00"]],"fri":[["08:00","20:00"]],"sat":[["08:00","20:00"]],"sun":[["08:00","20:00"]]}'
  hosts=()
  for zone in Europe/Berlin Europe/London Europe/Paris; do
    id=$(curl -sf "${auth[@]}" -d "{\"email\":\"host-${zone//\//-}@example.com\",\"name\":\"Host\",\"role\":\"host\",\"timezone\":\"$zone\",\"working_hours\":$hours}" "$base/api/v1/users" | json "['id']")
    hosts+=("$id")
  done
  host_list=$(printf '"%s",' "${hosts[@]}")
  type_id=$(curl -sf "${auth[@]}" -d "{\"slug\":\"load\",\"name\":\"Load\",\"duration_minutes\":30,\"host_ids\":[${host_list%,}],\"host_mode\":\"collective\",\"requires_approval\":false,\"min_notice_minutes\":0,\"slot_step_minutes\":15}" "$base/api/v1/meeting-types" | json "['id']")
  lead_id=$(curl -sf "${auth[@]}" -d '{"email":"seed@example.com","name":"Seed"}' "$base/api/v1/leads" | json "['id']")
  slug=$(curl -sf "${auth[@]}" -d "{\"meeting_type_id\":\"$type_id\"}" "$base/api/v1/booking-links" | json "['slug']")
  python3 scripts/load/seed_busy.py "$name" "$type_id" "$lead_id" 500 30 "${hosts[@]}" > "$work/seed.sql"
  # PostgreSQL gets the statistics autovacuum would gather within a minute of a bulk load;
  # without them it plans the busy-time join as a nested loop several times slower.
  if [ "$name" = sqlite ]; then sqlite3 "${url#sqlite://}" < "$work/seed.sql"; else psql -q "$url" < "$work/seed.sql" && psql -q "$url" -c "VACUUM ANALYZE"; fi
  from=$(date -u +%F); to=$(date -u -d "+$((WINDOW_DAYS - 1)) days" +%F)
  slots_url="$base/book/$slug/slots?from=$from&to=$to&tz=Europe/Berlin"
  curl -sf "$slots_url" | python3 -c "import json,sys; s=json.load(sys.stdin)['slots']; print('\n'.join(x['start'] for x in s))" > "$work/slots.txt"
  echo "free slots in the window: $(wc -l < "$work/slots.txt")"
  if [[ " $ENDPOINTS " == *" slots "* ]]; then
    for connections in $CONNECTIONS; do
      echo "### slots, $connections connections (load average $(cut -d" " -f1 /proc/loadavg))"
      wrk -t"$(threads_for "$connections")" -c"$connections" -d"$DURATION" --latency -s scripts/load/statuses.lua "$slots_url" \
        | grep -E "Requests/sec|^ +50%|^ +99%|answers|Socket errors"
    done
  fi
  if [[ " $ENDPOINTS " == *" booking "* ]]; then
    for connections in $CONNECTIONS; do
      echo "### booking, $connections connections (load average $(cut -d" " -f1 /proc/loadavg))"
      SLOTS="$work/slots.txt" wrk -t"$(threads_for "$connections")" -c"$connections" -d"$DURATION" --latency -s scripts/load/book.lua "$base/book/$slug" \
        | grep -E "Requests/sec|^ +50%|^ +99%|answers|Socket errors"
    done
  fi
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

echo "slots cache: ${CONVENE__PUBLIC__SLOTS_CACHE_MS:-default} ms; window: $WINDOW_DAYS days; $(nproc) cores"
if [[ " $BACKENDS " == *" sqlite "* ]]; then
  run_backend sqlite "sqlite://$work/load.db"
fi
if [[ " $BACKENDS " == *" postgres "* ]]; then
  psql -q "$PG_SERVER" -c "DROP DATABASE IF EXISTS convene_load WITH (FORCE)" -c "CREATE DATABASE convene_load"
  run_backend postgres "${PG_SERVER%/*}/convene_load"
  psql -q "$PG_SERVER" -c "DROP DATABASE IF EXISTS convene_load WITH (FORCE)"
fi
