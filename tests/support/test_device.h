/*
 * test_device.h - a device written in the test, driving a vring directly.
 *
 * It looks at the same pages as the queue under test, through its own
 * struct vring, and does by hand what a device does: take available chains
 * (checking the rules the driver side must keep), write used entries and
 * used.idx, set used.flags and avail_event. Hostile tests use the raw
 * writers to break the rules on purpose.
 */
#ifndef RINGSIDE_TEST_DEVICE_H
#define RINGSIDE_TEST_DEVICE_H

#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>

#define TEST_ALIGN 4096u
#define TEST_CHAIN_MAX 64

struct test_vq {
	struct virtio_device vdev;
	struct virtqueue *vq;
	struct vring vring; /* the device's view of the same memory */
	void *pages;
	unsigned int num;
	u16 last_avail;		/* the next avail entry the device takes */
	u16 used_idx;		/* the used.idx the device published */
	unsigned int notifies;	/* notify() calls */
	unsigned int callbacks; /* callback calls */
	void (*on_notify)(struct test_vq *t);	/* optional: runs in notify */
	void (*on_callback)(struct test_vq *t); /* optional: runs in callback */
};

/* One chain as the device sees it (indirect tables are followed). */
struct test_chain {
	u16 head;
	bool indirect;
	unsigned int n; /* entries, at most TEST_CHAIN_MAX are kept below */
	u64 addr[TEST_CHAIN_MAX];
	u32 len[TEST_CHAIN_MAX];
	bool writable[TEST_CHAIN_MAX];
	u64 readable_bytes;
	u64 writable_bytes;
};

/* Creates a queue of num entries with the given negotiated features (bits
 * such as VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX), with or
 * without a callback. CHECK-fails if the queue cannot be created. */
void test_vq_create(struct test_vq *t, unsigned int num, u64 features,
		    bool with_callback);
/* Deletes the queue and frees its pages. */
void test_vq_destroy(struct test_vq *t);
/* Container of a queue created by test_vq_create. */
struct test_vq *test_vq_of(struct virtqueue *vq);

/* Device: takes the next available chain, if any, checking the driver's
 * rules (CHECK-fails on a violation). */
bool test_dev_pop(struct test_vq *t, struct test_chain *chain);
/* Device: writes used entry {id, len} and publishes it (used.idx + 1). */
void test_dev_push(struct test_vq *t, u32 id, u32 len);
/* Device: takes every available chain and returns each with len = its
 * writable bytes, in order. Returns how many. */
unsigned int test_dev_complete_all(struct test_vq *t);
/* Device: available chains not yet taken. */
u16 test_dev_avail_pending(const struct test_vq *t);

/* Raw device writes, for hostile tests. */
void test_dev_write_used_elem(struct test_vq *t, u16 slot, u32 id, u32 len);
void test_dev_set_used_idx(struct test_vq *t, u16 idx);
void test_dev_set_used_flags(struct test_vq *t, u16 flags);
void test_dev_set_avail_event(struct test_vq *t, u16 idx);
u16 test_dev_used_event(const struct test_vq *t);
u16 test_dev_avail_flags(const struct test_vq *t);

/* Driver side convenience: a buffer in guest memory. */
void *test_buf(size_t len);

/* Driver: drains every token get_buf returns; returns how many. */
unsigned int test_drain(struct virtqueue *vq);
/* Driver: detaches every unused buffer; returns how many. */
unsigned int test_detach_all(struct virtqueue *vq);

#endif /* RINGSIDE_TEST_DEVICE_H */
