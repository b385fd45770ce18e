/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/io.h - translation between virtual and guest-physical addresses.
 *
 * Both directions are bounds-checked against the guest-memory arena (see
 * ringside/shim.h). When the arena is in identity mode (the default when
 * the world configured none: physical == virtual, as Linux's own
 * tools/virtio harness does) an address outside the arena translates to
 * itself; otherwise virt_to_phys of such an address reports a WARN and
 * returns RINGSIDE_BAD_PHYS, and phys_to_virt returns NULL.
 */
#ifndef _LINUX_IO_H
#define _LINUX_IO_H

#include <linux/types.h>

#define RINGSIDE_BAD_PHYS (~(phys_addr_t)0)

phys_addr_t virt_to_phys(const volatile void *address);
void *phys_to_virt(phys_addr_t address);
bool virt_addr_valid(const volatile void *address);

#endif /* _LINUX_IO_H */
