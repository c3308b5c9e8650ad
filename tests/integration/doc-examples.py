#!/usr/bin/env python3
"""Runs the shell examples of Markdown files (doc-examples.sh drives it).

  doc-examples.py BUILD SRCDIR FILE.md...

Every code block of a file is classified, and a block nobody classified is
a failure, so a new example cannot slip in untested:
  - ```sh / ```bash / ```shell fences are run;
  - a fence with another language (```text, ```c) is not shell: left alone;
  - an indented block or a fence without a language is run only if ...
    nothing: it must be marked, or made a ```sh / ```text fence;
  - marked illustrative: the last non-blank line before the block contains
    "(illustrative" (visible to the reader, e.g. "(illustrative: needs a
    terminal)"): not run;
  - `<!-- doc-test: run-by tests/integration/X.sh -->` on the line before:
    run by that test, which must exist and contain the block's text;
  - the generated command reference of monitor.md (between its BEGIN/END
    GENERATED markers) holds usage lines, checked by test-monitor-doc.
A file holding `<!-- doc-test: needs-linux -->` runs only when the project's
kernel is cached (scripts/build-linux.sh --cached-only); else it is skipped.

The runnable blocks of one file run in order in one bash (set -e: any
failing command fails its block), in a fresh temp dir that looks like the
top of an in-tree build: ./amber, tools/, scripts/, tests/guest/. Prints
PASS/FAIL/SKIP lines and "N passed, N failed, N skipped"; status 1 on a
failure."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

RUN_LANGS = {"sh", "bash", "shell"}
TIMEOUT = int(os.environ.get("DOC_TEST_TIMEOUT", "120"))
counts = {"passed": 0, "failed": 0, "skipped": 0}


def report(kind, msg):
    print("%s %s" % (kind, msg))
    counts[{"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}[kind]] += 1


def blocks(text):
    """(line number, kind, lang, body, previous non-blank line, line before)."""
    lines = text.split("\n")
    out = []
    generated = False
    i = 0

    def before(k):
        prev = ""
        j = k - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0:
            prev = lines[j]
        return prev, (lines[k - 1] if k > 0 else "")

    while i < len(lines):
        line = lines[i]
        if "BEGIN GENERATED" in line:
            generated = True
        elif "END GENERATED" in line:
            generated = False
        m = re.match(r"^(```+|~~~+)\s*(\S*)", line)
        if m:
            fence = m.group(1)
            j = i + 1
            while j < len(lines) and not lines[j].startswith(fence):
                j += 1
            if not generated:
                prev, _ = before(i)
                out.append((i + 1, "fenced", m.group(2).lower(), "\n".join(lines[i + 1:j]), prev))
            i = j + 1
            continue
        if line.startswith("    ") and line.strip() and (i == 0 or not lines[i - 1].strip()):
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or
                                      (not lines[j].strip() and j + 1 < len(lines) and
                                       lines[j + 1].startswith("    "))):
                j += 1
            # An indented line inside a list item continues the item.
            prev, _ = before(i)
            in_list = re.match(r"^\s*([-*+]|\d+\.)\s", prev) is not None
            if not generated and not in_list:
                out.append((i + 1, "indented", "", "\n".join(l[4:] for l in lines[i:j]), prev))
            i = j
            continue
        i += 1
    return out


def linux_cached(src):
    r = subprocess.run([os.path.join(src, "scripts/build-linux.sh"), "--cached-only"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def make_tree(build, src, tmp):
    """A temp dir that looks like the top of an in-tree build."""
    os.symlink(os.path.join(build, "amber"), os.path.join(tmp, "amber"))
    os.symlink(os.path.join(build, "tools"), os.path.join(tmp, "tools"))
    os.symlink(os.path.join(src, "scripts"), os.path.join(tmp, "scripts"))
    os.makedirs(os.path.join(tmp, "tests"))
    os.symlink(os.path.join(build, "tests/guest"), os.path.join(tmp, "tests/guest"))


def run_file(build, src, path, rel):
    text = open(path, encoding="utf-8").read()
    runnable = []
    for line, kind, lang, body, prev in blocks(text):
        where = "%s:%d" % (rel, line)
        if "(illustrative" in prev:
            print("NOTE %s: marked illustrative, not run" % where)
            continue
        m = re.search(r"<!--\s*doc-test:\s*run-by\s+(\S+)\s*-->", prev)
        if m:
            test = os.path.join(src, m.group(1))
            first = body.strip().split("\n")[0]
            ok = os.path.isfile(test) and first in open(test, encoding="utf-8").read()
            report("PASS" if ok else "FAIL",
                   "%s: run by %s%s" % (where, m.group(1), "" if ok else " (missing, or it lacks: %s)" % first))
            continue
        if kind == "fenced" and lang and lang not in RUN_LANGS:
            continue
        if kind == "fenced" and lang in RUN_LANGS:
            runnable.append((where, body))
            continue
        report("FAIL", "%s: unmarked %s block (make it ```sh to run it, ```text if it is not a "
               "command, or put '(illustrative: WHY)' on the line before): %s"
               % (where, kind if kind == "indented" else "untagged fenced", body.split("\n")[0][:60]))
    if not runnable:
        return
    if "<!-- doc-test: needs-linux -->" in text and not linux_cached(src):
        for where, _ in runnable:
            report("SKIP", "%s: skipped: needs the project's Linux kernel, not cached "
                   "(scripts/build-linux.sh builds it)" % where)
        return
    tmp = tempfile.mkdtemp(prefix="doc-test.")
    try:
        make_tree(build, src, tmp)
        script = ["set -eE", "trap 'echo \"@@failed $DOC_BLOCK status $?\" >&2' ERR"]
        for where, body in runnable:
            script += ["DOC_BLOCK=%s" % where, "echo \"@@block $DOC_BLOCK\"", body,
                       "echo \"@@ok $DOC_BLOCK\""]
        open(os.path.join(tmp, ".doc-test.sh"), "w").write("\n".join(script) + "\n")
        env = dict(os.environ)
        env["PATH"] = "%s:%s:%s" % (build, os.path.join(build, "tools"), env.get("PATH", ""))
        p = subprocess.Popen(["bash", ".doc-test.sh"], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=TIMEOUT)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
        # Whatever the examples left running in the background goes too.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out = out.decode("utf-8", "replace")
        ok = set(re.findall(r"@@ok (\S+)$", out, re.M))
        for where, _ in runnable:
            if where in ok:
                report("PASS", "%s: ran, status 0" % where)
            else:
                why = "timed out after %d s" % TIMEOUT if timed_out else \
                    "failed (%s)" % ", ".join(re.findall(r"@@failed (.*)$", out, re.M) or ["not reached"])
                report("FAIL", "%s: %s" % (where, why))
        if any(w not in ok for w, _ in runnable):
            print("--- output of %s's examples (tail) ---" % rel)
            print("\n".join(out.rstrip("\n").split("\n")[-25:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    build, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    for path in sys.argv[3:]:
        rel = os.path.relpath(path, src) if os.path.abspath(path).startswith(src + "/") else path
        run_file(build, src, path, rel)
    print("%d passed, %d failed, %d skipped" % (counts["passed"], counts["failed"], counts["skipped"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
