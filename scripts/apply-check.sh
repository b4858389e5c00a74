#!/bin/bash
# apply-check.sh NAME...: apply the patch files of the named submissions,
# in that order, with git am onto the pristine base in a scratch worktree,
# as a distro maintainer would. Fails naming the patch that does not apply
# (git am says which file and hunk).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: apply-check.sh SUBMISSION..."
[ -d "$LINUX/.git" ] || die "no kernel tree at work/linux: run make fetch first"
wt=$WORK/apply/linux
if [ ! -d "$wt" ]; then
	mkdir -p "$(dirname "$wt")"
	git -C "$LINUX" worktree add -q --detach "$wt" base
fi
git -C "$wt" am --abort >/dev/null 2>&1 || true
git -C "$wt" checkout -q -f --detach base
n=0
for s in "$@"; do
	for p in $(series_files "$s"); do
		n=$((n + 1))
		if ! git -C "$wt" -c user.name=apply-check -c user.email=apply-check@localhost \
			am -q --keep-cr "$p"; then
			git -C "$wt" am --abort >/dev/null 2>&1 || true
			die "${p#$TOP/} does not apply after the patches before it (order: $*)"
		fi
	done
done
echo "$n patches of $* apply to the base in that order"
