#!/usr/bin/env python3
"""CPU sampler for a local Parley run (the 2026-11-30 run's scripts/sampler.py, made part of the bench).

Every --interval seconds it reads utime+stime of every process of a PARLEY_HOME -- the nodes (run/node-*.pid) and
Cassandra (cassandra/cassandra.pid) -- from /proc/PID/stat, re-reading the pid files each time so that node
restarts are followed, and appends one line per process:

    epoch_ms <TAB> label <TAB> pid <TAB> ticks        (label: node-1, node-2, ..., cassandra; ticks: USER_HZ)

report.py cuts these samples to each loadgen window (window_start_ms / window_end_ms of the result lines).
Stops after --max-seconds, when --parent is gone, or on SIGTERM.
"""
import argparse
import glob
import os
import signal
import sys
import time


def ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def processes(home):
    out = []
    for path in sorted(glob.glob(os.path.join(home, "run", "node-*.pid"))):
        out.append((os.path.basename(path)[:-4], path))
    out.append(("cassandra", os.path.join(home, "cassandra", "cassandra.pid")))
    for label, path in out:
        try:
            with open(path) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        yield label, pid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True, help="PARLEY_HOME of the run")
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--max-seconds", type=float, default=4 * 3600)
    ap.add_argument("--parent", type=int, default=0, help="stop when this pid is gone")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    end = time.monotonic() + a.max_seconds
    with open(a.out, "a", buffering=1) as out:
        while time.monotonic() < end:
            if a.parent and not os.path.exists(f"/proc/{a.parent}"):
                break
            now = int(time.time() * 1000)
            for label, pid in processes(a.home):
                t = ticks(pid)
                if t is not None:
                    out.write(f"{now}\t{label}\t{pid}\t{t}\n")
            time.sleep(a.interval)


if __name__ == "__main__":
    main()
