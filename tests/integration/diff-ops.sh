#!/bin/bash
# Differential test of the F, D and B-extension instructions with
# qemu-system-riscv64 as the oracle. tests/guest/opdiff runs every
# instruction (101 of them) on DIFF_TUPLES random operand tuples (default
# 100000; special values included, every rounding-mode encoding) and prints
# a hash of the destination register and fflags after each one, per
# instruction. Both emulators run the same ELF with the same seed; an
# instruction passes when the hashes are equal. On a mismatch the script
# narrows it to a block of 1024 tuples and then prints the first tuple that
# differs (operands, rounding mode, both results and fflags).
#
#   DIFF_TUPLES=N   tuples per instruction (the long run: e.g. 2000000)
#   DIFF_SEED=S     PRNG seed (default 1)
. "$(dirname "$0")/lib.sh"
QEMU=${QEMU:-qemu-system-riscv64}
elf=$guests/opdiff/opdiff.elf
n=${DIFF_TUPLES:-100000}
seed=${DIFF_SEED:-1}
command -v "$QEMU" >/dev/null 2>&1 || skip_all "$QEMU not found, no reference to compare with"
need_elf "$elf"
need_amber
lib_tmpdir
# About 1 s per million tuples on each emulator when idle; sanitizer builds
# and a busy host are several times slower.
tmo=${DIFF_TIMEOUT:-$((300 + n / 2000))}

run() {   # run WHO OUTFILE ARGS: the guest with -append ARGS on WHO
    local bin=$QEMU extra=()
    [ "$1" = amber ] && { bin=$AMBER; extra=(-icount sleep=off); }
    timeout "$tmo" "$bin" "${extra[@]}" -M virt -bios none -nographic -kernel "$elf" \
        -append "$3" </dev/null 2>"$2.err" | tr -d '\r' >"$2"
    return "${PIPESTATUS[0]}"
}

# The first line where two outputs differ, as "qemu: ..." / "amber: ...".
first_diff() {
    diff "$1" "$2" | awk '/^</ && !q { q = substr($0, 3) } /^>/ && !a { a = substr($0, 3) }
                           END { print "qemu:  " q; print "amber: " a }'
}

args="n=$n seed=$seed"
start=$SECONDS
run qemu "$tmp/q" "$args" & qpid=$!
run amber "$tmp/a" "$args"; arc=$?
wait $qpid; qrc=$?
echo "opdiff: $n tuples per instruction, seed $seed, $((SECONDS - start)) s for both"
if [ "$qrc" -ne 0 ] || ! grep -q '^opdiff done' "$tmp/q"; then
    fail "qemu run" "exit status $qrc" "$(tail -n 3 "$tmp/q" "$tmp/q.err")"
    finish
fi
if [ "$arc" -ne 0 ] || ! grep -q '^opdiff done' "$tmp/a"; then
    fail "amber run" "exit status $arc" "$(tail -n 3 "$tmp/a" "$tmp/a.err")"
fi

classes=0 tuples=0
while read -r name count hash; do
    [ "$name" = opdiff ] && continue
    classes=$((classes + 1))
    tuples=$((tuples + count))
    if grep -qxF "$name $count $hash" "$tmp/a"; then
        pass "$name ($count tuples)"
        continue
    fi
    # Narrow down: block hashes, then the tuples of the first differing block.
    run qemu "$tmp/qb" "$args only=$name blocks=1" & p=$!
    run amber "$tmp/ab" "$args only=$name blocks=1"
    wait $p
    blk=$(diff "$tmp/qb" "$tmp/ab" | awk '/^< block/ { print $3; exit }')
    if [ -z "$blk" ]; then
        fail "$name" "hashes differ but no block does" "$(first_diff "$tmp/qb" "$tmp/ab")"
        continue
    fi
    run qemu "$tmp/qd" "$args only=$name detail=$blk" & p=$!
    run amber "$tmp/ad" "$args only=$name detail=$blk"
    wait $p
    mapfile -t lines < <(first_diff "$tmp/qd" "$tmp/ad")
    fail "$name" "first difference in block $blk (tuple: index rm frm operands -> rd fflags)" \
        "${lines[@]}"
done < <(grep -E '^[a-z0-9.]+ [0-9]+ 0x[0-9a-f]+$' "$tmp/q")
[ "$classes" -ge 101 ] || fail "instruction count" "qemu printed $classes, expected 101"
echo "opdiff: $classes instructions, $tuples tuples compared"
finish
