#!/usr/bin/env bash
# API conformance: schemathesis generates requests from the served OpenAPI document (valid and
# invalid ones, every operation) and checks each answer against it: no 5xx, only declared
# statuses, content types, headers and bodies, valid data accepted, invalid data refused.
# Runs the real server on a fresh SQLite database and a free port, with an admin API key.
# Needs schemathesis (`pip install schemathesis`). Exits non-zero on any failure.
# SCHEMATHESIS_MAX_EXAMPLES and SCHEMATHESIS_SEED tune the run; extra arguments go to schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-30}"
SEED="${SCHEMATHESIS_SEED:-20261206}"

cargo build --quiet --bin convene
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
database="sqlite://$work/convene.db"
export CONVENE__SERVER__BIND="127.0.0.1:$port" CONVENE__SERVER__PUBLIC_URL="$base" \
  CONVENE__EMAIL__TRANSPORT=file CONVENE__EMAIL__FILE_DIR="$work/outbox" \
  CONVENE__PUBLIC__REQUESTS_PER_MINUTE=0 CONVENE__LOG__LEVEL=warn

./target/debug/convene --database-url "$database" migrate 2>/dev/null
key=$(./target/debug/convene --database-url "$database" api-key create --name schemathesis --role admin 2>/dev/null)
./target/debug/convene --database-url "$database" serve 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/healthz" >/dev/null || { cat "$work/server.log" >&2; echo "the server did not start" >&2; exit 1; }

status=0
config="$PWD/scripts/schemathesis.toml"
(cd "$work" && python3 -m schemathesis.cli --config-file "$config" run "$base/api/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $key" \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 2 \
  --request-timeout 10 \
  --suppress-health-check all \
  --report har --report-har-path "$work/run.har" \
  "$@") || status=$?
# What the run did: answers by status, and the resources its valid requests created.
python3 - "$work/run.har" <<'PY' || status=1
import collections, json, sys, urllib.parse
entries = json.load(open(sys.argv[1]))["log"]["entries"]
statuses = collections.Counter(e["response"]["status"] for e in entries)
created = collections.Counter(
    e["request"]["method"] + " " + urllib.parse.urlsplit(e["request"]["url"]).path
    for e in entries if e["response"]["status"] == 201
)
print(f"requests: {len(entries)}; by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
print(f"created (201): {sum(created.values())}; " + ", ".join(f"{op}: {n}" for op, n in created.most_common(8)))
sys.exit(0 if created else "no request created anything: the valid requests were all refused")
PY
if grep -q "panicked" "$work/server.log"; then
  grep -B2 -A8 "panicked" "$work/server.log" >&2
  status=1
fi
exit "$status"
