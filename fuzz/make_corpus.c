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
 *
 * Usage: make_corpus OUT   (OUT/ring, OUT/bus, OUT/world must exist)
 */
#include "fuzz_ops.h"

#include <choice.h>
#include <world.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	return bad;
}
