/*
 * inproc.h - the in-process runner of `ringside check`: one case against
 * a device model given through the public interface
 * (ringside/device_model.h), on the simulated transport, with the
 * workload driver of its device type as the well-behaved driver.
 *
 * The scheduler gives turns to the driver (the workload's step), the
 * device (pending kicks delivered to notify, then step) and interrupt
 * delivery, in an order drawn from the case's seed, so that a
 * deterministic device gives the same case for the same seed. The checks
 * (catalogue.c) run at the points named there: after every add (poison,
 * checksum), every buffer taken back, every turn of the device, and at
 * the end of the case (reset, feature refusal).
 */
#ifndef RINGSIDE_MODEL_CHECK_INPROC_H
#define RINGSIDE_MODEL_CHECK_INPROC_H

#include "adversary.h"
#include "check.h"
#include "choice.h"

#include <ringside/device_model.h>

#define INPROC_STEPS_DEFAULT 3000

struct sim_env;
struct simt_transport;

/* How a case makes its device: our simulated class (sim:) or a
 * plug-in's create function (lib:). */
struct inproc_maker {
	/* Creates the device for one case (t: the transport it will be
	 * plugged into, for sim devices, whose adversary reads the driver's
	 * side). Returns 0, or -errno with err
	 * set. *lied, when set by the maker, points at a flag the device
	 * raises when an adversary behaviour made its data untrustworthy. */
	int (*create)(void *maker_ctx, struct sim_env *env,
		      struct simt_transport *t,
		      const struct ringside_dm_host *host,
		      const struct ringside_dm_ops **ops, void **ctx, char *err,
		      size_t errlen);
	/* The device's turn (sim devices have their own; NULL: deliver
	 * pending kicks to notify, then step). */
	void (*turn)(void *ctx);
	/* Queues whose interrupt the device raised in its own way (sim
	 * devices); cleared by the call. NULL: only host->interrupt. */
	u32 (*take_irqs)(void *ctx);
	bool *(*lied)(void *ctx);
	void (*destroy)(void *maker_ctx, void *ctx);
	void *maker_ctx;
};

int inproc_run_case(const struct inproc_maker *mk, u64 steps,
		    struct check_case *c);

#endif /* RINGSIDE_MODEL_CHECK_INPROC_H */
