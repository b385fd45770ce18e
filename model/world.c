/*
 * world.c - the scheduler of the simulated world and one run (world.h).
 */
#include "world.h"

#include "devices.h"

#include <linux/errno.h>
#include <linux/interrupt.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <string.h>

struct sim_world {
	struct sim_env env;
	struct event_log own_log;
	struct oracle oracle;
	struct simt_transport t;
	struct dev_entropy dev;
	struct drv_entropy drv;
	const struct sim_config *cfg;
	u64 dev_last; /* step the device last acted */
	u64 irq_last; /* step of the last queue interrupt */
	bool dev_registered;
};

void sim_emit(struct sim_env *env, u16 actor, u16 kind, u16 queue, u64 a, u64 b,
	      u64 c)
{
	event_log_add(env->log, (u32)env->step, actor, kind, queue, a, b, c);
}

static void world_report(void *ctx, enum shim_report_kind kind,
			 const char *file, int line, const char *what)
{
	struct sim_world *w = ctx;

	oracle_fail(&w->oracle, "warn", "%s at %s:%d: %s",
		    kind == SHIM_REPORT_BUG ? "BUG" : "WARN", file, line, what);
}

static void world_log(void *ctx, int level, const char *text)
{
	(void)ctx;
	(void)level;
	(void)text;
}

static bool world_alloc_fail(void *ctx, size_t size, gfp_t flags)
{
	struct sim_world *w = ctx;

	(void)flags;
	if (w->cfg->no_alloc_failures ||
	    !choice_chance(w->env.cs, 1, SIM_ALLOC_FAIL_ONE_IN))
		return false;
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_ALLOC_FAIL, 0, size, 0, 0);
	return true;
}

static u64 name_hash(const char *s)
{
	u64 h = EVENT_HASH_INIT;

	while (*s)
		h = (h ^ (u8)*s++) * 0x100000001b3ULL;
	return h;
}

/* Builds the device and the driver; false when the world cannot exist. */
static bool world_setup(struct sim_world *w)
{
	enum simt_mode mode =
		choice_chance(w->env.cs, 1, 2) ? SIMT_MODERN : SIMT_LEGACY;
	int err;

	dev_entropy_init(&w->dev, &w->env, &w->t);
	w->dev.plant_stall = w->cfg->plant_device_stall;
	drv_entropy_init(&w->drv, &w->env);
	w->drv.plant_lost_token = w->cfg->plant_lost_token;
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_RUN_START, 0, mode,
		 w->dev.ops.features, w->dev.qsize);
	if (simt_init(&w->t, &w->dev.ops, &w->dev, mode) != 0 ||
	    drv_entropy_register(&w->drv) != 0) {
		oracle_fail(&w->oracle, "setup", "cannot build the world");
		return false;
	}
	err = register_virtio_device(&w->t.vdev);
	w->dev_registered = err == 0;
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_PROBE, 0, w->t.status,
		 w->drv.vq != NULL, (u64)(s64)err);
	return true;
}

static void irq(struct sim_world *w, u16 actor, unsigned int q)
{
	irqreturn_t ret = simt_raise_queue_interrupt(&w->t, q);

	if (q == 0) {
		w->dev.irq_pending = false;
		w->irq_last = w->env.step;
	}
	sim_emit(&w->env, actor, SIM_EV_IRQ, (u16)q, q, ret, 0);
}

static enum sim_actor pick_actor(struct sim_world *w, bool *forced)
{
	u64 step = w->env.step;
	u64 v;

	*forced = true;
	if (dev_entropy_has_work(&w->dev) &&
	    step - w->dev_last > SIM_FAIR_STEPS)
		return SIM_ACTOR_DEVICE;
	if (w->dev.irq_pending && step - w->irq_last > SIM_FAIR_STEPS)
		return SIM_ACTOR_IRQ;
	*forced = false;
	v = choice_below(w->env.cs, 16);
	if (v < 6)
		return SIM_ACTOR_DRIVER;
	if (v < 11)
		return SIM_ACTOR_DEVICE;
	if (v < 14)
		return SIM_ACTOR_IRQ;
	return v == 14 ? SIM_ACTOR_SPURIOUS : SIM_ACTOR_CONFIG;
}

static void world_step(struct sim_world *w)
{
	bool forced;
	enum sim_actor actor = pick_actor(w, &forced);

	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_STEP, 0, actor, forced, 0);
	switch (actor) {
	case SIM_ACTOR_DRIVER:
		drv_entropy_step(&w->drv);
		break;
	case SIM_ACTOR_DEVICE:
		w->dev_last = w->env.step;
		dev_entropy_step(&w->dev);
		break;
	case SIM_ACTOR_IRQ:
		irq(w, SIM_ACTOR_IRQ, 0);
		break;
	case SIM_ACTOR_SPURIOUS:
		irq(w, SIM_ACTOR_SPURIOUS,
		    (unsigned int)choice_below(w->env.cs, 2));
		break;
	default:
		simt_config_change(&w->t);
		if (choice_chance(w->env.cs, 3, 4))
			simt_raise_config_interrupt(&w->t);
		sim_emit(&w->env, SIM_ACTOR_CONFIG, SIM_EV_CONFIG_CHANGE, 0,
			 w->t.config_generation, 0, 0);
		break;
	}
	w->oracle.step = w->env.step;
	oracle_progress_tick(&w->oracle, drv_entropy_outstanding(&w->drv) > 0);
}

/* Remove with buffers outstanding (detach_unused_buf has work), then
 * tear down and check that every block went back to the arena. */
static void world_teardown(struct sim_world *w)
{
	struct shim_arena_stats stats;

	if (w->drv.vq && !w->oracle.failed)
		drv_entropy_add_batch(
			&w->drv, 1 + (unsigned int)choice_below(w->env.cs, 3));
	drv_entropy_unregister(&w->drv);
	oracle_tokens_finish(&w->oracle);
	simt_destroy(&w->t);
	shim_arena_get_stats(&stats);
	if (stats.live_blocks)
		oracle_fail(&w->oracle, "leak",
			    "%zu arena blocks (%zu bytes) live after teardown",
			    stats.live_blocks, stats.live_bytes);
	if (w->oracle.failed)
		sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_FAIL, 0,
			 w->oracle.fail_step, name_hash(w->oracle.name), 0);
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_RUN_END, 0, w->oracle.added,
		 w->oracle.got, w->oracle.detached);
}

static void fill_result(const struct sim_world *w, struct sim_result *r)
{
	const struct event_log *log = w->env.log;

	memset(r, 0, sizeof(*r));
	r->failed = w->oracle.failed;
	r->oracle = w->oracle.name;
	snprintf(r->message, sizeof(r->message), "%s", w->oracle.message);
	r->fail_step = w->oracle.fail_step;
	r->steps = w->env.step;
	r->events = event_log_count(log);
	r->event_hash = event_log_hash(log);
	r->choices = choice_draws(w->env.cs);
	r->tokens_added = w->oracle.added;
	r->tokens_got = w->oracle.got;
	r->tokens_detached = w->oracle.detached;
	r->bytes = w->drv.bytes;
	r->driver_bound =
		w->drv.probes > 0 && w->dev_registered &&
		w->t.counters.find_vqs > w->t.counters.find_vqs_failed;
}

int sim_run(const struct sim_config *cfg, struct choice_source *cs,
	    struct sim_result *result)
{
	static struct sim_world world;
	struct sim_world *w = &world;

	if (!cfg || !cs || !result)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->env.cs = cs;
	w->env.oracle = &w->oracle;
	event_log_init(&w->own_log, 1);
	w->env.log = cfg->log ? cfg->log : &w->own_log;
	oracle_init(&w->oracle, cfg->stall_steps ? cfg->stall_steps
						 : SIM_STALL_STEPS_DEFAULT);
	if (shim_arena_create(SIM_ARENA_BYTES, SIM_PHYS_BASE) != 0) {
		oracle_fail(&w->oracle, "setup", "cannot create the arena");
		fill_result(w, result);
		event_log_free(&w->own_log);
		return 0;
	}
	shim_set_report_hook(world_report, w);
	shim_set_log_hook(world_log, w);
	shim_set_alloc_fail_hook(world_alloc_fail, w);

	if (world_setup(w)) {
		for (w->env.step = 1;
		     w->env.step <= cfg->steps_max && !w->oracle.failed;
		     w->env.step++)
			world_step(w);
		w->env.step--;
	}
	world_teardown(w);
	fill_result(w, result);

	shim_set_alloc_fail_hook(NULL, NULL);
	shim_set_report_hook(NULL, NULL);
	shim_set_log_hook(NULL, NULL);
	shim_arena_destroy();
	event_log_free(&w->own_log);
	return 0;
}

static const char *const actor_names[SIM_ACTOR_COUNT] = {
	"world", "driver", "device", "irq", "spurious", "config",
};

static const char *const kind_names[SIM_EV_COUNT] = {
	"run-start", "probe",
	"step",	     "add",
	"add-nomem", "kick",
	"get-buf",   "disable-cb",
	"enable-cb", "enable-cb-delayed",
	"callback",  "dev-kick",
	"dev-fetch", "dev-complete",
	"irq",	     "config-change",
	"detach",    "alloc-fail",
	"fail",	     "run-end",
};

const char *sim_actor_name(u16 actor)
{
	return actor < SIM_ACTOR_COUNT ? actor_names[actor] : NULL;
}

const char *sim_event_kind_name(u16 kind)
{
	return kind < SIM_EV_COUNT ? kind_names[kind] : NULL;
}
