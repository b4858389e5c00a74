#!/bin/bash
# Fetch the pinned base (Debian's linux-source-5.10) through a private apt
# configuration, unpack it into work/linux as a git repo whose first commit
# is the pristine source (tag "base"), and apply patches/ with git am.
#
# Run again, it reuses what is there. It never throws away work: if the
# tree has commits that were not exported (make export), it stops.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKG=linux-source-5.10
VERSION=5.10.262-1
SUITE=bullseye-security
MIRROR=http://deb.debian.org/debian-security
SHA256=4f01148344ca9e5c1c9743ab4a084cf61c437548f803443ccc044602278b52bc
DEB=$WORK/download/${PKG}_${VERSION}_all.deb

need_pkgs git git xz xz-utils dpkg-deb dpkg

apt_private() {
	local d=$WORK/apt tool=$1; shift
	"$tool" -q -o Dir::Etc::SourceList="$d/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State="$d/state" -o Dir::State::Lists="$d/lists" \
		-o Dir::State::status="$d/status" -o Dir::Cache="$d/cache" \
		-o APT::Sandbox::User=root "$@"
}

fetch_deb() {
	if [ -f "$DEB" ] && echo "$SHA256  $DEB" | sha256sum -c --status; then
		return 0
	fi
	local d=$WORK/apt
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/state" \
		"$WORK/download"
	: >"$d/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" \
		>"$d/sources.list"
	say "fetching $PKG=$VERSION from $SUITE (private apt state in work/apt)"
	apt_private apt-get update >"$LOGS/apt-update.log" 2>&1 ||
		{ tail "$LOGS/apt-update.log" >&2; die "apt-get update for $SUITE failed (log: $LOGS/apt-update.log)"; }
	local policy
	policy=$(apt_private apt-cache policy "$PKG" 2>&1 || true)
	if ! grep -qF " $VERSION " <<<"$policy"; then
		printf '%s\n' "$policy" >&2
		die "$PKG version $VERSION is not offered by $MIRROR $SUITE (wanted $PKG=$VERSION, sha256 $SHA256)"
	fi
	(cd "$WORK/download" && apt_private apt-get download "$PKG=$VERSION") \
		>"$LOGS/apt-download.log" 2>&1 ||
		{ tail "$LOGS/apt-download.log" >&2; die "download of $PKG=$VERSION failed"; }
	local got
	got=$(sha256sum "$DEB" | cut -d' ' -f1)
	if [ "$got" != "$SHA256" ]; then
		mv "$DEB" "$DEB.bad"
		die "checksum mismatch for $PKG=$VERSION: wanted $SHA256, got $got (kept as $DEB.bad)"
	fi
}

make_tree() {
	local tmp=$WORK/linux.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	say "unpacking $PKG $VERSION into work/linux"
	dpkg-deb --fsys-tarfile "$DEB" | tar -xO "./usr/src/$PKG.tar.xz" |
		tar -xJ -C "$tmp" --strip-components=1
	(
		cd "$tmp"
		git init -q -b series
		git config user.name "${GIT_AUTHOR_NAME:-fbdefio builder}"
		git config user.email "${GIT_AUTHOR_EMAIL:-builder@localhost}"
		git config core.abbrev 12
		# Every file of the tarball, ignored or not: the first commit is
		# the pristine source.
		git add -f -A .
		# Fixed identity and dates: the same base commit on every machine.
		GIT_AUTHOR_DATE=2026-07-31T09:44:00Z GIT_COMMITTER_DATE=2026-07-31T09:44:00Z \
		git -c user.name="Debian kernel team" -c user.email=debian-kernel@lists.debian.org \
			commit -q -m "Linux $VERSION ($PKG from Debian $SUITE)"
		git tag base
		# Debian's .gitignore ends by ignoring everything at the top
		# level, which hides new files (even under drivers/). Drop that
		# stanza in the working copy only, and hide the change from
		# git, so no commit ever carries it.
		sed -i '/^# Debian packaging: ignore everything/,$d' .gitignore
		git update-index --skip-worktree .gitignore
	) >"$LOGS/git-init.log" 2>&1 || { tail "$LOGS/git-init.log" >&2; die "git init of the base tree failed"; }
	mv "$tmp" "$LINUX"
}

# The series as git am applies it: patches/series lists the files in order.
series_files() {
	[ -f "$PATCHES/series" ] || return 0
	grep -v '^\s*\(#\|$\)' "$PATCHES/series" | sed "s|^|$PATCHES/|"
}

apply_series() {
	local branch_point
	cd "$LINUX"
	git checkout -q --detach base
	git branch -f series base
	git checkout -q series
	local p n=0
	for p in $(series_files); do
		n=$((n + 1))
		if ! git am -q --keep-cr "$p" >"$LOGS/git-am.log" 2>&1; then
			cat "$LOGS/git-am.log" >&2
			git am --abort >/dev/null 2>&1 || true
			die "patch $n does not apply: ${p#$TOP/} (see the messages above; the tree is left at the last good patch)"
		fi
	done
	git update-ref refs/series/applied HEAD
	say "applied $n patches: work/linux is at $(git log -1 --format='%h %s')"
}

mkdir -p "$WORK" "$LOGS"
if [ ! -d "$LINUX/.git" ]; then
	fetch_deb
	make_tree
	apply_series
	exit 0
fi

cd "$LINUX"
git rev-parse -q --verify base >/dev/null || die "work/linux has no base tag; move it away and run again"
# Up to date when the tree's export equals patches/.
if "$TOP/scripts/export.sh" --compare >/dev/null 2>&1; then
	say "work/linux already matches patches/ ($(git rev-list --count base..HEAD) patches)"
	git update-ref refs/series/applied HEAD
	exit 0
fi
applied=$(git rev-parse -q --verify refs/series/applied || true)
if [ "$(git rev-parse HEAD)" != "$applied" ] || [ -n "$(git status --porcelain -uno)" ]; then
	die "work/linux has commits or changes that are not in patches/: export them (make export) or set them aside (git -C work/linux stash / reset) first"
fi
say "patches/ changed since work/linux was made: re-applying the series"
git branch -f "series-old-$(date +%Y%m%d-%H%M%S)" HEAD
apply_series
