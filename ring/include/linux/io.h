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

#include <linux/compiler.h>
#include <linux/types.h>

#define RINGSIDE_BAD_PHYS (~(phys_addr_t)0)

/*
 * virt_to_phys runs for every descriptor the ring writes, so its common
 * case is inline: one subtraction and one unsigned compare against the
 * arena's window, which is the whole bounds check (an address below the
 * base wraps to an offset >= size). Everything else (no arena yet, identity
 * mode, an address outside the arena and its WARN) is the shim's slow path.
 * The window is the shim's: only ring/shim/arena.c writes it, and with no
 * arena its size is 0, so every address takes the slow path.
 */
struct ringside_virt_window {
	uintptr_t base;
	uintptr_t size;
	phys_addr_t phys_base;
};
extern struct ringside_virt_window ringside_virt_window;
phys_addr_t ringside_virt_to_phys_slow(const volatile void *address);

/* The inline case alone: true, with *phys, for an address in the arena;
 * false, with nothing reported, for any other (virt_to_phys decides). */
static inline bool virt_to_phys_inline(const volatile void *address,
				       phys_addr_t *phys)
{
	uintptr_t off = (uintptr_t)address - ringside_virt_window.base;

	if (unlikely(off >= ringside_virt_window.size))
		return false;
	*phys = ringside_virt_window.phys_base + off;
	return true;
}

static inline phys_addr_t virt_to_phys(const volatile void *address)
{
	phys_addr_t phys;

	if (likely(virt_to_phys_inline(address, &phys)))
		return phys;
	return ringside_virt_to_phys_slow(address);
}

void *phys_to_virt(phys_addr_t address);
bool virt_addr_valid(const volatile void *address);

#endif /* _LINUX_IO_H */
