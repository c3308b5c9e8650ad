#!/bin/bash
# Internal snapshots (savevm / loadvm / delvm / info snapshots / -loadvm)
# with the snapshot guest (tests/guest/snapshot), whose output depends on
# CPU, RAM, timer and virtio disk:
#   - exact restore: a run restored from a snapshot (in the same process and
#     with -loadvm in a new one) prints exactly what an uninterrupted run
#     prints after the save point, with the same instruction count, and
#     leaves the same disk;
#   - run states kept by savevm/loadvm, a failing load leaves internal-error;
#   - QEMU's errors for raw disks, no disks, missing and disk-only snapshots;
#   - interoperability with qemu-img (check, snapshot -l/-c/-a/-d) and with
#     snapshots saved by qemu-system-riscv64.
. "$(dirname "$0")/lib.sh"
ELF=$guests/snapshot/snap-guest.elf
export TZ=UTC
need_elf "$ELF"
have_qemu_img=0
command -v qemu-img >/dev/null 2>&1 && have_qemu_img=1
AMBER_KEEP_TMP=${AMBER_KEEP_TMP:-${KEEP:-}}
lib_tmpdir
cd "$tmp" || exit 1

args=(-icount sleep=off -bios none -kernel "$ELF" -m 32M -rtc base=2020-01-01)
run() {   # run NAME IMAGE [extra args...] < batch: $NAME.mon, $NAME.serial
    local name=$1 img=$2; shift 2
    timeout 60 "$AMBER" "${args[@]}" -drive "file=$img,format=qcow2" -serial "file:$name.serial" \
        -monitor stdio "$@" >"$name.mon" 2>"$name.err"
}
instructions() { grep '^instructions' "$1" | tail -1 | awk '{print $2}'; }
check_clean() {   # qemu-img check: exit 0, "No errors"
    if [ $have_qemu_img = 1 ]; then
        qemu-img check "$1" >"$1.check" 2>&1
        check $? "qemu-img check $2: no errors, no leaks"
    fi
}

# ---- exact restore ----
"$IMG" create -f qcow2 ref.qcow2 16M >/dev/null
run ref ref.qcow2 <<'CMDS'
expect "tick 30 "
stop
info jit
CMDS
check $? "reference run"

"$IMG" create -f qcow2 a.qcow2 16M >/dev/null
run save a.qcow2 <<'CMDS'
expect "tick 10 "
stop
info jit
savevm s1
info status
cont
expect "tick 20 "
stop
savevm s2
info snapshots
CMDS
check $? "savevm twice"
grep -q "VM status: paused" save.mon
check $? "savevm of a paused machine leaves it paused"
cp a.qcow2 c.qcow2
check_clean a.qcow2 "after two savevm"

# The state at tick 10 restored in the same process, while running.
run inproc a.qcow2 -loadvm s2 <<'CMDS'
info status
loadvm s1
info status
expect "tick 30 "
stop
info jit
CMDS
check $? "loadvm in a running machine"
[ "$(grep -c 'VM status: running' inproc.mon)" = 2 ]
check $? "loadvm keeps a running machine running"
a=$(instructions ref.mon) b=$(instructions inproc.mon)
[ -n "$a" ] && [ "$a" = "$b" ]
check $? "after loadvm: the same instruction count at tick 30 ($a vs $b)"

# The output up to the save point, then -loadvm in a new process: together
# exactly the uninterrupted run's output.
"$IMG" create -f qcow2 p.qcow2 16M >/dev/null
run pre p.qcow2 <<'CMDS'
expect "tick 10 "
stop
savevm s1
CMDS
run fresh p.qcow2 -loadvm s1 <<'CMDS'
expect "tick 30 "
stop
info jit
CMDS
check $? "-loadvm s1 in a new process"
cat pre.serial fresh.serial | cmp -s - ref.serial
check $? "-loadvm: output before the save + output after the restore == uninterrupted run"
b=$(instructions fresh.mon)
[ -n "$a" ] && [ "$a" = "$b" ]
check $? "-loadvm: the same instruction count at tick 30 ($a vs $b)"
n=$(stat -c %s fresh.serial)
tail -c "$n" inproc.serial | cmp -s - fresh.serial
check $? "loadvm in a running machine: output after the restore == uninterrupted run"
if [ $have_qemu_img = 1 ]; then
    qemu-img compare -f qcow2 -F qcow2 ref.qcow2 p.qcow2 >/dev/null 2>&1
    check $? "-loadvm: the disk ends as in the uninterrupted run"
    check_clean p.qcow2 "after loadvm and guest writes"
fi

# The demo guest (timer interrupts, WFI): the same after a loadvm.
DEMO=$build/tests/guest/demo/demo-ticks.elf
if [ -f "$DEMO" ]; then
    "$IMG" create -f qcow2 demo.qcow2 16M >/dev/null
    dargs=(-icount sleep=off -bios none -kernel "$DEMO" -m 32M -rtc base=2020-01-01 -drive file=demo.qcow2)
    printf 'expect "tick +9 "\nstop\ninfo jit\n' | timeout 60 "$AMBER" "${dargs[@]}" \
        -serial file:dref.serial -monitor stdio >dref.mon 2>&1
    printf 'expect "tick +3 "\nstop\nsavevm d\ncont\nexpect "tick +6 "\nloadvm d\nexpect "tick +9 "\nstop\ninfo jit\n' |
        timeout 60 "$AMBER" "${dargs[@]}" -serial file:dsnap.serial -monitor stdio >dsnap.mon 2>&1
    # what the reference printed after the save point (the end of the match)
    m=$(grep -E -b -o 'tick +3 ' dref.serial | head -1)
    off=${m%%:*} txt=${m#*:}
    n=$(( $(stat -c %s dref.serial) - off - ${#txt} ))
    a=$(instructions dref.mon) b=$(instructions dsnap.mon)
    tail -c "$n" dsnap.serial | cmp -s - <(tail -c "$n" dref.serial) && [ -n "$a" ] && [ "$a" = "$b" ]
    check $? "demo guest (timer interrupts, WFI): same output and instruction count after loadvm"
fi

# ---- run states and failures ----
run paused c.qcow2 -S <<'CMDS'
info status
loadvm s1
info status
CMDS
[ "$(grep -c 'VM status: paused' paused.mon)" = 2 ]
check $? "loadvm in a paused (-S) machine keeps it paused"

"$IMG" create -f qcow2 big.qcow2 16M >/dev/null
timeout 60 "$AMBER" "${args[@]}" -m 64M -drive file=big.qcow2 -serial null -monitor stdio \
    >bigsave.mon 2>&1 <<'CMDS'
expect "tick 3 "
savevm m64
CMDS
cp c.qcow2 d.qcow2
qemu-img snapshot -c q1 d.qcow2 2>/dev/null || "$IMG" snapshot -c q1 d.qcow2
run fail d.qcow2 <<'CMDS'
loadvm nosuch
loadvm q1
delvm nosuch
info status
CMDS
grep -q "Error: Snapshot 'nosuch' does not exist in one or more devices" fail.mon
check $? "loadvm of a missing snapshot: QEMU's message"
grep -q "Error: This is a disk-only snapshot. Revert to it  offline using qemu-img" fail.mon
check $? "loadvm of a disk-only (qemu-img) snapshot: QEMU's message"
grep -q "Error: Snapshot 'nosuch' does not exist$" fail.mon
check $? "delvm of a missing snapshot is an error"
grep -q "VM status: running" fail.mon
check $? "refused loadvm/delvm leave the machine running"
run two d.qcow2 -drive file=big.qcow2,if=none <<'CMDS'
loadvm m64
loadvm s1
CMDS
[ "$(grep -c "does not exist in one or more devices" two.mon)" = 2 ]
check $? "a snapshot missing on one of two disks: QEMU's message"

# A stream that fails to load (RAM size differs): stopped, never runnable.
"$IMG" create -f qcow2 e.qcow2 16M >/dev/null
cp big.qcow2 e64.qcow2
run bad e64.qcow2 <<'CMDS'
expect "tick 2 "
loadvm m64
info status
cont
CMDS
grep -Eq "Error: Error -22 while loading VM state of snapshot 'm64': .*RAM size mismatch" bad.mon
check $? "loadvm of a stream that does not fit: error naming the cause"
grep -q "VM status: paused (internal-error)" bad.mon &&
    grep -q "Error: Resetting the Virtual Machine is required" bad.mon
check $? "after a failed load the machine is stopped and cannot be continued"

printf 'x%.0s' $(seq 1 4096) > raw.img
cp raw.img raw.orig
timeout 60 "$AMBER" "${args[@]}" -drive file=d.qcow2 -drive file=raw.img,format=raw,id=rawdisk \
    -serial null -monitor stdio >raw.mon 2>&1 <<'CMDS'
savevm x
info snapshots
CMDS
grep -q "Error: Device 'rawdisk' is writable but does not support snapshots" raw.mon
check $? "a writable raw disk: QEMU's message"
cmp -s raw.img raw.orig && ! "$IMG" snapshot -l d.qcow2 | grep -q ' x '
check $? "... and nothing was written"
timeout 60 "$AMBER" "${args[@]}" -drive file=d.qcow2 -drive file=raw.img,format=raw,readonly=on \
    -serial null -monitor stdio >ro.mon 2>&1 <<'CMDS'
savevm withro
CMDS
! grep -q Error ro.mon && "$IMG" snapshot -l d.qcow2 | grep -q ' withro '
check $? "a read-only raw disk is left out"
timeout 60 "$AMBER" "${args[@]}" -serial null -monitor stdio >none.mon 2>&1 <<'CMDS'
savevm x
info snapshots
loadvm x
CMDS
grep -q "Error: No block device can accept snapshots" none.mon &&
    grep -q "^No available block device supports snapshots" none.mon
check $? "no disk: QEMU's messages"

# Two snapshot disks: a snapshot only on the second is listed as partial.
"$IMG" create -f qcow2 x1.qcow2 16M >/dev/null
"$IMG" create -f qcow2 x2.qcow2 16M >/dev/null
"$IMG" snapshot -c only2 x2.qcow2
timeout 60 "$AMBER" "${args[@]}" -S -drive file=x1.qcow2,id=first -drive file=x2.qcow2,if=none,id=second \
    -serial null -monitor stdio >two.mon 2>&1 <<'CMDS'
savevm both
info snapshots
delvm both
CMDS
grep -Eq '^-- +both ' two.mon && grep -q "^List of partial (non-loadable) snapshots on 'second':" two.mon &&
    grep -Eq '^1 +only2 +0 B' two.mon && ! "$IMG" snapshot -l x2.qcow2 | grep -q ' both ' &&
    ! "$IMG" snapshot -l x1.qcow2 | grep -q ' both '
check $? "two disks: savevm snapshots both, partial ones listed apart, delvm removes from both"
timeout 60 "$AMBER" "${args[@]}" -S -drive file=x1.qcow2 -loadvm nosuch -serial null \
    -monitor none >lv.out 2>&1 </dev/null
[ $? = 1 ] && grep -q "amber: -loadvm nosuch: Snapshot 'nosuch' does not exist in one or more devices" lv.out
check $? "-loadvm of a missing snapshot: exit 1 with QEMU's message"

# ---- qemu-img interoperability ----
if [ $have_qemu_img = 1 ]; then
    qemu-img snapshot -l a.qcow2 > ql.txt
    grep -Eq '^1 +s1 +[0-9.]+ KiB 20[0-9-]+ [0-9:]+ +00:00:00\.[0-9]{3} +[0-9]+$' ql.txt &&
        grep -Eq '^2 +s2 ' ql.txt
    check $? "qemu-img snapshot -l lists Amber's snapshots with VM size, date, VM clock, icount"
    [ "$(awk '$2 == "s1" {print $NF}' ql.txt)" = "$(instructions save.mon)" ]
    check $? "ICOUNT is the number of instructions retired at the save"
    "$IMG" snapshot -l a.qcow2 | cmp -s - ql.txt
    check $? "amber-img snapshot -l prints the same"
    run info a.qcow2 -S <<'CMDS'
info snapshots
CMDS
    grep '^-- ' info.mon | cut -c11- > i2.txt
    tail -n +3 ql.txt | cut -c11- > q2.txt
    [ -s i2.txt ] && cmp -s q2.txt i2.txt
    check $? "info snapshots shows the rows qemu-img shows (ID column '--', as QEMU)"

    cp a.qcow2 m.qcow2
    qemu-img snapshot -d s1 m.qcow2 && qemu-img snapshot -c q2 m.qcow2 && qemu-img check -q m.qcow2
    check $? "qemu-img deletes and creates snapshots on Amber's image"
    run mut m.qcow2 <<'CMDS'
info snapshots
loadvm s1
loadvm s2
info status
delvm q2
savevm s3
CMDS
    grep -q "Error: Snapshot 's1' does not exist in one or more devices" mut.mon &&
        grep -Eq '^-- +q2 +0 B .* 0$' mut.mon && grep -q 'VM status: running' mut.mon &&
        [ "$(grep -c Error mut.mon)" = 1 ]
    check $? "Amber sees qemu-img's changes: deleted s1 gone, q2 listed (0 B, icount 0), s2 loads"
    check_clean m.qcow2 "after Amber's delvm of a qemu-img snapshot and a savevm"
    cp a.qcow2 ap.qcow2
    qemu-img snapshot -a s1 ap.qcow2
    run applied ap.qcow2 -loadvm s2 <<'CMDS'
info status
CMDS
    grep -q 'VM status: running' applied.mon
    check $? "an image reverted by qemu-img snapshot -a still loads in Amber"
else
    skip "qemu-img not installed (apt-get install qemu-utils)"
fi

# ---- tagless savevm never replaces a snapshot ----
# The user names vm-<now> .. vm-<now+5s>; three tagless saves (one `savevm ""`)
# made within those seconds must each get a new name (vm-...-N), and all
# nine snapshots must still be there, with distinct names.
"$IMG" create -f qcow2 auto.qcow2 16M >/dev/null
stamp=$(date +%s)
{
    for k in 0 1 2 3 4 5; do echo "savevm vm-$(date -d "@$((stamp + k))" +%Y%m%d%H%M%S)"; done
    printf '%s\n' 'savevm' 'savevm' 'savevm ""' 'info snapshots'
} | run auto auto.qcow2 -S
tags=$(grep -E '^-- +vm-' auto.mon | awk '{print $2}')
[ "$(echo "$tags" | wc -l)" = 9 ] && [ "$(echo "$tags" | sort -u | wc -l)" = 9 ] &&
    [ "$(echo "$tags" | grep -cE '^vm-[0-9]{14}-[0-9]+$')" -ge 3 ] && ! grep -q Error auto.mon
check $? "tagless savevm and savevm \"\" pick new names (vm-...-N), replacing nothing: $(echo $tags)"
check_clean auto.qcow2 "after tagless saves"

# ---- a snapshot saved by qemu-system-riscv64 ----
if command -v qemu-system-riscv64 >/dev/null 2>&1 && [ $have_qemu_img = 1 ]; then
    qemu-img create -f qcow2 q.qcow2 16M >/dev/null
    # -S: the guest would finish before the monitor reads its input.
    (sleep 0.5; echo "savevm fromqemu"; sleep 1; echo quit) | timeout 30 qemu-system-riscv64 \
        -M virt -bios none -kernel "$ELF" -m 32M -display none -serial null -monitor stdio -S \
        -drive file=q.qcow2,if=none,format=qcow2,id=d0 >qemu.mon 2>&1
    qemu-img check q.qcow2 >/dev/null 2>&1 && "$IMG" check q.qcow2 >/dev/null 2>&1 &&
        "$IMG" snapshot -l q.qcow2 | grep -Eq '^1 +fromqemu +[0-9.]+ [KM]iB'
    check $? "QEMU's savevm: amber-img and qemu-img check it clean and list it"
    run fromq q.qcow2 -S <<'CMDS'
info snapshots
loadvm fromqemu
info status
CMDS
    grep -Eq '^-- +fromqemu ' fromq.mon && grep -q 'Error: Error -22 while loading VM state' fromq.mon &&
        grep -q 'internal-error' fromq.mon
    check $? "info snapshots lists QEMU's snapshot; loading its stream fails cleanly"
else
    skip "qemu-system-riscv64 or qemu-img not installed"
fi

finish
