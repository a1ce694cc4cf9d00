#!/usr/bin/env python3
"""Pools the rounds of several scripts/bench runs (their .json files) and
prints, as a Markdown table, the median over all rounds of each ratio the
targets use: a tool's time over plain's (or over another tool's) in the
same round. On a noisy machine one run of 7 rounds swings by 10% and more;
the pooled median over several runs is the steadier figure.

Usage: python3 bench/pool.py RUN.json [RUN.json ...]"""
import json
import statistics
import sys

# (tool, the tool it is divided by)
PAIRS = [("ovc", "plain"), ("thread", "plain"), ("memusage", "plain"),
         ("ovc", "memusage"), ("ovc-s1", "plain"), ("heaptrack", "plain"),
         ("ovc-s1", "heaptrack"), ("ovc-tmpfs", "plain"),
         ("ovc-tmpfs", "memusage"), ("floor", "plain"), ("floor", "memusage"),
         ("ovc", "floor")]


def main(paths):
    if not paths:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    ratios = {}
    order = []
    for path in paths:
        try:
            with open(path) as f:
                run = json.load(f)
        except (OSError, ValueError) as e:
            print("pool: cannot read %s: %s" % (path, e), file=sys.stderr)
            return 1
        for w in run.get("workloads", []):
            rounds = {}
            for tool, res in (w.get("results") or {}).items():
                for r in res.get("runs_detail", []):
                    if r.get("status") == "ok":
                        rounds.setdefault((path, r["round"]), {})[tool] = r
            for tools in rounds.values():
                for a, b in PAIRS:
                    if a in tools and b in tools:
                        key = (w["name"], a, b)
                        if key not in ratios:
                            ratios[key] = []
                            order.append(key)
                        ratios[key].append(
                            (tools[a]["wall_s"] / tools[b]["wall_s"],
                             tools[a]["cpu_s"] / tools[b]["cpu_s"]))
    print("| workload | ratio | rounds | wall (median) | CPU (median) | wall range |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for key in order:
        v = ratios[key]
        walls = [x for x, _ in v]
        print("| %s | %s / %s | %d | %.2f | %.2f | %.2f–%.2f |" % (
            key[0], key[1], key[2], len(v), statistics.median(walls),
            statistics.median(c for _, c in v), min(walls), max(walls)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
