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
 *
 * Usage: make_corpus OUT   (OUT/ring, OUT/bus, OUT/world, OUT/trace must
 * exist)
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
	for (i = 0; i < 16; i++) {
		memset(&s, 0, sizeof(s));
		put(&s, i % 2 ? 0x10 : 0x00); /* size 1: too long is misuse */
		put(&s, RING_OP_ADD);
		put(&s, 0);
		put(&s, 1);
		put(&s, 0);
		put(&s, 8);
		put(&s, RING_OP_MISUSE);
		put(&s, i);
		snprintf(name, sizeof(name), "misuse-%02u", i);
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
	unsigned int i, table = mc_below(s, 7);

	put(s, BUS_OP_DRV_REGISTER);
	put(s, slot);
	put(s, (mc_below(s, 8) == 0) | (mc_below(s, 4) == 0) << 1 | table << 2);
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
	for (n = 0; n < 19; n++) {
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

/* The bytes choice_init_bytes needs for a draw below bound (choice.c). */
static unsigned int bytes_for_bound(u64 bound)
{
	u64 max = bound - 1;
	unsigned int n = 0;

	while (max != 0) {
		n++;
		max >>= 8;
	}
	return n;
}

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
	choice_init_seed(&cs, seed);
	if (sim_run(&cfg, &cs, result) != 0)
		return 1;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < choice_count(&cs); i++)
		put_n(s, choice_values(&cs)[i],
		      bytes_for_bound(choice_bounds(&cs)[i]));
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
	return bad;
}
