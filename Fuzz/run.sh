#!/usr/bin/env bash
# Builds two fuzzers with swiftc -sanitize=fuzzer,address (module by module, the way SwiftPM
# would) and runs each for SECONDS (default 300): fuzz-ingest over the read path (gzip with
# ISA-L checked against zlib, framing, record parsers) and fuzz-rules over the rule path (YAML rule files, PCRE2,
# classification of arbitrary bytes, image extraction, drafts, the literals read from patterns). Crashes land in
# .build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-300}
OUT=.build-fuzz
mkdir -p "$OUT/corpus" "$OUT/artifacts"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$OUT" -I Sources/CZlib -I Sources/CIsal -I Sources/CPCRE2)

build_module() { # name, sources...
  local name=$1; shift
  swiftc "${FLAGS[@]}" -module-name "$name" -emit-module -emit-module-path "$OUT/$name.swiftmodule" \
    -emit-library -static -o "$OUT/lib$name.a" "$@"
}
build_module PullwatchIO Sources/PullwatchIO/*.swift
build_module PullwatchRecords Sources/PullwatchRecords/*.swift
# PullwatchRules, built once for both fuzzers, with Yams (its libyaml C sources too) and the
# embedded default rules, which SwiftPM's plugin generates (EmbedRules is built to do it here).
swift package resolve >/dev/null
swift build --target EmbedRules >/dev/null
.build/debug/EmbedRules "$OUT/EmbeddedRules.swift" rules/*.yaml
YAMS=.build/checkouts/Yams/Sources
mkdir -p "$OUT/cyaml"
for c in "$YAMS"/CYaml/src/*.c; do
  clang -c -O1 -g -fsanitize=fuzzer-no-link,address -I "$YAMS/CYaml/include" -o "$OUT/cyaml/$(basename "$c" .c).o" "$c"
done
ar rcs "$OUT/libCYaml.a" "$OUT"/cyaml/*.o
swiftc "${FLAGS[@]}" -D SWIFT_PACKAGE -I "$YAMS/CYaml/include" -module-name Yams -emit-module -emit-module-path "$OUT/Yams.swiftmodule" \
  -emit-library -static -o "$OUT/libYams.a" "$YAMS"/Yams/*.swift 2> >(grep -v "warning" >&2)
build_module PullwatchRules Sources/PullwatchRules/*.swift "$OUT/EmbeddedRules.swift" -I "$YAMS/CYaml/include"
swiftc "${FLAGS[@]}" -I "$YAMS/CYaml/include" -module-name FuzzIngest Fuzz/FuzzIngest.swift \
  "$OUT/libPullwatchRules.a" "$OUT/libYams.a" "$OUT/libCYaml.a" "$OUT/libPullwatchRecords.a" "$OUT/libPullwatchIO.a" \
  -lz -lisal -lpcre2-8 -o "$OUT/fuzz-ingest" 2> >(grep -v "Cannot export local symbol" >&2)

# Seeds: small real-shaped inputs, split into pieces libFuzzer can grow from.
if [ -z "$(ls -A "$OUT/corpus")" ]; then
  for f in Tests/PullwatchRecordsTests/Fixtures/* samples/describe-invoicer.txt samples/journal.json; do
    head -c 4000 "$f" > "$OUT/corpus/$(basename "$f")"
  done
  head -c 4000 samples/events-watch.json > "$OUT/corpus/events-watch.json"
  # (zcat dies of SIGPIPE when head has its 20 lines: not a failure under pipefail.)
  { zcat samples/journal-multinode.log.gz || true; } | head -20 > "$OUT/corpus/journal.txt"
  { zcat samples/journal-multinode.log.gz || true; } | head -20 | gzip -c > "$OUT/corpus/journal.gz"
fi
"$OUT/fuzz-ingest" "$OUT/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -rss_limit_mb=4096 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1

# The rule path.
swiftc "${FLAGS[@]}" -I "$YAMS/CYaml/include" -module-name FuzzRules Fuzz/FuzzRules.swift \
  "$OUT/libPullwatchRules.a" "$OUT/libYams.a" "$OUT/libCYaml.a" "$OUT/libPullwatchRecords.a" "$OUT/libPullwatchIO.a" \
  -lz -lisal -lpcre2-8 -o "$OUT/fuzz-rules" 2> >(grep -v "Cannot export local symbol" >&2)
mkdir -p "$OUT/corpus-rules"
if [ -z "$(ls -A "$OUT/corpus-rules")" ]; then
  # Rule files (first byte 0: a rule file) and log lines (first byte 1) as seeds.
  for f in rules/*.yaml; do { printf '\0'; head -c 6000 "$f"; } > "$OUT/corpus-rules/$(basename "$f")"; done
  python3 - "$OUT/corpus-rules" <<'PY'
import json, sys, os
for name in ("dev.jsonl",):
    for i, l in enumerate(open(os.path.join("benchmarks/accuracy", name), encoding="utf-8")):
        if i % 7: continue
        with open(os.path.join(sys.argv[1], f"line-{i}"), "wb") as f:
            f.write(b"\x01" + json.loads(l)["line"].encode())
PY
fi
# Patterns (first byte 2: the literals read from a pattern), one seed per built-in rule.
python3 - "$OUT/corpus-rules" <<'PY'
import glob, os, sys, yaml
for path in sorted(glob.glob("rules/*.yaml")):
    for rule in (yaml.safe_load(open(path, encoding="utf-8")) or {}).get("rules") or []:
        for key in ("pattern", "unless"):
            if rule.get(key):
                with open(os.path.join(sys.argv[1], f"pattern-{rule['id']}-{key}"), "wb") as f:
                    f.write(b"\x02" + rule[key].encode())
PY
"$OUT/fuzz-rules" "$OUT/corpus-rules" -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -rss_limit_mb=4096 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1
