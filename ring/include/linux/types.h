/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/types.h - the kernel's fixed-width types, for the ringside shim.
 *
 * ringside runs the virtio ring in user space. Everything in
 * ring/include/linux/ is a small, faithful subset of the Linux 3.7 kernel
 * headers so that a driver written for Linux 3.7 compiles unchanged.
 * Rings are little-endian (legacy on x86 and all 1.x rings); ringside only
 * builds on little-endian hosts, so the __le types are plain integers.
 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ringside supports little-endian hosts only"
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int8_t __s8;
typedef int16_t __s16;
typedef int32_t __s32;
typedef int64_t __s64;

typedef uint16_t __le16;
typedef uint32_t __le32;
typedef uint64_t __le64;
typedef uint16_t __virtio16;
typedef uint32_t __virtio32;
typedef uint64_t __virtio64;

typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef unsigned int gfp_t;

#define BITS_PER_LONG (8 * (int)sizeof(unsigned long))

#endif /* _LINUX_TYPES_H */
