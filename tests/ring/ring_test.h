/*
 * ring_test.h - small helpers shared by the tests/ring programs.
 *
 * Buffers: rt_sg() cuts a scatterlist of n entries out of one guest buffer;
 * entry i is RT_LEN(i) bytes at offset RT_SLICE * i, so every entry has a
 * distinct address and length the device view can be compared with.
 */
#ifndef RINGSIDE_RING_TEST_H
#define RINGSIDE_RING_TEST_H

#include "harness.h"
#include "test_device.h"

#include <linux/errno.h>
#include <linux/io.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>

#define RT_SLICE 64u
#define RT_LEN(i) (16u + (unsigned int)(i))
#define RT_MAX_SG 16u
#define RT_INDIRECT (1ull << VIRTIO_RING_F_INDIRECT_DESC)
#define RT_EVENT_IDX (1ull << VIRTIO_RING_F_EVENT_IDX)

/* Fails the test with the ring's own description of a broken invariant. */
#define CHECK_INVARIANTS(vq)                                                   \
	do {                                                                   \
		const char *_p = virtqueue_check_invariants(vq);               \
		if (_p)                                                        \
			harness_fail(__FILE__, __LINE__,                       \
				     "virtqueue_check_invariants", _p);        \
	} while (0)

/* Fails the test if the queue is broken, naming the fault it recorded. */
#define CHECK_HEALTHY(vq)                                                      \
	do {                                                                   \
		if (virtqueue_is_broken(vq))                                   \
			rt_fail_broken(__FILE__, __LINE__, vq);                \
	} while (0)

static inline void rt_fail_broken(const char *file, int line,
				  struct virtqueue *vq)
{
	const struct vring_fault_info *f = virtqueue_fault(vq);
	char d[160];

	snprintf(d, sizeof(d),
		 "%s: value %u, expected %u (last used %u, "
		 "avail %u, outstanding %u)",
		 vring_fault_name(f->fault), f->value, f->expected,
		 f->last_used_idx, f->avail_idx, f->outstanding);
	harness_fail(file, line, "queue broken", d);
}

/* A guest buffer big enough for RT_MAX_SG slices. */
static inline char *rt_area(void)
{
	return test_buf(RT_SLICE * RT_MAX_SG);
}

/* sg[0..n) = slices of area, as a table with its end marker. */
static inline void rt_sg(struct scatterlist *sg, char *area, unsigned int n)
{
	unsigned int i;

	if (n > RT_MAX_SG) {
		CHECK(n <= RT_MAX_SG);
		return;
	}
	sg_init_table(sg, n);
	for (i = 0; i < n; i++)
		sg_set_buf(&sg[i], area + RT_SLICE * i, RT_LEN(i));
}

/* Adds a request of out readable and in writable slices of area. */
static inline int rt_add(struct test_vq *t, char *area, unsigned int out,
			 unsigned int in, void *token)
{
	struct scatterlist sg[RT_MAX_SG];

	rt_sg(sg, area, out + in);
	return virtqueue_add_buf(t->vq, sg, out, in, token, GFP_ATOMIC);
}

/* Bytes of the writable part of an rt_add(out, in) request. */
static inline unsigned int rt_writable(unsigned int out, unsigned int in)
{
	unsigned int i, sum = 0;

	for (i = out; i < out + in; i++)
		sum += RT_LEN(i);
	return sum;
}

/* The avail idx as the device reads it. */
static inline u16 rt_dev_avail_idx(const struct test_vq *t)
{
	return READ_ONCE(t->vring.avail->idx);
}

/* The queue is healthy and consistent; then it is deleted. */
static inline void rt_finish(struct test_vq *t)
{
	CHECK_HEALTHY(t->vq);
	CHECK_INVARIANTS(t->vq);
	test_vq_destroy(t);
}

static inline u64 rt_stat_fallbacks(struct virtqueue *vq)
{
	struct vring_stats s;

	virtqueue_get_stats(vq, &s);
	return s.indirect_fallback;
}

static inline size_t rt_live_blocks(void)
{
	struct shim_arena_stats s;

	shim_arena_get_stats(&s);
	return s.live_blocks;
}

#endif /* RINGSIDE_RING_TEST_H */
