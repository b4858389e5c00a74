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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/kd.h>

#include "fb.h"

/* fix.id as one word for the oracle requests. */
static void fb_set_id(struct fb *fb)
{
	size_t i;

	memcpy(fb->id, fb->fix.id, sizeof(fb->fix.id));
	fb->id[sizeof(fb->fix.id)] = 0;
	for (i = 0; fb->id[i]; i++)
		if (fb->id[i] <= ' ' || fb->id[i] > '~')
			fb->id[i] = '_';
	if (!fb->id[0])
		strcpy(fb->id, "unnamed");
}

static int unbind_fbcon(void);

static int fb_open_mode(struct fb *fb, const char *path, int modeset)
{
	int err;

	memset(fb, 0, sizeof(*fb));
	/*
	 * fbcon, where the kernel has it, takes every framebuffer that
	 * comes (at boot, and again after a driver's rebind).
	 */
	if (modeset && (err = unbind_fbcon()))
		return err;
	fb->fd = open(path, O_RDWR);
	if (fb->fd < 0)
		return -errno;
	if (ioctl(fb->fd, FBIOGET_VSCREENINFO, &fb->var) ||
	    ioctl(fb->fd, FBIOGET_FSCREENINFO, &fb->fix))
		return -errno;
	/* Without fbcon nothing lights the display: set the mode once. */
	if (modeset) {
		fb->var.activate = FB_ACTIVATE_NOW | FB_ACTIVATE_FORCE;
		if (ioctl(fb->fd, FBIOPUT_VSCREENINFO, &fb->var))
			return -errno;
		if (ioctl(fb->fd, FBIOGET_FSCREENINFO, &fb->fix))
			return -errno;
	}
	fb_set_id(fb);
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

int fb_open(struct fb *fb, const char *path)
{
	return fb_open_mode(fb, path, 1);
}

int fb_open_nomodeset(struct fb *fb, const char *path)
{
	return fb_open_mode(fb, path, 0);
}

int fb_find(const char *prefix, char *path, size_t len)
{
	struct fb_fix_screeninfo fix;
	char node[32];
	int i, fd;

	for (i = 0; i < 32; i++) {
		snprintf(node, sizeof(node), "/dev/fb%d", i);
		fd = open(node, O_RDONLY);
		if (fd < 0)
			continue;
		if (ioctl(fd, FBIOGET_FSCREENINFO, &fix) == 0 &&
		    strncmp(fix.id, prefix, strnlen(prefix, sizeof(fix.id))) == 0) {
			close(fd);
			snprintf(path, len, "%s", node);
			return 0;
		}
		close(fd);
	}
	return -ENOENT;
}

unsigned int fb_minor(const struct fb *fb)
{
	struct stat st;

	if (fstat(fb->fd, &st))
		return ~0u;
	return minor(st.st_rdev);
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

void fb_fill_bytes(struct fb *fb, size_t off, size_t len, uint32_t rgb)
{
	uint32_t v = fb_pixel(fb, rgb);
	size_t end = off + len;

	for (; off + fb->bpp <= end; off += fb->bpp)
		put_pixel(fb->mem + off, fb->bpp, v);
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

/* --- the running kernel's timing --- */

static unsigned int hz;
static int hz_measured;
static char hz_error[256];

/* One sample of /proc/timer_list: "now at N nsecs", then "jiffies: N". */
static int timer_list_sample(unsigned long long *ns, unsigned long long *jif)
{
	FILE *f = fopen("/proc/timer_list", "r");
	char line[256];
	int have_now = 0;

	if (!f) {
		snprintf(hz_error, sizeof(hz_error), "/proc/timer_list: %s",
			 strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!have_now && sscanf(line, "now at %llu nsecs", ns) == 1)
			have_now = 1;
		else if (have_now && sscanf(line, "jiffies: %llu", jif) == 1) {
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	snprintf(hz_error, sizeof(hz_error),
		 "/proc/timer_list has no %s line",
		 have_now ? "\"jiffies: N\"" : "\"now at N nsecs\"");
	return -1;
}

int kernel_jiffies(unsigned long long *jif)
{
	unsigned long long ns;

	return timer_list_sample(&ns, jif);
}

/*
 * A sample taken just after jiffies changed, so that both samples sit at
 * the same phase of a tick: 0, or -1 with hz_error set.
 */
static int timer_list_edge(unsigned long long *ns, unsigned long long *jif)
{
	unsigned long long ns0, j0;
	double until = now_ms() + 1000;

	if (timer_list_sample(&ns0, &j0))
		return -1;
	do {
		if (timer_list_sample(ns, jif))
			return -1;
		if (*jif != j0)
			return 0;
	} while (now_ms() < until);
	snprintf(hz_error, sizeof(hz_error),
		 "jiffies stayed at %llu for a second in /proc/timer_list", j0);
	return -1;
}

#define CLOCKSOURCE "/sys/devices/system/clocksource/clocksource0/current_clocksource"

static void clocksource(char *buf, size_t len)
{
	FILE *f = fopen(CLOCKSOURCE, "r");

	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "unknown");
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * Under TCG on a busy host the boot's quick TSC calibration can be far
 * off, and CLOCK_MONOTONIC runs at a wrong rate against the tick until
 * the kernel switches from "tsc-early" to the refined "tsc" clocksource
 * (about 1.5 s after boot). Wait for that switch (at most 5 s).
 */
static void wait_for_refined_clocksource(void)
{
	double t0 = now_ms();
	int waited = 0;
	char cs[64];

	for (;;) {
		clocksource(cs, sizeof(cs));
		if (strcmp(cs, "tsc-early") || now_ms() - t0 > 5000)
			break;
		sleep_ms(50);
		waited = 1;
	}
	if (waited)
		printf("# waited %.0f ms for the clocksource to leave tsc-early: %s\n",
		       now_ms() - t0, cs);
}

/* One measurement: 0 with hz set, or -1 with hz_error set. */
static int measure_hz_once(void)
{
	static const unsigned int known[] = { 100, 250, 300, 1000 };
	unsigned long long ns0, j0, ns1, j1;
	double dt, ticks, raw;
	unsigned int i, fits = 0, fit = 0;
	char cs[64];

	if (timer_list_edge(&ns0, &j0))
		return -1;
	do {
		sleep_ms(200);
		if (timer_list_edge(&ns1, &j1))
			return -1;
	} while (ns1 - ns0 < 100000000ull);
	dt = (ns1 - ns0) / 1e9;
	ticks = (double)(j1 - j0);
	raw = ticks / dt;
	/*
	 * Both samples are taken right after a tick, but reading the file
	 * takes time: allow half a jiffy plus 3%.
	 */
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		double want = known[i] * dt;

		if (ticks >= want - 0.5 - want * 0.03 &&
		    ticks <= want + 0.5 + want * 0.03) {
			fit = known[i];
			fits++;
		}
	}
	clocksource(cs, sizeof(cs));
	if (fits != 1) {
		snprintf(hz_error, sizeof(hz_error),
			 "measured %.1f Hz (%.0f jiffies in %.1f ms of CLOCK_MONOTONIC, clocksource %s): %s of HZ=100/250/300/1000",
			 raw, ticks, dt * 1e3, cs, fits ? "fits more than one" :
			 "fits none");
		return -1;
	}
	hz = fit;
	printf("# kernel HZ %u (measured %.1f Hz: %.0f jiffies in %.1f ms, clocksource %s), DRM fbdev delay %.1f ms\n",
	       hz, raw, ticks, dt * 1e3, cs, (double)(hz / 20) * 1000.0 / hz);
	fflush(stdout);
	return 0;
}

#define HZ_ATTEMPTS 5

unsigned int kernel_hz(void)
{
	int i;

	if (hz_measured)
		return hz;
	hz_measured = 1;
	wait_for_refined_clocksource();
	/* A measurement that fits nothing is repeated, not believed. */
	for (i = 0; i < HZ_ATTEMPTS && measure_hz_once(); i++)
		printf("# kernel_hz: measurement %d: %s\n", i + 1, hz_error);
	if (!hz)
		printf("# kernel_hz: cannot tell the kernel's HZ in %d measurements: %s\n",
		       HZ_ATTEMPTS, hz_error);
	fflush(stdout);
	return hz;
}

const char *kernel_hz_error(void)
{
	return kernel_hz() ? "" : hz_error;
}

double jiffy_ms(void)
{
	return kernel_hz() ? 1000.0 / hz : 0;
}

double defio_delay_ms(void)
{
	return kernel_hz() ? (double)(hz / 20) * 1000.0 / hz : 0;
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
	/* " x,y,w,h,rgb" is at most 53 characters */
	static char req[SCENE_MAX_RECTS * 64 + 128];
	char ans[256];
	size_t n;
	unsigned int i;

	n = snprintf(req, sizeof(req), "CHECK %s %u %u %u,%u,%u %06x %u",
		     fb->id, fb->var.xres, fb->var.yres, fb->var.red.length,
		     fb->var.green.length, fb->var.blue.length, s->bg, s->n);
	for (i = 0; i < s->n; i++)
		n += snprintf(req + n, sizeof(req) - n, " %u,%u,%u,%u,%06x",
			      s->r[i].x, s->r[i].y, s->r[i].w, s->r[i].h,
			      s->r[i].rgb);
	if (n >= sizeof(req)) {
		snprintf(why, whylen, "scene too large for a request");
		return -1;
	}
	if (oracle_ask(req, ans, sizeof(ans))) {
		snprintf(why, whylen, "no answer from the host oracle");
		return -1;
	}
	if (strcmp(ans, "MATCH") == 0)
		return 1;
	snprintf(why, whylen, "%s", ans);
	/* Anything but a verdict is the oracle failing, not the screen. */
	if (strncmp(ans, "DIFF ", 5) && strncmp(ans, "SIZE ", 5))
		return -1;
	return 0;
}

double oracle_wait(const struct fb *fb, const struct scene *s, double t0,
		   double timeout_ms, char *why, size_t whylen)
{
	double pause = 5;
	int n;

	/*
	 * Every 5 ms for the first 100 ms, then less and less often (at most
	 * 100 ms apart): each look costs the host a screendump and a
	 * comparison while the VM stands still, and a long deadline would
	 * otherwise mean thousands of them.
	 */
	for (n = 0;; n++) {
		int r = oracle_check(fb, s, why, whylen);

		if (r < 0)
			return -1;
		if (r > 0)
			return now_ms() - t0;
		if (now_ms() - t0 > timeout_ms)
			return -1;
		sleep_ms(pause);
		if (n >= 20 && pause < 100)
			pause *= 1.25;
	}
}

int oracle_geometry(const struct fb *fb, unsigned int *w, unsigned int *h)
{
	char req[64], ans[256];

	snprintf(req, sizeof(req), "GEOM %s", fb->id);
	if (oracle_ask(req, ans, sizeof(ans)) ||
	    sscanf(ans, "SIZE %u %u", w, h) != 2)
		return -1;
	return 0;
}

int oracle_save(const struct fb *fb, const char *name)
{
	char req[128], ans[256];

	snprintf(req, sizeof(req), "SAVE %s %s", fb->id, name);
	if (oracle_ask(req, ans, sizeof(ans)) || strncmp(ans, "SAVED", 5))
		return -1;
	return 0;
}

int oracle_flushes(struct flush *f, int max)
{
	static char ans[4096];
	char *p, *end;
	int n, i;

	if (oracle_ask("FLUSHES", ans, sizeof(ans)) ||
	    sscanf(ans, "FLUSHES %d", &n) != 1 || n < 0)
		return -1;
	p = strchr(ans + 8, ' ');
	for (i = 0; i < n && i < max; i++) {
		if (!p || sscanf(p, " %d,%d,%d,%d", &f[i].x, &f[i].y, &f[i].w,
				 &f[i].h) != 4)
			return -1;
		end = strchr(p + 1, ' ');
		p = end;
	}
	return n;
}

int oracle_paused(double *ms)
{
	char ans[256];

	if (oracle_ask("PAUSED", ans, sizeof(ans)) ||
	    sscanf(ans, "PAUSED %lf", ms) != 1)
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

static int test_index(const struct fbtest_suite *suite, const char *name)
{
	unsigned int t;

	for (t = 0; t < suite->ntests; t++)
		if (!strcmp(name, suite->tests[t].name))
			return t;
	return -1;
}

const uint32_t colours[NCOLOURS] = {
	0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0xff00ff, 0x00ffff, 0xffffff,
};

/* The test that fbtest_main() is running. */
static const char *running;

int fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ktap_result(0, running, "%s", msg);
	return 1;
}

int pass(void)
{
	ktap_result(1, running, NULL);
	return 0;
}

int meminfo_kb(const char *key, unsigned long long *kb)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128], fmt[64];
	int r = 1;

	if (!f)
		return -errno;
	snprintf(fmt, sizeof(fmt), "%s: %%llu kB", key);
	while (r && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, kb) == 1)
			r = 0;
	fclose(f);
	return r;
}

int largest_vmalloc(unsigned long long *bytes)
{
	FILE *f = fopen("/proc/vmallocinfo", "r");
	unsigned long long pages;
	char line[512], *p;

	if (!f)
		return -errno;
	*bytes = 0;
	while (fgets(line, sizeof(line), f)) {
		/* the flag word "vmalloc": not vmap, ioremap, user... */
		if ((!strstr(line, " vmalloc ") && !strstr(line, " vmalloc\n")) ||
		    !(p = strstr(line, " pages=")))
			continue;
		pages = strtoull(p + 7, NULL, 10);
		if (pages * 4096 > *bytes)
			*bytes = pages * 4096;
	}
	fclose(f);
	return 0;
}

int fb_wait_open(struct fb *fb, const char *path, double ms)
{
	double until = now_ms() + ms;
	int err;

	while ((err = fb_open(fb, path)) && now_ms() < until)
		sleep_ms(50);
	return err;
}

int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), r;

	if (fd < 0)
		return -errno;
	r = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Say where a task is: its state and, where the kernel tells, its stack. */
void diag_task(pid_t p)
{
	static const char *const files[] = { "stat", "wchan", "stack" };
	char path[64], buf[2048], *line;
	unsigned int i;
	ssize_t n;
	int fd;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)p, files[i]);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0) {
			diag("%s: %s", path, n < 0 ? strerror(errno) : "empty");
			continue;
		}
		buf[n] = 0;
		for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
			diag("%s: %s", path, line);
	}
	/*
	 * A task that runs has no stack to read: where the kernel has
	 * magic SysRq, have it print the backtrace of every CPU instead.
	 */
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "l", 1) != 1)
			diag("/proc/sysrq-trigger: %s", strerror(errno));
		close(fd);
	}
}

/* Wait for @p at most @ms: its pid, 0 when it did not end, or -1. */
pid_t wait_bounded(pid_t p, int *st, double ms)
{
	double until = now_ms() + ms;
	pid_t r;

	while ((r = waitpid(p, st, WNOHANG)) == 0 && now_ms() < until)
		sleep_ms(20);
	return r;
}

/*
 * Run "echo DEV > DRIVER/WHAT" in a child, and wait for it at most
 * @ms: a hung unbind is a result, not a hung test. 0, -ETIMEDOUT (the
 * child is left where it hangs, and where that is is printed) or -EIO.
 */
int sysfs_write_bounded(const char *drv, const char *what, const char *dev,
			double ms)
{
	char path[512];
	pid_t p, r;
	int st;

	snprintf(path, sizeof(path), "%s/%s", drv, what);
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0)
		_exit(sysfs_write(path, dev) ? 1 : 0);
	r = wait_bounded(p, &st, ms);
	if (r == 0) {
		diag_task(p);
		return -ETIMEDOUT;
	}
	if (r < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

const char *bounded_strerror(int err)
{
	return err == -ETIMEDOUT ? "did not return in time (where it hangs: above)" :
				   strerror(-err);
}

/* /sys/class/vtconsole/vtcon@con/@file, into @path. */
static void vtcon_path(char *path, size_t len, int con, const char *file)
{
	snprintf(path, len, "/sys/class/vtconsole/vtcon%d/%s", con, file);
}

int fbcon_vtcon(void)
{
	char path[64], name[128];
	int i, fd, n;

	for (i = 0; i < 16; i++) {
		vtcon_path(path, sizeof(path), i, "name");
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, name, sizeof(name) - 1);
		close(fd);
		name[n > 0 ? n : 0] = 0;
		if (strstr(name, "frame buffer"))
			return i;
	}
	return -ENOENT;
}

/* Whether fbcon (vtcon@con) is bound: 1, 0, or -errno. */
static int fbcon_bound(int con)
{
	char path[64], c = 0;
	int fd, n;

	vtcon_path(path, sizeof(path), con, "bind");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 ? c == '1' : -EIO;
}

int fbcon_bind(int vtcon, int bind)
{
	char path[64];
	int err;

	vtcon_path(path, sizeof(path), vtcon, "bind");
	err = sysfs_write(path, bind ? "1" : "0");
	if (err)
		return err;
	/* the VT layer ignores what fails: see whether it happened */
	err = fbcon_bound(vtcon);
	return err < 0 ? err : err == !!bind ? 0 : -EBUSY;
}

/*
 * fbcon, where a kernel has it, draws its cursor into the framebuffer: its
 * damage would merge with the tests' and hide a write that never reached
 * the screen. Unbind it from the framebuffer, and say so. The VT layer
 * keeps it bound, without an error, when no other console driver is
 * registered to take the VTs (a VGA display: vgaarb unregisters vgacon
 * when the DRM driver takes the device over). Then put the foreground VT
 * in KD_GRAPHICS, as a display server does, where fbcon draws nothing.
 */
static int unbind_fbcon(void)
{
	int con = fbcon_vtcon(), tty, mode = KD_TEXT, err;

	if (con < 0)
		return 0;
	err = fbcon_bound(con);
	if (err <= 0)
		return err;
	tty = open("/dev/tty0", O_RDWR);
	if (tty < 0)
		return -errno;
	if (!ioctl(tty, KDGETMODE, &mode) && mode == KD_GRAPHICS) {
		close(tty);	/* an earlier open did it */
		return 0;
	}
	err = fbcon_bind(con, 0);
	if (!err) {
		diag("unbound vtcon%d (the framebuffer console) from the framebuffer", con);
	} else if (err == -EBUSY) {
		if (ioctl(tty, KDSETMODE, KD_GRAPHICS) ||
		    ioctl(tty, KDGETMODE, &mode))
			err = -errno;
		else
			err = mode == KD_GRAPHICS ? 0 : -EIO;
		diag("fbcon (vtcon%d) stays bound: no other console driver to take the VTs; %s%s",
		     con, err ? "KD_GRAPHICS on /dev/tty0 failed: " :
		     "the foreground VT is in KD_GRAPHICS, where fbcon draws nothing",
		     err ? strerror(-err) : "");
	}
	close(tty);
	return err;
}

/* Whether test @t is meant for a framebuffer whose id is @id (only_on). */
static int meant_for(const struct fbtest_suite *suite, unsigned int t,
		     const char *id)
{
	const char *only = suite->tests[t].only_on;

	return !only || !strncmp(id, only, strlen(only));
}

/*
 * Whether test @t runs: named on the command line, or, when none is,
 * meant for this framebuffer (only_on; all of them when setup failed,
 * each to fail with the setup's error).
 */
static int wanted(const struct fbtest_suite *suite, unsigned int t, int argc,
		  char **argv, int first, int err)
{
	int i;

	if (argc > first) {
		for (i = first; i < argc; i++)
			if (!strcmp(argv[i], suite->tests[t].name))
				return 1;
		return 0;
	}
	return err || !suite->fb || meant_for(suite, t, suite->fb->id);
}

int fbtest_main(int argc, char **argv, const struct fbtest_suite *suite)
{
	int i, first, failed = 0, err, n;
	unsigned int t;

	if (argc == 3 && !strcmp(argv[1], "--list")) {
		for (t = 0; t < suite->ntests; t++)
			if (meant_for(suite, t, argv[2]))
				printf("%s\n", suite->tests[t].name);
		return 0;
	}
	for (first = 1; first < argc && !strncmp(argv[first], "--", 2); first++) {
		if (!suite->option || suite->option(argv[first])) {
			fprintf(stderr, "%s: unknown option '%s'\n", argv[0],
				argv[first]);
			return 2;
		}
	}
	for (i = first; i < argc; i++) {
		if (test_index(suite, argv[i]) < 0) {
			fprintf(stderr, "%s: no test '%s'\n", argv[0], argv[i]);
			return 2;
		}
	}
	if (suite->fb)
		suite->fb->fd = -1;
	err = oracle_open();
	if (!err && suite->fb)
		err = fb_open(suite->fb, "/dev/fb0");
	if (!err && suite->setup)
		err = suite->setup();
	/* the plan: the tests named, or every test for this framebuffer */
	for (t = 0, n = 0; t < suite->ntests; t++)
		n += wanted(suite, t, argc, argv, first, err);
	ktap_plan(n);
	for (t = 0; t < suite->ntests; t++) {
		double t0 = now_ms();

		if (!wanted(suite, t, argc, argv, first, err))
			continue;
		*suite->cur = running = suite->tests[t].name;
		if (err) {
			ktap_result(0, *suite->cur, "setup: %s", strerror(-err));
			failed++;
			continue;
		}
		failed += suite->tests[t].run();
		diag("%s took %.0f ms", *suite->cur, now_ms() - t0);
	}
	if (suite->cleanup)
		suite->cleanup();
	if (suite->fb)
		fb_close(suite->fb);
	return failed ? 1 : 0;
}
