#!/usr/bin/env bash
# Stops the private MariaDB server started by mariadb-start.sh in DIR.
set -euo pipefail
dir=${1:?usage: mariadb-stop.sh DIR}
[ -f "$dir/mariadb.pid" ] || exit 0
pid=$(cat "$dir/mariadb.pid")
kill "$pid" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
kill -9 "$pid" 2>/dev/null || true
