/*
 * inproc.c - the in-process runner (inproc.h).
 */
#include "inproc.h"
#include "watch.h"

#include "devices.h"
#include "driver.h"
#include "sim_transport.h"
#include "world.h"

#include <assert.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPROC_CONFIG_BYTES 256
/* Device turns at the end of a case for the device to finish what it
 * holds (the spurious-kick probe needs an empty queue). */
#define PROBE_SETTLE_TURNS 64
#define PROBE_RESET_TURNS 4

struct runner {
	struct check_case *c;
	const struct inproc_maker *mk;
	struct choice_source cs;
	struct event_log log;
	struct oracle oracle;
	struct sim_env env;
	struct simt_transport t;
	struct wl_driver drv;
	struct ringside_dm_host host;
	const struct ringside_dm_ops *ops;
	void *ctx;
	bool lied_none;
	struct check_watch w;
	u32 irq_raised;
	bool config_raised;
	/* check.h note 4: where the fail event is in the log, once made. */
	bool fail_marked;
	size_t fail_at;
	/* dev.config-generation: the config space at a generation. */
	u8 config[INPROC_CONFIG_BYTES];
	u32 config_gen;
	bool config_known;
	/* dev.needs-reset-notified: NEEDS_RESET was announced. */
	bool needs_reset_told;
};

static void violation(struct runner *r, const char *id, unsigned int q,
		      u64 observed, u64 expected, const char *text)
{
	r->w.step = r->env.step;
	watch_violation(&r->w, id, q, observed, expected, text);
}

static void exercised(struct runner *r, const char *id)
{
	watch_exercised(&r->w, id);
}

/* --- the host side of the device-model interface ------------------------ */

int check_guest_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	void *p = len ? shim_guest_ptr(gpa, len) : buf;

	(void)ctx;
	if (!p)
		return -1;
	if (len)
		memcpy(buf, p, len);
	return 0;
}

int check_guest_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
	void *p = len ? shim_guest_ptr(gpa, len) : NULL;

	(void)ctx;
	if (len && !p)
		return -1;
	if (len)
		memcpy(p, buf, len);
	return 0;
}

static void host_interrupt(void *ctx, unsigned int queue)
{
	struct runner *r = ctx;

	if (queue < SIMT_MAX_QUEUES)
		r->irq_raised |= 1u << queue;
}

static void host_config_changed(void *ctx)
{
	struct runner *r = ctx;

	r->config_raised = true;
}

static uint64_t host_draw(void *ctx, uint64_t bound)
{
	struct runner *r = ctx;

	return choice_below(&r->cs, bound ? bound : 1);
}

/* --- the watch over the simulated transport's queues ------------------- */

static unsigned int t_nvqs(void *ctx)
{
	return ((struct runner *)ctx)->t.nvqs;
}

static struct vring *t_vring(void *ctx, unsigned int q)
{
	return simt_vring(&((struct runner *)ctx)->t, q);
}

static struct virtqueue *t_vq(void *ctx, unsigned int q)
{
	return ((struct runner *)ctx)->t.queues[q].vq;
}

static u64 t_features(void *ctx)
{
	return ((struct runner *)ctx)->t.driver_features;
}

static const struct watch_ops sim_watch_ops = {
	.nvqs = t_nvqs,
	.vring = t_vring,
	.vq = t_vq,
	.features = t_features,
};

static void observe(void *ctx, unsigned int q, enum sim_call call, u64 result)
{
	struct runner *r = ctx;

	r->w.step = r->env.step;
	watch_observe(&r->w, q, call, result);
}

/* --- the scheduler ---------------------------------------------------------- */

static void default_turn(struct runner *r)
{
	unsigned int q;

	if (!(r->t.status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	for (q = 0; q < r->t.nvqs; q++)
		simt_take_notify(&r->t, q);
	if (r->ops->step)
		r->ops->step(r->ctx);
}

/* dev.config-generation: the config space changed; it must have been
 * announced (the generation moved, or a config change notification waits
 * to be delivered, which moves it). */
static void check_config(struct runner *r)
{
	u8 now[INPROC_CONFIG_BYTES];
	unsigned int n = r->ops->config_size, i;
	bool told;
	char text[CHECK_TEXT_BYTES];

	if (r->c->mode != CHECK_MODERN || !r->ops->config_read || n == 0)
		return;
	if (n > sizeof(now))
		n = sizeof(now);
	r->ops->config_read(r->ctx, 0, now, n);
	told = r->config_raised || r->t.config_generation != r->config_gen;
	exercised(r, "dev.config-generation");
	if (r->config_known && !told && memcmp(now, r->config, n) != 0) {
		for (i = 0; now[i] == r->config[i]; i++)
			;
		snprintf(text, sizeof(text),
			 "config byte %u changed from %#x to %#x under "
			 "generation %u, with no config change notification",
			 i, r->config[i], now[i], r->config_gen);
		violation(r, "dev.config-generation", 0, now[i], r->config[i],
			  text);
		return;
	}
	memcpy(r->config, now, n);
	r->config_gen = r->t.config_generation;
	r->config_known = !r->config_raised;
}

/* dev.needs-reset-notified: DEVICE_NEEDS_RESET under DRIVER_OK comes with
 * a config change notification. */
static void check_needs_reset(struct runner *r)
{
	u8 status = r->t.vdev.config->get_status(&r->t.vdev);
	char text[CHECK_TEXT_BYTES];

	if (!(status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	exercised(r, "dev.needs-reset-notified");
	if (!(status & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		r->needs_reset_told = false;
		return;
	}
	r->needs_reset_told = r->needs_reset_told || r->config_raised;
	if (r->needs_reset_told)
		return;
	snprintf(text, sizeof(text),
		 "status %#x: DEVICE_NEEDS_RESET with DRIVER_OK, and no "
		 "config change notification",
		 status);
	violation(r, "dev.needs-reset-notified", 0, status,
		  status | VIRTIO_CONFIG_S_NEEDS_RESET, text);
}

/* Queues notified with nothing outstanding: every chain made available
 * was used, so the device has nothing to use for that notification. */
static u32 idle_kicks(struct runner *r)
{
	unsigned int q;
	u32 idle = 0;

	for (q = 0; q < r->t.nvqs && q < WATCH_QUEUES; q++) {
		struct vring *vr = simt_vring(&r->t, q);

		if (simt_notify_pending(&r->t, q) &&
		    vr->used->idx == vr->avail->idx)
			idle |= 1u << q;
	}
	return idle;
}

/* ring.kick-harmless, before the ring could read what the turn did. */
static void check_idle_kicks(struct runner *r, u32 idle, const u16 *before)
{
	unsigned int q;
	char text[CHECK_TEXT_BYTES];

	for (q = 0; q < r->t.nvqs && q < WATCH_QUEUES; q++) {
		u16 now = simt_vring(&r->t, q)->used->idx;

		if (!(idle & (1u << q)))
			continue;
		exercised(r, "ring.kick-harmless");
		if (now == before[q])
			continue;
		snprintf(text, sizeof(text),
			 "a notification with nothing outstanding: used idx "
			 "moved %u -> %u",
			 before[q], now);
		violation(r, "ring.kick-harmless", q, now, before[q], text);
		return;
	}
}

static void device_turn(struct runner *r)
{
	u16 before[WATCH_QUEUES];
	u32 raised, idle = idle_kicks(r);

	watch_used_before(&r->w, before);
	sim_emit(&r->env, SIM_ACTOR_WORLD, SIM_EV_STEP, 0, SIM_ACTOR_DEVICE, 0,
		 0);
	if (r->mk->turn)
		r->mk->turn(r->ctx);
	else
		default_turn(r);
	if (r->mk->take_irqs)
		r->irq_raised |= r->mk->take_irqs(r->ctx);
	raised = r->irq_raised;
	r->w.step = r->env.step;
	check_idle_kicks(r, idle, before);
	if (!r->w.stop)
		watch_turn(&r->w, before, raised, true);
	if (!r->w.stop)
		check_needs_reset(r);
	if (!r->w.stop)
		check_config(r);
}

static void deliver(struct runner *r)
{
	unsigned int q;
	u32 raised = r->irq_raised;

	r->irq_raised = 0;
	for (q = 0; q < r->t.nvqs; q++) {
		if (!(raised & (1u << q)))
			continue;
		sim_emit(&r->env, SIM_ACTOR_IRQ, SIM_EV_IRQ, (u16)q, q, 1, 0);
		simt_raise_queue_interrupt(&r->t, q);
	}
	if (r->config_raised) {
		r->config_raised = false;
		simt_config_change(&r->t);
		simt_raise_config_interrupt(&r->t);
	}
}

static void step(struct runner *r)
{
	unsigned int n = 1 + (unsigned int)choice_below(&r->cs, 3), i;

	sim_emit(&r->env, SIM_ACTOR_WORLD, SIM_EV_STEP, 0, SIM_ACTOR_DRIVER, 0,
		 0);
	for (i = 0; i < n && !r->oracle.failed; i++)
		wl_step(&r->drv);
	r->w.step = r->env.step;
	watch_queues(&r->w);
	if (r->w.stop || r->oracle.failed)
		return;
	device_turn(r);
	if (r->w.stop)
		return;
	if (choice_below(&r->cs, 4) != 0)
		deliver(r);
}

/* --- probes: what the workload alone never shows --------------------------- */

/* A turn of the device whatever the status (default_turn waits for
 * DRIVER_OK: a device that acts without it must get its chance). */
static void bare_turn(struct runner *r)
{
	unsigned int q;

	for (q = 0; q < r->t.nvqs; q++)
		simt_take_notify(&r->t, q);
	if (r->mk->turn)
		r->mk->turn(r->ctx);
	else if (r->ops->step)
		r->ops->step(r->ctx);
	if (r->mk->take_irqs)
		r->irq_raised |= r->mk->take_irqs(r->ctx);
}

/* ring.nothing-before-driver-ok (the transport's before_driver_ok): a
 * request on every queue, notified, and a turn of the device. */
static void before_driver_ok(void *ctx)
{
	struct runner *r = ctx;
	unsigned int q;
	char text[CHECK_TEXT_BYTES];

	if (r->w.stop || r->oracle.failed)
		return;
	for (q = 0; q < r->t.nvqs && q < WL_QUEUES_MAX; q++) {
		wl_add_batch(&r->drv, q, 1);
		if (r->drv.vq[q])
			virtqueue_kick(r->drv.vq[q]);
	}
	bare_turn(r);
	exercised(r, "ring.nothing-before-driver-ok");
	for (q = 0; q < r->t.nvqs; q++) {
		u16 used = simt_vring(&r->t, q)->used->idx;

		if (used == 0 && !(r->irq_raised & (1u << q)))
			continue;
		snprintf(text, sizeof(text), "before DRIVER_OK: used idx %u%s",
			 used,
			 r->irq_raised & (1u << q) ? ", an interrupt raised"
						   : "");
		violation(r, "ring.nothing-before-driver-ok", q, used, 0, text);
		return;
	}
}

/* Device turns until queue q holds nothing of ours; false if it still
 * does. */
static bool settle(struct runner *r, unsigned int q)
{
	struct virtqueue *vq = r->drv.vq[q];
	unsigned int i;

	for (i = 0; i < PROBE_SETTLE_TURNS && !r->w.stop && !r->oracle.failed;
	     i++) {
		if (virtqueue_outstanding(vq) == 0)
			return true;
		device_turn(r);
		deliver(r);
		wl_drain(&r->drv);
		r->w.step = r->env.step;
		watch_queues(&r->w);
	}
	return !r->w.stop && virtqueue_outstanding(vq) == 0;
}

/* ring.kick-harmless: a notification with nothing new on an idle queue
 * (device_turn checks it). */
static void probe_spurious_kick(struct runner *r)
{
	unsigned int q;

	for (q = 0; q < r->t.nvqs && q < WL_QUEUES_MAX && !r->w.stop; q++) {
		if (!r->drv.vq[q] || !settle(r, q))
			continue;
		virtqueue_notify(r->drv.vq[q]);
		device_turn(r);
		deliver(r);
		wl_drain(&r->drv);
	}
}

/* dev.reset-quiet: the used rings as they were before a reset, after
 * turns of the device. */
static void probe_reset_quiet(struct runner *r)
{
	u8 *copy[SIMT_MAX_QUEUES] = { 0 };
	size_t bytes[SIMT_MAX_QUEUES] = { 0 };
	unsigned int q, i;
	char text[CHECK_TEXT_BYTES];

	for (q = 0; q < r->t.nvqs; q++) {
		struct vring *vr = simt_vring(&r->t, q);

		bytes[q] = sizeof(u16) * 3 +
			   sizeof(struct vring_used_elem) * vr->num;
		copy[q] = malloc(bytes[q]);
		if (copy[q])
			memcpy(copy[q], vr->used, bytes[q]);
	}
	r->t.vdev.config->reset(&r->t.vdev);
	r->irq_raised = 0;
	for (i = 0; i < PROBE_RESET_TURNS; i++)
		bare_turn(r);
	exercised(r, "dev.reset-quiet");
	for (q = 0; q < r->t.nvqs && !r->w.stop; q++) {
		struct vring *vr = simt_vring(&r->t, q);

		if (copy[q] && memcmp(copy[q], vr->used, bytes[q]) == 0 &&
		    !(r->irq_raised & (1u << q)))
			continue;
		snprintf(text, sizeof(text),
			 "after a reset (status 0): used idx %u (was %u)%s",
			 vr->used->idx,
			 copy[q] ? ((struct vring_used *)copy[q])->idx : 0,
			 r->irq_raised & (1u << q) ? ", an interrupt raised"
						   : "");
		violation(r, "dev.reset-quiet", q, vr->used->idx,
			  copy[q] ? ((struct vring_used *)copy[q])->idx : 0,
			  text);
	}
	r->irq_raised = 0;
	for (q = 0; q < SIMT_MAX_QUEUES; q++)
		free(copy[q]);
}

/* --- identity, reset and feature checks ------------------------------------- */

static bool pow2(unsigned int n)
{
	return n && !(n & (n - 1));
}

static void check_identity(struct runner *r)
{
	const struct ringside_dm_ops *o = r->ops;
	unsigned int q, size;
	char text[CHECK_TEXT_BYTES];

	exercised(r, "dev.queue-size");
	exercised(r, "dev.absent-queue-zero");
	exercised(r, "dev.features-reserved");
	r->w.offered = o->features;
	r->w.offered_known = true;
	watch_check_dependencies(&r->w, o->device_id, o->features);
	if (r->w.stop)
		return;
	for (q = 0; q < o->num_queues && o->queue_size; q++) {
		size = o->queue_size(r->ctx, q);
		if (size && (!pow2(size) || size > 32768)) {
			snprintf(text, sizeof(text), "queue %u offers size %u",
				 q, size);
			violation(r, "dev.queue-size", q, size, 0, text);
			return;
		}
	}
	size = o->queue_size ? o->queue_size(r->ctx, o->num_queues) : 0;
	if (size) {
		snprintf(text, sizeof(text),
			 "queue %u (after the last of %u) offers size %u",
			 o->num_queues, o->num_queues, size);
		violation(r, "dev.absent-queue-zero", o->num_queues, size, 0,
			  text);
		return;
	}
	if (o->features & watch_reserved_features(r->c->mode)) {
		snprintf(text, sizeof(text),
			 "offered features %#llx include reserved bits %#llx",
			 (unsigned long long)o->features,
			 (unsigned long long)(o->features &
					      watch_reserved_features(
						      r->c->mode)));
		violation(r, "dev.features-reserved", 0,
			  o->features & watch_reserved_features(r->c->mode), 0,
			  text);
	}
}

static void check_reset(struct runner *r)
{
	u8 status;
	char text[CHECK_TEXT_BYTES];

	r->t.vdev.config->reset(&r->t.vdev);
	status = r->t.vdev.config->get_status(&r->t.vdev);
	exercised(r, "dev.reset-status-zero");
	if (status != 0) {
		snprintf(text, sizeof(text), "status reads %#x after a reset",
			 status);
		violation(r, "dev.reset-status-zero", 0, status, 0, text);
	}
}

/* 1.x: FEATURES_OK with a device bit the device did not offer. */
static void check_refusal(struct runner *r)
{
	u64 offered = r->ops->features, extra;
	unsigned int bit;
	char text[CHECK_TEXT_BYTES];

	if (r->c->mode != CHECK_MODERN || !r->ops->accept_features)
		return;
	for (bit = 0; bit < 24 && (offered >> bit) & 1; bit++)
		;
	if (bit == 24)
		return;
	extra = offered | (1ULL << VIRTIO_F_VERSION_1) | (1ULL << bit);
	exercised(r, "dev.features-ok-refused");
	if (r->ops->accept_features(r->ctx, extra)) {
		snprintf(text, sizeof(text),
			 "features %#llx (bit %u not offered) were accepted",
			 (unsigned long long)extra, bit);
		violation(r, "dev.features-ok-refused", 0, extra, offered,
			  text);
	}
	r->t.vdev.config->reset(&r->t.vdev);
}

/* --- one case ----------------------------------------------------------------- */

static const struct wl_class *workload_of(u32 device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:
		return &wl_net_class;
	case VIRTIO_ID_BLOCK:
		return &wl_block_class;
	case VIRTIO_ID_CONSOLE:
		return &wl_console_class;
	case VIRTIO_ID_RNG:
		return &wl_entropy_class;
	default:
		return NULL;
	}
}

static void run_report(void *ctx, enum shim_report_kind kind, const char *file,
		       int line, const char *what)
{
	struct runner *r = ctx;

	oracle_fail(&r->oracle, "warn", "%s at %s:%d: %s",
		    kind == SHIM_REPORT_BUG ? "BUG" : "WARN", file, line, what);
}

static void run_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

static int arena(void)
{
	struct shim_arena_stats st;

	shim_arena_get_stats(&st);
	if (st.size == SIM_ARENA_BYTES && st.phys_base == SIM_PHYS_BASE &&
	    !st.identity) {
		shim_arena_reset();
		return 0;
	}
	return shim_arena_create(SIM_ARENA_BYTES, SIM_PHYS_BASE);
}

static const char *data_entry(u32 device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK:
		return "blk.data-readback";
	case VIRTIO_ID_CONSOLE:
		return "console.data-intact";
	case VIRTIO_ID_NET:
		return "net.frames-intact";
	default:
		return NULL;
	}
}

/* The world's name of a virtio device type, for the run-start event. */
static enum sim_device_type sim_type_of(u32 device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK:
		return SIM_DEVICE_BLOCK;
	case VIRTIO_ID_RNG:
		return SIM_DEVICE_ENTROPY;
	case VIRTIO_ID_CONSOLE:
		return SIM_DEVICE_CONSOLE;
	case VIRTIO_ID_NET:
		return SIM_DEVICE_NET;
	default:
		return SIM_DEVICE_COUNT;
	}
}

/* An oracle of the workload fired: the device's data, or our own bug. */
static int oracle_outcome(struct runner *r)
{
	const char *id = data_entry(r->c->device_id);

	if (!r->oracle.failed)
		return 0;
	if (strcmp(r->oracle.name, "data-integrity") == 0 && id) {
		check_violation(r->c,
				check_index(check_data_entry(
					r->c->device_id, r->oracle.message)),
				r->oracle.fail_step, 0, 0, 0, "%s",
				r->oracle.message);
		return 0;
	}
	snprintf(r->c->setup_error, sizeof(r->c->setup_error),
		 "internal: oracle %.40s fired: %.180s", r->oracle.name,
		 r->oracle.message);
	return -EPROTO;
}

/* The fail event of the case's first violation (check.h note 4): the
 * timeline kept as evidence ends there. */
static void mark_fail(struct runner *r)
{
	unsigned int i;
	bool any = r->oracle.failed;

	for (i = 0; i < check_catalogue_size; i++)
		any = any || r->c->violated[i];
	if (!any || r->fail_marked)
		return;
	r->fail_marked = true;
	sim_emit(&r->env, SIM_ACTOR_WORLD, SIM_EV_FAIL, 0, r->env.step, 0, 0);
	r->fail_at = event_log_stored(&r->log);
}

/* The last CHECK_TRAIL events up to the fail event into the case. */
static void keep_trail(struct runner *r)
{
	size_t end = r->fail_marked ? r->fail_at : event_log_stored(&r->log);
	size_t start = end > CHECK_TRAIL ? end - CHECK_TRAIL : 0, i;
	struct check_case *c = r->c;

	c->trail_n = 0;
	c->trail_skipped = start;
	for (i = start; i < end; i++)
		c->trail[c->trail_n++] = *event_log_get(&r->log, i);
}

static void run_steps(struct runner *r, u64 steps)
{
	for (r->env.step = 1; r->env.step <= steps; r->env.step++) {
		r->oracle.step = r->env.step;
		step(r);
		if (r->w.stop || r->oracle.failed)
			break;
	}
	mark_fail(r);
	if (!r->w.stop && !r->oracle.failed && wl_bound(&r->drv)) {
		wl_drain(&r->drv);
		r->w.step = r->env.step;
		watch_queues(&r->w);
	}
	if (!r->w.stop && !r->oracle.failed && wl_bound(&r->drv))
		probe_spurious_kick(r);
	if (!r->w.stop && !r->oracle.failed && wl_bound(&r->drv)) {
		r->w.step = r->env.step;
		watch_tables(&r->w);
	}
	if (!r->w.stop && !r->oracle.failed && wl_bound(&r->drv))
		probe_reset_quiet(r);
	mark_fail(r);
	if (r->drv.data_checked && data_entry(r->c->device_id))
		exercised(r, data_entry(r->c->device_id));
	if (r->drv.data_checked && r->c->device_id == VIRTIO_ID_NET) {
		exercised(r, "net.header-size");
		exercised(r, "net.rx-offloads-negotiated");
	}
}

static int setup(struct runner *r, char *err, size_t errlen)
{
	const struct wl_class *wl;
	int ret;

	r->host.abi_version = RINGSIDE_DM_ABI_VERSION;
	r->host.ctx = r;
	r->host.read = check_guest_read;
	r->host.write = check_guest_write;
	r->host.interrupt = host_interrupt;
	r->host.config_changed = host_config_changed;
	r->host.draw = host_draw;
	ret = r->mk->create(r->mk->maker_ctx, &r->env, &r->t, &r->host, &r->ops,
			    &r->ctx, err, errlen);
	if (ret)
		return ret;
	r->c->device_id = r->ops->device_id;
	wl = workload_of(r->ops->device_id);
	if (!wl) {
		snprintf(err, errlen,
			 "device id %u: no workload drives this device type "
			 "(net 1, block 2, console 3, entropy 4)",
			 r->ops->device_id);
		return -EINVAL;
	}
	if (simt_init(&r->t, r->ops, r->ctx,
		      r->c->mode == CHECK_MODERN ? SIMT_MODERN : SIMT_LEGACY)) {
		snprintf(err, errlen, "cannot set up the transport");
		return -EINVAL;
	}
	if (wl_init(&r->drv, wl, &r->env)) {
		snprintf(err, errlen, "cannot set up the %s workload",
			 wl->name);
		return -ENOMEM;
	}
	r->drv.device_lied = r->mk->lied ? r->mk->lied(r->ctx) : &r->lied_none;
	r->drv.check_out_of_range = true;
	r->drv.check_framings = true;
	r->t.before_driver_ok = before_driver_ok;
	r->t.before_driver_ok_ctx = r;
	return 0;
}

static void teardown(struct runner *r, bool drv_ready)
{
	if (drv_ready) {
		wl_unregister(&r->drv);
		if (!r->w.stop && !r->oracle.failed) {
			check_reset(r);
			if (!r->w.stop)
				check_refusal(r);
		}
	}
	simt_destroy(&r->t);
	if (drv_ready)
		wl_fini(&r->drv);
	if (r->ops && r->mk->destroy)
		r->mk->destroy(r->mk->maker_ctx, r->ctx);
	else if (r->ops && r->ops->destroy)
		r->ops->destroy(r->ctx);
	watch_fini(&r->w);
}

int inproc_run_case(const struct inproc_maker *mk, u64 steps,
		    struct check_case *c)
{
	static struct runner runner;
	struct runner *r = &runner;
	bool drv_ready = false;
	int ret;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->mk = mk;
	watch_init(&r->w, c, &sim_watch_ops, r);
	choice_init_seed(&r->cs, c->seed ^ ((u64)c->mode << 56));
	choice_set_log_limit(&r->cs, 0);
	/* Events are only stored for the evidence (note 4 of check.h). */
	event_log_init(&r->log, c->keep_trail ? 0 : 1);
	oracle_init(&r->oracle, 1ULL << 62);
	r->env.cs = &r->cs;
	r->env.log = &r->log;
	r->env.oracle = &r->oracle;
	r->env.observe = observe;
	r->env.observe_ctx = r;
	if (arena() != 0) {
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "cannot create the guest-memory arena");
		ret = -ENOMEM;
		goto out;
	}
	shim_set_report_hook(run_report, r);
	shim_set_log_hook(run_log, r);
	ret = setup(r, c->setup_error, sizeof(c->setup_error));
	if (ret == 0) {
		drv_ready = true;
		check_identity(r);
		if (!r->w.stop && wl_register(&r->drv) == 0) {
			if (register_virtio_device(&r->t.vdev) == 0) {
				c->features = r->t.driver_features;
				sim_emit(&r->env, SIM_ACTOR_WORLD,
					 SIM_EV_RUN_START, 0,
					 c->mode == CHECK_MODERN ? 2 : 1,
					 c->features,
					 sim_type_of(c->device_id));
				run_steps(r,
					  steps ? steps : INPROC_STEPS_DEFAULT);
			}
		}
	}
	teardown(r, drv_ready);
	if (ret == 0)
		ret = oracle_outcome(r);
	mark_fail(r);
	if (c->keep_trail)
		keep_trail(r);
	shim_set_report_hook(NULL, NULL);
	shim_set_log_hook(NULL, NULL);
out:
	event_log_free(&r->log);
	choice_free(&r->cs);
	return ret;
}
