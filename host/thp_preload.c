// SPDX-License-Identifier: GPL-2.0
/*
 * Preloaded (LD_PRELOAD) into the kernel builds of scripts/build.sh: every
 * anonymous mapping of 1 MiB or more is offered transparent huge pages
 * (MADV_HUGEPAGE).
 *
 * cc1 takes its heap in anonymous mappings of a few MiB and touches all of
 * it. Where transparent huge pages are "madvise" (Debian's default), each
 * 4 KiB page of that is a page fault of its own: about 27,000 for one file
 * of kernel/sched, and on these machines a fault costs far more than
 * usual. With this, about 4,000. Nothing else changes: the objects are the
 * same, and a kernel that says "never" refuses the advice.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

#define THP_MIN_LEN (1UL << 20)

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
	void *p;

	if (!real_mmap)
		real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))
			dlsym(RTLD_NEXT, "mmap");
	p = real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && (flags & MAP_ANONYMOUS) && len >= THP_MIN_LEN)
		madvise(p, len, MADV_HUGEPAGE);
	return p;
}
