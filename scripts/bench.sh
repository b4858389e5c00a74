#!/bin/bash
# The benchmark (make bench; not part of make check): the base and the
# patched kernel, both with the bench-only knobs of bench/, on a 3840x2160
# virtio-gpu framebuffer, measured in one invocation and three boots:
#
#   base    bench-base: the pristine kernel (a shadow buffer, always sorted)
#   direct  bench-series: DRM's fbdev maps the GEM pages (unsorted, sorted)
#   shadow  bench-series booted with drm_kms_helper.fbdev_force_shadow=1:
#           the old vmalloc shadow + copy (unsorted, sorted)
#
# guest/bench.c measures, host/bench_report.py summarises: markdown tables
# and the ratios on stdout (also work/bench/bench.txt), work/bench/bench.csv
# and work/bench/bench.png (gnuplot). Any failure (a boot, a missing knob,
# the screen oracle, a missing result) stops the run with an error.
#
# Environment:
#   BENCH_NO_BUILD=1   skip scripts/fetch.sh and scripts/build.sh: use the
#                      bench-base and bench-series kernels already built in
#                      work/bench-*/build (no kernel build, not even a make
#                      that finds nothing to do; fails when one is missing)
#   BENCH_GUEST_OPTS   options for the guest program before its arguments,
#                      e.g. "--quick --reps 2 --frames 2" to try the
#                      pipeline out in a minute (the numbers then mean little)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals
start=$SECONDS

need_pkgs qemu-system-x86_64 qemu-system-x86 /usr/bin/python3 python3 \
	gnuplot gnuplot-nox
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
	for v in bench-base bench-series; do
		bz=$(objdir "$v")/arch/x86/boot/bzImage
		[ -f "$bz" ] || die "BENCH_NO_BUILD=1, but there is no $v kernel at ${bz#"$TOP"/} (run without BENCH_NO_BUILD once)"
		say "BENCH_NO_BUILD=1: $v kernel as built at $(date -r "$bz" '+%F %T') (not rebuilt)"
	done
else
	"$TOP/scripts/fetch.sh"
	"$TOP/scripts/build.sh" bench-base
	"$TOP/scripts/build.sh" bench-series
fi
"$TOP/scripts/initramfs.sh"
out=$WORK/bench
rm -rf "$out/base" "$out/direct" "$out/shadow" "$out/series" \
	"$out/bench.txt" "$out/bench.csv" "$out/bench.png" "$out/bench.dat"
mkdir -p "$out"

# bench_boot MODE VARIANT [qemu.py options...]: one boot, MODE's results in
# work/bench/MODE; the guest gets MODE and the orderings to measure.
bench_boot() {
	local mode=$1 variant=$2 sorts; shift 2
	case $mode in base) sorts="1" ;; *) sorts="0 1" ;; esac
	say "benchmark: $mode ($variant $*), orderings: $sorts"
	# shellcheck disable=SC2086 # BENCH_GUEST_OPTS and sorts are word lists
	boot "$variant" virtio "$out/$mode" --xres 3840 --yres 2160 \
		--memory 1024 --no-guest-ktap --timeout 1800 --name "$mode/" "$@" \
		-- bench ${BENCH_GUEST_OPTS:-} "$mode" $sorts ||
		die "benchmark boot '$mode' failed (see above; console: ${out#"$TOP"/}/$mode/console.log)"
}

# The base always sorts: only the patched kernel has the choice.
bench_boot base bench-base
bench_boot direct bench-series
bench_boot shadow bench-series --append drm_kms_helper.fbdev_force_shadow=1
/usr/bin/python3 "$TOP/host/bench_report.py" "$out" \
	base="$out/base/console.log" direct="$out/direct/console.log" \
	shadow="$out/shadow/console.log" >"$out/bench.txt" ||
	die "bench_report.py failed (above)"
cat "$out/bench.txt"
say "benchmark done in $((SECONDS - start)) s: ${out#"$TOP"/}/bench.txt, bench.csv, bench.png"
