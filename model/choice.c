/*
 * choice.c - the choice source (see choice.h).
 *
 * Internally a draw takes a bound where 0 stands for 2^64, so that
 * choice_range() can draw the full 64-bit range through the same path
 * (and the same log) as every other draw.
 */
#include "choice.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The first log allocation, in entries; it doubles from there. */
#define CHOICE_LOG_INITIAL 256

static void choice_init_common(struct choice_source *cs,
			       enum choice_backend backend)
{
	assert(cs);
	memset(cs, 0, sizeof(*cs));
	cs->backend = backend;
	cs->limit = CHOICE_LOG_MAX;
	cs->grow = realloc;
}

/* splitmix64 (Steele, Lea, Flood; Vigna's reference code). */
static u64 splitmix64_next(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 rotl64(u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** 1.0 (Blackman, Vigna). */
static u64 xoshiro_next(u64 s[4])
{
	u64 result = rotl64(s[1] * 5, 7) * 9;
	u64 t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return result;
}

void choice_init_seed(struct choice_source *cs, u64 seed)
{
	u64 sm = seed;
	int i;

	choice_init_common(cs, CHOICE_BACKEND_SEED);
	/* splitmix64 never yields four zeros in a row, so the state is
	 * never the all-zero fixed point of xoshiro. */
	for (i = 0; i < 4; i++)
		cs->prng[i] = splitmix64_next(&sm);
}

void choice_init_bytes(struct choice_source *cs, const u8 *data, size_t len)
{
	assert(data || len == 0);
	choice_init_common(cs, CHOICE_BACKEND_BYTES);
	cs->bytes = data;
	cs->bytes_len = data ? len : 0;
}

void choice_init_replay(struct choice_source *cs, const u64 *values, size_t n)
{
	assert(values || n == 0);
	choice_init_common(cs, CHOICE_BACKEND_REPLAY);
	cs->replay = values;
	cs->replay_len = values ? n : 0;
}

void choice_free(struct choice_source *cs)
{
	assert(cs);
	free(cs->values);
	free(cs->bounds);
	memset(cs, 0, sizeof(*cs));
}

/* The high 64 bits of a * b; *low gets the low 64. Portable C, so every
 * compiler and build type computes the same thing. */
static u64 mul64_high(u64 a, u64 b, u64 *low)
{
	u64 a_lo = (u32)a, a_hi = a >> 32;
	u64 b_lo = (u32)b, b_hi = b >> 32;
	u64 p0 = a_lo * b_lo, p1 = a_lo * b_hi;
	u64 p2 = a_hi * b_lo, p3 = a_hi * b_hi;
	u64 mid = (p0 >> 32) + (u32)p1 + (u32)p2;

	*low = (mid << 32) | (u32)p0;
	return p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}

/* Lemire, "Fast Random Integer Generation in an Interval" (2019): the
 * high word of x * bound is uniform once the few low words below
 * 2^64 mod bound are rejected. */
static u64 draw_seed(struct choice_source *cs, u64 bound)
{
	u64 low, high, threshold;

	if (bound == 0)
		return xoshiro_next(cs->prng);
	high = mul64_high(xoshiro_next(cs->prng), bound, &low);
	if (low < bound) {
		threshold = (0 - bound) % bound;
		while (low < threshold)
			high = mul64_high(xoshiro_next(cs->prng), bound, &low);
	}
	assert(high < bound);
	return high;
}

unsigned int choice_bytes_for_bound(u64 bound)
{
	u64 max = bound - 1;
	unsigned int n = 0;

	while (max != 0) {
		n++;
		max >>= 8;
	}
	return n;
}

static u64 draw_bytes(struct choice_source *cs, u64 bound)
{
	unsigned int n = choice_bytes_for_bound(bound), i;
	u64 raw = 0;

	for (i = 0; i < n && cs->bytes_pos < cs->bytes_len; i++)
		raw |= (u64)cs->bytes[cs->bytes_pos++] << (8 * i);
	assert(cs->bytes_pos <= cs->bytes_len);
	if (i < n)
		cs->dry = true; /* note 5: the missing bytes read as zero */
	return bound ? raw % bound : raw;
}

static u64 draw_replay(struct choice_source *cs, u64 bound)
{
	u64 raw;

	if (cs->replay_pos >= cs->replay_len)
		return 0;
	raw = cs->replay[cs->replay_pos++];
	return bound ? raw % bound : raw;
}

/* Makes room for one more log entry; false when recording must stop. */
static bool log_reserve(struct choice_source *cs)
{
	size_t want;
	u64 *values, *bounds;

	if (cs->count >= cs->limit)
		return false;
	if (cs->count < cs->capacity)
		return true;
	want = cs->capacity ? cs->capacity * 2 : CHOICE_LOG_INITIAL;
	if (want > cs->limit)
		want = cs->limit;
	assert(want > cs->count);
	values = cs->grow(cs->values, want * sizeof(*values));
	if (!values)
		return false;
	cs->values = values;
	/* values may now be longer than capacity says; harmless. */
	bounds = cs->grow(cs->bounds, want * sizeof(*bounds));
	if (!bounds)
		return false;
	cs->bounds = bounds;
	cs->capacity = want;
	return true;
}

static void log_record(struct choice_source *cs, u64 value, u64 bound)
{
	cs->draws++;
	if (cs->unrecordable)
		return;
	if (!log_reserve(cs)) {
		cs->unrecordable = true;
		return;
	}
	cs->values[cs->count] = value;
	cs->bounds[cs->count] = bound;
	cs->count++;
}

/* One draw in [0, bound), bound 0 meaning 2^64; recorded. */
static u64 choice_draw(struct choice_source *cs, u64 bound)
{
	u64 value;

	assert(cs);
	switch (cs->backend) {
	case CHOICE_BACKEND_SEED:
		/* A bound of 1 has one answer: spend no PRNG output on it. */
		value = bound == 1 ? 0 : draw_seed(cs, bound);
		break;
	case CHOICE_BACKEND_BYTES:
		value = draw_bytes(cs, bound);
		break;
	case CHOICE_BACKEND_REPLAY:
		value = draw_replay(cs, bound);
		break;
	default:
		assert(!"choice source used before choice_init_*()");
		abort();
	}
	assert(bound == 0 || value < bound);
	log_record(cs, value, bound);
	return value;
}

u64 choice_below(struct choice_source *cs, u64 bound)
{
	assert(bound >= 1);
	return choice_draw(cs, bound);
}

u64 choice_range(struct choice_source *cs, u64 lo, u64 hi)
{
	u64 value;

	assert(lo <= hi);
	/* hi - lo + 1 wraps to 0, i.e. 2^64, for the full range. */
	value = lo + choice_draw(cs, hi - lo + 1);
	assert(value >= lo);
	assert(value <= hi);
	return value;
}

#ifdef RINGSIDE_FUZZ_TRACE_CHANCE
/* libFuzzer's comparison hook (sanitizer/common_interface_defs.h). */
void __sanitizer_cov_trace_cmp8(uint64_t arg1, uint64_t arg2);
#endif

bool choice_chance(struct choice_source *cs, u32 numerator, u32 denominator)
{
	u64 drawn, threshold;

	assert(denominator >= 1);
	if (numerator == 0)
		return false;
	if (numerator >= denominator)
		return true;
	drawn = choice_draw(cs, denominator);
	threshold = denominator - numerator;
#ifdef RINGSIDE_FUZZ_TRACE_CHANCE
	/* The world target's one traced comparison (fuzz/CMakeLists.txt):
	 * the input's bytes against the value that turns the chance. */
	__sanitizer_cov_trace_cmp8(drawn, threshold);
#endif
	return drawn >= threshold;
}

size_t choice_count(const struct choice_source *cs)
{
	assert(cs->count <= cs->limit);
	return cs->count;
}

const u64 *choice_values(const struct choice_source *cs)
{
	return cs->values;
}

const u64 *choice_bounds(const struct choice_source *cs)
{
	return cs->bounds;
}

u64 choice_draws(const struct choice_source *cs)
{
	assert(cs->draws >= cs->count);
	return cs->draws;
}

bool choice_dry(const struct choice_source *cs)
{
	return cs->dry;
}

bool choice_recordable(const struct choice_source *cs)
{
	return !cs->unrecordable;
}

void choice_set_log_limit(struct choice_source *cs, size_t limit)
{
	assert(cs->backend != CHOICE_BACKEND_NONE);
	cs->limit = limit < CHOICE_LOG_MAX ? limit : CHOICE_LOG_MAX;
	/* Entries already recorded stay; only later draws are refused. */
	if (cs->limit < cs->count)
		cs->limit = cs->count;
}

void choice_set_realloc(struct choice_source *cs, choice_realloc_fn grow)
{
	assert(cs->backend != CHOICE_BACKEND_NONE);
	cs->grow = grow ? grow : realloc;
}
