#!/bin/bash
# scripts/checkpatch.pl --strict on every patch of every submission: no
# error, no warning, no check, but those the submission's cover letter
# explains. MISSING_SIGN_OFF is expected here: the committed patches carry
# no Signed-off-by, which the sender adds (scripts/prepare.sh, which runs
# checkpatch again on the signed patches). Fails when checkpatch did not
# run on a patch or a patch file is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -x "$LINUX/scripts/checkpatch.pl" ] || die "no scripts/checkpatch.pl in work/linux: run make fetch first"
bad=0 n=0
for s in $SUBMISSIONS; do
	for p in $(series_files "$s"); do
		[ -f "$p" ] || { echo "${p#$TOP/}: missing"; bad=1; continue; }
		n=$((n + 1))
		checkpatch_check "$p" "$PATCHES/$s/cover-letter.txt" MISSING_SIGN_OFF || bad=1
	done
done
echo "checkpatch --strict: $n patches checked"
exit $bad
