#!/bin/bash
# A bounded libFuzzer run of the VM state loader (tests/fuzz/fuzz-loadvm.c,
# built by `make fuzz` with ASan and UBSan when clang is there), seeded with
# a real stream the fuzzer writes of its own machine. Any crash, sanitizer
# report or leak fails the test. FUZZ_RUNS overrides the number of inputs.
set -u
build=${AMBER_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)}
fuzzer=$build/tests/fuzz/fuzz-loadvm
runs=${FUZZ_RUNS:-4000}
if [ ! -x "$fuzzer" ]; then
    if ! command -v clang >/dev/null; then
        echo "SKIP: clang not installed, no libFuzzer target (apt-get install clang)"
    else
        echo "SKIP: $fuzzer not built (run make fuzz)"
    fi
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus" "$tmp/seeds"
passed=0 failed=0
check() { if [ "$1" = 0 ]; then echo "PASS $2"; passed=$((passed + 1)); else echo "FAIL $2"; failed=$((failed + 1)); fi; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
FUZZ_WRITE_SEED=$tmp/seeds/stream "$fuzzer" >"$tmp/seed.log" 2>&1
check $? "fuzzer writes a real stream as seed"
# A bounded, seeded run from the seed alone (new inputs go to a scratch
# corpus), so every run does the same amount of work.
cd "$tmp"
"$fuzzer" -runs="$runs" -seed=1 -max_len=65536 -len_control=0 -timeout=10 \
    -rss_limit_mb=2048 "$tmp/corpus" "$tmp/seeds" >"$tmp/log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+DONE|ERROR|SUMMARY' "$tmp/log" | head -5
check $rc "fuzz-loadvm: $runs inputs without a crash, leak or sanitizer report"
[ $rc -ne 0 ] && tail -n 40 "$tmp/log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
