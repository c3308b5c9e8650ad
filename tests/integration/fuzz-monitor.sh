#!/bin/bash
# Runs the libFuzzer target for the monitor's parser for a bounded time
# (FUZZ_SECONDS, default 20), seeded with the golden transcripts. Any crash,
# sanitizer report, leak or hang (-timeout) fails the test.
. "$(dirname "$0")/lib.sh"
fuzzer=$build/tests/fuzz/fuzz-monitor
if [ ! -x "$fuzzer" ]; then
    command -v clang >/dev/null || skip_all "clang not installed, no libFuzzer target (apt-get install clang)"
    skip_all "$fuzzer not built (run make fuzz)"
fi
lib_tmpdir
mkdir "$tmp/corpus" "$tmp/seeds"
cp "$src"/tests/monitor/*.cmd "$tmp/seeds/"
secs=${FUZZ_SECONDS:-20}
cd "$tmp"
ASAN_OPTIONS=detect_leaks=1 "$fuzzer" -max_total_time="$secs" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -dict="$src/tests/fuzz/monitor.dict" -print_final_stats=1 \
    "$tmp/corpus" "$tmp/seeds" >"$tmp/log" 2>&1
rc=$?
grep -E '^Done|stat::number_of_executed_units|ERROR|SUMMARY' "$tmp/log" | head -20
if [ $rc -eq 0 ]; then
    pass "fuzz-monitor ran ${secs}s without a crash"
    finish
fi
fail "fuzz-monitor (status $rc)"
tail -n 40 "$tmp/log"
ls "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* 2>/dev/null | head -3 | while read -r f; do
    echo "input $f:"; od -c "$f" | head -10
done
finish
