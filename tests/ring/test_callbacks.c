/*
 * test_callbacks.c - virtqueue_disable_cb / enable_cb / enable_cb_delayed,
 * the used_event get_buf publishes with EVENT_IDX, and vring_interrupt.
 */
#include "ring_test.h"

#define TESTS(X)                                                               \
	X(queue_with_callback_starts_with_interrupts_enabled)                  \
	X(queue_without_callback_starts_with_no_interrupt)                     \
	X(disable_cb_sets_no_interrupt)                                        \
	X(enable_cb_clears_no_interrupt)                                       \
	X(enable_cb_writes_used_event_last_used)                               \
	X(enable_cb_true_with_nothing_pending)                                 \
	X(enable_cb_false_with_used_buffers_not_fetched)                       \
	X(enable_cb_delayed_8_outstanding_event_after_6)                       \
	X(enable_cb_delayed_8_outstanding_6_used_returns_true)                 \
	X(enable_cb_delayed_8_outstanding_7_used_returns_false)                \
	X(enable_cb_delayed_100_outstanding_event_after_75)                    \
	X(enable_cb_delayed_100_outstanding_75_used_returns_true)              \
	X(enable_cb_delayed_100_outstanding_76_used_returns_false)             \
	X(enable_cb_delayed_clears_no_interrupt)                               \
	X(enable_cb_delayed_event_wraps_with_used_idx)                         \
	X(enable_cb_false_with_pending_across_used_idx_wrap)                   \
	X(get_buf_event_idx_publishes_used_event)                              \
	X(get_buf_event_idx_leaves_used_event_when_disabled)                   \
	X(interrupt_nothing_used_returns_none)                                 \
	X(interrupt_used_calls_callback_once)                                  \
	X(interrupt_after_drain_returns_none)                                  \
	X(interrupt_callback_can_drain_the_queue)                              \
	X(interrupt_without_callback_is_handled)                               \
	X(interrupt_calls_callback_even_when_disabled)                         \
	X(interrupt_on_broken_queue_calls_no_callback)                         \
	X(interrupt_stats_count_work_and_spurious)
TESTS(HARNESS_DECLARE)

static char tokens[128];

/* Adds n 1-entry writable buffers with tokens[0..n). */
static void add_n(struct test_vq *t, char *area, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		CHECK(rt_add(t, area, 0, 1, &tokens[i]) >= 0);
}

/* Device: takes every available chain and returns the first k of them. */
static void use_first(struct test_vq *t, unsigned int k)
{
	struct test_chain c;
	unsigned int i = 0;

	while (test_dev_pop(t, &c))
		if (i++ < k)
			test_dev_push(t, c.head, 1);
	CHECK(i >= k);
}

/* Moves last used idx to n: n buffers added, used and fetched. */
static void consume(struct test_vq *t, char *area, unsigned int n)
{
	add_n(t, area, n);
	CHECK_EQ(n, test_dev_complete_all(t));
	CHECK_EQ(n, test_drain(t->vq));
}

static void queue_with_callback_starts_with_interrupts_enabled(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	CHECK_EQ(0, test_dev_avail_flags(&t));
	rt_finish(&t);
}

static void queue_without_callback_starts_with_no_interrupt(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, false);
	CHECK_EQ(VRING_AVAIL_F_NO_INTERRUPT, test_dev_avail_flags(&t));
	rt_finish(&t);
}

static void disable_cb_sets_no_interrupt(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(VRING_AVAIL_F_NO_INTERRUPT, test_dev_avail_flags(&t));
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(VRING_AVAIL_F_NO_INTERRUPT, test_dev_avail_flags(&t));
	rt_finish(&t);
}

static void enable_cb_clears_no_interrupt(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(true, virtqueue_enable_cb(t.vq));
	CHECK_EQ(0, test_dev_avail_flags(&t));
	rt_finish(&t);
}

static void enable_cb_writes_used_event_last_used(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	virtqueue_disable_cb(t.vq);
	consume(&t, rt_area(), 5);
	CHECK_EQ(0, test_dev_used_event(&t)); /* get_buf left it alone */
	CHECK_EQ(true, virtqueue_enable_cb(t.vq));
	CHECK_EQ(5, test_dev_used_event(&t));
	rt_finish(&t);
}

static void enable_cb_true_with_nothing_pending(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, 0, true);
	area = rt_area();
	consume(&t, area, 3);
	add_n(&t, area, 2); /* outstanding, not used */
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(true, virtqueue_enable_cb(t.vq));
	rt_finish(&t);
}

static void enable_cb_false_with_used_buffers_not_fetched(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_n(&t, rt_area(), 2);
	use_first(&t, 1);
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(false, virtqueue_enable_cb(t.vq));
	CHECK_EQ(0, test_dev_avail_flags(&t)); /* enabled all the same */
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(true, virtqueue_enable_cb(t.vq));
	rt_finish(&t);
}

/*
 * enable_cb_delayed after last used idx = base, with n outstanding and k of
 * them used: used_event = base + n * 3 / 4, true iff k <= n * 3 / 4.
 */
static void delayed_case(unsigned int num, unsigned int n, unsigned int k,
			 bool expect)
{
	const unsigned int base = 5;
	struct test_vq t;
	char *area;

	test_vq_create(&t, num, RT_EVENT_IDX, true);
	area = rt_area();
	consume(&t, area, base);
	add_n(&t, area, n);
	use_first(&t, k);
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(n, virtqueue_outstanding(t.vq));
	CHECK_EQ(expect, virtqueue_enable_cb_delayed(t.vq));
	CHECK_EQ(base + n * 3 / 4, test_dev_used_event(&t));
	rt_finish(&t);
}

static void enable_cb_delayed_8_outstanding_event_after_6(void)
{
	delayed_case(16, 8, 0, true);
}

static void enable_cb_delayed_8_outstanding_6_used_returns_true(void)
{
	delayed_case(16, 8, 6, true);
}

static void enable_cb_delayed_8_outstanding_7_used_returns_false(void)
{
	delayed_case(16, 8, 7, false);
}

static void enable_cb_delayed_100_outstanding_event_after_75(void)
{
	delayed_case(128, 100, 0, true);
}

static void enable_cb_delayed_100_outstanding_75_used_returns_true(void)
{
	delayed_case(128, 100, 75, true);
}

static void enable_cb_delayed_100_outstanding_76_used_returns_false(void)
{
	delayed_case(128, 100, 76, false);
}

static void enable_cb_delayed_clears_no_interrupt(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	add_n(&t, rt_area(), 4);
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(true, virtqueue_enable_cb_delayed(t.vq));
	CHECK_EQ(0, test_dev_avail_flags(&t));
	CHECK_EQ(3, test_dev_used_event(&t));
	rt_finish(&t);
}

/* Moves last used idx to n in rounds of at most num buffers. */
static void consume_many(struct test_vq *t, char *area, unsigned long n)
{
	unsigned int k;

	while (n) {
		k = n < t->num ? (unsigned int)n : t->num;
		consume(t, area, k);
		n -= k;
	}
}

/* last used 65530, 16 outstanding: used_event = 65530 + 12 = 6 (mod 2^16). */
static void enable_cb_delayed_event_wraps_with_used_idx(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 16, RT_EVENT_IDX, true);
	area = rt_area();
	consume_many(&t, area, 65530);
	add_n(&t, area, 16);
	use_first(&t, 12);
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(true, virtqueue_enable_cb_delayed(t.vq));
	CHECK_EQ(6, test_dev_used_event(&t));
	rt_finish(&t);
}

/* last used 65534, used.idx 1: three entries pending across the wrap. */
static void enable_cb_false_with_pending_across_used_idx_wrap(void)
{
	struct test_vq t;
	char *area;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	area = rt_area();
	consume_many(&t, area, 65534);
	add_n(&t, area, 4);
	use_first(&t, 3);
	CHECK_EQ(1, READ_ONCE(t.vring.used->idx));
	virtqueue_disable_cb(t.vq);
	CHECK_EQ(false, virtqueue_enable_cb(t.vq));
	CHECK_EQ(65534, test_dev_used_event(&t));
	CHECK_EQ(3, test_drain(t.vq));
	CHECK_EQ(true, virtqueue_enable_cb(t.vq));
	CHECK_EQ(1, test_dev_used_event(&t));
	rt_finish(&t);
}

static void get_buf_event_idx_publishes_used_event(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	add_n(&t, rt_area(), 3);
	CHECK_EQ(3, test_dev_complete_all(&t));
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(1, test_dev_used_event(&t));
	CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(2, test_dev_used_event(&t));
	CHECK_PTR_EQ(&tokens[2], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(3, test_dev_used_event(&t));
	rt_finish(&t);
}

static void get_buf_event_idx_leaves_used_event_when_disabled(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, RT_EVENT_IDX, true);
	add_n(&t, rt_area(), 3);
	CHECK_EQ(3, test_dev_complete_all(&t));
	CHECK_PTR_EQ(&tokens[0], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(1, test_dev_used_event(&t));
	virtqueue_disable_cb(t.vq);
	CHECK_PTR_EQ(&tokens[1], virtqueue_get_buf(t.vq, NULL));
	CHECK_PTR_EQ(&tokens[2], virtqueue_get_buf(t.vq, NULL));
	CHECK_EQ(1, test_dev_used_event(&t));
	rt_finish(&t);
}

static void interrupt_nothing_used_returns_none(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, t.vq));
	add_n(&t, rt_area(), 2);
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, t.vq));
	CHECK_EQ(0, t.callbacks);
	rt_finish(&t);
}

static void interrupt_used_calls_callback_once(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_n(&t, rt_area(), 2);
	use_first(&t, 2);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, t.vq));
	CHECK_EQ(1, t.callbacks);
	CHECK_EQ(2, virtqueue_outstanding(t.vq)); /* the callback fetches */
	rt_finish(&t);
}

static void interrupt_after_drain_returns_none(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_n(&t, rt_area(), 2);
	use_first(&t, 2);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, t.vq));
	CHECK_EQ(2, test_drain(t.vq));
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, t.vq));
	CHECK_EQ(1, t.callbacks);
	rt_finish(&t);
}

static void drain_in_callback(struct test_vq *t)
{
	CHECK_EQ(3, test_drain(t->vq));
}

static void interrupt_callback_can_drain_the_queue(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	t.on_callback = drain_in_callback;
	add_n(&t, rt_area(), 3);
	use_first(&t, 3);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, t.vq));
	CHECK_EQ(1, t.callbacks);
	CHECK_EQ(8, t.vq->num_free);
	rt_finish(&t);
}

static void interrupt_without_callback_is_handled(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, false);
	add_n(&t, rt_area(), 1);
	use_first(&t, 1);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, t.vq));
	CHECK_EQ(0, t.callbacks);
	rt_finish(&t);
}

/* NO_INTERRUPT is a hint to the device; an interrupt that comes anyway
 * still finds the work and runs the callback. */
static void interrupt_calls_callback_even_when_disabled(void)
{
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	virtqueue_disable_cb(t.vq);
	add_n(&t, rt_area(), 1);
	use_first(&t, 1);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, t.vq));
	CHECK_EQ(1, t.callbacks);
	rt_finish(&t);
}

static void interrupt_on_broken_queue_calls_no_callback(void)
{
	struct vring_stats st;
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	add_n(&t, rt_area(), 2);
	use_first(&t, 2);
	virtqueue_break(t.vq);
	/* Not its interrupt (note 3): IRQ_NONE, counted. */
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, t.vq));
	CHECK_EQ(0, t.callbacks);
	virtqueue_get_stats(t.vq, &st);
	CHECK_EQ(1, st.irq_broken);
	CHECK_EQ(0, st.spurious);
	CHECK_INVARIANTS(t.vq);
	test_vq_destroy(&t);
}

static void interrupt_stats_count_work_and_spurious(void)
{
	struct vring_stats st;
	struct test_vq t;

	test_vq_create(&t, 8, 0, true);
	CHECK_EQ(IRQ_NONE, vring_interrupt(0, t.vq));
	add_n(&t, rt_area(), 1);
	use_first(&t, 1);
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, t.vq));
	CHECK_EQ(IRQ_HANDLED, vring_interrupt(0, t.vq));
	virtqueue_get_stats(t.vq, &st);
	CHECK_EQ(2, st.interrupts);
	CHECK_EQ(1, st.spurious);
	CHECK_EQ(2, t.callbacks);
	rt_finish(&t);
}

HARNESS_MAIN(TESTS)
