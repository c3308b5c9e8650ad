#!/usr/bin/env python3
"""Checks a RAM dump of the migtest guest's range (pmemsave START SIZE FILE
taken with the guest stopped): the first byte of every 4 KiB page, in the
guest's loop order, must hold the same value v except for a leading run of
pages that already hold v+1 (mod 256) -- the pages the guest incremented in
the current pass before it stopped.  This is the invariant QEMU's
migration test checks; a page lost or left stale by a migration breaks it.
Prints one line and exits 0 when RAM is consistent, 1 when not."""
import sys

PAGE = 4096


def check(data):
    bytes_ = data[::PAGE]
    if not bytes_:
        return "empty dump"
    first = bytes_[0]
    edge = None
    for i, b in enumerate(bytes_):
        last = first if edge is None else (first - 1) % 256
        if b == last:
            continue
        if edge is None and b == (first - 1) % 256:
            edge = i
            continue
        return "page %d (offset 0x%x) holds %d after %d" % (i, i * PAGE, b, last)
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: migtest-verify.py DUMP")
    data = open(sys.argv[1], "rb").read()
    if len(data) % PAGE:
        sys.exit("dump size %d is not a multiple of 4096" % len(data))
    err = check(data)
    if err:
        print("RAM inconsistent: " + err)
        return 1
    print("RAM consistent: %d pages" % (len(data) // PAGE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
