#!/bin/bash
# Every patch of the series is safe on its own, not only buildable: a
# bisection that stops in the middle must not land on a use-after-free.
#
#   bisect-boot.sh [N...]     (make bisect-check; not part of make check)
#
# For each patch N of the series (lib.sh: SERIES) that changes the
# deferred-I/O core or mm (default: all of those), the debug kernel
# (config/debug.config: KASAN, lockdep, list debugging, two CPUs) is built
# from the base plus the submissions before the series (the virtio-gpu
# fixes, without which every unbind reports their use-after-free) plus
# the series up to patch N, and boots the stress tests that unbind and
# close while the framebuffer is mapped and written. Prints one result
# per test and prefix ("ok bisect/patch_NN/..."), and a table.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals
lock_base

[ -d "$LINUX/.git" ] || "$TOP/scripts/fetch.sh"
TESTS="two_opens_one_closed close_with_dirty_pages unbind_while_mapped"
res=$WORK/bisect/results
mkdir -p "$WORK/bisect"
: >"$res"

mapfile -t commits < <(git -C "$LINUX" rev-list --reverse "base..$SERIES")
if [ $# -gt 0 ]; then
	picks=("$@")
else
	picks=()
	for i in "${!commits[@]}"; do
		git -C "$LINUX" diff --quiet "${commits[$i]}~1" "${commits[$i]}" -- \
			drivers/video/fbdev/core include/linux/fb.h mm || picks+=($((i + 1)))
	done
fi
[ -f "$WORK/initramfs.cpio.gz" ] || "$TOP/scripts/initramfs.sh"

# The submissions before the series, which every prefix sits on.
before=()
for s in $SUBMISSIONS; do
	[ "$s" = "$SERIES" ] && break
	before+=("$s")
done

for n in "${picks[@]}"; do
	c=${commits[$((n - 1))]:?no patch $n in $SERIES}
	name=$(printf 'patch_%02d' "$n")
	say "$name: $(git -C "$LINUX" log -1 --format=%s "$c")"
	tree=$(combined_commit refs/bisect/prefix "bisect: up to $c" "${before[@]}" "$c")
	worktree_at "$SRC" "$tree"
	if ! "$TOP/scripts/build.sh" bisect >/dev/null; then
		echo "not ok bisect/$name/build (log: work/logs/build-bisect.log)" | tee -a "$res"
		continue
	fi
	out=$WORK/runs/bisect-$name
	rm -rf "$out"
	# shellcheck disable=SC2046
	boot bisect virtio "$out" --name "bisect/$name/" --timeout 600 \
		$(kernel_args bisect) -- stress-tests $TESTS >&2 || true
	if [ -s "$out/results" ]; then
		run_results "$out" | tee -a "$res"
	else
		echo "not ok bisect/$name/boot (no results; console: ${out#$TOP/}/console.log)" | tee -a "$res"
	fi
done

{
	echo
	printf '%-10s %-6s %s\n' patch result subject
	for n in "${picks[@]}"; do
		name=$(printf 'patch_%02d' "$n")
		r=ok; grep -q "^not ok bisect/$name/" "$res" && r=FAIL
		printf '%-10s %-6s %s\n' "$name" "$r" \
			"$(git -C "$LINUX" log -1 --format=%s "${commits[$((n - 1))]}")"
	done
} | tee "$WORK/bisect/table.txt" >&2
summary "$res"
