#!/usr/bin/env bash
# Benchmark: event-uplift v2's placebo test on REAL counts (the simulated one is
# event-calibration.sh). A node is made from a converted data directory (sensors.csv,
# counts-wide.csv, public-holidays.csv, SOURCE.txt; see deploy/bench/real-data/README.md), and in
# every zone each ordinary day of each calendar year is declared a one-day event
# (`townbench-node indicators --indicator event-uplift --calibration --zone Z --from --to`). Prints
# what the import refused and why, the flatline days `status` finds, then per zone and year how often
# the interval excludes 0 (false positives; should be about 1 − level), how often v1's range did, how
# often an injected +20 % effect is detected and the smallest uplift detectable with 80 % power.
# With --monthly it also prints, per calendar month, how often v2's interval and v1's range exclude
# 0 (the placebo test of each month alone), and per zone the median placebo uplift (observed ÷
# expected − 1 of each ordinary day) from one ad-hoc window per day, as the placebo JSON has no
# per-day figures: slow, about 2 s per zone and day on an idle machine, a zone-year ≈ 12 min.
# Usage: deploy/bench/event-calibration-real.sh DATA_DIR [--level L] [--years "2023 2024 2025"]
#        [--zones "a b"] [--time-zone Z] [--monthly] [--keep NODE_DIR]
# Needs: the Swift toolchain and python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/../.."

usage="usage: deploy/bench/event-calibration-real.sh DATA_DIR [--level L] [--years \"Y ...\"] [--zones \"Z ...\"] [--time-zone Z] [--monthly] [--keep NODE_DIR]"
[[ $# -ge 1 ]] || { echo "$usage" >&2; exit 64; }
data=$1; shift
level=0.9
years="2023 2024 2025"
zones=""
time_zone=Pacific/Auckland
monthly=0
keep=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --level) level=$2; shift 2 ;;
    --years) years=$2; shift 2 ;;
    --zones) zones=$2; shift 2 ;;
    --time-zone) time_zone=$2; shift 2 ;;
    --monthly) monthly=1; shift ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "event-calibration-real.sh: unknown argument $1; $usage" >&2; exit 64 ;;
  esac
done
for f in sensors.csv counts-wide.csv public-holidays.csv; do
  [[ -f "$data/$f" ]] || { echo "event-calibration-real.sh: $data/$f is missing; make DATA_DIR with deploy/bench/real-data/ (see its README.md)" >&2; exit 66; }
done

echo "event-calibration-real.sh: building townbench-node" >&2
swift build --product townbench-node >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/townbench-bench-real.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A copy, so a rebuild during the long run cannot swap the binary under it.
bin="$work/townbench-node"
cp "$(swift build --show-bin-path)/townbench-node" "$bin"
node=${keep:-$work/node}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(date -u +%Y-%m-%dT%H:%MZ)"
[[ -f "$data/SOURCE.txt" ]] && sed 's/^/== data: /' "$data/SOURCE.txt"
if [[ ! -f "$node/node.sqlite" ]]; then
  "$bin" init --dir "$node" --town real --tenant bench --time-zone "$time_zone" >/dev/null
  "$bin" sensors import --dir "$node" "$data/sensors.csv" >&2
  "$bin" import --dir "$node" --format public-holidays "$data/public-holidays.csv" >&2
  started=$(date +%s)
  rc=0
  "$bin" import --dir "$node" --format counts --layout wide --minutes 60 --rejects "$work/rejects.csv" \
    "$data/counts-wide.csv" >&2 || rc=$?
  [[ $rc == 0 || $rc == 3 ]] || { echo "event-calibration-real.sh: the counts import failed (exit $rc)" >&2; exit "$rc"; }
  echo "== counts import: $(( $(date +%s) - started )) s (debug build), exit $rc"
  if [[ -f "$work/rejects.csv" ]]; then
    python3 - "$work/rejects.csv" <<'PY'
import collections, csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
reasons = collections.Counter(re.sub(r"'[^']*'", "'…'", r["reason"]) for r in rows)
print(f"== rows set aside by --rejects: {len(rows)}")
for reason, n in reasons.most_common():
    print(f"   {n:6d}  {reason}")
PY
  fi
fi
"$bin" status --dir "$node" >"$work/status.txt"
# The holidays line and each sensor's missing, incomplete and flatline days (a dead counter that
# reports zeros is judged invalid, not "no visitors").
python3 - "$work/status.txt" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
for line in lines:
    if line.startswith("Public holidays") or "level shift" in line.lower():
        print(f"== status: {line}")
header = next((i for i, l in enumerate(lines) if l.split()[:2] == ["sensor", "zone"]), None)
if header is not None:
    print("== status: sensor, zone, missing / incomplete / flatline days")
    for line in lines[header + 1:]:
        cells = line.split()
        if len(cells) < 5:
            break
        print(f"   {cells[0]:34} {cells[1]:12} {cells[-3]:>5} / {cells[-2]:>4} / {cells[-1]:>5}")
PY
[[ -n "$zones" ]] || zones=$(python3 -c 'import csv, sys; print(" ".join(dict.fromkeys(r["zone"] for r in csv.DictReader(open(sys.argv[1])))))' "$data/sensors.csv")

echo "== event-uplift v2 placebo test, level $level, one-day events on every ordinary day of each year"
for zone in $zones; do
  for year in $years; do
    "$bin" indicators --dir "$node" --indicator event-uplift --calibration --zone "$zone" --level "$level" \
      --from "$year-01-01" --to "$year-12-31" --json >"$work/placebo-$zone-$year.json"
  done
done
python3 - "$work" "$years" $zones <<'PY'
import json, sys
d, years, zones = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
fmt = lambda x: "-" if x is None else f"{x * 100:.1f}%"
print(f"{'zone':12} {'year':5} {'class':9} {'days':>5} {'v2 excl. 0':>11} {'v1 range excl. 0':>17} {'+20% detected':>14} {'MDE 80%':>8}")
for y in years:
    tot = {"days": 0, "fp": 0, "det": 0.0, "v1": 0}
    for z in zones:
        p = json.load(open(f"{d}/placebo-{z}-{y}.json"))["placebo"]
        for r in p["rows"]:
            print(f"{z:12} {y:5} {r.get('dayClass') or 'all':9} {r['days']:5d} {fmt(r['falsePositiveRate']):>11} "
                  f"{fmt(r['v1RangeFalsePositiveRate']):>17} {fmt(r['detectionRate']):>14} {fmt(r['minimumDetectableUplift']):>8}")
            if r.get("dayClass") is None:
                tot["days"] += r["days"]; tot["fp"] += r["falsePositives"]; tot["v1"] += r["v1RangeFalsePositives"]
                tot["det"] += (r["detectionRate"] or 0) * r["days"]
    n = tot["days"]
    if n:
        print(f"== {y}, all zones: {n} zone-days; v2 interval excludes 0 on {tot['fp']} ({tot['fp'] / n * 100:.1f}%); "
              f"v1 range on {tot['v1']} ({tot['v1'] / n * 100:.1f}%); +20% detected on {tot['det'] / n * 100:.1f}%")
    else:
        print(f"== {y}: no ordinary day with an interval (too little history?)")
PY

[[ $monthly == 1 ]] || exit 0
echo "== per calendar month, all zones: the placebo test of that month alone (--calibration --from --to)"
for zone in $zones; do
  for year in $years; do
    for month in 01 02 03 04 05 06 07 08 09 10 11 12; do
      last=$(python3 -c 'import calendar, sys; y, m = int(sys.argv[1]), int(sys.argv[2]); print(f"{y}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}")' "$year" "$month")
      "$bin" indicators --dir "$node" --indicator event-uplift --calibration --zone "$zone" --level "$level" \
        --from "$year-$month-01" --to "$last" --json >"$work/month-$zone-$year-$month.json"
    done
  done
done
python3 - "$work" "$years" $zones <<'PY'
import json, sys
d, years, zones = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
tally = {m: [0, 0, 0] for m in range(1, 13)}  # days, v2 false positives, v1 range false positives
for z in zones:
    for y in years:
        for m in range(1, 13):
            row = next(r for r in json.load(open(f"{d}/month-{z}-{y}-{m:02d}.json"))["placebo"]["rows"] if r.get("dayClass") is None)
            t = tally[m]; t[0] += row["days"]; t[1] += row["falsePositives"]; t[2] += row["v1RangeFalsePositives"]
print(f"{'':18} " + " ".join(f"{m:>6}" for m in months))
print(f"{'days':18} " + " ".join(f"{tally[m][0]:6d}" for m in range(1, 13)))
for name, i in (("v2 excl. 0", 1), ("v1 range excl. 0", 2)):
    print(f"{name:18} " + " ".join(f"{tally[m][i] / tally[m][0] * 100:5.1f}%" if tally[m][0] else "     -" for m in range(1, 13)))
PY
echo "== per calendar month, per zone: the median placebo uplift (observed ÷ expected − 1) of the ordinary days"
echo "   (not a public holiday, with a v2 interval), from one ad-hoc one-day window per day (the placebo JSON has no per-day figures)"
python3 - "$bin" "$node" "$data/public-holidays.csv" "$level" "$years" $zones <<'PY'
import csv, datetime as dt, json, statistics, subprocess, sys
bin, node, holidays_file, level, years, zones = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(), sys.argv[6:]
holidays = {r["date"] for r in csv.DictReader(open(holidays_file, encoding="utf-8"))}
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
print(f"{'zone':12} {'year':5} " + " ".join(f"{m:>6}" for m in months), flush=True)
pooled = {}
for z in zones:
    for y in years:
        by_month = {}
        day = dt.date(int(y), 1, 1)
        while day.year == int(y):
            if day.isoformat() not in holidays:
                out = subprocess.run([bin, "indicators", "--dir", node, "--indicator", "event-uplift", "--zone", z,
                                      "--from", day.isoformat(), "--to", day.isoformat(), "--level", level, "--json"],
                                     capture_output=True, text=True)
                result = json.loads(out.stdout).get("eventUpliftV2", {}) if out.returncode == 0 else {}
                if result.get("uplift") is not None and result.get("low") is not None:
                    by_month.setdefault(day.month, []).append(result["uplift"])
                    pooled.setdefault(day.month, []).append(result["uplift"])
            day += dt.timedelta(days=1)
        median = lambda values: f"{statistics.median(values) * 100:+5.1f}%"
        print(f"{z:12} {y:5} " + " ".join(median(by_month[m]) if m in by_month else "     -" for m in range(1, 13)), flush=True)
        # Over the zones so far, so a run stopped early still gives it.
        print(f"{'(all so far)':18} " + " ".join(median(pooled[m]) if m in pooled else "     -" for m in range(1, 13)), flush=True)
PY
