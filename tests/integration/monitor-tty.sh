#!/bin/bash
# The monitor through a pseudo-terminal (readline, history, completion, mux):
# see monitor-tty.py.
set -u
build=${AMBER_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)}
AMBER=${AMBER:-$build/amber}
elf=$build/tests/guest/demo/demo.elf
if [ ! -f "$elf" ]; then
    echo "SKIP: $elf not built (no RISC-V cross compiler?)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
if ! command -v python3 >/dev/null; then
    echo "SKIP: python3 not installed (needed for the pty harness)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
exec timeout 120 python3 "$(dirname "$0")/monitor-tty.py" "$AMBER" "$elf"
