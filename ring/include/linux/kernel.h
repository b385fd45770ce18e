/* SPDX-License-Identifier: GPL-2.0 */
/* linux/kernel.h - container_of, min/max, ARRAY_SIZE and printk. */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/types.h>

#define container_of(ptr, type, member)                                        \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))

#define min(x, y)                                                              \
	__extension__({                                                        \
		__typeof__(x) _min1 = (x);                                     \
		__typeof__(y) _min2 = (y);                                     \
		(void)(&_min1 == &_min2);                                      \
		_min1 < _min2 ? _min1 : _min2;                                 \
	})
#define max(x, y)                                                              \
	__extension__({                                                        \
		__typeof__(x) _max1 = (x);                                     \
		__typeof__(y) _max2 = (y);                                     \
		(void)(&_max1 == &_max2);                                      \
		_max1 > _max2 ? _max1 : _max2;                                 \
	})
#define min_t(type, x, y)                                                      \
	__extension__({                                                        \
		type __min1 = (x);                                             \
		type __min2 = (y);                                             \
		__min1 < __min2 ? __min1 : __min2;                             \
	})
#define max_t(type, x, y)                                                      \
	__extension__({                                                        \
		type __max1 = (x);                                             \
		type __max2 = (y);                                             \
		__max1 > __max2 ? __max1 : __max2;                             \
	})

#define ALIGN(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))

/* Log levels, as the kernel's KERN_* prefixes. The shim passes the level
 * and the formatted text to the world's log hook. */
#define KERN_EMERG "<0>"
#define KERN_ALERT "<1>"
#define KERN_CRIT "<2>"
#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_NOTICE "<5>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"
#define KERN_DEFAULT ""
#define KERN_CONT ""

__printf(1, 2) int printk(const char *fmt, ...);

#define pr_err(fmt, ...) printk(KERN_ERR fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING fmt, ##__VA_ARGS__)
#define pr_warning pr_warn
#define pr_notice(fmt, ...) printk(KERN_NOTICE fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) printk(KERN_DEBUG fmt, ##__VA_ARGS__)

#endif /* _LINUX_KERNEL_H */
