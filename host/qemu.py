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
console; init then prints its exit status, the kernel's taint flags and
lockdep's switch. Each result is printed as it arrives, prefixed with
PREFIX, and written with the harness's own results to DIR/results, one
"ok NAME" or "not ok NAME" a line (and to DIR/reasons "NAME<tab>WHY" for
each failed result whose failure one line says: the test's own message,
the first kernel report, the note on the boot):

    PREFIX<test>               each KTAP result; a planned one that never
                               reported fails, a number reported twice
                               fails (PREFIXtest_N_reported_once)
    PREFIXboot                 (not ok, alone) QEMU did not start
    PREFIXguest_reported_a_plan  the guest printed a KTAP plan (unless
                               --no-guest-ktap)
    PREFIXguest_finished       the guest got to "fbtest-init: exit status"
    PREFIXguest_exit_status    ... and it was 0
    PREFIXscreen_oracle        every oracle request was understood and
                               answered
    PREFIXkernel_not_tainted   /proc/sys/kernel/tainted was 0 (but TAINT_TEST)
    PREFIXkernel_log_clean     no kernel report on the console (klog.py)
    PREFIXqemu_saw_no_guest_error  QEMU's -d guest_errors logged nothing
    PREFIXlockdep_still_on     (--lockdep) debug_locks still 1 at the end

The exit status is 0 only when every result is ok. The oracles live in
their own files, each with its self-test (qemu.py --self-test runs them
all): klog.py (which console lines are kernel reports), screen.py (a
screendump against the scene; virtio-gpu's flushes from QEMU's trace),
ktap.py (the guest's results), qmp.py (QEMU's monitor).

Only Python's standard library: no PyPI here.
"""
import argparse
import ctypes
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

import klog
import ktap
import screen
from klog import TAINT_ALLOWED, decode_taint, kernel_reports
from ktap import KTAP_RESULT, Console
from qmp import QMP
from screen import (DISPLAYS, OracleError, compare, display_of, flush_rects,
                    guest_errors, read_ppm)

class Interrupted(Exception):
    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


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
        # what QEMU rejects of the guest's device accesses (-d guest_errors:
        # an out-of-bounds transfer rectangle, a bad register access)
        # and, in the same log, the rectangles of virtio-gpu's
        # RESOURCE_FLUSH commands (the damage DRM sent), for FLUSHES
        self.qemu_trace = os.path.join(self.out, "qemu-trace.log")
        self.flush_offset = 0
        self.results = os.path.join(self.out, "results")
        self.reasons = os.path.join(self.out, "reasons")
        self.oracle_errors = []
        self.nchecks = 0
        self.paused = 0.0       # seconds the VM stood still for requests
        self.pause_start = 0.0  # when the current request stopped it
        self.timeout_why = None
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
            # No ACPI PCI hotplug (no test plugs a device): its AML,
            # which the guest interprets at boot, took 4-6 s of a debug
            # kernel's boot under TCG.
            "-global", "PIIX4_PM.acpi-pci-hotplug-with-bridge-support=off",
            "-global", "PIIX4_PM.acpi-root-pci-hotplug=off",
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
            "-d", "guest_errors", "-D", self.qemu_trace,
            "-trace", "enable=virtio_gpu_cmd_res_flush",
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
            if verb == "FLUSHES" and len(words) == 1:
                # the flushes since the previous FLUSHES: the VM is
                # stopped, and QEMU writes each trace line at once
                try:
                    with open(self.qemu_trace, errors="replace") as f:
                        f.seek(self.flush_offset)
                        text = f.read()
                except FileNotFoundError:
                    text = ""
                cut = text.rfind("\n") + 1
                self.flush_offset += len(text[:cut].encode())
                rects = flush_rects(text[:cut].splitlines())
                return " ".join(["FLUSHES", str(len(rects))] +
                                [f"{x},{y},{w},{h}" for x, y, w, h in rects])
            if verb == "PAUSED" and len(words) == 1:
                # host time the VM was paused for the oracle, this
                # request included up to now (the guest's timings do
                # not see it)
                now = time.monotonic() - self.pause_start
                return f"PAUSED {(self.paused + now) * 1000:.3f}"
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
                    t0 = self.pause_start = time.monotonic()
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
                        self.paused += time.monotonic() - t0
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
        with open(self.reasons, "w") as f:
            f.write(f"{name}boot\tQEMU did not start: {' '.join(str(err).split())}\n")
        sys.stdout.flush()
        return 1

    def follow(self, start):
        """Print KTAP lines as they reach the console, until QEMU ends or
        the timeout passes. Returns True on timeout."""
        seen, size, grew = 0, 0, time.monotonic()
        while True:
            done = self.proc.poll() is not None
            with open(self.console, errors="replace") as f:
                text = f.read()
            lines = text.splitlines()
            complete = lines if done else lines[:-1]
            for line in complete[seen:]:
                if KTAP_RESULT.match(line) or line.startswith("# "):
                    print(f"    {self.args.name}{line}", flush=True)
            seen = max(seen, len(complete))
            if done:
                return False
            now = time.monotonic()
            if len(text) != size:
                size, grew = len(text), now
            if now - start > self.args.timeout:
                self.timeout_why = f"timed out after {self.args.timeout:.0f}s"
                return True
            if self.args.idle_timeout and now - grew > self.args.idle_timeout:
                self.timeout_why = (f"no console output for "
                                    f"{self.args.idle_timeout:.0f}s: the guest "
                                    "hangs (--idle-timeout)")
                return True
            time.sleep(0.2)

    def report(self, timed_out, interrupted, elapsed):
        with open(self.console, errors="replace") as f:
            lines = f.read().splitlines()
        name = self.args.name
        con = Console(lines)
        reports = kernel_reports(lines)
        notes = []
        # why a result failed, where one line says it (DIR/reasons)
        reasons = {name + t: r for t, r in con.reasons.items()}

        # one result per test the guest ran, then the boot's properties
        out = [(ok, name + test) for ok, test in con.tests()]
        for n in sorted(set(con.twice)):
            out.append((False, name + f"test_{n}_reported_once"))
            notes.append(f"the guest reported test {n} more than once "
                         "(KTAP numbers must be unique; the last one counted)")
        if con.plan is None and self.args.guest_ktap:
            out.append((False, name + "guest_reported_a_plan"))

        finished = con.exit_status is not None
        out.append((finished, name + "guest_finished"))
        if not finished:
            why = (f"interrupted by {interrupted}" if interrupted else
                   self.timeout_why if timed_out
                   else f"QEMU ended (status {self.proc.returncode}) first")
            notes.append(f"the guest never printed 'fbtest-init: exit status': {why}")
            reasons[name + "guest_finished"] = notes[-1]
        out.append((con.exit_status == 0, name + "guest_exit_status"))
        if finished and con.exit_status != 0:
            notes.append(f"the guest command exited with status {con.exit_status}")
            reasons[name + "guest_exit_status"] = notes[-1]

        out.append((not self.oracle_errors, name + "screen_oracle"))
        if self.oracle_errors:
            reasons[name + "screen_oracle"] = self.oracle_errors[0]
        for e in self.oracle_errors[:5]:
            notes.append(f"screen oracle error: {e}")
        if len(self.oracle_errors) > 5:
            notes.append(f"... and {len(self.oracle_errors) - 5} more "
                         "screen oracle errors")

        taint_ok = False
        if con.tainted is None:
            notes.append("no taint report from the guest ('fbtest-init: tainted N')")
        elif not con.tainted.isdigit():
            notes.append(f"taint flags unreadable: {con.tainted!r}")
        else:
            value = int(con.tainted)
            taint_ok = value & ~TAINT_ALLOWED == 0
            if not taint_ok:
                notes.append(f"kernel tainted: {value} = {decode_taint(value)}")
        if not taint_ok:
            reasons[name + "kernel_not_tainted"] = notes[-1]
        out.append((taint_ok, name + "kernel_not_tainted"))

        out.append((not reports, name + "kernel_log_clean"))
        if reports:
            reasons[name + "kernel_log_clean"] = (f"{len(reports)} report "
                                                  f"lines, the first: {reports[0][1]}")

        try:
            with open(self.qemu_trace, errors="replace") as f:
                rejected = guest_errors(f.read().splitlines())
        except FileNotFoundError:
            rejected = []
        out.append((not rejected, name + "qemu_saw_no_guest_error"))
        if rejected:
            reasons[name + "qemu_saw_no_guest_error"] = rejected[0]
        for line in rejected[:5]:
            notes.append(f"QEMU rejected a guest access: {line}")
        if len(rejected) > 5:
            notes.append(f"... and {len(rejected) - 5} more lines in "
                         f"{self.qemu_trace}")

        if self.args.lockdep:
            on = con.debug_locks == "1"
            out.append((on, name + "lockdep_still_on"))
            if con.debug_locks is None:
                notes.append("no 'fbtest-init: debug_locks N' line: "
                             "a kernel without lockdep (CONFIG_PROVE_LOCKING)?")
            elif not on:
                notes.append(f"lockdep turned itself off during the boot "
                             f"(debug_locks {con.debug_locks}): its first "
                             "report is above, or it ran out of entries")
            if not on:
                reasons[name + "lockdep_still_on"] = notes[-1]

        with open(self.results, "w") as f:
            for ok, test in out:
                f.write(f"{'ok' if ok else 'not ok'} {test}\n")
        with open(self.reasons, "w") as f:
            for ok, test in out:
                if not ok and test in reasons:
                    f.write(f"{test}\t{' '.join(reasons[test].split())}\n")
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
              f"(VM paused {self.paused:.1f}s for the oracle) "
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
    p.add_argument("--idle-timeout", type=float, default=0,
                   help="end the boot when the console has not grown for "
                        "this many seconds (a guest known to hang); 0: never")
    p.add_argument("--out", help="folder for logs and PNGs")
    p.add_argument("--name", default="", help="prefix for test names")
    p.add_argument("--lockdep", action="store_true",
                   help="the kernel has lockdep: it must still be on at "
                        "the end of the boot")
    p.add_argument("--no-guest-ktap", dest="guest_ktap", action="store_false",
                   help="the guest command reports no KTAP (results come "
                        "from the kernel, e.g. KUnit)")
    p.add_argument("guest", nargs="*", help="command the guest init runs")
    args = p.parse_args()
    if args.self_test:
        # every oracle's own self-test
        sys.exit(1 if klog.self_test() + screen.self_test() +
                 ktap.self_test() else 0)
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
