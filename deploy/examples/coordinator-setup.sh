#!/bin/sh
# Example: a coordinator operator's first setup of the two demo tenants, run as the service user
# (sudo -u townbench sh coordinator-setup.sh). Each command prints what it did; tokens are printed
# once and stored only as a SHA-256 hash: hand them over through a safe channel.
set -eu
dir=/var/lib/townbench-coordinator
townbench-coordinator tenant add --dir "$dir" --tenant daks-west-flanders --name "DAKS West Flanders" --peers named
townbench-coordinator tenant add --dir "$dir" --tenant lokaal-3d --name "Lokaal 3D" --peers anonymised
# A town enrols by sending the output of `townbench-node enroll-request --dir DIR`:
#   townbench-coordinator town enroll --dir "$dir" --tenant daks-west-flanders --name Harelbeke harelbeke-request.json
# Tokens for people (the report pages and the API):
townbench-coordinator token issue --dir "$dir" --role coordinator --tenant daks-west-flanders --expires 90d
#   townbench-coordinator token issue --dir "$dir" --role town --tenant daks-west-flanders --town harelbeke --expires 90d
