#!/usr/bin/env bash
# `pullwatch serve` (and `follow --metrics-listen`) over TLS with real clients and a real
# monitoring stack: certificates made with openssl; curl over HTTPS with and without a client
# certificate, with the wrong CA, plain HTTP on the TLS port; openssl s_client, rsyslogd (gtls)
# and syslog-ng (unpacked, see scripts/install-deps.sh) into syslog over TLS, syslog-ng also
# over plain TCP; certificates reloaded on SIGHUP; a real Prometheus scraping the sink over
# mTLS, every dashboard query and recording rule evaluated by it; promtool check and test of
# deploy/prometheus; deploy/kubernetes validated (kubernetes-validate) and its container
# arguments run. What arrives must be counted exactly as `scan` counts the same lines; what
# is refused must get nothing in. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/debug/pullwatch}
. scripts/test-lib.sh
ROOT=$(pwd)

# --- certificates: a CA, the server (localhost, 127.0.0.1), a client, and another CA's client
cert() { # name, subject, extensions, ca
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/$1.key" -out "$T/$1.csr" -subj "$2" 2>/dev/null
    printf '%s\n' "$3" > "$T/$1.ext"
    openssl x509 -req -in "$T/$1.csr" -CA "$T/$4.pem" -CAkey "$T/$4.key" -CAcreateserial -out "$T/$1.pem" -days 30 \
        -extfile "$T/$1.ext" 2>/dev/null
}
ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/$1.key" -out "$T/$1.pem" -days 30 -subj "/CN=$1" 2>/dev/null; }
ca ca; ca otherca
cert server "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth" ca
cert client "/CN=shipper" "extendedKeyUsage=clientAuth" ca
cert intruder "/CN=intruder" "extendedKeyUsage=clientAuth" otherca
cert renewed "/CN=localhost-renewed" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth" ca
cp "$T/server.pem" "$T/live.pem"; cp "$T/server.key" "$T/live.key"

HTTPS=$(free_port); SYSLOG=$(free_port)
"$BIN" serve --listen 127.0.0.1:$HTTPS --syslog 127.0.0.1:$SYSLOG --state "$T/state" \
    --tls-cert "$T/live.pem" --tls-key "$T/live.key" --tls-client-ca "$T/ca.pem" 2> "$T/err" & PID=$!
URL=https://127.0.0.1:$HTTPS
C=(curl -s --cacert "$T/ca.pem" --cert "$T/client.pem" --key "$T/client.key")
for _ in $(seq 1 100); do "${C[@]}" -o /dev/null $URL/healthz && break; sleep 0.1; done
code() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
metric() { "${C[@]}" $URL/metrics | awk -v m="$1" '$1 == m {print $2}' | sed 's/\.0$//'; }
failures_in() { "$BIN" scan --format json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])'; }
report_failures() { "${C[@]}" $URL/v1/report | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])'; }
wait_lines() { for _ in $(seq 1 150); do [ "$(metric pullwatch_ingest_lines_total)" -ge "$1" ] && break; sleep 0.2; done; }

# --- HTTPS with a client certificate: counted exactly as scan counts the same lines
check "HTTPS GET /healthz with a client certificate" 200 "$(code $URL/healthz)"
zcat samples/journal-multinode.log.gz | sed -n 1,3000p > "$T/http-lines"
check "HTTPS ingest of 3000 journal lines" 204 "$(code -H 'Content-Type: text/plain' --data-binary @"$T/http-lines" $URL/v1/ingest)"
expected=$(failures_in "$T/http-lines")
check "HTTPS: lines counted" 3000 "$(metric pullwatch_ingest_lines_total)"
check "HTTPS: /v1/report has the failures scan finds" "$expected" "$(report_failures)"
check "HTTPS: pull_failures_total adds up to the same" "$expected" \
    "$("${C[@]}" $URL/metrics | awk '/^pullwatch_pull_failures_total\{/ {s += $2} END {print s + 0}')"
# Failing now on two nodes: an open incident (the sample's lines are old: resolved at once).
python3 - > "$T/live-lines" <<'PY'
import time
now = time.time()
for i, node in enumerate(["node-1", "node-2", "node-1", "node-2"]):
    t = time.gmtime(now - 120 + 20 * i)
    stamp = time.strftime("%b %e %H:%M:%S", t)
    print(f'{stamp} {node} kubelet[812]: E{time.strftime("%m%d %H:%M:%S", t)}.000000     812 pod_workers.go:1298] '
          '"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"api\\" with ErrImagePull: \\"rpc error: '
          'code = NotFound desc = failed to pull and unpack image \\\\\\"ghcr.io/acme/api:9.9\\\\\\": failed to resolve '
          'reference \\\\\\"ghcr.io/acme/api:9.9\\\\\\": ghcr.io/acme/api:9.9: not found\\"" pod="shop/api-0"')
PY
check "HTTPS ingest of live failures" 204 "$(code -H 'Content-Type: text/plain' --data-binary @"$T/live-lines" $URL/v1/ingest)"
expected=$((expected + $(failures_in "$T/live-lines")))
check "an open incident is exported" 1 \
    "$("${C[@]}" $URL/metrics | awk '/^pullwatch_incidents_open\{cause="tag_not_found",registry="ghcr.io"/ {print $2}' | sed 's/\.0$//')"
check "incident events exported (the sample's replayed incidents resolved, the live one opened)" yes \
    "$("${C[@]}" $URL/metrics | awk '$1 == "pullwatch_incident_events_total{event=\"opened\"}" && $2 >= 1 {o=1} $1 == "pullwatch_incident_events_total{event=\"resolved\"}" && $2 >= 1 {r=1} END {print (o && r) ? "yes" : "no"}')"

# --- refused: nothing gets in
before=$(metric pullwatch_ingest_lines_total)
rc=0; curl -s -o /dev/null --cacert "$T/ca.pem" --data-binary @"$T/http-lines" $URL/v1/ingest || rc=$?
check "no client certificate: the handshake fails" yes "$([ $rc -ne 0 ] && echo yes || echo no)"
rc=0; curl -s -o /dev/null --cacert "$T/ca.pem" --cert "$T/intruder.pem" --key "$T/intruder.key" --data-binary @"$T/http-lines" $URL/v1/ingest || rc=$?
check "a client certificate from another CA: refused" yes "$([ $rc -ne 0 ] && echo yes || echo no)"
rc=0; curl -s -o /dev/null --cacert "$T/otherca.pem" --cert "$T/client.pem" --key "$T/client.key" --data-binary @"$T/http-lines" $URL/v1/ingest || rc=$?
check "the wrong CA for the server: curl refuses it (exit 60)" 60 $rc
rc=0; curl -s -o /dev/null --data-binary @"$T/http-lines" http://127.0.0.1:$HTTPS/v1/ingest || rc=$?
check "plain HTTP on the TLS port: no answer" yes "$([ $rc -ne 0 ] && echo yes || echo no)"
check "nothing refused got in" "$before" "$(metric pullwatch_ingest_lines_total)"

# --- syslog over TLS (RFC 5425, octet counting) from openssl s_client
zcat samples/journal-multinode.log.gz | sed -n 3001,3500p | sed 's/^[^]]*\]: //' > "$T/s-client-msgs"
python3 - "$T/s-client-msgs" > "$T/frames" <<'PY'
import sys
for line in open(sys.argv[1], encoding="utf-8"):
    msg = ("<14>1 2026-12-02T10:00:00Z node-9 kubelet 1 - - " + line.rstrip("\n")).encode()
    sys.stdout.buffer.write(str(len(msg)).encode() + b" " + msg)
PY
before=$(metric pullwatch_ingest_lines_total)
timeout 20 openssl s_client -connect 127.0.0.1:$SYSLOG -CAfile "$T/ca.pem" -cert "$T/client.pem" -key "$T/client.key" \
    -verify_return_error -quiet -no_ign_eof < "$T/frames" > /dev/null 2>&1 || true
wait_lines $((before + 500))
check "openssl s_client: 500 messages over syslog TLS" $((before + 500)) "$(metric pullwatch_ingest_lines_total)"
expected=$((expected + $(failures_in "$T/s-client-msgs")))
check "syslog TLS: failures as scan counts them" "$expected" "$(report_failures)"
before=$(metric pullwatch_ingest_lines_total)
timeout 10 openssl s_client -connect 127.0.0.1:$SYSLOG -CAfile "$T/ca.pem" -quiet -no_ign_eof < "$T/frames" > /dev/null 2>&1 || true
timeout 10 openssl s_client -connect 127.0.0.1:$SYSLOG -CAfile "$T/ca.pem" -cert "$T/intruder.pem" -key "$T/intruder.key" \
    -quiet -no_ign_eof < "$T/frames" > /dev/null 2>&1 || true
printf '12 hello world\n' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$SYSLOG" 2>/dev/null || true
sleep 1
check "syslog TLS without a client certificate, with another CA's, or in plain text: nothing in" "$before" "$(metric pullwatch_ingest_lines_total)"

# --- rsyslogd forwarding a file over TLS (gtls driver, client certificate)
mkdir -p "$T/rsyslog"
zcat samples/journal-multinode.log.gz | sed -n 3501,4500p | grep -E ' kubelet\[' | sed 's/^[^]]*\]: //' > "$T/rsyslog-msgs"
cat > "$T/rsyslog.conf" <<CONF
global(workDirectory="$T/rsyslog" DefaultNetstreamDriver="gtls"
       DefaultNetstreamDriverCAFile="$T/ca.pem" DefaultNetstreamDriverCertFile="$T/client.pem"
       DefaultNetstreamDriverKeyFile="$T/client.key")
module(load="imfile")
input(type="imfile" File="$T/rsyslog.log" Tag="kubelet" freshStartTail="off")
action(type="omfwd" target="127.0.0.1" port="$SYSLOG" protocol="tcp" TCP_Framing="octet-counted"
       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost"
       template="RSYSLOG_SyslogProtocol23Format")
CONF
# A forwarder already started follows a file: the messages are written to it; every line must
# reach the TLS sink and its failures be those scan finds.
forwarded() { # name, forwarder pid, messages, the file it follows
    local before n
    before=$(metric pullwatch_ingest_lines_total); n=$(wc -l < "$3")
    sleep 1
    cp "$3" "$4"
    wait_lines $((before + n))
    check "$1: every line arrives" $((before + n)) "$(metric pullwatch_ingest_lines_total)"
    kill -TERM "$2"; wait "$2" || true
    expected=$((expected + $(failures_in "$3")))
    check "$1: failures as scan counts them" "$expected" "$(report_failures)"
}
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" 2> "$T/rsyslog.err" & RSYSLOG=$!
forwarded "rsyslog over TLS" $RSYSLOG "$T/rsyslog-msgs" "$T/rsyslog.log"

# --- syslog-ng (Debian's, unpacked: it conflicts with rsyslog) over TLS and over plain TCP
SNG=${SYSLOG_NG_ROOT:-$ROOT/.deps/syslog-ng}
syslog_ng() { # conf, name
    LD_LIBRARY_PATH="$SNG/usr/lib/syslog-ng" "$SNG/usr/sbin/syslog-ng" -F -f "$1" --module-path="$SNG/usr/lib/syslog-ng/3.38" \
        -R "$T/$2.persist" -p "$T/$2.pid" -c "$T/$2.ctl" 2> "$T/$2.err" &
}
zcat samples/journal-multinode.log.gz | sed -n 4501,5500p | grep -E ' kubelet\[' | sed 's/^[^]]*\]: //' > "$T/sng-msgs"
n=$(wc -l < "$T/sng-msgs")
cat > "$T/sng-tls.conf" <<CONF
@version: 3.38
source s_file { file("$T/sng-tls.log" follow-freq(0.2) flags(no-parse) program-override("kubelet")); };
destination d_tls { syslog("127.0.0.1" port($SYSLOG) transport("tls")
    tls(ca-file("$T/ca.pem") cert-file("$T/client.pem") key-file("$T/client.key") peer-verify(required-trusted))); };
log { source(s_file); destination(d_tls); };
CONF
syslog_ng "$T/sng-tls.conf" sng-tls; SNGPID=$!
forwarded "syslog-ng over TLS (RFC 5425)" $SNGPID "$T/sng-msgs" "$T/sng-tls.log"

# syslog-ng over plain TCP (LF framing) into a sink without TLS
HTTP2=$(free_port); SYSLOG2=$(free_port)
"$BIN" serve --listen 127.0.0.1:$HTTP2 --syslog 127.0.0.1:$SYSLOG2 --state "$T/state2" 2> "$T/err2" & PID2=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$HTTP2/healthz && break; sleep 0.1; done
cat > "$T/sng-tcp.conf" <<CONF
@version: 3.38
source s_file { file("$T/sng-tcp.log" follow-freq(0.2) flags(no-parse) program-override("kubelet")); };
destination d_tcp { network("127.0.0.1" port($SYSLOG2) transport("tcp")); };
log { source(s_file); destination(d_tcp); };
CONF
syslog_ng "$T/sng-tcp.conf" sng-tcp; SNGPID=$!
sleep 1
cp "$T/sng-msgs" "$T/sng-tcp.log"
lines2() { curl -s http://127.0.0.1:$HTTP2/metrics | awk '$1 == "pullwatch_ingest_lines_total" {print $2}' | sed 's/\.0$//'; }
for _ in $(seq 1 150); do [ "$(lines2)" = "$n" ] && break; sleep 0.2; done
check "syslog-ng over TCP: every line arrives" "$n" "$(lines2)"
check "syslog-ng over TCP: failures as scan counts them" "$(failures_in "$T/sng-msgs")" \
    "$(curl -s http://127.0.0.1:$HTTP2/v1/report | python3 -c 'import json,sys; print(json.load(sys.stdin)["failures"]["total"])')"
kill -TERM $SNGPID $PID2; wait $SNGPID $PID2 || true

# --- SIGHUP reloads the certificates; a bad file keeps the ones in force
subject() { openssl s_client -connect 127.0.0.1:$HTTPS -CAfile "$T/ca.pem" -cert "$T/client.pem" -key "$T/client.key" \
    </dev/null 2>/dev/null | openssl x509 -noout -subject | sed 's/.*CN *= *//'; }
check "served certificate before the reload" localhost "$(subject)"
cp "$T/renewed.pem" "$T/live.pem"; cp "$T/renewed.key" "$T/live.key"
kill -HUP $PID; sleep 1
check "SIGHUP: new connections get the renewed certificate" localhost-renewed "$(subject)"
echo "not a certificate" > "$T/live.pem"
kill -HUP $PID; sleep 1
check "SIGHUP with a broken file: the old certificate stays in force" localhost-renewed "$(subject)"
check "the failed reload is said" yes "$(grep -q 'certificates not reloaded' "$T/err" && echo yes || echo no)"
check "still serving after the failed reload" 200 "$(code $URL/healthz)"
cp "$T/renewed.pem" "$T/live.pem"

# --- a start with unusable files stops with exit 2 and names the file
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/old.key" -out "$T/old.pem" \
    -subj "/CN=old" -days 1 2>/dev/null
faketime_ok=no
python3 - "$T" <<'PY' && faketime_ok=yes
# An expired certificate: signed by the CA with a validity that ended yesterday (openssl x509 -days -1).
import subprocess, sys
t = sys.argv[1]
subprocess.run(["openssl", "x509", "-req", "-in", f"{t}/server.csr", "-CA", f"{t}/ca.pem", "-CAkey", f"{t}/ca.key",
                "-CAcreateserial", "-out", f"{t}/expired.pem", "-days", "-1"], check=True, capture_output=True)
PY
start_fails() { # name, pattern, args...
    local name=$1 pattern=$2; shift 2
    local rc=0; timeout 10 "$BIN" serve --listen 127.0.0.1:$(free_port) --state "$T/bad" "$@" 2> "$T/bad.err" || rc=$?
    check "$name: exit 2, and says so" "2 yes" "$rc $(grep -q -- "$pattern" "$T/bad.err" && echo yes || echo no)"
}
start_fails "key of another certificate" "does not go with --tls-cert" --tls-cert "$T/server.pem" --tls-key "$T/client.key"
[ $faketime_ok = yes ] && start_fails "expired certificate" "expired on" --tls-cert "$T/expired.pem" --tls-key "$T/server.key"
start_fails "unreadable certificate" "cannot read a PEM certificate" --tls-cert "$T/nope.pem" --tls-key "$T/server.key"
start_fails "client CA that is not PEM" "--tls-client-ca" --tls-cert "$T/server.pem" --tls-key "$T/server.key" --tls-client-ca "$T/client.ext"
rc=0; "$BIN" serve --listen 0.0.0.0:$(free_port) --state "$T/bad" --tls-cert "$T/server.pem" --tls-key "$T/server.key" 2> "$T/bad.err" || rc=$?
check "non-loopback with TLS but no token or client CA: refused" "2 yes" "$rc $(grep -q 'not loopback' "$T/bad.err" && echo yes || echo no)"

# --- follow --metrics-listen over HTTPS with client certificates
MPORT=$(free_port)
zcat samples/journal-multinode.log.gz | sed -n 1,500p > "$T/follow.log"
"$BIN" follow "$T/follow.log" --from-start --state "$T/fstate" --metrics-listen 127.0.0.1:$MPORT \
    --tls-cert "$T/server.pem" --tls-key "$T/server.key" --tls-client-ca "$T/ca.pem" > /dev/null 2> "$T/ferr" & FPID=$!
for _ in $(seq 1 100); do "${C[@]}" -o /dev/null https://127.0.0.1:$MPORT/healthz && break; sleep 0.1; done
for _ in $(seq 1 50); do [ "$("${C[@]}" https://127.0.0.1:$MPORT/metrics | awk '$1 == "pullwatch_ingest_lines_total" {print $2}' | sed 's/\.0$//')" = 500 ] && break; sleep 0.2; done
check "follow --metrics-listen over HTTPS: the lines followed" 500 \
    "$("${C[@]}" https://127.0.0.1:$MPORT/metrics | awk '$1 == "pullwatch_ingest_lines_total" {print $2}' | sed 's/\.0$//')"
rc=0; curl -s -o /dev/null --cacert "$T/ca.pem" https://127.0.0.1:$MPORT/metrics || rc=$?
check "follow --metrics-listen: no client certificate, no metrics" yes "$([ $rc -ne 0 ] && echo yes || echo no)"
kill -TERM $FPID; wait $FPID || true

# --- a real Prometheus scraping the sink over mTLS
PROM=$(free_port)
cat > "$T/prometheus.yml" <<CONF
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ["$ROOT/deploy/prometheus/pullwatch-rules.yaml"]
scrape_configs:
  - job_name: pullwatch
    scheme: https
    tls_config: { ca_file: "$T/ca.pem", cert_file: "$T/client.pem", key_file: "$T/client.key" }
    static_configs: [{ targets: ["127.0.0.1:$HTTPS"] }]
CONF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" --web.listen-address=127.0.0.1:$PROM \
    --log.level=warn 2> "$T/prom.err" & PROMPID=$!
q() { curl -s --get "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode "query=$1"; }
value() { q "$1" | python3 -c '
import json, sys
try: r = json.load(sys.stdin)["data"]["result"]
except ValueError: r = []
print(r[0]["value"][1] if r else "none")'; }
for _ in $(seq 1 150); do [ "$(value 'up{job="pullwatch"}')" = 1 ] && break; sleep 0.2; done
check "Prometheus scrapes the sink over mTLS" 1 "$(value 'up{job="pullwatch"}')"
check "Prometheus sees every failure sent" "$expected" "$(value 'sum(pullwatch_pull_failures_total)')"
check "Prometheus sees the open incidents the sink reports" \
    "$("${C[@]}" $URL/metrics | awk '/^pullwatch_incidents_open\{/ {s += $2} END {print s + 0}')" \
    "$(value 'sum(pullwatch_incidents_open)')"
for _ in $(seq 1 100); do [ "$(value 'count(pullwatch:incidents_open:sum)')" != none ] && break; sleep 0.2; done
check "the recording rules evaluate on the sink's series" yes \
    "$([ "$(value 'count(pullwatch:incidents_open:sum)')" != none ] && echo yes || echo no)"
# Every dashboard query: Prometheus accepts it, and every metric it names is one pullwatch exposes.
python3 - "$ROOT/deploy/grafana/pullwatch.json" "$PROM" "$T/exposed" > "$T/dash.out" <<'PY' || true
import json, re, sys, urllib.parse, urllib.request
dash, port = json.load(open(sys.argv[1])), sys.argv[2]
exposed = set()
with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/label/__name__/values") as r:
    exposed = {n for n in json.load(r)["data"] if n.startswith("pullwatch_")}
bad = []
for p in dash["panels"]:
    for t in p.get("targets", []):
        expr = t["expr"].replace("$instance", ".*")
        for name in set(re.findall(r"\b(pullwatch_[a-z_]+)\b", expr)):
            if name not in exposed: bad.append(f"{p['title']}: {name} is not exposed")
        url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url) as r:
            if json.load(r)["status"] != "success": bad.append(f"{p['title']}: query failed")
print("\n".join(bad) if bad else "ok")
PY
check "every dashboard query runs and uses a metric pullwatch exposes" ok "$(cat "$T/dash.out")"
kill -TERM $PROMPID; wait $PROMPID || true

# --- promtool: the rules are valid and their unit tests pass
check "promtool check rules" 0 "$(promtool check rules deploy/prometheus/pullwatch-rules.yaml > "$T/promtool" 2>&1; echo $?)"
check "promtool test rules (every alert firing and not)" 0 "$(cd deploy/prometheus && promtool test rules pullwatch-rules.test.yaml > "$T/promtool" 2>&1; echo $?)"

# --- deploy/kubernetes: the schemas, and the containers' own arguments run
check "kubernetes-validate --strict deploy/kubernetes" 0 "$(python3 -m kubernetes_validate --strict --quiet deploy/kubernetes/*.yaml > "$T/kv" 2>&1; echo $?)"
args() { # manifest: its workload container's args, one per line
    python3 - "$1" <<'PY'
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc["kind"] in ("Deployment", "DaemonSet"):
        for a in doc["spec"]["template"]["spec"]["containers"][0]["args"]: print(a)
PY
}
mkdir -p "$T/k8s/tls" "$T/k8s/token" "$T/k8s/state" "$T/k8s/journal"
cp "$T/server.pem" "$T/k8s/tls/tls.crt"; cp "$T/server.key" "$T/k8s/tls/tls.key"; cp "$T/ca.pem" "$T/k8s/tls/ca.crt"
echo "k8s-token" > "$T/k8s/token/token"
SINKPORT=$(free_port); SINKSYSLOG=$(free_port)
mapfile -t sink_args < <(args deploy/kubernetes/sink.yaml | sed -e "s#/etc/pullwatch/#$T/k8s/#; s#/var/lib/pullwatch#$T/k8s/state#" \
    -e "s#0.0.0.0:8443#127.0.0.1:$SINKPORT#; s#0.0.0.0:6514#127.0.0.1:$SINKSYSLOG#")
"$BIN" "${sink_args[@]}" 2> "$T/k8s-sink.err" & KPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null --cacert "$T/ca.pem" https://127.0.0.1:$SINKPORT/healthz && break; sleep 0.1; done
check "the sink Deployment's arguments: HTTPS with the token Secret" 204 \
    "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" -H 'Authorization: Bearer k8s-token' --data-binary @"$T/http-lines" https://127.0.0.1:$SINKPORT/v1/ingest)"
check "the sink Deployment's arguments: no token, 401" 401 \
    "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" --data-binary x https://127.0.0.1:$SINKPORT/v1/ingest)"
kill -TERM $KPID; wait $KPID || true
# The agent follows the node's journal: a journal file written by systemd-journal-remote.
zcat samples/journal-multinode.log.gz | grep -E ' (kubelet|containerd)\[' | sed -n 1,100p > "$T/agent-old"
zcat samples/journal-multinode.log.gz | grep -E ' (kubelet|containerd)\[' | sed -n 101,500p > "$T/agent-lines"
python3 scripts/journal-export.py "$(( ($(date +%s) - 600) * 1000000 ))" < "$T/agent-old" > "$T/agent-old.export"
python3 scripts/journal-export.py "$(( ($(date +%s) - 300) * 1000000 ))" < "$T/agent-lines" > "$T/agent.export"
/lib/systemd/systemd-journal-remote --output="$T/k8s/journal/old.journal" "$T/agent-old.export" 2>/dev/null
AGENTPORT=$(free_port)
mapfile -t agent_args < <(args deploy/kubernetes/agent-daemonset.yaml | sed -e "s#/etc/pullwatch/#$T/k8s/#; s#/var/lib/pullwatch#$T/k8s/agent-state#" \
    -e "s#/var/log/journal#$T/k8s/journal#; s#0.0.0.0:9108#127.0.0.1:$AGENTPORT#")
"$BIN" "${agent_args[@]}" > /dev/null 2> "$T/k8s-agent.err" & APID=$!
for _ in $(seq 1 100); do "${C[@]}" -o /dev/null https://127.0.0.1:$AGENTPORT/healthz && break; sleep 0.1; done
# A first start follows from the journal's end (as tail does): the entries come after it.
sleep 1
/lib/systemd/systemd-journal-remote --output="$T/k8s/journal/node.journal" "$T/agent.export" 2>/dev/null
check "the agent DaemonSet's arguments: metrics over HTTPS with a client certificate" 200 \
    "$("${C[@]}" -o /dev/null -w '%{http_code}' https://127.0.0.1:$AGENTPORT/metrics)"
agent_lines() { "${C[@]}" https://127.0.0.1:$AGENTPORT/metrics | awk '$1 == "pullwatch_ingest_lines_total" {print $2}' | sed 's/\.0$//'; }
for _ in $(seq 1 100); do [ "$(agent_lines)" = 400 ] && break; sleep 0.2; done
check "the agent DaemonSet's arguments: it follows the node's journal (kubelet, containerd units)" 400 "$(agent_lines)"
kill -TERM $APID; wait $APID || true

kill -TERM $PID; rc=0; wait $PID || rc=$?; check "SIGTERM exits 0" 0 $rc
echo "serve-tls: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
