#!/bin/bash
# -record with -reverse (doc/replay.md): the demo guest recorded with
# checkpoints on and keys typed at it replays in a new process to the same
# transcript, position and state checksum (the history and the log take the
# same inputs). Recorded under gdb-multiarch, going back with
# reverse-continue ends the recording at the furthest position reached (said
# on stderr); the log stays valid: its replay runs to that END and pauses
# there with the position the recording named.
. "$(dirname "$0")/lib.sh"
elf=$guests/demo/demo.elf
need_elf "$elf"
need_amber
lib_tmpdir
ARGS=(-M virt -bios none -nographic -kernel "$elf")
pid=
at_exit '[ -n "$pid" ] && kill $pid 2>/dev/null; exec 3>&-'
ticks() { tr -d '\r' <"$1" | grep -c '^tick '; }
wait_ticks() {   # wait_ticks FILE N
    local end=$((SECONDS + 30))
    while [ "$(ticks "$1")" -lt "$2" ] && [ $SECONDS -lt $end ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
}

mkfifo "$tmp/in"
timeout 60 "$AMBER" "${ARGS[@]}" -reverse on,interval=300000 -record "$tmp/rec.log" \
    <"$tmp/in" >"$tmp/out1" 2>"$tmp/err1" &
pid=$!
exec 3>"$tmp/in"
wait_ticks "$tmp/out1" 2
printf 'k' >&3
wait_ticks "$tmp/out1" 4
printf 'q' >&3
wait $pid; rc=$?; pid=
exec 3>&-
check $rc "-record with -reverse on: the guest exits 0 after 'q'"
grep -q "^you typed: 'k'" <(tr -d '\r' <"$tmp/out1"); check $? "the guest saw the key typed at the recording"
rec_end=$(grep -o 'record of .*' "$tmp/err1")
timeout 60 "$AMBER" "${ARGS[@]}" -replay "$tmp/rec.log" </dev/null >"$tmp/out2" 2>"$tmp/err2"
check $? "its replay ends with status 0"
cmp -s "$tmp/out1" "$tmp/out2"; check $? "the replay prints the same transcript ($(wc -l <"$tmp/out1") lines)"
rep_end=$(grep -o 'replay of .*' "$tmp/err2")
[ -n "$rec_end" ] && [ "${rec_end#record}" = "${rep_end#replay}" ]
check $? "and ends at the same position with the same state checksum ($rep_end)"

if ! command -v gdb-multiarch >/dev/null 2>&1; then
    skip "going back during a recording" "gdb-multiarch not installed (apt-get install gdb-multiarch)"
    finish
fi
sock=$tmp/gdb.sock
"$AMBER" "${ARGS[@]}" -reverse on,interval=300000 -record "$tmp/rec2.log" -S \
    -gdb "unix:$sock,server" </dev/null >"$tmp/out3" 2>"$tmp/err3" &
pid=$!
end=$((SECONDS + 10))
while [ ! -S "$sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
printf 'set pagination off\ntarget remote %s\nbreak trap_handler\ncontinue\ncontinue\ncontinue\nreverse-continue\nkill\n' \
    "$sock" >"$tmp/g.cmd"
timeout 120 gdb-multiarch -nx -batch -x "$tmp/g.cmd" "$elf" >"$tmp/g.out" 2>&1
kill $pid 2>/dev/null; wait $pid 2>/dev/null; pid=
went=$(grep -o 'record of .*reverse execution went back.*' "$tmp/err3")
[ -n "$went" ]; check $? "going back during the recording ends it ($went)"
at=$(sed -n 's/.*ended at position \([0-9]*\) .*went back.*/\1/p' "$tmp/err3")
timeout 60 "$AMBER" "${ARGS[@]}" -replay "$tmp/rec2.log" -monitor none </dev/null >"$tmp/out4" 2>"$tmp/err4" &
pid=$!
end=$((SECONDS + 30))
while ! grep -q 'end of the log' "$tmp/err4" && [ $SECONDS -lt $end ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
kill $pid 2>/dev/null; wait $pid 2>/dev/null; pid=
[ -n "$at" ] && grep -q "end of the log at position $at " "$tmp/err4"
check $? "the log it left replays to that position and pauses there ($(grep -o 'end of the log at position [0-9]*' "$tmp/err4"))"
finish
