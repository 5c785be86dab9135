#!/usr/bin/env bash
# Starts a private MariaDB server for the tests and the demo: its data, socket and log in DIR, listening
# on 127.0.0.1:PORT only, with the databases "sosiaalitoimi", "kotihoito" and "arkisto2003" (the three sample systems)
# and a user "kantamig" whose password is KANTAMIG_DB_PASSWORD. Re-runnable: an existing server in DIR is stopped and started afresh.
#
#   KANTAMIG_DB_PASSWORD=... scripts/mariadb-start.sh DIR [PORT]      # prints the PID
#   scripts/mariadb-stop.sh DIR
set -euo pipefail
dir=${1:?usage: mariadb-start.sh DIR [PORT]}
port=${2:-13306}
: "${KANTAMIG_DB_PASSWORD:?set KANTAMIG_DB_PASSWORD}"
for tool in mariadbd mariadb-install-db mariadb; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "mariadb-start: $tool is missing; install mariadb-server" >&2; exit 1; }
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -f "$dir/mariadb.pid" ]; then
  kill "$(cat "$dir/mariadb.pid")" 2>/dev/null || true
  for _ in $(seq 50); do [ -e "$dir/mysqld.sock" ] || break; sleep 0.1; done
fi
rm -rf "$dir/data"
mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" --auth-root-authentication-method=socket \
  --skip-test-db >"$dir/install.log" 2>&1
/usr/sbin/mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" --bind-address=127.0.0.1 \
  --pid-file="$dir/mariadb.pid" --log-error="$dir/error.log" --user="$(id -un)" --skip-name-resolve \
  --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --max-allowed-packet=64M &
for _ in $(seq 600); do   # up to a minute: a loaded machine starts it slowly
  mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.1
done
mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS sosiaalitoimi CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS sosiaalitoimi_small CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS kotihoito CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS arkisto2003 CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'kantamig'@'127.0.0.1' IDENTIFIED BY '${KANTAMIG_DB_PASSWORD}';
GRANT ALL ON sosiaalitoimi.* TO 'kantamig'@'127.0.0.1';
GRANT ALL ON sosiaalitoimi_small.* TO 'kantamig'@'127.0.0.1';
GRANT ALL ON kotihoito.* TO 'kantamig'@'127.0.0.1';
GRANT ALL ON arkisto2003.* TO 'kantamig'@'127.0.0.1';
SQL
cat "$dir/mariadb.pid"
