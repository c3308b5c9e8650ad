#!/bin/bash
# A bounded libFuzzer run of the record/replay log parser (tests/fuzz/fuzz-replay-log.c,
# built by `make fuzz` with ASan and UBSan when clang is there), seeded with
# a real log the fuzzer writes. Any crash, sanitizer
# report or leak fails the test. FUZZ_RUNS overrides the number of inputs.
. "$(dirname "$0")/lib.sh"
fuzz_setup fuzz-replay-log
runs=${FUZZ_RUNS:-4000}
FUZZ_WRITE_SEED=$tmp/seeds/log "$fuzzer" >"$tmp/seed.log" 2>&1
check $? "fuzzer writes a real log as seed"
fuzz_run "$runs" 65536 10 "fuzz-replay-log: $runs inputs without a crash, leak or sanitizer report"
finish
