#!/usr/bin/env bash
# A TownBench demo network on this machine, in one command:
#   deploy/demo.sh            build, start a coordinator with two tenants and nine towns' nodes
#                             holding two years of simulated data, push, write the reports, and keep
#                             the coordinator running (Ctrl-C stops it);
#   deploy/demo.sh --static   the same, but stop the coordinator after writing the reports.
# Options: --dir DIR (default ./demo-network, recreated), --port PORT (default 8080), --years N
# (default 2), --seed N (default 42), --weeks N (weeks in the report charts, default 26),
# --scratch-path DIR (SwiftPM build directory, default .build).
# Needs: the Swift 6 toolchain and libssl-dev libsqlite3-dev libmicrohttpd-dev libpq-dev libminizip-dev curl
# (installed with apt-get when run as root; otherwise the command is printed).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$PWD/demo-network"
port=8080
years=2
seed=42
weeks=26
static=0
scratch=.build
while [ $# -gt 0 ]; do
    case "$1" in
        --static) static=1 ;;
        --dir) dir="$2"; shift ;;
        --port) port="$2"; shift ;;
        --years) years="$2"; shift ;;
        --seed) seed="$2"; shift ;;
        --weeks) weeks="$2"; shift ;;
        --scratch-path) scratch="$2"; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "Error: unknown option '$1'. See: $0 --help" >&2; exit 64 ;;
    esac
    shift
done

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started )) s"; }

# --- 1. What the build and the demo need ---------------------------------------------------------
step "Checking packages"
"$repo/deploy/ensure-packages.sh" --label demo libssl-dev libsqlite3-dev libmicrohttpd-dev libpq-dev libminizip-dev libxlsxwriter-dev pkg-config curl
if ! command -v swift >/dev/null 2>&1; then
    echo "Error: the Swift 6 toolchain is not on PATH; install it from https://www.swift.org/install/linux/ and retry." >&2
    exit 1
fi
info "ok"

# --- 2. Build -------------------------------------------------------------------------------------
step "Building (release; the first build takes a few minutes)"
cd "$repo"
swift build -c release --scratch-path "$scratch" --product townbench-coordinator 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -n 2 | sed 's/^/    /'
swift build -c release --scratch-path "$scratch" --product townbench-node 2>&1 | grep -E "error|Build" | tail -n 1 | sed 's/^/    /'
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
coordinator="$bin/townbench-coordinator"
node="$bin/townbench-node"
for exe in "$coordinator" "$node"; do
    [ -x "$exe" ] || { echo "Error: $exe was not built; see the build output above." >&2; exit 1; }
done
info "built in $(elapsed)"

# --- 3. The coordinator and its tenants -----------------------------------------------------------
step "Creating the coordinator in $dir/coordinator"
rm -rf "$dir"
mkdir -p "$dir"
"$coordinator" init --dir "$dir/coordinator" | tee "$dir/coordinator-init.txt" | sed 's/^/    /'
coordinator_key="$(sed -nE 's/.*public key ([0-9a-f]{64}).*/\1/p' "$dir/coordinator-init.txt")"
"$coordinator" tenant add --dir "$dir/coordinator" --tenant daks --name "DAKS West Flanders" --peers named | sed 's/^/    /'
"$coordinator" tenant add --dir "$dir/coordinator" --tenant lokaal3d --name "Lokaal 3D" --peers anonymised | sed 's/^/    /'

"$coordinator" serve --dir "$dir/coordinator" --port "$port" --quiet >"$dir/coordinator.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 100); do
    grep -q "Listening on" "$dir/coordinator.log" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { echo "Error: the coordinator did not start:" >&2; cat "$dir/coordinator.log" >&2; exit 1; }
    sleep 0.1
done
url="http://127.0.0.1:$port"
info "serving on $url (log: $dir/coordinator.log)"

# --- 4. One node per town, with simulated data ----------------------------------------------------
end="$(date -u -d yesterday +%F)"
# Whether the node CLI lists a subcommand.
# (The help is read whole first: under pipefail, grep -q stopping early would fail the pipeline.)
has_command() { local help; help=$("$node" --help) && grep -qE "^  $1 " <<<"$help"; }
daks="oostkamp blankenberge diksmuide harelbeke menen veurne waregem"
lokaal="dendermonde ronse"
node_setup() {  # town tenant name
    local town="$1" tenant="$2" name="$3" nd="$dir/nodes/$1"
    local t0; t0=$(date +%s)
    "$node" init --dir "$nd" --town "$town" --tenant "$tenant" >/dev/null
    local rows
    # The node's own command: writes DIR/simulated/ and imports it.
    rows=$("$node" simulate --dir "$nd" --years "$years" --end "$end" --seed "$seed" \
        | sed -nE 's/^Simulated .*: ([0-9]+) count rows$/\1/p')
    # Pin the coordinator's report-signing key, so the node verifies what the coordinator signs.
    "$node" configure --dir "$nd" --coordinator "$url" --coordinator-key "$coordinator_key" >/dev/null
    "$node" enroll-request --dir "$nd" >"$nd/enroll-request.json"
    # One writer at a time on the coordinator's store from the CLI (the server writes too).
    flock "$dir/enroll.lock" "$coordinator" town enroll --dir "$dir/coordinator" --tenant "$tenant" --name "$name" "$nd/enroll-request.json" >/dev/null
    local pushed; pushed=$("$node" push --dir "$nd" 2>>"$nd/push.log")
    info "$(printf '%-12s %-9s %7s count rows, %s (%s s)' "$name" "$tenant" "$rows" "$pushed" "$(( $(date +%s) - t0 ))")"
}
step "Simulating $years years per town up to $end, importing, enrolling and pushing (two towns at a time)"
pids=()
for town in $daks $lokaal; do
    tenant=daks; case " $lokaal " in *" $town "*) tenant=lokaal3d ;; esac
    name="$(echo "${town:0:1}" | tr a-z A-Z)${town:1}"
    node_setup "$town" "$tenant" "$name" &
    pids+=($!)
    if [ "${#pids[@]}" -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
info "all nodes pushed after $(elapsed)"

# --- 5. Tokens ------------------------------------------------------------------------------------
step "Issuing tokens (shown once; stored only as SHA-256)"
token() { "$coordinator" token issue --dir "$dir/coordinator" "$@" --expires 30d | sed -n 's/^Token: //p'; }
daks_token="$(token --role coordinator --tenant daks)"
lokaal_token="$(token --role coordinator --tenant lokaal3d)"
town_token="$(token --role town --tenant daks --town harelbeke)"

# --- 6. Reports from the coordinator's store -------------------------------------------------------
# `report render` computes the same figures the API serves (the last full ISO week, with $weeks weekly
# chart points) and writes index.html, report.json and tables/ per report.
step "Writing the region and town reports (last full week, $weeks weeks in the charts)"
last_sunday="$(date -u -d "$end -$(( $(date -u -d "$end" +%u) % 7 )) days" +%F)"
render() {
    "$coordinator" report render --dir "$dir/coordinator" --from "$(date -u -d "$last_sunday -6 days" +%F)" \
        --to "$last_sunday" --weeks "$weeks" "$@"
}
region_daks="$(render --tenant daks --out "$dir/reports/daks")"
render --tenant daks --language nl --out "$dir/reports/daks-nl" >/dev/null
region_lokaal="$(render --tenant lokaal3d --out "$dir/reports/lokaal3d")"
town_page="$(render --tenant daks --town harelbeke --out "$dir/reports/harelbeke")"
if has_command report; then
    "$node" report --dir "$dir/nodes/harelbeke" --out "$dir/reports/harelbeke-offline.html" >/dev/null 2>&1 \
        && info "node's offline report: $dir/reports/harelbeke-offline.html" \
        || info "townbench-node report did not succeed (see: $node report --dir $dir/nodes/harelbeke --out FILE.html)"
fi

# --- 7. The transparency log: every DAKS node verifies, the coordinator recomputes ------------------
# Each node checks that every submission the coordinator acknowledged is, byte for byte, in the
# tenant's signed log, and that the network report names a state of that log (issue 9).
step "Verifying the DAKS log from every node; recomputing the published reports from the log"
for town in $daks; do
    nd="$dir/nodes/$town"
    token --role town --tenant daks --town "$town" >"$nd/town.token"
    "$node" configure --dir "$nd" --token-file "$nd/town.token" >/dev/null
    if "$node" verify --dir "$nd" >"$nd/verify.log" 2>&1; then
        info "$(printf '%-12s %s' "$town" "$(grep -E 'acknowledged submission' "$nd/verify.log")")"
    else
        info "$town: verify FAILED:"; sed 's/^/    /' "$nd/verify.log" >&2; exit 1
    fi
done
# Two towns compare their checkpoints (two roots at one size would prove a split view).
"$node" checkpoint show --dir "$dir/nodes/veurne" >"$dir/veurne.checkpoint"
info "$("$node" checkpoint compare --dir "$dir/nodes/harelbeke" "$dir/veurne.checkpoint" 2>&1 | tail -1)"
log_size=$("$node" checkpoint show --dir "$dir/nodes/harelbeke" | sed -n 2p)
info "$("$coordinator" report recompute --dir "$dir/coordinator" --tenant daks --checkpoint "$log_size" | tail -1)"
info "done after $(elapsed)"

# --- 8. What to look at ---------------------------------------------------------------------------
cat <<TXT

TownBench demo network
  Coordinator:        $url   (API; log in $dir/coordinator.log)
  Report pages:       $url/login   (log in with a token below; then $url/tenants/daks/region)
  Coordinator token:  $daks_token   (DAKS West Flanders; Lokaal 3D: $lokaal_token)
  Town token:         $town_token   (Harelbeke)
  Region report:      $region_daks
                      $dir/reports/daks-nl/index.html (Nederlands), $region_lokaal
  Town report:        $town_page
  Try:  curl -H "Authorization: Bearer $daks_token" "$url/v1/tenants/daks/indicators?period=$(date -u -d "$end" +%Y-%m)"
        $node status --dir $dir/nodes/harelbeke
        $node verify --dir $dir/nodes/harelbeke      (the town checks the coordinator's log)
TXT
if [ "$static" = 1 ]; then
    echo "Static reports written; stopping the coordinator (--static)."
    exit 0
fi
echo "The coordinator keeps running; press Ctrl-C to stop it."
wait "$server"
