#!/bin/bash
# Build a kernel variant out of tree, with ccache:
#
#   build.sh base      test kernel from the pristine base (tag "base")
#   build.sh series    test kernel from work/linux (base + the series)
#   build.sh VARIANT [TARGETS or make variables such as W=1]
#
# The config is tinyconfig plus the variant's fragments under config/ (the
# case below). The build folder is objdir VARIANT (scripts/lib.sh), the log
# work/logs/build-VARIANT.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: build.sh VARIANT [make targets...]}
shift
targets=("${@:-bzImage}")

need_pkgs gcc gcc make make flex flex bison bison bc bc ccache ccache \
	/usr/include/libelf.h libelf-dev /usr/include/openssl/ssl.h libssl-dev \
	perl perl

[ -d "$LINUX/.git" ] || "$TOP/scripts/fetch.sh"
# worktree_at PATH REV: a detached worktree of work/linux at REV.
worktree_at() {
	if [ ! -d "$1" ]; then
		mkdir -p "$(dirname "$1")"
		git -C "$LINUX" worktree add -q --detach "$1" "$2"
		# Same hidden .gitignore fix as work/linux (see fetch.sh).
		sed -i '/^# Debian packaging: ignore everything/,$d' "$1/.gitignore"
		git -C "$1" update-index --skip-worktree .gitignore
	fi
}

# patched_worktree PATH REV PATCH...: a worktree at REV with bench-only or
# test-only patches applied on top, uncommitted; made anew at each build.
patched_worktree() {
	local wt=$1 rev=$2; shift 2
	worktree_at "$wt" "$rev"
	git -C "$wt" checkout -q --detach "$rev"
	git -C "$wt" reset -q --hard
	git -C "$wt" apply "$@" ||
		die "patch does not apply to $rev in $wt: $*"
}

# Each variant: its tree and its config fragments (config/NAME.config).
case $variant in
base)    src=$LINUX_BASE; worktree_at "$src" base; frags="test" ;;
base-debug) src=$LINUX_BASE; worktree_at "$src" base; frags="test debug" ;;
series)  src=$LINUX; frags="test" ;;
kunit)   src=$LINUX; frags="test kunit" ;;
# the series plus the test-only hooks of patches-test/
debug)
	src=$WORK/debug/linux; frags="test debug"
	patched_worktree "$src" series "$TOP"/patches-test/*.patch ;;
compile) src=$LINUX; frags="test compile" ;;
# a worktree that check-patches.sh moves from one patch to the next
prefix)  src=$LINUX_PREFIX; worktree_at "$src" base; frags="test compile" ;;
nodefio) src=$LINUX; frags="nodefio" ;;
# the benchmark's kernels: base and series with the bench-only knobs
bench-base)
	src=$WORK/bench-base/linux; frags="test"
	patched_worktree "$src" base "$TOP"/bench/0001-*.patch ;;
bench-series)
	src=$WORK/bench-series/linux; frags="test"
	patched_worktree "$src" series "$TOP"/bench/0001-*.patch "$TOP"/bench/0002-*.patch ;;
*) die "unknown variant '$variant' (base base-debug series kunit debug compile prefix nodefio bench-base bench-series)" ;;
esac
fragments=()
for f in $frags; do fragments+=("$TOP/config/$f.config"); done
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "no config fragment $f for variant '$variant'"
done

out=$(objdir "$variant")
mkdir -p "$out"
make_k() { make -C "$src" O="$out" CC="ccache gcc" HOSTCC="ccache gcc" "$@"; }

# Regenerate .config only when the fragments changed.
stamp=$(cat "${fragments[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.fragments" 2>/dev/null)" != "$stamp" ]; then
	cfg() {
		make_k tinyconfig &&
		KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" \
			-m -O "$out" "$out/.config" "${fragments[@]}" &&
		make_k olddefconfig
	}
	run_logged "$LOGS/config-$variant.log" "configure $variant" cfg
	# Every option a fragment asks for must have survived olddefconfig.
	bad=0
	for f in "${fragments[@]}"; do
		while IFS= read -r line; do
			case $line in CONFIG_*=*) ;; *) continue ;; esac
			if [ "${line#*=}" = n ]; then
				grep -qE "^${line%%=*}=[ym]$" "$out/.config" || continue
			else
				grep -qxF "$line" "$out/.config" && continue
			fi
			echo "config: $line from ${f#$TOP/} did not take effect" >&2
			bad=1
		done <"$f"
	done
	[ $bad = 0 ] || die "unmet config options (dependencies missing?), see $out/.config"
	echo "$stamp" >"$out/.fragments"
fi

run_logged "$LOGS/build-$variant.log" "build $variant (${targets[*]}, -j$NPROC)" \
	make_k -j"$NPROC" "${targets[@]}"
