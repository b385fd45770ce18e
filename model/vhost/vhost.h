/*
 * vhost.h - vhost-user back ends as targets: one "cell" runs an
 * unchanged workload driver against one back end, through the vhost-user
 * front end (vhost_user.h, vhost_transport.h), with the back end either
 * started by us (vhost-user-exec:COMMAND, vhost_backend.h) or started by
 * someone else (vhost-user:SOCKET).
 *
 * A cell: start or connect, make guest memory the arena, register the
 * workload driver and the device through the production registry, then a
 * loop of driver steps (wl_step, every decision from the seeded choice
 * source) with the call eventfds read between them and answered with
 * vring_interrupt. The back end keeps its own time, so progress is
 * judged by wall time: no completion for request_ms with requests out
 * is a request timeout, and the whole cell has its timeout. A cell
 * passes when the driver bound, completed the requests asked for with
 * data verified, no oracle fired, the teardown was clean, and (virtio-fs)
 * the file the workload wrote holds in the shared folder what it wrote.
 *
 * The built-in back ends (vhost_builtin_command): qemu-storage-daemon
 * exporting a raw image as vhost-user-blk, virtiofsd sharing a folder,
 * dpdk-testpmd with the vhost PMD forwarding every frame back.
 *
 * Like the QEMU stage, these files read the clock for timeouts and the
 * numbers they report, and never put a time into an event.
 */
#ifndef RINGSIDE_MODEL_VHOST_H
#define RINGSIDE_MODEL_VHOST_H

#include "devices.h"
#include "event_log.h"

#include <linux/types.h>

#define VHOST_ERROR_BYTES 1024

enum vhost_device {
	VHOST_DEV_BLOCK = 0,
	VHOST_DEV_FS,
	VHOST_DEV_NET,
	VHOST_DEV_COUNT
};

struct vhost_cell;
struct vht;

struct vhost_cell_config {
	enum vhost_device device;
	/* vhost-user:SOCKET: connect to a back end someone started; else
	 * vhost-user-exec: start command (NULL: the built-in one), where
	 * @SOCK@ is the socket and @DIR@ the back end's directory (with
	 * disk.img for block, share/ for fs). */
	const char *socket;
	const char *command;
	u64 seed;		 /* the driver's choice source */
	u64 requests;		 /* completions wanted; 0: 20 */
	unsigned int timeout_ms; /* the whole cell; 0: 20000 */
	unsigned int request_ms; /* no completion for this long: timed
				  * out; 0: 3000 */
	unsigned int reply_ms;	 /* each vhost-user reply; 0: 3000 */
	struct event_log *log;	 /* optional: also store events here */
	/* For tests: runs after every scheduler step. */
	void (*on_step)(void *ctx, struct vhost_cell *cell, u64 step);
	void *on_step_ctx;
	/* Optional: told of every call the driver makes on a queue right
	 * after it, and of every chain's buffers right before it is added
	 * (sim_env's observe and before_add; ringside check watches the
	 * rings). */
	void (*observe)(void *ctx, struct vhost_cell *cell, unsigned int q,
			enum sim_call call, u64 result);
	void (*before_add)(void *ctx, struct vhost_cell *cell, unsigned int q,
			   const struct scatterlist *sg, unsigned int out,
			   unsigned int in);
	void *observe_ctx;
};

struct vhost_cell_result {
	bool passed;
	char message[VHOST_ERROR_BYTES]; /* why it failed, "" on pass */
	const char *oracle; /* the oracle that fired, NULL if none did */
	bool bound;
	u64 features, protocol_features; /* negotiated */
	u64 completed, bytes, data_checked;
	u64 steps, events, event_hash, choices;
	u64 kicks, interrupts;
	double startup_ms; /* exec to connected (0 for vhost-user:) */
	double setup_ms;   /* connected to ready: features, memory, config */
	double run_ms, total_ms;
	double rtt_us; /* mean kick-to-completion time */
	u64 rtt_samples;
	u64 messages;		 /* vhost-user requests sent */
	double msg_us;		 /* mean vhost-user reply wait */
	const char *slowest_msg; /* the request with the longest wait */
	double slowest_us;
	int signal;	   /* SIGINT/SIGTERM that ended it, 0 */
	bool backend_died; /* a back end we started exited during the cell */
};

/* Runs one cell. Returns 0 with the verdict in result, or -EINVAL for
 * bad arguments. Owns the shim while it runs, like sim_run. */
int vhost_run_cell(const struct vhost_cell_config *cfg,
		   struct vhost_cell_result *result);

/* For the on_step hook: the pid of the back end we started (0: none). */
int vhost_cell_backend_pid(const struct vhost_cell *cell);
/* Its directory ("" when none). */
const char *vhost_cell_backend_dir(const struct vhost_cell *cell);
/* The transport (queues, negotiated features), for the hooks. */
struct vht *vhost_cell_transport(struct vhost_cell *cell);

const char *vhost_device_name(enum vhost_device d);
/* VHOST_DEV_COUNT for an unknown name. */
enum vhost_device vhost_device_lookup(const char *name);
/* The built-in back end of a device, and the program it needs. */
const char *vhost_builtin_command(enum vhost_device d);
const char *vhost_builtin_program(enum vhost_device d);
/* The Debian package that has it. */
const char *vhost_builtin_package(enum vhost_device d);

/*
 * A vhost-user target as every command writes it (ringside vhost --target,
 * ringside check, ringside check --robustness):
 *
 *   vhost-user:DEVICE:SOCKET          a back end someone started
 *   vhost-user-exec:DEVICE[:COMMAND]  one we start (@SOCK@, @DIR@ as in
 *                                     vhost_cell_config); without
 *                                     COMMAND the built-in back end
 *
 * DEVICE is block, fs or net: vhost-user does not say what a back end
 * is, so the target does.
 */
#define VHOST_KIND_SOCKET "vhost-user"
#define VHOST_KIND_EXEC "vhost-user-exec"

struct vhost_target {
	enum vhost_device device;
	const char *socket;  /* vhost-user: (points into the text parsed) */
	const char *command; /* vhost-user-exec: NULL for the built-in */
};

/* Parses what follows "KIND:" (exec: the kind is vhost-user-exec).
 * Returns 0, or -EINVAL with the reason in err. */
int vhost_target_parse(const char *rest, bool exec, struct vhost_target *t,
		       char *err, size_t errlen);
struct vhb;
struct vu_conn;
/* Connects conn to the target's back end: vhost-user: connects to its
 * socket; vhost-user-exec: starts it in b (vhost_backend.h), with the
 * disk image (block) or shared folder (fs) its device needs, and
 * connects. Returns 0, or a negative errno with the reason in err
 * (nothing left behind). */
int vhost_connect(const struct vhost_target *t, struct vhb *b,
		  struct vu_conn *conn, unsigned int reply_ms, char *err,
		  size_t errlen);
/* The virtio device id of a device, and the config space it reads. */
u32 vhost_device_virtio_id(enum vhost_device d);
u32 vhost_device_config_len(enum vhost_device d);
/* Whether the target can start: a built-in back end's program must be
 * installed (-ENOENT, with the package to install, in err). */
int vhost_target_ready(const struct vhost_target *t, char *err, size_t errlen);

#endif /* RINGSIDE_MODEL_VHOST_H */
