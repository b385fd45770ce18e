/*
 * test_determinism.c - a run is a pure function of its choices.
 *
 * 1,000 swarm seeds over every device type, each run and then replayed
 * from the choices it recorded (as `ringside replay` does), give the same
 * event stream (hash and count) both times, and the digest of all their
 * hashes equals GOLDEN_DIGEST: the value every build type must produce.
 *
 * The fuzz inputs of the world (corpus/world and tests/fuzz/findings/world,
 * run as fuzz/fuzz_world.c runs them: the bytes are the choices) are the
 * other way into the world: each runs twice and replayed from its
 * recorded choices, with the same stream each time. Their digest has no
 * constant (the corpus is regenerated now and then); the other builds
 * compare theirs with this build's (--print-input-digest).
 *
 * The sanitizer build runs this test under ctest; tests/determinism/
 * release.sh builds and runs the same program optimised without
 * sanitizers, with gcc and with clang, so the build types and compilers
 * are compared through the same constant and the same input digest.
 *
 * A change that alters the world's behaviour on purpose changes the
 * digest: run this program with --print-digest and update GOLDEN_DIGEST
 * (say why in the commit).
 */
#define _XOPEN_SOURCE 700 /* opendir */

#include "harness.h"
#include "sim_runs.h"

#include <choice.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <world.h>

#define SEEDS 1000
#define GOLDEN_DIGEST 0x8bcd68f904d22413ULL

/* fuzz/fuzz_world.c's configuration: any device, swarm, 600 steps. */
#define INPUT_STEPS 600
#define INPUTS_MAX 4096
#define INPUT_BYTES_MAX (1u << 20)

/* The folders of world inputs, under the source tree (CMake says where). */
#ifndef DETERMINISM_SOURCE_DIR
#error "DETERMINISM_SOURCE_DIR: the source tree (tests/CMakeLists.txt)"
#endif
static const char *const input_dirs[] = { "corpus/world",
					  "tests/fuzz/findings/world" };

static bool print_digest;	/* --print-digest: print it, compare nothing */
static bool print_input_digest; /* --print-input-digest: the same */

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

/* --- the fuzz inputs --------------------------------------------------------- */

static const struct sim_config input_cfg = { .device = SIM_DEVICE_ANY,
					     .swarm = true,
					     .steps_max = INPUT_STEPS };

struct input {
	char *path;
	u8 *data;
	size_t len;
};

static int input_cmp(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->path,
		      ((const struct input *)b)->path);
}

static bool read_input(struct input *in)
{
	FILE *f = fopen(in->path, "rb");

	if (!f)
		return false;
	in->data = malloc(INPUT_BYTES_MAX);
	in->len = in->data ? fread(in->data, 1, INPUT_BYTES_MAX, f) : 0;
	fclose(f);
	return in->data != NULL && in->len < INPUT_BYTES_MAX;
}

/* Every regular file of the input folders, read, sorted by path. */
static size_t load_inputs(struct input *inputs)
{
	size_t n = 0, i, k;

	for (k = 0; k < sizeof(input_dirs) / sizeof(input_dirs[0]); k++) {
		char dir[1024];
		struct dirent *e;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%s", DETERMINISM_SOURCE_DIR,
			 input_dirs[k]);
		d = opendir(dir);
		CHECK(d != NULL);
		if (!d)
			continue;
		while ((e = readdir(d)) != NULL && n < INPUTS_MAX) {
			size_t len = strlen(dir) + strlen(e->d_name) + 2;

			if (e->d_name[0] == '.' ||
			    strcmp(e->d_name, "README.md") == 0)
				continue;
			inputs[n].path = malloc(len);
			CHECK(inputs[n].path != NULL);
			if (!inputs[n].path)
				break;
			snprintf(inputs[n].path, len, "%s/%s", dir, e->d_name);
			n++;
		}
		closedir(d);
	}
	qsort(inputs, n, sizeof(inputs[0]), input_cmp);
	for (i = 0; i < n; i++)
		CHECK(read_input(&inputs[i]));
	return n;
}

static void free_inputs(struct input *inputs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(inputs[i].path);
		free(inputs[i].data);
	}
}

/* One input as the world target runs it; its choices recorded into rec
 * (initialised here, freed by the caller). */
static void run_input(const struct input *in, struct choice_source *rec,
		      struct sim_result *r)
{
	choice_init_bytes(rec, in->data, in->len);
	CHECK_EQ(0, sim_run(&input_cfg, rec, r));
}

/* The input run twice and replayed from its recorded choices: the same
 * stream three times. Returns the first run's hash, *events its count. */
static u64 input_hash(const struct input *in, u64 *events)
{
	struct choice_source a, b, rep;
	struct sim_result ra, rb, rr;

	run_input(in, &a, &ra);
	run_input(in, &b, &rb);
	CHECK(choice_recordable(&a));
	choice_init_replay(&rep, choice_values(&a), choice_count(&a));
	CHECK_EQ(0, sim_run(&input_cfg, &rep, &rr));
	if (ra.event_hash != rb.event_hash || ra.event_hash != rr.event_hash)
		fprintf(stderr, "%s: hash %#llx, again %#llx, replayed %#llx\n",
			in->path, (unsigned long long)ra.event_hash,
			(unsigned long long)rb.event_hash,
			(unsigned long long)rr.event_hash);
	CHECK_EQ(ra.event_hash, rb.event_hash);
	CHECK_EQ(ra.events, rb.events);
	CHECK_EQ(ra.event_hash, rr.event_hash);
	CHECK_EQ(ra.events, rr.events);
	choice_free(&rep);
	choice_free(&b);
	choice_free(&a);
	*events = ra.events;
	return ra.event_hash;
}

#define TESTS(X)                                                               \
	X(thousand_seeds_run_and_replayed_same_streams)                        \
	X(digest_matches_every_build_type)                                     \
	X(fuzz_inputs_twice_and_replayed_same_streams)
TESTS(HARNESS_DECLARE)

/* The second run of each seed is its replay from the recorded choices:
 * it shows that a run depends on its choices alone, and that what is
 * recorded of them is all of them. */
static void thousand_seeds_run_and_replayed_same_streams(void)
{
	const struct sim_config cfg = { .swarm = true };
	struct sim_result a, b;
	u64 seed;

	for (seed = 0; seed < SEEDS; seed++) {
		sim_test_run_and_replay(&cfg, seed, &a, &b);
		CHECK(!a.failed);
		CHECK_EQ(a.event_hash, b.event_hash);
		CHECK_EQ(a.events, b.events);
		CHECK_EQ(a.choices, b.choices);
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

static void fuzz_inputs_twice_and_replayed_same_streams(void)
{
	static struct input inputs[INPUTS_MAX];
	u64 digest = 0xcbf29ce484222325ULL, events, hash;
	size_t n = load_inputs(inputs), i;

	/* The corpus has dozens; none would prove nothing. */
	CHECK(n >= 10);
	for (i = 0; i < n; i++) {
		hash = input_hash(&inputs[i], &events);
		digest = digest_add(digest_add(digest, hash), events);
	}
	if (print_input_digest)
		printf("%#llx\n", (unsigned long long)digest);
	else
		fprintf(stderr, "%zu fuzz inputs, digest %#llx\n", n,
			(unsigned long long)digest);
	free_inputs(inputs, n);
}

int main(int argc, char **argv)
{
	static const char *const names[] = { TESTS(HARNESS_NAME) };
	static void (*const fns[])(void) = { TESTS(HARNESS_FN) };

	static char digest_test[] = "digest_matches_every_build_type";
	static char input_test[] =
		"fuzz_inputs_twice_and_replayed_same_streams";
	char *only[] = { argv[0], digest_test, NULL };

	if (argc == 2 && strcmp(argv[1], "--print-digest") == 0) {
		print_digest = true;
		return harness_main(2, only, names, fns,
				    sizeof(fns) / sizeof(fns[0]));
	}
	if (argc == 2 && strcmp(argv[1], "--print-input-digest") == 0) {
		print_input_digest = true;
		only[1] = input_test;
		return harness_main(2, only, names, fns,
				    sizeof(fns) / sizeof(fns[0]));
	}
	return harness_main(argc, argv, names, fns,
			    sizeof(fns) / sizeof(fns[0]));
}
