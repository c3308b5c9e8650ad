#!/bin/bash
# Amber's test driver (make check). Runs every CUnit program in tests/unit and
# every integration script in tests/integration; each prints a closing line
# "N passed, N failed[, N skipped]" which is summed into the final line.
# Set AMBER_TESTS=pattern to run only matching tests.
set -u
build=${AMBER_BUILD:?}
src=${AMBER_SRCDIR:?}
export AMBER_BUILD AMBER_SRCDIR
export AMBER="$build/amber"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logdir="$build/tests/logs"
mkdir -p "$logdir"

tp=0 tf=0 ts=0
failed_names=()

run_one() {
    local name=$1; shift
    if [ -n "${AMBER_TESTS:-}" ] && [[ $name != *${AMBER_TESTS}* ]]; then return; fi
    local log="$logdir/$(basename "$name").log"
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local line
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    local p=0 f=0 s=0
    if [ -n "$line" ]; then
        p=$(sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/' <<<"$line")
        f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
        if [[ $line == *skipped* ]]; then s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line"); fi
    fi
    # A crash or non-zero exit without a failure count still counts as a failure.
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ -z "$line" ] && [ $rc -eq 0 ]; then p=1; fi
    tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
    local status=PASS
    [ "$f" -ne 0 ] && { status=FAIL; failed_names+=("$name"); }
    printf '%-4s %-40s %4d passed %3d failed %3d skipped  (%ds)\n' "$status" "$name" "$p" "$f" "$s" $((SECONDS - start))
    if [ "$status" = FAIL ]; then
        # The failures first (with their detail lines), then the tail: a
        # flaky check early in a long log must still be named.
        echo "---- failures in $log ----"
        grep -E -A4 '^(FAIL|not ok|.*FAILED|.*ERROR: AddressSanitizer|.*runtime error)' "$log" | head -n 40
        echo "---- tail of $log ----"; tail -n 30 "$log"; echo "----"
    elif [ "$s" -ne 0 ]; then
        grep -i 'skip' "$log" | head -n 5 | sed 's/^/     /'
    fi
}

for t in "$build"/tests/unit/test-*; do
    [ -x "$t" ] && [[ $t != *.[od] ]] || continue
    run_one "unit/$(basename "$t")" "$t"
done
# The house rules: no include runs up a floor, no cycle between directories.
run_one "scripts/check-layers" python3 "$src/scripts/check-layers" "$src"
# ... and no mutable global below system/ (one machine's state is its own).
run_one "scripts/check-globals" bash "$src/scripts/check-globals" "$build" "$src"
for t in "$src"/tests/integration/*.sh; do
    [ "$(basename "$t")" = lib.sh ] && continue   # the shared library, not a test
    [ -f "$t" ] || continue
    run_one "integration/$(basename "$t" .sh)" bash "$t"
done
# The integration tests run with the default back end (the JIT on x86-64);
# the guest programs' own tests run once more on the interpreter
# (jit-backends.sh and jit-snapshot.sh compare the two directly).
for t in isa firmware linux smp; do
    [ -f "$src/tests/integration/$t.sh" ] || continue
    run_one "integration/$t (jit=off)" env AMBER_JIT=off bash "$src/tests/integration/$t.sh"
done

echo
if [ ${#failed_names[@]} -ne 0 ]; then echo "failed: ${failed_names[*]}"; fi
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
