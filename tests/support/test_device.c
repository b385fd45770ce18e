/*
 * test_device.c - the in-test device (see test_device.h).
 */
#include "test_device.h"

#include "harness.h"

#include <linux/io.h>
#include <linux/slab.h>

struct test_vq *test_vq_of(struct virtqueue *vq)
{
	return container_of(vq->vdev, struct test_vq, vdev);
}

static void test_notify(struct virtqueue *vq)
{
	struct test_vq *t = test_vq_of(vq);

	t->notifies++;
	if (t->on_notify)
		t->on_notify(t);
}

static void test_callback(struct virtqueue *vq)
{
	struct test_vq *t = test_vq_of(vq);

	t->callbacks++;
	if (t->on_callback)
		t->on_callback(t);
}

void test_vq_create(struct test_vq *t, unsigned int num, u64 features,
		    bool with_callback)
{
	unsigned int bit;

	memset(t, 0, sizeof(*t));
	INIT_LIST_HEAD(&t->vdev.vqs);
	for (bit = 0; bit < 64; bit++)
		if (features >> bit & 1)
			set_bit(bit, t->vdev.features);
	t->num = num;
	t->pages = alloc_pages_exact(vring_size(num, TEST_ALIGN),
				     GFP_KERNEL | __GFP_ZERO);
	CHECK(t->pages != NULL);
	vring_init(&t->vring, num, t->pages, TEST_ALIGN);
	t->vq = vring_new_virtqueue(
		0, num, TEST_ALIGN, &t->vdev, true, t->pages, test_notify,
		with_callback ? test_callback : NULL, "test");
	CHECK(t->vq != NULL);
}

void test_vq_destroy(struct test_vq *t)
{
	vring_del_virtqueue(t->vq);
	free_pages_exact(t->pages, vring_size(t->num, TEST_ALIGN));
	t->vq = NULL;
	t->pages = NULL;
}

u16 test_dev_avail_pending(const struct test_vq *t)
{
	return (u16)(READ_ONCE(t->vring.avail->idx) - t->last_avail);
}

/* Appends one descriptor to the chain, checking readable-before-writable. */
static void test_chain_add(struct test_chain *c, const struct vring_desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;

	CHECK(!(d->flags & VRING_DESC_F_INDIRECT) || !c->indirect);
	if (!writable)
		CHECK(c->writable_bytes == 0); /* readable after writable */
	if (c->n < TEST_CHAIN_MAX) {
		c->addr[c->n] = d->addr;
		c->len[c->n] = d->len;
		c->writable[c->n] = writable;
	}
	c->n++;
	if (writable)
		c->writable_bytes += d->len;
	else
		c->readable_bytes += d->len;
	/* Every buffer lies in guest memory. */
	CHECK(d->len == 0 || phys_to_virt(d->addr) != NULL);
}

/* Walks a table of max entries from index first. */
static void test_walk(struct test_chain *c, const struct vring_desc *table,
		      unsigned int max, u16 first)
{
	unsigned int steps = 0;
	u16 i = first;

	for (;;) {
		CHECK(i < max);
		CHECK(++steps <= max); /* no loops, chain <= table */
		test_chain_add(c, &table[i]);
		if (!(table[i].flags & VRING_DESC_F_NEXT))
			break;
		i = table[i].next;
	}
}

bool test_dev_pop(struct test_vq *t, struct test_chain *c)
{
	const struct vring_desc *d;
	u16 head;

	if (test_dev_avail_pending(t) == 0)
		return false;
	CHECK(test_dev_avail_pending(t) <= t->num);
	head = READ_ONCE(t->vring.avail->ring[t->last_avail % t->num]);
	t->last_avail++;
	memset(c, 0, sizeof(*c));
	c->head = head;
	CHECK(head < t->num);
	d = &t->vring.desc[head];
	if (d->flags & VRING_DESC_F_INDIRECT) {
		CHECK(!(d->flags & VRING_DESC_F_NEXT));
		CHECK(d->len % sizeof(struct vring_desc) == 0 && d->len > 0);
		c->indirect = true;
		test_walk(c, phys_to_virt(d->addr),
			  d->len / sizeof(struct vring_desc), 0);
	} else {
		test_walk(c, t->vring.desc, t->num, head);
	}
	return true;
}

void test_dev_write_used_elem(struct test_vq *t, u16 slot, u32 id, u32 len)
{
	WRITE_ONCE(t->vring.used->ring[slot % t->num].id, id);
	WRITE_ONCE(t->vring.used->ring[slot % t->num].len, len);
}

void test_dev_set_used_idx(struct test_vq *t, u16 idx)
{
	wmb();
	WRITE_ONCE(t->vring.used->idx, idx);
	t->used_idx = idx;
}

void test_dev_push(struct test_vq *t, u32 id, u32 len)
{
	test_dev_write_used_elem(t, t->used_idx, id, len);
	test_dev_set_used_idx(t, (u16)(t->used_idx + 1));
}

unsigned int test_dev_complete_all(struct test_vq *t)
{
	struct test_chain c;
	unsigned int n = 0;

	while (test_dev_pop(t, &c)) {
		test_dev_push(t, c.head, (u32)c.writable_bytes);
		n++;
	}
	return n;
}

void test_dev_set_used_flags(struct test_vq *t, u16 flags)
{
	WRITE_ONCE(t->vring.used->flags, flags);
}

void test_dev_set_avail_event(struct test_vq *t, u16 idx)
{
	WRITE_ONCE(vring_avail_event(&t->vring), idx);
}

u16 test_dev_used_event(const struct test_vq *t)
{
	return READ_ONCE(vring_used_event(&t->vring));
}

u16 test_dev_avail_flags(const struct test_vq *t)
{
	return READ_ONCE(t->vring.avail->flags);
}

void *test_buf(size_t len)
{
	void *p = kmalloc(len, GFP_KERNEL);

	CHECK(p != NULL);
	return p;
}

unsigned int test_drain(struct virtqueue *vq)
{
	unsigned int n = 0, len;

	while (virtqueue_get_buf(vq, &len))
		n++;
	return n;
}

unsigned int test_detach_all(struct virtqueue *vq)
{
	unsigned int n = 0;

	while (virtqueue_detach_unused_buf(vq))
		n++;
	return n;
}
