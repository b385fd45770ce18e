/*
 * oracle.c - the token ledger, free-descriptor accounting and bounded
 * progress (see oracle.h).
 */
#include "oracle.h"

#include <assert.h>
#include <linux/virtio.h>
#include <ringside/ring_diag.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void oracle_init(struct oracle *o, u64 stall_steps)
{
	memset(o, 0, sizeof(*o));
	o->stall_steps = stall_steps;
}

bool oracle_fail(struct oracle *o, const char *name, const char *fmt, ...)
{
	va_list ap;

	assert(name != NULL);
	if (o->failed)
		return false;
	o->failed = true;
	o->name = name;
	o->fail_step = o->step;
	va_start(ap, fmt);
	vsnprintf(o->message, sizeof(o->message), fmt, ap);
	va_end(ap);
	return true;
}

static bool token_id_ok(struct oracle *o, u32 id)
{
	if (id < ORACLE_TOKENS_MAX)
		return true;
	oracle_fail(o, "token-conservation", "token %u outside the ledger", id);
	return false;
}

void oracle_token_added(struct oracle *o, u32 id)
{
	if (!token_id_ok(o, id))
		return;
	if (o->token[id] == ORACLE_TOKEN_OUT) {
		oracle_fail(o, "token-conservation",
			    "token %u added again while outstanding: its "
			    "first add is lost",
			    id);
		return;
	}
	o->token[id] = ORACLE_TOKEN_OUT;
	o->outstanding++;
	o->added++;
}

static void token_back(struct oracle *o, u32 id, const char *how)
{
	if (!token_id_ok(o, id))
		return;
	if (o->token[id] != ORACLE_TOKEN_OUT) {
		oracle_fail(o, "token-returned-twice",
			    "token %u returned by %s but it is not "
			    "outstanding (%s)",
			    id, how,
			    o->token[id] == ORACLE_TOKEN_BACK
				    ? "already returned"
				    : "never added");
		return;
	}
	o->token[id] = ORACLE_TOKEN_BACK;
	assert(o->outstanding > 0);
	o->outstanding--;
	o->last_progress = o->step;
}

void oracle_token_got(struct oracle *o, u32 id)
{
	token_back(o, id, "get_buf");
	o->got++;
}

void oracle_token_detached(struct oracle *o, u32 id)
{
	token_back(o, id, "detach_unused_buf");
	o->detached++;
}

void oracle_tokens_finish(struct oracle *o)
{
	u32 id;

	for (id = 0; id < ORACLE_TOKENS_MAX; id++) {
		if (o->token[id] == ORACLE_TOKEN_OUT) {
			oracle_fail(o, "token-conservation",
				    "token %u never came back (%llu "
				    "outstanding at teardown)",
				    id, (unsigned long long)o->outstanding);
			return;
		}
	}
}

void oracle_queue_teardown(struct oracle *o, struct virtqueue *vq)
{
	const char *broken = virtqueue_check_invariants(vq);
	unsigned int size = virtqueue_get_vring_size(vq);

	if (broken) {
		oracle_fail(o, "free-descriptors", "queue %u: %s", vq->index,
			    broken);
		return;
	}
	if (vq->num_free != size || virtqueue_outstanding(vq) != 0)
		oracle_fail(o, "free-descriptors",
			    "queue %u: %u of %u descriptors free, %u chains "
			    "outstanding after teardown",
			    vq->index, vq->num_free, size,
			    virtqueue_outstanding(vq));
}

void oracle_progress_device(struct oracle *o)
{
	o->last_progress = o->step;
}

void oracle_progress_tick(struct oracle *o, bool waiting, bool excused)
{
	if (!waiting) {
		o->last_progress = o->step;
		return;
	}
	if (o->step - o->last_progress <= o->stall_steps)
		return;
	if (excused) {
		o->device_stalls++;
		o->last_progress = o->step;
		return;
	}
	oracle_fail(o, "stall",
		    "the driver waited %llu steps with %llu tokens "
		    "outstanding and none came back",
		    (unsigned long long)(o->step - o->last_progress),
		    (unsigned long long)o->outstanding);
}
