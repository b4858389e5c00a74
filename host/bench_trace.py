#!/usr/bin/python3
"""Where the first write of a flush period goes: the function graph of
guest/bench.c --trace (its "TRACE " lines), summarised per fault.

    bench_trace.py KERNEL=CONSOLE_LOG...

For each kernel: every handle_mm_fault() call that the guest traced (the
first, second and third write of three flush periods), its total, and
the calls inside it that took at least MIN_US, as a tree. The tracer
inflates every duration; compare the calls with each other.
"""
import re
import sys

MIN_US = 3.0
# " 0) + 12.345 us   |      name();"  or  "... |  name() {"  or "... |  }"
LINE = re.compile(r"^\s*\d+\)\s+(?:[+!#*@$]\s*)?(?:([\d.]+) us\s+)?\|(\s*)(.*)$")


def calls(log):
    """[(total_us, [(depth, name, us)])] per handle_mm_fault() call"""
    out, stack, cur = [], [], None
    with open(log, errors="replace") as f:
        for raw in f:
            if not raw.startswith("TRACE "):
                continue
            m = LINE.match(raw[6:].rstrip("\n"))
            if not m:
                continue
            us, indent, text = m.group(1), len(m.group(2)), m.group(3).strip()
            if text.endswith("{"):
                name = text.split("(")[0]
                if name == "handle_mm_fault" and not stack:
                    cur = []
                stack.append((name, len(cur) if cur is not None else 0))
                if cur is not None:
                    cur.append([len(stack) - 1, name, None])
            elif text.startswith("}"):
                if not stack:
                    continue
                name, idx = stack.pop()
                if cur is not None and us:
                    cur[idx][2] = float(us)
                if not stack and cur is not None:
                    out.append((cur[0][2], cur))
                    cur = None
            elif text.endswith(";") and cur is not None:
                cur.append([len(stack), text.split("(")[0],
                            float(us) if us else None])
    return out


def main():
    if len(sys.argv) < 2 or any("=" not in a for a in sys.argv[1:]):
        sys.exit("usage: bench_trace.py KERNEL=CONSOLE_LOG...")
    for arg in sys.argv[1:]:
        kernel, log = arg.split("=", 1)
        cs = calls(log)
        print(f"## {kernel}: {len(cs)} handle_mm_fault() calls traced "
              f"({log})\n")
        if not cs:
            sys.exit(f"bench_trace: no traced handle_mm_fault() in {log}")
        writes = [c for c in cs if any(n == "do_page_mkwrite"
                                         for _, n, _ in c[1])]
        print(f"{len(writes)} of them write faults (page_mkwrite); the "
              f"others are spurious faults that found the PTE writable "
              f"already (ptep_set_access_flags() only: the retried access "
              f"met a stale TLB entry)\n")
        for i, (total, tree) in enumerate(writes):
            which = ("first", "second", "third")[i % 3]
            print(f"### period {i // 3}, {which} write: "
                  f"{'?' if total is None else f'{total:.1f}'} us\n")
            print("```")
            for depth, name, us in tree:
                if us is not None and us >= MIN_US:
                    print(f"{'  ' * depth}{name}  {us:.1f} us")
            print("```\n")


if __name__ == "__main__":
    main()
