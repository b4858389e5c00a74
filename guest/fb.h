/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of the screen tests: the framebuffer, the host's screen
 * oracle (a second serial port), the kernel's timing, KTAP reporting.
 */
#ifndef FBTEST_FB_H
#define FBTEST_FB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/fb.h>

struct fb {
	int fd;
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	uint8_t *mem;		/* mmap of smem_len bytes, or NULL */
	size_t len;		/* fix.smem_len */
	unsigned int bpp;	/* bytes per pixel */
	/*
	 * fix.id as a word (NUL-terminated, blanks replaced): the name the
	 * oracle requests carry, so the host knows which display to look at
	 * (DRM's generic fbdev names them "<driver>drmfb").
	 */
	char id[sizeof(((struct fb_fix_screeninfo *)0)->id) + 1];
};

/* A filled rectangle in screen pixels, colour as 0xRRGGBB. */
struct rect {
	unsigned int x, y, w, h;
	uint32_t rgb;
};

/* The screen as a background colour plus rectangles drawn in order. */
#define SCENE_MAX_RECTS 128
struct scene {
	uint32_t bg;
	unsigned int n;
	struct rect r[SCENE_MAX_RECTS];
};

/* Open @path, set the mode (this lights the display), mmap it. 0 or -errno. */
int fb_open(struct fb *fb, const char *path);
/*
 * Open and mmap @path without setting the mode: a second device node or a
 * second open of a framebuffer whose mode is already set. 0 or -errno.
 */
int fb_open_nomodeset(struct fb *fb, const char *path);
/*
 * The device node (/dev/fbN) of the framebuffer whose fix.id starts with
 * @prefix, into @path. 0, or -ENOENT when there is none.
 */
int fb_find(const char *prefix, char *path, size_t len);
/* The minor number of the open framebuffer's device node (the N of fbN). */
unsigned int fb_minor(const struct fb *fb);
void fb_close(struct fb *fb);
uint32_t fb_pixel(const struct fb *fb, uint32_t rgb);
void fb_fill(struct fb *fb, const struct rect *r);
void fb_draw(struct fb *fb, const struct scene *s);
/* Fill framebuffer bytes [off, off + len) with pixels of colour @rgb. */
void fb_fill_bytes(struct fb *fb, size_t off, size_t len, uint32_t rgb);
void scene_add(struct scene *s, unsigned int x, unsigned int y,
	       unsigned int w, unsigned int h, uint32_t rgb);
/* Add the pixels of framebuffer bytes [off, off + len) as rectangles. */
void scene_add_bytes(struct scene *s, const struct fb *fb, size_t off,
		     size_t len, uint32_t rgb);

double now_ms(void);
void sleep_ms(double ms);

/*
 * The running kernel's timing, measured once from /proc/timer_list ("now
 * at N nsecs" and "jiffies: N", two samples at least 100 ms apart, once
 * the clocksource is no longer the boot's rough "tsc-early") and snapped
 * to 100, 250, 300 or 1000; a measurement that fits none is repeated a
 * few times. kernel_hz() is 0 when that fails, and kernel_hz_error() says
 * why; then jiffy_ms() and defio_delay_ms() are 0.
 */
unsigned int kernel_hz(void);
/* The kernel's jiffies now (from /proc/timer_list): 0, or -1. */
int kernel_jiffies(unsigned long long *jif);
const char *kernel_hz_error(void);
double jiffy_ms(void);
/*
 * DRM's generic fbdev flushes HZ/20 jiffies after the first write
 * (drm_fb_helper.c, drm_fbdev_defio.delay): (HZ/20) * 1000 / HZ ms.
 */
double defio_delay_ms(void);

/* Host screen oracle, over /dev/ttyS1. */
int oracle_open(void);
/*
 * Ask the host whether the screen of @fb shows @s now. Returns 1 for a
 * match, 0 for a mismatch (with the host's description in @why), -1 on a
 * protocol error or an error answer. The VM is paused while the host
 * looks, so guest time does not advance during the comparison itself.
 */
int oracle_check(const struct fb *fb, const struct scene *s, char *why,
		 size_t whylen);
/*
 * Poll until the screen shows @s or @timeout_ms passes (every 5 ms at
 * first, backing off to 100 ms). Returns when the match was seen, in ms
 * after @t0 (an upper bound: the answer's arrival), or -1 with the last
 * mismatch in @why.
 */
double oracle_wait(const struct fb *fb, const struct scene *s, double t0,
		   double timeout_ms, char *why, size_t whylen);
/*
 * Ask the host for the rectangles of the virtio-gpu RESOURCE_FLUSH commands
 * (the damage DRM sent to the device) since the previous call: their
 * number (the first @max of them in @f), or -1 on a protocol error.
 */
struct flush { int x, y, w, h; };
int oracle_flushes(struct flush *f, int max);
/*
 * Ask the host how long it has kept the VM paused for this oracle so far,
 * host time in ms, up to its answer to this request: the difference of
 * two answers is the host time that the looks between them took, which
 * guest time does not see (plus one QMP round trip, under 1 ms).
 * Returns 0, or -1 on a protocol error.
 */
int oracle_paused(double *ms);
/* Ask the host for the size of @fb's screen. */
int oracle_geometry(const struct fb *fb, unsigned int *w, unsigned int *h);
/* Ask the host to save @fb's screen as work/.../NAME.png. */
int oracle_save(const struct fb *fb, const char *name);

/* A test: returns 0 when it passed; reports itself with ktap_result(). */
struct fbtest {
	const char *name;
	int (*run)(void);
	/*
	 * Run only on a framebuffer whose id starts with this, or NULL: on
	 * the others the test is not run and not in the plan (not skipped:
	 * it is not reported at all).
	 */
	const char *only_on;
};

/* A test program: its tests and how to set it up. */
struct fbtest_suite {
	const struct fbtest *tests;
	unsigned int ntests;
	const char **cur;	/* set to the running test's name */
	/* Set up on /dev/fb0 (fb_open) before the tests, closed after; or NULL. */
	struct fb *fb;
	/* More setup after that (e.g. more framebuffers), 0 or -errno; or NULL. */
	int (*setup)(void);
	void (*cleanup)(void);
	/*
	 * An option ("--..." before the test names): 0 when taken, -1 when
	 * unknown; NULL when the program has none.
	 */
	int (*option)(const char *arg);
};

/*
 * main() of a test program: [--OPTION...] [TEST...]. Runs the tests named
 * on the command line (all when none) in table order, as KTAP, after
 * opening the oracle and the setup. Returns the exit status: 0 when all
 * passed, 1 when one failed, 2 for an unknown name or option.
 * "--list ID" prints, one per line and in that order, the tests that run
 * on a framebuffer whose id is ID (or starts with it, e.g. "virtio"),
 * without touching a device: the host's scripts ask the program instead
 * of keeping a list of their own.
 */
int fbtest_main(int argc, char **argv, const struct fbtest_suite *suite);

/*
 * The result of the test that fbtest_main() is running: fail() reports it
 * failed, with the message, and returns 1; pass() reports it passed and
 * returns 0.
 */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pass(void);

/* Write @val to the sysfs (or debugfs) file @path: 0 or -errno. */
/* fb_open() until it works (a driver just bound) or @ms passed. */
int fb_wait_open(struct fb *fb, const char *path, double ms);
int sysfs_write(const char *path, const char *val);

/*
 * The framebuffer console: the N of its /sys/class/vtconsole/vtconN, or
 * -ENOENT when the kernel has none. fbcon_bind() binds it to the
 * framebuffer (@bind 1) or unbinds it (0): 0, or -errno, -EBUSY when the
 * binding did not change (the VT layer says nothing: it keeps fbcon bound
 * when no other console driver is registered to take the VTs).
 */
int fbcon_vtcon(void);
int fbcon_bind(int vtcon, int bind);

/* Say where a task is: its state and, where the kernel tells, its stack. */
void diag_task(pid_t p);
/*
 * Run "echo DEV > DRIVER/WHAT" in a child, and wait for it at most @ms: a
 * hung unbind is a result, not a hung test. 0, -ETIMEDOUT (the child is
 * left where it hangs, and where that is is printed) or -EIO.
 */
int sysfs_write_bounded(const char *drv, const char *what, const char *dev,
			double ms);
/* A bind or an unbind that takes longer than this hangs. */
#define UNBIND_MS	20000
/* sysfs_write_bounded()'s error, for a message. */
const char *bounded_strerror(int err);
/* Wait for @p at most @ms: its pid, 0 when it did not end, or -1. */
pid_t wait_bounded(pid_t p, int *st, double ms);

/*
 * The /proc/meminfo field @key, in kB, into *@kb: 0, 1 when there is no
 * such line, or -errno when /proc/meminfo cannot be read.
 */
int meminfo_kb(const char *key, unsigned long long *kb);

/*
 * The largest vmalloc() area (flag "vmalloc", pages=N) in /proc/vmallocinfo,
 * in bytes, into *@bytes: 0 or -errno. A shadow buffer is one vzalloc() of
 * smem_len bytes; vmap()s (a GEM buffer's kernel mapping) do not count.
 */
int largest_vmalloc(unsigned long long *bytes);

/* Colours that differ from each other and from black, for test patterns. */
extern const uint32_t colours[];
#define NCOLOURS 7

/* KTAP on the console. */
void ktap_plan(int n);
void ktap_result(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
