#!/bin/bash
# `cont` on the source after a completed live migration with a shared
# qcow2 disk (as QEMU's qmp_cont: bdrv_activate_all, which takes the image
# lock and rereads the image, bdrv_co_invalidate_cache):
#  - while the destination holds the image, cont refuses with the lock
#    error and the source stays paused (postmigrate): it must not run a
#    guest on a disk another process writes;
#  - once the destination has written the image (a savevm there: new
#    clusters, a new snapshot table) and quit, cont takes the image back
#    and rereads it: the source lists the destination's snapshot, runs its
#    guest on (writing the disk), and a savevm of its own leaves a
#    clean image holding both snapshots (qemu-img check).
set -u
. "$(dirname "$0")/migrate-lib.inc"
elf=$guests/snapshot/snap-long.elf
need_basics
if [ ! -x "$IMG" ] || ! has_incoming tcp:; then
    skip_all "needs amber-img and -incoming tcp:"
fi
drive="file=$tmp/mig.qcow2,format=qcow2,if=virtio"
"$IMG" create -f qcow2 "$tmp/mig.qcow2" 8M >/dev/null

port=$(free_port)
# -S: the destination loads the state, takes the image and waits.
start_vm dst -S -drive "$drive" -incoming "tcp:127.0.0.1:$port"
start_vm src -drive "$drive"
end=$((SECONDS + 30))
while ! grep -q '^tick 20 ' "$tmp/src.ser" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.01; done
hmp src "migrate -d tcp:127.0.0.1:$port" >/dev/null
check_that "migration completed while the guest wrote" 'wait_mig src completed 60'
n=$(grep -c '^tick' "$tmp/src.ser")

out=$(hmp src cont)
st=$(vm_status src)
check_that "source: cont refuses while the destination holds the image" \
    '[[ $out == *"is another process using the image"* ]] && [ "$st" = "paused (postmigrate)" ]' \
    "cont said '$out'; status '$st'"
sleep 0.3
check_that "source: its guest did not run (still $n ticks)" '[ "$(grep -c "^tick" "$tmp/src.ser")" = "$n" ]'

out=$(hmp dst "savevm dst1" "quit")
wait_exit "$pid_dst" 30
check_that "destination: savevm dst1, quit" '[ "$exit_rc" = 0 ]' "$out $(cat "$tmp/dst.err")"

out=$(hmp src cont "info status")
check_that "source: cont takes the image back once the destination is gone" \
    '[ "$out" = "VM status: running" ]' "$out"
out=$(hmp src "info snapshots")
check_that "source: the image was reread (the destination's snapshot is listed)" '[[ $out == *dst1* ]]' "$out"
m=$((n + 20))
end=$((SECONDS + 60))
while [ "$(grep -c '^tick' "$tmp/src.ser")" -lt $m ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
check_that "source: its guest runs on, writing the disk (tick $m)" '[ "$(grep -c "^tick" "$tmp/src.ser")" -ge $m ]' "$(tail -n 2 "$tmp/src.ser")"
out=$(hmp src stop "savevm src1" "info snapshots" quit)
wait_exit "$pid_src" 30
check_that "source: savevm src1 beside dst1, quit" '[[ $out == *dst1* && $out == *src1* ]] && [ "$exit_rc" = 0 ]' "$out"
lib_pids=()
if command -v qemu-img >/dev/null; then
    out=$(qemu-img check "$tmp/mig.qcow2" 2>&1)
    check_that "qemu-img check: no errors, no leaks" '[[ $out == *"No errors were found"* ]]' "$out"
    out=$(qemu-img snapshot -l "$tmp/mig.qcow2" 2>&1)
    check_that "qemu-img snapshot -l: dst1 and src1" '[[ $out == *dst1* && $out == *src1* ]]' "$out"
else
    skip qemu-img "qemu-img not installed (Debian package qemu-utils)"
fi
finish
