#!/bin/bash
# Record and replay (doc/replay.md) of the project's Linux: a shell session
# typed over a FIFO into the serial console (UART receive interrupts), with
# a workload the timer drives (churn and spawn are preempted by timer
# ticks, uptime prints the jiffies the ticks counted, /proc/interrupts the
# timer and IPI counts) is recorded with -record; replays in new processes
# (with keys typed at them, which they must drop; once more on the other
# CPU back end) print the same serial output, boot log included, and end at
# the same position with the same state checksum. A second recording ends
# from the monitor (stop, pmemsave of all RAM, quit) with the guest still
# running: its replay pauses at the end of the log, where pmemsave gives
# the same RAM byte for byte. A log with one typed byte changed replays
# into another transcript and state; a log of another machine is refused.
# LINUX_SMP=N runs the guest on N harts (linux-replay-smp4.sh).
# Skipped with the reason when the kernel cannot be built here.
set -u
LINUX_TEST=${LINUX_TEST:-linux-replay}
. "$(dirname "$0")/linux-lib.inc"
linux_need_image
lib_tmpdir
pid=
at_exit '[ -n "$pid" ] && kill "$pid" 2>/dev/null; exec 3>&- 2>/dev/null'

common=(-M virt "${SMPARGS[@]}" -m 256M -nographic -bios "$FW" -kernel "$image" -append "console=ttyS0")
# The other back end than the default, for one replay.
if [ "${AMBER_JIT:-}" = off ]; then other=on; else other=off; fi

# start NAME ARGS...: amber in the background, stdin from the FIFO $tmp/NAME.in
# on fd 3, its monitor on $tmp/NAME.sock, output in $tmp/NAME.out/.err.
start() {
    local name=$1; shift
    mkfifo "$tmp/$name.in"
    timeout "$TMO" "$AMBER" -monitor "unix:$tmp/$name.sock,server,nowait" "$@" \
        <"$tmp/$name.in" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    exec 3>"$tmp/$name.in"
    cur=$tmp/$name.out
}
prompts() { tr -d '\r' <"$cur" | grep -c '^# '; }
wait_prompts() {   # wait_prompts N: until N prompts were printed (or amber ended)
    local end=$((SECONDS + TMO))
    while [ "$(prompts)" -lt "$1" ] && [ $SECONDS -lt $end ]; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ "$(prompts)" -ge "$1" ]
}
wait_exit() { wait "$pid"; local rc=$?; pid=; exec 3>&-; return $rc; }
cmds=("uptime" "churn 200" "uptime" "spawn 4" "echo typed while the timer ticks" "cat /proc/interrupts" "uptime")
type_cmds() {   # one command per prompt; a pause between (host time, not logged)
    local n=1 c
    wait_prompts 1 || return 1
    for c in "${cmds[@]}"; do
        sleep 0.2
        printf '%s\n' "$c" >&3
        n=$((n + 1))
        wait_prompts $n || return 1
    done
}
# "ended at position P (N events), state checksum C" at exit, or "end of the
# log at position P ..." where a replay pauses: the position and checksum.
end_line() { grep -o 'at position [0-9]* ([0-9]* events), state checksum [0-9a-f]*' "$1" | head -n 1; }

# ---- 1: a session that ends with poweroff ----
start rec "${common[@]}" -record "$tmp/rec.log"
type_cmds; tc=$?
printf 'poweroff\n' >&3
wait_exit; rc=$?
check_that "recorded session: ${#cmds[@]} commands typed, poweroff (exit status $rc)" "[ $tc = 0 ] && [ $rc = 0 ]"
out=$(tr -d '\r' <"$tmp/rec.out")
t1=$(grep -m1 '^uptime ' <<<"$out" | awk '{print $5}')
t3=$(grep '^uptime ' <<<"$out" | tail -n 1 | awk '{print $5}')
check_that "timer ticks counted while it ran (jiffies ${t1:-?} -> ${t3:-?})" "[ -n '$t1' ] && [ -n '$t3' ] && [ '$t3' -gt '$t1' ]"
grep -q '^sum 0x[0-9a-f]\{16\} round 200$' <<<"$out"; check $? "churn 200 ran"
grep -qx 'typed while the timer ticks' <<<"$out"; check $? "typed input reached the shell"
rec_end=$(end_line "$tmp/rec.err")
check_that "the recording reports its end position and state checksum ($rec_end)" "[ -n '$rec_end' ]"

# The replay: keys typed at it are dropped.
start rep "${common[@]}" -replay "$tmp/rec.log"
sleep 0.5
printf 'uptime\n' >&3
wait_exit; rc=$?
check $rc "replay: the guest powers off at the end of the log (exit status $rc)"
cmp -s "$tmp/rec.out" "$tmp/rep.out"
check $? "replay prints the same serial output ($(wc -l <"$tmp/rec.out") lines, boot log and timestamps included)"
rep_end=$(end_line "$tmp/rep.err")
check_that "replay ends at the same position with the same state checksum ($rep_end)" "[ -n '$rep_end' ] && [ '$rec_end' = '$rep_end' ]"
grep -q 'serial input comes from the log' "$tmp/rep.err"; check $? "replay says host input is dropped"

start rep2 -accel "tcg,jit=$other" "${common[@]}" -replay "$tmp/rec.log"
wait_exit; rc=$?
cmp -s "$tmp/rec.out" "$tmp/rep2.out" && [ "$(end_line "$tmp/rep2.err")" = "$rec_end" ]
check $? "replay with jit=$other: same output, same end ($(end_line "$tmp/rep2.err"))"

# ---- 2: a session ended from the monitor; RAM compared ----
ramsize=$((256 << 20))
start mrec "${common[@]}" -record "$tmp/m.log"
type_cmds; tc=$?
info=$(hmp mrec stop 'info replay' "pmemsave 0x80000000 $ramsize $tmp/rec.ram" quit)
check_that "info replay shows the recording ($(head -n 2 <<<"$info" | tr '\n' ' '))" \
    "grep -q \"^Recording execution '$tmp/m.log': instruction count = [1-9][0-9]*\$\" <<<\"\$info\" && grep -q '^[1-9][0-9]* events recorded\$' <<<\"\$info\""
wait_exit; rc=$?
check_that "second recording ended from the monitor (exit status $rc)" "[ $tc = 0 ] && [ $rc = 0 ] && [ -s '$tmp/rec.ram' ]"
mrec_end=$(end_line "$tmp/mrec.err")
start mrep "${common[@]}" -replay "$tmp/m.log"
end=$((SECONDS + TMO))
until [ -n "$(end_line "$tmp/mrep.err")" ] || [ $SECONDS -ge $end ] || ! kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
done
status=$(hmp mrep 'info status')
hmp mrep "pmemsave 0x80000000 $ramsize $tmp/rep.ram" quit >/dev/null
wait_exit
mrep_end=$(end_line "$tmp/mrep.err")
check_that "the replay pauses at the end of the log ($(tr -d '\n' <<<"$status"))" "grep -q paused <<<'$status'"
check_that "there: the same position and state checksum ($mrep_end)" "[ -n '$mrep_end' ] && [ '$mrec_end' = '$mrep_end' ]"
cmp -s "$tmp/rec.ram" "$tmp/rep.ram"; check $? "pmemsave of all $((ramsize >> 20)) MiB of RAM: the same bytes"
cmp -s "$tmp/mrec.out" "$tmp/mrep.out"; check $? "and the same serial output"
rm -f "$tmp/rec.ram" "$tmp/rep.ram"

# ---- checks that can fail: a changed log, another machine ----
# The first serial event's payload (the typed 'u' of "uptime") becomes 'v'.
off=$("$PY" - "$tmp/rec.log" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
off = 40 + struct.unpack('>I', b[12:16])[0]
while off < len(b):
    k = b[off]; ln = struct.unpack('>I', b[off + 9:off + 13])[0]
    if k == 1 and b[off + 13:off + 14] == b'u':
        print(off + 13); break
    off += 13 + ln
PY
)
cp "$tmp/rec.log" "$tmp/bad.log"
[ -n "$off" ] && printf 'v' | dd of="$tmp/bad.log" bs=1 seek="$off" conv=notrunc 2>/dev/null
start bad "${common[@]}" -replay "$tmp/bad.log"
sleep 1
end=$((SECONDS + TMO))
until [ -n "$(end_line "$tmp/bad.err")" ] || grep -q diverge "$tmp/bad.err" || [ $SECONDS -ge $end ] || ! kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
done
kill -0 "$pid" 2>/dev/null && hmp bad quit >/dev/null
wait_exit
bad_end=$(end_line "$tmp/bad.err")
tr -d '\r' <"$tmp/bad.out" | grep -q '^vptime: unknown command' && ! cmp -s "$tmp/rec.out" "$tmp/bad.out" &&
    [ "$bad_end" != "$rec_end" ]
check $? "a log with one typed byte changed replays into another transcript and state (${bad_end:-$(head -c 200 "$tmp/bad.err")})"
timeout 30 "$AMBER" -M virt "${SMPARGS[@]}" -m 512M -nographic -bios "$FW" -kernel "$image" -append "console=ttyS0" \
    -replay "$tmp/rec.log" </dev/null >"$tmp/o" 2>"$tmp/e"
rc=$?
check_that "a log replayed on a machine with more RAM is refused (exit status $rc)" \
    "[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'recorded on a machine' '$tmp/e'" "$(head -c 300 "$tmp/e")"
finish
