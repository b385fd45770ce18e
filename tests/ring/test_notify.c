/*
 * test_notify.c - virtqueue_kick, virtqueue_kick_prepare and
 * virtqueue_notify: a notification unless the device set NO_NOTIFY, or with
 * EVENT_IDX exactly when vring_need_event(avail_event, new, old) says so,
 * also across the wrap of the free-running avail idx.
 */
#include "ring_test.h"

#define TESTS(X)                                                               \
	X(kick_notifies_by_default)                                            \
	X(kick_suppressed_by_used_no_notify)                                   \
	X(kick_notifies_again_once_no_notify_cleared)                          \
	X(kick_prepare_true_and_notify_sends_one)                              \
	X(kick_prepare_false_under_no_notify)                                  \
	X(kick_stats_count_kicks_and_suppressed)                               \
	X(kick_event_idx_ignores_no_notify_flag)                               \
	X(kick_event_idx_event_just_below_batch_no_notify)                     \
	X(kick_event_idx_event_at_batch_start_notifies)                        \
	X(kick_event_idx_event_at_batch_end_notifies)                          \
	X(kick_event_idx_event_just_after_batch_no_notify)                     \
	X(kick_event_idx_batch_counts_from_last_kick)                          \
	X(kick_event_idx_without_adds_no_notify)                               \
	X(kick_event_idx_wrap_event_just_below_batch_no_notify)                \
	X(kick_event_idx_wrap_event_at_batch_start_notifies)                   \
	X(kick_event_idx_wrap_event_at_65535_notifies)                         \
	X(kick_event_idx_wrap_event_at_0_notifies)                             \
	X(kick_event_idx_wrap_event_just_after_batch_no_notify)                \
	X(kick_event_idx_after_wrap_event_before_wrap_no_notify)               \
	X(kick_event_idx_before_wrap_event_after_wrap_no_notify)               \
	X(kick_prepare_split_follows_need_event_across_wrap)                   \
	X(notify_on_broken_queue_does_nothing)                                 \
	X(kick_on_broken_queue_does_nothing)
TESTS(HARNESS_DECLARE)

#define LAP 65536ul /* adds that bring the avail idx back to where it was */

static char tokens[64];

/* Adds n 1-entry readable buffers. */
static void add_n(struct test_vq *t, char *area, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		CHECK(rt_add(t, area, 1, 0, &tokens[i]) >= 0);
}

/* Moves the avail idx on by n: batches of adds, each kicked, completed and
 * taken back. Forgets the notifications it caused. */
static void advance(struct test_vq *t, char *area, unsigned long n)
{
	unsigned int k;

	while (n) {
		k = n < t->num ? (unsigned int)n : t->num;
		add_n(t, area, k);
		virtqueue_kick(t->vq);
		CHECK_EQ(k, test_dev_complete_all(t));
		CHECK_EQ(k, test_drain(t->vq));
		n -= k;
	}
	t->notifies = 0;
}

/* With EVENT_IDX, after start adds: set avail_event, add batch buffers,
 * kick, and expect a notification or none. */
static void event_case(unsigned long start, unsigned int batch, u16 event,
		       bool expect)
{
	u16 old = (u16)start, new_idx = (u16)(start + batch);
	struct test_vq t;
	char *area;

	CHECK_EQ(expect, vring_need_event(event, new_idx, old));
	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	area = rt_area();
	advance(&t, area, start);
	CHECK_EQ(old, rt_dev_avail_idx(&t));
	test_dev_set_avail_event(&t, event);
	add_n(&t, area, batch);
	CHECK_EQ(new_idx, rt_dev_avail_idx(&t));
	virtqueue_kick(t.vq);
	CHECK_EQ(expect, t.notifies);
	rt_finish(&t);
}

static void kick_notifies_by_default(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_n(&t, rt_area(), 2);
	CHECK_EQ(0, t.notifies);
	virtqueue_kick(t.vq);
	CHECK_EQ(1, t.notifies);
	rt_finish(&t);
}

static void kick_suppressed_by_used_no_notify(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	test_dev_set_used_flags(&t, VRING_USED_F_NO_NOTIFY);
	add_n(&t, rt_area(), 2);
	virtqueue_kick(t.vq);
	CHECK_EQ(0, t.notifies);
	rt_finish(&t);
}

static void kick_notifies_again_once_no_notify_cleared(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	test_dev_set_used_flags(&t, VRING_USED_F_NO_NOTIFY);
	add_n(&t, area, 1);
	virtqueue_kick(t.vq);
	test_dev_set_used_flags(&t, 0);
	add_n(&t, area, 1);
	virtqueue_kick(t.vq);
	CHECK_EQ(1, t.notifies);
	rt_finish(&t);
}

static void kick_prepare_true_and_notify_sends_one(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_n(&t, rt_area(), 1);
	CHECK_EQ(true, virtqueue_kick_prepare(t.vq));
	CHECK_EQ(0, t.notifies);
	virtqueue_notify(t.vq);
	CHECK_EQ(1, t.notifies);
	rt_finish(&t);
}

static void kick_prepare_false_under_no_notify(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	test_dev_set_used_flags(&t, VRING_USED_F_NO_NOTIFY);
	add_n(&t, rt_area(), 1);
	CHECK_EQ(false, virtqueue_kick_prepare(t.vq));
	CHECK_EQ(0, t.notifies);
	rt_finish(&t);
}

static void kick_stats_count_kicks_and_suppressed(void)
{
	struct vring_stats st;
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	add_n(&t, area, 1);
	virtqueue_kick(t.vq);
	test_dev_set_used_flags(&t, VRING_USED_F_NO_NOTIFY);
	add_n(&t, area, 1);
	virtqueue_kick(t.vq);
	add_n(&t, area, 1);
	virtqueue_kick(t.vq);
	virtqueue_get_stats(t.vq, &st);
	CHECK_EQ(1, st.kicks);
	CHECK_EQ(2, st.kicks_suppressed);
	CHECK_EQ(1, t.notifies);
	rt_finish(&t);
}

static void kick_event_idx_ignores_no_notify_flag(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	area = rt_area();
	test_dev_set_used_flags(&t, VRING_USED_F_NO_NOTIFY);
	test_dev_set_avail_event(&t, 0);
	add_n(&t, area, 1);
	virtqueue_kick(t.vq);
	CHECK_EQ(1, t.notifies);
	/* and without NO_NOTIFY, avail_event still decides: 1 is behind. */
	test_dev_set_used_flags(&t, 0);
	add_n(&t, area, 1);
	virtqueue_kick(t.vq);
	CHECK_EQ(1, t.notifies);
	rt_finish(&t);
}

/* Batch old = 4, new = 7. */
static void kick_event_idx_event_just_below_batch_no_notify(void)
{
	event_case(4, 3, 3, false);
}

static void kick_event_idx_event_at_batch_start_notifies(void)
{
	event_case(4, 3, 4, true);
}

static void kick_event_idx_event_at_batch_end_notifies(void)
{
	event_case(4, 3, 6, true);
}

static void kick_event_idx_event_just_after_batch_no_notify(void)
{
	event_case(4, 3, 7, false);
}

/* Adds without a kick belong to the next kick's batch: after adds 0..1
 * (kicked) and 2..5 (kicked once), avail_event 3 lies in the second. */
static void kick_event_idx_batch_counts_from_last_kick(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	area = rt_area();
	test_dev_set_avail_event(&t, 0);
	add_n(&t, area, 2);
	virtqueue_kick(t.vq);
	CHECK_EQ(1, t.notifies);
	test_dev_set_avail_event(&t, 3);
	add_n(&t, area, 2);
	add_n(&t, area, 2);
	virtqueue_kick(t.vq);
	CHECK_EQ(2, t.notifies);
	rt_finish(&t);
}

/* An empty batch (old == new) passes no event index. */
static void kick_event_idx_without_adds_no_notify(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	area = rt_area();
	advance(&t, area, 5);
	test_dev_set_avail_event(&t, 5);
	CHECK_EQ(false, virtqueue_kick_prepare(t.vq));
	test_dev_set_avail_event(&t, 4);
	virtqueue_kick(t.vq);
	CHECK_EQ(0, t.notifies);
	rt_finish(&t);
}

/* Batch old = 65534, new = 1 (entries 65534, 65535, 0), on the second
 * lap of the avail idx. */
static void kick_event_idx_wrap_event_just_below_batch_no_notify(void)
{
	event_case(LAP + 65534, 3, 65533, false);
}

static void kick_event_idx_wrap_event_at_batch_start_notifies(void)
{
	event_case(LAP + 65534, 3, 65534, true);
}

static void kick_event_idx_wrap_event_at_65535_notifies(void)
{
	event_case(LAP + 65534, 3, 65535, true);
}

static void kick_event_idx_wrap_event_at_0_notifies(void)
{
	event_case(LAP + 65534, 3, 0, true);
}

static void kick_event_idx_wrap_event_just_after_batch_no_notify(void)
{
	event_case(LAP + 65534, 3, 1, false);
}

/* Batch old = 0, new = 3 just after the wrap; avail_event 65535 is behind. */
static void kick_event_idx_after_wrap_event_before_wrap_no_notify(void)
{
	event_case(2 * LAP, 3, 65535, false);
}

/* Batch old = 65530, new = 65533; avail_event 0 is ahead of it. */
static void kick_event_idx_before_wrap_event_after_wrap_no_notify(void)
{
	event_case(LAP + 65530, 3, 0, false);
}

/*
 * Batches of 1..4 adds crossing the wrap, with avail_event at every
 * distance from -1 to batch + 1 of the batch start in turn: each
 * kick_prepare answers vring_need_event, and notify sends exactly one.
 */
static void kick_prepare_split_follows_need_event_across_wrap(void)
{
	unsigned int step, batch, notifies = 0;
	struct test_vq t;
	u16 old, event;
	bool expect;
	char *area;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	area = rt_area();
	advance(&t, area, LAP + 65500);
	for (step = 0; step < 80; step++) {
		batch = 1 + step % 4;
		old = rt_dev_avail_idx(&t);
		event = (u16)(old - 1 + step % (batch + 3));
		expect = vring_need_event(event, (u16)(old + batch), old);
		test_dev_set_avail_event(&t, event);
		add_n(&t, area, batch);
		CHECK_EQ(expect, virtqueue_kick_prepare(t.vq));
		if (expect)
			virtqueue_notify(t.vq);
		notifies += expect;
		CHECK_EQ(notifies, t.notifies);
		CHECK_EQ(batch, test_dev_complete_all(&t));
		CHECK_EQ(batch, test_drain(t.vq));
	}
	CHECK(rt_dev_avail_idx(&t) > 20 && rt_dev_avail_idx(&t) < 300);
	CHECK(notifies >= 20);
	rt_finish(&t);
}

static void notify_on_broken_queue_does_nothing(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_n(&t, rt_area(), 1);
	virtqueue_break(t.vq);
	virtqueue_notify(t.vq);
	CHECK_EQ(0, t.notifies);
	CHECK_INVARIANTS(t.vq);
	test_vq_destroy(&t);
}

static void kick_on_broken_queue_does_nothing(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_n(&t, rt_area(), 1);
	virtqueue_break(t.vq);
	CHECK_EQ(false, virtqueue_kick_prepare(t.vq));
	virtqueue_kick(t.vq);
	CHECK_EQ(0, t.notifies);
	CHECK_INVARIANTS(t.vq);
	test_vq_destroy(&t);
}

HARNESS_MAIN(TESTS)
