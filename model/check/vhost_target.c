/*
 * vhost_target.c - the vhost-user target kinds: a vhost-user back end
 * driven through the vhost-user front end (model/vhost/vhost.h), one
 * session per case, with the watch of watch.h on the rings of our
 * driver.
 *
 *   vhost-user:DEVICE:SOCKET          a back end someone started; every
 *                                     case connects anew
 *   vhost-user-exec:DEVICE[:COMMAND]  a back end we start per case and
 *                                     stop after it (files removed);
 *                                     no COMMAND: the built-in one
 *
 * DEVICE: block, fs or net. vhost-user devices are 1.x devices: every
 * case runs modern.
 *
 * Unlike QEMU's devices, writable buffers are poisoned before the ring
 * publishes them (sim_env's before_add): a back end that polls its rings
 * (DPDK) may fill a receive buffer the moment it is published, and one
 * that works through a batch may take a buffer added meanwhile.
 *
 * Limits (SKIP with the reason): the back end runs on its own threads,
 * so the interrupt rule is not checked; vhost-user has no status
 * register (the status byte is the front end's) and no queue sizes of
 * the device (the front end sets them), so the reset, FEATURES_OK and
 * queue-size entries have nothing to observe. A back end we started that
 * exits during a case fails dev.survives with its exit status and the
 * tail of its stderr. Runs are not deterministic.
 */
#include "check.h"
#include "vhost.h"
#include "vhost_backend.h"
#include "vhost_transport.h"
#include "watch.h"

#include <errno.h>
#include <linux/bitops.h>
#include <linux/virtio_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VT_REQUESTS 40
#define VT_SEEDS_DEFAULT 4

struct vhost_check_target {
	struct vhost_target vt;
};

struct vhost_case {
	struct check_watch w;
	struct vhost_cell *cell;
	bool identity_done;
};

static struct vht *vt_transport(void *ctx)
{
	return vhost_cell_transport(((struct vhost_case *)ctx)->cell);
}

static unsigned int v_nvqs(void *ctx)
{
	return vt_transport(ctx)->nvqs;
}

static struct vring *v_vring(void *ctx, unsigned int q)
{
	return &vt_transport(ctx)->queues[q].vring;
}

static struct virtqueue *v_vq(void *ctx, unsigned int q)
{
	return vt_transport(ctx)->queues[q].vq;
}

static u64 v_features(void *ctx)
{
	return transport_features_u64(&vt_transport(ctx)->vdev);
}

static const struct watch_ops vhost_watch_ops = {
	.nvqs = v_nvqs,
	.vring = v_vring,
	.vq = v_vq,
	.features = v_features,
};

/* The device features the back end offers (GET_FEATURES, less the
 * vhost-user transport bits the front end keeps). */
static void identity(struct vhost_case *k)
{
	struct vht *t = vt_transport(k);
	u64 reserved = watch_reserved_features(k->w.c->mode);
	char text[CHECK_TEXT_BYTES];

	if (k->identity_done || !t->nvqs)
		return;
	k->identity_done = true;
	k->w.offered = t->offered;
	k->w.offered_known = true;
	watch_check_dependencies(&k->w, k->w.c->device_id, t->offered);
	if (k->w.stop)
		return;
	watch_exercised(&k->w, "dev.features-reserved");
	if (!(t->offered & reserved))
		return;
	snprintf(text, sizeof(text),
		 "offered features %#llx include reserved bits %#llx",
		 (unsigned long long)t->offered,
		 (unsigned long long)(t->offered & reserved));
	watch_violation(&k->w, "dev.features-reserved", 0,
			t->offered & reserved, 0, text);
}

static void v_observe(void *ctx, struct vhost_cell *cell, unsigned int q,
		      enum sim_call call, u64 result)
{
	struct vhost_case *k = ctx;

	k->cell = cell;
	watch_observe(&k->w, q, call, result);
}

static void v_before_add(void *ctx, struct vhost_cell *cell, unsigned int q,
			 const struct scatterlist *sg, unsigned int out,
			 unsigned int in)
{
	struct vhost_case *k = ctx;

	k->cell = cell;
	watch_before_add(&k->w, q, sg, out, in);
}

static void v_step(void *ctx, struct vhost_cell *cell, u64 step)
{
	struct vhost_case *k = ctx;
	u16 before[WATCH_QUEUES];

	k->cell = cell;
	k->w.step = step;
	if (!vt_transport(k)->nvqs || k->w.stop)
		return;
	identity(k);
	watch_queues(&k->w);
	watch_used_before(&k->w, before);
	watch_turn(&k->w, before, 0, false);
}

static const char *data_entry(enum vhost_device d)
{
	switch (d) {
	case VHOST_DEV_BLOCK:
		return "blk.data-readback";
	case VHOST_DEV_NET:
		return "net.frames-intact";
	default:
		return NULL; /* virtio-fs has no entry: its cell checks it */
	}
}

/* The cell's verdict folded into the case: a data failure is its entry's
 * violation, a back end of ours that died fails dev.survives, a signal or
 * any other failure is a setup error (the check stops). */
static int fold_cell(struct vhost_case *k, struct check_case *c,
		     const struct vhost_cell_result *res, enum vhost_device d)
{
	const char *data = k->w.stop ? NULL : data_entry(d);

	if (data && res->oracle && strcmp(res->oracle, "data-integrity") == 0)
		data = check_data_entry(c->device_id, res->message);
	if (data && res->oracle && strcmp(res->oracle, "data-integrity") == 0)
		check_violation(c, check_index(data), res->steps, 0, 0, 0, "%s",
				res->message);
	else if (data && res->data_checked)
		watch_exercised(&k->w, data);
	if (res->data_checked && c->device_id == 1) { /* virtio-net */
		watch_exercised(&k->w, "net.header-size");
		watch_exercised(&k->w, "net.rx-offloads-negotiated");
	}
	if (res->passed || k->w.stop ||
	    (data && c->violated[check_index(data)]))
		return 0;
	if (res->signal) {
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "interrupted by signal %d", res->signal);
		return -EINTR;
	}
	if (res->backend_died) {
		c->crashed = true;
		snprintf(c->crash, sizeof(c->crash), "%.*s",
			 (int)sizeof(c->crash) - 1, res->message);
		return 0;
	}
	snprintf(c->setup_error, sizeof(c->setup_error),
		 "the vhost-user cell failed: %.200s", res->message);
	return -EIO;
}

static int vhost_run_case(struct check_target *t, struct check_case *c)
{
	struct vhost_check_target *vt = t->priv;
	struct vhost_cell_config cfg = { 0 };
	struct vhost_cell_result res;
	struct vhost_case *k;
	int ret;

	if (vhb_signal()) {
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "interrupted by signal %d", vhb_signal());
		return -EINTR;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "out of memory");
		return -ENOMEM;
	}
	watch_init(&k->w, c, &vhost_watch_ops, k);
	c->device_id = t->device_id;
	cfg.device = vt->vt.device;
	cfg.socket = vt->vt.socket;
	cfg.command = vt->vt.command;
	cfg.seed = c->seed;
	cfg.requests = VT_REQUESTS;
	cfg.observe = v_observe;
	cfg.before_add = v_before_add;
	cfg.on_step = v_step;
	cfg.observe_ctx = cfg.on_step_ctx = k;
	vhost_run_cell(&cfg, &res);
	c->features = res.features;
	ret = fold_cell(k, c, &res, vt->vt.device);
	watch_fini(&k->w);
	free(k);
	return ret;
}

static bool vhost_observes(const struct check_target *t, int index,
			   const char **why)
{
	const char *id = check_catalogue[index].id;
	const struct vhost_check_target *vt = t->priv;

	if (strcmp(id, "ring.interrupt-required") == 0) {
		*why = "the back end completes on its own threads: when its "
		       "turn ends is not observable (not checked)";
		return false;
	}
	if (strcmp(id, "dev.survives") == 0 && vt->vt.socket) {
		*why = "a back end someone else started: its death ends the "
		       "check with a setup error";
		return false;
	}
	if (strcmp(id, "dev.reset-status-zero") == 0 ||
	    strcmp(id, "dev.features-ok-refused") == 0 ||
	    strcmp(id, "dev.needs-reset-notified") == 0) {
		*why = "vhost-user has no device status: the status byte and "
		       "FEATURES_OK are the front end's own";
		return false;
	}
	if (strcmp(id, "ring.kick-harmless") == 0 ||
	    strcmp(id, "ring.nothing-before-driver-ok") == 0 ||
	    strcmp(id, "dev.reset-quiet") == 0) {
		*why = "needs the device's turns: the back end works on its "
		       "own threads, so a spurious or early notification, or "
		       "one after a reset, cannot be told from its later work "
		       "(not checked)";
		return false;
	}
	if (strcmp(id, "dev.config-generation") == 0) {
		*why = "vhost-user has no config generation: GET_CONFIG "
		       "returns bytes only (not checked)";
		return false;
	}
	if (strcmp(id, "dev.queue-size") == 0 ||
	    strcmp(id, "dev.absent-queue-zero") == 0) {
		*why = "vhost-user queues take the size the front end sets "
		       "(SET_VRING_NUM): the back end offers none";
		return false;
	}
	return true;
}

static u32 virtio_id_of(enum vhost_device d)
{
	static const u32 ids[VHOST_DEV_COUNT] = { 2, 26, 1 };

	return ids[d];
}

static int vhost_open(struct check_target *t, const char *spec, bool exec,
		      char *err, size_t errlen)
{
	struct vhost_check_target *vt = calloc(1, sizeof(*vt));
	int ret;

	if (!vt) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->priv = vt;
	/* spec (the command line's) outlives the target; t->spec is a
	 * copy that a long command would not fit. */
	ret = vhost_target_parse(spec, exec, &vt->vt, err, errlen);
	if (!ret)
		ret = vhost_target_ready(&vt->vt, err, errlen);
	if (ret)
		return ret;
	t->device_id = virtio_id_of(vt->vt.device);
	t->modes = CHECK_MODERN;
	t->seeds_default = VT_SEEDS_DEFAULT;
	return 0;
}

static int vhost_socket_open(struct check_target *t, const char *spec,
			     char *err, size_t errlen)
{
	return vhost_open(t, spec, false, err, errlen);
}

static int vhost_exec_open(struct check_target *t, const char *spec, char *err,
			   size_t errlen)
{
	return vhost_open(t, spec, true, err, errlen);
}

static void vhost_close(struct check_target *t)
{
	free(t->priv);
}

const struct check_target_kind check_target_vhost_user = {
	.prefix = VHOST_KIND_SOCKET,
	.usage = "vhost-user:DEVICE:SOCKET",
	.summary = "a vhost-user back end someone started (DEVICE: block, "
		   "fs, net), a session per case",
	.deterministic = false,
	.open = vhost_socket_open,
	.run = vhost_run_case,
	.observes = vhost_observes,
	.close = vhost_close,
};

const struct check_target_kind check_target_vhost_exec = {
	.prefix = VHOST_KIND_EXEC,
	.usage = "vhost-user-exec:DEVICE[:COMMAND]",
	.summary = "a vhost-user back end started per case (@SOCK@, @DIR@ "
		   "in COMMAND) and stopped after it; no COMMAND: "
		   "qemu-storage-daemon (block), virtiofsd (fs), "
		   "dpdk-testpmd (net)",
	.deterministic = false,
	.open = vhost_exec_open,
	.run = vhost_run_case,
	.observes = vhost_observes,
	.close = vhost_close,
};
