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
printf '\x07' | dd of="$tmp/flip.log" bs=1 seek=$(( $(stat -c %s "$tmp/rec.log") - 13 )) conv=notrunc 2>/dev/null
refused "an END event turned into an unknown kind is refused" 'unknown event kind 7' "${ARGS[@]}" -replay "$tmp/flip.log"
refused "a log of another machine names both configs" "recorded on a machine 'virt ram=134217728.*this one is 'virt ram=268435456" \
    "${ARGS[@]}" -m 256M -replay "$tmp/rec.log"
refused "host-clock mode refuses record/replay" 'host-clock mode' "${ARGS[@]}" -icount shift=auto -record "$tmp/x.log"
refused "rr=record without rrfile is refused" 'needs rrfile' "${ARGS[@]}" -icount 3,rr=record
finish
