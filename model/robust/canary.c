/*
 * canary.c - the canary bytes of a case's memory (robust.h note 4): every
 * byte that is not a buffer, and the payloads a device may copy only into
 * their own request's reply, holds a byte that depends on its offset in
 * the case's scratch memory, and any RB_CANARY_WINDOW consecutive canary
 * bytes name the offset they were written at.
 *
 * Why bytes and windows, not fixed units: a unit can only be recognised
 * whole, so a copy that starts inside one is seen only if it carries a
 * whole unit further on (8-byte units missed unaligned copies of up to
 * 14 bytes). A window matches wherever the copy starts. Why 6 bytes: a
 * reply of random bytes (entropy) matches one of the 2^16 windows of the
 * scratch memory with probability 2^16 / 2^48 = 2^-32 per window, so the
 * suite's replies never raise a false alarm; at 4 bytes it would be 2^-16
 * per window, which a suite run of thousands of random reply bytes
 * reaches.
 */
#include "robust.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CANARY_SLOTS (1u << 18) /* a power of two, over 2x the windows */
#define CANARY_SALT 0x52434c4b00000000ull

/* The canary byte at scratch offset at. */
static u8 canary_byte(size_t at)
{
	u64 x = (u64)at + CANARY_SALT;

	/* splitmix64's finaliser: every output bit depends on every input
	 * bit, so neighbouring offsets give unrelated bytes. */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (u8)((x ^ (x >> 31)) >> 56);
}

static u64 window_key(const u8 *p)
{
	u64 k = 0;
	unsigned int i;

	for (i = 0; i < RB_CANARY_WINDOW; i++)
		k |= (u64)p[i] << (8 * i);
	return k;
}

static u32 slot_of(u64 key)
{
	return (u32)((key * 0x9e3779b97f4a7c15ull) >> 40) & (CANARY_SLOTS - 1);
}

/* Every window of the canary sequence over the largest scratch memory:
 * its key and offset + 1 (0: an empty slot). Built once: the sequence
 * depends on offsets only. */
static struct canary_index {
	u64 key[CANARY_SLOTS];
	u32 at1[CANARY_SLOTS];
	bool built;
} cidx;

static void index_build(void)
{
	size_t n = RB_SCRATCH_MAX, at;
	u8 *seq = malloc(n);

	assert(seq);
	for (at = 0; at < n; at++)
		seq[at] = canary_byte(at);
	for (at = 0; at + RB_CANARY_WINDOW <= n; at++) {
		u64 key = window_key(seq + at);
		u32 s = slot_of(key);

		while (cidx.at1[s] && cidx.key[s] != key)
			s = (s + 1) & (CANARY_SLOTS - 1);
		/* Every window names one offset (the sequence was chosen
		 * so; a repeat would make a source ambiguous). */
		assert(!cidx.at1[s]);
		cidx.key[s] = key;
		cidx.at1[s] = (u32)at + 1;
	}
	free(seq);
	cidx.built = true;
}

void rb_canary_fill(struct rb_case_ctx *c, u64 phys, u32 len)
{
	size_t from = (size_t)(phys - c->scratch_phys), at;

	assert(phys >= c->scratch_phys && from + len <= c->scratch_bytes);
	for (at = from; at < from + len; at++)
		c->scratch[at] = canary_byte(at);
}

size_t rb_canary_source(const struct rb_case_ctx *c, const u8 *p)
{
	u64 key = window_key(p);
	u32 s = slot_of(key);

	assert(c->scratch_bytes <= RB_SCRATCH_MAX);
	if (!cidx.built)
		index_build();
	while (cidx.at1[s]) {
		if (cidx.key[s] == key)
			return cidx.at1[s] - 1 + RB_CANARY_WINDOW <=
					       c->scratch_bytes
				       ? cidx.at1[s] - 1
				       : SIZE_MAX;
		s = (s + 1) & (CANARY_SLOTS - 1);
	}
	return SIZE_MAX;
}
