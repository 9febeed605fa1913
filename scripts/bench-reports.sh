#!/usr/bin/env bash
# Times the funnel and pipeline reports over 1,000,000 leads and 200,000 meetings (release
# build, through HTTP) and prints the query plans of their main queries. Not run in CI.
#
#   scripts/bench-reports.sh sqlite
#   scripts/bench-reports.sh postgres postgres://postgres:postgres@127.0.0.1:5432/postgres
#
# For PostgreSQL the URL names a server where a database convene_bench_reports may be
# (re)created. Targets: < 500 ms on PostgreSQL, < 2 s on SQLite per report.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:?sqlite or postgres}"
runs="${RUNS:-5}"
work=$(mktemp -d)
server_pid=""
drop_bench_database() { :; }
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
    drop_bench_database >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

anchor=$(date -u +%Y-%m-%d)
case "$backend" in
    sqlite)
        url="sqlite://$work/bench.db"
        run_sql() { sqlite3 "$work/bench.db" >/dev/null; }
        ;;
    postgres)
        server="${2:?postgres server URL}"
        psql "$server" -qc "DROP DATABASE IF EXISTS convene_bench_reports WITH (FORCE)" -c "CREATE DATABASE convene_bench_reports"
        url="${server%/*}/convene_bench_reports"
        drop_bench_database() { psql "$server" -qc "DROP DATABASE IF EXISTS convene_bench_reports WITH (FORCE)"; }
        run_sql() { psql "$url" -q -v ON_ERROR_STOP=1 >/dev/null; }
        ;;
    *) echo "backend must be sqlite or postgres" >&2; exit 2 ;;
esac

cargo build --release --quiet
bin=./target/release/convene
"$bin" --database-url "$url" migrate 2>/dev/null

echo "Generating 1,000,000 leads and 200,000 meetings on $backend…"
start=$(date +%s.%N)
python3 scripts/bench/expand.py "$backend" "$anchor 00:00:00" < scripts/bench/reports-data.sql.in | run_sql
end=$(date +%s.%N)
python3 -c "print(f'  loaded in {float($end) - float($start):.0f} s')"

key=$("$bin" --database-url "$url" api-key create --name bench --role marketer 2>/dev/null)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONVENE__SERVER__BIND="127.0.0.1:$port" CONVENE__LOG__LEVEL=warn "$bin" --database-url "$url" serve >"$work/serve.log" 2>&1 &
server_pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done

year_ago=$(date -u -d "$anchor - 365 days" +%Y-%m-%d)
quarter_ago=$(date -u -d "$anchor - 90 days" +%Y-%m-%d)
echo "Report timings (median and best of $runs, milliseconds):"
printf '  %-52s %8s %8s\n' report median best
for path in \
    "funnel?from=$quarter_ago&to=$anchor" \
    "funnel?from=$year_ago&to=$anchor" \
    "funnel?from=$year_ago&to=$anchor&campaign=campaign-7" \
    "pipeline?from=$quarter_ago&to=$anchor&group_by=campaign" \
    "pipeline?from=$year_ago&to=$anchor&group_by=campaign" \
    "pipeline?from=$year_ago&to=$anchor&group_by=source" \
    "pipeline?from=$year_ago&to=$anchor&group_by=meeting_type" \
    "pipeline?from=$year_ago&to=$anchor&group_by=host"; do
    times=()
    for _ in $(seq "$runs"); do
        status_and_time=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' \
            -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/reports/$path")
        [ "${status_and_time%% *}" = 200 ] || { echo "$path answered ${status_and_time%% *}" >&2; exit 1; }
        times+=("${status_and_time#* }")
    done
    python3 - "$path" "${times[@]}" <<'PY'
import statistics, sys
label, times = sys.argv[1], [float(t) * 1000 for t in sys.argv[2:]]
label = label.replace("&to=", " … ").replace("?from=", " ")
print(f"  {label:<52} {statistics.median(times):8.0f} {min(times):8.0f}")
PY
done

echo "Query plans (one year):"
from_ts="$year_ago 00:00:00"
to_ts="$anchor 00:00:00"
meetings_query="SELECT COALESCE(SUM(CASE WHEN m.status IN ('scheduled', 'completed', 'no_show') THEN 1 ELSE 0 END), 0) AS scheduled, COALESCE(SUM(CASE WHEN m.status = 'completed' THEN 1 ELSE 0 END), 0) AS held FROM meetings m WHERE m.start_utc >= '$from_ts' AND m.start_utc < '$to_ts'"
campaign_meetings_query="SELECT COALESCE(SUM(CASE WHEN m.status IN ('scheduled', 'completed', 'no_show') THEN 1 ELSE 0 END), 0) AS scheduled FROM meetings m WHERE m.start_utc >= '$from_ts' AND m.start_utc < '$to_ts' AND m.lead_campaign = 'campaign-7'"
pipeline_query="SELECT m.lead_campaign AS group_key, COALESCE(SUM(CASE WHEN m.status = 'completed' THEN 1 ELSE 0 END), 0) AS held, COUNT(o.id) AS opportunities, CAST(COALESCE(SUM(CASE WHEN o.currency = 'EUR' THEN o.amount_minor ELSE 0 END), 0) AS BIGINT) AS pipeline_minor FROM meetings m LEFT JOIN opportunities o ON o.meeting_id = m.id AND m.status = 'completed' WHERE m.start_utc >= '$from_ts' AND m.start_utc < '$to_ts' GROUP BY m.lead_campaign"
leads_query="SELECT COUNT(*) AS leads, COALESCE(SUM(CASE WHEN l.stage IN ('mql', 'sql', 'opportunity', 'customer') THEN 1 ELSE 0 END), 0) AS mqls FROM leads l WHERE l.created_at >= '$from_ts' AND l.created_at < '$to_ts'"
campaign_leads_query="$leads_query AND l.campaign = 'campaign-7'"
approved_query="SELECT COUNT(*) AS requested, COUNT(r.approved_at) AS approved FROM meeting_requests r WHERE r.created_at >= '$from_ts' AND r.created_at < '$to_ts'"
if [ "$backend" = sqlite ]; then
    seconds="((julianday(m.start_utc) - julianday(m.requested_at)) * 86400.0)"
    median="), o AS (SELECT s, ROW_NUMBER() OVER (ORDER BY s) AS rn, COUNT(*) OVER () AS n FROM d) SELECT AVG(s) FROM o WHERE rn IN ((n + 1) / 2, (n + 2) / 2)"
else
    seconds="CAST(EXTRACT(EPOCH FROM (m.start_utc - m.requested_at)) AS DOUBLE PRECISION)"
    median=") SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FROM d"
fi
median_query="WITH d AS (SELECT $seconds AS s FROM meetings m WHERE m.start_utc >= '$from_ts' AND m.start_utc < '$to_ts' AND m.status IN ('scheduled', 'completed', 'no_show') AND m.start_utc >= m.requested_at$median"
for name in leads_query campaign_leads_query approved_query meetings_query campaign_meetings_query median_query pipeline_query; do
    echo "  $name:"
    if [ "$backend" = sqlite ]; then
        sqlite3 "$work/bench.db" "EXPLAIN QUERY PLAN ${!name}" | sed 's/^/    /'
    else
        psql "$url" -At -c "EXPLAIN (ANALYZE, COSTS OFF) ${!name}" | sed 's/^/    /'
    fi
done
