// SPDX-License-Identifier: GPL-2.0
/*
 * arena.c - the guest-memory arena: kmalloc, pages and address translation.
 *
 * Every allocation the production code makes lives in one region, the
 * arena, whose bytes have guest-physical addresses (phys_base + offset), so
 * that a device can be handed any of them. Design notes:
 *
 * 1. Size classes. A request of n bytes gets a block of 2^c bytes, the
 *    smallest with 2^c >= n + ARENA_REDZONE and c >= ARENA_MIN_CLASS; the
 *    bytes after the payload are a redzone. Blocks of class c start at an
 *    offset aligned to min(2^c, PAGE_SIZE), so blocks of a page or more are
 *    page aligned (alloc_pages_exact relies on it). The arena and its
 *    phys_base are page aligned, so offsets, addresses and guest-physical
 *    addresses share every alignment up to a page.
 * 2. O(1) allocation and free: a freed block goes to its class's free list
 *    (LIFO) and is reused from there; only when that list is empty is a
 *    block carved from the bump pointer. Blocks are never split or merged.
 * 3. Metadata is out of band, in malloc'd memory: the arena may be memory
 *    a device can write (QEMU's guest RAM), so nothing the allocator trusts
 *    may live in it. class_of has one byte per 16-byte granule: the class
 *    + 1 of the live block starting there, 0 elsewhere. word has one entry
 *    per 32-byte unit (the smallest block): the payload length of a live
 *    block (with ARENA_WORD_PAGES for alloc_pages_exact), or the link of a
 *    free block to the next one on its list (unit + 1, 0 ends the list).
 * 4. Determinism: the offsets handed out depend only on the sequence of
 *    calls, never on pointer values, so every build type (with or without
 *    sanitizers) gives the same guest-physical addresses.
 * 5. Contents: fresh payloads are filled with ARENA_FILL_FRESH (or zeroed
 *    for __GFP_ZERO), freed blocks with ARENA_FILL_FREED. Memory never
 *    carved keeps what it held when the arena was set up (zeroes for an
 *    arena the shim maps); shim_arena_reset zeroes what was carved, so a
 *    run after a reset sees the bytes a run in a fresh arena would see.
 * 6. Under AddressSanitizer the whole arena is poisoned while it is ours;
 *    only the payload [p, p + n) of a live block is addressable, so an
 *    overflow into the redzone or a use after free is reported.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MAP_NORESERVE */
#endif

#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <ringside/shim.h>

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifndef ARENA_ASAN
#define ARENA_ASAN 0
#endif

#if ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define ARENA_GRANULE_SHIFT 4 /* class_of: one byte per 16 bytes */
#define ARENA_MIN_CLASS 5     /* the smallest block: 32 bytes */
#define ARENA_UNIT_SHIFT ARENA_MIN_CLASS
#define ARENA_PAGE_CLASS PAGE_SHIFT
/* Classes 0 .. ARENA_CLASSES - 1 exist: blocks up to 2^47 bytes. */
#define ARENA_CLASSES (sizeof(size_t) >= 8 ? 48 : 31)
#define ARENA_REDZONE 16
#define ARENA_FILL_FRESH 0x5a
#define ARENA_FILL_FREED 0x6b
/* In word[] of a live block: it came from alloc_pages_exact. */
#define ARENA_WORD_PAGES ((size_t)1 << (sizeof(size_t) * 8 - 1))

struct arena {
	char *base; /* NULL: no arena configured */
	size_t size;
	u64 phys_base;
	bool identity; /* phys == virt, also outside the arena */
	bool owned;    /* mapped by the shim: unmapped when dropped */
	size_t bump;   /* offset of the first byte never carved */
	u8 *class_of;  /* per granule, see note 3 */
	size_t *word;  /* per unit, see note 3 */
	size_t free_head[ARENA_CLASSES]; /* unit + 1 of the top block, or 0 */
	size_t live_blocks;
	size_t live_bytes;
	u64 total_allocs;
	u64 failed_allocs;
};

static struct arena arena;
/* The arena's [base, base + size) and phys_base for the inline
 * virt_to_phys (linux/io.h): set with the arena, all zero without one. */
struct ringside_virt_window ringside_virt_window;
static shim_alloc_fail_fn *arena_fail_fn;
static void *arena_fail_ctx;

#define arena_warn(what) ringside_report_warn(__FILE__, __LINE__, what)

/* --- AddressSanitizer -------------------------------------------------- */

static void arena_poison(const void *p, size_t len)
{
#if ARENA_ASAN
	__asan_poison_memory_region(p, len);
#else
	(void)p;
	(void)len;
#endif
}

static void arena_unpoison(const void *p, size_t len)
{
#if ARENA_ASAN
	__asan_unpoison_memory_region(p, len);
#else
	(void)p;
	(void)len;
#endif
}

/* --- set-up and tear-down ---------------------------------------------- */

static size_t arena_block_bytes(unsigned int c)
{
	assert(c >= ARENA_MIN_CLASS && c < ARENA_CLASSES);
	return (size_t)1 << c;
}

static bool arena_mem_ok(const void *mem)
{
	return mem && (uintptr_t)mem % PAGE_SIZE == 0;
}

static bool arena_size_ok(size_t size, u64 phys_base)
{
	if (size == 0 || size % PAGE_SIZE != 0)
		return false;
	if (phys_base % PAGE_SIZE != 0)
		return false;
	/* The last byte's address must neither wrap nor be RINGSIDE_BAD_PHYS. */
	return phys_base <= UINT64_MAX - size;
}

/* Hands the memory back as we found it: addressable (it may be a test's
 * buffer, or its address range may be mapped again) and, if ours, unmapped. */
static void arena_drop(void)
{
	if (!arena.base)
		return;
	arena_unpoison(arena.base, arena.size);
	if (arena.owned)
		munmap(arena.base, arena.size);
	free(arena.class_of);
	free(arena.word);
	memset(&arena, 0, sizeof(arena));
	memset(&ringside_virt_window, 0, sizeof(ringside_virt_window));
}

/* The earlier arena is dropped only once the new one's metadata exists,
 * so a failure leaves the world as it was. */
static int arena_install(char *mem, size_t size, u64 phys_base, bool identity,
			 bool owned)
{
	u8 *class_of = calloc(size >> ARENA_GRANULE_SHIFT, 1);
	size_t *word = calloc(size >> ARENA_UNIT_SHIFT, sizeof(*word));

	if (!class_of || !word) {
		free(class_of);
		free(word);
		return -ENOMEM;
	}
	arena_drop();
	arena.base = mem;
	arena.size = size;
	arena.phys_base = phys_base;
	arena.identity = identity;
	arena.owned = owned;
	arena.class_of = class_of;
	arena.word = word;
	ringside_virt_window.base = (uintptr_t)mem;
	ringside_virt_window.size = size;
	ringside_virt_window.phys_base = phys_base;
	arena_poison(mem, size);
	return 0;
}

int shim_arena_init(void *mem, size_t size, u64 phys_base)
{
	if (!arena_mem_ok(mem) || !arena_size_ok(size, phys_base))
		return -EINVAL;
	return arena_install(mem, size, phys_base, false, false);
}

int shim_arena_init_identity(void *mem, size_t size)
{
	if (!arena_mem_ok(mem) || !arena_size_ok(size, (uintptr_t)mem))
		return -EINVAL;
	return arena_install(mem, size, (uintptr_t)mem, true, false);
}

int shim_arena_create(size_t size, u64 phys_base)
{
	bool identity = phys_base == SHIM_PHYS_IDENTITY;
	void *mem;
	int err;

	/* An identity base is only known once mapped; any mapping fits. */
	if (!arena_size_ok(size, identity ? 0 : phys_base))
		return -EINVAL;
	/* NORESERVE: the default arena is large and mostly never touched. */
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -ENOMEM;
	assert((uintptr_t)mem % PAGE_SIZE == 0);
	if (identity)
		phys_base = (uintptr_t)mem;
	err = arena_install(mem, size, phys_base, identity, true);
	if (err)
		munmap(mem, size);
	return err;
}

void shim_arena_destroy(void)
{
	arena_drop();
}

void shim_arena_reset(void)
{
	size_t carved = arena.bump;

	if (!arena.base)
		return;
	/* Zeroes what was carved (note 5): unpoisoned first, as ASan checks
	 * memset's destination. */
	arena_unpoison(arena.base, carved);
	memset(arena.base, 0, carved);
	arena_poison(arena.base, carved);
	memset(arena.class_of, 0,
	       DIV_ROUND_UP(carved, (size_t)1 << ARENA_GRANULE_SHIFT));
	memset(arena.free_head, 0, sizeof(arena.free_head));
	arena.bump = 0;
	arena.live_blocks = 0;
	arena.live_bytes = 0;
	arena.total_allocs = 0;
	arena.failed_allocs = 0;
}

/* Code that configured no arena still works: it gets the default one. A
 * failed mapping is retried on the next call (it is not expected). */
static bool arena_ensure(void)
{
	if (arena.base)
		return true;
	return shim_arena_create(SHIM_DEFAULT_ARENA_BYTES,
				 SHIM_PHYS_IDENTITY) == 0;
}

void shim_arena_get_stats(struct shim_arena_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	if (!arena.base)
		return;
	stats->size = arena.size;
	stats->high_water = arena.bump;
	stats->live_blocks = arena.live_blocks;
	stats->live_bytes = arena.live_bytes;
	stats->total_allocs = arena.total_allocs;
	stats->failed_allocs = arena.failed_allocs;
	stats->phys_base = arena.phys_base;
	stats->identity = arena.identity;
}

void shim_set_alloc_fail_hook(shim_alloc_fail_fn *fn, void *ctx)
{
	arena_fail_fn = fn;
	arena_fail_ctx = fn ? ctx : NULL;
}

/* --- blocks ------------------------------------------------------------ */

/* The class for a payload, or ARENA_CLASSES when none is large enough. */
static unsigned int arena_class_for(size_t payload)
{
	size_t need;
	unsigned int c;

	if (payload > SIZE_MAX - ARENA_REDZONE)
		return ARENA_CLASSES;
	need = payload + ARENA_REDZONE;
	if (need <= ((size_t)1 << ARENA_MIN_CLASS))
		return ARENA_MIN_CLASS;
	c = (unsigned int)(64 - __builtin_clzll((unsigned long long)need - 1));
	if (c >= ARENA_CLASSES)
		return ARENA_CLASSES;
	assert(arena_block_bytes(c) >= need);
	assert(arena_block_bytes(c) / 2 < need || c == ARENA_MIN_CLASS);
	return c;
}

static void arena_push(size_t off, unsigned int c)
{
	size_t unit = off >> ARENA_UNIT_SHIFT;

	assert(off % min_t(size_t, arena_block_bytes(c), PAGE_SIZE) == 0);
	assert(arena.class_of[off >> ARENA_GRANULE_SHIFT] == 0);
	arena.word[unit] = arena.free_head[c];
	arena.free_head[c] = unit + 1;
}

static bool arena_pop(unsigned int c, size_t *off)
{
	size_t top = arena.free_head[c];

	if (!top)
		return false;
	*off = (top - 1) << ARENA_UNIT_SHIFT;
	assert(*off < arena.bump);
	arena.free_head[c] = arena.word[top - 1];
	return true;
}

/* Aligning the bump pointer leaves a gap below the new block; it is cut
 * into the largest aligned blocks that fit and kept on the free lists, so
 * no memory is lost to alignment. The gap is under a page: few steps. */
static void arena_recycle(size_t from, size_t to)
{
	while (from < to) {
		unsigned int c = (unsigned int)__builtin_ctzll(from);

		assert(c >= ARENA_MIN_CLASS);
		c = min_t(unsigned int, c, ARENA_PAGE_CLASS);
		while (from + ((size_t)1 << c) > to)
			c--;
		assert(c >= ARENA_MIN_CLASS);
		arena_push(from, c);
		from += (size_t)1 << c;
	}
}

static bool arena_carve(unsigned int c, size_t *off)
{
	size_t block = arena_block_bytes(c);
	size_t start = ALIGN(arena.bump, min_t(size_t, block, PAGE_SIZE));

	if (start > arena.size || block > arena.size - start)
		return false;
	arena_recycle(arena.bump, start);
	arena.bump = start + block;
	*off = start;
	return true;
}

static void arena_mark_live(size_t off, unsigned int c, size_t payload,
			    bool pages)
{
	size_t granule = off >> ARENA_GRANULE_SHIFT;

	assert(arena.class_of[granule] == 0);
	assert(payload + ARENA_REDZONE <= arena_block_bytes(c));
	arena.class_of[granule] = (u8)(c + 1);
	arena.word[off >> ARENA_UNIT_SHIFT] =
		payload | (pages ? ARENA_WORD_PAGES : 0);
	arena.live_blocks++;
	arena.live_bytes += payload;
	arena.total_allocs++;
}

/*
 * The allocator behind kmalloc and alloc_pages_exact: payload bytes in a
 * block of at least min_class. The hook is asked first, for every call, so
 * that the world's choices line up with the calls whatever their sizes.
 */
static void *arena_alloc(size_t size, size_t payload, unsigned int min_class,
			 gfp_t flags, bool pages)
{
	unsigned int c;
	size_t off;
	char *p;

	if (!arena_ensure())
		return NULL;
	if (arena_fail_fn && arena_fail_fn(arena_fail_ctx, size, flags))
		goto fail;
	c = max_t(unsigned int, arena_class_for(payload), min_class);
	if (c >= ARENA_CLASSES)
		goto fail;
	if (!arena_pop(c, &off) && !arena_carve(c, &off))
		goto fail;
	arena_mark_live(off, c, payload, pages);
	p = arena.base + off;
	arena_unpoison(p, payload);
	memset(p, (flags & __GFP_ZERO) ? 0 : ARENA_FILL_FRESH, payload);
	return p;
fail:
	arena.failed_allocs++;
	return NULL;
}

/* The offset of the live block starting at p, if p is one. */
static bool arena_find_live(const void *p, size_t *off)
{
	uintptr_t addr = (uintptr_t)p;
	uintptr_t base = (uintptr_t)arena.base;

	if (!arena.base || addr < base || addr - base >= arena.size)
		return false;
	*off = addr - base;
	if (*off % ((size_t)1 << ARENA_GRANULE_SHIFT) != 0)
		return false;
	return arena.class_of[*off >> ARENA_GRANULE_SHIFT] != 0;
}

static void arena_release(size_t off)
{
	size_t granule = off >> ARENA_GRANULE_SHIFT;
	unsigned int c = arena.class_of[granule] - 1u;
	size_t block = arena_block_bytes(c);
	size_t payload =
		arena.word[off >> ARENA_UNIT_SHIFT] & ~ARENA_WORD_PAGES;
	char *p = arena.base + off;

	assert(arena.live_blocks > 0);
	assert(arena.live_bytes >= payload);
	arena.class_of[granule] = 0;
	arena.live_blocks--;
	arena.live_bytes -= payload;
	arena_unpoison(p, block);
	memset(p, ARENA_FILL_FREED, block);
	arena_poison(p, block);
	arena_push(off, c);
}

/* --- linux/slab.h and linux/gfp.h -------------------------------------- */

void *kmalloc(size_t size, gfp_t flags)
{
	/* Zero bytes still get a (minimal, all-redzone) block: unlike Linux's
	 * ZERO_SIZE_PTR it can be freed and translated like any other. */
	return arena_alloc(size, size, ARENA_MIN_CLASS, flags, false);
}

void kfree(const void *objp)
{
	size_t off;

	if (!objp)
		return;
	if (!arena_find_live(objp, &off)) {
		arena_warn("kfree of a pointer that is not a live block");
		return;
	}
	if (arena.word[off >> ARENA_UNIT_SHIFT] & ARENA_WORD_PAGES)
		arena_warn("kfree of memory from alloc_pages_exact");
	arena_release(off);
}

void *alloc_pages_exact(size_t size, gfp_t gfp_mask)
{
	/* As in Linux, the caller owns whole pages: all of them addressable.
	 * A size whose page rounding overflows can never be met. */
	size_t payload =
		size > SIZE_MAX - (PAGE_SIZE - 1) ? SIZE_MAX : PAGE_ALIGN(size);

	return arena_alloc(size, payload, ARENA_PAGE_CLASS, gfp_mask, true);
}

void free_pages_exact(void *virt, size_t size)
{
	size_t off, word;

	if (!virt)
		return;
	if (!arena_find_live(virt, &off)) {
		arena_warn("free_pages_exact of a pointer that is not a live "
			   "block");
		return;
	}
	word = arena.word[off >> ARENA_UNIT_SHIFT];
	if (!(word & ARENA_WORD_PAGES))
		arena_warn("free_pages_exact of memory from kmalloc");
	else if ((word & ~ARENA_WORD_PAGES) != PAGE_ALIGN(size))
		arena_warn("free_pages_exact with a size other than allocated");
	arena_release(off);
}

/* --- translation ------------------------------------------------------- */

static bool arena_virt_offset(const volatile void *address, size_t *off)
{
	uintptr_t addr = (uintptr_t)address;
	uintptr_t base = (uintptr_t)arena.base;

	if (!arena.base || addr < base || addr - base >= arena.size)
		return false;
	*off = addr - base;
	return true;
}

/* [phys, phys + len) inside the arena; an empty range may sit at its end. */
static bool arena_phys_offset(u64 phys, size_t len, size_t *off)
{
	u64 rel;

	if (!arena.base || phys < arena.phys_base)
		return false;
	rel = phys - arena.phys_base;
	if (rel > arena.size || len > arena.size - rel)
		return false;
	*off = (size_t)rel;
	return true;
}

/* Without any arena (the default one could not be mapped) translation
 * behaves as the default arena would: identity. */
static bool arena_identity(void)
{
	return !arena.base || arena.identity;
}

/* The common case is inline in linux/io.h, through ringside_virt_window;
 * every other address comes here and is checked in full. */
phys_addr_t ringside_virt_to_phys_slow(const volatile void *address)
{
	size_t off;

	arena_ensure();
	if (arena_virt_offset(address, &off))
		return arena.phys_base + off;
	if (arena_identity())
		return (uintptr_t)address;
	arena_warn("virt_to_phys of an address outside the guest-memory arena");
	return RINGSIDE_BAD_PHYS;
}

void *phys_to_virt(phys_addr_t address)
{
	size_t off;

	arena_ensure();
	if (arena_phys_offset(address, 1, &off))
		return arena.base + off;
	if (arena_identity())
		return (void *)(uintptr_t)address;
	return NULL;
}

bool virt_addr_valid(const volatile void *address)
{
	size_t off;

	arena_ensure();
	if (arena_virt_offset(address, &off))
		return true;
	return arena_identity() && address != NULL;
}

void *shim_guest_ptr(u64 phys, size_t len)
{
	size_t off;

	arena_ensure();
	if (!arena_phys_offset(phys, len, &off))
		return NULL;
	return arena.base + off;
}

bool shim_guest_range_ok(u64 phys, size_t len)
{
	size_t off;

	arena_ensure();
	return arena_phys_offset(phys, len, &off);
}
