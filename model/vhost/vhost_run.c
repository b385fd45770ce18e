/*
 * vhost_run.c - one cell: the unchanged workload driver against one
 * vhost-user back end (vhost.h).
 */
#define _GNU_SOURCE

#include "cell.h"
#include "proc.h"
#include "vhost.h"
#include "vhost_backend.h"
#include "vhost_transport.h"

#include "driver.h"
#include "world.h"

#include <linux/errno.h>
#include <linux/virtio_ids.h>
#include <ringside/shim.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CELL_DISK_BYTES (1u << 20)
/* Longest wait for a call between steps while requests are out. */
#define CELL_IDLE_WAIT_US 500
#define VIRTIO_ID_FS 26

_Static_assert(VHT_MAX_QUEUES <= CELL_MAX_QUEUES, "a cell notes every queue");

struct vhost_device_info {
	const char *name;
	u32 virtio_id;
	u32 config_len; /* asked with GET_CONFIG when CONFIG is offered */
	const struct wl_class *cls;
	const char *command, *program, *package;
	const char *serial; /* block: what GET_ID returns */
};

/* qemu-storage-daemon answers GET_ID with this serial (its vhost-user-blk
 * export has no way to set one). */
#define QSD_SERIAL "vhost_user_blk"

static const struct vhost_device_info devices[VHOST_DEV_COUNT] = {
	[VHOST_DEV_BLOCK] = {
		.name = "block",
		.virtio_id = VIRTIO_ID_BLOCK,
		.config_len = 24, /* capacity .. blk_size */
		.cls = &wl_block_class,
		.command = "qemu-storage-daemon --blockdev driver=file,"
			   "node-name=file0,filename=@DIR@/disk.img "
			   "--blockdev driver=raw,node-name=disk0,file=file0 "
			   "--export type=vhost-user-blk,id=exp0,"
			   "node-name=disk0,addr.type=unix,"
			   "addr.path=@SOCK@,writable=on",
		.program = "qemu-storage-daemon",
		.package = "qemu-system-common",
		.serial = QSD_SERIAL,
	},
	[VHOST_DEV_FS] = {
		.name = "fs",
		.virtio_id = VIRTIO_ID_FS,
		.config_len = 40, /* tag, num_request_queues */
		.cls = &wl_fs_class,
		.command = "/usr/lib/qemu/virtiofsd --socket-path=@SOCK@ "
			   "-o source=@DIR@/share -o cache=none "
			   "-o sandbox=chroot",
		.program = "/usr/lib/qemu/virtiofsd",
		.package = "qemu-system-common",
	},
	[VHOST_DEV_NET] = {
		.name = "net",
		.virtio_id = VIRTIO_ID_NET,
		.config_len = 0,
		.cls = &wl_net_class,
		/* Two lcores: the main one and one forwarding core, which
		 * busy-polls; no hugepages, no PCI, no shared files. */
		.command = "dpdk-testpmd -l 0-1 --no-huge --no-pci "
			   "--no-shconf -m 512 "
			   "--vdev net_vhost0,iface=@SOCK@,queues=1 -- "
			   "--forward-mode=io --port-topology=loop "
			   "--auto-start --nb-cores=1 --total-num-mbufs=4096",
		.program = "dpdk-testpmd",
		.package = "dpdk-dev",
	},
};

struct vhost_cell {
	struct cell core;
	const struct vhost_cell_config *cfg;
	const struct vhost_device_info *dev;
	struct vu_conn conn;
	struct vhb backend;
	bool started;	   /* a back end of ours */
	bool backend_died; /* ... and it exited during the cell */
	struct vht t;
	bool transport_ready, memory_ready;
};

int vhost_cell_backend_pid(const struct vhost_cell *cell)
{
	return cell->started ? (int)cell->backend.pid : 0;
}

const char *vhost_cell_backend_dir(const struct vhost_cell *cell)
{
	return cell->started ? cell->backend.dir : "";
}

struct vht *vhost_cell_transport(struct vhost_cell *cell)
{
	return &cell->t;
}

static void cell_observe(void *ctx, unsigned int q, enum sim_call call,
			 u64 result)
{
	struct vhost_cell *c = ctx;

	if (c->cfg->observe)
		c->cfg->observe(c->cfg->observe_ctx, c, q, call, result);
}

static void cell_before_add(void *ctx, unsigned int q,
			    const struct scatterlist *sg, unsigned int out,
			    unsigned int in)
{
	struct vhost_cell *c = ctx;

	if (c->cfg->before_add)
		c->cfg->before_add(c->cfg->observe_ctx, c, q, sg, out, in);
}

/* --- trouble with the back end --------------------------------------------- */

/* The back end of ours died, or the protocol failed: say which. */
static void backend_trouble(struct vhost_cell *c)
{
	char exitmsg[VHOST_ERROR_BYTES - 200];
	bool dead = c->started && !vhb_alive(&c->backend);

	if (cell_failed(&c->core))
		return;
	if (vhb_signal()) {
		cell_fail(&c->core, "interrupted by signal %d", vhb_signal());
		return;
	}
	if (!dead && !vu_failed(&c->conn))
		return;
	if (c->started && (dead || vhb_wait_exit(&c->backend, 200))) {
		c->backend_died = true;
		vhb_describe_exit(&c->backend, exitmsg, sizeof(exitmsg));
		cell_fail(&c->core, "the back end died during the run: %s",
			  exitmsg);
		return;
	}
	cell_fail(&c->core, "vhost-user: %s", c->conn.error);
}

/* --- the host side between steps --------------------------------------------- */

static void interrupts(struct vhost_cell *c)
{
	u32 hit = vht_poll_calls(&c->t);
	unsigned int q;
	irqreturn_t r;

	for (q = 0; q < c->t.nvqs; q++) {
		if (!(hit & (1u << q)))
			continue;
		r = vht_queue_interrupt(&c->t, q);
		sim_emit(&c->core.env, SIM_ACTOR_IRQ, SIM_EV_IRQ, (u16)q, q, r,
			 0);
		c->core.interrupts += r == IRQ_HANDLED;
	}
}

static struct vhost_cell *of(struct cell *core)
{
	return container_of(core, struct vhost_cell, core);
}

static void between_steps(struct cell *core)
{
	struct vhost_cell *c = of(core);
	unsigned int q;

	interrupts(c);
	for (q = 0; q < c->t.nvqs; q++)
		cell_note_queue(core, q, vht_used_idx(&c->t, q),
				c->t.queues[q].kicks);
	backend_trouble(c);
	if (c->cfg->on_step)
		c->cfg->on_step(c->cfg->on_step_ctx, c, core->env.step);
}

/* Wait for a call (the back end's interrupt), briefly. */
static void idle(struct cell *core)
{
	vht_wait_calls(&of(core)->t, CELL_IDLE_WAIT_US, -1);
}

static const struct cell_host vhost_host = { between_steps, idle };

/* --- set-up and teardown -------------------------------------------------------- */

static int connect_backend(struct vhost_cell *c)
{
	const struct vhost_cell_config *cfg = c->cfg;
	struct vhost_target t = {
		.device = cfg->device,
		.socket = cfg->socket,
		.command = cfg->command,
	};

	c->started = !cfg->socket;
	if (vhost_connect(&t, &c->backend, &c->conn, cfg->reply_ms, c->core.why,
			  sizeof(c->core.why)) == 0)
		return 0;
	return -EIO;
}

/* virtio-fs: the file the workload reads, in the shared folder. */
static int seed_share(struct vhost_cell *c)
{
	char path[VHB_PATH_BYTES + 64];
	u8 buf[WL_FS_FILE_BYTES];
	int fd;

	if (c->dev->virtio_id != VIRTIO_ID_FS || !c->started)
		return 0;
	wl_fs_pattern(buf, sizeof(buf), WL_FS_READ_SALT);
	vhb_path(&c->backend, "share/" WL_FS_READ_NAME, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		cell_fail(&c->core, "cannot write %s: %s", path,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	vhb_path(&c->backend, "share/" WL_FS_WRITE_NAME, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		cell_fail(&c->core, "cannot make %s: %s", path,
			  strerror(errno));
		return -EIO;
	}
	close(fd);
	return 0;
}

/* virtio-fs: the folder holds what the workload wrote last. */
static void check_share(struct vhost_cell *c)
{
	char path[VHB_PATH_BYTES + 64];
	u8 want[WL_FS_FILE_BYTES], got[WL_FS_FILE_BYTES + 1];
	u32 salt;
	ssize_t n;
	int fd;

	if (c->dev->virtio_id != VIRTIO_ID_FS || !c->started ||
	    cell_failed(&c->core) || !wl_fs_last_write(&c->core.drv, &salt))
		return;
	wl_fs_pattern(want, sizeof(want), salt);
	vhb_path(&c->backend, "share/" WL_FS_WRITE_NAME, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, got, sizeof(got)) : -1;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(want) || memcmp(got, want, sizeof(want)))
		cell_fail(&c->core,
			  "the shared folder's %s does not hold what the "
			  "workload wrote (%zd bytes read)",
			  WL_FS_WRITE_NAME, n);
}

static bool bind_device(struct vhost_cell *c)
{
	char err[VHOST_ERROR_BYTES - 100];
	int r;

	r = vht_init(&c->t, &c->conn, c->dev->virtio_id, c->dev->config_len, 0,
		     err, sizeof(err));
	c->memory_ready = c->t.mem != NULL;
	if (r) {
		backend_trouble(c);
		cell_fail(&c->core, "%s", err);
		return false;
	}
	c->transport_ready = true;
	if (seed_share(c))
		return false;
	if (wl_init(&c->core.drv, c->dev->cls, &c->core.env)) {
		cell_fail(&c->core, "cannot set up the %s workload",
			  c->dev->cls->name);
		return false;
	}
	c->core.drv.block_serial = c->dev->serial;
	c->core.driver_ready = true;
	if (wl_register(&c->core.drv)) {
		cell_fail(&c->core, "cannot register the %s driver",
			  c->dev->cls->name);
		return false;
	}
	sim_emit(&c->core.env, SIM_ACTOR_WORLD, SIM_EV_RUN_START, 0, 2,
		 c->t.vdev.config->get_features(&c->t.vdev),
		 sim_device_lookup(c->dev->name));
	r = register_virtio_device(&c->t.vdev);
	sim_emit(&c->core.env, SIM_ACTOR_WORLD, SIM_EV_PROBE, 0,
		 c->t.vdev.config->get_status(&c->t.vdev),
		 wl_bound(&c->core.drv), (u64)(s64)r);
	backend_trouble(c);
	if (!cell_failed(&c->core) && !wl_bound(&c->core.drv))
		cell_fail(&c->core,
			  "the %s driver did not bind to the back end "
			  "(register %d, status %#x%s%s)",
			  c->dev->cls->name, r,
			  c->t.vdev.config->get_status(&c->t.vdev),
			  c->core.last_log[0] ? ": " : "", c->core.last_log);
	return !cell_failed(&c->core);
}

static void teardown(struct vhost_cell *c)
{
	cell_last_batch_and_remove(&c->core, c->transport_ready);
	oracle_tokens_finish(&c->core.oracle);
	if (c->transport_ready)
		vht_destroy(&c->t);
	check_share(c);
	if (c->core.driver_ready)
		wl_fini(&c->core.drv);
	backend_trouble(c);
	sim_end_run(&c->core.env);
}

static void fill_result(struct vhost_cell *c, struct vhost_cell_result *r,
			double t_start)
{
	const struct cell *core = &c->core;

	r->bound = core->drv.binds > 0;
	r->completed = core->drv.completed;
	r->bytes = core->drv.bytes;
	r->data_checked = core->drv.data_checked;
	r->steps = core->env.step;
	r->events = event_log_count(core->env.log);
	r->event_hash = event_log_hash(core->env.log);
	r->choices = choice_draws(&core->cs);
	r->kicks = c->t.kicks;
	r->interrupts = core->interrupts;
	r->protocol_features = c->t.protocol;
	r->startup_ms = c->started ? c->backend.startup_ms : 0;
	r->setup_ms = c->t.setup_ms;
	r->run_ms = core->t0 > 0 ? proc_now_ms() - core->t0 : 0;
	r->total_ms = proc_now_ms() - t_start;
	r->rtt_samples = core->rtt_n;
	r->rtt_us = cell_rtt_us(core);
	r->messages = c->conn.requests;
	r->msg_us = c->conn.replies ? (double)c->conn.reply_ns / 1e3 /
					      (double)c->conn.replies
				    : 0;
	r->slowest_msg = c->conn.slowest_ns
				 ? vu_request_name(c->conn.slowest_req)
				 : NULL;
	r->slowest_us = (double)c->conn.slowest_ns / 1e3;
	r->signal = vhb_signal();
	r->backend_died = c->backend_died;
	r->passed =
		cell_verdict(core, r->message, sizeof(r->message), &r->oracle);
}

int vhost_run_cell(const struct vhost_cell_config *cfg,
		   struct vhost_cell_result *result)
{
	static struct vhost_cell cell;
	struct vhost_cell *c = &cell;
	double t_start = proc_now_ms();
	struct cell_limits lim;

	if (!cfg || !result || cfg->device >= VHOST_DEV_COUNT)
		return -EINVAL;
	memset(result, 0, sizeof(*result));
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->dev = &devices[cfg->device];
	c->conn.fd = -1;
	lim = (struct cell_limits){
		.requests = cfg->requests,
		.request_ms = cfg->request_ms,
		.timeout_ms = cfg->timeout_ms,
	};
	cell_begin(&c->core, &lim, cfg->seed, cfg->log);
	if (cfg->observe || cfg->before_add) {
		c->core.env.observe = cell_observe;
		c->core.env.before_add = cell_before_add;
		c->core.env.observe_ctx = c;
	}

	if (connect_backend(c) == 0) {
		if (bind_device(c))
			cell_run(&c->core, &vhost_host);
		teardown(c);
	}
	result->features = transport_features_u64(&c->t.vdev);
	fill_result(c, result, t_start);

	cell_end(&c->core);
	if (c->memory_ready)
		vht_free_memory(&c->t);
	vu_close(&c->conn);
	if (c->started)
		vhb_stop(&c->backend);
	return 0;
}

/* --- names ---------------------------------------------------------------------- */

const char *vhost_device_name(enum vhost_device d)
{
	return d < VHOST_DEV_COUNT ? devices[d].name : NULL;
}

enum vhost_device vhost_device_lookup(const char *name)
{
	unsigned int i;

	for (i = 0; i < VHOST_DEV_COUNT; i++)
		if (strcmp(devices[i].name, name) == 0)
			return (enum vhost_device)i;
	return VHOST_DEV_COUNT;
}

const char *vhost_builtin_command(enum vhost_device d)
{
	return d < VHOST_DEV_COUNT ? devices[d].command : NULL;
}

const char *vhost_builtin_program(enum vhost_device d)
{
	return d < VHOST_DEV_COUNT ? devices[d].program : NULL;
}

const char *vhost_builtin_package(enum vhost_device d)
{
	return d < VHOST_DEV_COUNT ? devices[d].package : NULL;
}

/* --- targets ---------------------------------------------------------------------- */

int vhost_target_parse(const char *rest, bool exec, struct vhost_target *t,
		       char *err, size_t errlen)
{
	const char *colon = strchr(rest, ':');
	size_t n = colon ? (size_t)(colon - rest) : strlen(rest);
	const char *kind = exec ? VHOST_KIND_EXEC : VHOST_KIND_SOCKET;
	char name[16];

	memset(t, 0, sizeof(*t));
	snprintf(name, sizeof(name), "%.*s", (int)(n < 15 ? n : 15), rest);
	t->device =
		n < sizeof(name) ? vhost_device_lookup(name) : VHOST_DEV_COUNT;
	if (t->device == VHOST_DEV_COUNT) {
		snprintf(err, errlen,
			 "%s: unknown device '%.*s' (block, fs or net; write "
			 "%s:DEVICE:%s)",
			 kind, (int)n, rest, kind, exec ? "COMMAND" : "SOCKET");
		return -EINVAL;
	}
	if (colon && !colon[1]) {
		snprintf(err, errlen, "%s: nothing after '%s:'", kind, name);
		return -EINVAL;
	}
	if (exec) {
		t->command = colon ? colon + 1 : NULL;
		return 0;
	}
	if (!colon) {
		snprintf(err, errlen,
			 "%s: no socket (write %s:%s:SOCKET; %s:%s starts "
			 "the built-in back end)",
			 kind, kind, name, VHOST_KIND_EXEC, name);
		return -EINVAL;
	}
	t->socket = colon + 1;
	return 0;
}

int vhost_target_ready(const struct vhost_target *t, char *err, size_t errlen)
{
	if (t->socket || t->command || vhb_have(devices[t->device].program))
		return 0;
	snprintf(err, errlen,
		 "%s is not installed; install it with: apt-get install -y "
		 "--no-install-recommends %s",
		 devices[t->device].program, devices[t->device].package);
	return -ENOENT;
}

int vhost_connect(const struct vhost_target *t, struct vhb *b,
		  struct vu_conn *conn, unsigned int reply_ms, char *err,
		  size_t errlen)
{
	const struct vhost_device_info *dev = &devices[t->device];
	struct vhb_options o;

	assert(t->device < VHOST_DEV_COUNT);
	if (t->socket) {
		if (vu_connect(conn, t->socket, reply_ms) == 0)
			return 0;
		snprintf(err, errlen, "%s", conn->error);
		return -EIO;
	}
	memset(&o, 0, sizeof(o));
	o.command = t->command ? t->command : dev->command;
	o.disk_bytes = dev->virtio_id == VIRTIO_ID_BLOCK ? CELL_DISK_BYTES : 0;
	o.share = dev->virtio_id == VIRTIO_ID_FS;
	if (vhb_start(b, &o, conn, reply_ms) == 0)
		return 0;
	snprintf(err, errlen, "%s", b->error);
	return -EIO;
}

u32 vhost_device_virtio_id(enum vhost_device d)
{
	assert(d < VHOST_DEV_COUNT);
	return devices[d].virtio_id;
}

u32 vhost_device_config_len(enum vhost_device d)
{
	assert(d < VHOST_DEV_COUNT);
	return devices[d].config_len;
}
