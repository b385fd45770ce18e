/*
 * fuzz_ring.c - target "ring": one split virtqueue driven by the seed API
 * and attacked through its shared memory, both by the input.
 *
 * What it does. The input creates one queue (size and features from its
 * first byte) and then runs a program of operations (fuzz_ops.h, enum
 * ring_op): add_buf (1..n entries out and in, through add_buf, add_outbuf,
 * add_inbuf or add_sgs, an indirect table allocation that may be made to
 * fail), kick, kick_prepare + notify, get_buf, disable_cb, enable_cb,
 * enable_cb_delayed, the queue interrupt; a device that takes available
 * chains and completes them in any order with any len; raw, hostile writes
 * to the used ring (id, len, idx, flags), the descriptor table, the avail
 * ring and avail_event; the transport breaking the queue; and documented
 * misuse of the API (which must be refused with exactly one WARN); and
 * the rest of the API (get_buf without len, the fault and its name, the
 * statistics, a second queue without name or callback). At the end every
 * unused buffer is detached and the queue deleted, or (when the input
 * said so) the queue is deleted with its buffers outstanding.
 *
 * Input layout (every read is 0 once the input runs out):
 *   byte 0       bits 0-3: the queue size (ring_size_of: 1 .. 1024,
 *                32768);
 *                bit 4: INDIRECT_DESC, bit 5: EVENT_IDX,
 *                bit 6: a callback, bit 7: weak barriers
 *   then ops     one byte (mod RING_OP_COUNT) and its arguments, see
 *                the enum in fuzz_ops.h and the ring_op_* functions;
 *                at most RING_OPS_MAX, fewer for queues above 256
 *                entries (RING_CHECK_BUDGET)
 *
 * The invariant check runs after every operation on queues of up to 32
 * entries, after every num/32 operations on larger ones (cost, see
 * RING_CHECK_EVERY_MAX); the token count is compared after every one.
 *
 * What makes it abort (fuzz_common.h note 2), by oracle name:
 *   invariants            virtqueue_check_invariants() fails after a call
 *   token-conservation    a token never came back (after detaching
 *                         everything), or the ring's outstanding count
 *                         differs from the tokens it holds
 *   token-returned-twice  get_buf or detach returned a token that was not
 *                         outstanding (twice, or never added)
 *   len                   get_buf reported a len above the chain's
 *                         writable bytes
 *   broken-queue          a broken queue accepted a buffer, returned one,
 *                         or asked for a notification
 *   add                   add_buf failed other than by ENOSPC/EIO/ENOMEM
 *                         as documented, or refused a valid request
 *   notification          kick_prepare or enable_cb disagree with the
 *                         event-index rules (virtio 1.0, 2.4.7 and 2.4.8)
 *   warn, misuse          a WARN or BUG that no misuse announced, or
 *                         announced misuse that was not refused
 *   leak                  arena blocks live after the queue is deleted
 *                         (also when it is deleted with buffers
 *                         outstanding: RING_OP_QUERY 4)
 *   fault                 the queue's fault disagrees with its state, or
 *                         vring_fault_name names a value wrongly
 * A device fault the ring detects (a broken queue) is not a finding.
 */
#include "fuzz_common.h"
#include "fuzz_ops.h"

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define RING_ALIGN 4096u
#define RING_SG_MAX 48u	  /* entries of one request, at most */
#define RING_OPS_MAX 4096 /* operations of one input, at most */
/* The invariant check is O(queue size) and costs about 100 ns an entry
 * under the fuzzers' instrumentation: it runs after every operation on
 * queues up to RING_CHECK_EVERY_MAX entries, after every num / that many
 * operations on larger ones (and always at the end); large queues also get
 * fewer operations (RING_CHECK_BUDGET / num). */
#define RING_CHECK_EVERY_MAX 32u
#define RING_CHECK_BUDGET (1u << 20)

const char fuzz_target_name[] = "ring";

enum ring_token_state { TOKEN_FREE = 0, TOKEN_OUTSTANDING };

/* One buffer the driver added: its token is the address of this entry. */
struct ring_token {
	void *buf;    /* kmalloc'd, all entries point into it */
	u64 writable; /* bytes the device may write */
	u8 state;     /* enum ring_token_state */
};

struct ring_ctx {
	struct fuzz_input in;
	struct virtio_device vdev;
	struct virtqueue *vq;
	void *pages;
	size_t pages_bytes;
	unsigned int num;
	bool indirect, event;
	/* Driver side bookkeeping. */
	unsigned int outstanding;
	u16 avail_idx;	 /* successful adds, mod 2^16 */
	u16 kicked_idx;	 /* avail_idx at the last kick_prepare */
	u16 used_idx;	 /* tokens get_buf returned, mod 2^16 */
	bool fail_alloc; /* the next allocation fails */
	bool give_up;	 /* delete the queue with buffers outstanding */
	unsigned int notifies, callbacks;
	/* Device side: its view of the same memory. */
	struct vring dvr;
	u16 dev_last_avail; /* next avail entry the device takes */
	u16 dev_used_idx;   /* next used entry the device writes */
	unsigned int held;  /* heads taken and not completed */
};

static struct ring_token ring_tokens[VRING_MAX_SIZE];
static u16 ring_free_tokens[VRING_MAX_SIZE];
static unsigned int ring_free_count;
static u16 ring_held[VRING_MAX_SIZE];

static struct ring_ctx *ring_of(struct virtqueue *vq)
{
	return container_of(vq->vdev, struct ring_ctx, vdev);
}

static void ring_notify(struct virtqueue *vq)
{
	ring_of(vq)->notifies++;
}

static void ring_callback(struct virtqueue *vq)
{
	ring_of(vq)->callbacks++;
}

static bool ring_alloc_fail(void *ctx, size_t size, gfp_t flags)
{
	struct ring_ctx *c = ctx;
	bool fail = c->fail_alloc;

	(void)size;
	(void)flags;
	c->fail_alloc = false;
	return fail;
}

/* --- tokens ------------------------------------------------------------- */

static void ring_tokens_reset(unsigned int num)
{
	unsigned int i;

	memset(ring_tokens, 0, num * sizeof(ring_tokens[0]));
	for (i = 0; i < num; i++)
		ring_free_tokens[i] = (u16)(num - 1 - i);
	ring_free_count = num;
}

/* The token get_buf or detach returned: must be one we hold. */
static struct ring_token *ring_token_back(struct ring_ctx *c, void *data,
					  const char *how)
{
	struct ring_token *t = data;
	uintptr_t off = (uintptr_t)t - (uintptr_t)ring_tokens;

	if ((uintptr_t)t < (uintptr_t)ring_tokens ||
	    off >= c->num * sizeof(ring_tokens[0]) ||
	    off % sizeof(ring_tokens[0]) != 0)
		fuzz_finding("token-returned-twice",
			     "%s returned a token never added", how);
	if (t->state != TOKEN_OUTSTANDING)
		fuzz_finding("token-returned-twice",
			     "%s returned token %zu, not outstanding", how,
			     (size_t)(t - ring_tokens));
	assert(c->outstanding > 0);
	kfree(t->buf);
	t->buf = NULL;
	t->state = TOKEN_FREE;
	ring_free_tokens[ring_free_count++] = (u16)(t - ring_tokens);
	c->outstanding--;
	return t;
}

/* --- adding ------------------------------------------------------------- */

/* Splits n entries into lists of at most two for add_sgs. */
static unsigned int ring_make_lists(struct scatterlist *sg, unsigned int n,
				    struct scatterlist **lists)
{
	unsigned int i, count = 0;

	for (i = 0; i < n; i += 2) {
		unsigned int len = n - i < 2 ? n - i : 2;

		sg_mark_end(&sg[i + len - 1]);
		lists[count++] = &sg[i];
	}
	return count;
}

static int ring_add_call(struct ring_ctx *c, unsigned int api,
			 struct scatterlist *sg, unsigned int out,
			 unsigned int in, struct ring_token *t)
{
	struct scatterlist *lists[RING_SG_MAX];
	unsigned int out_lists, in_lists;

	switch (api) {
	case 0:
		return virtqueue_add_buf(c->vq, sg, out, in, t, GFP_ATOMIC);
	case 1:
		if (!in)
			return virtqueue_add_outbuf(c->vq, sg, out, t,
						    GFP_ATOMIC);
		if (!out)
			return virtqueue_add_inbuf(c->vq, sg, in, t,
						   GFP_ATOMIC);
		return virtqueue_add_buf(c->vq, sg, out, in, t, GFP_ATOMIC);
	default:
		out_lists = ring_make_lists(sg, out, lists);
		in_lists = ring_make_lists(sg + out, in, lists + out_lists);
		return virtqueue_add_sgs(c->vq, lists, out_lists, in_lists, t,
					 GFP_ATOMIC);
	}
}

/* Which failures add_buf may give, and what they say about the queue:
 * -EIO only when broken; -ENOSPC when the free descriptors do not hold the
 * chain and no indirect table was allowed to; -ENOMEM only when the table
 * failed and no direct chain can be that long. */
static void ring_check_add_error(struct ring_ctx *c, int err,
				 unsigned int total, bool alloc_failed)
{
	unsigned int num_free = c->vq->num_free;
	bool table = c->indirect && total > 1 && num_free > 0;

	if (err == -EIO && virtqueue_is_broken(c->vq))
		return;
	if (err == -ENOSPC && num_free < total && (!table || alloc_failed))
		return;
	if (err == -ENOMEM && table && alloc_failed && total > c->num)
		return;
	fuzz_finding("add", "add of %u entries failed with %d (free %u, %s)",
		     total, err, num_free,
		     virtqueue_is_broken(c->vq) ? "broken" : "healthy");
}

/*
 * Args: kind (bits 0-1: add_buf, add_out/inbuf, add_sgs; bit 2: the
 * indirect table allocation fails), out count, in count, entry length.
 */
static void ring_op_add(struct ring_ctx *c)
{
	struct scatterlist sg[RING_SG_MAX];
	u8 kind = fuzz_u8(&c->in);
	unsigned int out = fuzz_below(&c->in, RING_SG_MAX / 2);
	unsigned int in = fuzz_below(&c->in, RING_SG_MAX / 2);
	unsigned int len = 1u + fuzz_u8(&c->in), max, total, i;
	bool broken = virtqueue_is_broken(c->vq);
	struct ring_token *t;
	size_t bytes;
	char *buf;
	int ret;

	if (!ring_free_count)
		return; /* every token is outstanding: the ring is full */
	if (out + in == 0)
		out = 1;
	/* Longer than the ring is misuse unless an indirect table holds it. */
	max = c->indirect ? RING_SG_MAX : c->num;
	if (out > max)
		out = max;
	if (out + in > max)
		in = max - out;
	total = out + in;
	bytes = (size_t)total * len + (size_t)total * (total - 1) / 2;
	buf = kmalloc(bytes, GFP_KERNEL);
	if (!buf)
		fuzz_finding("setup", "no arena memory for %zu bytes", bytes);
	t = &ring_tokens[ring_free_tokens[ring_free_count - 1]];
	t->writable = 0;
	sg_init_table(sg, total);
	for (i = 0, bytes = 0; i < total; i++) {
		sg_set_buf(&sg[i], buf + bytes, len + i);
		bytes += len + i;
		if (i >= out)
			t->writable += len + i;
	}
	c->fail_alloc = (kind & 4) != 0;
	ret = ring_add_call(c, kind & 3, sg, out, in, t);
	if (ret < 0) {
		ring_check_add_error(c, ret, total, (kind & 4) && c->indirect);
		c->fail_alloc = false;
		kfree(buf);
		return;
	}
	c->fail_alloc = false;
	if (broken)
		fuzz_finding("broken-queue", "a broken queue took a buffer");
	if ((unsigned int)ret != c->vq->num_free)
		fuzz_finding("add", "add returned %d, %u descriptors free", ret,
			     c->vq->num_free);
	ring_free_count--;
	t->buf = buf;
	t->state = TOKEN_OUTSTANDING;
	c->outstanding++;
	c->avail_idx++;
}

/* --- notifications ------------------------------------------------------ */

/* kick_prepare must follow the rules of the used ring (virtio 1.0, 2.4.7):
 * without EVENT_IDX the NO_NOTIFY flag, with it vring_need_event. */
static void ring_op_kick_prepare(struct ring_ctx *c)
{
	bool notify_anyway = fuzz_bool(&c->in);
	bool broken = virtqueue_is_broken(c->vq), needed, want;
	u16 event = READ_ONCE(vring_avail_event(&c->dvr));
	u16 flags = READ_ONCE(c->dvr.used->flags);

	needed = virtqueue_kick_prepare(c->vq);
	if (c->event)
		want = vring_need_event(event, c->avail_idx, c->kicked_idx);
	else
		want = !(flags & VRING_USED_F_NO_NOTIFY);
	c->kicked_idx = c->avail_idx;
	if (broken && needed)
		fuzz_finding("broken-queue", "a broken queue asked for a kick");
	if (!broken && needed != want)
		fuzz_finding("notification",
			     "kick_prepare said %d, the rules say %d (event "
			     "%u, new %u, flags %#x)",
			     needed, want, event, c->avail_idx, flags);
	if (needed || notify_anyway)
		virtqueue_notify(c->vq);
}

static void ring_op_kick(struct ring_ctx *c)
{
	virtqueue_kick(c->vq);
	c->kicked_idx = c->avail_idx;
}

/* enable_cb(_delayed) must ask for an interrupt at the right used entry
 * (virtio 1.0, 2.4.8): used_event = last used idx + bufs. */
static void ring_op_enable(struct ring_ctx *c, bool delayed)
{
	u16 bufs = delayed ? (u16)(c->outstanding * 3 / 4) : 0;
	u16 event;

	if (delayed)
		virtqueue_enable_cb_delayed(c->vq);
	else
		virtqueue_enable_cb(c->vq);
	event = READ_ONCE(vring_used_event(&c->dvr));
	if (c->event && event != (u16)(c->used_idx + bufs))
		fuzz_finding("notification",
			     "enable_cb%s set used_event %u, not %u",
			     delayed ? "_delayed" : "", event,
			     (u16)(c->used_idx + bufs));
	if (READ_ONCE(c->dvr.avail->flags) & VRING_AVAIL_F_NO_INTERRUPT)
		fuzz_finding("notification", "enable_cb left NO_INTERRUPT set");
}

/* --- getting buffers back ----------------------------------------------- */

static void ring_op_get_buf(struct ring_ctx *c)
{
	bool broken = virtqueue_is_broken(c->vq);
	unsigned int len = 0xdeadbeefu;
	struct ring_token *t;
	void *data;

	data = virtqueue_get_buf(c->vq, &len);
	if (!data)
		return;
	if (broken)
		fuzz_finding("broken-queue",
			     "a broken queue returned a buffer");
	t = ring_token_back(c, data, "get_buf");
	if (len > t->writable)
		fuzz_finding("len", "len %u above the %llu writable bytes", len,
			     (unsigned long long)t->writable);
	c->used_idx++;
}

/* --- the device --------------------------------------------------------- */

static u16 ring_mask(const struct ring_ctx *c)
{
	return (u16)(c->num - 1);
}

/* Takes up to count available chains, as a device would. */
static void ring_dev_take(struct ring_ctx *c, unsigned int count)
{
	while (count-- && c->held < c->num) {
		u16 idx = READ_ONCE(c->dvr.avail->idx);

		if (idx == c->dev_last_avail)
			return;
		ring_held[c->held++] = READ_ONCE(
			c->dvr.avail->ring[c->dev_last_avail & ring_mask(c)]);
		c->dev_last_avail++;
	}
}

static void ring_dev_push(struct ring_ctx *c, u32 id, u32 len, bool publish)
{
	struct vring_used_elem *e =
		&c->dvr.used->ring[c->dev_used_idx & ring_mask(c)];

	WRITE_ONCE(e->id, id);
	WRITE_ONCE(e->len, len);
	c->dev_used_idx++;
	if (publish)
		WRITE_ONCE(c->dvr.used->idx, c->dev_used_idx);
}

/* Args: which held chain (bit 7: write the entry, publish later), len/16. */
static void ring_op_dev_complete(struct ring_ctx *c)
{
	u8 which = fuzz_u8(&c->in);
	u32 len = (u32)fuzz_u8(&c->in) * 16u;
	unsigned int i;
	u16 head;

	if (!c->held)
		ring_dev_take(c, 1);
	if (!c->held)
		return;
	i = (which & 0x7f) % c->held;
	head = ring_held[i];
	ring_held[i] = ring_held[--c->held];
	ring_dev_push(c, head, len, !(which & 0x80));
}

static void ring_op_dev_complete_all(struct ring_ctx *c)
{
	u32 len = (u32)fuzz_u8(&c->in) * 4u;
	unsigned int i;

	ring_dev_take(c, c->num);
	for (i = 0; i < c->held; i++)
		ring_dev_push(c, ring_held[i], len, false);
	c->held = 0;
	WRITE_ONCE(c->dvr.used->idx, c->dev_used_idx);
}

/* Args: slot, id mode (0 raw, 1 a held head, 2 a head +- 1), id, len. */
static void ring_op_raw_used_elem(struct ring_ctx *c)
{
	u16 slot = fuzz_u16(&c->in);
	u8 mode = fuzz_u8(&c->in);
	u32 id = fuzz_u32(&c->in), len = fuzz_u32(&c->in);
	struct vring_used_elem *e = &c->dvr.used->ring[slot & ring_mask(c)];

	if (mode % 3 != 0 && c->held)
		id = ring_held[id % c->held] + (mode % 3 == 2 ? 1u : 0u);
	WRITE_ONCE(e->id, id);
	WRITE_ONCE(e->len, len);
}

/* Args: mode (0: raw, else the device's idx + (s8)delta), value u16. */
static void ring_op_raw_used_idx(struct ring_ctx *c)
{
	u8 mode = fuzz_u8(&c->in);
	u16 value = fuzz_u16(&c->in);

	if (mode & 1)
		value = (u16)(c->dev_used_idx + (s8)(u8)value);
	WRITE_ONCE(c->dvr.used->idx, value);
	if (mode & 2)
		c->dev_used_idx = value;
}

static void ring_op_raw_avail_event(struct ring_ctx *c)
{
	u8 mode = fuzz_u8(&c->in);
	u16 value = fuzz_u16(&c->in);

	if (mode & 1)
		value = (u16)(c->avail_idx + (s8)(u8)value);
	WRITE_ONCE(vring_avail_event(&c->dvr), value);
}

/* Args: index, field (addr, len, flags, next), value. */
static void ring_op_raw_desc(struct ring_ctx *c)
{
	u16 i = (u16)(fuzz_u16(&c->in) & ring_mask(c));
	u8 field = fuzz_u8(&c->in);
	u64 value = fuzz_u64(&c->in);
	struct vring_desc *d = &c->dvr.desc[i];

	switch (field & 3) {
	case 0:
		WRITE_ONCE(d->addr, value);
		break;
	case 1:
		WRITE_ONCE(d->len, (u32)value);
		break;
	case 2:
		WRITE_ONCE(d->flags, (u16)value);
		break;
	default:
		WRITE_ONCE(d->next, (u16)value);
		break;
	}
}

static void ring_op_raw_avail(struct ring_ctx *c)
{
	u16 slot = fuzz_u16(&c->in), value = fuzz_u16(&c->in);

	if (slot == 0xffff)
		WRITE_ONCE(c->dvr.avail->idx, value);
	else
		WRITE_ONCE(c->dvr.avail->ring[slot & ring_mask(c)], value);
}

/* --- documented misuse: refused with one WARN --------------------------- */

static void ring_expect_einval(int ret, const char *what)
{
	fuzz_check_warned(what);
	if (ret != -EINVAL)
		fuzz_finding("misuse", "%s returned %d, not -EINVAL", what,
			     ret);
}

static void ring_misuse_add(struct ring_ctx *c, unsigned int which)
{
	struct scatterlist sg[2], *lists[2] = { NULL, NULL };
	char outside[8];
	void *buf = kmalloc(8, GFP_KERNEL);
	int dummy, ret;

	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, 8);
	sg_set_buf(&sg[1], buf, 8);
	fuzz_expect_warn(1);
	switch (which) {
	case 0:
		ret = virtqueue_add_buf(c->vq, sg, 1, 0, NULL, GFP_ATOMIC);
		break;
	case 1:
		ret = virtqueue_add_buf(c->vq, sg, 0, 0, &dummy, GFP_ATOMIC);
		break;
	case 2:
		ret = virtqueue_add_buf(c->vq, NULL, 1, 0, &dummy, GFP_ATOMIC);
		break;
	case 3:
		/* Needs two free descriptors (a full ring answers -ENOSPC);
		 * an indirect queue puts both in a table. */
		sg_set_buf(&sg[1], outside, sizeof(outside));
		ret = virtqueue_add_buf(c->vq, sg, 1, 1, &dummy, GFP_ATOMIC);
		break;
	case 4:
		lists[0] = sg;
		ret = virtqueue_add_sgs(c->vq, lists, 1, 1, &dummy, GFP_ATOMIC);
		break;
	default:
		ret = virtqueue_add_sgs(c->vq, NULL, 1, 0, &dummy, GFP_ATOMIC);
		break;
	}
	ring_expect_einval(ret, "a request that can never be valid");
	kfree(buf);
}

/* A request longer than the ring without indirect descriptors. */
static void ring_misuse_too_long(struct ring_ctx *c)
{
	struct scatterlist sg[RING_SG_MAX];
	unsigned int i, total = c->num + 1;
	void *buf;
	int dummy, ret;

	if (c->indirect || total > RING_SG_MAX)
		return;
	buf = kmalloc(8, GFP_KERNEL);
	sg_init_table(sg, total);
	for (i = 0; i < total; i++)
		sg_set_buf(&sg[i], buf, 8);
	fuzz_expect_warn(1);
	ret = virtqueue_add_buf(c->vq, sg, 1, total - 1, &dummy, GFP_ATOMIC);
	ring_expect_einval(ret, "a request longer than the ring");
	kfree(buf);
}

/* Creating a queue without notify, with a bad alignment, a bad size. */
static void ring_misuse_create(struct ring_ctx *c)
{
	struct virtqueue *vq[5];

	fuzz_expect_warn(1);
	vq[0] = vring_new_virtqueue(9, 4, RING_ALIGN, &c->vdev, false, c->pages,
				    NULL, NULL, "bad");
	fuzz_check_warned("a queue without notify");
	fuzz_expect_warn(1);
	vq[1] = vring_new_virtqueue(9, 4, 3, &c->vdev, false, c->pages,
				    ring_notify, NULL, "bad");
	fuzz_check_warned("a queue with alignment 3");
	/* A size the device chose is the device's fault: no WARN. */
	vq[2] = vring_new_virtqueue(9, 3, RING_ALIGN, &c->vdev, false, c->pages,
				    ring_notify, NULL, "bad");
	vq[3] = vring_new_virtqueue(9, 0, RING_ALIGN, &c->vdev, false, c->pages,
				    ring_notify, NULL, "bad");
	vq[4] = vring_new_virtqueue(9, 2 * VRING_MAX_SIZE, RING_ALIGN, &c->vdev,
				    false, c->pages, ring_notify, NULL, "bad");
	if (vq[0] || vq[1] || vq[2] || vq[3] || vq[4])
		fuzz_finding("misuse",
			     "a queue was created from bad arguments");
}

/* The arena's own misuse: frees of what was never allocated, or of the
 * wrong kind. The freeing ones still release the block. */
static void ring_misuse_arena(unsigned int which)
{
	char outside[8];
	void *p;

	fuzz_expect_warn(1);
	switch (which) {
	case 0:
		kfree(outside);
		break;
	case 1:
		free_pages_exact(outside, sizeof(outside));
		break;
	case 2:
		p = kmalloc(64, GFP_KERNEL);
		free_pages_exact(p, 64);
		break;
	case 3:
		p = alloc_pages_exact(100, GFP_KERNEL);
		kfree(p);
		break;
	case 4:
		p = alloc_pages_exact(100, GFP_KERNEL);
		free_pages_exact(p, 3 * PAGE_SIZE);
		break;
	default:
		p = kmalloc(64, GFP_KERNEL);
		kfree((char *)p + 16);
		kfree(p);
		break;
	}
	fuzz_check_warned("arena misuse");
}

/* A scatterlist without an end (chained back to its start): add_sgs must
 * stop counting it and refuse it. */
static void ring_misuse_endless(struct ring_ctx *c)
{
	struct scatterlist sg[3], *lists[1] = { sg };
	void *buf = kmalloc(8, GFP_KERNEL);
	int dummy, ret;

	sg_init_table(sg, 3);
	sg_set_buf(&sg[0], buf, 8);
	sg_set_buf(&sg[1], buf, 8);
	sg_chain(sg, 3, sg);
	fuzz_expect_warn(1);
	ret = virtqueue_add_sgs(c->vq, lists, 1, 0, &dummy, GFP_ATOMIC);
	ring_expect_einval(ret, "a scatterlist without an end");
	kfree(buf);
}

static void ring_op_misuse(struct ring_ctx *c)
{
	unsigned int which = fuzz_u8(&c->in) % 17;
	bool feature;

	if (virtqueue_is_broken(c->vq))
		return; /* a broken queue answers -EIO first, without a WARN */
	if (which < 6) {
		if (which != 3 || c->vq->num_free >= 2)
			ring_misuse_add(c, which);
	} else if (which == 6) {
		ring_misuse_too_long(c);
	} else if (which == 7) {
		ring_misuse_create(c);
	} else if (which < 14) {
		ring_misuse_arena(which - 8);
	} else if (which == 16) {
		ring_misuse_endless(c);
	} else {
		fuzz_expect_warn(1);
		feature = virtio_has_feature(&c->vdev, VIRTIO_FEATURES_MAX);
		fuzz_check_warned("a feature bit out of range");
		if (feature)
			fuzz_finding("misuse", "feature 64 reads as set");
	}
}

/* --- the rest of the API ----------------------------------------------- */

/* get_buf without a len (the caller does not want it). */
static void ring_get_buf_nolen(struct ring_ctx *c)
{
	bool broken = virtqueue_is_broken(c->vq);
	void *data = virtqueue_get_buf(c->vq, NULL);

	if (!data)
		return;
	if (broken)
		fuzz_finding("broken-queue",
			     "a broken queue returned a buffer");
	ring_token_back(c, data, "get_buf");
	c->used_idx++;
}

/* The fault of the queue and the name of any fault value. */
static void ring_check_fault(struct ring_ctx *c, u32 value)
{
	const struct vring_fault_info *f = virtqueue_fault(c->vq);
	const char *name = vring_fault_name((enum vring_fault)value);

	if (!name || (value >= VRING_FAULT_COUNT) != !strcmp(name, "unknown"))
		fuzz_finding("fault", "fault %u is named \"%s\"", value,
			     name ? name : "(null)");
	if (virtqueue_is_broken(c->vq) != (f->fault != VRING_FAULT_NONE) ||
	    f->fault >= VRING_FAULT_COUNT)
		fuzz_finding("fault", "fault %u on a %s queue", f->fault,
			     virtqueue_is_broken(c->vq) ? "broken" : "healthy");
}

/* A second queue on the same device, without a name or callback: made,
 * broken by its transport and deleted with nothing in it. */
static void ring_side_queue(struct ring_ctx *c, u32 value)
{
	unsigned int num = 1u << (value % 5);
	size_t bytes = vring_size(num, RING_ALIGN);
	void *pages = alloc_pages_exact(bytes, GFP_KERNEL | __GFP_ZERO);
	struct virtqueue *vq;

	if (!pages)
		return; /* the failure hook said so */
	vq = vring_new_virtqueue(1, num, RING_ALIGN, &c->vdev, false, pages,
				 ring_notify, NULL, NULL);
	if (vq) {
		if (virtqueue_get_vring_size(vq) != num ||
		    virtqueue_get_queue_index(vq) != 1)
			fuzz_finding("setup", "a queue of %u reads as %u", num,
				     virtqueue_get_vring_size(vq));
		virtqueue_break(vq);
		if (!virtqueue_is_broken(vq) ||
		    virtqueue_fault(vq)->fault != VRING_FAULT_DEVICE_BROKEN)
			fuzz_finding("broken-queue", "break did not break");
		vring_del_virtqueue(vq);
	}
	free_pages_exact(pages, bytes);
}

/* Args: which (0 get_buf without len, 1 the fault and a fault's name, 2
 * a side queue, 3 the statistics, 4 delete the queue at the end without
 * detaching its buffers), value. */
static void ring_op_query(struct ring_ctx *c)
{
	u8 which = fuzz_u8(&c->in) % 5;
	u32 value = fuzz_u32(&c->in);
	struct vring_stats st;

	switch (which) {
	case 0:
		ring_get_buf_nolen(c);
		break;
	case 1:
		ring_check_fault(c, value);
		break;
	case 2:
		ring_side_queue(c, value);
		break;
	case 3:
		virtqueue_get_stats(c->vq, &st);
		if (st.added - st.used - st.detached != c->outstanding)
			fuzz_finding("token-conservation",
				     "stats: %llu added, %llu used, %llu "
				     "detached; %u outstanding",
				     (unsigned long long)st.added,
				     (unsigned long long)st.used,
				     (unsigned long long)st.detached,
				     c->outstanding);
		break;
	default:
		c->give_up = true;
		break;
	}
}

/* --- the program -------------------------------------------------------- */

static void ring_do_op(struct ring_ctx *c, unsigned int op)
{
	switch (op) {
	case RING_OP_ADD:
		ring_op_add(c);
		break;
	case RING_OP_KICK:
		ring_op_kick(c);
		break;
	case RING_OP_KICK_PREPARE:
		ring_op_kick_prepare(c);
		break;
	case RING_OP_GET_BUF:
		ring_op_get_buf(c);
		break;
	case RING_OP_DISABLE_CB:
		virtqueue_disable_cb(c->vq);
		break;
	case RING_OP_ENABLE_CB:
	case RING_OP_ENABLE_CB_DELAYED:
		ring_op_enable(c, op == RING_OP_ENABLE_CB_DELAYED);
		break;
	case RING_OP_INTERRUPT:
		vring_interrupt(0, c->vq);
		break;
	case RING_OP_DEV_TAKE:
		ring_dev_take(c, 1u + fuzz_u8(&c->in) % 8);
		break;
	case RING_OP_DEV_COMPLETE:
		ring_op_dev_complete(c);
		break;
	case RING_OP_DEV_COMPLETE_ALL:
		ring_op_dev_complete_all(c);
		break;
	case RING_OP_RAW_USED_ELEM:
		ring_op_raw_used_elem(c);
		break;
	case RING_OP_RAW_USED_IDX:
		ring_op_raw_used_idx(c);
		break;
	case RING_OP_RAW_USED_FLAGS:
		WRITE_ONCE(c->dvr.used->flags, fuzz_u16(&c->in));
		break;
	case RING_OP_RAW_AVAIL_EVENT:
		ring_op_raw_avail_event(c);
		break;
	case RING_OP_RAW_DESC:
		ring_op_raw_desc(c);
		break;
	case RING_OP_RAW_AVAIL:
		ring_op_raw_avail(c);
		break;
	case RING_OP_BREAK:
		virtqueue_break(c->vq);
		break;
	case RING_OP_MISUSE:
		ring_op_misuse(c);
		break;
	default:
		ring_op_query(c);
		break;
	}
}

static void ring_check(struct ring_ctx *c, unsigned int op, bool full)
{
	const char *problem = full ? virtqueue_check_invariants(c->vq) : NULL;

	if (problem)
		fuzz_finding("invariants", "after op %u: %s", op, problem);
	if (virtqueue_outstanding(c->vq) != c->outstanding)
		fuzz_finding("token-conservation",
			     "after op %u the ring holds %u buffers, we %u", op,
			     virtqueue_outstanding(c->vq), c->outstanding);
}

/* Sizes 1 .. 1024, then the small ones again, and 32768 (whose set-up and
 * checks cost about a millisecond) only for 15. */
static unsigned int ring_size_of(unsigned int code)
{
	if (code == 15)
		return VRING_MAX_SIZE;
	return 1u << (code > 10 ? code - 11 : code);
}

static bool ring_setup(struct ring_ctx *c, const u8 *data, size_t size)
{
	u8 head;

	memset(c, 0, sizeof(*c));
	fuzz_input_init(&c->in, data, size);
	head = fuzz_u8(&c->in);
	c->num = ring_size_of(head & 15);
	if (head & 0x10)
		set_bit(VIRTIO_RING_F_INDIRECT_DESC, c->vdev.features);
	if (head & 0x20)
		set_bit(VIRTIO_RING_F_EVENT_IDX, c->vdev.features);
	c->indirect = (head & 0x10) != 0;
	c->event = (head & 0x20) != 0;
	dev_set_name(&c->vdev.dev, "fuzz-ring");
	c->pages_bytes = vring_size(c->num, RING_ALIGN);
	c->pages = alloc_pages_exact(c->pages_bytes, GFP_KERNEL | __GFP_ZERO);
	if (!c->pages)
		return false;
	c->vq = vring_new_virtqueue(
		0, c->num, RING_ALIGN, &c->vdev, (head & 0x80) != 0, c->pages,
		ring_notify, (head & 0x40) ? ring_callback : NULL, "fuzz");
	if (!c->vq)
		return false;
	vring_init(&c->dvr, c->num, c->pages, RING_ALIGN);
	ring_tokens_reset(c->num);
	shim_set_alloc_fail_hook(ring_alloc_fail, c);
	return true;
}

/* Detaches every unused buffer: each token must come back exactly once. */
static void ring_teardown(struct ring_ctx *c)
{
	void *data;
	unsigned int n = 0, i;

	if (c->give_up) {
		/* Deleted with buffers outstanding: the ring frees its own
		 * memory (indirect tables), the tokens stay ours. */
		ring_check(c, RING_OP_COUNT, true);
		vring_del_virtqueue(c->vq);
		for (i = 0; i < c->num; i++)
			if (ring_tokens[i].state == TOKEN_OUTSTANDING)
				kfree(ring_tokens[i].buf);
		free_pages_exact(c->pages, c->pages_bytes);
		fuzz_check_no_leak("after the queue was deleted");
		return;
	}
	while ((data = virtqueue_detach_unused_buf(c->vq)) != NULL) {
		ring_token_back(c, data, "detach_unused_buf");
		if (++n > c->num)
			fuzz_finding(
				"token-conservation",
				"detach returned more than the ring holds");
	}
	if (c->outstanding)
		fuzz_finding("token-conservation", "%u tokens never came back",
			     c->outstanding);
	ring_check(c, RING_OP_COUNT, true);
	vring_del_virtqueue(c->vq);
	free_pages_exact(c->pages, c->pages_bytes);
	fuzz_check_no_leak("after the queue was deleted");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ring_ctx ctx;
	unsigned int ops = 0, ops_max, op, every;

	if (fuzz_arena_fresh() != 0)
		fuzz_finding("setup", "cannot create the arena");
	fuzz_shim_begin();
	if (!ring_setup(&ctx, data, size))
		fuzz_finding("setup", "cannot create a queue of %u", ctx.num);
	every = ctx.num <= RING_CHECK_EVERY_MAX
			? 1
			: ctx.num / RING_CHECK_EVERY_MAX;
	ops_max = RING_CHECK_BUDGET / ctx.num;
	if (ops_max > RING_OPS_MAX)
		ops_max = RING_OPS_MAX;
	while (!fuzz_input_done(&ctx.in) && ops++ < ops_max) {
		op = fuzz_u8(&ctx.in) % RING_OP_COUNT;
#ifdef FUZZ_RING_TRACE /* -DFUZZ_RING_TRACE: each op on stderr */
		fprintf(stderr, "op %u at %zu: held %u outstanding %u%s\n", op,
			ctx.in.pos, ctx.held, ctx.outstanding,
			virtqueue_is_broken(ctx.vq) ? " broken" : "");
#endif
		ring_do_op(&ctx, op);
		ring_check(&ctx, op, ops % every == 0);
	}
	ring_teardown(&ctx);
	fuzz_shim_end();
	return 0;
}
