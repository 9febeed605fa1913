#!/usr/bin/env bash
# Webhook delivery with two instances on one PostgreSQL database (release build, not run in CI):
#
#   A. 5,000 `lead.created` events (a CLI import of new leads) × 2 subscriptions = 10,000
#      deliveries, sent by two `convene serve` instances; one second after the first delivery
#      arrives one instance is killed with SIGKILL and started again a few seconds later. Reports deliveries expected,
#      distinct (path, webhook-id) received, duplicates and missing, and the elapsed time.
#   B. One instance, idle: 200 leads created one at a time through POST /api/v1/leads with a
#      pause between them; the delay from each event's occurred_at to its arrival at the
#      receiver (median, p95, p99, max).
#
# Usage: scripts/bench-webhooks-instances.sh [postgres://user:pass@host:port]
# Environment: POLL_MS (unset: the configured worker.poll_ms, 1,000 ms by default; events
# published by another process, or by a change that does not wake the worker, wait for the next
# poll), ROWS (5000), LEASE_SECS (30, the smallest allowed: how long the killed instance's
# claimed deliveries wait before the other instance may send them), IDLE_EVENTS (200),
# SKIP_BUILD=1 to use the binary as it is, BIN to use another one (default target/release/convene).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

server="${1:-postgres://postgres:postgres@127.0.0.1:5432}"
server="${server%/}"
server="${server%/postgres}"
database="convene_bench_hooks"
url="$server/$database"
rows="${ROWS:-5000}"
lease_secs="${LEASE_SECS:-30}"
idle_events="${IDLE_EVENTS:-200}"
bin="${BIN:-$root/target/release/convene}"

work=$(mktemp -d)
receiver_pid=""
pid_a=""
pid_b=""
cleanup() {
  for pid in $pid_a $pid_b $receiver_pid; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $pid_a $pid_b $receiver_pid; do
    wait "$pid" 2>/dev/null || true
  done
  psql "$server/postgres" -qAtc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
sql() { psql "$url" -qAtc "$1"; }
export PGOPTIONS="-c client_min_messages=warning"  # no NOTICE about a database not there to drop

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  cargo build --release --quiet
fi

psql "$server/postgres" -qAtc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null
psql "$server/postgres" -qAtc "CREATE DATABASE $database" >/dev/null
"$bin" --database-url "$url" migrate 2>/dev/null

python3 "$root/scripts/bench/webhook_receiver.py" "$work/received.log" "$work/receiver.port" &
receiver_pid=$!
for _ in $(seq 100); do [[ -s "$work/receiver.port" ]] && break; sleep 0.1; done
receiver_port=$(cat "$work/receiver.port")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_a=$(free_port)
port_b=$(free_port)

# Starts an instance on port $1, logging to $2; prints its pid.
start_instance() {
  CONVENE__SERVER__BIND="127.0.0.1:$1" \
  CONVENE__WEBHOOKS__ALLOW_PRIVATE_DESTINATIONS=true \
  CONVENE__WEBHOOKS__LEASE_SECS="$lease_secs" \
  CONVENE__EMAIL__TRANSPORT=file \
  CONVENE__EMAIL__FILE_DIR="$work/outbox" \
  CONVENE__LOG__FORMAT=json \
  RUST_LOG=warn \
    env ${POLL_MS:+CONVENE__WORKER__POLL_MS=$POLL_MS} "$bin" --database-url "$url" serve >>"$2" 2>&1 &
  echo $!
}
wait_healthy() {
  for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "the instance on port $1 did not start" >&2
  return 1
}

pid_a=$(start_instance "$port_a" "$work/a.log")
pid_b=$(start_instance "$port_b" "$work/b.log")
wait_healthy "$port_a"
wait_healthy "$port_b"

key=$("$bin" --database-url "$url" api-key create --name bench --role admin 2>/dev/null)
api() { curl -fsS -H "Authorization: Bearer $key" -H "Content-Type: application/json" "$@"; }
for path in a b; do
  api -o /dev/null "http://127.0.0.1:$port_a/api/v1/webhooks" \
    -d "{\"url\": \"http://127.0.0.1:$receiver_port/$path\", \"events\": [\"*\"]}"
done

python3 - "$rows" >"$work/leads.csv" <<'PY'
import sys
print("email,name,company,source,campaign")
for n in range(int(sys.argv[1])):
    print(f"bench{n}@example.com,Lead {n},Company {n % 300},webinar,winter-{n % 5}")
PY

echo "== A. two instances, $rows events × 2 subscriptions, one instance killed (SIGKILL) and restarted"
echo "   database $url, receiver :$receiver_port, instances :$port_a and :$port_b, lease ${lease_secs} s, worker.poll_ms ${POLL_MS:-as configured}"
start_ms=$(now_ms)
"$bin" --database-url "$url" leads import "$work/leads.csv" >"$work/import.out" 2>"$work/import.err" &
import_pid=$!
# Killed one second after the first delivery arrives, so that both instances are sending.
for _ in $(seq 600); do [[ -s "$work/received.log" ]] && break; sleep 0.05; done
first_ms=$(now_ms)
sleep 1
kill -9 "$pid_b"
kill_ms=$(now_ms)
wait "$pid_b" 2>/dev/null || true
import_state=$(kill -0 "$import_pid" 2>/dev/null && echo "still running" || echo "finished")
echo "   first delivery at +$(( first_ms - start_ms )) ms"
echo "   killed the instance on :$port_b at +$(( kill_ms - start_ms )) ms (import $import_state," \
  "$(wc -l <"$work/received.log") requests received so far)"
sleep 3
pid_b=$(start_instance "$port_b" "$work/b.log")
wait_healthy "$port_b"
restart_ms=$(now_ms)
echo "   restarted it at +$(( restart_ms - start_ms )) ms"
wait "$import_pid"
echo "   import: $(tail -n 1 "$work/import.out")"

deadline=$(( $(date +%s) + lease_secs + 300 ))
while :; do
  waiting=$(sql "SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'retrying')")
  [[ "$waiting" == 0 ]] && break
  if (( $(date +%s) > deadline )); then
    echo "   gave up waiting: $waiting deliveries still pending or retrying" >&2
    break
  fi
  sleep 0.2
done
done_ms=$(now_ms)
sleep 0.5 # the receiver logs a request just before it answers
echo "   queue empty at +$(( done_ms - start_ms )) ms"
echo "   delivery rows by status: $(sql "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM webhook_deliveries GROUP BY status) s")"
echo "   rows attempted more than once: $(sql "SELECT count(*) FROM webhook_deliveries WHERE attempts > 1")"
sql "SELECT substring(s.url from '[^/]+\$') || ' ' || d.event_id FROM webhook_deliveries d
     JOIN webhook_subscriptions s ON s.id = d.subscription_id" | sed 's|^|/|' >"$work/expected.txt"
python3 "$root/scripts/bench/webhook_report.py" once "$work/expected.txt" "$work/received.log" \
  "$start_ms" "$kill_ms" "$restart_ms" | sed 's/^/   /'

echo "== B. one instance, idle: $idle_events leads created one at a time, occurred_at to arrival"
kill "$pid_b"
wait "$pid_b" 2>/dev/null || true
pid_b=""
sleep 2
since_ms=$(now_ms)
for n in $(seq "$idle_events"); do
  api -o /dev/null "http://127.0.0.1:$port_a/api/v1/leads" \
    -d "{\"email\": \"idle$n@example.com\", \"name\": \"Idle $n\"}"
  sleep 0.1
done
expected_idle=$(( idle_events * 2 ))
for _ in $(seq 100); do
  arrived=$(awk -v since="$since_ms" '$3 >= since' "$work/received.log" | wc -l)
  (( arrived >= expected_idle )) && break
  sleep 0.1
done
echo "   $arrived of $expected_idle deliveries arrived"
python3 "$root/scripts/bench/webhook_report.py" latency "$work/received.log" "$since_ms" | sed 's/^/   /'
