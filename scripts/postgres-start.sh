#!/usr/bin/env bash
# Starts a private PostgreSQL server for the tests and the scale demo: its data, socket and log in DIR,
# listening on 127.0.0.1:PORT only, with a database "kantamig" owned by a user "kantamig" whose password
# is KANTAMIG_PG_PASSWORD (scram-sha-256 over TCP). Run as root, the server runs as the user postgres
# (PostgreSQL refuses root), which the Debian package creates. Re-runnable: a server in DIR is stopped
# and started afresh, empty.
#
#   KANTAMIG_PG_PASSWORD=... scripts/postgres-start.sh DIR [PORT]
#   scripts/postgres-stop.sh DIR
set -euo pipefail
dir=${1:?usage: postgres-start.sh DIR [PORT]}
port=${2:-15432}
: "${KANTAMIG_PG_PASSWORD:?set KANTAMIG_PG_PASSWORD}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres-start: PostgreSQL's server is missing; install postgresql" >&2; exit 1; }
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -f "$dir/data/postmaster.pid" ]; then "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
rm -rf "$dir/data"
mkdir -p "$dir/data" "$dir/run"
[ "$(id -u)" = 0 ] && chown -R postgres: "$dir" && chmod 700 "$dir"
pwfile="$dir/run/pw"
printf '%s\n' "$KANTAMIG_PG_PASSWORD" > "$pwfile"
[ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
"${as[@]}" "$bin/initdb" -D "$dir/data" -U kantamig --pwfile="$pwfile" --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 >"$dir/run/initdb.log" 2>&1
rm -f "$pwfile"
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/run/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/run -c fsync=on -c max_connections=200" start >/dev/null
PGPASSWORD=$KANTAMIG_PG_PASSWORD psql -h 127.0.0.1 -p "$port" -U kantamig -d postgres -qAtc 'CREATE DATABASE kantamig' >/dev/null
echo "$port"
