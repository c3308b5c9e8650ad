#!/bin/bash
# A bounded libFuzzer run of virtio-net's queue and frame handling
# (tests/fuzz/fuzz-virtio-net.c, built by `make fuzz` with ASan and UBSan
# when clang is there), seeded with a well-formed input the fuzzer writes.
# Any crash, sanitizer report or leak fails the test. FUZZ_RUNS overrides
# the number of inputs.
. "$(dirname "$0")/lib.sh"
fuzzer=$build/tests/fuzz/fuzz-virtio-net
runs=${FUZZ_RUNS:-8000}
if [ ! -x "$fuzzer" ]; then
    command -v clang >/dev/null || skip_all "clang not installed, no libFuzzer target (apt-get install clang)"
    skip_all "$fuzzer not built (run make fuzz)"
fi
lib_tmpdir
mkdir "$tmp/corpus" "$tmp/seeds"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
FUZZ_WRITE_SEED=$tmp/seeds/seed "$fuzzer" >"$tmp/seed.log" 2>&1
check $? "fuzzer writes a well-formed seed"
cd "$tmp"
"$fuzzer" -runs="$runs" -seed=1 -max_len=32768 -len_control=0 -timeout=10 \
    -rss_limit_mb=2048 "$tmp/corpus" "$tmp/seeds" >"$tmp/log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+DONE|ERROR|SUMMARY' "$tmp/log" | head -5
check $rc "fuzz-virtio-net: $runs inputs without a crash, leak or sanitizer report"
[ $rc -ne 0 ] && tail -n 40 "$tmp/log"
finish
