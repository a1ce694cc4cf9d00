#!/usr/bin/env python3
"""Where a short process's cost under ovc goes: runs the benchmark's storm
workload (bench/storm.sh, 501 short processes) under stages of ovc's start
and under the tools it is compared with, side by side in rounds, and
prints per stage the median cost over plain, per storm and per process.

The stages are throwaway builds of the current commit (HEAD, unpacked
with git archive into a temporary directory and built there): its
constructor returns at once (`load`: libovc.so mapped, its hooks booting
at their first call and counting) or just before it opens the image's
log (`no log`: the options, the host facts, the counters, the fork and
exit handlers, and an exit path that has no log to write). `ovc` is the
same build unchanged. `empty` is a shared library with nothing in it,
`floor` is bench/floor.c (the log issue 15 asks of every image, and
nothing else), `memusage` is glibc's.

docs/performance.md, "Eighth round", has its figures and what they mean.

Usage: python3 bench/decompose.py [-n ROUNDS] [-r RUNS]
  -n ROUNDS  rounds, each running every stage in turn (default 10)
  -r RUNS    storm runs per stage and round (default 2)
Needs what scripts/test sets up (meson, ninja, gcc) and glibc's
libmemusage.so. Takes about 3 minutes at the defaults on 2 cores."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMUSAGE = "/usr/lib/x86_64-linux-gnu/libmemusage.so"

# Where the constructor may stop: the statement after which it returns
# when OVC_CUT names the stage. The statements are start.c's; a stage
# whose statement is missing (start.c changed) is reported and skipped.
CUTS = [("load", None), ("options", "ovc_options_load(&ovc_cfg);"),
        ("no log", "on_exit(on_exit_cb, NULL);")]


def patch(src):
    """Adds the OVC_CUT stops to SRC's preload/start.c; the stages found."""
    path = os.path.join(src, "preload", "start.c")
    with open(path) as f:
        s = f.read()
    head = "\tovc_tls_guard++;\n\tint saved = errno;\n"
    tail = "\terrno = saved;\n\tovc_tls_guard--;\n}"
    at = s.find("static void ovc_start(")
    if at < 0 or s.find(head, at) < 0 or s.find(tail, at) < 0:
        return []
    body_end = s.find(tail, at) + len(tail)
    body = s[at:body_end]
    found = []
    cut = ("\tint cut_ = -1;\n"
           "\tfor (char **e_ = environ; e_ && *e_; e_++)\n"
           "\t\tif (strncmp(*e_, \"OVC_CUT=\", 8) == 0)\n"
           "\t\t\tcut_ = (*e_)[8] - '0';\n")
    body = body.replace(head, head + cut, 1)
    for i, (name, stmt) in enumerate(CUTS):
        stop = "\tif (cut_ == %d)\n\t\tgoto cut_out_;\n" % i
        if stmt is None:
            body = body.replace(cut, cut + stop, 1)
        elif ("\t" + stmt + "\n") in body:
            body = body.replace("\t" + stmt + "\n", "\t" + stmt + "\n" + stop, 1)
        else:
            print("decompose: start.c has no `%s`: stage %r left out"
                  % (stmt, name), file=sys.stderr)
            continue
        found.append((name, i))
    body = body.replace(tail, "cut_out_:\n" + tail, 1)
    s = s[:at] + body + s[body_end:]
    with open(path, "w") as f:
        f.write(s)
    return found


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def main(argv):
    rounds, runs = 10, 2
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ("-n", "-r") and args and args[0].isdigit() and int(args[0]) > 0:
            if a == "-n":
                rounds = int(args.pop(0))
            else:
                runs = int(args.pop(0))
        else:
            print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
            return 2
    if not os.path.exists(MEMUSAGE):
        print("decompose: %s is missing (glibc's memusage): install "
              "libc-dev-bin" % MEMUSAGE, file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="ovc-decompose.")
    try:
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        arch = subprocess.run(["git", "-C", ROOT, "archive", "HEAD"],
                              check=True, stdout=subprocess.PIPE).stdout
        run(["tar", "-x", "-C", src], input=arch)
        stages = patch(src)
        build = os.path.join(tmp, "build")
        quiet = {"stdout": subprocess.DEVNULL}
        run(["meson", "setup", build, src], **quiet)
        run(["ninja", "-C", build, "preload/libovc.so"], **quiet)
        lib = os.path.join(build, "preload", "libovc.so")
        empty_c = os.path.join(tmp, "empty.c")
        with open(empty_c, "w") as f:
            f.write("void ovc_decompose_empty(void);\n"
                    "void ovc_decompose_empty(void) {}\n")
        empty = os.path.join(tmp, "empty.so")
        floor = os.path.join(tmp, "floor.so")
        spawn = os.path.join(tmp, "spawn")
        run(["gcc", "-O2", "-shared", "-fPIC", empty_c, "-o", empty])
        run(["gcc", "-O2", "-shared", "-fPIC", os.path.join(ROOT, "bench", "floor.c"),
             "-o", floor])
        run(["gcc", "-O2", os.path.join(ROOT, "bench", "spawn.c"), "-o", spawn])
        data = os.path.join(tmp, "storm.txt")
        with open(data, "w") as f:
            f.write("".join("%d\n" % i for i in range(1, 201)))
        storm = ["/bin/sh", os.path.join(ROOT, "bench", "storm.sh"), data]

        variants = [("plain", "-", {}), ("empty", empty, {}),
                    ("memusage", MEMUSAGE, {}), ("floor", floor, {})]
        variants += [(name, lib, {"OVC_CUT": str(i)}) for name, i in stages]
        variants.append(("ovc", lib, {}))
        walls = {name: [] for name, _, _ in variants}
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        n = 0
        for r in range(rounds):
            k = len(variants)
            for j in range(k):
                name, so, extra = variants[(j + r) % k]
                n += 1
                # A fresh directory each run, none removed until the end:
                # creating files near many deletions costs more on ext4
                # (docs/performance.md, "Fifth round").
                d = os.path.join(out, str(n))
                os.mkdir(d)
                env = dict(os.environ)
                env.pop("OVC_CUT", None)
                env.update(extra)
                env.update({"OVC_OUTPUT": d, "FLOOR_DIR": d,
                            "OVC_SUMMARY": "never"})
                res = subprocess.run([spawn, str(runs), so] + storm, env=env,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, check=True)
                walls[name].append(float(res.stdout.split()[0]))
            print("decompose: round %d/%d done" % (r + 1, rounds), file=sys.stderr)
        procs = 501
        base = walls["plain"]
        mem = walls["memusage"]
        print("| stage | storm run (median) | / plain | / memusage | per process over plain |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, _, _ in variants:
            w = walls[name]
            over = statistics.median(a / b for a, b in zip(w, base))
            vs_mem = statistics.median(a / b for a, b in zip(w, mem))
            per = statistics.median((a - b) / procs for a, b in zip(w, base))
            print("| %s | %.3f s | %.3f | %.3f | %.0f us |" % (
                name, statistics.median(w) / 1e6, over, vs_mem, per))
        return 0
    except subprocess.CalledProcessError as e:
        print("decompose: %s failed (exit %s)" % (" ".join(map(str, e.cmd[:3])),
                                                  e.returncode), file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
