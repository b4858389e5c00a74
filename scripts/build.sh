#!/bin/bash
# Build a kernel variant out of tree, with ccache:
#
#   build.sh VARIANT [TARGETS or make variables such as W=1]
#
# Each variant is a tree and a list of config fragments (the table below);
# the config is tinyconfig of the variant's architecture plus the
# fragments under bases/$BASE/config/. The build folder is objdir VARIANT
# (scripts/lib.sh), the log work/$BASE/logs/build-VARIANT.log. Without targets,
# the variant's kernel image is built.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals

variant=${1:?usage: build.sh VARIANT [make targets...]}

# One build at a time (make check builds the kernels of its bases side by
# side with their boots), and below everything else in priority: a boot
# running beside a build keeps its CPU, its timings stay those of a guest
# alone.
if [ -z "${BUILD_LOCKED:-}" ]; then
	BUILD_LOCKED=1 one_at_a_time build nice -n 19 "$0" "$@"
	exit
fi
shift

need_pkgs gcc gcc make make flex flex bison bison bc bc ccache ccache \
	/usr/include/libelf.h libelf-dev /usr/include/openssl/ssl.h libssl-dev \
	perl perl

[ -d "$LINUX/.git" ] || "$TOP/scripts/fetch.sh"

# patched_worktree PATH REV PATCH...: the working copy at REV with test-only
# or bench-only patches applied on top, uncommitted; made anew at each build.
patched_worktree() {
	local wt=$1 rev=$2; shift 2
	worktree_at "$wt" "$rev"
	[ -e "${1:-}" ] || return 0	# an unmatched glob: this base has none
	git -C "$wt" apply "$@" ||
		die "patch does not apply to $rev in $wt: $*"
}

# if_base_has NAME: NAME when this base has the fragment config/NAME.config
# (the KUnit suite, say, is not on every base yet).
if_base_has() { [ ! -f "$BASEDIR/config/$1.config" ] || echo "$1"; }

arch=x86_64
# Every variant builds in the one working copy (lib.sh: SRC), checked out
# at the variant's revision.
src=$SRC
# Each variant: its revision and its config fragments
# (bases/$BASE/config/NAME.config).
case $variant in
# the test kernels: base, and base + every submission (stack_tree)
base)       worktree_at "$src" base; frags="test" ;;
# the KUnit suite is built into the stack's test kernel and runs at every
# boot; its results are printed at KERN_INFO, below the console loglevel
# of the screen tests' boots
series)     stack_tree >/dev/null
	    frags=test
	    [ "${KUNIT_KERNEL:-series}" = series ] && frags="test $(if_base_has kunit)" ;;
# the kernel's bug detectors, on the stack plus the test-only hooks of
# patches-test/ (the KUnit suite runs under them at boot too); and the
# same with one deliberate bug (mutant-debug: scripts/mutants.sh sets
# MUTANT, a file of bases/$BASE/mutants/, applied below)
debug|mutant-debug)
	patched_worktree "$src" "$(stack_tree)" "$BASEDIR"/patches-test/*.patch
	frags="test $(if_base_has kunit) debug" ;;
# one deliberate bug on the stack as the series kernel has it
mutant)
	patched_worktree "$src" "$(stack_tree)"
	frags=test
	[ "${KUNIT_KERNEL:-series}" = series ] && frags="test $(if_base_has kunit)" ;;
# the debug kernel at a prefix of the series (scripts/bisect-boot.sh
# checks the working copy out)
bisect)     frags="test debug" ;;
# compile coverage of every deferred-I/O user, and fbdev without it
compile)    stack_tree >/dev/null; frags="test compile" ;;
nodefio)    stack_tree >/dev/null; frags="nodefio" ;;
# the build matrix: check-patches.sh moves the working copy from one patch
# to the next, built in five configurations
prefix-x86_64)  frags="test compile" ;;
prefix-modules) frags="test compile modules" ;;
prefix-i386)    frags="i386 compile"; arch=i386 ;;
prefix-arm64)   frags="arm64"; arch=arm64 ;;
prefix-nommu)   frags="nommu"; arch=riscv ;;
# the benchmark's kernels: base and the stack, with the bench-only knobs
bench-base)
	frags="test"
	patched_worktree "$src" base "$BASEDIR"/bench/base-*.patch ;;
bench-series)
	frags="test"
	patched_worktree "$src" "$(stack_tree)" "$BASEDIR"/bench/series-*.patch ;;
# the same with the function graph tracer (bench.sh --trace)
bench-trace-base)
	frags="test trace"
	patched_worktree "$src" base "$BASEDIR"/bench/base-*.patch ;;
bench-trace-series)
	frags="test trace"
	patched_worktree "$src" "$(stack_tree)" "$BASEDIR"/bench/series-*.patch ;;
*) die "unknown variant '$variant' (base series debug compile nodefio prefix-x86_64 prefix-modules prefix-i386 prefix-arm64 prefix-nommu bisect bench-base bench-series bench-trace-base bench-trace-series mutant mutant-debug)" ;;
esac
case $variant in
mutant*)
	[ -f "${MUTANT:-}" ] || die "variant $variant needs MUTANT, a file of bases/$BASE/mutants/"
	git -C "$src" apply "$MUTANT" ||
		die "the mutant ${MUTANT#$TOP/} does not apply to the stack in $src" ;;
esac
[ -d "$src" ] || die "no tree for $variant at $src"

cross=()
case $arch in
x86_64) image=bzImage ;;
i386)   image=bzImage; cross=(ARCH=i386) ;;
arm64)
	need_pkgs aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
	image=Image
	cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
riscv)
	need_pkgs riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu
	image=Image
	cross=(ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-) ;;
esac
targets=("${@:-$image}")

# The architecture's own fragment first, when there is one.
[ -f "$BASEDIR/config/arch-$arch.config" ] && frags="arch-$arch $frags"
fragments=()
for f in $frags; do fragments+=("$BASEDIR/config/$f.config"); done
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "no config fragment $f for variant '$variant'"
done

out=$(objdir "$variant")
mkdir -p "$out"
cc=gcc
[ "$arch" = arm64 ] && cc=aarch64-linux-gnu-gcc
[ "$arch" = riscv ] && cc=riscv64-linux-gnu-gcc
# The compilers' memory in huge pages (host/thp_preload.c, preloaded into
# make and everything it runs; BUILD_THP=0 leaves it out), and no
# temporary files between the compiler and the assembler (-pipe). Neither
# changes an object. 7.3's test kernel, empty ccache, alone: 7 min 21 s
# without them, 6 min 19 s with them (CPU 830 -> 706 s, of it system
# 249 -> 201 s).
thp_preload=
if [ "${BUILD_THP:-1}" = 1 ]; then
	thp_preload=$WORKROOT/host/thp_preload.so
	if [ ! "$thp_preload" -nt "$TOP/host/thp_preload.c" ]; then
		mkdir -p "${thp_preload%/*}"
		gcc -O2 -Wall -shared -fPIC -o "$thp_preload.tmp" \
			"$TOP/host/thp_preload.c" -ldl &&
			mv "$thp_preload.tmp" "$thp_preload" ||
			die "cannot build ${thp_preload#$TOP/} from host/thp_preload.c (BUILD_THP=0 builds without it)"
	fi
fi
make_k() {
	LD_PRELOAD="$thp_preload${LD_PRELOAD:+ $LD_PRELOAD}" \
	make -C "$src" O="$out" "${cross[@]}" CC="ccache $cc" \
		HOSTCC="ccache gcc" KCFLAGS="-pipe${KCFLAGS:+ $KCFLAGS}" "$@"
}

# The kernel cache: an x86 kernel image is kept by what made it, as ccache
# keeps objects: the source (the checked-out tree, with any uncommitted
# test-only, bench or mutant patch and any file such a patch added), the
# .config, the toolchain's versions. A fresh clone's make check then boots
# the image of an identical build instead of running make over the ccache
# again (30-40 s a kernel, about 15 kernels). Only a kernel image (no
# targets or make variables given); KERNEL_CACHE=0 always builds.
KERNEL_CACHE_DIR=${KERNEL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fbdev-defio/kernels}
# source_state: the checked-out tree and what is not committed in it;
# toolchain: the versions of the tools that build it.
source_state() {
	git -C "$src" rev-parse 'HEAD^{tree}'
	git -C "$src" diff --binary HEAD
	(cd "$src" && git ls-files -z --others --exclude-standard |
		xargs -0r sha256sum)
}
toolchain() { "$cc" --version; ld --version; make --version; }
image_key() {
	{
		echo "kernel cache format 1: $arch $image"
		source_state
		cat "$out/.config"
		toolchain
	} | sha256sum | cut -d' ' -f1
}
# The .config is kept the same way, by what makes it: the fragments (their
# stamp) and the source (its Kconfig files and the compiler, which Kconfig
# asks). A fresh clone copies it instead of configuring again (about 13 s
# a kernel, under the build lock). KERNEL_CACHE=0 always configures.
config_key() {
	{
		echo "config cache format 1: $arch $stamp"
		source_state
		toolchain
	} | sha256sum | cut -d' ' -f1
}
# copy_atomic FROM TO: TO appears whole or not at all
copy_atomic() { mkdir -p "$(dirname "$2")" && cp "$1" "$2.tmp.$$" && mv "$2.tmp.$$" "$2"; }

# Regenerate .config only when the fragments changed, from the cache when
# an identical source and the same fragments made one before.
stamp=$( (echo "$arch"; cat "${fragments[@]}") | sha256sum | cut -d' ' -f1)
config_stale() { [ ! -f "$out/.config" ] || [ "$(cat "$out/.fragments" 2>/dev/null)" != "$stamp" ]; }
config_cached=
if [ "${KERNEL_CACHE:-1}" = 1 ] && config_stale; then
	config_cached=$KERNEL_CACHE_DIR/$(config_key).config ||
		die "cannot compute the config cache key of $variant in $src"
	if [ -f "$config_cached" ]; then
		copy_atomic "$config_cached" "$out/.config" ||
			die "cannot copy $config_cached into $out"
		touch "$config_cached"
		echo "$stamp" >"$out/.fragments"
		say "configure $variant: the .config of an identical configuration (kernel cache)"
	fi
fi
if config_stale; then
	cfg() {
		make_k tinyconfig &&
		KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" \
			-m -O "$out" "$out/.config" "${fragments[@]}" &&
		make_k olddefconfig
	}
	run_logged "$LOGS/config-$variant.log" "configure $variant" cfg
	# Every option the fragments ask for (the last one that names it
	# wins, as in merge_config.sh) must have survived olddefconfig.
	# With LENIENT_CONFIG=1 (a tree stepped through the series), an option
	# that this tree does not know yet is left out.
	bad=0
	while IFS=' ' read -r line f; do
		if [ "${LENIENT_CONFIG:-0}" = 1 ] &&
		   ! grep -qE "^(# )?${line%%=*}[= ]" "$out/.config"; then
			continue
		fi
		if [ "${line#*=}" = n ]; then
			grep -qE "^${line%%=*}=[ym]$" "$out/.config" || continue
		else
			grep -qxF "$line" "$out/.config" && continue
		fi
		echo "config: $line from ${f#$TOP/} did not take effect" >&2
		bad=1
	done < <(awk '/^CONFIG_[A-Za-z0-9_]+=/ { split($0, kv, "="); want[kv[1]] = $0 " " FILENAME }
		END { for (k in want) print want[k] }' "${fragments[@]}")
	[ $bad = 0 ] || die "unmet config options (dependencies missing?), see $out/.config"
	echo "$stamp" >"$out/.fragments"
	# a configuration that met every option is kept (not a lenient one)
	if [ -n "$config_cached" ] && [ "${LENIENT_CONFIG:-0}" != 1 ]; then
		copy_atomic "$out/.config" "$config_cached"
		ls -t "$KERNEL_CACHE_DIR"/*.config 2>/dev/null | tail -n +121 | xargs -r rm -f
	fi
fi

cached=
if [ $# -eq 0 ] && [ "$arch" = x86_64 ] && [ "${KERNEL_CACHE:-1}" = 1 ]; then
	cached=$KERNEL_CACHE_DIR/$(image_key).$image ||
		die "cannot compute the kernel cache key of $variant in $src"
	if [ -f "$cached" ]; then
		copy_atomic "$cached" "$out/arch/x86/boot/$image" ||
			die "cannot copy $cached into $out"
		touch "$cached"
		say "build $variant: the image of an identical build (kernel cache: ${cached/#$HOME/\~})"
		exit 0
	fi
fi

run_logged "$LOGS/build-$variant.log" "build $variant (${targets[*]}, -j$NPROC)" \
	make_k -j"$NPROC" "${targets[@]}"

if [ -n "$cached" ]; then
	copy_atomic "$out/arch/x86/boot/$image" "$cached"
	# the 60 images used last are kept
	ls -t "$KERNEL_CACHE_DIR"/*."$image" 2>/dev/null | tail -n +61 | xargs -r rm -f
fi
