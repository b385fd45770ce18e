/*
 * inproc.c - in-process targets of the robustness suite: a device model
 * over the simulated transport, in a fresh guest-memory arena per case,
 * driven step by step (deterministic: the device's choices come from a
 * source seeded by the case's seed). Our four simulated devices are the
 * first such targets ("sim:"), with device.h note 6 switched on.
 *
 * Guest memory is a mapping of its own:
 *
 *   | guard, no access | guest memory (the arena) | canary | guard |
 *
 * A device model that computes a host pointer below guest memory or far
 * past it faults in a guard (its case is then FAIL, isolate.c); one that
 * writes just past the end lands in the canary, which alive() checks:
 * "wrote outside the guest memory it was given".
 */
#define _GNU_SOURCE

#include "robust.h"

#include "device.h"
#include "world.h"

#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Run budgets, in device steps. */
#define INPROC_SETTLE_STEPS 64
#define INPROC_ANSWER_STEPS 256
#define INPROC_RAW_NOTIFIES 16
#define INPROC_GUARD_BYTES (2u << 20)
#define INPROC_CANARY_BYTES (64u << 10)
#define INPROC_CANARY 0xe7
#define INPROC_MAP_BYTES                                                       \
	(2 * INPROC_GUARD_BYTES + SIM_ARENA_BYTES + INPROC_CANARY_BYTES)

struct inproc_state {
	const struct rb_inproc *ip;
	struct simt_transport t;
	struct choice_source cs;
	struct event_log log;
	struct oracle oracle;
	struct sim_env env;
	const struct ringside_dm_ops *ops;
	void *dev;
	/* Raw notifications not yet delivered (any queue index). */
	unsigned int notify[INPROC_RAW_NOTIFIES];
	unsigned int nnotify;
	u8 *map;    /* INPROC_MAP_BYTES */
	u8 *canary; /* INPROC_CANARY_BYTES right after guest memory */
};

static struct inproc_state state;

static struct vring *inproc_vring(void *ctx, unsigned int q)
{
	struct inproc_state *s = ctx;

	return simt_vring(&s->t, q);
}

/* A register write: queued for the device's next turn (sim_transport.h
 * note 1), the transport's pending bit set for a queue it has. */
static void inproc_notify(void *ctx, unsigned int q)
{
	struct inproc_state *s = ctx;

	if (q < s->t.nvqs)
		s->t.notify_pending |= 1u << q;
	if (s->nnotify < INPROC_RAW_NOTIFIES)
		s->notify[s->nnotify++] = q;
}

static void inproc_run(void *ctx, unsigned int budget, bool (*done)(void *),
		       void *arg)
{
	struct inproc_state *s = ctx;
	unsigned int i;

	for (i = 0; i < s->nnotify; i++)
		if (s->ops->notify && s->notify[i] >= s->t.nvqs)
			s->ops->notify(s->dev, s->notify[i]);
	s->nnotify = 0;
	for (i = 0; i < budget; i++) {
		if (done && done(arg))
			return;
		s->env.step++;
		s->oracle.step = s->env.step;
		s->ip->step(s->dev);
	}
}

/* A crash of an in-process model ends the process (the suite isolates
 * such targets, isolate.c); a live one must have left the canary past
 * guest memory alone. */
static bool inproc_alive(void *ctx, char *why, size_t n)
{
	struct inproc_state *s = ctx;
	size_t i;

	for (i = 0; i < INPROC_CANARY_BYTES; i++)
		if (s->canary[i] != INPROC_CANARY) {
			snprintf(why, n,
				 "wrote 0x%02x at 0x%llx, past the end of the "
				 "guest memory it was given",
				 s->canary[i],
				 (unsigned long long)(SIM_PHYS_BASE +
						      SIM_ARENA_BYTES + i));
			return false;
		}
	return true;
}

static const struct rb_port_ops inproc_ops = {
	.vring = inproc_vring,
	.notify = inproc_notify,
	.run = inproc_run,
	.alive = inproc_alive,
};

static void inproc_free(struct inproc_state *s)
{
	if (s->dev)
		s->ip->destroy(s->dev);
	s->dev = NULL;
	choice_free(&s->cs);
	event_log_free(&s->log);
	shim_arena_destroy();
	if (s->map)
		munmap(s->map, INPROC_MAP_BYTES);
	s->map = NULL;
}

/* The mapping of the top of this file; 0 or -ENOMEM. */
static int map_guest_memory(struct inproc_state *s)
{
	u8 *m = mmap(NULL, INPROC_MAP_BYTES, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u8 *mem;

	if (m == MAP_FAILED)
		return -ENOMEM;
	s->map = m;
	mem = m + INPROC_GUARD_BYTES;
	if (mprotect(mem, SIM_ARENA_BYTES + INPROC_CANARY_BYTES,
		     PROT_READ | PROT_WRITE))
		return -ENOMEM;
	s->canary = mem + SIM_ARENA_BYTES;
	memset(s->canary, INPROC_CANARY, INPROC_CANARY_BYTES);
	return shim_arena_init(mem, SIM_ARENA_BYTES, SIM_PHYS_BASE);
}

static int inproc_open(const struct rb_target *t, u64 seed,
		       struct rb_port *port, char *err, size_t n)
{
	const struct rb_inproc *ip = t->arg;
	struct inproc_state *s = &state;
	int e;

	memset(s, 0, sizeof(*s));
	s->ip = ip;
	e = map_guest_memory(s);
	if (e) {
		snprintf(err, n, "no memory for the guest arena");
		inproc_free(s);
		return e;
	}
	choice_init_seed(&s->cs, seed);
	event_log_init(&s->log, 1u << 16);
	oracle_init(&s->oracle, 1u << 20);
	s->env.cs = &s->cs;
	s->env.log = &s->log;
	s->env.oracle = &s->oracle;
	e = ip->create(ip, &s->env, &s->ops, &s->dev);
	if (!e)
		e = simt_init(&s->t, s->ops, s->dev,
			      ip->modern ? SIMT_MODERN : SIMT_LEGACY);
	if (!e)
		e = ip->attach(ip, s->dev, &s->t);
	if (e) {
		snprintf(err, n, "%s: the device model failed to start (%d)",
			 ip->name, e);
		inproc_free(s);
		return e;
	}
	port->ops = &inproc_ops;
	port->ctx = s;
	port->vdev = &s->t.vdev;
	port->device_id = ip->device_id;
	port->modern = ip->modern;
	port->guest_end = (u64)SIM_PHYS_BASE + SIM_ARENA_BYTES;
	port->settle_budget = INPROC_SETTLE_STEPS;
	port->answer_budget = INPROC_ANSWER_STEPS;
	return 0;
}

static void inproc_close(const struct rb_target *t, struct rb_port *port)
{
	struct inproc_state *s = port->ctx;

	(void)t;
	simt_destroy(&s->t);
	inproc_free(s);
}

void rb_inproc_target(const struct rb_inproc *ip, struct rb_target *t)
{
	memset(t, 0, sizeof(*t));
	t->name = ip->name;
	t->deterministic = true;
	t->modern = ip->modern;
	t->open = inproc_open;
	t->close = inproc_close;
	t->arg = ip;
}

/* --- our simulated devices ----------------------------------------------- */

struct sim_dev_box {
	struct sim_device d;
	struct adversary adv;
	struct sim_env *env;
};

static int sim_create(const struct rb_inproc *ip, struct sim_env *env,
		      const struct ringside_dm_ops **ops, void **dev)
{
	struct sim_dev_box *b = calloc(1, sizeof(*b));

	(void)ip;
	if (!b)
		return -ENOMEM;
	adv_config_none(&b->adv);
	b->env = env;
	*ops = &b->d.ops;
	*dev = b;
	return 0;
}

static int sim_attach(const struct rb_inproc *ip, void *dev,
		      struct simt_transport *t)
{
	struct sim_dev_box *b = dev;
	int e = sim_device_init(&b->d, ip->arg, b->env, &b->adv, t);

	if (e)
		return e;
	/* Note 6 of device.h; and indirect tables always, so that every
	 * indirect case applies. */
	b->d.untrusted_driver = true;
	b->d.ops.features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	return 0;
}

static void sim_step(void *dev)
{
	sim_device_step(&((struct sim_dev_box *)dev)->d);
}

static void sim_destroy(void *dev)
{
	struct sim_dev_box *b = dev;

	sim_device_fini(&b->d);
	free(b);
}

static const struct sim_device_class *sim_class(const char *name, size_t len)
{
	static const struct sim_device_class *const classes[] = {
		&dev_block_class, &dev_entropy_class, &dev_console_class,
		&dev_net_class
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(classes); i++)
		if (strlen(classes[i]->name) == len &&
		    !strncmp(classes[i]->name, name, len))
			return classes[i];
	return NULL;
}

int rb_sim_target(const char *spec, struct rb_inproc *ip, struct rb_target *t,
		  char *err, size_t n)
{
	const char *name = spec + 4, *mode;
	const struct sim_device_class *cls;
	size_t len;

	if (strncmp(spec, "sim:", 4)) {
		snprintf(err, n, "\"%s\" is not a sim: target", spec);
		return -EINVAL;
	}
	len = strcspn(name, ",");
	mode = name[len] ? name + len + 1 : "modern";
	cls = sim_class(name, len);
	if (!cls) {
		snprintf(err, n,
			 "no simulated device \"%.*s\" (block, entropy, "
			 "console, net)",
			 (int)len, name);
		return -EINVAL;
	}
	if (strcmp(mode, "modern") && strcmp(mode, "legacy")) {
		snprintf(err, n, "unknown mode \"%s\" (legacy or modern)",
			 mode);
		return -EINVAL;
	}
	memset(ip, 0, sizeof(*ip));
	ip->name = spec;
	ip->device_id = cls->device_id;
	ip->modern = !strcmp(mode, "modern");
	ip->create = sim_create;
	ip->attach = sim_attach;
	ip->step = sim_step;
	ip->destroy = sim_destroy;
	ip->arg = cls;
	rb_inproc_target(ip, t);
	return 0;
}
