#!/bin/bash
# Prepare the submissions for mailing, signed by the sender.
#
#   prepare.sh [OUTDIR]      every submission of every base (or of $BASE)
#                            into OUTDIR/NAME (default
#                            work/submission/BASE), as the sender
#   prepare.sh --check-unsigned   the committed patches carry no identity:
#                            author is the placeholder, no Signed-off-by
#   prepare.sh --test-refusals    a placeholder, example or .invalid sender
#                            is refused
#   prepare.sh --test        prepare as a test sender and have git
#                            send-email --dry-run accept every submission
#
# The sender is the identity git would commit with: GIT_AUTHOR_NAME and
# GIT_AUTHOR_EMAIL, or git config user.name and user.email. The patches in
# patches/ are nobody's (their From is a placeholder and they carry no
# Signed-off-by): a Signed-off-by is the sender's statement under the
# Developer's Certificate of Origin, so only the sender adds it, here.
# A backport of a mainline commit (its message says "commit SHA
# upstream.") keeps its upstream author and the upstream trailers; the
# sender's Signed-off-by comes after them, as stable-kernel-rules.rst
# wants.
#
# For each submission, in order (lib.sh: SUBMISSIONS), it applies the
# patches to the base, makes the sender their author, exports them with
# the sender's Signed-off-by and the To/Cc of the tree's
# scripts/get_maintainer.pl, puts in the cover letter, and runs
# checkpatch.pl --strict on the result.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for_each_base "$0" "$@"
need_pkgs /usr/lib/git-core/git-send-email git-email

# refused EMAIL NAME: why this identity cannot sign, or nothing.
refused() {
	local email=$1 name=$2 domain=${1##*@}
	if [ -z "$name" ] || [ -z "$email" ]; then
		echo "no sender identity (set git config user.name and user.email, or GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL)"
	elif [ "$email" = "$PLACEHOLDER_EMAIL" ] || [ "$name" = "$PLACEHOLDER_NAME" ]; then
		echo "'$name <$email>' is the placeholder of the committed patches, not a person"
	elif ! [[ $email =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]]; then
		echo "'$email' is not an e-mail address"
	elif [[ $domain =~ (^|\.)(invalid|test|localhost|local|example)$ ]] ||
	     [[ $domain =~ (^|\.)example\.(com|net|org)$ ]] || [ "$domain" = localhost ]; then
		echo "'$email' is a placeholder, example or reserved address ($domain), which nobody reads"
	fi
}

sender_name=${GIT_AUTHOR_NAME-$(git config user.name 2>/dev/null || true)}
sender_email=${GIT_AUTHOR_EMAIL-$(git config user.email 2>/dev/null || true)}

prepare() {	# prepare OUTDIR
	local outdir=$1 why s wt=$SRC
	why=$(refused "$sender_email" "$sender_name")
	[ -z "$why" ] || die "refusing to sign: $why"
	[ -d "$LINUX/.git" ] || "$TOP/scripts/fetch.sh"
	mkdir -p "$outdir" "$WORK/submission-diff"
	for s in $SUBMISSIONS; do
		local dir=$outdir/$s cover=$PATCHES/$s/cover-letter.txt
		rm -rf "$dir"
		worktree_at "$wt" base
		# The sender authors and commits what was the placeholder's.
		GIT_COMMITTER_NAME=$sender_name GIT_COMMITTER_EMAIL=$sender_email \
		am_series "$wt" "$s" "$WORK/submission-diff/git-am.log" >/dev/null ||
			die "patches/$s does not apply to the base (above)"
		git -C "$wt" -c user.name="$sender_name" -c user.email="$sender_email" \
			rebase -q --exec "git log -1 --format=%B | grep -qE '$BACKPORT_RE' || git commit -q --amend --no-edit --reset-author" base \
			>/dev/null 2>&1 ||
			die "could not make the sender the author of patches/$s"
		# Recipients: the maintainers of what the submission touches.
		local to cc args=()
		git -C "$wt" diff base HEAD >"$WORK/submission-diff/$s.diff"
		to=$(cd "$wt" && scripts/get_maintainer.pl --no-rolestats --no-git \
			--no-git-fallback --no-l --no-r "$WORK/submission-diff/$s.diff")
		cc=$(cd "$wt" && scripts/get_maintainer.pl --no-rolestats --no-git \
			--no-git-fallback --no-m "$WORK/submission-diff/$s.diff")
		[ -n "$to$cc" ] || die "get_maintainer.pl found nobody for patches/$s"
		while IFS= read -r a; do [ -n "$a" ] && args+=(--to="$a"); done <<<"$to"
		# a submission for a stable tree ("Prefix: PATCH 5.10") goes to
		# the stable maintainers too
		grep -qE '^Prefix: .*[0-9]+\.[0-9]+' "$cover" && args+=(--to=stable@vger.kernel.org)
		while IFS= read -r a; do [ -n "$a" ] && args+=(--cc="$a"); done <<<"$cc"
		GIT_COMMITTER_NAME=$sender_name GIT_COMMITTER_EMAIL=$sender_email \
		format_patches "$wt" base..HEAD "$dir" "$cover" --signoff \
			--thread "${args[@]}"
		local p bad=0
		for p in "$dir"/*.patch; do
			case $p in */0000-cover-letter.patch) continue ;; esac
			checkpatch_check "$p" "$cover" || bad=1
		done
		[ $bad = 0 ] || die "checkpatch --strict is not clean on the prepared $s (above)"
		say "$s: $(ls "$dir"/*.patch | wc -l) mails in ${dir#$TOP/}, checkpatch --strict clean"
		echo "  To: $(echo "$to" | paste -sd, -)"
		echo "  Cc: $(echo "$cc" | paste -sd, -)"
	done
	git -C "$wt" checkout -q -f --detach base
}

case ${1:-} in
--check-unsigned)
	bad=0 n=0
	for s in $SUBMISSIONS; do
		for p in "$PATCHES/$s"/*.patch; do
			n=$((n + 1))
			from=$(sed -n 's/^From: //p' "$p" | head -n 1)
			if grep -qE "$BACKPORT_RE" "$p"; then
				# upstream's author and trailers, none of ours
				if grep -nE "^(Signed-off-by|Co-developed-by):.*$PLACEHOLDER_EMAIL" "$p" ||
				   [ "$from" = "$PLACEHOLDER_NAME <$PLACEHOLDER_EMAIL>" ]; then
					echo "${p#$TOP/}: a backport must keep its upstream author, and carry no sign-off of ours"; bad=1
				fi
			elif [ "$from" != "$PLACEHOLDER_NAME <$PLACEHOLDER_EMAIL>" ]; then
				echo "${p#$TOP/}: From: $from (must be the placeholder)"; bad=1
			elif grep -nE '^(Signed-off-by|Co-developed-by):' "$p"; then
				echo "${p#$TOP/}: carries a sign-off; only the sender signs"; bad=1
			fi
			if grep -nE 'FIXME|XXX|TODO|TBD|TO COME' "$p" | grep -v '^[0-9]*:[ +-]'; then
				echo "${p#$TOP/}: unfinished message"; bad=1
			fi
		done
	done
	echo "$n patch files: author $PLACEHOLDER_NAME <$PLACEHOLDER_EMAIL>, no Signed-off-by (backports: their upstream author and trailers)"
	exit $bad ;;
--test-refusals)
	bad=0
	for id in "$PLACEHOLDER_NAME|$PLACEHOLDER_EMAIL" "Jane Doe|jane@example.com" \
		  "Jane Doe|jane@kernel.invalid" "Jane Doe|jane@localhost" \
		  "Jane Doe|not-an-address" "|jane@kernel.org"; do
		msg=$(GIT_AUTHOR_NAME=${id%%|*} GIT_AUTHOR_EMAIL=${id#*|} \
			"$0" "$WORK/submission-refused" 2>&1) && {
			echo "accepted '${id%%|*} <${id#*|}>'"; bad=1; continue; }
		grep -q 'refusing to sign' <<<"$msg" ||
			{ echo "'${id%%|*} <${id#*|}>': failed without saying why: $msg"; bad=1; continue; }
		echo "refused '${id%%|*} <${id#*|}>': ${msg#error: }"
	done
	exit $bad ;;
--test)
	out=$WORK/submission-test
	GIT_AUTHOR_NAME="Test Sender" GIT_AUTHOR_EMAIL="test.sender@fbdefio-ci.net" \
		"$0" "$out"
	sender="Test Sender <test.sender@fbdefio-ci.net>"
	for s in $SUBMISSIONS; do
		for p in "$out/$s"/0*.patch; do
			case $p in */0000-cover-letter.patch) continue ;; esac
			# the sender's sign-off is the last one: after a
			# backport's upstream trailers
			[ "$(grep '^Signed-off-by: ' "$p" | tail -n 1)" = "Signed-off-by: $sender" ] ||
				die "$s: ${p##*/} does not end its sign-offs with the sender's"
			from=$(sed -n 's/^From: //p' "$p" | head -n 1)
			if grep -qE "$BACKPORT_RE" "$p"; then
				[ "$from" != "$sender" ] && [ "$from" != "$PLACEHOLDER_NAME <$PLACEHOLDER_EMAIL>" ] ||
					die "$s: ${p##*/} is a backport, but not from its upstream author: $from"
			else
				[ "$from" = "$sender" ] ||
					die "$s: ${p##*/} is not from the sender: $from"
			fi
		done
		log=$(git send-email --dry-run --confirm=never \
			--from="Test Sender <test.sender@fbdefio-ci.net>" \
			--suppress-cc=self "$out/$s"/*.patch 2>&1) ||
			{ echo "$log"; die "git send-email --dry-run refuses $s"; }
		mails=$(ls "$out/$s"/*.patch | wc -l)
		oks=$(grep -c '^Result: OK' <<<"$log" || true)
		[ "$oks" = "$mails" ] ||
			{ echo "$log" | tail -n 20; die "git send-email --dry-run: $oks of $mails mails of $s OK"; }
		echo "$s: git send-email --dry-run: $oks of $mails mails OK, $(grep -c '^RCPT TO:' <<<"$log") recipients in all"
	done ;;
-*) die "unknown option $1 (see the head of $0)" ;;
*)	prepare "${1:-$WORKROOT/submission/$BASE}" ;;
esac
