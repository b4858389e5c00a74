// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the screen tests: framebuffer access, the host's screen
 * oracle and KTAP output. See fb.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fb.h"

int fb_open(struct fb *fb, const char *path)
{
	memset(fb, 0, sizeof(*fb));
	fb->fd = open(path, O_RDWR);
	if (fb->fd < 0)
		return -errno;
	if (ioctl(fb->fd, FBIOGET_VSCREENINFO, &fb->var) ||
	    ioctl(fb->fd, FBIOGET_FSCREENINFO, &fb->fix))
		return -errno;
	/* Without fbcon nothing lights the display: set the mode once. */
	fb->var.activate = FB_ACTIVATE_NOW | FB_ACTIVATE_FORCE;
	if (ioctl(fb->fd, FBIOPUT_VSCREENINFO, &fb->var))
		return -errno;
	if (ioctl(fb->fd, FBIOGET_FSCREENINFO, &fb->fix))
		return -errno;
	fb->bpp = fb->var.bits_per_pixel / 8;
	fb->len = fb->fix.smem_len;
	fb->mem = mmap(NULL, fb->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fb->fd, 0);
	if (fb->mem == MAP_FAILED) {
		fb->mem = NULL;
		return -errno;
	}
	return 0;
}

void fb_close(struct fb *fb)
{
	if (fb->mem)
		munmap(fb->mem, fb->len);
	if (fb->fd >= 0)
		close(fb->fd);
	fb->mem = NULL;
	fb->fd = -1;
}

static uint32_t field(uint32_t v8, const struct fb_bitfield *f)
{
	return (v8 >> (8 - f->length)) << f->offset;
}

uint32_t fb_pixel(const struct fb *fb, uint32_t rgb)
{
	return field((rgb >> 16) & 0xff, &fb->var.red) |
	       field((rgb >> 8) & 0xff, &fb->var.green) |
	       field(rgb & 0xff, &fb->var.blue);
}

static void put_pixel(uint8_t *p, unsigned int bpp, uint32_t v)
{
	if (bpp == 4)
		*(volatile uint32_t *)p = v;
	else if (bpp == 2)
		*(volatile uint16_t *)p = v;
	else
		memcpy(p, &v, bpp);
}

void fb_fill(struct fb *fb, const struct rect *r)
{
	uint32_t v = fb_pixel(fb, r->rgb);
	unsigned int x, y;

	for (y = r->y; y < r->y + r->h; y++) {
		uint8_t *row = fb->mem + (size_t)y * fb->fix.line_length;

		for (x = r->x; x < r->x + r->w; x++)
			put_pixel(row + x * fb->bpp, fb->bpp, v);
	}
}

void fb_draw(struct fb *fb, const struct scene *s)
{
	struct rect all = { 0, 0, fb->var.xres, fb->var.yres, s->bg };
	unsigned int i;

	fb_fill(fb, &all);
	for (i = 0; i < s->n; i++)
		fb_fill(fb, &s->r[i]);
}

void scene_add(struct scene *s, unsigned int x, unsigned int y,
	       unsigned int w, unsigned int h, uint32_t rgb)
{
	if (s->n == SCENE_MAX_RECTS) {
		fprintf(stderr, "scene: too many rectangles\n");
		exit(2);
	}
	s->r[s->n++] = (struct rect){ x, y, w, h, rgb };
}

void scene_add_bytes(struct scene *s, const struct fb *fb, size_t off,
		     size_t len, uint32_t rgb)
{
	size_t ll = fb->fix.line_length, end = off + len;

	while (off < end) {
		unsigned int y = off / ll, x = (off % ll) / fb->bpp;
		size_t row_end = (size_t)(y + 1) * ll;
		size_t stop = end < row_end ? end : row_end;
		unsigned int w = (stop - off) / fb->bpp;

		if (x < fb->var.xres && y < fb->var.yres) {
			struct rect *prev = s->n ? &s->r[s->n - 1] : NULL;

			if (x + w > fb->var.xres)
				w = fb->var.xres - x;
			/* Whole rows in a run: grow the previous rectangle. */
			if (prev && prev->x == x && prev->w == w &&
			    prev->rgb == rgb && prev->y + prev->h == y)
				prev->h++;
			else
				scene_add(s, x, y, w, 1, rgb);
		}
		off = stop;
	}
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void sleep_ms(double ms)
{
	struct timespec ts = { (time_t)(ms / 1e3),
			       (long)((ms - (time_t)(ms / 1e3) * 1e3) * 1e6) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --- the host's screen oracle --- */

static int oracle_fd = -1;
static unsigned int oracle_seq;

int oracle_open(void)
{
	struct termios t;

	oracle_fd = open("/dev/ttyS1", O_RDWR | O_NOCTTY);
	if (oracle_fd < 0)
		return -errno;
	if (tcgetattr(oracle_fd, &t))
		return -errno;
	cfmakeraw(&t);
	cfsetspeed(&t, B115200);
	if (tcsetattr(oracle_fd, TCSANOW, &t))
		return -errno;
	return 0;
}

/* Send one request line, read the answer line for the same sequence. */
static int oracle_ask(const char *req, char *ans, size_t anslen)
{
	char tag[16];
	size_t n = 0, len = strlen(req);
	unsigned int seq = ++oracle_seq;

	snprintf(tag, sizeof(tag), "%u ", seq);
	if (write(oracle_fd, tag, strlen(tag)) < 0 ||
	    write(oracle_fd, req, len) != (ssize_t)len ||
	    write(oracle_fd, "\n", 1) != 1)
		return -1;
	for (;;) {
		struct pollfd p = { oracle_fd, POLLIN, 0 };
		char c;

		if (poll(&p, 1, 60000) <= 0 || read(oracle_fd, &c, 1) != 1)
			return -1;
		if (c != '\n') {
			if (n + 1 < anslen)
				ans[n++] = c;
			continue;
		}
		ans[n] = 0;
		if (strncmp(ans, tag, strlen(tag)) == 0) {
			memmove(ans, ans + strlen(tag), n - strlen(tag) + 1);
			return 0;
		}
		n = 0;	/* an answer to an older request: drop it */
	}
}

int oracle_check(const struct fb *fb, const struct scene *s, char *why,
		 size_t whylen)
{
	static char req[SCENE_MAX_RECTS * 48 + 128];
	char ans[256];
	size_t n;
	unsigned int i;

	n = snprintf(req, sizeof(req), "CHECK %u %u %u,%u,%u %06x %u",
		     fb->var.xres, fb->var.yres, fb->var.red.length,
		     fb->var.green.length, fb->var.blue.length, s->bg, s->n);
	for (i = 0; i < s->n; i++)
		n += snprintf(req + n, sizeof(req) - n, " %u,%u,%u,%u,%06x",
			      s->r[i].x, s->r[i].y, s->r[i].w, s->r[i].h,
			      s->r[i].rgb);
	if (oracle_ask(req, ans, sizeof(ans))) {
		snprintf(why, whylen, "no answer from the host oracle");
		return -1;
	}
	if (strcmp(ans, "MATCH") == 0)
		return 1;
	snprintf(why, whylen, "%s", ans);
	return 0;
}

double oracle_wait(const struct fb *fb, const struct scene *s, double t0,
		   double timeout_ms, char *why, size_t whylen)
{
	for (;;) {
		int r = oracle_check(fb, s, why, whylen);

		if (r < 0)
			return -1;
		if (r > 0)
			return now_ms() - t0;
		if (now_ms() - t0 > timeout_ms)
			return -1;
		sleep_ms(5);
	}
}

int oracle_geometry(unsigned int *w, unsigned int *h)
{
	char ans[64];

	if (oracle_ask("GEOM", ans, sizeof(ans)) ||
	    sscanf(ans, "SIZE %u %u", w, h) != 2)
		return -1;
	return 0;
}

int oracle_save(const char *name)
{
	char req[128], ans[256];

	snprintf(req, sizeof(req), "SAVE %s", name);
	if (oracle_ask(req, ans, sizeof(ans)) || strncmp(ans, "SAVED", 5))
		return -1;
	return 0;
}

/* --- KTAP --- */

static int ktap_n;

void ktap_plan(int n)
{
	printf("KTAP version 1\n1..%d\n", n);
	fflush(stdout);
}

void ktap_result(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		printf("# %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	printf("%sok %d %s\n", ok ? "" : "not ", ++ktap_n, name);
	fflush(stdout);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int fbtest_main(int argc, char **argv, const struct fbtest *tests,
		unsigned int ntests, struct fb *fb, const char **cur)
{
	int i, failed = 0, err;
	unsigned int t;

	for (i = 1; i < argc; i++) {
		for (t = 0; t < ntests; t++)
			if (!strcmp(argv[i], tests[t].name))
				break;
		if (t == ntests) {
			fprintf(stderr, "%s: no test '%s'\n", argv[0], argv[i]);
			return 2;
		}
	}
	ktap_plan(argc > 1 ? argc - 1 : (int)ntests);
	err = oracle_open();
	if (!err)
		err = fb_open(fb, "/dev/fb0");
	for (t = 0; t < ntests; t++) {
		int want = argc == 1;
		double t0 = now_ms();

		for (i = 1; i < argc; i++)
			want |= !strcmp(argv[i], tests[t].name);
		if (!want)
			continue;
		*cur = tests[t].name;
		if (err) {
			ktap_result(0, *cur, "setup: %s", strerror(-err));
			failed++;
			continue;
		}
		failed += tests[t].run();
		diag("%s took %.0f ms", *cur, now_ms() - t0);
	}
	fb_close(fb);
	return failed ? 1 : 0;
}
