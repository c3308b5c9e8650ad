#!/bin/bash
# VM state on the command line: -dump-vmstate against the committed copy
# (an incompatible state change must show up here and be deliberate: bump
# the section's version or add a subsection, then update
# tests/data/vmstate-dump.json), and -incoming / amber-analyze refusals.
# Full save/restore round trips run in tests/unit/test-machine-vmstate.c.
. "$(dirname "$0")/lib.sh"
need_amber
lib_tmpdir

# expect_fail NAME PATTERN CMD...: exit status 1 and PATTERN on stderr.
expect_fail() {
    local name=$1 pat=$2; shift 2
    timeout 30 "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq 1 ] && grep -qF -- "$pat" "$tmp/err"; then
        check 0 "$name"
    else
        check 1 "$name"
        echo "     exit $rc, stderr: $(head -c 400 "$tmp/err")"
    fi
}

"$AMBER" -bios none -dump-vmstate "$tmp/dump.json"
check $? "-dump-vmstate writes the description"
if diff -u "$src/tests/data/vmstate-dump.json" "$tmp/dump.json" >"$tmp/diff"; then
    check 0 "-dump-vmstate matches tests/data/vmstate-dump.json"
else
    check 1 "-dump-vmstate matches tests/data/vmstate-dump.json"
    head -n 40 "$tmp/diff"
fi
expect_fail "-dump-vmstate to an unwritable path" "-dump-vmstate /nonexistent/d.json" \
    "$AMBER" -bios none -dump-vmstate /nonexistent/d.json

expect_fail "-incoming: command fails" "(command 'exit 3' exited with status 3)" \
    "$AMBER" -bios none -serial null -incoming "exec:exit 3"
printf 'XEVM\0\0\0\3' >"$tmp/badmagic"
expect_fail "-incoming: bad magic" "Not a migration stream, magic: 5845564d != 5145564d" \
    "$AMBER" -bios none -serial null -incoming "exec:cat '$tmp/badmagic'"
printf 'QEVM\0\0\0\2' >"$tmp/v2"
expect_fail "-incoming: v2 stream" "SaveVM v2 format is obsolete and no longer supported" \
    "$AMBER" -bios none -serial null -incoming "file:$tmp/v2"
printf 'QEVM\0\0\0\3\7\0\0\0\10sifive_u' >"$tmp/machine"
expect_fail "-incoming: machine type" "Machine type received is 'sifive_u' and local is 'virt'" \
    "$AMBER" -bios none -serial null -incoming "file:$tmp/machine"
printf 'QEVM\0\0\0\3\7\0\0\0\4virt\11' >"$tmp/type"
expect_fail "-incoming: unknown section type" "Unknown savevm section type 9" \
    "$AMBER" -bios none -serial null -incoming "file:$tmp/type"
printf 'QEVM\0\0\0\3\7\0\0\0\4virt' >"$tmp/trunc"
expect_fail "-incoming: truncated stream" "stream truncated at offset 17" \
    "$AMBER" -bios none -serial null -incoming "file:$tmp/trunc"
printf 'QEVM\0\0\0\3\7\0\0\0\4virt\4\0\0\0\1\4nope\0\0\0\0\0\0\0\1' >"$tmp/unknown"
expect_fail "-incoming: unknown section" "Unknown section or instance 'nope' 0" \
    "$AMBER" -bios none -serial null -incoming "file:$tmp/unknown"
expect_fail "-incoming: missing file" "$tmp/none" \
    "$AMBER" -bios none -serial null -incoming "file:$tmp/none"
expect_fail "-incoming: unsupported URI" "unknown migration protocol: vsock:1:2" \
    "$AMBER" -bios none -serial null -incoming "vsock:1:2"

if [ -x "$ANALYZE" ]; then
    expect_fail "amber-analyze: not a stream" "offset" "$ANALYZE" "$tmp/badmagic"
    expect_fail "amber-analyze: missing file" "No such file" "$ANALYZE" "$tmp/none"
else
    check 1 "amber-analyze built"
fi
finish
