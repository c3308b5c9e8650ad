#!/bin/bash
# A socket monitor client that sends and never reads its answers must not
# stall the guest (doc/monitor.md): output waits in a bounded queue and the
# client is disconnected past the bound, saying so on stderr. Then a normal
# client still works, and one large answer (over the bound, in one command)
# reaches a client that reads it after closing its side.
. "$(dirname "$0")/lib.sh"
need_amber
elf=$guests/demo/demo.elf
need_elf "$elf"
need_cmd socat
lib_tmpdir
check() { check_that "$1" "$2" "${3:-condition false}"; }
ticks() { grep -c '^tick' "$tmp/serial.txt"; }

# sleep=off: the demo ticks as fast as the host runs it, so a stall shows.
"$AMBER" -M virt -bios none -kernel "$elf" -icount shift=3,sleep=off -serial "file:$tmp/serial.txt" \
    -monitor "unix:$tmp/m.sock,server,nowait" >/dev/null 2>"$tmp/err" &
apid=$!; lib_pids+=($apid)
end=$((SECONDS + 30)); while [ ! -S "$tmp/m.sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done

# 3000 'info registers' (about 4.5 MB of answers); socat -u never reads.
# Its connection stays open (socat -u notices the close only when it
# writes again), so only the bound can end it.
python3 -c 'import sys; sys.stdout.write("info registers\n" * 3000)' >"$tmp/regs.in"
(cat "$tmp/regs.in"; sleep 20) | timeout 25 socat -u - "UNIX-CONNECT:$tmp/m.sock" &
spid=$!; lib_pids+=($spid)
sleep 1
t1=$(ticks); sleep 2; t2=$(ticks)
check guest-keeps-ticking '[ $((t2 - t1)) -gt 50 ]' "ticks $t1 -> $t2 in 2 s"
end=$((SECONDS + 10)); while ! grep -q disconnected "$tmp/err" && [ $SECONDS -lt $end ]; do sleep 0.05; done
check over-bound-disconnected 'grep -q "monitor0 (unix:$tmp/m.sock,server,nowait): client disconnected: the client did not read its output (.* bytes waiting, limit 1024 KiB)" "$tmp/err"' \
    "$(cat "$tmp/err")"
kill $spid 2>/dev/null

out=$(printf 'info status\n' | timeout 10 socat -t 5 - "UNIX-CONNECT:$tmp/m.sock" 2>&1)
check next-client-works '[[ $out == *"VM status: running"* ]]' "$out"

# One command answering 2.5 MB (over the 1 MiB bound, one command's answer
# is kept whole); the client sends, closes its side, then reads it all.
n=$(printf 'x/160000xg 0x80000000\n' | timeout 20 socat -t 10 - "UNIX-CONNECT:$tmp/m.sock" 2>&1 |
    grep -cE '[0-9a-f]{16}: 0x[0-9a-f]{16} 0x[0-9a-f]{16}$')
check large-answer-whole '[ "$n" = 80000 ]' "$n lines of 80000"
check no-other-drop '[ $(grep -c disconnected "$tmp/err") = 1 ]' "$(cat "$tmp/err")"

t1=$(ticks); sleep 0.5; t2=$(ticks)
check guest-still-ticking '[ $t2 -gt $t1 ]' "ticks $t1 -> $t2"
printf 'quit\n' | timeout 10 socat -t 5 - "UNIX-CONNECT:$tmp/m.sock" >/dev/null 2>&1
wait $apid; rc=$?
check quit '[ $rc = 0 ]' "status $rc"

finish
