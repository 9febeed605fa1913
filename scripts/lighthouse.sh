#!/usr/bin/env bash
# Lighthouse (npm `lighthouse`, its default mobile preset) on the prospect's pages: the booking
# page, the confirmation right after booking, and the manage page with its reschedule picker,
# against a server on a fresh SQLite database holding the demo data. Prints each page's
# performance, accessibility and best-practices scores, the bytes it transferred and any
# request to another origin, and fails when a page scores under 95 / 100 / 100, weighs 60 KB or
# more compressed, or asks a third party for anything.
#
#   scripts/lighthouse.sh            (needs chromium and npm; CHROME_PATH picks another Chrome;
#                                     LIGHTHOUSE_PROFILE=debug measures the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."

port=${LIGHTHOUSE_PORT:-18097}
base="http://127.0.0.1:$port"
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x tests/support/lighthouse/node_modules/.bin/lighthouse ]; then
  npm ci --prefix tests/support/lighthouse --no-audit --no-fund --loglevel=error
fi
profile=${LIGHTHOUSE_PROFILE:-release}
if [ "$profile" = release ]; then cargo build --release --bin convene; else cargo build --bin convene; fi
convene() { "target/$profile/convene" --database-url "sqlite://$work/convene.db" "$@"; }

export CONVENE__SERVER__BIND="127.0.0.1:$port" CONVENE__SERVER__PUBLIC_URL="$base"
convene migrate >/dev/null
echo "lighthouse-demo-password" | convene demo --password-stdin >/dev/null
key=$(convene api-key create --name lighthouse --role admin | tail -n 1)
"target/$profile/convene" --database-url "sqlite://$work/convene.db" serve >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/serve.log" >&2; exit 1; fi
  sleep 0.2
done

# A new link to a meeting type booked without approval, its first free time, and a booking.
pages=$(KEY="$key" BASE="$base" node - <<'EOF'
const base = process.env.BASE;
const headers = { authorization: `Bearer ${process.env.KEY}` };
const get = async (path) => (await fetch(base + path, { headers })).json();
(async () => {
  const listed = await get("/api/v1/meeting-types");
  if (!listed.items) throw new Error(`meeting types: ${JSON.stringify(listed)}`);
  const types = listed.items;
  const type = types.find((t) => t.active && !t.requires_approval);
  const link = await (await fetch(`${base}/api/v1/booking-links`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ meeting_type_id: type.id }),
  })).json();
  const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
  const slots = await get(`/book/${link.slug}/slots?from=${day(1)}&to=${day(14)}&tz=Europe/Berlin`);
  const booked = await (await fetch(`${base}/book/${link.slug}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ start: slots.slots[0].start, name: "Lena Lighthouse",
      email: "lena@lighthouse.example", company: "Lighthouse GmbH", timezone: "Europe/Berlin" }),
  })).json();
  const manage = new URL(booked.manage_url).pathname;
  console.log(`booking ${base}/book/${link.slug}?tz=Europe/Berlin`);
  console.log(`confirmation ${base}${manage}?booked=1`);
  console.log(`manage ${base}${manage}?reschedule=1`);
})().catch((error) => { console.error(error); process.exit(1); });
EOF
)

export CHROME_PATH=${CHROME_PATH:-$(command -v chromium || command -v google-chrome)}
failed=0
printf '| page | performance | accessibility | best practices | transferred | other origins |\n'
printf '|---|---|---|---|---|---|\n'
while read -r name url; do
  tests/support/lighthouse/node_modules/.bin/lighthouse "$url" --quiet \
    --only-categories=performance,accessibility,best-practices \
    --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --user-data-dir=$work/chrome-$name" \
    --output=json --output-path="$work/$name.json" || { echo "lighthouse failed on $name" >&2; exit 1; }
  line=$(BASE="$base" node -e '
    const report = require(process.argv[1]);
    const score = (id) => Math.round(report.categories[id].score * 100);
    const bytes = report.audits["total-byte-weight"].numericValue;
    const requests = report.audits["network-requests"].details.items;
    const others = requests.filter((r) => !r.url.startsWith(process.env.BASE) && !r.url.startsWith("data:"));
    const ok = score("performance") >= 95 && score("accessibility") === 100 &&
      score("best-practices") === 100 && bytes < 60 * 1024 && others.length === 0;
    console.log([score("performance"), score("accessibility"), score("best-practices"),
      (bytes / 1024).toFixed(1) + " KB", others.length, ok ? "ok" : "FAIL"].join(" "));
    if (!ok) {
      for (const [id, audit] of Object.entries(report.audits)) {
        if (audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === "binary") {
          console.error(`  ${id}: ${audit.title}`);
        }
      }
    }' "$work/$name.json")
  read -r performance accessibility practices size unit others verdict <<<"$line"
  printf '| %s | %s | %s | %s | %s %s | %s |\n' "$name" "$performance" "$accessibility" "$practices" "$size" "$unit" "$others"
  if [ "$verdict" != ok ]; then failed=1; fi
done <<<"$pages"
if [ "$failed" -ne 0 ]; then
  echo "a page is under 95 for performance, under 100 for accessibility or best practices, 60 KB or heavier, or asks another origin" >&2
  exit 1
fi
