/*
 * watch.h - the checks that watch a device through the rings of our own
 * driver, whatever the transport: simulated (inproc.c), QEMU's PCI
 * (qemu_target.c) or vhost-user (vhost_target.c). The transport says where its queues are; the watch is
 * told of the driver's calls (sim_env's observe hook) and of the
 * device's turns, and records violations into the case.
 *
 *   on add_buf      the chain's writable bytes are poisoned (just
 *                   before it, for a device on threads of its own) with a
 *                   position-dependent pattern and a checksum of its
 *                   readable bytes is kept (the device has not seen it
 *                   yet: it only acts on its turns, or QEMU only after
 *                   the kick)
 *   on get_buf      readable bytes unchanged; at least len bytes written
 *                   (no aligned 8-byte block of [0, len) still poison);
 *                   entropy: len >= 1; an indirect chain served; block:
 *                   the status byte, FLUSH, reads past the capacity and
 *                   the same status whatever the framing; net and
 *                   console: a frame or message arrives intact
 *                   whatever the layout of its transmit chain
 *   every step      the ring's faults and clamps (check_watch_queues)
 *   device's turn   used flags, avail_event under EVENT_IDX, and the
 *                   interrupt rule (watch_turn); the indirect table of
 *                   every chain the device holds, against the copy
 *                   taken on add_buf (watch_tables: after the turn and
 *                   before the driver's get_buf, which frees the table)
 */
#ifndef RINGSIDE_MODEL_CHECK_WATCH_H
#define RINGSIDE_MODEL_CHECK_WATCH_H

#include "check.h"
#include "devices.h"

#include <linux/virtio.h>
#include <linux/virtio_ring.h>

#define WATCH_QUEUES 8

struct watch_shadow;

struct watch_ops {
	unsigned int (*nvqs)(void *ctx);
	struct vring *(*vring)(void *ctx, unsigned int q);
	struct virtqueue *(*vq)(void *ctx, unsigned int q);
	u64 (*features)(void *ctx); /* negotiated */
};

struct check_watch {
	struct check_case *c;
	const struct watch_ops *ops;
	void *ctx;
	u64 step;
	bool stop; /* a violation was recorded: the case ends */
	/* Bit q: writable buffers of queue q are poisoned (all by default;
	 * a transport where the device may touch a buffer the moment it is
	 * published clears the bit, and ring.used-len-written is not
	 * checked there). */
	u32 poison_mask;
	/* Bit q: the chain being added to queue q was poisoned by
	 * watch_before_add, before the ring published it. */
	u32 prepoisoned;
	u64 clamped[WATCH_QUEUES];
	bool fault_seen[WATCH_QUEUES];
	struct watch_shadow *shadow[WATCH_QUEUES];
	unsigned int shadow_num[WATCH_QUEUES];
	/* The device's offered features, set by the target once known
	 * (blk.flush). */
	u64 offered;
	bool offered_known;
	/* Block: the capacity, read from the config on first use. */
	bool capacity_known;
	u64 capacity;
	/* ring.framing-agnostic: per request type (IN, OUT, FLUSH, GET_ID),
	 * bit f of the framings (watch.c) seen with OK, and with an error. */
	u8 framing_ok[4], framing_err[4];
	/* ring.framing-agnostic, net and console: the frames (messages)
	 * transmitted on this binding's queues (watch.c), and per framing
	 * those that arrived intact, arrived damaged, or were missing when
	 * one sent after them arrived. */
	struct watch_frames *frames;
	u64 tx_no;
	u32 sent_ok[4], sent_damaged[4], sent_missing[4];
};

void watch_init(struct check_watch *w, struct check_case *c,
		const struct watch_ops *ops, void *ctx);
void watch_fini(struct check_watch *w);
/* The writable buffers of a chain about to be added to queue q
 * (sim_env's before_add): poisoned now, before the ring publishes the
 * chain, for a device on its own threads that may touch a buffer the
 * moment it is published (watch_observe then keeps this poison). */
void watch_before_add(struct check_watch *w, unsigned int q,
		      const struct scatterlist *sg, unsigned int out,
		      unsigned int in);
/* The driver's call on queue q (sim_env's observe). */
void watch_observe(struct check_watch *w, unsigned int q, enum sim_call call,
		   u64 result);
/* Faults the ring reported, clamps, and what was exercised. */
void watch_queues(struct check_watch *w);
/* The used idx of every queue now (before a device turn). */
void watch_used_before(struct check_watch *w, u16 *before);
/* After a device turn: used flags, and (when timing is ours) whether an
 * interrupt owed was raised (bit q of raised). */
void watch_turn(struct check_watch *w, const u16 *before, u32 raised,
		bool check_interrupts);
/* ring.indirect-untouched: the indirect table of every chain the device
 * holds is as the driver wrote it (watch_turn calls it; a target calls
 * it at the end of a case too, while the tables of chains the device
 * never returned are still allocated). */
void watch_tables(struct check_watch *w);
/* Records a violation of id; the case stops. */
void watch_violation(struct check_watch *w, const char *id, unsigned int q,
		     u64 observed, u64 expected, const char *text);
void watch_exercised(struct check_watch *w, const char *id);
/* The feature bits the specification reserves (2.2) in a mode: 25, 26,
 * 31, 41 to 49, and 30 under 1.x (legacy documents it, 1.2 7.x). */
u64 watch_reserved_features(int mode);
/* dev.features-dependencies: checks offered features (2.2.2) of a device
 * of this type; records the first feature offered without what it
 * requires (the case goes on: it is the offer, not the rings). */
void watch_check_dependencies(struct check_watch *w, u32 device_id,
			      u64 offered);

#endif /* RINGSIDE_MODEL_CHECK_WATCH_H */
