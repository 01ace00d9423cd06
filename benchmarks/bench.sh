#!/usr/bin/env bash
# Ingest benchmark: pullwatch (decompress + frame + sniff) against pigz -dc, zcat | grep -P
# and rg on the same generated journal. Prints a table of wall, cpu, peak RSS and ratios.
#   BENCH_MB=200 benchmarks/bench.sh        (input is generated once into bench-data/)
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
# One pattern per failure shape the ingest stage must find (the rule set comes later).
PAT='Failed to pull image|PullImage .* failed|ErrImagePull|ImagePullBackOff|Back-off pulling image'

measure() { # name, command...
  local name=$1; shift
  local out
  out=$( { /usr/bin/time -f "TIME %e %U %S %M" bash -c "$*" >/dev/null; } 2>&1 | grep '^TIME' | tail -1)
  read -r _ wall user sys rss <<<"$out"
  echo "$name;$wall;$(echo "$user + $sys" | bc);$rss"
}

rows=()
rows+=("$(measure 'pigz -dc FILE.gz' "pigz -dc '$LOG.gz'")")
rows+=("$(measure 'pullwatch records --stats FILE.gz' "'$BIN' records --stats '$LOG.gz'")")
rows+=("$(measure 'zcat FILE.gz | grep -P -c' "zcat '$LOG.gz' | grep -P -c '$PAT'")")
rows+=("$(measure 'pullwatch records --stats FILE' "'$BIN' records --stats '$LOG'")")
rows+=("$(measure 'rg -c FILE' "rg -c '$PAT' '$LOG'")")

IFS=';' read -r _ base_wall base_cpu _ <<<"${rows[0]}"
printf '\ninput: %s (%s bytes plain, %s bytes gzip), %s cores\n\n' "$LOG" "$(stat -c %s "$LOG")" "$(stat -c %s "$LOG.gz")" "$(nproc)"
printf '| %-36s | %8s | %8s | %10s | %12s | %11s |\n' case "wall s" "cpu s" "peak RSS" "wall/pigz" "cpu/pigz"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..38})" "----------" "----------" "------------" "--------------" "-------------"
for r in "${rows[@]}"; do
  IFS=';' read -r name wall cpu rss <<<"$r"
  printf '| %-36s | %8s | %8s | %7s MiB | %11sx | %10sx |\n' "$name" "$wall" "$cpu" "$((rss / 1024))" \
    "$(echo "scale=2; $wall / $base_wall" | bc)" "$(echo "scale=2; $cpu / $base_cpu" | bc)"
done
