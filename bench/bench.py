"""Runs the side-by-side benchmark of scripts/bench.sh and prints figures (never asserts).

    python3 bench/bench.py FILE REPEAT KEYHOLE_BIN

Each figure is measured REPEAT times, in rounds (every tool once a round, so background load
spreads over all of them); the table shows the best run and the spread (min–max). Columns:
wall seconds; input MB per wall second; that divided by the cores the tool used; input MB per
CPU second (user + system: less sensitive to other processes on a shared machine); peak RSS
over input size. The load average is printed before and after: on a machine shared with other
work, wall figures are only comparable within one run of this script.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

path, repeat, keyhole = sys.argv[1], int(sys.argv[2]), sys.argv[3]
size = os.path.getsize(path)
cores = os.cpu_count() or 1
here = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, env=None):
    """Run under /usr/bin/time: (wall s, cpu s, peak RSS KiB, stdout, stderr)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        p = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", "-o", t.name] + cmd,
            capture_output=True,
            text=True,
            env=env,
        )
        wall, user, sys_, kb = t.read().split()[-4:]
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({p.returncode}): {p.stderr[-2000:]}")
    return float(wall), float(user) + float(sys_), int(kb), p.stdout, p.stderr


def keyhole_run(args):
    env = dict(os.environ, KEYHOLE_TIMINGS="1")
    wall, cpu, kb, _, err = timed([keyhole] + args + [path], env)
    m = re.search(r"store (\d+) events, ([\d.]+) bytes/event", err)
    note = f"store {float(m.group(2)):.1f} B/event" if m else ""
    return wall, cpu, kb, note


def duckdb_run(mode):
    wall, cpu, kb, out, _ = timed([sys.executable, os.path.join(here, "duckdb_bench.py"), path, mode])
    r = json.loads(out.strip().splitlines()[-1])
    if "skipped" in r:
        return None
    # DuckDB's own figure: from the load/first query to the last result (start-up excluded)
    return r["secs"], cpu, kb, f"duckdb {r['duckdb']}, {r['rows']} rows"


def jq_run():
    if not shutil.which("jq"):
        return None
    cmd = ["bash", "-c", f"jq -c '[.callerIpAddress, .resourceId]' '{path}' | sort | uniq -c > /dev/null"]
    wall, cpu, kb, _, _ = timed(cmd)
    return wall, cpu, kb, "seed000-1 only, + sort | uniq -c"


configs = [
    (f"keyhole analyze, {cores} threads (all cores)", cores,
     lambda: keyhole_run(["analyze", "--format", "jsonl", "-o", "/dev/null"])),
    ("keyhole analyze, --threads 1", 1,
     lambda: keyhole_run(["analyze", "--threads", "1", "--format", "jsonl", "-o", "/dev/null"])),
    (f"keyhole events (store only), {cores} threads", cores,
     lambda: keyhole_run(["events", "--format", "jsonl", "-o", "/dev/null"])),
    (f"duckdb load + 2 aggregates, {cores} threads", cores, lambda: duckdb_run("load")),
    (f"duckdb 2 aggregates direct, {cores} threads", cores, lambda: duckdb_run("direct")),
    ("jq | sort | uniq -c, 1 thread", 1, jq_run),
]

print(f"input: {path}, {size:,} bytes ({size / 1e6:.0f} MB); {cores} cores; {repeat} runs each")
print("load average before:", open("/proc/loadavg").read().split()[:3])
results = {name: [] for name, _, _ in configs}
for _ in range(repeat):
    for name, _, run in configs:
        r = run()
        if r is not None:
            results[name].append(r)
print("load average after: ", open("/proc/loadavg").read().split()[:3])
print()
mb = size / 1e6
head = f"{'':46} {'wall s (best, min–max)':>26} {'MB/s':>6} {'MB/s/core':>9} {'MB/cpu-s':>8} {'RSS/input':>9}"
print(head)
for name, used, _ in configs:
    runs = results[name]
    if not runs:
        print(f"{name:46} skipped (not installed)")
        continue
    walls = [r[0] for r in runs]
    best = min(range(len(runs)), key=lambda i: walls[i])
    wall, cpu, kb, note = runs[best]
    print(
        f"{name:46} {wall:8.2f} ({min(walls):.2f}–{max(walls):.2f}) {'':5} {mb / wall:6.0f} {mb / wall / used:9.0f} "
        f"{mb / max(cpu, 1e-3):8.0f} {kb * 1024 / size:9.2f}  {note}"
    )
