#!/usr/bin/env bash
# `pullwatch follow` over the real journal tools: a journal file written by
# systemd-journal-remote, read by `journalctl -f -o json` that pullwatch runs itself
# (--journal --journal-file), stopped and restarted with new entries (--after-cursor); and
# `journalctl -o json | pullwatch follow -` run twice over the same journal (the replay must
# not be recounted). Counts must equal a batch scan of the same lines. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/debug/pullwatch}
REMOTE=/lib/systemd/systemd-journal-remote
. scripts/test-lib.sh
counts() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["failures"]["total"], json.dumps(d["failures"]["by_cause"], sort_keys=True))'; }

zcat samples/journal-multinode.log.gz | grep -E ' (kubelet|containerd)\[' | sed -n 1,3000p > "$T/lines"
now_us=$(( $(date +%s) * 1000000 ))
sed -n 1,2000p "$T/lines" | python3 scripts/journal-export.py "$((now_us - 600000000))" > "$T/a.export"
sed -n 2001,3000p "$T/lines" | python3 scripts/journal-export.py "$((now_us - 300000000))" > "$T/b.export"
mkdir -p "$T/journal"
"$REMOTE" --output="$T/journal/a.journal" "$T/a.export" 2>/dev/null

# 1. pullwatch runs journalctl -f itself; stop it, add entries, restart (after-cursor).
"$BIN" follow --journal --journal-directory "$T/journal" --from-start --state "$T/s1" --format ndjson > "$T/ev1" 2> "$T/err" & PID=$!
sleep 2.5; kill -TERM $PID; wait $PID; check "SIGTERM exits 0" 0 $?
"$REMOTE" --output="$T/journal/b.journal" "$T/b.export" 2>/dev/null
"$BIN" follow --journal --journal-directory "$T/journal" --state "$T/s1" --format ndjson >> "$T/ev1" 2>> "$T/err" & PID=$!
sleep 2.5; kill -TERM $PID; wait $PID || true
expected=$("$BIN" scan --format json "$T/lines" | counts)
check "journalctl -f through a restart counts every entry once" "$expected" "$("$BIN" report --state "$T/s1" --format json | counts)"
grep -q '"incident_opened"' "$T/ev1" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: incident events from the journal"; }

# 2. Journal JSON on stdin, the same journal piped twice: the second run recounts nothing.
journalctl --directory "$T/journal" -o json --no-pager | "$BIN" follow - --state "$T/s2" > /dev/null 2>> "$T/err"
journalctl --directory "$T/journal" -o json --no-pager | "$BIN" follow - --state "$T/s2" > /dev/null 2>> "$T/err"
check "follow - twice over the same journal counts it once" "$expected" "$("$BIN" report --state "$T/s2" --format json | counts)"
# 3. SIGHUP reloads the rules in journal mode too (the unit's ExecReload).
mkdir -p "$T/rules"; mkfifo "$T/fifo"
"$BIN" follow - --state "$T/s3" --rules "$T/rules" < "$T/fifo" > "$T/ev3" 2> "$T/hup-err" & PID=$!
exec 3> "$T/fifo"
sleep 0.8
printf "rules:\n  - id: corp.quota\n    cause: rate_limited\n    pattern: 'mirror quota exhausted'\n    samples: ['Failed to pull image \"a:1\": mirror quota exhausted']\n" > "$T/rules/mine.yaml"
kill -HUP $PID; sleep 0.8
now_us=$(( $(date +%s) * 1000000 ))
echo "{\"__CURSOR\":\"s=1\",\"__REALTIME_TIMESTAMP\":\"$now_us\",\"_HOSTNAME\":\"n1\",\"SYSLOG_IDENTIFIER\":\"containerd\",\"MESSAGE\":\"time=\\\"2026-01-01T00:00:00Z\\\" level=error msg=\\\"PullImage \\\\\\\"a:1\\\\\\\" failed\\\" error=\\\"mirror quota exhausted\\\"\"}" >&3
sleep 0.8; exec 3>&-; wait $PID || true
check "SIGHUP reloads the rules in journal mode" "yes" "$(grep -q 'rules reloaded' "$T/hup-err" && grep -q 'rate_limited' "$T/ev3" && echo yes || echo no)"

[ -s "$T/err" ] && { echo "stderr:"; cat "$T/err"; }
echo "follow-journal: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
