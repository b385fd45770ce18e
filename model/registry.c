/*
 * registry.c - the registry oracle (registry.h).
 */
#include "registry.h"

#include <linux/virtio_config.h>

#define REG "registry"

static u8 expected_bound_status(const struct simt_transport *t)
{
	u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	       VIRTIO_CONFIG_S_DRIVER_OK;

	if (t->driver_features & (1ULL << VIRTIO_F_VERSION_1))
		s |= VIRTIO_CONFIG_S_FEATURES_OK;
	return s;
}

void registry_check_plug(struct oracle *o, struct simt_transport *t, int err,
			 bool bound, u64 offered)
{
	u8 status = t->status & (u8)~VIRTIO_CONFIG_S_NEEDS_RESET;

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
