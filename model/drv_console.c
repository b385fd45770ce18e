/*
 * drv_console.c - the console workload: transmits messages to the echo
 * device (dev_console.c) on the "output" queue and checks what comes back
 * on the "input" queue.
 *
 * The device may complete transmit chains in any order, so it may echo
 * messages in another order than they were sent; and it may split the
 * echo across receive buffers in any way. So every message describes
 * itself: a header {stream offset u32 le, payload length u8, check u8}
 * and a payload whose bytes are a function of the per-binding key and
 * their stream position. The receiver reassembles messages from the byte
 * stream and checks each one on its own: a byte changed, a message never
 * sent, or more echoed than sent is a data-integrity failure. It never
 * expects completeness: a reset or unplug loses what was in flight, and a
 * new probe starts a new stream (new key, empty reassembly).
 *
 * Nothing may wait forever because of the driver (the stall oracle): a
 * receive buffer is only added while its bytes are covered by bytes sent
 * and not yet received, and transmitting stops while a window of bytes is
 * in flight, so an honest device never has a full FIFO.
 */
#include "driver.h"
#include "reuse.h"

#include <assert.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CONSOLE_RX 0
#define CONSOLE_TX 1
#define CONSOLE_RX_MAX 256 /* bytes of one receive buffer */
#define CONSOLE_HDR 6
#define CONSOLE_MSG_MAX 128 /* header and payload */
#define CONSOLE_PAYLOAD_MAX (CONSOLE_MSG_MAX - CONSOLE_HDR)
/* Bytes sent and not yet received at most; far below the device's FIFO. */
#define CONSOLE_TX_WINDOW (16u << 10)

/* struct virtio_console_config: cols and rows (le16 each) at 0 with
 * F_SIZE. */
#define CONSOLE_F_SIZE 0
#define CONSOLE_SIZE_BYTES 4u

/* r->tag[] of a request. */
enum { TAG_GEN, TAG_OFFSET, TAG_SIZE };

struct console_drv {
	u64 key;	 /* the stream of this binding */
	u64 gen;	 /* bindings so far: requests of older ones are stale */
	u32 tx_end;	 /* stream bytes handed to the device */
	u64 rx_bytes;	 /* bytes received */
	u64 rx_capacity; /* writable bytes of receive buffers outstanding */
	u64 echoed_bytes;	 /* bytes of verified messages */
	u8 msg[CONSOLE_MSG_MAX]; /* the message being reassembled */
	u32 msg_len;
	u8 size[CONSOLE_SIZE_BYTES]; /* cols, rows: the terminal's size */
};

static const struct virtio_device_id console_ids[] = {
	{ VIRTIO_ID_CONSOLE, VIRTIO_DEV_ANY_ID },
	{ 0, 0 },
};

static const unsigned int console_features[] = {
	CONSOLE_F_SIZE,
	VIRTIO_RING_F_INDIRECT_DESC,
	VIRTIO_RING_F_EVENT_IDX,
};

static const char *const console_queues[] = { "input", "output" };

static struct console_drv *con_of(struct wl_driver *w)
{
	return w->priv;
}

static u64 mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u8 stream_byte(const struct console_drv *s, u32 pos)
{
	return (u8)mix64(s->key + pos);
}

static u8 header_check(const struct console_drv *s, u32 offset, u8 plen)
{
	return (u8)mix64(s->key ^ 0xc3a5c85c97cb3127ULL ^
			 ((u64)offset << 8 | plen));
}

/* Bytes sent and not yet received, as the driver counts them. */
static u64 in_flight(const struct console_drv *s)
{
	return s->tx_end > s->rx_bytes ? s->tx_end - s->rx_bytes : 0;
}

/* One or two sg entries over buf (split anywhere). */
static unsigned int fill_sg(struct wl_driver *w, struct scatterlist *sg,
			    u8 *buf, u32 len)
{
	u32 split;

	if (len < 2 || !choice_chance(w->env->cs, 1, 3)) {
		sg_init_one(sg, buf, len);
		return 1;
	}
	split = 1 + (u32)choice_below(w->env->cs, len - 1);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, split);
	sg_set_buf(&sg[1], buf + split, len - split);
	return 2;
}

/* A message at the stream's end: 0 draws the largest. */
static int prepare_tx(struct wl_driver *w, struct wl_req *r,
		      struct scatterlist *sg, unsigned int *out)
{
	struct console_drv *s = con_of(w);
	u32 plen, size, i, off = s->tx_end;
	u8 *buf;

	if (in_flight(s) >= CONSOLE_TX_WINDOW ||
	    off > UINT32_MAX - CONSOLE_MSG_MAX)
		return -EAGAIN;
	plen = CONSOLE_PAYLOAD_MAX -
	       (u32)choice_below(w->env->cs, CONSOLE_PAYLOAD_MAX);
	size = CONSOLE_HDR + plen;
	buf = kmalloc(size, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < 4; i++)
		buf[i] = (u8)(off >> (8 * i));
	buf[4] = (u8)plen;
	buf[5] = header_check(s, off, (u8)plen);
	for (i = CONSOLE_HDR; i < size; i++)
		buf[i] = stream_byte(s, off + i);
	r->mem = buf;
	r->bytes = size;
	r->tag[TAG_GEN] = s->gen;
	r->tag[TAG_OFFSET] = off;
	r->tag[TAG_SIZE] = size;
	s->tx_end = off + size;
	*out = fill_sg(w, sg, buf, size);
	return 0;
}

/* A receive buffer, only for bytes on their way (see the top): 0 draws
 * the largest that is covered. */
static int prepare_rx(struct wl_driver *w, struct wl_req *r,
		      struct scatterlist *sg, unsigned int *in)
{
	struct console_drv *s = con_of(w);
	u64 covered = in_flight(s);
	u32 most, len;
	u8 *buf;

	if (covered <= s->rx_capacity)
		return -EAGAIN;
	covered -= s->rx_capacity;
	most = covered < CONSOLE_RX_MAX ? (u32)covered : CONSOLE_RX_MAX;
	len = most - (u32)choice_below(w->env->cs, most);
	/* Zeroed: after an oversized len the driver reads bytes the device
	 * never wrote, and they must be the same in every run. */
	buf = kzalloc(len, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	r->mem = buf;
	r->bytes = len;
	r->tag[TAG_GEN] = s->gen;
	s->rx_capacity += len;
	*in = fill_sg(w, sg, buf, len);
	return 0;
}

static int console_prepare(struct wl_driver *w, unsigned int q,
			   struct wl_req *r, struct scatterlist *sg,
			   unsigned int *out, unsigned int *in)
{
	*out = 0;
	*in = 0;
	assert(q == CONSOLE_RX || q == CONSOLE_TX);
	if (q == CONSOLE_TX)
		return prepare_tx(w, r, sg, out);
	return prepare_rx(w, r, sg, in);
}

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* The header is in: is it one the driver could have sent? false after a
 * failure (the framing is lost: the reassembly starts over). */
static bool check_header(struct wl_driver *w, struct console_drv *s)
{
	u32 off = get_le32(s->msg);
	u8 plen = s->msg[4];
	u64 size = CONSOLE_HDR + (u64)plen;

	if (plen == 0 || plen > CONSOLE_PAYLOAD_MAX ||
	    s->msg[5] != header_check(s, off, plen)) {
		wl_data_fail(w,
			     "echo: bad message header (offset %u, "
			     "length %u, check %#x) after %llu bytes",
			     off, plen, s->msg[5],
			     (unsigned long long)s->rx_bytes);
		return false;
	}
	if (off + size > s->tx_end) {
		wl_data_fail(w,
			     "echo: message at offset %u never sent "
			     "(%u bytes sent)",
			     off, s->tx_end);
		return false;
	}
	if (s->echoed_bytes + size > s->tx_end) {
		wl_data_fail(w,
			     "echo: more bytes echoed than sent (%u): "
			     "a message came back twice",
			     s->tx_end);
		return false;
	}
	return true;
}

/* The whole message is in: every payload byte must be the stream's. */
static void check_payload(struct wl_driver *w, struct console_drv *s)
{
	u32 off = get_le32(s->msg), i;

	for (i = CONSOLE_HDR; i < s->msg_len; i++)
		if (s->msg[i] != stream_byte(s, off + i)) {
			wl_data_fail(w,
				     "echo: message at offset %u byte %u "
				     "is %#x, sent %#x",
				     off, i, s->msg[i],
				     stream_byte(s, off + i));
			return;
		}
	s->echoed_bytes += s->msg_len;
	w->data_checked++;
}

/* Received bytes, in order: reassemble messages and check each. */
static void feed(struct wl_driver *w, const u8 *p, u32 len)
{
	struct console_drv *s = con_of(w);
	u32 i;

	for (i = 0; i < len; i++) {
		s->msg[s->msg_len++] = p[i];
		if (s->msg_len == CONSOLE_HDR && !check_header(w, s)) {
			s->msg_len = 0;
			continue;
		}
		if (s->msg_len > CONSOLE_HDR &&
		    s->msg_len == CONSOLE_HDR + (u32)s->msg[4]) {
			check_payload(w, s);
			s->msg_len = 0;
		}
	}
}

static bool current(struct wl_driver *w, const struct wl_req *r)
{
	return r->tag[TAG_GEN] == con_of(w)->gen;
}

static void console_complete(struct wl_driver *w, struct wl_req *r, u32 len)
{
	struct console_drv *s = con_of(w);

	if (!current(w, r))
		return; /* from before the last probe: nothing to count */
	if (r->queue == CONSOLE_TX)
		return;
	assert(s->rx_capacity >= r->bytes);
	s->rx_capacity -= r->bytes;
	s->rx_bytes += len;
	feed(w, r->mem, len);
}

/* Undo prepare: a failed add is cancelled right after its prepare, so a
 * transmit message is still the stream's last. */
static void console_cancel(struct wl_driver *w, struct wl_req *r)
{
	struct console_drv *s = con_of(w);

	if (!current(w, r))
		return;
	if (r->queue == CONSOLE_RX) {
		assert(s->rx_capacity >= r->bytes);
		s->rx_capacity -= r->bytes;
	} else if (r->tag[TAG_OFFSET] + r->tag[TAG_SIZE] == s->tx_end) {
		s->tx_end = (u32)r->tag[TAG_OFFSET];
	}
}

/* cols and rows in one read: a pair of one generation (a console that
 * was resized must not be shown half of each size). */
static void console_read_size(struct wl_driver *w)
{
	if (virtio_has_feature(w->vdev, CONSOLE_F_SIZE))
		wl_config_read(w, 0, con_of(w)->size, CONSOLE_SIZE_BYTES);
}

/* A new binding: the device was reset, its FIFO is empty. */
static void console_probe(struct wl_driver *w)
{
	struct console_drv *s = con_of(w);
	u64 gen = s->gen + 1;

	memset(s, 0, sizeof(*s));
	s->gen = gen;
	s->key = choice_range(w->env->cs, 0, ~0ULL);
	console_read_size(w);
}

/* Kept from one world to the next (reuse.h). */
static struct reuse_slot console_drv_slot;

static int console_init(struct wl_driver *w)
{
	w->priv = reuse_get(&console_drv_slot, sizeof(struct console_drv),
			    sizeof(struct console_drv), true);
	return w->priv ? 0 : -ENOMEM;
}

static void console_fini(struct wl_driver *w)
{
	reuse_put(&console_drv_slot, w->priv);
	w->priv = NULL;
}

const struct wl_class wl_console_class = {
	.name = "ringside-console",
	.id_table = console_ids,
	.features = console_features,
	.nfeatures = ARRAY_SIZE(console_features),
	.nqueues = 2,
	.queue_names = console_queues,
	.init = console_init,
	.fini = console_fini,
	.probe = console_probe,
	.config_changed = console_read_size,
	.prepare = console_prepare,
	.complete = console_complete,
	.cancel = console_cancel,
};
