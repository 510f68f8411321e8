#!/usr/bin/env bash
# Import benchmark (issue 2): generate a counts CSV of 100 sensors × 1 year of 15-minute rows
# (3,504,000 rows), then in the same run time
#   (a) the sqlite3 shell's `.import` of the file into an equivalent table keyed by text, and
#   (b) `townbench-node import --format counts` (validation, idempotency, daily/hourly sums),
# and report rows/s, the ratio (target ≥ 0.7) and peak memory (target < 100 MB) of both.
# Usage: deploy/bench/import.sh [SENSORS] [DAYS]     (default 100 365)
set -euo pipefail
cd "$(dirname "$0")/../.."
sensors="${1:-100}"
days="${2:-365}"
scratch="${SCRATCH:-.build-bench}"
work=$(mktemp -d /tmp/townbench-bench-import.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== build (release)" >&2
swift build -c release --scratch-path "$scratch" --product townbench-node >&2
node="$scratch/release/townbench-node"

echo "== generate $sensors sensors × $days days of 15-minute rows" >&2
python3 - "$work" "$sensors" "$days" <<'PY'
import sys, datetime, random
work, sensors, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(42)
with open(f"{work}/sensors.csv", "w") as f:
    f.write("sensor,zone,zone_kind,kind,vendor\n")
    for s in range(sensors):
        f.write(f"sensor-{s:03d},zone-{s // 10},core-shopping,pedestrian,crowdscan\n")
start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
stamps = [(start + datetime.timedelta(minutes=15 * i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(days * 96)]
with open(f"{work}/counts.csv", "w") as f:
    f.write("sensor,start,minutes,measure,count\n")
    for s in range(sensors):
        name = f"sensor-{s:03d}"
        f.write("".join(f"{name},{t},15,pedestrians,{random.randrange(0, 400)}\n" for t in stamps))
PY
rows=$((sensors * days * 96))
ls -l "$work/counts.csv" | awk '{printf "file: %.0f MB, %d rows\n", $5 / 1e6, '"$rows"'}'

measure() {  # measure LABEL COMMAND… → prints seconds and peak RSS (KiB)
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  read -r secs rss < "$work/time"
  echo "$label $secs $rss"
}

echo "== sqlite3 shell .import ($(sqlite3 --version | cut -d' ' -f1))"
cat > "$work/import.sql" <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE counts (sensor TEXT NOT NULL, start TEXT NOT NULL, minutes INTEGER NOT NULL, measure TEXT NOT NULL,
                     count INTEGER NOT NULL, PRIMARY KEY (sensor, start, measure)) WITHOUT ROWID;
BEGIN;
.import --csv --skip 1 $work/counts.csv counts
COMMIT;
SQL
shell=$(measure sqlite3 sqlite3 "$work/shell.sqlite" ".read $work/import.sql")
echo "$shell"

echo "== townbench-node import"
"$node" init --dir "$work/node" --town bench --tenant bench >/dev/null
"$node" sensors import --dir "$work/node" "$work/sensors.csv" >/dev/null
ours=$(measure townbench-node "$node" import --dir "$work/node" --format counts "$work/counts.csv")
echo "$ours"
again=$(measure re-import "$node" import --dir "$work/node" --format counts "$work/counts.csv")
echo "$again"

read -r _ shell_s shell_kb <<<"$shell"
read -r _ ours_s ours_kb <<<"$ours"
read -r _ again_s again_kb <<<"$again"
echo
echo "== results ($(date -u +%F), $(nproc) cores)"
awk -v r="$rows" -v ss="$shell_s" -v sk="$shell_kb" -v os="$ours_s" -v ok="$ours_kb" -v as="$again_s" -v ak="$again_kb" 'BEGIN {
  printf "| sqlite3 shell .import | %.1f s | %.0f k rows/s | %.0f MB peak |\n", ss, r / ss / 1000, sk / 1024
  printf "| townbench-node import | %.1f s | %.0f k rows/s | %.0f MB peak |\n", os, r / os / 1000, ok / 1024
  printf "| townbench-node re-import (all unchanged) | %.1f s | %.0f k rows/s | %.0f MB peak |\n", as, r / as / 1000, ak / 1024
  printf "ratio townbench-node / sqlite3 shell: %.2f (target >= 0.7)\n", ss / os
}'
