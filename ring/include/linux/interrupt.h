/* SPDX-License-Identifier: GPL-2.0 */
/* linux/interrupt.h - the return values of an interrupt handler. */
#ifndef _LINUX_INTERRUPT_H
#define _LINUX_INTERRUPT_H

typedef int irqreturn_t;
#define IRQ_NONE 0
#define IRQ_HANDLED 1
#define IRQ_RETVAL(x) ((x) ? IRQ_HANDLED : IRQ_NONE)

#endif /* _LINUX_INTERRUPT_H */
