// SPDX-License-Identifier: GPL-2.0
/*
 * test_shared_read.c - the shared-read seam (ringside/shim.h) of the ring
 * the tests link (ringside_ring_world): the hook sees every read the ring
 * makes of shared memory, with its address and size, before the read, so
 * that what it writes there is what the ring reads; it is not entered
 * again while it runs, and NULL removes it.
 */
#include "harness.h"
#include "test_device.h"

#include <linux/scatterlist.h>
#include <ringside/shim.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(hook_sees_every_shared_read_of_get_buf)                              \
	X(hook_writes_before_the_read)                                         \
	X(hook_is_not_entered_again)                                           \
	X(no_hook_after_null)
TESTS(HARNESS_DECLARE)

#define READS_MAX 64

static struct {
	unsigned int n;
	const void *addr[READS_MAX];
	unsigned long size[READS_MAX];
	struct test_vq *rewrite; /* hook_writes_before_the_read */
	bool nested;		 /* hook_is_not_entered_again */
} seen;

static void record(void *ctx, const void *addr, unsigned long size)
{
	(void)ctx;
	if (seen.n < READS_MAX) {
		seen.addr[seen.n] = addr;
		seen.size[seen.n] = size;
	}
	seen.n++;
	if (seen.rewrite && addr == &seen.rewrite->vring.used->ring[0].id)
		seen.rewrite->vring.used->ring[0].id = seen.rewrite->num + 1;
	if (seen.nested)
		shim_before_shared_read(addr, size);
}

static bool was_read(const void *addr, unsigned long size)
{
	unsigned int i;

	for (i = 0; i < seen.n && i < READS_MAX; i++)
		if (seen.addr[i] == addr && seen.size[i] == size)
			return true;
	return false;
}

/* A queue of 8 with one 1+1 chain the device completed. */
static void one_used(struct test_vq *t, char *token)
{
	struct scatterlist sg[2];

	test_vq_create(t, 8, 0, true);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], test_buf(16), 16);
	sg_set_buf(&sg[1], test_buf(16), 16);
	CHECK(virtqueue_add_buf(t->vq, sg, 1, 1, token, GFP_KERNEL) >= 0);
	virtqueue_kick(t->vq);
	CHECK_EQ(1, test_dev_complete_all(t));
	memset(&seen, 0, sizeof(seen));
}

static void hook_sees_every_shared_read_of_get_buf(void)
{
	struct test_vq t;
	struct vring *vr = &t.vring;
	char token;
	unsigned int len;

	one_used(&t, &token);
	shim_set_shared_read_hook(record, NULL);
	CHECK_PTR_EQ(&token, virtqueue_get_buf(t.vq, &len));
	shim_set_shared_read_hook(NULL, NULL);
	CHECK(was_read(&vr->used->idx, 2));
	CHECK(was_read(&vr->used->ring[0].id, 4));
	CHECK(was_read(&vr->used->ring[0].len, 4));
	/* The integrity check: the chain's descriptors (two 8-byte words
	 * each), its avail slot and avail idx. */
	CHECK(was_read(&vr->desc[0], 8));
	CHECK(was_read((const char *)&vr->desc[0] + 8, 8));
	CHECK(was_read(&vr->desc[1], 8));
	CHECK(was_read(&vr->avail->ring[0], 2));
	CHECK(was_read(&vr->avail->idx, 2));
	test_vq_destroy(&t);
}

/* The hook makes the id out of range just before the ring reads it: the
 * ring reads the new value and breaks the queue on it. */
static void hook_writes_before_the_read(void)
{
	struct test_vq t;
	char token;
	unsigned int len;

	one_used(&t, &token);
	seen.rewrite = &t;
	shim_set_shared_read_hook(record, NULL);
	CHECK(virtqueue_get_buf(t.vq, &len) == NULL);
	shim_set_shared_read_hook(NULL, NULL);
	CHECK(virtqueue_is_broken(t.vq));
	CHECK_EQ(VRING_FAULT_USED_ID_RANGE, virtqueue_fault(t.vq)->fault);
	CHECK_PTR_EQ(&token, virtqueue_detach_unused_buf(t.vq));
	test_vq_destroy(&t);
}

static void hook_is_not_entered_again(void)
{
	struct test_vq t;
	char token;
	unsigned int len, direct;

	one_used(&t, &token);
	shim_set_shared_read_hook(record, NULL);
	CHECK_PTR_EQ(&token, virtqueue_get_buf(t.vq, &len));
	direct = seen.n;
	test_vq_destroy(&t);
	one_used(&t, &token);
	seen.nested = true;
	CHECK_PTR_EQ(&token, virtqueue_get_buf(t.vq, &len));
	shim_set_shared_read_hook(NULL, NULL);
	CHECK(direct > 0);
	CHECK_EQ(direct, seen.n);
	test_vq_destroy(&t);
}

static void no_hook_after_null(void)
{
	struct test_vq t;
	char token;
	unsigned int len;

	one_used(&t, &token);
	shim_set_shared_read_hook(record, NULL);
	shim_set_shared_read_hook(NULL, NULL);
	CHECK_PTR_EQ(&token, virtqueue_get_buf(t.vq, &len));
	CHECK_EQ(0, seen.n);
	test_vq_destroy(&t);
}

HARNESS_MAIN(TESTS)
