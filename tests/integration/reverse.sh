#!/bin/bash
# Reverse execution through Debian's gdb-multiarch in batch mode, on the
# stub's test guest (tests/guest/gdb): 1000 stepi forward then 1000
# reverse-stepi give back every pc and register file in reverse order;
# reverse-continue returns to the previous hit of a breakpoint with the
# globals as they were there; watch + reverse-continue stops at the last
# write of the variable (gdb prints the value before it); and at the start
# of history gdb says "No more reverse-execution history." Also: bs/bc
# without -reverse get an error, and -reverse refuses host-clock mode.
. "$(dirname "$0")/lib.sh"
elf=$guests/gdb/gdb-guest.elf
need_elf "$elf"
need_amber
need_cmd gdb-multiarch gdb-multiarch
lib_tmpdir
pid=
at_exit '[ -n "$pid" ] && kill $pid 2>/dev/null'
sock=$tmp/gdb.sock
start() {   # start EXTRA-ARGS...: amber stopped at reset, gdb on $sock
    rm -f "$sock"
    "$AMBER" -M virt -bios none -nographic -kernel "$elf" -S -gdb "unix:$sock,server" "$@" \
        </dev/null >"$tmp/amber.out" 2>"$tmp/amber.err" &
    pid=$!
    local end=$((SECONDS + 10))
    while [ ! -S "$sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
}
run_gdb() {   # run_gdb CMDFILE OUT
    timeout 120 gdb-multiarch -nx -batch -x "$1" "$elf" >"$2" 2>&1
}
stop() {
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    pid=
}

# ---- 1000 steps forward, 1000 back ----
start -reverse on,interval=400
{
    echo "set pagination off"
    echo "target remote $sock"
    echo "break bump"
    echo "continue"
    echo "delete"
    for i in $(seq 1000); do echo 'printf "F %lx %lx %lx %lx %lx\n", $pc, $sp, $ra, $a0, $a5'; echo "stepi"; done
    echo 'printf "F %lx %lx %lx %lx %lx\n", $pc, $sp, $ra, $a0, $a5'
    for i in $(seq 1000); do echo "reverse-stepi"; echo 'printf "R %lx %lx %lx %lx %lx\n", $pc, $sp, $ra, $a0, $a5'; done
    echo "kill"
} >"$tmp/steps.cmd"
run_gdb "$tmp/steps.cmd" "$tmp/steps.out"
grep '^F ' "$tmp/steps.out" >"$tmp/f"
grep '^R ' "$tmp/steps.out" | sed 's/^R/F/' >"$tmp/r"
head -n 1000 "$tmp/f" | tac >"$tmp/f-rev"
[ "$(wc -l <"$tmp/f")" = 1001 ] && [ "$(sort -u "$tmp/f" | wc -l)" -gt 100 ]
check $? "1000 stepi forward ($(sort -u "$tmp/f" | wc -l) distinct register sets)"
cmp -s "$tmp/f-rev" "$tmp/r"
check $? "1000 reverse-stepi give back the forward pcs and registers in reverse order"
stop

# ---- reverse-continue to breakpoints, watch + reverse-continue ----
start -reverse on,interval=5000
cat >"$tmp/rc.cmd" <<EOF
set pagination off
target remote $sock
break touch
continue
continue
continue
printf "AT3 counter=%lu watched=%lu\n", counter, watched
reverse-continue
printf "BACK1 counter=%lu watched=%lu\n", counter, watched
reverse-continue
printf "BACK2 counter=%lu watched=%lu\n", counter, watched
continue
printf "FWD counter=%lu watched=%lu\n", counter, watched
delete
watch watched
continue
printf "WRITE counter=%lu watched=%lu\n", counter, watched
reverse-continue
printf "LASTWRITE counter=%lu watched=%lu pc=%lx\n", counter, watched, \$pc
x/i \$pc
reverse-continue
printf "LASTWRITE2 counter=%lu watched=%lu\n", counter, watched
delete
reverse-continue
printf "BEGIN pc=%lx counter=%lu\n", \$pc, counter
kill
EOF
run_gdb "$tmp/rc.cmd" "$tmp/rc.out"
got() { grep -o "^$1 .*" "$tmp/rc.out" | head -n 1; }
# touch() runs at i = 10, 20, 30: counter 55, 210, 465; watched before it 0, 110, 420.
[ "$(got AT3)" = "AT3 counter=465 watched=420" ]; check $? "three breakpoint hits forward ($(got AT3))"
[ "$(got BACK1)" = "BACK1 counter=210 watched=110" ]; check $? "reverse-continue: the previous hit, globals as they were ($(got BACK1))"
[ "$(got BACK2)" = "BACK2 counter=55 watched=0" ]; check $? "reverse-continue again ($(got BACK2))"
[ "$(got FWD)" = "FWD counter=210 watched=110" ]; check $? "continue forward from the past ($(got FWD))"
[ "$(got WRITE)" = "WRITE counter=210 watched=420" ]; check $? "watch: the write forward ($(got WRITE))"
[ "$(got LASTWRITE | cut -d' ' -f1-3)" = "LASTWRITE counter=210 watched=110" ]
check $? "watch + reverse-continue: at the last write, the value before it ($(got LASTWRITE))"
grep -A1 '^LASTWRITE ' "$tmp/rc.out" | grep -q 'sd\|sw'
check $? "the instruction there is the store ($(grep -A1 '^LASTWRITE ' "$tmp/rc.out" | tail -n 1))"
[ "$(got LASTWRITE2)" = "LASTWRITE2 counter=55 watched=0" ]; check $? "and the write before that ($(got LASTWRITE2))"
grep -q "No more reverse-execution history" "$tmp/rc.out"; check $? "reverse-continue with nothing to hit ends at the start of history"
grep -q "^BEGIN pc=1000 counter=0" "$tmp/rc.out"; check $? "the start of history is the reset state ($(got BEGIN))"
stop

# ---- refusals ----
start
printf 'set pagination off\ntarget remote %s\nstepi\nreverse-stepi\nkill\n' "$sock" >"$tmp/no.cmd"
run_gdb "$tmp/no.cmd" "$tmp/no.out"
grep -qi "does not support\|not supported\|cannot\|E01" "$tmp/no.out"
check $? "without -reverse, reverse-stepi is refused ($(grep -i 'support\|cannot\|E01' "$tmp/no.out" | head -n 1))"
stop
"$AMBER" -M virt -bios none -nographic -kernel "$elf" -icount shift=auto -reverse on </dev/null >/dev/null 2>"$tmp/err"
grep -q "host-clock mode" "$tmp/err"; check $? "-reverse refuses host-clock mode ($(head -c 120 "$tmp/err"))"
finish
