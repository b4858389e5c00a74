#!/bin/bash
# Put the tables that the checks wrote into README.md, each between its
# markers: the conformance table of the last make check
# (work/check/conformance.md, written by scripts/check.sh from every run's
# results), the mutants' table of the last make mutants of each base that
# has mutants (work/BASE/mutants/table.md, scripts/mutants.sh: README's
# marker "mutants" for 5.10, "mutants-BASE" for another) and the benchmark's
# tables of the last make bench of each base that has one
# (work/BASE/bench/bench.md, scripts/bench.sh: README's marker "bench"
# for 5.10, "bench-BASE" for another). A table is never written by hand;
# one that was not made yet is left as it is.
#
#   readme-table.sh [MARKER...]   those tables only (default: all)
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
table() {	# table MARKER: the file that holds that table
	case $1 in
	conformance) echo "$WORKROOT/check/conformance.md" ;;
	mutants*|bench*)
		local kind=${1%%-*} file b
		file=bench/bench.md
		[ "$kind" = mutants ] && file=mutants/table.md
		for b in $BASES; do
			[ "$(readme_marker "$kind" "$b")" = "$1" ] || continue
			echo "$WORKROOT/$b/$file"
			return
		done
		die "no table '$1': no base has that marker" ;;
	*) die "no table '$1' (conformance, mutants, mutants-BASE, bench, bench-BASE)" ;;
	esac
}
n=0
# every base's benchmark (lib.sh: readme_marker)
benches=$(for b in $BASES; do
	grep -q '^BENCH_MODES=' "$TOP/bases/$b/base.conf" || continue
	bench_marker "$b"
done)
# every base's mutants (bases/BASE/mutants/)
mutants=$(for b in $BASES; do
	[ -d "$TOP/bases/$b/mutants" ] || continue
	readme_marker mutants "$b"
done)
for t in ${*:-conformance $mutants $benches}; do
	put "$t" "$(table "$t")" && n=$((n + 1))
done
[ $n -gt 0 ] || die "no table to put in: run make check, make mutants or make bench first"
