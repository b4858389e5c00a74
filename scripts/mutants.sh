#!/bin/bash
# Does each oracle see the bug it is there for? A mutant is one small
# deliberate bug (bases/BASE/mutants/NAME.patch: test-only, never part of a
# submission) on the stack that the series kernel, or the debug kernel, is
# built from. Its header says what it breaks and which tests
# should catch it:
#
#   Mutant: the flush drops every odd page from the list ...
#   Kernel: series | debug | kmemleak (the debug kernel, kmemleak on)
#   Boot: DISPLAY GUEST-COMMAND...
#
# or "Boot: kunit": the kernel's KUnit suite at boot (scripts/kunit.sh),
# caught when a case does not pass.
#
# Each mutant is built (variant mutant or mutant-debug:
# scripts/build.sh) and booted with its command. It is caught when at
# least one result of that boot fails: a test, or a property of the boot
# (the kernel log, taint). A mutant that every check passes survived: the
# oracle it names is blind to it.
#
#   mutants.sh [NAME...]    every mutant of the base (make mutants), or those
#
# Prints one result per mutant, "ok mutants/NAME (caught by ...)" or "not
# ok mutants/NAME (...)", and the table (mutant, what caught it, the
# message) into work/BASE/mutants/table.md, which make table puts into
# README.md (table-some.md when only some mutants were named).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals
lock_base

dir=$BASEDIR/mutants
[ -d "$dir" ] || die "base $BASE has no mutants (bases/$BASE/mutants/*.patch)"
out=$WORK/mutants
mkdir -p "$out" "$WORK/runs"
[ -f "$WORK/initramfs.cpio.gz" ] || "$TOP/scripts/initramfs.sh" >&2 ||
	die "no guest initramfs (scripts/initramfs.sh)"

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in "$dir"/*.patch; do names+=("$(basename "$f" .patch)"); done
fi

field() { sed -n "s/^$1: //p;/^\$/q" "$2"; }
# md TEXT: TEXT for a Markdown table cell, on one line
md() { tr '\n' ' ' <<<"$1" | sed 's/|/\\|/g; s/ *$//' | cut -c1-220; }

# the results of every boot that are not a test (host/ktap.py)
BOOT_PROPERTIES=$(/usr/bin/python3 "$TOP/host/ktap.py" --boot-properties) ||
	die "host/ktap.py --boot-properties failed"
table=$out/table.md.new
{
	echo "| mutant (bases/$BASE/mutants/) | kernel | caught by | what the check printed |"
	echo "|---|---|---|---|"
} >"$table"
for name in "${names[@]}"; do
	f=$dir/$name.patch
	[ -f "$f" ] || die "no mutant $name (bases/$BASE/mutants/$name.patch)"
	desc=$(field Mutant "$f") kernel=$(field Kernel "$f") cmd=$(field Boot "$f")
	# kmemleak: the debug kernel with kmemleak on (lib.sh: KMEMLEAK_ON)
	append=()
	case $kernel in
	series) variant=mutant ;;
	debug) variant=mutant-debug ;;
	kmemleak) variant=mutant-debug; append=(--append "$KMEMLEAK_ON") ;;
	*) die "$name: 'Kernel: $kernel' is not series, debug or kmemleak" ;;
	esac
	[ -n "$desc" ] && [ -n "$cmd" ] || die "$name: no 'Mutant:' or 'Boot:' line in its header"
	say "mutant $name ($kernel kernel): $desc"
	if ! MUTANT=$f "$TOP/scripts/build.sh" "$variant" >"$out/$name-build.log" 2>&1; then
		echo "not ok mutants/$name (the mutant kernel does not build; log: ${out#$TOP/}/$name-build.log)"
		tail -n 15 "$out/$name-build.log" >&2
		echo "| $name: $(md "$desc") | $kernel | DOES NOT BUILD | |" >>"$table"
		continue
	fi
	run=$WORK/runs/mutant-$name
	rm -rf "$run"
	if [ "$cmd" = kunit ]; then
		KUNIT_VARIANT=$variant KUNIT_OUT=$run "$TOP/scripts/kunit.sh" \
			>"$out/$name-kunit.txt" 2>"$out/$name-boot.log" || true
		none="no KUnit case passed or ran" every="every KUnit case"
		results=$out/$name-kunit.txt
		grep -q '^ok kunit/' "$results" || results=
		caught=$(sed -n 's#^not ok \([^ ]*\).*#\1#p' "$out/$name-kunit.txt")
		# the first failed expectation, as kunit.py printed it: the
		# case, its message (the last line), what it compared
		msg=$(sed 's/\x1b\[[0-9;]*m//g; s/^\[[0-9:]*\] *//; s/^ *//' "$run/kunit.txt" 2>/dev/null |
			awk '/(EXPECTATION|ASSERTION) FAILED/ && !n { n = 1; sub(/^# /, ""); sub(/: (EXPECTATION|ASSERTION) FAILED at .*/, ""); c = $0; next }
			     n && /^\[(FAILED|PASSED|SKIPPED)\]|^# / { exit }
			     n { line[k++] = $0 }
			     END { if (!n) exit; e = line[0]; for (i = 1; i < k - 1; i++) e = e " " line[i]; print c ": " line[k - 1] " (" e ")" }')
	else
		read -r display guest <<<"$cmd"
		# shellcheck disable=SC2086,SC2046
		boot "$variant" "$display" "$run" --name "$name/" --timeout 600 \
			$(kernel_args "$variant") "${append[@]}" -- $guest >"$out/$name-boot.log" 2>&1
		none="the boot wrote no results" every="every result of '$cmd'"
		# what failed; the guest's exit status only when no test did
		# (a failed test makes it non-zero anyway)
		caught=$(sed -n "s#^not ok $name/##p" "$run/results" 2>/dev/null)
		grep -qvxF "$BOOT_PROPERTIES" <<<"$caught" &&
			caught=$(grep -vx guest_exit_status <<<"$caught")
		results=$run/results
		{ [ -s "$results" ] && [ "$caught" != boot ]; } || results=
		# the message: why the first caught result failed (the test's
		# own line, the first kernel report, the note on the boot)
		msg=$(reason "$run" "$name/${caught%%[[:space:]]*}")
		[ -n "$msg" ] || msg=$(cut -f2 "$run/reasons" 2>/dev/null | head -n 1)
	fi
	caught=$(echo $caught)
	if [ -z "$results" ]; then
		echo "not ok mutants/$name ($none; log: ${out#$TOP/}/$name-boot.log)"
		tail -n 15 "$out/$name-boot.log" >&2
		echo "| $name: $(md "$desc") | $kernel | NO RESULTS | |" >>"$table"
	elif [ -z "$caught" ]; then
		echo "not ok mutants/$name (survived: $every passed; the bug: $desc)"
		echo "| $name: $(md "$desc") | $kernel | **SURVIVED** | |" >>"$table"
	else
		echo "ok mutants/$name (caught by $caught: $(cut -c1-160 <<<"$msg"))"
		echo "| $name: $(md "$desc") | $kernel | $caught | $(md "$msg") |" >>"$table"
	fi
done
# the README's table is of every mutant (make table); a few go elsewhere
final=$out/table.md
[ $# -gt 0 ] && final=$out/table-some.md
mv "$table" "$final"
cat "$final" >&2
