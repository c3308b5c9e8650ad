#!/bin/bash
# Internal snapshots and a crash of a busy Linux userland: the full kernel
# (scripts/build-linux.sh --profile=full) on the BusyBox/glibc ext4 root disk
# (scripts/build-rootfs.sh, a qcow2 copy) on 4 harts with -icount sleep=off,
# the monitor on stdio (driven step by step through a FIFO), the console in a
# file whose size is read at each step.
#
# A. Snapshot while working. At the root shell two background loops run: one
#    computes sha256sum of `seq 1 50000` (in tmpfs) and prints "rN HASH",
#    one writes 16 MiB files to the ext4 root with dd and syncs ("wN").
#    savevm at r2 (during the first dd), run on to w2, loadvm, run to w2
#    again: the console bytes after the load equal the bytes after the save,
#    byte for byte and of the same length. Then the loops stop, poweroff;
#    the image is a clean qcow2 (qemu-img check), its ext4 is clean
#    (e2fsck -fn on a raw conversion) and holds the files dd wrote.
# B. Crash. On a fresh copy: savevm at the prompt, then dd loops of 64 MiB
#    with conv=fsync; amber gets SIGKILL in the middle of one. Then
#    qemu-img check exits 0, e2fsck -fy on a raw conversion recovers the
#    journal and fixes nothing else, a file synced before the loop is
#    intact, and a new amber with -loadvm gives back
#    the saved shell, which answers a command. (A kill in the few
#    milliseconds between a refcount block write and the L2 table write at
#    a flush would leak clusters, exit 3: see doc/block.md, Crash safety.)
# Skipped with the reason when the kernel or the root disk cannot be built.
set -u
. "$(dirname "$0")/lib.sh"
TMO=${USERLAND_TIMEOUT:-300}
need_amber
[ -x "$IMG" ] || { fail "$IMG not built"; finish; }
need_cmd qemu-img qemu-utils
need_cmd e2fsck e2fsprogs
need_cmd debugfs e2fsprogs

. "$(dirname "$0")/userland-lib.inc"
userland_need_guest

lib_tmpdir
pid=
at_exit '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; exec 3>&- 2>/dev/null'
cd "$tmp" || exit 1

# start NAME ARGS...: amber on NAME.qcow2, console in NAME.ser, monitor on
# stdio from a FIFO (fd 3) with its answers in NAME.mon.
start() {
    local name=$1; shift
    rm -f in; mkfifo in
    # exec: $pid is amber's own, for the SIGKILL.
    (exec "$AMBER" -icount sleep=off -M virt -smp 4 -m 512M -nographic \
        -kernel "$image" -append "root=/dev/vda rw console=ttyS0" \
        -drive "file=$name.qcow2,format=qcow2" -serial "file:$name.ser" -monitor stdio "$@" \
        <in >"$name.mon" 2>"$name.err") &
    pid=$!
    lib_pids+=("$pid")
    exec 3>in
    cur=$name
    marks=0
}
mon() { printf '%s\n' "$@" >&3; }
# sync_mon: waits until the monitor has run everything sent so far (an
# `echo` mark shows up); false if amber ended first. Then $size is the
# console's length in bytes.
sync_mon() {
    marks=$((marks + 1))
    mon "echo @@mark $marks"
    local end=$((SECONDS + TMO))
    while ! grep -qx "@@mark $marks" "$cur.mon" && [ $SECONDS -lt $end ]; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    size=$(stat -c %s "$cur.ser")
    grep -qx "@@mark $marks" "$cur.mon"
}
# stop_amber: closes the monitor's input (end of the batch) and waits for
# amber's exit status.
stop_amber() { exec 3>&-; wait "$pid" 2>/dev/null; local rc=$?; pid=; return $rc; }
show() {
    echo "    --- $1.mon (tail) ---"; tail -n 6 "$1.mon" | sed 's/^/    /'
    tail -n 3 "$1.err" | sed 's/^/    /'
    echo "    --- $1.ser (tail) ---"; tail -c 600 "$1.ser" | tr -d '\r' | sed 's/^/    /'
}
# bytes FILE FROM TO: the bytes [FROM, TO) of FILE
bytes() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2)); }
R='[0-9a-f]{64}'

# ---- A: savevm while the guest computes and writes, loadvm, compare ----
cp "$disk" a.qcow2
t0=$SECONDS
start a
# The loops end at the next round once /tmp/stop exists.
mon 'errexit on' "expect \"\\n# \$\" $TMO"
sync_mon; echo "booted to the shell in $((SECONDS - t0)) s"
mon 'type "i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); seq 1 50000 >/tmp/f; echo r$i $(sha256sum </tmp/f); done &\n"' \
    'type "j=0; while [ ! -e /tmp/stop ]; do j=$((j+1)); yes 0123456789abcde | head -c 16777216 | dd of=/root/z$((j%2)) bs=64k 2>/dev/null; sync; echo w$j; done &\n"' \
    "expect \"\\nr2 $R\" $TMO" stop 'savevm s1' 'info snapshots'
sync_mon; ok=$?; s0=$size
echo "saved at r2 after $((SECONDS - t0)) s"
mon cont "expect \"\\nw2\\r?\\n\" $TMO" stop
sync_mon && [ $ok = 0 ]; ok=$?; s1=$size
mon 'loadvm s1'
sync_mon && [ $ok = 0 ]; ok=$?; s2=$size
mon cont "expect \"\\nw2\\r?\\n\" $TMO" stop
sync_mon && [ $ok = 0 ]; ok=$?; s3=$size
check $ok "savevm at r2, run to w2, loadvm, run to w2 again: every monitor step done ($((SECONDS - t0)) s)"
[ $ok = 0 ] || show a
grep -Eq '^--  +s1 ' a.mon; check $? "info snapshots lists s1"
after_save=$(bytes a.ser "$s0" "$s1")
after_load=$(bytes a.ser "$s2" "$s3")
[ "$s2" = "$s1" ]; check $? "the console is quiet while paused and during loadvm ($s1 -> $s2 bytes)"
[ $((s1 - s0)) -gt 0 ] && [ $((s3 - s2)) = $((s1 - s0)) ] && cmp -s <(bytes a.ser "$s0" "$s1") <(bytes a.ser "$s2" "$s3")
check $? "after loadvm the console repeats the $((s1 - s0)) bytes after savevm exactly ($((s3 - s2)) bytes)"
rs=$(tr -d '\r' <<<"$after_save" | grep -Ec "^r[0-9]+ $R( -)?\$")
[ "$rs" -ge 3 ]; check $? "the bytes after the save hold sha256sum rounds ($rs lines)"
seqsum=$(seq 1 50000 | sha256sum | cut -d' ' -f1)
# (up to the last stop: later the shell echoes typed commands between lines)
n=$(tr -d '\r' < <(bytes a.ser 0 "$s3") | grep -E "^r[0-9]+ $R" | grep -Ec " $seqsum( -)?\$")
[ "$n" = $(tr -d '\r' < <(bytes a.ser 0 "$s3") | grep -Ec "^r[0-9]+ ") ] && [ "$n" -ge 7 ]
check $? "each of the $n rounds printed the host's sha256sum ($seqsum)"
wb=$(tr -d '\r' < <(bytes a.ser 0 "$s0") | grep -Ec '^w[0-9]+$')
wa=$(tr -d '\r' <<<"$after_save" | grep -Ec '^w[0-9]+$')
# The save point is deterministic (-icount): the first 16 MiB write (or its
# sync) is in progress there.
[ "$wb" = 0 ] && [ "$wa" = 2 ]
check $? "savevm came during the first dd+sync: $wb writes of 16 MiB done before it, $wa after it"

# Let it run on, stop the loops, poweroff.
mon cont 'type "touch /tmp/stop; wait; sync; echo done-$((2*3))\n"' "expect \"\\ndone-6\" $TMO" \
    'type "poweroff\n"' "expect \"reboot: Power down\" $TMO"
# (the guest's power-off cancels the expect and gives amber's status)
stop_amber; rc=$?
check $rc "the loops end, poweroff: amber exits with status 0 (got $rc)"
[ $rc = 0 ] || show a
out=$(tr -d '\r' <a.ser)
! grep -Eq 'Oops|BUG:|WARNING:|Kernel panic|unhandled signal|segfault|I/O error|EXT4-fs error' <<<"$out"
check $? "no oops, warning, panic, I/O error or ext4 error on the console"
grep -q 'reboot: Power down' <<<"$out"; check $? "the kernel powers down"
qemu-img check a.qcow2 >a.check 2>&1
check $? "qemu-img check: clean after savevm/loadvm under load ($(grep -m1 -E 'No errors|leak|error' a.check))"
qemu-img snapshot -l a.qcow2 | grep -Eq '^1 +s1 '; check $? "qemu-img snapshot -l lists s1"
"$IMG" convert -f qcow2 -O raw a.qcow2 a.raw
check $? "amber-img convert -f qcow2 -O raw"
e2fsck -fn a.raw >a.fsck 2>&1; rc=$?
check $rc "e2fsck -fn: the ext4 root is clean (status $rc)"
[ $rc = 0 ] || sed 's/^/    /' a.fsck | head -n 20
want=$(yes 0123456789abcde | head -c 16777216 | sha256sum | cut -d' ' -f1)
for f in z0 z1; do
    got=$(debugfs -R "cat /root/$f" a.raw 2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ]; check $? "/root/$f holds the 16 MiB dd wrote"
done
rm -f a.raw

# ---- B: SIGKILL during heavy writes; an earlier snapshot survives ----
cp "$disk" b.qcow2
t0=$SECONDS
start b
mon 'errexit on' "expect \"\\n# \$\" $TMO" stop 'savevm base' cont \
    'type "seq 1 20000 >/root/keep; sync; k=0; while :; do k=$((k+1)); dd if=/dev/zero of=/root/big bs=1M count=64 conv=fsync 2>/dev/null; echo big$k; done\n"' \
    "expect \"\\nbig1\" $TMO"
sync_mon; ok=$?; t1=$(date +%s%N)
mon "expect \"\\nbig2\" $TMO"
sync_mon && [ $ok = 0 ]; ok=$?; t2=$(date +%s%N)
check $ok "savevm base at the prompt, then two rounds of dd 64 MiB conv=fsync"
# Half a round (as long as the last one took) into the third: some of its
# writes are done, the rest not. The loop never pauses between rounds, so
# whichever round runs at the kill (on a loaded host the third may already
# be over) has writes in flight; the check is that the guest is still in
# the loop, past its second round.
half=$(( (t2 - t1) / 2000000 ))
sleep "$((half / 1000)).$(printf %03d $((half % 1000)))"
round=$(( $(tr -d '\r' <b.ser | grep -c '^big[0-9]') + 1 ))
grep -q '^@@mark' b.mon && [ "$round" -ge 3 ] && kill -0 "$pid" 2>/dev/null
check $? "a dd round is under way at the kill (round $round, ${half} ms in)"
kill -9 "$pid"; stop_amber; rc=$?
[ $rc = 137 ]; check $? "amber killed with SIGKILL during dd round $round (status $rc, $((SECONDS - t0)) s)"
qemu-img check b.qcow2 >b.check 2>&1; rc=$?
check $rc "qemu-img check after the kill: no errors and no leaks (status $rc: $(grep -m1 -E 'No errors|leak|error' b.check))"
[ $rc = 0 ] || sed 's/^/    /' b.check | head -n 10
"$IMG" convert -f qcow2 -O raw b.qcow2 b.raw
e2fsck -fy b.raw >b.fsck 2>&1; rc=$?
[ $rc = 0 ] || [ $rc = 1 ]; check $? "e2fsck -fy after the kill: status $rc (0 or 1: nothing left uncorrected)"
grep -q 'recovering journal' b.fsck; check $? "e2fsck replays the ext4 journal"
# Beyond the journal, e2fsck may print only its pass headers, its summary
# and two things that are not damage: Pass 3A (it also indexes the large
# directories mke2fs -d leaves unindexed, on the pristine image too), and
# the superblock's free block and inode totals (no "for group": ext4 keeps
# them in memory and writes them only with the superblock, so they are
# stale after any crash; e2fsck -p fixes them without a word).
other=$(grep -Ev '^(Pass [1-5]|Pass 3A: Optimizing directories$|.*recovering journal$|.*: [0-9]+/[0-9]+ files .*blocks$|e2fsck [0-9.]+ |Free (blocks|inodes) count wrong \([0-9]+, counted=[0-9]+\)\.$|Fix\? yes$|.*\*\*\*\*\* FILE SYSTEM WAS MODIFIED \*\*\*\*\*$)' b.fsck | grep -v '^$')
[ -z "$other" ]; check $? "e2fsck fixes nothing but the journal${other:+: $(head -n 3 <<<"$other" | tr '\n' '|')}"
e2fsck -fn b.raw >b.fsck2 2>&1; check $? "e2fsck -fn afterwards: clean"
[ "$(debugfs -R 'cat /root/keep' b.raw 2>/dev/null | sha256sum)" = "$(seq 1 20000 | sha256sum)" ]
check $? "/root/keep, written and synced before the dd loop, survived the kill"
rm -f b.raw
start b -loadvm base
mon 'errexit on' 'type "echo alive-$((6*7))\n"' "expect \"\\nalive-42\" $TMO" 'info status'
sync_mon; ok=$?
mon quit; stop_amber; rc=$?
[ $ok = 0 ] && [ $rc = 0 ]
check $? "a new amber with -loadvm base: the saved shell answers echo alive \$((6*7)) (quit: status $rc)"
[ $ok = 0 ] || show b
qemu-img check b.qcow2 >b.check2 2>&1; check $? "qemu-img check after the -loadvm run"
# Sanitizer builds: a report that did not change an exit status still counts.
! grep -l -E 'Sanitizer|runtime error' a.err b.err; check $? "amber printed no sanitizer report"
finish
