/*
 * fuzz_bus.c - target "bus": the virtio registry (ring/virtio.c and the
 * driver core under it) with devices and drivers coming and going in any
 * order, against devices whose every answer comes from the input.
 *
 * What it does. Up to BUS_DEVS devices on the simulated transport
 * (model/sim_transport.h) and BUS_DRVS drivers are registered and
 * unregistered in the order the input says (fuzz_ops.h, enum bus_op).
 * Each device model is described by the input: device and vendor id,
 * offered features, legacy or 1.x, whether it refuses the driver's
 * features, queue sizes (hostile ones included), and whether its status
 * read-back lies; its config space reads are drawn from the input while
 * the run goes on, and one kind keeps moving its config generation. Each
 * driver is described by the input too: an id table, a feature table, and
 * a probe that may find 0..3 queues, read config, test its features, and
 * then fail or succeed; its remove may forget to reset the device. Config
 * changes, queue interrupts and broken devices come in between, and so
 * does documented misuse (which must be refused with exactly one WARN).
 * At the end everything is unregistered.
 *
 * Input layout: a sequence of operations, one byte (mod BUS_OP_COUNT)
 * and its arguments (bus_op_* functions); every read is 0 once the input
 * runs out.
 *
 * What makes it abort (fuzz_common.h note 2), by oracle name:
 *   features    a feature outside the driver's table (and the transport
 *               bits the ring knows) was negotiated, or one the device
 *               did not offer
 *   status      for a device whose read-back is honest: DRIVER_OK
 *               written without a successful probe, the status after a
 *               failed probe without FAILED, a probe of a 1.x device
 *               without FEATURES_OK, or a device left unreset after its
 *               driver went
 *   register    a registration failed (or succeeded) against the rules
 *   warn, misuse  a WARN or BUG that no misuse announced, or announced
 *               misuse that was not refused
 *   leak        arena blocks (queues) live once everything is
 *               unregistered
 */
#include "fuzz_common.h"
#include "fuzz_ops.h"

#include <sim_transport.h>

#include <linux/device.h>
#include <linux/errno.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>

#include <stdio.h>
#include <string.h>

#define BUS_DEVS 3
#define BUS_DRVS 3
#define BUS_QUEUES 3	 /* a probe finds at most this many queues */
#define BUS_TABLE_MAX 6	 /* feature table entries of a driver */
#define BUS_OPS_MAX 1024 /* operations of one input, at most */

const char fuzz_target_name[] = "bus";

enum bus_status_lie {
	LIE_NONE = 0, /* honest read-back */
	LIE_OR,	      /* stored | mask */
	LIE_XOR,      /* stored ^ mask */
	LIE_DRAWN,    /* a byte of the input, at every read */
	LIE_COUNT
};

struct bus_dev {
	struct simt_transport t;
	struct ringside_dm_ops ops;
	bool registered;
	u8 lie, lie_mask;
	bool refuse_features;
	bool generation_storm; /* every config read moves the generation */
	u16 queue_size[SIMT_MAX_QUEUES];
	bool probe_ok;	   /* a probe of the bound driver succeeded */
	bool fail_pending; /* our probe failed: FAILED must be written next */
};

struct bus_drv {
	struct virtio_driver drv;
	struct virtio_device_id ids[3];
	unsigned int table[BUS_TABLE_MAX];
	char name[16];
	bool registered;
	/* bits 0-1 result, 2-3 queues, 4 config, 5 features, 6 scan, 7
	 * -ENXIO for -ENODEV */
	u8 probe;
	bool no_reset;
	unsigned int scans;
};

struct bus_ctx {
	struct fuzz_input in;
	struct bus_dev dev[BUS_DEVS];
	struct bus_drv drv[BUS_DRVS];
};

static struct bus_ctx bus;

static struct bus_dev *bus_dev_of(struct virtio_device *vdev)
{
	return container_of(simt_of(vdev), struct bus_dev, t);
}

static struct bus_drv *bus_drv_of(struct virtio_device *vdev)
{
	return container_of(drv_to_virtio(vdev->dev.driver), struct bus_drv,
			    drv);
}

/* --- the device model: answers from the input ---------------------------- */

static bool bus_accept_features(void *ctx, u64 features)
{
	struct bus_dev *d = ctx;

	(void)features;
	return !d->refuse_features;
}

static void bus_config_read(void *ctx, unsigned int offset, void *buf,
			    unsigned int len)
{
	struct bus_dev *d = ctx;
	u8 *p = buf;
	unsigned int i;

	(void)offset;
	for (i = 0; i < len; i++)
		p[i] = fuzz_u8(&bus.in);
	if (d->generation_storm)
		simt_config_change(&d->t);
}

static u16 bus_queue_size(void *ctx, unsigned int index)
{
	struct bus_dev *d = ctx;

	return index < SIMT_MAX_QUEUES ? d->queue_size[index] : 0;
}

/* Note: the status oracles only hold for an honest read-back; a device
 * that lies about its status gets back what it said (virtio.c note 3). */
static void bus_status_written(void *ctx, u8 status)
{
	struct bus_dev *d = ctx;

	if (d->lie != LIE_NONE)
		return;
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !d->probe_ok)
		fuzz_finding("status", "DRIVER_OK (%#x) without a probe",
			     status);
	if (d->fail_pending && !(status & VIRTIO_CONFIG_S_FAILED))
		fuzz_finding("status", "status %#x after a failed probe",
			     status);
	d->fail_pending = false;
}

static u8 bus_status_read(void *ctx, u8 stored)
{
	struct bus_dev *d = ctx;

	switch (d->lie) {
	case LIE_OR:
		return stored | d->lie_mask;
	case LIE_XOR:
		return stored ^ d->lie_mask;
	case LIE_DRAWN:
		return fuzz_u8(&bus.in);
	default:
		return stored;
	}
}

/* Queue sizes a device may answer: valid, zero (no queue) and hostile. */
static const u16 bus_sizes[16] = { 0,	1,	2,	4,     8, 16,
				   64,	256,	1024,	32768, 3, 6,
				   100, 0x8001, 0xffff, 0x4000 };
static const u32 bus_device_ids[4] = { VIRTIO_ID_NET, VIRTIO_ID_BLOCK,
				       VIRTIO_ID_CONSOLE, VIRTIO_ID_RNG };

static u32 bus_pick_id(struct fuzz_input *in)
{
	u8 v = fuzz_u8(in);

	return v < 0xf0 ? bus_device_ids[v % 4] : v & 0x0f;
}

/* Args: mode and lie byte, ids, features (8 bytes), sizes (3 bytes). */
static void bus_describe_device(struct bus_dev *d, struct fuzz_input *in)
{
	u8 mode = fuzz_u8(in);
	unsigned int q;

	memset(&d->ops, 0, sizeof(d->ops));
	d->lie = (mode >> 1) % LIE_COUNT;
	d->lie_mask = fuzz_u8(in);
	d->refuse_features = (mode & 0x10) != 0;
	d->generation_storm = (mode & 0xe0) == 0xe0;
	d->ops.device_id = bus_pick_id(in);
	d->ops.vendor_id = fuzz_u8(in) & 3;
	d->ops.features = fuzz_u64(in);
	d->ops.config_size = fuzz_below(in, 65);
	d->ops.accept_features = bus_accept_features;
	d->ops.config_read = bus_config_read;
	d->ops.queue_size = bus_queue_size;
	d->ops.status_written = bus_status_written;
	d->ops.status_read = d->lie ? bus_status_read : NULL;
	memset(d->queue_size, 0, sizeof(d->queue_size));
	for (q = 0; q < BUS_QUEUES; q++)
		d->queue_size[q] = bus_sizes[fuzz_u8(in) % 16];
	d->probe_ok = false;
	d->fail_pending = false;
}

/* Args: slot, description. */
static void bus_op_dev_register(struct fuzz_input *in)
{
	struct bus_dev *d = &bus.dev[fuzz_below(in, BUS_DEVS)];
	bool legacy;
	int err;

	if (d->registered)
		return;
	bus_describe_device(d, in);
	legacy = fuzz_bool(in);
	if (simt_init(&d->t, &d->ops, d, legacy ? SIMT_LEGACY : SIMT_MODERN))
		fuzz_finding("setup", "simt_init refused a device");
	d->registered = true;
	err = register_virtio_device(&d->t.vdev);
	if (err)
		fuzz_finding("register", "register_virtio_device: %d", err);
}

/* After its driver went (virtio.c, virtio_dev_remove) the device was
 * reset and acknowledged again, and its queues are gone. */
static void bus_check_released(struct bus_dev *d)
{
	d->probe_ok = false; /* also when the driver had no remove */
	if (d->t.nvqs)
		fuzz_finding("leak", "%u queues left after the driver went",
			     d->t.nvqs);
	if (d->lie == LIE_NONE && d->t.status != VIRTIO_CONFIG_S_ACKNOWLEDGE)
		fuzz_finding("status", "status %#x after the driver went",
			     d->t.status);
}

static void bus_dev_unregister(struct bus_dev *d)
{
	bool bound = d->t.vdev.dev.driver != NULL;

	if (!d->registered)
		return;
	unregister_virtio_device(&d->t.vdev);
	if (bound)
		bus_check_released(d);
	simt_destroy(&d->t);
	d->registered = false;
}

/* --- the drivers ---------------------------------------------------------- */

static u64 bus_table_bits(const struct bus_drv *r)
{
	u64 bits = 0;
	unsigned int i;

	for (i = 0; i < r->drv.feature_table_size; i++)
		bits |= 1ull << r->table[i];
	return bits;
}

static u64 bus_vdev_features(const struct virtio_device *vdev)
{
	u64 f = 0;
	unsigned int i;

	for (i = 0; i < VIRTIO_FEATURES_MAX; i++)
		if (test_bit(i, vdev->features))
			f |= 1ull << i;
	return f;
}

/* The features of a probe: offered by the device, in the driver's table
 * or a transport feature the ring implements. */
static void bus_check_features(struct bus_dev *d, struct bus_drv *r)
{
	u64 f = bus_vdev_features(&d->t.vdev);
	u64 allowed = bus_table_bits(r) |
		      (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
		      (1ull << VIRTIO_RING_F_EVENT_IDX) |
		      (1ull << VIRTIO_F_VERSION_1);
	u64 offered = simt_offered_features(&d->t);

	if (f & ~allowed)
		fuzz_finding("features", "negotiated %#llx outside %#llx",
			     (unsigned long long)f,
			     (unsigned long long)allowed);
	if (f & ~offered)
		fuzz_finding("features", "negotiated %#llx, offered %#llx",
			     (unsigned long long)f,
			     (unsigned long long)offered);
	if (d->lie == LIE_NONE && (f >> VIRTIO_F_VERSION_1 & 1) &&
	    !(d->t.status & VIRTIO_CONFIG_S_FEATURES_OK))
		fuzz_finding("status", "1.x probe without FEATURES_OK (%#x)",
			     d->t.status);
}

static void bus_vq_callback(struct virtqueue *vq)
{
	unsigned int len;

	/* Nothing was added: whatever the device says, nothing comes back. */
	if (virtqueue_get_buf(vq, &len))
		fuzz_finding("token-returned-twice", "a buffer never added");
}

static int bus_find_vqs(struct virtio_device *vdev, unsigned int n)
{
	static const char *const names[BUS_QUEUES] = { "q0", "q1", "q2" };
	vq_callback_t *callbacks[BUS_QUEUES] = { bus_vq_callback, NULL,
						 bus_vq_callback };
	struct virtqueue *vqs[BUS_QUEUES];

	return vdev->config->find_vqs(vdev, n, vqs, callbacks,
				      (const char **)names);
}

static void bus_read_config(struct virtio_device *vdev)
{
	u8 bytes[5];

	(void)virtio_cread8(vdev, 0);
	(void)virtio_cread16(vdev, 2);
	(void)virtio_cread32(vdev, 4);
	(void)virtio_cread64(vdev, 8);
	virtio_cread_bytes(vdev, 60, bytes, sizeof(bytes));
	virtio_cwrite8(vdev, 1, 0x5a);
	virtio_cwrite16(vdev, 2, 0x5a5a);
	virtio_cwrite32(vdev, 4, 0x5a5a5a5a);
}

static int bus_probe(struct virtio_device *vdev)
{
	static const int results[4] = { 0, -ENODEV, -ENOMEM, -EINVAL };
	static const int results_nxio[4] = { 0, -ENXIO, -ENOMEM, -EINVAL };
	struct bus_dev *d = bus_dev_of(vdev);
	struct bus_drv *r = bus_drv_of(vdev);
	unsigned int i, nvqs = (r->probe >> 2) & 3;
	int err = 0;

	bus_check_features(d, r);
	if (nvqs)
		err = bus_find_vqs(vdev, nvqs);
	if (r->probe & 0x10)
		bus_read_config(vdev);
	if (r->probe & 0x20)
		for (i = 0; i < r->drv.feature_table_size; i++)
			(void)virtio_has_feature(vdev, r->table[i]);
	(void)virtio_bus_name(vdev);
	if (!err)
		err = (r->probe & 0x80 ? results_nxio : results)[r->probe & 3];
	if (err) {
		if (d->t.nvqs)
			vdev->config->del_vqs(vdev);
		d->fail_pending = true;
		return err;
	}
	d->probe_ok = true;
	return 0;
}

static void bus_remove(struct virtio_device *vdev)
{
	struct bus_dev *d = bus_dev_of(vdev);
	struct bus_drv *r = bus_drv_of(vdev);

	d->probe_ok = false;
	if (!r->no_reset)
		vdev->config->reset(vdev);
	if (d->t.nvqs)
		vdev->config->del_vqs(vdev);
}

/* Called after a successful probe only (virtio.h). */
static void bus_scan(struct virtio_device *vdev)
{
	if (!bus_dev_of(vdev)->probe_ok)
		fuzz_finding("status", "scan before the probe succeeded");
	bus_drv_of(vdev)->scans++;
}

static void bus_config_changed(struct virtio_device *vdev)
{
	if (!bus_dev_of(vdev)->probe_ok)
		fuzz_finding("status", "config_changed before the probe ended");
	(void)virtio_cread32(vdev, 0);
}

/* Args: slot, flags (bit 0: the name of slot 0, bit 1: remove forgets
 * the reset, bits 2-4: table size, bit 5: no config_changed, bit 6: no
 * remove when its probe finds no queues, so the core resets), probe byte,
 * two ids, the table. */
static void bus_describe_driver(struct bus_drv *r, unsigned int slot,
				struct fuzz_input *in)
{
	u8 flags = fuzz_u8(in);
	unsigned int i;

	memset(&r->drv, 0, sizeof(r->drv));
	snprintf(r->name, sizeof(r->name), "fuzz-drv%u",
		 (flags & 1) ? 0 : slot);
	r->no_reset = (flags & 2) != 0;
	r->probe = fuzz_u8(in);
	memset(r->ids, 0, sizeof(r->ids));
	for (i = 0; i < 2; i++) {
		u8 v = fuzz_u8(in);

		r->ids[i].device =
			v == 0xff ? VIRTIO_DEV_ANY_ID : bus_pick_id(in);
		r->ids[i].vendor = (v & 1) ? VIRTIO_DEV_ANY_ID : (v >> 1) & 3;
	}
	r->drv.feature_table_size = ((flags >> 2) & 7) % (BUS_TABLE_MAX + 1);
	for (i = 0; i < r->drv.feature_table_size; i++)
		r->table[i] = fuzz_u8(in) % VIRTIO_FEATURES_MAX;
	r->drv.driver.name = r->name;
	r->drv.id_table = r->ids;
	r->drv.feature_table = r->table;
	r->drv.probe = bus_probe;
	r->drv.remove =
		(flags & 0x40) && !(r->probe & 0x0c) ? NULL : bus_remove;
	r->drv.config_changed = (flags & 0x20) ? NULL : bus_config_changed;
	r->drv.scan = (r->probe & 0x40) ? bus_scan : NULL;
}

static bool bus_name_taken(const struct bus_drv *r)
{
	unsigned int i;

	for (i = 0; i < BUS_DRVS; i++)
		if (bus.drv[i].registered && &bus.drv[i] != r &&
		    strcmp(bus.drv[i].name, r->name) == 0)
			return true;
	return false;
}

static void bus_op_drv_register(struct fuzz_input *in)
{
	unsigned int slot = fuzz_below(in, BUS_DRVS);
	struct bus_drv *r = &bus.drv[slot];
	bool taken;
	int err;

	if (r->registered)
		return;
	bus_describe_driver(r, slot, in);
	taken = bus_name_taken(r);
	err = register_virtio_driver(&r->drv);
	if (taken ? err != -EBUSY : err != 0)
		fuzz_finding("register", "register_virtio_driver: %d%s", err,
			     taken ? " with its name taken" : "");
	r->registered = !err;
}

static void bus_drv_unregister(struct bus_drv *r)
{
	bool was_bound[BUS_DEVS];
	unsigned int i;

	if (!r->registered)
		return;
	for (i = 0; i < BUS_DEVS; i++)
		was_bound[i] = bus.dev[i].registered &&
			       bus.dev[i].t.vdev.dev.driver == &r->drv.driver;
	unregister_virtio_driver(&r->drv);
	r->registered = false;
	for (i = 0; i < BUS_DEVS; i++) {
		if (!bus.dev[i].registered || !was_bound[i])
			continue;
		if (bus.dev[i].t.vdev.dev.driver == &r->drv.driver)
			fuzz_finding("register", "a device kept its driver");
		bus_check_released(&bus.dev[i]);
	}
}

/* --- the rest of the program ---------------------------------------------- */

static struct bus_dev *bus_pick_registered(struct fuzz_input *in)
{
	struct bus_dev *d = &bus.dev[fuzz_below(in, BUS_DEVS)];

	return d->registered ? d : NULL;
}

static void bus_op_config_change(struct fuzz_input *in)
{
	struct bus_dev *d = bus_pick_registered(in);
	bool irq = fuzz_u8(in) != 0xff;

	if (!d)
		return;
	simt_config_change(&d->t);
	if (irq)
		simt_raise_config_interrupt(&d->t);
	/* Without a driver, a feature test is the transport asking: no
	 * feature table is checked, no WARN (the bits may be a former
	 * driver's: features are negotiated again at the next probe). */
	if (!d->t.vdev.dev.driver)
		(void)virtio_has_feature(&d->t.vdev,
					 VIRTIO_RING_F_INDIRECT_DESC - 1);
}

static void bus_op_queue_irq(struct fuzz_input *in)
{
	struct bus_dev *d = bus_pick_registered(in);
	unsigned int q = fuzz_below(in, BUS_QUEUES + 1);

	if (d)
		simt_raise_queue_interrupt(&d->t, q);
}

static void bus_op_break(struct fuzz_input *in)
{
	struct bus_dev *d = bus_pick_registered(in);
	struct virtio_device never;

	if (d) {
		virtio_break_device(&d->t.vdev);
		return;
	}
	/* A device never registered has no queues to break. */
	memset(&never, 0, sizeof(never));
	virtio_break_device(&never);
}

/* --- documented misuse: refused with one WARN ----------------------------- */

static void bus_expect(bool refused, const char *what)
{
	fuzz_check_warned(what);
	if (!refused)
		fuzz_finding("misuse", "%s was not refused", what);
}

/* The registry's own checks (ring/virtio.c). */
static void bus_misuse_virtio(unsigned int which, struct fuzz_input *in)
{
	static const struct virtio_device_id ids[2] = { { 1, 0 }, { 0, 0 } };
	struct bus_dev *d = &bus.dev[fuzz_below(in, BUS_DEVS)];
	struct virtio_driver drv;

	memset(&drv, 0, sizeof(drv));
	drv.id_table = ids;
	drv.probe = bus_probe;
	fuzz_expect_warn(1);
	switch (which) {
	case 0:
		bus_expect(register_virtio_device(NULL) == -EINVAL,
			   "registering no device");
		break;
	case 1:
		drv.id_table = NULL;
		bus_expect(register_virtio_driver(&drv) == -EINVAL,
			   "a driver without an id table");
		break;
	case 2:
		drv.probe = NULL;
		bus_expect(register_virtio_driver(&drv) == -EINVAL,
			   "a driver without probe");
		break;
	case 3:
		drv.feature_table_size = 2;
		bus_expect(register_virtio_driver(&drv) == -EINVAL,
			   "a feature table size without a table");
		break;
	case 4:
		unregister_virtio_driver(NULL);
		bus_expect(true, "unregistering no driver");
		break;
	case 5:
		unregister_virtio_driver(&drv);
		bus_expect(true, "unregistering a driver never registered");
		break;
	case 6:
		if (d->registered) {
			bus_expect(register_virtio_device(&d->t.vdev) ==
					   -EEXIST,
				   "registering a device twice");
		} else {
			unregister_virtio_device(&d->t.vdev);
			bus_expect(true, "unregistering an absent device");
		}
		break;
	case 8: {
		struct virtio_device bare;

		memset(&bare, 0, sizeof(bare));
		bus_expect(register_virtio_device(&bare) == -EINVAL,
			   "a device without config ops");
		break;
	}
	case 9:
		unregister_virtio_device(NULL);
		bus_expect(true, "unregistering no device");
		break;
	default:
		bus_expect(register_virtio_driver(NULL) == -EINVAL,
			   "registering no driver");
		break;
	}
}

/* A driver testing a feature it never offered (Linux 3.7: BUG). */
static void bus_misuse_feature(struct fuzz_input *in)
{
	struct bus_dev *d = bus_pick_registered(in);
	struct bus_drv *r;
	unsigned int bit;

	if (!d || !d->t.vdev.dev.driver)
		return;
	r = bus_drv_of(&d->t.vdev);
	for (bit = 0; bit < VIRTIO_TRANSPORT_F_START; bit++)
		if (!(bus_table_bits(r) >> bit & 1))
			break;
	if (bit == VIRTIO_TRANSPORT_F_START)
		return;
	fuzz_expect_warn(1);
	(void)virtio_has_feature(&d->t.vdev, bit);
	bus_expect(true, "testing a feature not in the table");
}

static void bus_misuse_release(struct device *dev)
{
	(void)dev;
}

static int bus_misuse_match(struct device *dev, struct device_driver *drv)
{
	(void)dev;
	(void)drv;
	return 0;
}

/* A bus with neither match, probe nor remove: every driver takes every
 * device as it is; drivers without names; a device without release; NULL
 * everywhere; a bus half set up. */
static void bus_core_plain(void)
{
	struct bus_type plain, half;
	struct device dev, other;
	struct device_driver drv[3];

	memset(&plain, 0, sizeof(plain));
	memset(&half, 0, sizeof(half));
	memset(&dev, 0, sizeof(dev));
	memset(&other, 0, sizeof(other));
	memset(drv, 0, sizeof(drv));
	plain.name = "fuzz-plain";
	if (bus_register(&plain))
		fuzz_finding("register", "bus_register failed");
	dev.bus = &plain;
	dev.init_name = "fuzz-plain";
	drv[0].bus = drv[1].bus = drv[2].bus = &plain;
	drv[1].name = "fuzz-plain";
	if (device_register(&dev) || driver_register(&drv[0]))
		fuzz_finding("register", "on a plain bus");
	if (dev.driver != &drv[0])
		fuzz_finding("register", "no match, no probe: not bound");
	if (driver_register(&drv[0]) != -EBUSY)
		fuzz_finding("register", "a driver registered twice");
	if (driver_register(&drv[1]) || driver_register(&drv[2]))
		fuzz_finding("register", "unnamed drivers clash");
	driver_unregister(&drv[0]);
	if (dev.driver)
		fuzz_finding("register", "a device kept its driver");
	device_unregister(&dev);
	if (device_is_registered(&dev) || dev.refcount != 0)
		fuzz_finding("register", "a device outlived its unregister");
	fuzz_expect_warn(1);
	bus_unregister(&plain);
	bus_expect(true, "unregistering a bus with drivers");
	driver_unregister(&drv[1]);
	driver_unregister(&drv[2]);
	fuzz_expect_warn(1);
	device_unregister(NULL);
	bus_expect(true, "unregistering no device");
	fuzz_expect_warn(1);
	driver_unregister(NULL);
	bus_expect(true, "unregistering no driver");
	fuzz_expect_warn(1);
	bus_expect(device_register(NULL) == -EINVAL, "registering no device");
	fuzz_expect_warn(1);
	bus_expect(driver_register(NULL) == -EINVAL, "registering no driver");
	INIT_LIST_HEAD(&half.devices);
	other.bus = &half;
	fuzz_expect_warn(1);
	bus_expect(device_register(&other) == -EINVAL,
		   "a device on a bus half set up");
	bus_unregister(&plain);
}

/* The driver core under the registry (ring/shim/driver_core.c), on a bus
 * of its own. */
static void bus_misuse_core(unsigned int which)
{
	struct bus_type other, unready;
	struct device dev;
	struct device_driver drv;

	memset(&other, 0, sizeof(other));
	memset(&unready, 0, sizeof(unready));
	memset(&dev, 0, sizeof(dev));
	memset(&drv, 0, sizeof(drv));
	other.name = "fuzz-other";
	other.match = bus_misuse_match;
	if (bus_register(&other) || bus_register(&other))
		fuzz_finding("register", "bus_register failed");
	dev.release = bus_misuse_release;
	if (which < 7)
		fuzz_expect_warn(1);
	switch (which) {
	case 0:
		bus_expect(bus_register(NULL) == -EINVAL, "bus_register(NULL)");
		break;
	case 1:
		bus_unregister(&unready);
		bus_expect(true, "unregistering an unregistered bus");
		break;
	case 2:
		bus_expect(device_register(&dev) == -EINVAL,
			   "a device without a bus");
		break;
	case 3:
		dev.bus = &unready;
		bus_expect(device_register(&dev) == -EINVAL,
			   "a device on an unregistered bus");
		break;
	case 4:
		bus_expect(driver_register(&drv) == -EINVAL,
			   "a driver without a bus");
		break;
	case 5:
		drv.bus = &unready;
		bus_expect(driver_register(&drv) == -EINVAL,
			   "a driver on an unregistered bus");
		break;
	case 6:
		device_unregister(&dev);
		bus_expect(true, "unregistering an unregistered device");
		break;
	case 7:
		dev.bus = &other;
		dev.init_name = "fuzz-dev";
		drv.bus = &other;
		drv.name = "fuzz-core";
		if (device_register(&dev) || driver_register(&drv))
			fuzz_finding("register", "on a bus of our own");
		fuzz_expect_warn(1);
		bus_expect(device_register(&dev) == -EEXIST,
			   "registering a device twice");
		fuzz_expect_warn(1);
		bus_unregister(&other);
		bus_expect(true, "unregistering a bus in use");
		driver_unregister(&drv);
		device_unregister(&dev);
		fuzz_expect_warn(1);
		put_device(&dev);
		bus_expect(true, "put_device of a released device");
		fuzz_expect_warn(1);
		get_device(&dev);
		bus_expect(true, "get_device of a released device");
		break;
	case 10:
		bus_core_plain();
		break;
	default:
		put_device(NULL);
		bus_expect(get_device(NULL) == NULL, "get_device(NULL)");
		fuzz_expect_warn(1);
		bus_unregister(NULL);
		bus_expect(true, "unregistering no bus");
		break;
	}
	bus_unregister(&other);
}

static void bus_op_misuse(struct fuzz_input *in)
{
	unsigned int which = fuzz_u8(in) % 22;

	if (which < 8)
		bus_misuse_virtio(which, in);
	else if (which == 8)
		bus_misuse_feature(in);
	else if (which < 19)
		bus_misuse_core(which - 9);
	else if (which < 21)
		bus_misuse_virtio(which - 11, in);
	else
		bus_misuse_core(10);
}

static void bus_do_op(struct fuzz_input *in, unsigned int op)
{
	switch (op) {
	case BUS_OP_DEV_REGISTER:
		bus_op_dev_register(in);
		break;
	case BUS_OP_DEV_UNREGISTER:
		bus_dev_unregister(&bus.dev[fuzz_below(in, BUS_DEVS)]);
		break;
	case BUS_OP_DRV_REGISTER:
		bus_op_drv_register(in);
		break;
	case BUS_OP_DRV_UNREGISTER:
		bus_drv_unregister(&bus.drv[fuzz_below(in, BUS_DRVS)]);
		break;
	case BUS_OP_CONFIG_CHANGE:
		bus_op_config_change(in);
		break;
	case BUS_OP_QUEUE_IRQ:
		bus_op_queue_irq(in);
		break;
	case BUS_OP_BREAK:
		bus_op_break(in);
		break;
	default:
		bus_op_misuse(in);
		break;
	}
}

/* Unregisters everything, the order drawn from the input too. */
static void bus_teardown(struct fuzz_input *in)
{
	unsigned int i;
	bool drivers_first = fuzz_bool(in);

	for (i = 0; drivers_first && i < BUS_DRVS; i++)
		bus_drv_unregister(&bus.drv[i]);
	for (i = 0; i < BUS_DEVS; i++)
		bus_dev_unregister(&bus.dev[i]);
	for (i = 0; i < BUS_DRVS; i++)
		bus_drv_unregister(&bus.drv[i]);
	fuzz_check_no_leak("after everything was unregistered");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int ops = 0;

	if (fuzz_arena_fresh() != 0)
		fuzz_finding("setup", "cannot create the arena");
	fuzz_shim_begin();
	memset(&bus, 0, sizeof(bus));
	fuzz_input_init(&bus.in, data, size);
	while (!fuzz_input_done(&bus.in) && ops++ < BUS_OPS_MAX)
		bus_do_op(&bus.in, fuzz_u8(&bus.in) % BUS_OP_COUNT);
	bus_teardown(&bus.in);
	fuzz_shim_end();
	return 0;
}
