#!/bin/bash
# Differential test: runs each guest ELF on qemu-system-riscv64 (the
# reference) and on $AMBER with the same flags and compares the serial
# output (CR stripped; lines starting with "@" carry timing values and are
# ignored) and the exit status.  demo-ticks.elf is the demo built to stop
# by itself after 12 ticks, so it needs no input. fpbench-short.elf prints
# the bits of its double-precision results.
. "$(dirname "$0")/lib.sh"
QEMU=${QEMU:-qemu-system-riscv64}
TMO=${DIFF_TIMEOUT:-60}
g=$guests
elfs=("$g"/hello/hello.elf "$g"/hello/hello42.elf "$g"/demo/demo-ticks.elf
      "$g"/bench/rvbench-short.elf "$g"/bench/fpbench-short.elf)
for e in "$g"/isa/isa-*.elf; do [ -f "$e" ] && elfs+=("$e"); done
have=()
for e in "${elfs[@]}"; do [ -f "$e" ] && have+=("$e"); done
command -v "$QEMU" >/dev/null 2>&1 || skip_all "$QEMU not found, no reference to compare with" ${#elfs[@]}
[ ${#have[@]} -gt 0 ] || skip_all "no guest ELFs in $g (no RISC-V cross compiler?)" ${#elfs[@]}
need_amber
lib_tmpdir
run() {   # run BIN ELF OUTFILE [args] -> exit status
    timeout "$TMO" "$1" "${@:4}" -M virt -bios none -nographic -kernel "$2" </dev/null 2>"$3.err" \
        | tr -d '\r' | grep -v '^@' >"$3"
    return "${PIPESTATUS[0]}"
}
skipped=$(( ${#elfs[@]} - ${#have[@]} ))
for elf in "${have[@]}"; do
    name=$(basename "$elf" .elf)
    run "$QEMU" "$elf" "$tmp/q"; qrc=$?
    run "$AMBER" "$elf" "$tmp/a" -icount sleep=off; arc=$?
    if [ "$qrc" -eq 124 ]; then
        echo "SKIP $name: reference run timed out"
        skipped=$((skipped + 1))
        continue
    fi
    if [ "$qrc" -eq "$arc" ] && cmp -s "$tmp/q" "$tmp/a"; then
        echo "PASS $name (exit $arc, $(wc -l <"$tmp/a") lines)"
        passed=$((passed + 1))
    else
        echo "FAIL $name: exit status qemu=$qrc amber=$arc"
        diff -u --label qemu --label amber "$tmp/q" "$tmp/a" | head -n 30 | sed 's/^/    /'
        [ -s "$tmp/a.err" ] && { echo "    amber stderr:"; head -n 5 "$tmp/a.err" | sed 's/^/    /'; }
        failed=$((failed + 1))
    fi
done
finish
