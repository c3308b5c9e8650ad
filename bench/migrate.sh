#!/bin/bash
# Live migration benchmark: the migtest guest (tests/guest/migtest) in a
# 1 GiB machine, idle (every page written once, then only timer wake-ups)
# and dirtying (a 64 MiB working set rewritten page by page at full guest
# speed), migrated over loopback tcp, Amber -> Amber and
# qemu-system-riscv64 -> qemu-system-riscv64 in the same run; then an
# auto-converge run where the guest dirties faster than max-bandwidth.
# Figures come from `info migrate` on the source (total time, downtime,
# transferred RAM, throughput); "converged" means status completed within
# the time limit (else the migration is cancelled). The destination's RAM
# is checked with tests/integration/migtest-verify.py.
# Writes $BENCH_RESULTS/migrate.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
export AMBER_BUILD=$build AMBER_SRCDIR=$src
out=${BENCH_RESULTS:-$build/bench/results}
mkdir -p "$out"
MIGTEST_MEM=${BENCH_MIG_MEM:-1G}
LIMIT=${BENCH_MIG_LIMIT:-60}     # seconds before a migration counts as not converged
[ -f "$build/tests/guest/migtest/migtest.elf" ] || make -C "$build" guests >/dev/null 2>&1 || true
. "$src/tests/integration/migrate-lib.inc"
rows=()
row() { rows+=("$1"); }

stop_vms() {
    local p
    for p in "${lib_pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    lib_pids=()
    rm -f "$tmp"/*.sock "$tmp"/*.ser
}
field() { sed -n "s/^$1: *\([0-9.]*\).*/\1/p" "$2" | head -n 1; }

# run_one EMU CASE APPEND CAPS PARAMS [EXTRA]  (EXTRA: more machine options)
run_one() {
    local emu=$1 case=$2 append=$3 caps=$4 params=$5 extra=${6:-}
    EMU=$emu
    if [ "$emu" = qemu ]; then BIN=${QEMU:-qemu-system-riscv64}; else BIN=$AMBER; fi
    if ! command -v "$BIN" >/dev/null; then row "| $emu | $case | skipped: $BIN not found ||||||"; return; fi
    if ! has_incoming tcp: || ! has_info_migrate; then
        row "| $emu | $case | skipped: no live tcp migration in this build ||||||"; return
    fi
    local port; port=$(free_port)
    # shellcheck disable=SC2086  # extra is a list of options
    start_vm dst $extra ${append:+-append "$append"} -incoming "tcp:127.0.0.1:$port"
    # shellcheck disable=SC2086
    start_vm src $extra ${append:+-append "$append"}
    wait_markers src 3
    local c p cmds=()
    for c in $caps; do cmds+=("migrate_set_capability $c on"); done
    for p in $params; do cmds+=("migrate_set_parameter ${p%%=*} ${p#*=}"); done
    hmp src "${cmds[@]}" "migrate -d tcp:127.0.0.1:$port" >"$tmp/setup.out"
    local end=$((SECONDS + LIMIT)) st thr=0 t
    while :; do
        hmp src "info migrate" >"$tmp/info.out"
        st=$(sed -n 's/^Migration status: *\([a-z-]*\).*/\1/p' "$tmp/info.out")
        t=$(field "cpu throttle percentage" "$tmp/info.out"); [ -n "$t" ] && [ "$t" -gt "$thr" ] && thr=$t
        [[ $st =~ ^(completed|failed|cancelled)$ ]] && break
        if [ $SECONDS -ge $end ]; then
            hmp src "info migrate" >"$tmp/info.out"
            hmp src migrate_cancel >/dev/null
            st="not converged in ${LIMIT}s"
            break
        fi
        sleep 0.5
    done
    local total down xfer mbps ram=-
    total=$(field "total time" "$tmp/info.out") down=$(field "downtime" "$tmp/info.out")
    xfer=$(field "transferred ram" "$tmp/info.out") mbps=$(field "throughput" "$tmp/info.out")
    if [ "$st" = completed ]; then
        local v; v=$(verify_ram dst); ram=${v%%:*}
    fi
    row "| $emu | $case | $st | ${total:--} | ${down:--} | $((${xfer:-0} / 1024)) | ${mbps:--} | $thr | $ram |"
    stop_vms
}

for emu in amber qemu; do
    run_one "$emu" "idle $MIGTEST_MEM" idle "" "max-bandwidth=100G"
    if [ "$emu" = amber ]; then
        # QEMU's clock is the host's: its idle guest sleeps between timer
        # ticks. Amber's default icount clock runs an idle guest's virtual
        # time as fast as the host allows (it busy-loops); with the host
        # clock it idles as QEMU's does.
        run_one amber "idle $MIGTEST_MEM, -icount shift=auto" idle "" "max-bandwidth=100G" \
            "-icount shift=auto"
    fi
    run_one "$emu" "dirty 64M of $MIGTEST_MEM" mb=64 "" "max-bandwidth=100G"
    run_one "$emu" "dirty 64M of $MIGTEST_MEM, xbzrle" mb=64 xbzrle "max-bandwidth=100G"
    run_one "$emu" "auto-converge, dirty 64M > 32M/s" mb=64 auto-converge "max-bandwidth=32M"
done
{
    echo "Live migration over loopback tcp, source and destination on this host; guest tests/guest/migtest; figures from the source's \`info migrate\` (QEMU's classic fields)."
    echo
    echo "| emulator | case | status | total (ms) | downtime (ms) | transferred (MiB) | throughput (mbps) | max CPU throttle (%) | destination RAM |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} >"$out/migrate.md"
cat "$out/migrate.md"
