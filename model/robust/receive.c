/*
 * receive.c - the receive queue of net and console during a case
 * (robust.h): a driver keeps receive buffers posted, so a device has
 * somewhere to deliver what comes back from the outside (QEMU's net
 * back end and our simulated NIC are loopbacks; the console's chardev
 * and our simulated console echo). Those buffers are replies like any
 * other: the leak check reads them (a receive buffer may hold what any
 * request sent, nothing else), and their used entries are checked.
 */
#include "robust.h"

#include <linux/virtio_ids.h>
#include <stdio.h>
#include <string.h>

static bool has_receive_queue(const struct rb_case_ctx *c)
{
	u32 id = c->port->device_id;

	return (id == VIRTIO_ID_NET || id == VIRTIO_ID_CONSOLE) &&
	       c->nqueues > 0;
}

void rb_rx_start(struct rb_case_ctx *c)
{
	struct vring *vr;

	memset(&c->rx, 0, sizeof(c->rx));
	if (!has_receive_queue(c))
		return;
	vr = c->port->ops->vring(c->port->ctx, 0);
	if (!vr || !vr->num)
		return;
	rr_init(&c->rx.ring, vr);
	rr_log(&c->rx.ring, c->log, &c->request, 0);
	rb_rx_refill(c);
}

void rb_rx_refill(struct rb_case_ctx *c)
{
	struct rb_rx *rx = &c->rx;
	unsigned int i, posted = 0;
	u64 buf;

	for (i = 0; i < RB_RX_BUFFERS && i < rx->ring.vr.num; i++) {
		if (rx->pending[i])
			continue;
		buf = rb_buf(c, RB_RX_BYTES, true, 0);
		if (!buf)
			break;
		c->ranges[c->nranges - 1].receive = true;
		rr_desc(&rx->ring, (u16)i, buf, RB_RX_BYTES, VRING_DESC_F_WRITE,
			0);
		rr_avail_put(&rx->ring, (u16)i);
		rx->pending[i] = true;
		posted++;
	}
	if (!posted)
		return;
	rr_avail_publish(&rx->ring);
	/* Straight to the device: rb_notify would take the snapshot of
	 * the request queue's phase before its request is written. */
	rb_notify_device(c, 0);
}

bool rb_rx_check(struct rb_case_ctx *c, char *why)
{
	struct rb_rx *rx = &c->rx;
	unsigned int n = 0;
	u32 id, len;

	while (rx->ring.vr.num && n < rx->ring.vr.num &&
	       rr_used_next(&rx->ring, &id, &len)) {
		n++;
		if (id >= RB_RX_BUFFERS || !rx->pending[id]) {
			snprintf(why, RB_WHY_BYTES,
				 "receive queue: used entry for head %u, "
				 "which is not waiting for the device",
				 id);
			return false;
		}
		if (len > RB_RX_BYTES) {
			snprintf(why, RB_WHY_BYTES,
				 "receive queue: used len %u for head %u, "
				 "a buffer of %u bytes",
				 len, id, RB_RX_BYTES);
			return false;
		}
		rx->pending[id] = false;
		c->received++;
	}
	return true;
}

static bool delivered(void *arg)
{
	const struct rr_ring *r = arg;

	return rr_used_idx(r) != r->used_seen;
}

void rb_rx_wait(struct rb_case_ctx *c)
{
	if (c->rx.ring.vr.num)
		c->port->ops->run(c->port->ctx, c->port->answer_budget,
				  delivered, &c->rx.ring);
}
