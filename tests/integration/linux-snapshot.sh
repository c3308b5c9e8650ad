#!/bin/bash
# Internal snapshots of a running Linux (the project's guest kernel, see
# linux.sh) with a qcow2 virtio disk, driven only by monitor batch files
# (`expect` waits for the shell's answers, `type` types on its console):
#  - session 1: boot to /init's prompt, `disk` and `sum`, savevm, `sum`
#    (the answer right after the save), then commands that change memory
#    (churn, spawn: forks), loadvm: the shell answers exactly as right after
#    the save (same checksum, same round), twice; `disk` reads the content
#    the image was made with (checked against a checksum computed here);
#  - the disk changes offline (qemu-io writes a pattern into the image's
#    active layer, the snapshot keeps the old clusters); session 2 boots
#    fresh and its `disk` sees the new pattern, loadvm brings back the saved
#    shell and disk: the guest reads the old content again and the image's
#    data equals the original (qemu-img compare);
#  - session 3 starts from the snapshot with -loadvm;
#  - the image passes `qemu-img check` (or amber-img check) after each.
# Skipped with the reason when the kernel cannot be built here.
set -u
LINUX_TEST=${LINUX_TEST:-linux-snapshot}
. "$(dirname "$0")/linux-lib.inc"
AIMG=$IMG
linux_need_image
[ -x "$AIMG" ] || { fail "$AIMG not built"; finish; }
if ! "$AMBER" -h 2>/dev/null | grep -q -- '-drive file='; then
    skip "$AMBER has no -drive (virtio-blk)"; finish
fi

AMBER_KEEP_TMP=${AMBER_KEEP_TMP:-${KEEP:-}}
lib_tmpdir
cd "$tmp" || exit 1

# The disk: 1 MiB with a known pattern; /init's `disk` prints a hash of its
# first 4 KiB, computed here the same way (init.c: hash_words).
$PY - <<'EOF'
import struct
def h(b):
    v, m = 0xcbf29ce484222325, (1 << 64) - 1
    for (w,) in struct.iter_unpack("<Q", b[:4096]):
        v = ((v ^ w) * 0x100000001b3) & m
        v ^= v >> 29
    return "0x%016x" % v
a = bytes((i * 7 + i // 4096) & 0xff for i in range(1 << 20))
open("disk.raw", "wb").write(a)
open("hash.a", "w").write(h(a) + "\n")
open("hash.b", "w").write(h(b"\xa5" * 4096) + "\n")   # after qemu-io write -P 0xa5 0 4k
EOF
hash_a=$(cat hash.a) hash_b=$(cat hash.b)
"$AIMG" convert -f raw -O qcow2 disk.raw disk.qcow2 >/dev/null
check $? "amber-img convert: 1 MiB qcow2 disk with a known pattern (first 4 KiB hash $hash_a)"

# run NAME [extra args...] < batch: serial in NAME.ser, monitor in NAME.mon
run() {
    local name=$1; shift
    timeout $((TMO * 2)) "$AMBER" -icount sleep=off -M virt "${SMPARGS[@]}" -m 256M -bios "$FW" -kernel "$image" -append console=ttyS0 \
        -drive file=disk.qcow2,format=qcow2,if=virtio -serial "file:$name.ser" -monitor stdio "$@" \
        >"$name.mon" 2>"$name.err"
}
# answers NAME: the shell's answers in order (sum and disk lines, spawn)
answers() { tr -d '\r' <"$1.ser" | grep -E '^(sum 0x|disk 0x|disk:|spawn)'; }
img_check() {
    if command -v qemu-img >/dev/null 2>&1; then
        qemu-img check disk.qcow2 >"check.$1" 2>&1
        check $? "qemu-img check after $1: $(grep -m1 -E 'No errors|error|leak' "check.$1")"
    else
        "$AIMG" check disk.qcow2 >"check.$1" 2>&1
        check $? "amber-img check after $1 (qemu-img not installed): $(head -n 1 "check.$1")"
    fi
}
show() { echo "    --- $1.mon (tail) ---"; tail -n 8 "$1.mon" | sed 's/^/    /'; tail -n 3 "$1.err" | sed 's/^/    /'; }

# A command and the end of its answer (the next prompt). `\b` keeps
# `round 2` from matching `round 42`.
P='\r?\n# $'
cat >s1.cmd <<EOF
errexit on
expect "\n# \$" $TMO
type "disk\n"
expect "disk 0x[0-9a-f]+ bytes 4096$P"
type "sum\n"
expect "\bround 1$P"
savevm boot1
info snapshots
type "sum\n"
expect "\bround 2$P"
type "churn 40\n"
expect "\bround 42$P"
type "spawn 4\n"
expect "spawn( \d+){4}$P"
loadvm boot1
type "sum\n"
expect "\bround 2$P"
type "disk\n"
expect "disk 0x[0-9a-f]+ bytes 4096$P"
type "churn 10\n"
expect "\bround 12$P"
loadvm boot1
type "sum\n"
expect "\bround 2$P"
quit
EOF
run s1 <s1.cmd
rc=$?
check $rc "session 1: boot, savevm, churn/spawn, loadvm twice; every expect matched (status $rc)"
[ $rc = 0 ] || show s1
grep -q '^Run /init\|Run /init as init process' s1.ser; check $? "Linux runs /init"
grep -Eq '^--  +boot1 ' s1.mon; check $? "info snapshots lists boot1 on the disk"
a1=$(answers s1)
rounds=$(awk '/^sum/ {printf "%s ", $4} /^disk/ {printf "disk "} /^spawn/ {printf "spawn "}' <<<"$a1")
[ "$rounds" = "disk 1 2 42 spawn 2 disk 12 2 " ]
check $? "answers in order: disk, round 1, [save] 2, 42, spawn, [load] 2, disk, 12, [load] 2 (got: $rounds)"
s2=$(grep -E '^sum 0x[0-9a-f]+ round 2$' <<<"$a1" | sort -u)
[ "$(grep -c '' <<<"$s2")" = 1 ] && [ "$(grep -c 'round 2$' <<<"$a1")" = 3 ]
check $? "after each loadvm the shell answers exactly as right after the save: $s2"
s42=$(grep -E 'round 42$' <<<"$a1" | awk '{print $2}')
[ -n "$s42" ] && [ "$s42" != "$(awk '{print $2}' <<<"$s2")" ]; check $? "churn changed the memory in between ($s42)"
grep -Eq '^spawn( [0-9]+){4}$' <<<"$a1"; check $? "spawn 4 forked and reaped four children in between"
d=$(grep '^disk' <<<"$a1" | sort -u)
[ "$d" = "disk $hash_a bytes 4096" ]; check $? "disk before the save and after the load reads the image's content ($d)"
img_check "session 1"
if command -v qemu-img >/dev/null 2>&1; then
    qemu-img snapshot -l disk.qcow2 2>&1 | grep -Eq '^1 +boot1 '
    check $? "qemu-img snapshot -l lists boot1"
fi

# ---- the disk changes, loadvm reverts it ----
if command -v qemu-io >/dev/null 2>&1; then
    qemu-io -c 'write -P 0xa5 0 4k' disk.qcow2 >qemu-io.out 2>&1 &&
        qemu-io -c 'read -P 0xa5 0 4k' disk.qcow2 >>qemu-io.out 2>&1
    check $? "qemu-io wrote 0xa5 over the first 4 KiB of the active layer"
    cat >s2.cmd <<EOF
errexit on
expect "\n# \$" $TMO
type "disk\n"
expect "disk 0x[0-9a-f]+ bytes 4096$P"
loadvm boot1
type "sum\n"
expect "\bround 2$P"
type "disk\n"
expect "disk 0x[0-9a-f]+ bytes 4096$P"
quit
EOF
    run s2 <s2.cmd
    rc=$?
    check $rc "session 2: fresh boot on the changed disk, loadvm boot1 (status $rc)"
    [ $rc = 0 ] || show s2
    a2=$(answers s2)
    [ "$(sed -n 1p <<<"$a2")" = "disk $hash_b bytes 4096" ]
    check $? "the fresh boot reads the changed disk ($hash_b)"
    [ "$(sed -n 2p <<<"$a2")" = "$s2" ]; check $? "after loadvm in a new process: the saved shell's answer ($s2)"
    [ "$(sed -n 3p <<<"$a2")" = "disk $hash_a bytes 4096" ]
    check $? "after loadvm the guest reads the snapshot's disk content again ($hash_a)"
    if command -v qemu-img >/dev/null 2>&1; then
        qemu-img compare -q disk.qcow2 disk.raw
        check $? "qemu-img compare: the image's data is the original again (loadvm reverted the active layer)"
    fi
    img_check "session 2"
else
    skip "qemu-io not installed (Debian package qemu-utils): the disk is not changed offline"
fi

# ---- -loadvm on the command line ----
cat >s3.cmd <<EOF
errexit on
type "sum\n"
expect "\bround 2$P"
type "disk\n"
expect "disk 0x[0-9a-f]+ bytes 4096$P"
info status
quit
EOF
run s3 -loadvm boot1 <s3.cmd
rc=$?
check $rc "session 3: -loadvm boot1 (status $rc)"
[ $rc = 0 ] || show s3
a3=$(answers s3)
[ "$a3" = "$s2
disk $hash_a bytes 4096" ]
check $? "-loadvm: the shell goes on from the save point (same sum, same disk)"
img_check "session 3"
echo "--- session 1 answers ---"; sed 's/^/    /' <<<"$a1"
finish
