#!/bin/bash
# -icount sleep=on (the default, as QEMU) paces the guest to the wall clock;
# sleep=off runs flat out. Virtual time still comes from the instruction
# count, so a guest without outside input must give the same transcript
# (monitor output with instret, serial output) either way:
#   - the demo guest, which waits in WFI for its 0.25 s timer ticks;
#   - the migtest guest, which never waits (a busy loop, markers every
#     100 ms of guest time): faster than real time unless paced.
# Lower bounds only on wall time (never an upper one): 1 s of guest time
# takes at least 0.9 s with sleep=on, and with no -icount at all.
. "$(dirname "$0")/lib.sh"
g=$guests
demo=$g/demo/demo.elf migtest=$g/migtest/migtest.elf
if [ ! -f "$demo" ] || [ ! -f "$migtest" ]; then
    skip_all "guest ELFs not built (no RISC-V cross compiler?)"
fi
lib_tmpdir
now_ms() { date +%s%3N; }

# run NAME ELF CMDS [amber args...]: $NAME.mon, $NAME.serial, $NAME.ms (wall time)
run() {
    local name=$1 elf=$2 cmds=$3
    shift 3
    local t0
    t0=$(now_ms)
    printf '%s\n' "$cmds" | timeout 60 "$AMBER" -M virt -m 64M -bios none -kernel "$elf" -S \
        -monitor stdio -serial "file:$tmp/$name.serial" "$@" >"$tmp/$name.mon" 2>"$tmp/$name.err"
    echo $? >"$tmp/$name.rc"
    echo $(($(now_ms) - t0)) >"$tmp/$name.ms"
}
same() {   # same A B WHAT
    cmp -s "$tmp/$1.mon" "$tmp/$2.mon" && cmp -s "$tmp/$1.serial" "$tmp/$2.serial" &&
        [ "$(cat "$tmp/$1.rc")" = 0 ] && [ "$(cat "$tmp/$2.rc")" = 0 ] &&
        grep -q '^[0-9]\{4,\}$' "$tmp/$1.mon" && [ -s "$tmp/$1.serial" ]
    check $? "$3: same transcript and serial output, sleep=on and sleep=off ($(tail -n 1 "$tmp/$1.mon" | tr -d '\n'))"
}
at_least() {   # at_least NAME MS WHAT
    local ms
    ms=$(cat "$tmp/$1.ms")
    [ "$ms" -ge "$2" ]
    check $? "$3 took $ms ms of wall time (at least $2)"
}

# The demo guest: tick 4 is 1 s of guest time, spent mostly in WFI.
demo_cmds='expect -v "tick +4 " 30
stop
info status
p/d $instret'
run demo-on "$demo" "$demo_cmds" -icount shift=3,sleep=on
run demo-off "$demo" "$demo_cmds" -icount shift=3,sleep=off
run demo-default "$demo" "$demo_cmds"
same demo-on demo-off "WFI guest"
same demo-default demo-off "WFI guest, default -icount"
at_least demo-on 900 "WFI guest, 1 s of guest time, sleep=on,"
at_least demo-default 900 "WFI guest, 1 s of guest time, no -icount option,"
echo "     (sleep=off: $(cat "$tmp/demo-off.ms") ms)"

# The migtest guest: marker 10 is 1 s of guest time, never idle.
mig_cmds='expect -v "B 10 " 30
stop
p/d $instret'
run mig-on "$migtest" "$mig_cmds" -append mb=4 -icount shift=3,sleep=on
run mig-off "$migtest" "$mig_cmds" -append mb=4 -icount shift=3,sleep=off
same mig-on mig-off "busy guest"
at_least mig-on 900 "busy guest, 1 s of guest time, sleep=on,"
echo "     (sleep=off: $(cat "$tmp/mig-off.ms") ms)"

# Host events while the guest waits in WFI (a second monitor asked every
# 20 ms) end the paced waits early; the guest must not notice: same
# transcript as sleep=off, and its ticks are not held back.
if command -v socat >/dev/null 2>&1; then
    sock=$tmp/m.sock
    (
        for _ in $(seq 1 250); do [ -S "$sock" ] && break; sleep 0.02; done
        for _ in $(seq 1 100); do echo "info status"; sleep 0.02; done |
            socat -t 1 - "UNIX-CONNECT:$sock" >"$tmp/asker.out" 2>&1
    ) &
    asker=$!
    run demo-asked "$demo" "$demo_cmds" -icount sleep=on -monitor "unix:$sock,server,nowait"
    kill "$asker" 2>/dev/null; wait "$asker" 2>/dev/null
    answers=$(grep -c 'VM status: running' "$tmp/asker.out")
    [ "$answers" -ge 10 ]
    check $? "the second monitor was answered while the guest ran paced ($answers answers)"
    same demo-asked demo-off "WFI guest with a monitor asking every 20 ms"
    # Relative to the same run without the asker (a stall, not a speed
    # check): each early wake used to throw the waited time away.
    ms=$(cat "$tmp/demo-asked.ms") quiet=$(cat "$tmp/demo-on.ms")
    [ "$ms" -lt $((2 * quiet + 500)) ]
    check $? "its 1 s of guest time was not stretched by the host events ($ms ms, $quiet ms without)"
else
    echo "SKIP host events during WFI: socat not installed"
fi

finish
