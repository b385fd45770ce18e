/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/bug.h - BUG_ON and WARN_ON, reported through the shim's hook.
 *
 * A WARN is a bug in driver-side code (ours or a driver's): the shim counts
 * it and hands it to the hook the test world installed, which fails the run
 * unless the test expected it. A BUG reports the same way and then aborts,
 * as the kernel would stop. Device misbehaviour is never a WARN: the ring
 * reports it by breaking the queue (see ringside/ring_diag.h).
 */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H

#include <linux/compiler.h>

void ringside_report_warn(const char *file, int line, const char *what);
__noreturn void ringside_report_bug(const char *file, int line,
				    const char *what);

#define WARN_ON(condition)                                                     \
	__extension__({                                                        \
		int __ret_warn_on = !!(condition);                             \
		if (unlikely(__ret_warn_on))                                   \
			ringside_report_warn(__FILE__, __LINE__, #condition);  \
		unlikely(__ret_warn_on);                                       \
	})

/* The message is reported as written (its format string), so a WARN
 * says why without formatting anything on the hot path. */
#define WARN(condition, format, ...)                                           \
	__extension__({                                                        \
		int __ret_warn_on = !!(condition);                             \
		if (unlikely(__ret_warn_on))                                   \
			ringside_report_warn(__FILE__, __LINE__, format);      \
		unlikely(__ret_warn_on);                                       \
	})

/* "Once" per call site, as in Linux; a test resets nothing here because a
 * repeated WARN at one site adds no information. */
#define WARN_ON_ONCE(condition)                                                \
	__extension__({                                                        \
		static bool __warned;                                          \
		int __ret_warn_once = !!(condition);                           \
		if (unlikely(__ret_warn_once) && !__warned) {                  \
			__warned = true;                                       \
			ringside_report_warn(__FILE__, __LINE__, #condition);  \
		}                                                              \
		unlikely(__ret_warn_once);                                     \
	})
#define WARN_ONCE(condition, format, ...) WARN_ON_ONCE(condition)

#define BUG() ringside_report_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(condition)                                                      \
	do {                                                                   \
		if (unlikely(condition))                                       \
			ringside_report_bug(__FILE__, __LINE__, #condition);   \
	} while (0)

#define BUILD_BUG_ON(condition) _Static_assert(!(condition), #condition)

#endif /* _LINUX_BUG_H */
