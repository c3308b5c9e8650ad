#!/bin/bash
# The demo guest on $AMBER: waits for a few status lines, types "x" (must
# be echoed) and then "q" (must exit 0); the tick counter and the buffer
# checksum must change from line to line. (This is the guest alone; the
# tour of `make demo`, scripts/demo.sh, is tested by demo-tour.sh.)
. "$(dirname "$0")/lib.sh"
elf=$guests/demo/demo.elf
need_elf "$elf"
need_amber
lib_tmpdir
pid=
at_exit '[ -n "$pid" ] && kill $pid 2>/dev/null; exec 3>&-'
mkfifo "$tmp/in"
timeout 60 "$AMBER" -M virt -bios none -nographic -kernel "$elf" <"$tmp/in" >"$tmp/out" 2>&1 &
pid=$!
exec 3>"$tmp/in"
count_ticks() { tr -d '\r' <"$tmp/out" | grep -c '^tick '; }
wait_ticks() {   # wait_ticks N SECONDS
    local end=$((SECONDS + $2))
    while [ "$(count_ticks)" -lt "$1" ] && [ $SECONDS -lt $end ] && kill -0 $pid 2>/dev/null; do sleep 0.1; done
    [ "$(count_ticks)" -ge "$1" ]
}
wait_ticks 4 30; check $? "demo printed 4 status lines"
printf 'x' >&3
wait_ticks 6 15; check $? "demo keeps ticking"
tr -d '\r' <"$tmp/out" | grep -q "^you typed: 'x'"; check $? "typed key echoed"
printf 'q' >&3
end=$((SECONDS + 15))
while kill -0 $pid 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
    check 1 "demo exits after 'q'"
else
    wait $pid; rc=$?; pid=
    check "$rc" "demo exited with status 0 after 'q' (got $rc)"
fi
out=$(tr -d '\r' <"$tmp/out")
ticks=$(grep '^tick ' <<<"$out" | awk '{print $2}' | head -n 6 | tr '\n' ' ')
[ "$ticks" = "1 2 3 4 5 6 " ]; check $? "tick counter counts 1..6 (got: $ticks)"
sums=$(grep '^tick ' <<<"$out" | awk '{print $3}' | sort -u | wc -l)
lines=$(grep -c '^tick ' <<<"$out")
[ "$sums" -eq "$lines" ] && [ "$lines" -ge 6 ]; check $? "checksum changes every line ($sums distinct in $lines lines)"
grep '^tick ' <<<"$out" | awk '{print $5,$6}' | head -n 3 | sort -u | wc -l | grep -q '^3$'; check $? "animation frames differ"
grep -q '^tick .*typed=1' <<<"$out"; check $? "status line counts the typed key"
echo "--- demo output ---"; head -n 12 <<<"$out"
finish
