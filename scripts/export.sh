#!/bin/bash
# The way back from the kernel tree to the repo: regenerate patches/ (one
# file per commit in base..HEAD of work/linux, the cover letter from
# patches/cover-letter.txt, and patches/series) with git format-patch.
#
#   export.sh            write patches/
#   export.sh --compare  write nothing; exit 1 and show the difference when
#                        patches/ is not what the tree exports
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=write
[ "${1:-}" = --compare ] && mode=compare
[ -d "$LINUX/.git" ] || die "no kernel tree at work/linux: run scripts/fetch.sh first"
COVER=$PATCHES/cover-letter.txt
[ -f "$COVER" ] || die "missing $COVER (first lines 'Subject:' and 'Prefix:', a blank line, then the body)"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

subject=$(sed -n 's/^Subject: //p;/^$/q' "$COVER")
prefix=$(sed -n 's/^Prefix: //p;/^$/q' "$COVER")
[ -n "$subject" ] || die "$COVER has no 'Subject:' line"
body=$(sed '1,/^$/d' "$COVER")

cd "$LINUX"
n=$(git rev-list --count base..HEAD)
if [ "$n" -gt 0 ]; then
	# The cover letter takes its date and sender from the last commit, so
	# the same tree always exports the same files.
	GIT_COMMITTER_DATE=$(git log -1 --format=%aD) \
	GIT_COMMITTER_NAME=$(git log -1 --format=%an) \
	GIT_COMMITTER_EMAIL=$(git log -1 --format=%ae) \
	git format-patch -q --cover-letter --zero-commit --no-signature \
		--subject-prefix="${prefix:-PATCH}" -o "$out" base..HEAD
	python3 - "$out"/0000-cover-letter.patch "$subject" "$body" <<'PY'
import sys
path, subject, body = sys.argv[1:]
text = open(path).read()
text = text.replace("*** SUBJECT HERE ***", subject, 1)
text = text.replace("*** BLURB HERE ***", body, 1)
open(path, "w").write(text)
PY
	(cd "$out" && ls [0-9]*.patch | grep -v '^0000-') >"$out/series"
else
	: >"$out/series"
fi

if [ "$mode" = compare ]; then
	ok=0
	for f in "$out"/*; do
		b=$(basename "$f")
		if ! cmp -s "$f" "$PATCHES/$b"; then
			echo "differs from the tree: patches/$b"
			diff -u "$PATCHES/$b" "$f" 2>/dev/null | head -n 20 || true
			ok=1
		fi
	done
	for f in "$PATCHES"/*.patch; do
		[ -e "$f" ] || continue
		[ -e "$out/$(basename "$f")" ] || { echo "not in the tree: patches/$(basename "$f")"; ok=1; }
	done
	exit $ok
fi

rm -f "$PATCHES"/[0-9]*.patch
cp "$out"/* "$PATCHES"/
git -C "$LINUX" update-ref refs/series/applied HEAD
say "exported $n patches to patches/ (series order in patches/series)"
