#!/usr/bin/env bash
# Federation benchmark: Ed25519 sign/verify rates of OpenSSL's own `openssl speed` and of the
# Federation module (raw, envelope path, full submission check), single thread, in the same run,
# with ratios. Figures go to BENCHMARKS.md, "Signing and verification (federation)".
# Usage: deploy/bench/federation.sh [SECONDS]     (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-3}"
scratch="${SCRATCH:-.build-fed}"

echo "== build (release)" >&2
swift build -c release --scratch-path "$scratch" --product bench-federation >&2
bin="$scratch/release/bench-federation"

echo "== openssl speed -seconds $seconds ed25519 ($(openssl version))"
speed=$(openssl speed -seconds "$seconds" ed25519 2>/dev/null | awk '/^ *253 bits EdDSA/ {print $(NF-1), $NF}')
ossl_sign=$(echo "$speed" | awk '{print $1}')
ossl_verify=$(echo "$speed" | awk '{print $2}')
echo "openssl_sign ${ossl_sign}/s"
echo "openssl_verify ${ossl_verify}/s"

echo "== bench-federation --seconds $seconds"
out=$("$bin" --seconds "$seconds")
echo "$out"

get() { echo "$out" | awk -v k="$1" '$1 == k { sub("/s", "", $2); print $2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "== ratios against openssl speed (same run)"
echo "ed25519_sign_64B / openssl_sign      $(ratio "$(get ed25519_sign_64B)" "$ossl_sign")"
echo "ed25519_verify_64B / openssl_verify  $(ratio "$(get ed25519_verify_64B)" "$ossl_verify")"
echo "envelope_sign / openssl_sign         $(ratio "$(get envelope_sign)" "$ossl_sign")"
echo "envelope_verify / openssl_verify     $(ratio "$(get envelope_verify)" "$ossl_verify")"
echo "submission_check / openssl_verify    $(ratio "$(get submission_check)" "$ossl_verify")"
echo "== transparency log (issue 9)"
echo "merkle_append_envelope / submission_check  $(ratio "$(get submission_check)" "$(get merkle_append_envelope)") (share of the submission path's time)"
awk -v r="$(get merkle_inclusion_proof_1M)" 'BEGIN { if (r > 0) printf "inclusion proof in 1M leaves: %.1f us\n", 1e6 / r }'
