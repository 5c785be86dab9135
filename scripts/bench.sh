#!/usr/bin/env bash
# End-to-end benchmark of kantamig against the raw signing rate of the same token, measured in the
# same run (the machine is shared and noisy: only ratios compare between runs). Called by make bench
# and make bench-1m; the environment carries the token (KANTAMIG_PIN, SOFTHSM2_CONF, labels).
#
#   scripts/bench.sh N [LONG_TEXT_BYTES] [MODE]
#
# N is the generator's size (-n; documents ≈ 1.58 N). MODE "full" (the default) runs the dry-run, the
# run to a package with a CPU profile per stage, and the run to archive-sim; "run" only the run to a
# package (the memory figure of bench-1m). Results go to stdout and out/bench-results.txt.
set -euo pipefail
N=${1:?usage: bench.sh N [LONG_TEXT_BYTES] [full|run]}
LONG=${2:-0}
MODE=${3:-full}
BIN=${BIN:-bin/kantamig}
GO=${GO:-go}
WORKERS=2 # kantamig's default --workers
OUT=out/bench-results.txt
mkdir -p out
: > "$OUT"
say() { echo "$@" | tee -a "$OUT"; }

# raw RSA-2048 signatures per second on the token at 1 and $WORKERS workers.
raw_rate() {
  $GO test -run '^$' -bench "TokenSigning/raw/workers=(1|$WORKERS)\$" -benchtime 3s ./load/token/ |
    awk -v w="$WORKERS" '/raw\/workers=1-/ {for (i=1;i<=NF;i++) if ($(i+1)=="sig/s") one=$i}
                         $0 ~ "raw/workers="w"-" {for (i=1;i<=NF;i++) if ($(i+1)=="sig/s") many=$i}
                         END {print one, many}'
}
# wall, user, system seconds and peak RSS (KB) of a command; its output to $1.log.
timed() {
  local name=$1; shift
  /usr/bin/time -f 'TIME %e %U %S %M' "$@" > "out/$name.log" 2>&1 || { tail -n 20 "out/$name.log"; exit 1; }
  grep '^TIME' "out/$name.log" | tail -n 1 | cut -d' ' -f2-
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# Seconds of a phase from kantamig's last progress line "<phase>: <n> in <duration> (<rate>/s, <cpu> CPU)": n / rate.
phase_secs() { grep -E "$1: [0-9]+ in" "$2" | tail -n 1 | sed -E 's/.*: ([0-9]+) in .*\(([0-9.]+)\/s[,)].*/\1 \2/' | awk '{printf "%.1f", $1 / $2}'; }

say "bench: generator -n $N, long text $LONG bytes, $WORKERS signing workers, $(date -u +%FT%TZ), $(nproc) cores"
read -r RAW1_A RAW_A < <(raw_rate)
say "raw RSA-2048 on the token before: $RAW_A sig/s at $WORKERS workers ($RAW1_A at 1)"

$GO run ./samples/gen -n "$N" -long-text "$LONG" -out out/bench-samples > /dev/null
sed 's#\.\./samples/legacy/#bench-samples/#' mappings/sosiaalitoimi-classic.yaml > out/bench-mapping.yaml
rm -rf out/bench-package out/bench-run*.db* out/bench-sim out/bench-sim-tls

if [ "$MODE" = full ]; then
  read -r W U S M < <(timed bench-dry-run "$BIN" dry-run -m out/bench-mapping.yaml --report out/bench-dry-run.xlsx --sign-with-token)
  DOCS=$(grep -E '^extracted' out/bench-dry-run.log | sed -E 's/.*would load ([0-9]+).*/\1/')
  say "dry-run: $DOCS documents in ${W}s, $(ratio "$DOCS" "$W") docs/s, peak RSS $((M / 1024)) MiB"
fi

read -r W U S M < <(KANTAMIG_CPUPROFILE=out/bench-run.pprof timed bench-run "$BIN" run -m out/bench-mapping.yaml --state out/bench-run.db --sink dir:out/bench-package)
DOCS=$(grep -E '^delivered [0-9]+' out/bench-run.log | awk '{print $2}')
# timed runs in a process substitution, where its exit cannot stop the script: a run that did not
# complete has no "delivered" line.
[ -n "$DOCS" ] && grep -q '(reconciles)' out/bench-run.log || { echo "bench: the run to a package did not complete:"; tail -n 5 out/bench-run.log; exit 1; }
STAGE=$(phase_secs staging out/bench-run.log)
DELIV=$(phase_secs delivering out/bench-run.log)
RUN_W=$W RUN_CPU=$(awk -v u="$U" -v s="$S" 'BEGIN {print u + s}') RUN_M=$M RUN_DOCS=$DOCS

if [ "$MODE" = full ]; then
  "$BIN" archive-sim -m out/bench-mapping.yaml --listen 127.0.0.1:18443 --store out/bench-sim --tls-dir out/bench-sim-tls > out/bench-sim.log 2>&1 &
  SIM=$!
  sleep 1
  read -r W U S M < <(timed bench-run-sim "$BIN" run -m out/bench-mapping.yaml --state out/bench-run-sim.db --sink kanta:https://127.0.0.1:18443 --processing-code T \
    --tls-ca out/bench-sim-tls/ca.pem --tls-cert out/bench-sim-tls/client.pem --tls-key out/bench-sim-tls/client-key.pem)
  TICK=$(getconf CLK_TCK)
  SIM_CPU=$(awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/$SIM/stat")
  kill "$SIM"; wait "$SIM" 2>/dev/null || true
  SIM_DOCS=$(grep -E '^delivered [0-9]+' out/bench-run-sim.log | awk '{print $2}')
  [ "$SIM_DOCS" = "$DOCS" ] || { echo "bench: the run to archive-sim did not deliver the $DOCS documents:"; tail -n 5 out/bench-run-sim.log; exit 1; }
  SIM_DELIV=$(phase_secs delivering out/bench-run-sim.log)
  SIM_W=$W SIM_RUNCPU=$(awk -v u="$U" -v s="$S" 'BEGIN {print u + s}')
fi

read -r RAW1_B RAW_B < <(raw_rate)
say "raw RSA-2048 on the token after: $RAW_B sig/s at $WORKERS workers ($RAW1_B at 1)"
RAW=$(awk -v a="$RAW_A" -v b="$RAW_B" 'BEGIN {print (a + b) / 2}')
RAW1=$(awk -v a="$RAW1_A" -v b="$RAW1_B" 'BEGIN {print (a + b) / 2}')

say ""
say "run to a package: $RUN_DOCS documents, wall ${RUN_W}s, staging ${STAGE}s, delivery ${DELIV}s, peak RSS $((RUN_M / 1024)) MiB"
say "  end to end: $(ratio "$RUN_DOCS" "$RUN_W") docs/s = $(ratio "$(ratio "$RUN_DOCS" "$RUN_W")" "$RAW") x raw ($RAW sig/s)"
say "  delivery:   $(ratio "$RUN_DOCS" "$DELIV") docs/s = $(ratio "$(ratio "$RUN_DOCS" "$DELIV")" "$RAW") x raw"
# CPU per document outside signing: the run's CPU less one signature's CPU (1 / the one-worker rate).
say "  CPU: $(awk -v c="$RUN_CPU" -v d="$RUN_DOCS" 'BEGIN {printf "%.3f", 1000 * c / d}') ms per document, of which signing about $(awk -v r="$RAW1" 'BEGIN {printf "%.3f", 1000 / r}') ms"
if [ "$MODE" = full ]; then
  say "run to archive-sim: $SIM_DOCS documents, wall ${SIM_W}s, delivery ${SIM_DELIV}s"
  say "  end to end: $(ratio "$SIM_DOCS" "$SIM_W") docs/s = $(ratio "$(ratio "$SIM_DOCS" "$SIM_W")" "$RAW") x raw; delivery $(ratio "$(ratio "$SIM_DOCS" "$SIM_DELIV")" "$RAW") x raw"
  say "  the judge's share of the CPU: $(awk -v j="$SIM_CPU" -v k="$SIM_RUNCPU" 'BEGIN {printf "%.0f%% (%.1f s of %.1f s)", 100 * j / (j + k), j, j + k}')"
fi
say ""
say "CPU by stage, run to a package (tools/stageprof over out/bench-run.pprof):"
$GO run ./tools/stageprof -docs "$RUN_DOCS" out/bench-run.pprof | tee -a "$OUT"
