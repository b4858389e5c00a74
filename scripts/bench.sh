#!/bin/bash
# The benchmark (make bench; not part of make check): a base's kernel as
# released and with its submissions, both with the bench-only knobs of
# bases/BASE/bench/, on a 3840x2160 virtio-gpu framebuffer, in one
# invocation. The modes are the base's BENCH_MODES (base.conf); 5.10's:
#
#   base    bench-base: the pristine kernel (a shadow buffer, always sorted)
#   direct  bench-series: DRM's fbdev maps the GEM pages (unsorted, sorted)
#   shadow  bench-series booted with drm_kms_helper.fbdev_force_shadow=1:
#           the old vmalloc shadow + copy (unsorted, sorted)
#
# and 7.3's (make bench BASE=7.3): stock (bench-base) and patched
# (bench-series), both on the GEM pages, unsorted and sorted.
#
# Each mode boots BENCH_BOOTS times (default 3), interleaved (base, direct,
# shadow, base, direct, shadow, ...), so that a drift of the host spreads
# over the modes instead of landing on one. guest/bench.c measures,
# host/bench_report.py summarises: per boot the median of its runs, then
# the median of those and their spread (min-max) between the boots, as
# markdown in work/BASE/bench/bench.md (also on stdout), which make bench
# puts into README.md (scripts/readme-table.sh bench, bench-7.3): every
# figure the README states comes from that file. Also bench.csv and
# bench.png (gnuplot). Any failure (a boot, a missing knob, the screen
# oracle, a missing result) stops the run with an error.
#
# Environment:
#   BENCH_BOOTS=N      boots per mode (default 3; at least 2 for a spread)
#   BENCH_NO_BUILD=1   skip scripts/fetch.sh and scripts/build.sh: use the
#                      kernels of BENCH_MODES already built in
#                      work/BASE/src/build (no kernel build, not even a make
#                      that finds nothing to do; fails when one is missing)
#   BENCH_GUEST_OPTS   options for the guest program before its arguments,
#                      e.g. "--quick --reps 2 --frames 2" to try the
#                      pipeline out in a minute (the numbers then mean little)
#   BENCH_NO_README=1  leave README.md as it is
#
#   bench.sh --trace   only where the writes of a flush period go (the
#                      function graph tracer; see below)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals
lock_base
start=$SECONDS

need_pkgs qemu-system-x86_64 qemu-system-x86 /usr/bin/python3 python3 \
	gnuplot gnuplot-nox
# bench_qemu VARIANT DIR [qemu.py options...] -- GUEST...: a benchmark
# boot on the 3840x2160 virtio-gpu display, its console in DIR; dies,
# naming the console, when the boot fails.
bench_qemu() {
	local variant=$1 dir=$2; shift 2
	boot "$variant" virtio "$dir" --xres 3840 --yres 2160 --memory 1024 \
		--no-guest-ktap --timeout 1800 --name "${dir##*/}/" "$@" ||
		die "benchmark boot ${dir##*/} ($variant) failed (see above; console: ${dir#"$TOP"/}/console.log)"
}

# bench.sh --trace: only where the writes of a flush period go, with the
# function graph tracer (the bench-trace-* kernels): one boot of each of
# BENCH_MODES (5.10: base, direct, shadow), summarised side by side, with the
# floor's fault, by host/bench_trace.py into work/5.10/bench-trace/trace.md.
if [ "${1:-}" = --trace ]; then
	[ -f "$BASEDIR/config/trace.config" ] ||
		die "make bench-trace is for 5.10 (bases/$BASE has no config/trace.config)"
	if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
		for v in $(bench_variants); do
			"$TOP/scripts/build.sh" "bench-trace-${v#bench-}"
		done
	fi
	"$TOP/scripts/initramfs.sh"
	out=$WORK/bench-trace
	rm -rf "$out"
	mkdir -p "$out"
	logs=()
	# BENCH_MODES, each on the tracing kernel of its bench kernel
	for m in $BENCH_MODES; do
		IFS=: read -r mode variant param <<<"$m"
		variant=bench-trace-${variant#bench-}
		say "benchmark trace: $mode ($variant${param:+ $param})"
		bench_qemu "$variant" "$out/$mode" ${param:+--append "$param"} \
			-- bench --trace "$mode" 1 >/dev/null
		logs+=("$mode=$out/$mode/console.log")
	done
	/usr/bin/python3 "$TOP/host/bench_trace.py" "${logs[@]}" >"$out/trace.md" ||
		die "bench_trace.py failed (above)"
	say "benchmark trace: ${out#"$TOP"/}/trace.md"
	exit 0
fi

[ -n "${BENCH_MODES:-}" ] || die "bases/$BASE/base.conf sets no BENCH_MODES: no benchmark on $BASE (bases with one: $(grep -l '^BENCH_MODES=' "$TOP"/bases/*/base.conf | sed 's#.*/bases/\([^/]*\)/.*#\1#' | tr '\n' ' '))"
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
	for v in $(bench_variants); do
		bz=$(objdir "$v")/arch/x86/boot/bzImage
		[ -f "$bz" ] || die "BENCH_NO_BUILD=1, but there is no $v kernel at ${bz#"$TOP"/} (run without BENCH_NO_BUILD once)"
		say "BENCH_NO_BUILD=1: $v kernel as built at $(date -r "$bz" '+%F %T') (not rebuilt)"
	done
else
	"$TOP/scripts/fetch.sh"
	for v in $(bench_variants); do
		"$TOP/scripts/build.sh" "$v"
	done
fi
"$TOP/scripts/initramfs.sh"
out=$WORK/bench
boots=${BENCH_BOOTS:-3}
[[ $boots =~ ^[1-9][0-9]*$ ]] || die "BENCH_BOOTS must be a number of boots, not '$boots'"
rm -rf "$out"
mkdir -p "$out"

# bench_boot MODE I VARIANT [qemu.py options...]: boot I of MODE, its
# console in work/BASE/bench/MODE-I; the guest gets MODE and the
# orderings to measure.
bench_boot() {
	local mode=$1 i=$2 variant=$3 sorts; shift 3
	# 5.10's base always sorts: it has no knob for the ordering
	case $mode in base) sorts="1" ;; *) sorts="0 1" ;; esac
	say "benchmark: boot $i of $boots, $mode ($variant $*), orderings: $sorts"
	# shellcheck disable=SC2086 # BENCH_GUEST_OPTS and sorts are word lists
	bench_qemu "$variant" "$out/$mode-$i" "$@" \
		-- bench ${BENCH_GUEST_OPTS:-} "$mode" $sorts
	logs+=("$mode=$out/$mode-$i/console.log")
}

logs=()
for i in $(seq "$boots"); do
	# each MODE:VARIANT[:BOOT PARAMETER] of base.conf
	for m in $BENCH_MODES; do
		IFS=: read -r mode variant param <<<"$m"
		bench_boot "$mode" "$i" "$variant" ${param:+--append "$param"}
	done
done
/usr/bin/python3 "$TOP/host/bench_report.py" "$out" "${logs[@]}" >"$out/bench.md" ||
	die "bench_report.py failed (above)"
cat "$out/bench.md"
[ "${BENCH_NO_README:-0}" = 1 ] || "$TOP/scripts/readme-table.sh" "$(bench_marker "$BASE")"
say "benchmark done in $((SECONDS - start)) s: ${out#"$TOP"/}/bench.md, bench.csv, bench.png"
