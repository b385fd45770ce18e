/*
 * test_event_log.c - the event log: its hash (byte for byte), storage,
 * the capacity cap, allocation failure and the readable line.
 */
#include "harness.h"

#include "event_log.h"

#include <stdlib.h>
#include <string.h>

#define TESTS(X)                                                               \
	X(empty_log_hash_is_fnv_offset_basis)                                  \
	X(fixed_events_give_fixed_hash)                                        \
	X(hash_matches_independent_computation)                                \
	X(encoding_is_little_endian)                                           \
	X(changing_any_field_changes_the_hash)                                 \
	X(order_of_events_changes_the_hash)                                    \
	X(events_are_stored_in_order)                                          \
	X(cap_keeps_counting_and_hashing)                                      \
	X(alloc_failure_keeps_counting_and_hashing)                            \
	X(count_only_counts_and_neither_stores_nor_hashes)                     \
	X(format_prints_numbers_without_names)                                 \
	X(format_uses_the_name_hook)                                           \
	X(format_truncates_like_snprintf)

TESTS(HARNESS_DECLARE)

struct fixed_event {
	u32 step;
	u16 actor, kind, queue;
	u64 a, b, c;
};

static const struct fixed_event fixed[3] = {
	{ 0, 1, 2, 0, 0, 0, 0 },
	{ 1, 2, 5, 1, 0x100000, 4096, 1 },
	{ 7, 3, 9, 2, UINT64_MAX, 1ULL << 63, 42 },
};

/* The hash after each of the fixed events, computed independently in
 * Python (struct.pack('<IIHHHHQQQ', ...) then FNV-1a 64). */
static const u64 fixed_hashes[3] = {
	0x2947c407625a86f6ULL,
	0xfc04c3384e3ae8e9ULL,
	0xbe223df861e753ceULL,
};

static void add_fixed(struct event_log *log, const struct fixed_event *f)
{
	event_log_add(log, f->step, f->actor, f->kind, f->queue, f->a, f->b,
		      f->c);
}

static void empty_log_hash_is_fnv_offset_basis(void)
{
	struct event_log log;

	event_log_init(&log, 0);
	CHECK_EQ(0xcbf29ce484222325ULL, event_log_hash(&log));
	CHECK_EQ(0, event_log_count(&log));
	CHECK(event_log_get(&log, 0) == NULL);
	event_log_free(&log);
}

static void fixed_events_give_fixed_hash(void)
{
	struct event_log log;

	event_log_init(&log, 0);
	for (int i = 0; i < 3; i++) {
		add_fixed(&log, &fixed[i]);
		CHECK_EQ(fixed_hashes[i], event_log_hash(&log));
	}
	CHECK_EQ(3, event_log_count(&log));
	event_log_free(&log);
}

/* FNV-1a written out field by field, sharing no code with the library. */
static u64 ref_fnv(u64 h, u64 value, int bytes)
{
	for (int i = 0; i < bytes; i++) {
		h ^= (value >> (8 * i)) & 0xff;
		h *= 1099511628211ULL;
	}
	return h;
}

static u64 ref_hash(const struct fixed_event *f, int n)
{
	u64 h = 14695981039346656037ULL;

	for (int i = 0; i < n; i++) {
		h = ref_fnv(h, (u64)i, 4);
		h = ref_fnv(h, f[i].step, 4);
		h = ref_fnv(h, f[i].actor, 2);
		h = ref_fnv(h, f[i].kind, 2);
		h = ref_fnv(h, f[i].queue, 2);
		h = ref_fnv(h, 0, 2);
		h = ref_fnv(h, f[i].a, 8);
		h = ref_fnv(h, f[i].b, 8);
		h = ref_fnv(h, f[i].c, 8);
	}
	return h;
}

static void hash_matches_independent_computation(void)
{
	struct fixed_event many[500];
	struct event_log log;

	for (int i = 0; i < 3; i++)
		CHECK_EQ(fixed_hashes[i], ref_hash(fixed, i + 1));

	event_log_init(&log, 0);
	for (int i = 0; i < 500; i++) {
		many[i] = (struct fixed_event){
			.step = (u32)(i / 3),
			.actor = (u16)(i % 4),
			.kind = (u16)(i * 7 % 13),
			.queue = (u16)(i % 3),
			.a = (u64)i * 0x9e3779b97f4a7c15ULL,
			.b = (u64)i << 40,
			.c = UINT64_MAX - (u64)i,
		};
		add_fixed(&log, &many[i]);
	}
	CHECK_EQ(ref_hash(many, 500), event_log_hash(&log));
	event_log_free(&log);
}

static void encoding_is_little_endian(void)
{
	static const u8 expected[EVENT_ENCODED_BYTES] = {
		0x04, 0x03, 0x02, 0x01,				/* seq */
		0x08, 0x07, 0x06, 0x05,				/* step */
		0x0a, 0x09,					/* actor */
		0x0c, 0x0b,					/* kind */
		0x0e, 0x0d,					/* queue */
		0x00, 0x00,					/* pad */
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* a */
		0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21, /* b */
		0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32, 0x31, /* c */
	};
	struct sim_event ev = {
		.seq = 0x01020304,
		.step = 0x05060708,
		.actor = 0x090a,
		.kind = 0x0b0c,
		.queue = 0x0d0e,
		.a = 0x1112131415161718ULL,
		.b = 0x2122232425262728ULL,
		.c = 0x3132333435363738ULL,
	};
	u8 out[EVENT_ENCODED_BYTES];

	event_encode(&ev, out);
	CHECK(memcmp(expected, out, sizeof(out)) == 0);
}

static void changing_any_field_changes_the_hash(void)
{
	const struct sim_event base = { 3, 4, 1, 2, 0, 0, 10, 20, 30 };
	const u64 base_hash = event_hash_update(EVENT_HASH_INIT, &base);
	struct sim_event ev;
	u64 seen[10];
	int n = 0;

	seen[n++] = base_hash;
	for (int field = 0; field < 9; field++) {
		ev = base;
		switch (field) {
		case 0:
			ev.seq ^= 1u << 31;
			break;
		case 1:
			ev.step++;
			break;
		case 2:
			ev.actor++;
			break;
		case 3:
			ev.kind++;
			break;
		case 4:
			ev.queue++;
			break;
		case 5:
			ev.pad++;
			break;
		case 6:
			ev.a ^= 1ULL << 63;
			break;
		case 7:
			ev.b++;
			break;
		default:
			ev.c++;
			break;
		}
		seen[n] = event_hash_update(EVENT_HASH_INIT, &ev);
		for (int j = 0; j < n; j++)
			CHECK(seen[j] != seen[n]);
		n++;
	}
	CHECK_EQ(10, n);
}

static void order_of_events_changes_the_hash(void)
{
	struct event_log forward, backward;

	event_log_init(&forward, 0);
	event_log_init(&backward, 0);
	add_fixed(&forward, &fixed[1]);
	add_fixed(&forward, &fixed[2]);
	add_fixed(&backward, &fixed[2]);
	add_fixed(&backward, &fixed[1]);
	CHECK(event_log_hash(&forward) != event_log_hash(&backward));
	event_log_free(&forward);
	event_log_free(&backward);
}

static void events_are_stored_in_order(void)
{
	struct event_log log;
	const struct sim_event *ev;

	event_log_init(&log, 0);
	for (u32 i = 0; i < 1000; i++)
		CHECK_EQ(i,
			 event_log_add(&log, i / 2, 1, 2, 3, i, i + 1, i + 2));
	CHECK_EQ(1000, event_log_stored(&log));
	CHECK(event_log_complete(&log));
	for (u32 i = 0; i < 1000; i++) {
		ev = event_log_get(&log, i);
		CHECK(ev);
		CHECK_EQ(i, ev->seq);
		CHECK_EQ(i / 2, ev->step);
		CHECK_EQ(0, ev->pad);
		CHECK_EQ(i + 2, ev->c);
	}
	CHECK(event_log_get(&log, 1000) == NULL);
	event_log_free(&log);
}

static void cap_keeps_counting_and_hashing(void)
{
	struct event_log log;

	event_log_init(&log, 2);
	for (int i = 0; i < 3; i++)
		add_fixed(&log, &fixed[i]);
	CHECK_EQ(fixed_hashes[2], event_log_hash(&log));
	CHECK_EQ(3, event_log_count(&log));
	CHECK_EQ(2, event_log_stored(&log));
	CHECK(!event_log_complete(&log));
	CHECK(event_log_get(&log, 1) != NULL);
	CHECK_EQ(1, event_log_get(&log, 1)->seq);
	CHECK(event_log_get(&log, 2) == NULL);
	event_log_free(&log);
}

static void *fail_always(void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
	return NULL;
}

static void alloc_failure_keeps_counting_and_hashing(void)
{
	struct event_log log;

	event_log_init(&log, 0);
	event_log_set_realloc(&log, fail_always);
	for (int i = 0; i < 3; i++)
		add_fixed(&log, &fixed[i]);
	CHECK_EQ(fixed_hashes[2], event_log_hash(&log));
	CHECK_EQ(3, event_log_count(&log));
	CHECK_EQ(0, event_log_stored(&log));
	CHECK(!event_log_complete(&log));
	event_log_free(&log);
}

static void count_only_counts_and_neither_stores_nor_hashes(void)
{
	struct event_log log;
	unsigned int i;

	event_log_init(&log, 0);
	event_log_count_only(&log);
	for (i = 0; i < 3; i++)
		CHECK_EQ(i, event_log_add(&log, fixed[i].step, fixed[i].actor,
					  fixed[i].kind, fixed[i].queue,
					  fixed[i].a, fixed[i].b, fixed[i].c));
	CHECK_EQ(3, event_log_count(&log));
	CHECK_EQ(0, event_log_stored(&log));
	CHECK(!event_log_complete(&log));
	CHECK_EQ(EVENT_HASH_INIT, event_log_hash(&log));
	CHECK(event_log_get(&log, 0) == NULL);
	event_log_free(&log);
}

static void format_prints_numbers_without_names(void)
{
	struct event_log log;
	char line[128];
	int len;

	event_log_init(&log, 0);
	add_fixed(&log, &fixed[0]);
	add_fixed(&log, &fixed[1]);
	len = event_log_format(event_log_get(&log, 1), line, sizeof(line));
	CHECK(strcmp(line, "#1 step=1 actor=2 kind=5 q=1 a=0x100000 b=4096 "
			   "c=1") == 0);
	CHECK_EQ(strlen(line), len);
	event_log_free(&log);
}

static const char *actor_name(u16 value)
{
	return value == 2 ? "device" : NULL;
}

static const char *kind_name(u16 value)
{
	return value == 5 ? "used_write" : NULL;
}

static void format_uses_the_name_hook(void)
{
	const struct event_names names = { actor_name, kind_name };
	const struct sim_event named = { 9, 4, 2, 5, 0, 0, 1, 2, 3 };
	const struct sim_event unnamed = { 9, 4, 3, 6, 0, 0, 1, 2, 3 };
	char line[128];

	event_names_set(&names);
	event_log_format(&named, line, sizeof(line));
	CHECK(strcmp(line, "#9 step=4 actor=device(2) kind=used_write(5) "
			   "q=0 a=1 b=2 c=3") == 0);
	event_log_format(&unnamed, line, sizeof(line));
	CHECK(strcmp(line, "#9 step=4 actor=3 kind=6 q=0 a=1 b=2 c=3") == 0);
	event_names_set(NULL);
	event_log_format(&named, line, sizeof(line));
	CHECK(strcmp(line, "#9 step=4 actor=2 kind=5 q=0 a=1 b=2 c=3") == 0);
}

static void format_truncates_like_snprintf(void)
{
	const struct sim_event ev = { 0, 0, 1, 1, 0, 0, UINT64_MAX, 0, 0 };
	char line[8];
	int len;

	memset(line, 'x', sizeof(line));
	len = event_log_format(&ev, line, sizeof(line));
	CHECK(strcmp(line, "#0 step") == 0);
	CHECK_EQ(strlen("#0 step=0 actor=1 kind=1 q=0 a=0xffffffffffffffff "
			"b=0 c=0"),
		 len);
	CHECK_EQ(len, event_log_format(&ev, NULL, 0));
}

HARNESS_MAIN(TESTS)
