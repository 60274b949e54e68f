#!/usr/bin/env python3
"""Renders a real HTML report in headless Chromium and checks, pixel by pixel, that the plots
are drawn: each series colour must cover a visible area of the screenshot.

usage: render_report_test.py SERVER_BIN LOADGEN_BIN OUT_DIR
Starts loadlab-server on 127.0.0.1 (port 0), runs an open-loop load with a 1 s server stall
(SIGSTOP), writes OUT_DIR/report.html and OUT_DIR/report.png. Exit 0 on success; 77 (skipped)
when Chromium is not installed.
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib

# The report's palette (loadgen/outputs/html_report.cpp) and what each colour draws.
SERIES = {
    (0x1f, 0x77, 0xb4): "latency / responses per second (blue)",
    (0xff, 0x7f, 0x0e): "service time / p90 (orange)",
    (0xd6, 0x27, 0x28): "p99 (red)",
    (0x2c, 0xa0, 0x2c): "p50 / HTTP 200 (green)",
}
MIN_PIXELS = 300


def decode_png(path):
    """Returns (width, height, rows of RGB tuples) for 8-bit RGB/RGBA non-interlaced PNGs."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG layout"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def start_server(binary):
    server = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--threads", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    return server, json.loads(line)["port"]


def main():
    server_bin, loadgen_bin, out_dir = sys.argv[1:4]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium is not installed: skipped")
        return 77
    os.makedirs(out_dir, exist_ok=True)
    html, png = os.path.join(out_dir, "report.html"), os.path.join(out_dir, "report.png")
    server, port = start_server(server_bin)
    try:
        run = subprocess.Popen([loadgen_bin, "--rate", "300", "-c", "10", "-d", "4s", "-q", "--html", html,
                                "--slo", "p99<250ms", f"http://127.0.0.1:{port}/5"])
        time.sleep(1.5)
        server.send_signal(signal.SIGSTOP)
        time.sleep(1.0)
        server.send_signal(signal.SIGCONT)
        code = run.wait(timeout=60)
        assert code == 3, f"the stall should breach p99<250ms (exit 3), got {code}"
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(timeout=30)

    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-extensions", "--no-first-run", "--hide-scrollbars", "--window-size=800,2600",
                    f"--screenshot={png}", "file://" + os.path.abspath(html)],
                   check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    width, height, rows = decode_png(png)
    counts = dict.fromkeys(SERIES, 0)
    for row in rows:
        for pixel in row:
            if pixel in counts:
                counts[pixel] += 1
    print(f"{png}: {width}x{height}")
    failed = False
    for colour, name in SERIES.items():
        print(f"  {name}: {counts[colour]} pixels")
        failed |= counts[colour] < MIN_PIXELS
    if failed:
        print(f"some series drew fewer than {MIN_PIXELS} pixels: the plots are not drawn")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
