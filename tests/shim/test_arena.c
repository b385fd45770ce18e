// SPDX-License-Identifier: GPL-2.0
/*
 * test_arena.c - the guest-memory arena: layout, translation, fills,
 * reuse, determinism, failure injection and bad frees.
 *
 * Each test starts in a fresh arena of HARNESS_ARENA_BYTES at guest-physical
 * HARNESS_PHYS_BASE, so the first block sits at offset 0 and the exact
 * addresses below are the arena's documented layout: they are the same in
 * every build type, which is what makes runs replayable.
 */
#include "harness.h"

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <ringside/shim.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifndef TEST_ASAN
#define TEST_ASAN 0
#endif

#if TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define TESTS(X)                                                               \
	X(first_byte_is_phys_base)                                             \
	X(virt_to_phys_outside_warns)                                          \
	X(phys_to_virt_outside_is_null)                                        \
	X(guest_ptr_checks_bounds)                                             \
	X(size_classes_and_redzones)                                           \
	X(zero_size_gets_a_block)                                              \
	X(pages_are_page_aligned)                                              \
	X(alignment_gaps_are_reused)                                           \
	X(fresh_kmalloc_is_5a)                                                 \
	X(kzalloc_zeroes_a_reused_block)                                       \
	X(reuse_is_lifo_per_class)                                             \
	X(freed_block_is_poisoned)                                             \
	X(pages_payload_is_whole_pages)                                        \
	X(same_calls_same_addresses)                                           \
	X(fail_hook_refuses_the_nth)                                           \
	X(fail_hook_sees_pages)                                                \
	X(exhaustion_returns_null)                                             \
	X(oversized_requests_fail)                                             \
	X(bad_frees_warn)                                                      \
	X(mismatched_frees_warn)                                               \
	X(stats_count_live_blocks)                                             \
	X(reset_forgets_and_restores)                                          \
	X(reset_without_arena_does_nothing)                                    \
	X(identity_translates_stack_memory)                                    \
	X(default_arena_is_lazy)                                               \
	X(create_validates)                                                    \
	X(init_uses_caller_memory)                                             \
	X(init_validates)                                                      \
	X(init_identity_uses_caller_memory)

TESTS(HARNESS_DECLARE)

/* The offset of p from the arena's start, through its guest address. */
static long long off_of(const void *p)
{
	return (long long)(virt_to_phys(p) - HARNESS_PHYS_BASE);
}

static bool all_bytes(const void *p, int value, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != (unsigned char)value)
			return false;
	return true;
}

static struct shim_arena_stats stats_now(void)
{
	struct shim_arena_stats s;

	shim_arena_get_stats(&s);
	return s;
}

/* --- translation --------------------------------------------------------- */

static void first_byte_is_phys_base(void)
{
	char *p = kmalloc(1, GFP_KERNEL);
	char *last;

	CHECK(p != NULL);
	CHECK_EQ(HARNESS_PHYS_BASE, virt_to_phys(p));
	CHECK_PTR_EQ(p, phys_to_virt(HARNESS_PHYS_BASE));
	CHECK(virt_addr_valid(p));
	/* The last byte of the arena still translates, both ways. */
	last = phys_to_virt(HARNESS_PHYS_BASE + HARNESS_ARENA_BYTES - 1);
	CHECK_PTR_EQ(p + HARNESS_ARENA_BYTES - 1, last);
	CHECK_EQ(HARNESS_PHYS_BASE + HARNESS_ARENA_BYTES - 1,
		 virt_to_phys(last));
	CHECK_EQ(HARNESS_PHYS_BASE, stats_now().phys_base);
	CHECK(!stats_now().identity);
	kfree(p);
}

static void virt_to_phys_outside_warns(void)
{
	int local = 0;
	char *p = kmalloc(8, GFP_KERNEL);

	CHECK_EQ(RINGSIDE_BAD_PHYS, virt_to_phys(&local));
	EXPECT_WARNS(1);
	/* One past the end is outside too. */
	CHECK_EQ(RINGSIDE_BAD_PHYS, virt_to_phys(p + HARNESS_ARENA_BYTES));
	EXPECT_WARNS(1);
	CHECK_EQ(RINGSIDE_BAD_PHYS, virt_to_phys(NULL));
	EXPECT_WARNS(1);
	CHECK(!virt_addr_valid(&local));
	CHECK(!virt_addr_valid(p + HARNESS_ARENA_BYTES));
	CHECK(!virt_addr_valid(NULL));
	kfree(p);
}

static void phys_to_virt_outside_is_null(void)
{
	CHECK_PTR_EQ(NULL, phys_to_virt(HARNESS_PHYS_BASE - 1));
	CHECK_PTR_EQ(NULL,
		     phys_to_virt(HARNESS_PHYS_BASE + HARNESS_ARENA_BYTES));
	CHECK_PTR_EQ(NULL, phys_to_virt(0));
	CHECK_PTR_EQ(NULL, phys_to_virt(RINGSIDE_BAD_PHYS));
}

static void guest_ptr_checks_bounds(void)
{
	const u64 base = HARNESS_PHYS_BASE;
	const u64 end = base + HARNESS_ARENA_BYTES;
	char *first = shim_guest_ptr(base, HARNESS_ARENA_BYTES);

	CHECK(first != NULL);
	CHECK_PTR_EQ(phys_to_virt(base), first);
	CHECK_PTR_EQ(first + HARNESS_ARENA_BYTES - 8,
		     shim_guest_ptr(end - 8, 8));
	CHECK_PTR_EQ(NULL, shim_guest_ptr(end - 8, 9));
	CHECK_PTR_EQ(NULL, shim_guest_ptr(base, HARNESS_ARENA_BYTES + 1));
	CHECK_PTR_EQ(NULL, shim_guest_ptr(base - 1, 1));
	CHECK_PTR_EQ(NULL, shim_guest_ptr(end, 1));
	/* A length that would wrap the address space. */
	CHECK_PTR_EQ(NULL, shim_guest_ptr(base + 8, SIZE_MAX));
	CHECK_PTR_EQ(NULL, shim_guest_ptr(UINT64_MAX, 2));
	CHECK(shim_guest_range_ok(base, HARNESS_ARENA_BYTES));
	CHECK(shim_guest_range_ok(end - 1, 1));
	CHECK(!shim_guest_range_ok(end - 1, 2));
	CHECK(!shim_guest_range_ok(base - 4096, 4097));
}

/* --- layout -------------------------------------------------------------- */

static void size_classes_and_redzones(void)
{
	void *a = kmalloc(16, GFP_KERNEL); /* 16 + 16 redzone: 32 bytes */
	void *b = kmalloc(17, GFP_KERNEL); /* 33 bytes needed: 64 */
	void *c = kmalloc(17, GFP_KERNEL);
	void *d = kmalloc(16, GFP_KERNEL);
	void *e = kmalloc(16, GFP_KERNEL);
	void *f = kmalloc(4096, GFP_KERNEL); /* 4112 bytes needed: 8 KiB */

	CHECK_EQ(0, off_of(a));
	/* b is 64-aligned: the 32 bytes at 32 are skipped, kept for later. */
	CHECK_EQ(64, off_of(b));
	CHECK_EQ(128, off_of(c));
	CHECK_EQ(32, off_of(d));
	CHECK_EQ(192, off_of(e));
	CHECK_EQ(4096, off_of(f));
	CHECK_EQ(4096 + 8192, stats_now().high_water);
	kfree(a);
	kfree(b);
	kfree(c);
	kfree(d);
	kfree(e);
	kfree(f);
}

static void zero_size_gets_a_block(void)
{
	void *a = kmalloc(0, GFP_KERNEL);
	void *b = kmalloc(0, GFP_KERNEL);

	CHECK(a != NULL);
	CHECK(b != NULL);
	CHECK(a != b);
	CHECK_EQ(32, off_of(b) - off_of(a));
	CHECK_EQ(0, stats_now().live_bytes);
	CHECK_EQ(2, stats_now().live_blocks);
#if TEST_ASAN
	/* Not one byte of it may be used. */
	CHECK_EQ(1, __asan_address_is_poisoned(a));
#endif
	kfree(a);
	kfree(b);
	CHECK_EQ(0, stats_now().live_blocks);
}

static void pages_are_page_aligned(void)
{
	static const size_t sizes[] = { 1, 4096, 5000, 3 * 4096 + 1, 0, 70000 };
	void *pages[sizeof(sizes) / sizeof(sizes[0])];
	void *small[sizeof(sizes) / sizeof(sizes[0])];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* Small blocks in between knock the bump pointer off. */
		small[i] = kmalloc(24, GFP_KERNEL);
		pages[i] = alloc_pages_exact(sizes[i], GFP_KERNEL);
		CHECK(small[i] != NULL);
		CHECK(pages[i] != NULL);
		CHECK_EQ(0, (uintptr_t)pages[i] % PAGE_SIZE);
		CHECK_EQ(0, virt_to_phys(pages[i]) % PAGE_SIZE);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		free_pages_exact(pages[i], sizes[i]);
		kfree(small[i]);
	}
	CHECK_EQ(0, stats_now().live_blocks);
	CHECK_EQ(0, stats_now().live_bytes);
}

static void alignment_gaps_are_reused(void)
{
	void *a = kmalloc(16, GFP_KERNEL);
	void *pg = alloc_pages_exact(4096, GFP_KERNEL);
	void *b, *c, *d, *e;

	CHECK_EQ(0, off_of(a));
	/* 4096 + redzone: an 8 KiB block, page aligned, above a gap. */
	CHECK_EQ(4096, off_of(pg));
	CHECK_EQ(4096 + 8192, stats_now().high_water);
	/* The gap [32, 4096) was cut into 32, 64, ..., 2048-byte blocks. */
	b = kmalloc(16, GFP_KERNEL);
	c = kmalloc(1000, GFP_KERNEL);
	d = kmalloc(2000, GFP_KERNEL);
	e = kmalloc(16, GFP_KERNEL);
	CHECK_EQ(32, off_of(b));
	CHECK_EQ(1024, off_of(c));
	CHECK_EQ(2048, off_of(d));
	CHECK_EQ(4096 + 8192, off_of(e)); /* that class's gap block is used */
	CHECK_EQ(4096 + 8192 + 32, stats_now().high_water);
	kfree(a);
	kfree(b);
	kfree(c);
	kfree(d);
	kfree(e);
	free_pages_exact(pg, 4096);
}

/* --- contents ------------------------------------------------------------ */

static void fresh_kmalloc_is_5a(void)
{
	unsigned char *p = kmalloc(77, GFP_KERNEL);
	unsigned char *q;

	CHECK(p != NULL);
	CHECK(all_bytes(p, 0x5a, 77));
	memset(p, 0x11, 77);
	kfree(p);
	/* Reused, the block is filled afresh: old contents never show. */
	q = kmalloc(77, GFP_ATOMIC);
	CHECK_PTR_EQ(p, q);
	CHECK(all_bytes(q, 0x5a, 77));
	kfree(q);
}

static void kzalloc_zeroes_a_reused_block(void)
{
	unsigned char *p = kmalloc(100, GFP_KERNEL);
	unsigned char *q, *r;

	memset(p, 0xff, 100);
	kfree(p);
	q = kzalloc(100, GFP_KERNEL);
	CHECK_PTR_EQ(p, q);
	CHECK(all_bytes(q, 0, 100));
	r = kcalloc(10, 30, GFP_KERNEL);
	CHECK(r != NULL);
	CHECK(all_bytes(r, 0, 300));
	kfree(q);
	kfree(r);
}

static void reuse_is_lifo_per_class(void)
{
	void *a = kmalloc(40, GFP_KERNEL); /* 64-byte class */
	void *b = kmalloc(40, GFP_KERNEL);
	void *small;

	kfree(a);
	kfree(b);
	/* Another class does not take them. */
	small = kmalloc(10, GFP_KERNEL);
	CHECK(small != a);
	CHECK(small != b);
	CHECK_PTR_EQ(b, kmalloc(40, GFP_KERNEL));
	CHECK_PTR_EQ(a, kmalloc(40, GFP_KERNEL));
	kfree(a);
	kfree(b);
	kfree(small);
}

static void freed_block_is_poisoned(void)
{
	unsigned char *p = kmalloc(40, GFP_KERNEL);

	CHECK(p != NULL);
#if TEST_ASAN
	CHECK_EQ(0, __asan_address_is_poisoned(p));
	CHECK_EQ(0, __asan_address_is_poisoned(p + 39));
	/* The 24 bytes after the payload are the redzone. */
	CHECK_EQ(1, __asan_address_is_poisoned(p + 40));
	CHECK_EQ(1, __asan_address_is_poisoned(p + 63));
	kfree(p);
	CHECK_EQ(1, __asan_address_is_poisoned(p));
	CHECK_EQ(1, __asan_address_is_poisoned(p + 39));
#else
	kfree(p);
	/* Arena memory stays mapped: reading it here is not undefined. */
	CHECK(all_bytes(p, 0x6b, 64));
#endif
}

static void pages_payload_is_whole_pages(void)
{
	unsigned char *p = alloc_pages_exact(100, GFP_KERNEL | __GFP_ZERO);

	CHECK(p != NULL);
	/* As in Linux, all of the page is the caller's. */
	CHECK(all_bytes(p, 0, PAGE_SIZE));
	memset(p, 0x33, PAGE_SIZE);
	CHECK_EQ(PAGE_SIZE, stats_now().live_bytes);
#if TEST_ASAN
	CHECK_EQ(1, __asan_address_is_poisoned(p + PAGE_SIZE));
#endif
	free_pages_exact(p, 100);
	CHECK_EQ(0, stats_now().live_bytes);
}

/* --- determinism --------------------------------------------------------- */

#define SEQUENCE_STEPS 64

/* A fixed mix of sizes, frees and pages; records every guest address. */
static void run_sequence(u64 out[SEQUENCE_STEPS])
{
	void *held[SEQUENCE_STEPS] = { 0 };
	size_t sizes[SEQUENCE_STEPS];
	unsigned int i;

	for (i = 0; i < SEQUENCE_STEPS; i++) {
		sizes[i] = (i * 37u) % 700u;
		if (i % 8 == 7)
			held[i] = alloc_pages_exact(i * 100u, GFP_KERNEL);
		else
			held[i] = kmalloc(sizes[i], GFP_KERNEL);
		CHECK(held[i] != NULL);
		out[i] = virt_to_phys(held[i]);
		if (i % 3 == 2 && i % 8 != 7) {
			kfree(held[i - 1 - (i % 8 == 0)]);
			held[i - 1 - (i % 8 == 0)] = NULL;
		}
	}
	for (i = 0; i < SEQUENCE_STEPS; i++) {
		if (i % 8 == 7)
			free_pages_exact(held[i], i * 100u);
		else
			kfree(held[i]);
	}
}

static unsigned int repeats(const u64 addr[SEQUENCE_STEPS])
{
	unsigned int i, j, n = 0;

	for (i = 0; i < SEQUENCE_STEPS; i++)
		for (j = 0; j < i; j++)
			n += addr[i] == addr[j];
	return n;
}

static void same_calls_same_addresses(void)
{
	u64 first[SEQUENCE_STEPS], again[SEQUENCE_STEPS];
	u64 fresh[SEQUENCE_STEPS];
	struct shim_arena_stats s1, s2;
	unsigned int i;

	run_sequence(first);
	s1 = stats_now();
	CHECK_EQ(0, s1.live_blocks);
	shim_arena_reset();
	run_sequence(again);
	s2 = stats_now();
	CHECK_EQ(s1.high_water, s2.high_water);
	CHECK_EQ(s1.total_allocs, s2.total_allocs);
	CHECK(shim_arena_create(HARNESS_ARENA_BYTES, HARNESS_PHYS_BASE) == 0);
	run_sequence(fresh);
	for (i = 0; i < SEQUENCE_STEPS; i++) {
		CHECK_EQ(first[i], again[i]);
		CHECK_EQ(first[i], fresh[i]);
	}
	/* Freed blocks were reused, or the test would prove little. */
	CHECK(repeats(first) > 0);
}

/* --- failure ------------------------------------------------------------- */

struct refusal {
	unsigned int calls;
	unsigned int refuse_at; /* 1-based */
	size_t size;		/* of the refused call */
	gfp_t flags;
};

static bool refuse_nth(void *ctx, size_t size, gfp_t flags)
{
	struct refusal *r = ctx;

	if (++r->calls != r->refuse_at)
		return false;
	r->size = size;
	r->flags = flags;
	return true;
}

static void fail_hook_refuses_the_nth(void)
{
	struct refusal r = { .refuse_at = 3 };
	void *p[5];
	unsigned int i;

	shim_set_alloc_fail_hook(refuse_nth, &r);
	for (i = 0; i < 5; i++)
		p[i] = kmalloc(8 + i, i == 2 ? GFP_ATOMIC : GFP_KERNEL);
	CHECK_EQ(5, r.calls);
	CHECK(p[0] && p[1] && p[3] && p[4]);
	CHECK_PTR_EQ(NULL, p[2]);
	CHECK_EQ(10, r.size);
	CHECK_EQ(GFP_ATOMIC, r.flags);
	/* A refusal takes nothing: the next call gets the next address. */
	CHECK_EQ(64, off_of(p[3]));
	CHECK_EQ(1, stats_now().failed_allocs);
	CHECK_EQ(4, stats_now().total_allocs);
	shim_set_alloc_fail_hook(NULL, NULL);
	CHECK(p[2] = kmalloc(8, GFP_KERNEL));
	CHECK_EQ(5, r.calls);
	for (i = 0; i < 5; i++)
		kfree(p[i]);
}

static void fail_hook_sees_pages(void)
{
	struct refusal r = { .refuse_at = 1 };

	shim_set_alloc_fail_hook(refuse_nth, &r);
	CHECK_PTR_EQ(NULL, alloc_pages_exact(5000, GFP_KERNEL | __GFP_ZERO));
	CHECK_EQ(5000, r.size);
	CHECK_EQ(GFP_KERNEL | __GFP_ZERO, r.flags);
	CHECK_EQ(1, stats_now().failed_allocs);
	CHECK_EQ(0, stats_now().high_water);
}

static void exhaustion_returns_null(void)
{
	enum { MIB = 1 << 20 };
	void *blocks[HARNESS_ARENA_BYTES / (2 * MIB) + 1];
	unsigned int n = 0, i;

	/* 1 MiB + redzone takes a 2 MiB block: exactly 32 fit in 64 MiB. */
	while (n < sizeof(blocks) / sizeof(blocks[0])) {
		blocks[n] = kmalloc(MIB, GFP_KERNEL);
		if (!blocks[n])
			break;
		n++;
	}
	CHECK_EQ(HARNESS_ARENA_BYTES / (2 * MIB), n);
	CHECK_EQ(1, stats_now().failed_allocs);
	CHECK_PTR_EQ(NULL, kmalloc(1, GFP_KERNEL));
	CHECK_EQ(2, stats_now().failed_allocs);
	/* Freeing one makes room for one again. */
	kfree(blocks[5]);
	CHECK_PTR_EQ(blocks[5], kmalloc(MIB, GFP_KERNEL));
	for (i = 0; i < n; i++)
		kfree(blocks[i]);
	CHECK_EQ(0, stats_now().live_blocks);
}

static void oversized_requests_fail(void)
{
	void *whole;

	CHECK_PTR_EQ(NULL, kmalloc(SIZE_MAX, GFP_KERNEL));
	CHECK_PTR_EQ(NULL, kmalloc(SIZE_MAX - 15, GFP_KERNEL));
	CHECK_PTR_EQ(NULL, alloc_pages_exact(SIZE_MAX - 100, GFP_KERNEL));
	CHECK_PTR_EQ(NULL, kmalloc(HARNESS_ARENA_BYTES, GFP_KERNEL));
	CHECK_EQ(4, stats_now().failed_allocs);
	/* kmalloc_array catches the multiplication before any allocation. */
	CHECK_PTR_EQ(NULL, kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	CHECK_EQ(4, stats_now().failed_allocs);
	/* The largest request that fits takes the whole arena. */
	whole = kmalloc(HARNESS_ARENA_BYTES - 16, GFP_KERNEL);
	CHECK(whole != NULL);
	CHECK_EQ(0, off_of(whole));
	CHECK_PTR_EQ(NULL, kmalloc(0, GFP_KERNEL));
	kfree(whole);
	CHECK_EQ(0, stats_now().total_allocs - 1);
}

static void bad_frees_warn(void)
{
	char *p = kmalloc(64, GFP_KERNEL);
	int local = 0;

	kfree(NULL);
	free_pages_exact(NULL, 4096);
	EXPECT_WARNS(0);
	kfree(p + 16); /* inside a live block, on a granule */
	EXPECT_WARNS(1);
	kfree(p + 1);
	EXPECT_WARNS(1);
	kfree(&local);
	EXPECT_WARNS(1);
	CHECK_EQ(1, stats_now().live_blocks);
	kfree(p);
	kfree(p); /* double free */
	EXPECT_WARNS(1);
	CHECK_EQ(0, stats_now().live_blocks);
	/* The double free did not put the block on its list twice. */
	CHECK_PTR_EQ(p, kmalloc(64, GFP_KERNEL));
	CHECK(kmalloc(64, GFP_KERNEL) != p);
}

static void mismatched_frees_warn(void)
{
	void *pg = alloc_pages_exact(5000, GFP_KERNEL);
	void *pg2 = alloc_pages_exact(5000, GFP_KERNEL);
	void *km = kmalloc(5000, GFP_KERNEL);

	free_pages_exact(pg, 3 * PAGE_SIZE); /* allocated as 2 pages */
	EXPECT_WARNS(1);
	kfree(pg2);
	EXPECT_WARNS(1);
	free_pages_exact(km, 5000);
	EXPECT_WARNS(1);
	/* Each was still freed: the WARN is the report, not a leak. */
	CHECK_EQ(0, stats_now().live_blocks);
	/* The same size in pages, 4097 .. 8192, is fine. */
	pg = alloc_pages_exact(5000, GFP_KERNEL);
	free_pages_exact(pg, 8192);
}

/* --- stats and reset ----------------------------------------------------- */

static void stats_count_live_blocks(void)
{
	void *a = kmalloc(10, GFP_KERNEL);
	void *b = kmalloc(100, GFP_KERNEL);
	void *c = alloc_pages_exact(5000, GFP_KERNEL);
	struct shim_arena_stats s = stats_now();

	CHECK_EQ(HARNESS_ARENA_BYTES, s.size);
	CHECK_EQ(3, s.live_blocks);
	CHECK_EQ(10 + 100 + 8192, s.live_bytes);
	CHECK_EQ(3, s.total_allocs);
	CHECK_EQ(0, s.failed_allocs);
	kfree(a);
	kfree(b);
	free_pages_exact(c, 5000);
	s = stats_now();
	CHECK_EQ(0, s.live_blocks);
	CHECK_EQ(0, s.live_bytes);
	CHECK_EQ(3, s.total_allocs);
	/* Carved memory stays carved. */
	CHECK_EQ(4096 + 16384, s.high_water);
}

static void reset_forgets_and_restores(void)
{
	unsigned char *a = kmalloc(4000, GFP_KERNEL);
	unsigned char *b = kmalloc(8, GFP_KERNEL);
	struct shim_arena_stats s;

	memset(a, 0xee, 4000);
	shim_arena_reset();
	s = stats_now();
	CHECK_EQ(0, s.live_blocks);
	CHECK_EQ(0, s.total_allocs);
	CHECK_EQ(0, s.high_water);
	CHECK_EQ(HARNESS_ARENA_BYTES, s.size);
	CHECK_EQ(HARNESS_PHYS_BASE, s.phys_base);
	/* b is no block any more. */
	kfree(b);
	EXPECT_WARNS(1);
#if TEST_ASAN
	CHECK_EQ(1, __asan_address_is_poisoned(a));
#else
	/* What was carved reads as in a fresh arena (zeroes). */
	CHECK(all_bytes(a, 0, 8192));
#endif
	/* Allocation starts over at offset 0. */
	CHECK_PTR_EQ(a, kmalloc(8, GFP_KERNEL));
}

static void reset_without_arena_does_nothing(void)
{
	shim_arena_destroy();
	shim_arena_reset();
	CHECK_EQ(0, stats_now().size);
}

/* --- identity mode and set-up -------------------------------------------- */

static void identity_translates_stack_memory(void)
{
	int local = 0;
	char *p;

	CHECK_EQ(0, shim_arena_create(1 << 20, SHIM_PHYS_IDENTITY));
	CHECK(stats_now().identity);
	p = kmalloc(32, GFP_KERNEL);
	CHECK(p != NULL);
	CHECK_EQ((uintptr_t)p, virt_to_phys(p));
	CHECK_EQ(stats_now().phys_base, virt_to_phys(p));
	/* Outside the arena an address is its own guest address. */
	CHECK_EQ((uintptr_t)&local, virt_to_phys(&local));
	CHECK_PTR_EQ(&local, phys_to_virt((uintptr_t)&local));
	CHECK(virt_addr_valid(&local));
	CHECK(!virt_addr_valid(NULL));
	/* The device's view is still the arena only. */
	CHECK_PTR_EQ(NULL, shim_guest_ptr((uintptr_t)&local, sizeof(local)));
	CHECK_PTR_EQ(p, shim_guest_ptr((uintptr_t)p, 32));
	kfree(p);
}

static void default_arena_is_lazy(void)
{
	int local = 0;
	void *p;

	shim_arena_destroy();
	CHECK_EQ(0, stats_now().size);
	/* A translation is enough to make the default arena. */
	CHECK_EQ((uintptr_t)&local, virt_to_phys(&local));
	CHECK_EQ(SHIM_DEFAULT_ARENA_BYTES, stats_now().size);
	CHECK(stats_now().identity);
	p = kmalloc(100, GFP_KERNEL);
	CHECK(p != NULL);
	CHECK_EQ((uintptr_t)p, virt_to_phys(p));
	CHECK_EQ(stats_now().phys_base, virt_to_phys(p));
	kfree(p);
	/* And so is an allocation. */
	shim_arena_destroy();
	p = kzalloc(10, GFP_KERNEL);
	CHECK(p != NULL);
	CHECK_EQ(SHIM_DEFAULT_ARENA_BYTES, stats_now().size);
	kfree(p);
}

static void create_validates(void)
{
	CHECK_EQ(-EINVAL, shim_arena_create(0, 0));
	CHECK_EQ(-EINVAL, shim_arena_create(4097, 0));
	CHECK_EQ(-EINVAL, shim_arena_create(4096, 0x1001));
	CHECK_EQ(-EINVAL, shim_arena_create(8192, UINT64_MAX & PAGE_MASK));
	/* A failure leaves the arena in place. */
	CHECK_EQ(HARNESS_PHYS_BASE, stats_now().phys_base);
	CHECK_EQ(0, shim_arena_create(8192, 0));
	CHECK_EQ(0, stats_now().phys_base);
	CHECK_EQ(8192, stats_now().size);
	CHECK(kmalloc(100, GFP_KERNEL) != NULL);
	CHECK_EQ(0, virt_to_phys(phys_to_virt(0)));
}

enum { CALLER_BYTES = 64 * 1024 };

/* Once the arena is gone its memory must be addressable again: the caller
 * may reuse or free it. Written and read back, so the stores stay. */
static bool caller_memory_is_back(unsigned char *mem)
{
#if TEST_ASAN
	if (__asan_region_is_poisoned(mem, CALLER_BYTES) != NULL)
		return false;
#endif
	memset(mem, 0x77, CALLER_BYTES);
	return all_bytes(mem, 0x77, CALLER_BYTES);
}

static void init_uses_caller_memory(void)
{
	unsigned char *mem = aligned_alloc(PAGE_SIZE, CALLER_BYTES);
	void *old = kmalloc(8, GFP_KERNEL);
	char *p;

	CHECK(mem != NULL && old != NULL);
	CHECK_EQ(0, shim_arena_init(mem, CALLER_BYTES, 0x40000000));
	/* The old arena and its blocks are gone. */
	CHECK_EQ(0, stats_now().live_blocks);
	CHECK_EQ(CALLER_BYTES, stats_now().size);
	p = kmalloc(8, GFP_KERNEL);
	CHECK_PTR_EQ(mem, p);
	CHECK_EQ(0x40000000, virt_to_phys(p));
	CHECK_PTR_EQ(mem + CALLER_BYTES - 1,
		     phys_to_virt(0x40000000 + CALLER_BYTES - 1));
	shim_arena_destroy();
	CHECK(caller_memory_is_back(mem));
	free(mem);
}

static void init_validates(void)
{
	unsigned char *mem = aligned_alloc(PAGE_SIZE, CALLER_BYTES);

	CHECK(mem != NULL);
	CHECK_EQ(-EINVAL, shim_arena_init(NULL, CALLER_BYTES, 0));
	CHECK_EQ(-EINVAL, shim_arena_init(mem + 16, CALLER_BYTES - 4096, 0));
	CHECK_EQ(-EINVAL, shim_arena_init(mem, CALLER_BYTES - 1, 0));
	CHECK_EQ(-EINVAL, shim_arena_init(mem, 0, 0));
	CHECK_EQ(-EINVAL, shim_arena_init(mem, CALLER_BYTES, 0x1800));
	CHECK_EQ(-EINVAL,
		 shim_arena_init(mem, CALLER_BYTES, UINT64_MAX & PAGE_MASK));
	CHECK_EQ(-EINVAL, shim_arena_init_identity(mem + 8, 4096));
	/* Nothing changed: the harness's arena is still configured. */
	CHECK_EQ(HARNESS_PHYS_BASE, stats_now().phys_base);
	free(mem);
}

static void init_identity_uses_caller_memory(void)
{
	unsigned char *mem = aligned_alloc(PAGE_SIZE, CALLER_BYTES);
	int local = 0;
	void *p;

	CHECK(mem != NULL);
	CHECK_EQ(0, shim_arena_init_identity(mem, CALLER_BYTES));
	CHECK(stats_now().identity);
	CHECK_EQ((uintptr_t)mem, stats_now().phys_base);
	p = kmalloc(8, GFP_KERNEL);
	CHECK_PTR_EQ(mem, p);
	CHECK_EQ((uintptr_t)p, virt_to_phys(p));
	CHECK_EQ((uintptr_t)&local, virt_to_phys(&local));
	/* Re-initialising forgets the earlier arena and hands it back. */
	CHECK_EQ(0, shim_arena_create(HARNESS_ARENA_BYTES, HARNESS_PHYS_BASE));
	CHECK(caller_memory_is_back(mem));
	free(mem);
}

HARNESS_MAIN(TESTS)
