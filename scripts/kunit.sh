#!/bin/bash
# Boot the stack's kernel that has the KUnit suite built in (the test
# kernel, or the one KUNIT_KERNEL of base.conf names; bases/BASE/config/
# kunit.config), and read the suites' results
# from its console with the tree's own tools/testing/kunit/kunit.py parse
# --json. Prints one line per test case, "ok kunit/SUITE/CASE" or "not ok
# ...", for check.sh, then the boot's own results (kernel log, taint).
# Only test cases are counted; a case that did not pass (failed, crashed,
# or anything else kunit.py reports) is not ok. KUNIT_VARIANT and
# KUNIT_OUT: another kernel and the run's folder (scripts/mutants.sh boots
# a mutant kernel's suite this way; base.conf sets KUNIT_KERNEL itself).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals

out=${KUNIT_OUT:-$WORK/runs/kunit}
variant=${KUNIT_VARIANT:-${KUNIT_KERNEL:-series}}
rm -rf "$out"
# KUnit prints its results at KERN_INFO: raise the console loglevel.
# shellcheck disable=SC2046
boot "$variant" virtio "$out" --name kunit/ --timeout 300 \
	--no-guest-ktap $(kernel_args "$variant") \
	--append "loglevel=7" -- true >&2 || true
[ -s "$out/console.log" ] || die "the $variant kernel did not boot (scripts/build.sh $variant)"
rc=0
/usr/bin/python3 "$LINUX/tools/testing/kunit/kunit.py" parse \
	--json="$out/kunit.json" "$out/console.log" >"$out/kunit.txt" 2>&1 || rc=$?
sed 's/\x1b\[[0-9;]*m//g; s/^/  | /' "$out/kunit.txt" >&2
/usr/bin/python3 - "$out/kunit.json" "$rc" <<'PY'
import json, sys
path, rc = sys.argv[1], int(sys.argv[2])
try:
    group = json.load(open(path))
except (OSError, ValueError) as e:
    print(f"not ok kunit/parse (kunit.py exit {rc}, no JSON: {e})")
    sys.exit(0)
cases = 0
for suite in group.get("sub_groups", []):
    for case in suite.get("test_cases", []):
        cases += 1
        ok = case.get("status") == "PASS"
        print(f"{'ok' if ok else 'not ok'} kunit/{suite['name']}/{case['name']}")
if not cases:
    print(f"not ok kunit/parse (kunit.py exit {rc}, no test case in the console)")
elif not any(s["name"] == "fb_defio" for s in group["sub_groups"]):
    print("not ok kunit/fb_defio_suite_ran (no fb_defio suite in the console)")
PY
if [ -f "$out/results" ]; then
	run_results "$out"
else
	echo "not ok kunit/boot_results (qemu.py wrote none)"
fi
