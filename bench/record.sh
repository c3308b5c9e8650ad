#!/bin/bash
# Forward speed while recording (-record) and with reverse execution on
# (-reverse on), against a plain run, on the project's Linux (doc/replay.md,
# doc/PERFORMANCE.md "Reverse execution on Linux"). The workload is /init's
# `churn N` (a loop that keeps rewriting 512 KiB, preempted by the timer),
# run from the kernel command line, then poweroff; -icount sleep=off so the
# guest runs flat out. Each mode boots twice, with churn 0 and churn N, each
# the best of RUNS: the difference is the time of the N rounds alone (boot,
# exit and, for -record, the final RAM checksum left out), so the ratio is
# the slowdown of forward execution. Both CPU back ends. Writes
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

# best JIT CHURN MODE-ARGS...: the shortest wall time of RUNS runs (seconds)
best() {
    local jit=$1 rounds=$2; shift 2
    local b= i a e t
    for i in $(seq "$RUNS"); do
        a=$(date +%s%N)
        timeout 600 "$AMBER" -accel "tcg,jit=$jit" -icount sleep=off -M virt -m "$RAM" -nographic \
            -bios "$FW" -kernel "$image" -append "console=ttyS0 -- churn $rounds ; poweroff" "$@" \
            </dev/null >"$tmp/out" 2>"$tmp/err" || { echo "run failed: $*" >&2; tail -n 3 "$tmp/err" >&2; return 1; }
        e=$(date +%s%N)
        t=$(( (e - a) / 1000000 ))
        if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
    done
    echo "$b"
}
rounds_line() { tr -d '\r' <"$tmp/out" | grep -m1 "^sum .* round $n\$" >/dev/null; }

{
    echo "Linux \`churn $n\` (-icount sleep=off, -m $RAM, best of $RUNS), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| back end | mode | boot + exit (ms) | with churn $n (ms) | the $n rounds (ms) | vs plain |"
    echo "|---|---|---|---|---|---|"
} >"$md.tmp"
for jit in on off; do
    plain=
    for mode in plain record reverse; do
        case $mode in
            plain) args=() ;;
            record) args=(-record "$tmp/rec.log") ;;
            reverse) args=(-reverse on) ;;
        esac
        t0=$(best "$jit" 0 "${args[@]}") || exit 1
        t1=$(best "$jit" "$n" "${args[@]}") || exit 1
        rounds_line || { echo "churn $n did not finish ($mode, jit=$jit)" >&2; exit 1; }
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
