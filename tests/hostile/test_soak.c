/*
 * test_soak.c - a randomized hostile soak. A fixed-seed xorshift PRNG
 * drives short episodes on queues of 1 .. 256 entries, with and without
 * INDIRECT_DESC and EVENT_IDX: the driver adds, gets, kicks and takes
 * interrupts; the device takes chains, completes them in any order and in
 * batches, scribbles legal used.flags and avail_event values, and once per
 * episode commits one violation (or none). Each episode ends either healthy
 * with every published completion returned exactly as written, or broken
 * with the fault the violation calls for; then every token is accounted
 * for exactly once and the ring is empty and consistent.
 */
#include "hostile.h"

#include <ringside/shim.h>
#include <stdlib.h>

#define TESTS(X) X(hostile_soak_conserves_tokens_and_names_faults)

TESTS(HARNESS_DECLARE)

#define SOAK_EPISODES 2000u
#define SOAK_MAX_STEPS 96u
#define SOAK_MAX_NUM 256u

enum soak_kind {
	SOAK_NONE,
	SOAK_CLAMP,
	SOAK_ID_RANGE,
	SOAK_ID_NOT_HEAD,
	SOAK_ID_RETURNED,
	SOAK_IDX_AHEAD,
	SOAK_IDX_BACKWARDS,
	SOAK_DESC_REWRITE,
	SOAK_AVAIL_SLOT_REWRITE,
	SOAK_AVAIL_IDX_REWRITE,
	SOAK_KIND_COUNT
};

/* A chain the device took and has not written back. */
struct soak_held {
	unsigned int tok;
	u32 writable;
	u16 head;
	u16 avail_at; /* the avail idx it was taken at */
	bool indirect;
	unsigned int n;
};

/* A used entry the device wrote: what get_buf must return for it. */
struct soak_entry {
	unsigned int tok;
	u32 len;
};

static struct soak {
	struct hq h;
	u32 rng;
	unsigned int episode, num;
	u64 features;
	enum soak_kind kind;
	bool in_episode;
	struct soak_held held[SOAK_MAX_NUM];
	unsigned int nheld;
	/* Entries [head, pub) are published, [pub, tail) only written. */
	struct soak_entry fifo[HQ_TOKENS];
	unsigned int fifo_head, fifo_pub, fifo_tail;
	unsigned int added[HQ_TOKENS]; /* tokens in the order added */
	unsigned int nadded, npopped;
	bool was_returned[SOAK_MAX_NUM]; /* heads the device wrote back */
	u64 clamps;
	/* The expected fault: one or two kinds, exact value and expected. */
	enum vring_fault want[2];
	u32 want_value, want_expected;
	bool fifo_may_remain; /* published entries may go unreturned */
} s;

/* What the episodes did, so that the soak can check it covered ground. */
static struct {
	unsigned int kind[SOAK_KIND_COUNT];
	unsigned int fault[VRING_FAULT_COUNT];
	unsigned int broken, near_wrap, gets, clamps;
} cover;

/* xorshift32: a fixed sequence, no rand(), no time. */
static u32 rng_next(void)
{
	u32 x = s.rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s.rng = x;
	return x;
}

static u32 rng_below(u32 n)
{
	return rng_next() % n;
}

static struct virtqueue *vq(void)
{
	return s.h.t.vq;
}

static bool broken(void)
{
	return virtqueue_is_broken(vq());
}

/* Fails with the fault of a queue that broke on legal behaviour. */
static void expect_healthy(int line)
{
	const struct vring_fault_info *f = virtqueue_fault(vq());
	char detail[128];

	if (!broken())
		return;
	snprintf(detail, sizeof(detail), "false alarm: %s (%u, expected %u)",
		 vring_fault_name(f->fault), f->value, f->expected);
	harness_fail(__FILE__, line, "queue stays healthy", detail);
}

/* --- the driver -------------------------------------------------------- */

static void drv_add(void)
{
	unsigned int out = rng_below(3), in = rng_below(3), tok = s.h.ntok;
	int ret;

	if (out + in == 0)
		in = 1;
	if (out + in > s.num) { /* num 1 or 2 */
		in = in ? 1 : 0;
		out = s.num - in;
	}
	CHECK(tok < HQ_TOKENS);
	ret = hq_try_add(&s.h, out, in, &s.h.tokens[tok]);
	if (ret == -ENOSPC || ret == -EIO)
		return;
	CHECK(ret >= 0);
	s.h.state[tok] = HQ_HELD;
	s.h.ntok++;
	s.added[s.nadded++] = tok;
}

/* One get_buf; a token must match the next published entry. */
static bool drv_get_one(void)
{
	unsigned int len;
	int tok = hq_get(&s.h, &len);

	if (tok < 0)
		return false;
	CHECK(s.fifo_head < s.fifo_pub);
	CHECK_EQ(s.fifo[s.fifo_head].tok, tok);
	CHECK_EQ(s.fifo[s.fifo_head].len, len);
	s.fifo_head++;
	cover.gets++;
	return true;
}

static void drv_get_some(unsigned int n)
{
	while (n-- > 0 && drv_get_one())
		;
}

/* Gets until NULL (bounded); a healthy queue has then returned all. */
static void drv_drain(void)
{
	unsigned int n;

	for (n = 0; n <= s.num + 1; n++)
		if (!drv_get_one())
			break;
	CHECK(n <= s.num);
	if (!broken())
		CHECK_EQ(s.fifo_pub, s.fifo_head);
}

static void drv_interrupt(void)
{
	bool pending = s.fifo_head < s.fifo_pub;
	irqreturn_t ret = vring_interrupt(0, vq());

	if (!broken())
		CHECK_EQ(pending ? IRQ_HANDLED : IRQ_NONE, ret);
}

static void drv_callbacks(void)
{
	unsigned int pending = s.fifo_pub - s.fifo_head;
	unsigned int out = virtqueue_outstanding(vq());
	bool ret;

	switch (rng_below(3)) {
	case 0:
		virtqueue_disable_cb(vq());
		return;
	case 1:
		ret = virtqueue_enable_cb(vq());
		CHECK_EQ(pending == 0, ret);
		return;
	default:
		ret = virtqueue_enable_cb_delayed(vq());
		CHECK_EQ(pending <= out * 3 / 4, ret);
	}
}

/* --- the device -------------------------------------------------------- */

static void dev_pop_all(void)
{
	struct soak_held *hd;
	struct test_chain c;
	unsigned int n;

	for (n = 0; n <= s.num && test_dev_pop(&s.h.t, &c); n++) {
		CHECK(s.npopped < s.nadded && s.nheld < s.num);
		hd = &s.held[s.nheld++];
		hd->tok = s.added[s.npopped++];
		hd->head = c.head;
		hd->writable = (u32)c.writable_bytes;
		hd->avail_at = (u16)(s.h.t.last_avail - 1);
		hd->indirect = c.indirect;
		hd->n = c.n;
	}
	CHECK_EQ(0, test_dev_avail_pending(&s.h.t));
}

static struct soak_held dev_take(unsigned int i)
{
	struct soak_held hd = s.held[i];

	s.held[i] = s.held[--s.nheld];
	return hd;
}

/* Writes a used entry without publishing it. */
static void dev_write(u32 id, u32 len)
{
	u16 slot = (u16)(s.h.t.used_idx + (s.fifo_tail - s.fifo_pub));

	test_dev_write_used_elem(&s.h.t, slot, id, len);
}

/* Returns held chain i with len (clamped lens counted). */
static void dev_complete(unsigned int i, u32 len)
{
	struct soak_held hd = dev_take(i);
	u32 back = len < hd.writable ? len : hd.writable;

	s.clamps += len > hd.writable;
	dev_write(hd.head, len);
	s.was_returned[hd.head] = true;
	s.fifo[s.fifo_tail].tok = hd.tok;
	s.fifo[s.fifo_tail].len = back;
	s.fifo_tail++;
}

/* Returns up to n random held chains; now and then a len too large. */
static void dev_complete_some(unsigned int n)
{
	unsigned int i;
	u32 w, len;

	for (; n > 0 && s.nheld; n--) {
		i = rng_below(s.nheld);
		w = s.held[i].writable;
		len = rng_below(8) ? rng_below(w + 1) : w + 1 + rng_below(100);
		dev_complete(i, len);
	}
}

static void dev_publish(void)
{
	u16 idx = (u16)(s.h.t.used_idx + (s.fifo_tail - s.fifo_pub));

	test_dev_set_used_idx(&s.h.t, idx);
	s.fifo_pub = s.fifo_tail;
}

/* Legal values only: the device's own notification suppression. */
static void dev_scribble_legal(void)
{
	test_dev_set_used_flags(&s.h.t, (u16)rng_next());
	test_dev_set_avail_event(&s.h.t, (u16)rng_next());
}

/* --- one step of an honest world --------------------------------------- */

static void honest_step(void)
{
	u32 r = rng_below(100);

	if (r < 30)
		drv_add();
	else if (r < 42)
		dev_pop_all();
	else if (r < 62)
		dev_complete_some(1 + rng_below(4));
	else if (r < 72)
		dev_publish();
	else if (r < 87)
		drv_get_some(1 + rng_below(4));
	else if (r < 92)
		drv_interrupt();
	else if (r < 95)
		virtqueue_kick(vq());
	else if (r < 97)
		dev_scribble_legal();
	else
		drv_callbacks();
}

/* --- violations ---------------------------------------------------------- */

static void want(enum vring_fault a, enum vring_fault b, u32 value,
		 u32 expected)
{
	s.want[0] = a;
	s.want[1] = b;
	s.want_value = value;
	s.want_expected = expected;
}

/* The device holds every outstanding chain it can and at least one. */
static void need_held(void)
{
	dev_publish();
	dev_pop_all();
	if (s.nheld)
		return;
	drv_drain();
	drv_add();
	dev_pop_all();
	CHECK_EQ(1, s.nheld);
}

static void inject_clamp(void)
{
	need_held();
	dev_complete(0, s.held[0].writable + 1 + rng_below(0x10000));
	dev_publish();
}

/* Publishes a used entry for id; nothing may come back for it. */
static void inject_bad_id(u32 id, enum vring_fault a, enum vring_fault b,
			  u32 expected)
{
	dev_publish();
	test_dev_push(&s.h.t, id, rng_next());
	want(a, b, id, expected);
}

static void inject_id_range(void)
{
	u32 id;

	need_held();
	switch (rng_below(3)) {
	case 0:
		id = s.num;
		break;
	case 1:
		id = 0xffffffffu;
		break;
	default:
		id = s.num + rng_below(0xffffffffu - s.num);
	}
	inject_bad_id(id, VRING_FAULT_USED_ID_RANGE, VRING_FAULT_USED_ID_RANGE,
		      s.num);
}

static bool is_held_head(u32 id)
{
	unsigned int i;

	for (i = 0; i < s.nheld; i++)
		if (s.held[i].head == id)
			return true;
	return false;
}

/* A random id below num that is no head the device holds; returned_only
 * prefers heads it wrote back before. False when there is none. */
static bool pick_not_held(bool returned_only, u32 *id)
{
	unsigned int start = rng_below(s.num), k;
	u32 i;

	for (k = 0; k < s.num; k++) {
		i = (start + k) % s.num;
		if (is_held_head(i) || (returned_only && !s.was_returned[i]))
			continue;
		*id = i;
		return true;
	}
	return false;
}

static void inject_id_not_outstanding(bool returned_only)
{
	u32 id;

	need_held();
	if (!pick_not_held(returned_only, &id) && !pick_not_held(false, &id)) {
		inject_bad_id(s.num, VRING_FAULT_USED_ID_RANGE,
			      VRING_FAULT_USED_ID_RANGE, s.num);
		return;
	}
	inject_bad_id(id, VRING_FAULT_USED_ID_NOT_HEAD,
		      VRING_FAULT_USED_ID_DUPLICATE, id);
}

/* used.idx runs past every chain the device holds. */
static void inject_idx_ahead(void)
{
	u16 used, idx;

	dev_publish();
	dev_pop_all();
	used = s.h.t.used_idx;
	idx = (u16)(used + s.nheld + 1 + rng_below(0x4000));
	test_dev_set_used_idx(&s.h.t, idx);
	want(VRING_FAULT_USED_IDX_AHEAD, VRING_FAULT_USED_IDX_AHEAD, idx,
	     (u16)(used + s.nheld));
	s.fifo_may_remain = true;
}

/* After the driver saw and consumed everything, used.idx moves back. */
static void inject_idx_backwards(void)
{
	u16 used, idx;

	dev_publish();
	dev_pop_all();
	drv_drain();
	used = s.h.t.used_idx;
	idx = (u16)(used - 1 - rng_below(s.num));
	test_dev_set_used_idx(&s.h.t, idx);
	want(VRING_FAULT_USED_IDX_BACKWARDS, VRING_FAULT_USED_IDX_BACKWARDS,
	     idx, used);
}

/* Changes one field of descriptor i to a different value. */
static void scribble_desc(u16 i)
{
	struct vring_desc *d = &s.h.t.vring.desc[i];

	switch (rng_below(4)) {
	case 0:
		d->addr ^= (u64)(1 + rng_below(0xffff)) << rng_below(48);
		break;
	case 1:
		d->len ^= 1 + rng_below(0xffff);
		break;
	case 2:
		d->flags ^= (u16)(1 + rng_below(0xffff));
		break;
	default:
		d->next ^= (u16)(1 + rng_below(0xffff));
	}
}

/* The device rewrites a descriptor of a chain it holds, then returns it:
 * nothing comes back for it. */
static void inject_desc_rewrite(void)
{
	struct soak_held hd;
	u16 i;

	need_held();
	hd = dev_take(rng_below(s.nheld));
	i = hd.indirect ? hd.head : hq_desc_at(&s.h, hd.head, rng_below(hd.n));
	scribble_desc(i);
	inject_bad_id(hd.head, VRING_FAULT_DESC_REWRITTEN,
		      VRING_FAULT_DESC_REWRITTEN, hd.head);
	s.want_value = i;
}

static void inject_avail_idx_rewrite(void)
{
	struct soak_held hd;
	u16 avail, bad;

	need_held();
	hd = dev_take(rng_below(s.nheld));
	avail = READ_ONCE(s.h.t.vring.avail->idx);
	bad = (u16)(avail + 1 + rng_below(0xffff));
	WRITE_ONCE(s.h.t.vring.avail->idx, bad);
	inject_bad_id(hd.head, VRING_FAULT_AVAIL_REWRITTEN,
		      VRING_FAULT_AVAIL_REWRITTEN, avail);
	s.want_value = bad;
	s.fifo_may_remain = true;
}

/* Rewrites the avail slot of a held chain whose slot the driver has not
 * reused since; without one, rewrites avail.idx instead. */
static void inject_avail_slot_rewrite(void)
{
	u16 avail, slot, bad;
	struct soak_held hd;
	unsigned int i;

	need_held();
	avail = READ_ONCE(s.h.t.vring.avail->idx);
	for (i = 0; i < s.nheld; i++)
		if ((u16)(avail - s.held[i].avail_at) < s.num)
			break;
	if (i == s.nheld) {
		inject_avail_idx_rewrite();
		return;
	}
	hd = dev_take(i);
	slot = (u16)(hd.avail_at % s.num);
	bad = (u16)(hd.head + 1 + rng_below(0xffff));
	WRITE_ONCE(s.h.t.vring.avail->ring[slot], bad);
	inject_bad_id(hd.head, VRING_FAULT_AVAIL_REWRITTEN,
		      VRING_FAULT_AVAIL_REWRITTEN, hd.head);
	s.want_value = bad;
}

static void inject(void)
{
	switch (s.kind) {
	case SOAK_NONE:
		return;
	case SOAK_CLAMP:
		inject_clamp();
		return;
	case SOAK_ID_RANGE:
		inject_id_range();
		return;
	case SOAK_ID_NOT_HEAD:
		inject_id_not_outstanding(false);
		return;
	case SOAK_ID_RETURNED:
		inject_id_not_outstanding(true);
		return;
	case SOAK_IDX_AHEAD:
		inject_idx_ahead();
		return;
	case SOAK_IDX_BACKWARDS:
		inject_idx_backwards();
		return;
	case SOAK_DESC_REWRITE:
		inject_desc_rewrite();
		return;
	case SOAK_AVAIL_SLOT_REWRITE:
		inject_avail_slot_rewrite();
		return;
	default:
		inject_avail_idx_rewrite();
	}
}

/* --- episodes ------------------------------------------------------------ */

static void episode_begin(void)
{
	static const u64 feature_sets[4] = { 0, HQ_INDIRECT, HQ_EVENT_IDX,
					     HQ_INDIRECT | HQ_EVENT_IDX };
	u32 rng = s.rng;
	unsigned int episode = s.episode;

	memset(&s, 0, sizeof(s));
	s.rng = rng;
	s.episode = episode;
	s.in_episode = true;
	s.num = 1u << rng_below(9);
	s.features = feature_sets[rng_below(4)];
	s.kind = (enum soak_kind)rng_below(SOAK_KIND_COUNT);
	hq_create(&s.h, s.num, s.features);
	/* Reaching the u16 wrap costs 65536 round trips: now and then, to
	 * just below it, so that the episode's adds cross it. */
	if (rng_below(16) == 0) {
		hq_advance(&s.h, (u16)(0xffff - rng_below(16)));
		cover.near_wrap++;
	}
	cover.kind[s.kind]++;
}

static void episode_end_healthy(void)
{
	struct vring_stats st;

	dev_publish();
	drv_drain();
	expect_healthy(__LINE__);
	hq_expect_healthy(&s.h);
	virtqueue_get_stats(vq(), &st);
	CHECK_EQ(s.clamps, st.len_clamped);
	cover.clamps += (unsigned int)s.clamps;
	hq_check_recovered(&s.h);
	hq_expect_healthy(&s.h);
}

static void episode_end_broken(void)
{
	const struct vring_fault_info *f = virtqueue_fault(vq());

	vring_interrupt(0, vq());
	drv_drain();
	CHECK(broken());
	CHECK(f->fault == s.want[0] || f->fault == s.want[1]);
	CHECK_EQ(s.want_value, f->value);
	CHECK_EQ(s.want_expected, f->expected);
	if (!s.fifo_may_remain)
		CHECK_EQ(s.fifo_pub, s.fifo_head);
	hq_check_dead(&s.h);
	hq_check_recovered(&s.h);
	cover.broken++;
	cover.fault[f->fault]++;
}

static void run_episode(void)
{
	unsigned int steps, inject_at, step;

	episode_begin();
	steps = 1 + rng_below(SOAK_MAX_STEPS);
	inject_at = steps / 2 + rng_below(steps - steps / 2);
	for (step = 0; step < steps; step++) {
		if (step == inject_at) {
			inject();
			if (s.kind != SOAK_NONE && s.kind != SOAK_CLAMP)
				break;
		}
		honest_step();
		expect_healthy(__LINE__);
		HQ_CHECK_INVARIANTS(vq());
	}
	if (s.kind == SOAK_NONE || s.kind == SOAK_CLAMP)
		episode_end_healthy();
	else
		episode_end_broken();
	hq_destroy(&s.h);
	s.in_episode = false;
}

/* A failing CHECK leaves the episode unfinished: say which it was. */
static void soak_report(void)
{
	if (s.in_episode)
		fprintf(stderr,
			"    in soak episode %u: num %u, features %#llx, "
			"violation %d\n",
			s.episode, s.num, (unsigned long long)s.features,
			(int)s.kind);
}

static void quiet(void *ctx, int level, const char *text)
{
	(void)ctx;
	(void)level;
	(void)text;
}

static void check_coverage(void)
{
	unsigned int k, violations = 0;

	for (k = 0; k < SOAK_KIND_COUNT; k++) {
		CHECK(cover.kind[k] >= SOAK_EPISODES / SOAK_KIND_COUNT / 2);
		if (k != SOAK_NONE && k != SOAK_CLAMP)
			violations += cover.kind[k];
	}
	CHECK_EQ(violations, cover.broken);
	for (k = VRING_FAULT_USED_IDX_AHEAD; k < VRING_FAULT_DEVICE_BROKEN; k++)
		CHECK(cover.fault[k] >= SOAK_EPISODES / SOAK_KIND_COUNT / 4);
	CHECK(cover.near_wrap >= SOAK_EPISODES / 32);
	CHECK(cover.gets >= SOAK_EPISODES * 4);
	CHECK(cover.clamps >= cover.kind[SOAK_CLAMP]);
}

static void hostile_soak_conserves_tokens_and_names_faults(void)
{
	atexit(soak_report);
	shim_set_log_hook(quiet, NULL);
	s.rng = 0x2545f491;
	for (s.episode = 0; s.episode < SOAK_EPISODES; s.episode++)
		run_episode();
	shim_set_log_hook(NULL, NULL);
	check_coverage();
}

HARNESS_MAIN(TESTS)
