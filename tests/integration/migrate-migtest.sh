#!/bin/bash
# Live migration of the migtest guest (tests/guest/migtest: one byte per
# page incremented over RAM, self-checking) between two running machines
# over tcp, unix, exec, fd and file, with -incoming defer, -S on the
# destination, a paused source, a 5 GiB guest, a migration blocker and two
# network namespaces. After each migration the destination's RAM is dumped
# and checked (tests/integration/migtest-verify.py) and the guest must run
# on from where the source stopped (its marker counter goes on). Cases that
# need a feature the emulator lacks say "skipped: <reason>".
# MIGTEST_EMU=qemu runs the same cases on qemu-system-riscv64.
set -u
. "$(dirname "$0")/migrate-lib.inc"
need_basics

# migrate_case NAME URI_SRC URI_DST [src args] -- [dst args]: one full
# migration of a running guest; sets last_src_marker.
live_ok() {   # live_ok NAME: checks after the migration completed
    local name=$1
    if [ "$have_infomig" = yes ]; then
        check_that "$name: source completed" 'wait_mig src "completed"'
    fi
    check_that "$name: source in postmigrate" '[[ $(vm_status src) == "paused (postmigrate)" ]]' "$(vm_status src)"
    check_that "$name: destination running" 'wait_dst_running' "$(vm_status dst)"
    local v; v=$(verify_ram dst)
    check_that "$name: destination RAM consistent" '[[ $v == "RAM consistent"* ]]' "$v"
    local s; s=$(markers src)
    check_that "$name: guest runs on at the destination" 'wait_markers dst $((s + 2)) && ! grep -q FAIL "$tmp/dst.ser"' \
        "source ended at B $s, destination at B $(markers dst); $(grep -a FAIL "$tmp/dst.ser")"
}
wait_dst_running() {
    local end=$((SECONDS + 20))
    while [ "$(vm_status dst)" != running ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
    [ "$(vm_status dst)" = running ]
}
wait_dst_status() {
    local end=$((SECONDS + 20))
    while [[ $(vm_status dst) != $1* ]] && [ $SECONDS -lt $end ]; do sleep 0.1; done
    [[ $(vm_status dst) == $1* ]]
}
stop_vms() {
    local p
    for p in "${lib_pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    lib_pids=()
    rm -f "$tmp"/*.sock "$tmp"/*.ser
}
# live NAME DST_INCOMING SRC_URI [dst extra args]: the common sequence
live() {
    local name=$1 inc=$2 uri=$3; shift 3
    start_vm dst -incoming "$inc" "$@"
    start_vm src
    wait_markers src 2
    hmp src "migrate -d $uri" >"$tmp/$name.migrate"
    live_ok "$name"
    stop_vms
}

have_live=yes have_infomig=yes
has_info_migrate || have_infomig=no
has_cmd migrate_cancel || have_live="no migrate_cancel: live migration not in this build"

# ---- exec: and file: (non-live transports work in every build) ----
start_vm src
wait_markers src 2
hmp src "migrate \"exec:cat > $tmp/vm.mig\"" >/dev/null
start_vm dst -incoming "exec:cat $tmp/vm.mig"
live_ok exec-file
# The verifier itself: a page that missed one increment is caught.
$PY -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[4096*(len(d)//8192)] ^= 0x40; open(sys.argv[2],"wb").write(d)' \
    "$tmp/dst.ram" "$tmp/bad.ram"
v=$($PY "$here/migtest-verify.py" "$tmp/bad.ram")
check_that "verifier catches a stale page" '[ $? != 0 ] && [[ $v == "RAM inconsistent"* ]]' "$v"
stop_vms

# An exec: stream is loaded before the monitor starts (as the non-live
# tests expect), so the source goes first and the destination's monitor
# appears once the stream is in.
mkfifo "$tmp/fifo"
start_vm src
wait_markers src 2
hmp src "migrate -d \"exec:cat > $tmp/fifo\"" >/dev/null
start_vm dst -incoming "exec:cat $tmp/fifo"
live_ok exec-pipe
stop_vms

if [ "$EMU" != qemu ] && has_incoming file:; then
    start_vm src
    wait_markers src 2
    hmp src "migrate file:$tmp/vm.file" >/dev/null
    start_vm dst -incoming "file:$tmp/vm.file"
    live_ok file
    stop_vms
else
    skip file "-incoming file: not supported"
fi

# ---- socket transports ----
if has_incoming tcp:; then
    port=$(free_port)
    live tcp "tcp:127.0.0.1:$port" "tcp:127.0.0.1:$port"
else
    skip tcp "-incoming tcp: not supported"
fi
# XBZRLE on a guest that rewrites one byte per page: deltas of a few bytes
# must count as such when deciding to finish, or it never converges.
if [ "$EMU" != qemu ] && has_incoming tcp:; then
    port=$(free_port)
    start_vm dst -incoming "tcp:127.0.0.1:$port"
    start_vm src
    wait_markers src 2
    hmp src "migrate_set_capability xbzrle on" "migrate_set_parameter max-bandwidth 100G" \
        "migrate -d tcp:127.0.0.1:$port" >/dev/null
    live_ok xbzrle
    x=$(hmp src "info migrate" | sed -n 's/^xbzrle pages: \([0-9]*\).*/\1/p')
    check_that "xbzrle: pages went as deltas" '[ "${x:-0}" -gt 0 ]' "xbzrle pages: ${x:-none}"
    stop_vms
fi
if has_incoming unix:; then
    live unix "unix:$tmp/mig.sock" "unix:$tmp/mig.sock"
else
    skip unix "-incoming unix: not supported"
fi

if has_cmd getfd && has_incoming fd:; then
    # Source: a connected socket handed over with getfd; destination: an
    # accepted socket inherited as fd 3.
    port=$(free_port)
    (cd "$tmp" && exec $PY -c '
import os, socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(1)
open(sys.argv[2], "w").close()
c, _ = l.accept(); l.close()
os.dup2(c.fileno(), 3); os.set_inheritable(3, True)
os.execvp(sys.argv[3], sys.argv[3:])' "$port" "$tmp/fdlisten" "$BIN" $(speed_args) -M virt -bios none -kernel "$elf" -m "$MEM" \
        -display none -serial "file:$tmp/dst.ser" -monitor "unix:$tmp/dst.sock,server,nowait" \
        -incoming fd:3 >"$tmp/dst.out" 2>"$tmp/dst.err") &
    lib_pids+=($!)
    start_vm src
    wait_markers src 2
    end=$((SECONDS + 10)); while [ ! -e "$tmp/fdlisten" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
    timeout 60 $PY "$here/hmp.py" "$tmp/src.sock" --getfd mig "127.0.0.1:$port" "migrate -d fd:mig" >"$tmp/fd.migrate"
    check_that "fd: getfd accepted" '! grep -q Error "$tmp/fd.migrate"' "$(cat "$tmp/fd.migrate")"
    live_ok fd
    stop_vms
else
    skip fd "getfd or -incoming fd: not supported"
fi

# ---- -incoming defer + migrate_incoming ----
if has_cmd migrate_incoming && has_incoming tcp:; then
    port=$(free_port)
    start_vm dst -incoming defer
    start_vm src
    out=$(hmp dst "migrate_incoming tcp:127.0.0.1:$port")
    check_that "defer: migrate_incoming accepted" '[ -z "$out" ]' "$out"
    wait_markers src 2
    hmp src "migrate -d tcp:127.0.0.1:$port" >/dev/null
    live_ok defer
    stop_vms
else
    skip defer "-incoming defer / migrate_incoming not supported"
fi

# ---- run state: -S on the destination, a paused source ----
start_vm src
wait_markers src 2
hmp src "migrate \"exec:cat > $tmp/vm.mig\"" >/dev/null
start_vm dst -S -incoming "exec:cat $tmp/vm.mig"
sleep 1
st=$(vm_status dst)
check_that "-S: destination paused after the stream" '[[ $st == paused* ]]' "$st"
check_that "-S: guest does not run" '[ "$(markers dst)" = 0 ]' "B $(markers dst)"
hmp dst cont >/dev/null
check_that "-S: cont runs the guest on" 'wait_markers dst $(( $(markers src) + 2 ))'
stop_vms

start_vm src
wait_markers src 2
hmp src stop >/dev/null
hmp src "migrate \"exec:cat > $tmp/vm.mig\"" >/dev/null
check_that "paused source: source paused afterwards" '[[ $(vm_status src) == paused* ]]' "$(vm_status src)"
start_vm dst -incoming "exec:cat $tmp/vm.mig"
sleep 1
st=$(vm_status dst)
check_that "paused source: destination paused" '[[ $st == paused* ]]' "$st"
v=$(verify_ram dst)
check_that "paused source: destination RAM consistent" '[[ $v == "RAM consistent"* ]]' "$v"
hmp dst cont >/dev/null
check_that "paused source: cont runs the guest on" 'wait_markers dst $(( $(markers src) + 2 ))'
stop_vms

# ---- the destination's monitor answers while a socket stream loads ----
if [ "$EMU" != qemu ] && has_incoming tcp:; then
    port=$(free_port)
    start_vm dst -incoming "tcp:127.0.0.1:$port"
    start_vm src
    wait_markers src 2
    # 32 MiB at 8 MiB/s: the load takes seconds.
    hmp src stop "migrate_set_parameter max-bandwidth 8M" "migrate -d tcp:127.0.0.1:$port" >/dev/null
    sleep 1
    st=$(timeout 10 $PY "$here/hmp.py" "$tmp/dst.sock" "info status" "info migrate" "info registers" 2>&1)
    check_that "loading: destination monitor answers" '[[ $st == *"VM status: paused (inmigrate)"* ]]' "$st"
    check_that "loading: info migrate says active" '[[ $st == *"Migration status: active"* ]]' "$st"
    check_that "loading: state commands refused meanwhile" '[[ $st == *"not available while the incoming migration is loading"* ]]' "$st"
    check_that "loading: source completed" 'wait_mig src completed 30'
    check_that "loading: destination paused afterwards" 'wait_dst_status "paused"' "$(vm_status dst)"
    v=$(verify_ram dst)
    check_that "loading: destination RAM consistent" '[[ $v == "RAM consistent"* ]]' "$v"
    stop_vms
    # quit while the loader runs: a clean exit, and the source runs on.
    port=$(free_port)
    start_vm dst -incoming "tcp:127.0.0.1:$port"
    start_vm src
    wait_markers src 2
    hmp src "migrate_set_parameter max-bandwidth 4M" "migrate -d tcp:127.0.0.1:$port" >/dev/null
    sleep 1
    hmp dst quit >/dev/null
    wait_exit "$pid_dst" 20
    check_that "loading: quit exits cleanly" '[ "$exit_rc" = 0 ] && ! grep -q "ERROR\|runtime error" "$tmp/dst.err"' \
        "status $exit_rc; $(cat "$tmp/dst.err")"
    check_that "loading: source fails and runs on" 'wait_mig src failed 30 && [ "$(vm_status src)" = running ]' \
        "$(vm_status src)"
    stop_vms
else
    skip loading "-incoming tcp: not supported"
fi

# ---- a guest with more than 4 GiB of RAM: the pages it writes lie above 4 GiB ----
if [ "$have_live" = yes ] || [ "$EMU" = qemu ]; then
    port=$(free_port)
    MEM=5G
    start_vm dst -append top=8 -incoming "tcp:127.0.0.1:$port"
    start_vm src -append top=8
    wait_markers src 2
    hmp src "migrate_set_parameter max-bandwidth 4G" "migrate -d tcp:127.0.0.1:$port" >/dev/null
    live_ok 5G
    check_that "5G: range above 4 GiB" 'grep -aq "range 0x00000001bf800000 0x00000001c0000000" "$tmp/src.ser"' "$(head -n 1 "$tmp/src.ser")"
    stop_vms
    MEM=${MIGTEST_MEM:-32M}
else
    skip 5G "$have_live"
fi

# ---- a migration blocker ----
# Amber: a device bound to a host resource registers one; which one is
# named by the build's `info migrate` ("Outgoing migration blocked:").
# By default a snapshot=on drive: its writes live in this process's memory.
blocker_args=()
if [ "$EMU" = qemu ]; then
    # QEMU: an ivshmem-plain device needs a PCI host; virt has one, and a
    # memory backend that is not shared blocks migration.
    blocker_args=(-object memory-backend-ram,id=hm,size=1M -device ivshmem-plain,memdev=hm)
elif [ -n "${MIGTEST_BLOCKER_ARGS:-}" ]; then
    read -r -a blocker_args <<<"$MIGTEST_BLOCKER_ARGS"
else
    truncate -s 1M "$tmp/blocker.raw"
    blocker_args=(-drive "file=$tmp/blocker.raw,format=raw,if=virtio,snapshot=on")
fi
if [ "$have_live" = yes ] || [ "$EMU" = qemu ]; then
    if [ ${#blocker_args[@]} -gt 0 ]; then
        start_vm src "${blocker_args[@]}"
        info=$(hmp src "info migrate")
        if [[ $info == *"Outgoing migration blocked"* ]]; then
            out=$(hmp src "migrate \"exec:cat > $tmp/blocked.mig\"")
            check_that "blocker: migrate refused" '[[ $out == Error:* ]] && [ ! -s "$tmp/blocked.mig" ]' "$out"
            check_that "blocker: guest keeps running" '[ "$(vm_status src)" = running ]'
        else
            fail "blocker: no blocker registered" "$info"
        fi
        stop_vms
    else
        skip blocker "no device known to register a blocker (set MIGTEST_BLOCKER_ARGS)"
    fi
else
    skip blocker "$have_live"
fi

# ---- two network namespaces joined by a veth pair ----
if ! has_incoming tcp:; then
    skip netns "-incoming tcp: not supported"
elif [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
    skip netns "needs root and iproute2"
elif ! ip netns add "amb-a-$$" 2>/dev/null; then
    skip netns "ip netns add failed (no CAP_SYS_ADMIN in this container?)"
else
    nsa=amb-a-$$ nsb=amb-b-$$
    ip netns add "$nsb"
    ip link add "va$$" type veth peer name "vb$$"
    ip link set "va$$" netns "$nsa"; ip link set "vb$$" netns "$nsb"
    ip -n "$nsa" addr add 10.231.0.1/30 dev "va$$"; ip -n "$nsb" addr add 10.231.0.2/30 dev "vb$$"
    ip -n "$nsa" link set "va$$" up; ip -n "$nsb" link set "vb$$" up
    ip -n "$nsa" link set lo up; ip -n "$nsb" link set lo up
    BIN0=$BIN
    BIN="ip"
    # start_vm runs $BIN with the machine's arguments: prefix the namespace.
    start_vm_ns() { local ns=$1 name=$2; shift 2
        (cd "$tmp" && exec ip netns exec "$ns" "$BIN0" $(speed_args) -M virt -bios none -kernel "$elf" -m "$MEM" -display none \
            -serial "file:$tmp/$name.ser" -monitor "unix:$tmp/$name.sock,server,nowait" "$@" \
            >"$tmp/$name.out" 2>"$tmp/$name.err") &
        lib_pids+=($!)
        local end=$((SECONDS + 20)); while [ ! -S "$tmp/$name.sock" ] && [ $SECONDS -lt $end ]; do sleep 0.02; done
    }
    start_vm_ns "$nsb" dst -incoming tcp:10.231.0.2:4444
    start_vm_ns "$nsa" src
    wait_markers src 2
    hmp src "migrate -d tcp:10.231.0.2:4444" >/dev/null
    live_ok netns
    stop_vms
    BIN=$BIN0
    ip netns del "$nsa"; ip netns del "$nsb"
fi

finish
