// SPDX-License-Identifier: GPL-2.0
/*
 * demo_hostile.c - a virtqueue of 8 entries against a device that turns
 * hostile, step by step.
 *
 * The driver side uses the Linux 3.7.1 API (plus ringside's diagnostics in
 * ringside/ring_diag.h). The device is written inline: it reads and writes
 * the ring through its own struct vring laid over the same pages, as a
 * real device would. It first behaves (out-of-order completion is legal),
 * then lies about a length (the ring clamps and counts it), then returns a
 * used id that is no outstanding head (the ring breaks the queue, and the
 * driver still gets every token back).
 *
 * Exit status 0 when every step behaved as described, 1 otherwise: the
 * demo doubles as a check.
 */
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>

#include <stdio.h>
#include <string.h>

#define QUEUE_SIZE 8u
#define RING_ALIGN 4096u
#define BUF_BYTES 64u
#define NBUFS 6 /* A .. F */

static unsigned int failures;

/* Counts and reports a step that did not go as the text says. */
static bool expect(bool ok, const char *what)
{
	if (!ok) {
		failures++;
		printf("   UNEXPECTED: %s\n", what);
	}
	return ok;
}

/* The ring's kernel messages, in line with the demo's own output. */
static void show_log(void *ctx, int level, const char *text)
{
	(void)ctx;
	if (level <= 4)
		printf("   kernel: %s\n", text);
}

/* --- the device -------------------------------------------------------- */

struct demo_dev {
	struct vring vr; /* the device's view of the ring */
	u16 last_avail;	 /* the next avail entry it takes */
	u16 used_idx;	 /* the used.idx it published */
	unsigned int kicks;
};

static struct demo_dev dev;

static void demo_notify(struct virtqueue *vq)
{
	(void)vq;
	dev.kicks++; /* the device runs below, step by step */
}

/* Takes the next available chain: its head, or -1 when there is none. */
static int dev_take(void)
{
	u16 head;

	if (dev.last_avail == READ_ONCE(dev.vr.avail->idx))
		return -1;
	virtio_rmb(true);
	head = READ_ONCE(dev.vr.avail->ring[dev.last_avail % QUEUE_SIZE]);
	dev.last_avail++;
	return head;
}

/* Writes used entry {id, len} and publishes it. */
static void dev_use(u32 id, u32 len)
{
	struct vring_used_elem *e =
		&dev.vr.used->ring[dev.used_idx % QUEUE_SIZE];

	WRITE_ONCE(e->id, id);
	WRITE_ONCE(e->len, len);
	virtio_wmb(true);
	dev.used_idx++;
	WRITE_ONCE(dev.vr.used->idx, dev.used_idx);
}

/* --- the driver's buffers ---------------------------------------------- */

struct demo_buf {
	char name;
	unsigned int nsg; /* 1: writable; 2: a readable then a writable */
	int head;	  /* the head the device saw */
	bool back;	  /* returned by get_buf or detach */
	void *mem[2];
	struct scatterlist sg[2];
};

static struct demo_buf bufs[NBUFS];

static int add(struct virtqueue *vq, struct demo_buf *b)
{
	return virtqueue_add_buf(vq, b->sg, b->nsg - 1, 1, b, GFP_KERNEL);
}

static bool invariants_hold(struct virtqueue *vq)
{
	const char *problem = virtqueue_check_invariants(vq);

	if (problem)
		printf("   UNEXPECTED: invariant broken: %s\n", problem);
	return expect(!problem, "the queue's invariants hold");
}

static void setup_bufs(void)
{
	unsigned int i, j;

	for (i = 0; i < NBUFS; i++) {
		struct demo_buf *b = &bufs[i];

		b->name = (char)('A' + i);
		b->nsg = i < 4 ? 1 : 2;
		b->head = -1;
		sg_init_table(b->sg, b->nsg);
		for (j = 0; j < b->nsg; j++) {
			b->mem[j] = kzalloc(BUF_BYTES, GFP_KERNEL);
			sg_set_buf(&b->sg[j], b->mem[j], BUF_BYTES);
		}
	}
}

static void free_bufs(void)
{
	unsigned int i, j;

	for (i = 0; i < NBUFS; i++)
		for (j = 0; j < bufs[i].nsg; j++)
			kfree(bufs[i].mem[j]);
}

/* --- the story ----------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: demo_hostile [--help]\n"
		"\n"
		"Drives a virtqueue of %u entries against an inline device "
		"that\n"
		"first behaves (out-of-order completion), then reports a used\n"
		"len larger than the buffer (clamped and counted), then "
		"returns\n"
		"a used id that is not an outstanding head (the queue breaks:\n"
		"add_buf gives -EIO, get_buf NULL), and shows that\n"
		"virtqueue_detach_unused_buf still recovers every token.\n"
		"\n"
		"Exit status: 0 when every step behaved as described, 1\n"
		"otherwise, 2 for a usage error.\n",
		QUEUE_SIZE);
}

static void step_behave(struct virtqueue *vq)
{
	struct demo_buf *a = &bufs[0], *c = &bufs[2];
	unsigned int i, len_c = 0, len_a = 0;
	void *t1, *t2;

	/* The device takes A..D, then completes C and A, in that order. */
	for (i = 0; i < 4; i++)
		bufs[i].head = dev_take();
	dev_use((u32)c->head, BUF_BYTES);
	dev_use((u32)a->head, BUF_BYTES);
	t1 = virtqueue_get_buf(vq, &len_c);
	t2 = virtqueue_get_buf(vq, &len_a);
	printf("2. device completes C then A (out of order, legal): driver "
	       "gets %c (len %u), %c (len %u)\n",
	       t1 ? ((struct demo_buf *)t1)->name : '-', len_c,
	       t2 ? ((struct demo_buf *)t2)->name : '-', len_a);
	expect(t1 == c && t2 == a && len_c == BUF_BYTES && len_a == BUF_BYTES,
	       "get_buf returns C then A, each with len 64");
	c->back = a->back = true;
	printf("   queue healthy: broken %s, %u outstanding (B, D), num_free "
	       "%u\n",
	       virtqueue_is_broken(vq) ? "yes" : "no",
	       virtqueue_outstanding(vq), vq->num_free);
	expect(!virtqueue_is_broken(vq) && virtqueue_outstanding(vq) == 2,
	       "the queue is healthy with B and D outstanding");
	invariants_hold(vq);
}

static void step_overlong(struct virtqueue *vq)
{
	struct demo_buf *b = &bufs[1];
	struct vring_stats st;
	unsigned int len = 0;
	void *t;

	dev_use((u32)b->head, 4096);
	t = virtqueue_get_buf(vq, &len);
	virtqueue_get_stats(vq, &st);
	printf("3. device claims it wrote 4096 bytes into B (%u bytes): driver "
	       "gets %c with len %u (clamped)\n",
	       BUF_BYTES, t ? ((struct demo_buf *)t)->name : '-', len);
	printf("   stats: len_clamped %llu (head %u: len %u, limit %u); queue "
	       "still healthy: %s\n",
	       (unsigned long long)st.len_clamped, st.last_clamp_id,
	       st.last_clamp_len, st.last_clamp_limit,
	       virtqueue_is_broken(vq) ? "no" : "yes");
	expect(t == b && len == BUF_BYTES, "get_buf returns B with len 64");
	expect(st.len_clamped == 1 && st.last_clamp_id == (u32)b->head &&
		       st.last_clamp_len == 4096 &&
		       st.last_clamp_limit == BUF_BYTES,
	       "the clamp is counted with B's head, 4096 and 64");
	expect(!virtqueue_is_broken(vq), "a clamped len does not break");
	b->back = true;
	invariants_hold(vq);
}

static void step_more(struct virtqueue *vq)
{
	struct demo_buf *e = &bufs[4], *f = &bufs[5];
	int re, rf;

	re = add(vq, e);
	rf = add(vq, f);
	virtqueue_kick(vq);
	e->head = dev_take();
	f->head = dev_take();
	printf("4. driver adds E and F (a readable + a writable entry each): "
	       "heads %d and %d, num_free %u\n",
	       e->head, f->head, vq->num_free);
	expect(re >= 0 && rf >= 0 && e->head >= 0 && f->head >= 0 &&
		       vq->num_free == QUEUE_SIZE - 5,
	       "E and F are added and taken: D, E, F hold 5 descriptors");
}

static void step_hostile(struct virtqueue *vq)
{
	struct demo_buf *e = &bufs[4];
	const struct vring_fault_info *fault;
	unsigned int len = 0;
	u16 tail;
	void *t;

	/* The second descriptor of E's chain, from the device's own view. */
	tail = READ_ONCE(dev.vr.desc[e->head].next);
	printf("5. device returns used id %u: the second descriptor of E's "
	       "chain, not a head\n",
	       tail);
	dev_use(tail, BUF_BYTES);
	t = virtqueue_get_buf(vq, &len);
	fault = virtqueue_fault(vq);
	printf("   get_buf returns %s; queue broken: %s; fault: %s (value "
	       "%u, expected %u)\n",
	       t ? "a token" : "NULL", virtqueue_is_broken(vq) ? "yes" : "no",
	       vring_fault_name(fault->fault), fault->value, fault->expected);
	expect(!t && virtqueue_is_broken(vq), "the queue is broken");
	expect(fault->fault == VRING_FAULT_USED_ID_NOT_HEAD &&
		       fault->value == tail,
	       "the fault is USED_ID_NOT_HEAD with the id as value");
}

static void step_broken(struct virtqueue *vq)
{
	struct demo_buf g = { .name = 'G', .nsg = 1 };
	unsigned int len = 0;
	void *mem = kzalloc(BUF_BYTES, GFP_KERNEL);
	void *t;
	int r;

	sg_init_one(g.sg, mem, BUF_BYTES);
	r = add(vq, &g);
	dev_use((u32)bufs[3].head, BUF_BYTES); /* even a valid entry now */
	t = virtqueue_get_buf(vq, &len);
	printf("6. broken queue: add_buf returns %d%s, get_buf returns %s "
	       "(even for D's valid entry)\n",
	       r, r == -EIO ? " (-EIO)" : "", t ? "a token" : "NULL");
	expect(r == -EIO && !t, "add_buf gives -EIO and get_buf NULL");
	kfree(mem);
}

static void step_recover(struct virtqueue *vq)
{
	unsigned int n = 0, expected = 0, i;
	char names[3 * NBUFS] = { 0 };
	bool all = true;
	void *t;

	for (i = 0; i < NBUFS; i++)
		expected += !bufs[i].back;
	while ((t = virtqueue_detach_unused_buf(vq)) != NULL) {
		struct demo_buf *b = t;

		if (!expect(b >= bufs && b < bufs + NBUFS && !b->back,
			    "detach returns an outstanding token, once"))
			break;
		b->back = true;
		if (n < NBUFS) {
			names[3 * n] = b->name;
			if (n > 0)
				memcpy(&names[3 * n - 2], ", ", 2);
		}
		n++;
	}
	for (i = 0; i < NBUFS; i++)
		all = all && bufs[i].back;
	printf("7. virtqueue_detach_unused_buf hands back %s: all %u tokens "
	       "recovered, num_free == %u\n",
	       names, n, vq->num_free);
	expect(all && n == expected && vq->num_free == QUEUE_SIZE &&
		       virtqueue_outstanding(vq) == 0,
	       "every token is back and num_free == 8");
	invariants_hold(vq);
}

int main(int argc, char **argv)
{
	struct virtio_device vdev;
	struct virtqueue *vq;
	void *pages;
	unsigned int i;
	int r[4];

	if (argc > 1) {
		bool help =
			!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");

		usage(help ? stdout : stderr);
		return help && argc == 2 ? 0 : 2;
	}

	shim_set_log_hook(show_log, NULL);
	memset(&vdev, 0, sizeof(vdev));
	INIT_LIST_HEAD(&vdev.vqs);
	dev_set_name(&vdev.dev, "demo0");
	pages = alloc_pages_exact(vring_size(QUEUE_SIZE, RING_ALIGN),
				  GFP_KERNEL | __GFP_ZERO);
	if (!pages) {
		printf("alloc_pages_exact failed\n");
		return 1;
	}
	vring_init(&dev.vr, QUEUE_SIZE, pages, RING_ALIGN);
	vq = vring_new_virtqueue(0, QUEUE_SIZE, RING_ALIGN, &vdev, true, pages,
				 demo_notify, NULL, "demo");
	if (!vq) {
		printf("vring_new_virtqueue failed\n");
		return 1;
	}
	setup_bufs();

	printf("ringside demo: a virtqueue of %u entries, a device that turns "
	       "hostile\n\n",
	       QUEUE_SIZE);
	for (i = 0; i < 4; i++)
		r[i] = add(vq, &bufs[i]);
	virtqueue_kick(vq);
	printf("1. driver adds A, B, C, D (%u-byte writable buffers) and "
	       "kicks: num_free %u\n",
	       BUF_BYTES, vq->num_free);
	expect(r[0] == 7 && r[1] == 6 && r[2] == 5 && r[3] == 4 &&
		       dev.kicks == 1,
	       "four buffers added, one kick");

	step_behave(vq);
	step_overlong(vq);
	step_more(vq);
	step_hostile(vq);
	step_broken(vq);
	step_recover(vq);

	expect(shim_warn_count() == 0,
	       "no WARN: a hostile device is not a driver bug");
	vring_del_virtqueue(vq);
	free_pages_exact(pages, vring_size(QUEUE_SIZE, RING_ALIGN));
	free_bufs();

	if (failures) {
		printf("\nFAILED: %u step(s) did not behave as described\n",
		       failures);
		return 1;
	}
	printf("\nOK: every step behaved as described\n");
	return 0;
}
