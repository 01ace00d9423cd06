#!/usr/bin/env bash
# pullwatch against pigz -dc, zcat | grep -P and rg on generated journals (~0.5 % failure
# lines, default rules). Prints a table of wall, cpu (user+sys), peak RSS and ratios, and the
# heap allocations per line the gate rejects. Each case runs BENCH_REPEAT (3) times and the
# median-wall run is kept; all ratios come from this one invocation.
#   BENCH_MB=200 benchmarks/bench.sh      (inputs are generated once into bench-data/)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${BENCH_MB:-200}
DATA=bench-data
BIN=.build/release/pullwatch
mkdir -p "$DATA"
LOG=$DATA/journal-${MB}mb.log
if [ ! -s "$LOG.gz" ]; then
  echo "generating ${MB} MB of journal text into $LOG(.gz) ..." >&2
  python3 benchmarks/generate.py bench "$LOG" "$MB"
  pigz -6 -k -f "$LOG"
fi
# Four files of a quarter each, for --jobs scaling.
if [ ! -s "$DATA/part-4.log.gz" ]; then
  split -n l/4 -d -a 1 "$LOG" "$DATA/part-"
  for i in 0 1 2 3; do mv "$DATA/part-$i" "$DATA/part-$((i + 1)).log"; pigz -6 -f "$DATA/part-$((i + 1)).log"; done
fi
# The rule patterns, for rg (one per line) and grep -P (one alternation).
"$BIN" rules list --patterns > "$DATA/patterns.txt"
awk '{printf "%s(?:%s)", (NR > 1 ? "|" : ""), $0} END {print ""}' "$DATA/patterns.txt" > "$DATA/pattern-one.txt"

REPEAT=${BENCH_REPEAT:-3}
# Runs a case REPEAT times and keeps the run with the median wall time (shared, noisy
# machines: one slow outlier must not decide a ratio).
measure() { # name, command...
  local name=$1; shift
  local runs=()
  for _ in $(seq "$REPEAT"); do
    runs+=("$( { /usr/bin/time -f "TIME %e %U %S %M" bash -c "$*" >/dev/null; } 2>&1 | grep '^TIME' | tail -1)")
  done
  local median
  median=$(printf '%s\n' "${runs[@]}" | sort -k2,2n | sed -n "$(( (REPEAT + 1) / 2 ))p")
  read -r _ wall user sys rss <<<"$median"
  echo "$name;$wall;$(echo "$user + $sys" | bc);$rss"
}

rows=()
rows+=("$(measure 'pigz -dc FILE.gz' "pigz -dc '$LOG.gz'")")
rows+=("$(measure 'pullwatch records --stats FILE.gz' "'$BIN' records --stats '$LOG.gz'")")
rows+=("$(measure 'pullwatch scan --format json FILE.gz' "'$BIN' scan --format json '$LOG.gz'")")
rows+=("$(measure 'zcat FILE.gz | grep -P -c RULES' "zcat '$LOG.gz' | grep -P -c -f '$DATA/pattern-one.txt' || true")")
rows+=("$(measure 'pullwatch scan --format json FILE' "'$BIN' scan --format json '$LOG'")")
rows+=("$(measure 'rg -P -c -f RULES FILE' "rg -P -c -f '$DATA/patterns.txt' '$LOG' || true")")
rows+=("$(measure 'pullwatch scan --jobs 1 4 x FILE.gz/4' "'$BIN' scan --jobs 1 --format json $DATA/part-*.log.gz")")
rows+=("$(measure 'pullwatch scan --jobs 2 4 x FILE.gz/4' "'$BIN' scan --jobs 2 --format json $DATA/part-*.log.gz")")

get() { IFS=';' read -r _ w c r <<<"${rows[$1]}"; case $2 in wall) echo "$w";; cpu) echo "$c";; rss) echo "$r";; esac; }
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }

printf '\ninput: %s (%s bytes plain, %s bytes gzip, %s lines), %s cores\n\n' "$LOG" "$(stat -c %s "$LOG")" \
  "$(stat -c %s "$LOG.gz")" "$(wc -l < "$LOG")" "$(nproc)"
printf '| %-40s | %7s | %7s | %9s |\n' case "wall s" "cpu s" "peak RSS"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..42})" "---------" "---------" "-----------"
for r in "${rows[@]}"; do
  IFS=';' read -r name wall cpu rss <<<"$r"
  printf '| %-40s | %7s | %7s | %5s MiB |\n' "$name" "$wall" "$cpu" "$((rss / 1024))"
done
echo
echo "targets (one run):"
echo "  scan .gz vs pigz -dc: wall $(ratio "$(get 2 wall)" "$(get 0 wall)")x (<= 1.1), cpu $(ratio "$(get 2 cpu)" "$(get 0 cpu)")x (<= 1.3)"
echo "  zcat | grep -P vs pigz -dc: wall $(ratio "$(get 3 wall)" "$(get 0 wall)")x"
echo "  plain text: rg -P -f RULES / pullwatch scan: $(ratio "$(get 5 wall)" "$(get 4 wall)")x faster (>= 2)"
echo "  4 files: --jobs 1 / --jobs 2: $(ratio "$(get 6 wall)" "$(get 7 wall)")x faster (>= 1.8)"
echo "  peak RSS of every pullwatch case: <= $(( $(for i in 1 2 4 6 7; do get $i rss; done | sort -n | tail -1) / 1024 )) MiB (<= 64)"

# Allocations per rejected line: the same process on N and 2N ordinary lines.
cc -O2 -shared -fPIC -o "$DATA/malloc-count.so" benchmarks/malloc-count.c -ldl
[ -s "$DATA/noise-100k.log" ] || python3 benchmarks/generate.py noise "$DATA/noise-100k.log" 100000
[ -s "$DATA/noise-200k.log" ] || { cat "$DATA/noise-100k.log" "$DATA/noise-100k.log" > "$DATA/noise-200k.log"; }
m1=$(LD_PRELOAD="$DATA/malloc-count.so" "$BIN" scan --format json "$DATA/noise-100k.log" 2>&1 >/dev/null | awk '/^MALLOCS/ {print $2}')
m2=$(LD_PRELOAD="$DATA/malloc-count.so" "$BIN" scan --format json "$DATA/noise-200k.log" 2>&1 >/dev/null | awk '/^MALLOCS/ {print $2}')
echo "  heap allocations: $m1 for 100 000 rejected lines, $m2 for 200 000: $(echo "scale=4; ($m2 - $m1) / 100000" | bc | sed 's/^\./0./') per extra line (target 0)"
