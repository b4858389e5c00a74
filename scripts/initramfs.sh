#!/bin/bash
# Build the guest: static test programs (guest/) plus busybox-static, packed
# with the kernel's own usr/gen_init_cpio into work/initramfs.cpio.gz.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_pkgs gcc gcc /bin/busybox busybox-static /usr/lib/x86_64-linux-gnu/libc.a libc6-dev
[ -d "$LINUX/.git" ] || "$TOP/scripts/fetch.sh"

g=$WORK/guest
mkdir -p "$g/bin"
make -s -C "$TOP/guest" OUT="$g/bin" >&2 || die "guest programs do not build (see above)"
gcc -O2 -o "$g/gen_init_cpio" "$LINUX/usr/gen_init_cpio.c"

{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in bin proc sys tmp; do echo "dir /$d 0755 0 0"; done
	echo "file /init $TOP/guest/init 0755 0 0"
	echo "file /bin/busybox /bin/busybox 0755 0 0"
	for p in "$g"/bin/*; do
		echo "file /bin/$(basename "$p") $p 0755 0 0"
	done
} >"$g/initramfs.list"
"$g/gen_init_cpio" "$g/initramfs.list" | gzip -n -9 >"$WORK/initramfs.cpio.gz.tmp"
mv "$WORK/initramfs.cpio.gz.tmp" "$WORK/initramfs.cpio.gz"
say "initramfs: ${WORK#$TOP/}/initramfs.cpio.gz, $(du -k "$WORK/initramfs.cpio.gz" | cut -f1) KiB"
