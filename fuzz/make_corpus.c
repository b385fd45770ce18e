/*
 * make_corpus.c - writes the seed corpora of the fuzz targets:
 * OUT/ring/, OUT/bus/ and OUT/world/ (tools/make_corpus runs it and
 * installs the result as corpus/<target>/).
 *
 * Everything comes from fixed PRNG seeds (splitmix64), so the output is
 * the same on every machine and every run:
 *
 *   ring   programs (fuzz_ops.h) for queue sizes 1 .. 1024 and 32768 with
 *          every feature combination: mostly honest traffic (add, kick,
 *          take, complete out of order, get_buf, callbacks), each seed
 *          with one kind of hostile write mixed in, and one seed per
 *          documented misuse;
 *   bus    programs registering devices (honest, lying, refusing, with
 *          hostile queue sizes) and drivers (matching, failing, finding
 *          queues) in varied orders, and one seed per misuse;
 *   world  the recorded choices of seeded runs of the world, encoded the
 *          way choice_init_bytes reads them (each draw in the bytes its
 *          bound needs, little-endian), so that each seed replays its run
 *          exactly in fuzz_world; runs that fail are left out (and named).
 *   trace  small real trace files (replay/trace.h) made through the trace
 *          API: short seeded runs with their events, a failing run with
 *          its choices, a fuzz run with its input; and copies of one of
 *          them damaged the ways trace.h promises to survive (a blob of
 *          the wrong size, negative counts, an unknown source or event
 *          kind, another application id or schema version, events beyond
 *          the count, a wrong hash, a missing table, truncation, flipped
 *          bytes). Each file is made self-contained and small (rollback
 *          journal, 512-byte pages, vacuumed), and nothing in it depends
 *          on the clock (duration_us is 0).
 *   shim   programs (fuzz_ops.h, enum shim_op, after a header byte: which
 *          arena an input starts with) of one theme each: the
 *          default arena, the target's own arena (mapped and identity),
 *          created arenas, every refused set-up, filling an arena, the
 *          failure hook, every misuse of free, translation at every edge,
 *          every printk call and the default log hook, every report;
 *          then mixed programs of random operations.
 *
 * Usage: make_corpus OUT   (OUT/ring, OUT/bus, OUT/world, OUT/trace and
 * OUT/shim must exist)
 */
#include "fuzz_ops.h"

#include <choice.h>
#include <replay.h>
#include <trace.h>
#include <world.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEED_BYTES_MAX 8192

struct seed {
	u8 b[SEED_BYTES_MAX];
	size_t n;
	u64 prng;
};

static u64 mc_next(struct seed *s)
{
	u64 z = (s->prng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned int mc_below(struct seed *s, unsigned int bound)
{
	return (unsigned int)(mc_next(s) % bound);
}

static void put(struct seed *s, unsigned int byte)
{
	if (s->n < SEED_BYTES_MAX)
		s->b[s->n++] = (u8)byte;
}

static void put16(struct seed *s, unsigned int v)
{
	put(s, v & 0xff);
	put(s, (v >> 8) & 0xff);
}

static void put_n(struct seed *s, u64 v, unsigned int n)
{
	while (n--) {
		put(s, (unsigned int)(v & 0xff));
		v >>= 8;
	}
}

static int write_seed(const char *dir, const char *target, const char *name,
		      const struct seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

/* --- ring ---------------------------------------------------------------- */

static void ring_honest_op(struct seed *s)
{
	switch (mc_below(s, 10)) {
	case 0:
	case 1:
	case 2:
		put(s, RING_OP_ADD);
		put(s, mc_below(s, 256)); /* api and alloc failure */
		put(s, mc_below(s, 4));
		put(s, mc_below(s, 4));
		put(s, mc_below(s, 256));
		break;
	case 3:
		put(s, RING_OP_KICK_PREPARE);
		put(s, mc_below(s, 2));
		break;
	case 4:
		put(s, RING_OP_DEV_TAKE);
		put(s, mc_below(s, 8));
		break;
	case 5:
		put(s, RING_OP_DEV_COMPLETE);
		put(s, mc_below(s, 256));
		put(s, mc_below(s, 256));
		break;
	case 6:
		put(s, RING_OP_GET_BUF);
		put(s, RING_OP_GET_BUF);
		break;
	case 7:
		put(s, RING_OP_ENABLE_CB + mc_below(s, 2));
		break;
	case 8:
		put(s, mc_below(s, 2) ? RING_OP_DISABLE_CB : RING_OP_INTERRUPT);
		break;
	default:
		put(s,
		    mc_below(s, 2) ? RING_OP_KICK : RING_OP_DEV_COMPLETE_ALL);
		put(s, mc_below(s, 256));
		break;
	}
}

/* One hostile write of the kind this seed practises. */
static void ring_hostile_op(struct seed *s, unsigned int kind)
{
	unsigned int i;

	put(s, RING_OP_RAW_USED_ELEM + kind);
	switch (RING_OP_RAW_USED_ELEM + kind) {
	case RING_OP_RAW_USED_ELEM:
		put16(s, mc_below(s, 4));
		put(s, mc_below(s, 3));
		for (i = 0; i < 8; i++)
			put(s, mc_below(s, 4) ? 0 : mc_below(s, 256));
		break;
	case RING_OP_RAW_USED_IDX:
	case RING_OP_RAW_AVAIL_EVENT:
		put(s, mc_below(s, 4));
		put16(s, mc_below(s, 2) ? mc_below(s, 5) : 0xffff);
		break;
	case RING_OP_RAW_USED_FLAGS:
		put16(s, mc_below(s, 2));
		break;
	case RING_OP_RAW_DESC:
		put16(s, mc_below(s, 8));
		put(s, mc_below(s, 4));
		put_n(s, mc_next(s), 8);
		break;
	case RING_OP_RAW_AVAIL:
		put16(s, mc_below(s, 2) ? 0xffff : mc_below(s, 8));
		put16(s, mc_below(s, 8));
		break;
	default:
		break; /* RING_OP_BREAK */
	}
}

static int make_ring(const char *out)
{
	static const unsigned int codes[] = { 0, 1, 2, 3, 4, 6, 8, 10, 15 };
	unsigned int c, f, i, hostile = 0;
	struct seed s;
	char name[64];
	int bad = 0;

	for (c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
		for (f = 0; f < 16; f++) {
			memset(&s, 0, sizeof(s));
			s.prng = 1000 + c * 16 + f;
			put(&s, codes[c] | f << 4);
			for (i = 0; i < (codes[c] == 15 ? 20 : 160); i++) {
				if (mc_below(&s, 12) == 0)
					ring_hostile_op(&s, hostile % 7);
				else
					ring_honest_op(&s);
			}
			hostile++;
			snprintf(name, sizeof(name), "seed-%02u-%x", codes[c],
				 f);
			bad |= write_seed(out, "ring", name, &s);
		}
	}
	/* One seed per misuse (fuzz_ring.c ring_op_misuse), with and without
	 * indirect descriptors, on a queue of 4 holding one buffer. */
	for (i = 0; i < 34; i++) {
		memset(&s, 0, sizeof(s));
		put(&s, 2 | (i % 2 ? 0x10 : 0x00));
		put(&s, RING_OP_ADD);
		put(&s, 0);
		put(&s, 1);
		put(&s, 0);
		put(&s, 8);
		put(&s, RING_OP_MISUSE);
		put(&s, i / 2);
		snprintf(name, sizeof(name), "misuse-%02u-%s", i / 2,
			 i % 2 ? "indirect" : "direct");
		bad |= write_seed(out, "ring", name, &s);
	}
	/* The rest of the API (RING_OP_QUERY), amid traffic; the last one
	 * deletes the queue with buffers outstanding. */
	for (i = 0; i < 5; i++) {
		unsigned int j;

		memset(&s, 0, sizeof(s));
		s.prng = 3000 + i;
		put(&s, 3 | 0x70);
		for (j = 0; j < 40; j++) {
			if (j % 4 == 3) {
				put(&s, RING_OP_QUERY);
				put(&s, i);
				put_n(&s, j == 7 ? 0xffffffffu : mc_next(&s),
				      4);
			} else {
				ring_honest_op(&s);
			}
		}
		if (i == 1) {
			put(&s, RING_OP_BREAK);
			put(&s, RING_OP_QUERY);
			put(&s, 1);
			put_n(&s, 3, 4);
		}
		snprintf(name, sizeof(name), "query-%u", i);
		bad |= write_seed(out, "ring", name, &s);
	}
	return bad;
}

/* --- bus ----------------------------------------------------------------- */

static void bus_device(struct seed *s, unsigned int slot, bool honest)
{
	unsigned int q;

	put(s, BUS_OP_DEV_REGISTER);
	put(s, slot);
	put(s, honest ? (mc_below(s, 4) ? 0 : 0x10) : mc_below(s, 256));
	put(s, mc_below(s, 256)); /* lie mask */
	put(s, mc_below(s, 4));	  /* net, block, console, rng */
	put(s, mc_below(s, 4));	  /* vendor */
	put_n(s, mc_next(s) | 1ull << 28 | 1ull << 29, 4);
	put_n(s, mc_below(s, 2), 4); /* VERSION_1 is bit 32 */
	put(s, mc_below(s, 65));     /* config size */
	for (q = 0; q < 3; q++)
		put(s, honest ? 1 + mc_below(s, 9) : mc_below(s, 16));
	put(s, mc_below(s, 2)); /* legacy */
}

static void bus_driver(struct seed *s, unsigned int slot)
{
	unsigned int i, flags, table = mc_below(s, 7);

	put(s, BUS_OP_DRV_REGISTER);
	put(s, slot);
	/* One draw per statement: the order of the operands of | is not
	 * defined, the order of statements is. */
	flags = mc_below(s, 8) == 0;
	flags |= (mc_below(s, 4) == 0) << 1;
	flags |= table << 2;
	flags |= (mc_below(s, 4) == 0) << 5;
	flags |= (mc_below(s, 4) == 0) << 6;
	put(s, flags);
	put(s, mc_below(s, 4) ? mc_below(s, 256) & 0xfc : mc_below(s, 256));
	for (i = 0; i < 2; i++) {
		unsigned int v = mc_below(s, 3) ? mc_below(s, 254) : 0xff;

		put(s, v);
		if (v != 0xff)
			put(s, mc_below(s, 4)); /* net, block, console, rng */
	}
	for (i = 0; i < table; i++)
		put(s, mc_below(s, 40));
}

static int make_bus(const char *out)
{
	unsigned int n, i;
	struct seed s;
	char name[64];
	int bad = 0;

	for (n = 0; n < 40; n++) {
		memset(&s, 0, sizeof(s));
		s.prng = 5000 + n;
		for (i = 0; i < 12; i++) {
			switch (mc_below(&s, 8)) {
			case 0:
			case 1:
				bus_device(&s, mc_below(&s, 3), n % 3 != 0);
				break;
			case 2:
			case 3:
				bus_driver(&s, mc_below(&s, 3));
				break;
			case 4:
				put(&s, mc_below(&s, 2)
						? BUS_OP_DEV_UNREGISTER
						: BUS_OP_DRV_UNREGISTER);
				put(&s, mc_below(&s, 3));
				break;
			case 5:
				put(&s, BUS_OP_CONFIG_CHANGE);
				put(&s, mc_below(&s, 3));
				put(&s, 0);
				break;
			case 6:
				put(&s, BUS_OP_QUEUE_IRQ);
				put(&s, mc_below(&s, 3));
				put(&s, mc_below(&s, 4));
				break;
			default:
				put(&s, BUS_OP_BREAK);
				put(&s, mc_below(&s, 3));
				break;
			}
		}
		snprintf(name, sizeof(name), "seed-%02u", n);
		bad |= write_seed(out, "bus", name, &s);
	}
	for (n = 0; n < 22; n++) {
		memset(&s, 0, sizeof(s));
		s.prng = 6000 + n;
		bus_device(&s, 0, true);
		bus_driver(&s, 0);
		put(&s, BUS_OP_MISUSE);
		put(&s, n);
		put(&s, 0);
		snprintf(name, sizeof(name), "misuse-%02u", n);
		bad |= write_seed(out, "bus", name, &s);
	}
	return bad;
}

/* --- world --------------------------------------------------------------- */

/* Runs seed as fuzz_world runs its input; the draws become the bytes. */
static int world_seed(u64 seed, struct seed *s, struct sim_result *result)
{
	struct choice_source cs;
	struct sim_config cfg;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.device = SIM_DEVICE_ANY;
	cfg.swarm = true;
	cfg.steps_max = FUZZ_WORLD_STEPS;
	cfg.end_when_dry = true; /* as fuzz_world; a seed never runs dry */
	choice_init_seed(&cs, seed);
	if (sim_run(&cfg, &cs, result) != 0)
		return 1;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < choice_count(&cs); i++)
		put_n(s, choice_values(&cs)[i],
		      choice_bytes_for_bound(choice_bounds(&cs)[i]));
	choice_free(&cs);
	return 0;
}

static int make_world(const char *out)
{
	unsigned int kept[SIM_DEVICE_COUNT] = { 0 };
	struct sim_result result;
	struct seed s;
	char name[64];
	u64 seed;
	int bad = 0;

	for (seed = 1; seed <= 400; seed++) {
		if (world_seed(seed, &s, &result))
			return 1;
		if (result.failed) {
			fprintf(stderr,
				"make_corpus: world seed %llu fails "
				"(%s): left out\n",
				(unsigned long long)seed, result.oracle);
			continue;
		}
		if (kept[result.device] >= 12)
			continue;
		kept[result.device]++;
		snprintf(name, sizeof(name), "seed-%03llu-%s",
			 (unsigned long long)seed,
			 sim_device_name(result.device));
		bad |= write_seed(out, "world", name, &s);
	}
	return bad;
}

/* --- trace ------------------------------------------------------------- */

#define TRACE_SEED_STEPS 30

/* One run of the world (device, plants) recorded into db, with events. */
static int trace_record(struct trace_db *db, u64 seed, enum sim_device_type dev,
			bool plant, enum trace_source source, const u8 *input,
			size_t input_len)
{
	struct choice_source cs;
	struct sim_config cfg;
	struct sim_result r;
	struct event_log log;
	struct trace_run tr;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.device = dev;
	cfg.swarm = true;
	cfg.steps_max = TRACE_SEED_STEPS;
	cfg.plant_lost_token = plant;
	event_log_init(&log, 0);
	cfg.log = &log;
	choice_init_seed(&cs, seed);
	rc = sim_run(&cfg, &cs, &r);
	cfg.log = NULL;
	if (rc == 0)
		rc = replay_fill_run(&tr, source, seed, &cfg, &r,
				     r.failed || input ? choice_values(&cs)
						       : NULL,
				     choice_count(&cs), 0, true);
	if (rc == 0) {
		tr.input = (u8 *)input;
		tr.input_len = input_len;
		rc = trace_add_run(db, &tr, &log);
		tr.input = NULL;
		trace_run_free(&tr);
	}
	choice_free(&cs);
	event_log_free(&log);
	return rc;
}

/* SQL on a trace file outside the trace API (damage, compaction). */
static int trace_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "make_corpus: %s: %s: %s\n", path, sql,
			err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	sqlite3_close(db);
	return rc != SQLITE_OK;
}

/* The base trace: a few short runs of every kind. */
static int trace_base(const char *path)
{
	static const u8 input[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct trace_db *db;
	char err[256];
	int rc;

	unlink(path);
	if (trace_open(path, TRACE_CREATE, &db, err, sizeof(err))) {
		fprintf(stderr, "make_corpus: %s\n", err);
		return 1;
	}
	rc = trace_record(db, 1, SIM_DEVICE_ENTROPY, false, TRACE_SOURCE_SIM,
			  NULL, 0);
	rc |= trace_record(db, 2, SIM_DEVICE_BLOCK, true, TRACE_SOURCE_SIM,
			   NULL, 0);
	rc |= trace_record(db, 3, SIM_DEVICE_CONSOLE, false,
			   TRACE_SOURCE_LIBFUZZER, input, sizeof(input));
	trace_close(db);
	/* Self-contained and small: no WAL beside it, small pages. */
	rc |= trace_sql(path, "PRAGMA journal_mode = DELETE;"
			      "PRAGMA page_size = 512; VACUUM;");
	return rc != 0;
}

/* The damaged copies: the SQL that damages each (NULL: bytes below). */
static const struct {
	const char *name;
	const char *sql;
} trace_damage[] = {
	{ "base", "" },
	{ "choices-odd-size", "UPDATE runs SET choices = x'0102030405'" },
	{ "negative-counts", "UPDATE runs SET events = -5, steps = -1" },
	{ "unknown-source", "UPDATE runs SET source = 'bogus'" },
	{ "unknown-kind", "UPDATE events SET kind = 60000 WHERE seq = 3" },
	{ "foreign-app-id", "PRAGMA application_id = 305419896" },
	{ "schema-version-7", "PRAGMA user_version = 7" },
	{ "bad-config", "UPDATE runs SET config = 'device=zzz steps=-1'" },
	{ "no-events-table", "DROP TABLE events" },
	{ "extra-event", "INSERT INTO events SELECT run, seq + 100000, step, "
			 "actor, kind, queue, a, b, c FROM events WHERE seq "
			 "= 0" },
	{ "wrong-hash", "UPDATE runs SET event_hash = 12345" },
	{ "bad-behaviours", "UPDATE behaviours SET rate = -1, behaviour = "
			    "behaviour + 999" },
	{ "dangling-parent", "UPDATE runs SET parent = 99999" },
	{ "text-as-blob", "UPDATE runs SET input = 'text', choices = 7" },
	{ "huge-counts", "UPDATE runs SET events = 9223372036854775807, "
			 "choice_count = 1 << 40" },
	{ "no-runs", "DELETE FROM runs" },
	{ "truncated", NULL },
	{ "flipped", NULL },
};

static int trace_copy(const char *from, const char *to, size_t cut,
		      u64 flip_seed)
{
	FILE *in = fopen(from, "rb"), *out;
	static u8 buf[1 << 20];
	struct seed prng = { .prng = flip_seed };
	size_t n, i;

	if (!in)
		return 1;
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	if (cut && cut < n)
		n = cut;
	/* Flipped bytes past the 100-byte header: damaged pages. */
	for (i = 0; flip_seed && i < 24 && n > 100; i++)
		buf[100 + mc_below(&prng, (unsigned int)(n - 100))] ^=
			(u8)(1u << mc_below(&prng, 8));
	out = fopen(to, "wb");
	if (!out)
		return 1;
	if (fwrite(buf, 1, n, out) != n) {
		fclose(out);
		return 1;
	}
	return fclose(out) != 0;
}

static int make_trace(const char *out)
{
	char base[512], path[512], sql[512];
	size_t i, size = 0;
	FILE *f;
	int bad;

	snprintf(base, sizeof(base), "%s/trace-base.tmp", out);
	bad = trace_base(base);
	f = fopen(base, "rb");
	if (!f)
		return 1;
	fseek(f, 0, SEEK_END);
	size = (size_t)ftell(f);
	fclose(f);
	for (i = 0; !bad && i < sizeof(trace_damage) / sizeof(trace_damage[0]);
	     i++) {
		snprintf(path, sizeof(path), "%s/trace/%02zu-%s", out, i,
			 trace_damage[i].name);
		if (!trace_damage[i].sql) {
			bool cut =
				strcmp(trace_damage[i].name, "truncated") == 0;

			bad |= trace_copy(base, path, cut ? size / 2 : 0,
					  cut ? 0 : 0x7eace + i);
			continue;
		}
		bad |= trace_copy(base, path, 0, 0);
		if (*trace_damage[i].sql) {
			snprintf(sql, sizeof(sql), "%s; VACUUM;",
				 trace_damage[i].sql);
			bad |= trace_sql(path, sql);
		}
	}
	unlink(base);
	return bad;
}

/* --- shim ---------------------------------------------------------------- */

static void shim_put32(struct seed *s, u64 v)
{
	put_n(s, v, 4);
}

/* An arena: the target's buffer (op INIT) or a created one (CREATE),
 * valid unless bad (1..6 as fuzz_shim.c reads it). */
static void shim_arena(struct seed *s, bool create, unsigned int bad)
{
	unsigned int ident = mc_below(s, 2), phys = mc_below(s, 4);

	put(s, create ? SHIM_OP_CREATE : SHIM_OP_INIT);
	put(s, ident | phys << 1 | bad << 3 | mc_below(s, 4) << 6);
	if (create)
		put16(s, mc_below(s, 64));
	else
		put(s, mc_below(s, 2) ? 0 : 1 + mc_below(s, 64));
	shim_put32(s, 1 + mc_below(s, 0x10000));
}

static void shim_alloc(struct seed *s, unsigned int slot)
{
	unsigned int cls;

	put(s, SHIM_OP_ALLOC);
	put(s, slot);
	put(s, mc_below(s, 16));
	/* Mostly small sizes, sometimes any class (fuzz_shim.c). */
	cls = mc_below(s, 4) ? mc_below(s, 3) : 256;
	if (cls == 256)
		cls = mc_below(s, 256);
	else
		cls |= mc_below(s, 32) << 3;
	put(s, cls);
	shim_put32(s, mc_next(s));
}

static void shim_random_op(struct seed *s)
{
	unsigned int i, n;

	switch (mc_below(s, 16)) {
	case 0:
	case 1:
	case 2:
	case 3:
		shim_alloc(s, mc_below(s, 32));
		break;
	case 4:
	case 5:
	case 6:
		put(s, SHIM_OP_FREE);
		put(s, mc_below(s, 32));
		put(s, mc_below(s, 3) ? 0 : mc_below(s, 8));
		shim_put32(s, mc_below(s, 3) ? mc_below(s, 9000) : mc_next(s));
		break;
	case 7:
		put(s, SHIM_OP_FAIL_HOOK);
		put(s, mc_below(s, 2) ? 0 : mc_below(s, 256));
		break;
	case 8:
	case 9:
		put(s, mc_below(s, 2) ? SHIM_OP_VIRT : SHIM_OP_PHYS);
		put(s, mc_below(s, 8));
		shim_put32(s, mc_next(s));
		put(s, mc_below(s, 3));
		put(s, mc_below(s, 5));
		break;
	case 10:
	case 11:
		put(s, SHIM_OP_PRINTK);
		put(s, mc_below(s, 21));
		put(s, mc_below(s, 4) ? 0 : mc_below(s, 64));
		n = mc_below(s, 24);
		put(s, n);
		for (i = 0; i < n; i++)
			put(s, mc_below(s, 8)
				       ? 'a' + mc_below(s, 26)
				       : (u8) "<>\n70%9"[mc_below(s, 7)]);
		n = mc_below(s, 8) ? mc_below(s, 40) : 0xff;
		put(s, n);
		for (i = 0; n != 0xff && i < n % 48; i++)
			put(s, mc_below(s, 26));
		break;
	case 12:
		put(s, SHIM_OP_REPORT);
		put(s, mc_below(s, 9));
		put(s, mc_below(s, 2));
		break;
	case 13:
		put(s, mc_below(s, 4) ? SHIM_OP_RESET : SHIM_OP_DESTROY);
		break;
	default:
		n = mc_below(s, 2);
		i = mc_below(s, 6) ? 0 : 1 + mc_below(s, 6);
		shim_arena(s, n, i);
		break;
	}
}

/* One program of a fixed theme per seed, then mixed programs. */
static int make_shim(const char *out)
{
	static const char *const themes[] = {
		"default-arena",   "own-arena",	       "own-identity",
		"created",	   "created-identity", "bad-setup",
		"fill-arena",	   "fail-hook",	       "misuse-free",
		"translate-edges", "printk-levels",    "printk-default",
		"reports",
	};
	unsigned int t, i, j;
	struct seed s;
	char name[64];
	int bad = 0;

	for (t = 0; t < sizeof(themes) / sizeof(themes[0]); t++) {
		memset(&s, 0, sizeof(s));
		s.prng = 7000 + t;
		/* The header: no arena for the themes about set-up, else the
		 * target's buffer (identity for some). */
		put(&s, t == 0 || t == 5 ? 0 : t % 3 ? 1 : 0x81);
		switch (t) {
		case 0: /* nothing configured: the default arena */
			/* First what needs no arena: reset, frees. */
			put(&s, SHIM_OP_RESET);
			for (i = 0; i < 3; i++) {
				put(&s, SHIM_OP_FREE);
				put(&s, 0);
				put(&s, 5 + 2 * (i == 2));
				shim_put32(&s, i);
			}
			for (i = 0; i < 24; i++)
				shim_alloc(&s, i);
			for (i = 0; i < 24; i++) {
				put(&s, SHIM_OP_FREE);
				put(&s, i);
				put(&s, 0);
				shim_put32(&s, 0);
			}
			break;
		case 1:
		case 2:
			put(&s, SHIM_OP_INIT);
			put(&s, t == 2);
			put(&s, 0);
			shim_put32(&s, 16);
			for (i = 0; i < 60; i++)
				shim_random_op(&s);
			break;
		case 3:
		case 4:
			put(&s, SHIM_OP_CREATE);
			put(&s, t == 4 ? 1 : 2);
			put16(&s, 255);
			shim_put32(&s, 0);
			for (i = 0; i < 60; i++)
				shim_random_op(&s);
			break;
		case 5: /* every way a set-up is refused */
			for (i = 1; i <= 6; i++)
				for (j = 0; j < 2; j++)
					shim_arena(&s, j, i);
			shim_arena(&s, 1, 0);
			shim_alloc(&s, 0);
			for (i = 1; i <= 6; i++)
				shim_arena(&s, i & 1, i);
			put(&s, SHIM_OP_DESTROY);
			put(&s, SHIM_OP_RESET);
			break;
		case 6: /* allocate until the arena is full, free, again */
			put(&s, SHIM_OP_INIT);
			put(&s, 0);
			put(&s, 16);
			shim_put32(&s, 4);
			for (j = 0; j < 2; j++) {
				for (i = 0; i < 32; i++) {
					put(&s, SHIM_OP_ALLOC);
					put(&s, i);
					put(&s, i % 5);
					put(&s, i % 3 ? 1 : 2);
					shim_put32(&s, mc_next(&s));
				}
				for (i = 0; i < 32; i += 2) {
					put(&s, SHIM_OP_FREE);
					put(&s, i);
					put(&s, 0);
					shim_put32(&s, 0);
				}
			}
			put(&s, SHIM_OP_RESET);
			shim_alloc(&s, 1);
			break;
		case 7:
			put(&s, SHIM_OP_FAIL_HOOK);
			put(&s, 0x5a);
			for (i = 0; i < 20; i++)
				shim_alloc(&s, i);
			put(&s, SHIM_OP_FAIL_HOOK);
			put(&s, 0);
			shim_alloc(&s, 21);
			break;
		case 8: /* each misuse of free */
			put(&s, SHIM_OP_CREATE);
			put(&s, 4);
			put16(&s, 31);
			shim_put32(&s, 0);
			for (i = 0; i < 8; i++) {
				put(&s, SHIM_OP_ALLOC);
				put(&s, i);
				put(&s, i % 2 ? 3 : 0);
				put(&s, 1);
				shim_put32(&s, 100 + i);
			}
			for (i = 0; i < 8; i++) {
				put(&s, SHIM_OP_FREE);
				put(&s, i);
				put(&s, i);
				shim_put32(&s, i * 3000);
			}
			for (i = 0; i < 8; i++) {
				put(&s, SHIM_OP_FREE);
				put(&s, i);
				put(&s, i == 0 ? 5 : i == 1 ? 6 : 0);
				shim_put32(&s, i);
			}
			/* A foreign pointer of each kind: the stack (kfree,
			 * free_pages_exact) and just past the arena. */
			for (i = 0; i < 3; i++) {
				put(&s, SHIM_OP_FREE);
				put(&s, 0);
				put(&s, 5);
				shim_put32(&s, i);
			}
			break;
		case 9: /* every edge, every function, both modes */
			for (j = 0; j < 2; j++) {
				put(&s, SHIM_OP_INIT);
				put(&s, j);
				put(&s, 8);
				shim_put32(&s, 9);
				shim_alloc(&s, 0);
				for (i = 0; i < 24; i++) {
					put(&s, SHIM_OP_VIRT);
					put(&s, i % 8);
					shim_put32(&s, mc_next(&s));
					put(&s, i / 8 + (i % 3 == 0 ? 3 : 0));
				}
				for (i = 0; i < 40; i++) {
					put(&s, SHIM_OP_PHYS);
					put(&s, i % 8);
					shim_put32(&s, mc_next(&s));
					put(&s, i / 8 % 3);
					put(&s, i % 5);
				}
			}
			break;
		case 10: /* every call of printk, long texts too */
		case 11:
			for (i = 0; i < 21; i++) {
				put(&s, SHIM_OP_PRINTK);
				put(&s, t == 11 ? 20 : i);
				put(&s, i % 3 ? 0 : 40 + i);
				put(&s, 30);
				for (j = 0; j < 30; j++)
					put(&s, j == 0 && i % 4 == 1 ? '<'
						: j == 1 && i % 4 == 1
							? '0' + i % 9
						: j == 2 && i % 4 == 1 ? '>'
						: j == 29 && i % 2     ? '\n'
								   : 'a' + j);
				put(&s, i == 7 ? 0xff : i * 3);
				for (j = 0; i != 7 && j < i * 3 % 48; j++)
					put(&s, j);
			}
			/* Prefixes that are no level, with KERN_DEFAULT. */
			for (i = 0; t == 10 && i < 5; i++) {
				static const char *const pre[] = {
					"<8>x", "</>x", "<3x", "<", "<7>"
				};
				const char *q = pre[i];

				put(&s, SHIM_OP_PRINTK);
				put(&s, 9);
				put(&s, 0);
				put(&s, (unsigned int)strlen(q));
				while (*q)
					put(&s, (u8)*q++);
				put(&s, 0);
			}
			break;
		default: /* every report, each condition */
			for (i = 0; i < 18; i++) {
				put(&s, SHIM_OP_REPORT);
				put(&s, i / 2);
				put(&s, i % 2);
			}
			break;
		}
		snprintf(name, sizeof(name), "theme-%02u-%s", t, themes[t]);
		bad |= write_seed(out, "shim", name, &s);
	}
	for (t = 0; t < 24; t++) {
		memset(&s, 0, sizeof(s));
		s.prng = 8000 + t;
		put(&s, t % 4 == 0 ? 0 : t % 4 == 1 ? 0x80 : 1);
		for (i = 0; i < 80; i++)
			shim_random_op(&s);
		snprintf(name, sizeof(name), "mixed-%02u", t);
		bad |= write_seed(out, "shim", name, &s);
	}
	return bad;
}

int main(int argc, char **argv)
{
	int bad;

	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus OUT\n");
		return 2;
	}
	bad = make_ring(argv[1]);
	bad |= make_bus(argv[1]);
	bad |= make_world(argv[1]);
	bad |= make_trace(argv[1]);
	bad |= make_shim(argv[1]);
	return bad;
}
