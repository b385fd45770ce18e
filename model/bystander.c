/*
 * bystander.c - the world's other devices and other driver (bystander.h).
 */
#include "bystander.h"

#include "choice.h"
#include "device.h"
#include "registry.h"

#include <assert.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <ringside/device_model.h>
#include <string.h>

/* Balloon feature bits: the device offers the first two and one the
 * driver does not know; the driver's table has the first and the third. */
#define BYS_F_TELL_HOST 0
#define BYS_F_STATS 1
#define BYS_F_OOM 2
#define BYS_F_UNKNOWN 5

/* A balloon: the workload drivers match none. */
static const struct ringside_dm_ops bystander_ops = {
	.abi_version = RINGSIDE_DM_ABI_VERSION,
	.name = "bystander",
	.device_id = VIRTIO_ID_BALLOON,
	.vendor_id = DEV_VENDOR_ID,
	.features = (1ULL << BYS_F_TELL_HOST) | (1ULL << BYS_F_STATS) |
		    (1ULL << BYS_F_UNKNOWN),
};

static const unsigned int bystander_features[] = { BYS_F_TELL_HOST, BYS_F_OOM };

static struct bystanders *bys_of(struct virtio_device *vdev)
{
	return container_of(drv_to_virtio(vdev->dev.driver), struct bystanders,
			    drv);
}

static struct bystander_device *device_of(struct bystanders *b,
					  const struct virtio_device *vdev)
{
	unsigned int n;

	for (n = 0; n < SIM_BYSTANDERS; n++)
		if (&b->dev[n].t.vdev == vdev)
			return &b->dev[n];
	return NULL;
}

/* A driver's probe that fails on a draw, as real ones do when their
 * device is not what they hoped; no queues. */
static int bys_probe(struct virtio_device *vdev)
{
	struct bystanders *b = bys_of(vdev);
	struct bystander_device *d = device_of(b, vdev);

	if (!registry_check_match(b->oracle, b->ids, vdev) || !d)
		return -ENODEV;
	d->probes++;
	d->failed_before = d->failed;
	registry_check_probe(b->oracle, &d->t, d->failed);
	if (choice_chance(b->env->cs, 1, 4)) {
		d->failed = true;
		return -ENODEV;
	}
	d->bound = true;
	return 0;
}

static void bys_remove(struct virtio_device *vdev)
{
	struct bystander_device *d = device_of(bys_of(vdev), vdev);

	vdev->config->reset(vdev);
	if (d) {
		d->bound = false;
		d->failed = false; /* the reset cleared FAILED */
	}
}

void bys_init(struct bystanders *b, struct sim_env *env, struct oracle *o,
	      enum simt_mode mode, u32 world_device_id)
{
	memset(b, 0, sizeof(*b));
	b->env = env;
	b->oracle = o;
	b->mode = mode;
	b->ids[0].device = world_device_id;
	b->ids[0].vendor = DEV_VENDOR_ID + 1;
	b->ids[1].device = VIRTIO_ID_BALLOON;
	b->ids[1].vendor = VIRTIO_DEV_ANY_ID;
	b->drv.driver.name = "bystander";
	b->drv.id_table = b->ids;
	b->drv.feature_table = bystander_features;
	b->drv.feature_table_size = ARRAY_SIZE(bystander_features);
	b->drv.probe = bys_probe;
	b->drv.remove = bys_remove;
}

bool bys_holds_index(const struct bystanders *b, int i)
{
	unsigned int n;

	for (n = 0; n < SIM_BYSTANDERS; n++)
		if (b->dev[n].on && b->dev[n].t.vdev.index == i)
			return true;
	return false;
}

/* What device d must have negotiated with the driver: the offer within
 * the driver's table, and VERSION_1 where the transport is modern. */
static u64 expected_features(const struct bystander_device *d)
{
	u64 wanted = 1ULL << VIRTIO_F_VERSION_1;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bystander_features); i++)
		wanted |= 1ULL << bystander_features[i];
	return simt_offered_features(&d->t) & wanted;
}

/* Device n was probed by the driver just now (its registration, or the
 * driver's): once, bound as the probe answered, in the status the
 * answer asks for. */
static void check_probed(struct bystanders *b, unsigned int n, int err,
			 int expect_index, unsigned int probes_before)
{
	struct bystander_device *d = &b->dev[n];
	struct registry_expect e = {
		.index = expect_index,
		.offered = simt_offered_features(&d->t),
		.failed_before = d->failed_before,
	};
	bool on_bus = d->t.vdev.dev.driver == &b->drv.driver;

	if (d->probes != probes_before + 1) {
		oracle_fail(b->oracle, "registry",
			    "bystander %u, which the driver matches, was "
			    "probed %u times, not once",
			    n, d->probes - probes_before);
		return;
	}
	if (on_bus != d->bound) {
		oracle_fail(b->oracle, "registry",
			    "bystander %u is %sbound though its probe %s", n,
			    on_bus ? "" : "not ",
			    d->bound ? "succeeded" : "failed");
		return;
	}
	registry_check_plug(b->oracle, &d->t, err, d->bound, &e);
	if (d->bound)
		registry_check_negotiated(b->oracle, &d->t,
					  expected_features(d));
}

static void device_leaves(struct bystanders *b, unsigned int n)
{
	struct bystander_device *d = &b->dev[n];
	bool bound = d->bound;

	simt_destroy(&d->t);
	d->on = false;
	sim_emit(b->env, SIM_ACTOR_WORLD, SIM_EV_UNPLUG, (u16)(1 + n), 0, 0, 0);
	if (bound && d->bound)
		oracle_fail(b->oracle, "registry",
			    "bystander %u left without its driver's remove", n);
	else if (bound)
		registry_check_removed(b->oracle, &d->t);
}

static void device_comes(struct bystanders *b, unsigned int n, int expect_index)
{
	struct bystander_device *d = &b->dev[n];
	unsigned int probes = d->probes;
	int err;

	if (simt_init(&d->t, &bystander_ops, NULL, b->mode) != 0) {
		oracle_fail(b->oracle, "setup", "cannot set up a transport");
		return;
	}
	d->failed = false; /* registration resets the device */
	d->bound = false;
	err = register_virtio_device(&d->t.vdev);
	d->on = err == 0;
	sim_emit(b->env, SIM_ACTOR_WORLD, SIM_EV_PROBE, (u16)(1 + n),
		 d->t.status, d->bound, (u64)(s64)err);
	if (b->drv_on)
		check_probed(b, n, err, expect_index, probes);
	else
		registry_check_unmatched(b->oracle, &d->t, err, expect_index);
}

void bys_toggle_device(struct bystanders *b, unsigned int n, int expect_index)
{
	assert(n < SIM_BYSTANDERS);
	if (b->dev[n].on)
		device_leaves(b, n);
	else
		device_comes(b, n, expect_index);
}

static void driver_leaves(struct bystanders *b)
{
	bool was_bound[SIM_BYSTANDERS];
	unsigned int n;

	for (n = 0; n < SIM_BYSTANDERS; n++)
		was_bound[n] = b->dev[n].bound;
	unregister_virtio_driver(&b->drv);
	b->drv_on = false;
	sim_emit(b->env, SIM_ACTOR_WORLD, SIM_EV_UNPLUG,
		 SIM_BYSTANDER_DRIVER_EVENT, 0, 0, 1);
	for (n = 0; n < SIM_BYSTANDERS; n++) {
		if (!was_bound[n])
			continue;
		if (b->dev[n].bound)
			oracle_fail(b->oracle, "registry",
				    "the driver left and bystander %u was not "
				    "removed",
				    n);
		else
			registry_check_removed(b->oracle, &b->dev[n].t);
	}
}

/* The driver comes: every device present that is not bound is probed
 * (those bound are the driver's already: none, it was away). */
static void driver_comes(struct bystanders *b)
{
	unsigned int probes[SIM_BYSTANDERS], bound = 0, n;
	int err;

	for (n = 0; n < SIM_BYSTANDERS; n++)
		probes[n] = b->dev[n].probes;
	err = register_virtio_driver(&b->drv);
	b->drv_on = err == 0;
	for (n = 0; n < SIM_BYSTANDERS; n++)
		bound += b->dev[n].bound;
	sim_emit(b->env, SIM_ACTOR_WORLD, SIM_EV_PROBE,
		 SIM_BYSTANDER_DRIVER_EVENT, 0, bound, (u64)(s64)err);
	if (err) {
		oracle_fail(b->oracle, "setup", "cannot register a driver");
		return;
	}
	for (n = 0; n < SIM_BYSTANDERS; n++)
		if (b->dev[n].on)
			check_probed(b, n, 0, -1, probes[n]);
}

void bys_toggle_driver(struct bystanders *b)
{
	if (b->drv_on)
		driver_leaves(b);
	else
		driver_comes(b);
}

void bys_leave(struct bystanders *b)
{
	unsigned int n;

	for (n = 0; n < SIM_BYSTANDERS; n++)
		if (b->dev[n].on)
			device_leaves(b, n);
	if (b->drv_on)
		driver_leaves(b);
}

void bys_check_indices_freed(struct bystanders *b)
{
	struct simt_transport t;
	int err;

	if (!b->oracle)
		return; /* the run ended before bys_init */
	assert(!b->drv_on);
	if (simt_init(&t, &bystander_ops, NULL, b->mode) != 0) {
		oracle_fail(b->oracle, "setup", "cannot set up a transport");
		return;
	}
	err = register_virtio_device(&t.vdev);
	registry_check_unmatched(b->oracle, &t, err, 0);
	simt_destroy(&t);
}
