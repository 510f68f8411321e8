#!/usr/bin/env bash
# Benchmark: footfall index (lag 364) for every day of 3 years for 300 towns × 10 sensors,
# TownBench's Indicators (Swift, release) against DuckDB running the equivalent SQL over the
# same data. Checks that both agree to 1e-9 and prints both times (figures: BENCHMARKS.md,
# "## Indicators").
# Usage: deploy/bench/indicators.sh [--towns N] [--sensors N] [--days N] [--repeat N]
# Needs: the Swift toolchain, python3 with duckdb (`pip install duckdb`; a test oracle only).
set -euo pipefail
cd "$(dirname "$0")/../.."

scratch=${BENCH_SCRATCH:-.build-bench}
python3 -c 'import duckdb' 2>/dev/null || {
  echo "indicators.sh: python3 module duckdb missing; run: pip install duckdb" >&2
  exit 1
}
echo "indicators.sh: building bench-indicators (release, scratch $scratch)" >&2
swift build -c release --scratch-path "$scratch" --product bench-indicators >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/bench-indicators"

dir=$(mktemp -d "${TMPDIR:-/tmp}/townbench-bench-indicators.XXXXXX")
trap 'rm -rf "$dir"' EXIT

repeat=5
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [[ ${args[i]} == --repeat ]] && repeat=${args[i + 1]}; done

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== swift (Indicators.FootfallIndex.dailySeries)"
"$bin" --dir "$dir" "$@"
echo "== duckdb (SQL self-join on (town, sensor, day - 364), GROUP BY town, day)"
python3 deploy/bench/indicators_oracle.py "$dir" "$repeat"
