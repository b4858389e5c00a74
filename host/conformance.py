#!/usr/bin/python3
"""The conformance table: every guest test against each base's stock and
patched kernels, as the last make check ran them.

    conformance.py WORKROOT BASE...

Reads WORKROOT/BASE/runs/*/results (the "ok KERNEL/RUN/TEST" lines that
host/qemu.py wrote for each boot) and the display each run used
(WORKROOT/BASE/runs/*/display, written by scripts/check.sh), and prints a
Markdown table: one row per test and display, one column per base and
kernel. A cell is "pass", "FAIL" (a negative control's run fails there on
purpose: the check counts the control, not the test), "HANG" (the guest
stopped in the test, the boot timed out) or empty (not run).
The per-boot properties (exit status, kernel log, taint, lockdep) are not
rows: every boot's are results of the check itself.
"""
import os
import re
import sys

from ktap import BOOT_PROPERTIES

REPORTED_TWICE = re.compile(r"^test_\d+_reported_once$")
# kernel variant -> (column kind, row note)
KINDS = {"base": ("stock", ""), "series": ("patched", ""),
         "debug": ("patched", "debug kernel")}
RESULT = re.compile(r"^(ok|not ok) ([^/ ]+)/([^/ ]+)/(\S+)")
NEVER = re.compile(r"^test_(\d+)_never_reported$")


def planned_tests(run_dir):
    """The test names the guest was asked to run, from the console."""
    try:
        for line in open(os.path.join(run_dir, "console.log"), errors="replace"):
            if line.startswith("fbtest-init: running: "):
                args = line.split()[3:]
                return [a for a in args[1:] if not a.startswith("--")]
    except OSError:
        pass
    return []


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
                if not m or m.group(4) in BOOT_PROPERTIES or \
                        REPORTED_TWICE.match(m.group(4)):
                    continue
                kernel = m.group(2)
                if kernel not in KINDS:
                    continue
                kind, note = KINDS[kernel]
                test, verdict = m.group(4), m.group(1) == "ok"
                never = NEVER.match(test)
                if never:
                    # the guest stopped before the test said anything
                    names = planned_tests(d)
                    n = int(never.group(1))
                    if n > len(names):
                        continue
                    test, verdict = names[n - 1], "hang"
                row = cells.setdefault((test, display, note), {})
                # a test that fails in any run of this kernel fails
                old = row.get((base, kind), True)
                row[(base, kind)] = verdict if old is True else old
    cols = [(b, k) for b in bases for k in ("stock", "patched")]
    head = ["test", "display"] + [f"{base_label(workroot, b)} {k}" for b, k in cols]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for (test, display, note), row in sorted(cells.items()):
        name = f"{test} ({note})" if note else test
        out = [name, display]
        for c in cols:
            v = row.get(c)
            out.append("" if c not in row else "pass" if v is True else
                       "**HANG**" if v == "hang" else "**FAIL**")
        print("| " + " | ".join(out) + " |")
    fails = sum(1 for row in cells.values() for v in row.values() if v is not True)
    print(f"\n{len(cells)} rows; {fails} cells FAIL or HANG (each is a "
          "negative control of make check, or a failed result of the check). "
          "HANG: the guest stopped in the test and the boot timed out.")


if __name__ == "__main__":
    main()
