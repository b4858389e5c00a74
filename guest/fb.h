/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of the screen tests: the framebuffer, the host's screen
 * oracle (a second serial port), KTAP reporting.
 */
#ifndef FBTEST_FB_H
#define FBTEST_FB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fb.h>

/* DRM's generic fbdev emulation flushes HZ/20 after the first write. */
#define DEFIO_DELAY_MS 50

struct fb {
	int fd;
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	uint8_t *mem;		/* mmap of smem_len bytes, or NULL */
	size_t len;		/* fix.smem_len */
	unsigned int bpp;	/* bytes per pixel */
};

/* A filled rectangle in screen pixels, colour as 0xRRGGBB. */
struct rect {
	unsigned int x, y, w, h;
	uint32_t rgb;
};

/* The screen as a background colour plus rectangles drawn in order. */
#define SCENE_MAX_RECTS 64
struct scene {
	uint32_t bg;
	unsigned int n;
	struct rect r[SCENE_MAX_RECTS];
};

int fb_open(struct fb *fb, const char *path);	/* open, mode-set, mmap */
void fb_close(struct fb *fb);
uint32_t fb_pixel(const struct fb *fb, uint32_t rgb);
void fb_fill(struct fb *fb, const struct rect *r);
void fb_draw(struct fb *fb, const struct scene *s);
void scene_add(struct scene *s, unsigned int x, unsigned int y,
	       unsigned int w, unsigned int h, uint32_t rgb);
/* Add the pixels of framebuffer bytes [off, off + len) as rectangles. */
void scene_add_bytes(struct scene *s, const struct fb *fb, size_t off,
		     size_t len, uint32_t rgb);

double now_ms(void);
void sleep_ms(double ms);

/* Host screen oracle, over /dev/ttyS1. */
int oracle_open(void);
/*
 * Ask the host whether the screen shows @s now. Returns 1 for a match, 0
 * for a mismatch (with the host's description in @why), -1 on a protocol
 * error. The VM is paused while the host looks, so guest time does not
 * advance during the comparison itself.
 */
int oracle_check(const struct fb *fb, const struct scene *s, char *why,
		 size_t whylen);
/*
 * Poll until the screen shows @s or @timeout_ms passes. Returns when the
 * match was seen, in ms after @t0 (an upper bound: the answer's arrival),
 * or -1 with the last mismatch in @why.
 */
double oracle_wait(const struct fb *fb, const struct scene *s, double t0,
		   double timeout_ms, char *why, size_t whylen);
/* Ask the host for the screen size. */
int oracle_geometry(unsigned int *w, unsigned int *h);
/* Ask the host to save the screen as work/.../NAME.png. */
int oracle_save(const char *name);

/* A test: returns 0 when it passed; reports itself with ktap_result(). */
struct fbtest {
	const char *name;
	int (*run)(void);
};

/*
 * main() of a test program: run the tests named on the command line (all
 * when none) in table order, as KTAP, after opening the oracle and setting
 * up @fb on /dev/fb0; *@cur names the running test. Returns the exit
 * status: 0 when all passed, 1 when one failed, 2 for an unknown name.
 */
int fbtest_main(int argc, char **argv, const struct fbtest *tests,
		unsigned int ntests, struct fb *fb, const char **cur);

/* KTAP on the console. */
void ktap_plan(int n);
void ktap_result(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
