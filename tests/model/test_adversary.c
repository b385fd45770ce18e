/*
 * test_adversary.c - every behaviour of the adversary catalogue
 * (model/adversary.h), switched on alone over every device type: the run
 * passes (no false alarm, no missed detection, no other oracle), the
 * behaviour really fired, and the ring reacted as the catalogue says: a
 * healthy queue for legal behaviour, the right fault or a clamped len for
 * illegal behaviour.
 */
#include "harness.h"
#include "sim_runs.h"

#include <adversary.h>
#include <device.h>
#include <devices.h>
#include <linux/kernel.h>
#include <string.h>
#include <world.h>

#define SEEDS 25
#define STEPS 2000

struct totals {
	unsigned int runs, failed, bound, bound_modern, bound_legacy, modern;
	u64 fired, checks, check_fault[VRING_FAULT_COUNT], clamped;
	u64 detached, probes, unplugs, device_stalls;
};

static void add_run(struct totals *t, const struct sim_result *r,
		    enum adv_behaviour b)
{
	unsigned int f;

	t->runs++;
	if (r->failed) {
		t->failed++;
		fprintf(stderr, "%s: seed run %u (%s): %s: %s (step %llu)\n",
			adv_info(b)->name, t->runs, sim_device_name(r->device),
			r->oracle, r->message,
			(unsigned long long)r->fail_step);
	}
	t->bound += r->driver_bound;
	t->modern += r->mode == 2;
	t->bound_modern += r->driver_bound && r->mode == 2;
	t->bound_legacy += r->driver_bound && r->mode != 2;
	t->fired += r->fired[b];
	t->checks += r->checks;
	for (f = 0; f < VRING_FAULT_COUNT; f++)
		t->check_fault[f] += r->check_fault[f];
	t->clamped += r->check_clamped;
	t->detached += r->tokens_detached;
	t->probes += r->probes;
	t->unplugs += r->unplugs;
	t->device_stalls += r->device_stalls;
}

/* It fired alone: nothing else did. */
static void check_alone(const struct sim_result *r, enum adv_behaviour b)
{
	unsigned int other;

	for (other = 0; other < ADV_COUNT; other++)
		if (other != b)
			CHECK_EQ(0, r->fired[other]);
}

/* Runs b alone at rate over SEEDS seeds of every device type. */
static struct totals run_alone(enum adv_behaviour b, u32 rate)
{
	struct totals t;
	struct adversary adv;
	unsigned int type, seed;

	memset(&t, 0, sizeof(t));
	adv_config_none(&adv);
	adv_enable(&adv, b, rate);
	for (type = SIM_DEVICE_ANY + 1; type < SIM_DEVICE_COUNT; type++) {
		for (seed = 0; seed < SEEDS; seed++) {
			struct sim_config cfg = {
				.steps_max = STEPS,
				.device = (enum sim_device_type)type,
				.adversary = &adv,
			};
			struct sim_result r;

			sim_test_run_quiet(&cfg, seed, &r);
			add_run(&t, &r, b);
			check_alone(&r, b);
		}
	}
	CHECK_EQ(0, t.failed);
	return t;
}

#define TESTS(X)                                                               \
	X(catalogue_is_complete)                                               \
	X(nothing_enabled_fires_nothing)                                       \
	X(out_of_order)                                                        \
	X(delay)                                                               \
	X(never_complete)                                                      \
	X(spurious_irq)                                                        \
	X(withhold_irq)                                                        \
	X(used_id_range)                                                       \
	X(used_id_not_head)                                                    \
	X(duplicate)                                                           \
	X(used_idx_ahead)                                                      \
	X(used_idx_back)                                                       \
	X(len_too_large)                                                       \
	X(len_zero)                                                            \
	X(write_readable)                                                      \
	X(rewrite_desc)                                                        \
	X(rewrite_avail)                                                       \
	X(hostile_suppress)                                                    \
	X(reset_in_flight)                                                     \
	X(needs_reset)                                                         \
	X(config_storm)                                                        \
	X(refuse_features)                                                     \
	X(foreign_features)                                                    \
	X(bad_queue_size)                                                      \
	X(hot_unplug)                                                          \
	X(alloc_fail)                                                          \
	X(index_wrap)                                                          \
	X(mid_read)                                                            \
	X(mid_read_rewrite)                                                    \
	X(values_at_boundaries)                                                \
	X(acts_at_boundaries)
TESTS(HARNESS_DECLARE)

static void catalogue_is_complete(void)
{
	unsigned int b, legal = 0;

	CHECK_EQ(27, ADV_COUNT);
	for (b = 0; b < ADV_COUNT; b++) {
		const struct adv_info *info = adv_info(b);

		CHECK(info->name && info->description);
		CHECK_EQ(b, adv_lookup(info->name));
		/* Legal behaviour never expects a reaction. */
		if (info->legal)
			CHECK_EQ(ADV_EXPECT_HEALTHY, info->expect);
		legal += info->legal;
	}
	CHECK(legal > 0 && legal < ADV_COUNT);
	CHECK_EQ(ADV_COUNT, adv_lookup("no-such-behaviour"));
}

static void nothing_enabled_fires_nothing(void)
{
	struct sim_config cfg = { .steps_max = STEPS };
	unsigned int seed, b;

	for (seed = 0; seed < 40; seed++) {
		struct sim_result r;

		sim_test_run(&cfg, seed, &r);
		CHECK(!r.failed);
		CHECK(!r.device_lied);
		CHECK_EQ(0, r.checks);
		for (b = 0; b < ADV_COUNT; b++)
			CHECK_EQ(0, r.fired[b]);
	}
}

static void out_of_order(void)
{
	CHECK(run_alone(ADV_OUT_OF_ORDER, 256).fired > 100);
}

static void delay(void)
{
	CHECK(run_alone(ADV_DELAY, 256).fired > 100);
}

/* Requests never completed come back through detach_unused_buf. */
static void never_complete(void)
{
	struct totals t = run_alone(ADV_NEVER_COMPLETE, 64);

	CHECK(t.fired > 50);
	CHECK(t.detached >= t.fired / 2);
}

static void spurious_irq(void)
{
	CHECK(run_alone(ADV_SPURIOUS_IRQ, 512).fired > 100);
}

/* Withheld interrupts: the driver's polling recovers; no failure. */
static void withhold_irq(void)
{
	CHECK(run_alone(ADV_WITHHOLD_IRQ, 256).fired > 100);
}

static void used_id_range(void)
{
	struct totals t = run_alone(ADV_USED_ID_RANGE, 64);

	CHECK(t.checks > 20);
	CHECK(t.check_fault[VRING_FAULT_USED_ID_RANGE] > 10);
	CHECK_EQ(t.checks, t.check_fault[VRING_FAULT_USED_ID_RANGE] +
				   t.check_fault[VRING_FAULT_USED_IDX_AHEAD]);
}

static void used_id_not_head(void)
{
	struct totals t = run_alone(ADV_USED_ID_NOT_HEAD, 64);

	CHECK(t.check_fault[VRING_FAULT_USED_ID_NOT_HEAD] +
		      t.check_fault[VRING_FAULT_USED_ID_DUPLICATE] >
	      10);
	CHECK_EQ(0, t.check_fault[VRING_FAULT_NONE]);
}

static void duplicate(void)
{
	struct totals t = run_alone(ADV_DUPLICATE, 64);

	CHECK(t.check_fault[VRING_FAULT_USED_ID_DUPLICATE] > 10);
	CHECK_EQ(0, t.check_fault[VRING_FAULT_NONE]);
}

static void used_idx_ahead(void)
{
	struct totals t = run_alone(ADV_USED_IDX_AHEAD, 64);

	CHECK(t.check_fault[VRING_FAULT_USED_IDX_AHEAD] > 10);
	CHECK_EQ(0, t.check_fault[VRING_FAULT_NONE]);
}

static void used_idx_back(void)
{
	struct totals t = run_alone(ADV_USED_IDX_BACK, 64);

	CHECK(t.check_fault[VRING_FAULT_USED_IDX_BACKWARDS] > 10);
	CHECK_EQ(0, t.check_fault[VRING_FAULT_NONE]);
}

/* Clamped, counted, and the queue stays healthy. */
static void len_too_large(void)
{
	struct totals t = run_alone(ADV_LEN_TOO_LARGE, 64);

	CHECK(t.clamped > 50);
	CHECK_EQ(t.checks, t.check_fault[VRING_FAULT_NONE]);
}

static void len_zero(void)
{
	CHECK(run_alone(ADV_LEN_ZERO, 256).fired > 100);
}

static void write_readable(void)
{
	CHECK(run_alone(ADV_WRITE_READABLE, 256).fired > 100);
}

static void rewrite_desc(void)
{
	struct totals t = run_alone(ADV_REWRITE_DESC, 64);

	CHECK(t.check_fault[VRING_FAULT_DESC_REWRITTEN] > 10);
	CHECK_EQ(0, t.check_fault[VRING_FAULT_NONE]);
}

static void rewrite_avail(void)
{
	struct totals t = run_alone(ADV_REWRITE_AVAIL, 64);

	CHECK(t.check_fault[VRING_FAULT_AVAIL_REWRITTEN] > 10);
	CHECK_EQ(0, t.check_fault[VRING_FAULT_NONE]);
}

static void hostile_suppress(void)
{
	CHECK(run_alone(ADV_HOSTILE_SUPPRESS, 512).fired > 100);
}

/* The driver rebinds: more probes than runs. */
static void reset_in_flight(void)
{
	struct totals t = run_alone(ADV_RESET_IN_FLIGHT, 256);

	CHECK(t.fired > 20);
	CHECK(t.probes > t.runs + t.fired / 2);
}

static void needs_reset(void)
{
	struct totals t = run_alone(ADV_NEEDS_RESET, 256);

	CHECK(t.fired > 20);
	CHECK(t.unplugs >= t.fired / 2);
}

static void config_storm(void)
{
	CHECK(run_alone(ADV_CONFIG_STORM, 256).fired > 20);
}

/* 1.x: FEATURES_OK cleared, the probe fails cleanly; legacy cannot
 * refuse. */
static void refuse_features(void)
{
	struct totals t = run_alone(ADV_REFUSE_FEATURES, ADV_RATE_DEN);

	CHECK_EQ(t.runs, t.fired);
	CHECK(t.modern > 10);
	CHECK_EQ(0, t.bound_modern);
	CHECK_EQ(t.runs - t.modern, t.bound_legacy);
}

static void foreign_features(void)
{
	struct totals t = run_alone(ADV_FOREIGN_FEATURES, ADV_RATE_DEN);

	CHECK_EQ(t.runs, t.fired);
	CHECK_EQ(t.runs, t.bound);
}

static void bad_queue_size(void)
{
	struct totals t = run_alone(ADV_BAD_QUEUE_SIZE, ADV_RATE_DEN);

	CHECK_EQ(t.runs, t.fired);
	CHECK_EQ(0, t.bound);
}

static void hot_unplug(void)
{
	struct totals t = run_alone(ADV_HOT_UNPLUG, 256);

	CHECK(t.unplugs > 20);
	CHECK(t.probes > t.runs + t.unplugs / 2);
}

static void alloc_fail(void)
{
	CHECK(run_alone(ADV_ALLOC_FAIL, 16).fired > 100);
}

/* Tens of thousands of buffers through a queue, the indices wrap, the
 * ring kicks by itself after 65,535 adds without a kick (device.h note 5
 * checks it), and the runs go on healthy. */
static void index_wrap(void)
{
	struct adversary adv;
	struct event_log log;
	unsigned int seed, bursts = 0, forced = 0, near = 0;
	size_t i;

	adv_config_none(&adv);
	adv_enable(&adv, ADV_INDEX_WRAP, ADV_RATE_DEN);
	for (seed = 0; seed < 8; seed++) {
		struct sim_config cfg = {
			.device = (enum sim_device_type)(1 + seed % 4),
			.adversary = &adv,
			.log = &log,
		};
		struct sim_result r;

		event_log_init(&log, 1u << 20);
		sim_test_run_quiet(&cfg, seed, &r);
		if (r.failed)
			sim_test_report(seed, &r);
		CHECK(!r.failed);
		for (i = 0; i < event_log_stored(&log); i++) {
			const struct sim_event *ev = event_log_get(&log, i);

			if (ev->kind != SIM_EV_ADVERSARY ||
			    ev->a != ADV_INDEX_WRAP)
				continue;
			bursts++;
			/* The forced mode: one kick, by the ring itself. */
			forced += ev->b >= 0xffff - 64 && ev->c == 1;
			near += ev->b < 0xffff - 64;
		}
		event_log_free(&log);
	}
	fprintf(stderr, "%u bursts: %u forced kicks, %u near the wrap\n",
		bursts, forced, near);
	CHECK(bursts >= 6);
	CHECK(forced >= 1);
	CHECK(near >= 1);
}

/* How often behaviour b acted on each region of the ring's reads (device.h
 * note 8) over 8 seeds of every device type, from the events. */
static void read_regions(enum adv_behaviour b, u32 rate,
			 unsigned int regions[SIM_READ_INDIRECT + 1])
{
	struct adversary adv;
	struct event_log log;
	unsigned int seed;
	size_t i;

	adv_config_none(&adv);
	adv_enable(&adv, b, rate);
	for (seed = 0; seed < 8; seed++) {
		struct sim_config cfg = {
			.device = (enum sim_device_type)(1 + seed % 4),
			.adversary = &adv,
			.log = &log,
		};
		struct sim_result r;

		event_log_init(&log, 1u << 20);
		sim_test_run_quiet(&cfg, seed, &r);
		CHECK(!r.failed);
		for (i = 0; i < event_log_stored(&log); i++) {
			const struct sim_event *ev = event_log_get(&log, i);

			if (ev->kind == SIM_EV_ADVERSARY && ev->a == b &&
			    ev->b <= SIM_READ_INDIRECT)
				regions[ev->b]++;
		}
		event_log_free(&log);
	}
}

/* Inside the ring's reads the device changes what it owns (used flags,
 * avail_event) and completes requests; the queues stay healthy. */
static void mid_read(void)
{
	unsigned int regions[SIM_READ_INDIRECT + 1] = { 0 };
	struct totals t = run_alone(ADV_MID_READ, 256);

	CHECK(t.fired > 100);
	CHECK_EQ(0, t.checks);
	read_regions(ADV_MID_READ, 256, regions);
	CHECK(regions[SIM_READ_USED_IDX] > 20); /* completions */
	CHECK(regions[SIM_READ_USED_FLAGS] + regions[SIM_READ_AVAIL_EVENT] >
	      20);
	/* An honest ring reads no used entry the used idx does not cover,
	 * nor the driver's own memory except to compare it. */
	CHECK_EQ(0, regions[SIM_READ_USED_ID] + regions[SIM_READ_USED_LEN]);
}

/* Whatever the ring reads of the driver's memory, or of what the device
 * published, rewritten just before the read: the ring reports each at
 * that read, with the fault of what it read (a clamp for a len). */
static void mid_read_rewrite(void)
{
	unsigned int regions[SIM_READ_INDIRECT + 1] = { 0 };
	struct totals t = run_alone(ADV_MID_READ_REWRITE, 16);

	CHECK(t.check_fault[VRING_FAULT_DESC_REWRITTEN] > 10);
	CHECK(t.check_fault[VRING_FAULT_AVAIL_REWRITTEN] > 10);
	CHECK(t.check_fault[VRING_FAULT_USED_IDX_AHEAD] +
		      t.check_fault[VRING_FAULT_USED_IDX_BACKWARDS] >
	      10);
	CHECK(t.check_fault[VRING_FAULT_USED_ID_RANGE] > 10);
	CHECK(t.check_fault[VRING_FAULT_USED_ID_NOT_HEAD] +
		      t.check_fault[VRING_FAULT_USED_ID_DUPLICATE] >
	      10);
	CHECK(t.clamped > 10);
	/* Every check the ring passed without a fault was a clamp. */
	CHECK_EQ(t.clamped, t.check_fault[VRING_FAULT_NONE]);
	read_regions(ADV_MID_READ_REWRITE, 16, regions);
	CHECK(regions[SIM_READ_DESC] > 0 && regions[SIM_READ_AVAIL_RING] > 0 &&
	      regions[SIM_READ_AVAIL_IDX] > 0 &&
	      regions[SIM_READ_USED_IDX] > 0 && regions[SIM_READ_USED_ID] > 0 &&
	      regions[SIM_READ_USED_LEN] > 0);
	/* The ring never reads back an indirect table it wrote. */
	CHECK_EQ(0, regions[SIM_READ_INDIRECT]);
}

/* Note 4 of adversary.h: half the draws are the edges inside the range,
 * the rest uniform; never outside. */
static void values_at_boundaries(void)
{
	static const u64 edges[] = { 9, 10, 11, 1000, 2000 };
	struct choice_source cs;
	unsigned int i, hits[3] = { 0 }, others = 0;

	choice_init_seed(&cs, 7);
	for (i = 0; i < 3000; i++) {
		u64 v = adv_value(&cs, 10, 1000, edges, ARRAY_SIZE(edges));

		CHECK(v >= 10 && v <= 1000);
		if (v == 10 || v == 11)
			hits[v - 10]++;
		else if (v == 1000)
			hits[2]++;
		else
			others++;
	}
	for (i = 0; i < 3; i++)
		CHECK(hits[i] > 400 && hits[i] < 600); /* 1/6 of 3000 each */
	CHECK(others > 1300);
	CHECK_EQ(7, adv_value(&cs, 7, 7, edges, ARRAY_SIZE(edges)));
	choice_free(&cs);
}

/* The acts of the world use them: used ids of 0xffff and beyond 16 bits,
 * lens of 0xffffffff, and the ring reports each (run_alone: no failure). */
static void acts_at_boundaries(void)
{
	static const enum adv_behaviour acts[] = { ADV_USED_ID_RANGE,
						   ADV_LEN_TOO_LARGE };
	unsigned int a, seed, id_ffff = 0, id_wide = 0, len_max = 0;
	struct event_log log;
	struct adversary adv;
	size_t i;

	event_log_init(&log, 1u << 20);
	for (a = 0; a < ARRAY_SIZE(acts); a++) {
		adv_config_none(&adv);
		adv_enable(&adv, acts[a], 64);
		for (seed = 0; seed < 2 * SEEDS; seed++) {
			struct sim_config cfg = { .device = SIM_DEVICE_ENTROPY,
						  .adversary = &adv,
						  .log = &log };
			struct sim_result r;

			event_log_free(&log);
			event_log_init(&log, 1u << 20);
			sim_test_run_quiet(&cfg, seed, &r);
			CHECK(!r.failed);
			for (i = 0; i < event_log_stored(&log); i++) {
				const struct sim_event *ev =
					event_log_get(&log, i);

				if (ev->kind != SIM_EV_DEV_COMPLETE)
					continue;
				id_ffff += ev->a == 0xffff;
				id_wide += ev->a > 0xffff;
				len_max += ev->b == 0xffffffffu;
			}
		}
	}
	event_log_free(&log);
	fprintf(stderr, "ids 0xffff %u, beyond 16 bits %u, len 0xffffffff %u\n",
		id_ffff, id_wide, len_max);
	CHECK(id_ffff >= 3);
	CHECK(id_wide >= 3);
	CHECK(len_max >= 10);
}

HARNESS_MAIN(TESTS)
