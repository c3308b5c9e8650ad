#!/bin/bash
# Monitor transports: unix and tcp socket monitors (two at once), one
# answering while the other waits in expect, cancelling with SIGINT and with
# a 0x03 byte, waiting for a client, serial on a unix socket and in a file,
# the -nographic mux keys over a pipe, an over-long line, and option errors.
. "$(dirname "$0")/lib.sh"
elf=$guests/demo/demo.elf
need_elf "$elf"
need_cmd socat socat
lib_tmpdir
pids=()
at_exit 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; exec 3>&- 2>/dev/null'
# wait_for FILE PATTERN: until the pattern shows up (or 30 s pass)
wait_for() {
    local end=$((SECONDS + 30))
    while ! grep -q -- "$2" "$1" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.05; done
    grep -q -- "$2" "$1" 2>/dev/null
}
# mon SOCKETADDR COMMANDS: one client session; prints what the monitor said
mon() { printf '%b' "$2" | timeout 30 socat -t 5 - "$1" 2>&1; }

# ---- two socket monitors at once ----
port=$(free_port)
"$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -S -serial null \
    -monitor "unix:$tmp/m.sock,server,nowait" -monitor "tcp:127.0.0.1:$port,server,nowait" \
    >"$tmp/a.out" 2>&1 &
apid=$!; pids+=($apid)
end=$((SECONDS + 30)); while [ ! -S "$tmp/m.sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
out=$(mon "UNIX-CONNECT:$tmp/m.sock" 'info status\ncont\ninfo status\n')
check_that unix-banner '[[ $out == *"monitor - type '"'help'"' for more information"* ]]' "$out"
check_that unix-prelaunch '[[ $out == *"VM status: paused (prelaunch)"* ]]' "$out"
check_that unix-running '[[ $out == *"(amber) VM status: running"* ]]' "$out"
out=$(mon "TCP:127.0.0.1:$port" 'info chardev\n')
check_that tcp-chardev '[[ $out == *"monitor0: filename=unix:$tmp/m.sock,server,nowait"* && $out == *"monitor1: filename=tcp:127.0.0.1:$port,server,nowait"* ]]' "$out"

# A client that waits in expect; the other monitor still answers.
mkfifo "$tmp/w.in"
socat -t 30 - "UNIX-CONNECT:$tmp/m.sock" <"$tmp/w.in" >"$tmp/w.out" 2>&1 &
pids+=($!)
exec 3>"$tmp/w.in"
printf 'expect "never-printed" 60\n' >&3
end=$((SECONDS + 30))
until mon "TCP:127.0.0.1:$port" 'info history\n' | grep -q 'never-printed" 60' || [ $SECONDS -ge $end ]; do
    sleep 0.1
done
out=$(mon "TCP:127.0.0.1:$port" 'info status\np 6*7\n')
check_that responsive-while-expect '[[ $out == *"VM status: running"* && $out == *"0x2a"* ]]' "$out"
out=$(mon "TCP:127.0.0.1:$port" 'expect "never" 5\n')
check_that one-expect-at-a-time '[[ $out == *"Error: expect: another monitor is already waiting"* ]]' "$out"
printf '\003' >&3
wait_for "$tmp/w.out" 'expect: cancelled'; check_that cancel-by-ctrl-c-byte '[ $? = 0 ]' "$(cat "$tmp/w.out")"
printf 'expect "never-printed" 61\n' >&3
# SIGINT only once the expect waits (history shows lines as they run).
end=$((SECONDS + 30))
until mon "TCP:127.0.0.1:$port" 'info history\n' | grep -q 'never-printed" 61' || [ $SECONDS -ge $end ]; do
    sleep 0.1
done
kill -INT $apid
wait_for "$tmp/w.out" 'cancelled.*' || true
n=$(grep -c 'Error: expect: cancelled' "$tmp/w.out")
check_that cancel-by-sigint '[ "$n" = 2 ]' "$(cat "$tmp/w.out")"
out=$(mon "TCP:127.0.0.1:$port" 'info status\n')
check_that sigint-consumed '[[ $out == *"VM status: running"* ]]' "$out"
exec 3>&-
# A second client while one is connected waits its turn (QEMU's
# behaviour): no prompt until the first leaves, then its own session.
mkfifo "$tmp/h.in"
socat -t 30 - "UNIX-CONNECT:$tmp/m.sock" <"$tmp/h.in" >"$tmp/h.out" 2>&1 &
pids+=($!)
exec 3>"$tmp/h.in"
wait_for "$tmp/h.out" '(amber)'
mon "UNIX-CONNECT:$tmp/m.sock" 'info status\n' >"$tmp/second.out" 3>&- &
second=$!
sleep 0.5
check_that second-client-waits '! grep -q "(amber)" "$tmp/second.out"' "$(cat "$tmp/second.out")"
exec 3>&-
wait $second
out=$(cat "$tmp/second.out")
check_that second-client-served-after-first '[[ $out == *"VM status: "* ]]' "$out"
sleep 0.2
out=$(mon "TCP:127.0.0.1:$port" 'quit\n')
wait $apid; rc=$?
check_that quit-from-socket '[ $rc = 0 ]' "status $rc"

# ---- the monitor answers while the guest computes flat out ----
bench=$build/tests/guest/bench/rvbench.elf
if [ -f "$bench" ]; then
    "$AMBER" -icount sleep=off -M virt -bios none -kernel "$bench" -serial null \
        -monitor "unix:$tmp/r.sock,server,nowait" >/dev/null 2>&1 &
    rpid=$!; pids+=($rpid)
    end=$((SECONDS + 30)); while [ ! -S "$tmp/r.sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
    pc1=$(mon "UNIX-CONNECT:$tmp/r.sock" 'info status\np $pc\n')
    pc2=$(mon "UNIX-CONNECT:$tmp/r.sock" 'p $pc\ninfo jit\n')
    check_that busy-guest-answers '[[ $pc1 == *"VM status: running"* && $pc2 == *"instructions"* ]]' "$pc1 $pc2"
    i1=$(mon "UNIX-CONNECT:$tmp/r.sock" 'info jit\n' | sed -n 's/^instructions *//p')
    i2=$(mon "UNIX-CONNECT:$tmp/r.sock" 'info jit\n' | sed -n 's/^instructions *//p')
    check_that busy-guest-progresses '[ -n "$i1" ] && [ -n "$i2" ] && [ "$i2" -gt "$i1" ]' "$i1 -> $i2"
    mon "UNIX-CONNECT:$tmp/r.sock" 'quit\n' >/dev/null
    wait $rpid
else
    echo "skip busy-guest checks: $bench not built"
fi

# ---- stdio (batch) and a socket monitor at once ----
mkfifo "$tmp/s2.in"
"$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -monitor stdio -monitor "unix:$tmp/m2.sock,server,nowait" \
    <"$tmp/s2.in" >"$tmp/s2.out" 2>&1 &
spid=$!; pids+=($spid)
exec 3>"$tmp/s2.in"
printf 'expect "never-printed" 60\n' >&3
wait_for "$tmp/s2.out" '(amber) expect'
end=$((SECONDS + 30)); while [ ! -S "$tmp/m2.sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
out=$(mon "UNIX-CONNECT:$tmp/m2.sock" 'info chardev\nstop\ninfo status\n')
check_that stdio-and-socket '[[ $out == *"monitor0: filename=stdio"* && $out == *"VM status: paused"* ]]' "$out"
kill -INT $spid
wait_for "$tmp/s2.out" 'expect: cancelled'
printf 'info status\n' >&3
exec 3>&-
wait $spid; rc=$?
check_that stdio-batch-after-cancel 'grep -q "VM status: paused" "$tmp/s2.out" && [ $rc = 1 ]' "status $rc: $(cat "$tmp/s2.out")"

# ---- a socket monitor without nowait holds the machine until a client comes ----
"$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -serial null -monitor "unix:$tmp/w.sock,server" \
    >"$tmp/b.out" 2>"$tmp/b.err" &
bpid=$!; pids+=($bpid)
wait_for "$tmp/b.err" "waiting for connection on unix:$tmp/w.sock,server"
check_that wait-message '[ $? = 0 ]' "$(cat "$tmp/b.err")"
out=$(mon "UNIX-CONNECT:$tmp/w.sock" 'info status\nquit\n')
check_that wait-then-run '[[ $out == *"VM status: running"* ]]' "$out"
wait $bpid

# ... and SIGTERM or SIGINT end it at once while it waits, as in QEMU.
for sig in TERM INT; do
    rm -f "$tmp/b.err"
    "$AMBER" -M virt -bios none -kernel "$elf" -serial null -monitor "unix:$tmp/w.sock,server" \
        >/dev/null 2>"$tmp/b.err" &
    bpid=$!; pids+=($bpid)
    wait_for "$tmp/b.err" "waiting for connection"
    kill -$sig $bpid
    end=$((SECONDS + 5)); while kill -0 $bpid 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.05; done
    if kill -0 $bpid 2>/dev/null; then
        fail wait-sig$sig "still running 5 s after SIG$sig: $(cat "$tmp/b.err")"
        kill -KILL $bpid
    else
        wait $bpid; rc=$?
        check_that wait-sig$sig '[ $rc = 0 ] && grep -q "terminating on signal" "$tmp/b.err" && [ ! -e "$tmp/w.sock" ]' \
            "status $rc: $(cat "$tmp/b.err")"
    fi
done

# ---- serial on a unix socket, monitor on stdio (batch) ----
mkfifo "$tmp/c.in"
"$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -S -serial "unix:$tmp/s.sock,server,nowait" \
    -monitor stdio <"$tmp/c.in" >"$tmp/c.out" 2>&1 &
cpid=$!; pids+=($cpid)
exec 3>"$tmp/c.in"
end=$((SECONDS + 30)); while [ ! -S "$tmp/s.sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
(sleep 1; printf 'z'; sleep 3) | socat -t 5 - "UNIX-CONNECT:$tmp/s.sock" >"$tmp/serial.out" 2>&1 &
pids+=($!)
sleep 0.3
printf 'expect "you typed: .z." 20\ninfo chardev\nquit\n' >&3
exec 3>&-
wait $cpid; rc=$?
check_that serial-socket-input '[[ $(cat "$tmp/c.out") == *"expect: matched '"'you typed: \\\\'z\\\\''"'"* ]]' "$(cat "$tmp/c.out")"
check_that serial-socket-output 'grep -q "tick " "$tmp/serial.out"' "$(head -c 300 "$tmp/serial.out")"
check_that serial-socket-chardev 'grep -q "serial0: filename=unix:$tmp/s.sock,server,nowait" "$tmp/c.out"'
check_that serial-socket-status '[ $rc = 0 ]' "status $rc"

# ---- serial to a file ----
printf 'expect -v "tick +2" 5\nquit\n' | timeout 30 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" \
    -serial "file:$tmp/serial.txt" -monitor stdio >"$tmp/d.out" 2>&1
check_that serial-file 'grep -q "^tick     2" "$tmp/serial.txt" && grep -q "matched" "$tmp/d.out"' "$(cat "$tmp/d.out")"

# ---- -nographic mux over a pipe: Ctrl-A c, h, x ----
mkfifo "$tmp/e.in"
timeout 60 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -nographic -icount shift=3,sleep=on \
    <"$tmp/e.in" >"$tmp/e.out" 2>&1 &
epid=$!; pids+=($epid)
exec 3>"$tmp/e.in"
wait_for "$tmp/e.out" 'demo guest'
printf '\001h\001cinfo status\nstop\ninfo status\n' >&3
wait_for "$tmp/e.out" 'VM status: paused'
printf '\001cx' >&3                 # to the serial console, while paused
sleep 0.3
printf '\001ccont\n' >&3
wait_for "$tmp/e.out" "you typed: 'x'"
wait_for "$tmp/e.out" "^tick "          # the guest's output flows while muxed
printf '\001x' >&3
exec 3>&-
wait $epid; rc=$?
e=$(tr -d '\r' <"$tmp/e.out")
check_that mux-help '[[ $e == *"C-a c    switch between console and monitor"* ]]' "$e"
check_that mux-monitor '[[ $e == *"(amber) info status"$'"'\\n'"'"VM status: running"* && $e == *"VM status: paused"* ]]' "$e"
check_that mux-serial-focus '[[ $e == *"you typed: '"'x'"'"* ]]' "$e"
check_that mux-quit '[[ $e == *"amber: Terminated"* && $rc = 0 ]]' "status $rc"
check_that mux-guest-output '[[ $e == *"tick "* ]]' "$e"
{ sleep 0.3; printf '\001cinfo chardev\n\001x'; } |
    timeout 30 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -serial mon:stdio >"$tmp/f.out" 2>&1
check_that serial-mon-stdio 'grep -q "monitor-mux: filename=mon:stdio" "$tmp/f.out"' "$(cat "$tmp/f.out")"

# ---- an over-long line, then a normal one ----
python3 -c 'import sys; sys.stdout.write("p " + "1" * 100000 + "\np 1\n")' |
    timeout 30 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -S -monitor stdio >"$tmp/g.out" 2>&1
rc=$?
check_that long-line 'grep -q "Error: line too long (limit 65535 bytes)" "$tmp/g.out" && grep -q "^0x1$" "$tmp/g.out" && [ $rc = 1 ]' "status $rc"
check_that long-line-bounded '[ $(stat -c %s "$tmp/g.out") -lt 2000 ]' "output $(stat -c %s "$tmp/g.out") bytes"

# ---- input waits (bounded) while expect waits, then every line runs ----
# (200 KB of lines arrive while expect waits a host second: reading pauses
# at 128 KiB buffered and resumes when the expect times out)
python3 -c 'import sys; sys.stdout.write("expect never-printed 1\n" + "p 7\n" * 50000 + "echo end\n")' |
    timeout 60 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -S -monitor stdio >"$tmp/h.out" 2>&1
rc=$?
n=$(grep -c '^0x7$' "$tmp/h.out")
check_that batch-after-wait '[ "$n" = 50000 ] && grep -q "^end$" "$tmp/h.out" && [ $rc = 1 ]' "status $rc, $n answers"

# ---- option errors ----
experr() {   # name message args...
    local name=$1 msg=$2; shift 2
    local e
    e=$(timeout 10 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" "$@" </dev/null 2>&1 >/dev/null)
    local rc=$?
    if [ $rc = 1 ] && [[ $e == *"$msg"* ]]; then pass "$name"; else fail "$name" "status $rc: $e"; fi
}
experr err-stdio-twice "cannot use stdio by multiple character devices" -monitor stdio -serial stdio
experr err-nographic-monitor-stdio "-nographic -monitor stdio: cannot use stdio by multiple character devices" \
    -nographic -monitor stdio
experr err-monitor-twice "cannot use stdio by multiple character devices" -monitor stdio -monitor stdio
experr err-backend "-monitor foo: unknown back end" -monitor foo
experr err-client "only server sockets are supported (add ',server')" -monitor "unix:$tmp/x"
experr err-tcp-port "expected tcp:HOST:PORT" -monitor tcp:localhost,server
experr err-tcp-badport "invalid port '99999'" -monitor tcp:localhost:99999,server
experr err-option "unknown option 'bogus'" -monitor "unix:$tmp/x,server,bogus"
experr err-bind "unix:/nonexistent/dir/m,server,nowait: No such file or directory" \
    -monitor unix:/nonexistent/dir/m,server,nowait
experr err-serial "-serial tcp:1.2.3.4:5: only server sockets are supported" -serial tcp:1.2.3.4:5

finish
