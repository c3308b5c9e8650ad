#!/bin/bash
# -smp N with the multi-hart guest (tests/guest/smp): exact AMO and LR/SC
# totals, reservation probes, IPIs and per-hart timers at -smp 1/2/4/8 (and
# in host clock mode); the same transcript byte for byte on a second run;
# savevm with every hart mid-work, then -loadvm in a new process prints
# exactly what the uninterrupted run printed after the save point; a
# snapshot of 4 harts is refused by a machine of 1, naming both counts.
. "$(dirname "$0")/lib.sh"
ELF=$guests/smp/smptest.elf
need_elf "$ELF"
lib_tmpdir
cd "$tmp" || exit 1

args=(-icount sleep=off -bios none -kernel "$ELF" -m 32M)

for n in 1 2 4 8; do
    timeout 120 "$AMBER" "${args[@]}" -smp "$n" -nographic </dev/null >"run$n.out" 2>&1
    rc=$?
    check_that "-smp $n: the guest passes (exit $rc)" \
        "[ $rc = 0 ] && grep -q 'smptest: PASS' run$n.out && ! grep -q WRONG run$n.out" \
        "$(tail -n 5 "run$n.out")"
    check_that "-smp $n: the guest counted $n harts" "grep -q 'smptest: $n harts' run$n.out"
done
check_that "-smp 4: reservations broke (SC failures counted)" \
    "grep -q '^sc failures [1-9]' run4.out"
check_that "-smp 2: code rewritten by hart 1 runs new on hart 0 after fence.i" \
    "grep -q 'after fence.i: 2 ok' run2.out"

for n in 4 8; do
    timeout 120 "$AMBER" "${args[@]}" -smp "$n" -nographic </dev/null >"again$n.out" 2>&1
    cmp -s "run$n.out" "again$n.out"
    check $? "-smp $n: a second run prints the same transcript, byte for byte"
done
timeout 120 "$AMBER" -icount auto -bios none -kernel "$ELF" -m 32M -smp 4 -nographic \
    </dev/null >host4.out 2>&1
check_that "-smp 4, host clock: the guest passes" "grep -q 'smptest: PASS' host4.out"

# savevm with all harts mid-work (as round 5 of 16 begins), -loadvm in a
# new process.
"$IMG" create -f qcow2 ref.qcow2 16M >/dev/null
"$IMG" create -f qcow2 s.qcow2 16M >/dev/null
timeout 120 "$AMBER" "${args[@]}" -smp 4 -drive file=ref.qcow2,format=qcow2 \
    -serial file:ref.serial -monitor none </dev/null >/dev/null 2>&1
printf 'expect "work 5"\nstop\ninfo cpus\nsavevm mid\ncont\nexpect "smptest: PASS"\n' |
    timeout 120 "$AMBER" "${args[@]}" -smp 4 -drive file=s.qcow2,format=qcow2 \
        -serial file:save.serial -monitor stdio >save.mon 2>&1
check $? "savevm at -smp 4 while the harts work"
cmp -s ref.serial save.serial
check $? "savevm does not change the run's transcript"
check_that "the snapshot was taken mid-work (not every hart halted)" \
    "grep -q 'CPU #' save.mon && grep 'CPU #' save.mon | grep -qv halted" "$(cat save.mon)"
printf 'info status\nexpect "smptest: PASS"\n' |
    timeout 120 "$AMBER" "${args[@]}" -smp 4 -drive file=s.qcow2,format=qcow2 -loadvm mid \
        -serial file:load.serial -monitor stdio >load.mon 2>&1
rc=$?
check_that "-loadvm mid at -smp 4 runs to the end (exit $rc)" \
    "[ $rc = 0 ] && grep -q 'smptest: PASS' load.serial" "$(cat load.mon)"
n=$(stat -c %s load.serial)
check_that "-loadvm: the output after the restore is the uninterrupted run's" \
    "[ $n -gt 0 ] && tail -c $n ref.serial | cmp -s - load.serial"
check_that "-loadvm: it starts in round 5's work" \
    "tr -d '\\r' <load.serial | grep -v '^\$' | head -n 1 | grep -q '^round 5:'" "$(head -n 2 load.serial)"

printf 'loadvm mid\ninfo status\n' |
    timeout 60 "$AMBER" "${args[@]}" -smp 1 -drive file=s.qcow2,format=qcow2 -S \
        -serial null -monitor stdio >one.mon 2>&1
check_that "a 4-hart snapshot into -smp 1: refused, naming both counts" \
    "grep -q 'machine with 4 harts (-smp 4) and this machine has 1 (-smp 1)' one.mon" "$(cat one.mon)"
check_that "a 4-hart snapshot into -smp 1: refused before anything loaded (no internal-error)" \
    "grep -q 'VM status: paused (prelaunch)' one.mon" "$(cat one.mon)"

# Live migration at -smp 4 (the guest keeps running while RAM is sent):
# the source's output up to the switchover and the destination's after it
# are together the uninterrupted run's; another -smp refuses the stream.
printf 'expect "work 3"\nmigrate "exec:cat > live.mig"\ninfo status\n' |
    timeout 120 "$AMBER" "${args[@]}" -smp 4 -serial file:src.serial -monitor stdio \
        >src.mon 2>&1
check_that "live migration at -smp 4 completes" "grep -q 'VM status: paused (postmigrate)' src.mon" \
    "$(cat src.mon)"
timeout 120 "$AMBER" "${args[@]}" -smp 4 -incoming "exec:cat live.mig" -serial file:dst.serial \
    -monitor none </dev/null >dst.err 2>&1
rc=$?
check_that "-incoming at -smp 4 runs to the end (exit $rc)" \
    "[ $rc = 0 ] && grep -q 'smptest: PASS' dst.serial" "$(cat dst.err)"
timeout 120 "$AMBER" "${args[@]}" -smp 4 -serial file:ref2.serial -monitor none </dev/null >/dev/null 2>&1
cat src.serial dst.serial | cmp -s - ref2.serial
check $? "live migration: source then destination output == the uninterrupted run"
timeout 60 "$AMBER" "${args[@]}" -smp 2 -incoming "exec:cat live.mig" -serial null \
    -monitor none </dev/null >two.err 2>&1
check_that "-incoming of a 4-hart stream at -smp 2: refused, naming both counts" \
    "grep -q 'machine with 4 harts (-smp 4) and this machine has 2 (-smp 2)' two.err" "$(cat two.err)"
"$ANALYZE" live.mig >analyze.out 2>&1
check_that "amber-analyze reads a 4-hart stream (configuration/smp, cpu instances 0..3)" \
    "grep -q 'nr_harts = \"0x4\"' analyze.out && grep -q \"'cpu' instance 3 \" analyze.out" \
    "$(head -5 analyze.out)"

# system_reset mid-run: every hart restarts from the boot ROM and the guest
# passes again.
printf 'expect "work 2"\nsystem_reset\nexpect "smptest: PASS"\n' |
    timeout 120 "$AMBER" "${args[@]}" -smp 4 -serial file:reset.serial -monitor stdio >reset.mon 2>&1
check_that "system_reset at -smp 4: the guest starts over on 4 harts and passes" \
    "[ \$(grep -c 'smptest: 4 harts' reset.serial) = 2 ] && grep -q 'smptest: PASS' reset.serial" \
    "$(tail -3 reset.mon)"

# The debug log names the hart, as QEMU: "Trace 1:", "hart:1".
timeout 120 "$AMBER" "${args[@]}" -smp 2 -nographic -d int,exec -D smp.log </dev/null >/dev/null 2>&1
check_that "-d exec,int at -smp 2: lines of hart 1" \
    "grep -q '^Trace 1: ' smp.log && grep -q 'riscv_cpu_do_interrupt: hart:1, async:1, cause:0000000000000003' smp.log"

# The monitor: info cpus lists every hart, cpu N picks the one that info
# registers, p $reg and x use.
printf 'expect "work 3"\nstop\ninfo cpus\ncpu 2\ninfo cpus\np $pc\ninfo registers\nx/i $pc\ncpu 9\ncpu 0\np $pc\n' |
    timeout 60 "$AMBER" "${args[@]}" -smp 4 -serial null -monitor stdio >mon.out 2>&1
tr -d '\r' <mon.out >mon.txt
check_that "info cpus: four harts, * at hart 0" \
    "[ \$(grep -c '^[* ] CPU #[0-3]: pc=0x[0-9a-f]\\{16\\} thread_id=' mon.txt) = 8 ] &&
     grep -q '^\\* CPU #0:' mon.txt" "$(cat mon.txt)"
pc2=$(grep '^\* CPU #2:' mon.txt | sed 's/.*pc=0x0*\([0-9a-f]*\).*/\1/')
pc0=$(grep '^\* CPU #0:' mon.txt | sed 's/.*pc=0x0*\([0-9a-f]*\).*/\1/')
check_that "cpu 2: info cpus moves the *, p \$pc is hart 2's" \
    "[ -n '$pc2' ] && grep -qx '0x$pc2' mon.txt" "$(cat mon.txt)"
check_that "cpu 2: info registers and x/i show hart 2's pc" \
    "grep -q '^ pc  *0*$pc2\$' mon.txt && grep -q '^0x0*$pc2:' mon.txt" "$(cat mon.txt)"
check_that "cpu 9: invalid CPU index" "grep -qx 'Error: invalid CPU index' mon.txt"
check_that "cpu 0: back to hart 0's pc" "[ \"\$(grep -x '0x[0-9a-f]*' mon.txt | tail -1)\" = 0x$pc0 ]" \
    "$(cat mon.txt)"

finish
