#!/bin/bash
# A bounded libFuzzer run of virtio-net's queue and frame handling
# (tests/fuzz/fuzz-virtio-net.c, built by `make fuzz` with ASan and UBSan
# when clang is there), seeded with a well-formed input the fuzzer writes.
# Any crash, sanitizer report or leak fails the test. FUZZ_RUNS overrides
# the number of inputs.
. "$(dirname "$0")/lib.sh"
fuzz_setup fuzz-virtio-net
runs=${FUZZ_RUNS:-8000}
FUZZ_WRITE_SEED=$tmp/seeds/seed "$fuzzer" >"$tmp/seed.log" 2>&1
check $? "fuzzer writes a well-formed seed"
fuzz_run "$runs" 32768 10 "fuzz-virtio-net: $runs inputs without a crash, leak or sanitizer report"
finish
