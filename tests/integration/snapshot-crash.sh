#!/bin/bash
# Crash and I/O-error safety of savevm and delvm. amber is killed with
# SIGKILL just before each of its image writes in turn (AMBER_BLOCK_FAULT=
# kill:N, block/block.c), first while the snapshot guest writes its disk and
# then during `savevm s1`; then during `delvm s1`. After every kill:
#   - qemu-img check finds no corruption (leaks allowed, exit 0 or 3), and
#     amber-img check -r leaks makes it clean;
#   - the older snapshot s0 still loads;
#   - when the kill hit savevm, the active disk holds what the guest wrote.
# Failing writes (ENOSPC from the Nth write on) during savevm: an error,
# the machine keeps running, the image stays consistent.
. "$(dirname "$0")/lib.sh"
ELF=$guests/snapshot/snap-guest.elf
need_elf "$ELF"
command -v qemu-img >/dev/null 2>&1 ||
    skip_all "qemu-img not installed (apt-get install qemu-utils): it judges the images"
lib_tmpdir
cd "$tmp" || exit 1
args=(-icount sleep=off -bios none -kernel "$ELF" -m 32M -rtc base=2020-01-01 -serial null -monitor stdio)
amber() {   # amber IMAGE [args] < batch
    local img=$1; shift
    # cache=unsafe: no fdatasync (a killed process loses nothing the kernel
    # has; writes stay in order), which keeps the many runs fast.
    timeout 60 "$AMBER" "${args[@]}" -drive "file=$img,format=qcow2,cache=unsafe" "$@"
}

# s0 at tick 5; the active disk as the guest leaves it at tick 10.
"$IMG" create -f qcow2 base.qcow2 16M >/dev/null
printf 'expect "tick 5 "\nstop\nsavevm s0\n' | amber base.qcow2 >/dev/null 2>&1
cp base.qcow2 exp.qcow2
printf 'expect "tick 10 "\nstop\n' | amber exp.qcow2 >/dev/null 2>&1
qemu-img convert -O raw exp.qcow2 exp.raw

# Judges image $1 after a kill; $2 names the case. Counts problems in bad.
bad=0
judge() {
    qemu-img check "$1" >check.out 2>&1
    local rc=$?
    if [ $rc != 0 ] && [ $rc != 3 ]; then
        echo "  $2: qemu-img check exit $rc"; sed 's/^/    /' check.out | head -5; bad=$((bad + 1))
    fi
    if ! "$IMG" check -r leaks "$1" >/dev/null 2>&1 || ! qemu-img check "$1" >/dev/null 2>&1; then
        echo "  $2: not clean after amber-img check -r leaks"; bad=$((bad + 1))
    fi
    printf 'info status\n' | amber "$1" -S -loadvm s0 >load.out 2>&1
    if ! grep -q 'VM status: paused' load.out; then
        echo "  $2: s0 does not load"; sed 's/^/    /' load.out | tail -3; bad=$((bad + 1))
    fi
}

# ---- SIGKILL during guest writes and savevm ----
kills=0 in_savevm=0 first_save=0
for n in $(seq 1 400); do
    cp base.qcow2 k.qcow2
    printf 'expect "tick 10 "\nstop\necho SAVING\nsavevm s1\n' |
        AMBER_BLOCK_FAULT=kill:$n amber k.qcow2 >k.mon 2>&1
    rc=$?
    if [ $rc != 137 ]; then
        break
    fi
    kills=$((kills + 1))
    if grep -q SAVING k.mon; then
        in_savevm=$((in_savevm + 1))
        [ $first_save = 0 ] && first_save=$n
        qemu-img convert -O raw k.qcow2 k.raw
        if ! cmp -s k.raw exp.raw; then
            echo "  kill:$n: the active disk lost what the guest wrote"; bad=$((bad + 1))
        fi
    fi
    judge k.qcow2 "kill:$n"
done
[ $kills -gt 10 ] && [ $in_savevm -gt 3 ] && [ $rc = 0 ]
check $? "savevm run killed at each of its $kills writes ($in_savevm in savevm), then completed"
[ $bad = 0 ]
check $? "after every kill: no corruption, leaks repairable, s0 loads, active disk intact"

# ---- SIGKILL during delvm ----
cp base.qcow2 d.qcow2
printf 'savevm s1\n' | amber d.qcow2 -S >/dev/null 2>&1
bad=0 kills=0
for n in $(seq 1 200); do
    cp d.qcow2 k.qcow2
    printf 'delvm s1\n' | AMBER_BLOCK_FAULT=kill:$n amber k.qcow2 -S >k.mon 2>&1
    rc=$?
    [ $rc != 137 ] && break
    kills=$((kills + 1))
    judge k.qcow2 "delvm kill:$n"
    if "$IMG" snapshot -l k.qcow2 | grep -q ' s1 '; then
        printf 'info status\n' | amber k.qcow2 -S -loadvm s1 >load1.out 2>&1
        grep -q 'VM status: paused' load1.out || { echo "  delvm kill:$n: s1 listed but does not load"; bad=$((bad + 1)); }
    fi
done
[ $kills -gt 2 ] && [ $rc = 0 ] && ! "$IMG" snapshot -l k.qcow2 | grep -q ' s1 '
check $? "delvm killed at each of its $kills writes, then completed"
[ $bad = 0 ]
check $? "after every delvm kill: no corruption, s0 loads, s1 either gone or loadable"

# ---- ENOSPC during savevm ----
bad=0 tries=0
for n in $(seq "$first_save" 2 $((first_save + in_savevm - 1))); do
    cp base.qcow2 k.qcow2
    printf 'expect "tick 10 "\nstop\ncont\nsavevm s1\ninfo status\n' |
        AMBER_BLOCK_FAULT=enospc:$n amber k.qcow2 >k.mon 2>&1
    tries=$((tries + 1))
    if ! grep -q 'Error: .*No space left on device' k.mon || ! grep -q 'VM status: running' k.mon; then
        echo "  enospc:$n: no error or not running"; sed 's/^/    /' k.mon | tail -3; bad=$((bad + 1))
    fi
    judge k.qcow2 "enospc:$n"
done
[ $first_save -gt 0 ] && [ $bad = 0 ]
check $? "ENOSPC at $tries points of savevm: error, machine keeps running, image consistent, s0 loads"

finish
