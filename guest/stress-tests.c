// SPDX-License-Identifier: GPL-2.0
/*
 * Reliability tests for fbdev deferred I/O, meant for the debug kernel
 * (KASAN, lockdep, list debugging): the host fails the boot on any report
 * on the console, so these tests mostly assert that things keep working,
 * and the kernel says whether they were done safely.
 *
 *   stress-tests [TEST...]    run the named tests (all when none), KTAP out
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kd.h>

#include "fb.h"

#define DEADLINE_MS	10000	/* debug kernels copy slowly */
#define STRESS_MS	4000
#define PAGE		4096

static struct fb fb;
static const char *cur;
static char why[256];

/* Draw @s through the main mapping and wait until the screen shows it. */
static int draw_and_see(struct scene *s)
{
	fb_draw(&fb, s);
	return oracle_wait(&fb, s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0;
}

static void scene_bands(struct scene *s, uint32_t bg, uint32_t fg, int n)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->bg = bg;
	for (i = 0; i < n; i++)
		scene_add(s, 0, fb.var.yres * (2 * i + 1) / (2 * n + 1),
			  fb.var.xres, fb.var.yres / (2 * n + 1), fg);
}

static void on_sigbus(int sig)
{
	(void)sig;
	_exit(7);
}

/* Writes one word into each of @npages pages from @first, round after round. */
static void writer(uint8_t *mem, size_t first, size_t npages, size_t stride,
		   uint32_t seed, double until)
{
	size_t i;

	while (now_ms() < until) {
		for (i = 0; i < npages; i++) {
			size_t off = (first + i * stride) * PAGE + (seed % 64) * 4;

			*(volatile uint32_t *)(mem + off) = seed;
			seed++;
		}
	}
}

static int wait_children(pid_t *pids, int n, int *bad_status)
{
	int i, bad = 0, st;

	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			*bad_status = st;
			bad++;
		}
	}
	return bad;
}

/*
 * Many processes at once on one framebuffer: children that inherit the
 * mapping write overlapping and disjoint pages, one calls fsync(), one maps
 * and unmaps again and again, one opens and closes the device. Afterwards
 * a known pattern must be exactly what the screen shows.
 */
static int test_stress_many_processes(void)
{
	size_t npages = fb.len / PAGE;
	double until = now_ms() + STRESS_MS;
	pid_t pids[7];
	int n = 0, i, bad, st = 0;
	struct scene s;
	char detail[64];

	for (i = 0; i < 4; i++) {	/* 0,1 overlap; 2,3 disjoint halves */
		pid_t p = fork();

		if (p == 0) {
			if (i < 2)
				writer(fb.mem, 0, npages / 2, 1, i * 1000, until);
			else if (i == 2)
				writer(fb.mem, npages / 2, npages / 4, 1, 7, until);
			else
				writer(fb.mem, 1, npages / 8, 8, 11, until);
			_exit(0);
		}
		pids[n++] = p;
	}
	if ((pids[n++] = fork()) == 0) {	/* fsync */
		while (now_ms() < until)
			if (fsync(fb.fd))
				_exit(1);
		_exit(0);
	}
	if ((pids[n++] = fork()) == 0) {	/* map, write, unmap */
		while (now_ms() < until) {
			uint8_t *m = mmap(NULL, fb.len, PROT_READ | PROT_WRITE,
					  MAP_SHARED, fb.fd, 0);

			if (m == MAP_FAILED)
				_exit(1);
			writer(m, npages / 3, 16, 1, 3, now_ms() + 5);
			munmap(m, fb.len);
		}
		_exit(0);
	}
	if ((pids[n++] = fork()) == 0) {	/* open, map, write, close */
		while (now_ms() < until) {
			int fd = open("/dev/fb0", O_RDWR);
			uint8_t *m;

			if (fd < 0)
				_exit(1);
			m = mmap(NULL, fb.len, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			close(fd);	/* the mapping outlives the file */
			if (m == MAP_FAILED)
				_exit(1);
			writer(m, npages - 32, 32, 1, 5, now_ms() + 5);
			munmap(m, fb.len);
		}
		_exit(0);
	}
	bad = wait_children(pids, n, &st);
	if (bad) {
		snprintf(detail, sizeof(detail), "%d (last status 0x%x)", bad, st);
		return fail("children failed: %s", detail);
	}
	scene_bands(&s, 0x0000ff, 0xffff00, 3);
	if (draw_and_see(&s))
		return fail("final pattern not on screen: %s", why);
	return pass();
}

/* Two opens, one closed while the other keeps writing. */
static int test_two_opens_one_closed(void)
{
	int fd2 = open("/dev/fb0", O_RDWR);
	struct scene s;
	uint8_t *m;

	if (fd2 < 0)
		return fail("second open: %s", strerror(errno));
	m = mmap(NULL, fb.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	close(fd2);
	if (m == MAP_FAILED)
		return fail("mmap: %s", strerror(errno));
	scene_bands(&s, 0x000000, 0x00ff00, 2);
	{
		struct fb other = fb;	/* draw through the second mapping */

		other.mem = m;
		fb_draw(&other, &s);
	}
	if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0) {
		munmap(m, fb.len);
		return fail("writes through the remaining open: %s", why);
	}
	munmap(m, fb.len);
	return pass();
}

/* Write, then munmap and close before the delay expires. */
static int test_close_with_dirty_pages(void)
{
	int fd = open("/dev/fb0", O_RDWR);
	struct fb other = fb;
	struct scene s;

	if (fd < 0)
		return fail("open: %s", strerror(errno));
	other.mem = mmap(NULL, fb.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (other.mem == MAP_FAILED)
		return fail("mmap: %s", strerror(errno));
	scene_bands(&s, 0xff0000, 0x000000, 4);
	fb_draw(&other, &s);
	munmap(other.mem, fb.len);
	close(fd);
	if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("write before close not on screen: %s", why);
	return pass();
}

/* Run @fn in a child; returns its wait status. */
static int in_child(void (*fn)(void))
{
	pid_t p = fork();
	int st = 0;

	if (p == 0) {
		fn();
		_exit(0);
	}
	waitpid(p, &st, 0);
	return st;
}

static void touch_past_end(void)
{
	uint8_t *m = mmap(NULL, fb.len + 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, fb.fd, 0);

	if (m == MAP_FAILED)
		_exit(3);	/* refusing the mapping is fine too */
	m[fb.len + PAGE] = 1;
	_exit(0);		/* no SIGBUS: wrong */
}

/*
 * Bad input: access past the end of the framebuffer through a larger
 * mapping gets SIGBUS; nonsense ioctls and reads/writes past the end get
 * errors (a read at the end reads nothing); the screen stays intact.
 */
static int test_bad_input_refused(void)
{
	struct fb_var_screeninfo var = fb.var;
	struct fb_cmap cmap = { 0, 100000, NULL, NULL, NULL, NULL };
	struct scene s;
	char buf[16], detail[64];
	int st;

	scene_bands(&s, 0x00ffff, 0xff00ff, 2);
	if (draw_and_see(&s))
		return fail("pattern not on screen: %s", why);

	st = in_child(touch_past_end);
	if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS) &&
	    !(WIFEXITED(st) && WEXITSTATUS(st) == 3)) {
		snprintf(detail, sizeof(detail), "status 0x%x", st);
		return fail("access past the end: no SIGBUS, %s", detail);
	}
	diag("access past the end: %s", WIFSIGNALED(st) ? "SIGBUS" :
	     "larger mapping refused");
	var.bits_per_pixel = 3;
	var.xres = 0;
	if (ioctl(fb.fd, FBIOPUT_VSCREENINFO, &var) == 0)
		return fail("FBIOPUT_VSCREENINFO with xres 0, 3 bpp: %s", "accepted");
	var = fb.var;
	var.yoffset = 1u << 30;
	if (ioctl(fb.fd, FBIOPAN_DISPLAY, &var) == 0)
		return fail("FBIOPAN_DISPLAY to yoffset 2^30: %s", "accepted");
	if (ioctl(fb.fd, FBIOPUTCMAP, &cmap) == 0)
		return fail("FBIOPUTCMAP of 100000 NULL entries: %s", "accepted");
	if (ioctl(fb.fd, _IO('F', 0x7f), 0) == 0)
		return fail("unknown ioctl: %s", "accepted");
	if (pwrite(fb.fd, "x", 1, fb.len) >= 0)
		return fail("pwrite at the end: %s", "accepted");
	if (pwrite(fb.fd, "x", 1, (off_t)fb.len + PAGE) >= 0)
		return fail("pwrite past the end: %s", "accepted");
	if (pread(fb.fd, buf, sizeof(buf), fb.len) != 0)
		return fail("pread at the end: %s", "returned data");
	if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("screen changed by refused input: %s", why);
	return pass();
}

#define VGPU "/sys/bus/virtio/drivers/virtio_gpu"

/* The name of the device virtio-gpu is bound to, e.g. "virtio0". */
static int virtio_gpu_device(char *dev, size_t len)
{
	FILE *ls = popen("ls " VGPU " | grep '^virtio'", "r");
	int err = !ls || !fgets(dev, len, ls);

	if (ls)
		pclose(ls);
	dev[strcspn(dev, "\n")] = 0;
	return err;
}

/*
 * Unbind the virtio-gpu driver while a process has the framebuffer mapped
 * and writes to it: the process may get SIGBUS or keep writing to memory
 * that is still valid; the kernel must not touch freed memory (KASAN
 * says). Rebind, and the new /dev/fb0 works.
 */
static int test_unbind_while_mapped(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	struct scene s;
	char dev[64] = "";
	pid_t p;
	int st, err;

	if (virtio_gpu_device(dev, sizeof(dev)))
		return fail("no virtio-gpu device under %s", VGPU);
	p = fork();
	if (p == 0) {
		sigaction(SIGBUS, &sa, NULL);
		writer(fb.mem, 0, fb.len / PAGE, 1, 1, now_ms() + 3000);
		_exit(0);
	}
	sleep_ms(300);
	err = sysfs_write(VGPU "/unbind", dev);
	if (err) {
		kill(p, SIGKILL);
		waitpid(p, &st, 0);
		return fail("unbind: %s", strerror(-err));
	}
	waitpid(p, &st, 0);
	if (!(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 7)))
		return fail("writer died: %s", "not by exit or SIGBUS");
	diag("writer after unbind: %s", WEXITSTATUS(st) == 7 ? "SIGBUS" : "kept writing");
	fb_close(&fb);		/* drop the old framebuffer */

	err = sysfs_write(VGPU "/bind", dev);
	if (err)
		return fail("bind: %s", strerror(-err));
	err = fb_wait_open(&fb, "/dev/fb0", DEADLINE_MS);
	if (err)
		return fail("no /dev/fb0 after rebind: %s", strerror(-err));
	scene_bands(&s, 0xffffff, 0xff0000, 3);
	if (draw_and_see(&s))
		return fail("new /dev/fb0 not on screen: %s", why);
	return pass();
}

#define FAILFN "/sys/kernel/debug/fail_function/"

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* The kernel log from now on: /dev/kmsg at its end (non-destructive). */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Whether a record logged since kmsg_open() contains @what: 1, 0, or
 * -errno when the log cannot be read. Closes @fd.
 */
static int kmsg_find(int fd, const char *what)
{
	char rec[2048];
	ssize_t n;
	int found = 0;

	if (fd < 0)
		return -ENOENT;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, what))
			found = 1;
	}
	close(fd);
	return found;
}

#define DRM_SETUP_FAILED "Failed to setup generic emulation (ret=-12)"

/*
 * Bind virtio-gpu (unbound) with the pageref allocation failing once:
 * fail_function makes exactly one call of the allocation (made
 * injectable by the test-only patch, as a function that returns NULL on
 * failure) return NULL. DRM's fbdev setup must fail with -ENOMEM, say
 * so, and leave no /dev/fb0 (the DRM driver itself stays bound). 0, or 1
 * with the reason in @msg; then virtio-gpu may be bound or not.
 */
static int bind_with_failing_pagerefs(const char *dev, char *msg, size_t len)
{
	static const char *const setup[][2] = {
		{ FAILFN "inject", "fb_deferred_io_alloc_pagerefs" },
		/* it returns the pagerefs: NULL is its failure */
		{ FAILFN "fb_deferred_io_alloc_pagerefs/retval", "0" },
		{ FAILFN "probability", "100" },
		{ FAILFN "interval", "1" },
		{ FAILFN "times", "1" },
		{ FAILFN "verbose", "0" },
	};
	char buf[512];
	unsigned int i;
	int err, kmsg, logged;

	if (access(FAILFN "inject", W_OK)) {
		snprintf(msg, len, "no fail_function in debugfs: not the debug kernel?");
		return 1;
	}
	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		err = sysfs_write(setup[i][0], setup[i][1]);
		if (err) {
			snprintf(msg, len, "setting up fail_function: writing %s to %s: %s",
				 setup[i][1], setup[i][0], strerror(-err));
			sysfs_write(FAILFN "inject", "!fb_deferred_io_alloc_pagerefs");
			return 1;
		}
	}
	/* host/klog.py: DRM's *ERROR* line is this test's doing */
	diag("expect kernel log: %s", DRM_SETUP_FAILED);
	kmsg = kmsg_open();
	if ((err = sysfs_write_bounded(VGPU, "bind", dev, UNBIND_MS))) {
		if (kmsg >= 0)
			close(kmsg);
		sysfs_write(FAILFN "inject", "!fb_deferred_io_alloc_pagerefs");
		snprintf(msg, len, "bind with the failing allocation: %s",
			 bounded_strerror(err));
		return 1;
	}
	sleep_ms(1000);
	read_file(FAILFN "times", buf, sizeof(buf));
	sysfs_write(FAILFN "inject", "!fb_deferred_io_alloc_pagerefs");
	logged = kmsg_find(kmsg, DRM_SETUP_FAILED);
	if (atoi(buf) != 0)
		snprintf(msg, len, "the allocation was never called (times %s)", buf);
	else if (access("/dev/fb0", F_OK) == 0)
		snprintf(msg, len, "/dev/fb0 exists although its setup failed: error ignored?");
	else if (logged < 0)
		snprintf(msg, len, "cannot read the kernel log: %s", strerror(-logged));
	else if (!logged)
		snprintf(msg, len, "DRM did not log \"%s\" after the failed probe",
			 DRM_SETUP_FAILED);
	else
		return 0;
	return 1;
}

/*
 * The pageref allocation fails at probe: DRM's fbdev setup gives up
 * without a kernel report (KASAN would see a double free or a use of what
 * the unwinding freed), and the next probe works.
 */
static int test_probe_without_memory(void)
{
	char dev[64] = "", msg[600];
	struct scene s;
	int err;

	if (virtio_gpu_device(dev, sizeof(dev)))
		return fail("no virtio-gpu device under %s", VGPU);
	if (access(FAILFN "inject", W_OK))
		return fail("no fail_function in debugfs: %s",
			    "not the debug kernel?");
	fb_close(&fb);
	if ((err = sysfs_write(VGPU "/unbind", dev)))
		return fail("unbind: %s", strerror(-err));
	if (bind_with_failing_pagerefs(dev, msg, sizeof(msg)))
		return fail("%s", msg);
	diag("DRM logged \"%s\"", DRM_SETUP_FAILED);
	if ((err = sysfs_write(VGPU "/unbind", dev)) ||
	    (err = sysfs_write(VGPU "/bind", dev)))
		return fail("unbind/bind after the failure: %s", strerror(-err));
	if ((err = fb_wait_open(&fb, "/dev/fb0", DEADLINE_MS)))
		return fail("no /dev/fb0 on the next probe: %s", strerror(-err));
	scene_bands(&s, 0x00ff00, 0x0000ff, 2);
	if (draw_and_see(&s))
		return fail("new /dev/fb0 not on screen: %s", why);
	return pass();
}

/*
 * The soak: cycle after cycle, two opens of /dev/fb0, both mapped, and a
 * forked writer pinned to the second CPU that writes through both
 * mappings until the parent says that the unbind of virtio-gpu returned,
 * and SOAK_AFTER_MS after that, through the flushes of those writes: the
 * files and mappings keep DRM's fbdev (and its deferred I/O) until the
 * last of them goes, so the writes may land, or get SIGBUS; they are
 * counted, and the kernel must stay quiet. With --failed-probe, a probe
 * whose pageref allocation fails comes next. Then a bind, and the new
 * /dev/fb0 must show a scene. After the second cycle and after the
 * last, caches dropped, MemFree, Shmem, VmallocUsed, the system's inode
 * count and, where the debug kernel counts them, the framebuffers' own
 * inodes are read: what one cycle leaks grows between the two. make
 * check runs a few cycles; make soak runs 50 (--cycles=N). --fb-inodes:
 * the kernel must count those inodes (5.10's test-only hook).
 */
static unsigned int soak_cycles = 6;
static int soak_failed_probe, soak_fb_inodes;

struct levels {
	unsigned long long memfree, shmem, vmalloc;	/* kB */
	long long inodes;
	long long fb_inodes;	/* -1: no debugfs fb_defio_inodes */
};

/* the debug kernels' test-only count of the framebuffers' own inodes */
#define FB_INODES "/sys/kernel/debug/fb_defio_inodes"

static int read_levels(struct levels *l, char *msg, size_t len)
{
	FILE *f;
	int err, n;

	sync();
	sleep_ms(1000);		/* exited tasks' stacks, RCU-freed objects */
	if ((err = sysfs_write("/proc/sys/vm/drop_caches", "3"))) {
		snprintf(msg, len, "drop_caches: %s", strerror(-err));
		return 1;
	}
	if (meminfo_kb("MemFree", &l->memfree) || meminfo_kb("Shmem", &l->shmem) ||
	    meminfo_kb("VmallocUsed", &l->vmalloc)) {
		snprintf(msg, len, "/proc/meminfo: no MemFree, Shmem or VmallocUsed");
		return 1;
	}
	f = fopen("/proc/sys/fs/inode-nr", "r");
	n = f ? fscanf(f, "%lld", &l->inodes) : 0;
	if (f)
		fclose(f);
	if (n != 1) {
		snprintf(msg, len, "/proc/sys/fs/inode-nr: unreadable");
		return 1;
	}
	l->fb_inodes = -1;
	f = fopen(FB_INODES, "r");
	if (!f)
		return 0;
	n = fscanf(f, "%lld", &l->fb_inodes);
	fclose(f);
	if (n != 1) {
		snprintf(msg, len, "%s: unreadable", FB_INODES);
		return 1;
	}
	return 0;
}

#define SOAK_AFTER_MS	150	/* three flush periods of DRM's fbdev */

struct soak_shared {
	volatile int unbound;		/* the parent: the unbind returned */
	volatile unsigned long before, after;	/* writes that landed */
};

static void soak_writer(struct soak_shared *sh, uint8_t *const m[2],
			size_t npages)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	cpu_set_t set;
	double until;
	size_t i;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(3);
	sigaction(SIGBUS, &sa, NULL);
	for (i = 0; !sh->unbound; i++) {
		*(volatile uint32_t *)(m[i & 1] + ((i >> 1) % npages) * PAGE) = i;
		sh->before++;
	}
	/* through the flushes of the writes after it, on a device gone */
	until = now_ms() + SOAK_AFTER_MS;
	for (i = 0; now_ms() < until; i++) {
		*(volatile uint32_t *)(m[i & 1] + ((i >> 1) % npages) * PAGE) = i;
		sh->after++;
	}
	_exit(0);
}

/* "exit N", "signal N": what a wait status says */
static const char *status_str(int st)
{
	static char buf[32];

	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "signal %d", WTERMSIG(st));
	else
		snprintf(buf, sizeof(buf), "status %#x", st);
	return buf;
}

/*
 * After a failed cycle: virtio-gpu bound and the suite's /dev/fb0 open and
 * mapped again, as far as that goes, so that the tests after this one run
 * on a framebuffer (their own failures then say what is wrong).
 */
static void soak_restore(const char *dev)
{
	if (fb.mem)
		return;
	sysfs_write_bounded(VGPU, "bind", dev, UNBIND_MS);
	if (fb_wait_open(&fb, "/dev/fb0", DEADLINE_MS))
		diag("after the failed cycle: no /dev/fb0 for the tests that follow");
}

/* One cycle of the soak; 0, or 1 with the reason in @msg. */
static int soak_cycle(const char *dev, unsigned int cycle,
		      struct soak_shared *sh, int *sigbus, char *msg, size_t len)
{
	size_t npages = fb.len / PAGE;
	uint8_t *m[2] = { fb.mem, NULL };
	struct scene s;
	int fd2, err, st = 0;
	pid_t p, r;

	fd2 = open("/dev/fb0", O_RDWR);
	if (fd2 < 0) {
		snprintf(msg, len, "second open: %s", strerror(errno));
		return 1;
	}
	m[1] = mmap(NULL, fb.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	if (m[1] == MAP_FAILED) {
		snprintf(msg, len, "second mmap: %s", strerror(errno));
		close(fd2);
		return 1;
	}
	memset((void *)sh, 0, sizeof(*sh));
	p = fork();
	if (p == 0)
		soak_writer(sh, m, npages);
	if (p < 0) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		munmap(m[1], fb.len);
		close(fd2);
		return 1;
	}
	sleep_ms(200);		/* a few flushes under the writer */
	err = sysfs_write_bounded(VGPU, "unbind", dev, UNBIND_MS);
	sh->unbound = 1;
	r = wait_bounded(p, &st, DEADLINE_MS);
	if (r == 0) {
		diag_task(p);
		kill(p, SIGKILL);
		/* a writer stuck in the kernel is left there */
		r = wait_bounded(p, &st, 1000);
	}
	munmap(m[1], fb.len);
	close(fd2);
	fb_close(&fb);
	if (err) {
		snprintf(msg, len, "unbind: %s", bounded_strerror(err));
		return 1;
	}
	if (r != p) {
		snprintf(msg, len, "the writer did not end within %d ms of the unbind (where it was: above)",
			 DEADLINE_MS);
		return 1;
	}
	if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 7)) {
		snprintf(msg, len, "the writer ended with %s, want exit 0 or SIGBUS (exit 3: it could not be pinned to the second CPU)",
			 status_str(st));
		return 1;
	}
	*sigbus = WEXITSTATUS(st) == 7;
	if (soak_failed_probe) {
		if (bind_with_failing_pagerefs(dev, msg, len))
			return 1;
		if ((err = sysfs_write_bounded(VGPU, "unbind", dev, UNBIND_MS))) {
			snprintf(msg, len, "unbind after the failed probe: %s",
				 bounded_strerror(err));
			return 1;
		}
	}
	if ((err = sysfs_write_bounded(VGPU, "bind", dev, UNBIND_MS))) {
		snprintf(msg, len, "bind: %s", bounded_strerror(err));
		return 1;
	}
	if ((err = fb_wait_open(&fb, "/dev/fb0", DEADLINE_MS))) {
		snprintf(msg, len, "no /dev/fb0 after the bind: %s", strerror(-err));
		return 1;
	}
	/* a colour of its own each cycle: a stale screen cannot pass */
	scene_bands(&s, colours[cycle % NCOLOURS], colours[(cycle + 3) % NCOLOURS], 2);
	if (draw_and_see(&s)) {
		snprintf(msg, len, "the new /dev/fb0 is not on screen: %s", why);
		return 1;
	}
	return 0;
}

/* What may grow between the second cycle and the last, and did. */
static int drifted(const char *what, long long grew, long long bound,
		   const char *unit, char *msg, size_t len)
{
	diag("%s by %lld %s (bound %lld)", what, grew, unit, bound);
	if (grew <= bound)
		return 0;
	snprintf(msg, len, "%s by %lld %s between the second cycle and the last (bound %lld): something is left behind by every cycle",
		 what, grew, unit, bound);
	return 1;
}

static int test_unbind_cycles_no_drift(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct soak_shared *sh;
	struct levels warm = { 0 }, end = { 0 };
	unsigned int sigbuses = 0;
	int sigbus;
	unsigned long long fb_kb = fb.len / 1024;
	char dev[64] = "", msg[600] = "";
	unsigned int c, measured;
	int bad = 0;

	if (ncpu < 2)
		return fail("%ld CPU online: the writer runs on the second one (a debug kernel with SMP, QEMU -smp 2)",
			    ncpu);
	if (soak_cycles < 4)
		return fail("--cycles=%u: want 4 or more (two to warm up, two to compare)",
			    soak_cycles);
	if (virtio_gpu_device(dev, sizeof(dev)))
		return fail("no virtio-gpu device under %s", VGPU);
	if (soak_fb_inodes && access(FB_INODES, R_OK))
		return fail("--fb-inodes: no %s (%s): not the debug kernel, or its test-only hook is missing?",
			    FB_INODES, strerror(errno));
	if (soak_failed_probe && access(FAILFN "inject", W_OK))
		return fail("--failed-probe: no fail_function in debugfs (%s): not the debug kernel?",
			    strerror(errno));
	sh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (sh == MAP_FAILED)
		return fail("mmap of the shared page: %s", strerror(errno));
	for (c = 0; c < soak_cycles; c++) {
		if (soak_cycle(dev, c, sh, &sigbus, msg, sizeof(msg))) {
			bad = 1;
			break;
		}
		diag("cycle %u: %lu writes before the unbind returned, %lu after, then %s",
		     c + 1, sh->before, sh->after, sigbus ? "SIGBUS" :
		     "the writer stopped (no fault refused)");
		sigbuses += sigbus;
		if (c == 1 && read_levels(&warm, msg, sizeof(msg))) {
			bad = 1;
			break;
		}
	}
	munmap(sh, PAGE);
	if (bad) {
		soak_restore(dev);
		return fail("cycle %u of %u: %s", c + 1, soak_cycles, msg);
	}
	measured = soak_cycles - 2;
	diag("%u cycles%s; the writer got SIGBUS after %u of the unbinds",
	     soak_cycles, soak_failed_probe ? ", each with a failed probe" : "",
	     sigbuses);
	if (read_levels(&end, msg, sizeof(msg)))
		return fail("%s", msg);
	/*
	 * The bounds: half a framebuffer for Shmem (a GEM buffer left
	 * behind) and VmallocUsed (a shadow buffer); for the system's
	 * inode count, one inode every two cycles, a coarse bound (the
	 * count moves by a few inodes a cycle with nothing leaked); none
	 * for the framebuffers' own inodes where the debug kernel counts
	 * them (FB_INODES): each cycle ends with one framebuffer bound, as
	 * the second did; and for MemFree, which KASAN's quarantine and
	 * the slab caches move by tens of MB, half a framebuffer per cycle
	 * measured plus 48 MB. Each drift is printed; the message is of
	 * the last one.
	 */
	bad = drifted("Shmem grew", (long long)end.shmem - (long long)warm.shmem,
		      fb_kb / 2, "kB", msg, sizeof(msg));
	bad |= drifted("VmallocUsed grew", (long long)end.vmalloc - (long long)warm.vmalloc,
		       fb_kb / 2, "kB", msg, sizeof(msg));
	bad |= drifted("the inode count grew", end.inodes - warm.inodes, measured / 2,
		       "inodes", msg, sizeof(msg));
	if (warm.fb_inodes >= 0 && end.fb_inodes >= 0) {
		diag("%s: %lld after the second cycle, %lld after the last",
		     FB_INODES, warm.fb_inodes, end.fb_inodes);
		bad |= drifted("the framebuffers' own inodes (" FB_INODES ") grew",
			       end.fb_inodes - warm.fb_inodes, 0, "inodes", msg,
			       sizeof(msg));
	} else {
		diag("%s: not there (no --fb-inodes: a base without the hook); the system's inode count alone",
		     FB_INODES);
	}
	bad |= drifted("MemFree shrank", (long long)warm.memfree - (long long)end.memfree,
		       measured * fb_kb / 2 + 48 * 1024, "kB", msg, sizeof(msg));
	if (bad)
		return fail("%s", msg);
	return pass();
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

/* Code of the series and of the drivers it touches, as backtraces name it. */
static const char *const ours[] = {
	"fb_deferred_io", "fb_defio", "framebuffer_alloc", "drm_fb_helper",
	"drm_fbdev", "drm_client", "drm_gem", "virtio_gpu", "bochs", "cirrus",
};

/*
 * The first frame of the backtrace of one kmemleak entry: the line after
 * "  backtrace:" (5.10) or "  backtrace (crc 1234abcd):" (6.x); NULL if
 * the entry has none.
 */
static const char *backtrace_of(const char *entry, const char *end)
{
	const char *bt = strstr(entry, "  backtrace");

	if (!bt || bt >= end)
		return NULL;
	bt = memchr(bt, '\n', end - bt);
	return bt ? bt + 1 : NULL;
}

/* Whether the backtrace of one kmemleak entry names our code. */
static int entry_is_ours(const char *entry, const char *end)
{
	const char *bt = backtrace_of(entry, end);
	unsigned int i;

	if (!bt)
		return 0;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		const char *p = strstr(bt, ours[i]);

		if (p && p < end)
			return 1;
	}
	return 0;
}

/* Print an entry as diagnostics, without kmemleak's own header words. */
static void print_entry(const char *entry, const char *end)
{
	const char *line = entry;

	while (line < end) {
		const char *nl = memchr(line, '\n', end - line);
		int len = nl ? nl - line : end - line;

		if (!strncmp(line, "unreferenced object", 19))
			diag("  leaked%.*s", len - 12, line + 12);
		else
			diag("  %.*s", len, line);
		line += len + 1;
	}
}

/* The whole of a (debugfs) file into a malloc()ed string, or NULL. */
static char *slurp(const char *path)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *more = realloc(buf, cap *= 2);

			if (!more) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = more;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/*
 * One line for a leak of other code from the boot: its first two frames,
 * "    [<00000000c0ffee00>] kmem_cache_alloc+0x1a0/0x2f0" (5.10) or
 * "    kmem_cache_alloc_noprof+0x1a0/0x2f0" (6.x) without the offsets.
 */
static void print_unrelated(const char *entry, const char *end)
{
	const char *line = backtrace_of(entry, end), *f[2] = { "?", "?" };
	int lens[2] = { 1, 1 }, i;

	for (i = 0; line && line < end && i < 2; i++) {
		const char *nl = memchr(line, '\n', end - line);
		const char *sym = line + strspn(line, " ");

		if (!strncmp(sym, "[<", 2)) {
			sym = strstr(sym, "] ");
			if (!sym || sym >= end)
				break;
			sym += 2;
		}
		f[i] = sym;
		lens[i] = strcspn(sym, "+\n");
		line = nl ? nl + 1 : NULL;
	}
	diag("  other code's leak from before the tests: %.*s <- %.*s", lens[0], f[0], lens[1], f[1]);
}

/* The jiffies when the tests began (setup()); 0 when they are unknown. */
static unsigned long long start_jiffies;

/* Whether a kmemleak entry's object was allocated after the tests began. */
static int entry_is_new(const char *entry, const char *end)
{
	const char *j = strstr(entry, "jiffies ");

	return j && j < end && strtoull(j + 8, NULL, 10) >= start_jiffies;
}

/*
 * The entries of a kmemleak report that fail the test: every object
 * allocated after the tests began, whoever allocated it, and every object
 * whose backtrace names the series or its drivers, whenever it was
 * allocated (the state made at boot, leaked by an unbind during the
 * tests). Their number; the first three are printed. *@total counts all
 * entries, the boot's own leaks of other code included.
 */
static int judge_leaks(const char *report, int *total, int *shown)
{
	const char *e, *next, *end;
	int offending = 0;

	*total = *shown = 0;
	for (e = strstr(report, "unreferenced object"); e; e = next) {
		next = strstr(e + 1, "unreferenced object");
		end = next ? next : e + strlen(e);
		++*total;
		if (!entry_is_new(e, end) && !entry_is_ours(e, end)) {
			if (*total - offending <= 5)
				print_unrelated(e, end);
			continue;
		}
		if (offending++ < 3) {
			diag("leak %d, %s, %s:", offending,
			     entry_is_new(e, end) ? "allocated during the tests" :
			     "allocated before the tests",
			     entry_is_ours(e, end) ?
			     "naming the series or its drivers" : "by other code");
			print_entry(e, end);
			++*shown;
		}
	}
	return offending;
}

/*
 * kmemleak (built in, and on: kmemleak=on) finds no object leaked during
 * the tests, whoever allocated it, and none of the series or its
 * drivers, after everything above: unbind and rebind, the failed probe,
 * the opens and the forks; the suite's own /dev/fb0 is closed first.
 * Objects younger than 5 s are not reported and an object must be found
 * unreferenced by a scan after that, so: wait, scan, scan again, read
 * the report. Other code's leaks from before the tests (the boot's) are
 * listed but do not fail.
 */
static int test_kmemleak_clean(void)
{
	int total, offending, shown, err;
	char *report;

	if (access(KMEMLEAK, F_OK))
		return fail("no %s: not a kmemleak kernel (CONFIG_DEBUG_KMEMLEAK), or debugfs missing",
			    KMEMLEAK);
	if (!start_jiffies)
		return fail("the jiffies when the tests began are unknown: %s",
			    kernel_hz_error());
	/* what the suite itself holds is not a leak */
	fb_close(&fb);
	sleep_ms(6000);
	if ((err = sysfs_write(KMEMLEAK, "scan")))
		return fail("writing scan to " KMEMLEAK ": %s (kmemleak off: booted without kmemleak=on, or it turned itself off, see the log)",
			    strerror(-err));
	sleep_ms(1000);
	if ((err = sysfs_write(KMEMLEAK, "scan")))
		return fail("writing scan to " KMEMLEAK " again: %s",
			    strerror(-err));
	report = slurp(KMEMLEAK);
	if (!report)
		return fail("reading " KMEMLEAK ": %s", strerror(errno));
	offending = judge_leaks(report, &total, &shown);
	free(report);
	diag("kmemleak: %d unreferenced objects, %d of them allocated during the tests (after jiffies %llu)",
	     total, offending, start_jiffies);
	if (offending) {
		char detail[96];

		snprintf(detail, sizeof(detail), "%d of %d unreferenced objects (first %d above)",
			 offending, total, shown);
		return fail("kmemleak: objects leaked during the tests, or by the series or its drivers (want none): %s",
			    detail);
	}
	return pass();
}

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HUGE_SIZE (2UL << 20)

/*
 * shmem's transparent huge pages forced on (shmem_enabled=force), so that
 * virtio-gpu's GEM buffer, made anew by an unbind and bind, is made of
 * huge pages. /dev/fb0 is then mapped at a 2 MB-aligned address, where
 * the fault path could map a huge page with one PMD: writable after one
 * page_mkwrite, the rest of its 2 MB untracked. Pages inside the first
 * 2 MB and beyond are written one per flush, each checked on screen.
 * Either fbdev maps such a buffer page by page or it uses a shadow (DRM
 * says so in the log); both must show every write.
 */
static int test_huge_pages_tracked(void)
{
	static const size_t pages[] = { 0, 1, 255, 511, 512, 700 };
	char dev[64] = "", mode[32];
	struct fb h;
	struct scene s;
	uint8_t *area, *at;
	unsigned long long huge_kb = 0;
	unsigned int i;
	int err, kmsg, shadowed, r = 1;

	if (access(SHMEM_ENABLED, W_OK))
		return fail("%s: %s (a kernel without CONFIG_TRANSPARENT_HUGEPAGE?)",
			    SHMEM_ENABLED, strerror(errno));
	if (virtio_gpu_device(dev, sizeof(dev)))
		return fail("no virtio-gpu device under %s", VGPU);
	if ((err = sysfs_write(SHMEM_ENABLED, "force")))
		return fail("shmem_enabled=force: %s", strerror(-err));
	kmsg = kmsg_open();
	fb_close(&fb);
	if ((err = sysfs_write(VGPU "/unbind", dev)) ||
	    (err = sysfs_write(VGPU "/bind", dev))) {
		sysfs_write(SHMEM_ENABLED, "never");
		return fail("unbind/bind: %s", strerror(-err));
	}
	err = fb_wait_open(&fb, "/dev/fb0", DEADLINE_MS);
	sysfs_write(SHMEM_ENABLED, "never");
	if (err)
		return fail("no /dev/fb0 after rebind: %s", strerror(-err));
	if (meminfo_kb("ShmemHugePages", &huge_kb) || !huge_kb)
		return fail("ShmemHugePages %llu kB (or no such line) with shmem_enabled=force: the GEM buffer has no huge page, the test would prove nothing",
			    huge_kb);
	shadowed = kmsg_find(kmsg, "GEM buffer is made of huge pages");
	snprintf(mode, sizeof(mode), "%s", shadowed > 0 ? "shadow" : "direct");
	diag("ShmemHugePages %llu kB; fbdev %s", huge_kb,
	     shadowed > 0 ? "refused the huge pages and uses a shadow" :
			    "maps the GEM buffer");
	if (fb.len < 701 * PAGE)
		return fail("framebuffer of %zu bytes: too small for the pages written", fb.len);

	/* a 2 MB-aligned address for the mapping */
	area = mmap(NULL, fb.len + HUGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return fail("reserve: %s", strerror(errno));
	at = (uint8_t *)(((uintptr_t)area + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	h = fb;
	h.mem = mmap(at, fb.len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		     fb.fd, 0);
	if (h.mem == MAP_FAILED) {
		fail("mmap at %p: %s", (void *)at, strerror(errno));
		goto out;
	}
	scene_bands(&s, 0x000000, 0x0000ff, 1);
	if (draw_and_see(&s)) {
		fail("could not draw the first scene: %s", why);
		goto out;
	}
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		uint32_t c = colours[i % NCOLOURS];
		size_t off = pages[i] * PAGE;
		double t0 = now_ms();

		fb_fill_bytes(&h, off, PAGE, c);
		scene_add_bytes(&s, &h, off, PAGE, c);
		if (fsync(h.fd)) {
			fail("fsync: %s", strerror(errno));
			goto out;
		}
		if (oracle_wait(&fb, &s, t0, DEADLINE_MS, why, sizeof(why)) < 0) {
			fail("page %zu (write %u, %s, mapping 2 MB-aligned at %p) not on screen after %d ms: %s",
			     pages[i], i + 1, mode, (void *)h.mem, DEADLINE_MS, why);
			goto out;
		}
	}
	r = pass();
out:
	munmap(area, fb.len + HUGE_SIZE);
	return r;
}

/*
 * The flush write-protects the written PTEs and clears their dirty bits.
 * If the two were separate steps, a process that calls mprotect(PROT_READ)
 * and then mprotect(PROT_READ | PROT_WRITE) in between would get its
 * dirty, write-protected PTE made writable again without a fault
 * (mprotect does that for dirty PTEs of a write-notify mapping), and the
 * clean step would leave it writable and clean: untracked for good. Two
 * processes, one pinned to each CPU, write their own page and make that
 * round trip in a tight loop while the flush runs on either CPU. Then,
 * after the last flush, each writes a new colour once: only a write that
 * faults reaches the screen.
 */
#define RACE_ROUNDS	5
#define RACE_LOOP_MS	2000
#define RACE_QUIET_MS	300

static void race_child(int cpu, size_t page, uint32_t final, double until)
{
	uint32_t v = fb_pixel(&fb, 0x808080 ^ (cpu ? 0x00ff00 : 0xff0000));
	size_t off = page * PAGE;
	cpu_set_t set;
	unsigned long n = 0;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(3);
	while (now_ms() < until) {
		((volatile uint32_t *)(fb.mem + off))[n % (PAGE / 4)] = v;
		if (mprotect(fb.mem, fb.len, PROT_READ) ||
		    mprotect(fb.mem, fb.len, PROT_READ | PROT_WRITE))
			_exit(4);
		n++;
	}
	/* every flush of the loop is over: this write must fault */
	sleep_ms(until + RACE_QUIET_MS - now_ms());
	fb_fill_bytes(&fb, off, PAGE, final);
	_exit(0);
}

static int test_mprotect_race_with_flush(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t np = fb.len / PAGE, pages[2] = { np / 5, np * 2 / 5 };
	struct scene s;
	unsigned int round;
	int i, bad;

	if (ncpu < 2)
		return fail("%ld CPU online: the race needs two (a debug kernel with SMP, QEMU -smp 2)",
			    ncpu);
	scene_bands(&s, 0x000020, 0x202000, 2);
	if (draw_and_see(&s))
		return fail("could not draw the first scene: %s", why);
	for (round = 0; round < RACE_ROUNDS; round++) {
		double until = now_ms() + RACE_LOOP_MS;
		uint32_t c[2] = { colours[(2 * round) % NCOLOURS],
				  colours[(2 * round + 1) % NCOLOURS] };
		pid_t pids[2];

		for (i = 0; i < 2; i++) {
			pids[i] = fork();
			if (pids[i] == 0)
				race_child(i, pages[i], c[i], until);
			if (pids[i] < 0)
				return fail("fork: %s", strerror(errno));
		}
		if (wait_children(pids, 2, &bad))
			return fail("round %u: a writer exited with status %#x (3: affinity, 4: mprotect)",
				    round + 1, bad);
		for (i = 0; i < 2; i++)
			scene_add_bytes(&s, &fb, pages[i] * PAGE, PAGE, c[i]);
		if (fsync(fb.fd))
			return fail("fsync: %s", strerror(errno));
		if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
			return fail("round %u: the write after %d ms of mprotect round trips against the flush did not reach the screen (pages %zu and %zu): %s",
				    round + 1, RACE_LOOP_MS, pages[0], pages[1], why);
	}
	return pass();
}

/*
 * fbcon bound to the framebuffer that a program has mapped, as on a
 * machine without a display server. The program puts the VT in
 * KD_GRAPHICS, and fbcon leaves the screen to it: its writes reach the
 * screen exactly, also after a second of fbcon's cursor timer. Back in
 * KD_TEXT, fbcon draws the console over them (so it was bound, and the
 * screen it left alone was its own). Then fbcon is unbound, which ends
 * its use of the framebuffer, with the mapping still there: the
 * mapping's writes still reach the screen without fsync(). A kernel
 * without fbcon fails (the debug kernels build it).
 */
static int test_fbcon_graphics_mode(void)
{
	int con, tty, err, r, mode = KD_TEXT;
	double t0;
	struct scene s;

	con = fbcon_vtcon();
	if (con < 0)
		return fail("no framebuffer console in /sys/class/vtconsole: the kernel lacks CONFIG_FRAMEBUFFER_CONSOLE (or CONFIG_VT_HW_CONSOLE_BINDING)");
	tty = open("/dev/tty0", O_RDWR);
	if (tty < 0)
		return fail("/dev/tty0 (the foreground VT): %s", strerror(errno));
	err = fbcon_bind(con, 1);
	if (err) {
		r = fail("binding fbcon (vtcon%d) to the framebuffer: %s", con,
			 err == -EBUSY ? "the kernel left it unbound" :
			 strerror(-err));
		goto out;
	}
	if (ioctl(tty, KDSETMODE, KD_GRAPHICS)) {
		r = fail("KDSETMODE KD_GRAPHICS on /dev/tty0: %s", strerror(errno));
		goto out;
	}
	mode = KD_GRAPHICS;
	/*
	 * A cursor blink that fbcon queued just before the switch may still
	 * draw once: the switch stops the blink's timer, not its queued work
	 * (5.10's fbcon_del_cursor_timer()), and the work does not look at
	 * the mode. Let it pass; fbcon drawing after that is what the check
	 * a second after the drawing is for.
	 */
	sleep_ms(300);
	scene_bands(&s, 0x103050, 0xe0c020, 3);
	if (draw_and_see(&s)) {
		r = fail("in KD_GRAPHICS with fbcon bound, the program's drawing never reached the screen (fbcon drew over it, or a write was lost): %s",
			 why);
		goto out;
	}
	/* fbcon's cursor blinks every 200 ms in KD_TEXT: none may show */
	sleep_ms(1000);
	if (oracle_check(&fb, &s, why, sizeof(why)) != 1) {
		r = fail("in KD_GRAPHICS, a second after the drawing was on screen, it no longer was (fbcon drew?): %s",
			 why);
		goto out;
	}
	scene_add(&s, 0, fb.var.yres / 2, fb.var.xres, 8, 0x20e060);
	fb_fill(&fb, &s.r[s.n - 1]);
	if (oracle_wait(&fb, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0) {
		r = fail("in KD_GRAPHICS, a second write never reached the screen: %s",
			 why);
		goto out;
	}
	if (ioctl(tty, KDSETMODE, KD_TEXT)) {
		r = fail("KDSETMODE KD_TEXT on /dev/tty0: %s", strerror(errno));
		goto out;
	}
	mode = KD_TEXT;
	/* fbcon redraws the console: the drawing must go */
	for (t0 = now_ms(); oracle_check(&fb, &s, why, sizeof(why)) == 1;) {
		if (now_ms() - t0 > DEADLINE_MS) {
			r = fail("back in KD_TEXT, fbcon did not draw the console within %d ms: it was not on this framebuffer, and the test proved nothing",
				 DEADLINE_MS);
			goto out;
		}
		sleep_ms(50);
	}
	err = fbcon_bind(con, 0);
	if (err) {
		r = fail("unbinding fbcon (vtcon%d): %s", con,
			 err == -EBUSY ? "the kernel kept it bound (no other console driver to take the VTs)" :
			 strerror(-err));
		goto out;
	}
	scene_bands(&s, 0x305010, 0x20c0e0, 2);
	if (draw_and_see(&s)) {
		r = fail("after fbcon was unbound, the mapping's writes never reached the screen (no fsync): %s",
			 why);
		goto out;
	}
	r = pass();
out:
	if (mode != KD_TEXT)
		ioctl(tty, KDSETMODE, KD_TEXT);
	/* the tests that follow judge a screen of their own */
	fbcon_bind(con, 0);
	close(tty);
	return r;
}

static const struct fbtest tests[] = {
	{ "stress_many_processes", test_stress_many_processes },
	{ "two_opens_one_closed", test_two_opens_one_closed },
	{ "close_with_dirty_pages", test_close_with_dirty_pages },
	{ "bad_input_refused", test_bad_input_refused },
	{ "unbind_while_mapped", test_unbind_while_mapped },
	{ "probe_without_memory", test_probe_without_memory },
	{ "unbind_cycles_no_drift", test_unbind_cycles_no_drift },
	{ "mprotect_race_with_flush", test_mprotect_race_with_flush },
	{ "huge_pages_tracked", test_huge_pages_tracked },
	{ "fbcon_graphics_mode", test_fbcon_graphics_mode },
	/* last: it judges what the tests above left behind */
	{ "kmemleak_clean", test_kmemleak_clean },
};

/* Note when the tests began, for kmemleak_clean. */
static int note_start(void)
{
	if (kernel_jiffies(&start_jiffies))
		start_jiffies = 0;
	return 0;
}

/* --cycles=N, --failed-probe and --fb-inodes, for unbind_cycles_no_drift. */
static int option(const char *arg)
{
	unsigned long n;
	char *end;

	if (!strcmp(arg, "--failed-probe")) {
		soak_failed_probe = 1;
		return 0;
	}
	if (!strcmp(arg, "--fb-inodes")) {
		soak_fb_inodes = 1;
		return 0;
	}
	if (strncmp(arg, "--cycles=", 9) || arg[9] < '0' || arg[9] > '9')
		return -1;
	errno = 0;
	n = strtoul(arg + 9, &end, 10);
	if (*end || errno || n > 1000)
		return -1;
	soak_cycles = n;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct fbtest_suite suite = {
		.tests = tests,
		.ntests = sizeof(tests) / sizeof(tests[0]),
		.cur = &cur,
		.fb = &fb,
		.setup = note_start,
		.option = option,
	};

	return fbtest_main(argc, argv, &suite);
}
