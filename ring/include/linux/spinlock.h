/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/spinlock.h - spinlocks for a single-threaded world.
 *
 * The simulated world runs on one thread, so a lock cannot be contended; a
 * lock taken twice, or released when not held, is a deadlock or a bug in
 * the driver and is reported as a WARN.
 */
#ifndef _LINUX_SPINLOCK_H
#define _LINUX_SPINLOCK_H

#include <linux/bug.h>
#include <linux/types.h>

typedef struct {
	unsigned int held;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(name)                                             \
	{                                                                      \
		0                                                              \
	}
#define DEFINE_SPINLOCK(name) spinlock_t name = __SPIN_LOCK_UNLOCKED(name)

static inline void spin_lock_init(spinlock_t *lock)
{
	lock->held = 0;
}

static inline void spin_lock(spinlock_t *lock)
{
	WARN_ON(lock->held);
	lock->held = 1;
}

static inline void spin_unlock(spinlock_t *lock)
{
	WARN_ON(!lock->held);
	lock->held = 0;
}

#define spin_lock_irq(lock) spin_lock(lock)
#define spin_unlock_irq(lock) spin_unlock(lock)
#define spin_lock_bh(lock) spin_lock(lock)
#define spin_unlock_bh(lock) spin_unlock(lock)
#define spin_lock_irqsave(lock, flags)                                         \
	do {                                                                   \
		(flags) = 0;                                                   \
		spin_lock(lock);                                               \
	} while (0)
#define spin_unlock_irqrestore(lock, flags)                                    \
	do {                                                                   \
		(void)(flags);                                                 \
		spin_unlock(lock);                                             \
	} while (0)

#endif /* _LINUX_SPINLOCK_H */
