/* SPDX-License-Identifier: GPL-2.0 */
/* asm/barrier.h - the barriers live in linux/compiler.h here. */
#include <linux/compiler.h>
