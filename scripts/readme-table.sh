#!/bin/bash
# Put the conformance table of the last make check
# (work/check/conformance.md, written by scripts/check.sh from every
# run's results) into README.md, between its conformance markers. The
# table is never written by hand.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

table=$WORKROOT/check/conformance.md
[ -s "$table" ] || die "no $table: run make check first"
grep -q '^<!-- conformance begin -->$' "$TOP/README.md" ||
	die "README.md has no '<!-- conformance begin -->' line"
python3 - "$TOP/README.md" "$table" <<'PY'
import sys
readme, table = sys.argv[1:]
text = open(readme).read()
head, rest = text.split("<!-- conformance begin -->\n", 1)
_, tail = rest.split("<!-- conformance end -->\n", 1)
open(readme, "w").write(head + "<!-- conformance begin -->\n" +
                        open(table).read() + "<!-- conformance end -->\n" + tail)
PY
say "README.md: the conformance table of $(stat -c %y "$table" | cut -d. -f1)"
