#!/usr/bin/env bash
# Stops the private PostgreSQL server started by postgres-start.sh in DIR.
set -uo pipefail
dir=${1:?usage: postgres-stop.sh DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
[ -f "$dir/data/postmaster.pid" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1
exit 0
