#!/bin/bash
# What a maintainer runs on every patch, for each prefix of the series in
# a worktree (work/prefix/linux) with config/compile.config:
#
#  - the patch builds on its own: the objects of every .c file the series
#    has touched so far and of every deferred-I/O user (they include the
#    changed headers), with W=1: no warning that the base does not have;
#  - sparse (C=2) on the same objects at the base and with the whole
#    series: nothing new;
#  - scripts/kernel-doc -none on the touched files with the whole series:
#    no warning that the base does not have.
#
# Warnings are compared by file and message (line numbers move). Prints
# one result line per check, "ok NAME" or "not ok NAME", for check.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_pkgs sparse sparse
head=$(git -C "$LINUX" rev-parse HEAD)
mapfile -t commits < <(git -C "$LINUX" rev-list --reverse base..HEAD)
wdir=$WORK/prefix/warnings
mkdir -p "$wdir"

# Objects to build: the .c files touched by the whole series (a file the
# series adds and includes from another, like fb_defio_test.c, has no
# object of its own) and the deferred-I/O users.
objects() {
	{ echo "$DEFIO_USERS"
	  git -C "$LINUX" diff --name-only --diff-filter=M base "$head" -- '*.c'
	} | sort -u | sed 's/\.c$/.o/'
}
objs=$(objects)

# warnings LOG: "file: message" of every warning in a build log.
warnings() {
	sed -nE 's#^(\.\./)*([^ :]+):[0-9]+(:[0-9]+)?: (warning|error): (.*)$#\2: \5#p' "$1" |
		sort -u
}

# build_at REV NAME [make variables]: build $objs at REV, keep the warnings.
build_at() {
	local rev=$1 name=$2; shift 2
	git -C "$LINUX_PREFIX" checkout -q --detach "$rev" 2>/dev/null ||
		"$TOP/scripts/build.sh" prefix prepare >/dev/null   # makes the worktree
	git -C "$LINUX_PREFIX" checkout -q --detach "$rev"
	local out o
	out=$(objdir prefix)
	# shellcheck disable=SC2086
	for o in $objs; do rm -f "$out/$o"; done
	local ok=0
	# shellcheck disable=SC2086
	"$TOP/scripts/build.sh" prefix "$@" $objs >/dev/null 2>&1 || ok=1
	warnings "$LOGS/build-prefix.log" >"$wdir/$name"
	return $ok
}

result() {	# result OK NAME DETAIL-FILE
	if [ "$1" = 0 ]; then
		echo "ok $2"
	else
		echo "not ok $2"
		sed 's/^/    /' "$3" >&2
	fi
}

build_at base base W=1 || { echo "not ok w1_base_builds"; exit 1; }
build_at base base-sparse C=2 || { echo "not ok sparse_base_builds"; exit 1; }

n=0
for c in "${commits[@]}"; do
	n=$((n + 1))
	name=$(printf 'patch_%02d_builds_without_new_warnings' "$n")
	subj=$(git -C "$LINUX" log -1 --format=%s "$c")
	rc=0
	build_at "$c" "$n" W=1 || rc=$?
	comm -13 "$wdir/base" "$wdir/$n" >"$wdir/$n.new"
	[ -s "$wdir/$n.new" ] && rc=1
	[ $rc = 0 ] || echo "patch $n ($subj): build failed or new warnings:" >&2
	result $rc "$name" "$wdir/$n.new"
done

rc=0
build_at "$head" head-sparse C=2 || rc=$?
comm -13 "$wdir/base-sparse" "$wdir/head-sparse" >"$wdir/sparse.new"
[ -s "$wdir/sparse.new" ] && rc=1
result $rc sparse_nothing_new "$wdir/sparse.new"

# kernel-doc on the touched source files, base against the whole series.
files=$(git -C "$LINUX" diff --name-only base "$head" -- '*.c' '*.h')
kdoc() {	# kdoc REV OUT
	git -C "$LINUX_PREFIX" checkout -q --detach "$1"
	local f
	for f in $files; do
		[ -f "$LINUX_PREFIX/$f" ] || continue
		(cd "$LINUX_PREFIX" && scripts/kernel-doc -none "$f" 2>&1) |
			sed -nE 's#^([^ :]+):[0-9]+: warning: (.*)$#\1: \2#p'
	done | sort -u >"$2"
}
kdoc base "$wdir/kdoc-base"
kdoc "$head" "$wdir/kdoc-head"
comm -13 "$wdir/kdoc-base" "$wdir/kdoc-head" >"$wdir/kdoc.new"
rc=0; [ -s "$wdir/kdoc.new" ] && rc=1
result $rc kernel_doc_nothing_new "$wdir/kdoc.new"
echo "base already has: $(wc -l <"$wdir/base") W=1, $(wc -l <"$wdir/base-sparse") sparse, $(wc -l <"$wdir/kdoc-base") kernel-doc warnings in these files" >&2
