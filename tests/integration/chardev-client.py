#!/usr/bin/env python3
"""A client for Amber's socket chardevs (tests/integration/qemu-opts.sh).

  chardev-client.py ADDR monitor [--telnet] CMD...
      connects (retrying for 20 s), runs each CMD on the monitor and prints
      the answers; with --telnet also prints the negotiation bytes it got
      as a first line "negotiation: HEX" and sends every command with IAC
      sequences mixed in (the server must strip them).
  chardev-client.py ADDR read [--telnet] REGEX
      prints what arrives until REGEX matches (20 s at most).
ADDR is unix:PATH or tcp:HOST:PORT."""
import re
import socket
import sys
import time

IAC = 255


def connect(addr):
    end = time.time() + 20
    while True:
        try:
            if addr.startswith("unix:"):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(addr[5:])
            else:
                host, port = addr[4:].rsplit(":", 1)
                s = socket.create_connection((host, int(port)))
            return s
        except OSError:
            if time.time() > end:
                raise SystemExit("chardev-client.py: cannot connect to " + addr)
            time.sleep(0.05)


def read_until(s, pattern, buf=b""):
    end = time.time() + 20
    while not re.search(pattern, buf):
        s.settimeout(max(0.1, end - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise SystemExit("chardev-client.py: timed out, got %r" % buf[-300:])
        if not chunk:
            break
        buf += chunk
    return buf


def main():
    addr, mode = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    telnet = bool(args) and args[0] == "--telnet"
    if telnet:
        args = args[1:]
    s = connect(addr)
    if mode == "read":
        out = read_until(s, args[0].encode())
        if telnet:
            print("negotiation: " + out[:6].hex())
            out = out[6:]
        sys.stdout.write(out.decode("latin-1"))
        return
    buf = read_until(s, rb"\(amber\) $")
    if telnet:
        print("negotiation: " + buf[:6].hex())
    for cmd in args:
        data = cmd.encode()
        if telnet:
            # IAC NOP, IAC DO ECHO and a subnegotiation inside the line
            data = (data[:2] + bytes([IAC, 241]) + data[2:3] + bytes([IAC, 253, 1]) +
                    bytes([IAC, 250, 24, 0, IAC, 240]) + data[3:] + b"\r\n")
        else:
            data += b"\n"
        s.sendall(data)
        out = read_until(s, rb"\(amber\) $")
        sys.stdout.write(out[:-len(b"(amber) ")].decode("latin-1"))
        sys.stdout.flush()


main()
