#!/bin/bash
# A bounded libFuzzer run of the VM state loader (tests/fuzz/fuzz-loadvm.c)
# from a real stream as seed, under ASan and UBSan. Needs clang; skipped
# with the reason otherwise. The fuzzer is built once per source change in
# $AMBER_BUILD/tests/fuzz-build. FUZZ_RUNS overrides the number of inputs.
set -u
build=${AMBER_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
runs=${FUZZ_RUNS:-4000}
if ! command -v clang >/dev/null 2>&1; then
    echo "SKIP: clang not installed (needed for -fsanitize=fuzzer)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
out=$build/tests/fuzz-build
mkdir -p "$out/obj" "$out/seed"
bin=$out/fuzz-loadvm
srcs=$(cd "$src" && ls emu/*.c hw/*.c savevm/*.c block/*.c | grep -v '^emu/main.c$')
flags="-std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
 -D_GNU_SOURCE -I$src -DAMBER_VERSION=\"fuzz\" -DAMBER_SRCDIR=\"$src\""
# Rebuild when any source or header is newer than the binary.
if [ ! -x "$bin" ] || [ -n "$(find "$src/emu" "$src/hw" "$src/savevm" "$src/block" "$src/tests/fuzz" \
        -newer "$bin" \( -name '*.c' -o -name '*.h' \) | head -n 1)" ]; then
    echo "building $bin"
    objs=()
    for s in $srcs; do objs+=("$out/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')"); done
    i=0
    pids=()
    fail=0
    for s in $srcs; do
        o=${objs[$i]}
        clang $flags -c "$src/$s" -o "$o" &
        pids+=($!)
        i=$((i + 1))
        if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || fail=1; pids=("${pids[@]:1}"); fi
    done
    for p in "${pids[@]}"; do wait "$p" || fail=1; done
    if [ $fail -ne 0 ] || ! clang $flags -fsanitize=fuzzer "$src/tests/fuzz/fuzz-loadvm.c" \
            "${objs[@]}" -o "$bin" -lfdt -ljansson -lz -lm; then
        echo "FAIL: building the fuzzer"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi
passed=0 failed=0
check() { if [ "$1" = 0 ]; then echo "PASS $2"; passed=$((passed + 1)); else echo "FAIL $2"; failed=$((failed + 1)); fi; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
FUZZ_WRITE_SEED=$out/seed/stream "$bin" >/dev/null 2>&1
check $? "fuzzer writes a real stream as seed"
# A bounded, seeded run from the seed alone (new inputs go to a scratch
# directory), so every run does the same work.
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
"$bin" -runs="$runs" -seed=1 -max_len=65536 -len_control=0 "$corpus" "$out/seed" \
    >"$out/run.log" 2>&1
rc=$?
check $rc "fuzz-loadvm: $runs inputs without a crash, leak or sanitizer report"
[ $rc -ne 0 ] && tail -n 40 "$out/run.log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
