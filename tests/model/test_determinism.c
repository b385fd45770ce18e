/*
 * test_determinism.c - a run is a pure function of its choices.
 *
 * 1,000 swarm seeds over every device type run twice give the same event
 * stream (hash and count) each time, and the digest of all their hashes
 * equals GOLDEN_DIGEST: the value every build type must produce. The
 * sanitizer build runs this test under ctest; tests/determinism/release.sh
 * builds and runs the same program optimised without sanitizers, so the
 * two build types are compared through the same constant.
 *
 * A change that alters the world's behaviour on purpose changes the
 * digest: run this program with --print-digest and update GOLDEN_DIGEST
 * (say why in the commit).
 */
#include "harness.h"
#include "sim_runs.h"

#include <string.h>
#include <world.h>

#define SEEDS 1000
#define GOLDEN_DIGEST 0x83e1c5529fb39f1cULL

static bool print_digest; /* --print-digest: print it, compare nothing */

static u64 run_hash(u64 seed, u64 *events)
{
	const struct sim_config cfg = { .swarm = true };
	struct sim_result r;

	sim_test_run(&cfg, seed, &r);
	CHECK(!r.failed);
	*events = r.events;
	return r.event_hash;
}

/* FNV-1a over the little-endian bytes of every seed's hash and count. */
static u64 digest_add(u64 digest, u64 value)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		digest = (digest ^ (u8)(value >> (8 * i))) * 0x100000001b3ULL;
	return digest;
}

static u64 campaign_digest(void)
{
	u64 digest = 0xcbf29ce484222325ULL, seed, events, hash;

	for (seed = 0; seed < SEEDS; seed++) {
		hash = run_hash(seed, &events);
		digest = digest_add(digest_add(digest, hash), events);
	}
	return digest;
}

#define TESTS(X)                                                               \
	X(thousand_seeds_twice_same_streams)                                   \
	X(digest_matches_every_build_type)
TESTS(HARNESS_DECLARE)

static void thousand_seeds_twice_same_streams(void)
{
	u64 seed, events_a, events_b;

	for (seed = 0; seed < SEEDS; seed++) {
		u64 a = run_hash(seed, &events_a);
		u64 b = run_hash(seed, &events_b);

		CHECK_EQ(a, b);
		CHECK_EQ(events_a, events_b);
	}
}

static void digest_matches_every_build_type(void)
{
	u64 digest = campaign_digest();

	if (print_digest) {
		printf("%#llx\n", (unsigned long long)digest);
		return;
	}
	if (digest != GOLDEN_DIGEST)
		fprintf(stderr, "digest %#llx, expected %#llx\n",
			(unsigned long long)digest,
			(unsigned long long)GOLDEN_DIGEST);
	CHECK_EQ(GOLDEN_DIGEST, digest);
}

int main(int argc, char **argv)
{
	static const char *const names[] = { TESTS(HARNESS_NAME) };
	static void (*const fns[])(void) = { TESTS(HARNESS_FN) };

	static char digest_test[] = "digest_matches_every_build_type";
	char *only[] = { argv[0], digest_test, NULL };

	if (argc == 2 && strcmp(argv[1], "--print-digest") == 0) {
		print_digest = true;
		return harness_main(2, only, names, fns,
				    sizeof(fns) / sizeof(fns[0]));
	}
	return harness_main(argc, argv, names, fns,
			    sizeof(fns) / sizeof(fns[0]));
}
