#!/bin/bash
# Live migration with a shared qcow2 disk (both processes open the same
# image, as with shared storage): the guest (tests/guest/snapshot, 3000
# ticks, each writing a sector, flushing and reading an earlier one) is
# migrated while it writes. The destination opens the image read-only and
# reopens it only when the stream is in, so it sees the tables and clusters
# the source allocated meanwhile and writes nothing before:
#  - source serial + destination serial = the serial of a run never migrated;
#  - the image equals that run's image, and qemu-img check finds it clean.
set -u
. "$(dirname "$0")/migrate-lib.inc"
elf=$guests/snapshot/snap-long.elf
need_basics
if [ ! -x "$IMG" ] || ! has_incoming tcp:; then
    skip_all "needs amber-img and -incoming tcp:"
fi
drive() { echo "file=$1,format=qcow2,if=virtio"; }

# The reference: the same guest and a fresh image, never migrated.
"$IMG" create -f qcow2 "$tmp/ref.qcow2" 8M >/dev/null
"$IMG" create -f qcow2 "$tmp/mig.qcow2" 8M >/dev/null
(cd "$tmp" && timeout 120 "$BIN" $(speed_args) -M virt -bios none -kernel "$elf" -m "$MEM" -display none \
    -serial "file:$tmp/ref.ser" -monitor none -drive "$(drive "$tmp/ref.qcow2")")
check_that "reference run ends with done" 'tail -n 1 "$tmp/ref.ser" | grep -q "^done"' "$(tail -n 2 "$tmp/ref.ser")"

# The destination opens the image before the source has written anything.
port=$(free_port)
start_vm dst -drive "$(drive "$tmp/mig.qcow2")" -incoming "tcp:127.0.0.1:$port"
out=$(hmp dst "info block")
check_that "destination: info block shows the image inactive" '[[ $out == *"virtio0: $tmp/mig.qcow2 (qcow2, inactive (migration))"* ]]' "$out"
start_vm src -drive "$(drive "$tmp/mig.qcow2")"
out=$(hmp src "info block")
check_that "source: info block shows the image in use" '[[ $out == *"virtio0: $tmp/mig.qcow2 (qcow2)"* && $out == *"Attached to:      virtio-mmio@10008000"* ]]' "$out"
end=$((SECONDS + 30))
while ! grep -q '^tick 20 ' "$tmp/src.ser" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.01; done
hmp src "migrate_set_parameter max-bandwidth 1G" "migrate -d tcp:127.0.0.1:$port" >/dev/null
check_that "migration completed while the guest wrote" 'wait_mig src completed 60'
out=$(hmp src "info block")
check_that "source: the image is inactive after the migration" '[[ $out == *"(qcow2, inactive (migration))"* ]]' "$out"
wait_exit "$pid_dst" 60
check_that "destination ran the guest to its end" '[ "$exit_rc" = 0 ] && tail -n 1 "$tmp/dst.ser" | grep -q "^done"' \
    "exit $exit_rc; $(tail -n 2 "$tmp/dst.ser"); $(cat "$tmp/dst.err")"
n=$(grep -c '^tick' "$tmp/src.ser")
check_that "the source was still writing when it stopped (tick $n of 3000)" '[ "$n" -lt 3000 ]'
cat "$tmp/src.ser" "$tmp/dst.ser" >"$tmp/both.ser"
check_that "source + destination serial = the unmigrated run's" 'cmp -s "$tmp/both.ser" "$tmp/ref.ser"' \
    "$(diff "$tmp/both.ser" "$tmp/ref.ser" | head -n 4)"
for p in "${lib_pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; lib_pids=()
if command -v qemu-img >/dev/null; then
    out=$(qemu-img check "$tmp/mig.qcow2" 2>&1)
    check_that "qemu-img check: no errors, no leaks" '[[ $out == *"No errors were found"* ]]' "$out"
    out=$(qemu-img compare "$tmp/ref.qcow2" "$tmp/mig.qcow2" 2>&1)
    check_that "the image holds what the unmigrated run wrote" '[[ $out == "Images are identical."* ]]' "$out"
else
    skip qemu-img "qemu-img not installed (Debian package qemu-utils)"
fi
finish
