/*
 * rng_device.c - an entropy device (virtio-rng) as a third party would
 * write it: a plug-in for `ringside check lib:PATH`, built only against
 * the installed <ringside/device_model.h>. It implements the split ring
 * itself, through the host's guest-memory accessors, and offers
 * INDIRECT_DESC and EVENT_IDX.
 *
 * Options (the text after the path's ','), "name=value" separated by ',':
 *   fault=NAME   break one requirement on purpose, so that the test suite
 *                proves each check of the catalogue fires: used-id-range,
 *                used-idx-ahead, len-too-large, len-unwritten, used-flags,
 *                no-interrupt, status-after-reset, accept-any,
 *                reserved-feature, queue-size-odd, extra-queue, crash,
 *                spurious-kick (a notification with nothing new
 *                completes the last chain again), avail-event-stale
 *                (never writes avail_event), early (works before
 *                DRIVER_OK), busy-after-reset (works on after a reset),
 *                config-silent (a 4-byte config that changes without a
 *                notification), needs-reset-silent (shows
 *                DEVICE_NEEDS_RESET without a notification).
 *                Without a fault the device is honest.
 *
 * Assumes a little-endian host (ring fields are little-endian).
 */
#include <ringside/device_model.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RNG_QUEUE_SIZE 64u
#define RNG_SEGS_MAX 64u
#define F_INDIRECT_DESC 28
#define F_EVENT_IDX 29
#define F_VERSION_1 32
#define S_DRIVER_OK 4u

enum fault {
	FAULT_NONE = 0,
	FAULT_USED_ID_RANGE,
	FAULT_USED_IDX_AHEAD,
	FAULT_LEN_TOO_LARGE,
	FAULT_LEN_UNWRITTEN,
	FAULT_USED_FLAGS,
	FAULT_NO_INTERRUPT,
	FAULT_STATUS_AFTER_RESET,
	FAULT_ACCEPT_ANY,
	FAULT_RESERVED_FEATURE,
	FAULT_QUEUE_SIZE_ODD,
	FAULT_EXTRA_QUEUE,
	FAULT_CRASH,
	FAULT_SPURIOUS_KICK,
	FAULT_AVAIL_EVENT_STALE,
	FAULT_EARLY,
	FAULT_BUSY_AFTER_RESET,
	FAULT_CONFIG_SILENT,
	FAULT_NEEDS_RESET_SILENT,
	FAULT_COUNT
};

static const char *const fault_names[FAULT_COUNT] = {
	"none",
	"used-id-range",
	"used-idx-ahead",
	"len-too-large",
	"len-unwritten",
	"used-flags",
	"no-interrupt",
	"status-after-reset",
	"accept-any",
	"reserved-feature",
	"queue-size-odd",
	"extra-queue",
	"crash",
	"spurious-kick",
	"avail-event-stale",
	"early",
	"busy-after-reset",
	"config-silent",
	"needs-reset-silent",
};

struct rng_queue {
	uint16_t size; /* 0: not set up */
	uint64_t desc, avail, used;
	uint16_t last_avail, used_idx;
	uint16_t last_head;
};

struct rng_seg {
	uint64_t addr;
	uint32_t len;
};

struct rng_dev {
	const struct ringside_dm_host *host;
	struct ringside_dm_ops ops;
	enum fault fault;
	uint8_t status;
	uint64_t features; /* the driver's */
	struct rng_queue q;
	uint64_t completions;
	uint64_t x;	 /* the generator's state, seeded from host->draw */
	uint32_t config; /* config-silent: a counter as config space */
	bool busy_after_reset;
};

/* --- guest memory through the accessors ---------------------------------- */

static uint16_t rd16(struct rng_dev *d, uint64_t gpa)
{
	uint16_t v = 0;

	d->host->read(d->host->ctx, gpa, &v, sizeof(v));
	return v;
}

static void wr16(struct rng_dev *d, uint64_t gpa, uint16_t v)
{
	d->host->write(d->host->ctx, gpa, &v, sizeof(v));
}

static void wr32(struct rng_dev *d, uint64_t gpa, uint32_t v)
{
	d->host->write(d->host->ctx, gpa, &v, sizeof(v));
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static int rd_desc(struct rng_dev *d, uint64_t table, uint32_t i,
		   struct desc *out)
{
	return d->host->read(d->host->ctx, table + (uint64_t)i * 16, out, 16);
}

/* The writable segments of the chain at head; -1 for a chain the device
 * cannot use (the ring's own checks are not this device's business). */
static int chain(struct rng_dev *d, uint16_t head, struct rng_seg *seg,
		 unsigned int *nseg, uint32_t *writable)
{
	uint64_t table = d->q.desc;
	uint32_t n = d->q.size, i = head, count;
	struct desc de;

	*nseg = 0;
	*writable = 0;
	if (rd_desc(d, table, head, &de))
		return -1;
	if (de.flags & RINGSIDE_DESC_F_INDIRECT) {
		table = de.addr;
		n = de.len / RINGSIDE_DESC_BYTES;
		i = 0;
	}
	for (count = 0; count < n; count++) {
		if (rd_desc(d, table, i, &de))
			return -1;
		if ((de.flags & RINGSIDE_DESC_F_WRITE) &&
		    *nseg < RNG_SEGS_MAX) {
			seg[*nseg].addr = de.addr;
			seg[*nseg].len = de.len;
			(*nseg)++;
			*writable += de.len;
		}
		if (!(de.flags & RINGSIDE_DESC_F_NEXT))
			return 0;
		i = de.next;
		if (i >= n)
			return -1;
	}
	return -1;
}

static uint8_t next_byte(struct rng_dev *d)
{
	d->x = d->x * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint8_t)(d->x >> 56);
}

/* Fills len bytes of the writable part; returns len. */
static uint32_t fill(struct rng_dev *d, const struct rng_seg *seg,
		     unsigned int nseg, uint32_t len)
{
	uint8_t buf[256];
	uint32_t done = 0, n, k;
	unsigned int i;

	for (i = 0; i < nseg && done < len; i++) {
		uint32_t off = 0;

		while (off < seg[i].len && done < len) {
			n = seg[i].len - off;
			if (n > len - done)
				n = len - done;
			if (n > sizeof(buf))
				n = sizeof(buf);
			for (k = 0; k < n; k++)
				buf[k] = next_byte(d);
			d->host->write(d->host->ctx, seg[i].addr + off, buf, n);
			off += n;
			done += n;
		}
	}
	return done;
}

/* --- the queue ---------------------------------------------------------------- */

static bool negotiated(const struct rng_dev *d, unsigned int bit)
{
	return (d->features >> bit) & 1;
}

static void push_used(struct rng_dev *d, uint32_t id, uint32_t len)
{
	uint64_t elem = d->q.used + RINGSIDE_USED_RING_OFF +
			(uint64_t)(d->q.used_idx % d->q.size) *
				RINGSIDE_USED_ELEM_BYTES;

	wr32(d, elem, id);
	wr32(d, elem + 4, len);
	d->q.used_idx++;
	/* The entry before the index (2.7.8.2); one thread, no barrier. */
	if (d->fault == FAULT_USED_IDX_AHEAD && d->completions == 3)
		wr16(d, d->q.used + 2,
		     (uint16_t)(d->q.used_idx + d->q.size + 1));
	else
		wr16(d, d->q.used + 2, d->q.used_idx);
}

static void complete(struct rng_dev *d, uint16_t head)
{
	struct rng_seg seg[RNG_SEGS_MAX];
	unsigned int nseg;
	uint32_t writable, len = 0, id = head;

	d->completions++;
	if (d->fault == FAULT_CRASH && d->completions == 3)
		abort(); /* what a bug in a device model does */
	if (chain(d, head, seg, &nseg, &writable) == 0 && writable) {
		len = writable -
		      (uint32_t)d->host->draw(d->host->ctx, writable);
		if (d->fault == FAULT_LEN_UNWRITTEN)
			len = writable;
		else if (d->fault == FAULT_LEN_TOO_LARGE)
			len = fill(d, seg, nseg, writable);
		else
			len = fill(d, seg, nseg, len);
	}
	if (d->fault == FAULT_LEN_TOO_LARGE && d->completions == 3)
		len = writable + 1;
	if (d->fault == FAULT_USED_ID_RANGE && d->completions == 3)
		id = d->q.size;
	d->q.last_head = head;
	push_used(d, id, len);
}

static bool interrupt_owed(struct rng_dev *d, uint16_t old)
{
	uint16_t now = d->q.used_idx, event;

	if (negotiated(d, F_EVENT_IDX)) {
		event = rd16(d, d->q.avail + RINGSIDE_AVAIL_RING_OFF +
					2u * d->q.size);
		return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	}
	return !(rd16(d, d->q.avail) & RINGSIDE_AVAIL_F_NO_INTERRUPT);
}

static void process(struct rng_dev *d)
{
	uint16_t avail_idx, old = d->q.used_idx, head;
	unsigned int n;

	if (!d->q.size ||
	    (!(d->status & S_DRIVER_OK) && d->fault != FAULT_EARLY))
		return;
	if (d->fault == FAULT_CONFIG_SILENT)
		d->config++;
	if (d->busy_after_reset) {
		/* The last chain completed again, buffers untouched. */
		push_used(d, d->q.last_head, 0);
		return;
	}
	if (d->fault == FAULT_USED_FLAGS)
		wr16(d, d->q.used, 2);
	avail_idx = rd16(d, d->q.avail + 2);
	/* At most a ring's worth per turn; some turns take fewer. */
	for (n = 0; n < d->q.size && d->q.last_avail != avail_idx; n++) {
		if (n && d->host->draw(d->host->ctx, 4) == 0)
			break;
		head = rd16(d, d->q.avail + RINGSIDE_AVAIL_RING_OFF +
				       2u * (d->q.last_avail % d->q.size));
		d->q.last_avail++;
		complete(d, head);
	}
	if (negotiated(d, F_EVENT_IDX) && d->fault != FAULT_AVAIL_EVENT_STALE)
		wr16(d,
		     d->q.used + RINGSIDE_USED_RING_OFF +
			     RINGSIDE_USED_ELEM_BYTES * d->q.size,
		     d->q.last_avail);
	if (d->q.used_idx != old && interrupt_owed(d, old) &&
	    d->fault != FAULT_NO_INTERRUPT)
		d->host->interrupt(d->host->ctx, 0);
}

/* --- the device-model callbacks -------------------------------------------- */

static uint16_t rng_queue_size(void *ctx, unsigned int index)
{
	struct rng_dev *d = ctx;

	if (index == 0)
		return d->fault == FAULT_QUEUE_SIZE_ODD ? 100 : RNG_QUEUE_SIZE;
	if (index == 1 && d->fault == FAULT_EXTRA_QUEUE)
		return 8;
	return 0;
}

static bool rng_accept_features(void *ctx, uint64_t features)
{
	struct rng_dev *d = ctx;
	uint64_t offered = d->ops.features | (1ULL << F_VERSION_1);

	if (d->fault != FAULT_ACCEPT_ANY && (features & ~offered))
		return false;
	d->features = features;
	return true;
}

static void rng_status_written(void *ctx, uint8_t status)
{
	struct rng_dev *d = ctx;

	d->status = status;
}

static uint8_t rng_status_read(void *ctx, uint8_t stored)
{
	struct rng_dev *d = ctx;

	if (d->fault == FAULT_STATUS_AFTER_RESET && stored == 0)
		return 1;
	if (d->fault == FAULT_NEEDS_RESET_SILENT && d->completions >= 3)
		return stored | 64; /* DEVICE_NEEDS_RESET */
	return stored;
}

static void rng_reset(void *ctx)
{
	struct rng_dev *d = ctx;

	if (d->fault == FAULT_BUSY_AFTER_RESET && d->q.size) {
		d->busy_after_reset = true; /* the queue is kept */
		return;
	}
	d->status = 0;
	d->features = 0;
	memset(&d->q, 0, sizeof(d->q));
}

static void rng_queue_setup(void *ctx, unsigned int queue, uint16_t size,
			    uint64_t desc, uint64_t avail, uint64_t used)
{
	struct rng_dev *d = ctx;

	if (queue != 0)
		return;
	memset(&d->q, 0, sizeof(d->q));
	d->q.size = size;
	d->q.desc = desc;
	d->q.avail = avail;
	d->q.used = used;
}

/* spurious-kick: a notification with nothing new available. */
static void replay_last(struct rng_dev *d)
{
	if (d->q.size && d->completions &&
	    rd16(d, d->q.avail + 2) == d->q.last_avail)
		push_used(d, d->q.last_head, 0);
}

static void rng_notify(void *ctx, unsigned int queue)
{
	struct rng_dev *d = ctx;

	if (queue != 0)
		return;
	if (d->fault == FAULT_SPURIOUS_KICK)
		replay_last(d);
	process(d);
}

static void rng_config_read(void *ctx, unsigned int offset, void *buf,
			    unsigned int len)
{
	struct rng_dev *d = ctx;
	uint8_t *out = buf;
	unsigned int i;

	for (i = 0; i < len; i++)
		out[i] = offset + i < 4
				 ? (uint8_t)(d->config >> (8 * (offset + i)))
				 : 0;
}

static void rng_step(void *ctx)
{
	process(ctx);
}

static void rng_destroy(void *ctx)
{
	free(ctx);
}

static int parse_options(struct rng_dev *d, const char *options)
{
	const char *p = options;
	unsigned int i;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		bool known = false;

		for (i = 0; i < FAULT_COUNT; i++)
			if (n == 6 + strlen(fault_names[i]) &&
			    strncmp(p, "fault=", 6) == 0 &&
			    strncmp(p + 6, fault_names[i], n - 6) == 0) {
				d->fault = (enum fault)i;
				known = true;
			}
		if (!known)
			return -EINVAL;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

#ifndef RNG_DEVICE_WRONG_ABI
RINGSIDE_DM_PLUGIN_VERSION;
#else /* a build for the test of the version check */
const uint32_t ringside_dm_abi_version = RINGSIDE_DM_ABI_VERSION + 1;
#endif

int ringside_dm_create(const struct ringside_dm_host *host, const char *options,
		       const struct ringside_dm_ops **ops, void **ctx)
{
	struct rng_dev *d;

	if (!host || host->abi_version != RINGSIDE_DM_ABI_VERSION)
		return -EPROTO;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (parse_options(d, options) != 0) {
		free(d);
		return -EINVAL;
	}
	d->host = host;
	d->x = host->draw(host->ctx, 1ULL << 32) | 1;
	d->ops = (struct ringside_dm_ops){
		.abi_version = RINGSIDE_DM_ABI_VERSION,
		.name = "example-rng",
		.device_id = 4,
		.vendor_id = 0x1af4,
		.features = (1ULL << F_INDIRECT_DESC) | (1ULL << F_EVENT_IDX),
		.config_size = 0,
		.num_queues = 1,
		.queue_size = rng_queue_size,
		.accept_features = rng_accept_features,
		.status_written = rng_status_written,
		.status_read = rng_status_read,
		.reset = rng_reset,
		.queue_setup = rng_queue_setup,
		.notify = rng_notify,
		.step = rng_step,
		.destroy = rng_destroy,
	};
	if (d->fault == FAULT_RESERVED_FEATURE)
		d->ops.features |= 1ULL << 41;
	if (d->fault == FAULT_CONFIG_SILENT) {
		d->ops.config_size = 4;
		d->ops.config_read = rng_config_read;
	}
	*ops = &d->ops;
	*ctx = d;
	return 0;
}
