#!/bin/sh
# Checks the deploy files that can be checked offline:
#   - the systemd units with `systemd-analyze verify` (binaries replaced by stubs in a temporary
#     copy, since they are not installed here), skipped with a message when systemd-analyze is
#     missing;
#   - the nginx config with `nginx -t` against a throw-away certificate, when nginx and openssl
#     are installed;
#   - shell syntax of the deploy scripts (sh -n).
# Exit 0 when every available check passes, 1 otherwise. Called by deploy/check.sh.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/townbench-check-deploy.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$tmp/bin" "$tmp/units"
    for exe in townbench-coordinator townbench-node; do
        printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/$exe"
        chmod +x "$tmp/bin/$exe"
    done
    for unit in "$here"/systemd/*.service "$here"/systemd/*.timer; do
        sed "s#/usr/local/bin/#$tmp/bin/#g" "$unit" >"$tmp/units/$(basename "$unit")"
    done
    # User= names a user that does not exist here; verify does not resolve users, so no stub needed.
    if out="$(cd "$tmp/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify ./*.service ./*.timer 2>&1)"; then
        if [ -n "$out" ]; then
            echo "systemd-analyze verify: warnings:" >&2
            echo "$out" >&2
            status=1
        else
            echo "ok   systemd units (systemd-analyze verify)"
        fi
    else
        echo "FAIL systemd units:" >&2
        echo "$out" >&2
        status=1
    fi
else
    echo "skip systemd units: systemd-analyze is not installed (apt-get install -y systemd)"
fi

if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
    mkdir -p "$tmp/nginx/logs"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
        -keyout "$tmp/nginx/key.pem" -out "$tmp/nginx/cert.pem" >/dev/null 2>&1
    sed -e "s#/etc/ssl/townbench/fullchain.pem#$tmp/nginx/cert.pem#" \
        -e "s#/etc/ssl/townbench/privkey.pem#$tmp/nginx/key.pem#" \
        "$here/nginx/townbench-coordinator.conf" >"$tmp/nginx/site.conf"
    cat >"$tmp/nginx/nginx.conf" <<CONF
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events {}
http {
    access_log off;
    include $tmp/nginx/site.conf;
}
CONF
    if out="$(nginx -t -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>&1)"; then
        echo "ok   nginx config (nginx -t)"
    else
        echo "FAIL nginx config:" >&2
        echo "$out" >&2
        status=1
    fi
else
    echo "skip nginx config: nginx or openssl is not installed (apt-get install -y nginx openssl)"
fi

# The push unit fetches the vendor APIs first, ignoring their failure ("-"), and only when configured.
push_unit="$here/systemd/townbench-node-push.service"
fetch_line="$(grep -n '^ExecStartPre=-/usr/local/bin/townbench-node fetch telraam --dir /var/lib/townbench-node --if-configured$' "$push_unit" | cut -d: -f1)"
push_line="$(grep -n '^ExecStart=/usr/local/bin/townbench-node push ' "$push_unit" | cut -d: -f1)"
if [ -n "$fetch_line" ] && [ -n "$push_line" ] && [ "$fetch_line" -lt "$push_line" ]; then
    echo "ok   push unit fetches Telraam (--if-configured, failure ignored) before push"
else
    echo "FAIL $push_unit: expected 'ExecStartPre=-/usr/local/bin/townbench-node fetch telraam --dir /var/lib/townbench-node --if-configured' before ExecStart=… push" >&2
    status=1
fi

for script in "$here"/*.sh; do
    shell=sh
    head -n 1 "$script" | grep -q bash && shell=bash
    if ! "$shell" -n "$script"; then
        echo "FAIL shell syntax: $script" >&2
        status=1
    fi
done
[ "$status" -ne 0 ] || echo "ok   shell syntax of deploy/*.sh"
exit "$status"
