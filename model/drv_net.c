/*
 * drv_net.c - the net workload: sends self-describing Ethernet frames on
 * the transmit queue and checks every frame the (loopback) device delivers
 * into its receive buffers.
 *
 * A frame is dst MAC, src MAC, ethertype 0x88b5 (local experimental), a
 * le32 sequence number, then payload bytes that are a function of (key,
 * seq, offset), the key drawn at every probe. A received frame must parse,
 * carry a sequence number that is in flight, have the length sent for it,
 * and its payload must recompute; each sequence number arrives at most
 * once. Frames may be lost (drops, resets, unplugs) or reordered: neither
 * is a failure.
 *
 * Every packet is preceded by a struct virtio_net_hdr, zeroed on transmit:
 * 10 bytes on a legacy device, 12 once VIRTIO_F_VERSION_1 is negotiated
 * (num_buffers is there even without MRG_RXBUF). A received header must be
 * zero but for num_buffers, which a 1.x device sets to 1 without
 * MRG_RXBUF (the spec). 0 is accepted too: the driver zeroes the field
 * before it posts the buffer, and a device that leaves it alone (QEMU's
 * virtio-net writes it only with MRG_RXBUF) leaves 0.
 *
 * Receive buffers are only posted for frames in flight (rx_out < pending):
 * a loopback device fills a receive buffer only when something was sent,
 * so a buffer posted ahead of any frame could wait forever, and a quiet
 * world (all-zero choices) would stall with nothing wrong.
 */
#include "driver.h"
#include "reuse.h"

#include <assert.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

/* struct virtio_net_hdr without MRG_RXBUF: legacy, and with VERSION_1
 * (num_buffers, le16, last). */
#define NET_HDR_LEGACY 10u
#define NET_HDR_V1 12u
#define NET_ETH_HLEN 14u	 /* dst, src, ethertype */
#define NET_SEQ_OFF NET_ETH_HLEN /* le32 sequence number after the header */
#define NET_FRAME_MIN 18u	 /* Ethernet header + sequence number */
#define NET_FRAME_MAX 1514u	 /* Ethernet header + 1500 bytes of MTU */
#define NET_F_MAC 5		 /* VIRTIO_NET_F_MAC */
#define NET_ETHERTYPE 0x88b5u
/* The receive offloads (5.1.3): never in net_features, so never
 * negotiated, whatever the device offers. */
#define NET_F_GUEST_CSUM 1
#define NET_F_GUEST_TSO4 7
#define NET_F_GUEST_TSO6 8
#define NET_F_GUEST_UFO 10
#define NET_HDR_GSO_NONE 0u
/* Sent frames remembered. More than can be in flight (a transmit ring,
 * the device's packet ring, a receive ring of 256 each at most), so a
 * frame in flight is never forgotten. */
#define NET_SENT_MAX 1024u

enum net_sent_state {
	NET_SENT_FREE = 0, /* never used, or its frame is no longer expected */
	NET_SENT_FLIGHT,   /* sent, not yet received */
	NET_SENT_RECEIVED, /* received (a second arrival is a duplicate) */
};

struct net_sent {
	u32 seq;
	u16 len; /* frame bytes */
	u8 state;
};

struct net_drv {
	u64 key;
	u32 hdr_len; /* NET_HDR_LEGACY or NET_HDR_V1, from the features */
	u8 dst[6];
	u32 next_seq;
	u32 pending; /* frames sent and not yet received */
	u32 rx_out;  /* receive buffers outstanding */
	u32 tx_out;  /* transmit buffers outstanding */
	struct net_sent sent[NET_SENT_MAX];
};

static const u8 net_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
/* The destination when the device has no MAC in its config. */
static const u8 net_dst_default[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static const struct virtio_device_id net_ids[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static const unsigned int net_features[] = {
	VIRTIO_RING_F_INDIRECT_DESC,
	VIRTIO_RING_F_EVENT_IDX,
	NET_F_MAC,
};

static const char *const net_queues[] = { "input", "output" };

static struct net_drv *net_of(struct wl_driver *w)
{
	return w->priv;
}

/* A count of outstanding buffers: each add is undone once (driver.c
 * completes or cancels a token once). */
static void net_put(u32 *count)
{
	assert(*count > 0);
	(*count)--;
}

static u64 mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Payload byte at frame offset i of frame seq. */
static u8 net_payload_byte(u64 key, u32 seq, u32 i)
{
	return (u8)(mix64(key ^ (u64)seq << 32 ^ (i / 8)) >> (8 * (i % 8)));
}

/* Payload bytes [from, to) of frame seq into f, as net_payload_byte gives
 * them, with one mix64 for each 8 bytes. */
static void net_payload(u64 key, u32 seq, u8 *f, u32 from, u32 to)
{
	u32 i = from;

	while (i < to) {
		u64 x = mix64(key ^ (u64)seq << 32 ^ (i / 8));
		u32 end = (i / 8 + 1) * 8;

		if (end > to)
			end = to;
		for (; i < end; i++)
			f[i] = (u8)(x >> (8 * (i % 8)));
	}
}

static void put_le32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void net_build_frame(const struct net_drv *n, u8 *f, u32 len, u32 seq)
{
	memcpy(f, n->dst, 6);
	memcpy(f + 6, net_src, 6);
	f[12] = (u8)(NET_ETHERTYPE >> 8);
	f[13] = (u8)NET_ETHERTYPE;
	put_le32(f + NET_SEQ_OFF, seq);
	net_payload(n->key, seq, f, NET_FRAME_MIN, len);
}

/* Kept from one world to the next (reuse.h). */
static struct reuse_slot net_drv_slot;

static int net_init(struct wl_driver *w)
{
	w->priv = reuse_get(&net_drv_slot, sizeof(struct net_drv),
			    sizeof(struct net_drv), true);
	return w->priv ? 0 : -ENOMEM;
}

static void net_fini(struct wl_driver *w)
{
	reuse_put(&net_drv_slot, w->priv);
	w->priv = NULL;
}

/* Every token of the last binding came back by detach (or is lost with
 * the queues): start afresh. */
static void net_probe(struct wl_driver *w)
{
	struct net_drv *n = net_of(w);

	memset(n, 0, sizeof(*n));
	n->key = choice_range(w->env->cs, 0, ~0ULL);
	n->hdr_len = virtio_has_feature(w->vdev, VIRTIO_F_VERSION_1)
			     ? NET_HDR_V1
			     : NET_HDR_LEGACY;
	if (virtio_config_buf(w->vdev, NET_F_MAC, 0, n->dst, 6))
		memcpy(n->dst, net_dst_default, 6);
}

/* 1 entry, or the header and the rest as 2 (the ring may put them in an
 * indirect table). */
static unsigned int net_sg(struct wl_driver *w, struct scatterlist *sg, u8 *buf,
			   u32 len)
{
	u32 hdr = net_of(w)->hdr_len;

	if (!choice_chance(w->env->cs, 1, 2)) {
		sg_init_one(sg, buf, len);
		return 1;
	}
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, hdr);
	sg_set_buf(&sg[1], buf + hdr, len - hdr);
	return 2;
}

/* A transmit buffer. In the simulated world as net_sg lays it out; under
 * `ringside check` (check_framings) in one of four layouts, for
 * ring.framing-agnostic: one entry; the header, then the frame; the
 * header and the start of the frame, then the rest; the header cut in
 * two, its second part with the start of the frame, then the rest (the
 * ring puts two or three entries in an indirect table when it may). */
static unsigned int net_sg_tx(struct wl_driver *w, struct scatterlist *sg,
			      u8 *buf, u32 len)
{
	struct choice_source *cs = w->env->cs;
	u32 hdr = net_of(w)->hdr_len, cut[2];
	unsigned int n;

	if (!w->check_framings)
		return net_sg(w, sg, buf, len);
	/* The frame has NET_FRAME_MIN bytes at least: every cut falls
	 * inside the buffer. */
	switch (choice_below(cs, 4)) {
	case 0:
		sg_init_one(sg, buf, len);
		return 1;
	case 1:
		cut[0] = hdr;
		n = 2;
		break;
	case 2:
		cut[0] = hdr + 1 + (u32)choice_below(cs, len - hdr - 1);
		n = 2;
		break;
	default:
		cut[0] = 1 + (u32)choice_below(cs, hdr - 1);
		cut[1] = hdr + 1 + (u32)choice_below(cs, len - hdr - 1);
		n = 3;
		break;
	}
	sg_init_table(sg, n);
	sg_set_buf(&sg[0], buf, cut[0]);
	if (n == 2) {
		sg_set_buf(&sg[1], buf + cut[0], len - cut[0]);
		return 2;
	}
	sg_set_buf(&sg[1], buf + cut[0], cut[1] - cut[0]);
	sg_set_buf(&sg[2], buf + cut[1], len - cut[1]);
	return 3;
}

/* Receive buffers only for frames in flight (see the top). When the
 * device lied, a used len may have been invented (len-zero turned too
 * large) and pending undercounts: then a transmit outstanding also
 * earns a buffer, so frames stuck in the device still find one. */
static bool net_rx_wanted(struct wl_driver *w)
{
	struct net_drv *n = net_of(w);
	u32 allowed = n->pending;

	if (!wl_data_trusted(w))
		allowed += n->tx_out;
	return n->rx_out < allowed;
}

static int net_prepare_rx(struct wl_driver *w, struct wl_req *r,
			  struct scatterlist *sg, unsigned int *in)
{
	struct net_drv *n = net_of(w);
	u32 bytes = n->hdr_len + NET_FRAME_MAX;
	u8 *buf;

	if (!net_rx_wanted(w))
		return -EAGAIN;
	buf = kmalloc(bytes, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	/* num_buffers reads 0 when the device leaves it alone (QEMU's
	 * virtio-net writes it only with MRG_RXBUF); the rest stays as
	 * kmalloc left it, so a header the device did not write shows. */
	memset(buf + NET_HDR_LEGACY, 0, n->hdr_len - NET_HDR_LEGACY);
	r->mem = buf;
	r->bytes = bytes;
	*in = net_sg(w, sg, buf, bytes);
	n->rx_out++;
	return 0;
}

/* The next sequence number whose table entry is not in flight. */
static bool net_next_seq(struct net_drv *n, u32 *seq)
{
	u32 i, s = n->next_seq;

	for (i = 0; i < NET_SENT_MAX; i++, s++)
		if (n->sent[s % NET_SENT_MAX].state != NET_SENT_FLIGHT) {
			*seq = s;
			return true;
		}
	return false;
}

static int net_prepare_tx(struct wl_driver *w, struct wl_req *r,
			  struct scatterlist *sg, unsigned int *out)
{
	struct net_drv *n = net_of(w);
	struct net_sent *e;
	u32 seq, flen, hdr = n->hdr_len;
	u8 *buf;

	if (!net_next_seq(n, &seq))
		return -EAGAIN;
	/* 0 draws the shortest frame: the quiet world sends small ones. */
	flen = NET_FRAME_MIN +
	       (u32)choice_below(w->env->cs, NET_FRAME_MAX - NET_FRAME_MIN + 1);
	buf = kmalloc(hdr + flen, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	memset(buf, 0, hdr); /* num_buffers too: 0 on transmit */
	net_build_frame(n, buf + hdr, flen, seq);
	r->mem = buf;
	r->bytes = hdr + flen;
	r->tag[0] = seq;
	*out = net_sg_tx(w, sg, buf, hdr + flen);
	e = &n->sent[seq % NET_SENT_MAX];
	e->seq = seq;
	e->len = (u16)flen;
	e->state = NET_SENT_FLIGHT;
	n->next_seq = seq + 1;
	n->pending++;
	n->tx_out++;
	return 0;
}

static int net_prepare(struct wl_driver *w, unsigned int q, struct wl_req *r,
		       struct scatterlist *sg, unsigned int *out,
		       unsigned int *in)
{
	*out = 0;
	*in = 0;
	if (q == 0)
		return net_prepare_rx(w, r, sg, in);
	return net_prepare_tx(w, r, sg, out);
}

/* Offset of the first payload byte that differs, or len when none. */
static u32 net_payload_diff(const struct net_drv *n, const u8 *f, u32 len,
			    u32 seq)
{
	u8 want[NET_FRAME_MAX];
	u32 i;

	/* The whole payload at once; byte by byte only to find a
	 * difference. */
	if (len > NET_FRAME_MIN && len <= NET_FRAME_MAX) {
		net_payload(n->key, seq, want, NET_FRAME_MIN, len);
		if (memcmp(f + NET_FRAME_MIN, want + NET_FRAME_MIN,
			   len - NET_FRAME_MIN) == 0)
			return len;
	}
	for (i = NET_FRAME_MIN; i < len; i++)
		if (f[i] != net_payload_byte(n->key, seq, i))
			return i;
	return len;
}

static bool net_negotiated(const struct wl_driver *w, unsigned int bit)
{
	/* Not virtio_has_feature: it reports a bit the driver's table
	 * lacks, and these are absent on purpose. */
	return test_bit(bit, w->vdev->features);
}

/* flags and gso_type of a received header (virtio 1.2 5.1.6.4.1):
 * without GUEST_CSUM flags is 0; without GUEST_TSO4, GUEST_TSO6 and
 * GUEST_UFO gso_type is GSO_NONE. Named apart ("not negotiated"):
 * `ringside check`'s net.rx-offloads-negotiated. */
static bool net_check_offloads(struct wl_driver *w, const u8 *buf)
{
	bool csum = net_negotiated(w, NET_F_GUEST_CSUM);
	bool gso = net_negotiated(w, NET_F_GUEST_TSO4) ||
		   net_negotiated(w, NET_F_GUEST_TSO6) ||
		   net_negotiated(w, NET_F_GUEST_UFO);

	if ((csum || buf[0] == 0) && (gso || buf[1] == NET_HDR_GSO_NONE))
		return true;
	wl_data_fail(w,
		     "received header with flags %#x, gso_type %#x: "
		     "offloads not negotiated (GUEST_CSUM %s, GUEST_TSO4/6 "
		     "or UFO %s)",
		     buf[0], buf[1], csum ? "on" : "off", gso ? "on" : "off");
	return false;
}

/* A received header: zero, but for num_buffers (1.x), which is 1 without
 * MRG_RXBUF (0 accepted). */
static bool net_check_hdr(struct wl_driver *w, const u8 *buf)
{
	static const u8 zero_hdr[NET_HDR_LEGACY];
	u32 num_buffers;

	if (!net_check_offloads(w, buf))
		return false;
	if (memcmp(buf, zero_hdr, NET_HDR_LEGACY) != 0) {
		wl_data_fail(w, "received header not zeroed");
		return false;
	}
	if (net_of(w)->hdr_len == NET_HDR_LEGACY)
		return true;
	num_buffers = (u32)buf[NET_HDR_LEGACY] | (u32)buf[NET_HDR_LEGACY + 1]
							 << 8;
	if (num_buffers > 1) {
		wl_data_fail(w,
			     "received num_buffers %u (%#x) without "
			     "MRG_RXBUF (1 expected)",
			     num_buffers, num_buffers);
		return false;
	}
	return true;
}

static bool net_eth_ok(const struct net_drv *n, const u8 *f)
{
	return memcmp(f, n->dst, 6) == 0 && memcmp(f + 6, net_src, 6) == 0 &&
	       f[12] == (u8)(NET_ETHERTYPE >> 8) && f[13] == (u8)NET_ETHERTYPE;
}

/* A frame intact after a header of the other size: the device got the
 * header size wrong (named apart: `ringside check`'s net.header-size). */
static bool net_check_hdr_size(struct wl_driver *w, const u8 *buf, u32 len)
{
	struct net_drv *n = net_of(w);
	u32 other = n->hdr_len == NET_HDR_V1 ? NET_HDR_LEGACY : NET_HDR_V1;

	if (net_eth_ok(n, buf + n->hdr_len) || len < other + NET_FRAME_MIN ||
	    !net_eth_ok(n, buf + other))
		return true;
	wl_data_fail(w, "received header of %u bytes, %u expected", other,
		     n->hdr_len);
	return false;
}

/* Checks a received frame against what was sent; true when it verified. */
static bool net_check_frame(struct wl_driver *w, const u8 *buf, u32 len)
{
	struct net_drv *n = net_of(w);
	const u8 *f = buf + n->hdr_len;
	u32 flen = len - n->hdr_len, seq, at;
	struct net_sent *e;

	if (!net_check_hdr_size(w, buf, len) || !net_check_hdr(w, buf))
		return false;
	if (!net_eth_ok(n, f)) {
		wl_data_fail(w,
			     "received frame of %u bytes with a foreign "
			     "Ethernet header",
			     flen);
		return false;
	}
	seq = get_le32(f + NET_SEQ_OFF);
	e = &n->sent[seq % NET_SENT_MAX];
	if (e->seq != seq || e->state == NET_SENT_FREE) {
		wl_data_fail(w, "received seq %u, never sent (or stale)", seq);
		return false;
	}
	if (e->state == NET_SENT_RECEIVED) {
		wl_data_fail(w, "received seq %u twice", seq);
		return false;
	}
	e->state = NET_SENT_RECEIVED;
	if (flen != e->len) {
		wl_data_fail(w, "seq %u: received %u frame bytes, sent %u", seq,
			     flen, e->len);
		return false;
	}
	at = net_payload_diff(n, f, flen, seq);
	if (at != flen) {
		wl_data_fail(w, "seq %u: frame byte %u of %u differs", seq, at,
			     flen);
		return false;
	}
	return true;
}

static void net_complete(struct wl_driver *w, struct wl_req *r, u32 len)
{
	struct net_drv *n = net_of(w);

	if (r->queue == 1) {
		net_put(&n->tx_out);
		return; /* sent; its frame comes back on the receive queue */
	}
	net_put(&n->rx_out);
	if (len == 0)
		return; /* legal: a buffer returned empty (len-zero) */
	/* Saturating: after a lie (see net_rx_wanted) it may undercount. */
	n->pending -= n->pending > 0;
	if (len < n->hdr_len + NET_FRAME_MIN) {
		wl_data_fail(w,
			     "received len %u, below header and frame "
			     "minimum %u",
			     len, n->hdr_len + NET_FRAME_MIN);
		return;
	}
	if (net_check_frame(w, r->mem, len) && wl_data_trusted(w))
		w->data_checked++;
}

/* r never reached the device (or comes back by detach after a reset):
 * its frame, or the buffer, is no longer expected. */
static void net_cancel(struct wl_driver *w, struct wl_req *r)
{
	struct net_drv *n = net_of(w);
	struct net_sent *e;
	u32 seq;

	if (r->queue == 0) {
		net_put(&n->rx_out);
		return;
	}
	net_put(&n->tx_out);
	seq = (u32)r->tag[0];
	e = &n->sent[seq % NET_SENT_MAX];
	if (e->seq == seq && e->state == NET_SENT_FLIGHT) {
		e->state = NET_SENT_FREE;
		n->pending -= n->pending > 0;
	}
}

const struct wl_class wl_net_class = {
	.name = "ringside-net",
	.id_table = net_ids,
	.features = net_features,
	.nfeatures = ARRAY_SIZE(net_features),
	.nqueues = 2,
	.queue_names = net_queues,
	.init = net_init,
	.fini = net_fini,
	.probe = net_probe,
	.prepare = net_prepare,
	.complete = net_complete,
	.cancel = net_cancel,
};
