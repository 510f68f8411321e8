#!/usr/bin/env bash
# Coordinator benchmark: accepted, durably committed submissions per second over HTTP on loopback
# (group commit, SQLite WAL synchronous=FULL), against `openssl speed ed25519` verify in the same
# run, plus the empty-route (healthz) rate of the same server. Figures go to BENCHMARKS.md,
# "Submissions over HTTP (coordinator)".
# Usage: deploy/bench/coordinator.sh [SECONDS] [CONNECTIONS] [THREADS]   (default 10 64 connection;
#        THREADS is serve --threads: "connection" or a pool size). SKIP_BUILD=1 reuses the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
connections="${2:-64}"
server_threads="${3:-connection}"
scratch="${SCRATCH:-.build-coord}"
towns="${TOWNS:-2000}"
work=$(mktemp -d /tmp/townbench-coord-bench.XXXXXX)
server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

if [ -z "${SKIP_BUILD:-}" ]; then  # SKIP_BUILD=1 reuses the release binaries already in $scratch
  echo "== build (release)" >&2
  swift build -c release --scratch-path "$scratch" --product townbench-coordinator >&2
  swift build -c release --scratch-path "$scratch" --product bench-coordinator >&2
fi
bin="$scratch/release"

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(date -u +%Y-%m-%dT%H:%MZ), $(openssl version)"
echo "== openssl speed -seconds 3 ed25519"
verify=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/^ *253 bits EdDSA/ {print $NF}')
echo "openssl_verify ${verify}/s (one core, CPU time: the target's basis)"
elapsed=$(openssl speed -elapsed -seconds 3 ed25519 2>/dev/null | awk '/^ *253 bits EdDSA/ {print $NF}')
echo "openssl_verify_elapsed ${elapsed}/s (one process, wall clock: shows how loaded the machine is)"

# Enough distinct envelopes for the run at up to ~10k/s.
per_town=$(( (seconds * 10000) / towns + 1 ))
echo "== preparing $towns towns x $per_town submissions" >&2
token=$("$bin/bench-coordinator" "$work/coord" "$towns" "$per_town" "$work/envelopes.txt")

"$bin/townbench-coordinator" serve --dir "$work/coord" --port 0 --quiet --threads "$server_threads" > "$work/serve.out" 2>&1 &
server_pid=$!
for _ in $(seq 50); do grep -q Listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(awk -F: '/Listening/ {print $NF}' "$work/serve.out")
echo "server: port $port, $server_threads worker threads; wrk -t2 -c$connections -d${seconds}s"

echo "== submissions (distinct, valid, signed)"
out=$(ENVELOPES="$work/envelopes.txt" WRK_THREADS=2 wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s \
    -s deploy/bench/submissions.lua "http://127.0.0.1:$port/" 2>&1)
echo "$out" | grep -E "^(status|wrapped|duration_us|latency_p)"
accepted=$(echo "$out" | awk '$1 == "status" && $2 == 202 {print $3}')
accepted=${accepted:-0}
duration=$(echo "$out" | awk '$1 == "duration_us" {print $2}')
rate=$(awk -v a="$accepted" -v d="$duration" 'BEGIN { printf "%.0f", a / (d / 1e6) }')
echo "accepted_202_per_s $rate"

echo "== empty route (GET /healthz), same server"
health=$(wrk -t2 -c32 -d"$(( seconds / 2 > 3 ? seconds / 2 : 3 ))s" "http://127.0.0.1:$port/healthz" 2>&1)
health_rate=$(echo "$health" | awk '/Requests\/sec/ {printf "%.0f", $2}')
echo "healthz_per_s $health_rate"

curl -s "http://127.0.0.1:$port/metrics" | grep -E "^townbench_coordinator_(commit_batches|committed_submissions)_total" || true
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
stored=$(sqlite3 "$work/coord/coordinator.sqlite" "SELECT count(*) FROM submissions")
echo "stored_after_shutdown $stored (202 answers: $accepted)"

echo "== summary"
awk -v r="$rate" -v v="$verify" -v e="$elapsed" -v h="$health_rate" 'BEGIN {
  printf "accepted durable submissions/s  %d\n", r
  printf "openssl verify/s (one core)     %d   ratio %.2f (target >= 0.50)\n", v, r / v
  printf "openssl verify/s (wall clock)    %d   ratio %.2f\n", e, r / e
  printf "healthz/s                       %d   submissions/healthz %.3f\n", h, r / h
}'
