/* SPDX-License-Identifier: GPL-2.0 */
/* asm/io.h - where Linux 3.7 drivers find virt_to_phys. */
#include <linux/io.h>
