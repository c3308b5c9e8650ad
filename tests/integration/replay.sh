#!/bin/bash
# Record and replay (doc/replay.md) with the demo guest (timer ticks, WFI,
# UART receive interrupts): a session typed into over a FIFO, with a
# system_reset from the monitor in the middle, is recorded; a replay in a
# new process, with no input of its own (and with keys typed at it, which
# it must ignore), prints the same transcript and ends at the same
# position with the same state checksum (RAM and registers). Bad logs
# (truncated, wrong magic, bit-flipped, recorded on another machine) and
# host-clock mode are refused with a message that says what is wrong.
. "$(dirname "$0")/lib.sh"
elf=$guests/demo/demo.elf
need_elf "$elf"
need_amber
lib_tmpdir
ARGS=(-M virt -bios none -nographic -kernel "$elf")
mkfifo "$tmp/in"
pid=
at_exit '[ -n "$pid" ] && kill $pid 2>/dev/null; exec 3>&-'
timeout 60 "$AMBER" "${ARGS[@]}" -record "$tmp/rec.log" <"$tmp/in" >"$tmp/out1" 2>"$tmp/err1" &
pid=$!
exec 3>"$tmp/in"
ticks() { tr -d '\r' <"$1" | grep -c '^tick '; }
wait_ticks() {   # wait_ticks FILE N
    local end=$((SECONDS + 30))
    while [ "$(ticks "$1")" -lt "$2" ] && [ $SECONDS -lt $end ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
}
wait_ticks "$tmp/out1" 3
printf 'x' >&3
wait_ticks "$tmp/out1" 5
printf 'yz' >&3
wait_ticks "$tmp/out1" 6
# Ctrl-A c: the monitor; a reset the log must carry; back to the guest.
printf '\001csystem_reset\n\001c' >&3
sleep 0.3
wait_ticks "$tmp/out1" 3
printf 'ab' >&3
sleep 0.4
printf 'q' >&3
wait $pid; rc=$?; pid=
exec 3>&-
check $rc "recorded session: the guest exits 0 after 'q'"
[ -n "${RR_KEEP:-}" ] && cp "$tmp"/out1 "$tmp"/rec.log "$RR_KEEP"/
rec_end=$(grep -o 'record of .*' "$tmp/err1")
[ -n "$rec_end" ]; check $? "recording reports its end position and state checksum ($rec_end)"
tr -d '\r' <"$tmp/out1" | grep -q "^you typed: 'a'"; check $? "the guest saw input typed after the reset"

events=$("$PY" - "$tmp/rec.log" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
off = 40 + struct.unpack('>I', b[12:16])[0]
kinds = []
while off < len(b):
    k = b[off]; ln = struct.unpack('>I', b[off + 9:off + 13])[0]
    kinds.append(k); off += 13 + ln
print(' '.join(map(str, kinds)))
PY
)
grep -q ' 2 ' <<<" $events " && grep -q ' 1 ' <<<" $events " && [ "${events##* }" = 255 ]
check $? "the log holds serial input, the reset and END (kinds: $events)"

# The replay: keys typed at it are dropped (the log drives the guest).
mkfifo "$tmp/in2"
timeout 60 "$AMBER" "${ARGS[@]}" -replay "$tmp/rec.log" <"$tmp/in2" >"$tmp/out2" 2>"$tmp/err2" &
pid=$!
exec 3>"$tmp/in2"
sleep 0.5
printf 'k' >&3
wait $pid; rc=$?; pid=
exec 3>&-
check $rc "replay: the guest exits 0 at the end of the log"
# The recording's stdout also holds the monitor's lines (Ctrl-A c): the
# guest's lines end in \r\n, the monitor's do not.
guest_lines() { sed 's/^(amber) //' "$1" | grep $'\r$'; }
guest_lines "$tmp/out1" >"$tmp/g1"
guest_lines "$tmp/out2" >"$tmp/g2"
[ -s "$tmp/g1" ] && cmp -s "$tmp/g1" "$tmp/g2"
check $? "replay prints the same serial transcript ($(wc -l <"$tmp/g1") guest lines)"
rep_end=$(grep -o 'replay of .*' "$tmp/err2")
[ "${rec_end#record}" = "${rep_end#replay}" ]
check $? "replay ends at the same position with the same state checksum ($rep_end)"
grep -q 'serial input comes from the log' "$tmp/err2"; check $? "replay says host input is dropped"

# QEMU's spelling, in a third process.
timeout 60 "$AMBER" "${ARGS[@]}" -icount shift=3,rr=replay,rrfile="$tmp/rec.log" </dev/null \
    >"$tmp/out3" 2>"$tmp/err3"
cmp -s "$tmp/out2" "$tmp/out3"; check $? "-icount shift=3,rr=replay,rrfile= replays the same transcript"

refused() {   # refused NAME PATTERN ARGS...: amber exits non-zero saying PATTERN
    local name=$1 pat=$2
    shift 2
    timeout 20 "$AMBER" "$@" </dev/null >"$tmp/o" 2>"$tmp/e"
    local rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q -- "$pat" "$tmp/e"; then
        pass "$name"
    else
        fail "$name" "status $rc: $(head -c 300 "$tmp/e")"
    fi
}
head -c 100 "$tmp/rec.log" >"$tmp/trunc.log"
refused "a truncated log is refused at its offset" 'offset .*: truncated event\|offset .*the file ends\|no end event' \
    "${ARGS[@]}" -replay "$tmp/trunc.log"
printf 'NOTALOG-0000000000000000000000000000000000000000000' >"$tmp/magic.log"
refused "a file without the magic is refused" "not an Amber record/replay log" "${ARGS[@]}" -replay "$tmp/magic.log"
cp "$tmp/rec.log" "$tmp/flip.log"
printf '\x2a' | dd of="$tmp/flip.log" bs=1 seek=$(( $(stat -c %s "$tmp/rec.log") - 13 )) conv=notrunc 2>/dev/null
refused "an END event turned into an unknown kind is refused" 'unknown event kind 42' "${ARGS[@]}" -replay "$tmp/flip.log"
refused "a log of another machine names both configs" "recorded on a machine 'virt ram=134217728.*this one is 'virt ram=268435456" \
    "${ARGS[@]}" -m 256M -replay "$tmp/rec.log"
refused "host-clock mode refuses record/replay" 'host-clock mode' "${ARGS[@]}" -icount shift=auto -record "$tmp/x.log"
refused "rr=record without rrfile is refused" 'needs rrfile' "${ARGS[@]}" -icount 3,rr=record

# ---- reverse execution of the replay in gdb (-replay with -reverse) ----
# The recorded session (typed keys, a reset) is replayed stopped at reset
# with checkpoints; gdb runs it forward to the 12th trap (timer ticks and
# the typed keys' UART interrupts), then reverse-continues to each earlier
# trap: every one has the registers and globals the forward run had there,
# also across the keys the log gave and the logged reset; continuing from
# there replays the log again and meets the forward run's traps. 60 stepi then 60 reverse-stepi give
# the registers back in reverse order; a forward-only replay (no -reverse)
# stops at the same 12 traps with the same state.
if ! command -v gdb-multiarch >/dev/null 2>&1; then
    skip "reverse execution of a replay in gdb" "gdb-multiarch not installed (apt-get install gdb-multiarch)"
    finish
fi
sock=$tmp/gdb.sock
rr_gdb() {   # rr_gdb NAME CMDFILE EXTRA-ARGS...: a replay stopped at reset, gdb through CMDFILE
    local name=$1 cmd=$2
    shift 2
    rm -f "$sock"
    timeout 300 "$AMBER" "${ARGS[@]}" -replay "$tmp/rec.log" -S -gdb "unix:$sock,server" "$@" \
        </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    local end=$((SECONDS + 10))
    while [ ! -S "$sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
    timeout 240 gdb-multiarch -nx -batch -x "$cmd" "$elf" >"$tmp/$name.gdb" 2>&1
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    pid=
}
regs='%lx %lx %lx %lx %lx %lu %lu %lu\n", $pc, $sp, $ra, $a0, $a5, (unsigned long)ticks, (unsigned long)typed, (unsigned long)rx_head'
{
    echo "set pagination off"
    echo "target remote $sock"
    echo "break trap_handler"
    for i in $(seq 12); do echo "continue"; echo "printf \"H $regs"; done
} >"$tmp/fwd.cmd"
{
    cat "$tmp/fwd.cmd"
    for i in $(seq 10); do echo "reverse-continue"; echo "printf \"B $regs"; done
    for i in $(seq 5); do echo "continue"; echo "printf \"C $regs"; done
    echo "delete"
    for i in $(seq 60); do echo "printf \"F $regs"; echo "stepi"; done
    echo "printf \"F $regs"
    for i in $(seq 60); do echo "reverse-stepi"; echo "printf \"R $regs"; done
    echo "kill"
} >"$tmp/rev.cmd"
echo kill >>"$tmp/fwd.cmd"
rr_gdb fwd "$tmp/fwd.cmd"
rr_gdb rev "$tmp/rev.cmd" -reverse on,interval=300000
grep '^H ' "$tmp/fwd.gdb" >"$tmp/h-fwd"
grep '^H ' "$tmp/rev.gdb" >"$tmp/h-rev"
[ "$(wc -l <"$tmp/h-fwd")" = 12 ] && [ "$(awk '{ print $8 }' "$tmp/h-fwd" | sort -u | wc -l)" -gt 1 ] &&
    cmp -s "$tmp/h-fwd" "$tmp/h-rev"
check $? "replay with -reverse on: 12 traps forward, the same as a replay without it (typed up to $(tail -n 1 "$tmp/h-fwd" | awk '{ print $8 }'))"
# the reset stops gdb too (at 0x1000): reverse-continue passes it
grep -v '^H 1000 ' "$tmp/h-rev" | head -n 10 | tac >"$tmp/h-back"
grep '^B ' "$tmp/rev.gdb" | sed 's/^B/H/' >"$tmp/b"
[ "$(wc -l <"$tmp/b")" = 10 ] && cmp -s "$tmp/h-back" "$tmp/b"
check $? "reverse-continue through the replay: each earlier trap with the forward run's registers and globals" \
    "$(diff "$tmp/h-back" "$tmp/b" | head -n 4 | tr '\n' '|')"
grep -v '^H 1000 ' "$tmp/h-rev" | sed -n 2,6p >"$tmp/h-again"
grep '^C ' "$tmp/rev.gdb" | sed 's/^C/H/' >"$tmp/c"
[ "$(wc -l <"$tmp/c")" = 5 ] && [ "$(tail -n 1 "$tmp/c" | awk '{ print $8 }')" != 0 ] && cmp -s "$tmp/h-again" "$tmp/c"
check $? "continue from the past follows the log again (its cursor went back): the forward run's next 5 traps, typed keys included"
grep '^F ' "$tmp/rev.gdb" >"$tmp/f"
grep '^R ' "$tmp/rev.gdb" | sed 's/^R/F/' >"$tmp/r"
head -n 60 "$tmp/f" | tac >"$tmp/f-rev"
[ "$(wc -l <"$tmp/f")" = 61 ] && cmp -s "$tmp/f-rev" "$tmp/r"
check $? "60 stepi then 60 reverse-stepi in the replay (in the trap handler) give the registers back in reverse order" \
    "$(grep -i 'error\|E05' "$tmp/rev.gdb" | head -n 2 | tr '\n' '|')"
finish
