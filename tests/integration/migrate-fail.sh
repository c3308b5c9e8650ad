#!/bin/bash
# The source is never lost (issue 6, item 6): a live migration of the
# migtest guest through a proxy (migproxy.py) that fails it at each phase of
# the stream -- setup (header and RAM block list), iterate (RAM pages while
# the guest runs), device (the guest stopped, last pages and device state):
# the link cut, the destination killed, garbage sent (the stream refused),
# the link stalled and migrate_cancel. Also a destination with a different
# -m. Afterwards the source must show failed/cancelled in `info migrate`,
# be running again with consistent RAM and its guest going on, and the
# destination must have exited with an error without running the guest.
# MIGTEST_EMU=qemu runs the same cases on qemu-system-riscv64.
set -u
. "$(dirname "$0")/migrate-lib.inc"
need_basics
if ! has_incoming tcp: || ! has_cmd migrate_cancel || ! has_info_migrate; then
    skip_all "live migration over tcp (-incoming tcp:, migrate_cancel, info migrate) not in this build"
fi

stop_vms() {
    local p
    for p in "${lib_pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    lib_pids=()
    rm -f "$tmp"/*.sock "$tmp"/*.ser "$tmp"/proxy.log
}
wait_proxy() {   # wait_proxy REGEX: until the proxy printed it (20 s)
    local end=$((SECONDS + 20))
    while ! grep -q "$1" "$tmp/proxy.log" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.05; done
    grep -q "$1" "$tmp/proxy.log"
}
# source_back NAME STATUS: the source's side of a failed migration
source_back() {
    local name=$1 want=$2
    check_that "$name: source $want" 'wait_mig src "$want" 30' "$(hmp src 'info migrate' | grep -i status)"
    check_that "$name: source running again" '[ "$(vm_status src)" = running ]' "$(vm_status src)"
    check_that "$name: source guest goes on" 'runs_on src && ! grep -q FAIL "$tmp/src.ser"' "$(grep -a FAIL "$tmp/src.ser")"
    local v; v=$(verify_ram src)
    check_that "$name: source RAM consistent" '[[ $v == "RAM consistent"* ]]' "$v"
}
# dest_gone NAME: the destination exited with an error and never ran the guest
dest_gone() {
    local name=$1
    wait_exit "$pid_dst" 20
    check_that "$name: destination exited with an error" '[ "$exit_rc" != running ] && [ "$exit_rc" != 0 ]' \
        "status $exit_rc; $(tail -n 2 "$tmp/dst.err")"
    check_that "$name: destination never ran the guest" '[ ! -s "$tmp/dst.ser" ]' "$(head -c 200 "$tmp/dst.ser")"
}

# case PHASE ACTION
fail_case() {
    local phase=$1 action=$2 name="$1/$2"
    local dport pport bw append
    dport=$(free_port) pport=$(free_port)
    while [ "$pport" = "$dport" ]; do pport=$(free_port); done   # two asks may get one port
    # setup/iterate: a slow link and 32 MiB dirtied, so RAM is still being
    # sent; device: 1 MiB dirtied, so the migration converges and switches over.
    if [ "$phase" = device ]; then bw=1G append=mb=1; else bw=8M append=""; fi
    start_vm dst ${append:+-append $append} -incoming "tcp:127.0.0.1:$dport"
    local act=$action arg=
    [ "$action" = cancel ] && act=hold
    [ "$action" = kill ] && arg=$pid_dst
    $PY "$here/migproxy.py" "$pport" "127.0.0.1:$dport" "$phase" "$act" $arg >"$tmp/proxy.log" 2>&1 &
    local ppid=$!
    lib_pids+=("$ppid")
    wait_proxy listening
    start_vm src ${append:+-append $append}
    wait_markers src 2
    # With a return path the source learns whether the destination took
    # over (QEMU needs it for the device phase); ignored where refused.
    hmp src "migrate_set_capability return-path on" >/dev/null
    hmp src "migrate_set_parameter max-bandwidth $bw" "migrate -d tcp:127.0.0.1:$pport" >"$tmp/mig.out"
    if ! wait_proxy "action"; then
        fail "$name: proxy never reached the phase" "$(tr '\n' ' ' <"$tmp/proxy.log")"
        stop_vms; return
    fi
    if [ "$action" = cancel ]; then
        hmp src migrate_cancel >/dev/null
        source_back "$name" cancelled
        kill "$ppid" 2>/dev/null      # the stalled link goes away
    else
        source_back "$name" failed
    fi
    if [ "$action" = kill ]; then
        wait_exit "$pid_dst" 5
        check_that "$name: destination killed before running the guest" '[ ! -s "$tmp/dst.ser" ]'
    else
        dest_gone "$name"
    fi
    stop_vms
}

for phase in setup iterate device; do
    for action in cut kill garbage cancel; do
        fail_case "$phase" "$action"
    done
done

# A destination that refuses the stream: different RAM size.
dport=$(free_port)
start_vm dst -m 64M -incoming "tcp:127.0.0.1:$dport"
start_vm src
wait_markers src 2
hmp src "migrate -d tcp:127.0.0.1:$dport" >/dev/null
source_back "refused -m" failed
dest_gone "refused -m"
check_that "refused -m: destination names the RAM size" 'grep -qiE "size|length|ram" "$tmp/dst.err"' "$(cat "$tmp/dst.err")"
stop_vms

# Nobody listening: connect error in setup.
port=$(free_port)
start_vm src
wait_markers src 2
out=$(hmp src "migrate -d tcp:127.0.0.1:$port")
check_that "no listener: source failed" 'wait_mig src failed 10 || [[ $out == Error:* ]]' "$out"
check_that "no listener: source running" '[ "$(vm_status src)" = running ]'
stop_vms

finish
