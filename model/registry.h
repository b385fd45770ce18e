/*
 * registry.h - the "registry" oracle: the bus's state machine as Linux
 * 3.7.1 documents it (its bus registry), checked after
 * every registration of the world's device.
 *
 *   index     a registered device takes the smallest index no other
 *             registered device holds (freed at unregister and reused, as
 *             Linux's ida does); the world knows which it registered
 *   status    bound: exactly ACKNOWLEDGE, DRIVER, DRIVER_OK, and
 *             FEATURES_OK when VERSION_1 was negotiated (the device read
 *             it back); not bound: FAILED set (the world's driver matches
 *             its device, so a device without a driver is a failed probe);
 *             a device no driver matches: exactly ACKNOWLEDGE
 *   features  a bound device's features are within what the device offered;
 *             where the world knows the driver's table, exactly the offer
 *             within it
 *   match     a driver is probed only with a device its id table matches
 *             (device id equal or VIRTIO_DEV_ANY_ID, vendor the same)
 *   probe     when the driver's probe starts, the status is exactly
 *             ACKNOWLEDGE and DRIVER, and FEATURES_OK when VERSION_1 was
 *             negotiated: features read back, no DRIVER_OK before the
 *             driver set up its queues, no FAILED unless an earlier probe
 *             of the same registration failed (Linux resets a device at
 *             registration only, so FAILED stays until then)
 *   remove    after a bound device was unbound (the driver unregistered,
 *             or the device unplugged), its status is exactly ACKNOWLEDGE:
 *             the remove reset it (0) and acknowledged it again
 *
 * DEVICE_NEEDS_RESET is the device's own bit and is ignored.
 */
#ifndef RINGSIDE_MODEL_REGISTRY_H
#define RINGSIDE_MODEL_REGISTRY_H

#include "oracle.h"
#include "sim_transport.h"

/* What the world knows of a registration. */
struct registry_expect {
	int index;	    /* the smallest free one before it; -1: the
			     * device was registered before (a driver came) */
	u64 offered;	    /* the features the device offered */
	bool failed_before; /* a probe of this registration failed before:
			     * FAILED may still be set (no reset between) */
};

/* Right after register_virtio_device returned err for t's device (or
 * the driver was registered while t's device was), which the world's
 * driver matches. */
void registry_check_plug(struct oracle *o, struct simt_transport *t, int err,
			 bool bound, const struct registry_expect *e);
/* Right after register_virtio_device for a device no driver matches. */
void registry_check_unmatched(struct oracle *o, struct simt_transport *t,
			      int err, int expect_index);
/* When the driver's probe of t's device begins. */
void registry_check_probe(struct oracle *o, struct simt_transport *t,
			  bool failed_before);
/* When a driver's probe begins: whether its id table (ending at device
 * id 0) matches vdev, as the model reads the rule; fails if not. */
bool registry_check_match(struct oracle *o, const struct virtio_device_id *ids,
			  const struct virtio_device *vdev);
/* A bound device negotiated exactly the features expected. */
void registry_check_negotiated(struct oracle *o, const struct simt_transport *t,
			       u64 expected);
/* Right after a device that was bound to the driver was unbound. */
void registry_check_removed(struct oracle *o, struct simt_transport *t);

#endif /* RINGSIDE_MODEL_REGISTRY_H */
