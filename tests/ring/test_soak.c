/*
 * test_soak.c - long seeded runs: 600,000 operations each (adds, kicks,
 * device pops, out-of-order completions, get_bufs; a fixed-seed xorshift
 * decides), one on a queue of 64 with INDIRECT_DESC (tables refused now and
 * then: direct fallback) and EVENT_IDX, one on a queue of 8 with direct
 * chains only. Both wrap the avail idx. Every token comes back exactly once
 * with the len the device wrote; the invariants hold throughout (checked
 * every 1000 operations); the ring ends empty.
 */
#include "ring_test.h"

#define TESTS(X)                                                               \
	X(soak_random_ops_conserve_tokens)                                     \
	X(soak_small_ring_direct_chains_conserve_tokens)
TESTS(HARNESS_DECLARE)

#define SOAK_NUM 64u
#define SOAK_TOKENS 256u
#define SOAK_OPS 600000ul
#define SOAK_SEED 0x9e3779b97f4a7c15ull
#define SOAK_SLICE 64u

enum tok_state { TOK_FREE, TOK_ADDED, TOK_USED };

struct soak_tok {
	u8 state;
	u8 n, out;
	u32 len[4];
	u32 used_len; /* what the device wrote, once used */
};

struct soak {
	struct test_vq t;
	u64 rng;
	char *bufs; /* SOAK_TOKENS x 4 slices */
	struct soak_tok tok[SOAK_TOKENS];
	u16 free_tok[SOAK_TOKENS];
	unsigned int nfree;
	u16 held_head[SOAK_NUM]; /* chains the device took, not yet used */
	u16 held_tok[SOAK_NUM];
	unsigned int nheld;
	unsigned int added, returned;
	unsigned long ops;
};

static struct soak S;

static u64 xorshift(u64 *s)
{
	u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static unsigned int rnd(unsigned int n)
{
	return (unsigned int)(xorshift(&S.rng) % n);
}

/* The allocation hook: refuses one indirect table in four. */
static bool refuse_some(void *ctx, size_t size, gfp_t flags)
{
	(void)ctx;
	(void)size;
	(void)flags;
	return rnd(4) == 0;
}

static char *slice(unsigned int tok, unsigned int j)
{
	return S.bufs + (tok * 4 + j) * SOAK_SLICE;
}

static void soak_add(void)
{
	unsigned int n = 1 + rnd(4), i, tok, free_before;
	struct scatterlist sg[4];
	struct soak_tok *k;
	u64 indirect_before;
	struct vring_stats st;
	int ret;

	if (!S.nfree)
		return;
	tok = S.free_tok[S.nfree - 1];
	k = &S.tok[tok];
	k->n = (u8)n;
	k->out = (u8)rnd(n + 1);
	sg_init_table(sg, n);
	for (i = 0; i < n; i++) {
		k->len[i] = 1 + rnd(SOAK_SLICE);
		sg_set_buf(&sg[i], slice(tok, i), k->len[i]);
	}
	free_before = S.t.vq->num_free;
	virtqueue_get_stats(S.t.vq, &st);
	indirect_before = st.indirect;
	ret = virtqueue_add_buf(S.t.vq, sg, k->out, n - k->out, k, GFP_ATOMIC);
	if (ret == -ENOSPC) {
		CHECK(free_before < n);
		return;
	}
	virtqueue_get_stats(S.t.vq, &st);
	CHECK_EQ(free_before - (st.indirect > indirect_before ? 1 : n), ret);
	k->state = TOK_ADDED;
	S.nfree--;
	S.added++;
}

/* Device: takes one available chain and checks it is the token's request
 * (the token is known from the first buffer's address). */
static void soak_pop(void)
{
	struct test_chain c;
	struct soak_tok *k;
	unsigned int tok, i;
	u64 off;

	if (!test_dev_pop(&S.t, &c))
		return;
	test_dev_set_avail_event(&S.t, S.t.last_avail);
	off = c.addr[0] - virt_to_phys(S.bufs);
	tok = (unsigned int)(off / (4 * SOAK_SLICE));
	CHECK(tok < SOAK_TOKENS);
	k = &S.tok[tok];
	CHECK_EQ(TOK_ADDED, k->state);
	CHECK_EQ(k->n, c.n);
	for (i = 0; i < c.n; i++) {
		CHECK_EQ(virt_to_phys(slice(tok, i)), c.addr[i]);
		CHECK_EQ(k->len[i], c.len[i]);
		CHECK_EQ(i >= k->out, c.writable[i]);
	}
	CHECK(S.nheld < SOAK_NUM);
	S.held_head[S.nheld] = c.head;
	S.held_tok[S.nheld] = (u16)tok;
	S.nheld++;
}

/* Device: uses a random chain it holds (out of order). */
static void soak_push(void)
{
	unsigned int h, tok, writable = 0, i;
	struct soak_tok *k;

	if (!S.nheld)
		return;
	h = rnd(S.nheld);
	tok = S.held_tok[h];
	k = &S.tok[tok];
	for (i = k->out; i < k->n; i++)
		writable += k->len[i];
	k->used_len = rnd(writable + 1);
	k->state = TOK_USED;
	test_dev_push(&S.t, S.held_head[h], k->used_len);
	S.nheld--;
	S.held_head[h] = S.held_head[S.nheld];
	S.held_tok[h] = S.held_tok[S.nheld];
}

static void soak_get(void)
{
	struct soak_tok *k;
	unsigned int len;

	k = virtqueue_get_buf(S.t.vq, &len);
	if (!k)
		return;
	CHECK(k >= S.tok && k < S.tok + SOAK_TOKENS);
	CHECK_EQ(TOK_USED, k->state);
	CHECK_EQ(k->used_len, len);
	k->state = TOK_FREE;
	S.free_tok[S.nfree++] = (u16)(k - S.tok);
	S.returned++;
}

static void soak_check(void)
{
	CHECK_INVARIANTS(S.t.vq);
	CHECK_EQ(S.added - S.returned, virtqueue_outstanding(S.t.vq));
}

static void soak_step(void)
{
	unsigned int r = rnd(16);

	if (r < 5)
		soak_add();
	else if (r < 6)
		virtqueue_kick(S.t.vq);
	else if (r < 9)
		soak_pop();
	else if (r < 12)
		soak_push();
	else
		soak_get();
	CHECK_HEALTHY(S.t.vq);
	if (++S.ops % 1000 == 0)
		soak_check();
}

/* Completes everything still out and takes it back. */
static void soak_finish(void)
{
	unsigned int i;

	virtqueue_kick(S.t.vq);
	while (test_dev_avail_pending(&S.t))
		soak_pop();
	while (S.nheld)
		soak_push();
	for (i = 0; i < SOAK_TOKENS && S.added != S.returned; i++)
		soak_get();
	CHECK_EQ(S.added, S.returned);
	CHECK_PTR_EQ(NULL, virtqueue_get_buf(S.t.vq, NULL));
	CHECK_EQ(SOAK_TOKENS, S.nfree);
	for (i = 0; i < SOAK_TOKENS; i++)
		CHECK_EQ(TOK_FREE, S.tok[i].state);
}

/* A fresh queue of num entries and SOAK_TOKENS free tokens. */
static void soak_start(unsigned int num, u64 features, u64 seed)
{
	unsigned int i;

	memset(&S, 0, sizeof(S));
	S.rng = seed;
	test_vq_create(&S.t, num, features, true);
	S.bufs = test_buf(SOAK_TOKENS * 4 * SOAK_SLICE);
	for (i = 0; i < SOAK_TOKENS; i++)
		S.free_tok[i] = (u16)(SOAK_TOKENS - 1 - i);
	S.nfree = SOAK_TOKENS;
}

/* Runs ops steps, takes everything back and checks the accounts. */
static void soak_run(unsigned long ops, struct vring_stats *st)
{
	size_t live = rt_live_blocks();

	while (S.ops < ops)
		soak_step();
	soak_finish();
	soak_check();
	CHECK_EQ(S.t.num, S.t.vq->num_free);
	CHECK_EQ(live, rt_live_blocks());
	virtqueue_get_stats(S.t.vq, st);
	CHECK_EQ(S.added, st->added);
	CHECK_EQ(S.returned, st->used);
	CHECK_EQ((u16)S.added, rt_dev_avail_idx(&S.t));
	CHECK(S.added > 65536); /* the avail idx wrapped */
}

static void soak_random_ops_conserve_tokens(void)
{
	struct vring_stats st;

	soak_start(SOAK_NUM, RT_INDIRECT | RT_EVENT_IDX, SOAK_SEED);
	shim_set_alloc_fail_hook(refuse_some, NULL);
	soak_run(SOAK_OPS, &st);
	shim_set_alloc_fail_hook(NULL, NULL);
	CHECK(st.indirect > 10000);	    /* a mix of indirect ... */
	CHECK(st.indirect_fallback > 3000); /* ... and direct fallbacks */
	rt_finish(&S.t);
}

/* A ring of 8, direct chains only: the ring is full most of the time. */
static void soak_small_ring_direct_chains_conserve_tokens(void)
{
	struct vring_stats st;

	soak_start(8, 0, SOAK_SEED ^ 0x5bd1e995);
	soak_run(SOAK_OPS, &st);
	CHECK_EQ(0, st.indirect);
	CHECK(st.enospc > 1000);
	rt_finish(&S.t);
}

HARNESS_MAIN(TESTS)
