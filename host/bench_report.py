#!/usr/bin/python3
"""Summarise the benchmark's BENCH lines: markdown tables on stdout (what
make bench puts into README.md), bench.csv and bench.png (gnuplot, when
installed) in OUTDIR.

    bench_report.py OUTDIR MODE=CONSOLE_LOG...

Each argument is one boot; a mode given several times is several boots of
it (scripts/bench.sh interleaves them: base, direct, shadow, base, ...).
MODE is what the boot was (5.10: base, direct, shadow; 7.3: stock,
patched: see guest/bench.c, which prints the lines and checks the mode
against the kernel); each console
must carry these lines, from "BENCH mode MODE" to "BENCH done":

    BENCH mode MODE
    BENCH memory SMEM_LEN VMALLOC_USED LARGEST_VMALLOC
    BENCH dirty SORT ORDER N REP US_PER_PAGE FLUSH_MS
    BENCH floor ORDER N REP US_PER_PAGE
    BENCH fullframe SORT DELAY_MS REP WRITE_MS FSYNC_MS SHOWN_MS PAUSED_MS LOOKS
    BENCH onelook SORT DELAY_MS TRIAL AT_MS SHOWN WRITE_MS FSYNC_MS
    BENCH latency SORT DELAY_MS REP SHOWN_MS PAUSED_MS LOOKS
    BENCH done

Every figure is first reduced to one value per boot (the median of that
boot's runs); a cell shows the median of those over the boots and, in
brackets, their smallest and largest. A difference between two modes is
taken per pair of neighbouring boots (boot i of each), then summarised
the same way, so that a drift of the host between boots cancels out.

Exits non-zero, naming the console, when a line is malformed, a part is
missing, or the guest reported an error.
"""
import datetime
import os
import statistics
import subprocess
import sys

# The fields of each kind of line, after "BENCH KIND"; their types.
FIELDS = {
    "mode": ("mode",),
    "memory": ("smem", "vmalloc_used", "largest"),
    "dirty": ("sort", "order", "n", "rep", "us", "flush_ms"),
    "floor": ("order", "n", "rep", "us"),
    "fullframe": ("sort", "delay", "rep", "write_ms", "fsync_ms", "shown_ms",
                  "paused_ms", "looks"),
    "onelook": ("sort", "delay", "trial", "at_ms", "shown", "write_ms",
                "fsync_ms"),
    "latency": ("sort", "delay", "rep", "shown_ms", "paused_ms", "looks"),
    "done": (),
}
STRINGS = {"mode", "sort", "order"}
INTS = {"smem", "vmalloc_used", "largest", "n", "rep", "delay", "looks",
        "trial", "shown"}

GROWTH_GOAL = 1.2       # per-page cost at the largest N / at N=256, series
FLOOR_GOAL = 1.2        # per-page cost at the largest N / the floor's
SLOW_DELAY_MS = 10000   # a fullframe delay above this: fsync flushes it all
MODES = ("base", "direct", "shadow", "stock", "patched")
# the kernels as released, which the goals compare the others with
REFERENCE = ("base", "stock")
# the modes whose fbdev copies a vmalloc shadow into the GEM buffer
SHADOWED = ("base", "shadow")
ORDERS = ("asc", "desc", "rand")
SLOPE_FROM = 4096


def fail(msg):
    sys.exit(f"bench_report: error: {msg}")


def tail(log, n=15):
    with open(log, errors="replace") as f:
        return "".join("    | " + l for l in f.readlines()[-n:])


def parse(mode, log):
    """The BENCH lines of one console, as dicts with a "kind"."""
    try:
        f = open(log, errors="replace")
    except OSError as e:
        fail(f"{mode}: cannot read {log}: {e}")
    rows, errors = [], []
    with f:
        for num, line in enumerate(f, 1):
            line = line.strip()
            if line.startswith("bench: error:"):
                errors.append(line)
            if not line.startswith("BENCH "):
                continue
            w = line.split()[1:]
            if w[0] not in FIELDS or len(w) != 1 + len(FIELDS[w[0]]):
                fail(f"{log}:{num}: malformed line {line!r}")
            row = {"kind": w[0]}
            try:
                for name, v in zip(FIELDS[w[0]], w[1:]):
                    row[name] = (v if name in STRINGS else
                                 int(v) if name in INTS else float(v))
            except ValueError:
                fail(f"{log}:{num}: malformed numbers in {line!r}")
            rows.append(row)
    if errors:
        fail(f"{mode}: the guest failed: {errors[0]}\n"
             f"  console {log}, last lines:\n{tail(log)}")
    if not rows:
        fail(f"{mode}: no BENCH lines in {log}: did the guest run bench? "
             f"Last lines:\n{tail(log)}")
    kinds = {r["kind"] for r in rows}
    missing = [k for k in FIELDS if k not in kinds]
    if missing:
        fail(f"{mode}: no BENCH {', '.join(missing)} line in {log} (the "
             f"guest stopped early?). Last lines:\n{tail(log)}")
    said = [r["mode"] for r in rows if r["kind"] == "mode"]
    if said != [mode]:
        fail(f"{log} is a boot in mode {', '.join(said)}, given as {mode}")
    return [r for r in rows if r["kind"] not in ("mode", "done")]


def med(vals):
    return statistics.median(vals) if vals else None


def cell(vals, nd=2, unit=""):
    """median [min-max] of per-boot values"""
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    m = f"{med(vals):.{nd}f}{unit}"
    if len(vals) == 1:
        return m
    return f"{m} [{min(vals):.{nd}f}, {max(vals):.{nd}f}]"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "| " + " | ".join("---" for _ in head) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    print("\n".join(out))


class Bench:
    def __init__(self, args):
        self.boots = {}         # mode -> [rows of boot 1, rows of boot 2...]
        self.measured = None    # the day of the last boot's console
        for arg in args:
            mode, log = arg.split("=", 1)
            self.boots.setdefault(mode, []).append(parse(mode, log))
            day = datetime.date.fromtimestamp(os.path.getmtime(log))
            self.measured = max(day, self.measured or day)
        self.modes = [m for m in MODES if m in self.boots] + \
            sorted(m for m in self.boots if m not in MODES)
        # the write-cost series: (mode, sort), base first
        self.series = sorted(
            {(m, r["sort"]) for m in self.modes for b in self.boots[m]
             for r in b if r["kind"] == "dirty"},
            key=lambda s: (self.modes.index(s[0]), s[1]))
        self.ns = sorted({r["n"] for m in self.modes for b in self.boots[m]
                          for r in b if r["kind"] == "dirty" and
                          r["order"] == "asc"})
        self.big = max(self.ns)
        self.csv = []

    def per_boot(self, mode, kind, field, **match):
        """The median of FIELD over the matching runs, per boot."""
        out = []
        for b in self.boots.get(mode, []):
            v = [r[field] for r in b if r["kind"] == kind and
                 all(r.get(k) == x for k, x in match.items())]
            out.append(med(v))
        return out

    def floor(self, n, order="asc"):
        """The floor's per-boot medians, pooled over every mode's boots."""
        return [v for m in self.modes
                for v in self.per_boot(m, "floor", "us", order=order, n=n)]

    def cost(self, m, s, n, order="asc"):
        return self.per_boot(m, "dirty", "us", sort=s, order=order, n=n)

    def slope(self, per_n):
        """Per boot: the cost per page between SLOPE_FROM and the largest N,
        from a function N -> per-boot us per page."""
        lo, hi = per_n(SLOPE_FROM), per_n(self.big)
        return [None if a is None or b is None else
                (b * self.big - a * SLOPE_FROM) / (self.big - SLOPE_FROM)
                for a, b in zip(lo, hi)]

    def record(self, tab, row, col, vals):
        vals = [v for v in vals if v is not None]
        if vals:
            self.csv.append((tab, row, col, med(vals), min(vals), max(vals),
                             len(vals)))

    def c(self, tab, row, col, vals, nd=2, unit=""):
        """a cell, also kept for bench.csv"""
        self.record(tab, row, col, vals)
        return cell(vals, nd, unit)

    @staticmethod
    def sname(sort):
        return "sorted" if sort == "1" else "unsorted"

    def label(self, m, s):
        return f"{m}, {self.sname(s)}"

    def frames(self, kind, m, slow):
        """per-boot rows of KIND at the boot delay (slow False) or 20 s"""
        return [[r for r in b if r["kind"] == kind and
                 (r["delay"] > SLOW_DELAY_MS) == slow]
                for b in self.boots.get(m, [])]

    def frame_vals(self, kind, m, slow, f):
        return [med([f(r) for r in rs]) if rs else None
                for rs in self.frames(kind, m, slow)]

    def bracket(self, m, slow):
        """per boot: (lo, hi) of the one-look trials, hi the earliest look
        that saw the frame, lo the latest before it that did not"""
        out = []
        for rs in self.frames("onelook", m, slow):
            if not rs:
                out.append(None)
                continue
            seen = [r["at_ms"] for r in rs if r["shown"]]
            if not seen:    # no look saw it: the latest miss, no hi
                out.append((max(r["at_ms"] for r in rs), None))
                continue
            hi = min(seen)
            lo = max([r["at_ms"] for r in rs if not r["shown"] and
                      r["at_ms"] < hi], default=0.0)
            out.append((lo, hi))
        return out

    def unpaused(self, m, slow):
        """per boot: the middle of the one-look bracket"""
        return [None if b is None or b[1] is None else (b[0] + b[1]) / 2
                for b in self.bracket(m, slow)]

    def delay_of(self, kind, m, slow):
        d = sorted({r["delay"] for rs in self.frames(kind, m, slow)
                    for r in rs})
        return "/".join(str(x) for x in d) + " ms" if d else "-"

    def report(self):
        nboots = {m: len(self.boots[m]) for m in self.modes}
        reps = max(len([r for r in self.boots[m][0] if r["kind"] == "dirty"
                        and r["sort"] == s and r["order"] == "asc" and
                        r["n"] == self.big]) for m, s in self.series)
        big, heads = self.big, [self.label(m, s) for m, s in self.series]
        print(f"Measured by `make bench` on "
              f"{self.measured.isoformat()}: "
              + ", ".join(f"{n} boots of {m}" for m, n in nboots.items())
              + ", interleaved; a 3840x2160 virtio-gpu framebuffer "
              f"({big} pages) under QEMU TCG. Each cell is the median over "
              "the boots of each boot's median, and [the smallest, the largest "
              f"of those]. {reps} runs per point and boot.\n")

        print("**1. Write cost per page (us): one byte to each of N pages "
              "in one flush period, ascending**\n")
        rows = []
        for n in self.ns:
            rows.append([n] + [self.c("cost", n, h, self.cost(m, s, n))
                               for (m, s), h in zip(self.series, heads)] +
                        [self.c("cost", n, "floor", self.floor(n))])

        def ratio(a, b):
            return [None if x is None or y is None else x / y
                    for x, y in zip(a, b)]
        rows.append([f"growth {big}/256"] +
                    [self.c("growth", big, h, ratio(self.cost(m, s, big),
                                                    self.cost(m, s, 256)))
                     for (m, s), h in zip(self.series, heads)] +
                    [self.c("growth", big, "floor",
                            ratio(self.floor(big), self.floor(256)))])
        fl = med(self.floor(big))
        rows.append([f"{big}: x the floor"] +
                     [self.c("vs_floor", big, h,
                             [None if v is None else v / fl
                              for v in self.cost(m, s, big)])
                      for (m, s), h in zip(self.series, heads)] + ["1"])
        table(["N"] + heads + ["floor (memfd)"], rows)
        print("\nThe delay is raised to 20 s, so that one flush period "
              "spans the loop; after each flush the guest idles 300 ms, so "
              "that DRM's damage copy is not timed. The floor is a shared "
              "memfd mapping mapped anew (one minor fault per page), pooled "
              "over every boot. N=1 is the first write of a flush period: "
              "its fault also schedules the flush. Ascending is the worst "
              "order for a list kept sorted by insertion (5.10's base, and "
              "stock 7.3 when sorted, walk to the end of the list for "
              "every page), descending the best (table 2).")

        print(f"\n**2. Per-page cost without the fixed costs: the slope "
              f"from N={SLOPE_FROM} to N={big} (us per page)**\n")
        rows = []
        for o in ORDERS:
            rows.append([o] + [self.c("slope", o, h, self.slope(
                lambda n, m=m, s=s: self.cost(m, s, n, o)))
                for (m, s), h in zip(self.series, heads)] +
                [self.c("slope", o, "floor",
                        self.slope(lambda n: self.floor(n, o)))])
        table(["order"] + heads + ["floor (memfd)"], rows)
        print(f"\n(cost({big}) x {big} - cost({SLOPE_FROM}) x {SLOPE_FROM}) "
              f"/ {big - SLOPE_FROM}, per boot: what one more page costs "
              "when the list already holds thousands. rand is a fixed "
              "random permutation.")

        print(f"\n**3. The flush of N={big} pages: fsync(), i.e. "
              "write-protect + the deferred_io callback (ms)**\n")
        table(["order"] + heads,
              [[o] + [self.c("flush", o, h, self.per_boot(
                  m, "dirty", "flush_ms", sort=s, order=o, n=big))
                  for (m, s), h in zip(self.series, heads)]
               for o in ORDERS])
        print("\nTimed at nice -20, so that fsync() returns when the flush "
              "work is done, before the kworker goes on to DRM's damage "
              "copy (one vCPU, no kernel preemption). The order is the "
              "order the pages were written in.")

        print("\n**4. fbdev memory per framebuffer (bytes)**\n")
        rows = []
        for m in self.modes:
            mem = [r for b in self.boots[m] for r in b
                   if r["kind"] == "memory"]
            smem = med([r["smem"] for r in mem])
            used = med([r["vmalloc_used"] for r in mem])
            large = med([r["largest"] for r in mem])
            rows.append([m, f"{smem} ({smem / 2**20:.1f} MiB)",
                         f"{used:.0f} ({used / 2**20:.1f} MiB)",
                         f"{large:.0f} ({large / 2**20:.1f} MiB)",
                         "yes" if large >= smem else "no"])
        table(["kernel", "smem_len", "VmallocUsed", "largest vmalloc area",
               "shadow buffer"], rows)
        print("\nVmallocUsed (/proc/meminfo) counts vmalloc() pages only: "
              "a shadow is a vzalloc() of smem_len bytes; the vmap() of "
              "the GEM pages, which exist in every mode, is not counted. "
              "The largest area is from /proc/vmallocinfo.")

        print("\n**5. A full frame to the screen (ms), from the first write "
              "of every pixel**\n")
        shadowed = [m for m in self.modes if m in SHADOWED]
        copy = (f"{' and '.join(shadowed)} copy 33 MB from the vmalloc "
                "shadow into the GEM buffer in the guest, then virtio-gpu's "
                "transfer and flush; the others have no copy"
                if shadowed else "no copy in any mode: virtio-gpu's "
                "transfer and flush of the damage")
        rows = []
        for slow in (False, True):
            for m in self.modes:
                if not any(self.frames("fullframe", m, slow)):
                    continue
                d = self.delay_of("fullframe", m, slow)
                key = f"{m} {d}"

                def fv(f, m=m, slow=slow):
                    return self.frame_vals("fullframe", m, slow, f)
                rows.append([
                    m, d,
                    self.c("fullframe", key, "write", fv(
                        lambda r: r["write_ms"]), 1),
                    self.c("fullframe", key, "fsync", fv(
                        lambda r: r["fsync_ms"]), 1),
                    self.c("fullframe", key, "shown_guest", fv(
                        lambda r: r["shown_ms"]), 1),
                    self.c("fullframe", key, "shown_with_pauses", fv(
                        lambda r: r["shown_ms"] + r["paused_ms"]), 1),
                    self.c("fullframe", key, "looks", fv(
                        lambda r: r["looks"]), 0)])
        table(["kernel", "delay", "writing", "fsync()",
               "on screen, guest time (lower bound)",
               "on screen, with the looks' pauses (upper bound)", "looks"],
              rows)
        print("\nFrom t0, just before the first write, guest CLOCK_MONOTONIC: "
              "the writing (every page faults once: page_mkwrite and the "
              "list), fsync() (the rest of the flush: write-protect, the "
              "callback, which queues DRM's damage work, and at nice 0 "
              "whatever that work does before fsync() returns), and the "
              "first look at the screen that showed the whole frame (a "
              f"look every 2 ms). What DRM's damage work does: {copy}. "
              "The VM is paused while the host takes and compares each "
              "screendump (25 MB at this size), and guest time stands "
              "still then: QEMU's own work on the transfer to its surface "
              "can finish during a pause unseen, so the guest time is a "
              "lower bound; adding the host time of the pauses (which "
              "includes all the comparing) gives an upper bound. At DRM's "
              "delay (HZ/20) the timer flushes during the writing too; at "
              "20 s, fsync() flushes the whole frame.")

        print("\n**5b. A full frame from fsync()'s return to the screen, "
              "with no look in between (ms): one look per frame, its time "
              "bisected over 8 frames**\n")
        rows = []
        for slow in (False, True):
            for m in self.modes:
                br = self.bracket(m, slow)
                if not any(br):
                    continue
                d = self.delay_of("onelook", m, slow)
                key = f"{m} {d}"
                rows.append([
                    m, d,
                    self.c("onelook", key, "not_shown_at",
                           [b and b[0] for b in br], 1),
                    self.c("onelook", key, "shown_at",
                           [b and b[1] for b in br], 1) if all(
                               b and b[1] is not None for b in br)
                    else "not seen in every boot",
                    self.c("onelook", key, "estimate",
                           self.unpaused(m, slow), 1)])
        table(["kernel", "delay", "not on screen yet at", "on screen at",
               "the middle"], rows)
        print("\nEach frame is written and fsync()ed; the guest runs on "
              "for AT ms and the host looks once, so no pause hides QEMU's "
              "work before the look. A frame shown AT ms after fsync() "
              "returned was there by then; the next frame's AT halves the "
              "bracket. AT is when the look happened, which can be later "
              "than asked: on the one CPU of the guest, without kernel "
              "preemption, the program looks only once DRM's damage work "
              "lets it run, so a look rarely lands before the screen "
              "changed (0.0 on the left: no look missed the frame). The "
              "right column is the figure: the earliest look that saw the "
              "frame. What remains after fsync(): DRM's damage work "
              f"({copy}) and QEMU's transfer to its surface. The time "
              "from the first write is table 5's writing and fsync() plus "
              "this.")

        if "direct" in self.boots:
            print("\n**6. Full frame: the difference to direct (ms), per "
                  "pair of neighbouring boots**\n")
            rows = []
            for slow in (False, True):
                for other in ("base", "shadow"):
                    if other not in self.boots:
                        continue
                    d = self.delay_of("fullframe", "direct", slow)

                    def diff(f, other=other, slow=slow):
                        a = self.frame_vals("fullframe", other, slow, f)
                        b = self.frame_vals("fullframe", "direct", slow, f)
                        return [None if x is None or y is None else x - y
                                for x, y in zip(a, b)]

                    def quot(f, other=other, slow=slow):
                        a = self.frame_vals("fullframe", other, slow, f)
                        b = self.frame_vals("fullframe", "direct", slow, f)
                        return [None if x is None or not y else x / y
                                for x, y in zip(a, b)]
                    key = f"{other}-direct {d}"
                    una = self.unpaused(other, slow)
                    unb = self.unpaused("direct", slow)
                    rows.append([
                        f"{other} - direct", d,
                        self.c("fullframe_diff", key, "write_fsync", diff(
                            lambda r: r["write_ms"] + r["fsync_ms"]), 1),
                        self.c("fullframe_diff", key, "shown_guest", diff(
                            lambda r: r["shown_ms"]), 1),
                        self.c("fullframe_diff", key, "shown_with_pauses",
                               diff(lambda r: r["shown_ms"] +
                                    r["paused_ms"]), 1),
                        self.c("fullframe_diff", key, "one_look", [
                            None if x is None or y is None else x - y
                            for x, y in zip(una, unb)], 1),
                        self.c("fullframe_ratio", key, "shown_guest", quot(
                            lambda r: r["shown_ms"]), 1, "x")])
            table(["kernels", "delay", "writing + fsync()",
                   "on screen, guest time", "on screen, with pauses",
                   "after fsync(), one look (5b)", "ratio of the guest times"],
                  rows)
            print("\nThe difference is the measure: the ratio divides by "
                  "direct's small total, much of which is the looking "
                  "itself (its resolution is a look, 2 ms plus a "
                  "request), and is shown only beside it.")

        print("\n**7. Latency from a write to pixels (ms), at DRM's "
              "delay**\n")
        rows = []
        for m in self.modes:
            if not any(self.frames("latency", m, False)):
                continue

            def lv(f, m=m):
                return self.frame_vals("latency", m, False, f)
            rows.append([
                m, self.delay_of("latency", m, False),
                self.c("latency", m, "shown_guest",
                       lv(lambda r: r["shown_ms"]), 1),
                self.c("latency", m, "shown_with_pauses",
                       lv(lambda r: r["shown_ms"] + r["paused_ms"]), 1),
                self.c("latency", m, "looks", lv(lambda r: r["looks"]), 0)])
        table(["kernel", "delay", "guest time (lower bound)",
               "with the looks' pauses (upper bound)", "looks"], rows)
        print("\nA stripe of 8 lines across the middle, from the start of "
              "the write to the first look that showed it.")

        print("\n**Goals**\n")
        for m, s in self.series:
            if m in REFERENCE:
                continue
            g = med(ratio(self.cost(m, s, big), self.cost(m, s, 256)))
            f = med([None if v is None else v / fl
                     for v in self.cost(m, s, big)])
            print(f"- {self.label(m, s)}: growth {big}/256 {g:.2f}x "
                  f"(goal <= {GROWTH_GOAL}x: "
                  f"{'met' if g <= GROWTH_GOAL else 'MISSED'}); "
                  f"{f:.2f}x the floor at N={big} (goal <= {FLOOR_GOAL}x: "
                  f"{'met' if f <= FLOOR_GOAL else 'MISSED'})")
        refs = [(m, s) for m, s in self.series if m in REFERENCE]
        for m, s in self.series:
            if m in REFERENCE or not refs:
                continue
            # the kernel as released, in the same ordering if it has it
            bm, bs = next(((rm, rs) for rm, rs in refs if rs == s), refs[0])
            bb = [x for x in self.per_boot(bm, "dirty", "flush_ms", sort=bs,
                                           order="asc", n=big) if x is not None]
            vv = [x for x in self.per_boot(m, "dirty", "flush_ms", sort=s,
                                           order="asc", n=big) if x is not None]
            b, v = med(bb), med(vv)
            # the medians' verdict, and whether the boots separate them
            apart = max(vv) < min(bb) or min(vv) > max(bb)
            print(f"- flush of {big} ascending, {self.label(m, s)}: "
                  f"{cell(vv)} ms; {self.label(bm, bs)}: {cell(bb)} ms "
                  f"(goal: no slower: {'met' if v <= b else 'MISSED'}, "
                  f"{'the boots do not overlap' if apart else 'but the boots overlap: not separated by this run'})")

    def write_csv(self, path):
        with open(path, "w") as f:
            f.write("table,row,column,median,min,max,boots\n")
            for t, r, c, m, lo, hi, n in self.csv:
                f.write(f"{t},{r},{c},{m:.4f},{lo:.4f},{hi:.4f},{n}\n")

    def plot(self, out):
        """per-page cost against N (ascending), every series and the floor"""
        dat, png = os.path.join(out, "bench.dat"), \
            os.path.join(out, "bench.png")
        with open(dat, "w") as f:
            for m, s in self.series:
                f.write(f'"{self.label(m, s)}"\n')
                for n in self.ns:
                    f.write(f"{n} {med([v for v in self.cost(m, s, n) if v is not None])}\n")
                f.write("\n\n")
            f.write('"floor (memfd)"\n')
            for n in self.ns:
                f.write(f"{n} {med(self.floor(n))}\n")
        plot = (f'set terminal png size 900,600; set output "{png}";'
                'set logscale x 2; set logscale y; '
                'set xlabel "written pages in one flush period (N)";'
                'set ylabel "us per page"; set key top left; set grid;'
                f'plot for [i=0:{len(self.series)}] "{dat}" index i with '
                'linespoints title columnheader(1)')
        try:
            subprocess.run(["gnuplot", "-e", plot], check=True)
            print(f"plot: {png}", file=sys.stderr)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"no plot: gnuplot failed ({e})", file=sys.stderr)


def main():
    if len(sys.argv) < 3 or any("=" not in a for a in sys.argv[2:]):
        fail("usage: bench_report.py OUTDIR MODE=CONSOLE_LOG...")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    b = Bench(sys.argv[2:])
    if 256 not in b.ns or SLOPE_FROM not in b.ns:
        fail(f"no write-cost runs at N=256 and N={SLOPE_FROM} (have {b.ns})")
    b.report()
    b.write_csv(os.path.join(out, "bench.csv"))
    b.plot(out)


if __name__ == "__main__":
    main()
