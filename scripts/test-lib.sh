# Sourced by the end-to-end test scripts: a scratch directory $T, `check`, `free_port`, and a
# cleanup on exit that stops the processes a script started and keeps the verdict of its checks.
T=$(mktemp -d)
passed=0; failed=0

check() { # name, expected, actual
    if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cleanup() {
    local rc=$?
    kill -9 $(jobs -p) 2>/dev/null || true
    { wait; } 2>/dev/null || true
    rm -rf "$T" || true
    exit $rc
}
trap cleanup EXIT
