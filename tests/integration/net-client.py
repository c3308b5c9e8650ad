#!/usr/bin/env python3
"""Host side of the network tests: talks to a guest through a hostfwd port.

  net-client.py send PORT FILE   connect to 127.0.0.1:PORT, send FILE, close;
                                 exit 0 when every byte was accepted
  net-client.py get PORT PATH    HTTP GET PATH from 127.0.0.1:PORT, print the body
  net-client.py refused PORT     exit 0 when a connection is refused (or reset
                                 before any byte), 1 when it is accepted

The connection is retried for up to 20 s while the guest's listener starts
(slirp accepts on the host, then resets when the guest refuses)."""
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    return s


def send(port, path):
    data = open(path, "rb").read()
    end = time.time() + 20
    while True:
        try:
            s = connect(port)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            # BusyBox nc -l keeps its side open after our EOF: a short
            # wait for its close, then ours (TCP delivers what was sent)
            s.settimeout(3)
            try:
                while s.recv(65536):
                    pass
            except socket.timeout:
                pass
            s.close()
            return 0
        except OSError as e:
            if time.time() > end:
                print("net-client: send: %s" % e, file=sys.stderr)
                return 1
            time.sleep(0.5)


def get(port, path):
    end = time.time() + 20
    while True:
        try:
            s = connect(port)
            s.sendall(("GET %s HTTP/1.0\r\nHost: guest\r\n\r\n" % path).encode())
            buf = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                buf += c
            s.close()
            head, _, body = buf.partition(b"\r\n\r\n")
            if not head:
                raise OSError("empty answer")
            sys.stdout.buffer.write(body)
            return 0
        except OSError as e:
            if time.time() > end:
                print("net-client: get: %s" % e, file=sys.stderr)
                return 1
            time.sleep(0.5)


def refused(port):
    try:
        s = connect(port)
        s.settimeout(5)
        c = s.recv(1)
        return 0 if not c else 1
    except (ConnectionRefusedError, ConnectionResetError):
        return 0
    except OSError:
        return 1


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "send":
        return send(port, sys.argv[3])
    if mode == "get":
        return get(port, sys.argv[3])
    if mode == "refused":
        return refused(port)
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
