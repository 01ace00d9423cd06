#!/usr/bin/env bash
# `pullwatch serve` with real clients: curl (gzip NDJSON, text, bad bodies), util-linux logger
# (RFC 5424 octet counting and LF framing over TCP), and rsyslogd started here, forwarding a
# file of real-shaped kubelet lines with omfwd over TCP. Counts in /metrics and /v1/report
# must equal what was sent. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/debug/pullwatch}
. scripts/test-lib.sh
HTTP=$(free_port); SYSLOG=$(free_port)
echo "t0ken-$RANDOM" > "$T/token"; TOKEN=$(cat "$T/token")
"$BIN" serve --listen 127.0.0.1:$HTTP --syslog 127.0.0.1:$SYSLOG --token-file "$T/token" --state "$T/state" --read-timeout 2 2> "$T/err" & PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$HTTP/healthz && break; sleep 0.1; done
URL=http://127.0.0.1:$HTTP
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
metric() { curl -s $URL/metrics | awk -v m="$1" '$1 == m {print $2}' | sed 's/\.0$//'; }

check "GET /healthz" 200 "$(code $URL/healthz)"
check "HEAD /" 200 "$(code -I $URL/)"
check "no token" 401 "$(code --data-binary x $URL/v1/ingest)"
check "wrong token" 401 "$(code -H 'Authorization: Bearer nope' --data-binary x $URL/v1/ingest)"

# 1000 journal lines as shipper NDJSON records, gzip; 2 malformed lines among them.
zcat samples/journal-multinode.log.gz | sed -n 1,1000p > "$T/lines"
python3 - "$T/lines" > "$T/body.ndjson" <<'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    head, _, msg = l.rstrip("\n").partition(": ")
    print(json.dumps({"message": msg, "host": head.split()[3], "ident": head.split()[4].split("[")[0]}))
    if i in (100, 700): print('{"message": "cut here')
PY
gzip -c "$T/body.ndjson" > "$T/body.gz"
check "gzip NDJSON" 204 "$(code -H "Authorization: Bearer $TOKEN" -H 'Content-Encoding: gzip' -H 'Content-Type: application/x-ndjson' --data-binary @"$T/body.gz" $URL/v1/ingest)"
check "malformed JSON lines counted and skipped" 2 "$(metric 'pullwatch_ingest_rejected_total{reason="malformed_json"}')"
ndjson_failures=$("$BIN" scan --format json "$T/lines" | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])')
expected_failures=$ndjson_failures
got_failures=$(curl -s $URL/v1/report | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])')
check "/v1/report counts the failures sent" "$expected_failures" "$got_failures"
sum=$(curl -s $URL/metrics | awk '/^pullwatch_pull_failures_total\{/ {s += $2} END {print s + 0}')
check "/metrics pull_failures_total adds up to the same" "$expected_failures" "$sum"
incidents=$(curl -s $URL/v1/report | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["incidents"]))')
check "/v1/incidents lists the report's incidents" "$incidents" "$(curl -s $URL/v1/incidents | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# text/plain: journal lines as they are, without gzip.
before=$(metric pullwatch_ingest_lines_total)
zcat samples/journal-multinode.log.gz | sed -n 1001,1200p > "$T/text"
check "text/plain lines" 204 "$(code -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' --data-binary @"$T/text" $URL/v1/ingest)"
check "text lines counted" "$((before + 200))" "$(metric pullwatch_ingest_lines_total)"
expected_failures=$((expected_failures + $("$BIN" scan --format json "$T/text" | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])')))
got_failures=$(curl -s $URL/v1/report | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])')
check "/v1/report adds the text body's failures" "$expected_failures" "$got_failures"

# Bad bodies.
head -c 17000000 /dev/zero > "$T/big"
check "oversized body" 413 "$(code -H "Authorization: Bearer $TOKEN" --data-binary @"$T/big" $URL/v1/ingest)"
head -c 200000000 /dev/zero | gzip -9 > "$T/bomb.gz"
check "gzip bomb refused by the ratio limit" 413 "$(code -H "Authorization: Bearer $TOKEN" -H 'Content-Encoding: gzip' --data-binary @"$T/bomb.gz" $URL/v1/ingest)"
check "corrupt gzip" 400 "$(code -H "Authorization: Bearer $TOKEN" -H 'Content-Encoding: gzip' --data-binary 'not gzip at all' $URL/v1/ingest)"
check "JSON body that can never be valid" 400 "$(code -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary '{"oops": ' $URL/v1/ingest)"

# A slow client neither blocks others nor stays forever.
python3 - $HTTP > "$T/slow" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
start = time.time()
s.settimeout(10)
try:
    data = s.recv(100)
except Exception:
    data = b"timeout"
print("closed" if time.time() - start < 9 else "still open")
PY
SLOW=$!
sleep 0.3
check "others are served while a client is slow" 200 "$(code $URL/healthz)"
wait $SLOW
check "a silent client is disconnected (--read-timeout 2)" closed "$(cat "$T/slow")"

# Syslog over TCP: logger with octet counting (RFC 5424) and with LF framing (RFC 3164).
before=$(metric pullwatch_ingest_lines_total)
msg='E1122 10:00:00.000000 1 remote_image.go:180] "PullImage from image service failed" err="rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:1.99\": failed to resolve reference \"docker.io/library/nginx:1.99\": docker.io/library/nginx:1.99: not found" image="nginx:1.99"'
for _ in 1 2 3; do logger --tcp --octet-count -n 127.0.0.1 -P $SYSLOG --rfc5424 -t kubelet "$msg"; done
for _ in 1 2; do logger --tcp -n 127.0.0.1 -P $SYSLOG --rfc3164 -t kubelet "$msg"; done
sleep 1
check "logger: 5 messages, both framings" "$((before + 5))" "$(metric pullwatch_ingest_lines_total)"

# rsyslogd forwarding a file with omfwd over TCP.
mkdir -p "$T/rsyslog"
grep -E ' kubelet\[' "$T/lines" | sed 's/^[^]]*\]: //' > "$T/kubelet-msgs"
n=$(wc -l < "$T/kubelet-msgs")
cat > "$T/rsyslog.conf" <<CONF
global(workDirectory="$T/rsyslog")
module(load="imfile")
input(type="imfile" File="$T/kubelet.log" Tag="kubelet" freshStartTail="off")
action(type="omfwd" target="127.0.0.1" port="$SYSLOG" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
CONF
before=$(metric pullwatch_ingest_lines_total)
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" 2> "$T/rsyslog.err" & RSYSLOG=$!
sleep 1
cp "$T/kubelet-msgs" "$T/kubelet.log"
for _ in $(seq 1 100); do [ "$(metric pullwatch_ingest_lines_total)" -ge $((before + n)) ] && break; sleep 0.2; done
check "rsyslog: every line of the file arrives" "$((before + n))" "$(metric pullwatch_ingest_lines_total)"
kill -TERM $RSYSLOG; wait $RSYSLOG || true
expected_rs=$("$BIN" scan --format json "$T/kubelet-msgs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])')
host=$(hostname)
got_rs=$(curl -s $URL/metrics | awk -v h="node=\"$host\"" 'index($0, "pullwatch_pull_failures_total{") == 1 && index($0, h) {s += $2} END {print s + 0}')
check "rsyslog + logger failures under this host in /metrics" "$((expected_rs + 5))" "$got_rs"

kill -TERM $PID; rc=0; wait $PID || rc=$?; check "SIGTERM exits 0" 0 $rc
# Durable: what was answered 2xx is in the state after the server is gone.
check "report from the state after shutdown" "$got_failures" "$("$BIN" report --state "$T/state" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["failures"]["total"] - '"$expected_rs"' - 5)')"

# kill -9 right after a 204 loses nothing: the batch was committed before the answer.
HTTP2=$(free_port)
"$BIN" serve --listen 127.0.0.1:$HTTP2 --state "$T/state2" 2> "$T/err2" & PID2=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$HTTP2/healthz && break; sleep 0.1; done
check "gzip NDJSON to a second sink" 204 "$(code -H 'Content-Encoding: gzip' --data-binary @"$T/body.gz" http://127.0.0.1:$HTTP2/v1/ingest)"
kill -9 $PID2; wait $PID2 2>/dev/null || true
check "kill -9 after a 204: the report from the state has every failure" "$ndjson_failures" "$("$BIN" report --state "$T/state2" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])')"
# Restarted on the same state, /metrics goes on from the durable totals.
"$BIN" serve --listen 127.0.0.1:$HTTP2 --state "$T/state2" 2>> "$T/err2" & PID2=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$HTTP2/healthz && break; sleep 0.1; done
check "HEAD /v1/ingest (shippers' health checks)" 200 "$(code -I http://127.0.0.1:$HTTP2/v1/ingest)"
check "after a restart /metrics starts from the state" "$ndjson_failures" "$(curl -s http://127.0.0.1:$HTTP2/metrics | awk '/^pullwatch_pull_failures_total\{/ {s += $2} END {print s + 0}')"
kill -TERM $PID2; wait $PID2 || true

# A non-loopback address needs a token; a full queue answers 503 with Retry-After.
rc=0; "$BIN" serve --listen 0.0.0.0:$(free_port) --state "$T/state3" 2> "$T/err3" || rc=$?
check "non-loopback --listen without a token is refused" "2 yes" "$rc $(grep -q 'not loopback' "$T/err3" && echo yes || echo no)"
HTTP3=$(free_port)
"$BIN" serve --listen 127.0.0.1:$HTTP3 --state "$T/state3" --max-pending 0 2>> "$T/err3" & PID3=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$HTTP3/healthz && break; sleep 0.1; done
check "queue full: 503 with Retry-After" "503 1" "$(curl -s -o /dev/null -D - --data-binary x http://127.0.0.1:$HTTP3/v1/ingest | awk 'NR == 1 {c = $2} tolower($1) == "retry-after:" {r = $2} END {sub(/\r/, "", r); print c, r}')"
kill -TERM $PID3; wait $PID3 || true
echo "serve: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
