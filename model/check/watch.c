/*
 * watch.c - the checks on our driver's rings (watch.h).
 */
#include "watch.h"

#include <assert.h>
#include <linux/scatterlist.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_MAX 16
#define POISON_RUN 6u

/* Block requests (5.2.6). */
#define BLK_HDR 16u
#define BLK_SECTOR 512u
#define BLK_T_IN 0u
#define BLK_T_OUT 1u
#define BLK_T_FLUSH 4u
#define BLK_T_GET_ID 8u
#define BLK_S_OK 0u
#define BLK_S_UNSUPP 2u
#define BLK_F_FLUSH 9

/* ring.framing-agnostic: the framings of a block request. */
enum framing {
	FRAMING_ONE = 0, /* direct, the data in one descriptor (or none) */
	FRAMING_SPLIT,	 /* direct, the data across several */
	FRAMING_INDIRECT,
};

/* Net (5.1.6): the header without MRG_RXBUF, legacy and with VERSION_1;
 * the workload's frames carry a le32 sequence number after the Ethernet
 * header (drv_net.c). */
#define NET_HDR_LEGACY 10u
#define NET_HDR_V1 12u
#define NET_SEQ_OFF 14u
#define NET_FRAME_MIN 18u
/* Net and console: queue 0 receives, queue 1 transmits. */
#define QUEUE_RX 0u
#define QUEUE_TX 1u
/* Console (drv_console.c): each transmit chain one message, a header
 * {stream offset le32, payload length u8, check u8} and 1 to 122 payload
 * bytes; receive buffers hold the echoed stream. */
#define CON_HDR 6u
#define CON_MSG_MAX 128u
#define CON_MSG_MIN 7u
/* Frames (messages) remembered: more than can be in flight (net: the
 * workload's table of 1024; console: 16 KiB at most, messages of 7 bytes
 * at least, keyed by offset / 7). */
#define WATCH_FRAMES 4096u
/* Frames of a framing damaged or missing, none of it intact, while
 * another framing's arrive: the framing is refused. (Fewer is left to
 * the data entries: a device that damages some frames whatever their
 * framing may damage the first of one framing.) */
#define FRAMES_LOST_FAIL 8u

/* ring.framing-agnostic: the framings of a net transmit chain. */
enum net_framing {
	NET_FRAMING_ONE = 0, /* header and frame in one descriptor */
	NET_FRAMING_HDR,     /* the header alone in the first */
	NET_FRAMING_SPLIT,   /* several, the header not alone in the first */
	NET_FRAMING_INDIRECT,
	FRAMINGS_MAX
};

/* ring.framing-agnostic: the framings of a console message. */
enum con_framing {
	CON_FRAMING_ONE = 0, /* in one descriptor */
	CON_FRAMING_SPLIT,   /* in several */
	CON_FRAMING_INDIRECT,
};

/* A frame transmitted (net: by sequence number; console: a message, by
 * stream offset). */
struct watch_frame {
	u64 tx_no; /* its place among the transmitted frames; 0: none */
	u32 seq;   /* net: the sequence number; console: the offset */
	u32 len;   /* net: frame bytes, header excluded; console: message */
	u32 sum;   /* sum of the frame bytes (sum_add) */
	u8 framing;
	bool arrived;
	bool missing; /* counted in sent_missing */
};

struct watch_frames {
	struct watch_frame f[WATCH_FRAMES]; /* by sequence number */
	/* The sequence numbers of frames neither arrived nor missing yet,
	 * oldest first (a ring of count from head). */
	u32 order[WATCH_FRAMES];
	unsigned int head, count;
	/* Console: the echoed message being reassembled; lost once bytes
	 * came that start no message sent (console.data-intact's). */
	u8 msg[CON_MSG_MAX];
	u32 msg_len;
	bool lost;
};

struct seg {
	u64 phys;
	u32 len;
	bool writable;
};

/* What the checker noted when a chain was made available. */
struct watch_shadow {
	bool live;
	bool poisoned;
	bool indirect;
	u8 last_before; /* the last writable byte at exposure */
	/* Indirect: where its table is, and the table as the driver wrote
	 * it (a chain of at most SEG_MAX entries: they all fit). */
	u64 table;
	u32 table_len;
	struct vring_desc table_copy[SEG_MAX];
	unsigned int nseg;
	u32 readable, writable;
	u32 sum; /* sum of the readable bytes (sum_add) */
	struct seg seg[SEG_MAX];
};

void watch_violation(struct check_watch *w, const char *id, unsigned int q,
		     u64 observed, u64 expected, const char *text)
{
	check_violation(w->c, check_index(id), w->step, q, observed, expected,
			"%s", text);
	w->stop = true;
}

void watch_exercised(struct check_watch *w, const char *id)
{
	w->c->exercised[check_index(id)] = true;
}

u64 watch_reserved_features(int mode)
{
	u64 mask = (1ULL << 25) | (1ULL << 26) | (1ULL << 31) |
		   (((1ULL << 9) - 1) << 41);

	return mode == CHECK_MODERN ? mask | (1ULL << 30) : mask;
}

void watch_init(struct check_watch *w, struct check_case *c,
		const struct watch_ops *ops, void *ctx)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->ops = ops;
	w->ctx = ctx;
	w->poison_mask = ~0u;
}

void watch_fini(struct check_watch *w)
{
	unsigned int q;

	for (q = 0; q < WATCH_QUEUES; q++) {
		free(w->shadow[q]);
		w->shadow[q] = NULL;
	}
	free(w->frames);
	w->frames = NULL;
}

static unsigned int nvqs(struct check_watch *w)
{
	unsigned int n = w->ops->nvqs(w->ctx);

	return n < WATCH_QUEUES ? n : WATCH_QUEUES;
}

static bool negotiated(struct check_watch *w, unsigned int bit)
{
	return (w->ops->features(w->ctx) >> bit) & 1;
}

/* --- shadows of the chains made available ------------------------------- */

static u8 poison_byte(u32 offset)
{
	return (u8)(0xa5u ^ (offset * 0x3bu) ^ (offset >> 8));
}

static bool add_seg(struct watch_shadow *s, const struct vring_desc *d)
{
	if (s->nseg == SEG_MAX)
		return false;
	s->seg[s->nseg].phys = d->addr;
	s->seg[s->nseg].len = d->len;
	s->seg[s->nseg].writable = d->flags & VRING_DESC_F_WRITE;
	if (d->len && !shim_guest_range_ok(d->addr, d->len))
		return false;
	if (d->flags & VRING_DESC_F_WRITE)
		s->writable += d->len;
	else
		s->readable += d->len;
	s->nseg++;
	return true;
}

/* Our own ring's chain at head (direct or one indirect table). */
static bool walk(struct watch_shadow *s, const struct vring *vr, u16 head)
{
	const struct vring_desc *table = vr->desc;
	unsigned int n = vr->num, i = head, count;

	memset(s, 0, sizeof(*s));
	if (head >= vr->num)
		return false;
	if (vr->desc[head].flags & VRING_DESC_F_INDIRECT) {
		s->indirect = true;
		s->table = vr->desc[head].addr;
		s->table_len = vr->desc[head].len;
		n = vr->desc[head].len / sizeof(struct vring_desc);
		table = shim_guest_ptr(vr->desc[head].addr, vr->desc[head].len);
		if (!table || n == 0 || s->table_len > sizeof(s->table_copy))
			return false;
		memcpy(s->table_copy, table, s->table_len);
		i = 0;
	}
	for (count = 0; count < n; count++) {
		if (!add_seg(s, &table[i]))
			return false;
		if (!(table[i].flags & VRING_DESC_F_NEXT))
			return true;
		i = table[i].next;
		if (i >= n)
			return false;
	}
	return false;
}

/* FNV-1a over 32-bit little-endian words (a multiply per byte was most
 * of a check's time on net's large buffers), fed in pieces: the sum of
 * the same bytes is the same however they are split into descriptors,
 * so a frame sent in one layout matches itself received in another. */
struct sum {
	u32 h;
	u32 word; /* bytes of the next word so far */
	unsigned int n;
};

static const struct sum sum_start = { 2166136261u, 0, 0 };

static void sum_add(struct sum *s, const u8 *p, u32 len)
{
	u32 i = 0, word;

	for (; s->n && i < len; i++) {
		s->word |= (u32)p[i] << (8 * s->n);
		if (++s->n == 4) {
			s->h = (s->h ^ s->word) * 16777619u;
			s->word = 0;
			s->n = 0;
		}
	}
	for (; i + 4 <= len; i += 4) {
		word = (u32)p[i] | (u32)p[i + 1] << 8 | (u32)p[i + 2] << 16 |
		       (u32)p[i + 3] << 24;
		s->h = (s->h ^ word) * 16777619u;
	}
	for (; i < len; i++)
		s->word |= (u32)p[i] << (8 * s->n++);
}

/* The sum; a last partial word counts with its length. */
static u32 sum_end(const struct sum *s)
{
	if (!s->n)
		return s->h;
	return ((s->h ^ s->word) * 16777619u) ^ s->n;
}

static u32 sum_of(const u8 *p, u32 len)
{
	struct sum s = sum_start;

	sum_add(&s, p, len);
	return sum_end(&s);
}

/* The writable (or readable) part of a chain a segment at a time. */
struct part_cursor {
	const struct watch_shadow *s;
	bool writable;
	unsigned int seg; /* the next segment to look at */
	u32 at;		  /* the part's offset of that segment's first byte */
};

/* The next segment of the part: its bytes (NULL past the last), *len of
 * them, the first at the part's offset *off. */
static u8 *part_next(struct part_cursor *c, u32 *len, u32 *off)
{
	const struct watch_shadow *s = c->s;
	u8 *p;

	while (c->seg < s->nseg) {
		const struct seg *g = &s->seg[c->seg++];

		if (g->writable != c->writable || !g->len)
			continue;
		/* add_seg checked the range */
		p = shim_guest_ptr(g->phys, g->len);
		assert(p);
		*len = g->len;
		*off = c->at;
		c->at += g->len;
		return p;
	}
	return NULL;
}

/* The byte at offset off of the writable (or readable) part. */
static u8 *part_at(const struct watch_shadow *s, bool writable, u32 off)
{
	struct part_cursor c = { .s = s, .writable = writable };
	u32 len, at;
	u8 *p;

	while ((p = part_next(&c, &len, &at)) != NULL)
		if (off < at + len)
			return p + (off - at);
	return NULL;
}

/* The sum of bytes [from, to) of the writable (or readable) part, a
 * descriptor at a time. */
static u32 part_sum(const struct watch_shadow *s, bool writable, u32 from,
		    u32 to)
{
	struct part_cursor c = { .s = s, .writable = writable };
	struct sum h = sum_start;
	u32 len, off, a, b;
	const u8 *p;

	while ((p = part_next(&c, &len, &off)) != NULL && off < to) {
		a = from > off ? from - off : 0;
		b = to - off < len ? to - off : len;
		if (a < b)
			sum_add(&h, p + a, b - a);
	}
	return sum_end(&h);
}

/* The sum of every readable byte (watch_shadow.sum). */
static u32 readable_sum(const struct watch_shadow *s)
{
	return part_sum(s, false, 0, s->readable);
}

static u64 readable_le(const struct watch_shadow *s, u32 off, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	assert(off + n <= s->readable);
	for (i = 0; i < n; i++)
		v |= (u64)*part_at(s, false, off + i) << (8 * i);
	return v;
}

static void poison(const struct watch_shadow *s)
{
	struct part_cursor c = { .s = s, .writable = true };
	u32 len, off, k;
	u8 *p;

	while ((p = part_next(&c, &len, &off)) != NULL)
		for (k = 0; k < len; k++)
			p[k] = poison_byte(off + k);
}

static bool ensure_shadows(struct check_watch *w, unsigned int q,
			   unsigned int num)
{
	if (w->shadow[q] && w->shadow_num[q] == num)
		return true;
	free(w->shadow[q]);
	w->shadow[q] = calloc(num, sizeof(struct watch_shadow));
	w->shadow_num[q] = w->shadow[q] ? num : 0;
	return w->shadow[q] != NULL;
}

void watch_before_add(struct check_watch *w, unsigned int q,
		      const struct scatterlist *sg, unsigned int out,
		      unsigned int in)
{
	unsigned int i;
	u32 off = 0, k;
	u8 *p;

	if (w->stop || q >= WATCH_QUEUES || !((w->poison_mask >> q) & 1))
		return;
	/* The same bytes poison() writes: offsets count through the
	 * writable entries in chain order. */
	for (i = out; i < out + in; i++) {
		p = (u8 *)sg[i].buf + sg[i].offset;
		for (k = 0; k < sg[i].length; k++)
			p[k] = poison_byte(off++);
	}
	w->prepoisoned |= 1u << q;
}

/* --- ring.framing-agnostic on net -------------------------------------- */

static u32 net_hdr_len(struct check_watch *w)
{
	return negotiated(w, VIRTIO_F_VERSION_1) ? NET_HDR_V1 : NET_HDR_LEGACY;
}

static enum net_framing net_framing_of(const struct watch_shadow *s, u32 hdr)
{
	if (s->indirect)
		return NET_FRAMING_INDIRECT;
	if (s->nseg == 1)
		return NET_FRAMING_ONE;
	return s->seg[0].len == hdr ? NET_FRAMING_HDR : NET_FRAMING_SPLIT;
}

static const char *const net_framing_names[] = {
	"header and frame in one descriptor",
	"the header in a descriptor of its own",
	"split across descriptors, the header not alone in the first",
	"an indirect table",
};

static const char *const con_framing_names[] = {
	"the message in one descriptor",
	"the message split across descriptors",
	"an indirect table",
};

static u32 frame_slot(struct check_watch *w, u32 key)
{
	return (w->c->device_id == VIRTIO_ID_CONSOLE ? key / CON_MSG_MIN
						     : key) %
	       WATCH_FRAMES;
}

/* The table of frames sent; the first chain of a transmit queue starts
 * a binding: the frames of the last one were lost with its queues. */
static struct watch_frames *frames_at_add(struct check_watch *w, unsigned int q)
{
	struct vring_stats st;

	if (!w->frames) {
		w->frames = calloc(1, sizeof(*w->frames));
		if (!w->frames)
			return NULL;
	}
	virtqueue_get_stats(w->ops->vq(w->ctx, q), &st);
	if (st.added <= 1)
		memset(w->frames, 0, sizeof(*w->frames));
	return w->frames;
}

/* A frame of len bytes (its sum, sum_add) sent with key in this framing. */
static void frame_sent(struct check_watch *w, struct watch_frames *t, u32 key,
		       u32 len, u32 sum, unsigned int framing)
{
	struct watch_frame *e = &t->f[frame_slot(w, key)];

	memset(e, 0, sizeof(*e));
	e->tx_no = ++w->tx_no;
	e->seq = key;
	e->len = len;
	e->sum = sum;
	e->framing = (u8)framing;
	if (t->count == WATCH_FRAMES) { /* the oldest is forgotten */
		t->head = (t->head + 1) % WATCH_FRAMES;
		t->count--;
	}
	t->order[(t->head + t->count++) % WATCH_FRAMES] = key;
}

/* A transmit chain made available: its frame, by sequence number. */
static void net_sent(struct check_watch *w, unsigned int q,
		     const struct watch_shadow *s)
{
	struct watch_frames *t = frames_at_add(w, q);
	u32 hdr = net_hdr_len(w);

	if (!t || s->readable < hdr + NET_FRAME_MIN || s->writable)
		return;
	frame_sent(w, t, (u32)readable_le(s, hdr + NET_SEQ_OFF, 4),
		   s->readable - hdr, part_sum(s, false, hdr, s->readable),
		   net_framing_of(s, hdr));
}

/* A transmit chain made available: its message, by stream offset. */
static void con_sent(struct check_watch *w, unsigned int q,
		     const struct watch_shadow *s)
{
	struct watch_frames *t = frames_at_add(w, q);
	enum con_framing f = s->indirect   ? CON_FRAMING_INDIRECT
			     : s->nseg > 1 ? CON_FRAMING_SPLIT
					   : CON_FRAMING_ONE;

	if (!t || s->readable < CON_MSG_MIN || s->readable > CON_MSG_MAX ||
	    s->writable)
		return;
	frame_sent(w, t, (u32)readable_le(s, 0, 4), s->readable, s->sum, f);
}

/* A frame sent before tx_no that has not arrived is missing. */
static void frames_missing(struct check_watch *w, u64 tx_no)
{
	struct watch_frames *t = w->frames;

	while (t->count) {
		struct watch_frame *e = &t->f[frame_slot(w, t->order[t->head])];

		if (e->seq == t->order[t->head] && e->tx_no >= tx_no)
			return;
		/* Its slot may hold a later frame of the same number. */
		if (e->seq == t->order[t->head] && e->tx_no && !e->arrived &&
		    !e->missing) {
			e->missing = true;
			w->sent_missing[e->framing]++;
		}
		t->head = (t->head + 1) % WATCH_FRAMES;
		t->count--;
	}
}

/* A framing none of whose frames arrived intact, while another's did. */
static void frames_judge(struct check_watch *w, unsigned int q)
{
	const char *const *names = w->c->device_id == VIRTIO_ID_CONSOLE
					   ? con_framing_names
					   : net_framing_names;
	unsigned int n = names == con_framing_names ? 3 : FRAMINGS_MAX;
	unsigned int f, g, seen = 0;
	char text[CHECK_TEXT_BYTES];

	for (f = 0; f < n; f++)
		seen += (w->sent_ok[f] | w->sent_damaged[f] |
			 w->sent_missing[f]) != 0;
	if (seen < 2)
		return;
	watch_exercised(w, "ring.framing-agnostic");
	for (f = 0; f < n; f++) {
		if (w->sent_ok[f] ||
		    w->sent_damaged[f] + w->sent_missing[f] < FRAMES_LOST_FAIL)
			continue;
		for (g = 0; g < n; g++)
			if (g != f && w->sent_ok[g])
				break;
		if (g == n)
			continue;
		snprintf(text, sizeof(text),
			 "%s transmitted with %s: none intact, %u "
			 "damaged, %u missing (ones sent after them "
			 "arrived); with %s: %u intact",
			 names == con_framing_names ? "messages" : "frames",
			 names[f], w->sent_damaged[f], w->sent_missing[f],
			 names[g], w->sent_ok[g]);
		watch_violation(w, "ring.framing-agnostic", q, 0, w->sent_ok[g],
				text);
		return;
	}
}

/* A frame (message) with key arrived, len bytes of sum. */
static void frame_arrived(struct check_watch *w, unsigned int q, u32 key,
			  u32 len, u32 sum)
{
	struct watch_frame *e = &w->frames->f[frame_slot(w, key)];

	if (!e->tx_no || e->seq != key || e->arrived)
		return; /* not one of ours, or twice: the data entries' */
	e->arrived = true;
	if (e->missing) {
		e->missing = false;
		w->sent_missing[e->framing]--;
	}
	if (len == e->len && sum == e->sum) {
		w->sent_ok[e->framing]++;
		frames_missing(w, e->tx_no);
	} else {
		w->sent_damaged[e->framing]++;
	}
	frames_judge(w, q);
}

/* A receive buffer came back with len bytes: the frame it holds, against
 * the one sent with its sequence number. */
static void check_net_rx(struct check_watch *w, unsigned int q,
			 const struct watch_shadow *s, u32 len)
{
	u32 hdr = net_hdr_len(w), seq = 0;
	unsigned int i;

	if (!w->frames || len > s->writable || len < hdr + NET_FRAME_MIN)
		return;
	for (i = 0; i < 4; i++)
		seq |= (u32)*part_at(s, true, hdr + NET_SEQ_OFF + i) << (8 * i);
	frame_arrived(w, q, seq, len - hdr, part_sum(s, true, hdr, len));
}

/* A receive buffer of the console came back with len bytes: the echoed
 * stream, reassembled into messages as the workload does. */
static void check_con_rx(struct check_watch *w, unsigned int q,
			 const struct watch_shadow *s, u32 len)
{
	struct watch_frames *t = w->frames;
	struct watch_frame *e;
	u32 k, key;

	if (!t || len > s->writable)
		return;
	for (k = 0; k < len && !t->lost && !w->stop; k++) {
		t->msg[t->msg_len++] = *part_at(s, true, k);
		if (t->msg_len < CON_HDR)
			continue;
		key = (u32)t->msg[0] | (u32)t->msg[1] << 8 |
		      (u32)t->msg[2] << 16 | (u32)t->msg[3] << 24;
		if (t->msg_len == CON_HDR) {
			e = &t->f[frame_slot(w, key)];
			/* Not the start of a message sent: the stream is
			 * lost to this check. */
			if (!e->tx_no || e->seq != key ||
			    e->len != CON_HDR + t->msg[4]) {
				t->lost = true;
				return;
			}
		}
		if (t->msg_len < CON_HDR + (u32)t->msg[4])
			continue;
		frame_arrived(w, q, key, t->msg_len,
			      sum_of(t->msg, t->msg_len));
		t->msg_len = 0;
	}
}

static void on_add(struct check_watch *w, unsigned int q, s64 result)
{
	struct vring *vr = w->ops->vring(w->ctx, q);
	struct watch_shadow *s;
	bool prepoisoned = (w->prepoisoned >> q) & 1;
	u16 head;

	w->prepoisoned &= ~(1u << q);
	if (result < 0 || !vr || !ensure_shadows(w, q, vr->num))
		return;
	head = vr->avail->ring[(u16)(vr->avail->idx - 1) % vr->num];
	if (head >= vr->num)
		return;
	s = &w->shadow[q][head];
	if (!walk(s, vr, head)) {
		s->live = false;
		return;
	}
	s->live = true;
	s->sum = readable_sum(s);
	if (w->c->device_id == VIRTIO_ID_NET && q == QUEUE_TX)
		net_sent(w, q, s);
	if (w->c->device_id == VIRTIO_ID_CONSOLE && q == QUEUE_TX)
		con_sent(w, q, s);
	s->poisoned = (w->poison_mask >> q) & 1;
	/* Poisoned already: poisoning again could overwrite what the
	 * device wrote since the chain was published. */
	if (s->poisoned && !prepoisoned)
		poison(s);
	if (s->writable)
		s->last_before = *part_at(s, true, s->writable - 1);
}

/* A run of POISON_RUN bytes of [0, len) still holding the poison: the
 * device claimed bytes it did not write. Consecutive poison bytes differ,
 * so no constant fill matches; random data matches a run with chance
 * 2^-48 per position. */
static void check_written(struct check_watch *w, unsigned int q,
			  const struct watch_shadow *s, u32 len)
{
	struct part_cursor c = { .s = s, .writable = true };
	u32 n = len < s->writable ? len : s->writable, run = 0, last = 0;
	u32 seg_len, off, k;
	char text[CHECK_TEXT_BYTES];
	bool found = false, ended = false;
	const u8 *p;

	if (n < POISON_RUN)
		return;
	watch_exercised(w, "ring.used-len-written");
	/* the first run that long, to its end */
	while (!ended && (p = part_next(&c, &seg_len, &off)) != NULL &&
	       off < n) {
		for (k = 0; k < seg_len && off + k < n; k++) {
			bool poisoned = p[k] == poison_byte(off + k);

			if (found && !poisoned) {
				ended = true;
				break;
			}
			run = poisoned ? run + 1 : 0;
			if (run >= POISON_RUN) {
				found = true;
				last = off + k;
			}
		}
	}
	if (!found)
		return;
	snprintf(text, sizeof(text),
		 "used len %u, but writable bytes %u..%u still hold the "
		 "poison written before exposure",
		 len, last + 1 - run, last);
	watch_violation(w, "ring.used-len-written", q, len, last + 1 - run,
			text);
}

/* --- per-chain checks of indirect chains and block requests ------------ */

/* ring.indirect-accepted: an indirect chain the device did not serve:
 * len 0, or (block) its status byte as it was at exposure. */
static bool indirect_unserved(struct check_watch *w, unsigned int q,
			      const struct watch_shadow *s, u16 id, u32 len)
{
	u32 dev = w->c->device_id;
	u8 status;
	char text[CHECK_TEXT_BYTES];

	/* Entropy's len 0 is rng.bytes-delivered's, whatever the framing. */
	if (!s->indirect || !s->writable || dev != VIRTIO_ID_BLOCK)
		return false;
	watch_exercised(w, "ring.indirect-accepted");
	status = *part_at(s, true, s->writable - 1);
	if (len != 0 && (status != s->last_before || status <= BLK_S_UNSUPP))
		return false;
	snprintf(text, sizeof(text),
		 "chain %u through an indirect table of %u descriptors came "
		 "back with len %u%s",
		 id, s->nseg, len,
		 status == s->last_before ? ", its status byte unwritten" : "");
	watch_violation(w, "ring.indirect-accepted", q, len, s->writable, text);
	return true;
}

static bool blk_capacity(struct check_watch *w, unsigned int q)
{
	struct virtqueue *vq = w->ops->vq(w->ctx, q);
	struct virtio_device *vdev = vq ? vq->vdev : NULL;
	u64 cap = 0;

	if (!w->capacity_known && vdev && vdev->config->get) {
		vdev->config->get(vdev, 0, &cap, sizeof(cap));
		w->capacity = cap;
		w->capacity_known = true;
	}
	return w->capacity_known;
}

static int framing_type(u32 type)
{
	switch (type) {
	case BLK_T_IN:
		return 0;
	case BLK_T_OUT:
		return 1;
	case BLK_T_FLUSH:
		return 2;
	case BLK_T_GET_ID:
		return 3;
	default:
		return -1;
	}
}

static enum framing framing_of(const struct watch_shadow *s)
{
	if (s->indirect)
		return FRAMING_INDIRECT;
	/* The header and the status byte are a descriptor each. */
	return s->nseg > 3 ? FRAMING_SPLIT : FRAMING_ONE;
}

static const char *const framing_names[] = { "the data in one descriptor",
					     "the data split",
					     "an indirect table" };

/* ring.framing-agnostic: the status of this type in this framing,
 * against the other framings seen. */
static void check_framing(struct check_watch *w, unsigned int q,
			  const struct watch_shadow *s, u32 type, u8 status)
{
	int t = framing_type(type);
	enum framing f = framing_of(s), g;
	u8 *ok, *err;
	char text[CHECK_TEXT_BYTES];

	if (t < 0)
		return;
	ok = &w->framing_ok[t];
	err = &w->framing_err[t];
	if (status == BLK_S_OK)
		*ok |= 1u << f;
	else
		*err |= 1u << f;
	if ((*ok | *err) & ~(1u << f))
		watch_exercised(w, "ring.framing-agnostic");
	for (g = FRAMING_ONE; g <= FRAMING_INDIRECT; g++) {
		bool broken =
			status == BLK_S_OK ? (*err >> g & 1) : (*ok >> g & 1);

		if (g == f || !broken)
			continue;
		snprintf(text, sizeof(text),
			 "request type %u with %s: status %u; with %s: %s",
			 type, framing_names[f], status, framing_names[g],
			 status == BLK_S_OK ? "an error" : "OK");
		watch_violation(w, "ring.framing-agnostic", q, status,
				status == BLK_S_OK ? 1 : BLK_S_OK, text);
		return;
	}
}

/* The block request's status, FLUSH, a read past the capacity and the
 * framing. */
static void check_block(struct check_watch *w, unsigned int q,
			const struct watch_shadow *s, u16 id)
{
	u8 status;
	u32 type, data;
	u64 sector;
	char text[CHECK_TEXT_BYTES];

	if (!s->writable || s->readable < BLK_HDR)
		return;
	status = *part_at(s, true, s->writable - 1);
	watch_exercised(w, "blk.status-values");
	if (status > BLK_S_UNSUPP) {
		snprintf(text, sizeof(text),
			 "chain %u: status byte %#x%s (OK 0, IOERR 1, UNSUPP "
			 "2)",
			 id, status,
			 status == s->last_before ? ", as it was at exposure"
						  : "");
		watch_violation(w, "blk.status-values", q, status, 0, text);
		return;
	}
	type = (u32)readable_le(s, 0, 4);
	sector = readable_le(s, 8, 8);
	if (type == BLK_T_FLUSH && w->offered_known &&
	    (w->offered >> BLK_F_FLUSH & 1)) {
		watch_exercised(w, "blk.flush");
		if (status != BLK_S_OK) {
			snprintf(text, sizeof(text),
				 "FLUSH (chain %u) completed with status %u, "
				 "and FLUSH was offered",
				 id, status);
			watch_violation(w, "blk.flush", q, status, BLK_S_OK,
					text);
			return;
		}
	}
	if ((type == BLK_T_IN || type == BLK_T_OUT) && blk_capacity(w, q)) {
		data = type == BLK_T_IN ? s->writable - 1
					: s->readable - BLK_HDR;
		if (sector + (data + BLK_SECTOR - 1) / BLK_SECTOR >
		    w->capacity) {
			watch_exercised(w, "blk.out-of-range-ioerr");
			if (status == BLK_S_OK) {
				snprintf(text, sizeof(text),
					 "%s of sector %llu (%u bytes), past "
					 "the capacity of %llu sectors, "
					 "completed with OK",
					 type == BLK_T_IN ? "read" : "write",
					 (unsigned long long)sector, data,
					 (unsigned long long)w->capacity);
				watch_violation(w, "blk.out-of-range-ioerr", q,
						status, 1, text);
			}
			return; /* not a request of the framing check */
		}
	}
	check_framing(w, q, s, type, status);
}

static void on_get_buf(struct check_watch *w, unsigned int q)
{
	struct vring *vr = w->ops->vring(w->ctx, q);
	struct vring_stats st;
	struct watch_shadow *s;
	u16 slot;
	u32 id, len;
	char text[CHECK_TEXT_BYTES];

	if (!vr || !w->shadow[q])
		return;
	virtqueue_get_stats(w->ops->vq(w->ctx, q), &st);
	slot = (u16)((u16)(st.used - 1) % vr->num);
	id = vr->used->ring[slot].id;
	len = vr->used->ring[slot].len;
	if (id >= w->shadow_num[q] || !w->shadow[q][id].live)
		return;
	s = &w->shadow[q][id];
	s->live = false;
	if (s->readable) {
		watch_exercised(w, "ring.readable-untouched");
		if (readable_sum(s) != s->sum) {
			snprintf(
				text, sizeof(text),
				"chain %u: its %u readable bytes changed while "
				"the device held them",
				id, s->readable);
			watch_violation(w, "ring.readable-untouched", q,
					readable_sum(s), s->sum, text);
			return;
		}
	}
	if (indirect_unserved(w, q, s, (u16)id, len))
		return;
	if (w->c->device_id == VIRTIO_ID_BLOCK) {
		check_block(w, q, s, (u16)id);
		if (w->stop)
			return;
	}
	if (w->c->device_id == VIRTIO_ID_NET && q == QUEUE_RX) {
		check_net_rx(w, q, s, len);
		if (w->stop)
			return;
	}
	if (w->c->device_id == VIRTIO_ID_CONSOLE && q == QUEUE_RX) {
		check_con_rx(w, q, s, len);
		if (w->stop)
			return;
	}
	if (w->c->device_id == VIRTIO_ID_RNG && s->writable) {
		watch_exercised(w, "rng.bytes-delivered");
		if (len == 0) {
			snprintf(text, sizeof(text),
				 "chain %u of %u writable bytes came back with "
				 "len 0",
				 id, s->writable);
			watch_violation(w, "rng.bytes-delivered", q, 0, 1,
					text);
			return;
		}
	}
	/* A len above the writable bytes is ring.used-len-bounded's (the
	 * ring clamped it); what it claims to have written is moot. */
	if (s->poisoned && len <= s->writable)
		check_written(w, q, s, len);
}

void watch_observe(struct check_watch *w, unsigned int q, enum sim_call call,
		   u64 result)
{
	if (w->stop || q >= nvqs(w))
		return;
	if (call == SIM_CALL_ADD)
		on_add(w, q, (s64)result);
	else if (call == SIM_CALL_GET_BUF && result)
		on_get_buf(w, q);
}

/* --- checks after every step and every device turn ------------------------ */

static const char *fault_entry(enum vring_fault f)
{
	switch (f) {
	case VRING_FAULT_USED_IDX_AHEAD:
	case VRING_FAULT_USED_IDX_BACKWARDS:
		return "ring.used-idx-forward";
	case VRING_FAULT_USED_ID_RANGE:
	case VRING_FAULT_USED_ID_NOT_HEAD:
	case VRING_FAULT_USED_ID_DUPLICATE:
		return "ring.used-id-outstanding";
	case VRING_FAULT_DESC_REWRITTEN:
		return "ring.desc-untouched";
	case VRING_FAULT_AVAIL_REWRITTEN:
		return "ring.avail-untouched";
	default:
		return NULL;
	}
}

void watch_queues(struct check_watch *w)
{
	unsigned int q;

	for (q = 0; q < nvqs(w) && !w->stop; q++) {
		struct virtqueue *vq = w->ops->vq(w->ctx, q);
		const struct vring_fault_info *fi;
		struct vring_stats st;
		const char *id;
		char text[CHECK_TEXT_BYTES];

		virtqueue_get_stats(vq, &st);
		if (st.used) {
			watch_exercised(w, "ring.used-id-outstanding");
			watch_exercised(w, "ring.used-idx-forward");
			watch_exercised(w, "ring.used-len-bounded");
			watch_exercised(w, "ring.desc-untouched");
			watch_exercised(w, "ring.avail-untouched");
		}
		if (st.len_clamped > w->clamped[q]) {
			snprintf(
				text, sizeof(text),
				"chain %u: used len %u, but it has %u writable "
				"bytes",
				st.last_clamp_id, st.last_clamp_len,
				st.last_clamp_limit);
			watch_violation(w, "ring.used-len-bounded", q,
					st.last_clamp_len, st.last_clamp_limit,
					text);
			return;
		}
		if (!virtqueue_is_broken(vq) || w->fault_seen[q])
			continue;
		w->fault_seen[q] = true;
		fi = virtqueue_fault(vq);
		id = fault_entry(fi->fault);
		if (!id)
			continue;
		snprintf(text, sizeof(text),
			 "the ring reported %s: value %u, expected %u (last "
			 "used idx %u, %u outstanding)",
			 vring_fault_name(fi->fault), fi->value, fi->expected,
			 fi->last_used_idx, fi->outstanding);
		watch_violation(w, id, q, fi->value, fi->expected, text);
	}
}

/* The field of a descriptor at byte off, and its value in d. */
static const char *desc_field(const struct vring_desc *d, u32 off, u64 *value)
{
	if (off < 8) {
		*value = d->addr;
		return "addr";
	}
	if (off < 12) {
		*value = d->len;
		return "len";
	}
	if (off < 14) {
		*value = d->flags;
		return "flags";
	}
	*value = d->next;
	return "next";
}

/* ring.indirect-untouched: the table of chain id on queue q as the
 * driver wrote it. */
static bool table_intact(struct check_watch *w, unsigned int q, u16 id,
			 const struct watch_shadow *s)
{
	const u8 *now = shim_guest_ptr(s->table, s->table_len);
	const u8 *was = (const u8 *)s->table_copy;
	struct vring_desc cur;
	const char *field;
	u64 observed, expected;
	u32 k;
	char text[CHECK_TEXT_BYTES];

	watch_exercised(w, "ring.indirect-untouched");
	if (!now || memcmp(now, was, s->table_len) == 0)
		return true;
	for (k = 0; now[k] == was[k]; k++)
		;
	memcpy(&cur, now + k - k % 16, sizeof(cur));
	field = desc_field(&cur, k % 16, &observed);
	desc_field(&s->table_copy[k / 16], k % 16, &expected);
	snprintf(text, sizeof(text),
		 "chain %u: entry %u of its indirect table (%u entries) "
		 "rewritten while the device held it: %s %#llx, the driver "
		 "wrote %#llx",
		 id, k / 16, s->table_len / 16, field,
		 (unsigned long long)observed, (unsigned long long)expected);
	watch_violation(w, "ring.indirect-untouched", q, observed, expected,
			text);
	return false;
}

void watch_tables(struct check_watch *w)
{
	unsigned int q, id;

	for (q = 0; q < nvqs(w) && !w->stop; q++) {
		if (!w->shadow[q])
			continue;
		for (id = 0; id < w->shadow_num[q]; id++) {
			const struct watch_shadow *s = &w->shadow[q][id];

			if (s->live && s->indirect &&
			    !table_intact(w, q, (u16)id, s))
				return;
		}
	}
}

/* ring.avail-event-current: every chain made available was used, so the
 * device has seen them all: avail_event must say so. */
static bool check_avail_event(struct check_watch *w, unsigned int q,
			      struct vring *vr)
{
	u16 avail = vr->avail->idx, event = vring_avail_event(vr);
	char text[CHECK_TEXT_BYTES];

	if (vr->used->idx != avail || avail == 0)
		return true;
	watch_exercised(w, "ring.avail-event-current");
	if (event == avail)
		return true;
	snprintf(text, sizeof(text),
		 "every chain made available was used (idx %u), but "
		 "avail_event is %u",
		 avail, event);
	/* A SHOULD, and nothing of the rings is wrong: the case goes on,
	 * so that a MUST it would hide is still seen. */
	check_violation(w->c, check_index("ring.avail-event-current"), w->step,
			q, event, avail, "%s", text);
	return true;
}

/* Feature dependencies the specification lists (2.2.2; net 5.1.3.1):
 * a feature, and the features of which it needs at least one. */
static const struct {
	u32 device_id;
	unsigned int bit;
	u64 needs_any;
	const char *name;
} dependencies[] = {
	{ VIRTIO_ID_NET, 7, 1ULL << 1, "GUEST_TSO4 needs GUEST_CSUM" },
	{ VIRTIO_ID_NET, 8, 1ULL << 1, "GUEST_TSO6 needs GUEST_CSUM" },
	{ VIRTIO_ID_NET, 9, (1ULL << 7) | (1ULL << 8),
	  "GUEST_ECN needs GUEST_TSO4 or GUEST_TSO6" },
	{ VIRTIO_ID_NET, 10, 1ULL << 1, "GUEST_UFO needs GUEST_CSUM" },
	{ VIRTIO_ID_NET, 11, 1ULL << 0, "HOST_TSO4 needs CSUM" },
	{ VIRTIO_ID_NET, 12, 1ULL << 0, "HOST_TSO6 needs CSUM" },
	{ VIRTIO_ID_NET, 13, (1ULL << 11) | (1ULL << 12),
	  "HOST_ECN needs HOST_TSO4 or HOST_TSO6" },
	{ VIRTIO_ID_NET, 14, 1ULL << 0, "HOST_UFO needs CSUM" },
	{ VIRTIO_ID_NET, 18, 1ULL << 17, "CTRL_RX needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 19, 1ULL << 17, "CTRL_VLAN needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 21, 1ULL << 17, "GUEST_ANNOUNCE needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 22, 1ULL << 17, "MQ needs CTRL_VQ" },
	{ VIRTIO_ID_NET, 23, 1ULL << 17, "CTRL_MAC_ADDR needs CTRL_VQ" },
};

void watch_check_dependencies(struct check_watch *w, u32 device_id, u64 offered)
{
	unsigned int i;
	char text[CHECK_TEXT_BYTES];

	watch_exercised(w, "dev.features-dependencies");
	for (i = 0; i < sizeof(dependencies) / sizeof(dependencies[0]); i++) {
		if (dependencies[i].device_id != device_id ||
		    !(offered >> dependencies[i].bit & 1) ||
		    (offered & dependencies[i].needs_any))
			continue;
		snprintf(text, sizeof(text),
			 "offered features %#llx: bit %u without what it "
			 "requires (%s)",
			 (unsigned long long)offered, dependencies[i].bit,
			 dependencies[i].name);
		/* A property of the offer, not of the rings: the case goes
		 * on, so that what the run shows is still seen. */
		check_violation(w->c, check_index("dev.features-dependencies"),
				w->step, 0, offered, dependencies[i].needs_any,
				"%s", text);
		return;
	}
}

void watch_used_before(struct check_watch *w, u16 *before)
{
	unsigned int q;

	for (q = 0; q < nvqs(w); q++)
		before[q] = w->ops->vring(w->ctx, q)->used->idx;
}

void watch_turn(struct check_watch *w, const u16 *before, u32 raised,
		bool check_interrupts)
{
	unsigned int q;
	char text[CHECK_TEXT_BYTES];

	/* Before the driver can take a completed chain: get_buf frees its
	 * indirect table. */
	watch_tables(w);
	for (q = 0; q < nvqs(w) && !w->stop; q++) {
		struct vring *vr = w->ops->vring(w->ctx, q);
		u16 flags = vr->used->flags, now = vr->used->idx;
		u16 allowed = negotiated(w, VIRTIO_RING_F_EVENT_IDX)
				      ? 0
				      : VRING_USED_F_NO_NOTIFY;
		bool owed;

		watch_exercised(w, "ring.used-flags");
		if (flags & ~allowed) {
			snprintf(text, sizeof(text), "used flags %#x%s", flags,
				 allowed ? "" : " under EVENT_IDX");
			watch_violation(w, "ring.used-flags", q, flags, allowed,
					text);
			return;
		}
		if (negotiated(w, VIRTIO_RING_F_EVENT_IDX) &&
		    !check_avail_event(w, q, vr))
			return;
		if (now == before[q] || !check_interrupts)
			continue;
		watch_exercised(w, "ring.interrupt-required");
		if (negotiated(w, VIRTIO_RING_F_EVENT_IDX))
			owed = vring_need_event(vring_used_event(vr), now,
						before[q]);
		else
			owed = !(vr->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
		if (owed && !(raised & (1u << q))) {
			snprintf(text, sizeof(text),
				 "used idx moved %u -> %u (%s), and no "
				 "interrupt was raised",
				 before[q], now,
				 negotiated(w, VIRTIO_RING_F_EVENT_IDX)
					 ? "used_event crossed"
					 : "NO_INTERRUPT clear");
			watch_violation(w, "ring.interrupt-required", q, 0, 1,
					text);
			return;
		}
	}
}
