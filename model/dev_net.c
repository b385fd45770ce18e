/*
 * dev_net.c - the network device (virtio-net without MRG_RXBUF): queue 0
 * receive, queue 1 transmit, each packet preceded by a virtio_net_hdr of
 * 10 bytes (legacy) or 12 (VIRTIO_F_VERSION_1 negotiated: num_buffers is
 * always there). The device is a loopback cable: every frame transmitted
 * is queued (a bounded host-side ring) and later delivered into one
 * receive buffer, with a zeroed header (num_buffers 1 in a 12-byte one,
 * as a 1.x device without MRG_RXBUF sets it).
 *
 * Drops, as a real device drops: a transmit chain too short for the
 * header or with a frame above the Ethernet maximum (completed, len 0),
 * and a queued frame that does not fit the receive buffer at hand (the
 * buffer waits for the next frame). Nothing else is lost: with the packet
 * ring full a transmit chain is deferred, and a receive buffer with no
 * frame queued is deferred (device.h note 1).
 */
#include "device.h"
#include "reuse.h"

#include <assert.h>
#include <linux/errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>

/* struct virtio_net_hdr without MRG_RXBUF: legacy, and with VERSION_1
 * (num_buffers, le16, last). */
#define NET_HDR_LEGACY 10u
#define NET_HDR_V1 12u
#define NET_FRAME_MAX 1514u  /* Ethernet header + 1500 bytes of MTU */
#define NET_RING_PACKETS 64u /* frames looped back and not yet received */
#define NET_F_MAC 5	     /* VIRTIO_NET_F_MAC: config holds the MAC */
#define NET_F_STATUS 16	     /* VIRTIO_NET_F_STATUS: config status valid */
#define NET_S_LINK_UP 1u
#define NET_HDR_F_NEEDS_CSUM 1u /* struct virtio_net_hdr: flags */
#define NET_HDR_GSO_TCPV4 1u	/* and gso_type */
#define NET_CONFIG_SIZE 8u	/* mac[6], le16 status */

struct net_packet {
	u32 len; /* frame bytes, header excluded */
	u8 frame[NET_FRAME_MAX];
};

struct net_dev {
	u8 config[NET_CONFIG_SIZE];
	unsigned int head;  /* oldest queued packet */
	unsigned int count; /* packets queued */
	struct net_packet ring[NET_RING_PACKETS];
};

/* The device of one world after another (reuse.h): ~97 KiB. */
static struct reuse_slot net_slot;

static struct net_dev *net_of(struct sim_device *d)
{
	return d->priv;
}

/* A locally plausible unicast MAC (QEMU's 52:54:00 prefix): draw 0 gives
 * 52:54:00:00:00:00, still an ordinary address. */
static int net_init(struct sim_device *d)
{
	struct net_dev *n = reuse_get(&net_slot, sizeof(*n), sizeof(*n), true);
	u32 low;

	if (!n)
		return -ENOMEM;
	low = (u32)choice_below(d->env->cs, 1u << 24);
	n->config[0] = 0x52;
	n->config[1] = 0x54;
	n->config[2] = 0x00;
	n->config[3] = (u8)(low >> 16);
	n->config[4] = (u8)(low >> 8);
	n->config[5] = (u8)low;
	n->config[6] = NET_S_LINK_UP; /* le16 status */
	n->config[7] = 0;
	d->priv = n;
	return 0;
}

/* The header length the negotiated features give. */
static u32 net_hdr_len(const struct sim_device *d)
{
	return d->t->driver_features & (1ULL << VIRTIO_F_VERSION_1)
		       ? NET_HDR_V1
		       : NET_HDR_LEGACY;
}

static void net_fini(struct sim_device *d)
{
	reuse_put(&net_slot, d->priv);
	d->priv = NULL;
}

/* A reset loses every frame in flight, as it loses the chains. */
static void net_reset(struct sim_device *d)
{
	struct net_dev *n = net_of(d);

	if (!n)
		return; /* init failed: the world is being torn down */
	n->head = 0;
	n->count = 0;
}

static void net_config_read(struct sim_device *d, unsigned int offset,
			    void *buf, unsigned int len)
{
	struct net_dev *n = net_of(d);
	unsigned int i;
	u8 *out = buf;

	for (i = 0; i < len; i++)
		out[i] = offset + i < NET_CONFIG_SIZE ? n->config[offset + i]
						      : 0;
}

/* Transmit: queue the frame for loopback, or drop a malformed chain. */
static bool net_transmit(struct sim_device *d, const struct devq_chain *c)
{
	struct net_dev *n = net_of(d);
	struct net_packet *p;
	u32 flen, hdr = net_hdr_len(d);

	if (c->readable < hdr || c->readable - hdr > NET_FRAME_MAX)
		return true; /* dropped */
	/* Planted (framing, for ring.framing-agnostic): the header read
	 * from the first descriptor alone, which must be exactly its size;
	 * a frame laid out any other way is dropped as malformed. */
	if (d->plant_framing && (c->nseg == 0 || c->seg[0].len != hdr))
		return true;
	if (n->count == NET_RING_PACKETS)
		return false; /* no room: the chain waits for a receive */
	flen = c->readable - hdr;
	p = &n->ring[(n->head + n->count) % NET_RING_PACKETS];
	p->len = devq_read(c, hdr, p->frame, flen);
	assert(p->len == flen);
	/* The planted bug the data-integrity oracle must catch. */
	if (d->plant_corrupt_data && flen > 0)
		p->frame[flen - 1] ^= 0x20;
	n->count++;
	return true;
}

/* Receive: the oldest frame that fits, behind a zeroed header (but for
 * num_buffers, 1, in a 12-byte one). */
static bool net_receive(struct sim_device *d, const struct devq_chain *c,
			u32 *len)
{
	u8 hdr[NET_HDR_V1] = { 0 };
	u32 hlen = net_hdr_len(d);
	struct net_dev *n = net_of(d);
	struct net_packet *p;

	/* Planted: the header of the other size in front of the frame. */
	if (d->plant_net_header)
		hlen = hlen == NET_HDR_V1 ? NET_HDR_LEGACY : NET_HDR_V1;

	if (hlen == NET_HDR_V1)
		hdr[NET_HDR_LEGACY] = 1; /* le16 num_buffers */
	/* Planted: offloads the driver never negotiated (flags NEEDS_CSUM,
	 * gso_type TCPV4). */
	if (d->plant_rx_offloads) {
		hdr[0] = NET_HDR_F_NEEDS_CSUM;
		hdr[1] = NET_HDR_GSO_TCPV4;
	}
	/* A buffer that can never hold a header is returned empty at once
	 * rather than held (and starving every frame) forever. */
	if (c->writable < hlen)
		return true;
	while (n->count) {
		p = &n->ring[n->head];
		n->head = (n->head + 1) % NET_RING_PACKETS;
		n->count--;
		if (hlen + p->len > c->writable)
			continue; /* dropped */
		devq_write(c, 0, hdr, hlen);
		devq_write(c, hlen, p->frame, p->len);
		*len = hlen + p->len;
		return true;
	}
	return false;
}

static bool net_process(struct sim_device *d, unsigned int q,
			const struct devq_chain *c, u32 *len)
{
	*len = 0;
	if (q == 0)
		return net_receive(d, c, len);
	assert(q == 1);
	return net_transmit(d, c);
}

const struct sim_device_class dev_net_class = {
	.name = "net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.receive_queues = 1u << 0, /* "input" */
	.features = 1ULL << NET_F_MAC | 1ULL << NET_F_STATUS,
	.config_size = NET_CONFIG_SIZE,
	.init = net_init,
	.fini = net_fini,
	.reset = net_reset,
	.process = net_process,
	.config_read = net_config_read,
};
