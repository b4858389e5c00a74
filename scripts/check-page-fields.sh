#!/bin/bash
# The converted deferred-I/O code must not use page->lru, nor page->index
# as the framebuffer offset. The one place allowed to touch page->index is
# the core's fault handler, which sets it (with page->mapping) for the
# rmap walk of page_mkclean().
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$LINUX"
bad=0
for f in $DEFIO_USERS include/linux/fb.h; do
	hits=$(grep -nE -- '->lru\b|(page|cur)->index\b|pagelist\b' "$f" |
		grep -v 'page->index = vmf->pgoff;' |
		grep -vE '^[0-9]+:\s*(/?\*|//)' || true)
	if [ -n "$hits" ]; then
		printf '%s:\n%s\n' "$f" "$hits"
		bad=1
	fi
done
[ $bad = 0 ] && echo "no page->lru, page->index or pagelist in $(echo $DEFIO_USERS | wc -w) files"
exit $bad
