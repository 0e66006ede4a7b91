#!/usr/bin/python3
"""Makes hzz4mu_cut.root.gz and hzz4mu_cut.expected from ../shared/data/hzz4mu_ggf_root (see SOURCE.md).

The cut keeps, byte for byte at their original offsets, the parts of ntuple_4mu_gg.root that
reading four branches needs (file header, TFile key and directory record, key list, the TTree key,
and the baskets of the kept branches); every other byte is set to zero. The result is gzipped (the
zeros vanish). The expected values come from the JSROOT-derived CSV, not from hepsweep.
Usage: /usr/bin/python3 make_hzz4mu_cut.py /work/shared/data/hzz4mu_ggf_root
"""
import csv, gzip, io, struct, sys

KEEP = ["f_event", "f_weight", "f_iso_max", "f_mass4l"]
src = sys.argv[1]
b = open(f"{src}/ntuple_4mu_gg.root", "rb").read()
out = bytearray(len(b))

def keep(start, n):
    out[start:start + n] = b[start:start + n]

begin, = struct.unpack(">i", b[8:12])
keep(0, begin)
nbytes_tfile, = struct.unpack(">i", b[begin:begin + 4])
keep(begin, nbytes_tfile)  # TFile key, name/title and the top directory record
nbytes_name, = struct.unpack(">i", b[28:32])  # fNbytesName (small-file header)
dir_at = begin + nbytes_name
version, = struct.unpack(">h", b[dir_at:dir_at + 2])
assert version <= 1000, "small-file directory record expected"
nbytes_keys, = struct.unpack(">i", b[dir_at + 10:dir_at + 14])
seek_keys, = struct.unpack(">i", b[dir_at + 26:dir_at + 30])
keep(seek_keys, nbytes_keys)

# The TTree key (highest cycle) from the key list.
pos = seek_keys + struct.unpack(">h", b[seek_keys + 14:seek_keys + 16])[0]
nkeys, = struct.unpack(">i", b[pos:pos + 4]); pos += 4
def tstring(p):
    n = b[p]; return b[p + 1:p + 1 + n].decode(), p + 1 + n
best = None
for _ in range(nkeys):
    nbytes, ver = struct.unpack(">ih", b[pos:pos + 6])
    keylen, cycle = struct.unpack(">hh", b[pos + 14:pos + 18])
    big = ver > 1000
    seek, = struct.unpack(">q" if big else ">i", b[pos + 18:pos + (26 if big else 22)])
    p = pos + (34 if big else 26)
    cls, p = tstring(p); name, p = tstring(p); title, p = tstring(p)
    if cls == "TTree" and (best is None or cycle > best[2]):
        best = (seek, nbytes, cycle, name)
    pos = p
keep(best[0], best[1])

# Baskets of the kept branches: TBasket keys (always 64-bit headers) named after the branch.
i = 0
while True:
    i = b.find(b"\x07TBasket", i + 1)
    if i < 0:
        break
    start = i - 34
    nbytes, ver = struct.unpack(">ih", b[start:start + 6])
    name, _ = tstring(i + 8)
    if ver == 1004 and name in KEEP:
        keep(start, nbytes)

with gzip.GzipFile("hzz4mu_cut.root.gz", "wb", mtime=0) as f:
    f.write(bytes(out))

# Expected values: count, FNV-1a 64 of the values' big-endian bytes as ROOT stores them (int32 for
# f_event, float32 for the rest, parsed from the CSV's shortest round-trip decimals), first, last.
rows = list(csv.DictReader(io.TextIOWrapper(gzip.open(f"{src}/ntuple_4mu_gg.csv.gz"))))
with open("hzz4mu_cut.expected", "w") as f:
    f.write(f"# tree {best[3]};{best[2]} rows {len(rows)}; column type count fnv1a64 first last\n")
    for col in KEEP:
        fmt = ">i" if col == "f_event" else ">f"
        h = 0xcbf29ce484222325
        for r in rows:
            v = int(r[col]) if fmt == ">i" else float(r[col])
            for byte in struct.pack(fmt, v):
                h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        typ = "int32" if fmt == ">i" else "float32"
        f.write(f"{col} {typ} {len(rows)} {h:016x} {rows[0][col]} {rows[-1][col]}\n")
