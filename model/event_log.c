/*
 * event_log.c - the event stream of a run and its hash (see event_log.h).
 */
#include "event_log.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_HASH_PRIME 0x100000001b3ULL
/* The first allocation, in events; it doubles from there. */
#define EVENT_LOG_INITIAL 256

static const struct event_names *event_names_hook;

void event_log_init(struct event_log *log, size_t capacity_max)
{
	assert(log);
	memset(log, 0, sizeof(*log));
	if (capacity_max == 0 || capacity_max > EVENT_LOG_MAX)
		capacity_max = EVENT_LOG_MAX;
	log->capacity_max = capacity_max;
	log->hash = EVENT_HASH_INIT;
	log->grow = realloc;
}

void event_log_free(struct event_log *log)
{
	assert(log);
	free(log->events);
	memset(log, 0, sizeof(*log));
}

static void put_le(u8 *out, u64 value, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		out[i] = (u8)(value >> (8 * i));
}

void event_encode(const struct sim_event *ev, u8 out[EVENT_ENCODED_BYTES])
{
	put_le(out + 0, ev->seq, 4);
	put_le(out + 4, ev->step, 4);
	put_le(out + 8, ev->actor, 2);
	put_le(out + 10, ev->kind, 2);
	put_le(out + 12, ev->queue, 2);
	put_le(out + 14, ev->pad, 2);
	put_le(out + 16, ev->a, 8);
	put_le(out + 24, ev->b, 8);
	put_le(out + 32, ev->c, 8);
}

u64 event_hash_update(u64 hash, const struct sim_event *ev)
{
	u8 bytes[EVENT_ENCODED_BYTES];
	size_t i;

	event_encode(ev, bytes);
	for (i = 0; i < sizeof(bytes); i++) {
		hash ^= bytes[i];
		hash *= EVENT_HASH_PRIME;
	}
	return hash;
}

/* Makes room for one more stored event; false when storing must stop. */
static bool log_reserve(struct event_log *log)
{
	size_t want;
	struct sim_event *events;

	if (log->stored >= log->capacity_max)
		return false;
	if (log->stored < log->capacity)
		return true;
	want = log->capacity ? log->capacity * 2 : EVENT_LOG_INITIAL;
	if (want > log->capacity_max)
		want = log->capacity_max;
	assert(want > log->stored);
	events = log->grow(log->events, want * sizeof(*events));
	if (!events)
		return false;
	log->events = events;
	log->capacity = want;
	return true;
}

void event_log_count_only(struct event_log *log)
{
	assert(log->count == 0);
	log->counting_only = true;
	log->truncated = true; /* nothing is stored (note 2) */
}

u32 event_log_add(struct event_log *log, u32 step, u16 actor, u16 kind,
		  u16 queue, u64 a, u64 b, u64 c)
{
	struct sim_event ev;

	assert(log);
	assert(log->capacity_max != 0); /* initialised */
	if (log->counting_only)
		return (u32)log->count++;
	memset(&ev, 0, sizeof(ev));
	ev.seq = (u32)log->count; /* note 3: wraps, by design */
	ev.step = step;
	ev.actor = actor;
	ev.kind = kind;
	ev.queue = queue;
	ev.a = a;
	ev.b = b;
	ev.c = c;

	log->hash = event_hash_update(log->hash, &ev);
	log->count++;
	if (!log->truncated && log_reserve(log))
		log->events[log->stored++] = ev;
	else
		log->truncated = true;
	assert(log->stored <= log->count);
	return ev.seq;
}

u64 event_log_hash(const struct event_log *log)
{
	return log->hash;
}

u64 event_log_count(const struct event_log *log)
{
	return log->count;
}

size_t event_log_stored(const struct event_log *log)
{
	assert(log->stored <= log->capacity_max);
	return log->stored;
}

bool event_log_complete(const struct event_log *log)
{
	return !log->truncated;
}

const struct sim_event *event_log_get(const struct event_log *log, size_t i)
{
	if (i >= log->stored)
		return NULL;
	return &log->events[i];
}

void event_names_set(const struct event_names *names)
{
	event_names_hook = names;
}

void event_log_set_realloc(struct event_log *log, event_realloc_fn grow)
{
	assert(log->capacity_max != 0);
	log->grow = grow ? grow : realloc;
}

static const char *name_of(event_name_fn fn, u16 value)
{
	return fn ? fn(value) : NULL;
}

/* "name(7)" when named, "7" otherwise. */
static void format_name(char *out, size_t n, event_name_fn fn, u16 value)
{
	const char *name = name_of(fn, value);

	if (name)
		snprintf(out, n, "%s(%u)", name, (unsigned int)value);
	else
		snprintf(out, n, "%u", (unsigned int)value);
}

/* Small operands (ids, lengths, indices) in decimal, large ones
 * (addresses, masks) in hex. */
static void format_operand(char *out, size_t n, u64 value)
{
	if (value < (1u << 20))
		snprintf(out, n, "%" PRIu64, value);
	else
		snprintf(out, n, "0x%" PRIx64, value);
}

int event_log_format(const struct sim_event *ev, char *buf, size_t n)
{
	const struct event_names *names = event_names_hook;
	char actor[48], kind[48], a[24], b[24], c[24];

	assert(ev);
	assert(buf || n == 0);
	format_name(actor, sizeof(actor), names ? names->actor : NULL,
		    ev->actor);
	format_name(kind, sizeof(kind), names ? names->kind : NULL, ev->kind);
	format_operand(a, sizeof(a), ev->a);
	format_operand(b, sizeof(b), ev->b);
	format_operand(c, sizeof(c), ev->c);
	return snprintf(buf, n,
			"#%" PRIu32 " step=%" PRIu32
			" actor=%s kind=%s q=%u a=%s b=%s c=%s",
			ev->seq, ev->step, actor, kind, (unsigned int)ev->queue,
			a, b, c);
}
