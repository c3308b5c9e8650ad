#!/bin/bash
# The JIT and the interpreter give the same run: every guest program here
# (the ISA tests, hello, the short benchmarks, the SMP test on 4 harts, the
# paging log guest, the virtio-blk guest) runs to its end under
# -accel tcg,jit=on and -accel tcg,jit=off with -no-shutdown; the serial
# transcript, the final registers of every hart (info registers, FP
# included) and the instruction count (info jit) must be equal.
. "$(dirname "$0")/lib.sh"
need_amber
lib_tmpdir
cd "$tmp" || exit 1

run() {   # run TAG JIT ELF END [extra args]: TAG.serial, TAG.mon
    local tag=$1 jit=$2 elf=$3 end=$4; shift 4
    {
        # the guest's last line, then a moment for it to power off
        echo "expect '$end' 300"
        echo 'expect "@@ never printed @@" 2'
        echo 'info status'
        for h in 0 1 2 3; do
            echo "cpu $h"
            echo "info registers"
        done
        echo "info jit"
    } | timeout 600 "$AMBER" -accel "tcg,jit=$jit" -icount sleep=off -M virt -bios none \
        -kernel "$elf" -no-shutdown -serial "file:$tag.serial" -monitor stdio "$@" \
        >"$tag.mon" 2>&1
}

# What must be equal: the registers (drop info jit's counters except the
# instruction count, and the lines about the back end).
state() {
    grep -v -E '^(TB |TLB |MMIO|exceptions|interrupts|Back end|JIT |Translation|Execution)' "$1" |
        grep -v -E '^(\(amber\)|expect:|Error: expect)'
}

n=0
for elf in "$guests"/isa/isa-*.elf "$guests"/hello/hello.elf "$guests"/bench/rvbench-short.elf \
           "$guests"/bench/fpbench-short.elf "$guests"/smp/smptest.elf "$guests"/log/log-paging.elf; do
    [ -f "$elf" ] || continue
    name=$(basename "$elf" .elf)
    extra=()
    case $name in
    isa-*) end='1\.\.\d+' ;;
    hello) end='exiting with code' ;;
    rvbench-short) end='@mtime_delta_10MHz=\d+' ;;
    fpbench-short) end='@minstret_delta=\d+' ;;
    log-paging) end='paging on, faults \d+' ;;
    smptest) end='smptest: [A-Z]+'; extra=(-smp 4) ;;
    esac
    run "$name-jit" on "$elf" "$end" "${extra[@]}"
    run "$name-int" off "$elf" "$end" "${extra[@]}"
    n=$((n + 1))
    if ! grep -q 'paused (shutdown)' "$name-jit.mon" || ! grep -q 'paused (shutdown)' "$name-int.mon"; then
        fail "$name: both runs reach the guest's power-off" "$(tail -n 3 "$name-jit.mon" "$name-int.mon")"
        continue
    fi
    grep -q '^Back end  *x86-64 JIT' "$name-jit.mon" || ! grep -q 'x86' <<<"$(uname -m)"
    check $? "$name: jit=on runs the JIT (x86-64 host)"
    grep -q '^Back end  *interpreter' "$name-int.mon"
    check $? "$name: jit=off runs the interpreter"
    cmp -s "$name-jit.serial" "$name-int.serial"
    check $? "$name: the same serial output ($(stat -c %s "$name-jit.serial") bytes)"
    a=$(grep '^instructions' "$name-jit.mon") b=$(grep '^instructions' "$name-int.mon")
    [ "$a" = "$b" ]
    check $? "$name: the same instruction count (${a##* } / ${b##* })"
    if diff <(state "$name-jit.mon") <(state "$name-int.mon") >"$name.diff"; then
        pass "$name: the same final registers on every hart"
    else
        fail "$name: the same final registers on every hart" "$(head -n 20 "$name.diff")"
    fi
done
[ "$n" -gt 0 ] || skip_all "no guest programs in $guests (no RISC-V cross compiler?)" 1
finish
