#!/bin/bash
# Fetch the pinned base (bases/$BASE/base.conf: a Debian linux-source
# package) through a private apt configuration, unpack it into
# work/$BASE/linux as a git repo whose first commit is the pristine source
# (tag "base"), and apply each submission of bases/$BASE/patches/ (SUBMISSIONS)
# with git am on a branch of its own that starts at base. Then the working
# copy work/$BASE/src/linux gets base plus every submission in order: the
# tree the test kernels are built from.
#
# Experimental and sid keep only their current version. For such a base
# (NEWEST_RE set), when the pinned version is gone, fetch names what the
# archive offers, takes the newest package whose name matches NEWEST_RE,
# says so and records it in work/$BASE/fetched (the check prints it); its
# checksum is then the archive's own (apt verifies it against the signed
# index), and the submissions must still apply.
#
# Run again, it reuses what is there and re-applies a submission whose
# patches changed. It never throws away work: a branch with commits that
# were not exported (make export) stops it. When a patch does not apply,
# it names the patch and the file, leaves the branch at the last patch that
# applied and marks it, so that make export refuses to turn the partial
# branch into patches.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEB=$DOWNLOAD/${PKG}_${VERSION//:/%3a}_all.deb

for_each_base "$0" "$@"
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
		"$DOWNLOAD"
	: >"$d/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" \
		>"$d/sources.list"
	say "fetching $PKG=$VERSION from $SUITE (private apt state in ${WORK#$TOP/}/apt)"
	apt_private apt-get update >"$LOGS/apt-update.log" 2>&1 ||
		{ tail "$LOGS/apt-update.log" >&2; die "apt-get update for $SUITE failed (log: $LOGS/apt-update.log)"; }
	local policy
	policy=$(apt_private apt-cache policy "$PKG" 2>&1 || true)
	if ! grep -qF " $VERSION " <<<"$policy"; then
		printf '%s\n' "$policy" >&2
		[ -n "$NEWEST_RE" ] ||
			die "$PKG version $VERSION is not offered by $MIRROR $SUITE (wanted $PKG=$VERSION, sha256 $SHA256)"
		newest_instead
	fi
	(cd "$DOWNLOAD" && apt_private apt-get download "$PKG=$VERSION") \
		>"$LOGS/apt-download.log" 2>&1 ||
		{ tail "$LOGS/apt-download.log" >&2; die "download of $PKG=$VERSION failed"; }
	DEB=$DOWNLOAD/${PKG}_${VERSION//:/%3a}_all.deb
	local got
	got=$(sha256sum "$DEB" | cut -d' ' -f1)
	if [ "$got" != "$SHA256" ]; then
		mv "$DEB" "$DEB.bad"
		die "checksum mismatch for $PKG=$VERSION: wanted $SHA256, got $got (kept as $DEB.bad)"
	fi
}

# newest_instead: the pinned version is gone from the suite; take the
# newest package matching NEWEST_RE that the suite offers, with the
# checksum of the archive's signed index, and record the change.
newest_instead() {
	local offered pkg ver sha
	offered=$(apt_private apt-cache search --names-only "$NEWEST_RE" 2>/dev/null |
		cut -d' ' -f1 | sort -V)
	say "the archive ($SUITE) offers: $(echo $offered)"
	pkg=$(tail -n 1 <<<"$offered")
	[ -n "$pkg" ] || die "$PKG=$VERSION is gone from $SUITE and no package matches $NEWEST_RE"
	ver=$(apt_private apt-cache show "$pkg" | sed -n 's/^Version: //p' | sort -V | tail -n 1)
	sha=$(apt_private apt-cache show "$pkg=$ver" | sed -n 's/^SHA256: //p' | head -n 1)
	[ -n "$ver" ] && [ -n "$sha" ] || die "apt-cache show $pkg gives no version or checksum"
	warn "the pinned $PKG=$VERSION is gone from $SUITE: taking $pkg=$ver instead (sha256 $sha from the archive's index)"
	echo "$pkg $ver $sha (pinned: $PKG $VERSION)" >"$WORK/fetched"
	PKG=$pkg VERSION=$ver SHA256=$sha
}

# The pristine tree of a package, kept across clones like ccache (one
# per package checksum, in TREE_CACHE): a fresh clone's make check checks
# it out in about 10 s instead of unpacking and committing 1.3 to 1.8 GB
# (about 50 s). The commit is the same either way (fixed identity, dates
# and message). Only the .git of the first commit is kept; its objects are
# hard links, which git never writes to.
TREE_CACHE=${TREE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fbdev-defio/trees}
# Part of each entry's name: raise it when make_tree makes its commit
# differently, so that older entries are not taken for new ones.
TREE_CACHE_FORMAT=1

# git_dir_copy FROM TO: a copy of the git folder FROM, objects hard-linked
# where the file system allows it, every other file (the index, reflogs,
# which git appends to) copied.
git_dir_copy() {
	local f
	mkdir -p "$2"
	for f in "$1"/* "$1"/.[!.]*; do
		[ -e "$f" ] || continue
		if [ "${f##*/}" = objects ]; then
			cp -al "$f" "$2/" 2>/dev/null || cp -a "$f" "$2/" || return 1
		else
			cp -a "$f" "$2/" || return 1
		fi
	done
}

make_tree() {
	local tmp=$WORK/linux.tmp cached=$TREE_CACHE/$SHA256-$TREE_CACHE_FORMAT.git
	local subject="Linux $VERSION ($PKG from Debian $SUITE)"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if [ -d "$cached" ] &&
	   [ "$(git -C "$cached" log -1 --format=%s base 2>/dev/null)" = "$subject" ]; then
		say "checking out $PKG $VERSION into ${LINUX#$TOP/} (the tree of ${cached/#$HOME/\~})"
		(
			git_dir_copy "$cached" "$tmp/.git" &&
			cd "$tmp" &&
			git checkout -q -f pristine &&
			hide_debian_ignore .
		) >"$LOGS/git-init.log" 2>&1 || { tail "$LOGS/git-init.log" >&2; die "checkout of the cached tree $cached failed (remove it and run again)"; }
		mv "$tmp" "$LINUX"
		return
	fi
	say "unpacking $PKG $VERSION into ${LINUX#$TOP/}"
	dpkg-deb --fsys-tarfile "$DEB" | tar -xO "./usr/src/$PKG.tar.xz" |
		tar -xJ -C "$tmp" --strip-components=1
	(
		cd "$tmp"
		git init -q -b pristine
		# Commits made here carry no one's name: the sender signs when
		# the series is prepared for mailing (scripts/prepare.sh).
		git config user.name "$PLACEHOLDER_NAME"
		git config user.email "$PLACEHOLDER_EMAIL"
		git config core.abbrev 12
		# No automatic gc: after git am or commit, the ~80,000 loose
		# objects of the first commit started a background repack
		# that took two minutes of a core during the check.
		git config gc.auto 0
		git config maintenance.auto false
		# Every file of the tarball, ignored or not: the first commit is
		# the pristine source.
		git add -f -A .
		# Fixed identity and dates: the same base commit on every machine.
		GIT_AUTHOR_DATE=2026-07-31T09:44:00Z GIT_COMMITTER_DATE=2026-07-31T09:44:00Z \
		git -c user.name="Debian kernel team" -c user.email=debian-kernel@lists.debian.org \
			commit -q -m "$subject"
		git tag base
		# kept for the next clone (not an error when it cannot be)
		if mkdir -p "$TREE_CACHE" 2>/dev/null; then
			rm -rf "$cached.tmp"
			if git_dir_copy .git "$cached.tmp"; then
				rm -rf "$cached" && mv -T "$cached.tmp" "$cached"
			fi
			rm -rf "$cached.tmp"
		fi
		hide_debian_ignore .
	) >"$LOGS/git-init.log" 2>&1 || { tail "$LOGS/git-init.log" >&2; die "git init of the base tree failed"; }
	mv "$tmp" "$LINUX"
}

# apply_submission NAME: branch NAME = base + patches/NAME, with git am.
apply_submission() {
	local s=$1 bad
	cd "$LINUX"
	git checkout -q --detach base
	git branch -f "$s" base
	git checkout -q "$s"
	git update-ref -d "refs/series/applied/$s"
	if ! bad=$(am_series "$LINUX" "$s" "$LOGS/git-am-$s.log"); then
		echo "${bad#* }" >"$(partial_marker "$s")"
		die "patch ${bad%% *} of patches/$s does not apply to the base: ${bad#* }
  (git am says where, above). Branch $s of work/linux stops at the last patch
  that applied, and make export refuses to export it. Fix the patch, then run
  make fetch again: it applies patches/$s from the base anew."
	fi
	rm -f "$(partial_marker "$s")"
	git update-ref "refs/series/applied/$s" HEAD
	local n
	n=$(git rev-list --count "base..$s")
	say "applied $n patches of patches/$s: branch $s is at $(git log -1 --format='%h %s')"
}

# sync_submission NAME: make branch NAME match patches/NAME.
sync_submission() {
	local s=$1
	cd "$LINUX"
	if git rev-parse -q --verify "refs/heads/$s" >/dev/null &&
	   [ "$(git rev-parse "$s")" != "$(git rev-parse base)" ] &&
	   [ ! -e "$(partial_marker "$s")" ]; then
		if "$TOP/scripts/export.sh" --compare "$s" >/dev/null 2>&1; then
			git update-ref "refs/series/applied/$s" "$s"
			say "branch $s already matches patches/$s ($(git rev-list --count "base..$s") patches)"
			return 0
		fi
		local applied
		applied=$(git rev-parse -q --verify "refs/series/applied/$s" || true)
		if [ "$(git rev-parse "$s")" != "$applied" ]; then
			die "branch $s of work/linux has commits that are not in patches/$s: export them (make export) or set them aside (git -C work/linux branch -m $s $s-mine) first"
		fi
		say "patches/$s changed since branch $s was made: applying it anew"
		git branch -f "$s-old-$(date +%Y%m%d-%H%M%S)" "$s"
	fi
	if [ -n "$(git status --porcelain -uno)" ]; then
		die "work/linux has uncommitted changes: commit or stash them first"
	fi
	apply_submission "$s"
}

mkdir -p "$WORK" "$LOGS"
if [ ! -d "$LINUX/.git" ]; then
	rm -f "$WORK/fetched"
	fetch_deb
	make_tree
fi
[ -f "$WORK/fetched" ] && warn "base $BASE is not the pinned package: $(cat "$WORK/fetched")"
git -C "$LINUX" rev-parse -q --verify base >/dev/null ||
	die "work/linux has no base tag; move it away and run again"
# (trees made before make_tree set it)
git -C "$LINUX" config gc.auto 0
git -C "$LINUX" config maintenance.auto false

start=$(git -C "$LINUX" symbolic-ref -q --short HEAD || echo "$SERIES")
for s in $SUBMISSIONS; do
	sync_submission "$s"
done
# Leave the series under work on the checked-out branch.
case " $SUBMISSIONS " in *" $start "*) ;; *) start=$SERIES ;; esac
git -C "$LINUX" checkout -q "${start:-base}"
stack_tree >/dev/null
say "${SRC#$TOP/}: base${SUBMISSIONS:+ + }$(echo "$SUBMISSIONS" | sed "s/ / + /g")"
