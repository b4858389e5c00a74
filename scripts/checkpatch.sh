#!/bin/bash
# scripts/checkpatch.pl --strict on every patch of the series: no errors,
# no warnings. CHECK-level messages are printed; each one must be
# explained in the cover letter.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$LINUX/.git" ] || die "no kernel tree at work/linux: run scripts/fetch.sh first"
bad=0 n=0
while read -r p; do
	[ -n "$p" ] || continue
	n=$((n + 1))
	out=$("$LINUX/scripts/checkpatch.pl" --strict --no-tree --terse \
		--show-types "$PATCHES/$p" 2>&1 || true)
	if grep -qE ':[0-9]+: (ERROR|WARNING):' <<<"$out"; then
		echo "$p:"; grep -E ':[0-9]+: (ERROR|WARNING):' <<<"$out"
		bad=1
	fi
	grep -E ':[0-9]+: CHECK:' <<<"$out" | sed "s|^|$p: |" || true
done <"$PATCHES/series"
echo "checkpatch --strict: $n patches checked"
exit $bad
