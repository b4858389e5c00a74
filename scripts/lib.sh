# Shared by every step: paths, logging, package checks, long-step runner.
# Sourced, not executed.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$TOP/work}
LINUX=$WORK/linux                 # the kernel tree: base tag + series commits
LINUX_BASE=$WORK/base/linux       # worktree of the base tag (for base builds)
LINUX_PREFIX=$WORK/prefix/linux   # worktree stepped through the series
PATCHES=$TOP/patches
LOGS=$WORK/logs
NPROC=$(nproc)

# Every user of fbdev deferred I/O in the base: the core and the 13 files
# the series converts.
DEFIO_USERS="drivers/video/fbdev/core/fb_defio.c
drivers/gpu/drm/drm_fb_helper.c
drivers/gpu/drm/vmwgfx/vmwgfx_fb.c
drivers/hid/hid-picolcd_fb.c
drivers/staging/fbtft/fbtft-core.c
drivers/video/fbdev/udlfb.c
drivers/video/fbdev/smscufx.c
drivers/video/fbdev/hyperv_fb.c
drivers/video/fbdev/xen-fbfront.c
drivers/video/fbdev/metronomefb.c
drivers/video/fbdev/broadsheetfb.c
drivers/video/fbdev/hecubafb.c
drivers/video/fbdev/ssd1307fb.c
drivers/video/fbdev/sh_mobile_lcdcfb.c"

# ccache keeps its default cache (~/.cache/ccache): shared by every clone.
export CCACHE_BASEDIR=$WORK
export CCACHE_NOHASHDIR=1

# A variant's build folder. ccache hashes source paths relative to the
# build folder (CCACHE_BASEDIR), so every build folder sits two levels
# below the folder of its tree: ../../linux is the source in each case and
# the base and the series share the cache for the files they share.
objdir() {
	case $1 in
	base*) echo "$WORK/base/build/$1" ;;
	bench-*|debug) echo "$WORK/$1/build/$1" ;;
	prefix) echo "$WORK/prefix/build/prefix" ;;
	*) echo "$WORK/build/$1" ;;
	esac
}

# boot VARIANT DISPLAY OUT [qemu.py options...] -- GUEST COMMAND...
# Boot a built kernel variant with the guest initramfs under host/qemu.py:
# console, screens and results go to OUT. The one place that starts QEMU.
boot() {
	local variant=$1 display=$2 out=$3; shift 3
	local bz
	bz=$(objdir "$variant")/arch/x86/boot/bzImage
	[ -f "$bz" ] || { warn "no $variant kernel at $bz (scripts/build.sh $variant)"; return 1; }
	/usr/bin/python3 "$TOP/host/qemu.py" --kernel "$bz" \
		--initrd "$WORK/initramfs.cpio.gz" --display "$display" \
		--out "$out" "$@"
}

say()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# need_cmd CMD PACKAGE: install PACKAGE from Debian's archive when CMD is
# missing, and say so; fail naming the package when that is not possible.
need_pkgs() {
	local missing=() cmd pkg
	while [ $# -ge 2 ]; do
		cmd=$1 pkg=$2; shift 2
		case $cmd in
		/*) [ -e "$cmd" ] || missing+=("$pkg") ;;
		*) command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg") ;;
		esac
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing missing Debian packages: ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		die "missing packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})"
	fi
	mkdir -p "$LOGS"
	if ! { apt-get install -y -q "${missing[@]}" ||
	       { apt-get update -q && apt-get install -y -q "${missing[@]}"; }; } \
	     >"$LOGS/apt-install.log" 2>&1 </dev/null; then
		tail -n 20 "$LOGS/apt-install.log" >&2
		die "could not install: ${missing[*]} (log: $LOGS/apt-install.log)"
	fi
}

# run_logged LOG DESCRIPTION CMD...: run a long step with its output in LOG,
# a progress line every 15 s, and the tail of LOG (first error first) when
# it fails.
run_logged() {
	local log=$1 what=$2; shift 2
	mkdir -p "$(dirname "$log")"
	local start=$SECONDS
	say "$what (log: ${log#$TOP/})"
	"$@" >"$log" 2>&1 </dev/null &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if (( (SECONDS - start) % 15 == 0 )) && kill -0 "$pid" 2>/dev/null; then
			printf '    ... %s: %ds, %s\n' "$what" $((SECONDS - start)) \
				"$(tail -n 1 "$log" | cut -c1-100)" >&2
		fi
	done
	if wait "$pid"; then
		say "$what: done in $((SECONDS - start))s"
		return 0
	fi
	printf 'error: %s failed after %ds\n' "$what" $((SECONDS - start)) >&2
	local first
	first=$(grep -m1 -nE '(error|Error|ERROR)[: ]' "$log" || true)
	[ -n "$first" ] && printf 'first error (line %s)\n' "$first" >&2
	printf -- '--- last 30 lines of %s ---\n' "$log" >&2
	tail -n 30 "$log" >&2
	return 1
}
