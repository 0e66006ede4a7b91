#!/usr/bin/python3
"""Writes a fuzzing seed made of bytes ROOT itself wrote: from tests/data/root/hzz4mu_cut.root.gz
(3.6 MB once gunzipped, too big for the fuzzer's inputs) it keeps the file header, the TFile key
with the top directory record, the TTree key (cycle 2: TTree v19, TBranch v12, ZLIB, 30 branches
of real streamer bytes) and the three small baskets of branch f_iso_max, moved next to each other
(about 6 KB); the TTree's basket seeks of f_iso_max are patched to the new places, the other
branches' seeks still point past the end. A new key list holds the one TTree key.
Usage: /usr/bin/python3 fuzz/make_real_seed.py tests/data/root/hzz4mu_cut.root.gz OUT.root
"""
import gzip, struct, sys, zlib

b = gzip.open(sys.argv[1]).read()
i32 = lambda p: struct.unpack(">i", b[p:p + 4])[0]
i16 = lambda p: struct.unpack(">h", b[p:p + 2])[0]

begin = i32(8)
nbytes_name = i32(28)
dir_at = begin + nbytes_name
assert i16(dir_at) <= 1000, "small-file directory record expected"
seek_keys = i32(dir_at + 26)

def tstring(p):
    n = b[p]
    return b[p + 1:p + 1 + n].decode(), p + 1 + n

# The key list entry of the TTree's highest cycle (small key header: 26 bytes before the strings).
pos = seek_keys + i16(seek_keys + 14)
nkeys = i32(pos)
pos += 4
tree_entry = None
for _ in range(nkeys):
    start = pos
    cls, p = tstring(pos + 26)
    name, p = tstring(p)
    _, p = tstring(p)
    if cls == "TTree" and (tree_entry is None or i16(start + 16) > i16(tree_entry + 16)):
        tree_entry = start
    pos = p
tree_seek, tree_nbytes = i32(tree_entry + 18), i32(tree_entry)
tree_keylen, tree_objlen = i16(tree_seek + 14), i32(tree_seek + 6)

# Baskets of f_iso_max: TBasket keys (always 64-bit headers) named after the branch.
baskets = []
i = 0
while (i := b.find(b"\x07TBasket", i + 1)) >= 0:
    start = i - 34
    name, _ = tstring(i + 8)
    if i16(start + 4) == 1004 and name == "f_iso_max":
        baskets.append((start, i32(start)))

# Decompress the TTree object (ZL blocks), move the basket seeks, compress it again as one block.
payload = b[tree_seek + tree_keylen:tree_seek + tree_nbytes]
obj = b""
p = 0
while p < len(payload):
    assert payload[p:p + 2] == b"ZL"
    c = int.from_bytes(payload[p + 3:p + 6], "little")
    obj += zlib.decompress(payload[p + 9:p + 9 + c])
    p += 9 + c
assert len(obj) == tree_objlen

header_len = begin + i32(begin)  # header, TFile key, name, title and the directory record
# The baskets first (as ROOT writes them), so their new seeks are known before the TTree object
# is compressed again.
basket_at = header_len
moved = bytearray(obj)
basket_bytes = b""
for old, nbytes in baskets:
    new = basket_at + len(basket_bytes)
    k = moved.find(struct.pack(">q", old))
    assert k >= 0 and moved.find(struct.pack(">q", old), k + 1) < 0, "basket seek not unique"
    moved[k:k + 8] = struct.pack(">q", new)
    key = bytearray(b[old:old + nbytes])
    key[18:26] = struct.pack(">q", new)
    basket_bytes += bytes(key)
z = zlib.compress(bytes(moved), 6)
new_payload = b"ZL\x08" + len(z).to_bytes(3, "little") + len(moved).to_bytes(3, "little") + z
tree_at = basket_at + len(basket_bytes)

tree_key = bytearray(b[tree_seek:tree_seek + tree_keylen])
tree_key[0:4] = struct.pack(">i", tree_keylen + len(new_payload))
tree_key[18:22] = struct.pack(">i", tree_at)
list_at = tree_at + tree_keylen + len(new_payload)

entry = bytearray(b[tree_entry:tree_entry + tree_keylen])
entry[0:4] = tree_key[0:4]
entry[18:22] = struct.pack(">i", tree_at)
self_keylen = i16(seek_keys + 14)
self_key = bytearray(b[seek_keys:seek_keys + self_keylen])
body = struct.pack(">i", 1) + bytes(entry)
self_key[0:4] = struct.pack(">i", self_keylen + len(body))
self_key[6:10] = struct.pack(">i", len(body))
self_key[18:22] = struct.pack(">i", list_at)
key_list = bytes(self_key) + body

out = bytearray(b[:header_len])
end = list_at + len(key_list)
out[12:16] = struct.pack(">i", end)  # fEND
out[16:24] = b"\0" * 8               # fSeekFree, fNbytesFree: no free-segment list
out[dir_at + 10:dir_at + 14] = struct.pack(">i", len(key_list))
out[dir_at + 26:dir_at + 30] = struct.pack(">i", list_at)
out += basket_bytes + bytes(tree_key) + new_payload + key_list
assert len(out) == end
open(sys.argv[2], "wb").write(out)
