#!/bin/bash
# Put the tables that the checks wrote into README.md, each between its
# markers: the conformance table of the last make check
# (work/check/conformance.md, written by scripts/check.sh from every run's
# results) and the mutants' table of the last make mutants
# (work/5.10/mutants/table.md, scripts/mutants.sh). A table is never
# written by hand; one that was not made yet is left as it is.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

put() {	# put MARKER TABLE
	local marker=$1 table=$2
	[ -s "$table" ] || { warn "no ${table#$TOP/}: the $marker table in README.md is left as it is"; return 1; }
	grep -q "^<!-- $marker begin -->\$" "$TOP/README.md" ||
		die "README.md has no '<!-- $marker begin -->' line"
	python3 - "$TOP/README.md" "$table" "$marker" <<'PY'
import sys
readme, table, marker = sys.argv[1:]
text = open(readme).read()
begin, end = f"<!-- {marker} begin -->\n", f"<!-- {marker} end -->\n"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(readme, "w").write(head + begin + open(table).read() + end + tail)
PY
	say "README.md: the $marker table of $(stat -c %y "$table" | cut -d. -f1)"
}
n=0
put conformance "$WORKROOT/check/conformance.md" && n=$((n + 1))
put mutants "$WORKROOT/5.10/mutants/table.md" && n=$((n + 1))
[ $n -gt 0 ] || die "no table to put in: run make check or make mutants first"
