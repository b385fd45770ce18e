/*
 * fuzz_shim.c - target "shim": the kernel services under the ring
 * (ring/shim/arena.c and report.c, dev_set_name of driver_core.c) driven
 * directly by the input, against a model of what ringside/shim.h and the
 * linux/ headers promise.
 *
 * What it does. An input starts with no arena configured, or with the
 * target's own buffer as the arena (its first byte says). A program of
 * operations (fuzz_ops.h, enum shim_op) then sets up arenas, valid and
 * not (shim_arena_init on a page-aligned buffer of the target,
 * shim_arena_init_identity, shim_arena_create with a phys_base or in
 * identity mode, sizes and bases from the input: zero, not a page
 * multiple, misaligned, wrapping, too large to map), resets and destroys
 * them, or lets the first use create the default arena; allocates with
 * kmalloc, kzalloc, kcalloc (overflowing products too) and
 * alloc_pages_exact (sizes from 0 to beyond any class) into up to
 * SHIM_SLOTS live blocks and frees them with kfree or free_pages_exact;
 * installs the allocation-failure hook with a failure pattern; translates
 * addresses inside, outside and at the edges of the arena (virt_to_phys,
 * phys_to_virt, virt_addr_valid, shim_guest_ptr, shim_guest_range_ok);
 * prints through printk, every KERN level, the pr_* and dev_* helpers and
 * dev_printk (a NULL level or device, a message that cannot be formatted,
 * one longer than the buffer), through a recording log hook or the
 * default one (stderr, captured in a temporary file); and reports WARNs
 * and BUGs (WARN_ON, WARN, WARN_ON_ONCE, BUG_ON, BUG, NULL file and text)
 * through a recording report hook or the default one; a BUG's hook
 * longjmps out, as shim.h allows, instead of letting it abort. Documented
 * misuse (a kfree or free_pages_exact of what is no live block, of the
 * other kind, with the wrong size, a double free, virt_to_phys outside a
 * non-identity arena) is announced with fuzz_expect_warn (fuzz_common.h
 * note 3) and must be refused with exactly one WARN.
 *
 * Input layout: a header byte (0: start without an arena; else with the
 * target's buffer as the arena, identity mode when bit 7 is set), then a
 * sequence of operations, one byte (mod SHIM_OP_COUNT) and its arguments (the shim_op_* functions); every read is 0 once the input
 * runs out. At most SHIM_OPS_MAX operations, and at most one default
 * arena (slow to map under ASan): one destroy if the input started with
 * an arena, none otherwise (the op does nothing then); at the end every
 * live block is freed and the arena destroyed.
 *
 * What makes it abort (fuzz_common.h note 2), by oracle name:
 *   arena-stats   shim_arena_get_stats disagrees with the model (live
 *                 blocks and bytes, successful and failed allocations,
 *                 size, phys_base, identity, high water above the size),
 *                 or a set-up call returned other than documented (0,
 *                 -EINVAL, -ENOMEM) or changed the arena when it failed
 *   alloc         an allocation outside the arena, misaligned (a block of
 *                 2^c bytes is aligned to min(2^c, PAGE_SIZE), pages to
 *                 a page), overlapping a live block, not filled (0x5a,
 *                 or zero with __GFP_ZERO), refused while the hook
 *                 allowed it and a fresh block of its class would fit,
 *                 handed out while the hook refused it, not at the
 *                 arena's start as the first block of a fresh or reset
 *                 arena (determinism), or a hook not asked exactly once
 *                 per call
 *   poison        (AddressSanitizer builds) a live payload not
 *                 addressable, the byte after it or a freed block
 *                 addressable; (other builds) a freed block not filled
 *                 with 0x6b; a live payload the target wrote changed
 *   translate     a translation disagrees with linux/io.h and shim.h
 *   printk        the log hook got another level or text than the
 *                 formatted message implies (level prefix, trailing
 *                 newline, truncation, dev_* names), printk returned
 *                 another length, or the default hook printed what it
 *                 should not
 *   report        a WARN or BUG reached the hook with another kind, file,
 *                 line or text, was counted wrongly, or the default
 *                 hook printed something else
 *   warn, misuse  a WARN or BUG that no misuse announced, or announced
 *                 misuse that was not refused
 */
#define _POSIX_C_SOURCE 200809L /* ftruncate, pread */

#include "fuzz_common.h"
#include "fuzz_ops.h"

#include <linux/bug.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <ringside/shim.h>

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#if defined(__SANITIZE_ADDRESS__)
#define SHIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHIM_ASAN 1
#endif
#endif
#ifndef SHIM_ASAN
#define SHIM_ASAN 0
#endif
#if SHIM_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define SHIM_SLOTS 32
#define SHIM_OPS_MAX 512
#define SHIM_MEM_BYTES (1u << 20) /* the target's own arena memory */
#define SHIM_CREATE_PAGES 1024u	  /* created arenas: up to 4 MiB */
#define SHIM_CHECK_BYTES 65536u	  /* contents checked of a payload */
#define SHIM_TEXT_BYTES 4096u
/* As report.c: the buffer of one message, the default level and the
 * highest level the default hook prints. */
#define SHIM_PRINTK_BYTES 1024u
#define SHIM_DEFAULT_LEVEL 4
#define SHIM_CONSOLE_LEVEL 4
/* As arena.c note 1: blocks of 2^c bytes, c in [5, 48), a 16-byte
 * redzone after each payload. */
#define SHIM_MIN_CLASS 5u
#define SHIM_CLASSES 48u
#define SHIM_REDZONE 16u

const char fuzz_target_name[] = "shim";

enum shim_arena_kind { KIND_NONE = 0, KIND_OURS, KIND_CREATED, KIND_DEFAULT };

struct shim_block {
	u8 *p;
	size_t size;	/* requested */
	size_t payload; /* addressable bytes */
	bool pages;	/* from alloc_pages_exact */
	bool live;
	u8 tag; /* the byte the target filled it with */
};

struct shim_model {
	struct fuzz_input in;
	enum shim_arena_kind kind;
	uintptr_t base;
	size_t size;
	u64 phys_base;
	bool identity;
	bool fresh; /* nothing allocated since set-up or reset */
	unsigned int destroys;
	size_t live_blocks, live_bytes;
	u64 total, failed;
	struct shim_block blocks[SHIM_SLOTS];
	u8 *freed; /* a block freed since, not handed out again, or NULL */
	/* The allocation-failure hook. */
	bool hook;
	u8 mask;
	unsigned int hook_calls;
	bool hook_failed;
	size_t hook_size;
	gfp_t hook_flags;
	/* The recording log hook. */
	unsigned int logs;
	int log_level;
	char log_text[SHIM_PRINTK_BYTES + 1];
};

static struct shim_model m;
static _Alignas(4096) u8 shim_mem[SHIM_MEM_BYTES];

/* --- hooks ---------------------------------------------------------------- */

static bool shim_fail_hook(void *ctx, size_t size, gfp_t flags)
{
	struct shim_model *s = ctx;

	s->hook_failed = (s->mask >> (s->hook_calls % 8)) & 1;
	s->hook_calls++;
	s->hook_size = size;
	s->hook_flags = flags;
	return s->hook_failed;
}

static void shim_log_hook(void *ctx, int level, const char *text)
{
	struct shim_model *s = ctx;

	s->logs++;
	s->log_level = level;
	snprintf(s->log_text, sizeof(s->log_text), "%s", text);
}

/* fuzz_common's report hook (announced WARNs only), our log hook and our
 * failure hook, if any. */
static void shim_hooks(void)
{
	fuzz_shim_begin();
	shim_set_log_hook(shim_log_hook, &m);
	shim_set_alloc_fail_hook(m.hook ? shim_fail_hook : NULL, &m);
}

/* --- stderr, captured for the default hooks ------------------------------- */

static int shim_cap_fd = -1, shim_saved_fd = -1;

static void shim_capture_begin(void)
{
	fflush(stderr);
	if (shim_cap_fd < 0) {
		FILE *f = tmpfile();

		if (!f)
			fuzz_finding("setup", "no temporary file for stderr");
		shim_cap_fd = dup(fileno(f));
		shim_saved_fd = dup(STDERR_FILENO);
		fclose(f);
		if (shim_cap_fd < 0 || shim_saved_fd < 0)
			fuzz_finding("setup", "cannot duplicate stderr");
	}
	if (ftruncate(shim_cap_fd, 0) != 0 ||
	    lseek(shim_cap_fd, 0, SEEK_SET) != 0 ||
	    dup2(shim_cap_fd, STDERR_FILENO) < 0)
		fuzz_finding("setup", "cannot capture stderr");
}

/* What went to stderr since shim_capture_begin; stderr is back. */
static const char *shim_capture_end(void)
{
	static char buf[SHIM_TEXT_BYTES + 64];
	ssize_t n;

	fflush(stderr);
	if (dup2(shim_saved_fd, STDERR_FILENO) < 0)
		fuzz_finding("setup", "cannot restore stderr");
	n = pread(shim_cap_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* --- the arena model ------------------------------------------------------ */

static void shim_forget_blocks(void)
{
	memset(m.blocks, 0, sizeof(m.blocks));
	m.freed = NULL;
	m.live_blocks = 0;
	m.live_bytes = 0;
	m.total = 0;
	m.failed = 0;
	m.fresh = true;
}

static void shim_check_stats(const char *when)
{
	struct shim_arena_stats st;

	shim_arena_get_stats(&st);
	if (m.kind == KIND_NONE) {
		if (st.size || st.high_water || st.live_blocks ||
		    st.live_bytes || st.total_allocs || st.failed_allocs ||
		    st.phys_base || st.identity)
			fuzz_finding("arena-stats",
				     "%s: stats without an arena are not zero",
				     when);
		return;
	}
	if (st.size != m.size || st.phys_base != m.phys_base ||
	    st.identity != m.identity)
		fuzz_finding("arena-stats",
			     "%s: arena %zu bytes at %#llx%s, want %zu at "
			     "%#llx%s",
			     when, st.size, (unsigned long long)st.phys_base,
			     st.identity ? " (identity)" : "", m.size,
			     (unsigned long long)m.phys_base,
			     m.identity ? " (identity)" : "");
	if (st.live_blocks != m.live_blocks || st.live_bytes != m.live_bytes ||
	    st.total_allocs != m.total || st.failed_allocs != m.failed)
		fuzz_finding("arena-stats",
			     "%s: live %zu blocks %zu bytes, %llu allocs, %llu "
			     "failed; want %zu, %zu, %llu, %llu",
			     when, st.live_blocks, st.live_bytes,
			     (unsigned long long)st.total_allocs,
			     (unsigned long long)st.failed_allocs,
			     m.live_blocks, m.live_bytes,
			     (unsigned long long)m.total,
			     (unsigned long long)m.failed);
	if (st.high_water > st.size)
		fuzz_finding("arena-stats", "%s: high water %zu above %zu",
			     when, st.high_water, st.size);
}

/* After a call that may have created the default arena (shim.h: "the
 * first allocation creates a default one"; translation too, linux/io.h). */
static void shim_default_created(void)
{
	struct shim_arena_stats st;

	if (m.kind != KIND_NONE)
		return;
	shim_arena_get_stats(&st);
	if (st.size != SHIM_DEFAULT_ARENA_BYTES || !st.identity)
		fuzz_finding("arena-stats",
			     "the default arena: %zu bytes%s, want %u identity",
			     st.size, st.identity ? " identity" : "",
			     SHIM_DEFAULT_ARENA_BYTES);
	m.kind = KIND_DEFAULT;
	m.size = st.size;
	m.phys_base = st.phys_base;
	m.identity = true;
	m.base = (uintptr_t)shim_guest_ptr(st.phys_base, 0);
	if (m.base != st.phys_base)
		fuzz_finding("translate", "identity arena at %#llx maps to %p",
			     (unsigned long long)st.phys_base, (void *)m.base);
	shim_forget_blocks();
}

/* Returns 0 or -EINVAL as arena_size_ok does (shim.h). */
static bool shim_size_ok(size_t size, u64 phys_base)
{
	return size != 0 && size % PAGE_SIZE == 0 &&
	       phys_base % PAGE_SIZE == 0 && phys_base <= UINT64_MAX - size;
}

/* A set-up call returned err: the model follows a success, a failure must
 * leave everything as it was. */
static void shim_setup_result(int err, int want, enum shim_arena_kind kind,
			      size_t size, u64 phys_base, bool identity)
{
	struct shim_arena_stats st;

	if (err != want && !(want == 0 && err == -ENOMEM))
		fuzz_finding("arena-stats", "set-up returned %d, want %d", err,
			     want);
	if (err) {
		shim_check_stats("after a failed set-up");
		return;
	}
	shim_arena_get_stats(&st);
	m.kind = kind;
	m.size = size;
	m.identity = identity;
	m.phys_base = identity ? st.phys_base : phys_base;
	m.base = (uintptr_t)shim_guest_ptr(m.phys_base, 0);
	if (!m.base || (kind == KIND_OURS && m.base != (uintptr_t)shim_mem))
		fuzz_finding("translate", "the arena's start maps to %p",
			     (void *)m.base);
	if (identity && m.base != m.phys_base)
		fuzz_finding("translate", "identity arena at %p has phys %#llx",
			     (void *)m.base, (unsigned long long)m.phys_base);
	if (m.base % PAGE_SIZE)
		fuzz_finding("alloc", "arena at %p is not page aligned",
			     (void *)m.base);
	shim_forget_blocks();
	shim_check_stats("after set-up");
}

static u64 shim_phys_arg(u32 page, u8 how)
{
	switch (how & 3) {
	case 0:
		return (u64)page << PAGE_SHIFT;
	case 1:
		return (u64)page << 32; /* far above 4 GiB */
	case 2:
		return FUZZ_PHYS_BASE;
	default:
		return 0;
	}
}

/*
 * Args: how (bit 0: identity; bits 1-2: phys kind; bits 3-5: what is
 * wrong: nothing, NULL memory, misaligned memory, size 0, a size that is
 * no page multiple, a misaligned phys_base, a phys_base that wraps), the
 * size in pages (0: the whole buffer), the phys page.
 */
static void shim_op_init(void)
{
	u8 how = fuzz_u8(&m.in);
	unsigned int pages = fuzz_u8(&m.in);
	u32 page = fuzz_u32(&m.in);
	bool identity = how & 1;
	u8 *mem = shim_mem;
	size_t size = (pages ? pages : SHIM_MEM_BYTES / PAGE_SIZE) * PAGE_SIZE;
	u64 phys = shim_phys_arg(page, how >> 1);
	int err, want;

	switch ((how >> 3) & 7) {
	case 1:
		mem = NULL;
		break;
	case 2:
		mem += 16 << (how >> 6);
		size -= PAGE_SIZE; /* stays inside the buffer */
		break;
	case 3:
		size = 0;
		break;
	case 4:
		size -= 1 + (how >> 6);
		break;
	case 5:
		phys += 512;
		break;
	case 6:
		phys = (UINT64_MAX & PAGE_MASK) - (how >> 6) * PAGE_SIZE;
		break;
	default:
		break;
	}
	if (identity) {
		want = mem && (uintptr_t)mem % PAGE_SIZE == 0 &&
				       shim_size_ok(size, (uintptr_t)mem)
			       ? 0
			       : -EINVAL;
		err = shim_arena_init_identity(mem, size);
	} else {
		want = mem && (uintptr_t)mem % PAGE_SIZE == 0 &&
				       shim_size_ok(size, phys)
			       ? 0
			       : -EINVAL;
		err = shim_arena_init(mem, size, phys);
	}
	shim_setup_result(err, want, KIND_OURS, size,
			  identity ? (uintptr_t)mem : phys, identity);
}

/* Args: how (bit 0: identity; bits 1-2: phys kind; bits 3-5: what is
 * wrong: nothing, size 0, no page multiple, misaligned phys_base, a
 * wrapping phys_base, a size no address space holds), pages, phys page. */
static void shim_op_create(void)
{
	u8 how = fuzz_u8(&m.in);
	unsigned int pages = 1u + fuzz_u16(&m.in) % SHIM_CREATE_PAGES;
	u32 page = fuzz_u32(&m.in);
	bool identity = how & 1;
	size_t size = (size_t)pages * PAGE_SIZE;
	u64 phys = shim_phys_arg(page, how >> 1);
	int err, want;

	switch ((how >> 3) & 7) {
	case 1:
		size = 0;
		break;
	case 2:
		size += 100;
		break;
	case 3:
		phys |= 8;
		break;
	case 4:
		phys = UINT64_MAX & PAGE_MASK;
		break;
	case 5:
		size = (size_t)1 << 60; /* valid, but never mappable */
		break;
	default:
		break;
	}
	want = shim_size_ok(size, identity ? 0 : phys) ? 0 : -EINVAL;
	if (want == 0 && size == (size_t)1 << 60)
		want = -ENOMEM;
	err = shim_arena_create(size, identity ? SHIM_PHYS_IDENTITY : phys);
	shim_setup_result(err, want, KIND_CREATED, size, phys, identity);
}

static void shim_op_reset(void)
{
	shim_arena_reset();
	if (m.kind != KIND_NONE)
		shim_forget_blocks();
	shim_check_stats("after reset");
}

static void shim_op_destroy(void)
{
	/* The next use maps a default arena of 256 MiB, which costs tens of
	 * milliseconds under ASan: at most one default arena an input (one
	 * destroy, none when the input started without an arena). */
	if (m.destroys++)
		return;
	shim_arena_destroy();
	m.kind = KIND_NONE;
	shim_forget_blocks();
	shim_check_stats("after destroy");
}

/* --- allocation ----------------------------------------------------------- */

/* The class of a payload (arena.c note 1), SHIM_CLASSES when none. */
static unsigned int shim_class_for(size_t payload, unsigned int min_class)
{
	unsigned int c = SHIM_MIN_CLASS;

	if (payload > SIZE_MAX - SHIM_REDZONE)
		return SHIM_CLASSES;
	while (c < SHIM_CLASSES && ((size_t)1 << c) < payload + SHIM_REDZONE)
		c++;
	return c > min_class ? c : min_class;
}

static size_t shim_size_arg(u8 cls, u32 v)
{
	switch (cls % 8) {
	case 0:
		return v % 65;
	case 1:
		return v % 4097;
	case 2:
		return v % (64u << 10);
	case 3:
		return v % (1u << 20);
	case 4:
		return (size_t)4 << 20; /* fills any arena but the default */
	case 5:
		return SIZE_MAX - v % 64;
	case 6:
		return (size_t)1 << (40 + v % 12); /* a class, but no room */
	default:
		return PAGE_SIZE * (1 + v % 8) - v % 2;
	}
}

static bool shim_poisoned(const void *p)
{
#if SHIM_ASAN
	return __asan_address_is_poisoned(p);
#else
	(void)p;
	return true;
#endif
}

/* The checks of a fresh block (see the oracle "alloc"). */
static void shim_check_new(const struct shim_block *b, unsigned int c,
			   bool zero)
{
	size_t block = (size_t)1 << c, align, i, n;
	uintptr_t p = (uintptr_t)b->p;
	u8 fill = zero ? 0 : 0x5a;
	unsigned int j;

	align = block < PAGE_SIZE ? block : PAGE_SIZE;
	if (p < m.base || p - m.base > m.size || block > m.size - (p - m.base))
		fuzz_finding("alloc", "block %p of %zu bytes outside the arena",
			     b->p, block);
	if (p % align)
		fuzz_finding("alloc", "block %p of %zu bytes not %zu-aligned",
			     b->p, block, align);
	if (m.fresh && p != m.base)
		fuzz_finding("alloc", "first block at %p, not the start %p",
			     b->p, (void *)m.base);
	for (j = 0; j < SHIM_SLOTS; j++) {
		const struct shim_block *o = &m.blocks[j];

		if (o->live && o != b && (uintptr_t)o->p < p + b->payload + 1 &&
		    p < (uintptr_t)o->p + o->payload + 1)
			fuzz_finding("alloc", "block %p overlaps block %p",
				     b->p, o->p);
	}
	if (SHIM_ASAN && b->payload &&
	    (shim_poisoned(b->p) || shim_poisoned(b->p + b->payload - 1)))
		fuzz_finding("poison", "payload %p of %zu bytes poisoned", b->p,
			     b->payload);
	if (SHIM_ASAN && !shim_poisoned(b->p + b->payload))
		fuzz_finding("poison", "the byte after %p + %zu addressable",
			     b->p, b->payload);
	n = b->payload < SHIM_CHECK_BYTES ? b->payload : SHIM_CHECK_BYTES;
	for (i = 0; i < n; i++)
		if (b->p[i] != fill)
			fuzz_finding("alloc", "fresh byte %zu of %p is %#x", i,
				     b->p, b->p[i]);
	if (b->payload && b->p[b->payload - 1] != fill)
		fuzz_finding("alloc", "last fresh byte of %p is %#x", b->p,
			     b->p[b->payload - 1]);
}

/*
 * Args: slot, kind (0 kmalloc, 1 kzalloc, 2 kcalloc, 3 alloc_pages_exact,
 * 4 the same with __GFP_ZERO; bit 3: GFP_ATOMIC), size class, size.
 */
static void shim_op_alloc(void)
{
	struct shim_block *b = &m.blocks[fuzz_below(&m.in, SHIM_SLOTS)];
	u8 kind = fuzz_u8(&m.in);
	u8 cls = fuzz_u8(&m.in);
	u32 v = fuzz_u32(&m.in);
	gfp_t gfp = (kind & 8) ? GFP_ATOMIC : GFP_KERNEL;
	size_t size = shim_size_arg(cls, v), n = 1 + (cls >> 3), payload;
	unsigned int calls = m.hook_calls, c;
	size_t high_water;
	struct shim_arena_stats st;
	bool pages = false, zero = false, overflow = false;
	void *p;

	if (b->live)
		return;
	shim_arena_get_stats(&st);
	high_water = st.high_water;
	switch (kind % 5) {
	case 0:
		p = kmalloc(size, gfp);
		break;
	case 1:
		zero = true;
		p = kzalloc(size, gfp);
		break;
	case 2:
		/* n entries of size / n bytes; huge sizes overflow. */
		zero = true;
		if (cls % 8 != 5)
			size /= n; /* else huge entries: n > 1 overflows */
		overflow = size != 0 && n > SIZE_MAX / size;
		p = kcalloc(n, size, gfp);
		size = overflow ? 0 : n * size;
		break;
	case 3:
		pages = true;
		p = alloc_pages_exact(size, gfp);
		break;
	default:
		pages = zero = true;
		gfp |= __GFP_ZERO;
		p = alloc_pages_exact(size, gfp);
		break;
	}
	if (overflow) {
		/* Refused before the shim is asked: no default arena. */
		if (p || m.hook_calls != calls)
			fuzz_finding("alloc",
				     "kcalloc(%zu, ...) overflowing "
				     "allocated or asked the hook",
				     n);
		shim_check_stats("after an overflowing kcalloc");
		return;
	}
	shim_default_created();
	if (m.hook && m.hook_calls != calls + 1)
		fuzz_finding("alloc", "the hook was asked %u times, not once",
			     m.hook_calls - calls);
	if (m.hook &&
	    (m.hook_size != size ||
	     (m.hook_flags & ~(gfp_t)__GFP_ZERO) != (gfp & ~(gfp_t)__GFP_ZERO)))
		fuzz_finding("alloc",
			     "the hook was asked for %zu bytes %#x, "
			     "not %zu %#x",
			     m.hook_size, m.hook_flags, size, gfp);
	payload = !pages			      ? size
		  : size > SIZE_MAX - (PAGE_SIZE - 1) ? SIZE_MAX
						      : PAGE_ALIGN(size);
	c = shim_class_for(payload, pages ? PAGE_SHIFT : SHIM_MIN_CLASS);
	if (!p) {
		bool hook_failed = m.hook && m.hook_failed;

		size_t block = c < SHIM_CLASSES ? (size_t)1 << c : 0;
		size_t start = ALIGN(high_water,
				     block < PAGE_SIZE ? block : PAGE_SIZE);

		/* Refused only when no fresh block fits (a free one of
		 * its class would be reused first). */
		if (!hook_failed && block && start <= m.size &&
		    block <= m.size - start)
			fuzz_finding("alloc",
				     "%zu bytes refused with %zu of %zu bytes "
				     "never carved",
				     size, m.size - high_water, m.size);
		m.failed++;
		shim_check_stats("after a failed allocation");
		return;
	}
	if (m.hook && m.hook_failed)
		fuzz_finding("alloc", "allocated although the hook refused");
	if (c >= SHIM_CLASSES)
		fuzz_finding("alloc", "%zu bytes allocated", size);
	b->p = p;
	b->size = size;
	b->payload = payload;
	b->pages = pages;
	b->live = true;
	b->tag = (u8)(0x80 | (b - m.blocks));
	if (b->p == m.freed)
		m.freed = NULL;
	shim_check_new(b, c, zero);
	m.fresh = false;
	m.live_blocks++;
	m.live_bytes += payload;
	m.total++;
	memset(b->p, b->tag,
	       payload < SHIM_CHECK_BYTES ? payload : SHIM_CHECK_BYTES);
	shim_check_stats("after an allocation");
}

/* --- freeing -------------------------------------------------------------- */

static void shim_check_tag(const struct shim_block *b)
{
	size_t i, n = b->payload < SHIM_CHECK_BYTES ? b->payload
						    : SHIM_CHECK_BYTES;

	for (i = 0; i < n; i++)
		if (b->p[i] != b->tag)
			fuzz_finding("poison",
				     "byte %zu of live block %p changed to %#x",
				     i, b->p, b->p[i]);
}

/* The block is gone: counted out, its memory poisoned or filled. */
static void shim_released(struct shim_block *b)
{
	b->live = false;
	m.live_blocks--;
	m.live_bytes -= b->payload;
	m.freed = b->p;
#if SHIM_ASAN
	if (!shim_poisoned(b->p) ||
	    (b->payload && !shim_poisoned(b->p + b->payload - 1)))
		fuzz_finding("poison", "freed block %p addressable", b->p);
#else
	if (b->p[0] != 0x6b || (b->payload && b->p[b->payload - 1] != 0x6b))
		fuzz_finding("poison", "freed block %p not filled", b->p);
#endif
	shim_check_stats("after a free");
}

static void shim_expect_warn(void)
{
	fuzz_expect_warn(1);
}

/*
 * Args: slot, how, a size. How: 0 the right call; 1 the other call
 * (misuse: WARN, still freed); 2 free_pages_exact with the given size
 * (WARN unless its page rounding matches); 3 kfree(p + 1) and 4 kfree of
 * the second granule (no live block: WARN, kept); 5 a pointer that never
 * was the arena's (WARN); 6 the block freed last, again (WARN when it was
 * not handed out since); 7 NULL (nothing).
 */
static void shim_op_free(void)
{
	struct shim_block *b = &m.blocks[fuzz_below(&m.in, SHIM_SLOTS)];
	u8 how = fuzz_u8(&m.in) % 8;
	size_t size = fuzz_u32(&m.in);
	char outside[32];
	bool warn;

	if (how == 5) {
		shim_expect_warn();
		if (size & 1)
			free_pages_exact(outside, sizeof(outside));
		else if (size & 2 && m.kind != KIND_NONE)
			kfree((void *)(m.base + m.size));
		else
			kfree(outside);
		fuzz_check_warned("freeing what never was a block");
		shim_check_stats("after freeing a foreign pointer");
		return;
	}
	if (how == 6) {
		if (!m.freed)
			return;
		shim_expect_warn();
		if (size & 1)
			free_pages_exact(m.freed, PAGE_SIZE);
		else
			kfree(m.freed);
		fuzz_check_warned("a double free");
		shim_check_stats("after a double free");
		return;
	}
	if (how == 7) {
		kfree(NULL);
		free_pages_exact(NULL, size);
		shim_check_stats("after freeing NULL");
		return;
	}
	if (!b->live)
		return;
	shim_check_tag(b);
	switch (how) {
	case 0:
		if (b->pages)
			free_pages_exact(b->p, b->size);
		else
			kfree(b->p);
		break;
	case 1:
		shim_expect_warn();
		if (b->pages)
			kfree(b->p);
		else
			free_pages_exact(b->p, b->size);
		fuzz_check_warned("freeing a block with the other call");
		break;
	case 2:
		warn = !b->pages || b->payload != PAGE_ALIGN(size);
		if (warn)
			shim_expect_warn();
		free_pages_exact(b->p, size);
		fuzz_check_warned("free_pages_exact with another size");
		break;
	default:
		shim_expect_warn();
		kfree(b->p + (how == 3 ? 1 : 16));
		fuzz_check_warned("kfree inside a block");
		shim_check_stats("after kfree inside a block");
		return;
	}
	shim_released(b);
}

/* Args: mask (bit i: the call i mod 8 fails; 0 removes the hook). */
static void shim_op_fail_hook(void)
{
	m.mask = fuzz_u8(&m.in);
	m.hook = m.mask != 0;
	m.hook_calls = 0;
	/* A ctx without a function is dropped (shim.h: NULL removes it). */
	shim_set_alloc_fail_hook(m.hook ? shim_fail_hook : NULL, &m);
}

/* --- translation ---------------------------------------------------------- */

static bool shim_inside(uintptr_t addr)
{
	return addr >= m.base && addr - m.base < m.size;
}

/* The arena's [phys, phys + len), an empty range at its end included. */
static bool shim_phys_inside(u64 phys, size_t len)
{
	u64 rel = phys - m.phys_base;

	return phys >= m.phys_base && rel <= m.size && len <= m.size - rel;
}

/* Without an arena the first translation creates the default one. */
static void shim_translate_ensure(void)
{
	int local = 0;

	if (m.kind != KIND_NONE)
		return;
	if (!virt_addr_valid(&local))
		fuzz_finding("translate", "a stack address invalid in the "
					  "default (identity) arena");
	shim_default_created();
}

/*
 * Args: where (0 inside at offset, 1 the last byte, 2 one past the end, 3
 * one before the start, 4 NULL, 5 the stack, 6 a live block + offset, 7
 * the offset as an address), offset, function (0 virt_to_phys, 1
 * virt_addr_valid, 2 virt_to_phys and phys_to_virt back, 3 the slow path
 * ringside_virt_to_phys_slow that virt_to_phys falls back on).
 */
static void shim_op_virt(void)
{
	u8 where = fuzz_u8(&m.in);
	u32 off = fuzz_u32(&m.in);
	u8 fn = fuzz_u8(&m.in) % 4;
	uintptr_t addr;
	struct shim_block *b;
	int local = 0;
	bool inside;
	phys_addr_t phys, want;

	shim_translate_ensure();
	switch (where % 8) {
	case 0:
		addr = m.base + off % m.size;
		break;
	case 1:
		addr = m.base + m.size - 1;
		break;
	case 2:
		addr = m.base + m.size;
		break;
	case 3:
		addr = m.base - 1;
		break;
	case 4:
		addr = 0;
		break;
	case 5:
		addr = (uintptr_t)&local;
		break;
	case 6:
		b = &m.blocks[off % SHIM_SLOTS];
		addr = b->live ? (uintptr_t)b->p + (off >> 8) % (b->payload + 1)
			       : m.base;
		break;
	default:
		addr = off;
		break;
	}
	inside = shim_inside(addr);
	if (fn == 1) {
		if (virt_addr_valid((void *)addr) !=
		    (inside || (m.identity && addr)))
			fuzz_finding("translate", "virt_addr_valid(%p) wrong",
				     (void *)addr);
		return;
	}
	want = inside	    ? m.phys_base + (addr - m.base)
	       : m.identity ? addr
			    : RINGSIDE_BAD_PHYS;
	if (want == RINGSIDE_BAD_PHYS)
		shim_expect_warn();
	/* 3: the shim's full check, which linux/io.h's inline case skips
	 * for addresses inside the arena: the same answers. */
	phys = fn == 3 ? ringside_virt_to_phys_slow((void *)addr)
		       : virt_to_phys((void *)addr);
	fuzz_check_warned("virt_to_phys outside the arena");
	if (phys != want)
		fuzz_finding("translate",
			     "virt_to_phys(%p) = %#llx, want %#llx",
			     (void *)addr, (unsigned long long)phys,
			     (unsigned long long)want);
	if (fn == 2 && want != RINGSIDE_BAD_PHYS &&
	    phys_to_virt(phys) != (void *)addr)
		fuzz_finding("translate", "phys_to_virt(virt_to_phys(%p)) = %p",
			     (void *)addr, phys_to_virt(phys));
}

/*
 * Args: where (0 phys_base + offset, 1 the last byte, 2 the end, 3 one
 * before, 4 zero, 5 RINGSIDE_BAD_PHYS, 6 offset << 32, 7 phys_base +
 * size - offset), offset, function (0 phys_to_virt, 1 shim_guest_ptr, 2
 * shim_guest_range_ok), len class (0, 1, offset, the size, SIZE_MAX).
 */
static void shim_op_phys(void)
{
	u8 where = fuzz_u8(&m.in);
	u32 off = fuzz_u32(&m.in);
	u8 fn = fuzz_u8(&m.in) % 3;
	u8 lc = fuzz_u8(&m.in) % 5;
	u64 phys;
	size_t len;
	void *p, *want;

	shim_translate_ensure();
	switch (where % 8) {
	case 0:
		phys = m.phys_base + off % m.size;
		break;
	case 1:
		phys = m.phys_base + m.size - 1;
		break;
	case 2:
		phys = m.phys_base + m.size;
		break;
	case 3:
		phys = m.phys_base - 1;
		break;
	case 4:
		phys = 0;
		break;
	case 5:
		phys = RINGSIDE_BAD_PHYS;
		break;
	case 6:
		phys = (u64)off << 32;
		break;
	default:
		phys = m.phys_base + m.size - off % (m.size + 1);
		break;
	}
	len = lc == 0	? 0
	      : lc == 1 ? 1
	      : lc == 2 ? off
	      : lc == 3 ? m.size
			: SIZE_MAX;
	if (fn == 0) {
		p = phys_to_virt(phys);
		want = shim_phys_inside(phys, 1)
			       ? (void *)(m.base + (phys - m.phys_base))
		       : m.identity ? (void *)(uintptr_t)phys
				    : NULL;
		if (p != want)
			fuzz_finding("translate",
				     "phys_to_virt(%#llx) = %p, "
				     "want %p",
				     (unsigned long long)phys, p, want);
		return;
	}
	want = shim_phys_inside(phys, len)
		       ? (void *)(m.base + (phys - m.phys_base))
		       : NULL;
	if (fn == 1) {
		p = shim_guest_ptr(phys, len);
		if (p != want)
			fuzz_finding("translate",
				     "shim_guest_ptr(%#llx, %zu) = "
				     "%p, want %p",
				     (unsigned long long)phys, len, p, want);
	} else if (shim_guest_range_ok(phys, len) != (want != NULL)) {
		fuzz_finding("translate",
			     "shim_guest_range_ok(%#llx, %zu) "
			     "wrong",
			     (unsigned long long)phys, len);
	}
}

/* --- printk --------------------------------------------------------------- */

/* What the log hook must get for formatted text f (report.c): the first
 * SHIM_PRINTK_BYTES - 1 characters, a "<0>".."<7>" prefix taken as the
 * level (else SHIM_DEFAULT_LEVEL), one trailing newline dropped. */
static int shim_expect_log(const char *f, char *text)
{
	size_t n = strnlen(f, SHIM_PRINTK_BYTES - 1), len;
	int level = SHIM_DEFAULT_LEVEL;

	/* Cut on purpose, as report.c cuts. */
	memcpy(text, f, n);
	text[n] = '\0';
	if (text[0] == '<' && text[1] >= '0' && text[1] <= '7' &&
	    text[2] == '>') {
		level = text[1] - '0';
		memmove(text, text + 3, strlen(text + 3) + 1);
	}
	len = strlen(text);
	if (len && text[len - 1] == '\n')
		text[len - 1] = '\0';
	return level;
}

static void shim_check_log(const char *what, const char *formatted, int ret,
			   unsigned int logs)
{
	static char want[SHIM_PRINTK_BYTES + 1];
	int level = shim_expect_log(formatted, want);

	if (m.logs != logs + 1)
		fuzz_finding("printk", "%s: %u messages, not one", what,
			     m.logs - logs);
	if (m.log_level != level || strcmp(m.log_text, want) != 0)
		fuzz_finding("printk",
			     "%s: level %d \"%.40s\", want %d \"%.40s\"", what,
			     m.log_level, m.log_text, level, want);
	if (ret != (int)strlen(want))
		fuzz_finding("printk", "%s returned %d, not %zu", what, ret,
			     strlen(want));
}

/* A wide string no "C" locale can encode: vsnprintf fails on it. */
static const wchar_t shim_bad_wide[] = { 0xd800, 0x10ffff, 0 };

/*
 * Args: how (the call: 0-10 printk with each KERN level and the pr_*
 * helpers, 11-15 dev_err .. dev_dbg, 16 dev_printk without a level, 17
 * without a device, 18 printk of an unformattable message, 19 dev_printk
 * of one, 20 the default hook), repeat count, text length and text, the
 * device's name (length, text; 0xff: a name that cannot be formatted).
 */
static void shim_op_printk(void)
{
	static const char *const lv[] = {
		KERN_EMERG,  KERN_ALERT, KERN_CRIT,  KERN_ERR,	   KERN_WARNING,
		KERN_NOTICE, KERN_INFO,	 KERN_DEBUG, KERN_DEFAULT, KERN_CONT,
	};
	static char text[SHIM_TEXT_BYTES], f[SHIM_TEXT_BYTES + 64];
	char name[48];
	u8 how = fuzz_u8(&m.in) % 21;
	unsigned int rep = 1 + fuzz_u8(&m.in) % 64, len = fuzz_u8(&m.in) % 64;
	unsigned int nlen, i, logs = m.logs, lvl = rep % 10;
	struct device dev;
	const char *dn, *out;
	int ret, level;

	for (i = 0; i < len; i++) {
		text[i] = (char)fuzz_u8(&m.in);
		if (!text[i])
			text[i] = '\n';
	}
	for (i = len; len && --rep && i + len < sizeof(text); i += len)
		memcpy(text + i, text, len);
	text[i] = '\0';
	nlen = fuzz_u8(&m.in);
	memset(&dev, 0, sizeof(dev));
	if (nlen == 0xff) {
		ret = dev_set_name(&dev, "%ls", shim_bad_wide);
		if (!(ret == -EINVAL && !dev.name[0]) && ret != 0)
			fuzz_finding("printk", "dev_set_name returned %d", ret);
	} else {
		for (i = 0; i < nlen % 48; i++)
			name[i] = (char)('a' + fuzz_u8(&m.in) % 26);
		name[i] = '\0';
		if (dev_set_name(&dev, "%s", name) != 0 ||
		    strncmp(dev.name, name, sizeof(dev.name) - 1) != 0)
			fuzz_finding("printk",
				     "dev_set_name(\"%s\") gave "
				     "\"%s\"",
				     name, dev.name);
	}
	dn = dev_name(&dev);
	if (!dev.name[0] && strcmp(dn, "(unnamed)") != 0)
		fuzz_finding("printk", "an unnamed device is \"%s\"", dn);
	switch (how) {
	case 0:
		ret = printk(KERN_EMERG "%s", text);
		break;
	case 1:
		ret = printk(KERN_ALERT "%s", text);
		break;
	case 2:
		ret = printk(KERN_CRIT "%s", text);
		break;
	case 3:
		ret = pr_err("%s", text);
		break;
	case 4:
		ret = pr_warn("%s", text);
		break;
	case 5:
		ret = pr_warning("%s", text);
		break;
	case 6:
		ret = pr_notice("%s", text);
		break;
	case 7:
		ret = pr_info("%s", text);
		break;
	case 8:
		ret = pr_debug("%s", text);
		break;
	case 9:
		ret = printk(KERN_DEFAULT "%s", text);
		break;
	case 10:
		ret = printk(KERN_CONT "%s", text);
		break;
	case 11:
		ret = dev_err(&dev, "%s", text);
		break;
	case 12:
		ret = dev_warn(&dev, "%s", text);
		break;
	case 13:
		ret = dev_notice(&dev, "%s", text);
		break;
	case 14:
		ret = dev_info(&dev, "%s", text);
		break;
	case 15:
		ret = dev_dbg(&dev, "%s", text);
		break;
	case 16:
		ret = dev_printk(NULL, &dev, "%s", text);
		break;
	case 17:
		ret = dev_printk(KERN_INFO, NULL, "%s", text);
		break;
	case 18:
		ret = printk("%ls", shim_bad_wide);
		break;
	case 19:
		ret = dev_printk(KERN_ERR, &dev, "%ls", shim_bad_wide);
		break;
	default:
		/* The default hook: levels up to 4 on stderr, one line. */
		level = (int)lvl;
		shim_set_log_hook(NULL, &m);
		shim_capture_begin();
		ret = printk("%s%s", lv[level], text);
		out = shim_capture_end();
		shim_set_log_hook(shim_log_hook, &m);
		snprintf(f, sizeof(f), "%s%s", lv[level], text);
		level = shim_expect_log(f, text);
		snprintf(f, sizeof(f), "%s\n", text);
		if (strcmp(out, level <= SHIM_CONSOLE_LEVEL ? f : "") != 0)
			fuzz_finding("printk",
				     "the default hook wrote "
				     "\"%.40s\" for level %d",
				     out, level);
		if (m.logs != logs || ret != (int)strlen(text))
			fuzz_finding("printk", "the default hook: %d", ret);
		return;
	}
	/* The prefix each call puts before the text: pr_warning is pr_warn,
	 * so the calls from 5 on are one level lower in lv. */
	if (how <= 10)
		snprintf(f, sizeof(f), "%s%s", lv[how < 5 ? how : how - 1],
			 text);
	else if (how >= 11 && how <= 15)
		snprintf(f, sizeof(f), "%s%s: %s",
			 how == 11   ? KERN_ERR
			 : how == 12 ? KERN_WARNING
			 : how == 13 ? KERN_NOTICE
			 : how == 14 ? KERN_INFO
				     : KERN_DEBUG,
			 dn, text);
	else if (how == 16)
		snprintf(f, sizeof(f), "%s: %s", dn, text);
	else if (how == 17)
		snprintf(f, sizeof(f), "%s(NULL device *): %s", KERN_INFO,
			 text);
	if (how == 18 || how == 19) {
		/* The "C" locale cannot encode it: an empty message (another
		 * locale may print something: only the level is checked). */
		if (m.logs != logs + 1 ||
		    m.log_level != (how == 18 ? SHIM_DEFAULT_LEVEL : 3))
			fuzz_finding("printk",
				     "unformattable message: level %d",
				     m.log_level);
		if (how == 19 && strncmp(m.log_text, dn, strlen(dn)) != 0)
			fuzz_finding("printk",
				     "unformattable message of %s: "
				     "\"%.40s\"",
				     dn, m.log_text);
		return;
	}
	shim_check_log("printk", f, ret, logs);
}

/* --- WARN and BUG --------------------------------------------------------- */

struct shim_report {
	unsigned int count;
	enum shim_report_kind kind;
	const char *file;
	int line;
	const char *what;
	jmp_buf bug;
};

static struct shim_report shim_rep;

static void shim_report_hook(void *ctx, enum shim_report_kind kind,
			     const char *file, int line, const char *what)
{
	struct shim_report *r = ctx;

	r->count++;
	r->kind = kind;
	r->file = file;
	r->line = line;
	r->what = what;
	if (kind == SHIM_REPORT_BUG)
		longjmp(r->bug, 1); /* shim.h: the hook may leave a BUG */
}

static void shim_check_report(const char *how, unsigned int count,
			      enum shim_report_kind kind, const char *file,
			      int line, const char *what)
{
	if (shim_rep.count != count)
		fuzz_finding("report", "%s: %u reports, want %u", how,
			     shim_rep.count, count);
	if (!count)
		return;
	if (shim_rep.kind != kind || strcmp(shim_rep.file, file) != 0 ||
	    shim_rep.line != line || strcmp(shim_rep.what, what) != 0)
		fuzz_finding("report",
			     "%s: %d %s:%d \"%s\", want %d %s:%d "
			     "\"%s\"",
			     how, shim_rep.kind, shim_rep.file, shim_rep.line,
			     shim_rep.what, kind, file, line, what);
}

/*
 * Args: how (0 WARN_ON, 1 WARN, 2 WARN_ON_ONCE, 3 a WARN without file and
 * text, 4 a WARN through the default hook, 5 BUG_ON, 6 BUG, 7 a BUG
 * without file and text, 8 shim_reset_warn_count), condition (bit 0).
 */
static void shim_op_report(void)
{
	static bool once_fired;
	u8 how = fuzz_u8(&m.in) % 9;
	volatile int cond = fuzz_u8(&m.in) & 1;
	volatile int line = 0;
	unsigned long warns = shim_warn_count();
	unsigned int want_warns = 0;
	char expect[256];
	const char *out;
	int ret = 0;

	memset(&shim_rep, 0, sizeof(shim_rep));
	shim_set_report_hook(shim_report_hook, &shim_rep);
	if (setjmp(shim_rep.bug)) {
		/* Back from a BUG's hook. */
		shim_hooks();
		if (how == 7)
			shim_check_report("BUG", 1, SHIM_REPORT_BUG, "?", 0,
					  "?");
		else
			shim_check_report("BUG", 1, SHIM_REPORT_BUG, __FILE__,
					  line, how == 5 ? "cond" : "BUG()");
		if (shim_warn_count() != warns)
			fuzz_finding("report", "a BUG counted as a WARN");
		return;
	}
	switch (how) {
	case 0:
		line = __LINE__ + 1;
		ret = WARN_ON(cond);
		shim_check_report("WARN_ON", cond, SHIM_REPORT_WARN, __FILE__,
				  line, "cond");
		want_warns = cond;
		break;
	case 1:
		line = __LINE__ + 1;
		ret = WARN(cond, "fuzz-shim: warned with %d", cond);
		shim_check_report("WARN", cond, SHIM_REPORT_WARN, __FILE__,
				  line, "fuzz-shim: warned with %d");
		want_warns = cond;
		break;
	case 2:
		line = __LINE__ + 1;
		ret = WARN_ON_ONCE(cond);
		want_warns = cond && !once_fired;
		shim_check_report("WARN_ON_ONCE", want_warns, SHIM_REPORT_WARN,
				  __FILE__, line, "cond");
		once_fired |= cond;
		break;
	case 3:
		ringside_report_warn(NULL, 7, NULL);
		ret = cond = 1;
		shim_check_report("a bare WARN", 1, SHIM_REPORT_WARN, "?", 7,
				  "?");
		want_warns = 1;
		break;
	case 4:
		shim_set_report_hook(NULL, &m);
		shim_capture_begin();
		ringside_report_warn(cond ? "fuzz.c" : NULL, 42, "text");
		out = shim_capture_end();
		snprintf(expect, sizeof(expect), "WARNING: %s:42: text\n",
			 cond ? "fuzz.c" : "?");
		if (strcmp(out, expect) != 0)
			fuzz_finding("report", "the default hook wrote \"%s\"",
				     out);
		ret = cond = 1;
		want_warns = 1;
		break;
	case 5:
		line = __LINE__ + 1;
		BUG_ON(cond);
		shim_check_report("BUG_ON", 0, SHIM_REPORT_BUG, __FILE__, line,
				  "cond");
		break;
	case 6:
		line = __LINE__ + 1;
		BUG();
	case 7:
		ringside_report_bug(NULL, 0, NULL);
	default:
		shim_reset_warn_count();
		cond = 0;
		if (shim_warn_count() != 0)
			fuzz_finding("report",
				     "the WARN count is %lu after a "
				     "reset",
				     shim_warn_count());
		warns = 0;
		break;
	}
	shim_hooks();
	if (ret != cond)
		fuzz_finding("report", "the WARN returned %d for %d", ret,
			     cond);
	if (shim_warn_count() != warns + want_warns)
		fuzz_finding("report", "%lu WARNs counted, want %lu",
			     shim_warn_count() - warns,
			     (unsigned long)want_warns);
}

/* --- the program ---------------------------------------------------------- */

static void shim_do_op(unsigned int op)
{
	switch (op) {
	case SHIM_OP_INIT:
		shim_op_init();
		break;
	case SHIM_OP_CREATE:
		shim_op_create();
		break;
	case SHIM_OP_RESET:
		shim_op_reset();
		break;
	case SHIM_OP_DESTROY:
		shim_op_destroy();
		break;
	case SHIM_OP_ALLOC:
		shim_op_alloc();
		break;
	case SHIM_OP_FREE:
		shim_op_free();
		break;
	case SHIM_OP_FAIL_HOOK:
		shim_op_fail_hook();
		break;
	case SHIM_OP_VIRT:
		shim_op_virt();
		break;
	case SHIM_OP_PHYS:
		shim_op_phys();
		break;
	case SHIM_OP_PRINTK:
		shim_op_printk();
		break;
	default:
		shim_op_report();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int ops = 0, i;
	u8 head;

	/* Every input starts without an arena (the last one's is gone). */
	shim_arena_destroy();
	memset(&m, 0, sizeof(m));
	shim_forget_blocks();
	fuzz_input_init(&m.in, data, size);
	shim_hooks();
	shim_check_stats("at the start");
	/* The header: 0 starts without an arena (the first use maps the
	 * default one, slow under ASan); else the target's own buffer,
	 * identity mode if bit 7 is set. */
	head = fuzz_u8(&m.in);
	m.destroys = head == 0;
	if (head)
		shim_setup_result(
			head & 0x80 ? shim_arena_init_identity(shim_mem,
							       SHIM_MEM_BYTES)
				    : shim_arena_init(shim_mem, SHIM_MEM_BYTES,
						      FUZZ_PHYS_BASE),
			0, KIND_OURS, SHIM_MEM_BYTES,
			head & 0x80 ? (uintptr_t)shim_mem : FUZZ_PHYS_BASE,
			head & 0x80);
	while (!fuzz_input_done(&m.in) && ops++ < SHIM_OPS_MAX) {
		shim_do_op(fuzz_u8(&m.in) % SHIM_OP_COUNT);
		fuzz_check_warned("announced misuse");
		shim_check_stats("after an operation");
	}
	shim_set_alloc_fail_hook(NULL, NULL);
	m.hook = false;
	for (i = 0; i < SHIM_SLOTS; i++) {
		struct shim_block *b = &m.blocks[i];

		if (!b->live)
			continue;
		shim_check_tag(b);
		if (b->pages)
			free_pages_exact(b->p, b->size);
		else
			kfree(b->p);
		shim_released(b);
	}
	if (m.kind != KIND_NONE && m.live_blocks)
		fuzz_finding("arena-stats", "%zu blocks live at the end",
			     m.live_blocks);
	shim_arena_destroy();
	fuzz_shim_end();
	return 0;
}
