#!/usr/bin/env python3
"""One HMP session on a unix-socket monitor (Amber's or QEMU's): sends each
command argument in turn, waits for the next prompt, prints what the
monitor answered (the banner is left out).
  hmp.py SOCKET CMD...
  hmp.py SOCKET --getfd NAME HOST:PORT CMD...
     first connects a TCP socket to HOST:PORT and hands it to the monitor
     with "getfd NAME" (SCM_RIGHTS), as QEMU's fd: migration expects."""
import re
import socket
import sys
import time

PROMPT = re.compile(rb"\((?:amber|qemu)\) $")


def read_prompt(s, deadline):
    buf = b""
    while not PROMPT.search(buf):
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise SystemExit("hmp.py: no prompt, got %r" % buf[-200:])
        if not chunk:
            break
        buf += chunk
    return PROMPT.sub(b"", buf)


def clean(b):
    # QEMU's monitor echoes the command line with terminal escapes.
    b = re.sub(rb"\x1b\[[0-9;]*[A-Za-z]|\x1b[A-Za-z]", b"", b)
    return b.replace(b"\r", b"").decode("utf-8", "replace")


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    path = args.pop(0)
    fdname = fdaddr = None
    if args and args[0] == "--getfd":
        fdname, fdaddr = args[1], args[2]
        args = args[3:]
    s = socket.socket(socket.AF_UNIX)
    deadline = time.time() + 30
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    read_prompt(s, time.time() + 30)
    out = []
    if fdname:
        host, port = fdaddr.rsplit(":", 1)
        c = socket.create_connection((host, int(port)))
        socket.send_fds(s, [("getfd %s\n" % fdname).encode()], [c.fileno()])
        c.close()
        out.append(clean(read_prompt(s, time.time() + 30)))
    for cmd in args:
        s.sendall(cmd.encode() + b"\n")
        text = clean(read_prompt(s, time.time() + 120))
        # QEMU echoes the command line, Amber does not on a socket.
        first, nl, rest = text.partition("\n")
        if nl and first.rstrip().endswith(cmd.strip()):
            text = rest
        out.append(text)
    s.close()
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
