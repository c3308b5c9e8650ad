#!/usr/bin/env python3
"""Runs monitor commands over a unix-socket monitor and prints the output.

  hmp-client.py SOCKET [--fd FILE] CMD [CMD ...]

Each CMD is sent as one line; the output up to the next prompt is printed.
--fd FILE opens FILE (read-write, created) and passes the descriptor with
the next command via SCM_RIGHTS, as QEMU's getfd expects. The connection
is retried for up to 30 s while amber starts."""
import os
import socket
import sys
import time

PROMPT = b"(amber) "


def read_prompt(s):
    buf = b""
    while not buf.endswith(PROMPT):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf[:-len(PROMPT)] if buf.endswith(PROMPT) else buf


def main():
    path = sys.argv[1]
    args = sys.argv[2:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    end = time.time() + 30
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if time.time() > end:
                print("hmp-client: cannot connect to %s" % path, file=sys.stderr)
                return 2
            time.sleep(0.05)
    read_prompt(s)
    fd = None
    i = 0
    while i < len(args):
        if args[i] == "--fd":
            fd = os.open(args[i + 1], os.O_RDWR | os.O_CREAT, 0o600)
            i += 2
            continue
        line = (args[i] + "\n").encode()
        if fd is not None:
            s.sendmsg([line], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fd.to_bytes(4, sys.byteorder))])
            os.close(fd)
            fd = None
        else:
            s.sendall(line)
        sys.stdout.write(read_prompt(s).decode(errors="replace"))
        sys.stdout.flush()
        i += 1
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
