/*
 * semantics.h - the "semantics" oracle: an executable reference model of
 * what the Linux 3.7.1 seed API promises its caller, run in lockstep with
 * the ring in every world run.
 *
 * It is written from the API's documentation and Linux 3.7.1, not from
 * the ring: it keeps its own count of free descriptors, of avail and used
 * indices, and its own map of heads to tokens, and predicts each answer:
 *
 *   add_buf      -EIO on a broken queue; with INDIRECT_DESC and more than
 *                one entry one descriptor (an indirect table), or the
 *                entries' count when the table's allocation failed
 *                (fallback); -ENOSPC when that many are not free, after
 *                notifying the device if the request had readable parts;
 *                otherwise the remaining capacity. The head it published
 *                is read from the avail ring, which must now end at the
 *                model's avail index.
 *   queues       get_queue_index is the queue's place in find_vqs's
 *                answer; get_vring_size the size the transport set up
 *   kick_prepare false on a broken queue; with EVENT_IDX the event index
 *                test of avail_event against the batch since the last
 *                kick (a forced kick after 65535 adds starts a new
 *                batch); without it, NO_NOTIFY clear. kick must notify
 *                exactly then.
 *   enable_cb    true on a broken queue; otherwise false exactly when more
 *                used entries wait than the interrupt is delayed for (0,
 *                or 3/4 of the outstanding buffers for the delayed form).
 *   get_buf      NULL on a broken queue or with no used entry; otherwise
 *                the token of the used entry's head and its len, at most
 *                the writable bytes.
 *   interrupt    with used entries the model has not collected, on a
 *                healthy queue of a device past DRIVER_OK: IRQ_HANDLED
 *                and the driver's callback; with none (and none made
 *                during the call): IRQ_NONE and no callback
 *   detach       tokens the model still holds, each once; NULL only when
 *                it holds none, and then every descriptor is free.
 *   callbacks    never on a broken queue.
 *
 * Where the device broke a rule on a queue (device.h notes 2 and 4) the
 * ring's reaction is the missed-detection oracle's business: the model
 * stops checking that queue's get_buf, enable_cb and detach answers (it
 * keeps checking -EIO and callbacks once the queue is broken).
 *
 * The workload driver reports each call (the sem_* functions, no-ops when
 * env->sem is NULL, as in the QEMU stage); the world owns the model.
 */
#ifndef RINGSIDE_MODEL_SEMANTICS_H
#define RINGSIDE_MODEL_SEMANTICS_H

#include "devices.h"

#include <linux/interrupt.h>

struct sim_device;

#define SEM_QUEUES_MAX 4
/* The largest queue the simulated devices offer (DEV_QSIZE_MAX): the
 * per-head tables live in the model, not the heap, so that a run costs
 * no allocation. A larger queue is not modelled. */
#define SEM_NUM_MAX 256u

struct sem_queue {
	struct virtqueue *vq; /* NULL: no queue */
	unsigned int num;
	bool indirect, event;
	unsigned int free;    /* descriptors the model thinks free */
	unsigned int held;    /* buffers added and not yet back */
	u16 avail, last_used; /* the model's indices */
	u16 kick_avail;	      /* avail at the last kick_prepare */
	u32 adds_since_kick;
	bool blind;	   /* the device lied on it: no more checks but -EIO */
	bool kick_unknown; /* after a burst: the next kick is not judged */
	u64 callbacks;	   /* the driver's callback ran (sem_callback) */
	/* Per head: token id + 1 (0: not held), descriptors, writable. */
	u32 token[SEM_NUM_MAX];
	u16 ndescs[SEM_NUM_MAX];
	u32 writable[SEM_NUM_MAX];
};

struct sem_model {
	struct simt_transport *t;
	struct sim_device *dev;
	struct oracle *oracle;
	const u64 *alloc_fails; /* the world's count of failed allocations */
	struct sem_queue q[SEM_QUEUES_MAX];
	/* Snapshot before a call (sem_before). */
	u64 kicks_before, fails_before;
	bool broken_before;
	u64 checks; /* answers compared */
};

void sem_init(struct sem_model *m, struct simt_transport *t,
	      struct sim_device *dev, struct oracle *o, const u64 *alloc_fails);
void sem_fini(struct sem_model *m);

/* The driver's queues were made (probe) or deleted (n = 0). */
void sem_queues(struct sim_env *env, struct virtqueue *const *vqs,
		unsigned int n);
/* Right before add_buf or kick on queue q. */
void sem_before(struct sim_env *env, unsigned int q);
void sem_add(struct sim_env *env, unsigned int q, unsigned int out,
	     unsigned int in, u32 id, u32 writable, int ret);
/* kick_prepare answered `needed` (split), or kick ran (split false). */
void sem_kick(struct sim_env *env, unsigned int q, bool split, bool needed);
/* id: the token's id, or -1 for NULL. */
void sem_get_buf(struct sim_env *env, unsigned int q, s64 id, u32 len);
void sem_enable_cb(struct sim_env *env, unsigned int q, bool delayed,
		   bool result);
void sem_detach(struct sim_env *env, unsigned int q, s64 id);
void sem_callback(struct sim_env *env, unsigned int q);
/* Around the world's raising of queue q's interrupt: what the model
 * knew before, then the ring's answer. */
struct sem_irq {
	bool judged;   /* a live, healthy queue of a ready device */
	bool pending;  /* used entries the driver has not collected */
	u16 used;      /* the device's used idx before */
	u64 callbacks; /* the queue's callbacks before */
};
void sem_irq_before(struct sim_env *env, unsigned int q, struct sem_irq *s);
void sem_irq_after(struct sim_env *env, unsigned int q, const struct sem_irq *s,
		   irqreturn_t ret);
/* The world pushed buffers through q behind the driver's back (an
 * index-wrap burst: each added, used and taken back): both indices moved
 * by as much as avail did, and the next kick's batch is unknown. */
void sem_burst(struct sim_env *env, unsigned int q);

#endif /* RINGSIDE_MODEL_SEMANTICS_H */
