/*
 * drv_entropy.c - the entropy workload: keeps device-writable buffers on
 * its one queue (one sg entry, or two halves, which go through an indirect
 * table when the ring has INDIRECT_DESC) and collects the bytes.
 */
#include "driver.h"

#include <linux/slab.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#define ENTROPY_BUF_MAX 256

static const struct virtio_device_id entropy_ids[] = {
	{ VIRTIO_ID_RNG, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static const unsigned int entropy_features[] = {
	VIRTIO_RING_F_INDIRECT_DESC,
	VIRTIO_RING_F_EVENT_IDX,
};

static const char *const entropy_queues[] = { "entropy" };

static int entropy_prepare(struct wl_driver *w, unsigned int q,
			   struct wl_req *r, struct scatterlist *sg,
			   unsigned int *out, unsigned int *in)
{
	u32 len = 1 + (u32)choice_below(w->env->cs, ENTROPY_BUF_MAX);
	unsigned int nsg = len > 1 && choice_chance(w->env->cs, 1, 3) ? 2 : 1;
	u8 *buf;

	(void)q;
	buf = kmalloc(len, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	r->mem = buf;
	r->bytes = len;
	sg_init_table(sg, nsg);
	if (nsg == 1) {
		sg_set_buf(&sg[0], buf, len);
	} else {
		sg_set_buf(&sg[0], buf, len / 2);
		sg_set_buf(&sg[1], buf + len / 2, len - len / 2);
	}
	*out = 0;
	*in = nsg;
	return 0;
}

static void entropy_complete(struct wl_driver *w, struct wl_req *r, u32 len)
{
	if (len > r->bytes)
		oracle_fail(w->env->oracle, "missed-detection",
			    "entropy: used len %u above the %u bytes offered",
			    len, r->bytes);
}

static void entropy_cancel(struct wl_driver *w, struct wl_req *r)
{
	(void)w;
	(void)r;
}

const struct wl_class wl_entropy_class = {
	.name = "ringside-entropy",
	.id_table = entropy_ids,
	.features = entropy_features,
	.nfeatures = ARRAY_SIZE(entropy_features),
	.nqueues = 1,
	.queue_names = entropy_queues,
	.prepare = entropy_prepare,
	.complete = entropy_complete,
	.cancel = entropy_cancel,
};
