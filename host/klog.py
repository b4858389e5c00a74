#!/usr/bin/python3
"""The kernel-log oracle: which console lines are kernel reports.

Every console line of a boot is matched against REPORTS, in order; the
first class that matches names it, and any report fails the boot's
kernel_log_clean (host/qemu.py). A guest test that provokes a message on
purpose announces it first ("# expect kernel log: TEXT"), and the lines
after that which contain TEXT are excused. Self-test: python3 klog.py.
"""
import re
import sys

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
                r"|BUG: key \w+ has not been registered"
                # lockdep turns itself off after it says this
                r"|INFO: trying to register non-static key"),
    ("list corruption", r"list_(add|del) corruption"),
    ("RCU stall", r"rcu: INFO: rcu_\w+ (self-detected stall on CPU"
                  r"|detected stalls on CPUs/tasks)"),
    ("hung task", r"INFO: task .+:\d+ blocked for more than \d+ seconds"),
    ("kmemleak", r"unreferenced object 0x[0-9a-f]+"),
    ("KUnit failure", r"\b(EXPECTATION|ASSERTION) FAILED at "),
    ("sysfs duplicate", r"sysfs: cannot create duplicate filename"),
    ("page allocation failure", r"page allocation failure: order:"),
    ("DRM error", r"\[drm(:\w+)?\] \*ERROR\*"),
    ("Oops", r"\bOops\b"),
    ("general protection fault", r"general protection fault"),
    ("Kernel panic", r"Kernel panic - not syncing"),
    ("WARN", r"WARNING: CPU: \d+ PID: \d+ at \S+"),
    ("BUG", r"BUG: |kernel BUG at "),
    ("WARNING (other)", r"WARNING: "),
    # last: a stack trace that no class above explained
    ("Call Trace", r"\bCall Trace:"),
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
        "[    3.2] INFO: trying to register non-static key.",
    ],
    "KUnit failure": [
        "[    2.1]     # cleanup_flushes_listed_pages: EXPECTATION FAILED at drivers/video/fbdev/core/fb_defio_test.c:212",
        "    # Subtest: fb_defio: ASSERTION FAILED at lib/kunit/test.c:1",
    ],
    "sysfs duplicate": [
        "[    4.0] sysfs: cannot create duplicate filename '/devices/virtual/graphics/fb0'",
    ],
    "page allocation failure": [
        "[    6.6] stress-tests: page allocation failure: order:4, mode:0xcc0(GFP_KERNEL), nodemask=(null)",
    ],
    "DRM error": [
        "[    3.100000] [drm:drm_fbdev_client_hotplug] *ERROR* fbdev: Failed to setup generic emulation (ret=-12)",
        "[    2.0] [drm] *ERROR* virtio-gpu: response 0x1203 (command 0x105)",
    ],
    "Call Trace": [
        "[    7.0] Call Trace:",
        " Call Trace:",
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
    "[    0.9] [drm] Initialized virtio_gpu 0.1.0 0 for virtio0 on minor 0",
    "[    1.2]     ok 1 - fb_defio",
    "fbtest-init: debug_locks 1",
    "# probe_without_memory: expect kernel log: Failed to setup generic emulation (ret=-12)",
    "[   35.393231] ACPI Error: Aborting method \\_SB.PCI0._PRT due to previous error (AE_AML_LOOP_TIMEOUT) (20200925/psparse-529)",
    "[   35.494572] virtio-pci 0000:00:02.0: can't derive routing for PCI INT A",
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


# A test that provokes a kernel message on purpose says so first (diag()
# in guest/fb.c); the console lines after it that contain TEXT are then
# not reports.
EXPECT = re.compile(r"^# (?:\S+: )?expect kernel log: (.+)$")


def kernel_reports(lines):
    """(class, line) of every console line that is a kernel report and
    that no earlier "expect kernel log" line of the guest excused."""
    expected, reports = [], []
    for line in lines:
        m = EXPECT.match(line)
        if m:
            expected.append(m.group(1))
            continue
        cls = classify(line)
        if cls and not any(e in line for e in expected):
            reports.append((cls, line))
    return reports




def self_test():
    """Every report class against its samples, the ordinary lines against
    every class, the taint decoding, the announced reports. Returns the
    number of mismatches."""
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
    # a report the guest announced is excused after the announcement only
    drm = "[drm:x] *ERROR* fbdev: Failed to setup generic emulation (ret=-12)"
    for lines, want in (
            ([drm], ["DRM error"]),
            (["# probe_without_memory: expect kernel log: Failed to setup",
              drm], []),
            ([drm, "# t: expect kernel log: Failed to setup", drm],
             ["DRM error"]),
            (["# t: expect kernel log: Failed to setup", "[ 1.0] Call Trace:"],
             ["Call Trace"])):
        got = [c for c, _ in kernel_reports(lines)]
        if got != want:
            print(f"self-test: reports of {lines!r}: {got!r}, want {want!r}")
            bad += 1
    nsamples = sum(len(v) for v in REPORT_SAMPLES.values())
    print(f"klog self-test: {len(names)} report classes, {nsamples} report "
          f"lines, {len(ORDINARY_SAMPLES)} ordinary lines: "
          f"{'all as expected' if not bad else f'{bad} mismatches'}")
    return bad


if __name__ == "__main__":
    sys.exit(1 if self_test() else 0)
