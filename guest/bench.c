// SPDX-License-Identifier: GPL-2.0
/*
 * The deferred-I/O benchmark (make bench, not a test): run in the guest on
 * a 3840x2160 virtio-gpu framebuffer, with the bench-only kernel knobs of
 * bench/ (drm_kms_helper.fbdev_defio_delay_ms, and on the patched kernel
 * drm_kms_helper.fbdev_defio_sort). Prints lines for scripts/bench.sh:
 *
 *   BENCH dirty SORT N REP US_PER_PAGE FLUSH_MS
 *   BENCH floor - N REP US_PER_PAGE -
 *   BENCH latency SORT - REP MS DELAY_MS
 *
 *   bench SORT...   SORT is 0 or 1 (1 only where the kernel can choose)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fb.h"

#define PAGE	4096
#define REPS	7
#define IDLE_MS	300	/* > a 3840x2160 damage copy under TCG */
#define PARAM	"/sys/module/drm_kms_helper/parameters/"

static int set_param(const char *name, const char *val)
{
	int fd = open(name, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* One byte into each of pages [0, n), ascending, as a frame copy does. */
static double dirty(uint8_t *mem, size_t n, uint8_t v)
{
	double t0 = now_ms();
	size_t i;

	for (i = 0; i < n; i++)
		((volatile uint8_t *)mem)[i * PAGE] = v;
	return (now_ms() - t0) * 1000.0 / n;
}

int main(int argc, char **argv)
{
	static const size_t ns[] = { 1, 16, 64, 256, 1024, 2048, 4096, 0 };
	struct fb fb;
	size_t npages, k;
	uint8_t *floor;
	int memfd, a, rep;

	if (oracle_open() || fb_open(&fb, "/dev/fb0")) {
		printf("bench: setup failed\n");
		return 1;
	}
	npages = fb.len / PAGE;
	printf("bench: %ux%u, %zu pages\n", fb.var.xres, fb.var.yres, npages);

	/* One flush period spans every timed loop. */
	if (set_param(PARAM "fbdev_defio_delay_ms", "20000")) {
		printf("bench: no delay knob (bench patch missing?)\n");
		return 1;
	}
	for (a = 1; a < argc; a++) {
		const char *sort = argv[a];

		if (set_param(PARAM "fbdev_defio_sort", sort) && strcmp(sort, "1")) {
			printf("bench: kernel cannot switch ordering off\n");
			return 1;
		}
		dirty(fb.mem, npages, 1);	/* map every page once */
		fsync(fb.fd);
		sleep_ms(IDLE_MS);
		for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
			size_t n = ns[k] ? ns[k] : npages;

			for (rep = 0; rep < REPS; rep++) {
				double us = dirty(fb.mem, n, rep), t0 = now_ms();

				fsync(fb.fd);	/* the flush: mkclean + callback */
				printf("BENCH dirty %s %zu %d %.3f %.3f\n", sort, n,
				       rep, us, now_ms() - t0);
				/*
				 * DRM's callback only queues its damage copy,
				 * which then runs on the one vCPU: let it end
				 * before the next timed loop, or it is timed.
				 */
				sleep_ms(IDLE_MS);
			}
		}
	}

	/*
	 * The floor: one minor fault per page of a shared memfd mapping whose
	 * pages exist but are not mapped. The test kernel has no madvise()
	 * (tinyconfig), so each run maps the memfd anew instead of
	 * MADV_DONTNEED: the same state, pages in the page cache, no PTEs.
	 */
	memfd = memfd_create("floor", 0);
	if (memfd < 0 || ftruncate(memfd, fb.len))
		return 1;
	for (k = 0; k <= sizeof(ns) / sizeof(ns[0]); k++) {
		size_t n = k && ns[k - 1] ? ns[k - 1] : npages;

		for (rep = 0; rep < (k ? REPS : 1); rep++) {
			double us;

			floor = mmap(NULL, fb.len, PROT_READ | PROT_WRITE,
				     MAP_SHARED, memfd, 0);
			if (floor == MAP_FAILED)
				return 1;
			us = dirty(floor, n, rep);
			munmap(floor, fb.len);
			if (k)	/* k == 0 only fills the page cache */
				printf("BENCH floor - %zu %d %.3f -\n", n, rep, us);
		}
	}

	/* Latency from a write to pixels on screen, at DRM's own delay. */
	set_param(PARAM "fbdev_defio_delay_ms", "50");
	for (a = 1; a < argc; a++) {
		set_param(PARAM "fbdev_defio_sort", argv[a]);
		for (rep = 0; rep < REPS; rep++) {
			struct scene s = { .bg = 0 };
			char why[256];
			double t0, shown;

			fb_draw(&fb, &s);
			fsync(fb.fd);
			oracle_wait(&fb, &s, now_ms(), 5000, why, sizeof(why));
			scene_add(&s, 0, fb.var.yres / 2, fb.var.xres, 8,
				  rep % 2 ? 0xff0000 : 0x00ff00);
			t0 = now_ms();
			fb_fill(&fb, &s.r[0]);
			shown = oracle_wait(&fb, &s, t0, 5000, why, sizeof(why));
			printf("BENCH latency %s - %d %.3f 50\n", argv[a], rep, shown);
		}
	}
	fb_close(&fb);
	return 0;
}
