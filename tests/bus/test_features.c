/*
 * test_features.c - feature negotiation and the 1.x FEATURES_OK step
 * (ring/virtio.c note 2, Linux 3.7.1's bus registry), and the config
 * helpers that depend on a negotiated feature.
 */
#include "fake_transport.h"
#include "harness.h"

#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <string.h>

#define ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define DRV VIRTIO_CONFIG_S_DRIVER
#define DOK VIRTIO_CONFIG_S_DRIVER_OK
#define FOK VIRTIO_CONFIG_S_FEATURES_OK
#define FAILED VIRTIO_CONFIG_S_FAILED

#define B(n) (1ULL << (n))
/* Bits 28..37: the transport range. */
#define TRANSPORT_BITS (((1ULL << 38) - 1) & ~((1ULL << 28) - 1))
/* What the registry keeps of it on a legacy transport without a table
 * entry: the bits the ring implements (VERSION_1 needs a modern one). */
#define RING_BITS (B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_RING_F_EVENT_IDX))

static const struct virtio_device_id blk_ids[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static struct fake_driver drv;

#define TESTS(X)                                                               \
	X(only_table_and_transport_bits)                                       \
	X(bits_outside_table_never_negotiated)                                 \
	X(high_table_bits_negotiated)                                          \
	X(empty_table_keeps_ring_bits)                                         \
	X(nothing_offered_nothing_negotiated)                                  \
	X(features_finalised_before_probe)                                     \
	X(renegotiated_per_probe)                                              \
	X(has_feature_true_and_false)                                          \
	X(has_feature_unlisted_bit_warns_once)                                 \
	X(has_feature_out_of_range_warns)                                      \
	X(table_bit_out_of_range_warns)                                        \
	X(legacy_never_sees_features_ok)                                       \
	X(version1_sets_features_ok_after_finalize)                            \
	X(version1_refused_fails_probe)                                        \
	X(version1_refused_driver_first)                                       \
	X(version1_survives_transport_filter)                                  \
	X(config_val_without_feature)                                          \
	X(config_val_and_buf_with_feature)
TESTS(HARNESS_DECLARE)

/* Registers drv (with table) and a block device offering features; the
 * device binds. The fake transport is legacy unless a test says otherwise. */
static struct fake_dev *bind_with(const unsigned int *table, unsigned int n,
				  u64 offered)
{
	struct fake_dev *fd;

	fake_driver_init(&drv, "blk", blk_ids);
	fake_driver_set_features(&drv, table, n);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = fake_dev_new(VIRTIO_ID_BLOCK, 0x1af4);
	fd->features = offered;
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	return fd;
}

/* The same on a modern transport. */
static struct fake_dev *bind_modern_with(const unsigned int *table,
					 unsigned int n, u64 offered)
{
	struct fake_dev *fd;

	fake_driver_init(&drv, "blk", blk_ids);
	fake_driver_set_features(&drv, table, n);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = fake_dev_new(VIRTIO_ID_BLOCK, 0x1af4);
	fd->ops.modern = true;
	fd->features = offered;
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	return fd;
}

static void unbind_all(struct fake_dev *fd)
{
	unregister_virtio_device(&fd->vdev);
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
}

static void check_features(u64 expected, struct fake_dev *fd)
{
	CHECK_EQ(expected, fake_features(&fd->vdev));
	CHECK_EQ(expected, fd->finalized);
	CHECK_EQ(expected, drv.features_at_probe);
}

static void only_table_and_transport_bits(void)
{
	static const unsigned int table[] = { 0, 5, 40 };
	struct fake_dev *fd;

	fake_begin();
	/* Hostile: offers every bit, including ones no device type has. */
	fd = bind_with(table, 3, ~0ULL);
	check_features(B(0) | B(5) | B(40) | RING_BITS, fd);
	unbind_all(fd);
	fake_end();
}

static void bits_outside_table_never_negotiated(void)
{
	static const unsigned int table[] = { 1, 7 };
	struct fake_dev *fd;

	fake_begin();
	/* 24 and 27 (NOTIFY_ON_EMPTY, ANY_LAYOUT) are below the transport
	 * range here: without a table entry they are not kept. */
	fd = bind_with(table, 2,
		       B(1) | B(2) | B(3) | B(23) | B(24) | B(27) | B(38) |
			       B(50) | B(63));
	check_features(B(1), fd);
	unbind_all(fd);
	fake_end();
}

static void high_table_bits_negotiated(void)
{
	static const unsigned int table[] = { 33, 40, 63, 45 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(table, 4, B(33) | B(40) | B(63) | B(62));
	check_features(B(33) | B(40) | B(63), fd);
	CHECK(virtio_has_feature(&fd->vdev, 33));
	CHECK(virtio_has_feature(&fd->vdev, 40));
	CHECK(virtio_has_feature(&fd->vdev, 63));
	CHECK(!virtio_has_feature(&fd->vdev, 45)); /* listed, not offered */
	CHECK(!virtio_has_feature(&fd->vdev, 62)); /* offered, not listed */
	unbind_all(fd);
	fake_end();
}

static void empty_table_keeps_ring_bits(void)
{
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(NULL, 0, B(27) | TRANSPORT_BITS | B(38) | B(3));
	check_features(RING_BITS, fd);
	CHECK(virtio_has_feature(&fd->vdev, VIRTIO_RING_F_INDIRECT_DESC));
	CHECK(virtio_has_feature(&fd->vdev, VIRTIO_RING_F_EVENT_IDX));
	CHECK(!virtio_has_feature(&fd->vdev, 37)); /* no transport filters */
	CHECK(!virtio_has_feature(&fd->vdev, 38));
	unbind_all(fd);
	fake_end();
}

static void nothing_offered_nothing_negotiated(void)
{
	static const unsigned int table[] = { 0, 1, 2, 40 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(table, 4, 0);
	check_features(0, fd);
	CHECK(!virtio_has_feature(&fd->vdev, 0));
	CHECK(!virtio_has_feature(&fd->vdev, 40));
	CHECK(!virtio_has_feature(&fd->vdev, VIRTIO_F_VERSION_1));
	unbind_all(fd);
	fake_end();
}

static void features_finalised_before_probe(void)
{
	static const unsigned int table[] = { 4 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(table, 1, B(4) | B(9));
	CHECK_EQ(1, fd->get_features_calls);
	CHECK_EQ(1, fd->finalize_calls);
	/* Finalised with DRIVER set, before the probe saw the result. */
	CHECK_EQ(ACK | DRV, fd->status_at_finalize);
	CHECK_EQ(B(4), drv.features_at_probe);
	unbind_all(fd);
	fake_end();
}

/* Stale bits of an earlier negotiation do not survive into the next. */
static void renegotiated_per_probe(void)
{
	static const unsigned int table[] = { 4, 6 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(table, 2, B(4) | B(6) | B(29));
	check_features(B(4) | B(6) | B(29), fd);
	fake_driver_unregister(&drv);
	fd->features = B(6);
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK_EQ(2, drv.probes);
	check_features(B(6), fd);
	CHECK_EQ(2, fd->get_features_calls);
	unbind_all(fd);
	fake_end();
}

static void has_feature_true_and_false(void)
{
	static const unsigned int table[] = { 0, 2, 3 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(table, 3, B(0) | B(3) | B(29));
	CHECK(virtio_has_feature(&fd->vdev, 0));
	CHECK(!virtio_has_feature(&fd->vdev, 2));
	CHECK(virtio_has_feature(&fd->vdev, 3));
	CHECK(virtio_has_feature(&fd->vdev, VIRTIO_RING_F_EVENT_IDX));
	CHECK(!virtio_has_feature(&fd->vdev, VIRTIO_RING_F_INDIRECT_DESC));
	unbind_all(fd);
	fake_end(); /* no WARN: every device bit asked for is listed */
}

static void has_feature_unlisted_bit_warns_once(void)
{
	static const unsigned int table[] = { 1 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(table, 1, B(1) | B(3));
	/* 3 is offered but the driver never listed it: a driver bug,
	 * reported once per question, and the answer is still "no". */
	CHECK(!virtio_has_feature(&fd->vdev, 3));
	EXPECT_WARNS(1);
	CHECK(virtio_has_feature(&fd->vdev, 1));
	EXPECT_WARNS(0);
	unbind_all(fd);
	fake_end();
}

static void has_feature_out_of_range_warns(void)
{
	static const unsigned int table[] = { 1 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(table, 1, ~0ULL);
	CHECK(!virtio_has_feature(&fd->vdev, VIRTIO_FEATURES_MAX));
	EXPECT_WARNS(1);
	CHECK(!virtio_has_feature(&fd->vdev, 200));
	EXPECT_WARNS(1);
	unbind_all(fd);
	fake_end();
}

static void table_bit_out_of_range_warns(void)
{
	static const unsigned int table[] = { 64, 1, 1000 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_with(table, 3, ~0ULL);
	EXPECT_WARNS(2); /* each impossible entry once, then skipped */
	check_features(B(1) | RING_BITS, fd);
	unbind_all(fd);
	fake_end();
}

static void legacy_never_sees_features_ok(void)
{
	static const unsigned int table[] = { 0, 1 };
	struct fake_dev *fd;
	unsigned int i;

	fake_begin();
	fd = bind_with(table, 2, B(0) | B(1) | B(28) | B(29) | B(33));
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | DOK);
	for (i = 0; i < fd->status_log_len; i++)
		CHECK(!(fd->status_log[i] & FOK));
	CHECK_EQ(ACK | DRV, drv.status_at_probe);
	unbind_all(fd);
	fake_end();
}

static void version1_sets_features_ok_after_finalize(void)
{
	static const unsigned int table[] = { 0 };
	struct fake_dev *fd;

	fake_begin();
	fd = bind_modern_with(table, 1, B(0) | B(VIRTIO_F_VERSION_1));
	CHECK(virtio_has_feature(&fd->vdev, VIRTIO_F_VERSION_1));
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | FOK,
		       ACK | DRV | FOK | DOK);
	/* finalize_features ran before FEATURES_OK, the probe after. */
	CHECK_EQ(ACK | DRV, fd->status_at_finalize);
	CHECK_EQ(ACK | DRV | FOK, drv.status_at_probe);
	CHECK_EQ(1, drv.probes);
	check_features(B(0) | B(VIRTIO_F_VERSION_1), fd);
	unbind_all(fd);
	fake_end();
}

static void version1_refused_fails_probe(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = fake_dev_new(VIRTIO_ID_BLOCK, 0x1af4);
	fd->ops.modern = true;
	fd->features = B(VIRTIO_F_VERSION_1);
	fd->refuse_features_ok = true;
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fake_dev_registered(fd));
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	CHECK_EQ(0, drv.probes); /* the driver never saw the device */
	CHECK_EQ(0, drv.scans);
	/* FEATURES_OK was asked for, read back without it: FAILED. */
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | FOK,
		       ACK | DRV | FAILED);
	CHECK(fd->status & FAILED);
	CHECK(!(fd->status & DOK));
	unregister_virtio_device(&fd->vdev);
	CHECK_EQ(0, drv.removes);
	fake_dev_free(fd);
	fake_driver_unregister(&drv);
	fake_end();
}

static void version1_refused_driver_first(void)
{
	struct fake_dev *fd;

	fake_begin();
	fd = fake_dev_new(VIRTIO_ID_BLOCK, 0x1af4);
	fd->ops.modern = true;
	fd->features = B(VIRTIO_F_VERSION_1) | B(3);
	fd->refuse_features_ok = true;
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	fake_driver_init(&drv, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK_EQ(0, drv.probes);
	CHECK_PTR_EQ(NULL, fd->vdev.dev.driver);
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | FOK,
		       ACK | DRV | FAILED);
	/* Once the device accepts, a later driver binds it. */
	fake_driver_unregister(&drv);
	fd->refuse_features_ok = false;
	CHECK_EQ(0, fake_driver_register(&drv));
	CHECK_EQ(1, drv.probes);
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	CHECK(fd->status & DOK);
	CHECK(fd->status & FOK);
	unbind_all(fd);
	fake_end();
}

/* A transport that filters the transport range (vring_transport_features)
 * keeps VERSION_1, so the FEATURES_OK step still happens. */
static void version1_survives_transport_filter(void)
{
	struct fake_dev *fd;

	fake_begin();
	fake_driver_init(&drv, "blk", blk_ids);
	CHECK_EQ(0, fake_driver_register(&drv));
	fd = fake_dev_new(VIRTIO_ID_BLOCK, 0x1af4);
	fd->ops.modern = true;
	fd->features = TRANSPORT_BITS;
	fd->filter_transport = true;
	CHECK_EQ(0, register_virtio_device(&fd->vdev));
	CHECK(fd->vdev.dev.driver == &drv.drv.driver);
	CHECK_EQ(B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_RING_F_EVENT_IDX) |
			 B(VIRTIO_F_VERSION_1),
		 fake_features(&fd->vdev));
	FAKE_CHECK_LOG(fd, 0, ACK, ACK | DRV, ACK | DRV | FOK,
		       ACK | DRV | FOK | DOK);
	unbind_all(fd);
	fake_end();
}

#define F_SIZE 2     /* a config field that exists only with feature 2 */
#define F_SIZE_OFF 8 /* u32 at offset 8 */
#define F_NAME 5     /* six bytes at offset 20 with feature 5 */
#define F_NAME_OFF 20

static void fill_config(struct fake_dev *fd)
{
	u32 size = 0xdeadbeef;

	memcpy(fd->config + F_SIZE_OFF, &size, sizeof(size));
	memcpy(fd->config + F_NAME_OFF, "ringsd", 6);
}

static void config_val_without_feature(void)
{
	static const unsigned int table[] = { F_SIZE, F_NAME };
	struct fake_dev *fd;
	u32 size = 7;
	char name[6] = "xxxxx";

	fake_begin();
	fd = bind_with(table, 2, B(1)); /* neither offered */
	fill_config(fd);
	CHECK_EQ(-ENOENT,
		 virtio_config_val(&fd->vdev, F_SIZE, F_SIZE_OFF, &size));
	CHECK_EQ(7, size); /* untouched */
	CHECK_EQ(-ENOENT, virtio_config_buf(&fd->vdev, F_NAME, F_NAME_OFF, name,
					    sizeof(name)));
	CHECK_EQ(0, memcmp(name, "xxxxx", 6));
	CHECK_EQ(0, fd->config_gets); /* the device was not even asked */
	unbind_all(fd);
	fake_end();
}

static void config_val_and_buf_with_feature(void)
{
	static const unsigned int table[] = { F_SIZE, F_NAME };
	struct fake_dev *fd;
	u32 size = 7;
	char name[6] = "xxxxx";

	fake_begin();
	fd = bind_with(table, 2, B(F_SIZE) | B(F_NAME));
	fill_config(fd);
	CHECK_EQ(0, virtio_config_val(&fd->vdev, F_SIZE, F_SIZE_OFF, &size));
	CHECK_EQ(0xdeadbeef, size);
	CHECK_EQ(0, virtio_config_buf(&fd->vdev, F_NAME, F_NAME_OFF, name,
				      sizeof(name)));
	CHECK_EQ(0, memcmp(name, "ringsd", 6));
	CHECK_EQ(2, fd->config_gets);
	CHECK_EQ(0, fd->config_oob);
	unbind_all(fd);
	fake_end();
}

HARNESS_MAIN(TESTS)
