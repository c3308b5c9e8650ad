#!/bin/bash
# Reverse execution on the project's Linux guest (doc/PERFORMANCE.md):
# boots with -reverse on (checkpoints every 10M instructions, 512M bound),
# types `churn 1000000` into its shell once it is up (an idle tickless
# kernel's virtual time does not move), lets it run SECONDS more, stops it
# from the monitor, then times N reverse-stepi and one
# reverse-continue to the start of history through gdb-multiarch. Amber's
# exit line gives the checkpoints' count and memory.
# Usage: bench/reverse.sh [SECONDS] [N]
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
AMBER=${AMBER:-$src/amber}
secs=${1:-10}
n=${2:-50}
FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
image=$("$src/scripts/build-linux.sh" --cached-only | tail -n 1) || { echo "no cached kernel"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$AMBER" -M virt -m 256M -nographic -bios "$FW" -kernel "$image" -append console=ttyS0 \
    -reverse on -gdb "unix:$tmp/g.sock,server" -monitor "unix:$tmp/m.sock,server,nowait" \
    </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
hmp() {
    python3 - "$tmp/m.sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.3); s.recv(4096)
s.send(sys.argv[2].encode() + b'\n'); time.sleep(0.5)
PY
}
end=$((SECONDS + 120))
until grep -q 'amber-init' "$tmp/out" || [ $SECONDS -ge $end ]; do sleep 0.2; done
hmp 'type "churn 1000000\n"'
sleep "$secs"
hmp stop
{
    echo "set pagination off"
    echo "target remote $tmp/g.sock"
    echo 'shell date +%s%N'
    for _ in $(seq "$n"); do echo reverse-stepi; done
    echo 'shell date +%s%N'
    echo 'reverse-continue'
    echo 'shell date +%s%N'
    echo detach
} >"$tmp/g.cmd"
gdb-multiarch -nx -batch -x "$tmp/g.cmd" >"$tmp/g.out" 2>&1
mapfile -t t < <(grep -E '^[0-9]{15,}$' "$tmp/g.out")
hmp quit
wait $pid
echo "reverse-stepi: $n in $(( (t[1] - t[0]) / 1000000 )) ms, $(( (t[1] - t[0]) / n / 1000 )) us each (gdb round trips included)"
echo "reverse-continue to the start of history: $(( (t[2] - t[1]) / 1000000 )) ms"
grep -o 'reverse: .*' "$tmp/err"
pos=$(grep -o 'up to position [0-9]*' "$tmp/err" | tr -dc 0-9)
echo "guest time at the last checkpoint: $((pos * 8 / 1000000)) ms (position $pos, 8 ns per instruction)"
