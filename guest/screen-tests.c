// SPDX-License-Identifier: GPL-2.0
/*
 * Screen tests for fbdev deferred I/O: a program writes to /dev/fb0 and the
 * host, looking at QEMU's screendump, says whether the screen shows exactly
 * what was written.
 *
 *   screen-tests [--expect-direct|--expect-shadow] [TEST...]
 *
 * runs the named tests (all when none), KTAP out. The option states what
 * fbdev_memory_mode expects: DRM's fbdev writing the driver's buffer
 * directly, or through a vmalloc shadow of the framebuffer.
 *
 * Timing comes from the running kernel: HZ measured from /proc/timer_list,
 * DRM's delay of HZ/20 jiffies. The deferred work runs 1 jiffy early at
 * the soonest (the first fault may come just before a tick), so nothing
 * can be flushed by the timer before (delay - 1 jiffy) after a write; a
 * look is judged against that bound both in guest milliseconds and in the
 * kernel's own jiffies (see timing()).
 *
 * Scheduling noise: the guest runs under TCG on a shared host, so any step
 * may be late. Screen checks therefore observe repeatedly until a deadline
 * (never once), and the timing checks only judge observations whose timing
 * proves something: an observation made too late to tell is repeated with a
 * fresh pattern (at most ATTEMPTS times), the verdict itself never is. The
 * VM is paused while the host looks, so the looking costs no guest time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fb.h"

#define ATTEMPTS	5
#define DEADLINE_MS	5000	/* generous: debug kernels copy slowly */
#define PAGE		4096

static struct fb fb;
static const char *cur;	/* the running test's name */
static char why[256];

/*
 * Fill the whole screen with @bg, flush, and wait until it is shown. The
 * screen may already show @bg, and a match would then prove nothing: the
 * flush and DRM's copy could still be pending and would later carry the
 * next test's writes to the screen early. So first a colour that differs
 * from @bg in every pixel, then @bg, each seen on screen.
 */
static int reset(struct scene *s, uint32_t bg)
{
	int phase;

	for (phase = 0; phase < 2; phase++) {
		memset(s, 0, sizeof(*s));
		s->bg = phase ? bg : bg ^ 0x808080;
		fb_draw(&fb, s);
		fsync(fb.fd);
		if (oracle_wait(&fb, s, now_ms(), DEADLINE_MS, why,
				sizeof(why)) < 0)
			return 1;
	}
	return 0;
}

/* A band of rows in the middle of the screen. */
static void band(struct scene *s, unsigned int i, uint32_t rgb)
{
	unsigned int h = fb.var.yres / 16;

	scene_add(s, fb.var.xres / 8, fb.var.yres / 4 + i * h,
		  fb.var.xres * 3 / 4, h, rgb);
}

/* Pages of the visible part of the framebuffer. */
static size_t visible_bytes(void)
{
	return (size_t)fb.fix.line_length * fb.var.yres;
}

static size_t visible_pages(void)
{
	return (visible_bytes() + PAGE - 1) / PAGE;
}

/* The visible part of page @p in colour @rgb, into @s only. */
static void scene_page(struct scene *s, size_t p, uint32_t rgb)
{
	size_t off = p * PAGE, len = PAGE;

	if (off + len > visible_bytes())
		len = visible_bytes() - off;
	scene_add_bytes(s, &fb, off, len, rgb);
}

/* Page @p of @f in colour @rgb, its visible part, and into @s. */
static void write_page(struct fb *f, struct scene *s, size_t p, uint32_t rgb)
{
	size_t off = p * PAGE, len = PAGE;

	if (off + len > visible_bytes())
		len = visible_bytes() - off;
	fb_fill_bytes(f, off, len, rgb);
	scene_add_bytes(s, f, off, len, rgb);
}

/*
 * Writes that may fault with SIGBUS: guarded() returns 0 after @fn ran, or
 * -1 when it got SIGBUS (a fault the kernel refused).
 */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (!bus_armed)
		_exit(128 + sig);
	siglongjmp(bus_jmp, 1);
}

static int guarded(void (*fn)(void *), void *arg)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int r = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0) {
		bus_armed = 1;
		fn(arg);
	} else {
		r = -1;
	}
	bus_armed = 0;
	sigaction(SIGBUS, &old, NULL);
	return r;
}

/*
 * The timing bounds; 0, or a failed result when HZ cannot be told. DRM's
 * deferred work is queued delay_jiffies (HZ/20) after the first fault, so
 * it cannot run before the kernel counted delay_jiffies - 1 more jiffies
 * than before the write, nor (in guest time) before earliest = delay - 1
 * jiffy ms. A look counts as made in time only when both say so: the
 * jiffies read after its answer are the kernel's own count and exact; the
 * milliseconds guard against a tick that runs slow.
 */
static double delay, jiffy, earliest;
static unsigned long long delay_jiffies;

static int timing(void)
{
	if (!kernel_hz())
		return fail("cannot tell the kernel's HZ: %s", kernel_hz_error());
	delay = defio_delay_ms();
	jiffy = jiffy_ms();
	earliest = delay - jiffy;
	delay_jiffies = kernel_hz() / 20;
	return 0;
}

/* One look: the verdict, and when (ms after @t0, jiffies after @j0). */
struct look {
	int r;			/* oracle_check(): 1, 0, -1 */
	double at;		/* ms after the write started */
	unsigned long long dj;	/* jiffies counted since before the write */
};

static int look(const struct scene *s, double t0, unsigned long long j0,
		struct look *l)
{
	unsigned long long j;

	l->r = oracle_check(&fb, s, why, sizeof(why));
	if (kernel_jiffies(&j)) {
		snprintf(why, sizeof(why), "cannot read jiffies: %s",
			 kernel_hz_error());
		l->r = -1;
	}
	l->at = now_ms() - t0;
	l->dj = j - j0;
	return l->r;
}

static int in_time(const struct look *l)
{
	return l->at < earliest && l->dj <= delay_jiffies - 1;
}

/*
 * A write through mmap is not on screen before the deferred-I/O delay,
 * and is on screen after it. Every look made in time (see timing()) must
 * see the old screen, then the pattern must show no later than 5 jiffies
 * after the delay plus the display's copy time, measured through fsync()
 * first (a flush that runs late, or a wrong delay, fails). An
 * attempt without a look in time proves nothing and is retried with a
 * fresh pattern.
 */
static int test_mmap_write_is_deferred(void)
{
	struct scene s;
	double copy;
	int attempt;

	if (timing())
		return 1;
	/*
	 * The display's own time from a flush to the screen (DRM's damage
	 * work, the driver's copy): after fsync(), which flushes at once.
	 * The deferred write must be on screen by the delay, plus two
	 * jiffies, plus that.
	 */
	if (reset(&s, 0x000000))
		goto reset_failed;
	band(&s, 2, 0x808080);
	{
		double t0 = now_ms(), synced;

		fb_fill(&fb, &s.r[0]);
		if (fsync(fb.fd))
			return fail("fsync: %s", strerror(errno));
		synced = now_ms() - t0;
		copy = oracle_wait(&fb, &s, t0, DEADLINE_MS, why, sizeof(why));
		if (copy < 0)
			return fail("after fsync, not on screen in %d ms: %s",
				    DEADLINE_MS, why);
		copy -= synced;
	}
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		unsigned long long j0;
		double t0, written, began, late;
		struct look l, last = { 0, 0, 0 };
		int looks = 0;

		if (reset(&s, 0x000000))
			goto reset_failed;
		band(&s, 0, colours[attempt % NCOLOURS]);
		if (kernel_jiffies(&j0))
			return fail("cannot read jiffies: %s", kernel_hz_error());
		t0 = now_ms();
		fb_fill(&fb, &s.r[0]);
		written = now_ms() - t0;
		for (;;) {
			if (look(&s, t0, j0, &l) < 0)
				return fail("%s", why);
			if (!in_time(&l))
				break;		/* too late to tell */
			if (l.r > 0)
				return fail("pattern already on screen %.1f ms (%llu jiffies) after the write, want not before %.1f ms (%llu jiffies: delay %.0f ms - 1 jiffy of %.1f ms)",
					    l.at, l.dj, earliest,
					    delay_jiffies - 1, delay, jiffy);
			looks++;
			last = l;
			sleep_ms(jiffy / 2);
		}
		if (!looks) {
			diag("first look %.1f ms, %llu jiffies after the write (written in %.1f ms): too late to tell, retrying",
			     l.at, l.dj, written);
			oracle_wait(&fb, &s, t0, DEADLINE_MS, why, sizeof(why));
			continue;
		}
		/*
		 * Then on screen, and in time: the work is due delay_jiffies
		 * after the fault, and 2 jiffies (the timer's and the
		 * worker's) plus the display's copy time later its copy must
		 * be on screen; 3 jiffies more for the guest's own jitter
		 * under TCG (the looking takes guest time too: with 1 jiffy,
		 * the closest passes came within 2.2 ms of the bound). A look
		 * that began after that and does not see it fails: the flush
		 * ran late, or its delay is not DRM's (1 s, say).
		 */
		late = delay + 5 * jiffy + copy;
		do {
			sleep_ms(jiffy / 2);
			began = now_ms() - t0;
			if (look(&s, t0, j0, &l) < 0)
				return fail("%s", why);
		} while (!l.r && began < late);
		if (!l.r)
			return fail("not on screen at a look that began %.1f ms (answered %.1f ms, %llu jiffies) after the write, want by %.1f ms (the delay of %.0f ms, HZ/20, + 5 jiffies + %.1f ms, the copy after an fsync): the flush ran late, or its delay is not DRM's: %s",
				    began, l.at, l.dj, late, delay, copy, why);
		diag("not on screen in %d looks in time (the last %.1f ms, %llu jiffies after the write), on screen at a look that began %.1f ms after it (answered %.1f ms, %llu jiffies; HZ %u, delay %.0f ms, copy %.1f ms, due by %.1f ms)",
		     looks, last.at, last.dj, began, l.at, l.dj, kernel_hz(),
		     delay, copy, late);
		return pass();
	}
	return fail("no look within %.1f ms (%llu jiffies) of the write in %d attempts: no timely observation was possible",
		    earliest, delay_jiffies - 1, ATTEMPTS);
reset_failed:
	return fail("could not clear the screen: %s", why);
}

/*
 * fsync() flushes at once: after write + fsync() the pattern is on screen
 * before the deferred timer could have shown it. The screen is looked at
 * again and again; a look in time (see timing()) that sees it passes.
 * Looks in time that do not see it, followed by no look that does until
 * the bound, fail. An attempt whose looks could not be made in time (the
 * first look after fsync, or one after a long gap since the previous
 * look, came only after the bound) tells nothing and is retried with a
 * fresh pattern.
 */
/* The test below, with fsync() through @sync_fd. */
static int fsync_at_once(int sync_fd)
{
	struct scene s;
	int attempt;

	if (timing())
		return 1;
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		double t0, prev, synced, gap_max = earliest / 4;
		unsigned long long j0;
		char miss[256] = "";
		struct look l;
		int misses = 0;

		if (reset(&s, 0x000000))
			goto reset_failed;
		band(&s, 1, colours[(attempt + 3) % NCOLOURS]);
		if (kernel_jiffies(&j0))
			return fail("cannot read jiffies: %s", kernel_hz_error());
		t0 = now_ms();
		fb_fill(&fb, &s.r[0]);
		if (fsync(sync_fd))
			return fail("fsync: %s", strerror(errno));
		prev = synced = now_ms() - t0;
		for (;;) {
			if (look(&s, t0, j0, &l) < 0)
				return fail("%s", why);
			if (!in_time(&l))
				break;
			if (l.r > 0) {
				diag("on screen %.1f ms, %llu jiffies after the write (fsync returned at %.1f ms, timer not before %.1f ms, %llu jiffies)",
				     l.at, l.dj, synced, earliest, delay_jiffies - 1);
				return pass();
			}
			misses++;
			prev = l.at;
			snprintf(miss, sizeof(miss), "%s", why);
		}
		/* Watched closely until the bound, never seen: the verdict. */
		if (misses && l.at - prev <= gap_max)
			return fail("not on screen in %d looks until %.1f ms after write+fsync (next look %.1f ms, %llu jiffies), want on screen before %.1f ms (delay %.0f ms - 1 jiffy): %s",
				    misses, prev, l.at, l.dj, earliest, delay, miss);
		diag("look at %.1f ms (%llu jiffies) after the write, %.1f ms after the previous one at %.1f ms (fsync returned at %.1f ms): too late to tell, retrying",
		     l.at, l.dj, l.at - prev, prev, synced);
		oracle_wait(&fb, &s, t0, DEADLINE_MS, why, sizeof(why));
	}
	return fail("no timely observation in %d attempts (looks must come within %.1f ms and %llu jiffies of the write)",
		    ATTEMPTS, earliest, delay_jiffies - 1);
reset_failed:
	return fail("could not clear the screen: %s", why);
}

static int test_fsync_flushes_at_once(void)
{
	return fsync_at_once(fb.fd);
}

/*
 * fsync() through another open file of the framebuffer, which never
 * mapped it, flushes what was written through this one's mapping: the
 * flush is the framebuffer's, not the file's.
 */
static int test_fsync_other_descriptor(void)
{
	int fd = open("/dev/fb0", O_RDWR), r;

	if (fd < 0)
		return fail("second open of /dev/fb0: %s", strerror(errno));
	r = fsync_at_once(fd);
	close(fd);
	return r;
}

/*
 * A forked child writes through the mapping it inherited, and exits: its
 * write reaches the screen (the child's PTEs are tracked as the
 * parent's), and the parent's next write to the same page after that
 * flush does too.
 */
static int test_fork_child_writes(void)
{
	size_t np = visible_pages(), p = np / 5, q = np / 2;
	struct scene s;
	pid_t pid;
	int st;

	if (reset(&s, 0x000040))
		return fail("could not clear the screen: %s", why);
	write_page(&fb, &s, p, 0xff00ff);
	if (fsync(fb.fd) ||
	    oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("the parent's first write not on screen: %s", why);
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		struct scene dummy = { 0 };

		write_page(&fb, &dummy, q, 0x00ff80);
		write_page(&fb, &dummy, p, 0x80ff00);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return fail("the child did not exit cleanly (status 0x%x)", st);
	/* what the child wrote, into the scene only */
	scene_page(&s, q, 0x00ff80);
	scene_page(&s, p, 0x80ff00);
	/* no fsync: the work the child's fault queued must show them */
	if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("the child's writes not on screen %d ms after it exited: %s",
			    DEADLINE_MS, why);
	write_page(&fb, &s, q, 0xffff40);
	if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("the parent's write after the child's flush not on screen: %s",
			    why);
	return pass();
}

/*
 * A page written twice in one period shows the second write; written
 * again after its flush (so it must fault again), shows the third.
 */
static int test_rewrite_shows_latest(void)
{
	struct scene s;
	double shown;

	if (timing())
		return 1;
	if (reset(&s, 0x000000))
		goto reset_failed;
	band(&s, 2, 0xff0000);
	fb_fill(&fb, &s.r[0]);
	sleep_ms(delay / 10);
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
	return pass();
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
	return pass();
reset_failed:
	ktap_result(0, cur, "could not clear the screen: %s", why);
	return 1;
}

/*
 * Map and write /dev/fb0, close it, then unbind the display's driver with
 * nothing mapped, bind it again, and draw on the new /dev/fb0. Debian 13's
 * 6.12 never returns from the unbind of virtio-gpu once /dev/fb0 was
 * mapped. Runs last: it replaces the framebuffer the other tests use.
 */
static int test_rebind_after_mapping(void)
{
	char drv[256], devpath[256], *dev;
	struct scene s;
	int err;

	if (!realpath("/sys/class/graphics/fb0/device/driver", drv) ||
	    !realpath("/sys/class/graphics/fb0/device", devpath))
		return fail("no driver of /dev/fb0 in sysfs: %s", strerror(errno));
	dev = strrchr(devpath, '/') + 1;
	if (reset(&s, 0x203040))
		return fail("before the unbind, /dev/fb0 not on screen: %s", why);
	fb_close(&fb);

	err = sysfs_write_bounded(drv, "unbind", dev, UNBIND_MS);
	if (err == -ETIMEDOUT)
		return fail("unbind of %s from %s did not return in %d s (after /dev/fb0 was mapped, written and closed)",
			    dev, drv, UNBIND_MS / 1000);
	if (err)
		return fail("unbind of %s from %s: %s", dev, drv, strerror(-err));
	err = sysfs_write_bounded(drv, "bind", dev, UNBIND_MS);
	if (err)
		return fail("bind of %s to %s: %s", dev, drv, bounded_strerror(err));
	err = fb_wait_open(&fb, "/dev/fb0", DEADLINE_MS);
	if (err)
		return fail("no /dev/fb0 after the rebind: %s", strerror(-err));
	if (reset(&s, 0x402010))
		return fail("the new /dev/fb0 not on screen: %s", why);
	return pass();
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
	return pass();
reset_failed:
	ktap_result(0, cur, "could not clear the screen: %s", why);
	free(buf);
	return 1;
}

/* FBIOGET_*SCREENINFO agree with the screen QEMU shows. */
static int test_geometry_matches_screen(void)
{
	unsigned int w, h;

	if (oracle_geometry(&fb, &w, &h)) {
		ktap_result(0, cur, "no answer from the host oracle");
		return 1;
	}
	diag("%s: %ux%u, %u bpp, line_length %u, smem_len %u", fb.id,
	     fb.var.xres, fb.var.yres, fb.var.bits_per_pixel,
	     fb.fix.line_length, fb.fix.smem_len);
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
	return pass();
}

/* A write of one page through a mapping, for guarded(). */
struct page_write {
	struct fb *f;
	struct scene *s;
	size_t page;
	uint32_t rgb;
};

static void page_write_fn(void *arg)
{
	struct page_write *w = arg;

	write_page(w->f, w->s, w->page, w->rgb);
}

/*
 * The lost-page oracle: pages written one per flush period, each alone,
 * must each reach the screen. DRM redraws the rows between the lowest and
 * the highest listed page, so with several pages per period a lost one in
 * between would be redrawn anyway; alone, its loss is visible. The pages:
 * the first, every k-th (about 32 in all), three consecutive ones in the
 * middle, the last. After each, the whole screen must be exactly the
 * scene so far.
 */
static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int test_each_page_alone_reaches_screen(void)
{
	size_t npages = visible_pages(), k = npages / 32 ? npages / 32 : 1;
	size_t pages[64], n = 0, i, p;
	double slowest = 0;
	struct scene s;

	for (p = 0; p < npages && n < 40; p += k)
		pages[n++] = p;
	pages[n++] = npages / 2 + 1;
	pages[n++] = npages / 2 + 2;
	pages[n++] = npages / 2 + 3;
	pages[n++] = npages - 1;
	qsort(pages, n, sizeof(pages[0]), cmp_size);
	for (i = 1, p = 1; i < n; i++)		/* drop duplicates */
		if (pages[i] != pages[p - 1])
			pages[p++] = pages[i];
	n = p;
	if (reset(&s, 0x202020))
		return fail("could not clear the screen: %s", why);
	for (i = 0; i < n; i++) {
		struct page_write w = { &fb, &s, pages[i], colours[i % NCOLOURS] };
		double t0 = now_ms(), shown;

		if (guarded(page_write_fn, &w))
			return fail("SIGBUS writing page %zu", pages[i]);
		if (fsync(fb.fd))
			return fail("fsync after page %zu: %s", pages[i],
				    strerror(errno));
		shown = oracle_wait(&fb, &s, t0, DEADLINE_MS, why, sizeof(why));
		if (shown < 0)
			return fail("page %zu (%zu of %zu written, one per flush) not on screen as expected after %d ms: %s",
				    pages[i], i + 1, n, DEADLINE_MS, why);
		if (shown > slowest)
			slowest = shown;
	}
	diag("%zu pages of %zu (every %zu-th, 3 in the middle, the last), each alone, each on screen exactly; slowest %.1f ms",
	     n, npages, k, slowest);
	return pass();
}

/*
 * Write @n pages through @f, fsync through it, and check the whole scene.
 * 0, or a failed result naming @step.
 */
static int write_sync_check(struct fb *f, struct scene *s, const size_t *pages,
			    const uint32_t *rgb, int n, const char *step)
{
	double t0 = now_ms();
	int i;

	for (i = 0; i < n; i++) {
		struct page_write w = { f, s, pages[i], rgb[i] };

		if (guarded(page_write_fn, &w))
			return fail("%s: SIGBUS writing page %zu", step, pages[i]);
	}
	if (fsync(f->fd))
		return fail("%s: fsync: %s", step, strerror(errno));
	if (oracle_wait(&fb, s, t0, DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("%s: screen not as written after %d ms: %s", step,
			    DEADLINE_MS, why);
	return 0;
}

/*
 * What the driver's callback received, not only what the screen shows:
 * DRM turns the flushed page list into one damage rectangle, full width,
 * from the row of the lowest listed page to the row that ends the
 * highest; virtio-gpu sends it to the device as RESOURCE_FLUSH commands,
 * whose rectangles the host reads from QEMU's trace (FLUSHES). The
 * screen alone cannot tell a callback that got the written pages from
 * one that got more (a whole screen's damage redraws the same pixels),
 * nor, with several pages in a period, one that lost a page in between
 * (the rows between are redrawn anyway). Each case: pages written in one
 * period, on screen, then the flushes since the write must cover exactly
 * those rows. virtio-gpu only: the other displays draw without commands.
 */
static int test_damage_is_the_written_rows(void)
{
	static const struct { const char *what; int n; size_t at[2]; } cases[] = {
		{ "one page in the middle", 1, { 3, 0 } },
		{ "two pages far apart in one period", 2, { 4, 9 } },
		{ "the last page alone", 1, { 0, 0 } },
	};
	size_t np = visible_pages(), pitch = fb.fix.line_length;
	struct flush fl[16];
	unsigned int c;
	struct scene s;
	int i, n;

	if (reset(&s, 0x200020))
		return fail("could not clear the screen: %s", why);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t pages[2], first, end;
		int x1 = INT_MAX, y1 = INT_MAX, x2 = 0, y2 = 0, wx1, wx2, wy1, wy2;
		double t0;

		for (i = 0; i < cases[c].n; i++)
			pages[i] = c == 2 ? np - 1 : np * cases[c].at[i] / 12;
		first = pages[0] * PAGE;
		end = (pages[cases[c].n - 1] + 1) * PAGE;
		if (end > visible_bytes())
			end = visible_bytes();
		wy1 = first / pitch;
		wy2 = (end + pitch - 1) / pitch;
		if (oracle_flushes(fl, 0) < 0)	/* forget the earlier ones */
			return fail("no answer to FLUSHES from the host");
		t0 = now_ms();
		for (i = 0; i < cases[c].n; i++)
			write_page(&fb, &s, pages[i], colours[(c + i) % NCOLOURS]);
		if (oracle_wait(&fb, &s, t0, DEADLINE_MS, why, sizeof(why)) < 0)
			return fail("%s: not on screen after %d ms: %s",
				    cases[c].what, DEADLINE_MS, why);
		n = oracle_flushes(fl, 16);
		if (n < 0)
			return fail("no answer to FLUSHES from the host");
		if (n == 0)
			return fail("%s: on screen, but QEMU traced no RESOURCE_FLUSH: not virtio-gpu, or the trace is missing",
				    cases[c].what);
		for (i = 0; i < n && i < 16; i++) {
			if (fl[i].x < x1) x1 = fl[i].x;
			if (fl[i].y < y1) y1 = fl[i].y;
			if (fl[i].x + fl[i].w > x2) x2 = fl[i].x + fl[i].w;
			if (fl[i].y + fl[i].h > y2) y2 = fl[i].y + fl[i].h;
		}
		diag("%s (pages %zu-%zu): %d flush(es), columns %d-%d, rows %d-%d; written rows %d-%d",
		     cases[c].what, pages[0], pages[cases[c].n - 1], n, x1,
		     x2 - 1, y1, y2 - 1, wy1, wy2 - 1);
		/*
		 * Written bytes within one scanline (a page of a screen wider
		 * than 1024 pixels at 32 bpp) may be sent as exactly their
		 * columns, as DRM's helper does since v5.x; otherwise rows are
		 * sent whole.
		 */
		wx1 = 0;
		wx2 = fb.var.xres;
		if (wy2 - wy1 == 1) {
			wx1 = (first % pitch) / fb.bpp;
			wx2 = ((end - 1) % pitch) / fb.bpp + 1;
		}
		if (!((x1 == 0 && x2 == (int)fb.var.xres) || (x1 == wx1 && x2 == wx2)) ||
		    y1 != wy1 || y2 != wy2)
			return fail("%s: the device was sent columns %d-%d, rows %d-%d, want columns 0-%u (or %d-%d, the written ones of a single scanline), rows %d-%d (the written pages %zu-%zu): %s",
				    cases[c].what, x1, x2 - 1, y1, y2 - 1,
				    fb.var.xres - 1, wx1, wx2 - 1, wy1, wy2 - 1,
				    pages[0], pages[cases[c].n - 1],
				    y1 > wy1 || y2 < wy2 || x1 > wx1 || x2 < wx2 ?
				    "written pixels left out" : "more than was written");
	}
	return pass();
}

#define ALT_NODE "/tmp/fb-alt"

/*
 * A second device node for the same framebuffer (another inode, so
 * another address_space unless fbdev maps every open through its own):
 * both mapped, the mode set once. Writes alternate between them, one
 * flush (fsync) and one screen check per step: A writes page 1; B writes
 * page 1 (flushed before through A) and page 2; A writes page 1 again, a
 * page it wrote before the last flush, so a new write fault must happen;
 * and so on. The flush must write-protect every mapping, whichever node
 * it came through and whichever mapped the page first: a PTE left
 * writable takes the next write without a fault, and that write never
 * reaches the screen.
 */
static int test_second_node_both_mapped(void)
{
	static const char *const steps[] = {
		"A writes page 1",
		"B writes page 1 (flushed before through A) and page 2",
		"A writes page 1 again (must fault anew)",
		"B writes pages 1 and 2 again (must fault anew)",
		"A writes page 1 again, after B's flush (must fault anew)",
		"B writes pages 1 and 2 again, after A's flush (must fault anew)",
	};
	size_t np = visible_pages(), pages[2] = { np / 4, np / 2 };
	struct fb alt;
	struct scene s;
	unsigned int i;
	int err, r = 1;

	unlink(ALT_NODE);
	if (mknod(ALT_NODE, S_IFCHR | 0600, makedev(29, fb_minor(&fb))))
		return fail("mknod %s (29, %u): %s", ALT_NODE, fb_minor(&fb),
			    strerror(errno));
	err = fb_open_nomodeset(&alt, ALT_NODE);
	if (err) {
		unlink(ALT_NODE);
		return fail("open and mmap %s: %s", ALT_NODE, strerror(-err));
	}
	if (strcmp(alt.id, fb.id) || alt.len != fb.len) {
		fail("%s is %s (%zu bytes), want %s (%zu bytes)", ALT_NODE,
		     alt.id, alt.len, fb.id, fb.len);
		goto out;
	}
	if (reset(&s, 0x000040)) {
		fail("could not clear the screen: %s", why);
		goto out;
	}
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint32_t c[2] = { colours[(2 * i) % NCOLOURS],
				  colours[(2 * i + 1) % NCOLOURS] };
		char step[128];

		snprintf(step, sizeof(step), "step %u, %s", i + 1, steps[i]);
		if (write_sync_check(i % 2 ? &alt : &fb, &s, pages, c,
				     i % 2 ? 2 : 1, step))
			goto out;
	}
	r = pass();
out:
	fb_close(&alt);
	unlink(ALT_NODE);
	return r;
}

/*
 * A mapping of /dev/fb0 that cannot write to the framebuffer: a screen
 * viewer's (O_RDONLY, PROT_READ, MAP_SHARED), or a private one (O_RDWR,
 * MAP_PRIVATE), whose writes go to copies of the pages. The flush must
 * skip it and go on to every writable mapping: a walk that stops at it
 * leaves the mappings after it writable, and their later writes never
 * reach the screen.
 */
enum other_kind { OTHER_VIEWER, OTHER_PRIVATE };

struct other {
	int fd;
	uint8_t *mem;
	size_t len;
};

static int other_map(struct other *o, enum other_kind kind, size_t len)
{
	int priv = kind == OTHER_PRIVATE;

	o->len = len;
	o->mem = NULL;
	o->fd = open("/dev/fb0", priv ? O_RDWR : O_RDONLY);
	if (o->fd < 0)
		return -errno;
	o->mem = mmap(NULL, len, priv ? PROT_READ | PROT_WRITE : PROT_READ,
		      priv ? MAP_PRIVATE : MAP_SHARED, o->fd, 0);
	if (o->mem == MAP_FAILED) {
		int err = -errno;

		close(o->fd);
		o->mem = NULL;
		return err;
	}
	return 0;
}

static void other_unmap(struct other *o)
{
	if (o->mem)
		munmap(o->mem, o->len);
	if (o->fd >= 0)
		close(o->fd);
}

/* Read every page of @o, as a viewer does: each gets a PTE. */
static unsigned int other_read(const struct other *o)
{
	unsigned int sum = 0;
	size_t off;

	for (off = 0; off < o->len; off += PAGE)
		sum += ((volatile uint8_t *)o->mem)[off];
	return sum;
}

/*
 * @kind mapped before (@before) or after a second writer mapping of
 * /dev/fb0. The writer then writes the same two pages in several rounds,
 * each flushed (fsync) and checked on screen: every round must arrive,
 * which takes a new write fault each time, so the flush must have
 * write-protected the writer's PTEs. A private mapping also writes a page
 * of its own copy, which must never reach the screen.
 */
static int other_mapping_test(enum other_kind kind, int before)
{
	static const char *const kinds[] = { "read-only viewer", "private mapping" };
	size_t np = visible_pages(), pages[2] = { np / 5, np * 3 / 5 };
	struct other o = { .fd = -1 };
	struct fb w = { .fd = -1 };
	struct scene s;
	unsigned int i;
	int err, r = 1;

	if (reset(&s, 0x200020))
		return fail("could not clear the screen: %s", why);
	if (!before && (err = fb_open_nomodeset(&w, "/dev/fb0")))
		return fail("open and mmap the writer: %s", strerror(-err));
	err = other_map(&o, kind, fb.len);
	if (err) {
		fail("map the %s: %s", kinds[kind], strerror(-err));
		goto out;
	}
	other_read(&o);
	if (before && (err = fb_open_nomodeset(&w, "/dev/fb0"))) {
		fail("open and mmap the writer: %s", strerror(-err));
		goto out;
	}
	if (kind == OTHER_PRIVATE) {
		/* a private copy of a page the writer does not write */
		memset(o.mem + np / 2 * PAGE, 0x5a, PAGE);
	}
	for (i = 0; i < 5; i++) {
		uint32_t c[2] = { colours[(2 * i) % NCOLOURS],
				  colours[(2 * i + 1) % NCOLOURS] };
		char step[160];

		snprintf(step, sizeof(step),
			 "round %u of the writer mapped %s the %s", i + 1,
			 before ? "after" : "before", kinds[kind]);
		if (write_sync_check(&w, &s, pages, c, 2, step))
			goto out;
		if (kind == OTHER_VIEWER &&
		    memcmp(o.mem + pages[0] * PAGE, w.mem + pages[0] * PAGE,
			   PAGE)) {
			fail("%s: the viewer does not read what the writer wrote",
			     step);
			goto out;
		}
	}
	r = pass();
out:
	other_unmap(&o);
	fb_close(&w);
	return r;
}

static int test_viewer_before_writer(void)
{
	return other_mapping_test(OTHER_VIEWER, 1);
}

static int test_viewer_after_writer(void)
{
	return other_mapping_test(OTHER_VIEWER, 0);
}

static int test_private_before_writer(void)
{
	return other_mapping_test(OTHER_PRIVATE, 1);
}

/*
 * mprotect() read-only and back to read-write makes the dirty PTEs of a
 * write-notify mapping writable again without a fault: the flush must
 * leave them clean, or the next write is never seen.
 */
static int test_mprotect_keeps_tracking(void)
{
	size_t p = visible_pages() / 3;
	struct scene s;
	uint32_t c = 0xff8000;

	if (reset(&s, 0x004000))
		return fail("could not clear the screen: %s", why);
	if (write_sync_check(&fb, &s, &p, &c, 1, "first write"))
		return 1;
	if (mprotect(fb.mem, fb.len, PROT_READ) ||
	    mprotect(fb.mem, fb.len, PROT_READ | PROT_WRITE))
		return fail("mprotect: %s", strerror(errno));
	c = 0x0080ff;
	if (write_sync_check(&fb, &s, &p, &c, 1,
			     "write after mprotect(PROT_READ) and back"))
		return 1;
	return pass();
}

/*
 * Where the framebuffer memory is: a shadow buffer is one vmalloc() area
 * of smem_len bytes, so the largest one in /proc/vmallocinfo is at least
 * smem_len with a shadow, and smaller without (DRM's fbdev writing the
 * driver's buffer directly; a GEM buffer's vmap() is not such an area).
 * The expectation comes from the command line.
 */
static enum { EXPECT_NOTHING, EXPECT_DIRECT, EXPECT_SHADOW } expect;

static int test_fbdev_memory_mode(void)
{
	unsigned long long big;
	int r = largest_vmalloc(&big);

	if (r < 0)
		return fail("/proc/vmallocinfo: %s", strerror(-r));
	diag("%s: largest vmalloc area %llu bytes, smem_len %u bytes", fb.id,
	     big, fb.fix.smem_len);
	switch (expect) {
	case EXPECT_DIRECT:
		if (big >= fb.fix.smem_len)
			return fail("want direct (no shadow buffer): a vmalloc area of %llu bytes >= smem_len %u bytes",
				    big, fb.fix.smem_len);
		return pass();
	case EXPECT_SHADOW:
		if (big < fb.fix.smem_len)
			return fail("want a shadow buffer: the largest vmalloc area is %llu bytes < smem_len %u bytes",
				    big, fb.fix.smem_len);
		return pass();
	default:
		return fail("no expectation given (--expect-direct or --expect-shadow); largest vmalloc area %llu bytes, smem_len %u bytes",
			    big, fb.fix.smem_len);
	}
}

/* Longer than a commit and four flush periods take under TCG. */
#define SETTLE_MS	300

/*
 * A write through the mapping after @what (an ioctl that went through the
 * driver while the framebuffer stayed mapped) reaches the screen without
 * fsync(): the pages are still tracked. 0, or 1 after fail().
 */
static int still_tracked(struct scene *s, size_t p, uint32_t rgb,
			 const char *what)
{
	write_page(&fb, s, p, rgb);
	if (oracle_wait(&fb, s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("page %zu written after %s not on screen within %d ms (no fsync): %s",
			    p, what, DEADLINE_MS, why);
	return 0;
}

/*
 * FBIOPAN_DISPLAY to the offsets the display already has, with the
 * framebuffer mapped and pages of it just written: the driver commits
 * the plane anew. The written pages, and pages written after the pan,
 * reach the screen; the offsets stay.
 */
static int test_pan_keeps_tracking(void)
{
	struct fb_var_screeninfo var = fb.var, now;
	size_t np = visible_pages();
	struct scene s;

	if (reset(&s, 0x202020))
		return fail("could not clear the screen: %s", why);
	write_page(&fb, &s, np / 3, 0xff8000);
	if (ioctl(fb.fd, FBIOPAN_DISPLAY, &var))
		return fail("FBIOPAN_DISPLAY to the current offsets (%u, %u): %s",
			    var.xoffset, var.yoffset, strerror(errno));
	if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("page %zu written before the pan not on screen: %s",
			    np / 3, why);
	/* the pan's commit, whose update of the whole plane would show any page, is over */
	sleep_ms(SETTLE_MS);
	if (still_tracked(&s, np / 3 + 1, 0x0080ff, "the pan") ||
	    still_tracked(&s, np / 3, 0x80ff00, "the pan, rewritten"))
		return 1;
	if (ioctl(fb.fd, FBIOGET_VSCREENINFO, &now))
		return fail("FBIOGET_VSCREENINFO: %s", strerror(errno));
	if (now.xoffset != fb.var.xoffset || now.yoffset != fb.var.yoffset)
		return fail("offsets (%u, %u) after the pan, want (%u, %u)",
			    now.xoffset, now.yoffset, fb.var.xoffset,
			    fb.var.yoffset);
	return pass();
}

/*
 * A mode change while mapped: FBIOPUT_VSCREENINFO with the mode the
 * display has (FB_ACTIVATE_NOW: the driver sets it again), then a mode
 * twice as wide, which a framebuffer of fixed size must refuse with
 * EINVAL, changing nothing. After each, the mapping's writes reach the
 * screen, and the geometry is what the mapping was made for.
 */
static int test_mode_change_keeps_tracking(void)
{
	struct fb_var_screeninfo var = fb.var, now;
	struct fb_fix_screeninfo fix;
	size_t np = visible_pages();
	struct scene s;

	if (reset(&s, 0x002020))
		return fail("could not clear the screen: %s", why);
	var.activate = FB_ACTIVATE_NOW | FB_ACTIVATE_FORCE;
	if (ioctl(fb.fd, FBIOPUT_VSCREENINFO, &var))
		return fail("FBIOPUT_VSCREENINFO with the current mode %ux%u: %s",
			    var.xres, var.yres, strerror(errno));
	/* the mode set's commit, whose update of the whole plane would show any page, is over */
	sleep_ms(SETTLE_MS);
	if (still_tracked(&s, np / 4, 0xff0080, "setting the same mode"))
		return 1;
	var = fb.var;
	var.xres = var.xres_virtual = 2 * fb.var.xres;
	var.activate = FB_ACTIVATE_NOW;
	if (ioctl(fb.fd, FBIOPUT_VSCREENINFO, &var) == 0) {
		/* the tests after this one want the mode they were given */
		now = fb.var;
		now.activate = FB_ACTIVATE_NOW | FB_ACTIVATE_FORCE;
		ioctl(fb.fd, FBIOPUT_VSCREENINFO, &now);
		return fail("FBIOPUT_VSCREENINFO to %ux%u accepted: the mapping of %zu bytes would be too small",
			    var.xres, var.yres, fb.len);
	}
	if (errno != EINVAL)
		return fail("FBIOPUT_VSCREENINFO to %ux%u: %s, want EINVAL",
			    var.xres, var.yres, strerror(errno));
	if (still_tracked(&s, np * 3 / 4, 0x00ff80, "a refused mode change"))
		return 1;
	if (ioctl(fb.fd, FBIOGET_VSCREENINFO, &now) ||
	    ioctl(fb.fd, FBIOGET_FSCREENINFO, &fix))
		return fail("FBIOGET_VSCREENINFO/FSCREENINFO: %s", strerror(errno));
	if (now.xres != fb.var.xres || now.yres != fb.var.yres ||
	    now.bits_per_pixel != fb.var.bits_per_pixel ||
	    fix.line_length != fb.fix.line_length || fix.smem_len != fb.fix.smem_len)
		return fail("after the mode changes: %ux%u, %u bpp, line %u, smem_len %u; want %ux%u, %u bpp, line %u, smem_len %u",
			    now.xres, now.yres, now.bits_per_pixel,
			    fix.line_length, fix.smem_len, fb.var.xres,
			    fb.var.yres, fb.var.bits_per_pixel,
			    fb.fix.line_length, fb.fix.smem_len);
	return pass();
}

static int option(const char *arg)
{
	if (!strcmp(arg, "--expect-direct"))
		expect = EXPECT_DIRECT;
	else if (!strcmp(arg, "--expect-shadow"))
		expect = EXPECT_SHADOW;
	else
		return -1;
	return 0;
}

static const struct fbtest tests[] = {
	{ "geometry_matches_screen", test_geometry_matches_screen },
	{ "fbdev_memory_mode", test_fbdev_memory_mode },
	{ "mmap_write_is_deferred", test_mmap_write_is_deferred },
	{ "fsync_flushes_at_once", test_fsync_flushes_at_once },
	{ "fsync_other_descriptor", test_fsync_other_descriptor },
	{ "fork_child_writes", test_fork_child_writes },
	{ "rewrite_shows_latest", test_rewrite_shows_latest },
	{ "scattered_pages_exact", test_scattered_pages_exact },
	{ "each_page_alone_reaches_screen", test_each_page_alone_reaches_screen },
	{ "damage_is_the_written_rows", test_damage_is_the_written_rows,
	  "virtio" },
	{ "second_node_both_mapped", test_second_node_both_mapped },
	{ "mprotect_keeps_tracking", test_mprotect_keeps_tracking },
	{ "viewer_before_writer", test_viewer_before_writer },
	{ "viewer_after_writer", test_viewer_after_writer },
	{ "private_before_writer", test_private_before_writer },
	{ "write_and_pwrite", test_write_and_pwrite },
	{ "pan_keeps_tracking", test_pan_keeps_tracking },
	{ "mode_change_keeps_tracking", test_mode_change_keeps_tracking },
	/* last: it replaces the framebuffer */
	{ "rebind_after_mapping", test_rebind_after_mapping },
};

int main(int argc, char **argv)
{
	static const struct fbtest_suite suite = {
		.tests = tests,
		.ntests = sizeof(tests) / sizeof(tests[0]),
		.cur = &cur,
		.fb = &fb,
		.option = option,
	};

	return fbtest_main(argc, argv, &suite);
}
