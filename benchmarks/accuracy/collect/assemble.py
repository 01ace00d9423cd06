#!/usr/bin/env python3
"""Merge the collectors' files of a round (ROUND/*.jsonl) into ROUND/round.jsonl: validate, canonicalise sources, drop lines
whose source was used in an earlier round (also the same issue path on another host, and podman-container-tools/ as
containers/), lines already in dev or test, and duplicates across collectors.

    benchmarks/accuracy/collect/assemble.py ROUND

Run it once on an empty ROUND first: it writes ROUND/used_sources.txt (every canonical source of dev and test) for
the collectors' brief when there is none."""
import glob, json, os, re, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
from split import canonical_source, CAUSES
D = sys.argv[1] if len(sys.argv) > 1 else '.'
SPLITS = [os.path.join(HERE, '..', 'dev.jsonl'), os.path.join(HERE, '..', 'test.jsonl')]
if not os.path.exists(D + '/used_sources.txt'):
    found = set()
    for f in SPLITS:
        for l in open(f):
            found.update(canonical_source(u) for u in json.loads(l)['source'].split(' '))
    with open(D + '/used_sources.txt', 'w') as o:
        o.write('\n'.join(sorted(found)) + '\n')
used = set(l.strip() for l in open(D + '/used_sources.txt') if l.strip())
def path_of(u):
    m = re.match(r'https://[^/]+(/[^?]*)', u)
    return m.group(1) if m else u
used_paths = set(path_of(u) for u in used if re.search(r'/(issues|pull|discussions)/\d+', u))
known = set()
for f in SPLITS:
    for l in open(f):
        known.add(json.loads(l)['line'])
out, seen, drops = [], set(), {}
def drop(why):
    drops[why] = drops.get(why, 0) + 1
for f in sorted(glob.glob(D + '/*.jsonl')):
    if f.endswith('round.jsonl'):
        continue
    for n, l in enumerate(open(f), 1):
        if not l.strip():
            continue
        try:
            r = json.loads(l)
        except Exception as e:
            print(f'{f}:{n}: bad JSON {e}'); drop('bad json'); continue
        if r.get('cause') is not None and r['cause'] not in CAUSES:
            print(f'{f}:{n}: bad cause {r.get("cause")}'); drop('bad cause'); continue
        src = canonical_source(r.get('source', ''))
        r['source'] = src
        if not src:
            drop('no source'); continue
        alias = src.replace('github.com/podman-container-tools/', 'github.com/containers/')
        if src in used or alias in used or path_of(src) in used_paths or path_of(alias) in used_paths:
            drop('used source'); continue
        if r['line'] in known:
            drop('line in dev/test'); continue
        if r['line'] in seen:
            drop('duplicate'); continue
        seen.add(r['line'])
        r.setdefault('note', None)
        if r.get('note') is None:
            r.pop('note')
        out.append(r)
with open(D + '/round.jsonl', 'w') as o:
    for r in out:
        o.write(json.dumps(r, ensure_ascii=False) + '\n')
fail = sum(1 for r in out if r['cause'] is not None)
print(len(out), 'lines', fail, 'failures', len(out) - fail, 'ordinary', len(set(r['source'] for r in out)), 'sources', drops)
