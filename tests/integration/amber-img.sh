#!/bin/bash
# amber-img against qemu-img (Debian qemu-utils), both directions:
# images amber-img makes pass qemu-img check and list in qemu-img; images
# and snapshots qemu-img makes (compressed, v2, 512 B and 2 MiB clusters)
# read back byte for byte; check output and exit codes agree; a SIGKILL at
# every write of `snapshot -c` / `-d` leaves no corruption.
. "$(dirname "$0")/lib.sh"
export TZ=UTC
if ! command -v qemu-img >/dev/null 2>&1 || ! command -v qemu-io >/dev/null 2>&1; then
    skip_all "qemu-img/qemu-io not installed (apt-get install qemu-utils)"
fi
lib_tmpdir
cd "$tmp" || exit 1

"$IMG" create -f qcow2 a.qcow2 100M | sed s/a.qcow2/X/ >out.txt
qemu-img create -f qcow2 q.qcow2 100M | sed s/q.qcow2/X/ >qout.txt
cmp -s out.txt qout.txt; check $? "create: same 'Formatting' line as qemu-img"
cmp -s a.qcow2 q.qcow2; check $? "create 100M: byte-identical to qemu-img create"
for o in cluster_size=512 cluster_size=2M compat=0.10 cluster_size=4k,compat=1.1; do
    rm -f a.qcow2 q.qcow2
    "$IMG" create -q -f qcow2 -o "$o" a.qcow2 1G
    qemu-img create -q -f qcow2 -o "$o" q.qcow2 1G
    qemu-img check a.qcow2 >/dev/null; check $? "create -o $o: qemu-img check clean"
    cmp -s a.qcow2 q.qcow2; check $? "create -o $o: byte-identical to qemu-img create"
done
"$IMG" create -f raw r.raw 10M >/dev/null && [ "$(stat -c %s r.raw)" = 10485760 ]
check $? "create -f raw"

# ---- info ----
qemu-img create -q -f qcow2 i.qcow2 64M && qemu-img snapshot -c s1 i.qcow2
"$IMG" info i.qcow2 | grep -v '^disk size' >a.txt
qemu-img info i.qcow2 | grep -v '^disk size' >q.txt
diff a.txt q.txt; check $? "info: same as qemu-img info (but disk size)"
qemu-img create -q -f qcow2 -o compat=0.10 iv2.qcow2 64M && qemu-img create -q -f raw ir.raw 10M
for f in iv2.qcow2 ir.raw; do
    diff <("$IMG" info $f | grep -v '^disk size') <(qemu-img info $f | grep -v '^disk size')
    check $? "info $f: same as qemu-img info (but disk size)"
done

# ---- data: qemu-img images read back ----
head -c 3000000 /dev/urandom >data.bin
qemu-img create -q -f raw src.raw 16M
dd if=data.bin of=src.raw bs=1k seek=333 conv=notrunc status=none
dd if=data.bin of=src.raw bs=1k seek=9000 count=100 conv=notrunc status=none
for o in cluster_size=512 cluster_size=2M compat=0.10 cluster_size=64k; do
    rm -f x.qcow2 back.raw
    qemu-img convert -f raw -O qcow2 -o "$o" src.raw x.qcow2
    "$IMG" convert -O raw x.qcow2 back.raw && cmp -s back.raw src.raw
    check $? "read qemu-img image ($o)"
done
qemu-img convert -c -f raw -O qcow2 src.raw c.qcow2
"$IMG" convert -O raw c.qcow2 back.raw && cmp -s back.raw src.raw
check $? "read qemu-img convert -c (zlib compressed) image"
"$IMG" check c.qcow2 >a.txt 2>&1; rc=$?
qemu-img check c.qcow2 >q.txt 2>&1
[ $rc = 0 ] && diff -q a.txt q.txt >/dev/null; check $? "check of compressed image: same report as qemu-img"

# ---- data: amber-img writes, qemu-img reads ----
for o in cluster_size=512 cluster_size=2M cluster_size=64k; do
    rm -f w.qcow2
    "$IMG" convert -O qcow2 -o "$o" src.raw w.qcow2 &&
        qemu-img check w.qcow2 >/dev/null && qemu-img compare -q -f raw -F qcow2 src.raw w.qcow2
    check $? "write with amber-img ($o): qemu-img check clean, contents equal"
done

# ---- snapshots both ways ----
cp w.qcow2 s.qcow2
"$IMG" snapshot -c first s.qcow2 && "$IMG" snapshot -c second s.qcow2
check $? "snapshot -c twice"
qemu-img check s.qcow2 >/dev/null; check $? "qemu-img check after amber-img snapshot -c"
qemu-img snapshot -l s.qcow2 >q.txt; "$IMG" snapshot -l s.qcow2 >a.txt
diff a.txt q.txt && grep -q '^2         second                0 B ' q.txt
check $? "qemu-img snapshot -l lists amber-img's snapshots; same output"
qemu-io -c 'write -P 0xcd 0 64k' s.qcow2 >/dev/null
qemu-img snapshot -c qsnap s.qcow2 && qemu-io -c 'write -P 0xef 1M 64k' s.qcow2 >/dev/null
"$IMG" snapshot -a first s.qcow2 && qemu-img check s.qcow2 >/dev/null &&
    qemu-img compare -q -f raw -F qcow2 src.raw s.qcow2
check $? "amber-img snapshot -a of its snapshot after qemu-io writes"
"$IMG" snapshot -a qsnap s.qcow2 && qemu-io -c 'read -P 0xcd 0 64k' s.qcow2 | grep -q 'read 65536/65536'
check $? "amber-img snapshot -a of a qemu-img snapshot"
"$IMG" snapshot -d qsnap s.qcow2 && "$IMG" snapshot -d first s.qcow2 &&
    qemu-img check s.qcow2 >/dev/null && [ "$(qemu-img snapshot -l s.qcow2 | grep -c second)" = 1 ]
check $? "amber-img snapshot -d (qemu-img's and its own)"
qemu-img snapshot -d second s.qcow2 && "$IMG" check s.qcow2 >/dev/null
check $? "qemu-img snapshot -d of amber-img's snapshot; amber-img check clean"
"$IMG" snapshot -a nosuch s.qcow2 2>err.txt; rc=$?
[ $rc = 1 ] && grep -q "Could not apply snapshot 'nosuch': Failed to load snapshot: No such file or directory" err.txt
check $? "snapshot -a of a missing snapshot: exit 1, qemu-img's message"
"$IMG" snapshot -d nosuch s.qcow2 2>err.txt; rc=$?
[ $rc = 1 ] && grep -q "Could not delete snapshot 'nosuch': snapshot not found" err.txt
check $? "snapshot -d of a missing snapshot: exit 1, qemu-img's message"

# ---- check: leaks and corruptions, as qemu-img reports them ----
# refcount of cluster 3 (the L1) in the first refcount block (at 0x20000)
qemu-img create -q -f qcow2 l.qcow2 1M
printf '\x00\x02' | dd of=l.qcow2 bs=1 seek=$((0x20000 + 6)) conv=notrunc status=none
"$IMG" check l.qcow2 >a.txt 2>a.err; rc=$?
qemu-img check l.qcow2 >q.txt 2>q.err
[ $rc = 3 ] && diff -q a.txt q.txt >/dev/null && diff -q a.err q.err >/dev/null
check $? "check: leak reported as qemu-img does, exit 3"
"$IMG" check -r leaks l.qcow2 >a.txt 2>&1; rc=$?
[ $rc = 0 ] && grep -q 'No errors were found' a.txt && qemu-img check l.qcow2 >/dev/null
check $? "check -r leaks repairs, exit 0"
printf '\x00\x00' | dd of=l.qcow2 bs=1 seek=$((0x20000 + 6)) conv=notrunc status=none
"$IMG" check l.qcow2 >a.txt 2>a.err; rc=$?
qemu-img check l.qcow2 >q.txt 2>q.err
[ $rc = 2 ] && diff -q a.txt q.txt >/dev/null && grep -q 'ERROR cluster 3 refcount=0 reference=1' a.err
check $? "check: corruption reported as qemu-img does, exit 2"
"$IMG" check -r all l.qcow2 >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && qemu-img check l.qcow2 >/dev/null
check $? "check -r all repairs"
printf 'QFI\xfb\x00\x00\x00\x09' | dd of=l.qcow2 bs=1 conv=notrunc status=none
"$IMG" check l.qcow2 >/dev/null 2>&1; check $([ $? = 1 ]; echo $?) "check of an unopenable image: exit 1"

# ---- SIGKILL at every write of snapshot -c and -d ----
qemu-img create -q -f qcow2 -o cluster_size=4k k.qcow2 8M
qemu-io -c 'write -P 1 0 1M' -c 'write -P 2 3M 200k' k.qcow2 >/dev/null
"$IMG" snapshot -c base k.qcow2
qemu-io -c 'write -P 3 100k 300k' k.qcow2 >/dev/null
qemu-img convert -O raw k.qcow2 k.raw
for op in "-c new" "-d base" "-a base"; do
    kills=0 bad=0
    for n in $(seq 1 60); do
        cp k.qcow2 kc.qcow2
        rc=$(AMBER_BLOCK_FAULT=kill:$n "$IMG" snapshot $op kc.qcow2 >/dev/null 2>&1; echo $?)
        [ "$rc" = 137 ] || break
        kills=$((kills + 1))
        qemu-img check kc.qcow2 >/dev/null 2>&1; rc=$?
        if [ $rc != 0 ] && [ $rc != 3 ]; then bad=$((bad + 1)); echo "   kill at write $n: check exit $rc"; fi
        if [ "$op" != "-a base" ] && ! qemu-img compare -q -f raw -F qcow2 k.raw kc.qcow2; then
            bad=$((bad + 1)); echo "   kill at write $n: disk contents changed"
        fi
    done
    [ $kills -gt 2 ] && [ $bad = 0 ]
    check $? "SIGKILL at each of $kills writes of 'snapshot $op': no corruption, disk intact"
done

finish
