/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/compiler.h - branch hints, READ_ONCE/WRITE_ONCE and the barriers.
 *
 * Every access to memory the device shares goes through READ_ONCE or
 * WRITE_ONCE (a single volatile access the compiler may neither tear, merge
 * nor repeat), and ordering between such accesses is made explicit with the
 * barriers below. On x86-64 a store-store or load-load barrier needs only the
 * compiler barrier (TSO); the full barrier orders a store before a later load
 * and needs a locked instruction, as Linux's smp_mb() does.
 */
#ifndef _LINUX_COMPILER_H
#define _LINUX_COMPILER_H

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __must_check __attribute__((warn_unused_result))
#define __maybe_unused __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __noreturn __attribute__((noreturn))
#define __user
#define __iomem
#define __force
#define __init
#define __exit
#define __devinit
#define __devexit
#define __devexit_p(x) x

#define barrier() __asm__ __volatile__("" ::: "memory")

/*
 * The shared-read seam. Only the ring built for a world that plays the
 * device (ringside_ring_world: the simulator, the fuzz targets, the tests)
 * defines RINGSIDE_SHARED_READ_SEAM; there every READ_ONCE first tells the
 * shim which bytes it is about to read, so that the device may rewrite
 * them just before the read (ringside/shim.h). The installed library
 * compiles the plain volatile load: the seam costs it nothing.
 */
#ifdef RINGSIDE_SHARED_READ_SEAM
void shim_before_shared_read(const volatile void *addr, unsigned long size);
#define READ_ONCE(x)                                                           \
	({                                                                     \
		const volatile __typeof__(x) *__read_once_p = &(x);            \
		shim_before_shared_read(__read_once_p,                         \
					sizeof(*__read_once_p));               \
		*__read_once_p;                                                \
	})
#else
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#endif
#define WRITE_ONCE(x, val)                                                     \
	do {                                                                   \
		*(volatile __typeof__(x) *)&(x) = (val);                       \
	} while (0)
#define ACCESS_ONCE(x) (*(volatile __typeof__(x) *)&(x))

#if defined(__x86_64__) || defined(__i386__)
/* A locked add to the stack orders all earlier stores before later loads,
 * and is cheaper than mfence on current x86 cores (Linux does the same). */
#define mb() __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")
#define rmb() barrier()
#define wmb() barrier()
#else
#define mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#define smp_mb() mb()
#define smp_rmb() rmb()
#define smp_wmb() wmb()

#endif /* _LINUX_COMPILER_H */
