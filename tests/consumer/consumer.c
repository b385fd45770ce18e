/*
 * consumer.c - a third party's driver and device, built against an
 * installed ringside: one buffer goes round a queue of 8 entries.
 *
 * The driver side uses only the Linux 3.7.1 API; the device side reads and
 * writes the ring through the struct vring it lays over the same pages.
 */
#include <linux/gfp.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>

#define QUEUE_SIZE 8
#define RING_ALIGN 4096
#define BUF_BYTES 16
#define USED_BYTES 4

static int fail(const char *what)
{
	fprintf(stderr, "consumer: %s\n", what);
	return 1;
}

/* The device needs no kick: it is run by hand below. */
static void notify(struct virtqueue *vq)
{
	(void)vq;
}

int main(void)
{
	size_t ring_bytes = vring_size(QUEUE_SIZE, RING_ALIGN);
	struct virtio_device vdev;
	struct virtqueue *vq;
	struct scatterlist sg;
	struct vring vr;
	unsigned int len = 0;
	void *pages, *buf, *token;
	u16 head;

	memset(&vdev, 0, sizeof(vdev));
	INIT_LIST_HEAD(&vdev.vqs);

	pages = alloc_pages_exact(ring_bytes, GFP_KERNEL | __GFP_ZERO);
	if (!pages)
		return fail("alloc_pages_exact failed");
	vq = vring_new_virtqueue(0, QUEUE_SIZE, RING_ALIGN, &vdev, true, pages,
				 notify, NULL, "consumer");
	if (!vq)
		return fail("vring_new_virtqueue failed");

	/* Driver: one device-writable buffer. */
	buf = kmalloc(BUF_BYTES, GFP_KERNEL);
	if (!buf)
		return fail("kmalloc failed");
	sg_init_one(&sg, buf, BUF_BYTES);
	if (virtqueue_add_buf(vq, &sg, 0, 1, buf, GFP_KERNEL) < 0)
		return fail("virtqueue_add_buf failed");
	virtqueue_kick(vq);

	/* Device: take the chain from the avail ring, use 4 bytes of it. */
	vring_init(&vr, QUEUE_SIZE, pages, RING_ALIGN);
	if (vr.avail->idx != 1)
		return fail("avail idx is not 1");
	head = vr.avail->ring[0];
	vr.used->ring[0].id = head;
	vr.used->ring[0].len = USED_BYTES;
	virtio_wmb(true);
	vr.used->idx = 1;

	/* Driver: the token comes back with the length the device wrote. */
	token = virtqueue_get_buf(vq, &len);
	if (token != buf)
		return fail("virtqueue_get_buf did not return the token");
	if (len != USED_BYTES)
		return fail("virtqueue_get_buf returned the wrong length");
	if (virtqueue_get_buf(vq, &len))
		return fail("virtqueue_get_buf returned a second token");

	vring_del_virtqueue(vq);
	kfree(buf);
	free_pages_exact(pages, ring_bytes);
	printf("consumer ok\n");
	return 0;
}
