#!/bin/bash
# Idle guest benchmark: the project's guest kernel at -smp 4 boots to
# /init's prompt and then sits idle (every hart in WFI, the kernel's timer
# ticks only); the host CPU time the emulator process uses over the next
# $BENCH_IDLE_SECONDS (10) seconds of wall time, as a share of one core, on
# $AMBER (its default clock: icount, paced to the wall clock) and on
# qemu-system-riscv64 with the same Image, firmware and RAM size, in the
# same run. CPU time is utime + stime from /proc/PID/stat. Writes
# $BENCH_RESULTS/idle.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
BENCH_NAME=idle
. "$(dirname "$0")/linux-lib.inc"
SECS=${BENCH_IDLE_SECONDS:-10}
SMP=${BENCH_IDLE_SMP:-4}
bench_linux_image
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)

# cpu_ticks PID: utime + stime, in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# idle NAME BIN...: sets SHARE (percent of one core over SECS) or fails
idle() {
    local name=$1; shift
    rm -f "$tmp/in"; mkfifo "$tmp/in"
    "$@" -M virt -smp "$SMP" -m "$RAM" -nographic -bios "$FW" -kernel "$image" \
        -append console=ttyS0 <"$tmp/in" >"$tmp/$name.log" 2>&1 &
    pid=$!
    exec 3>"$tmp/in"
    local end=$((SECONDS + 120))
    until tr -d '\r' <"$tmp/$name.log" | grep -q '^# '; do
        kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ] || { echo "$name: no prompt"; return 1; }
        sleep 0.1
    done
    sleep 1          # the boot's last work (deferred initcalls, the shell's read)
    local a b t0 t1
    a=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
    sleep "$SECS"
    b=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
    printf 'poweroff\n' >&3
    exec 3>&-
    wait "$pid" 2>/dev/null; pid=
    if [ "$b" = "$a" ]; then     # under one clock tick of CPU in the window
        SHARE="< $(echo "scale=2; 100 / $hz / $SECS" | bc -l)"
    else
        SHARE=$(echo "scale=2; 100 * ($b - $a) / $hz / ($t1 - $t0)" | bc -l)
    fi
    echo "$name: $SHARE % of a core over $SECS s idle at -smp $SMP"
}

idle amber "$AMBER" || exit 1
amber=$SHARE
if command -v "$QEMU" >/dev/null 2>&1 && idle qemu "$QEMU"; then
    qemu=$SHARE
else
    qemu="n/a"
fi
{
    echo "| guest (-smp $SMP, idle at the prompt) | amber CPU | $QEMU CPU |"
    echo "|---|---|---|"
    echo "| Linux 6.1, $SECS s after the prompt | ${amber} % of a core | ${qemu} % of a core |"
} >"$md"
cat "$md"
