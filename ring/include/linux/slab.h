/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/slab.h - kmalloc and friends, served from the guest-memory arena.
 *
 * Memory from kmalloc is device-reachable (it has a guest-physical address),
 * filled with a fixed pattern so that a run never depends on old contents,
 * and poisoned for AddressSanitizer once freed. Any allocation can be made
 * to fail by the world's allocation hook (ringside/shim.h).
 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/gfp.h>
#include <linux/types.h>

void *kmalloc(size_t size, gfp_t flags);
void kfree(const void *objp);

static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	if (size != 0 && n > (size_t)-1 / size)
		return NULL;
	return kmalloc(n * size, flags);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}

#endif /* _LINUX_SLAB_H */
