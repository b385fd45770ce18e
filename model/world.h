/*
 * world.h - one run of the deterministic simulated world.
 *
 * sim_run builds a fresh world (guest-memory arena, shim hooks, one
 * simulated device of the chosen type on a sim transport in legacy or 1.x
 * mode, its workload driver), runs a scheduler of discrete steps, tears
 * everything down and reports whether an oracle fired. Every decision is
 * drawn from the given choice source, so a run is a pure function of its
 * choices: the same seed, or the replay of a run's recorded choices, gives
 * the same event stream (same count, same hash), in every build type.
 *
 * Each step the scheduler picks one actor: the driver (adds, kicks, polls,
 * switches callbacks), the device (fetches, completes, misbehaves), queue
 * interrupt delivery, a spurious interrupt, or the world (config changes,
 * hot unplug and replug of the device or the driver, in either order, and
 * of devices no driver matches; device resets). Fairness: a device with work, or
 * an interrupt pending, waits at most SIM_FAIR_STEPS steps before the
 * scheduler forces its turn, so any choice sequence (even all zeros) makes
 * progress with an honest device.
 *
 * Oracles (the first failure is kept and the run stops):
 *
 *   warn                  a WARN or BUG from the ring or registry
 *   token-conservation    a token never came back, or was added twice
 *   token-returned-twice  a token came back that was not outstanding
 *   free-descriptors      after teardown a queue is inconsistent or not
 *                         every descriptor is free
 *   stall                 the driver waited stall_steps steps with buffers
 *                         outstanding and none came back, and the device
 *                         did nothing to cause it (a withheld interrupt, a
 *                         request never completed, a broken queue are the
 *                         device's: counted in device_stalls, not failed).
 *                         A device that completes while no interrupt is
 *                         due (the notification rules, enable_cb_delayed's
 *                         3/4) and the driver need not poll makes
 *                         progress: the wait is legal. Completions the
 *                         driver should know of (an interrupt due,
 *                         callbacks off) do not count
 *   data-integrity        a workload read back something else than what
 *                         an honest device must have given
 *   false-alarm           a queue broke with only legal behaviour
 *   missed-detection      an illegal act the ring must see (adversary.h)
 *                         was not reported with the right fault, or a len
 *                         above the writable bytes reached the driver;
 *                         acts inside the ring's reads (device.h note 8)
 *                         are checked after the actor's turn
 *   driver-rule           the device saw a chain our ring should never make
 *   features              a feature outside the driver's table was
 *                         negotiated
 *   registry              the bus's state machine (registry.h): the
 *                         index (the smallest free one, beside devices
 *                         no driver matches), the status after each
 *                         registration of device or driver, at the start
 *                         of the driver's probe and after remove, and the
 *                         features
 *   config                a config read through virtio_cread_bytes
 *                         returned bytes of no one generation of the
 *                         device's config (config_oracle.h)
 *   semantics             an answer of the seed API differs from the
 *                         reference model's (semantics.h)
 *   leak                  arena blocks still live after teardown
 *   setup                 the world could not be built
 *
 * sim_run owns the shim while it runs: it installs its arena (reusing,
 * emptied, the one the previous run left) and the report, log,
 * allocation-failure and shared-read hooks. On return it restores the default hooks and
 * leaves its arena in place for the next run (shim_arena_destroy() frees
 * it). Not thread-safe.
 */
#ifndef RINGSIDE_MODEL_WORLD_H
#define RINGSIDE_MODEL_WORLD_H

#include "adversary.h"
#include "burst.h"
#include "choice.h"
#include "event_log.h"

#define SIM_ARENA_BYTES (8u << 20)
#define SIM_PHYS_BASE 0x100000u
#define SIM_FAIR_STEPS 16
#define SIM_STALL_STEPS_DEFAULT 256
#define SIM_STEPS_DEFAULT 2000
/* Most steps a configuration may ask for (a stored one is hostile input). */
#define SIM_STEPS_MAX 100000000ULL

enum sim_device_type {
	SIM_DEVICE_ANY = 0, /* drawn per run */
	SIM_DEVICE_BLOCK,
	SIM_DEVICE_ENTROPY,
	SIM_DEVICE_CONSOLE,
	SIM_DEVICE_NET,
	SIM_DEVICE_COUNT
};

struct sim_config {
	u64 seed;	 /* for the caller's records; choices come from cs */
	u64 steps_max;	 /* scheduler steps; 0: SIM_STEPS_DEFAULT */
	u64 stall_steps; /* 0: SIM_STALL_STEPS_DEFAULT */
	enum sim_device_type device;
	/* Behaviours (adversary.h): NULL enables none; swarm draws the set
	 * and rates per run from the choice source instead. */
	const struct adversary *adversary;
	bool swarm;
	struct event_log *log; /* optional: also store events here */
	/* The steps end with the one in which the choice source ran dry
	 * (choice.h note 5): a fuzz input is as long as its bytes, and the
	 * run then tears down with every oracle as at steps_max. Its result's
	 * steps say how many ran, which is what a replay needs as steps_max
	 * (the values drawn after, zeros, are in the log). */
	bool end_when_dry;
	/* Nobody reads the events or their hash (the world fuzz target): the
	 * run only counts them (event_log.h note 5) and result.event_hash is
	 * 0. Not with `log`. */
	bool events_unread;
	/* Runs the leading rounds of an index-wrap burst (burst.h); NULL:
	 * burst_rounds. The world fuzz target passes its copy built without
	 * instrumentation. */
	burst_rounds_fn *burst_rounds;

	/* Planted faults, to show the oracles fire end to end. */
	bool plant_lost_token;	   /* remove skips one detach_unused_buf */
	bool plant_device_stall;   /* the device never completes */
	bool plant_deaf_driver;	   /* the driver never takes used buffers */
	bool plant_corrupt_data;   /* the device flips a data byte */
	bool plant_driver_rule;	   /* the driver publishes a bad head */
	bool plant_false_break;	   /* the world breaks a healthy queue */
	bool plant_accept_foreign; /* the registry does not mask features */
	bool plant_null_token;	   /* the driver adds a NULL token once */
	bool plant_leak;	   /* the driver forgets to free one buffer */
	bool plant_double_return;  /* the driver reports one token twice */
};

/* The planted faults by name (sim_config.c), for the command line and the
 * configuration text. */
enum sim_plant {
	SIM_PLANT_LOST_TOKEN,
	SIM_PLANT_DEVICE_STALL,
	SIM_PLANT_DEAF_DRIVER,
	SIM_PLANT_CORRUPT_DATA,
	SIM_PLANT_DRIVER_RULE,
	SIM_PLANT_FALSE_BREAK,
	SIM_PLANT_ACCEPT_FOREIGN,
	SIM_PLANT_NULL_TOKEN,
	SIM_PLANT_LEAK,
	SIM_PLANT_DOUBLE_RETURN,
	SIM_PLANT_COUNT
};

struct sim_result {
	bool failed;
	const char *oracle; /* NULL when the run passed */
	char message[200];
	u64 fail_step;
	enum sim_device_type device;
	int mode;     /* enum simt_mode */
	u64 features; /* the features the driver negotiated last */
	u64 steps;
	u64 events;
	u64 event_hash;
	u64 choices; /* draws from the choice source */
	/* What happened (for tests and summaries). */
	u64 tokens_added, tokens_got, tokens_detached;
	u64 completed, bytes; /* driver: tokens back by get_buf, their len */
	u64 data_checked;     /* completions whose data was verified */
	u64 semantics_checks; /* answers the semantics oracle compared */
	u64 config_checks;    /* config reads the config oracle judged */
	u64 config_mid_read_changes; /* config changed inside a read */
	u64 device_stalls; /* stalls the device caused (not failures) */
	u64 probes, unplugs;
	bool driver_bound; /* a probe succeeded */
	bool device_lied;  /* an illegal behaviour fired */
	/* Expectation checks of illegal acts (device.h note 2): how many,
	 * the fault the ring reported at each, and the clamps seen. */
	u64 checks, check_fault[VRING_FAULT_COUNT], check_clamped;
	u32 rate[ADV_COUNT]; /* the behaviours enabled, and their rates */
	u64 fired[ADV_COUNT];
};

/* Runs one world. Returns 0 (the verdict is in result), or -EINVAL for
 * bad arguments. */
int sim_run(const struct sim_config *cfg, struct choice_source *cs,
	    struct sim_result *result);

/* Names for event_log_format (see event_log.h, note 4). */
const char *sim_actor_name(u16 actor);
const char *sim_event_kind_name(u16 kind);
/* "block", "entropy", "console", "net" ("any" for SIM_DEVICE_ANY); NULL
 * out of range. */
const char *sim_device_name(enum sim_device_type type);
/* SIM_DEVICE_COUNT for an unknown name. */
enum sim_device_type sim_device_lookup(const char *name);
/* Installs sim_actor_name and sim_event_kind_name for event_log_format. */
void sim_install_event_names(void);

/* "lost-token", ...; NULL out of range. */
const char *sim_plant_name(enum sim_plant plant);
/* The plant whose name is the len bytes at name; SIM_PLANT_COUNT if none. */
enum sim_plant sim_plant_lookup(const char *name, size_t len);
void sim_plant_set(struct sim_config *cfg, enum sim_plant plant, bool on);
bool sim_plant_get(const struct sim_config *cfg, enum sim_plant plant);

/*
 * The configuration as one line of text (sim_config.c):
 *   device=NAME steps=N stall=N adversary=none|swarm|NAME:RATE,...
 *   plants=NAME,...
 * Written snprintf-style into buf (n bytes); returns the full length.
 */
size_t sim_config_format(const struct sim_config *cfg, char *buf, size_t n);
/* Parses that text into cfg (zeroed first) with its behaviours in adv
 * (cfg->adversary = adv). Returns 0, or -EINVAL with err naming the bad
 * part. The seed and log are not part of the text. */
int sim_config_parse(const char *text, struct sim_config *cfg,
		     struct adversary *adv, char *err, size_t errlen);

#endif /* RINGSIDE_MODEL_WORLD_H */
