#!/bin/bash
# Runs the libFuzzer target for the GDB stub's input path (framing,
# checksums, every packet handler; tests/fuzz/fuzz-gdbstub.c) for a bounded
# time (FUZZ_SECONDS, default 20), seeded with a real gdb session's packets.
# Any crash, sanitizer report, leak or hang (-timeout) fails the test.
. "$(dirname "$0")/lib.sh"
fuzzer=$build/tests/fuzz/fuzz-gdbstub
if [ ! -x "$fuzzer" ]; then
    command -v clang >/dev/null || skip_all "clang not installed, no libFuzzer target (apt-get install clang)"
    skip_all "$fuzzer not built (run make fuzz)"
fi
lib_tmpdir
mkdir "$tmp/corpus" "$tmp/seeds"
# Seeds: what gdb sends when it attaches, reads, steps, sets points and
# passes a monitor command (checksums are computed here).
$PY - "$tmp/seeds" <<'PYEOF'
import sys
def pkt(s):
    return b"$" + s.encode() + b"#%02x" % (sum(s.encode()) & 0xff)
sessions = [
    ["qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+", "vMustReplyEmpty",
     "QStartNoAckMode", "Hg0", "qXfer:features:read:target.xml:0,ffb", "qTStatus", "?",
     "qfThreadInfo", "qsThreadInfo", "qAttached", "Hc-1", "qC", "g", "p20", "p341", "p1041",
     "m80000000,40", "m0,8", "qSymbol::"],
    ["Z0,80000010,2", "Z1,80000020,4", "Z2,80001000,8", "Z3,80001000,4", "Z4,80001008,1",
     "vCont?", "vCont;s:1", "vCont;s:2;c", "s", "z0,80000010,2", "z2,80001000,8",
     "c", "T1", "T3", "qThreadExtraInfo,2", "Hg2", "g"],
    ["P20=0010000000000000", "Pa=2a00000000000000", "P341=0800000000000000",
     "M80000100,4:01020304", "X80000104,2:ab", "G" + "00" * 264,
     "qRcmd,696e666f20726567697374657273", "D"],
]
for i, s in enumerate(sessions):
    with open("%s/session%d" % (sys.argv[1], i), "wb") as f:
        f.write(b"+".join(pkt(p) for p in s) + b"\x03")
PYEOF
secs=${FUZZ_SECONDS:-20}
cd "$tmp"
ASAN_OPTIONS=detect_leaks=1 "$fuzzer" -max_total_time="$secs" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$tmp/corpus" "$tmp/seeds" >"$tmp/log" 2>&1
rc=$?
grep -E '^Done|stat::number_of_executed_units|ERROR|SUMMARY' "$tmp/log" | head -20
if [ $rc -eq 0 ]; then
    pass "fuzz-gdbstub ran ${secs}s without a crash"
    finish
fi
fail "fuzz-gdbstub (status $rc)"
tail -n 40 "$tmp/log"
ls "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* 2>/dev/null | head -3 | while read -r f; do
    echo "input $f:"; od -c "$f" | head -10
done
finish
