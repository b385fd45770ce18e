/*
 * inproc.c - the in-process runner (inproc.h).
 */
#include "inproc.h"

#include "devices.h"
#include "driver.h"
#include "sim_transport.h"
#include "world.h"

#include <assert.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_MAX 16
#define POISON_WINDOW 8u
/* Feature bits the specification reserves (2.2): 25, 26, 30, 31, 41-49. */
#define RESERVED_FEATURES                                                      \
	((1ULL << 25) | (1ULL << 26) | (1ULL << 30) | (1ULL << 31) |           \
	 (((1ULL << 9) - 1) << 41))

struct seg {
	u64 phys;
	u32 len;
	bool writable;
};

/* What the checker noted when a chain was made available. */
struct shadow {
	bool live;
	unsigned int nseg;
	u32 readable, writable;
	u32 sum; /* FNV-1a of the readable bytes */
	struct seg seg[SEG_MAX];
};

struct runner {
	struct check_case *c;
	const struct inproc_maker *mk;
	struct choice_source cs;
	struct event_log log;
	struct oracle oracle;
	struct sim_env env;
	struct simt_transport t;
	struct wl_driver drv;
	struct ringside_dm_host host;
	const struct ringside_dm_ops *ops;
	void *ctx;
	bool lied_none;
	bool stop; /* a violation ended the case */
	u32 irq_raised;
	bool config_raised;
	u64 clamped[SIMT_MAX_QUEUES];
	bool fault_seen[SIMT_MAX_QUEUES];
	struct shadow *shadow[SIMT_MAX_QUEUES];
	unsigned int shadow_num[SIMT_MAX_QUEUES];
	char internal[CHECK_TEXT_BYTES];
};

static int idx_of(const char *id)
{
	return check_index(id);
}

static void violation(struct runner *r, const char *id, unsigned int q,
		      u64 observed, u64 expected, const char *text)
{
	check_violation(r->c, idx_of(id), r->env.step, q, observed, expected,
			"%s", text);
	r->stop = true;
}

static void exercised(struct runner *r, const char *id)
{
	r->c->exercised[idx_of(id)] = true;
}

/* --- the host side of the device-model interface ------------------------ */

static int host_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	void *p = len ? shim_guest_ptr(gpa, len) : buf;

	(void)ctx;
	if (!p)
		return -1;
	if (len)
		memcpy(buf, p, len);
	return 0;
}

static int host_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
	void *p = len ? shim_guest_ptr(gpa, len) : NULL;

	(void)ctx;
	if (len && !p)
		return -1;
	if (len)
		memcpy(p, buf, len);
	return 0;
}

static void host_interrupt(void *ctx, unsigned int queue)
{
	struct runner *r = ctx;

	if (queue < SIMT_MAX_QUEUES)
		r->irq_raised |= 1u << queue;
}

static void host_config_changed(void *ctx)
{
	struct runner *r = ctx;

	r->config_raised = true;
}

static uint64_t host_draw(void *ctx, uint64_t bound)
{
	struct runner *r = ctx;

	return choice_below(&r->cs, bound ? bound : 1);
}

/* --- shadows of the chains made available ------------------------------- */

static u8 poison_byte(u32 offset)
{
	return (u8)(0xa5u ^ (offset * 0x3bu) ^ (offset >> 8));
}

static bool add_seg(struct shadow *s, const struct vring_desc *d)
{
	if (s->nseg == SEG_MAX)
		return false;
	s->seg[s->nseg].phys = d->addr;
	s->seg[s->nseg].len = d->len;
	s->seg[s->nseg].writable = d->flags & VRING_DESC_F_WRITE;
	if (d->len && !shim_guest_range_ok(d->addr, d->len))
		return false;
	if (d->flags & VRING_DESC_F_WRITE)
		s->writable += d->len;
	else
		s->readable += d->len;
	s->nseg++;
	return true;
}

/* Our own ring's chain at head (direct or one indirect table). */
static bool walk(struct shadow *s, const struct vring *vr, u16 head)
{
	const struct vring_desc *table = vr->desc;
	unsigned int n = vr->num, i = head, count;

	memset(s, 0, sizeof(*s));
	if (head >= vr->num)
		return false;
	if (vr->desc[head].flags & VRING_DESC_F_INDIRECT) {
		n = vr->desc[head].len / sizeof(struct vring_desc);
		table = shim_guest_ptr(vr->desc[head].addr, vr->desc[head].len);
		if (!table || n == 0)
			return false;
		i = 0;
	}
	for (count = 0; count < n; count++) {
		if (!add_seg(s, &table[i]))
			return false;
		if (!(table[i].flags & VRING_DESC_F_NEXT))
			return true;
		i = table[i].next;
		if (i >= n)
			return false;
	}
	return false;
}

static u32 fnv(u32 h, const u8 *p, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static u32 readable_sum(const struct shadow *s)
{
	u32 h = 2166136261u;
	unsigned int i;

	for (i = 0; i < s->nseg; i++)
		if (!s->seg[i].writable && s->seg[i].len)
			h = fnv(h,
				shim_guest_ptr(s->seg[i].phys, s->seg[i].len),
				s->seg[i].len);
	return h;
}

/* Byte at offset off of the writable part. */
static u8 *writable_at(const struct shadow *s, u32 off)
{
	unsigned int i;

	for (i = 0; i < s->nseg; i++) {
		if (!s->seg[i].writable)
			continue;
		if (off < s->seg[i].len)
			return shim_guest_ptr(s->seg[i].phys + off, 1);
		off -= s->seg[i].len;
	}
	return NULL;
}

static void poison(const struct shadow *s)
{
	u32 off;

	for (off = 0; off < s->writable; off++)
		*writable_at(s, off) = poison_byte(off);
}

static bool ensure_shadows(struct runner *r, unsigned int q, unsigned int num)
{
	if (r->shadow[q] && r->shadow_num[q] == num)
		return true;
	free(r->shadow[q]);
	r->shadow[q] = calloc(num, sizeof(struct shadow));
	r->shadow_num[q] = r->shadow[q] ? num : 0;
	return r->shadow[q] != NULL;
}

static void on_add(struct runner *r, unsigned int q, s64 result)
{
	struct vring *vr = simt_vring(&r->t, q);
	struct shadow *s;
	u16 head;

	if (result < 0 || !vr || !ensure_shadows(r, q, vr->num))
		return;
	head = vr->avail->ring[(u16)(vr->avail->idx - 1) % vr->num];
	if (head >= vr->num)
		return;
	s = &r->shadow[q][head];
	if (!walk(s, vr, head)) {
		s->live = false;
		return;
	}
	s->live = true;
	s->sum = readable_sum(s);
	poison(s);
}

/* The aligned windows of [0, len) still all poison. */
static void check_written(struct runner *r, unsigned int q,
			  const struct shadow *s, u32 len)
{
	u32 n = len < s->writable ? len : s->writable, k, i;

	if (n < POISON_WINDOW)
		return;
	exercised(r, "ring.used-len-written");
	for (k = 0; k + POISON_WINDOW <= n; k += POISON_WINDOW) {
		for (i = 0; i < POISON_WINDOW; i++)
			if (*writable_at(s, k + i) != poison_byte(k + i))
				break;
		if (i == POISON_WINDOW) {
			char text[CHECK_TEXT_BYTES];

			snprintf(text, sizeof(text),
				 "used len %u, but writable bytes %u..%u still "
				 "hold the poison written before exposure",
				 len, k, k + POISON_WINDOW - 1);
			violation(r, "ring.used-len-written", q, len, k, text);
			return;
		}
	}
}

static void on_get_buf(struct runner *r, unsigned int q)
{
	struct vring *vr = simt_vring(&r->t, q);
	struct vring_stats st;
	struct shadow *s;
	u16 slot;
	u32 id, len;
	char text[CHECK_TEXT_BYTES];

	if (!vr || !r->shadow[q])
		return;
	virtqueue_get_stats(r->t.queues[q].vq, &st);
	slot = (u16)((u16)(st.used - 1) % vr->num);
	id = vr->used->ring[slot].id;
	len = vr->used->ring[slot].len;
	if (id >= r->shadow_num[q] || !r->shadow[q][id].live)
		return;
	s = &r->shadow[q][id];
	s->live = false;
	if (s->readable) {
		exercised(r, "ring.readable-untouched");
		if (readable_sum(s) != s->sum) {
			snprintf(
				text, sizeof(text),
				"chain %u: its %u readable bytes changed while "
				"the device held them",
				id, s->readable);
			violation(r, "ring.readable-untouched", q,
				  readable_sum(s), s->sum, text);
			return;
		}
	}
	if (r->c->device_id == VIRTIO_ID_RNG && s->writable) {
		exercised(r, "rng.bytes-delivered");
		if (len == 0) {
			snprintf(text, sizeof(text),
				 "chain %u of %u writable bytes came back with "
				 "len 0",
				 id, s->writable);
			violation(r, "rng.bytes-delivered", q, 0, 1, text);
			return;
		}
	}
	/* A len above the writable bytes is ring.used-len-bounded's (the
	 * ring clamped it); what it claims to have written is moot. */
	if (len <= s->writable)
		check_written(r, q, s, len);
}

static void observe(void *ctx, unsigned int q, enum sim_call call, u64 result)
{
	struct runner *r = ctx;

	if (r->stop || q >= r->t.nvqs)
		return;
	if (call == SIM_CALL_ADD)
		on_add(r, q, (s64)result);
	else if (call == SIM_CALL_GET_BUF && result)
		on_get_buf(r, q);
}

/* --- checks after every step and every device turn ------------------------ */

static const char *fault_entry(enum vring_fault f)
{
	switch (f) {
	case VRING_FAULT_USED_IDX_AHEAD:
	case VRING_FAULT_USED_IDX_BACKWARDS:
		return "ring.used-idx-forward";
	case VRING_FAULT_USED_ID_RANGE:
	case VRING_FAULT_USED_ID_NOT_HEAD:
	case VRING_FAULT_USED_ID_DUPLICATE:
		return "ring.used-id-outstanding";
	case VRING_FAULT_DESC_REWRITTEN:
		return "ring.desc-untouched";
	case VRING_FAULT_AVAIL_REWRITTEN:
		return "ring.avail-untouched";
	default:
		return NULL;
	}
}

static void check_queues(struct runner *r)
{
	unsigned int q;

	for (q = 0; q < r->t.nvqs && !r->stop; q++) {
		struct virtqueue *vq = r->t.queues[q].vq;
		const struct vring_fault_info *fi;
		struct vring_stats st;
		const char *id;
		char text[CHECK_TEXT_BYTES];

		virtqueue_get_stats(vq, &st);
		if (st.used) {
			exercised(r, "ring.used-id-outstanding");
			exercised(r, "ring.used-idx-forward");
			exercised(r, "ring.used-len-bounded");
			exercised(r, "ring.desc-untouched");
			exercised(r, "ring.avail-untouched");
		}
		if (st.len_clamped > r->clamped[q]) {
			snprintf(
				text, sizeof(text),
				"chain %u: used len %u, but it has %u writable "
				"bytes",
				st.last_clamp_id, st.last_clamp_len,
				st.last_clamp_limit);
			violation(r, "ring.used-len-bounded", q,
				  st.last_clamp_len, st.last_clamp_limit, text);
			return;
		}
		if (!virtqueue_is_broken(vq) || r->fault_seen[q])
			continue;
		r->fault_seen[q] = true;
		fi = virtqueue_fault(vq);
		id = fault_entry(fi->fault);
		if (!id)
			continue;
		snprintf(text, sizeof(text),
			 "the ring reported %s: value %u, expected %u (last "
			 "used idx %u, %u outstanding)",
			 vring_fault_name(fi->fault), fi->value, fi->expected,
			 fi->last_used_idx, fi->outstanding);
		violation(r, id, q, fi->value, fi->expected, text);
	}
}

static bool negotiated(const struct runner *r, unsigned int bit)
{
	return (r->t.driver_features >> bit) & 1;
}

static void check_turn(struct runner *r, const u16 *before, u32 raised)
{
	unsigned int q;
	char text[CHECK_TEXT_BYTES];

	for (q = 0; q < r->t.nvqs && !r->stop; q++) {
		struct vring *vr = simt_vring(&r->t, q);
		u16 flags = vr->used->flags, now = vr->used->idx;
		u16 allowed = negotiated(r, VIRTIO_RING_F_EVENT_IDX)
				      ? 0
				      : VRING_USED_F_NO_NOTIFY;
		bool owed;

		exercised(r, "ring.used-flags");
		if (flags & ~allowed) {
			snprintf(text, sizeof(text), "used flags %#x%s", flags,
				 allowed ? "" : " under EVENT_IDX");
			violation(r, "ring.used-flags", q, flags, allowed,
				  text);
			return;
		}
		if (now == before[q])
			continue;
		exercised(r, "ring.interrupt-required");
		if (negotiated(r, VIRTIO_RING_F_EVENT_IDX))
			owed = vring_need_event(vring_used_event(vr), now,
						before[q]);
		else
			owed = !(vr->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
		if (owed && !(raised & (1u << q))) {
			snprintf(text, sizeof(text),
				 "used idx moved %u -> %u (%s), and no "
				 "interrupt was raised",
				 before[q], now,
				 negotiated(r, VIRTIO_RING_F_EVENT_IDX)
					 ? "used_event crossed"
					 : "NO_INTERRUPT clear");
			violation(r, "ring.interrupt-required", q, 0, 1, text);
			return;
		}
	}
}

/* --- the scheduler ---------------------------------------------------------- */

static void default_turn(struct runner *r)
{
	unsigned int q;

	if (!(r->t.status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	for (q = 0; q < r->t.nvqs; q++)
		simt_take_notify(&r->t, q);
	if (r->ops->step)
		r->ops->step(r->ctx);
}

static void device_turn(struct runner *r)
{
	u16 before[SIMT_MAX_QUEUES];
	unsigned int q;
	u32 raised;

	for (q = 0; q < r->t.nvqs; q++)
		before[q] = simt_vring(&r->t, q)->used->idx;
	if (r->mk->turn)
		r->mk->turn(r->ctx);
	else
		default_turn(r);
	if (r->mk->take_irqs)
		r->irq_raised |= r->mk->take_irqs(r->ctx);
	raised = r->irq_raised;
	check_turn(r, before, raised);
}

static void deliver(struct runner *r)
{
	unsigned int q;
	u32 raised = r->irq_raised;

	r->irq_raised = 0;
	for (q = 0; q < r->t.nvqs; q++)
		if (raised & (1u << q))
			simt_raise_queue_interrupt(&r->t, q);
	if (r->config_raised) {
		r->config_raised = false;
		simt_config_change(&r->t);
		simt_raise_config_interrupt(&r->t);
	}
}

static void step(struct runner *r)
{
	unsigned int n = 1 + (unsigned int)choice_below(&r->cs, 3), i;

	for (i = 0; i < n && !r->oracle.failed; i++)
		wl_step(&r->drv);
	check_queues(r);
	if (r->stop || r->oracle.failed)
		return;
	device_turn(r);
	if (r->stop)
		return;
	if (choice_below(&r->cs, 4) != 0)
		deliver(r);
}

/* --- identity, reset and feature checks ------------------------------------- */

static bool pow2(unsigned int n)
{
	return n && !(n & (n - 1));
}

static void check_identity(struct runner *r)
{
	const struct ringside_dm_ops *o = r->ops;
	unsigned int q, size;
	char text[CHECK_TEXT_BYTES];

	exercised(r, "dev.queue-size");
	exercised(r, "dev.absent-queue-zero");
	exercised(r, "dev.features-reserved");
	for (q = 0; q < o->num_queues && o->queue_size; q++) {
		size = o->queue_size(r->ctx, q);
		if (size && (!pow2(size) || size > 32768)) {
			snprintf(text, sizeof(text), "queue %u offers size %u",
				 q, size);
			violation(r, "dev.queue-size", q, size, 0, text);
			return;
		}
	}
	size = o->queue_size ? o->queue_size(r->ctx, o->num_queues) : 0;
	if (size) {
		snprintf(text, sizeof(text),
			 "queue %u (after the last of %u) offers size %u",
			 o->num_queues, o->num_queues, size);
		violation(r, "dev.absent-queue-zero", o->num_queues, size, 0,
			  text);
		return;
	}
	if (o->features & RESERVED_FEATURES) {
		snprintf(text, sizeof(text),
			 "offered features %#llx include reserved bits %#llx",
			 (unsigned long long)o->features,
			 (unsigned long long)(o->features & RESERVED_FEATURES));
		violation(r, "dev.features-reserved", 0,
			  o->features & RESERVED_FEATURES, 0, text);
	}
}

static void check_reset(struct runner *r)
{
	u8 status;
	char text[CHECK_TEXT_BYTES];

	r->t.vdev.config->reset(&r->t.vdev);
	status = r->t.vdev.config->get_status(&r->t.vdev);
	exercised(r, "dev.reset-status-zero");
	if (status != 0) {
		snprintf(text, sizeof(text), "status reads %#x after a reset",
			 status);
		violation(r, "dev.reset-status-zero", 0, status, 0, text);
	}
}

/* 1.x: FEATURES_OK with a device bit the device did not offer. */
static void check_refusal(struct runner *r)
{
	u64 offered = r->ops->features, extra;
	unsigned int bit;
	char text[CHECK_TEXT_BYTES];

	if (r->c->mode != CHECK_MODERN || !r->ops->accept_features)
		return;
	for (bit = 0; bit < 24 && (offered >> bit) & 1; bit++)
		;
	if (bit == 24)
		return;
	extra = offered | (1ULL << VIRTIO_F_VERSION_1) | (1ULL << bit);
	exercised(r, "dev.features-ok-refused");
	if (r->ops->accept_features(r->ctx, extra)) {
		snprintf(text, sizeof(text),
			 "features %#llx (bit %u not offered) were accepted",
			 (unsigned long long)extra, bit);
		violation(r, "dev.features-ok-refused", 0, extra, offered,
			  text);
	}
	r->t.vdev.config->reset(&r->t.vdev);
}

/* --- one case ----------------------------------------------------------------- */

static const struct wl_class *workload_of(u32 device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:
		return &wl_net_class;
	case VIRTIO_ID_BLOCK:
		return &wl_block_class;
	case VIRTIO_ID_CONSOLE:
		return &wl_console_class;
	case VIRTIO_ID_RNG:
		return &wl_entropy_class;
	default:
		return NULL;
	}
}

static void run_report(void *ctx, enum shim_report_kind kind, const char *file,
		       int line, const char *what)
{
	struct runner *r = ctx;

	oracle_fail(&r->oracle, "warn", "%s at %s:%d: %s",
		    kind == SHIM_REPORT_BUG ? "BUG" : "WARN", file, line, what);
}

static void run_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

static int arena(void)
{
	struct shim_arena_stats st;

	shim_arena_get_stats(&st);
	if (st.size == SIM_ARENA_BYTES && st.phys_base == SIM_PHYS_BASE &&
	    !st.identity) {
		shim_arena_reset();
		return 0;
	}
	return shim_arena_create(SIM_ARENA_BYTES, SIM_PHYS_BASE);
}

static const char *data_entry(u32 device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK:
		return "blk.data-readback";
	case VIRTIO_ID_CONSOLE:
		return "console.data-intact";
	case VIRTIO_ID_NET:
		return "net.frames-intact";
	default:
		return NULL;
	}
}

/* An oracle of the workload fired: the device's data, or our own bug. */
static int oracle_outcome(struct runner *r)
{
	const char *id = data_entry(r->c->device_id);

	if (!r->oracle.failed)
		return 0;
	if (strcmp(r->oracle.name, "data-integrity") == 0 && id) {
		check_violation(r->c, idx_of(id), r->oracle.fail_step, 0, 0, 0,
				"%s", r->oracle.message);
		return 0;
	}
	snprintf(r->c->setup_error, sizeof(r->c->setup_error),
		 "internal: oracle %.40s fired: %.180s", r->oracle.name,
		 r->oracle.message);
	return -EPROTO;
}

static void run_steps(struct runner *r, u64 steps)
{
	for (r->env.step = 1; r->env.step <= steps; r->env.step++) {
		r->oracle.step = r->env.step;
		step(r);
		if (r->stop || r->oracle.failed)
			break;
	}
	if (!r->stop && !r->oracle.failed && wl_bound(&r->drv)) {
		wl_drain(&r->drv);
		check_queues(r);
	}
	if (r->drv.data_checked && data_entry(r->c->device_id))
		exercised(r, data_entry(r->c->device_id));
}

static int setup(struct runner *r, char *err, size_t errlen)
{
	const struct wl_class *wl;
	int ret;

	r->host.abi_version = RINGSIDE_DM_ABI_VERSION;
	r->host.ctx = r;
	r->host.read = host_read;
	r->host.write = host_write;
	r->host.interrupt = host_interrupt;
	r->host.config_changed = host_config_changed;
	r->host.draw = host_draw;
	ret = r->mk->create(r->mk->maker_ctx, &r->env, &r->t, &r->host, &r->ops,
			    &r->ctx, err, errlen);
	if (ret)
		return ret;
	r->c->device_id = r->ops->device_id;
	wl = workload_of(r->ops->device_id);
	if (!wl) {
		snprintf(err, errlen,
			 "device id %u: no workload drives this device type "
			 "(net 1, block 2, console 3, entropy 4)",
			 r->ops->device_id);
		return -EINVAL;
	}
	if (simt_init(&r->t, r->ops, r->ctx,
		      r->c->mode == CHECK_MODERN ? SIMT_MODERN : SIMT_LEGACY)) {
		snprintf(err, errlen, "cannot set up the transport");
		return -EINVAL;
	}
	if (wl_init(&r->drv, wl, &r->env)) {
		snprintf(err, errlen, "cannot set up the %s workload",
			 wl->name);
		return -ENOMEM;
	}
	r->drv.device_lied = r->mk->lied ? r->mk->lied(r->ctx) : &r->lied_none;
	return 0;
}

static void teardown(struct runner *r, bool drv_ready)
{
	unsigned int q;

	if (drv_ready) {
		wl_unregister(&r->drv);
		if (!r->stop && !r->oracle.failed) {
			check_reset(r);
			if (!r->stop)
				check_refusal(r);
		}
	}
	simt_destroy(&r->t);
	if (drv_ready)
		wl_fini(&r->drv);
	if (r->ops && r->mk->destroy)
		r->mk->destroy(r->mk->maker_ctx, r->ctx);
	else if (r->ops && r->ops->destroy)
		r->ops->destroy(r->ctx);
	for (q = 0; q < SIMT_MAX_QUEUES; q++)
		free(r->shadow[q]);
}

int inproc_run_case(const struct inproc_maker *mk, u64 steps,
		    struct check_case *c)
{
	static struct runner runner;
	struct runner *r = &runner;
	bool drv_ready = false;
	int ret;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->mk = mk;
	choice_init_seed(&r->cs, c->seed ^ ((u64)c->mode << 56));
	choice_set_log_limit(&r->cs, 0);
	event_log_init(&r->log, 1);
	oracle_init(&r->oracle, 1ULL << 62);
	r->env.cs = &r->cs;
	r->env.log = &r->log;
	r->env.oracle = &r->oracle;
	r->env.observe = observe;
	r->env.observe_ctx = r;
	if (arena() != 0) {
		snprintf(c->setup_error, sizeof(c->setup_error),
			 "cannot create the guest-memory arena");
		ret = -ENOMEM;
		goto out;
	}
	shim_set_report_hook(run_report, r);
	shim_set_log_hook(run_log, r);
	ret = setup(r, c->setup_error, sizeof(c->setup_error));
	if (ret == 0) {
		drv_ready = true;
		check_identity(r);
		if (!r->stop && wl_register(&r->drv) == 0) {
			if (register_virtio_device(&r->t.vdev) == 0) {
				c->features = r->t.driver_features;
				run_steps(r,
					  steps ? steps : INPROC_STEPS_DEFAULT);
			}
		}
	}
	teardown(r, drv_ready);
	if (ret == 0)
		ret = oracle_outcome(r);
	shim_set_report_hook(NULL, NULL);
	shim_set_log_hook(NULL, NULL);
out:
	event_log_free(&r->log);
	choice_free(&r->cs);
	return ret;
}
