#!/usr/bin/python3
"""What a boot's console says of its tests: the guest's KTAP plan and
results, and the lines guest/init prints at the end (exit status, taint,
lockdep's switch). Self-test: python3 ktap.py; the names of the boot's
properties: python3 ktap.py --boot-properties.
"""
import re
import sys

KTAP_RESULT = re.compile(r"^(not ok|ok) (\d+) (\S+)")
KTAP_PLAN = re.compile(r"^1\.\.(\d+)$")
EXIT_STATUS = re.compile(r"^fbtest-init: exit status (\d+)$")
TAINTED = re.compile(r"^fbtest-init: tainted (\S+)$")
# lockdep's own switch at the end of the boot (guest/init, when the kernel
# has /proc/lockdep_stats): 0 means it turned itself off after a report.
DEBUG_LOCKS = re.compile(r"^fbtest-init: debug_locks (\S+)$")
# what a test said of itself ("# NAME: ..."): the guest's fail() prints
# its message so, just before the "not ok" line
SAID = re.compile(r"^# (\S+): (.*)$")


# What qemu.py records of every boot beside the guest's own tests, in the
# order it writes them ("boot" alone when QEMU did not start): a property
# of the boot, not a test. The conformance table leaves them out; make
# mutants drops guest_exit_status when a test failed too, and takes a
# boot that failed to start for no result. "python3 ktap.py
# --boot-properties" prints them for the shell scripts.
BOOT_PROPERTIES = ("boot", "guest_reported_a_plan", "guest_finished",
                   "guest_exit_status", "screen_oracle", "kernel_not_tainted",
                   "kernel_log_clean", "qemu_saw_no_guest_error",
                   "lockdep_still_on")


class Console:
    """The guest's own lines of a console (KTAP at the start of a line;
    the kernel's lines carry a timestamp)."""

    def __init__(self, lines):
        self.plan, self.results, self.twice = None, {}, []
        self.exit_status = self.tainted = self.debug_locks = None
        # the last "# NAME: ..." line before each failed test's result
        self.reasons, said = {}, {}
        for line in lines:
            m = SAID.match(line)
            if m:
                said[m.group(1)] = m.group(2)
            m = KTAP_PLAN.match(line)
            if m and self.plan is None:
                self.plan = int(m.group(1))
            m = KTAP_RESULT.match(line)
            if m:
                n = int(m.group(2))
                if n in self.results:
                    self.twice.append(n)
                self.results[n] = (m.group(1) == "ok", m.group(3))
                if m.group(1) != "ok" and m.group(3) in said:
                    self.reasons[m.group(3)] = said[m.group(3)]
            m = EXIT_STATUS.match(line)
            if m:
                self.exit_status = int(m.group(1))
            m = TAINTED.match(line)
            if m:
                self.tainted = m.group(1)
            m = DEBUG_LOCKS.match(line)
            if m:
                self.debug_locks = m.group(1)

    def tests(self):
        """(ok, name) of each test 1..N, N the plan or the highest number
        reported; a planned one that never reported fails."""
        last = max(self.plan or 0, max(self.results, default=0))
        return [self.results.get(i, (False, f"test_{i}_never_reported"))
                for i in range(1, last + 1)]


def self_test():
    bad = 0
    c = Console(["KTAP version 1", "1..3", "ok 1 a", "[ 1.0] ok 9 kunit_case",
                 "# b: first try", "# b: DIFF 3 pixels", "not ok 2 b",
                 "ok 2 b", "fbtest-init: exit status 1",
                 "fbtest-init: tainted 512", "fbtest-init: debug_locks 0"])
    for what, got, want in (
            ("tests", c.tests(), [(True, "a"), (True, "b"),
                                  (False, "test_3_never_reported")]),
            ("twice", c.twice, [2]), ("exit", c.exit_status, 1),
            ("reasons", c.reasons, {"b": "DIFF 3 pixels"}),
            ("taint", c.tainted, "512"), ("debug_locks", c.debug_locks, "0")):
        if got != want:
            print(f"self-test: console {what}: {got!r}, want {want!r}")
            bad += 1
    print(f"ktap self-test: {'all as expected' if not bad else f'{bad} mismatches'}")
    return bad


if __name__ == "__main__":
    if sys.argv[1:] == ["--boot-properties"]:
        print("\n".join(BOOT_PROPERTIES))
        sys.exit(0)
    sys.exit(1 if self_test() else 0)
