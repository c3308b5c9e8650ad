#!/bin/bash
# A bounded libFuzzer run of the record/replay log parser (tests/fuzz/fuzz-replay-log.c,
# built by `make fuzz` with ASan and UBSan when clang is there), seeded with
# a real log the fuzzer writes. Any crash, sanitizer
# report or leak fails the test. FUZZ_RUNS overrides the number of inputs.
. "$(dirname "$0")/lib.sh"
fuzzer=$build/tests/fuzz/fuzz-replay-log
runs=${FUZZ_RUNS:-4000}
if [ ! -x "$fuzzer" ]; then
    command -v clang >/dev/null || skip_all "clang not installed, no libFuzzer target (apt-get install clang)"
    skip_all "$fuzzer not built (run make fuzz)"
fi
lib_tmpdir
mkdir "$tmp/corpus" "$tmp/seeds"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
FUZZ_WRITE_SEED=$tmp/seeds/log "$fuzzer" >"$tmp/seed.log" 2>&1
check $? "fuzzer writes a real log as seed"
# A bounded, seeded run from the seed alone (new inputs go to a scratch
# corpus), so every run does the same amount of work.
cd "$tmp"
"$fuzzer" -runs="$runs" -seed=1 -max_len=65536 -len_control=0 -timeout=10 \
    -rss_limit_mb=2048 "$tmp/corpus" "$tmp/seeds" >"$tmp/log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+DONE|ERROR|SUMMARY' "$tmp/log" | head -5
check $rc "fuzz-replay-log: $runs inputs without a crash, leak or sanitizer report"
[ $rc -ne 0 ] && tail -n 40 "$tmp/log"
finish
