"""The benchmark's report: reads the runs scripts/bench recorded and writes
PREFIX.md (Markdown tables) and PREFIX.json (the same figures, and every run).

Usage: python3 report.py PREFIX   (everything else comes in BENCH_*
                                   variables set by scripts/bench)

Medians are taken over the runs that succeeded. A ratio is taken pair by
pair: run r of a tool divided by run r of plain (the same round, so the two
ran moments apart under the same load), and the median of those ratios is
reported, not the ratio of the medians.
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

MIB = 1024 * 1024
TOOLS = ["plain", "thread", "ovc", "ovc-s1", "memusage", "heaptrack", "jemalloc",
         "ovc-tmpfs", "floor"]
TOOL_LABEL = {
    "plain": "plain",
    "thread": "an idle thread",
    "ovc": "ovc (default)",
    "ovc-s1": "ovc OVC_SAMPLE=1",
    "memusage": "memusage",
    "heaptrack": "heaptrack",
    "jemalloc": "jemalloc prof:true",
    "ovc-tmpfs": "ovc, logs on tmpfs",
    "floor": "a log per image, nothing else",
}
# Tools that write no file of their own: log growth is n/a.
NO_OUTPUT = {"plain", "thread", "memusage"}
REAL_PROGRAMS = ["python", "sqlite", "gcc"]


def env(name, default=""):
    return os.environ.get("BENCH_" + name, default)


def median(xs):
    return statistics.median(xs) if xs else None


def run_cmd(args):
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def machine():
    cpu = None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = None
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    with open("/proc/sys/vm/overcommit_memory") as f:
        overcommit = int(f.read())
    dpkg = lambda p: run_cmd(["dpkg-query", "-W", "-f=${Version}", p])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "kernel": platform.release(),
        "glibc": os.confstr("CS_GNU_LIBC_VERSION"),
        "mem_total_bytes": mem_kib * 1024 if mem_kib else None,
        "overcommit_memory": overcommit,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_before": env("LOAD_BEFORE"),
        "load_average_after": env("LOAD_AFTER"),
        "versions": {
            "ovc": env("COMMIT"),
            "heaptrack": run_cmd(["heaptrack", "--version"]),
            "libjemalloc2": dpkg("libjemalloc2"),
            "libc6 (memusage)": dpkg("libc6"),
            "python3": platform.python_version(),
            "sqlite3": (run_cmd(["sqlite3", "--version"]) or "").split(" ")[0] or None,
            "gcc": run_cmd(["gcc", "-dumpfullversion"]),
        },
    }


def read_runs():
    runs = {}  # (workload, tool) -> {round: run}
    with open(env("RAW")) as f:
        for line in f:
            w, t, r, st, wall, rss, nbytes, cpu = line.rstrip("\n").split("\t")
            run = {"round": int(r), "status": st}
            if wall:
                run["wall_s"] = float(wall)
                run["cpu_s"] = float(cpu)
                run["peak_rss_kib"] = int(rss)
                run["log_bytes"] = int(nbytes)
            runs.setdefault((w, t), {})[int(r)] = run
    workloads = []
    with open(env("WORKLOADS")) as f:
        for line in f:
            name, desc, cmd, timeout, load = line.rstrip("\n").split("\t")
            wl = {"name": name, "description": desc, "command": cmd}
            if timeout:
                wl["timeout_s"] = int(timeout)
                wl["load_average_at_start"] = float(load)
            workloads.append(wl)
    return runs, workloads


def failure_text(w, t, r):
    path = os.path.join(env("FAILURES"), "%s.%s.%d" % (w, t, r))
    try:
        with open(path, errors="replace") as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        return " / ".join(lines[-3:])[-300:]
    except OSError:
        return None


def summarize(w, tool, runs, plain, unavailable):
    if tool in unavailable:
        return {"status": "unavailable", "why": unavailable[tool]}
    if not runs:
        return None
    ok = {r: x for r, x in runs.items() if x["status"] == "ok"}
    bad = [x for x in runs.values() if x["status"] not in ("ok", "skipped")]
    res = {
        "runs": len([x for x in runs.values() if x["status"] != "skipped"]),
        "ok": len(ok),
        "status": "ok" if len(ok) == len(runs) else (bad[0]["status"] if bad else "skipped"),
        "wall_median_s": median([x["wall_s"] for x in ok.values()]),
        "cpu_median_s": median([x["cpu_s"] for x in ok.values()]),
        "peak_rss_median_kib": median([x["peak_rss_kib"] for x in ok.values()]),
        "runs_detail": [runs[r] for r in sorted(runs)],
    }
    if bad:
        res["failed_wall_s"] = bad[0].get("wall_s")
        res["error"] = failure_text(w, tool, bad[0]["round"])
    pairs = [r for r in ok if r in plain and plain[r]["status"] == "ok"]
    if pairs:
        res["ratio_median"] = median([ok[r]["wall_s"] / plain[r]["wall_s"] for r in pairs])
        res["cpu_ratio_median"] = median([ok[r]["cpu_s"] / max(plain[r]["cpu_s"], 1e-3)
                                          for r in pairs])
        res["rss_delta_median_kib"] = median(
            [ok[r]["peak_rss_kib"] - plain[r]["peak_rss_kib"] for r in pairs])
    if tool not in NO_OUTPUT and ok:
        res["log_bytes_median"] = median([x["log_bytes"] for x in ok.values()])
        res["log_bytes_per_s_median"] = median(
            [x["log_bytes"] / x["wall_s"] for x in ok.values()])
    return res


def pair_ratio(a, b, key="wall_s"):
    """Median over rounds of a's wall (or CPU) time over b's, both ok."""
    rs = [a[r][key] / max(b[r][key], 1e-3) for r in a
          if r in b and a[r]["status"] == "ok" and b[r]["status"] == "ok"]
    return median(rs)


def fmt_s(x):
    if x is None:
        return "—"
    return "%.3f s" % x if x < 10 else "%.1f s" % x


def fmt_bytes(n):
    if n is None:
        return "—"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d B" % n


def fmt_ratio(x):
    return "—" if x is None else "%.2fx" % x


def targets(results, runs, timeouts):
    """Each target of the benchmark's issue: value, limit, met."""
    out = []

    def ovc(w):
        return (results.get(w) or {}).get("ovc") or {}

    def add(target, w, value, limit, met, shown, note=None):
        t = {"target": target, "workload": w, "value": value, "limit": limit,
             "met": met, "shown": shown}
        if note:
            t["note"] = note
        out.append(t)

    def wall_cpu(res):
        return "%s (CPU %s)" % (fmt_ratio(res.get("ratio_median")),
                                fmt_ratio(res.get("cpu_ratio_median")))

    for w in REAL_PROGRAMS:
        r = ovc(w).get("ratio_median")
        if r is not None:
            add("real program under ovc <= 1.10x plain", w, r, 1.10, r <= 1.10, wall_cpu(ovc(w)))
    for w in ("ubench-1t", "ubench-2t"):
        r = ovc(w).get("ratio_median")
        if r is not None:
            add("microbenchmark under ovc <= 1.3x plain", w, r, 1.3, r <= 1.3, wall_cpu(ovc(w)))
    for w in ("ubench-large", "mixed-large"):
        r = ovc(w).get("ratio_median")
        if r is not None:
            add("large blocks under ovc <= 1.2x plain", w, r, 1.2, r <= 1.2, wall_cpu(ovc(w)))
    r = ovc("storm").get("ratio_median")
    if r is not None:
        add("a storm of short processes under ovc <= 1.3x plain", "storm", r, 1.3, r <= 1.3,
            wall_cpu(ovc("storm")))
    a, b = runs.get(("storm", "ovc")), runs.get(("storm", "memusage"))
    if a and b:
        r = pair_ratio(a, b)
        if r is not None:
            add("a storm of short processes: ovc not slower than memusage", "storm", r, 1.0,
                r <= 1.0, "ovc/memusage %.2f (CPU %.2f)" % (r, pair_ratio(a, b, "cpu_s")))
    r = ovc("pystart").get("ratio_median")
    if r is not None:
        add("python3 -c pass under ovc <= 1.15x plain", "pystart", r, 1.15, r <= 1.15,
            wall_cpu(ovc("pystart")))
    r = ovc("suite").get("ratio_median")
    if r is not None:
        add("a real suite under ovc run <= 1.10x plain", "suite", r, 1.10, r <= 1.10,
            wall_cpu(ovc("suite")))
    check = env("SUITE_CHECK")
    if check:
        same = check.startswith("same:")
        add("the same tests pass under ovc run as plain", "suite", None, None, same,
            check.split(":", 1)[1])
    a, b = runs.get(("ubench-2t", "ovc")), runs.get(("ubench-2t", "memusage"))
    if a and b:
        r = pair_ratio(a, b)
        if r is not None:
            add("microbenchmark, 2 threads: ovc faster than memusage", "ubench-2t", r, 1.0,
                r < 1.0, "ovc/memusage %.2f (CPU %.2f)" % (r, pair_ratio(a, b, "cpu_s")))
    for w in results:
        s1 = runs.get((w, "ovc-s1"))
        ht = runs.get((w, "heaptrack"))
        if not s1 or not ht:
            continue
        r = pair_ratio(s1, ht)
        s1res, htres = results[w].get("ovc-s1") or {}, results[w].get("heaptrack") or {}
        if r is not None:
            add("OVC_SAMPLE=1 <= 1/3 of heaptrack's time", w, r, 1 / 3, r <= 1 / 3,
                "s1/heaptrack %.2f (CPU %.2f)" % (r, pair_ratio(s1, ht, "cpu_s")))
        elif htres.get("status") == "timeout" and s1res.get("wall_median_s"):
            bound = s1res["wall_median_s"] / timeouts[w]
            add("OVC_SAMPLE=1 <= 1/3 of heaptrack's time", w, bound, 1 / 3,
                True if bound <= 1 / 3 else None,
                "s1/heaptrack < %.2f (heaptrack timed out)" % bound)
        elif htres.get("status") not in (None, "ok", "unavailable"):
            add("OVC_SAMPLE=1 <= 1/3 of heaptrack's time", w, None, 1 / 3, None,
                "heaptrack: %s" % htres.get("status"))
    for w in results:
        o = ovc(w)
        d, plain_rss = o.get("rss_delta_median_kib"), (results[w].get("plain") or {}).get(
            "peak_rss_median_kib")
        if d is None or plain_rss is None:
            continue
        limit_kib = max(0.05 * plain_rss, 16 * 1024)
        add("ovc's own memory <= max(5% of peak RSS, 16 MiB)", w, d * 1024, limit_kib * 1024,
            d <= limit_kib, "+%s (limit %s)" % (fmt_bytes(d * 1024), fmt_bytes(limit_kib * 1024)))
    for w in results:
        g = ovc(w).get("log_bytes_per_s_median")
        if g is not None:
            add("ovc log growth <= 1 MiB/s", w, g, MIB, g <= MIB, fmt_bytes(g) + "/s")
    r = ovc("article").get("ratio_median")
    if r is not None:
        add("article's first program under ovc <= 2x plain", "article", r, 2.0, r <= 2.0,
            wall_cpu(ovc("article")))
    return out


def main():
    prefix = sys.argv[1]
    runs, workloads = read_runs()
    unavailable = {}
    for line in env("UNAVAILABLE").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            unavailable[k] = v
    nruns = int(env("RUNS", "5"))
    results, timeouts = {}, {}
    for wl in workloads:
        w = wl["name"]
        if wl["description"].startswith("skipped:"):
            continue
        plain = runs.get((w, "plain"), {})
        results[w] = {}
        for tool in TOOLS:
            s = summarize(w, tool, runs.get((w, tool), {}), plain, unavailable)
            if s is not None:
                results[w][tool] = s
        timeouts[w] = wl.get("timeout_s")
    tg = targets(results, runs, timeouts)
    m = machine()
    doc = {
        "machine": m,
        "settings": {
            "runs": nruns,
            "quick": env("QUICK") == "1",
            "arguments": env("ARGS"),
            "ovc_lib": env("LIB"),
            "memusage": env("MEMUSAGE") or None,
            "jemalloc": env("JEMALLOC") or None,
            "jemalloc_profiling": env("JEMALLOC_NOTE") or unavailable.get("jemalloc"),
            "heaptrack_address_space_cap_bytes": int(env("HEAPTRACK_AS", "0")),
            "seconds": int(env("SECONDS", "0")),
        },
        "unavailable": unavailable,
        "workloads": [dict(wl, results=results.get(wl["name"], {})) for wl in workloads],
        "targets": tg,
    }
    with open(prefix + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

    md = []
    md.append("# ovc benchmark results\n")
    md.append("%s; %d CPUs (%s), %s RAM, Linux %s, %s; load average %s before, %s after; "
              "%d run%s of each, interleaved%s; took %d s; ovc %s.\n" % (
                  m["date"], m["nproc"], m["cpu"], fmt_bytes(m["mem_total_bytes"]),
                  m["kernel"], m["glibc"], m["load_average_before"].split()[0],
                  m["load_average_after"].split()[0], nruns, "" if nruns == 1 else "s",
                  " (--quick: smoke test, small workloads)" if env("QUICK") == "1" else "",
                  int(env("SECONDS", "0")), m["versions"]["ovc"]))
    md.append("| workload | tool | runs ok | median wall | ratio to plain | CPU ratio "
              "| peak RSS | RSS vs plain | log growth |")
    md.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    notes = []
    for wl in workloads:
        w = wl["name"]
        if w not in results:
            md.append("| %s | — | skipped | | | | | | |" % w)
            continue
        first = True
        for tool in TOOLS:
            s = results[w].get(tool)
            if s is None:
                continue
            name = w if first else ""
            first = False
            if s["status"] == "unavailable":
                md.append("| %s | %s | unavailable | | | | | | |" % (name, TOOL_LABEL[tool]))
                continue
            okcol = "%d/%d" % (s["ok"], s["runs"])
            if s["status"] != "ok":
                if s["status"] == "timeout":
                    okcol += " (timeout at %s)" % fmt_s(s.get("failed_wall_s"))
                else:
                    okcol += " (%s)" % s["status"]
                if s.get("error"):
                    notes.append("%s under %s: %s after %s: `%s`" % (
                        w, TOOL_LABEL[tool], s["status"], fmt_s(s.get("failed_wall_s")),
                        s["error"].replace("`", "'")))
            ratio = "1" if tool == "plain" else fmt_ratio(s.get("ratio_median"))
            cpu = "1" if tool == "plain" else fmt_ratio(s.get("cpu_ratio_median"))
            delta = s.get("rss_delta_median_kib")
            delta = "" if tool == "plain" or delta is None else \
                ("+" if delta >= 0 else "−") + fmt_bytes(abs(delta) * 1024)
            rss = s.get("peak_rss_median_kib")
            growth = "n/a" if tool in NO_OUTPUT else (
                fmt_bytes(s["log_bytes_per_s_median"]) + "/s"
                if s.get("log_bytes_per_s_median") is not None else "—")
            md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, TOOL_LABEL[tool], okcol, fmt_s(s.get("wall_median_s")), ratio, cpu,
                fmt_bytes(rss * 1024) if rss is not None else "—", delta, growth))
    md.append("")
    md.append("Workloads:\n")
    for wl in workloads:
        load = wl.get("load_average_at_start")
        md.append("- **%s**: %s%s" % (wl["name"], wl["description"],
                                      "" if load is None else " (load average %.2f when it began)" % load))
    md.append("")
    md.append("## Targets\n")
    md.append("| target | workload | measured | met |")
    md.append("| --- | --- | --- | --- |")
    for t in tg:
        met = "unknown" if t["met"] is None else ("met" if t["met"] else "**not met**")
        md.append("| %s | %s | %s | %s |" % (t["target"], t["workload"], t["shown"], met))
    md.append("")
    extra = []
    for tool, why in sorted(unavailable.items()):
        extra.append("%s: unavailable: %s" % (TOOL_LABEL.get(tool, tool), why))
    if env("JEMALLOC_NOTE") and any("jemalloc" in r for r in results.values()):
        extra.append("jemalloc (%s): %s" % (m["versions"]["libjemalloc2"], env("JEMALLOC_NOTE")))
    extra += notes
    if extra:
        md.append("Notes:\n")
        md += ["- " + e for e in extra]
        md.append("")
    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
