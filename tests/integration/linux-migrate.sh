#!/bin/bash
# Live migration of a running Linux (the project's guest kernel, see
# linux.sh) over tcp on a free loopback port, started while /init's `fp 8`
# children do double-precision work on every hart, then `churn` (every
# round rewrites 512 KiB: the pre-copy passes chase dirty pages;
# max-bandwidth 16M makes them last a while):
#  - the kernel command line (`-- sum ; fp 8 ; churn N ; instret ; uptime ; sum`)
#    runs the commands at the first prompt, so no host timing enters the run
#    until the last of them: with icount time, a run migrated in the middle
#    of `churn` must print, on the destination, exactly what a run that was
#    never migrated prints: the same checksums, the same instruction count
#    (`instret`) and the same uptime and timer ticks;
#  - the destination's shell answers a command typed after the migration,
#    with the reference run's answer to the same command;
#  - the source ends in `paused (postmigrate)`, `info migrate` says completed,
#    and its console stops before the end of `churn`; the source's console
#    followed by the destination's is, byte for byte, the unmigrated run's.
# The source is driven by a monitor batch (expect, migrate); the destination
# by its unix-socket monitor (hmp.py: expect, type).
# Skipped with the reason when the kernel cannot be built here.
set -u
LINUX_TEST=${LINUX_TEST:-linux-migrate}
. "$(dirname "$0")/linux-lib.inc"
# churn is the window the migration must land in: long enough to outlast a
# loaded host's migration now that `fp 8` (F/D in the JIT's host code) is
# over in a moment.
N=${LINUX_CHURN:-6000}
linux_need_image
if ! "$AMBER" -help 2>&1 | grep -A2 -- '-incoming' | grep -q 'tcp:'; then
    skip "$AMBER has no -incoming tcp:"; finish
fi

AMBER_KEEP_TMP=${AMBER_KEEP_TMP:-${KEEP:-}}
lib_tmpdir
dst_pid=
at_exit '[ -n "$dst_pid" ] && kill "$dst_pid" 2>/dev/null && wait "$dst_pid" 2>/dev/null'
cd "$tmp" || exit 1

common=(-icount sleep=off -M virt "${SMPARGS[@]}" -m 256M -bios "$FW" -kernel "$image"
        -append "console=ttyS0 -- sum ; fp 8 ; churn $N ; instret ; uptime ; sum")
hmp() { timeout $((TMO + 30)) $PY "$src/tests/integration/hmp.py" "$tmp/dst.sock" "$@"; }
show() { echo "    --- $1 (tail) ---"; tail -n 8 "$1" | sed 's/^/    /'; }
P='\r?\n# $'
r1=$((N + 1)) r2=$((N + 2)) r3=$((N + 3))

# ---- the reference: never migrated ----
cat >ref.cmd <<EOF
errexit on
expect "\bround $r2$P" $TMO
type "sum\n"
expect "\bround $r3$P"
quit
EOF
timeout $((TMO * 2)) "$AMBER" "${common[@]}" -serial file:ref.ser -monitor stdio <ref.cmd >ref.mon 2>ref.err
rc=$?
check $rc "reference run: boot, churn $N, a typed sum (status $rc)"
[ $rc = 0 ] || show ref.mon

# ---- source -> destination ----
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$AMBER" "${common[@]}" -serial file:dst.ser -monitor unix:dst.sock,server,nowait \
    -incoming "tcp:127.0.0.1:$port" >dst.out 2>dst.err &
dst_pid=$!
end=$((SECONDS + 60))
while [ ! -S dst.sock ] && [ $SECONDS -lt $end ] && kill -0 $dst_pid 2>/dev/null; do sleep 0.05; done
st=$(hmp "info status")
[ "$st" = "VM status: paused (inmigrate)" ]; check $? "destination waits: $st"

cat >src.cmd <<EOF
errexit on
migrate_set_parameter max-bandwidth 16M
expect "# fp 8\r?\n" $TMO
migrate tcp:127.0.0.1:$port
info status
info migrate
quit
EOF
timeout $((TMO * 2)) "$AMBER" "${common[@]}" -serial file:src.ser -monitor stdio <src.cmd >src.mon 2>src.err
rc=$?
check $rc "source: boot, migrate during churn $N (status $rc)"
[ $rc = 0 ] || { show src.mon; show src.err; }
grep -q '^Migration status: completed' src.mon; check $? "source: info migrate says completed"
grep -qx 'VM status: paused (postmigrate)' src.mon; check $? "source: info status says paused (postmigrate)"
echo "    $(grep -E '^(total time|downtime|transferred ram|dirty sync count):' src.mon | tr '\n' ' ')"
s=$(tr -d '\r' <src.ser)
grep -qx "# fp 8" <<<"$s" && ! grep -q "round $r1\$" <<<"$s"
check $? "the source's console stops after fp 8 began and before churn $N ended (no round $r1 there)"

end=$((SECONDS + TMO))
while [ "$(hmp "info status")" != "VM status: running" ] && [ $SECONDS -lt $end ] &&
      kill -0 $dst_pid 2>/dev/null; do sleep 0.05; done
hmp "expect \"\\bround $r2$P\" $TMO" 'type "sum\n"' "expect \"\\bround $r3$P\"" "info status" >dst.mon 2>&1
grep -q "^expect: matched .*round $r3" dst.mon && grep -qx 'VM status: running' dst.mon
rc=$?
check $rc "destination: churn finishes there, the shell answers a typed sum"
[ $rc = 0 ] || { show dst.mon; show dst.err; }
hmp quit >/dev/null 2>&1
wait $dst_pid 2>/dev/null
rc=$?; dst_pid=
check $rc "destination: quit, exit status $rc"
[ $rc = 0 ] || show dst.err

d=$(tr -d '\r' <dst.ser)
! grep -q 'Linux version' <<<"$d"; check $? "the destination did not boot: its console starts after the switchover"
cat src.ser dst.ser >both.ser
if [ -s dst.ser ] && cmp -s both.ser ref.ser; then
    pass "the source's console, then the destination's, = the unmigrated run's, byte for byte ($(wc -l <ref.ser) lines: boot, fp children, sums, instret, uptime)"
else
    fail "source + destination consoles differ from the unmigrated run's (< reference, > source+destination):"
    diff <(tr -d '\r' <ref.ser) <(tr -d '\r' <both.ser) | head -n 20
fi
grep -q '^instret [0-9]' <<<"$d" && grep -Eq '^uptime [0-9.]+ s ticks [1-9]' <<<"$d"
check $? "instruction count and timer ticks are among what matched: $(grep -E '^(instret|uptime)' <<<"$d" | tr '\n' ' ')"
echo "--- destination console ---"; sed 's/^/    /' <<<"$d"
finish
