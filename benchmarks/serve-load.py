#!/usr/bin/env python3
"""Load benchmark for `pullwatch serve` (not a test): gzip NDJSON batches over HTTP on loopback.

    serve-load.py [--bin .build/release/pullwatch] [--lines 1000000] [--batch 1000]
                  [--clients 4] [--shape fluent-bit|vector|mixed] [--failures-only]
                  [--tls | --compare-tls]

Generates a realistic node journal with benchmarks/generate.py (kubelet, containerd and CRI-O
lines, ~0.5 % of them image-pull failures), turns every line into the record a shipper sends
(Fluent Bit's systemd input: journald fields + `date`; Vector's journald source: `message`,
`host`, `timestamp`, …), cuts them into batches of --batch lines, gzips each batch up front,
then starts `pullwatch serve` with a fresh state directory and posts the batches from
--clients keep-alive connections, retrying 503 after its Retry-After like a shipper does.

With --tls the sink serves HTTPS (a certificate made with openssl) and the clients speak TLS;
--compare-tls sends the same batches to a plain sink and then to a TLS sink (each with a fresh
state directory) and prints the ratio of their rates.

With --failures-only every line sent is an image-pull failure (the generator's failure lines,
cycled): a registry outage seen by a whole cluster.

Reports lines/s from the first request to the last 2xx, the server's CPU seconds, its RSS at
each quarter of the load and its peak, the time `GET /v1/report` takes at the end, and checks that /metrics counted exactly the lines sent and that the failures the sink found
equal what `pullwatch scan` finds in the same lines as plain journal text.
"""
import argparse, gzip, http.client, json, os, re, socket, ssl, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r"^(\w{3} +\d+ [\d:.]+) (\S+) ([^\[:]+)(?:\[(\d+)\])?: (.*)$")


FAILURE = re.compile(r"Failed to pull image|PullImage .* failed|ErrImagePull|ImagePullBackOff|Back-off pulling image")


def journal_lines(journal_path, failures_only):
    with open(journal_path) as f:
        lines = f.readlines()
    if not failures_only:
        yield from lines
        return
    failing = [l for l in lines if FAILURE.search(l)]
    while True:
        yield from failing


def records(journal_path, shape, used, failures_only=False, step=0.01):
    """Shipper records from a journal in short-precise form; the lines used go to `used`.
    Record i is stamped `step` seconds after record i-1."""
    base = 1795341600.0
    if True:
        for i, line in enumerate(journal_lines(journal_path, failures_only)):
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            used.write(line)
            stamp, host, ident, pid, msg = m.groups()
            t = base + i * step
            use = shape if shape != "mixed" else ("fluent-bit" if i % 2 == 0 else "vector")
            if use == "fluent-bit":
                yield {"date": t, "PRIORITY": "6", "_HOSTNAME": host, "SYSLOG_IDENTIFIER": ident,
                       "_PID": pid or "1", "_SYSTEMD_UNIT": ident + ".service", "_TRANSPORT": "stdout",
                       "_SOURCE_REALTIME_TIMESTAMP": str(int(t * 1e6)), "MESSAGE": msg}
            else:
                yield {"__REALTIME_TIMESTAMP": str(int(t * 1e6)), "_SYSTEMD_UNIT": ident + ".service",
                       "message": msg, "host": host, "SYSLOG_IDENTIFIER": ident, "_PID": pid or "1",
                       "source_type": "journald", "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + "Z"}


def batches(journal_path, shape, lines, size, used, failures_only=False, step=0.01):
    out, current, n = [], [], 0
    for r in records(journal_path, shape, used, failures_only, step):
        current.append(json.dumps(r, separators=(",", ":")))
        n += 1
        if len(current) == size or n == lines:
            body = ("\n".join(current) + "\n").encode()
            out.append((len(current), len(body), gzip.compress(body, 6)))
            current = []
        if n == lines:
            break
    return out


def rss(pid):
    """Resident set size now, MiB."""
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1]) / 1024
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_stats(pid):
    """CPU seconds (user + system) and peak RSS in MiB of a running process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    peak = 0
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("VmHWM:"):
                peak = int(l.split()[1]) / 1024
    return cpu, peak


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", ".build", "release", "pullwatch"))
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--shape", default="mixed", choices=["fluent-bit", "vector", "mixed"])
    ap.add_argument("--failures-only", action="store_true", help="send only image-pull failure lines")
    ap.add_argument("--rate", type=float, help="lines per second of log time (default 100; 50000 with --failures-only: "
                    "a cluster-wide outage, as many failures a second as the sink should take)")
    ap.add_argument("--tls", action="store_true", help="HTTPS between the clients and the sink")
    ap.add_argument("--compare-tls", action="store_true", help="the same load over HTTP, then over HTTPS; print the ratio")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="pullwatch-load-")
    journal = os.path.join(work, "journal.log")
    # ~270 bytes per journal line: generate a little more than needed.
    mb = max(1, (min(args.lines, 400_000) if args.failures_only else args.lines) * 300 // (1 << 20) + 1)
    subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "bench", journal, str(mb)], check=True)
    used = os.path.join(work, "used.log")
    with open(used, "w") as u:
        rate = args.rate or (50_000 if args.failures_only else 100)
        todo = batches(journal, args.shape, args.lines, args.batch, u, args.failures_only, 1 / rate)
    total_lines = sum(b[0] for b in todo)
    raw = sum(b[1] for b in todo)
    wire = sum(len(b[2]) for b in todo)
    print(f"{total_lines} lines in {len(todo)} batches of {args.batch} ({args.shape}): "
          f"{raw / 2**20:.1f} MiB NDJSON, {wire / 2**20:.1f} MiB gzip", flush=True)

    modes = [False, True] if args.compare_tls else [args.tls]
    rates = []
    for tls in modes:
        rates.append(run(args, todo, total_lines, raw, wire, used, work, tls))
    if args.compare_tls:
        print(f"TLS / plain: {rates[1] / rates[0]:.2f} of the plain rate ({rates[0] / rates[1]:.2f}x slower)")


def certificate(work):
    """A self-signed certificate for 127.0.0.1 (openssl), and a client context trusting it."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(cafile=cert)
    return cert, key, context


def run(args, todo, total_lines, raw, wire, used, work, tls):
    """Starts a sink (plain or TLS) with a fresh state, sends every batch, checks and prints; the rate."""
    print(f"--- {'HTTPS' if tls else 'HTTP'} ---", flush=True)
    state = tempfile.mkdtemp(prefix="state-", dir=work)
    extra, context = [], None
    if tls:
        cert, key, context = certificate(work)
        extra = ["--tls-cert", cert, "--tls-key", key]
    def connection(port, timeout):
        if tls:
            return http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
        return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    port = free_port()
    server = subprocess.Popen([args.bin, "serve", "--listen", f"127.0.0.1:{port}", "--state", state] + extra,
                              stderr=open(os.path.join(work, "serve.err"), "a"))
    for _ in range(200):
        try:
            c = connection(port, 1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                break
        except (OSError, ssl.SSLError):
            time.sleep(0.05)
    cpu0, _ = proc_stats(server.pid)

    lock = threading.Lock()
    queue = list(reversed(todo))
    counts = {"ok": 0, "503": 0, "other": 0}

    def client():
        conn = connection(port, 60)
        headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
        while True:
            with lock:
                if not queue:
                    return
                batch = queue.pop()
            while True:
                conn.request("POST", "/v1/ingest", body=batch[2], headers=headers)
                resp = conn.getresponse()
                resp.read()
                with lock:
                    if resp.status == 503:
                        counts["503"] += 1
                    elif 200 <= resp.status < 300:
                        counts["ok"] += 1
                    else:
                        counts["other"] += 1
                if resp.status != 503:
                    break
                time.sleep(float(resp.getheader("Retry-After", "1")))

    rss_at = []
    def sample():
        marks = [len(todo) * q // 4 for q in (1, 2, 3)]
        while marks:
            with lock:
                done = len(todo) - len(queue)
            if done >= marks[0]:
                rss_at.append(rss(server.pid))
                marks.pop(0)
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    cpu1, peak = proc_stats(server.pid)
    rss_at.append(rss(server.pid))

    c = connection(port, 10)
    c.request("GET", "/metrics")
    metrics = c.getresponse().read().decode()
    counted = sum(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("pullwatch_ingest_lines_total"))
    failures = sum(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("pullwatch_pull_failures_total{"))
    t0 = time.monotonic()
    c.request("GET", "/v1/report")
    by_cause = json.loads(c.getresponse().read())["failures"]["by_cause"]
    report_seconds = time.monotonic() - t0
    server.terminate()
    server.wait()
    scanned = json.loads(subprocess.run([args.bin, "scan", "--format", "json", used], capture_output=True, check=True).stdout)

    print(f"sent {total_lines} lines in {elapsed:.2f} s: {total_lines / elapsed:,.0f} lines/s, "
          f"{raw / 2**20 / elapsed:.1f} MiB/s NDJSON ({wire / 2**20 / elapsed:.1f} MiB/s gzip on the wire)")
    print(f"answers: {counts['ok']} 2xx, {counts['503']} 503 (retried), {counts['other']} other")
    print(f"server: {cpu1 - cpu0:.2f} CPU s ({(cpu1 - cpu0) / elapsed:.2f} cores), peak RSS {peak:.0f} MiB; "
          f"/metrics: {counted:.0f} lines, {failures:.0f} pull failures")
    print("server RSS at 1/4, 1/2, 3/4 and all of the load: " + ", ".join(f"{r:.0f}" for r in rss_at) + " MiB; "
          f"GET /v1/report at the end: {report_seconds * 1000:.0f} ms")
    print(f"scan of the same lines as journal text: {scanned['failures']['total']} pull failures"
          + ("" if scanned["failures"]["by_cause"] == by_cause else f" — by cause differs: sink {by_cause}, scan {scanned['failures']['by_cause']}"))
    if int(counted) != total_lines or counts["other"]:
        sys.exit("lines counted by the server differ from lines sent")
    if scanned["failures"]["by_cause"] != by_cause:
        sys.exit("the sink and scan disagree")
    return total_lines / elapsed



if __name__ == "__main__":
    main()
