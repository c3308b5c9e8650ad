#!/bin/bash
# The GDB stub on the project's Linux (the full profile of
# scripts/build-linux.sh, whose vmlinux has the symbols, booting the
# BusyBox root disk of scripts/build-rootfs.sh) with Debian's gdb-multiarch:
#  - break in the write syscall path (ksys_write): the hart stops in S-mode
#    with satp on, and bt shows the trap entry it came from;
#  - harts as threads at -smp 4, one of them the hart that hit;
#  - memory through the hart's MMU: x/ at a kernel virtual address reads
#    the instruction gdb disassembles;
#  - watch a kernel variable (jiffies): the stop reply names its virtual
#    address and the value moves on;
#  - reverse-continue (-reverse on) from the second write back to it: the
#    value before it, the hart at the store (doc/debugging.md step 3);
#  - monitor savevm/loadvm from gdb: after the load the registers of the
#    hart that hit the breakpoint are those of the save point again (the
#    watchpoint may have stopped another hart: gdb switches back to it).
# Skipped with the reason when the kernel, its vmlinux or the disk cannot be
# built here, or gdb-multiarch is missing.
set -u
. "$(dirname "$0")/lib.sh"
need_amber
need_cmd gdb-multiarch gdb-multiarch
[ -x "$IMG" ] || { fail "$IMG not built"; finish; }
. "$(dirname "$0")/userland-lib.inc"
userland_need_guest
vmlinux=$(dirname "$image")/vmlinux
[ -f "$vmlinux" ] || skip_all "$vmlinux missing (build-linux.sh --profile=full keeps it beside Image)"
lib_tmpdir
cd "$tmp" || exit 1
cp "$disk" root.qcow2

port=$(free_port)
amber_start k -M virt -smp 4 -m 512M -kernel "$image" -append "root=/dev/vda rw console=ttyS0" \
    -drive file=root.qcow2 -icount sleep=off -serial file:k.ser -display none -S -gdb "tcp::$port" \
    -reverse on
timeout 300 gdb-multiarch -batch -nx -ex 'set confirm off' -ex "target remote :$port" \
    -ex 'break ksys_write' -ex 'continue' -ex 'bt 3' -ex 'p/x $satp' -ex 'p $priv' \
    -ex 'info threads' -ex 'p/x $pc' -ex 'x/1xw $pc' -ex 'x/1i $pc' \
    -ex 'p/x $sp' -ex 'p/x $a2' -ex 'set $bpt = $_thread' -ex 'monitor savevm k1' \
    -ex 'delete' -ex 'p/x *(unsigned long *)&jiffies' -ex 'watch *(unsigned long *)&jiffies' \
    -ex 'set debug remote 1' -ex 'continue' -ex 'set debug remote 0' \
    -ex 'p/x *(unsigned long *)&jiffies' -ex 'continue' -ex 'p/x *(unsigned long *)&jiffies' \
    -ex 'reverse-continue' -ex 'p/x *(unsigned long *)&jiffies' -ex 'echo AFTER-RC\n' -ex 'x/1i $pc' \
    -ex 'delete' \
    -ex 'monitor loadvm k1' -ex 'maintenance flush register-cache' \
    -ex 'eval "thread %d", $bpt' -ex 'p/x $pc' -ex 'p/x $sp' \
    -ex 'p/x $a2' -ex 'kill' "$vmlinux" >k.gdb 2>&1
has() { grep -qE -- "$2" "$1"; }
val() { sed -n "s/^\\\$[0-9]* = //p" "$1" | sed -n "${2}p"; }
check_that "break in the write syscall path" "has k.gdb 'hit Breakpoint 1, 0x[0-9a-f]+ in ksys_write'"
check_that "bt: the trap entry called it" "has k.gdb '^#1 .* in handle_exception'"
check_that "S-mode with satp on (kernel virtual addresses)" \
    "[ \$(( ($(val k.gdb 1) >> 60) & 15 )) -ge 8 ] && [ \"\$(val k.gdb 2)\" = 'prv:1 [Supervisor]' -o \"\$(val k.gdb 2)\" = 1 ]" \
    "satp $(val k.gdb 1), priv $(val k.gdb 2)"
check_that "four harts are four threads" "has k.gdb '^[* ] 4 +Thread 4 \\(hart 3, '"
check_that "x/ reads the kernel's code through the MMU" \
    "has k.gdb '<ksys_write>:[[:space:]]+0x[0-9a-f]+' && has k.gdb '=> 0xffffffff[0-9a-f]+ <ksys_write>:'"
jaddr=$(sed -n 's/.*Sending packet: \$Z2,\([0-9a-f]*\),8.*/\1/p' k.gdb | head -1)
check_that "watch jiffies: stops with its virtual address (T05watch)" \
    "[ -n '$jaddr' ] && has k.gdb 'Packet received: T05watch:$jaddr;thread:[0-9a-f]+;'"
j0=$(val k.gdb 6) j1=$(val k.gdb 7) j2=$(val k.gdb 8) jr=$(val k.gdb 9)
check_that "jiffies moved on at the watchpoint" "[ -n '$j1' ] && [ \$(( $j1 )) -gt \$(( $j0 )) ]" "$j0 -> $j1"
check_that "reverse-continue from its next write: the value before that write again" \
    "[ -n '$j2' ] && [ \$(( $j2 )) -gt \$(( $j1 )) ] && [ '$jr' = '$j1' ]" "$j1 -> $j2, back: $jr"
check_that "reverse-continue stops the hart at the store that made it" \
    "sed -n '/^AFTER-RC/,\$p' k.gdb | grep -qE '^=> 0x[0-9a-f]+ <[a-z_0-9]+\+[0-9]+>:[[:space:]]+sd[[:space:]]'"
check_that "savevm/loadvm from gdb: pc, sp and a2 of the save point again" \
    "[ '$(val k.gdb 3)' = '$(val k.gdb 10)' ] && [ '$(val k.gdb 4)' = '$(val k.gdb 11)' ] && [ '$(val k.gdb 5)' = '$(val k.gdb 12)' ]" \
    "$(val k.gdb 3) $(val k.gdb 4) $(val k.gdb 5) / $(val k.gdb 10) $(val k.gdb 11) $(val k.gdb 12)"
if [ "$failed" != 0 ]; then tail -n 30 k.gdb; fi
finish
