#!/usr/bin/python3
"""Summarise the benchmark's BENCH lines: markdown tables and the ratios on
stdout, bench.csv and bench.png (gnuplot, when installed) in OUTDIR.

    bench_report.py OUTDIR MODE=CONSOLE_LOG...

MODE is what the boot was (base, direct, shadow: see guest/bench.c, which
prints the lines and checks the mode against the kernel); each console
must carry these lines, from "BENCH mode MODE" to "BENCH done":

    BENCH mode MODE - - - -
    BENCH memory - SMEM_LEN - VMALLOC_USED LARGEST_VMALLOC
    BENCH dirty SORT N REP US_PER_PAGE FLUSH_MS
    BENCH floor - N REP US_PER_PAGE -
    BENCH fullframe SORT DELAY_MS REP MS WRITE_MS
    BENCH latency SORT DELAY_MS REP MS -

Exits non-zero, naming the console, when a line is malformed, a part is
missing, or the guest reported an error.
"""
import os
import statistics
import subprocess
import sys

KINDS = ("mode", "memory", "dirty", "floor", "fullframe", "latency", "done")
GROWTH_GOAL = 1.2       # per-page cost at the largest N / at N=256, series
FRAME_GOAL = 2.0        # full frame: shadow / direct at least this
SLOW_DELAY_MS = 10000   # a fullframe delay above this: fsync flushes it all
ORDER = {"base": 0, "direct": 1, "shadow": 2}


def fail(msg):
    sys.exit(f"bench_report: error: {msg}")


def tail(log, n=15):
    with open(log, errors="replace") as f:
        return "".join("    | " + l for l in f.readlines()[-n:])


def parse(mode, log):
    """The BENCH lines of one console, as (kind, sort, n, rep, v1, v2)."""
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
            w = line.split()
            if len(w) != 7 or w[1] not in KINDS:
                fail(f"{log}:{num}: malformed line {line!r}")
            try:
                if w[1] == "mode":
                    rows.append(("mode", w[2], None, None, None, None))
                elif w[1] == "done":
                    rows.append(("done", None, None, None, None, None))
                elif w[1] == "memory":
                    rows.append(("memory", None, int(w[3]), None,
                                 int(w[5]), int(w[6])))
                else:
                    rows.append((w[1], w[2], int(w[3]), int(w[4]),
                                 float(w[5]),
                                 None if w[6] == "-" else float(w[6])))
            except ValueError:
                fail(f"{log}:{num}: malformed numbers in {line!r}")
    if errors:
        fail(f"{mode}: the guest failed: {errors[0]}\n"
             f"  console {log}, last lines:\n{tail(log)}")
    kinds = {r[0] for r in rows}
    if not rows:
        fail(f"{mode}: no BENCH lines in {log}: did the guest run bench? "
             f"Last lines:\n{tail(log)}")
    missing = [k for k in KINDS if k not in kinds]
    if missing:
        fail(f"{mode}: no BENCH {', '.join(missing)} line in {log} (the "
             f"guest stopped early?). Last lines:\n{tail(log)}")
    said = [r[1] for r in rows if r[0] == "mode"]
    if said != [mode]:
        fail(f"{log} is a boot in mode {', '.join(said)}, given as {mode}")
    return [r for r in rows if r[0] not in ("mode", "done")]


def med(vals):
    return statistics.median(vals) if vals else None


def fmt(v, unit="", nd=2):
    return "-" if v is None else f"{v:.{nd}f}{unit}"


def spread(vals, unit="", nd=1):
    """median (min-max)"""
    if not vals:
        return "-"
    return (f"{statistics.median(vals):.{nd}f}{unit} "
            f"({min(vals):.{nd}f}-{max(vals):.{nd}f})")


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "| " + " | ".join("---" for _ in head) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    print("\n".join(out))


def main():
    if len(sys.argv) < 3 or any("=" not in a for a in sys.argv[2:]):
        fail("usage: bench_report.py OUTDIR MODE=CONSOLE_LOG...")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    data = {}
    for arg in sys.argv[2:]:
        mode, log = arg.split("=", 1)
        if mode in data:
            fail(f"mode {mode} given twice")
        data[mode] = parse(mode, log)
    modes = sorted(data, key=lambda m: (ORDER.get(m, 9), m))

    def vals(mode, kind, sort=None, n=None, col=4):
        return [r[col] for r in data[mode] if r[0] == kind and
                (sort is None or r[1] == sort) and (n is None or r[2] == n)
                and r[col] is not None]

    def sname(sort):
        return "sorted" if sort == "1" else "unsorted"

    # The write-cost series: (mode, sort), base first.
    series = sorted({(m, r[1]) for m in modes for r in data[m]
                     if r[0] == "dirty"},
                    key=lambda s: (ORDER.get(s[0], 9), s[0], s[1]))
    ns = sorted({r[2] for m in modes for r in data[m] if r[0] == "dirty"})
    reps = max(len(vals(m, "dirty", s, n)) for m, s in series for n in ns)
    big, small = max(ns), 256
    if small not in ns:
        fail(f"no write-cost runs at N={small} (have {ns})")

    # CSV: every group, every mode.
    csv = os.path.join(out, "bench.csv")
    with open(csv, "w") as f:
        f.write("kernel,kind,sorted,n_or_delay_ms,runs,median,min,max,"
                "second_median\n")
        for m in modes:
            groups = {}
            for r in data[m]:
                if r[0] != "memory":
                    groups.setdefault((r[0], r[1], r[2]), []).append(r)
            for (kind, sort, n), rs in sorted(groups.items()):
                v = [r[4] for r in rs]
                v2 = [r[5] for r in rs if r[5] is not None]
                f.write(f"{m},{kind},{'' if sort == '-' else sort},{n},"
                        f"{len(v)},{med(v):.3f},{min(v):.3f},{max(v):.3f},"
                        f"{'' if not v2 else f'{med(v2):.3f}'}\n")
            for r in data[m]:
                if r[0] == "memory":
                    f.write(f"{m},memory_smem_len,,,1,{r[2]},,,\n"
                            f"{m},memory_vmalloc_used,,,1,{r[4]},,,\n"
                            f"{m},memory_largest_vmalloc,,,1,{r[5]},,,\n")

    def cost(m, s, n):
        return med(vals(m, "dirty", s, n))

    floor_all = {n: [v for m in modes for v in vals(m, "floor", n=n)]
                 for n in ns}

    print(f"### 1. Write cost per page (us), one byte to each of N pages "
          f"in one flush period (median of {reps} runs)\n")
    table(["N"] + [f"{m}, {sname(s)}" for m, s in series] + ["floor (memfd)"],
          [[n] + [fmt(cost(m, s, n)) for m, s in series] +
           [fmt(med(floor_all[n]))] for n in ns] +
          [[f"growth {big}/{small}"] +
           [fmt(cost(m, s, big) / cost(m, s, small), "x")
            if cost(m, s, big) and cost(m, s, small) else "-"
            for m, s in series] +
           [fmt(med(floor_all[big]) / med(floor_all[small]), "x")
            if floor_all[big] and floor_all[small] else "-"]])
    print("\nThe delay is raised to 20 s, so one flush period spans the "
          "loop; after each flush the guest idles 300 ms so that DRM's "
          "damage copy is not timed. The floor is a shared memfd mapping, "
          "mapped anew (one minor fault per page), pooled over the boots.")

    print(f"\n### 2. The flush of N={big} pages: fsync(), i.e. "
          "write-protect + the deferred_io callback (ms)\n")
    table(["kernel", "ordering", "median (min-max)"],
          [[m, sname(s), spread(vals(m, "dirty", s, big, col=5), nd=2)]
           for m, s in series])
    print("\nTimed at nice -20, so that fsync() returns when the flush work "
          "is done, before the kworker goes on to DRM's damage copy (one "
          "vCPU, no kernel preemption).")

    print("\n### 3. fbdev memory per framebuffer\n")
    rows = []
    for m in modes:
        for r in data[m]:
            if r[0] == "memory":
                rows.append([m, f"{r[2]} ({r[2] / 2**20:.1f} MiB)",
                             f"{r[4]} ({r[4] / 2**20:.1f} MiB)",
                             f"{r[5]} ({r[5] / 2**20:.1f} MiB)",
                             "yes" if r[5] >= r[2] else "no"])
    table(["kernel", "smem_len", "VmallocUsed", "largest vmalloc area",
           "shadow buffer"], rows)
    print("\nVmallocUsed (/proc/meminfo) counts vmalloc() pages only: the "
          "shadow is a vzalloc() of smem_len bytes; the direct mode's vmap() "
          "of the GEM pages, which exist in both modes, is not counted. "
          "The largest area comes from /proc/vmallocinfo.")

    def frames(kind, m, slow):
        return [(r[4], r[5]) for r in data[m] if r[0] == kind and
                (r[2] > SLOW_DELAY_MS) == slow]

    delays = {}
    for m in modes:
        for r in data[m]:
            if r[0] in ("fullframe", "latency"):
                delays.setdefault((r[0], m, r[2] > SLOW_DELAY_MS), set()).add(r[2])

    def delay_of(kind, m, slow):
        d = sorted(delays.get((kind, m, slow), ()))
        return "/".join(str(x) for x in d) + " ms" if d else "-"

    nframes = max(len(frames("fullframe", m, s)) for m in modes
                  for s in (False, True))
    print(f"\n### 4. A full frame to the screen: from fsync() after writing "
          f"every pixel to the screen showing it (ms, median of {nframes})\n")
    rows = []
    for slow in (False, True):
        for m in modes:
            fr = frames("fullframe", m, slow)
            if fr:
                rows.append([m, delay_of("fullframe", m, slow),
                             spread([a for a, _ in fr]),
                             spread([b for _, b in fr if b is not None])])
    table(["kernel", "delay", "fsync to screen, median (min-max)",
           "writing the frame"], rows)
    print("\nGuest CLOCK_MONOTONIC from just before fsync() to the answer "
          "of the first look at the screen that showed the whole frame; "
          "looks every 2 ms. The VM is paused while the host takes and "
          "compares each screendump: guest time excludes the comparing, "
          "and whatever QEMU does meanwhile (it may finish the virtio-gpu "
          "transfer to its surface then), in every mode alike. At DRM's "
          "delay (HZ/20) the timer flushes during the writing too, so "
          "fsync() is left the rest; at 20 s fsync() flushes the whole "
          "frame.")

    print("\n### 5. Latency from a write to pixels (ms)\n")
    table(["kernel", "delay", "write to screen, median (min-max)"],
          [[m, delay_of("latency", m, False),
            spread([a for a, _ in frames("latency", m, False)])]
           for m in modes if frames("latency", m, False)])
    print("\nA stripe of 8 lines across the middle, timed from the start "
          "of the write to the first look that showed it (looks every "
          "2 ms, the VM paused during each).")

    print("\n### Ratios\n")
    print(f"Growth of the per-page cost, N={big} vs N={small} "
          f"(goal for the series: <= {GROWTH_GOAL}x):")
    for m, s in series:
        a, b = cost(m, s, big), cost(m, s, small)
        fl = med(floor_all[big])
        goal = "" if m == "base" else (
            "  (goal met)" if a / b <= GROWTH_GOAL else "  (GOAL MISSED)")
        print(f"- {m}, {sname(s)}: {a / b:.2f}x; {a / fl:.1f}x the floor "
              f"at N={big}{goal}")
    print("\nFull frame, fsync to screen, shadow / direct "
          f"(goal: direct at most half of shadow, i.e. >= {FRAME_GOAL}x):")
    if "direct" not in data or "shadow" not in data:
        print("- not measured: needs both the direct and the shadow boot")
    for slow in (False, True):
        d = med([a for a, _ in frames("fullframe", "direct", slow)]) \
            if "direct" in data else None
        for other in ("shadow", "base"):
            o = med([a for a, _ in frames("fullframe", other, slow)]) \
                if other in data else None
            if d and o:
                goal = ("  (goal met)" if o / d >= FRAME_GOAL else
                        "  (GOAL MISSED)") if other == "shadow" else ""
                print(f"- {other} / direct at "
                      f"{delay_of('fullframe', 'direct', slow)}: "
                      f"{o:.1f} / {d:.1f} ms = {o / d:.1f}x{goal}")
    print(f"\nFlush of N={big} pages per kernel (median):")
    for m, s in series:
        print(f"- {m}, {sname(s)}: "
              f"{fmt(med(vals(m, 'dirty', s, big, col=5)), ' ms')}")

    # The plot: per-page cost against N, every series and the floor.
    dat = os.path.join(out, "bench.dat")
    with open(dat, "w") as f:
        for m, s in series:
            f.write(f'"{m}, {sname(s)}"\n')
            for n in ns:
                f.write(f"{n} {cost(m, s, n)}\n")
            f.write("\n\n")
        f.write('"floor (memfd)"\n')
        for n in ns:
            f.write(f"{n} {med(floor_all[n])}\n")
    png = os.path.join(out, "bench.png")
    plot = (f'set terminal png size 900,600; set output "{png}";'
            'set logscale x 2; set logscale y; '
            'set xlabel "written pages in one flush period (N)";'
            'set ylabel "us per page"; set key top left; set grid;'
            f'plot for [i=0:{len(series)}] "{dat}" index i with linespoints '
            'title columnheader(1)')
    try:
        subprocess.run(["gnuplot", "-e", plot], check=True)
        print(f"\nplot: {png}\ntable: {csv}")
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"\nno plot: gnuplot failed ({e}); table: {csv}")


if __name__ == "__main__":
    main()
