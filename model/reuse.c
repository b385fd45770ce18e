/*
 * reuse.c - buffers kept from one world to the next (reuse.h).
 */
#include "reuse.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define REUSE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REUSE_ASAN 1
#endif
#endif
#ifndef REUSE_ASAN
#define REUSE_ASAN 0
#endif

#if REUSE_ASAN
#include <sanitizer/asan_interface.h>
#define reuse_poison(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define reuse_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define reuse_poison(p, n) ((void)(p), (void)(n))
#define reuse_unpoison(p, n) ((void)(p), (void)(n))
#endif

void *reuse_get(struct reuse_slot *slot, size_t size, size_t capacity_hint,
		bool zero)
{
	void *buf;

	if (!slot->buf && !slot->busy && size <= capacity_hint) {
		slot->buf = malloc(capacity_hint ? capacity_hint : 1);
		if (!slot->buf)
			return NULL;
		slot->capacity = capacity_hint;
		reuse_poison(slot->buf, slot->capacity);
	}
	if (!slot->buf || slot->busy || size > slot->capacity)
		return zero ? calloc(1, size ? size : 1)
			    : malloc(size ? size : 1);
	buf = slot->buf;
	slot->busy = true;
	reuse_unpoison(buf, size);
	if (zero)
		memset(buf, 0, size);
	return buf;
}

void reuse_put(struct reuse_slot *slot, void *buf)
{
	if (!buf)
		return;
	if (buf != slot->buf || !slot->busy) {
		free(buf);
		return;
	}
	slot->busy = false;
	reuse_poison(buf, slot->capacity);
}
