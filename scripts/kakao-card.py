#!/usr/bin/env python3
"""Draws web/static/assets/kakao-card.png: the KakaoTalk card image for subjects
without a picture of their own (the bot's placeholder thumbnail).

800 x 400 (Kakao's 2:1 card ratio), everything that matters in the middle 400 x 400
so a square crop (commerce cards) keeps it: the Truffle diamond and the word TRUFFLE
in a 5 x 7 pixel font. An indexed PNG of four colours, written with zlib alone, so the
script needs nothing beyond Python. The output is deterministic: run it again and the
file does not change.

    python3 scripts/kakao-card.py            # writes the file
    python3 scripts/kakao-card.py --check    # exits 1 if the file differs
"""

import os
import struct
import sys
import zlib

WIDTH, HEIGHT = 800, 400
# Background, the diamond, the word, the diamond's highlight.
PALETTE = [(0x1F, 0x1A, 0x17), (0xC8, 0x9B, 0x3C), (0xF4, 0xEE, 0xE4), (0xE6, 0xC2, 0x6E)]

FONT = {
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
    "U": ["10001", "10001", "10001", "10001", "10001", "10001", "01110"],
    "F": ["11111", "10000", "10000", "11110", "10000", "10000", "10000"],
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "E": ["11111", "10000", "10000", "11110", "10000", "10000", "11111"],
}


def draw():
    pixels = [[0] * WIDTH for _ in range(HEIGHT)]
    # The diamond: |x - cx| / rx + |y - cy| / ry <= 1, its upper left facet lighter.
    cx, cy, rx, ry = WIDTH // 2, 150, 70, 95
    for y in range(cy - ry, cy + ry + 1):
        for x in range(cx - rx, cx + rx + 1):
            d = abs(x - cx) / rx + abs(y - cy) / ry
            if d <= 1.0:
                pixels[y][x] = 3 if (x < cx and y < cy) else 1
    # The word, each font pixel a 6 x 6 block, centred under the diamond.
    word, scale, gap = "TRUFFLE", 6, 2
    glyph_w = 5 * scale
    total = len(word) * glyph_w + (len(word) - 1) * gap * scale
    left, top = (WIDTH - total) // 2, 290
    for i, ch in enumerate(word):
        x0 = left + i * (glyph_w + gap * scale)
        for row, bits in enumerate(FONT[ch]):
            for col, bit in enumerate(bits):
                if bit == "1":
                    for dy in range(scale):
                        for dx in range(scale):
                            pixels[top + row * scale + dy][x0 + col * scale + dx] = 2
    return pixels


def png(pixels):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 3, 0, 0, 0)
    palette = b"".join(bytes(c) for c in PALETTE)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"PLTE", palette)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "web", "static", "assets", "kakao-card.png")
    data = png(draw())
    if "--check" in sys.argv[1:]:
        with open(path, "rb") as f:
            if f.read() != data:
                print(f"{path} differs from what scripts/kakao-card.py draws", file=sys.stderr)
                sys.exit(1)
        return
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {path} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
