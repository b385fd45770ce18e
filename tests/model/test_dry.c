/*
 * test_dry.c - runs that end when their fuzz input runs dry (world.h,
 * sim_config.end_when_dry; choice.h note 5): such a run stops after the
 * step in which the input ran out, tears down with every oracle, and
 * replays from its recorded draws over the steps it ran; a seeded run
 * encoded as bytes (make_corpus) never runs dry and so stays whole.
 */
#include "harness.h"
#include "sim_runs.h"

#include <choice.h>
#include <errno.h>
#include <string.h>
#include <world.h>

/* The world target's configuration (fuzz_world.c). */
#define STEPS 600
#define INPUT_MAX 65536

#define TESTS(X)                                                               \
	X(short_input_ends_early_with_teardown)                                \
	X(without_the_flag_a_short_input_runs_every_step)                      \
	X(empty_input_runs_one_step)                                           \
	X(oracles_run_at_the_end_of_a_dry_run)                                 \
	X(dry_run_replays_over_its_steps)                                      \
	X(failing_dry_run_replays_its_failure)                                 \
	X(seeded_run_as_bytes_never_runs_dry)                                  \
	X(unread_events_change_nothing_but_the_hash)
TESTS(HARNESS_DECLARE)

static struct sim_config fuzz_config(bool end_when_dry)
{
	struct sim_config cfg = { .steps_max = STEPS,
				  .device = SIM_DEVICE_ANY,
				  .swarm = true,
				  .end_when_dry = end_when_dry };

	return cfg;
}

/* An input: the bytes of an xorshift from x, n of them. */
static void make_input(u8 *buf, size_t n, u64 x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (u8)x;
	}
}

/* Runs bytes in the world; keeps its draws in *rec (freed by the caller)
 * when rec is given. Returns whether the input ran dry. */
static bool run_bytes(const struct sim_config *cfg, const u8 *bytes, size_t n,
		      struct sim_result *r, struct choice_source *rec)
{
	struct choice_source own, *cs = rec ? rec : &own;
	bool dry;

	choice_init_bytes(cs, bytes, n);
	CHECK_EQ(0, sim_run(cfg, cs, r));
	dry = choice_dry(cs);
	if (!rec)
		choice_free(cs);
	return dry;
}

static void short_input_ends_early_with_teardown(void)
{
	struct sim_config cfg = fuzz_config(true);
	struct event_log log;
	struct sim_result r;
	u8 in[200];
	u64 x;

	for (x = 1; x <= 20; x++) {
		make_input(in, sizeof(in), x);
		event_log_init(&log, 0);
		cfg.log = &log;
		CHECK(run_bytes(&cfg, in, sizeof(in), &r, NULL));
		CHECK(r.steps >= 1);
		CHECK(r.steps < STEPS);
		/* the teardown ran: every token went back, the run ended */
		CHECK_EQ(r.tokens_added, r.tokens_got + r.tokens_detached);
		CHECK(strcmp(sim_event_kind_name(
				     event_log_get(&log, log.stored - 1)->kind),
			     "run-end") == 0);
		CHECK(event_log_get(&log, log.stored - 2)->step <= r.steps);
		sim_test_report(x, &r);
		event_log_free(&log);
	}
}

static void without_the_flag_a_short_input_runs_every_step(void)
{
	struct sim_config cfg = fuzz_config(false);
	struct sim_result r;
	u8 in[200];

	make_input(in, sizeof(in), 1);
	CHECK(run_bytes(&cfg, in, sizeof(in), &r, NULL));
	CHECK_EQ(STEPS, r.steps);
}

static void empty_input_runs_one_step(void)
{
	struct sim_config cfg = fuzz_config(true);
	struct sim_result r;

	CHECK(run_bytes(&cfg, NULL, 0, &r, NULL));
	CHECK_EQ(1, r.steps);
	CHECK(!r.failed);
	sim_test_report(0, &r);
}

/* A planted leak (the driver forgets to free one buffer it takes back)
 * shows at teardown: the leak oracle must still see it when the input
 * ends the run. */
static void oracles_run_at_the_end_of_a_dry_run(void)
{
	struct sim_config cfg = fuzz_config(true);
	struct sim_result r;
	unsigned int leaks = 0, runs = 0;
	u8 in[300];
	u64 x;

	cfg.plant_leak = true;
	for (x = 1; x <= 20; x++) {
		make_input(in, sizeof(in), x);
		run_bytes(&cfg, in, sizeof(in), &r, NULL);
		if (r.steps >= STEPS || !r.driver_bound)
			continue;
		runs++;
		if (r.failed)
			CHECK(strcmp(r.oracle, "leak") == 0);
		leaks += r.failed;
	}
	/* a short run may never give a buffer back for the plant to lose */
	CHECK(runs >= 10);
	CHECK(leaks >= runs / 2);
}

/* ringside fuzz stores a dry run with steps_max = the steps it ran and
 * its draws (zeros after the input's end included): the replay is the
 * same run. */
static void replay_check(const u8 *in, size_t n, struct sim_config cfg,
			 bool want_failed)
{
	struct choice_source rec, rep;
	struct sim_result a, b;

	CHECK(run_bytes(&cfg, in, n, &a, &rec));
	CHECK_EQ(want_failed, a.failed);
	CHECK(a.steps < STEPS);
	CHECK(choice_recordable(&rec));
	cfg.end_when_dry = false;
	cfg.steps_max = a.steps;
	choice_init_replay(&rep, choice_values(&rec), choice_count(&rec));
	CHECK_EQ(0, sim_run(&cfg, &rep, &b));
	CHECK_EQ(a.event_hash, b.event_hash);
	CHECK_EQ(a.events, b.events);
	CHECK_EQ(a.steps, b.steps);
	CHECK_EQ(a.choices, b.choices);
	CHECK_EQ(a.failed, b.failed);
	if (a.failed && b.failed)
		CHECK(strcmp(a.oracle, b.oracle) == 0);
	choice_free(&rep);
	choice_free(&rec);
}

static void dry_run_replays_over_its_steps(void)
{
	u8 in[400];
	u64 x;

	for (x = 1; x <= 10; x++) {
		make_input(in, sizeof(in), x);
		replay_check(in, sizeof(in), fuzz_config(true), false);
	}
}

static void failing_dry_run_replays_its_failure(void)
{
	struct sim_config cfg = fuzz_config(true);
	u8 in[300];

	struct sim_result r;
	u64 x = 1;

	cfg.plant_leak = true;
	do
		make_input(in, sizeof(in), x++);
	while (run_bytes(&cfg, in, sizeof(in), &r, NULL) && !r.failed &&
	       x < 100);
	replay_check(in, sizeof(in), cfg, true);
}

/* make_corpus: every draw of a seeded run, in the bytes its bound needs. */
static size_t encode(const struct choice_source *cs, u8 *out, size_t max)
{
	size_t i, n = 0;
	unsigned int b, k;

	for (i = 0; i < choice_count(cs); i++) {
		k = choice_bytes_for_bound(choice_bounds(cs)[i]);
		for (b = 0; b < k && n < max; b++)
			out[n++] = (u8)(choice_values(cs)[i] >> (8 * b));
	}
	CHECK(n < max);
	return n;
}

static void seeded_run_as_bytes_never_runs_dry(void)
{
	static u8 in[INPUT_MAX];
	struct sim_config cfg = fuzz_config(true);
	struct choice_source seeded;
	struct sim_result a, b;
	size_t n;
	u64 seed;

	for (seed = 1; seed <= 12; seed++) {
		choice_init_seed(&seeded, seed);
		CHECK_EQ(0, sim_run(&cfg, &seeded, &a));
		n = encode(&seeded, in, sizeof(in));
		choice_free(&seeded);
		CHECK(!run_bytes(&cfg, in, n, &b, NULL));
		CHECK_EQ(a.event_hash, b.event_hash);
		CHECK_EQ(a.steps, b.steps);
		CHECK_EQ(a.failed, b.failed);
	}
}

/* The fuzz target counts events only (events_unread): the same run in all
 * else, and a configuration that asks for the events as well is refused. */
static void unread_events_change_nothing_but_the_hash(void)
{
	struct sim_config cfg = fuzz_config(true);
	struct sim_result a, b;
	struct choice_source cs;
	struct event_log log;
	u8 in[600];
	u64 x;

	for (x = 1; x <= 30; x++) {
		make_input(in, sizeof(in), x);
		cfg.events_unread = false;
		run_bytes(&cfg, in, sizeof(in), &a, NULL);
		cfg.events_unread = true;
		run_bytes(&cfg, in, sizeof(in), &b, NULL);
		CHECK(a.event_hash != 0);
		CHECK_EQ(0, b.event_hash);
		CHECK_EQ(a.events, b.events);
		CHECK_EQ(a.steps, b.steps);
		CHECK_EQ(a.choices, b.choices);
		CHECK_EQ(a.failed, b.failed);
		CHECK_EQ(a.tokens_added, b.tokens_added);
		CHECK_EQ(a.completed, b.completed);
	}
	event_log_init(&log, 0);
	cfg.log = &log;
	choice_init_bytes(&cs, in, sizeof(in));
	CHECK_EQ(-EINVAL, sim_run(&cfg, &cs, &a));
	CHECK_EQ(0, event_log_count(&log));
	choice_free(&cs);
	event_log_free(&log);
}

HARNESS_MAIN(TESTS)
