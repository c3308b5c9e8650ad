#!/bin/bash
# Network throughput through the user back end (slirp), Amber vs
# qemu-system-riscv64 in the same run, with the same kernel (full profile),
# root disk (BusyBox/glibc ext4, qcow2) and command line: -M virt -smp 1
# -m 256M -bios fw_jump.bin, -netdev user,id=n0,hostfwd=tcp:127.0.0.1:P-:5001
# -device virtio-net-device,netdev=n0 (both on virtio-mmio). The guest has
# its address from rcS's udhcpc before the prompt.
#  - host -> guest: the guest runs `nc -l -p 5001 </dev/null >/dev/null`; a
#    host client connects through hostfwd and sends $BENCH_NET_MIB MiB; time
#    from connect until the guest shell prints that nc ended.
#  - guest -> host: the guest runs `dd if=/dev/zero bs=64k count=N | nc
#    10.0.2.2 Q`; the host's server counts the bytes; time from accept to EOF.
# Amber runs with its default icount (paced to the wall clock, as QEMU's
# TCG). BENCH_NET_RUNS rounds (default 3), interleaved; medians reported.
# Writes $BENCH_RESULTS/net.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
BENCH_NAME=net
. "$(dirname "$0")/linux-lib.inc"
RUNS=${BENCH_NET_RUNS:-3}
MIB=${BENCH_NET_MIB:-32}
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
[ -f "$FW" ] || skip "$FW missing (Debian package opensbi)"
built() {
    local o rc
    o=$(AMBER_IMG=$build/tools/amber-img "$@"); rc=$?
    path=$(tail -n 1 <<<"$o")
    [ "$rc" = 0 ] && [ -f "$path" ] || skip "$(basename "$1") $* failed (status $rc)"
}
if [ -n "${AMBER_FULL_IMAGE:-}" ]; then image=$AMBER_FULL_IMAGE; else
    built "$src/scripts/build-linux.sh" --profile=full; image=$path; fi
built "$src/scripts/build-rootfs.sh"; disk=$path
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
emus=(amber)
command -v "$QEMU" >/dev/null 2>&1 && emus+=(qemu) || echo "net: $QEMU missing; QEMU column skipped"

"$PY" - "$tmp" "$RUNS" "$MIB" "$disk" "$AMBER" "$QEMU" "$image" "$FW" "${emus[@]}" >"$tmp/res" <<'PYEOF'
import os, re, shutil, socket, statistics, subprocess, sys, threading, time
tmp, runs, mib, disk, amber, qemu, image, fw = sys.argv[1:9]
emus, runs, size = sys.argv[9:], int(runs), int(mib) << 20

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

class Guest:
    def __init__(self, emu):
        shutil.copyfile(disk, tmp + "/d.qcow2")
        self.fwd = free_port()
        args = ["-M", "virt", "-smp", "1", "-m", "256M", "-nographic", "-bios", fw,
                "-kernel", image, "-append", "root=/dev/vda rw console=ttyS0",
                "-drive", "file=%s/d.qcow2,format=qcow2,if=none,id=d0" % tmp,
                "-device", "virtio-blk-device,drive=d0",
                "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:5001" % self.fwd,
                "-device", "virtio-net-device,netdev=n0"]
        self.p = subprocess.Popen([amber if emu == "amber" else qemu] + args,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.buf = b""
        self.lock = threading.Lock()
        threading.Thread(target=self.reader, daemon=True).start()
        if not self.wait(rb"(?m)^# ", 300) or b"rcS: eth0 10.0.2.15" not in self.text():
            raise RuntimeError("no prompt with 10.0.2.15:\n" + self.text()[-2000:].decode(errors="replace"))

    def reader(self):
        while True:
            c = os.read(self.p.stdout.fileno(), 65536)
            if not c:
                return
            with self.lock:
                self.buf += c

    def text(self):
        with self.lock:
            return self.buf.replace(b"\r", b"")

    def wait(self, pat, tmo, start=0):
        end = time.monotonic() + tmo
        while time.monotonic() < end:
            if re.search(pat, self.text()[start:]):
                return True
            time.sleep(0.005)
        return False

    def type(self, line):
        self.p.stdin.write(line.encode() + b"\n"); self.p.stdin.flush()

    def close(self):
        self.p.kill(); self.p.wait()

def host_to_guest(g, n):
    mark = len(g.text())
    g.type("nc -l -p 5001 </dev/null >/dev/null; printf '\\100\\100rx%d\\n'" % n)
    g.wait(rb"nc -l -p 5001", 10, mark)
    time.sleep(0.5)
    data = b"\0" * (1 << 20)
    mark = len(g.text())
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", g.fwd), timeout=60)
    for _ in range(size >> 20):
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    ok = g.wait((r"(?m)^@@rx%d$" % n).encode(), 300, mark)
    t = time.monotonic() - t0
    s.close()
    return t if ok else None

def guest_to_host(g, n):
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
    port = srv.getsockname()[1]
    g.type("dd if=/dev/zero bs=65536 count=%d 2>/dev/null | nc 10.0.2.2 %d" % (size >> 16, port))
    srv.settimeout(60)
    c, _ = srv.accept()
    t0 = time.monotonic()
    got = 0
    c.settimeout(300)
    while True:
        d = c.recv(1 << 20)
        if not d:
            break
        got += len(d)
    t = time.monotonic() - t0
    c.close(); srv.close()
    return t if got == size else None

res = {(e, d): [] for e in emus for d in ("rx", "tx")}
for r in range(runs):
    for e in emus:
        try:
            g = Guest(e)
        except Exception as ex:
            print("fail %s %s" % (e, str(ex).splitlines()[0])); sys.stderr.write(str(ex)); sys.exit(1)
        a = host_to_guest(g, r)
        b = guest_to_host(g, r)
        g.close()
        if a is None or b is None:
            print("fail %s transfer (rx %s, tx %s)" % (e, a, b)); sys.exit(1)
        res[(e, "rx")].append(size / a / 1e6)
        res[(e, "tx")].append(size / b / 1e6)
for e in emus:
    print("ok %s %.1f %.1f %s %s" % (e, statistics.median(res[(e, "rx")]), statistics.median(res[(e, "tx")]),
                                     ",".join("%.1f" % x for x in res[(e, "rx")]),
                                     ",".join("%.1f" % x for x in res[(e, "tx")])))
PYEOF
rc=$?
grep '^fail' "$tmp/res"
[ $rc = 0 ] || { echo "net: a run failed"; exit 1; }
declare -A rx tx rxs txs
while read -r _ e a b c d; do rx[$e]=$a tx[$e]=$b rxs[$e]=$c txs[$e]=$d; done < <(grep '^ok' "$tmp/res")
{
    echo "TCP through slirp hostfwd, $MIB MiB each way (BusyBox nc + dd), Linux 6.1 full profile + OpenSBI fw_jump.bin,"
    echo "-smp 1 -m 256M, -netdev user + -device virtio-net-device on both; median of $RUNS runs (MB/s = 10^6 bytes/s);"
    echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo
    echo "| emulator | host -> guest (MB/s) | guest -> host (MB/s) | runs h->g | runs g->h |"
    echo "|---|---|---|---|---|"
    for e in amber qemu; do
        name=$e; [ $e = qemu ] && name="qemu-system-riscv64 (TCG)"
        [ $e = amber ] && name="amber (default icount)"
        if [ -n "${rx[$e]:-}" ]; then echo "| $name | ${rx[$e]} | ${tx[$e]} | ${rxs[$e]} | ${txs[$e]} |"
        else echo "| $name | skipped | skipped | | |"; fi
    done
} >"$md"
cat "$md"
