/*
 * reuse.h - buffers a device model keeps from one world to the next.
 *
 * A fuzzer or a seed sweep runs thousands of worlds in one process, and
 * each used to allocate and free the same large host-side buffers (the
 * held chains of every queue, the net device's packet ring, the block
 * disk). Under ASan a freed block goes to the quarantine and the next
 * allocation takes fresh pages, so every run paid their page faults and
 * clearing. A struct reuse_slot keeps one such buffer instead: reuse_get
 * hands it out again (or allocates it the first time, or when it is in
 * use already), reuse_put takes it back (or frees a buffer that is not
 * the slot's).
 *
 * What a run sees does not change: reuse_get returns what malloc would
 * (contents unspecified) or, with `zero`, what calloc would. Under ASan
 * the bytes past `size` and the whole buffer while it rests in its slot
 * are poisoned, so an overflow or a use after the owner put it back is
 * still reported. The model is single-threaded; the slots are not locked.
 */
#ifndef RINGSIDE_MODEL_REUSE_H
#define RINGSIDE_MODEL_REUSE_H

#include <stdbool.h>
#include <stddef.h>

struct reuse_slot {
	void *buf;	 /* NULL until the first reuse_get */
	size_t capacity; /* bytes of buf */
	bool busy;	 /* handed out and not yet put back */
};

/* A buffer of at least `size` bytes (size <= capacity_hint is reused; a
 * larger one is allocated apart), zeroed when `zero`; NULL when out of
 * memory. `capacity_hint` is the size to allocate the slot's buffer with:
 * the largest size this slot is ever asked for. */
void *reuse_get(struct reuse_slot *slot, size_t size, size_t capacity_hint,
		bool zero);

/* Gives back what reuse_get returned (NULL: nothing). */
void reuse_put(struct reuse_slot *slot, void *buf);

#endif /* RINGSIDE_MODEL_REUSE_H */
