#!/usr/bin/env bash
# Scale figures of a sharded run on this machine: documents per second for 1, 2 and 4 workers sharing
# one PostgreSQL state store, against one process on SQLite, over a generated set; with the raw signing
# rate of the same token measured in the same session, and each worker's state-store statements.
# Run by `make bench-shards` (BENCH_SHARDS_N documents, default 20000) with the demo token's variables.
set -euo pipefail
n=${1:-20000}
bin=${BIN:-bin/kantamig}
dir=out/bench-shards
rm -rf "$dir" && mkdir -p "$dir"
go run ./samples/gen -n "$n" -out "$dir/samples" >/dev/null
sed -e "s#\.\./samples/legacy/#samples/#" -e "s#\.\./samples/codesets/#$PWD/samples/codesets/#" mappings/sosiaalitoimi-classic.yaml > "$dir/mapping.yaml"
export KANTAMIG_PG_PASSWORD=bench-pg-0000
port=$(scripts/postgres-start.sh "$dir/pg" 15433)
trap 'scripts/postgres-stop.sh "$dir/pg"' EXIT
export PGPASSWORD=$KANTAMIG_PG_PASSWORD

echo "== raw signing rate (token, 2 workers)"
go test -run '^$' -bench 'TokenSigning/raw/workers=2' -benchtime 2s ./load/token/ 2>&1 | grep -E '^Benchmark' || true

now() { date +%s.%N; }
echo "== one process, SQLite"
t0=$(now)
$bin run -m "$dir/mapping.yaml" --state "$dir/single.db" --sink "dir:$dir/single" --report "$dir/single.xlsx" > "$dir/single.log" 2>&1
t1=$(now)
docs=$(wc -l < "$dir/single/manifest.jsonl")
awk -v d="$docs" -v a="$t0" -v b="$t1" 'BEGIN { printf "sqlite 1 process: %d documents in %.1f s: %.0f docs/s\n", d, b-a, d/(b-a) }'

for shards in 1 2 4; do
  export KANTAMIG_STATE_DSN="postgres://kantamig@127.0.0.1:$port/kantamig?search_path=bench_$shards"
  t0=$(now)
  pids=()
  for ((i = 0; i < shards; i++)); do
    $bin run -m "$dir/mapping.yaml" --state postgres: --sink "dir:$dir/s$shards-$i" --shard "$i/$shards" \
      --report "$dir/s$shards-$i.xlsx" > "$dir/s$shards-$i.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(now)
  docs=$(cat "$dir"/s$shards-*/manifest.jsonl | wc -l)
  staged=$(grep -h -o 'staging: [0-9]* in [0-9.]*s ([0-9]*/s)' "$dir"/s$shards-*.log | tail -1)
  awk -v s="$shards" -v d="$docs" -v a="$t0" -v b="$t1" -v st="$staged" 'BEGIN { printf "postgres %d shard(s): %d documents in %.1f s: %.0f docs/s (%s)\n", s, d, b-a, d/(b-a), st }'
  grep -h 'state store:' "$dir"/s$shards-*.log | sed 's/^/  /'
done
