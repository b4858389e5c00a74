// SPDX-License-Identifier: GPL-2.0
/*
 * The deferred-I/O benchmark (make bench, not a test): run in the guest on
 * a 3840x2160 virtio-gpu framebuffer, with the bench-only kernel knobs of
 * bases/BASE/bench/ (drm_kms_helper.fbdev_defio_delay_ms on every kernel;
 * on 5.10's series and on 7.3 also drm_kms_helper.fbdev_defio_sort; on
 * 5.10's series the boot parameter drm_kms_helper.fbdev_force_shadow that
 * puts DRM's fbdev back on a vmalloc shadow buffer).
 *
 *   bench [--reps N] [--frames N] [--quick] [--trace] MODE SORT...
 *
 * MODE says what this boot is, and is checked against the kernel before
 * anything is measured:
 *   base    5.10's pristine kernel: no fbdev_defio_sort knob, a shadow
 *           buffer, always sorted (SORT must be 1)
 *   direct  5.10's series, fbdev_force_shadow=N: userspace maps the GEM
 *           pages
 *   shadow  5.10's series booted with drm_kms_helper.fbdev_force_shadow=1
 *   stock   a mainline-era kernel as released (7.3): fbdev on GEM shmem
 *           pages (no shadow), the ordering a knob
 *   patched the same with the mainline submissions
 * SORT (0 or 1) is an ordering to measure the write cost with; --reps
 * (default 5) is the runs per point, --frames (default 5) the runs of the
 * screen timings, --quick fewer points (for trying the program out),
 * --trace only the function graph of the writes of a flush period and of
 * the floor's (trace_periods()).
 *
 * Prints, for host/bench_report.py (each value one run; the report takes
 * medians per boot, then the median and spread of those over the boots):
 *
 *   BENCH mode MODE
 *   BENCH memory SMEM_LEN VMALLOC_USED LARGEST_VMALLOC          (bytes)
 *   BENCH dirty SORT ORDER N REP US_PER_PAGE FLUSH_MS
 *   BENCH floor ORDER N REP US_PER_PAGE
 *   BENCH fullframe SORT DELAY_MS REP WRITE_MS FSYNC_MS SHOWN_MS PAUSED_MS LOOKS
 *   BENCH onelook SORT DELAY_MS TRIAL AT_MS SHOWN WRITE_MS FSYNC_MS
 *   BENCH latency SORT DELAY_MS REP SHOWN_MS PAUSED_MS LOOKS
 *   BENCH done
 *
 * dirty: one byte written to each of N pages within one flush period (the
 * delay raised to 20 s), in ORDER: asc (pages 0..N-1, a frame copy's
 * order and the worst case of a list sorted by insertion), desc (N-1..0)
 * or rand (a fixed random permutation of 0..N-1); US_PER_PAGE is the
 * loop's time per page. Then fsync() (the flush: write-protect + the
 * deferred_io callback) timed on its own (FLUSH_MS), both at nice -20
 * (see main()); after each flush the program idles IDLE_MS, so that
 * DRM's damage copy, which the callback only queues, is not timed in the
 * next loop. Every N in ascending order; 4096 and all pages in the other
 * two orders too (the slope between them is the per-page cost without
 * the fixed costs).
 * floor: the same loops on a shared memfd mapping mapped anew (one minor
 * fault per page, no deferred I/O).
 * fullframe: from t0, just before the first write: every pixel written
 * with a new colour (WRITE_MS after t0), fsync() (FSYNC_MS, its own
 * time), then looks at the screen every LOOK_MS until it shows the whole
 * frame. SHOWN_MS is the guest time from t0 to the answer of the look
 * that saw it. The VM is paused while the host takes and compares a
 * screendump, and guest time stands still then: whatever QEMU's own
 * threads do meanwhile (the virtio-gpu transfer to its surface, say) is
 * not in SHOWN_MS. PAUSED_MS is the host time of those pauses between t0
 * and the answer (LOOKS looks): SHOWN_MS is a lower bound of the time to
 * the screen, SHOWN_MS + PAUSED_MS an upper one. Once at the delay the
 * kernel booted with (DRM's HZ/20: the timer also flushes during the
 * writing, fsync() flushes the rest), once at 20 s (fsync() flushes the
 * whole frame).
 * onelook: the same full frame without the looks' pauses, bisected over
 * TRIALS frames with one look each (onelook()): the time from fsync()'s
 * return to the screen is between the largest AT_MS not SHOWN (0) and the
 * smallest SHOWN (1).
 * latency: a stripe of 8 lines written from t0, then looks until it
 * shows, at the boot delay; the same bounds.
 * fullframe and latency use the ordering the kernel booted with.
 *
 * Anything that makes the numbers mean something else (a missing knob, a
 * knob that does not take, a mode the kernel is not in, an oracle error, a
 * frame that never shows) ends the program with "bench: error: ..." and
 * exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fb.h"

#define PAGE		4096
#define IDLE_MS		300	/* > a 3840x2160 damage copy under TCG */
#define LOOK_MS		2	/* between two looks at the screen */
#define SHOW_MS		10000	/* a frame not on screen by then: error */
#define PARAM		"/sys/module/drm_kms_helper/parameters/"
#define P_DELAY		PARAM "fbdev_defio_delay_ms"
#define P_SORT		PARAM "fbdev_defio_sort"
#define P_SHADOW	PARAM "fbdev_force_shadow"

static struct fb fb;
static const char *mode;

static __attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("bench: error: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* A parameter's value, newline stripped; -1 when it does not exist. */
static int get_param(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static void set_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		die("cannot open %s: %s (bench patch missing from this kernel?)",
		    path, strerror(errno));
	n = write(fd, val, strlen(val));
	if (n != (ssize_t)strlen(val))
		die("writing '%s' to %s: %s", val, path,
		    n < 0 ? strerror(errno) : "short write");
	close(fd);
}

/* Bool parameters read back as Y/N. */
static int get_bool(const char *path)
{
	char v[16];

	if (get_param(path, v, sizeof(v)))
		die("no %s (bench patch missing from this kernel?)", path);
	if (!strcmp(v, "Y") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "N") || !strcmp(v, "0"))
		return 0;
	die("%s reads '%s', not a bool", path, v);
}

static unsigned int get_delay(void)
{
	char v[32];

	if (get_param(P_DELAY, v, sizeof(v)))
		die("no %s: the kernel lacks the bench delay knob (bench/*.patch)",
		    P_DELAY);
	return strtoul(v, NULL, 10);
}

static void set_delay(unsigned int ms)
{
	char v[32];
	unsigned int got;

	snprintf(v, sizeof(v), "%u", ms);
	set_param(P_DELAY, v);
	got = get_delay();
	/* The knob keeps jiffies: a few ms of rounding. */
	if (got + 10 < ms || got > ms + 10)
		die("set %s to %u, it reads %u", P_DELAY, ms, got);
}

/* The ordering this kernel uses now: 1 (sorted) on 5.10's base, else the knob. */
static int get_sort(void)
{
	return strcmp(mode, "base") ? get_bool(P_SORT) : 1;
}

static void set_sort(int sort)
{
	if (!strcmp(mode, "base")) {
		if (!sort)
			die("the base kernel always sorts: SORT must be 1");
		return;
	}
	set_param(P_SORT, sort ? "1" : "0");
	if (get_bool(P_SORT) != sort)
		die("set %s to %d, it reads otherwise", P_SORT, sort);
}

static unsigned long long meminfo(const char *key)
{
	unsigned long long kb;
	int r = meminfo_kb(key, &kb);

	if (r < 0)
		die("/proc/meminfo: %s", strerror(-r));
	if (r)
		die("no %s line in /proc/meminfo", key);
	return kb * 1024;
}

/*
 * What the kernel is, checked against MODE: the knobs it has, and whether
 * a vmalloc area as large as the framebuffer (the shadow) exists.
 */
static void check_mode(void)
{
	unsigned long long used = meminfo("VmallocUsed");
	unsigned long long big;
	int want_shadow;

	if (access(P_DELAY, F_OK))
		die("no %s: the kernel lacks the bench delay knob (bench/*.patch)",
		    P_DELAY);
	if (!strcmp(mode, "base")) {
		if (!access(P_SORT, F_OK) || !access(P_SHADOW, F_OK))
			die("mode base, but the kernel has %s: that is the series",
			    !access(P_SORT, F_OK) ? P_SORT : P_SHADOW);
		want_shadow = 1;
	} else if (!strcmp(mode, "stock") || !strcmp(mode, "patched")) {
		if (access(P_SORT, F_OK))
			die("mode %s, but the kernel has no %s: not a kernel with bench/*-knobs.patch",
			    mode, P_SORT);
		if (!access(P_SHADOW, F_OK))
			die("mode %s, but the kernel has %s: that is 5.10's series",
			    mode, P_SHADOW);
		want_shadow = 0;
	} else if (!strcmp(mode, "direct") || !strcmp(mode, "shadow")) {
		if (access(P_SORT, F_OK) || access(P_SHADOW, F_OK))
			die("mode %s, but the kernel has no %s: not the series with bench/series-knobs.patch",
			    mode, access(P_SORT, F_OK) ? P_SORT : P_SHADOW);
		want_shadow = !strcmp(mode, "shadow");
		if (get_bool(P_SHADOW) != want_shadow)
			die("mode %s, but %s is %s (boot with drm_kms_helper.fbdev_force_shadow=%d)",
			    mode, P_SHADOW, want_shadow ? "off" : "on",
			    want_shadow);
	} else {
		die("unknown mode '%s' (base, direct, shadow, stock or patched)", mode);
	}
	if ((errno = -largest_vmalloc(&big)))
		die("/proc/vmallocinfo: %s", strerror(errno));
	printf("BENCH mode %s\n", mode);
	printf("BENCH memory %zu %llu %llu\n", fb.len, used, big);
	diag("%s: %ux%u, %zu pages, smem_len %zu; VmallocUsed %llu bytes, largest vmalloc area %llu bytes",
	     fb.id, fb.var.xres, fb.var.yres, fb.len / PAGE, fb.len, used, big);
	if (want_shadow && big < fb.len)
		die("mode %s wants a shadow buffer, but no vmalloc area holds smem_len %zu bytes (largest %llu)",
		    mode, fb.len, big);
	if (!want_shadow && big >= fb.len)
		die("mode %s wants no shadow buffer, but a vmalloc area of %llu bytes >= smem_len %zu exists",
		    mode, big, fb.len);
}

static void nice_to(int nice)
{
	if (setpriority(PRIO_PROCESS, 0, nice))
		die("setpriority(%d): %s", nice, strerror(errno));
}

static void flush(void)
{
	if (fsync(fb.fd))
		die("fsync(/dev/fb0): %s", strerror(errno));
}

enum order { ASC, DESC, RAND };
static const char *const order_name[] = { "asc", "desc", "rand" };

/* A point of the write-cost measurement: N pages in an order. */
struct point {
	enum order order;
	size_t n;
	size_t *perm;	/* RAND: a permutation of [0, n) */
};

/* A fixed permutation of [0, n) (Fisher-Yates, the same in every boot). */
static size_t *permutation(size_t n)
{
	size_t *p = malloc(n * sizeof(*p)), i, j, t;
	unsigned long long x = 88172645463325252ULL;

	if (!p)
		die("no memory for a permutation of %zu pages", n);
	for (i = 0; i < n; i++)
		p[i] = i;
	for (i = n - 1; i > 0; i--) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
		j = x % (i + 1);
		t = p[i], p[i] = p[j], p[j] = t;
	}
	return p;
}

/* One byte into each page of @pt, in its order: us per page. */
static double dirty(uint8_t *mem, const struct point *pt, uint8_t v)
{
	volatile uint8_t *m = mem;
	size_t i, n = pt->n;
	double t0 = now_ms();

	switch (pt->order) {
	case ASC:
		for (i = 0; i < n; i++)
			m[i * PAGE] = v;
		break;
	case DESC:
		for (i = n; i-- > 0;)
			m[i * PAGE] = v;
		break;
	case RAND:
		for (i = 0; i < n; i++)
			m[pt->perm[i] * PAGE] = v;
		break;
	}
	return (now_ms() - t0) * 1000.0 / n;
}

static double paused_ms(void)
{
	double ms;

	if (oracle_paused(&ms))
		die("screen oracle: no answer to PAUSED");
	return ms;
}

/*
 * Look at the screen every LOOK_MS until it shows @s: the guest time from
 * @t0 to the answer of the look that saw it. Guest time stands still
 * while the host looks, so whatever QEMU does meanwhile is not in it: a
 * lower bound of the time to the screen (see PAUSED_MS). Dies on an
 * oracle error or a timeout.
 */
static double shown_after(const struct scene *s, double t0, const char *what,
			  int *nlooks)
{
	char why[256];
	int r, looks = 0;

	for (;;) {
		r = oracle_check(&fb, s, why, sizeof(why));
		looks++;
		if (r < 0)
			die("screen oracle: %s (%s)", why, what);
		if (r > 0) {
			if (nlooks)
				*nlooks = looks;
			return now_ms() - t0;
		}
		if (now_ms() - t0 > SHOW_MS)
			die("%s not on screen %d ms after it was written (%d looks): %s",
			    what, SHOW_MS, looks, why);
		sleep_ms(LOOK_MS);
	}
}

/*
 * The time from fsync()'s return to the screen when no look pauses the
 * VM: each of TRIALS frames is written and fsync()ed, then the guest (and
 * QEMU, which is never stopped meanwhile) runs on for AT ms, and the host
 * looks once. A frame shown then was on screen AT ms after fsync()
 * returned; one not shown was not, in a run whose host work no pause hid.
 * The look asked for is bisected between the latest look that missed
 * the frame (lo) and the earliest that saw it (hi); before any saw it, at
 * @hi and then at twice the latest miss. AT_MS is when the look happened,
 * which can be later than asked: on one CPU without kernel preemption the
 * guest looks only once DRM's damage work lets it run. Timed from
 * fsync()'s return, not from the first write: the writing varies by more
 * than the bisection would resolve.
 * Prints "BENCH onelook SORT DELAY_MS TRIAL AT_MS SHOWN WRITE_MS FSYNC_MS".
 */
#define TRIALS	8
static void onelook(struct scene *s, int sort, unsigned int delay, double hi,
		    const uint32_t *colours, size_t ncolours)
{
	double lo = 0, seen = 0, start = hi, t0, t1, wrote, synced, at;
	size_t c = 0;
	char why[256];
	int trial, r;

	for (trial = 0; trial < TRIALS; trial++) {
		/* a colour that is not on the screen already */
		while (colours[c % ncolours] == s->bg)
			c++;
		s->bg = colours[c++ % ncolours];
		t0 = now_ms();
		fb_draw(&fb, s);
		wrote = now_ms() - t0;
		flush();
		t1 = now_ms();
		synced = t1 - t0 - wrote;
		at = seen ? (lo + seen) / 2 : lo ? 2 * lo : start;
		if (at > 0)
			sleep_ms(at);
		at = now_ms() - t1;	/* when the look is, at the earliest */
		r = oracle_check(&fb, s, why, sizeof(why));
		if (r < 0)
			die("screen oracle: %s (a full frame, one look)", why);
		printf("BENCH onelook %d %u %d %.3f %d %.3f %.3f\n", sort, delay,
		       trial, at, r, wrote, synced);
		if (r)
			seen = seen && seen < at ? seen : at;
		else if (at > lo)
			lo = at;
		/* the frame on screen, and DRM idle, before the next one */
		shown_after(s, now_ms(), "a full frame after one look", NULL);
		sleep_ms(IDLE_MS);
	}
}

/*
 * --trace: where the writes of a flush period go. The function graph
 * tracer (a kernel with trace.config: the bench-trace-* variants)
 * records handle_mm_fault() for the first, second and third write of a
 * period, three periods, and then the floor's fault: a write to each of
 * three pages of a shared memfd mapping mapped anew, three times. Each
 * group starts with a trace marker ("fb period N", "memfd period N").
 * The trace goes to the console, each line prefixed "TRACE ". The
 * tracer's own cost inflates every duration, so compare the calls with
 * each other, not with the untraced timings.
 */
#define TR	"/sys/kernel/tracing/"
static void trace_writes(uint8_t *m, const char *what, int period)
{
	char marker[64];

	snprintf(marker, sizeof(marker), "%s period %d", what, period);
	printf("TRACE %s: pages 0, 1, 2\n", marker);
	set_param(TR "tracing_on", "1");
	set_param(TR "trace_marker", marker);
	((volatile uint8_t *)m)[0] = period;
	((volatile uint8_t *)m)[PAGE] = period;
	((volatile uint8_t *)m)[2 * PAGE] = period;
	set_param(TR "tracing_on", "0");
}

static void trace_periods(void)
{
	char line[512];
	uint8_t *m;
	FILE *f;
	int rep, fd;

	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) &&
	    errno != EBUSY)
		die("mount tracefs: %s (a kernel without trace.config?)",
		    strerror(errno));
	set_param(TR "tracing_on", "0");
	set_param(TR "current_tracer", "function_graph");
	set_param(TR "set_graph_function", "handle_mm_fault");
	set_param(TR "max_graph_depth", "12");
	fd = open(TR "trace", O_WRONLY | O_TRUNC);
	if (fd < 0)
		die("cannot clear %strace: %s", TR, strerror(errno));
	close(fd);
	set_delay(20000);
	/* the three pages mapped, so that no write below is a first mapping */
	for (rep = 0; rep < 3; rep++)
		((volatile uint8_t *)fb.mem)[rep * PAGE] = 1;
	flush();
	sleep_ms(IDLE_MS);
	for (rep = 0; rep < 3; rep++) {
		trace_writes(fb.mem, "fb", rep);
		flush();
		sleep_ms(IDLE_MS);
	}
	/* the floor's pages allocated once, untraced, as in its loop */
	fd = memfd_create("floor", 0);
	if (fd < 0 || ftruncate(fd, 3 * PAGE))
		die("memfd of 3 pages: %s", strerror(errno));
	for (rep = -1; rep < 3; rep++) {
		m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			die("mmap of the memfd: %s", strerror(errno));
		if (rep < 0)
			memset(m, 0, 3 * PAGE);
		else
			trace_writes(m, "memfd", rep);
		munmap(m, 3 * PAGE);
	}
	close(fd);
	f = fopen(TR "trace", "r");
	if (!f)
		die("cannot read %strace: %s", TR, strerror(errno));
	while (fgets(line, sizeof(line), f))
		printf("TRACE %s", line);
	fclose(f);
	printf("BENCH done\n");
}

int main(int argc, char **argv)
{
	static const size_t all_ns[] = { 1, 16, 64, 256, 1024, 2048, 4096, 0 };
	static const size_t quick_ns[] = { 256, 4096, 0 };
	static const uint32_t frame_colours[] = {
		0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0xff00ff, 0x00ffff,
		0xffffff, 0x808080,
	};
	const size_t *ns = all_ns;
	size_t nns = sizeof(all_ns) / sizeof(all_ns[0]);
	int reps = 5, frames = 5, a, rep, sort0, trace = 0;
	unsigned int delay0;
	struct point pts[16];
	size_t npages, npts = 0, k;
	enum order o;
	uint8_t *floor;
	int memfd;

	for (a = 1; a < argc && !strncmp(argv[a], "--", 2); a++) {
		if (!strcmp(argv[a], "--reps") && a + 1 < argc)
			reps = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--frames") && a + 1 < argc)
			frames = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--quick"))
			ns = quick_ns, nns = 3;
		else if (!strcmp(argv[a], "--trace"))
			trace = 1;
		else
			die("unknown option %s", argv[a]);
	}
	if (a >= argc - 1 || reps < 1 || frames < 1)
		die("usage: bench [--reps N] [--frames N] [--quick] [--trace] base|direct|shadow|stock|patched SORT...");
	mode = argv[a++];
	for (k = a; k < (size_t)argc; k++)
		if (strcmp(argv[k], "0") && strcmp(argv[k], "1"))
			die("SORT is 0 or 1, not '%s'", argv[k]);

	if (oracle_open())
		die("cannot open the screen oracle (/dev/ttyS1)");
	if (fb_open(&fb, "/dev/fb0"))
		die("cannot open, set the mode of or map /dev/fb0");
	npages = fb.len / PAGE;
	check_mode();
	delay0 = get_delay();
	sort0 = get_sort();
	diag("%s: boot delay %u ms, boot ordering %s", mode, delay0,
	     sort0 ? "sorted" : "unsorted");
	if (trace) {
		trace_periods();
		fb_close(&fb);
		return 0;
	}

	/* Every N ascending; the slope's two ends in the other orders. */
	for (k = 0; k < nns; k++)
		pts[npts++] = (struct point){ ASC, ns[k] ? ns[k] : npages, NULL };
	for (o = DESC; o <= RAND; o++) {
		pts[npts++] = (struct point){ o, npages < 4096 ? npages / 2 : 4096, NULL };
		pts[npts++] = (struct point){ o, npages, NULL };
	}
	for (k = 0; k < npts; k++)
		if (pts[k].order == RAND)
			pts[k].perm = permutation(pts[k].n);

	/*
	 * 1, 2: the write cost per page, and the flush. At nice -20: the
	 * flush work runs in a kworker, and fsync() waits for it; with one
	 * vCPU and no preemption, the waker at nice 0 could let the kworker
	 * go on to DRM's damage copy (80 ms for a full frame with a shadow)
	 * before fsync() returns, or not, at random. At -20 it returns as
	 * soon as the flush (write-protect + callback) is done.
	 */
	nice_to(-20);
	set_delay(20000);	/* one flush period spans every timed loop */
	for (; a < argc; a++) {
		int sort = argv[a][0] == '1';

		set_sort(sort);
		dirty(fb.mem, &pts[nns - 1], 1);	/* map every page once */
		flush();
		sleep_ms(IDLE_MS);
		/*
		 * Round by round over every point, rather than all runs of
		 * one point in a row: a busy stretch of the host then
		 * spreads over the points instead of landing on one of them.
		 */
		for (rep = 0; rep < reps; rep++) {
			for (k = 0; k < npts; k++) {
				double us = dirty(fb.mem, &pts[k], rep), t0 = now_ms();

				flush();	/* write-protect + callback */
				printf("BENCH dirty %d %s %zu %d %.3f %.3f\n", sort,
				       order_name[pts[k].order], pts[k].n, rep, us,
				       now_ms() - t0);
				/*
				 * DRM's callback only queues its damage copy,
				 * which then runs on the one vCPU: let it end
				 * before the next timed loop, or it is timed.
				 */
				sleep_ms(IDLE_MS);
			}
		}
		diag("%s %s: write cost done", mode, sort ? "sorted" : "unsorted");
	}

	/*
	 * The floor: one minor fault per page of a shared memfd mapping whose
	 * pages exist but are not mapped. The test kernel has no madvise()
	 * (tinyconfig), so each run maps the memfd anew instead of
	 * MADV_DONTNEED: the same state, pages in the page cache, no PTEs.
	 * The first run only fills the page cache.
	 */
	memfd = memfd_create("floor", 0);
	if (memfd < 0 || ftruncate(memfd, fb.len))
		die("memfd of %zu bytes: %s", fb.len, strerror(errno));
	for (rep = -1; rep < reps; rep++) {
		for (k = 0; k < npts; k++) {
			double us;

			floor = mmap(NULL, fb.len, PROT_READ | PROT_WRITE,
				     MAP_SHARED, memfd, 0);
			if (floor == MAP_FAILED)
				die("mmap of the memfd: %s", strerror(errno));
			us = dirty(floor, rep < 0 ? &pts[nns - 1] : &pts[k], rep);
			munmap(floor, fb.len);
			if (rep < 0)
				break;
			printf("BENCH floor %s %zu %d %.3f\n",
			       order_name[pts[k].order], pts[k].n, rep, us);
		}
	}
	close(memfd);
	nice_to(0);

	/* 4, 5: on screen, at the delay and ordering the kernel booted with. */
	set_delay(delay0);
	if (strcmp(mode, "base"))
		set_sort(sort0);
	{
		struct scene s = { .bg = 0x000000 };
		size_t ncolours = sizeof(frame_colours) / sizeof(frame_colours[0]);
		unsigned int delay;
		double t0, p0, wrote, synced, shown;
		int d, looks;

		/* Start from a known screen, with nothing pending. */
		fb_draw(&fb, &s);
		flush();
		shown_after(&s, now_ms(), "the first frame", NULL);
		sleep_ms(IDLE_MS);
		/*
		 * At the boot delay the timer flushes during the writing too
		 * (a full frame takes longer to write than HZ/20): only the
		 * rest is left to fsync(). At 20 s, fsync() flushes it all.
		 */
		for (d = 0; d < 2; d++) {
			double most = 1;	/* ms after fsync() */

			set_delay(d ? 20000 : delay0);
			delay = get_delay();
			for (rep = 0; rep < frames; rep++) {
				s.bg = frame_colours[(d * frames + rep) % ncolours];
				p0 = paused_ms();
				t0 = now_ms();
				fb_draw(&fb, &s);	/* every pixel, every page */
				wrote = now_ms() - t0;
				flush();
				synced = now_ms() - t0 - wrote;
				shown = shown_after(&s, t0, "a full frame", &looks);
				printf("BENCH fullframe %d %u %d %.3f %.3f %.3f %.3f %d\n",
				       sort0, delay, rep, wrote, synced, shown,
				       paused_ms() - p0, looks);
				if (shown - wrote - synced > most)
					most = shown - wrote - synced;
				sleep_ms(IDLE_MS);
			}
			onelook(&s, sort0, delay, most, frame_colours, ncolours);
		}
		set_delay(delay0);
		delay = get_delay();
		diag("%s: full frames done", mode);

		/* A stripe across the middle, a new colour each time. */
		scene_add(&s, 0, fb.var.yres / 2, fb.var.xres, 8, 0);
		for (rep = 0; rep < frames; rep++) {
			s.r[0].rgb = rep % 2 ? 0x000000 : 0xffffff;
			if (s.r[0].rgb == s.bg)
				s.r[0].rgb = 0x404040;
			p0 = paused_ms();
			t0 = now_ms();
			fb_fill(&fb, &s.r[0]);
			shown = shown_after(&s, t0, "a stripe", &looks);
			printf("BENCH latency %d %u %d %.3f %.3f %d\n", sort0, delay,
			       rep, shown, paused_ms() - p0, looks);
			sleep_ms(IDLE_MS);
		}
	}
	printf("BENCH done\n");
	for (k = 0; k < npts; k++)
		free(pts[k].perm);
	fb_close(&fb);
	return 0;
}
