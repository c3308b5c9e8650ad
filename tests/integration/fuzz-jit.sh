#!/bin/bash
# A bounded libFuzzer run of the JIT (tests/fuzz/fuzz-jit.c, built by `make
# fuzz` with ASan and UBSan when clang is there): inputs are guest code run
# on the JIT and on the interpreter side by side. Seeded with the code of the
# ISA guests (their ELF files past the headers). Any crash, sanitizer report,
# leak or difference between the back ends fails the test. FUZZ_RUNS
# overrides the number of inputs.
. "$(dirname "$0")/lib.sh"
fuzzer=$build/tests/fuzz/fuzz-jit
runs=${FUZZ_RUNS:-4000}
if [ ! -x "$fuzzer" ]; then
    command -v clang >/dev/null || skip_all "clang not installed, no libFuzzer target (apt-get install clang)"
    skip_all "$fuzzer not built (run make fuzz)"
fi
lib_tmpdir
mkdir "$tmp/corpus" "$tmp/seeds"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
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
cd "$tmp"
"$fuzzer" -runs="$runs" -seed=1 -max_len=8192 -len_control=0 -timeout=20 \
    -rss_limit_mb=2048 "$tmp/corpus" "$tmp/seeds" >"$tmp/log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+DONE|ERROR|SUMMARY|fuzz-jit:' "$tmp/log" | head -5
check $rc "fuzz-jit: $runs inputs without a crash, leak, sanitizer report or back-end difference"
[ $rc -ne 0 ] && tail -n 40 "$tmp/log"
finish
