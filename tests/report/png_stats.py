#!/usr/bin/python3
"""Decode a PNG screenshot (8-bit RGB/RGBA, non-interlaced) with zlib and print pixel
statistics as JSON, so the report test can tell a rendered page from a blank one.

Usage: png_stats.py FILE.png
Prints: {"width", "height", "dominant_fraction", "non_background_fraction", "distinct_colors",
         "dark_fraction", "saturated_fraction"} where dominant = most common colour (the page background),
non_background = pixels that differ from it, distinct_colors = colours quantised to 4 bits per
channel, dark = pixels with luminance < 96 (text, axes), saturated = strongly coloured pixels
(max - min channel > 80: heatmap cells, highlighted boxes).
"""
import json
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG: %s" % path)
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = ihdr
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise SystemExit("unsupported PNG format depth=%d colour=%d interlace=%d" % (depth, colour, interlace))
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if ftype == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif ftype == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif ftype == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
        elif ftype == 4:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                upleft = prev[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + paeth(left, prev[x], upleft)) & 255
        elif ftype != 0:
            raise SystemExit("bad PNG filter %d" % ftype)
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    width, height, bpp, rows = decode(sys.argv[1])
    counts = {}
    dark = 0
    saturated = 0
    for row in rows:
        for x in range(0, len(row), bpp):
            r, g, b = row[x], row[x + 1], row[x + 2]
            key = (r, g, b)
            counts[key] = counts.get(key, 0) + 1
            if 0.2126 * r + 0.7152 * g + 0.0722 * b < 96:
                dark += 1
            if max(r, g, b) - min(r, g, b) > 80:
                saturated += 1
    total = width * height
    dominant = max(counts.values()) if counts else 0
    quantised = {(r >> 4, g >> 4, b >> 4) for (r, g, b) in counts}
    print(json.dumps({
        "width": width,
        "height": height,
        "dominant_fraction": dominant / total if total else 1.0,
        "non_background_fraction": 1 - dominant / total if total else 0.0,
        "distinct_colors": len(quantised),
        "dark_fraction": dark / total if total else 0.0,
        "saturated_fraction": saturated / total if total else 0.0,
    }))


if __name__ == "__main__":
    main()
