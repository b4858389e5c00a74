#!/bin/bash
# The test command (make check, .ci/run): every check of the project on
# every base (lib.sh: BASES), each recorded as one result, then the
# conformance table (every guest test against each base's stock and
# patched kernel) and the line "N passed, N failed".
#
#   check.sh [STEP...]          every base, the steps given (default: all)
#   BASE=B check.sh [STEP...]   base B only
#
# Steps: tree series kernels screen kunit debug leaks mutants, in that order, and
# matrix (the per-patch build matrix, make matrix) and soak (50 unbind
# cycles, make soak), not by default; a base
# runs those of its CHECK_STEPS (bases/B/base.conf). A result is
# "ok NAME" or "not ok NAME", NAME starting with the base. Nothing is
# skipped: a check that cannot run fails, saying why.
set -uo pipefail
if [ -z "${BASE+set}" ]; then
	. "$(dirname "$0")/lib.sh"
	stop_on_signals
	start_all=$SECONDS
	# A base's tree, working copy and build folders take up to
	# DISK_GB (base.conf); a base already checked out needs a little.
	need=0
	for b in $BASES; do
		gb=$(. "$TOP/bases/$b/base.conf"; echo "${DISK_GB:?bases/$b/base.conf sets no DISK_GB}")
		[ -d "$WORKROOT/$b/src/linux" ] && gb=1
		need=$((need + gb))
	done
	need_disk "$need" "make check ($BASES)"
	mkdir -p "$WORKROOT/check"
	all=$WORKROOT/check/results
	: >"$all"
	# The bases side by side, each its own check.sh: while one boots a
	# guest (a core), another builds (nice 19, the rest of the CPU). A
	# build and a boot each take a lock (lib.sh: one_at_a_time), so no
	# two builds and no two boots overlap. Each base's output goes to its
	# log and is shown whole, base after base, as it comes.
	declare -A pid
	for b in $BASES; do
		mkdir -p "$WORKROOT/$b/check"
		# nothing of an earlier check may count for this one
		rm -f "$WORKROOT/$b/check/results" "$WORKROOT/$b/check/completed"
		: >"$WORKROOT/$b/check/output.log"
		BASE=$b "$0" "$@" >"$WORKROOT/$b/check/output.log" 2>&1 &
		pid[$b]=$!
	done
	for b in $BASES; do
		say "base $b (its output: ${WORKROOT#$TOP/}/$b/check/output.log)"
		tail -n +1 -f --pid="${pid[$b]}" "$WORKROOT/$b/check/output.log"
		wait "${pid[$b]}"
		[ -f "$WORKROOT/$b/check/results" ] &&
			sed -E "s#^(ok|not ok) #\1 $b/#" "$WORKROOT/$b/check/results" >>"$all"
		# a base's check that stopped early (a die) has failed, whatever
		# its results said so far
		[ -f "$WORKROOT/$b/check/completed" ] ||
			echo "not ok $b/check_completed (the check of base $b stopped before its end: see above)" >>"$all"
	done
	echo
	/usr/bin/python3 "$TOP/host/conformance.py" "$WORKROOT" $BASES |
		tee "$WORKROOT/check/conformance.md"
	echo
	echo "check took $((SECONDS - start_all))s; results in ${all#$TOP/}, table in work/check/conformance.md"
	summary "$all"
	exit
fi
. "$(dirname "$0")/lib.sh"
stop_on_signals

# One check of a base at a time (and no make mutants or bench of it
# meanwhile): they share its working copy and its results file.
lock_base

RES=$WORK/check/results
# A whole check starts without the runs of earlier ones: the conformance
# table is of this check only.
[ $# -eq 0 ] && rm -rf "$WORK/runs"
mkdir -p "$WORK/check" "$LOGS"
: >"$RES"
rm -f "$WORK/check/completed"
start_all=$SECONDS

record() {	# record ok|"not ok" NAME
	echo "$1 $2" >>"$RES"
	printf '%s %s\n' "$1" "$2"
}

# check NAME CMD...: one result; the command's output goes to a log, whose
# tail is shown when it fails.
check() {
	local name=$1; shift
	local log=$LOGS/check-${name//\//_}.log t=$SECONDS
	# below the boots of the other bases in priority (see the top)
	if nice -n 10 "$@" >"$log" 2>&1 </dev/null; then
		record ok "$name ($((SECONDS - t))s)"
		return 0
	fi
	record "not ok" "$name ($((SECONDS - t))s, log: ${log#$TOP/})"
	sed 's/^/    | /' "$log" | tail -n 30
	return 1
}

# results NAME CMD...: a command that prints result lines itself (and its
# commentary on stderr, kept in a log); its results are added to ours. It
# must print at least one, and a command that exits non-zero although
# every line it printed says ok has failed too (it stopped early, say).
results() {
	local name=$1 log=$LOGS/check-$1.log out rc; shift
	out=$("$@" 2>"$log" | tee -a /dev/stderr; exit "${PIPESTATUS[0]}")
	rc=$?
	grep -E '^(ok|not ok) ' <<<"$out" >>"$RES"
	if ! grep -qE '^(ok|not ok) ' <<<"$out"; then
		record "not ok" "$name (no result; log: ${log#$TOP/})"
		tail -n 20 "$log"
	elif [ $rc != 0 ]; then
		grep -q '^not ok ' <<<"$out" ||
			record "not ok" "$name (exit status $rc after only ok results; log: ${log#$TOP/})"
		echo "$name: exit status $rc; the end of its log (${log#$TOP/}):"
		tail -n 20 "$log"
	fi
}

# boot_run KERNEL DISPLAY RUN COMMAND...: boot a kernel variant with the
# guest program; its console and results go to work/runs/KERNEL-RUN, its
# results are named KERNEL/RUN/... With BOOT_SCREEN=WxH, the display
# (virtio-gpu) has that size, and the guest 1 GB; BOOT_APPEND adds to the
# kernel's command line.
boot_run() {
	local kernel=$1 display=$2 run=$3 out=$WORK/runs/$1-$3 rc=0; shift 3
	local screen=()
	[ -n "${BOOT_SCREEN:-}" ] &&
		screen=(--xres "${BOOT_SCREEN%x*}" --yres "${BOOT_SCREEN#*x}" --memory 1024)
	rm -rf "$out"
	# shellcheck disable=SC2046
	boot "$kernel" "$display" "$out" \
		--name "$kernel/$run/" --timeout "${BOOT_TIMEOUT:-600}" \
		${BOOT_IDLE:+--idle-timeout "$BOOT_IDLE"} $(kernel_args "$kernel") \
		${BOOT_APPEND:+--append "$BOOT_APPEND"} \
		"${screen[@]}" -- "$@" || rc=$?
	# the display, for the conformance table (host/conformance.py)
	[ -d "$out" ] && echo "$display${BOOT_SCREEN:+ $BOOT_SCREEN}" >"$out/display"
	return $rc
}

# guest KERNEL DISPLAY RUN COMMAND...: boot_run; qemu.py records one result
# per test and per property of the boot (kernel log, taint, exit status,
# no timeout) in RUN's results file, which is added to ours.
guest() {
	local out=$WORK/runs/$1-$3
	say "boot $1 kernel on $2: ${*:4}"
	boot_run "$@"
	if [ -s "$out/results" ]; then
		run_results "$out" >>"$RES"
	else
		record "not ok" "$1/$3/boot (no results; see above)"
	fi
}

# negative NAME KERNEL DISPLAY RUN RESULT PATTERN COMMAND...: a negative
# control. The run must fail RESULT (one of its results, e.g.
# kernel_log_clean), and its console must show PATTERN: proof that the
# oracle sees the defect that this kernel is known to have. The run's own
# results are not added: here, failing is the expected outcome.
negative() {
	local name=$1 kernel=$2 display=$3 run=$4 result=$5 pattern=$6; shift 6
	local log=$LOGS/check-${name//\//_}.log
	say "negative control on the $kernel kernel ($display): $*"
	boot_run "$kernel" "$display" "$run" "$@" >"$log" 2>&1
	judge_negative "$name" "$kernel" "$run" "$result" "$pattern" "$log"
}

# judge_negative NAME KERNEL RUN RESULT PATTERN LOG: record the negative
# control NAME: ok when the run KERNEL/RUN has a result "not ok
# KERNEL/RUN/R", R matching the ERE RESULT, and its console shows the
# ERE PATTERN; otherwise not ok, with the tail of the run's LOG.
judge_negative() {
	local name=$1 kernel=$2 run=$3 result=$4 pattern=$5 log=$6
	local out=$WORK/runs/$kernel-$run
	if grep -qxE "not ok $kernel/$run/($result)" "$out/results" 2>/dev/null &&
	   grep -qE "$pattern" "$out/console.log"; then
		record ok "$name"
	else
		record "not ok" "$name (expected $kernel/$run/$result to fail with /$pattern/ on the console; log: ${log#$TOP/})"
		tail -n 20 "$log"
	fi
}

build() {	# build VARIANT: the variant's kernel, as a result, once per run
	case " $BUILT " in *" $1 "*) return 0 ;; esac
	BUILT="$BUILT $1"
	rm -f "$(objdir "$1")/arch/x86/boot/bzImage"
	check "build_$1_kernel" "$TOP/scripts/build.sh" "$1"
}
BUILT=

need_pkgs qemu-system-x86_64 qemu-system-x86 /usr/bin/python3 python3 \
	git git patch patch


# screen_tests DISPLAY: the screen tests that guest/screen-tests runs on
# DISPLAY's framebuffer, in its order (the program says: --list).
screen_tests() {
	"$WORK/guest/bin/screen-tests" --list "$1" ||
		die "${WORK#$TOP/}/guest/bin/screen-tests --list $1 failed (make the guest: scripts/initramfs.sh)"
}

# why_fails TEST: the pattern that the console of a stock kernel that
# fails TEST must show, so that a negative control fails for its reason.
# A hung unbind on a uniprocessor test kernel stops the whole guest:
# there the test never reports (its own bound cannot fire), and the run
# ends after 20 s of silence (BOOT_IDLE).
why_fails() {
	case $1 in
	second_node_both_mapped) echo "^# $1: .*DIFF [0-9]+ pixels" ;;
	each_page_alone_reaches_screen) echo "^# $1: .*not on screen as expected after [0-9]+ ms: DIFF" ;;
	fork_child_writes) echo "^# $1: .*not on screen: DIFF" ;;
	damage_is_the_written_rows) echo "^# $1: .*(not on screen after [0-9]+ ms: DIFF|the device was sent columns)" ;;
	mprotect_keeps_tracking) echo "^# $1: .*screen not as written after [0-9]+ ms: DIFF" ;;
	pan_keeps_tracking|mode_change_keeps_tracking)
		echo "^# $1: .*not on screen within [0-9]+ ms \(no fsync\): DIFF" ;;
	rebind_after_mapping) echo "unbind of .* did not return in|^fbtest-init: running: screen-tests .*rebind_after_mapping" ;;
	*) echo "^not ok [0-9]+ $1" ;;
	esac
}

# stock_fails DISPLAY: the screen tests that the stock kernel fails there
# (STOCK_FAILS in base.conf, TEST@DISPLAY); stock_passes DISPLAY: the
# others. Both in the suite's order.
stock_fails() {
	local t all
	all=" $(echo $STOCK_FAILS) "
	# in the suite's order, which is the order the guest runs them in
	for t in $(screen_tests "$1"); do
		case $all in *" $t@$1 "*) echo "$t" ;; esac
	done
}
stock_passes() {
	local t fails
	fails=$(stock_fails "$1")
	for t in $(screen_tests "$1"); do
		grep -qxF "$t" <<<"$fails" || echo "$t"
	done
}

# stock_negatives DISPLAY MODE TEST...: the screen tests that the stock
# kernel is known to fail on DISPLAY, in one boot, in the suite's order
# (rebind_after_mapping, which can hang the guest, is last). Each is a
# negative control: its own result must be not ok (or never reported, if
# it hung) and the console must show why_fails. The run's results are not
# added: here, failing is the expected outcome.
stock_negatives() {
	local d=$1 mode=$2 t i=0 run=stock-fails-$1 log; shift 2
	[ $# -gt 0 ] || return 0
	log=$LOGS/check-negative_controls_$d.log
	say "negative controls on the base kernel ($d): screen-tests $mode $*"
	# a hung guest prints nothing more: 20 s of silence end the boot
	BOOT_TIMEOUT=90 BOOT_IDLE=20 boot_run base "$d" "$run" screen-tests "$mode" "$@" >"$log" 2>&1
	for t in "$@"; do
		i=$((i + 1))
		judge_negative "negative_control/${t}_fails_on_stock_$d" base "$run" \
			"$t|test_${i}_never_reported" "$(why_fails "$t")" "$log"
	done
}

# screen_4k: what the screen tests check of every page, at 3840x2160 on
# virtio-gpu (8100 pages: the size the benchmark measures), on the
# patched kernel.
screen_4k() {
	BOOT_SCREEN=3840x2160 guest series virtio 4k screen-tests --expect-direct \
		geometry_matches_screen scattered_pages_exact \
		each_page_alone_reaches_screen damage_is_the_written_rows
}

# screen_mainline: the screen tests on a mainline-style base (7.3, 6.12),
# stock and patched. drm_fbdev_shmem gives fbdev the GEM buffer's own
# pages on virtio-gpu and cirrus (and bochs since 6.x). A test that fails
# on the stock kernel (STOCK_FAILS in base.conf, TEST@DISPLAY) is a bug
# there: the stock kernel runs the others, and each failure is a negative
# control, which must fail for its reason (why_fails).
screen_mainline() {
	local d t mode
	for d in virtio cirrus bochs; do
		mode=--expect-direct
		case " $SHADOW_DISPLAYS " in *" $d "*) mode=--expect-shadow ;; esac
		# shellcheck disable=SC2046
		guest base "$d" "$d" screen-tests "$mode" $(stock_passes "$d")
		[ -n "$SUBMISSIONS" ] && guest series "$d" "$d" screen-tests "$mode"
		[ -n "$SUBMISSIONS" ] && [ "$d" = virtio ] && screen_4k
		# shellcheck disable=SC2046
		stock_negatives "$d" "$mode" $(stock_fails "$d")
	done
}

# the cycles of unbind_cycles_no_drift in the debug step (make soak: 50)
CHECK_SOAK_CYCLES=6
steps=${*:-tree series kernels screen kunit debug leaks mutants}
for step in $steps; do
	case " $CHECK_STEPS " in *" $step "*) ;; *) continue ;; esac
	case $step in
	tree)
		check series_fetched "$TOP/scripts/fetch.sh"
		# Not a failure: experimental moved on (the table names it).
		[ -f "$WORK/fetched" ] && warn "base $BASE: $(cat "$WORK/fetched")"
		# a base without submissions (yet) is tested stock only
		[ -n "$SUBMISSIONS" ] || continue
		check patches_match_tree "$TOP/scripts/export.sh" --compare
		for s in $SUBMISSIONS; do
			check "${s}_applies_alone" "$TOP/scripts/apply-check.sh" "$s"
		done
		# shellcheck disable=SC2086
		check submissions_apply_in_order "$TOP/scripts/apply-check.sh" $SUBMISSIONS
		check patches_carry_no_identity "$TOP/scripts/prepare.sh" --check-unsigned
		;;
	series)
		check checkpatch_strict "$TOP/scripts/checkpatch.sh"
		# the host's own oracles: once, with the first base
		[ "$BASE" = "${BASES%% *}" ] &&
			check log_oracle_self_test /usr/bin/python3 "$TOP/host/qemu.py" --self-test
		check no_struct_page_fields "$TOP/scripts/check-page-fields.sh"
		if [ -f "$BASEDIR/config/nodefio.config" ]; then
			check fbdev_builds_without_deferred_io \
				"$TOP/scripts/build.sh" nodefio drivers/video/
		fi
		if [ -n "$CHECK_MATRIX" ]; then
			say "the build matrix, each whole submission ($CHECK_MATRIX); every patch in $MATRIX, modpost, sparse: make matrix"
			results check-patches "$TOP/scripts/check-patches.sh" --tips
		fi
		check prepare_refuses_placeholder_sender "$TOP/scripts/prepare.sh" --test-refusals
		check prepare_makes_the_submissions "$TOP/scripts/prepare.sh" --test
		;;
	kernels)
		build base
		[ -n "$SUBMISSIONS" ] && build series
		check guest_initramfs "$TOP/scripts/initramfs.sh"
		;;
	screen)
		# the tests' names come from the guest program
		if [ -z "$(screen_tests virtio)" ]; then
			record "not ok" "screen_tests_listed (${WORK#$TOP/}/guest/bin/screen-tests --list virtio listed none)"
			continue
		fi
		[ "$BASE" = 5.10 ] || { screen_mainline; continue; }
		# The base keeps a shadow buffer everywhere; the series writes
		# to virtio-gpu's and cirrus's GEM buffers directly.
		# On the base, second_node_both_mapped fails (the negative
		# control below), so it runs the others by name.
		for d in virtio cirrus bochs; do
			# shellcheck disable=SC2046
			guest base "$d" "$d" screen-tests --expect-shadow $(stock_passes "$d")
		done
		guest series virtio virtio screen-tests --expect-direct
		guest series cirrus cirrus screen-tests --expect-direct
		guest series bochs bochs screen-tests --expect-shadow
		screen_4k
		guest series bochs+virtio two-fb two-fb-tests two_framebuffers_interleaved
		# shmem's huge pages forced on for virtio-gpu's GEM buffer
		guest series virtio huge stress-tests huge_pages_tracked
		# On the base, the two framebuffers share one list: one of
		# them loses writes, and the test must see it. And the base
		# write-protects through the page's own mapping, which is the
		# device node that faulted it in: a second node's PTE stays
		# writable and its writes are never flushed again.
		negative negative_control/two_fb_test_sees_shared_list base \
			bochs+virtio two-fb two_framebuffers_interleaved \
			'DIFF [0-9]+ pixels' two-fb-tests two_framebuffers_interleaved
		negative negative_control/second_node_test_sees_missed_mapping base \
			virtio second-node second_node_both_mapped \
			'step 5.*DIFF' screen-tests --expect-shadow second_node_both_mapped
		;;
	matrix)
		# Not in the default steps: make matrix (the slowest repetition,
		# moved out so that make check fits its time on two cores; the
		# series step builds each whole submission in CHECK_MATRIX).
		say "the build matrix: every patch on its own ($MATRIX)"
		results check-patches "$TOP/scripts/check-patches.sh"
		;;
	kunit)
		# the kernel that runs the suite, when it is not the test kernel
		[ "${KUNIT_KERNEL:-series}" = series ] || build "$KUNIT_KERNEL"
		say "boot the ${KUNIT_KERNEL:-series} kernel for its KUnit suite"
		results kunit "$TOP/scripts/kunit.sh"
		;;
	debug)
		build debug
		# the soak's cycles (unbind_cycles_no_drift): a few here, 50
		# in make soak
		# shellcheck disable=SC2086
		guest debug virtio stress stress-tests $SOAK_OPTIONS \
			--cycles="$CHECK_SOAK_CYCLES" $DEBUG_STRESS_TESTS
		guest debug bochs+virtio two-fb-unbind two-fb-tests unbind_one_other_exact
		# the mainline patches' new paths (a second node's open,
		# mmap and release) under lockdep and KASAN
		guest debug virtio second-node screen-tests --expect-direct second_node_both_mapped
		[ "$BASE" = 5.10 ] || continue
		# The log oracle must see a report where there is one: the
		# debug kernel with the base's use-after-free put back (its
		# virtio-gpu frees the device before the mode config). A
		# mutant of the debug kernel rebuilds a file; the stock debug
		# kernel was one more full build.
		MUTANT=$BASEDIR/mutants/virtio-gpu-use-after-free.patch build mutant-debug
		negative negative_control/log_oracle_sees_use_after_free \
			mutant-debug virtio unbind kernel_log_clean \
			'BUG: KASAN: use-after-free' stress-tests unbind_while_mapped
		;;
	soak)
		# Not in the default steps: make soak (50 cycles of unbind,
		# failed probe where the base can inject one, and bind, under
		# writers: minutes of TCG per base).
		build debug
		# make soak on its own, in a checkout that never ran make check
		check guest_initramfs "$TOP/scripts/initramfs.sh"
		# A cycle took 5-8 s on 7.3's debug kernel (79 in 600 s with
		# the boot): the boot may take 12 s a cycle, plus two minutes.
		cycles=${SOAK_CYCLES:-50}
		# shellcheck disable=SC2086
		BOOT_TIMEOUT=${BOOT_TIMEOUT:-$((120 + 12 * cycles))} \
			guest debug virtio soak stress-tests $SOAK_OPTIONS \
			--cycles="$cycles" unbind_cycles_no_drift
		;;
	mutants)
		# Negative controls of the oracles themselves: a deliberate bug
		# each, which a named test must catch (make mutants runs all).
		say "mutants: $CHECK_MUTANTS"
		# shellcheck disable=SC2086
		results mutants "$TOP/scripts/mutants.sh" $CHECK_MUTANTS
		;;
	leaks)
		build debug
		# every object allocated during the tests and leaked fails,
		# whoever allocated it: the opens, the forks (each file holds
		# a reference to the state), the unbind, a failed probe where
		# the base can make one (LEAK_TESTS in base.conf). kmemleak is
		# built into the debug kernel, off: this boot turns it on
		# (lib.sh: KMEMLEAK_ON).
		# shellcheck disable=SC2086
		BOOT_APPEND=$KMEMLEAK_ON guest debug virtio leaks stress-tests \
			$LEAK_TESTS kmemleak_clean
		;;
	*) die "unknown step '$step' (steps: tree series kernels screen kunit debug leaks mutants matrix soak)" ;;
	esac
done

touch "$WORK/check/completed"
echo
echo "check took $((SECONDS - start_all))s; results in ${RES#$TOP/}"
summary "$RES"
