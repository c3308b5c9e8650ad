#!/bin/bash
# Whole-machine migration through a command, with the monitor: the demo
# guest (timer interrupts, WFI, UART output) is migrated with
# `migrate "exec:cat > FILE"` mid-run and restored with
# `-incoming "exec:cat FILE"`; the restored run must print exactly what an
# uninterrupted run prints after that point and reach the same instruction
# count at the same later point. Also gzip through exec:, the stream read
# by amber-analyze, and device-only state through the monitor.
. "$(dirname "$0")/lib.sh"
elf=$guests/demo/demo-ticks.elf
need_elf "$elf"
lib_tmpdir
# The same command line on both sides, as QEMU requires.
args=(-bios none -kernel "$elf" -m 32M -icount shift=3,sleep=on -rtc base=2020-01-01)
run() {   # run NAME [extra args...] < batch: transcript in $tmp/NAME.mon
    local name=$1; shift
    timeout 120 "$AMBER" "${args[@]}" -serial "file:$tmp/$name.serial" -monitor stdio "$@" \
        >"$tmp/$name.mon" 2>"$tmp/$name.err"
}
instructions() { grep -m1 '^instructions' "$1" | awk '{print $2}'; }

# The uninterrupted reference run.
run ref <<'CMDS'
expect "tick +9 "
stop
info jit
cont
expect "stopping after 12"
CMDS
check $? "reference run"

# The source: migrated after tick 3, then stays in postmigrate.
run src <<CMDS
expect "tick +3 "
migrate "exec:cat > $tmp/vm.mig"
info status
migrate "exec:cat > $tmp/again.mig"
quit
CMDS
grep -q "VM status: paused (postmigrate)" "$tmp/src.mon"
check $? "source is in postmigrate after migrate"
grep -q "Error: Can't migrate the vm that was paused due to previous migration" "$tmp/src.mon"
check $? "a second migrate is refused as QEMU does"
[ -s "$tmp/vm.mig" ] && [ "$(head -c 4 "$tmp/vm.mig")" = "QEVM" ]
check $? "stream written through exec:"

# The destination.
run dst -incoming "exec:cat $tmp/vm.mig" <<'CMDS'
info status
expect "tick +9 "
stop
info jit
cont
expect "stopping after 12"
CMDS
check $? "destination run"
grep -q "VM status: running" "$tmp/dst.mon"
check $? "destination runs at once (source was running, no -S)"
cat "$tmp/src.serial" "$tmp/dst.serial" | cmp -s - "$tmp/ref.serial"
check $? "serial output: source + destination == uninterrupted run"
a=$(instructions "$tmp/ref.mon") b=$(instructions "$tmp/dst.mon")
[ -n "$a" ] && [ "$a" = "$b" ]
check $? "same instruction count at tick 9 ($a vs $b)"

# -S keeps the restored machine paused.
run dstS -S -incoming "exec:cat $tmp/vm.mig" <<'CMDS'
info status
CMDS
grep -q "VM status: paused" "$tmp/dstS.mon"
check $? "-incoming with -S: paused"

# A refused stream (truncated) through migrate_incoming: as QEMU's HMP
# migrate_incoming (exit-on-error off), the machine stays inmigrate and
# info migrate says why; cont only arms autostart (QEMU), so nothing runs
# until a whole stream arrives, which then gives the uninterrupted output.
half=$(( $(stat -c %s "$tmp/vm.mig") / 2 ))
run refused -incoming defer <<CMDS
migrate_incoming "exec:head -c $half $tmp/vm.mig"
info status
info migrate
cont
info status
expect "tick"
migrate_incoming "exec:cat $tmp/vm.mig"
info status
expect "tick +9 "
stop
info jit
cont
expect "stopping after 12"
CMDS
grep -q "Error: stream truncated at offset $half" "$tmp/refused.mon"
check $? "migrate_incoming of a truncated stream: the error"
[ "$(grep -c 'VM status: paused (inmigrate)' "$tmp/refused.mon")" = 2 ]
check $? "after the refused stream the machine is inmigrate, and cont does not run it"
grep -q "Migration status: failed (stream truncated" "$tmp/refused.mon"
check $? "info migrate: failed (reason)"
grep -q "Error: expect: the machine cannot run (state inmigrate)" "$tmp/refused.mon"
check $? "expect refuses the half-loaded machine"
grep -q "VM status: running" "$tmp/refused.mon" &&
    cat "$tmp/src.serial" "$tmp/refused.serial" | cmp -s - "$tmp/ref.serial"
check $? "a second migrate_incoming loads the whole stream; serial output == uninterrupted run"
[ "$(instructions "$tmp/refused.mon")" = "$(instructions "$tmp/ref.mon")" ]
check $? "same instruction count at tick 9 after the retry"
# -incoming URI on the command line: QEMU's default exit-on-error.
run refused2 -incoming "exec:head -c $half $tmp/vm.mig" </dev/null
rc=$?
[ $rc = 1 ] && grep -q "load of migration failed: .*stream truncated" "$tmp/refused2.err"
check $? "-incoming with a truncated stream: exit status 1 naming the reason (got $rc)"

# Compression through exec:, both ways.
run gz <<CMDS
expect "tick +3 "
migrate "exec:gzip -c > $tmp/vm.mig.gz"
quit
CMDS
run gzdst -incoming "exec:gzip -dc $tmp/vm.mig.gz" <<'CMDS'
expect "stopping after 12"
CMDS
check $? "gzip -c / gzip -dc through exec:"
cat "$tmp/gz.serial" "$tmp/gzdst.serial" | cmp -s - "$tmp/ref.serial"
check $? "serial output after the gzip round trip"

# A failing command is reported.
run fail <<'CMDS'
migrate "exec:exit 7"
info status
CMDS
grep -q "Error: .*command 'exit 7' exited with status 7" "$tmp/fail.mon"
check $? "migrate to a failing command: error"
grep -q "VM status: running" "$tmp/fail.mon"
check $? "failed migrate: the machine runs on"

if [ -x "$ANALYZE" ]; then
    "$ANALYZE" "$tmp/vm.mig" >"$tmp/an.txt" 2>&1 && grep -q "FULL section .* 'cpu'" "$tmp/an.txt"
    check $? "amber-analyze reads the migrated stream"
fi

# The rules of QEMU's scripts/analyze-migration.py (the script is not
# shipped by Debian; analyze-check.py reads streams by the same rules).
if command -v python3 >/dev/null 2>&1; then
    python3 "$src/tests/integration/analyze-check.py" "$tmp/vm.mig" >"$tmp/check.txt" 2>&1
    check $? "migration stream follows analyze-migration.py's rules: $(head -c 120 "$tmp/check.txt")"
else
    echo "SKIP analyze-check.py: no python3"
fi

# Device-only state through the monitor.
run dev <<CMDS
expect "tick +2 "
stop
save_devices_state $tmp/dev.state
info registers
cont
expect "tick +4 "
load_devices_state $tmp/dev.state
stop
load_devices_state $tmp/dev.state
info registers
load_devices_state $tmp/vm.mig
quit
CMDS
grep -q "Error: Cannot update device state while vm is running" "$tmp/dev.mon"
check $? "load_devices_state refused while running"
pcs=$(grep '^ pc ' "$tmp/dev.mon" | sort -u | wc -l)
[ "$pcs" = 1 ] && [ "$(grep -c '^ pc ' "$tmp/dev.mon")" = 2 ]
check $? "load_devices_state restores the CPU in place"
grep -q "Error: loading device state failed: .*RAM loading not allowed in device state" "$tmp/dev.mon"
check $? "a migration stream is not device state"
if command -v python3 >/dev/null 2>&1; then
    python3 "$src/tests/integration/analyze-check.py" "$tmp/dev.state" >"$tmp/check.txt" 2>&1
    check $? "device state follows analyze-migration.py's rules"
fi

# globalstate: a savevm refused (no disk) after recording the run state
# "running" leaves nothing behind; device state saved once stopped says
# "paused", the state it was saved in.
run gs <<CMDS
expect "tick +1 "
savevm s1
stop
save_devices_state $tmp/gs.state
quit
CMDS
grep -q "No block device can accept snapshots" "$tmp/gs.mon" &&
    LC_ALL=C grep -aqP '\x00\x07paused\x00' "$tmp/gs.state" &&
    ! LC_ALL=C grep -aqP '\x00\x08running\x00' "$tmp/gs.state"   # size, then the name
check $? "a refused savevm's run state does not reach a later save (globalstate: paused)"

finish
