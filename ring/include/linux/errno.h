/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/errno.h - the kernel's error numbers.
 *
 * As in the kernel, the values come from asm/errno.h (the system's, which
 * this tree does not shadow), so they equal the C library's on Linux.
 * libc's own <errno.h> includes <linux/errno.h> and finds this file.
 */
#ifndef _LINUX_ERRNO_H
#define _LINUX_ERRNO_H

#include <asm/errno.h>

#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

#endif /* _LINUX_ERRNO_H */
