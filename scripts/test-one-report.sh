#!/usr/bin/env bash
# scan, follow and serve give the same report for the same input fed in arbitrary chunks:
# counts per cause, registry and node, and every incident with its id, failures and attempts.
# The same lines are scanned as a file, appended to a followed file in random chunks, and
# posted to the sink in random chunks. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/debug/pullwatch}
. scripts/test-lib.sh

essence() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
f = d["failures"]
print(json.dumps([f["total"], f["by_cause"], f["by_registry"], f["by_node"],
                  sorted((i["id"], i["records"], i["attempts"]) for i in d["incidents"])], sort_keys=True))'
}

zcat samples/journal-multinode.log.gz | sed -n 1,6000p > "$T/in.log"
expected=$("$BIN" scan --format json "$T/in.log" | essence)

# follow: the lines appended in random chunks while it runs.
mkdir -p "$T/f"; : > "$T/f/node.log"
"$BIN" follow --state "$T/s-follow" "$T/f/node.log" > /dev/null 2> "$T/err" & PID=$!
sleep 0.8
python3 - "$T/in.log" "$T/f/node.log" <<'PY'
import random, sys, time
lines = open(sys.argv[1]).readlines()
rng = random.Random(7)
with open(sys.argv[2], "a") as out:
    i = 0
    while i < len(lines):
        n = rng.randint(1, 400)
        out.write("".join(lines[i:i + n])); out.flush()
        i += n
        time.sleep(rng.choice([0, 0.01, 0.05]))
PY
sleep 1.5; kill -TERM $PID; wait $PID || true
check "follow, fed in random chunks, reports what scan reports" "$expected" "$("$BIN" report --state "$T/s-follow" --format json | essence)"

# serve: the lines posted in random chunks.
HTTP=$(free_port)
"$BIN" serve --listen 127.0.0.1:$HTTP --state "$T/s-serve" 2>> "$T/err" & PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP/healthz" > /dev/null && break; sleep 0.05; done
python3 - "$T/in.log" "$HTTP" <<'PY'
import http.client, random, sys
lines = open(sys.argv[1], "rb").readlines()
rng = random.Random(11)
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]), timeout=30)
i = 0
while i < len(lines):
    n = rng.randint(1, 700)
    c.request("POST", "/v1/ingest", body=b"".join(lines[i:i + n]), headers={"Content-Type": "text/plain"})
    r = c.getresponse(); r.read()
    assert 200 <= r.status < 300, r.status
    i += n
PY
check "serve, fed in random chunks, reports what scan reports" "$expected" "$(curl -sf "http://127.0.0.1:$HTTP/v1/report" | essence)"
kill -TERM $PID; wait $PID || true
check "serve's state after shutdown reports the same" "$expected" "$("$BIN" report --state "$T/s-serve" --format json | essence)"

[ -s "$T/err" ] && grep -v "Server started" "$T/err" | sed 's/^/stderr: /' || true
echo "one-report: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
