#!/usr/bin/python3
"""The screen oracle: what a screendump shows against what the guest drew,
and the damage virtio-gpu was sent (QEMU's trace of RESOURCE_FLUSH).

compare() answers the guest's CHECK requests (host/qemu.py serves them);
flush_rects() its FLUSHES. Self-test: python3 screen.py.
"""
import re
import sys


class OracleError(Exception):
    """A request the oracle cannot answer: the guest's or the host's fault,
    never a verdict about the screen."""


# Each display: its QEMU device (with the display's name as id, for QMP
# screendump's "device") and the prefix of the fix.id DRM's generic fbdev
# gives its framebuffer ("<driver>drmfb").
DISPLAYS = {
    "virtio": (["-device", "virtio-gpu-pci,id=virtio,xres={xres},yres={yres}"],
               "virtio"),
    "cirrus": (["-device", "cirrus-vga,id=cirrus"], "cirrus"),
    "bochs": (["-device", "VGA,id=bochs"], "bochs"),
}

def display_of(fbid):
    """The display a framebuffer's fix.id belongs to, or None."""
    for name, (_, prefix) in DISPLAYS.items():
        if fbid.startswith(prefix):
            return name
    return None


def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM (QEMU's screendump)."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"{path}: not an 8-bit P6 PPM")
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos + 1:pos + 1 + w * h * 3]


def masks(bits):
    """Byte translation tables keeping the top N bits of each channel."""
    return [bytes(v & (0xFF << (8 - b)) & 0xFF for v in range(256))
            for b in bits]


_want_cache = {}


def expected_image(w, h, bits, bg, rects):
    """The RGB bytes that background + rectangles give at the precision of
    the framebuffer's channels. The last one is kept: a test that waits
    asks for the same scene again and again."""
    key = (w, h, tuple(bits), bg, tuple(rects))
    if key in _want_cache:
        return _want_cache[key]
    want = bytearray(bg.to_bytes(3, "big") * (w * h))
    for x, y, rw, rh, c in rects:
        if x + rw > w or y + rh > h:
            raise OracleError(f"rectangle {x},{y},{rw},{rh} outside {w}x{h}")
        run = c.to_bytes(3, "big") * rw
        for row in range(y, y + rh):
            want[(row * w + x) * 3:(row * w + x + rw) * 3] = run
    if any(b < 8 for b in bits):
        for ch, table in enumerate(masks(bits)):
            want[ch::3] = bytes(want[ch::3]).translate(table)
    want = bytes(want)
    _want_cache.clear()
    _want_cache[key] = want
    return want


def differing_pixels(a, b):
    """How many 3-byte pixels differ between two rows of equal length: the
    rows XORed as integers, each pixel's three bytes ORed, zeros counted
    (C-speed operations; a loop over pixels cost tens of ms a look)."""
    n = len(a)
    x = (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(n, "big")
    px = (int.from_bytes(x[0::3], "big") | int.from_bytes(x[1::3], "big") |
          int.from_bytes(x[2::3], "big")).to_bytes(n // 3, "big")
    return n // 3 - px.count(0), n // 3 - len(px.lstrip(b"\0"))


def compare(screen, w, h, bits, bg, rects):
    """Compare a screendump with background + rectangles, at the precision
    of the framebuffer's channels. Returns None or a description."""
    sw, sh, rgb = screen
    if (sw, sh) != (w, h):
        return f"SIZE screen {sw}x{sh}, want {w}x{h}"
    want = expected_image(w, h, bits, bg, rects)
    got = rgb
    if any(b < 8 for b in bits):
        # only the channels' top bits count (16 bpp, say)
        got = bytearray(len(rgb))
        for ch, table in enumerate(masks(bits)):
            got[ch::3] = rgb[ch::3].translate(table)
    if got == want:
        return None
    stride = w * 3
    ndiff, first, rows = 0, None, []
    for row in range(h):
        a = got[row * stride:(row + 1) * stride]
        b = want[row * stride:(row + 1) * stride]
        if a == b:
            continue
        rows.append(row)
        n, x = differing_pixels(a, b)
        ndiff += n
        if first is None:
            first = (x, row, bytes(a[x * 3:x * 3 + 3]).hex(),
                     bytes(b[x * 3:x * 3 + 3]).hex())
    x, y, g, e = first
    return (f"DIFF {ndiff} pixels in rows {rows[0]}-{rows[-1]}, "
            f"first at {x},{y}: got {g} want {e}")


# A line of -trace virtio_gpu_cmd_res_flush (QEMU's log backend, with or
# without its "PID@TIME:" prefix): resource, then the rectangle, as
# "w W, h H, x X, y Y" (QEMU 7.2) or "size WxH, offset X,Y".
FLUSH_TRACE = re.compile(
    r"(?:^|:)virtio_gpu_cmd_res_flush res 0x([0-9a-f]+), "
    r"(?:w (\d+), h (\d+), x (-?\d+), y (-?\d+)"
    r"|size (\d+)x(\d+), offset (-?\d+),(-?\d+))")


def flush_rects(lines):
    """The x,y,w,h of each virtio-gpu flush in QEMU's trace lines."""
    out = []
    for line in lines:
        m = FLUSH_TRACE.search(line)
        if m:
            g = m.groups()[1:5] if m.group(2) is not None else m.groups()[5:9]
            w, h, x, y = (int(v) for v in g)
            out.append((x, y, w, h))
    return out


def guest_errors(lines):
    """The lines of QEMU's log that are not trace lines: what it rejected
    of the guest's accesses (-d guest_errors)."""
    return [l for l in lines if l.strip() and not FLUSH_TRACE.search(l)]



def self_test():
    """compare() on made-up screens, the trace parsing, the display
    names. Returns the number of mismatches."""
    bad = 0
    w, h, bg = 64, 48, 0x102030
    img = bytearray(bg.to_bytes(3, "big") * (w * h))
    for row in range(10, 20):
        img[(row * w + 8) * 3:(row * w + 40) * 3] = b"\xff\x00\x00" * 32
    img[(40 * w + 5) * 3:(40 * w + 6) * 3] = b"\x01\x02\x03"
    scr = (w, h, bytes(img))
    band = (8, 10, 32, 10, 0xff0000)
    for bits, rects, want in (
            ([8, 8, 8], [band, (5, 40, 1, 1, 0x010203)], None),
            ([8, 8, 8], [band], "DIFF 1 pixels in rows 40-40, first at 5,40: "
                                "got 010203 want 102030"),
            ([8, 8, 8], [], "DIFF 321 pixels in rows 10-40, first at 8,10: "
                            "got ff0000 want 102030"),
            # at 5 bits, 0x01/0x02/0x03 and 0x10/0x20/0x30 differ only below
            ([5, 6, 5], [band], "DIFF 1 pixels in rows 40-40, first at 5,40: "
                                "got 000000 want 102030"),
            ([8, 8, 8], [(0, 0, 65, 1, 0)], OracleError)):
        try:
            got = compare(scr, w, h, bits, bg, rects)
        except OracleError:
            got = OracleError
        if got != want:
            print(f"self-test: compare {bits} {rects}: {got!r}, want {want!r}")
            bad += 1
    if compare(scr, w + 1, h, [8, 8, 8], bg, []) != "SIZE screen 64x48, want 65x48":
        print("self-test: compare of another size is not a SIZE answer")
        bad += 1
    trace = ["virtio_gpu_cmd_res_flush res 0x1, w 1024, h 1, x 0, y 5",
             "4242@1700000000.000001:virtio_gpu_cmd_res_flush res 0x2, "
             "size 0x768, offset 0,0",
             "virtio_gpu_virgl_process_command: bad cmd", ""]
    if flush_rects(trace) != [(0, 5, 1024, 1), (0, 0, 0, 768)]:
        print(f"self-test: flush_rects of {trace!r}: {flush_rects(trace)!r}")
        bad += 1
    if guest_errors(trace) != [trace[2]]:
        print(f"self-test: guest_errors of {trace!r}: {guest_errors(trace)!r}")
        bad += 1
    for fbid, want in (("virtio_gpudrmfb", "virtio"), ("cirrusdrmfb", "cirrus"),
                       ("bochs-drmdrmfb", "bochs"), ("bochs-drmdrmf", "bochs"),
                       ("simplefb", None)):
        if display_of(fbid) != want:
            print(f"self-test: framebuffer {fbid} maps to "
                  f"{display_of(fbid)!r}, want {want!r}")
            bad += 1
    print(f"screen self-test: compare, traces, displays: "
          f"{'all as expected' if not bad else f'{bad} mismatches'}")
    return bad


if __name__ == "__main__":
    sys.exit(1 if self_test() else 0)
