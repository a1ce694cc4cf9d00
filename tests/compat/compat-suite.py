#!/usr/bin/env python3
"""Runs a real program's own test suite plain and under `ovc run` and
compares them test by test (suite 'compat', issue 13).

Usage: compat-suite.py python OVC WORKDIR
       compat-suite.py jansson OVC WORKDIR CACHEDIR

  python   Python's regression tests (Debian's libpython3.11-testsuite):
           `/usr/bin/python3 -m test -j2 --timeout 90 --junit-xml F MODULES`
  jansson  jansson's `make check VERBOSE=1`, built once from the Debian
           source package (`apt-get source jansson`, deb-src lines from
           scripts/setup) in CACHEDIR/jansson

Passes (exit 0) when, under `ovc run -q -o WORKDIR/ovc-out`, the suite exits
with the same status, the same tests pass (and fail and skip) as plain, and
no line of ovc's ("ovc: ...") reaches the suite's output. Prints each side's
tally, every test whose result differs, and the time ratio (not asserted).
Exits 1 on a difference, 77 (skipped) when the jansson source package
cannot be fetched here (no deb-src, no network), 2 on bad usage.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

PYTHON = "/usr/bin/python3"
PY_MODULES = ("test_json test_re test_dict test_list test_unicode test_bytes "
              "test_collections test_pickle test_zlib test_subprocess "
              "test_threading test_mmap test_array test_struct "
              "test_set").split()
# regrtest's own bound on one test module (test_threading takes ~14 s and
# test_subprocess ~25 s plain on 2 cores): a module that hangs under ovc is
# killed and counted as failed instead of stalling the whole run.
PY_MODULE_TIMEOUT = 90
SKIP = 77


def say(msg):
    print("compat: " + msg, flush=True)


def child_env():
    env = dict(os.environ)
    # meson's random MALLOC_PERTURB_ makes glibc fill every block; the
    # suites run as a user would run them. OVC_LIB stays: the sanitizer
    # builds point `ovc run` at the plain build's libovc.so with it
    # (tests/hardening/plain-preload.sh).
    for k in list(env):
        if (k.startswith("PYTHON") or k in ("MALLOC_PERTURB_", "LD_PRELOAD",
                                            "OVC_OUTPUT", "OVC_RUN")):
            del env[k]
    return env


def run(argv, cwd, log_path):
    """Runs ARGV in CWD with stdout and stderr into LOG_PATH; returns the
    exit status (128 + N for signal N) and the wall time."""
    t0 = time.monotonic()
    with open(log_path, "wb") as log:
        p = subprocess.run(argv, cwd=cwd, env=child_env(),
                           stdin=subprocess.DEVNULL, stdout=log,
                           stderr=subprocess.STDOUT)
    rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return rc, time.monotonic() - t0


def ovc_argv(ovc, out_dir, argv):
    shutil.rmtree(out_dir, ignore_errors=True)
    return [ovc, "run", "-q", "-o", out_dir, "--"] + argv


def ovc_lines(log_path):
    """The lines of ovc's own in a suite's output."""
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [line for line in text.splitlines()
            if re.match(r"\s*ovc(\[\d+\])?: ", line)]


def compare(name, plain, traced):
    """PLAIN and TRACED: (status, seconds, {test: result}, log path,
    lines that say why tests failed).
    Prints the comparison; returns whether they agree."""
    ok = True
    for side, (rc, secs, res, *_) in (("plain", plain), ("ovc run", traced)):
        for what, keys in (("tests", [k for k in res if " " not in k]),
                           ("modules", [k for k in res if " " in k])):
            if not keys:
                continue
            tally = {}
            for k in keys:
                tally[res[k]] = tally.get(res[k], 0) + 1
            say("%s %s: status %d, %.1f s, %d %s: %s" % (
                name, side, rc, secs, len(keys), what,
                ", ".join("%d %s" % (n, r) for r, n in sorted(tally.items()))))
    if plain[0] != traced[0]:
        say("%s: status %d under ovc run, %d plain" % (name, traced[0],
                                                        plain[0]))
        ok = False
    if not plain[2]:
        say("%s: no test results read from the plain run (%s)" % (name,
                                                                   plain[3]))
        ok = False
    diffs, not_run = [], {}
    for test in sorted(set(plain[2]) | set(traced[2])):
        a = plain[2].get(test, "not run")
        b = traced[2].get(test, "not run")
        if a == b:
            continue
        if b == "not run" and " " not in test:
            # Left out when their module was killed: counted per module.
            group = ".".join(test.split(".")[:2])
            not_run[group] = not_run.get(group, 0) + 1
        else:
            diffs.append("  %s: %s plain, %s under ovc run" % (test, a, b))
    if diffs or not_run:
        ok = False
        say("%s: %d tests differ:" % (name, len(diffs) +
                                      sum(not_run.values())))
        for d in diffs[:100]:
            print(d)
        if len(diffs) > 100:
            print("  ... and %d more" % (len(diffs) - 100))
        for group, n in sorted(not_run.items()):
            print("  %s: %d tests that pass plain not run under ovc run" %
                  (group, n))
    if not ok:
        for line in traced[4]:
            print("  " + line)
    lines = ovc_lines(traced[3])
    if lines:
        ok = False
        say("%s: %d lines of ovc's in the suite's output under ovc run, "
            "e.g.:" % (name, len(lines)))
        for line in sorted(set(lines))[:10]:
            print("  " + line)
    ratio = traced[1] / plain[1] if plain[1] > 0 else float("inf")
    say("%s: time plain %.1f s, under ovc run %.1f s, ratio %.2fx" % (
        name, plain[1], traced[1], ratio))
    say("%s: %s" % (name, "same results plain and under ovc run" if ok else
                    "DIFFERENT under ovc run (logs in %s)" %
                    os.path.dirname(traced[3])))
    return ok


# ---- Python ----

def junit_results(path):
    """{test id: passed|failed|error|skipped} from regrtest's JUnit XML."""
    res = {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        say("%s: %s" % (path, e))
        return res
    for tc in root.iter("testcase"):
        kinds = [c.tag for c in tc if c.tag in ("failure", "error", "skipped")]
        res[tc.get("name")] = ("failed" if "failure" in kinds else
                               "error" if "error" in kinds else
                               "skipped" if "skipped" in kinds else "passed")
    return res


def why(xml, text):
    """Lines that say why tests failed: the first lines of each failure's
    message in the JUnit XML, and the test a module was running when
    regrtest's timeout killed it (the innermost test_ frame of the
    traceback it dumps)."""
    lines = []
    try:
        root = ET.parse(xml).getroot()
        for tc in root.iter("testcase"):
            for c in tc:
                if c.tag in ("failure", "error"):
                    msg = (c.get("message") or c.text or "").strip()
                    lines.append("%s %s: %s" % (
                        tc.get("name"), c.tag,
                        " | ".join(msg.splitlines()[-3:])[:400]))
    except (OSError, ET.ParseError):
        pass
    for m in re.finditer(r"Timeout \(([\d:]+)\)!\n(?:.*\n)*?.*"
                         r"File \"[^\"]*/(test_\w+)\.py\", line \d+ in (test_\w+)",
                         text):
        lines.append("%s: killed by regrtest's timeout (%s) in %s" % (
            m.group(2), m.group(1), m.group(3)))
    return lines


def python_suite(ovc, work):
    if not os.path.isfile("/usr/lib/python3.11/test/regrtest.py"):
        say("python: /usr/lib/python3.11/test is missing: install "
            "libpython3.11-testsuite (scripts/setup does)")
        return 1
    sides = []
    for side in ("plain", "ovc"):
        d = os.path.join(work, side)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        xml = os.path.join(d, "results.xml")
        argv = [PYTHON, "-m", "test", "-j2", "--timeout",
                str(PY_MODULE_TIMEOUT), "--junit-xml", xml] + PY_MODULES
        if side == "ovc":
            argv = ovc_argv(ovc, os.path.join(work, "ovc-out"), argv)
        log = os.path.join(d, "output.txt")
        say("python %s: %s" % (side, " ".join(argv)))
        rc, secs = run(argv, d, log)
        res = junit_results(xml)
        # Each module's result too: one killed by the timeout leaves no
        # test cases in the XML ("test_threading crashed").
        with open(log, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        for m in re.finditer(r"\[\s*\d+/\d+(?:/\d+)?\] (test_\w+) (\w+)",
                             text):
            res["module " + m.group(1)] = m.group(2)
        sides.append((rc, secs, res, log, why(xml, text)))
    return 0 if compare("python", sides[0], sides[1]) else 1


# ---- jansson ----

def sh(argv, cwd, log):
    with open(log, "ab") as f:
        f.write(("$ " + " ".join(argv) + "\n").encode())
        f.flush()
        return subprocess.run(argv, cwd=cwd, env=child_env(),
                              stdin=subprocess.DEVNULL, stdout=f,
                              stderr=subprocess.STDOUT).returncode


def tail(path, n=30):
    with open(path, "rb") as f:
        return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8",
                                                             "replace")


def jansson_tree(cache):
    """The built jansson source tree in CACHE (fetched and built the first
    time); None when the source package cannot be had (skip)."""
    top = os.path.join(cache, "jansson")
    done = glob.glob(os.path.join(top, "jansson-*", ".ovc-built"))
    if done:
        return os.path.dirname(done[0])
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(top)
    log = os.path.join(top, "build.log")
    say("jansson: fetching the source package into %s (once)" % top)
    if sh(["apt-get", "source", "jansson"], top, log) != 0:
        say("jansson: `apt-get source jansson` failed (no deb-src line or "
            "no network; scripts/setup adds the deb-src line as root):\n" +
            tail(log))
        return None
    trees = [d for d in glob.glob(os.path.join(top, "jansson-*"))
             if os.path.isdir(d)]
    if len(trees) != 1:
        say("jansson: no source tree after apt-get source")
        return None
    tree = trees[0]
    say("jansson: building %s (once)" % tree)
    for step in (["autoreconf", "-fi"], ["./configure", "-q"],
                 ["make", "-j2"]):
        if sh(step, tree, log) != 0:
            raise RuntimeError("jansson: %s failed:\n%s" % (" ".join(step),
                                                             tail(log)))
    open(os.path.join(tree, ".ovc-built"), "w").close()
    return tree


def jansson_results(tree, out_log):
    """{test: result} from automake's lines in OUT_LOG and the per-test
    lines of test/run-suites.log ("Suite: api" then "name... ok")."""
    res = {}
    with open(out_log, "rb") as f:
        for line in f.read().decode("utf-8", "replace").splitlines():
            m = re.match(r"(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR): (\S+)", line)
            if m:
                res["make check " + m.group(2)] = m.group(1).lower()
    suite = "?"
    try:
        with open(os.path.join(tree, "test", "run-suites.log"), "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        m = re.match(r"Suite: (\S+)", line)
        if m:
            suite = m.group(1)
            continue
        m = re.match(r"(\S+)\.\.\. (ok|FAILED|skipped)\s*$", line)
        if m:
            res["%s/%s" % (suite, m.group(1))] = m.group(2).lower()
    return res


def jansson_suite(ovc, work, cache):
    try:
        tree = jansson_tree(cache)
    except RuntimeError as e:
        say(str(e))
        return 1
    if tree is None:
        return SKIP
    sides = []
    for side in ("plain", "ovc"):
        d = os.path.join(work, side)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        argv = ["make", "-j2", "check", "VERBOSE=1"]
        if side == "ovc":
            argv = ovc_argv(ovc, os.path.join(work, "ovc-out"), argv)
        log = os.path.join(d, "output.txt")
        say("jansson %s: %s (in %s)" % (side, " ".join(argv), tree))
        rc, secs = run(argv, tree, log)
        res = jansson_results(tree, log)
        for f in ("run-suites.log", "test-suite.log"):
            p = os.path.join(tree, "test", f)
            if os.path.exists(p):
                shutil.copy(p, d)
        sides.append((rc, secs, res, log, []))
    return 0 if compare("jansson", sides[0], sides[1]) else 1


def main(argv):
    if len(argv) == 4 and argv[1] == "python":
        return python_suite(os.path.abspath(argv[2]), os.path.abspath(argv[3]))
    if len(argv) == 5 and argv[1] == "jansson":
        return jansson_suite(os.path.abspath(argv[2]),
                             os.path.abspath(argv[3]),
                             os.path.abspath(argv[4]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
