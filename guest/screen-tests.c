// SPDX-License-Identifier: GPL-2.0
/*
 * Screen tests for fbdev deferred I/O: a program writes to /dev/fb0 and the
 * host, looking at QEMU's screendump, says whether the screen shows exactly
 * what was written.
 *
 *   screen-tests [TEST...]    run the named tests (all when none), KTAP out
 *
 * Scheduling noise: the guest runs under TCG on a shared host, so any step
 * may be late. Screen checks therefore observe repeatedly until a deadline
 * (never once), and the timing checks only judge observations whose timing
 * proves something: an observation made too late to tell is repeated with a
 * fresh pattern (at most ATTEMPTS times), the verdict itself never is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fb.h"

#define ATTEMPTS	5
#define DEADLINE_MS	5000	/* generous: debug kernels copy slowly */
#define PAGE		4096

static struct fb fb;
static const char *cur;	/* the running test's name */
static char why[256];
static const uint32_t colours[] = {
	0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0xff00ff, 0x00ffff, 0xffffff,
};

/* Fill the whole screen with @bg, flush, and wait until it is shown. */
static int reset(struct scene *s, uint32_t bg)
{
	memset(s, 0, sizeof(*s));
	s->bg = bg;
	fb_draw(&fb, s);
	fsync(fb.fd);
	return oracle_wait(&fb, s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0;
}

/* A band of rows in the middle of the screen. */
static void band(struct scene *s, unsigned int i, uint32_t rgb)
{
	unsigned int h = fb.var.yres / 16;

	scene_add(s, fb.var.xres / 8, fb.var.yres / 4 + i * h,
		  fb.var.xres * 3 / 4, h, rgb);
}

/*
 * A write through mmap is not on screen before the deferred-I/O delay,
 * and is on screen after it. Only an observation answered within the
 * delay (guest time, the VM is paused while the host looks) can show that
 * the flush has not happened yet; a later one is retried.
 */
static int test_mmap_write_is_deferred(void)
{
	struct scene s;
	int attempt;

	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		double t0, seen_at, shown;
		int r;

		if (reset(&s, 0x000000))
			goto reset_failed;
		band(&s, 0, colours[attempt % 7]);
		t0 = now_ms();
		fb_fill(&fb, &s.r[0]);
		r = oracle_check(&fb, &s, why, sizeof(why));
		seen_at = now_ms() - t0;
		if (r < 0)
			goto oracle_failed;
		if (seen_at >= DEFIO_DELAY_MS) {
			diag("observation %.1f ms after the write is too late to tell, retrying",
			     seen_at);
			continue;
		}
		if (r > 0) {
			ktap_result(0, cur, "pattern already on screen %.1f ms after the write, before the %d ms delay",
				    seen_at, DEFIO_DELAY_MS);
			return 1;
		}
		shown = oracle_wait(&fb, &s, t0, DEADLINE_MS, why, sizeof(why));
		if (shown < 0) {
			ktap_result(0, cur, "not on screen %d ms after the write: %s",
				    DEADLINE_MS, why);
			return 1;
		}
		diag("not shown at %.1f ms, shown by %.1f ms (delay %d ms)",
		     seen_at, shown, DEFIO_DELAY_MS);
		ktap_result(1, cur, NULL);
		return 0;
	}
	ktap_result(0, cur, "no observation within %d ms of the write in %d attempts",
		    DEFIO_DELAY_MS, ATTEMPTS);
	return 1;
reset_failed:
	ktap_result(0, cur, "could not clear the screen: %s", why);
	return 1;
oracle_failed:
	ktap_result(0, cur, "%s", why);
	return 1;
}

/*
 * fsync() flushes at once: with the writer idle afterwards, the pattern is
 * on screen well before the delay. The first observation must be answered
 * within FAST_MS of the write for the test to judge; a slower one is
 * retried with a new pattern.
 */
#define FAST_MS (DEFIO_DELAY_MS * 4 / 5)
static int test_fsync_flushes_at_once(void)
{
	struct scene s;
	int attempt;

	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		double t0, seen_at;
		int r;

		if (reset(&s, 0x000000))
			goto reset_failed;
		band(&s, 1, colours[(attempt + 3) % 7]);
		t0 = now_ms();
		fb_fill(&fb, &s.r[0]);
		if (fsync(fb.fd)) {
			ktap_result(0, cur, "fsync: %s", strerror(errno));
			return 1;
		}
		/* Observe until FAST_MS; only the verdict at FAST_MS counts. */
		do {
			r = oracle_check(&fb, &s, why, sizeof(why));
			seen_at = now_ms() - t0;
		} while (r == 0 && seen_at < FAST_MS);
		if (r < 0)
			goto oracle_failed;
		if (r > 0 && seen_at < FAST_MS) {
			diag("on screen %.1f ms after the write (delay %d ms)",
			     seen_at, DEFIO_DELAY_MS);
			ktap_result(1, cur, NULL);
			return 0;
		}
		if (r == 0 && seen_at >= FAST_MS && seen_at < DEFIO_DELAY_MS) {
			ktap_result(0, cur, "not on screen %.1f ms after write+fsync: %s",
				    seen_at, why);
			return 1;
		}
		diag("observation %.1f ms after the write is too late to tell, retrying",
		     seen_at);
		oracle_wait(&fb, &s, t0, DEADLINE_MS, why, sizeof(why));
	}
	ktap_result(0, cur, "no timely observation in %d attempts", ATTEMPTS);
	return 1;
reset_failed:
	ktap_result(0, cur, "could not clear the screen: %s", why);
	return 1;
oracle_failed:
	ktap_result(0, cur, "%s", why);
	return 1;
}

/*
 * A page written twice in one period shows the second write; written
 * again after its flush (so it must fault again), shows the third.
 */
static int test_rewrite_shows_latest(void)
{
	struct scene s;
	double shown;

	if (reset(&s, 0x000000))
		goto reset_failed;
	band(&s, 2, 0xff0000);
	fb_fill(&fb, &s.r[0]);
	sleep_ms(DEFIO_DELAY_MS / 10);
	s.r[0].rgb = 0x00ff00;
	fb_fill(&fb, &s.r[0]);
	shown = oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why));
	if (shown < 0) {
		ktap_result(0, cur, "second write in the period not shown: %s", why);
		return 1;
	}
	/* Flushed, so write-protected again: this write must fault anew. */
	s.r[0].rgb = 0x0000ff;
	fb_fill(&fb, &s.r[0]);
	shown = oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why));
	if (shown < 0) {
		ktap_result(0, cur, "write after the flush not shown: %s", why);
		return 1;
	}
	ktap_result(1, cur, NULL);
	return 0;
reset_failed:
	ktap_result(0, cur, "could not clear the screen: %s", why);
	return 1;
}

/*
 * Whole pages written at scattered offsets change exactly their own pixels:
 * first and last visible page included, every other pixel untouched.
 */
static int test_scattered_pages_exact(void)
{
	size_t visible = (size_t)fb.fix.line_length * fb.var.yres;
	size_t npages = visible / PAGE;
	size_t pages[] = { 0, 3, npages / 3, npages / 2 + 1, npages - 1 };
	struct scene s;
	unsigned int i;
	double shown;

	if (reset(&s, 0x202020))
		goto reset_failed;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		uint32_t v = fb_pixel(&fb, colours[i]);
		size_t off;

		for (off = pages[i] * PAGE; off < (pages[i] + 1) * PAGE;
		     off += fb.bpp)
			memcpy(fb.mem + off, &v, fb.bpp);
		scene_add_bytes(&s, &fb, pages[i] * PAGE, PAGE, colours[i]);
	}
	shown = oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why));
	if (shown < 0) {
		ktap_result(0, cur, "pages %zu %zu %zu %zu %zu: %s", pages[0],
			    pages[1], pages[2], pages[3], pages[4], why);
		return 1;
	}
	diag("%zu scattered pages of %zu on screen by %.1f ms",
	     sizeof(pages) / sizeof(pages[0]), npages, shown);
	ktap_result(1, cur, NULL);
	return 0;
reset_failed:
	ktap_result(0, cur, "could not clear the screen: %s", why);
	return 1;
}

/* write() and pwrite() on the device reach the screen too. */
static int test_write_and_pwrite(void)
{
	size_t ll = fb.fix.line_length, rows = fb.var.yres / 16;
	size_t len = rows * ll, off1 = 2 * rows * ll, off2 = 5 * rows * ll;
	uint8_t *buf = malloc(len);
	struct scene s;
	ssize_t n;
	size_t i;

	if (!buf || reset(&s, 0x000000))
		goto reset_failed;
	for (i = 0; i < len; i += fb.bpp) {
		uint32_t v = fb_pixel(&fb, 0xffff00);

		memcpy(buf + i, &v, fb.bpp);
	}
	n = pwrite(fb.fd, buf, len, off1);
	if (n != (ssize_t)len) {
		ktap_result(0, cur, "pwrite returned %zd (%s), want %zu", n,
			    n < 0 ? strerror(errno) : "short", len);
		free(buf);
		return 1;
	}
	for (i = 0; i < len; i += fb.bpp) {
		uint32_t v = fb_pixel(&fb, 0x00ffff);

		memcpy(buf + i, &v, fb.bpp);
	}
	if (lseek(fb.fd, off2, SEEK_SET) != (off_t)off2 ||
	    (n = write(fb.fd, buf, len)) != (ssize_t)len) {
		ktap_result(0, cur, "write returned %zd (%s), want %zu", n,
			    n < 0 ? strerror(errno) : "short", len);
		free(buf);
		return 1;
	}
	free(buf);
	scene_add_bytes(&s, &fb, off1, len, 0xffff00);
	scene_add_bytes(&s, &fb, off2, len, 0x00ffff);
	if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0) {
		ktap_result(0, cur, "%s", why);
		return 1;
	}
	ktap_result(1, cur, NULL);
	return 0;
reset_failed:
	ktap_result(0, cur, "could not clear the screen: %s", why);
	free(buf);
	return 1;
}

/* FBIOGET_*SCREENINFO agree with the screen QEMU shows. */
static int test_geometry_matches_screen(void)
{
	unsigned int w, h;

	if (oracle_geometry(&w, &h)) {
		ktap_result(0, cur, "no answer from the host oracle");
		return 1;
	}
	diag("%ux%u, %u bpp, line_length %u, smem_len %u", fb.var.xres,
	     fb.var.yres, fb.var.bits_per_pixel, fb.fix.line_length,
	     fb.fix.smem_len);
	if (w != fb.var.xres || h != fb.var.yres) {
		ktap_result(0, cur, "screen is %ux%u, fb says %ux%u", w, h,
			    fb.var.xres, fb.var.yres);
		return 1;
	}
	if (fb.fix.line_length < fb.var.xres * fb.bpp ||
	    fb.fix.smem_len < fb.fix.line_length * fb.var.yres) {
		ktap_result(0, cur, "line_length %u or smem_len %u too small for %ux%u",
			    fb.fix.line_length, fb.fix.smem_len, fb.var.xres,
			    fb.var.yres);
		return 1;
	}
	ktap_result(1, cur, NULL);
	return 0;
}

static const struct fbtest tests[] = {
	{ "geometry_matches_screen", test_geometry_matches_screen },
	{ "mmap_write_is_deferred", test_mmap_write_is_deferred },
	{ "fsync_flushes_at_once", test_fsync_flushes_at_once },
	{ "rewrite_shows_latest", test_rewrite_shows_latest },
	{ "scattered_pages_exact", test_scattered_pages_exact },
	{ "write_and_pwrite", test_write_and_pwrite },
};

int main(int argc, char **argv)
{
	return fbtest_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			   &fb, &cur);
}
