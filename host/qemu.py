#!/usr/bin/python3
"""Boot a test kernel in QEMU, serve the guest's screen oracle, collect KTAP.

    qemu.py --kernel BZIMAGE --initrd CPIO --display virtio|cirrus|bochs
            --out DIR [--timeout S] [--name PREFIX] -- GUEST COMMAND...

QEMU runs under TCG (KVM hangs on these machines), starts paused, and gets
three channels: ttyS0 is the console (DIR/console.log), ttyS1 the screen
oracle the guest asks (guest/fb.c), and a QMP socket for screendumps.

The guest command runs from the initramfs's init and prints KTAP on the
console. Each result is printed as it arrives, prefixed with PREFIX, and
written to DIR/results; a test that never reports (timeout, crash) is
written as failed, and so is a console carrying a kernel report. The exit
status is 0 only when every planned test passed.

Only Python's standard library: no PyPI here.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

DISPLAYS = {
    # DRM's generic fbdev emulation, through deferred I/O, on each of them.
    "virtio": ["-device", "virtio-gpu-pci,xres={xres},yres={yres}"],
    "cirrus": ["-device", "cirrus-vga"],
    "bochs": ["-device", "VGA"],
}

# Lines that mean the kernel found something wrong (KASAN, lockdep, list
# debugging, WARN/BUG, panics).
REPORT = re.compile(
    r"BUG:|WARNING:|KASAN:|UBSAN:|possible (recursive|circular)? ?locking|"
    r"possible deadlock|list_add corruption|list_del corruption|"
    r"Kernel panic|Oops|general protection fault|unreferenced object")

KTAP_RESULT = re.compile(r"^(not ok|ok) (\d+) (\S+)")
KTAP_PLAN = re.compile(r"^1\.\.(\d+)$")


class QMP:
    """The few QMP commands we need, synchronously."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")
        self._read()                            # greeting
        self.execute("qmp_capabilities")

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def execute(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg).encode() + b"\n")
        self.file.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"QMP {cmd}: {reply['error'].get('desc')}")
        return reply.get("return")


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


def compare(screen, w, h, bits, bg, rects):
    """Compare a screendump with background + rectangles, at the precision
    of the framebuffer's channels. Returns None or a description."""
    sw, sh, rgb = screen
    if (sw, sh) != (w, h):
        return f"SIZE screen {sw}x{sh}, want {w}x{h}"
    want = bytearray(bg.to_bytes(3, "big") * (w * h))
    for x, y, rw, rh, c in rects:
        if x + rw > w or y + rh > h:
            return f"BADRECT {x},{y},{rw},{rh} outside {w}x{h}"
        run = c.to_bytes(3, "big") * rw
        for row in range(y, y + rh):
            want[(row * w + x) * 3:(row * w + x + rw) * 3] = run
    got = bytearray(len(rgb))
    for ch, table in enumerate(masks(bits)):
        got[ch::3] = rgb[ch::3].translate(table)
        want[ch::3] = bytes(want[ch::3]).translate(table)
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
        for x in range(w):
            if a[x * 3:x * 3 + 3] != b[x * 3:x * 3 + 3]:
                ndiff += 1
                if first is None:
                    first = (x, row, a[x * 3:x * 3 + 3].hex(),
                             b[x * 3:x * 3 + 3].hex())
    x, y, g, e = first
    return (f"DIFF {ndiff} pixels in rows {rows[0]}-{rows[-1]}, "
            f"first at {x},{y}: got {g} want {e}")


class Machine:
    def __init__(self, args):
        self.args = args
        self.out = args.out
        os.makedirs(self.out, exist_ok=True)
        self.sockdir = tempfile.mkdtemp(prefix="fbq")
        self.console = os.path.join(self.out, "console.log")
        self.oracle_error = None
        self.nchecks = 0

    def command(self):
        a = self.args
        dev = [s.format(xres=a.xres, yres=a.yres) for s in DISPLAYS[a.display]]
        append = (f"console=ttyS0 panic=-1 oops=panic loglevel=6 {a.append}"
                  f" -- {' '.join(a.guest)}")
        return [
            "qemu-system-x86_64", "-machine", "pc", "-accel", "tcg",
            "-m", str(a.memory), "-nodefaults", "-no-reboot", "-S",
            "-display", "none", "-vga", "none", *dev,
            "-kernel", a.kernel, "-initrd", a.initrd, "-append", append,
            "-chardev", f"file,id=con,path={self.console}",
            "-serial", "chardev:con",
            "-chardev", f"socket,id=oracle,path={self.sockdir}/oracle,"
                        "server=on,wait=off",
            "-serial", "chardev:oracle",
            "-chardev", f"socket,id=qmp,path={self.sockdir}/qmp,"
                        "server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
        ]

    def _connect(self, name):
        path = os.path.join(self.sockdir, name)
        deadline = time.monotonic() + 30
        while True:
            try:
                if name == "qmp":
                    return QMP(path)
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                return s
            except (FileNotFoundError, ConnectionRefusedError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"QEMU did not open its {name} socket")
                time.sleep(0.05)

    def screendump(self, path, fmt="ppm"):
        with self.qmp_lock:
            self.qmp.execute("screendump", filename=path, format=fmt)

    def answer(self, line):
        seq, _, req = line.partition(" ")
        words = req.split()
        dump = os.path.join(self.sockdir, "screen.ppm")
        if words[:1] == ["CHECK"]:
            w, h = int(words[1]), int(words[2])
            bits = [int(b) for b in words[3].split(",")]
            bg, n = int(words[4], 16), int(words[5])
            rects = []
            for r in words[6:6 + n]:
                x, y, rw, rh, c = r.split(",")
                rects.append((int(x), int(y), int(rw), int(rh), int(c, 16)))
            self.screendump(dump)
            self.nchecks += 1
            why = compare(read_ppm(dump), w, h, bits, bg, rects)
            if why:
                shutil.copy(dump, os.path.join(self.out, "last-mismatch.ppm"))
            return why or "MATCH"
        if words[:1] == ["GEOM"]:
            self.screendump(dump)
            w, h, _ = read_ppm(dump)
            return f"SIZE {w} {h}"
        if words[:1] == ["SAVE"] and len(words) == 2 and \
                re.fullmatch(r"[\w-]+", words[1]):
            png = os.path.abspath(os.path.join(self.out, words[1] + ".png"))
            self.screendump(png, "png")
            self.saved.append(png)
            return "SAVED " + png
        return "ERROR unknown request " + req[:40]

    def serve_oracle(self):
        """Answer the guest's requests. The VM is paused from the arrival of
        a request until its answer is sent, so guest time stands still
        while the host looks and compares: guest timings exclude it."""
        buf = b""
        try:
            while True:
                data = self.oracle.recv(65536)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.decode(errors="replace").strip()
                    if not line:
                        continue
                    seq = line.split(" ", 1)[0]
                    with self.qmp_lock:
                        self.qmp.execute("stop")
                    try:
                        reply = self.answer(line)
                        self.oracle.sendall(f"{seq} {reply}\n".encode())
                    finally:
                        with self.qmp_lock:
                            self.qmp.execute("cont")
        except (OSError, EOFError, RuntimeError, ValueError) as e:
            if self.proc.poll() is None:
                self.oracle_error = f"screen oracle: {e}"

    def run(self):
        a = self.args
        self.saved = []
        self.qmp_lock = threading.Lock()
        open(self.console, "w").close()
        with open(os.path.join(self.out, "qemu.cmd"), "w") as f:
            f.write(" ".join(self.command()) + "\n")
        qemu_log = open(os.path.join(self.out, "qemu.log"), "w")
        start = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=qemu_log, stderr=qemu_log)
        try:
            self.oracle = self._connect("oracle")
            self.qmp = self._connect("qmp")
            threading.Thread(target=self.serve_oracle, daemon=True).start()
            with self.qmp_lock:
                self.qmp.execute("cont")
            timed_out = self.follow(start)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            qemu_log.close()
            shutil.rmtree(self.sockdir, ignore_errors=True)
        return self.report(timed_out, time.monotonic() - start)

    def follow(self, start):
        """Print KTAP lines as they reach the console, until QEMU ends or
        the timeout passes. Returns True on timeout."""
        seen = 0
        while True:
            done = self.proc.poll() is not None
            with open(self.console, errors="replace") as f:
                lines = f.read().splitlines()
            complete = lines if done else lines[:-1]
            for line in complete[seen:]:
                if KTAP_RESULT.match(line) or line.startswith("# "):
                    print(f"    {self.args.name}{line}", flush=True)
            seen = max(seen, len(complete))
            if done:
                return False
            if time.monotonic() - start > self.args.timeout:
                return True
            time.sleep(0.2)

    def report(self, timed_out, elapsed):
        with open(self.console, errors="replace") as f:
            lines = f.read().splitlines()
        plan, results = None, {}
        for line in lines:
            m = KTAP_PLAN.match(line)
            if m and plan is None:
                plan = int(m.group(1))
            m = KTAP_RESULT.match(line)
            if m:
                results[int(m.group(2))] = (m.group(1) == "ok", m.group(3))
        reports = [l for l in lines if REPORT.search(l)]
        name = self.args.name
        out = []
        for i in range(1, max(plan or 0, max(results, default=0)) + 1):
            ok, test = results.get(i, (False, f"test_{i}_never_reported"))
            out.append((ok, name + test))
        if plan is None and self.args.guest_ktap:
            out.append((False, name + "guest_reported_a_plan"))
        out.append((not reports, name + "kernel_log_clean"))
        with open(os.path.join(self.out, "results"), "w") as f:
            for ok, test in out:
                f.write(f"{'ok' if ok else 'not ok'} {test}\n")
        failed = [t for ok, t in out if not ok]
        if self.oracle_error:
            print(f"    {name}{self.oracle_error}")
        for r in reports[:10]:
            print(f"    kernel report: {r}")
        if timed_out:
            print(f"    {name.rstrip('/')}: timed out after {self.args.timeout}s")
        for png in self.saved:
            print(f"    saved {png}")
        print(f"    {name.rstrip('/')}: {len(out) - len(failed)}/{len(out)} passed in "
              f"{elapsed:.1f}s, {self.nchecks} screen checks "
              f"(console: {self.console})", flush=True)
        if failed or timed_out:
            print(f"    --- last 25 console lines ({self.console}) ---")
            for line in lines[-25:]:
                print(f"    | {line}")
        return 0 if not failed and not timed_out else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd", required=True)
    p.add_argument("--display", choices=DISPLAYS, default="virtio")
    p.add_argument("--xres", type=int, default=1024)
    p.add_argument("--yres", type=int, default=768)
    p.add_argument("--memory", type=int, default=512, help="MiB")
    p.add_argument("--append", default="", help="more kernel parameters")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--out", required=True, help="folder for logs and PNGs")
    p.add_argument("--name", default="", help="prefix for test names")
    p.add_argument("--no-guest-ktap", dest="guest_ktap", action="store_false",
                   help="the guest command reports no KTAP (results come "
                        "from the kernel, e.g. KUnit)")
    p.add_argument("guest", nargs="+", help="command the guest init runs")
    args = p.parse_args()
    for f in (args.kernel, args.initrd):
        if not os.path.exists(f):
            sys.exit(f"qemu.py: {f} does not exist (build it first)")
    if not shutil.which("qemu-system-x86_64"):
        sys.exit("qemu.py: qemu-system-x86_64 missing (apt-get install qemu-system-x86)")
    sys.exit(Machine(args).run())


if __name__ == "__main__":
    main()
