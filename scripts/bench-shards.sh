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
# Every run delivers to archive-sim on loopback, judging every document (a run is bound to one sink, so
# the shards of one run share it, as in the 4-shard proof); the judge shares the two cores with them.
tls=(--tls-ca "$dir/tls/ca.pem" --tls-cert "$dir/tls/client.pem" --tls-key "$dir/tls/client-key.pem")
sim_start() {
  $bin archive-sim -m "$dir/mapping.yaml" --listen 127.0.0.1:18444 --store "$dir/$1" --tls-dir "$dir/tls" > "$dir/$1.log" 2>&1 &
  sim=$!
  sleep 1
}
sim_stop() { kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true; }

echo "== one process, SQLite state file, to archive-sim"
sim_start sim-single
t0=$(now)
$bin run -m "$dir/mapping.yaml" --state "$dir/single.db" --sink kanta:https://127.0.0.1:18444 --processing-code T "${tls[@]}" \
  --report "$dir/single.xlsx" > "$dir/single.log" 2>&1 || { sim_stop; echo "bench-shards: the single run failed:"; tail -n 3 "$dir/single.log"; exit 1; }
t1=$(now)
sim_stop
docs=$(wc -l < "$dir/sim-single/accepted.jsonl")
staged=$(grep -h -o 'staging: [0-9]* in [0-9.a-z]* ([0-9]*/s, [0-9.a-z]* CPU[^)]*)' "$dir/single.log" | tail -1)
awk -v d="$docs" -v a="$t0" -v b="$t1" -v st="$staged" 'BEGIN { printf "sqlite 1 process: %d documents in %.1f s: %.0f docs/s (%s)\n", d, b-a, d/(b-a), st }'

for shards in ${SHARDS:-1 2 4}; do
  export KANTAMIG_STATE_DSN="postgres://kantamig@127.0.0.1:$port/kantamig?search_path=bench_$shards"
  sim_start "sim$shards"
  t0=$(now)
  pids=()
  for ((i = 0; i < shards; i++)); do
    $bin run -m "$dir/mapping.yaml" --state postgres: --sink kanta:https://127.0.0.1:18444 --processing-code T "${tls[@]}" --shard "$i/$shards" \
      --report "$dir/s$shards-$i.xlsx" > "$dir/s$shards-$i.log" 2>&1 &
    pids+=($!)
  done
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  t1=$(now)
  sim_stop
  if [ "$failed" = 1 ]; then echo "bench-shards: a worker of $shards failed:"; tail -n 3 "$dir"/s$shards-*.log; exit 1; fi
  docs=$(wc -l < "$dir/sim$shards/accepted.jsonl")
  # Staging: the census of every source record by one worker, then every worker's shard at once;
  # records/s over the census and the slowest shard.
  staged=$(cat "$dir"/s$shards-*.log | awk '
    function secs(s) { if (s ~ /ms$/) return s / 1000; if (s ~ /m/) { split(s, p, "m"); return p[1] * 60 + p[2] } return s + 0 }
    /census of the sources: [0-9]+ in / { for (i = 1; i <= NF; i++) { if ($i == "in") { first = $(i-1); firstT = secs($(i+1)) } if ($i ~ /^CPU[,)]$/) firstCPU = secs($(i-1)); if ($i == "statements)") firstSt = $(i-1) } }
    /staging shard [0-9]+\/[0-9]+: [0-9]+ in / { for (i = 1; i <= NF; i++) { if ($i == "in") { docsRead = $(i-1); t = secs($(i+1)); if (t > slowest) slowest = t } if ($i ~ /^CPU[,)]$/) { c = secs($(i-1)); cpu += c; if (c > maxCPU) maxCPU = c } if ($i == "statements)") st += $(i-1) } }
    END { total = first; printf "staging %d records in %.1f s + %.1f s (census + slowest shard): %.0f records/s; CPU %.1f s census, shards %.1f s in all, %.1f s the most of one; statements %d census, %d shards", total, firstT, slowest, total / (firstT + slowest), firstCPU, cpu, maxCPU, firstSt, st }')
  awk -v s="$shards" -v d="$docs" -v a="$t0" -v b="$t1" -v st="$staged" 'BEGIN { printf "postgres %d shard(s), to archive-sim: %d documents in %.1f s: %.0f docs/s (%s)\n", s, d, b-a, d/(b-a), st }'
  grep -h 'state store:' "$dir"/s$shards-*.log | sed 's/^/  /'
done
