#!/usr/bin/python3
"""Where a write fault goes: the function graph of guest/bench.c --trace
(its "TRACE " lines), per kind of fault, compared between kernels.

    bench_trace.py MODE=CONSOLE_LOG...

guest/bench.c marks each group of traced writes ("fb period N": the
first, second and third write of a flush period to /dev/fb0; "memfd
period N": the floor's fault, a write to a shared memfd mapping mapped
anew). For each MODE (a kernel, or a kernel in a mode): every
handle_mm_fault() of those groups, classified as the first write of a
period (the one that schedules the flush), a later write of a period,
the access again after a write fault that returned VM_FAULT_RETRY (no
page_mkwrite in it), or the floor's; then, per function path below
handle_mm_fault(), the median over the faults of one kind of the time
spent in it, side by side for every MODE. The tracer inflates every
duration: compare the columns with each other, not with the untraced
benchmark.
"""
import re
import statistics
import sys

MIN_US = 0.5    # a row of table 2 is shown when one column reaches it
MAX_DEPTH = 4   # below handle_mm_fault()
TREE_MIN_US = 3.0
# " 0) + 12.345 us   |      name();"  or  "... |  name() {"  or "... |  }"
LINE = re.compile(r"^\s*\d+\)\s+(?:[+!#*@$]\s*)?(?:([\d.]+) us\s+)?\|(\s*)(.*)$")
MARK = re.compile(r"/\*\s*(fb|memfd) period (\d+)\s*\*/")
KINDS = (("first", "fb: the first write of a flush period"),
         ("later", "fb: the second and third writes of a period"),
         ("memfd", "the floor: a write to a memfd mapped anew"))
RETRY = ("fb: the retried access after a write fault that returned "
         "VM_FAULT_RETRY")


def faults(log):
    """[(kind, total_us, [(path, us)])] per traced handle_mm_fault()"""
    out, group, first_seen = [], None, False
    stack, cur = [], None   # stack: [(name, index into cur or None)]
    with open(log, errors="replace") as f:
        for raw in f:
            if not raw.startswith("TRACE "):
                continue
            m = LINE.match(raw[6:].rstrip("\n"))
            if not m:
                continue
            us, text = m.group(1), m.group(3).strip()
            mark = MARK.search(text)
            if mark:
                group, first_seen, stack, cur = mark.group(1), False, [], None
                continue
            if group is None:
                continue
            path = tuple(n for n, _ in stack)
            if text.endswith("{"):
                name = text.split("(")[0]
                if name == "handle_mm_fault" and not stack:
                    cur = []
                idx = None
                if cur is not None:
                    cur.append([path + (name,), None])
                    idx = len(cur) - 1
                stack.append((name, idx))
            elif text.startswith("}"):
                if not stack:
                    continue
                _, idx = stack.pop()
                if idx is not None and us:
                    cur[idx][1] = float(us)
                if not stack and cur is not None:
                    out.append(classify(group, first_seen, cur))
                    if out[-1][0] == "first":
                        first_seen = True
                    cur = None
            elif text.endswith(";") and cur is not None:
                cur.append([path + (text.split("(")[0],),
                            float(us) if us else None])
    return [f for f in out if f[1] is not None]


def classify(group, first_seen, calls):
    """(kind, total_us, calls) of one handle_mm_fault(); kind "retry" for
    a fault of the fb without page_mkwrite: the access again after the
    write fault returned VM_FAULT_RETRY, which finds the PTE writable"""
    names = {p[-1] for p, _ in calls}
    if group == "memfd":
        kind = "memfd"
    elif "do_page_mkwrite" not in names:
        kind = "retry"
    else:
        kind = "later" if first_seen else "first"
    return kind, calls[0][1], [tuple(c) for c in calls]


def per_path(calls):
    """{path below handle_mm_fault: us} of one fault, repeated calls summed"""
    d = {}
    for path, us in calls:
        if us is None or len(path) < 2 or len(path) - 1 > MAX_DEPTH:
            continue
        d[path[1:]] = d.get(path[1:], 0.0) + us
    return d


def cell(values):
    if not values:
        return "-"
    return (f"{statistics.median(values):.1f} "
            f"[{min(values):.1f}, {max(values):.1f}]")


def main():
    if len(sys.argv) < 2 or any("=" not in a for a in sys.argv[1:]):
        sys.exit("usage: bench_trace.py MODE=CONSOLE_LOG...")
    modes, data = [], {}
    for arg in sys.argv[1:]:
        mode, log = arg.split("=", 1)
        fs = faults(log)
        for kind, _ in KINDS:
            if not any(k == kind for k, _, _ in fs):
                sys.exit(f"bench_trace: no traced fault of kind '{kind}' "
                         f"in {log} (a guest without trace markers?)")
        modes.append(mode)
        data[mode] = fs

    # the totals of the faults of each kind, per mode
    totals = {m: {} for m in modes}
    for m in modes:
        for kind, total, _ in data[m]:
            totals[m].setdefault(kind, []).append(total)
    print("**1. One write fault, handle_mm_fault() (us under the function "
          "graph tracer): median [smallest, largest] of the traced "
          "faults**\n")
    print("| fault | " + " | ".join(modes) + " |")
    print("| --- |" + " --- |" * len(modes))
    for kind, label in KINDS + (("retry", RETRY),):
        print(f"| {label} | " + " | ".join(
            f"{cell(totals[m].get(kind, []))} "
            f"({len(totals[m].get(kind, []))})" for m in modes) + " |")
    writes = {m: len(totals[m]["first"]) + len(totals[m]["later"])
              for m in modes}
    print("| fb: handle_mm_fault() calls per write (a write fault that "
          "returns VM_FAULT_RETRY is handled twice) | " + " | ".join(
              f"{writes[m] + len(totals[m].get('retry', []))} for {writes[m]}"
              for m in modes) + " |")

    for i, (kind, label) in enumerate(KINDS):
        print(f"\n**2{'abc'[i]}. "
              f"{label[0].upper() + label[1:]}: where it goes (us, the "
              f"median over those faults of the time inside each function, "
              f"{MAX_DEPTH} levels below handle_mm_fault(); rows where a "
              f"column reaches {MIN_US} us)**\n")
        rows, medians = [], {}
        for m in modes:
            per = [per_path(c) for k, _, c in data[m] if k == kind]
            for d in per:
                for p in d:
                    if p not in rows:
                        rows.append(p)
            medians[m] = {p: statistics.median([d.get(p, 0.0) for d in per])
                          for p in {p for d in per for p in d}}
        print("| function | " + " | ".join(modes) + " |")
        print("| --- |" + " --- |" * len(modes))
        for p in rows:
            if max(medians[m].get(p, 0.0) for m in modes) < MIN_US:
                continue
            name = "&nbsp;" * 4 * (len(p) - 1) + "`" + p[-1] + "`"
            print(f"| {name} | " + " | ".join(
                f"{medians[m][p]:.1f}" if p in medians[m] else "-"
                for m in modes) + " |")

    print("\n**3. Every traced fault, the calls of at least "
          f"{TREE_MIN_US:.0f} us**\n")
    for m in modes:
        for i, (kind, total, calls) in enumerate(data[m]):
            if kind == "retry":
                continue
            print(f"{m}, fault {i + 1} ({kind}): {total:.1f} us\n")
            print("```")
            for path, us in calls:
                if us is not None and us >= TREE_MIN_US:
                    print(f"{'  ' * (len(path) - 1)}{path[-1]}  {us:.1f} us")
            print("```\n")


if __name__ == "__main__":
    main()
