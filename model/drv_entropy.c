/*
 * drv_entropy.c - the entropy workload driver, written only against the
 * seed API: it binds to VIRTIO_ID_RNG through register_virtio_driver,
 * finds its one queue, keeps a pool of buffer slots whose indexes are the
 * tokens' ids in the oracle's ledger, and collects the bytes the device
 * gives. It exercises kick and the split kick_prepare + notify, polling,
 * the callback, disable_cb, enable_cb and enable_cb_delayed, and at
 * remove: reset, detach_unused_buf, del_vqs.
 *
 * Data buffers are kmalloc'd per add (so allocation failures reach the
 * driver) and freed when their token comes back.
 */
#include "devices.h"

#include <linux/err.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <string.h>

static const struct virtio_device_id entropy_ids[] = {
	{ VIRTIO_ID_RNG, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static const unsigned int entropy_features[] = {
	VIRTIO_RING_F_INDIRECT_DESC,
	VIRTIO_RING_F_EVENT_IDX,
};

static struct drv_entropy *drv_of(struct virtio_device *vdev)
{
	return container_of(drv_to_virtio(vdev->dev.driver), struct drv_entropy,
			    drv);
}

static void emit(struct drv_entropy *d, u16 kind, u64 a, u64 b, u64 c)
{
	sim_emit(d->env, SIM_ACTOR_DRIVER, kind, 0, a, b, c);
}

/* A token came back: account, collect, free. */
static void token_back(struct drv_entropy *d, void *token, unsigned int len,
		       bool detached)
{
	struct drv_entropy_slot *s = token;
	unsigned int k;

	if (s < d->slot || s >= d->slot + DRV_ENTROPY_SLOTS) {
		oracle_fail(d->env->oracle, "token-conservation",
			    "a token the driver never added came back");
		return;
	}
	if (detached) {
		oracle_token_detached(d->env->oracle, s->id);
		emit(d, SIM_EV_DETACH, s->id, 0, 0);
	} else {
		oracle_token_got(d->env->oracle, s->id);
		emit(d, SIM_EV_GET_BUF, s->id, len, 0);
		for (k = 0; k < len && k < s->len; k++)
			d->digest = (d->digest ^ s->buf[k]) * 0x100000001b3ULL;
		d->bytes += len;
	}
	if (!s->out)
		return; /* returned twice: the oracle fired, keep memory */
	s->out = false;
	kfree(s->buf);
	s->buf = NULL;
}

static unsigned int poll(struct drv_entropy *d)
{
	unsigned int len, n, size = virtqueue_get_vring_size(d->vq);
	void *token;

	for (n = 0; n <= size; n++) {
		token = virtqueue_get_buf(d->vq, &len);
		if (!token)
			return n;
		token_back(d, token, len, false);
	}
	oracle_fail(d->env->oracle, "stall",
		    "get_buf returned more tokens than the ring holds");
	return n;
}

static void entropy_callback(struct virtqueue *vq)
{
	struct drv_entropy *d = drv_of(vq->vdev);
	unsigned int got = 0, round;
	bool delayed = choice_chance(d->env->cs, 1, 4);

	/* No device acts inside a callback, so two rounds always suffice. */
	for (round = 0; round < 3; round++) {
		virtqueue_disable_cb(vq);
		got += poll(d);
		if (delayed ? virtqueue_enable_cb_delayed(vq)
			    : virtqueue_enable_cb(vq))
			break;
	}
	if (round == 3)
		oracle_fail(d->env->oracle, "stall",
			    "enable_cb kept reporting new buffers");
	emit(d, SIM_EV_CALLBACK, got, delayed, 0);
}

static int entropy_probe(struct virtio_device *vdev)
{
	struct drv_entropy *d = drv_of(vdev);
	struct virtqueue *vq;

	d->probes++;
	vq = virtio_find_single_vq(vdev, entropy_callback, "entropy");
	if (IS_ERR(vq))
		return (int)PTR_ERR(vq);
	d->vdev = vdev;
	d->vq = vq;
	vdev->priv = d;
	return 0;
}

static void entropy_remove(struct virtio_device *vdev)
{
	struct drv_entropy *d = drv_of(vdev);
	void *token;
	unsigned int n, size = virtqueue_get_vring_size(d->vq);

	d->removes++;
	vdev->config->reset(vdev);
	for (n = 0; n <= size; n++) {
		if (d->plant_lost_token && virtqueue_outstanding(d->vq) == 1)
			break; /* the planted bug: one token forgotten */
		token = virtqueue_detach_unused_buf(d->vq);
		if (!token)
			break;
		token_back(d, token, 0, true);
	}
	oracle_tokens_finish(d->env->oracle);
	oracle_queue_teardown(d->env->oracle, d->vq);
	vdev->config->del_vqs(vdev);
	d->vq = NULL;
	d->vdev = NULL;
}

static void entropy_config_changed(struct virtio_device *vdev)
{
	drv_of(vdev)->config_changes++;
}

void drv_entropy_init(struct drv_entropy *d, struct sim_env *env)
{
	unsigned int i;

	memset(d, 0, sizeof(*d));
	d->env = env;
	for (i = 0; i < DRV_ENTROPY_SLOTS; i++)
		d->slot[i].id = i;
	d->drv.driver.name = "ringside-entropy";
	d->drv.id_table = entropy_ids;
	d->drv.feature_table = entropy_features;
	d->drv.feature_table_size = ARRAY_SIZE(entropy_features);
	d->drv.probe = entropy_probe;
	d->drv.remove = entropy_remove;
	d->drv.config_changed = entropy_config_changed;
}

int drv_entropy_register(struct drv_entropy *d)
{
	int err = register_virtio_driver(&d->drv);

	d->registered = err == 0;
	return err;
}

/* Unbinds (remove runs), then frees what a broken run left behind. */
void drv_entropy_unregister(struct drv_entropy *d)
{
	unsigned int i;

	if (d->registered)
		unregister_virtio_driver(&d->drv);
	d->registered = false;
	for (i = 0; i < DRV_ENTROPY_SLOTS; i++) {
		kfree(d->slot[i].buf);
		d->slot[i].buf = NULL;
		d->slot[i].out = false;
	}
}

static struct drv_entropy_slot *free_slot(struct drv_entropy *d)
{
	unsigned int i;

	for (i = 0; i < DRV_ENTROPY_SLOTS; i++)
		if (!d->slot[i].out)
			return &d->slot[i];
	return NULL;
}

/* One buffer: one sg entry, or two halves (an indirect table when the
 * ring has INDIRECT_DESC). Returns false when the ring is full. */
static bool add_one(struct drv_entropy *d)
{
	struct drv_entropy_slot *s = free_slot(d);
	struct scatterlist sg[2];
	unsigned int nsg;
	u32 len;
	int ret;

	if (!s)
		return false;
	len = 1 + (u32)choice_below(d->env->cs, DRV_ENTROPY_BUF_MAX);
	nsg = len > 1 && choice_chance(d->env->cs, 1, 3) ? 2 : 1;
	s->buf = kmalloc(len, GFP_ATOMIC);
	if (!s->buf) {
		emit(d, SIM_EV_ADD_NOMEM, len, 0, 0);
		return false;
	}
	sg_init_table(sg, nsg);
	if (nsg == 1) {
		sg_set_buf(&sg[0], s->buf, len);
	} else {
		sg_set_buf(&sg[0], s->buf, len / 2);
		sg_set_buf(&sg[1], s->buf + len / 2, len - len / 2);
	}
	ret = virtqueue_add_inbuf(d->vq, sg, nsg, s, GFP_ATOMIC);
	emit(d, SIM_EV_ADD, s->id, len, (u64)(s64)ret);
	if (ret < 0) {
		kfree(s->buf);
		s->buf = NULL;
		return false;
	}
	s->len = len;
	s->out = true;
	oracle_token_added(d->env->oracle, s->id);
	d->unkicked++;
	return true;
}

void drv_entropy_add_batch(struct drv_entropy *d, unsigned int n)
{
	unsigned int i;

	if (!d->vq)
		return;
	for (i = 0; i < n; i++)
		if (!add_one(d))
			return;
}

static void kick(struct drv_entropy *d, bool split)
{
	bool notified = true;

	if (split) {
		notified = virtqueue_kick_prepare(d->vq);
		if (notified)
			virtqueue_notify(d->vq);
	} else {
		virtqueue_kick(d->vq);
	}
	d->unkicked = 0;
	emit(d, SIM_EV_KICK, split, notified, 0);
}

void drv_entropy_step(struct drv_entropy *d)
{
	struct choice_source *cs = d->env->cs;
	bool r;

	if (!d->vq)
		return;
	switch (choice_below(cs, 6)) {
	case 0: /* the quiet world: add and kick */
		drv_entropy_add_batch(d, 1 + (unsigned int)choice_below(cs, 4));
		kick(d, false);
		break;
	case 1:
		drv_entropy_add_batch(d, 1 + (unsigned int)choice_below(cs, 8));
		kick(d, true);
		break;
	case 2: /* add now, kick on a later turn */
		drv_entropy_add_batch(d, 1);
		if (d->unkicked > 4)
			kick(d, true);
		break;
	case 3:
		emit(d, SIM_EV_GET_BUF, ~0ULL, poll(d), 0);
		break;
	case 4:
		virtqueue_disable_cb(d->vq);
		emit(d, SIM_EV_DISABLE_CB, 0, 0, 0);
		break;
	default:
		if (choice_chance(cs, 1, 2)) {
			r = virtqueue_enable_cb_delayed(d->vq);
			emit(d, SIM_EV_ENABLE_CB_DELAYED, r, 0, 0);
		} else {
			r = virtqueue_enable_cb(d->vq);
			emit(d, SIM_EV_ENABLE_CB, r, 0, 0);
		}
		if (!r)
			poll(d);
		break;
	}
}

unsigned int drv_entropy_outstanding(const struct drv_entropy *d)
{
	return d->vq ? virtqueue_outstanding(d->vq) : 0;
}
