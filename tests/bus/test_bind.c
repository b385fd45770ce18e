/*
 * test_bind.c - the bus registry binds devices and drivers: registration
 * in either order, id matching, probe failure, the status handshake, the
 * device index, and remove (ring/virtio.c notes 1 and 3,
 * Linux 3.7.1's bus registry).
 */
#include "fake_transport.h"
#include "harness.h"

#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <string.h>

#define VENDOR_QUMRANET 0x1af4
#define VENDOR_OTHER 0x1234

#define ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define DRV VIRTIO_CONFIG_S_DRIVER
#define DOK VIRTIO_CONFIG_S_DRIVER_OK
#define FAILED VIRTIO_CONFIG_S_FAILED

static const struct virtio_device_id blk_any_vendor[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static struct fake_driver drv_a, drv_b, drv_c;

#define TESTS(X)                                                               \
	X(device_first_binds)                                                  \
	X(driver_first_binds)                                                  \
	X(scan_is_optional)                                                    \
	X(any_device_id_matches)                                               \
	X(any_vendor_matches)                                                  \
	X(vendor_mismatch_does_not_bind)                                       \
	X(device_mismatch_does_not_bind)                                       \
	X(table_ends_at_device_zero)                                           \
	X(later_table_entry_matches)                                           \
	X(first_registered_driver_binds)                                       \
	X(first_registered_driver_binds_driver_first)                          \
	X(failed_probe_lets_next_driver_try)                                   \
	X(failed_device_binds_to_later_driver)                                 \
	X(probe_failure_sets_failed)                                           \
	X(probe_failure_driver_first)                                          \
	X(index_lowest_free)                                                   \
	X(index_reused_by_same_struct)                                         \
	X(index_exhaustion)                                                    \
	X(remove_resets_then_acknowledges)                                     \
	X(remove_without_reset_registry_resets)                                \
	X(remove_device_ignores_reset)                                         \
	X(unregister_unbound_device)                                           \
	X(unregister_driver_unbinds_all)                                       \
	X(reregistered_driver_rebinds)                                         \
	X(probe_registers_child_device)
TESTS(HARNESS_DECLARE)

/* A device of type id/vendor, registered; CHECKs that it registered. */
static struct fake_dev *new_registered(u32 id, u32 vendor)
{
	struct fake_dev *fd = fake_dev_new(id, vendor);

	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fake_dev_registered(fd));
	return fd;
}

static void unregister_and_free(struct fake_dev *fd)
{
	unregister_virtio_device(&fd->vdev);
	CHECK(!fake_dev_registered(fd));
	fake_dev_free(fd);
}

static bool bound_to(struct fake_dev *fd, struct fake_driver *fdrv)
{
	return fd->vdev.dev.driver == &fdrv->drv.driver;
}

static void device_first_binds(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	/* No driver yet: reset, then acknowledged and left alone. */
	FAKE_CHECK_LOG(fd, 0, ACK);
	CHECK_EQ(1, fd->resets);
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);

	CHECK_EQ(0, fake_driver_register(&drv_a));
	CHECK(bound_to(fd, &drv_a));
	CHECK_EQ(1, drv_a.probes);
	CHECK_PTR_EQ(&fd->vdev, drv_a.last_dev);
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	CHECK_EQ(ACK | DRV, drv_a.status_at_probe);
	/* scan runs once, after DRIVER_OK, after probe returned. */
	CHECK_EQ(1, drv_a.scans);
	CHECK_EQ(ACK | DRV | DOK, drv_a.status_at_scan);
	CHECK(drv_a.scan_seq > drv_a.probe_return_seq);
	CHECK_EQ(ACK | DRV | DOK, fd->status);
	CHECK_EQ(0, fd->zero_status_writes);
	CHECK_EQ(0, drv_a.removes);

	unregister_and_free(fd);
	CHECK_EQ(1, drv_a.removes);
	CHECK_EQ(1, drv_a.probes);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void driver_first_binds(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	CHECK_EQ(0, drv_a.probes);

	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK(bound_to(fd, &drv_a));
	CHECK_EQ(1, drv_a.probes);
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	CHECK_EQ(1, fd->resets);
	CHECK_EQ(ACK | DRV, drv_a.status_at_probe);
	CHECK_EQ(1, drv_a.scans);
	CHECK_EQ(ACK | DRV | DOK, drv_a.status_at_scan);
	CHECK(drv_a.scan_seq > drv_a.probe_return_seq);
	/* Features were read and finalised once, before the probe. */
	CHECK_EQ(1, fd->get_features_calls);
	CHECK_EQ(1, fd->finalize_calls);
	CHECK_EQ(ACK | DRV, fd->status_at_finalize);
	CHECK_EQ(0, fd->zero_status_writes);

	unregister_and_free(fd);
	CHECK_EQ(1, drv_a.removes);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void scan_is_optional(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	drv_a.drv.scan = NULL;
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK(bound_to(fd, &drv_a));
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	CHECK_EQ(0, drv_a.scans);
	unregister_and_free(fd);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void any_device_id_matches(void)
{
	static const struct virtio_device_id any_device[] = {
		{ VIRTIO_DEV_ANY_ID, VENDOR_QUMRANET },
		{ 0, 0 },
	};
	struct fake_dev *rng, *blk, *other;

	fake_begin();
	fake_driver_init(&drv_a, "any-device", any_device);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	rng = new_registered(VIRTIO_ID_RNG, VENDOR_QUMRANET);
	blk = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	other = new_registered(VIRTIO_ID_BLOCK, VENDOR_OTHER);
	CHECK(bound_to(rng, &drv_a));
	CHECK(bound_to(blk, &drv_a));
	/* "any device" is not "any vendor". */
	CHECK_PTR_EQ(NULL, other->vdev.dev.driver);
	CHECK_EQ(2, drv_a.probes);
	unregister_and_free(rng);
	unregister_and_free(blk);
	unregister_and_free(other);
	CHECK_EQ(2, drv_a.removes);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void any_vendor_matches(void)
{
	struct fake_dev *q, *o, *net;

	fake_begin();
	fake_driver_init(&drv_a, "any-vendor", blk_any_vendor);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	q = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	o = new_registered(VIRTIO_ID_BLOCK, VENDOR_OTHER);
	net = new_registered(VIRTIO_ID_NET, VENDOR_QUMRANET);
	CHECK(bound_to(q, &drv_a));
	CHECK(bound_to(o, &drv_a));
	CHECK_PTR_EQ(NULL, net->vdev.dev.driver);
	CHECK_EQ(2, drv_a.probes);
	unregister_and_free(q);
	unregister_and_free(o);
	unregister_and_free(net);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void vendor_mismatch_does_not_bind(void)
{
	static const struct virtio_device_id blk_qumranet[] = {
		{ VIRTIO_ID_BLOCK, VENDOR_QUMRANET },
		{ 0, 0 },
	};
	struct fake_dev *fd, *good;

	fake_begin();
	fake_driver_init(&drv_a, "qumranet-only", blk_qumranet);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_OTHER);
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK_EQ(0, drv_a.probes);
	FAKE_CHECK_LOG(fd, 0, ACK);
	good = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK(bound_to(good, &drv_a));
	CHECK_EQ(1, drv_a.probes);
	unregister_and_free(fd);
	unregister_and_free(good);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void device_mismatch_does_not_bind(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "blk", blk_any_vendor);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_CONSOLE, VENDOR_QUMRANET);
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK_EQ(0, drv_a.probes);
	FAKE_CHECK_LOG(fd, 0, ACK);
	unregister_and_free(fd);
	CHECK_EQ(0, drv_a.removes);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void table_ends_at_device_zero(void)
{
	/* The entry after the terminator is never looked at, even though
	 * the terminator's vendor says "any". */
	static const struct virtio_device_id ids[] = {
		{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
		{ 0, VIRTIO_DEV_ANY_ID },
		{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
		{ 0, 0 },
	};
	struct fake_dev *blk, *net;

	fake_begin();
	fake_driver_init(&drv_a, "net", ids);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	blk = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	net = new_registered(VIRTIO_ID_NET, VENDOR_QUMRANET);
	CHECK_PTR_EQ(NULL, blk->vdev.dev.driver);
	CHECK(bound_to(net, &drv_a));
	CHECK_EQ(1, drv_a.probes);
	CHECK_PTR_EQ(&net->vdev, drv_a.last_dev);
	unregister_and_free(blk);
	unregister_and_free(net);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void later_table_entry_matches(void)
{
	static const struct virtio_device_id ids[] = {
		{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
		{ VIRTIO_ID_CONSOLE, VENDOR_OTHER },
		{ VIRTIO_ID_CONSOLE, VENDOR_QUMRANET },
		{ 0, 0 },
	};
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "console", ids);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_CONSOLE, VENDOR_QUMRANET);
	CHECK(bound_to(fd, &drv_a));
	unregister_and_free(fd);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void first_registered_driver_binds(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	fake_driver_init(&drv_b, "b", blk_any_vendor);
	/* b registered first: b wins although a's table is the same. */
	CHECK_EQ(0, fake_driver_register(&drv_b));
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK(bound_to(fd, &drv_b));
	CHECK_EQ(1, drv_b.probes);
	CHECK_EQ(0, drv_a.probes);
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	unregister_and_free(fd);
	CHECK_EQ(1, drv_b.removes);
	CHECK_EQ(0, drv_a.removes);
	fake_driver_unregister(&drv_a);
	fake_driver_unregister(&drv_b);
	fake_end();
}

static void first_registered_driver_binds_driver_first(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	fake_driver_init(&drv_b, "b", blk_any_vendor);
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	CHECK(bound_to(fd, &drv_a));
	/* A bound device is not offered to later drivers. */
	CHECK_EQ(0, fake_driver_register(&drv_b));
	CHECK(bound_to(fd, &drv_a));
	CHECK_EQ(1, drv_a.probes);
	CHECK_EQ(0, drv_b.probes);
	unregister_and_free(fd);
	fake_driver_unregister(&drv_a);
	fake_driver_unregister(&drv_b);
	fake_end();
}

static void failed_probe_lets_next_driver_try(void)
{
	static const struct virtio_device_id blk_qumranet[] = {
		{ VIRTIO_ID_BLOCK, VENDOR_QUMRANET },
		{ 0, 0 },
	};
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a-fails", blk_any_vendor);
	fake_driver_init(&drv_b, "b-ok", blk_qumranet);
	fake_driver_init(&drv_c, "c-never", blk_any_vendor);
	drv_a.probe_ret = -EIO;
	CHECK_EQ(0, fake_driver_register(&drv_a));
	CHECK_EQ(0, fake_driver_register(&drv_b));
	CHECK_EQ(0, fake_driver_register(&drv_c));
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK_EQ(1, drv_a.probes);
	CHECK_EQ(1, drv_b.probes);
	CHECK_EQ(0, drv_c.probes);
	CHECK(drv_b.probe_seq > drv_a.probe_return_seq);
	CHECK(bound_to(fd, &drv_b));
	CHECK_EQ(0, drv_a.scans);
	CHECK_EQ(1, drv_b.scans);
	CHECK(fd->status & DOK);
	CHECK(fd->status & DRV);
	/* a's failure was reported with FAILED before b was asked. */
	CHECK(fd->status_log_len >= 4);
	CHECK_EQ(ACK | DRV | FAILED, fd->status_log[3]);
	CHECK_EQ(0, fd->zero_status_writes);
	unregister_and_free(fd);
	CHECK_EQ(0, drv_a.removes);
	CHECK_EQ(1, drv_b.removes);
	fake_driver_unregister(&drv_a);
	fake_driver_unregister(&drv_b);
	fake_driver_unregister(&drv_c);
	fake_end();
}

static void failed_device_binds_to_later_driver(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a-fails", blk_any_vendor);
	fake_driver_init(&drv_b, "b-ok", blk_any_vendor);
	drv_a.probe_ret = -ENOMEM;
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK(fd->status & FAILED);
	/* The device stayed registered and unbound: a new driver gets it. */
	CHECK_EQ(0, fake_driver_register(&drv_b));
	CHECK(bound_to(fd, &drv_b));
	CHECK_EQ(1, drv_a.probes);
	CHECK_EQ(1, drv_b.probes);
	CHECK(fd->status & DOK);
	unregister_and_free(fd);
	fake_driver_unregister(&drv_a);
	fake_driver_unregister(&drv_b);
	fake_end();
}

static void probe_failure_sets_failed(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a-fails", blk_any_vendor);
	drv_a.probe_ret = -EIO;
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = fake_dev_new(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	/* Nothing bound, but the device is on the bus: success. */
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fake_dev_registered(fd));
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK_EQ(1, drv_a.probes);
	CHECK_EQ(0, drv_a.scans);
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | FAILED);
	CHECK_EQ(ACK | DRV | FAILED, fd->status);
	CHECK_EQ(0, strcmp("virtio0", dev_name(&fd->vdev.dev)));
	/* An unbound device has no driver to remove. */
	unregister_and_free(fd);
	CHECK_EQ(0, drv_a.removes);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void probe_failure_driver_first(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a-fails", blk_any_vendor);
	drv_a.probe_ret = -ENODEV;
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	/* driver_register reports success though the probe failed. */
	CHECK_EQ(0, fake_driver_register(&drv_a));
	CHECK_EQ(1, drv_a.probes);
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK(fake_dev_registered(fd));
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | FAILED);
	fake_driver_unregister(&drv_a);
	CHECK_EQ(0, drv_a.removes);
	CHECK(fake_dev_registered(fd));
	unregister_and_free(fd);
	fake_end();
}

static void index_lowest_free(void)
{
	struct fake_dev *d[5];
	unsigned int i;

	fake_begin();
	for (i = 0; i < 3; i++)
		d[i] = new_registered(VIRTIO_ID_RNG, VENDOR_QUMRANET);
	CHECK_EQ(0, strcmp("virtio0", dev_name(&d[0]->vdev.dev)));
	CHECK_EQ(0, strcmp("virtio1", dev_name(&d[1]->vdev.dev)));
	CHECK_EQ(0, strcmp("virtio2", dev_name(&d[2]->vdev.dev)));
	for (i = 0; i < 3; i++)
		CHECK_EQ(i, d[i]->vdev.index);

	unregister_and_free(d[1]);
	d[3] = new_registered(VIRTIO_ID_RNG, VENDOR_QUMRANET);
	CHECK_EQ(1, d[3]->vdev.index);
	CHECK_EQ(0, strcmp("virtio1", dev_name(&d[3]->vdev.dev)));
	d[4] = new_registered(VIRTIO_ID_RNG, VENDOR_QUMRANET);
	CHECK_EQ(3, d[4]->vdev.index);
	CHECK_EQ(0, strcmp("virtio3", dev_name(&d[4]->vdev.dev)));

	/* The lowest free, not the most recently freed. */
	unregister_and_free(d[2]);
	unregister_and_free(d[0]);
	d[0] = new_registered(VIRTIO_ID_RNG, VENDOR_QUMRANET);
	CHECK_EQ(0, d[0]->vdev.index);
	d[2] = new_registered(VIRTIO_ID_RNG, VENDOR_QUMRANET);
	CHECK_EQ(2, d[2]->vdev.index);

	for (i = 0; i < 5; i++)
		if (i != 1)
			unregister_and_free(d[i]);
	fake_end();
}

static void index_reused_by_same_struct(void)
{
	struct fake_dev *a, *b;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	a = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	b = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK_EQ(0, a->vdev.index);
	unregister_virtio_device(&a->vdev);
	CHECK_EQ(1, a->releases);
	CHECK(!fake_dev_registered(a));
	/* The same struct, registered again: index 0, bound, probed anew. */
	fake_dev_clear_log(a);
	CHECK_EQ(0, register_virtio_device(&a->vdev));
	CHECK_EQ(0, a->vdev.index);
	CHECK_EQ(0, strcmp("virtio0", dev_name(&a->vdev.dev)));
	CHECK(bound_to(a, &drv_a));
	CHECK_EQ(3, drv_a.probes);
	FAKE_CHECK_LOG(a, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	unregister_and_free(a);
	unregister_and_free(b);
	CHECK_EQ(3, drv_a.removes);
	fake_driver_unregister(&drv_a);
	fake_end();
}

/* The index space is finite: running out fails the registration cleanly
 * (status FAILED, not on the bus), and a freed index is usable again. */
static void index_exhaustion(void)
{
	enum { MAX_TRY = 8192 };
	static struct fake_dev *d[MAX_TRY];
	struct fake_dev *extra;
	unsigned int n = 0, i;
	int err = 0;

	fake_begin();
	while (n < MAX_TRY) {
		d[n] = fake_dev_new(VIRTIO_ID_RNG, VENDOR_QUMRANET);
		err = register_virtio_device(&d[n]->vdev);
		if (err)
			break;
		CHECK_EQ(n, d[n]->vdev.index);
		n++;
	}
	CHECK(n < MAX_TRY);
	CHECK(n >= 256); /* not absurdly small */
	CHECK(err < 0);
	extra = d[n];
	CHECK(!fake_dev_registered(extra));
	CHECK(extra->status & FAILED);

	/* Free index 17: the failed device now gets it. */
	unregister_and_free(d[17]);
	d[17] = NULL;
	fake_dev_clear_log(extra);
	extra->status = 0;
	CHECK_EQ(0, register_virtio_device(&extra->vdev));
	CHECK_EQ(17, extra->vdev.index);
	FAKE_CHECK_LOG(extra, 0, ACK);

	unregister_and_free(extra);
	for (i = 0; i < n; i++)
		if (d[i])
			unregister_and_free(d[i]);
	fake_end();
}

static void remove_resets_then_acknowledges(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	drv_a.vqs_in_probe = 2;
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK(bound_to(fd, &drv_a));
	CHECK_EQ(2, fd->nvqs);
	fake_dev_clear_log(fd);

	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(1, drv_a.removes);
	CHECK_EQ(ACK | DRV | DOK, drv_a.status_at_remove);
	/* The driver's reset, then ACKNOWLEDGE alone; no second reset. */
	FAKE_CHECK_LOG(fd, 0, ACK);
	CHECK_EQ(1, fd->resets);
	CHECK_EQ(ACK, fd->status);
	CHECK_EQ(0, fd->nvqs);
	CHECK(!fake_dev_registered(fd));
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK_EQ(1, fd->releases);
	CHECK_EQ(0, fd->zero_status_writes);
	fake_dev_free(fd);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void remove_without_reset_registry_resets(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "forgetful", blk_any_vendor);
	drv_a.no_reset_in_remove = true;
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	fake_dev_clear_log(fd);

	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(1, drv_a.removes);
	/* The registry did the reset the driver forgot, then ACK. */
	FAKE_CHECK_LOG(fd, 0, ACK);
	CHECK_EQ(1, fd->resets);
	CHECK_EQ(ACK, fd->status);
	CHECK_EQ(0, fd->zero_status_writes);
	fake_dev_free(fd);
	fake_driver_unregister(&drv_a);
	fake_end(); /* and no WARN: a driver bug, reported, not fatal */
}

/* Hostile: the status never goes back to 0. Neither the driver's reset
 * nor the registry's retry changes it; unregistering still completes and
 * frees the index, without a WARN (device misbehaviour is never one). */
static void remove_device_ignores_reset(void)
{
	struct fake_dev *fd, *next;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	fd->ignore_reset = true;
	fake_dev_clear_log(fd);

	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(1, drv_a.removes);
	CHECK(!fake_dev_registered(fd));
	CHECK(fd->resets >= 1 && fd->resets <= 2); /* bounded */
	CHECK_EQ(0, fd->zero_status_writes);
	next = new_registered(VIRTIO_ID_RNG, VENDOR_QUMRANET);
	CHECK_EQ(0, next->vdev.index);
	unregister_and_free(next);
	fake_dev_free(fd);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void unregister_unbound_device(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv_a, "a", blk_any_vendor);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	fd = new_registered(VIRTIO_ID_NET, VENDOR_QUMRANET);
	fake_dev_clear_log(fd);
	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(0, drv_a.removes);
	CHECK_EQ(1, fd->releases);
	CHECK(!fake_dev_registered(fd));
	fake_dev_free(fd);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static void unregister_driver_unbinds_all(void)
{
	static const struct virtio_device_id net_ids[] = {
		{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
		{ 0, 0 },
	};
	struct fake_dev *d[3], *net;
	unsigned int i;

	fake_begin();
	fake_driver_init(&drv_a, "blk", blk_any_vendor);
	fake_driver_init(&drv_b, "net", net_ids);
	drv_a.vqs_in_probe = 1;
	CHECK_EQ(0, fake_driver_register(&drv_a));
	CHECK_EQ(0, fake_driver_register(&drv_b));
	for (i = 0; i < 3; i++)
		d[i] = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	net = new_registered(VIRTIO_ID_NET, VENDOR_QUMRANET);
	CHECK_EQ(3, drv_a.probes);
	CHECK(bound_to(net, &drv_b));

	for (i = 0; i < 3; i++)
		fake_dev_clear_log(d[i]);
	fake_driver_unregister(&drv_a);
	CHECK_EQ(3, drv_a.removes);
	for (i = 0; i < 3; i++) {
		CHECK(fake_dev_registered(d[i]));
		CHECK_PTR_EQ(NULL, d[i]->vdev.dev.driver);
		FAKE_CHECK_LOG(d[i], 0, ACK);
		CHECK_EQ(ACK, d[i]->status);
		CHECK_EQ(0, d[i]->nvqs);
		CHECK_EQ(0, d[i]->releases);
		CHECK_EQ(i, d[i]->vdev.index);
	}
	/* The other driver's device is untouched. */
	CHECK(bound_to(net, &drv_b));
	CHECK_EQ(0, drv_b.removes);

	for (i = 0; i < 3; i++)
		unregister_and_free(d[i]);
	CHECK_EQ(3, drv_a.removes); /* not removed twice */
	unregister_and_free(net);
	fake_driver_unregister(&drv_b);
	fake_end();
}

static void reregistered_driver_rebinds(void)
{
	struct fake_dev *d[2];
	unsigned int i;

	fake_begin();
	fake_driver_init(&drv_a, "blk", blk_any_vendor);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	for (i = 0; i < 2; i++)
		d[i] = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	fake_driver_unregister(&drv_a);
	CHECK_EQ(2, drv_a.removes);
	for (i = 0; i < 2; i++)
		fake_dev_clear_log(d[i]);
	CHECK_EQ(0, fake_driver_register(&drv_a));
	CHECK_EQ(4, drv_a.probes);
	for (i = 0; i < 2; i++) {
		CHECK(bound_to(d[i], &drv_a));
		/* From ACKNOWLEDGE, without another reset first. */
		FAKE_CHECK_LOG(d[i], ACK | DRV, ACK | DRV | DOK);
	}
	for (i = 0; i < 2; i++)
		unregister_and_free(d[i]);
	fake_driver_unregister(&drv_a);
	fake_end();
}

static struct fake_dev *child;

static int register_child(struct fake_driver *fdrv, struct virtio_device *vdev)
{
	(void)fdrv;
	(void)vdev;
	child = fake_dev_new(VIRTIO_ID_CONSOLE, VENDOR_QUMRANET);
	return register_virtio_device(&child->vdev);
}

/* A probe may register another device (a bus behind a device): it gets
 * the next index and binds to its own driver at once. */
static void probe_registers_child_device(void)
{
	static const struct virtio_device_id console_ids[] = {
		{ VIRTIO_ID_CONSOLE, VIRTIO_DEV_ANY_ID },
		{ 0, 0 },
	};
	struct fake_dev *parent;

	fake_begin();
	child = NULL;
	fake_driver_init(&drv_a, "parent", blk_any_vendor);
	fake_driver_init(&drv_b, "child", console_ids);
	drv_a.on_probe = register_child;
	CHECK_EQ(0, fake_driver_register(&drv_a));
	CHECK_EQ(0, fake_driver_register(&drv_b));
	parent = new_registered(VIRTIO_ID_BLOCK, VENDOR_QUMRANET);
	CHECK(bound_to(parent, &drv_a));
	CHECK(child != NULL);
	CHECK(fake_dev_registered(child));
	CHECK(bound_to(child, &drv_b));
	CHECK_EQ(0, parent->vdev.index);
	CHECK_EQ(1, child->vdev.index);
	FAKE_CHECK_LOG(child, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	FAKE_CHECK_LOG(parent, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	unregister_and_free(child);
	unregister_and_free(parent);
	CHECK_EQ(1, drv_a.removes);
	CHECK_EQ(1, drv_b.removes);
	fake_driver_unregister(&drv_a);
	fake_driver_unregister(&drv_b);
	fake_end();
}

HARNESS_MAIN(TESTS)
