#!/bin/bash
# The monitor through a pseudo-terminal (readline, history, completion, mux):
# see monitor-tty.py.
. "$(dirname "$0")/lib.sh"
elf=$guests/demo/demo.elf
need_elf "$elf"
need_cmd python3
exec timeout 120 python3 "$(dirname "$0")/monitor-tty.py" "$AMBER" "$elf"
