/*
 * robust.h - the malicious-driver robustness suite: a catalogue of cases,
 * each breaking one rule the virtio specification sets for drivers, run
 * one at a time against a device model, with a verdict per case.
 *
 * Notes:
 *
 * 1. The catalogue is data (cases.c): a stable id, the specification
 *    section (virtio 1.2 numbering) of the driver requirement it breaks,
 *    that requirement in one line, the reactions the specification
 *    allows a device, the device types and modes it applies to, and the
 *    function that stages it through the raw ring writer (rawring.h).
 *    Ids are never reused or renamed: reports and tests name them.
 *
 * 2. A case runs on a fresh instance of the target (rb_target.open):
 *      setup      the driver's side of initialisation (reset, ACKNOWLEDGE,
 *                 DRIVER, features, FEATURES_OK, queues, DRIVER_OK), as far
 *                 as the case asks; queues come from the transport's
 *                 find_vqs, and then only the raw writer touches them.
 *                 Net and console get receive buffers posted (receive.c).
 *      attack     the case writes its request and notifies. Before the
 *                 notify the suite copies every byte the device must not
 *                 write: the descriptor table, the avail ring, every
 *                 buffer the case exposed but the writable ones (which
 *                 are poisoned), the guard bytes between buffers.
 *      settle     the device runs (rb_port_ops.run) until it has answered
 *                 every head exposed, or the settle budget is spent.
 *      observe    FAIL when the target died, a protected byte changed, a
 *                 used entry names a head that was never exposed (or one
 *                 more often than exposed), or a used len exceeds the
 *                 writable bytes of the chain it names.
 *      honest     a short well-formed workload on the same instance (the
 *                 device's own request shape, rb_honest_*): it must
 *                 complete with a legal used entry and, for block, the
 *                 data written must read back. Cases that left the device
 *                 unconfigured (lifecycle cases, note 3) reset it first.
 *      revive     when the honest workload got no answer: reset, set up
 *                 anew, and try it once more.
 *
 * 3. Verdicts (enum rb_verdict):
 *      REJECT  the device refused cleanly: an error status, NEEDS_RESET,
 *              the request ignored, or completed harmlessly; the honest
 *              workload then worked (at once or after a reset).
 *      FAIL    it crashed or aborted, wrote where it must not (note 2),
 *              leaked memory outside the request into a reply (note 4),
 *              published an impossible used entry, or the honest workload
 *              came back wrong (corrupted data, a bad used entry).
 *      WEDGED  it is alive but the honest workload gets no answer, not
 *              even after a reset.
 *      SKIP    the case does not apply (device type, mode, a feature the
 *              device does not offer), with the reason.
 *
 * 4. Canaries (canary.c). Every byte of the case's memory that is not a
 *    buffer (the guard gaps around every buffer, and the rest) holds a
 *    canary byte that depends on its offset, and any RB_CANARY_WINDOW
 *    consecutive canary bytes name the offset they were written at. The
 *    payloads of the honest console and net requests carry them too. Any
 *    writable buffer that comes back holding a window from anywhere but a
 *    readable buffer of its own request is FAIL: the device read outside
 *    the request's buffers, or another request's memory, and leaked it
 *    into a reply. A copy of RB_CANARY_WINDOW bytes or more is seen
 *    wherever it starts; shorter ones cannot be told from random reply
 *    bytes. Every device type is checked (block's disk besides: sector 0
 *    must still read zeros).
 *
 * 5. Deterministic targets (sim, in-process plug-ins) give the same
 *    report for the same seed: nothing here reads the clock; a target's
 *    run() counts steps. Third-party targets (QEMU) run on their own
 *    clock: their adapter turns the budget into a wall-clock wait.
 */
#ifndef RINGSIDE_MODEL_ROBUST_ROBUST_H
#define RINGSIDE_MODEL_ROBUST_ROBUST_H

#include "rawring.h"

#include <linux/virtio.h>
#include <stddef.h>

#define RB_MAX_QUEUES 4
#define RB_WHY_BYTES 240
#define RB_MAX_RANGES 64
#define RB_MAX_HEADS 8
/* Bytes of a case's scratch memory (its buffers and the guards around
 * them), and of the canary window that names where a copy came from. */
#define RB_SCRATCH_MAX (64u << 10)
#define RB_CANARY_WINDOW 6u
/* Events a case's log keeps (the rest are counted and hashed only). */
#define RB_EVENTS_MAX (1u << 16)

enum rb_verdict { RB_REJECT = 0, RB_FAIL, RB_WEDGED, RB_SKIP, RB_VERDICTS };

/* Device types a case applies to (bit per type). */
#define RB_DEV_NET (1u << 0)
#define RB_DEV_BLOCK (1u << 1)
#define RB_DEV_CONSOLE (1u << 2)
#define RB_DEV_ENTROPY (1u << 3)
#define RB_DEV_FS (1u << 4) /* virtio-fs (type 26): vhost-user back ends */
#define RB_DEV_ALL                                                             \
	(RB_DEV_NET | RB_DEV_BLOCK | RB_DEV_CONSOLE | RB_DEV_ENTROPY |         \
	 RB_DEV_FS)

/* What a case needs of the device. */
#define RB_NEED_INDIRECT (1u << 0) /* INDIRECT_DESC offered */
#define RB_NEED_MODERN (1u << 1)   /* a 1.x transport (FEATURES_OK) */
#define RB_NEED_QUEUES2 (1u << 2)  /* a second queue exists */

struct rb_port;

/* --- the target: how one fresh instance is made and driven ------------- */

struct rb_port_ops {
	/* The device's view of queue q after find_vqs, NULL when none. */
	struct vring *(*vring)(void *ctx, unsigned int q);
	/* A notification for queue index q, any value: a raw register
	 * write, not the ring's notify. */
	void (*notify)(void *ctx, unsigned int q);
	/* Lets the device work for a budget of rb_port.run_units (steps
	 * for simulated targets, milliseconds for third-party ones), or
	 * until done(arg) says enough. */
	void (*run)(void *ctx, unsigned int budget, bool (*done)(void *arg),
		    void *arg);
	/* False once the device died (a third-party process exited); why
	 * is then filled in. */
	bool (*alive)(void *ctx, char *why, size_t n);
};

struct rb_port {
	const struct rb_port_ops *ops;
	void *ctx;
	struct virtio_device *vdev; /* its config ops: status, features, vqs */
	u32 device_id;		    /* VIRTIO_ID_* */
	bool modern;		    /* 1.x transport */
	u64 guest_end;		    /* first guest-physical address past RAM */
	unsigned int settle_budget; /* run() budget after an attack */
	unsigned int answer_budget; /* run() budget for an honest request */
	/* Notifications can only name a queue that is set up (vhost-user:
	 * an eventfd per queue): the cases that notify another are SKIP. */
	bool notify_named_queues_only;
	/* The device has no status of its own (vhost-user: the status byte
	 * is the front end's, queues start when it sets them up): the
	 * cases about DRIVER_OK and FEATURES_OK are SKIP. */
	bool no_device_status;
};

struct rb_target {
	const char *name; /* e.g. "sim:block,modern" */
	bool deterministic;
	bool modern; /* its instances have a 1.x transport */
	/* Makes a fresh instance (the arena included) and fills port.
	 * Returns 0, or a negative errno with a message in err: a target
	 * that cannot start is a setup error, not a verdict. */
	int (*open)(const struct rb_target *t, u64 seed, struct rb_port *port,
		    char *err, size_t n);
	void (*close)(const struct rb_target *t, struct rb_port *port);
	const void *arg; /* the target's own description */
};

/* --- the catalogue (note 1) -------------------------------------------- */

struct rb_case_ctx;

struct rb_case {
	const char *id;
	const char *section; /* virtio 1.2 */
	const char *rule;    /* the driver requirement broken */
	const char *allowed; /* the reactions the specification allows */
	u32 devices;	     /* RB_DEV_* */
	u32 needs;	     /* RB_NEED_* */
	bool reinit;	     /* the honest workload needs a reset first */
	/* Stages the case: returns 0, or 1 with ctx->why set when it does
	 * not apply to this instance (SKIP). */
	int (*stage)(struct rb_case_ctx *ctx);
};

extern const struct rb_case rb_cases[];
extern const unsigned int rb_ncases;
const struct rb_case *rb_case_lookup(const char *id);
u32 rb_device_bit(u32 virtio_id);

/* --- what a case sees while it stages itself --------------------------- */

/* A guest range the case exposed: writable ones the device may write. */
struct rb_range {
	u64 phys;
	u32 len;
	bool writable;
	bool receive; /* a receive buffer: may hold what any request sent */
	unsigned int request; /* rb_case_ctx.request when it was made */
};

/* The receive queue (queue 0) of net and console (receive.c): buffers
 * kept posted so that what the device delivers (the frames and bytes
 * that come back from the outside) is checked like any reply. */
#define RB_RX_BUFFERS 2
#define RB_RX_BYTES 256u
struct rb_rx {
	struct rr_ring ring;	     /* vr.num 0: no receive queue */
	bool pending[RB_RX_BUFFERS]; /* head i posted, not yet answered */
};

struct event_log;

struct rb_case_ctx {
	struct rb_port *port;
	/* What the front end did and saw (model/devices.h SIM_EV_FRONT_*,
	 * step: request below); recorded with a FAIL or WEDGED case. */
	struct event_log *log;
	const struct rb_case *kase;
	struct rr_ring ring;  /* the request queue's raw writer */
	struct rb_rx rx;      /* the receive queue's, net and console */
	unsigned int queue;   /* index of the request queue */
	unsigned int nqueues; /* queues set up */
	u64 features;	      /* negotiated */
	u8 *scratch;	      /* buffers of the case, in guest memory */
	u64 scratch_phys;
	size_t scratch_bytes, scratch_used;
	struct rb_range ranges[RB_MAX_RANGES];
	unsigned int nranges;
	u16 heads[RB_MAX_HEADS]; /* heads exposed, each once here */
	u32 head_writable[RB_MAX_HEADS];
	unsigned int head_count[RB_MAX_HEADS]; /* answers still allowed */
	unsigned int nheads;
	unsigned int exposed; /* answers expected in all */
	unsigned int request; /* 0: the attack; each honest request one more */
	bool notified;
	bool setup_done; /* the case did its own setup (lifecycle cases) */
	unsigned int received; /* receive used entries read, every phase */
	char why[RB_WHY_BYTES];
};

/* Helpers for stage functions (run.c). */
/* A buffer of len bytes in scratch, 16-byte aligned, with a guard gap
 * after it; poisoned (writable) or filled with fill (readable). Its
 * guest-physical address, or 0 when scratch is full. */
u64 rb_buf(struct rb_case_ctx *c, u32 len, bool writable, u8 fill);
void *rb_ptr(struct rb_case_ctx *c, u64 phys);
/* Canary bytes (note 4) over [phys, phys + len): payload whose bytes the
 * device must not copy into another request. */
void rb_canary_fill(struct rb_case_ctx *c, u64 phys, u32 len);
/* The scratch offset the RB_CANARY_WINDOW bytes at p were written at as
 * canaries, or SIZE_MAX when they are not a canary window. */
size_t rb_canary_source(const struct rb_case_ctx *c, const u8 *p);
/* The buffer at phys is from now on one the device must not write. */
void rb_range_readable(struct rb_case_ctx *c, u64 phys);
/* A head the device may answer, with the writable bytes of its chain
 * (the bound for a used len). */
void rb_expose(struct rb_case_ctx *c, u16 head, u32 writable);
/* The same head made available times times. */
void rb_expose_n(struct rb_case_ctx *c, u16 head, u32 writable,
		 unsigned int times);
/* Lets the device answer what is exposed (the answer budget). */
void rb_wait_answer(struct rb_case_ctx *c);
/* Forgets the heads exposed so far: from now on any answer to them is
 * an answer to nothing (after a reset). */
void rb_forget(struct rb_case_ctx *c);
/* A block request (type, sector; 512 data bytes unless FLUSH) at first;
 * returns its descriptor count, 0 when out of scratch. */
unsigned int rb_block_chain(struct rb_case_ctx *c, u16 first, u32 type,
			    u64 sector, u8 fill, u32 *writable);
/* Puts head into the avail ring, publishes and notifies the request
 * queue. */
void rb_submit(struct rb_case_ctx *c, u16 head);
void rb_notify(struct rb_case_ctx *c, unsigned int q);
/* A notification of queue q, logged, nothing else (rb_notify also takes
 * the phase's snapshot first). */
void rb_notify_device(struct rb_case_ctx *c, unsigned int q);
/* A SIM_EV_FRONT_* event of the case's log at its phase. */
void rb_event(struct rb_case_ctx *c, u16 kind, unsigned int q, u64 a, u64 b);
/* The request of this device type, well formed, as descriptors from
 * first (first .. first + n - 1, chained), writable bytes out; returns
 * the number of descriptors (block: 3, virtio-fs: 2, a FUSE INIT; others:
 * 1), 0 when out of scratch. Fields: the block type and sector. */
unsigned int rb_honest_chain(struct rb_case_ctx *c, u16 first, u32 *writable);
/* Setup pieces for lifecycle cases (note 2). */
void rb_setup_begin(struct rb_case_ctx *c);	       /* reset, ACK, DRIVER */
int rb_setup_features(struct rb_case_ctx *c, bool ok); /* + FEATURES_OK */
int rb_setup_queues(struct rb_case_ctx *c, unsigned int nqueues);
void rb_setup_driver_ok(struct rb_case_ctx *c);
void rb_device_reset(struct rb_case_ctx *c);
/* The receive queue (receive.c): rb_rx_start after set-up posts
 * RB_RX_BUFFERS buffers when the device has one; rb_rx_refill posts
 * again those answered; rb_rx_check reads the used entries (each must
 * name a head posted and unanswered, with a len within its buffer:
 * false with why otherwise); rb_rx_wait lets the device deliver. */
void rb_rx_start(struct rb_case_ctx *c);
void rb_rx_refill(struct rb_case_ctx *c);
bool rb_rx_check(struct rb_case_ctx *c, char *why);
void rb_rx_wait(struct rb_case_ctx *c);
/* The device's request queue for this type and its layout constants. */
unsigned int rb_request_queue(u32 virtio_id);
u32 rb_net_hdr_len(const struct rb_case_ctx *c);

/* --- results ------------------------------------------------------------ */

struct rb_result {
	const struct rb_case *kase;
	enum rb_verdict verdict;
	char why[RB_WHY_BYTES];	     /* the evidence, one line */
	char reaction[RB_WHY_BYTES]; /* what the device did (REJECT) */
	u64 seed;		     /* the case's own seed */
	bool needs_reset;	     /* NEEDS_RESET seen after the attack */
	unsigned int used_seen;	     /* used entries the attack got */
	unsigned int received;	     /* receive buffers the device filled */
	u64 event_hash;		     /* of the case's event log */
	s64 run; /* FAIL, WEDGED: its run in the trace store; 0: none */
};

struct rb_report {
	const char *target;
	u64 seed;
	unsigned int counts[RB_VERDICTS];
	struct rb_result results[64];
	unsigned int nresults;
};

struct rb_options {
	u64 seed;
	const char *only; /* comma-separated ids, NULL: every case */
	/* Each case in a child process (crashes become that case's FAIL;
	 * needed for in-process device models that may crash or hang). */
	bool isolate;
	unsigned int isolate_timeout_ms; /* 0: 20000 */
	/* Called after each case with what its front end did and saw
	 * (NULL for a case in a child process); may set r->run. */
	void (*record)(void *ctx, struct rb_result *r,
		       const struct event_log *events);
	void *record_ctx;
	/* Progress: called after each case. */
	void (*progress)(void *ctx, const struct rb_result *r);
	void *progress_ctx;
};

/* Runs one case on a fresh instance of the target. Returns 0, or a
 * negative errno (with r->why) when the target could not start. events
 * (may be NULL) gets the case's log, the caller's to free. */
int rb_run_case(const struct rb_target *t, const struct rb_case *kase, u64 seed,
		struct rb_result *r, struct event_log *events);
/* rb_run_case in a child process (isolate.c): a crash is the case's FAIL,
 * a child that does not finish in timeout_ms is killed and WEDGED. */
int rb_run_case_isolated(const struct rb_target *t, const struct rb_case *kase,
			 u64 seed, unsigned int timeout_ms,
			 struct rb_result *r);
/* Runs every (selected) case. Returns 0, -EINVAL for an unknown id in
 * only (named in report->results[0].why), or a target's setup error. */
int rb_run(const struct rb_target *t, const struct rb_options *opt,
	   struct rb_report *report, char *err, size_t n);

const char *rb_verdict_name(enum rb_verdict v);
struct sim_event;
/* What a SIM_EV_FRONT_* event says (timeline.c); false for other kinds. */
bool rb_event_text(const struct sim_event *ev, char *buf, size_t n);
const char *rb_device_names(u32 devices, char *buf, size_t n);

/* --- in-process targets (inproc.c) --------------------------------------- */

struct sim_env;
struct simt_transport;
struct ringside_dm_ops;

/*
 * A device model that runs in this process over the simulated transport
 * (sim_transport.h): our simulated devices, or a plug-in. create() makes
 * the device and names its ops (at a stable address); attach() finishes
 * it once the transport exists; step() is its turn (the scheduler's
 * call, as in the world); destroy() frees it. Notifications reach the
 * device model's notify() on its next run, for any queue index.
 */
struct rb_inproc {
	const char *name;
	u32 device_id;
	bool modern;
	int (*create)(const struct rb_inproc *ip, struct sim_env *env,
		      const struct ringside_dm_ops **ops, void **dev);
	int (*attach)(const struct rb_inproc *ip, void *dev,
		      struct simt_transport *t);
	void (*step)(void *dev);
	void (*destroy)(void *dev);
	const void *arg;
};

void rb_inproc_target(const struct rb_inproc *ip, struct rb_target *t);
/* Our simulated devices: "sim:DEVICE[,legacy|modern]" (modern when not
 * said). Returns 0 or -EINVAL with a message. */
int rb_sim_target(const char *spec, struct rb_inproc *ip, struct rb_target *t,
		  char *err, size_t n);

/* A device model in a shared library: "lib:PATH[,OPTIONS]" (plugin.c),
 * loaded by the loader of `ringside check`, modern transport. Returns 0
 * or a negative errno with a message; rb_lib_target_close unloads it
 * once the suite is done. Run its cases isolated (rb_options.isolate):
 * the plug-in may crash. */
int rb_lib_target(const char *spec, struct rb_inproc *ip, struct rb_target *t,
		  char *err, size_t n);
void rb_lib_target_close(struct rb_inproc *ip);

/* QEMU's devices over qtest: "qemu:DEVICE[,legacy|modern]" (qemu_target.c).
 * Returns 0, -EINVAL (bad spec) or -ENOENT (QEMU not installed), with a
 * message. */
int rb_qemu_target(const char *spec, struct rb_target *t, char *err, size_t n);

/* vhost-user back ends: "vhost-user:DEVICE:SOCKET" or
 * "vhost-user-exec:DEVICE[:COMMAND]" (vhost_target.c, the syntax of
 * model/vhost/vhost.h). Returns 0, -EINVAL (bad spec) or -ENOENT (a
 * built-in back end not installed), with a message. */
int rb_vhost_target(const char *spec, struct rb_target *t, char *err, size_t n);

#endif /* RINGSIDE_MODEL_ROBUST_ROBUST_H */
