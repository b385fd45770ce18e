/*
 * fuzz_common.c - the input reader, the finding policy and the shim hooks
 * shared by the fuzz targets (see fuzz_common.h).
 */
#include "fuzz_common.h"

#include <ringside/shim.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void fuzz_input_init(struct fuzz_input *in, const u8 *data, size_t size)
{
	in->data = data;
	in->size = data ? size : 0;
	in->pos = 0;
}

bool fuzz_input_done(const struct fuzz_input *in)
{
	return in->pos >= in->size;
}

u8 fuzz_u8(struct fuzz_input *in)
{
	if (in->pos >= in->size)
		return 0;
	return in->data[in->pos++];
}

u16 fuzz_u16(struct fuzz_input *in)
{
	u16 lo = fuzz_u8(in);

	return (u16)(lo | (u16)fuzz_u8(in) << 8);
}

u32 fuzz_u32(struct fuzz_input *in)
{
	u32 lo = fuzz_u16(in);

	return lo | (u32)fuzz_u16(in) << 16;
}

u64 fuzz_u64(struct fuzz_input *in)
{
	u64 lo = fuzz_u32(in);

	return lo | (u64)fuzz_u32(in) << 32;
}

u32 fuzz_below(struct fuzz_input *in, u32 bound)
{
	if (bound <= 1)
		return 0;
	if (bound <= 0x100u)
		return fuzz_u8(in) % bound;
	if (bound <= 0x10000u)
		return fuzz_u16(in) % bound;
	return fuzz_u32(in) % bound;
}

bool fuzz_bool(struct fuzz_input *in)
{
	return fuzz_u8(in) & 1;
}

void fuzz_finding(const char *oracle, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ringside-fuzz: finding: target=%s oracle=%s: ",
		fuzz_target_name, oracle);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* --- shim hooks (note 3) ------------------------------------------------ */

static unsigned int fuzz_warns_expected;

static void fuzz_report(void *ctx, enum shim_report_kind kind, const char *file,
			int line, const char *what)
{
	(void)ctx;
	if (kind == SHIM_REPORT_WARN && fuzz_warns_expected > 0) {
		fuzz_warns_expected--;
		return;
	}
	fuzz_finding("warn", "%s at %s:%d: %s",
		     kind == SHIM_REPORT_BUG ? "BUG" : "WARN", file, line,
		     what);
}

static void fuzz_log(void *ctx, int level, const char *text)
{
	/* printk is the ring talking about the device: never a finding. */
	(void)ctx;
	(void)level;
	(void)text;
}

void fuzz_shim_begin(void)
{
	fuzz_warns_expected = 0;
	shim_set_report_hook(fuzz_report, NULL);
	shim_set_log_hook(fuzz_log, NULL);
	shim_set_alloc_fail_hook(NULL, NULL);
}

void fuzz_expect_warn(unsigned int count)
{
	fuzz_warns_expected += count;
}

void fuzz_check_warned(const char *what)
{
	if (fuzz_warns_expected != 0)
		fuzz_finding("misuse", "%s was not refused with a WARN", what);
}

void fuzz_shim_end(void)
{
	fuzz_check_warned("announced misuse");
	shim_set_alloc_fail_hook(NULL, NULL);
	shim_set_report_hook(NULL, NULL);
	shim_set_log_hook(NULL, NULL);
}

/* --- the arena (note 4) ------------------------------------------------- */

static bool fuzz_arena_made;

int fuzz_arena_fresh(void)
{
	int err;

	if (fuzz_arena_made) {
		shim_arena_reset();
		return 0;
	}
	err = shim_arena_create(FUZZ_ARENA_BYTES, FUZZ_PHYS_BASE);
	if (err)
		return err;
	fuzz_arena_made = true;
	return 0;
}

void fuzz_check_no_leak(const char *when)
{
	struct shim_arena_stats stats;

	shim_arena_get_stats(&stats);
	if (stats.live_blocks != 0)
		fuzz_finding("leak", "%zu arena blocks (%zu bytes) live %s",
			     stats.live_blocks, stats.live_bytes, when);
}
