/*
 * world.c - the scheduler of the simulated world and one run (world.h).
 */
#include "world.h"

#include "burst.h"
#include "bystander.h"
#include "config_oracle.h"
#include "device.h"
#include "driver.h"
#include "registry.h"
#include "semantics.h"

#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <string.h>

struct sim_pair {
	const char *name;
	const struct sim_device_class *device;
	const struct wl_class *driver;
};

static const struct sim_pair pairs[SIM_DEVICE_COUNT] = {
	[SIM_DEVICE_ANY] = { "any", NULL, NULL },
	[SIM_DEVICE_BLOCK] = { "block", &dev_block_class, &wl_block_class },
	[SIM_DEVICE_ENTROPY] = { "entropy", &dev_entropy_class,
				 &wl_entropy_class },
	[SIM_DEVICE_CONSOLE] = { "console", &dev_console_class,
				 &wl_console_class },
	[SIM_DEVICE_NET] = { "net", &dev_net_class, &wl_net_class },
};

/* Steps an unplugged device stays away, at most. */
#define SIM_UNPLUG_STEPS_MAX 64
/* Config changes in one storm, at most. */
#define SIM_STORM_MAX 64

struct sim_world {
	struct sim_env env;
	struct event_log own_log;
	struct oracle oracle;
	struct adversary adv;
	struct simt_transport t;
	struct sim_device dev;
	struct wl_driver drv;
	struct sem_model sem;
	struct cfg_oracle cfgo;
	const struct sim_config *cfg;
	enum sim_device_type type;
	enum simt_mode mode;
	u64 dev_last;	  /* step the device last acted */
	u64 irq_last;	  /* step of the last queue interrupt */
	u64 replug_at;	  /* while unplugged: the step it comes back */
	bool plugged;	  /* the device is registered */
	bool class_ready; /* device and driver classes initialised */
	u64 unplugs;
	u64 dev_completed; /* the device's completions at the last tick */
	bool wrap_tried;   /* index-wrap had its one chance in this run */
	u64 checks, check_fault[VRING_FAULT_COUNT], check_clamped;
	u64 features;	       /* negotiated at the last successful probe */
	bool config_irq_owed;  /* config changed inside a driver's read */
	bool driver_away;      /* the driver was unregistered, comes back */
	bool failed_probe;     /* a probe of the device's registration failed */
	struct bystanders bys; /* other devices, another driver */
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

static void world_observe(void *ctx, unsigned int q, enum sim_call call,
			  u64 result)
{
	struct sim_world *w = ctx;

	if (w->plugged && q < w->dev.cls->nqueues)
		sim_device_observe(&w->dev, q, call, result);
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
	if (!adv_fires(&w->adv, w->env.cs, ADV_ALLOC_FAIL))
		return false;
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_ALLOC_FAIL, 0, size, 0, 0);
	w->env.alloc_fails++;
	return true;
}

static u64 name_hash(const char *s)
{
	u64 h = EVENT_HASH_INIT;

	while (*s)
		h = (h ^ (u8)*s++) * 0x100000001b3ULL;
	return h;
}

/* --- oracles the world checks ------------------------------------------ */

/* Only the driver's table and the ring's transport features may be
 * negotiated (plus VERSION_1, which the 1.x transport requires). */
static void check_features(struct sim_world *w)
{
	const struct wl_class *cls = w->drv.cls;
	u64 allowed = 1ULL << VIRTIO_RING_F_INDIRECT_DESC |
		      1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << 32;
	u64 extra;
	unsigned int i;

	if (!wl_bound(&w->drv))
		return;
	for (i = 0; i < cls->nfeatures; i++)
		allowed |= 1ULL << cls->features[i];
	extra = w->t.driver_features & ~allowed;
	if (extra)
		oracle_fail(&w->oracle, "features",
			    "negotiated features outside the driver's table: "
			    "%#llx",
			    (unsigned long long)extra);
}

/* A queue broke although the device did nothing illegal on it. */
static void check_false_alarm(struct sim_world *w)
{
	unsigned int q;

	for (q = 0; q < w->dev.cls->nqueues; q++) {
		struct virtqueue *vq = w->t.queues[q].vq;

		if (!vq || !virtqueue_is_broken(vq) || w->dev.q[q].illegal)
			continue;
		oracle_fail(&w->oracle, "false-alarm",
			    "queue %u broke (%s) with only legal behaviour", q,
			    vring_fault_name(virtqueue_fault(vq)->fault));
	}
}

static void irq(struct sim_world *w, u16 actor, unsigned int q)
{
	struct sem_irq before;
	irqreturn_t ret;

	sem_irq_before(&w->env, q, &before);
	ret = simt_raise_queue_interrupt(&w->t, q);
	sem_irq_after(&w->env, q, &before, ret);

	if (q < SIMT_MAX_QUEUES) {
		w->dev.q[q].irq_pending = false;
		w->dev.q[q].signalled = w->dev.q[q].used_idx;
	}
	w->irq_last = w->env.step;
	sim_emit(&w->env, actor, SIM_EV_IRQ, (u16)q, q, ret, 0);
}

/* device.h note 2: the interrupt goes at once, then the ring must have
 * reported the act. For an act inside a read (device.h note 8) the ring
 * has read the value already; the interrupt changes nothing for a ring
 * that reported it. */
static void check_expectations(struct sim_world *w, unsigned int q)
{
	struct devq *dq = &w->dev.q[q];
	struct virtqueue *vq = w->t.queues[q].vq;
	enum vring_fault fault;
	struct vring_stats stats;

	if (!dq->expect_faults && !dq->expect_clamp)
		return;
	if (vq)
		irq(w, SIM_ACTOR_DEVICE, q);
	fault = vq ? virtqueue_fault(vq)->fault : VRING_FAULT_NONE;
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_CHECK, (u16)q, fault,
		 dq->expect_faults, dq->expect_clamp);
	w->checks++;
	w->check_fault[fault]++;
	if (vq && dq->expect_faults && !(dq->expect_faults & (1u << fault)))
		oracle_fail(&w->oracle, "missed-detection",
			    "queue %u: the device broke a rule and the ring "
			    "reported %s",
			    q, vring_fault_name(fault));
	if (vq && dq->expect_clamp && fault == VRING_FAULT_NONE) {
		virtqueue_get_stats(vq, &stats);
		w->check_clamped += stats.len_clamped > dq->clamped_before;
		if (stats.len_clamped <= dq->clamped_before)
			oracle_fail(&w->oracle, "missed-detection",
				    "queue %u: an oversized used len was not "
				    "clamped",
				    q);
	}
	dq->expect_faults = 0;
	dq->expect_clamp = false;
}

/* --- the registry and config oracles' hooks -------------------------------- */

static void world_probing(void *ctx, struct virtio_device *vdev)
{
	struct sim_world *w = ctx;

	if (registry_check_match(&w->oracle, w->drv.drv.id_table, vdev))
		registry_check_probe(&w->oracle, &w->t, w->failed_probe);
}

/* sim_transport.h note 6: with config-storm on, the device changes its
 * config between the bytes of a driver's read, at most CFGO_IMAGES - 1
 * times a read (so that an honest reader settles). The interrupt that
 * announces the change waits for the end of the step. */
static void config_mid_read(void *ctx)
{
	struct sim_world *w = ctx;
	struct choice_source *cs = w->env.cs;

	if (!adv_enabled(&w->adv, ADV_CONFIG_STORM) ||
	    !cfgo_may_change(&w->cfgo) || !choice_chance(cs, 1, 4))
		return;
	adv_count(&w->adv, ADV_CONFIG_STORM);
	sim_device_config_change(&w->dev);
	cfgo_changed(&w->cfgo);
	w->config_irq_owed = true;
	sim_emit(&w->env, SIM_ACTOR_CONFIG, SIM_EV_CONFIG_CHANGE, 0,
		 w->t.config_generation, 1, 1);
}

static void raise_owed_config_irq(struct sim_world *w)
{
	if (!w->config_irq_owed)
		return;
	w->config_irq_owed = false;
	if (w->plugged)
		simt_raise_config_interrupt(&w->t);
}

/* --- plugging ------------------------------------------------------------ */

/* Whether a device the world registered holds index i. */
static bool index_taken(const struct sim_world *w, int i)
{
	if (w->plugged && w->t.vdev.index == i)
		return true;
	return bys_holds_index(&w->bys, i);
}

/* The index the next registration must take (registry.h). */
static int smallest_free_index(const struct sim_world *w)
{
	int i = 0;

	while (index_taken(w, i))
		i++;
	return i;
}

/* The driver is bound (or its probe failed): the registry's state, and
 * what the driver negotiated. */
static void after_binding(struct sim_world *w, int err, int expect_index)
{
	struct registry_expect e = {
		.index = expect_index,
		.offered = simt_offered_features(&w->t),
		.failed_before = w->failed_probe,
	};

	registry_check_plug(&w->oracle, &w->t, err, wl_bound(&w->drv), &e);
	if (!wl_bound(&w->drv))
		w->failed_probe = true;
	if (w->cfg->plant_accept_foreign) /* a registry that forgot to mask */
		w->t.driver_features |= w->dev.ops.features;
	if (wl_bound(&w->drv))
		w->features = w->t.driver_features;
	check_features(w);
}

static void plug(struct sim_world *w)
{
	int err, expect_index = smallest_free_index(w);

	sim_device_forget(&w->dev);
	if (simt_init(&w->t, &w->dev.ops, &w->dev, w->mode) != 0) {
		oracle_fail(&w->oracle, "setup", "cannot set up the transport");
		return;
	}
	w->t.mid_read = config_mid_read;
	w->t.mid_read_ctx = w;
	w->failed_probe = false; /* registration resets the device */
	err = register_virtio_device(&w->t.vdev);
	w->plugged = err == 0;
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_PROBE, 0, w->t.status,
		 wl_bound(&w->drv), (u64)(s64)err);
	if (w->driver_away) {
		/* Nothing to bind to: the device waits, acknowledged. */
		registry_check_unmatched(&w->oracle, &w->t, err, expect_index);
		return;
	}
	after_binding(w, err, expect_index);
}

/* A bound device's driver was removed: reset, acknowledged again, and
 * FAILED of an earlier probe gone with the reset. */
static void device_removed(struct sim_world *w)
{
	registry_check_removed(&w->oracle, &w->t);
	w->failed_probe = false;
}

/* The driver is unregistered with its device present: remove runs with
 * buffers outstanding, and the device must be acknowledged again. */
static void driver_leaves(struct sim_world *w, unsigned int away_steps)
{
	bool bound = wl_bound(&w->drv);

	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_UNPLUG, 0,
		 wl_outstanding(&w->drv), away_steps, 1);
	wl_unregister(&w->drv);
	if (bound)
		device_removed(w);
	w->driver_away = true;
	w->replug_at = w->env.step + away_steps;
}

/* The driver registers again; a device present binds to it now. */
static void driver_returns(struct sim_world *w)
{
	int err = wl_register(&w->drv);

	w->driver_away = false;
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_PROBE, 0, w->t.status,
		 wl_bound(&w->drv), (u64)(s64)err);
	if (err) {
		oracle_fail(&w->oracle, "setup", "cannot register the driver");
		return;
	}
	if (w->plugged)
		after_binding(w, 0, -1);
}

static void unplug(struct sim_world *w, unsigned int away_steps)
{
	bool bound = wl_bound(&w->drv);

	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_UNPLUG, 0,
		 wl_outstanding(&w->drv), away_steps, 0);
	simt_destroy(&w->t);
	if (bound)
		registry_check_removed(&w->oracle, &w->t);
	w->plugged = false;
	w->unplugs++;
	w->replug_at = w->env.step + away_steps;
}

/* --- the world's own turn -------------------------------------------------- */

static void config_change(struct sim_world *w, unsigned int times)
{
	unsigned int i;

	for (i = 0; i < times; i++) {
		sim_device_config_change(&w->dev);
		if (choice_chance(w->env.cs, 3, 4))
			simt_raise_config_interrupt(&w->t);
	}
	sim_emit(&w->env, SIM_ACTOR_CONFIG, SIM_EV_CONFIG_CHANGE, 0,
		 w->t.config_generation, times, 0);
}

/* --- index wrap ----------------------------------------------------------- */

/* The shared-read seam (ringside/shim.h): the device may act just before
 * the ring reads its memory. */
static void world_shared_read(void *ctx, const void *addr, unsigned long size)
{
	struct sim_world *w = ctx;

	if (w->plugged)
		sim_device_before_read(&w->dev, addr, size);
}

/* The seam's hook is installed only while the device may act in a read:
 * its behaviours for that are enabled and no burst is running. Every read
 * of the ring passes the seam, so a hook that could only return costs a
 * run a fifth of its time in a fuzz build. */
static void world_acts_in_reads(struct sim_world *w, bool on)
{
	w->dev.mid_read = on;
	if (on && sim_device_may_act_in_reads(&w->dev))
		shim_set_shared_read_hook(world_shared_read, w);
	else
		shim_set_shared_read_hook(NULL, NULL);
}

/* A swarm run that fires index-wrap bursts in 1 of this many. */
#define WRAP_SWARM_SHARE 16

/* How many buffers: in the forced mode up to the ring's own kick and 0..2
 * past it; otherwise to 1, 2 or up to 256 entries before the next wrap,
 * so that the run's own traffic crosses it. */
static u32 wrap_count(struct sim_world *w, struct wrap_burst *b)
{
	struct choice_source *cs = w->env.cs;
	u16 idx = READ_ONCE(simt_vring(&w->t, b->q)->avail->idx);
	u64 num = virtqueue_get_vring_size(b->vq);

	if (b->forced)
		return BURST_UNKICKED_MAX - b->unkicked +
		       (u32)adv_value(cs, 0, 2, (const u64[]){ 0, 1, 2 }, 3);
	return (u16)(0 - idx -
		     (u16)adv_value(cs, 1, 256, (const u64[]){ 1, 2, num }, 3));
}

/* index-wrap: pushes tens of thousands of buffers through one queue in a
 * single step, cheaply (device.h note 7), so that the 16-bit indices wrap
 * and 3.7.1's forced kick after 65,535 adds without one is due. The seed
 * API has no way to start a queue's indices elsewhere than 0 (a new or
 * reset queue starts there), so this is how a run gets near the wrap. */
static void index_wrap(struct sim_world *w)
{
	struct choice_source *cs = w->env.cs;
	struct wrap_burst b = { .dev = &w->dev, .oracle = &w->oracle };
	burst_rounds_fn *leading =
		w->cfg->burst_rounds ? w->cfg->burst_rounds : burst_rounds;
	u32 n, lead;
	u64 kicks;
	u8 *buf;

	b.q = (unsigned int)choice_below(cs, w->dev.cls->nqueues);
	b.vq = w->t.queues[b.q].vq;
	b.forced = choice_chance(cs, 1, 2);
	wl_drain(&w->drv);
	if (!b.vq || !sim_device_burst_ready(&w->dev, b.q))
		return;
	buf = kmalloc(1, GFP_ATOMIC);
	if (!buf)
		return;
	sg_init_one(&b.sg, buf, 1);
	b.unkicked = w->drv.unkicked[b.q];
	n = wrap_count(w, &b);
	lead = burst_leading_rounds(
		READ_ONCE(simt_vring(&w->t, b.q)->avail->idx), n);
	kicks = w->t.kicks[b.q];
	/* The burst draws nothing (device.h note 7): no acts in its reads. */
	world_acts_in_reads(w, false);
	if (leading(&b, lead))
		burst_rounds(&b, n - lead);
	world_acts_in_reads(w, true);
	if (!w->oracle.failed)
		sim_device_burst_end(&w->dev, b.q);
	sem_burst(&w->env, b.q);
	w->drv.unkicked[b.q] = b.unkicked;
	kfree(buf);
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_ADVERSARY, (u16)b.q,
		 ADV_INDEX_WRAP, b.done, w->t.kicks[b.q] - kicks);
}

/* hot-unplug: the device goes (half the time), or the driver does, or a
 * bystander device or the bystander driver comes or goes (bystander.h);
 * whatever went comes back, in either order when both did (come_back). */
static void vary_registration(struct sim_world *w)
{
	struct choice_source *cs = w->env.cs;
	unsigned int away =
		1 + (unsigned int)choice_below(cs, SIM_UNPLUG_STEPS_MAX);

	switch (choice_below(cs, 4)) {
	case 0:
	case 1:
		unplug(w, away);
		break;
	case 2:
		if (w->driver_away)
			unplug(w, away); /* the driver is away already */
		else
			driver_leaves(w, away);
		break;
	default: {
		unsigned int n =
			(unsigned int)choice_below(cs, SIM_BYSTANDERS + 1);

		if (n < SIM_BYSTANDERS)
			bys_toggle_device(&w->bys, n, smallest_free_index(w));
		else
			bys_toggle_driver(&w->bys);
		break;
	}
	}
}

static void world_turn(struct sim_world *w)
{
	struct choice_source *cs = w->env.cs;

	if (!w->plugged)
		return;
	if (!w->wrap_tried && wl_bound(&w->drv)) {
		/* One chance per run: a burst costs ~65,536 rounds (~60 ms
		 * in a release build, 20 runs' time), so a swarm takes it
		 * in 1/16 of the runs that enabled it: ~0.3% of them. */
		w->wrap_tried = true;
		if (adv_draw(&w->adv, cs, ADV_INDEX_WRAP) &&
		    (!w->cfg->swarm ||
		     choice_chance(cs, 1, WRAP_SWARM_SHARE))) {
			adv_count(&w->adv, ADV_INDEX_WRAP);
			index_wrap(w);
			return;
		}
	}
	if (adv_fires(&w->adv, cs, ADV_HOT_UNPLUG)) {
		vary_registration(w);
	} else if (adv_fires(&w->adv, cs, ADV_RESET_IN_FLIGHT)) {
		/* The device loses its requests; the driver recovers by
		 * rebinding, which resets and detaches. */
		sim_device_forget(&w->dev);
		unplug(w, 0);
	} else if (adv_fires(&w->adv, cs, ADV_NEEDS_RESET)) {
		w->dev.needs_reset = true;
		simt_raise_config_interrupt(&w->t);
		sim_emit(&w->env, SIM_ACTOR_CONFIG, SIM_EV_ADVERSARY, 0,
			 ADV_NEEDS_RESET, 0, 0);
	} else if (adv_fires(&w->adv, cs, ADV_CONFIG_STORM)) {
		config_change(w, 8 + (unsigned int)choice_below(
					     cs, SIM_STORM_MAX - 8));
	} else {
		config_change(w, 1);
	}
}

/* A device showing NEEDS_RESET is reset by rebinding its driver. */
static void recover_needs_reset(struct sim_world *w)
{
	if (w->plugged && w->dev.needs_reset &&
	    (w->t.vdev.config->get_status(&w->t.vdev) &
	     VIRTIO_CONFIG_S_NEEDS_RESET))
		unplug(w, 0);
}

/* --- the scheduler ---------------------------------------------------------- */

static bool irq_pending(const struct sim_world *w, unsigned int *q)
{
	unsigned int i;

	for (i = 0; i < w->dev.cls->nqueues; i++)
		if (w->dev.q[i].irq_pending) {
			*q = i;
			return true;
		}
	return false;
}

static enum sim_actor pick_actor(struct sim_world *w, bool *forced)
{
	u64 step = w->env.step;
	unsigned int q;
	u64 v;

	*forced = true;
	if (sim_device_has_work(&w->dev) && step - w->dev_last > SIM_FAIR_STEPS)
		return SIM_ACTOR_DEVICE;
	if (irq_pending(w, &q) && step - w->irq_last > SIM_FAIR_STEPS)
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

static void device_turn(struct sim_world *w)
{
	unsigned int q;

	w->dev_last = w->env.step;
	if (!w->plugged)
		return;
	sim_device_step(&w->dev);
	for (q = 0; q < w->dev.cls->nqueues && !w->oracle.failed; q++)
		check_expectations(w, q);
}

static void spurious(struct sim_world *w)
{
	if (!w->plugged || !adv_fires(&w->adv, w->env.cs, ADV_SPURIOUS_IRQ))
		return;
	irq(w, SIM_ACTOR_SPURIOUS,
	    (unsigned int)choice_below(w->env.cs, w->dev.cls->nqueues + 1));
}

static bool stall_excused(const struct sim_world *w)
{
	unsigned int q, i;

	if (w->dev.stalled || w->dev.plant_stall || !w->plugged)
		return true;
	for (q = 0; q < w->dev.cls->nqueues; q++) {
		const struct devq *dq = &w->dev.q[q];
		struct virtqueue *vq = w->t.queues[q].vq;

		if (vq && virtqueue_is_broken(vq))
			return true;
		for (i = 0; i < dq->nheld; i++)
			if (dq->held[i].never)
				return true;
	}
	return false;
}

/* Whether the driver should know of the used entries waiting on queue q:
 * an interrupt is due under the notification rules (virtio 1.2 2.7.7:
 * with EVENT_IDX, used_event lies among the entries added since the
 * driver's last get_buf; without, NO_INTERRUPT is clear), or the driver
 * turned callbacks off and so must poll. A broken queue owes nothing. */
static bool queue_owed(struct sim_world *w, unsigned int q)
{
	struct virtqueue *vq = w->t.queues[q].vq;
	struct vring *vr = simt_vring(&w->t, q);
	struct vring_stats stats;
	u16 used_idx = w->dev.q[q].used_idx, waiting, past;

	if (!vq || !vr || virtqueue_is_broken(vq))
		return false;
	virtqueue_get_stats(vq, &stats);
	waiting = (u16)(used_idx - (u16)stats.used);
	if (waiting == 0)
		return false;
	if (w->drv.cb_off[q] || w->dev.q[q].irq_pending)
		return true;
	if (!(w->t.driver_features & (1ULL << VIRTIO_RING_F_EVENT_IDX)))
		return !(READ_ONCE(vr->avail->flags) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	/* used_event in [last used, used idx): the device crossed it. */
	past = (u16)(used_idx - 1 - READ_ONCE(vring_used_event(vr)));
	return past < waiting;
}

/* The device completed requests in this step while nothing was owed to
 * the driver: the wait is the notification rules' (a slow device and
 * delayed callbacks), progress, not a stall. Completions while the driver
 * is owed something do not count: it should have got them back. */
static void note_device_progress(struct sim_world *w)
{
	unsigned int q;
	bool moved = w->dev.completed != w->dev_completed;

	w->dev_completed = w->dev.completed;
	if (!moved || !w->plugged)
		return;
	for (q = 0; q < w->dev.cls->nqueues; q++)
		if (queue_owed(w, q))
			return;
	oracle_progress_device(&w->oracle);
}

/* Planted ring-side bugs (world.h), to show the oracles fire. */
static void plant_faults(struct sim_world *w)
{
	struct vring *vr = w->plugged ? simt_vring(&w->t, 0) : NULL;
	u16 idx;

	if (!vr || w->env.step % 64 != 0)
		return;
	if (w->cfg->plant_false_break)
		virtqueue_break(w->t.queues[0].vq);
	idx = READ_ONCE(vr->avail->idx);
	if (w->cfg->plant_driver_rule && idx != w->dev.q[0].last_avail)
		WRITE_ONCE(vr->avail->ring[(u16)(idx - 1) % vr->num],
			   (u16)(vr->num + 1));
}

/* What vary_registration or an unplug took away returns when its time
 * is up: the device, the driver, or both in a drawn order (device first:
 * the driver's registration binds it; driver first: the device's). */
static void come_back(struct sim_world *w)
{
	bool driver_first;

	if (w->env.step < w->replug_at || (w->plugged && !w->driver_away))
		return;
	if (w->plugged) {
		driver_returns(w);
		return;
	}
	driver_first = w->driver_away && choice_chance(w->env.cs, 1, 2);
	if (driver_first)
		driver_returns(w);
	plug(w);
	if (w->driver_away && !w->oracle.failed)
		driver_returns(w);
}

/* Acts inside the ring's reads in this turn (device.h note 8), on a
 * device still plugged: the ring must have reported them. */
static void check_reads(struct sim_world *w)
{
	unsigned int q;

	for (q = 0; w->plugged && q < w->dev.cls->nqueues && !w->oracle.failed;
	     q++)
		check_expectations(w, q);
}

static void world_step(struct sim_world *w)
{
	bool forced;
	unsigned int q;
	enum sim_actor actor = pick_actor(w, &forced);

	w->oracle.step = w->env.step; /* a failure in this step is of it */
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_STEP, 0, actor, forced, 0);
	come_back(w);
	switch (actor) {
	case SIM_ACTOR_DRIVER:
		wl_step(&w->drv);
		break;
	case SIM_ACTOR_DEVICE:
		device_turn(w);
		break;
	case SIM_ACTOR_IRQ:
		if (w->plugged && irq_pending(w, &q))
			irq(w, SIM_ACTOR_IRQ, q);
		break;
	case SIM_ACTOR_SPURIOUS:
		spurious(w);
		break;
	default:
		world_turn(w);
		break;
	}
	check_reads(w);
	raise_owed_config_irq(w);
	recover_needs_reset(w);
	plant_faults(w);
	check_false_alarm(w);
	note_device_progress(w);
	oracle_progress_tick(&w->oracle,
			     w->plugged && sim_device_waiting(&w->dev) > 0,
			     stall_excused(w));
}

/* --- set-up and teardown ----------------------------------------------------- */

static void choose_adversary(struct sim_world *w)
{
	if (w->cfg->swarm)
		adv_config_swarm(&w->adv, w->env.cs);
	else if (w->cfg->adversary)
		memcpy(w->adv.rate, w->cfg->adversary->rate,
		       sizeof(w->adv.rate));
	else
		adv_config_none(&w->adv);
}

/* Builds the device and the driver; false when the world cannot exist. */
static bool world_setup(struct sim_world *w)
{
	const struct sim_pair *pair;

	w->type = w->cfg->device;
	if (w->type == SIM_DEVICE_ANY)
		w->type = (enum sim_device_type)(
			1 + choice_below(w->env.cs, SIM_DEVICE_COUNT - 1));
	pair = &pairs[w->type];
	choose_adversary(w);
	w->mode = choice_chance(w->env.cs, 1, 2) ? SIMT_MODERN : SIMT_LEGACY;
	if (sim_device_init(&w->dev, pair->device, &w->env, &w->adv, &w->t) ||
	    wl_init(&w->drv, pair->driver, &w->env)) {
		w->class_ready = true;
		oracle_fail(&w->oracle, "setup", "cannot build the %s world",
			    pair->name);
		return false;
	}
	w->class_ready = true;
	w->dev.plant_stall = w->cfg->plant_device_stall;
	w->dev.plant_corrupt_data = w->cfg->plant_corrupt_data;
	w->drv.plant_lost_token = w->cfg->plant_lost_token;
	w->drv.plant_deaf = w->cfg->plant_deaf_driver;
	w->drv.plant_null_token = w->cfg->plant_null_token;
	w->drv.plant_leak = w->cfg->plant_leak;
	w->drv.plant_double_return = w->cfg->plant_double_return;
	w->drv.device_lied = &w->dev.lied;
	sem_init(&w->sem, &w->t, &w->dev, &w->oracle, &w->env.alloc_fails);
	w->env.sem = &w->sem;
	cfgo_init(&w->cfgo, &w->t, &w->oracle);
	w->env.config = &w->cfgo;
	w->env.probing = world_probing;
	bys_init(&w->bys, &w->env, &w->oracle, w->mode, w->dev.ops.device_id);
	sim_emit(&w->env, SIM_ACTOR_WORLD, SIM_EV_RUN_START, 0, w->mode,
		 w->dev.ops.features, w->type);
	if (wl_register(&w->drv) != 0) {
		oracle_fail(&w->oracle, "setup", "cannot register the driver");
		return false;
	}
	plug(w);
	return true;
}

/* A last look at every queue (illegal acts must have been seen), then
 * remove with buffers outstanding (detach_unused_buf has work), tear
 * down, and check that every block went back to the arena. */
static void world_teardown(struct sim_world *w)
{
	unsigned int q;

	if (w->plugged && wl_bound(&w->drv) && !w->oracle.failed) {
		wl_drain(&w->drv);
		for (q = 0; q < w->drv.cls->nqueues; q++)
			wl_add_batch(
				&w->drv, q,
				1 + (unsigned int)choice_below(w->env.cs, 3));
		check_false_alarm(w);
	}
	if (w->class_ready) {
		bool bound = wl_bound(&w->drv);

		wl_unregister(&w->drv);
		if (bound && w->plugged)
			registry_check_removed(&w->oracle, &w->t);
	}
	oracle_tokens_finish(&w->oracle);
	bys_leave(&w->bys);
	simt_destroy(&w->t);
	bys_check_indices_freed(&w->bys);
	sem_fini(&w->sem);
	w->env.sem = NULL;
	if (w->class_ready) {
		wl_fini(&w->drv);
		sim_device_fini(&w->dev);
	}
	sim_end_run(&w->env);
}

void sim_end_run(struct sim_env *env)
{
	struct oracle *o = env->oracle;
	struct shim_arena_stats stats;

	shim_arena_get_stats(&stats);
	if (stats.live_blocks)
		oracle_fail(o, "leak",
			    "%zu arena blocks (%zu bytes) live after teardown",
			    stats.live_blocks, stats.live_bytes);
	if (o->failed)
		sim_emit(env, SIM_ACTOR_WORLD, SIM_EV_FAIL, 0, o->fail_step,
			 name_hash(o->name), 0);
	sim_emit(env, SIM_ACTOR_WORLD, SIM_EV_RUN_END, 0, o->added, o->got,
		 o->detached);
}

static void fill_result(const struct sim_world *w, struct sim_result *r)
{
	const struct event_log *log = w->env.log;

	memset(r, 0, sizeof(*r));
	r->failed = w->oracle.failed;
	r->oracle = w->oracle.name;
	snprintf(r->message, sizeof(r->message), "%s", w->oracle.message);
	r->fail_step = w->oracle.fail_step;
	r->device = w->type;
	r->mode = (int)w->mode;
	r->features = w->features;
	r->steps = w->env.step;
	r->events = event_log_count(log);
	r->event_hash = w->cfg->events_unread ? 0 : event_log_hash(log);
	r->semantics_checks = w->sem.checks;
	r->config_checks = w->cfgo.checks;
	r->config_mid_read_changes = w->cfgo.mid_read_changes;
	r->choices = choice_draws(w->env.cs);
	r->tokens_added = w->oracle.added;
	r->tokens_got = w->oracle.got;
	r->tokens_detached = w->oracle.detached;
	r->completed = w->drv.completed;
	r->bytes = w->drv.bytes;
	r->data_checked = w->drv.data_checked;
	r->device_stalls = w->oracle.device_stalls;
	r->probes = w->drv.probes;
	r->unplugs = w->unplugs;
	r->driver_bound = w->drv.binds > 0;
	r->device_lied = w->dev.lied;
	r->checks = w->checks;
	memcpy(r->check_fault, w->check_fault, sizeof(r->check_fault));
	r->check_clamped = w->check_clamped;
	memcpy(r->rate, w->adv.rate, sizeof(r->rate));
	memcpy(r->fired, w->adv.fired, sizeof(r->fired));
}

static void run_steps(struct sim_world *w)
{
	u64 steps_max =
		w->cfg->steps_max ? w->cfg->steps_max : SIM_STEPS_DEFAULT;
	bool dry = false; /* at least one step: steps_max 0 means default */

	for (w->env.step = 1;
	     w->env.step <= steps_max && !w->oracle.failed && !dry;
	     w->env.step++) {
		world_step(w);
		dry = w->cfg->end_when_dry && choice_dry(w->env.cs);
	}
	w->env.step--;
}

/* The arena of the previous run, emptied, or a new one: making 8 MiB of
 * guest memory (and poisoning it for ASan) costs more than a short run. A
 * reset arena shows what a fresh one does (shim.h). */
static int world_arena(void)
{
	struct shim_arena_stats stats;

	shim_arena_get_stats(&stats);
	if (stats.size == SIM_ARENA_BYTES && stats.phys_base == SIM_PHYS_BASE &&
	    !stats.identity) {
		shim_arena_reset();
		return 0;
	}
	return shim_arena_create(SIM_ARENA_BYTES, SIM_PHYS_BASE);
}

int sim_run(const struct sim_config *cfg, struct choice_source *cs,
	    struct sim_result *result)
{
	static struct sim_world world;
	struct sim_world *w = &world;

	if (!cfg || !cs || !result || cfg->device >= SIM_DEVICE_COUNT ||
	    (cfg->events_unread && cfg->log))
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->env.cs = cs;
	w->env.oracle = &w->oracle;
	w->env.observe = world_observe;
	w->env.observe_ctx = w;
	event_log_init(&w->own_log, 1);
	if (cfg->events_unread)
		event_log_count_only(&w->own_log);
	w->env.log = cfg->log ? cfg->log : &w->own_log;
	oracle_init(&w->oracle, cfg->stall_steps ? cfg->stall_steps
						 : SIM_STALL_STEPS_DEFAULT);
	if (world_arena() != 0) {
		oracle_fail(&w->oracle, "setup", "cannot create the arena");
		fill_result(w, result);
		event_log_free(&w->own_log);
		return 0;
	}
	shim_set_report_hook(world_report, w);
	shim_set_log_hook(world_log, w);
	shim_set_alloc_fail_hook(world_alloc_fail, w);

	if (world_setup(w)) {
		world_acts_in_reads(w, true);
		run_steps(w);
		world_acts_in_reads(w, false);
	}
	world_teardown(w);
	fill_result(w, result);

	shim_set_alloc_fail_hook(NULL, NULL);
	shim_set_report_hook(NULL, NULL);
	shim_set_log_hook(NULL, NULL);
	event_log_free(&w->own_log);
	return 0;
}

/* --- names ------------------------------------------------------------------ */

static const char *const actor_names[SIM_ACTOR_COUNT] = {
	"world", "driver", "device", "irq", "spurious", "config", "front",
};

static const char *const kind_names[SIM_EV_COUNT] = {
	"run-start",
	"probe",
	"step",
	"add",
	"add-nomem",
	"kick",
	"get-buf",
	"disable-cb",
	"enable-cb",
	"enable-cb-delayed",
	"callback",
	"dev-kick",
	"dev-fetch",
	"dev-complete",
	"irq",
	"config-change",
	"detach",
	"alloc-fail",
	"fail",
	"run-end",
	"adversary",
	"unplug",
	"replug",
	"check",
	"driver-rule",
	"front-status",
	"front-features",
	"front-queue",
	"front-desc",
	"front-avail",
	"front-avail-idx",
	"front-notify",
	"front-used",
	"front-verdict",
};

const char *sim_actor_name(u16 actor)
{
	return actor < SIM_ACTOR_COUNT ? actor_names[actor] : NULL;
}

const char *sim_event_kind_name(u16 kind)
{
	return kind < SIM_EV_COUNT ? kind_names[kind] : NULL;
}

const char *sim_device_name(enum sim_device_type type)
{
	return type < SIM_DEVICE_COUNT ? pairs[type].name : NULL;
}

enum sim_device_type sim_device_lookup(const char *name)
{
	unsigned int i;

	for (i = 0; i < SIM_DEVICE_COUNT; i++)
		if (strcmp(pairs[i].name, name) == 0)
			return (enum sim_device_type)i;
	return SIM_DEVICE_COUNT;
}

void sim_install_event_names(void)
{
	static const struct event_names names = {
		.actor = sim_actor_name,
		.kind = sim_event_kind_name,
	};

	event_names_set(&names);
}
