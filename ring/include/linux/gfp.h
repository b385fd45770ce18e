/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/gfp.h - allocation flags and page-granular allocation.
 *
 * Pages come from the guest-memory arena (see ringside/shim.h): they are
 * page aligned and have guest-physical addresses, so a transport can hand
 * them to a device. The flags are accepted and passed to the allocation
 * failure hook; __GFP_ZERO zeroes.
 */
#ifndef _LINUX_GFP_H
#define _LINUX_GFP_H

#include <linux/types.h>

#define __GFP_WAIT 0x10u
#define __GFP_HIGH 0x20u
#define __GFP_IO 0x40u
#define __GFP_FS 0x80u
#define __GFP_HIGHMEM 0x02u
#define __GFP_NOWARN 0x200u
#define __GFP_ZERO 0x8000u

#define GFP_ATOMIC (__GFP_HIGH)
#define GFP_NOIO (__GFP_WAIT)
#define GFP_NOFS (__GFP_WAIT | __GFP_IO)
#define GFP_KERNEL (__GFP_WAIT | __GFP_IO | __GFP_FS)

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(addr) (((addr) + PAGE_SIZE - 1) & PAGE_MASK)

void *alloc_pages_exact(size_t size, gfp_t gfp_mask);
void free_pages_exact(void *virt, size_t size);

#endif /* _LINUX_GFP_H */
