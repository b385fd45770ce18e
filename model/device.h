/*
 * device.h - the host side of the simulated world: a generic virtio device
 * model over the simulated transport, and the classes (block, entropy,
 * console, net) that give it a personality.
 *
 * The generic part owns everything that is the same for every device:
 * fetching available chains and checking them against the rules the driver
 * side must keep (a violation is the "driver-rule" oracle: our ring broke
 * one), holding them, completing them into the used ring, deciding
 * interrupts (NO_INTERRUPT, or the event index test with used_event), and
 * playing the adversary catalogue (adversary.h) on all of that. A class
 * only says what a request does: it reads the chain's readable bytes,
 * writes its writable bytes, and returns the len.
 *
 * Notes:
 *
 * 1. A class's process() may defer a chain (a receive buffer with nothing
 *    to receive yet): it stays held, in order, and is offered again on the
 *    device's next turn. Until a chain of that queue completes, the queue
 *    is starved; on a receive queue its buffers then wait for data, not
 *    for the device or the ring (sim_device_waiting).
 * 2. Illegal used-ring acts (a bad id, a bad idx, a rewritten descriptor
 *    or avail slot) set the queue's `expect_faults`: the world raises the
 *    queue interrupt at once and checks that the ring reported one of
 *    those faults ("missed-detection" otherwise). An oversized len sets
 *    `expect_clamp` the same way.
 * 3. Nothing here runs inside a driver call (sim_transport.h, note 1).
 * 4. Data is only trusted from an honest device: `lied` is set when an
 *    illegal behaviour could have changed what the driver reads back, and
 *    the workloads then skip their data-integrity checks.
 * 5. Notification rules. Right after the driver's kick, disable_cb,
 *    enable_cb, enable_cb_delayed or get_buf (sim_observe), the device
 *    checks what the ring did against the rules the driver side must
 *    keep: a kick the device asked for (NO_NOTIFY clear, or the event
 *    index test against avail_event since the previous kick) was sent;
 *    disable_cb set NO_INTERRUPT; enable_cb cleared it and asked for an
 *    interrupt at the next used entry (used_event), enable_cb_delayed
 *    after 3/4 of the outstanding buffers, and each said truthfully
 *    whether entries were already waiting; get_buf with callbacks on
 *    moved used_event along. A violation is "driver-rule". A queue the
 *    device made broken, or lied to, is not checked.
 * 6. Untrusted drivers (the robustness suite): with `untrusted_driver`
 *    a broken driver rule is not a failure of the run but the device's
 *    own error state: it sets DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2),
 *    counts the rule, and touches no queue until the driver resets it.
 * 7. Index wrap. The world pushes tens of thousands of buffers through a
 *    queue in one go (world.c, index-wrap): the device then takes each
 *    chain at once, checked as always, completes it with len 0, and
 *    records no event and draws no choice, so that it stays cheap.
 * 8. Inside the ring's reads (ring/include/ringside/shim.h, the
 *    shared-read seam). While `mid_read` is set, the world hands every
 *    read the ring makes of a queue's ring memory, or of the indirect
 *    table of a chain the device holds, to sim_device_before_read just
 *    before it happens; the device may act there, on exactly the bytes
 *    about to be read:
 *      mid-read (legal): used flags and avail_event take any value, a
 *        read of used idx finds one more request completed (its
 *        interrupt decided as after any completion), a used entry the
 *        used idx does not cover yet gets any id and len. The device
 *        owns all of these; the ring must stay healthy.
 *      mid-read-rewrite (illegal): what the device may not change once
 *        written is changed to a value the ring must reject: a
 *        descriptor field or an avail ring entry, avail idx (driver
 *        memory: the ring must report the rewrite), used idx (ahead or
 *        back), the id of a used entry the used idx covers (out of
 *        range, or no outstanding head) or its len (above the chain's
 *        writable bytes: clamped), an indirect table entry (the ring
 *        never reads those: unseen). A ring that reads each value once
 *        and validates what it read sees the rewrite at that read; one
 *        that reads a value again after validating it (a double fetch)
 *        uses what it never checked. The expectation is set as for the
 *        acts of note 2, and the world checks it after the actor's
 *        turn.
 */
#ifndef RINGSIDE_MODEL_DEVICE_H
#define RINGSIDE_MODEL_DEVICE_H

#include "adversary.h"
#include "devices.h"

#define DEV_QSIZE_MAX 256
/* Segments of one chain a device model can handle; longer chains are
 * valid but completed with len 0. */
#define DEVQ_SEGS_MAX 16
/* Completed heads remembered for the duplicate-completion behaviour. */
#define DEVQ_RECENT 8
#define DEV_VENDOR_ID 0x1af4u

struct devq_seg {
	u64 phys;
	u32 len;
	bool writable;
};

/* One chain the device fetched (a validated copy of what it read). */
struct devq_chain {
	u16 head;
	u16 avail_pos;	/* avail idx it was fetched at */
	u16 nseg;	/* 0 with too_long */
	bool too_long;	/* more than DEVQ_SEGS_MAX segments */
	bool indirect;	/* through an indirect table */
	bool never;	/* never-complete: held until reset */
	u64 not_before; /* delay: not completed before this step */
	u32 readable;	/* bytes */
	u32 writable;
	u64 indir_phys; /* its indirect table (indir_len 0: none) */
	u32 indir_len;
	struct devq_seg seg[DEVQ_SEGS_MAX];
};

/* The device's side of one queue. */
struct devq {
	u16 size;	/* offered size (0: no such queue) */
	u16 last_avail; /* next avail entry to fetch */
	u16 used_idx;	/* the device's used idx */
	u16 signalled;	/* used idx at the last interrupt */
	bool irq_pending;
	struct devq_chain *held; /* [DEV_QSIZE_MAX], malloc'd, not zeroed */
	unsigned int nheld;
	u16 recent[DEVQ_RECENT]; /* completed heads, newest last */
	/* Per used ring slot: the writable bytes of the chain last completed
	 * there (note 8: a len above them is the illegal one). */
	u32 used_writable[DEV_QSIZE_MAX];
	unsigned int nrecent;
	/* Note 2: set by an illegal act, consumed by the world. */
	u32 expect_faults;
	bool expect_clamp;
	u64 clamped_before;
	bool illegal; /* an illegal act happened on this queue's ring */
	/* Note 8: it rewrote the driver's memory of this queue (avail idx,
	 * say) and fetches nothing more from it: what it would read there
	 * is its own doing, not the driver's. */
	bool scribbled;
	bool starved; /* the class deferred its last chain: no data yet */
	/* Note 5: the avail idx and the transport's kick count at the
	 * driver's previous kick, and after its latest add. */
	u16 kick_avail;
	u64 kicks_before;
	u64 fetched, completed, deferred;
};

/* Note 8: what a read of the ring touches (the b of an adversary event
 * of mid-read or mid-read-rewrite; c is the descriptor, slot or table
 * entry). Part of the trace format: append, never renumber. */
enum sim_read_region {
	SIM_READ_DESC = 0,    /* the driver's: the descriptor table, */
	SIM_READ_AVAIL_FLAGS, /* the avail ring */
	SIM_READ_AVAIL_IDX,
	SIM_READ_AVAIL_RING,
	SIM_READ_USED_EVENT, /* and used_event */
	SIM_READ_USED_FLAGS, /* the device's: the used ring */
	SIM_READ_USED_IDX,
	SIM_READ_USED_ID,
	SIM_READ_USED_LEN,
	SIM_READ_AVAIL_EVENT, /* and avail_event */
	SIM_READ_INDIRECT,    /* the driver's: a held chain's indirect table */
};

struct sim_device;

struct sim_device_class {
	const char *name;
	u32 device_id;
	unsigned int nqueues; /* 1 .. SIMT_MAX_QUEUES */
	u64 features;	      /* device-type feature bits it offers */
	/* Bit q: queue q holds receive buffers, which wait for data as
	 * long as the device has none to give (no stall, note 1). */
	u32 receive_queues;
	unsigned int config_size;
	/* Set up the class's state in d->priv; may draw choices. */
	int (*init)(struct sim_device *d);
	void (*fini)(struct sim_device *d);
	/* The device was reset: forget in-flight state. */
	void (*reset)(struct sim_device *d);
	/* Note 1: true when done (len = bytes written), false to defer. */
	bool (*process)(struct sim_device *d, unsigned int q,
			const struct devq_chain *c, u32 *len);
	void (*config_read)(struct sim_device *d, unsigned int offset,
			    void *buf, unsigned int len);
	void (*config_write)(struct sim_device *d, unsigned int offset,
			     const void *buf, unsigned int len);
	/* The device changes its config (a config-change event). */
	void (*config_change)(struct sim_device *d);
};

struct sim_device {
	const struct sim_device_class *cls;
	struct sim_env *env;
	struct adversary *adv;
	struct simt_transport *t;
	struct ringside_dm_ops ops;
	struct devq q[SIMT_MAX_QUEUES];
	void *priv; /* the class's state */
	bool refuse_features;
	bool needs_reset; /* DEVICE_NEEDS_RESET shown in status */
	bool lied;	  /* note 4 */
	bool stalled;	  /* it withheld work or interrupts: a stall is its */
	bool plant_stall; /* planted fault: never completes (oracle test) */
	bool plant_corrupt_data; /* planted: class flips a data byte */
	/* Planted for the proofs of `ringside check` (model/check), one
	 * requirement each; never set by the simulated world. */
	bool plant_no_indirect; /* block: indirect chains not served */
	/* block: split data gives IOERR; net: a frame whose header is not
	 * alone in the first descriptor is dropped; console: a message in
	 * several descriptors is dropped */
	bool plant_framing;
	bool plant_bad_status;	   /* block: status byte 3 */
	bool plant_flush_fails;	   /* block: FLUSH gives IOERR */
	bool plant_oob_success;	   /* block: reads past the end succeed */
	bool plant_net_header;	   /* net: received header of the other size */
	bool plant_write_indirect; /* writes into a served indirect table */
	bool plant_rx_offloads;	   /* net: NEEDS_CSUM and GSO_TCPV4 set */
	bool untrusted_driver;	   /* note 6 */
	bool mid_read;		   /* note 8: the world lets it act in reads */
	u64 driver_rules_broken;   /* note 6: rules the driver broke */
	u64 completed, bytes;
};

/* Prepares d for cls: features, queue sizes and hostile set-up drawn from
 * the choice source. ops of the transport is d->ops, ctx d. Returns 0 or
 * the class's init error. */
int sim_device_init(struct sim_device *d, const struct sim_device_class *cls,
		    struct sim_env *env, struct adversary *adv,
		    struct simt_transport *t);
void sim_device_fini(struct sim_device *d);
/* The device's turn: takes kicks, fetches, completes, misbehaves. */
void sim_device_step(struct sim_device *d);
/* Work it could do now: chains available, or held and not deferred
 * forever. */
bool sim_device_has_work(const struct sim_device *d);
/* Chains the driver waits for the device to complete: every outstanding
 * one except the buffers of starved receive queues (note 1). */
unsigned int sim_device_waiting(const struct sim_device *d);
/* Forgets everything in flight (as reset does). */
void sim_device_forget(struct sim_device *d);
/* Note 5: checks the ring right after the driver's call. */
void sim_device_observe(struct sim_device *d, unsigned int q,
			enum sim_call call, u64 result);
/* Note 7. Ready: the queue is healthy, every available chain is fetched
 * (the usual way) and no used entry waits for the driver. Take: the next
 * available chain, checked and completed at once; false when there is
 * none or the check failed. End: the kick state as if the burst's adds
 * had been checked. */
bool sim_device_burst_ready(struct sim_device *d, unsigned int qi);
/* Note 7: completes the chain at head, taken from avail, with len 0.
 * Inline, so that each copy of the burst's rounds (burst.h) has its own
 * with its own instrumentation. */
static inline void sim_device_burst_complete(struct devq *q, struct vring *vr,
					     u16 head)
{
	u16 slot = (u16)(q->used_idx % vr->num);

	WRITE_ONCE(vr->used->ring[slot].id, head);
	WRITE_ONCE(vr->used->ring[slot].len, 0);
	smp_wmb();
	q->used_idx++;
	WRITE_ONCE(vr->used->idx, q->used_idx);
	q->fetched++;
	q->completed++;
}
bool sim_device_burst_take(struct sim_device *d, unsigned int qi);
void sim_device_burst_end(struct sim_device *d, unsigned int qi);
/* Note 8: whether this run's behaviours let the device act in a read at
 * all (when not, the world need not hand it any read). */
bool sim_device_may_act_in_reads(const struct sim_device *d);
/* Note 8: the ring is about to read size bytes at addr. */
void sim_device_before_read(struct sim_device *d, const void *addr,
			    unsigned long size);
/* A config change (and its class's edit of the config). */
void sim_device_config_change(struct sim_device *d);

/* Data movement inside a validated chain (bytes from offset within the
 * readable, resp. writable, part). Return the bytes copied. */
u32 devq_read(const struct devq_chain *c, u32 offset, void *buf, u32 len);
u32 devq_write(const struct devq_chain *c, u32 offset, const void *buf,
	       u32 len);

/* The classes. */
extern const struct sim_device_class dev_entropy_class;
extern const struct sim_device_class dev_block_class;
extern const struct sim_device_class dev_console_class;
extern const struct sim_device_class dev_net_class;

#endif /* RINGSIDE_MODEL_DEVICE_H */
