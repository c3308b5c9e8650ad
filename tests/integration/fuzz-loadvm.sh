#!/bin/bash
# A bounded libFuzzer run of the VM state loader (tests/fuzz/fuzz-loadvm.c,
# built by `make fuzz` with ASan and UBSan when clang is there), seeded with
# a real stream the fuzzer writes of its own machine. Any crash, sanitizer
# report or leak fails the test. FUZZ_RUNS overrides the number of inputs.
. "$(dirname "$0")/lib.sh"
fuzz_setup fuzz-loadvm
runs=${FUZZ_RUNS:-4000}
FUZZ_WRITE_SEED=$tmp/seeds/stream "$fuzzer" >"$tmp/seed.log" 2>&1
check $? "fuzzer writes a real stream as seed"
fuzz_run "$runs" 65536 10 "fuzz-loadvm: $runs inputs without a crash, leak or sanitizer report"
finish
