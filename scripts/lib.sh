# Shared by every step: paths, logging, package checks, long-step runner.
# Sourced, not executed.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The bases: each is a folder bases/NAME with base.conf (the Debian package
# it is fetched from, its submissions, the deferred-I/O users it has), the
# config fragments of its kernels under config/ and its submissions under
# patches/. BASE picks the one a script works on (default: 5.10, the one
# the demo, the benchmark and the bisection use); BASES lists them all,
# mainline first.
BASES="7.3 6.12 5.10"
BASE_GIVEN=${BASE:+yes}
BASE=${BASE:-5.10}
BASEDIR=$TOP/bases/$BASE
[ -f "$BASEDIR/base.conf" ] || { echo "error: no base '$BASE' (bases/$BASE/base.conf; bases: $BASES)" >&2; exit 1; }
# shellcheck source=../bases/5.10/base.conf
. "$BASEDIR/base.conf"
WORKROOT=${WORKROOT:-$TOP/work}
DOWNLOAD=$WORKROOT/download       # the Debian packages, shared by the bases
WORK=$WORKROOT/$BASE              # everything else of a base: trees, builds, runs
LINUX=$WORK/linux                 # the kernel tree: tag base, a branch per submission
# The one working copy of work/linux that builds and checks use: each step
# checks out the revision it needs (worktree_at), which rewrites only the
# files that differ, so the build folders of the variants stay incremental.
# One checkout per base, not one per variant: a kernel checkout is 1.3 to
# 1.8 GB.
SRC=$WORK/src/linux
PATCHES=$BASEDIR/patches
LOGS=$WORK/logs
NPROC=$(nproc)

# ccache keeps its default cache (~/.cache/ccache): shared by every clone.
export CCACHE_BASEDIR=$WORK
export CCACHE_NOHASHDIR=1
# Depend mode: a miss compiles once, without a preprocessor pass first
# for the hash (the compiler's -MMD output gives the headers). A cold
# build of 7.3's test kernel: 9 min 13 s -> 7 min 42 s. What it gives up
# is a hit for the same preprocessed output from headers that differ (a
# .config option that a file does not use): a miss and a compile; and
# the rewriting of the compiler's absolute paths (CCACHE_BASEDIR still
# makes the hash relative, so clones share objects): an object names
# the source path of the clone that compiled it first, in a UBSAN or
# KASAN report, say.
export CCACHE_DEPEND=1

# A variant's build folder. ccache hashes source paths relative to the
# build folder (CCACHE_BASEDIR), so every build folder sits two levels
# below the folder of the working copy: ../../linux is the source of each,
# and the variants share the cache for the files they share.
objdir() { echo "$WORK/src/build/$1"; }

# boot VARIANT DISPLAY OUT [qemu.py options...] -- GUEST COMMAND...
# Boot a built kernel variant with the guest initramfs under host/qemu.py:
# console, screens and results go to OUT. The one place that starts QEMU.
# One boot at a time on the machine (one_at_a_time): the tests time the
# guest, and make check runs its bases side by side.
boot() {
	local variant=$1 display=$2 out=$3; shift 3
	local bz
	bz=$(objdir "$variant")/arch/x86/boot/bzImage
	[ -f "$bz" ] || { warn "no $variant kernel at $bz (scripts/build.sh $variant)"; return 1; }
	one_at_a_time boot /usr/bin/python3 "$TOP/host/qemu.py" --kernel "$bz" \
		--initrd "$WORK/initramfs.cpio.gz" --display "$display" \
		--out "$out" "$@"
}

# The patches in patches/ are nobody's: their author is this placeholder
# and they carry no Signed-off-by. scripts/prepare.sh puts the sender's
# identity in, and refuses to mail the placeholder.
PLACEHOLDER_NAME="Unsigned"
PLACEHOLDER_EMAIL="unsigned@invalid"
# A backport's message names its mainline commit this way, on a line of
# its own (Documentation/process/stable-kernel-rules.rst).
BACKPORT_RE='^commit [0-9a-f]{40} upstream\.$'

# checkpatch_check PATCH COVER [TYPE...]: checkpatch.pl --strict on PATCH.
# Prints its messages; fails when it did not run, or when its messages are
# not exactly those expected of this patch. A message of one of the TYPEs
# given is expected on every patch; the others must be listed, per patch
# and with their number, in checkpatch.expected beside COVER (lines
# "NNNN TYPE COUNT", NNNN the patch's number in its file name), and each
# type listed there must be explained in the cover letter COVER. A listed
# message that checkpatch no longer prints fails too.
checkpatch_check() {
	local patch=$1 cover=$2 out t bad=0; shift 2
	# In the tree, as a maintainer runs it: MAINTAINERS and git are read.
	out=$(cd "$LINUX" && scripts/checkpatch.pl --strict --show-types \
		"$patch" 2>&1 || true)
	if ! grep -qE '^total: [0-9]+ errors, [0-9]+ warnings, [0-9]+ checks' <<<"$out"; then
		echo "${patch#$TOP/}: checkpatch did not run:"
		tail -n 5 <<<"$out" | sed 's/^/    /'
		return 1
	fi
	# A commit id unknown to the history-less tree must be one of the
	# verified ones of bases/commits.txt, quoted with its listed title, or
	# be the one a backport names on its line "commit ID upstream.".
	local id title
	for id in $(sed -nE "s/^WARNING:UNKNOWN_COMMIT_ID: Unknown commit id '([0-9a-f]+)'.*/\1/p" <<<"$out"); do
		title=$(awk -F' [|] ' -v id="${id:0:12}" '$1 == id { print $2 }' "$TOP/bases/commits.txt")
		if [ -z "$title" ]; then
			echo "${patch#$TOP/}: commit $id is not in bases/commits.txt (verify it, then list it there)"
			bad=1
		elif grep -qxE "commit $id upstream\." "$patch" && [ ${#id} = 40 ]; then
			# a backport: its subject is the listed title of that commit
			local subject
			subject=$(awk '/^Subject: / { s = $0; while ((getline l) > 0 && l ~ /^ /) s = s l; print s; exit }' "$patch" |
				sed -E 's/^Subject: (\[[^]]*\] )?//')
			[ "$subject" = "$title" ] && continue
			echo "${patch#$TOP/}: backports commit $id, whose title is \"$title\" (bases/commits.txt), not \"$subject\""
			bad=1
		elif ! tr '\n' ' ' <"$patch" | tr -s ' ' | grep -qF "$id (\"$title\")"; then
			echo "${patch#$TOP/}: commit $id is not quoted as $id (\"$title\") (bases/commits.txt)"
			bad=1
		fi
	done
	local expected num got want n
	expected=$(dirname "$cover")/checkpatch.expected
	num=$(basename "$patch" | cut -c1-4)
	# TYPE COUNT of what checkpatch said, and of what is expected here
	got=$(sed -nE 's/^(ERROR|WARNING|CHECK):([A-Z_]+):.*/\2/p' <<<"$out" |
		grep -vxE "UNKNOWN_COMMIT_ID${*:+|$(tr ' ' '|' <<<"$*")}" |
		sort | uniq -c | awk '{ print $2, $1 }')
	want=$(awk -v n="$num" '$1 == n { print $2, $3 }' "$expected" 2>/dev/null | sort)
	while read -r t n; do
		[ -n "$t" ] || continue
		if ! grep -qxF "$t $n" <<<"$want"; then
			echo "${patch#$TOP/}: $n x $t, but ${expected#$TOP/} expects $(awk -v t="$t" '$1 == t { print $2 }' <<<"$want" | grep . || echo 0) on patch $num:"
			grep -A2 -E "^(ERROR|WARNING|CHECK):$t:" <<<"$out" | sed 's/^/    /'
			bad=1
		elif ! grep -qw "$t" "$cover"; then
			echo "${patch#$TOP/}: $t is expected on patch $num, but ${cover#$TOP/} does not explain it"
			bad=1
		fi
	done <<<"$got"
	while read -r t n; do
		[ -n "$t" ] || continue
		grep -q "^$t " <<<"$got" && continue
		echo "${patch#$TOP/}: ${expected#$TOP/} expects $n x $t on patch $num, which checkpatch no longer reports: drop the line"
		bad=1
	done <<<"$want"
	return $bad
}

# format_patches TREE RANGE DIR COVER [FORMAT-PATCH OPTION...]: the commits
# of RANGE in TREE as git format-patch mails in DIR, with a cover letter made
# from COVER (first lines 'Subject:' and 'Prefix:', a blank line, then the
# body). The committer's environment decides the cover letter's sender.
format_patches() {
	local tree=$1 range=$2 dir=$3 cover=$4; shift 4
	[ -f "$cover" ] || die "missing $cover (first lines 'Subject:' and 'Prefix:', a blank line, then the body)"
	local subject prefix body
	subject=$(sed -n 's/^Subject: //p;/^$/q' "$cover")
	prefix=$(sed -n 's/^Prefix: //p;/^$/q' "$cover")
	[ -n "$subject" ] || die "$cover has no 'Subject:' line"
	body=$(sed '1,/^$/d' "$cover")
	git -C "$tree" format-patch -q --cover-letter --no-signature \
		--subject-prefix="${prefix:-PATCH}" "$@" -o "$dir" "$range" ||
		die "git format-patch of $range in $tree failed"
	python3 - "$dir"/0000-cover-letter.patch "$subject" "$body" <<'PY'
import sys
path, subject, body = sys.argv[1:]
text = open(path).read()
text = text.replace("*** SUBJECT HERE ***", subject, 1)
text = text.replace("*** BLURB HERE ***", body, 1)
open(path, "w").write(text)
PY
}

# series_files NAME: the patch files of submission NAME, in git am order.
series_files() {
	local f=$PATCHES/$1/series
	[ -f "$f" ] || die "no $f (the order of the patches of submission $1)"
	grep -v '^\s*\(#\|$\)' "$f" | sed "s|^|$PATCHES/$1/|"
}

# am_series TREE NAME LOG: git am the patch files of submission NAME, in
# order, onto what TREE has checked out. When one does not apply: git am's
# messages (kept in LOG) on stderr, the am aborted, and "N PATCH-FILE" (its
# position in the series, its path) on stdout; non-zero.
am_series() {
	local tree=$1 p n=0
	for p in $(series_files "$2"); do
		n=$((n + 1))
		if ! git -C "$tree" am -q --keep-cr "$p" >"$3" 2>&1; then
			cat "$3" >&2
			git -C "$tree" am --abort >/dev/null 2>&1 || true
			echo "$n ${p#$TOP/}"
			return 1
		fi
	done
}

# partial_marker NAME: exists while branch NAME holds a failed git am.
partial_marker() { echo "$LINUX/.git/fbdefio-partial-$1"; }

# Debian's .gitignore ends by ignoring everything at the top level, which
# hides new files (even under drivers/). Drop that stanza in a working copy
# only, and hide the change from git, so no commit ever carries it.
hide_debian_ignore() {
	sed -i '/^# Debian packaging: ignore everything/,$d' "$1/.gitignore"
	git -C "$1" update-index --skip-worktree .gitignore
}

# worktree_at PATH REV: a detached worktree of work/linux at REV, clean:
# no git am or rebase left in progress, no local change, no untracked
# file (what a test-only patch applied or added is gone).
worktree_at() {
	if [ ! -d "$1" ]; then
		mkdir -p "$(dirname "$1")"
		git -C "$LINUX" worktree prune
		git -C "$LINUX" worktree add -q --detach "$1" "$2" ||
			die "could not check work/linux out at $2 in $1 (df -h: $(df -h --output=avail "$(dirname "$1")" | tail -n 1) free)"
		hide_debian_ignore "$1"
	fi
	git -C "$1" am --abort >/dev/null 2>&1 || true
	git -C "$1" rebase --abort >/dev/null 2>&1 || true
	git -C "$1" checkout -q -f --detach "$2"
	git -C "$1" clean -q -f -d
}

# combined_commit REF MESSAGE REV...: a commit on base whose tree is base
# plus the changes of base..REV for each REV, in order; REF, when it
# already has that tree, is reused. Made without touching a working copy,
# so that checking it out rewrites only the files that differ and a build
# there only recompiles what changed.
combined_commit() {
	local ref=$1 msg=$2 idx rev tree old; shift 2
	idx=$(mktemp)
	(
		export GIT_INDEX_FILE=$idx
		cd "$LINUX"
		git read-tree base
		for rev in "$@"; do
			git diff --quiet base "$rev" && continue
			git diff --binary --full-index base "$rev" | git apply --cached ||
				die "$rev does not apply on top of what comes before it ($*)"
		done
		tree=$(git write-tree)
		old=$(git rev-parse -q --verify "$ref" || true)
		if [ -n "$old" ] && [ "$(git rev-parse "$old^{tree}")" = "$tree" ]; then
			echo "$old"
		else
			git commit-tree "$tree" -p base -m "$msg" </dev/null
		fi
	) >"$idx.out" || { rm -f "$idx" "$idx.out"; return 1; }
	cat "$idx.out"
	rm -f "$idx" "$idx.out"
}

# stack_tree: point the working copy at base + every submission in order,
# as the branches of work/linux are now (exported or not), and print the
# commit.
stack_tree() {
	local commit
	# shellcheck disable=SC2086
	commit=$(combined_commit refs/heads/stack "stack: $SUBMISSIONS" $SUBMISSIONS) ||
		return 1
	git -C "$LINUX" update-ref refs/heads/stack "$commit"
	worktree_at "$SRC" "$commit"
	echo "$commit"
}

# kernel_args VARIANT: qemu.py options of a kernel variant's boots. The
# debug kernels run on two virtual CPUs, switch SLUB's own checks on
# (red zones, poisoning, sanity checks, owner tracking), which SLUB_DEBUG
# only builds in, and have lockdep, which must still be on at the end.
# Under KASAN and lockdep, pty_init's 256 legacy PTYs took 6 s of TCG
# before the guest's init: none is made (no test uses a PTY). ACPI's
# 5-8 s stay: without it (acpi=off) the second CPU is never brought up,
# and mprotect_race_with_flush fails for want of it.
kernel_args() {
	case $1 in
	debug|bisect|mutant-debug)
		echo "--smp 2 --append slub_debug=FZPU --append pty.legacy_count=0 --lockdep" ;;
	esac
}

# KMEMLEAK_ON: the command line of a debug kernel's boot that looks for
# leaks (kmemleak is built in, off: bases/5.10/config/debug.config).
KMEMLEAK_ON="kmemleak=on"

# run_results DIR: the results of a boot (qemu.py's DIR/results), each
# failed one followed by why in parentheses, where qemu.py knew it in one
# line (DIR/reasons: the test's own message, the first kernel report),
# cut to 240 characters: the failures that summary lists say why.
run_results() {
	awk -F '\t' 'FILENAME != ARGV[2] { why[$1] = $2; next }
		/^not ok / && (substr($0, 8) in why) {
			r = why[substr($0, 8)]
			if (length(r) > 240) r = substr(r, 1, 237) "..."
			print $0 " (" r ")"; next
		}
		{ print }' "$1/reasons" "$1/results" 2>/dev/null ||
		cat "$1/results"
}

# reason DIR NAME: why the result NAME of the boot in DIR failed, in one
# line (DIR/reasons), or nothing.
reason() {
	awk -F '\t' -v n="$2" '$1 == n { print $2; exit }' "$1/reasons" 2>/dev/null
}

# summary RESULTS: the failed results of the file RESULTS ("ok NAME" and
# "not ok NAME" lines), then "N passed, N failed"; non-zero when one
# failed or none passed.
summary() {
	local passed failed
	passed=$(grep -c '^ok ' "$1" || true)
	failed=$(grep -c '^not ok ' "$1" || true)
	echo
	if [ "$failed" -gt 0 ]; then
		echo "failed:"
		grep '^not ok ' "$1" | sed 's/^not ok /  /'
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

# for_each_base SCRIPT ARG...: when no BASE was given, run SCRIPT once per
# base, with BASE set, and exit (non-zero when one failed); otherwise
# return, and the script goes on with BASE.
for_each_base() {
	[ -n "$BASE_GIVEN" ] && return 0
	local b rc=0
	for b in $BASES; do
		BASE=$b "$@" || rc=1
	done
	exit $rc
}

# need_disk GB WHAT: fail before WHAT starts, saying what is free, when
# the file system of work/ has less than GB gigabytes free: a kernel
# checkout or build that runs out of space half-way leaves a broken tree.
need_disk() {
	local avail
	mkdir -p "$WORKROOT"
	avail=$(df -Pk "$WORKROOT" | awk 'NR == 2 { print int($4 / 1048576) }')
	[ "$avail" -ge "$1" ] ||
		die "$2 needs about $1 GB free in $WORKROOT, which has $avail GB (df -h $WORKROOT); free some, or make clean"
}

say()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# bench_variants: the kernel variants that BENCH_MODES (base.conf:
# MODE:VARIANT[:BOOT PARAMETER] each) boots, each once, in its order.
bench_variants() {
	local m mode variant param
	for m in $BENCH_MODES; do
		IFS=: read -r mode variant param <<<"$m"
		echo "$variant"
	done | awk '!seen[$0]++'
}

# readme_marker KIND BASE: README's marker of BASE's tables of KIND
# (bench: make bench puts them there; mutants: make mutants): 5.10's, the
# first, is "KIND", another's "KIND-BASE".
readme_marker() { if [ "$2" = 5.10 ]; then echo "$1"; else echo "$1-$2"; fi; }
bench_marker() { readme_marker bench "$1"; }

# one_at_a_time NAME CMD...: run CMD holding the lock NAME
# (work/.lock-NAME), machine-wide. make check runs its bases side by side
# (scripts/check.sh); what must not overlap takes a lock: a boot (the
# tests time the guest: lib.sh boot) and a build (it takes both cores:
# build.sh). Says so when it has to wait.
one_at_a_time() {
	local name=$1 lock=$WORKROOT/.lock-$1; shift
	mkdir -p "$WORKROOT"
	flock -n "$lock" true || say "waiting for the $name of another base"
	flock -o "$lock" "$@"
}

# lock_base: hold work/BASE/.lock-base for the rest of this process and
# its children. Whatever steps through revisions in the base's one
# working copy (lib.sh: SRC) takes it: make check, matrix and soak
# (check.sh), make mutants, make bench, make bisect-check. A second one
# on the same base would check out other revisions under the first one's
# builds (check-patches.sh builds the revision it checked out), so it
# stops at once, saying why. A child of a holder (check.sh's mutants
# step) already has it.
lock_base() {
	[ "${FBDEFIO_LOCKED_BASE:-}" = "$BASE" ] && return 0
	mkdir -p "$WORK"
	exec {base_lock}>"$WORK/.lock-base"
	flock -n "$base_lock" ||
		die "another command is working on base $BASE (make check, matrix, soak, mutants, bench or bisect-check); wait for it to end"
	export FBDEFIO_LOCKED_BASE=$BASE
}

# need_cmd CMD PACKAGE: install PACKAGE from Debian's archive when CMD is
# missing, and say so; fail naming the package when that is not possible.
need_pkgs() {
	local missing=() cmd pkg
	while [ $# -ge 2 ]; do
		cmd=$1 pkg=$2; shift 2
		case $cmd in
		/*) [ -e "$cmd" ] || missing+=("$pkg") ;;
		*) command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg") ;;
		esac
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing missing Debian packages: ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		die "missing packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})"
	fi
	mkdir -p "$LOGS"
	# one apt at a time: the bases of make check start side by side
	if ! one_at_a_time apt bash -c 'apt-get install -y -q "$@" ||
	       { apt-get update -q && apt-get install -y -q "$@"; }' apt "${missing[@]}" \
	     >"$LOGS/apt-install.log" 2>&1 </dev/null; then
		tail -n 20 "$LOGS/apt-install.log" >&2
		die "could not install: ${missing[*]} (log: $LOGS/apt-install.log)"
	fi
}

# run_logged LOG DESCRIPTION CMD...: run a long step with its output in LOG,
# a progress line every 15 s, and the tail of LOG (first error first) when
# it fails. The step runs in the foreground of this shell, so Ctrl-C (and
# SIGTERM, passed on) stops it.
run_logged() {
	local log=$1 what=$2; shift 2
	mkdir -p "$(dirname "$log")"
	local start=$SECONDS rc=0 ticker
	say "$what (log: ${log#$TOP/})"
	: >"$log"
	(
		trap 'kill "$nap" 2>/dev/null; exit 0' TERM
		while :; do
			sleep 15 & nap=$!
			wait "$nap"
			printf '    ... %s: %ds, %s\n' "$what" $((SECONDS - start)) \
				"$(tail -n 1 "$log" | cut -c1-100)" >&2
		done
	) &
	ticker=$!
	"$@" >"$log" 2>&1 </dev/null || rc=$?
	kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
	if [ $rc = 0 ]; then
		say "$what: done in $((SECONDS - start))s"
		return 0
	fi
	printf 'error: %s failed after %ds\n' "$what" $((SECONDS - start)) >&2
	local first
	first=$(grep -m1 -nE '(error|Error|ERROR)[: ]' "$log" || true)
	[ -n "$first" ] && printf 'first error (line %s)\n' "$first" >&2
	printf -- '--- last 30 lines of %s ---\n' "$log" >&2
	tail -n 30 "$log" >&2
	return $rc
}

# Stop the whole process group of a script on SIGINT/SIGTERM: builds and
# QEMU started from it go with it. Called once by each entry script.
stop_on_signals() {
	trap 'trap - INT TERM; echo "interrupted: stopping" >&2; kill -TERM 0 2>/dev/null; exit 130' INT TERM
}
