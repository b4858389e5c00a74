#!/bin/bash
# What a maintainer and the build robots run on every patch: each prefix of
# each submission (lib.sh: SUBMISSIONS), alone on the base, in the working
# copy work/BASE/src/linux, built in five configurations:
#
#   x86_64   test kernel + config/compile.config, everything built in
#   modules  the same with fbdev, DRM and every converted driver as modules
#            (config/modules.config); and fb.o, the fbdev core's
#            composite object, linked (ld -r)
#   i386     32-bit (config/i386.config + compile.config)
#   arm64    the users that build there (config/arm64.config), with
#            Debian's aarch64 cross compiler
#   nommu    riscv64 without an MMU (config/nommu.config): fb_defio.c and
#            the users that select FB_DEFERRED_IO there, fbtft and
#            ssd1307fb, with Debian's riscv64 cross compiler
#
# For each configuration, the objects are the deferred-I/O users that it
# reaches (a user that a configuration must reach and does not is a
# failure) and every .c file the submission touches, all with W=1: no
# warning (by file and message; line numbers move) that the base does not
# have. Where a submission changes a header under include/, make matrix
# also builds all of drivers/video/ and drivers/gpu/drm/ (x86_64, W=1),
# base against the whole stack. Then, on the whole stack: modpost of the
# module configuration (every module links, every symbol it needs is
# exported), sparse (C=2) and scripts/kernel-doc on the touched files:
# nothing new against the base.
#
# Prints one result line per check, "ok NAME" or "not ok NAME", for
# check.sh, and the warning counts per configuration on stderr.
#
#   check-patches.sh          every prefix of every submission, in every
#                             configuration of MATRIX (base.conf), and
#                             modpost, sparse and kernel-doc (make matrix)
#   check-patches.sh --tips   each whole submission alone on the base, in
#                             the configurations of CHECK_MATRIX only, and
#                             kernel-doc (make check: the cheap part of
#                             the matrix; modpost needs the modules
#                             configuration, sparse the x86_64 one)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals

tips=0
[ "${1:-}" = --tips ] && tips=1
need_pkgs sparse sparse aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu \
	riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu
CONFIGS=$MATRIX
[ $tips = 1 ] && CONFIGS=$CHECK_MATRIX
[ -n "$CONFIGS" ] || die "base $BASE has no build matrix (base.conf: MATRIX, CHECK_MATRIX)"
has_config() { [[ " $CONFIGS " == *" $1 "* ]]; }
wdir=$WORK/src/warnings
rm -rf "$wdir"
mkdir -p "$wdir"
worktree_at "$SRC" base

# users CONFIG: the deferred-I/O users a configuration must build
# (base.conf: MATRIX_USERS, or DEFIO_USERS).
users() {
	local all=${MATRIX_USERS:-$DEFIO_USERS}
	case $1 in
	arm64) echo "$all" | grep -vE 'hyperv_fb|vmwgfx|hecubafb' ;;
	nommu) echo "$all" | grep -E 'fb_defio|fbtft|ssd1307fb' ;;
	*) echo "$all" ;;
	esac
}

# touched: every .c file that a submission changes (new files included).
touched() {
	local s
	for s in $SUBMISSIONS; do
		git -C "$LINUX" diff --name-only --diff-filter=AM base "$s" -- '*.c'
	done | sort -u
}

# warnings LOG: "file: message" of every warning and error in a build log,
# once per time it was printed (a second identical warning counts): the
# compiler's (file:line: warning|error:), objtool's (file.o: warning:
# objtool: ...), modpost's and Kconfig's (WARNING: ...) and the linker's
# (ld: warning: ...). Line numbers are dropped: they move. A file is named
# from the top of the tree: the compiler names it by the absolute path of
# the clone that compiled it first, whose output ccache replays in every
# clone (lib.sh: CCACHE_BASEDIR), so a warning of the base compiled in
# another clone would otherwise be new here. A header's warning is
# printed again for every file that includes it: it counts once, or a new
# file that includes an old header would add one.
warnings() {
	sed -nE -e 's#^(\.\./)*([^ :]+):[0-9]+(:[0-9]+)?: (warning|error): (.*)$#\2: \5#p' \
		-e 's#^(\.\./)*([^ :]+\.o): warning: (objtool: .*)$#\2: \3#p' \
		-e 's#^(WARNING|ERROR): (modpost: .*)$#\2#p' \
		-e 's#^WARNING: (unmet direct dependencies detected for .*)$#Kconfig: \1#p' \
		-e 's#^(\S*ld(\.bfd)?): (warning: .*)$#ld: \3#p' "$1" |
		sed -E 's#^/[^ :]*/src/linux/##' |
		awk '!($0 ~ /^[^:]*\.h: / && seen[$0]++)' | sort
}

# build_at REV CONFIG NAME [make variables]: build the configuration's
# objects that exist at REV, keep the warnings in $wdir/CONFIG/NAME.
# With FULL=1 every object is built again (ccache replays the warnings of
# what it has seen before); otherwise make rebuilds what the checkout of
# REV changed, which is where a patch can add a warning. Returns non-zero
# when the build fails.
build_at() {
	local rev=$1 cfg=$2 name=$3; shift 3
	local variant=prefix-$cfg out o objs=() rc=0
	git -C "$SRC" checkout -q --detach "$rev"
	out=$(objdir "$variant")
	mkdir -p "$wdir/$cfg"
	# Configure again when the Kconfig files changed since this
	# configuration's last build: options come and go with the patches.
	local last
	last=$(cat "$wdir/$cfg.rev" 2>/dev/null || echo none)
	if [ "$last" = none ] ||
	   ! git -C "$SRC" diff --quiet "$last" "$rev" -- ':(glob)**/Kconfig*'; then
		rm -f "$out/.fragments"
	fi
	echo "$rev" >"$wdir/$cfg.rev"
	while read -r o; do
		[ -f "$SRC/${o%.o}.c" ] || continue
		objs+=("$o")
		if [ "${FULL:-0}" = 1 ]; then rm -f "$out/$o"; fi
	done <"$wdir/$cfg.objects"
	# the composite fb.o (ld -r of its parts), where a second module_init
	# (kunit_test_suites() in a file linked into fb.o) would fail
	# (not fb.ko: since 6.x a single module's modpost wants vmlinux's
	# symbols, which modules_link_and_pass_modpost below builds once)
	[ "$cfg" = modules ] && objs+=(drivers/video/fbdev/core/fb.o)
	LENIENT_CONFIG=1 "$TOP/scripts/build.sh" "$variant" "$@" "${objs[@]}" \
		>/dev/null 2>&1 || rc=1
	warnings "$LOGS/build-$variant.log" >"$wdir/$cfg/$name"
	return $rc
}

result() {	# result RC NAME DETAIL-FILE
	if [ "$1" = 0 ]; then
		echo "ok $2"
	else
		echo "not ok $2"
		sed 's/^/    /' "$3" >&2
	fi
}

# Which objects each configuration reaches: build everything at the top of
# the stack with make -k and see what was made.
stack=$(stack_tree)
all=$( { users x86_64; touched; } | sort -u | sed 's/\.c$/.o/')
for cfg in $CONFIGS; do
	variant=prefix-$cfg
	out=$(objdir "$variant")
	git -C "$SRC" checkout -q --detach "$stack"
	rm -f "$out/.fragments"
	echo "$stack" >"$wdir/$cfg.rev"
	# shellcheck disable=SC2086
	# build.sh says why on stderr, at the end of the log check.sh shows
	"$TOP/scripts/build.sh" "$variant" prepare >/dev/null ||
		{ echo "not ok matrix_${cfg}_configures"; exit 1; }
	# shellcheck disable=SC2086
	for o in $all; do rm -f "$out/$o"; done
	# shellcheck disable=SC2086
	"$TOP/scripts/build.sh" "$variant" -k $all >/dev/null 2>&1 || true
	for o in $all; do [ -f "$out/$o" ] && echo "$o"; done >"$wdir/$cfg.objects"
	missing=$(users "$cfg" | sed 's/\.c$/.o/' | grep -vxF -f "$wdir/$cfg.objects" || true)
	if [ -n "$missing" ]; then
		echo "$cfg: not built (not reached by the configuration, or does not compile): $missing" \
			>"$wdir/$cfg.missing"
		result 1 "matrix_${cfg}_reaches_every_user" "$wdir/$cfg.missing"
	else
		echo "ok matrix_${cfg}_reaches_every_user"
	fi
	FULL=1 build_at base "$cfg" base W=1 ||
		{ echo "not ok matrix_${cfg}_base_builds"; tail -n 20 "$LOGS/build-$variant.log" >&2; exit 1; }
done

want=0 got=0
for s in $SUBMISSIONS; do
	n=0
	last=$(git -C "$LINUX" rev-list --count "base..$s")
	if [ $tips = 1 ]; then want=$((want + 1)); else want=$((want + last)); fi
	for c in $(git -C "$LINUX" rev-list --reverse "base..$s"); do
		n=$((n + 1))
		[ $tips = 1 ] && [ $n -lt "$last" ] && continue
		name=$(printf '%s/patch_%02d_builds_without_new_warnings' "$s" "$n")
		[ $tips = 1 ] && name="$s/all_${n}_patches_build_without_new_warnings"
		subj=$(git -C "$LINUX" log -1 --format=%s "$c")
		rc=0
		: >"$wdir/$s-$n.new"
		for cfg in $CONFIGS; do
			if ! build_at "$c" "$cfg" "$s-$n" W=1; then
				rc=1
				echo "$cfg: the build fails (log: work/logs/build-prefix-$cfg.log)" >>"$wdir/$s-$n.new"
			fi
			comm -13 "$wdir/$cfg/base" "$wdir/$cfg/$s-$n" | sed "s/^/$cfg: /" >>"$wdir/$s-$n.new"
		done
		[ -s "$wdir/$s-$n.new" ] && rc=1
		[ $rc = 0 ] || echo "$s patch $n ($subj): build failed or new warnings:" >&2
		result $rc "$name" "$wdir/$s-$n.new"
		got=$((got + 1))
	done
done
# one result per patch (per submission with --tips), none dropped
if [ $got = $want ]; then
	echo "ok matrix_reported_every_patch ($got of $want)"
else
	echo "not ok matrix_reported_every_patch ($got results, want $want)"
fi

# A patch that changes a shared header (include/) reaches every file that
# includes it, not only the users and the touched files: make matrix
# builds all of drivers/video/ and drivers/gpu/drm/ in the x86_64
# configuration at W=1, base against the whole stack (the objects of the
# two trees are all rebuilt; ccache replays the warnings of what it saw).
headers=$(for s in $SUBMISSIONS; do git -C "$LINUX" diff --name-only base "$s" -- 'include/'; done | sort -u)
if [ $tips = 0 ] && [ -n "$headers" ] && has_config x86_64; then
	build_dirs() {	# build_dirs REV NAME
		local out
		out=$(objdir prefix-x86_64)
		git -C "$SRC" checkout -q --detach "$1"
		rm -f "$out/.fragments"	# configure for REV's Kconfig
		find "$out/drivers/video" "$out/drivers/gpu/drm" -name '*.o' -delete 2>/dev/null || true
		LENIENT_CONFIG=1 "$TOP/scripts/build.sh" prefix-x86_64 W=1 \
			drivers/video/ drivers/gpu/drm/ >/dev/null 2>&1 || return 1
		warnings "$LOGS/build-prefix-x86_64.log" >"$wdir/x86_64/$2"
	}
	rc=0
	{ build_dirs base dirs-base && build_dirs "$stack" dirs-stack; } ||
		{ rc=1; echo "the build of drivers/video/ and drivers/gpu/drm/ fails (log: work/logs/build-prefix-x86_64.log)"; } >"$wdir/dirs.new"
	[ $rc = 0 ] && comm -13 "$wdir/x86_64/dirs-base" "$wdir/x86_64/dirs-stack" |
		sed 's/^/x86_64, drivers\/video and drm: /' >"$wdir/dirs.new"
	[ -s "$wdir/dirs.new" ] && rc=1
	echo "headers changed: $(echo $headers); drivers/video and drm at W=1: base $(wc -l <"$wdir/x86_64/dirs-base" 2>/dev/null || echo -) warnings, stack $(wc -l <"$wdir/x86_64/dirs-stack" 2>/dev/null || echo -)" >&2
	result $rc headers_includers_build_without_new_warnings "$wdir/dirs.new"
fi

# The whole stack, once: every module links (modpost).
git -C "$SRC" checkout -q --detach "$stack"
if has_config modules; then
	rc=0
	# vmlinux too: without its symbols, modpost skips the check of
	# every module's unresolved symbols ("Symbol info of vmlinux is
	# missing")
	"$TOP/scripts/build.sh" prefix-modules vmlinux modules >/dev/null 2>&1 || rc=1
	# modpost's own complaints (section mismatches, undefined or
	# missing exports) fail it, not only its exit status
	grep -E '^(WARNING|ERROR): modpost: |undefined!' "$LOGS/build-prefix-modules.log" >"$wdir/modpost" || true
	[ -s "$wdir/modpost" ] && rc=1
	result $rc modules_link_and_pass_modpost "$wdir/modpost"
fi

# sparse on the x86_64 objects, base against the whole stack.
if has_config x86_64; then
	rc=0
	FULL=1 build_at base x86_64 base-sparse C=2 || rc=1
	FULL=1 build_at "$stack" x86_64 stack-sparse C=2 || rc=1
	comm -13 "$wdir/x86_64/base-sparse" "$wdir/x86_64/stack-sparse" >"$wdir/sparse.new"
	[ -s "$wdir/sparse.new" ] && rc=1
	result $rc sparse_nothing_new "$wdir/sparse.new"
fi

# kernel-doc on the touched source files, base against the whole stack.
files=$(for s in $SUBMISSIONS; do git -C "$LINUX" diff --name-only base "$s" -- '*.c' '*.h'; done | sort -u)
kdoc() {	# kdoc REV OUT
	git -C "$SRC" checkout -q --detach "$1"
	local f
	for f in $files; do
		[ -f "$SRC/$f" ] || continue
		(cd "$SRC" && scripts/kernel-doc -none "$f" 2>&1) |
			sed -nE 's#^([^ :]+):[0-9]+: warning: (.*)$#\1: \2#p'
	done | sort -u >"$2"
}
kdoc base "$wdir/kdoc-base"
kdoc "$stack" "$wdir/kdoc-stack"
comm -13 "$wdir/kdoc-base" "$wdir/kdoc-stack" >"$wdir/kdoc.new"
rc=0; [ -s "$wdir/kdoc.new" ] && rc=1
result $rc kernel_doc_nothing_new "$wdir/kdoc.new"

# The matrix in numbers: per configuration, objects built, warnings the
# base has in them, and warnings any patch added.
{
	printf '%-8s %8s %14s %20s\n' config objects "base warnings" "new, any patch"
	for cfg in $CONFIGS; do
		new=$(cat "$wdir"/*.new 2>/dev/null | grep -c "^$cfg: " || true)
		printf '%-8s %8s %14s %20s\n' "$cfg" "$(wc -l <"$wdir/$cfg.objects")" \
			"$(wc -l <"$wdir/$cfg/base")" "$new"
	done
	has_config x86_64 &&
		echo "sparse: base $(wc -l <"$wdir/x86_64/base-sparse"), stack $(wc -l <"$wdir/x86_64/stack-sparse")"
	echo "kernel-doc: base $(wc -l <"$wdir/kdoc-base"), stack $(wc -l <"$wdir/kdoc-stack")"
} | tee "$wdir/matrix.txt" >&2
