#!/bin/bash
# Live migration between two amber processes, driven over unix-socket
# monitors: tcp, unix, file and fd (getfd with SCM_RIGHTS) transports; the
# destination carries on from the source's last tick; -S, a paused source,
# -incoming defer + migrate_incoming; cancel, a killed destination and a
# refused stream while RAM is still being sent (slowed by max-bandwidth):
# the source runs on and info migrate says why; capabilities and
# parameters; xbzrle and auto-converge on.
. "$(dirname "$0")/lib.sh"
HMP="$PY $here/hmp-client.py"
elf=$guests/demo/demo.elf
need_elf "$elf"
lib_tmpdir
pids=()
# amber first (timeout's child), then timeout: none may outlive the test
at_exit 'for p in "${pids[@]}"; do pkill -9 -P "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done'
# Ticks are paced to the wall clock, so a migration happens mid-run.
args=(-bios none -kernel "$elf" -icount shift=3,sleep=on -rtc base=2020-01-01)
# start NAME [amber args...]: background amber with monitor $tmp/NAME.sock
start() {
    local name=$1; shift
    timeout 120 "$AMBER" "${args[@]}" -serial "file:$tmp/$name.serial" \
        -monitor "unix:$tmp/$name.sock,server,nowait" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    eval "pid_$name=$!"
}
hmp() { local name=$1; shift; $HMP "$tmp/$name.sock" "$@"; }
# wait_for CMDFN PATTERN: repeat until output matches (30 s)
wait_mig() {   # wait_mig NAME STATUS
    local end=$((SECONDS + 30))
    while [ $SECONDS -lt $end ]; do
        hmp "$1" "info migrate" | grep -q "^Migration status: $2" && return 0
        sleep 0.1
    done
    return 1
}
wait_serial() {   # wait_serial NAME REGEX
    local end=$((SECONDS + 30))
    while [ $SECONDS -lt $end ]; do
        grep -Eq "$2" "$tmp/$1.serial" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
last_tick() { grep -o 'tick *[0-9]*' "$tmp/$1.serial" | tail -1 | awk '{print $2}'; }
first_tick() { grep -o 'tick *[0-9]*' "$tmp/$1.serial" | head -1 | awk '{print $2}'; }
status() { hmp "$1" "info status"; }

# migrate_pair TAG URI_SRC URI_DST [dst args]: a full live migration.
migrate_pair() {
    local tag=$1 uri=$2 duri=$3; shift 3
    start "${tag}d" -incoming "$duri" "$@"
    start "${tag}s"
    wait_serial "${tag}s" 'tick +1 ' || { fail "$tag: source ticks"; return; }
    hmp "${tag}s" "migrate $uri" >"$tmp/$tag.mig"
    check_that "$tag: migrate prints nothing on success" "[ ! -s $tmp/$tag.mig ]" "$(cat $tmp/$tag.mig)"
    hmp "${tag}s" "info migrate" >"$tmp/$tag.info"
    check_that "$tag: source info migrate completed" "grep -q '^Migration status: completed' $tmp/$tag.info"
    check_that "$tag: classic fields" "grep -q '^downtime: [0-9]* ms' $tmp/$tag.info && grep -q '^transferred ram: [0-9]* kbytes' $tmp/$tag.info && grep -q '^dirty sync count: [1-9]' $tmp/$tag.info"
    check_that "$tag: source in postmigrate" "status ${tag}s | grep -q 'paused (postmigrate)'"
}

# tcp
port=$(free_port)
migrate_pair tcp "tcp:127.0.0.1:$port" "tcp:127.0.0.1:$port"
check_that "tcp: destination runs" "status tcpd | grep -q 'VM status: running'"
n=$(last_tick tcps)
wait_serial tcpd "tick +$((n + 2)) "
check_that "tcp: destination carries on from tick $n" "[ \"\$(first_tick tcpd)\" = $((n + 1)) ]" "first $(first_tick tcpd)"
check_that "tcp: destination info migrate completed" "hmp tcpd 'info migrate' | grep -q '^Migration status: completed'"

# unix
migrate_pair unix "unix:$tmp/mig.sock" "unix:$tmp/mig.sock"
n=$(last_tick unixs)
wait_serial unixd "tick +$((n + 1)) "
check_that "unix: destination carries on from tick $n" "[ \"\$(first_tick unixd)\" = $((n + 1)) ]"

# file, then the destination loads it
start files
wait_serial files 'tick +1 '
hmp files "migrate file:$tmp/vm.mig" >/dev/null
check_that "file: source postmigrate" "status files | grep -q postmigrate"
start filed -incoming "file:$tmp/vm.mig"
n=$(last_tick files)
wait_serial filed "tick +$((n + 1)) "
check_that "file: destination carries on from tick $n" "[ \"\$(first_tick filed)\" = $((n + 1)) ]"

# fd: passed over the monitor socket
start fds
wait_serial fds 'tick +1 '
hmp fds "getfd nofd" >"$tmp/nofd.out"
check_that "getfd without a descriptor: QEMU's error" "grep -q 'Error: No file descriptor supplied via SCM_RIGHTS' $tmp/nofd.out"
hmp fds --fd "$tmp/fd.mig" "getfd mig" "migrate fd:mig" "closefd mig" >"$tmp/fd.out"
check_that "fd: migrate fd:NAME" "status fds | grep -q postmigrate && [ -s $tmp/fd.mig ]" "$(cat $tmp/fd.out)"
check_that "fd: closefd of a used name fails" "grep -q \"File descriptor named 'mig' not found\" $tmp/fd.out"
start fdd -incoming "file:$tmp/fd.mig"
n=$(last_tick fds)
wait_serial fdd "tick +$((n + 1)) "
check_that "fd: destination carries on" "[ \"\$(first_tick fdd)\" = $((n + 1)) ]"

# -S on the destination: paused
port=$(free_port)
migrate_pair S "tcp:127.0.0.1:$port" "tcp:127.0.0.1:$port" -S
check_that "-S: destination paused" "status Sd | grep -q 'VM status: paused$'"

# A paused source gives a paused destination.
port=$(free_port)
start pd -incoming "tcp:127.0.0.1:$port"
start ps
wait_serial ps 'tick +1 '
hmp ps "stop" "migrate tcp:127.0.0.1:$port" >/dev/null
sleep 0.3
check_that "paused source: destination paused" "status pd | grep -q 'VM status: paused$'"

# -incoming defer + migrate_incoming
port=$(free_port)
start dd -incoming defer
start ds
check_that "defer: destination waits in inmigrate" "status dd | grep -q inmigrate"
hmp ds "migrate_incoming tcp:127.0.0.1:$port" >"$tmp/notdefer.out"
check_that "migrate_incoming without defer refused" "grep -q \"Error: '-incoming' was not specified on the command line\" $tmp/notdefer.out"
hmp dd "migrate_incoming tcp:127.0.0.1:$port" >/dev/null
wait_serial ds 'tick +1 '
hmp ds "migrate tcp:127.0.0.1:$port" >/dev/null
sleep 0.3
check_that "defer: destination runs after migrate_incoming" "status dd | grep -q 'VM status: running'"

# Failures while RAM is being sent: 1 GiB (mostly zero pages, ~9 bytes each)
# at 16 KiB/s takes minutes, so each failure hits the iterating phase.
slow() {   # slow TAG [dst args]: source TAGs migrating to TAGd, active
    local tag=$1; shift
    port=$(free_port)
    start "${tag}d" -m 1G -incoming "tcp:127.0.0.1:$port" "$@"
    start "${tag}s" -m 1G
    wait_serial "${tag}s" 'tick +1 '
    hmp "${tag}s" "migrate_set_parameter max-bandwidth 16K" "migrate -d tcp:127.0.0.1:$port" >/dev/null
}
slow cancel
check_that "cancel: migration active" "wait_mig cancels active"
hmp cancels "info migrate" >"$tmp/active.info"
check_that "active: expected downtime and remaining ram shown" "grep -q '^expected downtime: ' $tmp/active.info && grep -q '^remaining ram: [1-9]' $tmp/active.info"
hmp cancels "migrate_set_capability xbzrle on" >"$tmp/busy.out"
check_that "capability change refused while migrating" "grep -q \"Error: There's a migration process in progress\" $tmp/busy.out"
hmp cancels "migrate tcp:127.0.0.1:1" >"$tmp/busy2.out"
check_that "second migrate refused" "grep -q \"Error: There's a migration process in progress\" $tmp/busy2.out"
hmp cancels "loadvm snap1" >"$tmp/busy3.out"
check_that "loadvm refused while migrating" "grep -q \"Error: There's a migration process in progress\" $tmp/busy3.out"
hmp cancels "migrate_cancel" >/dev/null
check_that "cancel: status cancelled" "wait_mig cancels cancelled"
check_that "cancel: source runs again" "status cancels | grep -q 'VM status: running'"
n=$(last_tick cancels)
check_that "cancel: source guest ticks on" "wait_serial cancels 'tick +$((n + 1)) '"
wait "$pid_canceld" 2>/dev/null; rc=$?
check_that "cancel: destination exits with an error" "[ $rc != 0 ] && grep -q 'load of migration failed' $tmp/canceld.err" "rc $rc: $(cat $tmp/canceld.err)"

slow kill
wait_mig kills active
pkill -9 -P "$pid_killd"    # amber, the child of timeout
check_that "destination killed: status failed with the reason" "wait_mig kills 'failed ('"
check_that "destination killed: source runs" "status kills | grep -q 'VM status: running'"

slow refuse -m 512M
check_that "refused stream: failed" "wait_mig refuses 'failed ('"
check_that "refused stream: source runs" "status refuses | grep -q 'VM status: running'"
wait "$pid_refused" 2>/dev/null
check_that "refused stream: destination names the size mismatch" "grep -q 'RAM size mismatch' $tmp/refused.err" "$(cat $tmp/refused.err)"

# A failed connection: failed, and the machine runs on.
start conn
hmp conn "migrate tcp:127.0.0.1:$(free_port)" >"$tmp/conn.out"
check_that "connect error reported" "grep -q 'Error: Failed to connect to' $tmp/conn.out"
check_that "connect error: info migrate failed" "hmp conn 'info migrate' | grep -q '^Migration status: failed (Failed to connect'"

# A destination that never answers the connection (a listener whose backlog
# is full drops the SYNs): the migration stays in setup, the monitor
# answers, and migrate_cancel ends it with the guest running.
python3 - "$tmp/stall.port" <<'PYEOF' &
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(0)
port = l.getsockname()[1]
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fill.append(c)
time.sleep(0.3)
open(sys.argv[1], "w").write(str(port))
time.sleep(60)
PYEOF
stall_pid=$!
end=$((SECONDS + 10)); while [ ! -s "$tmp/stall.port" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
hmp conn "migrate -d tcp:127.0.0.1:$(cat "$tmp/stall.port")" >"$tmp/stall.out"
sleep 0.5
check_that "connect hangs: status setup, monitor answers" "hmp conn 'info migrate' | grep -q '^Migration status: setup'"
hmp conn migrate_cancel >/dev/null
check_that "connect hangs: migrate_cancel cancels" "wait_mig conn cancelled"
check_that "connect hangs: guest runs" "status conn | grep -q 'VM status: running'"
kill "$stall_pid" 2>/dev/null

# Capabilities and parameters.
hmp conn "info migrate_capabilities" >"$tmp/caps"
check_that "capabilities in QEMU's order" "head -3 $tmp/caps | tr '\n' ' ' | grep -q '^xbzrle: off rdma-pin-all: off auto-converge: off'"
hmp conn "migrate_set_capability postcopy-ram on" "migrate_set_capability bogus on" \
    "migrate_set_parameter downtime-limit 3000000" "migrate_set_parameter cpu-throttle-initial 0" \
    "migrate_set_parameter max-bandwidth 2M" "migrate_set_parameter downtime-limit 500" \
    "info migrate_parameters" >"$tmp/params"
check_that "unsupported capability refused" "grep -q \"Error: Capability 'postcopy-ram' is not supported\" $tmp/params"
check_that "unknown capability: QEMU's message" "grep -q 'Error: invalid parameter value: bogus' $tmp/params"
check_that "downtime-limit range: QEMU's message" "grep -q 'Error: Option downtime_limit expects an integer in the range of 0 to 2000000 ms' $tmp/params"
check_that "cpu-throttle-initial range" "grep -q 'Error: Option cpu_throttle_initial expects an integer in the range of 1 to 99' $tmp/params"
check_that "max-bandwidth in MiB by default" "grep -q '^max-bandwidth: 2097152 bytes/second' $tmp/params"
check_that "downtime-limit set" "grep -q '^downtime-limit: 500 ms' $tmp/params"

# xbzrle and auto-converge on: still a whole, running machine.
port=$(free_port)
start xd -incoming "tcp:127.0.0.1:$port"
start xs
wait_serial xs 'tick +1 '
hmp xs "migrate_set_capability xbzrle on" "migrate_set_capability auto-converge on" \
    "migrate tcp:127.0.0.1:$port" "info migrate" >"$tmp/x.info"
check_that "xbzrle + auto-converge: completed" "grep -q '^Migration status: completed' $tmp/x.info && grep -q '^xbzrle pages: ' $tmp/x.info"
n=$(last_tick xs)
check_that "xbzrle: destination carries on" "wait_serial xd 'tick +$((n + 1)) ' && [ \"\$(first_tick xd)\" = $((n + 1)) ]"

finish
