#!/bin/bash
# apply-check.sh NAME...: apply the patch files of the named submissions,
# in that order, with git am onto the pristine base in the working copy,
# as a distro maintainer would. Fails naming the patch that does not apply
# (git am says which file and hunk).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: apply-check.sh SUBMISSION..."
[ -d "$LINUX/.git" ] || die "no kernel tree at work/linux: run make fetch first"
wt=$SRC
worktree_at "$wt" base
for s in "$@"; do
	bad=$(am_series "$wt" "$s" "$LOGS/git-am-apply-check.log") ||
		die "${bad#* } does not apply after the patches before it (order: $*)"
done
echo "$(git -C "$wt" rev-list --count base..HEAD) patches of $* apply to the base in that order"
