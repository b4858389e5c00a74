#!/usr/bin/python3
"""Summarise the benchmark's BENCH lines: a table on stdout, bench.csv and
bench.png (gnuplot) in the output folder.

    bench_report.py OUTDIR KERNEL=CONSOLE_LOG...

Each KERNEL's console carries lines printed by guest/bench.c:
    BENCH dirty SORT N REP US_PER_PAGE FLUSH_MS
    BENCH floor - N REP US_PER_PAGE -
    BENCH latency SORT - REP MS DELAY_MS
"""
import os
import statistics
import subprocess
import sys


def main():
    out = sys.argv[1]
    rows = []                      # (kernel, kind, sort, n, rep, v1, v2)
    for arg in sys.argv[2:]:
        kernel, log = arg.split("=", 1)
        with open(log, errors="replace") as f:
            for line in f:
                w = line.split()
                if len(w) == 7 and w[0] == "BENCH":
                    rows.append((kernel, w[1], w[2], w[3], int(w[4]),
                                 float(w[5]), w[6]))
    if not rows:
        sys.exit("bench_report: no BENCH lines in the consoles")
    groups = {}
    for k, kind, sort, n, rep, v, extra in rows:
        groups.setdefault((k, kind, sort, n), []).append(
            (v, float(extra) if extra not in ("-",) else None))

    csv = os.path.join(out, "bench.csv")
    with open(csv, "w") as f:
        f.write("kernel,kind,sorted,n,median,min,max,flush_ms_median\n")
        for (k, kind, sort, n), vals in sorted(groups.items()):
            v = [a for a, _ in vals]
            fl = [b for _, b in vals if b is not None]
            f.write(f"{k},{kind},{sort},{n},{statistics.median(v):.3f},"
                    f"{min(v):.3f},{max(v):.3f},"
                    f"{statistics.median(fl) if fl else ''}\n")

    def med(k, kind, sort, n):
        vals = groups.get((k, kind, sort, str(n)))
        return statistics.median(a for a, _ in vals) if vals else None

    ns = sorted({int(n) for (_, kind, _, n) in groups if kind == "dirty"})
    series = sorted({(k, s) for (k, kind, s, _) in groups if kind == "dirty"})
    print("per-page cost of dirtying N pages in one period (us, median of "
          f"{max(r[4] for r in rows) + 1} runs; min-max in bench.csv)")
    head = f"{'N':>6}" + "".join(f"{k + (' sorted' if s == '1' else ' unsorted'):>22}"
                                 for k, s in series) + f"{'floor (memfd)':>16}"
    print(head)
    floor_k = series[0][0] if series else None
    for n in ns:
        line = f"{n:>6}"
        for k, s in series:
            m = med(k, "dirty", s, n)
            line += f"{m:>22.2f}" if m is not None else f"{'-':>22}"
        fl = [med(k, "floor", "-", n) for k, _ in series]
        fl = [x for x in fl if x is not None]
        line += f"{statistics.median(fl):>16.2f}" if fl else f"{'-':>16}"
        print(line)
    big = max(ns)
    print(f"\nratio per-page cost(N={big}) / per-page cost(N=256):")
    for k, s in series:
        a, b = med(k, "dirty", s, big), med(k, "dirty", s, 256)
        fl = med(k, "floor", "-", big)
        print(f"  {k:>8} {'sorted' if s == '1' else 'unsorted':>8}: "
              f"{a / b:.2f}x   (vs floor at N={big}: {a / fl:.1f}x)"
              if a and b and fl else f"  {k} {s}: missing")
    print(f"\nflush (fsync: write-protect + callback) of N={big} pages, ms:")
    for k, s in series:
        vals = [b for _, b in groups.get((k, "dirty", s, str(big)), [])]
        if vals:
            print(f"  {k:>8} {'sorted' if s == '1' else 'unsorted':>8}: "
                  f"{statistics.median(vals):.1f} (min {min(vals):.1f}, max {max(vals):.1f})")
    print("\nlatency from a write to pixels on screen (ms), delay 50 ms:")
    for (k, kind, s, n), vals in sorted(groups.items()):
        if kind == "latency":
            v = [a for a, _ in vals]
            print(f"  {k:>8} {'sorted' if s == '1' else 'unsorted':>8}: "
                  f"{statistics.median(v):.1f} (min {min(v):.1f}, max {max(v):.1f})")

    dat = os.path.join(out, "bench.dat")
    with open(dat, "w") as f:
        for k, s in series:
            f.write(f'"{k} {"sorted" if s == "1" else "unsorted"}"\n')
            for n in ns:
                f.write(f"{n} {med(k, 'dirty', s, n)}\n")
            f.write("\n\n")
        f.write('"floor (memfd)"\n')
        for n in ns:
            f.write(f"{n} {med(series[0][0], 'floor', '-', n)}\n")
    png = os.path.join(out, "bench.png")
    plot = (f'set terminal png size 900,600; set output "{png}";'
            'set logscale x 2; set logscale y; set xlabel "dirty pages in one period (N)";'
            'set ylabel "us per page"; set key top left; set grid;'
            f'plot for [i=0:{len(series)}] "{dat}" index i with linespoints '
            'title columnheader(1)')
    try:
        subprocess.run(["gnuplot", "-e", plot], check=True)
        print(f"\nplot: {png}\ntable: {csv}")
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"\ngnuplot failed ({e}); table: {csv}")


if __name__ == "__main__":
    main()
