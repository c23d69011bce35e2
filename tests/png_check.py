#!/usr/bin/env python3
"""png_check.py FILE [X Y R G B ...] — decode a PNG as the workbench writes
it (8-bit RGB, one or more IDAT chunks, no interlace) with zlib only: check
the signature, every chunk's CRC, IHDR and that the scanlines inflate to
the right size; print "W H"; then for each X Y R G B check that pixel's
colour.  Exit 1 with the reason on the first failure."""
import struct
import sys
import zlib


def fail(msg):
    print(msg)
    sys.exit(1)


data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    fail("no PNG signature")
at, idat, w, h, chunks = 8, b"", 0, 0, []
while at + 12 <= len(data):
    n, typ = struct.unpack(">I4s", data[at:at + 8])
    body = data[at + 8:at + 8 + n]
    (crc,) = struct.unpack(">I", data[at + 8 + n:at + 12 + n])
    if zlib.crc32(typ + body) & 0xFFFFFFFF != crc:
        fail("bad CRC in " + typ.decode())
    chunks.append(typ)
    if typ == b"IHDR":
        w, h, depth, ctype, comp, filt, lace = struct.unpack(">IIBBBBB", body)
        if (depth, ctype, comp, filt, lace) != (8, 2, 0, 0, 0):
            fail("not 8-bit RGB")
    elif typ == b"IDAT":
        idat += body
    at += 12 + n
if chunks[0] != b"IHDR" or chunks[-1] != b"IEND":
    fail("chunks %s" % chunks)
raw = zlib.decompress(idat)
if len(raw) != h * (1 + 3 * w):
    fail("scanlines: %d bytes for %dx%d" % (len(raw), w, h))
print(w, h)
args = [int(a) for a in sys.argv[2:]]
for k in range(0, len(args), 5):
    x, y, r, g, b = args[k:k + 5]
    row = raw[y * (1 + 3 * w):(y + 1) * (1 + 3 * w)]
    if row[0] != 0:
        fail("row %d is filtered" % y)
    px = tuple(row[1 + 3 * x:4 + 3 * x])
    if px != (r, g, b):
        fail("pixel (%d,%d) is %s, not %s" % (x, y, px, (r, g, b)))
