#!/bin/bash
# VM-state benchmark on real software: the project's guest Linux
# (scripts/build-linux.sh) booted to /init's prompt through OpenSBI
# fw_jump.bin with -m 256M, on $AMBER and on qemu-system-riscv64 in the same
# run (same Image, firmware, RAM): savevm and loadvm into a fresh 1 GiB qcow2
# on virtio-blk, and live migration over loopback tcp with the shell idle
# and while `churn` rewrites its 512 KiB. bench/linux-state.py drives each
# emulator and checks the guest's answers after every load and migration.
# BENCH_LINUX_STATE_RUNS (default 5) rounds; medians. Writes
# $BENCH_RESULTS/linux-state.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
BENCH_NAME=linux-state
. "$(dirname "$0")/linux-lib.inc"
RUNS=${BENCH_LINUX_STATE_RUNS:-5}
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
bench_linux_image
command -v qemu-img >/dev/null 2>&1 || skip "qemu-img missing (Debian package qemu-utils)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PY" "$src/bench/linux-state.py" amber "$AMBER" "$image" "$FW" "$RAM" "$RUNS" "$tmp" >"$tmp/amber.json" ||
    { echo "linux-state: the amber run failed"; exit 1; }
if command -v "$QEMU" >/dev/null 2>&1; then
    "$PY" "$src/bench/linux-state.py" qemu "$QEMU" "$image" "$FW" "$RAM" "$RUNS" "$tmp" >"$tmp/qemu.json" ||
        { echo "linux-state: the qemu run failed"; exit 1; }
fi

"$PY" - "$tmp" "$RUNS" "$RAM" "$image" "$(nproc)" >"$md" <<'EOF'
import json, os, statistics, sys, time
tmp, runs, ram, image, ncpu = sys.argv[1:6]
res = {}
for emu in ("amber", "qemu"):
    p = os.path.join(tmp, emu + ".json")
    if os.path.exists(p):
        res[emu] = json.load(open(p))
def med(emu, case, key):
    return statistics.median(r[key] for r in res[emu][case])
cols = [("snap", "save", 1, "savevm (s)", "%.3f"), ("snap", "load", 1, "loadvm (s)", "%.3f"),
        ("idle", "wall", 1000, "migrate idle: wall (ms)", "%.0f"),
        ("idle", "down", 1, "idle: downtime (ms)", "%.0f"),
        ("churn", "wall", 1000, "migrate during churn: wall (ms)", "%.0f"),
        ("churn", "down", 1, "churn: downtime (ms)", "%.0f")]
print("Linux 6.1 (%s, %d bytes) + OpenSBI fw_jump.bin, -m %s, booted to /init's prompt; median of %s rounds;"
      % (os.path.basename(os.path.dirname(image)) + "/Image", os.path.getsize(image), ram, runs))
print("%s, %s CPUs. savevm/loadvm: monitor command to next prompt, 1 GiB qcow2 on virtio-blk."
      % (time.strftime("%Y-%m-%d %H:%M", time.gmtime()), ncpu))
print("Migration: tcp loopback, max-bandwidth 100G; wall = `migrate -d` until `info migrate` says completed,")
print("downtime as the source's `info migrate` reports it. QEMU: -cpu %s (7.2's default CPU has Sstc, and its guest"
      % os.environ.get("BENCH_QEMU_CPU", "rv64,sstc=false"))
print("hangs after loadvm with it). \"answered\": rounds whose guest answered after loadvm / after idle and churn migration.")
print()
print("| emulator | " + " | ".join(c[3] for c in cols) + " | VM SIZE (MiB) | RAM sent idle / churn (MiB) | answered |")
print("|---" * (len(cols) + 4) + "|")
def answered(emu):
    return " / ".join("%d/%d" % (sum(r["answer"] is not None for r in res[emu][c]), len(res[emu][c]))
                      for c in ("snap", "idle", "churn"))
vals = {}
for emu in res:
    v = [med(emu, c[0], c[1]) * c[2] for c in cols]
    vals[emu] = v
    name = "amber" if emu == "amber" else "qemu-system-riscv64 (TCG)"
    print("| %s | " % name + " | ".join(c[4] % x for c, x in zip(cols, v)) +
          " | %.1f | %.1f / %.1f | %s |" % (med(emu, "snap", "vmsize") / 1048576,
                                           med(emu, "idle", "xfer") / 1024, med(emu, "churn", "xfer") / 1024,
                                           answered(emu)))
if "qemu" in res:
    def ratio(q, a):
        return "%.2f" % (q / a) if a > 0 and q > 0 else "n/a"
    print("| QEMU / amber | " + " | ".join(ratio(q, a) for q, a in zip(vals["qemu"], vals["amber"])) +
          " | %s | | |" % ratio(med("qemu", "snap", "vmsize"), med("amber", "snap", "vmsize")))
    answers = {r["answer"] for emu in res for c in ("snap", "idle", "churn") for r in res[emu][c]
               if c != "churn" and r["answer"] is not None}
    print()
    print("Checksums the guests printed after loadvm / after an idle migration: %s" %
          (", ".join(sorted(answers)) + (" (the same on both emulators)" if len(answers) == 1 else " (DIFFERENT)")))
else:
    print("| qemu-system-riscv64 | skipped: not installed |" + " |" * (len(cols) + 2))
print("(ratios above 1: Amber is faster or smaller)")
EOF
cat "$md"
