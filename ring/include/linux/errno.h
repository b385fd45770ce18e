/* SPDX-License-Identifier: GPL-2.0 */
/* linux/errno.h - the kernel's error numbers (the same values as Linux). */
#ifndef _LINUX_ERRNO_H
#define _LINUX_ERRNO_H

#include <errno.h>

#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

#endif /* _LINUX_ERRNO_H */
