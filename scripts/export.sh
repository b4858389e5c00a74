#!/bin/bash
# The way back from the kernel tree to the repo: regenerate patches/NAME of
# each submission (one file per commit in base..NAME of work/linux, the
# cover letter from patches/NAME/cover-letter.txt, and patches/NAME/series)
# with git format-patch.
#
#   export.sh [NAME...]            write patches/NAME (all submissions by default)
#   export.sh --compare [NAME...]  write nothing; exit 1 and show the
#                                  difference when patches/NAME is not
#                                  what the tree exports
#
# A branch whose git am failed (make fetch) is refused: exporting it would
# drop the patches that did not apply.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for_each_base "$0" "$@"
mode=write
[ "${1:-}" = --compare ] && { mode=compare; shift; }
names=${*:-$SUBMISSIONS}
[ -d "$LINUX/.git" ] || die "no kernel tree at work/linux: run make fetch first"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# format NAME DIR: what patches/NAME should hold, in DIR.
format() {
	local s=$1 dir=$2 cover=$PATCHES/$1/cover-letter.txt n
	mkdir -p "$dir"
	n=$(git -C "$LINUX" rev-list --count "base..$s")
	[ "$n" -gt 0 ] || die "branch $s of work/linux has no commits on top of base"
	# The cover letter takes its date and sender from the last commit,
	# so the same tree always exports the same files.
	GIT_COMMITTER_DATE=$(git -C "$LINUX" log -1 --format=%aD "$s") \
	GIT_COMMITTER_NAME=$(git -C "$LINUX" log -1 --format=%an "$s") \
	GIT_COMMITTER_EMAIL=$(git -C "$LINUX" log -1 --format=%ae "$s") \
	format_patches "$LINUX" "base..$s" "$dir" "$cover" --zero-commit
	(cd "$dir" && ls [0-9]*.patch | grep -v '^0000-') >"$dir/series"
	cp "$cover" "$dir/"
	# what checkpatch says of each patch, kept as it is
	[ ! -f "$PATCHES/$s/checkpatch.expected" ] || cp "$PATCHES/$s/checkpatch.expected" "$dir/"
}

# Before anything is written: every branch must be a complete one.
for s in $names; do
	case " $SUBMISSIONS " in *" $s "*) ;; *) die "no submission '$s' (lib.sh: $SUBMISSIONS)" ;; esac
	if [ -e "$(partial_marker "$s")" ]; then
		die "branch $s of work/linux is a failed git am of patches/$s (at $(cat "$(partial_marker "$s")")): exporting it would drop the patches that did not apply. Fix that patch and run make fetch, which applies patches/$s anew."
	fi
	git -C "$LINUX" rev-parse -q --verify "refs/heads/$s" >/dev/null ||
		die "work/linux has no branch $s: run make fetch"
done

rc=0
for s in $names; do
	format "$s" "$out/$s"
	if [ "$mode" = compare ]; then
		for f in "$out/$s"/*; do
			b=$(basename "$f")
			if ! cmp -s "$f" "$PATCHES/$s/$b"; then
				echo "differs from the tree: patches/$s/$b"
				diff -u "$PATCHES/$s/$b" "$f" 2>/dev/null | head -n 20 || true
				rc=1
			fi
		done
		for f in "$PATCHES/$s"/*; do
			[ -e "$f" ] || continue
			[ -e "$out/$s/$(basename "$f")" ] || { echo "not in the tree: patches/$s/$(basename "$f")"; rc=1; }
		done
		continue
	fi
	rm -f "$PATCHES/$s"/[0-9]*.patch
	cp "$out/$s"/* "$PATCHES/$s"/
	git -C "$LINUX" update-ref "refs/series/applied/$s" "$s"
	say "exported $(git -C "$LINUX" rev-list --count "base..$s") patches to patches/$s"
done
exit $rc
