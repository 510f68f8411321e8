#!/usr/bin/env bash
# What the transparency log (issue 9) costs the submission path: accepted, durably committed
# submissions per second over HTTP with the log (this tree) and without it (BASELINE, the last
# commit before the log), measured alternately in one run with deploy/bench/coordinator.sh, then
# the inclusion-proof latency of a 1,000,000-leaf log served from the SQLite store.
# Usage: deploy/bench/log-overhead.sh [SECONDS] [ROUNDS] [CONNECTIONS]   (default 10 5 64)
#        BASELINE=<commit> (default cde5fc0), LEAVES=<n> (default 1000000). Figures: BENCHMARKS.md.
#        BASELINE_PICKS="<commit> ...": later changes that are not the log but speed up both sides,
#        applied to the baseline too so that only the log differs (default: f2c81e8, SHA-256's
#        EVP_MD fetched once).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
rounds="${2:-5}"
connections="${3:-64}"
baseline="${BASELINE:-cde5fc0}"
leaves="${LEAVES:-1000000}"
root=$(pwd)
work=$(mktemp -d /tmp/townbench-log-overhead.XXXXXX)
cleanup() { git -C "$root" worktree remove --force "$work/baseline" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "== build (release): this tree and the baseline $baseline in a worktree" >&2
git worktree add --detach "$work/baseline" "$baseline" >&2
for pick in ${BASELINE_PICKS-f2c81e8}; do git -C "$work/baseline" cherry-pick --no-commit "$pick" >&2; done
for tree in "$root" "$work/baseline"; do
  (cd "$tree" && swift build -c release --scratch-path "$tree/.build-logbench" --product townbench-coordinator >&2 \
    && swift build -c release --scratch-path "$tree/.build-logbench" --product bench-coordinator >&2)
done

run() {  # $1: tree → prints accepted_202_per_s
  (cd "$1" && SKIP_BUILD=1 SCRATCH="$1/.build-logbench" deploy/bench/coordinator.sh "$seconds" "$connections" 2>/dev/null) \
    | awk '/^accepted_202_per_s/ {print $2}'
}
echo "== machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); $rounds rounds of ${seconds}s, alternating"
with=(); without=()
for r in $(seq "$rounds"); do
  without+=("$(run "$work/baseline")"); echo "round $r without log: ${without[-1]}/s"
  with+=("$(run "$root")"); echo "round $r with log:    ${with[-1]}/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m_with=$(median "${with[@]}"); m_without=$(median "${without[@]}")
awk -v w="$m_with" -v o="$m_without" 'BEGIN {
  printf "median with log %d/s, without %d/s: the log costs %.1f%% of the rate (target <= 10%%)\n", w, o, 100 * (1 - w / o) }'
# Each round's pair ran back to back, so its ratio is less exposed to the host's drift.
costs=(); for i in "${!with[@]}"; do costs+=("$(awk -v w="${with[$i]}" -v o="${without[$i]}" 'BEGIN { printf "%.1f", 100 * (1 - w / o) }')"); done
echo "cost per round (%): ${costs[*]}; median of the rounds' costs $(median "${costs[@]}")%"

echo "== inclusion proofs from the SQLite store, $leaves leaves"
"$root/.build-logbench/release/bench-coordinator" --log-proofs "$leaves" "$work/proofs"
