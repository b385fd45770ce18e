/*
 * oracle.h - the checks that decide whether a run of the world failed.
 *
 * An oracle keeps the first failure only: its name (a short fixed string,
 * e.g. "token-conservation") and a message. Later checks still run but
 * change nothing, so a run reports the cause, not its consequences.
 *
 * Oracles of this module:
 *
 *   token-conservation     a token added is never returned, or added again
 *                          while still outstanding (the first add is lost)
 *   token-returned-twice   a token came back that was not outstanding
 *   free-descriptors       after teardown the queue's private state is not
 *                          consistent or not every descriptor is free
 *   stall                  the driver waited with buffers outstanding for
 *                          more than stall_steps steps without one coming
 *                          back, while the device was not making progress
 *                          the driver had legally not been told about yet
 *
 * The world adds its own names through oracle_fail() ("warn", "leak",
 * "driver-rule").
 *
 * Tokens are named by small integer ids (< ORACLE_TOKENS_MAX), never by
 * pointer, so that a failure message is the same in every run.
 */
#ifndef RINGSIDE_MODEL_ORACLE_H
#define RINGSIDE_MODEL_ORACLE_H

#include <linux/types.h>

struct virtqueue;

#define ORACLE_TOKENS_MAX 1024u
#define ORACLE_MESSAGE_BYTES 200

enum oracle_token_state {
	ORACLE_TOKEN_NEVER = 0, /* never added */
	ORACLE_TOKEN_OUT,	/* added, not yet returned */
	ORACLE_TOKEN_BACK,	/* returned (may be added again) */
};

struct oracle {
	bool failed;
	const char *name; /* the first failure's oracle, NULL while none */
	char message[ORACLE_MESSAGE_BYTES];
	u64 fail_step;
	u64 step; /* the current step, set by the world */

	u8 token[ORACLE_TOKENS_MAX]; /* enum oracle_token_state per id */
	u64 outstanding;
	u64 added, got, detached;

	u64 stall_steps;
	u64 last_progress; /* step of the latest progress */
	u64 device_stalls; /* stalls the device caused: not failures */
};

void oracle_init(struct oracle *o, u64 stall_steps);

/* Records a failure unless one is already kept; returns true when this
 * call's failure was kept. */
__attribute__((format(printf, 3, 4))) bool
oracle_fail(struct oracle *o, const char *name, const char *fmt, ...);

/* The token ledger. */
void oracle_token_added(struct oracle *o, u32 id);
void oracle_token_got(struct oracle *o, u32 id);      /* via get_buf */
void oracle_token_detached(struct oracle *o, u32 id); /* via detach */
/* At teardown: every token added has come back. */
void oracle_tokens_finish(struct oracle *o);

/* At teardown, after detach_unused_buf returned NULL and before the queue
 * is deleted: invariants hold and every descriptor is free. */
void oracle_queue_teardown(struct oracle *o, struct virtqueue *vq);

/* Bounded progress: called once per step with whether the driver waits
 * (has buffers outstanding). A token returned counts as progress. A stall
 * the device caused (excused) is counted in device_stalls, not failed. */
void oracle_progress_tick(struct oracle *o, bool waiting, bool excused);
/* Progress on the device's side that the driver need not know of yet: the
 * device completed requests and no interrupt is due under the notification
 * rules (e.g. enable_cb_delayed asked for one only after 3/4 of the
 * outstanding buffers) and the driver need not poll. Waiting for a slow
 * device is then legal, not a stall. */
void oracle_progress_device(struct oracle *o);

#endif /* RINGSIDE_MODEL_ORACLE_H */
