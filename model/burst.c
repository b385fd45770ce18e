/*
 * burst.c - the rounds of an index-wrap burst (see burst.h).
 *
 * The device's side of a round is sim_device_burst_take, which walks and
 * checks the chain like every fetch. A burst's chain is almost always the
 * burst's own single writable entry; take_plain checks exactly that shape
 * and completes it the same way, and hands anything else to
 * sim_device_burst_take, which then finds and reports what is wrong.
 */
#include "burst.h"

#include "device.h"
#include "oracle.h"
#include "sim_transport.h"

#include <linux/compiler.h>
#include <linux/slab.h>
#include <linux/virtio_ring.h>
#include <ringside/shim.h>

/* Adds between the kicks of the other mode. */
#define WRAP_KICK_EVERY 4096u

/* The token of every burst buffer: the world's own, never the workload's. */
static char wrap_token;

/* sim_device_burst_take for a chain of one writable descriptor in guest
 * memory; false, having changed nothing, for anything else. */
static bool take_plain(struct sim_device *d, unsigned int qi)
{
	struct vring *vr = simt_vring(d->t, qi);
	struct devq *q = &d->q[qi];
	const struct vring_desc *desc;
	u16 head;
	u32 len;

	if (READ_ONCE(vr->avail->idx) == q->last_avail)
		return false;
	smp_rmb();
	head = READ_ONCE(vr->avail->ring[q->last_avail % vr->num]);
	if (head >= vr->num)
		return false;
	desc = &vr->desc[head];
	len = READ_ONCE(desc->len);
	if (READ_ONCE(desc->flags) != VRING_DESC_F_WRITE ||
	    (len && !shim_guest_range_ok(READ_ONCE(desc->addr), len)))
		return false;
	q->last_avail++;
	sim_device_burst_complete(q, vr, head);
	return true;
}

/* One round: add, the device takes and completes it, get_buf. */
static bool burst_round(struct wrap_burst *b)
{
	struct oracle *o = b->oracle;
	unsigned int len = ~0u;
	void *token;
	int ret =
		virtqueue_add_buf(b->vq, &b->sg, 0, 1, &wrap_token, GFP_ATOMIC);

	if (ret < 0) {
		if (b->done > 0)
			oracle_fail(o, "free-descriptors",
				    "queue %u: add_buf failed (%d) after %u "
				    "buffers that all came back",
				    b->q, ret, b->done);
		return false;
	}
	b->unkicked++;
	if (b->forced && b->unkicked == BURST_UNKICKED_MAX) {
		/* The ring's own kick is due now (device.h note 5). */
		sim_device_observe(b->dev, b->q, SIM_CALL_KICK, 0);
		b->unkicked = 0;
	}
	if (!take_plain(b->dev, b->q) && !sim_device_burst_take(b->dev, b->q)) {
		if (!o->failed)
			oracle_fail(
				o, "stall",
				"queue %u: buffer %u of an index-wrap burst "
				"never became available",
				b->q, b->done);
		return false;
	}
	token = virtqueue_get_buf(b->vq, &len);
	if (token != &wrap_token || len != 0) {
		oracle_fail(o, "token-conservation",
			    "queue %u: get_buf gave %s (len %u) for buffer %u "
			    "of an index-wrap burst",
			    b->q, token ? "another token" : "nothing", len,
			    b->done);
		return false;
	}
	b->done++;
	if (!b->forced && b->done % WRAP_KICK_EVERY == 0) {
		virtqueue_kick(b->vq);
		sim_device_observe(b->dev, b->q, SIM_CALL_KICK, 0);
		b->unkicked = 0;
	}
	return true;
}

bool burst_rounds(struct wrap_burst *b, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (b->oracle->failed || !burst_round(b))
			return false;
	return !b->oracle->failed;
}

u32 burst_leading_rounds(u16 avail_idx, u32 n)
{
	u32 to_wrap = 0x10000u - avail_idx; /* adds until the index is 0 */
	u32 plain = n < to_wrap ? n : to_wrap;

	return plain > BURST_TAIL ? plain - BURST_TAIL : 0;
}
