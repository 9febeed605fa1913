#!/usr/bin/env bash
# Times a 10,000-row lead import on SQLite (release build): once through the CLI, once through
# POST /api/v1/leads/import (the integration test, which asserts < 5 s in release builds).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${ROWS:-10000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$rows" > "$work/leads.csv" <<'PY'
import sys
rows = int(sys.argv[1])
print("email,name,title,company,source,campaign,bant_budget,bant_authority,bant_need,bant_timing,industry")
for n in range(rows):
    print(f"lead{n}@example.com,Lead Número {n},Director of IT,\"Company {n % 300}, Inc\",webinar,"
          f"spring-{n % 7},yes,{'yes' if n % 3 else 'no'},{n % 2},this_quarter,fintech")
PY

cargo build --release --quiet
echo "CLI import of $rows rows (fresh SQLite database):"
start=$(date +%s.%N)
./target/release/convene --database-url "sqlite://$work/bench.db" leads import "$work/leads.csv" 2>/dev/null
end=$(date +%s.%N)
python3 -c "print(f'  {float($end) - float($start):.2f} s including start-up and migrations')"

echo "HTTP import of 10,000 rows:"
cargo test --release --quiet --test api ten_thousand_rows_import_in_batches -- --nocapture 2>&1 | grep 'imported' | sed 's/^/  /'
