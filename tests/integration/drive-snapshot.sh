#!/bin/bash
# -drive snapshot=on and -snapshot (block/overlay.c): the guest's disk
# writes stay in the process and the image file is never written; such a
# drive registers a migration blocker, so `info migrate` names it and
# `migrate` and `savevm` refuse up front, naming the drive, while the guest
# runs on. The virtio-blk test program (tests/guest/virtio) writes the
# disk; the migtest guest keeps running for the monitor cases.
set -u
. "$(dirname "$0")/migrate-lib.inc"
need_basics
VELF=$guests/virtio/virtio-blk.elf
need_elf "$VELF"
cd "$tmp" || exit 1

# An 8 MiB disk with a known pattern; the guest writes sectors 8..11.
$PY - <<'EOF'
d = bytearray((i * 31 + (i >> 9)) & 0xff for i in range(8 << 20))
open("disk.raw", "wb").write(d)
EOF
"$IMG" convert -f raw -O qcow2 -o cluster_size=4k disk.raw d.qcow2
cp d.qcow2 d.orig
img_clean() {   # img_clean FILE: qemu-img check (amber-img check without it)
    if command -v qemu-img >/dev/null 2>&1; then qemu-img check "$1" >/dev/null 2>&1
    else "$IMG" check "$1" >/dev/null 2>&1; fi
}
run_guest() {   # run_guest ARGS... -> vout.txt, returns the exit status
    timeout 60 "$AMBER" -icount sleep=off -M virt -bios none -nographic -kernel "$VELF" "$@" \
        </dev/null 2>verr.txt | tr -d '\r' >vout.txt
    return "${PIPESTATUS[0]}"
}

# ---- the guest writes, reads its write back, flushes; the file is untouched ----
run_guest -drive file=d.qcow2,if=virtio,snapshot=on,id=disk0; rc=$?
check_that "snapshot=on qcow2: guest write, readback and flush succeed" \
    '[ $rc = 0 ] && grep -qx "write: ok" vout.txt && grep -qx "readback: ok" vout.txt && grep -qx "flush: ok" vout.txt' \
    "exit $rc: $(cat vout.txt verr.txt)"
check_that "snapshot=on qcow2: image file byte for byte unchanged" 'cmp -s d.qcow2 d.orig'
check_that "snapshot=on qcow2: image check clean" 'img_clean d.qcow2'

cp disk.raw r.raw
run_guest -snapshot -drive file=r.raw,format=raw,id=disk0; rc=$?
check_that "-snapshot raw: guest I/O succeeds, file unchanged" \
    '[ $rc = 0 ] && grep -qx "readback: ok" vout.txt && cmp -s r.raw disk.raw' "exit $rc: $(cat vout.txt verr.txt)"
# The control: an explicit snapshot=off beats -snapshot, and the write lands.
run_guest -snapshot -drive file=r.raw,format=raw,id=disk0,snapshot=off; rc=$?
check_that "-snapshot with snapshot=off: the guest's write reaches the file" \
    '[ $rc = 0 ] && grep -qx "readback: ok" vout.txt && ! cmp -s r.raw disk.raw' "exit $rc: $(cat vout.txt verr.txt)"

"$AMBER" -M virt -bios none -kernel "$VELF" -drive file=d.qcow2,snapshot=maybe </dev/null >/dev/null 2>err.txt
rc=$?
check_that "snapshot=maybe: exit 1, names the value" \
    '[ $rc = 1 ] && grep -q "snapshot expects on or off, got .maybe." err.txt' "$(cat err.txt)"

# ---- the blocker: info migrate, migrate, savevm, loadvm ----
# A second, ordinary qcow2 drive could take a snapshot: only the blocker
# stands in the way.
"$IMG" create -f qcow2 keep.qcow2 1M >/dev/null
start_vm src -drive "file=$tmp/d.qcow2,if=virtio,snapshot=on" -drive "file=$tmp/keep.qcow2,id=keep"
wait_markers src 2
blk=$(hmp src "info block")
check_that "info block: the snapshot=on drive and its image format" '[[ $blk == *"(qcow2, snapshot=on: the guest'"'"'s writes stay in memory, "* ]]' "$blk"
info=$(hmp src "info migrate")
check_that "info migrate: blocked, naming virtio0 and snapshot=on" \
    '[[ $info == *"Outgoing migration blocked:"*"virtio0: snapshot=on keeps the guest'"'"'s disk writes in this process'"'"'s memory"* ]]' "$info"
check_that "info migrate: the ordinary drive is not a blocker" '! grep -q "keep:" <<<"$info"' "$info"
out=$(hmp src "migrate \"exec:cat > $tmp/blocked.mig\"")
check_that "migrate: Error naming virtio0, nothing written" \
    '[[ $out == "Error: virtio0: snapshot=on"* ]] && [ ! -s "$tmp/blocked.mig" ]' "$out"
check_that "migrate refused: guest keeps running" '[ "$(vm_status src)" = running ] && runs_on src'
out=$(hmp src "savevm s1")
check_that "savevm: Error naming virtio0" '[[ $out == "Error: virtio0: snapshot=on"* ]]' "$out"
out=$(hmp src "loadvm s1")
check_that "loadvm: Error naming virtio0 and its overlay" \
    '[[ $out == "Error: Device '"'"'virtio0'"'"' is writable but does not support snapshots (snapshot=on"* ]]' "$out"
check_that "savevm refused: guest keeps running" '[ "$(vm_status src)" = running ] && runs_on src'
hmp src quit >/dev/null
wait_exit "$pid_src"
check_that "savevm refused: no snapshot on the other drive" \
    '[ -z "$("$IMG" snapshot -l keep.qcow2)" ]' "$("$IMG" snapshot -l keep.qcow2)"
check_that "after the run: image unchanged and clean" 'cmp -s d.qcow2 d.orig && img_clean d.qcow2'

# -snapshot: every drive without snapshot=off blocks; readonly=on needs no
# overlay and so no blocker.
info=$(printf 'info migrate\n' | "$AMBER" -M virt -bios none -S -serial null -monitor stdio -snapshot \
    -drive file=d.qcow2,id=a -drive file=keep.qcow2,id=b,snapshot=off \
    -drive file=r.raw,format=raw,id=c,readonly=on 2>&1)
check_that "-snapshot: drive a blocks, b (snapshot=off) and c (readonly=on) do not" \
    'grep -q "^  a: snapshot=on" <<<"$info" && ! grep -Eq "^  (b|c):" <<<"$info"' "$info"
info=$(printf 'info migrate\n' | "$AMBER" -M virt -bios none -S -serial null -monitor stdio \
    -drive file=keep.qcow2,id=b 2>&1)
check_that "no snapshot=on drive: no blocker" '! grep -q "Outgoing migration blocked" <<<"$info"' "$info"

finish
