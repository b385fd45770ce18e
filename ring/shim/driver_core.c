// SPDX-License-Identifier: GPL-2.0
/*
 * driver_core.c - a minimal, synchronous Linux driver model.
 *
 * A bus keeps its devices and drivers on two lists, in registration order.
 * Binding tries the drivers (or devices) in that order: bus->match decides
 * whether a pair fits, bus->probe whether the driver takes the device. A
 * failed probe lets the next matching driver try, as Linux's really_probe
 * does, and device_register still succeeds when nothing bound.
 *
 * Notes:
 * 1. Whether a device or driver is registered is decided by scanning its
 *    bus's list for the pointer, never from its own fields: a struct that
 *    was never registered may hold anything in them.
 * 2. A bus's lists are ready once bus_register ran, or when the bus was
 *    defined with BUS_TYPE_LISTS_INIT; a zero-initialised bus that was
 *    never registered has NULL lists and takes no devices or drivers.
 * 3. Probe and remove run with the lists being walked: they may register
 *    new devices or drivers (appended at the tail), but must not
 *    unregister others on the same bus.
 */
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/list.h>

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define core_warn(what) ringside_report_warn(__FILE__, __LINE__, what)

/* --- buses ------------------------------------------------------------- */

static bool bus_ready(const struct bus_type *bus)
{
	return bus && bus->devices.next && bus->drivers.next;
}

int bus_register(struct bus_type *bus)
{
	if (!bus) {
		core_warn("bus_register without a bus");
		return -EINVAL;
	}
	/* Idempotent: lists already made hold registrations to keep. */
	if (!bus->devices.next)
		INIT_LIST_HEAD(&bus->devices);
	if (!bus->drivers.next)
		INIT_LIST_HEAD(&bus->drivers);
	return 0;
}

void bus_unregister(struct bus_type *bus)
{
	if (!bus_ready(bus)) {
		core_warn("bus_unregister of a bus that is not registered");
		return;
	}
	/* The lists stay as they are, so the stragglers can still be
	 * unregistered; leaving them is the bug being reported. */
	if (!list_empty(&bus->devices) || !list_empty(&bus->drivers))
		core_warn("bus_unregister with devices or drivers on it");
}

/* --- binding ----------------------------------------------------------- */

static bool device_listed(const struct device *dev)
{
	const struct device *pos;

	if (!dev || !bus_ready(dev->bus))
		return false;
	list_for_each_entry (pos, &dev->bus->devices, bus_node)
		if (pos == dev)
			return true;
	return false;
}

static bool driver_listed(const struct device_driver *drv)
{
	const struct device_driver *pos;

	if (!drv || !bus_ready(drv->bus))
		return false;
	list_for_each_entry (pos, &drv->bus->drivers, bus_node)
		if (pos == drv)
			return true;
	return false;
}

/* Offers dev to drv; true when drv now drives it. */
static const char *driver_label(const struct device_driver *drv)
{
	return drv->name ? drv->name : "(unnamed driver)";
}

static bool device_try_driver(struct device *dev, struct device_driver *drv)
{
	struct bus_type *bus = dev->bus;
	int ret;

	assert(!dev->driver);
	assert(drv->bus == bus);
	if (bus->match && !bus->match(dev, drv))
		return false;
	dev->driver = drv;
	if (!bus->probe)
		return true;
	/* The probe may unregister (hot-unplug) the device it probes: our
	 * reference keeps it alive until the probe has returned. */
	get_device(dev);
	ret = bus->probe(dev);
	if (!device_listed(dev)) {
		/* Already unbound by device_unregister: offer it to no one. */
		dev->driver = NULL;
		put_device(dev);
		return true;
	}
	put_device(dev);
	if (ret == 0)
		return true;
	dev->driver = NULL;
	dev->driver_data = NULL;
	/* Linux's wording; "not mine" answers are not worth a warning. */
	if (ret != -ENODEV && ret != -ENXIO)
		printk(KERN_WARNING "%s: probe of %s failed with error %d\n",
		       driver_label(drv), dev_name(dev), ret);
	return false;
}

static void device_attach(struct device *dev)
{
	struct device_driver *drv, *next;

	/* _safe: a failing probe may unregister its own driver. */
	list_for_each_entry_safe (drv, next, &dev->bus->drivers, bus_node)
		if (device_try_driver(dev, drv))
			return;
}

static void device_unbind(struct device *dev)
{
	if (!dev->driver)
		return;
	if (dev->bus->remove)
		dev->bus->remove(dev);
	dev->driver = NULL;
	dev->driver_data = NULL;
}

/* --- devices ----------------------------------------------------------- */

int device_register(struct device *dev)
{
	if (!dev || !dev->bus) {
		core_warn("device_register without a bus");
		return -EINVAL;
	}
	if (!bus_ready(dev->bus)) {
		core_warn("device_register on a bus that is not registered");
		return -EINVAL;
	}
	if (device_listed(dev)) {
		core_warn("device_register of a registered device");
		return -EEXIST;
	}
	if (dev->init_name) {
		dev_set_name(dev, "%s", dev->init_name);
		dev->init_name = NULL;
	}
	/* Note 1: these fields may be stale; they start afresh here. */
	dev->driver = NULL;
	dev->refcount = 1;
	INIT_LIST_HEAD(&dev->bus_node);
	list_add_tail(&dev->bus_node, &dev->bus->devices);
	device_attach(dev);
	return 0;
}

void device_unregister(struct device *dev)
{
	if (!device_listed(dev)) {
		core_warn("device_unregister of a device that is not "
			  "registered");
		return;
	}
	device_unbind(dev);
	list_del(&dev->bus_node);
	/* The last use of dev: the registration reference may be the last
	 * one, and release() may free it. */
	put_device(dev);
}

bool device_is_registered(struct device *dev)
{
	return device_listed(dev);
}

struct device *get_device(struct device *dev)
{
	if (!dev)
		return NULL;
	if (dev->refcount <= 0)
		core_warn("get_device of a released device");
	dev->refcount++;
	return dev;
}

void put_device(struct device *dev)
{
	if (!dev)
		return;
	if (dev->refcount <= 0) {
		core_warn("put_device of a released device");
		return;
	}
	if (--dev->refcount == 0 && dev->release)
		dev->release(dev);
}

int dev_set_name(struct device *dev, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dev->name, sizeof(dev->name), fmt, ap);
	va_end(ap);
	if (n < 0) {
		dev->name[0] = '\0';
		return -EINVAL;
	}
	/* A longer name is cut at sizeof(dev->name) - 1 characters. */
	return 0;
}

/* --- drivers ----------------------------------------------------------- */

static bool driver_name_taken(const struct device_driver *drv)
{
	const struct device_driver *pos;

	list_for_each_entry (pos, &drv->bus->drivers, bus_node)
		if (pos == drv || (pos->name && drv->name &&
				   strcmp(pos->name, drv->name) == 0))
			return true;
	return false;
}

static void driver_attach(struct device_driver *drv)
{
	struct device *dev, *next;

	/* _safe: a probe may unregister the device it probes. */
	list_for_each_entry_safe (dev, next, &drv->bus->devices, bus_node)
		if (!dev->driver)
			device_try_driver(dev, drv);
}

/* Unbinds the devices of drv, the most recently registered first, as
 * Linux's driver_detach takes them from the tail. */
static void driver_detach(struct device_driver *drv)
{
	struct list_head *head = &drv->bus->devices;
	struct list_head *pos, *prev;

	for (pos = head->prev; pos != head; pos = prev) {
		struct device *dev = list_entry(pos, struct device, bus_node);

		prev = pos->prev;
		if (dev->driver == drv)
			device_unbind(dev);
	}
}

int driver_register(struct device_driver *drv)
{
	/* A driver without a name is accepted (only names that exist can
	 * clash): test code often leaves it out. */
	if (!drv || !drv->bus) {
		core_warn("driver_register without a bus");
		return -EINVAL;
	}
	if (!bus_ready(drv->bus)) {
		core_warn("driver_register on a bus that is not registered");
		return -EINVAL;
	}
	if (driver_name_taken(drv)) {
		printk(KERN_ERR "Error: Driver '%s' is already registered, "
				"aborting...\n",
		       driver_label(drv));
		return -EBUSY;
	}
	INIT_LIST_HEAD(&drv->bus_node);
	list_add_tail(&drv->bus_node, &drv->bus->drivers);
	driver_attach(drv);
	return 0;
}

void driver_unregister(struct device_driver *drv)
{
	if (!driver_listed(drv)) {
		core_warn("driver_unregister of a driver that is not "
			  "registered");
		return;
	}
	driver_detach(drv);
	list_del(&drv->bus_node);
}
