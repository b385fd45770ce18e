/*
 * test_registry_oracle.c - the registry oracle's checks (model/registry.h)
 * fire on a wrong status or index and stay quiet on the right one. That
 * they fire on a broken registry is tests/planted/ (failed-not-set,
 * index-not-freed, no-acknowledge-after-remove, driver-ok-before-probe,
 * match-first-entry-only, vendor-not-compared);
 * that the world with the honest registry never trips them, in every
 * registration order, is test_world.c and the campaigns.
 */
#include "harness.h"

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <registry.h>
#include <sim_transport.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(probe_status_checked)                                                \
	X(probe_after_a_failed_probe)                                          \
	X(status_after_remove_checked)                                         \
	X(unmatched_device_checked)                                            \
	X(bound_device_checked)                                                \
	X(match_checked)                                                       \
	X(negotiated_checked)
TESTS(HARNESS_DECLARE)

static const struct ringside_dm_ops fake_ops = {
	.abi_version = RINGSIDE_DM_ABI_VERSION,
	.name = "fake",
	.device_id = VIRTIO_ID_BALLOON,
};

struct fixture {
	struct simt_transport t;
	struct oracle o;
};

static void fixture_init(struct fixture *f)
{
	CHECK_EQ(0, simt_init(&f->t, &fake_ops, NULL, SIMT_MODERN));
	oracle_init(&f->o, 256);
}

static void probe_status_checked(void)
{
	struct fixture f;

	fixture_init(&f);
	f.t.driver_features = 1ULL << VIRTIO_F_VERSION_1;
	f.t.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		     VIRTIO_CONFIG_S_FEATURES_OK;
	registry_check_probe(&f.o, &f.t, false);
	CHECK(!f.o.failed);
	/* DRIVER_OK before the driver set up its queues. */
	f.t.status |= VIRTIO_CONFIG_S_DRIVER_OK;
	registry_check_probe(&f.o, &f.t, false);
	CHECK(f.o.failed && strcmp(f.o.name, "registry") == 0);
	/* Legacy: no FEATURES_OK step; a status that has it is wrong. */
	fixture_init(&f);
	f.t.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	registry_check_probe(&f.o, &f.t, false);
	CHECK(!f.o.failed);
	f.t.status |= VIRTIO_CONFIG_S_FEATURES_OK;
	registry_check_probe(&f.o, &f.t, false);
	CHECK(f.o.failed);
}

/* FAILED of an earlier probe of the same registration may stay (no reset
 * between probes); without one it may not. */
static void probe_after_a_failed_probe(void)
{
	struct fixture f;

	fixture_init(&f);
	f.t.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		     VIRTIO_CONFIG_S_FAILED;
	registry_check_probe(&f.o, &f.t, true);
	CHECK(!f.o.failed);
	registry_check_probe(&f.o, &f.t, false);
	CHECK(f.o.failed);
}

static void status_after_remove_checked(void)
{
	struct fixture f;

	fixture_init(&f);
	f.t.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_NEEDS_RESET;
	registry_check_removed(&f.o, &f.t);
	CHECK(!f.o.failed);
	f.t.status = 0; /* reset, never acknowledged again */
	registry_check_removed(&f.o, &f.t);
	CHECK(f.o.failed && strcmp(f.o.name, "registry") == 0);
}

static void unmatched_device_checked(void)
{
	struct fixture f;

	fixture_init(&f);
	f.t.vdev.index = 2;
	f.t.status = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	registry_check_unmatched(&f.o, &f.t, 0, 2);
	CHECK(!f.o.failed);
	registry_check_unmatched(&f.o, &f.t, 0, 1); /* 1 was free */
	CHECK(f.o.failed && strcmp(f.o.name, "registry") == 0);
	fixture_init(&f);
	f.t.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	registry_check_unmatched(&f.o, &f.t, 0, 0);
	CHECK(f.o.failed);
}

static void bound_device_checked(void)
{
	const u8 bound = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			 VIRTIO_CONFIG_S_DRIVER_OK;
	struct registry_expect e = { .index = -1, .offered = 0xff };
	struct fixture f;

	fixture_init(&f);
	f.t.status = bound;
	f.t.driver_features = 0x3;
	registry_check_plug(&f.o, &f.t, 0, true, &e);
	CHECK(!f.o.failed);
	f.t.status = bound | VIRTIO_CONFIG_S_FAILED;
	registry_check_plug(&f.o, &f.t, 0, true, &e);
	CHECK(f.o.failed);
	fixture_init(&f);
	e.failed_before = true; /* an earlier probe left FAILED */
	f.t.status = bound | VIRTIO_CONFIG_S_FAILED;
	registry_check_plug(&f.o, &f.t, 0, true, &e);
	CHECK(!f.o.failed);
	f.t.driver_features = 0x100; /* not offered */
	registry_check_plug(&f.o, &f.t, 0, true, &e);
	CHECK(f.o.failed);
}

/* A probe with a device the driver's table does not match: wrong device
 * id, wrong vendor; VIRTIO_DEV_ANY_ID matches either, and an entry past
 * the first one counts. */
static void match_checked(void)
{
	const struct virtio_device_id blk_other_vendor[] = {
		{ VIRTIO_ID_BLOCK, 0x1234 },
		{ VIRTIO_ID_BALLOON, 0x1af4 },
		{ 0 }
	};
	const struct virtio_device_id any_vendor[] = {
		{ VIRTIO_ID_BALLOON, VIRTIO_DEV_ANY_ID }, { 0 }
	};
	const struct virtio_device_id any_device[] = {
		{ VIRTIO_DEV_ANY_ID, 0x1af4 }, { 0 }
	};
	const struct virtio_device_id none[] = { { 0 } };
	struct fixture f;

	fixture_init(&f);
	f.t.vdev.id.device = VIRTIO_ID_BALLOON;
	f.t.vdev.id.vendor = 0x1af4;
	CHECK(registry_check_match(&f.o, blk_other_vendor, &f.t.vdev));
	CHECK(registry_check_match(&f.o, any_vendor, &f.t.vdev));
	CHECK(registry_check_match(&f.o, any_device, &f.t.vdev));
	CHECK(!f.o.failed);
	f.t.vdev.id.vendor = 0x1234;
	CHECK(!registry_check_match(&f.o, blk_other_vendor, &f.t.vdev));
	CHECK(f.o.failed && strcmp(f.o.name, "registry") == 0);
	fixture_init(&f);
	f.t.vdev.id.device = VIRTIO_ID_BLOCK;
	f.t.vdev.id.vendor = 0x1af4;
	CHECK(!registry_check_match(&f.o, any_vendor, &f.t.vdev));
	CHECK(f.o.failed);
	fixture_init(&f);
	CHECK(!registry_check_match(&f.o, none, &f.t.vdev));
	CHECK(f.o.failed);
}

static void negotiated_checked(void)
{
	struct fixture f;

	fixture_init(&f);
	f.t.driver_features = 0x5;
	registry_check_negotiated(&f.o, &f.t, 0x5);
	CHECK(!f.o.failed);
	registry_check_negotiated(&f.o, &f.t, 0x1); /* one too many */
	CHECK(f.o.failed);
	fixture_init(&f);
	f.t.driver_features = 0x1;
	registry_check_negotiated(&f.o, &f.t, 0x5); /* one missing */
	CHECK(f.o.failed);
}

HARNESS_MAIN(TESTS)
