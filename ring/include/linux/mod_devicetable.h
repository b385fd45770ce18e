/* SPDX-License-Identifier: GPL-2.0 */
/* linux/mod_devicetable.h - the virtio part: ids a driver matches. */
#ifndef _LINUX_MOD_DEVICETABLE_H
#define _LINUX_MOD_DEVICETABLE_H

#include <linux/types.h>

struct virtio_device_id {
	__u32 device;
	__u32 vendor;
};
#define VIRTIO_DEV_ANY_ID 0xffffffff

#endif /* _LINUX_MOD_DEVICETABLE_H */
