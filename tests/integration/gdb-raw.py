#!/usr/bin/env python3
"""A raw gdb remote protocol client for tests/integration/gdb*.sh.

  gdb-raw.py PORT points MIGFILE
      sets breakpoints (Z0, Z1) and watchpoints (Z2, Z3, Z4), then, with
      them set, saves the machine with `migrate -d "exec:cat > MIGFILE"`
      through qRcmd and waits for it to complete.
  gdb-raw.py PORT interrupt SPINADDR
      sets the guest's `spin` (at SPINADDR) so it runs on, continues, and
      sends Ctrl-C (0x03): the stop reply must be T02 for thread 1 and the
      machine paused.
  gdb-raw.py PORT bad
      malformed packets, wrong checksums, a packet far over PacketSize,
      unknown packets and binary junk: each must be nacked, refused with an
      error or answered empty, and the stub must answer a good packet after.
Prints one line per check ("ok ..." / "FAIL ..."); exit status 1 on a failure."""
import socket
import sys
import time

failed = 0


def note(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failed += 1


def frame(data):
    if isinstance(data, str):
        data = data.encode()
    return b"$" + data + b"#%02x" % (sum(data) & 0xff)


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""

    def recv_more(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read_byte(self):
        while not self.buf:
            self.recv_more()
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def read_packet(self):
        while True:
            i = self.buf.find(b"$")
            j = self.buf.find(b"#", i + 1) if i >= 0 else -1
            if i >= 0 and j >= 0 and len(self.buf) >= j + 3:
                data = self.buf[i + 1:j]
                self.buf = self.buf[j + 3:]
                self.s.sendall(b"+")
                return data.decode(errors="replace")
            self.recv_more()

    def cmd(self, data):
        self.s.sendall(frame(data))
        ack = self.read_byte()
        if ack != b"+":
            raise RuntimeError("no ack for %r: %r" % (data, ack))
        return self.read_packet()


def rcmd(c, line):
    r = c.cmd("qRcmd," + line.encode().hex())
    return bytes.fromhex(r).decode() if r not in ("OK", "") and not r.startswith("E") else r


def points(c, migfile):
    for p in ("Z0,80000100,2", "Z1,80000200,4", "Z2,80002000,8", "Z3,80002008,4",
              "Z4,80002010,1"):
        note(c.cmd(p) == "OK", p)
    rcmd(c, 'migrate -d "exec:cat > %s"' % migfile)
    status = ""
    for _ in range(200):
        status = rcmd(c, "info migrate")
        if "completed" in status or "failed" in status:
            break
        time.sleep(0.05)
    note("Migration status: completed" in status, "migrate with the points set completed")
    note(c.cmd("z2,80002000,8") == "OK", "a watchpoint removed")


def bad(c):
    s = c.s
    s.sendall(b"$qC#00")                       # wrong checksum
    note(c.read_byte() == b"-", "a wrong checksum is nacked")
    s.sendall(b"$qC#zz")
    note(c.read_byte() == b"-", "a checksum that is not hex is nacked")
    big = b"m" * 100000                         # far over PacketSize
    s.sendall(frame(big))
    note(c.read_byte() == b"-", "a packet over PacketSize is nacked")
    s.sendall(b"garbage between packets \x00\xff")
    for p, want in (("qNoSuchQuery", ""), ("Y", ""), ("vNoSuch", ""), ("g", None),
                    ("mffffffffffffffff,10", "E14"), ("m0,ffffffffffffffffff", "E01"),
                    ("M80000000,ffffffff:00", "E01"), ("Z0", "E01"), ("Z2,0,0", "E22"),
                    ("P20", "E01"), ("Hgzz", "E22"), ("vCont;s:99", "E22"),
                    ("qXfer:features:read:target.xml:zz", "E01"),
                    ("qThreadExtraInfo,63", "E22"), ("T63", "E22"), ("qRcmd,zz", "E01")):
        r = c.cmd(p)
        note(r == want if want is not None else len(r) == 33 * 16,
             "%s answered %r" % (p, r[:40]))
    s.sendall(frame(b"X80000000,4:\x00\x01}"))  # binary with a dangling escape
    c.read_byte()
    note(c.read_packet() == "E01", "X with a truncated escape is refused")
    note(c.cmd("qC") == "QC1", "a good packet is answered after all that")
    note(c.cmd("qXfer:features:read:target.xml:0,20").startswith("m<?xml"),
         "the target description")


def interrupt(c, spin_addr):
    note(c.cmd("M%s,8:0100000000000000" % spin_addr) == "OK", "spin set")
    c.s.sendall(frame("vCont;c"))
    note(c.read_byte() == b"+", "vCont;c acked")
    time.sleep(0.5)
    c.s.settimeout(0.2)
    try:
        c.recv_more()
        note(False, "no stop reply before Ctrl-C (got %r)" % c.buf)
    except socket.timeout:
        note(True, "no stop reply before Ctrl-C")
    c.s.settimeout(20)
    c.s.sendall(b"\x03")
    note(c.read_packet() == "T02thread:1;", "Ctrl-C: the stop reply is T02thread:1;")
    note("VM status: paused" in rcmd(c, "info status"), "the machine is paused")
    pc1 = c.cmd("p20")
    time.sleep(0.2)
    note(c.cmd("p20") == pc1, "and stays where it stopped")


def main():
    port = int(sys.argv[1])
    c = Client(port)
    c.cmd("qSupported")
    if sys.argv[2] == "points":
        points(c, sys.argv[3])
    elif sys.argv[2] == "interrupt":
        interrupt(c, sys.argv[3])
    else:
        bad(c)
    c.s.close()
    sys.exit(1 if failed else 0)


main()
