#!/bin/bash
# Deferred I/O borrows no struct page field: the converted code must not
# use page->lru, nor page->index as the framebuffer
# offset, and the core (fb_defio.c) must not write page->mapping or
# page->index at all. Fails when a file to check is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$LINUX/.git" ] || die "no kernel tree at ${LINUX#$TOP/} (make fetch)"
if [ $# -gt 0 ]; then
	tree=$1
else
	stack_tree >/dev/null || die "the submissions do not apply in order"
	tree=$SRC
fi
cd "$tree"
bad=0 n=0
for f in $DEFIO_USERS include/linux/fb.h; do
	[ -f "$f" ] || { echo "missing: $f"; bad=1; continue; }
	n=$((n + 1))
	hits=$(grep -nE -- '->lru\b|(page|cur)->index\b' "$f" |
		grep -vE '^[0-9]+:\s*(/?\*|//)' || true)
	if [ -n "$hits" ]; then
		printf '%s:\n%s\n' "$f" "$hits"
		bad=1
	fi
done
core=drivers/video/fbdev/core/fb_defio.c
hits=$(grep -nE -- '->(mapping|index)\s*=[^=]' "$core" || true)
if [ -n "$hits" ]; then
	printf '%s writes a struct page field:\n%s\n' "$core" "$hits"
	bad=1
fi
[ $bad = 0 ] && echo "$n files: no page->lru or page->index; $core assigns no ->mapping or ->index"
exit $bad
