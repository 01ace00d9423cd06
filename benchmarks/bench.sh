#!/usr/bin/env bash
# pullwatch against pigz -dc, igzip -dc, zcat | grep -P and rg on two generated journals
# (~0.5 % failure lines spread through them, default rules): `journal` (benchmarks/generate.py
# bench) and `hard` (bench-hard: ~320-byte lines, every ordinary line saying image, pull,
# failed or Error syncing pod). Prints per corpus a table of wall, cpu (user+sys) and peak RSS
# and the ratios of issue 12, then --jobs scaling and heap allocations per rejected line.
# Each case runs BENCH_REPEAT (3) times and the median-wall run is kept (zcat | grep -P, which takes
# minutes, runs once); every ratio comes
# from this one invocation.
#   BENCH_MB=200 benchmarks/bench.sh      (inputs are generated once into bench-data/)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${BENCH_MB:-200}
DATA=bench-data
BIN=.build/release/pullwatch
mkdir -p "$DATA"
for corpus in journal hard; do
  LOG=$DATA/$corpus-${MB}mb.log
  if [ ! -s "$LOG.gz" ]; then
    echo "generating ${MB} MB of $corpus text into $LOG(.gz) ..." >&2
    python3 benchmarks/generate.py "$([ $corpus = hard ] && echo bench-hard || echo bench)" "$LOG" "$MB"
    pigz -6 -k -f "$LOG"
  fi
done
# Four files of a quarter each, for --jobs scaling.
if [ ! -s "$DATA/part-4.log.gz" ]; then
  split -n l/4 -d -a 1 "$DATA/journal-${MB}mb.log" "$DATA/part-"
  for i in 0 1 2 3; do mv "$DATA/part-$i" "$DATA/part-$((i + 1)).log"; pigz -6 -f "$DATA/part-$((i + 1)).log"; done
fi
# The rule patterns: for grep -P (one alternation) and for rg's default engine (those it
# compiles; the others use lookarounds or other PCRE-only syntax). The gate's literals for rg -F.
"$BIN" rules list --patterns > "$DATA/patterns.txt"
# grep -P compiles one alternation of at most 64 KiB (Debian's PCRE2, link size 2): the rules
# are split into as few alternations as compile, and the pipeline drops the lines each one
# matches (`grep -P -v … | grep -P -v … | wc -l` counts the lines no rule matches).
rm -f "$DATA"/pattern-one*.txt
chunk=1; : > "$DATA/pattern-one-$chunk.txt"
while IFS= read -r p; do
  cur=$(cat "$DATA/pattern-one-$chunk.txt")
  next="${cur:+$cur|}(?:$p)"
  rc=0; printf '%s\n' "$next" | grep -P -q -f - /dev/null 2>/dev/null || rc=$?
  if [ -n "$cur" ] && [ "$rc" -eq 2 ]; then chunk=$((chunk + 1)); next="(?:$p)"; fi
  printf '%s\n' "$next" > "$DATA/pattern-one-$chunk.txt"
done < "$DATA/patterns.txt"
GREP_PASSES=$chunk
for f in "$DATA"/pattern-one-*.txt; do
  rc=0; grep -P -q -f "$f" /dev/null 2>/dev/null || rc=$?
  if [ "$rc" -eq 2 ]; then echo "bench: grep -P cannot compile $f" >&2; exit 1; fi
done
grep_pipe() { # LOG: zcat, then one `grep -P -v` per alternation, then count what is left
  local cmd="zcat '$1.gz'" f
  for f in "$DATA"/pattern-one-*.txt; do cmd="$cmd | grep -P -v -f '$f'"; done
  echo "$cmd | wc -l"
}
: > "$DATA/patterns-rg.txt"
while IFS= read -r p; do
  rc=0; rg -q -e "$p" /dev/null 2>/dev/null || rc=$?
  if [ "$rc" -ne 2 ]; then printf '%s\n' "$p" >> "$DATA/patterns-rg.txt"; fi
done < "$DATA/patterns.txt"
"$BIN" rules list --literals > "$DATA/literals.txt"

REPEAT=${BENCH_REPEAT:-3}
# Runs a case REPEAT times and keeps the run with the median wall time (shared, noisy
# machines: one slow outlier must not decide a ratio).
measure() { # name, command...   (MEASURE_REPEAT overrides REPEAT for one case)
  local name=$1; shift
  local runs=() repeat=${MEASURE_REPEAT:-$REPEAT}
  for _ in $(seq "$repeat"); do
    runs+=("$( { /usr/bin/time -f "TIME %e %U %S %M" bash -c "$*" >/dev/null; } 2>&1 | grep '^TIME' | tail -1)")
  done
  local median
  median=$(printf '%s\n' "${runs[@]}" | sort -k2,2n | sed -n "$(( (repeat + 1) / 2 ))p")
  read -r _ wall user sys rss <<<"$median"
  echo "$name;$wall;$(echo "$user + $sys" | bc);$rss"
}
get() { IFS=';' read -r _ w c r <<<"${rows[$1]}"; case $2 in wall) echo "$w";; cpu) echo "$c";; rss) echo "$r";; esac; }
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }
table() {
  printf '| %-44s | %7s | %7s | %9s |\n' case "wall s" "cpu s" "peak RSS"
  printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "---------" "---------" "-----------"
  for r in "${rows[@]}"; do
    IFS=';' read -r name wall cpu rss <<<"$r"
    printf '| %-44s | %7s | %7s | %5s MiB |\n' "$name" "$wall" "$cpu" "$((rss / 1024))"
  done
}
peak=0
for corpus in journal hard; do
  LOG=$DATA/$corpus-${MB}mb.log
  rows=()
  rows+=("$(measure 'pigz -dc FILE.gz' "pigz -dc '$LOG.gz'")")
  rows+=("$(measure 'igzip -dc FILE.gz' "igzip -dc '$LOG.gz'")")
  rows+=("$(measure 'pullwatch scan --format json FILE.gz' "'$BIN' scan --format json '$LOG.gz'")")
  # Minutes, not seconds (the alternation is tried at every byte): run once.
  rows+=("$(MEASURE_REPEAT=1 measure "zcat FILE.gz | grep -P RULES ($GREP_PASSES passes, 1 run)" "set -o pipefail; $(grep_pipe "$LOG")")")
  rows+=("$(measure 'pullwatch scan --format json FILE' "'$BIN' scan --format json '$LOG'")")
  rows+=("$(measure "rg -c -f RULES ($(wc -l < "$DATA/patterns-rg.txt") of $(wc -l < "$DATA/patterns.txt")) FILE" "rg -c -f '$DATA/patterns-rg.txt' '$LOG' || true")")
  rows+=("$(measure "rg -F -c -f LITERALS ($(wc -l < "$DATA/literals.txt")) FILE" "rg -F -c -f '$DATA/literals.txt' '$LOG' || true")")
  printf '\n%s: %s (%s bytes plain, %s bytes gzip, %s lines), %s cores\n\n' "$corpus" "$LOG" "$(stat -c %s "$LOG")" \
    "$(stat -c %s "$LOG.gz")" "$(wc -l < "$LOG")" "$(nproc)"
  table
  echo
  echo "targets, $corpus (one run):"
  echo "  scan .gz vs pigz -dc: wall $(ratio "$(get 2 wall)" "$(get 0 wall)")x (<= 0.6), cpu $(ratio "$(get 2 cpu)" "$(get 0 cpu)")x (<= 0.8)"
  echo "  scan .gz vs igzip -dc: wall $(ratio "$(get 2 wall)" "$(get 1 wall)")x (<= 1.3)"
  echo "  zcat | grep -P / scan .gz: $(ratio "$(get 3 wall)" "$(get 2 wall)")x slower (>= 5)"
  echo "  plain text: rg -c -f RULES / scan: $(ratio "$(get 5 wall)" "$(get 4 wall)")x (>= 2); rg -F -f LITERALS / scan: $(ratio "$(get 6 wall)" "$(get 4 wall)")x (>= 1.5)"
  for i in 2 4; do r=$(get $i rss); [ "$r" -gt "$peak" ] && peak=$r; done
done

rows=()
rows+=("$(measure 'pullwatch scan --jobs 1 4 x FILE.gz/4' "'$BIN' scan --jobs 1 --format json $DATA/part-*.log.gz")")
rows+=("$(measure 'pullwatch scan --jobs 2 4 x FILE.gz/4' "'$BIN' scan --jobs 2 --format json $DATA/part-*.log.gz")")
echo
table
echo
echo "  4 files: --jobs 1 / --jobs 2: $(ratio "$(get 0 wall)" "$(get 1 wall)")x faster (>= 1.8)"
for i in 0 1; do r=$(get $i rss); [ "$r" -gt "$peak" ] && peak=$r; done
echo "  peak RSS of every pullwatch case: $((peak / 1024)) MiB (<= 64)"

# Allocations per rejected line: the same process on N and 2N ordinary lines.
cc -O2 -shared -fPIC -o "$DATA/malloc-count.so" benchmarks/malloc-count.c -ldl
[ -s "$DATA/noise-100k.log" ] || python3 benchmarks/generate.py noise "$DATA/noise-100k.log" 100000
[ -s "$DATA/noise-200k.log" ] || { cat "$DATA/noise-100k.log" "$DATA/noise-100k.log" > "$DATA/noise-200k.log"; }
m1=$(LD_PRELOAD="$DATA/malloc-count.so" "$BIN" scan --format json "$DATA/noise-100k.log" 2>&1 >/dev/null | awk '/^MALLOCS/ {print $2}')
m2=$(LD_PRELOAD="$DATA/malloc-count.so" "$BIN" scan --format json "$DATA/noise-200k.log" 2>&1 >/dev/null | awk '/^MALLOCS/ {print $2}')
echo "  heap allocations: $m1 for 100 000 rejected lines, $m2 for 200 000: $(echo "scale=4; ($m2 - $m1) / 100000" | bc | sed 's/^\./0./') per extra line (target 0)"
