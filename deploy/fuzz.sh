#!/usr/bin/env bash
# Fuzzes the code that reads input from outside, for a bounded time per target (part of deploy/check.sh).
#
#   deploy/fuzz.sh [TARGET…]       targets: csv json envelope dates http lots (default: all)
#
# Builds the `townbench-fuzz` target with libFuzzer and AddressSanitizer (both ship with the Swift
# toolchain) in its own scratch path `.build-fuzz`, then runs each target for TOWNBENCH_FUZZ_SECONDS
# seconds (default 30; 0 builds nothing and skips fuzzing) from its committed seeds in
# Tests/Fuzz/corpus/TARGET and Tests/Fuzz/regressions/TARGET. The inputs libFuzzer adds go to a
# temporary directory, never into the repository. A crash, a hang (over 10 s on one input) or a
# violated property fails the run and prints the input (hex and base64) and how to replay it; add
# that file to Tests/Fuzz/regressions/TARGET/ with the fix, and the test suite replays it for good.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${TOWNBENCH_FUZZ_SECONDS:-30}
all=(csv json envelope dates http lots)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t'; use one of: ${all[*]}" >&2; exit 64; }
done
if [[ $seconds == 0 ]]; then
  echo "fuzz: TOWNBENCH_FUZZ_SECONDS=0, skipped" >&2
  exit 0
fi
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz: TOWNBENCH_FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2; exit 64; }

scratch=.build-fuzz
echo "fuzz: building townbench-fuzz with -sanitize=fuzzer,address in $scratch" >&2
build_log=$(mktemp)
# `--sanitize fuzzer` makes SwiftPM leave `main` to libFuzzer; the compiler keeps only the last
# `-sanitize=` it is given, so both sanitizers go in one `-Xswiftc -sanitize=fuzzer,address`
# (which also turns on the coverage instrumentation libFuzzer steers by). The gold linker warns
# once per ASan helper symbol ("Cannot export local symbol"): noise, filtered out.
if ! swift build --scratch-path "$scratch" --product townbench-fuzz --sanitize fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DTOWNBENCH_FUZZ >"$build_log" 2>&1; then
  grep -v "Cannot export local symbol" "$build_log" | tail -n 40 >&2
  rm -f "$build_log"
  echo "fuzz: the instrumented build failed (the toolchain's libclang_rt.fuzzer and .asan runtimes are needed;" \
    "they ship with Swift for Linux in usr/lib/clang/*/lib/linux)" >&2
  exit 1
fi
rm -f "$build_log"
binary="$(swift build --scratch-path "$scratch" --show-bin-path)/townbench-fuzz"

# The targets' node and coordinator stores live in the work directory: on tmpfs, SQLite's fsyncs
# cost nothing and the csv target runs about four times faster.
shm=/dev/shm; [[ -d $shm && -w $shm ]] || shm=${TMPDIR:-/tmp}
work=$(mktemp -d -p "$shm" townbench-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
crashes="$scratch/crashes"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/new" "$work/$t/artifacts"
  seeds=("Tests/Fuzz/corpus/$t")
  [[ -d Tests/Fuzz/regressions/$t ]] && seeds+=("Tests/Fuzz/regressions/$t")
  # No leak detection: the Swift runtime's caches and the coordinator's writer thread live for the
  # whole process, and Foundation's Data(contentsOf:) leaks a 4 KB buffer on some reads (6.3.1), which
  # LeakSanitizer would report as a crash of whichever input ran last.
  status=0
  # The Swift runtime's own crash backtracer is off, so libFuzzer and ASan report the crash.
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS} TOWNBENCH_FUZZ_TARGET=$t TOWNBENCH_FUZZ_WORK="$work/$t" \
    "$binary" "$work/$t/new" "${seeds[@]}" -max_total_time="$seconds" -timeout=10 -detect_leaks=0 \
    -artifact_prefix="$work/$t/artifacts/" -print_final_stats=1 >"$work/$t/log" 2>&1 || status=$?
  runs=$(grep -o '^stat::number_of_executed_units: *[0-9]*' "$work/$t/log" | grep -o '[0-9]*$' || true)
  speed=$(grep -o '^stat::average_exec_per_sec: *[0-9]*' "$work/$t/log" | grep -o '[0-9]*$' || true)
  coverage=$(grep -o 'cov: [0-9]*' "$work/$t/log" | tail -n 1 || true)
  [[ -z $runs ]] || echo "fuzz: $t: $runs inputs in $seconds s (${speed:-?}/s), ${coverage:-cov: ?}, $(ls "$work/$t/new" | wc -l) new corpus entries (discarded)" >&2
  artifacts=("$work/$t/artifacts"/*)
  if ((status != 0)) || [[ -e ${artifacts[0]} ]]; then
    failed+=("$t")
    echo "fuzz: $t FAILED (exit $status). The fuzzer's report:" >&2
    grep -v "^#[0-9]" "$work/$t/log" | grep -v "^INFO:\|^MERGE\|^stat::" | tail -n 60 >&2
    mkdir -p "$crashes"
    for a in "${artifacts[@]}"; do
      [[ -e $a ]] || continue
      kept="$crashes/$t-$(basename "$a")"
      cp "$a" "$kept"
      echo "fuzz: the input ($(wc -c <"$a") bytes), kept as $kept:" >&2
      echo "  hex:    $(od -An -v -tx1 "$a" | tr -d ' \n' | head -c 4000)" >&2
      echo "  base64: $(base64 -w0 "$a" | head -c 4000)" >&2
      echo "fuzz: reproduce with sanitizers:  TOWNBENCH_FUZZ_TARGET=$t $binary $kept" >&2
      echo "fuzz: or in a normal build:       swift build --product townbench-fuzz && .build/debug/townbench-fuzz $t $kept" >&2
      echo "fuzz: once fixed, keep it:        cp $kept Tests/Fuzz/regressions/$t/" >&2
    done
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, no crash" >&2
