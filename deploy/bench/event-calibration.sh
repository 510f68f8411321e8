#!/usr/bin/env bash
# Benchmark: is event-uplift v2's interval honest? Simulated towns (Sources/Node/Simulation: weekly
# pattern, a climb towards December, a summer dip, holidays, weather, outages) get 3 years of data;
# every ordinary day of their last year in the centre zone is declared as a one-day event
# (`townbench-node indicators --indicator event-uplift --calibration`). Prints, per town and in
# total, how often the 90 % interval excludes 0 (false positives; should be about 10 %), how often
# v1's range did, and how often an injected +20 % effect is detected (figures: BENCHMARKS.md).
# Usage: deploy/bench/event-calibration.sh [--level L] [--towns "harelbeke menen ..."] [--end DATE]
# Needs: the Swift toolchain and python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/../.."

level=0.9
towns="harelbeke menen waregem blankenberge"
end=2025-11-30
while [[ $# -gt 0 ]]; do
  case $1 in
    --level) level=$2; shift 2 ;;
    --towns) towns=$2; shift 2 ;;
    --end) end=$2; shift 2 ;;
    *) echo "event-calibration.sh: unknown argument $1; see the header for usage" >&2; exit 64 ;;
  esac
done

echo "event-calibration.sh: building townbench-node" >&2
swift build --product townbench-node >&2
bin="$(swift build --show-bin-path)/townbench-node"
dir=$(mktemp -d "${TMPDIR:-/tmp}/townbench-bench-event.XXXXXX")
trap 'rm -rf "$dir"' EXIT

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== event-uplift v2 placebo test, level $level, one-day events on every ordinary day of the year to $end"
for town in $towns; do
  "$bin" init --dir "$dir/$town" --town "$town" --tenant bench >/dev/null
  "$bin" simulate --dir "$dir/$town" --years 3 --end "$end" >/dev/null
  "$bin" indicators --dir "$dir/$town" --indicator event-uplift --calibration --zone centre --level "$level" --json \
    >"$dir/$town.json"
done
python3 - "$dir" $towns <<'PY'
import json, sys
d, towns = sys.argv[1], sys.argv[2:]
tot = {"days": 0, "fp": 0, "det": 0.0, "v1": 0}
print(f"{'town':14} {'class':9} {'days':>5} {'v2 excl. 0':>11} {'v1 range excl. 0':>17} {'+20% detected':>14} {'MDE 80%':>8}")
for t in towns:
    p = json.load(open(f"{d}/{t}.json"))["placebo"]
    for r in p["rows"]:
        fmt = lambda x: "-" if x is None else f"{x * 100:.1f}%"
        print(f"{t:14} {r.get('dayClass') or 'all':9} {r['days']:5d} {fmt(r['falsePositiveRate']):>11} "
              f"{fmt(r['v1RangeFalsePositiveRate']):>17} {fmt(r['detectionRate']):>14} {fmt(r['minimumDetectableUplift']):>8}")
        if r.get("dayClass") is None:
            tot["days"] += r["days"]; tot["fp"] += r["falsePositives"]; tot["v1"] += r["v1RangeFalsePositives"]
            tot["det"] += (r["detectionRate"] or 0) * r["days"]
# The expected value should follow the season: the median placebo uplift per calendar month, per town.
months = {}
for t in towns:
    for m in json.load(open(f"{d}/{t}.json"))["placebo"].get("months", []):
        if m.get("medianUplift") is not None:
            months.setdefault(m["month"], {})[t] = m["medianUplift"]
print("== median placebo uplift per calendar month (target: within ±2 %)")
print(f"{'month':8} " + " ".join(f"{t:>13}" for t in towns))
within = total = 0
for month in sorted(months):
    row = months[month]
    print(f"{month:8} " + " ".join(f"{row[t] * 100:+12.1f}%" if t in row else f"{'-':>13}" for t in towns))
    for v in row.values():
        total += 1
        within += abs(v) <= 0.02
if total:
    print(f"== {within} of {total} town-months within ±2 % ({within / total * 100:.0f}%)")
n = tot["days"]
print(f"== total: {n} ordinary days; v2 interval excludes 0 on {tot['fp']} ({tot['fp'] / n * 100:.1f}%); "
      f"v1 range on {tot['v1']} ({tot['v1'] / n * 100:.1f}%); +20% detected on {tot['det'] / n * 100:.1f}%")
PY
