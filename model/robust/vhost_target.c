/*
 * vhost_target.c - vhost-user back ends as robustness targets
 * ("vhost-user:DEVICE:SOCKET", "vhost-user-exec:DEVICE[:COMMAND]", the
 * syntax of model/vhost/vhost.h): each case gets its own session (and,
 * for vhost-user-exec, its own back end, started by the launcher of
 * vhost_backend.h and stopped after the case with its files), guest
 * memory in a memfd made the arena (vhost_transport.h), and the raw
 * writer on the queues the transport's find_vqs set up.
 *
 * A notification is a write to the queue's kick eventfd: vhost-user has
 * one per queue set up and no way to name another, so the cases that
 * notify a queue that does not exist are SKIP here, and so are those
 * about DRIVER_OK and FEATURES_OK: the status byte is the front end's
 * own (vhost_transport.h note 2). A back end that
 * drops the session after an attack shows NEEDS_RESET (vhost-user has no
 * status register: a closed connection is how a back end refuses a
 * device); the reset then makes a new session on the same back end, as
 * QEMU reconnects (vhost_transport.h note 7). A back end of ours that
 * exits is the case's FAIL, with its exit status and the tail of its
 * stderr.
 *
 * The back end runs on its own clock: budgets are milliseconds of wall
 * time (the one use of the clock here), and reports are not functions of
 * the seed.
 */
#define _GNU_SOURCE

#include "proc.h"
#include "robust.h"

#include "vhost.h"
#include "vhost_backend.h"
#include "vhost_transport.h"

#include <linux/errno.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VT_SETTLE_MS 150
#define VT_ANSWER_MS 1000
#define VT_WAIT_US 200
#define VT_SPEC_BYTES 2048

struct vt_desc {
	struct vhost_target target;
	char spec[VT_SPEC_BYTES];
};

struct vt_state {
	const struct vt_desc *desc;
	struct vu_conn conn;
	struct vhb backend;
	bool started; /* a back end of ours */
	struct vht t;
	bool transport_ready;
};

static struct vt_state vstate;
static struct vt_desc vdesc;

static struct vring *vt_vring(void *ctx, unsigned int q)
{
	struct vt_state *s = ctx;

	if (q >= s->t.nvqs || !s->t.queues[q].vq)
		return NULL;
	return &s->t.queues[q].vring;
}

/* The kick eventfd of queue q, when the back end has one for it. */
static void vt_notify(void *ctx, unsigned int q)
{
	struct vt_state *s = ctx;
	u64 one = 1;

	if (q >= s->t.nvqs || s->t.queues[q].kick_fd < 0)
		return;
	if (write(s->t.queues[q].kick_fd, &one, sizeof(one)) < 0)
		(void)0; /* a full counter: the kick is pending anyway */
}

static void vt_run(void *ctx, unsigned int budget, bool (*done)(void *),
		   void *arg)
{
	struct vt_state *s = ctx;
	double end = proc_now_ms() + budget;

	for (;;) {
		/* The raw writer asks for no interrupt: calls are drained
		 * so that the back end never finds a full counter. */
		vht_poll_calls(&s->t);
		if (done && done(arg))
			return;
		if (proc_now_ms() >= end || vhb_signal() ||
		    (s->started && !vhb_alive(&s->backend)))
			return;
		vht_wait_calls(&s->t, VT_WAIT_US, -1);
	}
}

static bool vt_alive(void *ctx, char *why, size_t n)
{
	struct vt_state *s = ctx;

	/* A closed session is a refusal (NEEDS_RESET), not a death. */
	if (!s->started || vhb_alive(&s->backend))
		return true;
	vhb_describe_exit(&s->backend, why, n);
	return false;
}

static const struct rb_port_ops vt_ops = {
	.vring = vt_vring,
	.notify = vt_notify,
	.run = vt_run,
	.alive = vt_alive,
};

/* vhost_transport.h note 7: the same back end, a new session. */
static int vt_reconnect(void *ctx, struct vu_conn *conn)
{
	struct vt_state *s = ctx;
	const char *path =
		s->started ? s->backend.sock : s->desc->target.socket;
	unsigned int timeout = conn->timeout_ms;

	vu_close(conn);
	if (s->started && !vhb_alive(&s->backend))
		return -ECHILD;
	return vu_connect(conn, path, timeout);
}

static void vt_free(struct vt_state *s)
{
	if (s->transport_ready)
		vht_destroy(&s->t);
	s->transport_ready = false;
	if (s->t.mem)
		vht_free_memory(&s->t);
	vu_close(&s->conn);
	if (s->started)
		vhb_stop(&s->backend);
	s->started = false;
}

static int vt_open(const struct rb_target *t, u64 seed, struct rb_port *port,
		   char *err, size_t n)
{
	struct vt_state *s = &vstate;
	enum vhost_device d;
	int e;

	(void)seed;
	memset(s, 0, sizeof(*s));
	s->desc = t->arg;
	s->conn.fd = -1;
	d = s->desc->target.device;
	if (vhb_signal()) {
		snprintf(err, n, "interrupted by signal %d", vhb_signal());
		return -EINTR;
	}
	s->started = !s->desc->target.socket;
	e = vhost_connect(&s->desc->target, &s->backend, &s->conn, 0, err, n);
	if (!e)
		e = vht_init(&s->t, &s->conn, vhost_device_virtio_id(d),
			     vhost_device_config_len(d), 0, err, n);
	if (e) {
		vt_free(s);
		return e;
	}
	s->transport_ready = true;
	vht_set_reconnect(&s->t, vt_reconnect, s);
	port->ops = &vt_ops;
	port->ctx = s;
	port->vdev = &s->t.vdev;
	port->device_id = vhost_device_virtio_id(d);
	port->modern = true;
	port->notify_named_queues_only = true;
	port->no_device_status = true;
	port->guest_end = VHT_PHYS_BASE + (u64)VHT_MEM_BYTES;
	port->settle_budget = VT_SETTLE_MS;
	port->answer_budget = VT_ANSWER_MS;
	return 0;
}

static void vt_close(const struct rb_target *t, struct rb_port *port)
{
	(void)t;
	vt_free(port->ctx);
}

int rb_vhost_target(const char *spec, struct rb_target *t, char *err, size_t n)
{
	size_t ns = strlen(VHOST_KIND_SOCKET ":");
	size_t ne = strlen(VHOST_KIND_EXEC ":");
	bool exec = !strncmp(spec, VHOST_KIND_EXEC ":", ne);
	int e;

	if (!exec && strncmp(spec, VHOST_KIND_SOCKET ":", ns)) {
		snprintf(err, n, "\"%s\" is not a vhost-user target", spec);
		return -EINVAL;
	}
	if (strlen(spec) >= sizeof(vdesc.spec)) {
		snprintf(err, n, "the target is too long (%zu bytes)",
			 strlen(spec));
		return -EINVAL;
	}
	memset(&vdesc, 0, sizeof(vdesc));
	strcpy(vdesc.spec, spec);
	e = vhost_target_parse(vdesc.spec + (exec ? ne : ns), exec,
			       &vdesc.target, err, n);
	if (!e)
		e = vhost_target_ready(&vdesc.target, err, n);
	if (e)
		return e;
	memset(t, 0, sizeof(*t));
	t->name = spec;
	t->deterministic = false;
	t->modern = true; /* vhost-user devices are 1.x */
	t->open = vt_open;
	t->close = vt_close;
	t->arg = &vdesc;
	return 0;
}
