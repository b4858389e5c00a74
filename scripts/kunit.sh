#!/bin/bash
# Boot the KUnit kernel (config/kunit.config) and read the suites' results
# from its console with the tree's own tools/testing/kunit/kunit.py parse.
# Prints one line per test case, "ok NAME" or "not ok NAME", for check.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$WORK/runs/kunit
rm -f "$out/console.log" "$out/results"
# KUnit prints its results at KERN_INFO: raise the console loglevel.
boot kunit virtio "$out" --name kunit/ --timeout 300 --no-guest-ktap \
	--append "loglevel=7" -- true >&2 || true
[ -f "$out/console.log" ] || die "the KUnit kernel did not boot (scripts/build.sh kunit)"
rc=0
/usr/bin/python3 "$LINUX/tools/testing/kunit/kunit.py" parse \
	"$out/console.log" >"$out/kunit.raw" 2>&1 || rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$out/kunit.raw" >"$out/kunit.txt"	# colours off
sed 's/^/  | /' "$out/kunit.txt" >&2
# kunit.py names each case with [PASSED] or [FAILED]/[CRASHED].
sed -nE 's/.*\[PASSED\] ([A-Za-z0-9_]+).*/ok kunit\/\1/p;
	 s/.*\[(FAILED|CRASHED)\] ([A-Za-z0-9_]+).*/not ok kunit\/\2/p' \
	"$out/kunit.txt"
cases=$(grep -cE '\[(PASSED|FAILED|CRASHED)\]' "$out/kunit.txt" || true)
if [ "$rc" != 0 ] || [ "$cases" = 0 ]; then
	echo "not ok kunit/parse (kunit.py exit $rc, $cases results)"
fi
grep 'kernel_log_clean' "$out/results" || echo "not ok kunit/kernel_log_clean (no results)"
