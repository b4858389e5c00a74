#!/bin/bash
# The main job: fetch the base, apply the series, build the patched test
# kernel, boot it on virtio-gpu, and let a guest program draw a test card
# through the mmapped /dev/fb0. The host saves what the emulated screen
# shows as PNG files under work/demo/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_on_signals

display=${1:-virtio}
need_pkgs qemu-system-x86_64 qemu-system-x86 /usr/bin/python3 python3
"$TOP/scripts/fetch.sh"
"$TOP/scripts/build.sh" series
"$TOP/scripts/initramfs.sh"
say "booting the patched kernel on $display; the guest draws a test card"
boot series "$display" "$WORK/demo" --name "demo/" --timeout 120 -- testcard ||
	die "the demo failed (console: work/demo/console.log)"
grep '^testcard:' "$WORK/demo/console.log"
say "screens saved: $(ls "$WORK"/demo/*.png | tr '\n' ' ')"
