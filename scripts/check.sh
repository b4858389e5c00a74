#!/bin/bash
# The test command (make check, .ci/run): every check of the project, each
# recorded as one result, ending with the line "N passed, N failed".
#
#   check.sh [STEP...]   steps: tree series kernels screen kunit stress (default: all)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

KERNELS="base series"
DISPLAYS_UNDER_TEST="virtio cirrus bochs"
RES=$WORK/check/results
mkdir -p "$WORK/check" "$LOGS"
: >"$RES"
start_all=$SECONDS

record() {	# record ok|"not ok" NAME
	echo "$1 $2" >>"$RES"
	printf '%s %s\n' "$1" "$2"
}

# check NAME CMD...: one result; the command's output goes to a log, whose
# tail is shown when it fails.
check() {
	local name=$1; shift
	local log=$LOGS/check-$name.log t=$SECONDS
	if "$@" >"$log" 2>&1 </dev/null; then
		record ok "$name ($((SECONDS - t))s)"
		return 0
	fi
	record "not ok" "$name ($((SECONDS - t))s, log: ${log#$TOP/})"
	sed 's/^/    | /' "$log" | tail -n 30
	return 1
}

# A guest run: qemu.py records one result per test (and one for the
# kernel log) in its own results file, which is added to ours.
guest() {	# guest KERNEL DISPLAY COMMAND...
	local kernel=$1 display=$2; shift 2
	local out=$WORK/runs/$kernel-$display-$1
	say "boot $kernel kernel on $display: $*"
	rm -f "$out/results"
	boot "$kernel" "$display" "$out" --name "$kernel/$display/" \
		--timeout 300 -- "$@"
	if [ -f "$out/results" ]; then
		cat "$out/results" >>"$RES"
	else
		record "not ok" "$kernel/$display: did not boot (see above)"
	fi
}

need_pkgs qemu-system-x86_64 qemu-system-x86 /usr/bin/python3 python3 \
	git git patch patch

steps=${*:-tree series kernels screen kunit stress}
for step in $steps; do
	case $step in
	tree)
		check series_applies_to_base "$TOP/scripts/fetch.sh"
		check patches_match_tree "$TOP/scripts/export.sh" --compare
		;;
	series)
		check checkpatch_strict "$TOP/scripts/checkpatch.sh"
		check every_user_compiles "$TOP/scripts/compile-users.sh"
		check no_page_lru_or_index_in_users "$TOP/scripts/check-page-fields.sh"
		check fbdev_builds_without_deferred_io \
			"$TOP/scripts/build.sh" nodefio drivers/video/
		say "every patch on its own: W=1, sparse, kernel-doc"
		"$TOP/scripts/check-patches.sh" 2>"$LOGS/check-patches.log" | tee -a "$RES"
		grep -q '^ok kernel_doc\|^not ok kernel_doc' "$RES" ||
			{ record "not ok" "check_patches (log: work/logs/check-patches.log)"; tail -n 20 "$LOGS/check-patches.log"; }
		;;
	kernels)
		for k in $KERNELS; do
			rm -f "$(objdir "$k")/arch/x86/boot/bzImage"
			check "build_${k}_kernel" "$TOP/scripts/build.sh" "$k"
		done
		check guest_initramfs "$TOP/scripts/initramfs.sh"
		;;
	screen)
		for k in $KERNELS; do
			for d in $DISPLAYS_UNDER_TEST; do
				guest "$k" "$d" screen-tests
			done
		done
		;;
	kunit)
		rm -f "$(objdir kunit)/arch/x86/boot/bzImage"
		check build_kunit_kernel "$TOP/scripts/build.sh" kunit
		say "boot the KUnit kernel"
		"$TOP/scripts/kunit.sh" 2>"$LOGS/check-kunit.log" | tee -a "$RES"
		grep -q 'kunit/' "$RES" || record "not ok" "kunit (log: work/logs/check-kunit.log)"
		;;
	stress)
		rm -f "$(objdir debug)/arch/x86/boot/bzImage"
		check build_debug_kernel "$TOP/scripts/build.sh" debug
		guest debug virtio stress-tests
		;;
	*) die "unknown step '$step' (steps: tree series kernels screen kunit stress)" ;;
	esac
done

passed=$(grep -c '^ok ' "$RES")
failed=$(grep -c '^not ok ' "$RES")
echo
if [ "$failed" -gt 0 ]; then
	echo "failed:"
	grep '^not ok ' "$RES" | sed 's/^not ok /  /'
fi
echo "check took $((SECONDS - start_all))s; results in ${RES#$TOP/}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
