/*
 * devices.h - what the world shares with its device models (host side)
 * and workload drivers (guest side): the environment of a run (choice
 * source, event log, oracle, current step), the numbering of actors and
 * event kinds, and the entropy device and driver.
 *
 * Events never carry pointers: tokens are named by their driver's slot
 * id, descriptors by ring index, buffers by guest-physical address.
 */
#ifndef RINGSIDE_MODEL_DEVICES_H
#define RINGSIDE_MODEL_DEVICES_H

#include "choice.h"
#include "event_log.h"
#include "oracle.h"
#include "sim_transport.h"

struct sim_env {
	struct choice_source *cs;
	struct event_log *log;
	struct oracle *oracle;
	u64 step;
};

enum sim_actor {
	SIM_ACTOR_WORLD = 0,
	SIM_ACTOR_DRIVER,
	SIM_ACTOR_DEVICE,
	SIM_ACTOR_IRQ,
	SIM_ACTOR_SPURIOUS,
	SIM_ACTOR_CONFIG,
	SIM_ACTOR_COUNT
};

enum sim_event_kind {
	SIM_EV_RUN_START = 0, /* a = mode, b = features offered, c = qsize */
	SIM_EV_PROBE,	      /* a = status after registration, b = bound */
	SIM_EV_STEP,	      /* a = actor chosen, b = forced by fairness */
	SIM_EV_ADD,	      /* a = token, b = bytes, c = add_buf's result */
	SIM_EV_ADD_NOMEM,     /* a = bytes the buffer would have had */
	SIM_EV_KICK,	      /* a = 0 kick, 1 prepare+notify; b = notified */
	SIM_EV_GET_BUF,	      /* a = token, b = len */
	SIM_EV_DISABLE_CB,
	SIM_EV_ENABLE_CB,	  /* a = result */
	SIM_EV_ENABLE_CB_DELAYED, /* a = result */
	SIM_EV_CALLBACK,	  /* a = tokens collected */
	SIM_EV_DEV_KICK,	  /* a = kick taken */
	SIM_EV_DEV_FETCH,	  /* a = head, b = avail idx */
	SIM_EV_DEV_COMPLETE,	  /* a = head, b = len, c = used idx after */
	SIM_EV_IRQ,		  /* a = queue, b = irqreturn */
	SIM_EV_CONFIG_CHANGE,	  /* a = generation */
	SIM_EV_DETACH,		  /* a = token */
	SIM_EV_ALLOC_FAIL,	  /* a = size */
	SIM_EV_FAIL,		  /* an oracle fired */
	SIM_EV_RUN_END,		  /* a = tokens added, b = got, c = detached */
	SIM_EV_COUNT
};

void sim_emit(struct sim_env *env, u16 actor, u16 kind, u16 queue, u64 a, u64 b,
	      u64 c);

/* --- the entropy device (dev_entropy.c) --------------------------------- */

#define DEV_ENTROPY_QSIZE_MAX 256

struct dev_entropy {
	struct sim_env *env;
	struct simt_transport *t;
	struct simt_device_ops ops; /* features chosen per run */
	u16 qsize;
	u16 last_avail; /* next avail entry to fetch */
	u16 used_idx;	/* the device's used idx */
	/* Heads fetched and not yet completed, in fetch order. */
	u16 held[DEV_ENTROPY_QSIZE_MAX];
	unsigned int nheld;
	bool irq_pending; /* completed since the last queue interrupt */
	bool plant_stall; /* fetches but never completes (oracle test) */
	u64 fetched, completed, bytes;
};

/* Prepares the device: queue size and offered features are drawn from
 * the choice source. ops of the transport is d->ops. */
void dev_entropy_init(struct dev_entropy *d, struct sim_env *env,
		      struct simt_transport *t);
/* The device's turn: takes a pending kick, fetches what is available and
 * completes some of what it holds. Returns the chains completed. */
unsigned int dev_entropy_step(struct dev_entropy *d);
/* Work the device could do: chains held or available but not fetched. */
bool dev_entropy_has_work(const struct dev_entropy *d);

/* --- the entropy workload driver (drv_entropy.c) ------------------------ */

#define DRV_ENTROPY_SLOTS 64
#define DRV_ENTROPY_BUF_MAX 256

struct drv_entropy_slot {
	u32 id;	  /* the token's id for the ledger: the slot index */
	u8 *buf;  /* kmalloc'd while the token is outstanding */
	u32 len;  /* bytes offered */
	bool out; /* added and not yet returned */
};

struct drv_entropy {
	struct virtio_driver drv;
	struct sim_env *env;
	struct virtio_device *vdev;
	struct virtqueue *vq;
	struct drv_entropy_slot slot[DRV_ENTROPY_SLOTS];
	unsigned int unkicked; /* adds since the last kick */
	bool registered;
	bool plant_lost_token; /* remove skips one detach (oracle test) */
	u64 probes, removes, config_changes;
	u64 bytes, digest; /* what the device gave */
};

void drv_entropy_init(struct drv_entropy *d, struct sim_env *env);
int drv_entropy_register(struct drv_entropy *d);
void drv_entropy_unregister(struct drv_entropy *d);
/* The driver's turn: adds, kicks, polls or changes callbacks. */
void drv_entropy_step(struct drv_entropy *d);
/* Adds a batch without kicking (used before teardown). */
void drv_entropy_add_batch(struct drv_entropy *d, unsigned int n);
/* Buffers the device holds (0 without a queue). */
unsigned int drv_entropy_outstanding(const struct drv_entropy *d);

#endif /* RINGSIDE_MODEL_DEVICES_H */
