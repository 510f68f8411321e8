#!/usr/bin/env bash
# Benchmark: event-uplift v2's calibration on a simulated NETWORK, node and coordinator side by side.
# N towns (default 8, inland and coastal) are simulated by the node simulator with ONE shared seed,
# so they share each day's weather (Sources/Node/Simulation); each node computes its own placebo test
# (`townbench-node indicators --indicator event-uplift --calibration`), pushes its aggregates to a
# real local coordinator, and the coordinator's calibration endpoint
# (GET /v1/tenants/{tenant}/calibration) gives, for the same zone and days, the town's own v2 over
# whole days and the peer-adjusted v2 (the other towns as controls). Printed per town and in total:
# how often the interval excludes 0 on ordinary days (false positives; target: the level's
# complement ± 2 points) and how often an injected +20 % is detected (target ≥ 80 %), with the
# spread of each form's errors on ordinary days (figures: BENCHMARKS.md).
# Usage: deploy/bench/event-calibration-network.sh [--towns "oostkamp blankenberge ..."] [--level L]
#        [--end DATE] [--years N] [--seed N] [--zone Z] [--keep DIR]
# Needs: the Swift toolchain, curl and python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/../.."

towns="oostkamp blankenberge diksmuide harelbeke menen veurne waregem dendermonde"
level=0.9
end=2025-11-30
years=3
seed=7
zone=centre
keep=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --towns) towns=$2; shift 2 ;;
    --level) level=$2; shift 2 ;;
    --end) end=$2; shift 2 ;;
    --years) years=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --zone) zone=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "event-calibration-network.sh: unknown argument $1; see the header for usage" >&2; exit 64 ;;
  esac
done

echo "event-calibration-network.sh: building townbench-node and townbench-coordinator" >&2
swift build --product townbench-node >&2
swift build --product townbench-coordinator >&2
bin="$(swift build --show-bin-path)"
node="$bin/townbench-node"
coordinator="$bin/townbench-coordinator"
if [[ -n "$keep" ]]; then
  rm -rf "$keep"; mkdir -p "$keep"; dir=$(cd "$keep" && pwd)
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/townbench-bench-network.XXXXXX")
fi
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  [[ -n "$keep" ]] || rm -rf "$dir"
}
trap cleanup EXIT

# The placebo period: the 364 days up to --end (as the node's --calibration defaults to).
from=$(date -u -d "$end -363 days" +%F)
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== event-uplift v2 placebo test on a network: $(wc -w <<<"$towns") towns, seed $seed, $years years to $end;"
echo "   zone $zone, one-day events on every ordinary day $from – $end, level $level, injected +20 %"

# --- The coordinator -----------------------------------------------------------------------------
"$coordinator" init --dir "$dir/coordinator" >"$dir/coordinator-init.txt"
coordinator_key="$(sed -nE 's/.*public key ([0-9a-f]{64}).*/\1/p' "$dir/coordinator-init.txt")"
"$coordinator" tenant add --dir "$dir/coordinator" --tenant bench --peers named >/dev/null
"$coordinator" serve --dir "$dir/coordinator" --port 0 --quiet >"$dir/coordinator.log" 2>&1 &
server=$!
port=""
for _ in $(seq 1 200); do
  port=$(sed -nE 's/^Listening on .*:([0-9]+)$/\1/p' "$dir/coordinator.log")
  [[ -n "$port" ]] && break
  kill -0 "$server" 2>/dev/null || { echo "the coordinator did not start:" >&2; cat "$dir/coordinator.log" >&2; exit 1; }
  sleep 0.1
done
url="http://127.0.0.1:$port"

# --- One node per town: simulate, the node's own placebo test, enrol, push -------------------------
t0=$(date +%s)
for town in $towns; do
  nd="$dir/nodes/$town"
  "$node" init --dir "$nd" --town "$town" --tenant bench >/dev/null
  "$node" simulate --dir "$nd" --years "$years" --end "$end" --seed "$seed" >/dev/null
  "$node" indicators --dir "$nd" --indicator event-uplift --calibration --zone "$zone" --level "$level" \
    --from "$from" --to "$end" --json >"$dir/$town.node.json"
  "$node" configure --dir "$nd" --coordinator "$url" --coordinator-key "$coordinator_key" >/dev/null
  "$node" enroll-request --dir "$nd" >"$nd/enroll-request.json"
  "$coordinator" town enroll --dir "$dir/coordinator" --tenant bench "$nd/enroll-request.json" >/dev/null
  "$node" push --dir "$nd" >"$nd/push.log" 2>&1 || { echo "push of $town failed:" >&2; cat "$nd/push.log" >&2; exit 1; }
  echo "   $town: simulated, calibrated on the node and pushed ($(( $(date +%s) - t0 )) s so far)" >&2
done

# --- The coordinator's calibration of each town ----------------------------------------------------
token=$("$coordinator" token issue --dir "$dir/coordinator" --role coordinator --tenant bench --expires 1h | sed -n 's/^Token: //p')
for town in $towns; do
  start=$(date +%s%N)
  curl -sS --fail-with-body -H "Authorization: Bearer $token" \
    "$url/v1/tenants/bench/calibration?town=$town&zone=$zone&from=$from&to=$end&level=$level" >"$dir/$town.coordinator.json"
  echo "   $town: coordinator calibration in $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
done

python3 - "$dir" $towns <<'PY'
import json, sys
d, towns = sys.argv[1], sys.argv[2:]
forms = [("node v2", "node"), ("coord. own v2", "own"), ("coord. peer-adj.", "peer")]

def rows(town):
    """The 'all days' row of each form: the node's placebo and the coordinator's two."""
    node = json.load(open(f"{d}/{town}.node.json"))["placebo"]
    coordinator = json.load(open(f"{d}/{town}.coordinator.json"))
    everything = lambda rs: next(r for r in rs if r.get("dayClass") is None)
    return {"node": everything(node["rows"]), "own": everything(coordinator["own"]["rows"]),
            "peer": everything(coordinator["peerAdjusted"]["rows"]),
            "spread": {"own": coordinator["own"]["errorSpread"], "peer": coordinator["peerAdjusted"]["errorSpread"]}}

fmt = lambda x: "-" if x is None else f"{x * 100:.1f}%"
print(f"{'town':13} {'form':17} {'days':>5} {'excl. 0':>8} {'+20% det.':>10} {'MDE 80%':>8}   errors: mean, median |e|, 90th pct |e|")
total = {key: {"days": 0, "fp": 0, "det": 0.0} for _, key in forms}
for t in towns:
    r = rows(t)
    for name, key in forms:
        row = r[key]
        spread = r["spread"].get(key) or {}
        sp = "" if not spread else (f"{fmt(spread['meanError'])}, {fmt(spread['medianAbsoluteError'])}, "
                                    f"{fmt(spread['absoluteError90'])}")
        print(f"{t:13} {name:17} {row['days']:5d} {fmt(row['falsePositiveRate']):>8} {fmt(row['detectionRate']):>10} "
              f"{fmt(row['minimumDetectableUplift']):>8}   {sp}")
        total[key]["days"] += row["days"]; total[key]["fp"] += row["falsePositives"]
        total[key]["det"] += (row["detectionRate"] or 0) * row["days"]
print("== total over the towns (target: false positives within ±2 points of the level's complement, +20 % detected ≥ 80 %)")
for name, key in forms:
    n = total[key]["days"]
    if n == 0:
        print(f"   {name:17} no days"); continue
    print(f"   {name:17} {n:5d} ordinary days: interval excludes 0 on {total[key]['fp']} ({total[key]['fp'] / n * 100:.1f}%), "
          f"+20% detected on {total[key]['det'] / n * 100:.1f}%")
PY
