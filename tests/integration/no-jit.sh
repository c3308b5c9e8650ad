#!/bin/bash
# The build a host without the x86-64 JIT gets (doc/jit.md: aarch64 and
# others): jit.h turns the JIT off unless __x86_64__, and AMBER_NO_JIT
# does the same here. An out-of-tree build with CFLAGS=-DAMBER_NO_JIT must
# link, run the hello guest to the same output as the normal build, take
# `-accel tcg,jit=on` (the default) by running the interpreter, and say so
# in `info jit`.
. "$(dirname "$0")/lib.sh"
need_amber
hello=$guests/hello/hello.elf
need_elf "$hello"
lib_tmpdir /tmp/amber-nojit.XXXXXX

if (cd "$tmp" && "$src/configure" --no-install-deps >build.log 2>&1 &&
    make -j2 CFLAGS=-DAMBER_NO_JIT amber >>build.log 2>&1); then
    pass "the interpreter-only build (CFLAGS=-DAMBER_NO_JIT, out of tree) links"
else
    fail "the interpreter-only build (CFLAGS=-DAMBER_NO_JIT, out of tree) links" "$(tail -n 20 "$tmp/build.log")"
    finish
fi
nojit=$tmp/amber
run() { timeout 60 "$1" -M virt -bios none -nographic -kernel "$hello" "${@:2}" </dev/null 2>&1; }
run "$AMBER" >"$tmp/ref"
run "$nojit" >"$tmp/out"
check_that "hello runs to the same output on the interpreter-only build" \
    "[ -s '$tmp/out' ] && cmp -s '$tmp/ref' '$tmp/out'" "$(head -c 400 "$tmp/out")"
run "$nojit" -accel tcg,jit=on >"$tmp/out2"
check_that "-accel tcg,jit=on runs the interpreter there" "cmp -s '$tmp/ref' '$tmp/out2'"
printf 'info jit\nquit\n' | timeout 60 "$nojit" -M virt -bios none -kernel "$hello" -S \
    -display none -serial null -monitor stdio >"$tmp/mon" 2>&1
check_that "info jit says the interpreter runs" "grep -q 'Back end *interpreter' '$tmp/mon'" \
    "$(head -c 400 "$tmp/mon")"
printf 'info jit\nquit\n' | timeout 60 "$AMBER" -M virt -bios none -kernel "$hello" -S \
    -display none -serial null -monitor stdio >"$tmp/mon2" 2>&1
check_that "and the normal build's says x86-64 JIT" "grep -q 'Back end *x86-64 JIT' '$tmp/mon2'" \
    "$(head -c 400 "$tmp/mon2")"
finish
