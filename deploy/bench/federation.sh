#!/usr/bin/env bash
# Federation benchmark: Ed25519 sign/verify rates of OpenSSL's own `openssl speed` and of the
# Federation module (raw, envelope path, full submission check, transparency log), single
# thread, in the same run, with ratios. Figures go to BENCHMARKS.md, "Signing and verification
# (federation)". Note: `openssl speed` divides by user CPU time (unless `-elapsed`), so it is
# compared with bench-federation's CPU-time rates (third column, per thread CPU time); the
# wall-clock rates (second column) are printed too and agree with them on a quiet machine.
# On a shared machine load comes and goes, so both sides report their best: `openssl speed`
# best of 3 one-second runs before and after, bench-federation the best of 5 interleaved rounds.
# Usage: deploy/bench/federation.sh [SECONDS]     (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-3}"
scratch="${SCRATCH:-.build-fed}"

echo "== build (release)" >&2
swift build -c release --scratch-path "$scratch" --product bench-federation >&2
bin="$scratch/release/bench-federation"

# Best of 3 one-second runs (the Swift side also reports its best interleaved round).
speed() {
  for _ in 1 2 3; do openssl speed -seconds 1 ed25519 2>/dev/null | awk '/^ *253 bits EdDSA/ {print $(NF-1), $NF}'; done |
    awk '{ if ($1 > s) s = $1; if ($2 > v) v = $2 } END { print s, v }'
}
echo "== uptime: $(uptime)"
echo "== openssl speed -seconds 1 ed25519, best of 3 ($(openssl version)), before"
before=$(speed)
echo "openssl_sign_before $(echo "$before" | awk '{print $1}')/s"
echo "openssl_verify_before $(echo "$before" | awk '{print $2}')/s"

echo "== bench-federation --seconds $seconds"
out=$("$bin" --seconds "$seconds")
echo "$out"

echo "== openssl speed, after"
after=$(speed)
echo "openssl_sign_after $(echo "$after" | awk '{print $1}')/s"
echo "openssl_verify_after $(echo "$after" | awk '{print $2}')/s"
ossl_sign=$(echo "$before $after" | awk '{printf "%.1f", ($1 > $3 ? $1 : $3)}')
ossl_verify=$(echo "$before $after" | awk '{printf "%.1f", ($2 > $4 ? $2 : $4)}')

# CPU-time rate (third column); `getwall` for the wall-clock rate.
get() { echo "$out" | awk -v k="$1" '$1 == k { sub("/cpu-s", "", $3); print $3 }'; }
getwall() { echo "$out" | awk -v k="$1" '$1 == k { sub("/s", "", $2); print $2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "== CPU-time ratios against openssl speed (best of before/after: sign ${ossl_sign}/s, verify ${ossl_verify}/s)"
echo "ed25519_sign_64B / openssl_sign      $(ratio "$(get ed25519_sign_64B)" "$ossl_sign")"
echo "ed25519_verify_64B / openssl_verify  $(ratio "$(get ed25519_verify_64B)" "$ossl_verify")"
echo "envelope_sign / openssl_sign         $(ratio "$(get envelope_sign)" "$ossl_sign")"
echo "envelope_verify / openssl_verify     $(ratio "$(get envelope_verify)" "$ossl_verify")"
echo "submission_check / openssl_verify    $(ratio "$(get submission_check)" "$ossl_verify")"
echo "== CPU-time ratios inside bench-federation (same process, interleaved rounds)"
echo "envelope_sign / ed25519_sign_pae         $(ratio "$(get envelope_sign)" "$(get ed25519_sign_pae)")"
echo "envelope_verify / ed25519_verify_pae     $(ratio "$(get envelope_verify)" "$(get ed25519_verify_pae)")"
echo "submission_check / ed25519_verify_pae    $(ratio "$(get submission_check)" "$(get ed25519_verify_pae)")"
echo "payload_decode / payload_jsondecoder_only $(ratio "$(get payload_decode)" "$(get payload_jsondecoder_only)")"
echo "== transparency log (issue 9)"
echo "submission_check / merkle_append_envelope  $(ratio "$(get submission_check)" "$(get merkle_append_envelope)") (append's share of the submission path's time)"
awk -v r="$(get merkle_inclusion_proof_1M)" 'BEGIN { if (r > 0) printf "inclusion proof in 1M leaves: %.1f us\n", 1e6 / r }'
