#!/bin/bash
# The benchmark (make bench; not part of make check): the base and the
# patched kernel, both with the bench-only knobs of bench/, on a 3840x2160
# virtio-gpu framebuffer, measured in one invocation. Results: a table on
# stdout, work/bench/bench.csv and work/bench/bench.png.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals

need_pkgs qemu-system-x86_64 qemu-system-x86 /usr/bin/python3 python3 \
	gnuplot gnuplot-nox
"$TOP/scripts/fetch.sh"
"$TOP/scripts/build.sh" bench-base
"$TOP/scripts/build.sh" bench-series
"$TOP/scripts/initramfs.sh"
out=$WORK/bench
mkdir -p "$out"
# The base always sorts: only the patched kernel has the choice.
say "benchmark on the base kernel (sorted: the only path it has)"
boot bench-base virtio "$out/base" --xres 3840 --yres 2160 --memory 1024 \
	--no-guest-ktap --timeout 1800 --name base/ -- bench 1
say "benchmark on the patched kernel (unsorted and sorted)"
boot bench-series virtio "$out/series" --xres 3840 --yres 2160 --memory 1024 \
	--no-guest-ktap --timeout 1800 --name series/ -- bench 0 1
/usr/bin/python3 "$TOP/host/bench_report.py" "$out" \
	base="$out/base/console.log" series="$out/series/console.log" |
	tee "$out/bench.txt"
