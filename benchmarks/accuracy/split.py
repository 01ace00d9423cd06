#!/usr/bin/env python3
"""Builds dev.jsonl and test.jsonl from the collected, labelled lines (run once, when the
corpus was assembled; kept to document how the split was made).

    benchmarks/accuracy/split.py STAGING_DIR

STAGING_DIR holds the collectors' JSON Lines files (see README.md for the record format).
The former eval.jsonl / heldout.jsonl are folded into dev. Lines are deduplicated; sources
that share a line are one group; a group goes wholly to dev or wholly to test, so no issue
or page is on both sides. Forced to dev: groups with a source of the former sets, and lines
that appear in a rule file (samples are tuned on). The rest: test when a stable hash of the
group's first source falls below TEST_SHARE.
"""
import glob
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
TEST_SHARE = 0.45
CAUSES = {"tag_not_found", "repository_not_found", "access_denied", "unauthorized", "rate_limited", "network_timeout",
          "dns_failure", "connection_failed", "tls_error", "proxy_error", "registry_error", "disk_pressure", "runtime_error",
          "platform_mismatch", "invalid_image_name", "never_pull", "policy_rejected", "pull_stalled", "digest_mismatch",
          "backoff", "unknown"}
# Docker Hub's API, index, auth and blob CDN hosts are the registry docker.io.
DOCKER_HUB = re.compile(r"^(?:registry-1\.docker\.io|index\.docker\.io|registry\.hub\.docker\.com|hub\.docker\.com|auth\.docker\.io|"
                        r"production\.cloud(?:flare|front)\.docker\.com|dseasb33srnrn\.cloudfront\.net|"
                        r"docker-images-prod\.[0-9a-f]+\.r2\.cloudflarestorage\.com)$")


def canonical_source(url):
    url = url.split("#")[0].rstrip("/")
    return re.sub(r"^http://", "https://", url)


def guess_producer(line):
    l = line
    if re.search(r"^\s*[EIW]\d{4} ", l): return "kubelet-log"
    if "[ERROR ImagePull]" in l: return "kubeadm"
    if "failed to solve" in l: return "buildkit"
    if "CannotPull" in l: return "ecs"
    if l.lstrip().startswith("ctr:"): return "ctr"
    if "FATA[" in l: return "crictl"
    if "level=" in l: return "containerd"
    if "Error response from daemon" in l and "Failed to pull" not in l: return "docker"
    if "initializing source" in l or "reading manifest" in l: return "podman"
    if re.search(r"kubelet|Warning|Normal", l): return "kubelet-event"
    return "other"


def guess_via(line, registry):
    if not registry: return None
    image_words = r'image \\*"|pull access denied for|manifest for |docker://|failed to pull image \S|reference \\*"|image=|Image:|failed to solve: \S+:'
    return "image" if re.search(image_words, line, re.I) else "url"


def load_staging(d):
    out = []
    for path in sorted(glob.glob(os.path.join(d, "*.jsonl"))):
        for n, l in enumerate(open(path, encoding="utf-8"), 1):
            if not l.strip(): continue
            r = json.loads(l)
            r["_from"] = f"{os.path.basename(path)}:{n}"
            out.append(r)
    return out


def load_former():
    out = []
    for name in ("eval.jsonl", "heldout.jsonl"):
        path = os.path.join(HERE, name)
        if not os.path.exists(path): continue
        for l in open(path, encoding="utf-8"):
            r = json.loads(l)
            out.append({"line": r["line"], "cause": r["cause"], "image": None, "registry": r["registry"],
                        "registry_via": guess_via(r["line"], r["registry"]), "producer": guess_producer(r["line"]),
                        "source": r["source"], "_former": True})
    return out


def main():
    staging = load_staging(sys.argv[1])
    former = load_former()
    rules_text = "".join(open(p, encoding="utf-8").read() for p in glob.glob(os.path.join(ROOT, "rules", "*.yaml")))
    records, by_line = [], {}
    for r in former + staging:
        assert r["cause"] in CAUSES or r["cause"] is None, r
        r["source"] = canonical_source(r["source"])
        if r.get("registry") and DOCKER_HUB.match(r["registry"].lower()):
            r["registry"] = "docker.io"
        key = r["line"].strip()
        if key in by_line:
            first = by_line[key]
            first.setdefault("_also", []).append(r["source"])
            if first.get("_former") and first["cause"] == r["cause"] and not first.get("registry") and r.get("registry"):
                # The former sets left URL-only registries unlabelled; take the collector's.
                first.update(registry=r["registry"], registry_via=r.get("registry_via"), image=r.get("image"), producer=r["producer"])
            elif first.get("_former") and r["cause"] and first["cause"] != r["cause"]:
                # The collectors labelled by the written policy (README.md); the former sets
                # predate parts of it (a bare 403 is unauthorized).
                print(f"relabelled {first['cause']} -> {r['cause']}: {key[:120]}")
                first.update(cause=r["cause"], registry=r.get("registry"), registry_via=r.get("registry_via"), image=r.get("image"))
            elif (first["cause"], first.get("registry")) != (r["cause"], r.get("registry")):
                print(f"label conflict kept first ({first['cause']}/{first.get('registry')} vs {r['cause']}/{r.get('registry')}): {key[:120]}")
            continue
        by_line[key] = r
        records.append(r)

    # Union-find over sources linked by a shared line.
    parent = {}
    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for r in records:
        for s in r.get("_also", []):
            parent[find(s)] = find(r["source"])
    forced = set()
    for r in records:
        if r.get("_former") or r["line"].strip() in rules_text:
            forced.add(find(r["source"]))
    split = {}
    for r in records:
        g = find(r["source"])
        if g in forced:
            split[id(r)] = "dev"
        else:
            h = int(hashlib.sha256(g.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
            split[id(r)] = "test" if h < TEST_SHARE else "dev"
    for name in ("dev", "test"):
        with open(os.path.join(HERE, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            for r in records:
                if split[id(r)] != name: continue
                row = {k: r.get(k) for k in ("line", "cause", "image", "registry", "registry_via", "producer", "source")}
                if r.get("note"): row["note"] = r["note"]
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        rows = [r for r in records if split[id(r)] == name]
        print(f"{name}: {len(rows)} lines, {sum(1 for r in rows if r['cause'])} failures, "
              f"{sum(1 for r in rows if not r['cause'])} ordinary, {len({find(r['source']) for r in rows})} source groups")


if __name__ == "__main__":
    main()
