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

With --steps, it times instead each statement of the constructor and the
exit handler in a throwaway build (a clock read after each, written to
stderr at the end), over RUNS runs each of storm's three commands, and
prints the median microseconds of each step: what a step costs there,
its page faults and first calls included. The clock reads themselves
cost well under a microsecond each.

Usage: python3 bench/decompose.py [-n ROUNDS] [-r RUNS]
       python3 bench/decompose.py --steps [-r RUNS]
  -n ROUNDS  rounds, each running every stage in turn (default 10)
  -r RUNS    storm runs per stage and round (default 2); with --steps,
             runs of each command (default 200)
Needs what scripts/test sets up (meson, ninja, gcc) and glibc's
libmemusage.so. Takes about 3 minutes at the defaults on 2 cores, and
under a minute with --steps."""
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

# The first and last statements of ovc_start, between which both modes
# patch its body.
START_HEAD = "\tovc_tls_guard++;\n\tint saved = errno;\n"
START_TAIL = "\terrno = saved;\n\tovc_tls_guard--;\n}"


def patch(src):
    """Adds the OVC_CUT stops to SRC's preload/start.c; the stages found."""
    path = os.path.join(src, "preload", "start.c")
    with open(path) as f:
        s = f.read()
    head, tail = START_HEAD, START_TAIL
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


STEPS_TAG = "ovc-decompose-steps"


def patch_steps(src):
    """Adds a clock read after each statement of ovc_start and around the
    exit handler's call in SRC's preload/start.c, the times written to
    stderr as one line each; the constructor's step labels, [] when
    start.c no longer has the expected shape."""
    path = os.path.join(src, "preload", "start.c")
    with open(path) as f:
        s = f.read()
    head, tail = START_HEAD, START_TAIL
    exit_call = "\tovc_lifecycle_end(status, \"exit\");\n"
    at = s.find("static void ovc_start(")
    if at < 0 or s.find(head, at) < 0 or s.find(tail, at) < 0 or exit_call not in s:
        return []
    b0 = s.find(head, at) + len(head)
    b1 = s.find(tail, at)
    labels, out = [], []
    for line in s[b0:b1].split("\n"):
        out.append(line)
        st = line.strip()
        if (line.startswith("\t") and not line.startswith("\t\t") and
                st.endswith(";") and st.count("(") == st.count(")")):
            labels.append(st[:-1].split("(")[0] if "(" in st else st[:-1])
            out.append("\tF_[N_] = steps_flt_();\n\tT_[N_++] = ovc_now_ns();")
    report = ("\t{\n\t\tchar b_[1024];\n\t\tstruct ovc_buf o_;\n"
              "\t\tovc_buf_init(&o_, b_, sizeof b_);\n"
              "\t\tovc_buf_raw(&o_, \"%s start\");\n"
              "\t\tfor (int i_ = 1; i_ < N_; i_++) {\n"
              "\t\t\tovc_buf_raw(&o_, \" \");\n"
              "\t\t\tovc_buf_u64(&o_, T_[i_] - T_[i_ - 1]);\n"
              "\t\t\tovc_buf_raw(&o_, \"/\");\n"
              "\t\t\tovc_buf_u64(&o_, F_[i_] - F_[i_ - 1]);\n\t\t}\n"
              "\t\tovc_buf_raw(&o_, \"\\n\");\n"
              "\t\tif (!o_.overflow)\n"
              "\t\t\t(void)ovc_sys_write(2, b_, o_.len);\n\t}\n") % STEPS_TAG
    body = (head + "\tuint64_t T_[64], F_[64];\n\tint N_ = 0;\n"
            "\tF_[N_] = steps_flt_();\n\tT_[N_++] = ovc_now_ns();\n" + "\n".join(out) + report)
    s = s[:b0 - len(head)] + body + s[b1:]
    timed_exit = ("\tuint64_t t0_ = ovc_now_ns();\n" + exit_call +
                  "\t{\n\t\tchar b_[64];\n\t\tstruct ovc_buf o_;\n"
                  "\t\tovc_buf_init(&o_, b_, sizeof b_);\n"
                  "\t\tovc_buf_raw(&o_, \"%s exit \");\n"
                  "\t\tovc_buf_u64(&o_, ovc_now_ns() - t0_);\n"
                  "\t\tovc_buf_raw(&o_, \"\\n\");\n"
                  "\t\t(void)ovc_sys_write(2, b_, o_.len);\n\t}\n") % STEPS_TAG
    s = s.replace(exit_call, timed_exit, 1)
    # The process's page faults so far, by a raw system call (libc's
    # wrapper would fault in a page of its own text the first time).
    flt = ("#include <sys/resource.h>\n"
           "static uint64_t steps_flt_(void)\n{\n"
           "\tstruct rusage r_;\n"
           "\tif (ovc_sys6(SYS_getrusage, RUSAGE_SELF, (long)&r_, 0, 0, 0, 0) != 0)\n"
           "\t\treturn 0;\n"
           "\treturn (uint64_t)r_.ru_minflt;\n}\n\n")
    at = s.find("__attribute__((constructor)) static void ovc_start(")
    if at < 0:
        return []
    s = s[:at] + flt + s[at:]
    with open(path, "w") as f:
        f.write(s)
    return labels


def run_steps(tmp, runs, data):
    """The --steps mode: builds the timed copy in TMP and prints the
    median of each step over RUNS runs of each of storm's commands."""
    src = os.path.join(tmp, "src")
    labels = patch_steps(src)
    if not labels:
        print("decompose: start.c's ovc_start or exit handler changed "
              "shape: --steps cannot time it", file=sys.stderr)
        return 1
    lib = build_lib(tmp)
    cmds = [["/bin/true"], ["sed", "-n", "s/1/one/p", data], ["grep", "-c", "7", data]]
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    env = dict(os.environ)
    env.update({"LD_PRELOAD": lib, "OVC_OUTPUT": out, "OVC_SUMMARY": "never"})
    # The first run in a directory reads the machine's facts and leaves
    # them for the others (.ovc-host): left out, as in a suite.
    subprocess.run(["/bin/true"], env=env, check=True,
                   stderr=subprocess.DEVNULL)
    table = {}
    for cmd in cmds:
        starts, exits = [], []
        for _ in range(runs):
            res = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, check=True)
            for line in res.stderr.decode(errors="replace").splitlines():
                f = line.split()
                if len(f) < 2 or f[0] != STEPS_TAG:
                    continue
                if f[1] == "start" and len(f) == 2 + len(labels):
                    starts.append([tuple(int(y) for y in x.split("/")) for x in f[2:]])
                elif f[1] == "exit" and len(f) == 3:
                    exits.append(int(f[2]))
        if not starts:
            print("decompose: %s wrote no step times" % cmd[0], file=sys.stderr)
            return 1
        col = ["%.1f (%g)" % (statistics.median(r[i][0] for r in starts) / 1e3,
                              statistics.median(r[i][1] for r in starts))
               for i in range(len(labels))]
        col.append("%.1f (%g)" % (statistics.median(sum(x[0] for x in r) for r in starts) / 1e3,
                                  statistics.median(sum(x[1] for x in r) for r in starts)))
        col.append("%.1f" % (statistics.median(exits) / 1e3) if exits else "none")
        table[os.path.basename(cmd[0])] = col
    names = list(table)
    print("| step: µs (page faults), medians of %d runs | %s |" % (runs, " | ".join(names)))
    print("| --- |" + " ---: |" * len(names))
    for i, label in enumerate(labels + ["constructor, in all",
                                         "exit handler (on_exit; none: the program left by _exit)"]):
        print("| `%s` | %s |" % (label, " | ".join(table[n][i] for n in names)))
    return 0


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build_lib(tmp):
    """Builds libovc.so from TMP/src in TMP/build; its path."""
    build = os.path.join(tmp, "build")
    quiet = {"stdout": subprocess.DEVNULL}
    run(["meson", "setup", build, os.path.join(tmp, "src")], **quiet)
    run(["ninja", "-C", build, "preload/libovc.so"], **quiet)
    return os.path.join(build, "preload", "libovc.so")


def main(argv):
    rounds, runs, steps = 10, None, False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--steps":
            steps = True
        elif a in ("-n", "-r") and args and args[0].isdigit() and int(args[0]) > 0:
            if a == "-n":
                rounds = int(args.pop(0))
            else:
                runs = int(args.pop(0))
        else:
            print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
            return 2
    if runs is None:
        runs = 200 if steps else 2
    if not steps and not os.path.exists(MEMUSAGE):
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
        data = os.path.join(tmp, "storm.txt")
        with open(data, "w") as f:
            f.write("".join("%d\n" % i for i in range(1, 201)))
        if steps:
            return run_steps(tmp, runs, data)
        stages = patch(src)
        lib = build_lib(tmp)
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
