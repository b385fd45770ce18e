/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/device.h - a minimal driver core: buses, devices and drivers.
 *
 * Enough of the Linux driver model for the virtio bus: a bus keeps its
 * devices and drivers in registration order, matches them with bus->match
 * and binds them with bus->probe; a failed probe lets the next matching
 * driver try, as Linux's really_probe does. Unbinding calls bus->remove.
 * Everything runs synchronously on the caller's thread.
 */
#ifndef _LINUX_DEVICE_H
#define _LINUX_DEVICE_H

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/types.h>

struct device;
struct device_driver;
struct module;

struct bus_type {
	const char *name;
	int (*match)(struct device *dev, struct device_driver *drv);
	int (*probe)(struct device *dev);
	int (*remove)(struct device *dev);
	/* driver core private: devices and drivers in registration order */
	struct list_head devices;
	struct list_head drivers;
};

#define BUS_TYPE_LISTS_INIT(bus)                                               \
	.devices = LIST_HEAD_INIT((bus).devices),                              \
	.drivers = LIST_HEAD_INIT((bus).drivers)

struct device_driver {
	const char *name;
	struct bus_type *bus;
	struct module *owner;
	/* driver core private */
	struct list_head bus_node;
};

struct device {
	struct device *parent;
	const char *init_name;
	struct bus_type *bus;
	struct device_driver *driver;
	void *driver_data;
	void *platform_data;
	void (*release)(struct device *dev);
	/* driver core private */
	char name[32];
	struct list_head bus_node;
	int refcount;
};

int bus_register(struct bus_type *bus);
void bus_unregister(struct bus_type *bus);

/* device_register: adds dev to its bus and binds it to the first matching
 * driver whose probe succeeds. Returns 0, or -EEXIST if dev is already
 * registered, -EINVAL without a bus. */
int device_register(struct device *dev);
/* device_unregister: unbinds (bus->remove) and removes dev from its bus,
 * then drops the registration reference (release() is called at zero). */
void device_unregister(struct device *dev);
bool device_is_registered(struct device *dev);
struct device *get_device(struct device *dev);
void put_device(struct device *dev);

/* driver_register: adds drv to its bus and binds every matching unbound
 * device. Returns 0, -EBUSY if a driver of that name (or drv itself) is
 * already registered, -EINVAL without a bus or name. */
int driver_register(struct device_driver *drv);
void driver_unregister(struct device_driver *drv);

__printf(2, 3) int dev_set_name(struct device *dev, const char *fmt, ...);

static inline const char *dev_name(const struct device *dev)
{
	return dev->name[0] ? dev->name : "(unnamed)";
}

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

__printf(3, 4) int dev_printk(const char *level, const struct device *dev,
			      const char *fmt, ...);

#define dev_err(dev, fmt, ...) dev_printk(KERN_ERR, dev, fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...)                                                \
	dev_printk(KERN_WARNING, dev, fmt, ##__VA_ARGS__)
#define dev_notice(dev, fmt, ...)                                              \
	dev_printk(KERN_NOTICE, dev, fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) dev_printk(KERN_INFO, dev, fmt, ##__VA_ARGS__)
#define dev_dbg(dev, fmt, ...) dev_printk(KERN_DEBUG, dev, fmt, ##__VA_ARGS__)

#endif /* _LINUX_DEVICE_H */
