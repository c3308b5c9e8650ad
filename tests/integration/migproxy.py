#!/usr/bin/env python3
"""TCP proxy for migration streams that acts at a chosen phase of the
stream, to put failures exactly where a test wants them.
  migproxy.py LISTEN_PORT DEST_HOST:DEST_PORT PHASE ACTION [ARG]
PHASE (found by parsing QEMU's v3 stream format as it passes):
  setup    at the first RAM section (START "ram"), after header/configuration
  iterate  in the first PART section after 256 normal pages were forwarded
  device   at the END section of RAM: the source has stopped the guest and
           sends the last pages and then the device state
  never    just forward (and report the phases seen)
ACTION at the phase, before the byte that starts it is forwarded:
  cut      close both connections (a broken link)
  hold     stop forwarding, keep both connections open (a stalled link)
  kill PID SIGKILL the process PID (the destination), then close both
  garbage  send 16 bytes 0xee to the destination, then forward as before
Each phase reached and the action taken are printed on stdout, flushed,
e.g. "phase iterate at 1234567" / "action cut". The stream parse stops at
the device phase (device sections need the VMState descriptions)."""
import os
import signal
import socket
import struct
import sys
import threading
import time

RAM_ZERO, RAM_MEM_SIZE, RAM_PAGE, RAM_EOS = 0x02, 0x04, 0x08, 0x10
RAM_CONTINUE, RAM_XBZRLE, RAM_COMPRESS, RAM_FLUSH = 0x20, 0x40, 0x100, 0x200


class Acted(Exception):
    pass


class Pipe:
    """Reads the source side; forwards every byte it has parsed."""

    def __init__(self, src, dst, phase, action, arg):
        self.src, self.dst = src, dst
        self.buf = b""
        self.out = bytearray()
        self.pos = 0
        self.want, self.action, self.arg = phase, action, arg
        self.pages = 0

    def flush(self):
        if self.out:
            self.dst.sendall(self.out)
            self.out.clear()

    def read(self, n):
        while len(self.buf) < n:
            self.flush()
            chunk = self.src.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        self.out += data
        self.pos += n
        return data

    def peek(self):
        while not self.buf:
            self.flush()
            chunk = self.src.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        return self.buf[0]

    def u8(self):
        return self.read(1)[0]

    def be16(self):
        return struct.unpack(">H", self.read(2))[0]

    def be32(self):
        return struct.unpack(">I", self.read(4))[0]

    def be64(self):
        return struct.unpack(">Q", self.read(8))[0]

    def str8(self):
        return self.read(self.u8())

    def phase(self, name):
        self.flush()
        print("phase %s at %d" % (name, self.pos), flush=True)
        if name != self.want:
            return
        print("action %s" % self.action, flush=True)
        if self.action == "garbage":
            self.dst.sendall(b"\xee" * 16)
            self.want = None
            return
        if self.action == "kill":
            os.kill(int(self.arg), signal.SIGKILL)
        elif self.action == "hold":
            while True:
                time.sleep(3600)
        raise Acted

    def ram_payload(self):
        while True:
            word = self.be64()
            flags = word & 0xfff
            if flags & RAM_MEM_SIZE:
                total = word & ~0xfff
                while total > 0:
                    self.str8()
                    total -= self.be64()
                continue
            if flags & RAM_EOS:
                return
            if flags == RAM_FLUSH:
                continue
            if flags & (RAM_ZERO | RAM_PAGE | RAM_XBZRLE | RAM_COMPRESS) and not flags & RAM_CONTINUE:
                self.str8()
            if flags & RAM_ZERO:
                self.u8()
            elif flags & RAM_PAGE:
                self.read(4096)
                self.pages += 1
            elif flags & RAM_XBZRLE:
                self.u8()
                self.read(self.be16())
            elif flags & RAM_COMPRESS:
                self.read(self.be32())
            else:
                raise ValueError("unknown RAM flags 0x%x at %d" % (flags, self.pos))

    def footer(self):
        if self.peek() == 0x7e:
            self.read(5)

    def run(self):
        if self.read(4) != b"QEVM":
            raise ValueError("not a migration stream")
        self.be32()
        ram_ids = set()
        while True:
            t = self.peek()
            if t == 0x07:
                self.u8()
                self.read(self.be32())
            elif t == 0x08:
                self.u8()
                self.be16()
                self.read(self.be16())
            elif t == 0x01:
                self.phase("setup")
                self.u8()
                sid = self.be32()
                name = self.str8()
                self.be32()
                self.be32()
                if name != b"ram":
                    raise ValueError("START of %r: cannot parse" % name)
                ram_ids.add(sid)
                self.ram_payload()
                self.footer()
            elif t == 0x02:
                if self.pages >= 256:
                    self.phase("iterate")
                self.u8()
                if self.be32() not in ram_ids:
                    raise ValueError("PART of a non-RAM section")
                self.ram_payload()
                self.footer()
            elif t == 0x03:
                self.phase("device")
                return
            else:
                raise ValueError("section type 0x%x before RAM END" % t)


def forward(a, b):
    try:
        while True:
            d = a.recv(1 << 16)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    port, dest, phase, action = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    arg = sys.argv[5] if len(sys.argv) > 5 else None
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    print("listening", flush=True)
    src, _ = ls.accept()
    host, dport = dest.rsplit(":", 1)
    dst = socket.create_connection((host, int(dport)))
    threading.Thread(target=forward, args=(dst, src), daemon=True).start()
    p = Pipe(src, dst, phase, action, arg)
    try:
        p.run()
        p.flush()
        forward(src, dst)          # opaque rest of the stream
    except Acted:
        pass
    except EOFError:
        print("source closed at %d" % p.pos, flush=True)
    except (ValueError, OSError) as e:
        print("proxy: %s" % e, flush=True)
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
