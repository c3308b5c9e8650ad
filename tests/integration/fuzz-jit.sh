#!/bin/bash
# A bounded libFuzzer run of the JIT (tests/fuzz/fuzz-jit.c, built by `make
# fuzz` with ASan and UBSan when clang is there): inputs are guest code run
# on the JIT and on the interpreter side by side. Seeded with the code of the
# ISA guests (their ELF files past the headers). Any crash, sanitizer report,
# leak or difference between the back ends fails the test. FUZZ_RUNS
# overrides the number of inputs.
. "$(dirname "$0")/lib.sh"
fuzz_setup fuzz-jit
runs=${FUZZ_RUNS:-4000}
n=0
for elf in "$guests"/isa/isa-*.elf; do
    [ -f "$elf" ] || continue
    # 256 bytes of register seed, then code from the ELF's first segment
    { head -c 256 /dev/zero; tail -c +4097 "$elf" | head -c 4096; } >"$tmp/seeds/$(basename "$elf" .elf)"
    n=$((n + 1))
done
head -c 1024 /dev/zero >"$tmp/seeds/zero"
[ "$n" -gt 0 ]
check $? "seed corpus: $n ISA guests and an empty program"
fuzz_run "$runs" 8192 20 "fuzz-jit: $runs inputs without a crash, leak, sanitizer report or back-end difference" "fuzz-jit:"
finish
