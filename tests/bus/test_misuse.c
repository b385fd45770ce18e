/*
 * test_misuse.c - callers that break the registry's rules: double
 * registration, unregistering what was never registered, incomplete
 * drivers. Each is refused with the documented error and WARN count, and
 * leaves everything that was registered working.
 */
#include "fake_transport.h"
#include "harness.h"

#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <string.h>

#define ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define DRV VIRTIO_CONFIG_S_DRIVER
#define DOK VIRTIO_CONFIG_S_DRIVER_OK

static const struct virtio_device_id blk_ids[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static struct fake_driver drv, other;

#define TESTS(X)                                                               \
	X(driver_registered_twice)                                             \
	X(driver_name_taken)                                                   \
	X(device_registered_twice)                                             \
	X(unregister_unknown_device)                                           \
	X(unregister_device_twice)                                             \
	X(unregister_unknown_driver)                                           \
	X(unregister_namesake_driver)                                          \
	X(unregister_driver_twice)                                             \
	X(driver_without_id_table)                                             \
	X(driver_without_probe)                                                \
	X(driver_features_without_table)                                       \
	X(driver_without_name)                                                 \
	X(null_arguments)                                                      \
	X(device_without_config_ops)
TESTS(HARNESS_DECLARE)

static struct fake_dev *new_registered(void)
{
	struct fake_dev *fd = fake_dev_new(VIRTIO_ID_BLOCK, 0x1af4);

	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	return fd;
}

static void unregister_and_free(struct fake_dev *fd)
{
	unregister_virtio_device(&fd->vdev);
	fake_dev_free(fd);
}

static bool bound_to(struct fake_dev *fd, struct fake_driver *fdrv)
{
	return fd->vdev.dev.driver == &fdrv->drv.driver;
}

static void driver_registered_twice(void)
{
	struct fake_dev *a, *b;
	unsigned int errors;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	a = new_registered();
	CHECK(bound_to(a, &drv));

	errors = fake_log_count(3);
	CHECK(register_virtio_driver(&drv.drv) < 0);
	/* Refused with an error message (as Linux's driver_register), not a
	 * WARN, and without probing anything again. */
	CHECK_EQ(errors + 1, fake_log_count(3));
	EXPECT_WARNS(0);
	CHECK_EQ(1, drv.probes);
	CHECK(bound_to(a, &drv));

	/* The first registration still works... */
	b = new_registered();
	CHECK(bound_to(b, &drv));
	CHECK_EQ(2, drv.probes);
	/* ...and is there once: one unregister unbinds everything, and a
	 * second finds nothing to unregister. */
	fake_driver_unregister(&drv);
	CHECK_EQ(2, drv.removes);
	CHECK_PTR_EQ(NULL, a->vdev.dev.driver);
	CHECK_PTR_EQ(NULL, b->vdev.dev.driver);
	unregister_virtio_driver(&drv.drv);
	EXPECT_WARNS(1);
	unregister_and_free(a);
	unregister_and_free(b);
	fake_end();
}

static void driver_name_taken(void)
{
	struct fake_dev *a, *b;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	fake_driver_init(&other, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK(fake_driver_register(&other) < 0);
	EXPECT_WARNS(0);
	CHECK(fake_log_count(3) >= 1);
	a = new_registered();
	CHECK(bound_to(a, &drv));
	CHECK_EQ(0, other.probes);
	/* The namesake is not on the bus: unregistering it is refused and
	 * leaves drv bound. */
	unregister_virtio_driver(&other.drv);
	EXPECT_WARNS(1);
	CHECK(bound_to(a, &drv));
	CHECK_EQ(0, drv.removes);
	b = new_registered();
	CHECK(bound_to(b, &drv));
	unregister_and_free(a);
	unregister_and_free(b);
	fake_driver_unregister(&drv);
	fake_end();
}

static void device_registered_twice(void)
{
	struct fake_dev *a, *b;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	a = new_registered();
	CHECK(bound_to(a, &drv));
	fake_dev_clear_log(a);

	CHECK_EQ(-EEXIST, register_virtio_device(&a->vdev));
	EXPECT_WARNS(1);
	/* The live device was not reset, re-acknowledged or re-probed, and
	 * kept its name and index. */
	FAKE_CHECK_LOG_EMPTY(a);
	CHECK_EQ(ACK | DRV | DOK, a->status);
	CHECK_EQ(1, drv.probes);
	CHECK_EQ(0, drv.removes);
	CHECK(bound_to(a, &drv));
	CHECK_EQ(0, a->vdev.index);
	CHECK_EQ(0, strcmp("virtio0", dev_name(&a->vdev.dev)));
	/* No index was taken by the refused registration. */
	b = new_registered();
	CHECK_EQ(1, b->vdev.index);

	/* One unregister removes it: it was on the bus once. */
	unregister_virtio_device(&a->vdev);
	CHECK(!fake_dev_registered(a));
	CHECK_EQ(1, drv.removes);
	fake_dev_free(a);
	a = new_registered();
	CHECK_EQ(0, a->vdev.index);
	unregister_and_free(a);
	unregister_and_free(b);
	fake_driver_unregister(&drv);
	fake_end();
}

static void unregister_unknown_device(void)
{
	struct fake_dev *a, *stranger, *b;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	a = new_registered();
	stranger = fake_dev_new(VIRTIO_ID_BLOCK, 0x1af4);

	unregister_virtio_device(&stranger->vdev);
	EXPECT_WARNS(1);
	/* Nothing changed: no callbacks, no status writes, no index. */
	FAKE_CHECK_LOG_EMPTY(stranger);
	CHECK_EQ(0, stranger->releases);
	CHECK_EQ(0, drv.removes);
	CHECK(bound_to(a, &drv));
	CHECK(fake_dev_registered(a));
	b = new_registered();
	CHECK_EQ(1, b->vdev.index);

	/* A stranger claiming a registered device's index frees nothing. */
	stranger->vdev.index = 0;
	unregister_virtio_device(&stranger->vdev);
	EXPECT_WARNS(1);
	fake_dev_free(stranger);
	stranger = new_registered();
	CHECK_EQ(2, stranger->vdev.index);

	unregister_and_free(stranger);
	unregister_and_free(a);
	unregister_and_free(b);
	fake_driver_unregister(&drv);
	fake_end();
}

static void unregister_device_twice(void)
{
	struct fake_dev *a, *b, *c;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	a = new_registered();
	b = new_registered();
	unregister_virtio_device(&a->vdev);
	CHECK_EQ(1, drv.removes);
	CHECK_EQ(1, a->releases);
	fake_dev_clear_log(a);
	unregister_virtio_device(&a->vdev);
	EXPECT_WARNS(1);
	CHECK_EQ(1, drv.removes);
	CHECK_EQ(1, a->releases);
	FAKE_CHECK_LOG_EMPTY(a);
	/* Index 0 was freed once, and b's index 1 stays taken. */
	c = new_registered();
	CHECK_EQ(0, c->vdev.index);
	fake_dev_free(a);
	a = new_registered();
	CHECK_EQ(2, a->vdev.index);
	CHECK(bound_to(b, &drv));
	unregister_and_free(a);
	unregister_and_free(b);
	unregister_and_free(c);
	fake_driver_unregister(&drv);
	fake_end();
}

static void unregister_unknown_driver(void)
{
	static const struct virtio_device_id any[] = {
		{ VIRTIO_DEV_ANY_ID, VIRTIO_DEV_ANY_ID },
		{ 0, 0 },
	};
	struct fake_dev *a, *b;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	fake_driver_init(&other, "stranger", any);
	CHECK_EQ(0, fake_driver_register(&drv));
	a = new_registered();

	unregister_virtio_driver(&other.drv);
	EXPECT_WARNS(1);
	CHECK(bound_to(a, &drv));
	CHECK_EQ(0, drv.removes);
	CHECK_EQ(0, other.removes);
	FAKE_CHECK_LOG(a, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	/* drv still binds new devices. */
	b = new_registered();
	CHECK(bound_to(b, &drv));
	unregister_and_free(a);
	unregister_and_free(b);
	fake_driver_unregister(&drv);
	fake_end();
}

/* A never-registered driver sharing a registered one's name is still a
 * stranger: registration is by identity. */
static void unregister_namesake_driver(void)
{
	struct fake_dev *a;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	fake_driver_init(&other, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	a = new_registered();
	unregister_virtio_driver(&other.drv);
	EXPECT_WARNS(1);
	CHECK(bound_to(a, &drv));
	CHECK_EQ(0, drv.removes);
	unregister_and_free(a);
	fake_driver_unregister(&drv);
	fake_end();
}

static void unregister_driver_twice(void)
{
	struct fake_dev *a;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	a = new_registered();
	fake_driver_unregister(&drv);
	CHECK_EQ(1, drv.removes);
	unregister_virtio_driver(&drv.drv);
	EXPECT_WARNS(1);
	CHECK_EQ(1, drv.removes);
	CHECK(fake_dev_registered(a));
	/* It can come back. */
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK(bound_to(a, &drv));
	unregister_and_free(a);
	fake_driver_unregister(&drv);
	fake_end();
}

/* A refused driver is not on the bus: a matching device stays unbound,
 * and unregistering it is the "unknown driver" WARN. */
static void check_refused(struct fake_driver *fdrv)
{
	struct fake_dev *a = new_registered();

	CHECK_PTR_EQ(NULL, a->vdev.dev.driver);
	CHECK_EQ(0, fdrv->probes);
	unregister_virtio_driver(&fdrv->drv);
	EXPECT_WARNS(1);
	unregister_and_free(a);
}

static void driver_without_id_table(void)
{
	fake_begin();
	fake_driver_init(&drv, "blk", NULL);
	CHECK_EQ(-EINVAL, fake_driver_register(&drv));
	EXPECT_WARNS(1);
	check_refused(&drv);
	fake_end();
}

static void driver_without_probe(void)
{
	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	drv.drv.probe = NULL;
	CHECK_EQ(-EINVAL, fake_driver_register(&drv));
	EXPECT_WARNS(1);
	check_refused(&drv);
	fake_end();
}

static void driver_features_without_table(void)
{
	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	fake_driver_set_features(&drv, NULL, 3);
	CHECK_EQ(-EINVAL, fake_driver_register(&drv));
	EXPECT_WARNS(1);
	check_refused(&drv);
	fake_end();
}

/* The driver core accepts drivers without a name (only names that exist
 * can clash): two of them register, and each works. */
static void driver_without_name(void)
{
	static const struct virtio_device_id net_ids[] = {
		{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
		{ 0, 0 },
	};
	struct fake_dev *blk, *net;

	fake_begin();
	fake_driver_init(&drv, NULL, blk_ids);
	fake_driver_init(&other, NULL, net_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK_EQ(0, fake_driver_register(&other));
	blk = new_registered();
	net = fake_dev_new(VIRTIO_ID_NET, 0x1af4);
	CHECK_EQ(0, register_virtio_device(&net->vdev));
	CHECK(bound_to(blk, &drv));
	CHECK(bound_to(net, &other));
	/* Registering one of them again is still refused. */
	CHECK(register_virtio_driver(&drv.drv) < 0);
	EXPECT_WARNS(0);
	unregister_and_free(blk);
	unregister_and_free(net);
	fake_driver_unregister(&drv);
	fake_driver_unregister(&other);
	fake_end();
}

static void null_arguments(void)
{
	fake_begin();
	CHECK_EQ(-EINVAL, register_virtio_driver(NULL));
	EXPECT_WARNS(1);
	unregister_virtio_driver(NULL);
	EXPECT_WARNS(1);
	CHECK_EQ(-EINVAL, register_virtio_device(NULL));
	EXPECT_WARNS(1);
	unregister_virtio_device(NULL);
	EXPECT_WARNS(1);
	fake_end();
}

static void device_without_config_ops(void)
{
	struct fake_dev *fd, *next;

	fake_begin();
	fd = fake_dev_new(VIRTIO_ID_BLOCK, 0x1af4);
	fd->vdev.config = NULL;
	CHECK_EQ(-EINVAL, register_virtio_device(&fd->vdev));
	EXPECT_WARNS(1);
	CHECK(!fake_dev_registered(fd));
	fake_dev_free(fd);
	/* No index was taken. */
	next = new_registered();
	CHECK_EQ(0, next->vdev.index);
	unregister_and_free(next);
	fake_end();
}

HARNESS_MAIN(TESTS)
