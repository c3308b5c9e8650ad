#!/bin/bash
# Linux boot benchmark: the project's guest kernel (scripts/build-linux.sh)
# from reset through OpenSBI fw_jump to /init's first `# ` prompt, which
# then powers off (`-- poweroff` on the kernel command line), on $AMBER and
# on qemu-system-riscv64 with the same Image, firmware and RAM size, in the
# same run. Wall time from hyperfine (or a timed loop without it). Guest
# instructions to the prompt: /init's `instret` as its first command (QEMU
# with -icount shift=0,sleep=off, where instret counts instructions and
# idle time does not depend on the host). Writes
# $BENCH_RESULTS/linux-boot.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
BENCH_NAME=linux-boot
. "$(dirname "$0")/linux-lib.inc"
RUNS=${BENCH_RUNS:-10}
bench_linux_image
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

base="-M virt -m $RAM -nographic -bios $FW -kernel $image"
boot_args=(-append "console=ttyS0 -- poweroff")
count_args=(-append "console=ttyS0 -- instret ; poweroff")

# reaches NAME BIN...: one boot; true when the prompt answered and it exited 0
reaches() {
    local name=$1; shift
    timeout 120 "$@" $base "${boot_args[@]}" </dev/null >"$tmp/$name.log" 2>&1 &&
        tr -d '\r' <"$tmp/$name.log" | grep -qx '# poweroff'
}
# instret BIN... [extra args]: instructions retired at the first prompt
instret() {
    timeout 300 "$@" "${count_args[@]}" </dev/null 2>&1 | tr -d '\r' | sed -n 's/^instret //p'
}
# time_it NAME BIN...: sets MEAN and SD (wall, seconds) and CPU (user+sys mean)
time_it() {
    local name=$1; shift
    if command -v hyperfine >/dev/null 2>&1; then
        # shellcheck disable=SC2145
        hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$tmp/$name.json" -n "$name" \
            "$* $base -append 'console=ttyS0 -- poweroff'" >"$tmp/$name.hf" 2>&1 || return 1
        read -r MEAN SD CPU < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f %.3f" % (r["mean"], r["stddev"] or 0, r["user"] + r["system"]))' "$tmp/$name.json")
    else
        local t s=0 ss=0 i a b
        for i in $(seq "$RUNS"); do
            a=$(date +%s.%N)
            "$@" $base "${boot_args[@]}" </dev/null >/dev/null 2>&1 || return 1
            b=$(date +%s.%N)
            t=$(echo "$b - $a" | bc -l); s=$(echo "$s + $t" | bc -l); ss=$(echo "$ss + $t * $t" | bc -l)
        done
        MEAN=$(echo "scale=3; $s / $RUNS" | bc -l)
        SD=$(echo "scale=3; sqrt(($ss - $s * $s / $RUNS) / $RUNS)" | bc -l 2>/dev/null || echo 0)
        CPU=n/a
    fi
}

amber_mean= qemu_mean= amber_n= qemu_n=
if reaches amber "$AMBER" -icount sleep=off; then
    time_it amber "$AMBER" -icount sleep=off && { amber_mean=$MEAN; amber_sd=$SD; amber_cpu=$CPU; }
    amber_n=$(instret "$AMBER" -icount sleep=off $base)
else
    echo "linux-boot: amber did not reach the prompt:"; tail -n 5 "$tmp/amber.log" | sed 's/^/    /'
fi
if command -v "$QEMU" >/dev/null 2>&1 && reaches qemu "$QEMU"; then
    time_it qemu "$QEMU" && { qemu_mean=$MEAN; qemu_sd=$SD; qemu_cpu=$CPU; }
    qemu_n=$(instret "$QEMU" -icount shift=0,sleep=off $base)
else
    echo "linux-boot: $QEMU missing or did not reach the prompt; QEMU column skipped"
fi
{
    echo "Linux 6.1 ($(basename "$(dirname "$image")")/Image, $(stat -c %s "$image") bytes) + OpenSBI fw_jump.bin, -m $RAM:"
    echo "reset to /init's first prompt, then poweroff and exit; wall time includes emulator start-up; $RUNS runs"
    echo "(CPU = user + system time of the process, less disturbed by other load than wall time)."
    echo
    echo "| emulator | wall mean ± σ (s) | CPU mean (s) | guest instructions to the prompt |"
    echo "|---|---|---|---|"
    if [ -n "$amber_mean" ]; then echo "| amber | $amber_mean ± $amber_sd | $amber_cpu | ${amber_n:-n/a} |"
    else echo "| amber | failed | n/a | n/a |"; fi
    if [ -n "$qemu_mean" ]; then echo "| qemu-system-riscv64 (TCG) | $qemu_mean ± $qemu_sd | $qemu_cpu | ${qemu_n:-n/a} (-icount shift=0,sleep=off) |"
    else echo "| qemu-system-riscv64 | skipped | n/a | n/a |"; fi
    if [ -n "$amber_mean" ] && [ -n "$qemu_mean" ]; then
        echo
        echo "time ratio amber/qemu: $(printf "%.2f" "$(echo "scale=4; $amber_mean / $qemu_mean" | bc -l)") (below 1: amber reaches the prompt first)"
    fi
} >"$md"
cat "$md"
