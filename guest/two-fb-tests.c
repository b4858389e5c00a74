// SPDX-License-Identifier: GPL-2.0
/*
 * Two framebuffers at once: DRM's generic fbdev on bochs and on virtio-gpu
 * (QEMU --display bochs+virtio), /dev/fb0 and /dev/fb1, told apart by
 * fix.id. The deferred-I/O state must be each framebuffer's own: in the
 * base kernel both share DRM's one static struct fb_deferred_io and its
 * page list, so the first flush takes the other's pages and the other's
 * writes never reach its screen.
 *
 *   two-fb-tests [TEST...]    run the named tests (all when none), KTAP out
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fb.h"

#define DEADLINE_MS	10000	/* debug kernels copy slowly */
#define PAGE		4096
#define ROUNDS		4
#define PAGES_PER_FB	8

static struct fb bochs, virtio;
static const char *cur;
static char why[256];

static int open_one(struct fb *f, const char *prefix)
{
	char path[32];
	int err = fb_find(prefix, path, sizeof(path));

	if (err) {
		printf("# no framebuffer whose fix.id starts with \"%s\"\n", prefix);
		return err;
	}
	err = fb_open(f, path);
	if (!err)
		printf("# %s is %s: %ux%u, %u bpp, smem_len %u\n", path, f->id,
		       f->var.xres, f->var.yres, f->var.bits_per_pixel,
		       f->fix.smem_len);
	return err;
}

static int setup(void)
{
	int err;

	bochs.fd = virtio.fd = -1;
	err = open_one(&bochs, "bochs");
	if (!err)
		err = open_one(&virtio, "virtio");
	return err;
}

static void cleanup(void)
{
	fb_close(&bochs);
	fb_close(&virtio);
}

static size_t visible_bytes(const struct fb *f)
{
	return (size_t)f->fix.line_length * f->var.yres;
}

/* Page @p of @f in colour @rgb (its visible part), and into @s. */
static void write_page(struct fb *f, struct scene *s, size_t p, uint32_t rgb)
{
	size_t off = p * PAGE, len = PAGE;

	if (off + len > visible_bytes(f))
		len = visible_bytes(f) - off;
	fb_fill_bytes(f, off, len, rgb);
	scene_add_bytes(s, f, off, len, rgb);
}

/*
 * Fill @f with @bg, flush, and wait until its screen shows it: first a
 * colour that differs in every pixel, so that the match proves the flush
 * and DRM's copy are done (none left to carry later writes early).
 */
static int reset(struct fb *f, struct scene *s, uint32_t bg)
{
	int phase;

	for (phase = 0; phase < 2; phase++) {
		memset(s, 0, sizeof(*s));
		s->bg = phase ? bg : bg ^ 0x808080;
		fb_draw(f, s);
		fsync(f->fd);
		if (oracle_wait(f, s, now_ms(), DEADLINE_MS, why,
				sizeof(why)) < 0)
			return 1;
	}
	return 0;
}

/*
 * One round: @n pages of each framebuffer, written alternately (bochs,
 * virtio, bochs, ...) with no pause, so that all of them fall into one
 * flush period; no fsync: the deferred work flushes. Then each screen
 * must show exactly its own pages.
 */
static int round_exact(int round, unsigned int n)
{
	size_t nb = (visible_bytes(&bochs) + PAGE - 1) / PAGE;
	size_t nv = (visible_bytes(&virtio) + PAGE - 1) / PAGE;
	struct scene sb, sv;
	double t0, took, shown;
	unsigned int i;

	if (reset(&bochs, &sb, 0x101010 * (round + 1)))
		return fail("round %d: could not clear %s: %s", round, bochs.id, why);
	if (reset(&virtio, &sv, 0x080808 * (round + 1)))
		return fail("round %d: could not clear %s: %s", round, virtio.id, why);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		write_page(&bochs, &sb, (i * nb / n + round * 3) % nb,
			   colours[(i + round) % NCOLOURS]);
		write_page(&virtio, &sv, (i * nv / n + round * 5 + 1) % nv,
			   colours[(i + round + 3) % NCOLOURS]);
	}
	took = now_ms() - t0;
	shown = oracle_wait(&bochs, &sb, t0, DEADLINE_MS, why, sizeof(why));
	if (shown < 0)
		return fail("round %d (%u pages each, interleaved in %.1f ms): the %s screen does not show its own pages after %d ms: %s",
			    round, n, took, bochs.id, DEADLINE_MS, why);
	shown = oracle_wait(&virtio, &sv, t0, DEADLINE_MS, why, sizeof(why));
	if (shown < 0)
		return fail("round %d (%u pages each, interleaved in %.1f ms): the %s screen does not show its own pages after %d ms: %s",
			    round, n, took, virtio.id, DEADLINE_MS, why);
	diag("round %d: %u pages each, written in %.1f ms; both screens exact by %.1f ms",
	     round, n, took, shown);
	return 0;
}

/*
 * Pages of both framebuffers written alternately within one flush
 * period, several rounds; then one page each, the smallest case. Each
 * screen must show exactly its own scene.
 */
static int test_two_framebuffers_interleaved(void)
{
	int round;

	for (round = 0; round < ROUNDS; round++)
		if (round_exact(round, PAGES_PER_FB))
			return 1;
	if (round_exact(ROUNDS, 1))
		return 1;
	return pass();
}

static void on_sigbus(int sig)
{
	(void)sig;
	_exit(7);
}

/* Writes one word into each page, round after round, until @until. */
static void writer(uint8_t *mem, size_t len, uint32_t seed, double until)
{
	size_t npages = len / PAGE, i;

	while (now_ms() < until) {
		for (i = 0; i < npages; i++) {
			*(volatile uint32_t *)(mem + i * PAGE + (seed % 64) * 4) = seed;
			seed++;
		}
	}
}

static pid_t spawn_writer(struct fb *f, uint32_t seed, double until)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	pid_t p = fork();

	if (p == 0) {
		sigaction(SIGBUS, &sa, NULL);
		writer(f->mem, f->len, seed, until);
		_exit(0);
	}
	return p;
}

#define BOCHS_DRV "/sys/bus/pci/drivers/bochs-drm"

/* The PCI address of the device behind framebuffer @f, e.g. 0000:00:02.0. */
static int pci_address(const struct fb *f, char *addr, size_t len)
{
	char link[64], target[PATH_MAX], *base;

	snprintf(link, sizeof(link), "/sys/class/graphics/fb%u/device",
		 fb_minor(f));
	if (!realpath(link, target))
		return -errno;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	memcpy(addr, base, strlen(base) + 1);
	return 0;
}

static const char *status_str(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "%s", WEXITSTATUS(st) == 7 ? "SIGBUS" :
			 WEXITSTATUS(st) ? "exit status != 0" : "kept writing");
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "status 0x%x", st);
	return buf;
}

/*
 * Unbind the bochs device while processes write to both framebuffers: the
 * bochs writer may get SIGBUS or keep writing to memory that stays valid;
 * the virtio writer must keep writing undisturbed. Then a known scene on
 * the virtio framebuffer must be exactly on its screen. Whether the unbind
 * was safe the kernel log says (debug kernel: KASAN, lockdep, list debug).
 */
static int test_unbind_one_other_exact(void)
{
	char addr[64], node[PATH_MAX], path[32], sb[40], sv[40];
	double until;
	pid_t pb, pv;
	int err, stb = 0, stv = 0;
	struct scene s;

	err = pci_address(&bochs, addr, sizeof(addr));
	if (err)
		return fail("no PCI device behind %s: %s", bochs.id, strerror(-err));
	snprintf(node, sizeof(node), BOCHS_DRV "/%s", addr);
	if (access(node, F_OK))
		return fail("%s is not bound to bochs-drm (no %s)", addr, node);
	until = now_ms() + 2500;
	pb = spawn_writer(&bochs, 1, until);
	pv = spawn_writer(&virtio, 2, until);
	sleep_ms(500);
	err = sysfs_write(BOCHS_DRV "/unbind", addr);
	waitpid(pb, &stb, 0);
	waitpid(pv, &stv, 0);
	if (err)
		return fail("unbind %s from bochs-drm: %s", addr, strerror(-err));
	diag("unbound %s; bochs writer: %s; virtio writer: %s", addr,
	     status_str(stb, sb, sizeof(sb)), status_str(stv, sv, sizeof(sv)));
	if (!(WIFEXITED(stb) && (WEXITSTATUS(stb) == 0 || WEXITSTATUS(stb) == 7)))
		return fail("bochs writer: %s, want it to keep writing or get SIGBUS", sb);
	if (!(WIFEXITED(stv) && WEXITSTATUS(stv) == 0))
		return fail("virtio writer: %s, want it to keep writing", sv);
	fb_close(&bochs);
	if (fb_find("bochs", path, sizeof(path)) == 0)
		return fail("%s still shows a bochs framebuffer after the unbind", path);
	memset(&s, 0, sizeof(s));
	s.bg = 0x000080;
	scene_add(&s, 0, virtio.var.yres / 3, virtio.var.xres,
		  virtio.var.yres / 3, 0xffff00);
	scene_add(&s, virtio.var.xres / 3, 0, virtio.var.xres / 3,
		  virtio.var.yres, 0x00ff00);
	fb_draw(&virtio, &s);
	if (oracle_wait(&virtio, &s, now_ms(), DEADLINE_MS, why, sizeof(why)) < 0)
		return fail("the %s screen is not the scene drawn after the unbind: %s",
			    virtio.id, why);
	return pass();
}

static const struct fbtest tests[] = {
	{ "two_framebuffers_interleaved", test_two_framebuffers_interleaved },
	/* last: it takes the bochs framebuffer away */
	{ "unbind_one_other_exact", test_unbind_one_other_exact },
};

int main(int argc, char **argv)
{
	static const struct fbtest_suite suite = {
		.tests = tests,
		.ntests = sizeof(tests) / sizeof(tests[0]),
		.cur = &cur,
		.setup = setup,
		.cleanup = cleanup,
	};

	return fbtest_main(argc, argv, &suite);
}
