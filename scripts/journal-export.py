#!/usr/bin/env python3
"""Turns journal short text lines (`Nov 22 10:00:00 host prog[pid]: message`) into systemd's
journal export format, with current realtime timestamps 1 ms apart starting at START_US, for
systemd-journal-remote to write into a real journal file. Used by scripts/test-follow-journal.sh.

    journal-export.py START_US < lines > export
"""
import re, struct, sys

start = int(sys.argv[1])
pat = re.compile(r"^\S+ +\d+ [\d:.]+ (\S+) ([^\[:]+)\[(\d+)\]: (.*)$")
out = sys.stdout.buffer
for i, line in enumerate(sys.stdin.buffer.read().decode("utf-8", "replace").splitlines()):
    m = pat.match(line)
    if not m:
        continue
    host, prog, pid, msg = m.groups()
    def field(k, v):
        v = v.encode()
        if b"\n" in v:
            return k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
        return k.encode() + b"=" + v + b"\n"
    # One boot: monotonic time follows realtime, so entries of several files interleave right.
    out.write(field("__REALTIME_TIMESTAMP", str(start + i * 1000)) + field("__MONOTONIC_TIMESTAMP", str(start + i * 1000 - 1_700_000_000_000_000)) +
              field("_BOOT_ID", "9f2e61d0c4b44f0b9d3f1f5c2d6e7a10") + field("_MACHINE_ID", "4b1a0c2d3e4f40a1b2c3d4e5f6a7b8c9") +
              field("_HOSTNAME", host) + field("SYSLOG_IDENTIFIER", prog) + field("_PID", pid) +
              field("_SYSTEMD_UNIT", prog + ".service") + field("MESSAGE", msg) + b"\n")
