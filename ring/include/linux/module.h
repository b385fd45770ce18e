/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/module.h - module boilerplate compiles and does nothing: the world
 * registers drivers itself, by calling register_virtio_driver.
 */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H

#include <linux/types.h>

struct module;
#define THIS_MODULE ((struct module *)0)
#define MODULE_LICENSE(x)
#define MODULE_AUTHOR(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_DEVICE_TABLE(type, name)
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define module_param(name, type, perm)
#define MODULE_PARM_DESC(name, desc)

#endif /* _LINUX_MODULE_H */
