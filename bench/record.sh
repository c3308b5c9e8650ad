#!/bin/bash
# Forward speed while recording (-record) and with reverse execution on
# (-reverse on), against a plain run, on the project's Linux (doc/replay.md,
# doc/PERFORMANCE.md "Reverse execution on Linux"). The workload is /init's
# `churn N` (a loop that keeps rewriting 512 KiB, preempted by the timer),
# run from the kernel command line, then poweroff; -icount sleep=off so the
# guest runs flat out. Each mode boots twice, with churn 0 and churn N, each
# the best of RUNS: the difference is the time of the N rounds alone (boot,
# exit and, for -record, the final RAM checksum left out), so the ratio is
# the slowdown of forward execution. The modes take turns in each
# repetition. Both CPU back ends. Writes
# $BENCH_RESULTS/record.md.
# Usage: bench/record.sh [N] [RUNS]   (default 6000 rounds, about 23 s of
# guest time; best of 3)
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
BENCH_NAME=record
. "$(dirname "$0")/linux-lib.inc"
n=${1:-6000}
RUNS=${2:-${BENCH_RUNS:-3}}
bench_linux_image
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# once JIT CHURN MODE-ARGS...: the wall time of one run (ms)
once() {
    local jit=$1 rounds=$2 a e
    shift 2
    a=$(date +%s%N)
    timeout 600 "$AMBER" -accel "tcg,jit=$jit" -icount sleep=off -M virt -m "$RAM" -nographic \
        -bios "$FW" -kernel "$image" -append "console=ttyS0 -- churn $rounds ; poweroff" "$@" \
        </dev/null >"$tmp/out" 2>"$tmp/err" || { echo "run failed: $*" >&2; tail -n 3 "$tmp/err" >&2; return 1; }
    e=$(date +%s%N)
    echo $(( (e - a) / 1000000 ))
}
mode_args() {
    case $1 in
        plain) args=() ;;
        record) args=(-record "$tmp/rec.log") ;;
        reverse) args=(-reverse on) ;;
    esac
}
rounds_line() { tr -d '\r' <"$tmp/out" | grep -m1 "^sum .* round $n\$" >/dev/null; }

{
    echo "Linux \`churn $n\` (-icount sleep=off, -m $RAM, best of $RUNS), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| back end | mode | boot + exit (ms) | with churn $n (ms) | the $n rounds (ms) | vs plain |"
    echo "|---|---|---|---|---|---|"
} >"$md.tmp"
# The modes take turns within each repetition, so that a slow stretch of
# this shared host falls on all of them rather than on one mode's block.
declare -A best
for jit in on off; do
    for _ in $(seq "$RUNS"); do
        for mode in plain record reverse; do
            mode_args "$mode"
            for rounds in 0 "$n"; do
                t=$(once "$jit" "$rounds" "${args[@]}") || exit 1
                [ "$rounds" = 0 ] || rounds_line || { echo "churn $n did not finish ($mode, jit=$jit)" >&2; exit 1; }
                k=$jit/$mode/$rounds
                if [ -z "${best[$k]:-}" ] || [ "$t" -lt "${best[$k]}" ]; then best[$k]=$t; fi
            done
        done
    done
    plain=
    for mode in plain record reverse; do
        t0=${best[$jit/$mode/0]} t1=${best[$jit/$mode/$n]}
        d=$((t1 - t0))
        [ "$mode" = plain ] && plain=$d
        ratio=$(awk -v d="$d" -v p="$plain" 'BEGIN { printf "%+.0f%%", (d / p - 1) * 100 }')
        echo "| jit=$jit | $mode | $t0 | $t1 | $d | $ratio |" | tee -a "$md.tmp"
    done
done
mv "$md.tmp" "$md"
echo >>"$md"
echo "guest time of the churn $n run: $(grep -o 'up to position [0-9]*' "$tmp/err" | tr -dc 0-9 | awk '{printf "%.1f s", $1 * 8 / 1e9}') (-reverse's last checkpoint, 8 ns per instruction)" >>"$md"
cat "$md"
