#!/usr/bin/env bash
# Builds the ingest fuzzer with swiftc -sanitize=fuzzer,address (module by module, the way
# SwiftPM would) and runs it for SECONDS (default 300) over a corpus seeded from samples/
# and the test fixtures. Crashes land in .build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-300}
OUT=.build-fuzz
mkdir -p "$OUT/corpus" "$OUT/artifacts"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$OUT" -I Sources/CZlib -I Sources/CPCRE2)

build_module() { # name, sources...
  local name=$1; shift
  swiftc "${FLAGS[@]}" -module-name "$name" -emit-module -emit-module-path "$OUT/$name.swiftmodule" \
    -emit-library -static -o "$OUT/lib$name.a" "$@"
}
build_module PullwatchIO Sources/PullwatchIO/*.swift
build_module PullwatchRecords Sources/PullwatchRecords/*.swift
# Only the image-reference parser of PullwatchRules (the rest needs Yams and the embedded rules).
build_module PullwatchRules Sources/PullwatchRules/ImageReference.swift
swiftc "${FLAGS[@]}" -module-name FuzzIngest Fuzz/FuzzIngest.swift \
  "$OUT/libPullwatchRules.a" "$OUT/libPullwatchRecords.a" "$OUT/libPullwatchIO.a" -lz -lpcre2-8 -o "$OUT/fuzz-ingest" 2> >(grep -v "Cannot export local symbol" >&2)

# Seeds: small real-shaped inputs, split into pieces libFuzzer can grow from.
if [ -z "$(ls -A "$OUT/corpus")" ]; then
  for f in Tests/PullwatchRecordsTests/Fixtures/* samples/describe-invoicer.txt samples/journal.json; do
    head -c 4000 "$f" > "$OUT/corpus/$(basename "$f")"
  done
  head -c 4000 samples/events-watch.json > "$OUT/corpus/events-watch.json"
  zcat samples/journal-multinode.log.gz | head -20 > "$OUT/corpus/journal.txt"
  zcat samples/journal-multinode.log.gz | head -20 | gzip -c > "$OUT/corpus/journal.gz"
fi
"$OUT/fuzz-ingest" "$OUT/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -rss_limit_mb=4096 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1
