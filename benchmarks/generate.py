#!/usr/bin/env python3
"""Generates realistic node logs with image-pull failures mixed into ordinary noise.

    generate.py samples OUTDIR            the small committed archive in samples/
    generate.py bench OUT.log SIZE_MB     one large journal (plain text; gzip it yourself)
    generate.py bench-hard OUT.log SIZE_MB   the same, ordinary lines all saying image/pull/failed
    generate.py noise OUT.log LINES       ordinary lines only (for allocation counting)

Deterministic (fixed seed). Message texts follow real kubelet, containerd, CRI-O and
registry wording as seen in public issue trackers; names and hosts are invented.
"""
import gzip, json, os, random, sys

R = random.Random(20261122)
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

# (registry, repository, tag) triples used by failures.
IMAGES = {
    "tag_not_found": [("docker.io", "library/nginx", "1.99"), ("ghcr.io", "acme/api", "v2.3.9"), ("quay.io", "prometheus/node-exporter", "v9.9.9")],
    "unauthorized": [("harbor.corp.example:8443", "team/billing", "2.4.1"), ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "payments/worker", "1.8.0")],
    "access_denied": [("docker.io", "acme/private-tool", "3.1"), ("docker.io", "acmecorp/internal", "latest")],
    "rate_limited": [("docker.io", "library/redis", "7.2"), ("docker.io", "bitnami/postgresql", "16.1.0")],
    "dns_failure": [("registry.corp.example", "platform/sidecar", "1.4.2")],
    "network_timeout": [("europe-docker.pkg.dev", "acme-prod/images/frontend", "2026.11.1")],
    "connection_failed": [("mirror.internal:5000", "library/busybox", "1.36")],
    "tls_error": [("registry.lab.example:5000", "tools/debug", "0.3")],
    "disk_pressure": [("docker.io", "library/python", "3.12")],
    "platform_mismatch": [("docker.io", "acme/legacy-agent", "1.0")],
    "registry_error": [("nexus.corp.example:8082", "ml/trainer", "5.0.2")],
}

NODES = ["ip-10-0-1-17", "ip-10-0-2-41", "ip-10-0-3-8"]
CRIO_NODE = "worker-crio-1"
NAMESPACES = ["shop", "billing", "monitoring", "kube-system", "data"]


def ts_short(t):
    """journalctl short-precise: Nov 22 10:00:00.123456 (UTC)."""
    s = int(t)
    us = int((t - s) * 1e6)
    import time as _t
    g = _t.gmtime(s)
    return f"{MONTHS[g.tm_mon-1]} {g.tm_mday:02d} {g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d}.{us:06d}"


def ts_rfc(t, digits=9):
    import time as _t
    s = int(t)
    g = _t.gmtime(s)
    frac = f"{t - s:.9f}"[2:2 + digits]
    return f"{g.tm_year:04d}-{g.tm_mon:02d}-{g.tm_mday:02d}T{g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d}.{frac}Z"


def klog_hdr(level, t, pid, src):
    import time as _t
    s = int(t)
    g = _t.gmtime(s)
    us = int((t - s) * 1e6)
    return f"{level}{g.tm_mon:02d}{g.tm_mday:02d} {g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d}.{us:06d}    {pid} {src}]"


def goq(s):
    """Go %q quoting of s (enough for these texts)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def full_ref(reg, repo, tag):
    return f"{reg}/{repo}:{tag}"


def written_ref(reg, repo, tag):
    """The image as a pod spec would write it (docker.io shortened)."""
    if reg == "docker.io":
        return (repo[len("library/"):] if repo.startswith("library/") else repo) + ":" + tag
    return full_ref(reg, repo, tag)


def runtime_error(cause, reg, repo, tag):
    """containerd's error text for a failed pull of reg/repo:tag."""
    ref = full_ref(reg, repo, tag)
    head = f'failed to pull and unpack image "{ref}": '
    resolve = f'failed to resolve reference "{ref}": '
    if cause == "tag_not_found":
        return "NotFound", head + resolve + f"{ref}: not found"
    if cause == "unauthorized":
        if "ecr" in reg:
            return "Unknown", head + resolve + f"pulling from host {reg} failed with status code [manifests {tag}]: 403 Forbidden"
        return "Unknown", head + resolve + f"failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://{reg}/service/token?scope=repository%3A{repo.replace('/', '%2F')}%3Apull&service=harbor-registry: 401 Unauthorized"
    if cause == "access_denied":
        return "Unknown", head + resolve + "pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
    if cause == "rate_limited":
        return "Unknown", head + f"failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/{repo}/manifests/sha256:{'%064x' % R.getrandbits(256)}: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"
    if cause == "dns_failure":
        return "Unknown", head + resolve + f'failed to do request: Head "https://{reg}/v2/{repo}/manifests/{tag}": dial tcp: lookup {reg} on 10.96.0.10:53: no such host'
    if cause == "network_timeout":
        return "Unknown", head + resolve + f'failed to do request: Head "https://{reg}/v2/{repo}/manifests/{tag}": dial tcp 142.250.74.110:443: i/o timeout'
    if cause == "connection_failed":
        return "Unknown", head + resolve + f'failed to do request: Head "https://{reg}/v2/{repo}/manifests/{tag}": dial tcp 10.20.0.5:5000: connect: connection refused'
    if cause == "tls_error":
        return "Unknown", head + resolve + f'failed to do request: Head "https://{reg}/v2/{repo}/manifests/{tag}": tls: failed to verify certificate: x509: certificate signed by unknown authority'
    if cause == "disk_pressure":
        return "Unknown", head + f"failed to extract layer sha256:{'%064x' % R.getrandbits(256)}: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/{R.randint(100,999)}/fs/usr/lib/python3.12/lib-dynload/_ssl.so: no space left on device: unknown"
    if cause == "platform_mismatch":
        return "NotFound", head + "no match for platform in manifest: not found"
    if cause == "registry_error":
        return "Unknown", head + resolve + f"unexpected status from HEAD request to https://{reg}/v2/{repo}/manifests/{tag}: 503 Service Unavailable"
    raise ValueError(cause)


class Journal:
    """Writes journalctl short-precise lines for kubelet and containerd on several nodes."""

    def __init__(self, out, start):
        self.out = out
        self.t = start
        self.pids = {n: (R.randint(800, 3000), R.randint(600, 900)) for n in NODES + [CRIO_NODE]}

    def line(self, node, prog, pid, text):
        self.out.write(f"{ts_short(self.t)} {node} {prog}[{pid}]: {text}\n")

    def kubelet(self, node, level, src, text):
        kp, _ = self.pids[node]
        self.line(node, "kubelet", kp, f"{klog_hdr(level, self.t, kp, src)} {text}")

    def containerd(self, node, level, msg, **fields):
        _, cp = self.pids[node]
        extra = "".join(f" {k}={goq(v)}" for k, v in fields.items())
        self.line(node, "containerd", cp, f'time="{ts_rfc(self.t)}" level={level} msg={goq(msg)}{extra}')

    def advance(self, seconds):
        self.t += seconds

    def noise(self, node):
        pod = f"{R.choice(['web', 'api', 'cart', 'search', 'worker'])}-{R.randint(1000,9999):x}"
        ns = R.choice(NAMESPACES)
        kind = R.randrange(10)
        if kind == 0:
            self.kubelet(node, "I", "prober.go:107", f'"Probe failed" probeType="Readiness" pod="{ns}/{pod}" podUID="{R.getrandbits(64):016x}" containerName="app" probeResult="failure" output="HTTP probe failed with statuscode: 503"')
        elif kind == 1:
            self.kubelet(node, "I", "reconciler_common.go:258", f'"operationExecutor.VerifyControllerAttachedVolume started for volume \\"kube-api-access-{R.randint(10000,99999)}\\" (UniqueName: \\"kubernetes.io/projected/{R.getrandbits(64):016x}-kube-api-access\\") pod \\"{pod}\\" (UID: \\"{R.getrandbits(64):016x}\\") " pod="{ns}/{pod}"')
        elif kind == 2:
            self.containerd(node, "info", f"StartContainer for \"{R.getrandbits(256):064x}\" returns successfully")
        elif kind == 3:
            self.containerd(node, "info", f"ImageCreate event name:\"sha256:{R.getrandbits(256):064x}\" labels:{{key:\"io.cri-containerd.image\" value:\"managed\"}}")
        elif kind == 4:
            self.kubelet(node, "I", "kubelet.go:2436", f'"SyncLoop (PLEG): event for pod" pod="{ns}/{pod}" event={{"ID":"{R.getrandbits(64):016x}","Type":"ContainerStarted","Data":"{R.getrandbits(256):064x}"}}')
        elif kind == 5:
            self.kubelet(node, "E", "pod_workers.go:1298", f'"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=app pod={pod}_{ns}({R.getrandbits(64):016x})\\"" pod="{ns}/{pod}" podUID="{R.getrandbits(64):016x}"')
        elif kind == 6:
            self.kubelet(node, "I", "kuberuntime_container.go:745", f'"Killing container with a grace period" pod="{ns}/{pod}" podUID="{R.getrandbits(64):016x}" containerName="app" containerID="containerd://{R.getrandbits(256):064x}" gracePeriod=30')
        elif kind == 7:
            img = R.choice(["docker.io/library/nginx:1.27", "registry.k8s.io/pause:3.9", "quay.io/prometheus/prometheus:v2.54.1"])
            self.containerd(node, "info", f"PullImage \"{img}\"")
            self.containerd(node, "info", f"Pulled image \"{img}\" with image id \"sha256:{R.getrandbits(256):064x}\", repo tag \"{img}\", repo digest \"{img.split(':')[0]}@sha256:{R.getrandbits(256):064x}\", size \"{R.randint(10**6, 10**8)}\" in {R.uniform(0.5, 9):.6f}s")
        elif kind == 8:
            self.kubelet(node, "W", "cadvisor_stats_provider.go:469", f'"Partial failure issuing cadvisor.ContainerInfoV2" err="partial failures: [\\"/kubepods.slice/kubepods-burstable.slice\\": RecentStats: unable to find data in memory cache]"')
        else:
            self.kubelet(node, "I", "scope.go:117", f'"RemoveContainer" containerID="{R.getrandbits(256):064x}"')

    def failure(self, node, cause, reg, repo, tag, ns, pod):
        """One failed attempt as containerd + kubelet log it (3–4 records)."""
        code, err = runtime_error(cause, reg, repo, tag)
        image = written_ref(reg, repo, tag)
        ref = full_ref(reg, repo, tag)
        self.containerd(node, "info", f"PullImage \"{image}\"")
        self.advance(R.uniform(0.05, 2.0))
        self.containerd(node, "error", f"PullImage \"{image}\" failed", error=f"rpc error: code = {code} desc = {err}")
        rpc = f"rpc error: code = {code} desc = {err}"
        self.kubelet(node, "E", "remote_image.go:180", f'"PullImage from image service failed" err={goq(rpc)} image={goq(image)}')
        self.kubelet(node, "E", "kuberuntime_manager.go:1256", f'"Unhandled Error" err="container &Container{{Name:app,Image:{image},}} start failed in pod {pod}_{ns}({R.getrandbits(64):016x}): ErrImagePull: {goq(rpc)[1:-1]}" logger="UnhandledError"')
        inner = goq(rpc)
        self.kubelet(node, "E", "pod_workers.go:1298", f'"Error syncing pod, skipping" err={goq(chr(34).join(["failed to ", "StartContainer", " for ", "app", " with ErrImagePull: "]) + inner)} pod="{ns}/{pod}" podUID="{R.getrandbits(64):016x}"')

    def backoff(self, node, image, ns, pod):
        self.kubelet(node, "E", "pod_workers.go:1298", f'"Error syncing pod, skipping" err={goq("failed to " + chr(34) + "StartContainer" + chr(34) + " for " + chr(34) + "app" + chr(34) + " with ImagePullBackOff: " + goq("Back-off pulling image " + goq(image)))} pod="{ns}/{pod}" podUID="{R.getrandbits(64):016x}"')


class HardJournal(Journal):
    """Ordinary lines a literal gate cannot reject by its common words: every one says image,
    pull, failed or Error syncing pod (successful pulls, crash loops, probe and GC failures),
    ~320 bytes long."""

    def noise(self, node):
        pod = f"{R.choice(['web', 'api', 'cart', 'search', 'worker'])}-{R.randint(1000,9999):x}"
        ns = R.choice(NAMESPACES)
        uid = f"{R.getrandbits(128):032x}"
        img = R.choice(["docker.io/library/nginx:1.27", "registry.k8s.io/pause:3.9", "quay.io/prometheus/prometheus:v2.54.1",
                        "ghcr.io/acme/api:2.14.1", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/cart:7f3a9c1"])
        kind = R.randrange(8)
        if kind in (0, 1):
            Journal.noise(self, node)
        elif kind == 2:
            self.kubelet(node, "I", "event.go:389", f'"Event occurred" object="{ns}/{pod}" fieldPath="spec.containers{{app}}" kind="Pod" apiVersion="v1" type="Normal" reason="Pulled" message="Successfully pulled image \\"{img}\\" in {R.uniform(0.3, 9):.3f}s ({R.uniform(0.3, 9):.3f}s including waiting). Image size: {R.randint(10**6, 10**9)} bytes."')
        elif kind == 3:
            self.kubelet(node, "I", "event.go:389", f'"Event occurred" object="{ns}/{pod}" fieldPath="spec.containers{{app}}" kind="Pod" apiVersion="v1" type="Normal" reason="Pulling" message="Pulling image \\"{img}\\"" podUID="{uid}"')
        elif kind == 4:
            self.kubelet(node, "E", "pod_workers.go:1298", f'"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with CrashLoopBackOff: \\"back-off 2m40s restarting failed container=app pod={pod}_{ns}({uid})\\"" pod="{ns}/{pod}" podUID="{uid}" image="{img}"')
        elif kind == 5:
            self.kubelet(node, "E", "kubelet.go:1561", f'"Image garbage collection failed once. Stats initialization may not have completed yet" err="failed to get imageFs info: unable to find data in memory cache" node="{node}" images={R.randint(20, 90)} pulled={R.randint(0, 5)}')
        elif kind == 6:
            self.containerd(node, "info", f"ImageUpdate event name:\"{img}\" labels:{{key:\"io.cri-containerd.image\" value:\"managed\"}}", pull="done", failed="0", duration=f"{R.uniform(0.3, 9):.3f}s")
        else:
            self.kubelet(node, "I", "prober.go:107", f'"Probe failed" probeType="Liveness" pod="{ns}/{pod}" podUID="{uid}" containerName="app" probeResult="failure" output="Get \\"http://10.{R.randint(0,255)}.{R.randint(0,255)}.{R.randint(1,254)}:8080/healthz\\": context deadline exceeded (image {img})"')


def journal(out, start, lines, failure_every, journal_class=Journal):
    j = journal_class(out, start)
    causes = list(IMAGES)
    written = 0
    # Each incident lives on a node set and a time window; failures repeat with back-off.
    plan = []
    for cause in causes:
        reg, repo, tag = R.choice(IMAGES[cause])
        nodes = [R.choice(NODES)] if cause in ("disk_pressure", "tls_error") else NODES
        plan.append((cause, reg, repo, tag, nodes, R.choice(NAMESPACES)))
    pods = {}
    while written < lines:
        j.advance(R.uniform(0.001, 0.4))
        node = R.choice(NODES)
        if R.randrange(failure_every) == 0:
            cause, reg, repo, tag, nodes, ns = R.choice(plan)
            node = R.choice(nodes)
            pod = pods.setdefault((cause, node), f"{repo.split('/')[-1]}-{R.randint(10**9, 10**10):x}"[:40])
            if R.randrange(3) == 0:
                j.backoff(node, written_ref(reg, repo, tag), ns, pod)
                written += 1
            else:
                j.failure(node, cause, reg, repo, tag, ns, pod)
                written += 5
        else:
            j.noise(node)
            written += 1
    return j.t


def crio_log(out, start):
    """A CRI-O node's journal: crio's own logrus lines and kubelet reporting CRI-O errors."""
    t = start
    pid_c, pid_k = 912, 1403
    def crio(level, msg, **f):
        extra = "".join(f" {k}={v if ' ' not in v else goq(v)}" for k, v in f.items())
        out.write(f'{ts_short(t)} {CRIO_NODE} crio[{pid_c}]: time="{ts_rfc(t)[:-1].replace("T", " ")}Z" level={level} msg={goq(msg)}{extra}\n')
    def kubelet(level, src, text):
        out.write(f"{ts_short(t)} {CRIO_NODE} kubelet[{pid_k}]: {klog_hdr(level, t, pid_k, src)} {text}\n")
    errs = [
        ("quay.io/acme/ledger:4.0.0-rc9", "initializing source docker://quay.io/acme/ledger:4.0.0-rc9: reading manifest 4.0.0-rc9 in quay.io/acme/ledger: manifest unknown"),
        ("registry.redhat.example/ubi9/tools:9.4", "initializing source docker://registry.redhat.example/ubi9/tools:9.4: pinging container registry registry.redhat.example: Get \"https://registry.redhat.example/v2/\": dial tcp: lookup registry.redhat.example on 192.168.122.1:53: server misbehaving"),
        ("quay.io/acme/private-app:2.2", "initializing source docker://quay.io/acme/private-app:2.2: reading manifest 2.2 in quay.io/acme/private-app: unauthorized: access to the requested resource is not authorized"),
        ("app:dev", "short-name \"app:dev\" did not resolve to an alias and no unqualified-search registries are defined in \"/etc/containers/registries.conf\""),
    ]
    for i in range(400):
        t += R.uniform(0.2, 3)
        r = R.randrange(12)
        if r == 0:
            image, err = R.choice(errs)
            crio("info", f"Pulling image: {image}", id=f"{R.getrandbits(128):032x}", name="/runtime.v1.ImageService/PullImage")
            t += R.uniform(0.1, 1)
            kubelet("E", "remote_image.go:180", f'"PullImage from image service failed" err={goq("rpc error: code = Unknown desc = " + err)} image={goq(image)}')
            kubelet("E", "kuberuntime_image.go:55", f'"Failed to pull image" err={goq("rpc error: code = Unknown desc = " + err)} image={goq(image)}')
        elif r < 6:
            crio("info", "Checking image status: registry.k8s.io/pause:3.9", id=f"{R.getrandbits(128):032x}", name="/runtime.v1.ImageService/ImageStatus")
        elif r < 9:
            crio("info", f"Created container {R.getrandbits(256):064x}: monitoring/node-exporter-{R.randint(1000,9999)}/node-exporter", id=f"{R.getrandbits(128):032x}", name="/runtime.v1.RuntimeService/CreateContainer")
        else:
            kubelet("I", "kubelet.go:2436", f'"SyncLoop (probe)" probe="readiness" status="ready" pod="monitoring/node-exporter-{R.randint(1000,9999)}"')


def events(out, start):
    """kubectl get events -w -o json: pretty objects, counts increasing per name."""
    t = start
    objs = []
    specs = [
        ("shop", "web-6f9c7d-x2x9p", NODES[0], "Failed", "Warning", 'Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found'),
        ("shop", "web-6f9c7d-x2x9p", NODES[0], "Failed", "Warning", "Error: ErrImagePull"),
        ("shop", "web-6f9c7d-x2x9p", NODES[0], "BackOff", "Normal", 'Back-off pulling image "nginx:1.99"'),
        ("shop", "web-6f9c7d-x2x9p", NODES[0], "Failed", "Warning", "Error: ImagePullBackOff"),
        ("billing", "invoicer-5d4b8-7hq2m", NODES[1], "Failed", "Warning", 'Failed to pull image "harbor.corp.example:8443/team/billing:2.4.1": failed to pull and unpack image "harbor.corp.example:8443/team/billing:2.4.1": failed to resolve reference "harbor.corp.example:8443/team/billing:2.4.1": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://harbor.corp.example:8443/service/token?scope=repository%3Ateam%2Fbilling%3Apull&service=harbor-registry: 401 Unauthorized'),
        ("data", "etl-28391-kq8w", NODES[2], "Failed", "Warning", 'Failed to pull image "bitnami/postgresql:16.1.0": failed to pull and unpack image "docker.io/bitnami/postgresql:16.1.0": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/bitnami/postgresql/manifests/sha256:0f3a: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit'),
        ("shop", "cart-77d-5kq", NODES[1], "Pulling", "Normal", 'Pulling image "ghcr.io/acme/cart:1.4.0"'),
        ("shop", "cart-77d-5kq", NODES[1], "Pulled", "Normal", 'Successfully pulled image "ghcr.io/acme/cart:1.4.0" in 2.31s (2.31s including waiting). Image size: 48213921 bytes.'),
        ("monitoring", "agent-x8k2z", NODES[2], "InspectFailed", "Warning", 'Failed to apply default image tag "Acme/Agent:2": couldn\'t parse image reference "Acme/Agent:2": invalid reference format: repository name must be lowercase'),
        ("monitoring", "agent-x8k2z", NODES[2], "Failed", "Warning", "Error: InvalidImageName"),
        ("dev", "scratchpad-1", NODES[0], "ErrImageNeverPull", "Warning", 'Container image "scratchpad:dev" is not present with pull policy of Never'),
    ]
    counts = {}
    for round_ in range(6):
        for (ns, pod, node, reason, typ, msg) in specs:
            if round_ > 0 and reason in ("Pulling", "Pulled"):
                continue
            t += R.uniform(1, 20)
            key = (ns, pod, reason, msg)
            name = counts.setdefault(key, (f"{pod}.{R.getrandbits(64):016x}"[:50], 0))[0]
            count = counts[key][1] + 1
            counts[key] = (name, count)
            obj = {
                "apiVersion": "v1", "kind": "Event",
                "count": count,
                "firstTimestamp": ts_rfc(start, 0)[:-2] + "Z" if False else ts_rfc(start)[:19] + "Z",
                "involvedObject": {"apiVersion": "v1", "fieldPath": "spec.containers{app}", "kind": "Pod", "name": pod, "namespace": ns, "resourceVersion": str(R.randint(10**6, 10**7)), "uid": f"{R.getrandbits(128):032x}"},
                "lastTimestamp": ts_rfc(t)[:19] + "Z",
                "message": msg,
                "metadata": {"creationTimestamp": ts_rfc(start)[:19] + "Z", "name": name, "namespace": ns, "resourceVersion": str(R.randint(10**6, 10**7)), "uid": f"{R.getrandbits(128):032x}"},
                "reason": reason,
                "reportingComponent": "kubelet", "reportingInstance": node,
                "source": {"component": "kubelet", "host": node},
                "type": typ,
            }
            objs.append(obj)
    for obj in objs:
        out.write(json.dumps(obj, indent=4) + "\n")


def describe(out):
    out.write("""Name:             invoicer-5d4b8-7hq2m
Namespace:        billing
Priority:         0
Service Account:  invoicer
Node:             ip-10-0-2-41/10.0.2.41
Start Time:       Sun, 22 Nov 2026 09:58:12 +0000
Labels:           app=invoicer
                  pod-template-hash=5d4b8
Status:           Pending
IP:               10.244.2.19
Containers:
  app:
    Container ID:
    Image:          harbor.corp.example:8443/team/billing:2.4.1
    Image ID:
    Port:           8080/TCP
    State:          Waiting
      Reason:       ImagePullBackOff
    Ready:          False
    Restart Count:  0
Conditions:
  Type              Status
  Initialized       True
  Ready             False
  ContainersReady   False
  PodScheduled      True
Events:
  Type     Reason     Age                  From               Message
  ----     ------     ----                 ----               -------
  Normal   Scheduled  12m                  default-scheduler  Successfully assigned billing/invoicer-5d4b8-7hq2m to ip-10-0-2-41
  Normal   Pulling    10m (x4 over 12m)    kubelet            Pulling image "harbor.corp.example:8443/team/billing:2.4.1"
  Warning  Failed     10m (x4 over 12m)    kubelet            Failed to pull image "harbor.corp.example:8443/team/billing:2.4.1": failed to pull and unpack image "harbor.corp.example:8443/team/billing:2.4.1": failed to resolve reference "harbor.corp.example:8443/team/billing:2.4.1": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://harbor.corp.example:8443/service/token?scope=repository%3Ateam%2Fbilling%3Apull&service=harbor-registry: 401 Unauthorized
  Warning  Failed     10m (x4 over 12m)    kubelet            Error: ErrImagePull
  Warning  Failed     2m (x43 over 12m)    kubelet            Error: ImagePullBackOff
  Normal   BackOff    2m (x44 over 12m)    kubelet            Back-off pulling image "harbor.corp.example:8443/team/billing:2.4.1"
""")


def journal_json(out, start):
    """A few records as `journalctl -o json` prints them (MESSAGE string, byte array, null)."""
    t = start
    cursor = 0
    def rec(node, ident, pid, msg):
        nonlocal t, cursor
        t += R.uniform(0.5, 5)
        cursor += 1
        us = int(t * 1e6)
        o = {"__CURSOR": f"s=4b1a;i={cursor:x};b=9f2e;m={us:x};t={us:x};x=0", "__REALTIME_TIMESTAMP": str(us),
             "__MONOTONIC_TIMESTAMP": str(us - 1_700_000_000_000_000), "_BOOT_ID": "9f2e61d0c4b44f0b9d3f1f5c2d6e7a10",
             "PRIORITY": "6", "_TRANSPORT": "stdout", "SYSLOG_FACILITY": "3", "_UID": "0", "_GID": "0",
             "_HOSTNAME": node, "SYSLOG_IDENTIFIER": ident, "_PID": str(pid), "_COMM": ident,
             "_SYSTEMD_UNIT": f"{ident}.service", "MESSAGE": msg}
        out.write(json.dumps(o, separators=(",", ":")) + "\n")
    node = NODES[1]
    for _ in range(20):
        rec(node, "kubelet", 1211, f'{klog_hdr("I", t, 1211, "prober.go:107")} "Probe succeeded" probeType="Liveness" pod="shop/web-{R.randint(1000,9999)}"')
    image = "harbor.corp.example:8443/team/billing:2.4.1"
    code, err = runtime_error("unauthorized", "harbor.corp.example:8443", "team/billing", "2.4.1")
    rec(node, "kubelet", 1211, f'{klog_hdr("E", t, 1211, "remote_image.go:180")} "PullImage from image service failed" err={goq("rpc error: code = " + code + " desc = " + err)} image={goq(image)}')
    rec(node, "containerd", 688, list(f'time="{ts_rfc(t)}" level=error msg={goq("PullImage " + goq(image) + " failed")} error={goq("rpc error: code = " + code + " desc = " + err)}\n'.encode()))
    rec(node, "kubelet", 1211, None)


def samples(outdir):
    os.makedirs(outdir, exist_ok=True)
    start = 1795341600.0  # 2026-11-22T08:00:00Z
    with gzip.open(os.path.join(outdir, "journal-multinode.log.gz"), "wt", compresslevel=9) as f:
        journal(f, start, 9000, 40)
    with open(os.path.join(outdir, "events-watch.json"), "w") as f:
        events(f, start)
    with open(os.path.join(outdir, "crio-journal.log"), "w") as f:
        crio_log(f, start)
    with open(os.path.join(outdir, "describe-invoicer.txt"), "w") as f:
        describe(f)
    with open(os.path.join(outdir, "journal.json"), "w") as f:
        journal_json(f, start)


def noise(out, lines):
    """Only ordinary lines: what the gate must reject without allocating."""
    j = Journal(out, 1795341600.0)
    for _ in range(lines):
        j.advance(R.uniform(0.001, 0.4))
        j.noise(R.choice(NODES))


def bench(out, size_mb, journal_class=Journal):
    start = 1795341600.0
    target = size_mb * 1024 * 1024
    with open(out, "w") as f:
        # failure_every=1000 gives ~0.5 % failure lines (each failure writes ~5 lines), spread
        # evenly: every 1 MiB holds several.
        t = start
        while f.tell() < target:
            t = journal(f, t, 20000, 1000, journal_class)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "samples":
        samples(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "noise":
        with open(sys.argv[2], "w") as f:
            noise(f, int(sys.argv[3]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "bench-hard":
        bench(sys.argv[2], int(sys.argv[3]), HardJournal)
    else:
        sys.exit(__doc__)
