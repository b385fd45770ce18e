/*
 * bystander.h - the world's other devices and its other driver: the bus
 * with several of each, registered and unregistered in every order.
 *
 * Beside its own device and workload driver, a world may register up to
 * SIM_BYSTANDERS devices of a type its workload driver does not match (a
 * balloon), and one more driver, the bystander driver, whose id table is
 *
 *   { the world's device type, another vendor }   matches nothing here
 *   { balloon, VIRTIO_DEV_ANY_ID }                 the bystanders
 *
 * so that a bus that compares the wrong fields, stops at the first entry
 * or forgets VIRTIO_DEV_ANY_ID binds the wrong pairs. Its probe fails on
 * a draw (a quarter of the time), as a real driver's does when its device
 * is not what it hoped, so that devices go through failed and successful
 * probes; its remove resets the device, as every driver's must.
 *
 * The registry oracle (registry.h) checks every step against what the
 * world knows: indices, the status after each probe, binding that
 * follows the probe's answer, every matching device probed once when it
 * or the driver comes, no device probed that the table does not match,
 * and the status after remove.
 */
#ifndef RINGSIDE_MODEL_BYSTANDER_H
#define RINGSIDE_MODEL_BYSTANDER_H

#include "devices.h"
#include "oracle.h"
#include "sim_transport.h"

#include <linux/virtio.h>

#define SIM_BYSTANDERS 2
/* The bystander driver's number in events (SIM_EV_PROBE, SIM_EV_UNPLUG:
 * queue 1 + n for bystander device n, this for the driver). */
#define SIM_BYSTANDER_DRIVER_EVENT (1 + SIM_BYSTANDERS)

struct bystander_device {
	struct simt_transport t;
	bool on;	    /* registered */
	bool bound;	    /* its last probe by the driver succeeded */
	bool failed;	    /* a probe of this registration failed: FAILED
			     * may be set until a reset */
	bool failed_before; /* the value of failed when the last probe began */
	unsigned int probes;
};

struct bystanders {
	struct sim_env *env;
	struct oracle *oracle;
	enum simt_mode mode;
	struct bystander_device dev[SIM_BYSTANDERS];
	struct virtio_driver drv;
	struct virtio_device_id ids[3];
	bool drv_on; /* the bystander driver is registered */
};

/* world_device_id: the type of the world's own device (matched by the
 * workload driver only). */
void bys_init(struct bystanders *b, struct sim_env *env, struct oracle *o,
	      enum simt_mode mode, u32 world_device_id);
/* Whether a registered bystander device holds index i. */
bool bys_holds_index(const struct bystanders *b, int i);
/* Registers bystander device n (which must take expect_index), or
 * unregisters it. */
void bys_toggle_device(struct bystanders *b, unsigned int n, int expect_index);
/* Registers the bystander driver, or unregisters it. */
void bys_toggle_driver(struct bystanders *b);
/* End of run: every bystander device and the driver leave. */
void bys_leave(struct bystanders *b);
/* With every device of the run gone: the next registration takes index
 * 0, so that an index the bus failed to free is seen in the run that
 * lost it (the bus outlives runs: a later run would fail without
 * replaying). */
void bys_check_indices_freed(struct bystanders *b);

#endif /* RINGSIDE_MODEL_BYSTANDER_H */
