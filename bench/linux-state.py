#!/usr/bin/env python3
"""Driver of bench/linux-state.sh: savevm, loadvm and live migration of the
booted guest Linux on one emulator (Amber or qemu-system-riscv64).

  linux-state.py amber|qemu BIN IMAGE FIRMWARE RAM RUNS TMPDIR

QEMU runs with -cpu rv64,sstc=false (see VM). Each round starts fresh
processes. The serial console is the process's
stdio (a reader thread keeps what it printed); the monitor is a unix socket.
A command's time runs from sending its line to the next monitor prompt.
  - snapshot round: fresh qcow2 (qemu-img create, 1 GiB) on virtio-blk, boot
    to /init's prompt, `sum`, savevm, `sum` (answer A), loadvm, `sum` must
    answer A again; VM SIZE from `qemu-img info`.
  - migration rounds, source and destination without a disk, tcp loopback,
    max-bandwidth 100G: "idle" with the shell at its prompt, "churn" while
    `churn N` rewrites 512 KiB per round; the destination must answer (idle:
    a typed `sum`; churn: churn's own checksum). Amber's guest must answer
    after every load and migration; QEMU's rounds where it did not (see
    QEMU_CPU) are counted as "answer": null. Figures: wall time from `migrate -d` until `info
    migrate` (polled every 2 ms) says completed, and the source's total
    time, downtime and transferred RAM.
Prints one JSON object."""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

emu, binary, image, fw, ram, runs, tmp = sys.argv[1:8]
runs = int(runs)
PROMPT = re.compile(rb"\((?:amber|qemu)\) $")
CHURN = int(os.environ.get("BENCH_LINUX_CHURN", "3000"))
# QEMU 7.2's default CPU has Sstc; with it the guest stops answering after
# loadvm (a timer interrupt storm: STIP stays pending). Amber's hart has no
# Sstc either. Without Sstc it still happens in some rounds: counted.
QEMU_CPU = os.environ.get("BENCH_QEMU_CPU", "rv64,sstc=false")
# How long a restored guest gets to answer before the round counts as hung.
ANSWER_S = float(os.environ.get("BENCH_LINUX_ANSWER_S", "10"))


def die(msg):
    sys.exit("linux-state %s: %s" % (emu, msg))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class VM:
    def __init__(self, name, extra):
        self.name = name
        self.sock = os.path.join(tmp, "%s-%s.sock" % (emu, name))
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        cmd = [binary, "-M", "virt", "-m", ram, "-bios", fw, "-kernel", image,
               "-append", "console=ttyS0", "-display", "none", "-serial", "stdio",
               "-monitor", "unix:%s,server,nowait" % self.sock] + extra
        if emu == "qemu" and QEMU_CPU:
            cmd += ["-cpu", QEMU_CPU]
        if emu == "amber":
            # Flat out, as QEMU's TCG: Amber's default -icount paces to the wall clock.
            cmd[1:1] = ["-icount", "sleep=off"]
        self.err = open(os.path.join(tmp, "%s-%s.err" % (emu, name)), "w")
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err)
        self.out = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.mon = None
        self.mbuf = b""

    def _read(self):
        while True:
            d = os.read(self.p.stdout.fileno(), 65536)
            if not d:
                return
            with self.lock:
                self.out += d.replace(b"\r", b"")

    def mark(self):
        with self.lock:
            return len(self.out)

    def wait_out(self, pattern, since=0, timeout=120, fatal=True):
        r = re.compile(pattern.encode())
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                m = r.search(self.out, since)
            if m:
                return m
            if self.p.poll() is not None:
                die("%s exited (status %s): %s" % (self.name, self.p.returncode,
                                                   open(self.err.name).read()[-300:]))
            time.sleep(0.005)
        if not fatal:
            return None
        die("%s: timeout waiting for %r; console ends %r" % (self.name, pattern, self.out[-200:]))

    def type(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    # answer CMD: types a shell command, returns its answer line
    def answer(self, cmd, pattern, timeout=120):
        at = self.mark()
        self.type(cmd + "\n")
        return self.wait_out(r"\n(%s)\n# " % pattern, at, timeout).group(1).decode()

    # restored CMD: the answer of a guest just loaded or migrated; Amber's
    # must come, QEMU's is None when its guest hung (counted, see QEMU_CPU)
    def restored(self, cmd, pattern):
        at = self.mark()
        self.type(cmd + "\n")
        m = self.wait_out(r"\n(%s)\n# " % pattern, at, ANSWER_S, fatal=emu == "amber")
        return m.group(1).decode() if m else None

    def connect(self):
        end = time.time() + 60
        while True:
            try:
                self.mon = socket.socket(socket.AF_UNIX)
                self.mon.connect(self.sock)
                break
            except OSError:
                self.mon.close()
                if time.time() > end or self.p.poll() is not None:
                    die("%s: no monitor at %s" % (self.name, self.sock))
                time.sleep(0.02)
        self._prompt()

    def _prompt(self):
        while not PROMPT.search(self.mbuf):
            d = self.mon.recv(65536)
            if not d:
                die("%s: monitor closed" % self.name)
            self.mbuf += d
        text = PROMPT.split(self.mbuf, 1)[0]
        self.mbuf = b""
        text = re.sub(rb"\x1b\[[0-9;]*[A-Za-z]|\x1b[A-Za-z]", b"", text).replace(b"\r", b"")
        return text.decode("utf-8", "replace")

    def hmp(self, line):
        """Runs a monitor command; returns (seconds, answer)."""
        t = time.perf_counter()
        self.mon.sendall(line.encode() + b"\n")
        text = self._prompt()
        dt = time.perf_counter() - t
        first, nl, rest = text.partition("\n")   # QEMU echoes the line
        if nl and first.rstrip().endswith(line):
            text = rest
        if re.search(r"^Error|[Ff]ailed|does not", text, re.M):
            die("%s: %s: %s" % (self.name, line, text.strip()))
        return dt, text

    def boot(self):
        self.connect()
        self.wait_out(r"amber-init: .*\n# ")

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.err.close()


def disk_args(path):
    if emu == "amber":
        return ["-drive", "file=%s,format=qcow2,if=virtio" % path]
    return ["-drive", "file=%s,format=qcow2,if=none,id=d0" % path,
            "-device", "virtio-blk-device,drive=d0"]


def snapshot_round(i):
    img = os.path.join(tmp, "%s-%d.qcow2" % (emu, i))
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "1G"], check=True)
    vm = VM("snap", disk_args(img))
    try:
        vm.boot()
        vm.answer("sum", r"sum 0x[0-9a-f]+ round 1")
        save, _ = vm.hmp("savevm bench")
        a = vm.answer("sum", r"sum 0x[0-9a-f]+ round 2")
        load, _ = vm.hmp("loadvm bench")
        b = vm.restored("sum", r"sum 0x[0-9a-f]+ round \d+")
        if b is not None and a != b:
            die("after loadvm the shell answered %r, right after the save %r" % (b, a))
    finally:
        vm.stop()
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", "-U", img],
                                     capture_output=True, text=True, check=True).stdout)
    size = [s["vm-state-size"] for s in info.get("snapshots", []) if s["name"] == "bench"]
    os.unlink(img)
    return {"save": save, "load": load, "vmsize": size[0] if size else -1, "answer": b}


def field(text, name):
    m = re.search(r"^%s: *([0-9.]+)" % name, text, re.M)
    return float(m.group(1)) if m else None


def migrate_round(case):
    port = free_port()
    dst = VM("dst", ["-incoming", "tcp:127.0.0.1:%d" % port])
    src = VM("src", [])
    try:
        dst.connect()
        src.boot()
        src.answer("sum", r"sum 0x[0-9a-f]+ round 1")
        src.hmp("migrate_set_parameter max-bandwidth 100G")
        if case == "churn":
            at = src.mark()
            src.type("churn %d\n" % CHURN)
            src.wait_out(r"churn %d\n" % CHURN, at)
        # -d and polling: QEMU's waiting HMP migrate checks only once a second.
        t = time.perf_counter()
        src.hmp("migrate -d tcp:127.0.0.1:%d" % port)
        while True:
            _, info = src.hmp("info migrate")
            wall = time.perf_counter() - t
            if re.search(r"^Migration status: *(completed|failed|cancelled)", info, re.M):
                break
            if wall > 300:
                die("migration still running after 300 s:\n" + info)
            time.sleep(0.002)
        _, status = src.hmp("info status")
        if "Migration status: completed" not in info:
            die("migration did not complete:\n" + info)
        if "postmigrate" not in status:
            die("source not in postmigrate: " + status)
        end = time.time() + 60
        while "running" not in dst.hmp("info status")[1]:
            if time.time() > end:
                die("destination not running after the migration")
            time.sleep(0.01)
        if case == "churn":
            if re.search(rb"round %d\n" % (CHURN + 1), src.out):
                die("churn ended on the source before the switchover")
            got = dst.wait_out(r"sum 0x[0-9a-f]+ round %d\n" % (CHURN + 1), 0,
                               600 if emu == "amber" else 120, fatal=emu == "amber")
            answer = got.group(0).decode().strip() if got else None
        else:
            answer = dst.restored("sum", r"sum 0x[0-9a-f]+ round 2")
    finally:
        src.stop()
        dst.stop()
    return {"wall": wall, "total": field(info, "total time"), "down": field(info, "downtime"),
            "xfer": field(info, "transferred ram"), "answer": answer}


res = {"snap": [], "idle": [], "churn": []}
for i in range(runs):
    res["snap"].append(snapshot_round(i))
    res["idle"].append(migrate_round("idle"))
    res["churn"].append(migrate_round("churn"))
print(json.dumps(res))
