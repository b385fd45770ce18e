/*
 * semantics.c - the reference model of the seed API's answers (see
 * semantics.h). Nothing here reads the ring's private state: only the
 * answers the driver got, the shared ring memory (avail ring, used ring,
 * the device's suppression fields) and the transport's kick count.
 */
#include "semantics.h"

#include "device.h"

#include <linux/errno.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <string.h>

#define SEM "semantics"

void sem_init(struct sem_model *m, struct simt_transport *t,
	      struct sim_device *dev, struct oracle *o, const u64 *alloc_fails)
{
	memset(m, 0, sizeof(*m));
	m->t = t;
	m->dev = dev;
	m->oracle = o;
	m->alloc_fails = alloc_fails;
}

static void queue_free(struct sem_queue *sq)
{
	sq->vq = NULL; /* the tables are cleared when a queue is made */
}

void sem_fini(struct sem_model *m)
{
	unsigned int q;

	for (q = 0; q < SEM_QUEUES_MAX; q++)
		queue_free(&m->q[q]);
}

static struct sem_queue *queue_of(struct sim_env *env, unsigned int q)
{
	struct sem_model *m = env->sem;

	if (!m || q >= SEM_QUEUES_MAX || !m->q[q].vq || m->oracle->failed)
		return NULL;
	return &m->q[q];
}

static struct vring *ring_of(struct sim_env *env, unsigned int q)
{
	return simt_vring(env->sem->t, q);
}

/* The device broke a rule on q: the ring's reaction is not ours to judge,
 * and the model's picture of the queue is stale from then on (until the
 * driver makes new queues). */
static bool device_lied(struct sim_env *env, unsigned int q)
{
	struct sem_queue *sq = &env->sem->q[q];

	if (env->sem->dev->q[q].illegal)
		sq->blind = true;
	return sq->blind;
}

static bool broken(const struct sem_queue *sq)
{
	return virtqueue_is_broken(sq->vq);
}

/* A new queue's index is its place in find_vqs's answer, and its size
 * the one the transport set up (the device's view of the ring). */
static bool queue_identity_right(struct sim_env *env, unsigned int q,
				 struct virtqueue *vq, const struct vring *vr)
{
	int index = virtqueue_get_queue_index(vq);
	unsigned int size = virtqueue_get_vring_size(vq);

	if (index != (int)q) {
		oracle_fail(env->oracle, SEM,
			    "queue %u: get_queue_index answered %d", q, index);
		return false;
	}
	if (size != vr->num) {
		oracle_fail(env->oracle, SEM,
			    "queue %u: get_vring_size answered %u, the ring "
			    "has %u entries",
			    q, size, vr->num);
		return false;
	}
	return true;
}

void sem_queues(struct sim_env *env, struct virtqueue *const *vqs,
		unsigned int n)
{
	struct sem_model *m = env->sem;
	unsigned int q;

	if (!m)
		return;
	for (q = 0; q < SEM_QUEUES_MAX; q++) {
		struct sem_queue *sq = &m->q[q];
		struct vring *vr;

		queue_free(sq);
		if (q >= n || !vqs[q])
			continue;
		vr = simt_vring(m->t, q);
		if (!vr || !queue_identity_right(env, q, vqs[q], vr) ||
		    vr->num > SEM_NUM_MAX)
			continue;
		sq->vq = vqs[q];
		sq->num = vr->num;
		sq->indirect = virtio_has_feature(sq->vq->vdev,
						  VIRTIO_RING_F_INDIRECT_DESC);
		sq->event = virtio_has_feature(sq->vq->vdev,
					       VIRTIO_RING_F_EVENT_IDX);
		sq->free = sq->num;
		sq->held = 0;
		sq->adds_since_kick = 0;
		sq->blind = false;
		sq->kick_unknown = false;
		/* A new queue: its indices start where the driver put them,
		 * with nothing used yet. */
		sq->avail = READ_ONCE(vr->avail->idx);
		sq->last_used = sq->avail;
		sq->kick_avail = sq->avail;
		memset(sq->token, 0, sq->num * sizeof(sq->token[0]));
		memset(sq->ndescs, 0, sq->num * sizeof(sq->ndescs[0]));
		memset(sq->writable, 0, sq->num * sizeof(sq->writable[0]));
	}
}

void sem_before(struct sim_env *env, unsigned int q)
{
	struct sem_model *m = env->sem;

	if (!m || q >= SEM_QUEUES_MAX)
		return;
	m->kicks_before = m->t->kicks[q];
	m->fails_before = *m->alloc_fails;
	m->broken_before = m->q[q].vq && broken(&m->q[q]);
}

/* Descriptors a request of total entries takes: one indirect table, or
 * the entries themselves when there is no table (or it failed). */
static unsigned int descs_needed(const struct sem_queue *sq, unsigned int total,
				 bool alloc_failed)
{
	if (sq->indirect && total > 1 && sq->free > 0 && !alloc_failed)
		return 1;
	return total;
}

static int expected_add(struct sim_env *env, struct sem_queue *sq,
			unsigned int total, unsigned int *descs)
{
	struct sem_model *m = env->sem;
	bool failed = *m->alloc_fails != m->fails_before;
	bool tried_table = sq->indirect && total > 1 && sq->free > 0;

	if (m->broken_before)
		return -EIO;
	*descs = descs_needed(sq, total, failed);
	if (tried_table && failed && total > sq->num)
		return -ENOMEM; /* no direct chain can be that long */
	if (*descs > sq->free)
		return -ENOSPC;
	return (int)(sq->free - *descs);
}

static void add_published(struct sim_env *env, unsigned int q,
			  struct sem_queue *sq, u32 id, u32 writable,
			  unsigned int descs)
{
	struct vring *vr = ring_of(env, q);
	u16 head = READ_ONCE(vr->avail->ring[sq->avail & (sq->num - 1)]);

	sq->avail++;
	if (READ_ONCE(vr->avail->idx) != sq->avail) {
		oracle_fail(env->oracle, SEM,
			    "queue %u: add_buf left avail idx at %u, expected "
			    "%u",
			    q, READ_ONCE(vr->avail->idx), sq->avail);
		return;
	}
	if (head >= sq->num || sq->token[head]) {
		oracle_fail(env->oracle, SEM,
			    "queue %u: add_buf published head %u, which is "
			    "not a free descriptor",
			    q, head);
		return;
	}
	sq->token[head] = id + 1;
	sq->ndescs[head] = (u16)descs;
	sq->writable[head] = writable;
	sq->free -= descs;
	sq->held++;
	/* 65535 adds without a kick: the ring kicks by itself. */
	if (++sq->adds_since_kick == 0xffff) {
		sq->adds_since_kick = 0;
		sq->kick_avail = sq->avail;
	}
}

void sem_add(struct sim_env *env, unsigned int q, unsigned int out,
	     unsigned int in, u32 id, u32 writable, int ret)
{
	struct sem_queue *sq = queue_of(env, q);
	unsigned int descs = 0;
	int want;

	if (!sq)
		return;
	if (device_lied(env, q) && !env->sem->broken_before)
		return;
	env->sem->checks++;
	want = expected_add(env, sq, out + in, &descs);
	if (ret != want) {
		oracle_fail(env->oracle, SEM,
			    "queue %u: add_buf of %u+%u entries returned %d, "
			    "expected %d (%u of %u descriptors free%s%s)",
			    q, out, in, ret, want, sq->free, sq->num,
			    sq->indirect ? ", indirect" : "",
			    *env->sem->alloc_fails != env->sem->fails_before
				    ? ", an allocation failed"
				    : "");
		return;
	}
	if (ret == -ENOSPC && out &&
	    env->sem->t->kicks[q] == env->sem->kicks_before)
		oracle_fail(env->oracle, SEM,
			    "queue %u: add_buf returned -ENOSPC with readable "
			    "entries and did not notify the device",
			    q);
	if (ret >= 0)
		add_published(env, q, sq, id, writable, descs);
}

static bool kick_needed(struct sim_env *env, unsigned int q,
			struct sem_queue *sq)
{
	struct vring *vr = ring_of(env, q);

	if (env->sem->broken_before)
		return false;
	if (sq->event)
		return vring_need_event(READ_ONCE(vring_avail_event(vr)),
					sq->avail, sq->kick_avail);
	return !(READ_ONCE(vr->used->flags) & VRING_USED_F_NO_NOTIFY);
}

void sem_kick(struct sim_env *env, unsigned int q, bool split, bool needed)
{
	struct sem_queue *sq = queue_of(env, q);
	bool want, got;

	if (!sq || device_lied(env, q))
		return;
	if (sq->kick_unknown) {
		sq->kick_unknown = false;
		sq->kick_avail = sq->avail;
		return;
	}
	env->sem->checks++;
	want = kick_needed(env, q, sq);
	got = split ? needed : env->sem->t->kicks[q] != env->sem->kicks_before;
	if (want != got)
		oracle_fail(env->oracle, SEM,
			    "queue %u: %s %s, the rules say %s (avail %u, "
			    "last kick at %u%s)",
			    q, split ? "kick_prepare answered" : "kick",
			    got ? "notified" : "did not notify",
			    want ? "notify" : "do not", sq->avail,
			    sq->kick_avail, sq->event ? ", EVENT_IDX" : "");
	sq->kick_avail = sq->avail;
	sq->adds_since_kick = 0;
}

static void take_back(struct sem_queue *sq, u16 head)
{
	sq->free += sq->ndescs[head];
	sq->held--;
	sq->token[head] = 0;
	sq->ndescs[head] = 0;
	sq->writable[head] = 0;
}

void sem_get_buf(struct sim_env *env, unsigned int q, s64 id, u32 len)
{
	struct sem_queue *sq = queue_of(env, q);
	struct vring *vr;
	u32 head, want_len;
	u16 used;

	if (!sq || device_lied(env, q))
		return;
	env->sem->checks++;
	if (broken(sq)) {
		if (id != -1)
			oracle_fail(env->oracle, SEM,
				    "queue %u: get_buf returned a token from a "
				    "broken queue",
				    q);
		return;
	}
	vr = ring_of(env, q);
	used = READ_ONCE(vr->used->idx);
	if (id == -1) {
		/* NULL after it consumed what it saw is fine. */
		if (used != sq->last_used)
			oracle_fail(env->oracle, SEM,
				    "queue %u: get_buf returned NULL with %u "
				    "used entries waiting",
				    q, (u16)(used - sq->last_used));
		return;
	}
	if (used == sq->last_used) {
		oracle_fail(env->oracle, SEM,
			    "queue %u: get_buf returned token %lld with no "
			    "used entry",
			    q, (long long)id);
		return;
	}
	head = READ_ONCE(vr->used->ring[sq->last_used & (sq->num - 1)].id);
	if (head >= sq->num || sq->token[head] != (u32)id + 1) {
		oracle_fail(env->oracle, SEM,
			    "queue %u: get_buf returned token %lld, the used "
			    "entry names head %u (token %d)",
			    q, (long long)id, head,
			    head < sq->num ? (int)sq->token[head] - 1 : -1);
		return;
	}
	want_len = READ_ONCE(vr->used->ring[sq->last_used & (sq->num - 1)].len);
	if (want_len > sq->writable[head])
		want_len = sq->writable[head];
	if (len != want_len)
		oracle_fail(env->oracle, SEM,
			    "queue %u: get_buf returned len %u for token "
			    "%lld, expected %u",
			    q, len, (long long)id, want_len);
	sq->last_used++;
	take_back(sq, (u16)head);
}

void sem_enable_cb(struct sim_env *env, unsigned int q, bool delayed,
		   bool result)
{
	struct sem_queue *sq = queue_of(env, q);
	u16 waiting, bufs;
	bool want;

	if (!sq || device_lied(env, q))
		return;
	env->sem->checks++;
	if (broken(sq)) {
		want = true;
	} else {
		waiting = (u16)(READ_ONCE(ring_of(env, q)->used->idx) -
				sq->last_used);
		bufs = delayed ? (u16)(sq->held * 3 / 4) : 0;
		want = waiting <= bufs;
	}
	if (result != want)
		oracle_fail(env->oracle, SEM,
			    "queue %u: %s returned %s, expected %s", q,
			    delayed ? "enable_cb_delayed" : "enable_cb",
			    result ? "true" : "false", want ? "true" : "false");
}

void sem_detach(struct sim_env *env, unsigned int q, s64 id)
{
	struct sem_queue *sq = queue_of(env, q);
	unsigned int head;

	if (!sq || device_lied(env, q))
		return;
	env->sem->checks++;
	if (id == -1) {
		if (sq->held)
			oracle_fail(env->oracle, SEM,
				    "queue %u: detach_unused_buf returned "
				    "NULL with %u buffers still added",
				    q, sq->held);
		else if (sq->vq->num_free != sq->num)
			oracle_fail(env->oracle, SEM,
				    "queue %u: %u of %u descriptors free "
				    "after detaching every buffer",
				    q, sq->vq->num_free, sq->num);
		return;
	}
	for (head = 0; head < sq->num; head++)
		if (sq->token[head] == (u32)id + 1)
			break;
	if (head == sq->num) {
		oracle_fail(env->oracle, SEM,
			    "queue %u: detach_unused_buf returned token %lld, "
			    "which is not held",
			    q, (long long)id);
		return;
	}
	take_back(sq, (u16)head);
}

void sem_callback(struct sim_env *env, unsigned int q)
{
	struct sem_model *m = env->sem;

	if (!m || q >= SEM_QUEUES_MAX || !m->q[q].vq)
		return;
	m->checks++;
	m->q[q].callbacks++;
	if (broken(&m->q[q]))
		oracle_fail(env->oracle, SEM,
			    "queue %u: a callback ran on a broken queue", q);
}

void sem_irq_before(struct sim_env *env, unsigned int q, struct sem_irq *s)
{
	struct sem_queue *sq = queue_of(env, q);

	memset(s, 0, sizeof(*s));
	if (!sq || sq->blind || broken(sq) || !sq->vq->callback ||
	    !(env->sem->t->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	s->judged = true;
	s->used = READ_ONCE(ring_of(env, q)->used->idx);
	s->pending = s->used != sq->last_used;
	s->callbacks = sq->callbacks;
}

void sem_irq_after(struct sim_env *env, unsigned int q, const struct sem_irq *s,
		   irqreturn_t ret)
{
	struct sem_queue *sq = queue_of(env, q);
	bool called;

	if (!s->judged || !sq || sq->blind || broken(sq))
		return; /* what the ring read in the call broke the queue */
	env->sem->checks++;
	called = sq->callbacks != s->callbacks;
	if (s->pending && (ret != IRQ_HANDLED || !called))
		oracle_fail(env->oracle, SEM,
			    "queue %u: an interrupt with used entries waiting "
			    "answered %s%s",
			    q, ret == IRQ_HANDLED ? "IRQ_HANDLED" : "IRQ_NONE",
			    called ? "" : " without the callback");
	else if (!s->pending &&
		 READ_ONCE(ring_of(env, q)->used->idx) == s->used &&
		 (ret != IRQ_NONE || called))
		oracle_fail(env->oracle, SEM,
			    "queue %u: an interrupt with nothing used answered "
			    "%s%s",
			    q, ret == IRQ_HANDLED ? "IRQ_HANDLED" : "IRQ_NONE",
			    called ? " and ran the callback" : "");
}

void sem_burst(struct sim_env *env, unsigned int q)
{
	struct sem_queue *sq = queue_of(env, q);
	u16 moved;

	if (!sq)
		return;
	moved = (u16)(READ_ONCE(ring_of(env, q)->avail->idx) - sq->avail);
	sq->avail = (u16)(sq->avail + moved);
	sq->last_used = (u16)(sq->last_used + moved);
	sq->adds_since_kick = 0;
	sq->kick_unknown = true;
}
