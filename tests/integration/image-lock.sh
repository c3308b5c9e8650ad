#!/bin/bash
# Image locking between processes (block/lock.c, QEMU's byte-range
# protocol): a second Amber on an image in use is refused with QEMU's
# message, read-only too; QEMU's tools and QEMU itself see Amber's locks and
# Amber sees QEMU's; amber-img locks as qemu-img does (-U to only read); the
# lock goes with the process. (Migration hands the
# image over: migrate-disk.sh.)
. "$(dirname "$0")/lib.sh"
ELF=$guests/snapshot/snap-touch.elf
QEMU=${QEMU:-qemu-system-riscv64}
if [ ! -f "$ELF" ] || [ ! -x "$IMG" ]; then
    skip "$ELF or amber-img not built"; finish
fi
lib_tmpdir
pids=()
at_exit 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done'
"$IMG" create -f qcow2 "$tmp/d.qcow2" 8M >/dev/null
drive="file=$tmp/d.qcow2,format=qcow2,if=virtio"
run() {   # run [drive options]: a second machine on the image; its stderr
    timeout 20 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$ELF" -display none -serial null -monitor none \
        -drive "$drive$1" 2>&1 >/dev/null
}
# The first machine, with a monitor to know it is up and to quit it.
"$AMBER" -icount sleep=off -M virt -bios none -kernel "$ELF" -m 300M -display none -serial null \
    -monitor "unix:$tmp/m.sock,server,nowait" -drive "$drive" >/dev/null 2>"$tmp/a.err" &
apid=$!; pids+=($apid)
end=$((SECONDS + 20)); while [ ! -S "$tmp/m.sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
mon() {   # mon CMD: one command on the first machine's monitor, its reply awaited
    printf '%s\n' "$1" | timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
buf = b""
while buf.count(b"(amber)") < 2:       # the greeting, then the reply
    d = s.recv(4096)
    if not d: break
    buf += d' "$tmp/m.sock" >/dev/null 2>&1
}

out=$(run ""); rc=$?
check_that "a second writer is refused" '[ $rc = 1 ] && [[ $out == *"Failed to get \"write\" lock; is another process using the image [$tmp/d.qcow2]?"* ]]' "status $rc: $out"
out=$(run ",readonly=on"); rc=$?
check_that "a reader is refused too (the writer does not share)" '[ $rc = 1 ] && [[ $out == *"Failed to get shared \"write\" lock"* ]]' "status $rc: $out"
if command -v qemu-img >/dev/null; then
    out=$(qemu-img check "$tmp/d.qcow2" 2>&1); rc=$?
    check_that "qemu-img sees Amber's lock" '[ $rc != 0 ] && [[ $out == *"Failed to get shared \"write\" lock"* ]]' "status $rc: $out"
    # A running guest writes between qemu-img's reads (it takes the file's
    # length first), so the machine is stopped: stop flushes the disks.
    mon stop
    out=$(qemu-img check -U "$tmp/d.qcow2" 2>&1)
    check_that "qemu-img -U (force-share) reads it once stopped" '[[ $out == *"No errors were found"* ]]' "$out"
    mon cont
else
    skip qemu-img "qemu-img not installed (Debian package qemu-utils)"
fi
out=$("$IMG" snapshot -c s1 "$tmp/d.qcow2" 2>&1); rc=$?
check_that "amber-img will not change an image in use" '[ $rc != 0 ] && [[ $out == *"Failed to get \"write\" lock"* ]]' "status $rc: $out"
out=$("$IMG" info "$tmp/d.qcow2" 2>&1); rc=$?
check_that "amber-img info is refused too, as qemu-img's" '[ $rc != 0 ] && [[ $out == *"lock"* ]]' "status $rc: $out"
out=$("$IMG" info -U "$tmp/d.qcow2" 2>&1); rc=$?
check_that "amber-img info -U reads it" '[ $rc = 0 ] && [[ $out == *"file format: qcow2"* ]]' "status $rc: $out"
out=$("$IMG" snapshot -U -c s1 "$tmp/d.qcow2" 2>&1); rc=$?
check_that "-U with a write is refused" '[ $rc != 0 ] && [[ $out == *"read-only"* ]]' "status $rc: $out"
mon quit
wait "$apid" 2>/dev/null
out=$(timeout 5 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$ELF" -display none -serial null -monitor none \
    -drive "$drive" -S 2>&1 </dev/null & p=$!; sleep 1; kill $p 2>/dev/null; wait $p 2>/dev/null)
check_that "after the first machine quits, the image opens" '[[ $out != *"lock"* ]]' "$out"

if command -v "$QEMU" >/dev/null; then
    "$QEMU" -M virt -bios none -display none -serial null -monitor none -S \
        -drive "file=$tmp/d.qcow2,format=qcow2,if=none,id=d0" -device virtio-blk-device,drive=d0 \
        >/dev/null 2>"$tmp/q.err" &
    qpid=$!; pids+=($qpid)
    end=$((SECONDS + 10))
    until qemu-img check "$tmp/d.qcow2" 2>&1 | grep -q lock || [ $SECONDS -ge $end ]; do sleep 0.1; done
    out=$(run ""); rc=$?
    check_that "Amber sees QEMU's lock" '[ $rc = 1 ] && [[ $out == *"Failed to get \"write\" lock"* ]]' "status $rc: $out"
    kill "$qpid" 2>/dev/null
else
    skip qemu "$QEMU not installed"
fi
finish
