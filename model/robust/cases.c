/*
 * cases.c - the catalogue of the robustness suite (robust.h note 1): one
 * entry per driver rule broken, each with the function that stages it
 * through the raw ring writer.
 *
 * Sections follow virtio 1.2 numbering and point at the "Driver
 * Requirements" subsection that states the rule broken (2.7.4.2, 2.7.5.2,
 * 2.7.5.3.1, 3.1.1, 5.2.6.1, 5.4.6.1), else at the section that defines
 * what the case breaks (2.7.5: next, addr and len; 2.7.5.3: an indirect
 * table is len / 16 descriptors; 2.7.6: avail entries name chain heads;
 * 2.7.13: a buffer made available takes free descriptors, so avail idx
 * never runs more than the queue size ahead; 4.1.5.2: a notification
 * names its queue; 5.1.6.2 and 5.2.6: the request layouts). README.md
 * "Sections" lists each case with its heading. Every stage starts
 * from the device's own well-formed request (rb_honest_chain: descriptors
 * from 0) and breaks one thing in it, so that a device that refuses the
 * request refuses it for that one reason.
 */
#include "robust.h"

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <string.h>

#define DESC_BYTES ((u32)sizeof(struct vring_desc))
#define BLK_T_IN 0u
#define BLK_T_OUT 1u
#define BLK_UNKNOWN_TYPE 0x7777u
/* sector * 512 wraps to 0: a device that multiplies unchecked writes the
 * start of its disk. */
#define BLK_SECTOR_WRAPS 0x0080000000000000ull
#define FAR_BEYOND (1ull << 30)

static u16 qsize(const struct rb_case_ctx *c)
{
	return (u16)c->ring.vr.num;
}

static int skip(struct rb_case_ctx *c, const char *why)
{
	snprintf(c->why, sizeof(c->why), "%s", why);
	return 1;
}

static int out_of_scratch(struct rb_case_ctx *c)
{
	return skip(c, "the case needs more guest memory than it has");
}

/* The honest request at descriptor 0; n and its writable bytes. */
static bool base(struct rb_case_ctx *c, unsigned int *n, u32 *writable)
{
	*n = rb_honest_chain(c, 0, writable);
	return *n != 0;
}

static struct vring_desc read_desc(const struct rb_case_ctx *c, u16 i)
{
	struct vring_desc d = c->ring.vr.desc[i];

	return d;
}

/* Rewrites one field set of descriptor i of the ring. */
static void patch(struct rb_case_ctx *c, u16 i, u64 addr, u32 len, u16 flags,
		  u16 next)
{
	rr_desc(&c->ring, i, addr, len, flags, next);
}

/* The descriptor carrying the request's data: block's data buffer (1),
 * every other device's only buffer (0). */
static u16 data_desc(const struct rb_case_ctx *c)
{
	return c->port->device_id == VIRTIO_ID_BLOCK ? 1 : 0;
}

static void submit0(struct rb_case_ctx *c, u32 writable)
{
	rb_expose(c, 0, writable);
	rb_submit(c, 0);
}

/* --- descriptor chains ------------------------------------------------------ */

/* Stages the honest request with one descriptor changed by edit: the
 * last (last) or the one carrying the data. The edit may change the
 * writable bytes the request submits (*w). */
static int stage_edit(struct rb_case_ctx *c, bool last,
		      void (*edit)(struct rb_case_ctx *c, struct vring_desc *d,
				   u32 *w))
{
	unsigned int n;
	u32 w;
	u16 i;
	struct vring_desc d;

	if (!base(c, &n, &w))
		return out_of_scratch(c);
	i = last ? (u16)(n - 1) : data_desc(c);
	d = read_desc(c, i);
	edit(c, &d, &w);
	patch(c, i, d.addr, d.len, d.flags, d.next);
	submit0(c, w);
	return 0;
}

static void next_to_head(struct rb_case_ctx *c, struct vring_desc *d, u32 *w)
{
	(void)c;
	(void)w;
	d->flags |= VRING_DESC_F_NEXT;
	d->next = 0;
}

static void next_out_of_range(struct rb_case_ctx *c, struct vring_desc *d,
			      u32 *w)
{
	(void)w;
	d->flags |= VRING_DESC_F_NEXT;
	d->next = (u16)(qsize(c) + 5);
}

static void zero_length(struct rb_case_ctx *c, struct vring_desc *d, u32 *w)
{
	(void)c;
	(void)w;
	d->len = 0;
}

/* Entropy's buffer, block's status byte: the device must fill it. */
static void readable_for_write(struct rb_case_ctx *c, struct vring_desc *d,
			       u32 *w)
{
	d->flags &= (u16)~VRING_DESC_F_WRITE;
	rb_range_readable(c, d->addr);
	*w -= d->len;
}

static int stage_desc_loop(struct rb_case_ctx *c)
{
	return stage_edit(c, true, next_to_head);
}

static int stage_next_out_of_range(struct rb_case_ctx *c)
{
	return stage_edit(c, true, next_out_of_range);
}

static int stage_zero_length(struct rb_case_ctx *c)
{
	return stage_edit(c, false, zero_length);
}

/* A writable buffer of 8 bytes before the request's readable part. */
static int stage_write_before_read(struct rb_case_ctx *c)
{
	u32 w;
	u64 first = rb_buf(c, 8, true, 0);

	if (!first || !rb_honest_chain(c, 1, &w))
		return out_of_scratch(c);
	patch(c, 0, first, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	submit0(c, w + 8);
	return 0;
}

/* The buffer the device must fill, marked device-readable. */
static int stage_readable_for_write(struct rb_case_ctx *c)
{
	return stage_edit(c, true, readable_for_write);
}

/* --- addresses --------------------------------------------------------------- */

static void addr_outside(struct rb_case_ctx *c, struct vring_desc *d, u32 *w)
{
	(void)w;
	d->addr = c->port->guest_end + FAR_BEYOND;
}

static void addr_last_byte(struct rb_case_ctx *c, struct vring_desc *d, u32 *w)
{
	(void)w;
	d->addr = c->port->guest_end - 1;
}

static void addr_wrap(struct rb_case_ctx *c, struct vring_desc *d, u32 *w)
{
	(void)c;
	(void)w;
	d->addr = ~0ull - 15;
}

static int stage_addr_outside(struct rb_case_ctx *c)
{
	return stage_edit(c, false, addr_outside);
}

static int stage_addr_last_byte(struct rb_case_ctx *c)
{
	return stage_edit(c, false, addr_last_byte);
}

static int stage_addr_wrap(struct rb_case_ctx *c)
{
	return stage_edit(c, false, addr_wrap);
}

/* --- indirect tables --------------------------------------------------------- */

/* The honest request copied into a table in scratch; descriptor 0 of the
 * ring then points at it. Returns the table (0 when out of scratch). */
static u64 table_of_request(struct rb_case_ctx *c, unsigned int *n, u32 *w,
			    u32 extra_entries)
{
	u64 table;
	struct vring_desc *t;
	unsigned int i;

	if (!base(c, n, w))
		return 0;
	table = rb_buf(c, (*n + extra_entries) * DESC_BYTES, false, 0);
	if (!table)
		return 0;
	t = rb_ptr(c, table);
	for (i = 0; i < *n; i++) {
		struct vring_desc d = read_desc(c, (u16)i);

		rr_table_desc(&c->ring, t, (u16)i, d.addr, d.len, d.flags,
			      d.next);
	}
	return table;
}

static int stage_indirect(struct rb_case_ctx *c, u32 len_delta, u16 flags,
			  void (*edit)(struct rb_case_ctx *c,
				       struct vring_desc *t, unsigned int n))
{
	unsigned int n;
	u32 w;
	u64 table = table_of_request(c, &n, &w, 1);

	if (!table)
		return out_of_scratch(c);
	if (edit)
		edit(c, rb_ptr(c, table), n);
	patch(c, 0, table, n * DESC_BYTES + len_delta,
	      VRING_DESC_F_INDIRECT | flags, 1);
	if (flags & VRING_DESC_F_NEXT) {
		/* The second descriptor repeats the request's last buffer. */
		struct vring_desc *t = rb_ptr(c, table);

		patch(c, 1, t[n - 1].addr, t[n - 1].len, t[n - 1].flags, 0);
		w *= 2;
	}
	submit0(c, w);
	return 0;
}

static void edit_loop(struct rb_case_ctx *c, struct vring_desc *t,
		      unsigned int n)
{
	(void)c;
	t[n - 1].flags |= VRING_DESC_F_NEXT;
	t[n - 1].next = 0;
}

/* The first entry points at a second table (a copy of the first). */
static void edit_nested(struct rb_case_ctx *c, struct vring_desc *t,
			unsigned int n)
{
	u64 inner = rb_buf(c, n * DESC_BYTES, false, 0);

	if (!inner)
		return;
	memcpy(rb_ptr(c, inner), t, n * DESC_BYTES);
	t[0].addr = inner;
	t[0].len = n * DESC_BYTES;
	t[0].flags = VRING_DESC_F_INDIRECT;
	t[0].next = 0;
}

static int stage_indirect_loop(struct rb_case_ctx *c)
{
	return stage_indirect(c, 0, 0, edit_loop);
}

static int stage_indirect_nested(struct rb_case_ctx *c)
{
	return stage_indirect(c, 0, 0, edit_nested);
}

static int stage_indirect_next(struct rb_case_ctx *c)
{
	return stage_indirect(c, 0, VRING_DESC_F_NEXT, NULL);
}

static int stage_indirect_len_zero(struct rb_case_ctx *c)
{
	unsigned int n;
	u32 w;
	u64 table = table_of_request(c, &n, &w, 0);

	if (!table)
		return out_of_scratch(c);
	patch(c, 0, table, 0, VRING_DESC_F_INDIRECT, 0);
	submit0(c, w);
	return 0;
}

static int stage_indirect_len_odd(struct rb_case_ctx *c)
{
	/* One whole entry more in memory, half of it counted. */
	return stage_indirect(c, DESC_BYTES / 2, 0, NULL);
}

/*
 * A table of qsize + 1 entries of one byte each: readable bytes first
 * (console, net, block's header), writable ones last (entropy's, block's
 * status).
 */
static int stage_indirect_too_long(struct rb_case_ctx *c)
{
	u32 count = (u32)qsize(c) + 1, rlen, wlen, i;
	u32 id = c->port->device_id;
	u64 rbuf = 0, wbuf = 0, table;
	struct vring_desc *t;

	wlen = id == VIRTIO_ID_RNG ? count : id == VIRTIO_ID_BLOCK ? 1 : 0;
	rlen = count - wlen;
	if (id == VIRTIO_ID_NET && rlen < rb_net_hdr_len(c) + 60)
		return skip(c, "the queue is too small for a frame split "
			       "into bytes");
	table = rb_buf(c, count * DESC_BYTES, false, 0);
	if (rlen)
		rbuf = rb_buf(c, rlen, false, 0);
	if (wlen)
		wbuf = rb_buf(c, wlen, true, 0);
	if (!table || (rlen && !rbuf) || (wlen && !wbuf))
		return out_of_scratch(c);
	if (id == VIRTIO_ID_NET)
		memset(rb_ptr(c, rbuf + rb_net_hdr_len(c)), 0xff, 6);
	t = rb_ptr(c, table);
	for (i = 0; i < count; i++) {
		bool wr = i >= rlen;
		u64 a = wr ? wbuf + (i - rlen) : rbuf + i;

		rr_table_desc(&c->ring, t, (u16)i, a, 1,
			      (wr ? VRING_DESC_F_WRITE : 0) |
				      (i + 1 < count ? VRING_DESC_F_NEXT : 0),
			      (u16)(i + 1));
	}
	patch(c, 0, table, count * DESC_BYTES, VRING_DESC_F_INDIRECT, 0);
	submit0(c, wlen);
	return 0;
}

/* --- the avail ring ---------------------------------------------------------- */

static int stage_avail_jump(struct rb_case_ctx *c)
{
	unsigned int n;
	u32 w;
	u16 old = c->ring.avail_idx;

	if (!base(c, &n, &w))
		return out_of_scratch(c);
	/* Every slot names head 0 (the ring starts zeroed). */
	rb_expose_n(c, 0, w, (unsigned int)qsize(c) + 1);
	rr_avail_put(&c->ring, 0);
	rr_avail_set_idx(&c->ring, (u16)(old + qsize(c) + 1));
	rb_notify(c, c->queue);
	return 0;
}

static int stage_avail_head_range(struct rb_case_ctx *c)
{
	unsigned int n;
	u32 w;
	u16 head = (u16)(qsize(c) + 3);

	if (!base(c, &n, &w))
		return out_of_scratch(c);
	rb_expose(c, head, 0);
	rb_submit(c, head);
	return 0;
}

static int stage_avail_head_twice(struct rb_case_ctx *c)
{
	unsigned int n;
	u32 w;

	if (!base(c, &n, &w))
		return out_of_scratch(c);
	rb_expose_n(c, 0, w, 2);
	rr_avail_put(&c->ring, 0);
	rr_avail_put(&c->ring, 0);
	rr_avail_publish(&c->ring);
	rb_notify(c, c->queue);
	return 0;
}

/* --- notifications ------------------------------------------------------------ */

#define NO_OTHER_QUEUE                                                         \
	"notifications here name only queues that are set up (vhost-user: "    \
	"one kick eventfd per queue)"

static int stage_notify_absent(struct rb_case_ctx *c)
{
	if (c->port->notify_named_queues_only)
		return skip(c, NO_OTHER_QUEUE);
	rb_notify(c, c->nqueues + 3);
	rb_notify(c, 0xffff);
	return 0;
}

/* Initialised to DRIVER_OK without any queue set up, then kicked. */
static int stage_notify_disabled(struct rb_case_ctx *c)
{
	if (c->port->notify_named_queues_only)
		return skip(c, NO_OTHER_QUEUE);
	rb_setup_begin(c);
	if (rb_setup_features(c, true))
		return skip(c, "the device refused its own features");
	rb_setup_driver_ok(c);
	rb_notify(c, c->queue);
	return 0;
}

/* --- request shapes ------------------------------------------------------------ */

static int stage_block(struct rb_case_ctx *c, u32 type, u64 sector)
{
	u32 w;

	if (!rb_block_chain(c, 0, type, sector, 0x77, &w))
		return out_of_scratch(c);
	submit0(c, w);
	return 0;
}

static int stage_block_unknown_type(struct rb_case_ctx *c)
{
	return stage_block(c, BLK_UNKNOWN_TYPE, 0);
}

static int stage_block_sector_wraps(struct rb_case_ctx *c)
{
	return stage_block(c, BLK_T_OUT, BLK_SECTOR_WRAPS);
}

static int stage_block_sector_max(struct rb_case_ctx *c)
{
	return stage_block(c, BLK_T_IN, ~0ull);
}

static int stage_block_no_header(struct rb_case_ctx *c)
{
	u64 status = rb_buf(c, 1, true, 0);

	if (!status)
		return out_of_scratch(c);
	patch(c, 0, status, 1, VRING_DESC_F_WRITE, 0);
	submit0(c, 1);
	return 0;
}

static int stage_block_short_header(struct rb_case_ctx *c)
{
	u64 hdr = rb_buf(c, 15, false, 0), status = rb_buf(c, 1, true, 0);

	if (!hdr || !status)
		return out_of_scratch(c);
	patch(c, 0, hdr, 15, VRING_DESC_F_NEXT, 1);
	patch(c, 1, status, 1, VRING_DESC_F_WRITE, 0);
	submit0(c, 1);
	return 0;
}

static int stage_net_short_header(struct rb_case_ctx *c)
{
	u64 buf = rb_buf(c, 4, false, 0);

	if (!buf)
		return out_of_scratch(c);
	patch(c, 0, buf, 4, 0, 0);
	submit0(c, 0);
	return 0;
}

/* --- lifecycle ---------------------------------------------------------------- */

#define NO_DEVICE_STATUS                                                       \
	"the device has no status register (vhost-user: the status byte and "  \
	"FEATURES_OK are the front end's; rings run once it sets them up)"

static int stage_before_driver_ok(struct rb_case_ctx *c)
{
	unsigned int n;
	u32 w;

	if (c->port->no_device_status)
		return skip(c, NO_DEVICE_STATUS);

	rb_setup_begin(c);
	if (rb_setup_features(c, true))
		return skip(c, "the device refused its own features");
	if (rb_setup_queues(c, c->queue + 1) || !qsize(c))
		return skip(c, "the request queue could not be set up");
	if (!base(c, &n, &w))
		return out_of_scratch(c);
	submit0(c, w);
	return 0;
}

/* A request answered, a reset, then one more on the old ring: no answer
 * may come (the device forgot the queue). */
static int stage_after_reset(struct rb_case_ctx *c)
{
	unsigned int n;
	u32 w;

	rb_setup_begin(c);
	if (rb_setup_features(c, true))
		return skip(c, "the device refused its own features");
	if (rb_setup_queues(c, c->queue + 1) || !qsize(c))
		return skip(c, "the request queue could not be set up");
	rb_setup_driver_ok(c);
	if (!base(c, &n, &w))
		return out_of_scratch(c);
	submit0(c, w);
	rb_wait_answer(c);
	rb_device_reset(c);
	rb_forget(c);
	if (!rb_honest_chain(c, 4, &w))
		return out_of_scratch(c);
	rb_submit(c, 4);
	return 0;
}

static int stage_features_ok_skipped(struct rb_case_ctx *c)
{
	unsigned int n;
	u32 w;

	if (c->port->no_device_status)
		return skip(c, NO_DEVICE_STATUS);

	rb_setup_begin(c);
	rb_setup_features(c, false);
	if (rb_setup_queues(c, c->queue + 1) || !qsize(c))
		return skip(c, "the request queue could not be set up");
	rb_setup_driver_ok(c);
	if (!base(c, &n, &w))
		return out_of_scratch(c);
	submit0(c, w);
	return 0;
}

/* --- the table ---------------------------------------------------------------- */

#define ALLOW_REFUSE                                                           \
	"refuse: NEEDS_RESET, ignore the request or the queue, or an error "   \
	"status; never follow it outside the request"
#define ALLOW_HARMLESS                                                         \
	"refuse (NEEDS_RESET, ignore, error status) or complete it within "    \
	"the request's own buffers"

const struct rb_case rb_cases[] = {
	{ "desc.loop", "2.7.5.2",
	  "a chain is finite: no loops (the total length is below 2^32)",
	  ALLOW_REFUSE, RB_DEV_ALL, 0, false, stage_desc_loop },
	{ "desc.next-out-of-range", "2.7.5",
	  "next names a descriptor of the table (below the queue size)",
	  ALLOW_REFUSE, RB_DEV_ALL, 0, false, stage_next_out_of_range },
	{ "desc.zero-length", "2.7.5",
	  "a buffer has the length of the data it describes (not 0)",
	  ALLOW_HARMLESS, RB_DEV_ALL, 0, false, stage_zero_length },
	{ "chain.write-before-read", "2.7.4.2",
	  "device-writable descriptors come after every device-readable one",
	  ALLOW_HARMLESS, RB_DEV_NET | RB_DEV_BLOCK | RB_DEV_CONSOLE, 0, false,
	  stage_write_before_read },
	{ "entropy.readable-buffer", "5.4.6.1",
	  "the driver places only device-writable buffers on the queue",
	  ALLOW_HARMLESS, RB_DEV_ENTROPY, 0, false, stage_readable_for_write },
	{ "block.status-readable", "5.2.6",
	  "the status byte of a request is device-writable", ALLOW_HARMLESS,
	  RB_DEV_BLOCK, 0, false, stage_readable_for_write },
	{ "addr.outside-memory", "2.7.5",
	  "addr is the guest-physical address of memory the driver owns",
	  ALLOW_REFUSE, RB_DEV_ALL, 0, false, stage_addr_outside },
	{ "addr.last-byte", "2.7.5",
	  "a buffer lies wholly inside guest memory (not across its end)",
	  ALLOW_REFUSE, RB_DEV_ALL, 0, false, stage_addr_last_byte },
	{ "addr.wraps", "2.7.5", "addr + len does not wrap past 2^64",
	  ALLOW_REFUSE, RB_DEV_ALL, 0, false, stage_addr_wrap },
	{ "indirect.loop", "2.7.5.2",
	  "a chain inside an indirect table is finite: no loops", ALLOW_REFUSE,
	  RB_DEV_ALL, RB_NEED_INDIRECT, false, stage_indirect_loop },
	{ "indirect.longer-than-queue", "2.7.5.3.1",
	  "a chain is no longer than the queue size, also in an indirect "
	  "table",
	  ALLOW_HARMLESS, RB_DEV_ALL, RB_NEED_INDIRECT, false,
	  stage_indirect_too_long },
	{ "indirect.nested", "2.7.5.3.1",
	  "no INDIRECT flag inside an indirect table (one table per "
	  "descriptor)",
	  ALLOW_REFUSE, RB_DEV_ALL, RB_NEED_INDIRECT, false,
	  stage_indirect_nested },
	{ "indirect.with-next", "2.7.5.3.1",
	  "INDIRECT and NEXT are never both set", ALLOW_HARMLESS, RB_DEV_ALL,
	  RB_NEED_INDIRECT, false, stage_indirect_next },
	{ "indirect.len-zero", "2.7.5.3",
	  "an indirect table holds at least one descriptor", ALLOW_REFUSE,
	  RB_DEV_ALL, RB_NEED_INDIRECT, false, stage_indirect_len_zero },
	{ "indirect.len-not-multiple", "2.7.5.3",
	  "an indirect table's length is a multiple of 16", ALLOW_REFUSE,
	  RB_DEV_ALL, RB_NEED_INDIRECT, false, stage_indirect_len_odd },
	{ "avail.idx-jump", "2.7.13",
	  "avail idx runs at most the queue size ahead of the device (only "
	  "free descriptors are made available)",
	  ALLOW_REFUSE, RB_DEV_ALL, 0, false, stage_avail_jump },
	{ "avail.head-out-of-range", "2.7.6",
	  "an avail entry names a descriptor of the table", ALLOW_REFUSE,
	  RB_DEV_ALL, 0, false, stage_avail_head_range },
	{ "avail.head-twice", "2.7.13",
	  "a buffer is made available again only after the device used it",
	  ALLOW_HARMLESS, RB_DEV_ALL, 0, false, stage_avail_head_twice },
	{ "notify.absent-queue", "4.1.5.2",
	  "notifications name a queue the device has", ALLOW_REFUSE, RB_DEV_ALL,
	  0, false, stage_notify_absent },
	{ "notify.queue-not-set-up", "3.1.1",
	  "queues are set up before DRIVER_OK and before any notification",
	  ALLOW_REFUSE, RB_DEV_ALL, 0, true, stage_notify_disabled },
	{ "block.no-header", "5.2.6",
	  "a block request starts with its 16-byte header", ALLOW_HARMLESS,
	  RB_DEV_BLOCK, 0, false, stage_block_no_header },
	{ "block.short-header", "5.2.6",
	  "the header is 16 bytes (type, reserved, sector)", ALLOW_HARMLESS,
	  RB_DEV_BLOCK, 0, false, stage_block_short_header },
	{ "block.unknown-type", "5.2.6",
	  "type is one the driver negotiated (IN, OUT, FLUSH, GET_ID, ...)",
	  "UNSUPP status (5.2.6), or any refusal", RB_DEV_BLOCK, 0, false,
	  stage_block_unknown_type },
	{ "block.sector-wraps", "5.2.6.1",
	  "no request beyond capacity (here sector * 512 wraps to 0)",
	  "IOERR status, or any refusal; never write sector 0", RB_DEV_BLOCK, 0,
	  false, stage_block_sector_wraps },
	{ "block.sector-max", "5.2.6.1",
	  "no request beyond capacity (sector 2^64 - 1)",
	  "IOERR status, or any refusal", RB_DEV_BLOCK, 0, false,
	  stage_block_sector_max },
	{ "net.short-header", "5.1.6.2",
	  "each transmitted packet starts with a whole virtio_net_hdr",
	  ALLOW_HARMLESS, RB_DEV_NET, 0, false, stage_net_short_header },
	{ "lifecycle.before-driver-ok", "3.1.1",
	  "no available buffer notification before DRIVER_OK",
	  "ignore it until DRIVER_OK, or complete it harmlessly", RB_DEV_ALL, 0,
	  true, stage_before_driver_ok },
	{ "lifecycle.after-reset", "3.1.1",
	  "after a reset the driver re-initialises before using queues",
	  "ignore it: after a reset the device does not touch the queues "
	  "(2.4.1)",
	  RB_DEV_ALL, 0, true, stage_after_reset },
	{ "lifecycle.features-ok-skipped", "3.1.1",
	  "FEATURES_OK is set (and read back) before DRIVER_OK",
	  "refuse DRIVER_OK or the queue, or work with the features written",
	  RB_DEV_ALL, RB_NEED_MODERN, true, stage_features_ok_skipped },
};

const unsigned int rb_ncases = ARRAY_SIZE(rb_cases);

const struct rb_case *rb_case_lookup(const char *id)
{
	unsigned int i;

	for (i = 0; i < rb_ncases; i++)
		if (!strcmp(rb_cases[i].id, id))
			return &rb_cases[i];
	return NULL;
}
