/*
 * hostile.h - helpers shared by the tests/hostile programs.
 *
 * A struct hq is a test queue (test_device.h) plus token bookkeeping: every
 * token a test adds is one byte of tokens[], and state[] says whether the
 * device still holds it or it came back through get_buf or through
 * detach_unused_buf. Requests point into one guest buffer: entry i of a
 * request is HQ_LEN(i) bytes at offset HQ_SLICE * i.
 *
 * The end checks are the rules every hostile case ends in: a broken queue
 * with the right fault that accepts, returns, interrupts and kicks nothing
 * (hq_check_dead), and afterwards every token back exactly once, every
 * descriptor free and the invariants intact (hq_check_recovered).
 */
#ifndef RINGSIDE_HOSTILE_H
#define RINGSIDE_HOSTILE_H

#include "harness.h"
#include "test_device.h"

#include <linux/errno.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <stdint.h>
#include <string.h>

#define HQ_INDIRECT (1ull << VIRTIO_RING_F_INDIRECT_DESC)
#define HQ_EVENT_IDX (1ull << VIRTIO_RING_F_EVENT_IDX)
#define HQ_TOKENS 1024u
#define HQ_MAX_SG 64u
#define HQ_SLICE 64u
#define HQ_LEN(i) (16u + (unsigned int)(i))

enum hq_token_state { HQ_UNUSED, HQ_HELD, HQ_GOT, HQ_DETACHED };

struct hq {
	struct test_vq t;
	char *area; /* the guest buffer every request points into */
	unsigned int ntok;
	unsigned char state[HQ_TOKENS]; /* enum hq_token_state */
	char tokens[HQ_TOKENS];
	char spare; /* token of hq_advance and of adds that must fail */
};

/* Fails the test with the ring's own description of a broken invariant. */
#define HQ_CHECK_INVARIANTS(vq)                                                \
	do {                                                                   \
		const char *_p = virtqueue_check_invariants(vq);               \
		if (_p)                                                        \
			harness_fail(__FILE__, __LINE__,                       \
				     "virtqueue_check_invariants", _p);        \
	} while (0)

static inline void hq_create(struct hq *h, unsigned int num, u64 features)
{
	memset(h, 0, sizeof(*h));
	test_vq_create(&h->t, num, features, true);
	h->area = test_buf(HQ_SLICE * HQ_MAX_SG);
}

static inline void hq_destroy(struct hq *h)
{
	test_vq_destroy(&h->t);
	kfree(h->area);
}

static inline struct virtqueue *hq_vq(struct hq *h)
{
	return h->t.vq;
}

/* Bytes of the writable part of a request of out + in entries. */
static inline u32 hq_writable(unsigned int out, unsigned int in)
{
	unsigned int i;
	u32 sum = 0;

	for (i = out; i < out + in; i++)
		sum += HQ_LEN(i);
	return sum;
}

static inline int hq_try_add(struct hq *h, unsigned int out, unsigned int in,
			     void *token)
{
	struct scatterlist sg[HQ_MAX_SG];
	unsigned int i;

	CHECK(out + in >= 1 && out + in <= HQ_MAX_SG);
	sg_init_table(sg, out + in);
	for (i = 0; i < out + in; i++)
		sg_set_buf(&sg[i], h->area + HQ_SLICE * i, HQ_LEN(i));
	return virtqueue_add_buf(h->t.vq, sg, out, in, token, GFP_ATOMIC);
}

/* Adds a request with a fresh token; returns the token's number. */
static inline unsigned int hq_add(struct hq *h, unsigned int out,
				  unsigned int in)
{
	unsigned int tok = h->ntok;
	int ret;

	CHECK(tok < HQ_TOKENS);
	ret = hq_try_add(h, out, in, &h->tokens[tok]);
	CHECK(ret >= 0);
	CHECK_EQ(h->t.vq->num_free, ret);
	h->state[tok] = HQ_HELD;
	h->ntok++;
	return tok;
}

/* Adds a request and lets the device take it; returns the token. */
static inline unsigned int hq_add_pop(struct hq *h, unsigned int out,
				      unsigned int in, struct test_chain *c)
{
	unsigned int tok = hq_add(h, out, in);

	CHECK(test_dev_pop(&h->t, c));
	CHECK_EQ(hq_writable(out, in), c->writable_bytes);
	return tok;
}

/* Device view: the index of entry k of the direct chain at head. */
static inline u16 hq_desc_at(struct hq *h, u16 head, unsigned int k)
{
	u16 i = head;

	for (; k > 0; k--) {
		CHECK(h->t.vring.desc[i].flags & VRING_DESC_F_NEXT);
		i = h->t.vring.desc[i].next;
		CHECK(i < h->t.num);
	}
	return i;
}

/* The token number of a pointer get_buf or detach returned. */
static inline unsigned int hq_token_of(struct hq *h, void *p)
{
	uintptr_t base = (uintptr_t)h->tokens, at = (uintptr_t)p;

	CHECK(at >= base && at < base + h->ntok);
	return (unsigned int)(at - base);
}

/* get_buf: the token's number, or -1 for NULL. A token must come back
 * only while the device holds it. */
static inline int hq_get(struct hq *h, unsigned int *len)
{
	void *p = virtqueue_get_buf(h->t.vq, len);
	unsigned int tok;

	if (!p)
		return -1;
	tok = hq_token_of(h, p);
	CHECK_EQ(HQ_HELD, h->state[tok]);
	h->state[tok] = HQ_GOT;
	return (int)tok;
}

static inline void hq_expect_get(struct hq *h, unsigned int tok, u32 len)
{
	unsigned int got_len = 0xdeadbeef;

	CHECK_EQ(tok, hq_get(h, &got_len));
	CHECK_EQ(len, got_len);
}

static inline void hq_expect_none(struct hq *h)
{
	unsigned int len;

	CHECK_EQ(-1, hq_get(h, &len));
}

/* Device: returns every chain it holds in order, honestly. */
static inline unsigned int hq_complete_all(struct hq *h)
{
	return test_dev_complete_all(&h->t);
}

/* Driver: gets every token there is; returns how many (bounded). */
static inline unsigned int hq_drain(struct hq *h)
{
	unsigned int n, len;

	for (n = 0; n <= h->t.num; n++)
		if (hq_get(h, &len) < 0)
			return n;
	CHECK(!"get_buf returned more buffers than the queue holds");
	return n;
}

/* Moves avail and used idx to target (mod 2^16) with one-entry requests
 * the device completes at once, so that tests run near the u16 wrap. */
static inline void hq_advance(struct hq *h, u16 target)
{
	struct test_chain c;
	unsigned int n, len;

	for (n = 0; n <= 0xffff; n++) {
		if (READ_ONCE(h->t.vring.avail->idx) == target)
			break;
		CHECK(hq_try_add(h, 0, 1, &h->spare) >= 0);
		CHECK(test_dev_pop(&h->t, &c));
		test_dev_push(&h->t, c.head, (u32)c.writable_bytes);
		CHECK_PTR_EQ(&h->spare, virtqueue_get_buf(h->t.vq, &len));
	}
	CHECK_EQ(target, READ_ONCE(h->t.vring.used->idx));
	CHECK_EQ(h->t.num, h->t.vq->num_free);
}

static inline void hq_expect_fault(struct hq *h, enum vring_fault fault,
				   u32 value, u32 expected)
{
	const struct vring_fault_info *f = virtqueue_fault(h->t.vq);

	CHECK(virtqueue_is_broken(h->t.vq));
	CHECK_EQ(fault, f->fault);
	CHECK_EQ(value, f->value);
	CHECK_EQ(expected, f->expected);
}

static inline void hq_expect_healthy(struct hq *h)
{
	CHECK(!virtqueue_is_broken(h->t.vq));
	CHECK_EQ(VRING_FAULT_NONE, virtqueue_fault(h->t.vq)->fault);
	HQ_CHECK_INVARIANTS(h->t.vq);
}

/* A broken queue accepts, returns, interrupts and kicks nothing, and
 * keeps its fault while it does. */
static inline void hq_check_dead(struct hq *h)
{
	struct virtqueue *vq = h->t.vq;
	struct vring_fault_info before = *virtqueue_fault(vq);
	unsigned int nfree = vq->num_free, callbacks = h->t.callbacks;
	unsigned int notifies = h->t.notifies, len;
	struct scatterlist sg;

	CHECK(virtqueue_is_broken(vq));
	CHECK_EQ(-EIO, hq_try_add(h, 1, 1, &h->spare));
	CHECK_EQ(-EIO, hq_try_add(h, 0, 1, &h->spare));
	sg_init_one(&sg, h->area, 8);
	CHECK_EQ(-EIO, virtqueue_add_outbuf(vq, &sg, 1, &h->spare, GFP_ATOMIC));
	CHECK_EQ(nfree, vq->num_free);
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(vq, &len));
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, vq)); /* counted, not its own */
	CHECK_EQ(callbacks, h->t.callbacks);
	virtqueue_kick(vq);
	CHECK(!virtqueue_kick_prepare(vq));
	virtqueue_notify(vq);
	CHECK_EQ(notifies, h->t.notifies);
	CHECK_EQ(before.fault, virtqueue_fault(vq)->fault);
	CHECK_EQ(before.value, virtqueue_fault(vq)->value);
	CHECK_EQ(before.expected, virtqueue_fault(vq)->expected);
}

/* Detaches what is left: every token comes back exactly once in all, the
 * ring is empty and consistent. */
static inline void hq_check_recovered(struct hq *h)
{
	struct virtqueue *vq = h->t.vq;
	struct vring_stats s;
	unsigned int n, tok;
	void *p = NULL;

	for (n = 0; n <= h->t.num; n++) {
		p = virtqueue_detach_unused_buf(vq);
		if (!p)
			break;
		tok = hq_token_of(h, p);
		CHECK_EQ(HQ_HELD, h->state[tok]);
		h->state[tok] = HQ_DETACHED;
	}
	CHECK_PTR_EQ(NULL, p);
	for (tok = 0; tok < h->ntok; tok++)
		CHECK(h->state[tok] == HQ_GOT || h->state[tok] == HQ_DETACHED);
	CHECK_EQ(h->t.num, vq->num_free);
	CHECK_EQ(0, virtqueue_outstanding(vq));
	HQ_CHECK_INVARIANTS(vq);
	virtqueue_get_stats(vq, &s);
	CHECK_EQ(s.added, s.used + s.detached);
}

/* The end of every hostile case: broken with this fault, dead, and every
 * token recovered. */
static inline void hq_finish_broken(struct hq *h, enum vring_fault fault,
				    u32 value, u32 expected)
{
	hq_expect_fault(h, fault, value, expected);
	hq_check_dead(h);
	hq_check_recovered(h);
	hq_expect_fault(h, fault, value, expected);
	hq_destroy(h);
}

/* The end of a legal case: healthy, every token back through get_buf. */
static inline void hq_finish_healthy(struct hq *h)
{
	unsigned int tok;

	hq_expect_healthy(h);
	for (tok = 0; tok < h->ntok; tok++)
		CHECK_EQ(HQ_GOT, h->state[tok]);
	CHECK_PTR_EQ(NULL, virtqueue_detach_unused_buf(h->t.vq));
	hq_check_recovered(h);
	hq_expect_healthy(h);
	hq_destroy(h);
}

#endif /* RINGSIDE_HOSTILE_H */
