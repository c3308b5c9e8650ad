#!/bin/bash
# SMP benchmark: tests/guest/smpbench (rvbench's integer mix on every hart,
# each hart on its own data) at -smp 1 and -smp 4, on $AMBER (flat out:
# -icount sleep=off) and on qemu-system-riscv64 in the same run. Reports
# wall time, host CPU time (user + sys) and Amber's host CPU nanoseconds
# per guest instruction (the guest prints each hart's minstret delta; Amber
# counts retired instructions exactly). QEMU runs the same program; its
# minstret is not an instruction count without -icount, so its CPU time is
# divided by Amber's count. Mean of $BENCH_RUNS (3) runs. Writes
# $BENCH_RESULTS/smp.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
QEMU=${QEMU:-qemu-system-riscv64}
RUNS=${BENCH_RUNS:-3}
out=${BENCH_RESULTS:-$build/bench/results}
mkdir -p "$out"
md=$out/smp.md
elf=$build/tests/guest/smpbench/smpbench.elf
[ -f "$elf" ] || make -C "$build" guests >/dev/null 2>&1 || true
if [ ! -f "$elf" ]; then
    echo "smp: $elf missing (no RISC-V cross compiler?); skipped"
    printf '| benchmark | result |\n|---|---|\n| smp | skipped: guest not built |\n' >"$md"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME SMP BIN...: mean wall and CPU seconds over RUNS runs, and the
# guest's total instruction count; fails unless every hart's checksum is OK.
measure() {
    local name=$1 smp=$2; shift 2
    python3 - "$tmp/$name" "$RUNS" "$@" -M virt -smp "$smp" -bios none -nographic -kernel "$elf" <<'PY'
import os, re, resource, subprocess, sys, time
outp, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
walls, cpus, total = [], [], None
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=900)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = p.stdout.decode(errors="replace").replace("\r", "")
    open(outp + ".log", "w").write(text)
    if p.returncode != 0 or "MISMATCH" in text or " OK" not in text:
        sys.exit("run failed (status %d): %s" % (p.returncode, text[-300:]))
    walls.append(t1 - t0)
    cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    m = re.search(r"@total_minstret=(\d+)", text)
    total = int(m.group(1)) if m else None
print("%.3f %.3f %s" % (sum(walls) / runs, sum(cpus) / runs, total))
PY
}

declare -A W C I
for s in 1 4; do
    read -r W[a$s] C[a$s] I[a$s] < <(measure amber$s $s "$AMBER" -icount sleep=off) ||
        { echo "smp: amber -smp $s failed"; exit 1; }
    echo "amber -smp $s: wall ${W[a$s]} s, cpu ${C[a$s]} s, ${I[a$s]} guest instructions"
    if command -v "$QEMU" >/dev/null 2>&1 &&
       read -r W[q$s] C[q$s] _ < <(measure qemu$s $s "$QEMU") && [ -n "${W[q$s]}" ]; then
        echo "qemu -smp $s: wall ${W[q$s]} s, cpu ${C[q$s]} s"
    else
        W[q$s]=n/a C[q$s]=n/a
    fi
done
ns() { [ "$1" = n/a ] && echo n/a || echo "scale=2; $1 * 1000000000 / $2" | bc -l; }
{
    echo "| run | guest instructions | amber wall (s) | amber CPU (s) | amber CPU ns / guest insn | $QEMU wall (s) | $QEMU CPU (s) | $QEMU CPU ns / guest insn |"
    echo "|---|---|---|---|---|---|---|---|"
    for s in 1 4; do
        echo "| -smp $s | ${I[a$s]} | ${W[a$s]} | ${C[a$s]} | $(ns "${C[a$s]}" "${I[a$s]}") | ${W[q$s]} | ${C[q$s]} | $(ns "${C[q$s]}" "${I[a$s]}") |"
    done
    echo
    echo "Amber's cost per guest instruction at -smp 4 over -smp 1: $(echo "scale=20; r = (${C[a4]} / ${I[a4]}) / (${C[a1]} / ${I[a1]}); scale=3; r / 1" | bc -l)."
} >"$md"
cat "$md"
