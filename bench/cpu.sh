#!/bin/bash
# CPU benchmark: the long rvbench guest (tests/guest/bench/rvbench.elf,
# ITERS=RVBENCH_LONG in guest.mk) on $AMBER and on qemu-system-riscv64 in
# the same run.  Wall time from hyperfine (3 runs + 1 warmup), or a timed
# loop without it.  Instruction count: amber's minstret delta printed by the
# guest (Amber counts retired instructions exactly); if amber cannot run it,
# QEMU with -icount shift=0 (minstret = instructions there; without -icount
# QEMU's minstret is the host TSC).  Writes $BENCH_RESULTS/cpu.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
QEMU=${QEMU:-qemu-system-riscv64}
RUNS=${BENCH_RUNS:-3}
out=${BENCH_RESULTS:-$build/bench/results}
mkdir -p "$out"
elf=$build/tests/guest/bench/rvbench.elf
if [ ! -f "$elf" ]; then
    make -C "$build" guests >/dev/null 2>&1 || true
fi
if [ ! -f "$elf" ]; then
    echo "cpu: $elf missing (no RISC-V cross compiler?); skipped"
    printf '| benchmark | result |\n|---|---|\n| rvbench | skipped: guest not built |\n' >"$out/cpu.md"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args="-M virt -bios none -nographic -kernel $elf"
# Amber flat out: its default -icount sleep=on would pace rvbench to the wall clock.
amber_speed="-icount sleep=off"

# check_run BIN -> prints guest output; status 0 when checksum OK and exit 0
check_run() { timeout 600 "$@" $args </dev/null 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }

# time_it NAME BIN...: sets MEAN and SD (seconds)
time_it() {
    local name=$1; shift
    if command -v hyperfine >/dev/null 2>&1; then
        hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$tmp/$name.json" \
            -n "$name" "$* $args" >"$tmp/$name.hf" 2>&1 || return 1
        read -r MEAN SD < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f" % (r["mean"], r["stddev"] or 0))' "$tmp/$name.json")
    else
        local t s=0 ss=0 i
        for i in $(seq "$RUNS"); do
            local a b; a=$(date +%s.%N)
            "$@" $args </dev/null >/dev/null 2>&1 || return 1
            b=$(date +%s.%N)
            t=$(echo "$b - $a" | bc -l); s=$(echo "$s + $t" | bc -l); ss=$(echo "$ss + $t * $t" | bc -l)
        done
        MEAN=$(echo "scale=3; $s / $RUNS" | bc -l)
        SD=$(echo "scale=3; sqrt(($ss - $s * $s / $RUNS) / $RUNS)" | bc -l 2>/dev/null || echo 0)
    fi
}

insns= insn_src=
rows=()
amber_mean= qemu_mean= iters= res=
if command -v "$AMBER" >/dev/null 2>&1 && res=$(check_run "$AMBER" $amber_speed) && grep -q 'checksum=.* OK' <<<"$res"; then
    insns=$(sed -n 's/^@minstret_delta=//p' <<<"$res")
    insn_src="amber minstret"
    iters=$(sed -n 's/^rvbench iters=//p' <<<"$res")
    if time_it amber "$AMBER" $amber_speed; then amber_mean=$MEAN; amber_sd=$SD; fi
else
    echo "cpu: amber ($AMBER) did not run rvbench successfully:"
    head -n 5 <<<"${res:-}" | sed 's/^/    /'
fi
if command -v "$QEMU" >/dev/null 2>&1; then
    if [ -z "$insns" ]; then
        res=$(timeout 600 "$QEMU" -icount shift=0 $args </dev/null 2>&1 | tr -d '\r')
        insns=$(sed -n 's/^@minstret_delta=//p' <<<"$res")
        iters=$(sed -n 's/^rvbench iters=//p' <<<"$res")
        insn_src="qemu -icount shift=0 minstret"
    fi
    if time_it qemu "$QEMU"; then qemu_mean=$MEAN; qemu_sd=$SD; fi
else
    echo "cpu: $QEMU not found; QEMU column skipped"
fi
mips() { [ -n "$insns" ] && [ -n "$1" ] && echo "scale=0; $insns / $1 / 1000000" | bc -l || echo "n/a"; }
{
    echo "rvbench ITERS=${iters:-?}, guest instructions in the timed region: ${insns:-unknown} (${insn_src:-n/a}); wall time includes emulator start-up; $RUNS runs."
    echo
    echo "| emulator | wall mean ± σ (s) | guest MIPS |"
    echo "|---|---|---|"
    if [ -n "$amber_mean" ]; then echo "| amber | $amber_mean ± $amber_sd | $(mips "$amber_mean") |"
    else echo "| amber | failed / not run | n/a |"; fi
    if [ -n "$qemu_mean" ]; then echo "| qemu-system-riscv64 (TCG) | $qemu_mean ± $qemu_sd | $(mips "$qemu_mean") |"
    else echo "| qemu-system-riscv64 | skipped | n/a |"; fi
    if [ -n "$amber_mean" ] && [ -n "$qemu_mean" ]; then
        echo
        echo "speed ratio amber/qemu (MIPS, = qemu time / amber time): $(printf "%.2f" "$(echo "scale=4; $qemu_mean / $amber_mean" | bc -l)")"
    fi
} >"$out/cpu.md"
cat "$out/cpu.md"
