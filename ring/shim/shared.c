// SPDX-License-Identifier: GPL-2.0
/*
 * shared.c - the shared-read seam (linux/compiler.h, ringside/shim.h).
 *
 * In the ring built for a world (RINGSIDE_SHARED_READ_SEAM), every
 * READ_ONCE calls shim_before_shared_read with the bytes it is about to
 * read, and the world's hook may let its device rewrite them first: the
 * moment between two reads of one value is where a double fetch shows.
 * The hook is not called again while it runs (what it calls of the ring,
 * virtqueue_is_broken say, reads through READ_ONCE too).
 */
#include <linux/compiler.h>
#include <ringside/shim.h>

static shim_shared_read_fn *shared_read_fn;
static void *shared_read_ctx;
static bool shared_read_inside;

void shim_set_shared_read_hook(shim_shared_read_fn *fn, void *ctx)
{
	shared_read_fn = fn;
	shared_read_ctx = ctx;
}

void shim_before_shared_read(const volatile void *addr, unsigned long size)
{
	if (!shared_read_fn || shared_read_inside)
		return;
	shared_read_inside = true;
	shared_read_fn(shared_read_ctx, (const void *)addr, size);
	shared_read_inside = false;
}
