/*
 * driver.c - the generic workload driver (driver.h), written only against
 * the seed API.
 */
#include "driver.h"

#include "config_oracle.h"

#include "semantics.h"

#include <assert.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <ringside/ring_diag.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct wl_driver *wl_of(struct virtio_device *vdev)
{
	return container_of(drv_to_virtio(vdev->dev.driver), struct wl_driver,
			    drv);
}

static void emit(struct wl_driver *w, u16 kind, u16 q, u64 a, u64 b, u64 c)
{
	sim_emit(w->env, SIM_ACTOR_DRIVER, kind, q, a, b, c);
}

bool wl_data_trusted(const struct wl_driver *w)
{
	return !w->plant_skip_check && !(w->device_lied && *w->device_lied);
}

void wl_data_fail(struct wl_driver *w, const char *fmt, ...)
{
	char msg[ORACLE_MESSAGE_BYTES];
	va_list ap;

	if (!wl_data_trusted(w))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	oracle_fail(w->env->oracle, "data-integrity", "%s: %s", w->cls->name,
		    msg);
}

static void req_release(struct wl_driver *w, struct wl_req *r)
{
	if (w->plant_leak && r->mem) {
		w->plant_leak = false; /* the planted bug: forgotten once */
		r->mem = NULL;
	}
	kfree(r->mem);
	r->mem = NULL;
	r->out = false;
}

/* A token came back: account, let the class check it, free. */
static void token_back(struct wl_driver *w, void *token, unsigned int len,
		       bool detached)
{
	struct wl_req *r = token;

	if (r < w->req || r >= w->req + WL_REQS) {
		oracle_fail(w->env->oracle, "token-conservation",
			    "a token the driver never added came back");
		return;
	}
	if (detached) {
		oracle_token_detached(w->env->oracle, r->id);
		emit(w, SIM_EV_DETACH, r->queue, r->id, 0, 0);
	} else {
		oracle_token_got(w->env->oracle, r->id);
		if (w->plant_double_return) { /* planted: reported twice */
			w->plant_double_return = false;
			oracle_token_got(w->env->oracle, r->id);
		}
		emit(w, SIM_EV_GET_BUF, r->queue, r->id, len, 0);
	}
	if (!r->out)
		return; /* returned twice: the oracle fired, keep memory */
	if (detached) {
		w->cls->cancel(w, r);
	} else if (len > r->writable) {
		oracle_fail(w->env->oracle, "missed-detection",
			    "%s: used len %u above the %u writable bytes "
			    "reached the driver",
			    w->cls->name, len, r->writable);
	} else {
		w->completed++;
		w->bytes += len;
		w->cls->complete(w, r, len);
	}
	req_release(w, r);
}

#define WL_LEN_UNSET 0xdeadbeefu

/* The slot id of a token for the semantics oracle (-2: not ours). */
static s64 token_id(const struct wl_driver *w, const void *token)
{
	const struct wl_req *r = token;

	return r >= w->req && r < w->req + WL_REQS ? (s64)r->id : -2;
}

static unsigned int poll(struct wl_driver *w, unsigned int q)
{
	struct virtqueue *vq = w->vq[q];
	unsigned int len, n, size = virtqueue_get_vring_size(vq);
	void *token;

	if (w->plant_deaf)
		return 0;
	for (n = 0; n <= size; n++) {
		/* A value no honest answer has: a ring that returns a token
		 * without storing its len is seen, the same in every run. */
		len = WL_LEN_UNSET;
		token = virtqueue_get_buf(vq, &len);
		sem_get_buf(w->env, q, token ? token_id(w, token) : -1, len);
		sim_observe(w->env, q, SIM_CALL_GET_BUF, token != NULL);
		if (!token)
			return n;
		token_back(w, token, len, false);
	}
	oracle_fail(w->env->oracle, "stall",
		    "get_buf returned more tokens than the ring holds");
	return n;
}

static void disable_cb(struct wl_driver *w, unsigned int q)
{
	w->cb_off[q] = true;
	virtqueue_disable_cb(w->vq[q]);
	sim_observe(w->env, q, SIM_CALL_DISABLE_CB, 0);
}

static bool enable_cb(struct wl_driver *w, unsigned int q, bool delayed)
{
	bool r;

	w->cb_off[q] = false; /* even when it returns false */
	if (delayed) {
		r = virtqueue_enable_cb_delayed(w->vq[q]);
		sem_enable_cb(w->env, q, true, r);
		sim_observe(w->env, q, SIM_CALL_ENABLE_CB_DELAYED, r);
	} else {
		r = virtqueue_enable_cb(w->vq[q]);
		sem_enable_cb(w->env, q, false, r);
		sim_observe(w->env, q, SIM_CALL_ENABLE_CB, r);
	}
	return r;
}

static void wl_callback(struct virtqueue *vq)
{
	struct wl_driver *w = wl_of(vq->vdev);
	unsigned int got = 0, round, q = (unsigned int)vq->index;
	unsigned int rounds = virtqueue_get_vring_size(vq) + 2;
	bool delayed = choice_chance(w->env->cs, 1, 4);

	assert(q < w->cls->nqueues && w->vq[q] == vq);
	sem_callback(w->env, q);
	/* A device acts inside a callback only in the ring's reads, where it
	 * may complete a chain it already holds (device.h note 8), never
	 * one added since: each round after the second needs such a
	 * completion, so size + 2 rounds always suffice. */
	for (round = 0; round < rounds; round++) {
		disable_cb(w, q);
		got += poll(w, q);
		if (enable_cb(w, q, delayed))
			break;
	}
	if (round == rounds)
		oracle_fail(w->env->oracle, "stall",
			    "enable_cb kept reporting new buffers");
	emit(w, SIM_EV_CALLBACK, (u16)q, got, delayed, 0);
}

static int wl_probe(struct virtio_device *vdev)
{
	struct wl_driver *w = wl_of(vdev);
	vq_callback_t *callbacks[WL_QUEUES_MAX];
	struct virtqueue *vqs[WL_QUEUES_MAX];
	const char *names[WL_QUEUES_MAX];
	unsigned int i, n = w->cls->nqueues;
	int err;

	w->probes++;
	if (w->env->probing)
		w->env->probing(w->env->observe_ctx, vdev);
	for (i = 0; i < n; i++) {
		callbacks[i] = wl_callback;
		names[i] = w->cls->queue_names[i];
	}
	err = vdev->config->find_vqs(vdev, n, vqs, callbacks, names);
	if (err)
		return err;
	w->vdev = vdev;
	for (i = 0; i < n; i++) {
		w->vq[i] = vqs[i];
		w->unkicked[i] = 0;
		w->cb_off[i] = false;
	}
	vdev->priv = w;
	sem_queues(w->env, vqs, n);
	w->binds++;
	if (w->cls->probe)
		w->cls->probe(w);
	return 0;
}

static void detach_all(struct wl_driver *w, unsigned int q)
{
	unsigned int n, size = virtqueue_get_vring_size(w->vq[q]);
	void *token;

	for (n = 0; n <= size; n++) {
		if (w->plant_lost_token && virtqueue_outstanding(w->vq[q]) == 1)
			return; /* the planted bug: one token forgotten */
		token = virtqueue_detach_unused_buf(w->vq[q]);
		sem_detach(w->env, q, token ? token_id(w, token) : -1);
		if (!token)
			return;
		token_back(w, token, 0, true);
	}
}

static void wl_remove(struct virtio_device *vdev)
{
	struct wl_driver *w = wl_of(vdev);
	unsigned int q;

	w->removes++;
	vdev->config->reset(vdev);
	for (q = 0; q < w->cls->nqueues; q++)
		detach_all(w, q);
	/* A token not back is the cause; a queue not empty its symptom. */
	oracle_tokens_finish(w->env->oracle);
	for (q = 0; q < w->cls->nqueues; q++)
		oracle_queue_teardown(w->env->oracle, w->vq[q]);
	vdev->config->del_vqs(vdev);
	sem_queues(w->env, NULL, 0);
	memset(w->vq, 0, sizeof(w->vq));
	w->vdev = NULL;
}

static void wl_config_changed(struct virtio_device *vdev)
{
	struct wl_driver *w = wl_of(vdev);

	w->config_changes++;
	if (w->cls->config_changed && wl_bound(w))
		w->cls->config_changed(w);
}

void wl_config_read(struct wl_driver *w, unsigned int offset, void *buf,
		    unsigned int len)
{
	struct cfg_oracle *c = w->env->config;

	if (c)
		cfgo_read_begin(c);
	virtio_cread_bytes(w->vdev, offset, buf, len);
	if (c)
		cfgo_read_end(c, offset, buf, len);
}

int wl_init(struct wl_driver *w, const struct wl_class *cls,
	    struct sim_env *env)
{
	unsigned int i;

	assert(cls->nqueues >= 1 && cls->nqueues <= WL_QUEUES_MAX);
	memset(w, 0, sizeof(*w));
	w->cls = cls;
	w->env = env;
	for (i = 0; i < WL_REQS; i++)
		w->req[i].id = i;
	w->drv.driver.name = cls->name;
	w->drv.id_table = cls->id_table;
	w->drv.feature_table = cls->features;
	w->drv.feature_table_size = cls->nfeatures;
	w->drv.probe = wl_probe;
	w->drv.remove = wl_remove;
	w->drv.config_changed = wl_config_changed;
	return cls->init ? cls->init(w) : 0;
}

void wl_fini(struct wl_driver *w)
{
	if (w->cls && w->cls->fini)
		w->cls->fini(w);
	w->priv = NULL;
}

int wl_register(struct wl_driver *w)
{
	int err = register_virtio_driver(&w->drv);

	w->registered = err == 0;
	return err;
}

void wl_unregister(struct wl_driver *w)
{
	unsigned int i;

	if (w->registered)
		unregister_virtio_driver(&w->drv);
	w->registered = false;
	for (i = 0; i < WL_REQS; i++)
		if (w->req[i].mem)
			req_release(w, &w->req[i]);
}

/* Each queue has its own share of the slots: receive buffers waiting
 * for data must never take the slots that transmit needs to send it. */
static struct wl_req *free_req(struct wl_driver *w, unsigned int q)
{
	unsigned int share = WL_REQS / w->cls->nqueues, i;

	for (i = q * share; i < (q + 1) * share; i++)
		if (!w->req[i].out)
			return &w->req[i];
	return NULL;
}

static u32 sg_bytes(const struct scatterlist *sg, unsigned int n)
{
	u32 bytes = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		bytes += sg[i].length;
	return bytes;
}

/* One request on queue q; false when nothing more can be added now. */
static bool add_one(struct wl_driver *w, unsigned int q)
{
	struct scatterlist sg[WL_SG_MAX];
	struct wl_req *r = free_req(w, q);
	unsigned int out = 0, in = 0;
	int ret;

	if (!r)
		return false;
	assert(!r->mem);
	memset(r->tag, 0, sizeof(r->tag));
	r->queue = (u16)q;
	r->bytes = 0;
	ret = w->cls->prepare(w, q, r, sg, &out, &in);
	if (ret == -ENOMEM)
		emit(w, SIM_EV_ADD_NOMEM, (u16)q, r->id, 0, 0);
	if (ret)
		return false;
	assert(out + in >= 1 && out + in <= WL_SG_MAX);
	r->writable = sg_bytes(sg + out, in);
	sim_before_add(w->env, q, sg, out, in);
	sem_before(w->env, q);
	ret = virtqueue_add_buf(w->vq[q], sg, out, in,
				w->plant_null_token ? NULL : r, GFP_ATOMIC);
	if (!w->plant_null_token)
		sem_add(w->env, q, out, in, r->id, r->writable, ret);
	w->plant_null_token = false;
	sim_observe(w->env, q, SIM_CALL_ADD, (u64)(s64)ret);
	emit(w, SIM_EV_ADD, (u16)q, r->id, r->bytes, (u64)(s64)ret);
	if (ret < 0) {
		w->cls->cancel(w, r);
		kfree(r->mem);
		r->mem = NULL;
		return false;
	}
	r->out = true;
	oracle_token_added(w->env->oracle, r->id);
	w->unkicked[q]++;
	return true;
}

void wl_add_batch(struct wl_driver *w, unsigned int q, unsigned int n)
{
	unsigned int i;

	if (!w->vq[q])
		return;
	for (i = 0; i < n; i++)
		if (!add_one(w, q))
			return;
}

static void kick(struct wl_driver *w, unsigned int q, bool split)
{
	bool notified = true;

	sem_before(w->env, q);
	if (split) {
		notified = virtqueue_kick_prepare(w->vq[q]);
		if (notified)
			virtqueue_notify(w->vq[q]);
	} else {
		virtqueue_kick(w->vq[q]);
	}
	w->unkicked[q] = 0;
	/* The device's rule check first: it names the rule broken. */
	sim_observe(w->env, q, SIM_CALL_KICK, 0);
	sem_kick(w->env, q, split, notified);
	emit(w, SIM_EV_KICK, (u16)q, split, notified, 0);
}

static void switch_callbacks(struct wl_driver *w, unsigned int q)
{
	bool delayed = choice_chance(w->env->cs, 1, 2);
	bool r = enable_cb(w, q, delayed);

	emit(w, delayed ? SIM_EV_ENABLE_CB_DELAYED : SIM_EV_ENABLE_CB, (u16)q,
	     r, 0, 0);
	if (!r)
		poll(w, q);
}

static void poll_silent_queues(struct wl_driver *w)
{
	unsigned int q;

	for (q = 0; q < w->cls->nqueues; q++)
		if (w->cb_off[q])
			poll(w, q);
}

void wl_step(struct wl_driver *w)
{
	struct choice_source *cs = w->env->cs;
	unsigned int q;

	if (!w->vdev)
		return;
	q = (unsigned int)choice_below(cs, w->cls->nqueues);
	switch (choice_below(cs, 6)) {
	case 0: /* the quiet world: add, kick, and poll what no callback
		 * will bring (an all-zero tail must never stall) */
		wl_add_batch(w, q, 1 + (unsigned int)choice_below(cs, 4));
		kick(w, q, false);
		poll_silent_queues(w);
		break;
	case 1:
		wl_add_batch(w, q, 1 + (unsigned int)choice_below(cs, 8));
		kick(w, q, true);
		break;
	case 2: /* add now, kick on a later turn */
		wl_add_batch(w, q, 1);
		if (w->unkicked[q] > 4)
			kick(w, q, true);
		break;
	case 3:
		emit(w, SIM_EV_GET_BUF, (u16)q, ~0ULL, poll(w, q), 0);
		break;
	case 4:
		disable_cb(w, q);
		emit(w, SIM_EV_DISABLE_CB, (u16)q, 0, 0, 0);
		break;
	default:
		switch_callbacks(w, q);
		break;
	}
}

void wl_drain(struct wl_driver *w)
{
	unsigned int q;

	if (!w->vdev)
		return;
	for (q = 0; q < w->cls->nqueues; q++)
		poll(w, q);
}

unsigned int wl_outstanding(const struct wl_driver *w)
{
	unsigned int q, n = 0;

	for (q = 0; q < w->cls->nqueues; q++)
		if (w->vq[q])
			n += virtqueue_outstanding(w->vq[q]);
	return n;
}

bool wl_bound(const struct wl_driver *w)
{
	return w->vdev != NULL;
}
