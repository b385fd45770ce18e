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

void registry_check_probe(struct oracle *o, struct simt_transport *t)
{
	u8 status = device_status(t);

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

void registry_check_plug(struct oracle *o, struct simt_transport *t, int err,
			 bool bound, u64 offered)
{
	u8 status = device_status(t);

	if (err) {
		oracle_fail(o, REG, "register_virtio_device failed (%d)", err);
		return;
	}
	if (t->vdev.index != 0) {
		oracle_fail(o, REG,
			    "the only device took index %d, not the smallest "
			    "free one (0)",
			    t->vdev.index);
		return;
	}
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
