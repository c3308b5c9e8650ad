#!/bin/bash
# Snapshot benchmark: savevm and loadvm of a 1 GiB guest that has written
# 256 MiB of RAM with non-zero data (tests/guest/snapshot/snap-touch.elf),
# on $AMBER and on qemu-system-riscv64 in the same run, each with a fresh
# 1 GiB qcow2 image (64 KiB clusters) attached as if=none. Both monitors are
# driven over a unix socket; a command's time runs from sending the line to
# the next prompt (the whole command: stop, stream, snapshot table, restart).
# Snapshot size: qemu-img snapshot -l's VM SIZE and the image file's growth.
# BENCH_SNAP_RUNS (default 3) rounds; the median is reported.
# Writes $BENCH_RESULTS/snapshot.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
QEMU=${QEMU:-qemu-system-riscv64}
RUNS=${BENCH_SNAP_RUNS:-3}
out=${BENCH_RESULTS:-$build/bench/results}
mkdir -p "$out"
md=$out/snapshot.md
elf=$build/tests/guest/snapshot/snap-touch.elf
skip() {
    echo "snapshot: skipped: $*"
    printf '| benchmark | result |\n|---|---|\n| snapshot | skipped: %s |\n' "$*" >"$md"
    exit 0
}
[ -f "$elf" ] || make -C "$build" guests >/dev/null 2>&1 || true
[ -f "$elf" ] || skip "$elf not built (no RISC-V cross compiler?)"
command -v qemu-img >/dev/null 2>&1 || skip "qemu-img missing (Debian package qemu-utils)"
have_qemu=1
command -v "$QEMU" >/dev/null 2>&1 || have_qemu=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# drive.py NAME PROMPT SOCK SERIAL IMAGE -- CMD...: starts the emulator, waits
# for "touched", times savevm and loadvm, checks the guest ticks on after
# the load, prints "save_s load_s vm_size_bytes file_growth_bytes".
cat >"$tmp/drive.py" <<'EOF'
import os, socket, subprocess, sys, time, re
name, prompt, sock, serial, image = sys.argv[1:6]
cmd = sys.argv[7:]
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=open(serial + ".err", "w"))
def wait_serial(pat, timeout=300):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if re.search(pat, open(serial, "rb").read().decode("latin1")):
                return
        except FileNotFoundError:
            pass
        if p.poll() is not None:
            sys.exit("%s exited early (%s)" % (name, open(serial + ".err").read()[-300:]))
        time.sleep(0.05)
    sys.exit("%s: timeout waiting for %r" % (name, pat))
for _ in range(200):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sock); break
    except OSError:
        time.sleep(0.05)
buf = b""
def until_prompt():
    global buf
    while prompt.encode() not in buf:
        d = s.recv(65536)
        if not d:
            sys.exit("%s: monitor closed" % name)
        buf += d
    text, buf = buf.split(prompt.encode(), 1)
    return text.decode("latin1")
until_prompt()
def command(line):
    t = time.perf_counter()
    s.sendall(line.encode() + b"\n")
    text = until_prompt()
    dt = time.perf_counter() - t
    if "Error" in text or "error" in text:
        sys.exit("%s: %s: %s" % (name, line, text.strip()))
    return dt, text
wait_serial(r"touched 256 MiB")
wait_serial(r"tick 2 ")
size0 = os.path.getsize(image)
save, _ = command("savevm bench")
size1 = os.path.getsize(image)
ticks = open(serial, "rb").read().count(b"tick ")
load, _ = command("loadvm bench")
wait_serial(r"(tick [0-9]+ .*\n.*){%d}" % (ticks + 2))   # it runs on after the load
s.sendall(b"quit\n")
try:
    p.wait(30)
except subprocess.TimeoutExpired:
    p.kill()
out = subprocess.run(["qemu-img", "snapshot", "-l", "-U", image], capture_output=True, text=True).stdout
info = subprocess.run(["qemu-img", "info", "--output=json", "-U", image], capture_output=True, text=True).stdout
import json
vm = [sn["vm-state-size"] for sn in json.loads(info).get("snapshots", []) if sn["name"] == "bench"]
print("%.4f %.4f %d %d" % (save, load, vm[0] if vm else -1, size1 - size0))
EOF

# run_one NAME: one round; appends "save load vmsize growth" to $tmp/NAME.txt
run_one() {
    local name=$1 img=$tmp/$1.qcow2 sock=$tmp/$1.sock serial=$tmp/$1.serial
    rm -f "$img" "$sock" "$serial"
    qemu-img create -q -f qcow2 "$img" 1G
    local common=(-M virt -m 1G -bios none -kernel "$elf" -display none)
    if [ "$name" = amber ]; then
        python3 "$tmp/drive.py" amber "(amber) " "$sock" "$serial" "$img" -- "$AMBER" -icount sleep=off "${common[@]}" \
            -serial "file:$serial" -monitor "unix:$sock,server" \
            -drive "file=$img,format=qcow2,if=none,id=disk0"
    else
        python3 "$tmp/drive.py" qemu "(qemu) " "$sock" "$serial" "$img" -- "$QEMU" "${common[@]}" \
            -serial "file:$serial" -monitor "unix:$sock,server,nowait" \
            -drive "file=$img,format=qcow2,if=none,id=disk0"
    fi
}
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for name in amber qemu; do
    [ $name = qemu ] && [ $have_qemu = 0 ] && continue
    : >"$tmp/$name.txt"
    for i in $(seq "$RUNS"); do
        r=$(run_one $name) || { echo "snapshot: $name run failed: $r"; exit 1; }
        echo "$name round $i: $r"
        echo "$r" >>"$tmp/$name.txt"
    done
done
stat_of() { awk -v c="$2" '{print $c}' "$tmp/$1.txt" | med; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
as=$(stat_of amber 1) al=$(stat_of amber 2) av=$(stat_of amber 3) ag=$(stat_of amber 4)
{
    echo "Guest: 1 GiB RAM, 256 MiB written with non-zero data (snap-touch.elf); fresh 1 GiB qcow2 per"
    echo "round; median of $RUNS rounds; $(date -u +%Y-%m-%d), $(nproc) CPUs."
    echo
    echo "| emulator | savevm (s) | loadvm (s) | VM SIZE (MiB) | file growth (MiB) |"
    echo "|---|---|---|---|---|"
    echo "| amber | $as | $al | $(mib "$av") | $(mib "$ag") |"
    if [ $have_qemu = 1 ]; then
        qs=$(stat_of qemu 1) ql=$(stat_of qemu 2) qv=$(stat_of qemu 3) qg=$(stat_of qemu 4)
        echo "| qemu-system-riscv64 | $qs | $ql | $(mib "$qv") | $(mib "$qg") |"
        echo "| QEMU / amber | $(awk -v a="$as" -v q="$qs" 'BEGIN {printf "%.2f", q / a}') |" \
             "$(awk -v a="$al" -v q="$ql" 'BEGIN {printf "%.2f", q / a}') |" \
             "$(awk -v a="$av" -v q="$qv" 'BEGIN {printf "%.2f", q / a}') |" \
             "$(awk -v a="$ag" -v q="$qg" 'BEGIN {printf "%.2f", q / a}') |"
    else
        echo "| qemu-system-riscv64 | skipped: $QEMU not installed | | | |"
    fi
} >"$md"
cat "$md"
