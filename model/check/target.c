/*
 * target.c - the table of target kinds (check.h note 2) and the sim:
 * kind: our own simulated devices through the device-model interface,
 * honest unless options switch on adversary behaviours or a planted
 * fault (the proofs of the catalogue use those).
 *
 *   sim:DEVICE[,adv=BEHAVIOUR:RATE]...[,plant=NAME]...
 *
 * plant=NAME breaks one requirement on purpose (the proofs): corrupt-data
 * (block, console, net), no-indirect, framing, bad-status, flush-fails
 * (also offers FLUSH), oob-success (block), broken-dependency (offers
 * GUEST_TSO4 without GUEST_CSUM), net-header (net), write-indirect (any
 * device: writes into the indirect table of a chain it served),
 * rx-offloads (net: received headers with NEEDS_CSUM and GSO_TCPV4).
 */
#include "check.h"
#include "device.h"
#include "inproc.h"
#include "world.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct check_target_kind *const check_target_kinds[] = {
	&check_target_sim,	  &check_target_lib,	    &check_target_qemu,
	&check_target_vhost_user, &check_target_vhost_exec, NULL,
};

int check_target_open(struct check_target *t, const char *spec, char *err,
		      size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : 0;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	if (!colon) {
		snprintf(err, errlen,
			 "target '%s' has no kind: write KIND:WHAT, e.g. "
			 "sim:block, lib:./dev.so, qemu:virtio-rng-pci",
			 spec);
		return -EINVAL;
	}
	for (i = 0; check_target_kinds[i]; i++) {
		const struct check_target_kind *k = check_target_kinds[i];

		if (strlen(k->prefix) != n || strncmp(k->prefix, spec, n) != 0)
			continue;
		t->kind = k;
		snprintf(t->spec, sizeof(t->spec), "%s", colon + 1);
		return k->open(t, colon + 1, err, errlen);
	}
	snprintf(err, errlen,
		 "unknown target kind '%.*s' (known: sim, lib, qemu, "
		 "vhost-user, vhost-user-exec)",
		 (int)n, spec);
	return -EINVAL;
}

void check_target_close(struct check_target *t)
{
	if (t->kind && t->kind->close)
		t->kind->close(t);
	t->priv = NULL;
}

/* --- sim: -------------------------------------------------------------------- */

/* The plants of the sim: target (device.h), by name. */
static const struct {
	const char *name;
	size_t offset; /* of its bool in struct sim_device */
} sim_plants[] = {
	{ "corrupt-data", offsetof(struct sim_device, plant_corrupt_data) },
	{ "no-indirect", offsetof(struct sim_device, plant_no_indirect) },
	{ "framing", offsetof(struct sim_device, plant_framing) },
	{ "bad-status", offsetof(struct sim_device, plant_bad_status) },
	{ "flush-fails", offsetof(struct sim_device, plant_flush_fails) },
	{ "oob-success", offsetof(struct sim_device, plant_oob_success) },
	{ "net-header", offsetof(struct sim_device, plant_net_header) },
	{ "broken-dependency", 0 }, /* features, sim_create */
	{ "write-indirect", offsetof(struct sim_device, plant_write_indirect) },
	{ "rx-offloads", offsetof(struct sim_device, plant_rx_offloads) },
};

#define SIM_PLANTS (sizeof(sim_plants) / sizeof(sim_plants[0]))
#define NET_F_GUEST_TSO4 7
#define BLK_F_FLUSH 9

struct sim_target {
	const struct sim_device_class *cls;
	struct adversary adv;
	bool plant[SIM_PLANTS];
	struct sim_device dev;
};

static bool sim_planted(const struct sim_target *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < SIM_PLANTS; i++)
		if (strcmp(sim_plants[i].name, name) == 0)
			return s->plant[i];
	return false;
}

static const struct sim_device_class *sim_class(const char *name, size_t n)
{
	static const struct sim_device_class *const classes[] = {
		&dev_block_class,
		&dev_entropy_class,
		&dev_console_class,
		&dev_net_class,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(classes); i++)
		if (strlen(classes[i]->name) == n &&
		    strncmp(classes[i]->name, name, n) == 0)
			return classes[i];
	return NULL;
}

static int sim_option(struct sim_target *s, const char *opt, size_t n,
		      char *err, size_t errlen)
{
	char buf[64];
	char *colon, *end;
	enum adv_behaviour b;
	unsigned long rate;
	unsigned int i;

	snprintf(buf, sizeof(buf), "%.*s", (int)n, opt);
	for (i = 0; i < SIM_PLANTS; i++)
		if (strncmp(buf, "plant=", 6) == 0 &&
		    strcmp(buf + 6, sim_plants[i].name) == 0) {
			s->plant[i] = true;
			return 0;
		}
	if (strncmp(buf, "adv=", 4) == 0) {
		colon = strchr(buf + 4, ':');
		if (colon)
			*colon = '\0';
		b = adv_lookup(buf + 4);
		rate = colon ? strtoul(colon + 1, &end, 10) : ADV_RATE_DEFAULT;
		if (b != ADV_COUNT &&
		    (!colon || (*end == '\0' && rate > 0 && rate <= 1000))) {
			adv_enable(&s->adv, b, (u32)rate);
			return 0;
		}
	}
	snprintf(err, errlen,
		 "sim: bad option '%s' (adv=BEHAVIOUR[:RATE] or "
		 "plant=NAME; behaviours: ringside sim --list-adversaries; "
		 "plants: corrupt-data, no-indirect, framing, bad-status, "
		 "flush-fails, oob-success, broken-dependency, net-header, "
		 "write-indirect, rx-offloads)",
		 buf);
	return -EINVAL;
}

static int sim_open(struct check_target *t, const char *spec, char *err,
		    size_t errlen)
{
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
	struct sim_target *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->priv = s;
	s->cls = sim_class(spec, n);
	if (!s->cls) {
		snprintf(err, errlen,
			 "sim: unknown device '%.*s' (block, entropy, console, "
			 "net)",
			 (int)n, spec);
		return -EINVAL;
	}
	adv_config_none(&s->adv);
	while (comma) {
		const char *opt = comma + 1;

		comma = strchr(opt, ',');
		n = comma ? (size_t)(comma - opt) : strlen(opt);
		ret = sim_option(s, opt, n, err, errlen);
		if (ret)
			return ret;
	}
	t->device_id = s->cls->device_id;
	t->modes = CHECK_BOTH;
	return 0;
}

static int sim_create(void *maker_ctx, struct sim_env *env,
		      struct simt_transport *t,
		      const struct ringside_dm_host *host,
		      const struct ringside_dm_ops **ops, void **ctx, char *err,
		      size_t errlen)
{
	struct sim_target *s = maker_ctx;
	unsigned int i;

	(void)host;
	if (sim_device_init(&s->dev, s->cls, env, &s->adv, t) != 0) {
		snprintf(err, errlen, "sim: cannot build the %s device",
			 s->cls->name);
		sim_device_fini(&s->dev);
		return -ENOMEM;
	}
	for (i = 0; i < SIM_PLANTS; i++)
		if (s->plant[i] && sim_plants[i].offset)
			*(bool *)((char *)&s->dev + sim_plants[i].offset) =
				true;
	if (sim_planted(s, "broken-dependency"))
		s->dev.ops.features |= 1ULL << NET_F_GUEST_TSO4;
	if (sim_planted(s, "flush-fails"))
		s->dev.ops.features |= 1ULL << BLK_F_FLUSH;
	*ops = &s->dev.ops;
	*ctx = &s->dev;
	return 0;
}

static void sim_turn(void *ctx)
{
	sim_device_step(ctx);
}

static u32 sim_take_irqs(void *ctx)
{
	struct sim_device *d = ctx;
	unsigned int q;
	u32 mask = 0;

	for (q = 0; q < d->cls->nqueues; q++) {
		if (!d->q[q].irq_pending)
			continue;
		mask |= 1u << q;
		d->q[q].irq_pending = false;
		d->q[q].signalled = d->q[q].used_idx;
		d->q[q].expect_faults = 0;
		d->q[q].expect_clamp = false;
	}
	return mask;
}

static bool *sim_lied(void *ctx)
{
	return &((struct sim_device *)ctx)->lied;
}

static void sim_destroy(void *maker_ctx, void *ctx)
{
	(void)maker_ctx;
	sim_device_fini(ctx);
}

static int sim_run_case(struct check_target *t, struct check_case *c)
{
	struct inproc_maker mk = {
		.create = sim_create,
		.turn = sim_turn,
		.take_irqs = sim_take_irqs,
		.lied = sim_lied,
		.destroy = sim_destroy,
		.maker_ctx = t->priv,
	};

	return inproc_run_case(&mk, t->steps, c);
}

static bool sim_observes(const struct check_target *t, int index,
			 const char **why)
{
	(void)t;
	if (strcmp(check_catalogue[index].id, "dev.survives") == 0) {
		*why = "our own device runs in-process: a crash of it is a "
		       "ringside bug, not a verdict";
		return false;
	}
	return true;
}

static void sim_close(struct check_target *t)
{
	free(t->priv);
}

const struct check_target_kind check_target_sim = {
	.prefix = "sim",
	.usage = "sim:DEVICE[,adv=BEHAVIOUR[:RATE]]...[,plant=NAME]...",
	.summary = "our simulated device (block, entropy, console, net); "
		   "honest unless options make it misbehave",
	.deterministic = true,
	.open = sim_open,
	.run = sim_run_case,
	.observes = sim_observes,
	.close = sim_close,
};
