/*
 * test_choice.c - the choice source: PRNG reference values, the bytes and
 * replay back ends, the log, its limit and allocation failure.
 */
#include "harness.h"

#include "choice.h"

#include <stdlib.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(reference_splitmix64_matches_published_values)                       \
	X(seed_0_first_outputs)                                                \
	X(seed_1_first_outputs)                                                \
	X(seed_matches_reference_for_1000_outputs)                             \
	X(same_seed_same_sequence)                                             \
	X(different_seeds_differ)                                              \
	X(below_reference_values)                                              \
	X(below_stays_below_bound)                                             \
	X(below_one_spends_no_prng_output)                                     \
	X(below_is_uniform_over_6_buckets)                                     \
	X(chance_frequency)                                                    \
	X(chance_certain_draws_nothing)                                        \
	X(range_stays_in_range)                                                \
	X(bytes_exact_values)                                                  \
	X(bytes_partial_draw_reads_missing_bytes_as_zero)                      \
	X(bytes_exhausted_yields_minimum)                                      \
	X(bytes_bound_one_consumes_nothing)                                    \
	X(bytes_full_range_reads_8_bytes)                                      \
	X(bytes_run_dry_at_first_missing_byte)                                 \
	X(seed_and_replay_never_run_dry)                                       \
	X(replay_reproduces_seed_run)                                          \
	X(replay_reproduces_bytes_run)                                         \
	X(replay_reduces_out_of_range_values)                                  \
	X(replay_exhausted_yields_zeros)                                       \
	X(log_records_values_and_bounds)                                       \
	X(log_limit_stops_recording_not_drawing)                               \
	X(alloc_failure_stops_recording)                                       \
	X(alloc_failure_of_second_array)                                       \
	X(free_resets_the_source)

TESTS(HARNESS_DECLARE)

/*
 * An independent reference, written from the published algorithms
 * (prng.di.unimi.it: splitmix64.c, xoshiro256starstar.c), to check the
 * library against. Its own sanity check is splitmix64's published output.
 */
static uint64_t ref_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
	return z ^ (z >> 31);
}

static inline uint64_t ref_rotl(const uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t ref_next(uint64_t s[4])
{
	const uint64_t result = ref_rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = ref_rotl(s[3], 45);
	return result;
}

static void ref_seed(uint64_t s[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		s[i] = ref_splitmix64(&seed);
}

/* A raw 64-bit PRNG output through the public API. */
static u64 raw(struct choice_source *cs)
{
	return choice_range(cs, 0, UINT64_MAX);
}

static void reference_splitmix64_matches_published_values(void)
{
	uint64_t x = 0;

	CHECK_EQ(0xe220a8397b1dcdafULL, ref_splitmix64(&x));
	CHECK_EQ(0x6e789e6aa1b965f4ULL, ref_splitmix64(&x));
	CHECK_EQ(0x06c45d188009454fULL, ref_splitmix64(&x));
	CHECK_EQ(0xf88bb8a8724c81ecULL, ref_splitmix64(&x));
}

/* Also computed by a third implementation (Python) before being fixed. */
static const u64 seed_0_outputs[4] = {
	0x99ec5f36cb75f2b4ULL,
	0xbf6e1f784956452aULL,
	0x1a5f849d4933e6e0ULL,
	0x6aa594f1262d2d2cULL,
};
static const u64 seed_1_outputs[4] = {
	0xb3f2af6d0fc710c5ULL,
	0x853b559647364ceaULL,
	0x92f89756082a4514ULL,
	0x642e1c7bc266a3a7ULL,
};

static void check_first_outputs(u64 seed, const u64 expected[4])
{
	struct choice_source cs;
	uint64_t s[4];

	choice_init_seed(&cs, seed);
	ref_seed(s, seed);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(expected[i], ref_next(s));
		CHECK_EQ(expected[i], raw(&cs));
	}
	choice_free(&cs);
}

static void seed_0_first_outputs(void)
{
	check_first_outputs(0, seed_0_outputs);
}

static void seed_1_first_outputs(void)
{
	check_first_outputs(1, seed_1_outputs);
}

static void seed_matches_reference_for_1000_outputs(void)
{
	static const u64 seeds[] = { 2, 42, 0xdeadbeef, UINT64_MAX };

	for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		struct choice_source cs;
		uint64_t s[4];

		choice_init_seed(&cs, seeds[k]);
		ref_seed(s, seeds[k]);
		for (int i = 0; i < 1000; i++)
			CHECK_EQ(ref_next(s), raw(&cs));
		choice_free(&cs);
	}
}

static void same_seed_same_sequence(void)
{
	struct choice_source a, b;

	choice_init_seed(&a, 7);
	choice_init_seed(&b, 7);
	for (u64 i = 0; i < 5000; i++) {
		u64 bound = 1 + i % 1000;
		CHECK_EQ(choice_below(&a, bound), choice_below(&b, bound));
	}
	CHECK_EQ(choice_count(&a), choice_count(&b));
	CHECK(memcmp(choice_values(&a), choice_values(&b),
		     choice_count(&a) * sizeof(u64)) == 0);
	choice_free(&a);
	choice_free(&b);
}

static void different_seeds_differ(void)
{
	struct choice_source a, b;
	int same = 0;

	choice_init_seed(&a, 7);
	choice_init_seed(&b, 8);
	for (int i = 0; i < 100; i++)
		same += raw(&a) == raw(&b);
	CHECK_EQ(0, same);
	choice_free(&a);
	choice_free(&b);
}

/* Lemire's method on seed 0, checked against the Python reference. */
static void below_reference_values(void)
{
	static const u64 bounds[] = { 6, 6,    6,    6,
				      6, 1000, 1000, (1ULL << 63) + 1 };
	static const u64 expected[] = { 3, 4,	0,   2,
					4, 999, 422, 620104743558096346ULL };
	struct choice_source cs;

	choice_init_seed(&cs, 0);
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		CHECK_EQ(expected[i], choice_below(&cs, bounds[i]));
	choice_free(&cs);
}

static void below_stays_below_bound(void)
{
	static const u64 bounds[] = { 1,
				      2,
				      3,
				      7,
				      255,
				      256,
				      257,
				      1ULL << 32,
				      (1ULL << 32) + 1,
				      (1ULL << 63) + 1,
				      UINT64_MAX - 1,
				      UINT64_MAX };
	struct choice_source cs;

	choice_init_seed(&cs, 99);
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		for (int j = 0; j < 2000; j++)
			CHECK(choice_below(&cs, bounds[i]) < bounds[i]);
	choice_free(&cs);
}

static void below_one_spends_no_prng_output(void)
{
	struct choice_source cs;

	choice_init_seed(&cs, 0);
	CHECK_EQ(0, choice_below(&cs, 1));
	CHECK_EQ(0, choice_range(&cs, 5, 5) - 5);
	CHECK_EQ(seed_0_outputs[0], raw(&cs));
	/* ... but both draws are in the log, so replay stays aligned. */
	CHECK_EQ(3, choice_count(&cs));
	CHECK_EQ(1, choice_bounds(&cs)[0]);
	CHECK_EQ(1, choice_bounds(&cs)[1]);
	CHECK_EQ(0, choice_bounds(&cs)[2]); /* 2^64 */
	choice_free(&cs);
}

static void below_is_uniform_over_6_buckets(void)
{
	struct choice_source cs;
	unsigned int counts[6] = { 0 };

	choice_init_seed(&cs, 12345);
	for (int i = 0; i < 60000; i++)
		counts[choice_below(&cs, 6)]++;
	for (int i = 0; i < 6; i++) {
		CHECK(counts[i] >= 9500);
		CHECK(counts[i] <= 10500);
	}
	choice_free(&cs);
}

static void chance_frequency(void)
{
	struct choice_source cs;
	unsigned int hits = 0;

	choice_init_seed(&cs, 3);
	for (int i = 0; i < 40000; i++)
		hits += choice_chance(&cs, 1, 4);
	CHECK(hits >= 9500);
	CHECK(hits <= 10500);
	CHECK_EQ(40000, choice_count(&cs));
	choice_free(&cs);
}

static void chance_certain_draws_nothing(void)
{
	struct choice_source cs;

	choice_init_seed(&cs, 0);
	CHECK(!choice_chance(&cs, 0, 5));
	CHECK(choice_chance(&cs, 5, 5));
	CHECK(choice_chance(&cs, 7, 5));
	CHECK(choice_chance(&cs, 1, 1));
	CHECK_EQ(0, choice_count(&cs));
	CHECK_EQ(seed_0_outputs[0], raw(&cs));
	choice_free(&cs);
}

static void range_stays_in_range(void)
{
	struct choice_source cs;
	bool seen_lo = false, seen_hi = false;

	choice_init_seed(&cs, 5);
	for (int i = 0; i < 1000; i++) {
		u64 v = choice_range(&cs, 10, 13);
		CHECK(v >= 10 && v <= 13);
		seen_lo |= v == 10;
		seen_hi |= v == 13;
		v = choice_range(&cs, UINT64_MAX - 2, UINT64_MAX);
		CHECK(v >= UINT64_MAX - 2);
	}
	CHECK(seen_lo);
	CHECK(seen_hi);
	CHECK_EQ(4, choice_bounds(&cs)[0]);
	CHECK_EQ(3, choice_bounds(&cs)[1]);
	choice_free(&cs);
}

static void bytes_exact_values(void)
{
	static const u8 input[] = { 0x01, 0x02, 0x03, 0xff,
				    0x10, 0x20, 0x30, 0x07 };
	struct choice_source cs;

	choice_init_bytes(&cs, input, sizeof(input));
	CHECK_EQ(1, choice_below(&cs, 256));		/* 1 byte */
	CHECK_EQ(0x0302, choice_below(&cs, 65536));	/* 2 bytes, LE */
	CHECK_EQ(0xff % 10, choice_below(&cs, 10));	/* 1 byte, mod */
	CHECK_EQ(0, choice_below(&cs, 1));		/* no byte */
	CHECK_EQ(0x302010, choice_below(&cs, 1 << 24)); /* 3 bytes */
	CHECK_EQ(7, choice_below(&cs, 257));		/* 2 bytes, 1 left */
	CHECK_EQ(0, choice_below(&cs, 1000));		/* exhausted */
	CHECK_EQ(7, choice_count(&cs));
	choice_free(&cs);

	choice_init_bytes(&cs, input, sizeof(input));
	/* chance(n, d) is true when the draw v >= d - n. */
	CHECK(choice_chance(&cs, 1, 2));  /* v = 0x01 >= 1 */
	CHECK(choice_chance(&cs, 1, 3));  /* v = 0x02 >= 2 */
	CHECK(!choice_chance(&cs, 1, 5)); /* v = 0x03 < 4 */
	choice_free(&cs);
}

static void bytes_partial_draw_reads_missing_bytes_as_zero(void)
{
	static const u8 input[] = { 0xab };
	struct choice_source cs;

	choice_init_bytes(&cs, input, sizeof(input));
	CHECK_EQ(0xab, choice_below(&cs, 65536));
	CHECK_EQ(0, choice_below(&cs, 65536));
	choice_free(&cs);
}

/* Note 5: dry once a draw wants a byte the input lacks, not when the
 * last byte is taken, and never by a draw of bound 1. */
static void bytes_run_dry_at_first_missing_byte(void)
{
	static const u8 in[] = { 7, 1, 2 };
	struct choice_source cs;

	choice_init_bytes(&cs, in, sizeof(in));
	CHECK(!choice_dry(&cs));
	CHECK_EQ(7, choice_below(&cs, 256));
	CHECK_EQ(0x0201, choice_below(&cs, 65536));
	CHECK(!choice_dry(&cs)); /* every byte used, none missing */
	CHECK_EQ(0, choice_below(&cs, 1));
	CHECK(!choice_dry(&cs));
	CHECK_EQ(0, choice_below(&cs, 2));
	CHECK(choice_dry(&cs));
	choice_free(&cs);

	choice_init_bytes(&cs, in, sizeof(in));
	CHECK_EQ(7 | 1 << 8 | 2 << 16, choice_below(&cs, 1u << 24 | 1));
	CHECK(choice_dry(&cs)); /* a partial draw: its fourth byte missing */
	choice_free(&cs);
	CHECK(!choice_dry(&cs)); /* freed: a clean source */
}

static void seed_and_replay_never_run_dry(void)
{
	static const u64 values[] = { 3 };
	struct choice_source cs;
	int i;

	choice_init_seed(&cs, 1);
	for (i = 0; i < 1000; i++)
		choice_below(&cs, UINT64_MAX);
	CHECK(!choice_dry(&cs));
	choice_free(&cs);
	choice_init_replay(&cs, values, 1);
	for (i = 0; i < 10; i++)
		choice_below(&cs, 10);
	CHECK(!choice_dry(&cs));
	choice_free(&cs);
}

static void bytes_exhausted_yields_minimum(void)
{
	struct choice_source cs;

	choice_init_bytes(&cs, NULL, 0);
	CHECK_EQ(0, choice_below(&cs, 6));
	CHECK_EQ(0, choice_below(&cs, UINT64_MAX));
	CHECK_EQ(5, choice_range(&cs, 5, 9));
	CHECK_EQ(0, choice_range(&cs, 0, UINT64_MAX));
	CHECK(!choice_chance(&cs, 1, 2));
	CHECK(!choice_chance(&cs, 999, 1000));
	CHECK(choice_chance(&cs, 2, 2));
	CHECK_EQ(6, choice_count(&cs));
	CHECK(choice_recordable(&cs));
	choice_free(&cs);
}

static void bytes_bound_one_consumes_nothing(void)
{
	static const u8 input[] = { 7 };
	struct choice_source cs;

	choice_init_bytes(&cs, input, sizeof(input));
	for (int i = 0; i < 3; i++)
		CHECK_EQ(0, choice_below(&cs, 1));
	CHECK_EQ(42, choice_range(&cs, 42, 42));
	CHECK_EQ(7, choice_below(&cs, 256));
	CHECK_EQ(5, choice_count(&cs));
	choice_free(&cs);
}

static void bytes_full_range_reads_8_bytes(void)
{
	static const u8 input[] = { 0x88, 0x77, 0x66, 0x55, 0x44,
				    0x33, 0x22, 0x11, 0x05 };
	struct choice_source cs;

	choice_init_bytes(&cs, input, sizeof(input));
	CHECK_EQ(0x1122334455667788ULL, choice_range(&cs, 0, UINT64_MAX));
	CHECK_EQ(0x05, choice_below(&cs, UINT64_MAX)); /* 8 bytes, 1 left */
	choice_free(&cs);
}

/* A mix of every kind of draw, driven by the source itself. */
static void mixed_draws(struct choice_source *cs, u64 *out, size_t n)
{
	static const u64 bounds[] = { 1,   2,	  6,	      255,	 256,
				      257, 65537, 1ULL << 40, UINT64_MAX };

	for (size_t i = 0; i < n; i++) {
		switch (i % 4) {
		case 0:
			out[i] = choice_below(cs, bounds[i % 9]);
			break;
		case 1:
			out[i] = choice_range(cs, i, i + 1000 * (i % 7));
			break;
		case 2:
			out[i] = choice_chance(cs, 1, 3 + (u32)(i % 5));
			break;
		default:
			out[i] = choice_range(cs, 0, UINT64_MAX);
			break;
		}
	}
}

static void check_replay_matches(const struct choice_source *orig,
				 const u64 *results, size_t n)
{
	struct choice_source rp;
	u64 *again = calloc(n, sizeof(u64));

	CHECK(again);
	choice_init_replay(&rp, choice_values(orig), choice_count(orig));
	mixed_draws(&rp, again, n);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(results[i], again[i]);
	CHECK_EQ(choice_count(orig), choice_count(&rp));
	CHECK(memcmp(choice_values(orig), choice_values(&rp),
		     choice_count(orig) * sizeof(u64)) == 0);
	CHECK(memcmp(choice_bounds(orig), choice_bounds(&rp),
		     choice_count(orig) * sizeof(u64)) == 0);
	free(again);
	choice_free(&rp);
}

static void replay_reproduces_seed_run(void)
{
	enum { N = 10000 };
	static u64 results[N];
	struct choice_source cs;

	choice_init_seed(&cs, 2024);
	mixed_draws(&cs, results, N);
	CHECK(choice_recordable(&cs));
	CHECK_EQ(N, choice_count(&cs)); /* no certain chance: one draw each */
	CHECK_EQ(choice_count(&cs), choice_draws(&cs));
	check_replay_matches(&cs, results, N);
	choice_free(&cs);
}

static void replay_reproduces_bytes_run(void)
{
	enum { N = 2000 };
	static u64 results[N];
	static u8 input[4096];
	struct choice_source cs;

	for (size_t i = 0; i < sizeof(input); i++)
		input[i] = (u8)(i * 37 + 11);
	choice_init_bytes(&cs, input, sizeof(input));
	mixed_draws(&cs, results, N);
	check_replay_matches(&cs, results, N);
	choice_free(&cs);
}

static void replay_reduces_out_of_range_values(void)
{
	static const u64 values[] = { 7, 100, UINT64_MAX, 5, 12 };
	struct choice_source cs;

	choice_init_replay(&cs, values, 5);
	CHECK_EQ(2, choice_below(&cs, 5));
	CHECK_EQ(0, choice_below(&cs, 10));
	CHECK_EQ(UINT64_MAX % 7, choice_below(&cs, 7));
	CHECK_EQ(1, choice_below(&cs, 2));
	CHECK_EQ(12, choice_range(&cs, 10, 14)); /* 12 mod 5 = 2 */
	/* The log holds the values as returned, reduced. */
	CHECK_EQ(2, choice_values(&cs)[0]);
	CHECK_EQ(0, choice_values(&cs)[1]);
	CHECK_EQ(UINT64_MAX % 7, choice_values(&cs)[2]);
	CHECK_EQ(2, choice_values(&cs)[4]);
	choice_free(&cs);
}

static void replay_exhausted_yields_zeros(void)
{
	static const u64 values[] = { 3 };
	struct choice_source cs;

	choice_init_replay(&cs, values, 1);
	CHECK_EQ(3, choice_below(&cs, 10));
	CHECK_EQ(0, choice_below(&cs, 10));
	CHECK_EQ(0, choice_range(&cs, 0, UINT64_MAX));
	CHECK(!choice_chance(&cs, 1, 2));
	CHECK_EQ(4, choice_count(&cs));
	choice_free(&cs);

	choice_init_replay(&cs, NULL, 0);
	CHECK_EQ(8, choice_range(&cs, 8, 100));
	choice_free(&cs);
}

static void log_records_values_and_bounds(void)
{
	struct choice_source cs;
	u64 v[3];

	choice_init_seed(&cs, 1);
	v[0] = choice_below(&cs, 10);
	v[1] = choice_range(&cs, 100, 199);
	v[2] = choice_chance(&cs, 1, 2);
	CHECK_EQ(3, choice_count(&cs));
	CHECK_EQ(v[0], choice_values(&cs)[0]);
	CHECK_EQ(v[1] - 100, choice_values(&cs)[1]); /* offset from lo */
	CHECK_EQ(v[2], choice_values(&cs)[2]);	     /* 1 of 2: v >= 1 */
	CHECK_EQ(10, choice_bounds(&cs)[0]);
	CHECK_EQ(100, choice_bounds(&cs)[1]);
	CHECK_EQ(2, choice_bounds(&cs)[2]);
	choice_free(&cs);
}

static void log_limit_stops_recording_not_drawing(void)
{
	struct choice_source limited, free_running;

	choice_init_seed(&limited, 11);
	choice_init_seed(&free_running, 11);
	choice_set_log_limit(&limited, 100);
	for (int i = 0; i < 300; i++) {
		CHECK_EQ(choice_below(&free_running, 1000),
			 choice_below(&limited, 1000));
		CHECK_EQ(i < 100, choice_recordable(&limited));
	}
	CHECK_EQ(100, choice_count(&limited));
	CHECK_EQ(300, choice_draws(&limited));
	CHECK(!choice_recordable(&limited));
	CHECK(choice_recordable(&free_running));
	CHECK(memcmp(choice_values(&limited), choice_values(&free_running),
		     100 * sizeof(u64)) == 0);
	choice_free(&limited);
	choice_free(&free_running);
}

static void *fail_always(void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
	return NULL;
}

static void alloc_failure_stops_recording(void)
{
	struct choice_source cs;

	choice_init_seed(&cs, 0);
	choice_set_realloc(&cs, fail_always);
	CHECK_EQ(seed_0_outputs[0], raw(&cs));
	CHECK_EQ(seed_0_outputs[1], raw(&cs));
	CHECK_EQ(0, choice_count(&cs));
	CHECK_EQ(2, choice_draws(&cs));
	CHECK(!choice_recordable(&cs));
	CHECK(choice_values(&cs) == NULL);
	choice_free(&cs);
}

static unsigned int grow_calls;

/* Succeeds once (the first array), then fails (the second). */
static void *fail_second(void *ptr, size_t size)
{
	return grow_calls++ == 0 ? realloc(ptr, size) : NULL;
}

static void alloc_failure_of_second_array(void)
{
	struct choice_source cs;

	grow_calls = 0;
	choice_init_seed(&cs, 1);
	choice_set_realloc(&cs, fail_second);
	CHECK_EQ(seed_1_outputs[0], raw(&cs));
	CHECK_EQ(seed_1_outputs[1], raw(&cs));
	CHECK_EQ(0, choice_count(&cs));
	CHECK(!choice_recordable(&cs));
	choice_free(&cs); /* ASan: the first array is not leaked */

	/* Recording survives the first growth and stops at the second. */
	choice_init_seed(&cs, 1);
	for (int i = 0; i < 256; i++)
		choice_below(&cs, 3);
	choice_set_realloc(&cs, fail_always);
	choice_below(&cs, 3);
	CHECK_EQ(256, choice_count(&cs));
	CHECK_EQ(257, choice_draws(&cs));
	CHECK(!choice_recordable(&cs));
	choice_free(&cs);
}

static void free_resets_the_source(void)
{
	struct choice_source cs;

	choice_init_seed(&cs, 0);
	choice_below(&cs, 10);
	choice_free(&cs);
	CHECK_EQ(CHOICE_BACKEND_NONE, cs.backend);
	CHECK_EQ(0, choice_count(&cs));
	CHECK(choice_values(&cs) == NULL);
	choice_init_seed(&cs, 0);
	CHECK_EQ(seed_0_outputs[0], raw(&cs));
	choice_free(&cs);
}

HARNESS_MAIN(TESTS)
