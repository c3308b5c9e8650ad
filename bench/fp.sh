#!/bin/bash
# FP benchmark: tests/guest/bench/fpbench.elf (double-precision matrix
# multiply and n-body, ITERS=FPBENCH_LONG in guest.mk) on $AMBER and on
# qemu-system-riscv64 in the same run. Both must print the same checksum
# (the bits of every result). Wall time from hyperfine (BENCH_RUNS runs + 1
# warm-up) or a timed loop; guest instructions from Amber's exact minstret.
# Writes $BENCH_RESULTS/fp.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
QEMU=${QEMU:-qemu-system-riscv64}
RUNS=${BENCH_RUNS:-3}
out=${BENCH_RESULTS:-$build/bench/results}
mkdir -p "$out"
elf=$build/tests/guest/bench/fpbench.elf
if [ ! -f "$elf" ]; then
    echo "fp: $elf missing (no RISC-V cross compiler?); skipped"
    printf '| benchmark | result |\n|---|---|\n| fpbench | skipped: guest not built |\n' >"$out/fp.md"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args="-M virt -bios none -nographic -kernel $elf"
amber_speed="-icount sleep=off"   # flat out, not paced to the wall clock

guest() { timeout 600 "$@" $args </dev/null 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }

# time_it NAME BIN...: sets MEAN and SD (seconds)
time_it() {
    local name=$1; shift
    if command -v hyperfine >/dev/null 2>&1; then
        hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$tmp/$name.json" \
            -n "$name" "$* $args" >"$tmp/$name.hf" 2>&1 || return 1
        read -r MEAN SD < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f" % (r["mean"], r["stddev"] or 0))' "$tmp/$name.json")
    else
        local i a b s=0
        for i in $(seq "$RUNS"); do
            a=$(date +%s.%N)
            "$@" $args </dev/null >/dev/null 2>&1 || return 1
            b=$(date +%s.%N)
            s=$(echo "$s + $b - $a" | bc -l)
        done
        MEAN=$(echo "scale=3; $s / $RUNS" | bc -l)
        SD=n/a
    fi
}

status=0
ares= qres= amber_mean= qemu_mean= insns=
if ares=$(guest "$AMBER" $amber_speed); then
    insns=$(sed -n 's/^@minstret_delta=//p' <<<"$ares")
    time_it amber "$AMBER" $amber_speed && { amber_mean=$MEAN; amber_sd=$SD; }
else
    echo "fp: amber did not run fpbench:"; head -n 5 <<<"$ares" | sed 's/^/    /'
    status=1
fi
if command -v "$QEMU" >/dev/null 2>&1; then
    if qres=$(guest "$QEMU"); then
        time_it qemu "$QEMU" && { qemu_mean=$MEAN; qemu_sd=$SD; }
    fi
else
    echo "fp: $QEMU not found; QEMU column skipped"
fi
asum=$(grep '^checksum=' <<<"$ares")
qsum=$(grep '^checksum=' <<<"${qres:-}")
agree="n/a (no QEMU run)"
if [ -n "$qsum" ]; then
    if [ "$asum" = "$qsum" ]; then agree="yes ($asum)"
    else agree="NO: amber '$asum', qemu '$qsum'"; status=1; fi
fi
mips() { [ -n "$insns" ] && [ -n "$1" ] && echo "scale=0; $insns / $1 / 1000000" | bc -l || echo "n/a"; }
{
    echo "fpbench $(sed -n 's/^fpbench //p' <<<"$ares"): guest instructions in the timed region: ${insns:-unknown} (amber minstret); wall time includes start-up; $RUNS runs. Same results on both: $agree."
    echo
    echo "| emulator | wall mean ± σ (s) | guest MIPS |"
    echo "|---|---|---|"
    if [ -n "$amber_mean" ]; then echo "| amber | $amber_mean ± $amber_sd | $(mips "$amber_mean") |"
    else echo "| amber | failed / not run | n/a |"; fi
    if [ -n "$qemu_mean" ]; then echo "| qemu-system-riscv64 (TCG) | $qemu_mean ± $qemu_sd | $(mips "$qemu_mean") |"
    else echo "| qemu-system-riscv64 | skipped | n/a |"; fi
    if [ -n "$amber_mean" ] && [ -n "$qemu_mean" ]; then
        echo
        echo "speed ratio amber/qemu (= qemu time / amber time): $(printf "%.2f" "$(echo "scale=4; $qemu_mean / $amber_mean" | bc -l)")"
    fi
} >"$out/fp.md"
cat "$out/fp.md"
exit $status
