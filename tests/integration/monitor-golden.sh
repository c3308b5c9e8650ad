#!/bin/bash
# Golden monitor transcripts: each tests/monitor/NAME.cmd is piped to
#   amber -M virt -bios none -kernel demo.elf -S -monitor stdio
# and the filtered output plus "[exit status N]" must equal NAME.out.
# Filters: the version, thread ids, the translation counters of info jit,
# its back end (the JIT or the interpreter: AMBER_JIT) and the temporary directory (@TMP@ in the .cmd) vary legitimately.
# AMBER_UPDATE_GOLDEN=1 rewrites the .out files instead of comparing.
. "$(dirname "$0")/lib.sh"
elf=$guests/demo/demo.elf
need_elf "$elf"
lib_tmpdir
version=$(cat "$src/VERSION" 2>/dev/null || echo 0.1.0)

filter() {
    sed -E -e "s|$tmp|@TMP@|g" \
        -e "s|Amber $version monitor|Amber VERSION monitor|" \
        -e "s|^$version\$|VERSION|" \
        -e 's/thread_id=[0-9]*/thread_id=N/' \
        -e 's/^(TB [a-z ]+|TLB [a-z ]+|instructions|MMIO accesses|exceptions|interrupts)( +)[0-9]+( \([0-9]+%\))?$/\1\2N/' \
        -e 's/^Back end( +).*/Back end\1B/' -e '/^JIT /d'
}

for cmd in "$src"/tests/monitor/*.cmd; do
    name=$(basename "$cmd" .cmd)
    want=${cmd%.cmd}.out
    sed "s|@TMP@|$tmp|g" "$cmd" >"$tmp/in"
    timeout 60 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -S -monitor stdio <"$tmp/in" >"$tmp/raw" 2>&1
    rc=$?
    { filter <"$tmp/raw"; printf '\n[exit status %d]\n' "$rc"; } >"$tmp/got"
    if [ -n "${AMBER_UPDATE_GOLDEN:-}" ]; then
        cp "$tmp/got" "$want"
        echo "UPDATED $name"
        passed=$((passed + 1))
    elif [ -f "$want" ] && diff -u "$want" "$tmp/got" >"$tmp/diff"; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (diff expected/got):"
        cat "$tmp/diff" 2>/dev/null | head -60
        failed=$((failed + 1))
    fi
done

# memsave/pmemsave wrote what x showed (the boot ROM).
sed "s|@TMP@|$tmp|g" "$src/tests/monitor/basic.cmd" >"$tmp/in"
timeout 60 "$AMBER" -icount sleep=off -M virt -bios none -kernel "$elf" -S -monitor stdio <"$tmp/in" >/dev/null 2>&1
shown=$(grep -A1 -x '(amber) xp/4xw 0x1000' "$src/tests/monitor/basic.out" | tail -n1 |
        sed -E 's/^[0-9a-f]+: //; s/0x//g' | xargs)
if [ "$(stat -c %s "$tmp/rom.bin" 2>/dev/null)" = 32 ] &&
   [ "$(od -An -tx4 -N16 "$tmp/rom.bin" | xargs)" = "$shown" ]; then
    echo "PASS pmemsave content"; passed=$((passed + 1))
else
    echo "FAIL pmemsave content: $(od -An -tx4 -N16 "$tmp/rom.bin" 2>&1)"; failed=$((failed + 1))
fi
if cmp -s -n 16 "$tmp/rom.bin" "$tmp/rom16.bin" && [ "$(stat -c %s "$tmp/rom16.bin")" = 16 ]; then
    echo "PASS memsave content"; passed=$((passed + 1))
else
    echo "FAIL memsave content"; failed=$((failed + 1))
fi

finish
