#!/usr/bin/python3
"""Boot a test kernel in QEMU, serve the guest's screen oracle, collect KTAP.

    qemu.py --kernel BZIMAGE --initrd CPIO --display DISPLAY[+DISPLAY...]
            --out DIR [--timeout S] [--name PREFIX] -- GUEST COMMAND...
    qemu.py --self-test

QEMU runs under TCG (KVM hangs on these machines), starts paused, and gets
three channels: ttyS0 is the console (DIR/console.log), ttyS1 the screen
oracle the guest asks (guest/fb.c), and a QMP socket for screendumps.
Several displays (virtio, cirrus, bochs) can be attached at once, e.g.
--display bochs+virtio; each QEMU device gets its display's name as id,
and every oracle request names its framebuffer (fix.id, "virtio_gpudrmfb",
"bochs-drmdrmfb", "cirrusdrmfb"), which the host maps by prefix to the
device whose screen it dumps.

The guest command runs from the initramfs's init and prints KTAP on the
console; init then prints its exit status and the kernel's taint flags.
Each result is printed as it arrives, prefixed with PREFIX, and written
with the harness's own results to DIR/results, one "ok NAME" or "not ok
NAME" a line:

    PREFIXboot                 QEMU started
    PREFIX<test>               each KTAP result; a planned one that never
                               reported fails
    PREFIXguest_finished       the guest got to "fbtest-init: exit status"
    PREFIXguest_exit_status    ... and it was 0
    PREFIXscreen_oracle        every oracle request was understood and
                               answered
    PREFIXkernel_not_tainted   /proc/sys/kernel/tainted was 0 (but TAINT_TEST)
    PREFIXkernel_log_clean     no kernel report on the console (REPORTS)

The exit status is 0 only when every result is ok.

Only Python's standard library: no PyPI here.
"""
import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

# Each display: its QEMU device (with the display's name as id, for QMP
# screendump's "device") and the prefix of the fix.id DRM's generic fbdev
# gives its framebuffer ("<driver>drmfb").
DISPLAYS = {
    "virtio": (["-device", "virtio-gpu-pci,id=virtio,xres={xres},yres={yres}"],
               "virtio"),
    "cirrus": (["-device", "cirrus-vga,id=cirrus"], "cirrus"),
    "bochs": (["-device", "VGA,id=bochs"], "bochs"),
}

# The kernel's report classes, the one place their patterns live: every
# console line is matched against them in this order (the specific ones
# before the generic "BUG: " and "WARNING: "), and the first class that
# matches names it. Any match fails kernel_log_clean.
REPORTS = [
    ("KASAN", r"BUG: KASAN: "),
    ("UBSAN", r"UBSAN: "),
    ("SLUB debug", r"BUG [\w.:/-]+ \((Not tainted|Tainted: [^)]*)\): "),
    ("lockdep", r"WARNING: (possible circular locking dependency"
                r"|possible recursive locking"
                r"|possible irq lock inversion dependency"
                r"|inconsistent lock state|suspicious RCU usage"
                r"|bad unlock balance|held lock freed"
                r"|lock held when returning to user space"
                r"|\w+-safe -> \w+-unsafe lock order"
                r"|Nested lock was not taken|bad contention detected)"
                r"|BUG: sleeping function called from invalid context"
                r"|BUG: scheduling while atomic"
                r"|BUG: MAX_LOCKDEP_\w+ too low"
                r"|BUG: looking up invalid subclass"
                r"|BUG: key \w+ has not been registered"),
    ("list corruption", r"list_(add|del) corruption"),
    ("RCU stall", r"rcu: INFO: rcu_\w+ (self-detected stall on CPU"
                  r"|detected stalls on CPUs/tasks)"),
    ("hung task", r"INFO: task .+:\d+ blocked for more than \d+ seconds"),
    ("kmemleak", r"unreferenced object 0x[0-9a-f]+"),
    ("Oops", r"\bOops\b"),
    ("general protection fault", r"general protection fault"),
    ("Kernel panic", r"Kernel panic - not syncing"),
    ("WARN", r"WARNING: CPU: \d+ PID: \d+ at \S+"),
    ("BUG", r"BUG: |kernel BUG at "),
    ("WARNING (other)", r"WARNING: "),
]
REPORT_RES = [(cls, re.compile(rx)) for cls, rx in REPORTS]

# Real lines of each class, for --self-test (not patterns: samples).
REPORT_SAMPLES = {
    "KASAN": [
        "[   42.1] BUG: KASAN: use-after-free in fb_deferred_io_work+0x5c/0x2a0",
        "BUG: KASAN: slab-out-of-bounds in drm_fb_helper_damage_work+0x1e/0x80",
        "[    3.000000] BUG: KASAN: null-ptr-deref in range [0x0000000000000010-0x0000000000000017]",
    ],
    "UBSAN": [
        "[    1.5] UBSAN: shift-out-of-bounds in drivers/video/fbdev/core/fb_defio.c:77:20",
        "UBSAN: array-index-out-of-bounds in lib/foo.c:12:3",
    ],
    "SLUB debug": [
        "[   10.2] BUG kmalloc-64 (Not tainted): Redzone overwritten",
        "BUG skbuff_head_cache (Tainted: G    B            ): Poison overwritten",
        "[    7.7] BUG kmalloc-4k (Tainted: G        W         ): Object already free",
        "BUG fb_deferred_io_pageref (Not tainted): Freepointer corrupt",
    ],
    "lockdep": [
        "[    5.1] WARNING: possible circular locking dependency detected",
        "WARNING: possible recursive locking detected",
        "[    5.1] WARNING: inconsistent lock state",
        "WARNING: suspicious RCU usage",
        "[    9.9] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:935",
        "BUG: scheduling while atomic: kworker/0:1/23/0x00000002",
        "WARNING: bad unlock balance detected!",
        "WARNING: possible irq lock inversion dependency detected",
        "WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected",
        "WARNING: held lock freed!",
    ],
    "list corruption": [
        "[   12.0] list_add corruption. prev->next should be next (ffff888003e1a0d8), but was ffff888003e1a0d8. (prev=ffff888003e1a0d8).",
        "list_del corruption. next->prev should be ffff888003c2b0f0, but was dead000000000122",
        "list_del corruption, ffff888004a0c008->next is LIST_POISON1 (dead000000000100)",
    ],
    "RCU stall": [
        "[   60.0] rcu: INFO: rcu_sched self-detected stall on CPU",
        "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
        "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
    ],
    "hung task": [
        "[  245.3] INFO: task kworker/0:2:57 blocked for more than 120 seconds.",
        "INFO: task stress-tests:81 blocked for more than 30 seconds.",
    ],
    "kmemleak": [
        "unreferenced object 0xffff888004c5a000 (size 4096):",
        "[  600.1] unreferenced object 0xffff88800d3a1e40 (size 64):",
    ],
    "Oops": [
        "[   13.4] Oops: 0000 [#1] SMP KASAN",
        "Oops: 0002 [#1] PREEMPT SMP NOPTI",
    ],
    "general protection fault": [
        "[   13.4] general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN",
        "general protection fault: 0000 [#1] SMP",
    ],
    "Kernel panic": [
        "[   13.5] Kernel panic - not syncing: Fatal exception",
        "Kernel panic - not syncing: panic_on_warn set ...",
    ],
    "WARN": [
        "[    4.2] WARNING: CPU: 0 PID: 1 at drivers/gpu/drm/drm_mm.c:999 drm_mm_takedown+0x1f/0x30",
        "WARNING: CPU: 1 PID: 61 at mm/page_alloc.c:4902 __alloc_pages_nodemask+0x1b5/0x2f0",
    ],
    "BUG": [
        "[    8.0] BUG: unable to handle page fault for address: ffffc90000b3d000",
        "BUG: kernel NULL pointer dereference, address: 0000000000000008",
        "BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!",
        "BUG: soft lockup - CPU#0 stuck for 22s! [stress-tests:77]",
        "[    9.1] kernel BUG at mm/slub.c:4103!",
    ],
    "WARNING (other)": [
        "WARNING: kernel stack frame pointer at 000000001b2e5f8a in stress-tests:88 has bad value 0000000000000000",
    ],
}

# Ordinary lines (boots of these kernels, the guest's own output): no class.
ORDINARY_SAMPLES = [
    "[    0.000000] Linux version 5.10.262+ (root@vm) (gcc (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 Wed Nov 25 23:44:01 UTC 2026",
    "[    0.029121] Kernel command line: console=ttyS0 panic=-1 oops=panic loglevel=6 acpi=noirq -- screen-tests",
    "[    0.287603] acpi PNP0A03:00: fail to add MMCONFIG information, can't access extended PCI configuration space under this bridge.",
    "[    0.314286] ACPI: Failed to create genetlink family for ACPI event",
    "[    0.498815] Warning: Processor Platform Limit event detected, but not handled.",
    "[    0.499029] Consider compiling CPUfreq support into your kernel.",
    "[    0.822129] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
    "[    0.822495] ... MAX_LOCKDEP_SUBCLASSES:  8",
    "[    0.823946]  memory used by lock dependency info: 6365 kB",
    "[    0.100000] kmemleak: Kernel memory leak detector initialized (mem pool available: 15676)",
    "[    0.100000] kasan: KernelAddressSanitizer initialized",
    "[   35.393231] ACPI Error: Aborting method \\_SB.PCI0._PRT due to previous error (AE_AML_LOOP_TIMEOUT) (20200925/psparse-529)",
    "[   35.494572] virtio-pci 0000:00:02.0: can't derive routing for PCI INT A",
    "[    3.100000] [drm:drm_fbdev_client_hotplug] *ERROR* fbdev: Failed to setup generic emulation (ret=-12)",
    "[    1.530375] reboot: Restarting system",
    "fbtest-init: running: stress-tests",
    "fbtest-init: exit status 0",
    "fbtest-init: tainted 0",
    "not ok 3 fsync_flushes_at_once",
    "# kmemleak: 12 unreferenced objects, 0 of them from the series or its drivers",
    "#   leaked object 0xffff888004c5a000 (size 4096):",
    "# fsync_flushes_at_once: not on screen: DIFF 12 pixels in rows 3-4, first at 0,3: got 000000 want ff0000",
    "[    2.000000] BUGS: none",
    "[    2.000000] debug: unmapping init [mem 0xffffffff82a1a000-0xffffffff82bfffff]",
]

# /proc/sys/kernel/tainted, bit by bit (kernel/panic.c, taint_flags).
TAINT_LETTERS = "PFSRMBUDAWCIOELKXTN"
# TAINT_TEST (N): since 6.0, KUnit sets it when its suites ran, as they do
# at every boot of a kernel that builds them in. It says tests ran, not
# that something went wrong: the only taint a clean boot may carry.
TAINT_ALLOWED = 1 << 18


def classify(line):
    """The report class a console line belongs to, or None."""
    for cls, rx in REPORT_RES:
        if rx.search(line):
            return cls
    return None


def decode_taint(value):
    """Letters for the set bits of a taint value ("W", "BW"...)."""
    letters = []
    for bit in range(max(value.bit_length(), len(TAINT_LETTERS))):
        if value >> bit & 1:
            letters.append(TAINT_LETTERS[bit] if bit < len(TAINT_LETTERS)
                           else f"bit{bit}")
    return "".join(letters)


def self_test():
    """Check every report class against its samples and the ordinary
    lines against every class. Returns the exit status."""
    bad = 0
    names = [cls for cls, _ in REPORTS]
    if len(set(names)) != len(names):
        print("self-test: duplicate class names in REPORTS")
        bad += 1
    for cls in names:
        samples = REPORT_SAMPLES.get(cls, [])
        if not samples:
            print(f"self-test: class {cls!r} has no sample line")
            bad += 1
        for line in samples:
            got = classify(line)
            if got != cls:
                print(f"self-test: {line!r}: class {got!r}, want {cls!r}")
                bad += 1
    for cls in REPORT_SAMPLES:
        if cls not in names:
            print(f"self-test: samples for unknown class {cls!r}")
            bad += 1
    for line in ORDINARY_SAMPLES:
        got = classify(line)
        if got is not None:
            print(f"self-test: ordinary line {line!r} matches class {got!r}")
            bad += 1
    for value, want in ((0, ""), (1 << 9, "W"), ((1 << 5) | (1 << 9), "BW"),
                        (1 << 7 | 1 << 9, "DW"), (1 << 20, "bit20")):
        if decode_taint(value) != want:
            print(f"self-test: taint {value} decodes as "
                  f"{decode_taint(value)!r}, want {want!r}")
            bad += 1
    for fbid, want in (("virtio_gpudrmfb", "virtio"), ("cirrusdrmfb", "cirrus"),
                       ("bochs-drmdrmfb", "bochs"), ("bochs-drmdrmf", "bochs"),
                       ("simplefb", None)):
        if display_of(fbid) != want:
            print(f"self-test: framebuffer {fbid} maps to "
                  f"{display_of(fbid)!r}, want {want!r}")
            bad += 1
    nsamples = sum(len(v) for v in REPORT_SAMPLES.values())
    print(f"self-test: {len(names)} report classes, {nsamples} report lines, "
          f"{len(ORDINARY_SAMPLES)} ordinary lines: "
          f"{'all as expected' if not bad else f'{bad} mismatches'}")
    return 1 if bad else 0


def display_of(fbid):
    """The display a framebuffer's fix.id belongs to, or None."""
    for name, (_, prefix) in DISPLAYS.items():
        if fbid.startswith(prefix):
            return name
    return None


KTAP_RESULT = re.compile(r"^(not ok|ok) (\d+) (\S+)")
KTAP_PLAN = re.compile(r"^1\.\.(\d+)$")
EXIT_STATUS = re.compile(r"^fbtest-init: exit status (\d+)$")
TAINTED = re.compile(r"^fbtest-init: tainted (\S+)$")


class OracleError(Exception):
    """A request the oracle cannot answer: the guest's or the host's fault,
    never a verdict about the screen."""


class Interrupted(Exception):
    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


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
            raise OracleError(f"rectangle {x},{y},{rw},{rh} outside {w}x{h}")
        run = c.to_bytes(3, "big") * rw
        for row in range(y, y + rh):
            want[(row * w + x) * 3:(row * w + x + rw) * 3] = run
    got = rgb
    if any(b < 8 for b in bits):
        # only the channels' top bits count (16 bpp, say)
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


def die_with_parent(parent):
    """In the QEMU child, before exec: get SIGKILL when qemu.py dies, even
    by SIGKILL (prctl PR_SET_PDEATHSIG)."""
    def preexec():
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            os._exit(126)
        if os.getppid() != parent:      # the parent is already gone
            os._exit(126)
    return preexec


class Machine:
    def __init__(self, args):
        self.args = args
        self.out = args.out
        self.displays = args.display.split("+")
        os.makedirs(self.out, exist_ok=True)
        self.sockdir = tempfile.mkdtemp(prefix="fbq")
        self.console = os.path.join(self.out, "console.log")
        self.qemu_log = os.path.join(self.out, "qemu.log")
        self.results = os.path.join(self.out, "results")
        self.oracle_errors = []
        self.nchecks = 0
        self.saved = []
        self.proc = None

    def command(self):
        a = self.args
        devs = []
        for d in self.displays:
            devs += [s.format(xres=a.xres, yres=a.yres) for s in DISPLAYS[d][0]]
        # The kernel splits init's arguments at blanks but keeps a
        # double-quoted one whole (and drops the quotes).
        guest = " ".join(f'"{w}"' if re.search(r"\s", w) or not w else w
                         for w in a.guest)
        append = (f"console=ttyS0 panic=-1 oops=panic loglevel=6 acpi=noirq "
                  f"{' '.join(a.append)} -- {guest}")
        return [
            "qemu-system-x86_64", "-machine", "pc",
            "-accel", "tcg,thread=multi" if a.smp > 1 else "tcg",
            "-smp", str(a.smp), "-m", str(a.memory), "-nodefaults", "-no-reboot", "-S",
            "-display", "none", "-vga", "none", *devs,
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
                if self.proc.poll() is not None:
                    raise RuntimeError(f"QEMU exited with status "
                                       f"{self.proc.returncode} before it "
                                       f"opened its {name} socket")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"QEMU did not open its {name} "
                                       "socket in 30 s")
                time.sleep(0.05)

    def screendump(self, display, path, fmt="ppm"):
        with self.qmp_lock:
            self.qmp.execute("screendump", filename=path, format=fmt,
                             device=display)

    def display(self, fbid):
        """The attached display that shows the framebuffer @fbid."""
        d = display_of(fbid)
        if d is None:
            raise OracleError(f"framebuffer {fbid!r} belongs to no known "
                              f"display ({', '.join(DISPLAYS)})")
        if d not in self.displays:
            raise OracleError(f"framebuffer {fbid!r} is on display {d}, "
                              f"which is not attached ({self.args.display})")
        return d

    def answer(self, req):
        """The answer to one request (without its sequence number)."""
        words = req.split()
        verb = words[0] if words else ""
        try:
            if verb == "CHECK":
                if len(words) < 7:
                    raise OracleError("CHECK needs FB W H BITS BG N RECTS")
                d = self.display(words[1])
                w, h = int(words[2]), int(words[3])
                bits = [int(b) for b in words[4].split(",")]
                if len(bits) != 3 or not all(1 <= b <= 8 for b in bits):
                    raise OracleError(f"bad channel bits {words[4]}")
                bg, n = int(words[5], 16), int(words[6])
                if len(words) != 7 + n:
                    raise OracleError(f"CHECK announces {n} rectangles, "
                                      f"carries {len(words) - 7}")
                rects = []
                for r in words[7:7 + n]:
                    x, y, rw, rh, c = r.split(",")
                    rects.append((int(x), int(y), int(rw), int(rh),
                                  int(c, 16)))
                dump = os.path.join(self.sockdir, "screen.ppm")
                self.screendump(d, dump)
                self.nchecks += 1
                why = compare(read_ppm(dump), w, h, bits, bg, rects)
                if why:
                    shutil.copy(dump, os.path.join(
                        self.out, f"last-mismatch-{d}.ppm"))
                return why or "MATCH"
            if verb == "GEOM" and len(words) == 2:
                d = self.display(words[1])
                dump = os.path.join(self.sockdir, "screen.ppm")
                self.screendump(d, dump)
                w, h, _ = read_ppm(dump)
                return f"SIZE {w} {h}"
            if verb == "SAVE" and len(words) == 3 and \
                    re.fullmatch(r"[\w-]+", words[2]):
                d = self.display(words[1])
                png = os.path.abspath(os.path.join(self.out, words[2] + ".png"))
                self.screendump(d, png, "png")
                self.saved.append(png)
                return "SAVED " + png
        except ValueError as e:
            raise OracleError(f"malformed {verb}: {e}") from e
        raise OracleError(f"unknown request {req[:60]!r}")

    def oracle_error(self, what):
        self.oracle_errors.append(what)
        print(f"    {self.args.name}screen oracle: {what}", flush=True)

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
                    with self.qmp_lock:
                        self.qmp.execute("stop")
                    try:
                        seq, _, req = line.partition(" ")
                        try:
                            if not seq.isdigit():
                                raise OracleError(
                                    f"request without a sequence number: "
                                    f"{line[:60]!r}")
                            reply = self.answer(req)
                        except OracleError as e:
                            self.oracle_error(str(e))
                            reply = f"ERROR {e}"
                        except Exception as e:   # a bug here: say where
                            tb = traceback.extract_tb(e.__traceback__)[-1]
                            self.oracle_error(
                                f"{type(e).__name__} while answering "
                                f"{req[:40]!r}: {e} ({tb.filename}:{tb.lineno})")
                            reply = f"ERROR host exception {type(e).__name__}"
                        reply = reply.replace("\n", " ")
                        self.oracle.sendall(f"{seq} {reply}\n".encode())
                    finally:
                        with self.qmp_lock:
                            self.qmp.execute("cont")
        except (OSError, EOFError, RuntimeError, ValueError) as e:
            # The sockets also break when QEMU is ending: only an error
            # while it keeps running is the oracle's.
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.oracle_error(f"{type(e).__name__}: {e}")

    def start(self):
        """Start QEMU and connect; RuntimeError/OSError when it does not."""
        with open(os.path.join(self.out, "qemu.cmd"), "w") as f:
            f.write(" ".join(self.command()) + "\n")
        with open(self.qemu_log, "w") as log:
            self.proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, preexec_fn=die_with_parent(os.getpid()))
        self.oracle = self._connect("oracle")
        self.qmp = self._connect("qmp")

    def stop_qemu(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()

    def run(self):
        self.qmp_lock = threading.Lock()
        open(self.console, "w").close()
        start = time.monotonic()
        interrupted = None
        timed_out = False
        try:
            try:
                self.start()
            except (OSError, RuntimeError, EOFError, ValueError) as e:
                self.stop_qemu()
                return self.boot_failed(e)
            threading.Thread(target=self.serve_oracle, daemon=True).start()
            with self.qmp_lock:
                self.qmp.execute("cont")
            timed_out = self.follow(start)
        except Interrupted as e:
            interrupted = e
        finally:
            self.stop_qemu()
            shutil.rmtree(self.sockdir, ignore_errors=True)
        status = self.report(timed_out, interrupted, time.monotonic() - start)
        if interrupted:
            return 128 + interrupted.signum
        return status

    def tail(self, path, n):
        try:
            with open(path, errors="replace") as f:
                return f.read().splitlines()[-n:]
        except OSError:
            return []

    def boot_failed(self, err):
        name = self.args.name
        print(f"    {name.rstrip('/') or 'qemu.py'}: QEMU did not start: {err}")
        print(f"    --- last 20 lines of {self.qemu_log} ---")
        for line in self.tail(self.qemu_log, 20):
            print(f"    | {line}")
        with open(self.results, "w") as f:
            f.write(f"not ok {name}boot\n")
        sys.stdout.flush()
        return 1

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

    def report(self, timed_out, interrupted, elapsed):
        with open(self.console, errors="replace") as f:
            lines = f.read().splitlines()
        name = self.args.name
        plan, results, exit_status, tainted = None, {}, None, None
        for line in lines:
            m = KTAP_PLAN.match(line)
            if m and plan is None:
                plan = int(m.group(1))
            m = KTAP_RESULT.match(line)
            if m:
                results[int(m.group(2))] = (m.group(1) == "ok", m.group(3))
            m = EXIT_STATUS.match(line)
            if m:
                exit_status = int(m.group(1))
            m = TAINTED.match(line)
            if m:
                tainted = m.group(1)
        reports = [(classify(l), l) for l in lines]
        reports = [(c, l) for c, l in reports if c]
        notes = []

        out = [(True, name + "boot")]
        for i in range(1, max(plan or 0, max(results, default=0)) + 1):
            ok, test = results.get(i, (False, f"test_{i}_never_reported"))
            out.append((ok, name + test))
        if plan is None and self.args.guest_ktap:
            out.append((False, name + "guest_reported_a_plan"))

        finished = exit_status is not None
        out.append((finished, name + "guest_finished"))
        if not finished:
            why = (f"interrupted by {interrupted}" if interrupted else
                   f"timed out after {self.args.timeout:.0f}s" if timed_out
                   else f"QEMU ended (status {self.proc.returncode}) first")
            notes.append(f"the guest never printed 'fbtest-init: exit status': {why}")
        out.append((exit_status == 0, name + "guest_exit_status"))
        if finished and exit_status != 0:
            notes.append(f"the guest command exited with status {exit_status}")

        out.append((not self.oracle_errors, name + "screen_oracle"))
        for e in self.oracle_errors[:5]:
            notes.append(f"screen oracle error: {e}")
        if len(self.oracle_errors) > 5:
            notes.append(f"... and {len(self.oracle_errors) - 5} more "
                         "screen oracle errors")

        taint_ok = False
        if tainted is None:
            notes.append("no taint report from the guest ('fbtest-init: tainted N')")
        elif not tainted.isdigit():
            notes.append(f"taint flags unreadable: {tainted!r}")
        else:
            value = int(tainted)
            taint_ok = value & ~TAINT_ALLOWED == 0
            if not taint_ok:
                notes.append(f"kernel tainted: {value} = {decode_taint(value)}")
        out.append((taint_ok, name + "kernel_not_tainted"))

        out.append((not reports, name + "kernel_log_clean"))

        with open(self.results, "w") as f:
            for ok, test in out:
                f.write(f"{'ok' if ok else 'not ok'} {test}\n")
        failed = [t for ok, t in out if not ok]
        prefix = name.rstrip("/") or "qemu.py"
        for note in notes:
            print(f"    {prefix}: {note}")
        for cls, line in reports[:40]:
            print(f"    kernel report [{cls}]: {line}")
        if len(reports) > 40:
            print(f"    ... and {len(reports) - 40} more report lines")
        if self.proc and self.proc.returncode not in (0, None) and \
                not interrupted and not timed_out:
            print(f"    {prefix}: QEMU exited with status "
                  f"{self.proc.returncode}; last lines of {self.qemu_log}:")
            for line in self.tail(self.qemu_log, 10):
                print(f"    | {line}")
        for png in self.saved:
            print(f"    saved {png}")
        print(f"    {prefix}: {len(out) - len(failed)}/{len(out)} passed in "
              f"{elapsed:.1f}s, {self.nchecks} screen checks "
              f"(console: {self.console})", flush=True)
        if failed:
            print(f"    --- last 25 console lines ({self.console}) ---")
            for line in lines[-25:]:
                print(f"    | {line}")
        sys.stdout.flush()
        return 0 if not failed else 1


def display_list(value):
    names = value.split("+")
    for n in names:
        if n not in DISPLAYS:
            raise argparse.ArgumentTypeError(
                f"unknown display {n!r} (choose from {', '.join(DISPLAYS)}, "
                "joined by +)")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"display listed twice in {value!r}")
    return value


def on_signal(signum, frame):
    # Once: the report that follows is written even if more signals come.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Interrupted(signum)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--self-test", action="store_true",
                   help="check the kernel report patterns against sample "
                        "lines, and exit")
    p.add_argument("--kernel")
    p.add_argument("--initrd")
    p.add_argument("--display", type=display_list, default="virtio",
                   help="virtio, cirrus or bochs, or several joined by + "
                        "(e.g. bochs+virtio)")
    p.add_argument("--xres", type=int, default=1024)
    p.add_argument("--yres", type=int, default=768)
    p.add_argument("--memory", type=int, default=512, help="MiB")
    p.add_argument("--smp", type=int, default=1,
                   help="virtual CPUs (more than one: multi-threaded TCG)")
    p.add_argument("--append", action="append", default=[],
                   help="more kernel parameters (may be given again)")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--out", help="folder for logs and PNGs")
    p.add_argument("--name", default="", help="prefix for test names")
    p.add_argument("--no-guest-ktap", dest="guest_ktap", action="store_false",
                   help="the guest command reports no KTAP (results come "
                        "from the kernel, e.g. KUnit)")
    p.add_argument("guest", nargs="*", help="command the guest init runs")
    args = p.parse_args()
    if args.self_test:
        sys.exit(self_test())
    missing = [o for o, v in (("--kernel", args.kernel),
                              ("--initrd", args.initrd), ("--out", args.out))
               if not v]
    if missing or not args.guest:
        p.error(f"missing {', '.join(missing) or 'the guest command'}")
    if any('"' in w for w in args.guest):
        p.error("the kernel command line cannot pass a '\"' to the guest")
    for f in (args.kernel, args.initrd):
        if not os.path.exists(f):
            sys.exit(f"qemu.py: {f} does not exist (build it first)")
    if not shutil.which("qemu-system-x86_64"):
        sys.exit("qemu.py: qemu-system-x86_64 missing (apt-get install qemu-system-x86)")
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sys.exit(Machine(args).run())


if __name__ == "__main__":
    main()
