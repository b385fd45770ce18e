// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ring.c - round trips through a 256-entry virtqueue, and how far
 * they are from the bare memory traffic a round trip needs.
 *
 * One round trip is virtqueue_add_buf + virtqueue_kick + the device
 * completing the chain + virtqueue_get_buf. The device is honest and runs
 * inline, in the queue's notify callback: through its own struct vring laid
 * over the same pages it takes the available chains (following indirect
 * tables), and writes the used entries and used.idx, as a device would. It
 * reads descriptors, never buffer contents.
 *
 * The "bare loop" is the floor: the ring memory traffic of one 1-entry
 * round trip with no API at all (the driver's descriptor, avail entry and
 * avail idx, the full barrier the kick needs, the device's reads and used
 * writes, the driver's reads of used idx and the used entry), with the same
 * READ_ONCE/WRITE_ONCE accesses, on a ring of the same layout from the same
 * arena. Its pages are its own: writing the queue's avail idx behind its
 * back would (rightly) break the queue.
 *
 * Cases are timed in interleaved repetitions (bare, 1 sg, 2 sg, ... then
 * again) with CLOCK_MONOTONIC; each case reports the median and the
 * minimum over the repetitions. Every round trip is checked: the token
 * returned is the one added and the len is the writable bytes.
 *
 * Single-threaded. Exit status 0 when every check held (whether or not the
 * speed target was met: the numbers are the output), 1 when a check
 * failed, 2 for a usage error.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_ring.h>
#include <ringside/ring_diag.h>
#include <ringside/shim.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_NUM 256u
#define RING_ALIGN 4096u
#define ARENA_BYTES ((size_t)64 << 20)
#define ARENA_PHYS_BASE 0x100000u
#define BUF_BYTES 512u /* per scatterlist entry */
#define MAX_SG 4u
#define TOKENS 256u /* distinct tokens, cycled */
#define MAX_REPS 15u
#define TARGET_RATIO 2.5

#if defined(__x86_64__) || defined(__i386__)
#define BARRIER_INSN "lock addl on x86"
#else
#define BARRIER_INSN "__atomic_thread_fence(SEQ_CST)"
#endif

/* --- failure ------------------------------------------------------------ */

static __printf(1, 2) __noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench_ring: FAILED: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

/* --- guest memory, as the device sees it ------------------------------- */

static char *guest_base;
static u64 guest_phys_base;
static u64 guest_size;

/* The device's translation of a guest-physical range (bounds-checked). */
static inline void *guest_ptr(u64 phys, u64 len)
{
	u64 off = phys - guest_phys_base;

	if (unlikely(phys < guest_phys_base || off > guest_size ||
		     len > guest_size - off))
		die("device: range 0x%llx+%llu outside guest memory",
		    (unsigned long long)phys, (unsigned long long)len);
	return guest_base + off;
}

/* --- the inline device ------------------------------------------------- */

struct bench_dev {
	struct virtio_device vdev; /* the queue finds us through vq->vdev */
	struct vring vr;	   /* the device's view of the ring */
	void *pages;
	u16 last_avail; /* the next avail entry the device takes */
	u16 used_idx;	/* the used.idx it published */
	u64 notifies;
	u64 addr_sink; /* folds every descriptor address read */
};

/* Walks one chain (following an indirect table) and returns the bytes
 * the device may write: the used len an honest device reports after
 * filling every writable entry. */
static u32 dev_walk_chain(struct bench_dev *d, u16 head)
{
	const struct vring_desc *table = d->vr.desc;
	unsigned int max = d->vr.num, n;
	u32 writable = 0;
	u16 i = head, flags;

	flags = READ_ONCE(table[i].flags);
	if (flags & VRING_DESC_F_INDIRECT) {
		u64 addr = READ_ONCE(table[i].addr);
		u32 len = READ_ONCE(table[i].len);

		if (unlikely(len == 0 || len % sizeof(struct vring_desc)))
			die("device: indirect table of %u bytes", len);
		table = guest_ptr(addr, len);
		max = len / sizeof(struct vring_desc);
		i = 0;
		flags = READ_ONCE(table[0].flags);
	}
	for (n = 0;; n++) {
		u64 addr = READ_ONCE(table[i].addr);
		u32 len = READ_ONCE(table[i].len);
		u16 next = READ_ONCE(table[i].next);

		d->addr_sink ^= addr;
		if (flags & VRING_DESC_F_WRITE)
			writable += len;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (unlikely(n + 1 >= max || next >= max))
			die("device: chain at head %u runs out of its table",
			    head);
		i = next;
		flags = READ_ONCE(table[i].flags);
	}
	return writable;
}

/* Takes every available chain and returns each, in order. */
static void dev_process(struct bench_dev *d)
{
	u16 mask = (u16)(d->vr.num - 1);
	u16 avail = READ_ONCE(d->vr.avail->idx);

	/* The entries and descriptors after the idx that exposes them. */
	virtio_rmb(true);
	while (d->last_avail != avail) {
		u16 head = READ_ONCE(d->vr.avail->ring[d->last_avail & mask]);
		struct vring_used_elem *e;
		u32 len;

		if (unlikely(head >= d->vr.num))
			die("device: avail head %u out of range", head);
		len = dev_walk_chain(d, head);
		e = &d->vr.used->ring[d->used_idx & mask];
		WRITE_ONCE(e->id, head);
		WRITE_ONCE(e->len, len);
		/* The entry before the idx that publishes it. */
		virtio_wmb(true);
		d->used_idx++;
		WRITE_ONCE(d->vr.used->idx, d->used_idx);
		d->last_avail++;
	}
}

static void bench_notify(struct virtqueue *vq)
{
	struct bench_dev *d = container_of(vq->vdev, struct bench_dev, vdev);

	d->notifies++;
	dev_process(d);
}

/* --- cases ------------------------------------------------------------- */

struct bench_case {
	const char *name;
	bool bare;	  /* the no-API floor */
	bool indirect;	  /* INDIRECT_DESC negotiated */
	unsigned int nsg; /* scatterlist entries per buffer */
	unsigned int out; /* of which readable */
	unsigned int in;  /* and writable */
	u32 writable;	  /* the used len expected */
	int free_after;	  /* add_buf's expected return */
	struct bench_dev dev;
	struct virtqueue *vq;
	struct scatterlist sg[MAX_SG];
	void *bufs[MAX_SG];
	char tokens[TOKENS];
	u64 round_trips; /* every round trip run, warm-up included */
	u64 iters;	 /* per timed repetition */
	double ns[MAX_REPS];
	double median_ns;
	double min_ns;
};

static void case_setup(struct bench_case *c)
{
	size_t ring_bytes = vring_size(RING_NUM, RING_ALIGN);
	unsigned int i;

	memset(&c->dev, 0, sizeof(c->dev));
	INIT_LIST_HEAD(&c->dev.vdev.vqs);
	if (c->indirect)
		set_bit(VIRTIO_RING_F_INDIRECT_DESC, c->dev.vdev.features);
	c->dev.pages = alloc_pages_exact(ring_bytes, GFP_KERNEL | __GFP_ZERO);
	if (!c->dev.pages)
		die("%s: alloc_pages_exact(%zu) failed", c->name, ring_bytes);
	vring_init(&c->dev.vr, RING_NUM, c->dev.pages, RING_ALIGN);

	c->out = c->nsg / 2;
	c->in = c->nsg - c->out;
	c->writable = c->in * BUF_BYTES;
	c->free_after = (int)RING_NUM - (c->indirect ? 1 : (int)c->nsg);
	sg_init_table(c->sg, c->nsg);
	for (i = 0; i < c->nsg; i++) {
		c->bufs[i] = kmalloc(BUF_BYTES, GFP_KERNEL);
		if (!c->bufs[i])
			die("%s: kmalloc(%u) failed", c->name, BUF_BYTES);
		sg_set_buf(&c->sg[i], c->bufs[i], BUF_BYTES);
	}
	if (c->bare)
		return;
	c->vq = vring_new_virtqueue(0, RING_NUM, RING_ALIGN, &c->dev.vdev, true,
				    c->dev.pages, bench_notify, NULL, "bench");
	if (!c->vq)
		die("%s: vring_new_virtqueue failed", c->name);
}

/*
 * The floor: what one 1 sg round trip must do to ring memory, and nothing
 * else. Descriptor 0 is reused each time, as the queue's LIFO free list
 * reuses the head it just got back; the avail and used slots advance.
 */
static void bare_loop(struct bench_case *c, u64 iters)
{
	struct bench_dev *d = &c->dev;
	struct vring *vr = &d->vr;
	u16 mask = (u16)(vr->num - 1);
	u64 buf_phys = virt_to_phys(c->bufs[0]);
	/* Both sides' indices in locals: the device's kept in d would have
	 * to be reloaded after every u16 store to the ring (they may alias). */
	u16 avail_idx = d->last_avail, dev_last_avail = d->last_avail;
	u16 dev_used_idx = d->used_idx, last_used = d->used_idx;
	u64 addr_sink = 0;
	const u16 head = 0;
	u64 i;

	for (i = 0; i < iters; i++) {
		struct vring_desc *desc = &vr->desc[head];
		struct vring_used_elem *e;
		u16 idx, h, next, flags;
		u32 len, id, used_len;
		u64 addr;

		/* Driver: descriptor, avail entry, avail idx; the kick's
		 * full barrier. */
		WRITE_ONCE(desc->addr, buf_phys);
		WRITE_ONCE(desc->len, BUF_BYTES);
		WRITE_ONCE(desc->flags, VRING_DESC_F_WRITE);
		WRITE_ONCE(desc->next, (u16)(head + 1));
		WRITE_ONCE(vr->avail->ring[avail_idx & mask], head);
		virtio_wmb(true);
		avail_idx++;
		WRITE_ONCE(vr->avail->idx, avail_idx);
		virtio_mb(true);

		/* Device: avail idx, avail entry, descriptor; used entry and
		 * used idx. */
		idx = READ_ONCE(vr->avail->idx);
		if (unlikely(idx == dev_last_avail))
			die("bare loop: device saw no new avail entry");
		virtio_rmb(true);
		h = READ_ONCE(vr->avail->ring[dev_last_avail & mask]);
		if (unlikely(h >= vr->num))
			die("bare loop: avail head %u out of range", h);
		dev_last_avail++;
		addr = READ_ONCE(vr->desc[h].addr);
		len = READ_ONCE(vr->desc[h].len);
		flags = READ_ONCE(vr->desc[h].flags);
		next = READ_ONCE(vr->desc[h].next);
		(void)next;
		addr_sink ^= addr;
		e = &vr->used->ring[dev_used_idx & mask];
		WRITE_ONCE(e->id, h);
		WRITE_ONCE(e->len, (flags & VRING_DESC_F_WRITE) ? len : 0);
		virtio_wmb(true);
		dev_used_idx++;
		WRITE_ONCE(vr->used->idx, dev_used_idx);

		/* Driver: used idx, then the used entry. */
		idx = READ_ONCE(vr->used->idx);
		if (unlikely(idx == last_used))
			die("bare loop: driver saw no new used entry");
		virtio_rmb(true);
		e = &vr->used->ring[last_used & mask];
		id = READ_ONCE(e->id);
		used_len = READ_ONCE(e->len);
		last_used++;
		if (unlikely(id != head || used_len != BUF_BYTES))
			die("bare loop: used {%u, %u}, expected {%u, %u}", id,
			    used_len, head, BUF_BYTES);
	}
	d->last_avail = dev_last_avail;
	d->used_idx = dev_used_idx;
	d->addr_sink ^= addr_sink;
	c->round_trips += iters;
}

/* The API round trip, checked each time. */
static void api_loop(struct bench_case *c, u64 iters)
{
	struct virtqueue *vq = c->vq;
	u64 i;

	for (i = 0; i < iters; i++) {
		void *token = &c->tokens[i & (TOKENS - 1)];
		unsigned int len = 0;
		void *got;
		int r;

		r = virtqueue_add_buf(vq, c->sg, c->out, c->in, token,
				      GFP_ATOMIC);
		if (unlikely(r != c->free_after))
			die("%s: virtqueue_add_buf returned %d, expected %d",
			    c->name, r, c->free_after);
		virtqueue_kick(vq);
		got = virtqueue_get_buf(vq, &len);
		if (unlikely(got != token || len != c->writable))
			die("%s: virtqueue_get_buf returned %p len %u, "
			    "expected %p len %u",
			    c->name, got, len, token, c->writable);
	}
	c->round_trips += iters;
}

static double now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		die("clock_gettime(CLOCK_MONOTONIC) failed");
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs iters round trips; returns the seconds they took. */
static double case_run(struct bench_case *c, u64 iters)
{
	double t0 = now_s();

	if (c->bare)
		bare_loop(c, iters);
	else
		api_loop(c, iters);
	return now_s() - t0;
}

/* Warms the case up for about warm_s seconds and sizes its repetitions
 * to about rep_s seconds each. */
static void case_calibrate(struct bench_case *c, double warm_s, double rep_s)
{
	u64 iters = 1000, total = 0;
	double spent = 0, t;

	while (spent < warm_s) {
		t = case_run(c, iters);
		spent += t;
		total += iters;
		if (t < warm_s / 4)
			iters *= 2;
	}
	c->iters = (u64)((double)total / spent * rep_s);
	if (c->iters < 1000)
		c->iters = 1000;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void case_summarise(struct bench_case *c, unsigned int reps)
{
	double sorted[MAX_REPS];

	memcpy(sorted, c->ns, reps * sizeof(sorted[0]));
	qsort(sorted, reps, sizeof(sorted[0]), cmp_double);
	c->min_ns = sorted[0];
	c->median_ns = reps % 2 ? sorted[reps / 2]
				: (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
}

/* After the run: the queue's own books agree with what was done. */
static void case_verify(struct bench_case *c)
{
	struct vring_stats st;
	const char *problem;

	if (c->bare)
		return;
	virtqueue_get_stats(c->vq, &st);
	problem = virtqueue_check_invariants(c->vq);
	if (problem)
		die("%s: invariant broken: %s", c->name, problem);
	if (virtqueue_is_broken(c->vq))
		die("%s: queue broken: %s", c->name,
		    vring_fault_name(virtqueue_fault(c->vq)->fault));
	if (st.added != c->round_trips || st.used != c->round_trips ||
	    st.kicks != c->round_trips || c->dev.notifies != c->round_trips)
		die("%s: %llu round trips but added %llu used %llu kicks %llu "
		    "notifies %llu",
		    c->name, (unsigned long long)c->round_trips,
		    (unsigned long long)st.added, (unsigned long long)st.used,
		    (unsigned long long)st.kicks,
		    (unsigned long long)c->dev.notifies);
	if (st.indirect != (c->indirect ? c->round_trips : 0) ||
	    st.indirect_fallback || st.len_clamped || st.enospc)
		die("%s: indirect %llu fallback %llu clamped %llu enospc %llu",
		    c->name, (unsigned long long)st.indirect,
		    (unsigned long long)st.indirect_fallback,
		    (unsigned long long)st.len_clamped,
		    (unsigned long long)st.enospc);
	if (c->vq->num_free != RING_NUM || virtqueue_outstanding(c->vq))
		die("%s: num_free %u outstanding %u after the run", c->name,
		    c->vq->num_free, virtqueue_outstanding(c->vq));
}

static void case_teardown(struct bench_case *c)
{
	unsigned int i;

	if (c->vq)
		vring_del_virtqueue(c->vq);
	c->vq = NULL;
	free_pages_exact(c->dev.pages, vring_size(RING_NUM, RING_ALIGN));
	for (i = 0; i < c->nsg; i++)
		kfree(c->bufs[i]);
}

/* --- output ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_ring [--quick] [--json] [--help]\n"
		"\n"
		"Round trips through a %u-entry virtqueue (virtqueue_add_buf "
		"+\n"
		"virtqueue_kick + an inline device completing the chain +\n"
		"virtqueue_get_buf), 1, 2 and 4 scatterlist entries, direct\n"
		"and indirect, against a bare loop doing only the ring memory\n"
		"traffic of one round trip. Prints round trips/s, ns per\n"
		"round trip (median and min of the repetitions) and the\n"
		"ratio to the bare loop, then whether 1 sg direct is within\n"
		"%.1fx of the bare loop.\n"
		"\n"
		"  --quick  short repetitions (a smoke test; noisy numbers)\n"
		"  --json   machine-readable output on stdout\n"
		"  --help   this text\n"
		"\n"
		"Exit status: 0 when every check held (even if the target is\n"
		"missed), 1 when a check failed, 2 for a usage error.\n",
		RING_NUM, TARGET_RATIO);
}

static void print_table(struct bench_case *cases, unsigned int ncases,
			unsigned int reps, double rep_s, double target,
			const struct shim_arena_stats *as)
{
	double bare = cases[0].median_ns;
	unsigned int i;

	printf("ringside bench_ring: %u-entry ring, align %u, weak barriers, "
	       "single thread\n",
	       RING_NUM, RING_ALIGN);
	printf("round trip = virtqueue_add_buf + virtqueue_kick + device "
	       "completes + virtqueue_get_buf\n");
	printf("device: inline in notify(), own struct vring on the same "
	       "pages, reads descriptors (not buffers)\n");
	printf("buffers: %u bytes per entry; n sg = n/2 readable + the rest "
	       "writable; used len = writable bytes\n",
	       BUF_BYTES);
	printf("timing: %u interleaved reps of ~%.2f s per case, "
	       "CLOCK_MONOTONIC; median over the reps (min)\n\n",
	       reps, rep_s);
	printf("%-14s %14s %14s %9s %14s\n", "case", "round trips/s",
	       "ns/round trip", "(min)", "ratio to bare");
	for (i = 0; i < ncases; i++) {
		const struct bench_case *c = &cases[i];

		printf("%-14s %14.0f %14.2f %9.2f %13.2fx\n", c->name,
		       1e9 / c->median_ns, c->median_ns, c->min_ns,
		       c->median_ns / bare);
	}
	printf("\nbare loop: the ring memory traffic of one 1 sg round trip, "
	       "no "
	       "API: a 16-byte descriptor,\n"
	       "  the avail entry, avail idx, one full barrier virtio_mb(true) "
	       "(what the kick path needs;\n"
	       "  %s), the device reading avail idx, avail "
	       "entry and descriptor and\n"
	       "  writing the used entry and used idx, the driver reading used "
	       "idx and the used entry;\n"
	       "  READ_ONCE/WRITE_ONCE on a ring of the same layout in the "
	       "same arena\n",
	       BARRIER_INSN);
	printf("arena: peak %zu bytes (%.1f KiB) of %zu MiB, %llu "
	       "allocations, %zu blocks leaked\n",
	       as->high_water, (double)as->high_water / 1024, as->size >> 20,
	       (unsigned long long)as->total_allocs, as->live_blocks);
	printf("target: 1 sg direct within %.1fx of the bare loop: %s "
	       "(ratio %.2f)\n",
	       TARGET_RATIO, target <= TARGET_RATIO ? "PASS" : "FAIL", target);
}

static void print_json(struct bench_case *cases, unsigned int ncases,
		       unsigned int reps, double rep_s, double target,
		       const struct shim_arena_stats *as)
{
	double bare = cases[0].median_ns;
	unsigned int i;

	printf("{\n  \"ring_size\": %u,\n  \"buf_bytes\": %u,\n"
	       "  \"reps\": %u,\n  \"rep_seconds\": %.3f,\n  \"cases\": [\n",
	       RING_NUM, BUF_BYTES, reps, rep_s);
	for (i = 0; i < ncases; i++) {
		const struct bench_case *c = &cases[i];

		printf("    {\"name\": \"%s\", \"sg\": %u, \"indirect\": %s, "
		       "\"round_trips_per_s\": %.0f, \"ns_median\": %.3f, "
		       "\"ns_min\": %.3f, \"ratio_to_bare\": %.4f, "
		       "\"iters_per_rep\": %llu}%s\n",
		       c->name, c->nsg, c->indirect ? "true" : "false",
		       1e9 / c->median_ns, c->median_ns, c->min_ns,
		       c->median_ns / bare, (unsigned long long)c->iters,
		       i + 1 < ncases ? "," : "");
	}
	printf("  ],\n  \"arena\": {\"size\": %zu, \"peak_bytes\": %zu, "
	       "\"allocations\": %llu, \"live_blocks_at_end\": %zu},\n",
	       as->size, as->high_water, (unsigned long long)as->total_allocs,
	       as->live_blocks);
	printf("  \"target\": {\"case\": \"1 sg direct\", \"max_ratio\": %.2f, "
	       "\"ratio\": %.4f, \"pass\": %s}\n}\n",
	       TARGET_RATIO, target, target <= TARGET_RATIO ? "true" : "false");
}

/* --- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct bench_case cases[] = {
		{ .name = "bare loop", .bare = true, .nsg = 1 },
		{ .name = "1 sg direct", .nsg = 1 },
		{ .name = "2 sg direct", .nsg = 2 },
		{ .name = "2 sg indirect", .nsg = 2, .indirect = true },
		{ .name = "4 sg direct", .nsg = 4 },
		{ .name = "4 sg indirect", .nsg = 4, .indirect = true },
	};
	const unsigned int ncases = ARRAY_SIZE(cases);
	struct shim_arena_stats as;
	volatile u64 sink = 0;
	bool quick = false, json = false;
	unsigned int reps = 7, i, r;
	double warm_s = 0.05, rep_s = 0.2, target;
	int a, err;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[a], "--json")) {
			json = true;
		} else {
			fprintf(stderr, "bench_ring: unknown option '%s'\n",
				argv[a]);
			usage(stderr);
			return 2;
		}
	}
	if (quick) {
		reps = 3;
		warm_s = 0.005;
		rep_s = 0.01;
	}

	err = shim_arena_create(ARENA_BYTES, ARENA_PHYS_BASE);
	if (err)
		die("shim_arena_create: %d", err);
	shim_arena_get_stats(&as);
	guest_phys_base = as.phys_base;
	guest_size = as.size;
	guest_base = phys_to_virt(as.phys_base);
	if (!guest_base)
		die("phys_to_virt of the arena base failed");

	for (i = 0; i < ncases; i++)
		case_setup(&cases[i]);
	for (i = 0; i < ncases; i++)
		case_calibrate(&cases[i], warm_s, rep_s);
	/* Interleaved: a change of clock speed hits every case alike. */
	for (r = 0; r < reps; r++)
		for (i = 0; i < ncases; i++)
			cases[i].ns[r] = case_run(&cases[i], cases[i].iters) *
					 1e9 / (double)cases[i].iters;
	for (i = 0; i < ncases; i++) {
		case_summarise(&cases[i], reps);
		case_verify(&cases[i]);
		sink ^= cases[i].dev.addr_sink;
	}
	(void)sink;
	target = cases[1].median_ns / cases[0].median_ns;

	for (i = 0; i < ncases; i++)
		case_teardown(&cases[i]);
	if (shim_warn_count())
		die("%lu WARN(s) reported", shim_warn_count());
	/* high_water is the peak: the arena never gives carved bytes back. */
	shim_arena_get_stats(&as);
	if (as.live_blocks)
		die("%zu arena blocks still live after teardown",
		    as.live_blocks);

	if (json)
		print_json(cases, ncases, reps, rep_s, target, &as);
	else
		print_table(cases, ncases, reps, rep_s, target, &as);
	shim_arena_destroy();
	return 0;
}
