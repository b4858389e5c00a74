// SPDX-License-Identifier: GPL-2.0
/*
 * The demo: draw a test card through the mmapped /dev/fb0, wait until the
 * host sees exactly it on the emulated screen, then update a few small
 * boxes and wait for them too. The host saves both screens as PNG.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fb.h"

static const uint32_t bars[] = {
	0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff,
};

int main(void)
{
	unsigned int w, h, i, bw;
	struct scene s = { .bg = 0x000000 };
	struct fb fb;
	char why[256];
	double t0, shown;
	int err;

	ktap_plan(2);
	err = oracle_open();
	if (!err)
		err = fb_open(&fb, "/dev/fb0");
	if (err) {
		ktap_result(0, "testcard_on_screen", "setup: %s", strerror(-err));
		return 1;
	}
	w = fb.var.xres;
	h = fb.var.yres;
	bw = w / 7;
	for (i = 0; i < 7; i++)		/* colour bars, top two thirds */
		scene_add(&s, i * bw, 0, i == 6 ? w - 6 * bw : bw, h * 2 / 3,
			  bars[i]);
	for (i = 0; i < 8; i++)		/* a black and white strip */
		scene_add(&s, i * w / 8, h * 2 / 3, w / 8, h / 12,
			  i % 2 ? 0xffffff : 0x000000);
	scene_add(&s, w / 3, h * 5 / 6, w / 3, h / 8, 0x808080);  /* a box */

	t0 = now_ms();
	fb_draw(&fb, &s);
	printf("testcard: drew %ux%u, %u bpp: %u bytes, %u pages, in %.1f ms\n",
	       w, h, fb.var.bits_per_pixel, fb.fix.line_length * h,
	       (fb.fix.line_length * h + 4095) / 4096, now_ms() - t0);
	shown = oracle_wait(&fb, &s, t0, 5000, why, sizeof(why));
	if (shown < 0) {
		ktap_result(0, "testcard_on_screen", "%s", why);
		return 1;
	}
	printf("testcard: on screen %.1f ms after the first write (deferred-I/O delay %.0f ms)\n",
	       shown, defio_delay_ms());
	oracle_save(&fb, "testcard");
	ktap_result(1, "testcard_on_screen", NULL);

	/* A small update: four boxes, a few pages each. */
	t0 = now_ms();
	for (i = 0; i < 4; i++) {
		scene_add(&s, w / 10 + i * w / 5, h / 3, w / 20, h / 40,
			  0x000000);
		fb_fill(&fb, &s.r[s.n - 1]);
	}
	printf("testcard: updated 4 boxes of %ux%u in rows %u-%u\n", w / 20,
	       h / 40, h / 3, h / 3 + h / 40 - 1);
	shown = oracle_wait(&fb, &s, t0, 5000, why, sizeof(why));
	if (shown < 0) {
		ktap_result(0, "update_on_screen", "%s", why);
		return 1;
	}
	printf("testcard: update on screen %.1f ms after the first write\n",
	       shown);
	oracle_save(&fb, "update");
	ktap_result(1, "update_on_screen", NULL);
	fb_close(&fb);
	return 0;
}
