/*
 * adversary.h - the catalogue of host behaviours the simulated devices can
 * show, and the per-run configuration of which ones fire and how often.
 *
 * Every behaviour has a stable number (its position below; never reuse
 * one), a name for the command line, a one-line description, and a class:
 *
 *   legal       the specification allows it (or it is the environment, as
 *               an allocation failure): the ring must stay healthy. A queue
 *               broken after only legal behaviour is a "false-alarm".
 *   illegal     a device fault. `expect` says what the ring must do about
 *               it: break the queue with one of the listed faults, clamp
 *               the len, or nothing it could see (then only the workload's
 *               data checks are relaxed). A detectable fault the ring did
 *               not report is a "missed-detection".
 *
 * Notes:
 *
 * 1. Configuration. A run enables a set of behaviours, each with a rate
 *    (it fires with probability rate / ADV_RATE_DEN where it may). Three
 *    ways to build one: adv_config_parse() of "none", "all", "swarm" or a
 *    comma-separated list of names; adv_config_swarm() draws the set and
 *    the rates from the choice source (swarm testing: each run tests a
 *    different mix, so rare interactions are not drowned out).
 * 2. adv_fires() draws from the choice source only for enabled behaviours,
 *    so a run with nothing enabled draws nothing for them, and an all-zero
 *    choice sequence never fires anything (choice.h, note 3).
 * 3. Counts: how often each behaviour fired in the run, for coverage.
 * 4. Boundaries. An off-by-one check is only caught by the value at its
 *    edge, which a uniform draw rarely hits. Every adversarial value
 *    (an id, an idx step, a len, a slot) is drawn with adv_value(), which
 *    takes one of the act's boundary values (num - 1, num, num + 1,
 *    0xffff, writable + 1, 0xffffffff, ...) in half the draws, as
 *    fuzzers' interesting-value tables do, and a uniform value otherwise.
 */
#ifndef RINGSIDE_MODEL_ADVERSARY_H
#define RINGSIDE_MODEL_ADVERSARY_H

#include "choice.h"

#include <ringside/ring_diag.h>

#define ADV_RATE_DEN 1024u

/* X(ID, name, legal, expected reaction, description) */
#define ADV_CATALOGUE(X)                                                       \
	X(OUT_OF_ORDER, "out-of-order", true, ADV_EXPECT_HEALTHY,              \
	  "completes held requests in any order")                              \
	X(DELAY, "delay", true, ADV_EXPECT_HEALTHY,                            \
	  "holds requests for a while before completing them")                 \
	X(NEVER_COMPLETE, "never-complete", true, ADV_EXPECT_HEALTHY,          \
	  "keeps a request forever; it comes back only by detach")             \
	X(SPURIOUS_IRQ, "spurious-irq", true, ADV_EXPECT_HEALTHY,              \
	  "raises queue interrupts with nothing new in the used ring")         \
	X(WITHHOLD_IRQ, "withhold-irq", false, ADV_EXPECT_UNSEEN,              \
	  "completes requests but withholds the interrupt the driver asked")   \
	X(USED_ID_RANGE, "used-id-range", false, ADV_EXPECT_ID_RANGE,          \
	  "writes a used id at or above the queue size")                       \
	X(USED_ID_NOT_HEAD, "used-id-not-head", false, ADV_EXPECT_ID_OTHER,    \
	  "writes a used id that is no outstanding head")                      \
	X(DUPLICATE, "duplicate", false, ADV_EXPECT_ID_OTHER,                  \
	  "completes a head it already returned")                              \
	X(USED_IDX_AHEAD, "used-idx-ahead", false, ADV_EXPECT_IDX,             \
	  "moves used idx further than the requests it holds")                 \
	X(USED_IDX_BACK, "used-idx-back", false, ADV_EXPECT_IDX,               \
	  "moves used idx backwards")                                          \
	X(LEN_TOO_LARGE, "len-too-large", false, ADV_EXPECT_CLAMP,             \
	  "reports a used len above the chain's writable bytes")               \
	X(LEN_ZERO, "len-zero", true, ADV_EXPECT_HEALTHY,                      \
	  "completes a read writing nothing, len 0")                           \
	X(WRITE_READABLE, "write-readable", false, ADV_EXPECT_UNSEEN,          \
	  "writes into device-readable buffers after using them")              \
	X(REWRITE_DESC, "rewrite-desc", false, ADV_EXPECT_DESC,                \
	  "rewrites a field of any descriptor of a held chain, completes it")  \
	X(REWRITE_AVAIL, "rewrite-avail", false, ADV_EXPECT_AVAIL,             \
	  "rewrites the avail ring slot of a chain, then completes it")        \
	X(HOSTILE_SUPPRESS, "hostile-suppress", true, ADV_EXPECT_HEALTHY,      \
	  "sets NO_NOTIFY and avail_event to any value, around the wrap")      \
	X(RESET_IN_FLIGHT, "reset-in-flight", true, ADV_EXPECT_HEALTHY,        \
	  "the device is reset with requests in flight, the driver rebinds")   \
	X(NEEDS_RESET, "needs-reset", true, ADV_EXPECT_HEALTHY,                \
	  "sets DEVICE_NEEDS_RESET and raises a config interrupt")             \
	X(CONFIG_STORM, "config-storm", true, ADV_EXPECT_HEALTHY,              \
	  "changes its config many times in a row, and inside driver reads")   \
	X(REFUSE_FEATURES, "refuse-features", true, ADV_EXPECT_HEALTHY,        \
	  "offers features, then clears FEATURES_OK (1.x: probe fails)")       \
	X(FOREIGN_FEATURES, "foreign-features", true, ADV_EXPECT_HEALTHY,      \
	  "offers feature bits outside its device type")                       \
	X(BAD_QUEUE_SIZE, "bad-queue-size", false, ADV_EXPECT_UNSEEN,          \
	  "offers a queue size of 0, not a power of two, or above 32768")      \
	X(HOT_UNPLUG, "hot-unplug", true, ADV_EXPECT_HEALTHY,                  \
	  "is unplugged (or its driver, or an unmatched device), then back")   \
	X(ALLOC_FAIL, "alloc-fail", true, ADV_EXPECT_HEALTHY,                  \
	  "an allocation in the guest fails")                                  \
	X(INDEX_WRAP, "index-wrap", true, ADV_EXPECT_HEALTHY,                  \
	  "65,535+ buffers go through a queue: u16 wrap, forced kick")         \
	X(MID_READ, "mid-read", true, ADV_EXPECT_HEALTHY,                      \
	  "inside the ring's reads: changes used flags or avail_event, "       \
	  "completes a request, writes unpublished used entries")              \
	X(MID_READ_REWRITE, "mid-read-rewrite", false, ADV_EXPECT_READ,        \
	  "rewrites what the ring is about to read to a value it must reject")

#define ADV_ENUM(id, name, legal, expect, text) ADV_##id,
enum adv_behaviour { ADV_CATALOGUE(ADV_ENUM) ADV_COUNT };
#undef ADV_ENUM

/* What the ring must do about a behaviour (the oracles check it). */
enum adv_expect {
	ADV_EXPECT_HEALTHY = 0, /* legal: the queue stays healthy */
	ADV_EXPECT_UNSEEN,	/* illegal, invisible to the ring */
	ADV_EXPECT_ID_RANGE,	/* broken: used id out of range */
	ADV_EXPECT_ID_OTHER,	/* broken: not a head, or a duplicate */
	ADV_EXPECT_IDX,		/* broken: used idx ahead or backwards */
	ADV_EXPECT_CLAMP,	/* len clamped, queue healthy */
	ADV_EXPECT_DESC,	/* broken: descriptor rewritten */
	ADV_EXPECT_AVAIL,	/* broken: avail ring rewritten */
	ADV_EXPECT_READ,	/* the fault (or clamp) of the value rewritten
				 * just before the ring read it (device.h
				 * note 8) */
};

struct adv_info {
	const char *name;
	const char *description;
	bool legal;
	enum adv_expect expect;
};

struct adversary {
	u32 rate[ADV_COUNT]; /* out of ADV_RATE_DEN; 0: disabled */
	u64 fired[ADV_COUNT];
};

const struct adv_info *adv_info(enum adv_behaviour b);
/* The behaviour called name, or ADV_COUNT when there is none. */
enum adv_behaviour adv_lookup(const char *name);
/* The vring faults (bit 1 << fault) that satisfy an expectation; 0 for
 * the expectations that do not break a queue. */
u32 adv_expect_faults(enum adv_expect expect);

/* Default rate of a behaviour enabled by name or by "all". */
#define ADV_RATE_DEFAULT 16u

void adv_config_none(struct adversary *adv);
void adv_config_all(struct adversary *adv);
void adv_enable(struct adversary *adv, enum adv_behaviour b, u32 rate);
/* Note 1: draws which behaviours are on, and their rates. */
void adv_config_swarm(struct adversary *adv, struct choice_source *cs);
/*
 * Parses "none", "all", "swarm" or "name,name,...". Returns 0; *swarm is
 * set for "swarm" (the caller draws per run). -EINVAL for an unknown name,
 * with the offending name copied into bad (bad_len bytes, terminated).
 */
int adv_config_parse(struct adversary *adv, const char *spec, bool *swarm,
		     char *bad, size_t bad_len);

bool adv_enabled(const struct adversary *adv, enum adv_behaviour b);
/* Note 2: true when an enabled behaviour fires now; counts it. */
bool adv_fires(struct adversary *adv, struct choice_source *cs,
	       enum adv_behaviour b);
/* The same draw without counting, for a behaviour that may turn out
 * impossible; adv_count() it once it happened. */
bool adv_draw(struct adversary *adv, struct choice_source *cs,
	      enum adv_behaviour b);
void adv_count(struct adversary *adv, enum adv_behaviour b);

/* Boundary values one act lists, at most. */
#define ADV_EDGES_MAX 8
/* Note 4: a value in [lo, hi] (lo <= hi): one of the n edges that lie in
 * the range in half the draws, else uniform. */
u64 adv_value(struct choice_source *cs, u64 lo, u64 hi, const u64 *edges,
	      unsigned int n);

#endif /* RINGSIDE_MODEL_ADVERSARY_H */
