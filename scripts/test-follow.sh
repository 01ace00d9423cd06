#!/usr/bin/env bash
# End-to-end test of `pullwatch follow` with real processes and real file operations:
# append, rotation by rename, copytruncate (copy beside the original), gzip of a rotated
# file, kill -9 of the follower in the middle of a stream of writes, restart — the final
# `report --format json` must count exactly what was written (compared with a batch `scan`
# of the same lines). Also: a failure line appended to a followed file is on stdout and in
# `report` within 1 second. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/debug/pullwatch}
. scripts/test-lib.sh
mkdir -p "$T/logs" "$T/state"
zcat samples/journal-multinode.log.gz | sed -n 1,6000p > "$T/src.log"
counts() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["input"]["lines"], d["failures"]["total"], json.dumps(d["failures"]["by_cause"], sort_keys=True))'; }

touch "$T/logs/kubelet.log"
"$BIN" follow --state "$T/state" --format ndjson "$T/logs" > "$T/events1" 2> "$T/err" & PID=$!
sleep 0.8
# Stream of appends; kill -9 in the middle of it.
( for i in $(seq 0 9); do sed -n "$((i * 200 + 1)),$((i * 200 + 200))p" "$T/src.log" >> "$T/logs/kubelet.log"; sleep 0.1; done ) &
sleep 0.55; kill -9 $PID; wait $PID 2>/dev/null || true; wait
# Rotation by rename while the follower is down, new file under the old name.
mv "$T/logs/kubelet.log" "$T/logs/kubelet.log.1"
sed -n 2001,3000p "$T/src.log" > "$T/logs/kubelet.log"
"$BIN" follow --state "$T/state" --format ndjson "$T/logs" >> "$T/events1" 2>> "$T/err" & PID=$!
sleep 1
# copytruncate while running: copy beside the original, then truncate it, then go on writing.
sed -n 3001,4000p "$T/src.log" >> "$T/logs/kubelet.log"
cp "$T/logs/kubelet.log" "$T/logs/kubelet.log.2"; : > "$T/logs/kubelet.log"
sed -n 4001,5000p "$T/src.log" >> "$T/logs/kubelet.log"
gzip "$T/logs/kubelet.log.1"          # a rotated archive appears: not read again
sleep 1.2
kill -9 $PID; wait $PID 2>/dev/null || true
sed -n 5001,6000p "$T/src.log" >> "$T/logs/kubelet.log"
"$BIN" follow --state "$T/state" --format ndjson "$T/logs" >> "$T/events1" 2>> "$T/err" & PID=$!
sleep 1.2
kill -TERM $PID; wait $PID; check "SIGTERM exits 0" 0 $?
expected=$("$BIN" scan --format json "$T/src.log" | counts)
actual=$("$BIN" report --state "$T/state" --format json | counts)
check "report after kill -9, rename, copytruncate, gzip equals a scan of what was written" "$expected" "$actual"

# Latency: a failure appended now shows on stdout and in report within 1 second.
rm -rf "$T/state2"; : > "$T/live.log"
MPORT=$(free_port)
"$BIN" follow --state "$T/state2" --format ndjson --metrics-listen 127.0.0.1:$MPORT "$T/live.log" > "$T/events2" 2>> "$T/err" & PID=$!
sleep 0.8
now=$(date -u +%Y-%m-%dT%H:%M:%S)
start=$(date +%s.%N)
echo "$now+0000 node-z containerd[1]: time=\"${now}Z\" level=error msg=\"PullImage \\\"nginx:9.9\\\" failed\" error=\"rpc error: code = NotFound desc = failed to pull and unpack image \\\"docker.io/library/nginx:9.9\\\": failed to resolve reference \\\"docker.io/library/nginx:9.9\\\": docker.io/library/nginx:9.9: not found\"" >> "$T/live.log"
seen=""
for _ in $(seq 1 40); do
  if grep -q '"incident_opened"' "$T/events2" && [ "$("$BIN" report --state "$T/state2" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])')" = 1 ]; then
    seen=$(echo "$(date +%s.%N) - $start" | bc); break
  fi
  sleep 0.05
done
metric=$(curl -s http://127.0.0.1:$MPORT/metrics | awk '/^pullwatch_pull_failures_total\{/ && /node="node-z"/ && /cause="tag_not_found"/ {s += $2} END {print s + 0}')
kill -TERM $PID; wait $PID || true
check "follow --metrics-listen counts the failure for its node" 1 "$metric"
check "failure visible on stdout and in report" "yes" "$([ -n "$seen" ] && echo yes || echo no)"
check "within 1 second" "yes" "$([ -n "$seen" ] && [ "$(echo "$seen < 1" | bc)" = 1 ] && echo yes || echo no)"
echo "latency: ${seen:-none} s"
grep -q '"cause": "tag_not_found"' "$T/events2" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: event has the cause"; }
# CRI partial lines join across reads, and across a kill -9 between the parts.
mkdir -p "$T/pods/shop_web-1_0f4e/web"; : > "$T/pods/shop_web-1_0f4e/web/0.log"
"$BIN" follow --state "$T/state4" "$T/pods/shop_web-1_0f4e/web" > /dev/null 2>> "$T/err" & PID=$!
sleep 0.8
now=$(date -u +%Y-%m-%dT%H:%M:%S)
echo "${now}.000000001Z stderr P E1122 10:00:00.000000 1 remote_image.go:180] \"PullImage from image service failed\" err=\"rpc error: code = NotFound desc = failed to pull and unpack image \\\"docker.io/library/nginx:9.9\\\": " >> "$T/pods/shop_web-1_0f4e/web/0.log"
sleep 0.7; kill -9 $PID; wait $PID 2>/dev/null || true
echo "${now}.000000002Z stderr F failed to resolve reference \\\"docker.io/library/nginx:9.9\\\": docker.io/library/nginx:9.9: not found\" image=\"nginx:9.9\"" >> "$T/pods/shop_web-1_0f4e/web/0.log"
"$BIN" follow --state "$T/state4" "$T/pods/shop_web-1_0f4e/web" > /dev/null 2>> "$T/err" & PID=$!
sleep 0.8; kill -TERM $PID; wait $PID || true
check "a CRI line split by P/F across a kill -9 is one tag_not_found failure" '1 {"tag_not_found": 1}' "$("$BIN" report --state "$T/state4" --format json | counts | cut -d' ' -f2-)"

# SIGHUP reloads rules; a bad rule file keeps the old rules and says why.
mkdir -p "$T/rules"; : > "$T/hup.log"
"$BIN" follow --state "$T/state3" --rules "$T/rules" "$T/hup.log" > "$T/events3" 2> "$T/hup-err" & PID=$!
sleep 0.8
printf "rules:\n  - id: corp.quota\n    cause: rate_limited\n    pattern: 'mirror quota exhausted'\n    samples: ['Failed to pull image \"a:1\": mirror quota exhausted']\n" > "$T/rules/mine.yaml"
kill -HUP $PID; sleep 0.6
printf "rules:\n  - id: broken\n    cause: nope\n" > "$T/rules/bad.yaml"
kill -HUP $PID; sleep 0.6
now=$(date -u +%Y-%m-%dT%H:%M:%S)
echo "$now+0000 n1 containerd[1]: time=\"${now}Z\" level=error msg=\"PullImage \\\"a:1\\\" failed\" error=\"mirror quota exhausted\"" >> "$T/hup.log"
sleep 0.8; kill -TERM $PID; wait $PID || true
check "SIGHUP loads a new rule" "yes" "$(grep -q 'rules reloaded' "$T/hup-err" && grep -q 'rate_limited' "$T/events3" && echo yes || echo no)"
check "a bad rule file keeps the old rules and says why" "yes" "$(grep -q 'keeping the old ones' "$T/hup-err" && grep -q 'bad.yaml:3' "$T/hup-err" && echo yes || echo no)"

# Drifts from scan that follow must not have: an over-long line is cut and counted (not split
# into several lines), and the decoder's errors (malformed JSON) reach the state's report.
python3 - "$T/long.log" <<'PY'
import sys
fail = 'E1122 10:00:00.000000 1 remote_image.go:180] "PullImage from image service failed" err="rpc error: code = NotFound desc = failed to pull and unpack image \\"docker.io/library/nginx:9.9\\": failed to resolve reference \\"docker.io/library/nginx:9.9\\": docker.io/library/nginx:9.9: not found" image="nginx:9.9"'
with open(sys.argv[1], "w") as f:
    f.write(fail + "\n")
    # 1.5 MiB: longer than the 1 MiB line limit; its tail repeats the failure, which must not count.
    f.write(fail + " " + "x" * (1536 << 10) + " " + fail + "\n")
    f.write('{"log": "not closed\n')
    f.write("\n" + fail + "\n")
PY
"$BIN" follow --from-start --state "$T/state5" "$T/long.log" > /dev/null 2> "$T/long-err" & PID=$!
sleep 1.5; kill -TERM $PID; wait $PID || true
check "an over-long line in follow is cut and counted as in scan" \
  "$("$BIN" scan --format json "$T/long.log" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["input"]["lines"], d["failures"]["total"], len(d["input"]["errors"]))')" \
  "$("$BIN" report --state "$T/state5" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["input"]["lines"], d["failures"]["total"], len(d["input"]["errors"]))')"
check "decoder errors reach the state and the report" "yes" \
  "$("$BIN" report --state "$T/state5" --format json | grep -q 'malformed JSON value' && echo yes || echo no)"

[ -s "$T/err" ] && { echo "stderr of the followers:"; cat "$T/err"; }
echo "follow: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
