#!/usr/bin/env python3
"""Reads a migration stream the way QEMU's scripts/analyze-migration.py does,
following the rules in ref-stream-format.md section 4 (that script is not
available here, so this is an independent reader of the same rules):

- the JSON description is found as the first '{' after the last NUL byte of
  the file, with 0x06 five bytes before it and a be32 length in between;
- magic QEVM, version 3;
- section types read as signed bytes; strings as a signed length byte and a
  non-empty name;
- FULL/START sections other than "ram" must be described by (name,
  instance_id) in "devices"; fields are read by "type"/"size"/"array_len",
  structs recursively, then each described subsection must follow (0x05);
- RAM: version 4, MEM_SIZE block lengths summing to the total, PAGE records of
  page_size bytes, ZERO records of one byte, EOS;
- footers must name the last section read.

Prints a summary and exits 0, or prints the error and exits 1.
"""
import json
import struct
import sys


class StreamError(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.d = data
        self.pos = 0

    def take(self, n):
        if n < 0:
            raise StreamError("read length must be non-negative (%d) at %d" % (n, self.pos))
        if self.pos + n > len(self.d):
            raise StreamError("end of file at %d reading %d bytes" % (self.pos, n))
        b = self.d[self.pos:self.pos + n]
        self.pos += n
        return b

    def s8(self):
        return struct.unpack(">b", self.take(1))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def str8(self):
        n = self.s8()
        if n <= 0:
            raise StreamError("string length %d at %d (must be 1..127)" % (n, self.pos - 1))
        return self.take(n).decode()


def find_json(data):
    nul = data.rfind(b"\0", max(0, len(data) - 10 * 1024 * 1024))
    if nul < 0:
        raise StreamError("no NUL byte")
    brace = data.find(b"{", nul)
    if brace < 5 or data[brace - 5] != 6:
        raise StreamError("No Debug Migration device found")
    length = struct.unpack(">I", data[brace - 4:brace])[0]
    return json.loads(data[brace:brace + length].decode())


def read_field(r, f):
    t, size = f["type"], f["size"]
    if t == "struct":
        read_vmsd(r, f["struct"])
    elif t == "bool" or t.startswith("int") or t.startswith("uint"):
        if size < 1:
            raise StreamError("integer field %s of size %d" % (f["name"], size))
        r.take(size)
    else:
        r.take(size)


def read_vmsd(r, desc):
    if "fields" not in desc:
        raise StreamError("No fields in %s" % desc.get("vmsd_name"))
    for f in desc["fields"]:
        for _ in range(f.get("array_len", 1)):
            read_field(r, f)
    for sub in desc.get("subsections", []):
        at = r.pos
        if r.s8() != 5:
            raise StreamError("Subsection %s not found at offset %x" % (sub["vmsd_name"], at))
        r.str8()
        r.u32()
        read_vmsd(r, sub)


def read_ram(r, page_size, state):
    while True:
        word = r.u64()
        flags, addr = word & (page_size - 1), word & ~(page_size - 1)
        if flags & 0x04:
            total = addr
            while total > 0:
                r.str8()
                total -= r.u64()
            if total != 0:
                raise StreamError("RAM block lengths do not sum to the total")
        if flags & (0x02 | 0x08):
            if not flags & 0x20:
                state["block"] = r.str8()
            elif "block" not in state:
                raise StreamError("CONTINUE without a block at %d" % (r.pos - 8))
            if flags & 0x02:
                r.take(1)
                state["zero"] += 1
            else:
                r.take(page_size)
                state["pages"] += 1
        if flags & 0x10:
            return
        if flags & ~(0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x200):
            raise StreamError("Unknown RAM flags: %x" % flags)


def main():
    data = open(sys.argv[1], "rb").read()
    desc = find_json(data)
    page_size = desc["page_size"]
    devices = {}
    for d in desc["devices"]:
        if "fields" not in d:
            raise StreamError("vmstate for device %s has no fields" % d["name"])
        devices[(d["name"], d["instance_id"])] = d
    r = Reader(data)
    if r.u32() != 0x5145564D:
        raise StreamError("Invalid file magic")
    if r.u32() != 3:
        raise StreamError("Invalid version number")
    sections, last, ram = {}, None, {"zero": 0, "pages": 0}
    names = []
    while True:
        t = r.s8()
        if t == 0:
            break
        if t == 7:
            if "configuration" in desc:
                read_vmsd(r, desc["configuration"])
            else:
                r.take(r.u32())
        elif t in (1, 4):
            sid, name, inst, ver = r.u32(), r.str8(), r.u32(), r.u32()
            if name == "ram":
                if ver != 4:
                    raise StreamError("Unknown RAM version %d" % ver)
                sections[sid] = None
                read_ram(r, page_size, ram)
            else:
                sections[sid] = devices[(name, inst)]     # KeyError as the script
                read_vmsd(r, sections[sid])
            names.append(name)
            last = sid
        elif t in (2, 3):
            sid = r.u32()
            if sections[sid] is not None:
                read_vmsd(r, sections[sid])
            else:
                read_ram(r, page_size, ram)
            last = sid
        elif t == 0x7E:
            if r.u32() != last:
                raise StreamError("Mismatched section footer")
        elif t == 8:
            cmd, length = struct.unpack(">HH", r.take(4))
            if cmd != 0x0B or length != 0:
                raise StreamError("Unknown QEMU_VM_COMMAND: %x" % cmd)
        else:
            raise StreamError("Unknown section type: %d" % t)
    print("ok: %d sections (%s), %d normal and %d zero pages"
          % (len(names), " ".join(names), ram["pages"], ram["zero"]))


if __name__ == "__main__":
    try:
        main()
    except (StreamError, KeyError, ValueError, IndexError) as e:
        print("analyze-check: %s: %s" % (type(e).__name__, e))
        sys.exit(1)
