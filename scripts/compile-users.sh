#!/bin/bash
# Compile every user of fbdev deferred I/O (the core and the 13 files the
# series converts) on x86_64 with config/compile.config, building only
# their objects. Fails when one does not compile or is not reached by the
# config.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

objs=$(echo "$DEFIO_USERS" | sed 's/\.c$/.o/')
out=$(objdir compile)
# shellcheck disable=SC2086
for o in $objs; do rm -f "$out/$o"; done
"$TOP/scripts/build.sh" compile prepare
"$TOP/scripts/build.sh" compile $objs
missing=0
for o in $objs; do
	if [ -f "$out/$o" ]; then
		echo "compiled: ${o%.o}.c"
	else
		echo "NOT compiled: ${o%.o}.c (not enabled by config/compile.config?)"
		missing=1
	fi
done
exit $missing
