/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside/shim.h - how the world around the ring plugs into the shim.
 *
 * The production code in ring/ sees only the kernel API of the linux/
 * headers. The world that hosts it (the simulator, a fuzz target, the QEMU stage, a test)
 * configures the kernel services behind that API here:
 *
 *  - the guest-memory arena: every kmalloc/alloc_pages_exact allocation and
 *    every guest-physical address lives in one region;
 *  - allocation failures, decided by a hook (deterministically, from the
 *    world's choice source);
 *  - WARN/BUG reports and printk output, delivered to hooks.
 *
 * The shim is global state, like the kernel it stands in for; it is not
 * thread-safe (the world is single-threaded).
 */
#ifndef _RINGSIDE_SHIM_H
#define _RINGSIDE_SHIM_H

#include <linux/types.h>

/*
 * The guest-memory arena.
 *
 * shim_arena_init makes [mem, mem + size) the arena, with guest-physical
 * address phys_base at mem. mem and phys_base must be page aligned and size
 * a multiple of the page size; returns 0, -EINVAL or -ENOMEM (for the
 * shim's own bookkeeping, kept outside the arena). Any earlier arena is
 * forgotten together with its allocations. The memory stays the caller's
 * (it may be a mapping of QEMU's guest RAM).
 *
 * Allocations are deterministic: the same sequence of calls gives the same
 * guest-physical addresses in every build type. Fresh memory is filled with
 * 0x5a (kzalloc: 0x00), freed memory with 0x6b and, under AddressSanitizer,
 * poisoned, so a use after free or an overflow into the redzone after each
 * block is reported.
 *
 * Without an arena the first allocation creates a default one of
 * SHIM_DEFAULT_ARENA_BYTES in identity mode (physical == virtual), so code
 * that knows nothing of ringside works; see linux/io.h.
 */
#define SHIM_DEFAULT_ARENA_BYTES (256u << 20)

int shim_arena_init(void *mem, size_t size, u64 phys_base);
/* As shim_arena_init with phys_base = (u64)mem: identity mode. */
int shim_arena_init_identity(void *mem, size_t size);
/* Creates (or re-creates) an arena of size bytes in memory the shim owns,
 * with the given phys_base (or identity mode when phys_base is
 * SHIM_PHYS_IDENTITY). Returns 0 or -ENOMEM/-EINVAL. */
#define SHIM_PHYS_IDENTITY (~(u64)0)
int shim_arena_create(size_t size, u64 phys_base);
/* Forgets every allocation and zeroes the counters and every byte ever
 * handed out, so a run after a reset sees what a fresh arena shows. */
void shim_arena_reset(void);
/* Detaches the arena (and frees it if the shim owns it). */
void shim_arena_destroy(void);

struct shim_arena_stats {
	size_t size;	    /* bytes in the arena */
	size_t high_water;  /* bytes ever carved from it */
	size_t live_blocks; /* allocations not yet freed */
	size_t live_bytes;  /* bytes requested by those */
	u64 total_allocs;   /* successful allocations */
	u64 failed_allocs;  /* refused by the hook or out of memory */
	u64 phys_base;
	bool identity;
};
void shim_arena_get_stats(struct shim_arena_stats *stats);

/* Checked translation for device models: a pointer to [phys, phys + len)
 * when that range lies inside the arena, else NULL. */
void *shim_guest_ptr(u64 phys, size_t len);
/* True when [phys, phys + len) lies inside the arena. */
bool shim_guest_range_ok(u64 phys, size_t len);

/* Allocation failure: the hook is asked before every allocation and makes
 * it fail by returning true. NULL removes it. */
typedef bool shim_alloc_fail_fn(void *ctx, size_t size, gfp_t flags);
void shim_set_alloc_fail_hook(shim_alloc_fail_fn *fn, void *ctx);

/*
 * The shared-read seam (linux/compiler.h). In the ring built for a world
 * (the CMake target ringside_ring_world, never the installed library),
 * every READ_ONCE calls the hook with the address and size of the bytes it
 * is about to read, before it reads them; the hook may rewrite them (a
 * device acting between two reads of the ring). It is not called while it
 * runs. NULL removes it. The installed library never calls it.
 */
typedef void shim_shared_read_fn(void *ctx, const void *addr,
				 unsigned long size);
void shim_set_shared_read_hook(shim_shared_read_fn *fn, void *ctx);
void shim_before_shared_read(const volatile void *addr, unsigned long size);

/* WARN and BUG reports. The default hook prints to stderr. A BUG aborts
 * after the hook returns. */
enum shim_report_kind { SHIM_REPORT_WARN, SHIM_REPORT_BUG };
typedef void shim_report_fn(void *ctx, enum shim_report_kind kind,
			    const char *file, int line, const char *what);
void shim_set_report_hook(shim_report_fn *fn, void *ctx);
/* Number of WARNs reported since the start (or the last reset). */
unsigned long shim_warn_count(void);
void shim_reset_warn_count(void);

/* printk output with its level (0 emergency .. 7 debug). The default hook
 * prints levels up to 4 (warning) to stderr. */
typedef void shim_log_fn(void *ctx, int level, const char *text);
void shim_set_log_hook(shim_log_fn *fn, void *ctx);

#endif /* _RINGSIDE_SHIM_H */
