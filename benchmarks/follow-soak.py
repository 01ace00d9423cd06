#!/usr/bin/env python3
"""Soak for `pullwatch follow` (not a test): failures appended to a followed log for a long time.

    follow-soak.py [--bin .build/release/pullwatch] [--failures 1000000] [--per-round 5000]
                   [--interval 0.5]

Starts `pullwatch follow --format ndjson` on a fresh state and an empty journal-style log, then
appends --per-round failure lines (kubelet and containerd wordings, 50 nodes, 200 images, six
causes, log time = now) every --interval seconds until --failures lines were written. Measures
follow's CPU seconds per failure in the first and last 10 % of the rounds, its RSS after each
tenth, and the latency from appending a failure of a new incident to its `incident_opened` event
on stdout (the last round). Checks that `report --state` counts every failure written.
"""
import argparse, json, os, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
ERRORS = [
    ("tag_not_found", 'failed to pull and unpack image \\"{ref}\\": failed to resolve reference \\"{ref}\\": {ref}: not found'),
    ("unauthorized", 'failed to pull and unpack image \\"{ref}\\": failed to resolve reference \\"{ref}\\": pulling from host {host} failed with status code [manifests 1]: 401 Unauthorized'),
    ("rate_limited", 'failed to pull and unpack image \\"{ref}\\": failed to copy: httpReadSeeker: failed open: unexpected status code https://{host}/v2/{repo}/manifests/sha256:0: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit'),
    ("network_timeout", 'failed to pull and unpack image \\"{ref}\\": failed to resolve reference \\"{ref}\\": failed to do request: Head \\"https://{host}/v2/{repo}/manifests/1\\": dial tcp 10.0.0.9:443: i/o timeout'),
    ("dns_failure", 'failed to pull and unpack image \\"{ref}\\": failed to resolve reference \\"{ref}\\": failed to do request: Head \\"https://{host}/v2/{repo}/manifests/1\\": dial tcp: lookup {host} on 10.96.0.10:53: no such host'),
    ("registry_error", 'failed to pull and unpack image \\"{ref}\\": failed to resolve reference \\"{ref}\\": unexpected status from HEAD request to https://{host}/v2/{repo}/manifests/1: 503 Service Unavailable'),
]


def line(i, now):
    node = f"node-{i % 50}"
    k = (i // 50) % 200
    host = f"registry-{k % 4}.corp.example"
    repo = f"team/app-{k}"
    ref = f"{host}/{repo}:1"
    _, err = ERRORS[k % len(ERRORS)]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1e6) % 1000000:06d}+0000"
    klog = time.strftime("%m%d %H:%M:%S", time.gmtime(now)) + f".{int(now * 1e6) % 1000000:06d}"
    return (f'{stamp} {node} kubelet[812]: E{klog} 812 remote_image.go:180] "PullImage from image service failed" '
            f'err="rpc error: code = Unknown desc = {err.format(ref=ref, host=host, repo=repo)}" image="{ref}"\n')


def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("VmRSS:"):
                rss = int(l.split()[1]) / 1024
    return cpu, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", ".build", "release", "pullwatch"))
    ap.add_argument("--failures", type=int, default=1_000_000)
    ap.add_argument("--per-round", type=int, default=5000)
    ap.add_argument("--interval", type=float, default=0.5)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pullwatch-follow-soak-")
    log = os.path.join(work, "node.log")
    open(log, "w").close()
    follow = subprocess.Popen([args.bin, "follow", "--format", "ndjson", "--state", os.path.join(work, "state"), log],
                              stdout=subprocess.PIPE, stderr=open(os.path.join(work, "follow.err"), "w"), text=True)
    events = []
    marker_seen = threading.Event()

    def read_events():
        for l in follow.stdout:
            events.append(l)
            if '"incident_opened"' in l and "soak-marker" in l:
                marker_seen.set()
    threading.Thread(target=read_events, daemon=True).start()
    time.sleep(1.0)

    rounds = args.failures // args.per_round
    per_round_cpu, rss_at = [], []
    written = 0
    cpu_before, _ = stat(follow.pid)
    with open(log, "a") as f:
        for r in range(rounds):
            now = time.time()
            f.write("".join(line(written + j, now) for j in range(args.per_round)))
            f.flush()
            written += args.per_round
            time.sleep(args.interval)
            cpu, rss = stat(follow.pid)
            per_round_cpu.append(cpu - cpu_before)
            cpu_before = cpu
            if (r + 1) % max(1, rounds // 10) == 0:
                rss_at.append(rss)
        # Wait until follow has caught up (its CPU time stops moving), then line -> event: a
        # failure of a new incident.
        while True:
            a, _ = stat(follow.pid)
            time.sleep(1.0)
            b, _ = stat(follow.pid)
            if b - a < 0.05:
                break
        now = time.time()
        marker = line(0, now).replace("team/app-0", "team/soak-marker")
        t0 = time.monotonic()
        f.write(marker)
        f.flush()
        written += 1
    latency = time.monotonic() - t0 if marker_seen.wait(10) else None
    time.sleep(1.0)
    follow.terminate()
    follow.wait()
    report = json.loads(subprocess.run([args.bin, "report", "--state", os.path.join(work, "state"), "--format", "json"],
                                       capture_output=True, check=True).stdout)
    tenth = max(1, rounds // 10)
    first = sum(per_round_cpu[:tenth]) / (tenth * args.per_round) * 1e6
    last = sum(per_round_cpu[-tenth:]) / (tenth * args.per_round) * 1e6
    print(f"{written} failures in {rounds} rounds of {args.per_round} every {args.interval} s")
    print(f"follow CPU per failure: first 10 % {first:.1f} µs, last 10 % {last:.1f} µs (ratio {last / first:.2f})")
    print("follow RSS after each tenth: " + ", ".join(f"{r:.0f}" for r in rss_at) + " MiB")
    print(f"line -> incident_opened: {latency * 1000:.0f} ms" if latency is not None else "line -> incident_opened: not seen in 10 s")
    print(f"report --state: {report['failures']['total']} failures, {len(report['incidents'])} incidents; events: {len(events)}")
    if report["failures"]["total"] != written:
        sys.exit(f"report counts {report['failures']['total']} failures, {written} were written")


if __name__ == "__main__":
    main()
