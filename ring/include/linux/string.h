/* SPDX-License-Identifier: GPL-2.0 */
/* linux/string.h - memcpy, memset and friends come from libc. */
#ifndef _LINUX_STRING_H
#define _LINUX_STRING_H

#include <string.h>

#endif /* _LINUX_STRING_H */
