#!/bin/bash
# Linux on $AMBER: the project's guest kernel (scripts/build-linux.sh; built
# once, then cached) boots through Debian's OpenSBI to /init's `# ` prompt,
# answers commands typed on the serial console (UART receive interrupts),
# counts timer ticks, and powers off (SBI SRST -> sifive_test, exit 0).
#  - the boot log up to the prompt is identical in two runs (icount time);
#  - the answers match qemu-system-riscv64's on the same Image and firmware;
#  - without -bios, the default firmware (fw_dynamic) boots it too.
# Skipped with the reason when the kernel cannot be built here.
set -u
LINUX_TEST=${LINUX_TEST:-linux}
. "$(dirname "$0")/linux-lib.inc"
QEMU=${QEMU:-qemu-system-riscv64}
linux_need_image

lib_tmpdir
pid=
at_exit '[ -n "$pid" ] && kill "$pid" 2>/dev/null; exec 3>&- 2>/dev/null'

# start OUT EMULATOR ARGS...: background run, stdin from a FIFO on fd 3
start() {
    local out=$1; shift
    rm -f "$tmp/in"
    mkfifo "$tmp/in"
    : >"$out"
    timeout "$TMO" "$@" <"$tmp/in" >"$out" 2>&1 &
    pid=$!
    exec 3>"$tmp/in"
    cur=$out
}
prompts() { tr -d '\r' <"$cur" | grep -c '^# '; }
# wait_prompts N: until N prompts were printed (or the emulator ended)
wait_prompts() {
    local end=$((SECONDS + TMO))
    while [ "$(prompts)" -lt "$1" ] && [ $SECONDS -lt $end ]; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ "$(prompts)" -ge "$1" ]
}
# wait_exit: status of the emulator (124 after the timeout)
wait_exit() { wait "$pid"; local rc=$?; pid=; exec 3>&-; return $rc; }

cmds=("echo hello from the amber console" "sum" "sum" "churn 20" "spawn 6" "fp" "fp 6" "cat /proc/interrupts"
      "uptime" "bogus" "disk")
# session OUT EMULATOR ARGS...: boot, type cmds one prompt at a time, poweroff
session() {
    start "$@"
    local n=1
    wait_prompts 1 || return 1
    for c in "${cmds[@]}"; do
        printf '%s\n' "$c" >&3
        n=$((n + 1))
        wait_prompts $n || return 1
    done
    printf 'poweroff\n' >&3
    wait_exit
}
# transcript FILE: from the first prompt on, without the timing-dependent lines
transcript() {
    tr -d '\r' <"$1" | sed -n '/^amber-init:/,$p' | grep -Ev '^uptime |reboot: Power down|^ +CPU0|^ +[0-9]+: |^ *IPI[0-9]+: '
}

common=(-M virt "${SMPARGS[@]}" -m 256M -nographic -bios "$FW" -kernel "$image" -append "console=ttyS0")
# A raw disk with a known pattern for /init's `disk`, when amber has virtio-blk.
amber_disk=() qemu_disk=()
if "$AMBER" -h 2>/dev/null | grep -q -- '-drive file='; then
    python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + i // 4096) & 0xff for i in range(1 << 20)))' >"$tmp/disk.img"
    amber_disk=(-drive "file=$tmp/disk.img,format=raw,if=virtio")
    qemu_disk=(-drive "file=$tmp/disk.img,if=none,id=d0,format=raw" -device virtio-blk-device,drive=d0)
fi
session "$tmp/a1" "$AMBER" -icount sleep=off "${common[@]}" "${amber_disk[@]}" -rtc base=2026-01-01
rc=$?
out=$(tr -d '\r' <"$tmp/a1")
check $rc "amber: boot, ${#cmds[@]} commands and poweroff (exit status $rc)"
grep -q '] Linux version 6\.1' <<<"$out"; check $? "kernel banner"
grep -q 'ttyS0 at MMIO 0x10000000 .* is a 16550A' <<<"$out"; check $? "8250 driver finds a 16550A"
grep -q 'plic@c000000: mapped [0-9]* interrupts' <<<"$out"; check $? "PLIC driver probes"
! grep -Eq 'Oops|BUG:|WARNING:|Kernel panic|unhandled signal' <<<"$out"; check $? "no oops, warning or panic"
grep -qx 'hello from the amber console' <<<"$out"; check $? "echo answers"
s1=$(grep -m1 '^sum .* round 1$' <<<"$out" | awk '{print $2}')
s2=$(grep -m1 '^sum .* round 2$' <<<"$out" | awk '{print $2}')
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s1" != "$s2" ]; check $? "sum changes memory each call ($s1, $s2)"
grep -q '^sum 0x[0-9a-f]\{16\} round 22$' <<<"$out"; check $? "churn 20 runs 20 rounds"
grep -Eq '^spawn( [0-9]+){6}$' <<<"$out"; check $? "spawn 6: six children forked, changed their copy-on-write memory, exited"
if [ "$SMP" = 1 ]; then cpus="1 CPU"; else cpus="$SMP CPUs"; fi
grep -q "smp: Brought up 1 node, $cpus\$" <<<"$out"; check $? "the kernel brings up $cpus (smp: Brought up 1 node, $cpus)"
# Double precision in user space (the FPU, lp64d): IEEE results and flags
# known here; the QEMU comparison below checks every bit again.
fpl() { grep -m1 "^fp $1 " <<<"$out" | awk '{print $3, $6}'; }
[ "$(fpl 1/3)" = "0x3fd5555555555555 0x01" ]; check $? "fp: 1/3 rounds to nearest, inexact ($(fpl 1/3))"
[ "$(fpl sqrt2)" = "0x3ff6a09e667f3bcd 0x01" ]; check $? "fp: fsqrt.d of 2 ($(fpl sqrt2))"
[ "$(fpl fma)" = "0xbc90000000000000 0x00" ]; check $? "fp: fmadd.d rounds once: (1/3)*3-1 is -2^-54 exactly ($(fpl fma))"
[ "$(fpl overflow)" = "0x7ff0000000000000 0x05" ]; check $? "fp: overflow to +inf with OF and NX ($(fpl overflow))"
[ "$(fpl subnormal)" = "0x00000622d925a20e 0x03" ]; check $? "fp: a subnormal result, inexact and underflow ($(fpl subnormal))"
[ "$(fpl 0/0)" = "0x7ff8000000000000 0x10" ]; check $? "fp: 0/0 is the canonical NaN with NV ($(fpl 0/0))"
[ "$(fpl fcvt)" = "0x43e0000000000000 0x10" ]; check $? "fp: fcvt.l.d saturates to 2^63-1 with NV ($(fpl fcvt))"
grep -Eq '^fp work 0x[0-9a-f]{16}$' <<<"$out"; check $? "fp: a 100,000-step FP loop ($(grep -m1 '^fp work' <<<"$out"))"
grep -Eq '^fp children( [0-9]+){6}$' <<<"$out"; check $? "fp 6: six processes used the FPU at once, each exited with its checksum ($(grep -m1 '^fp children' <<<"$out"))"
rx=$(grep -E '^ +[0-9]+: .*ttyS0$' <<<"$out" | awk '{print $2}')
[ "${rx:-0}" -gt 0 ]; check $? "UART receive interrupts counted through the PLIC (${rx:-none})"
tk=$(grep -E '^ +[0-9]+: .*riscv-timer$' <<<"$out" | awk '{print $2}')
[ "${tk:-0}" -gt 0 ]; check $? "timer interrupts through SBI set_timer (${tk:-none})"
grep -Eq '^uptime [0-9]+\.[0-9]{3} s ticks [1-9][0-9]*$' <<<"$out"; check $? "uptime: jiffies advance"
grep -qx 'bogus: unknown command (try help)' <<<"$out"; check $? "unknown command answered"
grep -q 'reboot: Power down' <<<"$out"; check $? "poweroff reaches the kernel"
if [ ${#amber_disk[@]} -gt 0 ]; then
    grep -q '] virtio_blk virtio0: \[vda\] 2048 512-byte logical blocks' <<<"$out"; check $? "virtio-blk: Linux sees a 1 MiB vda"
    grep -Eq '^disk 0x[0-9a-f]{16} bytes 4096$' <<<"$out"; check $? "disk: /init reads the first 8 sectors of /dev/vda"
else
    echo "SKIP: $AMBER has no -drive (virtio-blk): disk not attached"; skipped=$((skipped + 1))
fi

# Determinism: a second run prints the same boot log, timestamps included.
session "$tmp/a2" "$AMBER" -icount sleep=off "${common[@]}" "${amber_disk[@]}" -rtc base=2026-01-01
boot() { tr -d '\r' <"$1" | sed '/^amber-init:/q'; }
if cmp -s <(boot "$tmp/a1") <(boot "$tmp/a2"); then
    pass "boot log identical in two runs ($(boot "$tmp/a1" | wc -l) lines)"
else
    fail "boot log differs between two runs:"; diff <(boot "$tmp/a1") <(boot "$tmp/a2") | head -n 10
fi

# The default firmware (no -bios); the words after -- run at the first prompt.
start "$tmp/d" "$AMBER" -icount sleep=off -M virt "${SMPARGS[@]}" -m 256M -nographic -kernel "$image" -append "console=ttyS0 -- poweroff"
wait_exit; rc=$?
out=$(tr -d '\r' <"$tmp/d")
[ $rc = 0 ] && grep -q '^Domain0 Next Mode *: S-mode' <<<"$out" && grep -qx '# poweroff' <<<"$out" &&
    grep -q 'reboot: Power down' <<<"$out"
check $? "no -bios: Debian's fw_dynamic boots the kernel to the prompt (exit status $rc)"

# The same session on QEMU: same answers.
if command -v "$QEMU" >/dev/null 2>&1; then
    session "$tmp/q" "$QEMU" "${common[@]}" "${qemu_disk[@]}"
    if diff <(transcript "$tmp/q") <(transcript "$tmp/a1") >"$tmp/diff"; then
        pass "answers match $QEMU ($(transcript "$tmp/a1" | wc -l) lines)"
    else
        fail "answers differ from $QEMU (< qemu, > amber):"; head -n 20 "$tmp/diff"
    fi
else
    echo "SKIP: $QEMU not installed: no comparison"; skipped=$((skipped + 1))
fi
echo "--- amber transcript ---"; transcript "$tmp/a1" | head -n 40
finish
