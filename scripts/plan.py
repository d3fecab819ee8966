#!/usr/bin/env python3
"""The steps a Makefile.pipeline target runs, each with its measured or estimated wall time.

usage: make -f Makefile.pipeline -n -B PROFILE=all report | scripts/plan.py scripts/step-times.tsv
Reads make's dry run on stdin: every step writes `echo 'COMMAND' > OUTPUT.cmd`. A step is done
when OUTPUT exists; its time is measured when OUTPUT.time exists (seconds, one line per attempt:
resumed steps append), else estimated from the first row of the table whose regular expression
matches COMMAND. Prints one line per step, the minutes per area (the folder under OUT), and the
totals: all steps, done, left to run.
"""
import os, re, sys

STEP = re.compile(r"^echo '(.*)' > (\S+)\.cmd$")


def table(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                regex, seconds, per, _ = line.rstrip("\n").split("\t", 3)
                rows.append((re.compile(regex), float(seconds), per))
    return rows


def flag(cmd, name, default=1):
    m = re.search(rf"{name} (\d+)", cmd)
    return int(m.group(1)) if m else default


def estimate(cmd, rows):
    for regex, seconds, per, in rows:
        if regex.search(cmd):
            return seconds * {"step": 1, "epoch": flag(cmd, "--epochs"), "chip": flag(cmd, "--chips")}[per]
    return 0.0


def measured(out):
    try:
        with open(out + ".time") as f:
            return sum(float(l) for l in f if l.strip())
    except (OSError, ValueError):
        return None


def main():
    rows = table(sys.argv[1])
    steps = [m.groups() for m in map(STEP.match, sys.stdin.read().splitlines()) if m]
    if not steps:
        sys.exit("plan: make listed no steps")
    root = os.path.commonpath([out for _, out in steps])
    root = root if not os.path.splitext(root)[1] else os.path.dirname(root)
    total = done = 0.0
    areas = {}
    print(f"{'minutes':>8}  {'status':<22} step (under {root}/)")
    for cmd, out in steps:
        t, est = measured(out), estimate(cmd, rows)
        finished = os.path.exists(out)
        if finished and t is not None:
            status, seconds = "done, measured", t
        elif finished:
            status, seconds = "done, estimated", est
        elif t is not None:  # a resumable step interrupted after t seconds
            status, seconds = f"started ({t / 60:.0f} min), est.", max(est, t)
        else:
            status, seconds = "to run, estimated", est
        total += seconds
        done += seconds if finished else min(t or 0, seconds)
        area = os.path.relpath(out, root).split(os.sep)
        area = "/".join(area[:2]) if len(area) > 2 else area[0]
        areas[area] = areas.get(area, 0) + seconds
        print(f"{seconds / 60:8.1f}  {status:<22} {os.path.relpath(out, root)}")
    print()
    print("minutes per area:")
    for area, seconds in sorted(areas.items()):
        print(f"{seconds / 60:8.1f}  {area}")
    print()
    print(f"{len(steps)} steps: total {total / 3600:.1f} hours ({total / 60:.0f} minutes), "
          f"done {done / 3600:.1f} hours, left to run {(total - done) / 3600:.1f} hours "
          f"(estimates from {os.path.relpath(sys.argv[1])} where no .time was measured; 2 idle cores)")


main()
