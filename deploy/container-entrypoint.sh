#!/bin/sh
# Container entrypoint: creates the coordinator in /var/lib/townbench on first start, then runs
# `townbench-coordinator serve` (the default command) or any other townbench-coordinator command.
set -eu
dir=/var/lib/townbench
if [ ! -e "$dir/coordinator.key" ]; then
    townbench-coordinator init --dir "$dir"
fi
if [ "${1:-serve}" = "serve" ]; then
    [ "$#" -gt 0 ] && shift
    # 0.0.0.0 inside the container only; publish the port on 127.0.0.1 and proxy TLS in front.
    exec townbench-coordinator serve --dir "$dir" --port "${PORT:-8080}" --host 0.0.0.0 "$@"
fi
exec townbench-coordinator "$@"
