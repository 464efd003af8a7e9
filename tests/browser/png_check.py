#!/usr/bin/env python3
"""Fails unless a PNG (a browser's screenshot) shows a picture: it decodes (python3's zlib and
struct only, so the test needs nothing else), has the expected width, and is not blank: enough of
it differs from its background colour and it has more than a handful of colours.
Usage: png_check.py FILE WIDTH"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unexpected PNG format (depth {depth}, colour type {colour}, interlace {interlace})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    path, want_width = sys.argv[1], int(sys.argv[2])
    width, height, bpp, rows = decode(path)
    if width != want_width:
        sys.exit(f"{path}: {width} pixels wide, expected {want_width}")
    background = rows[0][:3]
    colours, differing, total = set(), 0, 0
    for y in range(0, height, 4):
        row = rows[y]
        for x in range(0, width, 4):
            px = row[x * bpp:x * bpp + 3]
            colours.add(px)
            differing += px != background
            total += 1
    share = differing / total
    print(f"{path}: {width}x{height}, {len(colours)} colours, {share:.1%} not background")
    if len(colours) < 16 or share < 0.05:
        sys.exit(f"{path}: the screenshot is blank or nearly so")


if __name__ == "__main__":
    main()
