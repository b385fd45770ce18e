/*
 * registry.c - the registry oracle (registry.h).
 */
#include "registry.h"

#include <linux/virtio_config.h>

#define REG "registry"

/* The status the driver's probe must find: acknowledged, a driver
 * found, and the features read back where the mode has that step. */
static u8 expected_probe_status(const struct simt_transport *t)
{
	u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	if (t->driver_features & (1ULL << VIRTIO_F_VERSION_1))
		s |= VIRTIO_CONFIG_S_FEATURES_OK;
	return s;
}

static u8 expected_bound_status(const struct simt_transport *t)
{
	return expected_probe_status(t) | VIRTIO_CONFIG_S_DRIVER_OK;
}

static u8 device_status(const struct simt_transport *t)
{
	return t->status & (u8)~VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* The status, without the bits the device or an earlier failed probe
 * may have left. */
static u8 device_status_since(const struct simt_transport *t,
			      bool failed_before)
{
	u8 status = device_status(t);

	if (failed_before)
		status &= (u8)~VIRTIO_CONFIG_S_FAILED;
	return status;
}

void registry_check_probe(struct oracle *o, struct simt_transport *t,
			  bool failed_before)
{
	u8 status = device_status_since(t, failed_before);

	if (status != expected_probe_status(t))
		oracle_fail(o, REG,
			    "the driver's probe began with status 0x%02x, "
			    "expected 0x%02x",
			    status, expected_probe_status(t));
}

void registry_check_removed(struct oracle *o, struct simt_transport *t)
{
	u8 status = device_status(t);

	if (status != VIRTIO_CONFIG_S_ACKNOWLEDGE)
		oracle_fail(o, REG,
			    "after remove the status is 0x%02x, expected "
			    "ACKNOWLEDGE (reset, then acknowledged again)",
			    status);
}

/* False (and failed) when the registration went wrong or took another
 * index than the smallest free one. */
static bool registered_at(struct oracle *o, const struct simt_transport *t,
			  int err, int expect_index)
{
	if (err) {
		oracle_fail(o, REG, "register_virtio_device failed (%d)", err);
		return false;
	}
	if (expect_index >= 0 && t->vdev.index != expect_index) {
		oracle_fail(o, REG,
			    "a device took index %d, not the smallest free "
			    "one (%d)",
			    t->vdev.index, expect_index);
		return false;
	}
	return true;
}

void registry_check_unmatched(struct oracle *o, struct simt_transport *t,
			      int err, int expect_index)
{
	u8 status = device_status(t);

	if (!registered_at(o, t, err, expect_index))
		return;
	if (status != VIRTIO_CONFIG_S_ACKNOWLEDGE)
		oracle_fail(o, REG,
			    "a device no driver matches has status 0x%02x, "
			    "expected ACKNOWLEDGE",
			    status);
}

void registry_check_plug(struct oracle *o, struct simt_transport *t, int err,
			 bool bound, const struct registry_expect *e)
{
	u8 status = device_status_since(t, e->failed_before && bound);
	u64 offered = e->offered;

	if (!registered_at(o, t, err, e->index))
		return;
	if (bound && status != expected_bound_status(t)) {
		oracle_fail(o, REG,
			    "bound device has status 0x%02x, expected 0x%02x",
			    status, expected_bound_status(t));
		return;
	}
	if (!bound && !(status & VIRTIO_CONFIG_S_FAILED)) {
		oracle_fail(o, REG,
			    "the probe failed and status 0x%02x lacks FAILED",
			    status);
		return;
	}
	if (bound && (t->driver_features & ~offered))
		oracle_fail(o, REG,
			    "negotiated features 0x%llx outside the offer "
			    "0x%llx",
			    (unsigned long long)t->driver_features,
			    (unsigned long long)offered);
}

/* Written from Linux 3.7.1's documented rule, not from the bus's code. */
static bool id_matches(const struct virtio_device_id *id,
		       const struct virtio_device *vdev)
{
	bool device = id->device == VIRTIO_DEV_ANY_ID ||
		      id->device == vdev->id.device;
	bool vendor = id->vendor == VIRTIO_DEV_ANY_ID ||
		      id->vendor == vdev->id.vendor;

	return device && vendor;
}

bool registry_check_match(struct oracle *o, const struct virtio_device_id *ids,
			  const struct virtio_device *vdev)
{
	unsigned int i;

	for (i = 0; ids[i].device; i++)
		if (id_matches(&ids[i], vdev))
			return true;
	oracle_fail(o, REG,
		    "a driver was probed with device 0x%x vendor 0x%x, which "
		    "its id table does not match",
		    vdev->id.device, vdev->id.vendor);
	return false;
}

void registry_check_negotiated(struct oracle *o, const struct simt_transport *t,
			       u64 expected)
{
	if (t->driver_features != expected)
		oracle_fail(o, REG,
			    "negotiated features 0x%llx, expected 0x%llx (the "
			    "offer within the driver's table)",
			    (unsigned long long)t->driver_features,
			    (unsigned long long)expected);
}
