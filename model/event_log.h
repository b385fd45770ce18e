/*
 * event_log.h - the event stream of one run, and its hash.
 *
 * Every step of the world appends events here. Two runs behaved the same
 * when their logs hash the same, so the hash is defined byte for byte:
 *
 * 1. FNV-1a 64 (offset basis EVENT_HASH_INIT, prime 0x100000001b3) over
 *    each event in order, each event as 40 bytes, every field
 *    little-endian:
 *
 *      offset  size  field
 *           0     4  seq     index of the event in the run, from 0
 *           4     4  step    scheduler step that emitted it
 *           8     2  actor   who acted (numbering defined by the world)
 *          10     2  kind    what happened (numbering defined by the world)
 *          12     2  queue   virtqueue index, or 0 where none applies
 *          14     2  pad     always 0
 *          16     8  a       three kind-specific operands
 *          24     8  b
 *          32     8  c
 *
 *    The encoding is explicit, so padding, build type and compiler never
 *    reach the hash.
 * 2. The log stores at most the capacity it was created with. Past it,
 *    or when growing fails, it keeps counting and hashing but stores no
 *    more events (event_log_complete() turns false): the hash and count
 *    still describe the whole run.
 * 3. seq is the event's index modulo 2^32; a run is bounded by its step
 *    budget far below that.
 * 4. Actor and kind stay numbers here. event_names_set() installs a hook
 *    that names them in event_log_format(); without one, numbers print.
 * 5. A log set to count only (event_log_count_only) neither stores nor
 *    hashes: its hash stays EVENT_HASH_INIT. It is for a caller that reads
 *    neither, a fuzz target, where hashing cost a run a sixth of its time.
 */
#ifndef RINGSIDE_MODEL_EVENT_LOG_H
#define RINGSIDE_MODEL_EVENT_LOG_H

#include <linux/types.h>

#define EVENT_HASH_INIT 0xcbf29ce484222325ULL
/* Bytes of one event's encoding (note 1). */
#define EVENT_ENCODED_BYTES 40
/* Default and largest capacity: 2^20 events, 40 MiB. */
#define EVENT_LOG_MAX ((size_t)1 << 20)

struct sim_event {
	u32 seq;
	u32 step;
	u16 actor;
	u16 kind;
	u16 queue;
	u16 pad;
	u64 a, b, c;
};

typedef void *(*event_realloc_fn)(void *ptr, size_t size);

struct event_log {
	struct sim_event *events;
	size_t stored;	 /* events kept, <= capacity_max */
	size_t capacity; /* events allocated */
	size_t capacity_max;
	u64 count; /* every event appended */
	u64 hash;
	bool truncated;	    /* an event was not stored (note 2) */
	bool counting_only; /* note 5 */
	event_realloc_fn grow;
};

/* The name of an actor or kind number, or NULL to print the number. */
typedef const char *(*event_name_fn)(u16 value);

struct event_names {
	event_name_fn actor;
	event_name_fn kind;
};

/* capacity_max 0 means EVENT_LOG_MAX; larger values are cut to it. */
void event_log_init(struct event_log *log, size_t capacity_max);
void event_log_free(struct event_log *log);

/* Note 5: from now on the log only counts (call it before any event). */
void event_log_count_only(struct event_log *log);

/* Appends an event (seq is assigned, pad is 0); returns its seq. */
u32 event_log_add(struct event_log *log, u32 step, u16 actor, u16 kind,
		  u16 queue, u64 a, u64 b, u64 c);

u64 event_log_hash(const struct event_log *log);
u64 event_log_count(const struct event_log *log);
size_t event_log_stored(const struct event_log *log);
bool event_log_complete(const struct event_log *log);
/* Stored event i, or NULL when i >= event_log_stored(). */
const struct sim_event *event_log_get(const struct event_log *log, size_t i);

/* Folds one event into an FNV-1a 64 hash (note 1). */
u64 event_hash_update(u64 hash, const struct sim_event *ev);
/* Writes the encoding of note 1 into out. */
void event_encode(const struct sim_event *ev, u8 out[EVENT_ENCODED_BYTES]);

/*
 * One readable line (no newline) into buf, snprintf-style: always
 * terminated when n > 0, returns the length the full line needs.
 */
int event_log_format(const struct sim_event *ev, char *buf, size_t n);
/* Installs the name hook (note 4); NULL restores numbers. Not
 * thread-safe; meant to be set once at start-up. */
void event_names_set(const struct event_names *names);

/* Replaces realloc() for the log (NULL: realloc); for fault injection. */
void event_log_set_realloc(struct event_log *log, event_realloc_fn grow);

#endif /* RINGSIDE_MODEL_EVENT_LOG_H */
