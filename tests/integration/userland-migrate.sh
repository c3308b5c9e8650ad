#!/bin/bash
# Live migration of the BusyBox/glibc userland (userland.sh's full kernel
# and root disk, -smp 4 -m 512M) over tcp on a free loopback port while
# the guest writes its ext4 root, both processes opening the same qcow2
# file (shared storage: the source flushes and releases it at the
# switchover, the destination takes it over; see migrate-disk.sh).
# In the guest, a background writer appends chunks of `seq` to /data.txt
# (chunk i holds i*C-C+1 .. i*C), each followed by sync and a progress
# line, until /stop exists; the test creates /stop only on the destination,
# after the migration and a few more chunks there, so the switchover falls
# between writes whatever the host's speed (max-bandwidth keeps the
# migration going for a while; auto-converge ends it however fast the
# guest dirties its page cache). Then:
#  - the writer finishes on the destination and prints its chunk count N
#    and the file's sha256sum, which equals `seq 1 N*C | sha256sum` on the
#    host, also when read back from the disk after dropping the caches;
#  - the source stopped mid-writer (its console has chunks, not the end),
#    ends paused (postmigrate), `info migrate` says completed, its image
#    inactive; the destination's image is active once it runs;
#  - after poweroff on the destination (exit status 0) and quit on the
#    source, qemu-img check is clean; the image as raw (amber-img convert)
#    holds /data.txt (debugfs) with the same digest, and e2fsck -fn is clean.
# Timeouts only bound a hung run; nothing depends on how fast it goes.
# Skipped with the reason when the kernel or the root disk cannot be built.
set -u
. "$(dirname "$0")/lib.sh"
FW=${OPENSBI_DIR:-/usr/lib/riscv64-linux-gnu/opensbi/generic}/fw_jump.bin
TMO=${USERLAND_TIMEOUT:-300}
C=50000                          # numbers per chunk
need_amber
[ -x "$IMG" ] || { fail "$IMG not built"; finish; }
"$AMBER" -help 2>&1 | grep -A2 -- '-incoming' | grep -q 'tcp:' || skip_all "$AMBER has no -incoming tcp:"
need_cmd debugfs e2fsprogs

. "$(dirname "$0")/userland-lib.inc"
userland_need_guest

AMBER_KEEP_TMP=${AMBER_KEEP_TMP:-${KEEP:-}}
lib_tmpdir
cp "$disk" "$tmp/root.qcow2"
t0=$SECONDS

args=(-icount sleep=off -M virt -smp 4 -m 512M -display none -kernel "$image"
      -append "root=/dev/vda rw console=ttyS0" -drive "file=$tmp/root.qcow2")
# start NAME ARGS...: Amber in the background, console in $tmp/NAME.ser
start() { local n=$1; shift; amber_start "$n" "${args[@]}" -serial "file:$tmp/$n.ser" "$@"; }
hmp() { local name=$1; shift; timeout $((TMO + 30)) $PY "$here/hmp.py" "$tmp/$name.sock" "$@"; }
# type_line NAME LINE: LINE and a newline on NAME's console (\ and " are
# escaped for the monitor's string)
type_line() { local l=${2//\\/\\\\}; l=${l//\"/\\\"}; hmp "$1" "type \"$l\\n\"" >/dev/null; }
# count NAME ERE: console lines of NAME matching ERE
count() { tr -d '\r' <"$tmp/$1.ser" 2>/dev/null | grep -Ec -- "$2"; }
# wait_for NAME N ERE: until N lines match (false when the process ended
# or the time is up)
wait_for() {
    local end=$((SECONDS + TMO)) p
    p=$(eval echo "\$pid_$1")
    while [ "$(count "$1" "$3")" -lt "$2" ] && [ $SECONDS -lt $end ]; do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    [ "$(count "$1" "$3")" -ge "$2" ]
}
# chunks NAME: the last chunk NAME's console shows written (0 if none)
chunks() { { tr -d '\r' <"$tmp/$1.ser" | grep -Eo '@@chunk [0-9]+$' || echo "x 0"; } | tail -n 1 | cut -d' ' -f2; }
show() { echo "    --- $1 (tail) ---"; tail -n "${2:-8}" "$1" | tr -d '\r' | sed 's/^/    /'; }
mig_status() { hmp src "info migrate" | sed -n 's/^Migration status: *\([a-z-]*\).*/\1/p'; }

port=$(free_port)
start dst -incoming "tcp:127.0.0.1:$port"
st=$(hmp dst "info status")
check_that "destination waits for the stream: $st" '[ "$st" = "VM status: paused (inmigrate)" ]'
out=$(hmp dst "info block")
check_that "destination: the shared image is inactive" '[[ $out == *"(qcow2, inactive (migration))"* ]]' "$out"

start src
wait_for src 1 '^# ' || { fail "source: no root shell prompt"; show "$tmp/src.ser"; finish; }
pass "source: boot to the root shell ($((SECONDS - t0)) s)"
# printf's \100 is @: the shell's echo of the line does not match ^@@.
type_line src "(i=0; while [ ! -e /stop ] || [ \$i -lt 3 ]; do i=\$((i+1)); seq \$((i*$C-$C+1)) \$((i*$C)) >>/data.txt; sync; printf '\\100\\100chunk %d\\n' \$i; done; printf '\\100\\100done %d\\n' \$i; sha256sum /data.txt; echo 3 >/proc/sys/vm/drop_caches; sha256sum /data.txt; printf '\\100\\100end\\n') &"
wait_for src 2 '@@chunk [0-9]+$' || { fail "source: the writer does not write"; show "$tmp/src.ser"; finish; }
hmp src "migrate_set_capability auto-converge on" "migrate_set_parameter max-bandwidth 8M" \
    "migrate -d tcp:127.0.0.1:$port" >"$tmp/src.mon"
from=$(chunks src)
echo "    migration started after chunk $from"
end=$((SECONDS + TMO))
while s=$(mig_status) && [[ $s =~ ^(setup|active|device|pre-switchover)?$ ]] && [ $SECONDS -lt $end ]; do sleep 0.2; done
check_that "source: info migrate says completed" '[ "$s" = completed ]' "status '$s'; $(cat "$tmp/src.err")"
hmp src "info migrate" | grep -E '^(total time|downtime|transferred ram|dirty sync count|cpu throttle)' | sed 's/^/    /'
st=$(hmp src "info status")
check_that "source: $st" '[ "$st" = "VM status: paused (postmigrate)" ]'
out=$(hmp src "info block")
check_that "source: its image is inactive after the migration" '[[ $out == *"(qcow2, inactive (migration))"* ]]' "$out"
upto=$(chunks src)
check_that "source: stopped in the middle of the writer (chunks $from to $upto there, no end)" \
    '[ "$upto" -ge "$from" ] && [ "$(count src "@@done")" = 0 ]'

end=$((SECONDS + TMO))
while [ "$(hmp dst "info status")" != "VM status: running" ] && [ $SECONDS -lt $end ] &&
      kill -0 "$pid_dst" 2>/dev/null; do sleep 0.1; done
out=$(hmp dst "info block")
check_that "destination: runs, the image is active" '[[ $out == *"$tmp/root.qcow2 (qcow2)"* && $out != *inactive* ]]' "$out"
! grep -q 'Linux version' "$tmp/dst.ser"; check $? "the destination did not boot: its console starts after the switchover"
# A few chunks on the destination, then the writer may stop.
wait_for dst 3 '@@chunk [0-9]+$'; check $? "destination: the writer goes on there (chunks $((upto + 1)) to $(chunks dst))"
type_line dst "touch /stop"
wait_for dst 1 '@@end$'
rc=$?
s=$(tr -d '\r' <"$tmp/dst.ser")
n=$(sed -n 's/.*@@done \([0-9]*\)$/\1/p' <<<"$s")
sums=$(grep -Eo '^[0-9a-f]{64}  /data.txt' <<<"$s" | cut -c1-64)
check_that "destination: the writer ends there (after chunk ${n:-?})" '[ $rc = 0 ] && [ -n "$n" ]' "$(tail -n 5 <<<"$s")"
n=${n:-0}
all=$(cat "$tmp/src.ser" "$tmp/dst.ser" | tr -d '\r' | grep -Eo '@@chunk [0-9]+$' | cut -d' ' -f2 | tr '\n' ' ')
check_that "source + destination consoles: chunks 1..$n once each, in order" '[ "$all" = "$(seq -s " " 1 "$n") " ]' "$all"
host=$(seq 1 $((n * C)) | sha256sum | cut -c1-64)
check_that "in the guest: sha256sum /data.txt = the host's seq 1 $((n * C)) | sha256sum ($host)" \
    '[ "$(head -n 1 <<<"$sums")" = "$host" ]' "$(tr '\n' ' ' <<<"$sums")"
check_that "in the guest, read back from the disk (caches dropped): the same digest" \
    '[ "$(sed -n 2p <<<"$sums")" = "$host" ]' "$(tr '\n' ' ' <<<"$sums")"
! grep -Eq 'Oops|BUG:|WARNING:|Kernel panic|unhandled signal|segfault|I/O error|EXT4-fs error' <<<"$s"
check $? "destination: no oops, warning, panic, I/O or ext4 error"

type_line dst poweroff
end=$((SECONDS + TMO))
while kill -0 "$pid_dst" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
wait "$pid_dst" 2>/dev/null; rc=$?
check_that "destination: poweroff, exit status $rc" '[ $rc = 0 ] && grep -q "reboot: Power down" "$tmp/dst.ser"' "$(cat "$tmp/dst.err")"
# The source quits last: closing its (inactive) image must not write it.
hmp src quit >/dev/null 2>&1
end=$((SECONDS + 60))
while kill -0 "$pid_src" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
wait "$pid_src" 2>/dev/null; rc=$?
check_that "source: quit, exit status $rc" '[ $rc = 0 ]' "$(cat "$tmp/src.err")"
lib_pids=()

if command -v qemu-img >/dev/null 2>&1; then
    out=$(qemu-img check "$tmp/root.qcow2" 2>&1)
    check_that "qemu-img check: no errors, no leaks" '[[ $out == *"No errors were found"* ]]' "$out"
else
    skip "qemu-img check" "qemu-img not installed (qemu-utils)"
fi
"$IMG" convert -f qcow2 -O raw "$tmp/root.qcow2" "$tmp/raw.img"
check $? "amber-img convert: the image to raw"
d=$(debugfs -R "cat /data.txt" "$tmp/raw.img" 2>/dev/null | sha256sum | cut -c1-64)
check_that "the disk's /data.txt (debugfs) has the host's digest" '[ "$d" = "$host" ]' "$d"
e2fsck -fn "$tmp/raw.img" >"$tmp/fsck" 2>&1; rc=$?
check_that "e2fsck -fn: the ext4 is clean" '[ $rc = 0 ]' "$(tail -n 3 "$tmp/fsck" | tr '\n' ' ')"
echo "    total $((SECONDS - t0)) s"
echo "--- destination console (last lines) ---"; tail -n 12 <<<"$s" | sed 's/^/    /'
finish
