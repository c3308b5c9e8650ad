#!/bin/bash
# virtio-blk on virtio-mmio: the guest test program (tests/guest/virtio)
# reads, writes, flushes and asks the id of a raw disk, a qcow2 disk, a
# qcow2 disk with a snapshot (copy-on-write), and a read-only disk; the
# same program on qemu-system-riscv64 (modern virtio-mmio) prints the same
# lines; U-Boot's `virtio scan/info/read` sees the disk; -drive errors.
. "$(dirname "$0")/lib.sh"
ELF=$guests/virtio/virtio-blk.elf
OSBI=${OPENSBI_DIR:-/usr/lib/riscv64-linux-gnu/opensbi/generic}
UBOOT_DIR=/usr/lib/u-boot/qemu-riscv64_smode
need_elf "$ELF"
lib_tmpdir
pid=
at_exit '[ -n "$pid" ] && kill $pid 2>/dev/null; exec 3>&- 2>/dev/null'
cd "$tmp" || exit 1

# An 8 MiB disk with a known pattern, and what the guest must report.
python3 - <<'EOF'
d = bytearray((i * 31 + (i >> 9)) & 0xff for i in range(8 << 20))
open("disk.raw", "wb").write(d)
h = 2166136261
for b in d[:4096]:
    h = ((h ^ b) * 16777619) & 0xffffffff
open("fnv", "w").write("%08x" % h)
w = bytearray(d)
for i in range(4 * 512):
    w[8 * 512 + i] = ((8 + i // 512) * 7 + i % 512) & 0xff
open("written.raw", "wb").write(w)
EOF
fnv=$(cat fnv)
expect_rw="virtio-blk: slot 7 capacity 16384 sectors
read: fnv1a $fnv
write: ok
readback: ok
flush: ok
id: disk0
beyond end: ioerr"

run_guest() {   # run_guest DRIVE-SPEC -> out.txt, returns the exit status
    timeout 30 "$AMBER" -icount sleep=off -M virt -bios none -nographic -kernel "$ELF" -drive "$1" \
        </dev/null 2>err.txt | tr -d '\r' >out.txt
    return "${PIPESTATUS[0]}"
}

# ---- raw ----
cp disk.raw d.raw
run_guest file=d.raw,format=raw,id=disk0; rc=$?
[ $rc = 0 ] && [ "$(cat out.txt)" = "$expect_rw" ]; check $? "raw: guest read/write/flush/get-id"
cmp -s d.raw written.raw; check $? "raw: the guest's write is on the host file, nothing else changed"

# ---- qcow2 ----
"$IMG" convert -f raw -O qcow2 -o cluster_size=4k disk.raw d.qcow2
run_guest file=d.qcow2,id=disk0; rc=$?
[ $rc = 0 ] && [ "$(cat out.txt)" = "$expect_rw" ]; check $? "qcow2 (probed): guest read/write/flush/get-id"
qemu-img check d.qcow2 >/dev/null 2>&1 && qemu-img compare -q -f raw -F qcow2 written.raw d.qcow2
check $? "qcow2: qemu-img check clean, contents as the guest wrote them"

# ---- qcow2 with a snapshot: the guest's writes copy on write ----
"$IMG" convert -f raw -O qcow2 disk.raw s.qcow2
"$IMG" snapshot -c before s.qcow2
run_guest file=s.qcow2,format=qcow2,if=virtio,id=disk0; rc=$?
[ $rc = 0 ] && [ "$(cat out.txt)" = "$expect_rw" ]; check $? "qcow2 with snapshot: guest I/O"
qemu-img check s.qcow2 >/dev/null 2>&1 && qemu-img compare -q -f raw -F qcow2 written.raw s.qcow2 &&
    qemu-img convert -O raw -l snapshot.name=before s.qcow2 snap.raw && cmp -s snap.raw disk.raw
check $? "qcow2 with snapshot: check clean, active has the writes, snapshot unchanged"

# ---- read-only ----
cp disk.raw r.raw
run_guest file=r.raw,format=raw,readonly=on,id=disk0; rc=$?
[ $rc = 0 ] && grep -q '^write: ioerr (status 1)$' out.txt && cmp -s r.raw disk.raw
check $? "readonly=on: guest writes fail with IOERR, file unchanged"

# ---- the same program on QEMU ----
if command -v qemu-system-riscv64 >/dev/null 2>&1; then
    cp disk.raw q.raw
    timeout 30 qemu-system-riscv64 -M virt -bios none -nographic -kernel "$ELF" \
        -global virtio-mmio.force-legacy=false -drive file=q.raw,format=raw,if=none,id=disk0 \
        -device virtio-blk-device,drive=disk0,serial=disk0 </dev/null 2>/dev/null | tr -d '\r' >qout.txt
    [ "$(cat qout.txt)" = "$expect_rw" ] && cmp -s q.raw written.raw || { diff qout.txt - <<<"$expect_rw"; cmp q.raw written.raw; false; }
    check $? "qemu-system-riscv64 runs the same program with the same output and disk"
else
    skip "qemu-system-riscv64 not installed"
fi

# ---- -drive errors ----
"$AMBER" -M virt -bios none -kernel "$ELF" -drive file=d.raw,bogus=1 </dev/null >/dev/null 2>err.txt
[ $? = 1 ] && grep -q "amber: -drive file=d.raw,bogus=1: Invalid parameter 'bogus'" err.txt
check $? "-drive with an unknown parameter: exit 1, names it"
"$AMBER" -M virt -bios none -kernel "$ELF" -drive file=nosuch.qcow2 </dev/null >/dev/null 2>err.txt
[ $? = 1 ] && grep -q "nosuch.qcow2.*No such file or directory" err.txt
check $? "-drive of a missing file: exit 1, names the file"
cp disk.raw c.qcow2
printf 'QFI\xfb\x00\x00\x00\x03' | dd of=c.qcow2 bs=1 conv=notrunc status=none
"$AMBER" -M virt -bios none -kernel "$ELF" -drive file=c.qcow2 </dev/null >/dev/null 2>err.txt
[ $? = 1 ] && grep -q "c.qcow2" err.txt
check $? "-drive of a malformed qcow2: exit 1 with a message, no crash"

# ---- U-Boot: virtio scan / info / read ----
UBOOT=$UBOOT_DIR/u-boot.bin
[ -f "$UBOOT" ] || UBOOT=$UBOOT_DIR/uboot.elf
if [ ! -f "$OSBI/fw_jump.elf" ] || [ ! -f "$UBOOT" ]; then
    skip "U-Boot: $OSBI/fw_jump.elf or $UBOOT missing (apt-get install opensbi u-boot-qemu)"
else
    wait_for() {   # wait_for REGEX SECONDS
        local end=$((SECONDS + $2))
        while [ $SECONDS -lt $end ]; do
            tr -d '\r' <ub.txt | grep -Eq -- "$1" && return 0
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        tr -d '\r' <ub.txt | grep -Eq -- "$1"
    }
    cp disk.raw u.raw
    mkfifo in
    : >ub.txt
    timeout 90 "$AMBER" -icount sleep=off -M virt -nographic -bios "$OSBI/fw_jump.elf" -kernel "$UBOOT" \
        -drive file=u.raw,format=raw <in >ub.txt 2>&1 &
    pid=$!
    exec 3>in
    if wait_for 'Hit any key to stop autoboot' 60; then
        printf ' ' >&3
        wait_for '^=> ' 15
        printf 'virtio scan\rvirtio info\r' >&3
        wait_for 'Capacity:' 15
        tr -d '\r' <ub.txt | grep -q 'Capacity: 8.0 MB = 0.0 GB (16384 x 512)'
        check $? "U-Boot: virtio info shows the 16384-sector disk"
        printf 'virtio read 0x84000000 0 1\rmd.b 0x84000000 0x10\r' >&3
        want=$(od -A n -t x1 -N 16 disk.raw | sed 's/^ //')
        wait_for "^84000000: $want" 15
        check $? "U-Boot: virtio read + md.b shows the disk's first bytes"
        printf 'poweroff\r' >&3
    else
        fail "U-Boot: no autoboot prompt"
        tail -n 5 ub.txt | sed 's/^/     /'
    fi
    exec 3>&-
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
fi

finish
