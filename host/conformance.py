#!/usr/bin/python3
"""The conformance table: every guest test against each base's stock and
patched kernels, as the last make check ran them.

    conformance.py WORKROOT BASE...

Reads WORKROOT/BASE/runs/*/results (the "ok KERNEL/RUN/TEST" lines that
host/qemu.py wrote for each boot) and the display each run used
(WORKROOT/BASE/runs/*/display, written by scripts/check.sh), and prints a
Markdown table: one row per test and display, one column per base and
kernel. A cell is "pass", "FAIL" (a negative control's run fails there on
purpose: the check counts the control, not the test) or empty (not run).
The per-boot properties (boot, exit status, kernel log, taint) are not
rows: every boot's are results of the check itself.
"""
import os
import re
import sys

BOOT_PROPERTIES = {"boot", "guest_finished", "guest_exit_status",
                   "screen_oracle", "kernel_not_tainted", "kernel_log_clean",
                   "no_timeout"}
# kernel variant -> (column kind, row note)
KINDS = {"base": ("stock", ""), "series": ("patched", ""),
         "base-debug": ("stock", "debug kernel"),
         "debug": ("patched", "debug kernel"),
         "kmemleak": ("patched", "kmemleak kernel")}
RESULT = re.compile(r"^(ok|not ok) ([^/ ]+)/([^/ ]+)/(\S+)")


def base_label(workroot, base):
    fetched = os.path.join(workroot, base, "fetched")
    if os.path.exists(fetched):
        return f"{base} ({open(fetched).read().split()[1]})"
    return base


def main():
    workroot, bases = sys.argv[1], sys.argv[2:]
    cells = {}      # (test, display, note) -> {(base, kind): result}
    for base in bases:
        runs = os.path.join(workroot, base, "runs")
        if not os.path.isdir(runs):
            continue
        for run in sorted(os.listdir(runs)):
            d = os.path.join(runs, run)
            try:
                display = open(os.path.join(d, "display")).read().strip()
                lines = open(os.path.join(d, "results")).read().splitlines()
            except OSError:
                continue
            for line in lines:
                m = RESULT.match(line)
                if not m or m.group(4) in BOOT_PROPERTIES:
                    continue
                kernel = m.group(2)
                if kernel not in KINDS:
                    continue
                kind, note = KINDS[kernel]
                row = cells.setdefault((m.group(4), display, note), {})
                # a test that fails in any run of this kernel fails
                ok = m.group(1) == "ok"
                row[(base, kind)] = row.get((base, kind), True) and ok
    cols = [(b, k) for b in bases for k in ("stock", "patched")]
    head = ["test", "display"] + [f"{base_label(workroot, b)} {k}" for b, k in cols]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for (test, display, note), row in sorted(cells.items()):
        name = f"{test} ({note})" if note else test
        out = [name, display]
        for c in cols:
            out.append("" if c not in row else ("pass" if row[c] else "**FAIL**"))
        print("| " + " | ".join(out) + " |")
    fails = sum(1 for row in cells.values() for v in row.values() if not v)
    print(f"\n{len(cells)} tests; {fails} cells FAIL (each is a negative "
          "control of make check, or a failed result above)")


if __name__ == "__main__":
    main()
