/*
 * choice.h - the one source of every choice the simulated world makes.
 *
 * A run of the world is a pure function of the values drawn here. The
 * source has three back ends that hand out values the same way:
 *
 *   seed    a PRNG: splitmix64 expands the 64-bit seed into the state of
 *           xoshiro256** (Blackman and Vigna); choice_below() maps its
 *           output to [0, bound) without bias (Lemire's method).
 *   bytes   the bytes of a fuzz input: a draw consumes as many bytes as
 *           bound - 1 needs (little-endian, bound 1 consumes none) and
 *           reduces them mod bound; missing bytes read as zero, so an
 *           exhausted input yields 0, the minimum, for every draw.
 *   replay  a recorded choice sequence: the values in order, each reduced
 *           mod its bound (an edited or shrunk sequence stays valid);
 *           zeros once it runs out.
 *
 * Notes:
 *
 * 1. Every draw is recorded, whatever the back end: its value (as
 *    returned) and its bound. Replaying choice_values() of a run
 *    reproduces the run. Bound 0 in the log stands for 2^64 (a full
 *    64-bit draw, see choice_range()).
 * 2. The log holds at most a limit of draws (CHOICE_LOG_MAX unless
 *    lowered). Past it, or when growing the log fails, draws go on
 *    working but recording stops and the source is marked not
 *    recordable: such a run cannot be replayed from its log.
 * 3. 0 is the "quiet" value of every choice: choice_chance() is false on
 *    0 (unless certain), so zeros (an exhausted fuzz input, a sequence
 *    shrunk towards zeros) mean a world where nothing unusual happens.
 * 4. The bytes and replay back ends borrow their input: it must outlive
 *    the source (or at least its draws). Nothing else is shared; sources
 *    are independent and not thread-safe.
 * 5. The bytes back end runs dry at the first draw that wants a byte
 *    past the end of its input (a draw of bound 1 wants none). From then
 *    on every draw is 0; choice_dry() says so, so that a fuzz target can
 *    end its run there instead of spending steps on an all-quiet world
 *    (world.h, sim_config.end_when_dry). The other back ends never run
 *    dry: a seeded or replayed run is as long as its configuration says.
 */
#ifndef RINGSIDE_MODEL_CHOICE_H
#define RINGSIDE_MODEL_CHOICE_H

#include <linux/types.h>

/* Most draws one source records (note 2): 2^24 draws, 256 MiB of log. */
#define CHOICE_LOG_MAX ((size_t)1 << 24)

enum choice_backend {
	CHOICE_BACKEND_NONE = 0, /* not initialised, or freed */
	CHOICE_BACKEND_SEED,
	CHOICE_BACKEND_BYTES,
	CHOICE_BACKEND_REPLAY,
};

/* Grows the log; same contract as realloc(). Swappable for tests. */
typedef void *(*choice_realloc_fn)(void *ptr, size_t size);

struct choice_source {
	enum choice_backend backend;

	/* seed: the xoshiro256** state. */
	u64 prng[4];

	/* bytes: the fuzz input, borrowed; pos <= len. */
	const u8 *bytes;
	size_t bytes_len;
	size_t bytes_pos;
	bool dry; /* a draw wanted a byte past the end (note 5) */

	/* replay: the recorded values, borrowed; pos <= len. */
	const u64 *replay;
	size_t replay_len;
	size_t replay_pos;

	/* The log of draws: values[i] was drawn below bounds[i]. */
	u64 *values;
	u64 *bounds;
	size_t count;	 /* draws recorded */
	size_t capacity; /* entries allocated in both arrays */
	size_t limit;	 /* most draws recorded, <= CHOICE_LOG_MAX */
	u64 draws;	 /* every draw, recorded or not */
	bool unrecordable;
	choice_realloc_fn grow;
};

void choice_init_seed(struct choice_source *cs, u64 seed);
void choice_init_bytes(struct choice_source *cs, const u8 *data, size_t len);
void choice_init_replay(struct choice_source *cs, const u64 *values, size_t n);
/* Frees the log; the source must be initialised again before use. */
void choice_free(struct choice_source *cs);

/* A value in [0, bound), bound >= 1. Uniform for the seed back end. */
u64 choice_below(struct choice_source *cs, u64 bound);
/* A value in [lo, hi], lo <= hi; the full range [0, 2^64 - 1] included. */
u64 choice_range(struct choice_source *cs, u64 lo, u64 hi);
/*
 * True with probability numerator / denominator (denominator >= 1).
 * Certain outcomes (numerator 0, or >= denominator) draw nothing; others
 * draw v below denominator and are true when v >= denominator - numerator,
 * so that v = 0 means false (note 3).
 */
bool choice_chance(struct choice_source *cs, u32 numerator, u32 denominator);

/* The bytes the bytes back end consumes for one draw below bound: those
 * that hold bound - 1 (0 for bound 1, 8 for bound 0, that is 2^64). */
unsigned int choice_bytes_for_bound(u64 bound);

/* The log (note 1): choice_count() entries, valid until the next draw. */
size_t choice_count(const struct choice_source *cs);
const u64 *choice_values(const struct choice_source *cs);
const u64 *choice_bounds(const struct choice_source *cs);
/* Every draw so far, including those past the log's limit. */
u64 choice_draws(const struct choice_source *cs);
/* True once the bytes back end ran out of input (note 5). */
bool choice_dry(const struct choice_source *cs);
/* False once a draw went unrecorded (note 2). */
bool choice_recordable(const struct choice_source *cs);

/* Lowers the log's limit (at most CHOICE_LOG_MAX); for tests and tools. */
void choice_set_log_limit(struct choice_source *cs, size_t limit);
/* Replaces realloc() for the log (NULL: realloc); for fault injection. */
void choice_set_realloc(struct choice_source *cs, choice_realloc_fn grow);

#endif /* RINGSIDE_MODEL_CHOICE_H */
