// SPDX-License-Identifier: GPL-2.0
/*
 * test_driver_core.c - the minimal driver core: binding in registration
 * order, probe failure falling through, unbinding, duplicate and unknown
 * registrations, reference counting.
 *
 * A test bus matches a device to a driver by id (or any device, for
 * TEST_ANY drivers); its probe and remove record what happened in an event
 * log that each test compares with what Linux's driver model would do.
 */
#include "harness.h"

#include <linux/device.h>
#include <linux/errno.h>
#include <ringside/shim.h>

#include <string.h>

#define TESTS(X)                                                               \
	X(device_first_then_driver)                                            \
	X(driver_first_then_device)                                            \
	X(drivers_tried_in_registration_order)                                 \
	X(probe_failure_falls_through)                                         \
	X(enodev_is_quiet)                                                     \
	X(nothing_binds_still_registers)                                       \
	X(non_matching_driver_not_probed)                                      \
	X(null_match_and_probe_bind)                                           \
	X(duplicate_device_register)                                           \
	X(duplicate_driver_register)                                           \
	X(register_needs_bus)                                                  \
	X(unplug_in_probe_driver_first)                                        \
	X(unplug_in_probe_device_first)                                        \
	X(unnamed_drivers_register_and_bind)                                   \
	X(unregister_unknown_warns)                                            \
	X(device_unregister_unbinds)                                           \
	X(driver_unregister_unbinds_all)                                       \
	X(release_on_last_put)                                                 \
	X(put_after_release_warns)                                             \
	X(register_ignores_stale_fields)                                       \
	X(static_bus_needs_no_register)                                        \
	X(bus_register_is_idempotent)                                          \
	X(bus_unregister_nonempty_warns)                                       \
	X(names_are_bounded)

TESTS(HARNESS_DECLARE)

#define TEST_ANY (-1)

struct tdev {
	struct device dev;
	int id;
	int released;
};

struct tdrv {
	struct device_driver drv;
	int id; /* the device id it takes, or TEST_ANY */
	int probe_ret;
	bool unplug; /* the next probe unregisters the device it probes */
};

#define to_tdev(d) container_of(d, struct tdev, dev)
#define to_tdrv(d) container_of(d, struct tdrv, drv)

/* --- the event log ------------------------------------------------------- */

static char events[512];

static void event(const char *what, const struct device *dev)
{
	size_t used = strlen(events);

	snprintf(events + used, sizeof(events) - used, "%s%s %s %s",
		 used ? ", " : "", what, dev->driver->name, dev_name(dev));
}

static void check_events(const char *file, int line, const char *expected)
{
	char detail[sizeof(events) + 64];

	if (strcmp(events, expected) != 0) {
		snprintf(detail, sizeof(detail), "events were \"%s\"", events);
		harness_fail(file, line, expected, detail);
	}
	events[0] = '\0';
}

#define CHECK_EVENTS(expected) check_events(__FILE__, __LINE__, expected)

/* The last printk, kept by a log hook. */
static struct {
	unsigned int count;
	int level;
	char text[160];
} logged;

static void log_keep(void *ctx, int level, const char *text)
{
	(void)ctx;
	logged.count++;
	logged.level = level;
	snprintf(logged.text, sizeof(logged.text), "%s", text);
}

/* --- the test bus -------------------------------------------------------- */

static int test_match(struct device *dev, struct device_driver *drv)
{
	int want = to_tdrv(drv)->id;

	return want == TEST_ANY || want == to_tdev(dev)->id;
}

static int test_probe(struct device *dev)
{
	struct tdrv *drv = to_tdrv(dev->driver);

	event("probe", dev);
	/* Set even when failing: the core must clear it again. */
	dev_set_drvdata(dev, drv);
	if (drv->unplug) {
		drv->unplug = false;
		device_unregister(dev);
		/* The core's reference keeps it alive until we return. */
		CHECK_EQ(0, to_tdev(dev)->released);
	}
	return drv->probe_ret;
}

static int test_remove(struct device *dev)
{
	CHECK(dev_get_drvdata(dev) == to_tdrv(dev->driver));
	event("remove", dev);
	return 0;
}

static struct bus_type bus;

static void release_count(struct device *dev)
{
	to_tdev(dev)->released++;
}

/* A fresh, zero-initialised bus for each test; printk goes to the log. */
static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	bus.name = "test";
	bus.match = test_match;
	bus.probe = test_probe;
	bus.remove = test_remove;
	CHECK_EQ(0, bus_register(&bus));
	events[0] = '\0';
	memset(&logged, 0, sizeof(logged));
	shim_set_log_hook(log_keep, NULL);
}

static void init_dev(struct tdev *t, const char *name, int id)
{
	memset(t, 0, sizeof(*t));
	t->dev.bus = &bus;
	t->dev.init_name = name;
	t->dev.release = release_count;
	t->id = id;
}

static void init_drv(struct tdrv *t, const char *name, int id, int probe_ret)
{
	memset(t, 0, sizeof(*t));
	t->drv.name = name;
	t->drv.bus = &bus;
	t->id = id;
	t->probe_ret = probe_ret;
}

/* --- binding ------------------------------------------------------------- */

static void device_first_then_driver(void)
{
	struct tdev d;
	struct tdrv a;

	setup();
	init_dev(&d, "dev0", 1);
	init_drv(&a, "a", 1, 0);
	CHECK_EQ(0, device_register(&d.dev));
	CHECK(device_is_registered(&d.dev));
	CHECK(d.dev.driver == NULL);
	CHECK_EQ(0, d.dev.refcount - 1);
	CHECK_EVENTS("");
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK(d.dev.driver == &a.drv);
	CHECK(dev_get_drvdata(&d.dev) == &a);
	CHECK_EVENTS("probe a dev0");
}

static void driver_first_then_device(void)
{
	struct tdev d;
	struct tdrv a;

	setup();
	init_dev(&d, "dev0", 1);
	init_drv(&a, "a", 1, 0);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EVENTS("");
	CHECK_EQ(0, device_register(&d.dev));
	CHECK(d.dev.driver == &a.drv);
	CHECK_EVENTS("probe a dev0");
	/* init_name became the name, as in Linux's device_add. */
	CHECK(strcmp(dev_name(&d.dev), "dev0") == 0);
	CHECK(d.dev.init_name == NULL);
}

static void drivers_tried_in_registration_order(void)
{
	struct tdev d1, d2;
	struct tdrv a, b;

	setup();
	init_dev(&d1, "dev1", 1);
	init_dev(&d2, "dev2", 1);
	init_drv(&a, "a", 1, 0);
	init_drv(&b, "b", TEST_ANY, 0);
	CHECK_EQ(0, device_register(&d1.dev));
	CHECK_EQ(0, device_register(&d2.dev));
	/* Devices in registration order; bound ones are skipped later. */
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, driver_register(&b.drv));
	CHECK_EVENTS("probe a dev1, probe a dev2");
	CHECK(d1.dev.driver == &a.drv);
	CHECK(d2.dev.driver == &a.drv);
}

static void probe_failure_falls_through(void)
{
	struct tdev d;
	struct tdrv a, b, c;

	setup();
	init_dev(&d, "dev0", 7);
	init_drv(&a, "a", 7, -EIO);
	init_drv(&b, "b", 7, 0);
	init_drv(&c, "c", 7, 0);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, driver_register(&b.drv));
	CHECK_EQ(0, driver_register(&c.drv));
	CHECK_EQ(0, device_register(&d.dev));
	/* a failed, b took it, c was never asked. */
	CHECK_EVENTS("probe a dev0, probe b dev0");
	CHECK(d.dev.driver == &b.drv);
	CHECK(dev_get_drvdata(&d.dev) == &b);
	/* Linux's warning for a failed probe. */
	CHECK_EQ(1, logged.count);
	CHECK_EQ(4, logged.level);
	CHECK(strcmp(logged.text, "a: probe of dev0 failed with error -5") ==
	      0);
}

static void enodev_is_quiet(void)
{
	struct tdev d;
	struct tdrv a;

	setup();
	init_dev(&d, "dev0", 1);
	init_drv(&a, "a", 1, -ENODEV);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, device_register(&d.dev));
	CHECK_EVENTS("probe a dev0");
	CHECK(d.dev.driver == NULL);
	CHECK_EQ(0, logged.count);
}

static void nothing_binds_still_registers(void)
{
	struct tdev d;
	struct tdrv a, b;

	setup();
	init_dev(&d, "dev0", 1);
	init_drv(&a, "a", 1, -EIO);
	init_drv(&b, "b", 1, -ENOMEM);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, driver_register(&b.drv));
	CHECK_EQ(0, device_register(&d.dev));
	CHECK_EVENTS("probe a dev0, probe b dev0");
	CHECK(d.dev.driver == NULL);
	CHECK(dev_get_drvdata(&d.dev) == NULL);
	CHECK(device_is_registered(&d.dev));
	/* Unbound, so unregistering calls no remove. */
	device_unregister(&d.dev);
	CHECK_EVENTS("");
	CHECK_EQ(1, d.released);
}

static void non_matching_driver_not_probed(void)
{
	struct tdev d;
	struct tdrv a;

	setup();
	init_dev(&d, "dev0", 1);
	init_drv(&a, "a", 2, 0);
	CHECK_EQ(0, device_register(&d.dev));
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EVENTS("");
	CHECK(d.dev.driver == NULL);
}

static void null_match_and_probe_bind(void)
{
	struct tdev d;
	struct tdrv a;

	setup();
	bus.match = NULL;
	bus.probe = NULL;
	bus.remove = NULL;
	init_dev(&d, "dev0", 1);
	init_drv(&a, "a", 99, 0);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, device_register(&d.dev));
	/* No match: every driver fits; no probe: bound at once. */
	CHECK(d.dev.driver == &a.drv);
	device_unregister(&d.dev);
	CHECK(d.dev.driver == NULL);
	CHECK_EQ(1, d.released);
}

/* --- registration errors ------------------------------------------------- */

static void duplicate_device_register(void)
{
	struct tdev d;

	setup();
	init_dev(&d, "dev0", 1);
	CHECK_EQ(0, device_register(&d.dev));
	CHECK_EQ(-EEXIST, device_register(&d.dev));
	EXPECT_WARNS(1);
	/* Listed once: one unregister removes it, a second one WARNs. */
	device_unregister(&d.dev);
	CHECK(!device_is_registered(&d.dev));
	device_unregister(&d.dev);
	EXPECT_WARNS(1);
	CHECK_EQ(1, d.released);
}

static void duplicate_driver_register(void)
{
	struct tdrv a, same_name;
	struct tdev d;

	setup();
	init_drv(&a, "a", 1, 0);
	init_drv(&same_name, "a", 1, 0);
	init_dev(&d, "dev0", 1);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(-EBUSY, driver_register(&a.drv));
	CHECK_EQ(1, logged.count);
	CHECK_EQ(3, logged.level);
	CHECK(strcmp(logged.text, "Error: Driver 'a' is already registered, "
				  "aborting...") == 0);
	CHECK_EQ(-EBUSY, driver_register(&same_name.drv));
	CHECK_EQ(2, logged.count);
	/* The refused driver is not on the bus: it never binds. */
	CHECK_EQ(0, device_register(&d.dev));
	CHECK(d.dev.driver == &a.drv);
	CHECK_EVENTS("probe a dev0");
	/* A printk error, not a WARN (as Linux). */
	EXPECT_WARNS(0);
}

static void unnamed_drivers_register_and_bind(void)
{
	struct tdrv a, b;
	struct tdev d;

	setup();
	init_drv(&a, NULL, 1, 0);
	init_drv(&b, NULL, 2, 0);
	init_dev(&d, "dev0", 2);
	CHECK_EQ(0, driver_register(&a.drv));
	/* Only names that exist can clash. */
	CHECK_EQ(0, driver_register(&b.drv));
	CHECK_EQ(-EBUSY, driver_register(&a.drv));
	CHECK_EQ(0, device_register(&d.dev));
	CHECK(d.dev.driver == &b.drv);
	device_unregister(&d.dev);
	driver_unregister(&a.drv);
	driver_unregister(&b.drv);
	EXPECT_WARNS(0);
}

static void unplug_in_probe_driver_first(void)
{
	struct tdrv a, b;
	struct tdev d;

	setup();
	init_drv(&a, "a", TEST_ANY, 0);
	init_drv(&b, "b", TEST_ANY, 0);
	a.unplug = true;
	init_dev(&d, "dev0", 1);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, driver_register(&b.drv));
	CHECK_EQ(0, device_register(&d.dev));
	/* Removed during its probe, released after it, offered to no one. */
	CHECK_EVENTS("probe a dev0, remove a dev0");
	CHECK(!device_is_registered(&d.dev));
	CHECK(d.dev.driver == NULL);
	CHECK_EQ(1, d.released);
	driver_unregister(&a.drv);
	driver_unregister(&b.drv);
}

static void unplug_in_probe_device_first(void)
{
	struct tdev d, e;
	struct tdrv a;

	setup();
	init_dev(&d, "dev0", 1);
	init_dev(&e, "dev1", 1);
	CHECK_EQ(0, device_register(&d.dev));
	CHECK_EQ(0, device_register(&e.dev));
	init_drv(&a, "a", TEST_ANY, 0);
	a.unplug = true;
	/* Walking the devices must survive one leaving the bus. */
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EVENTS("probe a dev0, remove a dev0, probe a dev1");
	CHECK(!device_is_registered(&d.dev));
	CHECK_EQ(1, d.released);
	CHECK(e.dev.driver == &a.drv);
	device_unregister(&e.dev);
	driver_unregister(&a.drv);
}

static void register_needs_bus(void)
{
	struct tdev d;
	struct tdrv a;
	struct bus_type never_registered;

	setup();
	init_dev(&d, "dev0", 1);
	d.dev.bus = NULL;
	CHECK_EQ(-EINVAL, device_register(&d.dev));
	EXPECT_WARNS(1);
	init_drv(&a, "a", 1, 0);
	a.drv.bus = NULL;
	CHECK_EQ(-EINVAL, driver_register(&a.drv));
	EXPECT_WARNS(1);
	/* A zero-initialised bus nobody registered has no lists. */
	memset(&never_registered, 0, sizeof(never_registered));
	d.dev.bus = &never_registered;
	CHECK_EQ(-EINVAL, device_register(&d.dev));
	EXPECT_WARNS(1);
	CHECK(!device_is_registered(&d.dev));
}

static void unregister_unknown_warns(void)
{
	struct tdev d;
	struct tdrv a;

	setup();
	init_dev(&d, "dev0", 1);
	init_drv(&a, "a", 1, 0);
	device_unregister(&d.dev);
	EXPECT_WARNS(1);
	CHECK_EQ(0, d.released);
	driver_unregister(&a.drv);
	EXPECT_WARNS(1);
	device_unregister(NULL);
	driver_unregister(NULL);
	EXPECT_WARNS(2);
	CHECK_EVENTS("");
}

/* --- unbinding and references -------------------------------------------- */

static void device_unregister_unbinds(void)
{
	struct tdev d, other;
	struct tdrv a;

	setup();
	init_dev(&d, "dev0", 1);
	init_dev(&other, "dev1", 1);
	init_drv(&a, "a", 1, 0);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, device_register(&d.dev));
	CHECK_EQ(0, device_register(&other.dev));
	CHECK_EVENTS("probe a dev0, probe a dev1");
	device_unregister(&d.dev);
	CHECK_EVENTS("remove a dev0");
	CHECK(d.dev.driver == NULL);
	CHECK(dev_get_drvdata(&d.dev) == NULL);
	CHECK(!device_is_registered(&d.dev));
	CHECK_EQ(1, d.released);
	/* The other device is untouched. */
	CHECK(other.dev.driver == &a.drv);
	CHECK(device_is_registered(&other.dev));
	CHECK_EQ(0, other.released);
}

static void driver_unregister_unbinds_all(void)
{
	struct tdev d1, d2, d3;
	struct tdrv a, b, late;

	setup();
	init_dev(&d1, "dev1", 1);
	init_dev(&d2, "dev2", 2);
	init_dev(&d3, "dev3", 1);
	init_drv(&a, "a", 1, 0);
	init_drv(&b, "b", 2, 0);
	init_drv(&late, "late", 1, 0);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, driver_register(&b.drv));
	CHECK_EQ(0, device_register(&d1.dev));
	CHECK_EQ(0, device_register(&d2.dev));
	CHECK_EQ(0, device_register(&d3.dev));
	CHECK_EVENTS("probe a dev1, probe b dev2, probe a dev3");
	driver_unregister(&a.drv);
	/* Most recent first, as Linux's driver_detach. */
	CHECK_EVENTS("remove a dev3, remove a dev1");
	CHECK(d1.dev.driver == NULL);
	CHECK(d3.dev.driver == NULL);
	CHECK(d2.dev.driver == &b.drv);
	/* The devices stay registered, and a new driver picks them up. */
	CHECK(device_is_registered(&d1.dev));
	CHECK_EQ(0, driver_register(&late.drv));
	CHECK_EVENTS("probe late dev1, probe late dev3");
	/* And a's name is free again. */
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EVENTS("");
}

static void release_on_last_put(void)
{
	struct tdev d;
	struct tdrv a;

	setup();
	init_dev(&d, "dev0", 1);
	init_drv(&a, "a", 1, 0);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK_EQ(0, device_register(&d.dev));
	CHECK(get_device(&d.dev) == &d.dev);
	CHECK_EQ(2, d.dev.refcount);
	device_unregister(&d.dev);
	CHECK_EVENTS("probe a dev0, remove a dev0");
	/* Our reference keeps it alive. */
	CHECK_EQ(0, d.released);
	put_device(&d.dev);
	CHECK_EQ(1, d.released);
	CHECK(get_device(NULL) == NULL);
	put_device(NULL);
}

static void put_after_release_warns(void)
{
	struct tdev d;

	setup();
	init_dev(&d, "dev0", 1);
	CHECK_EQ(0, device_register(&d.dev));
	device_unregister(&d.dev);
	CHECK_EQ(1, d.released);
	put_device(&d.dev);
	EXPECT_WARNS(1);
	CHECK_EQ(1, d.released);
}

static void register_ignores_stale_fields(void)
{
	struct tdev d;
	struct tdrv a;

	setup();
	/* What a recycled, never-registered struct may hold. */
	memset(&d, 0xa5, sizeof(d));
	d.dev.bus = &bus;
	d.dev.init_name = "dev0";
	d.dev.release = release_count;
	d.released = 0;
	d.id = 1;
	init_drv(&a, "a", 1, 0);
	memset(&a.drv.bus_node, 0xa5, sizeof(a.drv.bus_node));
	CHECK(!device_is_registered(&d.dev));
	CHECK_EQ(0, device_register(&d.dev));
	CHECK_EQ(1, d.dev.refcount);
	CHECK(d.dev.driver == NULL);
	CHECK_EQ(0, driver_register(&a.drv));
	CHECK(d.dev.driver == &a.drv);
	CHECK_EVENTS("probe a dev0");
	device_unregister(&d.dev);
	driver_unregister(&a.drv);
	CHECK_EVENTS("remove a dev0");
	CHECK_EQ(1, d.released);
}

/* --- buses and names ----------------------------------------------------- */

static struct bus_type static_bus = {
	.name = "static",
	BUS_TYPE_LISTS_INIT(static_bus),
};

static void static_bus_needs_no_register(void)
{
	struct tdev d;

	setup();
	init_dev(&d, "dev0", 1);
	d.dev.bus = &static_bus;
	CHECK_EQ(0, device_register(&d.dev));
	CHECK(device_is_registered(&d.dev));
	device_unregister(&d.dev);
	CHECK(list_empty(&static_bus.devices));
}

static void bus_register_is_idempotent(void)
{
	struct tdev d;

	setup();
	init_dev(&d, "dev0", 1);
	CHECK_EQ(0, device_register(&d.dev));
	CHECK_EQ(0, bus_register(&bus));
	CHECK(device_is_registered(&d.dev));
	device_unregister(&d.dev);
	bus_unregister(&bus);
	CHECK_EQ(-EINVAL, bus_register(NULL));
	EXPECT_WARNS(1);
}

static void bus_unregister_nonempty_warns(void)
{
	struct tdev d;

	setup();
	init_dev(&d, "dev0", 1);
	CHECK_EQ(0, device_register(&d.dev));
	bus_unregister(&bus);
	EXPECT_WARNS(1);
	/* The straggler can still leave. */
	device_unregister(&d.dev);
	CHECK_EQ(1, d.released);
}

static void names_are_bounded(void)
{
	struct tdev d;
	char expected[sizeof(d.dev.name)];

	setup();
	init_dev(&d, NULL, 1);
	CHECK(strcmp(dev_name(&d.dev), "(unnamed)") == 0);
	CHECK_EQ(0, dev_set_name(&d.dev, "virtio%u", 12u));
	CHECK(strcmp(dev_name(&d.dev), "virtio12") == 0);
	CHECK_EQ(0, dev_set_name(&d.dev, "%s%s", "0123456789abcdef",
				 "0123456789abcdef"));
	memcpy(expected, "0123456789abcdef0123456789abcde", sizeof(expected));
	CHECK_EQ(0, memcmp(d.dev.name, expected, sizeof(expected)));
	dev_info(&d.dev, "hello %d", 3);
	CHECK_EQ(6, logged.level);
	CHECK(strcmp(logged.text, "0123456789abcdef0123456789abcde: hello 3") ==
	      0);
}

HARNESS_MAIN(TESTS)
