#!/bin/bash
# Runs every ISA test guest (tests/guest/isa/isa-*.elf) on $AMBER.
# Each guest prints "ok N - name" / "not ok N - name" lines and exits 0 only
# when all its checks pass.  The final line counts individual checks
# (a program that crashes, times out or exits non-zero without a "not ok"
# line counts as one extra failure).
. "$(dirname "$0")/lib.sh"
TMO=${ISA_TIMEOUT:-30}
shopt -s nullglob
elfs=("$guests"/isa/isa-*.elf)
[ ${#elfs[@]} -gt 0 ] || skip_all "no ISA guests in $guests/isa (no RISC-V cross compiler?)" 8
need_amber
for elf in "${elfs[@]}"; do
    name=$(basename "$elf" .elf)
    out=$(timeout "$TMO" "$AMBER" -icount sleep=off -M virt -bios none -nographic -kernel "$elf" </dev/null 2>&1 | tr -d '\r')
    rc=${PIPESTATUS[0]}
    nok=$(grep -c '^ok ' <<<"$out")
    nbad=$(grep -c '^not ok' <<<"$out")
    passed=$((passed + nok))
    failed=$((failed + nbad))
    if [ "$rc" -eq 0 ] && [ "$nbad" -eq 0 ] && grep -q '^# summary' <<<"$out"; then
        echo "PASS $name: $nok checks"
    else
        why="exit status $rc"
        [ "$rc" -eq 124 ] && why="timed out after ${TMO}s"
        echo "FAIL $name: $nok ok, $nbad not ok, $why"
        grep '^not ok' <<<"$out" | head -n 40 | sed 's/^/    /'
        if [ "$nbad" -eq 0 ]; then
            failed=$((failed + 1))
            echo "    --- last output lines ---"
            tail -n 5 <<<"$out" | sed 's/^/    /'
        fi
    fi
done
finish
